"""Reporting cross-walks: where the book reports each item of a reporting standard.

A cross-walk is data: ``analysis/chapters/crosswalks/<standard>.csv`` has one row per
item of the standard with its number, domain, topic and a short title in our own words,
and either the page and section of this book that reports it (``page#section``) or the
reason it cannot be reported. Auditors read the rendered table; a test checks that every
item is mapped and that every target exists in the built book.

References
----------
Tong A, Flemming K, McInnes E, Oliver S, Craig J. Enhancing transparency in reporting
the synthesis of qualitative research: ENTREQ. BMC Med Res Methodol 2012;12:181.

Tong A, Sainsbury P, Craig J. Consolidated criteria for reporting qualitative research
(COREQ): a 32-item checklist for interviews and focus groups. Int J Qual Health Care
2007;19(6):349-357.

Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated guideline
for reporting systematic reviews. BMJ 2021;372:n71. (The main checklist of 27 items, some
with sub-items numbered 10a, 13a-13f and so on, and the checklist for abstracts of 12.)

France EF, Cunningham M, Ring N, et al. Improving reporting of meta-ethnography: the
eMERGe reporting guidance. BMC Med Res Methodol 2019;19:25.

O'Brien BC, Harris IB, Beckman TJ, Reed DA, Cook DA. Standards for reporting qualitative
research: a synthesis of recommendations. Acad Med 2014;89(9):1245-1251.

Staniszewska S, Brett J, Simera I, et al. GRIPP2 reporting checklists: tools to improve
reporting of patient and public involvement in research. BMJ 2017;358:j3453.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FOLDER = Path(__file__).resolve().parent / "crosswalks"
COLUMNS = ["item", "domain", "topic", "title", "status", "target", "note"]
REPORTED = ("reported", "partly reported")
UNREPORTED = ("not applicable", "not reportable from these data")
STATUSES = REPORTED + UNREPORTED
# An item whose page this book leaves out (the package lacks what the page needs): set
# by :func:`as_built`, never written in a cross-walk file.
NOT_IN_BOOK = "not reported in this book"


@dataclass(frozen=True)
class Standard:
    """A reporting standard: its name, the number of items and (optionally) of domains."""

    key: str
    name: str
    n_items: int
    n_domains: int
    reports_on: str
    # Items the standard splits into lettered sub-items, e.g. ((10, "ab"),) for 10a, 10b.
    sub_items: tuple[tuple[int, str], ...] = ()

    def item_labels(self) -> list[str]:
        """Every item as the standard numbers it, sub-items lettered ("10a", "10b")."""
        letters = dict(self.sub_items)
        return [f"{n}{letter}" for n in range(1, self.n_items + 1)
                for letter in (letters.get(n) or [""])]


STANDARDS = {
    "entreq": Standard("entreq", "ENTREQ", 21, 5, "the meta-synthesis"),
    "coreq": Standard("coreq", "COREQ", 32, 3, "the interview study"),
    "prisma": Standard("prisma", "PRISMA 2020", 27, 7, "the systematic review",
                       ((10, "ab"), (13, "abcdef"), (16, "ab"), (20, "abcd"),
                        (23, "abcd"), (24, "abc"))),
    "prisma_abstract": Standard("prisma_abstract", "PRISMA 2020 for Abstracts", 12, 6,
                                "the abstract of the systematic review"),
    "emerge": Standard("emerge", "eMERGe", 19, 7, "a meta-ethnography"),
    "srqr": Standard("srqr", "SRQR", 21, 6, "the interview study"),
    "gripp2_sf": Standard("gripp2_sf", "GRIPP2-SF", 5, 5,
                          "patient and public involvement in the interview study"),
}


class CrosswalkError(ValueError):
    """A cross-walk file that leaves an item unmapped or maps it badly."""


def load_crosswalk(key: str, folder: Path = FOLDER) -> pd.DataFrame:
    """Read a cross-walk and check that every item is mapped.

    Parameters
    ----------
    key : str
        A key of :data:`STANDARDS` ("entreq", "coreq", "prisma", ...).
    folder : Path
        Where ``<key>.csv`` is.

    Returns
    -------
    DataFrame
        One row per item, in item order, with the columns of ``COLUMNS``.

    Raises
    ------
    CrosswalkError
        Naming the file, the row and what to fix, when an item is missing, repeated,
        has an unknown status, a status of "reported" without a target or a status of
        "not ..." without a reason.
    """
    standard = STANDARDS[key]
    path = folder / f"{key}.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = [f"{path.name}: columns must be {', '.join(COLUMNS)}"] \
        if list(table.columns) != COLUMNS else []
    labels = standard.item_labels()
    if not problems:
        items = table["item"].str.strip()
        missing = [label for label in labels if label not in set(items)]
        if missing:
            problems.append(f"{path.name}: {standard.name} item(s) "
                            f"{', '.join(missing)} are not mapped")
        for i, row in table.iterrows():
            where = f"{path.name}:{i + 2}"
            if items[i] not in labels:
                problems.append(f"{where}:item: '{row['item']}' is not an item of "
                                f"{standard.name} ({labels[0]} to {labels[-1]})")
            elif items[:i].eq(items[i]).any():
                problems.append(f"{where}:item: item {row['item']} is mapped twice")
            if row["status"] not in STATUSES:
                problems.append(f"{where}:status: '{row['status']}' is not allowed; "
                                f"allowed: {', '.join(STATUSES)}")
            elif row["status"] in REPORTED and "#" not in row["target"]:
                problems.append(f"{where}:target: a {row['status']} item needs a target "
                                "written page#section")
            elif row["status"] in UNREPORTED and not row["note"].strip():
                problems.append(f"{where}:note: say why the item is {row['status']}")
            if not row["title"].strip():
                problems.append(f"{where}:title: give the item a short title")
        n_domains = table["domain"].nunique()
        if n_domains != standard.n_domains:
            problems.append(f"{path.name}:domain: {n_domains} domains; {standard.name} "
                            f"has {standard.n_domains}")
    if problems:
        raise CrosswalkError("\n".join(problems))
    order = items.map({label: k for k, label in enumerate(labels)})
    table = table.assign(item=items).iloc[order.argsort()].reset_index(drop=True)
    # Plain numbers stay numbers (item 9); lettered sub-items stay text ("10a").
    return table if standard.sub_items else table.assign(item=table["item"].astype(int))


def as_built(table: pd.DataFrame, package, pages: Path | None = None) -> pd.DataFrame:
    """The cross-walk for the book as built on ``package``: an item reported on a page
    this book leaves out reads "not reported in this book", with the reason in its note
    (the page, and what the data package lacks for it).

    Parameters
    ----------
    table : DataFrame
        From :func:`load_crosswalk`.
    package : DataPackage
    pages : Path, optional
        The pages file (the one in force by default).
    """
    from analysis.pages.needs import choose_pages, offered_by_package
    from analysis.pages.page import read_pages

    listed = read_pages(pages)
    kept, left_out = choose_pages(listed, offered_by_package(package))
    built = {page.name for page in kept}
    why = {page.name: f"the page '{page.label}' is left out of this book ({page.reason})"
           for page in left_out}
    table = table.copy()
    for i, row in table.iterrows():
        if row["status"] not in REPORTED:
            continue
        page = row["target"].split("#", 1)[0]
        if page in built:
            continue
        reason = why.get(page, f"the page '{page}' is not in this book's pages file")
        table.loc[i, ["status", "target", "note"]] = [
            NOT_IN_BOOK, "", f"{reason[:1].upper()}{reason[1:]}."]
    return table


def targets(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (page, section id) pairs a cross-walk points to."""
    mapped = table.loc[table["status"].isin(REPORTED), "target"]
    return [tuple(t.split("#", 1)) for t in mapped]


