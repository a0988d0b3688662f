"""The book of a real JBI qualitative review reads correctly for it (issue 24).

Baldwin S, Malone M, Sandall J, Bick D (2018). Mental health and wellbeing during the
transition to fatherhood: a systematic review of first time fathers' experiences. JBI
Database of Systematic Reviews and Implementation Reports 16(11):2118-2191
(tests/fixtures/packages/qes_fathers_jbi: its Table 1, the JBI appraisal of 22 studies,
and the figures of its abstract). The book is built with -W once, and the text of the
appraisal, included-papers, method and cross-walk pages is read as a reader reads it.
"""

from __future__ import annotations

import pytest

from analysis import paths
from tests.own_study.test_own_study_scan import visible_text

FATHERS = paths.ROOT / "tests" / "fixtures" / "packages" / "qes_fathers_jbi"

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def pages(fixture_package_book):
    built = fixture_package_book(FATHERS.name)
    assert built.failure is None, built.failure

    def text(page: str) -> str:
        return visible_text((built.html / f"{page}.html").read_text(encoding="utf-8"))
    return text


def test_the_included_papers_say_what_the_review_did_not_report(pages):
    text = pages("included_papers")
    assert ("The meta-synthesis (Baldwin et al. 2018) included 22 papers reporting 22 "
            "distinct studies (each paper reports a study of its own). Year of publication, "
            "country and number of participants are not reported for any of the papers in "
            "this package.") in text
    assert "Year of publication Not reported 22 100.0" in text
    assert "Setting Not reported 22 100.0" in text
    assert "22.0" not in text and "participant per paper" not in text


def test_the_quality_page_speaks_jbi(pages):
    text = pages("quality")
    assert ("The JBI Critical Appraisal Checklist for Qualitative Research (2017) has no "
            "scoring system [ Lockwood et al. , 2015 ]") in text
    assert ("High: every item answered Yes. Moderate: no item answered No and at most two "
            "answered Unclear. Low: any other paper. This is the book’s default rule.") in text
    assert ("Under the rule default , 9 of the 22 papers are in the high band ( 41 %), 1 in "
            "the moderate band ( 5 %) and 12 in the low band ( 55 %).") in text
    assert ("The review reported that the overall quality of the evidence was moderate to "
            "high") in text
    assert "the computed judgement is different from the published judgement" in text
    assert "Paper Unclear on No on Band S01 Barclay and Lupton none Q7, Q9 Low" in text
    assert "S14 Kao and Long Q9 none Moderate" in text
    assert "Can't tell" not in text and "Can’t tell" not in text and "CASP" not in text


def test_the_method_page_is_the_tools(pages):
    text = pages("method_casp")
    assert "Critical appraisal, and why not to sum its answers" in text
    assert ("appraised with the JBI Critical Appraisal Checklist for Qualitative Research "
            "(2017) [ Lockwood et al. , 2015 ]") in text
    assert "(questions 1 to 5); whether a statement locates the researcher" in text
    assert "Answer Q7 Researcher’s influence , for 10 papers." in text
    assert "CASP" not in text


def test_the_crosswalk_says_what_this_book_left_out(pages):
    text = pages("reporting_entreq")
    assert ("11 items are not reported in this book: the page that reports them is left out, "
            "because the data package lacks what it needs") in text
    assert ("not reported in this book – The page 'Thematic synthesis' is left out of this "
            "book (no framework.csv and no study_codes.csv).") in text
