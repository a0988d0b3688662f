"""What runs in a worker process: its kernel, reused for many pages, and one page's
execution with papermill.
"""

from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from analysis import paths
from analysis import plan as build_plan
from analysis.contract.escape import Myst
from analysis.engine import internals
from analysis.pages.page import Page
from analysis.pages.template import load_template


def _finish_page(nb_path: Path, title: str | None) -> None:
    """Give the page its own title and hide papermill's injected cell.

    The page shows its parameters as a table (``analysis.chapters.page.start_page``), so the
    injected code cell would only repeat them.
    """
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells = [c for c in nb.cells if PRELUDE_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    # The title comes from the pages file: text, escaped as any text from outside the
    # notebook, and put in by a function (a replacement string would read "\\1" in it
    # as a group of the pattern).
    heading = Myst("# ") + title if title else None
    for cell in nb.cells if title else []:
        if cell.cell_type == "markdown" and re.search(r"^# ", cell.source, flags=re.M):
            cell.source = re.sub(r"^# .*$", lambda _: heading, cell.source, count=1,
                                 flags=re.M)
            break
    nbformat.write(nb, str(nb_path))


# Run first in a reused kernel: forget the previous page (its names, outputs, figures
# and the warnings already shown), give the memory they held back to the system (the
# two kernels are most of a build's memory: analysis.engine.internals.give_back_memory),
# put the build's plan in force for this page (its table log and exported tables,
# analysis.plan), and
# (once per kernel) stop empty flushes from waiting (analysis.engine.internals).
# Not IPython's %reset: that runs the garbage collector twice, a quarter of a second
# per page once pandas, scipy and matplotlib are loaded, to free memory nobody waits for.
PRELUDE = """\
def _cen_book_new_page(plan):
    import warnings
    import matplotlib.pyplot as plt
    from analysis.engine.internals import give_back_memory, skip_empty_flushes
    from analysis.plan import enter
    skip_empty_flushes()
    shell = get_ipython()
    shell.history_manager.output_hist.clear()
    keep = set(shell.user_ns_hidden) | {{"__builtin__", "__builtins__", "__name__"}}
    for name in [name for name in shell.user_ns if name not in keep]:
        del shell.user_ns[name]
    plt.close("all")
    with warnings.catch_warnings():  # leaving it resets the once-only warning registries
        pass
    give_back_memory()
    enter(plan)
_cen_book_new_page({plan})
"""


IOPUB_SECONDS = 60  # how late a cell's last output may be (see execute_page)
PRELUDE_TAG = "cen-book-prelude"


_worker_kernel = None  # one kernel per worker process when kernels are reused


def _kernel_manager():
    """This worker's kernel manager, created on first use and shut down at exit."""
    global _worker_kernel
    if _worker_kernel is None:
        from multiprocessing.util import Finalize

        _worker_kernel = internals.kernel_manager()
        # Worker processes leave through os._exit: atexit never runs, Finalize does.
        Finalize(_worker_kernel, _shutdown_kernel, exitpriority=10)
    return _worker_kernel


def _shutdown_kernel() -> None:
    global _worker_kernel
    km, _worker_kernel = _worker_kernel, None
    if km is not None and km.has_kernel:
        from jupyter_core.utils import run_sync

        run_sync(km.shutdown_kernel)(now=True)


# The cell that warms a worker's kernel: the pages' imports, pandas without pyarrow
# (without_pyarrow), then the objects they created set aside from the garbage
# collector (gc.freeze): they live as long as the kernel, and the collection that
# every page's prelude runs (analysis.engine.internals.give_back_memory) then looks
# only at what the pages made.
WARM_UP = """\
from analysis.engine.kernels import without_pyarrow
with without_pyarrow():
{imports}
import gc
gc.freeze()
"""


def warm_up(imports: str, log: str) -> bool:
    """Start this worker's kernel and run the pages' import lines in it.

    Runs in a worker process while the main process validates the data, so that the
    kernel's start-up and the imports of pandas, matplotlib, scipy and statsmodels
    (about three seconds) overlap that work instead of following it. Any failure is
    left for the pages to report: they run the same imports and show the error.
    """
    import nbformat
    from nbclient import NotebookClient

    with open(log, "a") as stream:  # the kernel's start-up chatter, as for a page
        os.dup2(stream.fileno(), 2)
    indented = "\n".join(f"    {line}" for line in ["import pandas", *imports.splitlines()])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        WARM_UP.format(imports=indented))])
    try:
        NotebookClient(nb, km=_kernel_manager(), kernel_name="python3").execute()
    except Exception:
        _shutdown_kernel()
        return False
    return True


