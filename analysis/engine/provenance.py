"""Where a build came from: edition, commit, data fingerprint, package versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from analysis import __version__, paths
from analysis.contract.escape import Myst, myst_name
from analysis.contract.errors import InputError
from analysis.contract.files import PackageFiles
from analysis.contract.import_log import read_import_log

# The layers of analysis/ that a page imports (see tests/test_layers.py); their source is
# part of every page's cache key.
PAGE_LAYERS = ("contract", "pages", "stats", "compute", "chapters", "plots")

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

    The data contract, the pages of the book (which a page asks about), the statistics,
    their computation at scale, the chapters and the plots (with the package's
    ``__init__``, ``paths``, ``plan`` and ``cache``), but not
    the engine, the generator of synthetic data or the benchmark, which no page imports:
    editing them re-executes no page.
    """
    files = [paths.PACKAGE / name for name in ("__init__.py", "paths.py", "plan.py", "cache.py")]
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
    """Folder, fingerprint, SHA-256 of every data file, whether the data are synthetic, and
    the files imported into the package (kind, name, bytes, SHA-256, when, program).

    A folder inside the project is recorded relative to it: the published manifest
    does not say where on the builder's machine the book was built.
    """
    try:
        folder = str(package.data_dir.resolve().relative_to(paths.ROOT))
    except ValueError:
        folder = str(package.data_dir)
    try:  # the files imported into the package (python -m analysis import), if any
        imports = read_import_log(package.data_dir).files()
    except InputError as exc:  # validation reports it; the manifest says so too
        imports = [{"error": str(exc)}]
    return {"data_dir": folder, "fingerprint": package.fingerprint,
            "files": dict(package.hashes), "synthetic": package.synthetic,
            "imports": imports}


def _md_table(header: list[str], rows: list[list[str | Myst]]) -> Myst:
    """A MyST table; a cell of data text is escaped (``|`` included, so that it stays
    in its cell), a cell of :class:`~analysis.contract.escape.Myst` is written as is."""
    lines = [Myst("| {} |").format(Myst(" | ").join(header)),
             Myst("|") + Myst("---|") * len(header)]
    lines += [Myst("| {} |").format(Myst(" | ").join(row)) for row in rows]
    return Myst("\n").join(lines)


def _code(name: str) -> Myst:
    return Myst("`{}`").format(myst_name(name))


def render_provenance_page(record: dict) -> Myst:
    """The Provenance page (MyST Markdown) from a build record.

    Only what identifies the inputs goes on the page (not this build's timings), so an
    unchanged rebuild produces the same page and the book need not be rebuilt.
    """
    ed = record["edition"]
    pages = [p for p in record["pages"] if p.get("notebook")]
    releases = record.get("releases", [])
    parts = [
        Myst("# Provenance"),
        Myst(""),
        Myst("What produced this edition of the book: the data, the parameters of every page, "
             "the code and the software. The same record is published as "
             "<a href=\"manifest.json\"><code>manifest.json</code></a> beside the HTML (with "
             "this build's timings), and "
             "`python -m analysis diff` compares two editions from it."),
        Myst(""),
        Myst("## This edition"),
        Myst(""),
        # Headed columns: a table header left empty names nothing for a screen reader.
        _md_table(["Of this edition", "Value"],
                  [["Book version", ed["version"]], ["Git commit", ed["commit"]],
                   ["Data fingerprint", ed["data_fingerprint"]],
                   ["Data folder", Path(record["data"]["data_dir"]).name],
                   ["Synthetic data", "yes" if ed["synthetic"] else "no"],
                   ["Analysis code (SHA-256)", record["code_sha256"][:16]]]),
        Myst(""),
        Myst("## Data files"),
        Myst(""),
        _md_table(["File", "SHA-256 (first 16 hex digits; all 64 in manifest.json)"],
                  [[_code(n), _code(h[:16])] for n, h in sorted(record["data"]["files"].items())]),
        Myst(""),
        Myst("## Pages and their parameters"),
        Myst(""),
        Myst("Each page's notebook is re-executed only when one of its inputs changes: the "
             "notebook, its parameters, a data file it reads, or the analysis code."),
        Myst(""),
        _md_table(["Page (notebook)", "Parameters", "Last executed because"],
                  [[Myst("[{}]({}) ({})").format(myst_name(p["name"]), myst_name(p["name"]),
                                                 _code(p["notebook"])),
                    "; ".join(f"{k} = {v}" for k, v in p["parameters"].items()) or "defaults",
                    f"{p['reason']} ({p['seconds']:.1f} s)"] for p in pages]),
        Myst(""),
        Myst("## Software"),
        Myst(""),
        _md_table(["Package", "Version"], [[k, v] for k, v in record["packages"].items()]),
        Myst(""),
        Myst("## Editions"),
        Myst(""),
    ]
    if releases:
        parts.append(_md_table(["Version", "Built", "Commit", "Data", "Archive SHA-256"],
                               [[r["version"], r["built_at"], r["commit"], r["data"],
                                 Myst("`{}`").format(myst_name(r["sha256"][:16]))]
                                for r in releases]))
        parts.append(Myst(""))
        parts.append(Myst("Each edition is archived in `releases/<version>/` with its HTML, "
                          "checksum, manifest and tables; `python -m analysis diff A B` lists "
                          "what changed between two of them."))
    else:
        parts.append(Myst("No edition has been archived yet: `make release` archives the "
                          "current build as `releases/<version>/`."))
    return Myst("\n").join(parts) + Myst("\n")


GENERATED_PAGES = {"provenance": render_provenance_page}
