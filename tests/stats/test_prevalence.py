"""Meta-analysis of prevalence against reference values, hand computations and edge cases.

Reference values and the commands that produced them:

- Kacker (2004) interlaboratory example, R metafor (recorded in statsmodels'
  ``statsmodels/stats/tests/results/results_meta.py``)::

      y <- c(61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9)
      v <- c(0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225)
      rma(y, v, method="DL", control=list(tol=1e-9))   # exk1_dl
      rma(y, v, method="PM", control=list(tol=1e-9))   # exk1_metafor
      rma(y, v, method="FE", control=list(tol=1e-9))   # exk1_fe

- Fine (1993) log odds ratios, R meta 4.11-0 (same file, ``results_or_dl_hk``)::

      metabin(e2i, nei, c2i, nci, data=dat2, sm="OR", Q.Cochrane=FALSE,
              method="Inverse", method.tau="DL", hakn=TRUE, backtransf=FALSE)

- Miller (1978) Freeman-Tukey example, R metafor's own test suite
  (``tests/testthat/test_analysis_example_miller1978.r``)::

      dat <- escalc(measure="PFT", xi=c(3, 6, 10, 1), ni=c(11, 17, 21, 6))
      predict(rma(yi, vi, method="FE", data=dat), transf=transf.ipft.hm,
              targs=list(ni=dat$ni))                   # 0.3595
      dat <- escalc(measure="PFT", xi=c(0, 4, 9, 16, 20), ni=c(10, 10, 15, 20, 20), add=0)
      predict(rma(yi, vi, method="FE", data=dat), transf=transf.ipft.hm,
              targs=list(ni=dat$ni))                   # 0.6886 [0.5734, 0.7943]"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit

from analysis.stats import prevalence as pv
from analysis.contract import published as published_figures
from analysis.contract.validation import load_package as _load_bundled


def published(fact_id):
    """A figure the bundled package declares as published (its study section)."""
    return published_figures.published(_load_bundled(), fact_id)


matplotlib.use("Agg")


KACKER_Y = [61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9]


KACKER_V = [0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225]


@pytest.fixture(autouse=True)
def _quiet_freeman_tukey():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pv.FreemanTukeyWarning)
        yield


def test_dersimonian_laird_matches_metafor():
    res = pv.random_effects(KACKER_Y, KACKER_V, "dl")
    assert res.effect == pytest.approx(62.3901386044504, rel=1e-10)
    assert res.se == pytest.approx(0.245749668040304, rel=1e-9)
    assert (res.ci_low, res.ci_high) == pytest.approx((61.9084781058787, 62.8717991030221),
                                                      rel=1e-10)
    assert res.tau2 == pytest.approx(0.288049246973751, rel=1e-9)
    assert res.q == pytest.approx(24.801897741835, rel=1e-10)
    assert res.q_p == pytest.approx(0.00167935146372742, rel=1e-8)
    assert res.i2_percent == pytest.approx(67.744403741711, rel=1e-9)
    assert res.h2 == pytest.approx(3.10023721772938, rel=1e-9)


def test_paule_mandel_matches_metafor():
    res = pv.random_effects(KACKER_Y, KACKER_V, "pm")
    # statsmodels iterates to its own tolerance; metafor was run with tol=1e-9.
    assert res.effect == pytest.approx(62.4076199113286, rel=1e-7)
    assert res.se == pytest.approx(0.338030602684471, rel=1e-5)
    assert (res.ci_low, res.ci_high) == pytest.approx((61.7450921043947, 63.0701477182625),
                                                      rel=1e-7)
    assert res.tau2 == pytest.approx(0.705395309224248, rel=1e-5)
    assert res.i2_percent == pytest.approx(83.7218626490482, rel=1e-5)
    assert res.h2 == pytest.approx(6.14320900751909, rel=1e-5)
    assert pv.random_effects(KACKER_Y, KACKER_V, "iterated").tau2 == res.tau2


def test_fixed_effect_matches_metafor():
    res = pv.random_effects(KACKER_Y, KACKER_V, "dl")
    assert res.fixed_effect == pytest.approx(62.5833970939982, rel=1e-10)
    assert res.fixed_se == pytest.approx(0.107845705498231, rel=1e-9)
    assert (res.fixed_ci_low, res.fixed_ci_high) == pytest.approx(
        (62.3720233953344, 62.7947707926621), rel=1e-10)


def test_log_odds_ratios_match_r_meta():
    from statsmodels.stats.tests.results.results_meta import results_or_dl_hk as ref

    res = pv.random_effects(ref.TE, ref.seTE ** 2, "dl")
    assert res.tau2 == pytest.approx(ref.tau2, rel=1e-8)
    assert res.effect == pytest.approx(ref.TE_random, rel=1e-8)
    assert res.fixed_effect == pytest.approx(ref.TE_fixed, rel=1e-10)
    assert (res.fixed_ci_low, res.fixed_ci_high) == pytest.approx(
        (ref.lower_fixed, ref.upper_fixed), rel=1e-9)
    assert res.q == pytest.approx(ref.Q, rel=1e-10)
    assert res.q_p == pytest.approx(ref.pval_Q, rel=1e-8)
    assert res.i2_percent == pytest.approx(100 * ref.I2, rel=1e-6)


def test_prediction_interval_matches_r_meta():
    """meta's interval is mean ± t(k-2) sqrt(se² + tau²), Higgins et al. (2009)."""
    from statsmodels.stats.tests.results.results_meta import results_or_dl_hk as ref

    low, high = pv.prediction_interval(ref.TE_random, ref.seTE_random, ref.tau2, ref.k)
    assert (low, high) == pytest.approx((ref.lower_predict, ref.upper_predict), rel=1e-9)
    assert pv.prediction_interval(0.0, 1.0, 0.5, 2) != pv.prediction_interval(0.0, 1.0, 0.5, 3)
    assert all(np.isnan(pv.prediction_interval(0.0, 1.0, 0.5, 2)))


