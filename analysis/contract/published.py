"""The published figures a package compares its re-analysis with.

A package declares them in its study section (``study.published`` in
``datapackage.json``), each with its source, so a page quotes a published figure by its
``fact_id`` and never types it; a package that declares none gets no comparison.
"""

from __future__ import annotations

import pandas as pd

from analysis.contract.package import DataPackage
from analysis.contract.study import FACT_KEYS


def published_facts(package: DataPackage) -> pd.DataFrame:
    """Every published figure the package declares, indexed by ``fact_id``.

    ``value`` is text (some facts are labels such as "moderate"); ``number`` holds it
    as a number where it is one. Empty (with the same columns) when none is declared.
    """
    rows = [{k: (None if fact.get(k) is None else fact.get(k)) for k in FACT_KEYS}
            for fact in package.study.published]
    facts = pd.DataFrame(rows, columns=list(FACT_KEYS)).set_index("fact_id")
    facts["value"] = facts["value"].map(lambda v: v if v is None else str(v))
    for column in ("ci_low", "ci_high"):
        facts[column] = pd.to_numeric(facts[column], errors="coerce")
    facts["number"] = pd.to_numeric(facts["value"], errors="coerce")
    return facts


def published(package: DataPackage, fact_id: str) -> pd.Series:
    """One published figure with its source."""
    facts = published_facts(package)
    if fact_id not in facts.index:
        raise KeyError(f"no published fact '{fact_id}'; known: {', '.join(facts.index)}")
    return facts.loc[fact_id]


def method_not_computed(method: dict | None) -> str | None:
    """Why the book cannot recompute a published estimate under its stated method (None:
    it can, or the paper states none and the book's main analysis is compared).

    The reproduction page lists such a figure with this reason, never drops it.
    """
    from analysis.contract.study import TAU2_COMPUTED

    if not isinstance(method, dict):
        return None
    tau2 = method.get("tau2")
    if tau2 is not None and tau2 not in TAU2_COMPUTED:
        return (f"the paper estimated tau² by {tau2.upper()}, which this book does not "
                f"compute (it computes {' and '.join(t.upper() for t in TAU2_COMPUTED)})")
    return None
