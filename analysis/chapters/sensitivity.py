"""What the prevalence pages say about the Hartung-Knapp interval and the range check."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


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
