"""From parameter sets to a published book.

``book/pages.yml`` lists the pages of the book in order. A page is either a Markdown
file of ``book/`` or a notebook template run with one set of parameters; one template
can serve several pages (a main analysis and its sensitivity analyses). ``build``:

1. finds the pages whose cache key changed (template without outputs, parameters,
   bytes of the data files the page read, ``analysis`` source, dependency lock) and,
   if there are any, starts the worker processes warming their kernels;
2. meanwhile checks every parameter set against its notebook's ``parameters`` cell and
   validates the data package (stops with ``file:row:column`` messages);
3. lays out the book source, stamps the edition (version, commit, data fingerprint,
   synthetic-data banner) into the configuration, puts stand-ins where pages are still
   to come, and starts ``jupyter-book build`` (warnings are errors,
   :class:`BookProcess`), which reads each of those pages only once it is final;
4. executes the pages with papermill, in parallel, placing each executed notebook in
   the source as soon as it is done;
5. adds the Provenance page to the source and lets the book build finish;
6. only when all of that succeeded, replaces ``_build/html`` with the new book, writes
   ``manifest.json`` beside it and keeps the source as ``_build/source``. A failed
   build leaves the last good book as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from analysis import __version__, paths
from analysis.engine.book_hooks import GO, HOLD_ENV, PENDING_ENV, READY
from analysis.contract.errors import InputError
from analysis.contract.files import file_hashes
from analysis.engine import lock as build_lock
from analysis.engine.lifetime import die_with_parent, end_workers
from analysis.engine.pages_file import read_entries
from analysis.engine.parameters import check_values, notebook_defaults
from analysis.paths import TABLE_LOG_ENV, TABLES_DIR_ENV, VALIDATED_PACKAGE_ENV
from analysis.engine.provenance import (GENERATED_PAGES, code_hash, data_provenance, edition,
                                 package_versions)

# Nothing imported above loads pandas: the build plans its pages and starts the kernels
# first, and imports the data-package reader (pandas) only while they warm up.

BUILD_COMMAND = ["-W", "-n", "--keep-going"]
EMPTY_NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
LOWER_PRIORITY = 10  # niceness of a jupyter-book build started ahead (BookProcess)


class BuildError(Exception):
    """A build stopped; the message says why and what to do."""


@dataclass(frozen=True)
class PageSpec:
    """One page of the book: a Markdown file or a notebook run with parameters."""

    name: str
    part: str
    notebook: str | None = None
    title: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> Path | None:
        return paths.NOTEBOOKS / f"{self.notebook}.ipynb" if self.notebook else None


def load_pages(path: Path = paths.PAGES) -> list[PageSpec]:
    """Read the parameter sets; the first page is the book's landing page."""
    pages = [PageSpec(name=entry["page"], part=caption, notebook=entry.get("notebook"),
                      title=entry.get("title"), parameters=dict(entry.get("parameters") or {}))
             for caption, entry in read_entries(path, paths.NOTEBOOKS)]
    names = [p.name for p in pages]
    unusable = [n for n in names if not re.fullmatch(r"[A-Za-z0-9_-]+", str(n))]
    if unusable:
        # A page name is a file name in the book and a word on the book build's input.
        raise InputError(f"{path}: page names may use only letters, digits, '_' and '-'; "
                         f"rename: {', '.join(map(repr, unusable))}")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{path}: page names must be unique; repeated: {', '.join(duplicated)}")
    return pages


def check_parameters(pages: list[PageSpec], build_root: Path | None = None) -> list[str]:
    """Every parameter set against its notebook's ``parameters`` cell.

    papermill only warns about a parameter the notebook does not declare; a typo would
    then silently leave the default in force, so here it is an error.
    """
    problems = []
    for page in pages:
        if page.notebook is None:
            if page.name not in GENERATED_PAGES and not (paths.BOOK / f"{page.name}.md").exists():
                problems.append(f"pages.yml: page '{page.name}' has no notebook and "
                                f"book/{page.name}.md does not exist")
            continue
        if not page.template.exists():
            problems.append(f"pages.yml: page '{page.name}': notebook "
                            f"book/notebooks/{page.notebook}.ipynb does not exist")
            continue
        declared = declared_parameters(page.template, build_root)
        if "data_dir" not in declared:
            problems.append(f"book/notebooks/{page.notebook}.ipynb: its parameters cell "
                            "must declare data_dir")
        problems += check_values(page.name, page.notebook, page.parameters,
                                 notebook_defaults(page.template))
        for name in page.parameters:
            if name not in declared:
                problems.append(
                    f"pages.yml: page '{page.name}': parameter '{name}' is not in the "
                    f"parameters cell of book/notebooks/{page.notebook}.ipynb; it takes: "
                    f"{', '.join(sorted(declared))}")
    return problems


