"""The Jupyter Book source of an edition and the ``jupyter-book build`` that turns it into HTML.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis import paths
from analysis import plan as build_plan
from analysis.engine import site
from analysis.engine.book_hooks import GO, READY
from analysis.engine.errors import BuildError, is_out_of_space, out_of_space
from analysis.engine.book_hooks import LEFT_OUT_KEY
from analysis.engine.pages import toc
from analysis.pages.page import Page, read_pages


BUILD_COMMAND = ["-W", "-n", "--keep-going"]


EMPTY_NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


LOWER_PRIORITY = 10  # niceness of a jupyter-book build started ahead (BookProcess)


# Where the edition stamp goes in every page. Sphinx sees only this mark, the same in
# every edition; the stamp is written into the built pages (stamp_pages) and into the
# kept source (stamp_kept_source). A stamp in Sphinx's configuration would make a new
# data fingerprint a change of configuration, for which Sphinx rewrites every page: a
# preview that keeps Sphinx's output between builds (analysis.engine.session) then
# writes only the pages whose notebooks ran again.
STAMP_MARK = "@@cen-edition-stamp@@"


def book_config(stamp, pages: Sequence[Page] = (), left_out: Iterable[str] = (),
                descriptor: dict[str, Any] | None = None) -> dict[str, Any]:
    """``_config.yml`` with the edition stamped into every page, and the notebook
    template each of ``pages`` renders (for its launch buttons, :mod:`analysis.engine.site`).

    The title is the package's own (``study.title``) when it declares one; the pages
    left out are named for :mod:`analysis.engine.book_hooks`, which turns a link to one
    of them into its plain text instead of a broken link.
    """
    config = yaml.safe_load(paths.CONFIG.read_text(encoding="utf-8"))
    study = (descriptor or {}).get("study", {})
    if isinstance(study, dict) and isinstance(study.get("title"), str) and study["title"]:
        # One line of text; the theme's templates print it escaped (analysis.engine.site).
        config["title"] = " ".join(study["title"].split())
    # Inert in a plain jupyter-book build; see BookProcess.
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("extra_extensions", []).append("analysis.engine.book_hooks")
    sphinx.setdefault("config", {})[site.FINGERPRINT_KEY] = site.fingerprint()
    sphinx["config"][LEFT_OUT_KEY] = sorted(left_out)
    sphinx["config"][site.TEMPLATES_KEY] = {page.name: page.notebook for page in pages
                                            if page.notebook}
    # Jupyter Book maps these two html keys to theme options on every page.
    html = config.setdefault("html", {})
    html["extra_footer"] = f'<p class="edition-stamp">{STAMP_MARK}</p>'
    if stamp.synthetic:
        html["announcement"] = (
            "Synthetic data: every number in this edition is computed from invented rows "
            "calibrated to published figures, not from the studies' real data.")
    return config


class PageStamp:
    """The edition stamp written into the HTML pages of a built book as they pass
    through it (see :func:`analysis.engine.publish.copy_tree`), counting the pages.

    Every page carries its mark (``book_config``), and a page without it would be a
    book that does not say which edition it is: the build checks the count
    (``stamped``).
    """

    def __init__(self, stamp):
        self.mark, self.footer = STAMP_MARK.encode(), stamp.footer().encode("utf-8")
        self.stamped = 0

    def __call__(self, relative: Path, data: bytes) -> bytes:
        if relative.suffix == ".html" and self.mark in data:
            self.stamped += 1
            return data.replace(self.mark, self.footer)
        return data


def stamp_pages(html_dir: Path, stamp) -> int:
    """Write the edition stamp into the pages of a built book; returns how many had its mark."""
    stamper = PageStamp(stamp)
    for page in html_dir.rglob("*.html"):
        text = page.read_bytes()
        stamped = stamper(page.relative_to(html_dir), text)
        if stamped is not text:
            page.write_bytes(stamped)
    return stamper.stamped


def stamp_kept_source(source: BookSource, stamp) -> None:
    """Write the edition stamp into a source's configuration, so that ``jupyter-book
    build`` alone builds from it the book as published."""
    config = yaml.safe_load(source.config.read_text(encoding="utf-8"))
    html = config["html"]
    html["extra_footer"] = html["extra_footer"].replace(STAMP_MARK, stamp.footer())
    source.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def _jupyter_book() -> list[str]:
    local = Path(sys.executable).parent / "jupyter-book"
    return [str(local)] if local.exists() else ["jupyter-book"]


def _sphinx_problems(log: str) -> list[str]:
    """The lines of a Sphinx log that say what went wrong (colour codes removed)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in log.splitlines()]
    found = []
    for i, line in enumerate(lines):
        if "WARNING" in line or "ERROR" in line:
            found.append(line)
        elif line.startswith(("Sphinx error", "Extension error")) and i + 1 < len(lines):
            found.append(f"{line} {lines[i + 1]}")
    return found


