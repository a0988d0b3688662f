"""Sample-characteristics tables against small hand-counted fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.stats import sample
from analysis.contract.package import DataPackage
from tests.myst_source import shown

FIELDWORK = {"start": "2019-07-01", "end": "2020-10-31",
             "suspension_start": "2020-03-01", "suspension_end": "2020-07-14"}


@pytest.fixture
def tiny() -> DataPackage:
    """Five participants and four papers, counted by hand below."""
    people = pd.DataFrame({
        "participant_id": ["P001", "P002", "P003", "P004", "P005"],
        "age_band": ["18-24", "25-34", "25-34", "45-54", "25-34"],
        "gender": ["female", "male", "female", "non_binary", "female"],
        "sexuality": ["heterosexual"] * 5,
        "ethnicity": ["White British", "White Other", "White British",
                      "Asian or Asian British", "White British"],
        "ethnic_minority": [False, True, False, True, False],
        "region": ["London", "London", "North West", "South West", "London"],
        "pd_diagnosis": ["borderline", "borderline", "paranoid", "none", "borderline"],
        "interviewer_role": ["lived_experience_researcher"] * 4 + ["health_researcher"],
        "interview_date": pd.to_datetime(["2019-08-01", "2019-09-01", "2020-01-10",
                                          "2020-08-01", "2020-09-01"]),
        "interview_mode": ["face_to_face", "telephone", "face_to_face", "video_call",
                           "video_call"],
        "duration_min": [30, 40, 50, 60, 100],
        "interview_order": [1, 2, 3, 4, 5],
    })
    services = pd.DataFrame({
        "participant_id": ["P001", "P001", "P002", "P003", "P004", "P005"],
        "service_type": ["primary_care", "specialist_pd", "primary_care", "generic_secondary",
                         "primary_care", "voluntary_sector"],
    })
    studies = pd.DataFrame({
        "study_id": ["S01", "S02", "S03", "S04"],
        "study_group": ["G01", "G01", "G02", "G03"],
        "first_author": ["A", "A", "B", "C"],
        "year": [2004, 2011, 2016, 2019],
        "country": ["UK", "UK", "Australia", "UK"],
        "setting": ["generic", "generic", "specialist", "other"],
        "data_collection": ["interviews"] * 4,
        "analysis_approach": ["thematic_analysis"] * 4,
        "n_participants": [10, 20, 5, 7],
    })
    return DataPackage(Path("tiny"), {"fieldwork": FIELDWORK},
                       {"participants": people, "participant_services": services,
                        "studies": studies})


def _row(table, characteristic, category):
    hit = table[(table["characteristic"] == characteristic) & (table["category"] == category)]
    assert len(hit) == 1, (characteristic, category)
    return int(hit["n"].iloc[0]), float(hit["percent"].iloc[0])


def test_interview_table_counts(tiny):
    table = sample.interview_sample_table(tiny)
    assert _row(table, "Age (years)", "25-34") == (3, 60.0)
    assert _row(table, "Age (years)", "75+") == (0, 0.0)  # declared categories all listed
    assert _row(table, "Gender", "Female") == (3, 60.0)
    assert _row(table, "Ethnicity", "Any minority ethnic background") == (2, 40.0)
    assert _row(table, "Region", "East of England") == (0, 0.0)  # no study.setting
    assert _row(table, "Interviewer", "Health researcher") == (1, 20.0)
    assert _row(table, "Diagnosis", "Borderline") == (3, 60.0)  # no condition declared


def test_service_use_is_percent_of_participants(tiny):
    table = sample.interview_sample_table(tiny)
    services = table[table["characteristic"].str.startswith("Community services")]
    assert _row(table, services["characteristic"].iloc[0], "Primary care") == (3, 60.0)
    assert services["n"].sum() == 6  # six responses from five people
    assert services["percent"].sum() == pytest.approx(120.0)


def test_mode_by_period(tiny):
    table = sample.mode_by_period(tiny)
    assert table.loc["Face to face (university)", "Before the suspension"] == 2
    assert table.loc["Video call (MS Teams or Zoom)", "After the suspension"] == 2
    assert table.loc["Total", "Total"] == 5


def test_summary(tiny):
    s = sample.summarise_interview_sample(tiny)
    assert (s.n_participants, s.n_men, s.n_women, s.n_minority_ethnic) == (5, 1, 3, 2)
    assert (s.n_lived_experience_interviews, s.n_health_researcher_interviews) == (4, 1)
    assert s.n_with_pd_diagnosis == 4
    assert (s.duration_median, s.duration_q1, s.duration_q3) == (50, 40, 60)
    assert (s.duration_min, s.duration_max) == (30, 100)
    assert s.by_period == (("Before the suspension", 3), ("After the suspension", 2))
    assert s.by_gender == (("Female", 3), ("Male", 1), ("Non-binary", 1))
    assert s.first_interview == "August 2019" and s.last_interview == "September 2020"
    assert "East of England" in s.regions_not_sampled and "London" not in s.regions_not_sampled


def test_year_periods():
    years = pd.Series([2003, 2009, 2010, 2015, 2020])
    periods = sample.year_periods(years, [2003, 2010, 2015])
    assert list(periods.astype(str)) == ["2003-2009", "2003-2009", "2010-2014", "2015-2020",
                                         "2015-2020"]
    # A paper older than the first break gets a period of its own, from its year: the
    # bundled book's breaks do not stop a review of older papers.
    older = sample.year_periods(pd.Series([1990, 2004, 2012]), [2003, 2010, 2015])
    assert list(older.astype(str)) == ["1990-2002", "2003-2009", "2010-2014"]
    assert list(older.cat.categories) == ["1990-2002", "2003-2009", "2010-2014", "2015"]
    # A year not reported stays empty.
    missing = sample.year_periods(pd.Series([2004, None], dtype="Int64"), [2003])
    assert missing.iloc[0] == "2003-2004" and pd.isna(missing.iloc[1])


def _unreported(tiny, **empty):
    """The tiny package with some columns emptied for some papers (not reported)."""
    studies = tiny["studies"].copy()
    for column, rows in empty.items():
        studies[column] = studies[column].astype(object)
        studies.loc[studies.index[rows], column] = None
    return DataPackage(tiny.data_dir, {}, {"studies": studies})


def test_papers_count_what_is_not_reported(tiny):
    from analysis.chapters import sample as page

    some = _unreported(tiny, year=[0], country=[0, 1], n_participants=[1])
    s = sample.summarise_included_papers(some)
    assert (s.n_year_not_reported, s.n_country_not_reported,
            s.n_participants_not_reported) == (1, 2, 1)
    table = sample.included_papers_table(some, [2003, 2010, 2015])
    assert _row(table, "Year of publication", "Not reported") == (1, 25.0)
    assert _row(table, "Country", "Not reported") == (2, 50.0)
    text = shown(page.included_papers_text(some, s))
    assert "(year not reported for 1 paper)" in text
    assert "(country not reported for 2 papers)" in text
    assert "The 3 papers that report it heard from" in text
    assert "(number of participants not reported for 1 paper)" in text

    none = _unreported(tiny, year=[0, 1, 2, 3], country=[0, 1, 2, 3],
                       n_participants=[0, 1, 2, 3])
    s = sample.summarise_included_papers(none)
    assert (s.year_first, s.n_participants_total, s.n_countries) == (None, None, 0)
    text = shown(page.included_papers_text(none, s))
    assert text == ("The meta-synthesis included 4 papers reporting 3 distinct studies (1 "
                    "study was reported in more than one paper). Year of publication, country "
                    "and number of participants are not reported for any of the papers in "
                    "this package.")
    table = sample.included_papers_table(none, [2003, 2010, 2015])
    assert _row(table, "Year of publication", "Not reported") == (4, 100.0)
    # Nothing reported: one row, no list of categories nobody could be counted in.
    assert table.loc[table["characteristic"] == "Year of publication", "category"].tolist() == [
        "Not reported"]
    assert table["n"].dtype.kind == "i"


def test_papers(tiny):
    s = sample.summarise_included_papers(tiny)
    assert (s.n_papers, s.n_distinct_studies, s.n_multi_paper_studies) == (4, 3, 1)
    assert (s.n_participants_total, s.n_participants_median) == (42, 8.5)
    assert (s.year_first, s.year_last) == (2004, 2019)
    assert (s.top_countries, s.n_top_country) == (("UK",), 3)
    table = sample.included_papers_table(tiny, [2003, 2010, 2015])
    assert _row(table, "Year of publication", "2015-2019") == (2, 50.0)
    assert _row(table, "Setting", "Generic mental health services") == (2, 50.0)
    per_study = "Papers per distinct study (% of studies)"
    assert _row(table, per_study, "2 papers") == (1, 33.3)
    assert _row(table, per_study, "1 paper") == (2, 66.7)


def _with_study(package: DataPackage, study: dict) -> DataPackage:
    return DataPackage(package.data_dir, {"study": study}, package.tables)


def test_sentences_without_a_declared_setting_name_no_country(tiny):
    from analysis.chapters import sample as page

    bare = _with_study(tiny, {})
    s = sample.summarise_interview_sample(bare)
    text = shown(page.interview_sample_text(bare, s))
    assert text.startswith("The interview study spoke with 5 adults.")
    assert "By gender: female (3), male (1) and non-binary (1)." in text
    assert "2 participants (40.0%) were from minority ethnic backgrounds." in text
    assert ("Interviews by interviewer role: lived-experience researcher (4 interviews) and "
            "health researcher (1).") in text
    assert "They lived in 3 regions; regions with nobody sampled: North East," in text
    # No suspension declared: nothing about a pause, one column of interviews by mode.
    assert page.fieldwork_text(bare, s) == (
        "Interviews ran from August 2019 to September 2020. They lasted a median of 50 "
        "minutes (interquartile range 40 to 60; range 30 to 100).")
    assert page.mode_table_caption(bare) == "Interviews by mode"
    table = sample.mode_by_period(bare)
    assert list(table.columns) == ["Interviews"] and table.loc["Total", "Interviews"] == 5
    assert page.timeline_caption(bare) == "Each interview by date and length, coloured by mode."


def test_sentences_follow_the_declared_setting_and_suspension(tiny):
    from analysis.chapters import sample as page

    declared = _with_study(tiny, {
        "setting": {"country": "Wales", "region": "health board", "regions": "health boards"},
        "fieldwork": {"start": "2019-07-01", "end": "2020-10-31",
                      "suspensions": [{"label": "a flood", "start": "2020-03-01",
                                       "end": "2020-07-14", "modes_after": ["video_call"]}]}})
    s = sample.summarise_interview_sample(declared)
    text = shown(page.interview_sample_text(declared, s))
    assert "spoke with 5 adults living in Wales." in text
    assert "They lived in 3 health boards; health boards with nobody sampled:" in text
    assert "Health board" in set(sample.interview_sample_table(declared)["characteristic"])
    assert ("3 before the study was suspended for a flood and 2 after it resumed, when all "
            "were held by video call (MS Teams or Zoom).") in page.fieldwork_text(declared, s)
    assert page.mode_table_caption(declared) == ("Interviews by mode, before and after the "
                                                 "suspension for a flood")
    # The legacy fieldwork of the fixture: an unnamed suspension, no modes after it.
    assert ("3 before the study was suspended and 2 after it resumed."
            in page.fieldwork_text(tiny, sample.summarise_interview_sample(tiny)))


def test_included_papers_sentence(tiny):
    from analysis.chapters import sample as page

    text = shown(page.included_papers_text(tiny, sample.summarise_included_papers(tiny)))
    assert text == ("The meta-synthesis included 4 papers reporting 3 distinct studies (1 "
                    "study was reported in more than one paper), published from 2004 to 2019, "
                    "in 2 countries, most often UK (3 papers). Together they heard from 42 "
                    "participants, a median of 8.5 per paper (range 5 to 20).")


def test_words_agree_in_number():
    from analysis.chapters.words import count_words, counted, in_sentence, join_words

    assert count_words(1, "study", "studies") == "1 study"
    assert count_words(1200, "study", "studies") == "1,200 studies"
    assert join_words(["a"]) == "a" and join_words(["a", "b", "c"], "or") == "a, b or c"
    assert in_sentence("Video call") == "video call" and in_sentence("NHS Near Me") == "NHS Near Me"
    assert counted((("Peer researcher", 1),), "interview") == "peer researcher (1 interview)"


def test_one_paper_reads_in_the_singular(tiny):
    from analysis.chapters import sample as page

    one = DataPackage(tiny.data_dir, {}, {"studies": tiny["studies"].iloc[[2]]})
    text = shown(page.included_papers_text(one, sample.summarise_included_papers(one)))
    assert text == ("The meta-synthesis included 1 paper reporting 1 distinct study, published "
                    "in 2016, all in one country (Australia). It heard from 5 participants.")


def test_papers_by_year_places_only_the_papers_that_report_a_year(tiny):
    import matplotlib

    matplotlib.use("Agg")
    from analysis.plots import sample as sample_plots

    some = _unreported(tiny, year=[0], setting=[1])
    ax = sample_plots.papers_by_year(some)
    assert ax.get_xlabel() == ("Year of publication (1 of 4 papers not shown: year not "
                               "reported)")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "Setting not reported"
    assert sum(p.get_height() for p in ax.patches) == 3
    none = _unreported(tiny, year=[0, 1, 2, 3])
    ax = sample_plots.papers_by_year(none)
    assert [t.get_text() for t in ax.texts] == [
        "Year of publication not reported for any of the 4 papers"]
    matplotlib.pyplot.close("all")


def test_a_period_after_the_latest_possible_year_is_refused(tiny):
    with pytest.raises(ValueError, match=r"a period starts in 3000, after the latest year a "
                                         r"paper can have \(2030"):
        sample.included_papers_table(tiny, [2003, 3000])


def test_what_the_source_did_not_report_is_counted_not_guessed(tiny):
    """Empty cells of optional columns (issue 24): a row "Not reported" per characteristic,
    figures from the reported values, and a sentence naming what is missing."""
    from analysis.chapters import sample as page
    from analysis.stats.themes import _characteristic_groups

    people = tiny["participants"].copy()
    people["sexuality"] = people["sexuality"].astype(object)
    people.loc[[0, 1], "sexuality"] = None
    people["pd_diagnosis"] = people["pd_diagnosis"].astype(object)
    people.loc[3, "pd_diagnosis"] = None  # was "none": not reported is not a diagnosis
    people.loc[2, "duration_min"] = None
    people.loc[4, "interview_date"] = pd.NaT
    people["ethnic_minority"] = people["ethnic_minority"].astype("boolean")
    people.loc[1, "ethnic_minority"] = pd.NA
    package = DataPackage(tiny.data_dir, {"study": {}},
                          {**tiny.tables, "participants": people})
    table = sample.interview_sample_table(package)
    assert _row(table, "Sexuality", "Not reported") == (2, 40.0)
    assert _row(table, "Diagnosis", "Not reported") == (1, 20.0)
    s = sample.summarise_interview_sample(package)
    assert s.n_with_pd_diagnosis == 4  # borderline (3) and paranoid (1)
    assert (s.duration_median, s.duration_min, s.duration_max) == (50.0, 30, 100)
    assert s.by_period == (("All interviews", 4), ("Date not reported", 1))
    assert s.not_reported == (("sexuality", 2), ("ethnic_minority", 1), ("pd_diagnosis", 1),
                              ("interview_date", 1), ("duration_min", 1))
    text = shown(page.interview_sample_text(package, s))
    assert text.endswith("Not reported: sexuality (2 participants), minority ethnic "
                         "background (1), diagnosis (1), interview date (1) and interview "
                         "length (1).")
    assert page.fieldwork_text(package, s) == (
        "Interviews ran from August 2019 to August 2020 (1 interview not dated). They lasted "
        "a median of 50 minutes (interquartile range 38 to 70; range 30 to 100); length not "
        "reported for 1.")
    groups = dict(_characteristic_groups(people.set_index("participant_id"), "ethnic_minority"))
    assert list(groups) == ["Yes", "No", "Not reported"]
    assert [int(mask.sum()) for mask in groups.values()] == [1, 3, 1]
