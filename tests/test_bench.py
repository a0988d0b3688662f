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
