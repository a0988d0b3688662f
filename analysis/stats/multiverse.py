"""A multiverse of analytic choices for the pooled prevalence: one meta-analysis each.

A *specification* is one option of every declared choice
(:mod:`analysis.contract.choices`): a transform, a tau² estimator, an interval method
and a selection of the setting's studies (by design, interviewer, income group, year,
and one study left out); the resampled multiverse adds every set of k studies left out
of a subset and seeded bootstrap samples of its studies. Each is evaluated with the
prevalence chapter's own meta-analysis (:func:`analysis.stats.prevalence.estimate`), its
confidence interval the usual (Wald) one or that of
:func:`analysis.stats.hartung_knapp.hartung_knapp`, so the specification of the main
analysis gives exactly the Prevalence page's estimate. The
results form a tidy table, one row per specification, which the specification curve sorts
by estimate (Simonsohn, Simmons and Nelson 2020) and which :func:`summarise` reduces to
the share of specifications in which a conclusion holds and the choice that moves the
estimate most.
The evaluation here is one specification at a time, the reference;
:mod:`analysis.stats.multiverse_batch` evaluates thousands at once as arrays (a test
holds the two to 1e-10), and :mod:`analysis.compute.multiverse` runs that in chunks, in
this process or on a Dask cluster.

References
----------
Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled clinical
trials with binary outcome. Statistics in Medicine 20:3875-3889.
Simonsohn U, Simmons JP, Nelson LD (2020). Specification curve analysis. Nature Human
Behaviour 4:1208-1214.
Efron B, Tibshirani RJ (1993). An Introduction to the Bootstrap. New York: Chapman &
Hall.
Steegen S, Tuerlinckx F, Gelman A, Vanpaemel W (2016). Increasing transparency through a
multiverse analysis. Perspectives on Psychological Science 11:702-712.
Voracek M, Kossmeier M, Tran US (2019). Which data to meta-analyze, and how? A
specification-curve and multiverse-analysis approach to meta-analysis. Zeitschrift fur
Psychologie 227:64-82.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.contract.choices import (ALL, EACH, FILTER_COLUMNS, GLMM, GLMM_NOT_TAKEN, NONE,
                                       POOLING, RESAMPLED, RESAMPLING_COLUMNS, Choices,
                                       ChoicesError)
from analysis.contract.package import category_labels
from analysis.stats import prevalence, prevalence_glmm
from analysis.stats.hartung_knapp import hartung_knapp_of

HARTUNG_KNAPP = "hartung_knapp"

OK = "ok"
TOO_FEW = "too few studies"
RESULT_COLUMNS = ("k", "n", "prevalence", "ci_low", "ci_high", "pi_low", "pi_high",
                  "tau2", "i2_percent", "status")
# Choices whose option 'each' stands for many subsets of one selection of studies.
SUBSET_CHOICES = ("leave_one_out", *RESAMPLING_COLUMNS)
# The option 'each' of those choices, as the choice effects name it.
SUBSET_LABELS = {"leave_one_out": "one study left out", "leave_k_out": "k studies left out",
                 "bootstrap": "bootstrap replicate"}
# How the table writes the studies a leave-k-out specification leaves out.
STUDY_SEPARATOR = "+"
# The status of a GLMM specification whose fit gave no estimate: this, then the
# fit's status (analysis.stats.prevalence_glmm.GlmmStatus) in words.
GLMM_FAILED = "GLMM not fitted: "


def glmm_status_text(status: prevalence_glmm.GlmmStatus) -> str:
    """The table's status of a GLMM fit that gave no estimate."""
    return GLMM_FAILED + status.value.replace("_", " ")


@functools.lru_cache(maxsize=4096)
def _glmm_of(cases: tuple[int, ...], n: tuple[int, ...]) -> prevalence_glmm.GlmmPrevalence:
    # One fit per distinct set of studies: the GLMM specifications of a multiverse
    # differ only in the studies they pool, and many choices select the same ones.
    return prevalence_glmm.pool_glmm(np.asarray(cases), np.asarray(n))


def is_glmm(frame: pd.DataFrame) -> np.ndarray:
    """Which rows of a multiverse table pool by the GLMM (none without the choice)."""
    if POOLING not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return (frame[POOLING] == GLMM).to_numpy()


