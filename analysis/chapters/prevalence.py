"""What the Prevalence context chapter shows and says: the page's view model (one
:class:`PrevalenceContext` with the numbers its prose quotes), its tables as a reader sees
them, and the published figures beside the re-analysis.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.contract.package import DataPackage
from analysis.contract.published import published_facts
from analysis.stats.prevalence import (COVARIATE_LABELS, LEVEL, TAU2_METHODS, TRANSFORMS,
                                       FreemanTukeyWarning, MetaRegression, PooledPrevalence,
                                       SubgroupAnalysis, correction_note, estimate,
                                       freeman_tukey_note, meta_regression, study_effects,
                                       study_table, subgroups, tau2_name, transform_name)


def _pct(value: float) -> float:
    return 100 * value


def format_p(p: float) -> str:
    """A p-value as prose writes it: '< 0.001' or '= 0.042'."""
    if not np.isfinite(p):
        return "not applicable"
    # A no-break space keeps '< 0.001' on one line in prose and in table cells.
    return "<\u00a00.001" if p < 0.001 else f"=\u00a0{p:.3f}"


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
    t = analysis.table
    index = COVARIATE_LABELS.get(analysis.by, analysis.by)
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


@dataclass(frozen=True)
class Comparison:
    """A published figure and the part of the data package that re-analyses it."""

    fact_id: str
    population: str
    where: tuple[tuple[str, str], ...]


COMPARISONS = (
    Comparison("prevalence_community", "Community", (("setting", "community"),)),
    Comparison("prevalence_high_income", "Community, high-income countries",
               (("setting", "community"), ("income_group", "high"))),
    Comparison("prevalence_low_middle_income", "Community, low- and middle-income countries",
               (("setting", "community"), ("income_group", "low_middle"))),
    Comparison("prevalence_primary_care", "Primary care attenders",
               (("setting", "primary_care"),)),
    Comparison("prevalence_outpatient", "Psychiatric outpatients",
               (("setting", "outpatient"),)),
    Comparison("prevalence_great_britain", "Community, UK studies",
               (("setting", "community"), ("country", "UK"))),
)


def _select(studies: pd.DataFrame, where) -> pd.DataFrame:
    mask = np.ones(len(studies), dtype=bool)
    for column, value in where:
        mask &= (studies[column] == value).to_numpy()
    return studies[mask]


def _short_source(source: str) -> str:
    """'Winsper et al. 2020, Br J ...' -> 'Winsper et al. 2020'."""
    return source.split(",")[0].strip()


def published_comparison(studies: pd.DataFrame, facts: pd.DataFrame, transform: str = "logit",
                         tau2_method: str = "dl", level: float = LEVEL) -> pd.DataFrame:
    """Each published prevalence beside the re-analysis of the matching studies.

    ``difference_pp`` is re-analysis minus published, in percentage points. A
    population with no studies in the package gets an empty re-analysis; one with a
    single study gets that study's own estimate.
    """
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        for comp in COMPARISONS:
            if comp.fact_id not in facts.index:
                continue  # the package does not declare this published figure
            fact = facts.loc[comp.fact_id]
            chosen = _select(studies, comp.where)
            nan = float("nan")
            value = low = high = nan
            if len(chosen):
                res = estimate(chosen["cases"], chosen["n"], transform, tau2_method, level)
                value, low, high = _pct(res.prevalence), _pct(res.ci_low), _pct(res.ci_high)
            rows.append({
                "fact_id": comp.fact_id, "population": comp.population,
                "published": float(fact["number"]), "published_ci_low": float(fact["ci_low"]),
                "published_ci_high": float(fact["ci_high"]),
                "published_kind": str(fact["kind"]), "source": _short_source(fact["source"]),
                "k": len(chosen), "reanalysis": value, "reanalysis_ci_low": low,
                "reanalysis_ci_high": high, "difference_pp": value - float(fact["number"]),
            })
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


COMPARISON_COLUMNS = ["fact_id", "population", "published", "published_ci_low",
                      "published_ci_high", "published_kind", "source", "k", "reanalysis",
                      "reanalysis_ci_low", "reanalysis_ci_high", "difference_pp"]


def comparison_view(table: pd.DataFrame) -> pd.DataFrame:
    """The published-versus-re-analysis table as a reader sees it."""
    published_text = []
    for v, lo, hi, kind in zip(table["published"], table["published_ci_low"],
                               table["published_ci_high"], table["published_kind"]):
        if np.isfinite(lo):
            published_text.append(_estimate_text(v, lo, hi))
        else:
            published_text.append(f"{v:.1f} ({'approx.; ' if kind == 'approximate' else ''}"
                                  "no CI)")
    return pd.DataFrame({
        "Population": table["population"],
        "Published, % (95% CI)": published_text,
        "Source": table["source"],
        "Studies": table["k"],
        "Re-analysis, % (95% CI)": [_estimate_text(*r, digits=2) for r in zip(
            table["reanalysis"], table["reanalysis_ci_low"], table["reanalysis_ci_high"])],
        "Difference, pp": [_signed(d) for d in table["difference_pp"]],
    }).set_index("Population")


def sensitivity_view(studies: pd.DataFrame, setting: str = "community",
                      transform: str = "logit", tau2_method: str = "dl",
                      level: float = LEVEL) -> pd.DataFrame:
    """The pooled prevalence of one setting under every transform and tau² estimator.

    ``this_page`` marks the combination the page was run with. tau² is on each
    transform's own scale, so only I² and the percentages compare across rows.
    """
    rows_ = studies[studies["setting"] == setting]
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
                    "I², %": f"{res.i2_percent:.1f}",
                    "This page": "✓" if (t, m) == (transform, tau2_name(tau2_method))
                    else "",
                })
    return pd.DataFrame(rows).set_index(["Transform", "tau² estimator"])


@dataclass(frozen=True)
class Headline:
    """Every number the chapter's prose quotes: percentages unless named otherwise.

    ``*_i2`` are I² in %; ``*_tau2`` are on the analysis scale; ``*_p`` are p-values
    written for prose ('< 0.001'); ``diff_*`` are re-analysis minus published, in
    percentage points.
    """

    transform_label: str
    tau2_method_label: str
    k_studies: int
    n_participants: int
    k_community: int
    k_high_income: int
    k_low_middle_income: int
    k_primary_care: int
    k_outpatient: int
    n_corrected: int
    community: float
    community_ci_low: float
    community_ci_high: float
    community_pi_low: float
    community_pi_high: float
    community_fixed: float
    community_tau2: float
    community_i2: float
    community_q: float
    community_q_df: int
    community_q_p: str
    community_harmonic_n: float
    high_income: float
    high_income_ci_low: float
    high_income_ci_high: float
    low_middle_income: float
    low_middle_income_ci_low: float
    low_middle_income_ci_high: float
    primary_care: float
    primary_care_ci_low: float
    primary_care_ci_high: float
    outpatient: float
    outpatient_ci_low: float
    outpatient_ci_high: float
    setting_q_between: float
    setting_df_between: int
    setting_p_between: str
    income_q_between: float
    income_df_between: int
    income_p_between: str
    published_community: float
    diff_community: float
    max_abs_diff_calibrated: float
    regression_covariate: str
    regression_qm: float
    regression_qm_df: int
    regression_qm_p: str
    regression_r2: float
    regression_tau2_residual: float


@dataclass(frozen=True, eq=False)
class PrevalenceContext:
    """Everything the Prevalence context chapter shows, computed once."""

    transform: str
    tau2_method: str
    studies: pd.DataFrame
    by_setting: SubgroupAnalysis
    by_income: SubgroupAnalysis
    overall: PooledPrevalence
    regression: MetaRegression
    comparison: pd.DataFrame
    sensitivity: pd.DataFrame
    headline: Headline
    notes: tuple[str, ...]


# The published figures the bundled synthetic data were calibrated to (analysis.synth).
CALIBRATED = ("prevalence_community", "prevalence_high_income",
              "prevalence_low_middle_income", "prevalence_primary_care",
              "prevalence_outpatient")


def _require(pooled: Mapping[str, PooledPrevalence], key: str, what: str) -> PooledPrevalence:
    if key not in pooled:
        raise ValueError(f"the chapter needs {what} in prevalence_studies.csv and found "
                         "none; add them, or drop the prevalence page from book/pages.yml")
    return pooled[key]


def prevalence_context(package: DataPackage, transform: str = "logit",
                       tau2_method: str = "dl", covariate: str = "design",
                       level: float = LEVEL) -> PrevalenceContext:
    """The whole Prevalence context chapter from one data package.

    Parameters
    ----------
    package : DataPackage
        A validated data package.
    transform, tau2_method, level
        As in :func:`pool`.
    covariate : str
        Covariate of the meta-regression on the community studies.
    """
    transform, method = transform_name(transform), tau2_name(tau2_method)
    studies = package["prevalence_studies"]
    by_setting = subgroups(studies, "setting", transform, method, level)
    community_rows = studies[studies["setting"] == "community"]
    by_income = subgroups(community_rows, "income_group", transform, method, level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        overall = estimate(studies["cases"], studies["n"], transform, method, level)
    regression = meta_regression(studies, covariate, transform, method, "community", level)
    comparison = published_comparison(studies, published_facts(package), transform, method,
                                      level)
    c = _require(by_setting.pooled, "community", "community studies")
    hi = _require(by_income.pooled, "high", "high-income community studies")
    lm = _require(by_income.pooled, "low_middle", "low- and middle-income community studies")
    pc = _require(by_setting.pooled, "primary_care", "primary care studies")
    op = _require(by_setting.pooled, "outpatient", "outpatient studies")
    diffs = comparison.set_index("fact_id")["difference_pp"]
    eff = study_effects(studies["cases"], studies["n"], transform)
    headline = Headline(
        transform_label=TRANSFORMS[transform], tau2_method_label=TAU2_METHODS[method][1],
        k_studies=len(studies), n_participants=int(studies["n"].sum()),
        k_community=c.k, k_high_income=hi.k, k_low_middle_income=lm.k,
        k_primary_care=pc.k, k_outpatient=op.k, n_corrected=eff.n_corrected,
        community=_pct(c.prevalence), community_ci_low=_pct(c.ci_low),
        community_ci_high=_pct(c.ci_high), community_pi_low=_pct(c.pi_low),
        community_pi_high=_pct(c.pi_high), community_fixed=_pct(c.fixed_prevalence),
        community_tau2=c.tau2, community_i2=c.i2_percent, community_q=c.q,
        community_q_df=c.q_df, community_q_p=format_p(c.q_p),
        community_harmonic_n=c.harmonic_n,
        high_income=_pct(hi.prevalence), high_income_ci_low=_pct(hi.ci_low),
        high_income_ci_high=_pct(hi.ci_high),
        low_middle_income=_pct(lm.prevalence), low_middle_income_ci_low=_pct(lm.ci_low),
        low_middle_income_ci_high=_pct(lm.ci_high),
        primary_care=_pct(pc.prevalence), primary_care_ci_low=_pct(pc.ci_low),
        primary_care_ci_high=_pct(pc.ci_high),
        outpatient=_pct(op.prevalence), outpatient_ci_low=_pct(op.ci_low),
        outpatient_ci_high=_pct(op.ci_high),
        setting_q_between=by_setting.q_between, setting_df_between=by_setting.df_between,
        setting_p_between=format_p(by_setting.p_between),
        income_q_between=by_income.q_between, income_df_between=by_income.df_between,
        income_p_between=format_p(by_income.p_between),
        published_community=float(comparison.set_index("fact_id")
                                   .loc["prevalence_community", "published"]),
        diff_community=float(diffs["prevalence_community"]),
        max_abs_diff_calibrated=float(diffs[list(CALIBRATED)].abs().max()),
        regression_covariate=regression.covariate_label.lower(),
        regression_qm=regression.qm, regression_qm_df=regression.qm_df,
        regression_qm_p=format_p(regression.qm_p), regression_r2=regression.r2_percent,
        regression_tau2_residual=float(regression.tau2_residual),
    )
    return PrevalenceContext(
        transform=transform, tau2_method=method,
        studies=study_table(studies, "setting", transform, method, level),
        by_setting=by_setting, by_income=by_income, overall=overall,
        regression=regression, comparison=comparison,
        sensitivity=sensitivity_view(studies, "community", transform, method, level),
        headline=headline, notes=tuple(correction_note(eff) + freeman_tukey_note(
            study_effects(community_rows["cases"], community_rows["n"], transform), c.effect)),
    )


def method_notes(context: PrevalenceContext):
    """The analysis's own caveats (continuity corrections, Freeman-Tukey) as Markdown.

    Displays nothing visible when there is nothing to say.
    """
    from IPython.display import Markdown

    if not context.notes:
        return Markdown("*No study needed a continuity correction, and the analysis scale "
                        "has an exact back-transformation.*")
    return Markdown("\n\n".join(f"> **Note.** {note}" for note in context.notes))
