"""Reading and validating a data package against the contract.

Every problem is reported as ``file:row:column: what is wrong and what is allowed``,
where *row* is the line number in the CSV file (the header is line 1), so that a
researcher can go straight to the cell. Checks of single tables are here; checks that
relate rows and tables to each other are :mod:`analysis.contract.rules`, run once every
table is typed and its keys are clean.

A table declared with a header and no rows is named with what needs its rows: the
pages of the book, which the contract does not know; the caller says them
(``needed_for``, :func:`analysis.pages.needs.pages_needing` for the book's pages).

References
----------
Frictionless Data, *Data Package* and *Table Schema* specifications,
https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import json
import math
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import plan as build_plan
from analysis import paths
from analysis.contract import reading, rules
from analysis.contract.errors import (DataPackageError, InputError, Problem, ValidationReport,
                                      quoted)
from analysis.contract.escape import terminal_text
from analysis.contract.import_log import IMPORT_LOG_NAME, read_import_log
from analysis.contract.files import file_stats, fingerprint, fingerprint_of
from analysis.contract.package import (FIXED_VOCABULARIES, DataPackage, contract_resources,
                                       not_reported)
from analysis.contract.study import iso_date
from analysis.contract.study import read_study
from analysis.contract.tools import DEFAULT_TOOL, tool_in_force

TRUE_VALUES = {"true", "True", "TRUE", "1"}
FALSE_VALUES = {"false", "False", "FALSE", "0"}
MAX_PROBLEMS_PER_CHECK = 20
LARGEST_INTEGER = 2**53  # whole numbers beyond this lose digits as numbers
LARGEST_NUMBER = 1e15
# Columns renamed so that their names hold for any study: (table, old name) -> new name.
RENAMED_COLUMNS = {("studies", "n_clinicians"): "n_participants"}
# What needs a table's rows, in words ("Prevalence context; Prevalence meta-analysis"),
# for the message on a table without rows; without it, "the book".
NeededFor = Callable[[str], str]


def _the_book(table: str) -> str:
    return "the book"


# --------------------------------------------------------------------------- reading


def _read_descriptor(data_dir: Path, report: ValidationReport) -> dict[str, Any]:
    path = data_dir / paths.DATAPACKAGE_NAME
    if not path.exists():
        report.problems.append(
            Problem(paths.DATAPACKAGE_NAME, None, None,
                    "file not found; copy data_synthetic/datapackage.json into the folder "
                    "and set its 'synthetic' to false")
        )
        return {}
    descriptor, problems, warnings = reading.read_json(path, paths.DATAPACKAGE_NAME)
    report.problems.extend(problems)
    report.warnings.extend(warnings)
    if problems:
        return {}
    shape = _descriptor_shape(descriptor)
    if shape:
        report.problems.extend(shape)
        return descriptor if isinstance(descriptor, dict) else {}
    declared = {r.get("name"): r for r in descriptor.get("resources", [])}
    contract = contract_resources()
    for name in declared:
        if name not in contract:
            report.problems.append(
                Problem(paths.DATAPACKAGE_NAME, None, None,
                        f"resource '{name}' is not a table of the contract; its tables are: "
                        f"{', '.join(contract)}"))
    for name, res in contract.items():
        mine = declared.get(name)
        if mine is None:
            if (data_dir / res["path"]).exists():
                report.problems.append(
                    Problem(res["path"], None, None,
                            f"is in the folder but resource '{name}' is not declared in "
                            f"{paths.DATAPACKAGE_NAME}; declare it (copy its entry from "
                            "data_synthetic/datapackage.json) or remove the file"))
            continue
        schema = mine.get("schema", {})
        fields = schema.get("fields", []) if isinstance(schema, dict) else []
        fields = fields if isinstance(fields, list) else []
        own = [f for f in fields if not _is_covariate(f)]
        have = [(f.get("name"), f.get("type")) if isinstance(f, dict) else (f, None)
                for f in own]
        renamed = _renamed_fields(name, res["path"], [n for n, _ in have])
        report.problems.extend(renamed)
        if renamed:
            have = [(RENAMED_COLUMNS.get((name, n), n), t) for n, t in have]
        contract_names = {f["name"] for f in res["schema"]["fields"]}
        unknown = [n for n, _ in have if isinstance(n, str) and n not in contract_names
                   and n not in {old for (w, old) in RENAMED_COLUMNS if w == name}]
        for field_name in unknown:
            report.problems.append(Problem(
                paths.DATAPACKAGE_NAME, None, f"{name}.{field_name}",
                f"'{field_name}' is not a column of the contract's table '{name}'"
                + ("; to keep it as a study-level covariate (a subgroup or moderator), add "
                   '"role": "covariate" to its declaration' if name in COVARIATE_TABLES
                   else f"; its columns are: {', '.join(sorted(contract_names))}")))
        have = [(n, t) for n, t in have if n not in unknown]
        declared_names = {n for n, _ in have}
        want = [(f["name"], f["type"]) for f in res["schema"]["fields"]
                if not f.get("optional") or f["name"] in declared_names]
        if want != have:
            report.problems.append(
                Problem(paths.DATAPACKAGE_NAME, None, None,
                        f"resource '{name}' declares fields {have} but the contract has "
                        f"{want}; copy the schema from data_synthetic/datapackage.json")
            )
        report.problems.extend(_declared_field_problems(name, res, fields))
    study, problems = read_study(descriptor)
    report.problems.extend(problems)
    if not study.title.strip():
        report.warnings.append(
            Problem(paths.DATAPACKAGE_NAME, None, "study.title",
                    "is empty; the book and its first page take their title from it, so "
                    "write your study's title there"))
    return descriptor


def _renamed_fields(table: str, file: str, names: list[Any]) -> list[Problem]:
    """A problem for each field of a table declared under a name it no longer has."""
    return [Problem(paths.DATAPACKAGE_NAME, None, f"{table}.{old}",
                    f"the field '{old}' was renamed to '{new}'; rename it in "
                    f"{paths.DATAPACKAGE_NAME} and in the header of {file}")
            for (where, old), new in RENAMED_COLUMNS.items()
            if where == table and old in names and new not in names]


def _renamed_columns(table: str, problems: list[Problem]) -> list[Problem]:
    """Header problems with a renamed column said as one rename, not two problems."""
    renamed = {old: new for (where, old), new in RENAMED_COLUMNS.items() if where == table}
    old_in_header = {p.column for p in problems
                     if p.column in renamed and p.message.startswith("unexpected column")}
    out = []
    for problem in problems:
        if problem.column in old_in_header and problem.message.startswith("unexpected"):
            out.append(Problem(problem.file, problem.row, problem.column,
                               f"the column was renamed to '{renamed[problem.column]}'; "
                               "rename it in the header"))
        elif not (problem.column in {renamed[old] for old in old_in_header}
                  and problem.message.startswith("column missing")):
            out.append(problem)
    return out


def _descriptor_shape(descriptor: Any) -> list[Problem]:
    """What keeps ``datapackage.json`` from being read as a package descriptor."""
    file = paths.DATAPACKAGE_NAME
    if not isinstance(descriptor, dict):
        return [Problem(file, None, None,
                        f"must be a JSON object ({{...}}), not a {_json_kind(descriptor)}; "
                        "start from data_synthetic/datapackage.json")]
    problems = []
    resources = descriptor.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        problems.append(Problem(file, None, "resources",
                                "must be a list ([...]) of objects, one per table, not a "
                                f"{_json_kind(resources)}; copy it from "
                                "data_synthetic/datapackage.json"))
    if "synthetic" in descriptor and not isinstance(descriptor["synthetic"], bool):
        problems.append(Problem(file, None, "synthetic",
                                f"{json.dumps(descriptor['synthetic'])} is not a JSON boolean; "
                                "write true or false without quotes"))
    fieldwork = descriptor.get("fieldwork", {})
    if not isinstance(fieldwork, dict):
        problems.append(Problem(file, None, "fieldwork",
                                "must be an object with 'start' and 'end' dates"))
    elif fieldwork:
        for first, second in (("start", "end"), ("suspension_start", "suspension_end")):
            given = [k for k in (first, second) if k in fieldwork]
            if len(given) == 1:
                missing = second if given == [first] else first
                problems.append(Problem(file, None, f"fieldwork.{missing}",
                                        f"is missing: a period needs both '{first}' and "
                                        f"'{second}'"))
        for key, value in fieldwork.items():
            if key in ("start", "end", "suspension_start", "suspension_end") and not (
                    isinstance(value, str) and iso_date(value)):
                problems.append(Problem(file, None, f"fieldwork.{key}",
                                        f"{json.dumps(value)} is not a date written "
                                        "YYYY-MM-DD (for example 2019-08-01); dates such as "
                                        "01/08/2019 are ambiguous and not read"))
    return problems


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


CONTRACT_DEFAULT = "the contract's defaults"
# Tables whose rows are studies: a package may declare study-level covariates there.
COVARIATE_TABLES = ("studies", "prevalence_studies")
COVARIATE_TYPES = ("number", "integer", "string", "boolean")
LIMITS = ("minimum", "maximum")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _is_covariate(fdef: Any) -> bool:
    return isinstance(fdef, dict) and fdef.get("role") == "covariate"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _own_constraints(fdef: dict[str, Any]) -> dict[str, Any]:
    cons = fdef.get("constraints")
    return cons if isinstance(cons, dict) else {}


def _widens(contract_field: dict[str, Any], key: str, value: Any) -> bool:
    """Whether a package's limit widens a limit the method fixes."""
    if key not in contract_field.get("methodLimits", ()):
        return False
    fixed = contract_field["constraints"][key]
    return value < fixed if key == "minimum" else value > fixed


