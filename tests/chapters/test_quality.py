"""Quality ratings: the checklist as data, kappa against published and statsmodels values,
undefined kappa, banding rules, disagreements, GRADE-CERQual assembly and its check,
the plots, and the rule in pages.yml reaching the rendered numbers."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa, fleiss_kappa

from analysis import paths
from analysis.chapters import quality as quality_page
from analysis.stats import quality
from analysis.contract.package import DataPackage
from analysis.contract.validation import load_package
from analysis.contract import published as published_figures
from analysis.contract.validation import load_package as _load_bundled


def published(fact_id):
    """A figure the bundled package declares as published (its study section)."""
    return published_figures.published(_load_bundled(), fact_id)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def tool():
    return quality.load_tool()


def _with(package: DataPackage, **tables: pd.DataFrame) -> DataPackage:
    """The package with some tables replaced (no validation: tests build edge cases)."""
    return DataPackage(package.data_dir, package.descriptor, {**package.tables, **tables})


def _r3(package: DataPackage, flip_every: int = 7) -> pd.DataFrame:
    """casp_ratings plus a third reviewer who copies R1 but differs on every nth rating."""
    t = package["casp_ratings"]
    r3 = t[t["reviewer"] == "R1"].copy().reset_index(drop=True)
    r3["reviewer"] = "R3"
    flip = r3.index % flip_every == 0
    r3.loc[flip, "rating"] = r3.loc[flip, "rating"].map(
        {"yes": "cant_tell", "cant_tell": "yes", "no": "cant_tell"})
    return pd.concat([t, r3], ignore_index=True)


# ------------------------------------------------------------------------ the tool


def test_casp_checklist_is_data_with_name_version_and_ten_items(tool):
    assert tool.name == "CASP Qualitative Checklist" and tool.version == "2018"
    assert tool.reference == "casp2018qualitative"
    assert tool.n_items == 10 and tool.answers == ("yes", "cant_tell", "no")
    assert tool.items.loc[tool.items["item"] == 6, "question"].item() == (
        "Has the relationship between researcher and participants been adequately considered?")
    assert list(tool.answer_labels().values()) == ["Yes", "Can't tell", "No"]
    questions = quality_page.questions_view(tool)
    assert len(questions) == 10
    screening = questions.xs("Q1", level="Item")["Question"].iloc[0]
    assert screening.endswith(" (screening question)")
    described = quality_page.tool_words(tool)
    assert described.answers == "Yes, Can't tell or No" and described.n_screening == 2
    assert described.title == "CASP Qualitative Checklist (2018)"


def test_an_unknown_tool_and_items_out_of_order_are_refused(tmp_path):
    with pytest.raises(KeyError, match="no tool 'jbi_cohort'; it has: casp_qualitative, "
                                       "jbi_qualitative, jbi_prevalence"):
        quality.load_tool("jbi_cohort")
    spec = json.loads(quality.TOOLS_FILE.read_text())
    spec["tools"][0]["items"][0]["item"] = 2
    bad = tmp_path / "tools.json"
    bad.write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="numbered 1 to 10 in order"):
        quality.load_tool(path=bad)


# ---------------------------------------------------------------- kappa: references


def test_cohen_1960_worked_example():
    # Cohen J (1960), Educ Psychol Meas 20:37-46, Table 1: two judges, three categories,
    # 200 subjects given as proportions (.44 .07 .09 / .05 .20 .05 / .01 .03 .06);
    # p_o = .70, p_c = .41, kappa = .29 / .59 = .492 (Cohen's text). Kappa depends only on
    # the diagonal (.44, .20, .06) and the margins (.60/.30/.10 and .50/.30/.20).
    table = np.array([[88, 14, 18], [10, 40, 10], [2, 6, 12]])
    est = quality.cohen_kappa(table)
    assert est.observed == pytest.approx(0.70)
    assert est.expected == pytest.approx(0.41)
    assert round(est.kappa, 3) == 0.492


def test_cohen_kappa_interval_matches_sas_example():
    # SAS PROC FREQ (AGREE) printout recorded in statsmodels'
    # stats/tests/test_inter_rater.py, TestUnweightedCohens: kappa 0.4842, ASE 0.1380,
    # 95% limits 0.2137 and 0.7547.
    est = quality.cohen_kappa([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert (est.kappa, est.se, est.ci_low, est.ci_high) == pytest.approx(
        (0.4842, 0.1380, 0.2137, 0.7547), abs=5e-5)


# Fleiss JL (1971), Psychol Bull 76:378-382, Table 1: 30 patients, 6 psychiatrists,
# 5 diagnoses; Fleiss reports kappa = .430. Raw ratings as in R's irr::diagnoses (also
# statsmodels' test_inter_rater.py, where kappam.fleiss gives 0.4302445).
DIAGNOSES = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
])


def test_fleiss_1971_worked_example():
    counts, _ = aggregate_raters(DIAGNOSES)
    est = quality.fleiss(counts)
    assert round(est.kappa, 3) == 0.430
    assert est.kappa == pytest.approx(0.4302445, abs=1e-7)
    assert math.isnan(est.ci_low) and est.case is quality.KappaCase.NO_STANDARD_ERROR
    assert quality_page.estimate_note(est) == "no interval: no standard error is computed"


# ----------------------------------------------------------- kappa: bundled data


def test_kappa_per_item_and_overall_match_statsmodels(package, tool):
    result = quality.agreement(package, tool)
    assert result.statistic == "Cohen's kappa" and result.reviewer_labels == ("R1", "R2")
    assert quality_page.agreement_words(result).reviewers == "R1 and R2"
    t = package["casp_ratings"]
    wide = t.pivot(index=["study_id", "item"], columns="reviewer", values="rating")
    order = ["yes", "cant_tell", "no"]
    for code, rows in [(f"Q{i}", wide.xs(i, level="item")) for i in range(1, 11)] + [
            ("All items", wide)]:
        table = pd.crosstab(pd.Categorical(rows["R1"], order),
                            pd.Categorical(rows["R2"], order), dropna=False).to_numpy()
        row = result.table.loc[code]
        assert row["percent_agreement"] == pytest.approx(100 * np.trace(table) / table.sum())
        p = table / table.sum()
        expected = (p.sum(1) * p.sum(0)).sum()
        if np.isclose(expected, 1):
            assert math.isnan(row["kappa"])
            continue
        with np.errstate(invalid="ignore", divide="ignore"):  # its z statistic, unused
            reference = cohens_kappa(table)
        assert row["kappa"] == pytest.approx(reference.kappa, abs=1e-12)
        if math.isfinite(row["ci_low"]):
            assert (row["ci_low"], row["ci_high"]) == pytest.approx(
                (reference.kappa_low, reference.kappa_upp), abs=1e-12)
    assert result.n_ratings == len(wide) and result.n_papers == 29
    assert result.kappa == result.table.loc["All items", "kappa"]


def test_fleiss_replaces_cohen_with_three_reviewers(package, tool):
    three = _with(package, casp_ratings=_r3(package))
    result = quality.agreement(three, tool)
    assert result.n_reviewers == 3 and result.statistic == "Fleiss' kappa"
    t = three["casp_ratings"]
    wide = t[t["reviewer"] != "consensus"].pivot(index=["study_id", "item"], columns="reviewer",
                                                 values="rating")
    codes = wide.apply(lambda c: c.map({"yes": 0, "cant_tell": 1, "no": 2}))
    counts, _ = aggregate_raters(codes.to_numpy(), n_cat=3)
    assert result.kappa == pytest.approx(fleiss_kappa(counts), abs=1e-12)
    assert math.isnan(result.kappa_ci_low)
    assert quality_page.agreement_view(result).columns[2] == "Fleiss' kappa"


# --------------------------------------------------------- kappa: undefined cases


def test_kappa_undefined_when_both_reviewers_give_one_answer_throughout():
    est = quality.cohen_kappa([[29, 0, 0], [0, 0, 0], [0, 0, 0]], ("R1", "R2"),
                              ["Yes", "Can't tell", "No"])
    assert not est.defined and math.isnan(est.kappa)
    assert est.observed == 1.0
    assert est.case is quality.KappaCase.ONE_ANSWER_THROUGHOUT and est.answer == "Yes"
    assert quality_page.estimate_note(est) == (
        "undefined: R1 and R2 both answered Yes for every paper (chance agreement 100%, "
        "kappa 0/0)")


def test_kappa_zero_by_construction_when_one_reviewer_is_constant():
    est = quality.cohen_kappa([[20, 9, 0], [0, 0, 0], [0, 0, 0]], ("R1", "R2"),
                              ["Yes", "Can't tell", "No"])
    assert est.defined and est.kappa == pytest.approx(0.0)
    assert math.isnan(est.ci_low) and est.case is quality.KappaCase.ONE_RATER_CONSTANT
    assert quality_page.estimate_note(est) == (
        "0 by construction: R1 answered Yes for every paper; no interval")


def test_fleiss_undefined_when_every_rating_is_the_same():
    est = quality.fleiss([[3, 0, 0]] * 5, ["Yes", "Can't tell", "No"])
    assert not est.defined and est.case is quality.KappaCase.ONE_ANSWER_THROUGHOUT
    assert quality_page.estimate_note(est) == (
        "undefined: every reviewer answered Yes for every paper (chance agreement 100%, "
        "kappa 0/0)")
    assert quality_page.estimate_note(quality.fleiss(np.zeros((0, 3)))) == (
        "undefined: no paper was rated by all")
    assert quality_page.estimate_note(quality.cohen_kappa(np.zeros((3, 3)))) == (
        "undefined: no paper was rated by both")
    perfect = quality.cohen_kappa([[5, 0, 0], [0, 4, 0], [0, 0, 3]])
    assert perfect.kappa == pytest.approx(1.0) and perfect.case is quality.KappaCase.PERFECT
    assert quality_page.estimate_note(perfect) == (
        "perfect agreement; the asymptotic interval has no width")


def test_undefined_item_is_reported_in_words_on_the_page(package, tool):
    t = package["casp_ratings"].copy()
    t.loc[t["item"] == 1, "rating"] = "yes"  # both reviewers (and consensus): all Yes
    result = quality.agreement(_with(package, casp_ratings=t), tool)
    assert result.n_items_undefined == 1
    row = result.table.loc["Q1"]
    assert math.isnan(row["kappa"]) and row["strength"] == "not defined"
    assert row["percent_agreement"] == 100
    view = quality_page.agreement_view(result)
    shown = view.loc["Q1 Aims"]
    assert shown["Cohen's kappa"] == "undefined"
    assert "undefined" in shown["Note"] and "answered Yes for every paper" in shown["Note"]
    assert not view.astype(str).apply(lambda c: c.str.contains("nan")).any().any()


def test_no_independent_reviewer_is_said_in_words(package, tool):
    t = package["casp_ratings"]
    only = _with(package, casp_ratings=t[t["reviewer"] == "consensus"])
    result = quality.agreement(only, tool)
    said = quality_page.agreement_words(result)
    assert result.n_reviewers == 0 and not result.applicable
    assert "cannot be computed" in said.summary and said.reviewers == "none"
    assert "no independent reviewer besides the agreed answers ('consensus')" in said.summary
    assert quality.disagreements(only, tool).empty


@pytest.mark.parametrize("kappa, label", [(-0.1, "poor"), (0.0, "slight"), (0.2, "slight"),
                                          (0.21, "fair"), (0.6, "moderate"),
                                          (0.8, "substantial"), (0.81, "almost perfect"),
                                          (1.0, "almost perfect"), (math.nan, "not defined")])
def test_landis_koch_labels(kappa, label):
    assert quality.landis_koch(kappa) == label


# ------------------------------------------------------------------ disagreements


def test_every_disagreement_is_listed_with_its_resolution(package, tool):
    rows = quality.disagreements(package, tool)
    result = quality.agreement(package, tool)
    split = rows[rows["kind"] == "reviewers disagreed"]
    assert len(split) == result.n_ratings - result.n_agreed
    assert (split["R1"] != split["R2"]).all()
    for _, r in rows.iterrows():
        took = [x for x in ("R1", "R2") if r[x] == r["consensus"]]
        assert r["resolution"] == (" and ".join(f"{x}'s" for x in took) + " answer"
                                   if took else "neither reviewer's answer")
    changed = rows[rows["kind"] == "agreed answer changed"]
    assert ((changed["R1"] == changed["R2"]) & (changed["R1"] != changed["consensus"])).all()
    summary = quality.summarise_disagreements(rows, result)
    assert summary.counts["n"].sum() == summary.n_disagreements == len(split)
    view = quality_page.disagreements_view(rows, package, tool)
    assert list(view.columns[:3]) == ["R1", "R2", "Consensus"]
    said = quality_page.disagreement_words(summary).resolution_text
    assert said == "; ".join(f"{res} in {n} case{'' if n == 1 else 's'}"
                             for res, n in summary.counts["n"].items())


def test_nothing_to_resolve_is_said_in_words(package, tool):
    t = package["casp_ratings"]
    only = _with(package, casp_ratings=t[t["reviewer"] == "consensus"])
    summary = quality.summarise_disagreements(quality.disagreements(only, tool),
                                              quality.agreement(only, tool))
    assert summary.n_disagreements == 0
    assert quality_page.disagreement_words(summary).resolution_text == (
        "there was nothing to resolve")


# ------------------------------------------------------------------------- bands


def test_banding_rule_from_parameter_and_in_words():
    rule = quality.BandingRule.from_parameter(
        {"name": "strict", "high": {"max_cant_tell": 0, "max_no": 0},
         "moderate": {"max_cant_tell": 1, "max_no": 0}})
    assert rule == quality.BANDING_RULES["strict"]
    assert quality.BandingRule.from_parameter("default").moderate_max_cant_tell == 2
    assert quality_page.rule_in_words(rule) == (
        "High: every item answered Yes. Moderate: no item answered No and at most one "
        "answered Can't tell. Low: any other paper.")
    assert [rule.band(0, 0), rule.band(1, 0), rule.band(2, 0), rule.band(0, 1)] == [
        "high", "moderate", "low", "low"]


@pytest.mark.parametrize("bad, message", [
    ("harsh", "unknown banding rule"),
    ({"high": {"max_cant_tell": 0}}, "'moderate' is missing; give both bands"),
    ({"high": {"max_unclear": 0}, "moderate": {}}, "takes max_cant_tell and max_no"),
    ({"high": {"max_cant_tell": 3}, "moderate": {"max_cant_tell": 1}}, "at least those for high"),
    ({"high": {"max_cant_tell": -1}, "moderate": {}}, "at least 0"),
])
def test_bad_banding_rules_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        quality.BandingRule.from_parameter(bad)


def test_median_band_takes_the_lower_middle_on_a_tie():
    assert quality.median_band(["high", "low", "moderate"]) == "moderate"
    assert quality.median_band(["high", "high", "low", "low"]) == "low"
    assert quality.median_band(["high"] * 3 + ["moderate"] * 2) == "high"


def test_bands_follow_the_rule_and_imply_the_published_judgement(package, tool):
    consensus = quality.answers_wide(quality.ratings(package, tool))
    rule = quality.BANDING_RULES["default"]
    bands = quality.assign_bands(consensus, rule)
    assert len(bands) == len(package["studies"])
    recomputed = [rule.band((row == "cant_tell").sum(), (row == "no").sum())
                  for _, row in consensus.iterrows()]
    assert bands["band"].tolist() == recomputed
    judgement = quality.review_judgement(bands, rule, synthetic=True,
                                         published_fact=published("overall_quality"))
    assert judgement.judgement == published("overall_quality")["value"] == "moderate"
    assert judgement.matches_published is True
    said = quality_page.judgement_words(judgement, rule)
    assert said.comparison == "the same as the published judgement"
    assert said.rule_status == "This is the book's default rule."
    assert said.caveat.startswith("The ratings are synthetic and were calibrated")
    assert said.rule_scoring.startswith(", and no total of Yes answers is computed")
    unpublished = quality.review_judgement(bands, rule)
    assert unpublished.matches_published is None and unpublished.published == ""
    assert quality_page.judgement_words(unpublished, rule).comparison == ""
    assert quality_page.judgement_words(unpublished, rule).caveat.startswith(
        "The rule the review used to reach its overall judgement is not part of the package")
    assert judgement.n_high + judgement.n_moderate + judgement.n_low == judgement.n_papers
    assert quality.band_distribution(bands)["Papers"].sum() == judgement.n_papers
    assert "score" not in " ".join(bands.columns)  # counts feed the rule, nothing is summed


def test_another_rule_changes_the_bands(package, tool):
    consensus = quality.answers_wide(quality.ratings(package, tool))
    default = quality.assign_bands(consensus, quality.BANDING_RULES["default"])["band"]
    strict = quality.assign_bands(consensus, quality.BANDING_RULES["strict"])["band"]
    assert (default != strict).any()
    assert (strict.map(quality.BANDS.index) >= default.map(quality.BANDS.index)).all()
    table = quality.compare_rules(consensus, quality.BANDING_RULES["strict"])
    assert table.loc["strict", "this_page"] and not table.loc["default", "this_page"]
    assert table.loc["strict", "n_low"] == (strict == "low").sum()
    view = quality_page.compare_rules_view(consensus, quality.BANDING_RULES["strict"])
    assert view.loc["strict", "This page"] == "yes" and view.loc["default", "This page"] == ""
    assert list(view.columns) == ["In words", "High", "Moderate", "Low",
                                  "Review-level judgement", "This page"]
    assert view.loc["strict", "In words"] == quality_page.rule_in_words(
        quality.BANDING_RULES["strict"])
    custom = replace(quality.BANDING_RULES["default"], name="mine", moderate_max_cant_tell=5)
    assert "mine" in quality.compare_rules(consensus, custom).index


# ----------------------------------------------------------------- GRADE-CERQual


def test_contributing_papers_come_from_study_codes_joined_to_framework(package):
    contrib = quality.contributing_papers(package)
    fw = package["framework"]
    meta = fw[fw["review"] == "meta_synthesis"]
    assert list(contrib.index) == list(meta["theme_id"].drop_duplicates())
    assert list(contrib["finding"]) == list(meta.drop_duplicates("theme_id")["theme"])
    codes = package["study_codes"]
    for theme_id, row in contrib.iterrows():
        subs = meta.loc[meta["theme_id"] == theme_id, "subtheme_id"]
        assert set(row["papers"]) == set(codes.loc[codes["subtheme_id"].isin(subs), "study_id"])


def test_cerqual_table_assembles_the_reviewers_judgements(package, tool):
    consensus = quality.answers_wide(quality.ratings(package, tool))
    bands = quality.assign_bands(consensus, quality.BANDING_RULES["default"])
    table = quality.cerqual_table(package, bands)
    assert len(table) == 6
    cq = package["cerqual"].set_index(["theme_id", "component"])
    for theme_id, row in table.iterrows():
        for comp in quality.COMPONENTS:
            assert row[comp] == cq.at[(theme_id, comp), "concern"]
            assert row[f"{comp}_explanation"] == cq.at[(theme_id, comp), "explanation"]
        assert row["n_high"] + row["n_moderate"] + row["n_low"] == row["n_papers"]
    soqf = quality_page.soqf_view(table)
    assert list(soqf["GRADE-CERQual confidence"]) == [
        {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low"}[o]
        for o in table["overall"]]
    assert len(quality_page.evidence_profile_view(table)) == 6 * 4
    check = quality.cerqual_check(table)
    assert check.n_flagged == 0  # no "no" concern in the bundled data
    assert quality_page.cerqual_words(check).message.startswith(
        "No finding was flagged: none with more than 50% of its contributing papers")


def test_check_flags_a_finding_of_mostly_low_papers_without_concern(package, tool):
    cq = package["cerqual"].copy()
    cq.loc[(cq["theme_id"] == "T1") & (cq["component"] == "methodological_limitations"),
           "concern"] = "no"
    edited = _with(package, cerqual=cq)
    consensus = quality.answers_wide(quality.ratings(edited, tool))
    bands = quality.assign_bands(consensus, quality.BANDING_RULES["default"])
    t1 = set(quality.contributing_papers(edited).at["T1", "papers"])
    bands.loc[bands.index.isin(t1), "band"] = "low"
    check = quality.cerqual_check(quality.cerqual_table(edited, bands))
    assert check.n_flagged == 1 and list(check.flags.index) == ["T1"]
    assert quality_page.cerqual_words(check).message == (
        "Flagged for a second look: T1 The use and misuse of diagnosis ("
        f"{check.flags.at['T1', 'n_low']} of {check.flags.at['T1', 'n_papers']} contributing "
        "papers are in the low band, yet no concern about methodological limitations is "
        "recorded).")
    bands.loc[:, "band"] = "moderate"
    assert quality.cerqual_check(quality.cerqual_table(edited, bands)).n_flagged == 0


def test_compact_ids_collapses_runs():
    ids = ["S03", "S01", "S02", "S07", "S09", "S10"]
    assert quality.compact_ids(ids) == "S01–S03, S07, S09–S10"
    assert quality.compact_ids([]) == ""


# --------------------------------------------------------------------------- plots


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    """A 290-paper package (seed 1, scale 10), as the issue's scale check."""
    from analysis.synth import generate

    out = tmp_path_factory.mktemp("s10")
    generate(seed=1, out_dir=out, scale=10)
    return load_package(out)


