"""The random-intercept logistic model for prevalence against R's metafor and lme4.

Reference values: R 4.2.2, metafor 3.8-1, lme4 1.1-31 (Debian's r-cran-metafor and
r-cran-lme4), run from the repository's root as ``Rscript glmm_reference.R`` with the
script in :data:`R_SCRIPT`; its printed output is :data:`R_OUTPUT`, verbatim, and the
tests read their reference values from it. Every model is fitted twice:

- with metafor's defaults (``rma.glmm`` calls ``lme4::glmer`` with ``nAGQ = 7`` and
  ``glmerControl()``'s defaults: bobyqa then Nelder-Mead, and a tolerance of 1e-7 on
  the penalised iteratively reweighted least squares that find the random intercepts'
  modes). We agree to 1e-5 on the logit, its standard error and tau² in every case but
  two, in which lme4's own tolerance moves its maximum: the Laplace fit of Pritz et al.
  (``nAGQ = 1``; 1.2e-3 on tau²) and the five studies with none or only cases
  (tau² = 37.8; 3e-3 on tau², 8e-5 relative). For those two the defaults are held to
  what they reach (5e-3), and the tight run below is the reference.
- with tight control (``control = list(glmerCtrl = list(tolPwrss = 1e-12, optimizer =
  "bobyqa", optCtrl = list(rhoend = 1e-10)))``), under which lme4's likelihood is the
  one computed here to 1e-8 (:func:`test_quadrature_is_lme4s`) and we agree to 1e-6 on
  the logit and tau² (relative 1e-6 on tau² = 37.8) and to 1e-5 on the standard errors
  (lme4 takes them from a finite-difference Hessian).

metafor's ``logLik`` for ``rma.glmm`` is the log-likelihood of the data given the
random intercepts' modes (the saturated log-likelihood minus half of lme4's
``deviance()``), compared here with :attr:`GlmmFit.loglik_conditional`; the maximised
marginal log-likelihood, :attr:`GlmmFit.loglik`, is compared with lme4's deviance
function (``devFunOnly = TRUE``) in :func:`test_quadrature_is_lme4s`.

The data: metafor's own example for ``measure = "PLO"`` (``dat.pritz1997`` in metadat,
whose help page fits ``rma.glmm(measure="PLO", xi=xi, ni=ni, data=dat)``), the bundled
``prevalence_studies.csv`` (all studies and per setting; one covariate), the fixture
``tests/fixtures/packages/prevalence_only`` (all, per setting: one setting has a single
study, which metafor refuses), studies with no cases, with none and only cases, k = 2
and 3, identical proportions (tau² = 0), and studies that all have no case (lme4 cannot
fit; we return a status).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import expit

from analysis import paths
from analysis.stats import prevalence_glmm as glmm
from analysis.stats.prevalence import pool as pool_inverse_variance

R_SCRIPT = r"""
suppressMessages(library(metafor))
tight <- list(glmerCtrl = list(tolPwrss = 1e-12, optimizer = "bobyqa",
                               optCtrl = list(rhoend = 1e-10)))
f10 <- function(v) paste(sprintf("%.10f", v), collapse = " ")
show <- function(name, xi, ni, mods = NULL, nAGQ = 7) {
  for (control in list(list(), tight)) {
    res <- if (is.null(mods)) {
      rma.glmm(measure = "PLO", xi = xi, ni = ni, nAGQ = nAGQ, control = control)
    } else {
      rma.glmm(measure = "PLO", xi = xi, ni = ni, mods = mods, nAGQ = nAGQ,
               control = control)
    }
    cat(sprintf("%s k=%d nAGQ=%d%s\n", name, res$k, nAGQ,
                if (length(control)) " tight" else ""))
    cat(sprintf("  beta %s\n  se %s\n", f10(res$beta), f10(res$se)))
    cat(sprintf("  tau2 %.10f I2 %.8f H2 %.8f\n", res$tau2, res$I2, res$H2))
    cat(sprintf("  LRT %.8f LRTp %.8g logLik %.8f\n", res$QE.LRT, res$QEp.LRT,
                c(logLik(res))))
    if (is.null(mods)) {
      p <- predict(res, transf = transf.ilogit)
      cat(sprintf("  pred %.10f\n  ci %s\n  pi %s\n", p$pred, f10(c(p$ci.lb, p$ci.ub)),
                  f10(c(p$pi.lb, p$pi.ub))))
    } else cat(sprintf("  QM %.8f QMp %.8g\n", res$QM, res$QMp))
  }
}
tryshow <- function(name, ...) tryCatch(show(name, ...), error = function(e)
  cat(name, "\n  error:", conditionMessage(e), "\n"))