@dataclass(frozen=True)
class CrosswalkSummary:
    """Counts of a cross-walk for the page's prose (glued as ``<key>_<field>``)."""

    standard: str
    reports_on: str
    file: str
    n_items: int
    n_domains: int
    n_reported: int
    n_partly: int
    n_not_applicable: int
    n_not_reportable: int
    n_pages: int
    n_entries: int  # rows: the items, each sub-item counted (PRISMA's 10a, 10b)
    scope: str  # "27 items in 7 domains (41 entries with their sub-items)"
    n_not_in_book: int = 0


def summarise(key: str, table: pd.DataFrame) -> CrosswalkSummary:
    """How many items of a cross-walk the book reports, in part, or cannot."""
    status = table["status"]
    pages = {page for page, _ in targets(table)}
    standard = STANDARDS[key]
    scope = f"{standard.n_items} items in {standard.n_domains} domains"
    if len(table) != standard.n_items:
        scope += f" ({len(table)} entries with their sub-items)"
    return CrosswalkSummary(
        standard=STANDARDS[key].name, reports_on=STANDARDS[key].reports_on,
        file=f"analysis/chapters/crosswalks/{key}.csv", n_items=standard.n_items,
        n_domains=int(table["domain"].nunique()),
        n_reported=int((status == "reported").sum()),
        n_partly=int((status == "partly reported").sum()),
        n_not_applicable=int((status == "not applicable").sum()),
        n_not_reportable=int((status == "not reportable from these data").sum()),
        n_pages=len(pages), n_entries=len(table), scope=scope,
        n_not_in_book=int((status == NOT_IN_BOOK).sum()))


