"""Figures of the Appraisal and Quality bands chapters, in the manner of robvis.

robvis (McGuinness and Higgins 2021) draws risk-of-bias assessments as a traffic-light
grid (study x domain) and a summary bar (share of each judgement per domain); it has no
CASP template and is R only. These functions draw the same two figures for any checklist
in ``analysis/appraisal_tools.json``, plus the agreement between reviewers per item.

The three answers keep the traffic-light order (green, yellow, vermillion) but in the
colour-blind-safe shades of the book's palette (Okabe and Ito's bluish green, yellow and
vermillion), and every cell also carries a glyph (+ ? -) wherever cells are large enough
to hold one, so colour is never the only cue.

References
----------
McGuinness LA, Higgins JPT (2021). Risk-of-bias VISualization (robvis): an R package and
Shiny web app for visualizing risk-of-bias assessments. Research Synthesis Methods
12:55-61.
"""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from analysis.contract.package import category_labels
from analysis.plots import PALETTE, axes_or_new
from analysis.stats.quality import (
    ALL_ITEMS,
    BAND_LABELS,
    BANDS,
    LANDIS_KOCH,
    AppraisalTool,
    load_tool,
)

ANSWER_COLOURS = {"yes": PALETTE[2], "cant_tell": PALETTE[8], "no": PALETTE[3]}
BAND_COLOURS = {"high": PALETTE[2], "moderate": PALETTE[8], "low": PALETTE[3]}
GLYPHS = {"yes": "+", "cant_tell": "?", "no": "\u2212"}
BAND_GLYPHS = {"high": "H", "moderate": "M", "low": "L"}
# Dark text on the light yellow, white on the darker green and vermillion.
TEXT_ON = {"yes": "white", "cant_tell": "black", "no": "white"}
MAX_LABELLED = 60  # above this many papers, cells are too small for labels and glyphs
# An answer that does not apply (JBI's Not applicable) is neither good nor bad: grey, "/".
NOT_APPLICABLE_STYLE = ("#c8c8c8", "/", "black")
# Which band shares the colour of an answer of each kind (legend: "+ Yes / H High").
BAND_OF = {"yes": "high", "cant_tell": "moderate", "no": "low"}


def answer_styles(tool: AppraisalTool) -> dict[str, tuple[str, str, str]]:
    """Each answer code of a tool with its colour, glyph and text colour, by what it
    counts as (:meth:`AppraisalTool.banding_answers`): a favourable answer (CASP's and
    JBI's Yes) green "+", an uncertain one (Can't tell, Unclear) yellow "?", an
    unfavourable one red "-", and one that does not apply grey "/"."""
    styles = {}
    counted = tool.banding_answers() or {a: a for a in tool.answers}
    for code in tool.answers:
        as_code = counted.get(code, code)
        styles[code] = ((ANSWER_COLOURS[as_code], GLYPHS[as_code], TEXT_ON[as_code])
                        if as_code in ANSWER_COLOURS else NOT_APPLICABLE_STYLE)
    return styles


def _tint(colour, strength: float = 0.35) -> str:
    rgb = np.array(mcolors.to_rgb(colour))
    return mcolors.to_hex(1 - strength * (1 - rgb))


def cell_tints(tool: AppraisalTool | None = None) -> dict[str, str]:
    """Light versions of the answer and band colours, keyed by display label, for
    tinting table cells (the answers of ``tool``, CASP's when not given)."""
    if tool is None:
        answers = category_labels("casp_ratings", "rating")
        tints = {answers[a]: _tint(c) for a, c in ANSWER_COLOURS.items()}
    else:
        labels = tool.answer_labels()
        tints = {labels[a]: _tint(style[0]) for a, style in answer_styles(tool).items()}
    tints.update({BAND_LABELS[b]: _tint(c) for b, c in BAND_COLOURS.items()})
    return tints


def _rgb_cells(values: np.ndarray, colours: dict[str, str]) -> np.ndarray:
    """RGB of each cell, by looking each distinct value's colour up once.

    A scaled-up review has tens of thousands of cells; converting a colour name per
    cell was the slowest step of drawing the grid.
    """
    keys = list(colours)
    codes = pd.Categorical(values.ravel(), categories=keys).codes
    if (codes < 0).any():
        unknown = sorted({str(v) for v in values.ravel() if v not in colours})
        raise KeyError(f"no colour for {', '.join(unknown)}")
    table = np.array([mcolors.to_rgb(colours[key]) for key in keys])
    return table[codes].reshape(*values.shape, 3)


def _order(answers: pd.DataFrame, bands: pd.Series | None) -> pd.Index:
    """Papers ordered by band (high first), then by identifier."""
    if bands is None:
        return answers.index
    rank = bands.reindex(answers.index).map({b: i for i, b in enumerate(BANDS)})
    return pd.DataFrame({"rank": rank, "id": answers.index}).sort_values(["rank", "id"]).index


