"""Sample-characteristics tables against small hand-counted fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.stats import sample
from analysis.contract.package import DataPackage

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
        "n_clinicians": [10, 20, 5, 7],
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
    assert _row(table, "Region of England", "East of England") == (0, 0.0)
    assert _row(table, "Interviewer", "Health researcher") == (1, 20.0)
    assert _row(table, "'Personality disorder' diagnosis", "Borderline") == (3, 60.0)


def test_service_use_is_percent_of_participants(tiny):
    table = sample.interview_sample_table(tiny)
    services = table[table["characteristic"].str.startswith("Community services")]
    assert _row(table, services["characteristic"].iloc[0], "Primary care") == (3, 60.0)
    assert services["n"].sum() == 6  # six responses from five people
    assert services["percent"].sum() == pytest.approx(120.0)


def test_mode_by_period(tiny):
    table = sample.mode_by_period(tiny)
    assert table.loc["Face to face (university)", "Before the pandemic"] == 2
    assert table.loc["Video call (MS Teams or Zoom)", "During the pandemic"] == 2
    assert table.loc["Total", "Total"] == 5


def test_summary(tiny):
    s = sample.summarise_interview_sample(tiny)
    assert (s.n_participants, s.n_men, s.n_women, s.n_minority_ethnic) == (5, 1, 3, 2)
    assert (s.n_lived_experience_interviews, s.n_health_researcher_interviews) == (4, 1)
    assert s.n_with_pd_diagnosis == 4
    assert (s.duration_median, s.duration_q1, s.duration_q3) == (50, 40, 60)
    assert (s.duration_min, s.duration_max) == (30, 100)
    assert (s.n_before_pandemic, s.n_during_pandemic) == (3, 2)
    assert s.first_interview == "August 2019" and s.last_interview == "September 2020"
    assert "East of England" in s.regions_not_sampled and "London" not in s.regions_not_sampled


def test_year_periods():
    years = pd.Series([2003, 2009, 2010, 2015, 2020])
    periods = sample.year_periods(years, [2003, 2010, 2015])
    assert list(periods.astype(str)) == ["2003-2009", "2003-2009", "2010-2014", "2015-2020",
                                         "2015-2020"]
    with pytest.raises(ValueError, match="before the first period starts"):
        sample.year_periods(pd.Series([2001]), [2003])


def test_papers(tiny):
    s = sample.summarise_included_papers(tiny)
    assert (s.n_papers, s.n_distinct_studies, s.n_multi_paper_studies) == (4, 3, 1)
    assert (s.n_clinicians_total, s.n_clinicians_median) == (42, 8.5)
    assert (s.year_first, s.year_last, s.n_uk) == (2004, 2019, 3)
    table = sample.included_papers_table(tiny, [2003, 2010, 2015])
    assert _row(table, "Year of publication", "2015-2019") == (2, 50.0)
    assert _row(table, "Setting", "Generic mental health services") == (2, 50.0)
    per_study = "Papers per distinct study (% of studies)"
    assert _row(table, per_study, "2 papers") == (1, 33.3)
    assert _row(table, per_study, "1 paper") == (2, 66.7)
