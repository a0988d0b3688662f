"""Parameter sets, cache keys and the table of contents (no notebook is executed)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

from analysis import paths
from analysis.contract.errors import InputError
from analysis.engine.cache import why_changed
from analysis.engine.errors import BuildError
from analysis.engine.pages import check_parameters, load_pages, toc

TEMPLATES = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def test_pages_file_lists_existing_pages():
    pages = load_pages()
    assert pages[0].name == "intro" and pages[0].notebook == "intro"
    assert check_parameters(pages) == []
    assert {"data_dictionary", "sample_characteristics"} <= {p.name for p in pages}


def test_unknown_parameter_is_an_error(tmp_path):
    spec = {"parts": [{"caption": "A", "pages": [
        {"page": "intro", "notebook": "intro"},
        {"page": "papers", "notebook": "included_papers",
         "parameters": {"year_period": [2003]}}]}]}
    path = tmp_path / "pages.yml"
    path.write_text(yaml.safe_dump(spec))
    problems = check_parameters(load_pages(path))
    assert len(problems) == 1
    assert "parameter 'year_period' is not in the parameters cell" in problems[0]
    assert "it takes: data_dir, year_periods" in problems[0]


def test_duplicate_page_names_are_an_error(tmp_path):
    path = tmp_path / "pages.yml"
    path.write_text(yaml.safe_dump({"parts": [{"caption": "A", "pages": [
        {"page": "intro", "notebook": "intro"}, {"page": "intro", "notebook": "intro"}]}]}))
    with pytest.raises(InputError, match="repeated: intro"):
        load_pages(path)


def test_page_names_must_be_plain_file_names(tmp_path):
    path = tmp_path / "pages.yml"
    path.write_text(yaml.safe_dump({"parts": [{"caption": "A", "pages": [
        {"page": "intro", "notebook": "intro"}, {"page": "my page"}, {"page": "../up"}]}]}))
    with pytest.raises(InputError, match=r"only letters, digits, '_' and '-'; "
                                         r"rename: 'my page', '../up'"):
        load_pages(path)


def test_toc_follows_pages_file():
    pages = load_pages()
    spec = toc(pages)
    assert spec["root"] == "intro"
    files = [c["file"] for part in spec["parts"] for c in part["chapters"]]
    assert files == [p.name for p in pages[1:]]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_template_committed_without_outputs(template):
    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_template_has_a_parameters_cell_with_working_default(template):
    """A template runs on its own on the bundled package, or, where the bundled package
    does not hold what its page needs (the ConQual pages), on a test package that does."""
    from analysis.pages.needs import choose_pages, offered_by_package
    from analysis.contract.validation import load_package
    from analysis.engine.pages import load_pages

    declared = papermill.inspect_notebook(str(template))
    default = declared["data_dir"]["default"].strip("'\"")
    assert (paths.ROOT / default / "datapackage.json").is_file(), default
    if default != "data_synthetic":
        kept, _ = choose_pages(load_pages(), offered_by_package(load_package(paths.DATA_SYNTHETIC)))
        assert default.startswith("tests/fixtures/packages/")
        assert template.stem not in {page.notebook for page in kept}, (
            f"{template.name}: the bundled package serves this page; default to it")


def test_a_parameters_cell_that_is_not_python_is_named(tmp_path, monkeypatch):
    from analysis.pages.page import Page

    monkeypatch.setattr(paths, "NOTEBOOKS", tmp_path)  # where the page's template is
    template = Path(_notebook(tmp_path / "broken.ipynb"))
    nb = nbformat.read(str(template), as_version=4)
    nb.cells[0].source = 'data_dir = "data_synthetic"\nyear_periods = [2003,'
    nbformat.write(nb, str(template))
    with pytest.raises(BuildError, match=r"broken.ipynb: the parameters cell is not valid "
                                         r"Python \(line 2"):
        check_parameters([Page("broken", "A", "broken")])


def test_why_changed_names_the_input():
    old = {"template": "a", "parameters": "p", "data": {"x.csv": "1", "y.csv": "2"}, "code": "c"}
    assert why_changed(None, old) == "not executed before"
    new = {**old, "data": {"x.csv": "1", "y.csv": "3"}}
    assert why_changed(old, new) == "data changed: y.csv"
    new = {**old, "parameters": "q", "code": "d"}
    assert why_changed(old, new) == "parameters changed; analysis code or dependencies changed"


def _notebook(path, *sources):
    cells = [nbformat.v4.new_code_cell('data_dir = "data_synthetic"')]
    cells[0].metadata["tags"] = ["parameters"]
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return str(path)


def test_a_reused_kernel_gives_each_page_a_clean_namespace(tmp_path, monkeypatch):
    from analysis.engine import kernels
    from analysis.plan import BuildPlan, channel
    from tests.plan_in_force import no_plan

    no_plan(monkeypatch)  # a page puts the plan in force here: restored afterwards
    plan = BuildPlan(data_dir="data_synthetic", pages_file=str(paths.PAGES),
                     executed_dir=str(tmp_path)).write(tmp_path / "plan.json")

    first = _notebook(tmp_path / "first.ipynb", "import sys\nassert 'warmed' not in globals()",
                      "leftover = 41\nprint(leftover + 1)")
    second = _notebook(tmp_path / "second.ipynb",
                       "import sys\nassert 'leftover' not in globals(), 'a name leaked'\n"
                       "assert 'statistics' in sys.modules  # modules stay imported")
    stderr = os.dup(2)  # a page sends this process's stderr to its log
    try:
        assert kernels.warm_up("import statistics as warmed", str(tmp_path / "kernel.log"))
        for name in (first, second):
            out = tmp_path / f"{Path(name).stem}.out.ipynb"
            kernels.execute_page(name, str(out), {"data_dir": "data_synthetic"}, None,
                                 channel(plan, Path(name).stem))
            nb = nbformat.read(str(out), as_version=4)
            assert not any(kernels.PRELUDE_TAG in c.metadata.get("tags", []) for c in nb.cells)
    finally:
        kernels.shutdown_kernel()
        os.dup2(stderr, 2)
    cells = nbformat.read(str(tmp_path / "first.out.ipynb"), as_version=4).cells
    assert [c.outputs[0]["text"] for c in cells if "leftover" in c.source] == ["42\n"]


def test_warm_up_imports_what_the_pages_import():
    from analysis.engine.kernels import page_imports

    imports = page_imports(load_pages()).splitlines()
    assert "from analysis.chapters import prevalence as prevalence_page" in imports
    assert "from analysis.plots import quality as quality_plots" in imports
    assert "import matplotlib.pyplot" in imports
    assert all(line.startswith(("import ", "from ")) for line in imports)


def test_a_workers_kernel_keeps_one_ready_client_until_it_is_replaced():
    from jupyter_core.utils import run_sync

    from analysis.engine import internals

    km = internals.kernel_manager()
    run_sync(km.start_kernel)()
    try:
        first = km.client()
        first.start_channels()
        run_sync(first.wait_for_ready)(timeout=60)
        assert km.client() is first and first.ready
        first.start_channels()  # a second page starting the channels again is harmless
        assert first.channels_running
        # A page that failed badly shuts its kernel down, and the client with it.
        run_sync(km.shutdown_kernel)(now=True)
        assert not first.channels_running and km.reused_client is None
    finally:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)


def test_a_driven_book_build_reads_each_pending_page_once_it_is_ready():
    import io

    from analysis.engine.book_hooks import SourceGate, order_reading

    docnames = ["appraisal", "intro", "provenance", "quality", "themes"]
    order_reading(docnames, ["quality", "appraisal", "provenance"])
    assert docnames == ["intro", "themes", "quality", "appraisal", "provenance"]

    said = io.StringIO("ready appraisal\nready quality\ngo\n")
    gate = SourceGate(said)
    gate.wait_for("quality")  # reads on until quality is said to be ready
    assert gate.ready == {"appraisal", "quality"} and not gate.complete
    gate.wait_for("appraisal")  # already said: nothing more is read
    assert said.tell() == len("ready appraisal\nready quality\n")
    gate.wait_for("provenance")  # "go": every page is final
    assert gate.complete
    for closed in ("", "ready quality\n", "stop\n"):  # input closed, or anything else
        with pytest.raises(SystemExit):
            SourceGate(io.StringIO(closed)).wait_for("themes")


def test_only_the_build_engine_makes_a_book_build_wait(monkeypatch, tmp_path):
    from analysis.engine import book_hooks
    from tests.plan_in_force import no_plan, plan_in_force

    no_plan(monkeypatch)
    assert book_hooks.pending_pages() == []  # a plain jupyter-book build: no plan
    plan_in_force(monkeypatch, tmp_path, pending=("quality", "provenance"), hold=False)
    assert book_hooks.pending_pages() == []  # a plan that does not hold the book
    plan_in_force(monkeypatch, tmp_path, name="held.json", pending=("quality", "provenance"))
    assert book_hooks.pending_pages() == ["quality", "provenance"]


def test_a_kernel_that_skips_empty_flushes_keeps_printed_text_in_order():
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from analysis.engine.internals import skip_empty_flushes\n"
                                  "skip_empty_flushes()\nskip_empty_flushes()  # again: no-op"),
        nbformat.v4.new_code_cell("from ipykernel.iostream import OutStream\n"
                                  "from IPython.display import display\n"
                                  "print('before')\ndisplay(1)\ndisplay(2)\nprint('after')\n"
                                  "print(OutStream.flush.skips_empty)"),
    ])
    NotebookClient(nb, kernel_name="python3",
                   resources={"metadata": {"path": str(paths.ROOT)}}).execute()
    shown = [(o["output_type"], (o.get("text") or o["data"]["text/plain"]).strip())
             for o in nb.cells[1].outputs]
    assert shown == [("stream", "before"), ("display_data", "1"), ("display_data", "2"),
                     ("stream", "after\nTrue")]


def test_a_driven_book_build_exits_promptly_only_when_clean(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from analysis.engine import book_hooks
    from tests.plan_in_force import no_plan, plan_in_force

    class Exited(Exception):
        pass

    def leave(code):
        raise Exited(code)

    monkeypatch.setattr(os, "_exit", leave)
    no_plan(monkeypatch)
    clean = SimpleNamespace(statuscode=0, _warncount=0)
    warned = SimpleNamespace(statuscode=0, _warncount=1)
    book_hooks.exit_when_written(clean, None)  # a plain jupyter-book build: Sphinx finishes
    plan_in_force(monkeypatch, tmp_path)  # the engine drives the book build
    book_hooks.exit_when_written(warned, None)  # a warning: Sphinx reports it and fails
    book_hooks.exit_when_written(clean, RuntimeError("broken"))  # an error: likewise
    plan_in_force(monkeypatch, tmp_path, name="plain.json", plain=True)
    book_hooks.exit_when_written(clean, None)  # --plain: Sphinx finishes as usual
    plan_in_force(monkeypatch, tmp_path, name="fast.json")
    with pytest.raises(Exited) as exited:
        book_hooks.exit_when_written(clean, None)
    assert exited.value.args == (0,)


def test_the_citation_backend_is_found_without_scanning_entry_points(monkeypatch):
    import pybtex.plugin
    from pybtex.backends.plaintext import Backend

    from analysis.engine import book_hooks

    book_hooks.look_up_citation_backend_once()

    def scan(**_):
        raise AssertionError("entry points scanned")

    monkeypatch.setattr(pybtex.plugin, "entry_points", scan)
    assert pybtex.plugin.find_plugin("pybtex.backends", "plaintext") is Backend


def test_a_book_build_started_ahead_runs_at_lower_priority_and_closes(tmp_path):
    from analysis.engine.book import LOWER_PRIORITY, BookProcess, BookSource

    book = BookProcess(BookSource(tmp_path / "source"), tmp_path / "out",
                       tmp_path / "jupyter-book.log", ahead=True)
    try:
        assert book.held
        assert os.getpriority(os.PRIO_PROCESS, book.process.pid) == LOWER_PRIORITY
    finally:
        book.close()
    assert book.process.returncode is not None and not (tmp_path / "out").exists()


@pytest.mark.book
def test_a_book_build_started_ahead_reads_a_pending_page_only_once_it_is_final(tmp_path):
    import time

    from analysis.engine.book import BookProcess, BookSource
    from analysis.plan import BuildPlan

    source = BookSource(tmp_path / "source")
    source.pages.mkdir(parents=True)
    (source.pages / "intro.md").write_text("# Intro\n\nThe first page.\n")
    (source.pages / "later.md").write_text("")  # the stand-in
    (source.pages / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": "later"}]}))
    source.config.write_text(yaml.safe_dump(
        {"title": "Pending", "execute": {"execute_notebooks": "off"},
         "sphinx": {"extra_extensions": ["analysis.engine.book_hooks"]}}))
    log = tmp_path / "jupyter-book.log"
    plan = BuildPlan(data_dir="", pages_file="", executed_dir=str(tmp_path),
                     pending=("later",)).write(tmp_path / "plan.json")
    book = BookProcess(source, tmp_path / "out", log, ahead=True, plan=plan)
    try:
        deadline = time.monotonic() + 120
        while "later" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # Sphinx names a page just before it reads it
        assert "intro" in log.read_text() and "later" in log.read_text()
        time.sleep(1)
        assert book.process.poll() is None  # waiting at the stand-in, not reading it
        (source.pages / "later.md").write_text("# Later\n\nWritten after the build began.\n")
        book.ready("later")
        later = (book.finish("untouched") / "later.html").read_text()
    finally:
        book.close()  # removes the build's output
    assert "Written after the build began." in later


def test_closing_a_build_that_stopped_early_hides_no_error(tmp_path):
    # The build died before the build engine said a page was ready: what was said stays in
    # the pipe's buffer, and closing must not turn that into the error the user sees.
    import time

    from analysis.engine.book import BookProcess, BookSource
    from analysis.plan import BuildPlan

    plan = BuildPlan(data_dir="", pages_file="", executed_dir=str(tmp_path),
                     pending=("a",)).write(tmp_path / "plan.json")
    book = BookProcess(BookSource(tmp_path / "missing"), tmp_path / "out",
                       tmp_path / "jupyter-book.log", ahead=True, plan=plan)
    deadline = time.monotonic() + 60
    while book.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    book.ready("a")
    book.close()
    assert book.process.returncode != 0


def test_the_build_plans_and_starts_its_kernels_before_loading_pandas():
    # The kernels start after the plan; pandas (0.4 s to import) is loaded only while
    # they warm up. Importing the command line and the build engine must not load it.
    import subprocess
    import sys

    code = ("import sys, analysis.__main__, analysis.engine.build; "
            "print(sorted(m for m in ('pandas', 'papermill', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=paths.ROOT).stdout
    assert out.strip() == "[]"


def test_an_extension_error_is_quoted_in_the_failure_message():
    from analysis.engine.book import _sphinx_problems

    log = ("Running Sphinx v7.4.7\n\x1b[91mExtension error (sphinxcontrib.bibtex):\x1b[39;49;00m\n"
           "Handler <function builder_inited_cite> for event 'builder-inited' threw an "
           "exception (exception: syntax error in line 373: '}' expected)\n")
    (problem,) = _sphinx_problems(log)
    assert problem.startswith("Extension error (sphinxcontrib.bibtex): Handler")
    assert "syntax error in line 373" in problem


def test_the_longest_pages_are_handed_out_first_and_read_in_their_expected_finish_order():
    from types import SimpleNamespace

    from analysis.engine.execution import schedule

    def pending(*names):
        return [(SimpleNamespace(name=name), "data changed") for name in names]

    # Last times of a one-file rebuild: the multiverse would otherwise start last and
    # run alone. Two workers: multiverse | prevalence, sensitivity, intro, method.
    seconds = {"prevalence": 1.2, "sensitivity": 1.0, "multiverse": 2.5, "intro": 0.3,
               "method": 0.1}
    planned = schedule(pending("prevalence", "sensitivity", "method", "intro", "multiverse"),
                       seconds, workers=2)
    assert [page.name for page, _ in planned.pending] == [
        "multiverse", "prevalence", "sensitivity", "intro", "method"]
    # prevalence 1.2, sensitivity 2.2, multiverse 2.5, intro 2.5 (after sensitivity, tie
    # broken by hand-out order), method 2.6
    assert planned.finish_order == ["prevalence", "sensitivity", "multiverse", "intro",
                                    "method"]
    # Never timed (a build from nothing): the book's order, as handed out and as read.
    fresh = schedule(pending("a", "b", "c"), {"a": None, "b": None, "c": None}, workers=2)
    assert [page.name for page, _ in fresh.pending] == ["a", "b", "c"]
    assert fresh.finish_order == ["a", "b", "c"]
    # A page never timed goes first: it may be long.
    mixed = schedule(pending("a", "new"), {"a": 5.0, "new": None}, workers=1)
    assert [page.name for page, _ in mixed.pending] == ["new", "a"]
    # What each page is expected to take: its last time, or the median of the others'.
    assert mixed.seconds == {"new": 5.0, "a": 5.0}
    assert planned.seconds["multiverse"] == 2.5 and fresh.seconds == dict.fromkeys("abc", 1.0)


def test_the_first_kernel_thread_out_of_long_pages_leaves_the_last_short_ones_to_the_other(
        tmp_path):
    import threading

    from analysis.engine.execution import KernelThreads

    def blocked_until(event):
        event.wait(30)
        return threading.current_thread().name

    def name():
        return threading.current_thread().name

    pool = KernelThreads(2, None, tmp_path)  # no kernel: the threads run plain calls
    first, second = threading.Event(), threading.Event()
    try:
        long_a = pool.submit(blocked_until, first, seconds=9.0)
        long_b = pool.submit(blocked_until, second, seconds=9.0)
        short = [pool.submit(name, seconds=1.0) for _ in range(2)]
        pool.close(retire_one_at=2.0)  # 2 s of pages queued: one thread may retire
        second.set()
        retired = pool.first_ended.result(timeout=30)
        assert retired == long_b.result(timeout=30)  # it ended once its long page was done
        assert not any(f.done() for f in short)  # the short pages wait for the other
        first.set()
        assert [f.result(timeout=30) for f in short] == [long_a.result(), long_a.result()]
    finally:
        first.set()
        second.set()
        pool.shutdown()