def page_imports(pages: list[Page]) -> str:
    """The import lines of the pages' notebooks, for :func:`warm_up`."""
    lines = {"import matplotlib.pyplot"}
    for template in {page.template for page in pages if page.notebook}:
        lines.update(load_template(template).imports)
    return "\n".join(sorted(lines))


@contextmanager
def without_pyarrow():
    """Imports made inside this block see pyarrow as not installed; later ones find it.

    pandas imports pyarrow whenever it is installed (for its Arrow-backed types): about
    35 MB of memory in a process that imports pandas, and nearly 60 MB resident once
    its libraries are mapped. The book's pages use neither Arrow types nor Parquet, but
    the multiverse page, which writes its tables as Parquet and imports pyarrow then
    (:mod:`analysis.compute.multiverse`). Every process that reads a data package for a
    build (the validation, :func:`analysis.engine.execution.validate_apart`, and the
    kernels, :func:`warm_up`) imports pandas in this block, so that their tables hold
    the same kind of text column (pandas' own, not Arrow's) and a validated package
    passes between them as it is. Nothing happens when pyarrow is already loaded.
    """
    if "pyarrow" in sys.modules:
        yield
        return
    sys.modules["pyarrow"] = None  # makes ``import pyarrow`` an ImportError
    try:
        yield
    finally:
        del sys.modules["pyarrow"]


# The hidden first cell of a page in a kernel of its own (no warm_up): pandas as the
# validation and the warmed kernels import it (without_pyarrow).
FRESH_KERNEL_START = """\
from analysis.engine.kernels import without_pyarrow
with without_pyarrow():
    import pandas
del without_pyarrow, pandas
"""


def _papermill():
    """papermill, imported without pyarrow.

    papermill's I/O module imports ``pyarrow.fs`` for notebooks on Hadoop (HDFS) and
    falls back to a stub when it cannot: that import costs each worker about 60 MB of
    memory (pyarrow and numpy) for a book that reads and writes local notebooks only.
    """
    with without_pyarrow():
        import papermill
    return papermill


def execute_page(template: str, output: str, parameters: dict[str, Any],
                 title: str | None, plan: str, reuse_kernel: bool = True) -> float:
    """Run one notebook with papermill; returns the seconds it took.

    ``plan`` is the build's plan for this page (:func:`analysis.plan.channel`): the
    kernel finds its table log, the folder of its tables, the validated package and
    the pages file there.

    Runs in a worker process. With ``reuse_kernel`` the worker keeps one kernel for
    all its pages: starting a kernel and importing pandas, matplotlib and statsmodels
    costs each page seconds, while the prelude cell (removed from the executed
    notebook) gives every page a clean namespace. Without it every page gets a fresh
    kernel, shut down immediately after the last cell (a graceful shutdown sometimes
    stalls for seconds).
    """
    import nbformat

    papermill = _papermill()

    # The kernel inherits this worker's stderr; its start-up chatter goes to a log
    # beside the executed notebook instead of the user's terminal.
    with open(Path(output).with_suffix(".log"), "w") as log:
        os.dup2(log.fileno(), 2)
    build_plan.enter(plan)  # inherited by a kernel started from here
    nb = nbformat.read(template, as_version=4)
    # papermill makes nbclient raise when a cell's last output is more than
    # ``iopub_timeout`` seconds behind its reply (nbclient's default: 4 s); on a busy
    # machine a figure's output can be that late, and the page would fail for no fault
    # of its own.
    options: dict[str, Any] = {"shutdown_kernel": "immediate", "iopub_timeout": IOPUB_SECONDS}
    prelude = nbformat.v4.new_code_cell(PRELUDE.format(plan=repr(plan)) if reuse_kernel
                                        else FRESH_KERNEL_START)
    prelude.metadata["tags"] = ["remove-cell", PRELUDE_TAG]
    nb.cells.insert(0, prelude)
    if reuse_kernel:
        options = {"km": _kernel_manager(), "iopub_timeout": IOPUB_SECONDS}
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            nb, output, parameters=parameters, kernel_name="python3", progress_bar=False,
            log_output=False, cwd=str(paths.NOTEBOOKS), request_save_on_cell_execute=False,
            **options)
    except Exception as exc:
        if reuse_kernel and type(exc).__name__ != "PapermillExecutionError":
            _shutdown_kernel()  # the kernel may be dead or stuck: the next page starts anew
        raise
    _finish_page(Path(output), title)
    return time.perf_counter() - start
