"""A notebook template read once (analysis.pages.template): its hash, the names and
defaults of its parameters cell, its heading and its import lines."""

from __future__ import annotations

import json
import os

import nbformat
import papermill
import pytest

from analysis import paths
from analysis.pages.template import load_template, template_hash

TEMPLATES = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def _notebook(path, parameters: str, *cells):
    """A notebook with a parameters cell and other cells: code, or Markdown given as
    ("markdown", text)."""
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    rest = [nbformat.v4.new_markdown_cell(c[1]) if isinstance(c, tuple)
            else nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nbformat.v4.new_notebook(cells=[first, *rest]), str(path))
    return path


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_declared_parameters_are_the_names_papermill_reads(template):
    assert list(load_template(template).parameters) == sorted(
        papermill.inspect_notebook(str(template)))


def test_a_template_says_what_it_holds(tmp_path):
    template = load_template(_notebook(
        tmp_path / "t.ipynb",
        'data_dir = "data_synthetic"\nconfidence: float = 0.95\nlimit = 2 * 3\na = b = 1',
        ("markdown", "Some prose, then\n# The title  \n"), "# import nothing\nx = 1",
        "import pandas as pd\nfrom analysis import paths", ("markdown", "# Second heading"),
        "import os, sys"))
    assert template.parameters == ("a", "b", "confidence", "data_dir", "limit")
    # Only literal defaults declare a type; a chained assignment declares none.
    assert template.defaults == {"data_dir": "data_synthetic", "confidence": 0.95}
    assert template.parameters_error is None
    assert template.heading == "The title"
    assert template.imports == ("from analysis import paths", "import os, sys",
                                "import pandas as pd")


def test_a_parameters_cell_that_is_not_python_is_said(tmp_path):
    template = load_template(_notebook(tmp_path / "broken.ipynb",
                                       'data_dir = "data_synthetic"\nyear_periods = [2003,'))
    assert template.parameters_error.startswith("line 2: ")
    assert template.parameters == () and template.defaults == {}


def test_a_template_is_read_once_and_again_when_it_changes(tmp_path):
    path = _notebook(tmp_path / "t.ipynb", "data_dir = 'x'")
    first = load_template(path)
    assert load_template(path) is first
    _notebook(path, "data_dir = 'x'\nseed = 12345")
    os.utime(path, ns=(first_ns := path.stat().st_mtime_ns + 10**9, first_ns))
    assert load_template(path).parameters == ("data_dir", "seed")


def test_template_hash_ignores_outputs(tmp_path):
    template = TEMPLATES[0]
    nb = json.loads(template.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
            cell["execution_count"] = 3
    copy = tmp_path / template.name
    copy.write_text(json.dumps(nb))
    assert template_hash(copy) == template_hash(template)
    nb["cells"][0]["source"] = "# changed"
    copy.write_text(json.dumps(nb))
    assert template_hash(copy) != template_hash(template)
