"""Claims C1 and C2: the assessment ranking of fidelity metrics against their optimization ranking.

C1 (H1): the alignment between a metric's assessment SRCC and the quality of generators
trained with it (no GAN) is below the strong-alignment threshold. C2 (H1): that
alignment falls when an adversarial loss is added. The statistic of both is Kendall's
tau between the metrics' mean assessment SRCC and the mean quality of their training
runs (:mod:`asym.analysis.runs`, primary evaluator panel).

The training run is the unit. C1 certifies discordant metric pairs: for a pair whose
SRCC order is established on the IQA side (references as units,
:func:`asym.analysis.assessment.pairwise_sign_p`), an exact relabelling test of the runs
of the two losses asks whether the better-assessed loss trains demonstrably worse. With
P pairs, tau of the true means is below the threshold t once more than P(1 - t)/2
pairs are discordant, so the claim's p is P times the K-th smallest pair p
(K = floor(P(1 - t)/2) + 1; Bonferroni over pairs, valid whatever the other pairs do).
C2 pairs each loss's run without GAN with its run with GAN of the same seed and moves
these whole runs in two ways: it swaps the GAN / no-GAN labels within each (loss, seed)
pair (exact when the GAN changes nothing) and it relabels the losses of whole run pairs
(exact whatever shift the GAN gives every loss alike). The verdict's p is the larger of
the two, so it is valid under either null. The array-level
The array-level
functions (:func:`c1_test`, :func:`c2_test`) are what the claims, the power simulation
and the calibration tests all run.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from asym.analysis import inference as inf
from asym.analysis.assessment import Assessment, assessment_draws, kendall_tau_b, pairwise_sign_p
from asym.analysis.runs import RunMatrix, group_summary, hierarchical_group_means, run_matrix
from asym.analysis.stats import percentile_ci

#: Fewer metrics than this cannot support any statement about rankings.
MIN_METRICS = 4
#: Kendall tau at or above which the two rankings count as strongly aligned (config overrides).
DEFAULT_THRESHOLD = 0.5


def pairs_needed(n_metrics: int, threshold: float) -> tuple[int, int, int]:
    """(P pairs, K discordant pairs that put tau below ``threshold``, K_c concordant ones that
    put it at or above)."""
    P = n_metrics * (n_metrics - 1) // 2
    K = math.floor(P * (1 - threshold) / 2 + 1e-12) + 1
    Kc = math.ceil(P * (1 + threshold) / 2 - 1e-12)
    return P, K, max(Kc, 1)


def c1_min_p(n_metrics: int, seeds: int, threshold: float) -> float:
    """Smallest p of :func:`c1_test` with ``seeds`` runs per loss (assessment order certain)."""
    P, K, _ = pairs_needed(n_metrics, threshold)
    return 1.0 if K > P else min(1.0, P * inf.two_sample_min_p(seeds, seeds))


def c1_test(a, a_sign_p, y, groups, threshold: float = DEFAULT_THRESHOLD, n_perm: int = 2000,
            seed: int = 0) -> dict:
    """C1 on arrays: ``a`` [M] assessment SRCC, ``a_sign_p`` [M, M] (p that the SRCC order of a
    pair is wrong), ``y`` run qualities with ``groups`` their metric index (no-GAN runs).

    Returns ``estimate`` (tau-b of ``a`` and the loss means), ``p`` (H1: tau < threshold),
    ``p_reverse`` (H1: tau >= threshold), ``pairs``, ``needed`` (K), ``min_p``.
    """
    a = np.asarray(a, float)
    y = np.asarray(y, float)
    groups = np.asarray(groups, int)
    M = a.size
    per = [y[groups == m] for m in range(M)]
    means = np.array([v.mean() if v.size else np.nan for v in per])
    tau = float(kendall_tau_b(a, means))
    P, K, Kc = pairs_needed(M, threshold)
    p_disc, p_conc, min_ps = [], [], []
    for i, j in itertools.combinations(range(M), 2):
        s = np.sign(a[i] - a[j])
        if s == 0 or per[i].size == 0 or per[j].size == 0:
            p_disc.append(1.0), p_conc.append(1.0), min_ps.append(1.0)
            continue
        ps = a_sign_p[i, j]
        worse = "less" if s > 0 else "greater"    # i assessed better but trains worse
        better = "greater" if s > 0 else "less"
        p_disc.append(max(ps, inf.two_sample_perm_p(per[i], per[j], worse, n_perm, seed + i * M + j)))
        p_conc.append(max(ps, inf.two_sample_perm_p(per[i], per[j], better, n_perm, seed + i * M + j)))
        min_ps.append(max(ps, inf.two_sample_min_p(per[i].size, per[j].size)))
    p_disc, p_conc, min_ps = map(np.sort, (p_disc, p_conc, min_ps))
    p = min(1.0, P * p_disc[K - 1]) if K <= P else 1.0
    p_rev = min(1.0, P * p_conc[Kc - 1]) if Kc <= P else 1.0
    min_p = min(1.0, P * min_ps[K - 1]) if K <= P else 1.0
    return {"estimate": tau, "p": float(p), "p_reverse": float(p_rev), "pairs": P, "needed": K,
            "min_p": float(min_p)}


def _tau_delta(a, sums_no, cnt_no, sums_gan, cnt_gan):
    with np.errstate(invalid="ignore", divide="ignore"):
        return kendall_tau_b(a, sums_gan / cnt_gan) - kendall_tau_b(a, sums_no / cnt_no)


def _corr(r: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Pearson correlation of the fixed vector ``r`` with each row of ``means``."""
    rc = r - r.mean()
    mc = means - means.mean(axis=-1, keepdims=True)
    den = np.sqrt((mc * mc).sum(-1) * (rc * rc).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (mc @ rc) / np.where(den > 0, den, 1.0), np.nan)


