"""Agreement between reviewers beyond kappa: Gwet's AC1 and AC2, Krippendorff's alpha, PABAK.

Appraisal answers are mostly "Yes". When one answer dominates, the agreement expected
by chance under Cohen's and Fleiss' kappa is high, so kappa can be low although the
reviewers agree on almost every answer: the first paradox of Feinstein and Cicchetti
(1990). The coefficients here are the ones methodologists report beside kappa for that
reason; each comes with its interval and the counts it rests on, for two or more
reviewers, with missing answers allowed:

- **Gwet's AC1** (nominal) and **AC2** (weighted, for ordered answers) with the
  variance of Gwet (2008) for any number of raters and missing ratings, in the form of
  Gwet's handbook (2014), interval ``AC ± t(n - 1) se`` with the upper limit
  capped at 1 (as Gwet's irrCAC does). Weights (Gwet 2014): identity, linear,
  quadratic and ordinal, on the answers' ranks.
- **Krippendorff's alpha**, nominal and ordinal, from the coincidence matrix
  (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"; Hayes and
  Krippendorff 2007). Alpha has no simple analytic variance: its interval is a
  percentile bootstrap over the rated subjects (or over clusters of them, e.g. papers),
  seeded, with the seed in the result.
- **PABAK**, the prevalence- and bias-adjusted kappa of Byrt, Bishop and Carlin (1993),
  ``2 p_o - 1`` for two answers; for ``q`` answers and any number of raters
  ``(q p_a - 1)/(q - 1)``, which is Brennan and Prediger's (1981) coefficient, with
  Gwet's (2014) variance and the same t interval as AC1.

Data shape: the functions take a subjects-by-answers table of counts (how many raters
gave each answer to each subject; a subject rated by fewer raters has a smaller row sum,
one rated by nobody is left out), which is the shape :func:`analysis.stats.quality.fleiss`
takes too; :func:`answer_counts` makes it from the wide table of one question's answers.
:func:`appraisal_agreement` tabulates every coefficient for an appraisal (per question
and over all questions) from the ``casp_ratings`` table, beside the kappa of
:mod:`analysis.stats.quality`. :func:`kappa_paradox` says, in numbers and flags, whether
kappa is low only because one answer dominates.

Over all questions the subjects are paper-question pairs, which are not independent:
the answers to one paper come from one reading of it. Given the papers as ``clusters``,
the variance of AC1, AC2 and PABAK is the linearised one summed within papers first
(equal to Gwet's when every subject is its own cluster), with ``t`` on the number of
papers minus one, and alpha's bootstrap resamples whole papers (as
:mod:`analysis.stats.clustered` does for kappa).

References
----------
Brennan RL, Prediger DJ (1981). Coefficient kappa: some uses, misuses, and alternatives.
Educational and Psychological Measurement 41:687-699.
Byrt T, Bishop J, Carlin JB (1993). Bias, prevalence and kappa. Journal of Clinical
Epidemiology 46:423-429.
Feinstein AR, Cicchetti DV (1990). High agreement but low kappa: I. The problems of two
paradoxes. Journal of Clinical Epidemiology 43:543-549.
Gwet KL (2008). Computing inter-rater reliability and its variance in the presence of high
agreement. British Journal of Mathematical and Statistical Psychology 61:29-48.
Gwet KL (2014). Handbook of Inter-Rater Reliability, 4th ed. Gaithersburg, MD: Advanced
Analytics.
Hayes AF, Krippendorff K (2007). Answering the call for a standard reliability measure for
coding data. Communication Methods and Measures 1:77-89.
Krippendorff K (2004). Content Analysis: An Introduction to Its Methodology, 2nd ed.
Thousand Oaks, CA: Sage.
Krippendorff K (2011). Computing Krippendorff's alpha-reliability. Departmental Papers
(ASC), University of Pennsylvania, 43.
Zapf A, Castell S, Morawietz L, Karch A (2016). Measuring inter-rater reliability for
nominal data - which coefficients and confidence intervals are appropriate? BMC Medical
Research Methodology 16:93.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.stats.clustered import N_BOOT, SEED, resample_counts
from analysis.stats.quality import (ALL_ITEMS, CONSENSUS, AppraisalTool, KappaEstimate,
                                    independent_reviewers)
# The kappa of one question's answers, exactly as the agreement table computes it.
from analysis.stats.quality import _estimate as kappa_of_answers

LEVEL = 0.95
WEIGHTS = ("identity", "linear", "quadratic", "ordinal")
METRICS = ("nominal", "ordinal")

# Codes of the coefficients, in the order a table lists them.
PAIRWISE_AGREEMENT = "pairwise_agreement"
KAPPA = "kappa"
AC1 = "gwet_ac1"
AC2 = "gwet_ac2"
ALPHA = "krippendorff_alpha"
PABAK = "pabak"
METHODS = (PAIRWISE_AGREEMENT, KAPPA, AC1, AC2, ALPHA, PABAK)

# Thresholds of :func:`kappa_paradox`, conventions rather than properties of the data:
# kappa below 0.40 is "fair" or worse by Landis and Koch's (1977) benchmarks, and the
# same benchmark is applied to the prevalence-adjusted kappa; one answer in three out of
# four (prevalence index 0.5) already lifts chance agreement under kappa to about 0.6.
KAPPA_THRESHOLD = 0.40
MIN_DOMINANT_SHARE = 0.75


# -------------------------------------------------------------------- the data


def agreement_weights(n_categories: int, kind: str = "identity") -> np.ndarray:
    """Agreement weights for ``q`` ordered answers (Gwet 2014).

    With the answers' ranks ``k, l = 1..q``:

    ========= ==============================================================
    identity  ``1`` if ``k = l``, else ``0`` (AC1, nominal)
    linear    ``1 - |k - l| / (q - 1)``
    quadratic ``1 - (k - l)² / (q - 1)²``
    ordinal   ``1 - M_kl / max M``, ``M_kl = C(|k - l| + 1, 2)``
    ========= ==============================================================

    Raises
    ------
    ValueError
        An unknown kind, or fewer than two answers for a weighted kind.
    """
    if kind not in WEIGHTS:
        raise ValueError(f"unknown weights {kind!r}; use one of: {', '.join(WEIGHTS)}")
    q = int(n_categories)
    if kind == "identity":
        return np.eye(q)
    if q < 2:
        raise ValueError(f"{kind} weights need at least two answers")
    k = np.arange(q)
    d = np.abs(k[:, None] - k[None, :]).astype(float)
    if kind == "linear":
        return 1 - d / (q - 1)
    if kind == "quadratic":
        return 1 - d ** 2 / (q - 1) ** 2
    m = (d + 1) * d / 2
    return 1 - m / m.max()


def answer_counts(answers: pd.DataFrame, categories: Sequence) -> np.ndarray:
    """Subjects-by-answers counts from a subjects-by-raters table of answers.

    Parameters
    ----------
    answers : DataFrame
        One row per subject, one column per rater; missing answers are NaN.
    categories : sequence
        Every allowed answer, in order (answers nobody gave still count in ``q``).

    Returns
    -------
    ndarray of float, shape (n_subjects, q)
        Rows of subjects nobody rated are kept (with a zero sum); the coefficients
        leave them out.

    Raises
    ------
    ValueError
        An answer that is not one of ``categories``.
    """
    values = answers.to_numpy(dtype=object)
    matches = [values == c for c in categories]
    unknown = pd.notna(values) & ~np.logical_or.reduce(matches) if matches else pd.notna(values)
    if unknown.any():
        found = sorted({str(v) for v in values[unknown]})
        raise ValueError(f"answers {found} are not among the categories "
                         f"{[str(c) for c in categories]}")
    return np.stack([m.sum(axis=1) for m in matches], axis=1).astype(float)


def _rated(counts, clusters) -> tuple[np.ndarray, np.ndarray | None]:
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2:
        raise ValueError("counts must be a subjects-by-answers table")
    keep = counts.sum(axis=1) > 0
    if clusters is not None:
        clusters = np.asarray(clusters)
        if clusters.shape != (counts.shape[0],):
            raise ValueError("clusters must name one cluster per subject (row of counts)")
        clusters = clusters[keep]
    return counts[keep], clusters


# ------------------------------------------------------------------ the results


@dataclass(frozen=True)
class AgreementCoefficient:
    """One agreement coefficient with its interval and what it rests on.

    Attributes
    ----------
    method : str
        ``"gwet_ac1"``, ``"gwet_ac2"``, ``"krippendorff_alpha"``, ``"pabak"``,
        ``"kappa"`` or ``"pairwise_agreement"`` (the share of agreeing pairs of answers,
        the proportion agreed for two raters; with more raters it differs from the
        share of papers on which all agree).
    weights : str
        AC2's weights or alpha's metric (``"identity"``, ``"linear"``, ``"quadratic"``,
        ``"ordinal"``, ``"nominal"``).
    estimate, se, lower, upper : float
        The coefficient, its standard error and its interval (NaN where none exists).
    level : float
        Coverage of the interval.
    interval : str
        How the interval was computed: ``"t"`` (analytic variance, ``t`` on ``df``
        degrees of freedom, upper limit capped at 1), ``"bootstrap"`` (percentile,
        ``n_bootstrap`` resamples drawn with ``seed``), ``"asymptotic"`` (Cohen's
        kappa, normal), or ``"none"``.
    observed, chance : float
        Observed agreement ``p_a`` (pairwise, weighted for AC2; ``1 - D_o`` for nominal
        alpha, NaN for ordinal alpha) and the agreement expected by chance ``p_e`` of
        the coefficient.
    n_subjects : int
        Subjects rated by at least one rater (for alpha: by at least two, the only
        ones it uses).
    n_pairable : int
        Subjects rated by at least two raters.
    n_raters : int
        Raters compared.
    n_ratings : int
        Answers counted.
    n_categories : int
        Answers allowed.
    n_clusters : int
        Clusters the variance or bootstrap respected (``n_subjects`` without clusters).
    df : int
        Degrees of freedom of a ``t`` interval (0 otherwise).
    seed : int or None
        Seed of ``numpy.random.default_rng`` for a bootstrap.
    n_bootstrap, n_undefined : int
        Resamples drawn, and those in which the coefficient was undefined (left out).
    defined : bool
        False when the coefficient is 0/0 (e.g. alpha when every answer is the same).
    """

    method: str
    weights: str
    estimate: float
    se: float
    lower: float
    upper: float
    level: float
    interval: str
    observed: float
    chance: float
    n_subjects: int
    n_pairable: int
    n_raters: int
    n_ratings: int
    n_categories: int
    n_clusters: int
    df: int = 0
    seed: int | None = None
    n_bootstrap: int = 0
    n_undefined: int = 0
    defined: bool = True


def _undefined(method: str, weights: str, level: float, interval: str, counts: np.ndarray,
               n_raters: int | None, n_clusters: int, observed: float = math.nan,
               chance: float = math.nan, **extra) -> AgreementCoefficient:
    r = counts.sum(axis=1)
    nan = math.nan
    return AgreementCoefficient(
        method=method, weights=weights, estimate=nan, se=nan, lower=nan, upper=nan,
        level=level, interval=interval, observed=observed, chance=chance,
        n_subjects=int((r > 0).sum()), n_pairable=int((r >= 2).sum()),
        n_raters=int(n_raters if n_raters is not None else (r.max() if r.size else 0)),
        n_ratings=int(r.sum()), n_categories=counts.shape[1], n_clusters=n_clusters,
        defined=False, **extra)


def _linearised(per_subject: np.ndarray, estimate: float, clusters: np.ndarray | None,
                level: float) -> tuple[float, float, float, int, int]:
    """Standard error and t interval of a coefficient that is the mean of its
    per-subject terms (Gwet 2008; 2014), summed within clusters when given.

    ``var = G/(G - 1) Σ_g (Σ_{i in g} (c_i - c))² / n²``: with every subject its own
    cluster (G = n) this is Gwet's ``Σ (c_i - c)² / (n (n - 1))``.
    """
    n = per_subject.size
    deviation = per_subject - estimate
    if clusters is None:
        sums, g = deviation, n
    else:
        _, index = np.unique(clusters, return_inverse=True)
        sums = np.bincount(index, weights=deviation)
        g = sums.size
    if g < 2:
        return math.nan, math.nan, math.nan, g, 0
    se = math.sqrt(g / (g - 1) * float((sums ** 2).sum()) / n ** 2)
    half = stats.t.ppf(0.5 + level / 2, g - 1) * se
    return se, estimate - half, min(1.0, estimate + half), g, g - 1


def _pairwise(counts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-subject weighted agreement ``p_a|i`` (0 for a subject with one rating), the
    mask of subjects with two ratings or more, and ``p_a`` over those (Gwet 2014)."""
    r = counts.sum(axis=1)
    pairable = r >= 2
    weighted = counts @ weights.T  # r*_ik = Σ_l w_kl r_il
    agree = (counts * (weighted - 1)).sum(axis=1)
    per = np.zeros_like(r)
    per[pairable] = agree[pairable] / (r[pairable] * (r[pairable] - 1))
    return per, pairable, float(per[pairable].mean()) if pairable.any() else math.nan


