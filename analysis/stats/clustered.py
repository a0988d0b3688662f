"""Agreement intervals that respect the clustering of answers within papers.

The all-questions kappa pools every paper-question pair into one table, and its
classical (asymptotic) interval treats those pairs as independent. They are not: the
ten answers two reviewers give one paper come from one reading of one paper, and a
paper one reviewer finds weak tends to collect several of that reviewer's non-Yes
answers. Resampling whole papers with replacement (a cluster, or case, bootstrap)
keeps each paper's answers together, so its interval reflects the number of papers
rather than the number of answer pairs.

References
----------
Davison AC, Hinkley DV. Bootstrap Methods and their Application. Cambridge University
Press, 1997, section 3.8 (resampling clustered data).

Field CA, Welsh AH. Bootstrapping clustered data. J R Stat Soc B 2007;69(3):369-390.

Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas 1960;20:37-46.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from analysis.contract.package import DataPackage
from analysis.stats.quality import (CONSENSUS, AppraisalTool, agreement, independent_reviewers,
                                    ratings)

N_BOOT = 2000
SEED = 20201215
LEVEL = 0.95


class NotComputed(Enum):
    """Why there is no clustered interval (the page's words:
    :func:`analysis.chapters.quality.clustered_words`)."""

    NOT_TWO_REVIEWERS = "the interval is computed for two independent reviewers"
    KAPPA_UNDEFINED = "kappa over all questions is undefined"


@dataclass(frozen=True)
class ClusteredKappa:
    """Cohen's kappa over all questions with a classical and a cluster-bootstrap interval.

    Attributes
    ----------
    computed : bool
        False when there are not exactly two independent reviewers or kappa is
        undefined; ``not_computed`` then says why and the intervals are NaN.
    n_papers, n_pairs : int
        Papers (clusters) and paper-question answer pairs.
    kappa : float
        The all-questions kappa (the same as on the agreement table).
    ci_low, ci_high : float
        Classical asymptotic interval (pairs treated as independent).
    boot_low, boot_high : float
        Percentile interval over ``n_boot`` resamples of whole papers.
    boot_se, classical_se : float
        Standard deviation of the bootstrap kappas, and the classical standard error.
    width_ratio : float
        Width of the bootstrap interval over that of the classical one.
    n_boot, seed : int
        Resamples drawn and the seed of the generator (``numpy.random.default_rng``).
    n_undefined : int
        Resamples whose kappa was undefined (chance agreement 100%), left out.
    not_computed : NotComputed or None
    reviewers : tuple of str
        The independent reviewers in the data.
    """

    computed: bool
    n_papers: int
    n_pairs: int
    kappa: float
    ci_low: float
    ci_high: float
    boot_low: float
    boot_high: float
    boot_se: float
    classical_se: float
    width_ratio: float
    n_boot: int
    seed: int
    n_undefined: int
    level_pct: float
    not_computed: NotComputed | None = None
    reviewers: tuple[str, ...] = ()


def paper_tables(package: DataPackage, tool: AppraisalTool,
                 reviewers: list[str]) -> tuple[list[str], np.ndarray]:
    """Each paper's square table of the two reviewers' answers.

    Returns
    -------
    papers : list of str
        Papers rated by both reviewers, sorted.
    tables : ndarray, shape (n_papers, k, k)
        Counts of answer pairs, first reviewer in rows, in the tool's answer order.
    """
    rated = ratings(package, tool)
    wide = (rated[rated["reviewer"].isin(reviewers)]
            .pivot(index=["study_id", "item"], columns="reviewer", values="rating")
            .dropna())
    k = len(tool.answers)
    code = {a: i for i, a in enumerate(tool.answers)}
    first = wide[reviewers[0]].map(code).to_numpy(dtype=int)
    second = wide[reviewers[1]].map(code).to_numpy(dtype=int)
    papers = sorted(wide.index.get_level_values("study_id").unique())
    index = {p: i for i, p in enumerate(papers)}
    paper = np.array([index[p] for p in wide.index.get_level_values("study_id")], dtype=int)
    flat = np.zeros((len(papers), k * k))
    np.add.at(flat, (paper, first * k + second), 1)
    return papers, flat.reshape(len(papers), k, k)


def kappa_of_tables(tables: np.ndarray) -> np.ndarray:
    """Cohen's kappa of each square table in a stack (NaN where chance agreement is 100%)."""
    tables = np.asarray(tables, dtype=float)
    n = tables.sum(axis=(-2, -1))
    observed = np.trace(tables, axis1=-2, axis2=-1) / n
    expected = (tables.sum(axis=-1) * tables.sum(axis=-2)).sum(axis=-1) / n ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = (observed - expected) / (1 - expected)
    return np.where(np.isclose(expected, 1.0), np.nan, kappa)