def c2_test(a, y, groups, adversarial, seeds, n_perm: int = 2000, seed: int = 0) -> dict:
    """C2 on arrays: runs ``y`` with metric index ``groups``, ``adversarial`` flag and ``seeds``.

    ``estimate``: delta = tau(with GAN) - tau(without GAN) of the loss means. The test works
    on run pairs (a loss's run without and with GAN of the same seed): d = quality with GAN -
    quality without; statistic: the correlation between the losses' SRCC ranks and their
    mean d (H1: negative, the GAN hurts the losses that assess better more). Two sets of
    whole-run moves give its null distribution:

    - ``p_swap`` swaps the GAN / no-GAN labels within each (loss, seed) pair (a sign flip of
      d; all 2^n swaps when few, else ``n_perm`` random ones): exact when the GAN changes no
      loss's quality;
    - ``p_relabel`` relabels the losses of the pairs (``n_perm`` random relabellings, +1
      rule): exact in distribution when the GAN shifts every loss alike, by any amount.

    ``p`` = max(p_swap, p_relabel): a level-alpha test under either null (rejecting needs
    both to reject). ``p_reverse`` is the same for the opposite direction. ``units``: the
    run pairs; ``min_p``: the smallest ``p`` this design can reach.
    """
    a = np.asarray(a, float)
    y = np.asarray(y, float)
    groups = np.asarray(groups, int)
    adv = np.asarray(adversarial, bool)
    seeds = np.asarray(seeds)
    M = a.size
    onehot = np.eye(M)[groups]
    cnt_no, cnt_gan = onehot[~adv].sum(0), onehot[adv].sum(0)
    obs = float(_tau_delta(a, (y[:, None] * onehot)[~adv].sum(0), cnt_no,
                           (y[:, None] * onehot)[adv].sum(0), cnt_gan))
    key_no = {(g, s): k for k, (g, s, f) in enumerate(zip(groups, seeds, adv)) if not f}
    pairs = [(key_no[(g, s)], k) for k, (g, s, f) in enumerate(zip(groups, seeds, adv))
             if f and (g, s) in key_no]
    n = len(pairs)
    nan = float("nan")
    out = {"estimate": obs, "p": nan, "p_reverse": nan, "p_swap": nan, "p_relabel": nan, "units": n,
           "min_p": c2_min_p([int(v) for v in np.bincount(groups[[j for _, j in pairs]], minlength=M)])}
    if n == 0:
        return out
    d = np.array([y[j] - y[i] for i, j in pairs])
    g = groups[[j for _, j in pairs]]
    memb = np.eye(M)[g]                               # [pair, M]
    used = memb.sum(0) > 0
    memb, cnt = memb[:, used], memb[:, used].sum(0)
    ra = sps.rankdata(a[used])
    stat = float(_corr(ra, (d @ memb) / cnt))
    if not np.isfinite(stat):
        return out
    tol = 1e-12

    def tails(null, exact):
        null = null[np.isfinite(null)]
        lo, hi = (null <= stat + tol).sum(), (null >= stat - tol).sum()
        if exact:   # the identity is among the enumerated swaps
            return float(lo / null.size), float(hi / null.size)
        return float((1 + lo) / (null.size + 1)), float((1 + hi) / (null.size + 1))

    rng = np.random.default_rng([int(seed), 22])
    perms = np.argsort(rng.random((n_perm, n)), axis=1)
    relabel = tails(_corr(ra, (d[perms] @ memb) / cnt), exact=False)
    signs, exact = inf.sign_flip_signs(n, n_perm, np.random.default_rng([int(seed), 23]))
    swap = tails(_corr(ra, ((signs * d) @ memb) / cnt), exact)
    out.update(p_relabel=relabel[0], p_swap=swap[0], p=max(relabel[0], swap[0]),
               p_reverse=max(relabel[1], swap[1]))
    return out


