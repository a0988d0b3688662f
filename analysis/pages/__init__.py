"""The pages of the book: which pages there are and which a data package can fill.

A layer of its own above the data contract, so that the build (:mod:`analysis.engine`),
the pages (:mod:`analysis.chapters`) and the command line share one reading of the
pages file without the contract holding book logic. Imports the base and the contract
only; imports no pandas.

- :mod:`~analysis.pages.pages_file`: the one parser of ``book/pages.yml``;
- :mod:`~analysis.pages.page`: the :class:`~analysis.pages.page.Page` type, read
  strictly for the build and forgivingly for a page that asks;
- :mod:`~analysis.pages.template`: a notebook template, read once (its hash,
  parameters, defaults, heading and imports);
- :mod:`~analysis.pages.needs`: what a package offers the pages and which pages it
  fills.
"""
