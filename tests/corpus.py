"""A corpus of broken data packages, one mistake each, made from the bundled data.

Each :class:`Case` copies ``data_synthetic/`` and makes one change that a researcher's
spreadsheet software or a slip of the hand makes, so that the corpus stays in step with
the contract as the bundled package changes. ``BROKEN`` must fail validation with exit
2 and a message at ``where`` that says ``says``; ``SAFE`` are harmless variants that are
accepted with a warning.

    python -m tests.corpus OUT_DIR      # writes every case as OUT_DIR/<name>/
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis import paths


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path], None]
    where: str  # "file", "file:row" or "file:row:column" (or "file:column" for descriptors)
    says: str  # part of the message that says what to fix


# ------------------------------------------------------------------ small edits


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]], **kw) -> None:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator=kw.pop("end", "\n"), **kw).writerows(rows)
    path.write_bytes(out.getvalue().encode(kw.pop("encoding", "utf-8")))


def set_cell(file: str, line: int, column: str, value: str):
    """Set one cell (``line`` counts the header as 1, in a file of one line per record)."""
    def mutate(d: Path) -> None:
        rows = _rows(d / file)
        rows[line - 1][rows[0].index(column)] = value
        _write_rows(d / file, rows)
    return mutate


def insert_line(file: str, after: int, text: str):
    def mutate(d: Path) -> None:
        lines = (d / file).read_text(encoding="utf-8").split("\n")
        lines.insert(after, text)
        (d / file).write_text("\n".join(lines), encoding="utf-8")
    return mutate


def both(*edits):
    def mutate(d: Path) -> None:
        for edit in edits:
            edit(d)
    return mutate


def rewrite(file: str, change: Callable[[str], str]):
    def mutate(d: Path) -> None:
        (d / file).write_text(change((d / file).read_text(encoding="utf-8")), encoding="utf-8")
    return mutate


def encode(file: str, encoding: str, prefix: bytes = b""):
    def mutate(d: Path) -> None:
        text = (d / file).read_text(encoding="utf-8")
        (d / file).write_bytes(prefix + text.encode(encoding))
    return mutate


def descriptor(change: Callable[[dict], object]):
    def mutate(d: Path) -> None:
        path = d / paths.DATAPACKAGE_NAME
        value = json.loads(path.read_text(encoding="utf-8"))
        result = change(value)  # a list replaces the descriptor; anything else edits it
        path.write_text(json.dumps(result if isinstance(result, list) else value, indent=2,
                                   ensure_ascii=False), encoding="utf-8")
    return mutate


def header_only(file: str):
    def mutate(d: Path) -> None:
        first = (d / file).read_text(encoding="utf-8").split("\n")[0]
        (d / file).write_text(first + "\n", encoding="utf-8")
    return mutate


def delimited(file: str, delimiter: str):
    def mutate(d: Path) -> None:
        _write_rows(d / file, _rows(d / file), delimiter=delimiter)
    return mutate


def folder_instead(file: str):
    def mutate(d: Path) -> None:
        (d / file).unlink()
        (d / file).mkdir()
    return mutate


def delete(file: str):
    return lambda d: (d / file).unlink()


def bytes_of(file: str, data: bytes):
    return lambda d: (d / file).write_bytes(data)


def duplicate_column(file: str, column: str):
    def mutate(d: Path) -> None:
        rows = _rows(d / file)
        i = rows[0].index(column)
        _write_rows(d / file, [r + [r[i]] for r in rows])
    return mutate


def add_column(file: str, name: str):
    def mutate(d: Path) -> None:
        rows = _rows(d / file)
        _write_rows(d / file, [rows[0] + [name]] + [r + ["x"] for r in rows[1:]])
    return mutate


def drop_column(file: str, name: str):
    def mutate(d: Path) -> None:
        rows = _rows(d / file)
        i = rows[0].index(name)
        _write_rows(d / file, [r[:i] + r[i + 1:] for r in rows])
    return mutate


def copy_row(file: str, line: int):
    def mutate(d: Path) -> None:
        rows = _rows(d / file)
        _write_rows(d / file, rows + [rows[line - 1]])
    return mutate


def multiline_cell(file: str, line: int, column: str):
    """Excel's Alt+Enter: a quoted cell that holds a line break."""
    def mutate(d: Path) -> None:
        rows = _rows(d / file)
        rows[line - 1][rows[0].index(column)] += "\nsecond line"
        _write_rows(d / file, rows, quoting=csv.QUOTE_MINIMAL)
    return mutate


