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
        if how is not None and not computable:
            status = NOT_COMPUTABLE
        shown = (f"{computed:.1f}" if isinstance(computed, float) else
                 "–" if computed is None else str(computed))
        unit = f" {fact['unit']}" if isinstance(fact["unit"], str) and fact["unit"] == "%" else ""
        rows.append({"fact_id": fact_id, "fact": fact["quantity"], "study": fact["study"],
                     "kind": fact["kind"],
                     "published": f"{fact['value']}{unit}", "computed": f"{shown}{unit}"
                     if computed is not None else shown, "tolerance": tolerance,
                     "status": status, "source": fact["source"]})
    columns = ["fact_id", "fact", "study", "kind", "published", "computed", "tolerance",
               "status", "source"]
    return pd.DataFrame(rows, columns=columns).set_index("fact_id")


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
    view = table.set_index("fact")[["published", "computed", "tolerance", "status", "source"]]
    view.index.name = "Published figure"
    return view.rename(columns=str.capitalize)


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
                 "this package: the tables "
                 f"{'it needs are' if summary.n_not_computable == 1 else 'they need are'} "
                 "not in it.")
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
