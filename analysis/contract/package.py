"""A validated data package: its typed tables, its own metadata and its vocabularies.

A data package is one folder of CSV files with a ``datapackage.json`` that describes
them (the Frictionless Data Package standard). The tables, their columns, allowed
values, ranges and keys are declared once, in ``analysis/contract/data_contract.json``;
:mod:`analysis.contract.validation` reads a folder against that declaration and returns
a :class:`DataPackage`.

References
----------
Frictionless Data, *Data Package* and *Table Schema* specifications,
https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract.files import load_contract
from analysis.contract.study import Study, read_study
from analysis.paths import TABLE_LOG_ENV


@dataclass
class DataPackage:
    """A validated data package: typed tables plus the package's own metadata."""

    data_dir: Path
    descriptor: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    log_reads: bool = False  # switched on once validation is over
    # Allowed values in force, by (table, column): code -> label in display order, and
    # where each came from ("datapackage.json" or "the contract's defaults").
    vocabularies: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    vocabulary_sources: dict[tuple[str, str], str] = field(default_factory=dict)
    # What validation accepted after normalising it ("file:column: 3 cell(s) ..."),
    # for the build to print: a package is never changed silently.
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        log = os.environ.get(TABLE_LOG_ENV)
        if log and self.log_reads:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{name}\n")
        return self.tables[name]

    @property
    def synthetic(self) -> bool:
        return bool(self.descriptor.get("synthetic", False))

    @cached_property
    def study(self) -> Study:
        """The study the package declares (its ``study`` section), read once."""
        return read_study(self.descriptor)[0]

    @property
    def fieldwork(self) -> dict[str, Any]:
        """The fieldwork period and its first suspension (empty when none is declared)."""
        return self.study.fieldwork

    def has(self, table: str) -> bool:
        """Whether the package holds this table with at least one row."""
        return table in self.tables and not self.tables[table].empty

    def categories(self, table: str, column: str) -> dict[str, str]:
        """The allowed values of a column in force for this package, mapped to labels.

        A package may declare its own categories (``constraints.enum`` and
        ``categoryLabels`` of the field in its ``datapackage.json``); otherwise the
        contract's defaults apply.
        """
        if (table, column) in self.vocabularies:
            return dict(self.vocabularies[(table, column)])
        return category_labels(table, column)




def contract_resources() -> dict[str, dict[str, Any]]:
    """Contract resources by table name, in declaration order."""
    return {res["name"]: res for res in load_contract()["resources"]}


# Categories a method fixes: a package cannot declare its own for these columns.
FIXED_VOCABULARIES = {("casp_ratings", "rating"), ("cerqual", "component"),
                      ("cerqual", "concern"), ("cerqual", "overall"),
                      ("search_flow", "stage"), ("framework", "review"),
                      ("framework", "subtheme_source")}


def category_labels(table: str, column: str,
                    package: DataPackage | None = None) -> dict[str, str]:
    """Allowed values of a column in declared order, mapped to their display labels.

    Columns without declared labels map each allowed value to itself. With a package,
    the vocabulary in force for it (see :meth:`DataPackage.categories`).
    """
    if package is not None:
        return package.categories(table, column)
    for fdef in contract_resources()[table]["schema"]["fields"]:
        if fdef["name"] == column:
            allowed = fdef.get("constraints", {}).get("enum", [])
            labels = fdef.get("categoryLabels", {})
            return {value: labels.get(value, value) for value in allowed}
    raise KeyError(f"{table} has no column {column!r}")
