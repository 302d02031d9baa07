"""The report's tables and cited numbers, built once for the HTML and the LaTeX report.

:mod:`asym.report.html` renders these tables as HTML, :mod:`asym.report.latex` as booktabs
LaTeX and as ``\\newcommand`` macros; both call the functions here, so the two
reports show the same numbers with the same rounding. Everything reads the
result CSVs only (numpy/pandas/scipy, never torch).

Two kinds of tables:

* summaries with numbers (``*_summary``): tidy DataFrames of floats, also used
  by the figures (their error bars resample training runs, then test images:
  :func:`asym.analysis.runs.group_summary`);
* displays (``*_display``): the same numbers formatted as strings by
  :func:`fmt` / :func:`fmt_ci` / :func:`fmt_p`, one column per printed column.
  Renderers only escape and lay them out.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pandas as pd

from asym.analysis.baseline import BASELINE_LABEL, baseline_image_quality, baseline_mask, trained_runs
from asym.analysis.c1_c2 import MODEL_KEY_TERM as MIXEDLM_KEY_TERM
from asym.analysis.c3 import init_kind
from asym.analysis.c5 import is_transformer
from asym.analysis.rules import verdict_rules
from asym.analysis.runs import group_summary, primary_panel, run_matrix
from asym.analysis.sentences import CLAIM_IDS, CLAIM_SENTENCES
from asym.analysis.stats import as_bool, bootstrap_mean
from asym.optimize.designs import label_designs

#: Decimal places: correlations (SRCC/PLCC/KRCC, Kendall tau) and z-scored qualities.
CORR_DIGITS = 3
QUALITY_DIGITS = 2

SCALE_TEXT = {
    "demo": (
        "Demo scale: CPU only, random-initialized backbones (metric names ending in \"-R\"), "
        "a tiny SwinIR trained for a few hundred steps, and few images. The labels of the "
        "synthetic IQA set are distortion levels, a proxy for human quality scores, not "
        "human opinions. The numbers illustrate that the pipeline runs end to end; they are "
        "NOT the paper's results and the verdicts below say nothing about the paper's claims."
    ),
    "paper": (
        "Paper scale: the full protocol (public IQA datasets with human mean opinion scores, "
        "pretrained backbones, full-size SwinIR generators trained for the full schedule, "
        "several seeds). Verdicts below are this reproduction's test of the paper's claims."
    ),
}

#: (claim, rule) pairs shown in the report, rendered from the tests' own hypotheses and
#: defaults (:func:`asym.analysis.rules.verdict_rules`; the README shows the same list).
VERDICT_RULES = verdict_rules()


def rules_for(claims: pd.DataFrame | None) -> list[tuple[str, str]]:
    """:data:`VERDICT_RULES` at the alpha the claims were tested at (``alpha`` column), if recorded."""
    if claims is None or "alpha" not in claims or claims["alpha"].dropna().empty:
        return VERDICT_RULES
    return verdict_rules(alpha=float(claims["alpha"].dropna().iloc[0]))

#: Figure captions (HTML figcaption and LaTeX \caption via macros), by file stem.
CAPTIONS = {
    "assessment": "Assessment ranking: SRCC of each fidelity metric with the quality labels of "
                  "each IQA set (quality direction, higher is better) with 95 % bootstrap CIs "
                  "that resample reference images.",
    "asymmetry": "The asymmetry (C1, C2): assessment SRCC (x) against the quality of the SR "
                 "generators trained with that metric as loss (y: mean over training runs of the primary "
                 "evaluator panel's z-scored quality, higher is better, 95 % hierarchical bootstrap CI "
                 "over runs then test images; the numbers of ranks.csv), without and with the main "
                 "adversarial setting.",
    "slope": "Rank to rank (C1, C2): each fidelity metric's rank in assessment (left) and in "
             "optimization (right), without and with the adversarial loss; crossing lines are "
             "the misalignment.",
    "training": "Training curves: fidelity loss (relative to its first logged value) and, for "
                "runs with GAN, discriminator loss against the step.",
    "stability": "Adversarial training dynamics: discriminator accuracy on real and generated "
                 "patches and gradient norms of discriminator and generator against the step, "
                 "median over runs per adversarial setting (band: interquartile range over runs).",
    "sr_grid": "Visual comparison: the same crop of one test image super-resolved by generators "
               "trained with each fidelity loss, without and with the adversarial loss, beside "
               "the high-resolution reference and bicubic upsampling.",
    "gan_sweep": "GAN weight (C4): optimization quality against the weight of the adversarial "
                 "loss per discriminator and fidelity loss (0 = no GAN), 95 % hierarchical bootstrap CIs "
                 "over training runs, then test images.",
    "discriminators": "Discriminator design (C4): mean optimization quality per discriminator "
                      "(no GAN for reference), 95 % hierarchical bootstrap CIs over training runs, then "
                      "test images; dots are single fidelity losses.",
    "transfer": "Transfer (C3, C5): SRCC of IQA models whose backbone starts from random, "
                "ImageNet or discriminator weights, per backbone and IQA set, with 95 % CIs.",
}


# --------------------------------------------------------------------------- #
# Number formatting, shared by every renderer
# --------------------------------------------------------------------------- #
MISSING = "–"


def fmt(value, digits: int = CORR_DIGITS) -> str:
    """Number for display: fixed digits, :data:`MISSING` for missing, tiny values in e-notation."""
    if value is None:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return MISSING
    if v != 0 and abs(v) < 10 ** -digits:
        return f"{v:.1e}"
    out = f"{v:.{digits}f}"
    return out[1:] if out.startswith("-") and float(out) == 0 else out  # no "-0.00"


def fmt_ci(low, high, digits: int = CORR_DIGITS) -> str:
    if _nan(low) and _nan(high):
        return MISSING
    return f"[{fmt(low, digits)}, {fmt(high, digits)}]"


def fmt_p(p) -> str:
    """p-value: three decimals, "< 0.001" below that."""
    if _nan(p):
        return MISSING
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def p_statement(p) -> str:
    """"p = 0.042" or "p < 0.001" (for running text; tables use :func:`fmt_p`)."""
    v = fmt_p(p)
    return f"p {v}" if v.startswith("<") else f"p = {v}"


def _nan(v) -> bool:
    try:
        return v is None or math.isnan(float(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- #
# Optimization quality: cells, means, bootstrap CIs
# --------------------------------------------------------------------------- #
SUMMARY_COLUMNS = ["mean", "ci_low", "ci_high", "n_cells"]


def baseline_quality(evaluation: pd.DataFrame, n_boot: int = 1000, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """The bicubic baseline on the runs' quality scale (:func:`asym.analysis.baseline.baseline_image_quality`,
    the runs' primary panel): one :func:`quality_ci` row (metric :data:`BASELINE_LABEL`), bootstrap over its
    test images; none without."""
    per_image = baseline_image_quality(evaluation, primary_panel(trained_runs(evaluation)))
    if per_image.empty:
        return pd.DataFrame(columns=["metric", "adversarial"] + SUMMARY_COLUMNS)
    m, lo, hi = bootstrap_mean(per_image.to_numpy(), n_boot, seed, ci)
    return pd.DataFrame([{"metric": BASELINE_LABEL, "adversarial": False, "mean": m, "ci_low": lo,
                          "ci_high": hi, "n_cells": int(per_image.size)}])


def quality_ci(ranks: pd.DataFrame) -> pd.DataFrame:
    """The optimization quality per (metric, adversarial) exactly as ``ranks.csv`` holds it (run
    means, hierarchical-bootstrap CI over runs then images: :func:`asym.analysis.c1_c2.rank_table`).
    Columns ``metric, adversarial, mean, ci_low, ci_high, n_cells`` (n_cells = runs)."""
    r = ranks.copy()
    r["adversarial"] = r["adversarial"].astype(str).str.lower().eq("true")
    out = pd.DataFrame({"metric": r["metric"].astype(str), "adversarial": r["adversarial"],
                        "mean": r["optimization_quality"].astype(float)})
    for src, dst in (("optimization_ci_low", "ci_low"), ("optimization_ci_high", "ci_high"),
                     ("n_runs", "n_cells")):
        out[dst] = r.get(src, np.nan)
    return out[["metric", "adversarial"] + SUMMARY_COLUMNS]


def _run_summary(evaluation: pd.DataFrame, keys, n_boot: int, seed: int) -> pd.DataFrame:
    """Mean run quality per ``keys`` from the one run-quality core (:mod:`asym.analysis.runs`),
    every evaluator that scored all runs; ``n_cells`` = runs."""
    m = run_matrix(trained_runs(evaluation))
    t = label_designs(m.traits)
    adv = as_bool(t["adversarial"].to_numpy())
    t.loc[~adv, "gan_weight"] = 0.0
    t.loc[~adv, "discriminator"] = "none"
    t["gan_weight"] = pd.to_numeric(t["gan_weight"], errors="coerce").fillna(0.0)
    t["discriminator"] = t["discriminator"].astype(str)
    m.traits = t
    out = group_summary(m, keys, n_boot, seed)
    return out.rename(columns={"n_runs": "n_cells"})


def gan_sweep_summary(evaluation: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Quality per (fidelity, discriminator, gan_weight); runs without GAN get weight 0 and
    discriminator "none"."""
    return _run_summary(evaluation, ["fidelity", "discriminator", "gan_weight"], n_boot, seed)


