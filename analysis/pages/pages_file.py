"""Reading ``book/pages.yml``: every wrong shape is one message, never a traceback.

The file is a mapping with ``parts``, a list of parts, each with a ``caption`` and a
list of ``pages``; a page is a mapping with ``page`` and, optionally, ``notebook``,
``title``, ``parameters`` (a mapping of names to values) and ``needs``. :func:`read_entries`
returns the entries in order, or raises :class:`~analysis.contract.errors.InputError`
naming the part or page that is wrong and what it should be.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from analysis.contract.errors import InputError
from analysis.contract.escape import terminal_text
from analysis.contract.reading import load_yaml

PAGE_KEYS = ("page", "notebook", "title", "parameters", "needs")
EXAMPLE = ("parts:\n  - caption: About this book\n    pages:\n      - page: intro\n"
           "      - page: data_dictionary\n        notebook: data_dictionary")


def _value(value: Any) -> str:
    """A value of the file in a message: as Python writes it, inert and cut short."""
    return terminal_text(repr(value))


def read_entries(path: Path, notebooks: Path | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The ``(caption, page entry)`` pairs of a pages file, in order.

    With ``notebooks`` (the folder of templates), a page's notebook must be one of them.

    Raises
    ------
    InputError
        When the file cannot be read, is not YAML or does not have the shape above.
    """
    if not Path(path).is_symlink() and not Path(path).exists():
        raise InputError(f"{path}: file not found; it lists the pages of the book")
    # As any input is read: a regular file, bounded; YAML without aliases, nested at most
    # MAX_NESTING deep, with text only in its strings.
    spec = load_yaml(path)
    if not isinstance(spec, dict) or not isinstance(spec.get("parts"), list) or not spec["parts"]:
        what = "empty" if spec is None else f"a {type(spec).__name__}"
        if isinstance(spec, dict):
            what = "a mapping without a list of 'parts'"
        raise InputError(f"{path}: is {what}; it must be a mapping with a list of parts, "
                         f"for example:\n{EXAMPLE}")
    entries = []
    for number, part in enumerate(spec["parts"], start=1):
        if (not isinstance(part, dict) or not isinstance(part.get("caption"), str)
                or not isinstance(part.get("pages"), list)):
            raise InputError(f"{path}: part {number} must have a 'caption' (text) and a list "
                             f"of 'pages'; it is {_value(part)}")
        for entry in part["pages"]:
            if not isinstance(entry, dict):
                raise InputError(f"{path}: part '{part['caption']}': {_value(entry)} is not a "
                                 "page; write each page as '- page: NAME' with optional "
                                 "notebook, title and parameters")
            unknown = set(entry) - set(PAGE_KEYS)
            if unknown or "page" not in entry:
                raise InputError(f"{path}: entry {_value(entry)} needs 'page' and may have only "
                                 "'notebook', 'title', 'parameters' and 'needs'")
            name = entry["page"]
            for key in ("notebook", "title"):
                if entry.get(key) is not None and not isinstance(entry[key], str):
                    raise InputError(f"{path}: page '{name}': '{key}' must be text, not "
                                     f"{_value(entry[key])}")
            notebook = entry.get("notebook")
            if notebook is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", notebook):
                raise InputError(f"{path}: page '{name}': notebook '{notebook}' must be the "
                                 "name of a file in book/notebooks/ without '.ipynb' (letters, "
                                 "digits, '_' and '-')")
            if notebook is not None and notebooks is not None and not (
                    notebooks / f"{notebook}.ipynb").is_file():
                known = ", ".join(sorted(p.stem for p in notebooks.glob("*.ipynb")))
                raise InputError(f"{path}: page '{name}': there is no notebook "
                                 f"'{notebook}' in {notebooks.name}/; the notebooks are: "
                                 f"{known}")
            needs = entry.get("needs")
            if needs is not None and not (isinstance(needs, list)
                                          and all(isinstance(n, str) for n in needs)):
                raise InputError(f"{path}: page '{name}': 'needs' must be a list of the "
                                 f"tables the page shows, such as [studies, casp_ratings], "
                                 f"not {_value(needs)}")
            params = entry.get("parameters")
            if params is not None and not isinstance(params, dict):
                raise InputError(f"{path}: page '{name}': 'parameters' must be a mapping of "
                                 f"names to values (name: value, one per line), not "
                                 f"{_value(params)}")
            if params and not all(isinstance(k, str) for k in params):
                raise InputError(f"{path}: page '{name}': parameter names must be text")
            entries.append((part["caption"], entry))
    return entries
