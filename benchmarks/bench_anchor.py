"""The anchor: the same pages built by Jupyter Book 1's own cached execution.

The book's build is compared with what a Jupyter Book 1 user would run to get the same
pages without this project's engine: every page's notebook parameterised with
papermill's prepare-only mode (its parameters injected, nothing executed) into a copy of
the clean build's own book source, and ``jupyter-book build`` with
``execute_notebooks: cache``, so that myst-nb executes each notebook through
jupyter-cache and keeps the results for the next build. Both read the same copy of the
bundled data package.

``python -m benchmarks --anchor`` (and ``make bench``) runs, in fresh temporary folders:

1. ``repeats`` pairs of clean builds, ours then Jupyter Book 1's (the order alternates
   between pairs), each pair followed by the floor of our build (kernel start-ups plus
   ``jupyter-book build`` alone on our source, :mod:`benchmarks.bench`);
2. a no-op rebuild of each;
3. a rebuild of each after one cell of ``prevalence_studies.csv`` changed: how many
   notebooks each re-executed, and whether each one's Prevalence page changed (a page
   that did not change after its data did shows stale numbers).

Each build runs as a child process whose process tree (the build, its workers, kernels
and Jupyter Book) is sampled every 0.1 s: the peak of the summed resident set size is
its memory. Ratios are paired (ours over Jupyter Book 1's in the same minutes), and the
machine's load average is recorded beside every build.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from analysis import __version__, paths
from benchmarks.bench import (CHANGED_FILE, _change_one_cell, floor_seconds,
                              jupyter_book_alone_seconds, kernel_start_seconds)

SAMPLE_SECONDS = 0.1
# Jupyter Book 1's default cell timeout (30 s) is shorter than a cold kernel's first
# import on a busy machine.
CELL_TIMEOUT = 600


@dataclass
class MeasuredRun:
    """One build as a child process."""

    seconds: float
    cpu_seconds: float  # of the whole process tree, as the operating system reaped it
    peak_rss_mb: float  # the largest sum of the tree's resident set sizes
    load: float  # one-minute load average when it started
    output: str = ""
    returncode: int = 0


def measured(command: list[str], cwd: Path | None = None, env: dict | None = None
             ) -> MeasuredRun:
    """Run ``command``; its wall time, CPU time and peak process-tree memory."""
    import psutil

    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for member in tree:
            try:
                total += member.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        peak = max(peak, total)
        time.sleep(SAMPLE_SECONDS)
    proc.wait()
    reader.join()
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return MeasuredRun(round(seconds, 2), round(cpu, 1), round(peak / 2 ** 20, 1),
                       round(load, 2), "".join(lines), proc.returncode)


# ------------------------------------------------------------------- the two builds


def ours(data_dir: Path, root: Path, jobs: int) -> MeasuredRun:
    """``python -m analysis build`` into ``root``."""
    run = measured([sys.executable, "-m", "analysis", "build", "--data-dir", str(data_dir),
                    "--build-root", str(root), "--jobs", str(jobs)], cwd=paths.ROOT)
    if run.returncode != 0:
        raise RuntimeError(f"our build failed:\n{run.output[-3000:]}")
    return run


def executed_by_us(run: MeasuredRun) -> list[str]:
    return [line.split()[1] for line in run.output.splitlines()
            if line.strip().startswith("executed")]


def prepare_anchor(source: Path, anchor: Path, data_dir: Path) -> int:
    """Jupyter Book 1's book: our clean build's source with every executed notebook
    replaced by its template, parameterised by papermill's prepare-only mode, and the
    configuration switched to cached execution. Returns the notebooks prepared."""
    import papermill

    from analysis.engine.pages import load_pages

    shutil.copytree(source, anchor)
    config_path = anchor / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["execute"] = {"execute_notebooks": "cache", "timeout": CELL_TIMEOUT}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    prepared = 0
    for page in load_pages():
        target = anchor / "book" / f"{page.name}.ipynb"
        if page.template is None or not target.exists():
            continue
        declared = papermill.inspect_notebook(str(page.template))
        parameters = {k: v for k, v in {**page.parameters, "data_dir": str(data_dir)}.items()
                      if k in declared}
        papermill.execute_notebook(str(page.template), str(target), parameters=parameters,
                                   prepare_only=True, kernel_name="python3",
                                   progress_bar=False, log_output=False)
        prepared += 1
    return prepared


def jupyter_book(anchor: Path) -> MeasuredRun:
    """``jupyter-book build`` of the anchor book, with the strict options of ours (its
    jupyter-cache under its own ``_build``)."""
    from analysis.engine.book import BookSource

    run = measured(BookSource(anchor).command(anchor), cwd=anchor,
                   env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if run.returncode != 0:
        raise RuntimeError(f"Jupyter Book 1 failed:\n{run.output[-3000:]}")
    return run


def executed_by_jupyter_book(run: MeasuredRun) -> int:
    return len(re.findall(r"Executed notebook in", run.output))


def page_text(html: Path) -> str:
    """The words of a built page (scripts, styles and the edition stamp left out)."""
    text = html.read_text(encoding="utf-8")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r'<p class="edition-stamp">.*?</p>', " ", text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


PAGE = "prevalence"  # the page whose numbers the changed file moves


@dataclass
class AnchorReport:
    """Paired builds: ours against Jupyter Book 1's cached execution (seconds, MB)."""

    pages: int
    notebooks: int
    ours_clean: list[float] = field(default_factory=list)
    jb1_clean: list[float] = field(default_factory=list)
    clean_ratios: list[float] = field(default_factory=list)
    ours_clean_cpu: list[float] = field(default_factory=list)
    jb1_clean_cpu: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)
    over_floor: list[float] = field(default_factory=list)
    ours_peak_mb: list[float] = field(default_factory=list)
    jb1_peak_mb: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    ours_noop: float = 0.0
    jb1_noop: float = 0.0
    ours_one_file: float = 0.0
    jb1_one_file: float = 0.0
    ours_one_file_executed: list[str] = field(default_factory=list)
    jb1_one_file_executed: int = 0
    ours_page_changed: bool = False
    jb1_page_changed: bool = False
    changed_file: str = CHANGED_FILE
    prepare_seconds: float = 0.0

    @property
    def summary(self) -> dict:
        med = statistics.median
        return {
            "clean_ours_s": med(self.ours_clean), "clean_jb1_s": med(self.jb1_clean),
            "clean_ratio": round(med(self.clean_ratios), 2),
            "noop_ratio": round(self.ours_noop / self.jb1_noop, 2) if self.jb1_noop else None,
            "one_file_over_clean": round(self.ours_one_file / med(self.ours_clean), 2),
            "clean_over_floor": round(med(self.over_floor), 2),
            "peak_mb_ours": med(self.ours_peak_mb), "peak_mb_jb1": med(self.jb1_peak_mb),
            "jb1_stale_after_one_file": self.ours_page_changed and not self.jb1_page_changed,
        }


