"""The Prevalence context chapter on packages that are not the bundled one.

The package tests/fixtures/packages/prevalence_only has its own settings (psychiatric
inpatients, people in prison, forensic outpatients, and secure hospital patients with no
study), income groups and designs, and no published figure. Cut down to one study, or
to two settings, it must still give sentences that read: no tau² for one study, no
prediction interval for two, no test between one subgroup, a category without studies
said in words, and never nan, inf or None.
"""

from __future__ import annotations

import copy
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.chapters import prevalence as prevalence_page
from analysis.chapters.sensitivity import hartung_knapp_markdown, hartung_knapp_table
from analysis.contract.choices import parse
from analysis.contract.package import DataPackage
from analysis.contract.study import read_study
from analysis.contract.validation import load_package
from analysis.stats import hartung_knapp, multiverse
from analysis.stats.prevalence import FreemanTukeyWarning
from tests.myst_source import shown

matplotlib.use("Agg")

FIXTURE = paths.ROOT / "tests" / "fixtures" / "packages" / "prevalence_only"
PARAGRAPHS = ("pooled_markdown", "comparison_markdown", "heterogeneity_markdown",
              "subgroups_markdown", "regression_markdown", "sensitivity_markdown",
              "method_notes")
MISSING = re.compile(r"\b(nan|inf|none)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def fixture_package() -> DataPackage:
    return load_package(FIXTURE)


def _with(package: DataPackage, studies: pd.DataFrame, published=None,
          main=None) -> DataPackage:
    """The package with other prevalence studies (and, optionally, published figures
    and the studies of its main analysis, ``study.prevalence.main``)."""
    descriptor = copy.deepcopy(package.descriptor)
    if published is not None:
        descriptor["study"]["published"] = published
    if main is not None:
        descriptor["study"]["prevalence"] = {"main": main}
    return DataPackage(package.data_dir, descriptor,
                       {**package.tables, "prevalence_studies": studies.reset_index(drop=True)},
                       vocabularies=package.vocabularies,
                       vocabulary_sources=package.vocabulary_sources)


def _words(ctx) -> str:
    """Every generated sentence and table cell of the page, as one string."""
    displayed = [getattr(prevalence_page, name)(ctx) for name in PARAGRAPHS]
    frames = [prevalence_page.subgroup_view(ctx.by_setting),
              prevalence_page.subgroup_view(ctx.by_income), ctx.sensitivity,
              prevalence_page.comparison_view(ctx.comparison)]
    if ctx.regression is not None:
        frames.append(prevalence_page.regression_view(ctx.regression))
    cells = " ".join(str(v) for f in frames for v in f.reset_index().to_numpy().ravel())
    return " ".join([shown(m) for m in displayed if m is not None] + [cells,
                    prevalence_page.forest_note(ctx)])


def _forest_text(ctx) -> str:
    from analysis.plots.prevalence import forest_plot

    ax = forest_plot(ctx.studies, ctx.by_setting, ctx.overall)
    text = " ".join(t.get_text() for t in ax.texts)
    matplotlib.pyplot.close("all")
    return text


def _hartung_knapp(package, ctx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        return hartung_knapp.setting_sensitivity(package["prevalence_studies"], ctx.transform,
                                                 ctx.tau2_method,
                                                 labels=ctx.vocabularies["setting"])


def test_the_fixture_speaks_in_its_own_vocabulary(fixture_package):
    ctx = prevalence_page.prevalence_context(fixture_package)
    assert ctx.main_setting == "inpatient"  # four studies, tied with prison, listed first
    text = shown(prevalence_page.pooled_markdown(ctx))
    for line in ("- **Psychiatric inpatients** (4 studies): ",
                 "- **People in prison** (4 studies): ",
                 "- **Forensic outpatients** (1 study): ",
                 "- **Secure hospital patients**: no study of this data package.",
                 "- **Lower-middle income**: no study of this setting."):
        assert line in text
    assert text.index("Psychiatric inpatients") < text.index("People in prison") \
        < text.index("Forensic outpatients") < text.index("Secure hospital")
    assert prevalence_page.comparison_markdown(ctx) is None  # no published figure
    assert prevalence_page.comparison_table(ctx) is None
    assert ctx.regression.table["term"].tolist() == [
        "Intercept", "Interview only vs Screening then interview"]
    glued = prevalence_page.glue_values(ctx)
    assert glued["prev_setting_secure_hospital_k"] == 0
    assert "prev_setting_secure_hospital_prevalence" not in glued
    assert "prev_setting_forensic_outpatient_tau2" not in glued  # one study: no tau²
    assert glued["prev_setting_prison_k"] == 4 and "prev_setting_q_between" in glued
    assert not MISSING.search(_words(ctx))
    assert not MISSING.search(_forest_text(ctx))


def test_one_study(fixture_package):
    one = fixture_package["prevalence_studies"].query("study_id == 'V09'")
    package = _with(fixture_package, one)
    ctx = prevalence_page.prevalence_context(package)
    assert ctx.main_setting == "forensic_outpatient" and ctx.headline.k_studies == 1
    heterogeneity = shown(prevalence_page.heterogeneity_markdown(ctx))
    # the package names no main subset: the main analysis pools every study
    assert heterogeneity.startswith("There is a single study in this data package, so "
                                    "there is no between-study variance to estimate: no "
                                    "tau², I², Q or prediction interval.")
    subgroups = shown(prevalence_page.subgroups_markdown(ctx))
    assert "Every study sampled one setting, *Forensic outpatients*, so there is no test" \
        in subgroups
    assert "all from one income group (*High income*)" in subgroups
    assert "a subgroup of one study is shown as that study alone" in subgroups
    assert ctx.regression is None and prevalence_page.regression_table(ctx) is None
    assert shown(prevalence_page.regression_markdown(ctx)) == (
        "A meta-regression on study design cannot be fitted to the single study of "
        "this data package: a single study has no other to be compared with.")
    assert shown(prevalence_page.sensitivity_markdown(ctx)).startswith(
        "The single study of this data package under every scale")
    assert "the setting with the most" not in shown(prevalence_page.pooled_markdown(ctx))
    assert prevalence_page.forest_note(ctx) == "The last rows pool every study together."
    table = _hartung_knapp(package, ctx)
    assert table.empty and hartung_knapp_table(table) is None
    assert shown(hartung_knapp_markdown(table, prevalence_page.single_study_settings(ctx))) \
        .startswith("No setting has two or more studies")
    glued = prevalence_page.glue_values(ctx)
    assert all(isinstance(v, str) or np.isfinite(v) for v in glued.values())
    assert not MISSING.search(_words(ctx))
    assert not MISSING.search(_forest_text(ctx))


def test_two_settings_and_two_studies_in_the_main_one(fixture_package):
    studies = fixture_package["prevalence_studies"]
    two = studies[studies["study_id"].isin(["V01", "V02", "V05"])]
    package = _with(fixture_package, two, main={"setting": "inpatient"})
    ctx = prevalence_page.prevalence_context(package)
    assert list(ctx.by_setting.pooled) == ["inpatient", "prison"]
    assert ctx.by_setting.df_between == 1
    heterogeneity = shown(prevalence_page.heterogeneity_markdown(ctx))
    assert "Q = " in heterogeneity and "on 1 degree of freedom" in heterogeneity
    assert "With two studies there is no prediction interval" in heterogeneity
    assert shown(prevalence_page.subgroups_markdown(ctx)).startswith(
        "The settings differ ")
    assert "(test for subgroup differences Q = " in shown(prevalence_page.subgroups_markdown(ctx))
    words = shown(hartung_knapp_markdown(_hartung_knapp(package, ctx),
                                         prevalence_page.single_study_settings(ctx)))
    assert "the usual interval for Psychiatric inpatients (ratio of the two widths" in words
    assert "People in prison has a single study" in words
    # Two designs among two studies: a model with two coefficients needs three.
    assert ctx.regression is None
    assert ctx.regression_reason == "a model with 2 coefficients needs at least 3 studies"
    assert not MISSING.search(_words(ctx))
    assert not MISSING.search(_forest_text(ctx))


def test_a_declared_figure_is_compared_with_the_studies_it_names(fixture_package):
    published = [
        {"fact_id": "prison_survey", "study": "prevalence",
         "quantity": "Personality disorder among people in prison", "value": "47",
         "ci_low": 41, "ci_high": 53, "unit": "%", "kind": "estimate",
         "source": "Survey et al. 2019, Journal of Custody 3:1-9",
         "compare": {"setting": "prison"}},
        {"fact_id": "secure_units", "study": "prevalence",
         "quantity": "Personality disorder in secure units", "value": "60", "unit": "%",
         "kind": "approximate", "source": "Review 2015, Secure Care 1:2",
         "compare": {"setting": "secure_hospital", "income_group": "high"}},
        {"fact_id": "n_prisons", "study": "prevalence", "quantity": "Prisons surveyed",
         "value": "12", "unit": "prisons", "kind": "count", "source": "Survey et al. 2019"},
    ]
    study, problems = read_study({"study": {"published": published}})
    assert problems == []
    package = _with(fixture_package, fixture_package["prevalence_studies"], published)
    ctx = prevalence_page.prevalence_context(package)
    # The count names no studies: it is no comparison.
    assert ctx.comparison["fact_id"].tolist() == ["prison_survey", "secure_units"]
    assert ctx.comparison["population"].tolist() == ["People in prison",
                                                     "Secure hospital patients, high income"]
    assert ctx.comparison["k"].tolist() == [4, 0]
    text = shown(prevalence_page.comparison_markdown(ctx))
    assert text.startswith("The data package declares 2 published prevalence figures, each "
                           "naming the studies it compares with, from 2 sources: Survey et "
                           "al. 2019, Journal of Custody 3:1-9; Review 2015, Secure Care 1:2.")
    assert "Re-analysing the 4 studies of this data package that match it (People in " \
           "prison) gives **52.1%**" in text
    for word in ("synthetic", "invented", "calibrat"):  # real data: no calibration talk
        assert word not in text
    view = prevalence_page.comparison_view(ctx.comparison)
    assert view.loc["Secure hospital patients, high income", "Re-analysis, % (95% CI)"] == "–"
    assert view.loc["Secure hospital patients, high income",
                    "Published, % (95% CI)"] == "60.0 (approx.; no CI)"
    glued = prevalence_page.glue_values(ctx)
    assert glued["prev_published_prison_survey"] == 47.0
    assert "prev_diff_secure_units" not in glued and glued["prev_studies_secure_units"] == 0


@pytest.mark.parametrize("compare, message", [
    ({"settings": "prison"}, "'settings' is not a column of prevalence_studies"),
    ({"setting": 3}, "3 for 'setting' must be a value in double quotes"),
    ("prison", "or an object naming the studies it compares with"),
    ({}, "or an object naming the studies it compares with"),
])
def test_a_bad_compare_entry_is_named(compare, message):
    fact = {"fact_id": "f", "quantity": "q", "value": "5", "kind": "estimate",
            "source": "s", "compare": compare}
    study, problems = read_study({"study": {"published": [fact]}})
    assert study.published == ()
    assert len(problems) == 1 and problems[0].column == "study.published[0].compare"
    assert message in problems[0].message


def test_cite_source_links_only_a_single_matching_work():
    assert shown(prevalence_page.cite_source("Winsper et al. 2020, Br J Psychiatry 216(2):69-78")
                 ) == "{cite:t}`winsper2020prevalence`, Br J Psychiatry 216(2):69-78"
    assert shown(prevalence_page.cite_source("Fixture and Package 2024, nowhere")) == \
        "Fixture and Package 2024, nowhere"
    assert shown(prevalence_page.cite_source("no year here")) == "no year here"


def test_the_multiverse_takes_the_largest_setting_of_any_package(fixture_package):
    choices = parse({"choices": {
        "transform": {"options": ["logit", "arcsine"], "main": "logit"},
        "tau2_method": {"options": ["dl", "pm"], "main": "dl"},
        "year_from": {"options": ["all", 2010], "main": "all"},
        "leave_one_out": {"options": ["none", "each"], "main": "none"},
    }, "min_studies": 2, "conclusion": {"below_percent": 10}})
    assert choices.setting is None and choices.outcome == "pooled prevalence"
    studies = fixture_package["prevalence_studies"]
    assert multiverse.setting_of(studies, choices) == "inpatient"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        table = multiverse.run_serial(studies, choices)
    main = table[table["main"]].iloc[0]
    ctx = prevalence_page.prevalence_context(fixture_package)
    assert main["k"] == 4
    # the package names no main subset: the page's main analysis pools every study, and
    # the multiverse's main specification is the page's estimate of the setting
    assert main["prevalence"] == pytest.approx(
        100 * ctx.setting_estimate("inpatient").prevalence, abs=1e-12)
    declared = parse({**{"setting": "prison"}, "conclusion": {"below_percent": 10},
                      "choices": {"transform": {"options": ["logit"], "main": "logit"}}})
    assert multiverse.setting_studies(studies, declared)["setting"].eq("prison").all()


def test_a_declared_setting_must_be_a_code():
    from analysis.contract.choices import ChoicesError

    with pytest.raises(ChoicesError, match="multiverse.yml: setting: must be a value of "
                                           "prevalence_studies.setting"):
        parse({"setting": 5, "choices": {"transform": {"options": ["logit"],
                                                       "main": "logit"}}})
