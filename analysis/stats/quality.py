"""Quality ratings: critical appraisal by two reviewers, their agreement, bands, GRADE-CERQual.

Every included paper is appraised with a checklist (by default the CASP Qualitative
Checklist, whose questions are kept as data in ``analysis/appraisal_tools.json``) by
independent reviewers, whose answers are then reconciled into agreed answers (the
reviewer ``consensus`` unless the package declares another label, see
:func:`agreed_label`). A single-rater appraisal has the agreed answers only; its
agreement is said to be not applicable. This module turns those answers into what a
review reports and an auditor checks:

- the ratings themselves, per paper, item and reviewer;
- agreement between the independent reviewers: percent agreement and Cohen's kappa with
  its asymptotic 95% confidence interval per item and over all items (Fleiss' kappa when
  there are more than two reviewers), with the cases where kappa is undefined or fixed
  at zero named (:class:`KappaCase`; the chapters say them in words);
- every disagreement, with the consensus answer that resolved it;
- an overall band per paper (high / moderate / low) by a declared :class:`BandingRule`
  (CASP itself gives no score, so the rule is the reviewers' own and is a parameter:
  count limits, critical questions that cap a band, or weighted scores with thresholds,
  see :mod:`analysis.contract.banding`), the distribution of bands and the review-level
  judgement it implies;
- the GRADE-CERQual Summary of Qualitative Findings and evidence profile, assembled
  from the reviewers' judgements with the papers that contribute to each finding, and a
  check of the methodological-limitations judgement against the papers' bands.

No summed score is computed unless the declared rule is one of scores: CASP advises
against scoring its checklist, and an unweighted sum would weigh a missing ethics
statement the same as an unsound analysis. Reviews that score nonetheless can state their
rule here and have it reproduced, and the page says what the sum is.

References
----------
Critical Appraisal Skills Programme (2018). CASP Qualitative Checklist. Oxford: CASP UK.
Cohen J (1960). A coefficient of agreement for nominal scales. Educational and
Psychological Measurement 20:37-46.
Fleiss JL, Cohen J, Everitt BS (1969). Large sample standard errors of kappa and weighted
kappa. Psychological Bulletin 72:323-327.
Fleiss JL (1971). Measuring nominal scale agreement among many raters. Psychological
Bulletin 76:378-382.
Landis JR, Koch GG (1977). The measurement of observer agreement for categorical data.
Biometrics 33:159-174.
Feinstein AR, Cicchetti DV (1990). High agreement but low kappa: I. The problems of two
paradoxes. Journal of Clinical Epidemiology 43:543-549.
Lewin S, Bohren M, Rashidian A, et al. (2018). Applying GRADE-CERQual to qualitative
evidence synthesis findings - paper 2: how to make an overall CERQual assessment of
confidence and create a Summary of Qualitative Findings table. Implementation Science
13(Suppl 1):10.
Munthe-Kaas H, Bohren MA, Glenton C, et al. (2018). Applying GRADE-CERQual to
qualitative evidence synthesis findings - paper 3: how to assess methodological
limitations. Implementation Science 13(Suppl 1):9.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa

from analysis import paths
from analysis.contract import reviewers as _reviewers
from analysis.contract.banding import BANDING_RULES, BANDS, BandingRule
from analysis.contract.package import DataPackage, category_labels
from analysis.contract.tools import (DEFAULT_TOOL, ROLE_AS_BANDING_CODE, read_tool,
                                      tool_in_force)

TOOLS_FILE = paths.APPRAISAL_TOOLS
# BandingRule, the declared rules and the label of the agreed answers belong to the data
# contract (the build checks a page's rule, and decides on the agreement page, without
# the statistics); they are re-exported here, where the chapters look for them. The
# functions below take the label as their argument ``agreed_label``.
CONSENSUS = _reviewers.CONSENSUS
agreed_label = _reviewers.agreed_label
has_independent_reviewers = _reviewers.has_independent_reviewers

BAND_LABELS = {"high": "High", "moderate": "Moderate", "low": "Low"}
ALL_ITEMS = "All items"

# Landis and Koch (1977, p. 165) offered these labels "as benchmarks"; they are
# conventions, not properties of the data, and the chapter says so.
# Upper bound of each label; below 0 is "poor".
LANDIS_KOCH = [(0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"),
               (1.0, "almost perfect")]

COMPONENTS = ("methodological_limitations", "coherence", "adequacy", "relevance")

# ----------------------------------------------------------------- the appraisal tool


@dataclass(frozen=True, eq=False)
class AppraisalTool:
    """A critical appraisal checklist: its identity, questions and allowed answers.

    Attributes
    ----------
    tool_id, name, version, publisher, url : str
        Which checklist, in which version, from whom.
    reference : str
        Key of the checklist in ``book/references.bib``.
    answers : tuple of str
        Allowed answers, most favourable first (for CASP: yes, cant_tell, no).
    items : DataFrame
        One row per question: ``item`` (number), ``code`` ("Q1"), ``section``,
        ``section_title``, ``short_label``, ``question``, ``screening``.
    notes : tuple of str
        What the checklist's users should know (e.g. that it gives no score).
    answer_names : tuple of (str, str)
        Each answer code with the label the pages show ("Can't tell", "Unclear").
    roles : tuple of (str, str)
        Each answer code with its role: favourable, uncertain, unfavourable or
        not_applicable (see :mod:`analysis.contract.tools`).
    citation, method : str
        The full reference, and the paragraph a method page shows.
    """

    tool_id: str
    name: str
    version: str
    publisher: str
    url: str
    reference: str
    answers: tuple[str, ...]
    items: pd.DataFrame
    notes: tuple[str, ...] = ()
    answer_names: tuple[tuple[str, str], ...] = ()
    roles: tuple[tuple[str, str], ...] = ()
    citation: str = ""
    method: str = ""

    @property
    def title(self) -> str:
        """Name and version, as cited in a methods section."""
        return f"{self.name} ({self.version})" if self.version else self.name

    @property
    def n_items(self) -> int:
        return len(self.items)

    def codes(self) -> dict[int, str]:
        """Item number to its short code ("Q1", ...)."""
        return dict(zip(self.items["item"], self.items["code"]))

    def question_labels(self) -> dict[int, str]:
        """Item number to its short label ("Aims"), as a banding rule's words name it."""
        return {int(i): str(s) for i, s in zip(self.items["item"], self.items["short_label"])}

    def labels(self) -> dict[int, str]:
        """Item number to "Q1 Aims" style labels, for tables and figures."""
        return {i: f"{c} {s}" for i, c, s in zip(self.items["item"], self.items["code"],
                                                  self.items["short_label"])}

    def answer_labels(self) -> dict[str, str]:
        """Allowed answers in the tool's order, with the labels the tool declares."""
        declared = dict(self.answer_names) or category_labels("casp_ratings", "rating")
        return {a: declared.get(a, a) for a in self.answers}

    def banding_answers(self) -> dict[str, str | None]:
        """Each answer as a banding rule counts it (``yes``, ``cant_tell``, ``no`` or None):
        pass it to :meth:`BandingRule.from_parameter` as ``answers``."""
        return {code: ROLE_AS_BANDING_CODE[role] for code, role in self.roles}