def run(repeats: int = 3, jobs: int = 2, out: Path | None = None, say=print) -> AnchorReport:
    """The paired builds, written to ``_build/bench_anchor.json``."""
    out = out or paths.build_dir() / "bench_anchor.json"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        shutil.copytree(paths.DATA_SYNTHETIC, data)
        report = None
        for r in range(repeats):
            root, anchor = tmp / f"ours-{r}", tmp / f"anchor-{r}"
            # Alternate who goes first; the first pair's source is ours, laid out by its
            # build, which Jupyter Book 1's book is made from (the same source after).
            if r % 2 == 0:
                mine = ours(data, root, jobs)
            began = time.perf_counter()
            notebooks = prepare_anchor(paths.book_source_dir(tmp / f"ours-{r - r % 2}"),
                                       anchor, data)
            prepare = time.perf_counter() - began
            theirs = jupyter_book(anchor)
            if r % 2 == 1:
                mine = ours(data, root, jobs)
            kernel = kernel_start_seconds()
            book = jupyter_book_alone_seconds(paths.book_source_dir(root))
            floor = floor_seconds(kernel, len(executed_by_us(mine)), jobs, book)
            if report is None:
                report = AnchorReport(_toc_pages(anchor), notebooks,
                                      prepare_seconds=round(prepare, 2))
            report.ours_clean.append(mine.seconds)
            report.jb1_clean.append(theirs.seconds)
            report.clean_ratios.append(round(mine.seconds / theirs.seconds, 3))
            report.ours_clean_cpu.append(mine.cpu_seconds)
            report.jb1_clean_cpu.append(theirs.cpu_seconds)
            report.floors.append(round(floor, 2))
            report.over_floor.append(round(mine.seconds / floor, 3))
            report.ours_peak_mb.append(mine.peak_rss_mb)
            report.jb1_peak_mb.append(theirs.peak_rss_mb)
            report.loads.append(mine.load)
            say(f"  pair {r + 1}: ours {mine.seconds:.1f} s ({mine.peak_rss_mb:.0f} MB), "
                f"Jupyter Book 1 {theirs.seconds:.1f} s ({theirs.peak_rss_mb:.0f} MB, "
                f"{executed_by_jupyter_book(theirs)} notebooks executed), floor {floor:.1f} s,"
                f" load {mine.load:.1f}")
            _write(out, report)
        # No-op and one-file rebuilds of the last pair's folders.
        report.ours_noop = ours(data, root, jobs).seconds
        report.jb1_noop = jupyter_book(anchor).seconds
        before_ours = page_text(paths.html_dir(root) / f"{PAGE}.html")
        before_jb1 = page_text(anchor / "_build" / "html" / f"{PAGE}.html")
        _change_one_cell(data)
        mine = ours(data, root, jobs)
        theirs = jupyter_book(anchor)
        report.ours_one_file, report.jb1_one_file = mine.seconds, theirs.seconds
        report.ours_one_file_executed = executed_by_us(mine)
        report.jb1_one_file_executed = executed_by_jupyter_book(theirs)
        report.ours_page_changed = page_text(paths.html_dir(root) / f"{PAGE}.html") != before_ours
        report.jb1_page_changed = (page_text(anchor / "_build" / "html" / f"{PAGE}.html")
                                   != before_jb1)
    _write(out, report)
    return report


