"""Figures of the Sample characteristics chapter."""

from __future__ import annotations

import pandas as pd

from analysis.contract.package import DataPackage
from analysis.plots import HATCHES, MARKERS, PALETTE, axes_or_new


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
    hatching each)."""
    ax = axes_or_new(ax)
    papers = package["studies"]
    labels = package.categories("studies", "setting")
    counts = (pd.crosstab(papers["year"], papers["setting"])
              .reindex(columns=list(labels), fill_value=0)
              .reindex(range(int(papers["year"].min()), int(papers["year"].max()) + 1),
                       fill_value=0))
    bottom = pd.Series(0, index=counts.index)
    for i, (setting, label) in enumerate(labels.items()):
        ax.bar(counts.index, counts[setting], bottom=bottom, color=PALETTE[i % len(PALETTE)],
               hatch=HATCHES[i % len(HATCHES)], edgecolor="white", linewidth=0.4,
               label=label, width=0.8)
        bottom = bottom + counts[setting]
    ax.set_xlabel("Year of publication")
    ax.set_ylabel("Papers")
    for axis in (ax.xaxis, ax.yaxis):  # whole years, whole papers
        axis.get_major_locator().set_params(integer=True)
    # Beside the bars, not over them: the tallest year would hide under the legend.
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    return ax
