"""The execution cache: when a page's executed notebook can be reused, and why not.

A page's key is its template without outputs, its parameters, the bytes of the data
files it read when it last ran, the source of the layers pages import and the
dependency lock (:func:`analysis.engine.provenance.code_hash`), and, for a page that
asked whether the book has other pages (to link to them), whether it has them in this
build: a pages file that leaves out a page a sentence links to re-runs that page, an
edit that changes no answer re-runs none. The engine's own source is not part of it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.cache import Cache
from analysis.engine.declared import declared_files
from analysis.pages.needs import ASKED_PREFIX
from analysis.pages.page import Page
from analysis.pages.template import template_hash


def key_parts(page: Page, data_hashes: dict[str, str], code: str,
              reads: list[str] | None = None, asked: list[str] = (),
              book: frozenset[str] = frozenset(), data_dir: str = "") -> dict[str, Any]:
    """What a page's executed notebook depends on, part by part.

    ``reads`` names the data files the page read when it last ran (None: all of them);
    ``datapackage.json`` always counts, since it declares the tables. ``asked`` names
    the pages it asked about (:func:`analysis.pages.needs.in_book`), and
    ``book`` the pages of this build: the key holds which of them the book has.
    ``data_dir`` is the package's folder, which a page shows among its parameters: the
    same bytes in another folder re-execute it, so that it never shows a folder it was
    not built from.
    """
    data = {name: sha for name, sha in data_hashes.items()
            if reads is None or name in reads or name == paths.DATAPACKAGE_NAME}
    linked = {"pages": {name: name in book for name in sorted(asked)}} if asked else {}
    return {**linked,
        "template": template_hash(page.template),
        "parameters": hashlib.sha256(json.dumps({"title": page.title, **page.parameters,
                                                 **declared_files(page.parameters)},
                                                sort_keys=True).encode()).hexdigest(),
        "data": data,
        "code": code,
        "data_dir": data_dir,
    }


def _logged(log: Path) -> set[str]:
    if not log.exists():
        return set()
    return {line.strip() for line in log.read_text(encoding="utf-8").splitlines()
            if line.strip()}


def tables_read(log: Path) -> list[str]:
    """Data files a notebook read, from the table log its kernel wrote: a table by its name
    (its CSV), another file of the package (``import_log.json``) by its file name."""
    return sorted(name if "." in name else f"{name}.csv" for name in _logged(log)
                  if not name.startswith(ASKED_PREFIX))


def pages_asked(log: Path) -> list[str]:
    """The pages a notebook asked whether the book has, from the same log."""
    return sorted(name.removeprefix(ASKED_PREFIX) for name in _logged(log)
                  if name.startswith(ASKED_PREFIX))


def why_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """A short reason for re-executing a page, naming what changed."""
    if old is None:
        return "not executed before"
    reasons = []
    if old.get("template") != new["template"]:
        reasons.append("notebook changed")
    if old.get("parameters") != new["parameters"]:
        reasons.append("parameters changed")
    old_data, new_data = old.get("data", {}), new["data"]
    changed = sorted(f for f in set(old_data) | set(new_data) if old_data.get(f) != new_data.get(f))
    if changed:
        reasons.append("data changed: " + ", ".join(changed))
    if old.get("code") != new["code"]:
        reasons.append("analysis code or dependencies changed")
    if old.get("data_dir", "") != new.get("data_dir", ""):
        reasons.append("data package moved")
    old_pages, new_pages = old.get("pages", {}), new.get("pages", {})
    linked = sorted(p for p in set(old_pages) | set(new_pages)
                    if old_pages.get(p) != new_pages.get(p))
    if linked:
        reasons.append("pages it links to changed: " + ", ".join(
            f"{p} {'added' if new_pages.get(p) else 'left out'}" for p in linked))
    return "; ".join(reasons) or "forced"


@dataclass
class PageResult:
    """How one page was produced in this build."""

    name: str
    status: str  # "executed", "reused" or "markdown"
    reason: str = ""
    seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    notebook: str | None = None


class PageCache(Cache):
    """The executed pages in a build's folder of executed notebooks, one entry a page:
    ``<page>.key.json`` (the key's parts, with the data files the page read, the pages
    it asked about, why and how long it ran), the executed notebook ``<page>.ipynb``
    and its shown tables ``<page>.tables``.

    The key is the parts themselves (:func:`key_parts`), so that a page that runs again
    can say which part changed (:func:`why_changed`). A page's entry is replaced in place
    when it runs again: the executed notebook by the new one
    (:func:`analysis.engine.execution.execute_pages`), then its key (:meth:`put`).
    """

    def entry(self, name: str) -> tuple[Path, ...]:
        return (self.folder / f"{name}.key.json", self.folder / f"{name}.ipynb",
                self.folder / f"{name}.tables")

    def record(self, name: str) -> dict[str, Any]:
        """What was stored with the page's key (empty when the page never ran here)."""
        key_file = self.entry(name)[0]
        return json.loads(key_file.read_text()) if key_file.exists() else {}

    def stored_key(self, name: str) -> dict[str, Any] | None:
        return self.record(name).get("parts")

    def has(self, name: str, key: Any) -> bool:
        return super().has(name, key) and self.entry(name)[1].exists()

    def get(self, name: str, key: Any) -> dict[str, Any] | None:
        """The page's record when its executed notebook was made under ``key``."""
        return self.record(name) if self.has(name, key) else None

    def put(self, name: str, key: dict[str, Any], value: dict[str, Any]) -> None:
        """Store the key of a page just executed, with ``value`` (its reads, the pages it
        asked about, why and how long it ran)."""
        self.entry(name)[0].write_text(json.dumps({"parts": key, **value}, indent=1))