@dataclass(frozen=True)
class BookSource:
    """The folder Jupyter Book builds: the pages in ``book/``, ``_config.yml`` beside it.

    A successful build keeps it as ``_build/source``: the exact source of the
    published book, which ``jupyter-book build`` alone rebuilds (the benchmark does).
    """

    folder: Path

    @property
    def pages(self) -> Path:
        return self.folder / "book"

    @property
    def config(self) -> Path:
        return self.folder / "_config.yml"

    def command(self, output: Path) -> list[str]:
        """The ``jupyter-book build`` command that writes ``output/_build/html``."""
        return _jupyter_book() + ["build", str(self.pages), "--config", str(self.config),
                                  "--toc", str(self.pages / "_toc.yml"), "--path-output",
                                  str(output), *BUILD_COMMAND]


def lay_out_source(pages: list[Page], source: BookSource, stamp, left_out=(),
                   descriptor: dict[str, Any] | None = None) -> None:
    """What the book source needs before any notebook has run: the Markdown pages and
    bibliography of ``book/``, the table of contents and the stamped configuration."""
    shutil.rmtree(source.folder, ignore_errors=True)
    source.pages.mkdir(parents=True)
    for item in paths.BOOK.iterdir():
        if item.suffix in (".md", ".bib") or item.name == "_static":
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, source.pages / item.name)
    (source.pages / "_toc.yml").write_text(yaml.safe_dump(toc(pages), sort_keys=False))
    shown = {page.name for page in pages}
    for item in left_out:  # a left-out Markdown page is not part of the book
        (source.pages / f"{item.name}.md").unlink(missing_ok=True)
    for item in paths.BOOK.glob("*.md"):  # nor is a Markdown page pages.yml does not list
        if item.stem not in shown:
            (source.pages / item.name).unlink(missing_ok=True)
    # Links to a page this book does not have (left out for want of its tables, or not
    # in the pages file it was built from) read as their words.
    known = ({p.name for p in read_pages(paths.PAGES)}
             | {p.stem for p in paths.NOTEBOOKS.glob("*.ipynb")}
             | {item.name for item in left_out})
    config = book_config(stamp, pages, sorted(known - shown), descriptor)
    source.config.write_text(yaml.safe_dump(config, sort_keys=False))


def place_notebook(name: str, executed_dir: Path, source: BookSource) -> None:
    """Put a page's executed notebook into the source in one step.

    A build started ahead may open the file at any moment: it must find either the
    stand-in or the whole notebook, never half of one.
    """
    target = source.pages / f"{name}.ipynb"
    partial = target.with_name(f".{target.name}.partial")
    shutil.copy2(executed_dir / f"{name}.ipynb", partial)
    partial.replace(target)


def write_stand_ins(source: BookSource, names: list[str], pages: list[Page]) -> None:
    """Files for the pages still to come, so that the build started ahead finds them.

    Sphinx lists a book's pages from its files before it reads any; the build waits
    for each of these to be final before reading it (:mod:`analysis.engine.book_hooks`).
    """
    notebooks = {page.name for page in pages if page.notebook}
    for name in names:
        if name in notebooks:
            (source.pages / f"{name}.ipynb").write_text(EMPTY_NOTEBOOK, encoding="utf-8")
        else:
            (source.pages / f"{name}.md").write_text("", encoding="utf-8")


def complete_source(pages: list[Page], executed_dir: Path, source: BookSource,
                     generated: dict[str, str]) -> None:
    """Add the executed notebooks and the generated pages (Provenance) to the source."""
    for page in pages:
        if page.notebook:
            place_notebook(page.name, executed_dir, source)
    for name, text in generated.items():
        partial = source.pages / f".{name}.md.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(source.pages / f"{name}.md")


KEPT_OUTPUT = "jupyter-book"  # Sphinx's output a build keeps for the next (in _build/)
KEPT_FOR = ".kept-for"  # in it: what the kept output was built with


