"""Reproducible analysis book for qualitative evidence synthesis on complex emotional needs.

The book version lives here and nowhere else: pyproject.toml reads it, and the
build stamps it on every page and into the build manifest.
"""

__version__ = "0.1.0"

# Seed of the bundled synthetic data (the meta-synthesis preprint's posting date);
# kept here so the command line can show it without importing the generator.
DEFAULT_SEED = 20201215
