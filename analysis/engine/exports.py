"""Tables as journals take them: Excel and Word copies of the published CSV files.

At publish time every table's CSV gets an Excel copy beside it, and the tables a
manuscript needs (:data:`analysis.contract.table_files.MANUSCRIPT_TABLES`) a Word copy;
``python -m analysis export --to DIR`` writes the manuscript's tables from the last built
book into one folder. Everything is written from the CSV files, the book's plain-number
record of what each page showed, so a copy holds the page's numbers.

A cell that is a number in the CSV stays a number in the spreadsheet; every text cell
is passed through :func:`analysis.contract.escape.spreadsheet_cell` (text from a data
package never becomes a formula). The GRADE-CERQual tables take the columns of the iSoQ
tool (:data:`analysis.contract.table_files.ISOQ_SUMMARY_COLUMNS`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from analysis import paths
from analysis.contract.errors import InputError
from analysis.contract.escape import spreadsheet_cell
from analysis.contract.table_files import (ISOQ_EVIDENCE_PROFILE_COLUMNS, ISOQ_SUMMARY_COLUMNS,
                                           MANUSCRIPT_TABLES, ManuscriptTable, manuscript_table)

_INTEGER = re.compile(r"-?(0|[1-9]\d*)")
_DECIMAL = re.compile(r"-?(0|[1-9]\d*)\.\d+")
COMPONENT_COLUMNS = {"Methodological limitations": "Methodological limitations",
                     "Coherence": "Coherence", "Adequacy of data": "Adequacy",
                     "Relevance": "Relevance"}


@dataclass(frozen=True)
class Grid:
    """A table as rows of cells: numbers as numbers, text as (escaped) text."""

    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


def cell_value(text: str) -> object:
    """A CSV cell as a spreadsheet cell: a plain integer or decimal as a number (a code such
    as '007' or 'S01' stays text), any other text escaped by ``spreadsheet_cell``."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return spreadsheet_cell(text)


