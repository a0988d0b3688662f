"""The data dictionary page: the contract rendered for readers.

Everything here is read from ``analysis/data_contract.json``, the package's own
``datapackage.json`` and :data:`analysis.contract.rules.RULES`, so the page can never disagree
with what validation enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.contract.package import DataPackage, contract_resources
from analysis.contract.rules import RULES


def tables_overview(package: DataPackage) -> pd.DataFrame:
    """One row per table: file, what a row is, rows in this package, keys."""
    rows = []
    for name, res in contract_resources().items():
        fks = [f"{fk['fields'][0]} → {fk['reference']['resource']}"
               for fk in res["schema"]["foreignKeys"]]
        rows.append({"table": name, "file": res["path"], "one row per": res["description"],
                     "rows": len(package[name]),
                     "primary key": ", ".join(res["schema"]["primaryKey"]),
                     "foreign keys": "; ".join(fks) or "–"})
    return pd.DataFrame(rows).set_index("table")


def _allowed(fdef: dict) -> str:
    cons = fdef.get("constraints", {})
    parts = []
    if "enum" in cons:
        parts.append(", ".join(cons["enum"]))
    if "minimum" in cons and "maximum" in cons:
        parts.append(f"{cons['minimum']} to {cons['maximum']}")
    elif "minimum" in cons:
        parts.append(f"at least {cons['minimum']}")
    elif "maximum" in cons:
        parts.append(f"at most {cons['maximum']}")
    if "pattern" in cons:
        parts.append(f"matches {cons['pattern']}")
    if fdef["type"] == "date":
        parts.append("YYYY-MM-DD")
    if fdef["type"] == "boolean":
        parts.append("true or false")
    if cons.get("unique"):
        parts.append("unique")
    return "; ".join(parts) or "any text"


def fields_table(table: str) -> pd.DataFrame:
    """The columns of one table: type, whether required, allowed values, meaning."""
    res = contract_resources()[table]
    rows = [{"column": f["name"], "type": f["type"],
             "required": "yes" if f.get("constraints", {}).get("required") else "no",
             "allowed values": _allowed(f), "description": f["description"]}
            for f in res["schema"]["fields"]]
    return pd.DataFrame(rows).set_index("column")


def rules_table() -> pd.DataFrame:
    """The cross-table rules that validation checks, in words."""
    return pd.DataFrame([{"rule": r.name, "what must hold": r.description} for r in RULES]
                        ).set_index("rule")


def invented_table(package: DataPackage) -> pd.DataFrame:
    """What the data package declares as invented (empty for real data)."""
    items = package.descriptor.get("invented", []) if package.synthetic else []
    return pd.DataFrame({"invented for the synthetic data": items},
                        index=pd.RangeIndex(1, len(items) + 1))


@dataclass(frozen=True)
class PackageStatement:
    """How a data package describes itself."""

    title: str
    synthetic: str
    description: str


def package_statement(package: DataPackage) -> PackageStatement:
    """Title, synthetic flag (in words) and description of a data package."""
    d = package.descriptor
    return PackageStatement(
        title=d.get("title", package.data_dir.name),
        synthetic="yes, the rows are invented" if package.synthetic else "no",
        description=d.get("description", ""),
    )
