"""Shown tables become CSV files with plain numbers (analysis.chapters.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.chapters.csv import (clean_text, is_numeric, machine_readable, split_reported,
                                   write_csv)


def test_estimates_with_intervals_become_three_numeric_columns():
    shown = pd.DataFrame({
        "Setting": ["Community", "Primary care"],
        "% (95% CI)": ["7.9 (7.0–\u20608.9)", "24.0 (19.2–\u206029.7)"],
        "95% PI": ["3.4–\u206017.2", "10.1–\u206047.1"],
        "p": ["<\u00a00.001", "0.020"],
        "Difference, pp": ["+0.06", "-0.01"],
    })
    out = machine_readable(shown)
    assert list(out.columns) == [
        "Setting", "% (95% CI) (estimate)", "% (95% CI) (lower)", "% (95% CI) (upper)",
        "95% PI (lower)", "95% PI (upper)", "p", "p (reported as)", "Difference, pp"]
    assert out.iloc[0, 1:6].tolist() == [7.9, 7.0, 8.9, 3.4, 17.2]
    # Censored: the bound is the number, and what the page printed is beside it.
    assert out["p"].tolist() == [0.001, 0.02]
    assert out["p (reported as)"].tolist() == ["< 0.001", ""]
    assert out["Difference, pp"].tolist() == [0.06, -0.01]
    text = out.to_csv(index=False)
    assert "\u2060" not in text and "\u00a0" not in text


def test_counts_with_percentages_spans_and_missing_values():
    shown = pd.DataFrame({"UK (n=17)": ["14 (82%)", "3 (18%)"],
                          "Run (interviews)": ["5–6", "7–8"],
                          "95% CI": ["0.39\u00a0to\u00a01.00", "–"],
                          "Note": ["fine", "–"]},
                         index=pd.Index(["\u2003T1.1 Diagnosis", "T2"], name="Theme"))
    out = machine_readable(shown)
    assert out["UK (n=17) (n)"].tolist() == [14, 3]
    assert out["UK (n=17) (%)"].tolist() == [82, 18]
    assert out["Run (interviews) (from)"].tolist() == [5, 7]  # a span, not an interval
    assert out["95% CI (lower)"].iloc[0] == 0.39 and pd.isna(out["95% CI (upper)"].iloc[1])
    assert out["Note"].tolist() == ["fine", "–"]  # words stay words
    assert list(out.index) == ["T1.1 Diagnosis", "T2"] and out.index.name == "Theme"


def test_an_annotated_estimate_keeps_its_number_and_its_words():
    shown = pd.DataFrame({"Published": ["7.8 (6.1–9.5)", "50.0 (approx.; no CI)", "–"]})
    out = machine_readable(shown)
    assert list(out.columns) == ["Published (estimate)", "Published (lower)",
                                 "Published (upper)", "Published (reported as)"]
    assert out["Published (estimate)"].tolist()[:2] == [7.8, 50.0]
    assert out["Published (lower)"].iloc[0] == 6.1 and pd.isna(out["Published (lower)"].iloc[1])
    assert out["Published (reported as)"].tolist() == ["", "50.0 (approx.; no CI)", ""]
    # On the page the column is still text, aligned as text.
    assert not is_numeric(shown["Published"])


def test_words_that_start_with_a_number_stay_words():
    for cells in (["0 or more", "1"], ["18-24, 25-34", "35+"], ["14 (93%)", "< 5"],
                  ["yes", "< 0.001"]):
        column = pd.Series(cells, name="x")
        assert split_reported(column) is None, cells
        assert machine_readable(column.to_frame())["x"].tolist() == cells


def test_the_csv_file_opens_in_a_spreadsheet_as_meant(tmp_path):
    shown = pd.DataFrame({"Setting": ["Community", "Clinic"], "tau²": [0.22215267911050354, 1e-12],
                          "Range": ["1–2", "3–4"], "main": [True, False]})
    path = write_csv(shown, tmp_path / "t.csv", index=False)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel looks for
    text = raw.decode("utf-8-sig")
    assert text.splitlines() == ["Setting,tau²,Range (from),Range (to),main",
                                 "Community,0.222153,1,2,true", "Clinic,1e-12,3,4,false"]
    back = pd.read_csv(path)
    assert back["tau²"].dtype == float and back["main"].dtype == bool
    assert is_numeric(pd.Series(["1", "2.5"])) and is_numeric(pd.Series([1, 2]))
    assert clean_text("a\u00a0b\u2060") == "a b"


def test_an_empty_table_with_a_two_level_index_is_exported():
    # An appraisal in which the reviewers never disagreed: no rows, two index levels.
    empty = pd.DataFrame({"Answer": pd.Series([], dtype=object)},
                         index=pd.MultiIndex.from_tuples([], names=["Paper", "Question"]))
    out = machine_readable(empty)
    assert out.empty and list(out.index.names) == ["Paper", "Question"]
    assert list(out.columns) == ["Answer"]


NUMERIC_SUFFIXES = ("(estimate)", "(lower)", "(upper)", "(from)", "(to)", "(n)", "(%)")


@pytest.mark.book
def test_every_csv_of_the_built_book_opens_in_a_spreadsheet_as_meant(checkout_book):
    """Each table's CSV in the book as built: one header per column, numbers as numbers,
    true/false, no 16-digit floats, UTF-8 with a byte-order mark, whole-word names."""
    import csv
    import html
    import re

    from analysis.chapters.page import table_slug

    tables = checkout_book.html / "tables"
    files = sorted(tables.rglob("*.csv"))
    assert len(files) > 100
    problems = []
    for path in files:
        name = path.relative_to(tables)
        raw = path.read_bytes()
        if not raw.startswith(b"\xef\xbb\xbf"):
            problems.append(f"{name}: no byte-order mark (Excel would garble τ² and –)")
        rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        header = rows[0]
        if any(not h.strip() for h in header) or len(set(header)) != len(header):
            problems.append(f"{name}: a column without a header of its own: {header}")
        cells = [c for row in rows[1:] for c in row]
        if any(c in ("True", "False") for c in cells):
            problems.append(f"{name}: Python's True/False, not true/false")
        noisy = [c for c in cells if re.fullmatch(r"-?[\d.]+(e-?\d+)?", c)
                 and len(re.sub(r"^-?[0.]*|e.*$", "", c).replace(".", "")) > 10]
        if noisy:
            problems.append(f"{name}: floats with float noise, e.g. {noisy[0]}")
        frame = pd.read_csv(path)
        for column in frame.columns:
            numeric = column.endswith(NUMERIC_SUFFIXES) or column in ("p", "k", "n")
            if numeric and not pd.api.types.is_numeric_dtype(frame[column]):
                values = frame[column].dropna().astype(str).unique()[:3]
                problems.append(f"{name}: column {column!r} is not numbers: {list(values)}")
    # Each file is named by its table's whole caption (or a whole-word start of a long one).
    for page in checkout_book.html.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for caption, href in re.findall(
                r'<caption class="cen-table__name">(.*?)</caption>(?:(?!<caption).)*?'
                r'<p class="table-download"><a href="([^"]+)"', text, flags=re.S):
            stem = re.sub(r"_\d+$", "", Path(href).stem)
            slug = table_slug(html.unescape(caption), pd.DataFrame())
            if not (slug.startswith(stem) and (len(slug) == len(stem) or slug[len(stem)] == "_")):
                problems.append(f"{page.name}: {href} is not named by its caption ({slug})")
    assert not problems, "\n".join(problems)
