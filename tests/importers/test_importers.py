"""Importing from the researcher's tools: REFI-QDA projects, screening exports, references.

The REFI-QDA tests run on real exports of NVivo 12.6 (tests/fixtures/qda/README.md cites
them) and on a generated project holding every element the REFI-QDA 1.0 schema allows
(:func:`full_project`). Counts are checked against a direct count of the ``Coding``
elements in the XML, made here with the standard library, apart from the importer.
"""

from __future__ import annotations

import csv
import hashlib
import json
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from analysis.__main__ import main
from analysis.contract.validation import validate
from analysis.importers.qda_tables import import_qdpx
from analysis.importers.references import import_references
from analysis.importers.refi_qda import read_project
from analysis.importers.screening import import_screening

QDA = Path(__file__).parents[1] / "fixtures" / "qda"
NVIVO_QDPX = QDA / "nvivo12_oltas.qdpx"
NVIVO_QDE = QDA / "nvivo12_oltas0517_project.qde"
NS = "{urn:QDA-XML:project:1.0}"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def direct_counts(qde: bytes) -> tuple[Counter, Counter]:
    """Codings per top-level code name and per source, counted in the XML directly."""
    root = ET.fromstring(qde)
    top: dict[str, str] = {}

    def walk(element, name):
        for code in element.findall(NS + "Code"):
            top[code.get("guid")] = name or code.get("name")
            walk(code, name or code.get("name"))

    walk(root.find(f"{NS}CodeBook/{NS}Codes"), None)
    by_theme, by_source = Counter(), Counter()
    for source in root.iter(NS + "TextSource"):
        for selection in source.findall(NS + "PlainTextSelection"):
            for coding in selection.findall(NS + "Coding"):
                by_theme[top[coding.find(NS + "CodeRef").get("targetGUID")]] += 1
                by_source[source.get("name")] += 1
    return by_theme, by_source


# ------------------------------------------------------------------ real NVivo exports


def test_a_real_nvivo_qdpx_imports_with_counts_equal_to_the_xml(tmp_path):
    data_dir = tmp_path / "review"
    project, mapping, result = import_qdpx(NVIVO_QDPX, data_dir, "interview")
    assert project.origin == "NVivo for Windows 12.6" and project.offsets_checked
    qde = zipfile.ZipFile(NVIVO_QDPX).read("project.qde")
    by_theme, _ = direct_counts(qde)
    framework = {r["theme_id"]: r["theme"] for r in rows(data_dir / "framework.csv")}
    counted = Counter()
    for row in rows(data_dir / "participant_codes.csv"):
        counted[framework[row["subtheme_id"].split(".")[0]]] += int(row["n_excerpts"])
    left = {item["what"]: item["count"] for item in mapping.left_out}
    at_theme = sum(n for what, n in left.items() if what.startswith("codings of a code above"))
    assert sum(counted.values()) + at_theme == sum(by_theme.values()) == 97
    for theme, n in counted.items():
        assert n <= by_theme[theme]
    # what the project holds and the tables cannot take is listed, not dropped
    assert left["descriptions (memos) of coded selections"] == 97
    assert left["users"] == 2
    log = json.loads((data_dir / "import_log.json").read_text())["imports"][0]
    assert log["sha256"] == hashlib.sha256(NVIVO_QDPX.read_bytes()).hexdigest()
    assert log["program"] == "NVivo for Windows 12.6"
    assert result.changes[0].added == len(rows(data_dir / "framework.csv")) == 32


def test_a_bare_project_qde_imports_and_says_its_offsets_were_not_checked(tmp_path, capsys):
    data_dir = tmp_path / "review"
    assert main(["import", "qdpx", str(NVIVO_QDE), "--data-dir", str(data_dir),
                 "--review", "meta-synthesis"]) == 0
    out = capsys.readouterr().out
    assert "offsets of the coded segments were not checked" in out
    assert "NVivo for Windows 12.6" in out and "level 1: " in out
    _, by_source = direct_counts(NVIVO_QDE.read_bytes())
    studies = rows(data_dir / "studies.csv")
    assert [r["study_id"] for r in studies] == ["S01", "S02"]
    codes = rows(data_dir / "study_codes.csv")
    total = sum(int(r["n_excerpts"]) for r in codes)
    log = json.loads((data_dir / "import_log.json").read_text())["imports"][0]
    left = sum(i["count"] for i in log["left_out"] if i["what"].startswith("codings of"))
    assert total + left == sum(by_source.values()) == 303


