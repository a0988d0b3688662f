"""Reading the files of a data package as a researcher's software writes them.

Spreadsheets saved from Excel, NVivo or REDCap differ from the contract in ways that
are either harmless or easy to fix. This module reads the bytes of one CSV file or of
``datapackage.json`` and turns every such difference into one clear problem (file,
line, column, what to do) or, when nothing can go wrong, into a warning:

* a UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted with a warning;
* UTF-16 ("Unicode text") or Windows-1252 / Latin-1 text is an error that says how to
  save the file as CSV UTF-8, with the line of the first byte that is not UTF-8;
* a file whose header is one cell holding ``;`` or tabs is an error naming the
  delimiter;
* a duplicated column is named by its real name and both of its positions;
* a row of empty cells (Excel's ``,,,,``) is one error for the row;
* a row with too many or too few cells is one error for the row;
* cells longer than :data:`MAX_CELL_CHARS` and files larger than :data:`MAX_FILE_BYTES`
  are refused.

Row numbers are the file's lines: the line on which a record starts, counted after
blank lines and after quoted cells that hold line breaks (Excel's Alt+Enter), so that
a researcher who opens the file in a text editor lands on the record.

A plain file (no double quotes, no blank or over-long lines, every line as wide as
the header, the header as declared) is parsed by pandas' C reader, where every record
is one line; any other file by Python's :mod:`csv` module, record by record. Both give
the same cells and the same line numbers (a test checks); the first is about ten times
faster on a large table.

References
----------
Shafranovich, Y. (2005). *Common Format and MIME Type for Comma-Separated Values (CSV)
Files*. RFC 4180. https://www.rfc-editor.org/rfc/rfc4180
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.contract.errors import Problem

MAX_CELL_CHARS = 10_000
"""Longest cell accepted, in characters (a long free-text answer is about 2,000)."""
MAX_FILE_BYTES = 200_000_000
"""Largest file accepted, in bytes (a scale-100 package's largest file is under 10 MB)."""
SAVE_JSON_AS_UTF8 = "save it as UTF-8 (in a text editor: Save with Encoding > UTF-8)"
HEADER_ROW = 1
SAVE_AS_UTF8 = ("save it as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8 (Comma "
                "delimited)'; in LibreOffice: character set 'Unicode (UTF-8)')")


@dataclass
class CsvText:
    """One CSV file read as text: its header and its records with their line numbers."""

    header: list[str]
    columns: dict[str, Any]  # the cells of each column, in file order
    lines: list[int]  # the line each record starts on (the header is line 1)


def _size_problem(path: Path, shown: str) -> Problem | None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return Problem(shown, None, None,
                       f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} "
                       "bytes; check that it holds only the table the contract describes")
    return None


def read_bytes(path: Path, shown: str) -> tuple[bytes | None, Problem | None]:
    """The bytes of a file, or the one problem that stops it being read."""
    if not path.exists():
        return None, Problem(shown, None, None, "file not found")
    if path.is_dir():
        return None, Problem(shown, None, None,
                             "is a folder, not a file; put the file itself here")
    try:
        too_big = _size_problem(path, shown)
        if too_big is not None:
            return None, too_big
        return path.read_bytes(), None
    except OSError as exc:
        return None, Problem(shown, None, None,
                             f"cannot be read ({exc.strerror or exc}); check that the file "
                             "is readable by you (permissions) and not open elsewhere")