def plan_pages(pages: list[Page], executed_dir: Path, data_hashes: dict[str, str], code: str,
               force: bool, data_dir: str = "") -> tuple[dict[str, PageResult], list]:
    """Which pages can reuse their executed notebook and which must run, and why."""
    results: dict[str, PageResult] = {}
    pending = []
    book = frozenset(page.name for page in pages)
    cache = PageCache(executed_dir)
    for page in pages:
        if page.notebook is None:
            results[page.name] = PageResult(page.name, "markdown")
            continue
        if not page.template.exists():  # check_parameters says so before anything runs
            pending.append((page, "notebook missing"))
            continue
        stored = cache.record(page.name)
        old, reads = stored.get("parts"), stored.get("reads")
        parts = key_parts(page, data_hashes, code, reads, stored.get("asked", []), book,
                          data_dir)
        if not force and cache.has(page.name, parts):
            results[page.name] = PageResult(page.name, "reused", stored.get("reason", ""),
                                            stored.get("seconds", 0.0), page.parameters,
                                            page.notebook)
        else:
            reason = "forced" if force and old == parts else why_changed(old, parts)
            pending.append((page, reason))
    return results, pending


def last_seconds(executed_dir: Path, name: str) -> float | None:
    """How long a page took the last time it was executed here (None if never)."""
    try:
        return float(PageCache(executed_dir).record(name)["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def tree_hash(folder: Path) -> str:
    """SHA-256 over the relative paths and bytes of every file below ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def record_execution(page: Page, reason: str, seconds: float, executed_dir: Path,
                     data_hashes: dict[str, str], code: str,
                     book: frozenset[str] = frozenset(), data_dir: str = "") -> PageResult:
    """Store the key of a page just executed (with the data files it read and the pages
    it asked about; ``book`` is the pages of this build) and say how it was produced."""
    log = executed_dir / f"{page.name}.reads"
    reads, asked = tables_read(log), pages_asked(log)
    PageCache(executed_dir).put(
        page.name, key_parts(page, data_hashes, code, reads, asked, book, data_dir),
        {"reads": reads, "asked": asked, "reason": reason, "seconds": round(seconds, 2),
         "executed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return PageResult(page.name, "executed", reason, round(seconds, 2), page.parameters,
                      page.notebook)


class ValidationMemo(Cache):
    """Validation is a function of the data's bytes and the code: an unchanged pair that
    passed before passes again, so a no-op rebuild skips it.

    One entry, ``validated.json``: the key (the data folder, the SHA-256 of each file,
    the code hash) with the warnings of the validation that passed (what it normalised).
    """

    NAME = "validated"

    def __init__(self, executed_dir: Path, key: dict[str, Any]) -> None:
        super().__init__(executed_dir)
        self.key = key

    @classmethod
    def of(cls, executed_dir: Path, data_dir: Path, data_hashes: dict[str, str],
           code: str) -> "ValidationMemo":
        return cls(executed_dir, {"data_dir": str(data_dir), "files": data_hashes,
                                  "code": code})

    def entry(self, name: str) -> tuple[Path, ...]:
        return (self.folder / f"{name}.json",)

    def _stored(self, name: str) -> dict[str, Any]:
        path = self.entry(name)[0]
        return json.loads(path.read_text()) if path.exists() else {}

    def stored_key(self, name: str) -> dict[str, Any] | None:
        stored = self._stored(name)
        return {k: v for k, v in stored.items() if k != "warnings"} if stored else None

    def get(self, name: str, key: Any) -> list[str] | None:
        """The warnings of the validation that passed under ``key``."""
        return list(self._stored(name).get("warnings", [])) if self.has(name, key) else None

    def put(self, name: str, key: dict[str, Any], value: list[str]) -> None:
        self.entry(name)[0].write_text(json.dumps({**key, "warnings": list(value)}))

    def passed_before(self) -> bool:
        return self.has(self.NAME, self.key)

    def warnings(self) -> list[str]:
        """The warnings of the validation that passed (what it normalised)."""
        return self.get(self.NAME, self.key) or []

    def remember(self, warnings: list[str] = ()) -> None:
        self.put(self.NAME, self.key, warnings)