def load_tool(tool_id: str | Mapping[str, Any] = DEFAULT_TOOL,
              path: Path = TOOLS_FILE) -> AppraisalTool:
    """Read one appraisal checklist: a shipped tool by its identifier, or a package's own
    tool as ``study.appraisal.tool`` declares it (an object).

    Parameters
    ----------
    tool_id : str or mapping
        The tool's ``tool_id`` in the tools file (``"casp_qualitative"`` by default), or
        the declaration of a package's own tool.
    path : Path
        The tools file (``analysis/contract/appraisal_tools.json``).

    Raises
    ------
    KeyError
        No tool with that identifier.
    ValueError
        The tool's questions are not numbered 1 to n.

    References
    ----------
    Critical Appraisal Skills Programme (2018). CASP Qualitative Checklist.
    Lockwood C, Munn Z, Porritt K (2015). Qualitative research synthesis: methodological
    guidance for systematic reviewers utilizing meta-aggregation. International Journal
    of Evidence-Based Healthcare 13(3):179-187.
    Munn Z, Moola S, Riitano D, Lisy K (2014). The development of a critical appraisal
    tool for use in systematic reviews addressing questions of prevalence. International
    Journal of Health Policy and Management 3(3):123-128.
    """
    t = read_tool(dict(tool_id) if isinstance(tool_id, Mapping) else tool_id, path)
    name = t.get("tool_id", "the declared tool")
    sections = {s["section"]: s["title"] for s in t["sections"]}
    items = pd.DataFrame(t["items"])
    numbers = items["item"].tolist()
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"{path.name}: the items of '{name}' must be numbered 1 to "
                         f"{len(numbers)} in order; found {numbers}")
    items.insert(1, "code", [f"Q{i}" for i in numbers])
    for column, default in (("section", None), ("screening", False)):
        if column not in items:
            items[column] = default
    items["section_title"] = items["section"].map(sections)
    items["screening"] = items["screening"].fillna(False).astype(bool)
    return AppraisalTool(tool_id=str(name), name=t["name"], version=str(t["version"]),
                         publisher=t["publisher"], url=t["url"], reference=t["reference"],
                         answers=tuple(a["code"] for a in t["answers"]), items=items,
                         notes=tuple(t["notes"]),
                         answer_names=tuple((a["code"], a["label"]) for a in t["answers"]),
                         roles=tuple((a["code"], a["role"]) for a in t["answers"]),
                         citation=t["citation"], method=t["method"])


def package_tool(package: DataPackage) -> AppraisalTool:
    """The appraisal tool a package puts in force (``study.appraisal.tool``; CASP's
    qualitative checklist when it names none)."""
    return load_tool(tool_in_force(package.study.appraisal))


# ---------------------------------------------------------------------- the ratings


def ratings(package: DataPackage, tool: AppraisalTool) -> pd.DataFrame:
    """The appraisal answers, checked against the tool.

    Returns
    -------
    DataFrame
        Columns ``study_id``, ``reviewer``, ``item``, ``rating``, one row per paper,
        reviewer and item (the agreed answers are those of one reviewer label,
        ``"consensus"`` by default).

    Raises
    ------
    ValueError
        An item number or an answer the tool does not have.
    """
    table = package["casp_ratings"][["study_id", "reviewer", "item", "rating"]].copy()
    # unique() before set(): a set built from the column itself visits every row in Python.
    bad_items = sorted(set(table["item"].unique()) - set(tool.items["item"]))
    if bad_items:
        raise ValueError(f"casp_ratings has items {bad_items} that {tool.title} does not have")
    bad_answers = sorted(set(table["rating"].unique()) - set(tool.answers))
    if bad_answers:
        raise ValueError(f"casp_ratings has answers {bad_answers} that {tool.title} does not "
                         f"allow ({', '.join(tool.answers)})")
    return table


def independent_reviewers(rated: pd.DataFrame, agreed_label: str = CONSENSUS) -> list[str]:
    """The reviewers who rated independently (everyone but the agreed answers), sorted."""
    return _reviewers.independent_labels(rated["reviewer"].unique(), agreed_label)