def test_freeman_tukey_matches_miller_1978():
    eff = pv.study_effects([3, 6, 10, 1], [11, 17, 21, 6], "freeman_tukey")
    # Miller tabulates the full double arcsine and its variance; metafor halves it.
    assert np.round(2 * eff.effect, 4) == pytest.approx([1.1391, 1.2888, 1.5253, 0.9515])
    assert np.round(4 * eff.variance, 4) == pytest.approx([0.0870, 0.0571, 0.0465, 0.1538])
    assert not eff.corrected.any()
    res = pv.pool([3, 6, 10, 1], [11, 17, 21, 6], "freeman_tukey")
    assert round(2 * res.fixed_effect, 4) == pytest.approx(1.3093)
    assert round(res.fixed_prevalence, 4) == pytest.approx(0.3595)


def test_freeman_tukey_back_transformation_matches_metafor_with_zeros_and_ones():
    cases, n = [0, 4, 9, 16, 20], [10, 10, 15, 20, 20]
    back = pv.inverse_freeman_tukey(pv.freeman_tukey(cases, n), n)
    assert back == pytest.approx([0.0, 0.4, 0.6, 0.8, 1.0], abs=1e-12)
    res = pv.pool(cases, n, "freeman_tukey")
    assert round(res.fixed_prevalence, 4) == pytest.approx(0.6886)
    assert (round(res.fixed_ci_low, 4), round(res.fixed_ci_high, 4)) == pytest.approx(
        (0.5734, 0.7943))
    assert res.harmonic_n == pytest.approx(stats.hmean(n))


