"""What keeps a build's memory down: pandas without pyarrow where the pages do not need
it, and the data package validated in a process of its own.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from analysis import paths
from analysis.contract.errors import DataPackageError
from analysis.contract.files import PackageFiles
from analysis.engine.build import _validate
from analysis.engine.execution import validate_apart
from analysis.plan import BuildPlan


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=paths.ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pandas_imported_without_pyarrow_leaves_pyarrow_importable_later():
    out = _python(
        "import sys\n"
        "from analysis.engine.kernels import without_pyarrow\n"
        "with without_pyarrow():\n"
        "    import pandas\n"
        "print('pyarrow' in sys.modules, pandas.Series(['a']).array.__class__.__name__)\n"
        "import pyarrow\n"
        "print(pyarrow.__name__)\n")
    # pandas' own text array, not Arrow's
    assert out.split() == ["False", "StringArray", "pyarrow"]


def test_a_kernel_warmed_for_the_pages_holds_pandas_without_pyarrow(tmp_path):
    from analysis.engine import kernels

    out = tmp_path / "out.ipynb"
    code = ("import nbformat, os, sys\n"
            "from analysis.engine import kernels\n"
            f"assert kernels.warm_up('import statistics', {str(tmp_path / 'k.log')!r})\n"
            "from nbclient import NotebookClient\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(\n"
            "    \"import sys; print('pandas' in sys.modules, 'pyarrow' in sys.modules)\")])\n"
            "NotebookClient(nb, km=kernels._kernel_manager()).execute()\n"
            f"nbformat.write(nb, {str(out)!r})\n"
            "kernels.shutdown_kernel()\n")
    _python(code)
    import nbformat

    cell = nbformat.read(str(out), as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "True False\n"
    assert "without_pyarrow" in kernels.WARM_UP


def _plan(tmp_path, data_dir) -> BuildPlan:
    return BuildPlan(data_dir=str(data_dir), pages_file=str(paths.PAGES),
                     executed_dir=str(tmp_path), code="code", pending=("prevalence",))


def test_the_package_is_validated_and_stored_for_the_pages_in_a_process_of_its_own(
        tmp_path, data_copy):
    lines = (data_copy / "participants.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[2] = "Female"  # accepted, with a warning the build must still say
    lines[3] = ",".join(cells)
    (data_copy / "participants.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = _plan(tmp_path, data_copy)
    said: list[str] = []
    validated = validate_apart(_validate, PackageFiles.at(data_copy), plan, said.append)
    assert said[0].endswith("(synthetic), after 1 normalisation(s):"), said
    assert "'Female' as 'female'" in said[1]
    with open(plan.validated_package(), "rb") as handle:
        stored = pickle.load(handle)
    assert stored["data_dir"] == str(data_copy)
    assert (stored["package"].tables["participants"]["gender"] == "female").sum() > 0
    validated.save_for_pages(plan.validated_package())  # stored already: kept as it is
    assert pickle.loads(plan.validated_package().read_bytes())["data_dir"] == str(data_copy)


def test_a_package_found_invalid_apart_raises_the_same_error_with_every_problem(
        tmp_path, data_copy):
    (data_copy / "participants.csv").unlink()
    with pytest.raises(DataPackageError) as raised:
        validate_apart(_validate, PackageFiles.at(data_copy), _plan(tmp_path, data_copy),
                       print)
    assert "participants.csv" in raised.value.report.format()
    assert not raised.value.report.ok
    assert not _plan(tmp_path, data_copy).validated_package().exists()


def test_a_validating_process_that_dies_is_one_message_not_a_traceback():
    import os

    import pytest

    from analysis.engine.errors import BuildError
    from analysis.engine.execution import _apart

    with pytest.raises(BuildError, match="ended with exit status 3 before it finished"):
        _apart(os._exit, 3)
