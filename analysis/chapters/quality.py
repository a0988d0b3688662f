"""What the appraisal and quality pages show and say: the ratings, agreement,
disagreements, bands and CERQual tables as a reader sees them, tinted like the figures,
and the sentences whose wording follows the data (the checklist, the agreement, a banding
rule of any kind, the review-level judgement, the CERQual check)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from analysis.contract.banding import (ANSWER_PLURALS, ANSWER_WORDS, BANDING_RULES, BandingRule,
                                      CriticalQuestions)
from analysis.contract.package import DataPackage, category_labels
from analysis.contract.published import published_facts
from analysis.stats.clustered import ClusteredKappa, NotComputed
from analysis.stats.themes import META_SYNTHESIS, theme_level
from analysis.stats.quality import (ALL_ITEMS, BAND_LABELS, COMPONENTS, CONSENSUS, Agreement,
                                    AppraisalTool, CerqualCheck, DisagreementSummary,
                                    KappaCase, KappaEstimate, ReviewJudgement, compare_rules,
                                    independent_reviewers, paper_labels, ratings,
                                    rules_to_compare)

from analysis.chapters.page import show_text_table as show
from analysis.chapters.words import count_words, in_sentence, join_words, markdown, number_words
from analysis.contract.escape import Myst
from analysis.plots.quality import cell_tints


# The quality page's sentence that sends the reader to the appraisal page, which a book
# on a single-rater appraisal leaves out (analysis.chapters.book_pages).
APPRAISAL_SENTENCE = Myst("The checklist, the reviewers' answers and their agreement are on "
                          "the [appraisal](appraisal) page.")


def glue_page_links(package: DataPackage) -> None:
    """Glue ``sentence_appraisal``: :data:`APPRAISAL_SENTENCE` when the book has the
    appraisal page, nothing otherwise."""
    from analysis.chapters.book_pages import glue_links

    glue_links(package, {}, {"appraisal": ("appraisal", APPRAISAL_SENTENCE)})


def show_text_table(table: pd.DataFrame, caption: str | None = None, tints: bool = False,
                    tool: AppraisalTool | None = None):
    """A table of words (see :func:`analysis.chapters.page.show_text_table`).

    Parameters
    ----------
    table : DataFrame
    caption : str, optional
    tints : bool
        Tint answer cells ("Yes", "Can't tell", "No", "High", ...) in the colours of the
        traffic-light figure, so a long ratings table can be scanned.
    tool : AppraisalTool, optional
        The checklist whose answer labels are tinted (CASP's when not given); giving it
        tints the cells.
    """
    return show(table, caption, cell_tints(tool) if tints or tool is not None else None)


def bands_caption(tool: AppraisalTool | None = None) -> str:
    """The caption of the bands table, naming the tool's answers that lower a band."""
    words = answer_words(tool)
    return (f"Band of each paper, with the questions answered {words.cant_tell} or "
            f"{words.no}")


# ------------------------------------------------------------------- the checklist


def questions_view(tool: AppraisalTool) -> pd.DataFrame:
    """The checklist as a reader sees it: one row per question, grouped by section."""
    items = tool.items
    table = items.assign(
        Section=[f"{s}. {t}" for s, t in zip(items["section"], items["section_title"])],
        Question=[q + (" (screening question)" if s else "")
                  for q, s in zip(items["question"], items["screening"])])
    table = table.rename(columns={"code": "Item", "short_label": "Short label"})
    return table.set_index(["Section", "Item"])[["Short label", "Question"]]


@dataclass(frozen=True)
class ToolWords:
    """What the pages say about the checklist (glued as ``tool_``)."""

    title: str
    name: str
    version: str
    publisher: str
    n_items: int
    n_screening: int
    answers: str
    summary: str = ""
    yes: str = "Yes"


def tool_citation(tool: AppraisalTool) -> Myst:
    """MyST citing the checklist: ``{cite:p}`` when the book's bibliography has its
    reference, else its citation in brackets (a package's own tool), else nothing."""
    from analysis.chapters.citations import bibliography_keys
    from analysis.contract.escape import myst_role

    if tool.reference and tool.reference in bibliography_keys():
        try:
            return myst_role("cite:p", tool.reference)
        except ValueError:  # a key MyST could not take as written: the citation instead
            pass
    return Myst("({})").format(tool.citation) if tool.citation else Myst("")


def glue_tool_sentences(tool: AppraisalTool, rule: BandingRule | None = None) -> None:
    """Glue the sentences about the checklist that cite it: ``tool_cited`` (its name and
    citation) and, with a rule, ``tool_scoring`` ("The JBI Critical Appraisal Checklist
    for Qualitative Research (2017) has no scoring system (Lockwood et al. 2015), and
    ..."), and ``tool_method`` (the tool's own method paragraph)."""
    from myst_nb import glue

    cited = Myst("{} {}").format(tool.title, tool_citation(tool)) if tool.citation or \
        tool.reference else Myst("{}").format(tool.title)
    glue("tool_cited", markdown(cited, empty=False), display=False)
    glue("tool_method", markdown(Myst("{}").format(tool.method or tool_words(tool).summary),
                                 empty=False), display=False)
    if rule is not None:
        glue("tool_scoring", markdown(Myst("The {} has no scoring system {}{}").format(
            tool.title, tool_citation(tool), _scoring_text(rule, tool)), empty=False),
            display=False)


def tool_words(tool: AppraisalTool) -> ToolWords:
    """The checklist's identity and size, and its answers as a list in words
    ("Yes, Can't tell or No")."""
    labels = list(tool.answer_labels().values())
    questions = join_words([in_sentence(str(q)) for q in tool.items["short_label"]])
    summary = (f"The {tool.title} asks {count_words(tool.n_items, 'question')} of each paper "
               f"({questions}), each answered {join_words(labels, 'or')}.")
    return ToolWords(title=tool.title, name=tool.name, version=tool.version,
                     publisher=tool.publisher, n_items=tool.n_items,
                     n_screening=int(tool.items["screening"].sum()),
                     answers=join_words(labels, "or"), summary=summary,
                     yes=answer_words(tool).yes)


# ---------------------------------------------------------------------- agreement


@dataclass(frozen=True)
class AgreementWords:
    """What the appraisal page says of the agreement (glued as ``agree_``, beside the
    numbers of :class:`~analysis.stats.quality.Agreement`)."""

    reviewers: str
    kappa_text: str
    lowest_item: str
    summary: str


def agreement_words(result: Agreement, agreed_label: str = CONSENSUS) -> AgreementWords:
    """The reviewers named, kappa with its interval (or why it has none), the item of
    lowest kappa and the summary sentence; or why agreement is not applicable.

    Parameters
    ----------
    result : Agreement
        From :func:`analysis.stats.quality.agreement`.
    agreed_label : str
        The reviewer label of the agreed answers, named when agreement is not applicable.
    """
    names = list(result.reviewer_labels)
    if not result.applicable:
        who = "no independent reviewer" if not names else f"one reviewer ({names[0]})"
        message = (f"Agreement cannot be computed: the data record {who} besides the agreed "
                   f"answers ('{agreed_label}'), so agreement between reviewers is not "
                   "applicable.")
        return AgreementWords(join_words(names) or "none", message, "none", message)
    overall = result.table.loc[ALL_ITEMS]
    kappa = _kappa_text(result.kappa, result.kappa_ci_low, result.kappa_ci_high,
                        kappa_note(overall["case"], overall["answer"], overall["rater"],
                                   result.reviewer_labels))
    summary = (f"{join_words(names)} gave the same answer to {result.n_agreed} of "
               f"{result.n_ratings} paper-item pairs ({result.percent_agreement:.1f}%); "
               f"{result.statistic} over all items: {kappa}.")
    return AgreementWords(join_words(names), kappa, _lowest_item(result.table), summary)


def _kappa_text(kappa: float, low: float, high: float, note: str) -> str:
    """"0.62 (95% CI 0.48 to 0.76)", "1.00" without an interval, or why it is undefined."""
    if not math.isfinite(kappa):
        return note
    if math.isfinite(low):
        return f"{kappa:.2f} (95% CI {low:.2f} to {high:.2f})"
    return f"{kappa:.2f}"


def kappa_note(case: KappaCase | None, answer: str = "", rater: str = "",
               raters: tuple[str, ...] = ()) -> str:
    """What a reader must know about a kappa, in words ("" when nothing).

    Parameters
    ----------
    case : KappaCase or None
    answer, rater : str
        The answer given throughout and the reviewer who gave it, when the case has them.
    raters : tuple of str
        The reviewers compared: two for Cohen's kappa (named in the words), more (or
        none given) for Fleiss' kappa ("every reviewer").
    """
    pair = len(raters) == 2
    if not isinstance(case, KappaCase):  # None, or NaN where a table holds no case
        return ""
    if case is KappaCase.NO_PAPERS:
        return f"undefined: no paper was rated by {'both' if pair else 'all'}"
    if case is KappaCase.ONE_ANSWER_THROUGHOUT:
        who = f"{raters[0]} and {raters[1]} both" if pair else "every reviewer"
        return (f"undefined: {who} answered {answer} for every paper (chance agreement 100%, "
                "kappa 0/0)")
    if case is KappaCase.ONE_RATER_CONSTANT:
        return f"0 by construction: {rater} answered {answer} for every paper; no interval"
    if case is KappaCase.PERFECT:
        return "perfect agreement; the asymptotic interval has no width"
    return "no interval: no standard error is computed"


def estimate_note(est: KappaEstimate) -> str:
    """:func:`kappa_note` of one estimate (:func:`analysis.stats.quality.cohen_kappa`,
    :func:`~analysis.stats.quality.fleiss`)."""
    return kappa_note(est.case, est.answer, est.rater, est.raters)


def _lowest_item(table: pd.DataFrame) -> str:
    defined = table.drop(index=ALL_ITEMS).dropna(subset=["kappa"])
    if not len(defined):
        return "none (kappa is undefined for every item)"
    low = defined["kappa"].idxmin()
    return f"{low} {defined.at[low, 'label']} (kappa {defined.at[low, 'kappa']:.2f})"


def agreement_view(result: Agreement) -> pd.DataFrame:
    """The agreement table as the chapter shows it: numbers rounded, intervals cut at the
    limits of kappa, undefined cases in words (never "nan")."""
    t = result.table
    kappa, interval, notes = [], [], []
    said = [kappa_note(c, a, r, result.reviewer_labels)
            for c, a, r in zip(t["case"], t["answer"], t["rater"])]
    for k, lo, hi, note in zip(t["kappa"], t["ci_low"], t["ci_high"], said):
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


@dataclass(frozen=True)
class DisagreementWords:
    """How the consensus resolved the disagreements, in words (glued as ``disagree_``)."""

    resolution_text: str


def disagreement_words(summary: DisagreementSummary) -> DisagreementWords:
    """"R1's answer in 3 cases; R2's answer in 1 case", or that nothing needed resolving."""
    text = "; ".join(f"{res} in {count_words(int(n), 'case')}"
                     for res, n in summary.counts["n"].items())
    return DisagreementWords(text or "there was nothing to resolve")


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


def bands_view(bands: pd.DataFrame, package: DataPackage,
               tool: AppraisalTool | None = None) -> pd.DataFrame:
    """Each paper's band with the items that kept it from the band above: its score
    under a rule of scores, and the critical answers that capped it under a rule with
    critical questions ("none" when none did)."""
    words = answer_words(tool)
    view = pd.DataFrame({
        "Paper": bands.index.map(paper_labels(package)),
        f"{words.cant_tell} on": bands["cant_tell_items"],
        f"{words.no} on": bands["no_items"],
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
                parts.append(f"{head} {join_words(comps)}")
        text = "; ".join(parts)
        explain.append(text[:1].upper() + text[1:] + ".")
    view = pd.DataFrame({
        "Review finding": [f"{i} {f}" for i, f in zip(table.index, table["finding"])],
        "GRADE-CERQual confidence": [_label("cerqual", "overall", o) for o in table["overall"]],
        "Explanation of the assessment": explain,
        "Contributing papers": [f"{count_words(n, 'paper')}: {p}" for n, p in
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
    """What the appraisal page says of the clustered interval (glued as ``<prefix>_``):
    why there is none (``note``, "" when there is one) and the sentence (``text``)."""

    note: str
    text: str


def clustered_words(result: ClusteredKappa) -> ClusteredWords:
    """How the clustered interval of kappa compares with the classical one, in words.

    Parameters
    ----------
    result : analysis.stats.clustered.ClusteredKappa
    """
    note = _not_computed_note(result)
    return ClusteredWords(note, _clustered_sentence(result, note))


def _not_computed_note(result: ClusteredKappa) -> str:
    if result.not_computed is NotComputed.NOT_TWO_REVIEWERS:
        return ("no clustered interval: it is computed for two reviewers, and the data have "
                f"{len(result.reviewers)}")
    if result.not_computed is NotComputed.KAPPA_UNDEFINED:
        return "no clustered interval: kappa over all questions is undefined"
    return ""


def _clustered_sentence(result: ClusteredKappa, note: str) -> str:
    if not result.computed:
        return note[:1].upper() + note[1:] + "."
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
    """The review-level quality judgement the package declares as published, if any:
    the fact of measure ``overall_judgement`` (or, in older packages, the fact
    ``overall_quality``); a range such as "moderate to high" keeps its two ends."""
    facts = published_facts(package)
    judged = facts[facts["measure"] == "overall_judgement"]
    if len(judged):
        return judged.iloc[0]
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
    if not judgement.published:
        return None  # displays nothing (an empty Markdown would print its repr)
    return markdown(Myst("The review reported that the overall quality of the evidence was "
                         "*{}*, according to {}; the computed judgement is {}. {}").format(
                             judgement.published, judgement.published_source,
                             _comparison(judgement), _caveat(judgement)))


@dataclass(frozen=True)
class JudgementWords:
    """What the Quality bands page says of its rule and judgement (glued as ``band_``,
    beside the numbers of :class:`~analysis.stats.quality.ReviewJudgement`)."""

    rule_text: str
    comparison: str
    caveat: str
    rule_status: str
    rule_scoring: str


def in_tool(rule: BandingRule, tool: AppraisalTool | None) -> BandingRule:
    """A rule read for a tool: its questions named as the tool names them and the
    tool's answers counted by their roles (as :meth:`BandingRule.from_parameter` reads
    a page's rule with the tool's labels and answers); the rule itself without a tool."""
    if tool is None:
        return rule
    return replace(rule, questions=tuple(sorted(tool.question_labels().items())),
                   answers=tuple(tool.banding_answers().items()))


def judgement_words(judgement: ReviewJudgement, rule: BandingRule,
                    tool: AppraisalTool | None = None) -> JudgementWords:
    """The page's rule in words, whether it is the book's default, what it sums (if
    anything), and how the computed judgement compares with the published one.

    Parameters
    ----------
    judgement : ReviewJudgement
        From :func:`judgement` (or :func:`analysis.stats.quality.review_judgement`).
    rule : BandingRule
        The rule that produced the bands.
    tool : AppraisalTool, optional
        The checklist in force, whose answers the words name (CASP's when not given).
    """
    default = in_tool(BANDING_RULES["default"], tool)
    words = answer_words(tool)
    return JudgementWords(
        rule_text=rule_in_words(rule, words), comparison=_comparison(judgement),
        caveat=_caveat(judgement),
        rule_status=("This is the book's default rule." if rule.criteria() == default.criteria()
                     else "The book's default rule is different: "
                     + rule_in_words(default, words)),
        rule_scoring=_scoring_text(rule, tool))


def _comparison(judgement: ReviewJudgement) -> str:
    if judgement.matches_published is None:
        return ""
    return ("the same as the published judgement" if judgement.matches_published
            else "different from the published judgement")


def _caveat(judgement: ReviewJudgement) -> str:
    if judgement.synthetic:
        return ("The ratings are synthetic and were calibrated to the published judgement, "
                "so this comparison checks the computation, not the published paper.")
    return ("The rule the review used to reach its overall judgement is not part of the "
            "package, so the comparison says whether this page's rule leads to the same "
            "judgement, not whether the review applied it.")


def _scoring_text(rule: BandingRule, tool: AppraisalTool | None = None) -> str:
    """What the page says after "the checklist has no scoring system": that nothing is
    summed, or what the rule sums despite it."""
    if not rule.scored:
        asks_ethics = tool is None or any("ethic" in str(label).lower()
                                          for label in tool.items["short_label"])
        why = ("a missing ethics statement the same as an unsound analysis" if asks_ethics
               else "every question the same, whatever it asks")
        return (f", and no total of {answer_words(tool).yes} answers is computed here: a sum "
                f"would weigh {why}.")
    return ("; this page's rule adds up points all the same, as some reviews do, so its "
            "bands are only as sound as the points it gives each question and answer.")


def compare_rules_view(consensus: pd.DataFrame, current: BandingRule,
                       rules: Mapping[str, BandingRule] | None = None,
                       tool: AppraisalTool | None = None) -> pd.DataFrame:
    """Bands and review-level judgement under each declared rule, side by side, each
    rule in words; the page's own rule is marked (and added when it bands like none of
    the declared ones, see :func:`analysis.stats.quality.rules_to_compare`)."""
    compared = {name: in_tool(rule, tool)
                for name, rule in rules_to_compare(current, rules).items()}
    table = compare_rules(consensus, current, compared)
    words = answer_words(tool)
    view = pd.DataFrame({
        "In words": [rule_in_words(compared[name], words) for name in table.index],
        **{BAND_LABELS[b]: table[f"n_{b}"] for b in BAND_LABELS},
        "Review-level judgement": table["judgement"].map(BAND_LABELS),
        "This page": ["yes" if mine else "" for mine in table["this_page"]],
    }, index=table.index)
    view.index.name = "Rule"
    return view


# -------------------------------------------------------------- the rule in words


@dataclass(frozen=True)
class AnswerWords:
    """How the rule's words name the answers it counts, in the tool's own labels: the
    favourable answer (``yes``), the uncertain one (``cant_tell``: CASP's "Can't tell",
    JBI's "Unclear") and the unfavourable one (``no``), each with its plural."""

    yes: str = ANSWER_WORDS["yes"]
    cant_tell: str = ANSWER_WORDS["cant_tell"]
    no: str = ANSWER_WORDS["no"]
    cant_tells: str = ANSWER_PLURALS["cant_tell"]
    nos: str = ANSWER_PLURALS["no"]

    def word(self, code: str) -> str:
        """The label of a banding code (``yes``, ``cant_tell``, ``no``)."""
        return {"yes": self.yes, "cant_tell": self.cant_tell, "no": self.no}[code]

    def plural(self, code: str) -> str:
        return {"cant_tell": self.cant_tells, "no": self.nos}[code]

    def a(self, code: str) -> str:
        """"a No", "an Unclear"."""
        word = self.word(code)
        return ("an " if word[:1].lower() in "aeiou" else "a ") + word

    def A(self, code: str) -> str:  # noqa: N802 (the capital is the point)
        """"A No", "An Unclear", to open a sentence."""
        said = self.a(code)
        return said[:1].upper() + said[1:]


CASP_WORDS = AnswerWords()


def answer_words(tool: AppraisalTool | None = None) -> AnswerWords:
    """The tool's labels of the answers a banding rule counts (CASP's without a tool):
    the first answer of each role; a label the rule words have no plural for is
    pluralised as "Unclear answers"."""
    if tool is None:
        return CASP_WORDS
    labels = tool.answer_labels()
    by_code: dict[str, str] = {}
    for code, counted_as in tool.banding_answers().items():
        if counted_as and counted_as not in by_code:
            by_code[counted_as] = labels.get(code, code)
    words = {code: by_code.get(code, ANSWER_WORDS[code]) for code in ANSWER_WORDS}
    plurals = {code: (ANSWER_PLURALS[code] if words[code] == ANSWER_WORDS[code]
                      else f"{words[code]} answers") for code in ANSWER_PLURALS}
    return AnswerWords(words["yes"], words["cant_tell"], words["no"], plurals["cant_tell"],
                       plurals["no"])


@dataclass(frozen=True)
class RuleWords:
    """A banding rule's name and its statement in words (glued as ``rule_``)."""

    name: str
    description: str


def rule_words(rule: str | Mapping[str, Any] | BandingRule = "default",
               tool: AppraisalTool | None = None) -> RuleWords:
    """The name and the wording of a banding rule of any kind.

    Parameters
    ----------
    rule : str, mapping or BandingRule
        A declared rule's name or the rule itself
        (see :meth:`~analysis.contract.banding.BandingRule.from_parameter`).
    tool : AppraisalTool, optional
        The checklist whose questions the rule names (the default one when not given).
    """
    parsed = BandingRule.from_parameter(rule, tool.question_labels() if tool else None,
                                        tool.banding_answers() if tool else None)
    return RuleWords(parsed.name, rule_in_words(parsed, answer_words(tool)))


def rule_kind(rule: BandingRule) -> str:
    """"count limits", "score thresholds", each "with critical questions" if any."""
    kind = "score thresholds" if rule.scored else "count limits"
    return kind + (" with critical questions" if rule.critical else "")


def rule_in_words(rule: BandingRule, words: AnswerWords = CASP_WORDS) -> str:
    """The rule in words, as the pages print it: each band's condition (count limits or
    score thresholds), then each group of critical questions and what it caps.

    Parameters
    ----------
    rule : BandingRule
    words : AnswerWords
        The tool's names of the answers (:func:`answer_words`); CASP's by default.
    """
    parts = [_scores_in_words(rule, words) if rule.scored else _counts_in_words(rule, words)]
    parts += [_caps_in_words(rule, group, words) for group in rule.critical]
    return " ".join(parts)


def _condition(max_cant_tell: int, max_no: int, words: AnswerWords = CASP_WORDS) -> str:
    if max_cant_tell == 0 and max_no == 0:
        return f"every item answered {words.yes}"
    no = (f"no item answered {words.no}" if max_no == 0
          else f"at most {number_words(max_no)} answered {words.no}")
    cant = (f"none answered {words.cant_tell}" if max_cant_tell == 0
            else f"at most {number_words(max_cant_tell)} answered {words.cant_tell}")
    return f"{no} and {cant}"


def _counts_in_words(rule: BandingRule, words: AnswerWords = CASP_WORDS) -> str:
    n = len(rule.questions)
    if rule.high_max_cant_tell >= n and rule.high_max_no >= n:
        # Nothing a paper can answer falls outside the high limits.
        return ("No count of answers lowers a paper: it is high unless a critical "
                "question caps it." if rule.critical else
                "Every paper is high, whatever its answers.")
    return (f"High: {_condition(rule.high_max_cant_tell, rule.high_max_no, words)}. "
            f"Moderate: "
            f"{_condition(rule.moderate_max_cant_tell, rule.moderate_max_no, words)}. "
            "Low: any other paper.")


def _scores_in_words(rule: BandingRule, words: AnswerWords = CASP_WORDS) -> str:
    points = dict(rule.answer_scores)
    yes = points["yes"]
    by_weight: dict[float, list[int]] = {}
    for q, _ in rule.questions:
        by_weight.setdefault(rule.weight(q), []).append(q)
    # The weight most questions have is said once ("on each question"), the others
    # as exceptions; ties go to the weight 1 a question has unless said.
    common = Counter({w: len(qs) for w, qs in by_weight.items()})
    base = max(common, key=lambda w: (common[w], w == 1))
    others = [f"{_points(w * yes)} on {_questions_in_words(rule, by_weight[w])}"
              for w in sorted(by_weight, reverse=True) if w not in (base, 0)]
    if base == 0:
        head = f"{words.A('yes')} scores {join_words(others)}; no other question counts"
    else:
        head = f"{words.A('yes')} scores {_points(base * yes)} on each question"
        if others:
            head += " but " + join_words(others)
        zero = by_weight.get(0, [])
        if zero:
            verb = "does" if len(zero) == 1 else "do"
            head += f"; {_questions_in_words(rule, zero)} {verb} not count"
    ratios = [points[a] / yes for a in ("cant_tell", "no")]
    answers = (f"{words.cant_tell} and {words.no} score nothing." if not any(ratios) else
               f"{words.A('cant_tell')} scores {_as_much(ratios[0], words)}, "
               f"{words.a('no')} {_as_much(ratios[1], words)}.")
    return (f"{head}. {answers} A paper's score is the sum, out of "
            f"{rule.most_points():g}. High: a score of at least {rule.high_min_score:g}. "
            f"Moderate: a score of at least {rule.moderate_min_score:g}. "
            "Low: any other paper.")


def _caps_in_words(rule: BandingRule, group: CriticalQuestions,
                   words: AnswerWords = CASP_WORDS) -> str:
    items = list(group.items)
    where = _questions_in_words(rule, items)
    if len(items) > 1:
        where = ("either of " if len(items) == 2 else "any of ") + where
    if not group.counted:
        caps = {answer: band for answer, _, band in group.caps}
        no, cant = caps.get("no"), caps.get("cant_tell")
        a_cant = words.a("cant_tell")
        if no and cant:
            if no == cant:
                return f"{words.A('no')} or {a_cant} on {where} caps a paper at {no}."
            return f"{words.A('no')} on {where} caps a paper at {no}, {a_cant} at {cant}."
        return f"{words.A('no')} on {where} caps a paper at {no}."
    # "A No on any of questions 5, 8 and 9 caps a paper at moderate, Nos on two or
    # more of them at low": the first cap names the questions, the others refer back.
    phrases = []
    for answer, n, band in group.caps:
        first = not phrases
        if n == 1:
            subject = words.a(answer) + (f" on {where}" if first else "")
        else:
            how_many = _how_many(n, len(items))
            if first:  # "Nos on both questions 8 and 9", later "on both of them"
                questions = _questions_in_words(rule, items)
                how_many = how_many.removesuffix(" of") if how_many == "both of" else how_many
            else:
                questions = "them"
            subject = f"{words.plural(answer)} on {how_many} {questions}"
        verb = ("caps a paper " if n == 1 else "cap a paper ") if first else ""
        phrases.append(f"{subject} {verb}at {band}")
    sentence = ", ".join(phrases)
    return sentence[:1].upper() + sentence[1:] + "."


def _how_many(n: int, of: int) -> str:
    """"two or more of", or "both of" / "all of" when ``n`` is every question."""
    if n == of:
        return "both of" if n == 2 else "all of"
    return f"{number_words(n)} or more of"


def _questions_in_words(rule: BandingRule, items: list[int]) -> str:
    """"question 8 (rigour of analysis)" or "questions 5 (data collection) and 8 (...)"."""
    labels = dict(rule.questions)
    named = [f"{q} ({in_sentence(labels[q])})" if labels.get(q) else str(q) for q in items]
    return ("question " if len(items) == 1 else "questions ") + join_words(named)


def _points(x: float) -> str:
    return "1 point" if x == 1 else f"{x:g} points"


def _as_much(ratio: float, words: AnswerWords = CASP_WORDS) -> str:
    yes = words.a("yes")
    if ratio == 0:
        return "nothing"
    if ratio == 1:
        return f"as much as {yes}"
    return f"half as much as {yes}" if ratio == 0.5 else f"{ratio:g} times as much as {yes}"


# ------------------------------------------------------------------ GRADE-CERQual


@dataclass(frozen=True)
class CerqualWords:
    """What the CERQual page says of the check (glued as ``cerqual_``), and which papers
    contribute to a finding (``contributing``: at theme level, those coded to it)."""

    message: str
    contributing: str = "those coded to at least one of its sub-themes"


def _contributing_words(package: DataPackage | None) -> str:
    """Which papers contribute to a finding: those coded to its sub-themes, or, for a
    meta-synthesis reported at theme level, those coded to the theme itself."""
    if package is not None and package.has("framework"):
        framework = package["framework"]
        if theme_level(framework[framework["review"] == META_SYNTHESIS]):
            return "those coded to it"
    return CerqualWords.contributing


def cerqual_words(check: CerqualCheck, package: DataPackage | None = None) -> CerqualWords:
    """The flagged findings, each with its count of low-band papers, or that none was
    flagged (see :func:`analysis.stats.quality.cerqual_check`); with the package, which
    papers contribute to a finding, in the words of its framework (a review reported at
    theme level has no sub-theme)."""
    contributing = _contributing_words(package)
    flags = check.flags
    if flags.empty:
        return CerqualWords(
            f"No finding was flagged: none with more than {check.threshold_pct:.0f}% of its "
            "contributing papers in the low band has its methodological limitations judged "
            "of no concern.", contributing)
    why = [f"{lo} of {n} contributing papers are in the low band, yet no concern about "
           "methodological limitations is recorded"
           for lo, n in zip(flags["n_low"], flags["n_papers"])]
    return CerqualWords("Flagged for a second look: " + "; ".join(
        f"{i} {f} ({m})" for i, f, m in zip(flags.index, flags["finding"], why)) + ".",
        contributing)



# ------------------------------------------------- agreement beyond kappa (issue 28)


COEFFICIENT_NAMES = {
    "pairwise_agreement": "Agreement (%)",
    "kappa": "Kappa",
    "gwet_ac1": "Gwet's AC1",
    "gwet_ac2": "Gwet's AC2",
    "krippendorff_alpha": "Krippendorff's alpha",
    "pabak": "PABAK",
}


def _coefficient_name(method: str, weights: str, statistic: str) -> str:
    if method == "kappa":
        return statistic
    if method == "gwet_ac2":
        return f"Gwet's AC2 ({weights} weights)"
    if method == "krippendorff_alpha":
        return f"Krippendorff's alpha ({weights})"
    return COEFFICIENT_NAMES[method]


def _interval_how(row: Mapping[str, Any]) -> str:
    """How a coefficient's interval was computed, in words a reader can repeat."""
    how = row["interval"]
    if how == "t":
        return f"analytic variance, t on {int(row['df'])} df"
    if how == "bootstrap":
        return (f"percentile bootstrap, {int(row['n_bootstrap']):,} resamples, seed "
                f"{int(row['seed'])}")
    if how == "asymptotic":
        return "large-sample standard error"
    return "–"


def coefficient_view(table: pd.DataFrame, statistic: str = "Cohen's kappa") -> pd.DataFrame:
    """One question's agreement by every coefficient, as the appraisal page shows it:
    the estimate (percent agreement as a percentage), its interval cut at the
    coefficient's limits, how the interval was computed, and "undefined" in words.

    Parameters
    ----------
    table : DataFrame
        The rows of one question of ``AppraisalAgreement.table``
        (:func:`analysis.stats.agreement.appraisal_agreement`).
    statistic : str
        The name of the kappa reported (Cohen's with two reviewers, Fleiss' with more).
    """
    rows = []
    for _, row in table.iterrows():
        percent = row["method"] == "pairwise_agreement"
        est, low, high = row["estimate"], row["lower"], row["upper"]
        if not (row["defined"] and math.isfinite(est)):
            shown, interval = "undefined", "–"
        elif percent:
            shown, interval = f"{100 * est:.1f}", "–"
        else:
            shown = f"{est:.2f}"
            interval = (f"{max(low, -1):.2f}\u00a0to\u00a0{min(high, 1):.2f}"
                        if math.isfinite(low) and math.isfinite(high) else "–")
        rows.append({"Coefficient": _coefficient_name(row["method"], row["weights"],
                                                      statistic),
                     "Estimate": shown, "95% CI": interval,
                     "Interval": _interval_how(row) if interval != "–" else "–"})
    return pd.DataFrame(rows).set_index("Coefficient")


def show_coefficient_tables(result, tool: AppraisalTool, statistic: str = "Cohen's kappa"):
    """Display one table per question (and over all questions) of every agreement
    coefficient of ``result`` (:class:`analysis.stats.agreement.AppraisalAgreement`)."""
    from IPython.display import display

    labels = tool.labels()
    by_code = {code: labels[i] for i, code in tool.codes().items()}
    for item, part in result.table.groupby("item", sort=False):
        what = by_code.get(item, "all questions, papers as clusters")
        display(show_text_table(coefficient_view(part, statistic),
                                caption=f"Agreement on {what}, by coefficient"))


@dataclass(frozen=True)
class ParadoxWords:
    """What the appraisal page says of the kappa paradox (glued as ``paradox_``)."""

    n_items: int
    text: str


def paradox_words(result, tool: AppraisalTool) -> ParadoxWords:
    """The questions on which kappa is low only because one answer dominates
    (:func:`analysis.stats.agreement.kappa_paradox`), each with the numbers that show
    it, or that there is none.

    Parameters
    ----------
    result : AppraisalAgreement
    tool : AppraisalTool
    """
    if not result.applicable:
        return ParadoxWords(0, "")
    answer_labels = list(tool.answer_labels().values())
    labels = tool.labels()
    by_code = {code: labels[i] for i, code in tool.codes().items()}
    said = []
    flagged = result.paradox[result.paradox["paradox"].astype(bool)]
    for item, row in flagged.iterrows():
        name = by_code.get(item, "all questions together")
        answer = answer_labels[int(row["dominant_answer"])]
        said.append(f"{name} ({100 * row['observed_agreement']:.0f}% agreement, kappa "
                    f"{row['kappa']:.2f}, {100 * row['dominant_share']:.0f}% of answers "
                    f"{answer}, PABAK {row['pabak']:.2f}, AC1 {row['ac1']:.2f})")
    if not said:
        return ParadoxWords(0, "On no question is kappa low only because one answer "
                               "dominates.")
    threshold = f"{flagged['kappa_threshold'].iloc[0]:.2f}"
    share = f"{100 * flagged['min_dominant_share'].iloc[0]:.0f}%"
    return ParadoxWords(len(said), (
        f"Kappa is low (below {threshold}) only because the answers are unbalanced (one "
        f"answer is at least {share} of them, and PABAK is not low) on "
        + "; ".join(said) + ". There, read AC1 and PABAK beside kappa: the reviewers "
        "agreed more than kappa says."))
