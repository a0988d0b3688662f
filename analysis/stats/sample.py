"""Sample characteristics: the interview sample (Table 1) and the included papers.

Counts follow the conventions of a paper's Table 1: n and % of participants for each
category (every declared category is listed, so a zero shows that nobody was sampled
there), and for a multi-response item (community services used) the % of participants
reporting each service, which need not sum to 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.contract.package import DataPackage, category_labels

TABLE_COLUMNS = ["characteristic", "category", "n", "percent"]

INTERVIEW_CHARACTERISTICS = [  # (column, heading) in the order of the published Table 1
    ("age_band", "Age (years)"),
    ("gender", "Gender"),
    ("sexuality", "Sexuality"),
    ("ethnicity", "Ethnicity"),
    ("region", "Region of England"),
    ("pd_diagnosis", "'Personality disorder' diagnosis"),
    ("interviewer_role", "Interviewer"),
    ("interview_mode", "Interview mode"),
]
PAPER_CHARACTERISTICS = [
    ("country", "Country"),
    ("setting", "Setting"),
    ("data_collection", "Data collection"),
    ("analysis_approach", "Analysis approach"),
]


def _percent(n, total: int) -> float | np.ndarray:
    return np.round(100 * np.asarray(n, dtype=float) / total, 1) if total else np.nan


def frequency_rows(values: pd.Series, heading: str, categories: dict[str, str] | None = None,
                   denominator: int | None = None) -> pd.DataFrame:
    """n and % per category of one characteristic.

    Parameters
    ----------
    values : Series
        One value per person (or per response, for a multi-response item).
    heading : str
        Name of the characteristic, as in the table.
    categories : dict, optional
        Declared categories in order, mapped to labels; every one is listed (zeros
        included). Without it, the observed values are listed, most frequent first.
    denominator : int, optional
        Number of people the percentages refer to; the number of values by default.
        For a multi-response item pass the number of participants.
    """
    counts = values.value_counts()
    if categories is None:
        categories = {value: str(value) for value in counts.index}
    total = len(values) if denominator is None else denominator
    n = [int(counts.get(value, 0)) for value in categories]
    return pd.DataFrame({"characteristic": heading, "category": list(categories.values()),
                         "n": n, "percent": _percent(n, total)})


def interview_sample_table(package: DataPackage) -> pd.DataFrame:
    """The interview sample in the layout of a paper's Table 1.

    Returns
    -------
    DataFrame
        Columns ``characteristic``, ``category``, ``n``, ``percent``; the minority
        ethnic total follows the ethnic groups, and community service use is a
        multi-response item (% of participants).
    """
    people = package["participants"]
    total = len(people)
    parts = []
    for column, heading in INTERVIEW_CHARACTERISTICS:
        parts.append(frequency_rows(people[column], heading,
                                    category_labels("participants", column)))
        if column == "ethnicity":
            n = int(people["ethnic_minority"].sum())
            parts.append(pd.DataFrame({"characteristic": [heading],
                                       "category": ["Any minority ethnic background"],
                                       "n": [n], "percent": [_percent(n, total)]}))
    services = package["participant_services"]
    parts.insert(5, frequency_rows(services["service_type"],
                                   "Community services used (multi-response)",
                                   category_labels("participant_services", "service_type"),
                                   denominator=total))
    return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]


def pandemic_period(dates: pd.Series, fieldwork: dict[str, str]) -> pd.Series:
    """'Before the pandemic' or 'During the pandemic' for each interview date.

    The pandemic period starts at the suspension declared in the data package; with no
    suspension declared every interview is 'Before the pandemic'.
    """
    start = fieldwork.get("suspension_start")
    if not start:
        return pd.Series("Before the pandemic", index=dates.index)
    return pd.Series(np.where(dates >= pd.Timestamp(start), "During the pandemic",
                              "Before the pandemic"), index=dates.index)


def mode_by_period(package: DataPackage) -> pd.DataFrame:
    """Interviews by mode (rows) and period (columns), with totals."""
    people = package["participants"]
    period = pandemic_period(people["interview_date"], package.fieldwork)
    labels = category_labels("participants", "interview_mode")
    table = pd.crosstab(people["interview_mode"].map(labels), period, margins=True,
                        margins_name="Total")
    order = [label for label in labels.values() if label in table.index] + ["Total"]
    table = table.loc[order]
    table.index.name = "Interview mode"
    table.columns.name = None
    return table


@dataclass(frozen=True)
class InterviewSample:
    """Headline figures of the interview sample (all computed from the data)."""

    n_participants: int
    n_men: int
    n_women: int
    n_minority_ethnic: int
    pct_minority_ethnic: float
    n_lived_experience_interviews: int
    n_health_researcher_interviews: int
    n_with_pd_diagnosis: int
    n_regions: int
    regions_not_sampled: str
    duration_median: float
    duration_q1: float
    duration_q3: float
    duration_min: int
    duration_max: int
    first_interview: str
    last_interview: str
    n_before_pandemic: int
    n_during_pandemic: int


def summarise_interview_sample(package: DataPackage) -> InterviewSample:
    """Headline figures of the interview sample, for the prose and the tests."""
    people = package["participants"]
    duration = people["duration_min"]
    period = pandemic_period(people["interview_date"], package.fieldwork)
    regions = category_labels("participants", "region")
    sampled = set(people["region"].unique())
    missing = [r for r in regions if r not in sampled]
    role = people["interviewer_role"].value_counts()
    return InterviewSample(
        n_participants=len(people),
        n_men=int((people["gender"] == "male").sum()),
        n_women=int((people["gender"] == "female").sum()),
        n_minority_ethnic=int(people["ethnic_minority"].sum()),
        pct_minority_ethnic=float(_percent(people["ethnic_minority"].sum(), len(people))),
        n_lived_experience_interviews=int(role.get("lived_experience_researcher", 0)),
        n_health_researcher_interviews=int(role.get("health_researcher", 0)),
        n_with_pd_diagnosis=int((people["pd_diagnosis"] != "none").sum()),
        n_regions=int(people["region"].nunique()),
        regions_not_sampled=", ".join(missing) if missing else "none",
        duration_median=float(duration.median()),
        duration_q1=float(duration.quantile(0.25)),
        duration_q3=float(duration.quantile(0.75)),
        duration_min=int(duration.min()),
        duration_max=int(duration.max()),
        first_interview=f"{people['interview_date'].min():%B %Y}",
        last_interview=f"{people['interview_date'].max():%B %Y}",
        n_before_pandemic=int((period == "Before the pandemic").sum()),
        n_during_pandemic=int((period == "During the pandemic").sum()),
    )


def year_period_labels(breaks: list[int], last_year: int) -> list[str]:
    """Labels such as '2003-2009' for consecutive periods starting at each break."""
    ends = [b - 1 for b in breaks[1:]] + [last_year]
    return [f"{start}-{end}" if end > start else f"{start}" for start, end in zip(breaks, ends)]


def year_periods(years: pd.Series, breaks: list[int]) -> pd.Series:
    """Assign each publication year to the period that starts at the last break before it.

    Parameters
    ----------
    years : Series of int
    breaks : list of int
        First year of each period, increasing; years before the first break are an error.
    """
    breaks = sorted(int(b) for b in breaks)
    if (years < breaks[0]).any():
        raise ValueError(f"a paper was published in {int(years.min())}, before the first "
                         f"period starts ({breaks[0]}); start year_periods earlier")
    labels = year_period_labels(breaks, max(int(years.max()), breaks[-1]))
    index = np.searchsorted(breaks, years.to_numpy(), side="right") - 1
    return pd.Series(pd.Categorical([labels[i] for i in index], categories=labels),
                     index=years.index)


def included_papers_table(package: DataPackage, breaks: list[int]) -> pd.DataFrame:
    """Characteristics of the included papers: n and % of papers per category."""
    papers = package["studies"]
    periods = year_periods(papers["year"], breaks)
    parts = [frequency_rows(periods.astype(str), "Year of publication",
                            {c: c for c in periods.cat.categories})]
    for column, heading in PAPER_CHARACTERISTICS:
        declared = None if column == "country" else category_labels("studies", column)
        parts.append(frequency_rows(papers[column], heading, declared))
    per_study = papers.groupby("study_group").size()
    parts.append(frequency_rows(per_study.map(lambda k: f"{k} paper{'s' if k > 1 else ''}"),
                                "Papers per distinct study (% of studies)"))
    return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]


@dataclass(frozen=True)
class IncludedPapers:
    """Headline figures of the papers included in the meta-synthesis."""

    n_papers: int
    n_distinct_studies: int
    n_multi_paper_studies: int
    year_first: int
    year_last: int
    n_countries: int
    n_uk: int
    n_clinicians_total: int
    n_clinicians_median: float
    n_clinicians_min: int
    n_clinicians_max: int


def summarise_included_papers(package: DataPackage) -> IncludedPapers:
    """Headline figures of the included papers, for the prose and the tests."""
    papers = package["studies"]
    per_study = papers.groupby("study_group").size()
    clinicians = papers["n_clinicians"]
    return IncludedPapers(
        n_papers=len(papers),
        n_distinct_studies=int(papers["study_group"].nunique()),
        n_multi_paper_studies=int((per_study > 1).sum()),
        year_first=int(papers["year"].min()),
        year_last=int(papers["year"].max()),
        n_countries=int(papers["country"].nunique()),
        n_uk=int((papers["country"] == "UK").sum()),
        n_clinicians_total=int(clinicians.sum()),
        n_clinicians_median=float(clinicians.median()),
        n_clinicians_min=int(clinicians.min()),
        n_clinicians_max=int(clinicians.max()),
    )


QUASI_IDENTIFIERS = ("age_band", "gender", "ethnicity", "region")


@dataclass(frozen=True)
class Reidentification:
    """How many participants could be singled out by a combination of their attributes."""

    n_participants: int
    n_unique: int  # participants alone in their combination
    pct_unique: float
    n_combinations: int  # distinct combinations in the sample
    smallest_group: int  # size of the smallest group sharing a combination
    attributes: str  # the attributes combined, in words


def reidentification_risk(participants: pd.DataFrame,
                          keys: tuple[str, ...] = QUASI_IDENTIFIERS) -> Reidentification:
    """Count participants unique on a combination of quasi-identifiers.

    A participant who is the only one with their combination of age band, gender,
    ethnicity and region can be recognised by anyone who knows those four facts about
    them; a table that crosses those attributes would point to that person. This is the
    sample-uniqueness count of k-anonymity (k = 1), reported to reviewers rather than
    used to alter the data.

    Parameters
    ----------
    participants : DataFrame
        The participants table.
    keys : tuple of str
        The attributes combined.

    Returns
    -------
    Reidentification

    References
    ----------
    Sweeney, L. (2002). k-anonymity: a model for protecting privacy. *International
    Journal of Uncertainty, Fuzziness and Knowledge-Based Systems*, 10(5), 557-570.
    """
    n = len(participants)
    sizes = participants.groupby(list(keys), observed=True).size() if n else pd.Series(dtype=int)
    unique = int((sizes == 1).sum())
    words = [k.replace("_", " ") for k in keys]
    return Reidentification(
        n_participants=n, n_unique=unique,
        pct_unique=float(_percent(unique, n)) if n else 0.0,
        n_combinations=int(len(sizes)), smallest_group=int(sizes.min()) if len(sizes) else 0,
        attributes=", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0])
