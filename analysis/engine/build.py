"""From parameter sets to a published book: the orchestration of one build.

``book/pages.yml`` lists the pages of the book in order (:mod:`~analysis.engine.pages`).
:func:`build` runs five stages, each given the frozen plan the first one makes
(:class:`~analysis.engine.planned.EnginePlan`) and returning a named result:

1. **plan** (:func:`_plan`): hashes the data package once
   (:class:`~analysis.contract.files.PackageFiles`), keeps the pages the package fills,
   checks every parameter set against its notebook's ``parameters`` cell, finds the
   pages whose cache key changed (:mod:`~analysis.engine.cache`) and the order they will
   run in. The plan the kernels read (:class:`~analysis.plan.BuildPlan`) is written into
   the build folder, and if pages are to run, the worker processes start warming their
   kernels (:mod:`~analysis.engine.execution`, :mod:`~analysis.engine.kernels`);
2. **validate** (:func:`_validate_stage`), meanwhile: the data package (stops with
   ``file:row:column`` messages);
3. **execute** (:func:`_execute`): lays out the book source, stamps the edition into the
   configuration, puts stand-ins where pages are still to come and starts
   ``jupyter-book build`` (warnings are errors, :class:`~analysis.engine.book.BookProcess`),
   which reads each of those pages only once it is final; executes the pages with
   papermill, in parallel, placing each executed notebook in the source as soon as it
   is done;
4. **assemble** (:func:`_assemble`): adds the Provenance page to the source and hashes
   it; when the published book is this one already, the build ends there ("book:
   unchanged");
5. **publish** (:func:`_publish`): lets the book build finish and, only when all of that
   succeeded, replaces ``_build/html`` with the new book, writes ``manifest.json``
   beside it and keeps the source as ``_build/source`` (:mod:`~analysis.engine.publish`).

Error handling (:func:`_attempt`) holds the build folder's lock around stages 2-5; a
failed build leaves the last good book as it was.

Nothing imported here loads pandas: the build plans its pages and starts the kernels
first, and imports the data-package reader only while they warm up.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from analysis import __version__, paths
from analysis import plan as build_plan
from analysis.contract.errors import InputError, inert
from analysis.contract.files import PackageFiles
from analysis.engine import lock as build_lock
from analysis.engine.book import (BookProcess, BookSource, PageStamp, complete_source,
                                  discard_kept_output, kept_sphinx_output, lay_out_source,
                                  place_notebook, stamp_kept_source, write_stand_ins)
from analysis.engine.cache import (PageResult, ValidationMemo, last_seconds, plan_pages,
                                   tree_hash)
from analysis.engine.errors import BuildError
from analysis.engine.execution import (execute_pages, schedule, validate_apart, worker_count,
                                       workers)
from analysis.engine.pages import (available_inputs, check_parameters, load_pages,
                                   select_pages)
from analysis.engine.planned import EnginePlan
from analysis.engine.provenance import (GENERATED_PAGES, Edition, code_hash, data_provenance,
                                        edition, package_versions)
from analysis.engine.publish import (copy_tables, copy_tree, keep_source, publish,
                                     read_manifest, releases, write_manifest,
                                     write_table_copies)
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
    planned = _plan(data_dir, jobs, force, build_root, pages_file, plain, session, say,
                    reuse_kernels, started)
    with _attempt(planned, session) as attempt:
        with workers(planned.pending, jobs, reuse_kernels, planned.executed_dir,
                     session) as pool:
            validated = _validate_stage(planned, say, session)
            executed = _execute(planned, validated, pool, attempt, say)
        assembled = _assemble(planned, executed, attempt.source)
        if assembled.unchanged:
            seconds = time.perf_counter() - started
            say(f"book: unchanged, {planned.html_dir / 'index.html'} ({seconds:.1f} s)")
            return BuildResult(planned.html_dir, planned.html_dir / "manifest.json",
                               assembled.outcome, seconds, book_rebuilt=False)
        published = _publish(planned, executed, assembled, attempt, say)
    seconds = time.perf_counter() - started
    say(f"book: {published.html / 'index.html'} ({seconds:.1f} s)")
    return BuildResult(published.html, published.manifest, assembled.outcome, seconds)


# ------------------------------------------------------------------ 1. plan


def _plan(data_dir, jobs: int, force: bool, build_root: Path | None, pages_file: Path,
          plain: bool, session, say, reuse_kernels: bool, started: float) -> EnginePlan:
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
    results, pending = plan_pages(pages, executed_dir, package.hashes, code, force,
                                  str(package.data_dir))
    scheduled = schedule(pending, {page.name: last_seconds(executed_dir, page.name)
                                   for page, _ in pending},
                         session.jobs if session else worker_count(jobs, pending))
    # The book build, started ahead, waits for these pages (and the generated ones).
    coming = scheduled.finish_order + [page.name for page in pages
                                       if page.name in GENERATED_PAGES]
    plan = BuildPlan(
        data_dir=str(package.data_dir), pages_file=str(Path(pages_file).resolve()),
        executed_dir=str(executed_dir), code=code, data_hashes=dict(package.hashes),
        data_stats=dict(package.stats), pages=tuple(page.name for page in pages),
        pending=tuple(coming) if scheduled.pending else (), plain=plain)
    return EnginePlan(plan, build_plan.plan_file(paths.build_dir(build_root)), package,
                      descriptor, pages, selection.left_out, results, scheduled.pending,
                      untouched, build_root, force, jobs, reuse_kernels, started,
                      scheduled.seconds)


# ------------------------------------------------------------------ error handling


@dataclass
class _Attempt:
    """What a running build holds and lets go of however it ends: the staging source and
    the jupyter-book build, once started."""

    planned: EnginePlan
    session: object | None
    source: BookSource
    book: BookProcess | None = None

    def start_book(self, ahead: bool = False) -> BookProcess:
        """Start the jupyter-book build of the staging source (see :func:`_book_process`)."""
        self.book = _book_process(self.source, self.planned.build_dir, self.session,
                                  self.planned.force, ahead=ahead,
                                  plan=self.planned.plan_path)
        return self.book


@contextmanager
def _attempt(planned: EnginePlan, session) -> Iterator[_Attempt]:
    """Hold the build folder for one build, with its plan in force; whatever happens
    inside, close the book build and the staging source afterwards. A build that fails
    leaves the last good book untouched and discards Sphinx's kept output (or tells the
    preview ``session``, which keeps its own)."""
    build_dir = planned.build_dir
    attempt = _Attempt(planned, session, BookSource(build_dir / ".staging"))
    lock = build_lock.hold(build_dir)  # one build at a time; stops naming the one running
    # The plan reaches the workers, the kernels and the book build as one file, which
    # they find through the environment they inherit (analysis.plan).
    planned.plan.write(planned.plan_path)
    if session is not None:
        session.begin(planned.plan, planned.pages)
    ok = False
    with build_plan.in_force(planned.plan_path):
        try:
            yield attempt
            ok = True  # also when the build returns early: the book was unchanged
        finally:
            if attempt.book is not None:
                attempt.book.close()
            shutil.rmtree(attempt.source.folder, ignore_errors=True)
            if session is not None:
                session.finished(ok, planned.executed_dir)
            elif not ok and attempt.book is not None:
                discard_kept_output(build_dir)
            lock.release()


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


# ------------------------------------------------------------------ 2. validate


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


def _validate_stage(planned: EnginePlan, say, session=None):
    """Validate the plan's package (see :func:`_validate`), in a short-lived process of
    its own when pages run (:func:`~analysis.engine.execution.validate_apart`)."""
    return validate_apart(_validate, planned.package, planned.plan, say, session)


# ------------------------------------------------------------------ 3. execute


@dataclass(frozen=True)
class _Executed:
    """The pages once executed: the edition they are stamped with and how each page of
    the book was produced."""

    stamp: Edition
    results: dict[str, PageResult]


def _execute(planned: EnginePlan, validated: _Validated, pool, attempt: _Attempt,
             say) -> _Executed:
    """Lay out the book source, start the book build ahead when pages run, and execute
    the pending pages in the workers, placing each in the source once executed."""
    for name, result in planned.results.items():
        if result.status == "reused":
            say(f"  reused    {name}")
    stamp = edition(planned.package)
    source, executed_dir = attempt.source, planned.executed_dir
    lay_out_source(planned.pages, source, stamp, planned.left_out, planned.descriptor)
    results = dict(planned.results)
    if planned.pending:
        # The book build reads the pages already executed and stand-ins for the rest,
        # in the order they are expected to finish (longest handed out first), each
        # once placed. In a preview it starts now, beside the session's warm kernels.
        # Otherwise it starts as soon as one kernel has run out of pages and ended:
        # Jupyter Book's process (about 130 MB) and two kernels (about 240 MB each) at
        # once would be most of a build's peak memory, while the last pages keep only
        # one core busy.
        coming = list(planned.plan.pending)
        for page in planned.pages:
            if page.notebook and page.name not in coming:
                place_notebook(page.name, executed_dir, source)
        write_stand_ins(source, coming, planned.pages)
        placed: list[str] = []

        def start_book() -> None:
            book = attempt.start_book(ahead=True)
            for name in placed:
                book.ready(name)

        def place(name: str) -> None:
            place_notebook(name, executed_dir, source)
            placed.append(name)
            if attempt.book is not None:
                attempt.book.ready(name)

        if attempt.session is not None:
            start_book()
        validated.save_for_pages(planned.plan.validated_package())
        results.update(execute_pages(pool, planned, say, on_executed=place,
                                     on_kernel_ended=None if attempt.book else start_book))
    return _Executed(stamp, results)


# ------------------------------------------------------------------ 4. assemble


@dataclass(frozen=True)
class _Assembled:
    """The complete book source: its provenance record, its hash, how each page was
    produced, and whether the published book is this one already."""

    record: dict
    source_sha: str
    outcome: list[PageResult]
    unchanged: bool


def _assemble(planned: EnginePlan, executed: _Executed, source: BookSource) -> _Assembled:
    """Add the generated pages (Provenance) to the source and hash it."""
    plan, pages, results = planned.plan, planned.pages, executed.results
    record = {
        "book": "CEN evidence-synthesis book",
        "version": __version__,
        "edition": executed.stamp.as_dict(),
        "data": data_provenance(planned.package),
        "packages": package_versions(),
        "code_sha256": plan.code,
        "pages": [asdict(results[p.name]) for p in pages],
        "left_out": [item.as_dict() for item in planned.left_out],
        "releases": releases(),
    }
    generated = {name: render(record) for name, render in GENERATED_PAGES.items()
                 if name in plan.pages}
    complete_source(pages, planned.executed_dir, source, generated)
    # The stamp is not in the source Sphinx reads (analysis.engine.book.STAMP_MARK)
    # but it is part of the book: a new stamp is a new book.
    source_sha = hashlib.sha256(
        f"{tree_hash(source.folder)} {executed.stamp.footer()}".encode()).hexdigest()
    previous = read_manifest(planned.html_dir)
    unchanged = (not planned.force and not planned.pending
                 and previous.get("book_source_sha256") == source_sha
                 and not build_lock.disagreements(planned.html_dir, previous))
    return _Assembled(record, source_sha, [results[p.name] for p in pages], unchanged)


# ------------------------------------------------------------------ 5. publish


@dataclass(frozen=True)
class _Published:
    """Where the new book and its manifest are."""

    html: Path
    manifest: Path


def _publish(planned: EnginePlan, executed: _Executed, assembled: _Assembled,
             attempt: _Attempt, say) -> _Published:
    """Let the book build finish, stamp the pages, write the manifest and, only when the
    book agrees with it, replace the published book and keep the source."""
    build_dir, html_dir, untouched = planned.build_dir, planned.html_dir, planned.untouched
    stamp = executed.stamp
    say("book: jupyter-book build (warnings are errors)")
    book = attempt.book or attempt.start_book()
    # While the book is written:
    write_table_copies(planned.pages, planned.executed_dir, html_dir / "tables")
    built = book.finish(untouched)
    # Sphinx's output is kept for the next build: the book published is a stamped copy,
    # sharing the files the published book has already (publish.copy_tree).
    shutil.rmtree(build_dir / "html.new", ignore_errors=True)
    stamper = PageStamp(stamp)
    new_html = copy_tree(built, build_dir / "html.new", html_dir, stamper)
    if stamper.stamped < len(planned.pages):
        raise BuildError(f"only {stamper.stamped} of the book's {len(planned.pages)} pages "
                         f"carry the edition stamp\n{untouched}")
    manifest = {
        **assembled.record,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "book_source_sha256": assembled.source_sha,
        # From the moment the source was complete: Jupyter Book's start-up may
        # have overlapped the notebooks.
        "jupyter_book_seconds": round(book.seconds_after_release, 2),
        "build_seconds": round(time.perf_counter() - planned.started, 2),
        "tables": copy_tables(planned.pages, planned.executed_dir, new_html / "tables",
                              html_dir / "tables"),
    }
    write_manifest(new_html, manifest)
    wrong = build_lock.disagreements(new_html, manifest)
    if wrong:  # never publish a book whose files disagree with its manifest
        raise BuildError("the new book disagrees with its manifest: "
                         + "; ".join(wrong) + f"\n{untouched}")
    publish(new_html, html_dir)
    stamp_kept_source(attempt.source, stamp)
    keep_source(attempt.source, paths.book_source_dir(planned.build_root))
    return _Published(html_dir, html_dir / "manifest.json")


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
