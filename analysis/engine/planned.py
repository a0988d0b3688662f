"""The build's plan as the engine holds it: the frozen :class:`~analysis.plan.BuildPlan`
the kernels read, with what only the parent process needs.

Made once by the first stage of :func:`analysis.engine.build.build` and handed, as it is,
to every later stage (validate, execute, assemble, publish) and to
:func:`analysis.engine.execution.execute_pages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths
from analysis.contract.files import PackageFiles
from analysis.engine.cache import PageResult
from analysis.plan import BuildPlan


@dataclass(frozen=True)
class EnginePlan:
    """The build's plan (what the kernels read), with what only the engine needs.

    Parameters
    ----------
    plan : BuildPlan
        What the kernels and the book build read (written to ``plan_path``).
    plan_path : Path
        Where the build writes ``plan`` (:func:`analysis.plan.plan_file`).
    package : PackageFiles
        The package's files, hashed once.
    descriptor : dict
        Its ``datapackage.json``, read once.
    pages : list
        The pages of the book as parameter sets (:mod:`analysis.engine.pages`), in order.
    left_out : list
        The pages the package cannot fill, with the reason.
    results : mapping
        The cache's verdict on the pages that need not run (reused, or Markdown).
    pending : list
        ``(page, reason)`` of the pages to execute, in the order they are handed to the
        kernels.
    untouched : str
        What a failure says of the last good book.
    build_root : Path or None
        The folder that receives ``_build``.
    force, jobs, reuse_kernels
        The command's options (see :func:`analysis.engine.build.build`).
    started : float
        When the build began (:func:`time.perf_counter`), for its timings.
    expected_seconds : mapping
        How long each pending page is expected to take (its last execution, or a guess:
        :func:`analysis.engine.execution.schedule`).
    """

    plan: BuildPlan
    plan_path: Path
    package: PackageFiles
    descriptor: dict
    pages: list
    left_out: list
    results: Mapping[str, PageResult]
    pending: list
    untouched: str
    build_root: Path | None
    force: bool
    jobs: int
    reuse_kernels: bool
    started: float
    expected_seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def build_dir(self) -> Path:
        return paths.build_dir(self.build_root)

    @property
    def html_dir(self) -> Path:
        return paths.html_dir(self.build_root)

    @property
    def executed_dir(self) -> Path:
        return Path(self.plan.executed_dir)
