"""The analyst's choices of the multiverse: declared once, validated, multiplied out.

``book/multiverse.yml`` (beside ``book/pages.yml``) declares each analytic choice, its
options and the option the main analysis takes, the rules that exclude combinations
that make no sense, the conclusion to test, and a smaller option set for the book; and
two smaller multiverses beside the prevalence one: the banding rules of the quality
judgement (``quality``) and the choices behind the support of each theme (``themes``).
This module reads and checks that declaration (every problem as ``file: where: what to
fix``) and enumerates the multiverse, the product of the options less the excluded
combinations. It does no statistics: :mod:`analysis.stats.multiverse` evaluates the
specifications.

A ``resampling`` section adds, for the command line's ``--size resampled`` only, every
set of ``k`` studies left out of each subset (leave-k-out) and a seeded bootstrap of the
studies of each subset: a multiverse of a million specifications or more, for a cluster.

A filter on a study column may declare ``options: each``: "every study" (``all``) and
then each category of that column the package's studies have, so that one declaration
fits packages with other codes. Such a declaration is completed against a package's
studies by :meth:`Choices.resolve` before it is multiplied out; an exclusion rule that
names codes the package does not have cannot match and is set aside (and said so),
not refused.

Importable without pandas, so that the build can check the file before it starts.

References
----------
Simonsohn U, Simmons JP, Nelson LD (2020). Specification curve analysis. Nature Human
Behaviour 4:1208-1214.
Steegen S, Tuerlinckx F, Gelman A, Vanpaemel W (2016). Increasing transparency through a
multiverse analysis. Perspectives on Psychological Science 11:702-712.
Voracek M, Kossmeier M, Tran US (2019). Which data to meta-analyze, and how? A
specification-curve and multiverse-analysis approach to meta-analysis. Zeitschrift fur
Psychologie 227:64-82.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from analysis import paths
from analysis.contract.banding import BANDING_RULES, BANDS

CHOICES_FILE = paths.BOOK / "multiverse.yml"

# What each choice may take: a fixed set of names, or a filter on a study column whose
# options are "all" or values of that column (checked against the data when evaluated).
METHOD_OPTIONS = {
    "transform": ("logit", "freeman_tukey", "arcsine", "proportion"),
    "tau2_method": ("dl", "pm"),
    # The usual normal-theory (Wald) interval of the Prevalence page, or Hartung-Knapp's
    # (analysis.stats.hartung_knapp), which the page gives beside it.
    "interval": ("wald", "hartung_knapp"),
    # The pooling model: the inverse-variance random-effects model of the Prevalence page
    # (with the transform, estimator and interval above) or the binomial GLMM
    # (analysis.stats.prevalence_glmm), which has none of those three choices.
    "pooling": ("inverse_variance", "glmm"),
}
POOLING = "pooling"
INVERSE_VARIANCE = "inverse_variance"
GLMM = "glmm"
# The choices a GLMM specification does not take: it pools the counts on the logit
# scale by maximum likelihood, with the Wald interval of the normal quantile.
GLMM_NOT_TAKEN = ("transform", "tau2_method", "interval")
# What the table writes for a choice a specification does not take.
NOT_APPLICABLE = "not_applicable"
FILTER_COLUMNS = ("design", "interviewer", "income_group", "country")
ALL = "all"
NONE = "none"
# leave_one_out: every study of the subset, one at a time; a filter's options: every
# category of the column that the package's studies have
EACH = "each"
KNOWN_CHOICES = (*METHOD_OPTIONS, *FILTER_COLUMNS, "year_from", "leave_one_out")
# The sizes a page may run; the command line also runs RESAMPLED: the full multiverse
# with the resampling section's leave-k-out subsets and bootstrap replicates.
SIZES = ("book", "full")
RESAMPLED = "resampled"
COMMAND_SIZES = (*SIZES, RESAMPLED)
# Columns the resampled multiverse adds to the table (after the declared choices).
RESAMPLING_COLUMNS = ("leave_k_out", "bootstrap")
TOP_KEYS = {"outcome", "setting", "min_studies", "conclusion", "choices", "exclude", "book",
            "quality", "themes", "resampling"}
# The limits of a banding rule (analysis.stats.quality.BandingRule) the quality
# multiverse varies: the review-level judgement under every rule they make.
QUALITY_LIMITS = ("high_max_cant_tell", "high_max_no", "moderate_max_cant_tell",
                  "moderate_max_no")
# What the theme multiverse varies (the Theme frequencies chapter's own parameters): the
# least number of sources a theme needs to count as supported, whether the sources are
# distinct studies or papers, the quality bands whose papers are left out, and the
# banding rule that gives each paper its band.
THEME_CHOICES = ("min_support", "unit", "exclude_bands", "banding_rule")
UNITS = ("studies", "papers")


class ChoicesError(Exception):
    """The declaration of choices is not usable; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        n = len(problems)
        super().__init__("\n".join([f"{n} problem{'s' if n != 1 else ''} in the declared "
                                    "choices:", *[f"  {p}" for p in problems],
                                    "Fix each entry named above, then run the command again."]))


