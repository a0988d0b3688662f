"""Screening exports (Rayyan, ASReview, Covidence) as PRISMA counts and included papers.

A screening export holds one row per record and the decision on it. One file is one
stage of the PRISMA 2020 flow, named on the command line:

- ``title-abstract``: every row was screened; excluded rows are the records excluded on
  title and abstract (by reason when the tool gives one); the others go on to full text.
  The first boxes of the flow (records identified per database, duplicates removed) are
  not in a screening export: they are given with ``--identified NAME=N`` and
  ``--duplicates-removed N`` (or are already in ``search_flow.csv``).
- ``full-text``: every row is a full text assessed; excluded rows are counted by reason,
  included rows become the papers of ``studies`` (with first author and year when the
  export has them).

Decisions, by tool:

- **Rayyan** (``articles.csv``): the ``notes`` column holds
  ``RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Excluded"}`` and, for excluded
  records, ``RAYYAN-EXCLUSION-REASONS: reason one,reason two``. Reviewers who disagree,
  or a "Maybe", leave a record undecided: the import stops and names the rows.
- **ASReview** (LAB export): ``included`` (ASReview 1) or ``asreview_label`` (ASReview 2),
  1 relevant and 0 irrelevant; an unlabelled record (empty or -1) was not screened by a
  person, and is counted as excluded with the reason "not screened (stopped by the
  screening tool)" so that the flow still closes and says so.
- **Covidence** (CSV export of one list, recognised by its ``Covidence #`` column): the
  list's decision is given with ``--decision included|excluded``; an ``Exclusion reason``
  column gives the reasons of a list of excluded full texts.

Columns the importer does not know are refused, named: a column of decisions it does not
read would otherwise be ignored in silence. The counts are checked against each other
(identified minus duplicates is screened, and so on) before anything is written, and
against the counts already in ``search_flow.csv``; a mismatch is named.

References
----------
Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated
guideline for reporting systematic reviews. BMJ 2021;372:n71. doi:10.1136/bmj.n71
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.contract.errors import InputError
from analysis.contract.escape import terminal_text

STAGES = ("title-abstract", "full-text")
BIBLIOGRAPHIC = {
    "key", "id", "record_id", "title", "primary_title", "abstract", "authors", "author",
    "first_author", "journal", "secondary_title", "issn", "isbn", "volume", "issue",
    "number", "pages", "day", "month", "year", "date", "publisher", "pmc_id", "pubmed_id",
    "pmid", "url", "urls", "doi", "keywords", "language", "location", "type",
    "type_of_reference", "notes", "note",
}
RAYYAN = {"notes"}
ASREVIEW_LABELS = ("asreview_label", "included", "label_included", "final_included")
ASREVIEW_OTHER = re.compile(r"^(asreview_[a-z_]+|exported_notes_\d+)$")
COVIDENCE = {"covidence #", "study", "ref", "accession number", "published year",
             "published month", "tags", "exclusion reason", "exclusion reasons"}
NOT_SCREENED = "not screened (stopped by the screening tool)"
NO_REASON = "reason not recorded"
MAX_ROWS_NAMED = 10


@dataclass(frozen=True)
class ScreeningRecord:
    """One record of a screening export, with its decision."""

    line: int
    decision: str  # "included" or "excluded"
    reasons: tuple[str, ...]
    title: str
    first_author: str
    year: str
    doi: str


@dataclass(frozen=True)
class ScreeningFile:
    """A screening export as read: the tool, the records and their decisions."""

    file: str
    tool: str  # "Rayyan", "ASReview" or "Covidence"
    records: tuple[ScreeningRecord, ...]


def first_author_surname(authors: str) -> str:
    """The first author's surname from an author list ("Smith, J. and Doe, A." -> "Smith";
    "John Smith; Ann Doe" -> "Smith")."""
    first = re.split(r"\s+and\s+|;|\|", authors.strip(), maxsplit=1)[0].strip()
    if "," in first:
        return first.split(",", 1)[0].strip()
    parts = first.split()
    if len(parts) > 1 and all(len(p.strip(".")) <= 2 for p in parts[1:]):
        return parts[0]  # "Smith JA" (Vancouver style)
    return parts[-1] if parts else ""


def _year(text: str) -> str:
    found = re.search(r"\b(1[89]\d\d|20\d\d)\b", text or "")
    return found.group(1) if found else ""


def _doi(text: str) -> str:
    found = re.search(r"10\.\d{4,9}/\S+", text or "")
    return found.group(0).rstrip(".,;").lower() if found else ""


def _rayyan_decision(notes: str) -> tuple[str | None, tuple[str, ...], str]:
    """(decision, reasons, why undecided) from Rayyan's notes cell."""
    found = re.search(r"RAYYAN-INCLUSION:\s*\{(.*?)\}", notes)
    if not found:
        return None, (), "no RAYYAN-INCLUSION decision in the notes"
    votes = re.findall(r'"([^"]*)"\s*=>\s*"([^"]*)"', found.group(1))
    decisions = {v.strip().lower() for _, v in votes}
    reasons_found = re.search(r"RAYYAN-EXCLUSION-REASONS:\s*([^|]*)", notes)
    reasons = tuple(r.strip() for r in (reasons_found.group(1) if reasons_found else "")
                    .split(",") if r.strip())
    if decisions == {"included"}:
        return "included", (), ""
    if decisions == {"excluded"}:
        return "excluded", reasons, ""
    shown = ", ".join(f"{terminal_text(who, 40)}: {terminal_text(what, 20)}" for who, what in votes)
    return None, reasons, f"reviewers undecided or disagree ({shown})"


