"""What is wrong with the input: problems, the report that lists them, the errors.

Every problem with what a user supplies (the data package, ``datapackage.json``,
``book/pages.yml`` and its parameters, the command line, the folders a build writes)
is an :class:`InputError`: the command line prints its message and exits 2. Anything
else that escapes is a bug. :class:`DataPackageError` is the input error of a data
package, with every problem found.

Importable without pandas, so that the command line and the build engine can catch and
print a package's problems without loading the analysis stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem in a data package, located as precisely as possible."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.column is not None:
            where += f":{self.column}"
        # A cell may hold a line break (a quoted multi-line cell): one problem, one line.
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{where}: {message}"


@dataclass
class ValidationReport:
    """Every problem found in one data package."""

    data_dir: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # accepted, with what was normalised
    # Accepted as they are: what the sources did not report (empty cells of columns the
    # package declares optional), counted per column; never a problem.
    notes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        """The report as a user reads it in a terminal."""
        warned = [f"  warning: {w}" for w in self.warnings]
        noted = [f"  not reported: {n}" for n in self.notes]
        if self.ok:
            return "\n".join([f"{self.data_dir}: the data package is valid."] + warned
                             + noted)
        n = len(self.problems)
        lines = [f"{self.data_dir}: {n} problem{'s' if n != 1 else ''} found"]
        lines += [f"  {p}" for p in self.problems]
        lines += warned
        lines.append("Fix each problem named above, then run the command again.")
        return "\n".join(lines)


class InputError(Exception):
    """A problem with the input; the message says what is wrong and what to do.

    The command line prints the message and exits 2, without a traceback.
    """


class DataPackageError(InputError):
    """Raised when a data package does not meet the contract."""

    def __init__(self, report: ValidationReport):
        super().__init__(report.format())
        self.report = report
