"""Figures of the Theme frequencies, Sub-themes of the interviews and Saturation chapters.

Each function draws what a table of :mod:`analysis.stats.themes` or :mod:`analysis.stats.saturation`
already holds; none computes a statistic of its own.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap

from analysis.plots import PALETTE, axes_or_new
from analysis.stats.themes import BANDS, THEME_LEVEL, ThemeSupport

# Sequential blues for counts, with white for zero so that "no support" stands out.
_BLUES = plt.get_cmap("Blues")


def _support_colours(max_value: int):
    """White for 0, then evenly spaced blues for 1..max_value."""
    levels = max(1, int(max_value))
    colours = [(1, 1, 1, 1)] + [_BLUES(0.25 + 0.75 * i / max(1, levels - 1))
                                for i in range(levels)]
    return ListedColormap(colours)


MAX_NAMED_ROWS = 120  # rows beyond this are drawn but not labelled one by one
MAX_HEIGHT = 16.0  # inches; taller figures are unreadable on a page


def _height(n_rows: int, per_row: float) -> float:
    """Figure height for a matrix of ``n_rows``: a fixed height per row, capped."""
    return min(MAX_HEIGHT, max(3.0, per_row * n_rows + 1.5))


def _excerpt_heatmap(matrix: pd.DataFrame, framework: pd.DataFrame, ax, row_label: str,
                     names: bool = False, bar_label: str = "Excerpts coded"):
    values = matrix.to_numpy()
    vmax = int(values.max()) if values.size else 1
    image = ax.imshow(values, aspect="auto", interpolation="nearest",
                      cmap=_support_colours(vmax), vmin=-0.5, vmax=vmax + 0.5)
    if names:  # few columns: name the sub-themes, wrapped under each column
        name = framework.set_index("subtheme_id")["subtheme"]
        ax.set_xticks(range(matrix.shape[1]),
                      [textwrap.fill(f"{c} {name[c]}", 14) for c in matrix.columns],
                      fontsize="small")
    else:
        ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=90, fontsize="small")
    if matrix.shape[0] <= MAX_NAMED_ROWS:
        ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize="x-small")
    else:  # thousands of row names are unreadable and slow to lay out
        ax.set_yticks([])
    ax.set_ylabel(row_label)
    # A framework reported at theme level (each row its theme's own) has theme columns.
    ax.set_xlabel("Theme" if (framework["subtheme_id"] == framework["theme_id"]).all()
                  else "Sub-theme")
    theme_of = framework.set_index("subtheme_id")["theme_id"].reindex(matrix.columns)
    edges = np.flatnonzero(theme_of.to_numpy()[1:] != theme_of.to_numpy()[:-1]) + 0.5
    for x in edges:
        ax.axvline(x, color="0.3", linewidth=0.8)
    starts = np.r_[-0.5, edges]
    ends = np.r_[edges, matrix.shape[1] - 0.5]
    for start, end, theme in zip(starts, ends, pd.unique(theme_of)):
        ax.text((start + end) / 2, -1, theme, ha="center", va="bottom", fontsize="small",
                fontweight="bold")
    ax.tick_params(length=0)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(bar_label)
    bar.locator = plt.MaxNLocator(integer=True)
    bar.update_ticks()
    return ax


def support_heatmap(support: ThemeSupport, ax=None):
    """Paper x sub-theme matrix: excerpts per cell, white where a paper gives no support.

    Papers are grouped by quality band (high first); a horizontal line separates the
    bands and the band is named on the right.
    """
    units = support.units
    rank = units["band"].map({b: i for i, b in enumerate(BANDS)}).fillna(len(BANDS))
    order = units.assign(rank=rank).sort_values(["rank"], kind="stable").index
    matrix = support.excerpts.loc[order]
    ax = axes_or_new(ax, figsize=(7.5, _height(len(matrix), 0.2)))
    # Without the excerpts reported, a cell says only whether the paper supports it.
    _excerpt_heatmap(matrix, support.framework, ax, "Paper",
                     bar_label="Excerpts coded" if support.excerpts_reported else "Supports")
    bands = units.loc[order, "band"].to_numpy()
    breaks = np.flatnonzero(bands[1:] != bands[:-1]) + 0.5
    for y in breaks:
        ax.axhline(y, color="black", linewidth=1.2)
    starts, ends = np.r_[-0.5, breaks], np.r_[breaks, len(bands) - 0.5]
    for start, end, band in zip(starts, ends, pd.unique(bands)):
        ax.text(matrix.shape[1] - 0.3, (start + end) / 2, f" {band}", va="center",
                ha="left", fontsize="small", rotation=90)
    return ax


def participant_heatmap(support: ThemeSupport, ax=None):
    """Participant x sub-theme matrix of the interview study, in interview order.

    Rows are numbered by their place in the interview order, not named by participant
    identifier: no figure of the book names a participant.
    """
    matrix = support.excerpts.set_axis(range(1, len(support.excerpts) + 1), axis=0)
    ax = axes_or_new(ax, figsize=(5, _height(len(matrix), 0.18)))
    return _excerpt_heatmap(matrix, support.framework, ax, "Participant (interview order)",
                            names=True)


def sensitivity_plot(table: pd.DataFrame, ax=None):
    """% of papers supporting each theme and sub-theme, all papers against those kept.

    Rows flagged after the exclusion are drawn in the second palette colour and marked
    with their flag.
    """
    n = len(table)
    ax = axes_or_new(ax, figsize=(7.5, 0.28 * n + 1.2))
    y = np.arange(n)[::-1]
    # "T1 any sub-theme" only where a theme has sub-themes to be counted across.
    theme_label = (table["theme_id"] + " " + THEME_LEVEL.lower()
                   if (table["level"] == "sub-theme").any() else table["theme_id"])
    labels = np.where(table["level"] == "theme", theme_label, "   " + table["subtheme_id"])
    flagged = (table["flag"] != "").to_numpy()
    ax.hlines(y, table["pct_all"], table["pct_kept"], color="0.6", linewidth=1.5, zorder=1)
    ax.scatter(table["pct_all"], y, color="0.55", s=22, zorder=2, label="All papers")
    ax.scatter(table["pct_kept"], y, s=30, zorder=3, label="Papers kept",
               color=[PALETTE[3] if f else PALETTE[0] for f in flagged])
    for yi, x, flag in zip(y, np.fmax(table["pct_kept"], table["pct_all"]), table["flag"]):
        if flag:
            ax.text(x + 2, yi, flag, va="center", fontsize="x-small", color=PALETTE[3])
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlim(0, 110)
    ax.set_xlabel("Papers supporting it (%)")
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    for yi, level in zip(y, table["level"]):
        if level == "theme":
            ax.axhline(yi + 0.5, color="0.9", linewidth=0.8, zorder=0)
    return ax


def saturation_curve(curve: pd.DataFrame, result=None, ax=None):
    """New codes per interview (bars) and the cumulative number of codes (line).

    With a :class:`analysis.stats.saturation.SaturationResult`, the base is shaded and the
    saturation point and its confirming run are marked.
    """
    ax = axes_or_new(ax)
    x = curve["interview"]
    if len(x) <= MAX_NAMED_ROWS:
        ax.bar(x, curve["n_new"], color=PALETTE[0], width=0.8, label="New codes in the interview")
    else:  # thousands of bar patches are slow to draw and merge into one area anyway
        ax.fill_between(x, curve["n_new"], step="mid", color=PALETTE[0],
                        label="New codes in the interview")
    # A marker per interview helps read a few dozen; thousands only thicken the line
    # (and the page: each marker is an element of the SVG).
    ax.plot(x, curve["cumulative"], color=PALETTE[1], markersize=3,
            marker="o" if len(x) <= MAX_NAMED_ROWS else None, label="Codes found so far")
    if result is not None:
        ax.axvspan(0.5, result.base_size + 0.5, color="0.9", zorder=0,
                   label=f"Base ({result.base_size} interviews)")
        if result.saturation_point is not None:
            s = result.saturation_point
            ax.axvspan(s + 0.5, s + result.run_length + 0.5, color=PALETTE[2], alpha=0.25,
                       zorder=0, label="Run that confirmed it")
            ax.axvline(s + 0.5, color=PALETTE[2], linestyle="--",
                       label=f"Saturation: {result.saturation_text}")
    ax.set_xlabel("Interview (in the order held)")
    ax.set_ylabel("Codes")
    ax.set_xlim(0.5, len(curve) + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def saturation_orders(orders, observed=None, ax=None):
    """How many random interview orders saturate at each point (bars).

    The interview order actually held is marked when ``observed`` (a
    :class:`analysis.stats.saturation.SaturationResult`) is given; orders that never
    saturate are counted in a separate bar at the right.
    """
    ax = axes_or_new(ax)
    dist = orders.distribution
    reached = dist[dist["saturation_point"] != "not reached"]
    points = reached["saturation_point"].astype(int)
    ax.bar(points, reached["n_orders"], color=PALETTE[0], width=0.8,
           label=f"{orders.n_orders} random orders (seed {orders.seed})")
    missing = dist.loc[dist["saturation_point"] == "not reached", "n_orders"]
    right = (int(points.max()) if len(points) else orders.base_size) + 2
    if len(missing):
        ax.bar([right], missing, color="0.6", width=0.8, label="Not reached")
    if observed is not None and observed.saturation_point is not None:
        ax.axvline(observed.saturation_point, color=PALETTE[2], linestyle="--",
                   label=f"Order held: {observed.saturation_text}")
    ticks = [t for t in ax.get_xticks() if orders.base_size <= t < right - 1]
    ax.set_xticks(ticks + ([right] if len(missing) else []),
                  [f"{t:g}" for t in ticks] + (["not\nreached"] if len(missing) else []))
    ax.set_xlabel("Saturation point (interviews before the confirming run)")
    ax.set_ylabel("Random orders")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    return ax
