"""Benchmark of the build: clean, no-op and one-file rebuilds, against their floor.

The floor of a clean build is what no cache can avoid: one kernel start-up per
executed notebook, spread over the worker processes, plus ``jupyter-book build`` alone
on the executed notebooks (the clean build's own book source, ``_build/source``, built
again by the plain command). Each clean build is followed by its own floor and
reported as a ratio to it; three such pairs are run and their medians reported. Builds
run through the command line, as a user runs them, each in a fresh temporary folder.

The clean build's CPU time (all its processes: command line, workers, kernels and
jupyter-book) and the share of the machine's cores it kept busy tell computation from
waiting: a build near 100% busy can only get faster by doing less work.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from analysis import paths
from analysis.synth import DEFAULT_SEED, generate

CHANGED_FILE = "prevalence_studies.csv"


@dataclass
class ScaleBenchmark:
    """Timings of one data scale (seconds)."""

    scale: int
    clean: float
    noop: float
    one_file: float
    one_file_changed: str
    one_file_executed: list[str]
    executions: int
    kernel_start: float  # medians of the repetitions, as are the next three
    jupyter_book: float  # alone, on the clean build's source
    floor: float
    clean_over_floor: float
    clean_cpu: float = 0.0
    clean_cpu_share: float = 0.0
    # Within the clean build, from the moment its source was complete (Jupyter Book
    # starts earlier and waits, see analysis.engine.book.BookProcess).
    clean_jupyter_book_after_source: float = 0.0
    # Each repetition in order: a clean build, then its floor (the values above are the
    # medians; clean_over_floor is the median of the paired ratios).
    clean_runs: list[float] = field(default_factory=list)
    jupyter_book_runs: list[float] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)
    clean_over_floor_runs: list[float] = field(default_factory=list)


def kernel_start_seconds(repeats: int = 3) -> float:
    """Median seconds to execute an empty notebook with papermill in-process."""
    import papermill

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.ipynb"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.write(nb, empty)
        # The kernel inherits stderr; its start-up chatter is not part of the report.
        stderr = os.dup(2)
        with open(os.devnull, "w") as quiet:
            os.dup2(quiet.fileno(), 2)
        try:
            for _ in range(repeats):
                t0 = time.perf_counter()
                papermill.execute_notebook(str(empty), str(Path(tmp) / "out.ipynb"),
                                           kernel_name="python3", progress_bar=False,
                                           shutdown_kernel="immediate")
                times.append(time.perf_counter() - t0)
        finally:
            os.dup2(stderr, 2)
            os.close(stderr)
    return sorted(times)[len(times) // 2]


def floor_seconds(kernel_start: float, executions: int, jobs: int, book: float) -> float:
    """What no cache can avoid: one kernel start-up per executed notebook, spread over
    the workers, plus ``jupyter-book build`` on the executed notebooks."""
    return kernel_start * executions / jobs + book


def jupyter_book_alone_seconds(source_dir: Path) -> float:
    """Seconds of a plain ``jupyter-book build`` of a kept book source, into a new folder.

    Parameters
    ----------
    source_dir : Path
        A build's ``_build/source`` (:func:`analysis.paths.book_source_dir`).
    """
    from analysis.engine.book import BookSource

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        proc = subprocess.run(BookSource(source_dir).command(Path(out)), capture_output=True,
                              text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"jupyter-book build alone failed:\n{proc.stdout[-3000:]}")
    return seconds


@dataclass
class TimedBuild:
    """One build through the command line."""

    seconds: float
    cpu_seconds: float  # of the whole process tree: CLI, workers, kernels, jupyter-book
    executed: list[str]
    page_seconds: dict[str, float] = field(default_factory=dict)  # each page's execution


def _timed_build(data_dir: Path, build_root: Path, jobs: int) -> TimedBuild:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", "--data-dir",
                           str(data_dir), "--build-root", str(build_root), "--jobs", str(jobs)],
                          capture_output=True, text=True, cwd=paths.ROOT)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark build failed:\n{proc.stderr[-3000:]}")
    executed = [line.split()[1] for line in proc.stdout.splitlines()
                if line.strip().startswith("executed")]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    page_seconds = {page: float(s) for page, s in
                    re.findall(r"executed\s+(\S+) \(([\d.]+) s", proc.stdout)}
    return TimedBuild(seconds, cpu, executed, page_seconds)


def _change_one_cell(data_dir: Path) -> None:
    """Add one case to the first prevalence study (the package stays valid)."""
    path = data_dir / CHANGED_FILE
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    i = header.index("cases")
    cells[i] = str(int(cells[i]) + 1)
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def benchmark_scale(scale: int, jobs: int, repeats: int = 3) -> ScaleBenchmark:
    """Clean, no-op and one-file rebuilds on synthetic data of one scale.

    Each clean build is followed at once by its own floor (the kernel start-up and a
    plain ``jupyter-book build`` of that build's source) and compared with it; the
    report gives the medians of ``repeats`` such pairs. On the project's shared virtual
    machine the same work takes up to a third more processor time from one minute to
    the next, so a build is compared with a floor measured in the same minute.
    """
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        generate(seed=DEFAULT_SEED, out_dir=data_dir, scale=scale)
        cleans, kernels, books, floors = [], [], [], []
        for run in range(repeats):
            root = Path(tmp) / f"root-{run}"
            cleans.append(_timed_build(data_dir, root, jobs))
            kernels.append(kernel_start_seconds())
            books.append(jupyter_book_alone_seconds(paths.book_source_dir(root)))
            floors.append(floor_seconds(kernels[-1], len(cleans[-1].executed), jobs, books[-1]))
        clean = sorted(cleans, key=lambda build: build.seconds)[len(cleans) // 2]
        manifest = json.loads((paths.html_dir(root) / "manifest.json").read_text())
        noop = _timed_build(data_dir, root, jobs)
        _change_one_cell(data_dir)
        one_file = _timed_build(data_dir, root, jobs)
    ratios = paired_ratios([build.seconds for build in cleans], floors)
    return ScaleBenchmark(scale, round(clean.seconds, 2), round(noop.seconds, 2),
                          round(one_file.seconds, 2), CHANGED_FILE, one_file.executed,
                          len(clean.executed), round(statistics.median(kernels), 2),
                          round(statistics.median(books), 2),
                          round(statistics.median(floors), 2),
                          round(statistics.median(ratios), 2), round(clean.cpu_seconds, 1),
                          round(clean.cpu_seconds / (clean.seconds * _cores()), 2),
                          manifest["jupyter_book_seconds"],
                          [round(build.seconds, 2) for build in cleans],
                          [round(seconds, 2) for seconds in books],
                          [round(floor, 2) for floor in floors], [round(r, 2) for r in ratios])


def paired_ratios(cleans: list[float], floors: list[float]) -> list[float]:
    """Each clean build over the floor measured right after it."""
    if len(cleans) != len(floors):
        raise ValueError("every clean build needs its own floor")
    return [clean / floor for clean, floor in zip(cleans, floors)]


def run_benchmark(scales=(1, 10, 100), jobs: int = 2, out: Path | None = None,
                  say=print, repeats: int = 3, scheduler: str | None = None
                  ) -> list[ScaleBenchmark]:
    """Run the benchmark at each scale, the anchor (Jupyter Book 1's cached execution),
    the tables, the preview and the multiverse; write ``_build/bench*.json`` and print
    each report."""
    results = []
    for scale in scales:
        say(f"scale {scale}: clean builds and their floors, no-op rebuild, rebuild after "
            "one data file ...")
        results.append(benchmark_scale(scale, jobs))
    out = out or paths.build_dir() / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    base = results[0].clean
    payload = {"jobs": jobs, "machine_cores": _cores(), "scales": [asdict(r) for r in results],
               "scale_over_first_clean": {r.scale: round(r.clean / base, 2) for r in results}}
    out.write_text(json.dumps(payload, indent=2) + "\n")
    say(format_table(results))
    say(f"written to {out}")
    from benchmarks import bench_anchor

    say("anchor: our build and Jupyter Book 1's cached execution, paired ...")
    say(bench_anchor.format_report(bench_anchor.run(repeats=repeats, jobs=jobs, say=say)))
    say(f"written to {paths.build_dir() / 'bench_anchor.json'}")
    from benchmarks import bench_tables

    tables = bench_tables.run(scale=max(scales))
    say(bench_tables.format_report(tables))
    say(f"written to {paths.build_dir() / 'bench_tables.json'}")
    from benchmarks import bench_preview

    say("preview: saving a data file to the new book published ...")
    say(bench_preview.format_report(bench_preview.run(say=say)))
    say(f"written to {paths.build_dir() / 'bench_preview.json'}")
    from benchmarks import bench_multiverse

    say("multiverse: specifications per second, serially, batched and on Dask ...")
    say(bench_multiverse.format_report(bench_multiverse.run(say=say, scheduler=scheduler)))
    say(f"written to {paths.build_dir() / 'bench_multiverse.json'}")
    return results


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def format_table(results: list[ScaleBenchmark]) -> str:
    """The benchmark as a plain-text table."""
    head = (f"{'scale':>5} {'clean s':>8} {'floor s':>8} {'clean/floor':>11} "
            f"{'jb alone s':>10} {'clean cpu s':>11} {'cores busy':>10} {'no-op s':>8} "
            f"{'one-file s':>10}  re-executed after one file")
    rows = [f"{r.scale:>5} {r.clean:>8.1f} {r.floor:>8.1f} {r.clean_over_floor:>11.2f} "
            f"{r.jupyter_book:>10.1f} {r.clean_cpu:>11.1f} {r.clean_cpu_share:>10.0%} "
            f"{r.noop:>8.1f} {r.one_file:>10.1f}  {', '.join(r.one_file_executed) or 'none'}"
            for r in results]
    return "\n".join([head, *rows])
