"""Reading a REFI-QDA project: ``.qdpx`` (a zip), a bare ``project.qde`` or a ``.qdc`` codebook.

What every QDA program (NVivo, ATLAS.ti, MAXQDA, QualCoder, Taguette...) exports in the
REFI-QDA standard is read into a :class:`QdaProject`: the codes and their hierarchy, the
sources, the coded text segments (``PlainTextSelection`` with its ``Coding``), the cases
and their variables, and a count of everything else the project holds that a book of
tables cannot use (memos, picture, PDF, audio and video selections, sets, links, users,
graphs), so that nothing is dropped in silence.

The file is untrusted input. The XML is parsed by defusedxml, which refuses document
type declarations (no entity can expand); the zip is read in memory (nothing is
extracted), member names that would escape the archive's folder are refused, and no
member is read beyond :data:`MAX_MEMBER_BYTES`. Every problem is one :class:`InputError`
naming the file, the line of the XML element and what to do.

Offsets of text selections are checked against the source's plain text (inside the
archive's ``sources/`` folder, or ``PlainTextContent``): the standard counts them in
Unicode code points from the start of the text (a byte-order mark is not part of it).

References
----------
REFI-QDA Project Exchange standard 1.0 (QDA-XML, ``urn:QDA-XML:project:1.0``;
codebook ``urn:QDA-XML:codebook:1.0``), Rotterdam Exchange Format Initiative, 2019.
https://www.qdasoftware.org/
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from analysis.contract.errors import InputError
from analysis.contract.escape import terminal_text

PROJECT_NAMESPACES = ("urn:QDA-XML:project:1.0", "urn:QDA-XML:project:1:0")
CODEBOOK_NAMESPACES = ("urn:QDA-XML:codebook:1.0", "urn:QDA-XML:codebook:1:0")
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # a project.qde or one source text; real ones are far smaller
MAX_MEMBERS = 20_000

# What a book of tables cannot use, by element, in the words of the list it prints.
UNUSED_ELEMENTS = {
    "User": "users",
    "Note": "notes and memos (Notes)",
    "Link": "links between codes, sources and selections (Links)",
    "Set": "sets of codes or sources (Sets)",
    "Graph": "graphs (Graphs)",
    "PictureSelection": "picture selections",
    "PDFSelection": "PDF region selections",
    "AudioSelection": "audio selections",
    "VideoSelection": "video selections",
    "TranscriptSelection": "transcript selections (synchronised with audio or video)",
}
SOURCE_KINDS = ("TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource")
VALUE_ELEMENTS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue",
                  "DateTimeValue")


@dataclass(frozen=True)
class Code:
    """A code of the codebook, with its place in the hierarchy (depth 1 = top level)."""

    guid: str
    name: str
    parent: str | None
    depth: int
    children: tuple[str, ...]
    codable: bool


@dataclass(frozen=True)
class Segment:
    """One coding of a text selection: the code applied to characters start..end of a source."""

    source: str  # guid of the source
    selection: str  # guid of the PlainTextSelection
    code: str  # guid of the code
    start: int
    end: int


@dataclass(frozen=True)
class Source:
    """A source document of the project."""

    guid: str
    name: str
    kind: str  # TextSource, PDFSource, ...
    text_length: int | None  # code points of its plain text; None when not in the file
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A case (a participant, a paper...) and the sources or selections that belong to it."""

    guid: str
    name: str
    sources: tuple[str, ...]
    selections: tuple[str, ...]
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unused:
    """Something the project holds that the book's tables have no place for."""

    what: str
    count: int


@dataclass(frozen=True)
class QdaProject:
    """A REFI-QDA project (or codebook) as read, before any mapping onto tables."""

    file: str  # the name of the file read, for messages
    kind: str  # "project" or "codebook"
    origin: str  # the program that exported it, as it says
    name: str
    codes: dict[str, Code]  # by guid, in the codebook's order
    sources: dict[str, Source]
    segments: tuple[Segment, ...]
    cases: tuple[Case, ...]
    unused: tuple[Unused, ...]
    offsets_checked: bool  # False when the source texts are not in the file (a bare .qde)


# ------------------------------------------------------------------ the container