# ------------------------------------------------------------------------ the cache


def declared_parameters(template: Path, build_root: Path | None = None) -> list[str]:
    """Names assigned in a notebook's ``parameters`` cell.

    The names papermill would report (:func:`papermill.inspect_notebook`; a test checks
    that both agree on every template), read with :mod:`ast` rather than by importing
    papermill in the main process, where that import costs more than half a second of
    processor time while the kernels start. Remembered by the notebook's source hash.
    """
    import ast

    store = paths.executed_dir(build_root) / "declared-parameters.json"
    key = f"{template.name}:{template_hash(template)}"
    known = json.loads(store.read_text()) if store.exists() else {}
    if key not in known:
        cells = json.loads(template.read_text(encoding="utf-8")).get("cells", [])
        source = "".join(next((
            "".join(cell.get("source", [])) for cell in cells
            if "parameters" in cell.get("metadata", {}).get("tags", [])), ""))
        try:
            body = ast.parse(source).body
        except SyntaxError as error:
            raise BuildError(f"book/notebooks/{template.name}: the parameters cell is not "
                             f"valid Python (line {error.lineno}: {error.msg})") from None
        names = set()
        for statement in body:
            targets = (statement.targets if isinstance(statement, ast.Assign)
                       else [statement.target] if isinstance(statement, ast.AnnAssign) else [])
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        known[key] = sorted(names)
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_text(json.dumps(known, indent=1))
    return known[key]


