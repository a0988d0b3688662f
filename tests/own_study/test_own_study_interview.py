"""Your own study: an interview study outside England builds a book of its own chapters.

The package tests/fixtures/packages/interview_scotland holds only the tables of an
interview study (participants, their services and codes, and a framework of two central
themes), declares Scotland as its setting with health boards as its regions, its own
ethnicity, mode, role and service vocabularies, no suspension of fieldwork and no
published figure. Its book must build with warnings as errors, hold the interview
chapters and no other, and say nothing that only the two source studies justify.
"""

from __future__ import annotations

import re

import pytest

from analysis import paths
from analysis.contract.validation import load_package, validate
from tests.book.test_book import page_text

pytestmark = pytest.mark.book
FIXTURE = paths.ROOT / "tests" / "fixtures" / "packages" / "interview_scotland"
CHAPTERS = {"sample_characteristics", "interview_subthemes", "saturation",
            "reporting_coreq", "reporting_srqr", "reporting_gripp2_sf", "method_saturation"}
NOT_BUILT = {"included_papers", "prisma", "themes", "appraisal", "quality", "prevalence",
             "multiverse", "reporting_entreq", "reproduction", "reporting_prisma",
             "reporting_prisma_abstract", "reporting_emerge"}
# Words only the two source studies (or the bundled synthetic package) justify.
FORBIDDEN = re.compile(r"England|English|COVID|pandemic|Troup|Trevillion|synthetic|"
                       r"invented|29 papers|30 participants|30 adults", re.IGNORECASE)
MISSING = re.compile(r"\b(nan|NaN|None|inf)\b")  # a missing value printed as a word


@pytest.fixture(scope="module")
def book(fixture_package_book):
    built = fixture_package_book(FIXTURE.name)  # shared with the own-study scan
    assert built.failure is None, built.failure
    return built, list(built.lines)


def test_the_fixture_is_valid_and_not_synthetic():
    report = validate(FIXTURE)
    assert report.ok, report.format()
    package = load_package(FIXTURE)
    assert not package.synthetic
    assert set(package.tables) == {"participants", "participant_services",
                                   "participant_codes", "framework"}
    assert package.study.setting.country == "Scotland" and not package.study.suspensions
    assert package.vocabulary_sources[("participants", "region")] == "datapackage.json"


def test_only_the_interview_chapters_are_built(book):
    result, lines = book
    built = {p.stem for p in result.html.glob("*.html")}
    assert CHAPTERS <= built
    assert not NOT_BUILT & built
    assert any(line.startswith("left out: The included papers (no studies.csv")
               for line in lines), lines


def test_the_sample_page_speaks_of_health_boards_in_scotland(book):
    result, _ = book
    text = page_text(result.html, "sample_characteristics")
    assert "spoke with 12 adults living in Scotland" in text
    assert "They lived in 5 health boards; health boards with nobody sampled: Ayrshire and " \
           "Arran, Fife." in text
    for board in ("Lothian", "Greater Glasgow and Clyde", "Grampian", "Tayside", "Highland"):
        assert board in text
    assert "Health board" in text and "Asian, Asian Scottish or Asian British" in text
    assert "Video call (Near Me)" in text and "Telephone" in text
    assert "peer researcher (8 interviews) and academic researcher (4)" in text
    # No suspension declared: no pause, and the mode table is simply by mode.
    assert "Interviews ran from February 2022 to November 2022. They lasted" in text
    assert "Interviews by mode " in text and "suspen" not in text


def test_two_central_themes_and_saturation_not_reached(book):
    result, _ = book
    themes = page_text(result.html, "interview_subthemes")
    assert ("centred on 2 themes, Being believed (3 sub-themes) and Keeping in contact "
            "(2 sub-themes)") in themes
    assert "Participants raising each theme and sub-theme" in themes
    assert "Peer researcher (N=8)" in themes and "GP practice (N=7)" in themes  # own labels
    saturation = page_text(result.html, "saturation")
    assert "saturation was not reached within 12 interviews" in saturation
    assert "The order actually held did not reach saturation" in saturation
    exercises = page_text(result.html, "method_saturation")
    assert "not reached within 12 interviews" in exercises


def test_no_page_says_what_only_the_source_studies_justify(book):
    result, _ = book
    for page in sorted(CHAPTERS | {"intro"}):
        text = page_text(result.html, page)
        for pattern in (FORBIDDEN, MISSING):
            found = pattern.search(text)
            assert found is None, f"{page}: {text[max(0, found.start() - 80):found.end() + 80]}"
