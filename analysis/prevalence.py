"""Random-effects meta-analysis of prevalence.

Proportions are pooled on the logit scale by inverse-variance weighting, with the
between-study variance estimated by DerSimonian and Laird (1986) or Paule and Mandel
(1982), using :func:`statsmodels.stats.meta_analysis.combine_effects`.

References
----------
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical
Trials 7:177-188.
Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of
the National Bureau of Standards 87:377-385.
Schwarzer G, Chemaitelly H, Abu-Raddad LJ, Rucker G (2019). Seriously misleading results
using inverse of Freeman-Tukey double arcsine transformation in meta-analysis of single
proportions. Research Synthesis Methods 10:476-483.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from statsmodels.stats.meta_analysis import combine_effects

CONTINUITY = 0.5
TAU2_METHODS = {"dl": "dl", "pm": "iterated"}


@dataclass(frozen=True)
class LogitEffects:
    """Study proportions on the logit scale with their sampling variances."""

    logit: np.ndarray
    variance: np.ndarray
    corrected: np.ndarray  # True where a continuity correction was added


def logit_effects(cases, n, continuity: float = CONTINUITY) -> LogitEffects:
    """Logit-transformed proportions and their variances.

    ``var = 1/x + 1/(n - x)``; a study with no cases or all cases gets ``continuity``
    added to its events and non-events, and only that study.

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes.
    continuity : float
        Added to both cells of a study with zero or n events.
    """
    cases = np.asarray(cases, dtype=float)
    n = np.asarray(n, dtype=float)
    corrected = (cases == 0) | (cases == n)
    x = np.where(corrected, cases + continuity, cases)
    m = np.where(corrected, n + 2 * continuity, n)
    return LogitEffects(np.log(x / (m - x)), 1 / x + 1 / (m - x), corrected)


@dataclass(frozen=True)
class PooledPrevalence:
    """Pooled prevalence on the proportion scale (random effects)."""

    k: int
    prevalence: float
    ci_low: float
    ci_high: float
    tau2: float
    method: str


def pool_logit(cases, n, method: str = "dl") -> PooledPrevalence:
    """Pool proportions on the logit scale under a random-effects model.

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes, one per study.
    method : {"dl", "pm"}
        Between-study variance estimator: DerSimonian-Laird or Paule-Mandel.

    Returns
    -------
    PooledPrevalence
    """
    eff = logit_effects(cases, n)
    if len(eff.logit) == 1:
        se = np.sqrt(eff.variance[0])
        est = eff.logit[0]
        return PooledPrevalence(1, float(expit(est)), float(expit(est - 1.959964 * se)),
                                float(expit(est + 1.959964 * se)), 0.0, method)
    res = combine_effects(eff.logit, eff.variance, method_re=TAU2_METHODS[method])
    summary = res.summary_frame()
    row = summary.loc["random effect"]
    return PooledPrevalence(
        k=len(eff.logit),
        prevalence=float(expit(row["eff"])),
        ci_low=float(expit(row["ci_low"])),
        ci_high=float(expit(row["ci_upp"])),
        tau2=float(res.tau2),
        method=method,
    )


def pooled_by(table: pd.DataFrame, by: str, method: str = "dl") -> pd.DataFrame:
    """Pooled prevalence per level of a study characteristic."""
    rows = []
    for level, group in table.groupby(by, sort=True):
        pooled = pool_logit(group["cases"], group["n"], method)
        rows.append({by: level, **pooled.__dict__})
    return pd.DataFrame(rows)
