"""The demo's synthetic IQA set, built by :mod:`asym.data.prepare` (proxy scores, not human).

The proxy ``mos`` is ``levels + 1 - level`` (HIGHER = better, 1 to at most 5): it only
encodes the order of severity within a distortion, which is why the report calls it a
proxy.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from asym.data.readers.common import COLUMNS, HIGHER_BETTER, Scale, pick_columns, read_csv
from asym.io import InputError

LAYOUT = """expected layout of the synthetic set (built by
`python -m asym.data.prepare --raw data/raw --out data/demo --config <config>`):
  <root>/scores.csv                      columns: reference, distorted, distortion, level, mos
  <root>/reference/<image>.png
  <root>/distorted/<image>__<distortion>__<level>.png"""

SCALE = Scale("proxy mos", HIGHER_BETTER, published=(1.0, 5.0))  # data.prepare.levels is 2-5


def load_synthetic(root: str | os.PathLike) -> pd.DataFrame:
    """Read the synthetic IQA set in ``root`` (e.g. ``data/demo/iqa/synthetic``): COLUMNS, one row per image."""
    root = Path(root).resolve()
    scores = root / "scores.csv"
    if not scores.is_file():
        raise InputError(f"scores file not found: {scores}\n{LAYOUT}")
    table = pick_columns(read_csv(scores, LAYOUT), {c: c for c in COLUMNS}, scores, LAYOUT)
    if table.empty:
        raise InputError(f"{scores} lists no images\n{LAYOUT}")
    mos = pd.to_numeric(table["mos"], errors="coerce").to_numpy(dtype=float)
    level = pd.to_numeric(table["level"], errors="coerce").to_numpy(dtype=float)
    low, high = SCALE.accepted
    bad = ~np.isfinite(mos) | (mos < low) | (mos > high) | ~np.isfinite(level)
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 2  # line 1 is the header
        raise InputError(f"{scores}, line {line}: mos and level must be numbers, mos within "
                         f"[{low:g}, {high:g}]; rebuild the set with asym.data.prepare\n{LAYOUT}")
    dup = table["distorted"].duplicated(keep="first")
    if dup.any():
        k = int(np.flatnonzero(dup.to_numpy())[0])
        first = int(np.flatnonzero((table["distorted"] == table["distorted"].iloc[k]).to_numpy())[0])
        raise InputError(f"{scores}: {table['distorted'].iloc[k]} is listed twice (lines {first + 2} and "
                         f"{k + 2}); remove the duplicate row\n{LAYOUT}")
    for column in ("reference", "distorted"):
        table[column] = [str(root / rel) for rel in table[column]]
    for line, pair in enumerate(zip(table["reference"], table["distorted"]), 2):
        for path in pair:
            if not Path(path).is_file():
                raise InputError(f"file listed in {scores} (line {line}) not found: {path}\n{LAYOUT}")
    table["level"] = level.astype(int)
    table["mos"] = mos
    return table
