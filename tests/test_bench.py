"""The benchmark's arithmetic and report (the timings themselves come from `make bench`)."""

from __future__ import annotations

import pytest

from benchmarks.bench import ScaleBenchmark, floor_seconds, format_table, paired_ratios


def test_floor_spreads_kernel_start_ups_over_the_workers():
    assert floor_seconds(kernel_start=0.8, executions=11, jobs=2, book=6.0) == 0.8 * 5.5 + 6.0
    assert floor_seconds(kernel_start=1.0, executions=4, jobs=1, book=2.0) == 6.0


def test_table_reports_ratio_cpu_and_re_executed_pages():
    row = ScaleBenchmark(scale=10, clean=18.0, noop=0.7, one_file=13.5,
                         one_file_changed="prevalence_studies.csv",
                         one_file_executed=["prevalence", "reproduction"], executions=11,
                         kernel_start=0.8, jupyter_book=6.0, floor=10.4,
                         clean_over_floor=1.73, clean_cpu=30.2, clean_cpu_share=0.84)
    head, line = format_table([row]).splitlines()
    assert "clean/floor" in head and "jb alone" in head and "cores busy" in head
    assert line.split()[:8] == ["10", "18.0", "10.4", "1.73", "6.0", "30.2", "84%", "0.7"]
    assert line.endswith("prevalence, reproduction")


def test_each_clean_build_is_compared_with_its_own_floor():
    assert paired_ratios([15.0, 18.0, 14.0], [10.0, 12.0, 10.0]) == [1.5, 1.5, 1.4]
    with pytest.raises(ValueError, match="its own floor"):
        paired_ratios([15.0], [])


# ------------------------------------------------ the anchor and the multiverse's report


def test_the_anchor_counts_what_jupyter_book_executed_and_pairs_the_builds():
    from benchmarks.bench_anchor import AnchorReport, MeasuredRun, executed_by_jupyter_book

    log = ("Executing notebook using local CWD [mystnb]: a.ipynb\n"
           "Executed notebook in 2.31 seconds [mystnb]\n"
           "Using cached notebook: ID=3 [mystnb]\nExecuted notebook in 0.90 seconds\n")
    assert executed_by_jupyter_book(MeasuredRun(1.0, 1.0, 1.0, 0.0, log)) == 2
    report = AnchorReport(pages=29, notebooks=26, ours_clean=[50.0, 60.0, 55.0],
                          jb1_clean=[200.0, 200.0, 220.0], clean_ratios=[0.25, 0.3, 0.25],
                          floors=[30.0, 31.0, 32.0], over_floor=[1.7, 1.9, 1.8],
                          ours_peak_mb=[900.0, 1000.0, 950.0], jb1_peak_mb=[400.0] * 3,
                          loads=[2.0] * 3, ours_noop=1.0, jb1_noop=5.0, ours_one_file=22.0,
                          ours_page_changed=True, jb1_page_changed=False)
    s = report.summary
    assert (s["clean_ratio"], s["noop_ratio"], s["one_file_over_clean"]) == (0.25, 0.2, 0.4)
    assert s["clean_over_floor"] == 1.8 and s["peak_mb_ours"] == 950.0
    assert s["jb1_stale_after_one_file"] is True


def test_the_process_tree_memory_counts_a_child_of_the_build(tmp_path):
    import sys

    from benchmarks.bench_anchor import measured

    # A child process that holds 200 MB for a moment: the tree's peak sees it.
    child = "import time; x = bytearray(200 * 2**20); x[::4096] = b'1' * len(x[::4096]); " \
            "time.sleep(1.0)"
    run = measured([sys.executable, "-c", "import subprocess, sys; subprocess.run("
                    f"[sys.executable, '-c', {child!r}])"])
    assert run.returncode == 0 and run.peak_rss_mb > 200


class _Numbered:
    """A plan whose rows are their own numbers."""

    seed = None

    def __len__(self) -> int:
        return 1_000

    def evaluate(self, start=0, stop=None):
        import pandas as pd

        return pd.DataFrame({"specification": range(start + 1, (stop or 1_000) + 1)})


def test_the_benchmarks_specifications_are_spread_runs_of_the_plan():
    from benchmarks.bench_multiverse import SpreadPlan, row_digest

    spread = SpreadPlan(_Numbered(), 40, pieces=4)
    rows = spread.evaluate()["specification"].tolist()
    assert rows == [*range(1, 11), *range(251, 261), *range(501, 511), *range(751, 761)]
    assert [spread.index(i) + 1 for i in range(40)] == rows
    chunks = [spread.evaluate(a, b) for a, b in ((0, 7), (7, 33), (33, 40))]
    assert row_digest(chunks) == row_digest([spread.evaluate()])


def test_the_cluster_threshold_is_its_start_up_over_the_time_it_saves():
    from benchmarks.bench_multiverse import threshold

    report = {"cluster_startup_s": {1: 1.0, 2: 3.0},
              "runs": [{"batched_per_s": 40_000, "1 worker": {"per_s": 30_000},
                        "2 workers": {"per_s": 80_000}}]}
    # 3 s / (1/40,000 - 1/80,000 s) = 240,000 specifications
    assert threshold(report) == 240_000
    report["runs"][0]["2 workers"]["per_s"] = 30_000
    assert threshold(report) is None
