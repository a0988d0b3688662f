"""Theme frequencies: how well each theme of a synthesis is grounded in its sources.

A thematic synthesis (Thomas and Harden 2008) is judged partly by the *adequacy* of the
data behind each finding (one of the four GRADE-CERQual components): how many papers,
and how many distinct studies, contribute to it, and whether that support rests on a few
weak papers. This module counts that support from the coding tables of the data
contract:

* ``study_codes`` (paper x sub-theme of the meta-synthesis) gives the paper x theme
  matrix, a frequency table per theme and sub-theme (papers n and %, Wilson interval,
  distinct studies, excerpts), its breakdown by setting, country and quality band, the
  theme co-occurrence matrix and the sensitivity of every count to leaving out papers
  of a given quality band;
* ``participant_codes`` (participant x initial code of the interview study) gives the
  participant x sub-theme matrix of Relational Practice and its breakdown by participant
  characteristics, with small cells suppressed.

A count says how widely a theme recurs across sources, not how important or true it is
(Sandelowski 2001; Maxwell 2010); the book's method section explains how to read these
tables. Papers of one study are not independent, so the Wilson intervals (computed over
papers) are descriptive and the distinct-study count is given beside them.

References
----------
Thomas J, Harden A. Methods for the thematic synthesis of qualitative research in
systematic reviews. BMC Med Res Methodol 2008;8:45.
Lewin S, Booth A, Glenton C, et al. Applying GRADE-CERQual to qualitative evidence
synthesis findings. Implement Sci 2018;13(Suppl 1):2.
Wilson EB. Probable inference, the law of succession, and statistical inference.
J Am Stat Assoc 1927;22(158):209-212.
Sandelowski M. Real qualitative researchers do not count: the use of numbers in
qualitative research. Res Nurs Health 2001;24(3):230-240.
Maxwell JA. Using numbers in qualitative research. Qual Inq 2010;16(6):475-482.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from analysis.stats import quality
from analysis.contract.package import DataPackage, category_labels

META_SYNTHESIS = "meta_synthesis"
INTERVIEW_STUDY = "interview_study"

BANDS = ["high", "moderate", "low"]
BAND_LABELS = {"high": "High", "moderate": "Moderate", "low": "Low"}
THEME_LEVEL = "Any sub-theme"  # label of the row that counts a whole theme

# Participant characteristics of the interview breakdown: (key, heading).
PARTICIPANT_CHARACTERISTICS = [
    ("gender", "Gender"),
    ("ethnic_minority", "Minority ethnic background"),
    ("service_type", "Community services used (multi-response)"),
    ("interviewer_role", "Interviewer"),
]


# ------------------------------------------------------------------ quality bands


def paper_bands(package: DataPackage, rule: str | dict = "default") -> pd.DataFrame:
    """Quality band of each included paper, as the Quality bands chapter assigns it.

    The bands come from the agreed answers, which a package labels as it likes
    (``study.appraisal.agreed_label``, 'consensus' when it declares none).

    Parameters
    ----------
    package : DataPackage
    rule : str or dict
        A banding rule of :mod:`analysis.stats.quality` (a declared name such as
        ``"default"`` or ``"strict"``, or the limits as a mapping).

    Returns
    -------
    DataFrame
        ``study_id`` and ``band``.
    """
    # quality.paper_bands reads the reviewer 'consensus' only; the same two steps with
    # the package's own label.
    agreed = quality.answers_wide(package["casp_ratings"], package.study.agreed_label)
    tool = quality.package_tool(package)  # JBI's Unclear counts as CASP's Can't tell
    bands = quality.assign_bands(agreed, quality.BandingRule.from_parameter(
        rule, tool.question_labels(), tool.banding_answers()))
    return bands["band"].rename_axis("study_id").reset_index()


# ------------------------------------------------------------ the support matrices


@dataclass(frozen=True)
class ThemeSupport:
    """Which sources support which sub-themes of one review.

    Attributes
    ----------
    units : DataFrame
        One row per source (paper or participant), indexed by its id, in display
        order. Column ``group`` is the independent unit the source belongs to (the
        study of a paper; a participant is their own group); the other columns are the
        characteristics that tables are broken down by.
    framework : DataFrame
        The review's sub-themes in framework order (``theme_id``, ``theme``,
        ``subtheme_id``, ``subtheme``).
    excerpts : DataFrame
        Sources x ``subtheme_id``: excerpts coded (0 means no support). Every source
        and every sub-theme has its row and column, supported or not.
    excluded_bands : tuple of str
        Quality bands left out (papers only).
    categories : dict
        For a characteristic of ``units`` (such as ``setting``), its categories in
        display order mapped to their labels: the vocabulary of the package.
    excerpts_not_reported : int
        Codes (rows of the codes table) whose number of excerpts the review does not
        report. When any is, ``excerpts`` records support only (1 per code: a count of
        excerpts would be invented) and the tables leave the excerpts out.

    A framework row whose ``subtheme_id`` is its ``theme_id`` stands for the theme
    itself (a review that reports support at theme level): its theme has no sub-theme
    row of its own in the tables.
    """

    units: pd.DataFrame
    framework: pd.DataFrame
    excerpts: pd.DataFrame
    excluded_bands: tuple[str, ...] = ()
    categories: dict[str, dict[str, str]] = field(default_factory=dict)
    excerpts_not_reported: int = 0

    @property
    def excerpts_reported(self) -> bool:
        """Whether every code gives its number of excerpts."""
        return self.excerpts_not_reported == 0

    @classmethod
    def from_tables(cls, studies: pd.DataFrame, study_codes: pd.DataFrame,
                    framework: pd.DataFrame, bands: pd.DataFrame | None = None,
                    countries: list[str] | tuple[str, ...] = ("UK",),
                    settings: dict[str, str] | None = None) -> ThemeSupport:
        """Paper x sub-theme support of the meta-synthesis from its tables.

        Parameters
        ----------
        studies, study_codes, framework : DataFrame
            Tables of the data contract.
        bands : DataFrame, optional
            ``study_id`` and ``band`` per paper (see :func:`paper_bands`); papers
            without one are 'not rated'.
        countries : list of str
            Countries grouped together against all others in ``country_group``.
        settings : dict, optional
            The settings in display order, mapped to their labels (the package's
            vocabulary; the contract's defaults when not given).
        """
        sub = _review_framework(framework, META_SYNTHESIS)
        units = studies.set_index("study_id")[["study_group", "setting", "country"]].copy()
        units.index = units.index.astype(str)
        units = units.rename(columns={"study_group": "group"})
        units["country_group"] = country_groups(units["country"], countries)
        band = {} if bands is None else dict(zip(bands["study_id"], bands["band"]))
        units["band"] = [band.get(s, "not rated") for s in units.index]
        categories = {"setting": dict(settings)} if settings is not None else {}
        return cls(units, sub, _excerpt_matrix(study_codes, "study_id", units.index, sub),
                   categories=categories,
                   excerpts_not_reported=_excerpts_not_reported(study_codes, sub))

    @classmethod
    def from_package(cls, package: DataPackage, rule: str = "default",
                     countries: list[str] | tuple[str, ...] = ("UK",)) -> ThemeSupport:
        """Paper x sub-theme support of the meta-synthesis in a data package."""
        return cls.from_tables(package["studies"], package["study_codes"],
                               package["framework"], paper_bands(package, rule), countries,
                               package.categories("studies", "setting"))

    def without_bands(self, bands: list[str] | tuple[str, ...]) -> ThemeSupport:
        """The same support with the papers of some quality bands left out."""
        unknown = sorted(set(bands) - set(BANDS))
        if unknown:
            raise ValueError(f"unknown quality band(s) {', '.join(unknown)}; "
                             f"bands are: {', '.join(BANDS)}")
        keep = ~self.units["band"].isin(list(bands))
        return replace(self, units=self.units[keep], excerpts=self.excerpts[keep.to_numpy()],
                       excluded_bands=tuple(b for b in BANDS if b in bands))

    def themes(self) -> pd.DataFrame:
        """Theme ids and names in framework order."""
        return self.framework.drop_duplicates("theme_id")[["theme_id", "theme"]]

    def theme_excerpts(self) -> pd.DataFrame:
        """Sources x ``theme_id``: excerpts coded to any sub-theme of the theme."""
        by_theme = self.framework.set_index("subtheme_id")["theme_id"]
        summed = self.excerpts.T.groupby(by_theme.reindex(self.excerpts.columns).to_numpy(),
                                         sort=False).sum().T
        return summed.reindex(columns=self.themes()["theme_id"], fill_value=0)

    def at_theme_level(self, theme_ids: list[str] | None = None) -> ThemeSupport:
        """The same sources' support of whole themes: a theme-level framework (each
        row its theme's own, see :func:`theme_level`) whose matrix sums the excerpts of
        each theme's sub-themes (:meth:`theme_excerpts`), for ``theme_ids`` in framework
        order (every theme when not given). Without excerpts reported a cell is 1 when
        the source supports any sub-theme of the theme."""
        themes = self.themes()
        if theme_ids is not None:
            themes = themes[themes["theme_id"].isin(list(theme_ids))]
        matrix = self.theme_excerpts()[themes["theme_id"].to_list()]
        if not self.excerpts_reported:
            matrix = (matrix > 0).astype(int)
        framework = themes.assign(subtheme_id=themes["theme_id"], subtheme=themes["theme"])
        return replace(self, framework=framework.reset_index(drop=True), excerpts=matrix)

    def most_supported_themes(self, n: int) -> list[str]:
        """The ids of the ``n`` themes the most sources support (ties in framework
        order), in framework order."""
        papers = (self.theme_excerpts() > 0).sum()
        top = set(papers.sort_values(ascending=False, kind="stable").index[:n])
        return [theme_id for theme_id in papers.index if theme_id in top]


def country_groups(country: pd.Series, countries: list[str] | tuple[str, ...]) -> pd.Series:
    """'UK' (the named countries, joined) against 'Other countries' for each paper."""
    name = " / ".join(countries) if countries else "Named countries"
    return pd.Series(np.where(country.isin(list(countries)), name, "Other countries"),
                     index=country.index)


def _review_framework(framework: pd.DataFrame, review: str) -> pd.DataFrame:
    sub = framework[framework["review"] == review]
    return sub[["theme_id", "theme", "subtheme_id", "subtheme"]].reset_index(drop=True)


def _excerpts_not_reported(codes: pd.DataFrame, framework: pd.DataFrame) -> int:
    """Codes of the review's framework whose number of excerpts is not reported."""
    mine = codes[codes["subtheme_id"].isin(framework["subtheme_id"])]
    return int(mine["n_excerpts"].isna().sum())


def _excerpt_matrix(codes: pd.DataFrame, unit: str, units: pd.Index,
                    framework: pd.DataFrame) -> pd.DataFrame:
    """Units x sub-themes, excerpts summed; zeros where a unit does not support one.

    When any code does not report its excerpts, every code counts 1: the matrix then
    records support only (see ``ThemeSupport.excerpts_not_reported``).
    """
    codes = codes[codes["subtheme_id"].isin(framework["subtheme_id"])]
    if codes["n_excerpts"].isna().any():
        codes = codes.assign(n_excerpts=1)
    table = codes.pivot_table(index=unit, columns="subtheme_id", values="n_excerpts",
                              aggfunc="sum", fill_value=0)
    table = table.reindex(index=units, columns=framework["subtheme_id"], fill_value=0)
    table.index.name, table.columns.name = None, None
    return table.astype("int64")


# -------------------------------------------------------------- frequency tables


def subthemes(framework: pd.DataFrame) -> pd.DataFrame:
    """The rows of a framework that are sub-themes: not those that stand for their theme
    itself (``subtheme_id`` equal to ``theme_id``, a theme reported without sub-themes)."""
    return framework[framework["subtheme_id"] != framework["theme_id"]]


def theme_level(framework: pd.DataFrame) -> bool:
    """Whether a framework reports support at theme level only (no sub-theme at all)."""
    return len(framework) > 0 and subthemes(framework).empty


def _rows(framework: pd.DataFrame) -> pd.DataFrame:
    """One row per theme followed by its sub-themes: the layout of every table (a theme
    reported without sub-themes has its theme row only)."""
    if framework.empty:
        return pd.DataFrame()
    # Whole columns, not a loop over themes: a codebook may hold thousands of sub-themes.
    framework = framework.reset_index(drop=True)
    first = framework.drop_duplicates("theme_id")
    rank = pd.Series(np.arange(len(first)), index=first["theme_id"].to_numpy())
    name = pd.Series(first["theme"].to_numpy(), index=first["theme_id"].to_numpy())
    subs = subthemes(framework)
    theme_rows = pd.DataFrame({"level": "theme", "key": first["theme_id"].to_numpy(),
                               "theme_id": first["theme_id"].to_numpy(),
                               "theme": first["theme"].to_numpy(), "subtheme_id": "",
                               "subtheme": THEME_LEVEL, "rank": rank.to_numpy(), "at": -1})
    sub_rows = pd.DataFrame({"level": "sub-theme", "key": subs["subtheme_id"].to_numpy(),
                             "theme_id": subs["theme_id"].to_numpy(),
                             "theme": name.reindex(subs["theme_id"]).to_numpy(),
                             "subtheme_id": subs["subtheme_id"].to_numpy(),
                             "subtheme": subs["subtheme"].to_numpy(),
                             "rank": rank.reindex(subs["theme_id"]).to_numpy(),
                             "at": subs.index.to_numpy()})
    rows = pd.concat([theme_rows, sub_rows], ignore_index=True)
    rows = rows.sort_values(["rank", "at"], kind="stable").drop(columns=["rank", "at"])
    # Built again from records, so that every column has the types a table of plain
    # Python values gets (as before: what pages and CSV files show does not change).
    return pd.DataFrame(rows.to_dict("records"))


def _row_excerpts(support: ThemeSupport) -> pd.DataFrame:
    """Sources x table rows (themes and sub-themes), excerpts."""
    sub_ids = subthemes(support.framework)["subtheme_id"].tolist()
    wide = pd.concat([support.theme_excerpts(), support.excerpts[sub_ids]], axis=1)
    return wide[_rows(support.framework)["key"].tolist()]


def wilson_interval(count, nobs, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions, in percent; NaN where ``nobs`` is 0.

    References
    ----------
    Wilson EB (1927); Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial
    proportion. Stat Sci 2001;16(2):101-133.
    """
    count = np.asarray(count, dtype=float)
    nobs = np.broadcast_to(np.asarray(nobs, dtype=float), count.shape)
    low, high = np.full(count.shape, np.nan), np.full(count.shape, np.nan)
    ok = nobs > 0
    if ok.any():
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=1 - confidence, method="wilson")
        low[ok], high[ok] = 100 * np.asarray(lo), 100 * np.asarray(hi)
    return low, high


def _percent(n, total) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    return np.round(100 * n / total, 1) if total else np.full(n.shape, np.nan)


def _count_support(present: pd.DataFrame, groups: pd.Series, confidence: float) -> pd.DataFrame:
    """Sources, distinct groups and Wilson interval for each column of ``present``."""
    n_units, n_groups = len(present), groups.nunique()
    n = present.sum().to_numpy()
    distinct = (present.groupby(groups.to_numpy()).any().sum().to_numpy() if n_units
                else np.zeros(present.shape[1], dtype=int))
    low, high = wilson_interval(n, n_units, confidence)
    group_low, group_high = wilson_interval(distinct, n_groups, confidence)
    return pd.DataFrame({"n": n.astype(int), "pct": _percent(n, n_units),
                         "ci_low": np.round(low, 1), "ci_high": np.round(high, 1),
                         "n_groups": distinct.astype(int),
                         "pct_groups": _percent(distinct, n_groups),
                         "groups_ci_low": np.round(group_low, 1),
                         "groups_ci_high": np.round(group_high, 1)})


def frequency_table(support: ThemeSupport, confidence: float = 0.95) -> pd.DataFrame:
    """Support for every theme and sub-theme: papers n and %, Wilson interval, studies.

    A paper supports a theme when it supports any of its sub-themes. Themes and
    sub-themes that no paper supports are listed with zeros.

    Parameters
    ----------
    support : ThemeSupport
    confidence : float
        Confidence level of the Wilson interval of the % of papers.

    Returns
    -------
    DataFrame
        One row per theme followed by its sub-themes: ``level``, ``theme_id``,
        ``theme``, ``subtheme_id``, ``subtheme``, ``n_papers``, ``pct_papers``,
        ``ci_low``, ``ci_high`` (percent), ``n_studies``, ``pct_studies``,
        ``studies_ci_low``, ``studies_ci_high`` (percent), ``n_excerpts``.

    Notes
    -----
    Papers of one study (one ``study_group``) are not independent observations, so the
    Wilson interval of the % of papers is too narrow whenever studies have several
    papers. The % of *studies* (a study supports a theme when any of its papers does)
    has independent units, and its Wilson interval is the one that respects the
    design; both are reported.
    """
    rows = _rows(support.framework)
    excerpts = _row_excerpts(support)
    counts = _count_support(excerpts > 0, support.units["group"], confidence)
    counts.columns = ["n_papers", "pct_papers", "ci_low", "ci_high", "n_studies", "pct_studies",
                      "studies_ci_low", "studies_ci_high"]
    table = pd.concat([rows.drop(columns="key"), counts], axis=1)
    # Excerpts the review does not report are not counted as one each (NaN: the page
    # leaves the column out and says so).
    table["n_excerpts"] = (excerpts.sum().to_numpy().astype(int) if support.excerpts_reported
                           else np.nan)
    return table


GROUPINGS = {
    "setting": ("Setting", lambda: category_labels("studies", "setting")),
    "country_group": ("Country", None),
    "band": ("Quality band", lambda: BAND_LABELS),
}


def support_by_group(support: ThemeSupport, by: str, confidence: float = 0.95) -> pd.DataFrame:
    """Theme and sub-theme support within each group of papers.

    Parameters
    ----------
    support : ThemeSupport
    by : {'setting', 'country_group', 'band'}
        Paper characteristic to break the support down by.
    confidence : float
        Level of the Wilson intervals.

    Returns
    -------
    DataFrame
        Long table: ``group``, ``group_label``, ``n_group`` (papers in the group), then
        the columns of :func:`frequency_table` computed within the group. Groups are in
        declared order; groups with no paper on this page are left out.
    """
    if by not in GROUPINGS:
        raise ValueError(f"cannot break down by {by!r}; choose one of {', '.join(GROUPINGS)}")
    _, labels = GROUPINGS[by]
    values = support.units[by]
    if by in support.categories:
        order = dict(support.categories[by])
    else:
        order = labels() if labels else {v: v for v in sorted(values.unique(),
                                                              key=lambda v: v == "Other countries")}
    order = {**order, **{v: v for v in values.unique() if v not in order}}
    parts = []
    for group, label in order.items():
        mask = (values == group).to_numpy()
        if not mask.any():
            continue
        part = frequency_table(replace(support, units=support.units[mask],
                                       excerpts=support.excerpts[mask]), confidence)
        part.insert(0, "n_group", int(mask.sum()))
        part.insert(0, "group_label", label)
        part.insert(0, "group", group)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def cooccurrence(support: ThemeSupport) -> pd.DataFrame:
    """Papers supporting both themes of each pair (diagonal: papers supporting a theme).

    Returns
    -------
    DataFrame
        Themes x themes, indexed by '<theme_id> <theme>' (the index named ``Theme``)
        with ``theme_id`` columns.
    """
    present = (support.theme_excerpts() > 0).astype(int)
    both = present.T @ present
    themes = support.themes()
    both.index = (themes["theme_id"] + " " + themes["theme"]).to_list()
    both.index.name = "Theme"
    both.columns = themes["theme_id"].to_list()
    return both.astype(int)


@dataclass(frozen=True)
class SupportSummary:
    """Headline figures of theme support on one page (for the prose)."""

    n_papers: int
    n_studies: int
    n_excluded_papers: int
    excluded_bands: str
    n_themes: int
    n_subthemes: int
    n_subthemes_unsupported: int
    most_supported_theme: str
    most_supported_pct: float
    most_supported_ci_low: float
    most_supported_ci_high: float
    most_supported_n_studies: int
    most_supported_studies_pct: float
    most_supported_studies_ci_low: float
    most_supported_studies_ci_high: float
    least_supported_theme: str
    least_supported_pct: float
    least_supported_subtheme: str
    least_supported_subtheme_papers: int
    least_supported_subtheme_studies: int
    confidence_pct: float
    # the themes no paper supports, by '<id> <name>' (a theme-level framework names its
    # unsupported themes; not glued)
    unsupported_themes: tuple[str, ...] = ()


def summarise_support(all_papers: ThemeSupport,
                      exclude_bands: list[str] | tuple[str, ...] = (),
                      confidence: float = 0.95) -> SupportSummary:
    """Headline figures of the frequency table of one page.

    Parameters
    ----------
    all_papers : ThemeSupport
        Every paper.
    exclude_bands : list of str
        Quality bands left out on the page.
    confidence : float
        Level of the Wilson intervals reported on the page.
    """
    support = all_papers.without_bands(exclude_bands)
    n_all_papers = len(all_papers.units)
    table = frequency_table(support, confidence)
    themes = table[table["level"] == "theme"]
    subs = table[table["level"] == "sub-theme"]
    top = themes.loc[themes["n_papers"].idxmax()]
    low = themes.loc[themes["n_papers"].idxmin()]
    # Without sub-themes (support at theme level), the thinnest row is a theme.
    weakest = subs.loc[subs["n_papers"].idxmin()] if len(subs) else low
    weakest_name = (f"{weakest['subtheme_id']} {weakest['subtheme']}" if len(subs)
                    else f"{weakest['theme_id']} {weakest['theme']}")
    return SupportSummary(
        n_papers=len(support.units),
        n_studies=int(support.units["group"].nunique()),
        n_excluded_papers=n_all_papers - len(support.units),
        excluded_bands=", ".join(support.excluded_bands) or "none",
        n_themes=len(themes),
        n_subthemes=len(subs),
        n_subthemes_unsupported=int((subs["n_papers"] == 0).sum()),
        most_supported_theme=f"{top['theme_id']} {top['theme']}",
        most_supported_pct=float(top["pct_papers"]),
        most_supported_ci_low=float(top["ci_low"]),
        most_supported_ci_high=float(top["ci_high"]),
        most_supported_n_studies=int(top["n_studies"]),
        most_supported_studies_pct=float(top["pct_studies"]),
        most_supported_studies_ci_low=float(top["studies_ci_low"]),
        most_supported_studies_ci_high=float(top["studies_ci_high"]),
        least_supported_theme=f"{low['theme_id']} {low['theme']}",
        least_supported_pct=float(low["pct_papers"]),
        least_supported_subtheme=weakest_name,
        least_supported_subtheme_papers=int(weakest["n_papers"]),
        least_supported_subtheme_studies=int(weakest["n_studies"]),
        confidence_pct=round(100 * confidence, 1),
        unsupported_themes=tuple(f"{r.theme_id} {r.theme}" for r in
                                 themes[themes["n_papers"] == 0].itertuples()),
    )


# -------------------------------------------------------- sensitivity to quality


def quality_sensitivity(support: ThemeSupport, exclude_bands: list[str] | tuple[str, ...],
                        min_studies: int = 3, confidence: float = 0.95) -> pd.DataFrame:
    """Support with all papers against support without the papers of some bands.

    Parameters
    ----------
    support : ThemeSupport
        All papers.
    exclude_bands : list of str
        Quality bands to leave out (e.g. ``['low']``); empty compares the papers with
        themselves and only the flags are informative.
    min_studies : int
        A theme or sub-theme is flagged when fewer distinct studies than this support
        it after the exclusion.
    confidence : float
        Level of the Wilson interval of the retained support.

    Returns
    -------
    DataFrame
        One row per theme and sub-theme: ``n_papers_all``, ``pct_all``,
        ``n_studies_all``, ``n_papers_kept``, ``pct_kept``, ``ci_low``, ``ci_high``,
        ``n_studies_kept``, ``change_papers``, ``change_pct`` (percentage points),
        ``flag`` ('no support', 'single study', 'fewer than k studies' or '') and
        ``newly_flagged`` (flagged now but not with all papers).
    """
    before = frequency_table(support, confidence)
    after = frequency_table(support.without_bands(exclude_bands), confidence)
    table = before[["level", "theme_id", "theme", "subtheme_id", "subtheme"]].copy()
    table["n_papers_all"] = before["n_papers"]
    table["pct_all"] = before["pct_papers"]
    table["n_studies_all"] = before["n_studies"]
    table["n_papers_kept"] = after["n_papers"]
    table["pct_kept"] = after["pct_papers"]
    table["ci_low"], table["ci_high"] = after["ci_low"], after["ci_high"]
    table["n_studies_kept"] = after["n_studies"]
    table["change_papers"] = table["n_papers_kept"] - table["n_papers_all"]
    table["change_pct"] = np.round(table["pct_kept"] - table["pct_all"], 1)
    table["flag"] = _flags(table["n_studies_kept"], min_studies)
    table["newly_flagged"] = (table["flag"] != "") & (_flags(table["n_studies_all"],
                                                             min_studies) == "")
    return table


def _flags(n_studies: pd.Series, min_studies: int) -> np.ndarray:
    return np.select([n_studies == 0, n_studies == 1, n_studies < min_studies],
                     ["no support", "single study", f"fewer than {min_studies} studies"], "")


@dataclass(frozen=True)
class SensitivitySummary:
    """What leaving out papers of some quality bands does to theme support.

    ``left_out_bands`` and ``newly_flagged_rows`` hold the bands left out and the rows
    flagged only after leaving them out, for the sentence of
    :func:`analysis.chapters.themes.sensitivity_words`.
    """

    excluded_bands: str
    n_papers_all: int
    n_papers_excluded: int
    n_papers_kept: int
    n_studies_kept: int
    min_studies: int
    n_flagged: int
    flagged: str
    n_newly_flagged: int
    newly_flagged: str
    largest_drop: str
    left_out_bands: tuple[str, ...] = ()
    newly_flagged_rows: tuple[str, ...] = ()
    flagged_rows: tuple[str, ...] = ()  # '<row> (<flag>)', for a list a page can cut


def summarise_sensitivity(support: ThemeSupport, table: pd.DataFrame,
                          exclude_bands: list[str] | tuple[str, ...],
                          min_studies: int = 3) -> SensitivitySummary:
    """Headline figures of :func:`quality_sensitivity`."""
    kept = support.without_bands(exclude_bands)
    label = np.where(table["level"] == "theme", table["theme_id"] + " " + table["theme"],
                     table["subtheme_id"] + " " + table["subtheme"])
    flagged = [f"{name} ({flag})" for name, flag in zip(label, table["flag"]) if flag]
    newly = [name for name, new in zip(label, table["newly_flagged"]) if new]
    drop = int(table["change_pct"].idxmin())
    excluded = ", ".join(kept.excluded_bands) or "none"
    n_out = len(support.units) - len(kept.units)
    return SensitivitySummary(
        excluded_bands=excluded,
        n_papers_all=len(support.units),
        n_papers_excluded=n_out,
        n_papers_kept=len(kept.units),
        n_studies_kept=int(kept.units["group"].nunique()),
        min_studies=int(min_studies),
        n_flagged=len(flagged),
        flagged="; ".join(flagged) or "none",
        n_newly_flagged=len(newly),
        newly_flagged="; ".join(newly) or "none",
        largest_drop=(f"{label[drop]} ({table.loc[drop, 'change_pct']:+.1f} percentage points)"
                      if table.loc[drop, "change_pct"] < 0 else "none"),
        left_out_bands=tuple(kept.excluded_bands),
        newly_flagged_rows=tuple(str(name) for name in newly),
        flagged_rows=tuple(str(row) for row in flagged),
    )


# ------------------------------------------------------------- interview study


def participant_support(package: DataPackage) -> ThemeSupport:
    """Participant x sub-theme support of the interview study in a data package.

    A package without ``participant_services`` gets no service-use groups.
    """
    services = (package["participant_services"] if package.has("participant_services")
                else pd.DataFrame({"participant_id": [], "service_type": []}))
    return participant_support_from_tables(package["participants"], services,
                                           package["participant_codes"], package["framework"])


def participant_support_from_tables(participants: pd.DataFrame, services: pd.DataFrame,
                                    participant_codes: pd.DataFrame,
                                    framework: pd.DataFrame) -> ThemeSupport:
    """Participant x sub-theme support of the interview study from its tables.

    Every participant has a row in interview order, including anyone with no code
    (a row of zeros, still counted in every denominator). A sub-theme is supported by
    a participant with at least one initial code grouped under it; ``excerpts`` sums
    the excerpts of those codes.
    """
    sub = _review_framework(framework, INTERVIEW_STUDY)
    people = participants.sort_values("interview_order").set_index("participant_id")
    people.index = people.index.astype(str)
    units = people[["gender", "ethnic_minority", "interviewer_role", "interview_order"]].copy()
    units.insert(0, "group", units.index)
    used = services.groupby("participant_id")["service_type"].agg(lambda s: tuple(sorted(s)))
    units["service_type"] = [used.get(p, ()) for p in units.index]
    return ThemeSupport(units, sub, _excerpt_matrix(participant_codes, "participant_id",
                                                    units.index, sub),
                        excerpts_not_reported=_excerpts_not_reported(participant_codes, sub))


def participant_frequency(support: ThemeSupport, confidence: float = 0.95) -> pd.DataFrame:
    """Participants raising each sub-theme: n, %, Wilson interval, excerpts.

    Same layout as :func:`frequency_table`; participants are their own group, so the
    'studies' columns are dropped.
    """
    table = frequency_table(support, confidence)
    table = table.drop(columns=["n_studies", "pct_studies", "studies_ci_low", "studies_ci_high"])
    return table.rename(columns={"n_papers": "n_participants", "pct_papers": "pct_participants"})


def _characteristic_groups(units: pd.DataFrame, key: str,
                           package: DataPackage | None = None) -> list[tuple[str, np.ndarray]]:
    """(category label, mask of participants) for one characteristic, in declared order.

    The categories are the package's own where it declares them (the contract's
    defaults without a package).
    """
    if key == "service_type":
        labels = category_labels("participant_services", key, package)
        return [(label, np.array([value in used for used in units[key]], dtype=bool))
                for value, label in labels.items()]
    if key == "ethnic_minority":
        values = units[key].astype("boolean")
        groups = [("Yes", values.fillna(False).to_numpy(bool)),
                  ("No", (~values).fillna(False).to_numpy(bool))]
    else:
        groups = [(label, (units[key] == value).fillna(False).to_numpy(bool))
                  for value, label in category_labels("participants", key, package).items()]
    # Participants whose characteristic the source did not report are a group of their
    # own, so that the groups still split the participants (complementary suppression).
    missing = units[key].isna().to_numpy(bool)
    return groups + ([("Not reported", missing)] if missing.any() else [])


def participant_breakdown(support: ThemeSupport, suppress_below: int = 3,
                          package: DataPackage | None = None) -> pd.DataFrame:
    """Participants raising each sub-theme, by participant characteristic.

    Parameters
    ----------
    support : ThemeSupport
        From :func:`participant_support`.
    suppress_below : int
        Counts smaller than this (zeros included) are suppressed: with a few dozen
        participants a small cell can identify someone. 0 suppresses nothing.
        Categories with no participant are left out. Where the categories of a
        characteristic split the participants (each in exactly one), their counts add
        up to the 'All participants' count, so one hidden count could be worked out
        from the others; the smallest shown count of that group is then hidden too
        (complementary suppression, see :func:`complementary_suppression`).
    package : DataPackage, optional
        The package whose categories (gender, services, interviewer role) label the
        groups; the contract's defaults without one.

    Returns
    -------
    DataFrame
        Long table: ``characteristic``, ``category``, ``n_category`` (participants in
        it), ``key`` (theme or sub-theme id), ``label``, ``n``, ``pct`` (of the
        category), ``suppressed`` (below the threshold) and ``withheld`` (hidden only
        so that a suppressed count cannot be recovered).

    References
    ----------
    Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 5
    (primary and secondary cell suppression in frequency tables).
    """
    present = _row_excerpts(support) > 0
    rows = _rows(support.framework)
    names = np.where(rows["level"] == "theme", rows["theme"] + " (" + THEME_LEVEL.lower() + ")",
                     rows["subtheme"])
    groups = [("All participants", "All participants", np.ones(len(present), dtype=bool))]
    for key, heading in PARTICIPANT_CHARACTERISTICS:
        groups += [(heading, label, mask) for label, mask in
                   _characteristic_groups(support.units, key, package) if mask.any()]
    parts = []
    for heading, label, mask in groups:
        n = present[mask].sum().to_numpy()
        parts.append(pd.DataFrame({
            "characteristic": heading, "category": label, "n_category": int(mask.sum()),
            "key": rows["key"], "label": names, "n": n.astype(int),
            "pct": _percent(n, int(mask.sum())), "suppressed": n < suppress_below}))
    long = pd.concat(parts, ignore_index=True)
    partitions = {heading for key, heading in PARTICIPANT_CHARACTERISTICS
                  if key != "service_type"}  # a multi-response item does not add up
    return complementary_suppression(long, partitions)


def complementary_suppression(long: pd.DataFrame, partitions: set[str]) -> pd.DataFrame:
    """Hide, with each lone suppressed count, the smallest count beside it.

    Within one characteristic whose categories split the participants and one theme or
    sub-theme, the counts add up to a known total. If exactly one of them is suppressed
    it equals the total minus the rest; hiding the smallest other count as well leaves
    only the sum of the two, so neither can be recovered. Cells hidden this way are
    marked ``withheld`` (their count may be at or above the threshold).

    Parameters
    ----------
    long : DataFrame
        As returned by :func:`participant_breakdown` before this step: columns
        ``characteristic``, ``key``, ``n`` and ``suppressed``.
    partitions : set of str
        The characteristics whose categories split the participants.

    Returns
    -------
    DataFrame
        ``long`` with a boolean column ``withheld``.
    """
    withheld = np.zeros(len(long), dtype=bool)
    suppressed = long["suppressed"].to_numpy(bool)
    for (heading, _), rows in long.groupby(["characteristic", "key"], sort=False).indices.items():
        if heading not in partitions or len(rows) < 2:
            continue
        if suppressed[rows].sum() == 1:
            shown = rows[~suppressed[rows]]
            withheld[shown[np.argmin(long["n"].to_numpy()[shown])]] = True
    return long.assign(withheld=withheld)


@dataclass(frozen=True)
class InterviewCoding:
    """Headline figures of the interview study's coding (for the prose)."""

    theme: str
    n_subthemes: int
    n_participants: int
    n_without_codes: int
    n_codes: int
    n_excerpts: int
    codes_per_participant_median: float
    most_raised_subtheme: str
    most_raised_pct: float
    least_raised_subtheme: str
    least_raised_pct: float
    suppress_below: int


def summarise_interview_coding(support: ThemeSupport, participant_codes: pd.DataFrame,
                               suppress_below: int = 3) -> InterviewCoding:
    """Headline figures of the interview study's coding."""
    codes = participant_codes[participant_codes["subtheme_id"].isin(
        support.framework["subtheme_id"])]
    per_person = codes.groupby("participant_id")["code_id"].nunique().reindex(
        support.units.index, fill_value=0)
    table = participant_frequency(support)
    subs = table[table["level"] == "sub-theme"]
    top, low = subs.loc[subs["n_participants"].idxmax()], subs.loc[subs["n_participants"].idxmin()]
    return InterviewCoding(
        theme=" / ".join(support.themes()["theme"]),
        n_subthemes=len(subs),
        n_participants=len(support.units),
        n_without_codes=int((support.excerpts.sum(axis=1) == 0).sum()),
        n_codes=int(codes["code_id"].nunique()),
        n_excerpts=int(codes["n_excerpts"].sum()),
        codes_per_participant_median=float(per_person.median()),
        most_raised_subtheme=str(top["subtheme"]),
        most_raised_pct=float(top["pct_participants"]),
        least_raised_subtheme=str(low["subtheme"]),
        least_raised_pct=float(low["pct_participants"]),
        suppress_below=int(suppress_below),
    )
