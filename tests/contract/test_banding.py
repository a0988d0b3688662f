"""Banding rules of the three kinds reviews publish (count limits, critical questions,
weighted scores with thresholds), every message a bad rule gets, the rule in words, a
published table of CASP answers and ratings reproduced, the reviewer label of the agreed
answers, and single-rater and three-reviewer appraisals."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from analysis import paths
from analysis.chapters import quality as quality_page
from analysis.chapters.quality import rule_in_words, rule_kind
from analysis.contract import rules as contract_rules
from analysis.contract.banding import BandingRule, CriticalQuestions, PaperBand
from analysis.contract.package import DataPackage
from analysis.engine.parameters import check_values
from analysis.stats import quality
from tests.chapters.test_quality import _glued


@pytest.fixture(scope="module")
def tool():
    return quality.load_tool()


def _with(package: DataPackage, descriptor: dict | None = None, **tables) -> DataPackage:
    """The package with tables (or its descriptor) replaced, unvalidated: edge cases."""
    return DataPackage(package.data_dir, descriptor or package.descriptor,
                       {**package.tables, **tables})


def _answers(**by_item: str) -> dict[int, str]:
    """Ten answers, Yes unless given (q8="no" answers question 8 No)."""
    answers = {i: "yes" for i in range(1, 11)}
    answers.update({int(k[1:]): v for k, v in by_item.items()})
    return answers


COUNTS = {"high": {"max_cant_tell": 0, "max_no": 0},
          "moderate": {"max_cant_tell": 2, "max_no": 0}}


# ----------------------------------------------------------------- count limits


def test_count_limits_read_as_before_and_band_alike():
    rule = BandingRule.from_parameter({"name": "default", **COUNTS})
    assert rule == quality.BANDING_RULES["default"] and rule_kind(rule) == "count limits"
    assert rule.limits() == (0, 0, 2, 0) and not rule.scored and not rule.critical
    # Missing limits are 0, as the parameter was always read.
    assert BandingRule.from_parameter({"high": {}, "moderate": {"max_cant_tell": 2}}).limits() \
        == (0, 0, 2, 0)
    for answers, band in [(_answers(), "high"), (_answers(q4="cant_tell"), "moderate"),
                          (_answers(q4="cant_tell", q6="cant_tell"), "moderate"),
                          (_answers(q4="cant_tell", q6="cant_tell", q7="cant_tell"), "low"),
                          (_answers(q10="no"), "low")]:
        judged = rule.judge(answers)
        assert judged.band == band and judged.score is None and judged.capped_by == ""


def test_the_bundled_bands_are_unchanged(package, tool):
    """The bands of the bundled papers under the declared rules, as the counts give them
    (the rule's meaning before rules had other kinds)."""
    consensus = quality.answers_wide(quality.ratings(package, tool))
    for rule in quality.BANDING_RULES.values():
        bands = quality.assign_bands(consensus, rule)
        expected = ["high" if c <= rule.high_max_cant_tell and n <= rule.high_max_no else
                    "moderate" if c <= rule.moderate_max_cant_tell and n <= rule.moderate_max_no
                    else "low" for c, n in zip(bands["n_cant_tell"], bands["n_no"])]
        assert bands["band"].tolist() == expected
        assert list(bands.columns) == ["cant_tell_items", "no_items", "n_cant_tell", "n_no",
                                       "band"]


# ------------------------------------------------------------- critical questions


CRITICAL = {"name": "rigour first", "high": {"max_cant_tell": 1, "max_no": 0},
            "moderate": {"max_cant_tell": 3, "max_no": 1},
            "critical": {"items": [8, 9], "caps": {"no": "moderate", "cant_tell": "moderate"}}}


def test_a_critical_no_caps_the_band_combined_with_the_counts():
    rule = BandingRule.from_parameter(CRITICAL)
    assert rule_kind(rule) == "count limits with critical questions"
    assert rule.critical == (CriticalQuestions((8, 9), (("no", "moderate"),
                                                        ("cant_tell", "moderate"))),)
    # One Can't tell elsewhere is still high; the same on question 8 caps at moderate.
    assert rule.judge(_answers(q6="cant_tell")).band == "high"
    capped = rule.judge(_answers(q8="cant_tell"))
    assert (capped.band, capped.capped_by) == ("moderate", "Can't tell on Q8")
    # A No on question 6 is allowed in moderate by the counts; on 9 it caps there too.
    assert rule.judge(_answers(q6="no")).band == "moderate"
    assert rule.judge(_answers(q9="no")).band == "moderate"
    # A cap never raises a band: two Nos are low by the counts, capped or not.
    low = rule.judge(_answers(q6="no", q8="no"))
    assert (low.band, low.capped_by) == ("low", "")


def test_groups_of_critical_questions_take_their_own_caps():
    rule = BandingRule.from_parameter({
        "name": "two groups", "high": {"max_cant_tell": 1, "max_no": 1},
        "moderate": {"max_cant_tell": 3, "max_no": 2},
        "critical": [{"items": [8, 9], "caps": {"no": "low", "cant_tell": "moderate"}},
                     {"items": ["5", 6], "caps": {"no": "moderate"}}]})
    assert [g.items for g in rule.critical] == [(8, 9), (5, 6)]
    assert [rule.judge(_answers(q4="no")).band, rule.judge(_answers(q6="cant_tell")).band] \
        == ["high", "high"]  # by the counts: not a capping answer
    assert rule.judge(_answers(q5="no")).band == "moderate"
    assert rule.judge(_answers(q9="cant_tell")).band == "moderate"
    judged = rule.judge(_answers(q8="no", q9="cant_tell"))
    assert (judged.band, judged.capped_by) == ("low", "No on Q8; Can't tell on Q9")
    # Two Nos are moderate by the counts; only the cap that lowers it is named.
    judged = rule.judge(_answers(q5="no", q8="no"))
    assert (judged.band, judged.capped_by) == ("low", "No on Q8")


def test_a_cap_can_depend_on_how_many_critical_questions_got_the_answer():
    rule = BandingRule.from_parameter({
        "name": "two Nos", "critical": {"items": [5, 8, 9],
                                        "caps": {"no": {1: "moderate", 2: "low"}}}})
    assert rule.critical == (CriticalQuestions((5, 8, 9), (("no", 1, "moderate"),
                                                           ("no", 2, "low"))),)
    # Without high and moderate no count lowers a paper: only the critical questions do.
    assert rule.limits() == (10, 10, 10, 10)
    assert rule.judge(_answers(q1="no", q2="no", q3="no", q6="cant_tell")).band == "high"
    one = rule.judge(_answers(q8="no", q6="no"))
    assert (one.band, one.capped_by) == ("moderate", "No on Q8")
    two = rule.judge(_answers(q5="no", q9="no"))
    assert (two.band, two.capped_by) == ("low", "No on Q5; No on Q9")
    assert rule.judge(_answers(q5="no", q8="no", q9="no")).band == "low"
    assert rule.judge(_answers(q5="cant_tell", q8="cant_tell")).band == "high"  # no such cap
    # Written as JSON writes keys, or with a band for one answer, it is the same rule.
    as_json = json.loads(json.dumps({"critical": {"items": [5, 8, 9], "caps": {
        "no": {"1": "moderate", "2": "low"}}}}))
    assert BandingRule.from_parameter(as_json).criteria() == rule.criteria()
    plain = BandingRule.from_parameter({"critical": {"items": [5, 8, 9], "caps": {
        "no": "moderate"}}})
    assert plain.critical[0].caps == (("no", 1, "moderate"),)
    assert plain.judge(_answers(q5="no", q9="no")).band == "moderate"


def test_a_counted_cap_with_count_limits_and_can_t_tell():
    rule = BandingRule.from_parameter({**COUNTS, "critical": {
        "items": [8, 9], "caps": {"no": {2: "low"}}}})
    # One No on 8 is low by the counts (max_no 0 in moderate), not by the cap.
    assert rule.judge(_answers(q8="no")) == PaperBand("low", None, "")
    lenient = BandingRule.from_parameter({"high": {"max_cant_tell": 1, "max_no": 1},
                                          "moderate": {"max_cant_tell": 3, "max_no": 3},
                                          "critical": {"items": [8, 9], "caps": {
                                              "no": {1: "moderate", 2: "low"},
                                              "cant_tell": "moderate"}}})
    assert lenient.judge(_answers(q9="cant_tell")).capped_by == "Can't tell on Q9"
    judged = lenient.judge(_answers(q8="no", q9="cant_tell"))
    assert (judged.band, judged.capped_by) == ("moderate", "No on Q8; Can't tell on Q9")
    judged = lenient.judge(_answers(q8="no", q9="no"))
    assert (judged.band, judged.capped_by) == ("low", "No on Q8; No on Q9")


def test_assign_bands_says_which_answer_capped_a_paper(tool):
    consensus = pd.DataFrame([_answers(), _answers(q8="cant_tell"), _answers(q8="no"),
                              _answers(q6="no")],
                             index=pd.Index(["P1", "P2", "P3", "P4"], name="study_id"))
    rule = BandingRule.from_parameter({"high": {"max_cant_tell": 0, "max_no": 0},
                                       "moderate": {"max_cant_tell": 2, "max_no": 1},
                                       "critical": {"items": [8], "caps": {"no": "low"}}})
    bands = quality.assign_bands(consensus, rule)
    assert bands["band"].tolist() == ["high", "moderate", "low", "moderate"]
    assert bands["capped_by"].tolist() == ["", "", "No on Q8", ""]
    shown = quality_page.bands_view(bands, DataPackage(
        None, {}, {"studies": pd.DataFrame({"study_id": consensus.index, "first_author": "A",
                                            "year": 2020})}))
    assert shown["Capped by"].tolist() == ["none", "none", "No on Q8", "none"]
    assert list(shown.columns) == ["Can't tell on", "No on", "Capped by", "Band"]


# ------------------------------------------------------------------------ scores


WEIGHTED = {"name": "weighted", "weights": {5: 2, 8: 2, 9: 2, 10: 0},
            "high": {"min_score": 11}, "moderate": {"min_score": 8}}


def test_question_numbers_may_be_written_as_json_writes_keys():
    as_json = json.loads(json.dumps(WEIGHTED))
    assert set(as_json["weights"]) == {"5", "8", "9", "10"}
    assert BandingRule.from_parameter(as_json) == BandingRule.from_parameter(WEIGHTED)


def test_weights_and_thresholds_band_by_score():
    rule = BandingRule.from_parameter(WEIGHTED)
    assert rule_kind(rule) == "score thresholds" and rule.scored
    assert rule.limits() == (None, None, None, None)
    assert rule.weight(8) == 2 and rule.weight(1) == 1 and rule.weight(10) == 0
    assert rule.most_points() == 12  # six questions at 1, three at 2, one at 0
    assert rule.judge(_answers()).score == 12
    for answers, score, band in [(_answers(q10="no"), 12, "high"),
                                 (_answers(q8="no"), 10, "moderate"),
                                 (_answers(q1="no", q8="no"), 9, "moderate"),
                                 (_answers(q5="no", q8="cant_tell"), 8, "moderate"),
                                 (_answers(q5="no", q8="no", q9="no"), 6, "low")]:
        judged = rule.judge(answers)
        assert (judged.score, judged.band) == (score, band)


def test_answer_scores_give_part_of_a_weight_and_critical_caps_apply():
    rule = BandingRule.from_parameter({
        **WEIGHTED, "answer_scores": {"cant_tell": 0.5},
        "critical": {"items": [8], "caps": {"no": "low", "cant_tell": "moderate"}}})
    assert rule_kind(rule) == "score thresholds with critical questions"
    assert dict(rule.answer_scores) == {"yes": 1, "cant_tell": 0.5, "no": 0}
    judged = rule.judge(_answers(q8="cant_tell"))
    assert (judged.score, judged.band, judged.capped_by) == (11, "moderate", "Can't tell on Q8")
    assert rule.judge(_answers(q3="cant_tell", q4="cant_tell")).band == "high"  # 11 points
    assert rule.judge(_answers(q8="no")).band == "low"


def test_assign_bands_adds_the_score_only_under_a_score_rule():
    consensus = pd.DataFrame([_answers(), _answers(q8="no")],
                             index=pd.Index(["P1", "P2"], name="study_id"))
    bands = quality.assign_bands(consensus, BandingRule.from_parameter(WEIGHTED))
    assert bands["score"].tolist() == [12, 10] and "capped_by" not in bands
    assert "score" not in quality.assign_bands(consensus, quality.BANDING_RULES["default"])


# ------------------------------------------------------------------- identity


def test_rules_that_band_alike_are_the_same_rule_whatever_their_name():
    a = BandingRule.from_parameter({**CRITICAL, "name": "a"})
    b = BandingRule.from_parameter({**CRITICAL, "name": "b", "critical": {
        "items": [8, 9], "caps": {"cant_tell": "moderate", "no": "moderate"}}})
    assert a != b and a.criteria() == b.criteria()
    assert hash(a) != hash(b) or a.name == b.name  # hashable, usable as a key
    assert BandingRule.from_parameter(CRITICAL).criteria() != \
        quality.BANDING_RULES["default"].criteria()


def test_compare_rules_adds_a_page_rule_of_another_kind(package, tool):
    consensus = quality.answers_wide(quality.ratings(package, tool))
    rule = BandingRule.from_parameter({**WEIGHTED, "name": "default"}, tool.question_labels())
    table = quality_page.compare_rules_view(consensus, rule)
    assert list(table.index) == ["default", "strict", "lenient", "default (this page)"]
    assert table.loc["default (this page)", "This page"] == "yes"
    assert table.loc["default (this page)", "In words"] == rule_in_words(rule)
    judged = quality.review_judgement(quality.assign_bands(consensus, rule), rule)
    said = quality_page.judgement_words(judged, rule)
    assert said.rule_status.startswith("The book's default rule is different")
    assert "adds up points" in said.rule_scoring


# ----------------------------------------------------------------------- words


def test_each_kind_in_words():
    assert rule_in_words(BandingRule.from_parameter(CRITICAL)) == (
        "High: no item answered No and at most one answered Can't tell. Moderate: at most "
        "one answered No and at most three answered Can't tell. Low: any other paper. "
        "A No or a Can't tell on either of questions 8 (rigour of analysis) and 9 "
        "(statement of findings) caps a paper at moderate.")
    one = BandingRule.from_parameter({**COUNTS, "critical": {"items": [8],
                                                             "caps": {"no": "moderate"}}})
    assert rule_in_words(one).endswith(
        " A No on question 8 (rigour of analysis) caps a paper at moderate.")
    three = BandingRule.from_parameter({**COUNTS, "critical": {
        "items": [5, 8, 9], "caps": {"no": "low", "cant_tell": "moderate"}}})
    assert rule_in_words(three).endswith(
        " A No on any of questions 5 (data collection), 8 (rigour of analysis) and 9 "
        "(statement of findings) caps a paper at low, a Can't tell at moderate.")
    counted = BandingRule.from_parameter({"critical": {"items": [5, 8, 9], "caps": {
        "no": {1: "moderate", 2: "low"}}}})
    assert rule_in_words(counted) == (
        "No count of answers lowers a paper: it is high unless a critical question caps it. "
        "A No on any of questions 5 (data collection), 8 (rigour of analysis) and 9 "
        "(statement of findings) caps a paper at moderate, Nos on two or more of them at low.")
    both = BandingRule.from_parameter({**COUNTS, "critical": {"items": [8, 9], "caps": {
        "no": {2: "low"}, "cant_tell": {2: "moderate"}}}})
    assert rule_in_words(both).endswith(
        " Nos on both questions 8 (rigour of analysis) and 9 (statement of findings) cap a "
        "paper at low, Can't tells on both of them at moderate.")
    mixed = BandingRule.from_parameter({**COUNTS, "critical": {"items": [5, 8, 9], "caps": {
        "no": {1: "moderate", 3: "low"}, "cant_tell": "moderate"}}})
    assert rule_in_words(mixed).endswith(
        " A No on any of questions 5 (data collection), 8 (rigour of analysis) and 9 "
        "(statement of findings) caps a paper at moderate, Nos on all of them at low, a "
        "Can't tell at moderate.")
    assert rule_in_words(BandingRule("open", 10, 10, 10, 10)) == (
        "Every paper is high, whatever its answers.")
    assert rule_in_words(BandingRule.from_parameter(WEIGHTED)) == (
        "A Yes scores 1 point on each question but 2 points on questions 5 (data "
        "collection), 8 (rigour of analysis) and 9 (statement of findings); question 10 "
        "(value of the research) does not count. Can't tell and No score nothing. A "
        "paper's score is the sum, out of 12. High: a score of at least 11. Moderate: a "
        "score of at least 8. Low: any other paper.")
    halves = BandingRule.from_parameter({"weights": {8: 3, 9: 3, 6: 0, 10: 0},
                                         "answer_scores": {"yes": 2, "cant_tell": 1},
                                         "high": {"min_score": 20}, "moderate": {"min_score": 14}})
    assert rule_in_words(halves).startswith(
        "A Yes scores 2 points on each question but 6 points on questions 8 (rigour of "
        "analysis) and 9 (statement of findings); questions 6 (researcher-participant "
        "relationship) and 10 (value of the research) do not count. A Can't tell scores half "
        "as much as a Yes, a No nothing. A paper's score is the sum, out of 24.")
    only = BandingRule.from_parameter({"weights": {i: 0 for i in (1, 2, 6, 7, 9, 10)},
                                       "high": {"min_score": 4}, "moderate": {"min_score": 2}})
    assert rule_in_words(only).startswith(
        "A Yes scores 1 point on questions 3 (research design), 4 (recruitment), 5 (data "
        "collection) and 8 (rigour of analysis); no other question counts.")


def test_rule_words_read_every_kind(tool):
    for spec in (CRITICAL, WEIGHTED, "strict"):
        described = quality_page.rule_words(spec, tool)
        rule = BandingRule.from_parameter(spec)
        assert (described.name, described.description) == (rule.name, rule_in_words(rule))


def test_words_name_the_tools_own_questions():
    rule = BandingRule.from_parameter({**COUNTS, "critical": {"items": [2],
                                                              "caps": {"no": "low"}}},
                                      {1: "Focus", 2: "Method", 3: "Setting"})
    assert rule_in_words(rule).endswith("A No on question 2 (method) caps a paper at low.")
    with pytest.raises(ValueError, match="its questions are numbered 1 to 3"):
        BandingRule.from_parameter({**COUNTS, "critical": {"items": [8], "caps": {"no": "low"}}},
                                   {1: "Focus", 2: "Method", 3: "Setting"})


# ------------------------------------------------------------------ messages


def _counts(**extra):
    return {"name": "x", **COUNTS, **extra}


def _scores(**extra):
    return {"name": "x", "high": {"min_score": 8}, "moderate": {"min_score": 6}, **extra}


def _critical(group):
    return _counts(critical=group)


BAD_RULES = [
    # what the value is
    ("harsh", "unknown banding rule 'harsh'; write one of default, strict, lenient, or the "
              "rule itself as a mapping"),
    ("strikt", "(did you mean 'strict'?)"),
    (3, "banding_rule must be the name of a declared rule (default, strict, lenient) or a "
        "mapping, not 3"),
    ({"name": 3, **COUNTS}, "banding rule: name must be text, e.g. name: rigour first"),
    (_counts(critcal={}), "banding rule 'x': unknown key 'critcal' (did you mean 'critical'?); "
                          "a rule takes name, high, moderate, critical, weights and "
                          "answer_scores"),
    ({"name": "x", "high": COUNTS["high"]}, "banding rule 'x': 'moderate' is missing; give both "
                                            "bands, as count limits, e.g. high:"),
    ({"name": "x", "high": 3, "moderate": {}}, "banding rule 'x': high must be a mapping such "
                                               "as {max_cant_tell: 0, max_no: 0} or "
                                               "{min_score: 8}, not 3"),
    ({"name": "x", "high": {"max_unclear": 0}, "moderate": {}},
     "banding rule 'x': high: unknown key 'max_unclear'; a band takes max_cant_tell and max_no "
     "(count limits) or min_score (a score threshold)"),
    ({"name": "x", "high": {"min_score": 8}, "moderate": COUNTS["moderate"]},
     "banding rule 'x': high gives min_score but moderate gives count limits; give both bands "
     "the same kind"),
    (_scores(high={"min_score": 8, "max_no": 0}),
     "banding rule 'x': high gives both min_score and max_no; a band takes count limits or a "
     "score threshold, not both (to let one answer lower a band, add critical questions)"),
    # count limits
    ({"name": "x", "high": {"max_cant_tell": -1}, "moderate": {}},
     "banding rule 'x': high: max_cant_tell must be a whole number of at least 0 (0, 1, 2, "
     "...), not -1"),
    ({"name": "x", "high": {"max_no": 1.5}, "moderate": {"max_no": 2}},
     "high: max_no must be a whole number of at least 0 (0, 1, 2, ...), not 1.5"),
    ({"name": "x", "high": {"max_no": True}, "moderate": {"max_no": 2}},
     "high: max_no must be a whole number of at least 0 (0, 1, 2, ...), not True"),
    ({"name": "x", "high": {"max_cant_tell": 3}, "moderate": {"max_cant_tell": 1}},
     "banding rule 'x': moderate: max_cant_tell (1) is below high: max_cant_tell (3); the "
     "limits for moderate must be at least those for high"),
    (_counts(weights={8: 2}), "banding rule 'x': weights only count in a rule with score "
                              "thresholds; give high: {min_score: N} and moderate: "
                              "{min_score: N}, or leave weights out"),
    (_counts(answer_scores={"cant_tell": 0.5}), "answer_scores only count in a rule with score "
                                                "thresholds"),
    # scores
    (_scores(high={"min_score": "eight"}), "banding rule 'x': high: min_score must be a number "
                                           "of at least 0, not 'eight'"),
    (_scores(moderate={"min_score": -1}), "moderate: min_score must be a number of at least 0"),
    (_scores(moderate={"min_score": 9}), "banding rule 'x': moderate: min_score (9) is above "
                                         "high: min_score (8); the threshold for moderate must "
                                         "be at most the one for high"),
    (_scores(high={"min_score": 12}), "banding rule 'x': high: min_score is 12, but the most a "
                                      "paper can score is 10, so no paper could be high; write "
                                      "a min_score of at most 10"),
    (_scores(weights=[8, 9]), "banding rule 'x': weights must map question numbers to points, "
                              "e.g. {8: 2, 9: 2} (a question not listed weighs 1), not [8, 9]"),
    (_scores(weights={11: 2}), "banding rule 'x': weights: 11 is not a question of the "
                               "appraisal tool; its questions are numbered 1 to 10"),
    (_scores(weights={"Q8": 2}), "banding rule 'x': weights: write the question's number, 8, "
                                 "not 'Q8'"),
    (_scores(weights={"eight": 2}), "weights: 'eight' is not a question of the appraisal tool"),
    (_scores(weights={"8": 2, 8: 3}), "banding rule 'x': weights: question 8 is given twice; "
                                      "give each question one weight"),
    (_scores(weights={8: -1}), "banding rule 'x': weights: question 8 must weigh a number of "
                               "at least 0 (0 leaves it out), not -1"),
    (_scores(weights={i: 0 for i in range(1, 11)}, high={"min_score": 0},
             moderate={"min_score": 0}),
     "banding rule 'x': weights: every question weighs 0, so every paper scores 0"),
    (_scores(answer_scores=[1, 0.5]), "banding rule 'x': answer_scores must map answers to "
                                      "points, e.g. {yes: 1, cant_tell: 0.5, no: 0}"),
    (_scores(answer_scores={"partly": 0.5}), "banding rule 'x': answer_scores: 'partly' is not "
                                             "an answer; write yes, cant_tell or no"),
    (_scores(answer_scores={"cant_tel": 0.5}), "(did you mean 'cant_tell'?)"),
    (_scores(answer_scores={"cant_tell": -1}), "banding rule 'x': answer_scores: cant_tell must "
                                               "be a number of at least 0, not -1"),
    (_scores(answer_scores={"yes": 0}), "banding rule 'x': answer_scores: yes must score more "
                                        "than 0"),
    (_scores(answer_scores={"cant_tell": 2}), "banding rule 'x': answer_scores: a Yes must score "
                                              "at least as much as a Can't tell"),
    # critical questions
    (_critical(8), "banding rule 'x': critical must be a mapping such as {items: [8, 9], caps: "
                   "{no: moderate, cant_tell: moderate}}, or a list of them, not 8"),
    (_critical([]), "critical must be a mapping such as"),
    (_critical([8]), "banding rule 'x': critical must be a mapping such as {items: [8, 9], "
                     "caps: {no: moderate, cant_tell: moderate}}, or a list of them; 8 is "
                     "neither"),
    (_critical({"items": [8], "cap": {"no": "low"}}),
     "banding rule 'x': critical: unknown key 'cap' (did you mean 'caps'?); critical questions "
     "take items and caps"),
    (_critical({"items": [8]}), "banding rule 'x': critical: 'caps' is missing; write e.g. "
                                "{items: [8, 9], caps: {no: moderate, cant_tell: moderate}}"),
    (_critical({"items": {"8": 1}, "caps": {"no": "low"}}),
     "banding rule 'x': critical: items must be a list of question numbers, e.g. [8, 9]"),
    (_critical({"items": [], "caps": {"no": "low"}}), "banding rule 'x': critical: items is "
                                                      "empty; list the critical questions' "
                                                      "numbers"),
    (_critical({"items": [11], "caps": {"no": "low"}}),
     "banding rule 'x': critical: items: 11 is not a question of the appraisal tool; its "
     "questions are numbered 1 to 10"),
    (_critical({"items": ["Q8"], "caps": {"no": "low"}}),
     "banding rule 'x': critical: items: write the question's number, 8, not 'Q8'"),
    (_critical([{"items": [8], "caps": {"no": "low"}}, {"items": [9, 8], "caps": {"no": "low"}}]),
     "banding rule 'x': critical: question 8 is listed twice; list each question once"),
    (_critical({"items": [8], "caps": "moderate"}),
     "banding rule 'x': critical: caps must say which answer caps a paper at which band, e.g. "
     "{no: moderate, cant_tell: moderate}, not 'moderate'"),
    (_critical({"items": [8], "caps": {}}), "banding rule 'x': critical: caps is empty"),
    (_critical({"items": [8], "caps": {"yes": "low"}}),
     "banding rule 'x': critical: caps: a Yes cannot cap a paper; write no or cant_tell"),
    (_critical({"items": [8], "caps": {"Can't tell": "moderate"}}),
     "banding rule 'x': critical: caps: \"Can't tell\" is not an answer a cap takes; write no "
     "or cant_tell"),
    (_critical({"items": [8], "caps": {"no": "high"}}),
     "banding rule 'x': critical: caps: no: a cap at high changes nothing; write moderate or "
     "low"),
    (_critical({"items": [8], "caps": {"no": "poor"}}),
     "banding rule 'x': critical: caps: no: 'poor' is not a band a paper can be capped at; "
     "write moderate or low"),
    (_critical({"items": [8], "caps": {"no": "moderate", "cant_tell": "low"}}),
     "banding rule 'x': critical: caps: a Can't tell caps a paper at low but a No only at "
     "moderate; a No must cap at least as low, e.g. no: low"),
    (_critical({"items": [8], "caps": {"cant_tell": "moderate"}}),
     "caps: a Can't tell caps a paper at moderate but a No not at all"),
    # caps by how many of the questions got the answer
    (_critical({"items": [8, 9], "caps": {"no": {}}}),
     "banding rule 'x': critical: caps: no: give how many of the questions cap a paper at "
     "which band, e.g. {1: moderate, 2: low}"),
    (_critical({"items": [8, 9], "caps": {"no": {3: "low"}}}),
     "banding rule 'x': critical: caps: no: 3 of the group's questions cannot be answered No, "
     "it has two; write how many of its questions must be answered No, a whole number from 1 "
     "to 2, e.g. {1: moderate, 2: low}"),
    (_critical({"items": [8, 9], "caps": {"no": {0: "low"}}}),
     "banding rule 'x': critical: caps: no: 0 questions answered No cap nothing; write how "
     "many"),
    (_critical({"items": [8, 9], "caps": {"no": {"two": "low"}}}),
     "banding rule 'x': critical: caps: no: 'two' is not a number; write how many of its "
     "questions must be answered No, a whole number from 1 to 2"),
    (_critical({"items": [8, 9], "caps": {"no": {2: "high"}}}),
     "banding rule 'x': critical: caps: no: 2: a cap at high changes nothing; write moderate "
     "or low"),
    (_critical({"items": [8, 9], "caps": {"no": {2: "poor"}}}),
     "banding rule 'x': critical: caps: no: 2: 'poor' is not a band a paper can be capped at"),
    (_critical({"items": [5, 8, 9], "caps": {"no": {1: "low", 2: "moderate"}}}),
     "banding rule 'x': critical: caps: no: 2: moderate adds nothing, since a No on one of "
     "the questions already caps a paper at low; a cap that needs more of them must be "
     "lower, e.g. {1: moderate, 2: low}"),
    (_critical({"items": [5, 8, 9], "caps": {"no": {3: "low"}, "cant_tell": {2: "low"}}}),
     "banding rule 'x': critical: caps: Can't tells on two of the questions cap a paper at "
     "low but Nos on two not at all; a No must cap at least as low as a Can't tell"),
]


@pytest.mark.parametrize("bad, message", BAD_RULES, ids=[m[:40] for _, m in BAD_RULES])
def test_every_bad_rule_gets_a_message_that_says_what_to_write(bad, message):
    with pytest.raises(ValueError) as refused:
        BandingRule.from_parameter(bad)
    assert message in str(refused.value)


def test_rules_built_in_code_are_checked_as_well():
    with pytest.raises(ValueError, match="weights only count in a rule with score thresholds"):
        BandingRule("x", weights=((8, 2),))
    with pytest.raises(ValueError, match="critical: items: 11 is not a question"):
        BandingRule("x", critical=(CriticalQuestions((11,), (("no", "low"),)),))
    with pytest.raises(ValueError, match="bands papers by score; use judge"):
        BandingRule.from_parameter(WEIGHTED).band(0, 0)


def test_pages_yml_rules_are_checked_before_anything_runs():
    defaults = {"banding_rule": {"name": "default", **COUNTS}}
    assert check_values("quality", "quality", {"banding_rule": CRITICAL}, defaults) == []
    assert check_values("quality", "quality", {"banding_rule": WEIGHTED}, defaults) == []
    bad = {**CRITICAL, "critical": {"items": [11], "caps": {"no": "moderate"}}}
    [problem] = check_values("quality", "quality", {"banding_rule": bad}, defaults)
    assert problem.startswith("pages.yml: page 'quality': parameter 'banding_rule' = {")
    assert ("is not a usable banding rule: banding rule 'rigour first': critical: items: 11 is "
            "not a question of the appraisal tool") in problem
    [problem] = check_values("quality", "quality", {"banding_rule": "harsh"}, defaults)
    assert "must be the name of a declared rule (default, strict, lenient) or the rule" in problem


YAML_RULES = """
- {name: rigour first, high: {max_cant_tell: 0, max_no: 0},
   moderate: {max_cant_tell: 2, max_no: 1},
   critical: {items: [8], caps: {no: low, cant_tell: moderate}}}
- {name: halves, weights: {10: 0}, answer_scores: {yes: 1, cant_tell: 0.5, no: 0},
   high: {min_score: 6}, moderate: {min_score: 4}}
"""


def test_a_rule_written_in_yaml_means_what_it_says(tmp_path):
    """In YAML 1.1 a bare ``no`` is false and ``10`` a number: the rule reads them as the
    answer and the question, and the engine passes the rule on in a form JSON can hold."""
    import yaml

    from analysis.contract.banding import plain_rule
    from analysis.engine.pages import check_parameters, load_pages

    critical, halves = yaml.safe_load(YAML_RULES)
    assert False in critical["critical"]["caps"] and 10 in halves["weights"]
    rule = BandingRule.from_parameter(critical)
    assert rule.critical[0].caps == (("no", 1, "low"), ("cant_tell", 1, "moderate"))
    assert dict(BandingRule.from_parameter(halves).answer_scores)["no"] == 0
    for spec in (critical, halves):
        plain = plain_rule(spec)
        json.dumps(plain, sort_keys=True)  # mixed bool and text keys would not sort
        assert BandingRule.from_parameter(plain) == BandingRule.from_parameter(spec)
    assert plain_rule(critical)["critical"]["caps"] == {"no": "low", "cant_tell": "moderate"}
    pages = yaml.safe_load(paths.PAGES.read_text())
    entry = next(p for part in pages["parts"] for p in part["pages"] if p["page"] == "quality")
    entry["parameters"]["banding_rule"] = critical
    path = tmp_path / "pages.yml"
    path.write_text(yaml.safe_dump(pages))
    loaded = {p.name: p for p in load_pages(path)}
    assert loaded["quality"].parameters["banding_rule"] == plain_rule(critical)
    assert check_parameters(list(loaded.values())) == []


# ----------------------------------------------------------- a published table


# Geere J-AL, Cortobius M, Geere JH, Hammer CC, Hunter PR (2018). Is water carriage
# associated with the water carrier's health? A systematic review of quantitative and
# qualitative evidence. BMJ Global Health 3(3):e000764. doi:10.1136/bmjgh-2018-000764.
# Table 2, "Quality appraisal studies reporting qualitative data (CASP tool)": nine CASP
# questions (the tenth, the value of the research, is not appraised) answered Yes,
# Cannot tell or No, and a quality rating whose rule the table's header gives:
# "Poor≤3 Fair=4–5 Good≥6", a count of Yes answers. Typed from the table as published
# (PMC6035504), first author and year, in the table's order; the table continues after
# Zolnikov 2016, and those rows are not typed here because the copy read for this test
# ended there. Y, C, N: Yes, Cannot tell, No.
GEERE_2018_TABLE_2 = """
Foggin 2006      Y Y Y C Y C C C N  Fair
Hemson 2007      Y Y Y C C C C C Y  Fair
Geere 2010       Y Y Y Y Y C Y C Y  Good
Domènech 2012    Y Y Y C Y C C C Y  Fair
Stevenson 2012   Y Y Y Y Y Y Y Y Y  Good
Yallew 2012      Y Y Y C Y C Y C Y  Good
Asaba 2013       Y Y Y Y C C N C N  Fair
Robson 2013      Y Y C C C C N C Y  Poor
House 2014       Y Y C C C C C C Y  Poor
Isoke 2014       Y Y Y Y Y C C C Y  Good
Mukhulani 2014   Y Y Y C C C C C Y  Fair
Schatz 2014      Y Y Y Y Y C C Y Y  Good
Bisung 2015      Y Y Y Y Y Y Y Y Y  Good
Sarkar 2015      Y Y Y Y Y Y Y C Y  Good
Subbaraman 2015  Y Y Y Y Y Y Y Y Y  Good
Ghosh 2016       Y Y Y Y Y C Y Y Y  Good
Mbereko 2016     N Y C Y Y Y C Y Y  Good
Zolnikov 2016    Y Y Y Y Y C C Y Y  Good
"""
GEERE_RULE = {"name": "Geere et al. 2018, Table 2", "weights": {10: 0},
              "high": {"min_score": 6}, "moderate": {"min_score": 4}}


def _geere_table() -> tuple[pd.DataFrame, pd.Series]:
    codes = {"Y": "yes", "C": "cant_tell", "N": "no"}
    rows, ratings = {}, {}
    for line in GEERE_2018_TABLE_2.strip().splitlines():
        *name, year, q1, q2, q3, q4, q5, q6, q7, q8, q9, rating = line.split()
        paper = f"{' '.join(name)} {year}"
        rows[paper] = [codes[a] for a in (q1, q2, q3, q4, q5, q6, q7, q8, q9)]
        ratings[paper] = rating
    answers = pd.DataFrame.from_dict(rows, orient="index", columns=range(1, 10))
    answers.index.name = "study_id"
    return answers, pd.Series(ratings)


def test_geere_2018_table_2_is_reproduced_by_its_score_rule(tool):
    answers, published_rating = _geere_table()
    assert len(answers) == 18 and answers.columns.tolist() == list(range(1, 10))
    rule = BandingRule.from_parameter(GEERE_RULE, tool.question_labels())
    bands = quality.assign_bands(answers, rule)
    as_published = published_rating.map({"Good": "high", "Fair": "moderate", "Poor": "low"})
    assert bands["band"].to_dict() == as_published.to_dict()
    # The score is the number of Yes answers, as the header's thresholds count them.
    assert bands["score"].tolist() == answers.eq("yes").sum(axis=1).tolist()
    assert sorted(set(bands["score"])) == [3, 4, 5, 6, 7, 8, 9]  # each side of each cut
    assert rule_in_words(rule) == (
        "A Yes scores 1 point on each question; question 10 (value of the research) does not "
        "count. Can't tell and No score nothing. A paper's score is the sum, out of 9. High: a "
        "score of at least 6. Moderate: a score of at least 4. Low: any other paper.")
    # The same table as a package would hold it, agreed answers only, under its own label.
    long = answers.rename_axis(columns="item").stack().rename("rating").reset_index()
    long["reviewer"] = "agreed"
    banded = quality.paper_bands(long, GEERE_RULE, agreed_label="agreed")
    assert banded.set_index("study_id")["band"].to_dict() == as_published.to_dict()


def test_geere_2018_ratings_are_not_the_books_count_limits(tool):
    """The review's rule matters: the book's default count limits band the same papers
    otherwise (which is why a rule must be stated with the bands it gives)."""
    answers, published_rating = _geere_table()
    default = quality.assign_bands(answers, quality.BANDING_RULES["default"])["band"]
    as_published = published_rating.map({"Good": "high", "Fair": "moderate", "Poor": "low"})
    assert (default != as_published).sum() == 13


# Smeets M, Van Roy S, Aertgeerts B, Vermandere M, Vaes B (2016). Improving care for
# heart failure patients in primary care, GPs' perceptions: a qualitative evidence
# synthesis. BMJ Open 6:e013459. doi:10.1136/bmjopen-2016-013459 (PMC5168518).
# Table 1, "Critical appraisal using the CASP checklist for qualitative research": the ten
# CASP questions of 23 papers, typed from the table as published, first author, in the
# table's order. The table's symbols: x Yes, / No, ? Can't tell; the rating H, M or L
# (high, moderate, low; the papers rated L were excluded). Questions 5, 8 and 9 are
# starred, "Questions that were given more weight by the reviewers".
#
# The paper names the weighted questions but, in what we could read, no rule that turns
# the answers into H, M and L. The rule below is therefore ours, not the authors': the
# simplest rule our banding rules can express, with questions 5, 8 and 9 critical, that
# gives every one of the 23 papers its published rating. A No on one of the three caps a
# paper at moderate, Nos on two or more at low; other Nos and Can't tells alone leave a
# paper high (no starred question was answered Can't tell, so the rule says nothing of
# one). The table fits other rules too (see the test after the next).
SMEETS_2016_TABLE_1 = """
De Vleminck   x x x x x ? x x x x H
Fuat          x x x x x x / x x x H
Kasje         x x / / / / / x / x L
Khunti        x x x x x x x x x x H
Peters-Klimm  x x x x / / / x / / L
Phillips      x x x x x / x / x x M
Waterworth    x x x x x / x x / x M
Ahmedov       x x x x x x x x x x H
Barnes        x x x x x / x x x x H
Boyd          x x x x / / x / / / L
Browne        x x x x x ? x x x x H
Close         x x x x x / x x x x H
Glogowska     x x x x x x x x x x H
Hancock       x x x x x x x x x x H
Hanratty      x x x x x x / x x x H
Hayes         x x x x x x x x x x H
Heckman       x x x x x x x x x x H
Kavalieratos  x x x x x / x x x x H
MacKenzie     x x / / / / / / / x L
Newhouse      x x x x / ? x x x x M
Simmonds      x x x x x x x x x x H
Tait          x x x x x x x x x x H
Toal          x x x x / / / / / x L
"""
SMEETS_RULE = {"name": "Smeets et al. 2016, Table 1 (our reading)",
               "critical": {"items": [5, 8, 9], "caps": {"no": {1: "moderate", 2: "low"}}}}


def _smeets_table() -> tuple[pd.DataFrame, pd.Series]:
    codes = {"x": "yes", "/": "no", "?": "cant_tell"}
    rows, ratings = {}, {}
    for line in SMEETS_2016_TABLE_1.strip().splitlines():
        words = line.split()  # "De Vleminck": the author may take two words
        author, answers, rating = " ".join(words[:-11]), words[-11:-1], words[-1]
        rows[author] = [codes[a] for a in answers]
        ratings[author] = {"H": "high", "M": "moderate", "L": "low"}[rating]
    answers = pd.DataFrame.from_dict(rows, orient="index", columns=range(1, 11))
    answers.index.name = "study_id"
    return answers, pd.Series(ratings)


def test_smeets_2016_table_1_is_reproduced_by_its_critical_questions(tool):
    answers, published = _smeets_table()
    assert answers.shape == (23, 10)
    assert published.value_counts().to_dict() == {"high": 15, "low": 5, "moderate": 3}
    rule = BandingRule.from_parameter(SMEETS_RULE, tool.question_labels())
    bands = quality.assign_bands(answers, rule)
    assert bands["band"].to_dict() == published.to_dict()  # all 23 papers
    # What the table shows of the rule: the starred questions decide.
    critical_no = answers[[5, 8, 9]].eq("no").sum(axis=1)
    other_no = answers.drop(columns=[5, 8, 9]).eq("no").sum(axis=1)
    assert set(published[critical_no == 0]) == {"high"}  # however many other Nos
    assert set(published[critical_no == 1]) == {"moderate"}
    assert set(published[critical_no >= 2]) == {"low"}
    assert other_no[critical_no == 0].max() == 1 and answers.eq("cant_tell").any(axis=1).sum() == 3
    assert bands.loc["Kasje", "capped_by"] == "No on Q5; No on Q9"
    assert bands.loc["Newhouse", "capped_by"] == "No on Q5"
    assert rule_in_words(rule) == (
        "No count of answers lowers a paper: it is high unless a critical question caps it. "
        "A No on any of questions 5 (data collection), 8 (rigour of analysis) and 9 "
        "(statement of findings) caps a paper at moderate, Nos on two or more of them at low.")
    # The same table as a package holds it, agreed answers only.
    long = answers.rename_axis(columns="item").stack().rename("rating").reset_index()
    long["reviewer"] = "consensus"
    banded = quality.paper_bands(long, SMEETS_RULE)
    assert banded.set_index("study_id")["band"].to_dict() == published.to_dict()


def test_smeets_2016_table_1_fits_more_than_one_rule(tool):
    """Honest about the reading: 23 papers do not pin the rule down. Count limits with a
    plain cap at moderate give the same ratings (the low papers all have five Nos or
    more), while the book's default count limits do not."""
    answers, published = _smeets_table()
    counts = BandingRule.from_parameter({
        "name": "counts", "high": {"max_cant_tell": 1, "max_no": 1},
        "moderate": {"max_cant_tell": 1, "max_no": 2},
        "critical": {"items": [5, 8, 9], "caps": {"no": "moderate"}}})
    assert quality.assign_bands(answers, counts)["band"].to_dict() == published.to_dict()
    ours = BandingRule.from_parameter(SMEETS_RULE)
    # Where the two part: two starred Nos and nothing else wrong.
    two = _answers(q5="no", q9="no")
    assert (ours.judge(two).band, counts.judge(two).band) == ("low", "moderate")
    default = quality.assign_bands(answers, quality.BANDING_RULES["default"])["band"]
    assert (default != published).sum() == 10


# ------------------------------------------------------------- the agreed label


def _relabelled(package: DataPackage, names: dict[str, str], third: bool = False):
    """casp_ratings with reviewers renamed (and a third who copies the first but differs
    on every seventh rating)."""
    t = package["casp_ratings"].copy()
    if third:
        r3 = t[t["reviewer"] == "R1"].copy().reset_index(drop=True)
        r3["reviewer"] = "R3"
        flip = r3.index % 7 == 0
        r3.loc[flip, "rating"] = r3.loc[flip, "rating"].map(
            {"yes": "cant_tell", "cant_tell": "yes", "no": "cant_tell"})
        t = pd.concat([t, r3], ignore_index=True)
    t["reviewer"] = t["reviewer"].replace(names)
    return t


def test_the_agreed_label_is_read_from_the_package(package):
    assert quality.agreed_label(package) == "consensus"
    declared = {**package.descriptor, "study": {"appraisal": {"agreed_label": "agreed"}}}
    assert quality.agreed_label(_with(package, declared)) == "agreed"


def test_any_label_for_the_agreed_answers_gives_the_same_analysis(package, tool):
    names = {"R1": "AB", "R2": "CD", "consensus": "agreed"}
    other = _with(package, casp_ratings=_relabelled(package, names))
    before, after = quality.agreement(package, tool), quality.agreement(other, tool,
                                                                         agreed_label="agreed")
    assert after.reviewer_labels == ("AB", "CD") and after.kappa == before.kappa
    assert quality_page.agreement_words(after, "agreed").reviewers == "AB and CD"
    assert "agreed" not in quality.independent_reviewers(other["casp_ratings"], "agreed")
    rows = quality.disagreements(other, tool, agreed_label="agreed")
    assert len(rows) == len(quality.disagreements(package, tool))
    assert list(rows.columns[4:7]) == ["AB", "CD", "agreed"]
    view = quality_page.disagreements_view(rows, other, tool, agreed_label="agreed")
    assert list(view.columns[:3]) == ["AB", "CD", "Consensus"]
    audit = quality_page.ratings_view(other, tool, agreed_label="agreed")
    assert audit.index.get_level_values("Reviewer")[:3].tolist() == ["AB", "CD", "Consensus"]
    assert quality.paper_bands(other["casp_ratings"], "default", "agreed").equals(
        quality.paper_bands(package["casp_ratings"]))


def test_the_contract_checks_the_agreed_answers_under_their_label(package):
    other = _with(package, casp_ratings=_relabelled(package, {"consensus": "agreed"}))
    assert list(contract_rules._casp_complete(other, agreed_label="agreed")) == []
    missing = list(contract_rules._casp_complete(other))
    assert len(missing) == len(package["studies"])
    assert "has no 'consensus' rows in casp_ratings.csv" in missing[0].message


# --------------------------------------------- single rater, three reviewers


def test_a_single_rater_appraisal_has_no_agreement_and_does_not_fail(package, tool):
    t = package["casp_ratings"]
    only = _with(package, casp_ratings=t[t["reviewer"] == "consensus"])
    assert not quality.has_independent_reviewers(only)
    result = quality.agreement(only, tool)
    assert not result.applicable and result.n_reviewers == 0 and result.table.empty
    assert quality_page.agreement_words(result).summary == (
        "Agreement cannot be computed: the data record no independent reviewer besides the "
        "agreed answers ('consensus'), so agreement between reviewers is not applicable.")
    assert math.isnan(result.kappa) and result.strength == "not defined"
    assert quality.disagreements(only, tool).empty
    # The quality bands need the agreed answers only.
    assert len(quality.paper_bands(only["casp_ratings"])) == len(package["studies"])


def test_one_reviewer_besides_the_agreed_answers_is_no_agreement_either(package, tool):
    t = package["casp_ratings"]
    one = _with(package, casp_ratings=t[t["reviewer"] != "R2"])
    assert not quality.has_independent_reviewers(one)
    result = quality.agreement(one, tool)
    assert not result.applicable
    said = quality_page.agreement_words(result)
    assert "one reviewer (R1)" in said.summary and said.reviewers == "R1"
    assert said.kappa_text == said.summary and said.lowest_item == "none"
    assert quality.disagreements(one, tool).empty


def test_has_independent_reviewers(package):
    assert quality.has_independent_reviewers(package)
    assert quality.has_independent_reviewers(package, agreed_label="R1")  # R2 and consensus
    without = DataPackage(package.data_dir, package.descriptor,
                          {k: v for k, v in package.tables.items() if k != "casp_ratings"})
    assert not quality.has_independent_reviewers(without)


def test_three_reviewers_with_any_labels_get_fleiss_kappa(package, tool):
    names = {"R1": "AB", "R2": "CD", "R3": "EF", "consensus": "agreed"}
    three = _with(package, casp_ratings=_relabelled(package, names, third=True))
    assert quality.has_independent_reviewers(three, agreed_label="agreed")
    result = quality.agreement(three, tool, agreed_label="agreed")
    assert result.applicable and result.n_reviewers == 3
    assert result.statistic == "Fleiss' kappa" and result.reviewer_labels == ("AB", "CD", "EF")
    said = quality_page.agreement_words(result, "agreed")
    assert said.reviewers == "AB, CD and EF" and said.kappa_text == f"{result.kappa:.2f}"
    assert said.summary.startswith(f"AB, CD and EF gave the same answer to {result.n_agreed} of "
                                   f"{result.n_ratings} paper-item pairs")
    t = three["casp_ratings"]
    wide = t[t["reviewer"] != "agreed"].pivot(index=["study_id", "item"], columns="reviewer",
                                              values="rating")
    counts, _ = aggregate_raters(wide.apply(lambda c: c.map(
        {"yes": 0, "cant_tell": 1, "no": 2})).to_numpy(), n_cat=3)
    assert result.kappa == pytest.approx(fleiss_kappa(counts), abs=1e-12)
    rows = quality.disagreements(three, tool, agreed_label="agreed")
    assert set(rows.columns[4:8]) == {"AB", "CD", "EF", "agreed"}
    assert rows["resolution"].str.endswith("answer").all()


# --------------------------------------------------------------- the page


@pytest.mark.book
@pytest.mark.parametrize("spec", [CRITICAL, WEIGHTED], ids=["critical", "scores"])
def test_the_quality_page_states_a_rule_of_any_kind_in_words(spec, tmp_path):
    import papermill

    out = tmp_path / "quality.ipynb"
    papermill.execute_notebook(str(paths.NOTEBOOKS / "quality.ipynb"), str(out),
                               parameters={"banding_rule": spec}, cwd=str(paths.ROOT),
                               progress_bar=False, kernel_name="python3")
    glued = _glued(out)
    rule = BandingRule.from_parameter(spec)
    assert glued["band_rule_text"].strip("'\"") == rule_in_words(rule)
    assert glued["band_rule_name"].strip("'\"") == rule.name
    said = "adds up points" if rule.scored else "no total of Yes answers is computed"
    assert said in glued["band_rule_scoring"]
    shown = "".join("".join(o.get("data", {}).get("text/html", ""))
                    for c in json.loads(out.read_text())["cells"] for o in c.get("outputs", []))
    assert ("Score" if rule.scored else "Capped by") in shown
