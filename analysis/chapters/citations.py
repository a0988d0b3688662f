"""How a page names a report the data package declares (``study.reports``).

A report the book's bibliography holds (``book/references.bib``, the same key as the
report's ``id``) is cited with ``{cite:p}``, so it joins the References page; any other
report is named by its short form in brackets, since a citation the bibliography lacks
would stop the strict build.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from analysis import paths
from analysis.contract.escape import Myst, myst_role
from analysis.contract.package import DataPackage
from analysis.contract.study import Report

BIBLIOGRAPHY = paths.BOOK / "references.bib"
REVIEW_NAMES = {"meta_synthesis": "the meta-synthesis", "interview_study": "the interview study",
                "prevalence": "the prevalence meta-analysis"}


@lru_cache(maxsize=4)
def bibliography_keys(path: Path = BIBLIOGRAPHY) -> frozenset[str]:
    """The citation keys of a BibTeX file (empty when there is none)."""
    if not path.exists():
        return frozenset()
    return frozenset(re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", path.read_text(encoding="utf-8"),
                                flags=re.M))


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
