"""Where a package's data came from: ``import_log.json``, written by ``python -m analysis import``.

Each import (a REFI-QDA project, a screening export, a reference file) appends one record:
the file's name, size and SHA-256, when it was imported, the program that made it, what
was mapped to what (codes to themes, sources to papers, variables to columns), what the
file holds that the tables cannot take, and which rows of which tables it wrote (with a
hash of the cells it set, so that a later import can tell its own rows, unchanged, from
rows the user edited). The file is one of the contract's optional files: the build hashes
it, the provenance manifest records it and the page "Where the data came from" shows it.

Everything in it came from imported files and is untrusted text. Importable without pandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import plan as build_plan
from analysis.contract.errors import InputError
from analysis.contract.reading import read_json

IMPORT_LOG_NAME = "import_log.json"
IMPORT_LOG_NEED = "import_log"  # what a page of book/pages.yml lists to need imports
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ImportLog:
    """The imports recorded in a package, oldest first (empty when none)."""

    records: tuple[dict[str, Any], ...]

    def latest(self, kind: str) -> dict[str, Any] | None:
        """The last import of one kind (``qdpx``, ``screening``, ``references``)."""
        return next((r for r in reversed(self.records) if r.get("kind") == kind), None)

    def files(self) -> list[dict[str, Any]]:
        """One entry per import: kind, file, bytes, SHA-256, when, program."""
        keys = ("kind", "file", "bytes", "sha256", "imported_at", "program")
        return [{k: r.get(k) for k in keys} for r in self.records]


def import_log_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / IMPORT_LOG_NAME


def read_import_log(data_dir: str | Path) -> ImportLog:
    """The package's import log (empty when it has none).

    Raises
    ------
    InputError
        When ``import_log.json`` is not the JSON this module writes.
    """
    path = import_log_path(data_dir)
    if not path.exists() and not path.is_symlink():
        return ImportLog(())
    # A package's file like any other: a regular file inside the folder, bounded, strict
    # JSON (no repeated keys, NaN, deep nesting or control characters).
    data, problems, _ = read_json(path, IMPORT_LOG_NAME, inside=Path(data_dir))
    if problems:
        raise InputError(f"{problems[0]}; it is written by python -m analysis import: "
                         "delete it or restore it from a backup")
    records = data.get("imports") if isinstance(data, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"{IMPORT_LOG_NAME}: must be an object with a list 'imports' of "
                         "records; it is written by python -m analysis import: delete it or "
                         "restore it from a backup")
    return ImportLog(tuple(records))


def write_import_log(data_dir: str | Path, log: ImportLog) -> Path:
    """Write the log (sorted keys, so that equal logs are equal bytes)."""
    path = import_log_path(data_dir)
    body = {"format": FORMAT_VERSION, "imports": list(log.records)}
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def import_log_of(data_dir: str | Path) -> ImportLog:
    """The import log as a page reads it: the read is logged for the build's cache (a page
    that shows the log runs again when the file changes)."""
    log = build_plan.table_log()
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{IMPORT_LOG_NAME}\n")
    return read_import_log(data_dir)