def answers_wide(rated: pd.DataFrame, reviewer: str = CONSENSUS) -> pd.DataFrame:
    """One reviewer's answers: papers in rows (sorted), item numbers in columns.

    The agreed answers by default; pass :func:`agreed_label` when the package labels
    them otherwise.
    """
    mine = rated[rated["reviewer"] == reviewer]
    if mine.empty:
        raise ValueError(f"no ratings by reviewer '{reviewer}'; reviewers: "
                         f"{', '.join(sorted(set(rated['reviewer'])))}")
    wide = mine.pivot(index="study_id", columns="item", values="rating").sort_index()
    wide.columns.name = "item"
    return wide


def appraisal_scores(package: DataPackage, tool: AppraisalTool | None = None) -> pd.Series:
    """How many favourable answers ("Yes") each paper has among its agreed answers.

    Published appraisal tables often report this count ("scored 8 of 10"), although a
    checklist such as CASP's or JBI's gives no score: the book computes it only to check
    such a published figure (the Reproduction page), never to band papers.

    Returns
    -------
    Series
        Indexed by ``study_id`` (sorted), integers.
    """
    from analysis.contract.reviewers import agreed_label

    tool = tool or package_tool(package)
    favourable = {code for code, role in tool.roles if role == "favourable"} or {
        tool.answers[0]}
    wide = answers_wide(ratings(package, tool), agreed_label(package))
    return wide.isin(favourable).sum(axis=1).astype(int).rename("score")


def paper_labels(package: DataPackage) -> pd.Series:
    """"S01 Invented author 01 (2015)" for each paper, indexed by ``study_id``: its
    identifier and its label where the package gives one ("S01 Barclay and Lupton"),
    else its first author and year, the year left out where it is not reported."""
    papers = package["studies"].set_index("study_id")
    given = package.study_labels("studies")

    def named(study_id, author, year) -> str:
        if given.get(study_id, study_id) != study_id:
            return f"{study_id} {given[study_id]}"
        reported = not (year is None or pd.isna(year) or str(year) == "")
        return f"{study_id} {author} ({year})" if reported else f"{study_id} {author}"

    return pd.Series([named(i, a, y) for i, a, y in zip(papers.index, papers["first_author"],
                                                         papers["year"])],
                     index=papers.index)


# ------------------------------------------------------------------------ agreement


def landis_koch(kappa: float) -> str:
    """The Landis and Koch (1977) label for a kappa ("slight", ..., "almost perfect").

    References
    ----------
    Landis JR, Koch GG (1977). Biometrics 33:159-174, p. 165.
    """
    if kappa is None or not math.isfinite(kappa):
        return "not defined"
    if kappa < 0:
        return "poor"
    for upper, label in LANDIS_KOCH:
        if kappa <= upper + 1e-12:
            return label
    return "almost perfect"


class KappaCase(Enum):
    """What a reader must know about a kappa beside its value: why it is undefined, fixed
    at zero or without an interval (the page's words for each are
    :func:`analysis.chapters.quality.kappa_note`)."""

    NO_PAPERS = "no paper was rated by every reviewer compared"
    ONE_ANSWER_THROUGHOUT = "every rating is the same answer: chance agreement 100%, kappa 0/0"
    ONE_RATER_CONSTANT = "a reviewer gave one answer throughout: kappa 0 by construction"
    PERFECT = "perfect agreement: the asymptotic interval has no width"
    NO_STANDARD_ERROR = "no standard error is computed, so no interval"


@dataclass(frozen=True)
class KappaEstimate:
    """A kappa with its interval, or the reason there is none.

    Attributes
    ----------
    statistic : str
        "Cohen's kappa" or "Fleiss' kappa".
    n : int
        Papers (subjects) compared.
    observed, expected : float
        Observed agreement and agreement expected by chance (proportions).
    kappa, ci_low, ci_high, se : float
        NaN when kappa is undefined; the interval is NaN for Fleiss' kappa, for which
        statsmodels gives no standard error.
    defined : bool
    case : KappaCase or None
        What a reader must know about this kappa (None when nothing).
    answer : str
        The answer given throughout, when that is the case.
    rater : str
        The reviewer who gave one answer throughout (``ONE_RATER_CONSTANT``).
    raters : tuple of str
        The two raters compared, for Cohen's kappa; empty for Fleiss'.
    """

    statistic: str
    n: int
    observed: float
    expected: float
    kappa: float
    ci_low: float
    ci_high: float
    se: float
    defined: bool
    case: KappaCase | None = None
    answer: str = ""
    rater: str = ""
    raters: tuple[str, ...] = ()


