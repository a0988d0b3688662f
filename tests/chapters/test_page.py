"""How a page shows its tables: tints, alignment, long tables cut, every row exported."""

from __future__ import annotations

import re

import pandas as pd

from analysis import paths
from analysis.chapters import page


def test_text_table_tints_cells_by_value_and_aligns_left():
    table = pd.DataFrame({"Q1": ["Yes", "No", "Maybe"], "Q2": ["No", "Yes", "Yes"]})
    html = page.show_text_table(table, caption="Answers",
                                colours={"Yes": "#aaffaa", "No": "#ffaaaa"}).to_html()
    rules = dict(re.findall(r"td\.(tint-\d+) \{\s*background-color: (#\w+);", html))
    assert sorted(rules.values()) == ["#aaffaa", "#ffaaaa"]
    yes = next(name for name, colour in rules.items() if colour == "#aaffaa")
    cells = re.findall(r'<td id="T_\w+_row(\d)_col(\d)" class="data row\d col\d ?([\w-]*)"',
                       html)
    tinted = {(int(r), int(c)) for r, c, cls in cells if cls == yes}
    assert tinted == {(0, 0), (1, 1), (2, 1)}  # every "Yes", and nothing else
    assert [cls for r, c, cls in cells if (r, c) == ("2", "0")] == [""]  # "Maybe": no tint
    assert re.search(r"td \{\s*text-align: left;", html)
    assert "Answers" in html


def test_a_long_table_is_cut_on_the_page_and_exported_whole(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.TABLES_DIR_ENV, str(tmp_path))
    table = pd.DataFrame({"study": [f"S{i}" for i in range(page.MAX_SHOWN_ROWS + 5)]})
    styler = page.show_text_table(table, caption="Table 2. Every study")
    assert len(styler.data) == page.MAX_SHOWN_ROWS
    assert "first 300 of 305 rows" in styler.caption
    exported = pd.read_csv(tmp_path / "every_study.csv")
    assert len(exported) == page.MAX_SHOWN_ROWS + 5


def test_a_shown_table_links_its_csv_and_escapes_its_cells(tmp_path, monkeypatch):
    folder = tmp_path / "prevalence.run.tables"
    monkeypatch.setenv(paths.TABLES_DIR_ENV, str(folder))
    table = pd.DataFrame({"Setting": ["Community"], "p": ["< 0.001"], "k": [46]})
    shown = page.show_table(table, caption="Table 3. Pooled prevalence")
    html = shown._repr_html_()
    # The link is relative to the page, where the build publishes the page's tables.
    assert 'href="tables/prevalence/pooled_prevalence.csv" download>CSV</a>' in html
    assert (folder / "pooled_prevalence.csv").exists()
    assert "&lt; 0.001" in html and ">< 0.001" not in html
    # Words left, numbers right; no row-number column, no index-name header row.
    assert re.search(r"td:nth-of-type\(1\) \{\s*text-align: left;", html)
    assert re.search(r"td:nth-of-type\(3\) \{\s*text-align: right;", html)
    assert 'class="row_heading' not in html and 'class="index_name' not in html


def test_a_named_index_is_the_first_column_and_text_is_never_cut(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.TABLES_DIR_ENV, raising=False)
    long = "heterosexual, gay_or_lesbian, bisexual, other, prefer_not_to_say, not_stated"
    table = pd.DataFrame({"column": ["sexuality"], "allowed values": [long]}).set_index("column")
    shown = page.show_text_table(table, caption="Columns of participants.csv")
    html = shown._repr_html_()
    assert long in html and 'class="index_name' not in html
    assert ">column</th>" in html and shown.href is None and "CSV" not in html


def test_a_grouped_index_keeps_its_groups_without_an_index_name_row(monkeypatch):
    monkeypatch.delenv(paths.TABLES_DIR_ENV, raising=False)
    table = pd.DataFrame({"Section": ["A", "A", "B"], "Item": ["Q1", "Q2", "Q3"],
                          "Question": ["Aims?", "Method?", "Ethics?"]})
    shown = page.show_text_table(table.set_index(["Section", "Item"]))
    assert shown.data["Section"].tolist() == ["A", "", "B"]  # the group named once
    assert shown.data["Item"].tolist() == ["Q1", "Q2", "Q3"]
    html = shown.to_html()
    assert 'class="index_name' not in html and html.count("<tr>") == 4  # 1 header + 3


def test_a_shown_table_has_a_caption_a_screen_reader_reads_and_light_html(monkeypatch):
    monkeypatch.delenv(paths.TABLES_DIR_ENV, raising=False)
    table = pd.DataFrame({f"c{i}": [1.5, 2.5] for i in range(page.WIDE_COLUMNS + 1)})
    table.insert(0, "Setting", ["Community", "Clinic"])
    html = page.show_table(table, caption="Table 1. Wide")._repr_html_()
    # The table's own caption (for screen readers), and the one a reader sees above
    # the box, hidden from screen readers so that it is not read twice.
    assert '<caption class="cen-table__name">Table 1. Wide</caption>' in html
    assert '<p class="cen-table__caption" aria-hidden="true">Table 1. Wide</p>' in html
    assert html.index("cen-table__caption") < html.index("cen-table__scroll")
    assert 'class="cen-table cen-table--wide"' in html  # prints on a landscape page
    # No per-cell ids or classes: alignment selects columns by position.
    assert 'id="T_' not in html.replace('<table id="T_', "") and "row0" not in html
    assert "<td>Community</td>\n<td>1.5</td>" in html
    narrow = page.show_table(table.iloc[:, :3], caption="Narrow")._repr_html_()
    assert 'class="cen-table"' in narrow
