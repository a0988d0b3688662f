"""What the ConQual page says and shows: the summary of findings of a JBI meta-aggregation.

The grading is :mod:`analysis.stats.conqual` (Munn et al. 2014); this module gathers its
inputs from the package (the findings with their categories, the agreed answers to the
JBI checklist) and turns the result into the summary-of-findings table and sentences
that read correctly for any package that declares synthesised findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.chapters.page import show_text_table
from analysis.chapters.words import count_words, join_words, markdown
from analysis.contract.escape import Myst
from analysis.contract.package import DataPackage, category_labels
from analysis.stats import conqual, quality

LEVEL_WORDS = {0: "Unchanged", 1: "Downgrade one level", 2: "Downgrade two levels",
               3: "Downgrade three levels", 4: "Downgrade four levels"}


@dataclass(frozen=True)
class ConQualInputs:
    """What the grading needs, from the package.

    Attributes
    ----------
    synthesised : DataFrame
        ``synthesised_finding_id``, ``synthesised_finding``, in the package's order.
    findings : DataFrame
        One row per finding with its category and synthesised finding
        (``finding_id``, ``finding``, ``category_id``, ``category``,
        ``synthesised_finding_id``, ``credibility``, ``study_id``).
    dependability : DataFrame or None
        :func:`analysis.stats.conqual.paper_dependability` of the agreed answers, or
        None (``no_dependability_reason`` says why).
    no_dependability_reason : str
        Empty when the papers' dependability is known.
    """

    synthesised: pd.DataFrame
    findings: pd.DataFrame
    dependability: pd.DataFrame | None
    no_dependability_reason: str


def conqual_inputs(package: DataPackage) -> ConQualInputs:
    """The synthesised findings, their findings and the papers' dependability."""
    synthesised = package["synthesised_findings"].reset_index(drop=True)
    cats = package["meta_aggregation_categories"]
    findings = package["meta_aggregation_findings"].merge(
        cats, on="category_id", how="left", validate="many_to_one")
    if "study_id" not in findings:
        findings["study_id"] = ""
    # A paper the package does not report is empty here, whatever the reader made of it.
    findings["study_id"] = findings["study_id"].astype("string").fillna("").astype(str)
    dependability, reason = None, ""
    tool = quality.package_tool(package)
    if "casp_ratings" not in package.tables:
        reason = ("the package holds no appraisal answers (casp_ratings.csv), from which "
                  "dependability is judged")
    elif tool.tool_id != conqual.DEPENDABILITY_TOOL:
        reason = (f"dependability is judged from the JBI Critical Appraisal Checklist for "
                  f"Qualitative Research, and the package's papers were appraised with "
                  f"the {tool.name}")
    else:
        wide = quality.answers_wide(quality.ratings(package, tool),
                                    quality.agreed_label(package))
        dependability = conqual.paper_dependability(wide, favourable=_favourable(tool))
    return ConQualInputs(synthesised, findings, dependability, reason)


def _favourable(tool) -> str:
    return next((code for code, role in tool.roles if role == "favourable"), tool.answers[0])


def summary(inputs: ConQualInputs) -> pd.DataFrame:
    """:func:`analysis.stats.conqual.conqual_summary` of the package."""
    return conqual.conqual_summary(inputs.synthesised, inputs.findings, inputs.dependability)


def _dependability_text(row, inputs: ConQualInputs) -> str:
    if row.status == conqual.COMPUTED:
        counts = (f"{row.n_papers_down0} with 4-5, {row.n_papers_down1} with 2-3 and "
                  f"{row.n_papers_down2} with 0-1 of the five dependability answers 'Yes'")
        return (f"{LEVEL_WORDS[int(row.dependability_downgrade)]} "
                f"({count_words(row.n_papers, 'contributing paper')}: {counts})")
    if row.status == conqual.PAPERS_NOT_REPORTED:
        return (f"Not computed: the paper is not reported for "
                f"{count_words(row.n_findings_without_paper, 'finding')}")
    if row.status == conqual.PAPERS_NOT_APPRAISED:
        return (f"Not computed: {count_words(row.n_papers_not_appraised, 'contributing paper')} "
                "not appraised")
    if row.status == conqual.NO_DEPENDABILITY:
        return "Not computed: no answers to the JBI checklist"
    return "Not computed: no findings"


def _credibility_text(row) -> str:
    if row.status == conqual.NO_FINDINGS:
        return "Not computed: no findings"
    labels = category_labels("meta_aggregation_findings", "credibility")
    parts = [f"{getattr(row, f'n_{c}')} {labels[c].lower()}"
             for c in conqual.CREDIBILITY_LEVELS if getattr(row, f"n_{c}")]
    note = "" if row.credibility_published_rule else "; a mix the published rules do not list"
    return f"{LEVEL_WORDS[int(row.credibility_downgrade)]} ({join_words(parts)}{note})"


def _score_text(row) -> str:
    if row.status == conqual.COMPUTED:
        return conqual.LEVEL_LABELS[row.score]
    if row.status == conqual.NO_FINDINGS:
        return "Not computed"
    return f"Not computed (at most {conqual.LEVEL_LABELS[row.score_at_most]})"


