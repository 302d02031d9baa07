"""Assessment stage, first half: score one fidelity metric on one IQA set, image by image.

    python -m asym.assess.score --metric-spec '{"name": "ssim", "kind": "pyiqa", "group": "ssim"}' \
        --dataset synthetic --kind synthetic --root data/demo/iqa/synthetic \
        --out results/assess/scores/synthetic/ssim.csv

Rows: ``dataset, metric, reference, distorted, score, lower_better, mos``; paths are
relative to the set's root, so result files do not depend on where data live. One
metric instance scores the whole set in batches (no model rebuilt per image). The
correlations are :mod:`asym.assess.correlate`'s job.

A metric fitted on this very set (spec ``fitted_on`` equal to ``--dataset``, as
:func:`asym.config.metric_spec` writes it) is scored on the references its fit held out
only: correlations on the references it was fitted to would flatter it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import torch

from asym.assess.fidelity import build_metric, score_pairs
from asym.data.images import to_tensor
from asym.data.iqa_sets import load_iqa_set
from asym.io import read_rgb, write_csv

SCORE_COLUMNS = ["dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"]


def held_out_rows(table: pd.DataFrame, fitted_path) -> pd.DataFrame:
    """The rows of ``table`` whose reference the fit in ``fitted_path`` did not train on."""
    artefact = torch.load(fitted_path, map_location="cpu", weights_only=True)
    trained_on = set(artefact["train_references"])
    keep = ~table["reference"].map(lambda p: Path(p).name).isin(trained_on)
    if not keep.any():
        raise ValueError(f"{fitted_path} was fitted on every reference of this set; nothing is left to assess "
                         "it on. Refit with a test_fraction > 0 (config metrics.<name>.fit.test_fraction).")
    print(f"fitted on this set: assessing on {int(keep.sum())} of {len(table)} images "
          f"(the references {fitted_path} did not train on)")
    return table[keep].reset_index(drop=True)


def score_set(metric_spec: dict, dataset: str, kind: str, root: Path, batch_size: int = 8,
              device: str = "cpu", reader_options: dict | None = None, kernels: str = "reference") -> pd.DataFrame:
    table = load_iqa_set(kind, root, reader_options)
    if metric_spec.get("fitted") and metric_spec.get("fitted_on") == dataset:
        table = held_out_rows(table, metric_spec["fitted"])
    metric = build_metric(metric_spec, device=device, kernels=kernels)
    refs = {path: to_tensor(read_rgb(path)) for path in table["reference"].unique()}
    distorted = [to_tensor(read_rgb(path)) for path in table["distorted"]]
    scores = score_pairs(metric, distorted, [refs[p] for p in table["reference"]], batch_size, device)
    root = Path(root).resolve()

    def rel(path) -> str:
        return Path(path).resolve().relative_to(root).as_posix()

    return pd.DataFrame({
        "dataset": dataset, "metric": metric_spec["name"],
        "reference": [rel(p) for p in table["reference"]], "distorted": [rel(p) for p in table["distorted"]],
        "score": scores, "lower_better": bool(metric.lower_better), "mos": table["mos"].to_numpy(),
    }, columns=SCORE_COLUMNS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Assessment stage: score a metric on an IQA set.")
    parser.add_argument("--metric-spec", required=True, type=json.loads, help="metric spec as JSON (with its name)")
    parser.add_argument("--dataset", required=True, help="data set name as in the config")
    parser.add_argument("--kind", required=True, help="reader, e.g. synthetic")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--reader-options", default="{}", type=json.loads,
                        help="the IQA set's reader options as JSON (data.iqa_sets.<name> beside kind and root, "
                             "e.g. TQD's direction)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--kernels", default="reference", help="the config's kernels setting: reference or fast")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = score_set(args.metric_spec, args.dataset, args.kind, args.root, args.batch_size, args.device,
                      args.reader_options, args.kernels)
    write_csv(table, args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
