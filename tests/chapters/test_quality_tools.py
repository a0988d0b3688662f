"""The appraisal pages follow the tool in force (issue 24): the JBI Checklist for
Qualitative Research of Baldwin et al. 2018 (tests/fixtures/packages/qes_fathers_jbi,
Table 1 of the paper) names its own questions and answers in every label, chart, rule
and sentence; a published judgement given as a range is compared as a range; paper labels
never print a year that was not reported."""

from __future__ import annotations

import matplotlib
import pytest

from analysis import paths
from analysis.chapters import quality as quality_page
from analysis.contract.banding import BANDING_RULES, BandingRule
from analysis.contract.validation import load_package
from analysis.plots import quality as quality_plots
from analysis.stats import quality
from tests.myst_source import shown

matplotlib.use("Agg")

FATHERS = paths.ROOT / "tests" / "fixtures" / "packages" / "qes_fathers_jbi"
DEFAULT = {"name": "default", "high": {"max_cant_tell": 0, "max_no": 0},
           "moderate": {"max_cant_tell": 2, "max_no": 0}}


@pytest.fixture(scope="module")
def fathers():
    return load_package(FATHERS)


@pytest.fixture(scope="module")
def jbi(fathers):
    return quality.package_tool(fathers)


@pytest.fixture(scope="module")
def consensus(fathers, jbi):
    return quality.answers_wide(quality.ratings(fathers, jbi), quality.agreed_label(fathers))


def test_the_package_tool_is_jbi_with_its_own_questions(jbi):
    assert jbi.tool_id == "jbi_qualitative"
    labels = jbi.labels()
    # question 7 is the researcher's influence and 9 ethics (not CASP's 7 and 9)
    assert labels[7] == "Q7 Researcher's influence" and labels[9] == "Q9 Ethics"
    assert list(jbi.answer_labels().values()) == ["Yes", "Unclear", "No", "Not applicable"]


def test_answer_words_are_the_tools():
    casp = quality_page.answer_words()
    assert (casp.cant_tell, casp.cant_tells, casp.A("no")) == ("Can't tell", "Can't tells", "A No")
    words = quality_page.answer_words(quality.load_tool("jbi_qualitative"))
    assert (words.yes, words.cant_tell, words.no) == ("Yes", "Unclear", "No")
    assert (words.a("cant_tell"), words.cant_tells) == ("an Unclear", "Unclear answers")


def test_the_rule_in_words_names_the_tools_answers_and_questions(jbi):
    rule = BandingRule.from_parameter(
        {**DEFAULT, "critical": {"items": [7], "caps": {"no": "moderate",
                                                        "cant_tell": "moderate"}}},
        jbi.question_labels(), jbi.banding_answers())
    said = quality_page.rule_in_words(rule, quality_page.answer_words(jbi))
    assert said == ("High: every item answered Yes. Moderate: no item answered No and at most "
                    "two answered Unclear. Low: any other paper. A No or an Unclear on "
                    "question 7 (researcher's influence) caps a paper at moderate.")
    # CASP's words by default: the bundled pages read as before
    assert "Can't tell" in quality_page.rule_in_words(BANDING_RULES["default"])
    assert quality_page.rule_words("default", jbi).description.endswith(
        "two answered Unclear. Low: any other paper.")


def test_bands_count_unclear_as_cant_tell_and_name_the_papers(fathers, jbi, consensus):
    rule = BandingRule.from_parameter(DEFAULT, jbi.question_labels(), jbi.banding_answers())
    bands = quality.assign_bands(consensus, rule)
    # Table 1 of the paper: Kao and Long (S14) has one Unclear (Q9) and no No
    assert bands.loc["S14", ["cant_tell_items", "no_items", "band"]].tolist() == [
        "Q9", "none", "moderate"]
    assert bands["band"].value_counts().to_dict() == {"low": 12, "high": 9, "moderate": 1}
    view = quality_page.bands_view(bands, fathers, jbi)
    assert list(view.columns) == ["Unclear on", "No on", "Band"]
    assert view.index[0] == "S01 Barclay and Lupton"  # the package's label, no "(<NA>)"
    assert quality_page.bands_caption(jbi) == (
        "Band of each paper, with the questions answered Unclear or No")
    compared = quality_page.compare_rules_view(consensus, rule, tool=jbi)
    assert compared.loc["default", "This page"] == "yes"
    assert "Unclear" in compared.loc["strict", "In words"]


def test_paper_labels_leave_out_a_year_not_reported(fathers):
    bundled = quality.paper_labels(load_package(paths.ROOT / "data_synthetic"))
    assert bundled.iloc[0] == "S01 Invented author 01 (2014)"
    studies = fathers["studies"].assign(label=None)
    unlabelled = type(fathers)(fathers.data_dir, fathers.descriptor,
                               {**fathers.tables, "studies": studies})
    assert quality.paper_labels(unlabelled)["S01"] == "S01 Barclay"


def test_a_published_range_is_compared_as_a_range(fathers, consensus, jbi):
    assert quality.published_bands({"value": "moderate to high",
                                    "range": ["moderate", "high"]}) == ("high", "moderate")
    assert quality.published_bands({"value": "Moderate"}) == ("moderate",)
    assert quality.published_bands({"value": ""}) == ()
    fact = quality_page.published_judgement(fathers)
    assert fact["value"] == "moderate to high"
    lenient = BandingRule.from_parameter("lenient", jbi.question_labels(), jbi.banding_answers())
    bands = quality.assign_bands(consensus, lenient)
    judged = quality.review_judgement(bands, lenient, False, fact)
    # moderate lies within "moderate to high": a match a single band could never give
    assert judged.judgement == "moderate" and judged.matches_published is True
    default = BandingRule.from_parameter(DEFAULT, jbi.question_labels(), jbi.banding_answers())
    judged = quality.review_judgement(quality.assign_bands(consensus, default), default, False,
                                      fact)
    assert judged.judgement == "low" and judged.matches_published is False
    said = shown(quality_page.judgement_comparison(judged))
    assert said.startswith("The review reported that the overall quality of the evidence was "
                           "*moderate to high*, according to Baldwin et al. 2018")
    assert "different from the published judgement" in said
    assert "not part of the package" in said


