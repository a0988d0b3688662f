"""Every location the project uses, in one place.

Importing this module has no side effects: nothing is created or read. Functions
that take a ``root`` let tests point the whole layout at a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent

CONTRACT = PACKAGE / "contract"
DATA_CONTRACT = CONTRACT / "data_contract.json"
SOURCE_STUDIES = PACKAGE / "source_studies"  # what the two source studies published
SOURCE_STUDY = SOURCE_STUDIES / "study.json"
PUBLISHED_FACTS = SOURCE_STUDIES / "published_facts.csv"
APPRAISAL_TOOLS = CONTRACT / "appraisal_tools.json"

DATA_SYNTHETIC = ROOT / "data_synthetic"
BOOK = ROOT / "book"
NOTEBOOKS = BOOK / "notebooks"
PAGES = BOOK / "pages.yml"
CONFIG = ROOT / "_config.yml"
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"

DATAPACKAGE_NAME = "datapackage.json"

# What the build hands to a page's kernel (its table log, the folder of its exported
# tables, the package it validated, the pages file) is in the build's plan: analysis.plan.


def build_dir(root: Path | None = None) -> Path:
    """Folder of every build artefact (``_build`` beside ``_config.yml``)."""
    return (root or ROOT) / "_build"


def html_dir(root: Path | None = None) -> Path:
    """The published book: only ever replaced whole, by a successful build."""
    return build_dir(root) / "html"


def book_source_dir(root: Path | None = None) -> Path:
    """The Jupyter Book source of the published book, kept beside it."""
    return build_dir(root) / "source"


def pdf_path(root: Path | None = None) -> Path:
    """The book as one PDF, printed from the published HTML (``python -m analysis pdf``)."""
    return build_dir(root) / "pdf" / "book.pdf"


def releases_dir(root: Path | None = None) -> Path:
    """Archived editions, one folder per version."""
    return (root or ROOT) / "releases"


def executed_dir(root: Path | None = None) -> Path:
    """Executed notebooks (build artefacts) and their cache keys."""
    return build_dir(root) / "executed"


def resolve_data_dir(data_dir: str | Path | None) -> Path:
    """Turn a ``data_dir`` parameter into an absolute folder.

    A relative path is taken from the working directory when it exists there and
    otherwise from the project root, so that the notebooks' default
    (``"data_synthetic"``) works from any working directory.
    """
    if data_dir is None or str(data_dir) == "":
        return DATA_SYNTHETIC
    path = Path(data_dir).expanduser()
    if path.is_absolute():
        return path
    if path.exists():
        return path.resolve()
    return (ROOT / path).resolve()
