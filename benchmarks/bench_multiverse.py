"""Specifications per second of the multiverse, and the memory of a streamed run.

A benchmark, not a test: it writes ``_build/bench_multiverse.json`` and asserts nothing.
``python -m benchmarks`` (``make bench``) runs it last; ``python -m benchmarks
--multiverse-only [--scheduler ADDRESS]`` runs it alone.

The specifications are those of the bundled package's resampled multiverse
(``book/multiverse.yml``, ``--size resampled``: the full multiverse with its leave-k-out
subsets and bootstrap replicates, about 1.2 million), taken as 16 equal runs spread over
it so that every transform, estimator and interval is in each count. Each count (10^3,
10^4 and 10^6) is evaluated

- **serially**: one specification at a time by the reference,
  :func:`analysis.stats.multiverse.evaluate_one` (up to 10^4; 10^6 would take about
  half an hour, its rate is the 10^4 one);
- **batched**: :meth:`~analysis.stats.multiverse_batch.SpecificationPlan.evaluate` in
  this process, in the chunks the command line uses;
- on local Dask clusters of **1 and 2** single-threaded worker processes, started (and
  warmed with a first small chunk, which imports the statistics) once outside the
  timings, their start-up reported; the plan is sent to the workers inside them. And on
  the scheduler given with ``--scheduler``.

Every run's rows are checked against the batched ones (a SHA-256 over per-row hashes,
so a 10^6 table need not be held twice). Apart, two numbers the command line rests on:
the bundled full multiverse (7,664 specifications) evaluated in this process, and the
DerSimonian-Laird specifications per second on one core. Last, the peak process-tree
memory of a streamed run (rows to Parquet, as ``python -m analysis multiverse``) at 10^4
and 10^6 specifications in this process and at 10^6 on a local cluster, each in a child
process sampled every 0.1 s. The machine's load average is recorded beside every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import __version__, paths
from analysis.compute import cluster
from analysis.compute import multiverse as multiverse_compute
from analysis.contract.choices import load_choices
from analysis.contract.validation import load_package
from analysis.stats import multiverse, multiverse_batch

COUNTS = (1_000, 10_000, 1_000_000)
SERIAL_UP_TO = 10_000
WORKERS = (1, 2)
PIECES = 16
STREAM_RUNS = ((10_000, "here"), (100_000, "here"), (1_000_000, "here"),
               (1_000_000, "cluster"))


class SpreadPlan:
    """``count`` specifications of a plan, as ``pieces`` equal runs spread over it.

    Evaluates like the plan (rows keep the plan's specification numbers), so that it
    runs through the same chunked machinery.
    """

    def __init__(self, plan, count: int, pieces: int = PIECES, bases=None):
        self.plan = plan
        spans = _spans(plan, bases)
        total = sum(hi - lo for lo, hi in spans)
        count = min(count, total)
        pieces = min(pieces, count)
        sizes = [count // pieces + (i < count % pieces) for i in range(pieces)]
        # The i-th piece starts a fraction i/pieces into the spans (laid end to end).
        self.runs = []
        for i, size in enumerate(sizes):
            self.runs.append((_at(spans, int(i * total / pieces)), size))
        self.starts = np.concatenate([[0], np.cumsum(sizes)])
        self.seed = plan.seed

    def __len__(self) -> int:
        return int(self.starts[-1])

    def index(self, i: int) -> int:
        piece = int(np.searchsorted(self.starts, i, side="right")) - 1
        return self.runs[piece][0] + i - int(self.starts[piece])

    def evaluate(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        stop = len(self) if stop is None else min(stop, len(self))
        parts = []
        for piece, (first, size) in enumerate(self.runs):
            lo = max(start, int(self.starts[piece]))
            hi = min(stop, int(self.starts[piece]) + size)
            if lo < hi:
                offset = first - int(self.starts[piece])
                parts.append(self.plan.evaluate(lo + offset, hi + offset))
        return pd.concat(parts, ignore_index=True) if parts else self.plan.evaluate(0, 0)


def _spans(plan, bases) -> list[tuple[int, int]]:
    """The plan's specifications as (start, stop) runs: all, or those of ``bases``."""
    if bases is None:
        return [(0, len(plan))]
    return [(int(plan.starts[b]), int(plan.starts[b + 1])) for b in bases]


def _at(spans, k: int) -> int:
    for lo, hi in spans:
        if k < hi - lo:
            return lo + k
        k -= hi - lo
    raise IndexError(k)


def row_digest(frames) -> str:
    """SHA-256 of the per-row hashes of the rows, in order (chunking does not matter)."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


class Digest:
    """Rows handed over chunk by chunk, hashed and dropped."""

    def __init__(self):
        self.sha = hashlib.sha256()
        self.rows = 0

    def __call__(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        self.sha.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def bundled_plan(size: str = "resampled"):
    package = load_package(paths.DATA_SYNTHETIC)
    studies = package["prevalence_studies"]
    return multiverse_batch.plan(studies, load_choices(), size,
                                 multiverse.package_categories(package))


def serial_rate(spread: SpreadPlan) -> float:
    """Specifications per second of the reference, one at a time."""
    plan = spread.plan
    specs = [plan.spec(spread.index(i)) for i in range(len(spread))]
    began = time.perf_counter()
    multiverse.evaluate_many(plan.studies, specs, plan.choices.min_studies, plan.seed)
    return len(specs) / (time.perf_counter() - began)


def batched(spread: SpreadPlan) -> tuple[float, str]:
    """Specifications per second in this process, and the rows' digest."""
    digest = Digest()
    began = time.perf_counter()
    multiverse_compute.run_chunks(spread, digest)
    return len(spread) / (time.perf_counter() - began), digest.hexdigest()


def on_cluster(spread: SpreadPlan, client, where: str) -> dict:
    digest = Digest()
    began = time.perf_counter()
    ran = multiverse_compute.run_chunks(spread, digest, client, where=where)
    seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 2), "per_s": round(len(spread) / seconds),
            "tasks": ran.n_tasks, "chunk": ran.chunk, "workers": ran.n_workers,
            "digest": digest.hexdigest(), "load": _load()}


