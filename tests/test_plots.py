"""Shared plotting conventions."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import seaborn as sns  # noqa: E402

from analysis.plots import PALETTE, axes_or_new  # noqa: E402
from analysis.plots import sample as sample_plots  # noqa: E402


def test_palette_is_seaborns_colorblind_palette():
    assert np.allclose(PALETTE, sns.color_palette("colorblind"), atol=1e-4)


def test_axes_or_new_returns_the_given_axes():
    ax = axes_or_new()
    assert axes_or_new(ax) is ax


@pytest.mark.parametrize("plot", [sample_plots.interview_timeline, sample_plots.papers_by_year])
def test_sample_plots_take_and_return_axes(plot, package):
    ax = axes_or_new()
    assert plot(package, ax=ax) is ax
    assert ax.get_xlabel() and ax.get_ylabel()
    assert plot(package).figure is not None
