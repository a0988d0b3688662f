"""Executing the pending pages in worker processes, from the main process.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.engine.cache import PageResult, record_execution
from analysis.engine.errors import BuildError, is_out_of_space, out_of_space
from analysis.engine.lifetime import die_with_parent, end_workers
from analysis.engine.kernels import execute_page, page_imports, warm_up
from analysis.engine.planned import EnginePlan
from analysis.pages.page import Page
from analysis.plan import channel


@dataclass(frozen=True)
class Schedule:
    """The order the pending pages are handed to the workers, and the order in which
    they are expected to finish (the order the book build started ahead reads them)."""

    pending: list  # (Page, reason), in the order they are submitted
    finish_order: list[str]


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
    free = [0.0] * max(1, workers)
    finish = []
    for position, (page, _) in enumerate(ordered):
        worker = free.index(min(free))
        free[worker] += timed.get(page.name, guess)
        finish.append((free[worker], position, page.name))
    return Schedule(ordered, [name for _, _, name in sorted(finish)])


def start_workers(count: int, pages: list[Page] | None, executed_dir: Path):
    """A pool of ``count`` worker processes; with ``pages``, each starts warming a kernel
    with their imports at once (see :func:`warm_up`)."""
    pool = ProcessPoolExecutor(max_workers=count, initializer=die_with_parent)
    if pages is not None:
        imports = page_imports(pages)
        for i in range(count):
            pool.submit(warm_up, imports, str(executed_dir / f"kernel-{i + 1}.log"))
    return pool


def worker_count(jobs: int, pending: list) -> int:
    """How many worker processes a build starts for its pending pages."""
    return max(1, min(jobs, len(pending)))


@contextmanager
def workers(pending, jobs: int, reuse_kernels: bool, executed_dir: Path, session=None):
    """The worker processes for the pending pages (None when there are none).

    With reused kernels every worker starts warming its kernel at once (see
    :func:`warm_up`). If the build stops (invalid data, a signal), the workers are
    ended at once with their kernels (:func:`analysis.engine.lifetime.end_workers`).
    A preview's ``session`` (:class:`analysis.engine.session.PreviewSession`) lends
    its own pool, warmed before the change that started the build, and keeps it.
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
        end_workers(pool)  # running pages too, with their kernels
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def execute_pages(pool, planned: EnginePlan, say,
                  on_executed: Callable[[str], None] | None = None) -> dict[str, PageResult]:
    """Execute the plan's pending pages in the worker processes; any failure stops the
    build. Returns how each was produced, by page name.

    Each page's kernel reads the plan (``planned.plan``, written to ``planned.plan_path``:
    :mod:`analysis.plan`). ``on_executed`` is called with the name of each page as soon
    as its executed notebook is in place, until a page fails (the build then stops). The
    plan's ``pages`` (the pages of this build) are part of the key of a page that links
    to others.
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
                            planned.reuse_kernels)] = (
            page, reason, out, tables)
    for future in as_completed(futures):  # each page reported as soon as it is done
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
                                              frozenset(plan.pages))
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