def run(counts=COUNTS, workers=WORKERS, scheduler: str | None = None,
        out: Path | None = None, say=print, streams=STREAM_RUNS) -> dict:
    """Time the multiverse at each count, serially, batched and on each cluster."""
    from dask.distributed import Client, LocalCluster

    out = out or paths.build_dir() / "bench_multiverse.json"
    logging.getLogger("distributed").setLevel(logging.WARNING)
    report: dict = {
        "benchmark": "multiverse specifications per second", "version": __version__,
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m benchmarks --multiverse-only",
        "python": platform.python_version(), "machine": platform.machine(),
        "cores": cluster.machine_workers(), "cluster_from": multiverse_compute.CLUSTER_FROM}
    report["bundled"] = bundled_figures(say)
    plan = bundled_plan()
    report["resampled_specifications"] = len(plan)
    report["dl_per_s_one_core"] = dl_rate(plan, say)
    clusters, startup = {}, {}
    for n in workers:
        # Started as the command line starts one (cluster.client_for), and warmed: the
        # workers' first chunk imports the statistics; all of it counts as start-up.
        began = time.perf_counter()
        local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                             dashboard_address=cluster.DASHBOARD, silence_logs=logging.WARNING)
        client = Client(local)
        multiverse_compute.run_chunks(SpreadPlan(plan, 16 * n), lambda rows: None, client,
                                      chunk=8)
        clusters[f"{n} worker{'s' if n > 1 else ''}"] = (local, client)
        startup[n] = round(time.perf_counter() - began, 2)
    report["cluster_startup_s"] = startup
    remote = Client(scheduler, timeout=cluster.CONNECT_TIMEOUT) if scheduler else None
    rows = []
    try:
        for count in counts:
            spread = SpreadPlan(plan, count)
            row = {"specifications": len(spread), "load": _load()}
            if count <= SERIAL_UP_TO:
                row["serial_per_s"] = round(serial_rate(spread))
            rate, reference = batched(spread)
            row["batched_per_s"] = round(rate)
            say(f"  {len(spread):,} specifications: "
                + (f"serial {row['serial_per_s']:,}/s, " if "serial_per_s" in row else "")
                + f"batched {rate:,.0f}/s (load {row['load']})")
            for name, (_, client) in clusters.items():
                row[name] = on_cluster(spread, client, "local cluster")
                row[name]["same_table"] = row[name].pop("digest") == reference
                say(f"    {name}: {row[name]['per_s']:,}/s in {row[name]['tasks']} chunks, "
                    f"same table: {row[name]['same_table']}")
            if remote is not None:
                row["scheduler"] = on_cluster(spread, remote, scheduler)
                row["scheduler"]["same_table"] = row["scheduler"].pop("digest") == reference
            rows.append(row)
            report["runs"] = rows
            _write(out, report)
    finally:
        if remote is not None:
            remote.close()
        for local, client in clusters.values():
            client.close()
            local.close()
    report["serial_per_s_extrapolated_to_1e6"] = rows[-1].get(
        "serial_per_s", next((r["serial_per_s"] for r in reversed(rows)
                              if "serial_per_s" in r), None))
    report["threshold"] = threshold(report)
    report["streamed"] = [streamed(count, where, say) for count, where in streams]
    _write(out, report)
    return report


def bundled_figures(say=print) -> dict:
    """The bundled full multiverse (7,664) in this process: plan and evaluation."""
    times = []
    for _ in range(3):
        began = time.perf_counter()
        table = bundled_plan("full").evaluate()
        times.append(time.perf_counter() - began)
    seconds = statistics.median(times)
    say(f"  bundled full multiverse: {len(table):,} specifications in {seconds:.2f} s "
        f"(load {_load()})")
    return {"specifications": len(table), "seconds": round(seconds, 3),
            "runs_s": [round(t, 3) for t in times], "load": _load()}


