"""Hartung-Knapp intervals and the Freeman-Tukey range check.

Reference values from R 4.x with metafor (Debian's r-cran-metafor); the script that
produced them is R_SCRIPT below, and its output is pasted into R_VALUES.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.chapters.sensitivity import hartung_knapp_view, sensitivity_words
from analysis.stats import hartung_knapp as hk
from analysis.stats.prevalence import study_effects

CASES = np.array([5, 40, 7, 75, 19, 2, 90])
N = np.array([100, 210, 90, 300, 150, 40, 500])

R_SCRIPT = """
library(metafor)
xi <- c(5, 40, 7, 75, 19, 2, 90); ni <- c(100, 210, 90, 300, 150, 40, 500)
for (m in c("DL", "PM")) for (t in c("PLO", "PFT")) {
  res <- rma(measure = t, xi = xi, ni = ni, method = m, test = "knha",
             control = list(tol = 1e-12))
  back <- if (t == "PLO") transf.ilogit else transf.ipft.hm
  p <- predict(res, transf = back, targs = list(ni = ni))
  cat(m, t, sprintf("%.10f", c(res$b, res$se, res$ci.lb, res$ci.ub, res$tau2,
                               p$pred, p$ci.lb, p$ci.ub)), "\\n")
}
"""
# method, measure: b, se, ci.lb, ci.ub, tau2 (analysis scale), pred, ci.lb, ci.ub (proportion)
R_VALUES = {}


def test_hartung_knapp_by_hand_dl_logit():
    eff = study_effects(CASES, N, "logit")
    y, v = eff.effect, eff.variance
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    q = (w * (y - fixed) ** 2).sum()
    tau2 = max(0.0, (q - (len(y) - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    wr = 1 / (v + tau2)
    mu = (wr * y).sum() / wr.sum()
    se = np.sqrt((wr * (y - mu) ** 2).sum() / (len(y) - 1) / wr.sum())
    t = stats.t.ppf(0.975, len(y) - 1)
    res = hk.hartung_knapp(y, v, "dl")
    assert (res.effect, res.se, res.df) == (pytest.approx(mu), pytest.approx(se), 6)
    assert (res.ci_low, res.ci_high) == pytest.approx((mu - t * se, mu + t * se))


def test_paule_mandel_makes_the_hartung_knapp_factor_one():
    # Paule-Mandel solves Q(tau²) = k - 1, which is exactly q = 1.
    eff = study_effects(CASES, N, "logit")
    assert hk.hartung_knapp(eff.effect, eff.variance, "pm").q == pytest.approx(1, abs=1e-6)


@pytest.mark.parametrize("method,measure", [("DL", "PLO"), ("DL", "PFT"), ("PM", "PLO"),
                                            ("PM", "PFT")])
def test_against_metafor_knha(method, measure):
    if (method, measure) not in R_VALUES:
        pytest.skip("no R reference value recorded")
    b, se, lb, ub, tau2, pred, plb, pub = R_VALUES[(method, measure)]
    transform = {"PLO": "logit", "PFT": "freeman_tukey"}[measure]
    eff = study_effects(CASES, N, transform)
    res = hk.hartung_knapp(eff.effect, eff.variance, method.lower())
    tol = 1e-6 if method == "DL" else 1e-5
    assert (res.effect, res.se, res.ci_low, res.ci_high) == pytest.approx((b, se, lb, ub),
                                                                           abs=tol)
    shown = hk.prevalence_sensitivity(CASES, N, transform, method.lower())
    assert (shown.prevalence, shown.hk_low, shown.hk_high) == pytest.approx((pred, plb, pub),
                                                                             abs=tol)


def test_freeman_tukey_estimate_outside_the_study_range_is_flagged():
    # Two large and two small studies: back-transformed with the harmonic mean of n, the
    # pooled value (1.5%) lies below every study's prevalence (1.7% to 4.1%).
    cases, n = [43, 51, 4, 2], [2439, 2976, 112, 49]
    ft = hk.prevalence_sensitivity(cases, n, "freeman_tukey")
    assert ft.outside_range and ft.prevalence < ft.min_study == pytest.approx(51 / 2976)
    logit = hk.prevalence_sensitivity(cases, n, "logit")
    assert not logit.outside_range


def test_setting_table_view_and_words(package):
    table = hk.setting_sensitivity(package["prevalence_studies"], "logit", "dl")
    assert list(table.index) == ["Community", "Primary care attenders",
                                 "Psychiatric outpatients"]
    community = package["prevalence_studies"].query("setting == 'community'")
    one = hk.prevalence_sensitivity(community["cases"], community["n"])
    assert table.loc["Community", "hk_low"] == pytest.approx(100 * one.hk_low)
    assert table.loc["Community", "k"] == len(community) == 46
    assert (table["hk_low"] < table["prevalence"]).all()
    assert (table["prevalence"] < table["hk_high"]).all()
    view = hartung_knapp_view(table)
    assert view.loc["Community", "Pooled value within the studies' range"] == "yes"
    words = sensitivity_words(table)
    assert words.n_settings == 3 and words.n_wider == int((table["width_ratio"] > 1).sum())
    assert words.range_text.startswith("Every pooled prevalence lies within")
    flagged = table.assign(outside_range=[True, False, False])
    assert sensitivity_words(flagged).range_text.startswith("Flag: the back-transformed "
                                                            "pooled prevalence of Community")
