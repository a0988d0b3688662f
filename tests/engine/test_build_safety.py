"""A build never loses the last good book: one build at a time, a manifest that matches
the published files, no process left behind, and bad data that leaves the book as it was.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from analysis import paths
from analysis.contract.errors import DataPackageError
from analysis.engine import lock
from analysis.engine.build import build
from analysis.engine.cache import tree_hash
from tests.corpus import BROKEN, make
from tests.book.test_book import small_pages

pytestmark = pytest.mark.book


def cli_build(root: Path, pages: Path, *extra: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "build", "--build-root", str(root),
         "--pages", str(pages), *extra],
        cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A book built while a second build of the same folder was refused."""
    tmp = tmp_path_factory.mktemp("safety")
    pages = small_pages(tmp)
    root = tmp / "root"
    first = cli_build(root, pages)
    lock_file = root / "_build" / lock.LOCK_NAME
    wait_for(lambda: lock_file.exists() and lock_file.read_text().strip())
    second = cli_build(root, pages)
    second_out, _ = second.communicate(timeout=120)
    first_out, _ = first.communicate(timeout=300)
    return {"root": root, "pages": pages, "first": (first.returncode, first_out, first.pid),
            "second": (second.returncode, second_out)}


def test_a_second_build_stops_naming_the_first(published):
    code, out, pid = published["first"]
    assert code == 0, out
    code, out = published["second"]
    assert code == 2 and "Traceback" not in out
    assert f"another build is running in {published['root'] / '_build'} (process {pid}," in out


def test_the_published_book_matches_its_manifest(published):
    html = published["root"] / "_build" / "html"
    assert lock.disagreements(html) == []
    assert json.loads((html / "manifest.json").read_text())["tables"]


@pytest.mark.parametrize("name", ["after_multiline_cell", "semicolons", "latin1_descriptor",
                                  "empty_prevalence_table", "inf_in_integer"])
def test_bad_data_leaves_the_published_book_byte_identical(published, name, tmp_path):
    html = published["root"] / "_build" / "html"
    before = tree_hash(html)
    folder = make(next(c for c in BROKEN if c.name == name), tmp_path)
    with pytest.raises(DataPackageError):
        build(data_dir=folder, build_root=published["root"], pages_file=published["pages"],
              say=lambda line: None)
    assert tree_hash(html) == before


def test_a_book_that_lost_a_file_is_rebuilt_not_kept(published):
    html = published["root"] / "_build" / "html"
    manifest = json.loads((html / "manifest.json").read_text())
    lost = html / "tables" / manifest["tables"][0]
    lost.unlink()
    assert lock.disagreements(html) == [f"tables/{manifest['tables'][0]} is in the manifest "
                                        "but not in the book"]
    result = build(build_root=published["root"], pages_file=published["pages"],
                   say=lambda line: None)
    assert result.book_rebuilt and lost.exists() and lock.disagreements(html) == []


def test_disagreements_name_unlisted_and_missing_files(tmp_path):
    (tmp_path / "tables" / "p").mkdir(parents=True)
    (tmp_path / "tables" / "p" / "extra.csv").write_text("a\n")
    manifest = {"tables": ["p/t.csv"], "pages": [{"name": "p"}]}
    assert lock.disagreements(tmp_path, manifest) == [
        "tables/p/t.csv is in the manifest but not in the book",
        "tables/p/extra.csv is in the book but not in the manifest",
        "p.html is in the manifest but not in the book"]


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from analysis.engine import lock; "
        f"lock.hold(Path({str(tmp_path)!r})); print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(Exception, match=f"process {holder.pid}, started"):
        lock.hold(tmp_path)
    holder.kill()
    holder.wait()
    with lock.hold(tmp_path):  # free again: the operating system released it
        pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_and_kernels_end_with_the_main_process(signum, tmp_path):
    root = tmp_path / "root"
    main = cli_build(root, small_pages(tmp_path), "--force")
    me = psutil.Process(main.pid)

    def kernels():
        return [p for p in me.children(recursive=True)
                if "ipykernel" in " ".join(p.cmdline())]

    wait_for(lambda: len(kernels()) >= 1)
    family = me.children(recursive=True)
    assert family
    os.kill(main.pid, signum)
    main.communicate(timeout=60)
    assert main.returncode == (130 if signum == signal.SIGTERM else -signal.SIGKILL)

    def all_gone():
        return not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    wait_for(all_gone, seconds=10)