@pytest.mark.parametrize("which", ["bundled", "scaled"])
def test_plots_return_axes_at_29_and_290_papers(which, package, scaled, tool):
    from analysis.plots import quality as qp

    pkg = package if which == "bundled" else scaled
    consensus = quality.answers_wide(quality.ratings(pkg, tool))
    bands = quality.assign_bands(consensus, quality.BANDING_RULES["default"])["band"]
    ax = qp.traffic_light(consensus, bands, tool, quality.paper_labels(pkg))
    n = len(consensus)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "Band"
    glyph_layers = [c for c in ax.collections if c.get_offsets().size]
    if n <= qp.MAX_LABELLED:
        assert len(ax.get_yticks()) == n and glyph_layers  # every paper named, glyphs drawn
    else:
        assert len(ax.get_yticks()) <= 31 and not glyph_layers
    ax = qp.summary_bar(consensus, bands, tool)
    widths = pd.Series({(p.get_y(), p.get_x()): p.get_width() for p in ax.patches})
    per_bar = widths.groupby(level=0).sum()
    assert len(per_bar) == 11 and np.allclose(per_bar, 100)
    ax = qp.kappa_by_item(quality.agreement(pkg, tool).table)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "All items"
    matplotlib.pyplot.close("all")


def test_palette_is_the_colour_blind_one():
    from analysis.plots import PALETTE
    from analysis.plots import quality as qp

    assert set(map(tuple, qp.ANSWER_COLOURS.values())) <= set(map(tuple, PALETTE))
    assert len(set(map(tuple, qp.ANSWER_COLOURS.values()))) == 3


