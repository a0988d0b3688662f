"""Shared fixtures: the bundled package, and writable copies of it to break."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import paths
from analysis.contract.validation import load_package


@pytest.fixture(scope="session")
def package():
    """The bundled synthetic data package, validated and typed."""
    return load_package(paths.DATA_SYNTHETIC)


@pytest.fixture(scope="session")
def checkout_book():
    """The book of this checkout on the bundled data, as ``make book`` builds it into
    ``_build`` (a no-op when it is up to date).

    ``make test`` runs the suite in two processes (pytest-xdist) and tests in both may
    ask for it: the second waits here while the first builds (the build itself would
    stop, naming the build that holds the lock), and then finds nothing to build.
    """
    import fcntl

    from analysis.engine.build import build

    paths.build_dir().mkdir(parents=True, exist_ok=True)
    with open(paths.build_dir() / "test-book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return build(say=lambda line: None)


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


FIXTURES = Path(__file__).parent / "fixtures" / "packages"
METASYNTHESIS_ONLY = FIXTURES / "metasynthesis_only"  # tests/fixtures/make_metasynthesis_only.py


@pytest.fixture(scope="session")
def metasynthesis():
    """A meta-synthesis alone: 47 papers, five themes, reviewers AB, CD, EF and 'agreed'."""
    return load_package(METASYNTHESIS_ONLY)


def declare_categories(data_dir: Path, table: str, column: str, labels: dict[str, str]) -> None:
    """Declare a column's own categories (code -> label, in display order) in a package."""
    import json

    path = data_dir / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == table)
    field = next(f for f in resource["schema"]["fields"] if f["name"] == column)
    field["constraints"]["enum"] = list(labels)
    field["categoryLabels"] = dict(labels)
    path.write_text(json.dumps(descriptor), encoding="utf-8")


HOSTILE_ROOT = paths.build_dir() / "hostile"


@pytest.fixture(scope="session")
def hostile_book():
    """The book of the hostile package (tests/hostile.py), built once per test run.

    Built afresh (``force``) once per run, under ``_build/hostile/``: ``make test``
    runs two processes (pytest-xdist), and the second finds the book of this run
    there. The hostile files are written again each time (the same bytes), so that the
    test sees what they hold.
    """
    import fcntl
    import os
    from dataclasses import dataclass

    from analysis.engine.build import build
    from tests.hostile import write_hostile

    @dataclass
    class HostileBook:
        hostile: object
        build_root: Path
        html: Path
        lines: list

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"process {os.getpid()}"
    HOSTILE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(HOSTILE_ROOT.parent / "hostile-book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = HOSTILE_ROOT / "built-in-run"
        lines = []
        fresh = not (stamp.exists() and stamp.read_text() == run)
        if fresh:
            stamp.unlink(missing_ok=True)
            shutil.rmtree(HOSTILE_ROOT / "markers", ignore_errors=True)
        made = write_hostile(HOSTILE_ROOT / "input", HOSTILE_ROOT / "markers")
        root = HOSTILE_ROOT / "root"
        said = HOSTILE_ROOT / "build-lines.txt"  # what the build printed, for either process
        if fresh:
            build(data_dir=made.data_dir, build_root=root, pages_file=made.pages_file,
                  force=True, say=lines.append)
            said.write_text("\n".join(lines), encoding="utf-8")
            stamp.write_text(run)
        else:
            lines = said.read_text(encoding="utf-8").split("\n")
        return HostileBook(made, root, paths.html_dir(root), lines)


FIXTURE_PACKAGES = Path(__file__).parent / "fixtures" / "packages"


@dataclass(frozen=True)
class FixtureBuild:
    """A fixture package's book as one test process built it: its HTML folder and the
    build's lines, or why it failed (the build's own message)."""

    name: str
    html: Path | None
    lines: tuple[str, ...]
    failure: str | None
    seconds: float
    plan_env_left: bool = False  # the build left its plan in the environment (a bug)


TEST_BOOKS_ROOT = paths.build_dir() / "test-books"


def built_once_per_run(name: str, make) -> dict:
    """What ``make(folder)`` returned (a JSON-able dict), made once per test run in
    ``_build/test-books/<name>/`` however many tests, in either test process, ask.

    ``make test`` runs two processes (pytest-xdist), and tests needing one book land in
    both: the first to ask makes it while holding the book's lock and records what
    ``make`` returned; the other waits on the lock and reads the record.
    """
    import fcntl
    import json
    import os

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"process {os.getpid()}"
    folder = TEST_BOOKS_ROOT / name
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "built-in-run.json"
    with open(TEST_BOOKS_ROOT / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = json.loads(record.read_text()) if record.exists() else {}
        if kept.get("run") != run:
            record.unlink(missing_ok=True)
            kept = {"run": run, **make(folder)}
            record.write_text(json.dumps(kept), encoding="utf-8")
    return kept


@pytest.fixture(scope="session")
def fixture_package_book():
    """Build the book of a package under ``tests/fixtures/packages/<name>/`` once per test
    run (``built_once_per_run``), however many test modules read its pages (the
    own-study scan, the chapter tests of a real paper's package)."""
    import os
    import time

    from analysis.contract.errors import InputError
    from analysis.engine.build import BuildError, build
    from analysis.plan import PLAN_ENV

    def make(name: str):
        def made(folder: Path) -> dict:
            # A build folder of its own: the execution cache keys every page by the
            # package's datapackage.json, so a shared one would reuse nothing.
            lines: list[str] = []
            started = time.perf_counter()
            try:
                result, failure = build(data_dir=FIXTURE_PACKAGES / name, jobs=2,
                                        build_root=folder / "root", force=True,
                                        say=lines.append), None
            except (BuildError, InputError) as exc:  # names the page and its failing cell
                result, failure = None, str(exc)
            return {"html": str(result.html) if result else None, "lines": lines,
                    "failure": failure, "seconds": time.perf_counter() - started,
                    "plan_env_left": PLAN_ENV in os.environ}
        return made

    built: dict[str, FixtureBuild] = {}

    def book(name: str) -> FixtureBuild:
        if name not in built:
            kept = built_once_per_run(f"fixture-{name}", make(name))
            built[name] = FixtureBuild(name, Path(kept["html"]) if kept["html"] else None,
                                       tuple(kept["lines"]), kept["failure"],
                                       kept["seconds"], kept["plan_env_left"])
        return built[name]

    return book


def pytest_collection_modifyitems(config, items):
    """Under ``make test`` (two processes), the long tests first in each process's share,
    so that both end together (tests/schedule.py)."""
    import os

    from tests.schedule import long_first

    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if processes > 1:
        items[:] = long_first(items, processes)
