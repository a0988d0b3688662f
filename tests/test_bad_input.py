"""Bad input never wins: the corpus of broken packages, bad parameters and pages files.

Every broken package of :mod:`tests.corpus` fails validation with exit 2 and one message
at the right file, line and column that says what to fix; every safe variant is
accepted with a warning for its column. No input gives a traceback.
"""

from __future__ import annotations

import pytest

from analysis.__main__ import main
from tests.corpus import BROKEN, SAFE, make


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_corpus_is_large_and_named_once():
    names = [case.name for case in BROKEN + SAFE]
    assert len(BROKEN) >= 40 and len(names) == len(set(names))


@pytest.mark.parametrize("case", BROKEN, ids=lambda c: c.name)
def test_broken_package_is_one_clear_message(case, tmp_path, capsys):
    folder = make(case, tmp_path)
    code, text = run(capsys, "validate", str(folder))
    assert code == 2, text
    assert "Traceback" not in text
    lines = [line.strip() for line in text.splitlines()]
    hits = [line for line in lines if line.startswith(case.where) and case.says in line]
    assert hits, f"expected a line at {case.where} saying {case.says!r}:\n{text}"


@pytest.mark.parametrize("case", SAFE, ids=lambda c: c.name)
def test_safe_variant_is_accepted_with_one_warning_per_column(case, tmp_path, capsys):
    folder = make(case, tmp_path)
    code, text = run(capsys, "validate", str(folder))
    assert code == 0, text
    warnings = [line.strip() for line in text.splitlines() if "warning:" in line]
    if not case.where:
        assert warnings == []
        return
    assert len(warnings) == 1, text
    assert warnings[0].startswith(f"warning: {case.where}") and case.says in warnings[0]


def test_blank_row_is_one_message_not_one_per_cell(tmp_path, capsys):
    case = next(c for c in BROKEN if c.name == "excel_blank_row")
    code, text = run(capsys, "validate", str(make(case, tmp_path)))
    assert code == 2 and "1 problem found" in text


def test_empty_participants_are_not_blamed_on_other_files(tmp_path, capsys):
    case = next(c for c in BROKEN if c.name == "empty_participants_table")
    code, text = run(capsys, "validate", str(make(case, tmp_path)))
    assert code == 2 and "1 problem found" in text, text


def test_a_file_that_cannot_be_read_is_a_message(tmp_path, capsys, monkeypatch):
    from pathlib import Path

    folder = make(BROKEN[0], tmp_path)
    original = Path.read_bytes

    def refuse(self):
        if self.name == "studies.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, text = run(capsys, "validate", str(folder))
    assert code == 2
    assert "studies.csv: cannot be read (Permission denied); check that the file" in text
