"""Reproduction report: every published figure beside the value the data give.

Each published fact (declared by the package in ``study.published``) is matched with a
computation on the data package. Counts and labels must match exactly; a published
estimate must be matched within a tolerance stated in the table; facts the data cannot
speak to are listed as context, and facts whose tables the package does not hold (or
whose rows cannot give them) are not computable from it, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from analysis.chapters.words import count_words, markdown
from analysis.contract.escape import Myst, myst_text
from analysis.contract.package import DataPackage
from analysis.contract.published import published_facts
from analysis.stats.sample import summarise_included_papers, summarise_interview_sample

ESTIMATE_TOLERANCE = 0.5  # percentage points, for pooled prevalences
APPROXIMATE_TOLERANCE = 10.0  # percentage points, for "about half" style figures


def _pooled_percent(package: DataPackage, setting: str, income: str | None = None) -> float:
    from analysis.stats.prevalence import pool_logit

    studies = package["prevalence_studies"]
    rows = studies[studies["setting"] == setting]
    if income:
        rows = rows[rows["income_group"] == income]
    return 100 * pool_logit(rows["cases"], rows["n"]).prevalence


def _review_quality(package: DataPackage) -> str:
    from analysis.stats import quality, themes

    return quality.median_band(themes.paper_bands(package)["band"])


@dataclass(frozen=True)
class Computation:
    """How one published figure is recomputed, and the tables that takes."""

    needs: tuple[str, ...]
    compute: Callable[[DataPackage], object]


def _computations() -> dict[str, Computation]:
    interview = summarise_interview_sample
    papers = summarise_included_papers
    people = ("participants",)
    prevalence = ("prevalence_studies",)

    def framework(review: str, level: str) -> Callable[[DataPackage], int]:
        return lambda p: int(p["framework"].loc[p["framework"]["review"] == review, level]
                             .nunique())

    return {
        "participants": Computation(people, lambda p: interview(p).n_participants),
        "men": Computation(people, lambda p: interview(p).n_men),
        "minority_ethnic": Computation(people, lambda p: interview(p).n_minority_ethnic),
        "lived_experience_interviews": Computation(
            people, lambda p: interview(p).n_lived_experience_interviews),
        "health_researcher_interviews": Computation(
            people, lambda p: interview(p).n_health_researcher_interviews),
        "shortest_interview": Computation(people, lambda p: interview(p).duration_min),
        "longest_interview": Computation(people, lambda p: interview(p).duration_max),
        "pd_diagnosis": Computation(people, lambda p: interview(p).n_with_pd_diagnosis),
        "regions_not_sampled": Computation(people, lambda p: interview(p).regions_not_sampled),
        "interview_subthemes": Computation(("framework",),
                                           framework("interview_study", "subtheme_id")),
        "included_papers": Computation(("studies",), lambda p: papers(p).n_papers),
        "themes": Computation(("framework",), framework("meta_synthesis", "theme_id")),
        "earliest_year": Computation(("studies",), lambda p: papers(p).year_first),
        "overall_quality": Computation(("casp_ratings", "studies"), _review_quality),
        "prevalence_community": Computation(prevalence,
                                            lambda p: _pooled_percent(p, "community")),
        "prevalence_high_income": Computation(
            prevalence, lambda p: _pooled_percent(p, "community", "high")),
        "prevalence_low_middle_income": Computation(
            prevalence, lambda p: _pooled_percent(p, "community", "low_middle")),
        "prevalence_community_studies": Computation(
            prevalence, lambda p: int((p["prevalence_studies"]["setting"] == "community").sum())),
        "prevalence_primary_care": Computation(prevalence,
                                               lambda p: _pooled_percent(p, "primary_care")),
        "prevalence_outpatient": Computation(prevalence,
                                             lambda p: _pooled_percent(p, "outpatient")),
    }


NOT_COMPUTABLE = "not computable from this package"
# The table each review's counts count (``study`` of a figure) and its column of people.
REVIEW_TABLES = {"prevalence": ("prevalence_studies", "n"),
                 "meta_synthesis": ("studies", "n_participants")}
MEASURE_METHOD_DEFAULT = {"transform": "logit", "tau2": "dl"}


class NotComputed(Exception):
    """Why a declared figure cannot be computed from the package (the message says)."""


@dataclass(frozen=True)
class MeasureValue:
    """A figure computed by its ``measure``: the value, its interval where it has one,
    and how it was computed (in words, for the page)."""

    value: float | int | str
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    how: str = ""


def _compared_rows(package: DataPackage, fact: pd.Series) -> pd.DataFrame:
    """The rows of the review's table that a figure's ``compare`` names."""
    from analysis.chapters.prevalence import population_label

    review = fact.get("study")
    if review not in REVIEW_TABLES:
        raise NotComputed(f"this page computes figures of a prevalence review or a "
                          f"meta-synthesis, not of '{review}'")
    table = REVIEW_TABLES[review][0]
    if not package.has(table):
        raise NotComputed(f"the package has no {table}.csv")
    rows = package[table]
    compare = fact.get("compare")
    if isinstance(compare, dict):
        for column, value in compare.items():
            if column not in rows:
                raise NotComputed(f"{table}.csv has no column {column}")
            if rows[column].isna().all() or rows[column].astype(str).str.strip().eq("").all():
                raise NotComputed(f"no study of this package reports its {column} "
                                  f"({table}.csv: {column} is empty)")
            rows = rows[rows[column].astype(str) == str(value)]
        if rows.empty:
            where = population_label(compare, {c: package.categories(table, c)
                                               for c in compare if c in package[table]})
            raise NotComputed(f"no study of this package has {where} "
                              f"({', '.join(f'{c} = {v}' for c, v in compare.items())})")
    return rows


APPRAISAL_MEASURES = ("appraisal_score_min", "appraisal_score_max", "overall_judgement")


def _appraisal_value(package: DataPackage, measure: str) -> MeasureValue:
    """A figure of the appraisal: the fewest or most favourable answers of a paper, or
    the review-level judgement (the band of the median paper under the book's default
    rule, as the Quality bands page gives it)."""
    from analysis.stats import quality

    if not (package.has("casp_ratings") and package.has("studies")):
        raise NotComputed("the package has no casp_ratings.csv and studies.csv")
    tool = quality.package_tool(package)
    if measure == "overall_judgement":
        return MeasureValue(_review_quality(package), how=(
            "the band of the median paper under the default banding rule of the Quality "
            "bands page"))
    scores = quality.appraisal_scores(package, tool)
    favourable = [label for code, label in tool.answer_labels().items()
                  if dict(tool.roles).get(code) == "favourable"] or ["Yes"]
    value = scores.min() if measure == "appraisal_score_min" else scores.max()
    return MeasureValue(int(value), how=(
        f"'{favourable[0]}' answers of each paper's agreed answers, counted over the "
        f"{tool.n_items} questions of the {tool.name}"))


def _pooled(rows: pd.DataFrame, method: dict | None):
    from analysis.stats.prevalence import TAU2_METHODS, TRANSFORMS, estimate

    stated = {k: v for k, v in (method or {}).items() if k in ("transform", "tau2") and v}
    chosen = {**MEASURE_METHOD_DEFAULT, **stated}
    result = estimate(rows["cases"], rows["n"], chosen["transform"], chosen["tau2"])
    how = f"{TRANSFORMS[chosen['transform']]}, {TAU2_METHODS[chosen['tau2']][1]}"
    if not stated:
        how += " (the book's main analysis: the paper states no method)"
    return result, how


def measure_value(package: DataPackage, fact: pd.Series) -> MeasureValue:
    """One published figure recomputed by what it is (its ``measure``).

    Counts are integers; a pooled prevalence is recomputed under the paper's stated
    transform and tau² estimator (the book's main analysis, logit and
    DerSimonian-Laird, where it states none), with its 95% confidence interval.

    Raises
    ------
    NotComputed
        Saying why: a method the book does not compute
        (:func:`analysis.contract.published.method_not_computed`), no matching study,
        a table or column the package lacks, a measure of another page.
    """
    import warnings

    from analysis.contract.published import method_not_computed
    from analysis.stats.prevalence import FreemanTukeyWarning

    measure = fact["measure"]
    why = method_not_computed(fact.get("method"))
    if why:
        raise NotComputed(why)
    if measure in APPRAISAL_MEASURES:
        return _appraisal_value(package, measure)
    if measure not in ("n_studies", "n_participants", "n_cases", "year_min", "year_max",
                       "pooled_prevalence", "i2", "tau2"):
        raise NotComputed(f"this page does not compute {measure.replace('_', ' ')}")
    rows = _compared_rows(package, fact)
    if measure == "n_studies":
        return MeasureValue(int(len(rows)))
    if measure in ("n_participants", "n_cases"):
        column = "cases" if measure == "n_cases" else REVIEW_TABLES[fact["study"]][1]
        if column not in rows or rows[column].isna().all():
            raise NotComputed(f"no study reports {column}")
        return MeasureValue(int(rows[column].sum()))
    if measure in ("year_min", "year_max"):
        years = rows["year"].dropna() if "year" in rows else pd.Series(dtype=float)
        if years.empty:
            raise NotComputed("no study reports its year")
        return MeasureValue(int(years.min() if measure == "year_min" else years.max()))
    if fact["study"] != "prevalence":
        raise NotComputed(f"{measure.replace('_', ' ')} is a figure of a prevalence review")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        result, how = _pooled(rows, fact.get("method"))
    if measure == "pooled_prevalence":
        return MeasureValue(100 * result.prevalence, 100 * result.ci_low,
                            100 * result.ci_high, how)
    if measure == "i2":
        return MeasureValue(result.i2_percent, how=how)
    return MeasureValue(result.tau2, how=how)


def _judge(kind: str, published: str, number: float, computed) -> tuple[str, str]:
    """(tolerance in words, status) for one fact."""
    if computed is None:
        return "–", "context only"
    if kind == "label":
        return "exact", "reproduced" if str(computed) == published else "differs"
    if kind == "range":  # "moderate to high": any band from one end to the other
        from analysis.stats.quality import published_bands

        ends = str(published).split(" to ")
        within = published_bands({"value": published, "range": ends})
        return "within the range", "reproduced" if str(computed) in within else "differs"
    if kind == "minimum":
        return f"at least {published}", "reproduced" if computed >= number else "differs"
    if kind == "count":
        return "exact", "reproduced" if computed == number else "differs"
    tolerance = ESTIMATE_TOLERANCE if kind == "estimate" else APPROXIMATE_TOLERANCE
    ok = abs(float(computed) - number) <= tolerance
    return f"± {tolerance:g} points", "reproduced" if ok else "differs"


def reproduction_table(package: DataPackage) -> pd.DataFrame:
    """Every published figure, the value computed from ``package``, and a verdict.

    A figure the book knows how to recompute but whose tables the package does not hold
    is marked ``not computable from this package``; one it has no computation for is
    context only.

    Returns
    -------
    DataFrame
        Columns ``fact``, ``study``, ``kind``, ``published``, ``computed``,
        ``tolerance``, ``status`` (reproduced / differs / context only / not computable
        from this package) and ``source``, indexed by fact id.
    """
    computations = _computations()
    rows = []
    for fact_id, fact in published_facts(package).iterrows():
        if isinstance(fact.get("measure"), str):
            rows.append(_measured_row(package, fact_id, fact))
            continue
        how = computations.get(fact_id)
        computable = how is not None and all(package.has(t) for t in how.needs)
        computed = None
        if computable:
            try:
                computed = how.compute(package)
            except (ValueError, KeyError, IndexError, ZeroDivisionError):
                # e.g. a pooled prevalence of a setting that has no study in this package
                computable = False
        tolerance, status = _judge(fact["kind"], fact["value"], fact["number"], computed)
        why = ""
        if how is not None and not computable:
            status = NOT_COMPUTABLE
            why = f"needs {', '.join(t + '.csv' for t in how.needs)}"
        shown = (f"{computed:.1f}" if isinstance(computed, float) else
                 "–" if computed is None else str(computed))
        unit = f" {fact['unit']}" if isinstance(fact["unit"], str) and fact["unit"] == "%" else ""
        rows.append({"fact_id": fact_id, "fact": fact["quantity"], "study": fact["study"],
                     "kind": fact["kind"],
                     "published": f"{fact['value']}{unit}", "computed": f"{shown}{unit}"
                     if computed is not None else shown, "tolerance": tolerance,
                     "status": status, "source": fact["source"], "why": why,
                     "computed_value": float("nan")})
    columns = ["fact_id", "fact", "study", "kind", "published", "computed", "tolerance",
               "status", "source", "why", "computed_value"]
    return pd.DataFrame(rows, columns=columns).set_index("fact_id")


def _published_text(fact: pd.Series, percent: bool) -> str:
    unit = "%" if percent else ""
    text = f"{fact['value']}{unit}"
    if pd.notna(fact.get("ci_low")) and pd.notna(fact.get("ci_high")):
        text += f" ({fact['ci_low']:g}–{fact['ci_high']:g})"
    return text


def _measured_row(package: DataPackage, fact_id: str, fact: pd.Series) -> dict:
    """One row of the reproduction table for a figure that says what it is."""
    measure = fact["measure"]
    percent = measure in ("pooled_prevalence", "i2")
    row = {"fact_id": fact_id, "fact": fact["quantity"], "study": fact["study"],
           "kind": fact["kind"], "published": _published_text(fact, percent),
           "source": fact["source"], "why": "", "computed_value": float("nan")}
    try:
        got = measure_value(package, fact)
    except NotComputed as why:
        return {**row, "computed": "–", "tolerance": "–", "status": NOT_COMPUTABLE,
                "why": str(why)}
    if isinstance(got.value, str):  # a judgement, such as a band
        tolerance, status = _judge(fact["kind"], fact["value"], fact["number"], got.value)
        return {**row, "computed": got.value, "tolerance": tolerance, "status": status,
                "why": got.how}
    if isinstance(got.value, int):
        shown = f"{got.value:d}"
    elif percent:
        shown = f"{got.value:.1f}%" + (f" ({got.ci_low:.1f}–{got.ci_high:.1f})"
                                        if pd.notna(got.ci_low) else "")
    else:
        shown = f"{got.value:.3f}"
    tolerance, status = _judge(fact["kind"], fact["value"], fact["number"], got.value)
    return {**row, "computed": shown, "tolerance": tolerance, "status": status,
            "why": got.how, "computed_value": float(got.value)}


@dataclass(frozen=True)
class ReproductionSummary:
    """How many published figures the data reproduce."""

    n_checked: int
    n_reproduced: int
    n_differs: int
    n_context: int
    n_not_computable: int
    differing: str


def summarise_reproduction(table: pd.DataFrame) -> ReproductionSummary:
    """Counts of the verdicts in a reproduction table."""
    status = table["status"]
    differing = table.loc[status == "differs", "fact"]
    return ReproductionSummary(
        n_checked=int(status.isin(["reproduced", "differs"]).sum()),
        n_reproduced=int((status == "reproduced").sum()),
        n_differs=int((status == "differs").sum()),
        n_context=int((status == "context only").sum()),
        n_not_computable=int((status == NOT_COMPUTABLE).sum()),
        differing="; ".join(differing) if len(differing) else "none",
    )


def reproduction_view(table: pd.DataFrame) -> pd.DataFrame:
    """The reproduction table for reading: one row per fact, verdict before source."""
    columns = ["published", "computed", "tolerance", "status", "source"]
    if "why" in table and table["why"].astype(bool).any():
        columns.insert(4, "why")
    view = table.set_index("fact")[columns]
    view.index.name = "Published figure"
    return view.rename(columns=str.capitalize).rename(
        columns={"Why": "How computed, or why not"})


def differs_note(package: DataPackage, table: pd.DataFrame):
    """Why a published pooled prevalence or I² that differs cannot come from the
    package's rows: the range of the pooled value under every scale and tau² estimator
    the book computes, and the least Cochran's Q beside the largest Q the published I²
    allows (I² = (Q - df)/Q, so I² ≤ p needs Q ≤ df/(1 - p)). Nothing when no such
    figure differs.
    """
    import warnings

    from analysis.contract.published import published_facts
    from analysis.stats.prevalence import (TAU2_METHODS, TRANSFORMS, FreemanTukeyWarning,
                                           estimate)

    facts = published_facts(package)
    text = []
    for fact_id, row in table[table["status"] == "differs"].iterrows():
        fact = facts.loc[fact_id]
        if fact.get("measure") not in ("pooled_prevalence", "i2"):
            continue
        rows = _compared_rows(package, fact)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FreemanTukeyWarning)
            results = [estimate(rows["cases"], rows["n"], t, m)
                       for t in TRANSFORMS for m in TAU2_METHODS]
        k = len(rows)
        if fact["measure"] == "pooled_prevalence":
            values = [100 * r.prevalence for r in results]
            within = sum(abs(v - fact["number"]) <= ESTIMATE_TOLERANCE for v in values)
            text.append(Myst(
                "*{}*: the {} it names give {:.1f}% to {:.1f}% under every scale and tau² "
                "estimator this book computes ({} scales, {} estimators), against the "
                "published {}%; {} of these {} analyses {} within {:g} points of it.").format(
                    row["fact"], count_words(k, "study", "studies"), min(values),
                    max(values), len(TRANSFORMS), len(TAU2_METHODS), fact["value"],
                    "none" if not within else within, len(values),
                    "is" if within == 1 else "are", ESTIMATE_TOLERANCE))
        elif k > 1:
            q_min = min(r.q for r in results)
            share = float(fact["number"]) / 100
            allowed = results[0].q_df / (1 - share) if share < 1 else float("inf")
            verdict = ("so the published I² cannot come from these rows under any of "
                       "them" if q_min > allowed else
                       "so some analysis of these rows could give the published I²")
            text.append(Myst(
                "*{}*: a published I² of {}% needs Cochran's Q of at most {:.1f} on {} "
                "degrees of freedom; the {} it names give Q of at least {:.1f} under "
                "every scale and tau² estimator this book computes, {}.").format(
                    row["fact"], fact["value"], allowed, results[0].q_df,
                    count_words(k, "study", "studies"), q_min, verdict))
    if not text:
        return None
    return markdown(Myst("Why the published figures that differ cannot be reproduced "
                         "from these rows:\n\n") + Myst("\n").join(
                             Myst("- {}").format(t) for t in text))


# ------------------------------------------------------------ data-dependent prose


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def introduction(package: DataPackage):
    """What the page compares: the published figures the package declares, and whose."""
    facts = published_facts(package)
    reviews = set(facts["study"].dropna())
    shorts = [r.short for r in package.study.reports if r.review in reviews]
    whose = f", from {_and(shorts)}" if shorts else ""
    text = (f"Every published figure the data package declares for comparison "
            f"({count_words(len(facts), 'figure')}{whose}), set beside the value computed from "
            "the data package the book was built on. Counts and labels must match exactly; "
            "estimates must land within the tolerance shown; published figures the data "
            "cannot speak to are listed as context, and figures whose tables the package "
            "does not hold are marked as not computable from it.")
    if package.synthetic:
        text += (" On synthetic data this page shows what the calibration achieved; on your "
                 "own data it shows where your data and the published study part company.")
    else:
        text += " It shows where these data and the published study part company."
    return markdown(myst_text(text))


def summary_paragraph(summary: ReproductionSummary):
    """How many figures are reproduced, differ, are context or cannot be computed."""
    if summary.n_checked == 0:
        text = "None of the published figures can be checked against these data."
    else:
        text = (f"Of {count_words(summary.n_checked, 'published figure')} that the data can "
                f"check, {summary.n_reproduced} {'is' if summary.n_reproduced == 1 else 'are'}"
                f" reproduced and {summary.n_differs} "
                f"{'differs' if summary.n_differs == 1 else 'differ'}")
        text += (f" (those that differ: {summary.differing})."
                 if summary.n_differs else ".")
    if summary.n_context:
        text += (f" {count_words(summary.n_context, 'more figure')} "
                 f"{'is' if summary.n_context == 1 else 'are'} cited as context only.")
    if summary.n_not_computable:
        text += (f" {count_words(summary.n_not_computable, 'figure')} "
                 f"{'is' if summary.n_not_computable == 1 else 'are'} not computable from "
                 "this package; the table says why.")
    return markdown(myst_text(text))


def estimate_note(package: DataPackage, table: pd.DataFrame):
    """Why a pooled estimate from synthetic studies only comes close (nothing otherwise)."""
    checked = table["kind"].eq("estimate") & table["status"].isin(["reproduced", "differs"])
    if not (package.synthetic and checked.any()):
        return None
    return markdown(Myst(
        "A pooled prevalence re-estimated from synthetic studies can only come close to the "
        "published one: the synthetic studies are calibrated so that their pooled estimate "
        "lands near it, but they are not the studies the published meta-analysis pooled, so "
        "their heterogeneity and confidence intervals are their own."))
