"""Sphinx extension: how the build engine (:mod:`analysis.engine.book`) drives
``jupyter-book build``.

Three hooks are active only in a build the engine drives (its plan, :mod:`analysis.plan`,
says so; a plain ``jupyter-book build`` of the same source, as the benchmark's floor
runs it, has no plan and behaves exactly as without them):

- **Pages read as they are executed.** Jupyter Book spends its first one and a half to
  two seconds importing Sphinx, the theme and the extensions, and then reads every page
  before it writes any. The build starts Jupyter Book while the notebooks still execute,
  with a stand-in file for every page not yet executed (the plan's ``pending`` names
  them, in the order they are expected). The build reads the finished pages first, then each
  pending page as soon as the build says, on the build's standard input, that its file
  is final (``ready <page>``), or that every page is (``go``). Anything else, or the
  input closing, ends the build: the build engine has decided not to build the book. Reading
  a page (parsing the notebook and its outputs) then overlaps the execution of the
  next ones instead of following the last.
- **Prompt exit.** Once the book is written, every other ``build-finished`` handler has
  run and Sphinx has counted no warning and no error, nothing is left to write: the
  process leaves at once instead of spending over half a second tearing down the
  Python objects of the build. Any warning lets Sphinx finish as usual, report it and
  fail (the engine builds with warnings as errors). This reads Sphinx's private warning
  count (:mod:`analysis.engine.internals`); a ``--plain`` build skips it.
- **The bibliography formatted again only when it changes.** A rebuild into Sphinx's
  kept output keeps the formatted references of the last build unless a citation, the
  style or a bibliography file changed (:func:`analysis.engine.internals.format_citations_once`;
  a ``--plain`` build skips it).

One change serves every build of the book, the floor's included:

- **Citations formatted without a search.** sphinxcontrib-bibtex asks pybtex for its
  plain-text backend once for every citation it resolves, and pybtex answers by
  scanning the entry points of every installed distribution: with the book's 86
  citations, about half a second of each build (see
  :func:`look_up_citation_backend_once`).
"""

from __future__ import annotations

import sys
from typing import TextIO

from analysis import plan as build_plan
from analysis.engine import internals

GO = "go"
READY = "ready"


def _driven_by_engine() -> bool:
    return build_plan.book_held()


def pending_pages() -> list[str]:
    """The pages whose files are stand-ins when the build starts, in expected order."""
    return build_plan.pending_pages()


class SourceGate:
    """What the build engine has said about the pending pages, read only when a page needs it.

    Parameters
    ----------
    stream : file
        The build's standard input: lines ``ready <page>``, then ``go``.
    """

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.ready: set[str] = set()
        self.complete = False

    def wait_for(self, page: str) -> None:
        """Return once ``page`` is final; leave the build if the build engine gives it up."""
        while not (self.complete or page in self.ready):
            words = self.stream.readline().split()
            if words == [GO]:
                self.complete = True
            elif len(words) == 2 and words[0] == READY:
                self.ready.add(words[1])
            else:
                # Not an error of the book: the build engine has decided not to build it.
                raise SystemExit(3)


def order_reading(docnames: list[str], pending: list[str]) -> None:
    """Put the finished pages first, then the pending ones in the order expected.

    Sphinx reads the pages one by one in this list's order (``env-before-read-docs``
    allows reordering it in place). Finished pages are never held up behind pending
    ones; a pending page that finishes early may wait for an earlier one, since the
    order is a prediction from the pages' last execution times
    (:func:`analysis.engine.execution.schedule`).
    """
    later = [name for name in pending if name in docnames]
    docnames[:] = [name for name in docnames if name not in later] + later


def _read_when_ready(gate: SourceGate, pending: set[str]):
    def hook(app, env, docname) -> None:
        # env-purge-doc: emitted for each page just before Sphinx reads its file.
        if docname in pending:
            gate.wait_for(docname)
    return hook


def exit_when_written(app, exception) -> None:
    """Leave as soon as a clean build has written the book (see the module notes)."""
    if not _driven_by_engine() or exception is not None:
        return
    if internals.clean_build_written(app):
        internals.leave_now()


def look_up_citation_backend_once() -> None:
    """Register pybtex's plain-text backend as a runtime plugin.

    ``register_plugin`` is pybtex's documented way of adding a plugin while a program
    runs, and runtime plugins are looked up before the installed entry points. The class
    registered is the one the entry-point search returns, so citations are formatted as
    before; only the repeated search (a few milliseconds for each citation) is gone.
    """
    from pybtex.plugin import find_plugin, register_plugin

    backend = find_plugin("pybtex.backends", "plaintext")
    register_plugin("pybtex.backends", "plaintext", backend, force=True)




LEFT_OUT_KEY = "cen_left_out_pages"  # set by analysis.engine.book.book_config


def _left_out_target(app, node) -> bool:
    left_out = set(app.config[LEFT_OUT_KEY] or ())
    target = str(node.get("reftarget", "")).lstrip("/").split("#")[0]
    for suffix in (".ipynb", ".md"):
        if target.endswith(suffix):
            target = target[: -len(suffix)]
    return bool(target) and target.split("/")[-1] in left_out


def link_to_left_out_page(app, env, node, contnode):
    """A link to a page the build left out becomes its plain text.

    Pages link to each other (the Data dictionary to the Prevalence context, the
    reporting cross-walks to every chapter). When a data package has no table for a
    chapter, the build leaves it out and says so on the landing page; a link to it is
    then not an error of the book, and its words still read.
    """
    if _left_out_target(app, node):
        from docutils import nodes

        return nodes.inline("", contnode.astext(), classes=["left-out-link"])
    return None


def _myst_links_to_left_out_pages():
    """A Markdown link to a page name (``[the method page](method_cerqual)``) is resolved
    by MyST's own resolver, which warns instead of asking ``missing-reference``; this
    transform runs just before it and turns such a link to a left-out page into text."""
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class LeftOutMystLinks(SphinxPostTransform):
        default_priority = 8  # MyST's MystReferenceResolver runs at 9

        def run(self, **kwargs) -> None:
            for node in list(self.document.findall(addnodes.pending_xref)):
                if node.get("reftype") == "myst" and _left_out_target(self.app, node):
                    node.replace_self(nodes.inline("", node.astext(),
                                                   classes=["left-out-link"]))

    return LeftOutMystLinks


def setup(app) -> dict:
    app.add_config_value(LEFT_OUT_KEY, [], "env")
    app.connect("missing-reference", link_to_left_out_page)
    app.add_post_transform(_myst_links_to_left_out_pages())
    look_up_citation_backend_once()
    if _driven_by_engine() and not build_plan.plain():
        internals.format_citations_once()
    pending = pending_pages()
    if pending:
        gate = SourceGate(sys.stdin)
        app.connect("env-before-read-docs",
                    lambda app, env, docnames: order_reading(docnames, pending))
        app.connect("env-purge-doc", _read_when_ready(gate, set(pending)))
    # Last of the build-finished handlers: theirs write files (CSS, logos, index).
    app.connect("build-finished", exit_when_written, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