# Columns of the studies no specification selects on by value.
NUMBERS = ("year", "study_id", "cases", "n")


def setting_of(studies: pd.DataFrame, choices: Choices) -> str | None:
    """The setting the multiverse selects from: the declared one, or (none declared)
    the setting with the most studies, as on the Prevalence context page."""
    return choices.setting if choices.setting is not None else prevalence.main_setting(studies)


def _setting_rows(studies: pd.DataFrame, choices: Choices) -> pd.DataFrame:
    setting = setting_of(studies, choices)
    rows = studies[studies["setting"] == setting]
    if rows.empty:
        raise ChoicesError([
            f"{choices.source}: setting: no study of prevalence_studies.csv has setting "
            f"{setting!r}; values: "
            f"{', '.join(sorted(map(str, studies['setting'].unique())))}"])
    return rows


def resolve(studies: pd.DataFrame, choices: Choices,
            categories: dict[str, dict] | None = None) -> Choices:
    """The declaration with every ``options: each`` filled in from the studies.

    A filter declared ``options: each`` takes ``all`` and then each category of its
    column that the setting's studies have, in the order of the vocabulary in force
    (values it does not name follow, sorted; see
    :func:`analysis.stats.prevalence.levels`), so that the same declaration fits any
    package. Categories no study of the setting has are left out: they would only make
    specifications with no study.

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    choices : Choices
        A declaration; one without ``each`` is returned as it is.
    categories : dict, optional
        Column -> the package's categories (code -> label, in order), as
        :meth:`analysis.contract.package.DataPackage.categories` gives them; the
        contract's defaults for a column it does not name.
    """
    if not choices.unresolved:
        return choices
    rows = _setting_rows(studies, choices)
    categories = categories or {}
    codes = {}
    for name in choices.unresolved:
        order = categories.get(name)
        if order is None:
            order = category_labels("prevalence_studies", name)
        codes[name] = [str(v) for v in prevalence.levels(rows[name].astype(str), order)]
    return choices.resolve(codes)


def package_categories(package) -> dict[str, dict]:
    """The categories of each filter column in force for a package (for :func:`resolve`)."""
    covariates = [c.name for c in package.covariates("prevalence_studies")
                  if c.kind == "categorical"]

    def categories(name: str) -> dict:
        try:
            return package.categories("prevalence_studies", name)
        except KeyError:  # a free-text covariate: its values, sorted (resolve)
            return {}

    return {name: categories(name) for name in (*FILTER_COLUMNS, *covariates)}


@dataclass(frozen=True)
class MedianSplit:
    """A numeric covariate made a filter: its studies below the median, and at it or above.

    ``median`` is over the ``n_reported`` studies of the setting that report the
    covariate; ``below`` and ``above`` are the options as the table writes them
    ("below 34.5", "34.5 or above"); studies that do not report it take
    :data:`NOT_REPORTED`.
    """

    column: str
    median: float
    n_reported: int
    below: str
    above: str

    @property
    def options(self) -> tuple[str, ...]:
        return (self.below, self.above, NOT_REPORTED)


NOT_REPORTED = "not reported"


def split_at_median(studies: pd.DataFrame, column: str,
                    setting: str | None) -> tuple[pd.Series, MedianSplit | None]:
    """A numeric covariate as two groups of studies, cut at its median.

    The median is taken over the studies of ``setting`` (all studies with None) that
    report the covariate, since those are the studies the multiverse selects from; a
    study at the median goes with those above it. Returns the column as the filter's
    options (text) and the split; the split is None when fewer than two studies of the
    setting report it (there is nothing to cut), and the column is then every study's
    ``not reported`` or the one value.
    """
    values = pd.to_numeric(studies[column], errors="coerce")
    within = values if setting is None else values[studies["setting"] == setting]
    reported = within.dropna()
    if len(reported) < 2 or reported.nunique() < 2:
        return pd.Series(NOT_REPORTED, index=studies.index, dtype=object), None
    median = float(reported.median())
    split = MedianSplit(column, median, int(len(reported)), f"below {median:g}",
                        f"{median:g} or above")
    text = np.where(values.isna(), NOT_REPORTED,
                    np.where(values < median, split.below, split.above))
    return pd.Series(text, index=studies.index, dtype=object), split


