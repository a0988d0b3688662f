"""Thematic saturation of an interview study (Guest, Namey and Chen 2020).

Guest, Namey and Chen propose judging saturation from the initial codes of each
interview, taken in the order the interviews were held, with three parameters:

* **base size**: the first interviews, whose unique codes form the denominator
  (they recommend 4);
* **run length**: the number of consecutive later interviews in which new codes are
  counted (they recommend 2);
* **new-information threshold**: saturation is reached when a run adds no more new
  codes than this share of the base's unique codes (they recommend 5% or less, and
  0% as the stricter test of no new information at all).

New information in a run is the number of codes first met in the run (never seen in
any earlier interview, base or not) divided by the number of unique codes in the base.
The run moves forward one interview at a time; the saturation point is the number of
interviews held before the first run that meets the threshold, reported with the run
that confirmed it, e.g. "11 interviews (+2)". The defaults here (base 4, run 2, 5% or
less, and 0%) are the ones the paper recommends and reports.

The answer depends on the order of the interviews, which is partly chance. Guest and
colleagues bootstrapped orders to show this; :func:`order_sensitivity` repeats the
assessment over seeded random orders and reports the distribution of the saturation
point.

References
----------
Guest G, Namey E, Chen M. A simple method to assess and report thematic saturation in
qualitative research. PLOS ONE 2020;15(5):e0232076. doi:10.1371/journal.pone.0232076
Braun V, Clarke V. To saturate or not to saturate? Questioning data saturation as a
useful concept for thematic analysis and sample-size rationales. Qual Res Sport Exerc
Health 2021;13(2):201-216.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.contract.package import DataPackage

BASE_SIZE = 4
RUN_LENGTH = 2
THRESHOLD = 0.05
STRICT_THRESHOLD = 0.0
DEFAULT_SEED = 20200505  # publication date of Guest, Namey and Chen (2020)
# Shares are compared as counts (new <= threshold x base) with this slack, so 5% of a
# base of 40 codes admits exactly 2 new codes despite binary floating point.
_EPS = 1e-9
# Random orders are processed in chunks of about this many (order x code-mention) cells,
# which bounds memory at large scale without changing the orders drawn.
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class MethodDefaults:
    """The parameters Guest, Namey and Chen recommend (for the prose)."""

    base_size: int = BASE_SIZE
    run_length: int = RUN_LENGTH
    threshold_pct: float = 100 * THRESHOLD
    strict_threshold_pct: float = 100 * STRICT_THRESHOLD


@dataclass(frozen=True)
class CodeIncidence:
    """Which participant raised which initial code, participants in interview order.

    Attributes
    ----------
    participant_ids : ndarray of str
        Participants in interview order; those without any code are included.
    code_ids : ndarray of str
        Every code raised by at least one participant.
    present : ndarray of bool
        Participants x codes.
    """

    participant_ids: np.ndarray
    code_ids: np.ndarray
    present: np.ndarray

    @classmethod
    def from_tables(cls, participants: pd.DataFrame,
                    participant_codes: pd.DataFrame) -> CodeIncidence:
        """Incidence matrix from the ``participants`` and ``participant_codes`` tables."""
        order = participants.sort_values("interview_order")["participant_id"].astype(str)
        ids = order.to_numpy()
        codes = participant_codes[["participant_id", "code_id"]].astype(str).drop_duplicates()
        code_ids = np.sort(codes["code_id"].unique())
        row = pd.Index(ids).get_indexer(codes["participant_id"])
        if (row < 0).any():
            unknown = codes["participant_id"][row < 0].iloc[0]
            raise ValueError(f"participant {unknown} has codes but is not in participants")
        present = np.zeros((len(ids), len(code_ids)), dtype=bool)
        present[row, np.searchsorted(code_ids, codes["code_id"])] = True
        return cls(ids, code_ids, present)

    @classmethod
    def from_package(cls, package: DataPackage) -> CodeIncidence:
        """Incidence matrix of the interview study in a data package."""
        return cls.from_tables(package["participants"], package["participant_codes"])

    @property
    def n_interviews(self) -> int:
        return len(self.participant_ids)


def _first_positions(present: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Position (0-based) at which each code is first met, for each order.

    ``positions[o, p]`` is where participant ``p`` comes in order ``o``. A code is
    first met at the smallest position among the participants who raised it.
    """
    present = present[:, present.any(axis=0)]  # a code nobody raised has no first position
    code, person = np.nonzero(present.T)  # grouped by code, as reduceat needs
    starts = np.flatnonzero(np.r_[True, np.diff(code) != 0])
    return np.minimum.reduceat(positions[:, person], starts, axis=1)


