"""The multiverse evaluated on a Dask cluster, cached on its inputs, exported.

Every Dask-specific line of the project is here. :func:`evaluate` starts a
``dask.distributed.LocalCluster`` sized to the machine (one single-threaded worker
process per core) or connects to an existing scheduler by its address
(``tcp://host:8786``), sends the setting's studies to every worker once, and hands the
workers the specifications in a few chunks, each evaluated by
:func:`analysis.stats.multiverse.evaluate_many`, the same function the serial run uses;
the rows come back in the order of the specifications, so the table does not depend on
the cluster. Workers of an external cluster need this package installed.

:func:`cached` keeps each table under a key made of the studies, the declaration of
the choices, the size of the multiverse and the source of the code that computes it, so
an unchanged multiverse is read back instead of recomputed; :func:`export` writes it as
CSV and Parquet.

References
----------
Dask Development Team (2016). Dask: library for dynamic task scheduling.
https://dask.org
Rocklin M (2015). Dask: parallel computation with blocked algorithms and task
scheduling. Proceedings of the 14th Python in Science Conference, 130-136.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import paths
from analysis.contract.choices import Choices
from analysis.contract.escape import spreadsheet_cell
from analysis.stats import multiverse, multiverse_themes

TASKS_PER_WORKER = 4  # a few chunks per worker balance the load at little overhead
CONNECT_TIMEOUT = "10s"
# A dashboard on a free local port: with none asked for, the scheduler still serves its
# status page, on port 8787 or (taken) another one after a warning that a page would show.
DASHBOARD = "127.0.0.1:0"


class SchedulerError(Exception):
    """No Dask scheduler answered at the address given; the message says what to do."""


def machine_workers() -> int:
    """Cores this process may use: the default size of the local cluster."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def client_for(scheduler: str | None = None, n_workers: int | None = None,
               processes: bool = True) -> Iterator[Any]:
    """A Dask client: of a new local cluster, or of the scheduler at ``scheduler``.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:port``); None starts a
        ``LocalCluster`` that is closed again on leaving.
    n_workers : int, optional
        Workers of the local cluster (default :func:`machine_workers`), each with one
        thread: the meta-analyses hold the GIL.
    processes : bool
        Worker processes (True) or threads of this process (False) for the local
        cluster.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                f"no Dask scheduler answered at {scheduler} ({exc}); start one "
                "(dask scheduler, then dask worker ADDRESS on each machine) or leave "
                "--scheduler out to use a local cluster") from None
        try:
            yield client
        finally:
            client.close()
        return
    # Logs at CRITICAL only: a worker's heartbeat that races the closing scheduler logs
    # an error that means nothing, and a page would show it.
    with LocalCluster(n_workers=n_workers or machine_workers(), threads_per_worker=1,
                      processes=processes, dashboard_address=DASHBOARD,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


def chunks(items: Sequence[Any], n: int) -> list[list[Any]]:
    """``items`` cut into at most ``n`` consecutive runs of near-equal length."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        stop = start + size + (i < extra)
        out.append(list(items[start:stop]))
        start = stop
    return [c for c in out if c]


def _task(specs: list[dict[str, Any]], data: multiverse.StudyArrays,
          min_studies: int) -> list[dict[str, Any]]:
    return multiverse.evaluate_many(data, specs, min_studies)


def map_chunks(client: Any, function: Any, data: Any, items: Sequence[Any],
               n_tasks: int | None = None, **kwargs: Any) -> tuple[list[Any], int]:
    """``function(chunk, data, **kwargs)`` over chunks of ``items`` on the cluster.

    ``data`` (what every chunk reads: the studies, the papers) is sent to every worker
    once; the chunks, four per worker unless ``n_tasks`` says otherwise, are
    consecutive runs of ``items``, and the results come back joined in their order, so
    they do not depend on the cluster. Every multiverse of the page runs through here.

    Returns
    -------
    tuple
        The joined results, and the number of tasks they were cut into.
    """
    parts = chunks(list(items), n_tasks or workers_of(client) * TASKS_PER_WORKER)
    [shared] = client.scatter([data], broadcast=True)
    futures = client.map(function, parts, data=shared, pure=False, **kwargs)
    results = client.gather(futures)
    return [row for part in results for row in part], len(parts)


@dataclass(frozen=True, eq=False)
class MultiverseRun:
    """A multiverse's table and how it was computed."""

    table: pd.DataFrame
    size: str
    where: str  # "local cluster", the scheduler's address, or "cache"
    n_workers: int
    n_tasks: int
    seconds: float
    key: str = ""
    choices: Choices | None = None  # as resolved against the studies


def evaluate_specs(client: Any, rows: multiverse.StudyArrays, specs: Sequence[dict],
                   min_studies: int, n_tasks: int | None = None) -> tuple[list[dict], int]:
    """Evaluate ``specs`` on the cluster of ``client``; rows in the order of ``specs``.

    Returns the rows and the number of tasks they were cut into.
    """
    return map_chunks(client, _task, rows, specs, n_tasks, min_studies=min_studies)


