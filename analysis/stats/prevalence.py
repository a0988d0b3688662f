"""Random-effects meta-analysis of prevalence.

Each study's proportion ``cases / n`` is moved to a scale on which it is roughly normal
with a known sampling variance (logit by default), the studies are pooled by
inverse-variance weighting with :func:`statsmodels.stats.meta_analysis.combine_effects`,
and every estimate is moved back to the proportion scale for reporting.

What is computed, and where it comes from:

- **Effect sizes** (:func:`study_effects`): logit, Freeman-Tukey double arcsine, arcsine
  and the untransformed proportion, defined as in metafor's ``escalc`` (measures
  ``PLO``, ``PFT``, ``PAS``, ``PR``). A continuity correction of 0.5 is added only to
  studies with no cases or only cases, and only where the scale needs it (logit and
  raw proportion); the result says how many studies were corrected.
- **Pooling** (:func:`pool`): fixed effect and random effects, the between-study variance
  tau² by DerSimonian and Laird (1986) or Paule and Mandel (1982); Cochran's Q; I² and
  H² from tau² and the "typical" within-study variance (Higgins and Thompson 2002),
  which is what metafor reports; the 95% prediction interval of Higgins, Thompson and
  Spiegelhalter (2009), with a t distribution on k - 2 degrees of freedom.
- **Subgroups** (:func:`subgroups`): a separate random-effects model per subgroup and
  the between-subgroup Q test on the subgroup estimates (Borenstein et al. 2009, ch. 19).
- **Meta-regression** (:func:`meta_regression`): a mixed-effects model fitted by weighted
  least squares with weights ``1 / (v_i + tau²)`` and the residual tau² estimated by the
  same method as the pooled model, with z tests as in metafor's default.

References
----------
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR (2009). Introduction to
Meta-Analysis. Chichester: Wiley.
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical
Trials 7:177-188.
Freeman MF, Tukey JW (1950). Transformations related to the angular and the square root.
Annals of Mathematical Statistics 21:607-611.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
Statistics in Medicine 21:1539-1558.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
meta-analysis. Journal of the Royal Statistical Society A 172:137-159.
Miller JJ (1978). The inverse of the Freeman-Tukey double arcsine transformation. The
American Statistician 32:138.
Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of
the National Bureau of Standards 87:377-385.
Raudenbush SW (2009). Analyzing effect sizes: random-effects models. In Cooper H, Hedges
LV, Valentine JC (eds), The Handbook of Research Synthesis and Meta-Analysis, 2nd ed.
Schwarzer G, Chemaitelly H, Abu-Raddad LJ, Rucker G (2019). Seriously misleading results
using inverse of Freeman-Tukey double arcsine transformation in meta-analysis of single
proportions. Research Synthesis Methods 10:476-483.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit
# The two modules used, not statsmodels.api: that imports all of statsmodels (time
# series, datasets, graphics), a second of start-up in every kernel.
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.meta_analysis import combine_effects

CONTINUITY = 0.5
LEVEL = 0.95
TRANSFORMS = {
    "logit": "logit",
    "freeman_tukey": "Freeman-Tukey double arcsine",
    "arcsine": "arcsine square root",
    "proportion": "untransformed proportion",
}
TAU2_METHODS = {  # our name: (statsmodels' method_re, label)
    "dl": ("dl", "DerSimonian-Laird"),
    "pm": ("iterated", "Paule-Mandel"),
}
TAU2_ALIASES = {"iterated": "pm", "paule_mandel": "pm", "dersimonian_laird": "dl"}
# Scales on which a proportion of 0 or 1 has no finite effect or no positive variance.
NEEDS_CORRECTION = {"logit", "proportion"}


class FreemanTukeyWarning(UserWarning):
    """The Freeman-Tukey back-transformation can mislead; see :data:`FREEMAN_TUKEY_CAVEAT`."""


FREEMAN_TUKEY_CAVEAT = (
    "The Freeman-Tukey double arcsine has no single inverse: a pooled value is turned back "
    "into a proportion with Miller's (1978) formula evaluated at one sample size, here the "
    "harmonic mean of the studies' sample sizes. Schwarzer et al. (2019) showed that this "
    "can give seriously misleading results when the sample sizes differ a lot: the "
    "back-transformed estimate and its interval can move far from the study proportions, "
    "even outside their range, and depend on which sample size is plugged in. Use it as a "
    "sensitivity analysis beside the logit analysis, never as the only one.")


# ------------------------------------------------------------------ effect sizes


def _check_counts(cases, n) -> tuple[np.ndarray, np.ndarray]:
    """Counts as float arrays, or a ValueError that says which study is wrong."""
    cases = np.atleast_1d(np.asarray(cases, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if cases.shape != n.shape or cases.ndim != 1:
        raise ValueError(f"cases and n must be two lists of the same length; got "
                         f"{cases.size} case counts and {n.size} sample sizes")
    if cases.size == 0:
        raise ValueError("no studies to analyse: supply at least one (cases, n) pair")
    # Whole-array masks: a scaled-up package has thousands of studies, and this runs on
    # every page that pools them. Only the studies named in the message are formatted.
    missing = ~(np.isfinite(cases) & np.isfinite(n))
    with np.errstate(invalid="ignore"):
        bad_n = ~missing & ((n < 1) | (n != np.round(n)))
        bad_cases = ~missing & ~bad_n & ((cases < 0) | (cases > n) | (cases != np.round(cases)))
    wrong = np.flatnonzero(missing | bad_n | bad_cases)
    if wrong.size:
        problems = []
        for i in wrong[:5]:
            x, m = cases[i], n[i]
            if missing[i]:
                problems.append(f"study {i + 1}: cases={x}, n={m} must both be given")
            elif bad_n[i]:
                problems.append(f"study {i + 1}: n={m:g} must be a whole number of at least 1")
            else:
                problems.append(f"study {i + 1}: cases={x:g} must be a whole number "
                                f"from 0 to n={m:g}")
        raise ValueError("invalid counts; correct them in prevalence_studies.csv: "
                         + "; ".join(problems)
                         + (f"; and {wrong.size - 5} more" if wrong.size > 5 else ""))
    return cases, n


def transform_name(transform: str) -> str:
    if transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}; use one of: "
                         f"{', '.join(TRANSFORMS)}")
    return transform


def tau2_name(method: str) -> str:
    method = TAU2_ALIASES.get(method, method)
    if method not in TAU2_METHODS:
        raise ValueError(f"unknown tau2_method {method!r}; use 'dl' (DerSimonian-Laird) "
                         "or 'pm' (Paule-Mandel)")
    return method


@dataclass(frozen=True, eq=False)
class StudyEffects:
    """Study proportions on the analysis scale, with their sampling variances.

    ``corrected`` marks the studies to which ``continuity`` was added (those with no
    cases or only cases, on a scale that needs it).
    """

    transform: str
    cases: np.ndarray
    n: np.ndarray
    effect: np.ndarray
    variance: np.ndarray
    corrected: np.ndarray
    continuity: float

    @property
    def k(self) -> int:
        return int(self.effect.size)

    @property
    def n_corrected(self) -> int:
        return int(self.corrected.sum())

    @property
    def harmonic_n(self) -> float:
        """Harmonic mean of the sample sizes (Miller's n for the pooled value)."""
        return float(stats.hmean(self.n))


def study_effects(cases, n, transform: str = "logit",
                  continuity: float = CONTINUITY) -> StudyEffects:
    """Proportions on the analysis scale and their sampling variances.

    ============== ================================================ ===================
    transform      effect ``y``                                     variance ``v``
    ============== ================================================ ===================
    logit          ``log(x / (n - x))``                             ``1/x + 1/(n - x)``
    freeman_tukey  ``(asin sqrt(x/(n+1)) + asin sqrt((x+1)/(n+1)))/2``  ``1/(4n + 2)``
    arcsine        ``asin sqrt(x/n)``                               ``1/(4n)``
    proportion     ``x / n``                                        ``p(1 - p)/n``
    ============== ================================================ ===================

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes, one per study (``0 <= cases <= n``, ``n >= 1``).
    transform : {"logit", "freeman_tukey", "arcsine", "proportion"}
        Scale of the analysis. The Freeman-Tukey effect is half the original double
        arcsine, as in metafor's ``PFT``.
    continuity : float
        Added to the events and the non-events of a study with no cases or only cases,
        on the logit and proportion scales only (where such a study has an infinite
        effect or zero variance). The arcsine scales need no correction.

    Returns
    -------
    StudyEffects

    Raises
    ------
    ValueError
        Counts that are missing, negative, not whole, or with more cases than people.

    References
    ----------
    Freeman and Tukey (1950); Viechtbauer (2010), ``escalc`` measures PLO, PFT, PAS, PR.
    """
    transform = transform_name(transform)
    x, m = _check_counts(cases, n)
    extreme = (x == 0) | (x == m)
    corrected = extreme if transform in NEEDS_CORRECTION else np.zeros_like(extreme)
    xc = np.where(corrected, x + continuity, x)
    mc = np.where(corrected, m + 2 * continuity, m)
    if transform == "logit":
        effect = np.log(xc / (mc - xc))
        variance = 1 / xc + 1 / (mc - xc)
    elif transform == "proportion":
        effect = xc / mc
        variance = effect * (1 - effect) / mc
    elif transform == "arcsine":
        effect = np.arcsin(np.sqrt(x / m))
        variance = 1 / (4 * m)
    else:
        effect = freeman_tukey(x, m)
        variance = 1 / (4 * m + 2)
    return StudyEffects(transform, x, m, effect, variance, corrected, continuity)


def freeman_tukey(cases, n) -> np.ndarray:
    """Freeman-Tukey double arcsine, halved as in metafor (range 0 to pi/2)."""
    x, m = np.asarray(cases, dtype=float), np.asarray(n, dtype=float)
    return 0.5 * (np.arcsin(np.sqrt(x / (m + 1))) + np.arcsin(np.sqrt((x + 1) / (m + 1))))


def inverse_freeman_tukey(values, n) -> np.ndarray:
    """Miller's (1978) inverse of the (halved) double arcsine at sample size ``n``.

    ``p = (1 - sgn(cos t) sqrt(1 - (sin t + (sin t - 1/sin t)/n)^2)) / 2`` with
    ``t = 2y``. Values below the transform of 0 events (or above that of n events)
    have no inverse and are returned as 0 (or 1), as metafor's ``transf.ipft`` does.

    References
    ----------
    Miller (1978); Schwarzer et al. (2019) on the consequences of choosing ``n``.
    """
    y = np.asarray(values, dtype=float)
    m = np.broadcast_to(np.asarray(n, dtype=float), y.shape)
    t = 2 * y
    s = np.sin(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = np.clip(1 - (s + (s - 1 / s) / m) ** 2, 0, 1)
        p = 0.5 * (1 - np.sign(np.cos(t)) * np.sqrt(inner))
    p = np.where(y <= freeman_tukey(0, m), 0.0, p)
    p = np.where(y >= freeman_tukey(m, m), 1.0, p)
    return np.clip(np.nan_to_num(p), 0, 1)


def back_transform(values, transform: str, n=None) -> np.ndarray:
    """Values on the analysis scale as proportions in [0, 1].

    Parameters
    ----------
    values : array-like
        Estimates or interval limits on the scale of ``transform``.
    transform : str
        One of :data:`TRANSFORMS`.
    n : float or array-like, optional
        Sample size for the Freeman-Tukey inverse: a study's own n for a study, the
        harmonic mean of the sample sizes for a pooled value.
    """
    y = np.asarray(values, dtype=float)
    transform = transform_name(transform)
    if transform == "logit":
        return expit(y)
    if transform == "proportion":
        # A pooled proportion's normal interval can cross 0 or 1; a prevalence cannot.
        return np.clip(y, 0, 1)
    if transform == "arcsine":
        return np.sin(np.clip(y, 0, np.pi / 2)) ** 2
    if n is None:
        raise ValueError("the Freeman-Tukey back-transformation needs a sample size n")
    return inverse_freeman_tukey(y, n)


# ----------------------------------------------------------------------- pooling


@dataclass(frozen=True)
class PooledPrevalence:
    """A pooled prevalence: the random-effects model on the analysis scale and its
    estimates back on the prevalence scale.

    ``model`` holds the pooling itself (:class:`RandomEffects`: effects, standard errors,
    tau², I², Q); its statistics are also readable here by name (``pooled.tau2``).
    Proportions (``prevalence``, limits) are in [0, 1]. For a single study (``k == 1``,
    only from :func:`estimate`) the heterogeneity statistics and the prediction interval
    are NaN: they do not exist for one study.
    """

    model: RandomEffects
    cases: int
    n: int
    transform: str
    prevalence: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    fixed_prevalence: float
    fixed_ci_low: float
    fixed_ci_high: float
    n_corrected: int
    continuity: float
    harmonic_n: float

    def __getattr__(self, name: str):
        # The model's statistics by name (k, effect, se, tau2, i2_percent, q, ...),
        # without a second copy of each; only reached for names not defined here.
        if name in RandomEffects.__dataclass_fields__:
            return getattr(self.model, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def tau(self) -> float:
        return float(np.sqrt(self.model.tau2))


def typical_variance(variance) -> float:
    """Higgins and Thompson's (2002) 'typical' within-study variance.

    ``s² = (k - 1) Σw / ((Σw)² - Σw²)`` with ``w = 1/v``; I² = tau²/(tau² + s²).
    """
    w = 1 / np.asarray(variance, dtype=float)
    return float((w.size - 1) * w.sum() / (w.sum() ** 2 - (w ** 2).sum()))


def prediction_interval(mean: float, se: float, tau2: float, k: int,
                        level: float = LEVEL) -> tuple[float, float]:
    """Approximate prediction interval for the effect in a new study.

    ``mean ± t_{k-2} sqrt(tau² + se²)``: Higgins, Thompson and Spiegelhalter (2009),
    eq. 12. With fewer than three studies there are no degrees of freedom left and the
    interval is (NaN, NaN).

    Parameters
    ----------
    mean, se : float
        Random-effects estimate and its standard error, on the analysis scale.
    tau2 : float
        Between-study variance.
    k : int
        Number of studies.
    level : float
        Coverage (0.95 for a 95% interval).
    """
    if k < 3:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, k - 2) * np.sqrt(tau2 + se ** 2)
    return float(mean - half), float(mean + half)


@dataclass(frozen=True)
class RandomEffects:
    """Fixed- and random-effects pooling on the analysis scale (any effect size).

    ``i2_percent`` is I² in %; ``pi_low``/``pi_high`` the prediction interval (NaN for
    fewer than three studies).
    """

    k: int
    tau2_method: str
    level: float
    effect: float
    se: float
    ci_low: float
    ci_high: float
    fixed_effect: float
    fixed_se: float
    fixed_ci_low: float
    fixed_ci_high: float
    tau2: float
    i2_percent: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float


def random_effects(effect, variance, tau2_method: str = "dl",
                   level: float = LEVEL) -> RandomEffects:
    """Inverse-variance pooling of effects with known variances.

    Fixed effect and random effects by :func:`statsmodels.stats.meta_analysis.combine_effects`;
    tau² by DerSimonian-Laird (truncated at 0) or Paule-Mandel; Q with its chi² p-value;
    I² = 100 tau²/(tau² + s²) and H² = (tau² + s²)/s² with ``s²`` the typical
    within-study variance (equal to (Q - df)/Q for DerSimonian-Laird; metafor reports
    the same); normal-theory confidence intervals; the prediction interval of
    :func:`prediction_interval`.

    Parameters
    ----------
    effect, variance : array-like of float
        One effect and its sampling variance per study; at least two studies.
    tau2_method : {"dl", "pm"}
        Between-study variance estimator.
    level : float
        Coverage of the intervals.

    References
    ----------
    DerSimonian and Laird (1986); Paule and Mandel (1982); Higgins and Thompson (2002);
    Higgins, Thompson and Spiegelhalter (2009).
    """
    y = np.asarray(effect, dtype=float)
    v = np.asarray(variance, dtype=float)
    method = tau2_name(tau2_method)
    if y.size < 2:
        raise ValueError("pooling needs at least two studies")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("every effect must be finite and every variance positive")
    # With an untruncated negative tau² (below) statsmodels divides by zero or takes
    # square roots of negatives in statistics we then discard; keep that off the page.
    with np.errstate(divide="ignore", invalid="ignore"):
        res = combine_effects(y, v, method_re=TAU2_METHODS[method][0], alpha=1 - level)
    tau2 = float(res.tau2)
    if tau2 > 0:
        mean, se = float(res.mean_effect_re), float(res.sd_eff_w_re)
    else:
        # statsmodels 0.15 does not truncate the DerSimonian-Laird estimate at zero:
        # a negative tau² would give the random-effects model *more* weight than the
        # fixed-effect one. tau² = 0 makes the two models identical.
        tau2, mean, se = 0.0, float(res.mean_effect_fe), float(res.sd_eff_w_fe)
    fe, fe_se = float(res.mean_effect_fe), float(res.sd_eff_w_fe)
    z = stats.norm.ppf(0.5 + level / 2)
    s2 = typical_variance(v)
    q, df = float(res.q), y.size - 1
    pi_low, pi_high = prediction_interval(mean, se, tau2, y.size, level)
    return RandomEffects(
        k=y.size, tau2_method=method, level=level, effect=mean, se=se,
        ci_low=mean - z * se, ci_high=mean + z * se, fixed_effect=fe, fixed_se=fe_se,
        fixed_ci_low=fe - z * fe_se, fixed_ci_high=fe + z * fe_se, tau2=tau2,
        i2_percent=100 * tau2 / (tau2 + s2), h2=(tau2 + s2) / s2, q=q, q_df=df,
        q_p=float(stats.chi2.sf(q, df)), pi_low=pi_low, pi_high=pi_high)


def freeman_tukey_at_extremes(eff: StudyEffects, effect: float) -> tuple[float, float]:
    """A pooled Freeman-Tukey value back-transformed at the smallest and at the largest
    sample size instead of the harmonic mean: how much the choice of n moves it.

    References
    ----------
    Schwarzer et al. (2019), see the module's references.
    """
    at_min, at_max = inverse_freeman_tukey([effect, effect], [eff.n.min(), eff.n.max()])
    return float(at_min), float(at_max)


def _summary(eff: StudyEffects, tau2_method: str, level: float) -> PooledPrevalence:
    """Pool the studies of ``eff`` (k >= 2), or describe the one study (k == 1)."""
    hn = eff.harmonic_n

    def back(*values):
        return [float(v) for v in back_transform(values, eff.transform, hn)]

    common = dict(cases=int(eff.cases.sum()), n=int(eff.n.sum()), transform=eff.transform,
                  n_corrected=eff.n_corrected,
                  continuity=eff.continuity, harmonic_n=hn)
    if eff.k == 1:
        z = stats.norm.ppf(0.5 + level / 2)
        y, se = float(eff.effect[0]), float(np.sqrt(eff.variance[0]))
        p, lo, hi = back(y, y - z * se, y + z * se)
        nan = float("nan")
        one = RandomEffects(
            k=1, tau2_method=tau2_method, level=level, effect=y, se=se, ci_low=y - z * se,
            ci_high=y + z * se, fixed_effect=y, fixed_se=se, fixed_ci_low=y - z * se,
            fixed_ci_high=y + z * se, tau2=nan, i2_percent=nan, h2=nan, q=nan, q_df=0,
            q_p=nan, pi_low=nan, pi_high=nan)
        return PooledPrevalence(
            model=one, prevalence=p, ci_low=lo, ci_high=hi, pi_low=nan, pi_high=nan,
            fixed_prevalence=p, fixed_ci_low=lo, fixed_ci_high=hi, **common)
    re = random_effects(eff.effect, eff.variance, tau2_method, level)
    p, lo, hi = back(re.effect, re.ci_low, re.ci_high)
    pi_lo, pi_hi = back(re.pi_low, re.pi_high) if eff.k >= 3 else (float("nan"),) * 2
    fp, flo, fhi = back(re.fixed_effect, re.fixed_ci_low, re.fixed_ci_high)
    return PooledPrevalence(
        model=re, prevalence=p, ci_low=lo, ci_high=hi, pi_low=pi_lo, pi_high=pi_hi,
        fixed_prevalence=fp, fixed_ci_low=flo, fixed_ci_high=fhi, **common)


def pool(cases, n, transform: str = "logit", tau2_method: str = "dl",
         level: float = LEVEL, continuity: float = CONTINUITY) -> PooledPrevalence:
    """Pool study prevalences under a random-effects model.

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes, one per study; at least two studies.
    transform : {"logit", "freeman_tukey", "arcsine", "proportion"}
        Scale of the analysis (see :func:`study_effects`). Logit is the default: its
        back-transformation is exact and its estimates can never leave (0, 1).
    tau2_method : {"dl", "pm"}
        Between-study variance: DerSimonian-Laird (1986) or Paule-Mandel (1982)
        (statsmodels' ``"iterated"``, also accepted here).
    level : float
        Coverage of the confidence and prediction intervals.
    continuity : float
        Continuity correction for studies with no cases or only cases (logit and raw
        proportion scales only).

    Returns
    -------
    PooledPrevalence
        Random- and fixed-effect estimates on the proportion scale; tau², I² (%), H²,
        Q with its degrees of freedom and p-value; the prediction interval; the number
        of studies given a continuity correction (what the page says of the correction
        and of the Freeman-Tukey caveat is :mod:`analysis.chapters.prevalence`'s).

    Raises
    ------
    ValueError
        Fewer than two studies (use :func:`estimate` to report a single study), invalid
        counts, or an unknown transform or estimator.

    Warns
    -----
    FreemanTukeyWarning
        When ``transform="freeman_tukey"``.

    References
    ----------
    DerSimonian and Laird (1986); Paule and Mandel (1982); Higgins and Thompson (2002);
    Higgins, Thompson and Spiegelhalter (2009); Miller (1978); Schwarzer et al. (2019).
    """
    eff = study_effects(cases, n, transform, continuity)
    tau2_method = tau2_name(tau2_method)
    if eff.k < 2:
        raise ValueError(
            "pooling needs at least two studies and got one; report the single study's "
            "own prevalence and confidence interval instead "
            "(analysis.stats.prevalence.estimate does this), or add studies")
    if eff.transform == "freeman_tukey":
        warnings.warn(FREEMAN_TUKEY_CAVEAT, FreemanTukeyWarning, stacklevel=2)
    return _summary(eff, tau2_method, level)


def estimate(cases, n, transform: str = "logit", tau2_method: str = "dl",
             level: float = LEVEL, continuity: float = CONTINUITY) -> PooledPrevalence:
    """Like :func:`pool`, but one study is allowed: it is reported as it is.

    Tables use this so that a subgroup with a single study still gets a row (its own
    prevalence and interval) while its heterogeneity statistics stay empty.
    """
    eff = study_effects(cases, n, transform, continuity)
    return _summary(eff, tau2_name(tau2_method), level)


def pool_logit(cases, n, method: str = "dl") -> PooledPrevalence:
    """Random-effects pooled prevalence on the logit scale (the main analysis).

    Kept for :mod:`analysis.synth`, which calibrates the synthetic studies with it.
    """
    return pool(cases, n, transform="logit", tau2_method=method)


# ---------------------------------------------------------------- study tables


def levels(values: pd.Series, labels: Mapping[str, str] | None = None) -> list:
    """The values present in a column, in the order of ``labels`` (the vocabulary in
    force, code -> label); values it does not name follow, sorted. An empty cell (a
    value the source did not report) is no level: its study joins no subgroup."""
    present = set(values.dropna())
    declared = [v for v in (labels or {}) if v in present]
    return declared + sorted(present - set(declared), key=str)


def main_setting(studies: pd.DataFrame):
    """The setting with the most studies (on a tie, the one whose first study comes
    first in the table).

    The analyses within one setting (income groups, meta-regression, every scale and
    estimator, the multiverse) take its studies: settings differ far more than any
    covariate could explain, and the largest setting is the one they have most power
    in. The rule reads nothing but the table, so the chapter and the multiverse (run
    from the command line too) agree. None when there are no studies.
    """
    if studies.empty:
        return None
    counts = studies["setting"].value_counts(sort=False)
    return max(pd.unique(studies["setting"]), key=lambda v: counts[v])


def study_table(studies: pd.DataFrame, by: str = "setting", transform: str = "logit",
                tau2_method: str = "dl", level: float = LEVEL,
                labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per study, ready for a forest plot.

    Each study's prevalence and interval come from its own effect on the analysis scale
    (so a forest plot shows what was pooled); ``weight_percent`` is its random-effects
    weight within its subgroup ``by``. Studies are sorted by subgroup (in the order of
    ``labels``, the vocabulary in force: code -> label), then by prevalence.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    frames = []
    labels = dict(labels or {})
    for value in levels(studies[by], labels):
        group = studies[studies[by] == value]
        eff = study_effects(group["cases"], group["n"], transform)
        tau2 = 0.0 if eff.k == 1 else _summary(eff, tau2_name(tau2_method), level).tau2
        w = 1 / (eff.variance + tau2)
        se = np.sqrt(eff.variance)
        frame = group.assign(
            subgroup=labels.get(value, str(value)),
            prevalence=back_transform(eff.effect, transform, eff.n),
            ci_low=back_transform(eff.effect - z * se, transform, eff.n),
            ci_high=back_transform(eff.effect + z * se, transform, eff.n),
            weight_percent=100 * w / w.sum(),
            corrected=eff.corrected,
        )
        frames.append(frame.sort_values(["prevalence", "study_id"]))
    return pd.concat(frames, ignore_index=True)


# -------------------------------------------------------------------- subgroups


@dataclass(frozen=True, eq=False)
class SubgroupAnalysis:
    """A random-effects model per subgroup and the test of subgroup differences.

    ``table`` has one row per subgroup (prevalence and interval limits in %, tau² on the
    analysis scale, I² in %; NaN where a one-study subgroup has no such statistic).
    ``q_between`` tests whether the subgroup estimates differ by more than their
    standard errors allow (chi² on ``df_between`` degrees of freedom).
    """

    by: str
    transform: str
    tau2_method: str
    table: pd.DataFrame
    pooled: Mapping[str, PooledPrevalence]
    q_between: float
    df_between: int
    p_between: float


SUBGROUP_COLUMNS = ["subgroup", "k", "n", "prevalence", "ci_low", "ci_high", "pi_low",
                    "pi_high", "tau2", "i2_percent", "q", "q_df", "q_p"]


def _pct(value: float) -> float:
    return 100 * value


def subgroups(studies: pd.DataFrame, by: str = "setting", transform: str = "logit",
              tau2_method: str = "dl", level: float = LEVEL,
              labels: Mapping[str, str] | None = None) -> SubgroupAnalysis:
    """Pooled prevalence per level of a study characteristic, and the Q test between.

    Each subgroup has its own tau² (no common between-study variance is assumed).
    The between-subgroup statistic is ``Q_b = Σ_g w_g (θ_g - θ̄)²`` with
    ``w_g = 1/SE(θ_g)²`` and ``θ̄`` their weighted mean, referred to chi² with G - 1
    degrees of freedom (Borenstein et al. 2009, ch. 19; the default of R's meta). A
    subgroup of one study enters with its own estimate and standard error.

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    by : str
        Column defining the subgroups (``setting``, ``income_group``, ...).
    transform, tau2_method, level
        As in :func:`pool`.
    labels : mapping, optional
        The vocabulary in force for ``by`` (code -> label, in display order); without
        it the codes are their own labels, sorted.
    """
    if studies.empty:
        raise ValueError("no prevalence studies to analyse: prevalence_studies.csv is "
                         "empty, or no study matches the selection")
    labels = dict(labels or {})
    order = levels(studies[by], labels)
    pooled: dict[str, PooledPrevalence] = {}
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)  # stated once, by the page
        for value in order:
            group = studies[studies[by] == value]
            result = estimate(group["cases"], group["n"], transform, tau2_method, level)
            pooled[value] = result
            rows.append({
                "subgroup": labels.get(value, str(value)), "k": result.k, "n": result.n,
                "prevalence": _pct(result.prevalence), "ci_low": _pct(result.ci_low),
                "ci_high": _pct(result.ci_high), "pi_low": _pct(result.pi_low),
                "pi_high": _pct(result.pi_high), "tau2": result.tau2,
                "i2_percent": result.i2_percent, "q": result.q, "q_df": result.q_df,
                "q_p": result.q_p,
            })
    table = pd.DataFrame(rows, columns=SUBGROUP_COLUMNS)
    if len(pooled) < 2:
        q_b, df_b, p_b = float("nan"), 0, float("nan")
    else:
        theta = np.array([r.effect for r in pooled.values()])
        w = 1 / np.array([r.se for r in pooled.values()]) ** 2
        q_b = float((w * (theta - (w * theta).sum() / w.sum()) ** 2).sum())
        df_b = len(pooled) - 1
        p_b = float(stats.chi2.sf(q_b, df_b))
    return SubgroupAnalysis(by, transform, tau2_name(tau2_method), table, pooled, q_b,
                            df_b, p_b)


# -------------------------------------------------------------- meta-regression


@dataclass(frozen=True, eq=False)
class MetaRegression:
    """A univariable mixed-effects meta-regression.

    ``table`` has one row per coefficient on the analysis scale (for the logit scale
    also as odds ratios). ``qm`` tests all moderator coefficients at once; ``qe`` tests
    the heterogeneity the moderator leaves unexplained; ``r2_percent`` is the share of
    tau² it explains (Raudenbush 2009), 0 when there was no tau² to explain.
    """

    covariate: str
    covariate_label: str
    setting: str | None
    transform: str
    tau2_method: str
    k: int
    table: pd.DataFrame
    tau2_residual: float
    tau2_total: float
    r2_percent: float
    qm: float
    qm_df: int
    qm_p: float
    qe: float
    qe_df: int
    qe_p: float


COVARIATE_LABELS = {"design": "Case-finding design", "interviewer": "Interviewer",
                    "year": "Year of publication", "income_group": "Income group",
                    "country": "Country", "setting": "Setting"}
YEAR_UNIT = 10  # a decade is a readable step for a publication-year slope


def _design(studies: pd.DataFrame, covariate: str,
            labels: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, str]:
    """Intercept plus the covariate: treatment coding for a category, centred slope
    per decade for the publication year (so the intercept is the prevalence at the
    mean year)."""
    values = studies[covariate]
    if pd.api.types.is_numeric_dtype(values):
        if values.nunique() < 2:
            raise ValueError(f"the meta-regression on {covariate!r} needs at least two "
                             f"different values among the studies; all have "
                             f"{values.iloc[0]}. Choose another covariate (design, "
                             "interviewer or year).")
        centre = float(values.mean())
        unit = YEAR_UNIT if covariate == "year" else 1
        name = (f"per {unit} years (centred at {centre:.0f})" if covariate == "year"
                else f"per unit (centred at {centre:.3g})")
        X = pd.DataFrame({"Intercept": 1.0, name: (values - centre) / unit})
        return X, name
    labels = dict(labels or {})
    present = levels(values, labels)
    if len(present) < 2:
        raise ValueError(f"the meta-regression on {covariate!r} needs at least two "
                         f"different values among the studies; all have {present[0]!r}. "
                         "Choose another covariate (design, interviewer or year).")
    X = pd.DataFrame({"Intercept": 1.0}, index=studies.index)
    for value in present[1:]:
        X[f"{labels.get(value, value)} vs {labels.get(present[0], present[0])}"] = (
            (values == value).astype(float))
    return X, f"reference: {labels.get(present[0], present[0])}"


def _residual_tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str) -> float:
    """Residual between-study variance of a meta-regression.

    DL: the method-of-moments estimator generalised to moderators,
    ``(Q_E - (k - p)) / (tr W - tr((X'WX)^-1 X'W²X))`` truncated at 0 (Raudenbush 2009;
    metafor ``method="DL"``). PM: the tau² at which the generalised Q statistic equals
    its degrees of freedom ``k - p`` (metafor ``method="PM"``), 0 if Q_E(0) < k - p.
    """
    k, p = X.shape

    def q_stat(tau2: float) -> float:
        w = 1 / (v + tau2)
        beta = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))
        return float((w * (y - X @ beta) ** 2).sum())

    if method == "dl":
        w = 1 / v
        xtwx_inv = np.linalg.inv(X.T @ (w[:, None] * X))
        denom = w.sum() - np.trace(xtwx_inv @ (X.T @ ((w ** 2)[:, None] * X)))
        return float(max(0.0, (q_stat(0.0) - (k - p)) / denom))
    if q_stat(0.0) <= k - p:
        return 0.0
    upper = 10 * (np.var(y) + v.max())
    while q_stat(upper) > k - p:
        upper *= 10
    return float(optimize.brentq(lambda t: q_stat(t) - (k - p), 0.0, upper, xtol=1e-12))