def test_a_real_import_builds_the_interview_chapter_and_the_data_sources_page(tmp_path):
    """The NVivo project as an interview study: once its one participant is described (as a
    researcher fills in what no QDA file holds), the package validates and the book shows
    the excerpts of each theme as counted in the XML."""
    pytest.importorskip("papermill")
    from analysis.engine.build import build

    data_dir = tmp_path / "review"
    import_qdpx(NVIVO_QDPX, data_dir, "interview")
    path = data_dir / "participants.csv"
    table = rows(path)
    table[0].update(age_band="25-34", gender="not_stated", sexuality="not_stated",
                    ethnicity="Not stated", ethnic_minority="false", region="London",
                    pd_diagnosis="none", interviewer_role="health_researcher",
                    interview_date="2021-10-30", interview_mode="video_call",
                    duration_min="60", interview_order="1")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    study = json.loads((data_dir / "datapackage.json").read_text())
    study["study"]["title"] = "Vaccine scepticism in comments (NVivo export)"
    (data_dir / "datapackage.json").write_text(json.dumps(study, indent=2))
    assert validate(data_dir).ok, validate(data_dir).format()
    pages = tmp_path / "pages.yml"
    pages.write_text(
        "parts:\n  - caption: Book\n    pages:\n"
        "      - page: intro\n        notebook: intro\n"
        "      - page: data_sources\n        needs: [import_log]\n        notebook: data_sources\n"
        "      - page: interview_subthemes\n        needs: [framework, participants, "
        "participant_codes]\n        notebook: interview_subthemes\n"
        "        parameters:\n          suppress_below: 1\n"
        "      - page: references\n")
    root = tmp_path / "root"
    result = build(data_dir=data_dir, build_root=root, pages_file=pages, say=lambda s: None)
    assert {p.name for p in result.pages} >= {"intro", "data_sources", "interview_subthemes"}
    html = root / "_build" / "html"
    by_theme, _ = direct_counts(zipfile.ZipFile(NVIVO_QDPX).read("project.qde"))
    shown = {}
    for table_file in (html / "tables" / "interview_subthemes").glob("participants_raising*.csv"):
        for row in rows(table_file):
            if "Excerpts" in row and row["Theme or sub-theme"].split(" ", 1)[0].count(".") == 0:
                shown[row["Theme or sub-theme"].split(" ", 1)[1]] = int(row["Excerpts"])
    assert shown, "the page shows no theme with its excerpts"
    for theme, n in shown.items():
        assert n == by_theme[theme]
    sources = (html / "data_sources.html").read_text(encoding="utf-8")
    assert hashlib.sha256(NVIVO_QDPX.read_bytes()).hexdigest() in sources
    assert "nvivo12_oltas.qdpx" in sources
    manifest = json.loads((html / "manifest.json").read_text())
    assert manifest["data"]["imports"][0]["file"] == "nvivo12_oltas.qdpx"
    assert "import_log.json" in manifest["data"]["files"]
    assert (html / "tables" / "interview_subthemes" / "parameters_of_this_page.xlsx").exists()


# ------------------------------------------------------------ a project with everything


