"""Editions of the book: archiving a build, and comparing two editions.

An edition is ``releases/<version>/`` holding ``book.tar.gz`` (the HTML), its SHA-256,
the book as one PDF (``book.pdf``, :mod:`analysis.engine.pdf`) and its SHA-256, the
build's ``manifest.json`` and every table the book shows as CSV (``tables/``).
``diff`` compares two editions, or an edition and the current build: which tables
changed, which cells (old and new values), and which inputs differ between their
manifests (data files, parameters, code, packages).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import __version__, paths

if TYPE_CHECKING:
    import pandas as pd

CURRENT = "build"  # the name by which diff refers to the working build


class EditionError(Exception):
    """An edition cannot be made or read; the message says why and what to do."""


@dataclass(frozen=True)
class Release:
    """One archived edition."""

    version: str
    folder: Path
    archive_sha256: str
    built_at: str
    commit: str


def list_releases(root: Path | None = None) -> list[dict[str, str]]:
    """Archived editions found under ``releases/``, newest version first."""
    base = paths.releases_dir(root)
    found = []
    for manifest in base.glob("*/manifest.json"):
        meta = json.loads(manifest.read_text())
        sha = manifest.parent / "book.tar.gz.sha256"
        found.append({"version": manifest.parent.name, "built_at": meta.get("built_at", ""),
                      "commit": meta.get("edition", {}).get("commit", ""),
                      "data": meta.get("data", {}).get("fingerprint", ""),
                      "sha256": sha.read_text().split()[0] if sha.exists() else ""})
    return sorted(found, key=lambda r: [int(x) if x.isdigit() else x
                                        for x in r["version"].split(".")], reverse=True)


def release(build_root: Path | None = None, root: Path | None = None,
            version: str = __version__, pdf: Path | None = None) -> Release:
    """Archive the current build as ``releases/<version>/``, with ``pdf`` (the book
    printed as one PDF) when given.

    Raises
    ------
    EditionError
        No built book, or that version is already released (bump ``analysis/__version__``).
    """
    html = paths.html_dir(build_root)
    manifest = html / "manifest.json"
    if not manifest.exists():
        raise EditionError(f"no built book at {html}; run `make book` first")
    target = paths.releases_dir(root) / version
    if target.exists():
        raise EditionError(f"edition {version} is already released in {target}; bump the "
                           "version in analysis/__init__.py and rebuild to make a new one")
    target.mkdir(parents=True)
    archive = target / "book.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(html, arcname=f"cen-book-{version}")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    (target / "book.tar.gz.sha256").write_text(f"{sha}  book.tar.gz\n")
    shutil.copy2(manifest, target / "manifest.json")
    if pdf is not None:
        shutil.copy2(pdf, target / "book.pdf")
        pdf_sha = hashlib.sha256((target / "book.pdf").read_bytes()).hexdigest()
        (target / "book.pdf.sha256").write_text(f"{pdf_sha}  book.pdf\n")
    if (html / "tables").is_dir():
        shutil.copytree(html / "tables", target / "tables")
    meta = json.loads(manifest.read_text())
    return Release(version, target, sha, meta.get("built_at", ""),
                   meta.get("edition", {}).get("commit", ""))


def _edition_folder(name: str, build_root: Path | None, root: Path | None) -> Path:
    if name == CURRENT:
        folder = paths.html_dir(build_root)
    else:
        folder = paths.releases_dir(root) / name
    if not (folder / "manifest.json").exists():
        known = ", ".join([CURRENT] + [r["version"] for r in list_releases(root)])
        raise EditionError(f"no edition '{name}' (looked in {folder}); known: {known}")
    return folder


@dataclass
class CellChange:
    """One cell whose value differs between two editions."""

    table: str
    row: str
    column: str
    old: str
    new: str


@dataclass
class EditionDiff:
    """What differs between two editions."""

    a: str
    b: str
    inputs: list[str] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    tables_changed: list[str] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.inputs or self.tables_added or self.tables_removed or self.cells)

    def format(self, max_cells: int = 200) -> str:
        lines = [f"Edition {self.a} -> {self.b}"]
        if self.identical:
            return lines[0] + ": no differences in inputs or tables."
        lines.append("Inputs that differ:" if self.inputs else "Inputs: the same.")
        lines += [f"  {x}" for x in self.inputs]
        for label, items in (("Tables added", self.tables_added),
                             ("Tables removed", self.tables_removed),
                             ("Tables changed", self.tables_changed)):
            if items:
                lines.append(f"{label}:")
                lines += [f"  {t}" for t in items]
        if self.cells:
            lines.append(f"Cells changed ({len(self.cells)}):")
            for c in self.cells[:max_cells]:
                lines.append(f"  {c.table} [{c.row}, {c.column}]: {c.old} -> {c.new}")
            if len(self.cells) > max_cells:
                lines.append(f"  ... and {len(self.cells) - max_cells} more")
        return "\n".join(lines)


def _manifest_inputs(old: dict, new: dict) -> list[str]:
    out = []
    old_files = old.get("data", {}).get("files", {})
    new_files = new.get("data", {}).get("files", {})
    for name in sorted(set(old_files) | set(new_files)):
        if old_files.get(name) != new_files.get(name):
            out.append(f"data file {name}: {old_files.get(name, 'absent')[:12]} -> "
                       f"{new_files.get(name, 'absent')[:12]}")
    old_pages = {p["name"]: p.get("parameters") for p in old.get("pages", [])}
    new_pages = {p["name"]: p.get("parameters") for p in new.get("pages", [])}
    for name in sorted(set(old_pages) | set(new_pages)):
        if old_pages.get(name) != new_pages.get(name):
            out.append(f"parameters of page {name}: {old_pages.get(name)} -> {new_pages.get(name)}")
    if old.get("code_sha256") != new.get("code_sha256"):
        out.append("analysis code or dependency lock")
    old_pk, new_pk = old.get("packages", {}), new.get("packages", {})
    for name in sorted(set(old_pk) | set(new_pk)):
        if old_pk.get(name) != new_pk.get(name):
            out.append(f"package {name}: {old_pk.get(name)} -> {new_pk.get(name)}")
    return out


def _cell_changes(name: str, old: pd.DataFrame, new: pd.DataFrame) -> list[CellChange]:
    import pandas as pd

    changes = []
    columns = [c for c in new.columns if c in old.columns]
    for column in [c for c in new.columns if c not in old.columns]:
        changes.append(CellChange(name, "(all)", column, "(absent)", "(new column)"))
    for i in range(max(len(old), len(new))):
        label = str(new.iloc[i, 0] if i < len(new) else old.iloc[i, 0])
        if i >= len(old) or i >= len(new):
            changes.append(CellChange(name, label, "(row)", "(absent)" if i >= len(old) else
                                      "(present)", "(present)" if i < len(new) else "(absent)"))
            continue
        for column in columns:
            a, b = old[column].iloc[i], new[column].iloc[i]
            if not (a == b or (pd.isna(a) and pd.isna(b))):
                changes.append(CellChange(name, label, str(column), str(a), str(b)))
    return changes


def diff(a: str, b: str = CURRENT, build_root: Path | None = None,
         root: Path | None = None) -> EditionDiff:
    """Compare two editions (a version under ``releases/`` or ``"build"``).

    Tables are compared row by row in the order the book shows them, each row named by
    its first column.
    """
    fa, fb = _edition_folder(a, build_root, root), _edition_folder(b, build_root, root)
    result = EditionDiff(a, b, _manifest_inputs(json.loads((fa / "manifest.json").read_text()),
                                                json.loads((fb / "manifest.json").read_text())))
    ta = {str(p.relative_to(fa / "tables")): p for p in (fa / "tables").rglob("*.csv")}
    tb = {str(p.relative_to(fb / "tables")): p for p in (fb / "tables").rglob("*.csv")}
    result.tables_added = sorted(set(tb) - set(ta))
    result.tables_removed = sorted(set(ta) - set(tb))
    import pandas as pd  # here: listing the releases for a build needs none

    for name in sorted(set(ta) & set(tb)):
        if ta[name].read_bytes() == tb[name].read_bytes():
            continue
        cells = _cell_changes(name, pd.read_csv(ta[name], dtype=str, keep_default_na=False),
                              pd.read_csv(tb[name], dtype=str, keep_default_na=False))
        result.tables_changed.append(name)
        result.cells += cells
    return result