def glue_summary(key: str, table: pd.DataFrame) -> CrosswalkSummary:
    """Glue the counts of :func:`summarise` as ``walk_<field>`` and the sentence of
    :func:`not_in_book_sentence` as ``walk_not_in_book``."""
    from myst_nb import glue

    from analysis.chapters.glue import glue_fields

    summary = summarise(key, table)
    glue_fields(summary, "walk")
    glue("walk_not_in_book", not_in_book_sentence(summary), display=False)
    return summary


def not_in_book_sentence(summary: CrosswalkSummary):
    """The sentence that says how many items this book cannot report because their
    pages are left out (displayable Markdown; nothing when there is none)."""
    from analysis.chapters.words import count_words, markdown
    from analysis.contract.escape import Myst

    n = summary.n_not_in_book
    if not n:
        return markdown(Myst(""), empty=False)
    return markdown(Myst("{} {} not reported in this book: the page that reports {} is "
                         "left out, because the data package lacks what it needs (the Note "
                         "column says what).").format(
                             count_words(n, "item"), "is" if n == 1 else "are",
                             "it" if n == 1 else "them"), empty=False)


def link_label(target: str) -> str:
    """Readable text for a ``page#section`` target, e.g. "Prisma: the flow of records"."""
    page, section = target.split("#", 1)
    page_text = page.replace("_", " ")
    return f"{page_text[:1].upper()}{page_text[1:]}: {section.replace('-', ' ')}"


def _link(target: str) -> str:
    if not target:
        return "–"
    page, section = target.split("#", 1)
    return f'<a href="{page}.html#{section}">{html.escape(link_label(target))}</a>'


def crosswalk_view(table: pd.DataFrame, links: bool = True) -> pd.DataFrame:
    """The cross-walk as the page shows it: one row per item, the target as a link.

    Parameters
    ----------
    table : DataFrame
        From :func:`load_crosswalk`.
    links : bool
        Targets as HTML links (for the page) or as plain ``page#section`` (for the CSV).
    """
    escape = html.escape if links else str
    return pd.DataFrame({
        "Item": table["item"],
        "Domain": table["domain"],
        "Topic": table["topic"].map(escape),
        "What it asks (in our words)": table["title"].map(escape),
        "Status": table["status"],
        "Where in this book": table["target"].map(_link) if links else table["target"],
        "Note": table["note"].map(escape),
    })


def show_crosswalk(table: pd.DataFrame, caption: str):
    """Show a cross-walk with its links and, as every shown table, a link to its CSV.

    The CSV is the plain view (``page#section`` targets, not HTML); the page's table
    keeps its links, so it is styled here (:func:`analysis.chapters.page.show_text_table`
    would escape them) and shown as a :class:`analysis.chapters.page.ShownTable`.
    """
    from analysis.chapters.page import ShownTable, csv_href, export_table

    href = csv_href(export_table(crosswalk_view(table, links=False), caption))
    styler = crosswalk_view(table).style.hide(axis="index").set_caption(caption)
    styler = styler.set_table_styles([{"selector": "td", "props": "text-align: left;"}])
    return ShownTable(styler, href)
