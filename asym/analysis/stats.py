"""Generic statistics for the assessment and optimization analyses.

Everything here is plain numpy/scipy/pandas (no torch) so that analysis and
figures can run on any machine. The functions are used by the assessment stage,
which writes ``results/assess/correlations.csv`` through :func:`correlation_table`,
and by the run-quality core of the claims (:mod:`asym.analysis.runs`); the claims'
tests live in :mod:`asym.analysis.inference`.

Conventions
-----------
* "Quality direction": a metric whose *lower* score means better quality
  (L1, GMSD, DISTS, LPIPS ...) is negated before correlating, so a good metric
  always has a positive correlation with MOS (:func:`quality_direction`).
* Confidence intervals resample *reference images* (groups), not rows: all
  distorted versions of one reference share its content, so they are not
  independent and row-level resampling would understate the uncertainty.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = [
    "CORRELATION_COLUMNS",
    "as_bool",
    "bootstrap_correlation",
    "correlation_table",
    "krcc",
    "logistic_plcc",
    "normalize_evaluations",
    "plcc",
    "quality_direction",
    "srcc",
    "stable_seed",
]

#: Column order of ``results/assess/correlations.csv``.
CORRELATION_COLUMNS = [
    "metric", "family", "backbone", "init", "dataset", "n",
    "srcc", "srcc_ci_low", "srcc_ci_high", "plcc", "krcc",
]


# --------------------------------------------------------------------------- #
# Rank and linear correlations
# --------------------------------------------------------------------------- #
def _clean_pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays with rows where either value is NaN dropped."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in length: {x.shape} vs {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _degenerate(x: np.ndarray, y: np.ndarray) -> bool:
    """True when a correlation is undefined (too few points or a constant input)."""
    return x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0


def srcc(x, y) -> float:
    """Spearman rank-order correlation (scipy); NaN if undefined."""
    x, y = _clean_pair(x, y)
    if _degenerate(x, y):
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def krcc(x, y) -> float:
    """Kendall rank correlation, tau-b (scipy, handles ties); NaN if undefined."""
    x, y = _clean_pair(x, y)
    if _degenerate(x, y):
        return float("nan")
    return float(stats.kendalltau(x, y).statistic)


def plcc(x, y) -> float:
    """Plain Pearson linear correlation, no mapping; NaN if undefined."""
    x, y = _clean_pair(x, y)
    if _degenerate(x, y):
        return float("nan")
    return float(stats.pearsonr(x, y).statistic)


# --------------------------------------------------------------------------- #
# PLCC after a monotonic logistic mapping (VQEG practice)
# --------------------------------------------------------------------------- #
def _logistic5(x, b1, b2, b3, b4, b5):
    """5-parameter logistic with a linear term: b1*(1/2 - 1/(1+e^{b2(x-b3)})) + b4*x + b5."""
    # clip the exponent: overflow would produce inf/NaN and derail the optimizer
    z = np.clip(b2 * (x - b3), -60.0, 60.0)
    return b1 * (0.5 - 1.0 / (1.0 + np.exp(z))) + b4 * x + b5


def _logistic4(x, b1, b2, b3, b4):
    """4-parameter logistic: (b1 - b2) / (1 + e^{-(x-b3)/|b4|}) + b2."""
    z = np.clip(-(x - b3) / (np.abs(b4) + 1e-12), -60.0, 60.0)
    return (b1 - b2) / (1.0 + np.exp(z)) + b2


def _initial_guesses(xs: np.ndarray, ys: np.ndarray, n_params: int, sign: float) -> list:
    """A few starting points: the logistic's centre at the quartiles, three slopes.

    One start can land in a poor local optimum (e.g. a convex relation needs the
    centre far to one side), so the best of several converged fits is kept.
    """
    centres = np.quantile(xs, [0.5, 0.25, 0.75, 0.0, 1.0])
    slopes = (1.0, 3.0, 0.3)
    guesses = []
    for c in centres:
        for k in slopes:
            if n_params == 5:
                guesses.append([sign * np.ptp(ys), k, c, 0.0, float(ys.mean())])
            else:
                hi, lo = (ys.max(), ys.min()) if sign > 0 else (ys.min(), ys.max())
                guesses.append([hi, lo, c, 1.0 / k])
    return guesses


def _fit_logistic(x: np.ndarray, y: np.ndarray, n_params: int) -> np.ndarray:
    """Fit the logistic to standardized data and return the fitted values.

    Both inputs are z-scored first: the logistic families are closed under affine
    changes of x and y, so this leaves the fitted curve (and the PLCC) unchanged
    but makes the same initial guesses work for any metric's range.
    Raises RuntimeError if no start converges, ValueError for a bad ``n_params``.
    """
    if n_params not in (4, 5):
        raise ValueError(f"n_params must be 4 or 5, got {n_params}")
    func = _logistic5 if n_params == 5 else _logistic4
    xs = (x - x.mean()) / x.std()
    ys = (y - y.mean()) / y.std()
    # slope sign from the rank correlation, so a decreasing relation starts from
    # a decreasing curve instead of fighting its way there
    sign = 1.0 if stats.spearmanr(xs, ys).statistic >= 0 else -1.0
    best, best_sse, last_error = None, np.inf, None
    with warnings.catch_warnings():
        # "covariance could not be estimated" only concerns parameter uncertainty,
        # which PLCC does not use (it happens whenever the fit is exact); real
        # non-convergence raises RuntimeError
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        for p0 in _initial_guesses(xs, ys, n_params, sign):
            try:
                popt, _ = optimize.curve_fit(func, xs, ys, p0=p0, maxfev=5000)
            except (RuntimeError, ValueError, TypeError) as exc:
                last_error = exc
                continue
            fitted = func(xs, *popt)
            sse = float(np.sum((fitted - ys) ** 2))
            if np.all(np.isfinite(fitted)) and sse < best_sse:
                best, best_sse = fitted, sse
            if best_sse < 1e-12 * ys.size:  # exact fit: no start can do better
                break
    if best is None:
        raise RuntimeError(f"no starting point converged ({last_error})")
    return best


def logistic_plcc(score, mos, n_params: int = 5) -> float:
    """PLCC between MOS and the metric score after a monotonic logistic mapping.

    Standard VQEG / IQA practice: fit ``mos ~ f(score)`` with the 5-parameter
    (default) or 4-parameter logistic by least squares
    (:func:`scipy.optimize.curve_fit`), then report Pearson(f(score), mos).
    If the 5-parameter fit fails, the 4-parameter one is tried; if that fails too
    (no convergence, too few points) plain Pearson is returned with a
    :class:`RuntimeWarning`.

    Sign: the fitted mapping can be decreasing, in which case Pearson(f(score),
    mos) would still be positive and hide that the metric disagrees with MOS.
    The result therefore carries the sign of the fitted trend (Spearman between
    score and f(score)), so perfectly reversed data give -1 like SRCC/KRCC do.
    Pass quality-direction scores (:func:`quality_direction`) to get a positive
    value for a good metric.
    """
    x, y = _clean_pair(score, mos)
    if _degenerate(x, y):
        return float("nan")
    tried = (n_params, 4) if n_params == 5 else (n_params,)
    errors = []
    for k in tried:
        if x.size <= k:  # curve_fit needs more points than parameters
            errors.append(f"{k}-parameter fit needs more than {k} points, got {x.size}")
            continue
        try:
            fitted = _fit_logistic(x, y, k)
        except (RuntimeError, ValueError, TypeError) as exc:
            errors.append(f"{k}-parameter fit: {exc}")
            continue
        if np.ptp(fitted) == 0:
            errors.append(f"{k}-parameter fit is constant")
            continue
        magnitude = abs(stats.pearsonr(fitted, y).statistic)
        trend = stats.spearmanr(x, fitted).statistic
        return float(np.copysign(magnitude, trend))
    warnings.warn(
        "logistic mapping failed (" + "; ".join(errors) + "); falling back to plain Pearson",
        RuntimeWarning,
        stacklevel=2,
    )
    return plcc(x, y)


# --------------------------------------------------------------------------- #
# Direction handling
# --------------------------------------------------------------------------- #
def as_bool(value) -> np.ndarray | bool:
    """Parse booleans that may have come through CSV as strings ("True", "false", "1")."""
    def one(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, float, np.integer, np.floating)):
            if isinstance(v, float) and np.isnan(v):
                raise ValueError("missing boolean value")
            return bool(v)
        s = str(v).strip().lower()
        if s in {"true", "1", "yes", "t", "y"}:
            return True
        if s in {"false", "0", "no", "f", "n"}:
            return False
        raise ValueError(f"cannot read {v!r} as a boolean")

    if np.ndim(value) == 0:
        return one(value.item() if hasattr(value, "item") else value)
    return np.array([one(v) for v in np.asarray(value, dtype=object).ravel()], dtype=bool)


def quality_direction(score, lower_better):
    """Return scores oriented so that higher = better quality.

    ``lower_better`` is a scalar or a per-row array of booleans (strings from a CSV
    are accepted); where it is true the score is negated.
    """
    s = np.asarray(score, dtype=float)
    flip = as_bool(lower_better)
    return np.where(flip, -s, s)


# --------------------------------------------------------------------------- #
# Bootstrap over groups
# --------------------------------------------------------------------------- #
_NAMED_STATS: dict[str, Callable] = {"srcc": srcc, "krcc": krcc, "plcc": plcc,
                                     "logistic_plcc": logistic_plcc}


def stable_seed(seed: int, *names: str) -> int:
    """Seed derived from a base seed and names, independent of processing order.

    Each (dataset, metric) gets its own random stream, so adding a metric does not
    change the confidence intervals of the others.
    """
    key = "\x1f".join(map(str, names)).encode()
    return (int(seed) * 1_000_003 + zlib.crc32(key)) % (2**32)


def percentile_ci(values, ci: float = 0.95) -> tuple[float, float]:
    """Two-sided percentile interval of the finite ``values`` ((NaN, NaN) if none)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    a = (1 - ci) / 2
    lo, hi = np.quantile(v, [a, 1 - a])
    return float(lo), float(hi)