def template_hash(template: Path) -> str:
    """SHA-256 of a notebook's sources only: outputs and metadata do not count."""
    nb = json.loads(template.read_text(encoding="utf-8"))
    cells = [(c["cell_type"], "".join(c.get("source", [])), sorted(c.get("metadata", {})
                                                                   .get("tags", [])))
             for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def key_parts(page: PageSpec, data_hashes: dict[str, str], code: str,
              reads: list[str] | None = None) -> dict[str, Any]:
    """What a page's executed notebook depends on, part by part.

    ``reads`` names the data files the page read when it last ran (None: all of them);
    ``datapackage.json`` always counts, since it declares the tables.
    """
    data = {name: sha for name, sha in data_hashes.items()
            if reads is None or name in reads or name == paths.DATAPACKAGE_NAME}
    return {
        "template": template_hash(page.template),
        "parameters": hashlib.sha256(json.dumps({"title": page.title, **page.parameters},
                                                sort_keys=True).encode()).hexdigest(),
        "data": data,
        "code": code,
    }


def tables_read(log: Path) -> list[str]:
    """Data files a notebook read, from the table log its kernel wrote."""
    if not log.exists():
        return []
    names = {line.strip() for line in log.read_text(encoding="utf-8").splitlines() if line.strip()}
    return sorted(f"{name}.csv" for name in names)


def why_changed(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """A short reason for re-executing a page, naming what changed."""
    if old is None:
        return "not executed before"
    reasons = []
    if old.get("template") != new["template"]:
        reasons.append("notebook changed")
    if old.get("parameters") != new["parameters"]:
        reasons.append("parameters changed")
    old_data, new_data = old.get("data", {}), new["data"]
    changed = sorted(f for f in set(old_data) | set(new_data) if old_data.get(f) != new_data.get(f))
    if changed:
        reasons.append("data changed: " + ", ".join(changed))
    if old.get("code") != new["code"]:
        reasons.append("analysis code or dependencies changed")
    return "; ".join(reasons) or "forced"


# ------------------------------------------------------------------- execution


@dataclass
class PageResult:
    """How one page was produced in this build."""

    name: str
    status: str  # "executed", "reused" or "markdown"
    reason: str = ""
    seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    notebook: str | None = None


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
    for cell in nb.cells if title else []:
        if cell.cell_type == "markdown" and re.search(r"^# ", cell.source, flags=re.M):
            cell.source = re.sub(r"^# .*$", f"# {title}", cell.source, count=1, flags=re.M)
            break
    nbformat.write(nb, str(nb_path))


# Run first in a reused kernel: forget the previous page (its names, outputs, figures
# and the warnings already shown), point the table log and exports at this page, and
# (once per kernel) stop empty flushes from waiting (analysis.engine.kernel).
# Not IPython's %reset: that runs the garbage collector twice, a quarter of a second
# per page once pandas, scipy and matplotlib are loaded, to free memory nobody waits for.
PRELUDE = """\
def _cen_book_new_page(env):
    import os, warnings
    import matplotlib.pyplot as plt
    from analysis.engine.kernel import skip_empty_flushes
    skip_empty_flushes()
    shell = get_ipython()
    shell.history_manager.output_hist.clear()
    keep = set(shell.user_ns_hidden) | {{"__builtin__", "__builtins__", "__name__"}}
    for name in [name for name in shell.user_ns if name not in keep]:
        del shell.user_ns[name]
    plt.close("all")
    with warnings.catch_warnings():  # leaving it resets the once-only warning registries
        pass
    os.environ.update(env)
_cen_book_new_page({env})
"""
PRELUDE_TAG = "cen-book-prelude"

_worker_kernel = None  # one kernel per worker process when kernels are reused


def _new_kernel_manager():
    """A kernel manager whose client is connected, and waited for, once per kernel.

    nbclient asks the manager for a new client for every notebook. A new client waits
    until the kernel answers and then until its output channel has been quiet for
    0.2 s: a fifth of a second of idle core per page. One kernel serves one worker's
    pages in turn, so one client, ready once, serves them all. A stale message left
    from the previous page is harmless: nbclient reads only the replies to its own
    requests. Shutting the kernel down (after a failure) closes the client with it.
    """
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    class ReadyOnceClient(AsyncKernelClient):
        ready = False

        def start_channels(self, *args, **kwargs) -> None:
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self.ready:
                await super().wait_for_ready(timeout=timeout)
                self.ready = True

    class ReusedClientKernelManager(AsyncKernelManager):
        reused_client = None

        def client(self, **kwargs):
            if self.reused_client is None:
                self.reused_client = super().client(**kwargs)
            return self.reused_client

        def drop_client(self) -> None:
            if self.reused_client is not None:
                self.reused_client.stop_channels()
                self.reused_client = None

        async def shutdown_kernel(self, *args, **kwargs) -> None:
            self.drop_client()
            await super().shutdown_kernel(*args, **kwargs)

    return ReusedClientKernelManager(kernel_name="python3", client_factory=ReadyOnceClient)


def _kernel_manager():
    """This worker's kernel manager, created on first use and shut down at exit."""
    global _worker_kernel
    if _worker_kernel is None:
        from multiprocessing.util import Finalize

        _worker_kernel = _new_kernel_manager()
        # Worker processes leave through os._exit: atexit never runs, Finalize does.
        Finalize(_worker_kernel, _shutdown_kernel, exitpriority=10)
    return _worker_kernel


def _shutdown_kernel() -> None:
    global _worker_kernel
    km, _worker_kernel = _worker_kernel, None
    if km is not None and km.has_kernel:
        from jupyter_core.utils import run_sync

        run_sync(km.shutdown_kernel)(now=True)


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
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(imports)])
    try:
        NotebookClient(nb, km=_kernel_manager(), kernel_name="python3").execute()
    except Exception:
        _shutdown_kernel()
        return False
    return True


def page_imports(pages: list[PageSpec]) -> str:
    """The import lines of the pages' notebooks, for :func:`warm_up`."""
    lines = {"import matplotlib.pyplot"}
    for template in {page.template for page in pages if page.notebook}:
        for cell in json.loads(template.read_text(encoding="utf-8")).get("cells", []):
            if cell.get("cell_type") == "code":
                source = "".join(cell.get("source", []))
                lines.update(re.findall(r"^(?:from \S+ )?import [^\n(]+$", source, flags=re.M))
    return "\n".join(sorted(lines))


