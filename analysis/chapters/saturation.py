"""What the saturation page shows: the assessments side by side and the runs of each,
as a reader sees them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats.saturation import OrderSensitivity, SaturationResult


def threshold_label(threshold: float) -> str:
    """'≤5%' for a threshold of 0.05; '0%' for no new information at all."""
    return "0%" if threshold == 0 else f"≤{100 * threshold:g}%"


def summary_view(results: list[SaturationResult],
                  orders: list[OrderSensitivity] | None = None) -> pd.DataFrame:
    """One column per threshold: the point in interview order and over random orders."""
    columns = {}
    for i, r in enumerate(results):
        column = {"Base size (interviews)": str(r.base_size),
                  "Run length (interviews)": str(r.run_length),
                  "Unique codes in the base": str(r.n_codes_base),
                  "Saturation, interview order": r.saturation_text,
                  "Codes found by then": ("–" if r.codes_at_saturation is None else
                                          f"{r.codes_at_saturation} of {r.n_codes} "
                                          f"({r.pct_codes_at_saturation:g}%)")}
        if orders:
            o = orders[i]
            column["Random orders reaching saturation"] = f"{o.pct_reached:g}%"
            column["Random orders: median (IQR)"] = (
                f"{o.median:g} ({o.q1:g}–{o.q3:g})" if o.n_reached else "–")
            column["Random orders: range"] = (f"{o.minimum:g}–{o.maximum:g}" if o.n_reached
                                              else "–")
        columns[f"Threshold {threshold_label(r.threshold)}"] = column
    table = pd.DataFrame(columns)
    table.index.name = "Saturation"
    return table


def runs_view(result: SaturationResult) -> pd.DataFrame:
    """The runs of an assessment as a reader sees them."""
    runs = result.runs
    return pd.DataFrame({
        "Run (interviews)": runs["first"].astype(str) + "–" + runs["last"].astype(str),
        "New codes": runs["n_new"],
        "New information (% of base)": runs["pct_new"],
        f"Meets {threshold_label(result.threshold)}": np.where(runs["meets"], "yes", ""),
    }).set_index("Run (interviews)")
