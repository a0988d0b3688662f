"""The pages of the book and their parameter sets (``book/pages.yml``).

A page is a Markdown file of ``book/`` or a notebook template run with one set of
parameters; one template can serve several pages (a main analysis and its sensitivity
analyses). Parameter names are checked against each notebook's ``parameters`` cell.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from analysis import paths
from analysis.contract.errors import InputError
from analysis.contract.page_needs import LeftOut, choose_pages, offered_by_files, page_label
from analysis.engine.declared import check_declared_files
from analysis.contract.pages_file import read_entries
from analysis.engine.parameters import check_values, notebook_defaults, plain_values
from analysis.engine.errors import BuildError
from analysis.engine.provenance import GENERATED_PAGES


@dataclass(frozen=True)
class PageSpec:
    """One page of the book: a Markdown file or a notebook run with parameters."""

    name: str
    part: str
    notebook: str | None = None
    title: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    # What the page shows: tables of the data package, "study.published" (the
    # published figures of its study section) or "casp_ratings.independent_reviewers".
    # Without them the page is left out (analysis.contract.page_needs).
    needs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the page: its title, else its notebook's or file's heading."""
        return page_label(self.name, self.notebook, self.title)

    @property
    def template(self) -> Path | None:
        return paths.NOTEBOOKS / f"{self.notebook}.ipynb" if self.notebook else None


def load_pages(path: Path = paths.PAGES) -> list[PageSpec]:
    """Read the parameter sets; the first page is the book's landing page."""
    pages = [PageSpec(name=entry["page"], part=caption, notebook=entry.get("notebook"),
                      title=entry.get("title"),
                      parameters=plain_values(dict(entry.get("parameters") or {})),
                      needs=tuple(entry.get("needs") or ()))
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


@dataclass(frozen=True)
class PageSelection:
    """The pages a data package can fill, in book order, and those left out."""

    pages: list[PageSpec]
    left_out: list[LeftOut]


LEFT_OUT_PARAMETER = "left_out"  # the landing page's list of the pages left out


def available_inputs(descriptor: dict[str, Any], data_dir: Path | None = None) -> set[str]:
    """What a package offers the pages (:func:`analysis.contract.page_needs.offered_by_files`):
    its declared tables and study sections, and whether its appraisal has independent
    reviewers, read from its files before any table is validated."""
    return offered_by_files(descriptor, data_dir)


def select_pages(pages: list[PageSpec], available: set[str]) -> PageSelection:
    """Keep the pages whose needs the package meets, and tell the landing page the rest.

    The choice is :func:`analysis.contract.page_needs.choose_pages`, the one the pages
    themselves make when they link to each other. The first page (the landing page) is
    always kept; when it is a notebook that takes a ``left_out`` parameter, it receives
    the list of the pages left out.
    """
    kept, left_out = choose_pages(pages, available)
    landing = kept[0]
    if landing.notebook and left_out:
        kept[0] = PageSpec(landing.name, landing.part, landing.notebook, landing.title,
                           {**landing.parameters,
                            LEFT_OUT_PARAMETER: [item.as_dict() for item in left_out]},
                           landing.needs)
    return PageSelection(kept, left_out)


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
    return problems + check_declared_files(pages)


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


def toc(pages: list[PageSpec]) -> dict[str, Any]:
    """The Jupyter Book table of contents, in the order of pages.yml."""
    parts: list[dict[str, Any]] = []
    for page in pages[1:]:
        if not parts or parts[-1]["caption"] != page.part:
            parts.append({"caption": page.part, "chapters": []})
        parts[-1]["chapters"].append({"file": page.name})
    return {"format": "jb-book", "root": pages[0].name, "parts": parts}
