"""The PRISMA 2020 flow diagram of the Search and selection chapter.

The layout follows the PRISMA 2020 template for new reviews that searched databases
and other sources: the main path down the left (identified, screened, assessed,
included), the records taken out at each step on the right, and the phase of the
review in a band at the far left. Counts come from :class:`analysis.stats.prisma.PrismaFlow`.
"""

from __future__ import annotations

from matplotlib.patches import FancyBboxPatch

from analysis.plots import PALETTE, axes_or_new
from analysis.stats.prisma import PrismaFlow

MAX_LISTED = 8  # sources or reasons listed in one box; the rest are summed in one line
NAME_CHARS = 44
LINE_INCHES = 0.19
FONT_SIZE = 8


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "…"


def listed(items, noun: str) -> list[str]:
    """Lines naming each (name, n), at most ``MAX_LISTED``; the rest summed in one line."""
    items = [(str(name), int(n)) for name, n in items]
    lines = [f"{_short(name)} (n = {n:,})" for name, n in items[:MAX_LISTED]]
    rest = items[MAX_LISTED:]
    if rest:
        lines.append(f"{len(rest):,} other {noun} (n = {sum(n for _, n in rest):,})")
    return lines


def flow_boxes(flow: PrismaFlow) -> list[tuple[str, list[str], list[str]]]:
    """The rows of the diagram: (phase, lines of the main box, lines of the side box)."""
    return [
        ("Identification",
         [f"Records identified from {flow.n_sources:,} sources (n = {flow.n_identified:,}):",
          *listed(flow.identified.itertuples(index=False), "sources")],
         ["Records removed before screening:",
          f"duplicate records (n = {flow.n_duplicates_removed:,})"]),
        ("Screening",
         ["Records screened", f"(n = {flow.n_screened:,})"],
         ["Records excluded on title and abstract", f"(n = {flow.n_excluded_title_abstract:,})"]),
        ("Screening",
         ["Full texts assessed for eligibility", f"(n = {flow.n_full_text_assessed:,})"],
         [f"Full texts excluded (n = {flow.n_excluded_full_text:,}):",
          *listed(flow.exclusion_reasons.itertuples(index=False), "reasons")]),
        ("Included",
         [f"Studies included in the review (n = {flow.n_distinct_studies:,})",
          f"Reports (papers) of included studies (n = {flow.n_included_papers:,})"],
         []),
    ]


def _box(ax, x0: float, y_top: float, width: float, height: float, lines: list[str],
         colour, align: str = "center") -> None:
    ax.add_patch(FancyBboxPatch((x0, y_top - height), width, height,
                                boxstyle="round,pad=0,rounding_size=0.08", linewidth=0.8,
                                edgecolor="0.25", facecolor=colour))
    x = x0 + width / 2 if align == "center" else x0 + 0.12
    ax.text(x, y_top - height / 2, "\n".join(lines), ha=align, va="center",
            fontsize=FONT_SIZE, linespacing=1.25)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "0.25", "lw": 0.9,
                            "shrinkA": 0, "shrinkB": 0})


def flow_diagram(flow: PrismaFlow, ax=None):
    """Draw the PRISMA 2020 flow diagram of a review.

    Parameters
    ----------
    flow : PrismaFlow
        The counts, from :func:`analysis.stats.prisma.prisma_flow`.
    ax : Axes, optional
        Drawn on a new figure sized to the number of lines when not given.

    Returns
    -------
    Axes
    """
    rows = flow_boxes(flow)
    heights = [max(len(main), len(side)) * 0.75 + 0.9 for _, main, side in rows]
    gap = 1.0
    # A phase band must be tall enough for its rotated name.
    for i, (phase, _, _) in enumerate(rows):
        alone = all(other != phase for j, (other, _, _) in enumerate(rows) if j != i)
        if alone:
            heights[i] = max(heights[i], 0.42 * len(phase) + 0.6)
    total = sum(heights) + gap * (len(rows) - 1)
    ax = axes_or_new(ax, figsize=(8, max(2.5, total * LINE_INCHES)))
    main_x, main_w, side_x, side_w = 0.9, 4.4, 5.9, 4.1
    y = total
    tops = []
    for (phase, main, side), height in zip(rows, heights):
        tops.append((y, height))
        _box(ax, main_x, y, main_w, height, main, "white")
        if side:
            _box(ax, side_x, y, side_w, height, side, "0.96",
                 align="left" if len(side) > 2 else "center")
            _arrow(ax, (main_x + main_w, y - height / 2), (side_x, y - height / 2))
        y -= height + gap
    for (upper, h_upper), (lower, _) in zip(tops, tops[1:]):
        _arrow(ax, (main_x + main_w / 2, upper - h_upper), (main_x + main_w / 2, lower))
    # The phase bands: consecutive rows of one phase share a band.
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] != rows[start][0]:
            top = tops[start][0]
            bottom = tops[i - 1][0] - tops[i - 1][1]
            ax.add_patch(FancyBboxPatch((0.05, bottom), 0.6, top - bottom,
                                        boxstyle="round,pad=0,rounding_size=0.08",
                                        linewidth=0, facecolor=PALETTE[9]))
            ax.text(0.35, (top + bottom) / 2, rows[start][0], rotation=90, ha="center",
                    va="center", fontsize=FONT_SIZE + 1, fontweight="bold")
            start = i
    ax.set_xlim(0, 10.1)
    ax.set_ylim(-0.1, total + 0.1)
    ax.set_axis_off()
    return ax
