"""Figures of the Sample characteristics chapter."""

from __future__ import annotations

import pandas as pd

from analysis.contract.package import DataPackage
from analysis.plots import HATCHES, MARKERS, PALETTE, axes_or_new

# The key under which papers that do not report a category are stacked.
NOT_REPORTED = "\x00not reported"


def interview_timeline(package: DataPackage, ax=None):
    """Interview dates against length, by mode (a colour and a marker each), with any
    suspension shaded."""
    ax = axes_or_new(ax)
    people = package["participants"]
    labels = package.categories("participants", "interview_mode")
    for i, (mode, label) in enumerate(labels.items()):
        rows = people[people["interview_mode"] == mode]
        if len(rows):
            ax.scatter(rows["interview_date"], rows["duration_min"],
                       color=PALETTE[i % len(PALETTE)], marker=MARKERS[i % len(MARKERS)],
                       label=label, s=34, edgecolor="white", linewidth=0.5, zorder=3)
    for i, pause in enumerate(package.study.suspensions):
        # One legend entry for all the bands: the caption names each suspension.
        ax.axvspan(pd.Timestamp(pause.start), pd.Timestamp(pause.end), color="0.85",
                   zorder=1, label="Fieldwork suspended" if i == 0 else None)
    ax.set_xlabel("Interview date")
    ax.set_ylabel("Length (minutes)")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    ax.figure.autofmt_xdate()
    return ax


def papers_by_year(package: DataPackage, ax=None):
    """Included papers per publication year, stacked by setting (a colour and a
    hatching each).

    Papers whose year is not reported cannot be placed and are counted in the axis
    label; a paper whose setting is not reported is stacked as "Setting not reported".
    Without any reported year the axes say so instead of drawing bars.
    """
    ax = axes_or_new(ax)
    papers = package["studies"]
    years = pd.to_numeric(papers["year"], errors="coerce")
    dated = papers[years.notna()].assign(year=years[years.notna()].astype(int))
    unplaced = len(papers) - len(dated)
    if not len(dated):
        ax.text(0.5, 0.5, f"Year of publication not reported for any of the {len(papers)} "
                "papers", ha="center", va="center", transform=ax.transAxes, wrap=True)
        ax.set_axis_off()
        return ax
    labels = dict(package.categories("studies", "setting"))
    setting = dated["setting"].astype(object).where(
        dated["setting"].notna() & dated["setting"].astype(str).ne(""), NOT_REPORTED)
    if (setting == NOT_REPORTED).any():
        labels[NOT_REPORTED] = "Setting not reported"
    counts = (pd.crosstab(dated["year"], setting)
              .reindex(columns=list(labels), fill_value=0)
              .reindex(range(int(dated["year"].min()), int(dated["year"].max()) + 1),
                       fill_value=0))
    bottom = pd.Series(0, index=counts.index)
    for i, (code, label) in enumerate(labels.items()):
        ax.bar(counts.index, counts[code], bottom=bottom, color=PALETTE[i % len(PALETTE)],
               hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.4,
               label=label, width=0.8)
        bottom = bottom + counts[code]
    ax.set_xlabel("Year of publication" + (f" ({unplaced} of {len(papers)} papers not "
                                           "shown: year not reported)" if unplaced else ""))
    ax.set_ylabel("Papers")
    for axis in (ax.xaxis, ax.yaxis):  # whole years, whole papers
        axis.get_major_locator().set_params(integer=True)
    # Beside the bars, not over them: the tallest year would hide under the legend.
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    return ax
