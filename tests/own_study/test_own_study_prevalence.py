"""Your own study: a prevalence meta-analysis alone builds a book of its own chapters.

The package tests/fixtures/packages/prevalence_only holds one table, prevalence_studies
(nine studies), with its own settings (psychiatric inpatients, people in prison,
forensic outpatients, and secure hospital patients without a study), income groups,
designs and interviewers, a study section naming one prevalence report, no published
figure, and ``"synthetic": false``. Its book must build with warnings as errors, hold
the prevalence chapters and no other, speak in the fixture's own labels and say
nothing that only the two source studies justify.
"""

from __future__ import annotations

import re

import pytest

from analysis import paths
from analysis.contract.validation import load_package, validate
from tests.book.test_book import page_text

pytestmark = pytest.mark.book
FIXTURE = paths.ROOT / "tests" / "fixtures" / "packages" / "prevalence_only"
CHAPTERS = {"intro", "data_dictionary", "prevalence", "prevalence_sensitivity_pm",
            "prevalence_sensitivity_ft", "method_prevalence", "multiverse"}
NOT_BUILT = {"prisma", "sample_characteristics", "appraisal", "quality", "quality_strict",
             "themes", "themes_without_low_quality", "interview_subthemes", "saturation",
             "reporting_entreq", "reporting_coreq", "method_thematic_synthesis",
             "method_casp", "method_cerqual", "method_counting_themes", "method_saturation",
             "reproduction", "reporting_prisma", "reporting_prisma_abstract",
             "reporting_emerge", "reporting_srqr", "reporting_gripp2_sf"}
LEFT_OUT = [
    "left out: Reproduction report (no published figures in the study section of "
    "datapackage.json)",
    "left out: Sample characteristics (no participants.csv and no participant_services.csv)",
    "left out: The included papers (no studies.csv)",
]
LABELS = ("Psychiatric inpatients", "People in prison", "Forensic outpatients",
          "Secure hospital patients", "High income", "Upper-middle income",
          "Lower-middle income", "Interview only vs Screening then interview")
# Words only the two source studies (or the bundled synthetic package) justify, the
# bundled package's settings, and a missing value printed as a word.
FORBIDDEN = re.compile(r"England|English|COVID|pandemic|Troup|Trevillion|synthetic|"
                       r"invented|calibrat|Winsper|Moran|Beckwith|Coid|community|"
                       r"primary care|Psychiatric outpatients|29 papers|30 participants|30 adults",
                       re.IGNORECASE)
MISSING = re.compile(r"\b(nan|NaN|None|inf)\b")


@pytest.fixture(scope="module")
def book(fixture_package_book):
    built = fixture_package_book(FIXTURE.name)  # shared with the own-study scan
    assert built.failure is None, built.failure
    return built, list(built.lines)


def test_the_fixture_is_valid_and_not_synthetic():
    report = validate(FIXTURE)
    assert report.ok, report.format()
    package = load_package(FIXTURE)
    assert not package.synthetic and not package.study.published
    assert set(package.tables) == {"prevalence_studies"} and len(package["prevalence_studies"]) == 9
    assert package.vocabulary_sources[("prevalence_studies", "setting")] == "datapackage.json"
    assert [r.review for r in package.study.reports] == ["prevalence"]


def test_only_the_prevalence_chapters_are_built(book):
    result, lines = book
    built = {p.stem for p in result.html.glob("*.html")}
    assert CHAPTERS <= built
    assert not NOT_BUILT & built
    for line in LEFT_OUT:
        assert line in lines, lines


def test_the_prevalence_page_speaks_of_the_fixtures_settings(book):
    result, _ = book
    text = page_text(result.html, "prevalence")
    for label in LABELS:
        assert label in text, label
    assert "Secure hospital patients : no study of this data package." in text
    assert "Lower-middle income : no study of this setting." in text
    # No main subset declared (study.prevalence.main): the main analysis pools every study.
    assert "Pooled over all 9 studies of this data package, the prevalence is" in text
    assert "By country income group, over all 9 studies:" in text
    assert "The 9 studies of this data package disagree" in text
    assert "Forensic outpatients has a single study and no interval of this kind." in text
    # No published figure: no comparison, no sentence about one.
    assert "published" not in text.lower() and "Re-analysing" not in text
    assert "Published, %" not in text
    assert "{glue" not in text


def test_the_multiverse_page_follows_the_fixtures_codes(book):
    result, _ = book
    text = page_text(result.html, "multiverse")
    assert "the 4 studies of the setting Psychiatric inpatients" in text
    assert "screen then interview" in text and "psychiatrist" in text
    assert "1 declared rule is set aside: it names only codes these studies do not have." \
        in text
    assert "the package's studies have no interviewer clinician or lay" in text
    assert "This data package has no quality appraisal" in text
    assert "This data package has no coded meta-synthesis" in text
    assert "the same as the Prevalence context page’s" in text
    assert "Support of each theme" not in text and "{glue" not in text


def test_the_method_page_reads_the_fixture(book):
    result, _ = book
    text = page_text(result.html, "method_prevalence")
    assert "What is the pooled prevalence over all 9 studies" in text
    assert "prevalence_only" in text  # the exercises' code loads this package


def test_no_page_says_what_only_the_source_studies_justify(book):
    result, _ = book
    for page in sorted(CHAPTERS):
        text = page_text(result.html, page)
        for pattern in (FORBIDDEN, MISSING):
            found = pattern.search(text)
            assert found is None, f"{page}: {text[max(0, found.start() - 80):found.end() + 80]}"