# -------------------------------------------------------------- Gwet's AC1 / AC2


def gwet_ac(counts, weights: str = "identity", level: float = LEVEL, clusters=None,
            n_raters: int | None = None) -> AgreementCoefficient:
    """Gwet's AC1 (identity weights) or AC2 (other weights) with its t interval.

    ``p_a`` is the weighted pairwise agreement over subjects rated at least twice;
    ``π_k`` the mean share of answer ``k`` over subjects rated at least once;
    ``p_e = T_w / (q(q - 1)) Σ_k π_k (1 - π_k)``, ``T_w`` the sum of the weights;
    ``AC = (p_a - p_e) / (1 - p_e)``. The variance is Gwet's (2008; 2014)
    linearisation for missing ratings: per subject
    ``ac_i = (n/n')(p_a|i - p_e 1[r_i ≥ 2])/(1 - p_e) - 2(1 - AC)(p_e|i - p_e)/(1 - p_e)``
    with ``p_e|i = T_w/(q(q - 1)) Σ_k (r_ik/r_i)(1 - π_k)``, and
    ``var = Σ (ac_i - AC)² / (n(n - 1))`` (no finite-population correction).

    Parameters
    ----------
    counts : array-like, shape (n_subjects, q)
        How many raters gave each answer to each subject (see :func:`answer_counts`).
    weights : {"identity", "linear", "quadratic", "ordinal"}
        Identity gives AC1; the others AC2 on the answers' order (columns of ``counts``).
    level : float
        Coverage of the interval.
    clusters : array-like, optional
        A cluster label per subject (e.g. the paper of a paper-question pair): the
        variance then sums within clusters first (see the module's notes).
    n_raters : int, optional
        Raters compared, recorded (the largest row sum by default).

    Returns
    -------
    AgreementCoefficient
        Undefined when no subject was rated twice or there is one answer only.

    References
    ----------
    Gwet (2008), British Journal of Mathematical and Statistical Psychology 61:29-48;
    Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed.
    """
    method = AC1 if weights == "identity" else AC2
    w = agreement_weights(np.asarray(counts).shape[1], weights)
    x, groups = _rated(counts, clusters)
    q = x.shape[1]
    n_clusters = int(np.unique(groups).size) if groups is not None else x.shape[0]
    per, pairable, p_a = _pairwise(x, w)
    if q < 2 or not pairable.any():
        return _undefined(method, weights, level, "t", x, n_raters, n_clusters, p_a)
    r = x.sum(axis=1)
    n, n2 = x.shape[0], int(pairable.sum())
    share = x / r[:, None]
    pi = share.mean(axis=0)
    scale = w.sum() / (q * (q - 1))
    p_e = float(scale * (pi * (1 - pi)).sum())
    ac = (p_a - p_e) / (1 - p_e)
    ac_star = (n / n2) * (per - p_e * pairable) / (1 - p_e)
    pe_i = scale * (share @ (1 - pi))
    ac_i = ac_star - 2 * (1 - ac) * (pe_i - p_e) / (1 - p_e)
    se, low, high, g, df = _linearised(ac_i, ac, groups, level)
    return AgreementCoefficient(
        method=method, weights=weights, estimate=float(ac), se=se, lower=low, upper=high,
        level=level, interval="t", observed=p_a, chance=p_e, n_subjects=n, n_pairable=n2,
        n_raters=int(n_raters if n_raters is not None else r.max()), n_ratings=int(r.sum()),
        n_categories=q, n_clusters=g, df=df)


