"""Claim C5: convolutional IQA backbones beat Transformer ones on synthetic distortions.

Two sides, each with its own unit, both needed for ``supported`` when both were run
(intersection-union test, p = the larger):

* assessment: the DISTS-style metrics (one per backbone) scored on the IQA sets with
  synthetic distortions (``results/assess/correlations.csv``). The backbone is the cluster:
  SRCC is averaged per backbone over those sets, and the conv - Transformer difference of
  backbone means is tested by relabelling backbone families (exact);
* transfer: IQA models fine-tuned on a backbone (``results/transfer/correlations.csv``);
  per (init, IQA set, split seed) unit the mean SRCC of conv backbones minus that of
  Transformer ones, one-sided sign-flip test.

Family: the ``backbone_family`` column where a table has it, else the backbone's name
(:func:`is_transformer`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from asym.analysis import inference as inf
from asym.analysis.c3 import check_transfer
from asym.analysis.stats import bootstrap_mean

#: Lower-cased name fragments of Transformer backbones (ViT, Swin, DINOv2, CLIP-ViT, DeiT, BEiT).
TRANSFORMER_TOKENS = ("vit", "swin", "dinov2", "dino", "clip", "deit", "beit", "transformer")
#: IQA sets with synthetic distortions (compared lower-cased, letters and digits only).
SYNTHETIC_DATASETS = ("synthetic", "live", "liveiqa", "csiq", "tid2008", "tid2013", "kadid", "kadid10k")
HYPOTHESES = {
    "C5": ("conv and Transformer backbones are exchangeable on synthetic distortions",
           "conv backbones reach a higher SRCC than Transformer ones",
           ("assessment side: exact relabelling of backbone families (backbone = cluster); transfer "
            "side: one-sided sign-flip over init x IQA set x split units; intersection-union")),
}


def is_transformer(name) -> bool:
    """True if the backbone's name marks a Transformer (:data:`TRANSFORMER_TOKENS`)."""
    n = str(name).lower()
    return any(t in n for t in TRANSFORMER_TOKENS)


def is_synthetic_dataset(name) -> bool:
    key = "".join(ch for ch in str(name).lower() if ch.isalnum())
    return "synthetic" in key or key in SYNTHETIC_DATASETS


def _family(table: pd.DataFrame) -> pd.Series:
    if "backbone_family" in table.columns:
        fam = table["backbone_family"].astype(str).str.lower()
        return fam.where(fam.isin(["conv", "transformer"]),
                         np.where(table["backbone"].map(is_transformer), "transformer", "conv"))
    return pd.Series(np.where(table["backbone"].map(is_transformer), "transformer", "conv"),
                     index=table.index)


def backbone_srcc(correlations: pd.DataFrame) -> pd.DataFrame:
    """Mean SRCC per DISTS-style backbone over synthetic-distortion sets: ``backbone, family, srcc``
    (random-weight metrics left out where metrics with published weights exist)."""
    c = correlations
    if c is None or "backbone" not in c.columns:
        return pd.DataFrame(columns=["backbone", "family", "srcc"])
    c = c[c["backbone"].notna() & (c["backbone"].astype(str) != "")]
    if "family" in c.columns:  # the metric family column: only DISTS-style metrics have a backbone
        c = c[c["family"].astype(str).str.contains("dists", case=False) | (c["family"].astype(str) == "")]
    c = c[c["dataset"].map(is_synthetic_dataset)]
    if "init" in c.columns and (c["init"].astype(str) != "random").any():
        # compare backbones with their published weights: a random-weight twin (VGG-16-R) would
        # pull its family down for a reason that is not the architecture
        c = c[c["init"].astype(str) != "random"]
    if c.empty:
        return pd.DataFrame(columns=["backbone", "family", "srcc"])
    c = c.assign(family=np.where(c["backbone"].map(is_transformer), "transformer", "conv"),
                 srcc=pd.to_numeric(c["srcc"], errors="coerce"))
    return c.groupby(["backbone", "family"], as_index=False)["srcc"].mean()


def family_differences(transfer: pd.DataFrame) -> pd.DataFrame:
    """Conv minus Transformer SRCC per (init, dataset, seed) unit on synthetic sets: ``init,
    dataset, seed, conv, transformer, diff``."""
    t = check_transfer(transfer)
    t = t[t["dataset"].map(is_synthetic_dataset)]
    t = t.assign(family=_family(t))
    wide = t.pivot_table(index=["init", "dataset", "seed"], columns="family", values="srcc", aggfunc="mean")
    cols = ["init", "dataset", "seed", "conv", "transformer", "diff"]
    if "conv" not in wide or "transformer" not in wide:
        return pd.DataFrame(columns=cols)
    wide = wide.dropna(subset=["conv", "transformer"])
    wide["diff"] = wide["conv"] - wide["transformer"]
    return wide.reset_index()[cols]