def decode(data: bytes, shown: str, advice: str = SAVE_AS_UTF8
           ) -> tuple[str | None, Problem | None, Problem | None]:
    """Text of a file that must be UTF-8: ``(text, problem, warning)``.

    A UTF-8 byte-order mark is removed with a warning; UTF-16 and bytes that are not
    UTF-8 are a problem that says how to save the file.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, Problem(shown, None, None,
                             f"is saved as UTF-16 ('Unicode text'), not UTF-8; {advice}"
                             ), None
    warning = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
        warning = Problem(shown, None, None,
                          "starts with a byte-order mark (BOM); it was ignored")
    try:
        return data.decode("utf-8"), None, warning
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        byte = data[exc.start]
        guess = ""
        try:
            char = data[exc.start:exc.start + 1].decode("cp1252")
            guess = f" ('{char}' in Windows-1252 / Latin-1)"
        except UnicodeDecodeError:
            pass
        return None, Problem(shown, line, None,
                             f"byte 0x{byte:02x}{guess} is not UTF-8: the file is saved in "
                             f"another encoding; {advice}"), warning


def read_json(path: Path, shown: str) -> tuple[Any, list[Problem], list[Problem]]:
    """A JSON file: ``(value or None, problems, warnings)``."""
    data, problem = read_bytes(path, shown)
    if problem is not None:
        return None, [problem], []
    text, problem, warning = decode(data, shown, SAVE_JSON_AS_UTF8)
    warnings = [warning] if warning else []
    if problem is not None:
        return None, [problem], warnings
    try:
        return json.loads(text), [], warnings
    except json.JSONDecodeError as exc:
        return None, [Problem(shown, exc.lineno, None,
                              f"not valid JSON ({exc.msg} at column {exc.colno}); "
                              "check the quotes, commas and brackets on this line")], warnings


def _delimiter_problem(header: list[str], expected: list[str], shown: str) -> Problem | None:
    if len(header) != 1 or len(expected) < 2:
        return None
    for delimiter, name in ((";", "';' (semicolon)"), ("\t", "tabs"), ("|", "'|'")):
        cells = [c.strip().strip('"') for c in header[0].split(delimiter)]
        if len(cells) > 1 and set(cells) & set(expected):
            return Problem(shown, HEADER_ROW, None,
                           f"this file uses {name} between cells, not commas; save it as "
                           "comma-separated CSV (in Excel: 'CSV UTF-8 (Comma delimited)'; "
                           "in LibreOffice: field delimiter ',')")
    return None


def read_csv(path: Path, shown: str,
                         expected: list[str]) -> tuple[CsvText | None, list[Problem],
                                                       list[Problem]]:
    """Read one CSV file: ``(table or None, problems, warnings)``.

    The table is None when the file cannot be read or its header lacks a declared
    column; every problem is then in the list. See the module docstring for what is
    checked.
    """
    data, problem = read_bytes(path, shown)
    if problem is not None:
        return None, [problem], []
    text, problem, warning = decode(data, shown)
    warnings = [warning] if warning else []
    if problem is not None:
        return None, [problem], warnings
    if "\x00" in text:
        return None, [Problem(shown, None, None,
                              f"holds NUL bytes, so it is not a text file; {SAVE_AS_UTF8}")
                      ], warnings

    fast = _plain_columns(text, expected)
    if fast is not None:
        return fast, [], warnings

    csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    line = 1  # the line the next record starts on
    long_cells = 0
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                if not record:
                    continue  # blank lines before the header
                header = [c.strip() for c in record]
                header_line = start
                continue
            if not record:
                continue  # a blank line: nothing to read, and the lines still count
            if not "".join(record).strip():
                problems.append(Problem(shown, start, None,
                                        "blank row (every cell is empty); delete the row"))
                continue
            if len(record) != len(header):
                problems.append(Problem(
                    shown, start, None,
                    f"the row has {len(record)} cells but the header has {len(header)}; "
                    "check for a comma inside a cell that is not in double quotes, or a "
                    "missing cell"))
                continue
            if max(map(len, record)) > MAX_CELL_CHARS:
                for i, cell in enumerate(record):
                    if len(cell) > MAX_CELL_CHARS:
                        long_cells += 1
                        if long_cells <= 5:
                            problems.append(Problem(
                                shown, start, header[i],
                                f"cell of {len(cell):,} characters, over the limit of "
                                f"{MAX_CELL_CHARS:,}; shorten it (the book needs codes and "
                                "short labels, not transcripts)"))
                        record[i] = cell[:MAX_CELL_CHARS]
            rows.append(record)
            lines.append(start)
    except csv.Error as exc:
        problems.append(Problem(shown, line, None,
                                f"cannot be read as CSV ({exc}); check the double quotes "
                                "on this line"))
        return None, problems, warnings

    if header is None:
        return None, [Problem(shown, None, None,
                              "the file is empty; it needs a header line: "
                              f"{','.join(expected)}")], warnings
    delimiter = _delimiter_problem(header, expected, shown)
    if delimiter is not None:
        return None, [delimiter], warnings

    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            problems.append(Problem(
                shown, header_line, name,
                f"column '{name}' appears twice in the header (columns {seen[name]} and "
                f"{position}); keep one of them"))
        else:
            seen.setdefault(name, position)
    for name in expected:
        if name not in seen:
            near = [h for h in header if h.lower() == name.lower()]
            hint = f" ('{near[0]}' is written differently)" if near else ""
            problems.append(Problem(shown, header_line, name,
                                    f"column missing from the header{hint}; the header must "
                                    f"be: {','.join(expected)}"))
    for name in header:
        if name not in expected:
            problems.append(Problem(shown, header_line, name or "(empty name)",
                                    f"unexpected column; allowed columns: {', '.join(expected)}"))
    if any(name not in seen for name in expected) or len(seen) != len(header):
        return None, problems, warnings
    cells = list(zip(*rows)) if rows else [()] * len(header)
    columns = {name: list(cells[header.index(name)]) for name in expected}
    return CsvText(header=header, columns=columns, lines=lines), problems, warnings


def _plain_columns(text: str, expected: list[str]) -> CsvText | None:
    """The fast reading of a plain file (see the module docstring); None if not plain."""
    if '"' in text or "\r" in text:
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the end of the last line
    if not lines or lines[0].split(",") != expected:
        return None
    commas = len(expected) - 1
    if any(line.count(",") != commas or not line.replace(",", "").strip()
           or len(line) > MAX_CELL_CHARS for line in lines[1:]):
        return None  # blank lines and rows, ragged rows, long cells: read record by record
    import pandas as pd

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                        skip_blank_lines=False)
    if list(frame.columns) != expected or len(frame) != len(lines) - 1:
        return None
    columns = {name: frame[name].to_numpy(dtype=object) for name in expected}
    return CsvText(header=list(expected), columns=columns,
                   lines=list(range(HEADER_ROW + 1, len(lines) + 1)))
