"""How a page names a report the data package declares (``study.reports``).

A report the book's bibliography holds (``book/references.bib``, the same key as the
report's ``id``) is cited with ``{cite:p}``, so it joins the References page; any other
report is named by its short form in brackets, since a citation the bibliography lacks
would stop the strict build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis import paths
from analysis.contract.escape import Myst, myst_role
from analysis.contract.package import DataPackage
from analysis.contract.study import Report

BIBLIOGRAPHY = paths.BOOK / "references.bib"
REVIEW_NAMES = {"meta_synthesis": "the meta-synthesis", "interview_study": "the interview study",
                "prevalence": "the prevalence meta-analysis"}


@dataclass(frozen=True)
class BibEntry:
    """One entry of a BibTeX file: its key, and its first author's surname and year when
    it gives them."""

    key: str
    first_author: str = ""
    year: str = ""


@lru_cache(maxsize=4)
def bibliography_entries(path: Path = BIBLIOGRAPHY) -> tuple[BibEntry, ...]:
    """The entries of a BibTeX file, in file order (none when there is no file).

    Read with a few patterns, not a BibTeX parser: the book's bibliography is written by
    the project, one field per line, and only keys, surnames and years are needed.
    """
    if not path.exists():
        return ()
    entries = []
    for text in re.split(r"\n(?=@)", "\n" + path.read_text(encoding="utf-8")):
        key = re.match(r"\s*@\w+\s*\{\s*([^,\s]+)\s*,", text)
        if not key:
            continue
        author = re.search(r"\bauthor\s*=\s*\{+\s*([^,{}]+)", text)
        year = re.search(r"\byear\s*=\s*\{?(\d{4})", text)
        entries.append(BibEntry(key.group(1), author.group(1).strip() if author else "",
                                year.group(1) if year else ""))
    return tuple(entries)


def bibliography_keys(path: Path = BIBLIOGRAPHY) -> frozenset[str]:
    """The citation keys of a BibTeX file (empty when there is none)."""
    return frozenset(entry.key for entry in bibliography_entries(path))


def cite(report: Report) -> Myst:
    """MyST for a bracketed reference to a report: a citation, or its short form."""
    if report.id in bibliography_keys():
        try:
            return myst_role("cite:p", report.id)
        except ValueError:  # a key MyST could not take as written: named instead
            pass
    return Myst("({})").format(report.short)


def review_name(package: DataPackage, review: str) -> Myst | str:
    """'the meta-synthesis of clinicians' perspectives ... {cite:p}`key`', or plain words.

    The report's own ``what`` (its article dropped) when it declares one, then the
    reference; without a declared report, the kind of review only.
    """
    report = package.study.report(review)
    plain = REVIEW_NAMES[review]
    if report is None:
        return plain
    what = re.sub(r"^(a|an|the)\s+", "", report.what.strip(), flags=re.I)
    return Myst("{} {}").format("the " + what if what else plain, cite(report))
