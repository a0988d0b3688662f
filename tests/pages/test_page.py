"""The pages of the book (analysis.pages.page): one Page type, read by one parser,
strictly for the build and forgivingly for a page that asks."""

from __future__ import annotations

import pytest
import yaml

from analysis import paths
from analysis.contract.errors import InputError
from analysis.pages.page import Page, page_label, parse_pages, read_pages


def test_the_forgiving_reader_reads_what_the_strict_one_reads():
    strict = parse_pages()
    assert read_pages(paths.PAGES) == tuple(parse_pages(paths.PAGES, notebooks=None))
    assert [(p.name, p.part, p.notebook, p.title, p.needs) for p in read_pages()] == [
        (p.name, p.part, p.notebook, p.title, p.needs) for p in strict]
    assert strict[0] == Page("intro", "About this book", "intro", needs=())


@pytest.mark.parametrize("text, says", [
    ("parts: []\n", "it must be a mapping with a list of parts"),
    ("parts:\n  - caption: A\n    pages:\n      - page: intro\n      - page: intro\n",
     "page names must be unique; repeated: intro"),
    ("parts:\n  - caption: A\n    pages:\n      - page: a\n        needs: studies\n",
     "'needs' must be a list of the tables the page shows"),
])
def test_a_wrong_pages_file_stops_the_build_and_gives_a_page_no_pages(tmp_path, text, says):
    path = tmp_path / "pages.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=says):
        parse_pages(path)
    assert read_pages(path) == ()


def test_the_forgiving_reader_reads_a_changed_file_again(tmp_path):
    path = tmp_path / "pages.yml"
    spec = {"parts": [{"caption": "A", "pages": [{"page": "intro", "notebook": "intro"}]}]}
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert [p.name for p in read_pages(path)] == ["intro"]
    spec["parts"][0]["pages"].append({"page": "extra", "title": "Extra"})
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert [p.label for p in read_pages(path)] == [page_label("intro", "intro"), "Extra"]


def test_a_page_is_named_by_its_title_heading_or_name():
    assert Page("x", "A", "prevalence", title="Given").label == "Given"
    assert Page("prevalence", "A", "prevalence").label == "Prevalence context"
    assert Page("no_such_page", "A").label == "No such page"
    assert Page("x", "A", "prevalence").template == paths.NOTEBOOKS / "prevalence.ipynb"
    assert Page("x", "A").template is None
