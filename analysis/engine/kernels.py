"""What runs in one of the build's kernel threads: its kernel, reused for many pages,
and one page's execution with papermill.

The build drives its kernels from threads of the main process
(:class:`analysis.engine.execution.KernelThreads`), one kernel per thread: a thread spends
its time waiting for its kernel's messages, and a process of its own for each would hold
another copy of papermill, nbclient and jupyter_client (about 58 MB each).
"""

from __future__ import annotations

import re
import sys
import threading
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


_thread = threading.local()  # this thread's kernel manager, when kernels are reused


def _kernel_manager():
    """This thread's kernel manager, created on first use (its kernel is started by
    :func:`start_kernel`)."""
    km = getattr(_thread, "km", None)
    if km is None:
        km = _thread.km = internals.kernel_manager()
    return km


def start_kernel(km, log: str, env: dict[str, str] | None = None) -> None:
    """Start ``km``'s kernel in the notebooks' folder, its standard error (start-up
    chatter, warnings) going to the file ``log``, with the environment ``env`` (this
    process's when None)."""
    from jupyter_core.utils import run_sync

    with open(log, "a") as stream:  # the kernel keeps its own copy of the descriptor
        run_sync(km.start_kernel)(stderr=stream, cwd=str(paths.NOTEBOOKS),
                                  **({} if env is None else {"env": env}))
    _pids[threading.get_ident()] = km.provisioner.pid


_pids: dict[int, int] = {}  # the process of the kernel each thread started last


def kill_kernels(threads: list[int]) -> None:
    """Kill the kernels that the threads ``threads`` (their idents) started, now.

    For a build that stops: a thread may be waiting for its kernel in the middle of a
    page, and is freed by its kernel's death (nbclient notices within a second).
    """
    import psutil

    doomed = []
    for pid in [_pids.pop(ident, None) for ident in threads]:
        if pid is None:  # psutil.Process(None) is this process
            continue
        try:
            doomed.append(psutil.Process(pid))
            doomed[-1].kill()
        except psutil.Error:
            continue
    psutil.wait_procs(doomed, timeout=5)


def shutdown_kernel() -> None:
    """Shut this thread's kernel down now (a thread's kernel ends with the thread)."""
    km, _thread.km = getattr(_thread, "km", None), None
    # Forgotten first: kill_kernels must never kill a process id the system has reused.
    _pids.pop(threading.get_ident(), None)
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
    """Start this thread's kernel and run the pages' import lines in it.

    Runs in a kernel thread while the data are validated, so that the kernel's start-up
    and the imports of pandas, matplotlib, scipy and statsmodels (about three seconds)
    overlap that work instead of following it. The kernel's standard error goes to
    ``log``. Any failure is left for the pages to report: they run the same imports and
    show the error.
    """
    import nbformat
    from nbclient import NotebookClient

    indented = "\n".join(f"    {line}" for line in ["import pandas", *imports.splitlines()])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        WARM_UP.format(imports=indented))])
    try:
        km = _kernel_manager()
        if not km.has_kernel:
            start_kernel(km, log)
        NotebookClient(nb, km=km, kernel_name="python3").execute()
    except Exception:
        shutdown_kernel()
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

    Runs in a kernel thread. With ``reuse_kernel`` the thread keeps one kernel for all
    its pages: starting a kernel and importing pandas, matplotlib and statsmodels costs
    each page seconds, while the prelude cell (removed from the executed notebook)
    gives every page a clean namespace and puts its plan in force. Without it every
    page gets a fresh kernel, started with the plan in its environment and shut down
    immediately after the last cell (a graceful shutdown sometimes stalls for seconds).
    Either kernel runs in the notebooks' folder, as papermill's ``cwd`` would put it;
    papermill is not given ``cwd``, which it applies by changing this whole process's
    working directory.
    """
    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    papermill = _papermill()
    nb = nbformat.read(template, as_version=4)
    prelude = nbformat.v4.new_code_cell(PRELUDE.format(plan=repr(plan)) if reuse_kernel
                                        else FRESH_KERNEL_START)
    prelude.metadata["tags"] = ["remove-cell", PRELUDE_TAG]
    nb.cells.insert(0, prelude)
    if reuse_kernel:
        km = _kernel_manager()
        if not km.has_kernel:  # not warmed, or shut down after a failure
            start_kernel(km, str(Path(output).with_suffix(".log")))
    else:
        km = AsyncKernelManager(kernel_name="python3")
        start_kernel(km, str(Path(output).with_suffix(".log")),
                     env=build_plan.entered(plan))
    start = time.perf_counter()
    try:
        # papermill makes nbclient raise when a cell's last output is more than
        # ``iopub_timeout`` seconds behind its reply (nbclient's default: 4 s); on a
        # busy machine a figure's output can be that late, and the page would fail for
        # no fault of its own.
        papermill.execute_notebook(
            nb, output, parameters=parameters, kernel_name="python3", progress_bar=False,
            log_output=False, request_save_on_cell_execute=False, km=km,
            iopub_timeout=IOPUB_SECONDS)
    except Exception as exc:
        if reuse_kernel and type(exc).__name__ != "PapermillExecutionError":
            shutdown_kernel()  # the kernel may be dead or stuck: the next page starts anew
        raise
    finally:
        if not reuse_kernel:
            _pids.pop(threading.get_ident(), None)  # as in shutdown_kernel
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
    _finish_page(Path(output), title)
    return time.perf_counter() - start