def dl_rate(plan, say=print, count: int = 200_000) -> dict:
    """DerSimonian-Laird specifications per second in this process (one core)."""
    bases = [b for b, base in enumerate(plan.bases) if base["tau2_method"] == "dl"]
    spread = SpreadPlan(plan, count, bases=bases)
    rates = [batched(spread)[0] for _ in range(3)]
    say(f"  DerSimonian-Laird: {statistics.median(rates):,.0f} specifications/s on one core "
        f"(load {_load()})")
    return {"specifications": len(spread), "per_s": round(statistics.median(rates)),
            "runs": [round(r) for r in rates], "load": _load()}


def threshold(report: dict) -> int | None:
    """Specifications from which a fresh local cluster of the most workers beats this
    process: its start-up over the time it saves per specification."""
    runs = report.get("runs") or []
    name = max((k for k in runs[-1] if k.endswith(("worker", "workers"))), default=None) \
        if runs else None
    if name is None:
        return None
    n = int(name.split()[0])
    batched_s = 1 / runs[-1]["batched_per_s"]
    cluster_s = 1 / runs[-1][name]["per_s"]
    if cluster_s >= batched_s:
        return None
    return int(report["cluster_startup_s"][n] / (batched_s - cluster_s))


def streamed(count: int, where: str, say=print) -> dict:
    """Peak process-tree memory of ``count`` specifications streamed to Parquet."""
    from benchmarks.bench_anchor import measured

    with tempfile.TemporaryDirectory() as tmp:
        run = measured([sys.executable, "-m", "benchmarks.bench_multiverse", "--stream",
                        str(count), "--where", where, "--out", tmp], cwd=paths.ROOT)
        if run.returncode != 0:
            raise RuntimeError(f"streamed multiverse failed:\n{run.output[-3000:]}")
        size = sum(p.stat().st_size for p in Path(tmp).glob("*.parquet"))
    say(f"  streamed {count:,} specifications ({where}): {run.seconds:.1f} s, peak "
        f"{run.peak_rss_mb:.0f} MB (load {run.load})")
    return {"specifications": count, "where": where, "seconds": run.seconds,
            "peak_rss_mb": run.peak_rss_mb, "parquet_mb": round(size / 2 ** 20, 1),
            "load": run.load}


def stream(count: int, where: str, out: Path) -> None:
    """What :func:`streamed` measures: ``count`` spread specifications of the resampled
    multiverse streamed to Parquet with the summary's columns kept, as the command line
    does, in this process or on a local cluster of one worker per core."""
    plan = bundled_plan()
    spread = SpreadPlan(plan, count)
    files = multiverse_compute.TableFiles(Path(out) / "multiverse", {"rows": len(spread)},
                                          csv=False)
    summary = multiverse_compute.SummaryColumns(plan.choices, plan.size, len(spread))

    def write(frame: pd.DataFrame) -> None:
        files.write(frame)
        summary.add(frame)

    with multiverse_compute.cluster_for(len(spread), cluster_from=(
            0 if where == "cluster" else sys.maxsize)) as client:
        multiverse_compute.run_chunks(spread, write, client)
    files.close()
    multiverse.summarise(summary.table(), plan.choices, plan.size)


def _write(out: Path, report: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


def format_report(report: dict) -> str:
    """The multiverse timings as a plain-text table."""
    runs = report["runs"]
    names = [k for k in runs[0] if k.endswith(("worker", "workers")) or k == "scheduler"]
    head = f"{'specs':>9} {'serial/s':>9} {'batched/s':>10}" + "".join(
        f" {name + ' /s':>12}" for name in names) + "  load"
    pays = (f"a local cluster pays from about {report['threshold']:,} specifications"
            if report.get("threshold") else "a local cluster did not pay at any count")
    lines = [f"multiverse on {report['cores']} cores: bundled full multiverse "
             f"{report['bundled']['specifications']:,} specifications in "
             f"{report['bundled']['seconds']:.2f} s; DerSimonian-Laird "
             f"{report['dl_per_s_one_core']['per_s']:,}/s on one core; cluster start-up "
             + ", ".join(f"{n} worker(s) {s} s" for n, s in report["cluster_startup_s"].items())
             + f"; {pays}", head]
    for row in runs:
        line = (f"{row['specifications']:>9,} {row.get('serial_per_s', float('nan')):>9,.0f} "
                f"{row['batched_per_s']:>10,}")
        for name in names:
            line += f" {row[name]['per_s']:>12,}" if name in row else f" {'':>12}"
        lines.append(line + f"  {row['load']}")
    for s in report.get("streamed", []):
        lines.append(f"streamed {s['specifications']:,} ({s['where']}): {s['seconds']} s, "
                     f"peak process-tree memory {s['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="one streamed run (see streamed())")
    parser.add_argument("--stream", type=int, required=True)
    parser.add_argument("--where", choices=("here", "cluster"), default="here")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    stream(args.stream, args.where, args.out)