def workers_of(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def evaluate(studies: pd.DataFrame, choices: Choices, size: str = "book",
             scheduler: str | None = None, n_workers: int | None = None,
             processes: bool = True, n_tasks: int | None = None,
             categories: dict[str, dict] | None = None,
             client: Any = None) -> MultiverseRun:
    """The multiverse of ``choices`` on ``studies``, computed on a Dask cluster.

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    choices : Choices
        The declared choices (:func:`analysis.contract.choices.load_choices`).
    size : {"book", "full"}
        The book's smaller multiverse or every declared option.
    scheduler, n_workers, processes
        Where to compute (see :func:`client_for`).
    n_tasks : int, optional
        Chunks of specifications (default four per worker).
    categories : dict, optional
        The package's categories of the filter columns, for ``options: each``
        (:func:`analysis.stats.multiverse.resolve`).
    client : distributed.Client, optional
        A client already open (the page runs several multiverses on one cluster);
        ``n_workers`` and ``processes`` are then not used, and ``scheduler`` only
        names where it ran.

    Returns
    -------
    MultiverseRun
        The tidy table (:func:`analysis.stats.multiverse.table`), the same as
        :func:`analysis.stats.multiverse.run_serial` gives, and the choices as resolved.
    """
    start = time.perf_counter()
    choices = multiverse.resolve(studies, choices, categories)
    rows = multiverse.setting_studies(studies, choices)
    arrays = multiverse.StudyArrays.from_frame(rows)
    specs = multiverse.specifications(arrays, choices, size)
    if client is None:
        with client_for(scheduler, n_workers, processes) as own:
            records, tasks = evaluate_specs(own, arrays, specs, choices.min_studies, n_tasks)
            workers = workers_of(own)
    else:
        records, tasks = evaluate_specs(client, arrays, specs, choices.min_studies, n_tasks)
        workers = workers_of(client)
    return MultiverseRun(multiverse.table(records, choices), size,
                         scheduler or "local cluster", workers, tasks,
                         time.perf_counter() - start, choices=choices)


def _theme_task(specs: list[dict[str, Any]], data: multiverse_themes.PaperArrays
                ) -> list[dict[str, Any]]:
    return multiverse_themes.evaluate_many(data, specs)


def evaluate_themes(package: Any, choices: Choices, scheduler: str | None = None,
                    n_workers: int | None = None, processes: bool = True,
                    n_tasks: int | None = None, client: Any = None) -> MultiverseRun:
    """The theme multiverse (:mod:`analysis.stats.multiverse_themes`) on a Dask cluster.

    The same machinery as :func:`evaluate`: the papers go to every worker once, the
    specifications in chunks, the rows come back in order; the table is the one
    :func:`analysis.stats.multiverse_themes.run_serial` gives.
    """
    start = time.perf_counter()
    data = multiverse_themes.PaperArrays.from_package(package,
                                                      multiverse_themes.rules_of(choices))
    specs = multiverse_themes.specifications(choices)
    if client is None:
        with client_for(scheduler, n_workers, processes) as own:
            records, tasks = map_chunks(own, _theme_task, data, specs, n_tasks)
            workers = workers_of(own)
    else:
        records, tasks = map_chunks(client, _theme_task, data, specs, n_tasks)
        workers = workers_of(client)
    return MultiverseRun(multiverse_themes.table(records, choices), "full",
                         scheduler or "local cluster", workers, tasks,
                         time.perf_counter() - start, choices=choices)


# ---------------------------------------------------------------- cache and export

CODE_FILES = (paths.PACKAGE / "stats" / "prevalence.py", paths.PACKAGE / "stats" / "multiverse.py",
              paths.PACKAGE / "stats" / "hartung_knapp.py",
              paths.PACKAGE / "contract" / "choices.py")
NUMERIC_PACKAGES = ("numpy", "scipy", "statsmodels", "pandas")


def cache_key(studies: pd.DataFrame, choices: Choices, size: str,
              categories: dict[str, dict] | None = None) -> str:
    """SHA-256 of what a multiverse table depends on (not of where it is computed).

    The choices are taken as resolved against the studies (``categories`` as for
    :func:`evaluate`), so a package with other categories has another key.
    """
    digest = hashlib.sha256()
    choices = multiverse.resolve(studies, choices, categories)
    rows = multiverse.setting_studies(studies, choices)
    digest.update(rows.to_csv(index=False, lineterminator="\n").encode())
    digest.update(repr(choices).encode() + size.encode())
    for path in CODE_FILES:
        digest.update(path.read_bytes())
    for name in NUMERIC_PACKAGES:
        digest.update(f"{name}=={metadata.version(name)}".encode())
    return digest.hexdigest()


def cache_dir(root: Path | None = None) -> Path:
    """Where multiverse tables are kept (``_build/multiverse``)."""
    return paths.build_dir(root) / "multiverse"


def cached(studies: pd.DataFrame, choices: Choices, size: str = "book",
           folder: Path | None = None, categories: dict[str, dict] | None = None,
           **where: Any) -> MultiverseRun:
    """:func:`evaluate`, unless a table with the same inputs is already in ``folder``."""
    start = time.perf_counter()
    key = cache_key(studies, choices, size, categories)
    folder = folder or cache_dir()
    path = folder / f"{key[:16]}.parquet"
    if path.exists():
        table = pd.read_parquet(path)
        return MultiverseRun(table, size, "cache", 0, 0, time.perf_counter() - start, key,
                             choices=multiverse.resolve(studies, choices, categories))
    run = evaluate(studies, choices, size, categories=categories, **where)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    run.table.to_parquet(partial, index=False)
    partial.replace(path)
    return MultiverseRun(run.table, size, run.where, run.n_workers, run.n_tasks,
                         run.seconds, key, choices=run.choices)


def export(table: pd.DataFrame, folder: Path, name: str = "multiverse") -> tuple[Path, Path]:
    """Write the table as ``<name>.csv`` and ``<name>.parquet`` in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, parquet = folder / f"{name}.csv", folder / f"{name}.parquet"
    # Labels come from the package and the choices file: none may run in a spreadsheet.
    table.map(spreadsheet_cell).to_csv(csv, index=False, lineterminator="\n")
    table.to_parquet(parquet, index=False)
    return csv, parquet