def _declared_field_problems(table: str, res: dict[str, Any],
                             fields: list[Any]) -> list[Problem]:
    """What the package's own field declarations ask that the contract does not allow:
    empty cells in a column that must always be reported, a limit wider than the method
    allows, a covariate that cannot be read."""
    where_file = paths.DATAPACKAGE_NAME
    contract = {f["name"]: f for f in res["schema"]["fields"]}
    problems = []
    for fdef in fields:
        if not isinstance(fdef, dict) or not isinstance(fdef.get("name"), str):
            continue
        name = fdef["name"]
        where = f"{table}.{name}"
        cons = _own_constraints(fdef)
        if _is_covariate(fdef):
            problems += _covariate_problems(table, res, fdef, where)
            continue
        base = contract.get(name)
        if base is None:
            continue
        if cons.get("required") is False and base.get("alwaysReported"):
            problems.append(Problem(where_file, None, where, (
                "constraints.required cannot be false here: a key or a count the "
                "statistics need must be reported on every row")))
        for key in LIMITS:
            if key not in cons:
                continue
            value = cons[key]
            if not _number(value):
                problems.append(Problem(where_file, None, f"{where}.constraints.{key}",
                                        f"{json.dumps(value)} must be a number without "
                                        "quotes"))
            elif base["type"] not in ("integer", "number"):
                problems.append(Problem(where_file, None, f"{where}.constraints.{key}",
                                        f"the column holds {base['type']} values; a {key} "
                                        "applies to numbers only"))
            elif _widens(base, key, value):
                fixed = base["constraints"][key]
                problems.append(Problem(where_file, None, f"{where}.constraints.{key}", (
                    f"{value:g} is {'below' if key == 'minimum' else 'above'} {fixed}, the "
                    f"{key} the method fixes for {name}; a package may narrow this limit, "
                    "never widen it")))
        labels = fdef.get("categoryLabels")
        if labels is not None and not (isinstance(labels, dict) and all(
                isinstance(v, str) for v in labels.values())):
            problems.append(Problem(where_file, None, f"{where}.categoryLabels",
                                    'must map each code to its label, such as {"hospital": '
                                    '"Hospital sample"}'))
    return problems