def c2_min_p(pairs_per_loss) -> float:
    """Smallest p of :func:`c2_test` with this many run pairs per loss: the larger of the
    swap test's 1 / 2^(pairs) and the relabelling's 1 / (distinct relabellings of the pairs'
    losses, a multinomial)."""
    k = [int(v) for v in pairs_per_loss if v > 0]
    if len(k) < 2:
        return 1.0
    distinct = math.factorial(sum(k))
    for v in k:
        distinct //= math.factorial(v)
    return max(1.0 / distinct, 2.0 ** -sum(k))


def tau_bootstrap(a_draws, Q, codes, n_codes, strata, n_boot, seed, flags_codes) -> dict:
    """Hierarchical-bootstrap tau per condition: ``codes`` index (metric, condition) groups;
    ``flags_codes[f]`` lists the group code of each metric under condition ``f``."""
    G = hierarchical_group_means(Q, codes, strata, n_boot, seed)
    if G.shape[1] < n_codes:
        G = np.hstack([G, np.full((G.shape[0], n_codes - G.shape[1]), np.nan)])
    A = a_draws[np.arange(n_boot) % max(len(a_draws), 1)] if len(a_draws) else None
    out = {}
    for f, cols in flags_codes.items():
        out[f] = kendall_tau_b(A if A is not None else np.nan, G[:, cols])
    return out


def c1_c2_ci(a_draws, m, metric_index, n_metrics, n_boot, seed) -> tuple:
    """95 % CIs (hierarchical bootstrap: runs per loss and condition, then images; IQA
    references) of tau without GAN and of delta; ``m`` is the :class:`RunMatrix` of the runs."""
    adv = m.traits["adversarial"].to_numpy(bool)
    codes = metric_index + n_metrics * adv.astype(int)
    taus = tau_bootstrap(a_draws, m.Q, codes, 2 * n_metrics, m.strata, n_boot, seed,
                         {False: np.arange(n_metrics), True: n_metrics + np.arange(n_metrics)})
    return percentile_ci(taus[False]), percentile_ci(taus[True] - taus[False])


def c2_run_model(a, y, groups, adversarial, names) -> pd.DataFrame:
    """C2 as a regression on run means: quality ~ loss + adversarial + srcc x adversarial.

    One observation per run (the run is the unit); a fixed effect per loss absorbs every
    loss-level deviation shared by its runs with and without GAN, so the interaction is
    identified from within-loss contrasts. One-sided t-test of H1: interaction < 0.
    Columns as ``c2_mixedlm.csv`` (:data:`MODEL_COLUMNS`).
    """
    a = np.asarray(a, float)
    y = np.asarray(y, float)
    g = np.asarray(groups, int)
    adv = np.asarray(adversarial, float)
    M = a.size
    X = np.column_stack([np.eye(M)[g], adv, adv * a[g]])
    fit = inf.ols_terms(y, X, [f"loss[{n}]" for n in names] + ["adversarial", MODEL_KEY_TERM])
    rows = []
    for term in ("adversarial", MODEL_KEY_TERM):
        coef, se, t, df = fit[term]
        half = float(se * sps.t.ppf(0.975, df)) if np.isfinite(se) else float("nan")
        rows.append({"term": term, "coef": coef, "se": se, "ci_low": coef - half, "ci_high": coef + half,
                     "p_value": inf.t_p(t, df, "less") if term == MODEL_KEY_TERM else
                     (2 * min(inf.t_p(t, df), inf.t_p(t, df, "less")) if np.isfinite(t) else np.nan),
                     "n_obs": int(y.size), "n_groups": int(M), "converged": bool(fit["_df"] >= 1),
                     "note": ""})
    out = pd.DataFrame(rows, columns=MODEL_COLUMNS)
    out.loc[out["term"] == MODEL_KEY_TERM, "note"] = (
        "C2 term, one-sided p (H1 < 0): quality follows assessment SRCC less with GAN; OLS on run "
        f"means with a fixed effect per loss, residual df = {fit['_df']}; metrics: {', '.join(names)}")
    if fit["_df"] < 1:
        out["note"] = "no residual degrees of freedom (one run per loss and condition): not estimable"
    return out


