"""Writing imported rows into a package folder: merge, record, validate, swap in.

An import never overwrites a row the user wrote. Its rows are merged into each table by
the table's primary key (``data_contract.json``):

- a key the table does not hold is added;
- a key it holds is merged cell by cell: the import fills the cells that are empty and
  leaves the others; a cell whose value differs is a conflict, unless the row is the
  import's own from an earlier run and unchanged since (the hash of the cells it set,
  kept in ``import_log.json``), which is then updated;
- a row an earlier run of the same importer wrote, unchanged since, that this run no
  longer produces (a code deleted in the QDA program) is removed.

Conflicts stop the import with one message naming every conflicting cell as
file:row:column. All work happens in a copy of the folder beside it, which replaces the
folder only when everything succeeded: on any failure the package is left as it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.contract.errors import InputError, Problem, ValidationReport
from analysis.contract.escape import terminal_text
from analysis.contract.files import load_contract
from analysis.contract.import_log import ImportLog, read_import_log, write_import_log
from analysis.contract.starter import descriptor as starter_descriptor
from analysis.contract.validation import resources_in_force, validate
from analysis.pages.needs import pages_needing

MAX_CONFLICTS_SHOWN = 20


@dataclass(frozen=True)
class TableChange:
    """What an import did to one table."""

    table: str
    added: int
    updated: int
    unchanged: int
    removed: int
    kept: int  # rows of the table the import did not touch (the user's, or other imports')


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote, and the validation of the package afterwards."""

    data_dir: Path
    created: bool
    changes: tuple[TableChange, ...]
    report: ValidationReport
    record: dict[str, Any] = field(default_factory=dict)


def file_facts(path: str | Path) -> dict[str, Any]:
    """Name, size and SHA-256 of an imported file, as the import log records them."""
    path = Path(path)
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return {"file": path.name, "bytes": size, "sha256": digest.hexdigest()}


def _contract() -> dict[str, dict[str, Any]]:
    """The contract's tables with the columns every package has: an optional column
    (``"optional": true``) is in a package only when its datapackage.json declares it."""
    return {r["name"]: {**r, "schema": {**r["schema"], "fields": [
        f for f in r["schema"]["fields"] if not f.get("optional")]}}
        for r in load_contract()["resources"]}


def table_columns(descriptor: dict[str, Any] | None, table: str) -> list[str]:
    """The columns of one table of a package, in order: the contract's (an optional one
    only when the package declares it), then the covariates it declares
    (:func:`analysis.contract.validation.resources_in_force`). A table the package does
    not declare yet has the contract's columns every package has."""
    if descriptor:
        in_force = resources_in_force(descriptor).get(table)
        if in_force is not None:
            return [f["name"] for f in in_force["schema"]["fields"]]
    return [f["name"] for f in _contract()[table]["schema"]["fields"]]


def declare_given_columns(descriptor: dict[str, Any], table: str,
                          rows: list[dict[str, str]]) -> list[str]:
    """Declare on the package's table each optional column of the contract that an
    import fills (a label, a citation), in the contract's order; returns the names added.

    The contract's own declaration is copied, so the column reads as in any package."""
    resource = next((r for r in descriptor.get("resources", [])
                     if isinstance(r, dict) and r.get("name") == table), None)
    if resource is None:
        return []
    fields = resource.setdefault("schema", {}).setdefault("fields", [])
    have = {f.get("name") for f in fields if isinstance(f, dict)}
    contract_fields = next(r for r in load_contract()["resources"]
                           if r["name"] == table)["schema"]["fields"]
    order = [f["name"] for f in contract_fields]
    added = []
    for declared in contract_fields:
        if (declared.get("optional") and declared["name"] not in have
                and any(row.get(declared["name"], "") != "" for row in rows)):
            fields.append(json.loads(json.dumps(declared)))
            added.append(declared["name"])
    fields.sort(key=lambda f: order.index(f.get("name")) if isinstance(f, dict)
                and f.get("name") in order else len(order))
    return added


def _key(row: dict[str, str], key: list[str]) -> str:
    return "|".join(row[k] for k in key)