def traffic_light(answers: pd.DataFrame, bands: pd.Series | None = None,
                  tool: AppraisalTool | None = None, labels: pd.Series | None = None,
                  ax=None):
    """Traffic-light grid: one row per paper, one column per item, and the band.

    Parameters
    ----------
    answers : DataFrame
        Answer codes, papers in rows (``study_id``) and item numbers in columns
        (:func:`analysis.stats.quality.answers_wide`).
    bands : Series, optional
        Band of each paper (index ``study_id``); adds a "Band" column and orders the
        papers by band, then identifier.
    tool : AppraisalTool, optional
        The checklist (CASP by default), for the item codes and answer order.
    labels : Series, optional
        Row labels by ``study_id`` (e.g. :func:`analysis.stats.quality.paper_labels`); used
        while papers are few enough to be labelled one by one.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    tool = tool or load_tool()
    order = _order(answers, bands)
    grid = answers.loc[order]
    n, k = grid.shape
    few = n <= MAX_LABELLED
    ax = axes_or_new(ax, figsize=(7.5, min(max(0.24 * n + 1.8, 3.5), 13)))
    styles = answer_styles(tool)
    colours = _rgb_cells(grid.to_numpy(), {a: style[0] for a, style in styles.items()})
    columns = list(grid.columns)
    ticks = [tool.codes()[i] for i in columns]
    if bands is not None:
        band = bands.reindex(order).to_numpy()
        gap = np.ones((n, 1, 3))  # white spacer between the items and the band
        colours = np.concatenate(
            [colours, gap, _rgb_cells(band.reshape(-1, 1), BAND_COLOURS)], axis=1)
    ax.imshow(colours, aspect="auto", interpolation="nearest",
              extent=(-0.5, colours.shape[1] - 0.5, n - 0.5, -0.5))
    xticks = list(range(k)) + ([k + 1] if bands is not None else [])
    ax.set_xticks(xticks, ticks + (["Band"] if bands is not None else []))
    ax.xaxis.tick_top()
    ax.tick_params(axis="x", length=0, labelsize="small")
    if few:
        # White lines between cells, as robvis separates its circles.
        ax.vlines(np.arange(-0.5, colours.shape[1], 1.0), -0.5, n - 0.5, color="white",
                  linewidth=1.5)
        ax.hlines(np.arange(-0.5, n, 1.0), -0.5, colours.shape[1] - 0.5, color="white",
                  linewidth=1.5)
        # Glyphs as markers: one collection per answer draws far faster than a text per cell.
        rows, cols = np.indices(grid.shape)
        cells = [(styles[a][1], styles[a][2], cols[grid.to_numpy() == a],
                  rows[grid.to_numpy() == a]) for a in tool.answers]
        if bands is not None:
            for shown_as, b in BAND_OF.items():
                at = np.flatnonzero(band == b)
                cells.append((BAND_GLYPHS[b], TEXT_ON[shown_as], np.full(len(at), k + 1), at))
        for glyph, colour, xs, ys in cells:
            # mathtext markers; "-" (not the minus sign of the legend) is mathtext's minus.
            mark = "-" if glyph == GLYPHS["no"] else glyph
            with plt.rc_context({"text.parse_math": True}):  # the glyph is ours, not data
                ax.scatter(xs, ys, marker=rf"$\mathbf{{{mark}}}$", s=45, color=colour,
                           linewidths=0)
        names = labels.reindex(order).fillna(pd.Series(order, index=order)) if labels is not None \
            else pd.Series(order, index=order)
        ax.set_yticks(range(n), list(names), fontsize="small")
    else:
        step = math.ceil(n / 30)
        ax.set_yticks(range(0, n, step), list(order[::step]), fontsize="x-small")
        ax.set_ylabel(f"{n} papers" + (", ordered by band" if bands is not None else ""))
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    answer_labels = tool.answer_labels()
    # Each band beside the first answer of its colour ("+ Yes / H High").
    counted = tool.banding_answers() or {a: a for a in tool.answers}
    band_of: dict[str, str] = {}
    for a in tool.answers:
        b = BAND_OF.get(counted.get(a, a))
        if b and b not in band_of.values():
            band_of[a] = b
    handles = [Patch(facecolor=styles[a][0], edgecolor="none",
                     label=f"{styles[a][1]} {answer_labels[a]}"
                           + (f" / {BAND_GLYPHS[band_of[a]]} {BAND_LABELS[band_of[a]]}"
                              if bands is not None and a in band_of else ""))
               for a in tool.answers]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0),
              ncol=min(len(handles), 4),
              frameon=False, fontsize="small", handlelength=1.2,
              title="Answer / band" if bands is not None else "Answer",
              title_fontsize="small")
    return ax


def summary_bar(answers: pd.DataFrame, bands: pd.Series | None = None,
                tool: AppraisalTool | None = None, ax=None):
    """Share of papers answered Yes / Can't tell / No on each item, and of each band.

    The length of every bar is 100% of the papers, so the figure reads the same for 29
    papers as for 300.

    Parameters
    ----------
    answers : DataFrame
        Answer codes, papers in rows and item numbers in columns.
    bands : Series, optional
        Band of each paper; adds an "Overall band" bar below the items.
    tool : AppraisalTool, optional
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    tool = tool or load_tool()
    n_rows = answers.shape[1] + (1 if bands is not None else 0)
    ax = axes_or_new(ax, figsize=(7.5, 0.36 * n_rows + 1.6))
    shares = pd.DataFrame({i: answers[i].value_counts(normalize=True)
                           for i in answers.columns}).T.reindex(columns=list(tool.answers),
                                                                fill_value=0).fillna(0) * 100
    item_labels = tool.labels()
    rows = [(item_labels[i], list(zip(tool.answers, shares.loc[i]))) for i in shares.index]
    if bands is not None:
        share = bands.value_counts(normalize=True).reindex(list(BANDS), fill_value=0) * 100
        rows.append(("Overall band", list(zip(BANDS, share))))
    answer_labels = tool.answer_labels()
    styles = answer_styles(tool)
    band_text = {b: TEXT_ON[a] for a, b in BAND_OF.items()}
    for y, (label, parts) in enumerate(rows):
        left = 0.0
        overall = label == "Overall band" and bands is not None and y == len(rows) - 1
        for key, width in parts:
            colour = BAND_COLOURS[key] if overall else styles[key][0]
            ax.barh(y, width, left=left, color=colour, edgecolor="white", linewidth=0.8,
                    height=0.75)
            if width >= 7:
                word = f"{BAND_LABELS[key]} " if overall else ""
                ax.text(left + width / 2, y, f"{word}{width:.0f}%", ha="center", va="center",
                        fontsize="x-small",
                        color=band_text[key] if overall else styles[key][2])
            left += width
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize="small")
    ax.invert_yaxis()
    if bands is not None:
        ax.axhline(len(rows) - 1.5, color="0.4", linewidth=0.8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of papers (n = {len(answers)})")
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=styles[a][0], label=answer_labels[a]) for a in tool.answers]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=min(len(handles), 4),
              frameon=False, fontsize="small")
    return ax


