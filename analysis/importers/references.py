"""References (RIS or BibTeX) as the citations, first authors and years of included papers.

Each entry of the file (read with rispy or bibtexparser) gives a citation, a first author,
a year and a label ("Smith 2019"), and is matched to a paper of ``studies``: by DOI, else
by normalised title (lower case, letters and digits only), both as recorded by the
screening import of the included papers, else by first author and year as the table
holds them. Entries that match no paper are listed, never dropped in silence.

Where each piece goes is :data:`REFERENCE_COLUMNS`: the first author, the year, the
label and the citation each have a column of ``studies`` (the label and the citation are
optional columns: the import declares them in the package's ``datapackage.json`` when it
fills them). The import log keeps the citations too, for the page "Where the data came
from".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.contract.errors import InputError
from analysis.contract.escape import terminal_text
from analysis.importers.screening import first_author_surname

# What a reference gives -> the column of studies that takes it (None: no column; the
# value is kept in import_log.json). One table, so that it follows the contract.
REFERENCE_COLUMNS: dict[str, str | None] = {
    "first_author": "first_author",
    "year": "year",
    "label": "label",
    "citation": "citation",
}
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Reference:
    """One entry of a reference file, as the book uses it."""

    number: int  # position in the file, from 1
    first_author: str
    year: str
    title: str
    doi: str
    citation: str

    @property
    def label(self) -> str:
        return f"{self.first_author} {self.year}".strip()


def normal_title(title: str) -> str:
    """A title reduced for matching: lower case, letters and digits, single spaces."""
    return re.sub(r"[\W_]+", " ", title.lower()).strip()


def _citation(authors: list[str], year: str, title: str, journal: str, volume: str,
              pages: str, doi: str) -> str:
    names = [a.strip() for a in authors if a.strip()]
    who = ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")
    parts = [p for p in (who, f"({year})" if year else "", title.rstrip(".") + "." if title
                         else "", journal, volume, pages) if p]
    text = " ".join(parts[:3]) + (" " + ", ".join(parts[3:]) if parts[3:] else "")
    return text + (f". doi:{doi}" if doi else "")


def read_references(path: str | Path) -> tuple[Reference, ...]:
    """Read a ``.ris`` or ``.bib`` file.

    Raises
    ------
    InputError
        An unknown extension, an unreadable file, or a file with no entries.
    """
    import bibtexparser
    import rispy

    path = Path(path)
    label = terminal_text(path.name)
    if not path.is_file():
        raise InputError(f"{label}: file not found; give the .ris or .bib file the reference "
                         "manager exported")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{label}: larger than {MAX_FILE_BYTES // 2**20} MB; export only "
                         "the included papers")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (byte {exc.start:,}); export it again as "
                         "UTF-8") from None
    out = []
    suffix = path.suffix.lower()
    if suffix == ".ris":
        try:
            entries = rispy.loads(text)
        except Exception as exc:  # rispy raises bare exceptions on malformed tags
            raise InputError(f"{label}: not a RIS file ({terminal_text(exc)}); export it "
                             "again as RIS") from None
        for n, entry in enumerate(entries, start=1):
            authors = entry.get("authors") or entry.get("first_authors") or []
            year = re.search(r"\d{4}", str(entry.get("year") or entry.get("publication_year")
                                          or entry.get("date") or ""))
            title = entry.get("title") or entry.get("primary_title") or ""
            doi = (entry.get("doi") or "").strip().lower()
            journal = entry.get("journal_name") or entry.get("secondary_title") or ""
            pages = "-".join(p for p in (entry.get("start_page"), entry.get("end_page")) if p)
            out.append(Reference(n, first_author_surname(authors[0]) if authors else "",
                                 year.group(0) if year else "", title, doi,
                                 _citation(authors, year.group(0) if year else "", title,
                                           journal, entry.get("volume", ""), pages, doi)))
    elif suffix == ".bib":
        library = bibtexparser.parse_string(text)
        if library.failed_blocks:
            block = library.failed_blocks[0]
            raise InputError(f"{label}:{block.start_line + 1}: a BibTeX entry that cannot "
                             "be read; correct it in the reference manager and export again")
        for n, entry in enumerate(library.entries, start=1):
            fields = {k.lower(): str(v.value) for k, v in entry.fields_dict.items()}
            authors = [a.strip() for a in re.split(r"\s+and\s+", fields.get("author", ""))
                       if a.strip()]
            year = re.search(r"\d{4}", fields.get("year", "") or fields.get("date", ""))
            title = re.sub(r"[{}]", "", fields.get("title", ""))
            doi = fields.get("doi", "").strip().lower()
            out.append(Reference(n, first_author_surname(authors[0]) if authors else "",
                                 year.group(0) if year else "", title, doi,
                                 _citation(authors, year.group(0) if year else "", title,
                                           fields.get("journal", ""), fields.get("volume", ""),
                                           fields.get("pages", ""), doi)))
    else:
        raise InputError(f"{label}: give a .ris or .bib file (the extension says which)")
    if not out:
        raise InputError(f"{label}: holds no references; export the included papers")
    return tuple(out)


def import_references(path, data_dir):
    """Match the references of a file to the papers of ``studies`` and write what the
    contract has columns for (:data:`REFERENCE_COLUMNS`).

    Returns
    -------
    tuple of (references, matches, unmatched, ImportResult)
        ``matches`` maps study ids to their reference.
    """
    from analysis.contract.import_log import read_import_log
    from analysis.importers.package_update import apply_import, file_facts, package_rows

    references = read_references(path)
    studies = package_rows(data_dir, ["studies"])["studies"]
    if not studies:
        raise InputError(f"{data_dir}: the package has no papers in studies.csv to match "
                         "references to; import the full-text screening (python -m analysis "
                         "import screening FILE --stage full-text) or write studies.csv first")
    by_doi, by_title = {}, {}
    for record in read_import_log(data_dir).records:
        for paper in record.get("papers", []):
            if paper.get("doi"):
                by_doi[paper["doi"].lower()] = paper["study_id"]
            if paper.get("title"):
                by_title[normal_title(paper["title"])] = paper["study_id"]
    by_label = {}
    for row in studies:
        by_label.setdefault((row["first_author"].lower(), row["year"]), []).append(row["study_id"])
    known = {row["study_id"] for row in studies}
    matches: dict[str, Reference] = {}
    unmatched = []
    for ref in references:
        sid = by_doi.get(ref.doi) if ref.doi else None
        how = "DOI"
        if not sid and ref.title:
            sid, how = by_title.get(normal_title(ref.title)), "title"
        if not sid:
            candidates = by_label.get((ref.first_author.lower(), ref.year), [])
            sid, how = (candidates[0], "first author and year") if len(candidates) == 1 else (
                None, "")
        if sid in known and sid not in matches:
            matches[sid] = ref
        else:
            unmatched.append(ref)
    rows = []
    for sid, ref in matches.items():
        row = {"study_id": sid}
        for field, column in REFERENCE_COLUMNS.items():
            if column is not None:
                row[column] = getattr(ref, field)
        rows.append(row)
    record: dict[str, Any] = {
        **file_facts(path), "program": "RIS" if Path(path).suffix.lower() == ".ris" else "BibTeX",
        "options": {},
        "mapped": [{"from": f"reference {ref.number} ({ref.label})", "to": f"studies {sid}"}
                   for sid, ref in matches.items()],
        "left_out": ([{"what": f"reference {ref.number} ({ref.label}): matches no paper",
                       "count": 1} for ref in unmatched]
                     + [{"what": f"{field} of each reference (no column of studies yet; "
                                 "kept here)", "count": len(matches)}
                        for field, column in REFERENCE_COLUMNS.items() if column is None]),
        "citations": {sid: {"label": ref.label, "citation": ref.citation}
                      for sid, ref in matches.items()}}
    result = apply_import(data_dir, "references", {"studies": rows}, record,
                          fills_only=frozenset({"studies"}))
    return references, matches, tuple(unmatched), result
