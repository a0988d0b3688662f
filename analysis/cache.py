"""One small interface for the book's caches on disk (as jupyter-cache's
``JupyterCacheAbstract`` is for executed notebooks).

Two layers keep results between runs: the engine's page cache (an executed notebook
and the key it was executed under, and the memo of a validation that passed:
:mod:`analysis.engine.cache`) and the multiverse's tables, whose key rides in the
Parquet file's metadata (:mod:`analysis.compute.multiverse`). Each is a
:class:`Cache`: named entries in one folder, each stored with the key it was made
under, read back only under the same key.

- A **key** is made of named parts. A cache may keep the parts as they are (the page
  cache does, so that a build can say which part changed) or their digest,
  :func:`key_from` (the multiverse does: one of its parts is a table of studies).
- :meth:`Cache.has`, :meth:`Cache.get` and :meth:`Cache.put` find, read and store an
  entry under a key; :meth:`Cache.entry` says which files an entry is;
  :meth:`Cache.drop` removes a stale entry, the file that records its key first, so
  that an entry half removed is never taken for current.

It sits beside :mod:`analysis.plan` at the base of the layers, so that both the engine
and ``compute`` may import it; it imports nothing of the project.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def key_from(parts: Mapping[str, Any]) -> str:
    """SHA-256 of named parts, in the order given.

    Bytes count as they are, text as UTF-8, anything else as JSON with sorted keys.
    Each part is written with its name and length, so that no two different sets of
    parts run together into the same bytes.
    """
    digest = hashlib.sha256()
    for name, value in parts.items():
        if isinstance(value, bytes):
            data = value
        elif isinstance(value, str):
            data = value.encode()
        else:
            data = json.dumps(value, sort_keys=True).encode()
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


class Cache(ABC):
    """Named entries in one folder, each stored with the key it was made under.

    Parameters
    ----------
    folder : Path
        Where the entries live.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @abstractmethod
    def entry(self, name: str) -> tuple[Path, ...]:
        """The files (or folders) of the entry ``name``, present or not; the first
        records its key."""

    @abstractmethod
    def stored_key(self, name: str) -> Any | None:
        """The key the entry ``name`` was stored under (None: there is none)."""

    def has(self, name: str, key: Any) -> bool:
        """True when the entry ``name`` was stored under ``key``."""
        return key is not None and self.stored_key(name) == key

    @abstractmethod
    def get(self, name: str, key: Any) -> Any | None:
        """The entry ``name`` when it was stored under ``key`` (None otherwise)."""

    @abstractmethod
    def put(self, name: str, key: Any, value: Any) -> Any:
        """Store ``value`` as the entry ``name`` under ``key``."""

    def drop(self, name: str) -> None:
        """Remove the entry ``name`` (a stale one), its key first."""
        for path in self.entry(name):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
