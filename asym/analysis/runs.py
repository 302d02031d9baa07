"""The training run as the unit: one quality per run (and per run x test image), once.

Every optimization-side number of the analysis and of the report comes from here:
claims C1, C2 and C4, ``ranks.csv``, the report's optimization table, the asymmetry
figure. Why runs: the variation that decides whether two losses differ is between
training runs (initialization, data order), not between the test images one run is
scored on, so tests and intervals resample runs first and images within them.

Quality of a run on one test image: each evaluator's scores are z-scored over the rows
being compared (:func:`asym.analysis.stats.normalize_evaluations`, negated where lower is
better), averaged over that evaluator's rows of the run and image, then over the
evaluators of the *panel*. The primary panel is fixed for a comparison: human judgements
(evaluator ``human``) where they exist, else the evaluators that scored every compared
run (the workflow never lets a run be scored by its own loss's group, so this panel is
disjoint from every compared loss's group). Rows of the bicubic baseline (``baseline``
True) are never runs.

Run traits come from the evaluation table's columns (written from each run's
``run.json``); run names are never parsed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from asym.analysis.baseline import trained_runs
from asym.analysis.stats import as_bool, normalize_evaluations, percentile_ci
from asym.io import InputError

#: Evaluator name of human judgements (``asym judge fit``); the primary yardstick when present.
HUMAN = "human"
#: Columns describing a run (one value per run in the evaluation table).
TRAIT_COLUMNS = ["run", "fidelity", "adversarial", "setting", "discriminator", "objective",
                 "disc_level", "disc_family", "gan_weight", "seed"]
NEEDED = {"run", "fidelity", "adversarial", "seed", "dataset", "image", "evaluator", "score",
          "lower_better"}


def trained_rows(evaluation: pd.DataFrame) -> pd.DataFrame:
    """The rows of trained runs: without the bicubic baseline (``baseline`` True), checked."""
    missing = NEEDED - set(evaluation.columns)
    if missing:
        raise InputError(f"evaluation table lacks columns {sorted(missing)}; expected the "
                         "evaluation.csv that python -m asym.optimize.evaluate writes")
    return trained_runs(evaluation)


def primary_panel(evaluation: pd.DataFrame) -> list[str]:
    """The fixed evaluator panel of a comparison: ``["human"]`` where human rows exist, else the
    evaluators that scored every run of ``evaluation`` (sorted)."""
    ev = trained_rows(evaluation)
    if HUMAN in set(ev["evaluator"].astype(str)):
        return [HUMAN]
    return model_panel(ev)


def model_panel(evaluation: pd.DataFrame) -> list[str]:
    """The evaluators (never ``human``) that scored every run of ``evaluation`` (sorted)."""
    ev = trained_rows(evaluation)
    ev = ev[ev["evaluator"].astype(str) != HUMAN]
    runs = ev["run"].nunique()
    per_eval = ev.groupby(ev["evaluator"].astype(str))["run"].nunique()
    return sorted(per_eval.index[per_eval == runs])


def image_quality(evaluation: pd.DataFrame, evaluators=None) -> pd.DataFrame:
    """Quality per (run, test image), mean over the ``evaluators`` (default: the primary panel).

    Columns: the run traits present in the table, ``image`` ("<test set>/<image>"),
    ``quality``. Scores are z-scored per evaluator over the rows passed.
    """
    ev = trained_rows(evaluation)
    panel = primary_panel(ev) if evaluators is None else list(evaluators)
    ev = ev[ev["evaluator"].astype(str).isin(panel)]
    if ev.empty:
        raise InputError(f"no evaluation rows of the evaluator panel {panel}; every compared run "
                         "needs scores from the same evaluators (rerun the evaluate stage)")
    df = normalize_evaluations(ev)
    df["adversarial"] = as_bool(df["adversarial"].to_numpy())
    df["image"] = df["dataset"].astype(str) + "/" + df["image"].astype(str)
    per_eval = df.groupby(["run", "image", "evaluator"])["quality"].mean()
    q = per_eval.groupby(level=[0, 1]).mean().rename("quality").reset_index()
    traits = [c for c in TRAIT_COLUMNS if c in df.columns]
    meta = df[traits].drop_duplicates("run")
    return q.merge(meta, on="run", how="left")


@dataclass
class RunMatrix:
    """Runs x test images: ``Q[r, i]`` (NaN where not scored), ``traits`` (one row per run, in
    the order of ``Q``), ``images`` and ``strata`` (image indices of each test set)."""

    Q: np.ndarray
    traits: pd.DataFrame
    images: list
    strata: list

    def means(self) -> np.ndarray:
        """Quality of each run: its mean over test images."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.Q, axis=1)

    def subset(self, mask) -> RunMatrix:
        mask = np.asarray(mask, bool)
        return RunMatrix(self.Q[mask], self.traits.loc[mask].reset_index(drop=True), self.images,
                         self.strata)


