"""Figures of the book, one module per chapter.

Every plot function draws on the Axes it is given (a new one when ``ax`` is None) and
returns that Axes. Plots compute nothing a table does not also show: the statistics
come from the analysis modules. One colour-blind-safe palette (seaborn's
``colorblind``, after Okabe and Ito) is used throughout.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

# seaborn's "colorblind" palette, written out: importing seaborn costs each notebook
# about two seconds of kernel time for ten colours (tests/plots/test_plots.py checks they
# are the same).
PALETTE = [
    (0.00392, 0.45098, 0.69804), (0.87059, 0.56078, 0.01961), (0.00784, 0.61961, 0.45098),
    (0.83529, 0.36863, 0.00000), (0.80000, 0.47059, 0.73725), (0.79216, 0.56863, 0.38039),
    (0.98431, 0.68627, 0.89412), (0.58039, 0.58039, 0.58039), (0.92549, 0.88235, 0.20000),
    (0.33725, 0.70588, 0.91373),
]


# Text in a figure is text: its labels come from the data package (theme names, category
# labels, countries), and mathtext would read "costs $5 and $6" as a formula. The one
# mathtext of the figures, the glyph markers of the appraisal grid, asks for it where
# it draws them (analysis.plots.quality).
plt.rcParams["text.parse_math"] = False

# Categories told apart by colour are told apart by form as well (WCAG 2.1, 1.4.1): to a
# reader with a red-green deficiency, two of the palette's colours can look alike
# (analysis.plots.colour_vision). A scatter gives each category a marker, bars a hatching.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
# Line hatchings only: a dotted one ("..", "oo") is drawn as thousands of tiny circles,
# a quarter of a megabyte of SVG for one bar chart.
HATCHES = ["", "////", "\\\\\\\\", "xxxx", "----", "||||", "++++", "//", "\\\\", "xx"]


def axes_or_new(ax=None, figsize=(7, 3.5)):
    """The given Axes, or a new figure's Axes of ``figsize`` inches."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
