"""The files each published table comes in, and the tables a manuscript needs.

Every table a page shows is published as ``tables/<page>/<name>.csv`` (plain numbers);
the build writes an Excel copy beside it (``<name>.xlsx``) and, for the tables a
manuscript needs (:data:`MANUSCRIPT_TABLES`), a Word copy (``<name>.docx``).
:func:`table_siblings` names them from the CSV, so that a page links all three in one
call and ``python -m analysis export`` finds the manuscript's tables in the last book.

The GRADE-CERQual tables are written with the columns of the GRADE-CERQual interactive
Summary of Qualitative Findings (iSoQ) tool (:data:`ISOQ_SUMMARY_COLUMNS`,
:data:`ISOQ_EVIDENCE_PROFILE_COLUMNS`), so that a team can continue in iSoQ.

References
----------
Lewin S, Bohren M, Rashidian A, et al. Applying GRADE-CERQual to qualitative evidence
synthesis findings, paper 2: how to make an overall CERQual assessment of confidence and
create a Summary of Qualitative Findings table. Implement Sci 2018;13(Suppl 1):10.

iSoQ (Epistemonikos Foundation and the GRADE-CERQual Project Group), the column headings
of its Summary of Qualitative Findings and Evidence Profile exports to Word
(github.com/epistemonikos/isoq, ``src/components``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ManuscriptTable:
    """A table a manuscript needs: where the book publishes it, what it is called."""

    key: str  # the file name of its exports
    title: str
    candidates: tuple[tuple[str, str], ...]  # (page, start of the CSV's name), first found


MANUSCRIPT_TABLES = (
    ManuscriptTable("sample_characteristics", "Sample characteristics",
                    (("sample_characteristics", "characteristics_of_the_interview_sample"),)),
    ManuscriptTable("included_papers", "Characteristics of the included papers",
                    (("included_papers", "characteristics_of_the_included_papers"),)),
    ManuscriptTable("appraisal", "Appraisal of the included papers",
                    (("appraisal", "answers_of_each_reviewer_and_the_consensus"),
                     ("quality", "band_of_each_paper"))),
    ManuscriptTable("cerqual_summary", "GRADE-CERQual summary of qualitative findings",
                    (("cerqual", "summary_of_qualitative_findings"),)),
    ManuscriptTable("cerqual_evidence_profile", "GRADE-CERQual evidence profile",
                    (("cerqual", "grade_cerqual_evidence_profile"),)),
    ManuscriptTable("prisma_counts", "PRISMA 2020 flow: counts",
                    (("prisma", "counts_of_the_prisma_flow"),)),
    ManuscriptTable("reporting_prisma", "PRISMA 2020 reporting checklist",
                    (("reporting_prisma", "each_item"),)),
    ManuscriptTable("reporting_prisma_abstract", "PRISMA 2020 for Abstracts checklist",
                    (("reporting_prisma_abstract", "each_item"),)),
    ManuscriptTable("reporting_entreq", "ENTREQ reporting checklist",
                    (("reporting_entreq", "each_item"),)),
    ManuscriptTable("reporting_emerge", "eMERGe reporting checklist",
                    (("reporting_emerge", "each_item"),)),
    ManuscriptTable("reporting_coreq", "COREQ reporting checklist",
                    (("reporting_coreq", "each_item"),)),
    ManuscriptTable("reporting_srqr", "SRQR reporting checklist",
                    (("reporting_srqr", "each_item"),)),
    ManuscriptTable("reporting_gripp2_sf", "GRIPP2-SF reporting checklist",
                    (("reporting_gripp2_sf", "each_item"),)),
)

ISOQ_SUMMARY_COLUMNS = ("#", "Summarised review finding",
                        "GRADE-CERQual Assessment of confidence",
                        "Explanation of GRADE-CERQual Assessment", "References")
ISOQ_EVIDENCE_PROFILE_COLUMNS = ("#", "Summarised review finding",
                                 "Methodological limitations", "Coherence", "Adequacy",
                                 "Relevance", "GRADE-CERQual assessment of confidence",
                                 "References")


def manuscript_table(csv_path: str | Path) -> ManuscriptTable | None:
    """The manuscript table a published CSV is (``tables/<page>/<name>.csv``), if any."""
    path = Path(csv_path)
    page = path.parent.name.removesuffix(".tables").removesuffix(".run")
    for table in MANUSCRIPT_TABLES:
        if any(page == p and path.stem.startswith(prefix) for p, prefix in table.candidates):
            return table
    return None


@dataclass(frozen=True)
class TableSiblings:
    """A published table's files: its CSV, its Excel copy, its Word copy (or None)."""

    csv: str
    xlsx: str
    docx: str | None


def table_siblings(csv_path: str | Path) -> TableSiblings:
    """The Excel and Word files published beside a table's CSV (same folder, same stem).

    Works on a path or a link (``tables/<page>/<name>.csv``); the Word copy exists for
    the manuscript's tables only.
    """
    text = str(csv_path)
    stem = text[:-len(".csv")] if text.endswith(".csv") else text
    docx = f"{stem}.docx" if manuscript_table(text) is not None else None
    return TableSiblings(text, f"{stem}.xlsx", docx)
