"""A multiverse of the choices behind the support of each theme of the meta-synthesis.

The Theme frequencies chapter counts, for each theme, the papers and the distinct
studies that support it, and flags a theme that fewer than ``min_studies`` studies
support, with all papers or without the papers of some quality bands
(:func:`analysis.stats.themes.quality_sensitivity`). Each of those is a choice: the least
support a theme needs, whether the sources counted are distinct studies or papers
(papers of one study are not independent; Thomas and Harden 2008), which quality bands
are left out, and the banding rule that gives each paper its band. A *specification*
here is one option of each (declared in the ``themes`` section of
``book/multiverse.yml``, :mod:`analysis.contract.choices`); its result is, for every
theme, whether it is supported. The share of specifications in which a theme is
supported says how far that conclusion rests on the choices (Steegen et al. 2016).

The counting is the chapter's own, on NumPy arrays read once: :func:`evaluate_one` one
specification at a time (the reference, which a test checks against the chapter's
functions), :class:`ThemePlan` many at once as matrix products, cut into blocks by
specification number like the prevalence multiverse
(:class:`analysis.stats.multiverse_batch.SpecificationPlan`), so that both run through
the same chunked machinery (:mod:`analysis.compute.multiverse`), in this process or on a
Dask cluster.

References
----------
Lewin S, Booth A, Glenton C, et al. (2018). Applying GRADE-CERQual to qualitative
evidence synthesis findings. Implementation Science 13(Suppl 1):2.
Steegen S, Tuerlinckx F, Gelman A, Vanpaemel W (2016). Increasing transparency through a
multiverse analysis. Perspectives on Psychological Science 11:702-712.
Thomas J, Harden A (2008). Methods for the thematic synthesis of qualitative research in
systematic reviews. BMC Medical Research Methodology 8:45.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.contract.choices import Choices, bands_text
from analysis.contract.package import DataPackage
from analysis.stats import themes

# Without a themes section the theme multiverse is the Theme frequencies page alone.
DEFAULTS = {"min_support": 3, "unit": "studies", "exclude_bands": (),
            "banding_rule": "default"}
RESULT_COLUMNS = ("theme_id", "theme", "n_papers", "n_studies", "support", "supported")


@dataclass(frozen=True, eq=False)
class PaperArrays:
    """The meta-synthesis papers as NumPy arrays, for recounting support fast.

    Attributes
    ----------
    theme_ids, themes : tuple of str
        The themes in framework order.
    present : ndarray of bool
        Papers x themes: the paper supports the theme (any of its sub-themes).
    groups : ndarray of int
        The study of each paper, as a number from 0.
    n_groups : int
    bands : dict
        Banding rule name -> the band of each paper under it ('not rated' for a paper
        without agreed answers).
    """

    theme_ids: tuple[str, ...]
    themes: tuple[str, ...]
    present: np.ndarray
    groups: np.ndarray
    n_groups: int
    bands: dict[str, np.ndarray]

    @classmethod
    def from_package(cls, package: DataPackage, rules: Iterable[str] = ("default",)
                     ) -> PaperArrays:
        """The papers of a package, with their band under each of ``rules``."""
        rules = list(dict.fromkeys(rules))
        support = themes.ThemeSupport.from_package(package, rules[0])
        bands = {rules[0]: support.units["band"].to_numpy(dtype=object)}
        for rule in rules[1:]:
            other = themes.paper_bands(package, rule)
            band = dict(zip(other["study_id"].astype(str), other["band"]))
            bands[rule] = np.array([band.get(s, "not rated") for s in support.units.index],
                                   dtype=object)
        listed = support.themes()
        groups, _ = pd.factorize(support.units["group"])
        return cls(theme_ids=tuple(listed["theme_id"]), themes=tuple(listed["theme"]),
                   present=(support.theme_excerpts() > 0).to_numpy(),
                   groups=np.asarray(groups), n_groups=int(groups.max() + 1) if len(groups)
                   else 0, bands=bands)


def _options(choices: Choices) -> dict[str, tuple[Any, ...]]:
    """Every theme choice's options; a choice not declared takes the chapter's value."""
    declared = {c.name: c.options for c in choices.themes}
    return {name: declared.get(name, (value,)) for name, value in DEFAULTS.items()}


def main_spec(choices: Choices) -> dict[str, Any]:
    """The main analysis's option of every theme choice (the Theme frequencies page)."""
    declared = {c.name: c.main for c in choices.themes}
    return {name: declared.get(name, value) for name, value in DEFAULTS.items()}


