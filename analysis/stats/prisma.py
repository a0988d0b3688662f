"""The PRISMA 2020 flow of a review's search and selection, from ``search_flow``.

``search_flow`` has one row per box of the flow diagram and per source (a database, an
other method such as citation tracking, or a reason for excluding a full text). The
arithmetic is checked when the package is validated (identified minus duplicates is
screened, and so on, and the number included is the number of rows of ``studies``);
this module only reads it into named counts. The number of distinct *studies* is not a
box of ``search_flow``: it comes from ``studies.study_group``, which joins the papers
(reports, in PRISMA's words) of one study.

References
----------
Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated
guideline for reporting systematic reviews. BMJ 2021;372:n71. doi:10.1136/bmj.n71
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.contract.package import DataPackage, category_labels


@dataclass(frozen=True)
class PrismaFlow:
    """The counts of a PRISMA 2020 flow diagram.

    Attributes
    ----------
    identified : DataFrame
        ``source`` and ``count`` of the records identified, in the package's order.
    exclusion_reasons : DataFrame
        ``reason`` and ``count`` of the full texts excluded, most frequent first.
    n_identified, n_sources : int
        Records identified in all sources, and the number of sources searched.
    n_duplicates_removed, n_screened, n_excluded_title_abstract : int
    n_full_text_assessed, n_excluded_full_text, n_exclusion_reasons : int
    n_included_papers : int
        Papers (reports) included; equal to the rows of ``studies``.
    n_distinct_studies : int
        Distinct values of ``studies.study_group``.
    n_multi_paper_studies : int
        Studies reported in more than one included paper.
    top_reason : str
        The most frequent reason for excluding a full text ("none" if none was excluded).
    n_top_reason : int
    pct_screened_included : float
        Papers included as a percentage of the records screened.
    """

    identified: pd.DataFrame
    exclusion_reasons: pd.DataFrame
    n_identified: int
    n_sources: int
    n_duplicates_removed: int
    n_screened: int
    n_excluded_title_abstract: int
    n_full_text_assessed: int
    n_excluded_full_text: int
    n_exclusion_reasons: int
    n_included_papers: int
    n_distinct_studies: int
    n_multi_paper_studies: int
    top_reason: str
    n_top_reason: int
    pct_screened_included: float

    def table(self) -> pd.DataFrame:
        """One row per box of the diagram: stage label, detail (source or reason), n."""
        labels = category_labels("search_flow", "stage")
        rows = [(labels["identified"], s, c) for s, c in self.identified.itertuples(index=False)]
        rows += [(labels["identified"], "all sources", self.n_identified),
                 (labels["duplicates_removed"], "", self.n_duplicates_removed),
                 (labels["screened"], "", self.n_screened),
                 (labels["excluded_title_abstract"], "", self.n_excluded_title_abstract),
                 (labels["full_text_assessed"], "", self.n_full_text_assessed)]
        rows += [(labels["excluded_full_text"], r, c)
                 for r, c in self.exclusion_reasons.itertuples(index=False)]
        rows += [(labels["excluded_full_text"], "all reasons", self.n_excluded_full_text),
                 (labels["included"], "papers (reports)", self.n_included_papers),
                 (labels["included"], "distinct studies", self.n_distinct_studies)]
        return pd.DataFrame(rows, columns=["stage", "detail", "n"])


def prisma_flow(package: DataPackage) -> PrismaFlow:
    """The PRISMA 2020 counts of a validated package.

    Parameters
    ----------
    package : DataPackage
        With ``search_flow`` and ``studies``.

    Returns
    -------
    PrismaFlow
    """
    return prisma_flow_from_tables(package["search_flow"], package["studies"])


def prisma_flow_from_tables(search_flow: pd.DataFrame, studies: pd.DataFrame) -> PrismaFlow:
    """:func:`prisma_flow` on the two tables themselves."""
    flow = search_flow.assign(count=search_flow["count"].astype(int))
    total = flow.groupby("stage")["count"].sum()

    def get(stage: str) -> int:
        return int(total.get(stage, 0))

    identified = (flow.loc[flow["stage"] == "identified", ["source", "count"]]
                  .groupby("source", sort=False, as_index=False)["count"].sum())
    reasons = (flow.loc[flow["stage"] == "excluded_full_text", ["source", "count"]]
               .groupby("source", sort=False, as_index=False)["count"].sum()
               .rename(columns={"source": "reason"})
               .sort_values("count", ascending=False, kind="stable")
               .reset_index(drop=True))
    per_study = studies.groupby("study_group").size()
    screened = get("screened")
    included = get("included")
    return PrismaFlow(
        identified=identified.reset_index(drop=True),
        exclusion_reasons=reasons,
        n_identified=get("identified"),
        n_sources=len(identified),
        n_duplicates_removed=get("duplicates_removed"),
        n_screened=screened,
        n_excluded_title_abstract=get("excluded_title_abstract"),
        n_full_text_assessed=get("full_text_assessed"),
        n_excluded_full_text=get("excluded_full_text"),
        n_exclusion_reasons=len(reasons),
        n_included_papers=included,
        n_distinct_studies=int(studies["study_group"].nunique()),
        n_multi_paper_studies=int((per_study > 1).sum()),
        top_reason=str(reasons["reason"].iloc[0]) if len(reasons) else "none",
        n_top_reason=int(reasons["count"].iloc[0]) if len(reasons) else 0,
        pct_screened_included=round(100 * included / screened, 2) if screened else float("nan"),
    )
