"""The Prevalence chapter (analysis/chapters/prevalence.py): its notes, tables, sentences
and figure on the bundled data and on edge cases. The statistics it shows are tested in
tests/stats/test_prevalence.py."""

from __future__ import annotations

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.chapters import prevalence as prevalence_page
from analysis.stats import prevalence as pv
from analysis.contract.package import DataPackage
from analysis.contract import published as published_figures
from analysis.contract.validation import load_package as _load_bundled
from tests.stats.test_prevalence import SETTINGS, _toy


def published(fact_id):
    """A figure the bundled package declares as published (its study section)."""
    return published_figures.published(_load_bundled(), fact_id)


@pytest.fixture(autouse=True)
def _quiet_freeman_tukey():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pv.FreemanTukeyWarning)
        yield


def test_freeman_tukey_warns_and_explains():
    with pytest.warns(pv.FreemanTukeyWarning, match="Schwarzer"):
        warnings.simplefilter("always", pv.FreemanTukeyWarning)
        res = pv.pool([3, 6, 10, 1], [11, 17, 21, 6], "freeman_tukey")
    # Back at the harmonic mean the pooled value is the estimate; at the extremes it moves.
    assert pv.inverse_freeman_tukey([res.effect], [res.harmonic_n])[0] == pytest.approx(
        res.prevalence, abs=1e-12)
    at_min, at_max = pv.freeman_tukey_at_extremes(
        pv.study_effects([3, 6, 10, 1], [11, 17, 21, 6], "freeman_tukey"), res.effect)
    assert (round(100 * at_min, 2), round(100 * at_max, 2)) == (35.09, 36.48)
    note, = prevalence_page.freeman_tukey_note(
        pv.study_effects([3, 6, 10, 1], [11, 17, 21, 6], "freeman_tukey"), res.effect)
    assert note.startswith(pv.FREEMAN_TUKEY_CAVEAT)
    assert note.endswith(" Here the harmonic mean is 11 and the sample sizes run from 6 to 21; "
                         "back-transformed at those two sizes instead, the same pooled value "
                         "would read 35.09% and 36.48%.")
    assert prevalence_page.freeman_tukey_note(pv.study_effects([3, 6], [11, 17], "logit")) == []


def test_continuity_correction_only_where_needed():
    eff = pv.study_effects([0, 5, 70], [50, 60, 70], "logit")
    assert eff.corrected.tolist() == [True, False, True]
    assert eff.effect[0] == pytest.approx(np.log(0.5 / 50.5))
    assert eff.variance[0] == pytest.approx(1 / 0.5 + 1 / 50.5)
    assert eff.effect[1] == pytest.approx(np.log(5 / 55))
    assert eff.effect[2] == pytest.approx(np.log(70.5 / 0.5))
    res = pv.pool([0, 5, 70], [50, 60, 70])
    assert res.n_corrected == 2
    assert prevalence_page.correction_note(eff) == [
        "2 of 3 studies had no cases or only cases; 0.5 was added to their cases and "
        "non-cases (logit scale), and to no other study."]
    for transform in ("freeman_tukey", "arcsine"):
        assert not pv.study_effects([0, 5, 70], [50, 60, 70], transform).corrected.any()


def test_all_zero_counts_give_a_finite_result_with_the_correction_stated():
    for transform in pv.TRANSFORMS:
        res = pv.pool([0, 0, 0], [50, 120, 300], transform)
        values = [res.prevalence, res.ci_low, res.ci_high, res.pi_low, res.pi_high,
                  res.tau2, res.i2_percent, res.q]
        assert np.all(np.isfinite(values)), transform
        assert 0 <= res.ci_low <= res.prevalence <= res.ci_high < 0.05
    logit = pv.pool([0, 0, 0], [50, 120, 300])
    assert logit.n_corrected == 3 and logit.prevalence > 0
    assert prevalence_page.correction_note(pv.study_effects([0, 0, 0], [50, 120, 300]))[0] \
        .startswith("3 of 3 studies had no cases or only cases")






