"""Reproduction report: every published figure beside the value the data give.

Each published fact (declared by the package in ``study.published``) is matched with a computation
on the data package. Counts and labels must match exactly; a published estimate must
be matched within a tolerance stated in the table; facts the data cannot speak to are
listed as context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

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
    from analysis.stats import quality

    return quality.median_band(quality.paper_bands(package["casp_ratings"])["band"])


def _computations() -> dict[str, Callable[[DataPackage], object]]:
    interview = summarise_interview_sample
    papers = summarise_included_papers

    def framework(review: str, level: str) -> Callable[[DataPackage], int]:
        return lambda p: int(p["framework"].loc[p["framework"]["review"] == review, level]
                             .nunique())

    return {
        "participants": lambda p: interview(p).n_participants,
        "men": lambda p: interview(p).n_men,
        "minority_ethnic": lambda p: interview(p).n_minority_ethnic,
        "lived_experience_interviews": lambda p: interview(p).n_lived_experience_interviews,
        "health_researcher_interviews": lambda p: interview(p).n_health_researcher_interviews,
        "shortest_interview": lambda p: interview(p).duration_min,
        "longest_interview": lambda p: interview(p).duration_max,
        "pd_diagnosis": lambda p: interview(p).n_with_pd_diagnosis,
        "regions_not_sampled": lambda p: interview(p).regions_not_sampled,
        "interview_subthemes": framework("interview_study", "subtheme_id"),
        "included_papers": lambda p: papers(p).n_papers,
        "themes": framework("meta_synthesis", "theme_id"),
        "earliest_year": lambda p: papers(p).year_first,
        "overall_quality": _review_quality,
        "prevalence_community": lambda p: _pooled_percent(p, "community"),
        "prevalence_high_income": lambda p: _pooled_percent(p, "community", "high"),
        "prevalence_low_middle_income": lambda p: _pooled_percent(p, "community", "low_middle"),
        "prevalence_community_studies":
            lambda p: int((p["prevalence_studies"]["setting"] == "community").sum()),
        "prevalence_primary_care": lambda p: _pooled_percent(p, "primary_care"),
        "prevalence_outpatient": lambda p: _pooled_percent(p, "outpatient"),
    }


def _judge(kind: str, published: str, number: float, computed) -> tuple[str, str]:
    """(tolerance in words, status) for one fact."""
    if computed is None:
        return "–", "context only"
    if kind == "label":
        return "exact", "reproduced" if str(computed) == published else "differs"
    if kind == "minimum":
        return f"at least {published}", "reproduced" if computed >= number else "differs"
    if kind == "count":
        return "exact", "reproduced" if computed == number else "differs"
    tolerance = ESTIMATE_TOLERANCE if kind == "estimate" else APPROXIMATE_TOLERANCE
    ok = abs(float(computed) - number) <= tolerance
    return f"± {tolerance:g} points", "reproduced" if ok else "differs"


def reproduction_table(package: DataPackage) -> pd.DataFrame:
    """Every published figure, the value computed from ``package``, and a verdict.

    Returns
    -------
    DataFrame
        Columns ``fact``, ``published``, ``computed``, ``tolerance``, ``status``
        (reproduced / differs / context only) and ``source``, indexed by fact id.
    """
    computations = _computations()
    rows = []
    for fact_id, fact in published_facts(package).iterrows():
        compute = computations.get(fact_id)
        computed = compute(package) if compute else None
        tolerance, status = _judge(fact["kind"], fact["value"], fact["number"], computed)
        shown = (f"{computed:.1f}" if isinstance(computed, float) else
                 "–" if computed is None else str(computed))
        unit = f" {fact['unit']}" if isinstance(fact["unit"], str) and fact["unit"] == "%" else ""
        rows.append({"fact_id": fact_id, "fact": fact["quantity"],
                     "published": f"{fact['value']}{unit}", "computed": f"{shown}{unit}"
                     if computed is not None else shown, "tolerance": tolerance,
                     "status": status, "source": fact["source"]})
    return pd.DataFrame(rows).set_index("fact_id")


@dataclass(frozen=True)
class ReproductionSummary:
    """How many published figures the data reproduce."""

    n_checked: int
    n_reproduced: int
    n_differs: int
    n_context: int
    differing: str


def summarise_reproduction(table: pd.DataFrame) -> ReproductionSummary:
    """Counts of the verdicts in a reproduction table."""
    status = table["status"]
    differing = table.loc[status == "differs", "fact"]
    return ReproductionSummary(
        n_checked=int((status != "context only").sum()),
        n_reproduced=int((status == "reproduced").sum()),
        n_differs=int((status == "differs").sum()),
        n_context=int((status == "context only").sum()),
        differing="; ".join(differing) if len(differing) else "none",
    )


def reproduction_view(table: pd.DataFrame) -> pd.DataFrame:
    """The reproduction table for reading: one row per fact, verdict before source."""
    view = table.set_index("fact")[["published", "computed", "tolerance", "status", "source"]]
    view.index.name = "Published figure"
    return view.rename(columns=str.capitalize)
