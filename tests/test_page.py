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
