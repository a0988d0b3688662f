"""Sphinx extension: how ``analysis.runner`` drives ``jupyter-book build``.

Two hooks are active only when the runner sets :data:`HOLD_ENV` (a plain
``jupyter-book build`` of the same source, as the benchmark's floor runs it, behaves
exactly as without them):

- **Held start.** Jupyter Book spends its first one and a half to two seconds importing
  Sphinx, the theme and the extensions and setting them up, none of which reads a
  page. The runner starts the build while the last notebooks still execute; when the
  builder is ready, and before any page is read, the build waits for one line on its
  standard input. ``go`` lets it read and write the book; anything else, or the input
  closing, ends it.
- **Prompt exit.** Once the book is written, every other ``build-finished`` handler has
  run and Sphinx has counted no warning and no error, nothing is left to write: the
  process leaves at once instead of spending over half a second tearing down the
  Python objects of the build. Any warning lets Sphinx finish as usual, report it and
  fail (the runner builds with warnings as errors).

One change serves every build of the book, the floor's included:

- **Citations formatted without a search.** sphinxcontrib-bibtex asks pybtex for its
  plain-text backend once for every citation it resolves, and pybtex answers by
  scanning the entry points of every installed distribution: with the book's 86
  citations, about half a second of each build (see
  :func:`look_up_citation_backend_once`).
"""

from __future__ import annotations

import os
import sys

HOLD_ENV = "CEN_BOOK_HOLD_FOR_SOURCE"
GO = "go"


def _driven_by_runner() -> bool:
    return os.environ.get(HOLD_ENV) == "1"


def wait_for_source(app) -> None:
    """Block until the runner says the source is complete; leave if it says otherwise."""
    if not _driven_by_runner():
        return
    if sys.stdin.readline().strip() != GO:
        # Not an error of the book: the runner has decided not to build it.
        raise SystemExit(3)


def exit_when_written(app, exception) -> None:
    """Leave as soon as a clean build has written the book (see the module notes)."""
    if not _driven_by_runner() or exception is not None:
        return
    if app.statuscode == 0 and getattr(app, "_warncount", 1) == 0:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


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


def setup(app) -> dict:
    look_up_citation_backend_once()
    # Last of the builder-inited handlers: every extension is set up, no page is read.
    app.connect("builder-inited", wait_for_source, priority=999)
    # Last of the build-finished handlers: theirs write files (CSS, logos, index).
    app.connect("build-finished", exit_when_written, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