def meta_regression(studies: pd.DataFrame, covariate: str = "design",
                    transform: str = "logit", tau2_method: str = "dl",
                    setting: str | None = None, level: float = LEVEL,
                    labels: Mapping[str, str] | None = None) -> MetaRegression:
    """Univariable mixed-effects meta-regression of prevalence on a study covariate.

    The model ``y_i = x_i'β + u_i + e_i``, ``u_i ~ N(0, tau²)``, ``e_i ~ N(0, v_i)`` is
    fitted by weighted least squares (statsmodels ``WLS``) with weights
    ``1/(v_i + tau²)`` and the scale fixed at 1, so standard errors and z tests are
    those of metafor's ``rma(yi, vi, mods = ~ covariate)``.

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    covariate : str
        A column of ``prevalence_studies``: ``design``, ``interviewer``, ``year`` (slope
        per 10 years, centred), or another category such as ``income_group``.
    transform, tau2_method, level
        As in :func:`pool`.
    setting : str or None
        Restrict to the studies of one setting (the chapter takes
        :func:`main_setting`: settings differ far more than any covariate could
        explain); None uses every study.
    labels : mapping, optional
        The vocabulary in force for a categorical covariate (code -> label, in display
        order; the first level present is the reference).

    Raises
    ------
    ValueError
        Unknown covariate, fewer studies than coefficients plus one, or a covariate
        with a single value.

    References
    ----------
    Raudenbush (2009); Viechtbauer (2010).
    """
    if covariate not in studies.columns or covariate in ("study_id", "n", "cases"):
        raise ValueError(f"unknown covariate {covariate!r}; use a column of "
                         "prevalence_studies such as design, interviewer or year")
    rows = studies if setting is None else studies[studies["setting"] == setting]
    method = tau2_name(tau2_method)
    X, _ = _design(rows, covariate, labels)
    k, p = X.shape
    if k < p + 1:
        raise ValueError(f"the meta-regression on {covariate!r} has {p} coefficients but "
                         f"only {k} studies; it needs at least {p + 1}")
    eff = study_effects(rows["cases"], rows["n"], transform)
    y, v, Xa = eff.effect, eff.variance, X.to_numpy()
    tau2 = _residual_tau2(y, v, Xa, method)
    fit = WLS(y, Xa, weights=1 / (v + tau2)).fit(cov_type="fixed scale",
                                                    cov_kwds={"scale": 1.0})
    z = stats.norm.ppf(0.5 + level / 2)
    beta, se = np.asarray(fit.params), np.asarray(fit.bse)
    zval = beta / se
    table = pd.DataFrame({
        "term": X.columns, "estimate": beta, "se": se, "z": zval,
        "p": 2 * stats.norm.sf(np.abs(zval)),
        "ci_low": beta - z * se, "ci_high": beta + z * se,
    })
    if transform == "logit":
        table["odds_ratio"] = np.exp(beta)
        table["or_ci"] = [f"{np.exp(lo):.2f}–{np.exp(hi):.2f}"
                          for lo, hi in zip(table["ci_low"], table["ci_high"])]
        table.loc[0, ["odds_ratio", "or_ci"]] = [np.nan, "–"]  # the intercept is no ratio
    mods = beta[1:]
    cov = np.asarray(fit.cov_params())[1:, 1:]
    qm = float(mods @ np.linalg.solve(cov, mods))
    w0 = 1 / v
    fe = WLS(y, Xa, weights=w0).fit()
    qe = float((w0 * (y - Xa @ np.asarray(fe.params)) ** 2).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        total = _summary(eff, method, level).tau2 if k > 1 else 0.0
    r2 = 0.0 if total <= 0 else max(0.0, 100 * (total - tau2) / total)
    return MetaRegression(
        covariate=covariate, covariate_label=COVARIATE_LABELS.get(covariate, covariate),
        setting=setting, transform=transform, tau2_method=method, k=k, table=table,
        tau2_residual=tau2, tau2_total=total, r2_percent=r2, qm=qm, qm_df=p - 1,
        qm_p=float(stats.chi2.sf(qm, p - 1)), qe=qe, qe_df=k - p,
        qe_p=float(stats.chi2.sf(qe, k - p)) if k > p else float("nan"))


# ---------------------------------------------- published figures and the chapter


