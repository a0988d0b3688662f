"""Reading and validating a data package against the contract.

Every problem is reported as ``file:row:column: what is wrong and what is allowed``,
where *row* is the line number in the CSV file (the header is line 1), so that a
researcher can go straight to the cell. Checks of single tables are here; checks that
relate rows and tables to each other are :mod:`analysis.contract.rules`, run once every
table is typed and its keys are clean.

References
----------
Frictionless Data, *Data Package* and *Table Schema* specifications,
https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import paths
from analysis.contract import rules
from analysis.contract.errors import DataPackageError, Problem, ValidationReport
from analysis.contract.files import fingerprint
from analysis.contract.package import DataPackage, contract_resources
from analysis.paths import VALIDATED_PACKAGE_ENV

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}
HEADER_ROW = 1
MAX_PROBLEMS_PER_CHECK = 20


# --------------------------------------------------------------------------- reading


def _read_descriptor(data_dir: Path, report: ValidationReport) -> dict[str, Any]:
    path = data_dir / paths.DATAPACKAGE_NAME
    if not path.exists():
        report.problems.append(
            Problem(paths.DATAPACKAGE_NAME, None, None,
                    "file not found; copy data_synthetic/datapackage.json into the folder "
                    "and set its 'synthetic' to false")
        )
        return {}
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        report.problems.append(
            Problem(paths.DATAPACKAGE_NAME, exc.lineno, None, f"not valid JSON ({exc.msg})")
        )
        return {}
    declared = {r.get("name"): r for r in descriptor.get("resources", [])}
    for name, res in contract_resources().items():
        mine = declared.get(name)
        if mine is None:
            report.problems.append(
                Problem(paths.DATAPACKAGE_NAME, None, None,
                        f"resource '{name}' is not declared; the contract needs all of: "
                        f"{', '.join(contract_resources())}")
            )
            continue
        want = [(f["name"], f["type"]) for f in res["schema"]["fields"]]
        have = [(f.get("name"), f.get("type")) for f in mine.get("schema", {}).get("fields", [])]
        if want != have:
            report.problems.append(
                Problem(paths.DATAPACKAGE_NAME, None, None,
                        f"resource '{name}' declares fields {have} but the contract has "
                        f"{want}; copy the schema from data_synthetic/datapackage.json")
            )
    return descriptor


def _read_raw(data_dir: Path, res: dict[str, Any], report: ValidationReport) -> pd.DataFrame | None:
    """Read one CSV as text and check its header."""
    file = res["path"]
    path = data_dir / file
    if not path.exists():
        report.problems.append(Problem(file, None, None, "file not found"))
        return None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        report.problems.append(Problem(file, None, None, f"cannot be read as CSV ({exc})"))
        return None
    expected = [f["name"] for f in res["schema"]["fields"]]
    for name in expected:
        if name not in raw.columns:
            report.problems.append(
                Problem(file, HEADER_ROW, name, "column missing from the header; "
                        f"the header must be: {','.join(expected)}")
            )
    for name in raw.columns:
        if name not in expected:
            report.problems.append(
                Problem(file, HEADER_ROW, name,
                        f"unexpected column; allowed columns: {', '.join(expected)}")
            )
    if any(name not in raw.columns for name in expected):
        return None
    raw.index = raw.index + HEADER_ROW + 1  # index = line number in the file
    return raw[expected]


def _add(report: ValidationReport, file: str, rows, column: str, message) -> None:
    """Add one problem per offending row (capped, with a count of the rest)."""
    rows = list(rows)
    for row in rows[:MAX_PROBLEMS_PER_CHECK]:
        text = message(row) if callable(message) else message
        report.problems.append(Problem(file, int(row), column, text))
    if len(rows) > MAX_PROBLEMS_PER_CHECK:
        report.problems.append(
            Problem(file, None, column,
                    f"... and {len(rows) - MAX_PROBLEMS_PER_CHECK} more rows with the same problem")
        )


def _per_value(present: pd.Series, convert) -> np.ndarray:
    """``convert`` applied to each distinct value once, spread back over the cells.

    Identifiers, codes and counts repeat down a long table (25,000 rows of codes hold a
    few thousand distinct values), so parsing each distinct text once is the cheaper way
    to check a column cell by cell.
    """
    codes, uniques = pd.factorize(present)
    return np.asarray(convert(pd.Series(uniques, dtype=object)))[codes]


def _check_field(raw: pd.DataFrame, fdef: dict[str, Any], file: str,
                 report: ValidationReport) -> pd.Series:
    """Check one column's cells and return it converted to its declared type."""
    name, kind = fdef["name"], fdef["type"]
    cons = fdef.get("constraints", {})
    text = raw[name].str.strip()
    empty = text == ""
    if cons.get("required") and empty.any():
        _add(report, file, text.index[empty], name, "empty cell; a value is required")
    present = text[~empty]

    if kind == "integer":
        values = pd.Series(_per_value(present, lambda u: pd.to_numeric(u, errors="coerce")),
                           index=present.index)
        bad = values.isna() | (values != values.round())
        _add(report, file, present.index[bad], name,
             lambda r: f"'{raw.at[r, name]}' is not a whole number")
        typed = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        typed[present.index[~bad]] = values[~bad].astype("int64")
    elif kind == "number":
        values = pd.to_numeric(present, errors="coerce")
        bad = values.isna()
        _add(report, file, present.index[bad], name,
             lambda r: f"'{raw.at[r, name]}' is not a number")
        typed = pd.Series(float("nan"), index=raw.index)
        typed[present.index[~bad]] = values[~bad]
    elif kind == "boolean":
        bad = ~present.isin(TRUE_VALUES | FALSE_VALUES)
        _add(report, file, present.index[bad], name,
             lambda r: f"'{raw.at[r, name]}' is not true or false")
        typed = text.isin(TRUE_VALUES)
    elif kind == "date":
        values = pd.to_datetime(present, format="%Y-%m-%d", errors="coerce")
        bad = values.isna()
        _add(report, file, present.index[bad], name,
             lambda r: f"'{raw.at[r, name]}' is not a date written YYYY-MM-DD")
        typed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        typed[present.index[~bad]] = values[~bad]
    else:
        typed = text.where(~empty, None)

    if "enum" in cons:
        allowed = cons["enum"]
        bad = ~present.isin(allowed)
        _add(report, file, present.index[bad], name,
             lambda r: f"'{raw.at[r, name]}' is not an allowed value; "
                       f"allowed: {', '.join(allowed)}")
    if "pattern" in cons:
        bad = ~_per_value(present, lambda u: u.astype(str).str.fullmatch(cons["pattern"])
                          .astype(bool))
        _add(report, file, present.index[bad], name,
             lambda r: f"'{raw.at[r, name]}' does not have the required form "
                       f"(regular expression {cons['pattern']})")
    numeric = typed if kind in ("integer", "number") else None
    if numeric is not None and "minimum" in cons:
        bad = numeric.notna() & (numeric < cons["minimum"])
        _add(report, file, typed.index[bad.fillna(False)], name,
             lambda r: f"{raw.at[r, name]} is below the minimum of {cons['minimum']}")
    if numeric is not None and "maximum" in cons:
        bad = numeric.notna() & (numeric > cons["maximum"])
        _add(report, file, typed.index[bad.fillna(False)], name,
             lambda r: f"{raw.at[r, name]} is above the maximum of {cons['maximum']}")
    if cons.get("unique"):
        dup = present.duplicated(keep="first")
        first = {v: r for r, v in present[~dup].items()}
        _add(report, file, present.index[dup], name,
             lambda r: f"'{raw.at[r, name]}' must be unique but is already on row "
                       f"{first[raw.at[r, name]]}")
    return typed


def _check_keys(raw: pd.DataFrame, res: dict[str, Any], report: ValidationReport) -> None:
    key = res["schema"]["primaryKey"]
    if len(key) < 2:
        return  # single-field keys are checked as unique fields
    file = res["path"]
    dup = raw.duplicated(subset=key, keep="first")
    if not dup.any():
        return
    keys = list(zip(*(raw[k] for k in key)))
    first: dict[tuple, int] = {}
    for row, value in zip(raw.index, keys):
        first.setdefault(value, row)
    _add(report, file, raw.index[dup], key[-1],
         lambda r: f"the combination ({', '.join(key)}) = "
                   f"({', '.join(raw.loc[r, key])}) is already on row "
                   f"{first[tuple(raw.loc[r, key])]}; "
                   "each combination may appear once")


def _check_foreign_keys(raw_tables: dict[str, pd.DataFrame], report: ValidationReport) -> None:
    for name, res in contract_resources().items():
        raw = raw_tables.get(name)
        if raw is None:
            continue
        for fk in res["schema"]["foreignKeys"]:
            ref = fk["reference"]
            target = raw_tables.get(ref["resource"])
            if target is None:
                continue
            (col,), (ref_col,) = fk["fields"], ref["fields"]
            known = set(target[ref_col])
            bad = ~raw[col].isin(known) & (raw[col] != "")
            ref_file = contract_resources()[ref["resource"]]["path"]
            _add(report, res["path"], raw.index[bad], col,
                 lambda r: f"'{raw.at[r, col]}' is not a {ref_col} in {ref_file}; "
                           f"add it there or correct it here")


