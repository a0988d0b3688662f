"""Shared fixtures: the bundled package, and writable copies of it to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis import paths
from analysis.contract.validation import load_package


@pytest.fixture(scope="session")
def package():
    """The bundled synthetic data package, validated and typed."""
    return load_package(paths.DATA_SYNTHETIC)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data package."""
    target = tmp_path / "data"
    shutil.copytree(paths.DATA_SYNTHETIC, target)
    return target


def edit_cell(data_dir: Path, file: str, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV (``line`` counts the header as 1), keeping the rest as is."""
    path = data_dir / file
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = value
    rows[line - 1] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
