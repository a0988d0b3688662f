"""The data dictionary page: the contract rendered for readers, for one data package.

Everything here is read from ``analysis/data_contract.json``, the package's own
``datapackage.json`` (its tables, their descriptions, its vocabularies and its study
section) and :data:`analysis.contract.rules.RULES`, so the page can never disagree with
what validation enforces. Only the tables the package holds are described, and only the
rules between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.contract.escape import Myst
from analysis.contract.package import FIXED_VOCABULARIES, DataPackage, contract_resources
from analysis.contract.rules import RULES
from analysis.contract.study import DEFAULT_SUSPENSION_LABEL
from analysis.contract.tools import tool_in_force

# Categories only a generated (synthetic) package uses: a package of real data has no
# invented sub-theme, so its dictionary does not offer the code.
SYNTHETIC_ONLY = {("framework", "subtheme_source"): ("invented",)}
FIXED_SOURCE = "the contract (fixed by the method)"
CONTRACT_DEFAULTS = "the contract's defaults"
RELABELLED_SOURCE = "the contract's codes, labelled in datapackage.json"
REVIEW_WORDS = {"meta_synthesis": "meta-synthesis", "interview_study": "interview study",
                "prevalence": "prevalence meta-analysis"}


def _own_resources(package: DataPackage) -> dict[str, dict[str, Any]]:
    return {r.get("name"): r for r in package.descriptor.get("resources", [])
            if isinstance(r, dict)}


def _own_text(entry: dict[str, Any] | None, default: str) -> str:
    """The package's own description of a table or column, else the contract's."""
    text = entry.get("description") if isinstance(entry, dict) else None
    return text.strip() if isinstance(text, str) and text.strip() else default


def table_description(package: DataPackage, table: str) -> str:
    """What a row of a table is, in the package's words when it gives them."""
    return _own_text(_own_resources(package).get(table),
                     contract_resources()[table]["description"])


def tables_overview(package: DataPackage) -> pd.DataFrame:
    """One row per table the package holds: file, what a row is, rows, keys."""
    rows = []
    for name, res in contract_resources().items():
        if name not in package.tables:
            continue
        fks = [f"{fk['fields'][0]} → {fk['reference']['resource']}"
               for fk in res["schema"]["foreignKeys"]]
        rows.append({"table": name, "file": res["path"],
                     "one row per": table_description(package, name),
                     "rows": len(package[name]),
                     "primary key": ", ".join(res["schema"]["primaryKey"]),
                     "foreign keys": "; ".join(fks) or "–"})
    return pd.DataFrame(rows).set_index("table")


def _allowed(fdef: dict) -> str:
    cons = fdef.get("constraints", {})
    parts = []
    if "enum" in cons:
        parts.append(", ".join(cons["enum"]))
    if "minimum" in cons and "maximum" in cons:
        parts.append(f"{cons['minimum']} to {cons['maximum']}")
    elif "minimum" in cons:
        parts.append(f"at least {cons['minimum']}")
    elif "maximum" in cons:
        parts.append(f"at most {cons['maximum']}")
    if "pattern" in cons:
        parts.append(f"matches {cons['pattern']}")
    if fdef["type"] == "date":
        parts.append("YYYY-MM-DD")
    if fdef["type"] == "boolean":
        parts.append("true or false")
    if cons.get("unique"):
        parts.append("unique")
    return "; ".join(parts) or "any text"


def vocabulary(package: DataPackage | None, table: str, column: str) -> dict[str, str]:
    """The categories of a column in force (code -> label, display order), as listed here.

    Without a package, the contract's defaults. A package of real data is not offered
    the categories only a generated package uses (:data:`SYNTHETIC_ONLY`).
    """
    if package is None:
        fdef = next(f for f in contract_resources()[table]["schema"]["fields"]
                    if f["name"] == column)
        labels = fdef.get("categoryLabels", {})
        codes = {v: labels.get(v, v) for v in fdef["constraints"].get("enum", [])}
    else:
        codes = package.categories(table, column)
        if not package.synthetic:
            hidden = SYNTHETIC_ONLY.get((table, column), ())
            codes = {k: v for k, v in codes.items() if k not in hidden}
    return codes


def fields_table(table: str, package: DataPackage | None = None) -> pd.DataFrame:
    """The columns of one table: type, whether required, allowed values, meaning.

    With a package, the allowed categories are those in force for it and the
    descriptions are the package's own where it gives them.
    """
    res = contract_resources()[table]
    own = {} if package is None else {
        f.get("name"): f for f in _own_resources(package).get(table, {}).get(
            "schema", {}).get("fields", []) if isinstance(f, dict)}
    # With a package, its columns in force: its own limits, the optional columns it has
    # and the covariates it declares; without one, every column of the contract.
    columns = res["schema"]["fields"] if package is None else package.fields(table)
    rows = []
    for f in columns:
        shown = f
        if "enum" in f.get("constraints", {}):
            shown = dict(f, constraints=dict(f["constraints"],
                                             enum=list(vocabulary(package, table, f["name"]))))
        required = f.get("constraints", {}).get("required")
        rows.append({"column": f["name"], "type": f["type"],
                     "required": "yes" if required else (
                         "no (empty: not reported)" if package is not None else "no"),
                     "allowed values": _allowed(shown),
                     "description": _own_text(own.get(f["name"]), f.get("description", ""))})
    return pd.DataFrame(rows).set_index("column")