def full_project(text: str = "Alpha beta gamma delta. Second case text here.",
                 start: int = 0, end: int = 5, code_ref: str = "c-sub1",
                 namespace: str = "urn:QDA-XML:project:1.0") -> str:
    """A project.qde with every element of the REFI-QDA 1.0 schema (Project.xsd)."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{namespace}" name="everything" origin="test generator 1.0"
         creatingUserGUID="u-1" creationDateTime="2024-01-01T00:00:00Z">
 <Users><User guid="u-1" name="Ann"/><User guid="u-2" name="Bob"/></Users>
 <CodeBook><Codes>
  <Code guid="c-theme1" name="Access" isCodable="true" color="#ff0000">
   <Description>theme one</Description><NoteRef targetGUID="n-1"/>
   <Code guid="c-sub1" name="Waiting" isCodable="true">
    <Code guid="c-leaf1" name="Waiting lists" isCodable="true"/>
   </Code>
   <Code guid="c-sub2" name="Cost" isCodable="true"/>
  </Code>
  <Code guid="c-theme2" name="Trust" isCodable="true"/>
 </Codes></CodeBook>
 <Variables>
  <Variable guid="v-country" name="country" typeOfVariable="Text"/>
  <Variable guid="v-setting" name="Setting" typeOfVariable="Text"/>
  <Variable guid="v-first" name="first author" typeOfVariable="Text"/>
  <Variable guid="v-year" name="year" typeOfVariable="Integer"/>
  <Variable guid="v-dc" name="data collection" typeOfVariable="Text"/>
  <Variable guid="v-aa" name="analysis_approach" typeOfVariable="Text"/>
  <Variable guid="v-n" name="n_participants" typeOfVariable="Integer"/>
  <Variable guid="v-funded" name="funded" typeOfVariable="Boolean"/>
 </Variables>
 <Cases>
  <Case guid="k-1" name="Paper one">
   <Description>first paper</Description><CodeRef targetGUID="c-theme2"/>
   <VariableValue><VariableRef targetGUID="v-country"/><TextValue>Norway</TextValue></VariableValue>
   <VariableValue><VariableRef targetGUID="v-setting"/><TextValue>generic</TextValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-first"/><TextValue>Berg</TextValue></VariableValue>
   <VariableValue><VariableRef targetGUID="v-year"/><IntegerValue>2019</IntegerValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-dc"/><TextValue>interviews</TextValue></VariableValue>
   <VariableValue><VariableRef targetGUID="v-aa"/><TextValue>thematic_analysis</TextValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-n"/><IntegerValue>12</IntegerValue></VariableValue>
   <VariableValue><VariableRef targetGUID="v-funded"/><BooleanValue>true</BooleanValue>
    </VariableValue>
   <SourceRef targetGUID="s-text"/>
  </Case>
  <Case guid="k-2" name="Paper two">
   <VariableValue><VariableRef targetGUID="v-country"/><TextValue>Chile</TextValue></VariableValue>
   <VariableValue><VariableRef targetGUID="v-setting"/><TextValue>specialist</TextValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-first"/><TextValue>Rojas</TextValue></VariableValue>
   <VariableValue><VariableRef targetGUID="v-year"/><IntegerValue>2021</IntegerValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-dc"/><TextValue>focus_groups</TextValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-aa"/><TextValue>grounded_theory</TextValue>
    </VariableValue>
   <VariableValue><VariableRef targetGUID="v-n"/><IntegerValue>8</IntegerValue></VariableValue>
   <SourceRef targetGUID="s-pdf"/><SelectionRef targetGUID="sel-2"/>
  </Case>
 </Cases>
 <Sources>
  <TextSource guid="s-text" name="paper one.txt" plainTextPath="internal://s-text.txt">
   <Description>the text</Description>
   <PlainTextSelection guid="sel-1" name="Alpha" startPosition="{start}" endPosition="{end}">
    <Description>a memo</Description>
    <Coding guid="cd-1" creatingUser="u-1"><CodeRef targetGUID="{code_ref}"/></Coding>
    <Coding guid="cd-2" creatingUser="u-2"><CodeRef targetGUID="c-leaf1"/></Coding>
    <NoteRef targetGUID="n-1"/>
   </PlainTextSelection>
   <PlainTextSelection guid="sel-2" startPosition="24" endPosition="30">
    <Coding guid="cd-3"><CodeRef targetGUID="c-sub2"/></Coding>
    <Coding guid="cd-4"><CodeRef targetGUID="c-theme1"/></Coding>
   </PlainTextSelection>
   <PlainTextSelection guid="sel-3" startPosition="6" endPosition="10">
    <Coding guid="cd-5"><CodeRef targetGUID="c-theme2"/></Coding>
   </PlainTextSelection>
   <Coding guid="cd-whole"><CodeRef targetGUID="c-theme2"/></Coding>
   <NoteRef targetGUID="n-1"/>
   <VariableValue><VariableRef targetGUID="v-funded"/><BooleanValue>false</BooleanValue>
    </VariableValue>
  </TextSource>
  <PDFSource guid="s-pdf" name="paper two.pdf" path="internal://s-pdf.pdf">
   <Representation guid="s-pdf-text" name="paper two text" plainTextPath="internal://s-pdf.txt">
    <PlainTextSelection guid="sel-4" startPosition="0" endPosition="3">
     <Coding guid="cd-6"><CodeRef targetGUID="c-theme2"/></Coding>
    </PlainTextSelection>
   </Representation>
   <PDFSelection guid="sel-pdf" page="1" firstX="0" firstY="0" secondX="10" secondY="10">
    <Coding guid="cd-7"><CodeRef targetGUID="c-sub2"/></Coding>
   </PDFSelection>
  </PDFSource>
  <PictureSource guid="s-pic" name="photo" path="internal://s-pic.png">
   <TextDescription guid="s-pic-text" name="caption"><PlainTextContent>a photo</PlainTextContent>
    </TextDescription>
   <PictureSelection guid="sel-pic" firstX="0" firstY="0" secondX="1" secondY="1">
    <Coding guid="cd-8"><CodeRef targetGUID="c-sub1"/></Coding>
   </PictureSelection>
  </PictureSource>
  <AudioSource guid="s-audio" name="interview audio" path="internal://s-audio.mp3">
   <Transcript guid="t-1" name="transcript" plainTextPath="internal://t-1.txt">
    <SyncPoint guid="sp-1" position="0" timeStamp="0"/>
    <TranscriptSelection guid="ts-1" fromSyncPoint="sp-1" toSyncPoint="sp-1">
     <Coding guid="cd-9"><CodeRef targetGUID="c-sub1"/></Coding>
    </TranscriptSelection>
   </Transcript>
   <AudioSelection guid="sel-audio" begin="0" end="10">
    <Coding guid="cd-10"><CodeRef targetGUID="c-sub1"/></Coding>
   </AudioSelection>
  </AudioSource>
  <VideoSource guid="s-video" name="video" path="internal://s-video.mp4">
   <VideoSelection guid="sel-video" begin="0" end="10"/>
  </VideoSource>
 </Sources>
 <Notes>
  <Note guid="n-1" name="memo" plainTextPath="internal://n-1.txt">
   <PlainTextContent>memo text</PlainTextContent></Note>
 </Notes>
 <Links><Link guid="l-1" name="relates" direction="OneWay" originGUID="c-sub1" targetGUID="c-sub2"/>
  </Links>
 <Sets><Set guid="set-1" name="core"><MemberCode targetGUID="c-sub1"/>
  <MemberSource targetGUID="s-text"/><MemberNote targetGUID="n-1"/></Set></Sets>
 <Graphs><Graph guid="g-1" name="map">
  <Vertex guid="vx-1" representedGUID="c-sub1" firstX="0" firstY="0"/></Graph></Graphs>
 <Description>a project with every element</Description>
</Project>
"""


