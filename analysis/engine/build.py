"""From parameter sets to a published book: the orchestration of one build.

``book/pages.yml`` lists the pages of the book in order (:mod:`~analysis.engine.pages`).
:func:`build`:

1. plans the build once (:func:`_plan`): hashes the data package once
   (:class:`~analysis.contract.files.PackageFiles`), keeps the pages the package fills,
   finds the pages whose cache key changed (:mod:`~analysis.engine.cache`) and the order
   they will run in, and writes the plan (:class:`~analysis.plan.BuildPlan`) into the
   build folder, where the workers, the kernels and the book build read it; if pages
   are to run, starts the worker processes warming their kernels
   (:mod:`~analysis.engine.execution`, :mod:`~analysis.engine.kernels`);
2. meanwhile checks every parameter set against its notebook's ``parameters`` cell and
   validates the data package (stops with ``file:row:column`` messages);
3. lays out the book source, stamps the edition into the configuration, puts stand-ins
   where pages are still to come and starts ``jupyter-book build`` (warnings are
   errors, :class:`~analysis.engine.book.BookProcess`), which reads each of those pages
   only once it is final;
4. executes the pages with papermill, in parallel, placing each executed notebook in
   the source as soon as it is done;
5. adds the Provenance page to the source and lets the book build finish;
6. only when all of that succeeded, replaces ``_build/html`` with the new book, writes
   ``manifest.json`` beside it and keeps the source as ``_build/source``
   (:mod:`~analysis.engine.publish`). A failed build leaves the last good book as it was.

Nothing imported here loads pandas: the build plans its pages and starts the kernels
first, and imports the data-package reader only while they warm up.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from analysis import __version__, paths
from analysis import plan as build_plan
from analysis.contract.errors import InputError, inert
from analysis.contract.files import PackageFiles
from analysis.engine import lock as build_lock
from analysis.engine.book import (BookProcess, BookSource, complete_source, discard_kept_output,
                                  kept_sphinx_output, lay_out_source,
                                  place_notebook, stamp_kept_source, stamp_pages,
                                  write_stand_ins)
from analysis.engine.cache import (PageResult, ValidationMemo, last_seconds, plan_pages,
                                   tree_hash)
from analysis.engine.errors import BuildError
from analysis.engine.execution import execute_pages, schedule, worker_count, workers
from analysis.engine.pages import available_inputs, check_parameters, load_pages, select_pages
from analysis.engine.provenance import (GENERATED_PAGES, code_hash, data_provenance, edition,
                                        package_versions)
from analysis.engine.publish import (copy_tables, keep_source, publish, read_manifest,
                                     releases, write_manifest)
from analysis.pages.page import Page
from analysis.plan import BuildPlan

__all__ = ["BuildError", "BuildResult", "build"]


@dataclass
class BuildResult:
    """What a build produced (``book_rebuilt`` is False when nothing had changed)."""

    html: Path
    manifest: Path
    pages: list[PageResult]
    seconds: float
    book_rebuilt: bool = True


def build(data_dir: str | Path | None = None, jobs: int = 2, force: bool = False,
          build_root: Path | None = None, pages_file: Path = paths.PAGES,
          say: Callable[[str], None] = print, reuse_kernels: bool = True,
          plain: bool = False, session=None) -> BuildResult:
    """Execute the notebooks and build the book.

    Parameters
    ----------
    data_dir : str or Path, optional
        Data package to build on; the bundled synthetic data by default.
    jobs : int
        Notebooks executed at once (two suit a 2-core machine).
    force : bool
        Re-execute every notebook and rebuild the book even when nothing changed.
    build_root : Path, optional
        Folder that receives ``_build`` (the project root by default; tests use a
        temporary one).
    pages_file : Path
        The parameter sets.
    say : callable
        Where progress lines go.
    reuse_kernels : bool
        Each worker keeps one kernel for its pages (see
        :func:`analysis.engine.kernels.execute_page`); False gives every page a kernel of
        its own.
    plain : bool
        Build without the speed-ups that rely on other libraries' private internals
        (:mod:`analysis.engine.internals`): the same book, a little slower.
    session : analysis.engine.session.PreviewSession, optional
        What a preview keeps between its builds (warm workers, Sphinx's output): the
        same book, sooner after a change.

    Raises
    ------
    DataPackageError
        The data package does not meet the contract.
    BuildError
        A parameter set, a notebook or the book build failed. In every failure the
        previously published book is left untouched.
    """
    started = time.perf_counter()
    tell = say
    say = lambda line: tell(inert(line))  # noqa: E731 - lines quote titles and folders
    _compile_analysis()
    planned = _plan(data_dir, jobs, force, build_root, pages_file, plain, session, say)
    plan, package, pages = planned.plan, planned.package, planned.pages
    results, pending, untouched = planned.results, planned.pending, planned.untouched
    html_dir, executed_dir = paths.html_dir(build_root), Path(plan.executed_dir)
    build_dir = paths.build_dir(build_root)
    source = BookSource(build_dir / ".staging")
    book = None  # the jupyter-book build, started ahead when notebooks run
    lock = build_lock.hold(build_dir)  # one build at a time; stops naming the one running
    # The plan reaches the workers, the kernels and the book build as one file, which
    # they find through the environment they inherit (analysis.plan).
    plan_path = plan.write(build_plan.plan_file(build_dir))
    if session is not None:
        session.begin(plan, pages)
    ok = False
    with build_plan.in_force(plan_path):
        try:
            with workers(pending, jobs, reuse_kernels, executed_dir, session) as pool:
                validated = _validate(package, executed_dir, plan.code, say)
                for name, result in results.items():
                    if result.status == "reused":
                        say(f"  reused    {name}")
                stamp = edition(package)
                lay_out_source(pages, source, stamp, planned.left_out, planned.descriptor)
                if pending:
                    # The book build starts now, on the pages already executed and
                    # stand-ins for the rest, and reads them in the order they are
                    # expected to finish (longest handed out first), each once placed.
                    coming = list(plan.pending)
                    for page in pages:
                        if page.notebook and page.name not in coming:
                            place_notebook(page.name, executed_dir, source)
                    write_stand_ins(source, coming, pages)
                    book = _book_process(source, build_dir, session, force, ahead=True,
                                         plan=plan_path)

                    def place(name: str) -> None:
                        place_notebook(name, executed_dir, source)
                        book.ready(name)

                    validated.save_for_pages(plan.validated_package())
                    execute_pages(pool, pending, plan, plan_path, results, say, untouched,
                                  reuse_kernels, on_executed=place)

            record = {
                "book": "CEN evidence-synthesis book",
                "version": __version__,
                "edition": stamp.as_dict(),
                "data": data_provenance(package),
                "packages": package_versions(),
                "code_sha256": plan.code,
                "pages": [asdict(results[p.name]) for p in pages],
                "left_out": [item.as_dict() for item in planned.left_out],
                "releases": releases(),
            }
            generated = {name: render(record) for name, render in GENERATED_PAGES.items()
                         if name in plan.pages}
            complete_source(pages, executed_dir, source, generated)
            # The stamp is not in the source Sphinx reads (analysis.engine.book.STAMP_MARK)
            # but it is part of the book: a new stamp is a new book.
            source_sha = hashlib.sha256(
                f"{tree_hash(source.folder)} {stamp.footer()}".encode()).hexdigest()

            outcome = [results[p.name] for p in pages]
            previous = read_manifest(html_dir)
            if (not force and not pending and previous.get("book_source_sha256") == source_sha
                    and not build_lock.disagreements(html_dir, previous)):
                seconds = time.perf_counter() - started
                say(f"book: unchanged, {html_dir / 'index.html'} ({seconds:.1f} s)")
                ok = True
                return BuildResult(html_dir, html_dir / "manifest.json", outcome, seconds,
                                   book_rebuilt=False)

            say("book: jupyter-book build (warnings are errors)")
            if book is None:
                book = _book_process(source, build_dir, session, force, plan=plan_path)
            new_html = book.finish(untouched)
            # Sphinx's output is kept for the next build: the book published is a copy.
            shutil.rmtree(build_dir / "html.new", ignore_errors=True)
            new_html = Path(shutil.copytree(new_html, build_dir / "html.new"))
            stamped = stamp_pages(new_html, stamp)
            if stamped < len(pages):
                raise BuildError(f"only {stamped} of the book's {len(pages)} pages carry the "
                                 f"edition stamp\n{untouched}")
            manifest = {
                **record,
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "book_source_sha256": source_sha,
                # From the moment the source was complete: Jupyter Book's start-up may
                # have overlapped the notebooks.
                "jupyter_book_seconds": round(book.seconds_after_release, 2),
                "build_seconds": round(time.perf_counter() - started, 2),
                "tables": copy_tables(pages, executed_dir, new_html / "tables"),
            }
            write_manifest(new_html, manifest)
            wrong = build_lock.disagreements(new_html, manifest)
            if wrong:  # never publish a book whose files disagree with its manifest
                raise BuildError("the new book disagrees with its manifest: "
                                 + "; ".join(wrong) + f"\n{untouched}")
            publish(new_html, html_dir)
            stamp_kept_source(source, stamp)
            keep_source(source, paths.book_source_dir(build_root))
            ok = True
        finally:
            if book is not None:
                book.close()
            shutil.rmtree(source.folder, ignore_errors=True)
            if session is not None:
                session.finished(ok, executed_dir)
            elif not ok and book is not None:
                discard_kept_output(build_dir)
            lock.release()
    seconds = time.perf_counter() - started
    say(f"book: {html_dir / 'index.html'} ({seconds:.1f} s)")
    return BuildResult(html_dir, html_dir / "manifest.json", outcome, seconds)


@dataclass(frozen=True)
class _Planned:
    """The build's plan (what the kernels read), with what only the engine needs: the
    package's files, the pages as parameter sets, the pages left out and the cache's
    verdict on every page."""

    plan: BuildPlan
    package: PackageFiles
    descriptor: dict
    pages: list[Page]
    left_out: list
    results: dict[str, PageResult]  # the pages reused; the build adds those it executes
    pending: list  # (Page, reason), in the order they are handed to the workers
    untouched: str  # what a failure says of the last good book


def _plan(data_dir, jobs: int, force: bool, build_root: Path | None, pages_file: Path,
          plain: bool, session, say) -> _Planned:
    """Plan a build from the command's arguments: hash the package once, keep the pages
    it can fill, check their parameters and ask the cache which pages must run, in which
    order. Nothing is started and nothing in the build folder is written but the
    executed notebooks' folder."""
    package = PackageFiles.at(data_dir)
    html_dir = paths.html_dir(build_root)
    untouched = (f"The last good book ({html_dir / 'index.html'}) is untouched."
                 if html_dir.exists() else "No book was published.")
    executed_dir = paths.executed_dir(build_root)
    executed_dir.mkdir(parents=True, exist_ok=True)
    code = code_hash()
    # The pages the package has the tables for; the rest are left out, and said so.
    descriptor = package.descriptor()  # read once: the pages and the book's title
    selection = select_pages(load_pages(pages_file),
                             available_inputs(descriptor, package.data_dir))
    pages = selection.pages
    for item in selection.left_out:
        say(f"left out: {item.label} ({item.reason})")
    problems = check_parameters(pages, build_root)  # before any worker or kernel starts
    if problems:
        raise InputError("\n".join(problems) + f"\n{untouched}")
    results, pending = plan_pages(pages, executed_dir, package.hashes, code, force)
    scheduled = schedule(pending, {page.name: last_seconds(executed_dir, page.name)
                                   for page, _ in pending},
                         session.jobs if session else worker_count(jobs, pending))
    # The book build, started ahead, waits for these pages (and the generated ones).
    coming = scheduled.finish_order + [page.name for page in pages
                                       if page.name in GENERATED_PAGES]
    plan = BuildPlan(
        data_dir=str(package.data_dir), pages_file=str(Path(pages_file).resolve()),
        executed_dir=str(executed_dir), code=code, data_hashes=dict(package.hashes),
        pages=tuple(page.name for page in pages),
        pending=tuple(coming) if scheduled.pending else (), plain=plain)
    return _Planned(plan, package, descriptor, pages, selection.left_out, results,
                    scheduled.pending, untouched)


def _book_process(source: BookSource, build_dir: Path, session, force: bool = False,
                  ahead: bool = False, plan: Path | None = None) -> BookProcess:
    """The jupyter-book build of ``source`` into the Sphinx output kept between builds:
    the build folder's (:func:`~analysis.engine.book.kept_sphinx_output`), or a preview
    session's."""
    toc_text = (source.pages / "_toc.yml").read_text(encoding="utf-8")
    if session is None:
        output = kept_sphinx_output(build_dir, toc_text, force)
    else:
        output = session.sphinx_output_for(toc_text)
    return BookProcess(source, output, build_dir / "jupyter-book.log", ahead=ahead,
                       plan=plan, keep=True)


@dataclass
class _Validated:
    """The data package once the build has found it valid (read only when needed)."""

    package: PackageFiles
    typed: object | None  # the DataPackage, when this build validated it

    def save_for_pages(self, path: Path) -> None:
        """Store the typed package for the pages, which then need not validate again."""
        from analysis.contract.validation import save_validated
        from analysis.engine.pages import load_package

        save_validated(self.typed or load_package(self.package.data_dir), path,
                       self.package.fingerprint)


def _validate(package: PackageFiles, executed_dir: Path, code: str, say) -> _Validated:
    """Validate the package unless the same bytes passed with the same code before."""
    # Imported here, while the kernels warm up: the data-package reader loads pandas.
    from analysis.engine.pages import load_package

    memo = ValidationMemo.of(executed_dir, package.data_dir, package.hashes, code)
    typed = None
    if not memo.passed_before():
        typed = load_package(package.data_dir)  # raises DataPackageError with every problem
        memo.remember(typed.warnings)
    warnings = typed.warnings if typed is not None else memo.warnings()
    say(f"data: {package.data_dir} is valid{' (synthetic)' if package.synthetic else ''}"
        + (f", after {len(warnings)} normalisation(s):" if warnings else ""))
    for warning in warnings:
        say(f"  warning: {warning}")
    return _Validated(package, typed)


def _compile_analysis() -> None:
    """Bring the bytecode of ``analysis`` up to date before any kernel imports it.

    Every kernel imports ``analysis``; where Python may not write bytecode itself
    (``PYTHONDONTWRITEBYTECODE``, as on the project's build machines), each would
    compile the package's source again, about half a second of processor time per
    kernel. Installed packages come compiled by pip; this does the same for the one
    package installed in editable mode. Only changed modules are compiled; a folder
    that cannot be written is left as it is.
    """
    import compileall

    compileall.compile_dir(paths.PACKAGE, quiet=2)
