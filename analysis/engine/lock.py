"""One build at a time in a ``_build/`` folder, and a published book that matches its manifest.

Two builds writing the same executed notebooks, staging folder and book would publish a
mixture. :func:`hold` takes an exclusive lock on ``_build/build.lock`` (``flock``, which
the operating system releases when the holding process ends, however it ends, so a
killed build never leaves a stale lock) and records the holder's process id; a second
build stops at once with a message naming it. :func:`disagreements` lists what of a book
folder differs from its manifest, checked before a new book replaces the published one,
and of the published book before a rebuild decides that nothing changed.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from analysis.contract.errors import InputError

LOCK_NAME = "build.lock"
_held: dict[Path, list] = {}  # lock path -> [open file, depth]: re-entrant per process


class BuildLock:
    """The lock on one ``_build/`` folder, held by this process until :meth:`release`."""

    def __init__(self, path: Path):
        self.path = path
        self.released = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        entry = _held.get(self.path)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _held[self.path]
            fcntl.flock(entry[0], fcntl.LOCK_UN)
            entry[0].close()

    def __enter__(self) -> BuildLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def hold(build_dir: Path) -> BuildLock:
    """Take the build lock of ``build_dir`` or stop with the holder's process id.

    Raises
    ------
    InputError
        Another process is building into the same folder.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    path = (build_dir / LOCK_NAME).resolve()
    if path in _held:
        _held[path][1] += 1
        return BuildLock(path)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise InputError(
            f"another build is running in {build_dir} ({holder}); wait for it to finish, "
            "or stop it (kill PID) and build again, or build elsewhere with "
            "--build-root DIR") from None
    handle.seek(0)
    handle.truncate()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    handle.write(f"process {os.getpid()}, started {started}\n")
    handle.flush()
    _held[path] = [handle, 1]
    return BuildLock(path)


def disagreements(html_dir: Path, manifest: dict | None = None) -> list[str]:
    """What of a book folder disagrees with its manifest (empty when all agrees).

    Every table the manifest lists must be a file under ``tables/``, every CSV there
    must be listed, and every page must have its HTML file.
    """
    if manifest is None:
        try:
            manifest = json.loads((html_dir / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ["manifest.json is missing or unreadable"]
    problems = []
    listed = set(manifest.get("tables", []))
    tables = html_dir / "tables"
    present = ({p.relative_to(tables).as_posix() for p in tables.rglob("*.csv")}
               if tables.is_dir() else set())
    problems += [f"tables/{name} is in the manifest but not in the book"
                 for name in sorted(listed - present)]
    problems += [f"tables/{name} is in the book but not in the manifest"
                 for name in sorted(present - listed)]
    for page in manifest.get("pages", []):
        name = page.get("name") if isinstance(page, dict) else None
        if name and not (html_dir / f"{name}.html").exists():
            problems.append(f"{name}.html is in the manifest but not in the book")
    return problems