def test_the_scoring_sentence_and_citation_follow_the_tool(jbi):
    cite = quality_page.tool_citation(jbi)
    assert cite == "{cite:p}`lockwood2015qualitative`"
    casp = quality.load_tool()
    assert quality_page.tool_citation(casp) == "{cite:p}`casp2018qualitative`"
    own = quality.load_tool({"tool_id": "my_checklist", "name": "My checklist",
                             "citation": "Me 2024",
                             "answers": ["yes", "no"],
                             "items": [{"item": 1, "question": "Was it?", "short_label": "It"}]})
    assert quality_page.tool_citation(own) == "(Me 2024)"
    rule = BandingRule.from_parameter(DEFAULT, own.question_labels(), own.banding_answers())
    assert quality_page._scoring_text(rule, own).endswith(
        "a sum would weigh every question the same, whatever it asks.")
    words = quality_page.tool_words(jbi)
    assert words.yes == "Yes" and words.summary.startswith(
        "The JBI Critical Appraisal Checklist for Qualitative Research (2017) asks 10 "
        "questions of each paper (philosophy and methodology, ")


def test_charts_colour_and_label_the_tools_answers(jbi, consensus):
    styles = quality_plots.answer_styles(jbi)
    assert styles["unclear"][0] == quality_plots.ANSWER_COLOURS["cant_tell"]
    assert styles["not_applicable"] == quality_plots.NOT_APPLICABLE_STYLE
    assert set(quality_plots.cell_tints(jbi)) >= {"Yes", "Unclear", "No", "Not applicable"}
    bands = quality.assign_bands(consensus, BandingRule.from_parameter(
        DEFAULT, jbi.question_labels(), jbi.banding_answers()))["band"]
    ax = quality_plots.summary_bar(consensus, bands, jbi)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[6] == "Q7 Researcher's influence" and ticks[8] == "Q9 Ethics"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Yes", "Unclear", "No", "Not applicable"]
    ax = quality_plots.traffic_light(consensus, bands, jbi)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["+ Yes / H High", "? Unclear / M Moderate", "\u2212 No / L Low"]
    matplotlib.pyplot.close("all")


def test_the_method_exercises_read_the_tool_in_force(fathers):
    from analysis.chapters.exercises import answers

    said = answers("method_casp", fathers)
    # Table 1 of Baldwin et al. 2018: 9 papers Yes throughout; Q7 fell short for 10
    assert (said.n_papers, said.n_all_yes) == (22, 9)
    assert (said.top_question, said.n_top_question) == ("Q7 Researcher's influence", 10)


def test_paper_bands_for_other_chapters_count_the_tools_answers(fathers, jbi):
    ratings = fathers["casp_ratings"]
    with_tool = quality.paper_bands(ratings, "default", "consensus", jbi).set_index("study_id")
    assert with_tool.at["S14", "band"] == "moderate"  # its one Unclear counted
    from analysis.stats.themes import paper_bands as theme_bands

    assert theme_bands(fathers).set_index("study_id")["band"].equals(with_tool["band"])


# ------------------------------------------- agreement beyond kappa (issue 28)


def test_each_question_gets_every_coefficient_and_the_paradox_in_words():
    """On the bundled appraisal, Q1 is the kappa paradox of the issue: 69% agreement,
    kappa -0.18 with 84% of answers Yes, PABAK 0.53, AC1 0.64 (values of
    analysis.stats.agreement, checked there against irrCAC and the published examples)."""
    from analysis.stats.agreement import appraisal_agreement

    package = load_package(paths.ROOT / "data_synthetic")
    tool = quality.package_tool(package)
    result = appraisal_agreement(quality.ratings(package, tool), tool, n_boot=200, seed=7)
    q1 = quality_page.coefficient_view(result.table[result.table["item"] == "Q1"])
    assert list(q1.index) == ["Agreement (%)", "Cohen's kappa", "Gwet's AC1",
                              "Gwet's AC2 (ordinal weights)", "Krippendorff's alpha (nominal)",
                              "Krippendorff's alpha (ordinal)", "PABAK"]
    assert q1.loc["Agreement (%)", "Estimate"] == "69.0"
    assert q1.loc["Cohen's kappa", "Estimate"] == "-0.18"
    assert q1.loc["Gwet's AC1", "Estimate"] == "0.64"
    assert q1.loc["Gwet's AC1", "Interval"] == "analytic variance, t on 28 df"
    assert q1.loc["Krippendorff's alpha (nominal)", "Interval"] == (
        "percentile bootstrap, 200 resamples, seed 7")
    said = quality_page.paradox_words(result, tool)
    assert said.n_items >= 1
    assert ("Q1 Aims (69% agreement, kappa -0.18, 84% of answers Yes, PABAK 0.53, AC1 0.64)"
            in said.text)
    single = appraisal_agreement(quality.ratings(package, tool), tool, reviewers=["R1"])
    assert quality_page.paradox_words(single, tool) == quality_page.ParadoxWords(0, "")
