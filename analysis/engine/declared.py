"""Files beside ``book/pages.yml`` that a page's parameters name, e.g. the multiverse.

A page parameter ``choices_file`` names a declaration of analytic choices
(:mod:`analysis.contract.choices`). The build checks that declaration with the other
parameters, before anything runs, and counts its bytes in the page's cache key, so that
editing the choices re-executes the page that uses them, and only that page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from analysis import paths

FILE_PARAMETERS = ("choices_file",)


def _path(value: Any) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() else paths.BOOK / path


def declared_files(parameters: dict[str, Any]) -> dict[str, str]:
    """SHA-256 of each declared file a page's parameters name (missing: 'missing')."""
    from analysis.contract.reading import FileRefused, read_file_bytes

    hashes = {}
    for name in FILE_PARAMETERS:
        if name in parameters:
            path = _path(parameters[name])
            try:  # a regular file, bounded (the build has checked it already)
                hashes[f"{name}:sha256"] = hashlib.sha256(read_file_bytes(path)).hexdigest()
            except FileRefused as refused:
                hashes[f"{name}:sha256"] = ("missing" if refused.reason == "file not found"
                                            else "refused")
    return hashes


def check_declared_files(pages: list) -> list[str]:
    """Every problem of the declared files the pages name, as the build prints them."""
    from analysis.contract.choices import SIZES, ChoicesError, load_choices

    problems = []
    for page in pages:
        value = (page.parameters or {}).get("choices_file")
        if value is None:
            continue
        size = page.parameters.get("size", "book")
        if size not in SIZES:
            problems.append(f"pages.yml: page '{page.name}': size must be one of "
                            f"{', '.join(SIZES)}, not {size!r}")
        workers = page.parameters.get("workers", 1)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            problems.append(f"pages.yml: page '{page.name}': workers must be a whole number "
                            f"of at least 1, not {workers!r}")
        try:
            load_choices(_path(value))
        except ChoicesError as exc:
            problems += [f"pages.yml: page '{page.name}': {p}" for p in exc.problems]
    return problems