def test_subgroup_of_one_study_gets_its_own_estimate():
    res = pv.subgroups(_toy(), "setting", labels=SETTINGS)
    row = res.table.set_index("subgroup").loc["Psychiatric outpatients"]
    assert row["k"] == 1 and row["prevalence"] == pytest.approx(50.0)
    assert 0 < row["ci_low"] < 50 < row["ci_high"] < 100
    assert np.isnan(row["pi_low"]) and np.isnan(row["q_p"])
    assert res.df_between == 2 and np.isfinite(res.q_between)
    shown = prevalence_page.subgroup_view(res).loc["Psychiatric outpatients"]
    assert shown["95% PI"] == "–" and shown["Q"] == "–" and shown["p"] == "–"
    assert "nan" not in " ".join(map(str, prevalence_page.subgroup_view(res).to_numpy().ravel()))


@pytest.mark.parametrize("fact_id", ["prevalence_community", "prevalence_high_income",
                                     "prevalence_low_middle_income", "prevalence_primary_care"])
def test_calibrated_synthetic_data_reproduce_the_published_pooled_estimates(package, fact_id):
    """Each figure is compared with the studies its own compare entry names."""
    studies = package["prevalence_studies"]
    rows = prevalence_page._select(studies, published(fact_id)["compare"])
    res = pv.pool(rows["cases"], rows["n"], "logit", "dl")
    assert abs(100 * res.prevalence - published(fact_id).number) < 0.5


def test_chapter_on_the_bundled_data(package):
    ctx = prevalence_page.prevalence_context(package)
    h = ctx.headline
    assert (h.k_studies, h.n_settings, h.main_setting, h.k_main_setting) == (
        63, 3, "Community", 46)
    assert ctx.main_setting == "community"
    for name, value in vars(h).items():
        assert isinstance(value, str) or np.isfinite(value), name
    glued = prevalence_page.glue_values(ctx)
    assert [glued[f"prev_setting_{code}_k"] for code in SETTINGS] == [46, 8, 9]
    assert glued["prev_income_group_low_middle_k"] == 12
    assert glued["prev_setting_community_prevalence"] == pytest.approx(
        100 * ctx.main.prevalence)
    assert all(isinstance(v, str) or np.isfinite(v) for v in glued.values())
    # The published figures that name their studies, in declared order; the count of
    # community studies is a published figure without a prevalence to compare.
    assert ctx.comparison["fact_id"].tolist() == [
        "prevalence_community", "prevalence_high_income", "prevalence_low_middle_income",
        "prevalence_primary_care", "prevalence_outpatient", "prevalence_great_britain"]
    assert ctx.comparison["population"].tolist()[:3] == [
        "Community", "Community, high income", "Community, low and middle income"]
    assert ctx.comparison["population"].iloc[-1] == "Community, UK"
    assert ctx.comparison["k"].tolist() == [46, 34, 12, 8, 9, 2]
    calibrated = ctx.comparison.iloc[:5]["difference_pp"].abs()
    assert calibrated.max() < 0.5
    assert len(ctx.studies) == 63
    assert ctx.studies.groupby("setting")["weight_percent"].sum().to_numpy() == \
        pytest.approx([100, 100, 100])
    assert ctx.sensitivity["This page"].tolist().count("✓") == 1
    assert ctx.notes == ()  # no zero counts, logit scale: nothing to caveat


def test_sensitivity_chapter_states_the_freeman_tukey_caveat(package):
    ctx = prevalence_page.prevalence_context(package, "freeman_tukey", "pm")
    assert ctx.headline.tau2_method_label == "Paule-Mandel"
    assert len(ctx.notes) == 1 and "Schwarzer" in ctx.notes[0]
    assert abs(100 * ctx.main.prevalence - 7.8) < 1


def _with_studies(package, studies: pd.DataFrame) -> DataPackage:
    """The bundled package with its prevalence studies replaced."""
    tables = {**package.tables, "prevalence_studies": studies.reset_index(drop=True)}
    return DataPackage(package.data_dir, package.descriptor, tables)


PARAGRAPHS = ("pooled_markdown", "comparison_markdown", "heterogeneity_markdown",
              "subgroups_markdown", "regression_markdown", "sensitivity_markdown",
              "method_notes")


def _shown_text(ctx) -> str:
    """Every cell and every generated sentence the page shows, as one string."""
    frames = [prevalence_page.subgroup_view(ctx.by_setting),
              prevalence_page.subgroup_view(ctx.by_income),
              prevalence_page.comparison_view(ctx.comparison), ctx.sensitivity]
    if ctx.regression is not None:
        frames.append(prevalence_page.regression_view(ctx.regression))
    cells = " ".join(str(v) for f in frames for v in f.reset_index().to_numpy().ravel())
    shown = [getattr(prevalence_page, name)(ctx) for name in PARAGRAPHS]
    words = " ".join(m.data for m in shown if m is not None)
    return f"{cells} {words} {prevalence_page.forest_note(ctx)}"


