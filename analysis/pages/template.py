"""A notebook template of ``book/notebooks/``, read once: what the build and the pages
ask of it.

The build asks a template for its source hash (the cache key), the names its
``parameters`` cell declares and their defaults (the checks of every parameter set),
its first heading (how messages and the landing page name a page) and its import lines
(what a worker's kernel imports while it warms up). :func:`load_template` reads the
file once and answers all of these; it reads it again only when the file changes (its
time or size), as in a long-lived process (a preview, a test that edits a template).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

HEADING = re.compile(r"^# +(.+?)\s*$", flags=re.M)  # a level-one heading: the page's title
IMPORT_LINE = re.compile(r"^(?:from \S+ )?import [^\n(]+$", flags=re.M)


@dataclass(frozen=True)
class Template:
    """What one notebook template holds, for the build and the pages.

    Attributes
    ----------
    path : Path
        The notebook file.
    hash : str
        SHA-256 of its sources only (cell kinds, sources and tags): outputs and metadata
        do not count.
    parameters : tuple of str
        The names assigned in its ``parameters`` cell, sorted: the names papermill would
        report (:func:`papermill.inspect_notebook`; a test checks that both agree on
        every template), read with :mod:`ast` rather than by importing papermill.
    defaults : mapping
        The default of every parameter whose default is a literal (an expression is left
        out: its type is not declared); read-only, as the template is shared.
    parameters_error : str or None
        Why the ``parameters`` cell is not valid Python ("line 2: invalid syntax"), or
        None when it is.
    heading : str or None
        The first level-one heading of its Markdown cells (the page's title in the book).
    imports : tuple of str
        The import lines of its code cells, sorted.
    """

    path: Path
    hash: str
    parameters: tuple[str, ...]
    defaults: Mapping[str, Any]
    parameters_error: str | None
    heading: str | None
    imports: tuple[str, ...]


def load_template(path: Path) -> Template:
    """The template at ``path``, read once per version of the file."""
    path = Path(path)
    stat = path.stat()
    return _load(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int, size: int) -> Template:
    # Keyed by the file's time and size too: a template edited in a long-lived process
    # is read again.
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    sources = [(c["cell_type"], "".join(c.get("source", [])),
                sorted(c.get("metadata", {}).get("tags", []))) for c in cells]
    parameters_cell = next((source for _, source, tags in sources if "parameters" in tags), "")
    names, defaults, error = _parameters(parameters_cell)
    markdown = "\n".join(source for kind, source, _ in sources if kind == "markdown")
    imports = {line for kind, source, _ in sources if kind == "code"
               for line in IMPORT_LINE.findall(source)}
    return Template(path=path, hash=hashlib.sha256(json.dumps(sources).encode()).hexdigest(),
                    parameters=names, defaults=MappingProxyType(defaults),
                    parameters_error=error,
                    heading=first_heading(markdown), imports=tuple(sorted(imports)))


def _parameters(source: str) -> tuple[tuple[str, ...], dict[str, Any], str | None]:
    """The names a ``parameters`` cell assigns, the literal defaults among them, and why
    the cell is not valid Python (None when it is)."""
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        return (), {}, f"line {error.lineno}: {error.msg}"
    names: set[str] = set()
    defaults: dict[str, Any] = {}
    for statement in body:
        targets = (statement.targets if isinstance(statement, ast.Assign)
                   else [statement.target] if isinstance(statement, ast.AnnAssign) else [])
        names.update(t.id for t in targets if isinstance(t, ast.Name))
        value = getattr(statement, "value", None)
        if len(targets) == 1 and isinstance(targets[0], ast.Name) and value is not None:
            try:
                defaults[targets[0].id] = ast.literal_eval(value)
            except ValueError:
                continue
    return tuple(sorted(names)), defaults, None


def first_heading(text: str) -> str | None:
    """The first level-one heading of Markdown text (a page's title in the book)."""
    found = HEADING.search(text)
    return found.group(1) if found else None


def template_hash(path: Path) -> str:
    """SHA-256 of a notebook's sources only (:attr:`Template.hash`): outputs and metadata
    do not count."""
    return load_template(path).hash
