"""The figures of the Multiverse page: the specification curve and the support of each theme.

The curve follows Simonsohn, Simmons and Nelson (2020, figure 2): the estimate of every
specification, sorted, with its confidence interval, and beneath it a panel that marks
which option of each choice produced it. The themes' figure is its counterpart for a
yes-or-no result: a theme is supported or not in each specification.

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
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle
from mpl_toolkits.axes_grid1 import make_axes_locatable

from analysis.contract.choices import NONE, Choices
from analysis.plots import PALETTE
from analysis.stats.multiverse import OK

FONT = 8
FIGURE_WIDTH = 7.4
MAX_MARKED = 400  # beyond this many specifications the indicator panel draws bars, not dots
# The hundreds of intervals, dots and marks are drawn as one embedded image at this
# resolution; the axes, labels and the main analysis stay vector text and shapes. As
# vectors they made the page's heaviest file (over 600 KB) for marks a reader sees as
# a texture; rastered they are a tenth of that, sharp on a screen of twice the density.
RASTER_DPI = 200


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
        figure = plt.figure(figsize=(FIGURE_WIDTH, 2.6 + 0.17 * len(rows)), dpi=RASTER_DPI)
        ax = figure.add_axes((0.26, 0.09, 0.72, 0.89))  # the panel takes its lower part
    x = np.arange(1, len(pooled) + 1)
    main = pooled["main"].to_numpy()
    segments = np.stack([np.column_stack([x, pooled["ci_low"]]),
                         np.column_stack([x, pooled["ci_high"]])], axis=1)
    ax.add_collection(LineCollection(segments, colors=[PALETTE[7]], linewidths=0.6,
                                     zorder=2, rasterized=True))
    ax.scatter(x, pooled["prevalence"], s=4, color=PALETTE[0], zorder=3, linewidths=0,
               rasterized=True)
    ax.scatter(x[main], pooled["prevalence"].to_numpy()[main], s=40, marker="D",
               color=PALETTE[3], edgecolor="black", linewidths=0.6, zorder=4,
               label="main analysis")
    if choices.below_percent is not None:  # no threshold declared: no line
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
            # The marks as one collection of plain segments: what ``vlines`` draws, without
            # the masked arrays it builds a path from, mark by mark.
            taken = x[mask]
            panel.add_collection(LineCollection(
                np.stack([np.column_stack([taken, np.full(taken.size, i - 0.35)]),
                          np.column_stack([taken, np.full(taken.size, i + 0.35)])], axis=1),
                colors=[colour], linewidths=0.4, rasterized=True))
        else:
            panel.scatter(x[mask], np.full(mask.sum(), i), s=5, marker="s", color=colour,
                          linewidths=0, rasterized=True)
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


def theme_support(table: pd.DataFrame, ax=None):
    """Which themes each theme specification supports, the main analysis outlined.

    Parameters
    ----------
    table : DataFrame
        The tidy theme multiverse (:func:`analysis.stats.multiverse_themes.table`): one
        row per specification and theme.
    ax : Axes, optional

    Returns
    -------
    Axes
        Themes (rows, in framework order) x specifications (columns, sorted by how many
        themes they support, then by number); a filled cell is a supported theme. The
        main analysis's column is outlined, and each row ends with the share of
        specifications that support the theme.
    """
    wide = table.pivot_table(index="theme_id", columns="specification", values="supported",
                             aggfunc="first", sort=False).astype(bool)
    order = sorted(wide.columns, key=lambda c: (-int(wide[c].sum()), c))
    wide = wide[order]
    names = table.drop_duplicates("theme_id").set_index("theme_id")["theme"]
    main_specs = table.loc[table["main"], "specification"].unique()
    if ax is None:
        _, ax = plt.subplots(figsize=(FIGURE_WIDTH, 0.9 + 0.3 * len(wide)),
                             layout="constrained")
    ax.imshow(wide.to_numpy(dtype=float), aspect="auto", interpolation="nearest",
              cmap=ListedColormap(["white", PALETTE[0]]), vmin=0, vmax=1)
    ax.set_yticks(range(len(wide)))
    ax.set_yticklabels([_short(f"{t} {names[t]}") for t in wide.index], fontsize=FONT)
    ax.set_xticks([])
    ax.set_xlabel(f"{len(order):,} specifications, sorted by the number of themes they "
                  "support", fontsize=FONT)
    for spec in main_specs:
        x = order.index(spec)
        ax.add_patch(Rectangle((x - 0.5, -0.5), 1, len(wide), fill=False,
                               edgecolor=PALETTE[3], linewidth=1.6, label="main analysis"))
    for i, share in enumerate(100 * wide.mean(axis=1)):
        ax.annotate(f"{share:.0f}%", (1.01, 1 - (i + 0.5) / len(wide)),
                    xycoords="axes fraction", va="center", fontsize=FONT)
    for y in np.arange(0.5, len(wide) - 1):
        ax.axhline(y, color=PALETTE[7], linewidth=0.3)
    if len(main_specs):
        ax.legend(fontsize=FONT, frameon=False, loc="lower left", bbox_to_anchor=(0, 1),
                  borderaxespad=0.2)
    return ax


def _short(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[:width - 1].rstrip() + "…"
