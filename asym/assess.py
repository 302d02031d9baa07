"""Assessment stage: score fidelity metrics on IQA sets and correlate with quality labels.

Score one metric on one IQA set, image by image:

    python -m asym.assess score --metric-spec '{"name": "ssim", "kind": "pyiqa", "group": "ssim"}' \
        --dataset synthetic --kind synthetic --root data/demo/iqa/synthetic \
        --out results/assess/scores/synthetic/ssim.csv

Correlate every score file with the labels (SRCC, KRCC, logistic PLCC, bootstrap CIs
over reference images):

    python -m asym.assess correlate --scores results/assess/scores/*/*.csv \
        --metric-info '<json {metric: {family, backbone, init}}>' --n-boot 1000 --seed 0 \
        --out results/assess/correlations.csv

Score rows: ``dataset, metric, reference, distorted, score, lower_better, mos``; paths
are relative to the set's root, so result files do not depend on where data lives.
One metric instance scores the whole set in batches (no model rebuilt per image).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import torch

from asym.data.images import to_tensor
from asym.data.iqa_sets import load_iqa_set
from asym.fidelity import build_metric, score_pairs
from asym.io import read_rgb, write_csv

SCORE_COLUMNS = ["dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"]


def score_set(metric_spec: dict, dataset: str, kind: str, root: Path, batch_size: int = 8,
              device: str = "cpu") -> pd.DataFrame:
    table = load_iqa_set(kind, root)
    metric = build_metric(metric_spec, device=device)
    refs = {path: to_tensor(read_rgb(path)) for path in table["reference"].unique()}
    distorted = [to_tensor(read_rgb(path)) for path in table["distorted"]]
    scores = score_pairs(metric, distorted, [refs[p] for p in table["reference"]], batch_size, device)
    root = Path(root).resolve()
    rel = lambda p: Path(p).resolve().relative_to(root).as_posix()  # noqa: E731
    return pd.DataFrame({
        "dataset": dataset, "metric": metric_spec["name"],
        "reference": [rel(p) for p in table["reference"]], "distorted": [rel(p) for p in table["distorted"]],
        "score": scores, "lower_better": bool(metric.lower_better), "mos": table["mos"].to_numpy(),
    }, columns=SCORE_COLUMNS)


def _score_cmd(args) -> None:
    torch.set_num_threads(args.threads)
    table = score_set(json.loads(args.metric_spec), args.dataset, args.kind, args.root, args.batch_size, args.device)
    write_csv(table, args.out)


def _correlate_cmd(args) -> None:
    from asym.stats import correlation_table

    scores = pd.concat([pd.read_csv(p) for p in args.scores], ignore_index=True)
    table = correlation_table(scores, n_boot=args.n_boot, seed=args.seed, metric_info=json.loads(args.metric_info))
    write_csv(table, args.out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Assessment stage: score metrics on IQA sets; correlate.")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("score", help="score one metric on one IQA set")
    s.add_argument("--metric-spec", required=True, help="metric spec as JSON (with its name)")
    s.add_argument("--dataset", required=True, help="data set name as in the config")
    s.add_argument("--kind", required=True, help="reader, e.g. synthetic")
    s.add_argument("--root", required=True, type=Path)
    s.add_argument("--out", required=True, type=Path)
    s.add_argument("--batch-size", type=int, default=8)
    s.add_argument("--device", default="cpu")
    s.add_argument("--threads", type=int, default=1)
    s.set_defaults(func=_score_cmd)
    c = sub.add_parser("correlate", help="correlations of all score files with the labels")
    c.add_argument("--scores", required=True, nargs="+", type=Path)
    c.add_argument("--metric-info", required=True, help="JSON {metric: {family, backbone, init}}")
    c.add_argument("--n-boot", type=int, default=1000)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--out", required=True, type=Path)
    c.set_defaults(func=_correlate_cmd)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
