"""Reading CSV and JSON files as spreadsheet software writes them (analysis.contract.reading)."""

from __future__ import annotations

import pytest

from analysis.contract import reading

COLUMNS = ["id", "name", "n"]


def read(tmp_path, text: str | bytes, expected=COLUMNS):
    path = tmp_path / "t.csv"
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return reading.read_csv(path, "t.csv", expected)


def test_plain_and_record_by_record_readings_agree(tmp_path):
    plain = "id,name,n\nA1,x,1\nA2,y,2\nA3,,3\n"
    quoted = 'id,name,n\nA1,"x",1\nA2,y,2\nA3,,3\n'  # a quote forces the csv module
    fast, slow = read(tmp_path, plain)[0], read(tmp_path, quoted)[0]
    assert fast.lines == slow.lines == [2, 3, 4]
    assert {k: list(v) for k, v in fast.columns.items()} == slow.columns == {
        "id": ["A1", "A2", "A3"], "name": ["x", "y", ""], "n": ["1", "2", "3"]}


def test_row_numbers_are_lines_after_blank_lines(tmp_path):
    table, problems, _ = read(tmp_path, "id,name,n\nA1,x,1\n\n\nA2,y,2\n")
    assert problems == [] and table.lines == [2, 5]


def test_row_numbers_are_lines_after_a_multi_line_cell(tmp_path):
    text = 'id,name,n\nA1,"first\nsecond\nthird",1\nA2,y,2\r\nA3,"a\r\nb",3\nA4,z,4\n'
    table, problems, _ = read(tmp_path, text)
    assert problems == [] and table.lines == [2, 5, 6, 8]
    assert table.columns["name"][0] == "first\nsecond\nthird"


def test_a_blank_row_of_commas_is_one_problem_on_its_line(tmp_path):
    _, problems, _ = read(tmp_path, "id,name,n\nA1,x,1\n,,\nA2,y,2\n")
    assert [(p.row, p.column) for p in problems] == [(3, None)]
    assert "blank row" in problems[0].message and "delete the row" in problems[0].message


def test_bom_is_a_warning_and_utf16_an_error(tmp_path):
    table, problems, warnings = read(tmp_path, b"\xef\xbb\xbfid,name,n\nA1,x,1\n")
    assert problems == [] and table.header == COLUMNS and "byte-order mark" in warnings[0].message
    table, problems, _ = read(tmp_path, "id,name,n\nA1,x,1\n".encode("utf-16"))
    assert table is None and "UTF-16" in problems[0].message and "CSV UTF-8" in problems[0].message


def test_windows_1252_names_the_line_and_the_character(tmp_path):
    _, problems, _ = read(tmp_path, "id,name,n\nA1,x,1\nA2,Gonz\u00e1lez,2\n".encode("cp1252"))
    assert problems[0].row == 3
    assert "byte 0xe1 ('\u00e1' in Windows-1252 / Latin-1) is not UTF-8" in problems[0].message


@pytest.mark.parametrize("delimiter,word", [(";", "';' (semicolon)"), ("\t", "tabs")])
def test_another_delimiter_is_named(tmp_path, delimiter, word):
    _, problems, _ = read(tmp_path, delimiter.join(COLUMNS) + "\nA1" + delimiter + "x\n")
    assert len(problems) == 1 and f"this file uses {word} between cells" in problems[0].message


def test_a_duplicated_column_is_named_by_its_real_name(tmp_path):
    table, problems, _ = read(tmp_path, "id,name,n,name\nA1,x,1,x\n")
    assert table is None
    assert [(p.row, p.column) for p in problems] == [(1, "name")]
    assert "appears twice in the header (columns 2 and 4)" in problems[0].message


def test_a_cell_over_the_limit_is_refused(tmp_path):
    _, problems, _ = read(tmp_path, f"id,name,n\nA1,{'x' * (reading.MAX_CELL_CHARS + 1)},1\n")
    assert [(p.row, p.column) for p in problems] == [(2, "name")]
    assert "over the limit of 10,000" in problems[0].message


def test_a_file_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 10)
    table, problems, _ = read(tmp_path, "id,name,n\nA1,x,1\n")
    assert table is None and "over the limit of 10 bytes" in problems[0].message


def test_json_that_is_not_utf8_says_how_to_save_it(tmp_path):
    path = tmp_path / "datapackage.json"
    path.write_bytes('{"title": "Donn\u00e9es"}'.encode("latin-1"))
    value, problems, _ = reading.read_json(path, "datapackage.json")
    assert value is None and "save it as UTF-8" in problems[0].message
