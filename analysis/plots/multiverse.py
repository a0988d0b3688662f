"""The specification curve of the Multiverse page.

After Simonsohn, Simmons and Nelson (2020, figure 2): the estimate of every
specification, sorted, with its confidence interval, and beneath it a panel that marks
which option of each choice produced it.

References
----------
Simonsohn U, Simmons JP, Nelson LD (2020). Specification curve analysis. Nature Human
Behaviour 4:1208-1214.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from mpl_toolkits.axes_grid1 import make_axes_locatable

from analysis.contract.choices import NONE, Choices
from analysis.plots import PALETTE
from analysis.stats.multiverse import OK

FONT = 8
FIGURE_WIDTH = 7.4
MAX_MARKED = 400  # beyond this many specifications the indicator panel draws bars, not dots


def _option_rows(choices: Choices, pooled: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(choice, option label, which specifications took it) for the indicator panel."""
    rows = []
    for name in choices.names:
        values = pooled[name].to_numpy()
        if name == "leave_one_out":
            taken = [("none", values == NONE), ("one study", values != NONE)]
        else:
            declared = next(c.options for c in choices.choices if c.name == name)
            taken = [(str(option), values == str(option)) for option in declared]
        for label, mask in taken:
            if mask.any():
                rows.append((name, label.replace("_", " "), mask))
    return rows


def specification_curve(table: pd.DataFrame, choices: Choices, ax=None):
    """The pooled estimate of every specification, sorted, and the choices beneath.

    Parameters
    ----------
    table : DataFrame
        The tidy multiverse table (:func:`analysis.stats.multiverse.table`); only the
        specifications that were pooled are drawn.
    choices : Choices
        The declared choices: they name the rows of the indicator panel, and the
        conclusion's threshold is drawn as a dashed line.
    ax : Axes, optional
        Where the curve goes; the indicator panel is added below it.

    Returns
    -------
    Axes
        The curve's Axes (the indicator panel is the figure's other Axes).
    """
    pooled = table[table["status"] == OK].sort_values(["prevalence", "specification"])
    rows = _option_rows(choices, pooled)
    if ax is None:
        # Not a constrained layout: it does not see the panel appended below, whose
        # labels need the room on the left.
        figure = plt.figure(figsize=(FIGURE_WIDTH, 2.6 + 0.17 * len(rows)))
        ax = figure.add_axes((0.26, 0.07, 0.72, 0.91))  # the panel takes its lower part
    x = np.arange(1, len(pooled) + 1)
    main = pooled["main"].to_numpy()
    segments = np.stack([np.column_stack([x, pooled["ci_low"]]),
                         np.column_stack([x, pooled["ci_high"]])], axis=1)
    ax.add_collection(LineCollection(segments, colors=[PALETTE[7]], linewidths=0.6,
                                     zorder=2))
    ax.scatter(x, pooled["prevalence"], s=4, color=PALETTE[0], zorder=3, linewidths=0)
    ax.scatter(x[main], pooled["prevalence"].to_numpy()[main], s=40, marker="D",
               color=PALETTE[3], edgecolor="black", linewidths=0.6, zorder=4,
               label="main analysis")
    ax.axhline(choices.below_percent, color="black", linestyle="--", linewidth=0.8,
               label=f"{choices.below_percent:g}%")
    ax.set_xlim(0.5, len(pooled) + 0.5)
    low = np.nanmin(pooled["ci_low"]) if len(pooled) else 0
    high = np.nanmax(pooled["ci_high"]) if len(pooled) else 1
    ax.set_ylim(max(0.0, low - 0.5), high + 0.5)
    ax.set_ylabel("pooled prevalence, %\n(95% CI)", fontsize=FONT)
    ax.tick_params(labelsize=FONT, labelbottom=False)
    ax.legend(fontsize=FONT, frameon=False, loc="upper left")
    ax.grid(axis="y", linewidth=0.3, alpha=0.5)

    divider = make_axes_locatable(ax)
    panel = divider.append_axes("bottom", size=f"{max(60, 12 * len(rows))}%", pad=0.08,
                                sharex=ax)
    dense = len(pooled) > MAX_MARKED
    for i, (name, label, mask) in enumerate(rows):
        colour = PALETTE[list(choices.names).index(name) % len(PALETTE)]
        if dense:
            panel.vlines(x[mask], i - 0.35, i + 0.35, colors=[colour], linewidth=0.4)
        else:
            panel.scatter(x[mask], np.full(mask.sum(), i), s=5, marker="s", color=colour,
                          linewidths=0)
    panel.set_yticks(range(len(rows)))
    panel.set_yticklabels([f"{name.replace('_', ' ')}: {label}" for name, label, _ in rows],
                          fontsize=FONT)
    panel.set_ylim(len(rows) - 0.5, -0.5)
    panel.set_xlabel("specification, sorted by estimate", fontsize=FONT)
    panel.tick_params(labelsize=FONT)
    for boundary in np.flatnonzero([a[0] != b[0] for a, b in zip(rows, rows[1:])]):
        panel.axhline(boundary + 0.5, color=PALETTE[7], linewidth=0.4)
    if main.any():
        panel.axvline(x[main][0], color=PALETTE[3], linewidth=0.8, alpha=0.6)
    return ax
