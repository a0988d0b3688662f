"""Executing the pending pages from the main process, each kernel driven by a thread.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import paths
from analysis.engine.cache import PageResult, record_execution
from analysis.engine.errors import BuildError, is_out_of_space, out_of_space
from analysis.engine.kernels import (execute_page, kill_kernels, page_imports, shutdown_kernel,
                                     warm_up, without_pyarrow)
from analysis.engine.planned import EnginePlan
from analysis.pages.page import Page
from analysis.plan import BuildPlan, channel

if TYPE_CHECKING:
    from analysis.contract.files import PackageFiles


@dataclass(frozen=True)
class Schedule:
    """The order the pending pages are handed to the workers, and the order in which
    they are expected to finish (the order the book build started ahead reads them)."""

    pending: list  # (Page, reason), in the order they are submitted
    finish_order: list[str]
    seconds: dict[str, float]  # how long each page is expected to take


def schedule(pending: list, seconds: dict[str, float | None], workers: int) -> Schedule:
    """Hand the longest pages out first and predict the order they finish in.

    Longest-processing-time-first list scheduling (Graham 1969) keeps a long page
    (the multiverse) from starting last and running alone while the other worker idles.
    ``seconds`` holds each page's last execution time; a page never timed keeps its
    place in the book's order ahead of the timed ones, so that a build from nothing
    runs the pages in the book's order, as before. The finish order comes from
    simulating the workers with those times.

    References
    ----------
    Graham, R. L. (1969). Bounds on multiprocessing timing anomalies. *SIAM Journal on
    Applied Mathematics*, 17(2), 416-429.
    """
    timed = {page.name: seconds[page.name] for page, _ in pending
             if seconds.get(page.name) is not None}
    ordered = ([item for item in pending if item[0].name not in timed]
               + sorted((item for item in pending if item[0].name in timed),
                        key=lambda item: -timed[item[0].name]))
    known = sorted(timed.values())
    guess = known[len(known) // 2] if known else 1.0  # for a page never timed
    expected = {page.name: timed.get(page.name, guess) for page, _ in ordered}
    free = [0.0] * max(1, workers)
    finish = []
    for position, (page, _) in enumerate(ordered):
        worker = free.index(min(free))
        free[worker] += expected[page.name]
        finish.append((free[worker], position, page.name))
    return Schedule(ordered, [name for _, _, name in sorted(finish)], expected)


class KernelThreads:
    """``count`` threads of this process, each driving one Jupyter kernel through the
    pages handed to it (:func:`~analysis.engine.kernels.execute_page`).

    A thread spends a page waiting for its kernel's messages, so threads of the main
    process drive the kernels as well as processes of their own did, without a copy of
    papermill, nbclient and jupyter_client in each (about 58 MB a worker process).
    Pages are taken in the order they are submitted (:meth:`submit`), each by the first
    thread free. With ``warm`` (the pages' import lines) every thread first starts its
    kernel and runs them (:func:`~analysis.engine.kernels.warm_up`), its start-up
    chatter logged to ``kernel-N.log`` in ``executed_dir``.

    A thread shuts its own kernel down when no page is left for it: once the pages of a
    build are all handed out (:meth:`close`), or when the pool shuts down
    (:meth:`shutdown`); a kernel manager belongs to the event loop of the thread that
    started it. :attr:`first_ended` is done once the first thread has ended its kernel.
    :meth:`end` stops a build at once: queued pages are cancelled and the kernels killed,
    which frees a thread waiting in the middle of a page.
    """

    def __init__(self, count: int, warm: str | None, executed_dir: Path):
        self.first_ended: Future = Future()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._queued_seconds = 0.0  # the expected seconds of the pages not yet taken
        self._retire_at: float | None = None
        self._retired = False
        self._threads = [
            threading.Thread(target=self._serve, name=f"kernel-{i + 1}", daemon=True,
                             args=(warm, str(executed_dir / f"kernel-{i + 1}.log")))
            for i in range(max(1, count))]
        for thread in self._threads:
            thread.start()

    def submit(self, function: Callable, *args, seconds: float = 0.0) -> Future:
        """Run ``function(*args)`` in the first thread free, expected to take
        ``seconds``; its outcome as a future."""
        future: Future = Future()
        with self._lock:
            self._queued_seconds += seconds
        self._tasks.put((future, function, args, seconds))
        return future

    def _retiring(self) -> bool:
        """Whether this thread ends its kernel now, leaving the pages queued to the
        others (see :meth:`close`)."""
        with self._lock:
            if (self._retire_at is None or self._retired or len(self._threads) < 2
                    or self._queued_seconds > self._retire_at):
                return False
            self._retired = True
            return True

    def _serve(self, warm: str | None, log: str) -> None:
        try:
            if warm is not None:
                warm_up(warm, log)
            while not self._retiring() and (task := self._tasks.get()) is not None:
                future, function, args, seconds = task
                with self._lock:
                    self._queued_seconds -= seconds
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(function(*args))
                except BaseException as exc:  # the caller reads it from the future
                    future.set_exception(exc)
        finally:
            with contextlib.suppress(Exception):  # a killed kernel has nothing to shut
                shutdown_kernel()
            with contextlib.suppress(InvalidStateError):  # another thread ended first
                self.first_ended.set_result(threading.current_thread().name)

    def close(self, retire_one_at: float | None = None) -> None:
        """No more pages will come: each thread ends its kernel once the queue is empty.

        With ``retire_one_at``, the first thread to find no more than that many seconds
        of pages queued ends its kernel then, leaving them to the others: what follows
        the pages (Jupyter Book's start) can then have its core and memory while the
        last pages run.
        """
        with self._lock:
            self._retire_at = retire_one_at
        for _ in self._threads:
            self._tasks.put(None)

    def shutdown(self) -> None:
        """Let the threads finish the pages handed out, shut their kernels down and end."""
        for _ in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()

    def end(self) -> None:
        """Stop now: cancel the pages not started, kill the kernels (a page running in
        one fails at once) and let the threads end by themselves."""
        with contextlib.suppress(queue.Empty):
            while True:
                task = self._tasks.get_nowait()
                if task is not None:
                    task[0].cancel()
        kill_kernels([thread.ident for thread in self._threads])
        for _ in self._threads:
            self._tasks.put(None)


def start_workers(count: int, pages: list[Page] | None, executed_dir: Path) -> KernelThreads:
    """``count`` kernel threads; with ``pages``, each starts warming its kernel with
    their imports at once (see :func:`warm_up`)."""
    return KernelThreads(count, page_imports(pages) if pages is not None else None,
                         executed_dir)


def worker_count(jobs: int, pending: list) -> int:
    """How many kernels a build starts for its pending pages."""
    return max(1, min(jobs, len(pending)))


@contextmanager
def workers(pending, jobs: int, reuse_kernels: bool, executed_dir: Path, session=None):
    """The kernel threads for the pending pages (None when there are none).

    With reused kernels every thread starts warming its kernel at once (see
    :func:`warm_up`). If the build stops (invalid data, a signal), the kernels are
    killed at once (:meth:`KernelThreads.end`). A preview's ``session``
    (:class:`analysis.engine.session.PreviewSession`) lends its own pool, warmed before
    the change that started the build, and keeps it.
    """
    if not pending:
        yield None
        return
    if session is not None:
        pool = session.workers(executed_dir)
        try:
            yield pool
        except BaseException:
            session.discard_workers()  # a page may still be running: start afresh
            raise
        return
    pool = start_workers(worker_count(jobs, pending),
                         [page for page, _ in pending] if reuse_kernels else None,
                         executed_dir)
    try:
        yield pool
    except BaseException:
        pool.end()  # running pages too, with their kernels
        raise
    pool.shutdown()


# How long Jupyter Book takes to start before it reads a page (the imports of Sphinx,
# MyST-NB and the theme, the configuration, the kept environment): 2 to 3 seconds of
# processor time on the project's 2-core machine. A build hands its last pages of about
# that length to one kernel, while Jupyter Book starts beside it (execute_pages).
BOOK_START_SECONDS = 2.5


def execute_pages(pool: KernelThreads, planned: EnginePlan, say,
                  on_executed: Callable[[str], None] | None = None,
                  on_kernel_ended: Callable[[], None] | None = None
                  ) -> dict[str, PageResult]:
    """Execute the plan's pending pages on the kernel threads; any failure stops the
    build. Returns how each was produced, by page name.

    Each page's kernel reads the plan (``planned.plan``, written to ``planned.plan_path``:
    :mod:`analysis.plan`). ``on_executed`` is called with the name of each page as soon
    as its executed notebook is in place, until a page fails (the build then stops). The
    plan's ``pages`` (the pages of this build) are part of the key of a page that links
    to others. With ``on_kernel_ended`` the pool is closed once every page is handed
    out (:meth:`KernelThreads.close`): each kernel ends when no page is left for it, and
    the first thread to find no more than :data:`BOOK_START_SECONDS` of pages queued
    (as the plan expects them, ``planned.expected_seconds``) ends its kernel then,
    leaving them to the others. ``on_kernel_ended`` is called when the first kernel has
    ended, if pages are still running (not at all if they are all done by then).
    """
    plan, untouched = planned.plan, planned.untouched
    executed_dir = Path(plan.executed_dir)
    data_dir = Path(plan.data_dir)
    results: dict[str, PageResult] = {}
    failures = []
    futures = {}
    for page, reason in planned.pending:
        out = executed_dir / f"{page.name}.run.ipynb"
        params = {**page.parameters, "data_dir": _portable(data_dir)}
        plan.table_log(page.name).unlink(missing_ok=True)
        tables = plan.tables_dir(page.name)
        shutil.rmtree(tables, ignore_errors=True)
        futures[pool.submit(execute_page, str(page.template), str(out), params,
                            page.title, channel(planned.plan_path, page.name),
                            planned.reuse_kernels,
                            seconds=planned.expected_seconds.get(page.name, 0.0))] = (
            page, reason, out, tables)
    waiting = list(futures)
    if on_kernel_ended is not None:
        pool.close(retire_one_at=BOOK_START_SECONDS)
        waiting.append(pool.first_ended)
    left = len(futures)
    for future in as_completed(waiting):  # each page reported as soon as it is done
        if future is pool.first_ended:
            if left and not failures:
                on_kernel_ended()
            continue
        left -= 1
        page, reason, out, tables = futures[future]
        try:
            seconds = future.result()
        except Exception as exc:  # papermill re-raises the cell's error
            if is_out_of_space(exc):  # every other page would say the same: say it once
                raise out_of_space(executed_dir, untouched) from None
            failures.append(_failure_message(page, exc, out))
            continue
        out.replace(executed_dir / f"{page.name}.ipynb")
        final_tables = executed_dir / f"{page.name}.tables"
        shutil.rmtree(final_tables, ignore_errors=True)
        if tables.exists():
            tables.rename(final_tables)
        results[page.name] = record_execution(page, reason, seconds, executed_dir,
                                              dict(plan.data_hashes), plan.code,
                                              frozenset(plan.pages), plan.data_dir)
        say(f"  executed  {page.name} ({seconds:.1f} s; {reason})")
        if on_executed is not None and not failures:
            on_executed(page.name)
    if failures:
        raise BuildError("\n".join(failures) + f"\n{untouched}")
    return results


def _failure_message(page: Page, exc: BaseException, artefact: Path) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    lines = [f"page '{page.name}' (book/notebooks/{page.notebook}.ipynb) failed: {ename}: {evalue}"]
    if artefact.exists():
        lines.append(f"  the executed notebook, with the failing cell, is at {artefact}")
    return "\n".join(lines)


def _portable(data_dir: Path) -> str:
    """The data folder as the notebook should record it: relative to the project when
    inside it, so executed notebooks carry no machine-specific paths."""
    try:
        return str(data_dir.relative_to(paths.ROOT))
    except ValueError:
        return str(data_dir)


@dataclass(frozen=True)
class ValidatedApart:
    """A data package that :func:`validate_apart` found valid and stored for the pages."""

    package: PackageFiles
    stored: Path

    def save_for_pages(self, path: Path) -> None:
        """Store the typed package for the pages (done already when it was asked for)."""
        if Path(path) != self.stored:
            _apart(_store, self.package, Path(path))


def validate_apart(validate: Callable, package: PackageFiles, plan: BuildPlan, say,
                   session=None):
    """Validate the package (``validate``: :func:`analysis.engine.build._validate`) and,
    when the build runs pages, store it for them, in a process of its own.

    Reading a package loads pandas: about 70 MB that the main process would hold to the
    end of the build, beside the two kernels that do the pages' work. A short-lived
    process validates it instead, while the kernels warm up, stores the typed package
    the pages read (``plan.validated_package()``) and ends, leaving the main process
    without pandas; the build says the same lines and raises the same
    :class:`~analysis.contract.errors.DataPackageError`.

    The main process validates as before when no page runs, and in a preview
    (``session``), which lives on and validates after every change, unless it has
    loaded pyarrow: the pages must read their tables with the text columns of a pandas
    without pyarrow, as in their kernels (:func:`~analysis.engine.kernels.without_pyarrow`).
    """
    import sys

    executed_dir = Path(plan.executed_dir)
    if not plan.pending or (session is not None and "pyarrow" not in sys.modules):
        with without_pyarrow():
            return validate(package, executed_dir, plan.code, say)
    store = plan.validated_package()
    said, report = _apart(_validate_and_store, validate, package, executed_dir, plan.code,
                          store)
    for line in said:
        say(line)
    if report is not None:
        from analysis.contract.errors import DataPackageError

        raise DataPackageError(report)
    return ValidatedApart(package, store)


def _validate_and_store(validate: Callable, package: PackageFiles, executed_dir: Path,
                        code: str, store: Path):
    """In the process of :func:`validate_apart`: the lines validation said, and the
    report of a package that is not valid (None when it is)."""
    from analysis.contract.errors import DataPackageError

    with without_pyarrow():
        import pandas  # noqa: F401 - as the kernels import it
    said: list[str] = []
    try:
        validate(package, executed_dir, code, said.append).save_for_pages(store)
    except DataPackageError as exc:  # its report pickles; the error itself does not
        return said, exc.report
    return said, None


def _store(package: PackageFiles, store: Path) -> None:
    """In a process of its own: store the typed package for the pages at ``store``."""
    with without_pyarrow():
        from analysis.contract.validation import save_validated
        from analysis.engine.pages import load_package

        save_validated(load_package(package.data_dir), store, package.fingerprint)


def _apart(function: Callable, *args):
    """``function(*args)`` in a new Python process, which ends with it; what it raises
    is raised here.

    A plain child process (not multiprocessing's: its "spawn" leaves a resource tracker
    process running to the end of the build, and a fork would copy a process that runs
    threads); the call and its outcome pass as pickles.
    """
    import pickle
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "analysis.engine.execution"],
                          input=pickle.dumps((function, args)), stdout=subprocess.PIPE,
                          check=False)  # Ctrl+C or SIGTERM here: run() kills the child
    if done.returncode != 0:  # killed (out of memory, a signal): what it said is above
        ended = (f"was stopped by signal {-done.returncode}" if done.returncode < 0
                 else f"ended with exit status {done.returncode}")
        raise BuildError(f"the process validating the data package {ended} before it "
                         "finished; run the build again, and if it stops again, check "
                         "that the machine has free memory")
    ok, value = pickle.loads(done.stdout)
    if not ok:
        raise value
    return value


def _run_apart() -> None:
    """The process :func:`_apart` starts: a pickled call on standard input, its pickled
    outcome on standard output (anything the call prints goes to standard error)."""
    import os
    import pickle
    import sys

    outcome = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    function, args = pickle.load(sys.stdin.buffer)
    try:
        result = (True, function(*args))
    except Exception as exc:  # raised in the main process, as if the call had run there
        try:
            pickle.dumps(exc)
            result = (False, exc)
        except Exception:
            raise exc from None
    outcome.write(pickle.dumps(result))
    outcome.close()


if __name__ == "__main__":
    _run_apart()