def read_grid(path: Path) -> Grid:
    """A published CSV as a :class:`Grid`."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = tuple(str(spreadsheet_cell(h)) for h in (rows[0] if rows else []))
    return Grid(header, tuple(tuple(cell_value(c) for c in row) for row in rows[1:]))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def cerqual_summary_grid(summary: Grid) -> Grid:
    """The book's summary of qualitative findings with iSoQ's columns."""
    col = {name: i for i, name in enumerate(summary.header)}
    rows = []
    for n, row in enumerate(summary.rows, start=1):
        rows.append((n, row[col["Review finding"]], row[col["GRADE-CERQual confidence"]],
                     row[col["Explanation of the assessment"]], row[col["Contributing papers"]]))
    return Grid(ISOQ_SUMMARY_COLUMNS, tuple(rows))


def cerqual_profile_grid(profile: Grid, summary: Grid) -> Grid:
    """The book's evidence profile (one row per finding and component) with iSoQ's
    columns: one row per finding, a column per component."""
    pcol = {name: i for i, name in enumerate(profile.header)}
    scol = {name: i for i, name in enumerate(summary.header)}
    findings: dict[object, dict[str, object]] = {}
    for row in profile.rows:
        concern, explanation = _text(row[pcol["Concern"]]), _text(row[pcol["Explanation"]])
        text = explanation if explanation.startswith(concern) else f"{concern}: {explanation}"
        column = COMPONENT_COLUMNS.get(_text(row[pcol["Component"]]))
        if column:
            findings.setdefault(row[pcol["Review finding"]], {})[column] = spreadsheet_cell(text)
    overall = {row[scol["Review finding"]]: row for row in summary.rows}
    rows = []
    for n, (finding, parts) in enumerate(findings.items(), start=1):
        s = overall.get(finding)
        rows.append((n, finding, *(parts.get(c, "") for c in ISOQ_EVIDENCE_PROFILE_COLUMNS[2:6]),
                     s[scol["GRADE-CERQual confidence"]] if s else "",
                     s[scol["Contributing papers"]] if s else ""))
    return Grid(ISOQ_EVIDENCE_PROFILE_COLUMNS, tuple(rows))


def write_xlsx(grid: Grid, path: Path, title: str) -> Path:
    """Write a grid as a one-sheet workbook (numbers as numbers)."""
    from openpyxl import Workbook  # loaded only when a workbook is written

    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "table"
    sheet.append(list(grid.header))
    for row in grid.rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    book.save(path)
    return path


def write_docx(grid: Grid, path: Path, title: str) -> Path:
    """Write a grid as a Word document: the title, then the table with a header row."""
    from docx import Document  # loaded only when a document is written

    document = Document()
    document.add_heading(str(spreadsheet_cell(title)), level=2)
    table = document.add_table(rows=1, cols=len(grid.header))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, grid.header):
        cell.text = ""
        cell.paragraphs[0].add_run(name).bold = True
    for row in grid.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = _text(value)
    document.save(path)
    return path


def _grid_for(table: ManuscriptTable, csv_path: Path) -> Grid:
    grid = read_grid(csv_path)
    if table.key == "cerqual_summary":
        return cerqual_summary_grid(grid)
    if table.key == "cerqual_evidence_profile":
        summary = next(csv_path.parent.glob("summary_of_qualitative_findings*.csv"), None)
        return cerqual_profile_grid(grid, read_grid(summary) if summary else Grid((), ()))
    return grid


def copy_inputs(csv_path: Path) -> list[Path]:
    """The CSV files the copies of a published CSV are made from (:func:`write_copies`)."""
    inputs = [csv_path]
    table = manuscript_table(csv_path)
    if table is not None and table.key == "cerqual_evidence_profile":
        summary = next(csv_path.parent.glob("summary_of_qualitative_findings*.csv"), None)
        inputs += [summary] if summary else []
    return inputs


def copy_files(csv_path: Path) -> list[Path]:
    """The copies :func:`write_copies` writes for a published CSV."""
    word = [csv_path.with_suffix(".docx")] if manuscript_table(csv_path) is not None else []
    return [csv_path.with_suffix(".xlsx"), *word]


def write_copies(csv_path: Path) -> list[Path]:
    """The Excel copy of a published CSV (same numbers) and, for a manuscript table, its
    Word copy; returns the files written."""
    title = csv_path.stem.replace("_", " ").capitalize()
    written = [write_xlsx(read_grid(csv_path), csv_path.with_suffix(".xlsx"), title)]
    table = manuscript_table(csv_path)
    if table is not None:
        written.append(write_docx(_grid_for(table, csv_path), csv_path.with_suffix(".docx"),
                                  table.title))
    return written


@dataclass(frozen=True)
class ExportedTable:
    title: str
    source: Path  # the CSV of the book it came from
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Export:
    """What ``export`` wrote."""

    folder: Path
    tables: tuple[ExportedTable, ...]
    missing: tuple[str, ...]  # manuscript tables the book does not have

    @property
    def files(self) -> list[Path]:
        return [f for t in self.tables for f in t.files]


def find_manuscript_tables(tables_dir: Path) -> dict[str, Path]:
    """The CSV of each manuscript table in a book's ``tables/`` folder, by key."""
    found = {}
    for table in MANUSCRIPT_TABLES:
        for page, prefix in table.candidates:
            hits = sorted((tables_dir / page).glob(f"{prefix}*.csv"))
            if hits:
                found[table.key] = hits[0]
                break
    return found


def export_manuscript_tables(to: str | Path, build_root: Path | None = None) -> Export:
    """Write every manuscript table of the last built book as ``.docx`` and ``.xlsx``.

    Parameters
    ----------
    to : str or Path
        Folder to write (created when missing).
    build_root : Path, optional
        Folder holding ``_build/`` (default: the project).

    Raises
    ------
    InputError
        No built book, or a book without any manuscript table.
    """
    tables_dir = paths.html_dir(build_root) / "tables"
    if not tables_dir.is_dir():
        raise InputError(f"no built book in {paths.html_dir(build_root)}; build it first "
                         "(python -m analysis build --data-dir DIR)")
    found = find_manuscript_tables(tables_dir)
    if not found:
        raise InputError(f"the book in {paths.html_dir(build_root)} has none of the "
                         "manuscript's tables; build it on a package with studies, "
                         "participants or search_flow")
    folder = Path(to)
    folder.mkdir(parents=True, exist_ok=True)
    exported, missing = [], []
    for table in MANUSCRIPT_TABLES:
        source = found.get(table.key)
        if source is None:
            missing.append(table.title)
            continue
        grid = _grid_for(table, source)
        files = (write_docx(grid, folder / f"{table.key}.docx", table.title),
                 write_xlsx(grid, folder / f"{table.key}.xlsx", table.title))
        exported.append(ExportedTable(table.title, source, files))
    return Export(folder, tuple(exported), tuple(missing))
