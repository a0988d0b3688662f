"""A build's plan put in force for a test, as the build puts it in force for a page's
kernel (:mod:`analysis.plan`); monkeypatch restores the environment afterwards."""

from __future__ import annotations

from pathlib import Path

from analysis import paths
from analysis.plan import PLAN_ENV, BuildPlan, channel


def plan_in_force(monkeypatch, folder: Path, page: str | None = None,
                  name: str = "plan.json", **fields) -> BuildPlan:
    """Write a plan whose executed notebooks go to ``folder`` and put it in force, for
    ``page`` when given (its table log ``folder/<page>.reads``, its tables
    ``folder/<page>.run.tables``). ``fields`` are the plan's other fields."""
    fields.setdefault("pages_file", str(paths.PAGES))
    fields.setdefault("data_dir", str(paths.DATA_SYNTHETIC))
    plan = BuildPlan(executed_dir=str(folder), **fields)
    monkeypatch.setenv(PLAN_ENV, channel(plan.write(Path(folder) / name), page))
    return plan


def no_plan(monkeypatch) -> None:
    """No build in progress: a page logs no reads and exports no table."""
    # Set, then removed: monkeypatch records the variable's state before the set and
    # puts it back afterwards, so a plan a test puts in force with analysis.plan.enter
    # (as a page does) is gone too. delenv alone records nothing for an absent variable.
    monkeypatch.setenv(PLAN_ENV, "")
    monkeypatch.delenv(PLAN_ENV)