pritz <- dat.pritz1997
show("pritz1997", pritz$xi, pritz$ni)
show("pritz1997", pritz$xi, pritz$ni, nAGQ = 1)
d <- read.csv("data_synthetic/prevalence_studies.csv")
show("bundled all", d$cases, d$n)
for (s in unique(d$setting)) show(paste("bundled", s), d$cases[d$setting == s],
                                  d$n[d$setting == s])
show("bundled all", d$cases, d$n, nAGQ = 1)
c1 <- d[d$setting == "community", ]
show("bundled community ~ design", c1$cases, c1$n, mods = ~ factor(c1$design))
f <- read.csv("tests/fixtures/packages/prevalence_only/prevalence_studies.csv")
show("fixture all", f$cases, f$n)
for (s in unique(f$setting)) tryshow(paste("fixture", s), f$cases[f$setting == s],
                                     f$n[f$setting == s])
show("zero events", c(0, 2, 0, 5, 1, 3), c(50, 80, 40, 120, 60, 90))
show("zero and all events", c(0, 12, 30, 7, 20), c(25, 40, 30, 50, 20))
show("k=2", c(12, 30), c(100, 150))
show("k=3", c(5, 9, 20), c(40, 60, 90))
show("homogeneous", c(10, 11, 9, 10), c(100, 100, 100, 100))
tryshow("all zero", c(0, 0, 0), c(20, 30, 40))
"""

R_OUTPUT = """
pritz1997 k=14 nAGQ=7
  beta 1.3766043890
  se 0.2883871878
  tau2 0.5893309018 I2 67.78973681 H2 3.10460052
  LRT 42.23239803 LRTp 6.0002984e-05 logLik -21.66073084
  pred 0.7984450965
  ci 0.6924026200 0.8745533676
  pi 0.4425835714 0.9518410958
pritz1997 k=14 nAGQ=7 tight
  beta 1.3766000772
  se 0.2883856623
  tau2 0.5893252267 I2 67.78952654 H2 3.10458026
  LRT 42.23239803 LRTp 6.0002984e-05 logLik -21.66076239
  pred 0.7984444026
  ci 0.6924023385 0.8745525665
  pi 0.4425844401 0.9518405391
pritz1997 k=14 nAGQ=1
  beta 1.3743799871
  se 0.2833607334
  tau2 0.5726470722 I2 67.15949042 H2 3.04501974
  LRT 42.23239803 LRTp 6.0002984e-05 logLik -21.74366929
  pred 0.7980868847
  ci 0.6940246966 0.8732225010
  pi 0.4478494682 0.9506460273
pritz1997 k=14 nAGQ=1 tight
  beta 1.3751873794
  se 0.2862430289
  tau2 0.5738030714 I2 67.20395348 H2 3.04914801
  LRT 42.23239803 LRTp 6.0002984e-05 logLik -21.73708018
  pred 0.7982169600
  ci 0.6929955536 0.8739355565
  pi 0.4472110645 0.9508425630
bundled all k=63 nAGQ=7
  beta -1.9681358239
  se 0.1309240528
  tau2 1.0621101009 I2 99.07183798 H2 107.73981013
  LRT 3420.58197419 LRTp 0 logLik -195.10262242
  pred 0.1225892587
  ci 0.0975505254 0.1529654513
  pi 0.0179107004 0.5169965172
bundled all k=63 nAGQ=7 tight
  beta -1.9681393578
  se 0.1309236199
  tau2 1.0621061815 I2 99.07183458 H2 107.73941625
  LRT 3420.58197419 LRTp 0 logLik -195.10262922
  pred 0.1225888786
  ci 0.0975502890 0.1529648835
  pi 0.0179107051 0.5169946848
bundled community k=46 nAGQ=7
  beta -2.4739894722
  se 0.0803344823
  tau2 0.2829925995 I2 97.04948116 H2 33.89234412
  LRT 1260.79787837 LRTp 1.1243701e-234 logLik -147.69252594
  pred 0.0777018504
  ci 0.0671420657 0.0897626210
  pi 0.0285133770 0.1947360925