def pabak(counts, level: float = LEVEL, clusters=None,
          n_raters: int | None = None) -> AgreementCoefficient:
    """The prevalence- and bias-adjusted kappa, ``(q p_a - 1) / (q - 1)``.

    Byrt, Bishop and Carlin's (1993) PABAK is ``2 p_o - 1`` for two raters and two
    answers: kappa with chance agreement fixed at one half, as if the answers were
    balanced and the raters unbiased. With ``q`` answers chance agreement is ``1/q``,
    and with more raters or missing answers ``p_a`` is the pairwise agreement of
    :func:`gwet_ac`: this is Brennan and Prediger's (1981) coefficient, whose variance
    is Gwet's (2014) linearisation (``p_e`` fixed, so no correction term), with the
    same t interval as AC1. ``q`` is the number of answers allowed (the columns of
    ``counts``), not of answers given.

    References
    ----------
    Byrt, Bishop and Carlin (1993); Brennan and Prediger (1981); Gwet (2014).
    """
    x, groups = _rated(counts, clusters)
    q = x.shape[1]
    n_clusters = int(np.unique(groups).size) if groups is not None else x.shape[0]
    per, pairable, p_a = _pairwise(x, np.eye(q))
    if q < 2 or not pairable.any():
        return _undefined(PABAK, "identity", level, "t", x, n_raters, n_clusters, p_a)
    n, n2 = x.shape[0], int(pairable.sum())
    p_e = 1 / q
    value = (p_a - p_e) / (1 - p_e)
    per_subject = (n / n2) * (per - p_e * pairable) / (1 - p_e)
    se, low, high, g, df = _linearised(per_subject, value, groups, level)
    r = x.sum(axis=1)
    return AgreementCoefficient(
        method=PABAK, weights="identity", estimate=float(value), se=se, lower=low,
        upper=high, level=level, interval="t", observed=p_a, chance=p_e, n_subjects=n,
        n_pairable=n2, n_raters=int(n_raters if n_raters is not None else r.max()),
        n_ratings=int(r.sum()), n_categories=q, n_clusters=g, df=df)