def _new_per_interview(first: np.ndarray, n: int) -> np.ndarray:
    """Orders x interviews: codes first met at each interview."""
    n_orders = first.shape[0]
    flat = (first + n * np.arange(n_orders)[:, None]).ravel()
    return np.bincount(flat, minlength=n * n_orders).reshape(n_orders, n)


def _check(n: int, base_size: int, run_length: int, threshold: float) -> None:
    if base_size < 1 or run_length < 1:
        raise ValueError(f"base size and run length must be at least 1 (got {base_size} "
                         f"and {run_length})")
    if base_size + run_length > n:
        raise ValueError(f"a base of {base_size} and a run of {run_length} need at least "
                         f"{base_size + run_length} interviews; there are {n}")
    if not 0 <= threshold < 1:
        raise ValueError(f"the new-information threshold is a share between 0 and 1, "
                         f"not {threshold}")


def _saturation_points(new: np.ndarray, base_size: int, run_length: int,
                       threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saturation point of each order (-1: not reached), base codes and run counts."""
    n = new.shape[1]
    base = new[:, :base_size].sum(axis=1)
    cum = np.concatenate([np.zeros((len(new), 1), dtype=int), np.cumsum(new, axis=1)], axis=1)
    starts = np.arange(base_size, n - run_length + 1)
    in_run = cum[:, starts + run_length] - cum[:, starts]
    meets = (in_run <= threshold * base[:, None] + _EPS) & (base[:, None] > 0)
    point = np.where(meets.any(axis=1), base_size + meets.argmax(axis=1), -1)
    return point, base, in_run


def new_codes_curve(incidence: CodeIncidence) -> pd.DataFrame:
    """New and cumulative codes at each interview, in interview order.

    Returns
    -------
    DataFrame
        ``interview`` (1, 2, ...), ``participant_id``, ``n_codes`` raised in the
        interview, ``n_new`` (first met there), ``cumulative`` and ``pct_cumulative``
        (% of all codes).
    """
    n = incidence.n_interviews
    first = _first_positions(incidence.present, np.arange(n)[None, :])
    new = _new_per_interview(first, n)[0]
    total = len(incidence.code_ids)
    cumulative = np.cumsum(new)
    return pd.DataFrame({
        "interview": np.arange(1, n + 1),
        "participant_id": incidence.participant_ids,
        "n_codes": incidence.present.sum(axis=1),
        "n_new": new,
        "cumulative": cumulative,
        "pct_cumulative": np.round(100 * cumulative / total, 1) if total else np.nan,
    })


@dataclass(frozen=True)
class SaturationResult:
    """Saturation of the interviews in the order they were held.

    ``saturation_point`` is the number of interviews before the first run that meets
    the threshold (None when none does); ``saturation_text`` reports it as Guest and
    colleagues do ("11 interviews (+2)") or says it was "not reached within 30
    interviews".
    """

    base_size: int
    run_length: int
    threshold: float
    threshold_pct: float
    n_interviews: int
    n_codes: int
    n_codes_base: int
    saturation_point: int | None
    saturation_text: str
    codes_at_saturation: int | None
    pct_codes_at_saturation: float | None
    codes_after_saturation: int | None
    runs: pd.DataFrame


def assess(incidence: CodeIncidence, base_size: int = BASE_SIZE, run_length: int = RUN_LENGTH,
           threshold: float = THRESHOLD) -> SaturationResult:
    """Guest, Namey and Chen's saturation assessment in interview order.

    Parameters
    ----------
    incidence : CodeIncidence
    base_size : int
        Interviews whose unique codes form the denominator.
    run_length : int
        Consecutive interviews in which new codes are counted.
    threshold : float
        Largest share of new information (new codes in the run / unique codes in the
        base) at which saturation is declared; 0.05 means 5% or less.

    Returns
    -------
    SaturationResult
        With ``runs``: one row per run (``first``, ``last`` interview, ``n_new``,
        ``pct_new`` of the base, ``meets``).

    Raises
    ------
    ValueError
        Too few interviews for the base and one run, or no code in the base (new
        information cannot then be expressed relative to it).
    """
    n = incidence.n_interviews
    _check(n, base_size, run_length, threshold)
    first = _first_positions(incidence.present, np.arange(n)[None, :])
    new = _new_per_interview(first, n)
    point, base, in_run = _saturation_points(new, base_size, run_length, threshold)
    n_base = int(base[0])
    if n_base == 0:
        raise ValueError(f"the first {base_size} interviews have no code, so new "
                         "information cannot be expressed relative to the base; "
                         "choose a larger base size")
    starts = np.arange(base_size, n - run_length + 1)
    runs = pd.DataFrame({"first": starts + 1, "last": starts + run_length,
                         "n_new": in_run[0], "pct_new": np.round(100 * in_run[0] / n_base, 1)})
    runs["meets"] = in_run[0] <= threshold * n_base + _EPS
    reached = point[0] >= 0
    cumulative = np.cumsum(new[0])
    total = len(incidence.code_ids)
    at = int(cumulative[point[0] - 1]) if reached else None
    return SaturationResult(
        base_size=base_size, run_length=run_length, threshold=threshold,
        threshold_pct=float(round(100 * threshold, 1)), n_interviews=n, n_codes=total,
        n_codes_base=n_base,
        saturation_point=int(point[0]) if reached else None,
        saturation_text=(f"{int(point[0])} interviews (+{run_length})" if reached
                         else f"not reached within {n} interviews"),
        codes_at_saturation=at,
        pct_codes_at_saturation=round(100 * at / total, 1) if reached else None,
        codes_after_saturation=total - at if reached else None,
        runs=runs,
    )


@dataclass(frozen=True)
class OrderSensitivity:
    """The saturation point over random interview orders.

    Attributes
    ----------
    points : Series
        Saturation point of each random order (NaN: not reached), indexed by order.
    distribution : DataFrame
        ``saturation_point`` (or 'not reached'), ``n_orders``, ``pct_orders``.

    The median, quartiles and range are NaN when no order reached saturation; the page's
    words for them are :func:`analysis.chapters.saturation.orders_words`.
    """

    n_orders: int
    seed: int
    base_size: int
    run_length: int
    threshold: float
    threshold_pct: float
    n_reached: int
    pct_reached: float
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    pct_at_or_before_observed: float
    points: pd.Series
    distribution: pd.DataFrame


def order_sensitivity(incidence: CodeIncidence, n_orders: int = 1000,
                      seed: int = DEFAULT_SEED, base_size: int = BASE_SIZE,
                      run_length: int = RUN_LENGTH, threshold: float = THRESHOLD,
                      observed: SaturationResult | None = None) -> OrderSensitivity:
    """Saturation point over ``n_orders`` random orders of the same interviews.

    Parameters
    ----------
    incidence : CodeIncidence
    n_orders : int
        Random orders drawn (each a uniform permutation of the interviews).
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same orders.
    base_size, run_length, threshold
        As in :func:`assess`.
    observed : SaturationResult, optional
        The assessment in interview order, to report the share of random orders that
        saturate at or before it.

    Returns
    -------
    OrderSensitivity
        Quartiles and range are over the orders that reached saturation; an order whose
        base holds no code counts as not reached.
    """
    return order_sensitivities(incidence, [threshold], n_orders, seed, base_size, run_length,
                               [observed])[0]


def order_sensitivities(incidence: CodeIncidence, thresholds: list[float],
                        n_orders: int = 1000, seed: int = DEFAULT_SEED,
                        base_size: int = BASE_SIZE, run_length: int = RUN_LENGTH,
                        observed: list[SaturationResult | None] | None = None,
                        ) -> list[OrderSensitivity]:
    """:func:`order_sensitivity` at several thresholds, over one draw of random orders.

    The same seed draws the same orders as :func:`order_sensitivity` does for each
    threshold alone, so the results are the same; where each code first appears in
    each order, the costly part, is found once instead of once per threshold.

    Parameters
    ----------
    incidence : CodeIncidence
    thresholds : list of float
    n_orders, seed, base_size, run_length
        As in :func:`order_sensitivity`.
    observed : list, optional
        The assessment in interview order for each threshold (or None).

    Returns
    -------
    list of OrderSensitivity
        One per threshold, in the order given.
    """
    n = incidence.n_interviews
    for threshold in thresholds:
        _check(n, base_size, run_length, threshold)
    if n_orders < 1:
        raise ValueError(f"n_orders must be at least 1, not {n_orders}")
    observed = list(observed) if observed is not None else [None] * len(thresholds)
    rng = np.random.default_rng(seed)
    memberships = max(1, int(incidence.present.sum()))
    chunk = max(1, _CHUNK_CELLS // memberships)
    points: list[list[np.ndarray]] = [[] for _ in thresholds]
    for start in range(0, n_orders, chunk):
        size = min(chunk, n_orders - start)
        # positions[o, p]: where participant p comes in order o
        positions = rng.permuted(np.tile(np.arange(n, dtype=np.int32), (size, 1)), axis=1)
        new = _new_per_interview(_first_positions(incidence.present, positions), n)
        for found, threshold in zip(points, thresholds):
            point, _, _ = _saturation_points(new, base_size, run_length, threshold)
            found.append(point)
    return [_over_orders(np.concatenate(found), n_orders, seed, base_size, run_length,
                         threshold, seen)
            for found, threshold, seen in zip(points, thresholds, observed)]


def _over_orders(point: np.ndarray, n_orders: int, seed: int, base_size: int,
                 run_length: int, threshold: float,
                 observed: SaturationResult | None) -> OrderSensitivity:
    """The summary of one threshold's saturation points over the random orders."""
    reached = point >= 0
    series = pd.Series(np.where(reached, point, np.nan), name="saturation_point")
    series.index.name = "order"
    values = point[reached]
    counts = pd.Series(values).value_counts().sort_index()
    distribution = pd.DataFrame({"saturation_point": counts.index.astype(int).astype(str),
                                 "n_orders": counts.to_numpy()})
    if (~reached).any():
        distribution.loc[len(distribution)] = ["not reached", int((~reached).sum())]
    distribution["pct_orders"] = np.round(100 * distribution["n_orders"] / n_orders, 1)

    if len(values):
        median, q1, q3 = (float(v) for v in np.percentile(values, [50, 25, 75]))
        low, high = float(values.min()), float(values.max())
    else:
        median = q1 = q3 = low = high = float("nan")
    at_or_before = float("nan")
    if observed is not None and observed.saturation_point is not None:
        early = reached & (point <= observed.saturation_point)
        at_or_before = float(np.round(100 * early.mean(), 1))
    return OrderSensitivity(
        n_orders=n_orders, seed=seed, base_size=base_size, run_length=run_length,
        threshold=threshold, threshold_pct=float(round(100 * threshold, 1)),
        n_reached=int(reached.sum()), pct_reached=float(round(100 * reached.mean(), 1)),
        median=median, q1=q1, q3=q3, minimum=low, maximum=high,
        pct_at_or_before_observed=at_or_before,
        points=series, distribution=distribution,
    )