def read_screening(path: str | Path, decision: str | None = None) -> ScreeningFile:
    """Read a Rayyan, ASReview or Covidence CSV export.

    Parameters
    ----------
    path : str or Path
    decision : str, optional
        ``included`` or ``excluded``: the decision of every row of a Covidence list.

    Raises
    ------
    InputError
        Unknown columns, an unknown tool, undecided records, an unreadable file.
    """
    path = Path(path)
    label = terminal_text(path.name)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(1 << 16)
            handle.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            reader = csv.DictReader(handle, dialect=dialect)
            header = [h.strip() for h in (reader.fieldnames or [])]
            rows = [(reader.line_num, {(k or "").strip().lower(): (v or "").strip()
                                       for k, v in row.items() if k is not None})
                    for row in reader]
    except FileNotFoundError:
        raise InputError(f"{label}: file not found; give the CSV the screening tool "
                         "exported") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{label}: cannot be read as a UTF-8 CSV file ({terminal_text(exc)}); "
                         "export it again as CSV") from None
    lower = [h.lower() for h in header]
    if "covidence #" in lower:
        tool, known = "Covidence", BIBLIOGRAPHIC | COVIDENCE
    elif any(c in lower for c in ASREVIEW_LABELS) and not any(
            "RAYYAN-INCLUSION" in r.get("notes", "") for _, r in rows[:50]):
        tool = "ASReview"
        known = BIBLIOGRAPHIC | set(ASREVIEW_LABELS) | {c for c in lower
                                                        if ASREVIEW_OTHER.match(c)}
    elif "notes" in lower and "key" in lower:
        tool, known = "Rayyan", BIBLIOGRAPHIC | RAYYAN
    else:
        raise InputError(f"{label}:1: not a screening export this importer knows: a Rayyan "
                         "export has the columns key and notes, an ASReview export a label "
                         "column (included or asreview_label), a Covidence export the column "
                         "'Covidence #'; export the file from the screening tool as CSV")
    unknown = [h for h, low in zip(header, lower) if low not in known]
    if unknown:
        raise InputError(f"{label}:1: {len(unknown)} column(s) this importer does not know "
                         f"for a {tool} export: "
                         f"{', '.join(terminal_text(u, 60) for u in unknown)}; remove them "
                         "(or rename them to a known name), so that no column holding "
                         "decisions is ignored in silence")
    if tool == "Covidence" and decision not in ("included", "excluded"):
        raise InputError(f"{label}: a Covidence export is one list of records; say which "
                         "with --decision included or --decision excluded")
    records, undecided = [], []
    label_column = next((c for c in ASREVIEW_LABELS if c in lower), None)
    for line, row in rows:
        title = row.get("title") or row.get("primary_title", "")
        authors = row.get("authors") or row.get("author", "")
        year = _year(row.get("year") or row.get("published year") or row.get("date", ""))
        doi = _doi(row.get("doi", "")) or _doi(row.get("url", ""))
        reasons: tuple[str, ...] = ()
        if tool == "Rayyan":
            verdict, reasons, why = _rayyan_decision(row.get("notes", ""))
            if verdict is None:
                undecided.append(f"{label}:{line}:notes: {why}")
                continue
        elif tool == "ASReview":
            value = row.get(label_column, "")
            if value in ("1", "1.0"):
                verdict = "included"
            elif value in ("0", "0.0"):
                verdict = "excluded"
            elif value in ("", "-1", "-1.0", "nan"):
                verdict, reasons = "excluded", (NOT_SCREENED,)
            else:
                undecided.append(f"{label}:{line}:{label_column}: '{terminal_text(value, 20)}' "
                                 "is not a label (1 relevant, 0 irrelevant, empty unlabelled)")
                continue
        else:
            verdict = decision
            given = row.get("exclusion reason") or row.get("exclusion reasons", "")
            reasons = tuple(r.strip() for r in given.split(";") if r.strip())
        records.append(ScreeningRecord(line, verdict, reasons if verdict == "excluded" else (),
                                       title, first_author_surname(authors), year, doi))
    if undecided:
        more = len(undecided) - MAX_ROWS_NAMED
        raise InputError(f"{label}: {len(undecided)} record(s) without a decision the PRISMA "
                         "flow can count; resolve them in the screening tool and export "
                         "again:\n  " + "\n  ".join(undecided[:MAX_ROWS_NAMED])
                         + (f"\n  ... and {more} more" if more > 0 else ""))
    if not records:
        raise InputError(f"{label}: holds no records; export the screened records")
    return ScreeningFile(label, tool, tuple(records))


