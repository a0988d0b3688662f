"""What the appraisal and quality pages show: the ratings, agreement, disagreements, bands
and CERQual tables as a reader sees them, tinted like the figures."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from analysis.contract.package import DataPackage, category_labels
from analysis.contract.published import published_facts
from analysis.stats.quality import (BAND_LABELS, COMPONENTS, CONSENSUS, Agreement, AppraisalTool,
                                    independent_reviewers, join_names, paper_labels, plural,
                                    ratings)

from analysis.chapters.page import show_text_table as show
from analysis.plots.quality import cell_tints


# The quality page's sentence that sends the reader to the appraisal page, which a book
# on a single-rater appraisal leaves out (analysis.chapters.book_pages).
APPRAISAL_SENTENCE = ("The checklist, the reviewers' answers and their agreement are on the "
                      "[appraisal](appraisal) page.")


def glue_page_links(package: DataPackage) -> None:
    """Glue ``sentence_appraisal``: :data:`APPRAISAL_SENTENCE` when the book has the
    appraisal page, nothing otherwise."""
    from analysis.chapters.book_pages import glue_links

    glue_links(package, {}, {"appraisal": ("appraisal", APPRAISAL_SENTENCE)})


def show_text_table(table: pd.DataFrame, caption: str | None = None, tints: bool = False):
    """A table of words (see :func:`analysis.chapters.page.show_text_table`).

    Parameters
    ----------
    table : DataFrame
    caption : str, optional
    tints : bool
        Tint answer cells ("Yes", "Can't tell", "No", "High", ...) in the colours of the
        traffic-light figure, so a long ratings table can be scanned.
    """
    return show(table, caption, cell_tints() if tints else None)


def agreement_view(result: Agreement) -> pd.DataFrame:
    """The agreement table as the chapter shows it: numbers rounded, intervals cut at the
    limits of kappa, undefined cases in words (never "nan")."""
    t = result.table
    kappa, interval, notes = [], [], []
    for k, lo, hi, note in zip(t["kappa"], t["ci_low"], t["ci_high"], t["note"]):
        kappa.append(f"{k:.2f}" if math.isfinite(k) else "undefined")
        if not math.isfinite(lo):
            interval.append("–")
        else:
            # Kappa cannot pass 1 (or -1); the asymptotic interval can, with few papers.
            # No-break spaces keep an interval on one line in a narrow column.
            interval.append(f"{max(lo, -1):.2f}\u00a0to\u00a0{min(hi, 1):.2f}")
            if hi > 1 or lo < -1:
                cut = "interval cut at 1" if hi > 1 else "interval cut at -1"
                note = "; ".join(filter(None, [note, cut]))
        notes.append(note)
    statistic = t["statistic"].iloc[0] if len(t) else "Kappa"
    view = pd.DataFrame({
        "Item": [f"{i} {lab}".strip() for i, lab in zip(t.index, t["label"])],
        "Papers": t["papers"].astype(int),
        "Agreement (%)": t["percent_agreement"].round(1),
        statistic: kappa,
        "95% CI": interval,
        "Strength (Landis and Koch)": t["strength"],
        "Note": notes,
    })
    return view.set_index("Item")


def disagreements_view(table: pd.DataFrame, package: DataPackage, tool: AppraisalTool,
                       agreed_label: str = CONSENSUS) -> pd.DataFrame:
    """The disagreements for audit: paper, item, each reviewer's answer, the agreed one
    (column "Consensus", whatever the package's label of the agreed answers)."""
    labels = tool.answer_labels()
    reviewers = [c for c in table.columns
                 if c not in {"study_id", "item", "code", "label", agreed_label, "kind",
                              "resolution"}]
    view = pd.DataFrame({
        "Paper": table["study_id"],
        "Item": [f"{c} {lab}" for c, lab in zip(table["code"], table["label"])],
        **{r: table[r].map(labels).fillna("not rated") for r in reviewers},
        "Consensus": table[agreed_label].map(labels),
        "Consensus took": table["resolution"],
    })
    if (table["kind"] == "agreed answer changed").any():
        view["What happened"] = table["kind"]
    return view.set_index(["Paper", "Item"])


def bands_view(bands: pd.DataFrame, package: DataPackage) -> pd.DataFrame:
    """Each paper's band with the items that kept it from the band above: its score
    under a rule of scores, and the critical answers that capped it under a rule with
    critical questions ("none" when none did)."""
    view = pd.DataFrame({
        "Paper": bands.index.map(paper_labels(package)),
        "Can't tell on": bands["cant_tell_items"],
        "No on": bands["no_items"],
    })
    if "score" in bands:
        view["Score"] = [f"{s:g}" for s in bands["score"]]
    if "capped_by" in bands:
        view["Capped by"] = bands["capped_by"].replace("", "none")
    view["Band"] = bands["band"].map(BAND_LABELS)
    return view.set_index("Paper")


def _label(table: str, column: str, value: str) -> str:
    return category_labels(table, column).get(value, value)


def _component_text(concern_label: str, explanation: str) -> str:
    """The concern and its explanation in one sentence, without saying the concern twice
    when the explanation already opens with it."""
    if not explanation:
        return concern_label
    if explanation.lower().startswith(concern_label.lower()):
        return explanation
    return f"{concern_label}: {explanation}"


def soqf_view(table: pd.DataFrame) -> pd.DataFrame:
    """The Summary of Qualitative Findings: finding, confidence, why, and who contributes."""
    comp_labels = category_labels("cerqual", "component")
    levels = list(category_labels("cerqual", "concern"))[::-1] + ["not assessed"]
    explain = []
    for _, row in table.iterrows():
        # Grouped by level, most serious first, as SoQF explanations are usually written.
        parts = []
        for level in levels:
            comps = [comp_labels[c].lower() for c in COMPONENTS if row[c] == level]
            if comps:
                head = ("not assessed" if level == "not assessed"
                        else _label("cerqual", "concern", level).lower() + " about")
                parts.append(f"{head} {join_names(comps)}")
        text = "; ".join(parts)
        explain.append(text[:1].upper() + text[1:] + ".")
    view = pd.DataFrame({
        "Review finding": [f"{i} {f}" for i, f in zip(table.index, table["finding"])],
        "GRADE-CERQual confidence": [_label("cerqual", "overall", o) for o in table["overall"]],
        "Explanation of the assessment": explain,
        "Contributing papers": [f"{plural(n, 'paper')}: {p}" for n, p in
                                zip(table["n_papers"], table["papers"])],
        "Their bands (high / moderate / low)": [f"{h} / {m} / {lo}" for h, m, lo in
                                                zip(table["n_high"], table["n_moderate"],
                                                    table["n_low"])],
    })
    return view.set_index("Review finding")


def evidence_profile_view(table: pd.DataFrame) -> pd.DataFrame:
    """The evidence profile: each finding's four components with the reviewers'
    explanations."""
    comp_labels = category_labels("cerqual", "component")
    rows = []
    for theme_id, row in table.iterrows():
        for comp in COMPONENTS:
            concern = _label("cerqual", "concern", row[comp])
            rows.append({"Review finding": f"{theme_id} {row['finding']}",
                         "Component": comp_labels[comp],
                         "Concern": concern,
                         "Explanation": _component_text(concern, row[f"{comp}_explanation"])})
    return pd.DataFrame(rows).set_index(["Review finding", "Component"])


def ratings_view(package: DataPackage, tool: AppraisalTool,
                 agreed_label: str = CONSENSUS) -> pd.DataFrame:
    """Every answer of every reviewer, for audit.

    Returns
    -------
    DataFrame
        Index (Paper, Reviewer): the independent reviewers in order, then the agreed
        answers (shown as "Consensus"); one column per item ("Q1" ...), holding display
        labels ("Yes", "Can't tell", "No").
    """
    rated = ratings(package, tool)
    order = independent_reviewers(rated, agreed_label) + [agreed_label]
    labels = tool.answer_labels()
    wide = rated.pivot(index=["study_id", "reviewer"], columns="item", values="rating")
    wide = wide.reindex(columns=list(tool.items["item"]))
    wide.columns = list(tool.items["code"])
    wide = wide.apply(lambda col: col.map(labels))
    rank = {r: i for i, r in enumerate(order)}
    wide = wide.reset_index()
    wide["_order"] = wide["reviewer"].map(rank)
    wide = wide.sort_values(["study_id", "_order"]).drop(columns="_order")
    # Identifiers only: the long audit table stays narrow (names are in the bands table).
    wide["Paper"] = wide["study_id"]
    wide["Reviewer"] = wide["reviewer"].replace({agreed_label: "Consensus"})
    return wide.set_index(["Paper", "Reviewer"]).drop(columns=["study_id", "reviewer"])


@dataclass(frozen=True)
class ClusteredWords:
    """The sentence of the appraisal page on the clustered interval (glued as ``<prefix>_text``)."""

    text: str


def clustered_words(result) -> ClusteredWords:
    """How the clustered interval of kappa compares with the classical one, in words.

    Parameters
    ----------
    result : analysis.stats.clustered.ClusteredKappa
    """
    return ClusteredWords(_clustered_sentence(result))


def _clustered_sentence(result) -> str:
    if not result.computed:
        return result.note[:1].upper() + result.note[1:] + "."
    ratio = result.width_ratio
    if ratio > 1.1:
        return (f"The interval that resamples papers is {ratio:.2f} times as wide as the "
                "classical one: answers within a paper go together, and the classical "
                "interval overstates the precision of the kappa.")
    if ratio < 0.9:
        return (f"The interval that resamples papers is {ratio:.2f} times as wide as the "
                "classical one: in these data the answers within a paper vary about as "
                "much as answers across papers, so the clustering costs no precision, and "
                "the classical interval is, if anything, cautious.")
    return (f"The two intervals are about as wide (ratio {ratio:.2f}): in these data the "
            "clustering of answers within papers costs little precision.")


def published_judgement(package: DataPackage) -> pd.Series | None:
    """The review-level quality judgement the package declares as published, if any."""
    facts = published_facts(package)
    return facts.loc["overall_quality"] if "overall_quality" in facts.index else None


def judgement(bands: pd.DataFrame, rule, package: DataPackage):
    """The review-level judgement of the bands, beside the published one if declared."""
    from analysis.stats.quality import review_judgement

    return review_judgement(bands, rule, package.synthetic, published_judgement(package))


def judgement_comparison(judgement):
    """The computed judgement beside the published one, as Markdown; nothing without one.

    A package that declares no published overall judgement (``overall_quality`` in
    ``study.published``) gets no sentence about one.
    """
    from IPython.display import Markdown

    if not judgement.published:
        return None  # displays nothing (an empty Markdown would print its repr)
    return Markdown(f"The review reported that the overall quality of the evidence was "
                    f"*{judgement.published}*, according to {judgement.published_source}; "
                    f"the computed judgement is {judgement.comparison}. {judgement.caveat}")
