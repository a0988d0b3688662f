"""Saturation (Guest, Namey and Chen 2020) on fixtures whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.stats import saturation
from analysis.contract.validation import load_package
from tests.myst_source import shown


def incidence_from(codes_by_interview: list[list[str]]) -> saturation.CodeIncidence:
    """Participants numbered in reverse, so interview order differs from id order."""
    n = len(codes_by_interview)
    ids = [f"P{n - i:03d}" for i in range(n)]
    participants = pd.DataFrame({"participant_id": ids, "interview_order": range(1, n + 1)})
    rows = [{"participant_id": pid, "code_id": code}
            for pid, codes in zip(ids, codes_by_interview) for code in codes]
    codes = pd.DataFrame(rows, columns=["participant_id", "code_id"])
    shuffled = participants.sample(frac=1, random_state=1)  # table order must not matter
    return saturation.CodeIncidence.from_tables(shuffled, codes)


def codes(start: int, stop: int) -> list[str]:
    return [f"C{i:03d}" for i in range(start, stop)]


# Interviews 1-4 give 20 unique codes (the base); then 2, 1, 0 (no codes at all), 1, 0, 0
# new codes, each interview repeating some earlier ones.
KNOWN = [codes(1, 6), codes(6, 11), codes(11, 16) + ["C001"], codes(16, 21),
         codes(21, 23) + ["C002"], codes(23, 24) + ["C005"], [], ["C024", "C003"],
         ["C010"], ["C001", "C024"]]


def naive_point(sequence: list[set], base: int, run: int, threshold: float):
    """The method written out as in the paper, one interview at a time."""
    base_codes = set().union(*sequence[:base])
    for k in range(base, len(sequence) - run + 1):
        seen = set().union(*sequence[:k])
        new = set().union(*sequence[k:k + run]) - seen
        if len(new) <= threshold * len(base_codes) + 1e-9:
            return k
    return None


def test_known_saturation_point_at_five_percent():
    r = saturation.assess(incidence_from(KNOWN))
    assert r.n_codes_base == 20 and r.n_codes == 24
    # runs: 5-6 -> 3 new (15%), 6-7 -> 1 new (5%): saturation after 5 interviews (+2)
    assert r.runs[["first", "last", "n_new"]].iloc[:2].to_numpy().tolist() == [[5, 6, 3],
                                                                               [6, 7, 1]]
    assert r.saturation_point == 5 and r.saturation_text == "5 interviews (+2)"
    assert r.codes_at_saturation == 22 and r.pct_codes_at_saturation == pytest.approx(91.7)


def test_known_saturation_point_at_zero_percent():
    r = saturation.assess(incidence_from(KNOWN), threshold=0.0)
    # runs 7-8 and 8-9 still hold C024; 9-10 holds nothing new
    assert r.saturation_point == 8 and r.saturation_text == "8 interviews (+2)"


def test_parameters_change_the_answer():
    r = saturation.assess(incidence_from(KNOWN), base_size=4, run_length=3, threshold=0.05)
    assert r.saturation_point == 6  # run 7-9 holds one new code: 5% of 20
    r = saturation.assess(incidence_from(KNOWN), base_size=5, run_length=2, threshold=0.0)
    assert r.n_codes_base == 22 and r.saturation_point == 8


def test_exactly_at_the_threshold_counts_as_met():
    # base of 40 codes; the run adds 2 = exactly 5%
    seq = [codes(1, 11), codes(11, 21), codes(21, 31), codes(31, 41), codes(41, 43), []]
    assert saturation.assess(incidence_from(seq)).saturation_point == 4


def test_not_reached():
    seq = [codes(i * 3 + 1, i * 3 + 4) for i in range(8)]  # every interview all new
    r = saturation.assess(incidence_from(seq))
    assert r.saturation_point is None and r.saturation_text == "not reached within 8 interviews"
    assert r.codes_at_saturation is None and not r.runs["meets"].any()


def test_invalid_inputs():
    with pytest.raises(ValueError, match="need at least 6 interviews"):
        saturation.assess(incidence_from(KNOWN[:5]))
    with pytest.raises(ValueError, match="have no code"):
        saturation.assess(incidence_from([[], [], [], [], ["C001"], ["C002"]]))
    with pytest.raises(ValueError, match="threshold"):
        saturation.assess(incidence_from(KNOWN), threshold=5)


def test_curve_counts_new_codes_in_interview_order():
    curve = saturation.new_codes_curve(incidence_from(KNOWN))
    assert curve["n_new"].tolist() == [5, 5, 5, 5, 2, 1, 0, 1, 0, 0]
    assert curve["cumulative"].iloc[-1] == 24 and curve["pct_cumulative"].iloc[-1] == 100.0
    assert curve["participant_id"].iloc[0] == "P010"
    assert curve.loc[6, "n_codes"] == 0  # the interview with no code is kept


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_engine_matches_the_method_written_out(seed):
    rng = np.random.default_rng(seed)
    n, n_codes = 15, 30
    prevalence = np.clip(0.8 / (1 + np.arange(n_codes)) ** 0.7, 0.03, 0.8)
    seq = [[f"C{c:03d}" for c in np.flatnonzero(rng.random(n_codes) < prevalence)]
           for _ in range(n)]
    seq[0] = seq[0] or ["C000"]
    for base, run, threshold in [(4, 2, 0.05), (4, 2, 0.0), (3, 3, 0.1)]:
        r = saturation.assess(incidence_from(seq), base, run, threshold)
        assert r.saturation_point == naive_point([set(s) for s in seq], base, run, threshold)


def test_random_orders_are_seeded():
    inc = incidence_from(KNOWN)
    a = saturation.order_sensitivity(inc, n_orders=200, seed=7)
    b = saturation.order_sensitivity(inc, n_orders=200, seed=7)
    pd.testing.assert_series_equal(a.points, b.points)
    assert a.seed == 7 and a.n_orders == 200
    assert a.distribution["n_orders"].sum() == 200


def test_random_orders_of_identical_interviews_saturate_at_the_base():
    inc = incidence_from([codes(1, 6)] * 9)
    o = saturation.order_sensitivity(inc, n_orders=50, seed=1)
    assert o.n_reached == 50 and o.median == 4 and o.minimum == o.maximum == 4


def test_random_orders_match_a_known_probability():
    # one interview holds every code: saturation (at the base) needs it in the base,
    # which happens with probability 4/10; otherwise the base is empty (not reached)
    inc = incidence_from([codes(1, 11)] + [[] for _ in range(9)])
    o = saturation.order_sensitivity(inc, n_orders=4000, seed=3)
    assert o.pct_reached == pytest.approx(40, abs=3)
    assert o.minimum == o.maximum == 4


def test_random_orders_do_not_depend_on_the_chunk_size(monkeypatch):
    # Orders are drawn in chunks to bound memory at large scale; the answer for a seed
    # must not depend on where the chunks fall.
    inc = incidence_from(KNOWN)
    whole = saturation.order_sensitivity(inc, n_orders=300, seed=11)
    monkeypatch.setattr(saturation, "_CHUNK_CELLS", 7 * int(inc.present.sum()))
    chunked = saturation.order_sensitivity(inc, n_orders=300, seed=11)
    pd.testing.assert_series_equal(whole.points, chunked.points)


def test_several_thresholds_over_one_draw_match_one_threshold_at_a_time():
    inc = incidence_from(KNOWN)
    observed = [saturation.assess(inc, 4, 2, t) for t in (0.05, 0.0)]
    both = saturation.order_sensitivities(inc, [0.05, 0.0], n_orders=300, seed=11,
                                          observed=observed)
    for together, threshold, seen in zip(both, (0.05, 0.0), observed):
        alone = saturation.order_sensitivity(inc, n_orders=300, seed=11, threshold=threshold,
                                             observed=seen)
        pd.testing.assert_series_equal(together.points, alone.points)
        assert together.threshold == threshold
        assert together.pct_at_or_before_observed == alone.pct_at_or_before_observed


def test_bundled_data():
    inc = saturation.CodeIncidence.from_package(load_package())
    r = saturation.assess(inc)
    assert r.n_interviews == 30 and r.saturation_point is not None
    assert r.saturation_point == naive_point(
        [set(inc.code_ids[row]) for row in inc.present], 4, 2, 0.05)


def test_the_page_says_when_saturation_was_not_reached():
    from analysis.chapters import saturation as page

    never = saturation.assess(incidence_from([codes(i * 3 + 1, i * 3 + 4) for i in range(8)]))
    reached = saturation.assess(incidence_from(KNOWN))
    assert shown(page.reached_words(never)) == "was **not reached within 8 interviews**"
    assert shown(page.reached_words(reached)) == f"was reached at **{reached.saturation_text}**"
    orders = saturation.order_sensitivity(incidence_from([codes(i * 3 + 1, i * 3 + 4)
                                                          for i in range(8)]),
                                          n_orders=20, seed=1, observed=never)
    text = page.orders_text(orders, orders, never)
    assert page.orders_words(orders).summary_text == "so no median can be given"
    assert "0% of orders reached saturation within the interviews held, so no median" in text
    some = saturation.order_sensitivity(incidence_from(KNOWN), n_orders=50, seed=1,
                                        observed=reached)
    assert some.n_reached > 0
    assert page.orders_words(some).summary_text == (
        f"at a median of {some.median:g} interviews (interquartile range {some.q1:g} to "
        f"{some.q3:g}; range {some.minimum:g} to {some.maximum:g})")
    assert "did not reach saturation at the main threshold" in text and "nan" not in text
    assert "no point is marked" in page.curve_caption(never)
    assert "The dashed line" in page.orders_caption(reached)
