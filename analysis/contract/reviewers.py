"""Who rated a paper: the reviewer label of the agreed answers, and the independent reviewers.

In ``casp_ratings`` every independent reviewer's answers and the agreed answers share
the ``reviewer`` column; the agreed answers are the rows of one label, ``consensus``
unless the package names another. This module is the one place that knows it, so that
the contract's rules, the statistics and the build read the label in one way; it sits
in the contract because the build, which may not import the statistics, decides from it
whether a book has an agreement page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # no pandas here: the build reads the labels before it loads pandas
    from analysis.contract.package import DataPackage

CONSENSUS = "consensus"  # the label of the agreed answers unless the package says


def agreed_label(package: DataPackage) -> str:
    """The reviewer label of the agreed answers the package declares (``consensus``).

    Read from ``study.appraisal.agreed_label`` in ``datapackage.json``; this is the one
    function to change when the study section is read elsewhere.
    """
    return package.study.agreed_label


def independent_labels(reviewers: Iterable[str], agreed_label: str = CONSENSUS) -> list[str]:
    """The labels of the reviewers who rated independently (all but the agreed), sorted."""
    return sorted(set(reviewers) - {agreed_label})


def has_independent_reviewers(package: DataPackage, agreed_label: str = CONSENSUS) -> bool:
    """Whether the appraisal has two or more independent reviewers to compare.

    A single-rater appraisal (only agreed answers, or one reviewer besides them) has no
    agreement to report: the build can leave the agreement page out.
    """
    table = package.tables.get("casp_ratings")
    if table is None or table.empty:
        return False
    return len(independent_labels(table["reviewer"].unique(), agreed_label)) >= 2
