"""ConQual (Munn et al. 2014): the published rules, hand-checked cases and the worked example."""

import pandas as pd
import pytest

from analysis.stats import conqual


@pytest.mark.parametrize("yes, down", [(5, 0), (4, 0), (3, 1), (2, 1), (1, 2), (0, 2)])
def test_dependability_per_paper_follows_the_published_bands(yes, down):
    # Munn et al. 2014, "Dependability": 4-5 yes unchanged, 2-3 down 1, 0-1 down 2.
    assert conqual.dependability_downgrade(yes) == down


def test_dependability_counts_only_questions_2_3_4_6_7():
    answers = pd.DataFrame(
        {1: ["no", "yes"], 2: ["yes", "no"], 3: ["yes", "no"], 4: ["yes", "yes"],
         5: ["no", "yes"], 6: ["no", "unclear"], 7: ["no", "no"], 8: ["no", "yes"]},
        index=pd.Index(["S01", "S02"], name="study_id"))
    out = conqual.paper_dependability(answers)
    assert out["yes_count"].tolist() == [3, 1]
    assert out["downgrade"].tolist() == [1, 2]


@pytest.mark.parametrize("levels, down", [
    (["unequivocal", "unequivocal"], 0),
    (["unequivocal", "credible"], 1),
    (["credible"], 2),
    (["credible", "not_supported"], 3),
    (["not_supported", "not_supported"], 4),
])
def test_credibility_follows_the_published_mixes(levels, down):
    result = conqual.credibility_downgrade(levels)
    assert result.downgrade == down
    assert result.published_rule


def test_a_mix_the_paper_does_not_list_is_said_so():
    result = conqual.credibility_downgrade(["unequivocal", "not_supported"])
    assert (result.downgrade, result.published_rule) == (3, False)
    assert result.mix == ("unequivocal", "not_supported")


def test_the_published_worked_example():
    # Munn et al. 2014, Table 1 ("ConQual summary of findings example"): qualitative
    # research, dependability "Downgrade 1 level", credibility "Downgrade 1 level" (a mix
    # of unequivocal and equivocal findings), ConQual score "Low".
    assert conqual.conqual_score(1, 1) == "low"


@pytest.mark.parametrize("dep, cred, score", [
    (0, 0, "high"), (0, 1, "moderate"), (1, 0, "moderate"), (2, 1, "very_low"),
    (2, 4, "very_low"), (0, 4, "very_low"), (1, 2, "very_low"), (0, 2, "low")])
def test_the_score_never_falls_below_very_low(dep, cred, score):
    assert conqual.conqual_score(dep, cred) == score


def test_papers_combine_by_majority():
    assert conqual.finding_dependability([0, 1, 1]) == 1
    assert conqual.finding_dependability([0, 0, 1, 1]) == 0  # half is no majority
    assert conqual.finding_dependability([2, 2, 1]) == 2
    assert conqual.finding_dependability([2, 1, 0]) == 1  # two of three reach one level
    assert conqual.finding_dependability([0]) == 0
    with pytest.raises(ValueError):
        conqual.finding_dependability([])


def _summary(findings, dependability):
    synthesised = pd.DataFrame({"synthesised_finding_id": ["SF1", "SF2"]})
    return conqual.conqual_summary(synthesised, pd.DataFrame(findings), dependability)


def test_summary_computes_each_synthesised_finding():
    dep = pd.DataFrame({"yes_count": [5, 3, 2], "downgrade": [0, 1, 1]},
                       index=pd.Index(["S01", "S02", "S03"], name="study_id"))
    findings = {"synthesised_finding_id": ["SF1", "SF1", "SF1", "SF2"],
                "credibility": ["unequivocal", "credible", "unequivocal", "unequivocal"],
                "study_id": ["S01", "S02", "S03", "S01"]}
    out = _summary(findings, dep).set_index("synthesised_finding_id")
    # SF1: papers down 0, 1, 1 -> majority down 1; U+C -> down 1; High -> Low.
    assert out.loc["SF1", ["dependability_downgrade", "credibility_downgrade", "score"]
                   ].tolist() == [1, 1, "low"]
    assert out.loc["SF1", "n_papers"] == 3 and out.loc["SF1", "n_unequivocal"] == 2
    # SF2: one dependable paper, unequivocal only: stays High.
    assert out.loc["SF2", "score"] == "high"
    assert conqual.level_counts(out.reset_index()) == {"high": 1, "moderate": 0, "low": 1,
                                                      "very_low": 0}


def test_summary_says_why_a_score_is_not_computed():
    dep = pd.DataFrame({"yes_count": [5], "downgrade": [0]},
                       index=pd.Index(["S01"], name="study_id"))
    findings = {"synthesised_finding_id": ["SF1", "SF1"],
                "credibility": ["credible", "credible"], "study_id": ["S01", ""]}
    out = _summary(findings, dep).set_index("synthesised_finding_id")
    assert out.loc["SF1", "status"] == conqual.PAPERS_NOT_REPORTED
    assert out.loc["SF1", "score"] == "" and out.loc["SF1", "score_at_most"] == "low"
    assert out.loc["SF2", "status"] == conqual.NO_FINDINGS
    findings["study_id"] = ["S01", "S09"]
    out = _summary(findings, dep).set_index("synthesised_finding_id")
    assert out.loc["SF1", "status"] == conqual.PAPERS_NOT_APPRAISED
    assert out.loc["SF1", "n_papers_not_appraised"] == 1
    out = _summary(findings, None).set_index("synthesised_finding_id")
    assert out.loc["SF1", "status"] == conqual.NO_DEPENDABILITY