@pytest.mark.parametrize("transform", ["logit", "freeman_tukey"])
def test_page_survives_a_single_study_zero_counts_and_n_of_one(package, transform):
    studies = package["prevalence_studies"].copy()
    primary = studies.index[studies["setting"] == "primary_care"]
    studies = studies.drop(primary[1:])  # one primary care study left
    lmic = studies["income_group"] == "low_middle"
    studies.loc[lmic, "cases"] = 0  # no cases at all in these countries
    first = studies.index[studies["setting"] == "community"][0]
    studies.loc[first, ["n", "cases"]] = [1, 1]  # a study of one person
    ctx = prevalence_page.prevalence_context(_with_studies(package, studies), transform)
    for name, value in vars(ctx.headline).items():
        assert isinstance(value, str) or np.isfinite(value), name
    assert ctx.setting_estimate("primary_care").k == 1
    assert prevalence_page.single_study_settings(ctx) == ["Primary care attenders"]
    assert not re.search(r"\b(nan|inf|none)\b", _shown_text(ctx).lower())
    assert "- **Primary care attenders** (1 study): " in \
        prevalence_page.pooled_markdown(ctx).data
    from analysis.plots import prevalence as plots

    ax = plots.forest_plot(ctx.studies, ctx.by_setting, ctx.overall)
    assert "nan" not in " ".join(t.get_text() for t in ax.texts).lower()
    matplotlib.pyplot.close("all")
    if transform == "logit":
        assert ctx.headline.n_corrected == lmic.sum() + 1
        assert any("0.5 was added" in note for note in ctx.notes)


def test_a_setting_without_studies_is_said_in_words(package):
    studies = package["prevalence_studies"]
    no_outpatients = studies[studies["setting"] != "outpatient"]
    ctx = prevalence_page.prevalence_context(_with_studies(package, no_outpatients))
    assert list(ctx.by_setting.pooled) == ["community", "primary_care"]
    assert "- **Psychiatric outpatients**: no study of this data package." in \
        prevalence_page.pooled_markdown(ctx).data
    assert prevalence_page.glue_values(ctx)["prev_setting_outpatient_k"] == 0
    outpatients = ctx.comparison.set_index("fact_id").loc["prevalence_outpatient"]
    assert outpatients["k"] == 0 and np.isnan(outpatients["difference_pp"])
    assert prevalence_page.comparison_view(ctx.comparison).loc[
        "Psychiatric outpatients", "Re-analysis, % (95% CI)"] == "–"


def test_forest_plot_grows_with_the_number_of_studies(package):
    from analysis.plots import prevalence as plots

    ctx = prevalence_page.prevalence_context(package)
    ax = plots.forest_plot(ctx.studies, ctx.by_setting, ctx.overall)
    height = ax.figure.get_size_inches()[1]
    assert height > 10  # 63 studies at a readable row height
    labels = {t.get_text() for t in ax.texts}
    assert any("Community" in t for t in labels)
    assert any("Test for subgroup differences" in t for t in labels)
    _, given_ax = matplotlib.pyplot.subplots()
    assert plots.forest_plot(ctx.studies, ctx.by_setting, ctx.overall, ax=given_ax) is given_ax
    matplotlib.pyplot.close("all")


def test_the_forest_plots_numbers_are_a_table_with_the_estimate_first():
    from analysis import paths

    ctx = prevalence_page.prevalence_context(_load_bundled(paths.DATA_SYNTHETIC))
    view = prevalence_page.forest_view(ctx.studies)
    assert len(view) == len(ctx.studies)
    assert list(view.index.names) == ["Setting", "Study, country, year"]
    assert list(view.columns) == ["% (95% CI)", "Weight %", "Cases", "n"]
    first = ctx.studies.iloc[0]
    row = view.iloc[0]
    # As the forest plot writes the study: percent with one decimal, its interval.
    assert row["% (95% CI)"] == (f"{100 * first.prevalence:.1f} ({100 * first.ci_low:.1f}"
                                 f"–\u2060{100 * first.ci_high:.1f})")
    assert row["Weight %"] == f"{first.weight_percent:.1f}"
    assert (row["Cases"], row["n"]) == (first.cases, first.n)
