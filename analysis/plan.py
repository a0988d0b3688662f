"""The plan of one build, made once by the engine and read here by everyone else.

``python -m analysis build`` makes one frozen :class:`BuildPlan` from its arguments (the
data package, the pages file and the pages it keeps, the code hash, the pages the book
build waits for, ``--plain``) and writes it as one JSON file into the build folder
(:func:`BuildPlan.write`). The processes the build starts find it through one channel,
the environment variable :data:`PLAN_ENV`, which names the plan file and, in a kernel
running a page, that page after a ``#`` (page names are plain file names, without ``#``):

- the worker processes and their kernels (which page runs, its table log, the folder of
  its exported tables, the package the build has already validated, the pages file,
  ``--plain``);
- the ``jupyter-book build`` the engine drives (:mod:`analysis.engine.book_hooks`: the
  pages still to come, ``--plain``).

This module is the only one that reads :data:`PLAN_ENV` (``tests/test_layers.py`` checks
that no other module of ``analysis/`` touches ``os.environ``, with the exceptions it
names). Outside a build (a notebook opened by hand, a test) there is no plan: a page
then logs no reads, exports no table and uses ``book/pages.yml``.

It sits beside :mod:`analysis.paths` at the base of the layers, so that the contract
(which logs a page's reads), the chapters (which export its tables) and the engine (which
writes the plan) may all import it; it imports nothing else of the project.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analysis import paths

PLAN_ENV = "CEN_BOOK_PLAN"  # the plan file, and "#<page>" in a kernel running a page
PLAN_NAME = "plan.json"  # in the build folder (paths.build_dir)
PAGE_MARK = "#"


@dataclass(frozen=True)
class BuildPlan:
    """What one build does, decided once before any page runs.

    Parameters
    ----------
    data_dir : str
        The data package (absolute).
    pages_file : str
        The pages file of the build (absolute): which pages the book has, for a page that
        links to others and for the messages of validation.
    executed_dir : str
        Where the executed notebooks go, with each page's table log
        (``<page>.reads``), its exported tables (``<page>.run.tables``) and the package
        the build validated (``package.pickle``).
    code : str
        SHA-256 of the source a page runs (:func:`analysis.engine.provenance.code_hash`).
    data_hashes : mapping
        SHA-256 of every file of the package, hashed once by the build.
    data_stats : mapping
        Size, modification time (ns) and inode of every file of the package, taken just
        before it was hashed (:func:`analysis.contract.files.file_stats`): a kernel checks
        these instead of hashing the files again.
    pages : tuple of str
        The pages of this book, in order (those the package cannot fill are left out).
    pending : tuple of str
        The pages the book build waits for (stand-ins when it starts), in the order they
        are expected.
    plain : bool
        ``--plain``: none of the speed-ups of :mod:`analysis.engine.internals`.
    hold : bool
        The engine drives the ``jupyter-book build`` it starts
        (:mod:`analysis.engine.book_hooks`); a plain ``jupyter-book build`` has no plan.
    """

    data_dir: str
    pages_file: str
    executed_dir: str
    code: str = ""
    data_hashes: Mapping[str, str] = field(default_factory=dict)
    data_stats: Mapping[str, list[int]] = field(default_factory=dict)
    pages: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    plain: bool = False
    hold: bool = True

    def table_log(self, page: str) -> Path:
        """The file a page logs every table it reads to (the build's cache reads it)."""
        return Path(self.executed_dir) / f"{page}.reads"

    def tables_dir(self, page: str) -> Path:
        """The folder a page writes its shown tables to, as CSV, while it runs."""
        return Path(self.executed_dir) / f"{page}.run.tables"

    def validated_package(self) -> Path:
        """The package the build validated, for the pages to take instead of validating
        again (when it is the same bytes)."""
        return Path(self.executed_dir) / "package.pickle"

    def write(self, path: Path) -> Path:
        """Write the plan as JSON to ``path``; returns ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True) + "\n",
                        encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> BuildPlan:
        """The plan written to ``path`` by :meth:`write`."""
        fields = json.loads(Path(path).read_text(encoding="utf-8"))
        for name in ("pages", "pending"):
            fields[name] = tuple(fields.get(name, ()))
        return cls(**fields)


def plan_file(build_dir: Path) -> Path:
    """Where a build writes its plan."""
    return build_dir / PLAN_NAME


# ------------------------------------------------------------ the one channel


def channel(plan_path: Path, page: str | None = None) -> str:
    """The value of :data:`PLAN_ENV` for a process of the build (with ``page``, for the
    kernel that runs it)."""
    return str(plan_path) + (f"{PAGE_MARK}{page}" if page else "")


def enter(value: str) -> None:
    """Put :data:`PLAN_ENV` in force in this process, and in the processes it starts
    (a worker before its kernel runs a page; the first cell of a reused kernel)."""
    os.environ[PLAN_ENV] = value


@contextlib.contextmanager
def in_force(plan_path: Path) -> Iterator[None]:
    """The plan in force for a build in this process and every process it starts
    (workers, kernels, the book build), and the environment as it was afterwards."""
    before = os.environ.get(PLAN_ENV)
    enter(channel(plan_path))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PLAN_ENV, None)
        else:
            os.environ[PLAN_ENV] = before


def environment(plan_path: Path | None, **extra: str) -> dict[str, str]:
    """The environment of a process the engine starts (the book build): this one's, with
    the plan at ``plan_path`` in force (none when None), and ``extra``."""
    env = {**os.environ, **extra}
    env.pop(PLAN_ENV, None)
    if plan_path is not None:
        env[PLAN_ENV] = channel(plan_path)
    return env


def entered(value: str) -> dict[str, str]:
    """The environment of a process started with ``value`` (:func:`channel`) in force:
    a fresh kernel that runs one page, as :func:`enter` would put it in this process."""
    return {**os.environ, PLAN_ENV: value}


_read: dict[tuple[str, int, int], BuildPlan] = {}  # read once per version of the file


def _in_force() -> tuple[BuildPlan | None, str | None]:
    value = os.environ.get(PLAN_ENV)
    if not value:
        return None, None
    path, mark, page = value.rpartition(PAGE_MARK)
    if not mark:
        path, page = value, ""
    try:
        stat = Path(path).stat()
    except OSError:  # the build that wrote it has ended
        return None, None
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _read:
        _read.clear()
        _read[key] = BuildPlan.read(Path(path))
    return _read[key], page or None


def current() -> BuildPlan | None:
    """The plan of the build this process is part of (None outside a build)."""
    return _in_force()[0]


def current_page() -> str | None:
    """The page this kernel runs for the build (None outside a page's kernel)."""
    return _in_force()[1]


def table_log() -> Path | None:
    """The table log of the page running here, if a build runs it."""
    plan, page = _in_force()
    return plan.table_log(page) if plan and page else None


def tables_dir() -> Path | None:
    """The folder for the shown tables of the page running here, if a build runs it."""
    plan, page = _in_force()
    return plan.tables_dir(page) if plan and page else None


def validated_package() -> Path | None:
    """The package the build validated, for the page running here."""
    plan, page = _in_force()
    return plan.validated_package() if plan and page else None


def pages_file() -> Path:
    """The pages file in force: the build's, else ``book/pages.yml``."""
    plan = current()
    return Path(plan.pages_file) if plan else paths.PAGES


def plain() -> bool:
    """True when the build runs without the speed-ups of :mod:`analysis.engine.internals`."""
    plan = current()
    return bool(plan and plan.plain)


def book_held() -> bool:
    """True in a ``jupyter-book build`` the engine drives (and in its workers and kernels,
    which never ask)."""
    plan = current()
    return bool(plan and plan.hold)


def pending_pages() -> list[str]:
    """The pages the book build waits for, in the order they are expected."""
    plan = current()
    return list(plan.pending) if plan and plan.hold else []
