"""Putting computed values into the prose of the book.

Notebooks never type a number into a sentence: they glue it here and the prose refers
to it with ``{glue:text}`name```. These functions run inside the notebook kernel.

References
----------
myst-nb documentation, "Insert variables into pages with glue",
https://myst-nb.readthedocs.io/en/latest/render/glue.html
"""

from __future__ import annotations

import dataclasses
from typing import Any



def glue_fields(result: Any, prefix: str) -> list[str]:
    """Glue every scalar field of a dataclass result as ``<prefix>_<field>``.

    Parameters
    ----------
    result : dataclass instance
        A named result from :mod:`analysis` (e.g. :class:`analysis.sample.InterviewSample`).
    prefix : str
        Namespace of the names in the page's prose.

    Returns
    -------
    list of str
        The glued names, for the notebook's own record.
    """
    from myst_nb import glue

    names = []
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            name = f"{prefix}_{field.name}"
            glue(name, value, display=False)
            names.append(name)
    return names


def glue_figure(name: str, ax) -> None:
    """Glue the figure an Axes belongs to (for a ``{glue:figure}`` with a caption)."""
    import matplotlib.pyplot as plt
    from myst_nb import glue

    glue(name, ax.figure, display=False)
    plt.close(ax.figure)  # shown once, where the prose places it
