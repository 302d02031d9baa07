"""Test the paper's claims on the assessment, optimization and transfer results.

Command (as run by the workflow)::

    python -m asym.analysis.claims \\
        --assess-scores results/assess/scores/*/*.csv \\
        --evaluation results/optimize/evaluation.csv \\
        [--transfer results/transfer/correlations.csv] \\
        [--train-logs results/optimize/runs/*/train_log.csv] \\
        --scale demo --n-boot 1000 --n-perm 2000 --seed 0 --threshold 0.5 \\
        --out results/analysis/claims.csv --ranks-out results/analysis/ranks.csv \\
        [--mixedlm-out results/analysis/c2_mixedlm.csv] \\
        [--pairwise-out results/analysis/c4_pairwise.csv]

Writes ``claims.csv`` with exactly the columns :data:`CLAIM_COLUMNS` (one row per
claim C1..C5), ``ranks.csv`` with the two rank tables C1/C2 use
(:data:`RANK_COLUMNS`), and optionally C2's mixed-model view
(:func:`c2_mixedlm`, :data:`MIXEDLM_COLUMNS`) and C4's pairwise discriminator
comparisons (:func:`discriminator_pairwise`, :data:`PAIRWISE_COLUMNS`).

C1/C2 compare two rankings of the fidelity metrics:

* assessment: SRCC with MOS (quality direction), averaged over the IQA datasets;
* optimization: mean normalized evaluator quality
  (:func:`asym.analysis.stats.normalize_evaluations`) of the SR generators trained with
  that metric as loss, averaged over evaluators, seeds and test images.

Uncertainty comes from a joint bootstrap that redraws the test images of the
evaluation (within each test set) and the reference images of each IQA set, and
recomputes both rankings from scratch for every draw. C3/C5 (transfer stage) and
C4 (discriminator designs) are mean paired differences over matched units with a
bootstrap CI and a sign-flip permutation p (:func:`asym.analysis.stats.paired_mean_test`).
A claim whose input is missing stays ``inconclusive`` ("stage not run at this
scale").
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from asym.optimize.designs import label_designs
from asym.io import InputError, write_csv
from asym.analysis.stats import (
    as_bool,
    normalize_evaluations,
    paired_mean_test,
    quality_direction,
    stable_seed,
)

CLAIM_COLUMNS = ["claim", "statistic", "estimate", "ci_low", "ci_high",
                 "p_value", "n", "verdict", "scale", "note"]
RANK_COLUMNS = ["metric", "adversarial", "assessment_srcc", "optimization_quality",
                "assessment_rank", "optimization_rank"]
CLAIM_IDS = ["C1", "C2", "C3", "C4", "C5"]

#: Each claim as the paper states it (abstract of arXiv 2509.20878).
CLAIM_SENTENCES = {  # numbering as in ../shared/PAPER.md ("Claims to test")
    "C1": "Fidelity metrics that rank higher in IQA do not necessarily give better results "
          "when used as the optimization loss.",
    "C2": "This misalignment is stronger when an adversarial loss is added.",
    "C3": "Discriminators suppress artifacts during optimization, but their learned weights, "
          "reused to initialize an IQA model's backbone, help little: ImageNet initialization "
          "is best, discriminator initialization only moderately better than random.",
    "C4": "Discriminator design matters: patch-level and convolutional discriminators give more "
          "faithful detail than image-level or Transformer-based ones, which are also less stable.",
    "C5": "Convolutional IQA backbones beat Transformer ones on synthetic distortions.",
}

#: Fewer metrics than this cannot support any statement about rankings.
MIN_METRICS = 4
NOT_RUN_NOTE = "stage not run at this scale"


# --------------------------------------------------------------------------- #
# Kendall's tau-b, vectorized over leading axes
# --------------------------------------------------------------------------- #
def kendall_tau_b(x, y) -> np.ndarray:
    """Kendall's tau-b between the last axes of ``x`` and ``y`` (broadcast).

    tau-b = sum_{i<j} sgn(dx) sgn(dy) / sqrt(sum sgn(dx)^2 * sum sgn(dy)^2),
    identical to :func:`scipy.stats.kendalltau` but batched, because bootstrap
    and permutation loops need thousands of taus over a handful of metrics.
    NaN where either input is constant.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.shape[-1]
    i, j = np.triu_indices(n, 1)
    dx = np.sign(x[..., i] - x[..., j])
    dy = np.sign(y[..., i] - y[..., j])
    num = (dx * dy).sum(-1)
    den = np.sqrt((dx * dx).sum(-1) * (dy * dy).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# --------------------------------------------------------------------------- #
# Assessment side: SRCC per metric, averaged over IQA datasets
# --------------------------------------------------------------------------- #
def _srcc_rows(S: np.ndarray, mos: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of ``S`` with ``mos`` (NaN-aware)."""
    out = np.full(S.shape[0], np.nan)
    r_mos_all = sps.rankdata(mos)
    complete = np.all(np.isfinite(S), axis=1)
    if complete.any():  # fast path: rank all complete rows at once
        R = sps.rankdata(S[complete], axis=1)
        out[complete] = _pearson_rows(R, r_mos_all)
    for k in np.flatnonzero(~complete):
        keep = np.isfinite(S[k])
        if keep.sum() >= 2:
            out[k] = _pearson_rows(sps.rankdata(S[k, keep])[None], sps.rankdata(mos[keep]))[0]
    return out


def _pearson_rows(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    Rc = R - R.mean(axis=1, keepdims=True)
    rc = r - r.mean()
    den = np.sqrt((Rc * Rc).sum(axis=1) * (rc * rc).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (Rc @ rc) / np.where(den > 0, den, 1.0), np.nan)


@dataclass
class _IQASet:
    """One IQA dataset: quality-direction scores [metric, distorted], MOS, references."""
    name: str
    scores: np.ndarray
    mos: np.ndarray
    members: list  # positional indices of the distorted images of each reference


@dataclass
class _Assessment:
    metrics: list
    sets: list

    def srcc(self, picks=None) -> np.ndarray:
        """Mean SRCC over datasets per metric; ``picks`` = resampled references per set."""
        per_set = []
        for k, s in enumerate(self.sets):
            if picks is None:
                per_set.append(_srcc_rows(s.scores, s.mos))
            else:
                rows = np.concatenate([s.members[g] for g in picks[k]])
                per_set.append(_srcc_rows(s.scores[:, rows], s.mos[rows]))
        if not per_set:
            return np.full(len(self.metrics), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN metric -> NaN
            return np.nanmean(np.vstack(per_set), axis=0)

    def draw(self, rng) -> list:
        return [rng.integers(0, len(s.members), size=len(s.members)) for s in self.sets]


def _prepare_assessment(assess: pd.DataFrame) -> _Assessment:
    needed = {"dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"}
    missing = needed - set(assess.columns)
    if missing:
        raise InputError(f"assessment scores lack columns {sorted(missing)}")
    df = assess.copy()
    df["q"] = quality_direction(df["score"].to_numpy(), df["lower_better"].to_numpy())
    metrics = sorted(df["metric"].unique())
    sets = []
    for name, part in df.groupby("dataset", sort=True):
        wide = part.pivot_table(index="distorted", columns="metric", values="q", aggfunc="mean")
        wide = wide.reindex(columns=metrics)
        meta = part.groupby("distorted").agg(mos=("mos", "first"), reference=("reference", "first"))
        meta = meta.loc[wide.index]
        codes, _ = pd.factorize(meta["reference"], sort=True)
        members = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
        sets.append(_IQASet(str(name), wide.to_numpy(dtype=float).T,
                            meta["mos"].to_numpy(dtype=float), members))
    return _Assessment(metrics, sets)


# --------------------------------------------------------------------------- #
# Optimization side: normalized evaluator quality per (metric, seed, image) cell
# --------------------------------------------------------------------------- #
@dataclass
class _Optimization:
    metrics: list
    cells: dict   # adversarial (bool) -> array [metric, seed, image] (NaN = no run)
    strata: list  # image indices of each test set (resampled within set)
    discriminators: list

    def quality(self, adversarial: bool, images=None, cells=None) -> np.ndarray:
        c = self.cells[adversarial] if cells is None else cells
        if images is not None:
            c = c[..., images]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(c, axis=(-2, -1))

    def draw(self, rng) -> np.ndarray:
        return np.concatenate([rng.choice(s, size=s.size, replace=True) for s in self.strata])


def cell_quality(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Normalized evaluator quality per (adversarial, fidelity, seed, test image) cell.

    Rows of one cell are first averaged per evaluator over runs (this pools
    discriminators and GAN weights), then over evaluators, so every evaluator
    weighs the same even where a run's own metric group is left out of the panel.
    Returns columns ``adversarial, fidelity, seed, image, quality`` where
    ``image`` is "<test set>/<image>".
    """
    needed = {"run", "fidelity", "adversarial", "discriminator", "seed",
              "dataset", "image", "evaluator", "score", "lower_better"}
    missing = needed - set(evaluation.columns)
    if missing:
        raise InputError(f"evaluation table lacks columns {sorted(missing)}")
    df = normalize_evaluations(evaluation)
    df["adversarial"] = as_bool(df["adversarial"].to_numpy())
    df["image"] = df["dataset"].astype(str) + "/" + df["image"].astype(str)
    per_eval = df.groupby(["adversarial", "fidelity", "seed", "image", "evaluator"])["quality"].mean()
    return per_eval.groupby(level=[0, 1, 2, 3]).mean().reset_index()


def _prepare_optimization(evaluation: pd.DataFrame) -> _Optimization:
    cell = cell_quality(evaluation)
    metrics = sorted(cell["fidelity"].unique())
    seeds = sorted(cell["seed"].unique())
    images = sorted(cell["image"].unique())
    m_ix = {m: k for k, m in enumerate(metrics)}
    s_ix = {s: k for k, s in enumerate(seeds)}
    i_ix = {s: k for k, s in enumerate(images)}
    cells = {flag: np.full((len(metrics), len(seeds), len(images)), np.nan) for flag in (False, True)}
    for adv, fid, seed, img, q in cell.itertuples(index=False):
        cells[bool(adv)][m_ix[fid], s_ix[seed], i_ix[img]] = q
    test_set = np.array([i.split("/", 1)[0] for i in images], dtype=object)
    strata = [np.flatnonzero(test_set == d) for d in sorted(set(test_set))]
    adv_rows = as_bool(evaluation["adversarial"].to_numpy())
    discs = sorted(str(d) for d in evaluation.loc[adv_rows, "discriminator"].unique())
    return _Optimization(metrics, cells, strata, discs)


# --------------------------------------------------------------------------- #
# Shared helpers
# --------------------------------------------------------------------------- #
def _common(assess: _Assessment, optim: _Optimization, flags) -> tuple[np.ndarray, np.ndarray, list]:
    """Indices (into assess.metrics, optim.metrics) of metrics usable for all ``flags``."""
    a_srcc = assess.srcc()
    names = []
    for m in optim.metrics:
        if m not in assess.metrics or not np.isfinite(a_srcc[assess.metrics.index(m)]):
            continue
        if all(np.isfinite(optim.quality(f)[optim.metrics.index(m)]) for f in flags):
            names.append(m)
    ai = np.array([assess.metrics.index(m) for m in names], dtype=int)
    oi = np.array([optim.metrics.index(m) for m in names], dtype=int)
    return ai, oi, names


def _percentile_ci(values: np.ndarray, ci: float = 0.95) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    a = (1 - ci) / 2
    lo, hi = np.quantile(values, [a, 1 - a])
    return float(lo), float(hi)


def _joint_bootstrap(assess, optim, ai, oi, flags, n_boot, seed):
    """Bootstrap both rankings jointly; returns (assessment [B, n], {flag: optimization [B, n]}).

    Each draw resamples test images (within test set) for the optimization ranking
    and references (within IQA set) for the assessment ranking.
    """
    rng = np.random.default_rng(seed)
    A = np.empty((n_boot, ai.size))
    O = {f: np.empty((n_boot, oi.size)) for f in flags}
    for b in range(n_boot):
        images = optim.draw(rng)
        A[b] = assess.srcc(assess.draw(rng))[ai]
        for f in flags:
            O[f][b] = optim.quality(f, images)[oi]
    return A, O


def _row(claim, statistic, estimate=np.nan, ci=(np.nan, np.nan), p=np.nan, n=0,
         verdict="inconclusive", note="") -> dict:
    return {"claim": claim, "statistic": statistic, "estimate": float(estimate),
            "ci_low": float(ci[0]), "ci_high": float(ci[1]), "p_value": float(p),
            "n": int(n), "verdict": verdict, "note": note}


def _as_frames(assess_scores, evaluation):
    """Accept DataFrames or prepared objects (so claims_table prepares only once)."""
    a = assess_scores if isinstance(assess_scores, _Assessment) else _prepare_assessment(assess_scores)
    o = evaluation if isinstance(evaluation, _Optimization) else _prepare_optimization(evaluation)
    return a, o


def _too_few(n: int, names: list, what: str = "assessment and optimization results") -> str:
    return (f"only n={n} metric(s) ({', '.join(names) or 'none'}) have {what}; at least "
            f"{MIN_METRICS} are needed for any ranking statement, so the verdict is inconclusive")


# --------------------------------------------------------------------------- #
# C1
# --------------------------------------------------------------------------- #
def claim_c1(assess_scores, evaluation, n_boot: int = 1000, n_perm: int = 2000,
             seed: int = 0, threshold: float = 0.5) -> dict:
    """C1: metrics that rank higher in assessment do not necessarily optimize better.

    Hypothesis: the assessment ranking of fidelity metrics is NOT strongly aligned
    with their optimization ranking (without GAN).

    Statistic: Kendall's tau-b between, per fidelity metric, (a) its SRCC with MOS
    in the quality direction, averaged over IQA datasets, and (b) the mean
    normalized evaluator quality of the generators trained with it as the only
    loss (no adversarial term), averaged over evaluators, seeds and test images.
    Only metrics present on both sides are used; ``n`` is their number.

    Resampling unit: a joint bootstrap (``n_boot`` draws) of test images (within
    each test set) and IQA reference images (within each IQA set); both rankings
    are recomputed per draw; 95 % percentile CI. p-value: one-sided permutation
    test of H0 "no positive agreement" (optimization scores permuted across
    metrics; exact enumeration when n! <= n_perm), p = P(tau_perm >= tau_obs).

    Verdict: ``inconclusive`` if n < 4; else ``supported`` if ci_high < threshold
    (agreement demonstrably below "strong alignment"), ``not_supported`` if
    ci_low >= threshold, otherwise ``inconclusive``.
    """
    stat = "kendall_tau(assessment_srcc, optimization_quality), no GAN"
    assess, optim = _as_frames(assess_scores, evaluation)
    ai, oi, names = _common(assess, optim, (False,))
    n = len(names)
    if n < 2:
        return _row("C1", stat, n=n, note=_too_few(n, names))
    a_obs = assess.srcc()[ai]
    o_obs = optim.quality(False)[oi]
    tau = float(kendall_tau_b(a_obs, o_obs))
    A, O = _joint_bootstrap(assess, optim, ai, oi, (False,), n_boot, seed)
    ci = _percentile_ci(kendall_tau_b(A, O[False]))
    p = _perm_p_c1(a_obs, o_obs, tau, n_perm, seed)
    if n < MIN_METRICS:
        return _row("C1", stat, tau, ci, p, n, "inconclusive", _too_few(n, names))
    if ci[1] < threshold:
        verdict = "supported"
    elif ci[0] >= threshold:
        verdict = "not_supported"
    else:
        verdict = "inconclusive"
    note = (f"metrics: {', '.join(names)}; supported iff CI upper < {threshold:g} "
            f"(strong-alignment threshold); not_supported iff CI lower >= {threshold:g}; "
            "p tests H0 of no positive agreement")
    return _row("C1", stat, tau, ci, p, n, verdict, note)


def _perm_p_c1(a_obs, o_obs, tau_obs, n_perm, seed) -> float:
    if not np.isfinite(tau_obs):  # constant ranking: nothing to test
        return float("nan")
    n = a_obs.size
    if math.factorial(n) <= n_perm:  # exact: every relabelling, identity included
        perms = np.array(list(itertools.permutations(range(n))))
        taus = kendall_tau_b(a_obs, o_obs[perms])
        return float(np.mean(taus >= tau_obs - 1e-12))
    rng = np.random.default_rng([seed, 1])
    perms = np.argsort(rng.random((n_perm, n)), axis=1)
    taus = kendall_tau_b(a_obs, o_obs[perms])
    return float((1 + np.sum(taus >= tau_obs - 1e-12)) / (n_perm + 1))


# --------------------------------------------------------------------------- #
# C2
# --------------------------------------------------------------------------- #
def claim_c2(assess_scores, evaluation, n_boot: int = 1000, n_perm: int = 2000,
             seed: int = 0) -> dict:
    """C2: the assessment/optimization misalignment is stronger with an adversarial loss.

    Hypothesis: tau between the assessment ranking and the optimization ranking
    is lower for generators trained with fidelity + GAN loss than for those
    trained with the fidelity loss alone.

    Statistic: delta = tau_with_GAN - tau_without_GAN, each tau as in
    :func:`claim_c1`; the with-GAN optimization quality pools all adversarial
    runs of a fidelity metric (all discriminators and GAN weights). Metrics must
    have assessment scores and both kinds of runs; ``n`` is their number.

    Resampling unit: the same joint bootstrap as C1 (test images and IQA
    references), both taus recomputed per draw; 95 % percentile CI. p-value:
    paired permutation test swapping the adversarial / non-adversarial labels
    within each (fidelity, seed, test image) cell where both exist (exact when
    2^cells <= n_perm), one-sided, H1: delta < 0, p = P(delta_perm <= delta_obs).

    Verdict: ``inconclusive`` if n < 4; else ``supported`` if ci_high < 0,
    ``not_supported`` if ci_low > 0, otherwise ``inconclusive``.
    """
    stat = "tau_with_GAN - tau_without_GAN"
    assess, optim = _as_frames(assess_scores, evaluation)
    ai, oi, names = _common(assess, optim, (False, True))
    n = len(names)
    what = "assessment results and optimization runs both without and with GAN"
    if n < 2:
        return _row("C2", stat, n=n, note=_too_few(n, names, what))
    a_obs = assess.srcc()[ai]
    tau_no = float(kendall_tau_b(a_obs, optim.quality(False)[oi]))
    tau_gan = float(kendall_tau_b(a_obs, optim.quality(True)[oi]))
    delta = tau_gan - tau_no
    A, O = _joint_bootstrap(assess, optim, ai, oi, (False, True), n_boot, seed)
    ci = _percentile_ci(kendall_tau_b(A, O[True]) - kendall_tau_b(A, O[False]))
    p = _perm_p_c2(a_obs, optim.cells[False][oi], optim.cells[True][oi], delta, n_perm, seed)
    if n < MIN_METRICS:
        return _row("C2", stat, delta, ci, p, n, "inconclusive", _too_few(n, names, what))
    if ci[1] < 0:
        verdict = "supported"
    elif ci[0] > 0:
        verdict = "not_supported"
    else:
        verdict = "inconclusive"
    note = (f"tau_without_GAN={tau_no:.3f}, tau_with_GAN={tau_gan:.3f}; metrics: "
            f"{', '.join(names)}; discriminators pooled: {', '.join(optim.discriminators) or 'none'}; "
            "supported iff CI upper < 0, not_supported iff CI lower > 0")
    return _row("C2", stat, delta, ci, p, n, verdict, note)


def _perm_p_c2(a_obs, no_gan, gan, delta_obs, n_perm, seed, chunk: int = 256) -> float:
    pairable = np.isfinite(no_gan) & np.isfinite(gan)
    n_pairs = int(pairable.sum())
    if n_pairs == 0 or not np.isfinite(delta_obs):
        return float("nan")

    def deltas(masks):  # masks: [P, metric, seed, image] booleans (True = swap labels)
        no = np.where(masks, gan, no_gan)
        ga = np.where(masks, no_gan, gan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q_no = np.nanmean(no, axis=(-2, -1))
            q_ga = np.nanmean(ga, axis=(-2, -1))
        return kendall_tau_b(a_obs, q_ga) - kendall_tau_b(a_obs, q_no)

    where = np.flatnonzero(pairable.ravel())
    if 2 ** n_pairs <= n_perm:  # exact: all 2^cells swap patterns, identity included
        bits = np.array(list(itertools.product([False, True], repeat=n_pairs)))
        masks = np.zeros((bits.shape[0], pairable.size), dtype=bool)
        masks[:, where] = bits
        d = deltas(masks.reshape((-1,) + pairable.shape))
        return float(np.mean(d <= delta_obs + 1e-12))
    rng = np.random.default_rng([seed, 2])
    count = 0
    done = 0
    while done < n_perm:
        k = min(chunk, n_perm - done)
        masks = np.zeros((k, pairable.size), dtype=bool)
        masks[:, where] = rng.random((k, n_pairs)) < 0.5
        d = deltas(masks.reshape((-1,) + pairable.shape))
        count += int(np.sum(d <= delta_obs + 1e-12))
        done += k
    return float((1 + count) / (n_perm + 1))


# --------------------------------------------------------------------------- #
# C2, second view: linear mixed model over cells
# --------------------------------------------------------------------------- #
MIXEDLM_COLUMNS = ["term", "coef", "se", "ci_low", "ci_high", "p_value", "n_obs", "n_groups",
                   "converged", "note"]
MIXEDLM_FORMULA = "quality ~ assessment_srcc * adversarial"
#: The fixed effect that carries C2 in the mixed model.
MIXEDLM_KEY_TERM = "assessment_srcc:adversarial"


def c2_mixedlm(assess_scores, evaluation) -> pd.DataFrame:
    """C2 as a regression: does the optimization quality follow assessment SRCC less with GAN?

    Model (statsmodels ``MixedLM``, REML)::

        quality ~ assessment_srcc * adversarial + (1 | test image)

    One observation per (fidelity metric, adversarial flag, seed, test image)
    cell: ``quality`` is the cell's mean normalized evaluator quality
    (:func:`cell_quality`, GAN settings pooled as in :func:`claim_c2`),
    ``assessment_srcc`` the metric's mean SRCC over IQA sets, ``adversarial``
    0/1. A random intercept per test image absorbs that some images are easier
    than others for every generator. Only metrics usable for C2 (assessment
    scores and runs without and with GAN) enter.

    Hypothesis (C2): the interaction ``assessment_srcc:adversarial`` is negative,
    i.e. the slope of optimization quality on assessment SRCC is flatter (or
    reversed) with the adversarial loss. Wald z-test, 95 % Wald CI. This view
    complements the rank statistic of :func:`claim_c2`: it uses the size of the
    SRCC differences, not only their order, and it assumes linearity.

    Returns one row per fixed effect plus ``image_var`` (random-intercept
    variance; no SE/p) with columns :data:`MIXEDLM_COLUMNS`; where the model
    cannot be fitted (fewer than 2 metrics or test images, singular design) a
    single row for the key term with NaNs and a note saying why.
    """
    assess, optim = _as_frames(assess_scores, evaluation)
    ai, _, names = _common(assess, optim, (False, True))
    a_srcc = dict(zip(names, assess.srcc()[ai]))
    records = []
    for flag in (False, True):
        cells = optim.cells[flag]
        for m in names:
            k = optim.metrics.index(m)
            for si in range(cells.shape[1]):
                for ii in range(cells.shape[2]):
                    q = cells[k, si, ii]
                    if np.isfinite(q):
                        records.append((m, int(flag), si, ii, a_srcc[m], q))
    data = pd.DataFrame(records, columns=["metric", "adversarial", "seed", "image",
                                          "assessment_srcc", "quality"])
    n_obs, n_groups = len(data), int(data["image"].nunique()) if len(data) else 0

    def failed(why: str) -> pd.DataFrame:
        return pd.DataFrame([{"term": MIXEDLM_KEY_TERM, "coef": np.nan, "se": np.nan,
                              "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                              "n_obs": n_obs, "n_groups": n_groups, "converged": False,
                              "note": why}], columns=MIXEDLM_COLUMNS)

    if len(names) < 2:
        return failed(f"{_too_few(len(names), names)}; the mixed model needs at least 2")
    if n_groups < 2:
        return failed(f"only {n_groups} test image(s): a random intercept per image needs at least 2")
    import statsmodels.formula.api as smf  # imported here: only this view needs it
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    # L-BFGS first; at the boundary (image variance 0) its Hessian is singular and the
    # intercept's SE explodes, so such fits are redone with Powell (derivative-free)
    fit, converged, boundary = None, False, False
    for method in ("lbfgs", "powell"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = smf.mixedlm(MIXEDLM_FORMULA, data, groups=data["image"]).fit(
                    reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                if method == "powell":
                    return failed(f"model could not be fitted: {exc}")
                continue
        boundary = float(np.asarray(fit.cov_re).ravel()[0]) < 1e-6 * max(float(fit.scale), 1e-12)
        # at the boundary statsmodels warns ("MLE on the boundary", "Hessian not positive
        # definite"): expected there, not a failure to converge
        converged = bool(getattr(fit, "converged", True)) and (boundary or not any(
            issubclass(w.category, ConvergenceWarning) for w in caught))
        if converged and not boundary and np.all(np.isfinite(fit.bse_fe)):
            break
    ci = fit.conf_int()
    rows = []
    for term in fit.fe_params.index:
        rows.append({"term": term, "coef": float(fit.fe_params[term]), "se": float(fit.bse_fe[term]),
                     "ci_low": float(ci.loc[term, 0]), "ci_high": float(ci.loc[term, 1]),
                     "p_value": float(fit.pvalues[term]), "n_obs": n_obs, "n_groups": n_groups,
                     "converged": converged, "note": ""})
    var = float(np.asarray(fit.cov_re)[0, 0]) if np.size(fit.cov_re) else np.nan
    rows.append({"term": "image_var", "coef": var, "se": np.nan, "ci_low": np.nan,
                 "ci_high": np.nan, "p_value": np.nan, "n_obs": n_obs, "n_groups": n_groups,
                 "converged": converged,
                 "note": "variance of the random intercept per test image"})
    out = pd.DataFrame(rows, columns=MIXEDLM_COLUMNS)
    key = out["term"] == MIXEDLM_KEY_TERM
    out.loc[key, "note"] = ("C2 term: negative = quality follows assessment SRCC less with GAN; "
                            f"metrics: {', '.join(names)}")
    if boundary:
        out.loc[out["term"] == "image_var", "note"] += (
            " (at the boundary 0: images do not differ, the fit equals ordinary least squares)")
    if not converged:
        out["note"] = (out["note"] + "; optimizer did not converge, treat with care").str.lstrip("; ")
    return out


# --------------------------------------------------------------------------- #
# Paired-difference claims: C3 and C5 (transfer stage), C4 (discriminator design)
# --------------------------------------------------------------------------- #
TRANSFER_COLUMNS = ["backbone", "init", "dataset", "n", "seed", "srcc", "srcc_ci_low",
                    "srcc_ci_high", "plcc"]
#: Fewer matched units than this give a CI but never a verdict.
MIN_PAIRS = 3
#: A backbone or discriminator whose lower-cased name contains one of these is a
#: Transformer (ViT, Swin, DINOv2, CLIP-ViT, DeiT, BEiT); everything else counts
#: as convolutional (VGG, ResNet, ConvNeXt, PatchGAN, U-Net, ...).
TRANSFORMER_TOKENS = ("vit", "swin", "dinov2", "dino", "clip", "deit", "beit", "transformer")
#: A discriminator whose name contains one of these judges the whole image with one
#: logit ("vanilla"/image-level head); the others judge patches or pixels.
IMAGE_LEVEL_TOKENS = ("vanilla", "image", "global")
#: IQA sets with synthetic distortions (compared after lower-casing and dropping
#: everything but letters and digits); a name containing "synthetic" counts too.
SYNTHETIC_DATASETS = ("synthetic", "live", "liveiqa", "csiq", "tid2008", "tid2013", "kadid",
                      "kadid10k")


def is_transformer(name: str) -> bool:
    """True if ``name`` is a Transformer backbone/discriminator (see :data:`TRANSFORMER_TOKENS`)."""
    n = str(name).lower()
    return any(t in n for t in TRANSFORMER_TOKENS)


def is_image_level(name: str) -> bool:
    """True if ``name`` is an image-level ("vanilla") discriminator (:data:`IMAGE_LEVEL_TOKENS`)."""
    n = str(name).lower()
    return any(t in n for t in IMAGE_LEVEL_TOKENS)


def is_synthetic_dataset(name: str) -> bool:
    key = "".join(ch for ch in str(name).lower() if ch.isalnum())
    return "synthetic" in key or key in SYNTHETIC_DATASETS


def init_kind(init: str) -> str:
    """'random', 'imagenet', 'discriminator' (any init starting with "disc") or the value itself."""
    v = str(init).strip().lower()
    if v.startswith("disc"):
        return "discriminator"
    if v.startswith("imagenet"):
        return "imagenet"
    if v.startswith("rand"):
        return "random"
    return v


def _check_transfer(transfer: pd.DataFrame) -> pd.DataFrame:
    missing = {"backbone", "init", "dataset", "seed", "srcc"} - set(transfer.columns)
    if missing:
        raise InputError(f"transfer correlations lack columns {sorted(missing)}")
    t = transfer.copy()
    t["kind"] = t["init"].map(init_kind)
    t["srcc"] = pd.to_numeric(t["srcc"], errors="coerce")
    return t


def init_differences(transfer: pd.DataFrame, minuend: str, subtrahend: str) -> pd.DataFrame:
    """Paired SRCC differences between two initializations of the same backbone.

    Units are (backbone, dataset, seed): both inits must have been trained with
    that backbone and seed and scored on that dataset. Several rows of one init
    kind in a unit (e.g. weights of two discriminators) are averaged. Returns
    columns ``backbone, dataset, seed, diff``.
    """
    t = _check_transfer(transfer)
    wide = t.pivot_table(index=["backbone", "dataset", "seed"], columns="kind", values="srcc",
                         aggfunc="mean")
    if minuend not in wide or subtrahend not in wide:
        return pd.DataFrame(columns=["backbone", "dataset", "seed", "diff"])
    d = (wide[minuend] - wide[subtrahend]).dropna().rename("diff")
    return d.reset_index()


def family_differences(transfer: pd.DataFrame, synthetic_only: bool = True) -> pd.DataFrame:
    """Convolutional minus Transformer SRCC per (init, dataset, seed) unit.

    Per unit, SRCC is averaged over the convolutional backbones and over the
    Transformer backbones (:func:`is_transformer`); a unit needs both. With
    ``synthetic_only`` only IQA sets with synthetic distortions
    (:func:`is_synthetic_dataset`) are used. Columns ``init, dataset, seed, conv,
    transformer, diff``.
    """
    t = _check_transfer(transfer)
    if synthetic_only:
        t = t[t["dataset"].map(is_synthetic_dataset)]
    t = t.assign(family=np.where(t["backbone"].map(is_transformer), "transformer", "conv"))
    wide = t.pivot_table(index=["init", "dataset", "seed"], columns="family", values="srcc",
                         aggfunc="mean")
    cols = ["init", "dataset", "seed", "conv", "transformer", "diff"]
    if "conv" not in wide or "transformer" not in wide:
        return pd.DataFrame(columns=cols)
    wide = wide.dropna(subset=["conv", "transformer"])
    wide["diff"] = wide["conv"] - wide["transformer"]
    return wide.reset_index()[cols]


def _fmt_test(label: str, r: dict) -> str:
    return (f"{label} = {r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}], "
            f"p = {r['p_value']:.3g}, n = {r['n']}")


def _direction_verdict(r: dict) -> str:
    """supported iff CI above 0, not_supported iff CI below 0 (the hypothesis is 'positive')."""
    if r["n"] < MIN_PAIRS:
        return "inconclusive"
    if r["ci_low"] > 0:
        return "supported"
    if r["ci_high"] < 0:
        return "not_supported"
    return "inconclusive"


def claim_c3(transfer: pd.DataFrame | None, n_boot: int = 1000, n_perm: int = 2000,
             seed: int = 0) -> dict:
    """C3: discriminator weights help little as IQA initialization; ImageNet is best.

    Input: ``results/transfer/correlations.csv`` (:data:`TRANSFER_COLUMNS`), one
    row per fine-tuned IQA model (backbone x init x seed) and test dataset. Init
    kinds come from :func:`init_kind`: "random", "imagenet", "discriminator*".

    Hypothesis (the testable core of "help little"): an IQA model initialized
    from ImageNet weights predicts quality better than the same backbone
    initialized from a trained discriminator.

    Statistic: mean paired SRCC difference, ImageNet init minus discriminator
    init, over (backbone, dataset, seed) units (:func:`init_differences`);
    percentile bootstrap CI resampling units; one-sided sign-flip permutation p
    (H1: > 0). The note also reports discriminator minus random init (the
    "moderately better than random" part, which has no threshold in the paper
    and is therefore reported, not judged) and ImageNet minus random.

    Verdict: ``inconclusive`` without transfer results, without ImageNet- and
    discriminator-initialized models, or with fewer than :data:`MIN_PAIRS`
    units; else ``supported`` if the CI is above 0, ``not_supported`` if it is
    below 0 (discriminator init beats ImageNet), otherwise ``inconclusive``.
    When no ImageNet model exists the row reports discriminator minus random.
    """
    if transfer is None:
        return claim_not_run("C3")
    tests = {}
    for a, b in (("imagenet", "discriminator"), ("discriminator", "random"), ("imagenet", "random")):
        d = init_differences(transfer, a, b)["diff"].to_numpy(dtype=float)
        tests[(a, b)] = paired_mean_test(d, n_boot, n_perm, stable_seed(seed, "C3", a, b))
    labels = {k: f"{k[0]} - {k[1]}" for k in tests}
    main_key = ("imagenet", "discriminator")
    if tests[main_key]["n"] == 0:
        r = tests[("discriminator", "random")]
        note = ("no ImageNet- and discriminator-initialized models of the same backbone: "
                "'ImageNet is best' cannot be tested; row reports discriminator - random init")
        if r["n"] == 0:
            note = ("transfer results lack pairs of initializations (need discriminator and "
                    "random or ImageNet init of the same backbone, dataset and seed)")
        return _row("C3", "mean paired SRCC difference, discriminator init - random init",
                    r["estimate"], (r["ci_low"], r["ci_high"]), r["p_value"], r["n"],
                    "inconclusive", note)
    r = tests[main_key]
    verdict = _direction_verdict(r)
    others = "; ".join(_fmt_test(labels[k], tests[k]) for k in tests if k != main_key and tests[k]["n"])
    note = (f"units = backbone x dataset x seed; {others}; supported iff CI > 0 "
            f"(ImageNet init beats discriminator init), n >= {MIN_PAIRS}")
    return _row("C3", "mean paired SRCC difference, ImageNet init - discriminator init",
                r["estimate"], (r["ci_low"], r["ci_high"]), r["p_value"], r["n"], verdict, note)


def claim_c5(transfer: pd.DataFrame | None, n_boot: int = 1000, n_perm: int = 2000,
             seed: int = 0) -> dict:
    """C5: convolutional IQA backbones beat Transformer ones on synthetic distortions.

    Hypothesis: on IQA sets with synthetic distortions, IQA models with a
    convolutional backbone reach a higher SRCC than those with a Transformer
    backbone (names matched by :data:`TRANSFORMER_TOKENS`), under the same
    initialization kind, dataset and seed.

    Statistic: mean over (init, dataset, seed) units of [mean SRCC of the
    convolutional backbones - mean SRCC of the Transformer backbones]
    (:func:`family_differences`); bootstrap CI resampling units; one-sided
    sign-flip p (H1: > 0).

    Verdict: ``inconclusive`` without transfer results, without both families
    on a synthetic set, or with fewer than :data:`MIN_PAIRS` units; else
    ``supported`` if the CI is above 0, ``not_supported`` if below 0, otherwise
    ``inconclusive``.
    """
    stat = "mean SRCC difference, convolutional - Transformer backbones (synthetic distortions)"
    if transfer is None:
        return claim_not_run("C5")
    d = family_differences(transfer)
    r = paired_mean_test(d["diff"].to_numpy(dtype=float), n_boot, n_perm, stable_seed(seed, "C5"))
    t = _check_transfer(transfer)
    backbones = sorted(t["backbone"].astype(str).unique())
    trans = [b for b in backbones if is_transformer(b)]
    conv = [b for b in backbones if not is_transformer(b)]
    if r["n"] == 0:
        return _row("C5", stat, n=0, note=(
            f"needs convolutional and Transformer backbones scored on a synthetic-distortion set; "
            f"convolutional: {', '.join(conv) or 'none'}; Transformer: {', '.join(trans) or 'none'}; "
            f"datasets: {', '.join(sorted(t['dataset'].astype(str).unique()))}"))
    note = (f"units = init x dataset x seed; convolutional: {', '.join(conv)}; Transformer: "
            f"{', '.join(trans)}; supported iff CI > 0, n >= {MIN_PAIRS}")
    return _row("C5", stat, r["estimate"], (r["ci_low"], r["ci_high"]), r["p_value"], r["n"],
                _direction_verdict(r), note)


def discriminator_group(name: str) -> str:
    """'patch_conv' for patch-level convolutional discriminators, else 'image_or_transformer'.

    By name: the fallback for evaluation tables without the ``disc_level``/``disc_family``
    columns that :mod:`asym.optimize.evaluate` writes (:func:`design_groups` prefers those).
    """
    return "image_or_transformer" if (is_image_level(name) or is_transformer(name)) else "patch_conv"


def design_groups(evaluation: pd.DataFrame) -> dict[str, str]:
    """{design label: C4 group} of the adversarial rows: from each design's architecture
    (:func:`asym.optimize.designs.label_designs`) where the table records it, else by name."""
    df = label_designs(evaluation)
    df = df[as_bool(df["adversarial"].to_numpy())]
    out = {}
    for label, group in zip(df["discriminator"].astype(str), df["design_group"]):
        out[label] = group if isinstance(group, str) else discriminator_group(label)
    return out


def discriminator_cells(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Normalized evaluator quality per (discriminator, fidelity, gan_weight, seed, image) cell.

    Adversarial runs only; per evaluator averaged first, then over evaluators
    (as :func:`cell_quality`). ``image`` is "<test set>/<image>".
    """
    needed = {"fidelity", "adversarial", "discriminator", "gan_weight", "seed", "dataset",
              "image", "evaluator", "score", "lower_better"}
    missing = needed - set(evaluation.columns)
    if missing:
        raise InputError(f"evaluation table lacks columns {sorted(missing)}")
    df = normalize_evaluations(label_designs(evaluation))
    df = df[as_bool(df["adversarial"].to_numpy())].copy()
    df["image"] = df["dataset"].astype(str) + "/" + df["image"].astype(str)
    df["discriminator"] = df["discriminator"].astype(str)
    keys = ["discriminator", "fidelity", "gan_weight", "seed", "image"]
    per_eval = df.groupby(keys + ["evaluator"])["quality"].mean()
    return per_eval.groupby(level=list(range(len(keys)))).mean().reset_index()


PAIRWISE_COLUMNS = ["disc_a", "disc_b", "estimate", "ci_low", "ci_high", "p_value", "p_holm",
                    "reject", "n"]


def discriminator_pairwise(evaluation: pd.DataFrame, n_boot: int = 1000, n_perm: int = 2000,
                           seed: int = 0, alpha: float = 0.05) -> pd.DataFrame:
    """All pairwise discriminator comparisons of evaluator quality, Holm-corrected.

    For each pair (a, b) (a before b alphabetically): mean over matched
    (fidelity, gan_weight, seed, test image) cells of quality(a) - quality(b),
    bootstrap CI over cells, two-sided sign-flip p; the family of p-values is
    corrected with Holm's step-down method (statsmodels ``multipletests``);
    ``reject`` marks pairs that differ at family-wise level ``alpha``.
    """
    from statsmodels.stats.multitest import multipletests

    cells = discriminator_cells(evaluation)
    wide = cells.pivot_table(index=["fidelity", "gan_weight", "seed", "image"],
                             columns="discriminator", values="quality", aggfunc="mean")
    rows = []
    for a, b in itertools.combinations(sorted(wide.columns), 2):
        d = (wide[a] - wide[b]).dropna().to_numpy(dtype=float)
        r = paired_mean_test(d, n_boot, n_perm, stable_seed(seed, "C4", a, b), alternative="two-sided")
        rows.append({"disc_a": a, "disc_b": b, **r})
    out = pd.DataFrame(rows, columns=[c for c in PAIRWISE_COLUMNS if c not in ("p_holm", "reject")])
    out["p_holm"] = np.nan
    out["reject"] = False
    ok = out["p_value"].notna()
    if ok.any():
        reject, p_holm, _, _ = multipletests(out.loc[ok, "p_value"].to_numpy(), alpha=alpha,
                                             method="holm")
        out.loc[ok, "p_holm"] = p_holm
        out.loc[ok, "reject"] = reject
    return out[PAIRWISE_COLUMNS]


def run_stability(train_logs: pd.DataFrame) -> pd.DataFrame:
    """Instability of each adversarial run: s.d. of the discriminator's balanced accuracy.

    Balanced accuracy = (d_real_acc + d_fake_acc) / 2 per logged step; its
    standard deviation over the second half of training measures how much the
    adversarial game oscillates (0 = steady). Accuracies are scale-free, so
    discriminators with different losses compare. ``train_logs`` needs columns
    ``run, step, d_real_acc, d_fake_acc``; runs without finite accuracies (no
    GAN) are dropped. Returns ``run, instability, d_accuracy`` (mean balanced
    accuracy over the second half).
    """
    missing = {"run", "step", "d_real_acc", "d_fake_acc"} - set(train_logs.columns)
    if missing:
        raise InputError(f"training logs lack columns {sorted(missing)}")
    rows = []
    for run, part in train_logs.groupby("run", sort=True):
        part = part.sort_values("step")
        acc = ((pd.to_numeric(part["d_real_acc"], errors="coerce")
                + pd.to_numeric(part["d_fake_acc"], errors="coerce")) / 2).to_numpy(dtype=float)
        acc = acc[len(acc) // 2:]
        acc = acc[np.isfinite(acc)]
        if acc.size >= 2:
            rows.append({"run": run, "instability": float(acc.std(ddof=1)),
                         "d_accuracy": float(acc.mean())})
    return pd.DataFrame(rows, columns=["run", "instability", "d_accuracy"])


def read_train_logs(paths) -> pd.DataFrame:
    """Concatenate ``<run>/train_log.csv`` files, adding the run name (the folder)."""
    frames = []
    for p in map(Path, paths):
        log = _read_csv(p)
        frames.append(log.assign(run=p.parent.name))
    if not frames:
        return pd.DataFrame(columns=["run", "step", "d_real_acc", "d_fake_acc"])
    return pd.concat(frames, ignore_index=True)


def _stability_contrast(evaluation, train_logs, n_boot, n_perm, seed) -> dict | None:
    stab = run_stability(train_logs)
    labelled = label_designs(evaluation)
    runs = labelled[as_bool(labelled["adversarial"].to_numpy())][
        ["run", "discriminator", "fidelity", "gan_weight", "seed"]].drop_duplicates("run")
    stab = stab.merge(runs, on="run", how="inner")
    if stab.empty:
        return None
    stab["group"] = stab["discriminator"].astype(str).map(design_groups(evaluation))
    wide = stab.pivot_table(index=["fidelity", "gan_weight", "seed"], columns="group",
                            values="instability", aggfunc="mean")
    if {"patch_conv", "image_or_transformer"} - set(wide.columns):
        return None
    d = (wide["image_or_transformer"] - wide["patch_conv"]).dropna().to_numpy(dtype=float)
    return paired_mean_test(d, n_boot, n_perm, stable_seed(seed, "C4", "stability"))


def claim_c4(evaluation, train_logs: pd.DataFrame | None = None, n_boot: int = 1000,
             n_perm: int = 2000, seed: int = 0) -> dict:
    """C4: patch-level convolutional discriminators beat image-level or Transformer ones.

    Discriminators are split by architecture (:func:`design_groups`, from the
    ``disc_level``/``disc_family`` columns :mod:`asym.optimize.evaluate` writes; by name with
    :func:`discriminator_group` for tables without them): image-level ("vanilla")
    or Transformer-based versus the rest (patch-level convolutional: PatchGAN,
    U-Net, patch heads on CNNs). A design trained with a non-default GAN
    objective is its own condition ("patchgan/hinge", :func:`asym.optimize.designs.design_label`).

    Hypothesis: generators trained with a patch-level convolutional
    discriminator reach a higher evaluator quality than the same fidelity loss,
    GAN weight and seed trained with an image-level or Transformer one.

    Statistic: mean over matched (fidelity, gan_weight, seed, test image) cells
    of [mean normalized quality over patch-level convolutional discriminators -
    mean over image-level/Transformer ones] (:func:`discriminator_cells`);
    bootstrap CI over cells; one-sided sign-flip p (H1: > 0). The note adds the
    Holm-corrected pairwise comparisons (:func:`discriminator_pairwise`) and,
    when ``train_logs`` are given, the stability contrast: instability
    (:func:`run_stability`) of image-level/Transformer minus patch-level runs
    (positive = the former less stable), reported, not part of the verdict.

    Verdict: ``inconclusive`` with fewer than two discriminator designs, one
    group empty or fewer than :data:`MIN_PAIRS` cells; else ``supported`` if
    the CI is above 0, ``not_supported`` if below 0, otherwise ``inconclusive``.
    """
    stat = "mean quality difference, patch-level conv - image-level/Transformer discriminators"
    if isinstance(evaluation, _Optimization):
        raise TypeError("claim_c4 needs the evaluation DataFrame")
    cells = discriminator_cells(evaluation)
    discs = sorted(cells["discriminator"].unique())
    if len(discs) < 2:
        return _row("C4", stat, n=0, note=(
            f"only {len(discs)} discriminator design(s) ({', '.join(discs) or 'none'}) were trained "
            "at this scale; a design comparison needs at least two"))
    cells["group"] = cells["discriminator"].map(design_groups(evaluation))
    groups = {g: sorted(cells.loc[cells["group"] == g, "discriminator"].unique())
              for g in ("patch_conv", "image_or_transformer")}
    pairwise = discriminator_pairwise(evaluation, n_boot, n_perm, seed)
    pw = "; ".join(f"{r.disc_a} - {r.disc_b} = {r.estimate:.3f} (Holm p = {r.p_holm:.3g})"
                   for r in pairwise.itertuples())
    if not all(groups.values()):
        return _row("C4", stat, n=0, note=(
            f"patch-level conv: {', '.join(groups['patch_conv']) or 'none'}; image-level/Transformer: "
            f"{', '.join(groups['image_or_transformer']) or 'none'}; both groups are needed; "
            f"pairwise (Holm): {pw}"))
    wide = cells.pivot_table(index=["fidelity", "gan_weight", "seed", "image"], columns="group",
                             values="quality", aggfunc="mean")
    d = (wide["patch_conv"] - wide["image_or_transformer"]).dropna().to_numpy(dtype=float)
    r = paired_mean_test(d, n_boot, n_perm, stable_seed(seed, "C4"))
    note = (f"patch-level conv: {', '.join(groups['patch_conv'])}; image-level/Transformer: "
            f"{', '.join(groups['image_or_transformer'])}; units = fidelity x gan_weight x seed x "
            f"test image; pairwise (Holm): {pw}")
    if train_logs is not None:
        s = _stability_contrast(evaluation, train_logs, n_boot, n_perm, seed)
        note += ("; stability: " + (_fmt_test("instability(image/Transformer) - instability(patch)", s)
                                   if s and s["n"] else "no matched adversarial runs in the training logs"))
    return _row("C4", stat, r["estimate"], (r["ci_low"], r["ci_high"]), r["p_value"], r["n"],
                _direction_verdict(r), note)


# --------------------------------------------------------------------------- #
# Claims whose stage has not run
# --------------------------------------------------------------------------- #
def claim_not_run(claim: str) -> dict:
    """Placeholder row for a claim whose stage has not produced results.

    Verdict: always ``inconclusive`` with NaN estimate/CI/p and n = 0.
    """
    return _row(claim, "not computed", note=NOT_RUN_NOTE)


def claims_table(assess_scores, evaluation, n_boot: int = 1000, n_perm: int = 2000,
                 seed: int = 0, threshold: float = 0.5, scale: str = "demo",
                 transfer: pd.DataFrame | None = None,
                 train_logs: pd.DataFrame | None = None,
                 ranking_evaluation: pd.DataFrame | None = None) -> pd.DataFrame:
    """All five claim rows with exactly the columns :data:`CLAIM_COLUMNS`.

    ``evaluation`` must be the DataFrame (C4 needs the discriminator of each
    row); ``transfer`` (results/transfer/correlations.csv) feeds C3 and C5,
    ``train_logs`` (:func:`read_train_logs`) the stability part of C4. A claim
    whose input is missing stays ``inconclusive`` with note
    "stage not run at this scale". ``ranking_evaluation`` (default: ``evaluation``)
    is what C1 and C2 rank, e.g. :func:`main_setting_rows` of it, so that a design
    or weight sweep run for one loss only does not tilt that loss's GAN quality.
    """
    if isinstance(evaluation, _Optimization):
        raise TypeError("claims_table needs the evaluation DataFrame (C4 reads discriminators)")
    assess, optim = _as_frames(assess_scores, evaluation if ranking_evaluation is None else ranking_evaluation)
    rows = [
        claim_c1(assess, optim, n_boot, n_perm, seed, threshold),
        claim_c2(assess, optim, n_boot, n_perm, seed),
        claim_c3(transfer, n_boot, n_perm, seed),
        claim_c4(evaluation, train_logs, n_boot, n_perm, seed),
        claim_c5(transfer, n_boot, n_perm, seed),
    ]
    for r in rows:
        r["scale"] = scale
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def main_setting_rows(evaluation: pd.DataFrame, setting: str | None) -> pd.DataFrame:
    """Rows without GAN plus those of one adversarial setting: its name in
    ``optimize.adversarial`` (matched against the ``setting`` column), or, for tables
    without that column, ``"<discriminator>:<gan_weight>"``.

    C1 and C2 compare losses; every loss must then be trained with the same GAN
    setting. Sweeps over designs, weights or objectives for some losses only are left
    out here (C4 and the sweep figure use them). ``None`` keeps every row.
    """
    if not setting:
        return evaluation
    if ":" not in setting:
        if "setting" not in evaluation.columns:
            raise InputError(f"GAN setting {setting!r} is a setting name, but the evaluation table has no "
                             "'setting' column (rerun the evaluate stage, or pass '<discriminator>:<gan_weight>')")
        adversarial = as_bool(evaluation["adversarial"].to_numpy())
        keep = ~adversarial | (evaluation["setting"].astype(str) == setting).to_numpy()
        if not keep[adversarial].any():
            raise InputError(f"no adversarial rows of setting {setting!r} in the evaluation")
        return evaluation.loc[keep].reset_index(drop=True)
    disc, _, weight = setting.partition(":")
    try:
        weight = float(weight)
    except ValueError:
        raise InputError(f"GAN setting {setting!r} must look like 'patchgan:0.05'") from None
    adversarial = as_bool(evaluation["adversarial"].to_numpy())
    keep = ~adversarial | ((evaluation["discriminator"].astype(str) == disc).to_numpy()
                           & np.isclose(evaluation["gan_weight"].astype(float).to_numpy(), weight))
    if not keep[adversarial].any():
        raise InputError(f"no adversarial rows with discriminator {disc!r} and gan_weight {weight} in the evaluation")
    return evaluation.loc[keep].reset_index(drop=True)


def rank_table(assess_scores, evaluation) -> pd.DataFrame:
    """The two rankings behind C1/C2: one row per (metric, adversarial), rank 1 = best."""
    assess, optim = _as_frames(assess_scores, evaluation)
    a_srcc = assess.srcc()
    frames = []
    for flag in (False, True):
        ai, oi, names = _common(assess, optim, (flag,))
        if not names:
            continue
        t = pd.DataFrame({
            "metric": names,
            "adversarial": flag,
            "assessment_srcc": a_srcc[ai],
            "optimization_quality": optim.quality(flag)[oi],
        })
        t["assessment_rank"] = t["assessment_srcc"].rank(ascending=False, method="min").astype(int)
        t["optimization_rank"] = t["optimization_quality"].rank(ascending=False, method="min").astype(int)
        frames.append(t.sort_values("assessment_rank", kind="stable"))
    if not frames:
        return pd.DataFrame(columns=RANK_COLUMNS)
    return pd.concat(frames, ignore_index=True)[RANK_COLUMNS]


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #
def _read_csv(path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input table not found: {path}; run the stage that writes it first")
    return pd.read_csv(path)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.analysis.claims", description=__doc__.split("\n")[0])
    p.add_argument("--assess-scores", nargs="+", required=True,
                   help="per-image assessment score CSVs (one per dataset x metric)")
    p.add_argument("--evaluation", required=True, help="results/optimize/evaluation.csv")
    p.add_argument("--transfer", default=None,
                   help="results/transfer/correlations.csv (C3, C5); without it they stay inconclusive")
    p.add_argument("--train-logs", nargs="*", default=None,
                   help="results/optimize/runs/<run>/train_log.csv files (stability part of C4)")
    p.add_argument("--gan-setting", default=None,
                   help="adversarial setting name (or '<discriminator>:<gan_weight>') that C1/C2 rank as "
                        "'with GAN' (default: all GAN rows pooled)")
    p.add_argument("--scale", choices=["demo", "paper"], required=True)
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--n-perm", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.5,
                   help="Kendall tau regarded as strong alignment (C1)")
    p.add_argument("--out", required=True, help="claims CSV to write")
    p.add_argument("--ranks-out", default=None,
                   help="rank table CSV to write (default: ranks.csv beside --out)")
    p.add_argument("--mixedlm-out", default=None,
                   help="CSV for C2's mixed-model view (coefficients, SE, CI, p); skipped if not given")
    p.add_argument("--pairwise-out", default=None,
                   help="CSV for C4's Holm-corrected pairwise discriminator comparisons; skipped if not given")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        assess = pd.concat([_read_csv(p) for p in args.assess_scores], ignore_index=True)
        evaluation = _read_csv(args.evaluation)
        transfer = _read_csv(args.transfer) if args.transfer else None
        logs = read_train_logs(args.train_logs) if args.train_logs else None
        ranking = main_setting_rows(evaluation, args.gan_setting)
        a, o = _prepare_assessment(assess), _prepare_optimization(ranking)
        if transfer is not None:
            _check_transfer(transfer)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = claims_table(a, evaluation, args.n_boot, args.n_perm, args.seed, args.threshold,
                         args.scale, transfer=transfer, train_logs=logs, ranking_evaluation=ranking)
    ranks = rank_table(a, o)
    ranks_out = args.ranks_out or str(Path(args.out).with_name("ranks.csv"))
    write_csv(table, args.out)
    write_csv(ranks, ranks_out)
    if args.mixedlm_out:
        write_csv(c2_mixedlm(a, o), args.mixedlm_out)
    if args.pairwise_out:
        write_csv(discriminator_pairwise(evaluation, args.n_boot, args.n_perm, args.seed),
                  args.pairwise_out)
    for r in table.itertuples():
        print(f"{r.claim}: {r.verdict} (estimate={r.estimate:.3f}, CI=[{r.ci_low:.3f}, {r.ci_high:.3f}], "
              f"p={r.p_value:.4f}, n={r.n})")
    return 0


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
