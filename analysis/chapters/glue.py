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
        A named result from :mod:`analysis` (e.g. :class:`analysis.stats.sample.InterviewSample`).
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


@dataclasses.dataclass(frozen=True)
class FigureSVG:
    """A rendered figure as IPython displays it: SVG, with a short text stand-in."""

    name: str
    svg: str

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/svg+xml": self.svg, "text/plain": f"<figure {self.name}>"}


def render_svg(figure, name: str) -> str:
    """A figure as SVG text whose bytes depend on nothing but the figure.

    SVG rather than PNG: the text stays text (selectable, searchable, sharp at any
    zoom), and drawing a text-heavy figure such as a 60-study forest plot takes half
    the time of rasterising it. The creation date is left out and element ids are
    salted with the figure's name, so an unchanged figure gives identical bytes in
    every edition and ``diff`` reports only real changes.

    The garbage collector pauses while the figure is drawn: drawing makes tens of
    thousands of short-lived objects (a text's layout, a path's transform), which set
    off collections that walk every object of the page and find nothing to free, about
    a tenth of the drawing's time. It runs again, as before, once the SVG is written.
    """
    import gc
    import io
    import warnings

    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    collecting = gc.isenabled()
    gc.disable()
    try:
        with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": name}), \
                warnings.catch_warnings():
            # A label with a character the drawing font lacks (an emoji in a theme name)
            # makes matplotlib warn, naming this file by its path on the build machine;
            # the SVG keeps text as text, drawn by the reader's browser in its own fonts.
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from",
                                    category=UserWarning)
            figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        if collecting:
            gc.enable()
    return buffer.getvalue()


def glue_figure(name: str, ax) -> None:
    """Glue the figure an Axes belongs to (for a ``{glue:figure}`` with a caption).

    The figure is closed and nothing is returned: a cell ending in this call then shows
    nothing, and the figure appears once, where the prose places it.
    """
    import matplotlib.pyplot as plt
    from myst_nb import glue

    figure = FigureSVG(name, render_svg(ax.figure, name))
    plt.close(ax.figure)
    glue(name, figure, display=False)
