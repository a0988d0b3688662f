"""A book built on a meta-synthesis alone, a package unlike the bundled one.

The package (tests/fixtures/packages/metasynthesis_only, written by
tests/fixtures/make_metasynthesis_only.py, seed 20240612) has 47 papers, five themes,
three independent reviewers (AB, CD, EF) whose agreed answers are labelled 'agreed', no
interview study, no prevalence studies and no published figures. The book built on it
must hold the chapters of those tables only, and no page may state a fact that only the
two source studies of the bundled package justify.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.plan import PLAN_ENV
from analysis.contract.validation import load_package, validate
from analysis.engine.build import build
from tests.conftest import METASYNTHESIS_ONLY

pytestmark = pytest.mark.book

FIXTURE = METASYNTHESIS_ONLY
THEMES = ["T1 Finding a way in", "T2 Relationships that hold", "T3 Carrying the load at home",
          "T4 Information and involvement", "T5 Looking ahead"]
REVIEWERS = ["AB", "CD", "EF"]
KEPT = ["intro", "data_dictionary", "prisma", "included_papers", "appraisal", "quality",
        "quality_strict", "cerqual", "method_casp", "themes", "themes_without_low_quality",
        "reporting_prisma", "reporting_prisma_abstract", "reporting_entreq",
        "reporting_emerge", "method_thematic_synthesis", "method_cerqual",
        "method_counting_themes", "provenance", "references"]
LEFT_OUT = ["sample_characteristics", "prevalence", "prevalence_sensitivity_pm",
            "prevalence_sensitivity_ft", "interview_subthemes", "saturation", "multiverse",
            "reporting_coreq", "reporting_srqr", "reporting_gripp2_sf", "method_prevalence",
            "method_saturation", "reproduction"]
QUALITY_PAGES_PENDING: set[str] = set()  # pages once left out here; none now
PENDING_NEED = "agreed_label_in_stats_quality"
# Words only the source studies of the bundled package justify, and what a failed
# computation prints.
SOURCE_WORDS = re.compile(r"England|English|COVID|pandemic|Troup|Trevillion|[Ss]ynthetic|"
                          r"[Ii]nvented|\b29 papers\b|\b30 participants\b|published judgement|"
                          r"reported moderate|data_synthetic|[Cc]linician|service-user")
NOT_A_NUMBER = re.compile(r"\b(nan|NaN|None|inf)\b")


def page_text(html_dir: Path, page: str, code: bool = True) -> str:
    """The visible text of a page, whitespace folded (without code blocks if asked)."""
    raw = (html_dir / f"{page}.html").read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", raw, flags=re.S)
    if not code:
        raw = re.sub(r"<pre[^>]*>.*?</pre>", " ", raw, flags=re.S)
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))
    return re.sub(r" ([.,:;)])", r"\1", text)


def _pages_file(tmp: Path) -> Path:
    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    for part in spec["parts"]:
        for entry in part["pages"]:
            if entry["page"] in QUALITY_PAGES_PENDING:
                entry["needs"] = [*entry.get("needs", []), PENDING_NEED]
    path = tmp / "pages.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Book:
    html: Path


@pytest.fixture(scope="module")
def book(tmp_path_factory, fixture_package_book):
    if not QUALITY_PAGES_PENDING:
        # The pages file would be book/pages.yml as it is: the fixture's own book, shared
        # with the own-study scan (tests/conftest.py fixture_package_book).
        built = fixture_package_book(FIXTURE.name)
        assert built.failure is None, built.failure
        assert not built.plan_env_left  # checked in the process that built it
        return Book(built.html), "\n".join(built.lines)
    root = tmp_path_factory.mktemp("metasynthesis_book")
    pages_file = _pages_file(root)
    lines: list[str] = []
    # The pages ask which other pages the book has: the build hands them its pages file
    # in its plan (analysis.plan), and restores the environment afterwards.
    result = build(data_dir=FIXTURE, jobs=1, build_root=root, pages_file=pages_file,
                   say=lines.append)
    assert PLAN_ENV not in os.environ
    return Book(result.html), "\n".join(lines)


def test_the_fixture_is_a_valid_metasynthesis_of_three_reviewers():
    assert validate(FIXTURE).ok
    package = load_package(FIXTURE)
    assert set(package.tables) == {"studies", "casp_ratings", "framework", "study_codes",
                                   "search_flow", "cerqual"}
    assert len(package["studies"]) == 47 and not package.synthetic
    assert package["framework"]["theme_id"].nunique() == 5
    assert set(package["framework"]["review"]) == {"meta_synthesis"}
    reviewers = sorted(set(package["casp_ratings"]["reviewer"]) - {"agreed"})
    assert reviewers == REVIEWERS and package.study.agreed_label == "agreed"
    assert package.study.published == ()


def test_the_fixture_is_what_its_script_writes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_metasynthesis_only", FIXTURE.parents[1] / "make_metasynthesis_only.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.write(tmp_path / "again")
    for path in sorted(FIXTURE.iterdir()):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_book_has_the_chapters_of_its_tables_only(book):
    result, said = book
    built = {p.stem for p in result.html.glob("*.html")}
    assert set(KEPT) <= built
    assert not built & set(LEFT_OUT)
    landing = page_text(result.html, "intro")
    assert "left out: Reproduction" in said and "left out: Reproduction" in landing
    assert "left out: Sample characteristics" in landing


def test_the_themes_pages_show_five_themes(book):
    result, _ = book
    for page in ("themes", "themes_without_low_quality"):
        text = page_text(result.html, page)
        assert "The synthesis has 5 themes and 15 sub-themes" in text, page
        for theme in THEMES:
            assert theme in text, (page, theme)
        assert "T6 " not in text
        assert re.search(r"labelled\W+agreed\W+in the data", text), page
    assert "This page counts 47 papers from 42 distinct studies" in page_text(result.html,
                                                                               "themes")


def test_the_method_pages_work_on_this_package(book):
    result, _ = book
    counting = page_text(result.html, "method_counting_themes")
    assert f'load_package("{FIXTURE}")' in re.sub(r"\s", "", counting)  # code: tokens apart
    assert "supported by 39 of the 47 papers" in counting
    cerqual = page_text(result.html, "method_cerqual")
    assert "5 findings: 1 high" in cerqual
    thematic = page_text(result.html, "method_thematic_synthesis")
    assert "15 sub-themes under 5 themes" in thematic


def test_the_prisma_page_draws_this_packages_search(book):
    result, _ = book
    text = page_text(result.html, "prisma")
    assert "The searches identified 6,154 records from 6 sources" in text
    assert "The review included 47 papers" in text
    assert "reporting 42 distinct studies" in text
    assert "sample characteristics" not in text.lower()  # a page this book does not have


def test_the_data_dictionary_describes_this_package(book):
    result, _ = book
    text = page_text(result.html, "data_dictionary")
    for file in ("studies.csv", "casp_ratings.csv", "framework.csv", "study_codes.csv",
                 "search_flow.csv", "cerqual.csv"):
        assert f"Columns of {file}" in text
    for absent in ("participants.csv", "prevalence_studies.csv", "participant_codes.csv"):
        assert absent not in text
    assert "python -m analysis init" in text
    assert re.search(r"the reviewer label\W+agreed\W", text)


def test_no_page_says_what_only_the_source_studies_justify(book):
    result, _ = book
    for page in KEPT[:-2]:  # provenance and references are not of this chapter's making
        text = page_text(result.html, page)
        if page == "data_dictionary":  # the contract's column name, not a claim
            text = text.replace("n_clinicians", "n_people")
        assert not SOURCE_WORDS.findall(text), (page, SOURCE_WORDS.findall(text))
        assert not NOT_A_NUMBER.findall(page_text(result.html, page, code=False)), page
        assert "{glue" not in text and "IPython.core.display" not in text, page


def test_the_quality_pages_build(book):
    result, _ = book
    appraisal = page_text(result.html, "appraisal")
    for reviewer in REVIEWERS:
        assert reviewer in appraisal
    for page in ("appraisal", "quality", "quality_strict", "method_casp"):
        text = page_text(result.html, page)
        assert not SOURCE_WORDS.findall(text), (page, SOURCE_WORDS.findall(text))
