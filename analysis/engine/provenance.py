"""Where a build came from: edition, commit, data fingerprint, package versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from analysis import __version__, paths
from analysis.contract.files import PackageFiles

# The layers of analysis/ that a page imports (see tests/test_layers.py); their source is
# part of every page's cache key.
PAGE_LAYERS = ("contract", "stats", "chapters", "plots")

KEY_PACKAGES = ["jupyter-book", "myst-nb", "sphinx", "papermill", "pandas", "numpy", "scipy",
                "statsmodels", "matplotlib", "seaborn"]


@dataclass(frozen=True)
class Commit:
    """The git commit of the working tree, and whether it has uncommitted changes."""

    sha: str
    dirty: bool

    @property
    def label(self) -> str:
        return f"{self.sha}{'-dirty' if self.dirty else ''}"


def git_commit(root: Path = paths.ROOT) -> Commit:
    """Short SHA of HEAD and the dirty flag; ``unknown`` outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        sha = git("rev-parse", "--short=7", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (subprocess.CalledProcessError, FileNotFoundError):
        return Commit("unknown", False)
    return Commit(sha, dirty)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    versions = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def page_code_files() -> list[Path]:
    """The source files a page can run: the layers its notebook imports.

    The data contract, the statistics, the chapters and the plots (with the package's
    ``__init__`` and ``paths``), but not the engine, the generator of synthetic data or
    the benchmark, which no page imports: editing them re-executes no page.
    """
    files = [paths.PACKAGE / "__init__.py", paths.PACKAGE / "paths.py"]
    for layer in PAGE_LAYERS:
        files += sorted(p for p in (paths.PACKAGE / layer).rglob("*")
                        if p.suffix in (".py", ".json", ".csv") and "__pycache__" not in p.parts)
    return files


def code_hash() -> str:
    """SHA-256 over the source a page runs (:func:`page_code_files`) and the dependency lock."""
    digest = hashlib.sha256()
    files = page_code_files() + [p for p in (paths.PYPROJECT, paths.LOCK) if p.exists()]
    for path in files:
        digest.update(str(path.relative_to(paths.ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Edition:
    """What identifies one build of the book, as stamped on every page."""

    version: str
    commit: str
    data_fingerprint: str
    synthetic: bool

    def footer(self) -> str:
        return (f"Edition {self.version} · commit {self.commit} · "
                f"data {self.data_fingerprint}")

    def as_dict(self) -> dict:
        return asdict(self)


def edition(package: PackageFiles) -> Edition:
    """The edition stamp of a build on ``package``."""
    return Edition(__version__, git_commit().label, package.fingerprint, package.synthetic)


def data_provenance(package: PackageFiles) -> dict:
    """Folder, fingerprint, SHA-256 of every data file, and whether the data are synthetic.

    A folder inside the project is recorded relative to it: the published manifest
    does not say where on the builder's machine the book was built.
    """
    try:
        folder = str(package.data_dir.resolve().relative_to(paths.ROOT))
    except ValueError:
        folder = str(package.data_dir)
    return {"data_dir": folder, "fingerprint": package.fingerprint,
            "files": dict(package.hashes), "synthetic": package.synthetic}


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def render_provenance_page(record: dict) -> str:
    """The Provenance page (MyST Markdown) from a build record.

    Only what identifies the inputs goes on the page (not this build's timings), so an
    unchanged rebuild produces the same page and the book need not be rebuilt.
    """
    ed = record["edition"]
    pages = [p for p in record["pages"] if p.get("notebook")]
    releases = record.get("releases", [])
    parts = [
        "# Provenance",
        "",
        "What produced this edition of the book: the data, the parameters of every page, "
        "the code and the software. The same record is published as "
        "<a href=\"manifest.json\"><code>manifest.json</code></a> beside the HTML (with this "
        "build's timings), and "
        "`python -m analysis diff` compares two editions from it.",
        "",
        "## This edition",
        "",
        # Headed columns: a table header left empty names nothing for a screen reader.
        _md_table(["Of this edition", "Value"],
                  [["Book version", ed["version"]], ["Git commit", ed["commit"]],
                   ["Data fingerprint", ed["data_fingerprint"]],
                   ["Data folder", Path(record["data"]["data_dir"]).name],
                   ["Synthetic data", "yes" if ed["synthetic"] else "no"],
                   ["Analysis code (SHA-256)", record["code_sha256"][:16]]]),
        "",
        "## Data files",
        "",
        _md_table(["File", "SHA-256 (first 16 hex digits; all 64 in manifest.json)"],
                  [[f"`{n}`", f"`{h[:16]}`"] for n, h in sorted(record["data"]["files"].items())]),
        "",
        "## Pages and their parameters",
        "",
        "Each page's notebook is re-executed only when one of its inputs changes: the "
        "notebook, its parameters, a data file it reads, or the analysis code.",
        "",
        _md_table(["Page (notebook)", "Parameters", "Last executed because"],
                  [[f"[{p['name']}]({p['name']}) (`{p['notebook']}`)",
                    "; ".join(f"{k} = {v}" for k, v in p["parameters"].items()) or "defaults",
                    f"{p['reason']} ({p['seconds']:.1f} s)"] for p in pages]),
        "",
        "## Software",
        "",
        _md_table(["Package", "Version"], [[k, v] for k, v in record["packages"].items()]),
        "",
        "## Editions",
        "",
    ]
    if releases:
        parts.append(_md_table(["Version", "Built", "Commit", "Data", "Archive SHA-256"],
                               [[r["version"], r["built_at"], r["commit"], r["data"],
                                 f"`{r['sha256'][:16]}`"] for r in releases]))
        parts.append("")
        parts.append("Each edition is archived in `releases/<version>/` with its HTML, "
                     "checksum, manifest and tables; `python -m analysis diff A B` lists "
                     "what changed between two of them.")
    else:
        parts.append("No edition has been archived yet: `make release` archives the "
                     "current build as `releases/<version>/`.")
    return "\n".join(parts) + "\n"


GENERATED_PAGES = {"provenance": render_provenance_page}
