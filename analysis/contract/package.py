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
    # The columns in force of each table, as validation read them: the contract's (with
    # the package's own limits, titles and vocabularies) and the covariates it declares.
    schemas: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

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

    # ---------------------------------------------------------------- columns in force

    def fields(self, table: str) -> list[dict[str, Any]]:
        """The columns of a table in force for this package, in order: the contract's
        (an optional one only when the package has it) and then its covariates."""
        if table in self.schemas:
            return [dict(f) for f in self.schemas[table]]
        return [dict(f) for f in contract_resources()[table]["schema"]["fields"]
                if not f.get("optional")]

    def column_title(self, table: str, column: str) -> str:
        """How pages head a column: the package's own title, else the contract's, else
        the column's name in words ("n_participants" is "N participants")."""
        fdef = next((f for f in self.fields(table) if f["name"] == column), None)
        if fdef is None:
            fdef = next((f for f in contract_resources()[table]["schema"]["fields"]
                         if f["name"] == column), {})
        return str(fdef.get("title") or column.replace("_", " ").capitalize())

    def covariates(self, table: str) -> tuple[Covariate, ...]:
        """The study-level covariates the package declares in a table (``role:
        covariate``), in declared order; empty when it declares none."""
        found = []
        for fdef in self.fields(table) if table in self.tables else []:
            if fdef.get("role") != "covariate":
                continue
            categorical = fdef["type"] in ("string", "boolean")
            found.append(Covariate(
                name=fdef["name"], type=fdef["type"],
                kind="categorical" if categorical else "numeric",
                title=str(fdef.get("title") or fdef["name"]),
                unit=str(fdef.get("unit") or ""),
                description=str(fdef.get("description") or ""),
                categories=dict(self.vocabularies.get((table, fdef["name"]), {}))))
        return tuple(found)

    def study_labels(self, table: str) -> pd.Series:
        """How pages name each study of ``studies`` or ``prevalence_studies``: its
        ``label`` ("Smith 2010") where the package gives one, else its identifier.

        Returns
        -------
        Series
            Labels indexed by ``study_id``, in the table's order.
        """
        rows = self.tables[table]
        ids = rows["study_id"].astype(str)
        if "label" not in rows:
            return pd.Series(ids.to_numpy(), index=ids.to_numpy(), name="label")
        labels = rows["label"].where(rows["label"].notna() & (rows["label"] != ""), ids)
        return pd.Series(labels.astype(str).to_numpy(), index=ids.to_numpy(), name="label")

    def not_reported(self, table: str | None = None) -> pd.DataFrame:
        """What the sources did not report, counted per column (see :func:`not_reported`)."""
        return not_reported(self, table)




@dataclass(frozen=True)
class Covariate:
    """A study-level covariate a package declares (``role: covariate`` in
    ``datapackage.json``): a column pages and the multiverse may use as a subgroup
    (categorical) or a meta-regression moderator (numeric or categorical).

    Attributes
    ----------
    name, type : str
        The column and its declared type (number, integer, string or boolean).
    kind : str
        ``numeric`` or ``categorical``.
    title, unit, description : str
        How pages name it ("Mean age", "years").
    categories : dict of str to str
        A categorical covariate's declared codes and labels, in order (empty when it
        declares none: its categories are then the values present).
    """

    name: str
    type: str
    kind: str
    title: str
    unit: str = ""
    description: str = ""
    categories: dict[str, str] = field(default_factory=dict)


def not_reported(package: DataPackage, table: str | None = None) -> pd.DataFrame:
    """What the sources did not report: the empty cells of each column, by table.

    A column a package declares optional (``constraints.required: false``, an optional
    column it leaves out of its files, or a covariate) may be empty where a source did
    not report the value; pages say so ("year not reported for 3 papers") and compute
    from the rest. Validation never counts them as problems.

    Parameters
    ----------
    package : DataPackage
    table : str, optional
        One table; every table of the package when omitted.

    Returns
    -------
    DataFrame
        One row per column with at least one value not reported: ``table``, ``column``,
        ``title`` (how pages head it), ``not_reported`` (rows), ``rows`` (all rows of the
        table) and ``whole_column`` (True when the package leaves the column out
        altogether). Empty, with these columns, when everything is reported.
    """
    columns = ["table", "column", "title", "not_reported", "rows", "whole_column"]
    rows = []
    for name in ([table] if table else list(package.tables)):
        frame = package.tables[name]
        present = set(frame.columns)
        for fdef in contract_resources()[name]["schema"]["fields"]:
            if fdef.get("optional") and fdef["name"] not in present and len(frame):
                rows.append({"table": name, "column": fdef["name"],
                             "title": package.column_title(name, fdef["name"]),
                             "not_reported": len(frame), "rows": len(frame),
                             "whole_column": True})
        for column in frame.columns:
            values = frame[column]
            missing = values.isna()
            if values.dtype == object:
                missing |= values.eq("")
            n = int(missing.sum())
            if n:
                rows.append({"table": name, "column": column,
                             "title": package.column_title(name, column),
                             "not_reported": n, "rows": len(frame), "whole_column": False})
    return pd.DataFrame(rows, columns=columns)




def contract_resources() -> dict[str, dict[str, Any]]:
    """Contract resources by table name, in declaration order."""
    return {res["name"]: res for res in load_contract()["resources"]}


# Categories a method fixes: a package cannot declare its own for these columns.
FIXED_VOCABULARIES = {("casp_ratings", "rating"), ("cerqual", "component"),
                      ("cerqual", "concern"), ("cerqual", "overall"),
                      ("search_flow", "stage"), ("framework", "review"),
                      ("framework", "subtheme_source"),
                      ("meta_aggregation_findings", "credibility")}


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
