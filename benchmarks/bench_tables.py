"""Time the theme-frequency and saturation functions on a large synthetic package.

A benchmark, not a test: it writes its figures to ``_build/bench_tables.json`` and
asserts nothing. ``python -m benchmarks`` (``make bench``) runs it after the build
benchmark, at the largest scale benchmarked.

At ``--scale 100`` the package holds 2,900 papers and 3,000 participants (the published
counts times 100), generated with the default seed into a temporary folder.
"""

from __future__ import annotations

import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from analysis import __version__, paths
from analysis.chapters import themes as themes_page
from analysis.stats import saturation
from analysis.stats import themes
from analysis.contract.validation import load_package
from analysis.synth import DEFAULT_SEED, generate


def _time(call: Callable[[], object], repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(runs), 4), "min_s": round(min(runs), 4),
            "max_s": round(max(runs), 4)}


def run(scale: int = 100, repeat: int = 3, n_orders: int = 1000,
        out: Path | None = None) -> dict:
    """Generate a package at ``scale``, time each table function, write the JSON."""
    out = out or paths.build_dir() / "bench_tables.json"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        generate(seed=DEFAULT_SEED, out_dir=tmp, scale=scale)
        synth_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        package = load_package(tmp)
        load_s = time.perf_counter() - t0

        support = themes.ThemeSupport.from_package(package)
        people = themes.participant_support(package)
        incidence = saturation.CodeIncidence.from_package(package)
        table = themes.quality_sensitivity(support, ["low"])
        result = saturation.assess(incidence)
        calls = {
            "ThemeSupport.from_package": lambda: themes.ThemeSupport.from_package(package),
            "frequency_table": lambda: themes.frequency_table(support),
            "frequency_view": lambda: themes_page.frequency_view(
                themes.frequency_table(support)),
            "support_by_group[setting]": lambda: themes.support_by_group(support, "setting"),
            "support_by_group[country_group]": lambda: themes.support_by_group(
                support, "country_group"),
            "support_by_group[band]": lambda: themes.support_by_group(support, "band"),
            "group_view[band]": lambda: themes_page.group_view(
                themes.support_by_group(support, "band")),
            "cooccurrence": lambda: themes.cooccurrence(support),
            "quality_sensitivity[low]": lambda: themes.quality_sensitivity(support, ["low"]),
            "summarise_sensitivity": lambda: themes.summarise_sensitivity(
                support, table, ["low"]),
            "participant_support": lambda: themes.participant_support(package),
            "participant_frequency": lambda: themes.participant_frequency(people),
            "participant_breakdown": lambda: themes.participant_breakdown(people),
            "breakdown_view": lambda: themes_page.breakdown_view(
                themes.participant_breakdown(people)),
            "CodeIncidence.from_package": lambda: saturation.CodeIncidence.from_package(package),
            "new_codes_curve": lambda: saturation.new_codes_curve(incidence),
            "assess": lambda: saturation.assess(incidence),
            f"order_sensitivity[{n_orders} orders]": lambda: saturation.order_sensitivity(
                incidence, n_orders=n_orders, observed=result),
        }
        timings = {name: _time(call, repeat) for name, call in calls.items()}
        report = {
            "benchmark": "theme frequencies and saturation",
            "version": __version__,
            "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": f"python -m benchmarks (table functions at scale {scale}, "
                       f"{repeat} repeats, {n_orders} random orders)",
            "python": platform.python_version(),
            "machine": platform.machine(),
            "scale": scale,
            "seed": DEFAULT_SEED,
            "size": {"papers": len(support.units), "participants": len(people.units),
                     "study_codes": len(package["study_codes"]),
                     "participant_codes": len(package["participant_codes"]),
                     "distinct_codes": len(incidence.code_ids)},
            "synth_s": round(synth_s, 2),
            "load_and_validate_s": round(load_s, 2),
            "repeat": repeat,
            "timings": timings,
            "total_median_s": round(sum(t["median_s"] for t in timings.values()), 3),
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    return report


def format_report(report: dict) -> str:
    """The table-function timings as plain text."""
    width = max(map(len, report["timings"]))
    lines = [f"table functions at scale {report['scale']}: {report['size']}",
             f"  synth {report['synth_s']} s, load and validate {report['load_and_validate_s']} s"]
    lines += [f"  {name:<{width}}  {t['median_s']:8.4f} s (median of {report['repeat']})"
              for name, t in report["timings"].items()]
    return "\n".join(lines)