def cohen_kappa(table, raters: tuple[str, str] = ("the first reviewer", "the second reviewer"),
                categories: Iterable[str] | None = None) -> KappaEstimate:
    """Cohen's kappa of a square table of two raters' answers, with its 95% CI.

    Kappa and its asymptotic standard error are statsmodels'
    :func:`~statsmodels.stats.inter_rater.cohens_kappa` (standard error of Fleiss, Cohen
    and Everitt 1969). When chance agreement is 100% (both raters gave one and the same
    answer to every subject) kappa is 0/0: it is returned as undefined, with the reason
    in ``case``, rather than as NaN alone.

    Parameters
    ----------
    table : array_like, shape (k, k)
        Counts: first rater's answers in rows, the second's in columns.
    raters : tuple of str
        Names of the two raters, recorded for the words of a case.
    categories : iterable of str, optional
        Display labels of the k answers, recorded for the words of a case.

    References
    ----------
    Cohen J (1960). Educational and Psychological Measurement 20:37-46.
    Fleiss JL, Cohen J, Everitt BS (1969). Psychological Bulletin 72:323-327.
    """
    counts = np.asarray(table, dtype=float)
    labels = list(categories) if categories is not None else [str(i) for i in range(len(counts))]
    n = int(counts.sum())
    raters = tuple(raters)
    if n == 0:
        return KappaEstimate("Cohen's kappa", 0, math.nan, math.nan, math.nan, math.nan,
                             math.nan, math.nan, False, KappaCase.NO_PAPERS, raters=raters)
    rows, cols = counts.sum(axis=1) / n, counts.sum(axis=0) / n
    observed = float(np.trace(counts) / n)
    expected = float((rows * cols).sum())
    if math.isclose(expected, 1.0):
        return KappaEstimate(
            "Cohen's kappa", n, observed, expected, math.nan, math.nan, math.nan, math.nan,
            False, KappaCase.ONE_ANSWER_THROUGHOUT, answer=labels[int(np.argmax(rows))],
            raters=raters)
    # When one reviewer gives one answer throughout, the standard error under H0 is 0 and
    # statsmodels' z statistic (not used here) is 0/0; the kappa and its interval are fine.
    with np.errstate(invalid="ignore", divide="ignore"):
        res = cohens_kappa(counts)
    low, high, se = float(res.kappa_low), float(res.kappa_upp), float(res.std_kappa)
    case, answer, rater = None, "", ""
    for name, margin in zip(raters, (rows, cols)):
        if np.isclose(margin.max(), 1.0):
            # Kappa is then exactly 0 whatever the agreement, and its standard error 0:
            # an interval of zero width would look like certainty, so none is given.
            case, answer, rater = (KappaCase.ONE_RATER_CONSTANT,
                                   labels[int(np.argmax(margin))], name)
            low = high = se = math.nan
    if case is None and math.isclose(res.kappa, 1.0):
        case = KappaCase.PERFECT
    return KappaEstimate("Cohen's kappa", n, observed, expected, float(res.kappa),
                         low, high, se, True, case, answer, rater, raters)


def fleiss(counts, categories: Iterable[str] | None = None) -> KappaEstimate:
    """Fleiss' kappa of a subjects-by-answers table of counts (every subject rated by m raters).

    Computed with statsmodels' :func:`~statsmodels.stats.inter_rater.fleiss_kappa`, which
    gives no standard error, so no interval is reported. Undefined (with the reason in
    ``case``) when every rating is the same answer.

    References
    ----------
    Fleiss JL (1971). Psychological Bulletin 76:378-382.
    """
    counts = np.asarray(counts, dtype=float)
    labels = (list(categories) if categories is not None
              else [str(i) for i in range(counts.shape[1])])
    n = counts.shape[0]
    if n == 0:
        return KappaEstimate("Fleiss' kappa", 0, math.nan, math.nan, math.nan, math.nan,
                             math.nan, math.nan, False, KappaCase.NO_PAPERS)
    m = counts.sum(axis=1)[0]
    share = counts.sum(axis=0) / counts.sum()
    expected = float((share ** 2).sum())
    observed = float(((counts * counts).sum(axis=1) - m).mean() / (m * (m - 1)))
    if math.isclose(expected, 1.0):
        return KappaEstimate(
            "Fleiss' kappa", n, observed, expected, math.nan, math.nan, math.nan, math.nan,
            False, KappaCase.ONE_ANSWER_THROUGHOUT, answer=labels[int(np.argmax(share))])
    kappa = float(fleiss_kappa(counts))
    return KappaEstimate("Fleiss' kappa", n, observed, expected, kappa, math.nan, math.nan,
                         math.nan, True, KappaCase.NO_STANDARD_ERROR)