bundled community k=46 nAGQ=7 tight
  beta -2.4739911097
  se 0.0803342264
  tau2 0.2829909228 I2 97.04946419 H2 33.89214923
  LRT 1260.79787837 LRTp 1.1243701e-234 logLik -147.69253835
  pred 0.0777017330
  ci 0.0671419945 0.0897624462
  pi 0.0285134183 0.1947353450
bundled primary_care k=8 nAGQ=7
  beta -1.1534044811
  se 0.1210121395
  tau2 0.1017649773 I2 89.31380410 H2 9.35786700
  LRT 96.48107276 LRTp 5.7407672e-18 logLik -24.95695615
  pred 0.2398677902
  ci 0.1993145543 0.2857276912
  pi 0.1391797192 0.3811454391
bundled primary_care k=8 nAGQ=7 tight
  beta -1.1534093276
  se 0.1210131296
  tau2 0.1017667461 I2 89.31396999 H2 9.35801228
  LRT 96.48107276 LRTp 5.7407672e-18 logLik -24.95694241
  pred 0.2398669065
  ci 0.1993134712 0.2857270981
  pi 0.1391784474 0.3811456566
bundled outpatient k=9 nAGQ=7
  beta -0.0000111283
  se 0.1653432056
  tau2 0.2089276387 I2 86.95341007 H2 7.66483813
  LRT 65.93036043 LRTp 3.1586731e-11 logLik -24.13622695
  pred 0.4999972179
  ci 0.4196822658 0.5803123136
  pi 0.2783432004 0.7216523289
bundled outpatient k=9 nAGQ=7 tight
  beta -0.0000080647
  se 0.1653421423
  tau2 0.2089245817 I2 86.95324408 H2 7.66474061
  LRT 65.93036043 LRTp 3.1586731e-11 logLik -24.13624387
  pred 0.4999979838
  ci 0.4196835195 0.5803125522
  pi 0.2783451962 0.7216515639
bundled all k=63 nAGQ=1
  beta -1.9681258746
  se 0.1309035513
  tau2 1.0618670830 I2 99.07162753 H2 107.71538735
  LRT 3420.58197419 LRTp 0 logLik -195.10300049
  pred 0.1225903288
  ci 0.0975549388 0.1529615342
  pi 0.0179149975 0.5169404892
bundled all k=63 nAGQ=1 tight
  beta -1.9681237504
  se 0.1309034161
  tau2 1.0618649959 I2 99.07162572 H2 107.71517761
  LRT 3420.58197419 LRTp 0 logLik -195.10300335
  pred 0.1225905573
  ci 0.0975551491 0.1529617751
  pi 0.0179150701 0.5169405197
bundled community ~ design k=46 nAGQ=7
  beta -2.4609610331 -0.0286968582
  se 0.1086609893 0.1612471897
  tau2 0.2829027960 I2 97.01024761 H2 33.44758597
  LRT 1242.38434660 LRTp 1.5274919e-231 logLik -147.68438731
  QM 0.03167265 QMp 0.85874802
bundled community ~ design k=46 nAGQ=7 tight
  beta -2.4609586735 -0.0286949463
  se 0.1086608421 0.1612469641
  tau2 0.2829015109 I2 97.01023444 H2 33.44743858
  LRT 1242.38434660 LRTp 1.5274919e-231 logLik -147.68440512
  QM 0.03166852 QMp 0.85875713
fixture all k=9 nAGQ=7
  beta -0.1378851763
  se 0.1076328918
  tau2 0.0784535724 I2 78.58840300 H2 4.67036625
  LRT 44.04203340 LRTp 5.5864831e-07 logLik -25.96866052
  pred 0.4655832172
  ci 0.4136633175 0.5182597298
  pi 0.3260731492 0.6106937940
fixture all k=9 nAGQ=7 tight
  beta -0.1378866747
  se 0.1076321162
  tau2 0.0784520437 I2 78.58807512 H2 4.67029473
  LRT 44.04203340 LRTp 5.5864831e-07 logLik -25.96868597
  pred 0.4655828444
  ci 0.4136633228 0.5182589762
  pi 0.3260740369 0.6106921211
