"""The data contract: what a researcher's data package must hold and how it is checked.

Layer 0 of :mod:`analysis`. The schema (``data_contract.json``), the published figures
(``published_facts.csv``) and the appraisal tools (``appraisal_tools.json``) are data;
the modules read a package (:mod:`~analysis.contract.validation`), hold it typed
(:mod:`~analysis.contract.package`) and relate its tables
(:mod:`~analysis.contract.rules`); the Data dictionary page renders it
(:mod:`analysis.chapters.dictionary`). A banding rule is data too
(:mod:`~analysis.contract.banding`), as is the label of the agreed appraisal answers
(:mod:`~analysis.contract.reviewers`). Which pages of the book a package fills is
book logic, decided in :mod:`analysis.pages` (the layer above this one).
:mod:`~analysis.contract.errors` and :mod:`~analysis.contract.files` import no pandas.
Imports nothing above it.
"""