def _covariate_problems(table: str, res: dict[str, Any], fdef: dict[str, Any],
                        where: str) -> list[Problem]:
    """Why a declared covariate cannot be read (none: it can)."""
    file = paths.DATAPACKAGE_NAME
    name = fdef["name"]
    example = ('{"name": "mean_age", "type": "number", "role": "covariate", "title": "Mean '
               'age", "unit": "years"}')
    if table not in COVARIATE_TABLES:
        return [Problem(file, None, where, f"covariates are study-level: declare them in "
                                           f"{' or '.join(COVARIATE_TABLES)}, not in {table}")]
    if name in {f["name"] for f in res["schema"]["fields"]}:
        return [Problem(file, None, where, f"'{name}' is a column of the contract; remove "
                                           '"role": "covariate" from it')]
    if not NAME.match(name):
        return [Problem(file, None, where, f"'{name}' cannot name a covariate: use lower-case "
                                           "letters, digits and _, starting with a letter, "
                                           "such as mean_age")]
    if fdef.get("type") not in COVARIATE_TYPES:
        return [Problem(file, None, f"{where}.type", (
            f"{json.dumps(fdef.get('type'))} is not a covariate type; write one of: "
            f"{', '.join(COVARIATE_TYPES)} (string for categories), e.g. {example}"))]
    problems = []
    cons = _own_constraints(fdef)
    enum = cons.get("enum")
    if enum is not None and (fdef["type"] != "string" or not isinstance(enum, list) or not enum
                             or not all(isinstance(v, str) and v for v in enum)):
        problems.append(Problem(file, None, f"{where}.constraints.enum",
                                "the categories of a covariate are a list of codes in double "
                                "quotes, on a covariate of type string"))
    for key in LIMITS:
        if key in cons and (not _number(cons[key]) or fdef["type"] not in ("number",
                                                                            "integer")):
            problems.append(Problem(file, None, f"{where}.constraints.{key}",
                                    f"a {key} is a number without quotes, on a covariate of "
                                    "type number or integer"))
    for key in ("title", "unit", "description"):
        if key in fdef and not isinstance(fdef[key], str):
            problems.append(Problem(file, None, f"{where}.{key}", "must be text in double "
                                                                  "quotes"))
    return problems


def _tool_vocabulary(descriptor: dict[str, Any]) -> tuple[list[str], dict[str, str], str]:
    """The answers the appraisal tool in force allows, their labels, and where they come
    from (the contract's defaults when it is the default tool)."""
    study = descriptor.get("study") if isinstance(descriptor.get("study"), dict) else {}
    tool = tool_in_force(study.get("appraisal"))
    source = (CONTRACT_DEFAULT if tool["tool_id"] == DEFAULT_TOOL else
              f"the appraisal tool '{tool['name']}'")
    return ([a["code"] for a in tool["answers"]], {a["code"]: a["label"] for a in
                                                   tool["answers"]}, source)


