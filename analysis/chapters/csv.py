"""Shown tables as machine-readable CSV: the numbers a reader can analyse.

A page shows its numbers formatted for reading: ``7.9 (7.0–8.9)`` with an invisible
word joiner (U+2060) that keeps the range on one line, ``14 (93%)``, ``0.39 to 1.00``,
``+0.06``, ``–`` for a missing value. Written as they are, a CSV of such cells can only be
read, not analysed. :func:`machine_readable` turns every column whose cells all have
one of these shapes into plain numbers, one quantity a column (estimate, lower and upper
bound in their own columns), and cleans the text of every other cell.
:func:`inert` then makes every text cell, header and row label one that a spreadsheet
shows as text and never runs as a formula.
"""

from __future__ import annotations

import re

import pandas as pd

from analysis.contract.escape import spreadsheet_cell

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
            if names == ("lower", "upper") and not _INTERVAL.search(str(column.name)):
                names = ("from", "to")  # a span of values (e.g. interviews 5-6)
            labels = [f"{column.name} ({name})" for name in names]
            return pd.DataFrame(rows, columns=labels, index=column.index)
    return None


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
        signed numbers become numbers. Missing values (``–``) are empty. Any other
        column keeps its text, without layout characters. Censored values such as
        ``< 0.001`` stay text.
    """
    parts = []
    for name in table.columns:
        column = table[name]
        column = column.rename(name)
        split = _split(column) if column.dtype == object or pd.api.types.is_string_dtype(
            column) else None
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


def inert(table: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell, column name and row label safe to open in a
    spreadsheet: text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading apostrophe, so that Excel, LibreOffice and Google Sheets show
    it and never run it as a formula (OWASP's rule against CSV injection,
    :func:`analysis.contract.escape.spreadsheet_cell`). Numbers, and text that is a
    plain number, stay as they are.
    """
    def labels(index: pd.Index) -> pd.Index:
        keys = list(index)
        safe = [tuple(map(spreadsheet_cell, key)) if isinstance(key, tuple)
                else spreadsheet_cell(key) for key in keys]
        if safe != keys:  # only an index with such text changes (and becomes text)
            index = (pd.MultiIndex.from_tuples(safe, names=index.names)
                     if isinstance(index, pd.MultiIndex) else pd.Index(safe, dtype=object,
                                                                       name=index.name))
        return index.set_names([spreadsheet_cell(n) for n in index.names])

    out = table.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out.isetitem(i, column.map(spreadsheet_cell).astype(object))
    out.columns = labels(out.columns)
    out.index = labels(out.index)
    return out
