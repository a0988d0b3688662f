"""The prevalence multiverse evaluated as arrays: thousands of specifications per call.

Every specification of :mod:`analysis.stats.multiverse` pools a multiset of the setting's
studies with one transform, one tau² estimator and one interval. Here a run of
consecutive specifications is one matrix ``C`` (specifications x studies) holding how
often each specification pools each study (0 or 1; a bootstrap replicate counts a study
drawn twice twice), and for each transform the studies' effects ``y`` and variances
``v`` are computed once. Every statistic of a specification is then a weighted sum over
its row:

- fixed-effect weights ``w = 1/v``: ``Σw``, ``Σwy``, ``Σwy²`` and ``Σw²`` for all rows
  are one matrix product; Cochran's Q is ``Σwy² - (Σwy)²/Σw``, the DerSimonian-Laird
  tau² ``(Q - (k - 1)) / (Σw - Σw²/Σw)`` (truncated at 0), the typical within-study
  variance ``(k - 1)Σw / ((Σw)² - Σw²)`` and I² follow in closed form;
- Paule-Mandel: the Newton steps of statsmodels' ``_fit_tau_iterative`` (DerSimonian and
  Kacker 2007), which the reference calls, taken for every row at once from tau² = 0 with
  its stopping rule (``|Q_w(tau²) - (k - 1)| <= 1e-5``, at most 50 steps, 0 when the
  estimating equation is negative), rows leaving the iteration as they converge;
- random-effects weights ``1/(v + tau²)``, the pooled mean and its standard error, the
  Wald interval, the Hartung-Knapp interval (its scale ``Σw(y - μ)²/(k - 1)``, t on
  k - 1 degrees of freedom), the prediction interval (t on k - 2) and the
  back-transformation (at the harmonic mean of the pooled studies' sizes for
  Freeman-Tukey) as array operations.

The specifications are enumerated as :class:`SpecificationPlan`, in the order of
:func:`analysis.stats.multiverse.specifications`, without writing a dict for each, so a
multiverse of millions is cut into blocks by number. The per-specification functions of
:mod:`analysis.stats.multiverse` stay the reference: a test holds every specification of
the bundled multiverse, and a seeded sample of the resampled one, to 1e-10 of them.

An estimator with no batched pooling in :data:`BATCHED_POOLING` (a GLMM, say) is still
evaluated, one specification at a time by :func:`analysis.stats.multiverse.evaluate_one`,
inside the same blocks; giving it a batched function is adding one entry.

References
----------
DerSimonian R, Kacker R (2007). Random-effects model for meta-analysis of clinical
trials: an update. Contemporary Clinical Trials 28:105-114.
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical
Trials 7:177-188.
Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled clinical
trials with binary outcome. Statistics in Medicine 20:3875-3889.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
Statistics in Medicine 21:1539-1558.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
meta-analysis. Journal of the Royal Statistical Society A 172:137-159.
Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of
the National Bureau of Standards 87:377-385.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.contract.choices import (EACH, GLMM, NONE, POOLING, RESAMPLED,
                                       RESAMPLING_COLUMNS, Choices)
from analysis.stats import prevalence
from analysis.stats.multiverse import (HARTUNG_KNAPP, OK, RESULT_COLUMNS, STUDY_SEPARATOR,
                                       TOO_FEW, StudyArrays, bootstrap_draws, evaluate_one,
                                       resolve, setting_studies)

# Specifications x studies of one array pass: 4 MB per float matrix (a pass makes about
# ten), so a block of the bundled multiverse (46 studies) holds some 10,000
# specifications and one of a package with thousands of studies about a hundred. Larger
# blocks were no faster (measured) and only held more memory.
BLOCK_CELLS = 500_000
# statsmodels' _fit_tau_iterative defaults, which the reference (combine_effects with
# method_re="iterated") uses; a test checks they have not changed.
PM_ATOL = 1e-5
PM_MAXITER = 50


@dataclass(frozen=True, eq=False)
class Segment:
    """A run of specifications that one combination of options makes.

    ``kind`` is ``base`` (the combination itself), ``leave_one_out`` (one per study of
    its subset), ``leave_k_out`` (one per set of ``k`` of its studies) or ``bootstrap``
    (one per replicate).
    """

    kind: str
    count: int
    k: int = 0


@dataclass(frozen=True, eq=False)
class SpecificationPlan:
    """Every specification of a multiverse, numbered, without a dict for each.

    Attributes
    ----------
    choices : Choices
        Resolved against the studies.
    size : str
        ``book``, ``full`` or ``resampled``.
    studies : StudyArrays
        The setting's studies.
    bases : tuple of dict
        The combinations of options no rule excludes, in declared order.
    subsets : ndarray of bool
        Bases x studies: the studies each base's filters select.
    segments : tuple of tuple of Segment
        What each base makes, in order.
    starts : ndarray of int
        The number (from 0) of each base's first specification, and the total last.
    """

    choices: Choices
    size: str
    studies: StudyArrays
    bases: tuple[dict[str, Any], ...]
    subsets: np.ndarray
    segments: tuple[tuple[Segment, ...], ...]
    starts: np.ndarray

    @classmethod
    def of(cls, rows: pd.DataFrame | StudyArrays, choices: Choices,
           size: str = "full") -> SpecificationPlan:
        """The plan of ``choices`` (resolved) on the setting's studies ``rows``."""
        arrays = rows if isinstance(rows, StudyArrays) else StudyArrays.from_frame(rows)
        resampling = choices.resampling if size == RESAMPLED else None
        bases, subsets, segments = [], [], []
        for base in choices.specifications(size):
            subset = arrays.mask({**base, "leave_one_out": NONE})
            k = int(subset.sum())
            if base.get("leave_one_out") == EACH:
                made = (Segment("leave_one_out", k),)
            else:
                made = [Segment("base", 1)]
                # GLMM specifications are not resampled (specifications() says why)
                if resampling is not None and base.get(POOLING) != GLMM:
                    made += [Segment("leave_k_out", math.comb(k, j), j)
                             for j in resampling.leave_k_out if k - j >= choices.min_studies]
                    if k >= choices.min_studies and resampling.bootstrap:
                        made.append(Segment("bootstrap", resampling.bootstrap))
                made = tuple(s for s in made if s.count)
            bases.append(base)
            subsets.append(subset)
            segments.append(made)
        counts = [sum(s.count for s in made) for made in segments]
        starts = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
        subsets = (np.array(subsets, dtype=bool) if subsets
                   else np.zeros((0, len(arrays)), dtype=bool))
        return cls(choices, size, arrays, tuple(bases), subsets, tuple(segments), starts)

    def __len__(self) -> int:
        return int(self.starts[-1])

    @property
    def columns(self) -> tuple[str, ...]:
        """The choice columns of the table."""
        return self.choices.columns(self.size)

    @property
    def seed(self) -> int | None:
        """The bootstrap's declared seed (None: the multiverse draws nothing)."""
        resampling = self.choices.resampling
        return resampling.seed if resampling is not None and self.size == RESAMPLED else None

    @cached_property
    def methods(self) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
        """The (transform, estimator) pairs, each base's pair (an index into them), and
        whether each base takes the Hartung-Knapp interval."""
        pairs = sorted({(b["transform"], b["tau2_method"]) for b in self.bases})
        code = np.array([pairs.index((b["transform"], b["tau2_method"])) for b in self.bases],
                        dtype=np.int64)
        hk = np.array([b.get("interval") == HARTUNG_KNAPP for b in self.bases], dtype=bool)
        return pairs, code, hk

    @cached_property
    def option_text(self) -> dict[str, np.ndarray]:
        """Each base's option of each choice, as the table writes it."""
        return {name: np.array([str(b[name]) for b in self.bases], dtype=object)
                for name in self.choices.names}

    @cached_property
    def main_base(self) -> np.ndarray:
        """Whether each base is the main analysis's combination."""
        main = self.choices.main
        return np.array([all(str(b[name]) == str(main[name]) for name in b)
                         for b in self.bases], dtype=bool)

    def _locate(self, i: int) -> tuple[int, Segment, int]:
        """The base, the segment and the position in it of specification ``i``."""
        b = int(np.searchsorted(self.starts, i, side="right")) - 1
        offset = i - int(self.starts[b])
        for segment in self.segments[b]:
            if offset < segment.count:
                return b, segment, offset
            offset -= segment.count
        raise IndexError(i)

    def _ids(self, b: int) -> np.ndarray:
        return self.studies.columns["study_id"][self.subsets[b]]

    def spec(self, i: int) -> dict[str, Any]:
        """Specification ``i`` (from 0) as :func:`analysis.stats.multiverse.specifications`
        writes it, for the reference :func:`analysis.stats.multiverse.evaluate_one`."""
        b, segment, offset = self._locate(i)
        spec = dict(self.bases[b])
        if self.size == RESAMPLED:
            spec.update(dict.fromkeys(RESAMPLING_COLUMNS, NONE))
        ids = self._ids(b)
        if segment.kind == "leave_one_out":
            spec["leave_one_out"] = str(ids[offset])
        elif segment.kind == "leave_k_out":
            combo = combination_at(len(ids), segment.k, offset)
            spec["leave_k_out"] = tuple(str(ids[j]) for j in combo)
        elif segment.kind == "bootstrap":
            spec["bootstrap"] = offset + 1
        return spec

    def evaluate(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        """Specifications ``start`` to ``stop`` (from 0, ``stop`` excluded) as rows of the
        tidy table (:func:`analysis.stats.multiverse.table`), numbered from ``start + 1``.
        """
        stop = len(self) if stop is None else min(stop, len(self))
        step = max(1, BLOCK_CELLS // max(1, len(self.studies)))
        parts = [evaluate_block(self, lo, min(lo + step, stop))
                 for lo in range(start, stop, step)]
        if not parts:
            return evaluate_block(self, start, start)
        return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def combination_at(n: int, k: int, rank: int) -> tuple[int, ...]:
    """The ``rank``-th (from 0) of the ``k``-combinations of ``range(n)`` in the order of
    :func:`itertools.combinations` (lexicographic), without listing those before it."""
    out, x = [], 0
    for i in range(k):
        while True:
            below = math.comb(n - x - 1, k - i - 1)
            if rank < below:
                out.append(x)
                x += 1
                break
            rank -= below
            x += 1
    return tuple(out)


def plan(studies: pd.DataFrame, choices: Choices, size: str = "full",
         categories: dict[str, dict] | None = None) -> SpecificationPlan:
    """The plan of a multiverse on ``prevalence_studies`` (``options: each`` resolved
    with ``categories``, see :func:`analysis.stats.multiverse.resolve`)."""
    choices = resolve(studies, choices, categories)
    return SpecificationPlan.of(setting_studies(studies, choices), choices, size)


def run_batched(studies: pd.DataFrame, choices: Choices, size: str = "full") -> pd.DataFrame:
    """The whole multiverse in this process, as arrays: the table
    :func:`analysis.stats.multiverse.run_serial` gives."""
    return plan(studies, choices, size).evaluate()


# ------------------------------------------------------------------ the blocks


@dataclass(frozen=True, eq=False)
class Block:
    """Specifications ``start`` to ``start + len(base)`` as arrays.

    ``counts`` (specifications x studies) says how often each pools each study;
    ``base`` is each one's base (an index into the plan's bases), ``first`` whether it
    is its base's own combination (no study left out or resampled); ``text`` holds the
    values of the columns that vary within a base.
    """

    start: int
    counts: np.ndarray
    base: np.ndarray
    first: np.ndarray
    text: dict[str, np.ndarray]


def block(plan: SpecificationPlan, start: int, stop: int) -> Block:
    """The studies each of specifications ``start`` to ``stop`` pools."""
    n_studies = len(plan.studies)
    size = max(0, stop - start)
    counts = np.zeros((size, n_studies))
    base = np.empty(size, dtype=np.int64)
    first = np.zeros(size, dtype=bool)
    varying = [c for c in plan.columns if c in ("leave_one_out", *RESAMPLING_COLUMNS)]
    text = {c: np.full(size, NONE, dtype=object) for c in varying}
    row = 0
    b = int(np.searchsorted(plan.starts, start, side="right")) - 1 if size else 0
    position = start
    while row < size:
        offset = position - int(plan.starts[b])
        subset = plan.subsets[b]
        ids = None
        for segment in plan.segments[b]:
            if offset >= segment.count:
                offset -= segment.count
                continue
            take = min(segment.count - offset, size - row)
            rows = slice(row, row + take)
            base[rows] = b
            counts[rows] = subset
            if ids is None:
                where = np.flatnonzero(subset)
                ids = plan.studies.columns["study_id"][where]
            if segment.kind == "base":
                first[rows] = True
            elif segment.kind == "leave_one_out":
                picked = np.arange(offset, offset + take)
                counts[np.arange(row, row + take), where[picked]] = 0
                text["leave_one_out"][rows] = [str(s) for s in ids[picked]]
            elif segment.kind == "leave_k_out":
                combos = np.fromiter(itertools.chain.from_iterable(itertools.islice(
                    itertools.combinations(range(len(where)), segment.k), offset,
                    offset + take)), dtype=np.int64, count=take * segment.k
                ).reshape(take, segment.k)
                counts[np.arange(row, row + take)[:, None], where[combos]] = 0
                names = ids.astype(str)[combos]
                text["leave_k_out"][rows] = [STUDY_SEPARATOR.join(r) for r in names]
            else:  # bootstrap: replicates offset + 1 ... offset + take
                draws = bootstrap_draws(plan.seed, ids, offset + take)[offset:]
                flat = (np.arange(take)[:, None] * n_studies + where[draws]).ravel()
                counts[rows] = np.bincount(flat, minlength=take * n_studies).reshape(
                    take, n_studies)
                text["bootstrap"][rows] = [str(r) for r in range(offset + 1, offset + take + 1)]
            row += take
            offset = 0
            if row == size:
                break
        position = start + row
        b += 1
    return Block(start, counts, base, first, text)


# ------------------------------------------------------------------ the pooling


@dataclass(frozen=True, eq=False)
class PooledArrays:
    """Random-effects pooling of many specifications on the analysis scale.

    Each attribute holds one value per specification; ``weights`` (specifications x
    studies) are the random-effects weights ``c/(v + tau²)`` the Hartung-Knapp scale
    needs.
    """

    k: np.ndarray
    effect: np.ndarray
    se: np.ndarray
    tau2: np.ndarray
    i2_percent: np.ndarray
    weights: np.ndarray


def row_sums(matrix: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``matrix @ values`` row by row, each row summed by NumPy alone.

    Not a BLAS product: BLAS kernels sum a row in an order that depends on how many rows
    are multiplied together, so a specification's last digits would depend on the chunk
    it was evaluated in, and a table computed on a cluster would not be bit for bit the
    one computed here.
    """
    return (matrix * values).sum(axis=1)


def _fixed_sums(counts: np.ndarray, effect: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Σw, Σwy, Σwy² and Σw² of each row (w = 1/v), as one matrix product."""
    w = 1 / variance
    return np.column_stack([row_sums(counts, v) for v in (w, w * effect, w * effect ** 2,
                                                          w ** 2)])


def tau2_dersimonian_laird(counts: np.ndarray, effect: np.ndarray, variance: np.ndarray,
                           k: np.ndarray) -> np.ndarray:
    """DerSimonian-Laird tau² of every row, not truncated (the caller truncates at 0).

    References
    ----------
    DerSimonian and Laird (1986).
    """
    sw, swy, swy2, sw2 = _fixed_sums(counts, effect, variance).T
    q = swy2 - swy ** 2 / sw
    return (q - (k - 1)) / (sw - sw2 / sw)


def tau2_paule_mandel(counts: np.ndarray, effect: np.ndarray, variance: np.ndarray,
                      k: np.ndarray) -> np.ndarray:
    """Paule-Mandel tau² of every row by the reference's own Newton steps.

    From tau² = 0, each step adds ``(Q_w - (k - 1)) / Σ w² (y - μ_w)²`` with
    ``w = 1/(v + tau²)``; a row stops when ``|Q_w - (k - 1)| <= 1e-5`` and is set to 0
    when ``Q_w < k - 1``, after at most 50 steps: statsmodels' ``_fit_tau_iterative``,
    which :func:`analysis.stats.prevalence.random_effects` calls, row by row.

    References
    ----------
    Paule and Mandel (1982); DerSimonian and Kacker (2007), appendix.
    """
    tau2 = np.zeros(len(counts))
    active = np.arange(len(counts))
    for _ in range(PM_MAXITER):
        if not active.size:
            break
        unit = 1 / (variance[None, :] + tau2[active, None])
        w = counts[active] * unit
        mean = row_sums(w, effect) / w.sum(axis=1)
        resid = (effect[None, :] - mean[:, None]) ** 2
        ee = (w * resid).sum(axis=1) - (k[active] - 1)
        negative = ee < 0
        go = ~negative & ~(np.abs(ee) <= PM_ATOL)
        tau2[active[negative]] = 0.0
        step = ee[go] / (w[go] * unit[go] * resid[go]).sum(axis=1)
        active = active[go]
        tau2[active] += step
    return tau2


# tau² estimator -> batched tau² (rows of counts, effects, variances, k); an estimator
# not named here is evaluated one specification at a time by the reference.
BATCHED_POOLING: dict[str, Callable[..., np.ndarray]] = {
    "dl": tau2_dersimonian_laird,
    "pm": tau2_paule_mandel,
}


def pool_rows(counts: np.ndarray, effect: np.ndarray, variance: np.ndarray,
              tau2_method: str) -> PooledArrays:
    """Random-effects pooling of every row of ``counts`` (at least two studies each).

    The estimates :func:`analysis.stats.prevalence.random_effects` gives each row's
    multiset of studies: tau² by ``tau2_method`` truncated at 0, the random-effects mean
    and standard error, and I² from the typical within-study variance (Higgins and
    Thompson 2002).
    """
    k = counts.sum(axis=1)
    tau2 = BATCHED_POOLING[tau2_method](counts, effect, variance, k)
    tau2 = np.where(tau2 > 0, tau2, 0.0)
    weights = counts / (variance[None, :] + tau2[:, None])
    total = weights.sum(axis=1)
    mean = row_sums(weights, effect) / total
    w = 1 / variance
    sw, sw2 = row_sums(counts, w), row_sums(counts, w ** 2)
    typical = (k - 1) * sw / (sw ** 2 - sw2)
    return PooledArrays(k=k, effect=mean, se=np.sqrt(1 / total), tau2=tau2,
                        i2_percent=100 * tau2 / (tau2 + typical), weights=weights)


def _t_quantile(df: np.ndarray, level: float = prevalence.LEVEL) -> np.ndarray:
    """The t quantile of each row's degrees of freedom (each distinct df computed once)."""
    values, where = np.unique(df, return_inverse=True)
    return stats.t.ppf(0.5 + level / 2, values)[where]


def _back(values: np.ndarray, transform: str, harmonic_n: np.ndarray) -> np.ndarray:
    return prevalence.back_transform(values, transform, harmonic_n)


def pooled_results(counts: np.ndarray, cases: np.ndarray, n: np.ndarray, transform: str,
                   tau2_method: str, hartung_knapp: np.ndarray) -> dict[str, np.ndarray]:
    """The result columns of specifications that share a transform and an estimator.

    Parameters
    ----------
    counts : ndarray
        Specifications x studies: how often each pools each study (at least
        ``min_studies`` studies in every row).
    cases, n : ndarray
        The setting's studies.
    transform, tau2_method : str
    hartung_knapp : ndarray of bool
        Rows whose confidence interval is Hartung-Knapp's (the others: Wald's).

    Returns
    -------
    dict
        ``prevalence``, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high`` (%), ``tau2`` and
        ``i2_percent``, one value per row.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", prevalence.FreemanTukeyWarning)
        eff = prevalence.study_effects(cases, n, transform)
    y, v = eff.effect, eff.variance
    pooled = pool_rows(counts, y, v, tau2_method)
    k, mean, se = pooled.k, pooled.effect, pooled.se
    harmonic_n = k / row_sums(counts, 1 / eff.n)
    z = stats.norm.ppf(0.5 + prevalence.LEVEL / 2)
    low, high = mean - z * se, mean + z * se
    if hartung_knapp.any():
        rows = np.flatnonzero(hartung_knapp)
        scale = (pooled.weights[rows] * (y[None, :] - mean[rows, None]) ** 2).sum(axis=1) \
            / (k[rows] - 1)
        half = _t_quantile(k[rows] - 1) * np.sqrt(scale / pooled.weights[rows].sum(axis=1))
        low[rows], high[rows] = mean[rows] - half, mean[rows] + half
    pi_low = np.full(len(k), np.nan)
    pi_high = np.full(len(k), np.nan)
    three = np.flatnonzero(k >= 3)
    if three.size:
        half = _t_quantile(k[three] - 2) * np.sqrt(pooled.tau2[three] + se[three] ** 2)
        pi_low[three] = _back(mean[three] - half, transform, harmonic_n[three])
        pi_high[three] = _back(mean[three] + half, transform, harmonic_n[three])
    return {"prevalence": 100 * _back(mean, transform, harmonic_n),
            "ci_low": 100 * _back(low, transform, harmonic_n),
            "ci_high": 100 * _back(high, transform, harmonic_n),
            "pi_low": 100 * pi_low, "pi_high": 100 * pi_high,
            "tau2": pooled.tau2, "i2_percent": pooled.i2_percent}


def evaluate_block(plan: SpecificationPlan, start: int, stop: int) -> pd.DataFrame:
    """Specifications ``start`` to ``stop`` as rows of the tidy table.

    Rows are grouped by transform and tau² estimator (the interval only chooses between
    two limits of the same model); each group is one call of :func:`pooled_results`,
    or, for an estimator without batched pooling, one reference evaluation per row.
    """
    blk = block(plan, start, stop)
    size = len(blk.base)
    cases = plan.studies.columns["cases"].astype(float)
    n = plan.studies.columns["n"].astype(float)
    k = blk.counts.sum(axis=1)
    results = {name: np.full(size, np.nan) for name in RESULT_COLUMNS[2:-1]}
    pooled = k >= plan.choices.min_studies
    status = np.where(pooled, OK, TOO_FEW).astype(object)
    kinds, code, hk = plan.methods
    row_code = code[blk.base]
    for c in np.unique(row_code[pooled]):
        rows = np.flatnonzero(pooled & (row_code == c))
        transform, tau2_method = kinds[c]
        if tau2_method in BATCHED_POOLING:
            values = pooled_results(blk.counts[rows], cases, n, transform, tau2_method,
                                    hk[blk.base[rows]])
        else:
            one = [evaluate_one(plan.studies, plan.spec(start + int(r)),
                                plan.choices.min_studies, plan.seed) for r in rows]
            values = {name: np.array([o[name] for o in one], dtype=float)
                      for name in results}
            # a fit that gave no estimate (a GLMM's) says why in its status
            status[rows] = [o["status"] for o in one]
        for name, column in values.items():
            results[name][rows] = column
    columns: dict[str, Any] = {"specification": np.arange(start + 1, start + size + 1)}
    for name in plan.columns:
        columns[name] = (blk.text[name] if name in blk.text
                         else plan.option_text[name][blk.base])
    columns["k"] = k.astype(np.int64)
    columns["n"] = np.rint(row_sums(blk.counts, n)).astype(np.int64)
    columns.update(results)
    columns["status"] = status
    columns["main"] = plan.main_base[blk.base] & blk.first
    frame = pd.DataFrame(columns)
    for name in (*plan.columns, "status"):
        frame[name] = frame[name].astype(str)
    return frame
