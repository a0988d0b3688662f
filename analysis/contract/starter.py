"""Start a data package of one's own: ``python -m analysis init DIR --chapters ...``.

A researcher names the chapters of the book they want (``appraisal``, ``themes``, ...)
and gets a folder to fill in: a ``datapackage.json`` whose study section has every key
with an empty value (:data:`STUDY_TEMPLATE`, documented by ``study_schema.json``), the
contract's declaration of each table those chapters need, and one CSV per table holding
only its header. ``validate`` on the fresh folder then names each table still empty and
the chapters waiting for it, which is the list of what to fill in first.

Which tables a chapter needs is declared by the pages of the book (``needs`` in
``book/pages.yml``); that file is read by :mod:`analysis.pages`, which this layer does
not import, so the caller hands the pages over as plain ``(name, needs)`` pairs, each
need as its alternatives. The friendly names
(:data:`CHAPTER_GROUPS`) gather the pages of one analysis under one word.
"""

from __future__ import annotations

import copy
import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.contract.errors import InputError
from analysis.contract.files import load_contract

# The pages of one analysis under the word a researcher uses for it. A chapter's tables
# are what its pages need together, so each group leaves out the pages that need more
# than the analysis itself (the multiverse page needs only the prevalence studies; its
# quality and theme sections follow the tables present). Every name must be a page of
# book/pages.yml (a test checks).
CHAPTER_GROUPS: dict[str, tuple[str, ...]] = {
    "appraisal": ("appraisal", "quality", "quality_strict", "method_casp"),
    # the findings, how often papers support them, and the confidence in them: the
    # Quality bands page sets each finding's GRADE-CERQual judgement beside its papers
    "themes": ("themes", "themes_without_low_quality", "method_thematic_synthesis",
               "method_counting_themes", "method_cerqual"),
    "cerqual": ("method_cerqual",),
    "interviews": ("interview_subthemes", "saturation", "method_saturation", "reporting_coreq"),
    "sample": ("sample_characteristics",),
    "prevalence": ("prevalence", "prevalence_sensitivity_pm", "prevalence_sensitivity_ft",
                   "method_prevalence", "multiverse"),
    "search": ("prisma",),
    # A sample known only from its published table of characteristics (counts).
    "sample_summary": ("sample_characteristics",),
}
# Where a page's need has alternatives (participants|sample_summary), a chapter starts
# the first, the rows a researcher holds, unless it is named here with the one it takes.
CHAPTER_ALTERNATIVES: dict[str, tuple[str, ...]] = {"sample_summary": ("sample_summary",)}

# Every key of the study section, empty: what the researcher fills in (see
# study_schema.json for what each holds). The appraisal keys are the contract's
# defaults, so that a package of appraisals needs no change to build.
STUDY_TEMPLATE: dict[str, Any] = {
    "title": "",
    "description": "",
    "condition": "",
    "population": "",
    "case_definition": "",
    "case_noun": "",
    "participant_noun": "",
    "reports": [],
    "setting": {"country": "", "region": "region", "regions": "regions"},
    "fieldwork": {"suspensions": []},
    "appraisal": {"tool": "casp_qualitative", "agreed_label": "consensus"},
    "prevalence": {"main": "all"},
    "published": [],
}


@dataclass(frozen=True)
class Chapter:
    """A name that ``init --chapters`` accepts, and the tables it brings."""

    name: str
    pages: tuple[str, ...]
    tables: tuple[str, ...]  # in the contract's order


@dataclass(frozen=True)
class Starter:
    """What ``init`` wrote."""

    folder: Path
    descriptor: Path
    tables: tuple[str, ...]
    files: tuple[Path, ...]  # the header-only CSVs, in the contract's order
    needed_by: dict[str, tuple[str, ...]]  # table -> the chosen chapters that need it


def table_order() -> list[str]:
    """The contract's tables, in the order it declares them."""
    return [r["name"] for r in load_contract()["resources"]]


