"""Answers of the method pages' exercises, recomputed here from the raw tables.

The book test (tests/book/test_book.py) checks that the built pages show these values; this file
checks that the values are right, each by a route independent of the function.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from analysis.chapters import exercises
from analysis.stats import prevalence, prevalence_glmm, quality, saturation


def test_every_method_page_has_an_answer_function():
    assert set(exercises.EXERCISES) == {
        "method_thematic_synthesis", "method_casp", "method_cerqual",
        "method_counting_themes", "method_prevalence", "method_saturation",
        "method_conqual"}


def test_conqual_answers_on_the_fathers_review():
    # Recomputed from the raw tables of the fixture typed from Baldwin et al. 2018:
    # Table 2's findings of synthesised finding 1, Table 1's answers to Q2, 3, 4, 6, 7.
    from analysis import paths
    from analysis.contract.validation import load_package

    fathers = load_package(paths.ROOT / "tests" / "fixtures" / "packages" / "qes_fathers_jbi")
    a = exercises.conqual_grading(fathers)
    cred = fathers["meta_aggregation_findings"]["credibility"].value_counts()
    assert (cred["unequivocal"], cred["credible"]) == (10, 13)
    assert a.credibility_answer == ("SF1 rests on 23 findings (10 unequivocal and 13 "
                                    "credible): credibility moves it down one level.")
    agreed = fathers["casp_ratings"].query("reviewer == 'consensus' and item in [2, 3, 4, 6, 7]")
    yes = (agreed["rating"] == "yes").groupby(agreed["study_id"]).sum()
    keep, one, two = (yes >= 4).sum(), yes.between(2, 3).sum(), (yes <= 1).sum()
    assert (keep, one, two) == (14, 8, 0)
    assert a.dependability_answer.startswith(
        f"Of 22 appraised papers, {keep} keep the ranking (4-5 Yes answers), {one} move")
    assert a.score_answer.endswith("Credibility alone allows at most Moderate.")


def test_thematic_synthesis_answers(package):
    a = exercises.thematic_synthesis(package)
    codes = package["study_codes"]
    framework = package["framework"]
    meta = framework[framework["review"] == "meta_synthesis"]
    assert a.n_excerpts == codes["n_excerpts"].sum()
    assert a.n_papers_coded == codes.loc[codes["n_excerpts"] > 0, "study_id"].nunique()
    assert (a.n_subthemes, a.n_themes) == (len(meta), meta["theme_id"].nunique()) == (17, 6)
    per_sub = codes[codes["n_excerpts"] > 0].groupby("subtheme_id")["study_id"].nunique()
    names = dict(zip(meta["subtheme_id"], meta["subtheme"]))
    assert a.n_top_subtheme == per_sub.max()
    assert per_sub[[k for k, v in names.items() if v == a.top_subtheme][0]] == per_sub.max()
    assert a.pct_top_subtheme == round(100 * per_sub.max() / len(package["studies"]), 1)


def test_casp_answers(package):
    a = exercises.casp(package)
    agreed = package["casp_ratings"].query("reviewer == 'consensus'")
    yes = agreed.assign(yes=agreed["rating"] == "yes").pivot(
        index="study_id", columns="item", values="yes")
    assert a.n_papers == len(yes) == 29
    assert a.n_all_yes == int(yes.all(axis=1).sum())
    short = (~yes).sum()
    assert a.n_top_question == short.max()
    assert a.top_question.startswith(f"Q{short.idxmax()} ")
    n_yes = yes.sum(axis=1)
    partial = n_yes[n_yes < 10]
    mode = partial.value_counts()
    assert a.n_same_yes == mode.max() and a.same_yes in mode[mode == mode.max()].index
    patterns = {tuple(r) for r in (~yes.loc[partial.index[partial == a.same_yes]]).to_numpy()}
    assert a.n_patterns_same_yes == len(patterns) >= 1


def test_cerqual_answers(package):
    a = exercises.cerqual(package)
    table = package["cerqual"]
    per_theme = table.groupby("theme_id")["overall"].first()
    assert a.n_findings == len(per_theme) == 6
    assert (a.n_high, a.n_moderate, a.n_low, a.n_very_low) == tuple(
        int((per_theme == level).sum()) for level in ("high", "moderate", "low", "very_low"))
    concerns = table[table["concern"].isin(["moderate", "serious"])]["component"]
    assert a.n_top_component == (concerns.value_counts().max() if len(concerns) else 0)


def test_counting_answers_use_the_wilson_interval_and_studies(package):
    a = exercises.counting(package)
    assert (a.n_all_papers, a.n_all_studies) == (29, package["studies"]["study_group"].nunique())
    low, high = proportion_confint(a.n_papers, a.n_all_papers, method="wilson")
    assert (a.ci_low, a.ci_high) == (round(100 * low, 1), round(100 * high, 1))
    assert a.pct_studies == round(100 * a.n_studies / a.n_all_studies, 1)
    assert a.n_studies <= a.n_papers


def test_prevalence_answers(package):
    a = exercises.prevalence_pooling(package)
    studies = package["prevalence_studies"]
    main = prevalence.pool(studies["cases"], studies["n"])
    assert a.k == len(studies)
    assert a.pooled == pytest.approx(100 * main.prevalence)
    assert (a.pi_low, a.pi_high) == pytest.approx((100 * main.pi_low, 100 * main.pi_high))
    own = 100 * studies["cases"] / studies["n"]
    assert a.n_outside_pi == int(((own < a.pi_low) | (own > a.pi_high)).sum())
    assert a.ci_low < a.pooled < a.ci_high and a.pi_low < a.ci_low
    assert np.isfinite(a.pooled_ft) and a.pooled_ft != a.pooled
    glmm = prevalence_glmm.pool_glmm(studies["cases"], studies["n"])
    assert (a.glmm_pooled, a.glmm_ci_low, a.glmm_ci_high) == pytest.approx(
        (100 * glmm.prevalence, 100 * glmm.ci_low, 100 * glmm.ci_high))
    assert a.glmm_tau2 == pytest.approx(glmm.tau2) and a.iv_tau2 == pytest.approx(main.tau2)
    cases, n = studies["cases"], studies["n"]
    assert a.n_sparse == int(((cases < 5) | (n - cases < 5)).sum())
    assert a.n_boundary == int(((cases == 0) | (cases == n)).sum())
    assert a.size_ratio == pytest.approx(n.max() / n.min())
    assert f"{100 * glmm.prevalence:.1f}%" in a.glmm_choice


def test_the_glmm_answer_prefers_the_glmm_for_studies_without_cases(package):
    from analysis.contract.package import DataPackage

    few = package["prevalence_studies"].head(6).reset_index(drop=True)
    few.loc[0, "cases"] = 0
    small = DataPackage(package.data_dir, package.descriptor, {"prevalence_studies": few})
    a = exercises.prevalence_pooling(small)
    assert a.n_boundary == 1 and a.glmm_choice.startswith("Prefer the GLMM: there")
    assert "1 study with no cases or only cases" in a.glmm_choice


def test_the_glmm_answer_says_when_the_glmm_gives_no_estimate(package):
    from analysis.contract.package import DataPackage

    one = package["prevalence_studies"].head(1).reset_index(drop=True)
    one.loc[0, "cases"] = 0
    small = DataPackage(package.data_dir, package.descriptor, {"prevalence_studies": one})
    a = exercises.prevalence_pooling(small)
    assert a.glmm_choice.startswith("The GLMM gives no estimate here (")
    assert "nan" not in a.glmm_choice


def test_the_kappa_paradox_exercise(package):
    """The teaching table: 17 of 20 papers agreed, 35 of 40 answers the favourable one;
    kappa by hand (Cohen 1960), PABAK = 2 p_o - 1 and AC1 = (p_o - p_e) / (1 - p_e) with
    p_e = 2 pi (1 - pi) (Gwet 2008)."""
    a = exercises.casp(package)
    p_o, yes_a, yes_b = 17 / 20, 18 / 20, 17 / 20
    p_c = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    pi = (yes_a + yes_b) / 2
    p_e = 2 * pi * (1 - pi)
    assert a.paradox_papers == 20 and a.paradox_agreement == pytest.approx(85)
    assert a.paradox_share == pytest.approx(87.5)
    assert a.paradox_kappa == pytest.approx((p_o - p_c) / (1 - p_c))
    assert a.paradox_pabak == pytest.approx(2 * p_o - 1)
    assert a.paradox_ac1 == pytest.approx((p_o - p_e) / (1 - p_e))
    assert a.paradox_kappa < 0.4 <= a.paradox_pabak < a.paradox_ac1
    assert exercises.kappa_paradox_example(quality.package_tool(package)).paradox
    table = exercises.paradox_table(quality.package_tool(package))
    assert table.to_numpy().tolist() == [[16, 2], [1, 1]]
    assert list(table.index) == ["Yes", "No"]
    assert f"{100 * p_c:.0f}%" in a.paradox_answer and "is low although" in a.paradox_answer


def test_saturation_answers(package):
    a = exercises.thematic_saturation(package)
    incidence = saturation.CodeIncidence.from_package(package)
    assert a.point_default == saturation.assess(incidence, 4, 2, 0.05).saturation_text
    assert a.point_run3 == saturation.assess(incidence, 4, 3, 0.05).saturation_text
    assert a.point_strict == saturation.assess(incidence, 4, 2, 0.0).saturation_text
    people = package["participants"].sort_values("interview_order")["participant_id"]
    codes = package["participant_codes"]
    assert a.n_codes_base == codes[codes["participant_id"].isin(people[:4])]["code_id"].nunique()


@pytest.mark.parametrize("k, words", [
    (1, "One study has no heterogeneity to measure"),
    (2, "Two studies give no prediction interval"),
    (3, "the prediction interval runs from"),
])
def test_the_heterogeneity_answer_reads_right_for_few_studies(package, k, words):
    from analysis.contract.package import DataPackage

    few = package["prevalence_studies"].head(k).reset_index(drop=True)
    small = DataPackage(package.data_dir, package.descriptor, {"prevalence_studies": few})
    a = exercises.prevalence_pooling(small)
    assert words in a.heterogeneity and "nan" not in a.heterogeneity
    assert a.studies == ("1 study" if k == 1 else f"{k} studies")
