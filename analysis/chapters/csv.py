"""Shown tables as machine-readable CSV: the numbers a reader can analyse.

A page shows its numbers formatted for reading: ``7.9 (7.0–8.9)`` with an invisible
word joiner (U+2060) that keeps the range on one line, ``14 (93%)``, ``0.39 to 1.00``,
``+0.06``, ``–`` for a missing value. Written as they are, a CSV of such cells can only be
read, not analysed. :func:`machine_readable` turns every column whose cells all have
one of these shapes into plain numbers, one quantity a column (estimate, lower and upper
bound in their own columns), and cleans the text of every other cell. A column of
numbers some of whose cells say more than a number (``< 0.001``, ``50.0 (approx.; no
CI)``) keeps its numbers as numbers and what the page printed in a ``(reported as)``
column beside them (:func:`split_reported`).

:func:`write_csv` writes such a table as a file a spreadsheet opens as it is meant
(:mod:`analysis.contract.spreadsheet`: UTF-8 with a byte-order mark, ``true``/``false``,
six significant digits, no cell that runs as a formula).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.contract import spreadsheet

# Characters that only steer line breaking or spacing on the page.
_INVISIBLE = {"\u2060": "", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2003": " "}
_MISSING = {"", "–", "—", "-"}
_NUM = r"[+\-−]?\d+(?:\.\d+)?"
_RANGE = rf"({_NUM})\s*(?:–|—|to)\s*({_NUM})"

# (pattern of a whole cell, names of the columns its groups become)
SHAPES: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(rf"({_NUM})\s*\(\s*{_RANGE}\s*\)"), ("estimate", "lower", "upper")),
    (re.compile(rf"({_NUM})\s*\(\s*({_NUM})\s*%\s*\)"), ("n", "%")),
    (re.compile(_RANGE), ("lower", "upper")),
    (re.compile(rf"({_NUM})\s*%"), ("%",)),
]
_PLAIN = re.compile(_NUM)
_INTERVAL = re.compile(r"\b(CI|PI|interval)\b", re.I)
# A bound instead of a value ("< 0.001"), and a number with words in brackets after it
# ("50.0 (approx.; no CI)"): the number is kept, and the words.
_CENSORED = re.compile(rf"([<>≤≥])\s*({_NUM})")
_ANNOTATED = re.compile(r"(.+?)\s*\(([^()]*[A-Za-z][^()]*)\)")


def clean_text(value: object) -> object:
    """A cell without layout characters (word joiners, non-breaking and em spaces)."""
    if not isinstance(value, str):
        return value
    for char, replacement in _INVISIBLE.items():
        value = value.replace(char, replacement)
    return value.strip()


def _number(text: str) -> float | int:
    text = text.replace("−", "-").lstrip("+")
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def _split(column: pd.Series) -> pd.DataFrame | None:
    """The column as numeric columns, when every non-missing cell has one shape."""
    cells = column.map(clean_text)
    present = [c for c in cells if not (c is None or (isinstance(c, float) and pd.isna(c))
                                        or (isinstance(c, str) and c in _MISSING))]
    if not present or not all(isinstance(c, str) for c in present):
        return None
    if all(_PLAIN.fullmatch(c) for c in present):
        return pd.DataFrame({column.name: [
            _number(c) if isinstance(c, str) and _PLAIN.fullmatch(c) else None for c in cells]},
            index=column.index)
    for pattern, names in SHAPES:
        if all(pattern.fullmatch(c) for c in present):
            rows = [[_number(g) for g in pattern.fullmatch(c).groups()]
                    if isinstance(c, str) and pattern.fullmatch(c) else [None] * len(names)
                    for c in cells]
            return pd.DataFrame(rows, columns=_labels(column.name, names), index=column.index)
    return None


def _labels(name: object, parts: tuple[str, ...]) -> list[str]:
    """The columns a split column becomes: ``<name> (<part>)`` for each part."""
    if parts == ("lower", "upper") and not _INTERVAL.search(str(name)):
        parts = ("from", "to")  # a span of values (e.g. interviews 5-6)
    return [f"{name} ({part})" for part in parts]


def _reading(cell: str) -> tuple[tuple[str, ...], list[float | int], bool] | None:
    """What one cell says as numbers: (parts, numbers, whether they say all of it)."""
    if _PLAIN.fullmatch(cell):
        return (), [_number(cell)], True
    for pattern, names in SHAPES:
        found = pattern.fullmatch(cell)
        if found:
            return names, [_number(g) for g in found.groups()], True
    found = _CENSORED.fullmatch(cell)
    if found:
        return (), [_number(found.group(2))], False
    found = _ANNOTATED.fullmatch(cell)
    if found:
        inner = _reading(found.group(1))
        if inner is not None and inner[2]:
            return inner[0], inner[1], False
    return None


def split_reported(column: pd.Series) -> pd.DataFrame | None:
    """A column of numbers some of whose cells say more than a number, as numbers and
    what was reported.

    A censored value (``< 0.001``) gives its bound as the number; a number with words
    in brackets (``50.0 (approx.; no CI)``) gives the number. Either way the cell as the
    page printed it is kept in ``<name> (reported as)``, which is empty where the
    numbers say it all. Cells of an estimate with its interval and plain estimates
    may share a column (the plain ones have no bounds).

    Parameters
    ----------
    column : Series
        A shown column of display strings.

    Returns
    -------
    DataFrame or None
        The numeric columns and the ``(reported as)`` column; None when a cell is not a
        number of one of these kinds, or when every cell is a plain number or one shape
        (:func:`machine_readable` splits those without a ``(reported as)`` column).
    """
    cells = column.map(clean_text)
    present = {i: c for i, c in cells.items()
               if isinstance(c, str) and c not in _MISSING}
    if not present or any(not isinstance(c, str) for c in cells if not _is_missing(c)):
        return None
    readings = {i: _reading(c) for i, c in present.items()}
    if any(r is None for r in readings.values()) or all(r[2] for r in readings.values()):
        return None
    shapes = {r[0] for r in readings.values()}
    widest = max(shapes, key=len)
    if not shapes <= {(), widest} or (widest and widest[0] != "estimate" and len(shapes) > 1):
        return None  # e.g. "14 (93%)" beside "< 5": no one set of columns fits both
    labels = _labels(column.name, widest) if widest else [column.name]
    rows, reported = [], []
    for i in cells.index:
        reading = readings.get(i)
        numbers = reading[1] if reading else []
        rows.append(numbers + [None] * (len(labels) - len(numbers)))
        reported.append(present[i] if reading and not reading[2] else "")
    out = pd.DataFrame(rows, columns=labels, index=column.index)
    out[f"{column.name} (reported as)"] = reported
    return out


def _is_missing(cell: object) -> bool:
    return (cell is None or (isinstance(cell, float) and pd.isna(cell))
            or (isinstance(cell, str) and cell in _MISSING))


def is_numeric(column: pd.Series) -> bool:
    """Whether a shown column holds numbers (plain or formatted, e.g. ``7.9 (7.0–8.9)``)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return True
    return _split(column) is not None


