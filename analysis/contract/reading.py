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
  (or the limit set by ``CEN_MAX_FILE_BYTES``) are refused;
* only regular files inside the package folder are read (:func:`read_file_bytes`): a
  link out of the folder, a device, a named pipe or a socket is refused, and no file is
  read beyond the size limit;
* text must be text: a control character (other than tab and line break) in a cell or
  a JSON string is refused, as are unpaired surrogates (``"\ud800"``), duplicated keys,
  ``NaN`` and ``Infinity`` in JSON, and JSON or YAML nested deeper than
  :data:`MAX_NESTING`; YAML may not use aliases (``*name``), whose expansion can take
  minutes and any amount of memory.

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
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.contract.errors import InputError, Problem, quoted

MAX_CELL_CHARS = 10_000
"""Longest cell accepted, in characters (a long free-text answer is about 2,000)."""
MAX_FILE_BYTES = 200_000_000
"""Largest file read, in bytes, unless :data:`MAX_FILE_BYTES_ENV` says otherwise (a
scale-100 package's largest file is under 10 MB)."""
MAX_FILE_BYTES_ENV = "CEN_MAX_FILE_BYTES"
"""Environment variable that sets another limit, in bytes, for every file read."""
_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


class FileRefused(InputError):
    """A file that is not read: missing, not a regular file, outside its folder, too
    large or unreadable. ``reason`` says why and what to do, without the file's name."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


def max_file_bytes(default: int = MAX_FILE_BYTES) -> int:
    """The size limit in force: :data:`MAX_FILE_BYTES_ENV` when set, else ``default``."""
    value = os.environ.get(MAX_FILE_BYTES_ENV)
    if value is None:
        return default
    try:
        limit = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise InputError(f"{MAX_FILE_BYTES_ENV}={quoted(value)} is not a size; write a whole "
                         "number of bytes, such as 500000000")
    return limit


def read_file_bytes(path: Path, inside: Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of a file that is a file: bounded, never following a link out of its folder.

    A data package comes from someone else; its folder may hold a link to any file of
    the machine (``framework.csv -> /etc/passwd``), a device that never ends
    (``/dev/zero``), a named pipe that blocks the reader for ever, or a socket. Only a
    regular file is read, opened without blocking and checked after opening; at most
    ``limit + 1`` bytes are read, so that a file growing while it is read is caught too.

    Parameters
    ----------
    path : Path
    inside : Path, optional
        The folder the file must be in, links resolved (a data package's folder).
    limit : int, optional
        Largest size in bytes; :func:`max_file_bytes` by default.

    Raises
    ------
    FileRefused
        With the reason and what to do.
    """
    limit = max_file_bytes() if limit is None else limit
    path = Path(path)
    try:
        os.lstat(path)
    except FileNotFoundError:
        raise FileRefused(path, "file not found") from None
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    if inside is not None:
        target = path.resolve()
        if not target.is_relative_to(Path(inside).resolve()):
            raise FileRefused(path, f"is a link to {quoted(str(target))}, outside the package "
                                    "folder; put a copy of the file itself in the folder")
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise FileRefused(path, "is a link to a file that does not exist") from None
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    refused = _not_a_file(before.st_mode)
    if refused:
        raise FileRefused(path, refused)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY
                             | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    try:
        opened = os.fstat(descriptor)
        refused = _not_a_file(opened.st_mode)  # replaced between the two looks
        if refused:
            raise FileRefused(path, refused)
        if opened.st_size > limit:
            raise FileRefused(path, _too_big(opened.st_size, limit))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(path, _too_big(size, limit, growing=True))
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    finally:
        os.close(descriptor)