def bootstrap_mean(values, n_boot: int = 1000, seed: int = 0, ci: float = 0.95, groups=None) -> tuple:
    """Mean and percentile-bootstrap CI of the finite ``values``.

    Without ``groups`` each value is an independent unit. With ``groups`` (one label per value)
    whole groups are resampled (a cluster bootstrap: e.g. all pairs cut from one reference image
    move together) and each draw is the mean over the values of the drawn groups."""
    q = np.asarray(values, dtype=float)
    g = np.arange(q.size) if groups is None else np.asarray(groups)
    if g.shape != q.shape:
        raise ValueError(f"bootstrap_mean: {g.size} group labels for {q.size} values")
    keep = np.isfinite(q)
    q, g = q[keep], g[keep]
    if q.size == 0:
        return float("nan"), float("nan"), float("nan")
    _, code = np.unique(g, return_inverse=True)
    total = np.bincount(code, weights=q)
    count = np.bincount(code).astype(float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, total.size, size=(n_boot, total.size))
    boot = total[draws].sum(axis=1) / count[draws].sum(axis=1)
    return (float(q.mean()), *percentile_ci(boot, ci))


def mean_within(stat, d: pd.DataFrame, by: str = "distortion", x: str = "score", y: str = "mos") -> float:
    """Mean over the ``by`` groups (distortion types) of ``stat(x, y)`` within each group.

    For labels that order severity only within a distortion type (the synthetic set's
    levels): equal weight per type; groups where the statistic is undefined (e.g. a
    bootstrap resample with one image of a type) are left out; NaN if none is defined."""
    values = [stat(part[x].to_numpy(), part[y].to_numpy()) for _, part in d.groupby(by, sort=True)]
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def _resolve_stat(stat, x: str, y: str) -> Callable[[pd.DataFrame], float]:
    if callable(stat):
        return stat
    if stat not in _NAMED_STATS:
        raise ValueError(f"unknown statistic {stat!r}; use one of {sorted(_NAMED_STATS)} or a callable")
    fn = _NAMED_STATS[stat]
    return lambda d: fn(d[x].to_numpy(), d[y].to_numpy())


