"""The Provenance page and the edition stamp, from a hand-made build record."""

from __future__ import annotations

import re

from analysis import paths
from analysis.engine import provenance
from analysis.engine.provenance import Commit, Edition, render_provenance_page
from tests.myst_source import shown


def record(releases=()):
    return {
        "edition": {"version": "0.2.0", "commit": "abc1234-dirty", "data_fingerprint": "f00d",
                    "synthetic": True},
        "data": {"data_dir": "/somewhere/my_data", "files": {"b.csv": "2" * 64,
                                                             "a.csv": "1" * 64}},
        "code_sha256": "c" * 64,
        "packages": {"python": "3.11.7", "pandas": "3.1.1"},
        "pages": [
            {"name": "intro", "notebook": None, "parameters": {}},
            {"name": "quality_strict", "notebook": "quality", "reason": "notebook changed",
             "seconds": 1.234, "parameters": {"banding_rule": "strict", "note": "a|b"}},
        ],
        "releases": list(releases),
    }


def test_provenance_page_identifies_every_input():
    source = render_provenance_page(record())
    page = shown(source)
    assert page.startswith("# Provenance\n")
    assert "| Git commit | abc1234-dirty |" in page
    assert "| Data folder | my_data |" in page  # the folder's name, not this machine's path
    assert "| Synthetic data | yes |" in page
    assert "| Analysis code (SHA-256) | cccccccccccccccc |" in page
    files = re.findall(r"^\| `(\w\.csv)` \|", page, flags=re.M)
    assert files == ["a.csv", "b.csv"]
    # Notebook pages only, linked, with their parameters; a '|' cannot break the table.
    assert "[quality_strict](quality_strict) (`quality`)" in page and "[intro]" not in page
    assert "banding_rule = strict; note = a|b" in page and "a\\|b" in source
    assert "notebook changed (1.2 s)" in page
    assert "No edition has been archived yet" in page


def test_provenance_page_lists_archived_editions():
    release = {"version": "0.1.0", "built_at": "2026-11-01", "commit": "1234567",
               "data": "beef", "sha256": "9" * 64}
    page = shown(render_provenance_page(record([release])))
    assert "| 0.1.0 | 2026-11-01 | 1234567 | beef | `9999999999999999` |" in page
    assert "No edition has been archived yet" not in page


def test_edition_stamp_and_commit_label(tmp_path):
    stamp = Edition("0.2.0", "abc1234", "f00d", True)
    assert stamp.footer() == "Edition 0.2.0 · commit abc1234 · data f00d"
    assert Commit("abc1234", True).label == "abc1234-dirty"
    assert provenance.git_commit(tmp_path) == Commit("unknown", False)  # not a checkout


def test_code_hash_and_versions_are_recorded():
    digest = provenance.code_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and digest == provenance.code_hash()
    versions = provenance.package_versions()
    assert versions["python"].count(".") == 2
    assert all(versions[name] != "not installed" for name in provenance.KEY_PACKAGES)


def test_the_cache_key_covers_the_layers_pages_import_and_not_the_engine(tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "project"
    shutil.copytree(paths.PACKAGE, root / "analysis",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name, value in [("ROOT", root), ("PACKAGE", root / "analysis"),
                        ("PYPROJECT", root / "pyproject.toml"), ("LOCK", root / "lock")]:
        monkeypatch.setattr(paths, name, value)
    files = {str(p.relative_to(root)) for p in provenance.page_code_files()}
    assert "analysis/stats/prevalence.py" in files and "analysis/chapters/page.py" in files
    assert "analysis/contract/data_contract.json" in files
    assert "analysis/compute/multiverse.py" in files  # the Multiverse page runs it
    assert "analysis/cache.py" in files  # the multiverse's cache is one
    assert not [f for f in files if f.startswith(("analysis/engine", "benchmarks"))]
    before = provenance.code_hash()
    with open(root / "analysis" / "engine" / "build.py", "a") as handle:
        handle.write("# an edit of the engine\n")
    assert provenance.code_hash() == before
    with open(root / "analysis" / "stats" / "prevalence.py", "a") as handle:
        handle.write("# an edit of the statistics\n")
    assert provenance.code_hash() != before
