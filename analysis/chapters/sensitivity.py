"""What the prevalence pages say about the Hartung-Knapp interval and the range check.

The sentences fit any number of settings: none with two studies to pool, one, or many.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.chapters.words import join_words, markdown
from analysis.contract.escape import myst_text


def _interval(low: float, high: float) -> str:
    return f"{low:.1f}\u2060–\u2060{high:.1f}"


def hartung_knapp_view(table: pd.DataFrame) -> pd.DataFrame:
    """The table of :func:`analysis.stats.hartung_knapp.setting_sensitivity` as shown."""
    return pd.DataFrame({
        "Studies": table["k"],
        "Pooled (%)": table["prevalence"].round(1),
        "95% CI, usual (%)": [_interval(a, b) for a, b in zip(table["ci_low"], table["ci_high"])],
        "95% CI, Hartung-Knapp (%)": [_interval(a, b) for a, b in
                                      zip(table["hk_low"], table["hk_high"])],
        "Width, Hartung-Knapp / usual": table["width_ratio"].map(lambda r: f"{r:.2f}"),
        "Pooled value within the studies' range": table["outside_range"].map(
            {False: "yes", True: "no: outside"}),
    }, index=table.index)


@dataclass(frozen=True)
class SensitivityWords:
    """Sentences of the prevalence page on its sensitivity analyses (glued ``<prefix>_*``)."""

    n_settings: int
    n_wider: int
    widest_setting: str
    widest_ratio: float
    range_text: str


def sensitivity_words(table: pd.DataFrame) -> SensitivityWords:
    """Counts and sentences for the prose beside :func:`hartung_knapp_view`."""
    if table.empty:
        return SensitivityWords(0, 0, "none", float("nan"),
                                "No setting has two or more studies to pool.")
    widest = table["width_ratio"].idxmax()
    outside = table.index[table["outside_range"]].tolist()
    if outside:
        names = ", ".join(outside)
        range_text = (f"Flag: the back-transformed pooled prevalence of {names} falls outside "
                      "the range of the study prevalences it pools, a sign that the "
                      "back-transformation, not the data, drives it; do not report it "
                      "without the logit analysis beside it.")
    else:
        range_text = ("Every pooled prevalence lies within the range of the study "
                      "prevalences it pools.")
    return SensitivityWords(
        n_settings=int(len(table)), n_wider=int((table["width_ratio"] > 1).sum()),
        widest_setting=str(widest), widest_ratio=float(table.loc[widest, "width_ratio"]),
        range_text=range_text)


def hartung_knapp_markdown(table: pd.DataFrame, single: list[str] = ()):
    """How the Hartung-Knapp interval compares with the usual one, setting by setting.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.stats.hartung_knapp.setting_sensitivity`.
    single : list of str
        Labels of the settings with a single study (they have no such interval).
    """
    words = sensitivity_words(table)
    if words.n_settings == 0:
        text = "No setting has two or more studies, so there is no interval to compare."
    elif words.n_settings == 1:
        how = "wider than" if words.widest_ratio > 1 else "no wider than"
        text = (f"It is {how} the usual interval for {words.widest_setting} (ratio of the "
                f"two widths {words.widest_ratio:.2f}).")
    else:
        text = (f"It is wider than the usual interval in {words.n_wider} of the "
                f"{words.n_settings} settings; the ratio of the two widths is largest for "
                f"{words.widest_setting} ({words.widest_ratio:.2f}).")
    if single:
        text += (f" {join_words(list(single))} {'has' if len(single) == 1 else 'have'} a single "
                 "study and no interval of this kind.")
    if words.n_settings:
        text += (" Where the Hartung-Knapp interval is much wider, the usual one claims more "
                 "precision than the spread of the studies supports.")
    return markdown(myst_text(text), empty=False)


def range_markdown(table: pd.DataFrame):
    """Whether each pooled value lies within the range of the prevalences it pools."""
    return markdown(myst_text(sensitivity_words(table).range_text), empty=False)


def hartung_knapp_table(table: pd.DataFrame):
    """The usual and Hartung-Knapp intervals of each setting (nothing when no setting has
    two studies)."""
    if table.empty:
        return None
    from analysis.chapters.page import show_table

    return show_table(hartung_knapp_view(table),
                      caption="Pooled prevalence by setting: usual and Hartung-Knapp 95% "
                              "intervals")