P, S, V, C = "participants.csv", "studies.csv", "prevalence_studies.csv", "casp_ratings.csv"
DP = paths.DATAPACKAGE_NAME

BROKEN = [
    # 1. Row numbers are the file's lines.
    Case("after_blank_line", both(insert_line(P, 3, ""), set_cell(P, 6, "gender", "mal")),
         f"{P}:6:gender", "allowed (the contract's defaults): female"),
    Case("after_two_blank_lines", both(insert_line(S, 2, ""), insert_line(S, 2, ""),
                                       set_cell(S, 8, "year", "199x")),
         f"{S}:8:year", "not a whole number"),
    Case("after_multiline_cell", both(set_cell(S, 6, "year", "1850"),
                                      multiline_cell(S, 3, "first_author")),
         f"{S}:7:year", "below the minimum"),
    Case("after_crlf_multiline_cell",
         both(set_cell(P, 9, "duration_min", "0"), multiline_cell(P, 2, "participant_id"),
              rewrite(P, lambda t: t.replace("\n", "\r\n"))),
         f"{P}:10:duration_min", "below the minimum"),
    # 2. What used to be a traceback.
    Case("inf_in_integer", set_cell(P, 4, "duration_min", "inf"),
         f"{P}:4:duration_min", "not a whole number"),
    Case("nan_in_integer", set_cell(V, 3, "n", "NaN"), f"{V}:3:n", "not a whole number"),
    Case("folder_instead_of_csv", folder_instead(P), P, "is a folder, not a file"),
    Case("latin1_descriptor",
         both(descriptor(lambda d: d.update(title="Donn\u00e9es")), encode(DP, "latin-1")),
         f"{DP}:", "save it as UTF-8"),
    Case("descriptor_is_a_list", descriptor(lambda d: [d]), DP, "must be a JSON object"),
    Case("resources_is_an_object",
         descriptor(lambda d: d.update(resources={r["name"]: r for r in d["resources"]})),
         f"{DP}:resources", "must be a list"),
    Case("fieldwork_without_end", descriptor(lambda d: d["study"]["fieldwork"].pop("end")),
         f"{DP}:study.fieldwork.end", "needs both 'start' and 'end'"),
    Case("suspension_without_start",
         descriptor(lambda d: d["study"]["fieldwork"]["suspensions"][0].pop("start")),
         f"{DP}:study.fieldwork.suspensions[0].start", "needs both"),
    # 3. What used to be accepted and wrong.
    Case("synthetic_as_string", descriptor(lambda d: d.update(synthetic="false")),
         f"{DP}:synthetic", "write true or false without quotes"),
    Case("fieldwork_day_first",
         descriptor(lambda d: d["study"]["fieldwork"].update(start="01/07/2019")),
         f"{DP}:study.fieldwork.start", "YYYY-MM-DD"),
    Case("interview_date_day_first", set_cell(P, 2, "interview_date", "07/07/2019"),
         f"{P}:2:interview_date", "is not guessed"),
    Case("empty_prevalence_table", header_only(V), V, "needs at least one row for: Prevalence"),
    # 4. What used to be misleading.
    Case("empty_participants_table", header_only(P), P, "needs at least one row"),
    Case("number_too_large", set_cell(V, 2, "n", "1e400"), f"{V}:2:n", "too large"),
    Case("integer_too_large", set_cell(P, 3, "interview_order", "99999999999999999999"),
         f"{P}:3:interview_order", "too large"),
    Case("duplicated_column", duplicate_column(P, "gender"), f"{P}:1:gender", "appears twice"),
    Case("semicolons", delimited(P, ";"), f"{P}:1", "uses ';' (semicolon) between cells"),
    Case("tabs", delimited(S, "\t"), f"{S}:1", "uses tabs between cells"),
    Case("windows_1252", both(set_cell(S, 4, "first_author", "Gonz\u00e1lez"),
                              encode(S, "cp1252")),
         f"{S}:4", "save it as CSV UTF-8"),
    Case("utf16", encode(P, "utf-16"), P, "UTF-16"),
    Case("excel_blank_row", insert_line(P, 5, ",,,,,,,,,,,,"), f"{P}:6", "blank row"),
    Case("cell_over_limit", set_cell(S, 2, "first_author", "x" * 20_000),
         f"{S}:2:first_author", "over the limit of 10,000"),
    # 5. The contract's own checks, with what to fix.
    Case("unknown_category", set_cell(P, 5, "gender", "mal"), f"{P}:5:gender",
         "allowed (the contract's defaults):"),
    Case("required_cell_empty", set_cell(P, 7, "region", ""), f"{P}:7:region", "required"),
    Case("below_minimum", set_cell(P, 8, "duration_min", "0"), f"{P}:8:duration_min",
         "below the minimum of 1"),
    Case("above_maximum", set_cell(P, 8, "duration_min", "601"), f"{P}:8:duration_min",
         "above the maximum of 600"),
    Case("not_a_whole_number", set_cell(P, 8, "duration_min", "45.5"), f"{P}:8:duration_min",
         "not a whole number"),
    Case("wrong_form", set_cell(P, 3, "participant_id", "X002"), f"{P}:3:participant_id",
         "required form"),
    Case("not_a_boolean", set_cell(P, 3, "ethnic_minority", "maybe"),
         f"{P}:3:ethnic_minority", "not true or false"),
    Case("impossible_date", set_cell(P, 3, "interview_date", "2019-02-30"),
         f"{P}:3:interview_date", "YYYY-MM-DD"),
    Case("duplicated_key", copy_row(C, 2), f"{C}:", "already on row 2"),
    Case("unknown_foreign_key", set_cell("participant_codes.csv", 2, "participant_id", "P999"),
         "participant_codes.csv:2:participant_id", "add it there or correct it here"),
    Case("missing_column", drop_column(S, "country"), f"{S}:1:country", "column missing"),
    Case("unexpected_column", add_column(S, "notes"), f"{S}:1:notes", "unexpected column"),
    Case("missing_file", delete("search_flow.csv"), "search_flow.csv", "file not found"),
    Case("empty_file", bytes_of("cerqual.csv", b""), "cerqual.csv", "needs a header line"),
    Case("ragged_row", insert_line(S, 3, "S99,G99,A,2010,UK,generic,extra,cells,9,10,11"),
         f"{S}:4", "check for a comma inside a cell"),
    Case("nul_bytes", bytes_of("search_flow.csv", b"stage,source,count\n\x00\x00\n"),
         "search_flow.csv", "NUL bytes"),
    Case("descriptor_not_json", rewrite(DP, lambda t: t.replace('"name"', "name", 1)),
         f"{DP}:", "not valid JSON"),
    Case("descriptor_missing", delete(DP), DP, "copy data_synthetic/datapackage.json"),
    Case("descriptor_field_type", descriptor(
        lambda d: d["resources"][0]["schema"]["fields"][0].update(type="integer")),
         DP, "copy the schema from data_synthetic"),
    Case("cross_table_rule", both(set_cell(P, 2, "ethnicity", "White British"),
                                  set_cell(P, 2, "ethnic_minority", "true")),
         f"{P}:2:ethnic_minority", "set it to false"),
]

