"""The pages file in the execution cache: which pages re-run when it changes.

No notebook runs here: each page's key is recorded as a build records it
(:func:`analysis.engine.cache.record_execution`, with the table log a kernel writes),
then the next build's plan is read (:func:`analysis.engine.cache.plan_pages`).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from analysis import paths
from analysis.contract.files import PackageFiles
from analysis.pages.needs import ASKED_PREFIX, in_book
from analysis.contract.validation import load_package
from analysis.engine.cache import plan_pages, record_execution
from analysis.engine.pages import available_inputs, load_pages, select_pages
from tests.plan_in_force import plan_in_force

FIXTURE = Path(__file__).parents[1] / "fixtures" / "packages" / "appraisal_only"


def _selection(pages_file: Path):
    package = PackageFiles.at(FIXTURE)
    return select_pages(load_pages(pages_file), available_inputs(package.descriptor(),
                                                                 FIXTURE))


def _executed(pages, executed: Path, asked: dict[str, list[str]] | None = None) -> None:
    """Record every page as executed, each having read every table and asked about the
    pages ``asked`` gives it."""
    hashes = PackageFiles.at(FIXTURE).hashes
    book = frozenset(p.name for p in pages)
    for page in pages:
        if page.notebook is None:
            continue
        lines = ["studies", "casp_ratings"] + [ASKED_PREFIX + name
                                               for name in (asked or {}).get(page.name, [])]
        (executed / f"{page.name}.reads").write_text("\n".join(lines) + "\n")
        (executed / f"{page.name}.ipynb").write_text("{}")
        record_execution(page, "first", 1.0, executed, hashes, "code", book)


def _plan(pages, executed: Path) -> dict[str, str]:
    results, pending = plan_pages(pages, executed, PackageFiles.at(FIXTURE).hashes, "code",
                                  force=False)
    return {page.name: reason for page, reason in pending}


def _pages_file(tmp_path: Path, edit) -> Path:
    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    edit(spec)
    path = tmp_path / f"pages-{len(list(tmp_path.glob('pages-*.yml')))}.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _page(spec: dict, name: str) -> dict:
    return next(p for part in spec["parts"] for p in part["pages"] if p["page"] == name)


def test_editing_what_the_pages_file_leaves_out_re_executes_the_landing_page(tmp_path):
    executed = tmp_path / "executed"
    executed.mkdir()
    first = _selection(paths.PAGES)
    _executed(first.pages, executed)
    assert _plan(first.pages, executed) == {}  # nothing changed, nothing re-runs

    # The landing page lists the pages left out: retitling one of them is news to it.
    def retitle(spec):
        _page(spec, "prevalence")["title"] = "Pooled prevalence"

    second = _selection(_pages_file(tmp_path, retitle))
    assert {"page": "prevalence", "title": "Pooled prevalence",
            "reason": "no prevalence_studies.csv"} in second.pages[0].parameters["left_out"]
    assert _plan(second.pages, executed) == {"intro": "parameters changed"}

    # A parameter of a page the book has re-runs that page alone.
    def stricter(spec):
        _page(spec, "quality_strict")["parameters"]["banding_rule"]["moderate"][
            "max_cant_tell"] = 0

    third = _selection(_pages_file(tmp_path, stricter))
    assert _plan(third.pages, executed) == {"quality_strict": "parameters changed"}


def test_a_page_that_links_to_another_re_runs_when_the_book_loses_it(tmp_path):
    executed = tmp_path / "executed"
    executed.mkdir()
    first = _selection(paths.PAGES)
    names = [p.name for p in first.pages]
    assert "appraisal" in names and "quality" in names
    # The quality and CASP method pages send the reader to the appraisal page.
    _executed(first.pages, executed, {"quality": ["appraisal"],
                                      "quality_strict": ["appraisal"],
                                      "method_casp": ["appraisal"]})
    stored = json.loads((executed / "quality.key.json").read_text())
    assert stored["asked"] == ["appraisal"] and stored["parts"]["pages"] == {"appraisal": True}
    assert stored["reads"] == ["casp_ratings.csv", "studies.csv"]

    def without_appraisal(spec):
        for part in spec["parts"]:
            part["pages"] = [p for p in part["pages"] if p["page"] != "appraisal"]

    second = _selection(_pages_file(tmp_path, without_appraisal))
    why = "pages it links to changed: appraisal left out"
    assert _plan(second.pages, executed) == {"quality": why, "quality_strict": why,
                                             "method_casp": why}


def test_a_page_records_the_pages_it_asked_about(tmp_path, monkeypatch):
    log = tmp_path / "quality.reads"
    package = load_package(FIXTURE)
    package.log_reads = True
    plan_in_force(monkeypatch, tmp_path, "quality")  # its table log: quality.reads
    assert in_book(package, "appraisal")
    # the question, and the table its answer depends on (the reviewers)
    assert set(log.read_text().splitlines()) == {f"{ASKED_PREFIX}appraisal", "casp_ratings"}

    # With the build's pages file, which leaves the appraisal page out.
    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    for part in spec["parts"]:
        part["pages"] = [p for p in part["pages"] if p["page"] != "appraisal"]
    pages_file = tmp_path / "pages.yml"
    pages_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    plan_in_force(monkeypatch, tmp_path, "quality", name="plan2.json",
                  pages_file=str(pages_file))
    assert not in_book(package, "appraisal") and in_book(package, "quality")


def test_the_same_bytes_in_another_folder_re_execute_the_pages_that_show_it(tmp_path):
    # A page shows its data folder among its parameters: reused from another folder, it
    # would show the folder it was not built from.
    executed = tmp_path / "executed"
    executed.mkdir()
    pages = _selection(paths.PAGES).pages
    hashes = PackageFiles.at(FIXTURE).hashes
    for page in pages:
        if page.notebook is not None:
            (executed / f"{page.name}.reads").write_text("studies\ncasp_ratings\n")
            (executed / f"{page.name}.ipynb").write_text("{}")
            record_execution(page, "first", 1.0, executed, hashes, "code",
                             frozenset(p.name for p in pages), str(FIXTURE))
    here, _ = plan_pages(pages, executed, hashes, "code", force=False, data_dir=str(FIXTURE))
    _, moved = plan_pages(pages, executed, hashes, "code", force=False,
                          data_dir=str(tmp_path / "copy"))
    notebooks = {page.name for page in pages if page.notebook is not None}
    assert {name for name, result in here.items() if result.status == "reused"} == notebooks
    assert {page.name: reason for page, reason in moved} == dict.fromkeys(
        notebooks, "data package moved")
