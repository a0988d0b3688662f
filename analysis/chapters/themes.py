"""What the theme pages show: frequency, group, sensitivity and breakdown tables as a
reader sees them (counts with percentages and intervals in one cell, indented sub-themes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


ROW_LABEL = "Theme or sub-theme"
WITHHELD = "…"  # a count hidden so that a suppressed one cannot be worked out
_INDENT = "\u2003"  # an em space survives HTML whitespace collapsing


def row_labels(table: pd.DataFrame) -> pd.Series:
    """'T1 Theme name' for a theme row, an indented 'T1.1 Sub-theme name' under it."""
    return pd.Series(np.where(table["level"] == "theme",
                              table["theme_id"] + " " + table["theme"],
                              _INDENT + table["subtheme_id"] + " " + table["subtheme"]),
                     index=table.index, name=ROW_LABEL)


def frequency_view(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """A frequency table as a reader sees it: named columns, interval as 'low–high'.

    Takes the output of :func:`frequency_table` (papers and studies) or of
    :func:`participant_frequency` (participants).
    """
    unit = "Papers" if "n_papers" in table else "Participants"
    shown = pd.DataFrame({
        f"{unit} n": table["n_papers" if unit == "Papers" else "n_participants"],
        f"{unit} %": table["pct_papers" if unit == "Papers" else "pct_participants"],
        f"{unit} {confidence:.0%} CI (%)": [_interval(lo, hi) for lo, hi in
                                            zip(table["ci_low"], table["ci_high"])],
    })
    if unit == "Papers":
        shown["Studies n"] = table["n_studies"]
        shown["Studies %"] = table["pct_studies"]
        shown[f"Studies {confidence:.0%} CI (%)"] = [
            _interval(lo, hi) for lo, hi in zip(table["studies_ci_low"], table["studies_ci_high"])]
    shown["Excerpts"] = table["n_excerpts"]
    return shown.set_index(row_labels(table))


def _interval(low: float, high: float) -> str:
    # word joiners keep an interval on one line in a narrow column
    return "–" if np.isnan(low) else f"{low:.1f}\u2060–\u2060{high:.1f}"


def group_view(long: pd.DataFrame) -> pd.DataFrame:
    """A breakdown as a reader sees it: one column per group, cells 'n (%)'."""
    long = long.assign(
        column=long["group_label"] + " (n=" + long["n_group"].astype(str) + ")",
        cell=[f"{n} ({100 * n / total:.0f}%)" for n, total in
              zip(long["n_papers"], long["n_group"])],
        label=row_labels(long),
    )
    wide = long.pivot_table(index="label", columns="column", values="cell", aggfunc="first",
                            sort=False)
    wide = wide[list(dict.fromkeys(long["column"]))]
    wide.index.name = ROW_LABEL
    wide.columns.name = None
    return wide


def sensitivity_view(table: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity table as a reader sees it: 'all papers → papers kept' per count."""
    def arrow(before, after, fmt="{}"):
        return [f"{fmt.format(b)}\u00a0→\u00a0{fmt.format(a)}" for b, a in zip(before, after)]

    shown = pd.DataFrame({
        "Papers": arrow(table["n_papers_all"], table["n_papers_kept"]),
        "Papers %": arrow(table["pct_all"], table["pct_kept"], "{:.1f}"),
        "Studies": arrow(table["n_studies_all"], table["n_studies_kept"]),
        "Change (% points)": table["change_pct"],
        "Flag": np.where(table["newly_flagged"], table["flag"] + " (new)", table["flag"]),
    })
    return shown.set_index(row_labels(table))


def breakdown_view(long: pd.DataFrame, suppress_below: int = 3) -> pd.DataFrame:
    """A participant breakdown as a reader sees it: cells 'n (%)' or '<k'.

    Columns are the theme and sub-theme ids (named in the participant frequency table),
    so the table fits a page; each category carries its number of participants (N).
    """
    withheld = long["withheld"] if "withheld" in long else np.zeros(len(long), dtype=bool)
    cells = [f"<{suppress_below}" if hidden else WITHHELD if held
             else f"{n} ({100 * n / total:.0f}%)"
             for n, total, hidden, held in zip(long["n"], long["n_category"],
                                               long["suppressed"], withheld)]
    theme_row = ~long["key"].str.contains(".", regex=False)
    long = long.assign(cell=cells,
                       column=np.where(theme_row, long["key"] + " (any)", long["key"]),
                       row=long["category"] + " (N=" + long["n_category"].astype(str) + ")")
    wide = long.pivot_table(index=["characteristic", "row"], columns="column", values="cell",
                            aggfunc="first", sort=False)
    wide = wide[list(dict.fromkeys(long["column"]))]
    wide.index.names = ["Characteristic", "Category (N)"]
    wide.columns.name = None
    return wide
