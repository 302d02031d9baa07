"""Readers for IQA data sets: one table per set, one row per distorted image.

Every reader returns a pandas DataFrame with the columns
``reference, distorted, distortion, level, mos``: absolute paths (str) of the
reference and distorted image, the distortion name, its level, and the quality
score.

MOS convention (``MOS_HIGHER_BETTER``): every reader returns ``mos`` with HIGHER =
BETTER quality. Sets that publish DMOS or other lower-is-better scores (e.g. LIVE,
CSIQ) are converted by their reader (sign flip or ``max - dmos``), so correlations
with a metric always mean the same thing. Readers for LIVE/CSIQ/TID2013/KADID/
PIPAL/TQD will be added to :data:`READERS` with this convention.

Example::

    from asym.data.iqa_sets import load_iqa_set
    table = load_iqa_set("synthetic", "data/demo/iqa/synthetic")
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from asym.io import InputError

MOS_HIGHER_BETTER = True
COLUMNS = ["reference", "distorted", "distortion", "level", "mos"]

SYNTHETIC_LAYOUT = """expected layout of the synthetic set (built by
`python -m asym.data.prepare --raw data/raw --out data/demo --config <config>`):
  <root>/scores.csv                      columns: reference, distorted, distortion, level, mos
  <root>/reference/<image>.png
  <root>/distorted/<image>__<distortion>__<level>.png"""


def load_synthetic(root: str | os.PathLike) -> pd.DataFrame:
    """Read the synthetic IQA set in ``root`` (e.g. ``data/demo/iqa/synthetic``).

    The proxy ``mos`` there is ``levels + 1 - level`` (higher = better), not a human score.
    """
    root = Path(root).resolve()
    scores = root / "scores.csv"
    if not scores.is_file():
        raise InputError(f"scores file not found: {scores}\n{SYNTHETIC_LAYOUT}")
    table = pd.read_csv(scores)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{scores} lacks columns {missing} (has {list(table.columns)})\n"
                         f"{SYNTHETIC_LAYOUT}")
    table = table[COLUMNS].copy()
    for column in ("reference", "distorted"):
        table[column] = [str(root / rel) for rel in table[column]]
    if table.empty:
        raise InputError(f"{scores} lists no images\n{SYNTHETIC_LAYOUT}")
    for pair in zip(table["reference"], table["distorted"]):
        for path in pair:
            if not Path(path).is_file():
                raise InputError(f"file listed in {scores} not found: {path}\n{SYNTHETIC_LAYOUT}")
    table["level"] = table["level"].astype(int)
    table["mos"] = table["mos"].astype(float)
    return table


READERS = {"synthetic": load_synthetic}


def load_iqa_set(kind: str, root: str | os.PathLike) -> pd.DataFrame:
    """Read the IQA set of type ``kind`` stored in ``root`` (see :data:`READERS`)."""
    if kind not in READERS:
        raise ValueError(f"unknown IQA set kind {kind!r}; known kinds: {sorted(READERS)}")
    return READERS[kind](root)
