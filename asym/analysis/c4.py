"""Claim C4: patch-level and convolutional discriminators beat image-level and Transformer ones.

Design: the two traits of a discriminator (``disc_level`` patch/image, ``disc_family``
conv/transformer, from each run's ``run.json``) are two factors of one 2 x 2 model, fitted
by least squares on run means (the run is the observation)::

    y_run = stratum + b_patch * [level == patch] + b_conv * [family == conv] + e_run

with a fixed effect per stratum (fidelity loss x GAN weight) so designs are compared under
the same loss and weight. ``y`` is the run's quality (primary evaluator panel) and, for
"also less stable", the rank of its instability (``stability.csv``: the one definition of
:mod:`asym.optimize.stability`); a diverged run takes the highest rank, so it is counted,
never dropped. Only runs with the default GAN objective enter; other objectives are
reported apart in the note.

H1: b_patch > 0 and b_conv > 0 for quality, and both negative for instability (when
stability results are given); intersection-union test, p = the largest one-sided t-test p.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats as sps

from asym.analysis import inference as inf
from asym.analysis.runs import image_quality, run_quality, trained_rows
from asym.analysis.stats import as_bool
from asym.io import InputError
from asym.optimize.designs import DEFAULT_OBJECTIVE, design_label, label_designs

HYPOTHESES = {
    "C4": (("the patch level or the convolutional family does not raise quality, or does not lower "
            "instability"),
           "patch > image and conv > Transformer in run quality (and both less unstable)",
           ("OLS on run means, level + family + fixed effect per loss x GAN weight, one-sided "
            "t-tests, intersection-union; units: adversarial training runs")),
}
LEVELS = ("patch", "image")
FAMILIES = ("conv", "transformer")


def design_runs(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Adversarial runs with known traits: run quality plus ``level``, ``family``, ``objective``,
    ``design`` (:func:`asym.optimize.designs.design_label`), ``stratum`` (loss x GAN weight)."""
    ev = trained_rows(evaluation)
    missing = {"disc_level", "disc_family", "gan_weight", "discriminator"} - set(ev.columns)
    if missing:
        raise InputError(f"evaluation table lacks {sorted(missing)}; C4 reads each run's design traits "
                         "(rerun the evaluate stage so it copies them from run.json)")
    ev = ev[as_bool(ev["adversarial"].to_numpy())]
    ev = ev[ev["disc_level"].isin(LEVELS) & ev["disc_family"].isin(FAMILIES)]
    if ev.empty:
        return pd.DataFrame(columns=["run", "quality", "level", "family", "objective", "design", "stratum"])
    r = run_quality(ev)
    r["level"] = r["disc_level"].astype(str)
    r["family"] = r["disc_family"].astype(str)
    r["objective"] = r["objective"].astype(str) if "objective" in r else DEFAULT_OBJECTIVE
    r["design"] = [design_label(d, o) for d, o in zip(r["discriminator"], r["objective"])]
    r["stratum"] = r["fidelity"].astype(str) + " @ " + r["gan_weight"].astype(float).map("{:g}".format)
    return r


def instability_ranks(runs: pd.DataFrame, stability: pd.DataFrame | None) -> np.ndarray | None:
    """Rank of each run's instability (1 = steadiest; diverged runs share the top ranks), or None.

    ``stability`` is ``stability.csv``: per run (a ``run`` column) or per group of seeds
    (``discriminator, gan_weight, objective, fidelity``); needs ``instability`` and ``diverged``.
    """
    if stability is None:
        return None
    missing = {"instability", "diverged"} - set(stability.columns)
    if missing:
        raise InputError(f"stability table lacks {sorted(missing)}; expected the stability.csv of "
                         "python -m asym.optimize.stability (one instability definition, diverged flag)")
    s = stability.copy()
    s["_inst"] = pd.to_numeric(s["instability"], errors="coerce")
    s.loc[as_bool(s["diverged"].to_numpy()), "_inst"] = np.inf
    if "run" in s.columns:
        vals = runs["run"].map(s.set_index("run")["_inst"])
    else:
        keys = ["discriminator", "gan_weight", "objective", "fidelity"]
        s["gan_weight"] = s["gan_weight"].astype(float)
        r = runs.assign(gan_weight=runs["gan_weight"].astype(float))
        vals = r.merge(s[keys + ["_inst"]], on=keys, how="left")["_inst"]
    vals = vals.to_numpy(float)
    if not np.isfinite(vals).any() and not np.isinf(vals).any():
        return None
    out = np.full(vals.size, np.nan)
    ok = ~np.isnan(vals)
    out[ok] = sps.rankdata(vals[ok])
    return out


