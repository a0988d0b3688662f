"""Figures read without colour: simulated protanopia and deuteranopia (Machado et al.
2009) and the forms (markers, hatching) that tell categories apart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from analysis.plots import PALETTE  # noqa: E402
from analysis.plots import colour_vision as cv  # noqa: E402
from analysis.plots import sample as sample_plots  # noqa: E402


def test_simulation_is_the_papers_matrix_on_linear_srgb():
    # By hand: #ff0000 is (1, 0, 0) in linear sRGB, so protanopia gives the first column
    # of the severity-1.0 matrix, (0.152286, 0.114503, -0.003882); sRGB-encoded
    # (1.055 * v ** (1 / 2.4) - 0.055, negatives clipped to 0) that is
    # (0.4266, 0.3727, 0.0).
    assert cv.simulate("#ff0000", "protanopia") == pytest.approx((0.4266, 0.3727, 0.0),
                                                                  abs=1e-4)
    # Each row of both matrices sums to 1: greys are seen as they are.
    for deficiency in cv.DEFICIENCIES:
        assert cv.simulate((0.5, 0.5, 0.5), deficiency) == pytest.approx((0.5, 0.5, 0.5),
                                                                          abs=1e-4)


def test_red_and_green_collapse_and_blue_and_orange_stay_apart():
    # The textbook confusion: pure red and a green of similar lightness.
    for deficiency in cv.DEFICIENCIES:
        assert cv.delta_e("#ff0000", "#008000") > 80  # far apart to normal vision ...
        assert cv.delta_e("#d55e00", "#9a8f00", deficiency) < 20  # ... vermillion vs olive
        assert cv.delta_e(PALETTE[0], PALETTE[1], deficiency) > 90  # blue vs orange
    assert cv.delta_e("white", "black") == pytest.approx(100.0, abs=1e-4)


def _pairs_told_apart_by_colour_alone(ax) -> list[str]:
    cues = cv.legend_cues(ax)
    assert len(cues) >= 2, "the figure has no legend of categories"
    return cv.colour_only_pairs(cues, threshold=20.0)


@pytest.mark.parametrize("plot", [sample_plots.interview_timeline, sample_plots.papers_by_year])
def test_every_category_of_the_sample_figures_has_its_own_form(plot, package):
    ax = plot(package)
    cues = cv.legend_cues(ax)
    categories = [c for c in cues if c.label != "Fieldwork suspended"]
    # Figure 3 of the sample page: to protanopia two interview modes were one olive.
    assert len({c.form for c in categories}) == len(categories), cues
    assert _pairs_told_apart_by_colour_alone(ax) == []
    plt.close("all")


def test_the_quality_figures_pass_with_colours_and_glyphs(package):
    from analysis.plots import quality as qp
    from analysis.stats import quality

    tool = quality.load_tool()
    consensus = quality.answers_wide(quality.ratings(package, tool))
    bands = quality.assign_bands(consensus, quality.BANDING_RULES["default"])["band"]
    for ax in (qp.traffic_light(consensus, bands, tool, quality.paper_labels(package)),
               qp.summary_bar(consensus, bands, tool)):
        if cv.legend_cues(ax):
            assert _pairs_told_apart_by_colour_alone(ax) == []
    plt.close("all")


def test_a_palette_pair_that_collapses_is_reported_unless_its_forms_differ():
    same = [cv.SeriesCue("a", PALETTE[2]), cv.SeriesCue("b", PALETTE[7])]
    assert cv.colour_only_pairs(same, threshold=20.0)  # green vs grey under deuteranopia
    apart = [cv.SeriesCue("a", PALETTE[2], marker="o"), cv.SeriesCue("b", PALETTE[7], marker="s")]
    assert cv.colour_only_pairs(apart, threshold=20.0) == []
    assert np.isfinite(cv.delta_e(PALETTE[2], PALETTE[7], "deuteranopia"))