def bootstrap_correlation(
    df: pd.DataFrame,
    stat,
    groups: str | None = "reference",
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    x: str = "score",
    y: str = "mos",
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a statistic, resampling groups.

    Parameters
    ----------
    df : rows to resample (e.g. one row per distorted image).
    stat : callable ``DataFrame -> float``, or the name of a correlation
        ("srcc", "krcc", "plcc", "logistic_plcc") computed between columns ``x``
        and ``y``.
    groups : column whose values are the resampling units (default "reference":
        distorted images of the same reference are dependent, so whole
        references are drawn with replacement and all their rows come along).
        ``None`` resamples individual rows.
    n_boot, seed : number of resamples and RNG seed (deterministic).
    ci : coverage of the two-sided percentile interval.

    Returns
    -------
    (low, high) percentiles of the bootstrap distribution; resamples where the
    statistic is undefined (NaN) are dropped; (NaN, NaN) if none is defined.
    """
    fn = _resolve_stat(stat, x, y)
    rng = np.random.default_rng(seed)
    if groups is None:
        members = [np.array([i]) for i in range(len(df))]
    else:
        # positional row indices of each group, computed once
        codes, _ = pd.factorize(df[groups], sort=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        members = np.split(order, bounds)
    if len(members) == 0:
        return float("nan"), float("nan")
    values = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, len(members), size=len(members))
        rows = np.concatenate([members[g] for g in pick])
        values[b] = fn(df.iloc[rows])
    return percentile_ci(values, ci)


# --------------------------------------------------------------------------- #
# The assessment table
# --------------------------------------------------------------------------- #
def correlation_table(
    scores_df: pd.DataFrame,
    n_boot: int = 1000,
    seed: int = 0,
    metric_info: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Rows of ``results/assess/correlations.csv``, one per (dataset, metric).

    ``scores_df`` has the per-image columns ``dataset, metric, reference,
    distorted, score, lower_better, mos``. Scores are put in the quality
    direction first, so all correlations are positive for a good metric.
    ``n`` is the number of distinct distorted images; the SRCC CI resamples
    reference images (:func:`bootstrap_correlation`). ``metric_info`` maps a
    metric name to ``{"family", "backbone", "init"}``; missing entries are left
    empty.
    """
    needed = {"dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"}
    missing = needed - set(scores_df.columns)
    if missing:
        raise ValueError(f"assessment scores lack columns {sorted(missing)}")
    metric_info = metric_info or {}
    rows = []
    for (dataset, metric), part in scores_df.groupby(["dataset", "metric"], sort=True):
        flips = np.unique(as_bool(part["lower_better"].to_numpy()))
        if flips.size != 1:
            raise ValueError(f"lower_better is not constant for metric {metric!r} on {dataset!r}")
        d = pd.DataFrame({
            "reference": part["reference"].to_numpy(),
            "score": quality_direction(part["score"].to_numpy(), flips[0]),
            "mos": part["mos"].to_numpy(dtype=float),
        })
        low, high = bootstrap_correlation(
            d, "srcc", groups="reference", n_boot=n_boot,
            seed=stable_seed(seed, dataset, metric),
        )
        info = metric_info.get(metric, {})
        rows.append({
            "metric": metric,
            "family": info.get("family", ""),
            "backbone": info.get("backbone", ""),
            "init": info.get("init", ""),
            "dataset": dataset,
            "n": int(part["distorted"].nunique()),
            "srcc": srcc(d["score"], d["mos"]),
            "srcc_ci_low": low,
            "srcc_ci_high": high,
            "plcc": logistic_plcc(d["score"], d["mos"]),
            "krcc": krcc(d["score"], d["mos"]),
        })
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


# --------------------------------------------------------------------------- #
# Evaluator scores on one scale
# --------------------------------------------------------------------------- #
def normalize_evaluations(eval_df: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return a copy of ``eval_df`` with a ``quality`` column (higher = better).

    Evaluators have different ranges and directions, so they cannot be averaged
    raw. Per evaluator, scores are z-scored over *all* rows of that evaluator
    (every run, image and seed, with and without GAN, so runs stay comparable on
    one scale; population s.d., ddof=0) and negated where ``lower_better``. An
    evaluator with constant scores gets quality 0. With ``reference``, the mean and
    s.d. come from the reference's rows of each evaluator instead (the bicubic
    baseline put on the trained runs' scale without moving any run's number); rows of
    an evaluator the reference lacks get NaN.
    """
    for frame in (eval_df,) if reference is None else (eval_df, reference):
        for col in ("evaluator", "score", "lower_better"):
            if col not in frame.columns:
                raise ValueError(f"evaluation table lacks column {col!r}")
    out = eval_df.copy()
    score = out["score"].astype(float)
    if reference is None:
        grouped = score.groupby(out["evaluator"])
        mean = grouped.transform("mean")
        std = grouped.transform(lambda s: s.std(ddof=0))
    else:
        ref = reference["score"].astype(float).groupby(reference["evaluator"])
        mean = out["evaluator"].map(ref.mean()).astype(float)
        std = out["evaluator"].map(ref.std(ddof=0)).astype(float)
    z = (score - mean) / std.where(std > 0)
    z = z.where(std > 0, 0.0) if reference is None else z.where(std != 0, 0.0)
    sign = np.where(as_bool(out["lower_better"].to_numpy()), -1.0, 1.0)
    out["quality"] = z.to_numpy() * sign
    return out
