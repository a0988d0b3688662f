"""The layers of ``analysis/`` import in one direction only, no module imports itself
back through others, the results of the statistics hold no sentences and write no file,
and only the build's plan (``analysis/plan.py``) reads the environment.

Read from the source with ``ast`` (every import, also those inside functions), so the
rule holds for what a module may load at any time, not only at import.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from analysis import paths

# What each layer may import (besides itself). The base is the package's __init__,
# paths and plan (the build's plan, which the contract, the chapters and the engine
# read); the command line (__main__) may import every layer. compute runs statistics at
# scale (a Dask cluster, chunks, the multiverse's streamed tables and cache): it sits
# above stats, and a page may use it; the build engine does not. pages (analysis/pages:
# the pages file, the Page type, which pages a package fills) is book logic above the
# contract, which the chapters, the engine and the command line share; the contract
# knows no page (its validation is told which pages need a table), and an import
# validates the package it wrote as the command line does.
ALLOWED = {
    "base": set(),
    "contract": {"base"},
    "pages": {"base", "contract"},
    "stats": {"base", "contract"},
    "compute": {"base", "contract", "stats"},
    "plots": {"base", "contract", "stats"},
    "chapters": {"base", "contract", "pages", "stats", "compute", "plots"},
    "synth": {"base", "contract", "stats"},
    "engine": {"base", "contract", "pages"},
    "importers": {"base", "contract", "pages"},
    "cli": {"base", "contract", "pages", "stats", "compute", "plots", "chapters", "synth",
            "engine", "importers"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(paths.ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(paths.PACKAGE.rglob("*.py"))
           if "__pycache__" not in p.parts}


def layer(module: str) -> str:
    parts = module.split(".")
    if module in ("analysis", "analysis.paths", "analysis.plan", "analysis.cache"):
        return "base"
    if module == "analysis.__main__":
        return "cli"
    if module == "analysis.synth":
        return "synth"
    return parts[1]


def imports(module: str) -> set[str]:
    """Every module of the project that ``module`` imports, by its full name."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] in ("analysis", "benchmarks"):
                # "from analysis.stats import quality" names a module; "from
                # analysis.plots import PALETTE" names something inside one.
                while name not in MODULES and "." in name:
                    name = name.rsplit(".", 1)[0]
                found.add(name)
    found.discard(module)
    return found


# Calls that write, move or delete files. The statistics are pure: what reaches a disk
# (caches, exported tables, figures) is written by compute, chapters or the engine.
FILE_WRITES = {"to_csv", "to_parquet", "to_excel", "to_json", "to_feather", "to_pickle",
               "to_hdf", "to_sql", "to_stata", "write_text", "write_bytes", "mkdir",
               "makedirs", "touch", "unlink", "rmdir", "rmtree", "savefig", "savetxt",
               "savez", "write_table", "ParquetWriter", "copyfile", "copy2", "copytree"}
# (rename, remove and replace are left out: a DataFrame, a list and a str have them too.)