def discriminator_summary(evaluation: pd.DataFrame, n_boot: int = 1000,
                          seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(overall, per loss): run quality per discriminator design ("none" = without GAN)."""
    return (_run_summary(evaluation, ["discriminator"], n_boot, seed),
            _run_summary(evaluation, ["discriminator", "fidelity"], n_boot, seed))


def transfer_summary(transfer: pd.DataFrame) -> pd.DataFrame:
    """Transfer results averaged over seeds per (backbone, init, dataset).

    ``srcc``/``plcc`` and the CI bounds are means over seeds (with one seed, the
    file's values); ``family`` is "Transformer" or "conv" (:func:`is_transformer`).
    """
    t = transfer.copy()
    for c in ("srcc", "srcc_ci_low", "srcc_ci_high", "plcc"):
        if c not in t:
            t[c] = np.nan
        t[c] = pd.to_numeric(t[c], errors="coerce")
    if "seed" not in t:
        t["seed"] = 0
    g = t.groupby(["backbone", "init", "dataset"], sort=True)
    out = g.agg(srcc=("srcc", "mean"), ci_low=("srcc_ci_low", "mean"),
                ci_high=("srcc_ci_high", "mean"), plcc=("plcc", "mean"),
                seeds=("seed", "nunique")).reset_index()
    out["family"] = np.where(out["backbone"].map(is_transformer), "Transformer", "conv")
    return out


# --------------------------------------------------------------------------- #
# Display tables (strings)
# --------------------------------------------------------------------------- #
ADV_LABEL = {False: "without GAN", True: "with GAN"}


def claims_display(claims: pd.DataFrame, details: bool = False) -> pd.DataFrame:
    """Claims table: claim, verdict, statistic, estimate, 95 % CI, p, Holm p, n and units
    (+ sentence, H0/H1, test, note)."""
    rows = []
    for r in claims.itertuples(index=False):
        row = {"claim": r.claim}
        if details:
            row["paper's claim"] = CLAIM_SENTENCES.get(r.claim, "")
        row.update({"verdict": str(r.verdict).replace("_", " "), "statistic": r.statistic,
                    "estimate": fmt(r.estimate), "95% CI": fmt_ci(r.ci_low, r.ci_high),
                    "p": fmt_p(r.p_value), "p (Holm)": fmt_p(getattr(r, "p_holm", np.nan)),
                    "n": fmt(r.n), "units": str(getattr(r, "units", "") or "")})
        if details:
            row["H0 / H1"] = f"H0: {getattr(r, 'h0', '')}; H1: {getattr(r, 'h1', '')}"
            row["test"] = str(getattr(r, "test", ""))
            row["scale"] = getattr(r, "scale", "")
            row["note"] = "" if _nan(getattr(r, "note", "")) else str(r.note)
        rows.append(row)
    return pd.DataFrame(rows)


def optimization_display(qci: pd.DataFrame, baseline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows = fidelity loss; columns without/with GAN: "mean [low, high]" of :func:`quality_ci`.

    Sorted by quality without GAN (best first); a dash where a loss has no runs. The
    ``baseline`` row (:func:`baseline_quality`) comes last, outside the ranking.
    """
    if baseline is not None and len(baseline):
        body = optimization_display(qci)
        row = optimization_display(baseline)
        return pd.concat([body, row.reindex(columns=body.columns, fill_value=MISSING)], ignore_index=True)
    out = pd.DataFrame({"fidelity loss": sorted(qci["metric"].unique())})
    for flag in (False, True):
        part = qci[qci["adversarial"] == flag].set_index("metric")
        if part.empty:
            continue
        out[ADV_LABEL[flag]] = [fmt(part.loc[m, "mean"], QUALITY_DIGITS) if m in part.index else MISSING
                                for m in out["fidelity loss"]]
        out[f"95% CI ({ADV_LABEL[flag]})"] = [
            fmt_ci(part.loc[m, "ci_low"], part.loc[m, "ci_high"], QUALITY_DIGITS) if m in part.index
            else MISSING for m in out["fidelity loss"]]
        out[f"cells ({ADV_LABEL[flag]})"] = [
            str(int(part.loc[m, "n_cells"])) if m in part.index and not _nan(part.loc[m, "n_cells"])
            else MISSING for m in out["fidelity loss"]]
    order = qci[~qci["adversarial"]].set_index("metric")["mean"]
    key = out["fidelity loss"].map(order).fillna(-np.inf)
    return out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)


def evaluator_table(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Mean raw score per (fidelity, adversarial setting) x evaluator, with seed counts (floats).

    Evaluator columns are named "<evaluator> ↑" (higher is better) or "↓".
    """
    ev = evaluation.copy()
    ev["adversarial"] = as_bool(ev["adversarial"].to_numpy())
    ev.loc[baseline_mask(ev), "fidelity"] = BASELINE_LABEL
    keys = ["fidelity", "adversarial", "discriminator", "gan_weight"]
    keys = [k for k in keys if k in ev.columns]
    arrows = {e: ("↓" if as_bool(g["lower_better"].iloc[0]) else "↑")
              for e, g in ev.groupby("evaluator")}
    wide = ev.pivot_table(index=keys, columns="evaluator", values="score", aggfunc="mean")
    wide.columns = [f"{c} {arrows[c]}" for c in wide.columns]
    seeds = ev.groupby(keys)["seed"].nunique().rename("seeds")
    out = pd.concat([seeds, wide], axis=1).reset_index()
    return out.sort_values(["adversarial", "fidelity"], kind="stable").reset_index(drop=True)


def _setting_label(row) -> str:
    if not row["adversarial"]:
        return ADV_LABEL[False]
    w = row.get("gan_weight", np.nan)
    return f"{row.get('discriminator', 'GAN')}, w={float(w):g}" if not _nan(w) else str(row.get("discriminator"))


def evaluator_display(evaluation: pd.DataFrame) -> pd.DataFrame:
    """:func:`evaluator_table` as strings: loss, GAN setting, seeds, one column per evaluator."""
    t = evaluator_table(evaluation)
    out = pd.DataFrame({"fidelity loss": t["fidelity"],
                        "GAN": [_setting_label(r) for _, r in t.iterrows()],
                        "seeds": t["seeds"].map(fmt)})
    for c in t.columns:
        if c.endswith(("↑", "↓")):
            out[c] = t[c].map(lambda v: fmt(v, CORR_DIGITS))
    return out


def assessment_display(corr: pd.DataFrame) -> pd.DataFrame:
    """Per IQA set (best first): metric, SRCC, 95 % CI, PLCC, KRCC, n."""
    t = corr.sort_values(["dataset", "srcc"], ascending=[True, False], kind="stable")
    return pd.DataFrame({
        "dataset": [f"{d} (within distortion type)" if sc == "within_distortion" else str(d)  # asym.assess.correlate
                    for d, sc in zip(t["dataset"], t["scope"] if "scope" in t else ["pooled"] * len(t))],
        "metric": t["metric"].astype(str).to_numpy(),
        "SRCC": [fmt(v) for v in t["srcc"]],
        "95% CI": [fmt_ci(lo, hi) for lo, hi in zip(t["srcc_ci_low"], t["srcc_ci_high"])],
        "PLCC": [fmt(v) for v in t["plcc"]],
        "KRCC": [fmt(v) for v in t["krcc"]],
        "n": [fmt(v) for v in t["n"]],
    })


#: Display order of initialization kinds (tables and figures): the baseline first.
INIT_ORDER = {"random": 0, "discriminator": 1, "pretrained": 2}


def init_order(inits) -> list:
    """Initializations sorted random, discriminator*, published checkpoints (imagenet, dinov2,
    clip, ...: :func:`asym.analysis.c3.init_kind`), each group by name."""
    return sorted({str(i) for i in inits}, key=lambda i: (INIT_ORDER.get(init_kind(i), 3), i))


def backbone_order(backbones) -> list:
    """Convolutional backbones first, then Transformers, each by name."""
    return sorted({str(b) for b in backbones}, key=lambda b: (is_transformer(b), b))


def transfer_display(transfer: pd.DataFrame) -> pd.DataFrame:
    """Rows = backbone x init (:func:`backbone_order`, :func:`init_order`); per IQA set a
    column "SRCC [CI]" (means over seeds)."""
    s = transfer_summary(transfer)
    datasets = sorted(s["dataset"].astype(str).unique())
    rank_b = {b: k for k, b in enumerate(backbone_order(s["backbone"]))}
    rank_i = {i: k for k, i in enumerate(init_order(s["init"]))}
    keys = sorted({(str(b), str(i)) for b, i in zip(s["backbone"], s["init"])},
                  key=lambda k: (rank_b[k[0]], rank_i[k[1]]))
    rows = []
    for b, init in keys:
        part = s[(s["backbone"].astype(str) == b) & (s["init"].astype(str) == init)]
        part = part.set_index(part["dataset"].astype(str))
        row = {"backbone": str(b), "family": part["family"].iloc[0], "init": str(init),
               "seeds": fmt(int(part["seeds"].max()))}
        for ds in datasets:
            if ds in part.index:
                r = part.loc[ds]
                row[ds] = f"{fmt(r['srcc'])} {fmt_ci(r['ci_low'], r['ci_high'])}"
            else:
                row[ds] = MISSING
        rows.append(row)
    return pd.DataFrame(rows)


def mixedlm_display(mixed: pd.DataFrame) -> pd.DataFrame:
    """C2's regression on run means: term, coefficient, SE, 95 % CI, p."""
    return pd.DataFrame({
        "term": mixed["term"].astype(str),
        "coef": [fmt(v) for v in mixed["coef"]],
        "SE": [fmt(v) for v in mixed["se"]],
        "95% CI": [fmt_ci(lo, hi) for lo, hi in zip(mixed["ci_low"], mixed["ci_high"])],
        "p": [fmt_p(v) for v in mixed["p_value"]],
    })


def power_display(power: pd.DataFrame) -> pd.DataFrame:
    """``asym power``'s table: per claim the false-positive rate under the null and the power at
    each standardized effect, with the seeds (split seeds for C3/C5) needed for 80 % power."""
    rows = []
    for claim, part in power.groupby("claim", sort=True):
        null = part[part["effect"] == 0]
        row = {"claim": claim, "false-positive rate": fmt(null["rate"].iloc[0], 2) if len(null) else MISSING}
        for r in part[part["effect"] > 0].itertuples():
            need = MISSING if _nan(r.seeds_for_80) else str(int(r.seeds_for_80))
            row[f"power at {r.effect:g} SD"] = fmt(r.rate, 2)
            row[f"seeds for 80% at {r.effect:g} SD"] = need if not _nan(r.rate) else MISSING
        rows.append(row)
    return pd.DataFrame(rows)


def panels_display(panels: pd.DataFrame) -> pd.DataFrame:
    """C1/C2 under each evaluator panel (primary, FR, NR, leave one out): estimate, raw p."""
    return pd.DataFrame({
        "panel": panels["panel"].astype(str), "claim": panels["claim"].astype(str),
        "evaluators": panels["evaluators"].astype(str).str.replace(",", ", "),
        "estimate": [fmt(v) for v in panels["estimate"]], "p": [fmt_p(v) for v in panels["p_value"]],
        "n": [fmt(v) for v in panels["n"]],
    })


def pairwise_display(pw: pd.DataFrame) -> pd.DataFrame:
    """C4's pairwise discriminator comparisons with raw and Holm-corrected p."""
    return pd.DataFrame({
        "comparison": [f"{a} - {b}" for a, b in zip(pw["disc_a"], pw["disc_b"])],
        "difference": [fmt(v, QUALITY_DIGITS) for v in pw["estimate"]],
        "95% CI": [fmt_ci(lo, hi, QUALITY_DIGITS) for lo, hi in zip(pw["ci_low"], pw["ci_high"])],
        "p": [fmt_p(v) for v in pw["p_value"]],
        "p (Holm)": [fmt_p(v) for v in pw["p_holm"]],
        "n": [fmt(v) for v in pw["n"]],
    })


# --------------------------------------------------------------------------- #
# Numbers the report text cites
# --------------------------------------------------------------------------- #
CLAIM_WORD = {"C1": "One", "C2": "Two", "C3": "Three", "C4": "Four", "C5": "Five"}


def cited_numbers(claims: pd.DataFrame, corr: pd.DataFrame, evaluation: pd.DataFrame,
                  ranks: pd.DataFrame, scale: str, transfer: pd.DataFrame | None = None,
                  mixed: pd.DataFrame | None = None) -> OrderedDict[str, str]:
    """Every number (and name) the report text cites, keyed by a LaTeX macro name (letters only).

    Values are display strings made by :func:`fmt` and friends; :mod:`asym.report.latex`
    writes each as ``\\newcommand{\\<name>}{<value>}``.
    """
    n = OrderedDict()
    n["Scale"] = scale
    ev = trained_runs(evaluation)
    adv = as_bool(ev["adversarial"].to_numpy())
    n["NumRuns"] = fmt(ev["run"].nunique())
    n["NumRunsNoGAN"] = fmt(ev.loc[~adv, "run"].nunique())
    n["NumRunsGAN"] = fmt(ev.loc[adv, "run"].nunique())
    n["NumLosses"] = fmt(ev["fidelity"].nunique())
    n["NumSeeds"] = fmt(ev["seed"].nunique())
    n["NumEvaluators"] = fmt(ev["evaluator"].nunique())
    n["NumTestImages"] = fmt((ev["dataset"].astype(str) + "/" + ev["image"].astype(str)).nunique())
    n["NumTestSets"] = fmt(ev["dataset"].nunique())
    discs = sorted(label_designs(ev).loc[adv, "discriminator"].astype(str).unique())
    n["NumDiscriminators"] = fmt(len(discs))
    n["Discriminators"] = ", ".join(discs) if discs else "none"
    weights = sorted(pd.to_numeric(ev.loc[adv, "gan_weight"], errors="coerce").dropna().unique())
    n["GANWeights"] = ", ".join(f"{w:g}" for w in weights) if weights else "none"
    n["NumMetrics"] = fmt(corr["metric"].nunique())
    n["NumIQASets"] = fmt(corr["dataset"].nunique())
    n["IQASets"] = ", ".join(sorted(corr["dataset"].astype(str).unique()))
    n["NumIQAImages"] = fmt(int(corr.groupby("dataset")["n"].max().sum()) if len(corr) else 0)
    # every key exists at every scale (report.tex may cite any): "–" where undefined
    for key in ("BestAssessMetric", "BestAssessSRCC", "WorstAssessMetric", "WorstAssessSRCC",
                "BestOptMetricNoGAN", "BestOptQualityNoGAN", "BestOptMetricGAN", "BestOptQualityGAN",
                "CtwoMixedCoef", "CtwoMixedCIlow", "CtwoMixedCIhigh", "CtwoMixedP", "CtwoMixedPstat",
                "CtwoMixedNobs"):
        n[key] = MISSING
    n["NumTransferModels"], n["TransferBackbones"] = "0", "none"
    mean_srcc = corr.groupby("metric")["srcc"].mean().sort_values(ascending=False)
    if len(mean_srcc):
        n["BestAssessMetric"] = str(mean_srcc.index[0])
        n["BestAssessSRCC"] = fmt(mean_srcc.iloc[0])
        n["WorstAssessMetric"] = str(mean_srcc.index[-1])
        n["WorstAssessSRCC"] = fmt(mean_srcc.iloc[-1])
    for flag, tag in ((False, "NoGAN"), (True, "GAN")):
        part = ranks[ranks["adversarial"].astype(str).str.lower().eq(str(flag).lower())]
        if len(part):
            best = part.sort_values("optimization_quality", ascending=False).iloc[0]
            n[f"BestOptMetric{tag}"] = str(best["metric"])
            n[f"BestOptQuality{tag}"] = fmt(best["optimization_quality"], QUALITY_DIGITS)
    # per claim: estimate, CI, p, n, verdict (+ the names the text uses for C1/C2)
    c = claims.set_index("claim")
    for cid in CLAIM_IDS:
        w = "C" + CLAIM_WORD[cid].lower()
        r = c.loc[cid] if cid in c.index else pd.Series(
            {"statistic": "not computed", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
             "p_value": np.nan, "n": 0, "verdict": "inconclusive", "note": "no row in claims.csv"})
        n[f"{w}Estimate"] = fmt(r["estimate"])
        n[f"{w}CIlow"] = fmt(r["ci_low"])
        n[f"{w}CIhigh"] = fmt(r["ci_high"])
        n[f"{w}P"] = fmt_p(r["p_value"])
        n[f"{w}Pstat"] = p_statement(r["p_value"])
        n[f"{w}N"] = fmt(r["n"])
        n[f"{w}Verdict"] = str(r["verdict"]).replace("_", " ")
        n[f"{w}Statistic"] = str(r.get("statistic", "not computed"))
        note = r.get("note", "")
        n[f"{w}Note"] = "" if _nan(note) else str(note).rstrip(".")
    n["ConeTau"] = n["ConeEstimate"]
    n["CtwoDelta"] = n["CtwoEstimate"]
    # the two taus behind C2's delta, from the rank table (metrics ranked both ways)
    taus = _c2_taus(ranks)
    n["CtwoTauNoGAN"], n["CtwoTauGAN"] = fmt(taus[0]), fmt(taus[1])
    if mixed is not None and len(mixed):
        key = mixed[mixed["term"] == MIXEDLM_KEY_TERM]
        if len(key):
            k = key.iloc[0]
            n["CtwoMixedCoef"] = fmt(k["coef"])
            n["CtwoMixedCIlow"] = fmt(k["ci_low"])
            n["CtwoMixedCIhigh"] = fmt(k["ci_high"])
            n["CtwoMixedP"] = fmt_p(k["p_value"])
            n["CtwoMixedPstat"] = p_statement(k["p_value"])
            n["CtwoMixedNobs"] = fmt(k["n_obs"])
    if transfer is not None and len(transfer):
        n["NumTransferModels"] = fmt(len(transfer.drop_duplicates(
            [c for c in ("backbone", "init", "seed") if c in transfer.columns])))
        n["TransferBackbones"] = ", ".join(sorted(transfer["backbone"].astype(str).unique()))
    return n


def _c2_taus(ranks: pd.DataFrame) -> tuple[float, float]:
    from scipy.stats import kendalltau

    r = ranks.copy()
    r["adversarial"] = r["adversarial"].astype(str).str.lower().eq("true")
    both = set(r.loc[r["adversarial"], "metric"]) & set(r.loc[~r["adversarial"], "metric"])
    out = []
    for flag in (False, True):
        p = r[(r["adversarial"] == flag) & r["metric"].isin(both)].sort_values("metric")
        x, y = p["assessment_srcc"].to_numpy(float), p["optimization_quality"].to_numpy(float)
        ok = len(p) >= 2 and np.ptp(x) > 0 and np.ptp(y) > 0
        out.append(float(kendalltau(x, y).statistic) if ok else float("nan"))
    return out[0], out[1]


# --------------------------------------------------------------------------- #
# The result files the report and the LaTeX tables both read (one CLI contract)
# --------------------------------------------------------------------------- #
def add_result_arguments(parser) -> None:
    """The result-file options shared by ``python -m asym.report.html`` and ``python -m asym.report.latex``."""
    parser.add_argument("--claims", required=True)
    parser.add_argument("--correlations", required=True)
    parser.add_argument("--evaluation", required=True)
    parser.add_argument("--ranks", required=True)
    parser.add_argument("--transfer", default=None, help="results/transfer/correlations.csv (optional)")
    parser.add_argument("--mixedlm", default=None, help="results/analysis/c2_mixedlm.csv (optional)")
    parser.add_argument("--pairwise", default=None, help="results/analysis/c4_pairwise.csv (optional)")
    parser.add_argument("--power", default=None, help="results/analysis/power.csv from asym power (optional)")
    parser.add_argument("--panels", default=None, help="results/analysis/c1_c2_panels.csv (optional)")
    parser.add_argument("--scale", choices=sorted(SCALE_TEXT), required=True)


def read_csv(path) -> pd.DataFrame:
    from pathlib import Path

    from asym.io import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"input not found: {path}; run the stage that writes it first")
    return pd.read_csv(path)


def read_results(args) -> tuple[list[pd.DataFrame], dict]:
    """(claims, correlations, evaluation, ranks) and the optional tables, from parsed arguments."""
    tables = [read_csv(p) for p in (args.claims, args.correlations, args.evaluation, args.ranks)]
    extra = {k: read_csv(v) if v else None for k, v in
             (("transfer", args.transfer), ("mixed", args.mixedlm), ("pairwise", args.pairwise),
              ("power", getattr(args, "power", None)), ("panels", getattr(args, "panels", None)))}
    return tables, extra
