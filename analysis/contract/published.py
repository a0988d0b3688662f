"""The published figures this book reproduces or sets beside its own results.

They are kept as data (``analysis/published_facts.csv``), each with its source, so a
page quotes a published figure by its ``fact_id`` and never types it.
"""

from __future__ import annotations

import pandas as pd

from analysis import paths


def published_facts() -> pd.DataFrame:
    """Every published figure, indexed by ``fact_id``.

    ``value`` is text (some facts are labels such as "moderate"); ``number`` holds it
    as a number where it is one.
    """
    facts = pd.read_csv(paths.PUBLISHED_FACTS, dtype={"value": str}).set_index("fact_id")
    facts["number"] = pd.to_numeric(facts["value"], errors="coerce")
    return facts


def published(fact_id: str) -> pd.Series:
    """One published figure with its source."""
    facts = published_facts()
    if fact_id not in facts.index:
        raise KeyError(f"no published fact '{fact_id}'; known: {', '.join(facts.index)}")
    return facts.loc[fact_id]
