"""Appraisal tools declared as data (``appraisal_tools.json``), read without pandas.

The tools file is the only place an appraisal checklist's questions, answers and their
numbers are written: the contract's rules, the statistics of
:mod:`analysis.stats.quality`, the banding rules and the synthetic-data generator all
read them here. A package names the tool it used in ``study.appraisal.tool``: the
``tool_id`` of a shipped tool (``casp_qualitative``, ``jbi_qualitative``,
``jbi_prevalence``), or an object with the same keys as a tool of the file, for a
checklist the book does not ship. Without it, the CASP Qualitative Checklist is in
force.

Every answer has a *role*: ``favourable``, ``uncertain``, ``unfavourable`` or
``not_applicable``. A banding rule speaks of Can't tell and No answers
(:mod:`analysis.contract.banding`); for any tool, an uncertain answer (JBI's Unclear)
counts as a Can't tell, an unfavourable one as a No, and a not-applicable one is left
out (:func:`banding_codes`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from analysis import paths

DEFAULT_TOOL = "casp_qualitative"
ROLES = ("favourable", "uncertain", "unfavourable", "not_applicable")
# What each role counts as under a banding rule (whose words are CASP's): None is not
# counted at all.
ROLE_AS_BANDING_CODE = {"favourable": "yes", "uncertain": "cant_tell", "unfavourable": "no",
                        "not_applicable": None}
# Answers a tool may give as bare codes (older tools files): their label and role.
PLAIN_ANSWERS = {"yes": ("Yes", "favourable"), "cant_tell": ("Can't tell", "uncertain"),
                 "unclear": ("Unclear", "uncertain"), "no": ("No", "unfavourable"),
                 "not_applicable": ("Not applicable", "not_applicable")}
TOOL_KEYS = ("tool_id", "name", "version", "publisher", "url", "reference", "citation",
             "answers", "sections", "items", "notes", "method")
ITEM_KEYS = ("item", "question", "short_label", "section", "screening")
ANSWER_KEYS = ("code", "label", "role")
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
OWN_TOOL_EXAMPLE = ('{"tool_id": "my_checklist", "name": "My checklist", "answers": '
                    '[{"code": "yes", "label": "Yes", "role": "favourable"}, {"code": "no", '
                    '"label": "No", "role": "unfavourable"}], "items": [{"item": 1, '
                    '"question": "Was ...?", "short_label": "Aims"}]}')


def _tools_file(path: Path = paths.APPRAISAL_TOOLS) -> dict[str, dict[str, Any]]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    return {t["tool_id"]: t for t in spec["tools"]}


def known_tools(path: Path = paths.APPRAISAL_TOOLS) -> tuple[str, ...]:
    """The identifiers of the tools the book ships, in the file's order."""
    return tuple(_tools_file(path))


def normalised(spec: dict[str, Any]) -> dict[str, Any]:
    """A tool's declaration with every answer as ``{code, label, role}`` and every
    optional key present (``sections`` and ``notes`` empty, texts empty)."""
    tool = dict(spec)
    answers = []
    for answer in tool.get("answers", []):
        if isinstance(answer, str):
            label, role = PLAIN_ANSWERS.get(answer, (answer, "uncertain"))
            answer = {"code": answer, "label": label, "role": role}
        answers.append(dict(answer))
    tool["answers"] = answers
    for key in ("version", "publisher", "url", "reference", "citation", "method"):
        tool[key] = str(tool.get(key) or "")
    tool["sections"] = list(tool.get("sections") or [])
    tool["notes"] = list(tool.get("notes") or [])
    return tool


def read_tool(tool: str | dict[str, Any] = DEFAULT_TOOL,
              path: Path = paths.APPRAISAL_TOOLS) -> dict[str, Any]:
    """One tool's declaration: a shipped tool by its identifier, or a package's own tool
    (an object, as ``study.appraisal.tool`` declares it), normalised (:func:`normalised`).

    Raises
    ------
    KeyError
        No shipped tool with that identifier (the message lists the tools there are).
    """
    if isinstance(tool, dict):
        return normalised(tool)
    tools = _tools_file(path)
    if tool not in tools:
        raise KeyError(f"{path.name} has no tool '{tool}'; it has: {', '.join(tools)}")
    return normalised(tools[tool])


