"""The multiverse computed in chunks, in this process or on Dask, and streamed to files.

A multiverse is a plan of numbered specifications that evaluates any run of them as
rows of its table (:class:`analysis.stats.multiverse_batch.SpecificationPlan` for the
pooled prevalence, :class:`analysis.stats.multiverse_themes.ThemePlan` for the support
of the themes). This module decides where the plan runs and hands its rows on:

- **Where**: below :data:`CLUSTER_FROM` specifications in this process, as arrays: the
  book's 480 take about 0.05 s, the bundled full multiverse's 7,664 about 0.2 s, while a
  local Dask cluster costs seconds to start. From :data:`CLUSTER_FROM` on (or whenever a
  scheduler's address is given) on a Dask cluster: a local one sized to the machine, or
  the scheduler at ``--scheduler``. :func:`cluster_for` is that decision.
- **Chunks**: a few spread runs of the plan are timed first; the chunks are then sized
  so that each takes about :data:`TASK_SECONDS` and every worker gets at least
  :data:`TASKS_PER_WORKER` of them. The plan is sent to every worker once; at most two
  chunks per worker are in flight, and the rows are handed on in the order of the
  specifications as they come back, so the table does not depend on the cluster and
  the memory held does not grow with the multiverse.
- **Files**: the rows stream to Parquet (and to CSV while the table fits a
  spreadsheet), with the cache key and the bootstrap seed in the Parquet file's
  metadata; an unchanged multiverse is read back instead of recomputed
  (:class:`MultiverseTables`, a :class:`analysis.cache.Cache`). What the
  summary needs (the estimate, the upper limit, the status and the options, as
  categories) is kept in memory, some 50 bytes a specification.

References
----------
Rocklin M (2015). Dask: parallel computation with blocked algorithms and task
scheduling. Proceedings of the 14th Python in Science Conference, 130-136.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from analysis import paths
from analysis.cache import Cache, key_from
from analysis.compute.cluster import client_for, reuse_array_memory, workers_of
from analysis.contract.choices import NONE, Choices
from analysis.contract.spreadsheet import write_csv
from analysis.stats import multiverse, multiverse_batch, multiverse_themes
from analysis.stats.multiverse import SUBSET_CHOICES

# From this many specifications a multiverse runs on a Dask cluster (below it, in this
# process). Measured on the project's 2-core machine (docs/benchmark.md, load 5 to 6):
# a local cluster of two workers took 4.9 s to start and warm (starting the processes,
# importing the statistics in them) and then evaluated 89,000 specifications a second
# against 36,500 in this process, so it pays from about 300,000 specifications.
CLUSTER_FROM = 300_000
# Seconds of work a chunk should take: long beside the ~3 ms a task costs the scheduler,
# short enough that two workers finish together and memory stays small.
TASK_SECONDS = 2.0
TASKS_PER_WORKER = 4
IN_FLIGHT_PER_WORKER = 2
# The timing that sizes the chunks: this many specifications, in as many spread runs.
CALIBRATION = 1_200
CALIBRATION_RUNS = 4
MIN_CHUNK = 200
MAX_CHUNK = 250_000
# Specifications per chunk in this process: the rows of one chunk (some 10 MB) are all
# that is held besides the summary's columns.
LOCAL_CHUNK = 50_000
# Rows a spreadsheet opens (1,048,576 less the header): a larger table is Parquet only.
SPREADSHEET_ROWS = 1_048_575
METADATA_PREFIX = "cen_book.multiverse."
CODE_FILES = tuple(paths.PACKAGE / part for part in (
    "stats/prevalence.py", "stats/multiverse.py", "stats/multiverse_batch.py",
    "stats/hartung_knapp.py", "contract/choices.py"))
NUMERIC_PACKAGES = ("numpy", "scipy", "statsmodels", "pandas")


class Plan(Protocol):
    """What can be run in chunks: numbered items, any run of them evaluated as rows."""

    def __len__(self) -> int: ...

    def evaluate(self, start: int = 0, stop: int | None = None) -> pd.DataFrame: ...


# ------------------------------------------------------------ where and in what chunks


@contextmanager
def cluster_for(n_specifications: int, scheduler: str | None = None,
                n_workers: int | None = None, processes: bool = True,
                cluster_from: int = CLUSTER_FROM) -> Iterator[Any]:
    """The Dask client a multiverse of this size runs on, or None for this process.

    A scheduler's address always gives its cluster; otherwise a local cluster is
    started only from ``cluster_from`` specifications on (see :data:`CLUSTER_FROM`).
    """
    if scheduler or n_specifications >= cluster_from:
        with client_for(scheduler or None, n_workers, processes) as client:
            yield client
    else:
        yield None


def seconds_per_item(plan: Plan, total: int = CALIBRATION,
                     runs: int = CALIBRATION_RUNS) -> float:
    """Seconds one item of ``plan`` takes here, timed on a few spread runs of it.

    The runs are spread because the cost varies along a plan (Paule-Mandel's iterations,
    the Freeman-Tukey back-transformation, larger subsets).
    """
    n = len(plan)
    if n == 0:
        return 0.0
    each = max(1, min(n, total) // runs)
    starts = sorted({int(s) for s in np.linspace(0, max(0, n - each), runs)})
    plan.evaluate(0, 1)  # what a plan works out once (its bases' options) is not timed
    began = time.perf_counter()
    done = 0
    for start in starts:
        done += len(range(start, min(n, start + each)))
        plan.evaluate(start, min(n, start + each))
    return (time.perf_counter() - began) / max(1, done)


def chunk_size(n_items: int, seconds_each: float, workers: int = 1) -> int:
    """Items per chunk: about :data:`TASK_SECONDS` of work each, and at least
    :data:`TASKS_PER_WORKER` chunks per worker."""
    if n_items <= 0:
        return 1
    size = int(TASK_SECONDS / seconds_each) if seconds_each > 0 else MAX_CHUNK
    size = min(max(size, MIN_CHUNK), MAX_CHUNK)
    spread = -(-n_items // (TASKS_PER_WORKER * workers))
    return max(1, min(size, spread) if workers > 1 else size)


@dataclass(frozen=True)
class ChunkedRun:
    """Where and how a plan ran."""

    where: str  # "this process", "local cluster" or the scheduler's address
    n_workers: int
    n_tasks: int
    chunk: int
    seconds_per_item: float
    seconds: float


def _evaluate(plan: Plan, start: int, stop: int) -> pd.DataFrame:
    reuse_array_memory()  # in the worker's process
    return plan.evaluate(start, stop)


def run_chunks(plan: Plan, write: Callable[[pd.DataFrame], None], client: Any = None,
               chunk: int | None = None, where: str | None = None) -> ChunkedRun:
    """Evaluate ``plan`` in chunks and hand each chunk's rows to ``write``, in order.

    Parameters
    ----------
    plan : Plan
    write : callable
        Called with the rows of each chunk, first chunk first.
    client : distributed.Client, optional
        The cluster to run on (:func:`cluster_for`); None runs in this process.
    chunk : int, optional
        Items per chunk; default from :func:`seconds_per_item` and :func:`chunk_size`.
    where : str, optional
        How the report names the cluster (default ``"local cluster"``).
    """
    began = time.perf_counter()
    n = len(plan)
    if client is None:
        # In this process the chunks only bound the memory: no timing is needed. A page's
        # few hundred specifications leave its kernel's allocator as it is.
        chunk = chunk or LOCAL_CHUNK
        if n > chunk:
            reuse_array_memory()
        ranges = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)] or [(0, 0)]
        for lo, hi in ranges:
            write(plan.evaluate(lo, hi))
        seconds = time.perf_counter() - began
        return ChunkedRun("this process", 1, len(ranges), chunk, seconds / max(1, n), seconds)
    from dask.distributed import as_completed

    workers = workers_of(client)
    reuse_array_memory()  # the timing here stands for the workers, which do the same
    cost = seconds_per_item(plan) if chunk is None else 0.0
    chunk = chunk or chunk_size(n, cost, workers)
    ranges = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)] or [(0, 0)]

    [shared] = client.scatter([plan], broadcast=True)
    pending = iter(enumerate(ranges))
    futures = as_completed()
    number = {}

    def submit() -> None:
        for i, (lo, hi) in pending:
            future = client.submit(_evaluate, shared, lo, hi, pure=False)
            number[future.key] = i
            futures.add(future)
            return

    for _ in range(IN_FLIGHT_PER_WORKER * workers):
        submit()
    done: dict[int, pd.DataFrame] = {}
    following = 0
    for future in futures:
        done[number.pop(future.key)] = future.result()
        future.release()
        while following in done:
            write(done.pop(following))
            following += 1
        submit()
    return ChunkedRun(where or "local cluster", workers, len(ranges), chunk, cost,
                      time.perf_counter() - began)


# ------------------------------------------------------------------ the multiverse


@dataclass(frozen=True, eq=False)
class MultiverseRun:
    """A multiverse's rows and how they were computed.

    ``table`` holds every row when they were kept (None when they only streamed to
    files); ``summary_table`` holds, for every specification, what
    :func:`analysis.stats.multiverse.summarise` reads (options as categories; a left-out
    or resampled option as ``each``). ``where`` is ``this process``, ``local cluster``,
    the scheduler's address or ``cache``.
    """

    table: pd.DataFrame | None
    summary_table: pd.DataFrame | None
    size: str
    where: str
    n_workers: int
    n_tasks: int
    seconds: float
    n_specifications: int = 0
    chunk: int = 0
    seconds_per_specification: float = 0.0
    key: str = ""
    choices: Choices | None = None  # as resolved against the studies
    files: tuple[Path, ...] = ()
    seed: int | None = None


SUMMARY_COLUMNS = ("specification", "k", "prevalence", "ci_low", "ci_high", "status", "main")


class SummaryColumns:
    """The columns the summary reads, filled chunk by chunk into arrays sized once.

    For ``n`` specifications: the number, k, the estimate and its interval, whether it
    pooled and whether it is the main analysis, and each option as a one-byte category
    code (a left-out or resampled option as ``each``): under 50 bytes a specification,
    never copied while the rows stream in.
    """

    def __init__(self, choices: Choices, size: str, n: int):
        options = choices.options(size)
        self.dtypes = {
            name: pd.CategoricalDtype([NONE, "each"] if name in SUBSET_CHOICES
                                      else [multiverse.option_text(name, v)
                                            for v in options[name]])
            for name in choices.columns(size)}
        self.values = {"specification": np.zeros(n, dtype=np.int64),
                       "k": np.zeros(n, dtype=np.int32), "prevalence": np.zeros(n),
                       "ci_low": np.zeros(n), "ci_high": np.zeros(n),
                       "pooled": np.zeros(n, dtype=bool), "main": np.zeros(n, dtype=bool)}
        self.codes = {name: np.zeros(n, dtype=np.int8 if len(dtype.categories) < 128
                                     else np.int16) for name, dtype in self.dtypes.items()}
        self.filled = 0

    def add(self, rows: pd.DataFrame) -> None:
        at = slice(self.filled, self.filled + len(rows))
        for name in ("specification", "k", "prevalence", "ci_low", "ci_high", "main"):
            self.values[name][at] = rows[name].to_numpy()
        self.values["pooled"][at] = rows["status"].to_numpy() == multiverse.OK
        for name, dtype in self.dtypes.items():
            values = rows[name].to_numpy()
            if name in SUBSET_CHOICES:
                values = np.where(values == NONE, NONE, "each")
            self.codes[name][at] = pd.Categorical(values, dtype=dtype).codes
        self.filled += len(rows)

    def table(self) -> pd.DataFrame:
        """What :func:`analysis.stats.multiverse.summarise` reads, as a DataFrame."""
        n = self.filled
        columns = {name: values[:n] for name, values in self.values.items()
                   if name != "pooled"}
        columns["status"] = pd.Categorical.from_codes(
            np.where(self.values["pooled"][:n], 0, 1).astype(np.int8),
            categories=[multiverse.OK, multiverse.TOO_FEW])
        for name, dtype in self.dtypes.items():
            columns[name] = pd.Categorical.from_codes(self.codes[name][:n], dtype=dtype)
        return pd.DataFrame(columns, copy=False)


class TableFiles:
    """Rows streamed to ``<stem>.parquet`` and ``<stem>.csv`` (either may be left out),
    each written as ``.partial`` and renamed when complete, so a file that exists is
    whole."""

    def __init__(self, stem: Path, metadata: dict[str, str], csv: bool = True,
                 parquet: bool = True):
        self.stem = Path(stem)
        self.metadata = {f"{METADATA_PREFIX}{k}".encode(): str(v).encode()
                         for k, v in metadata.items()}
        self.csv = csv
        self.parquet = parquet
        self.writer = None
        self.stem.parent.mkdir(parents=True, exist_ok=True)
        self.partial = {suffix: self.stem.with_suffix(f".{suffix}.partial")
                        for suffix in ("parquet", "csv")}
        self.first = True

    def write(self, rows: pd.DataFrame) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(rows, preserve_index=False)
            if self.writer is None:
                schema = table.schema.with_metadata({**(table.schema.metadata or {}),
                                                     **self.metadata})
                self.writer = pq.ParquetWriter(self.partial["parquet"], schema)
            self.writer.write_table(table.cast(self.writer.schema))
        if self.csv:
            # The first part opens the file with its byte-order mark; every part is
            # written as every CSV of the book is (analysis.contract.spreadsheet).
            with open(self.partial["csv"], "w" if self.first else "a",
                      encoding="utf-8-sig" if self.first else "utf-8", newline="") as handle:
                write_csv(rows, handle, header=self.first)
        self.first = False

    def close(self) -> tuple[Path, ...]:
        if self.first:  # no row: still a file with the table's columns
            return ()
        written = []
        if self.writer is not None:
            self.writer.close()
            written.append(self.partial["parquet"].replace(self.stem.with_suffix(".parquet")))
        if self.csv:
            written.append(self.partial["csv"].replace(self.stem.with_suffix(".csv")))
        return tuple(written)


def cache_key(studies: pd.DataFrame, choices: Choices, size: str,
              categories: dict[str, dict] | None = None) -> str:
    """SHA-256 of what a multiverse table depends on (not of where it is computed).

    The choices are taken as resolved against the studies (``categories`` as for
    :func:`evaluate`), so a package with other categories has another key.
    """
    choices = multiverse.resolve(studies, choices, categories)
    rows = multiverse.setting_studies(studies, choices)
    return key_from({
        "studies": rows.to_csv(index=False, lineterminator="\n"),
        "choices": repr(choices),
        "size": size,
        **{f"code:{path.relative_to(paths.PACKAGE).as_posix()}": path.read_bytes()
           for path in CODE_FILES},
        "packages": {name: metadata.version(name) for name in NUMERIC_PACKAGES},
    })


def evaluate(studies: pd.DataFrame, choices: Choices, size: str = "book",
             scheduler: str | None = None, n_workers: int | None = None,
             processes: bool = True, categories: dict[str, dict] | None = None,
             client: Any = None, keep_table: bool = True, files: TableFiles | None = None,
             chunk: int | None = None) -> MultiverseRun:
    """The multiverse of ``choices`` on ``studies``: in this process, or on Dask.

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    choices : Choices
        The declared choices (:func:`analysis.contract.choices.load_choices`).
    size : {"book", "full", "resampled"}
    scheduler, n_workers, processes
        Where to compute (:func:`cluster_for`): a running scheduler's address, or the
        size and kind of a local cluster should the multiverse need one.
    categories : dict, optional
        The package's categories of the filter columns, for ``options: each``
        (:func:`analysis.stats.multiverse.resolve`).
    client : distributed.Client, optional
        A client already open (the page runs two multiverses on one); ``scheduler``
        then only names where it ran.
    keep_table : bool
        Keep every row in memory (``table``); False keeps the summary's columns only.
    files : TableFiles, optional
        Where the rows stream to.
    chunk : int, optional
        Specifications per chunk (default: sized from a timing).

    Returns
    -------
    MultiverseRun
        With ``keep_table``, the table :func:`analysis.stats.multiverse.run_serial`
        gives.
    """
    began = time.perf_counter()
    choices = multiverse.resolve(studies, choices, categories)
    plan = multiverse_batch.SpecificationPlan.of(
        multiverse.setting_studies(studies, choices), choices, size)
    summary = SummaryColumns(choices, size, len(plan))
    kept: list[pd.DataFrame] = []

    def write(rows: pd.DataFrame) -> None:
        summary.add(rows)
        if keep_table:
            kept.append(rows)
        if files is not None:
            files.write(rows)

    if client is not None:
        ran = run_chunks(plan, write, client, chunk, scheduler or None)
    else:
        with cluster_for(len(plan), scheduler, n_workers, processes) as own:
            ran = run_chunks(plan, write, own, chunk, scheduler or None)
    written = files.close() if files is not None else ()
    table = (pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]) \
        if keep_table else None
    return MultiverseRun(table, summary.table(), size, ran.where, ran.n_workers, ran.n_tasks,
                         time.perf_counter() - began, len(plan), ran.chunk,
                         ran.seconds_per_item, choices=choices, files=written, seed=plan.seed)


def evaluate_themes(package: Any, choices: Choices, client: Any = None,
                    scheduler: str | None = None, chunk: int | None = None) -> MultiverseRun:
    """The theme multiverse (:class:`analysis.stats.multiverse_themes.ThemePlan`), by the
    same chunked machinery: in this process, or on the cluster of ``client`` (whose
    address ``scheduler`` names)."""
    began = time.perf_counter()
    plan = multiverse_themes.ThemePlan.of(package, choices)
    kept: list[pd.DataFrame] = []
    ran = run_chunks(plan, kept.append, client, chunk, scheduler or None)
    table = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
    return MultiverseRun(table, None, "full", ran.where, ran.n_workers, ran.n_tasks,
                         time.perf_counter() - began, len(plan), ran.chunk,
                         ran.seconds_per_item, choices=choices)


def table_key(path: Path) -> str | None:
    """The cache key recorded in a Parquet table this module wrote (None: none)."""
    import pyarrow.parquet as pq

    try:
        recorded = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None
    value = recorded.get(f"{METADATA_PREFIX}key".encode())
    return value.decode() if value else None


class MultiverseTables(Cache):
    """The multiverse tables in a folder (:class:`analysis.cache.Cache`), one entry a
    table: ``<name>.parquet``, whose metadata records the key (:func:`cache_key`) it was
    computed under, and ``<name>.csv`` while the table fits a spreadsheet."""

    def entry(self, name: str) -> tuple[Path, ...]:
        stem = self.folder / name
        return (stem.with_suffix(".parquet"), stem.with_suffix(".csv"))

    def stored_key(self, name: str) -> str | None:
        return table_key(self.entry(name)[0])

    def get(self, name: str, key: str) -> Any | None:
        """The Parquet file (``pyarrow.parquet.ParquetFile``) of a table computed under
        ``key``, None when there is none."""
        if not self.has(name, key):
            return None
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.entry(name)[0])

    def put(self, name: str, key: str, value: dict[str, Any], csv: bool = True) -> TableFiles:
        """Open the entry ``name`` for the rows of a table computed under ``key``, with
        the metadata ``value`` beside the key: the files the rows stream to. The stale
        entry is dropped first: a stale table must not stand beside the new one."""
        self.drop(name)
        return TableFiles(self.folder / name, {"key": key, **value}, csv=csv)


def to_folder(studies: pd.DataFrame, choices: Choices, size: str, out: Path | None = None,
              categories: dict[str, dict] | None = None, use_cache: bool = True,
              scheduler: str | None = None, n_workers: int | None = None,
              processes: bool = True) -> MultiverseRun:
    """The command line's multiverse: streamed to ``out/multiverse_<size>.parquet`` (and
    ``.csv`` when it fits a spreadsheet), or read back from it when its recorded key is
    this multiverse's (:func:`cache_key`, :class:`MultiverseTables`).

    The rows are not kept in memory; the run's ``summary_table`` is what the summary
    reads.
    """
    began = time.perf_counter()
    tables = MultiverseTables(Path(out) if out else cache_dir())
    key = cache_key(studies, choices, size, categories)
    name = f"multiverse_{size}"
    resolved = multiverse.resolve(studies, choices, categories)
    stored = tables.get(name, key) if use_cache else None
    if stored is not None:
        summary = SummaryColumns(resolved, size, stored.metadata.num_rows)
        columns = [*SUMMARY_COLUMNS, *summary.dtypes]
        for batch in stored.iter_batches(columns=columns, batch_size=200_000):
            summary.add(batch.to_pandas())
        files = tuple(p for p in tables.entry(name) if p.exists())
        table = summary.table()
        return MultiverseRun(None, table, size, "cache", 0, 0, time.perf_counter() - began,
                             len(table), key=key, choices=resolved, files=files,
                             seed=resolved.resampling.seed if resolved.resampling else None)
    plan_size = len(multiverse_batch.SpecificationPlan.of(
        multiverse.setting_studies(studies, resolved), resolved, size))
    seed = resolved.resampling.seed if resolved.resampling and size == "resampled" else None
    files = tables.put(name, key, {"size": size, "specifications": plan_size,
                                   "bootstrap_seed": "" if seed is None else seed},
                       csv=plan_size <= SPREADSHEET_ROWS)
    run = evaluate(studies, choices, size, scheduler, n_workers, processes, categories,
                   keep_table=False, files=files)
    return MultiverseRun(None, run.summary_table, size, run.where, run.n_workers,
                         run.n_tasks, run.seconds, run.n_specifications, run.chunk,
                         run.seconds_per_specification, key, run.choices, run.files,
                         run.seed)


def cache_dir(root: Path | None = None) -> Path:
    """Where the command line writes multiverse tables by default (``_build/multiverse``)."""
    return paths.build_dir(root) / "multiverse"


def export(table: pd.DataFrame, folder: Path, name: str = "multiverse",
           parquet: bool = True) -> tuple[Path, ...]:
    """Write a table held in memory as ``<name>.csv`` (text cells a spreadsheet would run
    as formulas are escaped) and, with ``parquet`` or when the table is longer than a
    spreadsheet holds (:data:`SPREADSHEET_ROWS`: then as Parquet only), ``<name>.parquet``
    in ``folder``."""
    fits = len(table) <= SPREADSHEET_ROWS
    files = TableFiles(Path(folder) / name, {"rows": len(table)}, csv=fits,
                       parquet=parquet or not fits)
    files.write(table)
    return files.close()