def kept_sphinx_output(build_dir: Path, toc_text: str, force: bool = False) -> Path:
    """Sphinx's output folder (environment, doctrees, HTML) that one build keeps for the
    next, so that a rebuild reads and writes only the pages whose files changed, as a
    preview's session does (:mod:`analysis.engine.session`).

    The folder is emptied first when anything Sphinx does not track itself may have
    changed what it wrote: the pages of the book (Sphinx keeps the HTML of a page that
    left it), the engine's code (its Sphinx extensions and templates), the locked
    dependencies, and on ``force``. Sphinx itself notices a changed configuration and a
    changed source file. After a failed build the caller removes the folder
    (:func:`discard_kept_output`): nothing a failed build wrote is trusted.
    """
    from analysis.engine.cache import tree_hash

    output = build_dir / KEPT_OUTPUT
    marker = output / KEPT_FOR
    lock = paths.ROOT / "requirements.lock"
    built_with = "\n".join([
        tree_hash(paths.PACKAGE / "engine"),
        lock.read_text(encoding="utf-8") if lock.exists() else "",
        toc_text])
    if force or not marker.exists() or marker.read_text(encoding="utf-8") != built_with:
        shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True, exist_ok=True)
    marker.write_text(built_with, encoding="utf-8")
    return output


def discard_kept_output(build_dir: Path) -> None:
    """Remove the Sphinx output kept between builds (after a failed build)."""
    shutil.rmtree(build_dir / KEPT_OUTPUT, ignore_errors=True)


class BookProcess:
    """One ``jupyter-book build`` of a :class:`BookSource`, driven through
    :mod:`analysis.engine.book_hooks`.

    Started ``ahead``, while the notebooks still execute, with the pages the build's
    ``plan`` file names as pending (stand-in files in the source, in the order they are
    expected; :mod:`analysis.plan`), Jupyter Book's
    start-up overlaps the notebooks, and it reads each pending page once :meth:`ready`
    says its file is final. It then runs at a lower priority, so that it takes only the
    processor time the notebooks leave. :meth:`release` says that the whole source is
    final. :meth:`close` ends a build that is not wanted (a page failed) and removes
    what it wrote but the published book.

    With ``keep`` the output folder (Sphinx's environment, doctrees and HTML) is neither
    removed before the build nor after it: Sphinx then reads and writes only the pages
    whose files changed since the last build into it (the preview's session).
    """

    def __init__(self, source: BookSource, output: Path, log_file: Path, ahead: bool = False,
                 plan: Path | None = None, keep: bool = False):
        self.source = source
        self.output = output
        self.log_file = log_file
        self.keep = keep
        self.held = True
        if not keep:
            shutil.rmtree(output, ignore_errors=True)
        with open(log_file, "w") as log:
            self.process = subprocess.Popen(
                source.command(output), stdin=subprocess.PIPE, stdout=log,
                stderr=subprocess.STDOUT, text=True,
                env=build_plan.environment(plan, PYTHONWARNINGS="ignore"))
        if ahead:
            # Set from here, not in the child before it starts: the worker threads of
            # this process make a function run between fork and exec unsafe.
            os.setpriority(os.PRIO_PROCESS, self.process.pid, LOWER_PRIORITY)
        else:
            self.release()

    def _say(self, line: str) -> None:
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # the build has stopped reading (ended, or failed): finish() reports it

    def ready(self, page: str) -> None:
        """Let the build read ``page``: its file in the source is final."""
        if self.held:
            self._say(f"{READY} {page}")

    def release(self) -> None:
        """Let the build read every page and write the book: the source is final."""
        if self.held:
            self._say(GO)
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
            self.held = False
            self.released_at = time.perf_counter()

    def close(self) -> None:
        """End the build if it is still running; remove its output but the published book."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if not self.process.stdin.closed:
            # Lines said to a build that had already stopped may still wait in the
            # buffer; closing tries to send them again.
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        if not self.keep:
            shutil.rmtree(self.output, ignore_errors=True)

    def finish(self, untouched: str) -> Path:
        """Release the build, wait for it and return its HTML folder.

        Raises
        ------
        BuildError
            Jupyter Book failed or warned; the message quotes the warnings and errors.
        """
        self.release()
        returncode = self.process.wait()
        log = self.log_file.read_text()
        html = self.output / "_build" / "html"
        if returncode != 0 and is_out_of_space(log):
            raise out_of_space(self.output, untouched)
        if returncode != 0 or not (html / "index.html").exists():
            # Pages are named as the book names them (intro.md, quality.ipynb): the
            # staging folder in the log is gone once the build has stopped.
            shown = "\n".join(f"  {line.replace(f'{self.source.pages}{os.sep}', '')}"
                               for line in _sphinx_problems(log)[:30])
            raise BuildError(f"jupyter-book build failed:\n{shown}\n  full log: {self.log_file}\n"
                             f"{untouched}")
        return html

    @property
    def seconds_after_release(self) -> float:
        return time.perf_counter() - self.released_at
