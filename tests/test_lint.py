"""The code passes the project's lint rules (pyproject.toml, [tool.ruff.lint])."""

from __future__ import annotations

import subprocess
import sys

from analysis import paths


def test_ruff_finds_nothing():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                           "analysis", "benchmarks", "tests"], capture_output=True,
                          text=True, cwd=paths.ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