@dataclass(frozen=True)
class Choice:
    """One analytic choice: its options (in declared order) and the main analysis's.

    ``each`` marks a filter declared with ``options: each`` whose categories are not
    known yet: its options are empty until :meth:`Choices.resolve` fills them in.
    """

    name: str
    options: tuple[Any, ...]
    main: Any
    each: bool = False


@dataclass(frozen=True)
class Rule:
    """Specifications whose choices match every entry of ``when`` are left out.

    An entry's value is one option or a list of options; ``leave_one_out: each`` matches
    any left-out study.
    """

    when: tuple[tuple[str, tuple[Any, ...]], ...]
    why: str

    def matches(self, spec: dict[str, Any]) -> bool:
        for name, values in self.when:
            value = spec[name]
            if name == "leave_one_out" and EACH in values and value != NONE:
                continue
            if value not in values:
                return False
        return True


@dataclass(frozen=True)
class Resampling:
    """How ``--size resampled`` resamples the studies of each subset of the full multiverse.

    ``leave_k_out``: for each ``k``, every set of ``k`` studies of a subset left out (one
    specification each); ``bootstrap``: that many replicates of the subset's studies drawn
    with replacement, from a generator seeded with ``seed`` and the subset's study ids.
    """

    leave_k_out: tuple[int, ...] = ()
    bootstrap: int = 0
    seed: int = 0


