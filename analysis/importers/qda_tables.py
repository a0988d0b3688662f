"""A REFI-QDA project as the contract's tables: themes, papers or participants, and counts.

The codebook's hierarchy becomes the synthesis framework. Which level is which is the
researcher's choice (``theme_level``, 1 = the top-level codes are themes, the default):

- codes at ``theme_level`` are **themes**, their children **sub-themes**; a theme without
  children is its own single sub-theme;
- in an interview study the sub-themes' children are the **initial codes** of
  ``participant_codes`` (a sub-theme without children is its own initial code);
- codes deeper still are rolled up into their ancestor at the last level; codes above
  ``theme_level`` only group themes;
- a segment coded with a code that has sub-levels (a theme with sub-themes), or with a
  grouping code above the themes, has no sub-theme to count under: it is counted as left
  out, never silently.

The sources of the project, or its cases (which gather sources or selections), become
the papers of a meta-synthesis (``studies``, ``study_codes``) or the participants of an
interview study (``participants``, ``participant_codes``). Each coding of a text
selection is one excerpt: ``n_excerpts`` of a unit and sub-theme (or code) is the number
of codings whose code maps to it. Variables of the cases (or sources) fill the columns of
``studies`` or ``participants`` that have their name; the others are listed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from analysis.contract.files import load_contract
from analysis.importers.refi_qda import QdaProject

REVIEWS = {"meta-synthesis": "meta_synthesis", "interview": "interview_study"}
UNIT_TABLES = {"meta_synthesis": ("studies", "study_codes", "study_id"),
               "interview_study": ("participants", "participant_codes", "participant_id")}
UNIT_FORMAT = {"studies": ("S", 2), "participants": ("P", 3)}
CODE_FORMAT = ("C", 3)


@dataclass(frozen=True)
class QdaTables:
    """The rows a project gives the package, and what was mapped to what."""

    review: str
    units: str  # "sources" or "cases"
    theme_level: int
    tables: dict[str, list[dict[str, str]]]
    mapped: tuple[dict[str, str], ...]  # {"from": ..., "to": ...}
    left_out: tuple[dict[str, Any], ...]  # {"what": ..., "count": ...}
    ids: dict[str, dict[str, str]]  # "codes" and "units": guid -> id
    levels: tuple[dict[str, Any], ...]  # per level of the codebook: depth, role, n codes


def _columns(table: str) -> list[str]:
    return [f["name"] for r in load_contract()["resources"] if r["name"] == table
            for f in r["schema"]["fields"] if not f.get("optional")]


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _number(identifier: str, prefix: str) -> int | None:
    found = re.fullmatch(rf"{prefix}(\d+)", identifier or "")
    return int(found.group(1)) if found else None


def _next_free(used: set[str], prefix: str, width: int) -> str:
    n = max((_number(u, prefix) or 0 for u in used), default=0) + 1
    return f"{prefix}{n:0{width}d}"


def map_project(project: QdaProject, review: str, units: str | None = None,
                theme_level: int = 1, existing: dict[str, list[dict[str, str]]] | None = None,
                previous_ids: dict[str, dict[str, str]] | None = None) -> QdaTables:
    """Map a project onto the tables of one review.

    Parameters
    ----------
    project : QdaProject
    review : str
        ``meta-synthesis`` (papers) or ``interview`` (participants).
    units : str, optional
        ``sources`` or ``cases``; by default cases when the project has any, else sources.
    theme_level : int
        The depth of the codebook whose codes are themes (1 = top level).
    existing : dict, optional
        The package's current rows of ``framework``, the unit table and the code table,
        so that names already there keep their identifiers and new ones do not collide.
    previous_ids : dict, optional
        ``codes`` and ``units`` maps (guid -> id) of the last import of a project.

    Returns
    -------
    QdaTables
    """
    review_code = REVIEWS[review]
    unit_table, code_table, unit_key = UNIT_TABLES[review_code]
    existing = existing or {}
    previous_ids = previous_ids or {}
    units = units or ("cases" if project.cases else "sources")
    interview = review_code == "interview_study"
    codes = project.codes

    def ancestor_at(guid: str, depth: int) -> str:
        while codes[guid].depth > depth:
            guid = codes[guid].parent
        return guid

    # ----------------------------------------------------------- the framework's levels
    themes = [g for g, c in codes.items() if c.depth == theme_level]
    framework_rows = existing.get("framework", [])
    theme_ids_used = {r["theme_id"] for r in framework_rows}
    sub_ids_used = {r["subtheme_id"] for r in framework_rows}
    by_theme_name = {(r["review"], r["theme"]): r["theme_id"] for r in framework_rows}
    by_sub_name = {(r["theme_id"], r["subtheme"]): r["subtheme_id"] for r in framework_rows}
    old_codes = previous_ids.get("codes", {})
    ids: dict[str, str] = {}
    rows_framework = []

    def theme_id_for(guid: str) -> str:
        name = codes[guid].name
        found = old_codes.get(guid) or by_theme_name.get((review_code, name))
        if found and re.fullmatch(r"T\d+", found):
            return found
        made = _next_free(theme_ids_used, "T", 0)
        theme_ids_used.add(made)
        return made

    sub_of: dict[str, str] = {}  # code guid at sub-theme level -> subtheme id
    for theme in themes:
        tid = theme_id_for(theme)
        theme_ids_used.add(tid)
        ids[theme] = tid
        subs = list(codes[theme].children) or [theme]
        for sub in subs:
            name = codes[sub].name
            sid = old_codes.get(sub) if sub != theme else old_codes.get(f"{theme}/self")
            if not (sid and sid.startswith(tid + ".")):
                sid = by_sub_name.get((tid, name))
            if not sid:
                taken = [_number(s.split(".", 1)[1], "") for s in sub_ids_used
                         if s.startswith(tid + ".")]
                sid = f"{tid}.{max([t for t in taken if t is not None], default=0) + 1}"
            sub_ids_used.add(sid)
            sub_of[sub if sub != theme else theme] = sid
            ids[sub if sub != theme else f"{theme}/self"] = sid
            rows_framework.append({"review": review_code, "theme_id": tid,
                                   "theme": codes[theme].name, "subtheme_id": sid,
                                   "subtheme": name, "subtheme_source": "published"})

    # ------------------------------------------------------- initial codes (interviews)
    initial_of: dict[str, str] = {}  # guid at code level -> code id
    code_sub: dict[str, str] = {}  # code id -> subtheme id
    if interview:
        used_codes = {r["code_id"] for r in existing.get(code_table, [])}
        used_codes |= set(v for v in old_codes.values() if v.startswith("C"))
        for sub, sid in sub_of.items():
            leaves = list(codes[sub].children) if codes[sub].depth == theme_level + 1 else []
            for leaf in leaves or [sub]:
                key = leaf if leaves else f"{sub}/code"
                cid = old_codes.get(key)
                if not (cid and _number(cid, "C") is not None):
                    cid = _next_free(used_codes, *CODE_FORMAT)
                used_codes.add(cid)
                initial_of[leaf if leaves else sub] = cid
                ids[key] = cid
                code_sub[cid] = sid

    def place(guid: str) -> tuple[str, str] | None:
        """(subtheme id, code id or '') a coding with this code counts under, or None."""
        depth = codes[guid].depth
        if depth < theme_level:
            return None
        theme = ancestor_at(guid, theme_level)
        if depth == theme_level:
            if codes[theme].children:
                return None
            sid = sub_of[theme]
            return sid, initial_of.get(theme, "")
        sub = ancestor_at(guid, theme_level + 1)
        sid = sub_of[sub]
        if not interview:
            return sid, ""
        if depth == theme_level + 1:
            if codes[sub].children:
                return None
            return sid, initial_of[sub]
        return sid, initial_of[ancestor_at(guid, theme_level + 2)]

    # ------------------------------------------------------------------ the units
    unit_rows_existing = existing.get(unit_table, [])
    used_units = {r[unit_key] for r in unit_rows_existing}
    old_units = previous_ids.get("units", {})
    prefix, width = UNIT_FORMAT[unit_table]
    if units == "cases":
        unit_list = [(c.guid, c.name, c.variables) for c in project.cases]
    else:
        unit_list = [(s.guid, s.name, s.variables) for s in project.sources.values()]
    unit_ids: dict[str, str] = {}
    unit_columns = _columns(unit_table)
    rows_units = []
    unknown_variables: Counter[str] = Counter()
    mapped = []
    # A paper the package holds already (from the screening import, or by hand) is found
    # by its label: a source or case named "Smith 2019 ..." is the row of Smith, 2019.
    by_label = {}
    for r in unit_rows_existing:
        if r.get("first_author") and r.get("year"):
            by_label.setdefault(_normal(f"{r['first_author']} {r['year']}"), []).append(
                r[unit_key])
    for guid, name, variables in unit_list:
        given = {_normal(k): v for k, v in variables.items()}
        uid = old_units.get(guid) or given.get(unit_key, "")
        if _number(uid, prefix) is None and _number(name.strip(), prefix) is not None:
            uid = name.strip()
        if _number(uid, prefix) is None:
            named = [ids_ for label, ids_ in by_label.items()
                     if _normal(name) == label or _normal(name).startswith(label + "_")]
            if len(named) == 1 and len(named[0]) == 1:
                uid = named[0][0]
        if _number(uid, prefix) is None:
            uid = _next_free(used_units, prefix, width)
        used_units.add(uid)
        unit_ids[guid] = uid
        row = {c: "" for c in unit_columns}
        row[unit_key] = uid
        for raw_name, value in variables.items():
            column = _normal(raw_name)
            if column in unit_columns and column != unit_key:
                row[column] = value
                mapped.append({"from": f"variable '{raw_name}'", "to": f"{unit_table}.{column}"})
            elif column != unit_key:
                unknown_variables[raw_name] += 1
        if unit_table == "studies" and not row["study_group"]:
            row["study_group"] = "G" + uid[1:]
        rows_units.append(row)
        mapped.append({"from": f"{units[:-1]} '{name}'", "to": f"{unit_table}.{unit_key} {uid}"})
    mapped = list({(m["from"], m["to"]): m for m in mapped}.values())

    # --------------------------------------------------------------- the counting
    members: dict[str, list[str]] = {}  # source guid -> unit guids; selections apart
    by_selection: dict[str, list[str]] = {}
    if units == "cases":
        for case in project.cases:
            for source in case.sources:
                members.setdefault(source, []).append(case.guid)
            for selection in case.selections:
                by_selection.setdefault(selection, []).append(case.guid)
    else:
        members = {guid: [guid] for guid in project.sources}
    counts: Counter[tuple[str, str, str]] = Counter()
    left_out: Counter[str] = Counter()
    for segment in project.segments:
        placed = place(segment.code)
        owners = set(members.get(segment.source, [])) | set(by_selection.get(segment.selection,
                                                                              []))
        if placed is None:
            depth = codes[segment.code].depth
            left_out["codings of a code above the sub-theme level (no sub-theme to count "
                     "them under)" if depth >= theme_level else
                     "codings of a code above the theme level"] += 1
            continue
        if not owners:
            left_out["codings in a source that belongs to no case"] += 1
            continue
        for owner in owners:
            counts[(unit_ids[owner], *placed)] += 1
    rows_codes = []
    for (uid, sid, cid), n in sorted(counts.items()):
        if interview:
            rows_codes.append({unit_key: uid, "code_id": cid, "subtheme_id": sid,
                               "n_excerpts": str(n)})
        else:
            rows_codes.append({unit_key: uid, "subtheme_id": sid, "n_excerpts": str(n)})

    # ------------------------------------------------------------- what was mapped
    for theme in themes:
        mapped.append({"from": f"code '{codes[theme].name}'", "to": f"theme {ids[theme]}"})
        for sub in codes[theme].children:
            mapped.append({"from": f"code '{codes[sub].name}'", "to": f"sub-theme {sub_of[sub]}"})
        if not codes[theme].children:
            mapped.append({"from": f"code '{codes[theme].name}'",
                           "to": f"sub-theme {sub_of[theme]} (a theme without sub-themes)"})
    for leaf, cid in initial_of.items():
        mapped.append({"from": f"code '{codes[leaf].name}'", "to": f"initial code {cid}"})
    for name, n in sorted(unknown_variables.items()):
        left_out[f"variable '{name}' (no column of {unit_table} has its name)"] += n
    left_out.update({u.what: u.count for u in project.unused})
    deepest = max((c.depth for c in codes.values()), default=0)
    levels = []
    for depth in range(1, deepest + 1):
        n = sum(1 for c in codes.values() if c.depth == depth)
        if depth < theme_level:
            role = "groups of themes (their codings are left out)"
        elif depth == theme_level:
            role = "themes"
        elif depth == theme_level + 1:
            role = "sub-themes"
        elif interview and depth == theme_level + 2:
            role = "initial codes"
        else:
            role = ("counted under their initial code" if interview
                    else "counted under their sub-theme")
        levels.append({"depth": depth, "codes": n, "role": role})
    return QdaTables(
        review=review_code, units=units, theme_level=theme_level,
        tables={"framework": rows_framework, unit_table: rows_units, code_table: rows_codes},
        mapped=tuple(mapped),
        left_out=tuple({"what": what, "count": n} for what, n in sorted(left_out.items())),
        ids={"codes": ids, "units": unit_ids},
        levels=tuple(levels))


def import_qdpx(path, data_dir, review: str, units: str | None = None,
                theme_level: int = 1):
    """Read a REFI-QDA file and merge its tables into the package at ``data_dir``.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx``, ``.qde`` or ``.qdc`` file.
    data_dir : str or Path
        The package folder (created when missing).
    review, units, theme_level
        See :func:`map_project`.

    Returns
    -------
    tuple of (QdaProject, QdaTables, ImportResult)
    """
    from analysis.contract.errors import InputError
    from analysis.contract.import_log import read_import_log
    from analysis.importers.package_update import apply_import, file_facts, package_rows
    from analysis.importers.refi_qda import read_project

    if theme_level < 1:
        raise InputError(f"--theme-level must be 1 or more, not {theme_level}")
    project = read_project(path)
    unit_table, code_table, _ = UNIT_TABLES[REVIEWS[review]]
    existing = package_rows(data_dir, ["framework", unit_table, code_table])
    previous = read_import_log(data_dir).latest("qdpx")
    deepest = max((c.depth for c in project.codes.values()), default=0)
    if project.codes and theme_level > deepest:
        raise InputError(f"--theme-level {theme_level}: the codebook of "
                         f"{project.file} has {deepest} level(s); choose 1 to {deepest}")
    mapping = map_project(project, review, units, theme_level, existing,
                          (previous or {}).get("ids"))
    tables = dict(mapping.tables)
    if project.kind == "codebook":  # a codebook alone: the framework, nothing counted
        tables = {"framework": tables["framework"]}
    record = {**file_facts(path), "program": project.origin,
              "options": {"review": mapping.review, "units": mapping.units,
                          "theme_level": theme_level},
              "mapped": list(mapping.mapped), "left_out": list(mapping.left_out),
              "levels": list(mapping.levels), "ids": mapping.ids,
              "offsets_checked": project.offsets_checked,
              "segments": len(project.segments)}
    result = apply_import(data_dir, "qdpx", tables, record)
    return project, mapping, result