def rules_of(choices: Choices) -> tuple[str, ...]:
    """The banding rules the specifications use, the main one first."""
    main = main_spec(choices)["banding_rule"]
    return tuple(dict.fromkeys([main, *_options(choices)["banding_rule"]]))


def specifications(choices: Choices) -> list[dict[str, Any]]:
    """Every combination of the theme choices, in declared order.

    With no quality band left out, the banding rule changes nothing: that combination
    is kept once, under the main rule, rather than once per rule.
    """
    options = _options(choices)
    main_rule = main_spec(choices)["banding_rule"]
    specs = []
    for values in itertools.product(*options.values()):
        spec = dict(zip(options, values))
        if not spec["exclude_bands"] and spec["banding_rule"] != main_rule:
            continue
        specs.append(spec)
    return specs


def n_collapsed(choices: Choices) -> int:
    """How many combinations of options are left out as the same as another."""
    total = int(np.prod([len(v) for v in _options(choices).values()]))
    return total - len(specifications(choices))


def evaluate_one(data: PaperArrays, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Whether each theme is supported under one specification: one row per theme.

    A theme's ``support`` is the number of kept papers (``unit: papers``) or of
    distinct studies with a kept paper (``unit: studies``) that support it; it is
    supported when that is at least ``min_support``, as the Theme frequencies chapter
    flags a theme with fewer (:func:`analysis.stats.themes.quality_sensitivity`).
    """
    keep = ~np.isin(data.bands[spec["banding_rule"]], list(spec["exclude_bands"]))
    present = data.present[keep]
    by_study = np.zeros((data.n_groups, present.shape[1]), dtype=bool)
    np.logical_or.at(by_study, data.groups[keep], present)
    n_papers = present.sum(axis=0)
    n_studies = by_study.sum(axis=0)
    support = n_studies if spec["unit"] == "studies" else n_papers
    base = {**spec, "exclude_bands": bands_text(tuple(spec["exclude_bands"]))}
    return [{**base, "theme_id": theme_id, "theme": theme, "n_papers": int(p),
             "n_studies": int(s), "support": int(n), "supported": bool(n >= spec["min_support"])}
            for theme_id, theme, p, s, n in zip(data.theme_ids, data.themes, n_papers,
                                                n_studies, support)]


def evaluate_many(data: PaperArrays, specs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`evaluate_one` for each specification, rows in order (one cluster task)."""
    return [row for spec in specs for row in evaluate_one(data, spec)]


def table(records: Sequence[dict[str, Any]], choices: Choices) -> pd.DataFrame:
    """The tidy table: one row per specification and theme.

    Columns: ``specification`` (numbered from 1 in the order of
    :func:`specifications`), the choices as text, ``theme_id``, ``theme``, the kept
    papers and studies supporting it (``n_papers``, ``n_studies``), ``support`` (the
    count in the specification's unit), ``supported`` and ``main``.
    """
    names = list(DEFAULTS)
    frame = pd.DataFrame(list(records), columns=[*names, *RESULT_COLUMNS])
    for name in names:
        frame[name] = frame[name].astype(str)
    main = main_spec(choices)
    main_text = {**{k: str(v) for k, v in main.items()},
                 "exclude_bands": bands_text(tuple(main["exclude_bands"]))}
    frame["main"] = (np.logical_and.reduce([frame[k] == v for k, v in main_text.items()])
                     if len(frame) else [])
    n_themes = frame["theme_id"].nunique() if len(frame) else 1
    frame.insert(0, "specification", np.arange(len(frame)) // max(n_themes, 1) + 1)
    return frame


def run_serial(package: DataPackage, choices: Choices) -> pd.DataFrame:
    """The whole theme multiverse in this process, one specification at a time (the
    reference for :class:`ThemePlan`)."""
    data = PaperArrays.from_package(package, rules_of(choices))
    return table(evaluate_many(data, specifications(choices)), choices)


# Specifications x studies x themes of one array pass of ThemePlan.evaluate.
BLOCK_CELLS = 2_000_000


@dataclass(frozen=True, eq=False)
class ThemePlan:
    """The theme multiverse numbered for evaluation in blocks, as arrays.

    ``evaluate(start, stop)`` gives the rows of specifications ``start`` to ``stop``
    (from 0) of the table :func:`run_serial` gives: for each kept paper set, the papers
    supporting each theme are one product of the kept-papers matrix with the papers x
    themes matrix, and the distinct studies one product per study.
    """

    data: PaperArrays
    specs: tuple[dict[str, Any], ...]
    choices: Choices

    @classmethod
    def of(cls, package: DataPackage, choices: Choices) -> ThemePlan:
        return cls(PaperArrays.from_package(package, rules_of(choices)),
                   tuple(specifications(choices)), choices)

    def __len__(self) -> int:
        return len(self.specs)

    def evaluate(self, start: int = 0, stop: int | None = None) -> pd.DataFrame:
        stop = len(self) if stop is None else min(stop, len(self))
        data = self.data
        n_themes = len(data.theme_ids)
        specs = self.specs[start:stop]
        keep = np.array([~np.isin(data.bands[s["banding_rule"]], list(s["exclude_bands"]))
                         for s in specs], dtype=bool).reshape(len(specs), len(data.groups))
        present = data.present.astype(np.int64)
        n_papers = keep.astype(np.int64) @ present
        # Distinct studies: per study, whether any kept paper of it supports the theme.
        in_study = np.zeros((data.n_groups, len(data.groups)), dtype=np.int64)
        in_study[data.groups, np.arange(len(data.groups))] = 1
        n_studies = np.zeros_like(n_papers)
        step = max(1, BLOCK_CELLS // max(1, data.n_groups * n_themes))
        for lo in range(0, len(specs), step):
            kept = keep[lo:lo + step, None, :] * in_study[None, :, :]
            n_studies[lo:lo + step] = ((kept @ present) > 0).sum(axis=1)
        by_studies = np.array([s["unit"] == "studies" for s in specs], dtype=bool)
        support = np.where(by_studies[:, None], n_studies, n_papers)
        need = np.array([s["min_support"] for s in specs], dtype=np.int64)
        rows = len(specs) * n_themes
        columns: dict[str, Any] = {
            "specification": np.repeat(np.arange(start + 1, start + len(specs) + 1),
                                       n_themes)}
        for name in DEFAULTS:
            shown = [bands_text(tuple(s[name])) if name == "exclude_bands" else str(s[name])
                     for s in specs]
            columns[name] = np.repeat(np.array(shown, dtype=object), n_themes)
        columns["theme_id"] = np.tile(np.array(data.theme_ids, dtype=object), len(specs))
        columns["theme"] = np.tile(np.array(data.themes, dtype=object), len(specs))
        columns["n_papers"] = n_papers.reshape(rows)
        columns["n_studies"] = n_studies.reshape(rows)
        columns["support"] = support.reshape(rows)
        columns["supported"] = (support >= need[:, None]).reshape(rows)
        main = main_spec(self.choices)
        is_main = np.array([all(s[k] == main[k] if k != "exclude_bands" else
                                tuple(s[k]) == tuple(main[k]) for k in DEFAULTS)
                            for s in specs], dtype=bool)
        columns["main"] = np.repeat(is_main, n_themes)
        frame = pd.DataFrame(columns)
        for name in (*DEFAULTS, "theme_id", "theme"):
            frame[name] = frame[name].astype(str)
        return frame


def run_batched(package: DataPackage, choices: Choices) -> pd.DataFrame:
    """The whole theme multiverse in this process, as arrays (the table of
    :func:`run_serial`)."""
    return ThemePlan.of(package, choices).evaluate()


# --------------------------------------------------------------------- summaries


def theme_robustness(frame: pd.DataFrame) -> pd.DataFrame:
    """For each theme, in how many specifications it is supported, and the main result.

    Returns
    -------
    DataFrame
        One row per theme in framework order: ``theme_id``, ``theme``,
        ``n_specifications``, ``n_supported``, ``share_supported`` (%),
        ``main_supported``, ``main_support`` (the main analysis's count) and
        ``lowest_support`` (the smallest count in any specification).
    """
    rows = []
    for theme_id, part in frame.groupby("theme_id", sort=False):
        main = part[part["main"]]
        rows.append({
            "theme_id": theme_id, "theme": str(part["theme"].iloc[0]),
            "n_specifications": len(part), "n_supported": int(part["supported"].sum()),
            "share_supported": float(100 * part["supported"].mean()),
            "main_supported": bool(main["supported"].iloc[0]) if len(main) else False,
            "main_support": int(main["support"].iloc[0]) if len(main) else 0,
            "lowest_support": int(part["support"].min())})
    return pd.DataFrame(rows, columns=["theme_id", "theme", "n_specifications",
                                       "n_supported", "share_supported", "main_supported",
                                       "main_support", "lowest_support"])


@dataclass(frozen=True)
class ThemeChoiceEffect:
    """How far one theme choice moves the share of supported themes (percentage points)."""

    choice: str
    lowest_option: str
    lowest_share: float
    highest_option: str
    highest_share: float

    @property
    def spread(self) -> float:
        return self.highest_share - self.lowest_share


def choice_effects(frame: pd.DataFrame, choices: Choices) -> list[ThemeChoiceEffect]:
    """For each theme choice with more than one option, the share of theme results
    supported under each option; largest spread first."""
    effects = []
    for choice in choices.themes:
        shares = frame.groupby(choice.name, sort=False)["supported"].mean() * 100
        if len(shares) < 2:
            continue
        effects.append(ThemeChoiceEffect(choice.name, str(shares.idxmin()),
                                         float(shares.min()), str(shares.idxmax()),
                                         float(shares.max())))
    return sorted(effects, key=lambda e: -e.spread)


@dataclass(frozen=True)
class ThemeMultiverseSummary:
    """What the page says of the support of the themes across the specifications."""

    n_specifications: int
    n_collapsed: int
    n_themes: int
    n_always: int
    n_never: int
    n_sometimes: int
    main_n_supported: int
    least_robust_theme: str
    least_robust_share: float
    top_choice: str
    top_choice_spread: float


def summarise(frame: pd.DataFrame, choices: Choices) -> ThemeMultiverseSummary:
    """Headline counts of the theme multiverse.

    Raises
    ------
    ValueError
        When the table is empty (no theme, or no specification).
    """
    if frame.empty:
        raise ValueError("the theme multiverse has no theme or no specification")
    robust = theme_robustness(frame)
    weakest = robust.loc[robust["share_supported"].idxmin()]
    effects = choice_effects(frame, choices)
    top = effects[0] if effects else None
    return ThemeMultiverseSummary(
        n_specifications=int(frame["specification"].nunique()),
        n_collapsed=n_collapsed(choices), n_themes=len(robust),
        n_always=int((robust["share_supported"] == 100).sum()),
        n_never=int((robust["share_supported"] == 0).sum()),
        n_sometimes=int(((robust["share_supported"] > 0)
                         & (robust["share_supported"] < 100)).sum()),
        main_n_supported=int(robust["main_supported"].sum()),
        least_robust_theme=f"{weakest['theme_id']} {weakest['theme']}",
        least_robust_share=float(weakest["share_supported"]),
        top_choice=top.choice.replace("_", " ") if top else "none",
        top_choice_spread=top.spread if top else 0.0)