def run_matrix(evaluation: pd.DataFrame, evaluators=None) -> RunMatrix:
    """:func:`image_quality` as a :class:`RunMatrix` (runs sorted by name)."""
    q = image_quality(evaluation, evaluators)
    wide = q.pivot_table(index="run", columns="image", values="quality", aggfunc="mean")
    traits = q.drop(columns=["image", "quality"]).drop_duplicates("run").set_index("run")
    traits = traits.loc[wide.index].reset_index()
    images = list(wide.columns)
    test_set = np.array([str(i).split("/", 1)[0] for i in images], dtype=object)
    strata = [np.flatnonzero(test_set == d) for d in sorted(set(test_set))]
    return RunMatrix(wide.to_numpy(dtype=float), traits, images, strata)


def run_quality(evaluation: pd.DataFrame, evaluators=None) -> pd.DataFrame:
    """One row per run: its traits, ``quality`` (mean over test images) and ``n_images``."""
    m = run_matrix(evaluation, evaluators)
    out = m.traits.copy()
    out["quality"] = m.means()
    out["n_images"] = np.isfinite(m.Q).sum(axis=1)
    return out


# --------------------------------------------------------------------------- #
# Hierarchical bootstrap: runs within a group, then test images
# --------------------------------------------------------------------------- #
def hierarchical_group_means(Q: np.ndarray, groups, strata, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap draws of each group's mean quality, ``[n_boot, n_groups]``.

    ``groups`` assigns each run (row of ``Q``) a group code 0..G-1 (e.g. its loss). Each
    draw resamples, per group, its runs with replacement, then the test images with
    replacement within each test set (one image draw per replicate, shared by every run,
    because all runs are scored on the same images), and averages.
    """
    groups = np.asarray(groups, int)
    G = int(groups.max()) + 1 if groups.size else 0
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(groups == g) for g in range(G)]
    out = np.full((n_boot, G), np.nan)
    for b in range(n_boot):
        imgs = np.concatenate([rng.choice(s, size=s.size, replace=True) for s in strata]) \
            if strata else np.arange(Q.shape[1])
        sub = Q[:, imgs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            run_means = np.nanmean(sub, axis=1)
            for g, rows in enumerate(members):
                if rows.size:
                    out[b, g] = np.nanmean(run_means[rng.choice(rows, size=rows.size, replace=True)])
    return out


def group_summary(m: RunMatrix, keys, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Mean run quality per ``keys`` group with a hierarchical-bootstrap 95 % CI (runs, then
    images) and the number of runs: columns ``keys + [mean, ci_low, ci_high, n_runs]``."""
    keys = list(keys)
    t = m.traits[keys].astype(object)
    labels = [tuple(r) for r in t.itertuples(index=False)]
    uniq = sorted(set(labels), key=lambda k: tuple(str(v) for v in k))
    code = {k: g for g, k in enumerate(uniq)}
    groups = np.array([code[k] for k in labels], int)
    means = m.means()
    boot = hierarchical_group_means(m.Q, groups, m.strata, n_boot, seed) if len(uniq) else None
    rows = []
    for g, key in enumerate(uniq):
        lo, hi = percentile_ci(boot[:, g])
        sel = groups == g
        rows.append({**dict(zip(keys, key)), "mean": float(np.nanmean(means[sel])),
                     "ci_low": lo, "ci_high": hi, "n_runs": int(sel.sum())})
    return pd.DataFrame(rows, columns=keys + ["mean", "ci_low", "ci_high", "n_runs"])