@dataclass(frozen=True)
class ScreeningCounts:
    """The boxes of the PRISMA flow one export gives, as ``search_flow`` rows."""

    stage: str
    rows: tuple[dict[str, str], ...]  # stage, source, count as text
    included: tuple[ScreeningRecord, ...]


def count_stage(screening: ScreeningFile, stage: str, identified: dict[str, int] | None = None,
                duplicates_removed: int | None = None) -> ScreeningCounts:
    """The ``search_flow`` rows of one stage of screening (see the module's rules)."""
    n = len(screening.records)
    excluded = [r for r in screening.records if r.decision == "excluded"]
    included = tuple(r for r in screening.records if r.decision == "included")
    by_reason: Counter[str] = Counter()
    for record in excluded:
        # A record excluded for several reasons is counted once, under its first reason:
        # the boxes of the flow count records.
        by_reason[record.reasons[0] if record.reasons else NO_REASON] += 1
    rows = []
    if stage == "title-abstract":
        rows += [{"stage": "identified", "source": name, "count": str(count)}
                 for name, count in (identified or {}).items()]
        if duplicates_removed is not None:
            rows.append({"stage": "duplicates_removed", "source": "all",
                         "count": str(duplicates_removed)})
        rows.append({"stage": "screened", "source": "all", "count": str(n)})
        if set(by_reason) <= {NO_REASON}:
            rows.append({"stage": "excluded_title_abstract", "source": "all",
                         "count": str(len(excluded))})
        else:
            rows += [{"stage": "excluded_title_abstract", "source": reason, "count": str(c)}
                     for reason, c in by_reason.most_common()]
        rows.append({"stage": "full_text_assessed", "source": "all",
                     "count": str(len(included))})
    else:
        rows.append({"stage": "full_text_assessed", "source": "all", "count": str(n)})
        rows += [{"stage": "excluded_full_text", "source": reason, "count": str(c)}
                 for reason, c in by_reason.most_common()]
        rows.append({"stage": "included", "source": "all", "count": str(len(included))})
    return ScreeningCounts(stage, tuple(rows), included)


def check_flow(rows: list[dict[str, str]]) -> list[str]:
    """The PRISMA boxes that do not add up, in words (empty when the flow closes as far as
    its boxes are known)."""
    totals: Counter[str] = Counter()
    present = set()
    for row in rows:
        totals[row["stage"]] += int(row["count"])
        present.add(row["stage"])
    checks = [("screened", ("identified", "duplicates_removed"),
               "records identified minus duplicates removed"),
              ("full_text_assessed", ("screened", "excluded_title_abstract"),
               "records screened minus those excluded on title and abstract"),
              ("included", ("full_text_assessed", "excluded_full_text"),
               "full texts assessed minus those excluded")]
    wrong = []
    for box, (first, second), words in checks:
        if box in present and first in present and (second in present or second.startswith(
                "excluded")):
            expected = totals[first] - totals[second]
            if totals[box] != expected:
                wrong.append(f"{box} is {totals[box]:,} but {words} is {expected:,} "
                             f"({totals[first]:,} - {totals[second]:,})")
    return wrong


def parse_identified(items: list[str] | None) -> dict[str, int]:
    """``--identified NAME=N`` arguments as counts by source."""
    out: dict[str, int] = {}
    for item in items or []:
        name, sep, count = item.rpartition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise InputError(f"--identified {terminal_text(item, 60)}: write the database "
                             "and its number of records as NAME=N, e.g. --identified "
                             "MEDLINE=412 (once per database)")
        out[name.strip()] = out.get(name.strip(), 0) + int(count)
    return out


