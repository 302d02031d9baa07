"""Test the paper's five claims; write ``claims.csv`` and the tables behind it.

Command (as run by the workflow)::

    python -m asym.analysis.claims \\
        --assess-scores results/assess/scores/*/*.csv \\
        --correlations results/assess/correlations.csv \\
        --evaluation results/optimize/evaluation.csv \\
        [--human results/judge/human_evaluation.csv] \\
        [--transfer results/transfer/correlations.csv] \\
        [--stability results/optimize/stability.csv] \\
        --gan-setting patchgan-w0.05 --no-reference piqe \\
        --scale demo --alpha 0.05 --threshold 0.5 --margin 0.05 \\
        --n-boot 1000 --n-perm 2000 --seed 0 \\
        --out results/analysis/claims.csv --ranks-out results/analysis/ranks.csv \\
        --mixedlm-out results/analysis/c2_mixedlm.csv --pairwise-out results/analysis/c4_pairwise.csv \\
        --panels-out results/analysis/c1_c2_panels.csv

One row per claim (:data:`CLAIM_COLUMNS`): H0, H1, the test and its units and their
count, the estimate with a 95 % CI, the raw one-sided p and its Holm adjustment across
the five claims, the same pair for the opposite direction, and the verdict
(:func:`asym.analysis.inference.verdict`). Each claim's test lives in its own module
(:mod:`~asym.analysis.c1_c2`, :mod:`~asym.analysis.c3`, :mod:`~asym.analysis.c4`,
:mod:`~asym.analysis.c5`); this module only reads the inputs, runs them, adjusts and writes.
A design too small for a test to reach alpha gives ``inconclusive`` with the note
``underpowered: needs >= k ...``; ``asym power`` says what a design can detect.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from asym.analysis import inference as inf
from asym.analysis.assessment import Assessment, assessment_draws, prepare_assessment
from asym.analysis.c1_c2 import (
    DEFAULT_THRESHOLD,
    MODEL_COLUMNS,
    MODEL_KEY_TERM,
    RankingData,
    c1_result,
    c2_result,
    c2_run_model,
    rank_table,
    ranking_data,
)
from asym.analysis.c3 import DEFAULT_MARGIN, c3_result
from asym.analysis.c4 import (  # noqa: F401  (design_groups, discriminator_cells: public here too)
    PAIRWISE_COLUMNS,
    c4_result,
    design_groups,
    design_pairwise,
    discriminator_cells,
)
from asym.analysis.c5 import c5_result
from asym.analysis.runs import HUMAN, model_panel, trained_rows
from asym.analysis.sentences import CLAIM_IDS, CLAIM_SENTENCES  # noqa: F401  (public here too)
from asym.analysis.stats import as_bool
from asym.data.distortion_labels import read_distortion_labels
from asym.io import InputError, read_table, write_csv

#: The first nine are the long-standing contract (DESIGN.md); the rest say how each verdict came about.
CLAIM_COLUMNS = ["claim", "statistic", "estimate", "ci_low", "ci_high", "p_value", "n", "verdict", "scale",
                 "p_holm", "p_reverse", "p_reverse_holm", "alpha", "h0", "h1", "test", "units", "note"]
#: C2's regression on run means (file name kept: ``c2_mixedlm.csv``).
MIXEDLM_COLUMNS = MODEL_COLUMNS
MIXEDLM_KEY_TERM = MODEL_KEY_TERM
PANEL_COLUMNS = ["panel", "evaluators", "claim", "estimate", "p_value", "n", "significant"]

NOT_RUN_NOTE = "stage not run at this scale"


@dataclass
class Settings:
    """The analysis section of the config: error rate, thresholds, resampling sizes."""

    alpha: float = inf.DEFAULT_ALPHA
    threshold: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN
    n_boot: int = 1000
    n_perm: int = 2000
    seed: int = 0


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


def finalize(results: list[dict], alpha: float, scale: str) -> pd.DataFrame:
    """Claim results -> claims.csv rows: Holm across the claims (both directions), verdicts."""
    p = inf.holm([r["p"] for r in results])
    p_rev = inf.holm([r["p_reverse"] for r in results])
    rows = []
    for r, ph, prh in zip(results, p, p_rev):
        v = inf.verdict(ph, prh, r["feasible"], alpha)
        note = r.get("note", "")
        if r["feasible"] and v == "inconclusive":
            note = f"not significant at alpha = {alpha:g} after Holm (p_holm = {ph:.3g}); " + note
        rows.append({"claim": r["claim"], "statistic": r["statistic"], "estimate": float(r["estimate"]),
                     "ci_low": float(r["ci"][0]), "ci_high": float(r["ci"][1]), "p_value": float(r["p"]),
                     "p_holm": float(ph) if np.isfinite(r["p"]) else np.nan,
                     "p_reverse": float(r["p_reverse"]),
                     "p_reverse_holm": float(prh) if np.isfinite(r["p_reverse"]) else np.nan,
                     "alpha": alpha, "h0": r["h0"], "h1": r["h1"], "test": r["test"], "units": r["units"],
                     "n": int(r["n"]), "verdict": v, "scale": scale, "note": note})
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def claims_table(assess: Assessment, evaluation: pd.DataFrame, settings: Settings, scale: str = "demo",
                 ranking: pd.DataFrame | None = None, transfer: pd.DataFrame | None = None,
                 stability: pd.DataFrame | None = None, correlations: pd.DataFrame | None = None,
                 data: RankingData | None = None) -> pd.DataFrame:
    """All five claim rows (:data:`CLAIM_COLUMNS`). ``ranking`` (default ``evaluation``) holds
    the rows C1/C2 rank (:func:`main_setting_rows`); C4 uses every row of ``evaluation``."""
    s = settings
    if data is None:
        data = ranking_data(assess, evaluation if ranking is None else ranking, None, s.n_boot, s.seed)
    results = [
        c1_result(data, s.threshold, s.alpha, s.n_boot, s.n_perm, s.seed),
        c2_result(data, s.alpha, s.n_boot, s.n_perm, s.seed),
        c3_result(transfer, s.margin, s.alpha, s.n_boot, s.n_perm, s.seed),
        c4_result(evaluation, stability, s.alpha),
        c5_result(transfer, correlations, s.alpha, s.n_boot, s.n_perm, s.seed),
    ]
    return finalize(results, s.alpha, scale)


def c2_model(data: RankingData) -> pd.DataFrame:
    """C2's regression on run means (:func:`asym.analysis.c1_c2.c2_run_model`) for ``data``."""
    t = data.runs.traits
    return c2_run_model(data.a, data.runs.means(), data.metric_index, t["adversarial"].to_numpy(bool),
                        data.names)