def _not_a_file(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file; put the file itself here"
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return f"is {kind}, not a file; put a regular file (a saved table) here"


def _too_big(size: int, limit: int, growing: bool = False) -> str:
    what = f"more than {limit:,}" if growing else f"{size:,}"
    return (f"the file is {what} bytes, over the limit of {limit:,} bytes; check that it holds "
            f"only the table the contract describes (the limit is set by "
            f"{MAX_FILE_BYTES_ENV})")


def _cannot_read(exc: OSError) -> str:
    return (f"cannot be read ({exc.strerror or exc}); check that the file is readable by you "
            "(permissions) and not open elsewhere")


MAX_NESTING = 64
"""Deepest nesting of lists and objects read from JSON or YAML (the contract's files
are at most six deep)."""
# Text that cannot be shown as text: control characters but tab and line breaks (a
# carriage return only before a line feed), and halves of a surrogate pair.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]|\r(?!\n)")
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


def read_bytes(path: Path, shown: str, inside: Path | None = None
               ) -> tuple[bytes | None, Problem | None]:
    """The bytes of a file, or the one problem that stops it being read.

    ``inside`` is the folder the file must be in (the package's own folder, which is
    the file's folder when not given); see :func:`read_file_bytes`.
    """
    try:
        limit = max_file_bytes(MAX_FILE_BYTES)
        return read_file_bytes(path, inside or Path(path).parent, limit), None
    except FileRefused as refused:
        return None, Problem(shown, None, None, refused.reason)
    except InputError as exc:  # the limit itself is not a number
        return None, Problem(shown, None, None, str(exc))


def not_text(text: str) -> str | None:
    """What makes a piece of text unfit to show, or None: ``"a control character
    (\\x1b)"``, ``"half of a surrogate pair (\\ud800)"``."""
    found = _NOT_TEXT.search(text)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"half of a surrogate pair (\\u{ord(char):04x}), which is no character"
    return f"a control character ({char.encode('unicode_escape').decode()})"


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


def read_json(path: Path, shown: str, inside: Path | None = None
              ) -> tuple[Any, list[Problem], list[Problem]]:
    """A JSON file: ``(value or None, problems, warnings)``; see :func:`load_json`."""
    data, problem = read_bytes(path, shown, inside)
    if problem is not None:
        return None, [problem], []
    text, problem, warning = decode(data, shown, SAVE_JSON_AS_UTF8)
    warnings = [warning] if warning else []
    if problem is not None:
        return None, [problem], warnings
    value, problem = load_json(text, shown)
    return (None, [problem], warnings) if problem else (value, [], warnings)


class _JsonRefused(ValueError):
    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = [key for key in dict.fromkeys(keys) if keys.count(key) > 1]
    if repeated:
        raise _JsonRefused(f"the key {quoted(repeated[0])} appears twice in one object; keep "
                           "one of them (a JSON reader keeps only the last, silently)")
    return dict(pairs)


def _json_constant(name: str) -> Any:
    raise _JsonRefused(f"{name} is not a JSON number; write a number, or null for none")


def _nesting(text: str, limit: int) -> int | None:
    """The position where brackets outside strings first nest deeper than ``limit``."""
    depth = 0
    for found in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        char = found.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return found.start()
        elif char in "]}":
            depth -= 1
    return None


def _strings(value: Any, where: str = "") -> Any:
    """Every string of a parsed value (keys too), with where it is: ``(where, text)``."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, where)
            yield from _strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")


def _line_of(text: str, position: int | None) -> int | None:
    return None if position is None else text.count("\n", 0, position) + 1


def load_json(text: str, shown: str) -> tuple[Any, Problem | None]:
    """JSON text as a value, or the one problem that stops it being read.

    Stricter than :func:`json.loads` where a lenient reading would hide a mistake or
    let a file steer the book: a key repeated in one object (the second
    ``"synthetic"`` would silently win), ``NaN`` and ``Infinity`` (not JSON), nesting
    deeper than :data:`MAX_NESTING`, and strings that are not text (:func:`not_text`).
    """
    deep = _nesting(text, MAX_NESTING)
    if deep is not None:
        return None, Problem(shown, _line_of(text, deep), None,
                             f"lists and objects are nested more than {MAX_NESTING} deep; "
                             "the contract's files need at most six levels")
    try:
        value = json.loads(text, object_pairs_hook=_json_object,
                           parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        return None, Problem(shown, exc.lineno, None,
                             f"not valid JSON ({exc.msg} at column {exc.colno}); "
                             "check the quotes, commas and brackets on this line")
    except _JsonRefused as exc:
        return None, Problem(shown, None, None, str(exc))
    except RecursionError:  # deeper than Python reads, inside a string-free stretch
        return None, Problem(shown, None, None, "lists and objects are nested too deep")
    for where, string in _strings(value):
        wrong = not_text(string)
        if wrong:
            return None, Problem(shown, None, where or None,
                                 f"{quoted(string)} holds {wrong}; remove it (text may hold "
                                 "letters, digits, punctuation, tabs and line breaks)")
    return value, None


class _YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, without aliases and with a limit to nesting."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(None, None, "an alias (*name) is not allowed here: "
                                       "write the value out where it is needed", mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_NESTING:
                raise yaml.MarkedYAMLError(None, None, f"nested more than {MAX_NESTING} deep",
                                           self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(path: Path, shown: str | None = None) -> Any:
    """A YAML file of the book (``book/pages.yml``, a pages file, ``multiverse.yml``).

    Read as a file is (:func:`read_file_bytes`: a regular file,
    bounded), parsed with PyYAML's safe loader (no Python objects) without aliases,
    whose expansion can take minutes (a "billion laughs"), nested at most
    :data:`MAX_NESTING` deep, and with text only in its strings (:func:`not_text`).

    Raises
    ------
    InputError
        With one message naming the file (and the line) and what to fix.
    """
    shown = shown or str(path)
    try:
        data = read_file_bytes(path)
    except FileRefused as refused:
        raise InputError(f"{shown}: {refused.reason}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{shown}:{line}: is not UTF-8 text; {SAVE_JSON_AS_UTF8}") from None
    try:
        value = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        what = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise InputError(f"{where}: not valid YAML ({what})") from None
    except RecursionError:
        raise InputError(f"{shown}: nested too deep to read") from None
    for where, string in _strings(value):
        wrong = not_text(string)
        if wrong:
            raise InputError(f"{shown}: {where or 'a value'}: {quoted(string)} holds {wrong}; "
                             "remove it")
    return value


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
    if _NOT_TEXT.search(text):
        controls = _control_cells(text, shown)
        if controls:
            return None, controls, warnings

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


def _control_cells(text: str, shown: str, most: int = 5) -> list[Problem]:
    """The cells that hold a control character (:func:`not_text`), with their line
    and column (a lone carriage return between records is a line ending, not text)."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header: list[str] | None = None
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            for i, cell in enumerate(record):
                wrong = not_text(cell)
                if wrong:
                    column = (header[i] if header is not None and i < len(header)
                              else f"column {i + 1}")
                    problems.append(Problem(shown, start, column or None,
                                            f"{quoted(cell)} holds {wrong}; remove it (a cell "
                                            "may hold text, tabs and line breaks)"))
            if header is None and record:
                header = [c.strip() for c in record]
    except csv.Error:
        return problems  # the reading proper reports it
    if len(problems) > most:
        problems = problems[:most] + [Problem(shown, None, None, f"... and {len(problems) - most}"
                                              " more cells holding control characters")]
    return problems


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
