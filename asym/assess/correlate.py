"""Assessment stage, second half: correlate every metric's scores with the quality labels.

    python -m asym.assess.correlate --scores results/assess/scores/*/*.csv \
        --metric-info '<json {metric: {family, backbone, init}}>' --n-boot 1000 --seed 0 \
        --out results/assess/correlations.csv

SRCC, KRCC and PLCC after the monotonic logistic mapping, in the quality direction
(a lower-is-better metric is negated first), with 95 % bootstrap CIs that resample
reference images (see :func:`asym.analysis.stats.correlation_table`). Kept apart from
:mod:`asym.assess.score` so that editing the statistics never rescores images.

**Labels that order severity within a distortion type only.** A synthetic set's
labels are distortion levels (``mos = levels + 1 - level``): level 3 of JPEG and level
3 of blur are not "equally good", so a correlation pooled over all types mixes
incomparable labels. For a set given with ``--within-type DATASET=LABELS_CSV`` (the
set's ``scores.csv``, which names each distorted image's ``distortion``), ``srcc``,
``plcc`` and ``krcc`` are computed within each distortion type and averaged over the
types (equal weight per type), and the SRCC's bootstrap CI resamples reference images
(a reference and all its distorted images move together; in the demo each reference is
its own source photograph) and recomputes that average. Such rows have ``scope``
``within_distortion``; every other set, with real human scores, keeps the pooled
statistics (``scope`` ``pooled``). ``srcc_pooled`` always holds the pooled SRCC.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from asym.analysis.stats import (
    as_bool,
    bootstrap_correlation,
    correlation_table,
    krcc,
    logistic_plcc,
    mean_within,
    quality_direction,
    srcc,
    stable_seed,
)
from asym.data.distortion_labels import read_distortion_labels
from asym.io import InputError, read_table, write_csv

# What correlate needs of a score table (asym.assess.score writes these columns).
SCORE_TABLE_COLUMNS = ["dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"]

SCOPE_COLUMNS = ["scope", "srcc_pooled"]


def within_type_rows(scores: pd.DataFrame, labels: pd.DataFrame, n_boot: int, seed: int) -> dict:
    """{metric: {srcc, srcc_ci_low, srcc_ci_high, plcc, krcc}} within distortion types for one set."""
    merged = scores.merge(labels, on="distorted", how="left")
    unknown = merged.loc[merged["distortion"].isna(), "distorted"]
    if len(unknown):
        raise InputError(f"{len(unknown)} scored image(s) are not in the label file, e.g. {unknown.iloc[0]!r}; "
                         "rescore the set (its labels changed since it was scored)")
    out = {}
    for (dataset, metric), part in merged.groupby(["dataset", "metric"], sort=True):
        lower_better = bool(as_bool(part["lower_better"].to_numpy())[0])  # constant: checked by correlation_table
        d = pd.DataFrame({"reference": part["reference"].to_numpy(), "distortion": part["distortion"].to_numpy(),
                          "score": quality_direction(part["score"].to_numpy(), lower_better),
                          "mos": part["mos"].to_numpy(dtype=float)})
        low, high = bootstrap_correlation(d, lambda b: mean_within(srcc, b), groups="reference", n_boot=n_boot,
                                          seed=stable_seed(seed, dataset, metric, "within"))
        out[metric] = {"srcc": mean_within(srcc, d), "srcc_ci_low": low, "srcc_ci_high": high,
                       "plcc": mean_within(logistic_plcc, d), "krcc": mean_within(krcc, d)}
    return out


def correlations(scores: pd.DataFrame, n_boot: int, seed: int, metric_info: dict,
                 within_type: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The correlation table: pooled statistics, replaced by within-type ones for ``within_type`` sets."""
    table = correlation_table(scores, n_boot=n_boot, seed=seed, metric_info=metric_info)
    table["scope"] = "pooled"
    table["srcc_pooled"] = table["srcc"]
    for dataset, labels in (within_type or {}).items():
        part = scores[scores["dataset"] == dataset]
        if part.empty:
            raise InputError(f"--within-type names data set {dataset!r}, which has no scores here")
        for metric, stats in within_type_rows(part, labels, n_boot, seed).items():
            row = (table["dataset"] == dataset) & (table["metric"] == metric)
            for column, value in stats.items():
                table.loc[row, column] = value
            table.loc[row, "scope"] = "within_distortion"
    return table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", required=True, nargs="+", type=Path)
    parser.add_argument("--metric-info", required=True, help="JSON {metric: {family, backbone, init}}")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--within-type", action="append", default=[], metavar="DATASET=LABELS_CSV",
                        help="a set whose labels order severity within a distortion type only, with its "
                             "label file (columns distorted, distortion); repeatable")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    within = {}
    for item in args.within_type:
        dataset, sep, path = item.partition("=")
        if not sep or not dataset or not path:
            parser.error(f"--within-type {item!r}: give DATASET=LABELS_CSV, e.g. synthetic=data/demo/iqa/synthetic/scores.csv")
        within[dataset] = read_distortion_labels(Path(path))
    # A NaN score would be dropped by the statistics while n still counted it: refused, naming file and line.
    scores = pd.concat([read_table(p, SCORE_TABLE_COLUMNS, finite=("score", "mos"),
                                   fix="Rescore the set: delete the file and rerun the workflow.")
                        for p in args.scores], ignore_index=True)
    table = correlations(scores, args.n_boot, args.seed, json.loads(args.metric_info), within)
    write_csv(table, args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