def execute_page(template: str, output: str, parameters: dict[str, Any],
                 title: str | None, table_log: str, tables_dir: str,
                 reuse_kernel: bool = True) -> float:
    """Run one notebook with papermill; returns the seconds it took.

    Runs in a worker process. With ``reuse_kernel`` the worker keeps one kernel for
    all its pages: starting a kernel and importing pandas, matplotlib and statsmodels
    costs each page seconds, while the prelude cell (removed from the executed
    notebook) gives every page a clean namespace. Without it every page gets a fresh
    kernel, shut down immediately after the last cell (a graceful shutdown sometimes
    stalls for seconds).
    """
    import nbformat
    import papermill

    # The kernel inherits this worker's stderr; its start-up chatter goes to a log
    # beside the executed notebook instead of the user's terminal.
    with open(Path(output).with_suffix(".log"), "w") as log:
        os.dup2(log.fileno(), 2)
    env = {TABLE_LOG_ENV: table_log, TABLES_DIR_ENV: tables_dir,
           VALIDATED_PACKAGE_ENV: str(Path(table_log).with_name("package.pickle"))}
    os.environ.update(env)  # inherited by a kernel started from here
    nb = nbformat.read(template, as_version=4)
    options: dict[str, Any] = {"shutdown_kernel": "immediate"}
    if reuse_kernel:
        prelude = nbformat.v4.new_code_cell(PRELUDE.format(env=repr(env)))
        prelude.metadata["tags"] = ["remove-cell", PRELUDE_TAG]
        nb.cells.insert(0, prelude)
        options = {"km": _kernel_manager()}
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


def _failure_message(page: PageSpec, exc: BaseException, artefact: Path) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    lines = [f"page '{page.name}' (book/notebooks/{page.notebook}.ipynb) failed: {ename}: {evalue}"]
    if artefact.exists():
        lines.append(f"  the executed notebook, with the failing cell, is at {artefact}")
    return "\n".join(lines)


# ----------------------------------------------------------------------- the book


def toc(pages: list[PageSpec]) -> dict[str, Any]:
    """The Jupyter Book table of contents, in the order of pages.yml."""
    parts: list[dict[str, Any]] = []
    for page in pages[1:]:
        if not parts or parts[-1]["caption"] != page.part:
            parts.append({"caption": page.part, "chapters": []})
        parts[-1]["chapters"].append({"file": page.name})
    return {"format": "jb-book", "root": pages[0].name, "parts": parts}


def book_config(stamp) -> dict[str, Any]:
    """``_config.yml`` with the edition stamped into every page."""
    config = yaml.safe_load(paths.CONFIG.read_text(encoding="utf-8"))
    # Inert in a plain jupyter-book build; see BookProcess.
    sphinx = config.setdefault("sphinx", {})
    sphinx.setdefault("extra_extensions", []).append("analysis.engine.book_hooks")
    # Jupyter Book maps these two html keys to theme options on every page.
    html = config.setdefault("html", {})
    html["extra_footer"] = f'<p class="edition-stamp">{stamp.footer()}</p>'
    if stamp.synthetic:
        html["announcement"] = (
            "Synthetic data: every number in this edition is computed from invented rows "
            "calibrated to published figures, not from the studies' real data.")
    return config


def _jupyter_book() -> list[str]:
    local = Path(sys.executable).parent / "jupyter-book"
    return [str(local)] if local.exists() else ["jupyter-book"]


