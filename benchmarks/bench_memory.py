"""Where a clean build's memory goes: the peak of the process tree's summed resident set
sizes, and how much of it each kind of process held at that moment.

``python -m benchmarks.bench_memory [--data-dir DIR] [--jobs N]`` runs one clean build
of the book into a temporary folder and prints a JSON report. It samples the tree every
0.1 s, as the anchor benchmark does (:func:`benchmarks.bench_anchor.measured`), and
sorts its processes into the command line (``parent``), the build's worker processes
(``workers``), the notebook kernels (``kernels``), the Jupyter Book process (``book``)
and anything else (``other``). Resident set sizes count memory shared between
processes once per process, as the anchor's peak does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis import paths

SAMPLE_SECONDS = 0.1


def _kind(process, root_pid: int) -> str:
    import psutil

    if process.pid == root_pid:
        return "parent"
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return "other"
    if "ipykernel" in command:
        return "kernels"
    if "jupyter-book" in command or "sphinx" in command:
        return "book"
    if "-m analysis build" in command:
        return "workers"
    return "other"


def measure(command: list[str], cwd: Path | None = None) -> dict:
    """Run ``command``; its wall time, peak tree memory and that peak by kind (MB)."""
    import psutil

    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak, at_peak, largest = 0, {}, {}
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        sums: dict[str, int] = {}
        for member in tree:
            try:
                rss = member.memory_info().rss
            except psutil.Error:
                continue
            kind = _kind(member, root.pid)
            sums[kind] = sums.get(kind, 0) + rss
            largest[kind] = max(largest.get(kind, 0), rss)
        if sum(sums.values()) > peak:
            peak, at_peak = sum(sums.values()), sums
        time.sleep(SAMPLE_SECONDS)
    proc.wait()
    mb = 2 ** 20
    return {"command": " ".join(command), "seconds": round(time.perf_counter() - began, 1),
            "returncode": proc.returncode, "peak_mb": round(peak / mb),
            "at_peak_mb": {k: round(v / mb) for k, v in sorted(at_peak.items())},
            "largest_process_mb": {k: round(v / mb) for k, v in sorted(largest.items())}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, metavar="DIR")
    parser.add_argument("--jobs", type=int, default=2, metavar="N")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as root:
        command = [sys.executable, "-m", "analysis", "build", "--build-root", root,
                   "--jobs", str(args.jobs)]
        if args.data_dir:
            command += ["--data-dir", str(Path(args.data_dir).resolve())]
        print(json.dumps(measure(command, cwd=paths.ROOT), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