def _writes(call: ast.Call) -> str | None:
    """What a call writes, or None: a file-writing method or function, or open() in a
    mode that writes."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name in FILE_WRITES:
        # DataFrame.to_csv() with no path returns text; with one it writes a file.
        if name in {"to_csv", "to_json"} and not call.args and not any(
                k.arg in ("path_or_buf", "path") for k in call.keywords):
            return None
        return name
    if name == "open":
        modes = [a for a in call.args[1:2]] + [k.value for k in call.keywords if k.arg == "mode"]
        if any(not isinstance(m, ast.Constant) or set(str(m.value)) & set("wax+")
               for m in modes):
            return "open(..., 'w')"
    return None


def test_the_statistics_write_no_file():
    found = []
    for module in (m for m in MODULES if layer(m) == "stats"):
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _writes(node):
                found.append(f"{module}:{node.lineno}: {_writes(node)}")
    assert not found, ("file writes in analysis/stats (pure functions; write in "
                       "analysis/compute or the chapters):\n" + "\n".join(found))


def test_the_file_write_rule_catches_what_it_names():
    calls = {"open(p, 'w')": True, "open(p)": False, "open(p, mode='a')": True,
             "open(p, 'rb')": False, "frame.to_csv(path)": True, "frame.to_csv()": False,
             "frame.to_parquet(p)": True, "path.mkdir(parents=True)": True,
             "text.replace('a', 'b')": False, "pq.ParquetWriter(p, s)": True,
             "frame.rename(columns=str)": False}
    for text, writes in calls.items():
        assert bool(_writes(ast.parse(text).body[0].value)) == writes, text


# The build reaches its workers, kernels and book build through one plan file, which
# they find through one environment variable read in one module (analysis.plan); no other
# module reads or sets the environment, but for these reasons:
ENVIRONMENT_READERS = {
    "analysis.plan": "the one reader of the build's plan (CEN_BOOK_PLAN), which also "
                     "hands the environment to the processes the build starts",
    "analysis.contract.reading": "the largest file a user lets a package hold "
                                 "(CEN_MAX_FILE_BYTES): a setting of the person who runs "
                                 "the command, not a channel of the build",
    "analysis.engine.pdf": "the browser that prints the PDF runs with a HOME of its own "
                           "(a throw-away profile): a child process's environment",
}
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _environment_uses(tree: ast.AST) -> list[int]:
    """Lines that read or set the environment: os.environ, os.getenv, ..., or those
    names imported from os."""
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ENVIRONMENT_NAMES
                and isinstance(node.value, ast.Name) and node.value.id == "os"):
            lines.append(node.lineno)
        elif (isinstance(node, ast.ImportFrom) and node.module == "os"
              and {alias.name for alias in node.names} & ENVIRONMENT_NAMES):
            lines.append(node.lineno)
    return lines


def test_only_the_plan_reads_the_environment():
    found = [f"{module}:{line}" for module in MODULES if module not in ENVIRONMENT_READERS
             for line in _environment_uses(ast.parse(MODULES[module].read_text(
                 encoding="utf-8")))]
    assert not found, ("the environment read or set outside analysis/plan.py (the build's "
                       "plan is the one channel; see ENVIRONMENT_READERS):\n"
                       + "\n".join(found))
    assert set(ENVIRONMENT_READERS) <= set(MODULES)


def test_the_environment_rule_catches_what_it_names():
    uses = {"os.environ.get('A')": 1, "os.environ['A'] = 'b'": 1, "os.getenv('A')": 1,
            "from os import environ": 1, "env = {**os.environ}": 1, "os.sep": 0,
            "self.environ": 0}
    for text, count in uses.items():
        assert len(_environment_uses(ast.parse(text))) == count, text


def test_every_module_has_a_layer():
    assert {layer(m) for m in MODULES} <= set(ALLOWED)
    assert {"contract", "pages", "stats", "chapters", "plots", "engine"} <= {
        layer(m) for m in MODULES}


def test_no_layer_imports_a_higher_one():
    wrong = [f"{m} ({layer(m)}) imports {i} ({layer(i) if i in MODULES else 'outside'})"
             for m in MODULES for i in sorted(imports(m))
             if i not in MODULES or (layer(i) != layer(m) and layer(i) not in ALLOWED[layer(m)])]
    assert not wrong, "imports against the layer rule:\n" + "\n".join(wrong)


def test_the_runtime_package_never_imports_the_benchmark():
    assert not [m for m in MODULES if any(i.startswith("benchmarks") for i in imports(m))]


def test_no_import_cycles():
    graph = {m: imports(m) & MODULES.keys() for m in MODULES}
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    cycles = []

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for nxt in sorted(graph[m]):
            # A package's __init__ is imported by its modules' imports as a matter of
            # course; only module-to-module cycles count.
            if m.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


# Sentences whose wording follows the data are the chapters' (analysis/chapters); a result
# of the statistics holds numbers, labels and codes. Caught by name: a field of words of a
# result dataclass in analysis/stats, with the exceptions that are not written from the data.
PROSE_FIELD = re.compile(r"(^|_)(summary|sentences?|message|caveat|comparison|description|"
                         r"notes?|words|text|paragraph)$")
WORDS_TYPES = {"str", "str | None", "tuple[str, ...]"}
NOT_PROSE = {
    # The saturation point as a label ("5 interviews (+2)"), which the figures' legends
    # show too, and the plots may not import the chapters.
    ("analysis.stats.saturation", "SaturationResult", "saturation_text"),
    # The checklist's own notes, read from appraisal_tools.json.
    ("analysis.stats.quality", "AppraisalTool", "notes"),
}


def test_results_of_the_statistics_hold_no_prose():
    found = []
    for module in (m for m in MODULES if layer(m) == "stats"):
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ClassDef)
                    and any("dataclass" in ast.unparse(d) for d in node.decorator_list)):
                continue
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                        and PROSE_FIELD.search(item.target.id)
                        and ast.unparse(item.annotation) in WORDS_TYPES
                        and (module, node.name, item.target.id) not in NOT_PROSE):
                    found.append(f"{module}.{node.name}.{item.target.id}")
    assert not found, ("fields of words in results of the statistics (the sentence belongs "
                       "in analysis/chapters):\n" + "\n".join(found))
