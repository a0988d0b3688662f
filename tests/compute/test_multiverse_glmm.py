"""The binomial GLMM as a pooling choice of the multiverse (issue 28 item 2), and the
threshold of its conclusion from the package or the page (issue 24 item 4).

Small declarations on the bundled studies: each GLMM fit is a maximum-likelihood fit, so
these multiverses keep a handful of selections of studies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.chapters import multiverse as multiverse_page
from analysis.contract.choices import ChoicesError, parse
from analysis.stats import multiverse, multiverse_batch, prevalence_glmm

DECLARED = {
    "min_studies": 3, "conclusion": {"below_percent": 10},
    "choices": {
        "transform": {"options": ["logit", "freeman_tukey"], "main": "logit"},
        "tau2_method": {"options": ["dl", "pm"], "main": "dl"},
        "interval": {"options": ["wald", "hartung_knapp"], "main": "wald"},
        "pooling": {"options": ["inverse_variance", "glmm"], "main": "inverse_variance"},
        "design": {"options": "each", "main": "all"},
    },
}


@pytest.fixture(scope="module")
def studies(package) -> pd.DataFrame:
    return package["prevalence_studies"]


@pytest.fixture(scope="module")
def glmm_table(studies):
    return multiverse.run_serial(studies, parse(DECLARED))


def test_a_glmm_specification_is_made_once_per_selection_of_studies(glmm_table):
    glmm = glmm_table[glmm_table["pooling"] == "glmm"]
    iv = glmm_table[glmm_table["pooling"] == "inverse_variance"]
    assert len(iv) == 8 * len(glmm) and len(glmm) == glmm_table["design"].nunique() == 3
    for name in ("transform", "tau2_method", "interval"):
        assert set(glmm[name]) == {"not_applicable"}
    assert not glmm["main"].any() and iv["main"].sum() == 1


def test_the_glmm_rows_are_prevalence_glmm_fits(glmm_table, studies):
    setting = multiverse.setting_of(studies, parse(DECLARED))
    rows = studies[studies["setting"] == setting]
    row = glmm_table[(glmm_table["pooling"] == "glmm") & (glmm_table["design"] == "all")]
    fit = prevalence_glmm.pool_glmm(rows["cases"], rows["n"])
    assert fit.converged and row["status"].item() == "ok"
    assert row["prevalence"].item() == pytest.approx(100 * fit.prevalence, abs=1e-12)
    assert (row["ci_low"].item(), row["ci_high"].item()) == pytest.approx(
        (100 * fit.ci_low, 100 * fit.ci_high), abs=1e-12)
    assert row["tau2"].item() == pytest.approx(fit.tau2, abs=1e-12)


def test_the_batched_path_gives_the_reference_table_with_a_glmm(glmm_table, studies):
    batched = multiverse_batch.run_batched(studies, parse(DECLARED))
    pd.testing.assert_frame_equal(batched[glmm_table.columns], glmm_table,
                                  check_exact=False, rtol=0, atol=1e-10, check_dtype=False)


def test_the_headline_is_the_inverse_variance_one_and_the_glmm_apart(glmm_table, studies):
    choices = multiverse.resolve(studies, parse(DECLARED))
    s = multiverse.summarise(glmm_table, choices)
    assert s.n_specifications == int((glmm_table["pooling"] == "inverse_variance").sum())
    g = multiverse.glmm_summary(glmm_table, choices)
    glmm = glmm_table[(glmm_table["pooling"] == "glmm") & (glmm_table["status"] == "ok")]
    assert g.n_specifications == 3 and g.n_pooled == len(glmm) and g.n_failed == 0
    assert g.median == pytest.approx(np.median(glmm["prevalence"]))
    assert g.n_below == int((glmm["prevalence"] < 10).sum())
    words = multiverse_page.glmm_text(g, choices).paragraph
    assert "3 GLMM specifications" in words and "Every fit converged." in words
    assert f"{g.median:.1f}%" in words and "nan" not in words


def test_a_fit_without_an_estimate_is_a_status_and_words_not_a_traceback(studies):
    choices = multiverse.resolve(studies, parse(DECLARED))
    setting = multiverse.setting_of(studies, choices)
    rows = studies[studies["setting"] == setting].copy()
    rows["cases"] = 0  # no study has a case: the pooled logit runs off to minus infinity
    table = multiverse.run_serial(rows, choices)
    glmm = table[table["pooling"] == "glmm"]
    assert set(glmm["status"]) <= {"GLMM not fitted: infinite estimate", "too few studies"}
    assert glmm["prevalence"].isna().all()
    g = multiverse.glmm_summary(table, choices)
    assert g.n_failed >= 1 and g.n_pooled == 0
    words = multiverse_page.glmm_text(g, choices).paragraph
    assert "gave no estimate (infinite estimate" in words
    assert "No GLMM specification gave an estimate." in words and "nan" not in words


def test_without_the_choice_the_page_says_so(package):
    from analysis.contract.choices import load_choices

    choices = load_choices()
    assert not choices.has_glmm
    assert multiverse_page.glmm_text(None, choices).paragraph == multiverse_page.NO_GLMM


def test_the_main_analysis_pools_by_inverse_variance():
    spec = {**DECLARED, "choices": {**DECLARED["choices"], "pooling": {
        "options": ["inverse_variance", "glmm"], "main": "glmm"}}}
    with pytest.raises(ChoicesError, match="choices.pooling.main: the main analysis is the "
                                           "Prevalence page's"):
        parse(spec)


# ------------------------------------------------------------------ the threshold


def _with_threshold(package, percent):
    from dataclasses import replace
    from types import SimpleNamespace

    prevalence = {k: v for k, v in package.study.prevalence.items()
                  if k != "threshold_percent"}
    if percent is not None:
        prevalence["threshold_percent"] = percent
    return SimpleNamespace(study=replace(package.study, prevalence=prevalence))


def test_the_threshold_is_the_packages_then_the_pages_then_none(package):
    from analysis.contract.choices import load_choices

    declared = load_choices()
    assert package.study.threshold_percent == 10  # the bundled package declares it
    assert multiverse_page.package_threshold(declared, package).below_percent == 10
    assert multiverse_page.package_threshold(declared, package, 25).below_percent == 10
    none = _with_threshold(package, None)
    assert multiverse_page.package_threshold(declared, none, 25).below_percent == 25
    assert multiverse_page.package_threshold(declared, none).below_percent is None
    assert multiverse_page.threshold_text(package, 10.0) == (
        "The threshold, 10%, is the one the data package declares for its review.")
    assert "this page's parameter" in multiverse_page.threshold_text(none, 25.0, 25.0)
    assert multiverse_page.threshold_text(none, None).startswith("No threshold was declared")


def test_without_a_threshold_no_conclusion_is_tested(studies):
    spec = {k: v for k, v in DECLARED.items() if k != "conclusion"}
    spec["choices"] = {k: v for k, v in DECLARED["choices"].items() if k != "pooling"}
    choices = multiverse.resolve(studies, parse(spec))
    assert choices.below_percent is None
    table = multiverse.run_serial(studies, choices)
    s = multiverse.summarise(table, choices)
    assert np.isnan(s.threshold) and np.isnan(s.share_below) and s.n_below == 0
    assert np.isnan(s.share_ci_below) and s.n_pooled > 0
    shares = multiverse_page.shares_table(table, choices)
    assert list(shares.columns) == ["Specifications pooled", "Median, %"]
    assert "no threshold was declared" in multiverse_page.shares_sentence(choices)
    text = str(multiverse_page.conclusion_markdown(s, choices).data)
    assert "No conclusion is tested" in text and "nan" not in text
    with_threshold = multiverse.resolve(studies, parse(DECLARED)).without_glmm()
    assert "Below 10%" in multiverse_page.shares_table(
        multiverse.run_serial(studies, with_threshold), with_threshold).columns


# ------------------------------------------------- numeric covariates as filters


def _with_mean_age(package):
    """The bundled package with a numeric covariate declared (mean age; two studies
    of the main setting do not report it)."""
    import copy

    from analysis.contract.package import DataPackage

    schema = [*package.fields("prevalence_studies"),
              {"name": "mean_age", "type": "number", "role": "covariate",
               "title": "Mean age (years)"}]
    studies = package["prevalence_studies"].copy()
    studies["mean_age"] = 20.0 + np.arange(len(studies)) % 17
    setting = studies["setting"].value_counts().index[0]
    studies.loc[studies.index[studies["setting"] == setting][:2], "mean_age"] = np.nan
    return DataPackage(package.data_dir, copy.deepcopy(package.descriptor),
                       {"prevalence_studies": studies},
                       schemas={"prevalence_studies": schema})


def test_a_numeric_covariate_is_a_filter_cut_at_its_median(package):
    from analysis.contract.choices import load_choices

    own_package = _with_mean_age(package)
    assert [c.kind for c in own_package.covariates("prevalence_studies")] == ["numeric"]
    choices = multiverse_page.package_choices(load_choices(), own_package)
    assert "mean_age" in choices.names
    own = multiverse_page.package_studies(own_package, choices)
    (split,) = own.splits
    studies = own_package["prevalence_studies"]
    setting = multiverse.setting_of(studies, choices)
    reported = studies.loc[studies["setting"] == setting, "mean_age"].dropna()
    assert split.median == reported.median() and split.n_reported == len(reported)
    assert set(own.studies["mean_age"]) == {split.below, split.above, "not reported"}
    assert (own.studies["mean_age"] == split.below).sum() == (studies["mean_age"]
                                                              < split.median).sum()
    resolved = multiverse.resolve(own.studies, choices, own.categories)
    option = next(c for c in resolved.choices if c.name == "mean_age")
    assert option.options == ("all", split.below, split.above, "not reported")
    table = multiverse_page.choices_table(resolved, own.titles)
    assert "Mean age (years)" in table.index
    words = multiverse_page.splits_sentence(own.splits, own.titles)
    assert words.startswith(f"Mean age (years) is a choice of studies cut at its median, "
                            f"{split.median:g}, over the {len(reported)} studies")
    frame = multiverse.run_serial(own.studies, resolved, "book")
    below = frame[(frame["mean_age"] == split.below) & (frame["status"] == "ok")]
    assert len(below) and (below["k"] <= (reported < split.median).sum()).all()


def test_a_numeric_covariate_nobody_reports_is_not_cut(package):
    studies = package["prevalence_studies"].assign(mean_age=np.nan)
    column, split = multiverse.split_at_median(studies, "mean_age", None)
    assert split is None and set(column) == {"not reported"}
