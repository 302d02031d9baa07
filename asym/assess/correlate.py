"""Assessment stage, second half: correlate every metric's scores with the quality labels.

    python -m asym.assess.correlate --scores results/assess/scores/*/*.csv \
        --metric-info '<json {metric: {family, backbone, init}}>' --n-boot 1000 --seed 0 \
        --out results/assess/correlations.csv

SRCC, KRCC and PLCC after the monotonic logistic mapping, in the quality direction
(a lower-is-better metric is negated first), with 95 % bootstrap CIs that resample
reference images (see :func:`asym.analysis.stats.correlation_table`). Kept apart from
:mod:`asym.assess.score` so that editing the statistics never rescores images.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from asym.io import write_csv
from asym.io import read_table
# What correlate needs of a score table (asym.assess.score writes these columns).
SCORE_TABLE_COLUMNS = ["dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"]
from asym.analysis.stats import correlation_table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", required=True, nargs="+", type=Path)
    parser.add_argument("--metric-info", required=True, help="JSON {metric: {family, backbone, init}}")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    # A NaN score would be dropped by the statistics while n still counted it: refused, naming file and line.
    scores = pd.concat([read_table(p, SCORE_TABLE_COLUMNS, finite=("score", "mos"),
                                   fix="Rescore the set: delete the file and rerun the workflow.")
                        for p in args.scores], ignore_index=True)
    table = correlation_table(scores, n_boot=args.n_boot, seed=args.seed, metric_info=json.loads(args.metric_info))
    write_csv(table, args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