fixture inpatient k=4 nAGQ=7
  beta -0.3783871925
  se 0.1096223312
  tau2 0.0157276587 I2 35.30327058 H2 1.54567319
  LRT 6.10124162 LRTp 0.10678716 logLik -11.90261514
  pred 0.4065159454
  ci 0.3558911028 0.4592080233
  pi 0.3307370489 0.4870226660
fixture inpatient k=4 nAGQ=7 tight
  beta -0.3783858753
  se 0.1096234131
  tau2 0.0157285898 I2 35.30462272 H2 1.54570549
  LRT 6.10124162 LRTp 0.10678716 logLik -11.90256400
  pred 0.4065162632
  ci 0.3558909187 0.4592088770
  pi 0.3307358190 0.4870247123
fixture prison k=4 nAGQ=7
  beta 0.0835481770
  se 0.1269478154
  tau2 0.0485884498 I2 76.19051131 H2 4.20000619
  LRT 15.75117767 LRTp 0.0012752601 logLik -12.58656958
  pred 0.5208749029
  ci 0.4587775391 0.5823338120
  pi 0.3977118470 0.6415515317
fixture prison k=4 nAGQ=7 tight
  beta 0.0835484660
  se 0.1269494145
  tau2 0.0485900600 I2 76.19111247 H2 4.20011224
  LRT 15.75117767 LRTp 0.0012752601 logLik -12.58654263
  pred 0.5208749750
  ci 0.4587768326 0.5823346446
  pi 0.3977100556 0.6415533845
fixture forensic_outpatient 
  error: Number of parameters to be estimated is larger than the number of observations. 
zero events k=6 nAGQ=7
  beta -3.6635616461
  se 0.3053524919
  tau2 0.0000000000 I2 0.00000000 H2 1.00000000
  LRT 6.12569839 LRTp 0.2941794 logLik -8.54674612
  pred 0.0250000000
  ci 0.0138976344 0.0445707986
  pi 0.0138976344 0.0445707986
zero events k=6 nAGQ=7 tight
  beta -3.6635616472
  se 0.3053523799
  tau2 0.0000000000 I2 0.00000000 H2 1.00000000
  LRT 6.12569839 LRTp 0.2941794 logLik NaN
  pred 0.0250000000
  ci 0.0138976373 0.0445707892
  pi 0.0138976373 0.0445707892
Warning message:
In sqrt(object$devResid()) : NaNs produced
zero and all events k=5 nAGQ=7
  beta 1.0750730743
  se 3.1046953245
  tau2 37.8166033569 I2 98.85399551 H2 87.25969338
  LRT 134.93496332 LRTp 3.4255425e-28 logLik -4.20993957
  pred 0.7455604766
  ci 0.0066265791 0.9992236761
  pi 0.0000040099 0.9999995330
zero and all events k=5 nAGQ=7 tight
  beta 1.0749126154
  se 3.1035626366
  tau2 37.8136458890 I2 98.85390691 H2 87.25294739
  LRT 134.93496332 LRTp 3.4255425e-28 logLik -4.20996821
  pred 0.7455300363
  ci 0.0066401504 0.9992218273
  pi 0.0000040149 0.9999995322
k=2 k=2 nAGQ=7
  beta -1.6224034822
  se 0.2126307460
  tau2 0.0218975825 I2 24.30920094 H2 1.32116454
  LRT 2.84464452 LRTp 0.091678868 logLik -5.39489827
  pred 0.1648736673
  ci 0.1151531002 0.2304707730
  pi 0.1062015438 0.2470021556
k=2 k=2 nAGQ=7 tight
  beta -1.6224018413
  se 0.2126284294
  tau2 0.0218955005 I2 24.30745142 H2 1.32113401
  LRT 2.84464452 LRTp 0.091678868 logLik -5.39493642
  pred 0.1648738932
  ci 0.1151537300 0.2304702588
  pi 0.1062028010 0.2470003028
k=3 k=3 nAGQ=7
  beta -1.5234954826
  se 0.1892670627
  tau2 0.0000000000 I2 0.00000000 H2 1.00000000
  LRT 2.30773822 LRTp 0.31541403 logLik -7.06907342
  pred 0.1789473684
  ci 0.1307376757 0.2400256561
  pi 0.1307376757 0.2400256561
k=3 k=3 nAGQ=7 tight
  beta -1.5234954840
  se 0.1892670575
  tau2 0.0000000000 I2 0.00000000 H2 1.00000000
  LRT 2.30773822 LRTp 0.31541403 logLik -7.06907342
  pred 0.1789473682
  ci 0.1307376767 0.2400256540
  pi 0.1307376767 0.2400256540