# ----------------------------------------------------------------- the notebook


NOTEBOOK = paths.NOTEBOOKS / "quality.ipynb"


def test_notebook_is_a_thin_template():
    nb = json.loads(NOTEBOOK.read_text())
    params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "remove-cell" in params[0]["metadata"]["tags"]
    source = "".join(params[0]["source"])
    assert 'data_dir = "data_synthetic"' in source and "banding_rule =" in source
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and c not in params]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert all("hide-input" in c["metadata"].get("tags", []) for c in code)
    assert "start_page(data_dir=data_dir, banding_rule=banding_rule)" in "".join(code[0]["source"])
    assert [c["id"] for c in nb["cells"]] == [f"cell-{i:02d}" for i in range(len(nb["cells"]))]
    for c in code:  # no loops, filters or comprehensions in the notebook
        text = "".join(c["source"])
        assert not any(w in text for w in (" for ", "while ", "lambda", ".loc[", "[["))


def test_pages_yml_renders_two_rules_from_one_notebook():
    spec = yaml.safe_load(paths.PAGES.read_text())
    pages = {p["page"]: p for part in spec["parts"] for p in part["pages"]}
    main, strict = pages["quality"], pages["quality_strict"]
    assert main["notebook"] == strict["notebook"] == "quality"
    assert main["title"] == "Quality bands" and strict["title"] != main["title"]
    # The appraisal does not depend on the rule: one page, without a rule parameter.
    assert pages["appraisal"]["notebook"] == "appraisal"
    assert "banding_rule" not in pages["appraisal"].get("parameters", {})
    rules = [quality.BandingRule.from_parameter(p["parameters"]["banding_rule"])
             for p in (main, strict)]
    assert rules[0] == quality.BANDING_RULES["default"]
    assert rules[0].limits() != rules[1].limits()