def validate(data_dir: str | Path) -> ValidationReport:
    """Check a data package against the contract.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``datapackage.json`` and the CSV files.

    Returns
    -------
    ValidationReport
        Every problem found (empty when the package is valid).
    """
    report, _ = _validate(Path(data_dir))
    return report


def load_package(data_dir: str | Path | None = None) -> DataPackage:
    """Validate a data package and return its typed tables.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder of the data package; the bundled synthetic data when omitted.

    Raises
    ------
    DataPackageError
        With every problem found, when the package does not meet the contract.
    """
    data_dir = paths.resolve_data_dir(data_dir)
    package = _validated_by_build(data_dir)
    if package is None:
        report, package = _validate(data_dir)
        if not report.ok:
            raise DataPackageError(report)
    package.log_reads = True
    return package


def save_validated(package: DataPackage, path: Path, data_fingerprint: str | None = None) -> None:
    """Store a validated package for the notebooks of one build (see ``load_package``).

    ``data_fingerprint`` is the package's fingerprint when the caller has it already.
    """
    with open(path, "wb") as handle:
        pickle.dump({"data_dir": str(package.data_dir),
                     "fingerprint": data_fingerprint or fingerprint(package.data_dir),
                     "package": package}, handle)


def _validated_by_build(data_dir: Path) -> DataPackage | None:
    path = os.environ.get(VALIDATED_PACKAGE_ENV)
    if not path or not Path(path).exists():
        return None
    with open(path, "rb") as handle:
        stored = pickle.load(handle)
    if stored["data_dir"] != str(data_dir) or stored["fingerprint"] != fingerprint(data_dir):
        return None  # other data, or changed since the build validated it
    return stored["package"]


def _validate(data_dir: Path) -> tuple[ValidationReport, DataPackage | None]:
    report = ValidationReport(data_dir=data_dir)
    if not data_dir.is_dir():
        report.problems.append(Problem(str(data_dir), None, None, "folder not found"))
        return report, None
    descriptor = _read_descriptor(data_dir, report)
    raw_tables: dict[str, pd.DataFrame] = {}
    typed_tables: dict[str, pd.DataFrame] = {}
    for name, res in contract_resources().items():
        raw = _read_raw(data_dir, res, report)
        if raw is None:
            continue
        raw_tables[name] = raw
        typed = {f["name"]: _check_field(raw, f, res["path"], report)
                 for f in res["schema"]["fields"]}
        _check_keys(raw, res, report)
        typed_tables[name] = pd.DataFrame(typed, index=raw.index)
    _check_foreign_keys(raw_tables, report)
    if report.ok:
        # Cross-table rules need typed, key-clean tables.
        package = DataPackage(data_dir=data_dir, descriptor=descriptor, tables=typed_tables)
        report.problems.extend(rules.check(package))
        # Analyses see plain 0-based tables; line numbers were only for messages.
        for name, table in typed_tables.items():
            table = table.reset_index(drop=True)
            for col in table.columns:
                if str(table[col].dtype) == "Int64" and not table[col].isna().any():
                    table[col] = table[col].astype("int64")
            typed_tables[name] = table
        return report, package
    return report, None
