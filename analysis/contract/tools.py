"""Appraisal tools declared as data (``appraisal_tools.json``), read without pandas.

The tools file is the only place an appraisal checklist's questions, and so their
numbers, are written: the contract's rules, the statistics of
:mod:`analysis.stats.quality` and the synthetic-data generator all read them here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analysis import paths

DEFAULT_TOOL = "casp_qualitative"


def read_tool(tool_id: str = DEFAULT_TOOL, path: Path = paths.APPRAISAL_TOOLS) -> dict[str, Any]:
    """One tool's declaration as written in the tools file.

    Raises
    ------
    KeyError
        No tool with that identifier (the message lists the tools there are).
    """
    spec = json.loads(path.read_text(encoding="utf-8"))
    tools = {t["tool_id"]: t for t in spec["tools"]}
    if tool_id not in tools:
        raise KeyError(f"{path.name} has no tool '{tool_id}'; it has: {', '.join(tools)}")
    return tools[tool_id]


def item_numbers(tool_id: str = DEFAULT_TOOL) -> list[int]:
    """The numbers of a tool's questions, in order."""
    return [int(item["item"]) for item in read_tool(tool_id)["items"]]