def setting_studies(studies: pd.DataFrame, choices: Choices) -> pd.DataFrame:
    """The studies of the setting (:func:`setting_of`), checked against the declared
    options.

    Raises
    ------
    ChoicesError
        When the setting has no studies, or a filter option names a value the data do
        not have (a typo would otherwise give an empty subset in silence).
    """
    setting = setting_of(studies, choices)
    choices = resolve(studies, choices)
    rows = _setting_rows(studies, choices)
    problems = []
    for choice in choices.choices:
        if choice.name in choices.filter_columns:
            present = set(map(str, rows[choice.name].unique()))
            for value in choice.options:
                if value != ALL and value not in present:
                    problems.append(
                        f"{choices.source}: choices.{choice.name}.options: {value!r} does not "
                        f"occur among the {setting} studies of prevalence_studies.csv "
                        f"(column {choice.name}); values: {', '.join(sorted(present))}")
    if problems:
        raise ChoicesError(problems)
    return rows.reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class StudyArrays:
    """The setting's studies as NumPy columns, for selecting thousands of subsets fast.

    A pandas boolean selection costs a few hundred microseconds; a multiverse makes one
    per specification, so the columns are read once and each option's mask is kept.
    """

    columns: dict[str, np.ndarray]
    masks: dict[tuple[str, Any], np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, rows: pd.DataFrame) -> StudyArrays:
        # Every column: a package's covariates are filters too (Choices.filter_columns).
        names = list(rows.columns)
        return cls({c: rows[c].to_numpy() for c in names})

    def __len__(self) -> int:
        return len(self.columns["n"])

    def _mask(self, name: str, value: Any) -> np.ndarray:
        key = (name, value)
        if key not in self.masks:
            if name == "year_from":
                self.masks[key] = self.columns["year"] >= int(value)
            elif name == "leave_one_out":
                self.masks[key] = self.columns["study_id"] != value
            else:
                self.masks[key] = self.columns[name] == value
        return self.masks[key]

    def mask(self, spec: dict[str, Any]) -> np.ndarray:
        """Which studies a specification pools (before any bootstrap resampling)."""
        mask = np.ones(len(self), dtype=bool)
        for name, value in spec.items():
            if (name == "year_from" or (name in self.columns and name not in NUMBERS)) \
                    and value != ALL:
                mask = mask & self._mask(name, value)
            elif name == "leave_one_out" and value != NONE:
                mask = mask & self._mask(name, value)
            elif name == "leave_k_out" and value != NONE:
                mask = mask & ~np.isin(self.columns["study_id"], list(value))
        return mask


def bootstrap_draws(seed: int, study_ids: Sequence[Any], replicates: int) -> np.ndarray:
    """The bootstrap samples of a subset of studies: positions drawn with replacement.

    Row ``r - 1`` is replicate ``r``: ``len(study_ids)`` positions into ``study_ids``.
    The generator is seeded with ``seed`` and a SHA-256 digest of the ids, so a
    replicate depends on the studies it resamples and not on where or in which chunk it
    is evaluated, and the same replicate serves every transform, estimator and interval.

    References
    ----------
    Efron and Tibshirani (1993), ch. 6 (the nonparametric bootstrap of cases).
    """
    digest = hashlib.sha256("\x1f".join(map(str, study_ids)).encode()).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    rng = np.random.default_rng([seed, *words])
    return rng.integers(0, len(study_ids), size=(replicates, len(study_ids)))


