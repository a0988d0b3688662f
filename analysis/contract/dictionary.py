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
        if name not in package.tables:  # a table the package leaves out (and its chapters)
            continue
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


def reading_rules() -> pd.DataFrame:
    """How every file of a package is read: what is accepted as it is, what is
    normalised with a warning, and what is refused with a message.

    One rule for every table, from the constants that :mod:`analysis.contract.reading`
    and :mod:`analysis.contract.validation` enforce.
    """
    from analysis.contract import reading, validation

    rows = [
        ("accepted", "Line endings", "Windows (CRLF) or Unix (LF)."),
        ("accepted", "Blank lines", "Skipped; row numbers in messages stay the file's lines."),
        ("accepted", "Cells with line breaks or commas",
         "In double quotes, as Excel writes them; a message names the line the row starts on."),
        ("warning", "Byte-order mark (Excel's 'CSV UTF-8')", "Removed."),
        ("warning", "Spaces around a value", "Removed, also in identifiers and keys."),
        ("warning", "A code in other capitals, or the label the book shows for it",
         "Read as the code (for example 'Female' as 'female', \"Can't tell\" as "
         "'cant_tell'); one warning per column."),
        ("refused", "Encoding other than UTF-8 (Windows-1252, Latin-1, UTF-16)",
         "Save the file as CSV UTF-8; the message names the first line that is not UTF-8."),
        ("refused", "Semicolons or tabs between cells", "Save the file comma-separated."),
        ("refused", "A row of empty cells", "One message per row; delete the row."),
        ("refused", "A row with more or fewer cells than the header", "One message per row."),
        ("refused", "A column named twice in the header", "Keep one of them."),
        ("refused", "Dates other than YYYY-MM-DD",
         "Ambiguous dates such as 01/08/2019 are never guessed."),
        ("refused", "Whole numbers beyond " + f"{validation.LARGEST_INTEGER:,}",
         "Too large to be a count; words for infinity or a missing value are not numbers."),
        ("refused", f"A cell over {reading.MAX_CELL_CHARS:,} characters",
         "The book needs codes and short labels."),
        ("refused", f"A file over {reading.MAX_FILE_BYTES:,} bytes", ""),
        ("refused", "A table with a header but no rows", "The message names the pages that "
         "need its rows."),
        ("refused", "In datapackage.json: 'synthetic' in quotes",
         "Booleans are JSON true or false."),
    ]
    return pd.DataFrame(rows, columns=["treatment", "what", "how"]).set_index("treatment")