def item_numbers(tool: str | dict[str, Any] = DEFAULT_TOOL) -> list[int]:
    """The numbers of a tool's questions, in order."""
    return [int(item["item"]) for item in read_tool(tool)["items"]]


def answer_codes(tool: str | dict[str, Any] = DEFAULT_TOOL) -> list[str]:
    """The codes of a tool's answers, most favourable first (what casp_ratings takes)."""
    return [a["code"] for a in read_tool(tool)["answers"]]


def answer_labels(tool: str | dict[str, Any] = DEFAULT_TOOL) -> dict[str, str]:
    """A tool's answer codes mapped to the labels the pages show, in the tool's order."""
    return {a["code"]: a["label"] for a in read_tool(tool)["answers"]}


def banding_codes(tool: str | dict[str, Any] = DEFAULT_TOOL) -> dict[str, str | None]:
    """Each answer code of a tool as a banding rule counts it: ``yes``, ``cant_tell``,
    ``no``, or None (not applicable: not counted)."""
    return {a["code"]: ROLE_AS_BANDING_CODE[a["role"]] for a in read_tool(tool)["answers"]}


def declared_tool(appraisal: Any) -> str | dict[str, Any]:
    """What ``study.appraisal`` names as its tool, as declared (the default when none)."""
    if isinstance(appraisal, dict) and isinstance(appraisal.get("tool"), (str, dict)):
        return appraisal["tool"]
    return DEFAULT_TOOL


def tool_in_force(appraisal: Any) -> dict[str, Any]:
    """The tool a package's ``study.appraisal`` puts in force, normalised.

    A name the book does not ship, or an object that is not a tool, falls back to the
    default: :func:`tool_problems` (run by validation) says what is wrong with it.
    """
    declared = declared_tool(appraisal)
    if tool_problems(declared):
        return read_tool(DEFAULT_TOOL)
    return read_tool(declared)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def tool_problems(declared: Any, where: str = "study.appraisal.tool",
                  path: Path = paths.APPRAISAL_TOOLS) -> list[tuple[str, str]]:
    """What is wrong with a declared tool, as ``(key, message)`` pairs (none: it is usable).

    A name must be one of the shipped tools; an object must have a ``tool_id`` that no
    shipped tool has, a ``name``, answers (each with a code, a label and a role, at least
    one favourable) and questions numbered 1 to n, each with its wording and short label.
    """
    shipped = _tools_file(path)
    if isinstance(declared, str):
        if declared in shipped:
            return []
        return [(where, f"'{declared}' is not an appraisal tool the book knows; known tools: "
                        f"{', '.join(shipped)}; or declare your own as an object, e.g. "
                        f"{OWN_TOOL_EXAMPLE}")]
    if not isinstance(declared, dict):
        return [(where, f"must be the name of a tool ({', '.join(shipped)}) or an object "
                        f"declaring your own, e.g. {OWN_TOOL_EXAMPLE}")]
    problems = _unknown_keys(declared, TOOL_KEYS, where, "a tool")
    tool_id = declared.get("tool_id")
    if not (isinstance(tool_id, str) and CODE.match(tool_id)):
        problems.append((f"{where}.tool_id", "must be a short code in lower case (letters, "
                                             "digits, _), such as \"my_checklist\""))
    elif tool_id in shipped:
        problems.append((f"{where}.tool_id", f"'{tool_id}' is the identifier of a tool the "
                                             f"book ships; write \"tool\": \"{tool_id}\" to use "
                                             "it, or give your own tool another identifier"))
    if not _text(declared.get("name")):
        problems.append((f"{where}.name", "is missing; write the checklist's name as "
                                          "published"))
    for key in ("version", "publisher", "url", "reference", "citation", "method"):
        if key in declared and not isinstance(declared[key], str):
            problems.append((f"{where}.{key}", "must be text in double quotes"))
    problems += _answer_problems(declared.get("answers"), f"{where}.answers")
    sections = declared.get("sections", [])
    section_ids = set()
    if not isinstance(sections, list) or not all(
            isinstance(s, dict) and _text(s.get("section")) and _text(s.get("title"))
            for s in sections):
        problems.append((f"{where}.sections", "must be a list of {\"section\": \"A\", "
                                              "\"title\": \"...\"} (or left out)"))
    else:
        section_ids = {s["section"] for s in sections}
    problems += _item_problems(declared.get("items"), f"{where}.items", section_ids)
    notes = declared.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        problems.append((f"{where}.notes", "must be a list of sentences"))
    return problems


