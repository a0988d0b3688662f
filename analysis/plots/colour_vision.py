"""How the book's figures look to a reader with a red-green colour-vision deficiency.

A figure must not tell categories apart by colour alone (WCAG 2.1, 1.4.1 Use of Colour):
where two series would look alike to a reader with protanopia or deuteranopia, they must
differ in something else as well (marker, hatching, line style, or a label on the
figure). :func:`simulate` shows a colour as such a reader sees it, :func:`delta_e`
says how far apart two colours look, and :func:`colour_only_pairs` finds the series of a
figure's legend that only their (confusable) colour tells apart.

References
----------
Machado GM, Oliveira MM, Fernandes LAF (2009). A physiologically-based model for
simulation of color vision deficiency. IEEE Transactions on Visualization and Computer
Graphics 15(6):1291-1298. The matrices are the paper's for severity 1.0, applied to
linear sRGB (as in Chromium's and Firefox's developer tools).
CIE (1976). CIELAB colour space and the colour difference Delta E*ab (D65 white).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.colors as mcolors
import numpy as np

MACHADO_2009 = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
DEFICIENCIES = tuple(MACHADO_2009)
# Two colours closer than this (CIE76 Delta E) are taken for one: about the difference
# of two neighbouring shades that a reader can name apart at a glance, well above the
# just-noticeable difference (about 2.3) of two patches side by side.
CONFUSABLE_DELTA_E = 12.0

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65 = np.array([0.95047, 1.0, 1.08883])


def _linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _encoded(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear,
                    1.055 * linear ** (1 / 2.4) - 0.055)


def simulate(colour, deficiency: str) -> tuple[float, float, float]:
    """A colour as a reader with ``deficiency`` sees it (Machado et al. 2009).

    Parameters
    ----------
    colour : matplotlib colour
        Any colour matplotlib reads (name, hex, RGB tuple).
    deficiency : {"protanopia", "deuteranopia"}

    Returns
    -------
    tuple of float
        The simulated colour, sRGB in [0, 1].
    """
    rgb = np.array(mcolors.to_rgb(colour))
    return tuple(float(v) for v in _encoded(MACHADO_2009[deficiency] @ _linear(rgb)))


def lab(colour) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour."""
    xyz = _SRGB_TO_XYZ @ _linear(np.array(mcolors.to_rgb(colour))) / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a, b, deficiency: str | None = None) -> float:
    """CIE76 colour difference of two colours, as seen with ``deficiency`` if given."""
    if deficiency:
        a, b = simulate(a, deficiency), simulate(b, deficiency)
    return float(np.linalg.norm(lab(a) - lab(b)))


@dataclass(frozen=True)
class SeriesCue:
    """What tells one series of a figure from the others: its colour and its form."""

    label: str
    colour: tuple[float, float, float]
    marker: str = ""
    hatch: str = ""
    linestyle: str = ""

    @property
    def form(self) -> tuple[str, str, str]:
        return (self.marker, self.hatch, self.linestyle)


def legend_cues(ax) -> list[SeriesCue]:
    """The series of an Axes' legend (or of the figure's), each with its colour and form."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    legend = ax.get_legend() or (ax.figure.legends[0] if ax.figure.legends else None)
    if legend is None:
        return []
    cues = []
    for handle, text in zip(legend.legend_handles, legend.get_texts()):
        label = text.get_text()
        if isinstance(handle, Line2D):
            marker = handle.get_marker()
            cues.append(SeriesCue(label, mcolors.to_rgb(handle.get_color()),
                                  marker="" if marker in (None, "None", "", " ") else str(marker),
                                  linestyle=str(handle.get_linestyle())))
        elif isinstance(handle, Patch):
            colour = handle.get_facecolor() if handle.get_fill() else handle.get_edgecolor()
            cues.append(SeriesCue(label, mcolors.to_rgb(colour), hatch=handle.get_hatch() or ""))
        elif isinstance(handle, Collection):
            colours = handle.get_facecolor()
            paths = handle.get_paths()  # a scatter's marker is its path
            shape = str(np.round(paths[0].vertices, 2).tolist()) if len(paths) else ""
            cues.append(SeriesCue(label, mcolors.to_rgb(colours[0]) if len(colours) else
                                  (0.0, 0.0, 0.0), marker=shape,
                                  hatch=handle.get_hatch() or ""))
    return cues


def colour_only_pairs(cues: list[SeriesCue], deficiencies=DEFICIENCIES,
                      threshold: float = CONFUSABLE_DELTA_E) -> list[str]:
    """Pairs of series that look alike with a deficiency and share their form.

    Returns
    -------
    list of str
        ``"<a> / <b> (protanopia, Delta E 4.1)"``, one per pair a reader with the
        deficiency cannot tell apart; empty when every figure series can be told apart.
    """
    problems = []
    for i, a in enumerate(cues):
        for b in cues[i + 1:]:
            if a.form != b.form:
                continue
            for deficiency in deficiencies:
                distance = delta_e(a.colour, b.colour, deficiency)
                if distance < threshold:
                    problems.append(f"{a.label} / {b.label} ({deficiency}, "
                                    f"Delta E {distance:.1f})")
    return problems
