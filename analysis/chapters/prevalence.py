"""What the Prevalence context chapter shows and says: the page's view model (one
:class:`PrevalenceContext`), its tables as a reader sees them, the published figures
beside the re-analysis, and the paragraphs whose wording depends on the data.

Nothing here names a setting, an income group or a design: the subgroups are the
vocabularies in force for the package (``package.categories("prevalence_studies",
...)``), in their order and with their labels; a published figure is compared with the
studies its ``compare`` entry names (``study.published`` in ``datapackage.json``); and
every sentence reads correctly for one study or many, one setting or several, with or
without published figures.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from analysis.chapters.citations import bibliography_entries
from analysis.chapters.words import count_words, format_p, in_sentence, join_words, markdown
from analysis.contract.escape import Myst, myst_code_block, myst_role, myst_text
from analysis.contract.package import DataPackage
from analysis.contract.published import published_facts
from analysis.contract.study import ALL_STUDIES
from analysis.stats.prevalence_glmm import GlmmPrevalence, GlmmStatus, pool_glmm
from analysis.stats.prevalence import (COVARIATE_LABELS, FREEMAN_TUKEY_CAVEAT, LEVEL,
                                       TAU2_METHODS, TRANSFORMS, FreemanTukeyWarning,
                                       MetaRegression, PooledPrevalence, StudyEffects,
                                       SubgroupAnalysis, estimate, freeman_tukey_at_extremes,
                                       levels, main_setting, meta_regression, study_effects,
                                       study_table, subgroups, tau2_name, transform_name)

# The study characteristics the chapter splits the studies by: the setting over every
# study, the others within the main setting (:func:`analysis.stats.prevalence.main_setting`).
SUBGROUP_COLUMNS = ("setting", "income_group", "design")


def _pct(value: float) -> float:
    return 100 * value


def _estimate_text(value: float, low: float, high: float, digits: int = 1) -> str:
    """'7.9 (7.0–8.9)' from percentages; '–' when there is no estimate."""
    if not np.isfinite(value):
        return "–"
    return f"{value:.{digits}f} ({_range_text(low, high, digits)})"


def _signed(value: float, digits: int = 2) -> str:
    """'+0.06', '-0.01', and '0.00' rather than '-0.00' for a difference that rounds away."""
    if not np.isfinite(value):
        return "–"
    rounded = round(value, digits)
    return f"{0.0:.{digits}f}" if rounded == 0 else f"{rounded:+.{digits}f}"


def _range_text(low: float, high: float, digits: int = 1) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    # A word joiner after the dash stops a narrow table cell from breaking a range.
    return f"{low:.{digits}f}–\u2060{high:.{digits}f}"


def _fixed(values, digits: int) -> list[str]:
    return [f"{v:.{digits}f}" if np.isfinite(v) else "–" for v in values]


def _p_cells(values) -> list[str]:
    """p-values for a table column: '< 0.001', '0.042', or '–'."""
    return [format_p(v).removeprefix("=\u00a0") if np.isfinite(v) else "–" for v in values]


def subgroup_view(analysis: SubgroupAnalysis) -> pd.DataFrame:
    """The subgroup table as a reader sees it: short columns, one text cell each.

    k studies, prevalence % (95% CI), 95% prediction interval (PI), tau², I² %,
    Cochran's Q and its p-value (participants are in :attr:`SubgroupAnalysis.table`).
    """
    return _subgroup_cells(analysis.table, COVARIATE_LABELS.get(analysis.by, analysis.by))


def _subgroup_cells(t: pd.DataFrame, index: str) -> pd.DataFrame:
    return pd.DataFrame({
        index: t["subgroup"],
        "k": t["k"],
        "% (95% CI)": [_estimate_text(*r) for r in
                       zip(t["prevalence"], t["ci_low"], t["ci_high"])],
        "95% PI": [_range_text(lo, hi) for lo, hi in zip(t["pi_low"], t["pi_high"])],
        "τ²": _fixed(t["tau2"], 3),
        "I² %": _fixed(t["i2_percent"], 1),
        "Q": _fixed(t["q"], 1),
        "p": _p_cells(t["q_p"]),
    }).set_index(index)


def study_names(studies: pd.DataFrame, labels: Mapping[str, str] | None = None
                ) -> tuple[str, list[str]]:
    """How the forest plot and its table name each study, and the column's heading.

    A study is named by its label (``package.study_labels``; its identifier when the
    package gives none), followed by its country when the studies are from more than
    one, and by its year when the label does not already hold it (a label such as
    'Smith 2010' does); a value the source did not report is left out. The heading says
    what the names hold ('Study, country, year', or 'Study' alone).
    """
    labels = labels or {}
    countries = (studies["country"].dropna().astype(str).unique()
                 if "country" in studies else [])
    show_country = len(countries) > 1
    names, parts = [], {"Study"}
    for row in studies.itertuples():
        name = str(labels.get(str(row.study_id), row.study_id))
        country = getattr(row, "country", None)
        if show_country and isinstance(country, str) and country:
            name += f" {country}"
            parts.add("country")
        year = getattr(row, "year", None)
        if year is not None and pd.notna(year) and str(int(year)) not in name:
            name += f", {int(year)}"
            parts.add("year")
        names.append(name)
    heading = ", ".join(p for p in ("Study", "country", "year") if p in parts)
    return heading, names


# The study characteristics a table of the studies shows, where the package has them:
# the study design and how cases were ascertained (by what, and by whom), each headed
# with the package's own title; declared covariates follow.
CHARACTERISTIC_COLUMNS = ("country", "year", "setting", "design", "ascertainment",
                          "interviewer")
NOT_REPORTED = "not reported"
# The code of the forest plot's group of studies that do not report the column it groups
# by: a NUL can be no code of a package (validation refuses control characters).
NOT_REPORTED_GROUP = "\x00not_reported"


def characteristics_view(package: DataPackage) -> pd.DataFrame:
    """Each prevalence study's characteristics, as a review's table of included studies.

    The study is named by its label (``package.study_labels``); each column is headed
    with the package's own title (``package.column_title``) and shows the category
    labels in force; an empty cell reads "not reported". A column no study reports is
    left out, and so is the country when every study is from one.
    """
    table = "prevalence_studies"
    studies = package[table]
    labels = package.study_labels(table)
    covariates = [c.name for c in package.covariates(table)]
    columns = {"Study": [labels.get(str(i), str(i)) for i in studies["study_id"]]}
    for column in (*CHARACTERISTIC_COLUMNS, *covariates):
        if column not in studies or column in columns or studies[column].isna().all():
            continue
        values = studies[column]
        if column == "country" and values.dropna().nunique() < 2:
            continue
        try:
            vocabulary = package.categories(table, column)
        except KeyError:
            vocabulary = {}
        columns[package.column_title(table, column)] = [
            NOT_REPORTED if pd.isna(v) else
            f"{int(v)}" if isinstance(v, (int, float, np.integer, np.floating))
            and float(v).is_integer() else str(vocabulary.get(v, v)) for v in values]
    columns[package.column_title(table, "n")] = studies["n"].astype(int).to_numpy()
    columns[package.column_title(table, "cases")] = studies["cases"].astype(int).to_numpy()
    return pd.DataFrame(columns).set_index("Study")


def forest_view(studies: pd.DataFrame, labels: Mapping[str, str] | None = None,
                by: str = "Setting") -> pd.DataFrame:
    """Every study of the forest plot as a table: its subgroup (setting), its name as
    the plot writes it (:func:`study_names`), % (95% CI), weight within the subgroup,
    cases and n.

    The numbers a forest plot prints beside its rows, in a form that fits a phone's
    screen (the estimate first) and that a screen reader reads out.
    """
    heading, names = study_names(studies, labels)
    return pd.DataFrame({
        by: studies["subgroup"],
        heading: names,
        "% (95% CI)": [_estimate_text(100 * p, 100 * lo, 100 * hi) for p, lo, hi in
                       zip(studies["prevalence"], studies["ci_low"], studies["ci_high"])],
        "Weight %": _fixed(studies["weight_percent"], 1),
        "Cases": studies["cases"].astype(int),
        "n": studies["n"].astype(int),
    }).set_index([by, heading])


def regression_view(regression: MetaRegression) -> pd.DataFrame:
    """The meta-regression table with reader-facing column names."""
    scale = TRANSFORMS[regression.transform]
    table = regression.table.assign(
        ci=[f"{lo:.3f}\u00a0to\u00a0{hi:.3f}" for lo, hi in
            zip(regression.table["ci_low"], regression.table["ci_high"])],
        estimate=_fixed(regression.table["estimate"], 3), se=_fixed(regression.table["se"], 3),
        z=_fixed(regression.table["z"], 2), p=_p_cells(regression.table["p"]))
    if "odds_ratio" in table:
        table["odds_ratio"] = [f"{o:.2f} ({ci})" if np.isfinite(o) else "–"
                               for o, ci in zip(regression.table["odds_ratio"],
                                                regression.table["or_ci"])]
    names = {"term": "Term", "estimate": f"Coefficient ({scale})", "se": "SE",
             "ci": "95% CI", "z": "z", "p": "p", "odds_ratio": "Odds ratio (95% CI)"}
    columns = [c for c in names if c in table]
    return table[columns].rename(columns=names).set_index("Term")


# ------------------------------------------------- published figures, from the package


def _select(studies: pd.DataFrame, where: Mapping[str, str]) -> pd.DataFrame:
    """The studies whose columns hold every value of ``where`` (a fact's ``compare``)."""
    mask = np.ones(len(studies), dtype=bool)
    for column, value in where.items():
        mask &= (studies[column].astype(str) == str(value)).to_numpy()
    return studies[mask]


def _short_source(source: str) -> str:
    """'Winsper et al. 2020, Br J ...' -> 'Winsper et al. 2020'."""
    return source.split(",")[0].strip()


def population_label(where: Mapping[str, str],
                     vocabularies: Mapping[str, Mapping[str, str]]) -> str:
    """The studies a published figure compares with, in the vocabularies' labels.

    ``{"setting": "community", "income_group": "high"}`` -> 'Community, high income';
    a column without a vocabulary (country) shows its value as it is.
    """
    words = []
    for column, value in where.items():
        label = vocabularies.get(column, {}).get(value)
        if label is None:  # a free-text column: the value as written (a country)
            words.append(str(value))
        else:  # the first as it is; the others inside the sentence ('NHS' stays)
            words.append(in_sentence(label) if words else label)
    return ", ".join(words)


def comparison_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """The declared published figures that name the studies they compare with."""
    if facts.empty or "compare" not in facts:
        return facts.iloc[:0]
    named = facts["compare"].map(lambda c: isinstance(c, Mapping) and bool(c))
    # A figure that says what it is compares here only when it is a pooled prevalence
    # (a count or an I² is the reproduction page's).
    measure = (facts["measure"] if "measure" in facts else pd.Series(None, index=facts.index))
    prevalence = measure.isna() | (measure == "pooled_prevalence")
    return facts[named & facts["number"].notna() & prevalence]


COMPARISON_COLUMNS = ["fact_id", "population", "quantity", "published", "published_ci_low",
                      "published_ci_high", "published_kind", "source", "short_source", "k",
                      "reanalysis", "reanalysis_ci_low", "reanalysis_ci_high",
                      "difference_pp"]


def published_comparison(studies: pd.DataFrame, facts: pd.DataFrame, transform: str = "logit",
                         tau2_method: str = "dl", level: float = LEVEL,
                         vocabularies: Mapping[str, Mapping[str, str]] | None = None
                         ) -> pd.DataFrame:
    """Each published prevalence beside the re-analysis of the studies it names.

    Only the figures whose ``compare`` entry names studies (columns of
    ``prevalence_studies`` and their values) take part, in declared order.
    ``difference_pp`` is re-analysis minus published, in percentage points. A
    population with no studies in the package gets an empty re-analysis; one with a
    single study gets that study's own estimate.
    """
    rows = []
    vocabularies = vocabularies or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        for fact_id, fact in comparison_facts(facts).iterrows():
            where = dict(fact["compare"])
            unknown = [c for c in where if c not in studies.columns]
            chosen = studies.iloc[:0] if unknown else _select(studies, where)
            nan = float("nan")
            value = low = high = nan
            if len(chosen):
                res = estimate(chosen["cases"], chosen["n"], transform, tau2_method, level)
                value, low, high = _pct(res.prevalence), _pct(res.ci_low), _pct(res.ci_high)
            rows.append({
                "fact_id": fact_id, "population": population_label(where, vocabularies),
                "quantity": str(fact["quantity"]),
                "published": float(fact["number"]), "published_ci_low": float(fact["ci_low"]),
                "published_ci_high": float(fact["ci_high"]),
                "published_kind": str(fact["kind"]), "source": str(fact["source"]),
                "short_source": _short_source(str(fact["source"])),
                "k": len(chosen), "reanalysis": value, "reanalysis_ci_low": low,
                "reanalysis_ci_high": high, "difference_pp": value - float(fact["number"]),
            })
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _published_text(value: float, low: float, high: float, kind: str) -> str:
    if np.isfinite(low):
        return _estimate_text(value, low, high)
    return f"{value:.1f} ({'approx.; ' if kind == 'approximate' else ''}no CI)"


def comparison_view(table: pd.DataFrame) -> pd.DataFrame:
    """The published-versus-re-analysis table as a reader sees it."""
    return pd.DataFrame({
        "Population": table["population"],
        "Published, % (95% CI)": [_published_text(*r) for r in zip(
            table["published"], table["published_ci_low"], table["published_ci_high"],
            table["published_kind"])],
        "Source": table["short_source"],
        "Studies": table["k"],
        "Re-analysis, % (95% CI)": [_estimate_text(*r, digits=2) for r in zip(
            table["reanalysis"], table["reanalysis_ci_low"], table["reanalysis_ci_high"])],
        "Difference, pp": [_signed(d) for d in table["difference_pp"]],
    }).set_index("Population")


def sensitivity_view(studies: pd.DataFrame, setting: str | None = None,
                     transform: str = "logit", tau2_method: str = "dl",
                     level: float = LEVEL) -> pd.DataFrame:
    """The pooled prevalence of one setting under every transform and tau² estimator.

    ``setting`` None takes every study. ``this_page`` marks the combination the page
    was run with. tau² is on each transform's own scale, so only I² and the
    percentages compare across rows.
    """
    rows_ = studies if setting is None else studies[studies["setting"] == setting]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        for t in TRANSFORMS:
            for m in TAU2_METHODS:
                res = estimate(rows_["cases"], rows_["n"], t, m, level)
                rows.append({
                    "Transform": TRANSFORMS[t], "tau² estimator": TAU2_METHODS[m][1],
                    "Prevalence, % (95% CI)": _estimate_text(
                        _pct(res.prevalence), _pct(res.ci_low), _pct(res.ci_high), 2),
                    "95% prediction interval": _range_text(_pct(res.pi_low),
                                                           _pct(res.pi_high)),
                    "I², %": _fixed([res.i2_percent], 1)[0],
                    "This page": "✓" if (t, m) == (transform, tau2_name(tau2_method))
                    else "",
                })
    return pd.DataFrame(rows).set_index(["Transform", "tau² estimator"])


# ------------------------------------------------------------------ the view model


@dataclass(frozen=True)
class Headline:
    """The few numbers the chapter's fixed prose quotes (glued ``prev_*``).

    Everything that depends on which subgroups a package has is glued by
    :func:`glue_values` and written by the paragraph functions.
    """

    transform_label: str
    tau2_method_label: str
    k_studies: int
    n_participants: int
    n_settings: int
    n_corrected: int
    main_setting: str
    k_main_setting: int


# Why a GLMM could not be fitted, in the page's words (the statuses of
# analysis.stats.prevalence_glmm.GlmmStatus).
GLMM_NOT_FITTED = {
    GlmmStatus.NOT_CONVERGED: "its fit did not converge within the iteration limit",
    GlmmStatus.INFINITE_ESTIMATE: "no study has a case, or every person in every study is "
                                  "one, so the pooled log-odds run off to infinity",
    GlmmStatus.SINGULAR_COVARIANCE: "its fit gave no standard errors (the information "
                                    "matrix is singular), so it has no interval",
    GlmmStatus.TOO_FEW_STUDIES: "a between-study variance needs at least two studies",
}


@dataclass(frozen=True)
class GlmmComparison:
    """The main analysis pooled again by a generalised linear mixed model, beside this
    page's inverse-variance estimate.

    ``glmm`` is None, and ``not_fitted`` says why in words, when the model could not be
    fitted or did not converge.
    """

    page: PooledPrevalence
    glmm: GlmmPrevalence | None
    not_fitted: str = ""


def glmm_comparison(rows: pd.DataFrame, page: PooledPrevalence) -> GlmmComparison:
    """Pool ``rows`` (the studies of the main analysis) by the random-intercept logistic
    model (:func:`analysis.stats.prevalence_glmm.pool_glmm`, as R's
    ``metafor::rma.glmm(measure = "PLO")``) and keep this page's estimate beside it.

    Parameters
    ----------
    rows : DataFrame
        The studies, with ``cases`` and ``n``.
    page : PooledPrevalence
        The same studies pooled as this page pools them (its scale and estimator).

    References
    ----------
    Stijnen T, Hamza TH, Ozdemir P (2010). Random effects meta-analysis of event outcome
    in the framework of the generalized linear mixed model with applications in sparse
    data. Statistics in Medicine 29:3046-3067.
    """
    if len(rows) < 2:
        return GlmmComparison(page, None, GLMM_NOT_FITTED[GlmmStatus.TOO_FEW_STUDIES])
    fitted = pool_glmm(rows["cases"], rows["n"])
    if fitted.status is not GlmmStatus.CONVERGED:
        return GlmmComparison(page, None, GLMM_NOT_FITTED[fitted.status])
    return GlmmComparison(page, fitted)


def glmm_markdown(context: PrevalenceContext):
    """What the GLMM gives for the main analysis, beside this page's estimate, or why it
    could not be fitted."""
    comparison = context.glmm
    if comparison is None:
        return None
    h, page = context.headline, comparison.page
    if comparison.glmm is None:
        return markdown(Myst("The model could not be fitted to the {} of {}: {}.").format(
            _studies(page.k), context.main_phrase, comparison.not_fitted))
    glmm = comparison.glmm
    gap = 100 * abs(glmm.prevalence - page.prevalence)
    agreement = (Myst("The two agree within one percentage point.") if gap < 1 else Myst(
        "The two differ by {:.1f} percentage points: where they part, the GLMM's exact "
        "likelihood is the one to trust for small studies and prevalences near 0% or "
        "100%.").format(gap))
    return markdown(Myst(
        "Fitted by maximum likelihood with {}-point adaptive Gauss-Hermite quadrature, as R's "
        "metafor does (`rma.glmm`), to the {} of {}, the GLMM gives **{:.1f}%** (95% CI "
        "{:.1f} to {:.1f}%; 95% prediction interval {:.1f} to {:.1f}%), with a between-study "
        "variance tau² of {:.2f} on the log-odds scale. This page's model gives {} on the "
        "{} scale with {}. {}").format(
            glmm.n_agq, _studies(glmm.k), context.main_phrase, _pct(glmm.prevalence),
            _pct(glmm.ci_low), _pct(glmm.ci_high), _pct(glmm.pi_low), _pct(glmm.pi_high),
            glmm.tau2, _interval(page), h.transform_label, h.tau2_method_label, agreement))


@dataclass(frozen=True, eq=False)
class PrevalenceContext:
    """Everything the Prevalence context chapter shows, computed once.

    ``main_setting`` is the code of the setting whose studies the analyses within one
    setting take (``by_income``, ``by_design``, ``regression``, ``sensitivity``):
    the setting with the most studies. ``regression`` is None when the covariate cannot
    be fitted to those studies; ``regression_reason`` then says why, in words.
    ``vocabularies`` are the categories in force for each subgroup column (code ->
    label, display order), including those without studies.
    """

    transform: str
    tau2_method: str
    covariate: str
    synthetic: bool
    invented: tuple[str, ...]
    vocabularies: Mapping[str, Mapping[str, str]]
    studies: pd.DataFrame
    by_setting: SubgroupAnalysis
    main_setting: str
    by_income: SubgroupAnalysis
    by_design: SubgroupAnalysis
    overall: PooledPrevalence
    regression: MetaRegression | None
    regression_reason: str
    comparison: pd.DataFrame
    sensitivity: pd.DataFrame
    headline: Headline
    notes: tuple[str, ...]
    main: PooledPrevalence | None = None
    main_where: str | Mapping[str, str] = ALL_STUDIES
    main_label: str = ""
    by_covariate: Mapping[str, SubgroupAnalysis] | None = None
    titles: Mapping[str, str] | None = None
    study_labels: Mapping[str, str] | None = None
    condition: str = "the condition studied"
    cases: str = "cases"
    characteristics: pd.DataFrame | None = None
    # The studies of the main analysis (``cases`` and ``n``), which the GLMM pools.
    main_rows: pd.DataFrame | None = None
    # The forest plot's groups: the column it groups by (``forest_by``, the setting
    # unless the page's parameter names another) and its subgroup analysis.
    forest_by: str = "setting"
    by_forest: SubgroupAnalysis | None = None

    @cached_property
    def glmm(self) -> GlmmComparison | None:
        """The main analysis pooled again by the GLMM (:func:`glmm_comparison`), fitted
        when first asked for: the Multiverse page takes this page's estimates, not its
        GLMM, and a fit costs more than the rest of the chapter's arithmetic."""
        if self.main_rows is None or self.main is None:
            return None
        return glmm_comparison(self.main_rows, self.main)

    @property
    def forest_groups(self) -> SubgroupAnalysis:
        """The subgroup analysis the forest plot draws (by setting unless the page's
        ``forest_by`` names another column)."""
        return self.by_forest if self.by_forest is not None else self.by_setting

    @property
    def forest_words(self) -> str:
        """What the forest plot groups by, as prose names it ('setting', 'study design')."""
        return _lower_first(self.title(self.forest_by))

    def label(self, column: str, code: str) -> str:
        return self.vocabularies.get(column, {}).get(code, str(code))

    def title(self, column: str) -> str:
        """How the page names a column of prevalence_studies (the package's title)."""
        return (self.titles or {}).get(column) or COVARIATE_LABELS.get(column, column)

    @property
    def main_phrase(self) -> Myst:
        """The studies of the main analysis in a phrase: 'the setting *Community*', 'the
        main analysis (*Outcome: Help-seeking behaviour*)' or, when it pools every study,
        'this data package'."""
        where = self.main_where
        if isinstance(where, Mapping) and list(where) == ["setting"]:
            return Myst("the setting *{}*").format(self.main_label)
        if isinstance(where, Mapping):
            return Myst("the main analysis (*{}*)").format(self.main_label)
        return Myst("this data package")

    @property
    def main_is_all(self) -> bool:
        return not isinstance(self.main_where, Mapping)

    def setting_estimate(self, setting: str) -> PooledPrevalence | None:
        """The pooled prevalence of one setting (None: no study has it)."""
        return self.by_setting.pooled.get(setting)


def _vocabulary(package: DataPackage, column: str, studies: pd.DataFrame) -> dict[str, str]:
    """The categories in force for a column; values the data have beyond them follow."""
    try:
        declared = dict(package.categories("prevalence_studies", column))
    except KeyError:
        declared = {}
    extra = [v for v in levels(studies[column]) if v not in declared]
    return {**declared, **{v: str(v) for v in extra}}


def _regression(rows: pd.DataFrame, covariate: str, transform: str, method: str,
                level: float, labels: Mapping[str, str],
                title: str | None = None) -> tuple[MetaRegression | None, str]:
    """The meta-regression of the main analysis's studies, or why the data cannot
    support it (``title``: how the page names the covariate).

    An unknown covariate is the page's mistake, not the data's: that still raises.
    """
    what = (title or COVARIATE_LABELS.get(covariate, covariate)).lower()
    if covariate not in rows.columns or covariate in ("study_id", "n", "cases"):
        return meta_regression(rows, covariate, transform, method, None, level, labels), ""
    values = rows[covariate]
    if len(rows) == 1:
        return None, "a single study has no other to be compared with"
    if values.nunique() < 2:
        shown = labels.get(values.iloc[0], str(values.iloc[0]))
        return None, (f"all of them have the same {what} ({shown}), so there is nothing "
                      "to compare")
    n_coefficients = 2 if pd.api.types.is_numeric_dtype(values) else values.nunique()
    if len(rows) < n_coefficients + 1:
        return None, (f"a model with {n_coefficients} coefficients needs at least "
                      f"{n_coefficients + 1} studies")
    return meta_regression(rows, covariate, transform, method, None, level, labels), ""


def _lower_first(words: str) -> str:
    """'Study design' -> 'study design'; an abbreviation ('WHO region') stays."""
    return in_sentence(words)


def forest_columns(package: DataPackage) -> tuple[str, ...]:
    """The columns of ``prevalence_studies`` the forest plot may group the studies by
    (its ``forest_by`` parameter): the setting, and every other column of categories
    the package has (design, income group, interviewer, how cases were ascertained,
    a categorical covariate it declares) that at least one study reports."""
    table = "prevalence_studies"
    studies = package[table]
    found = ["setting"]
    for fdef in package.fields(table):
        column = fdef["name"]
        categorical = ("enum" in fdef.get("constraints", {}) or
                       (fdef.get("role") == "covariate" and fdef["type"] in ("string",
                                                                              "boolean")))
        if (categorical and column not in found and column in studies
                and studies[column].notna().any()):
            found.append(column)
    return tuple(found)


def forest_subgroups(studies: pd.DataFrame, by: str, transform: str, method: str,
                     level: float, labels: Mapping[str, str], reported: SubgroupAnalysis
                     ) -> tuple[pd.DataFrame, SubgroupAnalysis]:
    """The studies and subgroup analysis of a forest plot grouped by ``by``.

    A study that does not report ``by`` is drawn in a last group, 'Not reported', pooled
    like the others; the test for subgroup differences stays that of the groups that
    report it (``reported``, as the page's subgroup table gives it).
    """
    if studies[by].notna().all():
        return studies, reported
    filled = studies.assign(**{by: studies[by].astype(object).where(studies[by].notna(),
                                                                    NOT_REPORTED_GROUP)})
    grouped = subgroups(filled, by, transform, method, level,
                        by_forest_labels(labels, filled, by))
    return filled, dataclasses.replace(grouped, q_between=reported.q_between,
                                       df_between=reported.df_between,
                                       p_between=reported.p_between)


def _named(studies: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """The forest plot's study table with the name it writes for each study
    (``study_name``, :func:`study_names`)."""
    return studies.assign(study_name=study_names(studies, dict(labels))[1])


def prevalence_context(package: DataPackage, transform: str = "logit",
                       tau2_method: str = "dl", covariate: str = "design",
                       level: float = LEVEL, forest_by: str = "setting") -> PrevalenceContext:
    """The whole Prevalence context chapter from one data package.

    Parameters
    ----------
    package : DataPackage
        A validated data package with at least one prevalence study.
    transform, tau2_method, level
        As in :func:`analysis.stats.prevalence.pool`.
    covariate : str
        Covariate of the meta-regression on the studies of the main setting.
    forest_by : str
        Column the forest plot groups the studies by (:func:`forest_columns`).
    """
    transform, method = transform_name(transform), tau2_name(tau2_method)
    studies = package["prevalence_studies"]
    if studies.empty:
        raise ValueError("the Prevalence context chapter needs at least one row in "
                         "prevalence_studies.csv")
    allowed = forest_columns(package)
    if forest_by not in allowed:
        raise ValueError(f"the page parameter forest_by is {forest_by!r}; the forest plot "
                         "can group the studies of this package by: " + ", ".join(allowed))
    table = "prevalence_studies"
    covariates = [c.name for c in package.covariates(table)
                  if c.kind == "categorical" and c.name not in SUBGROUP_COLUMNS]
    vocabularies = {c: _vocabulary(package, c, studies)
                    for c in (*SUBGROUP_COLUMNS, *covariates)}
    titles = {c: package.column_title(table, c) for c in studies.columns}
    by_setting = subgroups(studies, "setting", transform, method, level,
                           vocabularies["setting"])
    main = main_setting(studies)
    # The main analysis pools the studies the package names (study.prevalence.main),
    # every study unless it names a subset; the analyses within it (income groups,
    # design, meta-regression, every scale and estimator) take its studies.
    main_where = package.study.main_prevalence
    main_rows = (_select(studies, main_where) if isinstance(main_where, Mapping)
                 and all(c in studies for c in main_where) else studies.iloc[:0])
    if main_rows.empty:
        main_where, main_rows = ALL_STUDIES, studies
    main_label = ("all studies" if main_where == ALL_STUDIES else
                  population_label(main_where, vocabularies) if list(main_where) == ["setting"]
                  else "; ".join(f"{titles.get(c, c)}: {population_label({c: v}, vocabularies)}"
                                 for c, v in main_where.items()))
    by_covariate = {c: subgroups(studies, c, transform, method, level, vocabularies[c])
                    for c in covariates}
    if forest_by not in vocabularies:
        vocabularies[forest_by] = _vocabulary(package, forest_by, studies)
    # The groups that report the column, over every study (as the subgroup table of a
    # covariate gives them); those that do not report it are added as a group of their own.
    if forest_by == "setting":
        reported = by_setting
    elif forest_by in by_covariate:
        reported = by_covariate[forest_by]
    else:
        reported = subgroups(studies, forest_by, transform, method, level,
                             vocabularies[forest_by])
    forest_rows, by_forest = forest_subgroups(studies, forest_by, transform, method, level,
                                              vocabularies[forest_by], reported)
    by_income = subgroups(main_rows, "income_group", transform, method, level,
                          vocabularies["income_group"])
    by_design = subgroups(main_rows, "design", transform, method, level,
                          vocabularies["design"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        overall = estimate(studies["cases"], studies["n"], transform, method, level)
    covariate_labels = vocabularies.get(covariate) or (
        _vocabulary(package, covariate, studies) if covariate in studies.columns else {})
    regression, reason = _regression(main_rows.dropna(subset=[covariate])
                                     if covariate in main_rows else main_rows,
                                     covariate, transform, method, level, covariate_labels,
                                     titles.get(covariate))
    comparison = published_comparison(studies, published_facts(package), transform, method,
                                      level, vocabularies)
    eff = study_effects(studies["cases"], studies["n"], transform)
    headline = Headline(
        transform_label=TRANSFORMS[transform], tau2_method_label=TAU2_METHODS[method][1],
        k_studies=len(studies), n_participants=int(studies["n"].sum()),
        n_settings=len(by_setting.pooled), n_corrected=eff.n_corrected,
        main_setting=main_label, k_main_setting=len(main_rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        main_pooled = estimate(main_rows["cases"], main_rows["n"], transform, method, level)
    study = package.study
    return PrevalenceContext(
        transform=transform, tau2_method=method, covariate=covariate,
        synthetic=package.synthetic,
        invented=tuple(str(i) for i in package.descriptor.get("invented", []) or []),
        vocabularies=vocabularies,
        studies=_named(study_table(forest_rows, forest_by, transform, method, level,
                                   by_forest_labels(vocabularies[forest_by], forest_rows,
                                                    forest_by)),
                       package.study_labels(table)),
        by_setting=by_setting, main_setting=main, by_income=by_income, by_design=by_design,
        overall=overall, regression=regression, regression_reason=reason,
        comparison=comparison,
        sensitivity=sensitivity_view(main_rows, None, transform, method, level),
        headline=headline, notes=tuple(correction_note(eff) + freeman_tukey_note(
            study_effects(main_rows["cases"], main_rows["n"], transform),
            main_pooled.effect)),
        main=main_pooled, main_where=main_where, main_label=main_label,
        by_covariate=by_covariate, titles=titles,
        study_labels=dict(package.study_labels(table)), condition=study.condition_words,
        cases=study.case_words, characteristics=characteristics_view(package),
        main_rows=main_rows[["cases", "n"]],
        forest_by=forest_by, by_forest=by_forest,
    )


def by_forest_labels(labels: Mapping[str, str], rows: pd.DataFrame,
                     by: str) -> dict[str, str]:
    """The labels of the forest plot's groups: the vocabulary's, and 'Not reported'
    for the group of studies that do not report the column."""
    if (rows[by] == NOT_REPORTED_GROUP).any():
        return {**labels, NOT_REPORTED_GROUP: NOT_REPORTED.capitalize()}
    return dict(labels)


# ------------------------------------------------------------------------ glue


def _glue_name(*parts: str) -> str:
    """A glue name from codes: lower case, anything but letters and digits as '_'."""
    return re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")


def _pooled_values(pooled: PooledPrevalence) -> dict[str, float | int | str]:
    values: dict[str, float | int | str] = {
        "k": pooled.k, "n": pooled.n, "prevalence": _pct(pooled.prevalence),
        "ci_low": _pct(pooled.ci_low), "ci_high": _pct(pooled.ci_high),
        "pi_low": _pct(pooled.pi_low), "pi_high": _pct(pooled.pi_high),
        "fixed": _pct(pooled.fixed_prevalence), "tau2": pooled.tau2,
        "i2": pooled.i2_percent, "q": pooled.q, "q_df": pooled.q_df,
    }
    if np.isfinite(pooled.q_p):
        values["q_p"] = format_p(pooled.q_p)
    return values


def glue_values(context: PrevalenceContext, prefix: str = "prev") -> dict[str, float | int | str]:
    """Every per-subgroup number of the chapter under a name made of its codes.

    ``<prefix>_setting_<code>_<statistic>`` for each setting, and
    ``<prefix>_income_group_<code>_...`` and ``<prefix>_design_<code>_...`` within the
    main setting; ``<prefix>_<column>_q_between`` (and ``_df_between``,
    ``_p_between``) for each test between subgroups; ``<prefix>_published_<fact_id>``,
    ``_studies_<fact_id>``, ``_reanalysis_<fact_id>`` and ``_diff_<fact_id>`` for each
    published figure; ``<prefix>_forest_note``, the forest plot's last sentence, and
    ``<prefix>_forest_by``, what it groups the studies by ('setting').
    Statistics: ``k`` (studies; 0 for a category without studies), ``n``,
    ``prevalence``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high``, ``fixed`` (%),
    ``tau2``, ``i2`` (%), ``q``, ``q_df``, ``q_p`` (text). A statistic that does not
    exist (tau² of one study, the prediction interval of two) is not glued, so prose
    cannot print it.
    """
    out: dict[str, float | int | str] = {}
    for column, analysis in (("setting", context.by_setting),
                             ("income_group", context.by_income),
                             ("design", context.by_design)):
        for code in context.vocabularies[column]:
            pooled = analysis.pooled.get(code)
            stats = _pooled_values(pooled) if pooled is not None else {"k": 0}
            for name, value in stats.items():
                out[_glue_name(prefix, column, code, name)] = value
        if analysis.df_between:
            out[_glue_name(prefix, column, "q_between")] = analysis.q_between
            out[_glue_name(prefix, column, "df_between")] = analysis.df_between
            out[_glue_name(prefix, column, "p_between")] = format_p(analysis.p_between)
    for column, analysis in (context.by_covariate or {}).items():
        for code, pooled in analysis.pooled.items():
            for name, value in _pooled_values(pooled).items():
                out[_glue_name(prefix, column, str(code), name)] = value
    # The whole review first: every study pooled, and the main analysis's studies.
    for name, value in _pooled_values(context.overall).items():
        out[_glue_name(prefix, "all", name)] = value
    out[_glue_name(prefix, "all_studies")] = (
        "the single study" if context.overall.k == 1 else f"all {context.overall.k:,} studies")
    for name, value in _pooled_values(context.main).items():
        out[_glue_name(prefix, "main", name)] = value
    out[_glue_name(prefix, "forest_note")] = forest_note(context)
    out[_glue_name(prefix, "forest_by")] = context.forest_words
    for row in context.comparison.itertuples():
        out[_glue_name(prefix, "published", row.fact_id)] = row.published
        out[_glue_name(prefix, "studies", row.fact_id)] = row.k
        if row.k:
            out[_glue_name(prefix, "reanalysis", row.fact_id)] = row.reanalysis
            out[_glue_name(prefix, "diff", row.fact_id)] = row.difference_pp
    return {name: value for name, value in out.items()
            if isinstance(value, str) or np.isfinite(value)}


def glue_results(context: PrevalenceContext, prefix: str = "prev") -> list[str]:
    """Glue the headline and :func:`glue_values` for the page's prose; the names glued."""
    from myst_nb import glue

    from analysis.chapters.glue import glue_fields

    names = glue_fields(context.headline, prefix)
    for name, value in glue_values(context, prefix).items():
        glue(name, value, display=False)
        names.append(name)
    return names


# ------------------------------------------------------------- the page's paragraphs


def _interval(pooled: PooledPrevalence, ci_words: str = "95% CI ") -> str:
    return (f"{_pct(pooled.prevalence):.1f}% ({ci_words}{_pct(pooled.ci_low):.1f} to "
            f"{_pct(pooled.ci_high):.1f}%)")


def _studies(k: int) -> str:
    return count_words(k, "study", "studies")


def _subgroup_items(context: PrevalenceContext, column: str, analysis: SubgroupAnalysis,
                    none: str) -> list[Myst]:
    """One list item per category of the vocabulary, with or without studies."""
    items = []
    for code, label in context.vocabularies[column].items():
        pooled = analysis.pooled.get(code)
        if pooled is None:
            items.append(Myst("- **{}**: {}.").format(label, none))
        elif pooled.k == 1:
            items.append(Myst("- **{}** (1 study): {}, that study's own estimate.").format(
                label, _interval(pooled)))
        else:
            items.append(Myst("- **{}** ({}): {}.").format(label, _studies(pooled.k),
                                                            _interval(pooled)))
    return items


def question_markdown(package: DataPackage):
    """The chapter's question, in the package's own words (``study.condition``)."""
    return markdown(Myst("How common is {} in the populations that prevalence studies "
                         "sample? This chapter pools the prevalence studies of the data "
                         "package in a random-effects meta-analysis, all of them first and "
                         "then setting by setting, and shows how far the answer depends on "
                         "the analyst's choices.").format(package.study.condition_words))


def method_question_markdown(package: DataPackage):
    """The method page's opening question, in the package's own words."""
    return markdown(Myst("How common is {}? A prevalence meta-analysis answers by pooling "
                         "the prevalences of many studies.").format(
                             package.study.condition_words))


def pooling_markdown(package: DataPackage):
    """What each study reports, in the package's words (``study.case_words``)."""
    return markdown(Myst(
        "*Pooling.* Each study reports how many of the people it assessed were cases "
        "({}): cases out of n. A meta-analysis averages the studies' prevalences, weighting "
        "each by its precision, so that a survey of 3,000 people counts for more than one "
        "of 60.").format(package.study.case_words))


def main_analysis_markdown(context: PrevalenceContext):
    """The main analysis: every study unless the package names a subset
    (``study.prevalence.main``), whose studies the analyses within it take."""
    h, pooled = context.headline, context.main
    if context.main_is_all:
        return markdown(Myst(
            "The main analysis pools every study of this data package, and the analyses "
            "that follow within it (heterogeneity, income groups, the meta-regression and "
            "every scale and estimator) take all {}.").format(_studies(h.k_studies)))
    where = context.main_phrase if list(context.main_where) == ["setting"] else \
        Myst("*{}*").format(context.main_label)
    return markdown(Myst(
        "The main analysis, as the data package declares it, pools the {} of {}: **{}** "
        "on the {} scale. The analyses within it (heterogeneity, income groups, the "
        "meta-regression and every scale and estimator) take these studies.").format(
            _studies(pooled.k), where, _interval(pooled), h.transform_label))


def pooled_markdown(context: PrevalenceContext):
    """The pooled prevalence of every setting, and of every income group within the
    main setting, in the vocabularies' labels and order (categories without a study
    say so)."""
    h = context.headline
    lines = [myst_text(f"The {count_words(h.k_studies, 'prevalence study', 'prevalence studies')} "
                       f"of this data package assessed "
                       f"{count_words(h.n_participants, 'person', 'people')}. Pooled on the "
                       f"{h.transform_label} scale, setting by setting:"), Myst("")]
    lines += _subgroup_items(context, "setting", context.by_setting,
                             "no study of this data package")
    income = context.by_income
    if not income.pooled:
        lines += [Myst(""), Myst("No study of {} reports its country's income group.").format(
            context.main_phrase)]
        return markdown(Myst("\n").join(lines))
    lines += [Myst(""), (Myst("By country income group, over all {}:").format(
        _studies(h.k_main_setting)) if context.main_is_all else Myst(
        "Within {} ({}), by country income group:").format(
            context.main_phrase, count_words(h.k_main_setting, "study", "studies"))), Myst("")]
    lines += _subgroup_items(context, "income_group", income, "no study of this setting")
    return markdown(Myst("\n").join(lines))


def _calibration_sources(context: PrevalenceContext) -> list[str]:
    """The sources the package says its invented studies were calibrated to."""
    said = " ".join(i for i in context.invented if "calibrat" in i.lower())
    return [s for s in dict.fromkeys(context.comparison["short_source"]) if s and s in said]


def cite_source(source: str) -> Myst:
    """A published figure's source as the page prints it, linked to the bibliography.

    The source is the package's own text ('Winsper et al. 2020, Br J Psychiatry ...').
    When the book's bibliography has exactly one work by that first author in that
    year, its author-year part becomes a citation of that work; otherwise the text is
    printed as it is.
    """
    found = re.match(r"\s*([^\W\d][\w'\- ]*?)(?: et al\.?)?,? (\d{4})\b(.*)$", source, re.S)
    if not found:
        return myst_text(source)
    surname, year, rest = found.groups()
    keys = [entry.key for entry in bibliography_entries()
            if entry.year == year and entry.first_author.lower() == surname.strip().lower()]
    if len(keys) != 1:
        return myst_text(source)
    try:
        return myst_role("cite:t", keys[0]) + rest
    except ValueError:  # a key MyST could not take as written: the text as it is
        return myst_text(source)


def comparison_markdown(context: PrevalenceContext):
    """The published figures beside the re-analysis, in words (nothing when the package
    declares none); for synthetic data also what the calibration can and cannot show."""
    table = context.comparison
    if table.empty:
        return None
    first = table.iloc[0]
    n = len(table)
    published = (f"{first['published']:.1f}%" + (
        f" (95% CI {first['published_ci_low']:.1f} to {first['published_ci_high']:.1f}%)"
        if np.isfinite(first["published_ci_low"]) else
        " (approximate, with no confidence interval)" if first["published_kind"] ==
        "approximate" else " (with no confidence interval)"))
    sources = list(dict.fromkeys(table["source"]))
    if n == 1:
        text = [Myst("The data package declares one published prevalence figure, naming the "
                     "studies it compares with: *{}*, {} according to {}.").format(
                         first["quantity"], published, cite_source(first["source"]))]
    else:
        cited = Myst("; ").join(cite_source(s) for s in sources)
        text = [Myst("The data package declares {} published prevalence figures, each naming "
                     "the studies it compares with, from ").format(n)
                + (Myst("one source, {}.").format(cited) if len(sources) == 1 else
                   Myst("{} sources: {}.").format(len(sources), cited))
                + Myst(" The first is *{}*, {} according to {}.").format(
                    first["quantity"], published, first["short_source"])]
    if first["k"]:
        text.append(Myst("Re-analysing the {} of this data package that match it ({}) gives "
                         "**{:.1f}%** (95% CI {:.1f} to {:.1f}%), a difference of {} percentage "
                         "points.").format(
                             _studies(int(first["k"])), first["population"], first["reanalysis"],
                             first["reanalysis_ci_low"], first["reanalysis_ci_high"],
                             _signed(first["difference_pp"])))
    else:
        text.append(f"No study of this data package matches it ({first['population']}), "
                    "so there is nothing to re-analyse.")
    text.append("The table sets " + ("it" if n == 1 else "every figure")
                + " beside the re-analysis of the studies "
                + ("it names." if n == 1 else "each names."))
    paragraphs = [Myst(" ").join(text)]
    if context.synthetic:
        paragraphs.append(_calibration_text(context))
    return markdown(Myst("\n\n").join(p for p in paragraphs if p))


def _calibration_text(context: PrevalenceContext) -> str:
    """What a comparison with invented studies shows (synthetic packages only)."""
    table = context.comparison
    sources = _calibration_sources(context)
    calibrated = table[table["short_source"].isin(sources) & (table["k"] > 0)]
    text = []
    if len(calibrated):
        figures = ("the figure" if len(calibrated) == 1 else
                   f"the {len(calibrated)} figures")
        text.append(f"Across {figures} the package's studies were calibrated to "
                    f"({join_words(sources)}), the largest difference is "
                    f"{calibrated['difference_pp'].abs().max():.2f} percentage points.")
    text.append("A re-analysis of synthetic data cannot reproduce a published estimate "
                "exactly: the synthetic studies are invented whole-number counts"
                + (" whose pooled value was tuned to land near the published point "
                   "estimate under the main analysis" if len(calibrated) else "")
                + ", not the real studies with their own sample sizes, heterogeneity and "
                "analytic choices"
                + (", so only the point estimates agree, and only to within that "
                   "calibration." if len(calibrated) else "."))
    for row in table[table["published_kind"] == "approximate"].itertuples():
        text.append(f"The published figure for {row.population} is approximate: "
                    f"{row.source}.")
    for row in table[~table["short_source"].isin(sources) & (table["k"] > 0)].itertuples():
        text.append(f"The data were not calibrated to {row.short_source}: its row "
                    f"({row.population}) compares a published figure with "
                    f"{'an invented study' if row.k == 1 else f'{row.k} invented studies'} "
                    "and says nothing about the population it describes.")
    return " ".join(text)


def comparison_table(context: PrevalenceContext):
    """The published-versus-re-analysis table, or nothing when no figure is declared."""
    if context.comparison.empty:
        return None
    from analysis.chapters.page import show_table

    return show_table(comparison_view(context.comparison), precision=2,
                      caption="Published prevalence (%) and the re-analysis of the matching "
                              "studies; difference = re-analysis minus published, in "
                              "percentage points")


def _heterogeneity_words(pooled: PooledPrevalence) -> str:
    if pooled.q_p < 0.05:
        return ("disagree far more than their sampling error allows"
                if pooled.i2_percent >= 75 else
                "disagree more than their sampling error allows")
    return "disagree no more than their sampling error would allow"


def heterogeneity_markdown(context: PrevalenceContext):
    """Heterogeneity among the main setting's studies, for one, two or many studies."""
    pooled, where, scale = context.main, context.main_phrase, context.headline.transform_label
    if pooled.k == 1:
        return markdown(Myst(
            "There is a single study in {}, so there is no between-study variance to "
            "estimate: no tau², I², Q or prediction interval. Its prevalence is that study's "
            "own, {}.").format(where, _interval(pooled)))
    df = count_words(pooled.q_df, "degree", "degrees")
    text = [Myst("The {} of {} {}: I² is {:.1f}% (Q = {:.1f} on {} of freedom, "
                 "p {}) and tau² is {:.3f} on the {} scale.").format(
                     _studies(pooled.k), where, _heterogeneity_words(pooled), pooled.i2_percent,
                     pooled.q, df, format_p(pooled.q_p), pooled.tau2, scale)]
    if np.isfinite(pooled.pi_low):
        text.append(f"The 95% prediction interval runs from {_pct(pooled.pi_low):.1f}% to "
                    f"{_pct(pooled.pi_high):.1f}%: a new study like these could plausibly "
                    "find any prevalence in that range, which the single pooled figure of "
                    f"{_pct(pooled.prevalence):.1f}% hides.")
    else:
        text.append("With two studies there is no prediction interval: it needs at least "
                    "three, for its t distribution has k − 2 degrees of freedom.")
    fixed = _pct(pooled.fixed_prevalence)
    if pooled.tau2 > 0 and pooled.q_p < 0.05:
        text.append(f"(The fixed-effect estimate, {fixed:.1f}%, leans towards the largest "
                    "studies and is not the right summary for studies this diverse.)")
    elif pooled.tau2 > 0:
        text.append(f"(The fixed-effect estimate is {fixed:.1f}%.)")
    else:
        text.append("tau² is estimated at zero, so the random-effects estimate is the "
                    f"fixed-effect one, {fixed:.1f}%.")
    return markdown(Myst(" ").join(text))


def _how_different(p: float) -> str:
    return ("far more than chance allows" if p < 0.001 else "more than chance allows"
            if p < 0.05 else "no more than chance would allow")


def _between_words(analysis: SubgroupAnalysis) -> str:
    return (f"{_how_different(analysis.p_between)} (test for subgroup differences "
            f"Q = {analysis.q_between:.1f}, df = {analysis.df_between}, "
            f"p {format_p(analysis.p_between)})")


def subgroups_markdown(context: PrevalenceContext):
    """The tests between settings and between income groups, in words that fit one
    subgroup or many."""
    by_setting, income = context.by_setting, context.by_income
    where = context.main_phrase
    text = []
    if by_setting.df_between:
        text.append(f"The settings differ {_between_words(by_setting)}.")
    else:
        text.append(Myst("Every study sampled one setting, *{}*, so there is no test between "
                         "settings.").format(context.label("setting",
                                                           next(iter(by_setting.pooled)))))
    labels = [Myst("*{}*").format(context.label("income_group", c)) for c in income.pooled]
    if income.df_between:
        text.append(Myst("Among the studies of {}, the income groups ({}) "
                         "differ {}.").format(where, join_words(labels), _between_words(income)))
    elif labels:
        text.append(Myst("The studies of {} are all from one income group ({}), "
                         "so there is no test between income groups.").format(where, labels[0]))
    else:
        text.append(Myst("No study of {} reports its country's income group, so there is no "
                         "test between income groups.").format(where))
    for column, analysis in (context.by_covariate or {}).items():
        title = context.title(column)
        if analysis.df_between:
            text.append(Myst("By *{}*, over every study, the subgroups differ {}.").format(
                title, _between_words(analysis)))
        elif analysis.pooled:
            text.append(Myst("Every study that reports *{}* has the same one, *{}*.").format(
                title, context.label(column, next(iter(analysis.pooled)))))
    singles = any(p.k == 1 for a in (by_setting, income, *(context.by_covariate or {}).values())
                  for p in a.pooled.values())
    text.append("Each subgroup has its own tau²; "
                + ("a subgroup of one study is shown as that study alone."
                   if singles else "a subgroup of one study would be shown as that study "
                                   "alone."))
    return markdown(Myst(" ").join(text))


def setting_table(context: PrevalenceContext):
    """The pooled prevalence of every setting, and of all studies in the last row."""
    from analysis.chapters.page import show_table

    view = subgroup_view(context.by_setting)
    overall = _subgroup_cells(_overall_row(context.overall), view.index.name)
    return show_table(pd.concat([view, overall]),
                      caption="Pooled prevalence by setting, and of all studies (last "
                              "row): random effects; k studies; PI, prediction interval; Q, "
                              "Cochran's Q")


def characteristics_table(context: PrevalenceContext):
    """The table of the studies and their characteristics (:func:`characteristics_view`)."""
    from analysis.chapters.page import show_table

    return show_table(context.characteristics,
                      caption="The prevalence studies: each study's characteristics as "
                              "the data package gives them")


def not_reported_markdown(context: PrevalenceContext):
    """What the studies' sources did not report, counted per column ("study design not
    reported for 1 study"); nothing when every value is reported."""
    view = context.characteristics
    counts = [(column, int((view[column] == NOT_REPORTED).sum())) for column in view.columns
              if not pd.api.types.is_numeric_dtype(view[column])]
    said = [Myst("{} for {}").format(in_sentence(column), _studies(n)) for column, n in counts if n]
    if not said:
        return None
    return markdown(Myst("Not reported by the sources: {}; the analyses that split the "
                         "studies by such a column leave these studies out of its "
                         "subgroups.").format(Myst("; ").join(said)))


def _overall_row(pooled: PooledPrevalence) -> pd.DataFrame:
    """One pooled estimate as a row of a subgroup table (percentages, as ``subgroups``)."""
    return pd.DataFrame([{
        "subgroup": "All studies", "k": pooled.k, "n": pooled.n,
        "prevalence": _pct(pooled.prevalence), "ci_low": _pct(pooled.ci_low),
        "ci_high": _pct(pooled.ci_high), "pi_low": _pct(pooled.pi_low),
        "pi_high": _pct(pooled.pi_high), "tau2": pooled.tau2,
        "i2_percent": pooled.i2_percent, "q": pooled.q, "q_df": pooled.q_df,
        "q_p": pooled.q_p}])


def forest_table(context: PrevalenceContext):
    """The forest plot's numbers, study by study (:func:`forest_view`)."""
    from analysis.chapters.page import show_table

    words = context.forest_words
    return show_table(forest_view(context.studies, context.study_labels,
                                  context.title(context.forest_by)),
                      caption=f"The forest plot's numbers: every study by {words}, its "
                              "prevalence (%) with 95% CI and its weight (%) within the "
                              f"{words}")


def income_table(context: PrevalenceContext):
    """The income groups within the main analysis (nothing when no study reports one)."""
    if not context.by_income.pooled:
        return None
    from analysis.chapters.page import show_table

    return show_table(subgroup_view(context.by_income),
                      caption=f"{context.main_label} studies: pooled prevalence by country "
                              "income group")


def covariate_tables(context: PrevalenceContext):
    """One table per covariate the package declares: every study, by its category."""
    from IPython.display import display

    from analysis.chapters.page import show_table

    for column, analysis in (context.by_covariate or {}).items():
        if analysis.pooled:
            view = subgroup_view(analysis)
            view.index.name = context.title(column)
            display(show_table(view, caption=f"Pooled prevalence by {context.title(column)}"
                                             ": every study; k studies; PI, prediction "
                                             "interval; Q, Cochran's Q"))


def regression_markdown(context: PrevalenceContext):
    """What the meta-regression of the main setting's studies finds, or why there is
    none."""
    what = context.title(context.covariate).lower()
    k = context.headline.k_main_setting
    where = Myst("the {} of {}").format("single study" if k == 1 else _studies(k),
                                         context.main_phrase)
    reg = context.regression
    if reg is None:
        return markdown(Myst("A meta-regression on {} cannot be fitted to {}: {}.").format(
            what, where, context.regression_reason))
    df = count_words(reg.qm_df, "degree", "degrees")
    return markdown(Myst(
        "Does a study's {} explain some of the differences between {}? The test of the "
        "moderator gives Q = {:.2f} on {} of freedom (p {}), and the moderator accounts for "
        "{:.0f}% of tau² (residual tau² {:.3f}).").format(
            what.removeprefix("study "), where, reg.qm, df, format_p(reg.qm_p), reg.r2_percent,
            reg.tau2_residual))


def regression_table(context: PrevalenceContext):
    if context.regression is None:
        return None
    from analysis.chapters.page import show_table

    return show_table(regression_view(context.regression),
                      caption=f"Univariable meta-regression of the {context.main_label} "
                              "studies")


def sensitivity_markdown(context: PrevalenceContext):
    """What the table of every scale and estimator holds."""
    k, where = context.headline.k_main_setting, context.main_phrase
    if k == 1:
        return markdown(Myst(
            "The single study of {} under every scale and tau² estimator (the "
            "row marked is this page's): with one study nothing is pooled, so the rows differ "
            "only in the scale its confidence interval is computed on.").format(where))
    return markdown(Myst(
        "The {} of {} pooled under every combination of scale and tau² "
        "estimator (the row marked is this page's).").format(_studies(k), where))


def sensitivity_table(context: PrevalenceContext):
    from analysis.chapters.page import show_table

    return show_table(context.sensitivity, precision=2,
                      caption=f"{context.main_label} prevalence (%) under each scale and "
                              "tau² estimator")


def single_study_settings(context: PrevalenceContext) -> list[str]:
    """Labels of the settings with a single study, in the vocabulary's order."""
    return [context.label("setting", code) for code, pooled in context.by_setting.pooled.items()
            if pooled.k == 1]


def forest_note(context: PrevalenceContext) -> str:
    """The last sentence of the forest plot's caption."""
    groups = context.forest_groups
    unreported = ""
    if NOT_REPORTED_GROUP in groups.pooled:
        k = groups.pooled[NOT_REPORTED_GROUP].k
        them = "it" if k == 1 else "them"
        unreported = (f" {count_words(k, 'study', 'studies')} that do{'es' if k == 1 else ''} "
                      f"not report the {context.forest_words} form{'s' if k == 1 else ''} "
                      "the group 'Not reported'" + (
                          f"; the test for subgroup differences leaves {them} out."
                          if groups.df_between else "."))
    if not groups.df_between:
        return "The last rows pool every study together." + unreported
    if context.forest_by == "setting":
        return ("The last rows pool all settings together, for reference only: the "
                f"settings differ {_how_different(groups.p_between)}.") + unreported
    return ("The last rows pool every study together, for reference only: the groups by "
            f"{context.forest_words} differ {_how_different(groups.p_between)}."
            ) + unreported


def correction_note(eff: StudyEffects) -> list[str]:
    """The continuity correction in a sentence, when any study needed one."""
    if not eff.n_corrected:
        return []
    return [f"{eff.n_corrected} of {eff.k} studies had no cases or only cases; "
            f"{eff.continuity:g} was added to their cases and non-cases "
            f"({TRANSFORMS[eff.transform]} scale), and to no other study."]


def freeman_tukey_note(eff: StudyEffects, effect: float | None = None) -> list[str]:
    """The Freeman-Tukey caveat, with how much the choice of n moves this estimate
    (:func:`analysis.stats.prevalence.freeman_tukey_at_extremes`)."""
    if eff.transform != "freeman_tukey":
        return []
    note = (f"{FREEMAN_TUKEY_CAVEAT} Here the harmonic mean is {eff.harmonic_n:,.0f} and "
            f"the sample sizes run from {eff.n.min():,.0f} to {eff.n.max():,.0f}")
    if effect is not None:
        at_min, at_max = freeman_tukey_at_extremes(eff, effect)
        note += (f"; back-transformed at those two sizes instead, the same pooled value "
                 f"would read {100 * at_min:.2f}% and {100 * at_max:.2f}%")
    return [note + "."]


def method_notes(context: PrevalenceContext):
    """The analysis's own caveats (continuity corrections, Freeman-Tukey) as Markdown.

    Displays nothing visible when there is nothing to say.
    """
    if not context.notes:
        return markdown(Myst("*No study needed a continuity correction, and the analysis "
                             "scale has an exact back-transformation.*"))
    return markdown(Myst("\n\n").join(Myst("> **Note.** {}").format(note)
                                       for note in context.notes))


def exercise_code(data_dir: str):
    """The code the exercises start from, reading the book's own data package."""
    return markdown(myst_code_block(
        "from analysis.contract.validation import load_package\n"
        "from analysis.stats import prevalence\n\n"
        f"studies = load_package({json.dumps(str(data_dir))})[\"prevalence_studies\"]\n"
        "pooled = prevalence.pool(studies[\"cases\"], studies[\"n\"], transform=\"logit\", "
        "tau2_method=\"dl\")", "python"))
