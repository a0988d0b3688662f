"""The files of a data package, the contract that names them, and their hashes.

Kept apart from :mod:`analysis.contract.package`, which reads the tables with pandas: a
build hashes the data and plans its pages before it starts the kernels, and importing
pandas first would hold the kernels back by half a second.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.contract.reading import FileRefused, read_file_bytes, read_json

def load_contract() -> dict[str, Any]:
    """The declared schema of every table (``analysis/data_contract.json``)."""
    with open(paths.DATA_CONTRACT, encoding="utf-8") as handle:
        return json.load(handle)


def data_files(data_dir: Path) -> list[Path]:
    """The files that make up a data package, in a stable order (the tables, then the
    optional files such as ``import_log.json``)."""
    contract = load_contract()
    names = ([paths.DATAPACKAGE_NAME] + [r["path"] for r in contract["resources"]]
             + [f["path"] for f in contract.get("optionalFiles", [])])
    return [data_dir / name for name in names if (data_dir / name).is_symlink()
            or (data_dir / name).exists()]


def file_hashes(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file of the package, by file name.

    A file that is not read (:func:`read_file_bytes`) is recorded by the reason, which
    validation then reports.
    """
    hashes = {}
    for path in data_files(data_dir):
        try:
            hashes[path.name] = hashlib.sha256(read_file_bytes(path, data_dir)).hexdigest()
        except FileRefused as refused:
            hashes[path.name] = f"refused: {refused.reason}"
    return hashes


def file_stats(data_dir: Path) -> dict[str, list[int]]:
    """Size, modification time (ns) and inode of every file of the package, by file name
    (a file that cannot be looked at is left out, so that it differs from any file that
    can).

    Taken by :meth:`PackageFiles.at` just before hashing, and again by a page's kernel
    (:func:`analysis.contract.validation.load_package`) to tell, without reading a byte,
    whether a file changed since the build hashed it.
    """
    stats = {}
    for path in data_files(data_dir):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        stats[path.name] = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    return stats


def fingerprint_of(hashes: dict[str, str]) -> str:
    """A short fingerprint of a package's file hashes (first 12 hex digits of a SHA-256)."""
    digest = hashlib.sha256()
    for name, sha in sorted(hashes.items()):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()[:12]


def fingerprint(data_dir: Path) -> str:
    """A short fingerprint of the package's bytes (first 12 hex digits of a SHA-256)."""
    return fingerprint_of(file_hashes(data_dir))


@dataclass(frozen=True)
class PackageFiles:
    """A data package as a build sees it before reading any table: its folder, the
    SHA-256 of each file and their fingerprint, computed once and shared by the plan,
    the validation, the edition stamp and the provenance record.
    """

    data_dir: Path
    hashes: dict[str, str]
    fingerprint: str
    stats: dict[str, list[int]] = field(default_factory=dict)  # file_stats, before hashing

    @classmethod
    def at(cls, data_dir: str | Path | None) -> "PackageFiles":
        """Resolve a ``data_dir`` parameter (see :func:`analysis.paths.resolve_data_dir`)
        and hash its files."""
        folder = paths.resolve_data_dir(data_dir)
        # Looked at before the bytes are read: a file written while it is hashed then
        # differs from what was looked at, and the kernels validate it again.
        stats = file_stats(folder)
        hashes = file_hashes(folder)
        return cls(folder, hashes, fingerprint_of(hashes), stats)

    def descriptor(self) -> dict[str, Any]:
        """The package's ``datapackage.json`` as read (an empty one when absent or unreadable:
        validation reports why); a copy of its own for each caller."""
        return copy.deepcopy(self._descriptor)

    @cached_property
    def _descriptor(self) -> dict[str, Any]:
        # Read once: the plan, the book's layout, the edition stamp and the provenance
        # record all ask, and the bytes are those hashed (a later change is the next
        # build's).
        descriptor, problems, _ = read_json(self.data_dir / paths.DATAPACKAGE_NAME,
                                            paths.DATAPACKAGE_NAME, self.data_dir)
        return descriptor if isinstance(descriptor, dict) and not problems else {}

    @property
    def synthetic(self) -> bool:
        return bool(self._descriptor.get("synthetic", False))
