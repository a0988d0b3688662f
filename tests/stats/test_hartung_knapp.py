"""Hartung-Knapp intervals and the Freeman-Tukey range check.

Reference values from R 4.2.2 with metafor 3.8-1 (Debian's r-base-core and
r-cran-metafor): R_SCRIPT below, run with ``Rscript``, printed the lines pasted into
R_OUTPUT. The tests do not need R.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.chapters.sensitivity import hartung_knapp_view, sensitivity_words
from analysis.stats import hartung_knapp as hk
from analysis.stats.prevalence import random_effects, study_effects

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
# method, measure, then b, se, ci.lb, ci.ub, tau2 (analysis scale) and pred, ci.lb, ci.ub
# (back-transformed to a proportion), as printed by R_SCRIPT.
R_OUTPUT = """
DL PLO -1.8207281808 0.2550442938 -2.4447990858 -1.1966572758 0.1873190292 0.1393465200 0.0798197148 0.2320704022
DL PFT 0.3780452005 0.0417241910 0.2759497830 0.4801406181 0.0080410405 0.1330017020 0.0704727082 0.2107976783
PM PLO -1.9013025174 0.2671073477 -2.5548906521 -1.2477143828 0.3934445547 0.1299611261 0.0720986133 0.2230960409
PM PFT 0.3759723463 0.0418288894 0.2736207411 0.4783239515 0.0102364227 0.1315703334 0.0692464040 0.2092979066
"""  # noqa: E501
R_VALUES = {(line.split()[0], line.split()[1]): [float(x) for x in line.split()[2:]]
            for line in R_OUTPUT.strip().splitlines()}


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
    b, se, lb, ub, tau2, pred, plb, pub = R_VALUES[(method, measure)]
    transform = {"PLO": "logit", "PFT": "freeman_tukey"}[measure]
    eff = study_effects(CASES, N, transform)
    assert random_effects(eff.effect, eff.variance, method.lower()).tau2 == pytest.approx(
        tau2, abs=1e-6)
    res = hk.hartung_knapp(eff.effect, eff.variance, method.lower())
    tol = 1e-8  # agreement is about 1e-10; metafor ran with control = list(tol = 1e-12)
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
    table = hk.setting_sensitivity(package["prevalence_studies"], "logit", "dl",
                                   labels=package.categories("prevalence_studies", "setting"))
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
