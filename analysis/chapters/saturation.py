"""What the saturation page shows and says: the assessments side by side, the runs of
each, and the sentences whose wording depends on whether saturation was reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.chapters.words import count_words, markdown, report_citation
from analysis.contract.escape import Myst, myst_text
from analysis.contract.package import DataPackage
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


def reached_words(result: SaturationResult) -> Myst:
    """'was reached at **11 interviews (+2)**' or 'was **not reached within 30 interviews**'."""
    if result.saturation_point is None:
        return Myst("was **{}**").format(result.saturation_text)
    return Myst("was reached at **{}**").format(result.saturation_text)


def interview_order_text(package: DataPackage, result: SaturationResult,
                         strict: SaturationResult) -> Myst:
    """The assessment in interview order at the main and the stricter threshold."""
    return Myst("The {} of the interview study{} produced {}, {} of them in the base of {}. "
                "With runs of {} and a threshold of {:g}% or less, saturation {}. With the "
                "stricter threshold of {:g}% it {}.").format(
                    count_words(result.n_interviews, "interview"),
                    report_citation(package, "interview_study"),
                    count_words(result.n_codes, "distinct code"), result.n_codes_base,
                    count_words(result.base_size, "interview"),
                    count_words(result.run_length, "interview"), result.threshold_pct,
                    reached_words(result), strict.threshold_pct, reached_words(strict))


def interview_order_markdown(package: DataPackage, result: SaturationResult,
                             strict: SaturationResult):
    """:func:`interview_order_text` as displayable Markdown."""
    return markdown(interview_order_text(package, result, strict))


@dataclass(frozen=True)
class OrdersWords:
    """The saturation point over random orders in words (glued as ``orders_`` and
    ``orders_strict_``)."""

    summary_text: str


def orders_words(orders: OrderSensitivity) -> OrdersWords:
    """"at a median of 6 interviews (interquartile range 5 to 7; range 4 to 9)", or that
    no median can be given when no order saturated."""
    if not orders.n_reached:
        return OrdersWords("so no median can be given")
    return OrdersWords(f"at a median of {orders.median:g} interviews (interquartile range "
                       f"{orders.q1:g} to {orders.q3:g}; range {orders.minimum:g} to "
                       f"{orders.maximum:g})")


def orders_text(orders: OrderSensitivity, strict: OrderSensitivity,
                observed: SaturationResult) -> str:
    """Saturation over random orders, and how the order actually held compares.

    When the order held never saturated there is no point to compare with, and the
    sentence says so instead of giving a share.
    """
    n = orders.n_orders
    text = (f"Here the same assessment is repeated over {n} random "
            f"order{'' if n == 1 else 's'} of the same interviews (seed "
            f"{orders.seed}). At the main threshold, {orders.pct_reached:g}% of orders reached "
            f"saturation within the interviews held, {orders_words(orders).summary_text}; at "
            f"the stricter threshold {strict.pct_reached:g}% did, "
            f"{orders_words(strict).summary_text}. ")
    if observed.saturation_point is None or math.isnan(orders.pct_at_or_before_observed):
        text += ("The order actually held did not reach saturation at the main threshold, "
                 "so there is no point of its own to compare the random orders with.")
    else:
        text += (f"{orders.pct_at_or_before_observed:g}% of random orders saturated at or "
                 "before the point reached in the order actually held.")
    return text


def orders_markdown(orders: OrderSensitivity, strict: OrderSensitivity,
                    observed: SaturationResult):
    """:func:`orders_text` as displayable Markdown."""
    return markdown(myst_text(orders_text(orders, strict, observed)))


def curve_caption(result: SaturationResult) -> str:
    """The caption of the new-codes curve; no saturation point is marked when none was reached."""
    caption = ("New codes per interview (bars) and codes found so far (line), in interview "
               "order. The grey band is the base; ")
    if result.saturation_point is None:
        return caption + ("saturation was not reached at the main threshold, so no point is "
                          "marked.")
    return caption + ("the dashed line is the saturation point at the main threshold and "
                      "the green band the run that confirmed it.")


def orders_caption(result: SaturationResult) -> str:
    """The caption of the random-orders figure, with the order held marked when it saturated."""
    caption = "Saturation point at the main threshold over random interview orders. "
    if result.saturation_point is not None:
        caption += ("The dashed line is the point reached in the order the interviews were "
                    "actually held; the grey bar counts orders that never reached saturation.")
    else:
        caption += ("The order the interviews were actually held in did not reach "
                    "saturation; the grey bar counts the orders that never reached it.")
    return caption