def kappa_by_item(table: pd.DataFrame, ax=None):
    """Kappa with its 95% CI for each item and over all items.

    Parameters
    ----------
    table : DataFrame
        ``Agreement.table`` from :func:`analysis.stats.quality.agreement` (index "Q1" ...
        "All items").
    ax : Axes, optional

    Returns
    -------
    Axes
        Items whose kappa is undefined are written "undefined" at 0; the Landis and
        Koch (1977) benchmarks are marked along the top.
    """
    ax = axes_or_new(ax, figsize=(7.5, 0.34 * len(table) + 1.4))
    colour = PALETTE[0]
    for y, (item, row) in enumerate(table.iterrows()):
        overall = item == ALL_ITEMS
        if not math.isfinite(row["kappa"]):
            ax.text(0, y, "undefined", ha="left", va="center", fontsize="x-small", color="0.3")
            continue
        if math.isfinite(row["ci_low"]):
            ax.plot([max(row["ci_low"], -1), min(row["ci_high"], 1)], [y, y], color=colour,
                    linewidth=2.5 if overall else 1.5, solid_capstyle="butt")
        ax.plot(row["kappa"], y, marker="D" if overall else "o", color=colour,
                markersize=7 if overall else 5,
                markerfacecolor=colour if math.isfinite(row["ci_low"]) else "white")
    labels = [f"{i} {lab}".strip() for i, lab in zip(table.index, table["label"])]
    ax.set_yticks(range(len(table)), labels, fontsize="small")
    if len(table):
        ax.get_yticklabels()[-1].set_fontweight("bold")
        ax.axhline(len(table) - 1.5, color="0.6", linewidth=0.6)
    ax.invert_yaxis()
    low = np.nanmin(np.r_[table["ci_low"].to_numpy(float), table["kappa"].to_numpy(float), 0])
    ax.set_xlim(min(-0.4, max(low, -1) - 0.05), 1.02)
    ax.axvline(0, color="0.3", linewidth=0.8)
    bounds = [0.0] + [upper for upper, _ in LANDIS_KOCH]
    for b in bounds[1:-1]:
        ax.axvline(b, color="0.75", linewidth=0.6, linestyle=":")
    left = ax.get_xlim()[0]
    top = ax.secondary_xaxis("top")
    top.set_xticks([left / 2] + [(a + b) / 2 for a, b in zip(bounds[:-1], bounds[1:])],
                   ["poor"] + [label for _, label in LANDIS_KOCH], fontsize="x-small")
    top.tick_params(length=0)
    ax.set_xlabel("Kappa (95% CI); hollow marker: no interval")
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax
