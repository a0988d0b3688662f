"""Theme pages with a codebook of real size (issue 29): above the page parameter
``compact_above`` a page lists the themes and the most widely supported sub-themes and
draws the most widely supported themes, and every row is in its CSV file; up to it the
page lists every row, as the bundled book does.

The small fixture is the one of tests/stats/test_themes.py: five papers; theme T1 with T1.1
(papers S01, S02, S05; 3 + 2 + 1 excerpts) and T1.2 (S02, S03; 1 + 4), theme T2 with
T2.1, which no paper supports. A threshold of 2 sub-themes makes its page compact.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from analysis.chapters import themes as themes_page
from analysis.stats import quality, themes
from tests.plan_in_force import plan_in_force
from tests.stats.test_themes import CASP, FRAMEWORK, STUDIES, STUDY_CODES


@pytest.fixture
def support() -> themes.ThemeSupport:
    return themes.ThemeSupport.from_tables(STUDIES, STUDY_CODES, FRAMEWORK,
                                           quality.paper_bands(CASP), countries=["UK"])


@pytest.fixture
def tables_dir(tmp_path, monkeypatch):
    """Where the page's tables go during a build: <page>.run.tables."""
    plan_in_force(monkeypatch, tmp_path, page="themes")
    return tmp_path / "themes.run.tables"


def _unescaped(shown) -> str:
    """A displayed Markdown's text without MyST's escapes (``sub\\-themes``)."""
    return shown.data.replace("\\", "")


def _shown_rows(shown) -> list[str]:
    return [str(label).strip() for label in shown.data.iloc[:, 0]]


def test_a_codebook_up_to_the_threshold_is_listed_whole(support):
    shape = themes_page.layout(support, compact_above=3)
    assert (shape.compact, shape.n_rows) == (False, 3)
    view = themes_page.frequency_view(themes.frequency_table(support))
    shown = themes_page.show_rows(view, shape, "Support")
    assert len(shown.data) == 5 and shown.caption == "Support"
    assert themes_page.top_subthemes(view, shape) is None
    assert themes_page.compact_note(shape) is None
    assert themes_page.matrix_download(support, shape) is None
    assert themes_page.matrix_shown(support, shape) is support


def test_a_compact_page_lists_the_themes_and_publishes_every_row(support, tables_dir):
    shape = themes_page.layout(support, compact_above=2)
    assert shape.compact
    view = themes_page.frequency_view(themes.frequency_table(support))
    shown = themes_page.show_rows(view, shape, "Support")
    assert _shown_rows(shown) == ["T1 First theme", "T2 Unsupported theme"]
    assert shown.caption == "Support; themes only, every sub-theme in the CSV file"
    published = pd.read_csv(tables_dir / "support.csv")
    assert len(published) == 5  # two themes and three sub-themes
    # named as the whole table is on a page that lists it whole
    assert 'href="tables/themes/support.csv"' in shown._repr_html_()


def test_a_compact_page_names_the_most_supported_subthemes(support, monkeypatch):
    monkeypatch.setattr(themes_page, "COMPACT_ROWS", 1)
    shape = themes_page.layout(support, compact_above=2)
    view = themes_page.frequency_view(themes.frequency_table(support))
    top = themes_page.top_subthemes(view, shape)
    assert _shown_rows(top) == ["T1.1 One"]  # three papers; T1.2 has two
    assert top.caption == "The 1 sub-themes most papers support, of 3"


def test_theme_level_support_sums_the_subthemes(support):
    whole = support.at_theme_level()
    assert themes.theme_level(whole.framework)
    assert whole.excerpts["T1"].to_dict() == {"S01": 3, "S02": 3, "S03": 4, "S04": 0, "S05": 1}
    assert whole.excerpts["T2"].sum() == 0
    assert support.most_supported_themes(1) == ["T1"]
    assert list(support.at_theme_level(["T2"]).excerpts.columns) == ["T2"]


def test_a_compact_page_draws_the_most_supported_themes(support, monkeypatch, tables_dir):
    monkeypatch.setattr(themes_page, "COMPACT_ROWS", 1)
    shape = themes_page.layout(support, compact_above=2)
    drawn = themes_page.matrix_shown(support, shape)
    assert list(drawn.excerpts.columns) == ["T1"]
    caption = _unescaped(themes_page.heatmap_markdown(support, shape))
    assert "Drawn: the 1 themes most papers support, of 2" in caption
    download = themes_page.matrix_download(support, shape)
    matrix = pd.read_csv(tables_dir / "excerpts_coded_per_sub_theme_and_paper.csv")
    assert matrix.shape == (3, 6)  # a sub-theme a row: its label and the five papers
    assert matrix.iloc[0].tolist() == ["T1 / T1.1", 3, 2, 0, 0, 1]
    assert "excerpts_coded_per_sub_theme_and_paper.csv" in download._repr_html_()


def test_a_compact_page_shows_the_pairs_of_the_most_supported_themes(support, monkeypatch,
                                                                     tables_dir):
    monkeypatch.setattr(themes_page, "COMPACT_ROWS", 1)
    shape = themes_page.layout(support, compact_above=2)
    shown = themes_page.show_cooccurrence(themes.cooccurrence(support), support, shape)
    assert shown.data.shape == (1, 2) and shown.data.iloc[0, 1] == 4  # label, T1
    assert pd.read_csv(tables_dir / "papers_supporting_both_themes.csv").shape == (2, 3)


def test_a_compact_sensitivity_figure_draws_themes_whose_share_fell_most(support, monkeypatch):
    monkeypatch.setattr(themes_page, "COMPACT_ROWS", 1)
    shape = themes_page.layout(support, compact_above=2)
    table = themes.quality_sensitivity(support, ["low"], 2)
    rows = themes_page.sensitivity_rows(table, shape)
    # Leaving out S03 and S05 takes T1 from 4 of 5 papers to 2 of 3; T2 stays at none.
    assert rows["theme_id"].tolist() == ["T1"] and rows["level"].tolist() == ["theme"]
    assert themes_page.sensitivity_rows(table, themes_page.layout(support, 3)) is table


def test_the_threshold_is_stated_on_a_compact_page(support):
    note = _unescaped(themes_page.compact_note(themes_page.layout(support, compact_above=2)))
    assert "This codebook has 3 sub-themes, more than the 2 this page lists one by one" in note
    assert "compact_above" in note


@pytest.mark.book
def test_a_thousand_subthemes_build_theme_pages_under_two_megabytes(tmp_path):
    """The generated 1,000-sub-theme package (``synth --subthemes 1000``) builds its two
    theme pages, each page with the figures it shows under 2 MB; the whole book's time
    and page weights are in the benchmark (``python -m benchmarks --subthemes 1000``)."""
    from analysis import paths
    from analysis.engine.build import build
    from analysis.synth import generate
    from benchmarks.bench_codebook import PAGE_LIMIT_BYTES, page_weights

    generate(out_dir=tmp_path / "data", subthemes=1000)
    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    keep = {"intro", "themes", "themes_without_low_quality", "references"}
    for part in spec["parts"]:
        part["pages"] = [p for p in part["pages"] if p["page"] in keep]
    spec["parts"] = [part for part in spec["parts"] if part["pages"]]
    pages_file = tmp_path / "pages.yml"
    pages_file.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True),
                          encoding="utf-8")
    result = build(data_dir=tmp_path / "data", jobs=2, build_root=tmp_path / "root",
                   pages_file=pages_file, say=lambda line: None)
    weights = page_weights(result.html)
    assert {"themes", "themes_without_low_quality"} <= set(weights)
    assert max(weights.values()) < PAGE_LIMIT_BYTES, weights
    text = (result.html / "themes.html").read_text(encoding="utf-8")
    assert "This codebook has 1,000 sub-themes" in text
    tables = result.html / "tables" / "themes"
    frequency = next(tables.glob("support_for_each_theme_and_sub_theme*.csv"))
    assert len(pd.read_csv(frequency)) == 1100  # 100 themes and their 1,000 sub-themes


def test_a_long_list_of_flagged_rows_names_the_first_and_counts_the_rest(monkeypatch):
    monkeypatch.setattr(themes_page, "LISTED_ROWS", 2)
    summary = themes.SensitivitySummary(
        excluded_bands="low", n_papers_all=10, n_papers_excluded=2, n_papers_kept=8,
        n_studies_kept=8, min_studies=3, n_flagged=3, flagged="a (single study); "
        "b (no support); c (no support)", n_newly_flagged=3, newly_flagged="a; b; c",
        largest_drop="none", left_out_bands=("low",), newly_flagged_rows=("a", "b", "c"),
        flagged_rows=("a (single study)", "b (no support)", "c (no support)"))
    words = themes_page.sensitivity_words(summary)
    assert words.flagged_listed == ("a (single study); b (no support); and 1 more (every row "
                                    "is in the table's CSV file)")
    assert words.sentence.endswith("threshold: a; b; and 1 more (every row is in the table's "
                                   "CSV file).")
