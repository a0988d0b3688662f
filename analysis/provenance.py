"""Where a build came from: edition, commit, data fingerprint, package versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from analysis import __version__, paths
from analysis.datapackage import file_hashes, fingerprint

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


def code_hash() -> str:
    """SHA-256 over the source of the ``analysis`` package and the dependency lock."""
    digest = hashlib.sha256()
    files = sorted(paths.PACKAGE.glob("*.py")) + sorted(paths.PACKAGE.glob("*.json"))
    files += [p for p in (paths.PYPROJECT, paths.LOCK) if p.exists()]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
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


def edition(data_dir: Path, synthetic: bool) -> Edition:
    """The edition stamp of a build on ``data_dir``."""
    return Edition(__version__, git_commit().label, fingerprint(data_dir), synthetic)


def data_provenance(data_dir: Path) -> dict:
    """Folder, fingerprint and SHA-256 of every data file."""
    return {"data_dir": str(data_dir), "fingerprint": fingerprint(data_dir),
            "files": file_hashes(data_dir)}
