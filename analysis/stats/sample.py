"""Sample characteristics: the interview sample (Table 1) and the included papers.

Counts follow the conventions of a paper's Table 1: n and % of participants for each
category (every declared category is listed, so a zero shows that nobody was sampled
there), and for a multi-response item (community services used) the % of participants
reporting each service, which need not sum to 100. The categories are those in force for
the package (its own vocabularies, else the contract's defaults), and the regions are
headed with the package's own word for a region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.contract.package import DataPackage
from analysis.contract.rules import multiple_response
from analysis.contract.study import Suspension

TABLE_COLUMNS = ["characteristic", "category", "n", "percent"]

# (column, heading) in the order of the published Table 1; the region's heading is the
# package's own word for a region (study.setting.region).
INTERVIEW_CHARACTERISTICS = [
    ("age_band", "Age (years)"),
    ("gender", "Gender"),
    ("sexuality", "Sexuality"),
    ("ethnicity", "Ethnicity"),
    ("region", None),
    ("pd_diagnosis", None),
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
    labels = list(categories.values())
    # An empty cell is a value the source did not report: its own row, never a category.
    missing = int(_not_reported(values).sum())
    if missing:
        n.append(missing)
        labels.append(NOT_REPORTED_LABEL)
    return pd.DataFrame({"characteristic": heading, "category": labels,
                         "n": n, "percent": _percent(n, total)})


NOT_REPORTED_LABEL = "Not reported"  # the row of the people a source does not place


def _not_reported(values: pd.Series) -> pd.Series:
    """Which values are not reported: empty cells (missing, or an empty string)."""
    missing = values.isna()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        missing |= values.astype("string").fillna("").str.strip().eq("")
    return missing.astype(bool)


def diagnosis_heading(package: DataPackage) -> str:
    """The heading of the diagnoses in the sample table: the package's condition
    ("'Personality disorder' diagnosis"), or "Diagnosis" when it declares none."""
    condition = package.study.condition
    if not condition:
        return "Diagnosis"
    # Capitalise the first letter, not a quotation mark before it.
    first = next((i for i, c in enumerate(condition) if c.isalpha()), 0)
    capitalised = condition[:first] + condition[first:first + 1].upper() + condition[first + 1:]
    return f"{capitalised} diagnosis"


def region_heading(package: DataPackage) -> str:
    """The heading of the regions in the sample table: 'Health board', 'English region'."""
    word = package.study.setting.region or "region"
    return word[:1].upper() + word[1:]


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
        heading = heading or (diagnosis_heading(package) if column == "pd_diagnosis"
                              else region_heading(package))
        parts.append(frequency_rows(people[column], heading,
                                    package.categories("participants", column)))
        if column == "ethnicity":
            n = int(people["ethnic_minority"].sum())
            parts.append(pd.DataFrame({"characteristic": [heading],
                                       "category": ["Any minority ethnic background"],
                                       "n": [n], "percent": [_percent(n, total)]}))
    services = package["participant_services"]
    parts.insert(5, frequency_rows(services["service_type"],
                                   "Community services used (multi-response)",
                                   package.categories("participant_services", "service_type"),
                                   denominator=total))
    return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]


def period_labels(suspensions: tuple[Suspension, ...]) -> list[str]:
    """The fieldwork periods a list of suspensions cuts: 'Before the suspension', ...

    One period ('All interviews') without a suspension; with one, 'Before the
    suspension' and 'After the suspension'; with several, numbered in date order.
    """
    if not suspensions:
        return ["All interviews"]
    if len(suspensions) == 1:
        return ["Before the suspension", "After the suspension"]
    return ["Before suspension 1"] + [f"After suspension {i}"
                                      for i in range(1, len(suspensions) + 1)]


def fieldwork_period(dates: pd.Series, suspensions: tuple[Suspension, ...]) -> pd.Series:
    """The fieldwork period of each interview date: before, between or after suspensions.

    Parameters
    ----------
    dates : Series of datetime
    suspensions : tuple of Suspension
        As the package declares them (``package.study.suspensions``); validation has
        already refused an interview dated inside one.

    Returns
    -------
    Series of str
        Labels of :func:`period_labels`, in their order as categories.
    """
    labels = period_labels(suspensions)
    starts = sorted(pd.Timestamp(s.start) for s in suspensions)
    index = np.searchsorted(np.array(starts, dtype="datetime64[ns]"),
                            dates.to_numpy(dtype="datetime64[ns]"), side="right")
    # An interview whose date is not reported belongs to no period: its own category.
    undated = dates.isna().to_numpy()
    periods = [DATE_NOT_REPORTED if missing else labels[i] for i, missing in zip(index, undated)]
    categories = labels + ([DATE_NOT_REPORTED] if undated.any() else [])
    return pd.Series(pd.Categorical(periods, categories=categories), index=dates.index)


DATE_NOT_REPORTED = "Date not reported"


def mode_by_period(package: DataPackage) -> pd.DataFrame:
    """Interviews by mode (rows) and fieldwork period (columns), with totals.

    Without a declared suspension there is one period: a single column of interviews.
    """
    people = package["participants"]
    labels = package.categories("participants", "interview_mode")
    modes = people["interview_mode"].map(labels)
    if modes.isna().any():  # a mode not reported is counted, as such
        labels = {**labels, NOT_REPORTED_LABEL: NOT_REPORTED_LABEL}
        modes = modes.astype(object).where(modes.notna(), NOT_REPORTED_LABEL)
    if not package.study.suspensions:
        counts = modes.value_counts()
        order = [label for label in labels.values() if label in counts.index]
        table = pd.DataFrame({"Interviews": counts.reindex(order).astype(int)})
        table.loc["Total"] = int(counts.sum())
    else:
        period = fieldwork_period(people["interview_date"], package.study.suspensions)
        table = pd.crosstab(modes, period, margins=True, margins_name="Total",
                            dropna=False)
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
    # (label, participants) in the package's categories and order, zeros left out
    by_gender: tuple[tuple[str, int], ...]
    by_interviewer_role: tuple[tuple[str, int], ...]
    # interviews in each fieldwork period (see period_labels), one period per suspension
    # plus one; a single period without a suspension
    by_period: tuple[tuple[str, int], ...]
    # (column, participants) for each column of participants the source did not report
    # for some (empty cells of an optional column), in the table's order
    not_reported: tuple[tuple[str, int], ...] = ()


def summarise_interview_sample(package: DataPackage) -> InterviewSample:
    """Headline figures of the interview sample, for the prose and the tests."""
    people = package["participants"]
    # Lengths and dates the source did not report are left out of their figures (and
    # counted in ``not_reported``); NaN where none is reported.
    duration = people["duration_min"].dropna().astype(float)
    dates = people["interview_date"].dropna()
    period = fieldwork_period(people["interview_date"], package.study.suspensions)
    regions = package.categories("participants", "region")
    sampled = set(people["region"].unique())
    missing = [label for code, label in regions.items() if code not in sampled]
    role = people["interviewer_role"].value_counts()
    return InterviewSample(
        n_participants=len(people),
        n_men=int((people["gender"] == "male").sum()),
        n_women=int((people["gender"] == "female").sum()),
        n_minority_ethnic=int(people["ethnic_minority"].sum()),
        pct_minority_ethnic=float(_percent(people["ethnic_minority"].sum(), len(people))),
        n_lived_experience_interviews=int(role.get("lived_experience_researcher", 0)),
        n_health_researcher_interviews=int(role.get("health_researcher", 0)),
        n_with_pd_diagnosis=int((~_not_reported(people["pd_diagnosis"])
                                 & (people["pd_diagnosis"] != "none")).sum()),
        n_regions=int(people["region"].nunique()),
        regions_not_sampled=", ".join(missing) if missing else "none",
        duration_median=float(duration.median()),
        duration_q1=float(duration.quantile(0.25)),
        duration_q3=float(duration.quantile(0.75)),
        duration_min=int(duration.min()) if len(duration) else 0,
        duration_max=int(duration.max()) if len(duration) else 0,
        first_interview=f"{dates.min():%B %Y}" if len(dates) else "",
        last_interview=f"{dates.max():%B %Y}" if len(dates) else "",
        by_gender=_counts(people["gender"], package.categories("participants", "gender")),
        by_interviewer_role=_counts(people["interviewer_role"],
                                    package.categories("participants", "interviewer_role")),
        by_period=tuple((str(label), int(n)) for label, n in
                        period.value_counts(sort=False).items()),
        not_reported=tuple((column, int(n)) for column in people.columns
                           if (n := _not_reported(people[column]).sum())),
    )


def _counts(values: pd.Series, categories: dict[str, str]) -> tuple[tuple[str, int], ...]:
    """(label, n) per category in declared order, categories nobody is in left out."""
    counts = values.value_counts()
    return tuple((label, int(counts[code])) for code, label in categories.items()
                 if counts.get(code, 0))


# ------------------------------------------------- a sample known from its published summary

NOT_REPORTED_CATEGORY = "not reported"  # the category a summary gives the people it does not place


def summary_rows(package: DataPackage) -> pd.DataFrame:
    """The rows of ``sample_summary`` in the published table's order.

    The ``order`` column gives the published position; where it is left out, or empty
    in any row, the rows keep the order of the file (a partial order cannot place the
    rest).
    """
    rows = package["sample_summary"].reset_index(drop=True)
    if "order" in rows and rows["order"].notna().all():
        rows = rows.sort_values("order", kind="stable").reset_index(drop=True)
    return rows


def summary_sample_size(package: DataPackage) -> int | None:
    """The number of people a published summary describes: what the categories of a
    characteristic add up to (validation has checked that every single-response
    characteristic adds up to the same), or None when every characteristic is
    multi-response (``multipleResponse``: a person may count more than once)."""
    rows = summary_rows(package)
    single = rows[~rows["characteristic"].isin(multiple_response(package))]
    if single.empty:
        return None
    return int(single.groupby("characteristic", sort=False)["n"].sum().max())


def summary_sample_table(package: DataPackage) -> pd.DataFrame:
    """The sample in the layout of a paper's Table 1, from its published counts.

    Returns
    -------
    DataFrame
        Columns ``characteristic``, ``category``, ``n`` and, when the size of the sample
        is known (:func:`summary_sample_size`), ``percent`` of it; rows in the
        published order. A multi-response characteristic's percentages are of the
        people, so need not add up to 100.
    """
    rows = summary_rows(package)
    table = pd.DataFrame({"characteristic": rows["characteristic"].astype(str),
                          "category": rows["category"].astype(str),
                          "n": rows["n"].astype(int)})
    total = summary_sample_size(package)
    if total is None:
        return table
    table["percent"] = _percent(table["n"], total)
    return table[TABLE_COLUMNS]


@dataclass(frozen=True)
class SampleSummary:
    """Headline figures of a sample known only from its published summary.

    Attributes
    ----------
    n_participants : int or None
        The size of the sample (:func:`summary_sample_size`); None when the summary
        does not give it.
    n_characteristics : int
        Characteristics the summary reports.
    characteristics : tuple of str
        Their names, in the published order.
    multiple_response : tuple of str
        Those whose categories may add up to more than the sample.
    largest : tuple of (str, str, int)
        Per characteristic, its largest category and count (the first of a tie in the
        published order), categories "Not reported" left aside.
    not_reported : tuple of (str, int)
        Per characteristic with a "Not reported" category, the people it does not place.
    """

    n_participants: int | None
    n_characteristics: int
    characteristics: tuple[str, ...]
    multiple_response: tuple[str, ...]
    largest: tuple[tuple[str, str, int], ...]
    not_reported: tuple[tuple[str, int], ...]


def summarise_sample_summary(package: DataPackage) -> SampleSummary:
    """Headline figures of a sample known from its published summary (``sample_summary``)."""
    rows = summary_rows(package)
    several = multiple_response(package)
    names = tuple(dict.fromkeys(rows["characteristic"].astype(str)))
    unplaced = rows["category"].astype(str).str.strip().str.lower() == NOT_REPORTED_CATEGORY
    largest, not_reported = [], []
    for name in names:
        mine = rows["characteristic"].astype(str) == name
        placed = rows[mine & ~unplaced]
        if len(placed):
            top = placed.loc[placed["n"].astype(int).idxmax()]
            largest.append((name, str(top["category"]), int(top["n"])))
        missing = int(rows.loc[mine & unplaced, "n"].sum())
        if missing:
            not_reported.append((name, missing))
    return SampleSummary(
        n_participants=summary_sample_size(package),
        n_characteristics=len(names),
        characteristics=names,
        multiple_response=tuple(n for n in names if n in several),
        largest=tuple(largest),
        not_reported=tuple(not_reported),
    )


def summarise_sample(package: DataPackage) -> InterviewSample | SampleSummary:
    """The headline figures of the interview sample from what the package gives: each
    participant's row (:func:`summarise_interview_sample`) or the published summary
    (:func:`summarise_sample_summary`)."""
    if package.has("participants"):
        return summarise_interview_sample(package)
    return summarise_sample_summary(package)


def sample_table(package: DataPackage) -> pd.DataFrame:
    """Table 1 of the interview sample from what the package gives: each participant's
    row (:func:`interview_sample_table`) or the published summary
    (:func:`summary_sample_table`)."""
    if package.has("participants"):
        return interview_sample_table(package)
    return summary_sample_table(package)


def year_period_labels(breaks: list[int], last_year: int) -> list[str]:
    """Labels such as '2003-2009' for consecutive periods starting at each break."""
    ends = [b - 1 for b in breaks[1:]] + [last_year]
    return [f"{start}-{end}" if end > start else f"{start}" for start, end in zip(breaks, ends)]


def period_starts(years: pd.Series, breaks: list[int]) -> list[int]:
    """The first year of each period: the declared breaks, with the earliest paper's
    year put in front when a paper was published before the first break.

    The breaks are a page parameter written for one review's years; another review's
    older papers get a period of their own ("1990-2002") instead of stopping the page.
    """
    starts = sorted(int(b) for b in breaks)
    reported = years.dropna()
    if len(reported) and int(reported.min()) < starts[0]:
        starts.insert(0, int(reported.min()))
    return starts


def year_periods(years: pd.Series, breaks: list[int]) -> pd.Series:
    """Assign each publication year to the period that starts at the last break before it.

    Parameters
    ----------
    years : Series of int
        Years not reported (empty) stay empty.
    breaks : list of int
        First year of each period, increasing; years before the first break make a
        period of their own, from the earliest year (:func:`period_starts`).
    """
    starts = period_starts(years, breaks)
    reported = years.dropna()
    last = max(int(reported.max()), starts[-1]) if len(reported) else starts[-1]
    labels = year_period_labels(starts, last)
    index = np.searchsorted(starts, reported.to_numpy(dtype=float), side="right") - 1
    periods = pd.Series(pd.Categorical([None] * len(years), categories=labels),
                        index=years.index)
    periods.loc[reported.index] = [labels[i] for i in index]
    return periods


def _with_not_reported(rows: pd.DataFrame, values: pd.Series, heading: str) -> pd.DataFrame:
    """A characteristic's rows, and a "Not reported" row when some papers leave it empty
    (percent of all papers, like the others); only that row when no paper reports it,
    since a list of categories no paper could be counted in says nothing."""
    missing = int(_not_reported(values).sum())
    if not missing:
        return rows
    if missing == len(values):
        rows = rows.iloc[0:0]
    extra = pd.DataFrame({"characteristic": [heading], "category": [NOT_REPORTED_LABEL],
                          "n": [missing], "percent": [_percent(missing, len(values))]})
    return pd.concat([rows, extra], ignore_index=True)


def included_papers_table(package: DataPackage, breaks: list[int]) -> pd.DataFrame:
    """Characteristics of the included papers: n and % of papers per category, with a
    "Not reported" row under a characteristic some papers do not report.

    Percentages are of all papers, so that a characteristic's rows add up to 100.
    """
    papers = package["studies"]
    total = len(papers)
    latest = _latest_year(package)
    if latest is not None and max(breaks) > latest:
        raise ValueError(f"year_periods: a period starts in {max(breaks)}, after the latest "
                         f"year a paper can have ({latest}, the maximum of studies.year); "
                         f"write first years of periods up to {latest}")
    periods = year_periods(papers["year"], breaks)
    parts = [_with_not_reported(
        frequency_rows(periods.dropna().astype(str), "Year of publication",
                       {c: c for c in periods.cat.categories}, denominator=total),
        papers["year"], "Year of publication")]
    for column, heading in PAPER_CHARACTERISTICS:
        if column not in papers:
            continue
        declared = None if column == "country" else package.categories("studies", column)
        reported = papers[column][~_not_reported(papers[column])]
        parts.append(_with_not_reported(
            frequency_rows(reported, heading, declared, denominator=total),
            papers[column], heading))
    per_study = papers.groupby("study_group").size()
    parts.append(frequency_rows(per_study.map(lambda k: f"{k} paper{'s' if k > 1 else ''}"),
                                "Papers per distinct study (% of studies)"))
    table = pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]
    # A characteristic without a category (nothing reported) must not turn counts into
    # floats ("22.0") when the parts are put together.
    return table.astype({"n": int})


def _latest_year(package: DataPackage) -> int | None:
    """The largest year ``studies.year`` allows for this package (its own maximum, else
    the contract's), None when none is declared."""
    field = next((f for f in package.fields("studies") if f["name"] == "year"), {})
    latest = (field.get("constraints") or {}).get("maximum")
    return int(latest) if isinstance(latest, (int, float)) else None


@dataclass(frozen=True)
class IncludedPapers:
    """Headline figures of the papers included in the meta-synthesis.

    Figures of a column the sources did not report for any paper are None; the
    ``*_not_reported`` counts say for how many papers each is missing, and the others
    are computed from the papers that report it.
    """

    n_papers: int
    n_distinct_studies: int
    n_multi_paper_studies: int
    year_first: int | None
    year_last: int | None
    n_countries: int
    top_countries: tuple[str, ...]  # the countries most papers came from (several on a tie)
    n_top_country: int  # papers from each of them
    n_participants_total: int | None
    n_participants_median: float | None
    n_participants_min: int | None
    n_participants_max: int | None
    n_year_not_reported: int = 0
    n_country_not_reported: int = 0
    n_participants_not_reported: int = 0


def summarise_included_papers(package: DataPackage) -> IncludedPapers:
    """Headline figures of the included papers, for the prose and the tests, each
    computed from the papers that report it."""
    papers = package["studies"]
    per_study = papers.groupby("study_group").size()
    heard = pd.to_numeric(papers["n_participants"], errors="coerce").dropna() \
        if "n_participants" in papers else pd.Series(dtype=float)
    years = pd.to_numeric(papers["year"], errors="coerce").dropna() \
        if "year" in papers else pd.Series(dtype=float)
    country = papers["country"] if "country" in papers else pd.Series([""] * len(papers))
    countries = country[~_not_reported(country)].value_counts()
    top = tuple(sorted(str(c) for c in countries.index[countries == countries.max()]))
    some_heard, some_years = bool(len(heard)), bool(len(years))
    return IncludedPapers(
        n_papers=len(papers),
        n_distinct_studies=int(papers["study_group"].nunique()),
        n_multi_paper_studies=int((per_study > 1).sum()),
        year_first=int(years.min()) if some_years else None,
        year_last=int(years.max()) if some_years else None,
        n_countries=int(len(countries)),
        top_countries=top,
        n_top_country=int(countries.max()) if len(countries) else 0,
        n_participants_total=int(heard.sum()) if some_heard else None,
        n_participants_median=float(heard.median()) if some_heard else None,
        n_participants_min=int(heard.min()) if some_heard else None,
        n_participants_max=int(heard.max()) if some_heard else None,
        n_year_not_reported=len(papers) - len(years),
        n_country_not_reported=int(len(papers) - countries.sum()),
        n_participants_not_reported=len(papers) - len(heard),
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
