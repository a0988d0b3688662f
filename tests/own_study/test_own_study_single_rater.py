"""A single-rater appraisal (the agreed answers only) builds a book without the agreement page.

The appraisal fixture (two reviewers and their consensus) is copied with its consensus
rows alone: a review appraised by one person, or one whose independent answers were not
kept. The book is built once, with warnings as errors; the appraisal page, whose subject
is the reviewers' agreement, is left out and said to be, and no other page sends the
reader to it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.engine.build import build
from tests.book.test_book import page_text
from tests.own_study.test_own_study_scan import allowed_words, report, scan_book

FIXTURE = Path(__file__).parents[1] / "fixtures" / "packages" / "appraisal_only"
REASON = "casp_ratings.csv has no two independent reviewers to compare (a single-rater appraisal)"


@pytest.fixture(scope="module")
def single_rater_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("single_rater") / "package"
    shutil.copytree(FIXTURE, folder)
    ratings = folder / "casp_ratings.csv"
    header, *rows = ratings.read_text(encoding="utf-8").splitlines()
    ratings.write_text("\n".join([header] + [r for r in rows if ",consensus," in r]) + "\n",
                       encoding="utf-8")
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["study"]["description"] = ("Six qualitative papers on peer support workers "
                                          "in primary care, each appraised with the CASP "
                                          "Qualitative Checklist by one reviewer.")
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2),
                                             encoding="utf-8")
    said: list[str] = []
    result = build(data_dir=folder, jobs=2, build_root=folder.parent / "root", say=said.append)
    return result, said, descriptor


@pytest.mark.book
def test_the_agreement_page_is_left_out_and_said_to_be(single_rater_book):
    result, said, _ = single_rater_book
    assert f"left out: Appraisal and reviewer agreement ({REASON})" in said
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert {"page": "appraisal", "title": "Appraisal and reviewer agreement",
            "reason": REASON} in manifest["left_out"]
    built = {page["name"] for page in manifest["pages"]}
    assert {"intro", "quality", "quality_strict", "method_casp"} <= built
    assert "appraisal" not in built and not (result.html / "appraisal.html").exists()
    landing = page_text(result.html, "intro")
    assert f"left out: Appraisal and reviewer agreement, {REASON}" in landing
    assert "The data package does not hold what these chapters show" in landing


@pytest.mark.book
def test_no_page_sends_the_reader_to_the_agreement_page(single_rater_book):
    result, _, descriptor = single_rater_book
    for page in ("quality", "quality_strict", "method_casp"):
        text = page_text(result.html, page)
        assert "appraisal page" not in text, page
        assert 'href="appraisal' not in (result.html / f"{page}.html").read_text(), page
    # The quality page still shows every agreed answer, and its rule.
    quality = page_text(result.html, "quality")
    assert "The consensus answers of every paper" in quality
    assert "Critical appraisal, and why not to sum its answers" in page_text(result.html,
                                                                        "method_casp")
    found = scan_book(result.html, allowed_words(descriptor))
    if found:
        pytest.fail(report("single rater", found), pytrace=False)


@pytest.mark.book
def test_with_two_reviewers_the_same_pages_link_to_it(tmp_path_factory, fixture_package_book):
    import shutil

    # The fixture's own book, shared with the own-study scan (tests/conftest.py).
    built = fixture_package_book(FIXTURE.name)
    assert built.failure is None, built.failure
    html = built.html
    assert (html / "appraisal.html").exists()
    assert ("The checklist, the reviewers\u2019 answers and their agreement are on the "
            "appraisal page.") in page_text(html, "quality")  # typographic quotes
    method = page_text(html, "method_casp")
    assert "The appraisal page applies it." in method
    assert "The appraisal page reports how far this book\u2019s reviewers agreed" in method
    assert 'href="appraisal.html"' in (html / "quality.html").read_text()

    # Built again from a pages file without the appraisal page: the file reaches the
    # pages' kernels, and the pages that linked to it (only they) run again. In a copy
    # of the shared book's build root, which other tests read as it is.
    import yaml

    from analysis import paths

    root = tmp_path_factory.mktemp("two_reviewers") / "root"
    shutil.copytree(html.parents[1], root, symlinks=True)

    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    for part in spec["parts"]:
        part["pages"] = [p for p in part["pages"] if p["page"] != "appraisal"]
    pages_file = root / "pages.yml"
    pages_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                          encoding="utf-8")
    said: list[str] = []
    again = build(data_dir=FIXTURE, jobs=2, build_root=root, pages_file=pages_file,
                  say=said.append)
    executed = {r.name: r.reason for r in again.pages if r.status == "executed"}
    why = "pages it links to changed: appraisal left out"
    assert executed == {"quality": why, "quality_strict": why, "method_casp": why}
    assert "appraisal page" not in page_text(again.html, "quality")
    assert "The appraisal page" not in page_text(again.html, "method_casp")
