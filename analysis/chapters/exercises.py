"""Exercises of the method pages, answered by the functions the chapters use.

Each method page ends with two or three exercises on the data package the book is built
on (the code it shows loads that package). Their answers sit in collapsed dropdowns and
are glued from one of the functions below, which call the same statistics as the chapter
that applies the method: an answer is never typed, and it changes with the data. Each
function returns one named result whose fields are the answers (glued as
``ex_<field>``); ``tests/book/test_book.py`` checks that every answer on a built page equals
the field's value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.chapters.words import count_words, join_words, number_words
from analysis.contract.escape import Myst, myst_code_block
from analysis.contract.package import DataPackage, category_labels
from analysis.stats import (agreement, prevalence, prevalence_glmm, quality, saturation,
                            themes)


def _top(counts: pd.Series) -> tuple[str, int]:
    """The most frequent entry (first in order among ties) and its count."""
    if counts.empty:
        return "none", 0
    best = counts.max()
    return str(counts[counts == best].index[0]), int(best)


# ------------------------------------------------------------ thematic synthesis


@dataclass(frozen=True)
class ThematicSynthesisAnswers:
    """Answers of the thematic synthesis exercises.

    Attributes
    ----------
    n_papers_coded : int
        Papers with at least one coded excerpt.
    n_excerpts : int
        Excerpts coded across all papers (the line-by-line stage, counted).
    n_subthemes, n_themes : int
        Descriptive themes (sub-themes) and analytical themes of the framework.
    framework_size : str
        The same in words: "17 sub-themes under 6 themes".
    top_subtheme : str
        The sub-theme coded in the most papers; ``n_top_subtheme`` papers.
    pct_top_subtheme : float
        Those papers as a percentage of all papers.
    """

    n_papers_coded: int
    n_excerpts: int
    n_subthemes: int
    n_themes: int
    framework_size: str
    top_subtheme: str
    n_top_subtheme: int
    pct_top_subtheme: float


def thematic_synthesis(package: DataPackage) -> ThematicSynthesisAnswers:
    """Answers from :func:`analysis.stats.themes.frequency_table` of all papers."""
    support = themes.ThemeSupport.from_package(package)
    table = themes.frequency_table(support)
    subs = table[table["level"] == "sub-theme"].set_index("subtheme")
    name, n = _top(subs["n_papers"])
    n_subthemes = int(len(support.framework))
    n_themes = int(support.framework["theme_id"].nunique())
    return ThematicSynthesisAnswers(
        n_papers_coded=int((support.excerpts.sum(axis=1) > 0).sum()),
        n_excerpts=int(support.excerpts.to_numpy().sum()),
        n_subthemes=n_subthemes, n_themes=n_themes,
        framework_size=(f"{count_words(n_subthemes, 'sub-theme')} under "
                        f"{count_words(n_themes, 'theme')}"),
        top_subtheme=name, n_top_subtheme=n,
        pct_top_subtheme=float(subs.loc[name, "pct_papers"]) if n else 0.0)


# ------------------------------------------------------------------ CASP appraisal


@dataclass(frozen=True)
class CaspAnswers:
    """Answers of the CASP exercises.

    Attributes
    ----------
    n_papers : int
    n_all_yes : int
        Papers whose agreed answer (the package's ``study.appraisal.agreed_label``) is
        Yes on every question.
    top_question : str
        The question most often answered other than Yes; ``n_top_question`` papers.
    same_yes : int
        The most common number of Yes answers among papers that are not all Yes
        (0 if every paper is all Yes); ``n_same_yes`` papers have it.
    n_patterns_same_yes : int
        How many different sets of questions those papers fell short on: one sum,
        several appraisals.
    """

    n_papers: int
    n_all_yes: int
    top_question: str
    n_top_question: int
    same_yes: int
    n_same_yes: int
    n_patterns_same_yes: int
    paradox_papers: int
    paradox_agreement: float
    paradox_share: float
    paradox_kappa: float
    paradox_ac1: float
    paradox_pabak: float
    paradox_answer: str


# The kappa-paradox exercise (Feinstein and Cicchetti 1990): two reviewers' answers to one
# question on 20 papers, as a table of pairs (first reviewer's answer in rows, the
# second's in columns; the tool's favourable answer first). They agree on 17 papers, and
# the favourable answer is 35 of the 40 answers, so chance agreement under kappa is high
# and kappa is low although AC1 and PABAK are not. A teaching table, not data: the same
# for every package, with the tool's own answer labels.
PARADOX_PAIRS = ((16, 2), (1, 1))


def paradox_answers(tool: quality.AppraisalTool) -> tuple[str, str]:
    """The two answers of the paradox table: the tool's favourable answer and its first
    unfavourable one (its last answer if it declares none)."""
    roles = dict(tool.roles)
    worst = next((a for a in tool.answers if roles.get(a) == "unfavourable"), tool.answers[-1])
    return tool.answers[0], worst


def paradox_table(tool: quality.AppraisalTool) -> pd.DataFrame:
    """:data:`PARADOX_PAIRS` as the page shows it, labelled with the tool's answers."""
    labels = [tool.answer_labels()[a] for a in paradox_answers(tool)]
    table = pd.DataFrame(PARADOX_PAIRS, index=labels,
                         columns=[f"Reviewer B: {label}" for label in labels])
    table.index.name = "Reviewer A"
    return table


def kappa_paradox_example(tool: quality.AppraisalTool) -> agreement.KappaParadox:
    """Kappa, AC1 and PABAK of :data:`PARADOX_PAIRS` by the functions of the appraisal
    page (:func:`analysis.stats.quality.cohen_kappa`,
    :func:`analysis.stats.agreement.kappa_paradox`)."""
    pairs = np.asarray(PARADOX_PAIRS)
    kappa = quality.cohen_kappa(pairs).kappa
    # one row per paper: how many of the two reviewers gave each answer
    rows = [np.bincount([a, b], minlength=2) for a in range(2) for b in range(2)
            for _ in range(int(pairs[a, b]))]
    return agreement.kappa_paradox(np.vstack(rows), kappa)


def casp(package: DataPackage) -> CaspAnswers:
    """Answers from the agreed answers of :func:`analysis.stats.quality.ratings`."""
    tool = quality.package_tool(package)
    wide = quality.answers_wide(quality.ratings(package, tool), package.study.agreed_label)
    yes = wide.eq(tool.answers[0])  # the tool's most favourable answer
    n_yes = yes.sum(axis=1)
    short = (~yes).sum(axis=0)
    short.index = [tool.labels()[int(i)] for i in short.index]
    question, n_question = _top(short[short > 0])
    partial = n_yes[n_yes < wide.shape[1]]
    if partial.empty:
        same, n_same, patterns = 0, 0, 0
    else:
        counts = partial.value_counts()
        same = int(counts[counts == counts.max()].index.max())
        rows = ~yes.loc[partial.index[partial == same]]
        n_same = len(rows)
        patterns = int(len({tuple(r) for r in rows.to_numpy()}))
    example = kappa_paradox_example(tool)
    chance = quality.cohen_kappa(np.asarray(PARADOX_PAIRS)).expected
    answer = (f"Kappa takes chance agreement from the shares of answers each reviewer gave: "
              f"with one answer this common it expects {100 * chance:.0f}% agreement by "
              "chance and credits only what lies beyond, so it "
              + ("is low although the reviewers agree on most papers. "
                 if example.paradox else "is not low here. ")
              + "AC1 and PABAK do not let the imbalance raise chance agreement that way.")
    return CaspAnswers(n_papers=int(len(wide)), n_all_yes=int((n_yes == wide.shape[1]).sum()),
                       top_question=question, n_top_question=n_question, same_yes=same,
                       n_same_yes=n_same, n_patterns_same_yes=patterns,
                       paradox_papers=int(np.sum(PARADOX_PAIRS)),
                       paradox_agreement=100 * example.observed_agreement,
                       paradox_share=100 * example.dominant_share,
                       paradox_kappa=example.kappa, paradox_ac1=example.ac1,
                       paradox_pabak=example.pabak, paradox_answer=answer)


# ------------------------------------------------------------------- GRADE-CERQual


@dataclass(frozen=True)
class CerqualAnswers:
    """Answers of the GRADE-CERQual exercises.

    Attributes
    ----------
    n_findings : int
        Review findings assessed; ``findings`` says it in words ("6 findings").
    n_high, n_moderate, n_low, n_very_low : int
        Findings at each level of overall confidence.
    top_component : str
        The component with the most findings at moderate or serious concerns
        (``n_top_component`` findings; "none" and 0 when no finding has such concerns).
    top_component_answer : str
        The answer in a sentence, for either case.
    """

    n_findings: int
    findings: str
    n_high: int
    n_moderate: int
    n_low: int
    n_very_low: int
    top_component: str
    n_top_component: int
    top_component_answer: str


def cerqual(package: DataPackage) -> CerqualAnswers:
    """Answers from the package's ``cerqual`` table (checked complete on validation)."""
    table = package["cerqual"]
    overall = table.drop_duplicates("theme_id")["overall"].value_counts()
    labels = category_labels("cerqual", "component")
    serious = table[table["concern"].isin(["moderate", "serious"])]
    counts = (serious["component"].value_counts()
              .reindex(list(labels), fill_value=0).rename(index=labels))
    component, n = _top(counts[counts > 0])
    n_findings = int(table["theme_id"].nunique())
    answer = (f"The component with the most is {component.lower()}, with "
              f"{count_words(n, 'finding')} at moderate or serious concerns." if n else
              "No finding has moderate or serious concerns on any component.")
    return CerqualAnswers(
        n_findings=n_findings, findings=count_words(n_findings, "finding"),
        n_high=int(overall.get("high", 0)), n_moderate=int(overall.get("moderate", 0)),
        n_low=int(overall.get("low", 0)), n_very_low=int(overall.get("very_low", 0)),
        top_component=component.lower() if n else "none", n_top_component=n,
        top_component_answer=answer)


# ------------------------------------------------------------------ counting themes


@dataclass(frozen=True)
class CountingAnswers:
    """Answers of the exercises on counting themes.

    Attributes
    ----------
    theme : str
        The theme supported by the most papers (first in framework order among ties).
    n_papers, pct_papers : int, float
        Papers supporting it, and their percentage of all papers.
    ci_low, ci_high : float
        Wilson 95% interval of that percentage, as the themes page reports it.
    n_studies, pct_studies : int, float
        Distinct studies supporting it, and their percentage of all studies.
    n_all_papers, n_all_studies : int
    """

    theme: str
    n_papers: int
    pct_papers: float
    ci_low: float
    ci_high: float
    n_studies: int
    pct_studies: float
    n_all_papers: int
    n_all_studies: int


def counting(package: DataPackage) -> CountingAnswers:
    """Answers from :func:`analysis.stats.themes.frequency_table` of all papers."""
    support = themes.ThemeSupport.from_package(package)
    table = themes.frequency_table(support)
    rows = table[table["level"] == "theme"].reset_index(drop=True)
    best = rows.loc[rows["n_papers"].idxmax()]
    n_all = len(support.units)
    return CountingAnswers(
        theme=str(best["theme"]), n_papers=int(best["n_papers"]),
        pct_papers=float(best["pct_papers"]), ci_low=float(best["ci_low"]),
        ci_high=float(best["ci_high"]), n_studies=int(best["n_studies"]),
        pct_studies=float(best["pct_studies"]), n_all_papers=n_all,
        n_all_studies=int(support.units["group"].nunique()))


# -------------------------------------------------------------- prevalence pooling


@dataclass(frozen=True)
class PrevalenceAnswers:
    """Answers of the prevalence meta-analysis exercises (percentages).

    Attributes
    ----------
    k : int
        Studies pooled.
    pooled, ci_low, ci_high : float
        Random-effects (logit, DerSimonian-Laird) pooled prevalence and its 95% CI.
    pi_low, pi_high : float
        Its 95% prediction interval.
    i2 : float
        I² (%).
    n_outside_pi : int
        Studies whose own prevalence lies outside the prediction interval.
    pooled_ft : float
        The same pooling on the Freeman-Tukey scale, back-transformed.
    studies : str
        The number of studies in words ("1 study", "9 studies").
    heterogeneity : str
        The answer on I² and the prediction interval, which say nothing for one study and
        have no prediction interval for two (its t distribution has k - 2 degrees of
        freedom).
    """

    k: int
    pooled: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    i2: float
    n_outside_pi: int
    pooled_ft: float
    studies: str
    heterogeneity: str
    n_sparse: int
    n_boundary: int
    size_ratio: float
    glmm_pooled: float
    glmm_ci_low: float
    glmm_ci_high: float
    glmm_tau2: float
    iv_tau2: float
    glmm_choice: str


# A study is "sparse" for the inverse-variance model when it has fewer than this many
# cases or non-cases: the usual rule for the normal approximation of a binomial count
# (n p and n (1 - p) at least 5), on which the study's logit and its variance rest.
SPARSE_COUNT = 5
# Studies whose sizes differ tenfold or more: then the one sample size the Freeman-Tukey
# back-transformation needs fits few of them (Schwarzer et al. 2019).
SIZE_RATIO = 10


def glmm_choice(cases, n, iv: prevalence.PooledPrevalence,
                glmm: prevalence_glmm.GlmmPrevalence) -> tuple[int, int, float, str]:
    """Whether the GLMM is to be preferred over the inverse-variance model for these
    studies, in a sentence: studies with no cases (or only cases), sparse studies
    (:data:`SPARSE_COUNT`), the spread of sizes, and the two estimates side by side.

    Returns the sparse and boundary counts, the ratio of the largest study to the
    smallest, and the sentence (Schwarzer et al. 2019; Stijnen, Hamza and Ozdemir 2010).
    """
    cases, n = np.asarray(cases, dtype=float), np.asarray(n, dtype=float)
    boundary = int(((cases == 0) | (cases == n)).sum())
    sparse = int(((cases < SPARSE_COUNT) | (n - cases < SPARSE_COUNT)).sum())
    ratio = float(n.max() / n.min())
    if not glmm.converged:
        why = glmm.status.value.replace("_", " ")
        return sparse, boundary, ratio, (
            f"The GLMM gives no estimate here ({why}): report the inverse-variance model "
            "and say that the GLMM could not be fitted.")
    compare = (f"the GLMM gives {100 * glmm.prevalence:.1f}% (95% CI "
               f"{100 * glmm.ci_low:.1f}% to {100 * glmm.ci_high:.1f}%) against "
               f"{100 * iv.prevalence:.1f}% by the logit inverse-variance model, and tau² "
               f"{glmm.tau2:.2f} against {iv.tau2:.2f}")
    if boundary or sparse:
        reasons = [f"{count_words(boundary, 'study', 'studies')} with no cases or only "
                   "cases" if boundary else "",
                   f"{count_words(sparse, 'study', 'studies')} with fewer than "
                   f"{SPARSE_COUNT} cases or non-cases" if sparse else ""]
        return sparse, boundary, ratio, (
            f"Prefer the GLMM: there {'is' if boundary + sparse == 1 else 'are'} "
            f"{' and '.join(filter(None, reasons))}, whose logits and variances the "
            f"inverse-variance model must approximate (or correct); {compare}.")
    return sparse, boundary, ratio, (
        f"Either model will do: every study has at least {SPARSE_COUNT} cases and "
        f"{SPARSE_COUNT} non-cases, so the approximations of the inverse-variance model hold; "
        f"{compare} (tau² by maximum likelihood on the exact binomial against "
        "the moments of DerSimonian and Laird on the logits)."
        + (f" The largest study is {ratio:,.0f} times the smallest: a reason to avoid the "
           "Freeman-Tukey back-transformation, not the logit." if ratio >= SIZE_RATIO else ""))


def prevalence_pooling(package: DataPackage) -> PrevalenceAnswers:
    """Answers from :func:`analysis.stats.prevalence.pool` on every prevalence study."""
    studies = package["prevalence_studies"]
    cases, n = studies["cases"].to_numpy(), studies["n"].to_numpy()
    main = prevalence.estimate(cases, n, transform="logit", tau2_method="dl")  # k = 1 too
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", prevalence.FreemanTukeyWarning)
        ft = prevalence.estimate(cases, n, transform="freeman_tukey", tau2_method="dl")
    glmm = prevalence_glmm.pool_glmm(cases, n)
    n_sparse, n_boundary, ratio, choice = glmm_choice(cases, n, main, glmm)
    own = cases / n
    outside = int(((own < main.pi_low) | (own > main.pi_high)).sum())
    if main.k >= 3:
        heterogeneity = (f"I² = {main.i2_percent:.1f}%; the prediction interval runs from "
                         f"{100 * main.pi_low:.1f}% to {100 * main.pi_high:.1f}%, and "
                         f"{count_words(outside, 'study', 'studies')} "
                         f"{'lies' if outside == 1 else 'lie'} outside it.")
    elif main.k == 2:
        heterogeneity = (f"I² = {main.i2_percent:.1f}%. Two studies give no prediction "
                         "interval: it needs at least three, since its t distribution has "
                         "k − 2 degrees of freedom.")
    else:
        heterogeneity = ("One study has no heterogeneity to measure: neither I² nor a "
                         "prediction interval is defined.")
    return PrevalenceAnswers(
        k=main.k, pooled=100 * main.prevalence, ci_low=100 * main.ci_low,
        ci_high=100 * main.ci_high, pi_low=100 * main.pi_low, pi_high=100 * main.pi_high,
        i2=float(main.i2_percent), n_outside_pi=outside, pooled_ft=100 * ft.prevalence,
        studies=count_words(main.k, "study", "studies"), heterogeneity=heterogeneity,
        n_sparse=n_sparse, n_boundary=n_boundary, size_ratio=ratio,
        glmm_pooled=100 * glmm.prevalence, glmm_ci_low=100 * glmm.ci_low,
        glmm_ci_high=100 * glmm.ci_high, glmm_tau2=glmm.tau2, iv_tau2=main.tau2,
        glmm_choice=choice)


# ------------------------------------------------------------------------ saturation


@dataclass(frozen=True)
class SaturationAnswers:
    """Answers of the saturation exercises.

    Attributes
    ----------
    n_codes_base : int
        Unique codes in the first four interviews (the base).
    point_default : str
        Saturation with Guest, Namey and Chen's defaults (base 4, run 2, 5%).
    point_run3 : str
        The same with runs of three interviews.
    point_strict : str
        The same with a threshold of 0% (no new code at all in the run).
    """

    n_codes_base: int
    point_default: str
    point_run3: str
    point_strict: str


def thematic_saturation(package: DataPackage) -> SaturationAnswers:
    """Answers from :func:`analysis.stats.saturation.assess` in interview order."""
    incidence = saturation.CodeIncidence.from_package(package)
    default = saturation.assess(incidence)
    return SaturationAnswers(
        n_codes_base=default.n_codes_base, point_default=default.saturation_text,
        point_run3=saturation.assess(incidence, run_length=3).saturation_text,
        point_strict=saturation.assess(incidence, threshold=0.0).saturation_text)


# --------------------------------------------------------------------------- ConQual


@dataclass(frozen=True)
class ConQualAnswers:
    """Answers of the ConQual exercises, on the package's first synthesised finding.

    Attributes
    ----------
    first : str
        Its identifier.
    credibility_answer : str
        How many of its findings are at each level of credibility, and by how many levels
        credibility moves it down.
    dependability_answer : str
        How many appraised papers keep the ranking (4-5 "Yes"), move it down one level
        (2-3) or two (0-1), or why the package's papers have no dependability.
    score_answer : str
        Its ConQual score, or the highest score credibility allows and why no more is
        known.
    """

    first: str
    credibility_answer: str
    dependability_answer: str
    score_answer: str


def conqual_grading(package: DataPackage) -> ConQualAnswers:
    """Answers from :func:`analysis.stats.conqual.conqual_summary` (the ConQual page's)."""
    from analysis.chapters import conqual as conqual_page
    from analysis.stats import conqual as rules

    inputs = conqual_page.conqual_inputs(package)
    row = conqual_page.summary(inputs).iloc[0]
    first = str(row["synthesised_finding_id"])
    if row["status"] == rules.NO_FINDINGS:
        credibility = f"No finding is aggregated into {first}, so it has no credibility."
    else:
        levels = [f"{int(row[f'n_{c}'])} {c.replace('_', ' ')}"
                  for c in rules.CREDIBILITY_LEVELS if row[f"n_{c}"]]
        down = int(row["credibility_downgrade"])
        credibility = (f"{first} rests on {count_words(int(row['n_findings']), 'finding')} "
                       f"({join_words(levels)}): credibility "
                       + ("leaves its ranking unchanged." if down == 0 else
                          f"moves it down {number_words(down)} "
                          f"level{'s' if down > 1 else ''}."))
    dep = inputs.dependability
    if dep is None:
        dependability = f"None can be judged here: {inputs.no_dependability_reason}."
    else:
        n = [int((dep["downgrade"] == d).sum()) for d in (0, 1, 2)]
        dependability = (f"Of {count_words(len(dep), 'appraised paper')}, {n[0]} keep the "
                         f"ranking (4-5 Yes answers), {n[1]} move it down one level (2-3) "
                         f"and {n[2]} down two levels (0-1).")
    if row["status"] == rules.COMPUTED:
        score = f"{first} is graded {rules.LEVEL_LABELS[row['score']]}."
    elif row["status"] == rules.NO_FINDINGS:
        score = f"{first} cannot be graded: no finding is aggregated into it."
    else:
        score = (f"It cannot be computed from this package: "
                 f"{conqual_page.not_graded_reason(row['status'], inputs)}. Credibility "
                 f"alone allows at most {rules.LEVEL_LABELS[row['score_at_most']]}.")
    return ConQualAnswers(first=first, credibility_answer=credibility,
                          dependability_answer=dependability, score_answer=score)


EXERCISES = {  # method page -> the function that answers its exercises
    "method_thematic_synthesis": thematic_synthesis,
    "method_casp": casp,
    "method_cerqual": cerqual,
    "method_counting_themes": counting,
    "method_prevalence": prevalence_pooling,
    "method_saturation": thematic_saturation,
    "method_conqual": conqual_grading,
}


def answers(page: str, package: DataPackage):
    """The answers of a method page's exercises (see ``EXERCISES``)."""
    return EXERCISES[page](package)


_THEMES_CODE = """from analysis.contract.validation import load_package
from analysis.stats import themes

support = themes.ThemeSupport.from_package(load_package({data_dir}))
table = themes.frequency_table(support)"""
EXERCISE_CODE = {  # method page -> the code its exercises start from
    "method_thematic_synthesis": _THEMES_CODE,
    "method_counting_themes": _THEMES_CODE + """
rows = table[table["level"] == "theme"]""",
    "method_cerqual": """from analysis.contract.validation import load_package

cerqual = load_package({data_dir})["cerqual"]""",
    "method_conqual": """from analysis.contract.validation import load_package
from analysis.chapters import conqual

inputs = conqual.conqual_inputs(load_package({data_dir}))
summary = conqual.summary(inputs)  # one row per synthesised finding""",
}


# Links from a method page to pages a package may lack (see analysis.chapters.book_pages):
# page -> (links: name -> (target, words), sentences: name -> (target, sentence)).
PAGE_LINKS = {
    "method_thematic_synthesis": ({"cerqual": ("method_cerqual", "GRADE-CERQual")}, {}),
    "method_counting_themes": ({"prisma": ("prisma", "PRISMA"),
                                "cerqual": ("method_cerqual", "GRADE-CERQual")}, {}),
    "method_cerqual": ({"casp": ("method_casp", "critical appraisal")},
                       {"applied": ("quality", Myst("The [quality bands](quality) page "
                                                    "applies it, in its last section."))}),
    # the appraisal page reports the reviewers' agreement; a single-rater book has none
    "method_casp": ({}, {
        "applied": ("appraisal", Myst("The [appraisal](appraisal) page applies it.")),
        "agreement": ("appraisal", Myst("The [appraisal](appraisal) page reports how far "
                                        "this book's reviewers agreed, and gives the kappa an "
                                        "interval that resamples whole papers, beside the "
                                        "classical one."))}),
}


def glue_page_links(page: str, package: DataPackage) -> None:
    """Glue the links of a method page to the pages this book has (``PAGE_LINKS``)."""
    from analysis.chapters.book_pages import glue_links

    links, sentences = PAGE_LINKS.get(page, ({}, {}))
    glue_links(package, links, sentences)


def exercise_code(page: str, data_dir: str):
    """The code a method page's exercises start from, loading the book's own package.

    Parameters
    ----------
    page : str
        The method page (a key of ``EXERCISE_CODE``).
    data_dir : str
        The data package as the page's parameters show it (``data_synthetic`` or a path).
    """
    from analysis.chapters.words import markdown

    code = EXERCISE_CODE[page].format(data_dir=json.dumps(str(data_dir)))
    return markdown(myst_code_block(code, "python"))


__all__ = ["EXERCISES", "EXERCISE_CODE", "PAGE_LINKS", "answers", "exercise_code",
           "glue_page_links",
           *(f.__name__ for f in EXERCISES.values())]