MODEL_COLUMNS = ["term", "coef", "se", "ci_low", "ci_high", "p_value", "n_obs", "n_groups",
                 "converged", "note"]
#: The coefficient that carries C2 in the run-mean regression.
MODEL_KEY_TERM = "assessment_srcc:adversarial"


#: H0 / H1 / test of each claim, as the claims table, the report and the README state them.
HYPOTHESES = {
    "C1": ("tau(assessment SRCC, optimization quality without GAN) >= threshold (strong alignment)",
           "tau < threshold",
           ("certified discordant metric pairs: exact relabelling test of the runs of two losses per "
            "pair, Bonferroni over pairs; units: training runs (loss x seed), no GAN")),
    "C2": ("the GAN changes every loss's run quality alike (alignment unchanged)",
           "the GAN lowers the alignment: tau with GAN < tau without GAN",
           ("GAN / no-GAN labels of whole runs swapped within each (loss, seed), and the run pairs "
            "relabelled across losses; p is the larger of the two (valid whether the GAN shifts "
            "nothing or every loss alike); statistic: correlation of the losses' SRCC ranks with "
            "their mean GAN - no-GAN difference; units: (loss, seed) run pairs")),
}


@dataclass
class RankingData:
    """What C1/C2 compare: metrics ranked on both sides, their SRCCs and bootstrap draws,
    and the runs (:class:`RunMatrix`) of those metrics with each run's metric index."""

    names: list
    a: np.ndarray
    a_draws: np.ndarray
    a_sign_p: np.ndarray
    runs: RunMatrix
    metric_index: np.ndarray


def ranking_data(assess: Assessment, evaluation: pd.DataFrame, evaluators=None, n_boot: int = 1000,
                 seed: int = 0, draws: np.ndarray | None = None) -> RankingData:
    """Metrics with an assessment SRCC and trained runs (``evaluation``: no-GAN rows and the main
    GAN setting), ranked with the ``evaluators`` panel (default: the primary panel). ``draws``:
    precomputed :func:`assessment_draws` of ``assess`` (all metrics), to reuse across panels."""
    m = run_matrix(evaluation, evaluators)
    a_all = assess.srcc()
    names = [f for f in sorted(m.traits["fidelity"].astype(str).unique())
             if f in assess.metrics and np.isfinite(a_all[assess.metrics.index(f)])]
    m = m.subset(m.traits["fidelity"].astype(str).isin(names).to_numpy())
    ai = np.array([assess.metrics.index(f) for f in names], int)
    if draws is None:
        draws = assessment_draws(assess, n_boot, seed)
    draws = draws[:, ai] if ai.size else np.empty((0, 0))
    a = a_all[ai]
    index = np.array([names.index(f) for f in m.traits["fidelity"].astype(str)], int)
    return RankingData(names, a, draws, pairwise_sign_p(a, draws), m, index)


def _too_few(n: int, names: list, what: str) -> str:
    return (f"only n={n} metric(s) ({', '.join(names) or 'none'}) have {what}; at least "
            f"{MIN_METRICS} are needed for any ranking statement")


def c1_result(data: RankingData, threshold: float, alpha: float, n_boot: int, n_perm: int,
              seed: int) -> dict:
    """The C1 row (before Holm): estimate, CI, p, p_reverse, units, feasibility and note."""
    h0, h1, test = HYPOTHESES["C1"]
    no = ~data.runs.traits["adversarial"].to_numpy(bool)
    names = [data.names[k] for k in sorted(set(data.metric_index[no]))]
    res = {"claim": "C1", "statistic": "kendall_tau(assessment_srcc, optimization_quality), no GAN",
           "h0": h0, "h1": h1, "test": test, "units": "training runs (loss x seed), no GAN",
           "n": int(no.sum()), "feasible": False, "estimate": np.nan, "ci": (np.nan, np.nan),
           "p": np.nan, "p_reverse": np.nan}
    if len(names) < MIN_METRICS:
        return {**res, "note": _too_few(len(names), names, "assessment results and runs without GAN")}
    sub = data.runs.subset(no)
    r = c1_test(data.a, data.a_sign_p, sub.means(), data.metric_index[no], threshold, n_perm, seed)
    ci, _ = c1_c2_ci(data.a_draws, data.runs, data.metric_index, len(data.names), n_boot, seed)
    seeds = int(pd.Series(data.metric_index[no]).value_counts().min())
    feasible = r["min_p"] <= alpha
    note = (f"metrics: {', '.join(names)}; {r['needed']} of {r['pairs']} metric pairs must be "
            f"certified discordant (threshold {threshold:g}); smallest attainable p = {r['min_p']:.3g}")
    if not feasible:
        need = inf.smallest(lambda k: c1_min_p(len(names), k, threshold) <= alpha, seeds, 200)
        note = inf.underpowered_note("seeds per loss", need) + "; " + note
    return {**res, "estimate": r["estimate"], "ci": ci, "p": r["p"], "p_reverse": r["p_reverse"],
            "feasible": feasible, "note": note}