def chapters(pages: Iterable[tuple[str, Sequence[Sequence[str]]]]) -> dict[str, Chapter]:
    """Every chapter a researcher can name: the groups, then each page that needs tables.

    Parameters
    ----------
    pages : iterable of (str, sequence of sequences of str)
        Each page of the book with what it needs (``needs`` in ``book/pages.yml``), each
        need as its alternatives (``participants|sample_summary`` as ``("participants",
        "sample_summary")``, :func:`analysis.pages.needs.alternatives`); needs that are
        not tables (``study.published``) are not files to start.

    Returns
    -------
    dict of str to Chapter
        By name. A group shadows a page of the same name (``appraisal``): the group
        holds that page and needs no other table.
    """
    order = table_order()
    pages = [(name, tuple(tuple(options) for options in wanted)) for name, wanted in pages]

    def resolved(prefer: tuple[str, ...] = ()) -> dict[str, list[str]]:
        # A need with alternatives (participants|sample_summary) starts the one the
        # chapter prefers, else its first: the rows a researcher holds.
        out = {}
        for name, wanted in pages:
            tables = []
            for options in wanted:
                pick = next((o for o in options if o in prefer), options[0])
                if pick in order:
                    tables.append(pick)
            out[name] = tables
        return out

    needs = resolved()

    def tables_of(names: Iterable[str], chosen: dict[str, list[str]] = needs
                  ) -> tuple[str, ...]:
        wanted = {t for name in names for t in chosen.get(name, ())}
        return tuple(t for t in order if t in wanted)

    found = {}
    for group, members in CHAPTER_GROUPS.items():
        present = tuple(m for m in members if m in needs)
        if present:
            found[group] = Chapter(group, present, tables_of(
                present, resolved(CHAPTER_ALTERNATIVES.get(group, ()))))
    for name, tables in needs.items():
        if tables and name not in found:
            found[name] = Chapter(name, (name,), tables_of([name]))
    return found


def choose(names: str | Sequence[str] | None, known: dict[str, Chapter]) -> list[Chapter]:
    """The chapters named (comma-separated or a list); every chapter when none is named.

    Raises
    ------
    InputError
        On a name that is no chapter, listing the names there are.
    """
    if names is None:
        return list(known.values())
    if isinstance(names, str):
        names = names.split(",")
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        what = "--chapters names no chapter"
        if unknown:
            guesses = [g for n in unknown for g in difflib.get_close_matches(n, known, 1)]
            what = (f"unknown chapter{'s' if len(unknown) > 1 else ''} "
                    f"{', '.join(repr(n) for n in unknown)}"
                    + (f" (did you mean {', '.join(guesses)}?)" if guesses else ""))
        groups = [n for n in known if n in CHAPTER_GROUPS]
        pages = [n for n in known if n not in CHAPTER_GROUPS]
        raise InputError(f"{what}; choose from: {', '.join(groups)}; or one page: "
                         f"{', '.join(pages)}")
    return [known[n] for n in dict.fromkeys(wanted)]


def _slug(folder: Path) -> str:
    """A Data Package ``name`` (lower case, digits, '-', '_', '.') from the folder name."""
    return re.sub(r"[^a-z0-9._-]+", "-", folder.resolve().name.lower()).strip("-") or "my-study"


def descriptor(folder: Path, tables: Sequence[str]) -> dict[str, Any]:
    """The ``datapackage.json`` of a fresh package: the study to describe, the tables."""
    contract = {r["name"]: r for r in load_contract()["resources"]}
    resources = []
    for t in table_order():
        if t in tables:
            res = copy.deepcopy(contract[t])
            # Optional columns (a study's label, how cases were ascertained) are the
            # researcher's to add; a fresh package holds the columns every package has.
            res["schema"]["fields"] = [f for f in res["schema"]["fields"]
                                       if not f.get("optional")]
            resources.append(res)
    return {
        "profile": "tabular-data-package",
        "name": _slug(folder),
        "synthetic": False,
        "study": copy.deepcopy(STUDY_TEMPLATE),
        "resources": resources,
    }


def header_line(resource: dict[str, Any]) -> str:
    """The header of a table's CSV, as the contract names its columns."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(f["name"] for f in resource["schema"]["fields"])
    return out.getvalue()


def start_package(folder: str | Path, chosen: Sequence[Chapter], force: bool = False) -> Starter:
    """Write a package to fill in: ``datapackage.json`` and header-only CSVs.

    Parameters
    ----------
    folder : str or Path
        Where to write; created when missing.
    chosen : sequence of Chapter
        The chapters wanted (see :func:`chapters` and :func:`choose`).
    force : bool
        Write into a folder that already holds files, replacing ``datapackage.json`` and
        the CSVs of the chosen tables (other files are left as they are).

    Raises
    ------
    InputError
        The folder holds files and ``force`` is False, or it is a file.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; give a folder for the new package")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise InputError(f"{folder} is not empty; give a new folder, or add --force to "
                         "replace its datapackage.json and the CSVs of the chosen chapters")
    needed_by: dict[str, list[str]] = {}
    for chapter in chosen:
        for table in chapter.tables:
            needed_by.setdefault(table, []).append(chapter.name)
    wanted = needed_by.keys()
    package = descriptor(folder, list(wanted))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / paths.DATAPACKAGE_NAME
    target.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files = []
    for resource in package["resources"]:
        path = folder / resource["path"]
        path.write_text(header_line(resource), encoding="utf-8")
        files.append(path)
    tables = tuple(r["name"] for r in package["resources"])
    return Starter(folder, target, tables, tuple(files),
                   {t: tuple(needed_by[t]) for t in tables})
