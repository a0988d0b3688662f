"""Pooling single proportions with a generalised linear mixed model (random-intercept
logistic regression), as ``metafor::rma.glmm(measure = "PLO")`` does.

The model is the binomial-normal model of Stijnen, Hamza and Ozdemir (2010)::

    cases_i ~ Binomial(n_i, p_i),   logit(p_i) = x_i'β + u_i,   u_i ~ N(0, tau²)

fitted by maximum likelihood. Unlike the inverse-variance pooling of
:mod:`analysis.stats.prevalence` it uses each study's exact binomial likelihood: no
study needs a continuity correction, the within-study variances are not treated as
known, and there is no back-transformation that depends on a sample size (the Freeman-
Tukey problem of Schwarzer et al. 2019). The price is an integral over the random
intercept per study, which has no closed form.

How the integral and the fit are computed, and why so:

- **Adaptive Gauss-Hermite quadrature** (Liu and Pierce 1994; Pinheiro and Bates 1995):
  per study the integrand is centred at the mode of the random intercept and scaled by
  the curvature there, and ``n_agq`` nodes are used. ``n_agq = 1`` is the Laplace
  approximation. This is what lme4's ``glmer(..., nAGQ = )`` computes, and metafor's
  ``rma.glmm`` calls ``glmer`` with ``nAGQ = 7`` by default, so 7 is the default here.
  With the same nodes and the same centring the approximated likelihood is the same
  function as lme4's, so the two maxima agree up to the optimisers' tolerances.
- **Parameters** are β and ``theta = tau`` (lme4's parametrisation, ``theta >= 0``):
  the maximum can sit on the boundary ``tau² = 0``, which a log-scale parameter could
  only approach.
- **Optimiser**: scipy's L-BFGS-B with the bound ``theta >= 0``, started from the
  fixed-effect logistic regression, then a few Newton steps on a finite-difference
  Hessian to settle the maximum (lme4 uses bobyqa and Nelder-Mead, derivative-free;
  the maximum is the same, the last digits of theirs depend on its tolerances).
- **Standard errors** as lme4's ``vcov`` gives them by default: the β block of the
  inverse of the observed information in (theta, β), computed by finite differences
  (at ``tau² = 0`` the β block of the information alone, where the cross terms vanish).
- **Confidence interval**: Wald with the normal quantile (metafor's default
  ``test = "z"``). **Prediction interval**: ``mu ± z sqrt(se² + tau²)`` on the logit
  scale, transformed back, as metafor's ``predict`` computes it for this model.
- **I² and H²** as metafor reports them for ``rma.glmm``: tau² against the "typical"
  within-study variance of the studies' logits (``escalc(measure="PLO")`` with 0.5
  added to studies with no cases or only cases; the generalisation ``(k - p)/tr(P)``
  with moderators).
- **Heterogeneity test**: the likelihood-ratio test of the fixed-effect logistic model
  against the saturated one (metafor's ``LRT``), on ``k - p`` degrees of freedom.

A fit that does not converge, a pooled logit that runs off to infinity (every study
without cases, or with only cases), or a covariance that cannot be inverted comes back
as a :class:`GlmmStatus` in the result, never as an exception: a page says it in words.
Bad counts (missing, negative, more cases than people) are a ValueError, as in
:mod:`analysis.stats.prevalence`.

References
----------
Liu Q, Pierce DA (1994). A note on Gauss-Hermite quadrature. Biometrika 81:624-629.
Pinheiro JC, Bates DM (1995). Approximations to the log-likelihood function in the
nonlinear mixed-effects model. Journal of Computational and Graphical Statistics 4:12-35.
Stijnen T, Hamza TH, Ozdemir P (2010). Random effects meta-analysis of event outcome in
the framework of the generalized linear mixed model with applications in sparse data.
Statistics in Medicine 29:3046-3067.
Hamza TH, van Houwelingen HC, Stijnen T (2008). The binomial distribution of
meta-analysis was preferred to model within-study variability. Journal of Clinical
Epidemiology 61:41-51.
Schwarzer G, Chemaitelly H, Abu-Raddad LJ, Rucker G (2019). Seriously misleading results
using inverse of Freeman-Tukey double arcsine transformation in meta-analysis of single
proportions. Research Synthesis Methods 10:476-483.
Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models
using lme4. Journal of Statistical Software 67(1):1-48.
Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. Journal of
Statistical Software 36(3):1-48.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis.
Statistics in Medicine 21:1539-1558.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd
from numpy.polynomial.hermite import hermgauss
from scipy import optimize, stats
from scipy.special import expit, gammaln

from analysis.stats.prevalence import LEVEL, levels, study_effects
# The count checks and the design of a covariate are the inverse-variance module's, so
# that both analyses refuse the same data with the same words and code a covariate alike.
from analysis.stats.prevalence import _check_counts as check_counts
from analysis.stats.prevalence import _design as covariate_design

N_AGQ = 7  # metafor's rma.glmm default (nAGQ = 7), passed on to lme4::glmer
# |logit| beyond which a pooled estimate is taken as running off to infinity: a
# prevalence of 1e-13, far below anything a study of people can estimate.
LOGIT_LIMIT = 30.0
MAX_ITERATIONS = 1000
GRADIENT_TOLERANCE = 1e-5  # on the deviance scale (-2 log-likelihood)


class GlmmStatus(Enum):
    """How a fit ended (the chapters' words for each are theirs)."""

    CONVERGED = "converged"
    NOT_CONVERGED = "not_converged"          # iteration limit, or the gradient not ~0
    INFINITE_ESTIMATE = "infinite_estimate"  # no cases (or only cases): logit -> ±inf
    SINGULAR_COVARIANCE = "singular_covariance"  # estimates, but no standard errors
    TOO_FEW_STUDIES = "too_few_studies"      # fewer studies than parameters


# ------------------------------------------------------------ the likelihood


def _quadrature(n_agq: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and log weights for ∫ exp(-t²) g(t) dt."""
    if int(n_agq) != n_agq or n_agq < 1:
        raise ValueError(f"n_agq must be a whole number of at least 1, not {n_agq}")
    nodes, weights = hermgauss(int(n_agq))
    return nodes, np.log(weights)


def _modes(eta: np.ndarray, theta: float, x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Mode of each study's standardised random intercept b (u = theta b).

    Maximises ``x (eta + theta b) - n log(1 + exp(eta + theta b)) - b²/2``, strictly
    concave in b; its root lies between ``theta (x - n)`` and ``theta x``. Newton steps,
    replaced by bisection when one leaves the bracket (in the logistic tails a Newton
    step can overshoot).
    """
    lo = np.minimum(theta * (x - n), theta * x)
    hi = np.maximum(theta * (x - n), theta * x)
    b = np.clip(np.zeros_like(eta), lo, hi)
    for _ in range(200):
        p = expit(eta + theta * b)
        g = theta * (x - n * p) - b
        # g decreases in b: a positive g means the root is above b.
        lo = np.where(g > 0, b, lo)
        hi = np.where(g > 0, hi, b)
        step = g / (theta ** 2 * n * p * (1 - p) + 1)
        new = b + step
        outside = (new <= lo) | (new >= hi)
        new = np.where(outside, (lo + hi) / 2, new)
        done = np.abs(new - b) <= 1e-13 * (1 + np.abs(b))
        b = new
        if done.all():
            break
    return b


def _log_choose(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)


def _study_loglik(beta: np.ndarray, theta: float, x: np.ndarray, n: np.ndarray,
                  X: np.ndarray, nodes: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """Each study's marginal log-likelihood by adaptive Gauss-Hermite quadrature.

    ``log ∫ Bin(x | n, expit(eta + theta b)) φ(b) db`` with the nodes placed at
    ``b̂ + sqrt(2) s t_j``, ``b̂`` the mode and ``s = (theta² n p̂(1 - p̂) + 1)^(-1/2)``
    the curvature there (Liu and Pierce 1994). Even in theta, so a finite difference
    across theta = 0 is well defined.
    """
    eta = X @ beta
    b = _modes(eta, theta, x, n)
    p = expit(eta + theta * b)
    s = 1 / np.sqrt(theta ** 2 * n * p * (1 - p) + 1)
    u = b[:, None] + np.sqrt(2) * s[:, None] * nodes[None, :]
    lin = eta[:, None] + theta * u
    # x log p + (n - x) log(1 - p), stable for any linear predictor.
    log_f = x[:, None] * lin - n[:, None] * np.logaddexp(0, lin) - u ** 2 / 2
    inner = log_w[None, :] + nodes[None, :] ** 2 + log_f
    top = inner.max(axis=1)
    log_integral = top + np.log(np.exp(inner - top[:, None]).sum(axis=1))
    return (_log_choose(x, n) - 0.5 * np.log(2 * np.pi) + np.log(np.sqrt(2) * s)
            + log_integral)


def marginal_loglik(beta, theta: float, cases, n, design=None, n_agq: int = N_AGQ) -> float:
    """Log-likelihood of the binomial-normal model at given parameters.

    Parameters
    ----------
    beta : array-like of float
        Fixed effects on the logit scale (one per column of ``design``).
    theta : float
        Standard deviation of the random intercepts (tau).
    cases, n : array-like of int
        Events and sample sizes, one per study.
    design : array-like, shape (k, p), optional
        Fixed-effect design; an intercept only by default.
    n_agq : int
        Quadrature nodes per study (1 is the Laplace approximation).

    Returns
    -------
    float
        The full log-likelihood, binomial coefficients included (so it equals the
        ``logLik`` metafor reports for ``rma.glmm``).
    """
    x, m = check_counts(cases, n)
    X = np.ones((x.size, 1)) if design is None else np.asarray(design, dtype=float)
    nodes, log_w = _quadrature(n_agq)
    return float(_study_loglik(np.atleast_1d(np.asarray(beta, dtype=float)), float(theta),
                               x, m, X, nodes, log_w).sum())


def _binomial_loglik(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (_log_choose(x, n) + np.where(x > 0, x * np.log(p), 0.0)
                 + np.where(n - x > 0, (n - x) * np.log1p(-p), 0.0))
    return float(terms.sum())


def _logistic_fit(x: np.ndarray, n: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, bool]:
    """Fixed-effect logistic regression by Newton-Raphson (IRLS); whether it converged
    to a finite estimate (a group without cases has none)."""
    p0 = np.clip(x.sum() / n.sum(), 1e-8, 1 - 1e-8)
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(p0 / (1 - p0))
    for _ in range(100):
        p = expit(X @ beta)
        info = X.T @ ((n * p * (1 - p))[:, None] * X)
        try:
            step = np.linalg.solve(info, X.T @ (x - n * p))
        except np.linalg.LinAlgError:
            return beta, False
        beta = beta + step
        if np.abs(step).max() < 1e-12 * (1 + np.abs(beta).max()):
            return beta, bool(np.all(np.abs(beta) < LOGIT_LIMIT))
    return beta, False


# ------------------------------------------------------------------ the fit


@dataclass(frozen=True, eq=False)
class GlmmFit:
    """A binomial-normal (random-intercept logistic) model fitted by maximum likelihood.

    Attributes
    ----------
    k, p : int
        Studies and fixed-effect coefficients.
    terms : tuple of str
        Names of the coefficients (``"Intercept"`` alone without moderators).
    beta, se : ndarray
        Coefficients on the logit scale and their standard errors (NaN when the
        covariance could not be computed).
    cov : ndarray, shape (p, p)
        Their covariance matrix.
    tau2, tau : float
        Between-study variance of the logits, and its square root.
    loglik : float
        Maximised marginal log-likelihood (binomial coefficients included).
    loglik_conditional : float
        The log-likelihood of the studies given their predicted random intercepts
        (the conditional modes): what metafor prints as ``logLik`` for ``rma.glmm``
        fitted with lme4 (the saturated log-likelihood minus half of lme4's
        ``deviance()``, the sum of squared deviance residuals), kept to compare with it.
    loglik_fixed, loglik_saturated : float
        Of the fixed-effect logistic model with the same design, and of the saturated
        model (one proportion per study); the LRT for heterogeneity is twice their
        difference.
    lrt, lrt_df, lrt_p : float, int, float
        Likelihood-ratio test of heterogeneity (metafor's ``LRT``).
    i2_percent, h2 : float
        I² (%) and H², with the typical within-study variance ``typical_variance``.
    n_agq : int
        Quadrature nodes per study (1 = Laplace).
    status : GlmmStatus
    converged : bool
        The optimiser stopped at a point where the gradient is ~0 (projected on the
        bound theta >= 0).
    tau2_at_zero : bool
        The maximum is on the boundary tau² = 0 (the model is then the fixed-effect one).
    iterations, function_evaluations : int
        Of the optimiser (the Newton polish included).
    gradient_norm : float
        Largest absolute (projected) gradient of the deviance at the end.
    level : float
        Coverage of the intervals.
    """

    k: int
    p: int
    terms: tuple[str, ...]
    beta: np.ndarray
    se: np.ndarray
    cov: np.ndarray = field(repr=False)
    tau2: float = float("nan")
    tau: float = float("nan")
    loglik: float = float("nan")
    loglik_conditional: float = float("nan")
    loglik_fixed: float = float("nan")
    loglik_saturated: float = float("nan")
    lrt: float = float("nan")
    lrt_df: int = 0
    lrt_p: float = float("nan")
    i2_percent: float = float("nan")
    h2: float = float("nan")
    typical_variance: float = float("nan")
    n_agq: int = N_AGQ
    status: GlmmStatus = GlmmStatus.CONVERGED
    converged: bool = False
    tau2_at_zero: bool = False
    iterations: int = 0
    function_evaluations: int = 0
    gradient_norm: float = float("nan")
    level: float = LEVEL

    def coefficients(self) -> pd.DataFrame:
        """One row per coefficient: ``estimate``, ``se``, ``z``, ``p``, ``ci_low``,
        ``ci_high`` (Wald, normal quantile), indexed by term."""
        z = stats.norm.ppf(0.5 + self.level / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            zval = self.beta / self.se
        return pd.DataFrame({"estimate": self.beta, "se": self.se, "z": zval,
                             "p": 2 * stats.norm.sf(np.abs(zval)),
                             "ci_low": self.beta - z * self.se,
                             "ci_high": self.beta + z * self.se},
                            index=pd.Index(self.terms, name="term"))


def _typical_variance(v: np.ndarray, X: np.ndarray) -> float:
    """``(k - p) / tr(P)``, ``P = W - W X (X'WX)^-1 X'W``, ``W = diag(1/v)``: metafor's
    typical within-study variance (Higgins and Thompson's with an intercept only)."""
    w = 1 / v
    xtwx = X.T @ (w[:, None] * X)
    # tr(W X (X'WX)^-1 X'W) = tr((X'WX)^-1 X'W²X)
    trace = w.sum() - np.trace(np.linalg.solve(xtwx, X.T @ ((w ** 2)[:, None] * X)))
    return float((X.shape[0] - X.shape[1]) / trace)


def _hessian(f, point: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    d = point.size
    h = np.empty((d, d))
    f0 = f(point)
    for i in range(d):
        ei = np.zeros(d)
        ei[i] = steps[i]
        h[i, i] = (f(point + ei) - 2 * f0 + f(point - ei)) / steps[i] ** 2
        for j in range(i):
            ej = np.zeros(d)
            ej[j] = steps[j]
            h[i, j] = h[j, i] = (f(point + ei + ej) - f(point + ei - ej) - f(point - ei + ej)
                                 + f(point - ei - ej)) / (4 * steps[i] * steps[j])
    return h


def _gradient(f, point: np.ndarray, steps: np.ndarray) -> np.ndarray:
    g = np.empty(point.size)
    for i in range(point.size):
        e = np.zeros(point.size)
        e[i] = steps[i]
        g[i] = (f(point + e) - f(point - e)) / (2 * steps[i])
    return g


def _not_fitted(k: int, terms: tuple[str, ...], status: GlmmStatus, n_agq: int,
                level: float) -> GlmmFit:
    p = len(terms)
    nan = np.full(p, np.nan)
    return GlmmFit(k=k, p=p, terms=terms, beta=nan, se=nan.copy(),
                   cov=np.full((p, p), np.nan), n_agq=n_agq, status=status, level=level)


def fit_glmm(cases, n, design: pd.DataFrame | np.ndarray | None = None,
             n_agq: int = N_AGQ, level: float = LEVEL) -> GlmmFit:
    """Fit the random-intercept logistic model by maximum likelihood.

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes, one per study.
    design : DataFrame or array, shape (k, p), optional
        Fixed-effect design (an intercept column first); an intercept only by default.
        A DataFrame's column names become the terms.
    n_agq : int
        Adaptive Gauss-Hermite nodes per study; 7 as metafor's default, 1 for the
        Laplace approximation.
    level : float
        Coverage of the Wald intervals of :meth:`GlmmFit.coefficients`.

    Returns
    -------
    GlmmFit
        With ``status`` saying whether the fit can be reported: fewer studies than
        parameters plus one (metafor refuses such a model), a pooled logit that runs off
        to infinity, an optimiser that did not converge or a covariance that could not
        be inverted all come back as a status, with NaN where no number exists. The
        same input fitted again in one process gives a copy of the first fit.

    Raises
    ------
    ValueError
        Invalid counts, a design whose rows do not match the studies, or ``n_agq < 1``.

    References
    ----------
    Stijnen, Hamza and Ozdemir (2010); Liu and Pierce (1994); Bates et al. (2015).
    """
    x, m = check_counts(cases, n)
    nodes, log_w = _quadrature(n_agq)
    if design is None:
        X, terms = np.ones((x.size, 1)), ("Intercept",)
    else:
        X = np.asarray(design, dtype=float)
        if X.ndim != 2 or X.shape[0] != x.size:
            raise ValueError(f"the design must have one row per study ({x.size}); it has "
                             f"shape {X.shape}")
        terms = (tuple(str(c) for c in design.columns) if isinstance(design, pd.DataFrame)
                 else tuple(f"x{j}" for j in range(X.shape[1])))
    # Everything the fit depends on, the module's limits included (a test may change one).
    key = (x.dtype.str, x.tobytes(), m.dtype.str, m.tobytes(), X.shape, X.tobytes(), terms,
           n_agq, level, MAX_ITERATIONS, GRADIENT_TOLERANCE, LOGIT_LIMIT)
    with _FITTED_LOCK:
        fitted = _FITTED.get(key)
    if fitted is None:
        fitted = _fit(x, m, X, terms, nodes, log_w, n_agq, level)
        with _FITTED_LOCK:
            _FITTED[key] = fitted
            while len(_FITTED) > FITS_KEPT:
                del _FITTED[next(iter(_FITTED))]  # the oldest first
    return copy.deepcopy(fitted)


# The fits already made in this process, by their exact input (counts, design, nodes,
# level, the limits above): a pure function's results. The pages of one book fit the
# same studies again and again (the Prevalence context page and its two sensitivity
# analyses pool the same main analysis; the method page's exercises pool every study),
# each fit some hundred evaluations of the likelihood, and a worker's kernel runs
# several of those pages. Each caller gets its own copy, so a fit changed by one cannot
# reach another. A multiverse on a threaded Dask cluster fits from several threads.
_FITTED: dict[tuple, GlmmFit] = {}
_FITTED_LOCK = threading.Lock()
FITS_KEPT = 32


def _fit(x: np.ndarray, m: np.ndarray, X: np.ndarray, terms: tuple[str, ...],
         nodes: np.ndarray, log_w: np.ndarray, n_agq: int, level: float) -> GlmmFit:
    """:func:`fit_glmm` on checked counts and design."""
    k, p = X.shape
    if k < p + 1:
        return _not_fitted(k, terms, GlmmStatus.TOO_FEW_STUDIES, n_agq, level)
    beta0, fixed_ok = _logistic_fit(x, m, X)
    if not fixed_ok:
        return _not_fitted(k, terms, GlmmStatus.INFINITE_ESTIMATE, n_agq, level)

    def deviance(params: np.ndarray) -> float:
        return float(-2 * _study_loglik(params[:p], params[p], x, m, X, nodes, log_w).sum())

    # Steps for finite differences: small against each parameter's scale, large against
    # the deviance's rounding (the modes are solved to 1e-13).
    def steps(params: np.ndarray, scale: float) -> np.ndarray:
        return scale * (1 + np.abs(params))

    eff = study_effects(x, m, "logit")
    start_tau2 = max(float(np.var(eff.effect) - np.mean(eff.variance)), 0.05)
    start = np.append(beta0, np.sqrt(start_tau2))
    bounds = [(None, None)] * p + [(0.0, None)]
    evaluations = 0

    def counted(params: np.ndarray) -> float:
        nonlocal evaluations
        evaluations += 1
        return deviance(params)

    def jac(params: np.ndarray) -> np.ndarray:
        return _gradient(counted, params, steps(params, 1e-6))

    res = optimize.minimize(counted, start, jac=jac, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": MAX_ITERATIONS, "ftol": 1e-12,
                                     "gtol": 1e-6, "maxcor": 20})
    params, iterations = np.asarray(res.x, dtype=float), int(res.nit)
    # Newton steps on the finite-difference Hessian settle the maximum beyond what the
    # quasi-Newton method's stopping rule guarantees (on the boundary, on β alone).
    for _ in range(20):
        free = np.arange(p + 1) if params[p] > 1e-8 else np.arange(p)
        if free.size == p:
            params[p] = 0.0
        g = jac(params)[free]
        if np.abs(g).max() < 1e-9:
            break
        h = _hessian(counted, params, steps(params, 1e-4))[np.ix_(free, free)]
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
        trial = params.copy()
        trial[free] -= step
        if trial[p] < 0:
            trial[p] = 0.0
        if not deviance(trial) <= deviance(params) + 1e-12:
            break
        params = trial
        iterations += 1
    theta = float(params[p])
    at_zero = theta <= 1e-8
    if at_zero:
        theta = params[p] = 0.0
    grad = jac(params)
    # Projected gradient: on the bound only a push below zero counts.
    projected = grad.copy()
    if at_zero:
        projected[p] = min(grad[p], 0.0)
    gnorm = float(np.abs(projected).max())
    beta = params[:p]
    converged = bool(np.all(np.isfinite(params)) and gnorm < GRADIENT_TOLERANCE)
    if np.abs(X @ beta).max() > LOGIT_LIMIT:
        return _not_fitted(k, terms, GlmmStatus.INFINITE_ESTIMATE, n_agq, level)
    # Covariance of β: the β block of the inverse observed information in (theta, β), as
    # lme4's vcov does by default; on the boundary the cross terms vanish (the
    # likelihood is even in theta) and the β block of the information is used alone.
    h = _hessian(deviance, params, steps(params, 1e-4))
    info = h / 2
    # On the boundary the gradient in theta is 0 by symmetry whatever the data: tau² = 0
    # is a maximum only if the deviance curves upwards there (else it is a saddle).
    if at_zero and h[p, p] < -GRADIENT_TOLERANCE:
        converged = False
    status = GlmmStatus.CONVERGED if converged else GlmmStatus.NOT_CONVERGED
    try:
        if at_zero:
            cov = np.linalg.inv(info[:p, :p])
        else:
            cov = np.linalg.inv(info)[:p, :p]
        cov = (cov + cov.T) / 2
        if not np.all(np.linalg.eigvalsh(cov) > 0):
            raise np.linalg.LinAlgError("not positive definite")
        se = np.sqrt(np.diag(cov))
    except np.linalg.LinAlgError:
        cov, se = np.full((p, p), np.nan), np.full(p, np.nan)
        if converged:
            status = GlmmStatus.SINGULAR_COVARIANCE
    tau2 = theta ** 2
    loglik = -deviance(params) / 2
    eta = X @ beta
    fitted = expit(eta + theta * _modes(eta, theta, x, m))
    ll_fixed = _binomial_loglik(x, m, expit(X @ beta0))
    ll_sat = _binomial_loglik(x, m, x / m)
    lrt = max(0.0, 2 * (ll_sat - ll_fixed))
    lrt_df = k - p
    s2 = _typical_variance(eff.variance, X)
    return GlmmFit(
        k=k, p=p, terms=terms, beta=beta.copy(), se=se, cov=cov, tau2=tau2, tau=theta,
        loglik=loglik, loglik_conditional=_binomial_loglik(x, m, fitted),
        loglik_fixed=ll_fixed, loglik_saturated=ll_sat, lrt=lrt,
        lrt_df=lrt_df, lrt_p=float(stats.chi2.sf(lrt, lrt_df)) if lrt_df > 0 else 1.0,
        i2_percent=100 * tau2 / (s2 + tau2), h2=(s2 + tau2) / s2, typical_variance=s2,
        n_agq=int(n_agq), status=status, converged=converged, tau2_at_zero=at_zero,
        iterations=iterations, function_evaluations=evaluations, gradient_norm=gnorm,
        level=level)


# ------------------------------------------------------------- pooled prevalence


@dataclass(frozen=True, eq=False)
class GlmmPrevalence:
    """A prevalence pooled by the random-intercept logistic model.

    Logit-scale estimates (``logit``, ``se``, limits) and their transforms to
    proportions in [0, 1] (``prevalence``, limits). The confidence interval is Wald with
    the normal quantile; the prediction interval ``logit ± z sqrt(se² + tau²)`` (both
    metafor's defaults for ``rma.glmm``). When ``fit.status`` is not CONVERGED the
    numbers that could not be computed are NaN, and a page must say why.
    """

    fit: GlmmFit
    k: int
    cases: int
    n: int
    logit: float
    se: float
    ci_low_logit: float
    ci_high_logit: float
    pi_low_logit: float
    pi_high_logit: float
    prevalence: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    tau: float
    i2_percent: float
    h2: float
    loglik: float
    lrt: float
    lrt_df: int
    lrt_p: float
    n_agq: int
    level: float

    @property
    def status(self) -> GlmmStatus:
        return self.fit.status

    @property
    def converged(self) -> bool:
        return self.fit.converged

    @property
    def iterations(self) -> int:
        return self.fit.iterations


def pool_glmm(cases, n, n_agq: int = N_AGQ, level: float = LEVEL) -> GlmmPrevalence:
    """Pooled prevalence from the random-intercept logistic model (no moderators).

    The equivalent of ``predict(rma.glmm(measure = "PLO", xi = cases, ni = n),
    transf = transf.ilogit)`` in R's metafor, with the defaults ``nAGQ = 7``,
    ``test = "z"`` and ``level = 95``.

    Parameters
    ----------
    cases, n : array-like of int
        Events and sample sizes, one per study; studies with no cases or only cases
        need no correction.
    n_agq : int
        Adaptive Gauss-Hermite nodes per study (1 = Laplace).
    level : float
        Coverage of the confidence and prediction intervals.

    Returns
    -------
    GlmmPrevalence
        With the fit (:class:`GlmmFit`: status, convergence, iterations,
        log-likelihood, heterogeneity test) inside.

    References
    ----------
    Stijnen, Hamza and Ozdemir (2010); Schwarzer et al. (2019); Viechtbauer (2010).
    """
    x, m = check_counts(cases, n)
    fit = fit_glmm(x, m, n_agq=n_agq, level=level)
    z = stats.norm.ppf(0.5 + level / 2)
    mu, se, tau2 = float(fit.beta[0]), float(fit.se[0]), float(fit.tau2)
    ci = (mu - z * se, mu + z * se)
    half = z * np.sqrt(se ** 2 + tau2)
    pi = (mu - half, mu + half)
    return GlmmPrevalence(
        fit=fit, k=fit.k, cases=int(x.sum()), n=int(m.sum()), logit=mu, se=se,
        ci_low_logit=ci[0], ci_high_logit=ci[1], pi_low_logit=float(pi[0]),
        pi_high_logit=float(pi[1]), prevalence=float(expit(mu)), ci_low=float(expit(ci[0])),
        ci_high=float(expit(ci[1])), pi_low=float(expit(pi[0])), pi_high=float(expit(pi[1])),
        tau2=tau2, tau=float(fit.tau), i2_percent=float(fit.i2_percent), h2=float(fit.h2),
        loglik=float(fit.loglik), lrt=float(fit.lrt), lrt_df=int(fit.lrt_df),
        lrt_p=float(fit.lrt_p), n_agq=int(fit.n_agq), level=level)


# ------------------------------------------------------------------ subgroups

SUBGROUP_COLUMNS = ["subgroup", "k", "cases", "n", "prevalence", "ci_low", "ci_high",
                    "pi_low", "pi_high", "tau2", "i2_percent", "status", "converged",
                    "iterations"]


def glmm_subgroups(studies: pd.DataFrame, by: str = "setting", n_agq: int = N_AGQ,
                   level: float = LEVEL,
                   labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The random-intercept logistic model fitted in each subgroup of studies.

    Each subgroup has its own tau², as in
    :func:`analysis.stats.prevalence.subgroups`. A subgroup of one study cannot be
    fitted (metafor refuses it too): its row has the status TOO_FEW_STUDIES and NaN
    estimates. Whether the subgroups differ is :func:`glmm_meta_regression`'s test
    ``qm`` on the same column (which assumes one tau² across subgroups).

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    by : str
        Column defining the subgroups.
    n_agq, level
        As in :func:`pool_glmm`.
    labels : mapping, optional
        The vocabulary in force for ``by`` (code -> label, in display order).

    Returns
    -------
    DataFrame
        One row per subgroup (``levels`` order): ``subgroup`` (label), ``k``,
        ``cases``, ``n``, proportions in [0, 1] (``prevalence``, ``ci_low``,
        ``ci_high``, ``pi_low``, ``pi_high``), ``tau2``, ``i2_percent``, ``status``
        (:class:`GlmmStatus`), ``converged``, ``iterations``; indexed by the codes.
    """
    labels = dict(labels or {})
    rows, index = [], []
    for value in levels(studies[by], labels):
        group = studies[studies[by] == value]
        res = pool_glmm(group["cases"], group["n"], n_agq=n_agq, level=level)
        rows.append({"subgroup": labels.get(value, str(value)), "k": res.k,
                     "cases": res.cases, "n": res.n, "prevalence": res.prevalence,
                     "ci_low": res.ci_low, "ci_high": res.ci_high, "pi_low": res.pi_low,
                     "pi_high": res.pi_high, "tau2": res.tau2, "i2_percent": res.i2_percent,
                     "status": res.status, "converged": res.converged,
                     "iterations": res.iterations})
        index.append(value)
    return pd.DataFrame(rows, columns=SUBGROUP_COLUMNS, index=pd.Index(index, name=by))


# ------------------------------------------------------------- meta-regression


@dataclass(frozen=True, eq=False)
class GlmmMetaRegression:
    """The random-intercept logistic model with one study covariate in the fixed part.

    ``fit.coefficients()`` gives the coefficients (log odds ratios against the
    reference for a category); ``qm`` is the Wald test of all moderator coefficients at
    once (metafor's ``QM``); ``tau2_residual`` the between-study variance the covariate
    leaves.
    """

    covariate: str
    setting: str | None
    fit: GlmmFit
    tau2_residual: float
    qm: float
    qm_df: int
    qm_p: float


def glmm_meta_regression(studies: pd.DataFrame, covariate: str = "design",
                         setting: str | None = None, n_agq: int = N_AGQ,
                         level: float = LEVEL,
                         labels: Mapping[str, str] | None = None) -> GlmmMetaRegression:
    """Random-intercept logistic meta-regression on one study covariate.

    ``rma.glmm(measure = "PLO", xi = cases, ni = n, mods = ~ covariate)`` in metafor.
    The covariate is coded as in :func:`analysis.stats.prevalence.meta_regression`
    (treatment coding against the first level in ``labels`` order; a year as a centred
    slope per decade), so the two analyses are comparable term by term.

    Parameters
    ----------
    studies : DataFrame
        Rows of ``prevalence_studies``.
    covariate : str
        A column of ``prevalence_studies``.
    setting : str or None
        Restrict to one setting's studies; None uses all.
    n_agq, level
        As in :func:`fit_glmm`.
    labels : mapping, optional
        The vocabulary in force for a categorical covariate (code -> label).

    Raises
    ------
    ValueError
        Unknown covariate, or one with a single value among the studies.
    """
    if covariate not in studies.columns or covariate in ("study_id", "n", "cases"):
        raise ValueError(f"unknown covariate {covariate!r}; use a column of "
                         "prevalence_studies such as design, interviewer or year")
    rows = studies if setting is None else studies[studies["setting"] == setting]
    X, _ = covariate_design(rows, covariate, labels)
    fit = fit_glmm(rows["cases"], rows["n"], X, n_agq=n_agq, level=level)
    mods, cov = fit.beta[1:], fit.cov[1:, 1:]
    try:
        qm = float(mods @ np.linalg.solve(cov, mods))
    except np.linalg.LinAlgError:
        qm = float("nan")
    return GlmmMetaRegression(covariate=covariate, setting=setting, fit=fit,
                              tau2_residual=float(fit.tau2), qm=qm, qm_df=fit.p - 1,
                              qm_p=float(stats.chi2.sf(qm, fit.p - 1)))
