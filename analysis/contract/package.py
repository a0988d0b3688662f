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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.contract.files import load_contract
from analysis.paths import TABLE_LOG_ENV


@dataclass
class DataPackage:
    """A validated data package: typed tables plus the package's own metadata."""

    data_dir: Path
    descriptor: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    log_reads: bool = False  # switched on once validation is over

    def __getitem__(self, name: str) -> pd.DataFrame:
        log = os.environ.get(TABLE_LOG_ENV)
        if log and self.log_reads:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{name}\n")
        return self.tables[name]

    @property
    def synthetic(self) -> bool:
        return bool(self.descriptor.get("synthetic", False))

    @property
    def fieldwork(self) -> dict[str, str]:
        return dict(self.descriptor.get("fieldwork", {}))




def contract_resources() -> dict[str, dict[str, Any]]:
    """Contract resources by table name, in declaration order."""
    return {res["name"]: res for res in load_contract()["resources"]}


def category_labels(table: str, column: str) -> dict[str, str]:
    """Allowed values of a column in declared order, mapped to their display labels.

    Columns without declared labels map each allowed value to itself.
    """
    for fdef in contract_resources()[table]["schema"]["fields"]:
        if fdef["name"] == column:
            allowed = fdef.get("constraints", {}).get("enum", [])
            labels = fdef.get("categoryLabels", {})
            return {value: labels.get(value, value) for value in allowed}
    raise KeyError(f"{table} has no column {column!r}")
