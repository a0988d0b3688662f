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


def test_figures_are_glued_as_svg_with_reproducible_bytes(package):
    from analysis.chapters.glue import FigureSVG, render_svg

    svgs = []
    for _ in range(2):
        ax = sample_plots.papers_by_year(package)
        svgs.append(render_svg(ax.figure, "fig_papers_by_year"))
    assert svgs[0] == svgs[1]  # no creation date, ids salted with the name only
    assert "<dc:date>" not in svgs[0]
    assert "Year of publication" in svgs[0]  # text stays text: searchable, sharp
    bundle = FigureSVG("fig_papers_by_year", svgs[0])._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}


def test_drawing_a_figure_leaves_the_garbage_collector_as_it_found_it(package, monkeypatch):
    import gc

    from analysis.chapters.glue import render_svg

    ax = sample_plots.papers_by_year(package)
    assert gc.isenabled()
    assert "Year of publication" in render_svg(ax.figure, "fig")
    assert gc.isenabled()
    gc.disable()  # a caller that paused it finds it paused
    try:
        render_svg(ax.figure, "fig")
        assert not gc.isenabled()
    finally:
        gc.enable()

    def fails(*args, **kwargs):
        raise ValueError("cannot draw")

    monkeypatch.setattr(ax.figure, "savefig", fails)
    with pytest.raises(ValueError, match="cannot draw"):  # a failed drawing leaves it on
        render_svg(ax.figure, "fig")
    assert gc.isenabled()


def test_forest_plot_draws_one_square_and_interval_per_study(package):
    from matplotlib.collections import LineCollection, PathCollection

    from analysis.plots.prevalence import forest_plot
    from analysis.chapters.prevalence import prevalence_context

    context = prevalence_context(package)
    ax = forest_plot(context.studies, context.by_setting, context.overall)
    squares = sum(len(c.get_offsets()) for c in ax.collections
                  if isinstance(c, PathCollection))
    intervals = sum(1 for c in ax.collections if isinstance(c, LineCollection)
                    for (_, y0), (_, y1) in c.get_segments() if y0 == y1)  # not the vlines
    assert squares == intervals == len(context.studies)
    assert ax.figure.get_layout_engine() is None  # drawn once when saved