def c5_test(backbone_values, is_conv, unit_diffs, n_perm: int = 2000, seed: int = 0) -> dict:
    """C5 on arrays: per-backbone SRCCs with their family, and transfer unit differences; a side
    without data is left out. ``p``/``p_reverse`` combine the sides (the larger p)."""
    v = np.asarray(backbone_values, float)
    conv = np.asarray(is_conv, bool)
    d = np.asarray(unit_diffs, float)
    sides = {}
    if v.size and conv.any() and (~conv).any():
        sides["assessment"] = (v[conv].mean() - v[~conv].mean(),
                               inf.label_perm_p(v, conv, n_perm, seed),
                               inf.label_perm_p(v, ~conv, n_perm, seed),
                               inf.two_sample_min_p(int(conv.sum()), int((~conv).sum())))
    if np.isfinite(d).any():
        sides["transfer"] = (float(np.nanmean(d)), inf.sign_flip_test(d, 0, "greater", n_perm, seed),
                             inf.sign_flip_test(d, 0, "less", n_perm, seed),
                             inf.sign_flip_min_p(int(np.isfinite(d).sum())))
    if not sides:
        return {"sides": sides, "p": np.nan, "p_reverse": np.nan, "min_p": 1.0}
    return {"sides": sides, "p": max(s[1] for s in sides.values()),
            "p_reverse": max(s[2] for s in sides.values()), "min_p": max(s[3] for s in sides.values())}


def c5_result(transfer: pd.DataFrame | None, correlations: pd.DataFrame | None, alpha: float,
              n_boot: int, n_perm: int, seed: int) -> dict:
    """The C5 row (before Holm)."""
    h0, h1, test = HYPOTHESES["C5"]
    res = {"claim": "C5", "statistic": "SRCC difference, conv - Transformer backbones (synthetic distortions)",
           "h0": h0, "h1": h1, "test": test, "units": "", "n": 0, "feasible": False,
           "estimate": np.nan, "ci": (np.nan, np.nan), "p": np.nan, "p_reverse": np.nan}
    bb = backbone_srcc(correlations) if correlations is not None else backbone_srcc(None)
    fd = family_differences(transfer) if transfer is not None else pd.DataFrame(columns=["diff"])
    r = c5_test(bb["srcc"].to_numpy(float), (bb["family"] == "conv").to_numpy(), fd["diff"].to_numpy(float),
                n_perm, seed)
    conv = ", ".join(bb.loc[bb["family"] == "conv", "backbone"].astype(str)) or "none"
    trans = ", ".join(bb.loc[bb["family"] == "transformer", "backbone"].astype(str)) or "none"
    if not r["sides"]:
        return {**res, "note": ("needs conv and Transformer backbones on a synthetic-distortion set, "
                                f"assessed (DISTS-style; conv: {conv}; Transformer: {trans}) or fine-tuned "
                                f"(transfer {'not run' if transfer is None else 'without both families'})")}
    parts, units = [], []
    for side, (est, p, _, mp) in r["sides"].items():
        parts.append(f"{side}: difference = {est:.3f}, p = {p:.3g}, smallest attainable p = {mp:.3g}")
    if "assessment" in r["sides"]:
        units.append(f"{len(bb)} DISTS-style backbones (clusters)")
    if "transfer" in r["sides"]:
        units.append(f"{len(fd)} transfer units (init x IQA set x split)")
    primary = "transfer" if "transfer" in r["sides"] else "assessment"
    if primary == "transfer":
        est, lo, hi = bootstrap_mean(fd["diff"], n_boot, seed)
    else:
        est, lo, hi = r["sides"]["assessment"][0], np.nan, np.nan
    feasible = r["min_p"] <= alpha
    note = "; ".join(parts) + f"; assessed conv: {conv}; Transformer: {trans}; estimate and CI: {primary} side"
    if not feasible:
        need = inf.smallest(lambda k: inf.sign_flip_min_p(k) <= alpha, 1, 200)
        note = inf.underpowered_note("units per side (backbones per family or transfer units)", need) + "; " + note
    return {**res, "estimate": est, "ci": (lo, hi), "p": r["p"], "p_reverse": r["p_reverse"],
            "units": "; ".join(units), "n": int(len(bb) + len(fd)), "feasible": feasible, "note": note}
