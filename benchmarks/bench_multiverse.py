"""Specifications per second of the multiverse: serially and on a local Dask cluster.

A benchmark, not a test: it writes ``_build/bench_multiverse.json`` and asserts nothing.
``python -m benchmarks`` (``make bench``) runs it after the build benchmark;
``python -m benchmarks --multiverse-only`` runs it alone.

For each data scale (``synth --scale K``, default seed) the specifications are a seeded
sample of the full multiverse of ``book/multiverse.yml`` on that package (repeated in
order when the multiverse is smaller than the count asked for). Each count is evaluated
serially (:func:`analysis.stats.multiverse.evaluate_many` in this process) and on local
clusters of 1 and 2 single-threaded worker processes, four tasks per worker. A cluster
is started once per worker count, outside the timings (its start-up is reported); the
studies are sent to the workers once per scale, inside them. The overhead per task is
measured apart, as the time per task of a batch of tasks that do nothing.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import platform
import random
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from analysis import __version__, paths
from analysis.contract.choices import EACH, NONE, load_choices
from analysis.contract.validation import load_package
from analysis.stats import multiverse, multiverse_dask
from analysis.synth import DEFAULT_SEED, generate

SCALES = (1, 100)
COUNTS = (1_000, 10_000)
WORKERS = (1, 2)
NOOP_TASKS = 400


def _noop(x: int) -> int:
    return x


def sample_specs(arrays: multiverse.StudyArrays, choices, count: int,
                 seed: int = DEFAULT_SEED) -> tuple[list[dict], int]:
    """``count`` specifications of the full multiverse, and how many it has.

    A seeded sample without repeats, drawn without writing out every specification
    (at scale 100 leave-one-out makes hundreds of thousands); the whole multiverse
    repeated in order when it has fewer than ``count``.
    """
    bases = list(choices.specifications("full"))
    sizes, ids = [], []
    for base in bases:
        if base.get("leave_one_out") == EACH:
            chosen = arrays.columns["study_id"][arrays.mask({**base, "leave_one_out": NONE})]
            ids.append(chosen)
            sizes.append(len(chosen))
        else:
            ids.append(None)
            sizes.append(1)
    ends = list(itertools.accumulate(sizes))
    total = ends[-1]

    def spec(i: int) -> dict:
        b = bisect.bisect_right(ends, i)
        base = bases[b]
        if ids[b] is None:
            return base
        return {**base, "leave_one_out": str(ids[b][i - (ends[b] - sizes[b])])}

    picks = (random.Random(seed).sample(range(total), count) if total >= count
             else [i % total for i in range(count)])
    return [spec(i) for i in picks], total


def task_overhead(client, n: int = NOOP_TASKS) -> float:
    """Seconds per task of ``n`` tasks that do nothing (scheduling and transfer)."""
    client.gather(client.map(_noop, range(10), pure=False))  # warm the workers
    start = time.perf_counter()
    client.gather(client.map(_noop, range(n), pure=False))
    return (time.perf_counter() - start) / n


def run(scales=SCALES, counts=COUNTS, workers=WORKERS, out: Path | None = None,
        say=print) -> dict:
    """Time the multiverse at each scale and count, serially and on each cluster."""
    from dask.distributed import Client, LocalCluster

    out = out or paths.build_dir() / "bench_multiverse.json"
    # The clusters' own start and close messages (INFO) would bury the report.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    declared = load_choices()
    clusters, startup = {}, {}
    for n in workers:
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=multiverse_dask.DASHBOARD,
                               silence_logs=logging.WARNING)
        clusters[n] = (cluster, Client(cluster))
        startup[n] = round(time.perf_counter() - start, 2)
    overhead = {n: round(1000 * task_overhead(client), 3)
                for n, (_, client) in clusters.items()}
    rows = []
    try:
        for scale in scales:
            with tempfile.TemporaryDirectory() as tmp:
                generate(seed=DEFAULT_SEED, out_dir=tmp, scale=scale)
                package = load_package(tmp)
                studies = package["prevalence_studies"]
            # The filters declared 'each' take the categories of this package's studies.
            choices = multiverse.resolve(studies, declared,
                                         multiverse.package_categories(package))
            arrays = multiverse.StudyArrays.from_frame(
                multiverse.setting_studies(studies, choices))
            for count in counts:
                specs, full = sample_specs(arrays, choices, count)
                start = time.perf_counter()
                reference = multiverse.evaluate_many(arrays, specs, choices.min_studies)
                serial = time.perf_counter() - start
                row = {"scale": scale, "studies": len(arrays), "full_multiverse": full,
                       "specifications": count, "serial_s": round(serial, 2),
                       "serial_per_s": round(count / serial, 1)}
                say(f"  scale {scale}, {count:,} specifications: serial {serial:.1f} s")
                for n, (_, client) in clusters.items():
                    start = time.perf_counter()
                    records, tasks = multiverse_dask.evaluate_specs(
                        client, arrays, specs, choices.min_studies)
                    seconds = time.perf_counter() - start
                    same = multiverse.table(records, choices).equals(
                        multiverse.table(reference, choices))
                    row[f"workers_{n}"] = {
                        "seconds": round(seconds, 2), "per_s": round(count / seconds, 1),
                        "speed_up": round(serial / seconds, 2), "tasks": tasks,
                        "same_table": same}
                    say(f"    {n} worker(s): {seconds:.1f} s, speed-up {serial / seconds:.2f}")
                rows.append(row)
                _write(out, _report(startup, overhead, rows))  # kept if a later run dies
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    report = _report(startup, overhead, rows)
    _write(out, report)
    return report


def _report(startup: dict, overhead: dict, rows: list[dict]) -> dict:
    return {
        "benchmark": "multiverse specifications per second",
        "version": __version__,
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m benchmarks --multiverse-only",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": multiverse_dask.machine_workers(),
        "seed": DEFAULT_SEED,
        "cluster_startup_s": startup,
        "task_overhead_ms": overhead,
        "runs": rows,
    }


def _write(out: Path, report: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


def format_report(report: dict) -> str:
    """The multiverse timings as a plain-text table."""
    workers = sorted(int(k.split("_")[1]) for k in report["runs"][0] if k.startswith("workers_"))
    head = f"{'scale':>5} {'studies':>7} {'specs':>7} {'serial/s':>9}"
    head += "".join(f" {f'{n}w /s':>8} {f'{n}w x':>6}" for n in workers)
    lines = [f"multiverse on {report['cores']} cores: cluster start-up "
             + ", ".join(f"{n} worker(s) {s} s" for n, s in report["cluster_startup_s"].items())
             + "; overhead per task "
             + ", ".join(f"{n} worker(s) {ms} ms" for n, ms in report["task_overhead_ms"].items()),
             head]
    for row in report["runs"]:
        line = (f"{row['scale']:>5} {row['studies']:>7} {row['specifications']:>7,} "
                f"{row['serial_per_s']:>9.0f}")
        for n in workers:
            w = row[f"workers_{n}"]
            line += f" {w['per_s']:>8.0f} {w['speed_up']:>6.2f}"
        lines.append(line)
    return "\n".join(lines)