def test_logit_random_effects_by_hand():
    cases, n = np.array([10, 25, 4]), np.array([100, 200, 80])
    y = np.log(cases / (n - cases))
    v = 1 / cases + 1 / (n - cases)
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    q = (w * (y - fixed) ** 2).sum()
    tau2 = max(0.0, (q - 2) / (w.sum() - (w ** 2).sum() / w.sum()))
    ws = 1 / (v + tau2)
    mu, se = (ws * y).sum() / ws.sum(), np.sqrt(1 / ws.sum())
    s2 = 2 * w.sum() / (w.sum() ** 2 - (w ** 2).sum())
    half_pi = stats.t.ppf(0.975, 1) * np.sqrt(tau2 + se ** 2)

    res = pv.pool(cases, n)
    assert tau2 > 0  # the example is heterogeneous enough to exercise tau²
    assert res.prevalence == pytest.approx(expit(mu), rel=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx(
        (expit(mu - 1.959963984540054 * se), expit(mu + 1.959963984540054 * se)), rel=1e-12)
    assert res.tau2 == pytest.approx(tau2, rel=1e-12)
    assert res.q == pytest.approx(q, rel=1e-12)
    assert res.q_p == pytest.approx(stats.chi2.sf(q, 2), rel=1e-10)
    assert res.i2_percent == pytest.approx(100 * (q - 2) / q, rel=1e-10)
    assert res.i2_percent == pytest.approx(100 * tau2 / (tau2 + s2), rel=1e-10)
    assert (res.pi_low, res.pi_high) == pytest.approx(
        (expit(mu - half_pi), expit(mu + half_pi)), rel=1e-12)
    assert res.fixed_prevalence == pytest.approx(expit(fixed), rel=1e-12)
    assert (res.k, res.cases, res.n, res.n_corrected) == (3, 39, 380, 0)
    assert pv.pool_logit(cases, n).prevalence == res.prevalence


def test_raw_and_arcsine_scales():
    eff = pv.study_effects([10, 0], [100, 40], "proportion")
    assert eff.effect == pytest.approx([0.1, 0.5 / 41])
    assert eff.variance == pytest.approx([0.1 * 0.9 / 100, (0.5 / 41) * (40.5 / 41) / 41])
    eff = pv.study_effects([25], [100], "arcsine")
    assert eff.effect == pytest.approx([np.arcsin(0.5)])
    assert eff.variance == pytest.approx([1 / 400])
    assert pv.back_transform(eff.effect, "arcsine") == pytest.approx([0.25])


def test_negative_dersimonian_laird_tau2_is_truncated():
    """statsmodels returns tau² < 0 here; random effects must then equal fixed effect."""
    res = pv.pool([10, 20, 30], [100, 200, 300])
    assert res.tau2 == 0.0
    assert res.i2_percent == 0.0
    assert res.se == pytest.approx(res.fixed_se)
    assert res.prevalence == pytest.approx(res.fixed_prevalence)
    assert res.prevalence == pytest.approx(0.1)


def test_single_study_is_a_clear_error_for_pooling_and_a_clear_result_for_tables():
    with pytest.raises(ValueError, match="at least two studies.*estimate"):
        pv.pool([12], [100])
    one = pv.estimate([12], [100])
    assert one.k == 1 and one.prevalence == pytest.approx(0.12)
    assert 0 < one.ci_low < one.prevalence < one.ci_high < 1
    assert np.isnan(one.tau2) and np.isnan(one.pi_low) and np.isnan(one.pi_high)


def test_a_study_of_one_person_is_handled():
    for cases in (0, 1):
        for transform in pv.TRANSFORMS:
            res = pv.pool([cases, 12, 30], [1, 100, 150], transform)
            assert np.all(np.isfinite([res.prevalence, res.ci_low, res.ci_high]))
            assert 0.05 < res.prevalence < 0.3


@pytest.mark.parametrize("cases, n, message", [
    ([5, 12], [4, 100], "cases=5 must be a whole number from 0 to n=4"),
    ([-1, 2], [10, 10], "cases=-1"),
    ([1, 2], [0, 10], "n=0 must be a whole number of at least 1"),
    ([1.5, 2], [10, 10], "cases=1.5"),
    ([1, np.nan], [10, 10], "must both be given"),
    ([1, 2, 3], [10, 10], "same length"),
    ([], [], "no studies"),
])
def test_invalid_counts_say_what_to_fix(cases, n, message):
    with pytest.raises(ValueError, match=message):
        pv.pool(cases, n)


def test_many_invalid_counts_name_the_first_five_and_count_the_rest():
    cases = np.arange(1000.0)
    n = np.full(1000, 2000.0)
    cases[[10, 20, 30, 40, 50, 60, 70]] = -1
    n[5] = 0.5
    with pytest.raises(ValueError) as raised:
        pv.pool(cases, n)
    message = str(raised.value)
    assert "study 6: n=0.5 must be a whole number of at least 1" in message
    assert "study 11: cases=-1" in message and "study 41: cases=-1" in message
    assert "study 51" not in message and message.endswith("; and 3 more")


def test_unknown_options_are_errors():
    with pytest.raises(ValueError, match="unknown transform 'probit'"):
        pv.pool([1, 2], [10, 10], transform="probit")
    with pytest.raises(ValueError, match="unknown tau2_method 'reml'"):
        pv.pool([1, 2], [10, 10], tau2_method="reml")


counts = st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(studies=st.lists(counts, min_size=2, max_size=12),
       transform=st.sampled_from(list(pv.TRANSFORMS)), method=st.sampled_from(["dl", "pm"]))
def test_pooled_prevalence_is_a_proportion_inside_its_interval(studies, transform, method):
    cases, n = zip(*studies)
    res = pv.pool(cases, n, transform, method)
    assert 0.0 <= res.ci_low <= res.prevalence <= res.ci_high <= 1.0
    assert 0.0 <= res.fixed_ci_low <= res.fixed_prevalence <= res.fixed_ci_high <= 1.0
    assert res.tau2 >= 0 and 0 <= res.i2_percent < 100
    if res.k >= 3:
        assert 0.0 <= res.pi_low <= res.prevalence <= res.pi_high <= 1.0
        assert res.pi_low <= res.ci_low and res.ci_high <= res.pi_high


def _toy() -> pd.DataFrame:
    return pd.DataFrame({
        "study_id": [f"V{i:02d}" for i in range(1, 9)],
        "country": ["UK", "UK", "India", "USA", "UK", "UK", "Japan", "UK"],
        "income_group": ["high", "high", "low_middle", "high", "high", "high", "high", "high"],
        "setting": ["community"] * 5 + ["primary_care"] * 2 + ["outpatient"],
        "design": ["one_stage", "two_stage", "one_stage", "two_stage", "one_stage",
                   "one_stage", "two_stage", "one_stage"],
        "interviewer": ["lay", "lay", "clinician", "clinician", "lay", "lay", "lay", "lay"],
        "n": [500, 800, 300, 1200, 650, 200, 150, 90],
        "cases": [40, 90, 12, 70, 55, 50, 30, 45],
        "year": [1990, 1995, 2001, 2010, 2018, 2000, 2012, 2005],
    })


SETTINGS = {"community": "Community", "primary_care": "Primary care attenders",
            "outpatient": "Psychiatric outpatients"}


def test_between_subgroup_q_by_hand_for_two_groups():
    rows = _toy()[lambda d: d["setting"] != "outpatient"]
    res = pv.subgroups(rows, "setting", labels=SETTINGS)
    a, b = res.pooled["community"], res.pooled["primary_care"]
    assert res.q_between == pytest.approx((a.effect - b.effect) ** 2 / (a.se ** 2 + b.se ** 2))
    assert res.df_between == 1
    assert res.p_between == pytest.approx(stats.chi2.sf(res.q_between, 1))
    assert res.table["subgroup"].tolist() == ["Community", "Primary care attenders"]


def test_subgroups_follow_the_vocabulary_given_and_codes_without_one():
    reversed_order = dict(reversed(list(SETTINGS.items())))
    res = pv.subgroups(_toy(), "setting", labels=reversed_order)
    assert res.table["subgroup"].tolist() == list(reversed_order.values())
    bare = pv.subgroups(_toy(), "setting")  # no vocabulary: the codes, sorted
    assert bare.table["subgroup"].tolist() == ["community", "outpatient", "primary_care"]


def test_main_setting_has_the_most_studies_and_a_tie_goes_to_the_first_listed():
    assert pv.main_setting(_toy()) == "community"
    tie = _toy().iloc[3:7]  # two community studies, then two primary care ones
    assert pv.main_setting(tie) == "community"
    assert pv.main_setting(tie.iloc[::-1]) == "primary_care"
    assert pv.main_setting(_toy().iloc[:0]) is None


def test_meta_regression_is_weighted_least_squares_with_residual_tau2():
    rows = _toy()[lambda d: d["setting"] == "community"]
    reg = pv.meta_regression(rows, "design",
                             labels={"one_stage": "One-stage", "two_stage": "Two-stage"})
    eff = pv.study_effects(rows["cases"], rows["n"])
    X = np.column_stack([np.ones(len(rows)), (rows["design"] == "two_stage").to_numpy(float)])
    w = 1 / (eff.variance + reg.tau2_residual)
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ X.T @ (w * eff.effect)
    assert reg.table["estimate"].to_numpy() == pytest.approx(beta, rel=1e-10)
    assert reg.table["se"].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-10)
    assert reg.qm == pytest.approx((beta[1] / np.sqrt(cov[1, 1])) ** 2, rel=1e-10)
    assert reg.table["term"].tolist() == ["Intercept", "Two-stage vs One-stage"]
    assert reg.table.loc[1, "odds_ratio"] == pytest.approx(np.exp(beta[1]))
    assert reg.k == 5 and reg.qm_df == 1 and reg.qe_df == 3


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_residual_tau2_without_moderators_is_the_pooled_tau2(method):
    """The mixed-effects tau² estimators reduce to DL and PM for an intercept-only model."""
    y, v = np.array(KACKER_Y), np.array(KACKER_V)
    tau2 = pv._residual_tau2(y, v, np.ones((len(y), 1)), method)
    assert tau2 == pytest.approx(pv.random_effects(y, v, method).tau2, rel=1e-5)


def test_meta_regression_on_year_and_bad_covariates():
    rows = _toy()
    reg = pv.meta_regression(rows, "year")
    assert reg.table["term"][1].startswith("per 10 years")
    with pytest.raises(ValueError, match="unknown covariate 'colour'"):
        pv.meta_regression(rows, "colour")
    with pytest.raises(ValueError, match="at least two different values"):
        pv.meta_regression(rows, "interviewer", setting="primary_care")
    with pytest.raises(ValueError, match="at least two different values"):
        pv.meta_regression(rows.assign(year=2000), "year")
