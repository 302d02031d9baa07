"""Claim C3: discriminator weights help little as the initialization of an IQA model.

H1 (both parts must hold; intersection-union test, p = the larger of the two):

* a published checkpoint of a backbone (``imagenet``, ``dinov2``, ``clip``, ...: the
  ``init`` label names the weights and is read as data) initializes a better IQA model
  than a discriminator of the same architecture: one-sided sign-flip test of the paired
  SRCC difference (pretrained - discriminator) over units;
* the discriminator init is equivalent to random init within +/- ``margin`` SRCC
  (``analysis.equivalence_margin``): two one-sided sign-flip tests (TOST).

Units: fine-tuned models matched by (backbone, IQA set, split seed); the transfer stage
draws a new random init per split and the discriminator from GAN runs of several seeds,
so a unit carries every source of variation. Exact sign-flip tests cannot go below
2^-n, so fewer than log2(1/alpha) units are ``underpowered``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from asym.analysis import inference as inf
from asym.analysis.stats import bootstrap_mean
from asym.io import InputError

#: Transfer table columns the claims read (``results/transfer/correlations.csv``).
TRANSFER_COLUMNS = ["backbone", "init", "dataset", "seed", "srcc"]
#: SRCC difference regarded as "little" (config ``analysis.equivalence_margin`` overrides).
DEFAULT_MARGIN = 0.05
HYPOTHESES = {
    "C3": (("pretrained init is no better than discriminator init, or discriminator init differs from"
            " random init by at least the margin"),
           "pretrained init > discriminator init, and |discriminator - random| < margin",
           ("one-sided sign-flip test (pretrained - discriminator) and TOST sign-flip tests "
            "(discriminator - random within +/- margin), intersection-union; units: backbone x IQA "
            "set x split seed")),
}


def init_kind(init) -> str:
    """``random``, ``discriminator`` (labels starting with "disc") or ``pretrained`` (any other
    label: it names published weights, e.g. imagenet, dinov2, clip)."""
    v = str(init).strip().lower()
    if v.startswith("disc"):
        return "discriminator"
    if v.startswith("rand"):
        return "random"
    return "pretrained"


def check_transfer(transfer: pd.DataFrame) -> pd.DataFrame:
    """The transfer table with ``kind`` (:func:`init_kind`) and numeric ``srcc``; bad layout raises."""
    missing = set(TRANSFER_COLUMNS) - set(transfer.columns)
    if missing:
        raise InputError(f"transfer correlations lack columns {sorted(missing)}; expected "
                         "results/transfer/correlations.csv from python -m asym.transfer.train_iqa")
    t = transfer.copy()
    t["kind"] = t["init"].map(init_kind)
    t["srcc"] = pd.to_numeric(t["srcc"], errors="coerce")
    return t


def init_differences(transfer: pd.DataFrame, minuend: str, subtrahend: str) -> pd.DataFrame:
    """Paired SRCC differences of two init kinds per (backbone, dataset, seed) unit; several
    rows of one kind in a unit are averaged. Columns ``backbone, dataset, seed, diff``."""
    t = check_transfer(transfer)
    wide = t.pivot_table(index=["backbone", "dataset", "seed"], columns="kind", values="srcc",
                         aggfunc="mean")
    if minuend not in wide or subtrahend not in wide:
        return pd.DataFrame(columns=["backbone", "dataset", "seed", "diff"])
    return (wide[minuend] - wide[subtrahend]).dropna().rename("diff").reset_index()


def c3_test(d_pre_disc, d_disc_rand, margin: float, n_perm: int = 2000, seed: int = 0) -> dict:
    """C3 on arrays of unit differences: ``p`` (H1 of the module docstring), ``p_reverse``
    (H1': discriminator init beats the checkpoint or exceeds random by more than the margin;
    Bonferroni over the two), ``min_p``."""
    d1 = np.asarray(d_pre_disc, float)
    d2 = np.asarray(d_disc_rand, float)
    p_best = inf.sign_flip_test(d1, 0.0, "greater", n_perm, seed)
    p_tost = inf.tost_sign_flip(d2, margin, n_perm, seed + 7)
    p_rev = min(1.0, 2 * min(inf.sign_flip_test(d1, 0.0, "less", n_perm, seed + 3),
                             inf.sign_flip_test(d2, margin, "greater", n_perm, seed + 5)))
    min_p = max(inf.sign_flip_min_p(int(np.isfinite(d1).sum())),
                inf.sign_flip_min_p(int(np.isfinite(d2).sum())))
    return {"p": max(p_best, p_tost), "p_best": p_best, "p_tost": p_tost, "p_reverse": p_rev,
            "min_p": min_p}


def c3_result(transfer: pd.DataFrame | None, margin: float, alpha: float, n_boot: int, n_perm: int,
              seed: int) -> dict:
    """The C3 row (before Holm)."""
    h0, h1, test = HYPOTHESES["C3"]
    res = {"claim": "C3", "statistic": "mean paired SRCC difference, pretrained init - discriminator init",
           "h0": h0, "h1": h1, "test": test, "units": "fine-tuned models (backbone x IQA set x split seed)",
           "n": 0, "feasible": False, "estimate": np.nan, "ci": (np.nan, np.nan), "p": np.nan,
           "p_reverse": np.nan}
    if transfer is None:
        return {**res, "note": "stage not run at this scale"}
    d1 = init_differences(transfer, "pretrained", "discriminator")
    d2 = init_differences(transfer, "discriminator", "random")
    t = check_transfer(transfer)
    labels = ", ".join(sorted(t.loc[t["kind"] == "pretrained", "init"].astype(str).unique())) or "none"
    if d1.empty or d2.empty:
        note = (f"needs, per backbone, models from a published checkpoint (found: {labels}), from a "
                "discriminator and from random init on the same IQA set and split")
        if d2.empty:
            return {**res, "n": len(d1), "note": note}
        # no checkpoint arm: the 'help little' half alone, reported (the claim needs both halves)
        est, lo, hi = bootstrap_mean(d2["diff"], n_boot, seed + 1)
        p_tost = inf.tost_sign_flip(d2["diff"], margin, n_perm, seed + 7)
        return {**res, "statistic": "mean paired SRCC difference, discriminator init - random init",
                "estimate": est, "ci": (lo, hi), "n": len(d2), "note": (
                    f"{note}; reported instead: discriminator - random, equivalence within +/- {margin:g} "
                    f"(TOST) p = {p_tost:.3g}, not a verdict")}
    units = d1.merge(d2, on=["backbone", "dataset", "seed"], suffixes=("_pd", "_dr"))
    r = c3_test(units["diff_pd"], units["diff_dr"], margin, n_perm, seed)
    est, lo, hi = bootstrap_mean(units["diff_pd"], n_boot, seed)
    e2, lo2, hi2 = bootstrap_mean(units["diff_dr"], n_boot, seed + 1)
    n = len(units)
    feasible = r["min_p"] <= alpha
    note = (f"checkpoints: {labels}; discriminator - random = {e2:.3f} [{lo2:.3f}, {hi2:.3f}] "
            f"(TOST margin {margin:g}, p = {r['p_tost']:.3g}); pretrained > discriminator p = "
            f"{r['p_best']:.3g}; smallest attainable p = {r['min_p']:.3g}")
    if not feasible:
        note = inf.underpowered_note("units", inf.smallest(
            lambda k: inf.sign_flip_min_p(k) <= alpha, n, 200)) + "; " + note
    return {**res, "estimate": est, "ci": (lo, hi), "p": r["p"], "p_reverse": r["p_reverse"], "n": n,
            "feasible": feasible, "note": note}