SAFE = [
    # (case, column warned about); `where` is the file and column of the one warning.
    Case("label_instead_of_code", set_cell(P, 2, "gender", "Female"), f"{P}:gender",
         "'Female' as 'female'"),
    Case("code_in_capitals", set_cell(C, 2, "rating", "YES"), f"{C}:rating", "'YES' as 'yes'"),
    Case("cant_tell_label", set_cell(C, 3, "rating", "Can't tell"), f"{C}:rating",
         "as 'cant_tell'"),
    Case("trailing_space_in_key", set_cell(P, 2, "participant_id", "P001 "),
         f"{P}:participant_id", "spaces were removed"),
    Case("bom_in_descriptor", encode(DP, "utf-8", prefix=b"\xef\xbb\xbf"), DP,
         "byte-order mark"),
    Case("bom_in_csv", encode(S, "utf-8", prefix=b"\xef\xbb\xbf"), S, "byte-order mark"),
    Case("crlf", rewrite(P, lambda t: t.replace("\n", "\r\n")), "", ""),
]


def make(case: Case, root: Path) -> Path:
    """Write one case as ``root/<name>/`` and return the folder."""
    target = root / case.name
    shutil.copytree(paths.DATA_SYNTHETIC, target)
    case.mutate(target)
    return target


if __name__ == "__main__":
    out = Path(sys.argv[1])
    for case in BROKEN + SAFE:
        print(make(case, out))
