"""A sample known only from its published summary (``sample_summary``), and the words of
the sample page for any study (issue 24).

The fixture ``interview_fathers_summary`` is Baldwin et al. 2019 (BMJ Open 9:e030792):
21 first-time fathers, by ethnic background as its abstract reports them (10 Indian, 7
White British, 1 each Spanish, Black African, Black Caribbean and Pakistani); the
percentages below are those counts over 21, to one decimal.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.chapters import intro as intro_page
from analysis.chapters import sample as page
from analysis.contract.package import DataPackage
from analysis.contract.validation import load_package
from analysis.stats import sample
from tests.myst_source import shown

FATHERS = Path(__file__).parents[1] / "fixtures" / "packages" / "interview_fathers_summary"


@pytest.fixture(scope="module")
def fathers() -> DataPackage:
    return load_package(FATHERS)


def _summary(rows, study=None, several=None) -> DataPackage:
    """A package of only a sample summary: rows of (characteristic, category, n, order)."""
    table = pd.DataFrame(rows, columns=["characteristic", "category", "n", "order"])
    fields = [{"name": "characteristic", "multipleResponse": several}] if several else []
    descriptor = {"study": study or {},
                  "resources": [{"name": "sample_summary", "schema": {"fields": fields}}]}
    return DataPackage(Path("summary"), descriptor, {"sample_summary": table})


def test_the_table_is_the_published_counts_in_their_order(fathers):
    table = sample.sample_table(fathers)
    assert list(table.columns) == ["characteristic", "category", "n", "percent"]
    assert list(table["category"]) == ["Indian", "White British", "Spanish", "Black African",
                                       "Black Caribbean", "Pakistani"]
    assert list(table["n"]) == [10, 7, 1, 1, 1, 1]
    assert list(table["percent"]) == [47.6, 33.3, 4.8, 4.8, 4.8, 4.8]


def test_the_headline_figures_of_a_summary(fathers):
    s = sample.summarise_sample(fathers)
    assert isinstance(s, sample.SampleSummary)
    assert (s.n_participants, s.n_characteristics) == (21, 1)
    assert s.characteristics == ("Ethnic background",)
    assert s.largest == (("Ethnic background", "Indian", 10),)
    assert s.not_reported == () and s.multiple_response == ()


def test_order_sorts_the_rows_and_an_incomplete_order_keeps_the_file_order():
    ordered = _summary([("Age", "30-39", 3, 2), ("Age", "20-29", 2, 1)])
    assert list(sample.summary_rows(ordered)["category"]) == ["20-29", "30-39"]
    partial = _summary([("Age", "30-39", 3, 2), ("Age", "20-29", 2, None)])
    assert list(sample.summary_rows(partial)["category"]) == ["30-39", "20-29"]


def test_not_reported_people_are_counted_and_left_out_of_the_largest_group():
    package = _summary([("Age", "20-29", 2, 1), ("Age", "Not reported", 5, 2),
                        ("Gender", "Men", 7, 3)])
    s = sample.summarise_sample_summary(package)
    assert s.n_participants == 7
    assert s.largest == (("Age", "20-29", 2), ("Gender", "Men", 7))
    assert s.not_reported == (("Age", 5),)
    text = shown(page.summary_sample_text(package, s))
    assert "Age was not reported for 5 participants." in text
    assert "The largest group by age: 20-29 (2, 28.6%)." in text


def test_a_multi_response_summary_has_no_sample_size_and_no_percentages():
    package = _summary([("Services used", "GP", 4, 1), ("Services used", "Helpline", 3, 2)],
                       several=["Services used"])
    assert sample.summary_sample_size(package) is None
    table = sample.summary_sample_table(package)
    assert list(table.columns) == ["characteristic", "category", "n"]
    s = sample.summarise_sample_summary(package)
    text = shown(page.summary_sample_text(package, s))
    assert "its published summary does not give how many" in text
    assert "The largest group by services used: GP (4)." in text
    assert page.sample_table_caption(package) == ("Table 1. Characteristics of the interview "
                                                  "sample, as published (n)")
    note = shown(page.multiple_response_markdown(package).data)
    assert note.startswith("Services used is a multi-response item")


def test_the_sample_sentences_of_the_fathers(fathers):
    s = sample.summarise_sample(fathers)
    text = shown(page.summary_sample_text(fathers, s))
    assert text == (
        "The interview study (Baldwin et al. 2019) spoke with 21 first-time fathers living in "
        "United Kingdom. The data package gives the sample as its published summary: counts "
        "by 1 characteristic (ethnic background), not each participant's row. The largest "
        "group by ethnic background: Indian (10, 47.6%).")
    assert page.sample_table_caption(fathers) == (
        "Table 1. Characteristics of the interview sample, as published (n, % of first-time "
        "fathers)")
    assert shown(page.fieldwork_markdown(fathers, s).data) == (
        "The published summary of the sample does not report when the interviews were held, "
        "how, or how long they lasted.")
    # Nothing about interview modes or dates, and no multi-response note.
    assert page.mode_table(fathers) is None and page.timeline_figure(fathers) is None
    assert page.multiple_response_markdown(fathers) is None


def test_a_summary_says_which_analyses_it_cannot_support(fathers):
    pages = page.per_person_pages(fathers)
    # GRIPP2-SF reports involvement from who interviewed each participant
    assert [p.name for p in pages] == ["interview_subthemes", "saturation", "reporting_gripp2_sf",
                                       "method_saturation"]
    assert pages[1].needs == ("participants", "participant_codes")
    text = shown(page.per_person_markdown(fathers).data)
    assert text.startswith("A published summary gives counts by characteristic, not each "
                           "participant's row or codes")
    assert ("- Thematic saturation of the interviews: needs each participant's row and each "
            "participant's codes") in text
    assert page.left_out_reason(fathers, "saturation") == (
        "a published sample summary gives counts, not each participant's row or each "
        "participant's codes")
    assert page.left_out_reason(fathers, "prevalence") == ""


def test_the_landing_page_gives_the_reason_a_summary_leaves_saturation_out(fathers):
    left_out = [{"page": "saturation", "title": "Thematic saturation of the interviews",
                 "reason": "no participants.csv and no participant_codes.csv"},
                {"page": "prevalence", "title": "Prevalence context",
                 "reason": "no prevalence_studies.csv"}]
    text = shown(intro_page.left_out_markdown(left_out, fathers))
    assert ("- left out: Thematic saturation of the interviews, no participants.csv and no "
            "participant_codes.csv; a published sample summary gives counts, not each "
            "participant's row or each participant's codes") in text
    assert "- left out: Prevalence context, no prevalence_studies.csv\n" in text


def test_a_package_with_each_participant_says_nothing_of_a_summary():
    bundled = load_package(None)
    assert page.per_person_markdown(bundled) is None
    assert page.left_out_reason(bundled, "saturation") == ""
    assert isinstance(sample.summarise_sample(bundled), sample.InterviewSample)


def test_the_diagnosis_is_the_declared_condition():
    bare = DataPackage(Path("x"), {"study": {}}, {})
    pd_study = DataPackage(Path("x"), {"study": {"condition": "'personality disorder'"}}, {})
    assert sample.diagnosis_heading(bare) == "Diagnosis"
    assert sample.diagnosis_heading(pd_study) == "'Personality disorder' diagnosis"
    assert page.diagnosis_words(bare) == "a diagnosis of the condition studied"
    assert page.diagnosis_words(pd_study) == "a 'personality disorder' diagnosis"


def test_the_people_are_counted_in_the_declared_noun():
    fathers = DataPackage(Path("x"), {"study": {"participant_noun": "fathers"}}, {})
    bare = DataPackage(Path("x"), {"study": {}}, {})
    assert page.people_words(fathers, 21) == "21 fathers"
    assert page.people_words(fathers, 1) == "1 participant"
    assert page.people_words(bare, 30) == "30 adults"


@pytest.mark.book
def test_the_fathers_book_builds_and_reads_right(fixture_package_book):
    """The fixture's book, built with warnings as errors: what a reader reads on its
    sample page and landing page."""
    from tests.own_study.test_own_study_scan import visible_text

    result = fixture_package_book(FATHERS.name)
    assert result.failure is None, result.failure
    sample_page = visible_text((result.html / "sample_characteristics.html").read_text(
        encoding="utf-8"))
    assert ("The interview study (Baldwin et al. 2019) spoke with 21 first-time fathers "
            "living in United Kingdom.") in sample_page
    assert "The largest group by ethnic background: Indian (10, 47.6%)." in sample_page
    assert ("Table 1. Characteristics of the interview sample, as published (n, % of "
            "first-time fathers)") in sample_page
    assert "Ethnic background Indian 10 47.6 White British 7 33.3 Spanish 1 4.8" in sample_page
    assert ("Thematic saturation of the interviews: needs each participant’s row and each "
            "participant’s codes") in sample_page
    assert ("The published summary of the sample does not report when the interviews were "
            "held, how, or how long they lasted.") in sample_page
    for word in ("personality disorder", "adults", "Community service use"):
        assert word not in sample_page
    assert not re.search(r"\b(?:nan|None)\b", sample_page)
    landing = visible_text((result.html / "intro.html").read_text(encoding="utf-8"))
    assert ("left out: Thematic saturation of the interviews, no participants.csv and no "
            "participant_codes.csv; a published sample summary gives counts, not each "
            "participant’s row or each participant’s codes") in landing
    assert not (result.html / "saturation.html").exists()
