"""The files of a data package, the contract that names them, and their hashes.

Kept apart from :mod:`analysis.contract.package`, which reads the tables with pandas: a
build hashes the data and plans its pages before it starts the kernels, and importing
pandas first would hold the kernels back by half a second.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from analysis import paths


def load_contract() -> dict[str, Any]:
    """The declared schema of every table (``analysis/data_contract.json``)."""
    with open(paths.DATA_CONTRACT, encoding="utf-8") as handle:
        return json.load(handle)


def data_files(data_dir: Path) -> list[Path]:
    """The files that make up a data package, in a stable order."""
    names = [paths.DATAPACKAGE_NAME] + [r["path"] for r in load_contract()["resources"]]
    return [data_dir / name for name in names if (data_dir / name).exists()]


def file_hashes(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file of the package, by file name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_files(data_dir)}


def fingerprint(data_dir: Path) -> str:
    """A short fingerprint of the package's bytes (first 12 hex digits of a SHA-256)."""
    digest = hashlib.sha256()
    for name, sha in sorted(file_hashes(data_dir).items()):
        digest.update(f"{name}\0{sha}\n".encode())
    return digest.hexdigest()[:12]
