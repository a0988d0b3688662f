"""What the Multiverse page shows: the declared choices, the curve's numbers, the tables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.contract.choices import EACH, Choices, load_choices
from analysis.contract.package import DataPackage
from analysis.paths import TABLES_DIR_ENV
from analysis.chapters import prevalence as prevalence_page
from analysis.stats import multiverse, multiverse_dask, quality


@dataclass(frozen=True)
class Facts:
    """What the prose says about where the multiverse ran and how it compares."""

    where: str
    n_workers: int
    n_tasks: int
    size: str
    setting: str
    setting_text: str
    prevalence_page: float
    main_comparison: str
    choices_text: str
    rules_text: str
    tasks_text: str


@dataclass(frozen=True)
class QualityText:
    """The sentence on the review-level judgement across banding rules."""

    sentence: str


def quality_sentence(table: pd.DataFrame) -> str:
    """What the quality multiverse shows, in words that fit any declaration."""
    if table.empty:
        return ("No limits of the banding rule are declared (the file's quality section), "
                "so the review-level judgement is not varied here.")
    s = multiverse.summarise_quality(table)
    rules = f"{s.n_rules:,} banding rule{'s' if s.n_rules != 1 else ''}"
    if s.n_same == s.n_rules:
        return (f"The review-level quality judgement is {s.main_judgement}, as under the "
                f"main rule, under every one of the {rules} the declared limits make.")
    return (f"Under the {rules} the declared limits make, the review-level quality "
            f"judgement is {s.main_judgement}, as under the main rule, in "
            f"{s.share_same:.0f}% of them ({s.n_same:,}); by judgement: {s.judgements}.")


def quality_table(table: pd.DataFrame) -> pd.DataFrame:
    """The quality multiverse as a reader scans it."""
    return table.rename(columns=lambda c: c.replace("_", " ")).assign(
        main=table["main"].map({True: "✓", False: ""})).rename(
        columns={"main": "Main rule"})


@dataclass(frozen=True, eq=False)
class MultiversePage:
    """Everything the Multiverse page shows, computed once."""

    choices: Choices
    run: multiverse_dask.MultiverseRun
    summary: multiverse.MultiverseSummary
    effects: pd.DataFrame
    facts: Facts
    quality: pd.DataFrame
    quality_text: QualityText

    @property
    def table(self) -> pd.DataFrame:
        return self.run.table


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _where(run: multiverse_dask.MultiverseRun) -> str:
    workers = _plural(run.n_workers, "worker")
    if run.where == "local cluster":
        return f"a local Dask cluster of {workers}"
    return f"the Dask scheduler at {run.where} ({workers})"


def multiverse_page(package: DataPackage, choices_file: str = "multiverse.yml",
                    size: str = "book", scheduler: str | None = None, workers: int = 1,
                    processes: bool = False) -> MultiversePage:
    """The multiverse of the declared choices on one data package, on Dask.

    Parameters
    ----------
    package : DataPackage
        A validated data package.
    choices_file : str
        The declaration of choices (relative paths from ``book/``).
    size : {"book", "full"}
        The book's smaller multiverse or every declared option.
    scheduler : str, optional
        Address of a running Dask scheduler; empty or None starts a local cluster.
    workers, processes
        Size and kind of the local cluster (see
        :func:`analysis.stats.multiverse_dask.client_for`).
    """
    choices = load_choices(choices_file)
    studies = package["prevalence_studies"]
    run = multiverse_dask.evaluate(studies, choices, size, scheduler=scheduler or None,
                                   n_workers=workers, processes=processes)
    summary = multiverse.summarise(run.table, choices, size)
    main = choices.main
    # The Prevalence context page's own number for the setting, by its own function.
    context = prevalence_page.prevalence_context(package, main["transform"], main["tau2_method"])
    setting = multiverse.setting_of(studies, choices)
    page_value = 100 * context.setting_estimate(setting).prevalence
    same = bool(np.isclose(page_value, summary.main_estimate, rtol=0, atol=1e-9))
    label = context.label("setting", setting)
    k = int((studies["setting"] == setting).sum())
    why = ("as the choices declare" if choices.setting is not None else
           "the setting with the most studies, as on the Prevalence context page")
    facts = Facts(where=_where(run), n_workers=run.n_workers, n_tasks=run.n_tasks,
                  size=size, setting=label,
                  setting_text=(f"the {k:,} {'study' if k == 1 else 'studies'} of the setting "
                                f"{label} ({why})"),
                  prevalence_page=page_value,
                  main_comparison=("the same as" if same else "different from"),
                  choices_text=_plural(len(choices.choices), "choice"),
                  rules_text=_plural(len(choices.rules), "rule"),
                  tasks_text=_plural(run.n_tasks, "task"))
    effects = multiverse.choice_effects_table(multiverse.choice_effects(run.table, choices))
    judged = pd.DataFrame()
    if choices.quality:
        consensus = quality.answers_wide(quality.ratings(package, quality.load_tool()))
        judged = multiverse.quality_multiverse(consensus, choices)
    return MultiversePage(choices, run, summary, effects.set_index("Choice"), facts,
                          judged, QualityText(quality_sentence(judged)))


def _text(value) -> str:
    return str(value).replace("_", " ")


def choices_table(choices: Choices) -> pd.DataFrame:
    """One row per choice: its options in the book and in full, and the main option."""
    book, full = choices.options("book"), choices.options("full")

    def shown(values) -> str:
        return ", ".join("every study, one at a time" if v == EACH else _text(v)
                         for v in values)

    return pd.DataFrame([{
        "Choice": _text(c.name), "Options on this page": shown(book[c.name]),
        "All options (--size full)": shown(full[c.name]), "Main analysis": _text(c.main),
    } for c in choices.choices]).set_index("Choice")


def rules_table(choices: Choices) -> pd.DataFrame:
    """The exclusion rules as sentences: when, and why."""
    rows = [{"Left out when": "; ".join(f"{_text(name)} is {' or '.join(map(_text, values))}"
                                        for name, values in rule.when),
             "Why": rule.why} for rule in choices.rules]
    return pd.DataFrame(rows, columns=["Left out when", "Why"]).set_index("Left out when")


def specification_table(table: pd.DataFrame) -> pd.DataFrame:
    """The tidy table as a reader scans it: sorted by estimate, choices then results."""
    shown = table.sort_values(["status", "prevalence", "specification"])
    return shown.rename(columns=lambda c: c.replace("_", " "))


def export_parquet(table: pd.DataFrame) -> Path | None:
    """Publish the tidy table as Parquet beside the page's CSV tables, during a build."""
    folder = os.environ.get(TABLES_DIR_ENV)
    if not folder:
        return None
    path = Path(folder) / "multiverse_specifications.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path, index=False)
    return path