def import_screening(path, data_dir, stage: str, identified: list[str] | None = None,
                     duplicates_removed: int | None = None, decision: str | None = None):
    """Read a screening export and merge its PRISMA counts (and, at full text, the included
    papers) into the package at ``data_dir``.

    Returns
    -------
    tuple of (ScreeningFile, ScreeningCounts, ImportResult)
    """
    from analysis.contract.import_log import read_import_log
    from analysis.importers.package_update import apply_import, file_facts, package_rows

    if stage not in STAGES:
        raise InputError(f"--stage must be one of {', '.join(STAGES)}, not "
                         f"{terminal_text(stage, 40)}")
    if duplicates_removed is not None and duplicates_removed < 0:
        raise InputError("--duplicates-removed must be 0 or more")
    screening = read_screening(path, decision)
    counts = count_stage(screening, stage, parse_identified(identified), duplicates_removed)
    kind = f"screening {stage}"
    current = package_rows(data_dir, ["search_flow", "studies"])
    log = read_import_log(data_dir)
    own = set((log.latest(kind) or {}).get("tables", {}).get("search_flow", {}).get("rows", {}))
    new_keys = {(r["stage"], r["source"]) for r in counts.rows}
    disagree = []
    for line, row in enumerate(current["search_flow"], start=2):
        key = (row["stage"], row["source"])
        if key in new_keys and f"{key[0]}|{key[1]}" not in own:
            mine = next(r for r in counts.rows if (r["stage"], r["source"]) == key)
            if mine["count"] != row["count"]:
                disagree.append(f"search_flow.csv:{line}:count: {key[0]} "
                                f"({terminal_text(key[1], 60)}) is {row['count']} there, "
                                f"but {screening.file} gives {mine['count']}")
    if disagree:
        raise InputError("the export does not agree with the flow already in the package; "
                         "nothing was changed:\n  " + "\n  ".join(disagree)
                         + "\ncheck that the export holds every record of the stage (or "
                         "correct search_flow.csv), then import again")
    merged = [r for r in current["search_flow"] if (r["stage"], r["source"]) not in new_keys
              and f"{r['stage']}|{r['source']}" not in own] + list(counts.rows)
    stages = {r["stage"] for r in merged}
    if stage == "title-abstract" and "identified" not in stages:
        raise InputError("the first boxes of the PRISMA flow are not in a screening export: "
                         "give the records identified in each database with --identified "
                         "NAME=N (once per database) and the duplicates removed with "
                         "--duplicates-removed N")
    wrong = check_flow(merged)
    if wrong:
        raise InputError(f"the PRISMA counts do not add up with {screening.file}; nothing was "
                         "changed:\n  " + "\n  ".join(wrong))
    tables: dict[str, list[dict[str, str]]] = {"search_flow": list(counts.rows)}
    studies = []
    if stage == "full-text":
        previous = (log.latest(kind) or {}).get("ids", {}).get("records", {})
        used = {r["study_id"] for r in current["studies"]}
        records_ids: dict[str, str] = {}
        for record in counts.included:
            key = record.doi or re.sub(r"\W+", " ", record.title.lower()).strip()
            sid = previous.get(key)
            if not sid:
                number = max((int(u[1:]) for u in used if re.fullmatch(r"S\d+", u)),
                             default=0) + 1
                sid = f"S{number:02d}"
            used.add(sid)
            records_ids[key] = sid
            studies.append({"study_id": sid, "study_group": "G" + sid[1:],
                            "first_author": record.first_author, "year": record.year})
        tables["studies"] = studies
    record: dict[str, Any] = {
        **file_facts(path), "program": screening.tool,
        "options": {"stage": stage, **({"decision": decision} if decision else {})},
        "mapped": [{"from": f"{r['stage']} ({r['source']})", "to": f"search_flow {r['count']}"}
                   for r in counts.rows],
        "left_out": [], "records": len(screening.records)}
    if stage == "full-text":
        record["ids"] = {"records": records_ids}
        record["papers"] = [{"study_id": records_ids[r.doi or re.sub(r"\W+", " ", r.title.lower())
                                                     .strip()],
                             "title": r.title, "doi": r.doi, "first_author": r.first_author,
                             "year": r.year} for r in counts.included]
    result = apply_import(data_dir, kind, tables, record)
    return screening, counts, result