def _glued(nb_path: Path) -> dict[str, str]:
    nb = json.loads(nb_path.read_text())
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            name = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                out[name] = o["data"].get("application/papermill.record/text/plain")
    return out


@pytest.mark.book
def test_changing_the_rule_changes_the_glued_bands(checkout_book):
    """The quality notebook under the default rule and under the strict one: the pages
    quality and quality_strict of the checkout's book (tests/conftest.py), whose rules
    are the named ones."""
    pages = {p["page"]: p for part in yaml.safe_load(paths.PAGES.read_text())["parts"]
             for p in part["pages"]}
    executed = paths.executed_dir(checkout_book.html.parent.parent)
    glued = {}
    for name, page in (("default", "quality"), ("strict", "quality_strict")):
        assert (quality.BandingRule.from_parameter(pages[page]["parameters"]["banding_rule"])
                == quality.BandingRule.from_parameter(name))
        glued[name] = _glued(executed / f"{page}.ipynb")
    assert glued["default"]["band_judgement"].strip("'") == "moderate"
    assert glued["default"]["band_n_low"] != glued["strict"]["band_n_low"]
    assert glued["default"]["band_rule_text"] != glued["strict"]["band_rule_text"]
    assert "agree_kappa_text" not in glued["default"]  # agreement is on the appraisal page


@pytest.mark.book
def test_the_appraisal_page_glues_agreement_and_disagreements(checkout_book):
    """The appraisal notebook on its defaults (the bundled package), as the checkout's
    book ran it (tests/conftest.py)."""
    executed = paths.executed_dir(checkout_book.html.parent.parent)
    glued = _glued(executed / "appraisal.ipynb")
    agreement = quality.agreement(load_package(paths.DATA_SYNTHETIC), quality.load_tool())
    assert glued["agree_n_agreed"] == str(agreement.n_agreed)
    assert glued["disagree_n_disagreements"] == str(agreement.n_ratings - agreement.n_agreed)
    assert "band_judgement" not in glued and "fig_quality_kappa" in glued
