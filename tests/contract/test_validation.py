"""A page's kernel takes the package the build validated, without hashing the data again,
and still notices a file changed since the build hashed it
(:func:`analysis.contract.validation.load_package`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis.contract import files
from analysis.contract.files import PackageFiles
from analysis.contract.validation import load_package, save_validated
from analysis.plan import PLAN_ENV, BuildPlan, channel

FIXTURE = Path(__file__).parents[1] / "fixtures" / "packages" / "appraisal_only"
MARK = "taken from the build"


@pytest.fixture
def planned(tmp_path, monkeypatch) -> Path:
    """A copy of a package, validated and stored by a 'build' whose plan is in force for
    a page's kernel; the stored package carries a mark that validation never writes.
    Hashing the package is then an error: the kernel must not read the files."""
    data = Path(shutil.copytree(FIXTURE, tmp_path / "data"))
    executed = tmp_path / "executed"
    executed.mkdir()
    package = PackageFiles.at(data)
    plan = BuildPlan(data_dir=str(data), pages_file=str(tmp_path / "pages.yml"),
                     executed_dir=str(executed), data_hashes=package.hashes,
                     data_stats=package.stats)
    monkeypatch.setenv(PLAN_ENV, "")
    monkeypatch.delenv(PLAN_ENV)
    typed = load_package(data)  # no plan in force yet: validated from the files
    typed.warnings.append(MARK)
    save_validated(typed, plan.validated_package(), package.fingerprint)
    monkeypatch.setenv(PLAN_ENV, channel(plan.write(tmp_path / "plan.json"), "appraisal"))

    def no_hashing(*_args, **_kwargs):
        raise AssertionError("a kernel hashed the data package again")

    monkeypatch.setattr(files, "file_hashes", no_hashing)
    return data


def test_a_kernel_takes_the_builds_package_without_hashing_the_data(planned):
    assert MARK in load_package(planned).warnings


def test_a_file_rewritten_after_planning_is_validated_again(planned):
    studies = planned / "studies.csv"
    text = studies.read_text(encoding="utf-8")
    studies.write_text(text.replace("Lindqvist", "Lindqvist-Berg"), encoding="utf-8")
    package = load_package(planned)
    assert MARK not in package.warnings
    assert "Lindqvist-Berg" in set(package.tables["studies"]["first_author"])


def test_a_file_replaced_by_one_of_the_same_size_and_time_is_validated_again(planned):
    studies = planned / "studies.csv"
    before = os.stat(studies)
    # The same size and modification time, another file (an editor's save by rename).
    replacement = planned / "studies.csv.new"
    replacement.write_bytes(studies.read_bytes().replace(b"Lindqvist", b"Lindqvisk"))
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    replacement.replace(studies)
    assert os.stat(studies).st_size == before.st_size
    package = load_package(planned)
    assert MARK not in package.warnings
    assert "Lindqvisk" in set(package.tables["studies"]["first_author"])