def read_project(path: str | Path) -> QdaProject:
    """Read a ``.qdpx`` archive, a bare ``.qde`` project or a ``.qdc`` codebook.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    QdaProject

    Raises
    ------
    InputError
        A file that cannot be read as REFI-QDA, with what to do about it.
    """
    path = Path(path)
    label = terminal_text(path.name)
    if not path.is_file():
        raise InputError(f"{label}: file not found; give the .qdpx, .qde or .qdc file the "
                         "QDA program exported")
    if zipfile.is_zipfile(path) or path.suffix.lower() == ".qdpx":
        return _read_archive(path, label)
    data = _read_capped(path.open("rb"), label)
    return parse_project(data, label, texts=None)


def _read_capped(handle, label: str) -> bytes:
    with handle:
        data = handle.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise InputError(f"{label}: larger than {MAX_MEMBER_BYTES // 2**20} MB once "
                         "unpacked; this is not a project a QDA program exports (a "
                         "compressed bomb?); export the project again")
    return data


def _safe_member(name: str) -> bool:
    """Whether a member name stays inside the archive's folder."""
    if name.startswith(("/", "\\")) or "\\" in name or ":" in name.split("/")[0]:
        return False
    return ".." not in posixpath.normpath(name).split("/")


def _read_archive(path: Path, label: str) -> QdaProject:
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
        bad = archive.testzip() if len(infos) <= MAX_MEMBERS else None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise InputError(f"{label}: not a complete zip archive ({terminal_text(exc)}); the "
                         "file is truncated or damaged: export the project from the QDA "
                         "program again") from None
    with archive:
        if bad is not None:
            raise InputError(f"{label}: the archive member {terminal_text(bad)} is damaged "
                             "(its checksum does not match); export the project again")
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"{label}: holds {len(infos):,} files, more than a QDA project "
                             f"has (at most {MAX_MEMBERS:,} are read); export it again")
        escaping = [i.filename for i in infos if not _safe_member(i.filename)]
        if escaping:
            raise InputError(f"{label}: the archive holds paths that leave its folder "
                             f"({', '.join(terminal_text(n, 80) for n in escaping[:3])}); "
                             "this is not a QDA export: the file is refused")
        huge = [i.filename for i in infos if i.file_size > MAX_MEMBER_BYTES]
        if huge:
            raise InputError(f"{label}: the member {terminal_text(huge[0], 80)} unpacks to "
                             f"more than {MAX_MEMBER_BYTES // 2**20} MB; this is not a project "
                             "a QDA program exports (a compressed bomb?): the file is refused")
        members = {i.filename: i for i in infos if not i.is_dir()}
        qde = [n for n in members if n.lower().endswith(".qde") and "/" not in n]
        if len(qde) != 1:
            raise InputError(f"{label}: a .qdpx archive holds one project.qde at its top "
                             f"level; this one holds {len(qde)}: export the project again")

        def read_member(name: str) -> bytes:
            try:
                return _read_capped(archive.open(members[name]), f"{label}/{terminal_text(name)}")
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                raise InputError(f"{label}: cannot unpack {terminal_text(name)} "
                                 f"({terminal_text(exc)}); the archive is damaged: export "
                                 "the project again") from None

        by_lower = {n.lower(): n for n in members}

        def text_of(internal: str) -> str | None:
            name = by_lower.get(f"sources/{internal}".lower())
            if name is None:
                return None
            raw = read_member(name)
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise InputError(f"{label}/{terminal_text(name)}: the plain text is not UTF-8 "
                                 f"(byte {exc.start:,}); the standard requires UTF-8: export "
                                 "the project again") from None

        return parse_project(read_member(qde[0]), f"{label}/{terminal_text(qde[0])}",
                             texts=text_of)


# ------------------------------------------------------------------ the XML


class _LineBuilder(ET.TreeBuilder):
    """A tree builder that remembers the line each element starts on, for messages."""

    def __init__(self):
        super().__init__()
        self.lines: dict[ET.Element, int] = {}
        self.parser = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[element] = self.parser.parser.CurrentLineNumber
        return element


