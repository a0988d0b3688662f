"""What every chapter notebook does first and how it shows tables.

``start_page`` loads and validates the data package and shows the page's own
parameters, so a reader always sees what produced the numbers below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from html import escape

import pandas as pd

from analysis import paths
from analysis.chapters.csv import is_numeric, write_csv
from analysis.contract.escape import html_text
from analysis.contract.package import DataPackage
from analysis.contract.table_files import table_siblings
from analysis.contract.validation import load_package
from analysis.pages.needs import pages_needing
from analysis.plan import tables_dir



@dataclass
class Page:
    """The data and parameters a chapter page is computed from."""

    package: DataPackage
    parameters: dict[str, Any] = field(default_factory=dict)

    def parameters_table(self) -> pd.DataFrame:
        # Not the data fingerprint: a page is reused while the files it reads are
        # unchanged, so its own output cannot name the package of a later build. The
        # edition stamp under every page does, written in when the book is published
        # (analysis.engine.book.stamp_pages).
        rows = [{"parameter": k, "value": _show(v)} for k, v in self.parameters.items()]
        return pd.DataFrame(rows).set_index("parameter")


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)


def start_page(**parameters: Any) -> Page:
    """Load the page's data package and show its parameters.

    Parameters
    ----------
    **parameters
        The notebook's parameters, ``data_dir`` among them.
    """
    import warnings

    from IPython.display import display

    # A table's text is never cut ("heterosexual, gay_or_lesbian, bisexual, other,...").
    pd.set_option("display.max_colwidth", None)
    # A warning a page shows names no file of the machine the book was built on.
    warnings.formatwarning = warning_text
    data_dir = paths.resolve_data_dir(parameters.get("data_dir"))
    page = Page(load_package(data_dir, needed_for=pages_needing), dict(parameters))
    page.parameters["data_dir"] = (data_dir.name if data_dir == paths.DATA_SYNTHETIC
                                   else str(data_dir))
    display(show_text_table(page.parameters_table(), caption="Parameters of this page"))
    return page


def warning_text(message, category, filename, lineno, line=None) -> str:
    """A warning as a page prints it: its kind and message, without the path and line
    of the code that raised it (a folder of the build machine)."""
    return f"{category.__name__}: {message}\n"


SLUG_LIMIT = 100  # characters of a CSV's name (without .csv); a longer one ends at a word


def table_slug(caption: str | None, table: pd.DataFrame) -> str:
    """A file name for a table: from its caption, else from its columns; whole words."""
    text = caption or "_".join(map(str, table.columns[:3]))
    text = re.sub(r"^Table \d+\.\s*", "", text)
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if len(slug) > SLUG_LIMIT:
        slug = slug[:SLUG_LIMIT + 1].rsplit("_", 1)[0]
    return slug or "table"


def export_table(table: pd.DataFrame, caption: str | None = None) -> Path | None:
    """Write a shown table as CSV when the build asks for it (see :func:`analysis.plan.tables_dir`).

    The CSV holds plain numbers, not the page's formatted text, in a form a spreadsheet
    reads and with no cell it would run as a formula
    (:func:`analysis.chapters.csv.write_csv`).
    """
    folder = tables_dir()
    if not folder:
        return None
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{table_slug(caption, table)}.csv"
    n = 2
    while path.exists():  # two tables with one caption on a page keep both
        path = out / f"{table_slug(caption, table)}_{n}.csv"
        n += 1
    return write_csv(table, path, index=not isinstance(table.index, pd.RangeIndex))


def csv_href(path: Path | None) -> str | None:
    """The link from a page to a table's CSV in the built book: ``tables/<page>/<file>``.

    The build writes a page's tables to ``<page>.tables/`` and publishes that folder as
    ``tables/<page>/`` beside the page.
    """
    if path is None or not path.parent.name.endswith(".tables"):
        return None
    # The build's folder for a page's tables is <page>.run.tables (analysis.plan.BuildPlan).
    page = path.parent.name.removesuffix(".tables").removesuffix(".run")
    return f"tables/{page}/{path.name}"


class ShownTable:
    """A table as a page shows it: the styled table, then a link to its CSV file.

    Everything else (``data``, ``caption``, ``to_html``...) is the :class:`Styler`'s.
    """

    def __init__(self, styler, href: str | None):
        self.styler = styler
        self.href = href

    def __getattr__(self, name):
        return getattr(self.styler, name)

    def _repr_html_(self) -> str:
        """The caption above a box that scrolls a table wider than the page sideways
        (with its scroll bar on top, book.css), the CSV link below it.

        The table keeps its ``<caption>``, which names it for a screen reader; the
        caption a reader sees is a paragraph above the box (a table's own caption is
        as wide as the table, and would scroll away with it), hidden from screen
        readers so that they do not read it twice. The box becomes a named, focusable
        region when it is narrower than its table (book.js). A table of more than
        ``WIDE_COLUMNS`` columns is marked wide: it prints on a landscape page.
        """
        html = _lighter(self.styler.to_html())
        caption = ""
        found = re.search(r"<caption>(.*?)</caption>", html, flags=re.S)
        if found:
            text = found.group(1).strip()
            html = (html[:found.start()] + f'<caption class="cen-table__name">{text}</caption>'
                    + html[found.end():])
            caption = f'<p class="cen-table__caption" aria-hidden="true">{text}</p>'
        html = (f'{caption}<div class="cen-table__frame"><div class="cen-table__scroll">'
                f'{html}</div></div>')
        if self.href:
            html += download_links(self.href)
        wide = " cen-table--wide" if self.styler.data.shape[1] > WIDE_COLUMNS else ""
        return f'<div class="cen-table{wide}">{html}</div>'


WIDE_COLUMNS = 8  # a table of more columns prints on a landscape page (book.css)


def download_links(href: str) -> str:
    """The links below a table: its CSV (plain numbers), its Excel copy and, for a table
    a manuscript needs, its Word copy (the build writes both copies beside the CSV:
    :func:`analysis.contract.table_files.table_siblings`)."""
    files = table_siblings(href)
    links = [f'<a href="{escape(files.csv)}" download>CSV</a> <span '
             'class="table-download__note">(this table, plain numbers)</span>',
             f'<a href="{escape(files.xlsx)}" download>Excel</a>']
    if files.docx:
        links.append(f'<a href="{escape(files.docx)}" download>Word</a> <span '
                     'class="table-download__note">(for the manuscript)</span>')
    return f'<p class="table-download">{" · ".join(links)}</p>'


def _lighter(html: str) -> str:
    """A styled table's HTML without what no style or reader uses.

    pandas gives every cell an id (``T_x_row0_col0``) and the classes ``data row0
    col0``, and indents every tag: 80 bytes a cell, half a megabyte for a table of 300
    rows and 21 columns. An id that the table's own styles name is kept; a column's
    alignment rule (``td.col3``) selects the column by position instead
    (``td:nth-of-type(4)``: row headers are ``th``), so no cell needs its column's class.
    """
    styles = " ".join(re.findall(r"<style.*?</style>", html, flags=re.S))
    html = re.sub(r' id="(T_\w+?_(?:row\d+_col|level\d+_col|level\d+_row)\d+)"',
                  lambda m: m.group(0) if f"#{m.group(1)}" in styles else "", html)
    html = re.sub(r"(<style.*?</style>)", lambda m: re.sub(
        r"\btd\.col(\d+)\b", lambda c: f"td:nth-of-type({int(c.group(1)) + 1})", m.group(1)),
        html, flags=re.S)
    if not re.search(r"\.col\d+\b", " ".join(re.findall(r"<style.*?</style>", html, re.S))):
        html = re.sub(r'(<td[^>]*?) class="data row\d+ col\d+ ?([^"]*)"',
                      lambda m: m.group(1) + (f' class="{m.group(2)}"' if m.group(2) else ""),
                      html)
    html = re.sub(r'(<t[dh]\b[^>]*?) +>', r"\1>", html)
    # One line break between cells, not none: the search index reads the HTML with its
    # tags stripped, and cells run together would make one long word of a row.
    return re.sub(r">\s+<(/?(?:table|caption|thead|tbody|tr|td|th|style)\b)", r">\n<\1", html)


MAX_SHOWN_ROWS = 300  # a longer table is cut on the page; its CSV keeps every row


def _cut(table: pd.DataFrame, caption: str | None) -> tuple[pd.DataFrame, str | None]:
    """The rows a page shows, and a caption that says when rows were left out."""
    if len(table) <= MAX_SHOWN_ROWS:
        return table, caption
    note = (f"first {MAX_SHOWN_ROWS:,} of {len(table):,} rows; every row is in the "
            "table's CSV file under tables/ in the built book")
    return table.head(MAX_SHOWN_ROWS), f"{caption} ({note})" if caption else note.capitalize()


def _flat(table: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The table to style, and whether to hide its index.

    An index becomes the first column(s), each level's name its header, so the table has
    one header row and not a second, near-empty one holding the index's names. A
    grouped (multi-level) index keeps its grouping: an outer level's value is written on
    the first row of its group only. A default row number (0, 1, ...) is not shown.
    """
    if isinstance(table.index, pd.RangeIndex) and table.index.start == 0:
        return table, True
    names = [n if n is not None else "" for n in table.index.names]
    if any(n in table.columns for n in names if n):
        return table, False
    flat = table.rename_axis(names).reset_index()
    if isinstance(table.index, pd.MultiIndex):
        keys = flat[names].astype(str)
        for depth, name in enumerate(names[:-1]):
            repeated = (keys[names[:depth + 1]] == keys[names[:depth + 1]].shift()).all(axis=1)
            flat[name] = flat[name].astype(object).where(~repeated, "")
    return flat, True


