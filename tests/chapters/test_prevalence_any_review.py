"""The prevalence, multiverse and reproduction pages for any review (issue 24).

Checked on the prevalence review typed from Bifftu et al. 2018 (help-seeking for
depression in Ethiopia; tests/fixtures/packages/prevalence_help_seeking_ethiopia) and on
small tables. The pooled values are the book's own (logit, DerSimonian-Laird) and equal
R metafor's (tests/own_study/test_fixture_real_papers.py records the R commands); here they check
what the pages say about them.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.chapters import multiverse as multiverse_page
from analysis.chapters import prevalence as prevalence_page
from analysis.chapters import reproduction
from analysis.contract.choices import load_choices
from analysis.contract.published import published_facts
from analysis.contract.validation import load_package
from analysis.plots import prevalence as plots
from analysis.plots.prevalence import square_weights
from analysis.stats.prevalence import levels
from tests.myst_source import shown

matplotlib.use("Agg")

BIFFTU = Path(__file__).parents[1] / "fixtures" / "packages" / "prevalence_help_seeking_ethiopia"


@pytest.fixture(scope="module")
def bifftu():
    return load_package(BIFFTU)


@pytest.fixture(scope="module")
def context(bifftu):
    return prevalence_page.prevalence_context(bifftu)


# ------------------------------------------------------------------ the topic


def test_the_question_and_the_cases_are_the_packages(bifftu):
    question = prevalence_page.question_markdown(bifftu).data
    assert question.startswith("How common is professional help\\-seeking for depression ")
    pooling = prevalence_page.pooling_markdown(bifftu).data
    assert "(people who sought or intended to seek help)" in pooling
    assert "personality" not in question + pooling


# -------------------------------------------------------------- the whole review


def test_all_studies_are_pooled_first_and_the_main_analysis_is_the_declared_subset(context):
    glued = prevalence_page.glue_values(context)
    assert glued["prev_all_k"] == 9 and glued["prev_all_studies"] == "all 9 studies"
    assert round(glued["prev_all_prevalence"], 1) == 43.3
    # study.prevalence.main = {"outcome": "actual"}: the five behaviour studies
    assert glued["prev_main_k"] == 5 and round(glued["prev_main_prevalence"], 1) == 34.2
    assert context.main_label == "Outcome: Help-seeking behaviour"
    assert context.headline.k_main_setting == 5
    text = prevalence_page.main_analysis_markdown(context).data
    assert "pools the 5 studies of *Outcome\\: Help\\-seeking behaviour*: **34\\.2" in text
    assert len(context.sensitivity) == 8  # the main analysis's studies, every method


def test_the_setting_table_ends_with_all_studies(context):
    from analysis.chapters.prevalence import _overall_row, _subgroup_cells, subgroup_view

    view = subgroup_view(context.by_setting)
    overall = _subgroup_cells(_overall_row(context.overall), view.index.name)
    assert list(overall.index) == ["All studies"]
    assert overall.loc["All studies", "k"] == 9
    assert overall.loc["All studies", "% (95% CI)"].startswith("43.3 (27.0")


def test_declared_covariates_are_subgroups_over_every_study(context):
    assert list(context.by_covariate) == ["outcome", "region"]
    outcome = context.by_covariate["outcome"]
    assert {k: p.k for k, p in outcome.pooled.items()} == {"actual": 5, "intention": 4}
    assert context.title("outcome") == "Outcome"
    glued = prevalence_page.glue_values(context)
    assert glued["prev_outcome_intention_k"] == 4
    assert round(glued["prev_outcome_intention_prevalence"], 1) == 57.6
    words = prevalence_page.subgroups_markdown(context).data
    assert "By *Region*, over every study, the subgroups differ far more" in words
    assert "reports its country’s income group" in words or \
        "reports its country's income group" in words


def test_an_unreported_value_joins_no_subgroup():
    assert levels(pd.Series(["b", None, "a", np.nan]), {"a": "A", "b": "B"}) == ["a", "b"]


def test_the_regression_names_the_column_as_the_package_titles_it(context):
    text = prevalence_page.regression_markdown(context).data
    assert "study design" in text and "case-finding" not in text


# ----------------------------------------------------------------- study names


def test_studies_are_named_by_their_labels():
    studies = pd.DataFrame({"study_id": ["V01", "V02"], "country": ["Ethiopia", "Ethiopia"],
                            "year": [2012, 2016]})
    heading, names = prevalence_page.study_names(studies, {"V01": "Hailemariam 2012"})
    # one country: not repeated; a label holding its year: not repeated either
    assert (heading, names) == ("Study, year", ["Hailemariam 2012", "V02, 2016"])
    studies["country"] = ["Canada", "Japan"]
    heading, names = prevalence_page.study_names(studies)
    assert (heading, names) == ("Study, country, year", ["V01 Canada, 2012",
                                                         "V02 Japan, 2016"])


def test_the_forest_table_names_studies_by_label(context):
    view = prevalence_page.forest_view(context.studies, context.study_labels)
    assert view.index.names == ["Setting", "Study"]
    assert "Hailemariam 2012" in view.index.get_level_values("Study")
    assert set(context.studies["study_name"]) >= {"Fekadu 2007", "Sumet 2017"}


# ------------------------------------------------------- the forest plot's groups


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_the_forest_plot_groups_by_a_declared_covariate_with_its_labels(bifftu):
    """forest_by names a covariate (Outcome): groups, labels and pooled values are the
    covariate's, as the page's subgroup table gives them; no code is shown."""
    assert prevalence_page.forest_columns(bifftu) == ("setting", "design", "outcome",
                                                      "region")
    ctx = prevalence_page.prevalence_context(bifftu, forest_by="outcome")
    groups = ctx.forest_groups
    assert groups.by == "outcome" and list(groups.pooled) == ["actual", "intention"]
    covariate = ctx.by_covariate["outcome"]
    assert groups.pooled["actual"].prevalence == covariate.pooled["actual"].prevalence
    assert groups.q_between == covariate.q_between
    view = prevalence_page.forest_view(ctx.studies, ctx.study_labels, ctx.title("outcome"))
    assert view.index.names == ["Outcome", "Study"]
    assert set(view.index.get_level_values("Outcome")) == {"Help-seeking behaviour",
                                                           "Help-seeking intention"}
    texts = _texts(plots.forest_plot(ctx.studies, groups, ctx.overall))
    assert "Help-seeking behaviour (5 studies)" in texts
    assert "All studies (9 studies; reference)" in texts
    assert not {"actual", "intention"} & {t.split(" (")[0] for t in texts}
    glued = prevalence_page.glue_values(ctx)
    assert glued["prev_forest_by"] == "outcome"
    assert glued["prev_forest_note"] == (
        "The last rows pool every study together, for reference only: the groups by "
        "outcome differ no more than chance would allow.")


def test_a_study_that_does_not_report_the_grouping_column_is_drawn_as_not_reported(bifftu):
    ctx = prevalence_page.prevalence_context(bifftu, forest_by="design")
    texts = _texts(plots.forest_plot(ctx.studies, ctx.forest_groups, ctx.overall))
    assert "Cross-sectional (8 studies)" in texts and "Not reported (1 study)" in texts
    assert len(ctx.studies) == 9
    assert prevalence_page.forest_note(ctx) == (
        "The last rows pool every study together. 1 study that does not report the study "
        "design forms the group 'Not reported'.")
    assert ctx.forest_words == "study design"


def test_the_bundled_forest_plot_groups_by_setting_as_before(package):
    ctx = prevalence_page.prevalence_context(package)
    assert ctx.forest_by == "setting" and ctx.forest_groups is ctx.by_setting
    texts = _texts(plots.forest_plot(ctx.studies, ctx.forest_groups, ctx.overall))
    assert any(t.startswith("All settings (") for t in texts)


def test_a_column_the_forest_plot_cannot_group_by_is_refused_by_name(bifftu):
    with pytest.raises(ValueError, match="forest_by is 'age'; the forest plot can group the "
                                         "studies of this package by: setting, design, "
                                         "outcome, region"):
        prevalence_page.prevalence_context(bifftu, forest_by="age")


def test_a_subgroup_of_one_study_is_drawn_at_a_studys_size():
    studies = pd.DataFrame({"subgroup": ["A", "A", "A", "B"],
                            "weight_percent": [20.0, 30.0, 50.0, 100.0]})
    assert list(square_weights(studies.iloc[:3], studies)) == [20.0, 30.0, 50.0]
    assert list(square_weights(studies.iloc[3:], studies)) == [30.0]
    singles = pd.DataFrame({"subgroup": ["A", "B"], "weight_percent": [100.0, 100.0]})
    assert list(square_weights(singles.iloc[:1], singles)) == [50.0]


def test_only_pooled_prevalences_are_compared_on_the_prevalence_page(bifftu, context):
    facts = prevalence_page.comparison_facts(published_facts(bifftu))
    assert list(facts.index) == ["behaviour_pooled", "intention_pooled", "depression_pooled"]
    assert list(context.comparison["k"]) == [5, 4, 0]


# -------------------------------------------------------------- reproduction


def test_each_figure_is_computed_by_its_measure(bifftu):
    facts = published_facts(bifftu)
    got = reproduction.measure_value(bifftu, facts.loc["behaviour_studies"])
    assert got.value == 5 and isinstance(got.value, int)
    pooled = reproduction.measure_value(bifftu, facts.loc["behaviour_pooled"])
    assert round(pooled.value, 2) == 34.16 and round(pooled.ci_low, 2) == 11.06
    assert "the paper states no method" in pooled.how
    i2 = reproduction.measure_value(bifftu, facts.loc["intention_i2"])
    assert round(i2.value, 1) == 96.8
    with pytest.raises(reproduction.NotComputed, match="no study of this package has"):
        reproduction.measure_value(bifftu, facts.loc["depression_pooled"])


def test_counts_years_and_a_stated_method(bifftu):
    base = published_facts(bifftu).loc["behaviour_studies"].copy()
    for measure, expected in (("n_participants", 449 + 375 + 226 + 1511 + 343),
                              ("n_cases", 103 + 47 + 58 + 1242 + 121),
                              ("year_min", 2007), ("year_max", 2018)):
        base["measure"] = measure
        value = reproduction.measure_value(bifftu, base).value
        assert value == expected and isinstance(value, int)
    base["measure"], base["method"] = "pooled_prevalence", {"tau2": "reml"}
    with pytest.raises(reproduction.NotComputed, match="REML"):
        reproduction.measure_value(bifftu, base)
    base["method"] = {"transform": "freeman_tukey", "tau2": "pm"}
    assert "Freeman-Tukey" in reproduction.measure_value(bifftu, base).how
    base["measure"] = "n_themes"
    with pytest.raises(reproduction.NotComputed, match="does not compute n themes"):
        reproduction.measure_value(bifftu, base)


def test_no_figure_is_dropped_and_each_says_why(bifftu):
    table = reproduction.reproduction_table(bifftu)
    assert len(table) == len(published_facts(bifftu)) == 7
    assert table.loc["behaviour_studies", "computed"] == "5"
    assert table.loc["behaviour_studies", "status"] == "reproduced"
    assert table.loc["behaviour_pooled", "status"] == "differs"
    assert table.loc["behaviour_pooled", "computed"] == "34.2% (11.1–68.4)"
    assert table.loc["behaviour_pooled", "published"] == "38% (23–52)"
    assert table.loc["depression_pooled", "status"] == reproduction.NOT_COMPUTABLE
    assert "outcome = depression" in table.loc["depression_pooled", "why"]
    view = reproduction.reproduction_view(table)
    assert "How computed, or why not" in view.columns
    summary = reproduction.summarise_reproduction(table)
    assert (summary.n_reproduced, summary.n_differs, summary.n_not_computable) == (2, 4, 1)


def test_why_the_published_pooled_values_are_not_reproduced(bifftu):
    table = reproduction.reproduction_table(bifftu)
    note = reproduction.differs_note(bifftu, table).data
    # every scale and estimator of the book: 34.2% (logit DL) to 35.8% (untransformed PM)
    assert "give 34.2% to 35.8% under every scale and tau² estimator" in note
    assert "none of these 8 analyses" in note
    # a published I² of 0% needs Q <= df; Q = 856.5 on 4 df (logit, DL)
    assert "Q of at most 4.0 on 4 degrees of freedom" in note
    assert "Q of at least 856.5" in note


def test_the_bundled_reproduction_page_keeps_its_columns():
    from analysis import paths

    table = reproduction.reproduction_table(load_package(paths.DATA_SYNTHETIC))
    assert list(reproduction.reproduction_view(table).columns) == [
        "Published", "Computed", "Tolerance", "Status", "Source"]


# ------------------------------------------------------------------- multiverse


def test_the_multiverse_threshold_is_the_packages(bifftu):
    from analysis import paths

    declared = load_choices("multiverse.yml")
    bundled = load_package(paths.DATA_SYNTHETIC)
    assert multiverse_page.package_threshold(declared, bundled).below_percent == 10
    own = multiverse_page.package_threshold(
        declared, _with_threshold(bundled, 25))
    assert own.below_percent == 25.0


def _with_threshold(package, percent):
    """What package_threshold reads of a package that declares its own threshold."""
    from dataclasses import replace
    from types import SimpleNamespace

    study = replace(package.study, prevalence={**package.study.prevalence,
                                               "threshold_percent": percent})
    return SimpleNamespace(study=study)


def test_declared_covariates_are_multiverse_filters(bifftu):
    from analysis.stats import multiverse

    choices = multiverse_page.package_choices(load_choices("multiverse.yml"), bifftu)
    assert choices.covariates == ("outcome", "region")
    assert choices.filter_columns[-2:] == ("outcome", "region")
    # the main option is the main analysis's subset (study.prevalence.main)
    assert choices.main["outcome"] == "actual" and choices.main["region"] == "all"
    categories = multiverse.package_categories(bifftu)
    assert categories["region"] == {}  # free text: its values, sorted
    assert list(categories["outcome"]) == ["actual", "intention"]
    resolved = multiverse.resolve(bifftu["prevalence_studies"], choices, categories)
    options = resolved.options("book")
    assert options["outcome"] == ("all", "actual", "intention")
    assert options["region"] == ("all", "Amhara", "NHS", "Oromia", "SNNP")
    rows = multiverse.setting_studies(bifftu["prevalence_studies"], resolved)
    arrays = multiverse.StudyArrays.from_frame(rows)
    assert arrays.mask({"outcome": "intention", "region": "Amhara",
                        "transform": "logit"}).sum() == 2  # Mulatu 1999, Sumet 2017
    # a file that declares a choice of the same name keeps its own
    assert choices.with_covariates(["outcome"]) is choices


def test_the_multiverse_main_specification_is_the_pages_main_analysis(bifftu):
    import warnings

    from analysis.stats import multiverse
    from analysis.stats.prevalence import FreemanTukeyWarning

    choices = multiverse_page.package_choices(load_choices("multiverse.yml"), bifftu)
    resolved = multiverse.resolve(bifftu["prevalence_studies"], choices,
                                  multiverse.package_categories(bifftu))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        table = multiverse.run_serial(bifftu["prevalence_studies"], resolved, "book")
    summary = multiverse.summarise(table, resolved, "book")
    context = prevalence_page.prevalence_context(bifftu)
    assert summary.main_k == 5
    assert summary.main_estimate == pytest.approx(100 * context.main.prevalence, abs=1e-12)


def test_the_studies_table_heads_each_column_with_the_packages_title(context):
    view = context.characteristics
    assert list(view.columns) == ["Year", "Setting", "Study design",
                                  "How cases were ascertained", "Outcome", "Region",
                                  "Assessed", "Cases"]
    assert view.loc["Fekadu 2007", "Study design"] == "not reported"
    assert view.loc["Menberu 2018", "How cases were ascertained"] == "GHSQ"
    assert view.loc["Sumet 2017", "Outcome"] == "Help-seeking intention"
    assert view.loc["Hailemariam 2012", "Year"] == "2012"  # never 2012.0
    assert view.loc["Hailemariam 2012", "Cases"] == 103
    assert "Country" not in view  # every study is from Ethiopia
    text = prevalence_page.not_reported_markdown(context).data
    assert text.startswith("Not reported by the sources: study design for 1 study;")


def test_the_bundled_studies_table_has_every_study_and_nothing_unreported():
    from analysis import paths

    ctx = prevalence_page.prevalence_context(load_package(paths.DATA_SYNTHETIC))
    assert len(ctx.characteristics) == len(ctx.studies)
    assert "Country" in ctx.characteristics and "Who ascertained cases" in ctx.characteristics
    assert prevalence_page.not_reported_markdown(ctx) is None


# ------------------------------------------------------------------ the GLMM (issue 28)


def test_the_page_pools_the_main_analysis_by_a_glmm_as_metafor_does(context, bifftu):
    """The GLMM section of the prevalence page equals R metafor's rma.glmm on the five
    studies of help-seeking behaviour (the package's main analysis):

        xi <- c(103,47,58,1242,121); ni <- c(449,375,226,1511,343)
        library(metafor); r <- rma.glmm(measure="PLO", xi=xi, ni=ni)
        p <- predict(r, transf=transf.ilogit)
        round(c(p$pred, p$ci.lb, p$ci.ub, p$pi.lb, p$pi.ub, r$tau2), 6)
        # 0.341330 0.155161 0.593858 0.039677 0.866662 1.385026   (metafor 4.x, lme4)
    """
    glmm = context.glmm.glmm
    assert glmm.k == 5 and context.glmm.not_fitted == ""
    got = (glmm.prevalence, glmm.ci_low, glmm.ci_high, glmm.pi_low, glmm.pi_high, glmm.tau2)
    np.testing.assert_allclose(got, (0.341330, 0.155161, 0.593858, 0.039677, 0.866662,
                                     1.385026), atol=2e-4)
    text = shown(prevalence_page.glmm_markdown(context).data)
    assert ("to the 5 studies of the main analysis (*Outcome: Help-seeking behaviour*), the "
            "GLMM gives **34.1%** (95% CI 15.5 to 59.4%; 95% prediction interval 4.0 to "
            "86.7%), with a between-study variance tau² of 1.39 on the log-odds scale") in text
    assert text.endswith("The two agree within one percentage point.")


def test_the_glmm_of_the_bundled_main_setting_equals_metafor():
    """The bundled package's main analysis (the 46 community studies):

        library(metafor); r <- rma.glmm(measure="PLO", xi=xi, ni=ni)  # the 46 studies
        round(c(p$pred, p$ci.lb, p$ci.ub, p$pi.lb, p$pi.ub, r$tau2), 6)
        # 0.077702 0.067142 0.089763 0.028513 0.194736 0.282993
    """
    context = prevalence_page.prevalence_context(load_package(None))
    glmm = context.glmm.glmm
    got = (glmm.prevalence, glmm.ci_low, glmm.ci_high, glmm.pi_low, glmm.pi_high, glmm.tau2)
    np.testing.assert_allclose(got, (0.077702, 0.067142, 0.089763, 0.028513, 0.194736,
                                     0.282993), atol=2e-4)


def test_a_glmm_that_cannot_be_fitted_is_said_in_words(context):
    one = context.studies.head(1).assign(cases=[3], n=[40])
    comparison = prevalence_page.glmm_comparison(one, context.main)
    assert comparison.glmm is None
    assert comparison.not_fitted == "a between-study variance needs at least two studies"
    none = pd.DataFrame({"cases": [0, 0, 0], "n": [30, 40, 50]})
    comparison = prevalence_page.glmm_comparison(none, context.main)
    assert comparison.glmm is None and "run off to infinity" in comparison.not_fitted
    from dataclasses import replace

    text = shown(prevalence_page.glmm_markdown(replace(context, main_rows=none)).data)
    assert text.startswith("The model could not be fitted to the ")
    assert "nan" not in text