homogeneous k=4 nAGQ=7
  beta -2.1972245773
  se 0.1666666586
  tau2 0.0000000000 I2 0.00000000 H2 1.00000000
  LRT 0.22255735 LRTp 0.97386815 logLik -8.21025592
  pred 0.1000000000
  ci 0.0742006081 0.1334764847
  pi 0.0742006081 0.1334764847
homogeneous k=4 nAGQ=7 tight
  beta -2.1972245861
  se 0.1666666544
  tau2 0.0000000000 I2 0.00000000 H2 1.00000000
  LRT 0.22255735 LRTp 0.97386815 logLik NaN
  pred 0.0999999992
  ci 0.0742006081 0.1334764827
  pi 0.0742006081 0.1334764827
Warning message:
In sqrt(object$devResid()) : NaNs produced
all zero 
  error: Cannot fit ML model (set 'verbose=TRUE' to obtain further details). 
"""

FIXTURE = paths.ROOT / "tests" / "fixtures" / "packages" / "prevalence_only"
PRITZ_X = [16, 10, 4, 43, 10, 25, 13, 12, 22, 4, 5, 18, 58, 6]
PRITZ_N = [17, 12, 8, 58, 10, 42, 14, 12, 41, 5, 6, 23, 68, 10]


def r_results() -> dict[str, dict[str, list[float]]]:
    """:data:`R_OUTPUT` read back: one entry per printed model, its numbers by name."""
    blocks: dict[str, list[str]] = {}
    name = None
    for line in R_OUTPUT.strip("\n").splitlines():
        if line.startswith("Warning message") or line.startswith("In sqrt"):
            continue
        if not line.startswith(" "):
            name = line.strip()
            blocks[name] = []
        else:
            blocks[name] += line.split()
    results = {}
    for name, tokens in blocks.items():
        values: dict[str, list[float]] = {}
        key = None
        for token in tokens:
            try:
                number = float(token)
            except ValueError:
                key = token.rstrip(":")
                values[key] = []
            else:
                values[key].append(number)
        results[name] = values
    return results


R = r_results()


def _studies(source: str) -> pd.DataFrame:
    path = (paths.DATA_SYNTHETIC if source == "bundled" else FIXTURE) / "prevalence_studies.csv"
    return pd.read_csv(path)


def _data(case: str):
    """cases, n and nAGQ of a model named in :data:`R_OUTPUT`."""
    if case.startswith("pritz1997"):
        return PRITZ_X, PRITZ_N
    source, subset = case.split()[:2]
    if source in ("bundled", "fixture"):
        table = _studies(source)
        if subset != "all":
            table = table[table["setting"] == subset]
        return table["cases"].to_numpy(), table["n"].to_numpy()
    return {
        "zero events": ([0, 2, 0, 5, 1, 3], [50, 80, 40, 120, 60, 90]),
        "zero and all events": ([0, 12, 30, 7, 20], [25, 40, 30, 50, 20]),
        "k=2": ([12, 30], [100, 150]),
        "k=3": ([5, 9, 20], [40, 60, 90]),
        "homogeneous": ([10, 11, 9, 10], [100] * 4),
        "all zero": ([0, 0, 0], [20, 30, 40]),
    }[case.split(" k=")[0]]


POOLED = [name for name, values in R.items() if "pred" in values]
# lme4's tolerance on the random intercepts' modes moves its maximum in these two (see
# the module's docstring); tight control is their reference.
LOOSE = {"pritz1997 k=14 nAGQ=1", "zero and all events k=5 nAGQ=7"}


def _agq(name: str) -> int:
    return int(name.split("nAGQ=")[1].split()[0])


def test_every_case_of_the_script_is_read():
    assert len(POOLED) == 30
    assert {"fixture forensic_outpatient", "all zero"} <= set(R)


@pytest.mark.parametrize("name", POOLED)
def test_pooled_prevalence_matches_metafor(name):
    x, n = _data(name)
    res = glmm.pool_glmm(x, n, n_agq=_agq(name))
    ref = R[name]
    tight = name.endswith("tight")
    tol = 5e-3 if name in LOOSE else 1e-5
    near = 1e-6 if tight else max(tol, 1e-4)  # on the proportion scale
    assert res.status is glmm.GlmmStatus.CONVERGED and res.converged
    assert res.k == len(x)
    assert res.logit == pytest.approx(ref["beta"][0], abs=1e-6 if tight else tol)
    assert res.tau2 == pytest.approx(ref["tau2"][0], abs=1e-6 if tight else tol,
                                     rel=1e-6 if tight else 1e-4)
    assert res.se == pytest.approx(ref["se"][0], abs=1e-5 if tight else tol)
    assert res.tau == pytest.approx(math.sqrt(ref["tau2"][0]), abs=1e-3)
    assert res.i2_percent == pytest.approx(ref["I2"][0], abs=1e-3 if tight else 5e-2)
    assert res.h2 == pytest.approx(ref["H2"][0], rel=1e-4 if tight else 1e-2)
    assert res.lrt == pytest.approx(ref["LRT"][0], abs=1e-6)
    assert res.lrt_p == pytest.approx(ref["LRTp"][0], rel=1e-6, abs=1e-300)
    assert res.lrt_df == res.k - 1
    if not math.isnan(ref["logLik"][0]):
        assert res.fit.loglik_conditional == pytest.approx(ref["logLik"][0],
                                                           abs=1e-5 if tight else 1e-2)
    # Proportions: the pooled value, the Wald interval (z) and metafor's prediction
    # interval (z, sqrt(se² + tau²)), all transformed from the logit scale.
    assert res.prevalence == pytest.approx(ref["pred"][0], abs=near)
    assert (res.ci_low, res.ci_high) == pytest.approx(ref["ci"], abs=10 * near)
    assert (res.pi_low, res.pi_high) == pytest.approx(ref["pi"], abs=10 * near)
    assert res.n_agq == _agq(name)


@pytest.mark.parametrize("name", ["bundled community ~ design k=46 nAGQ=7",
                                  "bundled community ~ design k=46 nAGQ=7 tight"])
def test_meta_regression_matches_metafor(name):
    studies = _studies("bundled")
    res = glmm.glmm_meta_regression(studies, "design", setting="community")
    ref = R[name]
    coef = res.fit.coefficients()
    assert list(coef.index) == ["Intercept", "two_stage vs one_stage"]
    assert coef["estimate"].to_numpy() == pytest.approx(ref["beta"], abs=1e-5)
    assert coef["se"].to_numpy() == pytest.approx(ref["se"], abs=1e-5)
    assert res.tau2_residual == pytest.approx(ref["tau2"][0], abs=1e-5)
    assert res.fit.i2_percent == pytest.approx(ref["I2"][0], abs=1e-3)
    assert res.fit.lrt == pytest.approx(ref["LRT"][0], abs=1e-6)
    assert res.qm == pytest.approx(ref["QM"][0], abs=1e-5)
    assert res.qm_p == pytest.approx(ref["QMp"][0], abs=5e-5)
    assert res.qm_df == 1 and res.fit.lrt_df == 44


@pytest.mark.parametrize("source", ["bundled", "fixture"])
def test_subgroups_are_the_per_setting_models(source):
    studies = _studies(source)
    table = glmm.glmm_subgroups(studies, "setting")
    assert list(table.index) == sorted(studies["setting"].unique())
    for setting, row in table.iterrows():
        name = f"{source} {setting} k={row['k']} nAGQ=7 tight"
        if row["k"] == 1:  # metafor refuses a model of one study; so do we, as a status
            assert row["status"] is glmm.GlmmStatus.TOO_FEW_STUDIES and not row["converged"]
            assert math.isnan(row["prevalence"]) and "error" in R[f"{source} {setting}"]
            continue
        assert row["status"] is glmm.GlmmStatus.CONVERGED
        assert row["prevalence"] == pytest.approx(R[name]["pred"][0], abs=1e-6)
        assert row["tau2"] == pytest.approx(R[name]["tau2"][0], abs=1e-6)
        assert (row["pi_low"], row["pi_high"]) == pytest.approx(R[name]["pi"], abs=1e-5)
    assert table["k"].sum() == len(studies)


def test_tau2_at_zero_is_the_boundary_and_the_fixed_effect_model():
    # Identical proportions: the maximum is tau² = 0 (metafor: 0), where the model is
    # the fixed-effect logistic one: the pooled logit is log(40/360) exactly.
    res = glmm.pool_glmm([10, 11, 9, 10], [100] * 4)
    assert res.fit.tau2_at_zero and res.tau2 == 0.0 and res.i2_percent == 0.0
    assert res.logit == pytest.approx(math.log(40 / 360), abs=1e-9)
    assert res.se == pytest.approx(math.sqrt(1 / 40 + 1 / 360), rel=1e-6)
    assert (res.pi_low, res.pi_high) == pytest.approx((res.ci_low, res.ci_high))


# -------------------------------------------------------------- the likelihood

# lme4's deviance function at fixed parameters, for Pritz et al.'s studies (R 4.2.2,
# lme4 1.1-31); for nAGQ = 1 it is -2 log-likelihood, for nAGQ > 1 it is relative to
# the saturated model (-2 (loglik - saturated)):
#
#   xi <- c(16,10,4,43,10,25,13,12,22,4,5,18,58,6); ni <- c(17,12,8,58,10,42,14,12,41,5,6,23,68,10)
#   study <- factor(seq_along(xi)); y <- cbind(xi, ni - xi)
#   for (q in c(1, 7)) {
#     dev <- glmer(y ~ 1 + (1 | study), family = binomial, nAGQ = q, devFunOnly = TRUE,
#                  control = glmerControl(tolPwrss = 1e-12))
#     for (theta in c(0, 0.5, 1.5)) cat(q, theta, sprintf("%.10f", dev(c(theta, 1.3744))), "\n")
#   }
#   cat("saturated", sprintf("%.10f", sum(dbinom(xi, ni, xi / ni, log = TRUE))), "\n")
#
# 1 0 80.9750380782
# 1 0.5 66.7414276087
# 1 1.5 69.3065672134
# 7 0 45.8746996852
# 7 0.5 31.6037686362
# 7 1.5 33.8663913802
# saturated -17.5501691965
LME4_DEVIANCE = {(1, 0.0): 80.9750380782, (1, 0.5): 66.7414276087, (1, 1.5): 69.3065672134,
                 (7, 0.0): 45.8746996852, (7, 0.5): 31.6037686362, (7, 1.5): 33.8663913802}
LME4_SATURATED = -17.5501691965


@pytest.mark.parametrize(("n_agq", "theta"), sorted(LME4_DEVIANCE))
def test_quadrature_is_lme4s(n_agq, theta):
    ll = glmm.marginal_loglik([1.3744], theta, PRITZ_X, PRITZ_N, n_agq=n_agq)
    offset = 0.0 if n_agq == 1 else -2 * LME4_SATURATED
    assert -2 * ll - offset == pytest.approx(LME4_DEVIANCE[(n_agq, theta)], abs=1e-8)


def test_quadrature_converges_to_the_integral():
    """With many nodes the adaptive rule is the integral itself (computed here by
    adaptive quadrature over the random intercept); 7 nodes are close (here, with small
    studies and a large tau, to 2e-4 in the log-likelihood)."""
    x, n, beta, tau = np.array([0, 3, 17]), np.array([40, 25, 30]), -1.2, 1.4

    def exact(xi, ni):
        f = lambda u: stats.binom.pmf(xi, ni, expit(beta + u)) * stats.norm.pdf(u, 0, tau)
        return integrate.quad(f, -12 * tau, 12 * tau, epsabs=0, epsrel=1e-13, limit=400)[0]

    truth = sum(math.log(exact(a, b)) for a, b in zip(x, n))
    assert glmm.marginal_loglik([beta], tau, x, n, n_agq=40) == pytest.approx(truth, abs=1e-10)
    assert glmm.marginal_loglik([beta], tau, x, n, n_agq=7) == pytest.approx(truth, abs=5e-4)


def test_without_heterogeneity_the_likelihood_is_binomial():
    x, n = np.array([3, 8, 0]), np.array([30, 40, 12])
    p = expit(-1.5)
    assert glmm.marginal_loglik([-1.5], 0.0, x, n) == pytest.approx(
        stats.binom.logpmf(x, n, p).sum(), abs=1e-12)


# ------------------------------------------------------ what cannot be fitted


def test_a_single_study_is_a_status_not_an_error():
    res = glmm.pool_glmm([5], [20])
    assert res.status is glmm.GlmmStatus.TOO_FEW_STUDIES and not res.converged
    assert math.isnan(res.prevalence) and math.isnan(res.tau2)
    # metafor refuses the same model (the fixture's one forensic outpatient study)
    assert "error" in R["fixture forensic_outpatient"]


def test_no_case_anywhere_is_a_status_not_an_error():
    for cases in ([0, 0, 0], [20, 30, 40]):
        res = glmm.pool_glmm(cases, [20, 30, 40])
        assert res.status is glmm.GlmmStatus.INFINITE_ESTIMATE
        assert math.isnan(res.logit) and math.isnan(res.ci_low)
    assert "error" in R["all zero"]  # lme4 cannot fit it either


def test_a_fit_that_does_not_converge_says_so(monkeypatch):
    monkeypatch.setattr(glmm, "GRADIENT_TOLERANCE", 0.0)  # nothing can pass
    res = glmm.pool_glmm(PRITZ_X, PRITZ_N)
    assert res.status is glmm.GlmmStatus.NOT_CONVERGED and not res.converged
    assert res.iterations > 0 and res.fit.function_evaluations > res.iterations
    assert np.isfinite(res.logit)  # the last estimate is kept, for the page to qualify


def test_bad_counts_are_refused_with_the_study_named():
    with pytest.raises(ValueError, match="study 2: cases=9 must be a whole number from 0 to n=5"):
        glmm.pool_glmm([1, 9], [10, 5])
    with pytest.raises(ValueError, match="n_agq"):
        glmm.pool_glmm([1, 2], [10, 5], n_agq=0)


def test_zero_event_studies_need_no_correction():
    """The binomial likelihood takes a study without cases as it is; only I² borrows
    the corrected logits' variances, as metafor does."""
    x, n = [0, 2, 0, 5, 1, 3], [50, 80, 40, 120, 60, 90]
    res = glmm.pool_glmm(x, n)
    # tau² = 0 here, so the estimate is the fixed-effect one: the pooled proportion.
    assert res.prevalence == pytest.approx(sum(x) / sum(n), abs=1e-9)
    inverse_variance = pool_inverse_variance(x, n)
    assert inverse_variance.n_corrected == 2
    assert inverse_variance.prevalence > res.prevalence  # the correction pulls upwards