@dataclass(frozen=True)
class Choices:
    """A validated declaration of the multiverse of one outcome.

    ``setting`` is the setting whose studies every specification selects from; None
    (not declared) takes the setting with the most studies, as the prevalence chapter
    does (:func:`analysis.stats.prevalence.main_setting`), so one declaration fits any
    package's settings.
    """

    outcome: str
    setting: str | None
    min_studies: int
    # The threshold of the conclusion "below P%": the package's own
    # (study.prevalence.threshold_percent) or a page parameter, set by the page; a
    # choices file may declare one (conclusion); None: no threshold, no conclusion tested.
    below_percent: float | None
    choices: tuple[Choice, ...]
    rules: tuple[Rule, ...]
    book: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    source: str = ""
    quality: tuple[Choice, ...] = ()
    themes: tuple[Choice, ...] = ()
    # Rules set aside by resolve(): they name only codes the package lacks, with why.
    set_aside: tuple[tuple[Rule, str], ...] = ()
    resampling: Resampling | None = None
    # Study-level covariates of the package (``role: covariate``) added as filters by
    # :meth:`with_covariates`, beside the declared FILTER_COLUMNS.
    covariates: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.choices)

    @property
    def filter_columns(self) -> tuple[str, ...]:
        """The study columns a specification may select on: the contract's filter
        columns and the package's covariates."""
        return (*FILTER_COLUMNS, *self.covariates)

    def with_covariates(self, names: tuple[str, ...] | list[str],
                        main: dict[str, Any] | None = None) -> Choices:
        """The declaration with each of a package's categorical covariates as a filter
        (``options: each``: every study, then each category), unless the file already
        declares a choice of that name.

        ``main`` gives a covariate's main option (the value the package's main prevalence
        analysis selects, ``study.prevalence.main``); every study (``all``) otherwise.
        """
        main = main or {}
        added = tuple(n for n in names if n not in self.names and n not in KNOWN_CHOICES)
        if not added:
            return self
        return replace(self, choices=(*self.choices, *(
            Choice(n, (), str(main.get(n, ALL)), each=True) for n in added)),
            covariates=(*self.covariates, *added))

    @property
    def has_glmm(self) -> bool:
        """Whether the pooling model is a choice with the GLMM among its options."""
        return any(c.name == POOLING and GLMM in c.options for c in self.choices)

    def without_glmm(self) -> Choices:
        """The declaration with the inverse-variance model as the only pooling model."""
        return replace(self, choices=tuple(
            Choice(POOLING, (INVERSE_VARIANCE,), INVERSE_VARIANCE) if c.name == POOLING else c
            for c in self.choices), book={k: v for k, v in self.book.items() if k != POOLING})

    def columns(self, size: str = "full") -> tuple[str, ...]:
        """The choice columns of the table of a multiverse of this ``size``."""
        return (*self.names, *RESAMPLING_COLUMNS) if size == RESAMPLED else self.names

    def main_of(self, size: str = "full") -> dict[str, Any]:
        """The main analysis's option of every column of :meth:`columns`."""
        extra = dict.fromkeys(RESAMPLING_COLUMNS, NONE) if size == RESAMPLED else {}
        return {**self.main, **extra}

    @property
    def unresolved(self) -> tuple[str, ...]:
        """Filters declared ``options: each`` not yet completed from a package."""
        return tuple(c.name for c in self.choices if c.each)

    def resolve(self, categories: dict[str, list[Any]]) -> Choices:
        """The declaration with each ``options: each`` filled in from a package.

        Parameters
        ----------
        categories : dict
            For each column a filter declares ``options: each``, the categories the
            package's studies have, in the package's order.

        Returns
        -------
        Choices
            Every such filter takes ``all`` and then each category. A rule is set aside
            (in ``set_aside``, with the reason) when one of its entries names no option
            the package has: it cannot match any specification here.

        Raises
        ------
        ChoicesError
            When a filter's main option, or an option the ``book`` keeps, is no category
            of the package.
        """
        if not self.unresolved:
            return self
        problems = []
        choices = []
        for c in self.choices:
            if not c.each:
                choices.append(c)
                continue
            codes = [str(v) for v in categories.get(c.name, [])]
            options = (ALL, *codes)
            where = f"{self.source}: choices.{c.name}"
            if c.main not in options:
                problems.append(f"{where}.main: {c.main!r} is not a category of the "
                                f"package's studies (column {c.name}); values: "
                                f"{', '.join(codes) or 'none'}; use 'all'")
            for value in self.book.get(c.name, ()):
                if value not in options:
                    problems.append(f"{self.source}: book.{c.name}: {value!r} is not a "
                                    f"category of the package's studies (column {c.name}); "
                                    f"values: {', '.join(codes) or 'none'}")
            choices.append(Choice(c.name, options, c.main))
        if problems:
            raise ChoicesError(problems)
        declared = {c.name: c.options for c in choices}
        rules, set_aside = [], list(self.set_aside)
        for rule in self.rules:
            missing = [(name, values) for name, values in rule.when
                       if not any(v in declared[name] for v in values)]
            if missing:
                set_aside.append((rule, "; ".join(
                    f"the package's studies have no {name.replace('_', ' ')} "
                    f"{' or '.join(str(v).replace('_', ' ') for v in values)}"
                    for name, values in missing)))
            else:
                rules.append(rule)
        return replace(self, choices=tuple(choices), rules=tuple(rules),
                       set_aside=tuple(set_aside))

    @property
    def main(self) -> dict[str, Any]:
        return {c.name: c.main for c in self.choices}

    def options(self, size: str = "full") -> dict[str, tuple[Any, ...]]:
        """The options of each choice in the ``book`` or the ``full`` multiverse (the
        ``resampled`` one has the full one's and resamples its subsets)."""
        if size not in COMMAND_SIZES:
            raise ChoicesError([f"size must be one of {', '.join(COMMAND_SIZES)}, not "
                                f"{size!r}"])
        if size == RESAMPLED and self.resampling is None:
            raise ChoicesError([f"{self.source}: the resampled multiverse needs a "
                                "resampling section (leave_k_out, bootstrap); see "
                                "book/multiverse.yml"])
        if self.unresolved:
            # A programming slip, not the user's: the categories come from the package.
            raise ChoicesError([f"{self.source}: choices {', '.join(self.unresolved)} take "
                                "'each' category of the package: resolve them against its "
                                "studies first (analysis.stats.multiverse.resolve)"])
        return {c.name: (self.book.get(c.name, c.options) if size == "book" else c.options)
                for c in self.choices}

    def combinations(self, size: str = "full") -> Iterator[dict[str, Any]]:
        """Every combination of options, in declared order, before any rule; a GLMM
        combination once per selection of studies, with the choices it does not take
        (:data:`GLMM_NOT_TAKEN`) written ``not_applicable``."""
        options = self.options(size)
        names = list(options)
        seen = set()
        for values in itertools.product(*options.values()):
            base = dict(zip(names, values))
            if base.get(POOLING) == GLMM:
                base.update({n: NOT_APPLICABLE for n in GLMM_NOT_TAKEN if n in base})
                key = tuple(map(str, base.values()))
                if key in seen:
                    continue
                seen.add(key)
            yield base

    def excluded_by(self, spec: dict[str, Any]) -> Rule | None:
        return next((rule for rule in self.rules if rule.matches(spec)), None)

    def specifications(self, size: str = "full",
                       studies: dict[str, list[Any]] | None = None) -> Iterator[dict[str, Any]]:
        """Every combination of options that no rule excludes, in declared order.

        ``leave_one_out: each`` stands for every study: ``studies`` maps ``"study_id"``
        to the ids of the setting's studies in order (the evaluation decides which of
        them a subset holds). Without it, ``each`` is kept as it is.
        """
        for base in self.combinations(size):
            if self.excluded_by(base):
                continue
            if base.get("leave_one_out") == EACH and studies is not None:
                for study in studies["study_id"]:
                    yield {**base, "leave_one_out": study}
            else:
                yield base


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _check_option(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be an option of choice ``name`` (None: it can)."""
    if name in METHOD_OPTIONS:
        if value not in METHOD_OPTIONS[name]:
            return f"{value!r} is not an option; allowed: {', '.join(METHOD_OPTIONS[name])}"
    elif name in FILTER_COLUMNS:
        if not isinstance(value, str) or not value:
            return f"{value!r} is not an option; use 'all' or a value of the column {name}"
    elif name == "year_from":
        if value != ALL and (isinstance(value, bool) or not isinstance(value, int)):
            return f"{value!r} is not an option; use 'all' or a year such as 2000"
    elif name == "leave_one_out":
        if value not in (NONE, EACH):
            return f"{value!r} is not an option; allowed: none, each"
    return None


def parse(spec: Any, source: str = "multiverse.yml") -> Choices:
    """Check a declaration (the parsed YAML) and return it as :class:`Choices`.

    Raises
    ------
    ChoicesError
        Listing every problem, each as ``source: where: what is wrong and what to do``.
    """
    problems: list[str] = []

    def bad(where: str, what: str) -> None:
        problems.append(f"{source}: {where}: {what}")

    if not isinstance(spec, dict):
        raise ChoicesError([f"{source}: the file must be a mapping with 'choices' "
                            "(and optionally 'exclude', 'book', 'conclusion')"])
    for key in sorted(set(spec) - TOP_KEYS):
        bad(key, f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    setting = spec.get("setting")
    if setting is not None and not (isinstance(setting, str) and setting):
        bad("setting", "must be a value of prevalence_studies.setting (or left out: the "
                       "setting with the most studies)")
    min_studies = spec.get("min_studies", 3)
    if isinstance(min_studies, bool) or not isinstance(min_studies, int) or min_studies < 2:
        bad("min_studies", f"must be a whole number of at least 2 (pooling needs two "
                           f"studies), not {min_studies!r}")
        min_studies = 3
    # The threshold is a declaration's, never the code's: a data package declares its
    # own (study.prevalence.threshold_percent), which the page puts in force; a choices
    # file may declare one for packages that do not; with none, no conclusion is tested.
    conclusion = spec.get("conclusion")
    below = conclusion.get("below_percent") if isinstance(conclusion, dict) else None
    if conclusion is not None and (isinstance(below, bool)
                                   or not isinstance(below, (int, float))
                                   or not 0 < below < 100):
        bad("conclusion", "must be {below_percent: P} with P a percentage between 0 and "
                          f"100, not {conclusion!r}")

    raw = spec.get("choices")
    choices: list[Choice] = []
    if not isinstance(raw, dict) or not raw:
        bad("choices", "must map each choice to {options: [...], main: ...}; choices: "
                       f"{', '.join(KNOWN_CHOICES)}")
        raw = {}
    for name, entry in raw.items():
        where = f"choices.{name}"
        if name not in KNOWN_CHOICES:
            bad(where, f"unknown choice; known: {', '.join(KNOWN_CHOICES)}")
            continue
        if not isinstance(entry, dict) or "options" not in entry or "main" not in entry:
            bad(where, "must be {options: [...], main: <one of the options>}")
            continue
        unknown = set(entry) - {"options", "main", "why"}
        if unknown:
            bad(where, f"unknown key {', '.join(sorted(map(str, unknown)))}; allowed: "
                       "options, main, why")
        options = entry["options"]
        if options == EACH and name in FILTER_COLUMNS:
            # 'all' and every category of the column the package's studies have.
            if not isinstance(entry["main"], str) or not entry["main"]:
                bad(f"{where}.main", f"{entry['main']!r} is not an option; use 'all' or a "
                                     f"value of the column {name}")
            choices.append(Choice(name, (), entry["main"], each=True))
            continue
        if not isinstance(options, list) or not options:
            bad(f"{where}.options", "must be a non-empty list"
                + (" or each (every category of the package)" if name in FILTER_COLUMNS
                   else ""))
            continue
        for value in options:
            why = _check_option(name, value)
            if why:
                bad(f"{where}.options", why)
        repeated = sorted({str(v) for v in options if options.count(v) > 1})
        if repeated:
            bad(f"{where}.options", f"repeated: {', '.join(repeated)}")
        if entry["main"] not in options:
            bad(f"{where}.main", f"{entry['main']!r} is not one of its options "
                                 f"({', '.join(map(str, options))})")
        if name == "leave_one_out" and entry["main"] != NONE:
            bad(f"{where}.main", "the main analysis leaves no study out: use none")
        if name == POOLING and entry["main"] != INVERSE_VARIANCE:
            bad(f"{where}.main", "the main analysis is the Prevalence page's, which pools "
                                 "by inverse variance: use inverse_variance")
        choices.append(Choice(name, tuple(options), entry["main"]))
    declared = {c.name: c for c in choices}

    rules: list[Rule] = []
    for i, entry in enumerate(spec.get("exclude") or []):
        where = f"exclude[{i + 1}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("when"), dict) \
                or not entry["when"] or not isinstance(entry.get("why"), str):
            bad(where, "must be {when: {choice: option or [options]}, why: <reason>}")
            continue
        when = []
        for name, values in entry["when"].items():
            if name not in declared:
                bad(f"{where}.when.{name}", "is not a declared choice")
                continue
            for value in _as_tuple(values):
                # Under 'each' a code is checked against the package (resolve): one the
                # package lacks only makes the rule not apply to it.
                if declared[name].each:
                    if not isinstance(value, str) or not value:
                        bad(f"{where}.when.{name}", f"{value!r} is not an option; use 'all' "
                                                   f"or a value of the column {name}")
                elif value not in declared[name].options:
                    bad(f"{where}.when.{name}", f"{value!r} is not one of its options")
            when.append((name, _as_tuple(values)))
        rule = Rule(tuple(when), entry["why"].strip())
        if declared and len(when) == len(entry["when"]) and rule.matches(
                {c.name: c.main for c in choices}):
            bad(where, "excludes the main analysis; narrow its 'when'")
        rules.append(rule)

    book: dict[str, tuple[Any, ...]] = {}
    raw_book = spec.get("book") or {}
    if not isinstance(raw_book, dict):
        bad("book", "must map choices to the options the book's smaller multiverse keeps")
        raw_book = {}
    for name, values in raw_book.items():
        if name not in declared:
            bad(f"book.{name}", "is not a declared choice")
            continue
        values = _as_tuple(values)
        for value in values:
            if not declared[name].each and value not in declared[name].options:
                bad(f"book.{name}", f"{value!r} is not one of its options")
        if declared[name].main not in values:
            bad(f"book.{name}", f"must keep the main analysis's option {declared[name].main!r}")
        book[name] = values
    quality = _quality(spec.get("quality"), bad)
    themes = _themes(spec.get("themes"), bad)
    resampling = _resampling(spec.get("resampling"), bad)
    if problems:
        raise ChoicesError(problems)
    return Choices(outcome=str(spec.get("outcome") or "pooled prevalence"),
                   setting=setting, min_studies=min_studies,
                   below_percent=None if below is None else float(below),
                   choices=tuple(choices), rules=tuple(rules), book=book, source=source,
                   quality=quality, themes=themes, resampling=resampling)


def _whole(value: Any, least: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= least


def _resampling(raw: Any, bad) -> Resampling | None:
    """The resampling of ``--size resampled`` (none declared: that size is not offered)."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw or set(raw) - {"leave_k_out", "bootstrap"}:
        bad("resampling", "must be {leave_k_out: [k, ...], bootstrap: {replicates: B, "
                          "seed: S}} (either or both)")
        return None
    ks = raw.get("leave_k_out", [])
    if not isinstance(ks, list) or not all(_whole(k, 2) for k in ks) \
            or len(set(ks)) != len(ks):
        bad("resampling.leave_k_out", "must be a list of distinct whole numbers of at least "
                                      f"2 (leave_one_out leaves one out), not {ks!r}")
        ks = []
    boot = raw.get("bootstrap", {"replicates": 0, "seed": 0})
    if not isinstance(boot, dict) or set(boot) != {"replicates", "seed"} \
            or not _whole(boot["replicates"], 0) or not _whole(boot["seed"], 0):
        bad("resampling.bootstrap", "must be {replicates: B, seed: S}, whole numbers of at "
                                    f"least 0 (the seed is recorded with the table), not "
                                    f"{boot!r}")
        boot = {"replicates": 0, "seed": 0}
    return Resampling(tuple(ks), boot["replicates"], boot["seed"])


def _quality(raw: Any, bad) -> tuple[Choice, ...]:
    """The limits of banding rules the quality multiverse varies (none: no multiverse)."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        bad("quality", "must map limits of a banding rule to {options: [...], main: n}; "
                       f"limits: {', '.join(QUALITY_LIMITS)}")
        return ()
    out = []
    for name, entry in raw.items():
        where = f"quality.{name}"
        if name not in QUALITY_LIMITS:
            bad(where, f"unknown limit; known: {', '.join(QUALITY_LIMITS)}")
            continue
        if not isinstance(entry, dict) or set(entry) != {"options", "main"} \
                or not isinstance(entry["options"], list) or not entry["options"]:
            bad(where, "must be {options: [whole numbers], main: one of them}")
            continue
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0
               for v in entry["options"]):
            bad(f"{where}.options", "must be whole numbers of at least 0, not "
                                    f"{entry['options']!r}")
            continue
        if entry["main"] not in entry["options"]:
            bad(f"{where}.main", f"{entry['main']!r} is not one of its options")
            continue
        out.append(Choice(name, tuple(entry["options"]), entry["main"]))
    return tuple(out)


def bands_text(bands: tuple[str, ...]) -> str:
    """An ``exclude_bands`` option as the table and the page write it."""
    return "+".join(bands) if bands else NONE


def _theme_option(name: str, value: Any) -> tuple[Any, str | None]:
    """An option of a theme choice as it is kept, and why it cannot be one (or None)."""
    if name == "min_support":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return value, f"{value!r} is not an option; use a whole number of at least 1"
    elif name == "unit":
        if value not in UNITS:
            return value, f"{value!r} is not an option; allowed: {', '.join(UNITS)}"
    elif name == "exclude_bands":
        if not isinstance(value, list) or any(b not in BANDS for b in value) \
                or len(set(value)) != len(value):
            return value, (f"{value!r} is not an option; write a list of quality bands "
                           f"({', '.join(BANDS)}), each once, or [] to keep every paper")
        # In the order of the bands, best first, so [low, moderate] is [moderate, low].
        return tuple(b for b in BANDS if b in value), None
    elif name == "banding_rule":
        if value not in BANDING_RULES:
            return value, (f"{value!r} is not an option; allowed: the declared rules "
                           f"{', '.join(BANDING_RULES)}")
    return value, None


def _themes(raw: Any, bad) -> tuple[Choice, ...]:
    """The choices behind the support of each theme (none: no theme multiverse)."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        bad("themes", "must map choices to {options: [...], main: ...}; choices: "
                      f"{', '.join(THEME_CHOICES)}")
        return ()
    out = []
    for name, entry in raw.items():
        where = f"themes.{name}"
        if name not in THEME_CHOICES:
            bad(where, f"unknown choice; known: {', '.join(THEME_CHOICES)}")
            continue
        if not isinstance(entry, dict) or set(entry) - {"options", "main", "why"} \
                or "options" not in entry or "main" not in entry \
                or not isinstance(entry["options"], list) or not entry["options"]:
            bad(where, "must be {options: [...], main: one of them}")
            continue
        options, ok = [], True
        for value in entry["options"]:
            kept, why = _theme_option(name, value)
            if why:
                bad(f"{where}.options", why)
                ok = False
            options.append(kept)
        if not ok:
            continue
        if len(set(options)) != len(options):
            bad(f"{where}.options", "repeated: "
                + ", ".join(sorted({bands_text(o) if name == "exclude_bands" else str(o)
                                    for o in options if options.count(o) > 1})))
            continue
        main, why = _theme_option(name, entry["main"])
        if why or main not in options:
            bad(f"{where}.main", f"{entry['main']!r} is not one of its options")
            continue
        out.append(Choice(name, tuple(options), main))
    return tuple(out)


def load_choices(path: str | Path | None = None) -> Choices:
    """Read and check a declaration of choices (default ``book/multiverse.yml``).

    A relative path is taken from ``book/``.
    """
    from analysis.contract.errors import InputError
    from analysis.contract.reading import load_yaml

    path = Path(path) if path else CHOICES_FILE
    if not path.is_absolute():
        path = paths.BOOK / path
    shown = path.name if path.parent == paths.BOOK else str(path)
    if not path.exists():
        raise ChoicesError([f"{shown}: no such file; declare the choices there (see "
                            "book/multiverse.yml)"])
    try:  # a regular file, bounded, without YAML aliases (analysis.contract.reading)
        spec = load_yaml(path, shown)
    except InputError as exc:
        raise ChoicesError([str(exc)]) from None
    return parse(spec, shown)
