"""How the book writes a table for a spreadsheet: every CSV it publishes, one way.

A spreadsheet opens a CSV as it is meant when the file is UTF-8 with a byte-order mark
(Excel otherwise reads τ² and – as two foreign letters each), truth values are
``true``/``false`` (Python writes ``True``), floats carry six significant digits
instead of the sixteen of a binary float, and no text cell, header or row label starts
a formula (OWASP's rule against CSV injection,
:func:`analysis.contract.escape.spreadsheet_cell`). The pages' tables
(:mod:`analysis.chapters.csv`) and the multiverse's streamed tables
(:mod:`analysis.compute.multiverse`) are written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from analysis.contract.escape import spreadsheet_cell

SIGNIFICANT_DIGITS = 6


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


def significant(value: float) -> str:
    """A float to :data:`SIGNIFICANT_DIGITS` significant digits, written as Python
    writes the shortest float (``0.222153``, ``1e-12``, ``5008.0``)."""
    return repr(float(f"{value:.{SIGNIFICANT_DIGITS}g}"))


def spreadsheet_values(table: pd.DataFrame) -> pd.DataFrame:
    """The table with ``true``/``false`` for truth values: Python writes ``True``, and
    a page shows a parameter's value as Python spells it.

    A column of truth values (with missing cells too), and a text cell that is exactly
    ``True`` or ``False``, are written in lower case.
    """
    def spelled(value):
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, str) and value in ("True", "False"):
            return value.lower()
        return value

    out = table.copy()
    for position in range(table.shape[1]):
        column = table.iloc[:, position]
        if pd.api.types.is_bool_dtype(column) or column.dtype == object or \
                pd.api.types.is_string_dtype(column):
            out.isetitem(position, column.map(spelled).astype(object))
    return out


def write_csv(table: pd.DataFrame, target: Path | IO[str], index: bool = False,
              header: bool = True) -> Path | IO[str]:
    """Write a table as a CSV file a spreadsheet reads as meant.

    Parameters
    ----------
    table : DataFrame
    target : Path or text file
        A path is written whole (with the byte-order mark); an open file receives the
        rows only, for a table streamed in parts (its opener writes the mark).
    index : bool
        Whether the index is part of the table (its name is then the first header).
    header : bool
        Whether to write the header line.

    Returns
    -------
    Path or text file
        ``target``.
    """
    out = inert(spreadsheet_values(table))
    options = dict(index=index, header=header, float_format=significant,
                   lineterminator="\n")
    if isinstance(target, Path):
        out.to_csv(target, encoding="utf-8-sig", **options)
    else:
        out.to_csv(target, **options)
    return target