def test_results_are_named_and_complete():
    res = glmm.pool_glmm(PRITZ_X, PRITZ_N)
    fit = res.fit
    assert fit.terms == ("Intercept",) and fit.p == 1 and fit.k == 14
    assert res.cases == sum(PRITZ_X) and res.n == sum(PRITZ_N)
    assert res.level == 0.95 and fit.gradient_norm < glmm.GRADIENT_TOLERANCE
    coef = fit.coefficients()
    assert coef.loc["Intercept", "estimate"] == res.logit
    assert coef.loc["Intercept", "ci_low"] == pytest.approx(res.ci_low_logit)
    assert expit(res.ci_low_logit) == pytest.approx(res.ci_low)
    assert fit.loglik > fit.loglik_fixed  # random intercepts improve on a common one
    assert fit.lrt == pytest.approx(2 * (fit.loglik_saturated - fit.loglik_fixed))


def test_a_fit_of_the_same_studies_again_is_the_first_fit_and_the_callers_own():
    first = glmm.fit_glmm(PRITZ_X, PRITZ_N)
    first.beta[0] = 99.0  # a caller that changes its fit changes no one else's
    again = glmm.fit_glmm(np.array(PRITZ_X), pd.Series(PRITZ_N))
    assert again.beta[0] != 99.0
    assert again.beta[0] == glmm.pool_glmm(PRITZ_X, PRITZ_N).logit
    assert again.function_evaluations == first.function_evaluations
    other = glmm.fit_glmm(PRITZ_X, PRITZ_N, n_agq=1)  # another input: fitted anew
    assert other.n_agq == 1 and other.loglik != again.loglik


def test_the_fits_kept_are_bounded_the_oldest_going_first(monkeypatch):
    monkeypatch.setattr(glmm, "FITS_KEPT", 2)
    monkeypatch.setattr(glmm, "_FITTED", {})
    for extra in (1, 2, 3):
        glmm.fit_glmm([*PRITZ_X[:5], extra], [*PRITZ_N[:5], 100])
    assert len(glmm._FITTED) == 2
    kept = [np.frombuffer(key[1])[-1] for key in glmm._FITTED]
    assert kept == [2, 3]
