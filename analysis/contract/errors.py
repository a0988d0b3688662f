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

from analysis.contract.escape import (TERMINAL_LIMIT, terminal_lines, terminal_text,
                                     unusual_characters)

MESSAGE_LIMIT = 1_000
"""Longest message of one problem, in characters, as a terminal shows it."""


def quoted(value: object, limit: int = TERMINAL_LIMIT) -> str:
    """A value from the input, quoted in a message: ``'S01<U+200B>'``.

    Inert and short (:func:`~analysis.contract.escape.terminal_text`: control and
    invisible characters escaped, cut at ``limit`` characters), and followed by the
    characters a reader could not see or would misread (a zero-width space, a Cyrillic
    'а' among Latin letters), named.
    """
    text = str(value)
    shown = f"'{terminal_text(text, limit)}'"
    unusual = unusual_characters(text[:limit])
    if unusual:
        shown += f" (holding {', '.join(unusual)})"
    return shown


def inert(message: object) -> str:
    """A message for the terminal: its lines as :func:`~analysis.contract.escape.
    terminal_lines` shows them, so that no text it quotes can steer the terminal."""
    return terminal_lines(message)


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
        # One problem, one line, and nothing in it that steers the terminal: a cell may
        # hold a line break, ESC sequences or invisible characters (shown as \x1b,
        # <U+200B>, and named); a column's name comes from the file too.
        message = terminal_text(self.message, MESSAGE_LIMIT)
        unusual = [c for c in unusual_characters(f"{where} {self.message[:MESSAGE_LIMIT]}")
                   if c not in message]
        note = f" (the text above holds {', '.join(unusual)})" if unusual else ""
        return f"{terminal_text(where, None)}: {message}{note}"


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
        folder = terminal_text(self.data_dir, None)
        noted = [f"  not reported: {n}" for n in self.notes]
        if self.ok:
            return "\n".join([f"{folder}: the data package is valid."] + warned + noted)
        n = len(self.problems)
        lines = [f"{folder}: {n} problem{'s' if n != 1 else ''} found"]
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