def _sphinx_problems(log: str) -> list[str]:
    """The lines of a Sphinx log that say what went wrong (colour codes removed)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in log.splitlines()]
    found = []
    for i, line in enumerate(lines):
        if "WARNING" in line or "ERROR" in line:
            found.append(line)
        elif line.startswith("Sphinx error") and i + 1 < len(lines):
            found.append(f"{line} {lines[i + 1]}")
    return found


@dataclass
class BuildResult:
    """What a build produced (``book_rebuilt`` is False when nothing had changed)."""

    html: Path
    manifest: Path
    pages: list[PageResult]
    seconds: float
    book_rebuilt: bool = True


def _plan(pages: list[PageSpec], executed_dir: Path, data_hashes: dict[str, str], code: str,
          force: bool) -> tuple[dict[str, PageResult], list]:
    """Which pages can reuse their executed notebook and which must run, and why."""
    results: dict[str, PageResult] = {}
    pending = []
    for page in pages:
        if page.notebook is None:
            results[page.name] = PageResult(page.name, "markdown")
            continue
        if not page.template.exists():  # check_parameters says so before anything runs
            pending.append((page, "notebook missing"))
            continue
        key_file = executed_dir / f"{page.name}.key.json"
        stored = json.loads(key_file.read_text()) if key_file.exists() else {}
        old, reads = stored.get("parts"), stored.get("reads")
        parts = key_parts(page, data_hashes, code, reads)
        if not force and old == parts and (executed_dir / f"{page.name}.ipynb").exists():
            results[page.name] = PageResult(page.name, "reused", stored.get("reason", ""),
                                            stored.get("seconds", 0.0), page.parameters,
                                            page.notebook)
        else:
            reason = "forced" if force and old == parts else why_changed(old, parts)
            pending.append((page, reason))
    return results, pending


@dataclass(frozen=True)
class BookSource:
    """The folder Jupyter Book builds: the pages in ``book/``, ``_config.yml`` beside it.

    A successful build keeps it as ``_build/source``: the exact source of the
    published book, which ``jupyter-book build`` alone rebuilds (the benchmark does).
    """

    folder: Path

    @property
    def pages(self) -> Path:
        return self.folder / "book"

    @property
    def config(self) -> Path:
        return self.folder / "_config.yml"

    def command(self, output: Path) -> list[str]:
        """The ``jupyter-book build`` command that writes ``output/_build/html``."""
        return _jupyter_book() + ["build", str(self.pages), "--config", str(self.config),
                                  "--toc", str(self.pages / "_toc.yml"), "--path-output",
                                  str(output), *BUILD_COMMAND]


def _lay_out_source(pages: list[PageSpec], source: BookSource, stamp) -> None:
    """What the book source needs before any notebook has run: the Markdown pages and
    bibliography of ``book/``, the table of contents and the stamped configuration."""
    shutil.rmtree(source.folder, ignore_errors=True)
    source.pages.mkdir(parents=True)
    for item in paths.BOOK.iterdir():
        if item.suffix in (".md", ".bib") or item.name == "_static":
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, source.pages / item.name)
    (source.pages / "_toc.yml").write_text(yaml.safe_dump(toc(pages), sort_keys=False))
    source.config.write_text(yaml.safe_dump(book_config(stamp), sort_keys=False))


def _place_notebook(name: str, executed_dir: Path, source: BookSource) -> None:
    """Put a page's executed notebook into the source in one step.

    A build started ahead may open the file at any moment: it must find either the
    stand-in or the whole notebook, never half of one.
    """
    target = source.pages / f"{name}.ipynb"
    partial = target.with_name(f".{target.name}.partial")
    shutil.copy2(executed_dir / f"{name}.ipynb", partial)
    partial.replace(target)


def _write_stand_ins(source: BookSource, names: list[str], pages: list[PageSpec]) -> None:
    """Files for the pages still to come, so that the build started ahead finds them.

    Sphinx lists a book's pages from its files before it reads any; the build waits
    for each of these to be final before reading it (:mod:`analysis.engine.book_hooks`).
    """
    notebooks = {page.name for page in pages if page.notebook}
    for name in names:
        if name in notebooks:
            (source.pages / f"{name}.ipynb").write_text(EMPTY_NOTEBOOK, encoding="utf-8")
        else:
            (source.pages / f"{name}.md").write_text("", encoding="utf-8")


def _complete_source(pages: list[PageSpec], executed_dir: Path, source: BookSource,
                     generated: dict[str, str]) -> None:
    """Add the executed notebooks and the generated pages (Provenance) to the source."""
    for page in pages:
        if page.notebook:
            _place_notebook(page.name, executed_dir, source)
    for name, text in generated.items():
        partial = source.pages / f".{name}.md.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(source.pages / f"{name}.md")


def tree_hash(folder: Path) -> str:
    """SHA-256 over the relative paths and bytes of every file below ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class BookProcess:
    """One ``jupyter-book build`` of a :class:`BookSource`, driven through
    :mod:`analysis.engine.book_hooks`.

    Started ``ahead``, while the notebooks still execute, with the ``pending`` pages
    (stand-in files in the source, in the order they are expected), Jupyter Book's
    start-up overlaps the notebooks, and it reads each pending page once :meth:`ready`
    says its file is final. It then runs at a lower priority, so that it takes only the
    processor time the notebooks leave. :meth:`release` says that the whole source is
    final. :meth:`close` ends a build that is not wanted (a page failed) and removes
    what it wrote but the published book.
    """

    def __init__(self, source: BookSource, output: Path, log_file: Path, ahead: bool = False,
                 pending: Sequence[str] = ()):
        self.source = source
        self.output = output
        self.log_file = log_file
        self.held = True
        shutil.rmtree(output, ignore_errors=True)
        with open(log_file, "w") as log:
            self.process = subprocess.Popen(
                source.command(output), stdin=subprocess.PIPE, stdout=log,
                stderr=subprocess.STDOUT, text=True,
                env={**os.environ, "PYTHONWARNINGS": "ignore", HOLD_ENV: "1",
                     PENDING_ENV: " ".join(pending)})
        if ahead:
            # Set from here, not in the child before it starts: the worker threads of
            # this process make a function run between fork and exec unsafe.
            os.setpriority(os.PRIO_PROCESS, self.process.pid, LOWER_PRIORITY)
        else:
            self.release()

    def _say(self, line: str) -> None:
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # the build has stopped reading (ended, or failed): finish() reports it

    def ready(self, page: str) -> None:
        """Let the build read ``page``: its file in the source is final."""
        if self.held:
            self._say(f"{READY} {page}")

    def release(self) -> None:
        """Let the build read every page and write the book: the source is final."""
        if self.held:
            self._say(GO)
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
            self.held = False
            self.released_at = time.perf_counter()

    def close(self) -> None:
        """End the build if it is still running; remove its output but the published book."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if not self.process.stdin.closed:
            # Lines said to a build that had already stopped may still wait in the
            # buffer; closing tries to send them again.
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        shutil.rmtree(self.output, ignore_errors=True)

    def finish(self, untouched: str) -> Path:
        """Release the build, wait for it and return its HTML folder.

        Raises
        ------
        BuildError
            Jupyter Book failed or warned; the message quotes the warnings and errors.
        """
        self.release()
        returncode = self.process.wait()
        log = self.log_file.read_text()
        html = self.output / "_build" / "html"
        if returncode != 0 or not (html / "index.html").exists():
            # Pages are named as the book names them (intro.md, quality.ipynb): the
            # staging folder in the log is gone once the build has stopped.
            shown = "\n".join(f"  {line.replace(f'{self.source.pages}{os.sep}', '')}"
                               for line in _sphinx_problems(log)[:30])
            raise BuildError(f"jupyter-book build failed:\n{shown}\n  full log: {self.log_file}\n"
                             f"{untouched}")
        return html

    @property
    def seconds_after_release(self) -> float:
        return time.perf_counter() - self.released_at


def build(data_dir: str | Path | None = None, jobs: int = 2, force: bool = False,
          build_root: Path | None = None, pages_file: Path = paths.PAGES,
          say: Callable[[str], None] = print, reuse_kernels: bool = True) -> BuildResult:
    """Execute the notebooks and build the book.

    Parameters
    ----------
    data_dir : str or Path, optional
        Data package to build on; the bundled synthetic data by default.
    jobs : int
        Notebooks executed at once (two suit a 2-core machine).
    force : bool
        Re-execute every notebook and rebuild the book even when nothing changed.
    build_root : Path, optional
        Folder that receives ``_build`` (the project root by default; tests use a
        temporary one).
    pages_file : Path
        The parameter sets.
    say : callable
        Where progress lines go.
    reuse_kernels : bool
        Each worker keeps one kernel for its pages (see :func:`execute_page`); False
        gives every page a kernel of its own.

    Raises
    ------
    DataPackageError
        The data package does not meet the contract.
    BuildError
        A parameter set, a notebook or the book build failed. In every failure the
        previously published book is left untouched.
    """
    started = time.perf_counter()
    _compile_analysis()
    data_dir = paths.resolve_data_dir(data_dir)
    build_dir = paths.build_dir(build_root)
    html_dir = paths.html_dir(build_root)
    untouched = (f"The last good book ({html_dir / 'index.html'}) is untouched."
                 if html_dir.exists() else "No book was published.")

    executed_dir = paths.executed_dir(build_root)
    executed_dir.mkdir(parents=True, exist_ok=True)
    data_hashes = file_hashes(data_dir)
    code = code_hash()
    pages = load_pages(pages_file)
    problems = check_parameters(pages, build_root)  # before any worker or kernel starts
    if problems:
        raise InputError("\n".join(problems) + f"\n{untouched}")
    results, pending = _plan(pages, executed_dir, data_hashes, code, force)
    source = BookSource(build_dir / ".staging")
    book = None  # the jupyter-book build, started ahead when notebooks run

    lock = build_lock.hold(build_dir)  # one build at a time; stops naming the one running
    try:
        with _workers(pending, jobs, reuse_kernels, executed_dir) as pool:
            # Validation is a function of the data's bytes and the code: an unchanged
            # pair that passed before passes again, so a no-op rebuild skips it.
            from analysis.contract.validation import load_package, save_validated

            validated = {"data_dir": str(data_dir), "files": data_hashes, "code": code}
            validated_file = executed_dir / "validated.json"
            package = None
            if not (validated_file.exists()
                    and json.loads(validated_file.read_text()) == validated):
                package = load_package(data_dir)  # raises DataPackageError with every problem
                validated_file.write_text(json.dumps(validated))
            descriptor = json.loads((data_dir / paths.DATAPACKAGE_NAME).read_text("utf-8"))
            synthetic = bool(descriptor.get("synthetic", False))
            say(f"data: {data_dir} is valid{' (synthetic)' if synthetic else ''}")
            for name, result in results.items():
                if result.status == "reused":
                    say(f"  reused    {name}")
            stamp = edition(data_dir, synthetic)
            _lay_out_source(pages, source, stamp)
            if pending:
                # The book build starts now, on the pages already executed and stand-ins
                # for the rest, and reads them in the order they are handed to the
                # workers, each as soon as it is placed.
                coming = [page.name for page, _ in pending] + [
                    page.name for page in pages if page.name in GENERATED_PAGES]
                for page in pages:
                    if page.notebook and page.name not in coming:
                        _place_notebook(page.name, executed_dir, source)
                _write_stand_ins(source, coming, pages)
                book = BookProcess(source, build_dir / ".jupyter-book",
                                   build_dir / "jupyter-book.log", ahead=True, pending=coming)

                def place(name: str) -> None:
                    _place_notebook(name, executed_dir, source)
                    book.ready(name)

                save_validated(package or load_package(data_dir), executed_dir / "package.pickle")
                _execute(pool, pending, data_dir, executed_dir, results, say, untouched,
                         data_hashes, code, reuse_kernels, on_executed=place)

        record = {
            "book": "CEN evidence-synthesis book",
            "version": __version__,
            "edition": stamp.as_dict(),
            "data": {**data_provenance(data_dir), "synthetic": synthetic},
            "packages": package_versions(),
            "code_sha256": code,
            "pages": [asdict(results[p.name]) for p in pages],
            "releases": _releases(),
        }
        generated = {name: render(record) for name, render in GENERATED_PAGES.items()
                     if name in {p.name for p in pages}}
        _complete_source(pages, executed_dir, source, generated)
        source_sha = tree_hash(source.folder)

        previous = _read_manifest(html_dir)
        if (not force and not pending and previous.get("book_source_sha256") == source_sha
                and not build_lock.disagreements(html_dir, previous)):
            seconds = time.perf_counter() - started
            say(f"book: unchanged, {html_dir / 'index.html'} ({seconds:.1f} s)")
            return BuildResult(html_dir, html_dir / "manifest.json",
                               [results[p.name] for p in pages], seconds, book_rebuilt=False)

        say("book: jupyter-book build (warnings are errors)")
        if book is None:
            book = BookProcess(source, build_dir / ".jupyter-book", build_dir / "jupyter-book.log")
        new_html = book.finish(untouched)
        tables = _copy_tables(pages, executed_dir, new_html / "tables")
        manifest = {
            **record,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "book_source_sha256": source_sha,
            # From the moment the source was complete: Jupyter Book's start-up may
            # have overlapped the notebooks.
            "jupyter_book_seconds": round(book.seconds_after_release, 2),
            "build_seconds": round(time.perf_counter() - started, 2),
            "tables": tables,
        }
        (new_html / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if build_lock.disagreements(new_html, manifest):  # never publish a book that does
            raise BuildError("the new book disagrees with its manifest: " + "; ".join(
                build_lock.disagreements(new_html, manifest)) + f"\n{untouched}")
        _publish(new_html, html_dir)
        _keep_source(source, paths.book_source_dir(build_root))
    finally:
        if book is not None:
            book.close()
        shutil.rmtree(source.folder, ignore_errors=True)
        lock.release()
    seconds = time.perf_counter() - started
    say(f"book: {html_dir / 'index.html'} ({seconds:.1f} s)")
    return BuildResult(html_dir, html_dir / "manifest.json", [results[p.name] for p in pages],
                       seconds)


def _compile_analysis() -> None:
    """Bring the bytecode of ``analysis`` up to date before any kernel imports it.

    Every kernel imports ``analysis``; where Python may not write bytecode itself
    (``PYTHONDONTWRITEBYTECODE``, as on the project's build machines), each would
    compile the package's source again, about half a second of processor time per
    kernel. Installed packages come compiled by pip; this does the same for the one
    package installed in editable mode. Only changed modules are compiled; a folder
    that cannot be written is left as it is.
    """
    import compileall

    compileall.compile_dir(paths.PACKAGE, quiet=2)


def _releases() -> list:
    from analysis.engine.editions import list_releases  # reads tables with pandas

    return list_releases()


def _keep_source(source: BookSource, kept: Path) -> None:
    """Keep the source of the published book as ``_build/source``."""
    shutil.rmtree(kept, ignore_errors=True)
    source.folder.rename(kept)


def _read_manifest(html_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((html_dir / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _copy_tables(pages: list[PageSpec], executed_dir: Path, target: Path) -> list[str]:
    """Publish every table a page showed as CSV under ``tables/<page>/``."""
    written = []
    for page in pages:
        folder = executed_dir / f"{page.name}.tables"
        if page.notebook and folder.is_dir():
            shutil.copytree(folder, target / page.name)
            written += [f"{page.name}/{p.name}" for p in sorted(folder.glob("*.csv"))]
    return written


@contextmanager
def _workers(pending, jobs: int, reuse_kernels: bool, executed_dir: Path):
    """The worker processes for the pending pages (None when there are none).

    With reused kernels every worker starts warming its kernel at once (see
    :func:`warm_up`). If the build stops (invalid data, a signal), the workers are
    ended at once with their kernels (:func:`analysis.engine.lifetime.end_workers`).
    """
    if not pending:
        yield None
        return
    workers = max(1, min(jobs, len(pending)))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=die_with_parent)
    if reuse_kernels:
        imports = page_imports([page for page, _ in pending])
        for i in range(workers):
            pool.submit(warm_up, imports, str(executed_dir / f"kernel-{i + 1}.log"))
    try:
        yield pool
    except BaseException:
        end_workers(pool)  # running pages too, with their kernels
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _execute(pool, pending, data_dir: Path, executed_dir: Path,
             results: dict[str, PageResult], say, untouched: str,
             data_hashes: dict[str, str], code: str, reuse_kernels: bool = True,
             on_executed: Callable[[str], None] | None = None) -> None:
    """Execute pages in the worker processes; any failure stops the build.

    ``on_executed`` is called with the name of each page as soon as its executed
    notebook is in place, until a page fails (the build then stops).
    """
    failures = []
    futures = {}
    for page, reason in pending:
        out = executed_dir / f"{page.name}.run.ipynb"
        params = {**page.parameters, "data_dir": _portable(data_dir)}
        log = executed_dir / f"{page.name}.reads"
        log.unlink(missing_ok=True)
        tables = executed_dir / f"{page.name}.run.tables"
        shutil.rmtree(tables, ignore_errors=True)
        futures[pool.submit(execute_page, str(page.template), str(out), params,
                            page.title, str(log), str(tables), reuse_kernels)] = (
            page, reason, out, tables)
    for future in as_completed(futures):  # each page reported as soon as it is done
        page, reason, out, tables = futures[future]
        try:
            seconds = future.result()
        except Exception as exc:  # papermill re-raises the cell's error
            failures.append(_failure_message(page, exc, out))
            continue
        out.replace(executed_dir / f"{page.name}.ipynb")
        final_tables = executed_dir / f"{page.name}.tables"
        shutil.rmtree(final_tables, ignore_errors=True)
        if tables.exists():
            tables.rename(final_tables)
        reads = tables_read(executed_dir / f"{page.name}.reads")
        stored = {"parts": key_parts(page, data_hashes, code, reads), "reads": reads,
                  "reason": reason, "seconds": round(seconds, 2),
                  "executed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        (executed_dir / f"{page.name}.key.json").write_text(json.dumps(stored, indent=1))
        results[page.name] = PageResult(page.name, "executed", reason, round(seconds, 2),
                                        page.parameters, page.notebook)
        say(f"  executed  {page.name} ({seconds:.1f} s; {reason})")
        if on_executed is not None and not failures:
            on_executed(page.name)
    if failures:
        raise BuildError("\n".join(failures) + f"\n{untouched}")


def _portable(data_dir: Path) -> str:
    """The data folder as the notebook should record it: relative to the project when
    inside it, so executed notebooks carry no machine-specific paths."""
    try:
        return str(data_dir.relative_to(paths.ROOT))
    except ValueError:
        return str(data_dir)


def _publish(new_html: Path, html_dir: Path) -> None:
    """Swap the new book into place; the old one is removed only after the swap."""
    html_dir.parent.mkdir(parents=True, exist_ok=True)
    old = html_dir.with_name("html.previous")
    shutil.rmtree(old, ignore_errors=True)
    if html_dir.exists():
        html_dir.rename(old)
    shutil.move(str(new_html), str(html_dir))
    shutil.rmtree(old, ignore_errors=True)
