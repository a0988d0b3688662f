"""What is wrong with a data package: problems, the report that lists them, the error.

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
        return f"{where}: {self.message}"


@dataclass
class ValidationReport:
    """Every problem found in one data package."""

    data_dir: Path
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self) -> str:
        """The report as a user reads it in a terminal."""
        if self.ok:
            return f"{self.data_dir}: the data package is valid."
        n = len(self.problems)
        lines = [f"{self.data_dir}: {n} problem{'s' if n != 1 else ''} found"]
        lines += [f"  {p}" for p in self.problems]
        lines.append("Fix each cell named above, then run the command again.")
        return "\n".join(lines)


class DataPackageError(Exception):
    """Raised when a data package does not meet the contract."""

    def __init__(self, report: ValidationReport):
        super().__init__(report.format())
        self.report = report