def _unknown_keys(declared: dict, keys: tuple[str, ...], where: str,
                  what: str) -> list[tuple[str, str]]:
    """One problem for each key of ``declared`` that ``keys`` does not list."""
    return [(f"{where}.{key}", f"is not a key of {what}; the keys are: {', '.join(keys)}")
            for key in sorted(set(declared) - set(keys))]


def _answer_problems(answers: Any, where: str) -> list[tuple[str, str]]:
    example = '{"code": "unclear", "label": "Unclear", "role": "uncertain"}'
    if not isinstance(answers, list) or len(answers) < 2:
        return [(where, f"must list at least two answers, most favourable first, each such as "
                        f"{example}")]
    problems, codes = [], set()
    for i, answer in enumerate(answers):
        at = f"{where}[{i}]"
        if not isinstance(answer, dict):
            problems.append((at, f"must be an object such as {example}"))
            continue
        problems += _unknown_keys(answer, ANSWER_KEYS, at, "an answer")
        code = answer.get("code")
        if not (isinstance(code, str) and CODE.match(code)):
            problems.append((f"{at}.code", "must be a short code in lower case, such as "
                                           "\"unclear\": the value casp_ratings.csv holds"))
        elif code in codes:
            problems.append((f"{at}.code", f"'{code}' is declared twice"))
        else:
            codes.add(code)
        if not _text(answer.get("label")):
            problems.append((f"{at}.label", "is missing; write the answer as the checklist "
                                            "prints it, such as \"Unclear\""))
        if answer.get("role") not in ROLES:
            problems.append((f"{at}.role", f"{json.dumps(answer.get('role'))} is not a role; "
                                           f"write one of: {', '.join(ROLES)}"))
    if not problems and not any(a["role"] == "favourable" for a in answers):
        problems.append((where, "has no favourable answer; give the answer that meets the "
                                "question (such as Yes) the role \"favourable\""))
    return problems


def _item_problems(items: Any, where: str, sections: set[str]) -> list[tuple[str, str]]:
    example = '{"item": 1, "question": "Was ...?", "short_label": "Aims"}'
    if not isinstance(items, list) or not items:
        return [(where, f"must list the questions in order, each such as {example}")]
    problems = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append((at, f"must be an object such as {example}"))
            continue
        problems += _unknown_keys(item, ITEM_KEYS, at, "a question")
        number = item.get("item")
        if isinstance(number, bool) or number != i + 1:
            problems.append((f"{at}.item", f"{json.dumps(number)} must be {i + 1}: the "
                                           "questions are numbered 1 to n in order"))
        for key in ("question", "short_label"):
            if not _text(item.get(key)):
                problems.append((f"{at}.{key}", "is missing" + (
                    "; write the question as the checklist prints it" if key == "question"
                    else "; write a few words that name it in tables, such as \"Aims\"")))
        if "section" in item and item["section"] not in sections:
            problems.append((f"{at}.section", f"{json.dumps(item['section'])} is not a "
                                              "section declared in sections"))
        if "screening" in item and not isinstance(item["screening"], bool):
            problems.append((f"{at}.screening", "must be true or false without quotes"))
    return problems
