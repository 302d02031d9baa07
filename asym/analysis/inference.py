"""Exact tests, multiplicity control and verdicts shared by the claim modules.

Every claim verdict comes from a test whose reference distribution is exact for its
unit (training runs on the optimization side, reference images or fine-tuned models on
the IQA side): sign flips of paired differences, relabellings of whole units, or an
ordinary least-squares t-test on run means. This module holds those tests, the
smallest p-value each can reach at a given design (which decides ``underpowered``),
Holm's step-down adjustment across the five claims, and the rule that turns adjusted
p-values into ``supported`` / ``not_supported`` / ``inconclusive``.

No torch: numpy, scipy and statsmodels only.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats as sps

#: Family-wise error rate of the five verdicts (``analysis.alpha`` in the config overrides it).
DEFAULT_ALPHA = 0.05
#: Verdict words, in the order the report lists them.
VERDICTS = ("supported", "not_supported", "inconclusive")
#: Exact enumeration is used up to this many relabellings; beyond, Monte Carlo with +1.
MAX_EXACT = 20000


# --------------------------------------------------------------------------- #
# Sign-flip tests of paired differences (units: matched pairs)
# --------------------------------------------------------------------------- #
def sign_flip_signs(n: int, n_perm: int, rng) -> tuple[np.ndarray, bool]:
    """All 2^n sign patterns (exact) when 2^n <= max(n_perm, MAX_EXACT), else ``n_perm`` random ones."""
    if 2 ** n <= max(n_perm, MAX_EXACT) and n <= 20:
        return 1.0 - 2.0 * ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1), True
    return rng.choice([-1.0, 1.0], size=(n_perm, n)), False


def sign_flip_test(diffs, shift: float = 0.0, alternative: str = "greater", n_perm: int = 2000,
                   seed: int = 0) -> float:
    """p-value of H0 "the differences are symmetric about ``shift``" (sign-flip test of the mean).

    ``alternative`` "greater" tests H1: centre > shift, "less" H1: centre < shift. Used with
    ``shift`` = +/- margin it gives the two one-sided tests of an equivalence test (TOST).
    NaN without a finite difference.
    """
    d = np.asarray(diffs, dtype=float).ravel()
    d = d[np.isfinite(d)] - shift
    if d.size == 0:
        return float("nan")
    signs, exact = sign_flip_signs(d.size, n_perm, np.random.default_rng([int(seed), 11]))
    means = (signs * d).mean(axis=1)
    obs = d.mean()
    tol = 1e-12 * max(1.0, abs(obs))
    hits = means >= obs - tol if alternative == "greater" else means <= obs + tol
    return float(hits.mean()) if exact else float((1 + hits.sum()) / (len(means) + 1))


def sign_flip_min_p(n: int) -> float:
    """Smallest one-sided p a sign-flip test over ``n`` units can give (exact): 2^-n."""
    return 2.0 ** -n if n > 0 else 1.0


def tost_sign_flip(diffs, margin: float, n_perm: int = 2000, seed: int = 0) -> float:
    """Equivalence p-value (two one-sided sign-flip tests): H1 is -margin < centre < margin.

    p = max(p(centre > -margin), p(centre < margin)); small p says the difference is
    demonstrably smaller than ``margin`` in both directions.
    """
    lo = sign_flip_test(diffs, -margin, "greater", n_perm, seed)
    hi = sign_flip_test(diffs, margin, "less", n_perm, seed + 1)
    return float(max(lo, hi))


# --------------------------------------------------------------------------- #
# Two-sample relabelling test of whole units (runs of two losses)
# --------------------------------------------------------------------------- #
def two_sample_perm_p(x, y, alternative: str = "greater", n_perm: int = 2000, seed: int = 0) -> float:
    """p of H0 "x and y units are exchangeable" for the difference of means, H1 mean(x) > mean(y).

    Every split of the pooled units into groups of the original sizes is enumerated when
    there are at most :data:`MAX_EXACT`; otherwise ``n_perm`` random splits (+1 rule).
    ``alternative="less"`` tests mean(x) < mean(y).
    """
    x = np.asarray(x, float)[np.isfinite(x)]
    y = np.asarray(y, float)[np.isfinite(y)]
    if x.size == 0 or y.size == 0:
        return float("nan")
    pooled = np.concatenate([x, y])
    n, k = pooled.size, x.size
    sign = 1.0 if alternative == "greater" else -1.0
    obs = sign * (x.mean() - y.mean())
    total = pooled.sum()
    if math.comb(n, k) <= max(n_perm, MAX_EXACT):
        idx = np.array(list(itertools.combinations(range(n), k)))
        exact = True
    else:
        rng = np.random.default_rng([int(seed), 12])
        idx = np.argsort(rng.random((n_perm, n)), axis=1)[:, :k]
        exact = False
    sx = pooled[idx].sum(axis=1)
    stat = sign * (sx / k - (total - sx) / (n - k))
    hits = stat >= obs - 1e-12 * max(1.0, abs(obs))
    return float(hits.mean()) if exact else float((1 + hits.sum()) / (len(stat) + 1))


def two_sample_min_p(n_x: int, n_y: int) -> float:
    """Smallest p of :func:`two_sample_perm_p` with these group sizes: 1 / C(n_x + n_y, n_x)."""
    return 1.0 / math.comb(n_x + n_y, n_x) if n_x > 0 and n_y > 0 else 1.0


def label_perm_p(values, labels, n_perm: int = 2000, seed: int = 0) -> float:
    """p of H1 "units labelled True have a larger mean" by relabelling units (exact if small)."""
    v = np.asarray(values, float)
    lab = np.asarray(labels, bool)
    return two_sample_perm_p(v[lab], v[~lab], "greater", n_perm, seed)


# --------------------------------------------------------------------------- #
# Ordinary least squares on run means (the run is the observation)
# --------------------------------------------------------------------------- #
def ols_terms(y, X: np.ndarray, names: list[str]) -> dict:
    """OLS fit of ``y`` on the design ``X`` (intercept included by the caller).

    Returns ``{name: (coef, se, t, df)}`` for each named column and ``"_df"`` (residual
    degrees of freedom); coef/se are NaN where the column is not estimable or df < 1.
    """
    y = np.asarray(y, float)
    n, p = X.shape
    rank = np.linalg.matrix_rank(X)
    df = n - rank
    out = {"_df": df}
    if df < 1:
        for k, name in enumerate(names):
            out[name] = (np.nan, np.nan, np.nan, df)
        return out
    XtX_pinv = np.linalg.pinv(X.T @ X)
    beta = XtX_pinv @ X.T @ y
    resid = y - X @ beta
    s2 = float(resid @ resid) / df
    for k, name in enumerate(names):
        e = np.zeros(p)
        e[k] = 1.0
        # a coefficient is estimable iff e_k lies in the row space of X
        estimable = np.allclose(X.T @ (X @ (XtX_pinv @ e)), e, atol=1e-8)
        if not estimable:
            out[name] = (np.nan, np.nan, np.nan, df)
            continue
        se = math.sqrt(max(s2 * XtX_pinv[k, k], 0.0))
        t = beta[k] / se if se > 0 else np.nan
        out[name] = (float(beta[k]), se, float(t), df)
    return out


def t_p(t: float, df: int, alternative: str = "greater") -> float:
    """One-sided p of a t statistic ("greater": H1 coefficient > 0)."""
    if not np.isfinite(t) or df < 1:
        return float("nan")
    return float(sps.t.sf(t, df) if alternative == "greater" else sps.t.cdf(t, df))


# --------------------------------------------------------------------------- #
# Across claims: Holm's step-down adjustment and the verdict rule
# --------------------------------------------------------------------------- #
def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values over the finite ones (the family is the claims that could be
    tested: a claim without a p cannot be rejected, so it adds no error); NaN stays NaN."""
    p = np.asarray(p_values, float)
    adj = np.full(p.size, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    running = 0.0
    for rank, k in enumerate(ok[np.argsort(p[ok], kind="stable")]):
        running = max(running, (m - rank) * p[k])
        adj[k] = min(1.0, running)
    return adj


def verdict(p_holm: float, p_reverse_holm: float, feasible: bool, alpha: float) -> str:
    """``supported`` iff the claim's test rejects its H0 after Holm; ``not_supported`` iff the
    test of the opposite direction does; ``inconclusive`` otherwise and whenever the design
    cannot reach ``alpha`` at all (``feasible`` False)."""
    if not feasible:
        return "inconclusive"
    if np.isfinite(p_holm) and p_holm <= alpha:
        return "supported"
    if np.isfinite(p_reverse_holm) and p_reverse_holm <= alpha:
        return "not_supported"
    return "inconclusive"


def underpowered_note(what: str, needed: int | None) -> str:
    """The note of a claim whose design cannot reach alpha: ``underpowered: needs >= k <what>``."""
    if needed is None:
        return f"underpowered: no number of {what} reaches alpha with this design"
    return f"underpowered: needs >= {needed} {what}"


def smallest(predicate, start: int = 1, stop: int = 1000) -> int | None:
    """The smallest integer k in [start, stop) with ``predicate(k)`` true, else None."""
    for k in range(start, stop):
        if predicate(k):
            return k
    return None
