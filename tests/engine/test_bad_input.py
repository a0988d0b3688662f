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
    import os
    from pathlib import Path

    folder = make(BROKEN[0], tmp_path)
    original = os.open

    def refuse(path, *args, **kwargs):  # as for a file the user may not read
        if Path(path).name == "studies.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    code, text = run(capsys, "validate", str(folder))
    assert code == 2
    assert "studies.csv: cannot be read (Permission denied); check that the file" in text


# ------------------------------------------------------------ pages.yml and parameters


def pages_variant(tmp_path, change) -> str:
    import copy

    import yaml

    from analysis import paths

    spec = copy.deepcopy(yaml.safe_load(paths.PAGES.read_text()))
    result = change(spec)
    path = tmp_path / "pages.yml"
    path.write_text(yaml.safe_dump(spec if result is None else result))
    return str(path)


def page_entry(spec, name):
    return next(p for part in spec["parts"] for p in part["pages"] if p["page"] == name)


def set_parameter(page, name, value):
    return lambda spec: page_entry(spec, page).setdefault("parameters", {}).update({name: value})


PAGES_CASES = [
    ("empty", lambda s: "", "it must be a mapping with a list of parts"),
    ("a_list", lambda s: ["intro", "themes"], "is a list; it must be a mapping"),
    ("parameters_as_list", lambda s: page_entry(s, "themes").update(parameters=[3]),
     "page 'themes': 'parameters' must be a mapping of names to values"),
    ("unknown_notebook", lambda s: page_entry(s, "themes").update(notebook="theme"),
     "page 'themes': there is no notebook 'theme' in notebooks/; the notebooks are: "),
    ("notebook_path", lambda s: page_entry(s, "themes").update(notebook="../themes"),
     "must be the name of a file in book/notebooks/"),
    ("min_studies_in_words", set_parameter("themes", "min_studies", "three"),
     "page 'themes': parameter 'min_studies' = \"three\" must be a whole number >= 1"),
    ("min_studies_negative", set_parameter("themes", "min_studies", -1),
     "parameter 'min_studies' = -1 must be a whole number >= 1"),
    ("confidence_as_percent", set_parameter("themes", "confidence", 95),
     "parameter 'confidence' = 95 must be a number in (0, 1)"),
    ("confidence_true", set_parameter("interview_subthemes", "confidence", True),
     "parameter 'confidence' = true must be a number in (0, 1)"),
    ("suppress_below_fraction", set_parameter("interview_subthemes", "suppress_below", 2.5),
     "parameter 'suppress_below' = 2.5 must be a whole number >= 0"),
    ("unknown_transform", set_parameter("prevalence", "transform", "probit"),
     "parameter 'transform' = \"probit\" must be one of logit, freeman_tukey, arcsine"),
    ("unknown_band", set_parameter("themes", "exclude_bands", ["poor"]),
     "parameter 'exclude_bands' = [\"poor\"] must be a list of distinct names from high"),
    ("periods_not_increasing", set_parameter("included_papers", "year_periods",
                                             [2010, 2003]),
     "must be a list of increasing whole numbers"),
    ("banding_rule_unknown", set_parameter("quality", "banding_rule", "harsh"),
     "the name of a declared rule (default, strict, lenient)"),
    ("data_dir_in_pages", set_parameter("themes", "data_dir", "elsewhere"),
     "parameter 'data_dir' is set by the build (use --data-dir)"),
    ("threshold_above_one", set_parameter("saturation", "threshold", 5),
     "parameter 'threshold' = 5 must be a number in [0, 1]"),
]


@pytest.mark.parametrize("change,says", [c[1:] for c in PAGES_CASES],
                         ids=[c[0] for c in PAGES_CASES])
def test_bad_pages_file_stops_the_build_before_anything_runs(change, says, tmp_path, capsys):
    pages = pages_variant(tmp_path, change)
    root = tmp_path / "root"
    code, text = run(capsys, "build", "--pages", pages, "--build-root", str(root))
    assert code == 2, text
    assert "Traceback" not in text and says in text, text
    assert not list((root / "_build").glob("executed/*.ipynb"))  # nothing executed


def test_jobs_must_be_at_least_one(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["build", "--jobs", "0"])
    assert stop.value.code == 2
    assert "argument --jobs: must be at least 1, not 0" in capsys.readouterr().err


def test_a_build_folder_that_cannot_be_written_is_a_message(tmp_path, capsys):
    blocker = tmp_path / "root"
    blocker.write_text("a file where the build root should be")
    code, text = run(capsys, "build", "--build-root", str(blocker))
    assert code == 2
    assert "Not a directory; check that the folder exists and that you may write" in text


def test_the_bundled_pages_file_passes_its_own_checks():
    from analysis.engine.pages import check_parameters, load_pages

    assert check_parameters(load_pages()) == []


def test_declared_choices_are_the_ones_the_statistics_implement():
    from analysis.engine.parameters import BANDING_RULES, BANDS, DECLARED
    from analysis.stats import prevalence, quality

    assert DECLARED["transform"].choices == tuple(prevalence.TRANSFORMS)
    assert DECLARED["tau2_method"].choices == tuple(prevalence.TAU2_METHODS)
    assert set(DECLARED["covariate"].choices) == set(prevalence.COVARIATE_LABELS)
    assert BANDING_RULES == tuple(quality.BANDING_RULES) and BANDS == quality.BANDS


def test_every_declared_default_is_allowed():
    """Each notebook's own defaults meet the declarations (no range excludes them)."""
    from analysis import paths
    from analysis.engine.parameters import DECLARED, problem
    from analysis.pages.template import load_template

    for template in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        for name, value in load_template(template).defaults.items():
            if name in DECLARED:
                assert problem(value, DECLARED[name]) is None, (template.name, name, value)