def join_names(names: list[str]) -> str:
    """"R1", "R1 and R2", "R1, R2 and R3": reviewer labels joined as the resolution
    labels of :func:`disagreements` name them."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _estimate(wide: pd.DataFrame, reviewers: list[str], tool: AppraisalTool) -> KappaEstimate:
    """Kappa for the answers in ``wide`` (one column per reviewer, one row per rating)."""
    answers = list(tool.answers)
    labels = list(tool.answer_labels().values())
    codes = wide[reviewers].apply(lambda col: col.map({a: i for i, a in enumerate(answers)}))
    if len(reviewers) == 2:
        # The square table of answer pairs (first reviewer in rows), counted at once.
        k = len(answers)
        first, second = (codes[r].to_numpy(dtype=int) for r in reviewers)
        table = np.bincount(first * k + second, minlength=k * k).reshape(k, k)
        return cohen_kappa(table, (reviewers[0], reviewers[1]), labels)
    counts = np.stack([(codes == i).sum(axis=1).to_numpy() for i in range(len(answers))], axis=1)
    return fleiss(counts, labels)


@dataclass(frozen=True, eq=False)
class Agreement:
    """Agreement between the independent reviewers, per item and over all items.

    Scalar fields are glued into the chapter's prose; ``table`` holds one row per item
    plus an "All items" row (index "Q1" ... "All items") with columns ``label``,
    ``papers``, ``agreed``, ``percent_agreement``, ``statistic``, ``kappa``, ``ci_low``,
    ``ci_high``, ``se``, ``strength``, and ``case``, ``answer`` and ``rater`` (see
    :class:`KappaEstimate`). ``applicable`` is False when fewer
    than two independent reviewers rated (a single-rater appraisal): the numbers are
    then NaN or 0 and the table is empty. What the page says of it (the reviewers
    named, kappa with its interval, the lowest item, the summary sentence) is
    :func:`analysis.chapters.quality.agreement_words`.
    """

    n_reviewers: int
    reviewer_labels: tuple[str, ...]
    statistic: str
    n_papers: int
    n_ratings: int
    n_agreed: int
    percent_agreement: float
    kappa: float
    kappa_ci_low: float
    kappa_ci_high: float
    strength: str
    n_items_undefined: int
    n_items_zero_by_construction: int
    table: pd.DataFrame = field(repr=False)
    applicable: bool = True


def agreement(package: DataPackage, tool: AppraisalTool, reviewers: list[str] | None = None,
              agreed_label: str = CONSENSUS) -> Agreement:
    """Percent agreement and kappa between the independent reviewers.

    Two reviewers: Cohen's kappa with its asymptotic 95% confidence interval. More than
    two: Fleiss' kappa (no interval). Only papers rated by every reviewer compared are
    used. The "All items" row pools every paper-item pair into one table, as reviews
    usually report it.

    Parameters
    ----------
    package : DataPackage
    tool : AppraisalTool
    reviewers : list of str, optional
        Reviewers to compare; every independent reviewer by default (any labels).
    agreed_label : str
        The reviewer label of the agreed answers, which are not compared.

    Returns
    -------
    Agreement
        Not applicable (``applicable`` False) with fewer than two reviewers to compare.

    References
    ----------
    Cohen J (1960); Fleiss JL (1971); Landis JR, Koch GG (1977); Feinstein AR,
    Cicchetti DV (1990), on high agreement with low kappa.
    """
    rated = ratings(package, tool)
    reviewers = (list(reviewers) if reviewers is not None
                 else independent_reviewers(rated, agreed_label))
    columns = ["label", "papers", "agreed", "percent_agreement", "statistic", "kappa",
               "ci_low", "ci_high", "se", "strength", "case", "answer", "rater"]
    if len(reviewers) < 2:
        empty = pd.DataFrame(columns=columns, index=pd.Index([], name="item"))
        return Agreement(n_reviewers=len(reviewers), reviewer_labels=tuple(reviewers),
                         statistic="none", n_papers=0, n_ratings=0, n_agreed=0,
                         percent_agreement=math.nan, kappa=math.nan, kappa_ci_low=math.nan,
                         kappa_ci_high=math.nan, strength="not defined", n_items_undefined=0,
                         n_items_zero_by_construction=0, table=empty, applicable=False)
    by_item = (rated[rated["reviewer"].isin(reviewers)]
               .pivot(index=["study_id", "item"], columns="reviewer", values="rating")
               .dropna())  # papers rated by every reviewer compared
    papers = by_item.index.get_level_values("study_id").unique()
    rows = {}
    codes, labels = tool.codes(), dict(zip(tool.items["item"], tool.items["short_label"]))
    parts = [(codes[i], labels[i], by_item.xs(i, level="item")) for i in tool.items["item"]
             if i in by_item.index.get_level_values("item")]
    parts.append((ALL_ITEMS, "", by_item))
    for code, label, wide in parts:
        est = _estimate(wide, reviewers, tool)
        # Rows have no gaps here (dropna above): all agree when all equal the first.
        agreed = int(wide[reviewers].eq(wide[reviewers[0]], axis=0).all(axis=1).sum())
        rows[code] = {"label": label, "papers": int(wide.index.get_level_values(0).nunique()),
                      "agreed": agreed, "percent_agreement": 100 * agreed / len(wide),
                      "statistic": est.statistic, "kappa": est.kappa, "ci_low": est.ci_low,
                      "ci_high": est.ci_high, "se": est.se,
                      "strength": ("not applicable"
                                   if est.case is KappaCase.ONE_RATER_CONSTANT
                                   else landis_koch(est.kappa)),
                      "case": est.case, "answer": est.answer, "rater": est.rater}
    table = pd.DataFrame.from_dict(rows, orient="index")[columns]
    table.index.name = "item"
    items = table.drop(index=ALL_ITEMS)
    overall = table.loc[ALL_ITEMS]
    undefined = int(items["kappa"].isna().sum())
    zero = int((items["case"] == KappaCase.ONE_RATER_CONSTANT).sum())
    return Agreement(
        n_reviewers=len(reviewers), reviewer_labels=tuple(reviewers),
        statistic=str(overall["statistic"]), n_papers=len(papers), n_ratings=len(by_item),
        n_agreed=int(overall["agreed"]), percent_agreement=float(overall["percent_agreement"]),
        kappa=float(overall["kappa"]), kappa_ci_low=float(overall["ci_low"]),
        kappa_ci_high=float(overall["ci_high"]), strength=str(overall["strength"]),
        n_items_undefined=undefined, n_items_zero_by_construction=zero, table=table)


# -------------------------------------------------------------------- disagreements


def disagreements(package: DataPackage, tool: AppraisalTool,
                  agreed_label: str = CONSENSUS) -> pd.DataFrame:
    """Every rating on which the reviewers did not all give the agreed answer.

    A row is either a *disagreement* (the independent reviewers gave different answers)
    or an *agreed answer changed* (they agreed, but the agreed answer differs: worth an
    auditor's question). With fewer than two independent reviewers nobody could
    disagree, and the table is empty.

    Parameters
    ----------
    package : DataPackage
    tool : AppraisalTool
    agreed_label : str
        The reviewer label of the agreed answers.

    Returns
    -------
    DataFrame
        Columns ``study_id``, ``item``, ``code``, ``label``, one column per independent
        reviewer (answer codes), the agreed answer (column ``agreed_label``), ``kind``
        and ``resolution`` (whose answer the agreed one took: "R1's answer", "R1's and
        R3's answer", "neither reviewer's answer").
    """
    rated = ratings(package, tool)
    reviewers = independent_reviewers(rated, agreed_label)
    wide = rated.pivot(index=["study_id", "item"], columns="reviewer", values="rating")
    columns = (["study_id", "item", "code", "label"] + reviewers
               + [agreed_label, "kind", "resolution"])
    if len(reviewers) < 2 or agreed_label not in wide.columns:
        return pd.DataFrame(columns=columns)
    wide = wide[wide[agreed_label].notna()]
    given = wide[reviewers]
    n_given = given.notna().sum(axis=1)
    answers = given.to_numpy(dtype=object)
    present = pd.notna(answers)
    # The first answer given on each row (row-wise bfill is slow on large tables).
    first = pd.Series(answers[np.arange(len(answers)), present.argmax(axis=1)] if len(answers)
                      else [], index=given.index, dtype=object)
    # Vectorised "more than one distinct answer", ignoring reviewers who gave none.
    differ = (given.ne(first, axis=0) & given.notna()).any(axis=1)
    same_but_changed = ~differ & (n_given > 0) & first.ne(wide[agreed_label])
    rows = wide[differ | same_but_changed].reset_index()
    kind = np.where(differ[differ | same_but_changed].to_numpy(), "reviewers disagreed",
                    "agreed answer changed")
    nobody = "neither reviewer's answer" if len(reviewers) == 2 else "no reviewer's answer"
    took = rows[reviewers].eq(rows[agreed_label], axis=0).to_numpy()
    rows["kind"] = kind
    rows["resolution"] = [join_names([f"{r}'s" for r, t in zip(reviewers, row) if t]) + " answer"
                          if row.any() else nobody for row in took]
    rows["code"] = rows["item"].map(tool.codes())
    rows["label"] = rows["item"].map(dict(zip(tool.items["item"], tool.items["short_label"])))
    rows.columns.name = None
    return rows[columns].sort_values(["study_id", "item"]).reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class DisagreementSummary:
    """How often the reviewers disagreed and how the consensus resolved it."""

    n_ratings: int
    n_disagreements: int
    pct_disagreements: float
    n_papers_with_disagreement: int
    n_agreed_changed: int
    counts: pd.DataFrame = field(repr=False)


def summarise_disagreements(table: pd.DataFrame, result: Agreement) -> DisagreementSummary:
    """Counts of disagreements and of each way they were resolved.

    ``counts`` has one row per resolution (index) with ``n`` and ``percent`` of the
    disagreements.
    """
    split = table[table["kind"] == "reviewers disagreed"]
    counts = split["resolution"].value_counts().rename("n").to_frame()
    counts["percent"] = 100 * counts["n"] / max(len(split), 1)
    counts.index.name = "Consensus took"
    return DisagreementSummary(
        n_ratings=result.n_ratings, n_disagreements=len(split),
        pct_disagreements=100 * len(split) / result.n_ratings if result.n_ratings else math.nan,
        n_papers_with_disagreement=int(split["study_id"].nunique()),
        n_agreed_changed=int((table["kind"] == "agreed answer changed").sum()),
        counts=counts)


# ---------------------------------------------------------------------------- bands
# The rule itself (BandingRule, its three kinds and its checks) is declared in
# analysis.contract.banding, its words in analysis.chapters.quality; here it is applied to a
# table of agreed answers.


def _items_list(items: Iterable[int]) -> str:
    items = list(items)
    return ", ".join(f"Q{i}" for i in items) if items else "none"


def assign_bands(consensus: pd.DataFrame, rule: BandingRule) -> pd.DataFrame:
    """The band of every paper under a rule, with the answers that decided it.

    Parameters
    ----------
    consensus : DataFrame
        Agreed answers, papers in rows and item numbers in columns
        (:func:`answers_wide`).
    rule : BandingRule

    Returns
    -------
    DataFrame
        Index ``study_id``; columns ``cant_tell_items`` and ``no_items`` (e.g. "Q4, Q6"),
        ``n_cant_tell``, ``n_no``, then ``score`` under a rule of score thresholds (the
        sum the rule declares; under count limits nothing is summed and there is no such
        column), ``capped_by`` under a rule with critical questions (the answers that
        lowered the band, "" when none did), and ``band``.
    """
    if rule.answers:
        # Another tool's answers as the rule counts them (JBI's Unclear as a Can't tell,
        # its Not applicable not at all): the rule's words are CASP's.
        consensus = consensus.apply(lambda column: column.map(
            lambda a: rule.counted_as(a) if isinstance(a, str) else a))
    cant = consensus.eq("cant_tell")
    no = consensus.eq("no")
    n_cant, n_no = cant.sum(axis=1).astype(int), no.sum(axis=1).astype(int)
    items = np.asarray(consensus.columns)  # a numpy mask per paper, not an Index lookup
    table = pd.DataFrame({
        "cant_tell_items": [_items_list(items[r]) for r in cant.to_numpy()],
        "no_items": [_items_list(items[r]) for r in no.to_numpy()],
        "n_cant_tell": n_cant,
        "n_no": n_no,
    }, index=consensus.index)
    # One paper at a time through the rule, so that the rule's meaning is written once
    # (in the contract); a review has tens or hundreds of papers, not millions.
    judged = [rule.judge({int(i): a for i, a in zip(items, answers) if isinstance(a, str)})
              for answers in consensus.to_numpy(dtype=object)]
    if rule.scored:
        table["score"] = [j.score for j in judged]
    if rule.critical:
        table["capped_by"] = [j.capped_by for j in judged]
    table["band"] = [j.band for j in judged]
    return table


def paper_bands(casp_ratings: pd.DataFrame,
                rule: str | Mapping[str, Any] | BandingRule = "default",
                agreed_label: str = CONSENSUS,
                tool: AppraisalTool | None = None) -> pd.DataFrame:
    """The band of every paper from the agreed answers, under a banding rule.

    The entry point for other chapters (e.g. the theme sensitivity analysis), so that
    the whole book bands papers in one way.

    Parameters
    ----------
    casp_ratings : DataFrame
        The ``casp_ratings`` table (columns ``study_id``, ``reviewer``, ``item``,
        ``rating``); only the agreed answers count.
    rule : str, mapping or BandingRule
        A declared rule's name or the rule itself (see :meth:`BandingRule.from_parameter`).
    agreed_label : str
        The reviewer label of the agreed answers.
    tool : AppraisalTool, optional
        The checklist in force (:func:`package_tool`), whose answers the rule counts by
        their roles (JBI's Unclear as a Can't tell); CASP's when not given.

    Returns
    -------
    DataFrame
        Columns ``study_id`` and ``band``.
    """
    parsed = (BandingRule.from_parameter(rule, tool.question_labels(), tool.banding_answers())
              if tool is not None else BandingRule.from_parameter(rule))
    bands = assign_bands(answers_wide(casp_ratings, agreed_label), parsed)
    return bands["band"].rename_axis("study_id").reset_index()


def band_distribution(bands: pd.DataFrame) -> pd.DataFrame:
    """Papers per band (every band listed, zeros included), with % of papers."""
    n = bands["band"].value_counts().reindex(list(BANDS), fill_value=0)
    table = pd.DataFrame({"Papers": n.astype(int),
                          "% of papers": (100 * n / max(len(bands), 1)).round(1)})
    table.index = [BAND_LABELS[b] for b in table.index]
    table.index.name = "Band"
    return table


def median_band(bands: Iterable[str]) -> str:
    """The band of the median paper, papers ordered from low to high.

    With an even number of papers the lower of the two middle bands is taken, so a tie
    never flatters the evidence.
    """
    ordered = sorted(bands, key=lambda b: BANDS[::-1].index(b))
    if not ordered:
        raise ValueError("no paper has a band")
    return ordered[(len(ordered) - 1) // 2]


@dataclass(frozen=True)
class ReviewJudgement:
    """The distribution of bands and the review-level judgement it implies.

    ``matches_published`` is None when no published judgement is declared. What the page
    says of it (the rule in words, the comparison, the caveat) is
    :func:`analysis.chapters.quality.judgement_words`.
    """

    rule_name: str
    n_papers: int
    n_high: int
    n_moderate: int
    n_low: int
    pct_high: float
    pct_moderate: float
    pct_low: float
    judgement: str
    published: str
    published_source: str
    matches_published: bool | None = None
    synthetic: bool = False


def review_judgement(bands: pd.DataFrame, rule: BandingRule, synthetic: bool = False,
                     published_fact: Mapping[str, Any] | None = None) -> ReviewJudgement:
    """The review-level quality judgement implied by the papers' bands.

    The judgement is the median band (:func:`median_band`), set beside the judgement the
    meta-synthesis published, when the package declares it (``study.published``).

    Parameters
    ----------
    bands : DataFrame
        From :func:`assign_bands`.
    rule : BandingRule
        The rule that produced the bands (named in the result).
    synthetic : bool
        Whether the ratings are the bundled synthetic ones, which were calibrated to
        the published judgement (recorded, for the page's caveat).
    published_fact : mapping, optional
        The published overall judgement (``value`` and ``source``) the package declares;
        without one, ``published`` and ``published_source`` are empty and
        ``matches_published`` is None.
    """
    fact = published_fact if published_fact is not None else {"value": "", "source": ""}
    n = len(bands)
    counts = bands["band"].value_counts()
    judgement = median_band(bands["band"])
    same = judgement in published_bands(fact)
    return ReviewJudgement(
        rule_name=rule.name, n_papers=n,
        n_high=int(counts.get("high", 0)), n_moderate=int(counts.get("moderate", 0)),
        n_low=int(counts.get("low", 0)),
        pct_high=float(100 * counts.get("high", 0) / n),
        pct_moderate=float(100 * counts.get("moderate", 0) / n),
        pct_low=float(100 * counts.get("low", 0) / n),
        judgement=judgement, published=str(fact["value"]), published_source=str(fact["source"]),
        matches_published=None if published_fact is None else bool(same),
        synthetic=bool(synthetic))


def published_bands(fact: Mapping[str, Any]) -> tuple[str, ...]:
    """The bands a published overall judgement covers: one band ("moderate"), or every
    band of a range ("moderate to high", declared ``"kind": "range"`` with its two ends
    in ``range``), so that a computed judgement anywhere in the range matches it.

    Parameters
    ----------
    fact : mapping
        The published fact (``value``, and ``range`` for a range).
    """
    ends = fact.get("range") if hasattr(fact, "get") else None
    if isinstance(ends, (list, tuple)) and len(ends) == 2 and set(ends) <= set(BANDS):
        low, high = sorted((BANDS.index(e) for e in ends))
        return tuple(BANDS[low:high + 1])
    value = str(fact.get("value") or "").strip().lower()
    return (value,) if value else ()


def rules_to_compare(current: BandingRule,
                     rules: Mapping[str, BandingRule] | None = None) -> dict[str, BandingRule]:
    """The declared rules, and the page's own rule when it bands like none of them.

    A page rule with the criteria of no declared rule is added under its own name (with
    " (this page)" when a declared rule has that name), whatever its kind.
    """
    rules = dict(rules if rules is not None else BANDING_RULES)
    if not any(r.criteria() == current.criteria() for r in rules.values()):
        name = current.name if current.name not in rules else f"{current.name} (this page)"
        rules[name] = current
    return rules


def compare_rules(consensus: pd.DataFrame, current: BandingRule,
                  rules: Mapping[str, BandingRule] | None = None) -> pd.DataFrame:
    """Bands and review-level judgement under each rule of :func:`rules_to_compare`.

    Returns
    -------
    DataFrame
        Index ``rule`` (the rules' names); columns ``n_high``, ``n_moderate``,
        ``n_low``, ``judgement`` (a band) and ``this_page`` (whether the rule bands as
        the page's own rule does).
    """
    rows = []
    for name, rule in rules_to_compare(current, rules).items():
        b = assign_bands(consensus, rule)["band"]
        counts = b.value_counts()
        rows.append({"rule": name, **{f"n_{x}": int(counts.get(x, 0)) for x in BANDS},
                     "judgement": median_band(b),
                     "this_page": rule.criteria() == current.criteria()})
    return pd.DataFrame(rows).set_index("rule")


# ----------------------------------------------------------------------- GRADE-CERQual


def compact_ids(ids: Iterable[str]) -> str:
    """"S01-S04, S07" for S01, S02, S03, S04, S07: runs of consecutive numbers collapsed."""
    parsed = []
    for i in ids:
        m = re.fullmatch(r"(\D*)(\d+)", str(i))
        parsed.append((m.group(1), int(m.group(2)), str(i)) if m else (str(i), -1, str(i)))
    parsed.sort()
    out: list[str] = []
    k = 0
    while k < len(parsed):
        j = k
        while (j + 1 < len(parsed) and parsed[j + 1][0] == parsed[k][0] and parsed[k][1] >= 0
               and parsed[j + 1][1] == parsed[j][1] + 1):
            j += 1
        out.append(parsed[k][2] if j == k else f"{parsed[k][2]}–{parsed[j][2]}")
        k = j + 1
    return ", ".join(out)


def contributing_papers(package: DataPackage) -> pd.DataFrame:
    """The papers that contribute to each finding of the meta-synthesis.

    A paper contributes to a theme when it is coded to at least one of the theme's
    sub-themes (``study_codes`` joined to ``framework``).

    Returns
    -------
    DataFrame
        Index ``theme_id`` (framework order); columns ``finding`` (theme name),
        ``papers`` (sorted tuple of ``study_id``) and ``n_papers``.
    """
    fw = package["framework"]
    meta = fw[fw["review"] == "meta_synthesis"]
    themes = meta.drop_duplicates("theme_id").set_index("theme_id")["theme"]
    coded = package["study_codes"].merge(meta[["subtheme_id", "theme_id"]], on="subtheme_id")
    papers = coded.groupby("theme_id")["study_id"].agg(lambda s: tuple(sorted(set(s))))
    papers = papers.reindex(themes.index)
    papers = papers.map(lambda p: p if isinstance(p, tuple) else ())
    return pd.DataFrame({"finding": themes, "papers": papers,
                         "n_papers": papers.map(len).astype(int)})


def cerqual_table(package: DataPackage, bands: pd.DataFrame) -> pd.DataFrame:
    """One row per review finding: contributing papers, their bands, the reviewers'
    GRADE-CERQual judgements.

    The judgements are the reviewers' (table ``cerqual``); this function only assembles
    them beside the contributing papers, as a Summary of Qualitative Findings does.

    Returns
    -------
    DataFrame
        Index ``theme_id``; columns ``finding``, ``n_papers``, ``papers`` (compact
        identifiers), ``n_high``, ``n_moderate``, ``n_low``, ``pct_low``, for each
        component ``<component>`` (concern code, "not assessed" when missing) and
        ``<component>_explanation``, and ``overall`` (confidence code).

    References
    ----------
    Lewin S et al. (2018). Implementation Science 13(Suppl 1):10.
    """
    contrib = contributing_papers(package)
    band_of = bands["band"]
    assessed = package["cerqual"].set_index(["theme_id", "component"])
    overall = package["cerqual"].groupby("theme_id")["overall"].first()
    rows = []
    for theme_id, row in contrib.iterrows():
        b = band_of.reindex(list(row["papers"])).value_counts()
        n = row["n_papers"]
        record = {"theme_id": theme_id, "finding": row["finding"], "n_papers": n,
                  "papers": compact_ids(row["papers"]) or "none",
                  **{f"n_{x}": int(b.get(x, 0)) for x in BANDS},
                  "pct_low": 100 * b.get("low", 0) / n if n else math.nan}
        for comp in COMPONENTS:
            if (theme_id, comp) in assessed.index:
                record[comp] = assessed.at[(theme_id, comp), "concern"]
                record[f"{comp}_explanation"] = assessed.at[(theme_id, comp), "explanation"]
            else:
                record[comp], record[f"{comp}_explanation"] = "not assessed", ""
        record["overall"] = overall.get(theme_id, "not assessed")
        rows.append(record)
    return pd.DataFrame(rows).set_index("theme_id")


@dataclass(frozen=True, eq=False)
class CerqualCheck:
    """Findings whose methodological-limitations judgement sits badly with their papers."""

    n_findings: int
    n_flagged: int
    flagged: str
    threshold_pct: float
    flags: pd.DataFrame = field(repr=False)


def cerqual_check(table: pd.DataFrame, max_low_share: float = 0.5) -> CerqualCheck:
    """Flag a finding whose contributing papers are mostly low quality but whose
    "methodological limitations" concern is "no".

    GRADE-CERQual judges methodological limitations from the appraisals of the papers
    that contribute to a finding (Munthe-Kaas et al. 2018); a finding carried mostly by
    low-band papers with no concern recorded deserves a second look. The check only
    points; the judgement stays the reviewers'.

    Parameters
    ----------
    table : DataFrame
        From :func:`cerqual_table`.
    max_low_share : float
        "Mostly" means more than this share of the contributing papers in the low band.

    References
    ----------
    Munthe-Kaas H et al. (2018). Implementation Science 13(Suppl 1):9.
    """
    if not 0 <= max_low_share < 1:
        raise ValueError(f"max_low_share must be in [0, 1), not {max_low_share}")
    mask = ((table["n_papers"] > 0) & (table["pct_low"] > 100 * max_low_share)
            & (table["methodological_limitations"] == "no"))
    flags = table.loc[mask, ["finding", "n_papers", "n_low", "pct_low"]].copy()
    names = ", ".join(f"{i} {f}" for i, f in zip(flags.index, flags["finding"]))
    return CerqualCheck(n_findings=len(table), n_flagged=len(flags), flagged=names or "none",
                        threshold_pct=100 * max_low_share, flags=flags)