def design_matrix(runs: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """[stratum dummies, patch, conv] for the runs, names alike."""
    strata = sorted(runs["stratum"].unique())
    S = (runs["stratum"].to_numpy()[:, None] == np.array(strata)[None]).astype(float)
    X = np.column_stack([S, (runs["level"] == "patch").to_numpy(float),
                         (runs["family"] == "conv").to_numpy(float)])
    return X, [f"stratum[{s}]" for s in strata] + ["patch", "conv"]


def c4_test(y, X, names, alternative: str = "greater") -> dict:
    """One-sided t-tests of the ``patch`` and ``conv`` coefficients ("greater": H1 both > 0)."""
    ok = np.isfinite(y)
    fit = inf.ols_terms(np.asarray(y, float)[ok], X[ok], names)
    opposite = "less" if alternative == "greater" else "greater"
    out = {"df": fit["_df"]}
    for term in ("patch", "conv"):
        coef, _, t, df = fit[term]
        out[term] = coef
        out[f"p_{term}"] = inf.t_p(t, df, alternative)
        out[f"p_{term}_reverse"] = inf.t_p(t, df, opposite)
    return out


def ideal_rank_p(runs: pd.DataFrame) -> float:
    """The smallest p the instability part can reach with these runs: the p of ranks ordered
    exactly as H1 says (patch and conv steadiest). Ranks are bounded, so a small design
    cannot reach alpha however large the effect."""
    X, names = design_matrix(runs)
    score = (runs["level"] == "patch").to_numpy(float) + (runs["family"] == "conv").to_numpy(float)
    # ties within a design broken by row order: runs of one design never share a rank exactly
    s = c4_test(sps.rankdata(-score * len(score) + np.arange(len(score)) / len(score)), X, names,
                alternative="less")
    return float(max(s["p_patch"], s["p_conv"]))


def c4_result(evaluation: pd.DataFrame, stability: pd.DataFrame | None, alpha: float) -> dict:
    """The C4 row (before Holm)."""
    h0, h1, test = HYPOTHESES["C4"]
    res = {"claim": "C4", "statistic": "patch-level effect on run quality (conv effect in the note)",
           "h0": h0, "h1": h1, "test": test, "units": "adversarial training runs", "n": 0,
           "feasible": False, "estimate": np.nan, "ci": (np.nan, np.nan), "p": np.nan,
           "p_reverse": np.nan}
    runs = design_runs(evaluation)
    main = runs[runs["objective"].isin([DEFAULT_OBJECTIVE, "none", "nan"])].reset_index(drop=True)
    # strata where designs differ: others say nothing about design
    varied = main.groupby("stratum")["design"].transform("nunique") > 1
    main = main[varied].reset_index(drop=True)
    cells = sorted(set(zip(main["level"], main["family"])))
    if len(main) == 0 or main["level"].nunique() < 2 or main["family"].nunique() < 2:
        return {**res, "n": len(main), "note": (
            f"needs designs of both levels and both families under the same loss and GAN weight; "
            f"found (level, family): {cells or 'none'}")}
    X, names = design_matrix(main)
    q = c4_test(main["quality"].to_numpy(float), X, names)
    ps, prev = [q["p_patch"], q["p_conv"]], [q["p_patch_reverse"], q["p_conv_reverse"]]
    inst_txt = "instability: no stability results given"
    ranks = instability_ranks(main, stability)
    if ranks is not None:
        s = c4_test(ranks, X, names, alternative="less")
        ps += [s["p_patch"], s["p_conv"]]
        n_div = 0 if stability is None or "diverged" not in stability else int(
            as_bool(stability["diverged"].to_numpy()).sum())
        inst_txt = (f"instability rank effects patch = {s['patch']:.2f} (p = {s['p_patch']:.3g}), conv = "
                    f"{s['conv']:.2f} (p = {s['p_conv']:.3g}); diverged runs ranked least stable: {n_div}")
    df = q["df"]
    half = float(sps.t.ppf(0.975, df)) if df >= 1 else np.nan
    fit = inf.ols_terms(main["quality"].to_numpy(float), X, names)
    se_patch = fit["patch"][1]
    ci = (q["patch"] - half * se_patch, q["patch"] + half * se_patch)
    feasible = df >= 1 and all(np.isfinite(ps))
    need = 2
    if ranks is not None and feasible:
        feasible = ideal_rank_p(main) <= alpha
        one = main.drop_duplicates(["stratum", "design"])
        need = inf.smallest(lambda k: ideal_rank_p(pd.concat([one] * k, ignore_index=True)) <= alpha, 2, 50)
    others = []
    for obj, part in runs[~runs["objective"].isin([DEFAULT_OBJECTIVE, "none", "nan"])].groupby("objective"):
        designs = ", ".join(sorted(part["design"].unique()))
        others.append(f"objective {obj}: {len(part)} runs ({designs}), mean quality {part['quality'].mean():.3f}")
    note = (f"quality effects patch = {q['patch']:.3f} (p = {q['p_patch']:.3g}), conv = {q['conv']:.3f} "
            f"(p = {q['p_conv']:.3g}), residual df = {df}; {inst_txt}; (level, family) cells: {cells}"
            + ("; reported apart: " + "; ".join(others) if others else ""))
    if not feasible:
        note = inf.underpowered_note("seeds per design", need) + "; " + note
    return {**res, "estimate": q["patch"], "ci": ci, "p": max(ps),
            "p_reverse": min(1.0, 2 * min(prev)), "n": len(main), "feasible": feasible,
            "note": note}


PAIRWISE_COLUMNS = ["disc_a", "disc_b", "estimate", "ci_low", "ci_high", "p_value", "p_holm",
                    "reject", "n"]


def design_pairwise(evaluation: pd.DataFrame, n_perm: int = 2000, seed: int = 0,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of designs: difference of mean run quality over the strata both were trained in,
    two-sided relabelling test of the runs, Holm across pairs (``n`` = runs compared)."""
    runs = design_runs(evaluation)
    rows = []
    for a, b in itertools.combinations(sorted(runs["design"].unique()), 2):
        shared = set(runs.loc[runs["design"] == a, "stratum"]) & set(runs.loc[runs["design"] == b, "stratum"])
        ra = runs[(runs["design"] == a) & runs["stratum"].isin(shared)]["quality"].to_numpy(float)
        rb = runs[(runs["design"] == b) & runs["stratum"].isin(shared)]["quality"].to_numpy(float)
        if ra.size == 0 or rb.size == 0:
            continue
        p = min(1.0, 2 * min(inf.two_sample_perm_p(ra, rb, "greater", n_perm, seed),
                             inf.two_sample_perm_p(ra, rb, "less", n_perm, seed)))
        rows.append({"disc_a": a, "disc_b": b, "estimate": ra.mean() - rb.mean(), "ci_low": np.nan,
                     "ci_high": np.nan, "p_value": p, "n": int(ra.size + rb.size)})
    out = pd.DataFrame(rows, columns=[c for c in PAIRWISE_COLUMNS if c not in ("p_holm", "reject")])
    out["p_holm"] = inf.holm(out["p_value"].to_numpy()) if len(out) else []
    out["reject"] = out["p_holm"] <= alpha
    return out[PAIRWISE_COLUMNS]


#: A discriminator whose lower-cased name contains one of these judges the whole image with one
#: logit; only for tables without the recorded traits (older evaluation tables).
IMAGE_LEVEL_TOKENS = ("vanilla", "image", "global")


def discriminator_group(name: str) -> str:
    """By name, for tables without traits: 'image_or_transformer' or 'patch_conv'."""
    from asym.analysis.c5 import is_transformer

    n = str(name).lower()
    return "image_or_transformer" if (any(t in n for t in IMAGE_LEVEL_TOKENS) or is_transformer(n)) \
        else "patch_conv"


def design_groups(evaluation: pd.DataFrame) -> dict[str, str]:
    """{design label: 'patch_conv' | 'image_or_transformer'} of the adversarial rows, from the
    recorded traits (:func:`asym.optimize.designs.label_designs`), else by name."""
    df = label_designs(evaluation)
    df = df[as_bool(df["adversarial"].to_numpy())]
    return {label: group if isinstance(group, str) else discriminator_group(label)
            for label, group in zip(df["discriminator"].astype(str), df["design_group"])}


def discriminator_cells(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Quality per (design label, fidelity, gan_weight, seed, image) of the adversarial runs, from
    the one run-quality core (:func:`asym.analysis.runs.image_quality`, all evaluators given)."""
    ev = trained_rows(evaluation)
    ev = ev[as_bool(ev["adversarial"].to_numpy())]
    q = image_quality(ev, sorted(ev["evaluator"].astype(str).unique()))
    q["discriminator"] = [design_label(d, o) for d, o in
                          zip(q["discriminator"], q["objective"] if "objective" in q else [None] * len(q))]
    keys = ["discriminator", "fidelity", "gan_weight", "seed", "image"]
    return q.groupby(keys, as_index=False)["quality"].mean()
