"""ConQual: confidence in the synthesised findings of a JBI meta-aggregation.

Munn, Porritt, Lockwood, Aromataris and Pearson (2014) grade each synthesised finding of
a meta-aggregation in three steps, by fixed rules (the JBI Manual for Evidence Synthesis,
section "ConQual Summary of Findings", repeats them):

1. **Pre-ranking.** A synthesised finding from qualitative research starts at *High*
   (text and opinion would start at *Low*; this book synthesises qualitative research).
2. **Dependability.** Each contributing paper's answers to questions 2, 3, 4, 6 and 7 of
   the JBI Critical Appraisal Checklist for Qualitative Research are counted: 4-5 "Yes"
   leave the ranking unchanged, 2-3 move it down one level, 0-1 down two.
3. **Credibility.** The findings (illustrations) in the categories behind the synthesised
   finding: all unequivocal leave it unchanged; a mix of unequivocal and credible moves
   it down one level; credible only, two; a mix of credible and not supported, three;
   not supported only, four.

The score is the ranking after both steps, never below *Very Low*.

How the papers of one synthesised finding combine is not a formula in the paper: its
worked example (Munn et al. 2014, Table 1) downgrades dependability one level "due to
common dependability issues across the included primary studies (the majority of
studies had no statement locating the researcher ...)". This module reads that as a
majority rule (:func:`finding_dependability`): the finding moves down as many levels as
more than half of its contributing papers would (two levels when more than half score
0-1 "Yes"; otherwise one when more than half score 0-3; otherwise none).

A mix the published schema does not list (unequivocal with not supported findings) is
downgraded three levels here, as the mix of credible and not supported is: a finding
that any unsupported illustration backs is graded as one resting partly on unsupported
evidence (:func:`credibility_downgrade` says so in its ``mix``).

References
----------
Munn Z, Porritt K, Lockwood C, Aromataris E, Pearson A. Establishing confidence in the
output of qualitative research synthesis: the ConQual approach. BMC Med Res Methodol
2014;14:108. doi:10.1186/1471-2288-14-108
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

# The ranking scale, best first (Munn et al. 2014).
LEVELS = ("high", "moderate", "low", "very_low")
LEVEL_LABELS = {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very Low"}
PRE_RANKING = "high"  # qualitative research

# The JBI Critical Appraisal Checklist for Qualitative Research questions whose "Yes"
# answers make a paper dependable (Munn et al. 2014, "Dependability").
DEPENDABILITY_ITEMS = (2, 3, 4, 6, 7)
DEPENDABILITY_TOOL = "jbi_qualitative"

CREDIBILITY_LEVELS = ("unequivocal", "credible", "not_supported")
# Levels down for each mix of credibility levels (Munn et al. 2014, "Credibility"); the
# mix of unequivocal and not supported findings is this module's reading (see above).
CREDIBILITY_DOWNGRADES = {
    frozenset({"unequivocal"}): 0,
    frozenset({"unequivocal", "credible"}): 1,
    frozenset({"credible"}): 2,
    frozenset({"credible", "not_supported"}): 3,
    frozenset({"not_supported"}): 4,
    frozenset({"unequivocal", "not_supported"}): 3,
    frozenset({"unequivocal", "credible", "not_supported"}): 3,
}
PUBLISHED_MIXES = frozenset(list(CREDIBILITY_DOWNGRADES)[:5])

# Why a score could not be computed (``status`` of :func:`conqual_summary`).
COMPUTED = "computed"
NO_FINDINGS = "no_findings"
PAPERS_NOT_REPORTED = "papers_not_reported"
PAPERS_NOT_APPRAISED = "papers_not_appraised"
NO_DEPENDABILITY = "no_dependability"


def dependability_downgrade(yes_count: int) -> int:
    """Levels down for one paper with ``yes_count`` "Yes" answers to the five questions.

    Parameters
    ----------
    yes_count : int
        "Yes" answers to questions 2, 3, 4, 6 and 7 of the JBI checklist (0 to 5).

    Returns
    -------
    int
        0 for 4-5, 1 for 2-3, 2 for 0-1 (Munn et al. 2014).
    """
    if not 0 <= yes_count <= len(DEPENDABILITY_ITEMS):
        raise ValueError(f"yes_count must be 0 to {len(DEPENDABILITY_ITEMS)}, not {yes_count}")
    return 0 if yes_count >= 4 else 1 if yes_count >= 2 else 2


def paper_dependability(answers: pd.DataFrame, favourable: str = "yes") -> pd.DataFrame:
    """Each paper's dependability from its agreed appraisal answers.

    Parameters
    ----------
    answers : DataFrame
        Papers in rows (index ``study_id``), question numbers in columns, answer codes in
        the cells (:func:`analysis.stats.quality.answers_wide` of the JBI checklist). A
        question not answered counts as not "Yes".
    favourable : str
        The code of the answer "Yes".

    Returns
    -------
    DataFrame
        Index ``study_id``; columns ``yes_count`` (0-5) and ``downgrade`` (0, 1 or 2).
    """
    items = [i for i in DEPENDABILITY_ITEMS if i in answers.columns]
    yes = (answers[items] == favourable).sum(axis=1).astype(int) if items else \
        pd.Series(0, index=answers.index, dtype=int)
    out = pd.DataFrame({"yes_count": yes})
    out["downgrade"] = out["yes_count"].map(dependability_downgrade).astype(int)
    out.index.name = "study_id"
    return out


def finding_dependability(downgrades: Iterable[int]) -> int:
    """Levels down for a synthesised finding from its papers' downgrades (majority rule).

    Parameters
    ----------
    downgrades : iterable of int
        :func:`dependability_downgrade` of each contributing paper (each paper once).

    Returns
    -------
    int
        The largest downgrade that more than half of the papers reach: 2 when more than
        half score 0-1 "Yes", else 1 when more than half score 0-3, else 0.

    Examples
    --------
    >>> finding_dependability([0, 1, 1])
    1
    >>> finding_dependability([0, 0, 1, 1])
    0
    """
    values = list(downgrades)
    if not values:
        raise ValueError("a synthesised finding needs at least one contributing paper")
    for level in (2, 1):
        if sum(v >= level for v in values) * 2 > len(values):
            return level
    return 0


@dataclass(frozen=True)
class Credibility:
    """The credibility step for one synthesised finding.

    Attributes
    ----------
    mix : tuple of str
        The credibility levels present, in the order of :data:`CREDIBILITY_LEVELS`.
    downgrade : int
        Levels down (0-4).
    published_rule : bool
        False for a mix the published schema does not list (unequivocal with not
        supported), graded here as the mix of credible and not supported.
    """

    mix: tuple[str, ...]
    downgrade: int
    published_rule: bool


def credibility_downgrade(levels: Iterable[str]) -> Credibility:
    """Levels down for the credibility of the findings behind a synthesised finding.

    Parameters
    ----------
    levels : iterable of str
        The credibility of each finding: ``unequivocal``, ``credible`` or
        ``not_supported``.

    Returns
    -------
    Credibility
        All unequivocal 0; unequivocal and credible 1; credible only 2; credible and not
        supported 3; not supported only 4 (Munn et al. 2014).
    """
    present = frozenset(levels)
    unknown = present - set(CREDIBILITY_LEVELS)
    if unknown:
        raise ValueError(f"unknown credibility level(s): {', '.join(sorted(unknown))}")
    if not present:
        raise ValueError("a synthesised finding needs at least one finding")
    return Credibility(mix=tuple(c for c in CREDIBILITY_LEVELS if c in present),
                       downgrade=CREDIBILITY_DOWNGRADES[present],
                       published_rule=present in PUBLISHED_MIXES)


def conqual_score(dependability: int, credibility: int, pre_ranking: str = PRE_RANKING) -> str:
    """The ConQual score after both steps, never below Very Low.

    Parameters
    ----------
    dependability, credibility : int
        Levels down from each step.
    pre_ranking : str
        The starting level (``high`` for qualitative research).

    Returns
    -------
    str
        A code of :data:`LEVELS`.

    Examples
    --------
    Munn et al. (2014), Table 1: dependability down one level, credibility down one
    level (a mix of unequivocal and equivocal findings), score Low.

    >>> conqual_score(1, 1)
    'low'
    """
    start = LEVELS.index(pre_ranking)
    return LEVELS[min(start + dependability + credibility, len(LEVELS) - 1)]


def conqual_summary(synthesised: pd.DataFrame, findings: pd.DataFrame,
                    dependability: pd.DataFrame | None) -> pd.DataFrame:
    """The ConQual summary of findings: one row per synthesised finding.

    Parameters
    ----------
    synthesised : DataFrame
        Column ``synthesised_finding_id``, one row per synthesised finding, in order.
    findings : DataFrame
        One row per finding (illustration): ``synthesised_finding_id`` (through its
        category), ``credibility`` and ``study_id`` (empty or missing when the package
        does not say which paper a finding comes from).
    dependability : DataFrame or None
        :func:`paper_dependability` of the appraised papers; None when the package has
        no answers to the JBI checklist for qualitative research.

    Returns
    -------
    DataFrame
        Columns ``synthesised_finding_id``; ``n_findings`` and one count per credibility
        level (``n_unequivocal``, ``n_credible``, ``n_not_supported``); ``credibility_mix``
        (levels present, joined by ``+``), ``credibility_downgrade`` and
        ``credibility_published_rule``; ``n_papers`` (contributing papers named),
        ``n_findings_without_paper``, ``n_papers_not_appraised``; ``n_papers_by_downgrade``
        as ``n_papers_down0/1/2``; ``dependability_downgrade`` (``<NA>`` when not
        computed); ``score`` (a code of :data:`LEVELS`, empty when not computed);
        ``score_at_most`` (the level credibility alone allows, from High); ``status``
        (``computed`` or why not: ``no_findings``, ``papers_not_reported``,
        ``no_dependability``, ``papers_not_appraised``).
    """
    rows = []
    for sf_id in synthesised["synthesised_finding_id"]:
        mine = findings[findings["synthesised_finding_id"] == sf_id]
        counts = {f"n_{c}": int((mine["credibility"] == c).sum()) for c in CREDIBILITY_LEVELS}
        row = {"synthesised_finding_id": sf_id, "n_findings": int(len(mine)), **counts,
               "credibility_mix": "", "credibility_downgrade": pd.NA,
               "credibility_published_rule": True, "n_papers": 0,
               "n_findings_without_paper": 0, "n_papers_not_appraised": 0,
               "n_papers_down0": 0, "n_papers_down1": 0, "n_papers_down2": 0,
               "dependability_downgrade": pd.NA, "score": "", "score_at_most": "",
               "status": NO_FINDINGS}
        if mine.empty:
            rows.append(row)
            continue
        cred = credibility_downgrade(mine["credibility"])
        row.update(credibility_mix="+".join(cred.mix), credibility_downgrade=cred.downgrade,
                   credibility_published_rule=cred.published_rule,
                   score_at_most=conqual_score(0, cred.downgrade))
        papers = mine["study_id"].fillna("").astype(str) if "study_id" in mine else \
            pd.Series("", index=mine.index)
        named = sorted(set(papers[papers != ""]))
        row["n_papers"] = len(named)
        row["n_findings_without_paper"] = int((papers == "").sum())
        if row["n_findings_without_paper"]:
            row["status"] = PAPERS_NOT_REPORTED
        elif dependability is None:
            row["status"] = NO_DEPENDABILITY
        else:
            missing = [p for p in named if p not in dependability.index]
            row["n_papers_not_appraised"] = len(missing)
            if missing:
                row["status"] = PAPERS_NOT_APPRAISED
            else:
                down = dependability.loc[named, "downgrade"].astype(int)
                for level in (0, 1, 2):
                    row[f"n_papers_down{level}"] = int((down == level).sum())
                dep = finding_dependability(down)
                row.update(dependability_downgrade=dep,
                           score=conqual_score(dep, cred.downgrade), status=COMPUTED)
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("credibility_downgrade", "dependability_downgrade"):
        out[col] = out[col].astype("Int64")
    return out


def level_counts(summary: pd.DataFrame) -> Mapping[str, int]:
    """How many computed synthesised findings have each ConQual score (all levels)."""
    scores = summary.loc[summary["status"] == COMPUTED, "score"]
    return {level: int((scores == level).sum()) for level in LEVELS}
