"""Build a book from a package with a codebook of real size: hundreds to thousands of
sub-themes (``python -m benchmarks --subthemes 1000``).

A benchmark, not a test: it writes its figures to ``_build/bench_codebook.json`` and
asserts nothing. For each number of sub-themes it generates the bundled package with
that many invented sub-themes (``python -m analysis synth --subthemes N``, default
seed, ten sub-themes to a theme) into a temporary folder, times one clean build through
the command line, and records the pages that took longest to execute and the weight
of every page: its HTML plus the figures it shows (``_images``), which a reader's
browser loads with it. The tables' CSV and Excel files are downloads, not page weight.
"""

from __future__ import annotations

import json
import os
import platform
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from analysis import __version__, paths
from analysis.synth import DEFAULT_SEED, generate
from benchmarks.bench import _timed_build

PAGE_LIMIT_BYTES = 2_000_000  # issue 29: every page under 2 MB with 1,000 sub-themes


def page_weights(html_dir: Path) -> dict[str, int]:
    """Bytes of each page of a built book: its HTML and the images it shows."""
    weights = {}
    for page in sorted(html_dir.glob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        images = set(re.findall(r'src="(_images/[^"]+)"', text))
        weights[page.stem] = page.stat().st_size + sum(
            (html_dir / image).stat().st_size for image in images
            if (html_dir / image).is_file())
    return weights


def run_one(n_subthemes: int, jobs: int = 2) -> dict:
    """One clean build of the bundled package with ``n_subthemes`` invented sub-themes
    (0: the bundled package itself, its 17 sub-themes, for comparison)."""
    load = round(os.getloadavg()[0], 2)  # the machine may be shared: say how busy it was
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, build_root = Path(tmp) / "data", Path(tmp) / "build"
        generate(seed=DEFAULT_SEED, out_dir=data_dir, subthemes=n_subthemes or None)
        framework = (data_dir / "framework.csv").read_text(encoding="utf-8").splitlines()
        n_subthemes = sum(line.startswith("meta_synthesis,") for line in framework)
        timed = _timed_build(data_dir, build_root, jobs)
        weights = page_weights(build_root / "_build" / "html")
    slowest = dict(sorted(timed.page_seconds.items(), key=lambda kv: -kv[1])[:5])
    heaviest = dict(sorted(weights.items(), key=lambda kv: -kv[1])[:5])
    return {"subthemes": n_subthemes, "clean_s": round(timed.seconds, 1),
            "clean_cpu_s": round(timed.cpu_seconds, 1), "pages": len(weights),
            "load_at_start": load,
            "slowest_pages_s": slowest, "heaviest_pages_bytes": heaviest,
            "largest_page_bytes": max(weights.values()),
            "every_page_under_limit": max(weights.values()) < PAGE_LIMIT_BYTES}


def run(sizes=(0, 100, 1000), jobs: int = 2, out: Path | None = None) -> dict:
    """Time clean builds at each number of sub-themes; write the JSON."""
    out = out or paths.build_dir() / "bench_codebook.json"
    report = {
        "benchmark": "codebooks of real size",
        "version": __version__,
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m benchmarks --subthemes " + " ".join(map(str, sizes)),
        "python": platform.python_version(),
        "seed": DEFAULT_SEED,
        "page_limit_bytes": PAGE_LIMIT_BYTES,
        "runs": [run_one(n, jobs) for n in sizes],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def format_report(report: dict) -> str:
    """The builds as plain text."""
    lines = ["codebooks of real size (one clean build each):"]
    for r in report["runs"]:
        lines.append(f"  {r['subthemes']:>6,} sub-themes: {r['clean_s']} s "
                     f"(CPU {r['clean_cpu_s']} s, load {r['load_at_start']}), largest page "
                     f"{r['largest_page_bytes'] / 1e6:.2f} MB, slowest pages "
                     + ", ".join(f"{p} {s} s" for p, s in r["slowest_pages_s"].items()))
    return "\n".join(lines)