def machine_readable(table: pd.DataFrame) -> pd.DataFrame:
    """The table with plain numbers: formatted numeric columns split and parsed.

    Parameters
    ----------
    table : DataFrame
        A table as a page shows it (display strings).

    Returns
    -------
    DataFrame
        Same rows and index. A column whose cells are all ``x (lo–hi)`` becomes three
        columns ``<name> (estimate)``, ``<name> (lower)``, ``<name> (upper)``; ``n (p%)``
        becomes ``<name> (n)`` and ``<name> (%)``; ``lo–hi`` or ``lo to hi`` becomes
        ``(lower)`` and ``(upper)`` in an interval's column (its name says CI, PI or
        interval) and ``(from)`` and ``(to)`` in any other; ``x %`` becomes ``(%)``;
        signed numbers become numbers. Missing values (``–``) are empty. A column of
        numbers with censored (``< 0.001``) or annotated cells keeps its numbers and a
        ``(reported as)`` column (:func:`split_reported`). Any other column keeps its
        text, without layout characters.
    """
    parts = []
    for name in table.columns:
        column = table[name]
        column = column.rename(name)
        textual = column.dtype == object or pd.api.types.is_string_dtype(column)
        split = _split(column) if textual else None
        if split is None and textual:
            split = split_reported(column)
        parts.append(split if split is not None else column.map(clean_text).to_frame(name))
    out = pd.concat(parts, axis=1) if parts else table.copy()
    textual = table.index.dtype == object or pd.api.types.is_string_dtype(table.index)
    if isinstance(table.index, pd.MultiIndex):
        # Level by level: mapping a MultiIndex flattens it, and an empty one then has
        # one level for its two names (an appraisal with no disagreement).
        out.index = pd.MultiIndex.from_tuples(
            [tuple(clean_text(v) if isinstance(v, str) else v for v in key)
             for key in table.index], names=table.index.names)
    else:
        out.index = table.index.map(clean_text) if textual else table.index
    out.index.names = [clean_text(n) if isinstance(n, str) else n for n in table.index.names]
    out.columns = [clean_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(table: pd.DataFrame, path: Path, index: bool) -> Path:
    """Write a shown table as a CSV file a spreadsheet reads as meant.

    Parameters
    ----------
    table : DataFrame
        The table as the page shows it (display strings).
    path : Path
        The file to write.
    index : bool
        Whether the index is part of the table (its name is then the first header).

    Returns
    -------
    Path
        ``path``: :func:`machine_readable` numbers, written as
        :func:`analysis.contract.spreadsheet.write_csv` writes every CSV of the book.
    """
    return spreadsheet.write_csv(machine_readable(table), path, index=index)
