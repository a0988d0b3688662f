"""The files of a data package, the contract that names them, and their hashes.

Kept apart from :mod:`analysis.contract.package`, which reads the tables with pandas: a
build hashes the data and plans its pages before it starts the kernels, and importing
pandas first would hold the kernels back by half a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.contract.errors import InputError, quoted

MAX_FILE_BYTES = 200_000_000
"""Largest file read, in bytes, unless :data:`MAX_FILE_BYTES_ENV` says otherwise (a
scale-100 package's largest file is under 10 MB)."""
MAX_FILE_BYTES_ENV = "CEN_MAX_FILE_BYTES"
"""Environment variable that sets another limit, in bytes, for every file read."""
_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


class FileRefused(InputError):
    """A file that is not read: missing, not a regular file, outside its folder, too
    large or unreadable. ``reason`` says why and what to do, without the file's name."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


def max_file_bytes(default: int = MAX_FILE_BYTES) -> int:
    """The size limit in force: :data:`MAX_FILE_BYTES_ENV` when set, else ``default``."""
    value = os.environ.get(MAX_FILE_BYTES_ENV)
    if value is None:
        return default
    try:
        limit = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        limit = 0
    if limit < 1:
        raise InputError(f"{MAX_FILE_BYTES_ENV}={quoted(value)} is not a size; write a whole "
                         "number of bytes, such as 500000000")
    return limit


def read_file_bytes(path: Path, inside: Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of a file that is a file: bounded, never following a link out of its folder.

    A data package comes from someone else; its folder may hold a link to any file of
    the machine (``framework.csv -> /etc/passwd``), a device that never ends
    (``/dev/zero``), a named pipe that blocks the reader for ever, or a socket. Only a
    regular file is read, opened without blocking and checked after opening; at most
    ``limit + 1`` bytes are read, so that a file growing while it is read is caught too.

    Parameters
    ----------
    path : Path
    inside : Path, optional
        The folder the file must be in, links resolved (a data package's folder).
    limit : int, optional
        Largest size in bytes; :func:`max_file_bytes` by default.

    Raises
    ------
    FileRefused
        With the reason and what to do.
    """
    limit = max_file_bytes() if limit is None else limit
    path = Path(path)
    try:
        os.lstat(path)
    except FileNotFoundError:
        raise FileRefused(path, "file not found") from None
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    if inside is not None:
        target = path.resolve()
        if not target.is_relative_to(Path(inside).resolve()):
            raise FileRefused(path, f"is a link to {quoted(str(target))}, outside the package "
                                    "folder; put a copy of the file itself in the folder")
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise FileRefused(path, "is a link to a file that does not exist") from None
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    refused = _not_a_file(before.st_mode)
    if refused:
        raise FileRefused(path, refused)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY
                             | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    try:
        opened = os.fstat(descriptor)
        refused = _not_a_file(opened.st_mode)  # replaced between the two looks
        if refused:
            raise FileRefused(path, refused)
        if opened.st_size > limit:
            raise FileRefused(path, _too_big(opened.st_size, limit))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(path, _too_big(size, limit, growing=True))
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(path, _cannot_read(exc)) from None
    finally:
        os.close(descriptor)


def _not_a_file(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file; put the file itself here"
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return f"is {kind}, not a file; put a regular file (a saved table) here"


def _too_big(size: int, limit: int, growing: bool = False) -> str:
    what = f"more than {limit:,}" if growing else f"{size:,}"
    return (f"the file is {what} bytes, over the limit of {limit:,} bytes; check that it holds "
            f"only the table the contract describes (the limit is set by "
            f"{MAX_FILE_BYTES_ENV})")


def _cannot_read(exc: OSError) -> str:
    return (f"cannot be read ({exc.strerror or exc}); check that the file is readable by you "
            "(permissions) and not open elsewhere")


def load_contract() -> dict[str, Any]:
    """The declared schema of every table (``analysis/data_contract.json``)."""
    with open(paths.DATA_CONTRACT, encoding="utf-8") as handle:
        return json.load(handle)


def data_files(data_dir: Path) -> list[Path]:
    """The files that make up a data package, in a stable order."""
    names = [paths.DATAPACKAGE_NAME] + [r["path"] for r in load_contract()["resources"]]
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

    @classmethod
    def at(cls, data_dir: str | Path | None) -> "PackageFiles":
        """Resolve a ``data_dir`` parameter (see :func:`analysis.paths.resolve_data_dir`)
        and hash its files."""
        folder = paths.resolve_data_dir(data_dir)
        hashes = file_hashes(folder)
        return cls(folder, hashes, fingerprint_of(hashes))

    def descriptor(self) -> dict[str, Any]:
        """The package's ``datapackage.json`` as read (an empty one when absent or unreadable:
        validation reports why)."""
        from analysis.contract.reading import read_json

        descriptor, problems, _ = read_json(self.data_dir / paths.DATAPACKAGE_NAME,
                                            paths.DATAPACKAGE_NAME, self.data_dir)
        return descriptor if isinstance(descriptor, dict) and not problems else {}

    @property
    def synthetic(self) -> bool:
        return bool(self.descriptor().get("synthetic", False))