def _parse_xml(data: bytes, label: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    builder = _LineBuilder()
    parser = safe_xml.DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        raise InputError(f"{label}: the XML declares a document type or entities "
                         f"({terminal_text(type(exc).__name__)}), which a REFI-QDA project "
                         "never does; the file is refused") from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputError(f"{label}:{line}:{column}: not well-formed XML "
                         f"({terminal_text(exc)}); the file is truncated or damaged: export "
                         "the project again") from None
    return root, builder.lines


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def parse_project(data: bytes, label: str, texts=None) -> QdaProject:
    """Read the XML of a project or codebook.

    Parameters
    ----------
    data : bytes
        The ``project.qde`` or ``.qdc`` file.
    label : str
        The file's name, as messages quote it (already escaped).
    texts : callable, optional
        ``texts(name)`` returns the plain text of ``internal://name`` (None when the
        archive does not hold it); None for a bare ``.qde``: offsets are not checked.
    """
    root, lines = _parse_xml(data, label)
    ns = _namespace(root.tag)
    kind = {"Project": "project", "CodeBook": "codebook"}.get(_local(root.tag))
    allowed = PROJECT_NAMESPACES if kind == "project" else CODEBOOK_NAMESPACES
    if kind is None or ns not in allowed:
        raise InputError(
            f"{label}:{lines.get(root, 1)}: the root element is "
            f"{terminal_text(_local(root.tag))} in the namespace '{terminal_text(ns)}', "
            f"not a REFI-QDA Project ({PROJECT_NAMESPACES[0]}) or CodeBook "
            f"({CODEBOOK_NAMESPACES[0]}); export the project from the QDA program in the "
            "REFI-QDA format (.qdpx)")
    q = "{" + ns + "}"

    def where(element: ET.Element) -> str:
        return f"{label}:{lines.get(element, '?')}:{_local(element.tag)}"

    def required(element: ET.Element, attribute: str) -> str:
        value = element.get(attribute)
        if value is None or not value.strip():
            raise InputError(f"{where(element)}: has no {attribute}; the standard requires "
                             "it: export the project again")
        return value

    codes: dict[str, Code] = {}

    def read_codes(parent_element: ET.Element, parent: str | None, depth: int) -> list[str]:
        found = []
        for element in parent_element.findall(q + "Code"):
            guid = required(element, "guid")
            if guid in codes:
                raise InputError(f"{where(element)}: the code guid {terminal_text(guid)} is "
                                 "used twice; export the project again")
            codes[guid] = None  # placeholder keeps the codebook's order
            children = read_codes(element, guid, depth + 1)
            codes[guid] = Code(guid, element.get("name", "").strip() or guid, parent, depth,
                               tuple(children), element.get("isCodable", "true") == "true")
            found.append(guid)
        return found

    unused: Counter[str] = Counter()
    codes_element = root.find(f"{q}CodeBook/{q}Codes") if kind == "project" else root.find(
        q + "Codes")
    if codes_element is not None:
        read_codes(codes_element, None, 1)
    for element in root.iter():
        local = _local(element.tag)
        if local in UNUSED_ELEMENTS:
            unused[UNUSED_ELEMENTS[local]] += 1
    described = sum(1 for c in root.iter(q + "Code") if c.find(q + "Description") is not None)
    if described:
        unused["descriptions of codes"] += described
    if kind == "codebook":
        return QdaProject(label, kind, root.get("origin", ""), root.get("name", ""), codes, {},
                          (), (), _unused(unused), offsets_checked=False)

    variables = {required(v, "guid"): v.get("name", "").strip()
                 for v in root.iter(q + "Variable")}

    def values_of(element: ET.Element) -> dict[str, str]:
        values = {}
        for value in element.findall(q + "VariableValue"):
            ref = value.find(q + "VariableRef")
            target = ref.get("targetGUID") if ref is not None else None
            if target not in variables:
                raise InputError(f"{where(value)}: refers to a variable "
                                 f"{terminal_text(target)} the project does not declare; "
                                 "export the project again")
            given = next((value.find(q + v) for v in VALUE_ELEMENTS
                          if value.find(q + v) is not None), None)
            values[variables[target]] = (given.text or "").strip() if given is not None else ""
        return values

    sources: dict[str, Source] = {}
    segments: list[Segment] = []
    offsets_checked = texts is not None
    selections_seen: set[str] = set()

    def text_selections(owner: ET.Element, source_guid: str, text_owner: ET.Element) -> int | None:
        """Read the PlainTextSelections of a text (a TextSource, a PDF's Representation)."""
        nonlocal offsets_checked
        text = None
        inline = text_owner.find(q + "PlainTextContent")
        if inline is not None:
            text = inline.text or ""
        elif texts is not None:
            path = text_owner.get("plainTextPath", "")
            if path.startswith("internal://"):
                text = texts(path.removeprefix("internal://"))
        if text is None:
            offsets_checked = False
        length = len(text) if text is not None else None
        for selection in text_owner.findall(q + "PlainTextSelection"):
            guid = required(selection, "guid")
            selections_seen.add(guid)
            try:
                start = int(required(selection, "startPosition"))
                end = int(required(selection, "endPosition"))
            except ValueError:
                raise InputError(f"{where(selection)}: startPosition and endPosition must be "
                                 "whole numbers; export the project again") from None
            if start < 0 or end < start:
                raise InputError(f"{where(selection)}: the selection runs from {start} to "
                                 f"{end}; a selection starts at 0 or later and ends at or "
                                 "after its start: export the project again")
            if length is not None and end > length:
                raise InputError(
                    f"{where(selection)}: endPosition {end:,} is past the end of the text of "
                    f"source '{terminal_text(sources_name)}' ({length:,} characters); the "
                    "offsets do not belong to this text: export the project again with its "
                    "sources")
            if selection.find(q + "Description") is not None:
                unused["descriptions (memos) of coded selections"] += 1
            if selection.find(q + "NoteRef") is not None:
                unused["notes attached to coded selections"] += 1
            for coding in selection.findall(q + "Coding"):
                ref = coding.find(q + "CodeRef")
                target = ref.get("targetGUID") if ref is not None else None
                if target not in codes:
                    raise InputError(
                        f"{where(coding)}: the coding refers to the code "
                        f"{terminal_text(target)}, which is not in the codebook; the "
                        "project is incomplete: export it again with its codebook")
                segments.append(Segment(source_guid, guid, target, start, end))
        return length

    sources_element = root.find(q + "Sources")
    for element in (list(sources_element) if sources_element is not None else []):
        local = _local(element.tag)
        if local not in SOURCE_KINDS:
            continue
        guid = required(element, "guid")
        sources_name = element.get("name", "").strip() or guid
        length = None
        if local == "TextSource":
            length = text_selections(element, guid, element)
        else:
            for text in element.findall(q + "Representation") + element.findall(
                    q + "TextDescription"):
                text_selections(element, guid, text)
        whole = len(element.findall(q + "Coding"))
        if whole:
            unused["codes applied to a whole source"] += whole
        if element.findall(q + "NoteRef"):
            unused["notes attached to sources"] += len(element.findall(q + "NoteRef"))
        sources[guid] = Source(guid, sources_name, local, length, values_of(element))

    cases = []
    for element in root.iter(q + "Case"):
        guid = required(element, "guid")
        refs = tuple(r.get("targetGUID", "") for r in element.findall(q + "SourceRef"))
        unknown = [r for r in refs if r not in sources]
        if unknown:
            raise InputError(f"{where(element)}: the case refers to a source "
                             f"{terminal_text(unknown[0])} the project does not hold; "
                             "export the project again with its sources")
        picked = tuple(r.get("targetGUID", "") for r in element.findall(q + "SelectionRef"))
        if element.findall(q + "CodeRef"):
            unused["codes applied to a whole case"] += len(element.findall(q + "CodeRef"))
        cases.append(Case(guid, element.get("name", "").strip() or guid, refs, picked,
                          values_of(element)))
    return QdaProject(label, kind, root.get("origin", ""), root.get("name", ""), codes,
                      sources, tuple(segments), tuple(cases), _unused(unused), offsets_checked)


def _unused(counts: Counter) -> tuple[Unused, ...]:
    return tuple(Unused(what, n) for what, n in sorted(counts.items()) if n)