def resample_counts(n_clusters: int, n_boot: int = N_BOOT, seed: int = SEED) -> np.ndarray:
    """How often each cluster is drawn in each of ``n_boot`` resamples with replacement.

    Each resample draws ``n_clusters`` clusters; a statistic that is a sum over clusters
    is then one matrix product away (``counts @ per_cluster``).

    Returns
    -------
    ndarray of int, shape (n_boot, n_clusters)
        Row sums are ``n_clusters``. The same seed gives the same draws.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    return np.stack([np.bincount(row, minlength=n_clusters) for row in draws])


def cluster_bootstrap_kappa(tables: np.ndarray, n_boot: int = N_BOOT, seed: int = SEED,
                            level: float = LEVEL) -> tuple[np.ndarray, float, float]:
    """Kappas of ``n_boot`` resamples of whole papers, and their percentile interval.

    Parameters
    ----------
    tables : ndarray, shape (n_papers, k, k)
        Each paper's table of answer pairs (see :func:`paper_tables`).
    n_boot : int
        Resamples; each draws ``n_papers`` papers with replacement.
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same interval.
    level : float

    Returns
    -------
    kappas : ndarray, shape (n_boot,)
        NaN for resamples whose kappa is undefined.
    low, high : float
        Percentiles ``(1 - level) / 2`` and ``(1 + level) / 2`` of the defined kappas.
    """
    tables = np.asarray(tables, dtype=float)
    n_papers = len(tables)
    weights = resample_counts(n_papers, n_boot, seed)
    summed = (weights @ tables.reshape(n_papers, -1)).reshape(n_boot, *tables.shape[1:])
    kappas = kappa_of_tables(summed)
    defined = kappas[np.isfinite(kappas)]
    if not len(defined):
        return kappas, math.nan, math.nan
    alpha = (1 - level) / 2
    low, high = np.quantile(defined, [alpha, 1 - alpha])
    return kappas, float(low), float(high)


def clustered_kappa(package: DataPackage, tool: AppraisalTool, n_boot: int = N_BOOT,
                    seed: int = SEED, level: float = LEVEL,
                    agreed_label: str = CONSENSUS) -> ClusteredKappa:
    """The all-questions kappa with its classical and its cluster-bootstrap interval.

    Parameters
    ----------
    package : DataPackage
    tool : AppraisalTool
    n_boot : int
        Resamples of whole papers.
    seed : int
        Seed of the resampling, recorded in the result.
    level : float
        Coverage of both intervals.
    agreed_label : str
        The reviewer label of the agreed answers, which are not compared.

    Returns
    -------
    ClusteredKappa
    """
    overall = agreement(package, tool, agreed_label=agreed_label)
    reviewers = independent_reviewers(ratings(package, tool), agreed_label)
    nan = math.nan

    def not_computed(why: NotComputed, n_papers: int = 0, n_pairs: int = 0) -> ClusteredKappa:
        return ClusteredKappa(False, n_papers, n_pairs, overall.kappa, overall.kappa_ci_low,
                              overall.kappa_ci_high, nan, nan, nan, nan, nan, n_boot, seed, 0,
                              round(100 * level, 1), why, tuple(reviewers))

    if len(reviewers) != 2:
        return not_computed(NotComputed.NOT_TWO_REVIEWERS)
    papers, tables = paper_tables(package, tool, reviewers)
    n_pairs = int(tables.sum())
    if not math.isfinite(overall.kappa):
        return not_computed(NotComputed.KAPPA_UNDEFINED, len(papers), n_pairs)
    kappas, low, high = cluster_bootstrap_kappa(tables, n_boot, seed, level)
    defined = kappas[np.isfinite(kappas)]
    classical = overall.kappa_ci_high - overall.kappa_ci_low
    se = float(overall.table.loc["All items", "se"])
    return ClusteredKappa(
        computed=True, n_papers=len(papers), n_pairs=n_pairs, kappa=overall.kappa,
        ci_low=overall.kappa_ci_low, ci_high=overall.kappa_ci_high, boot_low=low,
        boot_high=high, boot_se=float(np.std(defined, ddof=1)) if len(defined) > 1 else nan,
        classical_se=se,
        width_ratio=(high - low) / classical if classical > 0 else nan,
        n_boot=n_boot, seed=seed, n_undefined=int(np.isnan(kappas).sum()),
        level_pct=round(100 * level, 1), reviewers=tuple(reviewers))


def interval_table(result: ClusteredKappa) -> pd.DataFrame:
    """The two intervals of the all-questions kappa side by side.

    Returns
    -------
    DataFrame
        Indexed by interval ("classical (answer pairs independent)", "cluster bootstrap
        (papers resampled)"), with ``kappa``, ``low``, ``high``, ``width`` and ``se``.
    """
    rows = {
        "classical (answer pairs independent)":
            (result.kappa, result.ci_low, result.ci_high, result.classical_se),
        "cluster bootstrap (papers resampled)":
            (result.kappa, result.boot_low, result.boot_high, result.boot_se),
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["kappa", "low", "high", "se"])
    table.insert(3, "width", table["high"] - table["low"])
    table.index.name = "interval"
    return table
