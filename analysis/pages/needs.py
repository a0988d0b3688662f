"""Which pages of the book a data package can fill: the ``needs`` of ``book/pages.yml``.

Each page of the pages file may list what it shows (``needs``): tables of the package,
``study.published`` (the published figures of its study section) or
``casp_ratings.independent_reviewers`` (two or more reviewers who appraised the papers
independently, whose agreement a page reports). A need may name alternatives joined by
``|``: ``participants|sample_summary`` is met by the participants' rows or by a sample
known only from its published summary (counts by characteristic), which a page can
build from either. A book built on a package leaves out every page whose needs the
package does not meet, and says why. This module is the one place that decides it, for
everyone who asks:

- the build, before any table is read (:func:`offered_by_files` reads the
  ``datapackage.json`` and, for the reviewers, one column of ``casp_ratings.csv``,
  without pandas), to lay out the book;
- a page, from its validated package (:func:`offered_by_package`), to word a sentence
  that would send the reader to another page (:func:`in_book`);
- validation, to name the pages a table that is empty leaves without rows
  (:func:`pages_needing`, which the callers of
  :func:`analysis.contract.validation.validate` hand it: the contract knows no pages).

The pages file is ``book/pages.yml`` unless the build was given another, which its plan
names for the pages it runs (:func:`analysis.plan.pages_file`); its pages are read by
:mod:`analysis.pages.page`. Imports no pandas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import plan as build_plan
from analysis.contract.import_log import IMPORT_LOG_NAME, IMPORT_LOG_NEED
from analysis.contract.reviewers import independent_labels
from analysis.contract.study import read_study
from analysis.pages.page import Page, read_pages

if TYPE_CHECKING:
    from analysis.contract.package import DataPackage

PUBLISHED = "study.published"  # the published figures of the study section
INDEPENDENT_REVIEWERS = "casp_ratings.independent_reviewers"  # two or more to compare
# A line of a page's table log (analysis.plan.table_log): the page asked whether
# the book has another page, so the build re-runs it when the answer changes.
ASKED_PREFIX = "page:"
OR = "|"  # between the alternatives of one need: participants|sample_summary

# What a need that is not a table means, in the words of a reason to leave a page out.
NEED_WORDS = {
    PUBLISHED: "no published figures in the study section of datapackage.json",
    INDEPENDENT_REVIEWERS: "casp_ratings.csv has no two independent reviewers to compare "
                           "(a single-rater appraisal)",
    IMPORT_LOG_NEED: f"no {IMPORT_LOG_NAME} (nothing was imported with python -m analysis "
                     "import)",
}


# ---------------------------------------------------------------- what a package offers


def offered_by_files(descriptor: Mapping[str, Any], data_dir: Path | None = None) -> set[str]:
    """What a package offers the pages, from its files, before anything is validated.

    Its declared tables and study sections are read from ``datapackage.json``; whether
    the appraisal has independent reviewers from the ``reviewer`` column of
    ``casp_ratings.csv`` in ``data_dir`` (with the csv module: the build reads this
    before pandas is loaded). A declared table that is empty is an error of validation,
    which names the pages that need it (:func:`pages_needing`).
    """
    resources = descriptor.get("resources", [])
    declared = {r.get("name"): r for r in resources if isinstance(r, dict)} if isinstance(
        resources, list) else {}
    offered = {name for name in declared if isinstance(name, str)}
    study = descriptor.get("study", {})
    if isinstance(study, dict) and study.get("published"):
        offered.add(PUBLISHED)
    if data_dir is not None and (Path(data_dir) / IMPORT_LOG_NAME).exists():
        offered.add(IMPORT_LOG_NEED)
    ratings = declared.get("casp_ratings")
    if data_dir is not None and ratings is not None:
        labels = _reviewer_labels(Path(data_dir) / str(ratings.get("path", "casp_ratings.csv")),
                                  Path(data_dir))
        if len(independent_labels(labels, read_study(dict(descriptor))[0].agreed_label)) >= 2:
            offered.add(INDEPENDENT_REVIEWERS)
    return offered


def offered_by_package(package: DataPackage) -> set[str]:
    """What a validated package offers the pages (the same as :func:`offered_by_files`)."""
    from analysis.contract.reviewers import agreed_label

    offered = {name for name in package.tables if package.has(name)}
    if package.study.published:
        offered.add(PUBLISHED)
    if (Path(package.data_dir) / IMPORT_LOG_NAME).exists():
        offered.add(IMPORT_LOG_NEED)
    if package.has("casp_ratings") and len(independent_labels(
            package["casp_ratings"]["reviewer"].unique(), agreed_label(package))) >= 2:
        offered.add(INDEPENDENT_REVIEWERS)
    return offered


def _reviewer_labels(path: Path, data_dir: Path) -> set[str]:
    """The labels in a CSV's ``reviewer`` column (none when it cannot be read: validation
    then says what is wrong with the file)."""
    from analysis.contract.reading import FileRefused, read_file_bytes

    try:
        # As a file of the package is read: a regular file in its folder, bounded (a
        # declared path such as "../../etc/passwd" leads out of it and is not read).
        text = read_file_bytes(path, data_dir).decode("utf-8-sig")
        rows = csv.DictReader(io.StringIO(text, newline=""))
        return {(row.get("reviewer") or "").strip() for row in rows} - {""}
    except (FileRefused, UnicodeDecodeError, csv.Error):
        return set()


# ---------------------------------------------------------------- the choice


def alternatives(need: str) -> tuple[str, ...]:
    """The alternatives of one need (a need without ``|`` is its own only one)."""
    return tuple(part.strip() for part in need.split(OR) if part.strip())


def need_words(need: str) -> str:
    """What a need that is not met means, in the words of a reason to leave a page out:
    its first alternative's ("no participants.csv"). The other alternatives are what a
    package could give instead (:func:`instead`)."""
    first = alternatives(need)[0]
    return NEED_WORDS.get(first, f"no {first}.csv")


def instead(need: str) -> tuple[str, ...]:
    """The inputs a package could give in place of a need's first alternative
    (``participants|sample_summary``: the sample summary)."""
    return alternatives(need)[1:]


@dataclass(frozen=True)
class LeftOut:
    """A page the build leaves out, and what the data package lacks for it."""

    name: str
    label: str
    missing: tuple[str, ...]

    @property
    def reason(self) -> str:
        """What is missing, in words: "no prevalence_studies.csv"."""
        said = [need_words(need) for need in self.missing]
        return " and ".join([", ".join(said[:-1]), said[-1]] if len(said) > 2 else said)

    def as_dict(self) -> dict[str, str]:
        return {"page": self.name, "title": self.label, "reason": self.reason}


def missing_needs(needs: Iterable[str], offered: set[str]) -> tuple[str, ...]:
    """The needs a package does not meet. Without a table, what a need of that table
    asks of its rows (the reviewers of ``casp_ratings``) goes unsaid."""
    missing = tuple(need for need in needs
                    if not any(one in offered for one in alternatives(need)))
    return tuple(need for need in missing
                 if "." not in need or need.split(".")[0] not in missing)


def choose_pages(pages: Sequence[Page], offered: set[str]) -> tuple[list[Page], list[LeftOut]]:
    """The pages whose needs the package meets, in order, and the pages left out.

    The first page (the book's landing page) is always kept.
    """
    kept: list[Page] = []
    left_out: list[LeftOut] = []
    for i, page in enumerate(pages):
        missing = missing_needs(page.needs, offered)
        if missing and i > 0:
            left_out.append(LeftOut(page.name, page.label, missing))
        else:
            kept.append(page)
    return kept, left_out


def in_book(package: DataPackage, page: str, pages: Path | None = None) -> bool:
    """Whether the book built on ``package`` has ``page`` (with the pages file in force).

    A page that asks is recorded in its table log, so that the build runs it again when
    the answer changes (:mod:`analysis.engine.cache`).
    """
    log = build_plan.table_log()
    if log and package.log_reads:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{ASKED_PREFIX}{page}\n")
    listed = read_pages(pages)
    kept, _ = choose_pages(listed, offered_by_package(package))
    return page in {p.name for p in kept}


def pages_needing(table: str, pages: Path | None = None) -> str:
    """The pages that need a table's rows, by their labels in book order ("the book"
    when no page of the pages file lists it); a semicolon between labels, which may
    hold commas."""
    labels = [page.label for page in read_pages(pages)
              if any(table in alternatives(need) for need in page.needs)]
    return "; ".join(labels) or "the book"