def _styled(table: pd.DataFrame, caption: str | None, **format_options):
    """A Styler in which every piece of text is escaped HTML.

    pandas escapes the cells (``escape="html"``) but not the column headers, the index,
    their names or the caption: a reviewer's label from ``casp_ratings.csv`` becomes a
    column header, a category label a row heading, a theme name a caption. All of them
    are data text and reach the page as text only.
    """
    names = {"index": [None if n is None else html_text(n) for n in table.index.names],
             "columns": [None if n is None else html_text(n) for n in table.columns.names]}
    table = table.rename_axis(**names)
    styler = table.style.format(na_rep="–", escape="html", **format_options)
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    if caption:
        styler = styler.set_caption(html_text(caption))
    return styler


def show_table(table: pd.DataFrame, caption: str | None = None,
               index: list[str] | None = None, precision: int = 1,
               published: pd.DataFrame | None = None, name: str | None = None):
    """A table ready to display: grouped index, fixed decimals, optional caption.

    The table is also exported as CSV during a build (:func:`export_table`), its file
    named after ``name`` or else the caption; a table longer than ``MAX_SHOWN_ROWS``
    shows its first rows and says so. A page that shows a summary of a larger table
    passes that table as ``published``: its CSV (linked below the summary) holds every
    row.
    """
    href = csv_href(export_table(table if published is None else published, name or caption))
    table, caption = _cut(table, caption)
    shown = table.set_index(index) if index else table
    shown, hide = _flat(shown)
    # escape: a cell's "<" ("< 0.001") is text, written "&lt;", not the start of a tag.
    styler = _styled(shown, caption, precision=precision)
    if hide:
        styler = styler.hide(axis="index")
    # Words left, numbers right (decimal places line up).
    styler = styler.set_table_styles(
        [{"selector": f"td.col{i}",
          "props": f"text-align: {'right' if is_numeric(shown[c]) else 'left'};"}
         for i, c in enumerate(shown.columns)], overwrite=False)
    return ShownTable(styler, href)


def show_text_table(table: pd.DataFrame, caption: str | None = None,
                    colours: dict[str, str] | None = None):
    """A table of words, left-aligned (numbers in :func:`show_table` align right).

    Parameters
    ----------
    table : DataFrame
    caption : str, optional
    colours : dict, optional
        Background colour of cells by their value, so a long table can be scanned.
    """
    href = csv_href(export_table(table, caption))
    table, caption = _cut(table, caption)
    table, hide = _flat(table)
    styler = _styled(table, caption, precision=1)
    if hide:
        styler = styler.hide(axis="index")
    # Rules for the whole table and a class per tinted value, not a style per cell:
    # pandas places per-cell styles one cell at a time, which takes a long ratings
    # table a second; the page looks the same.
    rules = [{"selector": "td", "props": "text-align: left;"}]
    if colours:
        classes = {value: f"tint-{i}" for i, value in enumerate(colours)}
        styler = styler.set_td_classes(table.map(lambda v: classes.get(v, "")))
        rules += [{"selector": f"td.{name}", "props": f"background-color: {colours[value]};"}
                  for value, name in classes.items()]
    styler = styler.set_table_styles(rules, overwrite=False)
    return ShownTable(styler, href)