def select(rows: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """The studies a specification pools (``rows``: the setting's studies)."""
    return rows[StudyArrays.from_frame(rows).mask(spec)]


def _arrays(rows: pd.DataFrame | StudyArrays) -> StudyArrays:
    return rows if isinstance(rows, StudyArrays) else StudyArrays.from_frame(rows)


def specifications(rows: pd.DataFrame | StudyArrays, choices: Choices,
                   size: str = "full") -> list[dict]:
    """Every specification of the multiverse on these studies, in declared order.

    ``leave_one_out: each`` becomes one specification per study of the subset the other
    choices select (leaving out a study the subset does not hold would repeat the
    subset's own specification). In the ``resampled`` multiverse each specification
    that leaves no study out is followed by its leave-k-out subsets (every ``k``
    studies, in the order of :func:`itertools.combinations`, where at least
    ``min_studies`` remain) and then its bootstrap replicates (numbered from 1, where
    the subset has ``min_studies``), their columns ``leave_k_out`` (a tuple of study
    ids) and ``bootstrap`` (the replicate) ``none`` otherwise.
    """
    arrays = _arrays(rows)
    resampled = size == RESAMPLED
    none = dict.fromkeys(RESAMPLING_COLUMNS, NONE) if resampled else {}
    specs = []
    for base in choices.specifications(size):
        base = {**base, **none}
        if base.get("leave_one_out") == EACH:
            ids = arrays.columns["study_id"][arrays.mask({**base, "leave_one_out": NONE})]
            specs += [{**base, "leave_one_out": str(study)} for study in ids]
            continue
        specs.append(base)
        # The resampled multiverse resamples the inverse-variance specifications only:
        # a GLMM fit per replicate would be thousands of maximum-likelihood fits.
        if resampled and base.get(POOLING) != GLMM:
            ids = [str(s) for s in arrays.columns["study_id"][arrays.mask(base)]]
            specs += [{**base, "leave_k_out": left}
                      for k in choices.resampling.leave_k_out
                      if len(ids) - k >= choices.min_studies
                      for left in itertools.combinations(ids, k)]
            if len(ids) >= choices.min_studies:
                specs += [{**base, "bootstrap": r}
                          for r in range(1, choices.resampling.bootstrap + 1)]
    return specs


def evaluate_one(rows: pd.DataFrame | StudyArrays, spec: dict[str, Any],
                 min_studies: int, seed: int | None = None) -> dict[str, Any]:
    """One specification's meta-analysis: its choices and its results, as one row.

    The pooling is :func:`analysis.stats.prevalence.estimate`, the prevalence chapter's
    own; the confidence interval is its usual (Wald) one or, with ``interval:
    hartung_knapp``, the Hartung-Knapp interval around the same model (the estimate, tau²
    and the prediction interval do not change). Percentages for the prevalence and its
    interval limits; tau² on the analysis scale. A subset with fewer than
    ``min_studies`` studies is not pooled: its row says so (``status``) and its estimates
    are empty. A bootstrap replicate (``bootstrap: r``) pools the ``r``-th sample of
    :func:`bootstrap_draws` of the subset's studies drawn with ``seed`` (the declared
    one, ``choices.resampling.seed``).
    """
    arrays = _arrays(rows)
    mask = arrays.mask(spec)
    cases, n = arrays.columns["cases"][mask], arrays.columns["n"][mask]
    if spec.get("bootstrap", NONE) != NONE:
        draws = bootstrap_draws(seed, arrays.columns["study_id"][mask], spec["bootstrap"])
        cases, n = cases[draws[-1]], n[draws[-1]]
    nan = float("nan")
    row: dict[str, Any] = {**spec, "k": int(cases.size), "n": int(n.sum())}
    if row["k"] < min_studies:
        return {**row, **dict.fromkeys(RESULT_COLUMNS[2:-1], nan), "status": TOO_FEW}
    if spec.get(POOLING) == GLMM:
        fit = _glmm_of(tuple(int(c) for c in cases), tuple(int(m) for m in n))
        if not fit.converged:
            return {**row, **dict.fromkeys(RESULT_COLUMNS[2:-1], nan),
                    "status": glmm_status_text(fit.status)}
        return {**row, "prevalence": 100 * fit.prevalence, "ci_low": 100 * fit.ci_low,
                "ci_high": 100 * fit.ci_high, "pi_low": 100 * fit.pi_low,
                "pi_high": 100 * fit.pi_high, "tau2": fit.tau2,
                "i2_percent": fit.i2_percent, "status": OK}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", prevalence.FreemanTukeyWarning)
        res = prevalence.estimate(cases, n, spec["transform"], spec["tau2_method"])
    ci_low, ci_high = res.ci_low, res.ci_high
    if spec.get("interval") == HARTUNG_KNAPP:
        # Around the model just fitted; limits back-transformed as the estimate is.
        eff = prevalence.study_effects(cases, n, spec["transform"])
        hk = hartung_knapp_of(eff.effect, eff.variance, res.model)
        ci_low, ci_high = (float(v) for v in prevalence.back_transform(
            [hk.ci_low, hk.ci_high], spec["transform"], eff.harmonic_n))
    return {**row, "prevalence": 100 * res.prevalence, "ci_low": 100 * ci_low,
            "ci_high": 100 * ci_high, "pi_low": 100 * res.pi_low,
            "pi_high": 100 * res.pi_high, "tau2": res.tau2, "i2_percent": res.i2_percent,
            "status": OK}


def evaluate_many(rows: pd.DataFrame | StudyArrays, specs: Iterable[dict[str, Any]],
                  min_studies: int, seed: int | None = None) -> list[dict[str, Any]]:
    """:func:`evaluate_one` for each specification, in order."""
    arrays = _arrays(rows)
    return [evaluate_one(arrays, spec, min_studies, seed) for spec in specs]


def option_text(name: str, value: Any) -> str:
    """An option as the table writes it (studies left out joined by ``+``)."""
    if name == "leave_k_out" and value != NONE:
        return STUDY_SEPARATOR.join(map(str, value))
    return str(value)


def table(records: Sequence[dict[str, Any]], choices: Choices,
          size: str = "full") -> pd.DataFrame:
    """The tidy table: one row per specification, its choices then its results.

    Choice columns hold text (``year_from`` and ``leave_one_out`` too, so that one
    column has one type); ``main`` marks the main analysis.
    """
    names = choices.columns(size)
    columns = [*names, *RESULT_COLUMNS]
    frame = pd.DataFrame(list(records), columns=columns)
    for name in names:
        frame[name] = frame[name].map(lambda value, name=name: option_text(name, value)
                                      ).astype(str)
    main = {name: str(value) for name, value in choices.main_of(size).items()}
    frame["main"] = np.logical_and.reduce(
        [frame[name] == value for name, value in main.items()]) if len(frame) else []
    frame.insert(0, "specification", np.arange(1, len(frame) + 1))
    return frame


def run_serial(studies: pd.DataFrame, choices: Choices, size: str = "full") -> pd.DataFrame:
    """The whole multiverse in this process (the reference the cluster must match).

    ``choices`` with ``options: each`` are resolved with the contract's category order;
    resolve them first (:func:`resolve`) to follow a package's own order.
    """
    choices = resolve(studies, choices)
    rows = setting_studies(studies, choices)
    seed = choices.resampling.seed if choices.resampling else None
    return table(evaluate_many(rows, specifications(rows, choices, size), choices.min_studies,
                               seed), choices, size)


@dataclass(frozen=True)
class ChoiceEffect:
    """How far one choice moves the estimate: the spread of its options' medians."""

    choice: str
    lowest_option: str
    lowest_median: float
    highest_option: str
    highest_median: float

    @property
    def spread(self) -> float:
        return self.highest_median - self.lowest_median


@dataclass(frozen=True)
class MultiverseSummary:
    """Every number the Multiverse page quotes (percentages unless named otherwise)."""

    outcome: str
    n_specifications: int
    n_pooled: int
    n_too_few: int
    n_excluded_by_rules: int
    min_studies: int
    threshold: float
    n_below: int
    share_below: float
    median: float
    lowest: float
    highest: float
    share_ci_below: float
    main_estimate: float
    main_ci_low: float
    main_ci_high: float
    main_k: int
    main_rank: int
    main_percentile: float
    top_choice: str
    top_choice_spread: float
    top_choice_lowest_option: str
    top_choice_lowest_median: float
    top_choice_highest_option: str
    top_choice_highest_median: float


def _options_taken(column: pd.Series, name: str) -> tuple[list[str], np.ndarray]:
    """The options a column takes, in the order they first occur, and each row's option
    as a number into them; a left-out or resampled option is taken together."""
    if name in SUBSET_CHOICES:
        codes, options = pd.factorize((column.to_numpy() != NONE).astype(np.int8))
        labels = ["none", SUBSET_LABELS[name]]
        return [labels[int(o)] for o in options], codes
    codes, options = pd.factorize(column, sort=False)
    return [str(o) for o in options], codes


def choice_effects(frame: pd.DataFrame, choices: Choices) -> list[ChoiceEffect]:
    """For each choice with more than one option, the medians of the estimate by option.

    ``leave_one_out`` compares leaving none out with leaving any one out (all of its
    left-out studies together), since each left-out study is its own option; so do the
    resampled multiverse's ``leave_k_out`` and ``bootstrap``. Sorted by spread, largest
    first.
    """
    # Column by column, option by option: a resampled multiverse has millions of rows.
    # The pooling model over every pooled specification; every other choice over the
    # inverse-variance ones (a GLMM specification takes no transform, estimator or
    # interval, and one per selection of studies).
    pooled = (frame["status"] == OK).to_numpy()
    effects = []
    for name in [*choices.names, *(c for c in RESAMPLING_COLUMNS if c in frame.columns)]:
        ok = pooled if name == POOLING else pooled & ~is_glmm(frame)
        estimates = frame["prevalence"].to_numpy()[ok]
        options, codes = _options_taken(frame[name][ok], name)
        if len(options) < 2:
            continue
        # In the order the options first occur; a tie goes to the first.
        medians = [float(np.median(estimates[codes == i])) for i in range(len(options))]
        low, high = int(np.argmin(medians)), int(np.argmax(medians))
        effects.append(ChoiceEffect(name, options[low], medians[low], options[high],
                                    medians[high]))
    return sorted(effects, key=lambda e: -e.spread)


def option_shares(frame: pd.DataFrame, choices: Choices) -> pd.DataFrame:
    """For every option of every choice, how often the conclusion holds among the
    specifications that take it.

    Over the pooled specifications; the options of ``leave_one_out`` (and of the
    resampled multiverse's ``leave_k_out`` and ``bootstrap``) are taken together as in
    :func:`choice_effects`.

    Returns
    -------
    DataFrame
        One row per choice and option, in declared order: ``choice``, ``option``,
        ``n_pooled``, ``n_below`` (estimate below ``choices.below_percent``),
        ``share_below`` (%) and ``median`` (%).
    """
    everything = frame[frame["status"] == OK]
    rows = []
    for name in [*choices.names, *(c for c in RESAMPLING_COLUMNS if c in frame.columns)]:
        # as in choice_effects: the pooling model over all, the rest over inverse variance
        pooled = everything if name == POOLING else everything[~is_glmm(everything)]
        below = _below(pooled["prevalence"].to_numpy(), choices.below_percent)
        options, codes = _options_taken(pooled[name], name)
        for i, option in enumerate(options):
            taken = codes == i
            rows.append({"choice": name, "option": str(option), "n_pooled": int(taken.sum()),
                         "n_below": int(np.nansum(below[taken])),
                         "share_below": float(100 * below[taken].mean()),
                         "median": float(np.median(pooled["prevalence"].to_numpy()[taken]))})
    return pd.DataFrame(rows, columns=["choice", "option", "n_pooled", "n_below",
                                       "share_below", "median"])


def _below(values: np.ndarray, threshold: float | None) -> np.ndarray:
    """1.0 where a value is below the threshold, else 0.0; NaN throughout with none (so a
    share of it is NaN, and the page says no threshold was declared)."""
    if threshold is None:
        return np.full(values.shape, np.nan)
    return (values < threshold).astype(float)


def choice_effects_table(effects: Sequence[ChoiceEffect]) -> pd.DataFrame:
    """The choice effects as a table a reader scans (medians in %)."""
    return pd.DataFrame([{
        "Choice": e.choice.replace("_", " "),
        "Option with the lowest median": e.lowest_option.replace("_", " "),
        "Lowest median, %": e.lowest_median,
        "Option with the highest median": e.highest_option.replace("_", " "),
        "Highest median, %": e.highest_median,
        "Spread, percentage points": e.spread,
    } for e in effects])


def n_excluded(choices: Choices, size: str = "full") -> int:
    """How many combinations of options (before leave-one-out) the rules exclude."""
    total = sum(1 for _ in choices.combinations(size))
    return total - sum(1 for _ in choices.specifications(size))


def summarise(frame: pd.DataFrame, choices: Choices, size: str = "full") -> MultiverseSummary:
    """The headline of a multiverse: how often the conclusion holds, and what moves it.

    The conclusion is "the pooled prevalence is below ``choices.below_percent``%"; its
    share is over the specifications that pooled at least ``min_studies`` studies.

    Raises
    ------
    ValueError
        When no specification could be pooled, or the main analysis is not among them.
    """
    # Arrays, not copies of the table: a resampled multiverse has millions of rows.
    # The GLMM specifications are summarised apart (glmm_summary).
    if is_glmm(frame).any():
        frame = frame[~is_glmm(frame)].reset_index(drop=True)
        choices = choices.without_glmm()
    ok = (frame["status"] == OK).to_numpy()
    estimate = frame["prevalence"].to_numpy()
    number = frame["specification"].to_numpy()
    pooled = estimate[ok]
    if not pooled.size:
        raise ValueError(f"no specification of the multiverse has {choices.min_studies} "
                         "studies or more; lower min_studies or widen the options in "
                         f"{choices.source}")
    mains = np.flatnonzero(ok & frame["main"].to_numpy(dtype=bool))
    if not mains.size:
        raise ValueError(f"the main analysis of {choices.source} pooled fewer than "
                         f"{choices.min_studies} studies; it must be in the multiverse")
    # The main analysis's place on the curve: sorted by estimate, then by number.
    m = mains[np.lexsort((number[mains], estimate[mains]))[0]]
    rank = int(((pooled < estimate[m]) | ((pooled == estimate[m])
                                          & (number[ok] < number[m]))).sum()) + 1
    below = _below(pooled, choices.below_percent)
    ci_below = _below(frame["ci_high"].to_numpy()[ok], choices.below_percent)
    effects = choice_effects(frame, choices)
    top = effects[0] if effects else ChoiceEffect("none", "", float("nan"), "", float("nan"))
    return MultiverseSummary(
        outcome=choices.outcome, n_specifications=len(frame), n_pooled=int(pooled.size),
        n_too_few=int((~ok).sum()),
        n_excluded_by_rules=n_excluded(choices, size), min_studies=choices.min_studies,
        threshold=(float("nan") if choices.below_percent is None
                   else choices.below_percent), n_below=int(np.nansum(below)),
        share_below=float(100 * below.mean()), median=float(np.median(pooled)),
        lowest=float(pooled.min()), highest=float(pooled.max()),
        share_ci_below=float(100 * ci_below.mean()),
        main_estimate=float(estimate[m]), main_ci_low=float(frame["ci_low"].iloc[m]),
        main_ci_high=float(frame["ci_high"].iloc[m]), main_k=int(frame["k"].iloc[m]),
        main_rank=rank, main_percentile=float(100 * rank / pooled.size),
        top_choice=top.choice.replace("_", " "), top_choice_spread=top.spread,
        top_choice_lowest_option=top.lowest_option.replace("_", " "),
        top_choice_lowest_median=top.lowest_median,
        top_choice_highest_option=top.highest_option.replace("_", " "),
        top_choice_highest_median=top.highest_median)


@dataclass(frozen=True)
class GlmmSummary:
    """The GLMM specifications of a multiverse, apart from the inverse-variance ones.

    ``n_specifications`` GLMM specifications (one per selection of studies), of which
    ``n_pooled`` gave an estimate, ``n_too_few`` had fewer than ``min_studies`` studies
    and ``n_failed`` gave none (``failures``: how many of each status, in words).
    ``median``, ``lowest``, ``highest`` (%) over the estimates; ``n_below`` and
    ``share_below`` against the threshold (NaN with none). ``n_paired`` of them have the
    inverse-variance specification of the same studies under the main transform,
    estimator and interval; ``median_difference`` and ``largest_difference`` are GLMM
    minus that, in percentage points (the largest in absolute value, with its sign).
    """

    n_specifications: int
    n_pooled: int
    n_too_few: int
    n_failed: int
    failures: str
    median: float
    lowest: float
    highest: float
    n_below: int
    share_below: float
    n_paired: int
    median_difference: float
    largest_difference: float


def glmm_summary(frame: pd.DataFrame, choices: Choices) -> GlmmSummary | None:
    """What the GLMM specifications of a multiverse show (None: there are none)."""
    glmm = is_glmm(frame)
    if not glmm.any():
        return None
    rows = frame[glmm]
    ok = rows["status"] == OK
    failed = rows[(rows["status"] != OK) & (rows["status"] != TOO_FEW)]["status"]
    counts = failed.str.removeprefix(GLMM_FAILED).value_counts()
    estimates = rows.loc[ok, "prevalence"].to_numpy()
    nan = float("nan")
    below = _below(estimates, choices.below_percent)
    # The inverse-variance row of the same studies under the main analysis's methods.
    main = choices.main
    same = ~glmm & (frame["status"] == OK).to_numpy()
    for name in GLMM_NOT_TAKEN:
        if name in frame.columns:
            same &= (frame[name] == str(main[name])).to_numpy()
    keys = [c for c in choices.columns("full") if c not in (*GLMM_NOT_TAKEN, POOLING)
            and c in frame.columns]
    paired = rows[ok].merge(frame[same][[*keys, "prevalence"]], on=keys,
                            suffixes=("", "_iv"))
    difference = (paired["prevalence"] - paired["prevalence_iv"]).to_numpy()
    largest = float(difference[np.argmax(np.abs(difference))]) if difference.size else nan
    return GlmmSummary(
        n_specifications=int(len(rows)), n_pooled=int(ok.sum()),
        n_too_few=int((rows["status"] == TOO_FEW).sum()), n_failed=int(len(failed)),
        failures="; ".join(f"{status} ({count:,})" for status, count in counts.items()),
        median=float(np.median(estimates)) if estimates.size else nan,
        lowest=float(estimates.min()) if estimates.size else nan,
        highest=float(estimates.max()) if estimates.size else nan,
        n_below=int(np.nansum(below)),
        share_below=float(100 * below.mean()) if below.size else nan,
        n_paired=int(len(paired)),
        median_difference=float(np.median(difference)) if difference.size else nan,
        largest_difference=largest)


# ------------------------------------------------------- the quality judgement


def quality_multiverse(consensus: pd.DataFrame, choices: Choices) -> pd.DataFrame:
    """The review-level quality judgement under every banding rule the limits make.

    Each combination of the declared limits (``choices.quality``) is one
    :class:`analysis.stats.quality.BandingRule`, applied with the Quality bands
    chapter's own :func:`~analysis.stats.quality.assign_bands` and
    :func:`~analysis.stats.quality.review_judgement`. Combinations whose moderate limits
    are below their high ones are not rules and are left out. A few dozen rules at most,
    so this runs serially.

    Returns
    -------
    DataFrame
        One row per rule: its limits, the papers in each band, the judgement, and
        ``main`` for the declared main rule.
    """
    from analysis.stats.quality import BandingRule, assign_bands, review_judgement

    names = [c.name for c in choices.quality]
    main = tuple(c.main for c in choices.quality)
    defaults = {"high_max_cant_tell": 0, "high_max_no": 0, "moderate_max_cant_tell": 2,
                "moderate_max_no": 0}
    rows = []
    for values in itertools.product(*(c.options for c in choices.quality)):
        limits = {**defaults, **dict(zip(names, values))}
        if (limits["moderate_max_cant_tell"] < limits["high_max_cant_tell"]
                or limits["moderate_max_no"] < limits["high_max_no"]):
            continue
        rule = BandingRule("multiverse", **limits)
        judged = review_judgement(assign_bands(consensus, rule), rule)
        rows.append({**dict(zip(names, values)), "n_high": judged.n_high,
                     "n_moderate": judged.n_moderate, "n_low": judged.n_low,
                     "judgement": judged.judgement, "main": values == main})
    return pd.DataFrame(rows, columns=[*names, "n_high", "n_moderate", "n_low",
                                       "judgement", "main"])


@dataclass(frozen=True)
class QualitySummary:
    """What the page says of the judgement across banding rules."""

    n_rules: int
    main_judgement: str
    n_same: int
    share_same: float
    judgements: str


def summarise_quality(table: pd.DataFrame) -> QualitySummary:
    """How often the rules give the main rule's judgement, and which judgements occur.

    Raises
    ------
    ValueError
        When the main rule is not among the rules (it would have been left out as no
        rule).
    """
    if not table["main"].any():
        raise ValueError("the main banding rule of the quality multiverse is not a rule: "
                         "its moderate limits must be at least its high ones")
    main = str(table.loc[table["main"], "judgement"].iloc[0])
    same = int((table["judgement"] == main).sum())
    counts = table["judgement"].value_counts()
    order = [b for b in ("high", "moderate", "low") if b in counts.index]
    return QualitySummary(
        n_rules=len(table), main_judgement=main, n_same=same,
        share_same=float(100 * same / len(table)),
        judgements="; ".join(f"{b} under {counts[b]:,} rule{'s' if counts[b] != 1 else ''}"
                             for b in order))