def resources_in_force(descriptor: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The contract's declared tables, with what the package declares of its own applied.

    Only the tables the package declares, in contract order; in each, the contract's
    columns (an ``optional`` one only when the package declares it) and then the
    covariates the package declares (``role: covariate``). On a column of the contract,
    the package's own field may give:

    - its categories: ``constraints.enum`` replaces the contract's, ``categoryLabels``
      relabel the codes in force (also the contract's own); the categories a method
      fixes (:data:`FIXED_VOCABULARIES`) stay, and the answers of ``casp_ratings.rating``
      are the appraisal tool's in force;
    - ``constraints.required: false`` (not on an ``alwaysReported`` column): an empty
      cell is a value the source did not report;
    - ``constraints.minimum`` / ``maximum``: its own limits in place of the contract's
      defaults (a limit the method fixes may only be narrowed);
    - ``title``: how pages head the column.

    Each field in force records where its categories came from under
    ``"vocabularySource"``.
    """
    declared = {r.get("name"): r for r in descriptor.get("resources", [])
                if isinstance(r, dict)}
    answers, answer_labels, answer_source = _tool_vocabulary(descriptor)
    in_force = {}
    for name, res in contract_resources().items():
        if name not in declared:
            continue
        schema = declared[name].get("schema", {})
        own_fields = [f for f in (schema.get("fields", []) if isinstance(schema, dict) else [])
                      if isinstance(f, dict)]
        mine = {f.get("name"): f for f in own_fields}
        fields = []
        for fdef in res["schema"]["fields"]:
            if fdef.get("optional") and fdef["name"] not in mine:
                continue  # a column the package leaves out: not reported for any row
            fdef = dict(fdef, constraints=dict(fdef.get("constraints", {})))
            own = mine.get(fdef["name"], {})
            cons = _own_constraints(own)
            own_enum = cons.get("enum")
            if "enum" in fdef["constraints"]:
                fdef["vocabularySource"] = CONTRACT_DEFAULT
            if (name, fdef["name"]) == ("casp_ratings", "rating"):
                fdef["constraints"]["enum"] = answers
                fdef["categoryLabels"] = answer_labels
                fdef["vocabularySource"] = answer_source
            elif (own_enum and isinstance(own_enum, list) and fdef["type"] == "string"
                    and (name, fdef["name"]) not in FIXED_VOCABULARIES
                    and own_enum != fdef["constraints"].get("enum")):
                fdef["constraints"]["enum"] = [str(v) for v in own_enum]
                fdef["categoryLabels"] = {}
                fdef["vocabularySource"] = paths.DATAPACKAGE_NAME
            labels = own.get("categoryLabels")
            if ("enum" in fdef["constraints"] and isinstance(labels, dict)
                    and (name, fdef["name"]) not in FIXED_VOCABULARIES):
                # The package's own labels, whether or not its codes are the contract's.
                fdef["categoryLabels"] = {**fdef.get("categoryLabels", {}), **{
                    str(k): v for k, v in labels.items() if isinstance(v, str)}}
            if cons.get("required") is False and not fdef.get("alwaysReported"):
                fdef["constraints"]["required"] = False
            for key in LIMITS:
                value = cons.get(key)
                if (_number(value) and fdef["type"] in ("integer", "number")
                        and not _widens(fdef, key, value)):
                    fdef["constraints"][key] = value
            if isinstance(own.get("title"), str) and own["title"].strip():
                fdef["title"] = own["title"].strip()
            fields.append(fdef)
        if name in COVARIATE_TABLES:
            contract_names = {f["name"] for f in res["schema"]["fields"]}
            for own in own_fields:
                if _is_covariate(own) and isinstance(own.get("name"), str) \
                        and own["name"] not in contract_names \
                        and not _covariate_problems(name, res, own, ""):
                    fields.append(_covariate_in_force(own))
        in_force[name] = dict(res, schema=dict(res["schema"], fields=fields))
    return in_force


def _covariate_in_force(own: dict[str, Any]) -> dict[str, Any]:
    """A declared covariate as the validation reads it: its cells may be empty (not
    reported) unless it says ``required: true``."""
    cons = dict(_own_constraints(own))
    cons["required"] = cons.get("required") is True
    fdef = {"name": own["name"], "type": own["type"], "role": "covariate",
            "title": str(own.get("title") or own["name"].replace("_", " ").capitalize()),
            "description": str(own.get("description") or ""),
            "unit": str(own.get("unit") or ""), "constraints": cons}
    if own["type"] == "string" and cons.get("enum"):
        labels = own.get("categoryLabels") if isinstance(own.get("categoryLabels"),
                                                          dict) else {}
        fdef["categoryLabels"] = {str(k): v for k, v in labels.items() if isinstance(v, str)}
        fdef["vocabularySource"] = paths.DATAPACKAGE_NAME
    return fdef


def _read_raw(data_dir: Path, res: dict[str, Any], report: ValidationReport,
              needed_for: NeededFor = _the_book) -> pd.DataFrame | None:
    """Read one CSV as text, check its header and rows; index = line in the file."""
    file = res["path"]
    expected = [f["name"] for f in res["schema"]["fields"]]
    table, problems, warnings = reading.read_csv(data_dir / file, file, expected)
    report.problems.extend(_renamed_columns(res["name"], problems))
    report.warnings.extend(warnings)
    if table is None:
        return None
    if not table.lines and not problems:
        report.problems.append(
            Problem(file, None, None,
                    "has a header but no rows; the table "
                    f"'{res['name']}' needs at least one row for: "
                    f"{needed_for(res['name'])}"))
    index = pd.Index(table.lines, dtype="int64")  # index = line number in the file
    raw = pd.DataFrame({name: np.asarray(table.columns[name], dtype=object)
                        for name in expected}, index=index)
    _normalise(raw, res, file, report)
    return raw


def _normalise(raw: pd.DataFrame, res: dict[str, Any], file: str,
               report: ValidationReport) -> None:
    """Accept the safe variants of a cell, with one warning per column.

    The same rule for every table: spaces around a value are removed, and in a column of
    allowed values a value that matches a code or the label the book shows for it,
    ignoring case, is read as the code.
    """
    for fdef in res["schema"]["fields"]:
        name = fdef["name"]
        codes, uniques = pd.factorize(raw[name])  # distinct texts, stripped once each
        stripped = np.array([u.strip() for u in uniques], dtype=object)
        changed = stripped != np.asarray(uniques, dtype=object)
        if changed.any():
            spaced = changed[codes]
            first = int(raw.index[spaced][0])
            report.warnings.append(Problem(
                file, None, name,
                f"{int(spaced.sum())} cell(s) had spaces before or after the value (first "
                f"on line {first}: {quoted(raw[name][spaced].iloc[0])}); the spaces were removed"))
            raw[name] = stripped[codes] if len(codes) else raw[name]
        allowed = fdef.get("constraints", {}).get("enum")
        if not allowed:
            continue
        allowed = [str(a) for a in allowed]
        labels = fdef.get("categoryLabels", {})
        lookup = {a.lower(): a for a in allowed}
        lookup.update({str(label).strip().lower(): code for code, label in labels.items()
                       if str(label).strip().lower() not in lookup})
        values = raw[name]
        off = ~values.isin(allowed) & (values != "")
        if not off.any():
            continue
        mapped = values[off].str.lower().map(lookup)
        fixed = mapped.notna()
        if not fixed.any():
            continue
        examples = {}
        for before, after in zip(values[off][fixed], mapped[fixed]):
            examples.setdefault(before, after)
        shown = ", ".join(f"{quoted(b)} as '{a}'" for b, a in list(examples.items())[:4])
        first = int(values[off][fixed].index[0])
        report.warnings.append(Problem(
            file, None, name,
            f"{int(fixed.sum())} cell(s) read as the allowed code (first on line {first}): "
            f"{shown}; write the codes ({', '.join(allowed)}) to silence this warning"))
        values = values.copy()
        values[mapped[fixed].index] = mapped[fixed]
        raw[name] = values


def _add(report: ValidationReport, file: str, rows, column: str, message) -> None:
    """Add one problem per offending row (capped, with a count of the rest)."""
    rows = list(rows)
    for row in rows[:MAX_PROBLEMS_PER_CHECK]:
        text = message(row) if callable(message) else message
        report.problems.append(Problem(file, int(row), column, text))
    if len(rows) > MAX_PROBLEMS_PER_CHECK:
        report.problems.append(
            Problem(file, None, column,
                    f"... and {len(rows) - MAX_PROBLEMS_PER_CHECK} more rows with the same problem")
        )


SHOWN_LINES = 5  # the first lines a message lists of the rows it is about


def _lines(rows) -> str:
    """The first few line numbers of some rows, and how many more there are."""
    rows = [int(r) for r in rows]
    shown = ", ".join(map(str, rows[:SHOWN_LINES]))
    return shown + (f" and {len(rows) - SHOWN_LINES} more" if len(rows) > SHOWN_LINES else "")


def _some(values: list[str]) -> str:
    """A few values of a column, quoted, and how many others there are."""
    shown = ", ".join(quoted(v) for v in values[:3])
    return shown + (f" (and {len(values) - 3} other values)" if len(values) > 3 else "")


def _add_once(report: ValidationReport, file: str, rows: list, column: str, what: str,
              advice: str = "") -> None:
    """One problem for a column, however many rows it is about: located at the first
    row, saying how many rows and which lines, with what to do once."""
    report.problems.append(Problem(file, int(rows[0]), column,
                                   what + ("." + advice if advice else "")))


def res_name(file: str) -> str:
    """The table of a contract's file (``studies.csv`` is ``studies``)."""
    return next((name for name, res in contract_resources().items() if res["path"] == file),
                file.removesuffix(".csv"))


def _not_allowed(bad: pd.Series, allowed: list[str], fdef: dict[str, Any]) -> str:
    """The values outside a column's categories, with how many rows hold each."""
    counts = bad.value_counts(sort=False)
    source = fdef.get("vocabularySource", CONTRACT_DEFAULT)
    if (res_name(fdef.get("_file", "")), fdef["name"]) in FIXED_VOCABULARIES \
            and not source.startswith("the appraisal tool"):
        source = "fixed by the method"
    listed = f"allowed ({source}): {', '.join(allowed)}"
    if len(bad) == 1:
        return f"{quoted(bad.iloc[0])} is not an allowed value; {listed}"
    values = [f"{quoted(v)} ({n} row{'s' if n != 1 else ''})" for v, n in counts.items()]
    shown = ", ".join(values[:4]) + (f" and {len(values) - 4} other values"
                                     if len(values) > 4 else "")
    return (f"{len(bad)} rows (lines {_lines(bad.index)}) hold values that are not allowed: "
            f"{shown}; {listed}")


def _vocabulary_advice(present: pd.Series, allowed: list[str], fdef: dict[str, Any],
                       table: str) -> str:
    """How to make the values of a column allowed: the package's own categories, with an
    example for this column, where the categories are the package's to declare."""
    name = fdef["name"]
    if (table, name) == ("casp_ratings", "rating"):
        return (" The answers are those of the appraisal tool in force; name the tool the "
                "papers were appraised with in study.appraisal.tool of "
                f"{paths.DATAPACKAGE_NAME} (its answers are listed in "
                "analysis/contract/appraisal_tools.json), or correct the cells.")
    if (table, name) in FIXED_VOCABULARIES:
        return " These categories are fixed by the method; correct the cells."
    if fdef.get("vocabularySource") == paths.DATAPACKAGE_NAME:
        return (f" Add the value to constraints.enum of the field '{name}' of resource "
                f"'{table}' in {paths.DATAPACKAGE_NAME} (and its label to categoryLabels), "
                "or correct the cells.")
    codes = list(dict.fromkeys(present))[:6]
    enum = json.dumps(codes, ensure_ascii=False)
    labels = json.dumps({c: c.replace("_", " ").capitalize() for c in codes},
                        ensure_ascii=False)
    more = " (list every category, in the order pages show them)" if len(
        set(present)) > len(codes) else ""
    return (f" To use your own categories, declare them on the field '{name}' of resource "
            f"'{table}' in {paths.DATAPACKAGE_NAME}: \"constraints\": {{\"enum\": {enum}}}, "
            f"\"categoryLabels\": {labels}{more}.")


def _example_limit(key: str, values: pd.Series) -> str:
    """A limit that admits the values shown (the lowest or highest of them)."""
    value = values.min() if key == "minimum" else values.max()
    return f"{value:g}"


def _per_value(present: pd.Series, convert) -> np.ndarray:
    """``convert`` applied to each distinct value once, spread back over the cells.

    Identifiers, codes and counts repeat down a long table (25,000 rows of codes hold a
    few thousand distinct values), so parsing each distinct text once is the cheaper way
    to check a column cell by cell.
    """
    codes, uniques = pd.factorize(present)
    return np.asarray(convert(pd.Series(uniques, dtype=object)))[codes]


def _to_float(values: pd.Series) -> pd.Series:
    """Numbers as floats; text that is no finite number ('inf', 'nan', 'abc') as NaN.

    An overflowing number ('1e400') is kept as infinity, so that it is reported as too
    large rather than as not a number.
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    words = values.astype(str).str.strip().str.lower().str.lstrip("+-")
    named = words.isin({"inf", "infinity", "nan"})
    return numbers.where(~named, float("nan"))


def _check_field(raw: pd.DataFrame, fdef: dict[str, Any], file: str,
                 report: ValidationReport) -> pd.Series:
    """Check one column's cells and return it converted to its declared type."""
    name, kind = fdef["name"], fdef["type"]
    cons = fdef.get("constraints", {})
    text = raw[name]  # already stripped (see _normalise)
    empty = text == ""
    if cons.get("required") and empty.any():
        _add_once(report, file, list(text.index[empty]), name,
                  "empty cell; a value is required" if empty.sum() == 1 else
                  f"empty cells in {int(empty.sum())} rows (lines "
                  f"{_lines(text.index[empty])}); a value is required",
                  "" if fdef.get("alwaysReported") or fdef.get("role") == "covariate" else
                  f" If the source did not report it, declare the column optional on its "
                  f"field in {paths.DATAPACKAGE_NAME}: \"constraints\": {{\"required\": false}}"
                  "; an empty cell then means not reported, and the pages count it.")
    present = text[~empty]

    if kind == "integer":
        values = pd.Series(_per_value(present, _to_float), index=present.index,
                           dtype="float64")
        huge = values.abs() > LARGEST_INTEGER
        _add(report, file, present.index[huge], name,
             lambda r: f"{quoted(raw.at[r, name])} is too large; whole numbers here may be at "
                       f"most {LARGEST_INTEGER:,} (check for a pasted identifier or a "
                       "value in the wrong column)")
        bad = (values.isna() | (values != values.round())) & ~huge
        _add(report, file, present.index[bad], name,
             lambda r: f"{quoted(raw.at[r, name])} is not a whole number; write digits only, "
                       "such as 12")
        typed = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        good = ~bad & ~huge
        typed[present.index[good]] = values[good].astype("int64")
    elif kind == "number":
        values = pd.Series(_to_float(present), index=present.index, dtype="float64")
        huge = values.abs() > LARGEST_NUMBER
        _add(report, file, present.index[huge], name,
             lambda r: f"{quoted(raw.at[r, name])} is too large; numbers here may be at most "
                       f"{LARGEST_NUMBER:,.0f}")
        bad = values.isna() & ~huge
        _add(report, file, present.index[bad], name,
             lambda r: f"{quoted(raw.at[r, name])} is not a number; write it with a decimal "
                       "point, such as 0.25")
        typed = pd.Series(float("nan"), index=raw.index)
        typed[present.index[~bad & ~huge]] = values[~bad & ~huge]
    elif kind == "boolean":
        bad = ~present.isin(TRUE_VALUES | FALSE_VALUES)
        _add(report, file, present.index[bad], name,
             lambda r: f"{quoted(raw.at[r, name])} is not true or false")
        typed = text.isin(TRUE_VALUES)
        if empty.any() and not cons.get("required"):
            # Not reported stays missing (a nullable boolean), never read as false.
            typed = typed.astype("boolean").mask(empty)
    elif kind == "date":
        values = pd.to_datetime(present, format="%Y-%m-%d", errors="coerce")
        bad = values.isna()
        _add(report, file, present.index[bad], name,
             lambda r: f"{quoted(raw.at[r, name])} is not a date written YYYY-MM-DD; "
                       "write it as, for example, 2019-08-01 (a date such as 01/08/2019 "
                       "is ambiguous and is not guessed)")
        typed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        typed[present.index[~bad]] = values[~bad]
    else:
        typed = text.where(~empty, None)

    if "enum" in cons:
        allowed = cons["enum"]
        bad = ~present.isin(allowed)
        if bad.any():
            _add_once(report, file, list(present.index[bad]), name,
                      _not_allowed(present[bad], allowed, dict(fdef, _file=file)),
                      _vocabulary_advice(present, allowed, fdef, res_name(file)))
    if "pattern" in cons:
        bad = ~_per_value(present, lambda u: u.astype(str).str.fullmatch(cons["pattern"])
                          .astype(bool))
        _add(report, file, present.index[bad], name,
             lambda r: f"{quoted(raw.at[r, name])} does not have the required form "
                       f"(regular expression {cons['pattern']})")
    numeric = typed if kind in ("integer", "number") else None
    for key, word, outside in (("minimum", "below", lambda v, lim: v < lim),
                               ("maximum", "above", lambda v, lim: v > lim)):
        if numeric is None or key not in cons:
            continue
        bad = (numeric.notna() & outside(numeric, cons[key])).fillna(False)
        rows = list(typed.index[bad])
        if not rows:
            continue
        values = list(dict.fromkeys(str(raw.at[r, name]) for r in rows))
        what = (f"{values[0]} is {word} the {key} of {cons[key]}" if len(rows) == 1 else
                f"{_some(values)} {word} the {key} of {cons[key]} in {len(rows)} rows "
                f"(lines {_lines(rows)})")
        default = key not in fdef.get("methodLimits", ()) and fdef.get("role") != "covariate"
        _add_once(report, file, rows, name, what, (
            f" The contract's {key} is a default: if your sources go {word} it, declare "
            f"your own on the field '{name}' of resource '{res_name(file)}' in "
            f"{paths.DATAPACKAGE_NAME}: \"constraints\": "
            f"{{\"{key}\": {_example_limit(key, numeric[bad])}}}.") if default else "")
    if cons.get("unique"):
        dup = present.duplicated(keep="first")
        first = {v: r for r, v in present[~dup].items()}
        _add(report, file, present.index[dup], name,
             lambda r: f"{quoted(raw.at[r, name])} must be unique but is already on row "
                       f"{first[raw.at[r, name]]}")
    return typed


def _check_keys(raw: pd.DataFrame, res: dict[str, Any], report: ValidationReport) -> None:
    key = res["schema"]["primaryKey"]
    if len(key) < 2:
        return  # single-field keys are checked as unique fields
    file = res["path"]
    dup = raw.duplicated(subset=key, keep="first")
    if not dup.any():
        return
    keys = list(zip(*(raw[k] for k in key)))
    first: dict[tuple, int] = {}
    for row, value in zip(raw.index, keys):
        first.setdefault(value, row)
    _add(report, file, raw.index[dup], key[-1],
         lambda r: f"the combination ({', '.join(key)}) = "
                   f"({', '.join(map(terminal_text, raw.loc[r, key]))}) is already on row "
                   f"{first[tuple(raw.loc[r, key])]}; "
                   "each combination may appear once")


def _check_foreign_keys(raw_tables: dict[str, pd.DataFrame], in_force: dict[str, Any],
                        report: ValidationReport) -> None:
    for name, res in in_force.items():
        raw = raw_tables.get(name)
        if raw is None:
            continue
        for fk in res["schema"]["foreignKeys"]:
            ref = fk["reference"]
            if ref["resource"] not in in_force:
                ref_file = contract_resources()[ref["resource"]]["path"]
                report.problems.append(Problem(
                    res["path"], None, fk["fields"][0],
                    f"refers to {ref_file}, which the package does not declare; add "
                    f"{ref_file} (its {ref['fields'][0]} lists the allowed values) or leave "
                    f"out {res['path']}"))
                continue
            target = raw_tables.get(ref["resource"])
            if target is None or target.empty:
                continue  # the table itself is reported (missing, unreadable or empty)
            (col,), (ref_col,) = fk["fields"], ref["fields"]
            known = set(target[ref_col])
            bad = ~raw[col].isin(known) & (raw[col] != "")
            ref_file = contract_resources()[ref["resource"]]["path"]
            _add(report, res["path"], raw.index[bad], col,
                 lambda r: f"{quoted(raw.at[r, col])} is not a {ref_col} in {ref_file}; "
                           f"add it there or correct it here")


def _not_reported_notes(package: DataPackage, in_force: dict[str, Any]) -> list[Problem]:
    """One note per column with values not reported (accepted; pages count them)."""
    counts = not_reported(package)
    return [Problem(in_force[row.table]["path"], None, row.column,
                    f"{row.not_reported} of {row.rows} rows (the column is declared optional: "
                    "an empty cell means the source did not report it)")
            for row in counts.itertuples() if not row.whole_column]


def _published_papers(package: DataPackage) -> list[Problem]:
    """A published table of each paper's band names papers of studies.csv.

    Kept out of :data:`analysis.contract.rules.RULES`: it relates the study section to a
    table, and applies only to packages that publish such a table.
    """
    if "studies" not in package.tables:
        return []
    known = set(package.tables["studies"]["study_id"])
    problems = []
    for fact in package.study.published:
        unknown = sorted(set(fact.get("bands") or {}) - known)
        if unknown:
            verb = "is not a study_id" if len(unknown) == 1 else "are not study_ids"
            problems.append(Problem(paths.DATAPACKAGE_NAME, None,
                                    f"study.published ('{fact['fact_id']}').bands",
                                    f"{', '.join(unknown[:5])} {verb} of studies.csv; name "
                                    "each paper by its study_id"))
    return problems


def validate(data_dir: str | Path, needed_for: NeededFor = _the_book) -> ValidationReport:
    """Check a data package against the contract.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``datapackage.json`` and the CSV files.
    needed_for : callable, optional
        What needs a table's rows, in words, from the table's name: the message on a
        table without rows names it (:func:`analysis.pages.needs.pages_needing`, the
        pages of the book); "the book" when not given.

    Returns
    -------
    ValidationReport
        Every problem found (empty when the package is valid).
    """
    report, _ = _validate(Path(data_dir), needed_for)
    return report


def load_package(data_dir: str | Path | None = None,
                 needed_for: NeededFor = _the_book) -> DataPackage:
    """Validate a data package and return its typed tables.

    Parameters
    ----------
    data_dir : str or Path, optional
        Folder of the data package; the bundled synthetic data when omitted.
    needed_for : callable, optional
        What needs a table's rows, in words (as for :func:`validate`).

    Raises
    ------
    DataPackageError
        With every problem found, when the package does not meet the contract.
    """
    data_dir = paths.resolve_data_dir(data_dir)
    package = _validated_by_build(data_dir)
    if package is None:
        report, package = _validate(data_dir, needed_for)
        if not report.ok:
            raise DataPackageError(report)
    package.log_reads = True
    return package


def save_validated(package: DataPackage, path: Path, data_fingerprint: str | None = None) -> None:
    """Store a validated package for the notebooks of one build (see ``load_package``).

    ``data_fingerprint`` is the package's fingerprint when the caller has it already.
    """
    with open(path, "wb") as handle:
        pickle.dump({"data_dir": str(package.data_dir),
                     "fingerprint": data_fingerprint or fingerprint(package.data_dir),
                     "package": package}, handle)


def _validated_by_build(data_dir: Path) -> DataPackage | None:
    path = build_plan.validated_package()
    plan = build_plan.current()
    if not path or not plan or not path.exists():
        return None
    with open(path, "rb") as handle:
        stored = pickle.load(handle)
    # The build hashed every file once, and the package stored here is the one it
    # validated for those hashes. Hashing them again in every kernel would read the
    # whole package once more per page; a file changed since then (rewritten in place,
    # or replaced) has another size, modification time or inode than the plan recorded
    # just before hashing, so looking at those is enough to tell. A change that keeps
    # all three (the same size, within one tick of the file system's clock, in place)
    # is the one it cannot see; the next build's hashes see it.
    if (stored["data_dir"] != str(data_dir) or plan.data_dir != str(data_dir)
            or stored["fingerprint"] != fingerprint_of(plan.data_hashes)
            or file_stats(data_dir) != {name: list(stat)
                                        for name, stat in plan.data_stats.items()}):
        return None  # other data, or changed since the build validated it
    return stored["package"]


def _validate(data_dir: Path, needed_for: NeededFor = _the_book
              ) -> tuple[ValidationReport, DataPackage | None]:
    report = ValidationReport(data_dir=data_dir)
    if not data_dir.is_dir():
        report.problems.append(Problem(str(data_dir), None, None, "folder not found"))
        return report, None
    descriptor = _read_descriptor(data_dir, report)
    try:
        read_import_log(data_dir)
    except InputError as exc:
        report.problems.append(Problem(IMPORT_LOG_NAME, None, None, str(exc).split(": ", 1)[1]))
    in_force = resources_in_force(descriptor)
    if not in_force and report.ok:
        report.problems.append(Problem(paths.DATAPACKAGE_NAME, None, "resources",
                                       "declares no table of the contract; declare at least "
                                       "one (run python -m analysis init to start a package)"))
    raw_tables: dict[str, pd.DataFrame] = {}
    typed_tables: dict[str, pd.DataFrame] = {}
    for name, res in in_force.items():
        raw = _read_raw(data_dir, res, report, needed_for)
        if raw is None:
            continue
        raw_tables[name] = raw
        typed = {f["name"]: _check_field(raw, f, res["path"], report)
                 for f in res["schema"]["fields"]}
        _check_keys(raw, res, report)
        typed_tables[name] = pd.DataFrame(typed, index=raw.index)
    _check_foreign_keys(raw_tables, in_force, report)
    if report.ok:
        # Cross-table rules need typed, key-clean tables.
        vocabularies, sources = {}, {}
        for name, res in in_force.items():
            for fdef in res["schema"]["fields"]:
                if "enum" in fdef.get("constraints", {}):
                    labels = fdef.get("categoryLabels", {})
                    vocabularies[(name, fdef["name"])] = {
                        v: labels.get(v, v) for v in fdef["constraints"]["enum"]}
                    sources[(name, fdef["name"])] = fdef["vocabularySource"]
        package = DataPackage(data_dir=data_dir, descriptor=descriptor, tables=typed_tables,
                              vocabularies=vocabularies, vocabulary_sources=sources,
                              warnings=[str(w) for w in report.warnings],
                              schemas={name: [dict(f) for f in res["schema"]["fields"]]
                                       for name, res in in_force.items()})
        report.problems.extend(rules.check(package))
        report.problems.extend(_published_papers(package))
        report.notes.extend(_not_reported_notes(package, in_force))
        # Analyses see plain 0-based tables; line numbers were only for messages.
        for name, table in typed_tables.items():
            table = table.reset_index(drop=True)
            for col in table.columns:
                if str(table[col].dtype) == "Int64" and not table[col].isna().any():
                    table[col] = table[col].astype("int64")
            typed_tables[name] = table
        return report, package
    return report, None
