"""What a preview keeps from one build to the next, so that a saved data file shows in
the open page within seconds (``python -m analysis preview``, :mod:`analysis.engine.preview`).

A build from nothing pays, before any page has changed, for kernels that start and
import pandas, matplotlib, scipy and statsmodels (about three seconds of processor time
each), and for Jupyter Book reading and writing every page of the book. While an author
edits one data file, almost none of that changes. A :class:`PreviewSession` keeps, between the
builds of one preview:

- **the kernel threads with their warm kernels**, lent to the next build as long as the
  code the pages import (:func:`analysis.engine.provenance.code_hash`), the pages file and
  ``--plain`` are the same. Each page still starts in a clean namespace (the reused
  kernel's prelude, :mod:`analysis.engine.kernels`). After a failed build the pool is
  ended (a page may still have been running) and a new one starts warming at once;
- **Sphinx's output folder** (its environment, doctrees and HTML, under
  ``_build/preview``), so that the next ``jupyter-book build`` reads and writes only
  the pages whose files changed. It is removed after a failed build, and when the
  pages of the book change (Sphinx does not remove the HTML of a page that left the
  book).

The published book is the one a build without a session gives: the edition stamp,
the only part of every page that changes with the data, is written into the pages
after Sphinx (:func:`analysis.engine.book.stamp_pages`), and the build publishes a copy
of Sphinx's output, never the kept folder itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from analysis import paths
from analysis.engine.execution import start_workers
from analysis.pages.page import Page
from analysis.plan import BuildPlan


class PreviewSession:
    """The kernel threads and the Sphinx output a preview keeps between its builds.

    Parameters
    ----------
    build_root : Path, optional
        As for :func:`analysis.engine.build.build`.
    jobs : int
        Worker processes (pages executed at once).
    """

    def __init__(self, build_root: Path | None = None, jobs: int = 2):
        self.jobs = max(1, jobs)
        self.sphinx_output = paths.build_dir(build_root) / "preview" / "jupyter-book"
        self._pool = None
        self._key: tuple | None = None
        self._pages: list[Page] = []
        self._toc: str | None = None
        self.pools_started = 0  # the tests read it: a pool is kept while it may be

    def begin(self, plan: BuildPlan, pages: list[Page]) -> None:
        """A build starts: keep the pool only if its kernels import the same code (with
        the same pages file and ``--plain``)."""
        key = (plan.code, plan.pages_file, plan.plain)
        if key != self._key:
            self.discard_workers()
            self._key = key
        self._pages = [page for page in pages if page.notebook]

    def workers(self, executed_dir: Path):
        """The pool for this build's pages (started now if none is warm)."""
        if self._pool is None:
            self._start(executed_dir)
        return self._pool

    def sphinx_output_for(self, toc: str) -> Path:
        """Sphinx's kept output folder, emptied first if the book's pages changed."""
        if toc != self._toc:
            shutil.rmtree(self.sphinx_output, ignore_errors=True)
            self._toc = toc
        return self.sphinx_output

    def finished(self, ok: bool, executed_dir: Path) -> None:
        """A build ended. After a failure nothing kept is trusted; either way a warm pool
        is ready for the next build before the next change arrives."""
        if not ok:
            self.discard_workers()
            shutil.rmtree(self.sphinx_output, ignore_errors=True)
            self._toc = None
        if self._pool is None and self._pages:
            self._start(executed_dir)

    def _start(self, executed_dir: Path) -> None:
        self._pool = start_workers(self.jobs, self._pages, executed_dir)
        self.pools_started += 1

    def discard_workers(self) -> None:
        """End the pool's kernels now."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.end()

    def close(self) -> None:
        """End the preview's kernels."""
        self.discard_workers()
