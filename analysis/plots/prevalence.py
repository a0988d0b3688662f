"""Figures of the Prevalence context chapter."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.patches import Polygon
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from analysis.plots import PALETTE
from analysis.stats.prevalence import PooledPrevalence, SubgroupAnalysis

ROW_INCHES = 0.21  # one study row; 9-point text needs about this much
FONT = 9
FIGURE_WIDTH = 7.4  # about the book's text column, so text is shown near its point size
EDGE = 1e-4  # a logit axis cannot show 0 or 1; limits are drawn at the edge instead
TICKS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95]
# The plotting area takes the middle of a new figure; text columns sit either side of
# it, placed in fractions of the Axes width (so they follow an Axes passed in).
LEFT, RIGHT = 0.351, 0.745
COL_STUDY, COL_COUNTS, COL_ESTIMATE, COL_WEIGHT = -0.87, -0.017, 1.027, 1.629


def _p_label(p: float) -> str:
    """A p-value as the figure prints it ('< 0.001', '= 0.042')."""
    if not np.isfinite(p):
        return "not applicable"
    return "<\u00a00.001" if p < 0.001 else f"=\u00a0{p:.3f}"


def _pct_interval(p: float, low: float, high: float) -> str:
    return f"{100 * p:.1f} ({100 * low:.1f}–{100 * high:.1f})"


def _diamond(ax, pooled: PooledPrevalence, y: float, colour, height: float = 0.38) -> None:
    xs = np.clip([pooled.ci_low, pooled.prevalence, pooled.ci_high, pooled.prevalence],
                 EDGE, 1 - EDGE)
    ax.add_patch(Polygon(np.column_stack([xs, [y, y + height, y, y - height]]),
                         closed=True, facecolor=colour, edgecolor="black", linewidth=0.6,
                         zorder=4))


def _prediction_bar(ax, pooled: PooledPrevalence, y: float, colour) -> None:
    low, high = np.clip([pooled.pi_low, pooled.pi_high], EDGE, 1 - EDGE)
    ax.plot([low, high], [y, y], color=colour, linewidth=4, alpha=0.45,
            solid_capstyle="butt", zorder=3)
    ax.plot([pooled.prevalence] * 2, [y - 0.25, y + 0.25], color="black", linewidth=0.8,
            zorder=4)


MAX_STUDY_ROWS = 150  # beyond this a row per study is unreadable, and slow to draw


def square_weights(group: pd.DataFrame, studies: pd.DataFrame) -> np.ndarray:
    """The weight (%) a square's area stands for: its weight within its subgroup.

    A subgroup of one study has all of its subgroup's weight (100%), which would draw
    its square larger than any other; it is drawn at the median weight of the studies
    of the plot's larger subgroups instead (or as one of all the plot's studies when
    every subgroup has a single study), so a square never claims more precision than
    a study has.
    """
    weights = group["weight_percent"].to_numpy(float)
    if len(group) != 1:
        return weights
    sizes = studies.groupby("subgroup", sort=False)["weight_percent"].transform("size")
    others = studies.loc[sizes > 1, "weight_percent"]
    return np.array([float(others.median()) if len(others) else 100 / len(studies)])


def forest_plot(studies: pd.DataFrame, by_setting: SubgroupAnalysis, overall: PooledPrevalence,
                ax=None, max_studies: int = MAX_STUDY_ROWS):
    """Forest plot of every study, by setting (or by the column of the subgroup analysis
    given), with pooled and prediction intervals.

    Studies are grouped by the column of ``by_setting`` (its ``by``: the setting, a study
    design, a covariate) and sorted by prevalence within each group. Each study is a
    square (area proportional to its random-effects weight within its group) with its
    95% confidence interval; each group ends with its pooled estimate (diamond, whose
    width is the 95% confidence interval) and its 95% prediction interval (bar). The
    last rows pool all studies and give the test of subgroup differences. The x axis is
    on the logit scale, labelled in percent. The figure's height follows the number of
    rows, so that 60 or more studies stay legible.

    Parameters
    ----------
    studies : DataFrame
        One row per study (:func:`analysis.stats.prevalence.study_table` by the same
        column as ``by_setting``).
    by_setting : SubgroupAnalysis
        The pooled estimate of each group and the test between them
        (:func:`analysis.stats.prevalence.subgroups`); the groups are those of its
        column ``by`` (the setting in the bundled book), labelled as ``studies``'
        ``subgroup`` column labels them.
    overall : PooledPrevalence
        All studies pooled.
    ax : matplotlib Axes, optional
        Drawn on when given; otherwise a figure sized to the rows is created.
    max_studies : int
        With more studies than this, only the pooled rows are drawn and each setting
        says how many studies it pools (the study table keeps every study).

    Returns
    -------
    matplotlib Axes
    """
    groups = list(by_setting.pooled.items())
    each_study = len(studies) <= max_studies
    n_rows = (len(studies) if each_study else len(groups)) + 4 * len(groups) + 5
    if ax is None:
        # Fixed margins, not constrained layout: that ignores the text columns outside
        # the Axes, and a figure without a layout engine is drawn once, not twice.
        height = 1.0 + ROW_INCHES * n_rows
        figure = plt.figure(figsize=(FIGURE_WIDTH, height), layout=None)
        bottom, top = 0.6 / height, 1 - 0.4 / height
        ax = figure.add_axes((LEFT, bottom, RIGHT - LEFT, top - bottom))
    text = blended_transform_factory(ax.transAxes, ax.transData)
    small = dict(fontsize=FONT, transform=text, va="center")

    y = 0.0
    for colour, (value, pooled) in zip(PALETTE, groups):
        rows = studies[studies[by_setting.by] == value]
        label = rows["subgroup"].iloc[0]
        ax.text(COL_STUDY, y, f"{label} ({pooled.k} {'study' if pooled.k == 1 else 'studies'})",
                fontweight="bold", ha="left", **small)
        top = y
        if not each_study:
            y -= 1
            ax.text(COL_STUDY, y, f"{len(rows):,} studies, too many to draw one by one",
                    ha="left", fontstyle="italic", **small)
        shown = rows if each_study else rows.iloc[:0]
        ys = y - np.arange(1, len(shown) + 1)
        # One collection per setting for the intervals and one for the squares: a
        # separate artist per study makes a 60-study plot several times slower to draw.
        low, p, high = (np.clip(shown[c].to_numpy(float), EDGE, 1 - EDGE)
                        for c in ("ci_low", "prevalence", "ci_high"))
        ax.add_collection(LineCollection(
            [[(a, b), (c, b)] for a, b, c in zip(low, ys, high)], colors="0.25",
            linewidths=0.8, zorder=2), autolim=False)
        ax.scatter(p, ys, marker="s", s=8 + 9 * square_weights(shown, studies),
                   color=colour, edgecolor="black", linewidth=0.3, zorder=3)
        for row in shown.itertuples():
            y -= 1
            name = (row.study_name if "study_name" in shown
                    else f"{row.study_id}  {row.country}, {row.year}")
            ax.text(COL_STUDY, y, name, ha="left", **small)
            ax.text(COL_COUNTS, y, f"{row.cases:,}/{row.n:,}", ha="right", **small)
            ax.text(COL_ESTIMATE, y, _pct_interval(row.prevalence, row.ci_low, row.ci_high),
                    ha="left", **small)
            ax.text(COL_WEIGHT, y, f"{row.weight_percent:.1f}", ha="right", **small)
        y -= 1
        _diamond(ax, pooled, y, colour)
        ax.vlines(pooled.prevalence, y, top - 0.5, color=colour, linewidth=0.8,
                  linestyle=":", zorder=1)
        if pooled.k > 1:
            heterogeneity = (f"I² {pooled.i2_percent:.0f}%, τ² {pooled.tau2:.3f}, "
                             f"p(Q) {_p_label(pooled.q_p)}")
            ax.text(COL_STUDY, y, heterogeneity, ha="left", fontstyle="italic", **small)
        else:
            ax.text(COL_STUDY, y, "Single study: not pooled", ha="left", fontstyle="italic",
                    **small)
        ax.text(COL_ESTIMATE, y, _pct_interval(pooled.prevalence, pooled.ci_low,
                                               pooled.ci_high), ha="left", fontweight="bold",
                **small)
        ax.text(COL_WEIGHT, y, "100", ha="right", **small)
        if np.isfinite(pooled.pi_low):
            y -= 1
            _prediction_bar(ax, pooled, y, colour)
            ax.text(COL_STUDY, y, "95% prediction interval", ha="left", fontstyle="italic",
                    **small)
            ax.text(COL_ESTIMATE, y, f"({100 * pooled.pi_low:.1f}–{100 * pooled.pi_high:.1f})",
                    ha="left", **small)
        y -= 1.5

    every = "All settings" if len(groups) > 1 and by_setting.by == "setting" else "All studies"
    ax.text(COL_STUDY, y, f"{every} ({overall.k} {'study' if overall.k == 1 else 'studies'}; "
            "reference)", fontweight="bold", ha="left", **small)
    y -= 1
    _diamond(ax, overall, y, "0.6")
    if overall.k > 1:
        ax.text(COL_STUDY, y, f"I² {overall.i2_percent:.0f}%",
                ha="left", fontstyle="italic", **small)
    ax.text(COL_ESTIMATE, y, _pct_interval(overall.prevalence, overall.ci_low,
                                           overall.ci_high), ha="left", fontweight="bold",
            **small)
    if np.isfinite(overall.pi_low):
        y -= 1
        _prediction_bar(ax, overall, y, "0.4")
        ax.text(COL_STUDY, y, "95% prediction interval", ha="left", fontstyle="italic",
                **small)
        ax.text(COL_ESTIMATE, y, f"({100 * overall.pi_low:.1f}–{100 * overall.pi_high:.1f})",
                ha="left", **small)
    sub = by_setting
    if sub.df_between:
        y -= 1.2
        ax.text(COL_STUDY, y, f"Test for subgroup differences: Q = {sub.q_between:.1f}, "
                f"df = {sub.df_between}, p {_p_label(sub.p_between)}", ha="left", **small)

    header = dict(fontsize=FONT, transform=text, va="bottom", fontweight="bold")
    ax.text(COL_STUDY, 1.0, "Study, country, year", ha="left", **header)
    ax.text(COL_COUNTS, 1.0, "Cases/n", ha="right", **header)
    ax.text(COL_ESTIMATE, 1.0, "% (95% CI)", ha="left", **header)
    ax.text(COL_WEIGHT, 1.0, "Weight %", ha="right", **header)

    values = np.concatenate([studies["ci_low"], studies["ci_high"],
                             [overall.pi_low, overall.pi_high]])
    values = values[np.isfinite(values)]
    low = max(EDGE, min(values.min(), 0.01) * 0.8)
    high = min(1 - EDGE, 1 - (1 - max(values.max(), 0.5)) * 0.8)
    ax.set_xscale("logit", nonpositive="clip")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator([t for t in TICKS if low <= t <= high]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}"))
    ax.set_xlabel("Prevalence, % (logit scale)")
    ax.set_ylim(y - 0.8, 1.6)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="0.92", linewidth=0.6, zorder=0)
    return ax