def panel_table(assess: Assessment, ranking: pd.DataFrame, settings: Settings,
                no_reference=()) -> pd.DataFrame:
    """C1/C2 under other yardsticks: the primary panel, full-reference and no-reference
    evaluators apart, and the primary panel without each one evaluator (leave one out).

    ``significant`` is the raw one-sided p <= alpha (no Holm): whether the verdict's
    direction survives a change of yardstick, not a verdict of its own.
    """
    s = settings
    ev = trained_rows(ranking)
    models = model_panel(ev)
    nr = sorted(set(models) & set(map(str, no_reference)))
    panels = [("primary", None)]
    if HUMAN in set(ev["evaluator"].astype(str)):
        panels.append(("model panel", models))
    panels += [("full-reference", [e for e in models if e not in nr]), ("no-reference", nr)]
    panels += [(f"without {e}", [x for x in models if x != e]) for e in models if len(models) > 1]
    draws = assessment_draws(assess, s.n_boot, s.seed)
    rows = []
    for name, evaluators in panels:
        if evaluators is not None and not evaluators:
            continue
        data = ranking_data(assess, ranking, evaluators, s.n_boot, s.seed, draws=draws)
        for r in (c1_result(data, s.threshold, s.alpha, 0, s.n_perm, s.seed),
                  c2_result(data, s.alpha, 0, s.n_perm, s.seed)):
            used = "human" if evaluators is None and HUMAN in set(ev["evaluator"].astype(str)) else \
                ",".join(evaluators if evaluators is not None else models)
            rows.append({"panel": name, "evaluators": used, "claim": r["claim"],
                         "estimate": r["estimate"], "p_value": r["p"], "n": r["n"],
                         "significant": bool(np.isfinite(r["p"]) and r["p"] <= s.alpha)})
    return pd.DataFrame(rows, columns=PANEL_COLUMNS)




# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #
def _read_csv(path, finite: tuple[str, ...] = ()) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input table not found: {path}; run the stage that writes it first")
    # A NaN or empty score would be dropped by the statistics while n still counted it:
    # refused, naming the file, the column and the line (asym.io.read_table).
    return read_table(path, list(finite), finite=finite, fix="Rerun the stage that writes it.")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.analysis.claims", description=__doc__.split("\n")[0])
    p.add_argument("--assess-scores", nargs="+", required=True,
                   help="per-image assessment score CSVs (one per dataset x metric)")
    p.add_argument("--correlations", default=None,
                   help="results/assess/correlations.csv (C5's assessment side: DISTS-style backbones)")
    p.add_argument("--within-type", action="append", default=[], metavar="DATASET=LABELS_CSV",
                   help="an IQA set whose labels order severity within a distortion type only, with its label "
                        "file (distorted, distortion): its SRCC is taken within types, as asym.assess.correlate")
    p.add_argument("--evaluation", required=True, help="results/optimize/evaluation.csv")
    p.add_argument("--human", default=None,
                   help="results/judge/human_evaluation.csv: human judgements, the primary C1/C2 yardstick")
    p.add_argument("--transfer", default=None,
                   help="results/transfer/correlations.csv (C3, C5); without it C3 stays inconclusive")
    p.add_argument("--stability", default=None,
                   help="results/optimize/stability.csv (instability and diverged runs for C4)")
    p.add_argument("--gan-setting", default=None,
                   help="adversarial setting name (or '<discriminator>:<gan_weight>') that C1/C2 rank as "
                        "'with GAN' (default: all GAN rows pooled)")
    p.add_argument("--no-reference", nargs="*", default=[],
                   help="evaluators that are no-reference (realism) models, reported apart from fidelity")
    p.add_argument("--scale", choices=["demo", "paper"], required=True)
    p.add_argument("--alpha", type=float, default=inf.DEFAULT_ALPHA, help="family-wise error rate")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help="Kendall tau regarded as strong alignment (C1)")
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN,
                   help="SRCC difference regarded as 'little' (C3 equivalence test)")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--n-perm", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="claims CSV to write")
    p.add_argument("--ranks-out", default=None, help="rank table CSV (default: ranks.csv beside --out)")
    p.add_argument("--mixedlm-out", default=None, help="CSV for C2's regression on run means")
    p.add_argument("--pairwise-out", default=None, help="CSV for C4's Holm-corrected design comparisons")
    p.add_argument("--panels-out", default=None,
                   help="CSV of C1/C2 under other evaluator panels (FR, NR, leave one out)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings(args.alpha, args.threshold, args.margin, args.n_boot, args.n_perm, args.seed)
    scores = pd.concat([_read_csv(p, finite=("score", "mos")) for p in args.assess_scores], ignore_index=True)
    for item in args.within_type:
        dataset, _, path = item.partition("=")
        labels = read_distortion_labels(Path(path)).rename(columns={"distortion": "type"})
        typed = scores["dataset"] == dataset
        scores.loc[typed, "distortion"] = scores.loc[typed, ["distorted"]].merge(labels, how="left")["type"].to_numpy()
        if scores.loc[typed, "distortion"].isna().any():
            raise InputError(f"--within-type {item}: some scored images of {dataset!r} are not in {path}; "
                             "rescore the set (its labels changed since it was scored)")
    assess = prepare_assessment(scores)
    evaluation = _read_csv(args.evaluation, finite=("score",))
    # human judgements are C1/C2's yardstick only: C4 compares designs the study did not judge
    human = _read_csv(args.human, finite=("score",)) if args.human else None
    judged = pd.concat([evaluation, human], ignore_index=True) if args.human else evaluation
    transfer = _read_csv(args.transfer) if args.transfer else None
    stability = _read_csv(args.stability) if args.stability else None
    correlations = _read_csv(args.correlations) if args.correlations else None
    ranking = main_setting_rows(judged, args.gan_setting)
    data = ranking_data(assess, ranking, None, settings.n_boot, settings.seed)
    table = claims_table(assess, evaluation, settings, args.scale, ranking, transfer, stability,
                         correlations, data)
    write_csv(table, args.out)
    write_csv(rank_table(data, settings.n_boot, settings.seed),
              args.ranks_out or str(Path(args.out).with_name("ranks.csv")))
    if args.mixedlm_out:
        write_csv(c2_model(data), args.mixedlm_out)
    if args.pairwise_out:
        write_csv(design_pairwise(evaluation, settings.n_perm, settings.seed, settings.alpha),
                  args.pairwise_out)
    if args.panels_out:
        write_csv(panel_table(assess, ranking, settings, args.no_reference), args.panels_out)
    for r in table.itertuples():
        print(f"{r.claim}: {r.verdict} (estimate={r.estimate:.3f}, p={r.p_value:.4g}, "
              f"p_holm={r.p_holm:.4g}, n={r.n} {r.units})")
    return 0


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