def _toc_pages(anchor: Path) -> int:
    toc = yaml.safe_load((anchor / "book" / "_toc.yml").read_text(encoding="utf-8"))
    return 1 + sum(len(part.get("chapters", [])) for part in toc.get("parts", []))


def _write(out: Path, report: AnchorReport) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "benchmark": "our build against Jupyter Book 1's cached execution",
        "version": __version__, "command": "python -m benchmarks --anchor",
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(), **asdict(report),
        "summary": report.summary if report.ours_clean else {}}, indent=2) + "\n")


def format_report(report: AnchorReport) -> str:
    """The anchor as a few plain-text lines."""
    s = report.summary
    return "\n".join([
        f"anchor: {report.pages} pages, {report.notebooks} notebooks; paired clean builds "
        f"(ours / Jupyter Book 1): "
        + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(report.ours_clean, report.jb1_clean))
        + f" s; ratio {s['clean_ratio']:.2f} (load "
        + ", ".join(f"{x:.1f}" for x in report.loads) + ")",
        f"  no-op: {report.ours_noop:.1f} s vs {report.jb1_noop:.1f} s (ratio "
        f"{s['noop_ratio']}); clean / floor {s['clean_over_floor']:.2f}",
        f"  after one cell of {report.changed_file}: ours {report.ours_one_file:.1f} s, "
        f"{len(report.ours_one_file_executed)} re-executed "
        f"({s['one_file_over_clean']:.2f} of a clean build), page "
        f"{'changed' if report.ours_page_changed else 'unchanged'}; Jupyter Book 1 "
        f"{report.jb1_one_file:.1f} s, {report.jb1_one_file_executed} re-executed, page "
        f"{'changed' if report.jb1_page_changed else 'unchanged (stale numbers)'}",
        f"  peak process-tree memory: ours {s['peak_mb_ours']:.0f} MB, Jupyter Book 1 "
        f"{s['peak_mb_jb1']:.0f} MB"])