def vocabulary_table(package: DataPackage, table: str) -> pd.DataFrame:
    """Every category of every categorical column of a table, in full.

    Returns
    -------
    DataFrame
        ``column``, ``order`` (display order, from 1), ``code`` (the value in the CSV),
        ``label`` (what the pages show) and ``declared in`` (``datapackage.json``, the
        contract's defaults, or the contract where a method fixes the categories).
        Empty when the table has no categorical column.
    """
    rows = []
    for f in package.fields(table):
        if "enum" not in f.get("constraints", {}):
            continue
        column = f["name"]
        source = (FIXED_SOURCE if (table, column) in FIXED_VOCABULARIES else
                  package.vocabulary_sources.get((table, column), CONTRACT_DEFAULTS))
        if source == CONTRACT_DEFAULTS and _relabelled(package, table, column):
            source = RELABELLED_SOURCE
        for order, (code, label) in enumerate(vocabulary(package, table, column).items(), 1):
            rows.append({"column": column, "order": order, "code": code, "label": label,
                         "declared in": source})
    return pd.DataFrame(rows, columns=["column", "order", "code", "label", "declared in"])


def _relabelled(package: DataPackage, table: str, column: str) -> bool:
    """Whether the package gives the contract's codes of a column labels of its own."""
    try:
        default = vocabulary(None, table, column)
    except (KeyError, StopIteration):  # a covariate: the contract has no such column
        return False
    return vocabulary(package, table, column) != default


def rules_table(package: DataPackage | None = None) -> pd.DataFrame:
    """The cross-table rules that validation checks, in words.

    With a package, only the rules that apply to it: those between tables it holds; a
    rule of the appraisal names the package's tool in force and its number of questions.
    """
    rules = [r for r in RULES if package is None
             or all(table in package.tables for table in r.tables)]
    rows = []
    for r in rules:
        sentence = r.description
        if package is not None and "casp_ratings" in r.tables:
            sentence += _tool_in_force(package)
        rows.append({"rule": r.name, "what must hold": sentence})
    return pd.DataFrame(rows, columns=["rule", "what must hold"]).set_index("rule")


def _tool_in_force(package: DataPackage) -> str:
    """' Here: the <tool>, <n> questions.': the appraisal tool a rule of the ratings
    speaks of, named for this package (study.appraisal.tool, the default when none)."""
    tool = tool_in_force(package.study.appraisal)
    n = len(tool["items"])
    return f" Here: the {tool['name']}, {n} question{'s' if n != 1 else ''}."


def _modes(package: DataPackage, modes: tuple[str, ...]) -> str:
    labels = package.categories("participants", "interview_mode")
    return "; ".join(labels.get(m, m) for m in modes)


def study_section(package: DataPackage) -> Myst:
    """What the package's ``study`` section declares, in words (a Markdown list).

    Every page that states a fact about the study reads it from this section; what is
    not declared is said to be so, and no page states it.
    """
    study = package.study
    none = "none declared"
    lines = [Myst("- **Title**: {}.").format(study.title or none)]
    if study.description:
        lines.append(Myst("- **Description**: {}").format(study.description))
    if study.reports:
        lines.append(Myst("- **Reports it re-analyses**:"))
        lines += [Myst("  - {} ({}): {}").format(r.short, REVIEW_WORDS.get(r.review, r.review),
                                                  r.citation)
                  for r in study.reports]
    else:
        lines.append(Myst("- **Reports it re-analyses**: {}.").format(none))
    if package.synthetic:  # a package of real data says nothing of it
        lines.append(Myst("- **Synthetic data**: yes; what was invented is listed above."))
    setting = study.setting
    if setting.country or setting.region != "region":
        where = f"{setting.country}; " if setting.country else "no country declared; "
        lines.append(Myst("- **Setting**: {}a region is called '{}' ('{}').").format(
            where, setting.region, setting.regions))
    else:
        lines.append(Myst("- **Setting**: {}.").format(none))
    if study.fieldwork_start:
        lines.append(Myst("- **Fieldwork**: {} to {}.").format(study.fieldwork_start,
                                                                study.fieldwork_end))
        for pause in study.suspensions:
            label = "" if pause.label == DEFAULT_SUSPENSION_LABEL else f" for {pause.label}"
            after = (f"; afterwards interviews only by {_modes(package, pause.modes_after)}"
                     if pause.modes_after else "")
            lines.append(Myst("  - Suspended{} from {} to {}{}.").format(label, pause.start,
                                                                          pause.end, after))
        if not study.suspensions:
            lines.append(Myst("  - No suspension declared."))
    else:
        lines.append(Myst("- **Fieldwork**: {}.").format(none))
    tool = study.appraisal.get("tool")
    declared = "agreed_label" in study.appraisal
    lines.append(Myst("- **Appraisal**: tool {}agreed answers under the reviewer label '{}'{}.")
                 .format(tool + ", " if tool else "not named, ", study.agreed_label,
                         "" if declared else " (the default)"))
    n = len(study.published)
    lines.append(Myst("- **Published figures to compare against**: ") + (
        Myst("{} figure{}, each with its source; the [Reproduction report](reproduction) sets "
             "them beside the computed values.").format(n, "s" if n != 1 else "")
        if n else Myst("{}, so the book has no reproduction report.").format(none)))
    return Myst("\n").join(lines)


