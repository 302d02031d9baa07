"""Tidy-table utilities for the workflow.

    python -m asym.tables concat --inputs a.csv b.csv --out all.csv

``concat`` stacks CSVs with identical columns (it refuses mismatched headers, which
would silently misalign a tidy table) and writes the result atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from asym.io import write_csv


def concat(paths: list[Path]) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in paths]
    if not frames:
        raise ValueError("nothing to concatenate")
    columns = list(frames[0].columns)
    for path, frame in zip(paths, frames):
        if list(frame.columns) != columns:
            raise ValueError(f"{path} has columns {list(frame.columns)}, expected {columns}")
    return pd.concat(frames, ignore_index=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Tidy-table utilities.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("concat", help="stack CSVs with the same columns")
    c.add_argument("--inputs", nargs="+", required=True, type=Path)
    c.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    write_csv(concat(args.inputs), args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
