"""The dependency declarations agree with each other."""

from __future__ import annotations

import re
import tomllib

import yaml

from analysis import paths


def _pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _pyproject() -> dict:
    return tomllib.loads(paths.PYPROJECT.read_text())


def test_pyproject_pins_every_dependency_exactly():
    project = _pyproject()["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    assert declared and all("==" in d for d in declared), declared


def test_environment_yml_has_the_same_pins_as_pyproject():
    project = _pyproject()["project"]
    from_pyproject = _pins(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == from_pyproject
    assert "python=3.11" in env["dependencies"]


def test_lock_agrees_with_the_pins():
    project = _pyproject()["project"]
    pins = _pins(project["dependencies"] + project["optional-dependencies"]["test"])
    lock = _pins(paths.LOCK.read_text().splitlines())
    for name, version in pins.items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"
    assert lock["jupyter-book"] == "1.0.4.post1"


def test_book_version_is_kept_in_one_place():
    from analysis import __version__

    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    dynamic = _pyproject()["tool"]["setuptools"]["dynamic"]
    assert dynamic["version"]["attr"] == "analysis.__version__"
