"""Test the paper's claims on the assessment and optimization results.

Command (as run by the workflow)::

    python -m asym.claims \\
        --assess-scores results/assess/scores/*/*.csv \\
        --evaluation results/optimize/evaluation.csv \\
        --scale demo --n-boot 1000 --n-perm 2000 --seed 0 --threshold 0.5 \\
        --out results/analysis/claims.csv --ranks-out results/analysis/ranks.csv

Writes ``claims.csv`` with exactly the columns :data:`CLAIM_COLUMNS` (one row per
claim C1..C5) and ``ranks.csv`` with the two rank tables the tests used
(:data:`RANK_COLUMNS`).

Two rankings of the fidelity metrics are compared:

* assessment: SRCC with MOS (quality direction), averaged over the IQA datasets;
* optimization: mean normalized evaluator quality
  (:func:`asym.stats.normalize_evaluations`) of the SR generators trained with
  that metric as loss, averaged over evaluators, seeds and test images.

Uncertainty comes from a joint bootstrap that redraws the test images of the
evaluation (within each test set) and the reference images of each IQA set, and
recomputes both rankings from scratch for every draw.
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

from asym.io import InputError, write_csv
from asym.stats import as_bool, normalize_evaluations, quality_direction

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
# C3..C5: stages not implemented at this scale yet
# --------------------------------------------------------------------------- #
def claim_not_run(claim: str) -> dict:
    """Placeholder row for a claim whose stage has not produced results.

    Verdict: always ``inconclusive`` with NaN estimate/CI/p and n = 0.
    """
    return _row(claim, "not computed", note=NOT_RUN_NOTE)


def claims_table(assess_scores, evaluation, n_boot: int = 1000, n_perm: int = 2000,
                 seed: int = 0, threshold: float = 0.5, scale: str = "demo") -> pd.DataFrame:
    """All five claim rows with exactly the columns :data:`CLAIM_COLUMNS`."""
    assess, optim = _as_frames(assess_scores, evaluation)
    rows = [
        claim_c1(assess, optim, n_boot, n_perm, seed, threshold),
        claim_c2(assess, optim, n_boot, n_perm, seed),
        claim_not_run("C3"),
        claim_not_run("C4"),
        claim_not_run("C5"),
    ]
    for r in rows:
        r["scale"] = scale
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


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
    p = argparse.ArgumentParser(prog="python -m asym.claims", description=__doc__.split("\n")[0])
    p.add_argument("--assess-scores", nargs="+", required=True,
                   help="per-image assessment score CSVs (one per dataset x metric)")
    p.add_argument("--evaluation", required=True, help="results/optimize/evaluation.csv")
    p.add_argument("--scale", choices=["demo", "paper"], required=True)
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--n-perm", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.5,
                   help="Kendall tau regarded as strong alignment (C1)")
    p.add_argument("--out", required=True, help="claims CSV to write")
    p.add_argument("--ranks-out", default=None,
                   help="rank table CSV to write (default: ranks.csv beside --out)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        assess = pd.concat([_read_csv(p) for p in args.assess_scores], ignore_index=True)
        evaluation = _read_csv(args.evaluation)
        a, o = _prepare_assessment(assess), _prepare_optimization(evaluation)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = claims_table(a, o, args.n_boot, args.n_perm, args.seed, args.threshold, args.scale)
    ranks = rank_table(a, o)
    ranks_out = args.ranks_out or str(Path(args.out).with_name("ranks.csv"))
    write_csv(table, args.out)
    write_csv(ranks, ranks_out)
    for r in table.itertuples():
        print(f"{r.claim}: {r.verdict} (estimate={r.estimate:.3f}, CI=[{r.ci_low:.3f}, {r.ci_high:.3f}], "
              f"p={r.p_value:.4f}, n={r.n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