def _hash(row: dict[str, str], columns: list[str]) -> str:
    text = json.dumps([row.get(c, "") for c in columns], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_rows(path: Path, columns: list[str], file: str) -> list[dict[str, str]]:
    if not path.exists():
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            rows = [{c: (row.get(c) or "") for c in columns} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{file}: cannot be read as a UTF-8 CSV ({exc}); run python -m "
                         "analysis validate on the package and fix it first") from None
    if header and list(header) != columns:
        raise InputError(f"{file}:1: the header is {', '.join(header)} but the contract's "
                         f"columns are {', '.join(columns)}; fix the header (python -m "
                         "analysis validate says how) before importing into this table")
    return rows


def package_rows(data_dir: str | Path, tables: list[str]) -> dict[str, list[dict[str, str]]]:
    """The current rows (as text) of some tables of a package; none for a missing folder."""
    contract = _contract()
    descriptor = _read_descriptor(Path(data_dir)) if Path(data_dir).is_dir() else None
    out = {}
    for table in tables:
        resource = contract[table]
        columns = table_columns(descriptor, table)
        out[table] = read_rows(Path(data_dir) / resource["path"], columns, resource["path"])
    return out


def _read_descriptor(folder: Path) -> dict[str, Any] | None:
    """A package's datapackage.json, or None when it has none (a new package)."""
    path = folder / paths.DATAPACKAGE_NAME
    if not path.exists():
        return None
    try:
        descriptor = json.loads(path.read_text("utf-8-sig"))
    except ValueError as exc:
        raise InputError(f"{paths.DATAPACKAGE_NAME}: not readable JSON ({exc}); run "
                         "python -m analysis validate and fix it first") from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources", []), list):
        raise InputError(f"{paths.DATAPACKAGE_NAME}: not a package descriptor; run "
                         "python -m analysis validate and fix it first")
    return descriptor


def _write_rows(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: row.get(c, "") for c in columns} for row in rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def merge_rows(table: str, existing: list[dict[str, str]], new: list[dict[str, str]],
               previous: dict[str, Any] | None, removes: bool = True,
               columns: list[str] | None = None
               ) -> tuple[list[dict[str, str]], TableChange, list[Problem], dict[str, Any]]:
    """Merge the rows of one import into a table's rows (see the module's rules).

    Parameters
    ----------
    table : str
        The contract's table name.
    existing, new : list of dict
        Rows as text (an empty cell is ''); ``existing`` in file order.
    previous : dict or None
        What the last run of the same importer recorded for this table: ``columns`` it
        set and the hash of those cells by row key (``rows``).
    removes : bool
        Whether a row the last run wrote and this one does not give is removed.
    columns : list of str, optional
        The table's columns in the package (:func:`table_columns`); by default the
        contract's columns every package has.

    Returns
    -------
    rows, change, conflicts, record
        The merged rows in order, the counts, one problem per conflicting cell, and what
        to record for this table in the import log.
    """
    resource = _contract()[table]
    file = resource["path"]
    key = resource["schema"]["primaryKey"]
    columns = columns or [f["name"] for f in resource["schema"]["fields"]]
    set_columns = [c for c in columns if any(row.get(c, "") != "" for row in new)]
    previous = previous or {}
    old_columns = previous.get("columns", set_columns)
    old_hashes = previous.get("rows", {})
    incoming: dict[str, dict[str, str]] = {}
    for row in new:
        incoming.setdefault(_key(row, key), {c: row.get(c, "") for c in columns})
    merged, conflicts = [], []
    added = updated = unchanged = removed = kept = 0
    seen = set()
    for line, row in enumerate(existing, start=2):
        k = _key(row, key)
        ours_before = old_hashes.get(k) == _hash(row, old_columns)
        if k not in incoming:
            only_ours = all(row[c] == "" for c in columns if c not in old_columns)
            if removes and ours_before and k in old_hashes and only_ours:
                removed += 1
                continue
            merged.append(row)
            kept += 1
            continue
        seen.add(k)
        mine = incoming[k]
        differing = [c for c in columns if mine[c] != "" and row[c] != "" and mine[c] != row[c]]
        if differing and not ours_before:
            conflicts += [Problem(file, line, c,
                                  f"the file holds '{terminal_text(row[c], 80)}', the import "
                                  f"gives '{terminal_text(mine[c], 80)}'; "
                                  "the row was written by hand (or edited since the last "
                                  "import): correct or delete it, then import again")
                          for c in differing]
            merged.append(row)
            continue
        result = {c: (mine[c] if mine[c] != "" else row[c]) for c in columns}
        if result == row:
            unchanged += 1
        else:
            updated += 1
        merged.append(result)
    for k, row in incoming.items():
        if k not in seen:
            merged.append(row)
            added += 1
    record = {"columns": set_columns,
              "rows": {_key(r, key): _hash(r, set_columns) for r in merged
                       if _key(r, key) in incoming}}
    return merged, TableChange(table, added, updated, unchanged, removed, kept), conflicts, record


def apply_import(data_dir: str | Path, kind: str, tables: dict[str, list[dict[str, str]]],
                 record: dict[str, Any], fills_only: frozenset[str] = frozenset()
                 ) -> ImportResult:
    """Merge an import's rows into the package at ``data_dir`` (created when missing),
    record it in ``import_log.json``, validate, and move the result into place.

    Parameters
    ----------
    data_dir : str or Path
        The package folder; a missing or empty folder gets a new package.
    kind : str
        ``qdpx``, ``screening`` or ``references``.
    tables : dict of str to list of dict
        The rows the import gives, by table, as text.
    record : dict
        What the import log keeps about this import (file facts, program, mapping,
        what was left out); the tables' counts and row hashes are added here.
    fills_only : frozenset of str
        Tables whose rows this import fills but does not own: it never removes them.

    Raises
    ------
    InputError
        The folder is not a package, a table cannot be merged (conflicts), or it cannot
        be written; the package is then as it was.
    """
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise InputError(f"{data_dir} is a file; give the folder of a data package, or a "
                         "new folder to create one")
    created = not data_dir.exists() or not any(data_dir.iterdir())
    if not created and not (data_dir / paths.DATAPACKAGE_NAME).exists():
        raise InputError(f"{data_dir} holds files but no {paths.DATAPACKAGE_NAME}; give the "
                         "folder of a data package, or a new folder to create one")
    work = data_dir.parent / f".{data_dir.name}.import-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        if created:
            work.mkdir(parents=True)
            descriptor = starter_descriptor(data_dir, list(tables))
        else:
            shutil.copytree(data_dir, work)
            descriptor = _read_descriptor(work)  # the folder holds one (checked above)
        contract = _contract()
        declared = {r.get("name") for r in descriptor.setdefault("resources", [])
                    if isinstance(r, dict)}
        fresh = starter_descriptor(data_dir, [t for t in tables if t not in declared])
        order = list(contract)
        descriptor["resources"] = sorted(
            descriptor["resources"] + fresh["resources"],
            key=lambda r: order.index(r.get("name")) if r.get("name") in order else len(order))
        log = read_import_log(work)
        before = log.latest(kind) or {}
        changes, conflicts, written = [], [], {}
        for table, rows in tables.items():
            resource = contract[table]
            path = work / resource["path"]
            # Read with the columns the package has now, write with those the import adds.
            existing = read_rows(path, table_columns(descriptor, table), resource["path"])
            declare_given_columns(descriptor, table, rows)
            columns = table_columns(descriptor, table)
            merged, change, problems, table_record = merge_rows(
                table, [{c: row.get(c, "") for c in columns} for row in existing], rows,
                before.get("tables", {}).get(table), removes=table not in fills_only,
                columns=columns)
            conflicts += problems
            changes.append(change)
            written[table] = (path, columns, merged)
            record.setdefault("tables", {})[table] = {
                **table_record, **{k: getattr(change, k) for k in
                                   ("added", "updated", "unchanged", "removed", "kept")}}
        if conflicts:
            shown = [f"  {p}" for p in conflicts[:MAX_CONFLICTS_SHOWN]]
            more = len(conflicts) - MAX_CONFLICTS_SHOWN
            raise InputError("the import would change rows it did not write; nothing was "
                             f"changed. {len(conflicts)} conflicting cell(s):\n"
                             + "\n".join(shown)
                             + (f"\n  ... and {more} more" if more > 0 else ""))
        (work / paths.DATAPACKAGE_NAME).write_text(
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for path, columns, merged in written.values():
            _write_rows(path, columns, merged)
        record = {"kind": kind,
                  "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  **record}
        write_import_log(work, ImportLog(log.records + (record,)))
        report = validate(work, needed_for=pages_needing)
        report.data_dir = data_dir
        old = data_dir.parent / f".{data_dir.name}.previous-{os.getpid()}"
        if data_dir.exists():
            data_dir.rename(old)
        work.rename(data_dir)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise InputError(f"cannot write {exc.filename or data_dir} ({exc.strerror or exc}); "
                         "give a folder you may write to. The package was not changed") from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ImportResult(data_dir, created, tuple(changes), report, record)
