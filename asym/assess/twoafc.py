"""Agreement of a fidelity metric with human choices: BAPPS 2AFC score and SR pairwise accuracy.

    python -m asym.assess.twoafc --set bapps --root data/paper/human/bapps --metric dists_vgg16 \
        --spec '<json metric spec>' --out results/assess/human/bapps/dists_vgg16.csv
    python -m asym.assess.twoafc --set sriqa_bench --root data/paper/human/sriqa_bench ...

Beside SRCC against mean opinion scores, the assessment stage asks how often a metric
makes the choice people made:

* **2AFC score** (BAPPS, Zhang et al. 2018): per triplet, with ``h`` the share of observers
  who found p1 closer to the reference, a metric that finds p1 closer scores ``h``, one
  that finds p0 closer scores ``1 - h``, a tie 0.5; averaged over triplets. Human observers
  themselves reach the mean of ``max(h, 1 - h)``, reported as ``human_ceiling``.
* **Pairwise accuracy** (SRIQA-Bench, Chen et al. 2025): over pairs of SR outputs of one
  image that people did not judge a tie (``human_pref_a != 0.5``), the share where the
  metric prefers the output people preferred (a metric tie counts one half).

A metric's ``lower_better`` orients it: lower-better metrics are distances, higher-better
ones similarities. 95 % intervals are percentile bootstraps over triplets (BAPPS: each
triplet has its own reference patch) or over reference contents (SRIQA-Bench: the pairs of
one content share a reference). Output: one row per (set, category) and an ``all`` row,
columns :data:`COLUMNS`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from asym.analysis.stats import bootstrap_mean

COLUMNS = ["metric", "dataset", "category", "measure", "n", "agreement", "ci_low", "ci_high", "human_ceiling",
           "lower_better"]


def twoafc_agreement(score_p0, score_p1, human_p1, lower_better: bool) -> np.ndarray:
    """Per-triplet 2AFC agreement in [0, 1] (see the module docstring)."""
    s0, s1, h = (np.asarray(v, dtype=float) for v in (score_p0, score_p1, human_p1))
    d0, d1 = (s0, s1) if lower_better else (-s0, -s1)  # as distances: smaller = closer to the reference
    return np.where(d1 < d0, h, np.where(d0 < d1, 1.0 - h, 0.5))


def pairwise_agreement(score_a, score_b, human_pref_a, lower_better: bool) -> np.ndarray:
    """Per-pair agreement (1, 0 or 0.5 for a metric tie) on pairs people did not tie; NaN on human ties."""
    sa, sb, h = (np.asarray(v, dtype=float) for v in (score_a, score_b, human_pref_a))
    qa, qb = (-sa, -sb) if lower_better else (sa, sb)  # as qualities: larger = better
    metric_a = np.where(qa > qb, 1.0, np.where(qa < qb, 0.0, 0.5))
    human_a = np.where(h > 0.5, 1.0, 0.0)
    out = np.where(metric_a == 0.5, 0.5, (metric_a == human_a).astype(float))
    return np.where(h == 0.5, np.nan, out)


def summarize(per_item: pd.DataFrame, metric: str, dataset: str, measure: str, lower_better: bool,
              n_boot: int, seed: int) -> pd.DataFrame:
    """Rows per category and overall from per-item ``agreement, group, category, ceiling`` columns."""
    rows = []
    parts = [(c, df) for c, df in per_item.groupby("category", sort=True)] + [("all", per_item)]
    for category, df in parts:
        mean, low, high = bootstrap_mean(df["agreement"], n_boot, seed, groups=df["group"])
        rows.append({"metric": metric, "dataset": dataset, "category": category, "measure": measure,
                     "n": int(df["agreement"].notna().sum()), "agreement": mean, "ci_low": low, "ci_high": high,
                     "human_ceiling": float(df["ceiling"].mean()), "lower_better": bool(lower_better)})
    return pd.DataFrame(rows, columns=COLUMNS)


def _score(metric, preds: list[str], refs: list[str], batch_size: int, device: str) -> np.ndarray:
    from asym.assess.fidelity import score_pairs
    from asym.data.images import to_tensor
    from asym.io import read_rgb

    return np.asarray(score_pairs(metric, [to_tensor(read_rgb(p)) for p in preds],
                                  [to_tensor(read_rgb(r)) for r in refs], batch_size, device))


def assess_bapps(metric, name: str, root, batch_size=32, device="cpu", n_boot=1000, seed=0,
                 categories=None) -> pd.DataFrame:
    from asym.data.bapps import load_bapps_2afc

    table = load_bapps_2afc(root, categories=categories)
    s0 = _score(metric, list(table["p0"]), list(table["reference"]), batch_size, device)
    s1 = _score(metric, list(table["p1"]), list(table["reference"]), batch_size, device)
    lower = bool(metric.lower_better)
    per_item = pd.DataFrame({"agreement": twoafc_agreement(s0, s1, table["human_p1"], lower),
                             "group": table["category"] + "/" + table["id"], "category": table["category"],
                             "ceiling": np.maximum(table["human_p1"], 1 - table["human_p1"])})
    return summarize(per_item, name, "bapps", "2afc", lower, n_boot, seed)


def assess_sriqa(metric, name: str, root, batch_size=8, device="cpu", n_boot=1000, seed=0) -> pd.DataFrame:
    from asym.data.sriqa_bench import load_sriqa_pairs

    pairs = load_sriqa_pairs(root)
    images = sorted(set(pairs["image_a"]) | set(pairs["image_b"]))
    ref_of = dict(zip(pairs["image_a"], pairs["reference"])) | dict(zip(pairs["image_b"], pairs["reference"]))
    score = dict(zip(images, _score(metric, images, [ref_of[i] for i in images], batch_size, device)))
    lower = bool(metric.lower_better)
    h = pairs["human_pref_a"].to_numpy()
    per_item = pd.DataFrame({"agreement": pairwise_agreement(pairs["image_a"].map(score), pairs["image_b"].map(score),
                                                             h, lower),
                             "group": pairs["content"], "category": "sr",
                             "ceiling": np.maximum(h, 1 - h)})
    return summarize(per_item, name, "sriqa_bench", "pairwise_accuracy", lower, n_boot, seed)


SETS = {"bapps": assess_bapps, "sriqa_bench": assess_sriqa}


def main(argv=None) -> None:
    from asym.assess.fidelity import build_metric
    from asym.io import write_csv

    p = argparse.ArgumentParser(prog="python -m asym.assess.twoafc", description=__doc__.split("\n\n")[0])
    p.add_argument("--set", required=True, choices=sorted(SETS))
    p.add_argument("--root", required=True, type=Path)
    p.add_argument("--metric", required=True, help="the metric's name in the config")
    p.add_argument("--spec", required=True, help="the metric's config entry as JSON")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)
    spec = {"name": args.metric, **json.loads(args.spec)}
    metric = build_metric(spec, device=args.device)
    table = SETS[args.set](metric, args.metric, args.root, batch_size=args.batch_size, device=args.device,
                           n_boot=args.n_boot, seed=args.seed)
    write_csv(table, args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
