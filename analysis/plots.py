"""Figures of the book.

Each function draws on the Axes it is given (a new one when ``ax`` is None) and
returns that Axes; the statistics come from the analysis modules, so a plot never
computes what a table does not also show. One colour-blind-safe palette
(seaborn's ``colorblind``, after Okabe and Ito) is used throughout.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from analysis.datapackage import DataPackage, category_labels

PALETTE = sns.color_palette("colorblind")


def _axes(ax, figsize=(7, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def interview_timeline(package: DataPackage, ax=None):
    """Interview dates against length, coloured by mode, with the suspension shaded."""
    ax = _axes(ax)
    people = package["participants"]
    labels = category_labels("participants", "interview_mode")
    for colour, (mode, label) in zip(PALETTE, labels.items()):
        rows = people[people["interview_mode"] == mode]
        if len(rows):
            ax.scatter(rows["interview_date"], rows["duration_min"], color=colour,
                       label=label, s=30, edgecolor="white", linewidth=0.5, zorder=3)
    fw = package.fieldwork
    if fw.get("suspension_start"):
        ax.axvspan(pd.Timestamp(fw["suspension_start"]), pd.Timestamp(fw["suspension_end"]),
                   color="0.85", zorder=1, label="Study suspended (COVID-19)")
    ax.set_xlabel("Interview date")
    ax.set_ylabel("Length (minutes)")
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    ax.figure.autofmt_xdate()
    return ax


def papers_by_year(package: DataPackage, ax=None):
    """Included papers per publication year, stacked by setting."""
    ax = _axes(ax)
    papers = package["studies"]
    labels = category_labels("studies", "setting")
    counts = (pd.crosstab(papers["year"], papers["setting"])
              .reindex(columns=list(labels), fill_value=0)
              .reindex(range(int(papers["year"].min()), int(papers["year"].max()) + 1),
                       fill_value=0))
    bottom = pd.Series(0, index=counts.index)
    for colour, (setting, label) in zip(PALETTE, labels.items()):
        ax.bar(counts.index, counts[setting], bottom=bottom, color=colour, label=label,
               width=0.8)
        bottom = bottom + counts[setting]
    ax.set_xlabel("Year of publication")
    ax.set_ylabel("Papers")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, fontsize="small")
    return ax
