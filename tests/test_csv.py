"""Shown tables become CSV files with plain numbers (analysis.chapters.csv)."""

from __future__ import annotations

import pandas as pd

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