def c2_result(data: RankingData, alpha: float, n_boot: int, n_perm: int, seed: int) -> dict:
    """The C2 row (before Holm)."""
    h0, h1, test = HYPOTHESES["C2"]
    t = data.runs.traits
    adv = t["adversarial"].to_numpy(bool)
    both = sorted(set(data.metric_index[adv]) & set(data.metric_index[~adv]))
    names = [data.names[k] for k in both]
    res = {"claim": "C2", "statistic": "tau_with_GAN - tau_without_GAN", "h0": h0, "h1": h1,
           "test": test, "units": "(loss, seed) pairs of runs without and with GAN", "n": 0,
           "feasible": False, "estimate": np.nan, "ci": (np.nan, np.nan), "p": np.nan,
           "p_reverse": np.nan}
    if len(names) < MIN_METRICS:
        return {**res, "note": _too_few(len(names), names,
                                        "assessment results and runs both without and with GAN")}
    keep = np.isin(data.metric_index, both)
    sub = data.runs.subset(keep)
    remap = {k: i for i, k in enumerate(both)}
    idx = np.array([remap[k] for k in data.metric_index[keep]], int)
    r = c2_test(data.a[both], sub.means(), idx, adv[keep], sub.traits["seed"].to_numpy(), n_perm, seed)
    _, ci = c1_c2_ci(data.a_draws[:, both] if data.a_draws.size else data.a_draws, sub, idx,
                     len(both), n_boot, seed)
    feasible = r["min_p"] <= alpha
    note = (f"metrics: {', '.join(names)}; run pairs: {r['units']}; smallest attainable p = {r['min_p']:.3g}; "
            f"p = max(within-pair GAN/no-GAN swap p = {r['p_swap']:.3g}, relabelling of run pairs "
            f"across losses p = {r['p_relabel']:.3g})")
    if not feasible:
        need = inf.smallest(lambda k: c2_min_p([k] * len(names)) <= alpha, 1, 200)
        note = inf.underpowered_note("seeds per loss", need) + "; " + note
    return {**res, "estimate": r["estimate"], "ci": ci, "p": r["p"], "p_reverse": r["p_reverse"],
            "n": r["units"], "feasible": feasible, "note": note}


RANK_COLUMNS = ["metric", "adversarial", "assessment_srcc", "optimization_quality",
                "optimization_ci_low", "optimization_ci_high", "n_runs", "assessment_rank",
                "optimization_rank"]


def rank_table(data: RankingData, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The two rankings behind C1/C2 (rank 1 = best): per (metric, adversarial) its SRCC, the mean
    quality of its runs with a hierarchical-bootstrap CI and the number of runs. The report's
    optimization table and asymmetry figure read this table, nothing else."""
    m = data.runs
    frames = []
    summary = (m.traits.assign(metric=m.traits["fidelity"].astype(str)))
    s = group_summary(RunMatrix(m.Q, summary, m.images, m.strata), ["metric", "adversarial"], n_boot, seed)
    for flag in (False, True):
        part = s[s["adversarial"].astype(bool) == flag]
        if part.empty:
            continue
        t = pd.DataFrame({"metric": part["metric"].to_numpy(), "adversarial": flag,
                          "assessment_srcc": [data.a[data.names.index(x)] for x in part["metric"]],
                          "optimization_quality": part["mean"].to_numpy(),
                          "optimization_ci_low": part["ci_low"].to_numpy(),
                          "optimization_ci_high": part["ci_high"].to_numpy(),
                          "n_runs": part["n_runs"].to_numpy()})
        t["assessment_rank"] = t["assessment_srcc"].rank(ascending=False, method="min").astype(int)
        t["optimization_rank"] = t["optimization_quality"].rank(ascending=False, method="min").astype(int)
        frames.append(t.sort_values("assessment_rank", kind="stable"))
    if not frames:
        return pd.DataFrame(columns=RANK_COLUMNS)
    return pd.concat(frames, ignore_index=True)[RANK_COLUMNS]
