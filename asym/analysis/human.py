"""The human ranking of the trained runs beside the model panel's, and how far they agree.

Input: the evaluation table (``results/optimize/evaluation.csv``, model evaluators) and,
where a study was fitted, ``results/judge/human_evaluation.csv`` (evaluator ``human``,
written by ``asym judge fit``; no file or no rows means no human judgements were
collected, and nothing here invents any).

Per trained run (bicubic baseline rows, ``baseline`` True, are shown but never ranked or
tested): the human score is the mean over test images of the per-image Bradley-Terry
log-strength; the panel score is the mean over test images and evaluators of each model
evaluator's z-scored quality (:func:`asym.analysis.stats.normalize_evaluations`, sign
flipped where lower is better), so both read "higher = better". Agreement: Kendall's tau-b
between the two scores over runs, with its two-sided p (:func:`scipy.stats.kendalltau`),
and the share of run pairs both order the same way. No torch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from asym.analysis.stats import as_bool, normalize_evaluations

HUMAN = "human"
NO_HUMANS = "no human judgements collected"


def _baseline(df: pd.DataFrame) -> np.ndarray:
    return as_bool(df["baseline"].to_numpy()) if "baseline" in df.columns else np.zeros(len(df), dtype=bool)


def human_vs_panel(evaluation: pd.DataFrame, human: pd.DataFrame | None) -> tuple[pd.DataFrame, dict] | None:
    """``(table, agreement)`` or None when there are no human rows.

    ``table``: one row per run (trained runs by human rank, then the baseline) with
    ``run, fidelity, setting, baseline, human_score, human_rank, panel_score, panel_rank``;
    ``agreement``: ``n_runs, kendall_tau, p_value, concordant_share, panel`` (the evaluators).
    """
    if human is None or human.empty:
        return None
    human = human[human["evaluator"].astype(str) == HUMAN]
    if human.empty:
        return None
    model = evaluation[evaluation["evaluator"].astype(str) != HUMAN]
    panel_evaluators = sorted(model["evaluator"].astype(str).unique())
    model = normalize_evaluations(model) if len(model) else model.assign(quality=np.nan)
    h = human.assign(baseline=_baseline(human)).groupby("run").agg(
        fidelity=("fidelity", "first"), setting=("setting", "first"), baseline=("baseline", "first"),
        human_score=("score", "mean"))
    p = model.groupby("run")["quality"].mean().rename("panel_score") if len(model) else pd.Series(dtype=float)
    table = h.join(p, how="left").reset_index()
    trained = table[~table["baseline"].astype(bool)].copy()
    trained["human_rank"] = trained["human_score"].rank(ascending=False, method="min").astype("Int64")
    trained["panel_rank"] = trained["panel_score"].rank(ascending=False, method="min").astype("Int64")
    both = trained.dropna(subset=["human_score", "panel_score"])
    agreement = {"n_runs": len(both), "kendall_tau": np.nan, "p_value": np.nan, "concordant_share": np.nan,
                 "panel": ", ".join(panel_evaluators)}
    if len(both) >= 3:
        tau, pval = sps.kendalltau(both["human_score"], both["panel_score"])
        x, y = both["human_score"].to_numpy(), both["panel_score"].to_numpy()
        i, j = np.triu_indices(len(x), k=1)
        agreement.update(kendall_tau=float(tau), p_value=float(pval),
                         concordant_share=float(np.mean(np.sign(x[i] - x[j]) == np.sign(y[i] - y[j]))))
    base = table[table["baseline"].astype(bool)]
    out = pd.concat([trained.sort_values(["human_rank", "run"]), base], ignore_index=True)
    columns = ["run", "fidelity", "setting", "baseline", "human_score", "human_rank", "panel_score", "panel_rank"]
    return out.reindex(columns=columns), agreement
