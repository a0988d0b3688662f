"""Theme support tables on small hand-built fixtures whose answers are worked by hand.

Fixture (meta-synthesis): five papers from four studies (S01 and S02 are one study);
themes T1 (sub-themes T1.1, T1.2) and T2 (T2.1, which no paper supports); S04 supports
nothing. Quality bands from CASP consensus: S01 high, S02 moderate, S03 low, S04 high,
S05 low.

Fixture (interview study): four participants; P004 has no code.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from analysis.stats import quality
from analysis.chapters import themes as themes_page
from analysis.stats import themes
from analysis.contract.validation import load_package

FRAMEWORK = pd.DataFrame({
    "review": ["meta_synthesis"] * 3 + ["interview_study"] * 2,
    "theme_id": ["T1", "T1", "T2", "T7", "T7"],
    "theme": ["First theme", "First theme", "Unsupported theme", "Relational Practice",
              "Relational Practice"],
    "subtheme_id": ["T1.1", "T1.2", "T2.1", "T7.1", "T7.2"],
    "subtheme": ["One", "Two", "Nobody", "Understanding", "Interpersonal Connection"],
    "subtheme_source": ["invented"] * 3 + ["published"] * 2,
})
STUDIES = pd.DataFrame({
    "study_id": ["S01", "S02", "S03", "S04", "S05"],
    "study_group": ["G01", "G01", "G02", "G03", "G04"],
    "setting": ["generic", "generic", "specialist", "specialist", "other"],
    "country": ["UK", "UK", "Australia", "UK", "Norway"],
})
STUDY_CODES = pd.DataFrame({
    "study_id": ["S01", "S02", "S02", "S03", "S05"],
    "subtheme_id": ["T1.1", "T1.1", "T1.2", "T1.2", "T1.1"],
    "n_excerpts": [3, 2, 1, 4, 1],
})


def _casp(answers: dict[str, dict[int, str]]) -> pd.DataFrame:
    rows = []
    for study in STUDIES["study_id"]:
        for item in range(1, 11):
            rows.append({"study_id": study, "reviewer": "consensus", "item": item,
                         "rating": answers.get(study, {}).get(item, "yes")})
            # an independent reviewer's 'no' must not count: only the consensus does
            rows.append({"study_id": study, "reviewer": "R1", "item": item, "rating": "no"})
    return pd.DataFrame(rows)


CASP = _casp({"S02": {6: "cant_tell"}, "S03": {8: "no"}, "S05": {4: "cant_tell", 6: "no"}})


@pytest.fixture
def support() -> themes.ThemeSupport:
    return themes.ThemeSupport.from_tables(STUDIES, STUDY_CODES, FRAMEWORK,
                                           quality.paper_bands(CASP), countries=["UK"])


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927) interval written out, independent of statsmodels."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


# ------------------------------------------------------------------- quality bands


def test_bands_come_from_the_quality_chapter_rule():
    bands = quality.paper_bands(CASP).set_index("study_id")["band"]
    assert bands.to_dict() == {"S01": "high", "S02": "moderate", "S03": "low",
                               "S04": "high", "S05": "low"}


def test_unknown_quality_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown banding rule"):
        themes.paper_bands(load_package(), rule="summed_score")


# --------------------------------------------------------------------- the matrix


def test_matrix_has_every_paper_and_subtheme_with_excerpts(support):
    m = support.excerpts
    assert list(m.index) == ["S01", "S02", "S03", "S04", "S05"]
    assert list(m.columns) == ["T1.1", "T1.2", "T2.1"]
    assert m.loc["S01"].tolist() == [3, 0, 0]
    assert m.loc["S02"].tolist() == [2, 1, 0]
    assert m.loc["S04"].tolist() == [0, 0, 0]  # a paper supporting nothing keeps its row
    assert m["T2.1"].sum() == 0  # a sub-theme nobody supports keeps its column
    assert support.theme_excerpts().loc["S02"].tolist() == [3, 0]


def test_frequency_table_counts_papers_studies_and_excerpts(support):
    t = themes.frequency_table(support).set_index(["theme_id", "subtheme_id"])
    assert t.loc[("T1", ""), ["n_papers", "n_studies", "n_excerpts"]].tolist() == [4, 3, 11]
    assert t.loc[("T1", ""), "pct_papers"] == 80.0
    assert t.loc[("T1", ""), "pct_studies"] == 75.0
    # T1.1: papers S01, S02 (one study) and S05 -> 3 papers from 2 studies
    assert t.loc[("T1", "T1.1"), ["n_papers", "n_studies"]].tolist() == [3, 2]
    assert t.loc[("T1", "T1.2"), ["n_papers", "n_studies", "n_excerpts"]].tolist() == [2, 2, 5]
    # the theme with no support is listed, with zeros
    for key in [("T2", ""), ("T2", "T2.1")]:
        assert t.loc[key, ["n_papers", "n_studies", "n_excerpts"]].tolist() == [0, 0, 0]
    assert list(t.reset_index()["level"]) == ["theme", "sub-theme", "sub-theme",
                                              "theme", "sub-theme"]


@pytest.mark.parametrize("key,k", [(("T1", ""), 4), (("T1", "T1.1"), 3), (("T1", "T1.2"), 2),
                                   (("T2", "T2.1"), 0)])
def test_wilson_intervals_match_the_formula(support, key, k):
    t = themes.frequency_table(support).set_index(["theme_id", "subtheme_id"])
    low, high = wilson(k, 5)
    assert t.loc[key, "ci_low"] == pytest.approx(low, abs=0.05)
    assert t.loc[key, "ci_high"] == pytest.approx(high, abs=0.05)


@pytest.mark.parametrize("key,k", [(("T1", ""), 3), (("T1", "T1.1"), 2), (("T1", "T1.2"), 2),
                                   (("T2", "T2.1"), 0)])
def test_study_level_wilson_intervals_count_each_study_once(support, key, k):
    # 5 papers from 4 studies: the interval over studies has 4 independent units
    t = themes.frequency_table(support).set_index(["theme_id", "subtheme_id"])
    low, high = wilson(k, 4)
    assert t.loc[key, "n_studies"] == k
    assert t.loc[key, "studies_ci_low"] == pytest.approx(low, abs=0.05)
    assert t.loc[key, "studies_ci_high"] == pytest.approx(high, abs=0.05)
    shown = themes_page.frequency_view(themes.frequency_table(support))
    assert list(shown.columns) == ["Papers n", "Papers %", "Papers 95% CI (%)", "Studies n",
                                   "Studies %", "Studies 95% CI (%)", "Excerpts"]


def test_wilson_reference_values():
    # 0 of 5: upper limit z^2 / (n + z^2) = 43.4%; 4 of 5: 37.6% to 96.4%
    low, high = themes.wilson_interval([0, 4], 5)
    assert low[0] == 0 and high[0] == pytest.approx(43.45, abs=0.01)
    assert (low[1], high[1]) == pytest.approx((37.55, 96.38), abs=0.01)
    low, high = themes.wilson_interval([0], 0)  # no sources: no interval
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_breakdown_by_group(support):
    long = themes.support_by_group(support, "setting")
    assert list(dict.fromkeys(long["group"])) == ["generic", "specialist", "other"]
    t1 = long[long["theme_id"].eq("T1") & long["level"].eq("theme")].set_index("group")
    assert t1["n_group"].to_dict() == {"generic": 2, "specialist": 2, "other": 1}
    assert t1["n_papers"].to_dict() == {"generic": 2, "specialist": 1, "other": 1}
    wide = themes_page.group_view(long)
    assert wide.iloc[0].tolist() == ["2 (100%)", "1 (50%)", "1 (100%)"]
    country = themes.support_by_group(support, "country_group")
    assert list(dict.fromkeys(country["group"])) == ["UK", "Other countries"]
    band = themes.support_by_group(support, "band")
    assert list(dict.fromkeys(band["group"])) == ["high", "moderate", "low"]
    with pytest.raises(ValueError, match="cannot break down"):
        themes.support_by_group(support, "year")


def test_cooccurrence_counts_papers_supporting_both(support):
    both = themes.cooccurrence(support)
    assert both.to_numpy().tolist() == [[4, 0], [0, 0]]
    assert list(both.columns) == ["T1", "T2"]


# -------------------------------------------------------- sensitivity to quality


def test_without_bands_drops_the_papers_of_those_bands(support):
    kept = support.without_bands(["low"])
    assert list(kept.units.index) == ["S01", "S02", "S04"]
    assert kept.excluded_bands == ("low",)
    with pytest.raises(ValueError, match="unknown quality band"):
        support.without_bands(["poor"])


def test_sensitivity_changes_and_flags(support):
    t = themes.quality_sensitivity(support, ["low"], min_studies=2).set_index(
        ["theme_id", "subtheme_id"])
    # T1.2 loses S03: one paper (S02) from one study is left
    row = t.loc[("T1", "T1.2")]
    assert (row["n_papers_all"], row["n_papers_kept"], row["n_studies_kept"]) == (2, 1, 1)
    assert row["change_papers"] == -1 and row["flag"] == "single study" and row["newly_flagged"]
    assert row["change_pct"] == pytest.approx(100 / 3 - 40, abs=0.06)
    # T1.1 keeps two papers, but both come from study G01: still a single study
    assert t.loc[("T1", "T1.1"), "flag"] == "single study"
    # T1 as a whole: S01, S02 (G01) -> one study left
    assert t.loc[("T1", ""), "n_studies_kept"] == 1
    # a sub-theme nobody ever supported is flagged, but not newly
    assert t.loc[("T2", "T2.1"), "flag"] == "no support"
    assert not t.loc[("T2", "T2.1"), "newly_flagged"]


def test_sensitivity_threshold_is_a_parameter(support):
    t = themes.quality_sensitivity(support, [], min_studies=3).set_index(
        ["theme_id", "subtheme_id"])
    assert (t["change_papers"] == 0).all()
    assert t.loc[("T1", "T1.2"), "flag"] == "fewer than 3 studies"
    assert t.loc[("T1", ""), "flag"] == ""  # three studies: not below 3


def test_sensitivity_summary(support):
    table = themes.quality_sensitivity(support, ["low"], min_studies=2)
    s = themes.summarise_sensitivity(support, table, ["low"], min_studies=2)
    assert (s.n_papers_all, s.n_papers_excluded, s.n_papers_kept, s.n_studies_kept) == (5, 2, 3, 2)
    assert "T1.2 Two" in s.newly_flagged and "T1 First theme" in s.newly_flagged
    assert s.left_out_bands == ("low",) and "T1.2 Two" in s.newly_flagged_rows
    assert themes_page.sensitivity_words(s).sentence == (
        f"Leaving out the 2 papers rated low quality takes {s.n_newly_flagged} themes or "
        f"sub-themes below the threshold: {s.newly_flagged}.")
    assert s.largest_drop.startswith("T1 First theme (-")
    unchanged = themes.quality_sensitivity(support, [], min_studies=2)
    none_out = themes.summarise_sensitivity(support, unchanged, [])
    assert none_out.largest_drop == "none"
    assert themes_page.sensitivity_words(none_out).sentence.startswith(
        "No paper is left out on this page")
    nothing_new = dataclasses.replace(s, n_newly_flagged=0, newly_flagged="none",
                                      newly_flagged_rows=(), left_out_bands=("moderate", "low"))
    assert themes_page.sensitivity_words(nothing_new).sentence == (
        "Leaving out the 2 papers rated moderate or low quality takes no theme or sub-theme "
        "below the threshold.")


# ------------------------------------------------------------- interview study

PARTICIPANTS = pd.DataFrame({
    "participant_id": ["P001", "P002", "P003", "P004"],
    "gender": ["female", "female", "male", "female"],
    "ethnic_minority": [True, False, False, True],
    "interviewer_role": ["lived_experience_researcher"] * 3 + ["health_researcher"],
    "interview_order": [2, 1, 3, 4],
})
SERVICES = pd.DataFrame({"participant_id": ["P001", "P001", "P002", "P003", "P004"],
                         "service_type": ["primary_care", "specialist_pd", "primary_care",
                                          "generic_secondary", "primary_care"]})
PARTICIPANT_CODES = pd.DataFrame({
    "participant_id": ["P001", "P001", "P002", "P003"],
    "code_id": ["C001", "C002", "C001", "C003"],
    "subtheme_id": ["T7.1", "T7.2", "T7.1", "T7.2"],
    "n_excerpts": [2, 1, 3, 4],
})


@pytest.fixture
def people() -> themes.ThemeSupport:
    return themes.participant_support_from_tables(PARTICIPANTS, SERVICES, PARTICIPANT_CODES,
                                                  FRAMEWORK)


def test_participant_matrix_keeps_participants_without_codes(people):
    m = people.excerpts
    assert list(m.index) == ["P002", "P001", "P003", "P004"]  # interview order
    assert m.loc["P001"].tolist() == [2, 1]
    assert m.loc["P004"].tolist() == [0, 0]


def test_participant_frequency_counts_everyone_in_the_denominator(people):
    t = themes.participant_frequency(people).set_index(["theme_id", "subtheme_id"])
    assert t.loc[("T7", ""), ["n_participants", "pct_participants"]].tolist() == [3, 75.0]
    assert t.loc[("T7", "T7.1"), ["n_participants", "pct_participants"]].tolist() == [2, 50.0]
    assert t.loc[("T7", "T7.2"), "n_excerpts"] == 5
    low, high = wilson(2, 4)
    assert t.loc[("T7", "T7.1"), "ci_low"] == pytest.approx(low, abs=0.05)
    assert t.loc[("T7", "T7.1"), "ci_high"] == pytest.approx(high, abs=0.05)


def test_participant_breakdown_and_suppression(people):
    long = themes.participant_breakdown(people, suppress_below=2)
    female = long[(long["category"] == "Female") & (long["key"] == "T7.1")].iloc[0]
    assert (female["n_category"], female["n"], female["suppressed"]) == (3, 2, False)
    # Shown beside the suppressed male count, it would give that count away (2 - 2 = 0).
    assert female["withheld"]
    male = long[(long["category"] == "Male") & (long["key"] == "T7.1")].iloc[0]
    assert (male["n"], male["suppressed"]) == (0, True)  # zeros are suppressed too
    primary = long[(long["category"] == "Primary care") & (long["key"] == "T7")].iloc[0]
    assert (primary["n_category"], primary["n"]) == (3, 2)  # P004 counts, without codes
    assert "Not stated" not in set(long["category"])  # empty categories are left out
    wide = themes_page.breakdown_view(long, suppress_below=2)
    assert wide.loc[("Gender", "Male (N=1)"), "T7.1"] == "<2"
    assert wide.loc[("Gender", "Female (N=3)"), "T7.1"] == themes_page.WITHHELD
    assert wide.loc[("All participants", "All participants (N=4)"), "T7.1"] == "2 (50%)"
    assert list(wide.columns) == ["T7 (any)", "T7.1", "T7.2"]
    shown = themes_page.breakdown_view(themes.participant_breakdown(people, 0), 0)
    assert not shown.apply(lambda c: c.str.startswith("<")).any().any()


def test_complementary_suppression_leaves_no_count_recoverable():
    long = pd.DataFrame({
        "characteristic": ["Gender"] * 3 + ["Services"] * 2 + ["Age"] * 3,
        "key": ["T1"] * 8,
        "n": [1, 7, 5, 1, 9, 1, 2, 9],
        "suppressed": [True, False, False, True, False, True, True, False]})
    out = themes.complementary_suppression(long, {"Gender", "Age"})
    # Gender: one hidden count (1) beside 7 and 5: the smaller, 5, is withheld.
    assert out["withheld"].tolist()[:3] == [False, False, True]
    # Services is not a partition; Age already hides two counts: nothing more.
    assert not out["withheld"][3:].any()
    hidden = out["suppressed"] | out["withheld"]
    for _, group in out[out["characteristic"].isin({"Gender", "Age"})].groupby("characteristic"):
        assert hidden[group.index].sum() != 1


def test_bundled_breakdown_hides_no_lone_count(package):
    people = themes.participant_support(package)
    long = themes.participant_breakdown(people, suppress_below=3)
    partitions = {h for k, h in themes.PARTICIPANT_CHARACTERISTICS if k != "service_type"}
    hidden = long["suppressed"] | long["withheld"]
    per_group = hidden[long["characteristic"].isin(partitions)].groupby(
        [long["characteristic"], long["key"]]).sum()
    assert not (per_group == 1).any()


def test_reidentification_counts_participants_alone_in_their_combination():
    from analysis.stats.sample import reidentification_risk

    people = pd.DataFrame({"age_band": ["18-24", "18-24", "25-34", "25-34"],
                           "gender": ["female", "female", "male", "female"],
                           "ethnicity": ["A", "A", "A", "A"], "region": ["L", "L", "L", "L"]})
    risk = reidentification_risk(people)
    assert (risk.n_participants, risk.n_unique, risk.n_combinations) == (4, 2, 3)
    assert risk.pct_unique == 50.0 and risk.smallest_group == 1
    assert risk.attributes == "age band, gender, ethnicity and region"


def test_interview_summary(people):
    s = themes.summarise_interview_coding(people, PARTICIPANT_CODES)
    assert (s.n_participants, s.n_without_codes, s.n_codes, s.n_excerpts) == (4, 1, 3, 10)
    assert s.codes_per_participant_median == 1.0


# ------------------------------------------------------------ the bundled data

PUBLISHED_THEMES = [
    "The use and misuse of diagnosis",
    "The patient journey into services: nowhere to go",
    "Therapeutic relationships: connection and distance",
    "The nature of treatment: not doing too much or too little",
    "Managing safety issues and crises: being measured and proactive",
    "Clinician and wider service needs: whose needs are they anyway?",
]


def test_bundled_data_has_the_six_published_themes():
    support = themes.ThemeSupport.from_package(load_package())
    table = themes.frequency_table(support)
    assert table.loc[table["level"] == "theme", "theme"].tolist() == PUBLISHED_THEMES
    assert len(support.units) == 29


def test_bundled_data_flags_the_low_quality_subtheme():
    support = themes.ThemeSupport.from_package(load_package())
    t = themes.quality_sensitivity(support, ["low"], min_studies=3)
    assert t.loc[t["newly_flagged"], "subtheme_id"].tolist() == ["T5.3"]
