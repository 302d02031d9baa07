"""Write ``stability.csv``: one row per SR training run (claim C4).

    python -m asym.optimize.stability \\
        --logs results/optimize/runs/l1__nogan__s0/train_log.csv \\
               results/optimize/runs/l1__patchgan-w0.05__s0/train_log.csv \\
        --out results/optimize/stability.csv

Each run's traits and status come from the run record ``run.json`` beside its log
(:mod:`asym.optimize.runrecord`); the statistics and the one instability definition are
those of :mod:`asym.optimize.instability`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from asym.io import write_csv
from asym.optimize.instability import per_run, read_log
from asym.optimize.runrecord import read_run_record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asym.optimize.stability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", nargs="+", required=True, type=Path, help="runs' train_log.csv files")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    logs, runs, statuses = {}, {}, {}
    for path in args.logs:
        log = read_log(path)
        record = read_run_record(path.parent)  # written by train_sr beside its log
        name = record["run"]
        logs[name], runs[name], statuses[name] = log, record["traits"], record["status"]
    table = per_run(logs, runs, statuses)
    write_csv(table, args.out)
    print(f"wrote {args.out} ({len(table)} runs, {int(table['diverged'].sum())} diverged)")
    return 0


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
