"""Figures of the theme and saturation chapters, on the bundled data and at scale 10.

At scale 10 (290 papers, 300 participants) the matrices have more rows than can be
named one by one; the figures must still draw every row, and say so in their form.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from analysis.stats import saturation
from analysis.stats import themes  # noqa: E402
from analysis.contract.validation import load_package  # noqa: E402
from analysis.plots import axes_or_new  # noqa: E402
from analysis.plots import themes as theme_plots  # noqa: E402


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    from analysis.synth import generate

    out = tmp_path_factory.mktemp("s10")
    generate(seed=1, out_dir=out, scale=10)
    return load_package(out)


@pytest.fixture(params=["bundled", "scaled"])
def pkg(request, package, scaled):
    yield package if request.param == "bundled" else scaled
    plt.close("all")


def test_support_heatmap_draws_every_paper_grouped_by_band(pkg):
    support = themes.ThemeSupport.from_package(pkg)
    ax = axes_or_new()
    assert theme_plots.support_heatmap(support, ax=ax) is ax
    image = ax.get_images()[0].get_array()
    assert image.shape == support.excerpts.shape
    n_papers = len(support.units)
    named = n_papers <= theme_plots.MAX_NAMED_ROWS
    assert len(ax.get_yticks()) == (n_papers if named else 0)
    band_lines = [line for line in ax.get_lines() if line.get_linewidth() == 1.2]
    assert len(band_lines) == support.units["band"].nunique() - 1


def test_participant_heatmap_names_the_subthemes(pkg):
    people = themes.participant_support(pkg)
    ax = theme_plots.participant_heatmap(people)
    assert ax.get_images()[0].get_array().shape == people.excerpts.shape
    names = " ".join(t.get_text().replace("\n", " ") for t in ax.get_xticklabels())
    for subtheme in people.framework["subtheme"]:
        assert subtheme in names
    n = len(people.excerpts)
    assert len(ax.get_yticks()) == (n if n <= theme_plots.MAX_NAMED_ROWS else 0)
    rows = {t.get_text() for t in ax.get_yticklabels()}
    assert not rows & set(people.excerpts.index)  # numbered, never named by participant


def test_sensitivity_plot_has_a_row_for_every_theme_and_subtheme(pkg):
    table = themes.quality_sensitivity(themes.ThemeSupport.from_package(pkg), ["low"], 3)
    ax = axes_or_new()
    assert theme_plots.sensitivity_plot(table, ax=ax) is ax
    assert len(ax.get_yticks()) == len(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["All papers", "Papers kept"]


def test_saturation_curve_marks_the_base_and_the_saturation_point(pkg):
    incidence = saturation.CodeIncidence.from_package(pkg)
    result = saturation.assess(incidence)
    curve = saturation.new_codes_curve(incidence)
    ax = axes_or_new()
    assert theme_plots.saturation_curve(curve, result, ax=ax) is ax
    few = len(curve) <= theme_plots.MAX_NAMED_ROWS
    if few:  # a bar per interview, a marker per interview on the running total
        assert len(ax.containers[0]) == len(curve)
        assert ax.get_lines()[0].get_marker() == "o"
    else:  # one filled area and a plain line
        assert not ax.containers
        assert any(isinstance(c, PolyCollection) for c in ax.collections)
        assert ax.get_lines()[0].get_marker() in (None, "None", "")
    assert np.array_equal(ax.get_lines()[0].get_ydata(), curve["cumulative"].to_numpy())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"Base ({result.base_size} interviews)" in labels
    if result.saturation_point is not None:
        assert f"Saturation: {result.saturation_text}" in labels


def test_saturation_orders_count_every_random_order(pkg):
    incidence = saturation.CodeIncidence.from_package(pkg)
    result = saturation.assess(incidence)
    orders = saturation.order_sensitivity(incidence, n_orders=200, seed=3, observed=result)
    ax = axes_or_new()
    assert theme_plots.saturation_orders(orders, result, ax=ax) is ax
    heights = sum(bar.get_height() for container in ax.containers for bar in container)
    assert heights == 200