def write_qdpx(path: Path, qde: str, texts: dict[str, str] | None = None,
               extra: dict[str, bytes] | None = None) -> Path:
    texts = {"s-text.txt": "Alpha beta gamma delta. Second case text here.",
             "s-pdf.txt": "PDF text of paper two."} if texts is None else texts
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        for name, text in texts.items():
            archive.writestr(f"sources/{name}", "\ufeff" + text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_a_project_with_every_element_maps_and_lists_what_it_leaves_out(tmp_path):
    qdpx = write_qdpx(tmp_path / "all.qdpx", full_project())
    data_dir = tmp_path / "review"
    project, mapping, result = import_qdpx(qdpx, data_dir, "meta-synthesis")
    assert mapping.units == "cases" and project.offsets_checked
    framework = rows(data_dir / "framework.csv")
    assert [(r["theme_id"], r["subtheme_id"], r["subtheme"]) for r in framework] == [
        ("T1", "T1.1", "Waiting"), ("T1", "T1.2", "Cost"), ("T2", "T2.1", "Trust")]
    studies = rows(data_dir / "studies.csv")
    assert [(r["study_id"], r["first_author"], r["country"], r["setting"]) for r in studies] == [
        ("S01", "Berg", "Norway", "generic"), ("S02", "Rojas", "Chile", "specialist")]
    codes = {(r["study_id"], r["subtheme_id"]): int(r["n_excerpts"])
             for r in rows(data_dir / "study_codes.csv")}
    # sel-1: Waiting and Waiting lists (rolled up); sel-2 is paper one's source and paper
    # two's selection: Cost counts for both; sel-3 Trust; the PDF's text: Trust (paper two)
    assert codes == {("S01", "T1.1"): 2, ("S01", "T1.2"): 1, ("S01", "T2.1"): 1,
                     ("S02", "T1.2"): 1, ("S02", "T2.1"): 1}
    left = {item["what"]: item["count"] for item in mapping.left_out}
    for what in ("users", "notes and memos (Notes)", "PDF region selections",
                 "picture selections", "audio selections", "video selections",
                 "transcript selections (synchronised with audio or video)",
                 "sets of codes or sources (Sets)", "graphs (Graphs)",
                 "links between codes, sources and selections (Links)",
                 "codes applied to a whole source", "codes applied to a whole case",
                 "descriptions (memos) of coded selections"):
        assert left.get(what, 0) >= 1, what
    assert left["variable 'funded' (no column of studies has its name)"] == 1
    assert left["codings of a code above the sub-theme level (no sub-theme to count them "
                "under)"] == 1
    assert validate(data_dir).ok, validate(data_dir).format()


def test_reimporting_merges_and_a_hand_edited_row_is_a_named_conflict(tmp_path, capsys):
    qdpx = write_qdpx(tmp_path / "all.qdpx", full_project())
    data_dir = tmp_path / "review"
    import_qdpx(qdpx, data_dir, "meta-synthesis")
    _, _, again = import_qdpx(qdpx, data_dir, "meta-synthesis")
    assert all(c.added == c.updated == c.removed == 0 for c in again.changes)
    path = data_dir / "study_codes.csv"
    path.write_text(path.read_text().replace("S01,T1.1,2", "S01,T1.1,7"))
    before = folder_hash(data_dir)
    assert main(["import", "qdpx", str(qdpx), "--data-dir", str(data_dir),
                 "--review", "meta-synthesis"]) == 2
    err = capsys.readouterr().err
    assert "study_codes.csv:2:n_excerpts: the file holds '7', the import gives '2'" in err
    assert "The package was not changed." in err
    assert folder_hash(data_dir) == before


@pytest.mark.parametrize("case, message", [
    ("truncated", "not a complete zip archive"),
    ("namespace", "not a REFI-QDA Project"),
    ("offsets", "is past the end of the text of source 'paper one.txt'"),
    ("unknown code", "which is not in the codebook"),
    ("escaping path", "paths that leave its folder"),
    ("huge member", "unpacks to more than"),
    ("entities", "declares a document type or entities"),
])
def test_bad_projects_end_with_one_message_and_leave_the_package_as_it_was(
        tmp_path, capsys, case, message, monkeypatch):
    data_dir = tmp_path / "review"
    import_qdpx(write_qdpx(tmp_path / "good.qdpx", full_project()), data_dir, "meta-synthesis")
    before = folder_hash(data_dir)
    bad = tmp_path / "bad.qdpx"
    if case == "truncated":
        good = (tmp_path / "good.qdpx").read_bytes()
        bad.write_bytes(good[: len(good) // 2])
    elif case == "namespace":
        write_qdpx(bad, full_project(namespace="urn:example:other"))
    elif case == "offsets":
        write_qdpx(bad, full_project(end=4000))
    elif case == "unknown code":
        write_qdpx(bad, full_project(code_ref="c-nowhere"))
    elif case == "escaping path":
        write_qdpx(bad, full_project(), extra={"../../evil.txt": b"x"})
    elif case == "huge member":
        import analysis.importers.refi_qda as refi_qda

        monkeypatch.setattr(refi_qda, "MAX_MEMBER_BYTES", 1 << 20)
        write_qdpx(bad, full_project(), extra={"sources/big.txt": b"\0" * (2 << 20)})
    else:
        bomb = ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                '<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>')
        write_qdpx(bad, bomb)
    code = main(["import", "qdpx", str(bad), "--data-dir", str(data_dir),
                 "--review", "meta-synthesis"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert folder_hash(data_dir) == before


# ------------------------------------------------------------------ screening exports

RAYYAN_HEADER = ["key", "title", "authors", "journal", "issn", "volume", "issue", "pages",
                 "year", "publisher", "url", "abstract", "notes", "doi", "keywords"]


def rayyan_csv(path: Path, records: list[tuple[str, str, str, str]]) -> Path:
    """A Rayyan articles.csv: (title, authors, year, notes) per record."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RAYYAN_HEADER)
        for n, (title, authors, year, notes) in enumerate(records, start=1):
            writer.writerow([n, title, authors, "J", "", "", "", "", year, "", "",
                             "abstract", notes, f"10.1000/p{n}" if "Included" in notes else "",
                             ""])
    return path


def inclusion(*votes: str) -> str:
    names = ("Alice", "Bob")
    return "RAYYAN-INCLUSION: {" + ", ".join(
        f'"{names[i]}"=>"{v}"' for i, v in enumerate(votes)) + "}"


def test_rayyan_exports_give_a_flow_whose_boxes_equal_the_decisions(tmp_path):
    data_dir = tmp_path / "review"
    title_abstract = [(f"Record {i}", "Smith, J.", "2019",
                       inclusion("Excluded", "Excluded")) for i in range(7)]
    title_abstract += [(f"Paper {i}", f"Author{i}, A. and Other, B.", f"201{i}",
                        inclusion("Included", "Included")) for i in range(5)]
    ta = rayyan_csv(tmp_path / "ta.csv", title_abstract)
    assert main(["import", "screening", str(ta), "--data-dir", str(data_dir),
                 "--stage", "title-abstract", "--identified", "MEDLINE=10",
                 "--identified", "PsycINFO=5", "--duplicates-removed", "3"]) == 0
    full = [(f"Paper {i}", f"Author{i}, A. and Other, B.", f"201{i}",
             inclusion("Included", "Included")) for i in range(3)]
    full += [("Paper 3", "Author3, A.", "2013", inclusion("Excluded", "Excluded")
              + " | RAYYAN-EXCLUSION-REASONS: wrong population"),
             ("Paper 4", "Author4, A.", "2014", inclusion("Excluded", "Excluded")
              + " | RAYYAN-EXCLUSION-REASONS: not qualitative,wrong population")]
    ft = rayyan_csv(tmp_path / "ft.csv", full)
    import_screening(ft, data_dir, "full-text")
    flow = {(r["stage"], r["source"]): int(r["count"]) for r in rows(data_dir / "search_flow.csv")}
    assert flow == {("identified", "MEDLINE"): 10, ("identified", "PsycINFO"): 5,
                    ("duplicates_removed", "all"): 3, ("screened", "all"): 12,
                    ("excluded_title_abstract", "all"): 7, ("full_text_assessed", "all"): 5,
                    ("excluded_full_text", "wrong population"): 1,
                    ("excluded_full_text", "not qualitative"): 1, ("included", "all"): 3}
    studies = rows(data_dir / "studies.csv")
    assert [(r["study_id"], r["first_author"], r["year"]) for r in studies] == [
        ("S01", "Author0", "2010"), ("S02", "Author1", "2011"), ("S03", "Author2", "2012")]


def test_a_flow_that_does_not_add_up_is_named_and_nothing_is_written(tmp_path, capsys):
    data_dir = tmp_path / "review"
    ta = rayyan_csv(tmp_path / "ta.csv", [("R", "A, B.", "2019", inclusion("Included"))] * 4)
    code = main(["import", "screening", str(ta), "--data-dir", str(data_dir),
                 "--stage", "title-abstract", "--identified", "MEDLINE=10",
                 "--duplicates-removed", "3"])
    err = capsys.readouterr().err
    assert code == 2 and not data_dir.exists()
    assert "screened is 4 but records identified minus duplicates removed is 7 (10 - 3)" in err


def test_screening_files_with_unknown_columns_or_undecided_records_are_refused(tmp_path,
                                                                            capsys):
    data_dir = tmp_path / "review"
    odd = tmp_path / "odd.csv"
    odd.write_text("key,title,notes,my_decision\n1,T,x,include\n", encoding="utf-8")
    assert main(["import", "screening", str(odd), "--data-dir", str(data_dir),
                 "--stage", "full-text"]) == 2
    assert "column(s) this importer does not know for a Rayyan export: my_decision" in (
        capsys.readouterr().err)
    undecided = rayyan_csv(tmp_path / "u.csv", [("T", "A, B.", "2019",
                                                  inclusion("Included", "Maybe"))])
    assert main(["import", "screening", str(undecided), "--data-dir", str(data_dir),
                 "--stage", "full-text"]) == 2
    err = capsys.readouterr().err
    assert "u.csv:2:notes: reviewers undecided or disagree (Alice: Included, Bob: Maybe)" in err
    assert not data_dir.exists()


def test_an_asreview_export_counts_labels_and_unscreened_records(tmp_path):
    data_dir = tmp_path / "review"
    path = tmp_path / "asreview.csv"
    path.write_text("record_id,title,abstract,authors,doi,included,asreview_ranking\n"
                    "1,A,x,\"Lee, K.\",,1,1\n2,B,x,\"Kim, S.\",,0,2\n3,C,x,\"Park, J.\",,0,3\n"
                    "4,D,x,\"Cho, H.\",,,4\n5,E,x,\"Han, Y.\",,1,5\n", encoding="utf-8")
    import_screening(path, data_dir, "title-abstract", ["Scopus=6"], 1)
    flow = {(r["stage"], r["source"]): int(r["count"]) for r in rows(data_dir / "search_flow.csv")}
    assert flow[("screened", "all")] == 5
    assert flow[("excluded_title_abstract", "reason not recorded")] == 2
    assert flow[("excluded_title_abstract", "not screened (stopped by the screening tool)")] == 1
    assert flow[("full_text_assessed", "all")] == 2


def test_a_covidence_list_needs_its_decision(tmp_path, capsys):
    path = tmp_path / "covidence.csv"
    path.write_text('"Covidence #","Study","Title","Authors","Published Year","DOI"\n'
                    '"#12","Berg 2019","Care","Berg, A.","2019","10.1/a"\n', encoding="utf-8")
    assert main(["import", "screening", str(path), "--data-dir", str(tmp_path / "r"),
                 "--stage", "full-text"]) == 2
    assert "--decision included" in capsys.readouterr().err


# ------------------------------------------------------------------ references


def test_a_ris_file_fills_the_citations_first_authors_and_years_of_the_included_papers(
        tmp_path):
    data_dir = tmp_path / "review"
    ft = rayyan_csv(tmp_path / "ft.csv", [
        ("Living with a label", "Okafor, N.", "", inclusion("Included")),
        ("Care at a distance", "", "", inclusion("Included"))])
    import_screening(ft, data_dir, "full-text")
    ris = tmp_path / "refs.ris"
    ris.write_text("TY  - JOUR\nAU  - Okafor, Ngozi\nAU  - Lind, P.\nTI  - Living with a label\n"
                   "PY  - 2018\nJO  - Journal of Care\nDO  - 10.1000/p1\nER  - \n\n"
                   "TY  - JOUR\nAU  - Silva, M.\nTI  - Care at a Distance!\nPY  - 2020\nER  - \n\n"
                   "TY  - JOUR\nAU  - Nobody, X.\nTI  - Not included\nPY  - 2011\nER  - \n",
                   encoding="utf-8")
    refs, matches, unmatched, result = import_references(ris, data_dir)
    studies = {r["study_id"]: r for r in rows(data_dir / "studies.csv")}
    assert (studies["S01"]["first_author"], studies["S01"]["year"]) == ("Okafor", "2018")
    assert (studies["S02"]["first_author"], studies["S02"]["year"]) == ("Silva", "2020")
    # The label and the citation are optional columns: the import declares them.
    assert (studies["S01"]["label"], studies["S02"]["label"]) == ("Okafor 2018", "Silva 2020")
    assert studies["S01"]["citation"].startswith("Okafor, Ngozi, Lind, P. (2018)")
    assert "10.1000/p1" in studies["S01"]["citation"]
    declared = json.loads((data_dir / "datapackage.json").read_text())
    fields = [f["name"] for r in declared["resources"] if r["name"] == "studies"
              for f in r["schema"]["fields"]]
    assert fields.index("label") < fields.index("citation") < fields.index("first_author")
    # What is left to fill is what no reference holds (country, setting, ...), never the
    # columns the import declared.
    assert {p.column for p in result.report.problems if p.file == "studies.csv"} == {
        "country", "setting", "data_collection", "analysis_approach", "n_participants"}
    assert [r.title for r in unmatched] == ["Not included"]
    log = json.loads((data_dir / "import_log.json").read_text())["imports"][-1]
    assert log["citations"]["S01"]["citation"].startswith("Okafor, Ngozi, Lind, P. (2018)")
    assert any("matches no paper" in item["what"] for item in log["left_out"])
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{s1, author={Okafor, Ngozi and Lind, P.}, title={Living with a "
                   "{Label}}, year={2018}, doi={10.1000/p1}}\n", encoding="utf-8")
    _, matches, _, _ = import_references(bib, data_dir)
    assert set(matches) == {"S01"}
    # A second import over the first keeps the columns and the other paper's row.
    studies = {r["study_id"]: r for r in rows(data_dir / "studies.csv")}
    assert studies["S02"]["citation"].startswith("Silva, M. (2020)")


def test_imported_text_reaches_the_terminal_escaped(tmp_path, capsys):
    qde = full_project().replace('name="Access"', 'name="Acc\x1b[31mess"'.replace(
        "\x1b", "&#27;"))
    with pytest.raises(Exception):
        ET.fromstring(qde)  # XML 1.0 forbids the character: the importer must refuse too
    code = main(["import", "qdpx", str(write_qdpx(tmp_path / "x.qdpx", qde)), "--data-dir",
                 str(tmp_path / "r"), "--review", "meta-synthesis"])
    assert code == 2 and "\x1b" not in capsys.readouterr().err


def test_a_codebook_alone_gives_the_framework(tmp_path):
    qdc = tmp_path / "codes.qdc"
    qdc.write_text('<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:'
                   'codebook:1.0" origin="test"><Codes><Code guid="a" name="Theme A" '
                   'isCodable="true"><Code guid="b" name="Sub B" isCodable="true"/></Code>'
                   '</Codes></CodeBook>', encoding="utf-8")
    project = read_project(qdc)
    assert project.kind == "codebook" and len(project.codes) == 2
    import_qdpx(qdc, tmp_path / "r", "interview")
    assert [r["subtheme"] for r in rows(tmp_path / "r" / "framework.csv")] == ["Sub B"]
    assert not (tmp_path / "r" / "participant_codes.csv").exists()


def test_terminal_output_of_names_is_escaped(tmp_path, capsys):
    qde = full_project().replace('name="funded"', 'name="fun&#x202e;ded"')
    assert main(["import", "qdpx", str(write_qdpx(tmp_path / "x.qdpx", qde)), "--data-dir",
                 str(tmp_path / "r"), "--review", "meta-synthesis"]) == 0
    out = capsys.readouterr().out
    assert "variable 'fun<U+202E>ded'" in out and "\u202e" not in out