# ------------------------------------------------------------ Krippendorff's alpha


def coincidences(counts) -> np.ndarray:
    """Each subject's coincidence matrix (Krippendorff 2011, step B).

    ``o_ck(u) = (n_uc n_uk - [c = k] n_uc) / (m_u - 1)`` for a subject with ``m_u >= 2``
    values (zero for the others). Summed over subjects it is the coincidence matrix,
    whose margins ``n_c`` count the pairable values.

    Returns
    -------
    ndarray, shape (n_subjects, q, q)
    """
    x = np.asarray(counts, dtype=float)
    m = x.sum(axis=1)
    outer = x[:, :, None] * x[:, None, :] - np.einsum("uc,ck->uck", x, np.eye(x.shape[1]))
    scale = np.where(m >= 2, 1 / np.where(m >= 2, m - 1, 1), 0.0)
    return outer * scale[:, None, None]


def _alpha(coincidence: np.ndarray,
           metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alpha, ``D_o`` and ``D_e`` of one or a stack of coincidence matrices.

    ``alpha = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck`` (Krippendorff 2011), with
    ``δ² = [c ≠ k]`` (nominal) or ``(Σ_{g=c..k} n_g - (n_c + n_k)/2)²`` (ordinal, on
    the answers' order); ``D_o = Σ o δ² / n``, ``D_e = Σ n_c n_k δ² / (n (n - 1))``.
    Alpha is NaN where the expected disagreement is 0 (one answer only).
    """
    o = np.asarray(coincidence, dtype=float)
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    q = o.shape[-1]
    if metric == "nominal":
        delta = np.broadcast_to(1 - np.eye(q), o.shape)
    else:
        cum = np.cumsum(n_c, axis=-1)
        ranks = np.arange(q)
        lo, hi = np.minimum.outer(ranks, ranks), np.maximum.outer(ranks, ranks)
        # Σ_{g=lo..hi} n_g = cum[hi] - cum[lo] + n_lo
        span = cum[..., hi] - cum[..., lo] + n_c[..., lo]
        delta = (span - (n_c[..., :, None] + n_c[..., None, :]) / 2) ** 2
    observed = (o * delta).sum(axis=(-2, -1))
    expected = (n_c[..., :, None] * n_c[..., None, :] * delta).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1 - (n - 1) * observed / expected
        d_o, d_e = observed / n, expected / (n * (n - 1))
    return np.where(expected > 0, alpha, np.nan), d_o, d_e


def krippendorff_alpha(counts, metric: str = "nominal", level: float = LEVEL,
                       n_boot: int = N_BOOT, seed: int = SEED, clusters=None,
                       n_raters: int | None = None) -> AgreementCoefficient:
    """Krippendorff's alpha with a percentile bootstrap interval.

    Only subjects with two values or more are pairable; the others are left out, as
    Krippendorff (2011) prescribes. Alpha has no simple analytic variance, so its
    interval comes from ``n_boot`` resamples of the pairable subjects with replacement
    (of whole clusters when ``clusters`` is given); resamples in which alpha is 0/0
    are left out and counted. Hayes and Krippendorff (2007) bootstrap the pairs of
    values instead; resampling subjects keeps each subject's answers together, as
    Zapf et al. (2016) do.

    Parameters
    ----------
    counts : array-like, shape (n_subjects, q)
        How many raters gave each answer to each subject, answers in their order.
    metric : {"nominal", "ordinal"}
        Ordinal uses Krippendorff's rank metric on the columns' order.
    level : float
        Coverage of the interval.
    n_boot : int
        Bootstrap resamples (0 for the estimate alone).
    seed : int
        Seed of ``numpy.random.default_rng``, recorded in the result.
    clusters : array-like, optional
        A cluster label per subject; the bootstrap then resamples clusters.
    n_raters : int, optional
        Raters compared, recorded.

    Returns
    -------
    AgreementCoefficient
        ``se`` is the bootstrap standard deviation. Undefined when every pairable value
        is the same answer (no expected disagreement) or nothing is pairable.

    References
    ----------
    Krippendorff (2004, 2011); Hayes and Krippendorff (2007).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    x, groups = _rated(counts, clusters)
    pairable = x.sum(axis=1) >= 2
    x = x[pairable]
    groups = groups[pairable] if groups is not None else None
    n_clusters = int(np.unique(groups).size) if groups is not None else x.shape[0]
    per_subject = coincidences(x)
    alpha, d_o, d_e = (float(v) for v in _alpha(per_subject.sum(axis=0), metric))
    # For nominal data 1 - D_o and 1 - D_e are the observed and the chance agreement
    # of the pairable values; the ordinal metric's disagreements are not proportions.
    observed, chance = (1 - d_o, 1 - d_e) if metric == "nominal" else (math.nan, math.nan)
    r = x.sum(axis=1)
    common = dict(method=ALPHA, weights=metric, level=level, interval="bootstrap",
                  n_subjects=int(x.shape[0]), n_pairable=int(x.shape[0]),
                  n_raters=int(n_raters if n_raters is not None else (r.max() if r.size else 0)),
                  n_ratings=int(r.sum()), n_categories=x.shape[1], n_clusters=n_clusters,
                  seed=seed, n_bootstrap=int(n_boot))
    if not math.isfinite(alpha):
        return _undefined(ALPHA, metric, level, "bootstrap", x, n_raters, n_clusters,
                          observed, seed=seed, n_bootstrap=int(n_boot))
    nan = math.nan
    if n_boot < 1 or n_clusters < 2:
        return AgreementCoefficient(estimate=alpha, se=nan, lower=nan, upper=nan,
                                    observed=observed, chance=chance, **common)
    if groups is None:
        units = per_subject.reshape(x.shape[0], -1)
    else:
        _, index = np.unique(groups, return_inverse=True)
        units = np.zeros((n_clusters, per_subject[0].size))
        np.add.at(units, index, per_subject.reshape(x.shape[0], -1))
    draws = resample_counts(units.shape[0], n_boot, seed)
    replicates, _, _ = _alpha((draws @ units).reshape(n_boot, *per_subject.shape[1:]), metric)
    defined = replicates[np.isfinite(replicates)]
    tail = (1 - level) / 2
    low, high = (np.quantile(defined, [tail, 1 - tail]) if defined.size else (nan, nan))
    return AgreementCoefficient(
        estimate=alpha, se=float(np.std(defined, ddof=1)) if defined.size > 1 else nan,
        lower=float(low), upper=float(high), observed=observed, chance=chance,
        n_undefined=int(n_boot - defined.size), **common)


# ------------------------------------------------------------------ the paradox


@dataclass(frozen=True)
class KappaParadox:
    """Whether kappa is low only because one answer dominates (Feinstein and
    Cicchetti 1990): the numbers that decide it and the flags.

    For two raters and two answers Byrt, Bishop and Carlin (1993) showed that
    ``kappa = (PABAK - PI² + BI²) / (1 - PI² + BI²)``, with PI the prevalence index and
    BI the bias index: with unbiased raters, kappa falls below PABAK by as much as the
    answers are unbalanced. Kappa is taken to be low only because of the imbalance when
    it is low while PABAK, the same agreement with the answers taken as balanced, is
    not, and one answer dominates.

    Attributes
    ----------
    observed_agreement : float
        Pairwise agreement ``p_a`` (the proportion agreed, for two raters).
    kappa, ac1, pabak : float
        Kappa as reported (Cohen's or Fleiss'), and two coefficients that do not follow
        the answers' prevalence the way kappa does.
    dominant_answer : int
        Column (answer) given most often.
    dominant_share : float
        Its share of all answers.
    prevalence_index : float
        ``2 × dominant_share - 1``: Byrt et al.'s ``|a - d| / n`` for two answers, 0 for
        balanced answers, 1 when one answer is given throughout.
    kappa_gap : float
        ``pabak - kappa``.
    low_kappa : bool
        ``kappa < kappa_threshold`` (False when kappa is undefined).
    adjusted_not_low : bool
        ``pabak >= kappa_threshold``.
    unbalanced : bool
        ``dominant_share >= min_dominant_share``.
    paradox : bool
        All three.
    kappa_threshold, min_dominant_share : float
        The thresholds used.
    """

    observed_agreement: float
    kappa: float
    ac1: float
    pabak: float
    dominant_answer: int
    dominant_share: float
    prevalence_index: float
    kappa_gap: float
    low_kappa: bool
    adjusted_not_low: bool
    unbalanced: bool
    paradox: bool
    kappa_threshold: float
    min_dominant_share: float


def kappa_paradox(counts, kappa: float, kappa_threshold: float = KAPPA_THRESHOLD,
                  min_dominant_share: float = MIN_DOMINANT_SHARE) -> KappaParadox:
    """Whether a low kappa is the prevalence paradox: PABAK not low, one answer dominant.

    Parameters
    ----------
    counts : array-like, shape (n_subjects, q)
        How many raters gave each answer to each subject.
    kappa : float
        The kappa reported for the same answers (Cohen's or Fleiss').
    kappa_threshold : float
        Kappa below it is low; PABAK at or above it is not (0.40 by default, the upper
        end of Landis and Koch's "fair").
    min_dominant_share : float
        The most frequent answer's share of all answers from which they count as
        unbalanced (0.75 by default).

    Returns
    -------
    KappaParadox

    References
    ----------
    Feinstein and Cicchetti (1990); Byrt, Bishop and Carlin (1993); Landis JR, Koch GG
    (1977), Biometrics 33:159-174.
    """
    x, _ = _rated(counts, None)
    totals = x.sum(axis=0)
    share = totals / totals.sum() if totals.sum() else np.full(x.shape[1], math.nan)
    dominant = int(np.argmax(totals))
    adjusted = pabak(x)
    low = bool(math.isfinite(kappa) and kappa < kappa_threshold)
    not_low = bool(adjusted.estimate >= kappa_threshold)
    unbalanced = bool(share[dominant] >= min_dominant_share)
    return KappaParadox(
        observed_agreement=adjusted.observed, kappa=float(kappa), ac1=gwet_ac(x).estimate,
        pabak=adjusted.estimate, dominant_answer=dominant,
        dominant_share=float(share[dominant]),
        prevalence_index=float(2 * share[dominant] - 1),
        kappa_gap=float(adjusted.estimate - kappa), low_kappa=low, adjusted_not_low=not_low,
        unbalanced=unbalanced, paradox=low and not_low and unbalanced,
        kappa_threshold=kappa_threshold, min_dominant_share=min_dominant_share)


# ------------------------------------------------------------ for an appraisal


@dataclass(frozen=True, eq=False)
class AppraisalAgreement:
    """Every agreement coefficient of an appraisal, per question and over all.

    ``table`` has one row per question (``item``: "Q1" ..., then "All items") and
    coefficient, in :data:`METHODS` order (AC2 and alpha once per weights or metric):
    columns ``item``, ``label``, and the fields of :class:`AgreementCoefficient`.
    ``paradox`` has one row per question and "All items" (index ``item``) with the
    fields of :class:`KappaParadox`. ``applicable`` is False with fewer than two
    independent reviewers (both tables are then empty).
    """

    reviewers: tuple[str, ...]
    level: float
    seed: int
    n_bootstrap: int
    ordinal_weights: str
    applicable: bool
    table: pd.DataFrame = field(repr=False)
    paradox: pd.DataFrame = field(repr=False)


def _kappa_row(est: KappaEstimate, counts: np.ndarray, n_raters: int,
               level: float) -> AgreementCoefficient:
    r = counts.sum(axis=1)
    two = est.statistic.startswith("Cohen")
    return AgreementCoefficient(
        method=KAPPA, weights="identity", estimate=est.kappa, se=est.se, lower=est.ci_low,
        upper=est.ci_high, level=level,
        interval="asymptotic" if two and math.isfinite(est.se) else "none",
        observed=est.observed, chance=est.expected, n_subjects=est.n, n_pairable=est.n,
        n_raters=n_raters, n_ratings=int(r[r == n_raters].sum()),
        n_categories=counts.shape[1], n_clusters=est.n, defined=est.defined)


def _pairwise_row(counts: np.ndarray, n_raters: int, level: float) -> AgreementCoefficient:
    _, pairable, p_a = _pairwise(counts, np.eye(counts.shape[1]))
    r = counts.sum(axis=1)
    nan = math.nan
    return AgreementCoefficient(
        method=PAIRWISE_AGREEMENT, weights="identity", estimate=p_a, se=nan, lower=nan,
        upper=nan, level=level, interval="none", observed=p_a, chance=nan,
        n_subjects=int((r > 0).sum()), n_pairable=int(pairable.sum()), n_raters=n_raters,
        n_ratings=int(r.sum()), n_categories=counts.shape[1],
        n_clusters=int((r > 0).sum()), defined=math.isfinite(p_a))


def appraisal_agreement(rated: pd.DataFrame, tool: AppraisalTool,
                        reviewers: list[str] | None = None, agreed_label: str = CONSENSUS,
                        level: float = LEVEL, n_boot: int = N_BOOT, seed: int = SEED,
                        ordinal_weights: str = "ordinal") -> AppraisalAgreement:
    """Agreement of the independent reviewers by every coefficient, per question and overall.

    Per question the subjects are the papers; over all questions they are the
    paper-question pairs, with the papers as clusters (see the module's notes). A
    paper one reviewer did not rate keeps the other reviewers' answers: AC1, AC2, PABAK
    and alpha use them (alpha only where two answers or more remain); kappa, as on the
    agreement table of :func:`analysis.stats.quality.agreement`, uses only papers every
    reviewer rated. Answers are ordered as the tool lists them (most favourable first)
    for AC2 and ordinal alpha.

    Parameters
    ----------
    rated : DataFrame
        The ``casp_ratings`` table (``study_id``, ``reviewer``, ``item``, ``rating``),
        checked against the tool (:func:`analysis.stats.quality.ratings`).
    tool : AppraisalTool
        Its questions and allowed answers.
    reviewers : list of str, optional
        Reviewers to compare; every independent reviewer by default.
    agreed_label : str
        Reviewer label of the agreed answers, which are not compared.
    level : float
        Coverage of every interval.
    n_boot, seed : int
        Bootstrap resamples for alpha and the seed of the generator (each question's
        bootstrap starts from the same seed, so a question's interval does not depend
        on the others).
    ordinal_weights : {"linear", "quadratic", "ordinal"}
        Weights of AC2.

    Returns
    -------
    AppraisalAgreement

    References
    ----------
    Gwet (2008, 2014); Krippendorff (2011); Byrt, Bishop and Carlin (1993); Feinstein
    and Cicchetti (1990).
    """
    reviewers = (list(reviewers) if reviewers is not None
                 else independent_reviewers(rated, agreed_label))
    columns = ["item", "label", *AgreementCoefficient.__dataclass_fields__]
    paradox_columns = list(KappaParadox.__dataclass_fields__)
    if len(reviewers) < 2:
        return AppraisalAgreement(
            reviewers=tuple(reviewers), level=level, seed=seed, n_bootstrap=n_boot,
            ordinal_weights=ordinal_weights, applicable=False,
            table=pd.DataFrame(columns=columns),
            paradox=pd.DataFrame(columns=paradox_columns, index=pd.Index([], name="item")))
    answers = list(tool.answers)
    wide = (rated[rated["reviewer"].isin(reviewers)]
            .pivot(index=["study_id", "item"], columns="reviewer", values="rating")
            .reindex(columns=reviewers))
    codes, labels = tool.codes(), tool.question_labels()
    present = set(wide.index.get_level_values("item"))
    parts = [(codes[i], labels[i], wide.xs(i, level="item", drop_level=False))
             for i in tool.items["item"] if i in present]
    parts.append((ALL_ITEMS, "", wide))
    rows, flags = [], {}
    m = len(reviewers)
    for code, label, part in parts:
        counts = answer_counts(part, answers)
        overall = code == ALL_ITEMS
        clusters = part.index.get_level_values("study_id").to_numpy() if overall else None
        complete = part.dropna()
        kappa = kappa_of_answers(complete, reviewers, tool)
        results = [
            _pairwise_row(counts, m, level),
            _kappa_row(kappa, answer_counts(complete, answers), m, level),
            gwet_ac(counts, "identity", level, clusters, m),
            gwet_ac(counts, ordinal_weights, level, clusters, m),
            krippendorff_alpha(counts, "nominal", level, n_boot, seed, clusters, m),
            krippendorff_alpha(counts, "ordinal", level, n_boot, seed, clusters, m),
            pabak(counts, level, clusters, m),
        ]
        for res in results:
            rows.append({"item": code, "label": label, **res.__dict__})
        flags[code] = kappa_paradox(counts, kappa.kappa).__dict__
    paradox = pd.DataFrame.from_dict(flags, orient="index")[paradox_columns]
    paradox.index.name = "item"
    return AppraisalAgreement(
        reviewers=tuple(reviewers), level=level, seed=seed, n_bootstrap=n_boot,
        ordinal_weights=ordinal_weights, applicable=True,
        table=pd.DataFrame(rows, columns=columns), paradox=paradox)
