"""A data package is data, never code (issue 23; SECURITY.md).

Two halves. **Shown as text**: one hostile package (``tests/hostile.py``), every text
field holding a different attack, is built once as a whole book; no attack may run a
command, publish a file from outside the package, put a script, an event handler, a
``javascript:`` URL or a frame into a page, or hand a spreadsheet a formula, and the
text must be on the pages as text. **Refused**: a package whose files are not files
or whose text is not text, and pages and choices files that would take minutes to
read, are refused by ``validate`` (or ``build``) with exit 2 and one message each,
which quotes what it found inertly.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.contract import reading
from analysis.contract.escape import SPREADSHEET_TRIGGERS
from tests import sitecheck
from tests.book_diff import page_text
from tests.hostile import CANARY_TEXT, active_content

pytestmark = pytest.mark.book

PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# ----------------------------------------------------------------- shown as text


def test_no_attack_runs_a_command(hostile_book):
    assert hostile_book.hostile.markers() == []


def test_no_file_from_outside_the_package_reaches_the_build(hostile_book):
    leaked = []
    for path in hostile_book.build_root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if CANARY_TEXT.encode() in data or b"root:x:0:0:" in data:
                leaked.append(str(path.relative_to(hostile_book.build_root)))
    assert leaked == []
    assert not list((hostile_book.html / "_downloads").rglob("*canary*"))


def test_no_script_handler_javascript_url_or_frame_from_the_data(hostile_book):
    assert active_content(hostile_book.html) == {}


def test_the_attacks_are_on_the_pages_as_text(hostile_book):
    attacks = hostile_book.hostile.attacks
    landing = " ".join(page_text(hostile_book.html / "intro.html"))
    # the book's title, in the navigation bar and the page, and the study's description
    title = " ".join(attacks["study.title"].split())
    assert landing.count(title) >= 2
    assert "{{ cycler.__init__.__globals__.os.system(" in landing
    assert "<script>alert(" in landing and "```{eval-rst}" in landing
    # a pages-file title with a regular expression's back-reference, and mathtext
    prisma = " ".join(page_text(hostile_book.html / "prisma.html"))
    assert "\\1 \\g<0>" in prisma and "$\\alpha_" in prisma
    # a reviewer's label, a column header of the appraisal tables
    appraisal = " ".join(page_text(hostile_book.html / "appraisal.html"))
    assert attacks["casp_ratings.csv:reviewer:R1"].split()[-1] in appraisal


def test_figures_show_their_labels_as_text(hostile_book):
    figures = " ".join(p.read_text(encoding="utf-8") for p in
                       (hostile_book.html / "_images").glob("*.svg"))
    assert "$\\alpha_" in figures and "costs $5 and $6" in figures


def test_no_warning_names_a_file_of_the_build_machine(hostile_book):
    # matplotlib warns of a glyph (an emoji) its font lacks, naming the code's file
    assert sitecheck.local_paths(hostile_book.html, [paths.PACKAGE, Path(sys.prefix)]) == []
    assert not any("missing from" in " ".join(page_text(page))
                   for page in hostile_book.html.glob("*.html"))


def test_exported_tables_hold_no_formula(hostile_book):
    neutralised, formulas = 0, []
    for table in (hostile_book.html / "tables").rglob("*.csv"):
        with open(table, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell.startswith(SPREADSHEET_TRIGGERS) and not PLAIN_NUMBER.fullmatch(cell):
                        formulas.append(f"{table.name}: {cell}")
                    neutralised += cell.startswith(("'=HYPERLINK", "'@SUM", "'+", "'-"))
    assert formulas == []
    assert neutralised >= 4  # the attacks did reach the exports


def test_the_build_said_nothing_a_terminal_would_obey(hostile_book):
    assert hostile_book.lines and not any("\x1b" in line or "\r" in line
                                          for line in hostile_book.lines)


# -------------------------------------------------------------------- refused


def _validate(capsys, folder: Path) -> tuple[int, str]:
    code = main(["validate", str(folder)])
    out = capsys.readouterr()
    return code, out.out + out.err


def _problems(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  ")
            and not line.startswith("  warning")]


def _descriptor(folder: Path, change) -> None:
    path = folder / "datapackage.json"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.fixture
def canary(tmp_path) -> Path:
    path = tmp_path / "outside" / "secret.csv"
    path.parent.mkdir()
    path.write_text("review,theme_id\n" + CANARY_TEXT + ",T1\n", encoding="utf-8")
    return path


def test_a_link_out_of_the_package_is_refused(capsys, data_copy, canary):
    (data_copy / "framework.csv").unlink()
    (data_copy / "framework.csv").symlink_to(canary)
    (data_copy / "studies.csv").unlink()
    (data_copy / "studies.csv").symlink_to("/dev/zero")  # never read whole, nor at all
    code, text = _validate(capsys, data_copy)
    assert code == 2 and CANARY_TEXT not in text
    assert "framework.csv: is a link to '" in text and "outside the package folder" in text
    assert "studies.csv: is a link to '/dev/zero', outside the package folder" in text


def test_a_link_inside_the_package_is_read(capsys, data_copy):
    (data_copy / "kept").mkdir()
    (data_copy / "studies.csv").rename(data_copy / "kept" / "studies.csv")
    (data_copy / "studies.csv").symlink_to(data_copy / "kept" / "studies.csv")
    code, text = _validate(capsys, data_copy)
    assert code == 0, text


def test_a_named_pipe_is_refused_without_waiting_for_it(data_copy):
    (data_copy / "studies.csv").unlink()
    os.mkfifo(data_copy / "studies.csv")
    # A reader that opened the pipe would wait for ever; the guard only ends the test.
    proc = subprocess.run([sys.executable, "-m", "analysis", "validate", str(data_copy)],
                          capture_output=True, text=True, cwd=paths.ROOT, timeout=300)
    assert proc.returncode == 2
    assert "studies.csv: is a named pipe (FIFO), not a file" in proc.stderr


def test_a_socket_and_a_device_are_refused(capsys, data_copy, tmp_path):
    (data_copy / "studies.csv").unlink()
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(data_copy / "studies.csv"))
        code, text = _validate(capsys, data_copy)
    finally:
        server.close()
    assert code == 2 and "studies.csv: is a socket, not a file" in text
    with pytest.raises(reading.FileRefused, match="is a device, not a file"):
        reading.read_file_bytes(Path("/dev/zero"))


def test_the_size_limit_is_stated_and_can_be_set(capsys, data_copy, monkeypatch):
    monkeypatch.setenv(reading.MAX_FILE_BYTES_ENV, "1000")
    code, text = _validate(capsys, data_copy)
    assert code == 2
    assert "over the limit of 1,000 bytes" in text and reading.MAX_FILE_BYTES_ENV in text
    monkeypatch.setenv(reading.MAX_FILE_BYTES_ENV, "lots")
    code, text = _validate(capsys, data_copy)
    assert code == 2 and "'lots' is not a size" in text


@pytest.mark.parametrize("change, says", [
    (lambda t: t.replace('"synthetic": true', '"synthetic": true, "synthetic": false', 1),
     "the key 'synthetic' appears twice in one object"),
    (lambda t: t.replace('"version": "', '"nan_here": NaN, "version": "', 1),
     "NaN is not a JSON number"),
    (lambda t: t.replace('"version": "', '"big": -Infinity, "version": "', 1),
     "-Infinity is not a JSON number"),
    (lambda t: t.replace('"title": "', '"title": "\\ud800', 1),
     "half of a surrogate pair (\\ud800)"),
    (lambda t: t.replace('"title": "', '"title": "\\u0000', 1), "a control character (\\x00)"),
    (lambda t: t.replace('"title": "', '"title": "\\u001b]0;owned\\u0007', 1),
     "'\\x1b]0;owned\\x07"),
    (lambda t: t.replace('"version": "', '"deep": ' + "[" * 990 + "]" * 990 + ', "version": "',
                         1), "nested more than 64 deep"),
], ids=["duplicated key", "NaN", "Infinity", "lone surrogate", "NUL", "ESC", "nesting"])
def test_json_that_is_not_plain_data_is_refused(capsys, data_copy, change, says):
    _descriptor(data_copy, change)
    code, text = _validate(capsys, data_copy)
    assert code == 2 and says in text, text
    assert len(_problems(text)) == 1, text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)  # nothing raw reaches the terminal


def test_a_cell_that_steers_the_terminal_is_refused_and_shown_escaped(capsys, data_copy):
    fake = "\x1b]0;owned\x07\x1b[2J\rthe data package is valid."
    rows = (data_copy / "studies.csv").read_text(encoding="utf-8").split("\n")
    rows[1] = rows[1].replace("Invented author 01", '"' + fake + '"')
    (data_copy / "studies.csv").write_text("\n".join(rows), encoding="utf-8")
    code, text = _validate(capsys, data_copy)
    assert code == 2
    assert "studies.csv:2:first_author: '\\x1b]0;owned\\x07\\x1b[2J\\rthe data package" in text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)


def test_invisible_and_look_alike_characters_in_identifiers_are_named(capsys, data_copy):
    rows = (data_copy / "casp_ratings.csv").read_text(encoding="utf-8").split("\n")
    rows[1] = rows[1].replace("S01", "S01\u200b", 1)
    rows[2] = rows[2].replace("S01", "\u0405" + "01", 1)  # a Cyrillic capital DZE
    (data_copy / "casp_ratings.csv").write_text("\n".join(rows), encoding="utf-8")
    code, text = _validate(capsys, data_copy)
    assert code == 2
    assert "'S01<U+200B>'" in text and "U+200B ZERO WIDTH SPACE" in text
    assert "U+0405 CYRILLIC CAPITAL LETTER DZE" in text


def test_a_long_value_is_cut_in_the_message(capsys, data_copy):
    rows = (data_copy / "casp_ratings.csv").read_text(encoding="utf-8").split("\n")
    rows[1] = rows[1].replace("S01", "S" + "9" * 5000, 1)
    (data_copy / "casp_ratings.csv").write_text("\n".join(rows), encoding="utf-8")
    code, text = _validate(capsys, data_copy)
    assert code == 2 and "more characters)" in text
    assert max(len(line) for line in text.splitlines()) < 1500


BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{x}: &{x} [{', '.join(['*' + p] * 9)}]\n"
                  for p, x in zip("abcdefgh", "bcdefghi")))


def _build(capsys, *argv) -> tuple[int, str]:
    code = main(["build", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_pages_file_of_aliases_is_refused_at_once(capsys, tmp_path):
    bomb = tmp_path / "pages.yml"
    bomb.write_text(BOMB + "parts: [*i]\n", encoding="utf-8")
    code, text = _build(capsys, "--pages", str(bomb), "--build-root", str(tmp_path))
    assert code == 2 and "an alias (*name) is not allowed here" in text
    assert len(text) < 2000


def test_a_deep_pages_file_is_refused(capsys, tmp_path):
    deep = tmp_path / "pages.yml"
    deep.write_text("parts: " + "[" * 990 + "]" * 990 + "\n", encoding="utf-8")
    code, text = _build(capsys, "--pages", str(deep), "--build-root", str(tmp_path))
    assert code == 2 and "nested more than 64 deep" in text and "Traceback" not in text


def test_a_choices_file_of_aliases_is_refused(capsys, tmp_path):
    import yaml

    bomb = tmp_path / "multiverse.yml"
    bomb.write_text(BOMB + "outcome: *i\n", encoding="utf-8")
    spec = yaml.safe_load(paths.PAGES.read_text(encoding="utf-8"))
    for part in spec["parts"]:
        for entry in part["pages"]:
            if entry.get("parameters", {}).get("choices_file"):
                entry["parameters"]["choices_file"] = str(bomb)
    pages = tmp_path / "pages.yml"
    pages.write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, text = _build(capsys, "--pages", str(pages), "--build-root", str(tmp_path))
    assert code == 2 and "an alias (*name) is not allowed here" in text


def test_a_pages_file_that_is_a_device_is_refused(capsys, tmp_path):
    code, text = _build(capsys, "--pages", "/dev/zero", "--build-root", str(tmp_path))
    assert code == 2 and "/dev/zero: is a device, not a file" in text


def test_a_full_disk_is_one_message_and_exit_2(tmp_path):
    """Every executed notebook written to /dev/full, which fails as a full disk does."""
    from analysis.engine.pages import load_pages

    executed = tmp_path / "_build" / "executed"
    executed.mkdir(parents=True)
    for page in load_pages():
        (executed / f"{page.name}.run.ipynb").symlink_to("/dev/full")
    proc = subprocess.run([sys.executable, "-m", "analysis", "build", "--build-root",
                           str(tmp_path)], capture_output=True, text=True, cwd=paths.ROOT,
                          timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("no space left on the disk") == 1, proc.stderr
    assert "page '" not in proc.stderr and "Traceback" not in proc.stderr


def test_json_strings_and_cells_are_checked_as_text():
    assert reading.not_text("tab\tand\nbreak and \r\n") is None
    assert reading.not_text("a\rb") == "a control character (\\r)"
    assert reading.not_text("\x9b2J") == "a control character (\\x9b)"
    value, problem = reading.load_json('{"a": {"b": ["ok", "x\\u0007"]}}', "d.json")
    assert value is None and problem.column == "a.b[1]"


def test_the_hostile_package_passes_validation(hostile_book, capsys):
    """Every attack of the book above is text a package may hold: it is shown, not refused."""
    code, text = _validate(capsys, hostile_book.hostile.data_dir)
    assert code == 0, text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text)


def test_the_corpus_package_is_written_the_same_each_time(tmp_path):
    from tests.hostile import write_hostile

    first = write_hostile(tmp_path / "a", tmp_path / "m")
    second = write_hostile(tmp_path / "a", tmp_path / "m")
    assert first.attacks == second.attacks and len(first.attacks) > 40
    names = {p.name: p.read_bytes() for p in first.data_dir.iterdir()}
    assert names == {p.name: p.read_bytes() for p in second.data_dir.iterdir()}


def test_the_themes_get_their_titles_escaped():
    from analysis.engine.site import escape_titles

    context = {"docstitle": "Study <img src=x onerror=alert(1)>", "pagetitle": "a & b",
               "root_title": "<b>", "title": "<em>rendered by Sphinx</em>"}
    escape_titles(context)
    assert str(context["docstitle"]) == "Study &lt;img src=x onerror=alert(1)&gt;"
    assert str(context["pagetitle"]) == "a &amp; b" and str(context["root_title"]) == "&lt;b&gt;"
    assert context["title"] == "<em>rendered by Sphinx</em>"  # HTML already
    from markupsafe import escape
    assert escape(context["docstitle"]) == context["docstitle"]  # |e does not escape twice
