"""Sensitivity analyses of a pooled prevalence: the Hartung-Knapp interval and a check
of the Freeman-Tukey back-transformation.

The usual random-effects interval, mean ± z·se, ignores that tau² is estimated, and
with few or very different studies it is too narrow. The Hartung-Knapp (also
Hartung-Knapp-Sidik-Jonkman) interval rescales the variance of the mean by the
weighted spread of the studies around it and uses a t distribution with k - 1 degrees
of freedom:

    q = Σ w_i (y_i - μ)² / (k - 1),   se_HK = sqrt(q / Σ w_i),   μ ± t_{k-1} se_HK,

with ``w_i = 1/(v_i + tau²)``. It is what R's metafor computes with ``test="knha"``
(without the ad hoc truncation of q at 1, metafor's default too).

A pooled estimate on the Freeman-Tukey scale is back-transformed with one sample size
(the harmonic mean of the studies'), and can then land outside the range of the very
prevalences it pools (Schwarzer et al. 2019): :func:`back_transform_check` flags it.

References
----------
Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical
trials with binary outcome. Stat Med 2001;20(24):3875-3889.

Sidik K, Jonkman JN. A simple confidence interval for meta-analysis. Stat Med
2002;21(21):3153-3159.

IntHout J, Ioannidis JPA, Borm GF. The Hartung-Knapp-Sidik-Jonkman method for random
effects meta-analysis is straightforward and considerably outperforms the standard
DerSimonian-Laird method. BMC Med Res Methodol 2014;14:25.

Schwarzer G, Chemaitelly H, Abu-Raddad LJ, Rücker G. Seriously misleading results
using inverse of Freeman-Tukey double arcsine transformation in meta-analysis of
single proportions. Res Synth Methods 2019;10(3):476-483.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats.prevalence import (LEVEL, FreemanTukeyWarning, RandomEffects,
                                       back_transform, levels, pool, random_effects,
                                       study_effects)


@dataclass(frozen=True)
class HartungKnappInterval:
    """The Hartung-Knapp interval of a random-effects mean, on the analysis scale.

    Attributes
    ----------
    k : int
    effect : float
        The random-effects mean (the same as the usual analysis).
    se : float
        Hartung-Knapp standard error, ``sqrt(q / Σw)``.
    q : float
        The scaling factor (1 means the same standard error as the usual one).
    df : int
        Degrees of freedom of the t quantile, k - 1.
    ci_low, ci_high : float
    """

    k: int
    effect: float
    se: float
    q: float
    df: int
    ci_low: float
    ci_high: float


def hartung_knapp(effect, variance, tau2_method: str = "dl",
                  level: float = LEVEL) -> HartungKnappInterval:
    """Hartung-Knapp interval of the random-effects mean of effects with known variances.

    Parameters
    ----------
    effect, variance : array-like of float
        One effect and its sampling variance per study; at least two studies.
    tau2_method : {"dl", "pm"}
        Between-study variance estimator (as in
        :func:`analysis.stats.prevalence.random_effects`).
    level : float
        Coverage.

    Returns
    -------
    HartungKnappInterval
    """
    y = np.asarray(effect, dtype=float)
    v = np.asarray(variance, dtype=float)
    return hartung_knapp_of(y, v, random_effects(y, v, tau2_method, level))


def hartung_knapp_of(effect, variance, re: RandomEffects) -> HartungKnappInterval:
    """:func:`hartung_knapp` around a random-effects model already fitted to the effects.

    The multiverse fits the model once for its estimate and both of its intervals.

    Parameters
    ----------
    effect, variance : array-like of float
        The effects and variances ``re`` was fitted to.
    re : RandomEffects
        :func:`analysis.stats.prevalence.random_effects` of them (its tau² and level).
    """
    y = np.asarray(effect, dtype=float)
    v = np.asarray(variance, dtype=float)
    level = re.level
    w = 1 / (v + re.tau2)
    df = y.size - 1
    q = float((w * (y - re.effect) ** 2).sum() / df)
    se = float(np.sqrt(q / w.sum()))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * se
    return HartungKnappInterval(k=int(y.size), effect=re.effect, se=se, q=q, df=df,
                                ci_low=re.effect - half, ci_high=re.effect + half)


@dataclass(frozen=True)
class PrevalenceSensitivity:
    """A pooled prevalence with its usual and its Hartung-Knapp interval (proportions).

    Attributes
    ----------
    k : int
    transform, tau2_method : str
    prevalence : float
        Random-effects pooled prevalence.
    ci_low, ci_high : float
        The usual (normal, z) interval.
    hk_low, hk_high : float
        The Hartung-Knapp interval, back-transformed.
    hk_q : float
        The Hartung-Knapp scaling factor.
    width_ratio : float
        Width of the Hartung-Knapp interval over that of the usual one.
    min_study, max_study : float
        The smallest and largest study prevalence.
    outside_range : bool
        The pooled prevalence falls outside [min_study, max_study] (possible only after a
        Freeman-Tukey back-transformation).
    """

    k: int
    transform: str
    tau2_method: str
    prevalence: float
    ci_low: float
    ci_high: float
    hk_low: float
    hk_high: float
    hk_q: float
    width_ratio: float
    min_study: float
    max_study: float
    outside_range: bool


def back_transform_check(prevalence: float, cases, n) -> tuple[float, float, bool]:
    """The range of the study prevalences and whether a pooled value falls outside it."""
    own = np.asarray(cases, dtype=float) / np.asarray(n, dtype=float)
    low, high = float(own.min()), float(own.max())
    return low, high, bool(prevalence < low or prevalence > high)


def prevalence_sensitivity(cases, n, transform: str = "logit", tau2_method: str = "dl",
                           level: float = LEVEL) -> PrevalenceSensitivity:
    """Pool prevalences and add the Hartung-Knapp interval and the range check.

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes, one per study; at least two studies.
    transform : {"logit", "freeman_tukey", "arcsine", "proportion"}
    tau2_method : {"dl", "pm"}
    level : float

    Returns
    -------
    PrevalenceSensitivity
        The Hartung-Knapp limits are back-transformed as the pooled estimate is (with
        the harmonic mean of the sample sizes on the Freeman-Tukey scale).
    """
    cases = np.asarray(cases)
    n = np.asarray(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        pooled = pool(cases, n, transform, tau2_method, level)
        eff = study_effects(cases, n, transform)
    hk = hartung_knapp(eff.effect, eff.variance, tau2_method, level)
    low, high = (float(x) for x in back_transform([hk.ci_low, hk.ci_high], transform,
                                                  eff.harmonic_n))
    usual = pooled.ci_high - pooled.ci_low
    min_study, max_study, outside = back_transform_check(pooled.prevalence, cases, n)
    return PrevalenceSensitivity(
        k=pooled.k, transform=transform, tau2_method=pooled.tau2_method,
        prevalence=pooled.prevalence, ci_low=pooled.ci_low, ci_high=pooled.ci_high,
        hk_low=low, hk_high=high, hk_q=hk.q,
        width_ratio=(high - low) / usual if usual > 0 else float("nan"),
        min_study=min_study, max_study=max_study, outside_range=outside)


def setting_sensitivity(studies: pd.DataFrame, transform: str = "logit",
                        tau2_method: str = "dl", level: float = LEVEL,
                        labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`prevalence_sensitivity` in each setting with at least two studies.

    Parameters
    ----------
    studies : DataFrame
        The ``prevalence_studies`` table (``setting``, ``cases``, ``n``).
    labels : mapping, optional
        The setting vocabulary in force (code -> label, in display order); without it
        the codes are their own labels.

    Returns
    -------
    DataFrame
        One row per setting, in declared order, indexed by its label: ``k``,
        ``prevalence``, ``ci_low``, ``ci_high``, ``hk_low``, ``hk_high`` (percent),
        ``width_ratio`` and ``outside_range``.
    """
    rows = {}
    labels = dict(labels or {})
    for setting in levels(studies["setting"], labels):
        label = labels.get(setting, str(setting))
        part = studies[studies["setting"] == setting]
        if len(part) < 2:
            continue
        res = prevalence_sensitivity(part["cases"], part["n"], transform, tau2_method, level)
        rows[label] = {"k": res.k, "prevalence": 100 * res.prevalence,
                       "ci_low": 100 * res.ci_low, "ci_high": 100 * res.ci_high,
                       "hk_low": 100 * res.hk_low, "hk_high": 100 * res.hk_high,
                       "width_ratio": res.width_ratio, "outside_range": res.outside_range}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(SETTING_COLUMNS))
    table.index.name = "setting"
    return table


SETTING_COLUMNS = ("k", "prevalence", "ci_low", "ci_high", "hk_low", "hk_high", "width_ratio",
                   "outside_range")