def summary_view(table: pd.DataFrame, inputs: ConQualInputs) -> pd.DataFrame:
    """The ConQual Summary of Findings table (Munn et al. 2014, Table 1 layout)."""
    statements = inputs.synthesised.set_index("synthesised_finding_id")["synthesised_finding"]
    rows = [{"Synthesised finding": f"{row.synthesised_finding_id}: "
                                    f"{statements[row.synthesised_finding_id]}",
             "Type of research": "Qualitative",
             "Dependability": _dependability_text(row, inputs),
             "Credibility": _credibility_text(row),
             "ConQual score": _score_text(row)}
            for row in table.itertuples()]
    return pd.DataFrame(rows)


def findings_view(inputs: ConQualInputs, package: DataPackage) -> pd.DataFrame:
    """Each finding under its category and synthesised finding, with its credibility and
    the paper it comes from (by its label)."""
    labels = category_labels("meta_aggregation_findings", "credibility")
    names = (package.study_labels("studies") if "studies" in package.tables
             else pd.Series(dtype=str))
    f = inputs.findings
    return pd.DataFrame({
        "Synthesised finding": f["synthesised_finding_id"],
        "Category": f["category"],
        "Finding": f["finding"],
        "Credibility": f["credibility"].map(labels),
        "Paper": [names.get(s, s) if s else "not reported" for s in f["study_id"]],
    })


@dataclass(frozen=True)
class ConQualWords:
    """What the ConQual page says (glued as ``conqual_``).

    Attributes
    ----------
    declared : str
        How many synthesised findings, categories and findings the package declares.
    graded : str
        How many synthesised findings are graded and at which score, or that none is.
    not_graded : str
        Why the others are not graded (empty when all are).
    rules_note : str
        A credibility mix the published rules do not list, when one occurs (else empty).
    text : str
        All of the above that applies, as one paragraph (never empty).
    """

    declared: str
    graded: str
    not_graded: str
    rules_note: str
    text: str


def not_graded_reason(status: str, inputs: ConQualInputs) -> str:
    """Why a synthesised finding with this ``status`` has no ConQual score (a clause)."""
    if status == conqual.PAPERS_NOT_REPORTED:
        return ("the package does not say which paper each of its findings comes from "
                "(meta_aggregation_findings.csv, column study_id), and dependability is "
                "judged from the appraisals of the contributing papers")
    if status == conqual.PAPERS_NOT_APPRAISED:
        return "some of its contributing papers have no agreed appraisal answers"
    if status == conqual.NO_DEPENDABILITY:
        return inputs.no_dependability_reason
    return "no finding is aggregated into it"


def conqual_words(table: pd.DataFrame, inputs: ConQualInputs) -> ConQualWords:
    """The page's sentences for any package that declares synthesised findings."""
    n = len(table)
    n_cats = inputs.findings["category_id"].nunique()
    declared = (f"The package declares {count_words(n, 'synthesised finding')}, aggregated "
                f"from {count_words(int(n_cats), 'category', 'categories')} of "
                f"{count_words(len(inputs.findings), 'finding')}.")
    computed = table[table["status"] == conqual.COMPUTED]
    if computed.empty:
        graded = "No synthesised finding could be graded."
    else:
        counts = conqual.level_counts(table)
        parts = [f"{counts[level]} {conqual.LEVEL_LABELS[level]}" for level in conqual.LEVELS
                 if counts[level]]
        share = f"All {n}" if len(computed) == n else f"{len(computed)} of {n}"
        graded = (f"{share} synthesised findings {'is' if len(computed) == 1 else 'are'} "
                  f"graded: {join_words(parts)}." if n > 1 else
                  f"The synthesised finding is graded {parts[0].split(' ', 1)[1]}.")
    reasons = [f"{join_words(list(group['synthesised_finding_id']))}: "
               f"{not_graded_reason(status, inputs)}"
               for status, group in table[table["status"] != conqual.COMPUTED]
               .groupby("status", sort=False)]
    not_graded = ("Not graded: " + "; ".join(reasons) + ". The score column gives the "
                  "highest score that credibility alone allows."
                  if reasons else "")
    odd = table[~table["credibility_published_rule"].astype(bool)]
    rules_note = ("" if odd.empty else
                  f"{join_words(list(odd['synthesised_finding_id']))} mixes unequivocal "
                  "and not supported findings, which the published rules do not list; this "
                  "book downgrades such a mix three levels, as it does a mix of credible and "
                  "not supported findings.")
    text = " ".join(part for part in (declared, graded, not_graded, rules_note) if part)
    return ConQualWords(declared, graded, not_graded, rules_note, text)


def papers_view(inputs: ConQualInputs, package: DataPackage) -> pd.DataFrame:
    """Each appraised paper's dependability: its "Yes" answers to questions 2, 3, 4, 6 and
    7 of the JBI checklist and the levels it would move a finding down."""
    dep = inputs.dependability
    if dep is None:
        return pd.DataFrame(columns=["Paper", "Dependability answers 'Yes' (of 5)",
                                     "Dependability"])
    names = package.study_labels("studies") if "studies" in package.tables else {}
    return pd.DataFrame({
        "Paper": [names.get(s, s) for s in dep.index],
        "Dependability answers 'Yes' (of 5)": dep["yes_count"].astype(int).astype(str),
        "Dependability": dep["downgrade"].map(LEVEL_WORDS),
    })


def show_papers(inputs: ConQualInputs, package: DataPackage):
    """The papers' dependability table, or the sentence saying why there is none."""
    if inputs.dependability is None:
        return markdown(Myst("No paper's dependability can be judged: {}.").format(
            inputs.no_dependability_reason))
    return show_text_table(papers_view(inputs, package), caption=(
        "Dependability of each appraised paper (JBI checklist questions 2, 3, 4, 6 and 7)"))