def invented_table(package: DataPackage) -> pd.DataFrame:
    """What the data package declares as invented (empty for real data)."""
    items = package.descriptor.get("invented", []) if package.synthetic else []
    return pd.DataFrame({"invented for the synthetic data": items},
                        index=pd.RangeIndex(1, len(items) + 1, name="item"))


@dataclass(frozen=True)
class PackageStatement:
    """How a data package describes itself."""

    title: str
    synthetic: str
    description: str


def package_statement(package: DataPackage) -> PackageStatement:
    """Title, synthetic flag (in words) and description of a data package."""
    d = package.descriptor
    return PackageStatement(
        title=d.get("title", package.data_dir.name),
        synthetic="yes, the rows are invented" if package.synthetic else "no",
        description=d.get("description", ""),
    )


def reading_rules() -> pd.DataFrame:
    """How every file of a package is read: what is accepted as it is, what is
    normalised with a warning, and what is refused with a message; and how its text is
    written into the tables the book publishes.

    One rule for every table, from the constants that :mod:`analysis.contract.reading`
    and :mod:`analysis.contract.validation` enforce.
    """
    from analysis.contract import reading, validation

    rows = [
        ("accepted", "Line endings", "Windows (CRLF) or Unix (LF)."),
        ("accepted", "Blank lines", "Skipped; row numbers in messages stay the file's lines."),
        ("accepted", "Cells with line breaks or commas",
         "In double quotes, as Excel writes them; a message names the line the row starts on."),
        ("warning", "Byte-order mark (Excel's 'CSV UTF-8')", "Removed."),
        ("warning", "Spaces around a value", "Removed, also in identifiers and keys."),
        ("warning", "A code in other capitals, or the label the book shows for it",
         "Read as the code (for example 'Female' as 'female', \"Can't tell\" as "
         "'cant_tell'); one warning per column."),
        ("refused", "Encoding other than UTF-8 (Windows-1252, Latin-1, UTF-16)",
         "Save the file as CSV UTF-8; the message names the first line that is not UTF-8."),
        ("refused", "Semicolons or tabs between cells", "Save the file comma-separated."),
        ("refused", "A row of empty cells", "One message per row; delete the row."),
        ("refused", "A row with more or fewer cells than the header", "One message per row."),
        ("refused", "A column named twice in the header", "Keep one of them."),
        ("refused", "Dates other than YYYY-MM-DD",
         "Ambiguous dates such as 01/08/2019 are never guessed."),
        ("refused", "Whole numbers beyond " + f"{validation.LARGEST_INTEGER:,}",
         "Too large to be a count; words for infinity or a missing value are not numbers."),
        ("refused", f"A cell over {reading.MAX_CELL_CHARS:,} characters",
         "The book needs codes and short labels."),
        ("refused", f"A file over {reading.max_file_bytes(reading.MAX_FILE_BYTES):,} bytes",
         f"The limit is set by the environment variable {reading.MAX_FILE_BYTES_ENV}."),
        ("refused", "A link to a file outside the package folder, a device, a named pipe or "
         "a socket", "Only regular files inside the folder are read."),
        ("refused", "A control character in a cell or a text of datapackage.json (other than "
         "tabs and line breaks), or half of a surrogate pair",
         "Text is shown as text; the message shows the character escaped (\\x1b)."),
        ("refused", "In datapackage.json: a key given twice in one object, a number written "
         f"as a word (not-a-number, infinity), lists and objects nested more than "
         f"{reading.MAX_NESTING} deep",
         "A JSON reader would silently keep the last of two keys; such words are not JSON "
         "numbers."),
        ("refused", "In pages.yml and multiverse.yml: YAML aliases (*name), nesting more than "
         f"{reading.MAX_NESTING} deep", "Write each value out where it is needed."),
        ("refused", "A table with a header but no rows", "The message names the pages that "
         "need its rows."),
        ("refused", "In datapackage.json: true or false in quotes",
         "Booleans are JSON true or false, without quotes."),
        ("exported", "Text in the CSV files the book publishes (tables/ beside the pages)",
         "A cell that begins with =, +, -, @, a tab or a carriage return gets a leading "
         "apostrophe, so that a spreadsheet shows it as text and never runs it as a formula; "
         "numbers stay numbers."),
    ]
    return pd.DataFrame(rows, columns=["treatment", "what", "how"]).set_index("treatment")
