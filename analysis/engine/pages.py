"""The pages of one build: the parameter sets of ``book/pages.yml`` the package can
fill, checked against their notebooks, and the book's table of contents.

The pages themselves (the one :class:`~analysis.pages.page.Page` type, the parser of
the pages file, which pages a package fills) belong to :mod:`analysis.pages`; the
engine adds what a build needs of them: each banding rule in the plain form JSON can
hold, the landing page's list of the pages left out, the parameter sets checked against
each notebook's ``parameters`` cell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import paths
from analysis.engine.declared import check_declared_files
from analysis.engine.errors import BuildError
from analysis.engine.parameters import check_values, plain_values
from analysis.engine.provenance import GENERATED_PAGES
from analysis.pages.needs import LeftOut, choose_pages, offered_by_files, pages_needing
from analysis.pages.page import Page, parse_pages
from analysis.pages.template import load_template

if TYPE_CHECKING:
    from analysis.contract.package import DataPackage


def load_pages(path: Path = paths.PAGES) -> list[Page]:
    """The pages of a pages file, strictly read (:func:`analysis.pages.page.parse_pages`),
    with each banding rule in the plain form JSON can hold (the cache key, the manifest,
    papermill's record of the parameters); the first page is the book's landing page."""
    return [replace(page, parameters=plain_values(page.parameters))
            for page in parse_pages(path)]


@dataclass(frozen=True)
class PageSelection:
    """The pages a data package can fill, in book order, and those left out."""

    pages: list[Page]
    left_out: list[LeftOut]


LEFT_OUT_PARAMETER = "left_out"  # the landing page's list of the pages left out


def load_package(data_dir: Path) -> DataPackage:
    """The data package the build validates (:func:`analysis.contract.validation.load_package`),
    whose messages name the pages of the book a table without rows leaves empty.

    Raises
    ------
    DataPackageError
        With every problem found, when the package does not meet the contract.
    """
    # Imported here: the data-package reader loads pandas, which the build's planning
    # does without.
    from analysis.contract.validation import load_package as validated

    return validated(data_dir, needed_for=pages_needing)


def available_inputs(descriptor: dict[str, Any], data_dir: Path | None = None) -> set[str]:
    """What a package offers the pages (:func:`analysis.pages.needs.offered_by_files`):
    its declared tables and study sections, and whether its appraisal has independent
    reviewers, read from its files before any table is validated."""
    return offered_by_files(descriptor, data_dir)


def select_pages(pages: list[Page], available: set[str]) -> PageSelection:
    """Keep the pages whose needs the package meets, and tell the landing page the rest.

    The choice is :func:`analysis.pages.needs.choose_pages`, the one the pages
    themselves make when they link to each other. The first page (the landing page) is
    always kept; when it is a notebook that takes a ``left_out`` parameter, it receives
    the list of the pages left out.
    """
    kept, left_out = choose_pages(pages, available)
    landing = kept[0]
    if landing.notebook and left_out:
        kept[0] = replace(landing, parameters={
            **landing.parameters, LEFT_OUT_PARAMETER: [item.as_dict() for item in left_out]})
    return PageSelection(kept, left_out)


def check_parameters(pages: list[Page], build_root: Path | None = None) -> list[str]:
    """Every parameter set against its notebook's ``parameters`` cell.

    papermill only warns about a parameter the notebook does not declare; a typo would
    then silently leave the default in force, so here it is an error. Each template is
    read once (:func:`analysis.pages.template.load_template`); ``build_root`` is not
    used (a build once stored the declared names there).
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
        template = load_template(page.template)
        if template.parameters_error:
            raise BuildError(f"book/notebooks/{page.template.name}: the parameters cell is "
                             f"not valid Python ({template.parameters_error})")
        declared = template.parameters
        if "data_dir" not in declared:
            problems.append(f"book/notebooks/{page.notebook}.ipynb: its parameters cell "
                            "must declare data_dir")
        problems += check_values(page.name, page.notebook, page.parameters,
                                 template.defaults)
        for name in page.parameters:
            if name not in declared:
                problems.append(
                    f"pages.yml: page '{page.name}': parameter '{name}' is not in the "
                    f"parameters cell of book/notebooks/{page.notebook}.ipynb; it takes: "
                    f"{', '.join(sorted(declared))}")
    return problems + check_declared_files(pages)


def toc(pages: list[Page]) -> dict[str, Any]:
    """The Jupyter Book table of contents, in the order of pages.yml."""
    parts: list[dict[str, Any]] = []
    for page in pages[1:]:
        if not parts or parts[-1]["caption"] != page.part:
            parts.append({"caption": page.part, "chapters": []})
        parts[-1]["chapters"].append({"file": page.name})
    return {"format": "jb-book", "root": pages[0].name, "parts": parts}
