"""KonIQ-10k (Hosu, Lin, Sziranyi, Saupe, IEEE TIP 2020), authentic distortions, no reference.

http://database.mmsp-kn.de/koniq-10k-database.html; 10073 photographs. The scores file
publishes two scales of the same ratings: ``MOS`` (the mean of the 1-5 absolute
category ratings) and ``MOS_zscore`` (the ratings z-scored per rater and rescaled to
0-100). ``MOS_zscore`` is read by default: it is the scale of pyiqa's KonIQ meta
information (range 1-100) and of published KonIQ results. ``score_column: MOS`` in the
config (``data.iqa_sets.<name>.score_column``) reads the 1-5 scale instead; both are
HIGHER = better. The 1024x768 images are read (``koniq10k_1024x768.zip``), or the
half-size release ``512x384/`` when that is all there is. The set also publishes a
train/validation/test assignment (``koniq10k_distributions_sets.csv``); the transfer
stage uses random 80/20 splits by image instead, one per split seed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from asym.data.readers.common import (
    HIGHER_BETTER,
    Folder,
    Scale,
    authentic_row,
    finish,
    number,
    pick_columns,
    read_csv,
    require_file,
)
from asym.io import InputError

LAYOUT = """expected layout of KonIQ-10k (http://database.mmsp-kn.de/koniq-10k-database.html):
  <root>/
    koniq10k_scores_and_distributions.csv   header image_name,c1,c2,c3,c4,c5,c_total,MOS,SD,MOS_zscore
    1024x768/<image_name>       10073 JPEG images (koniq10k_1024x768.zip)
    (or 512x384/<image_name>    the half-size release, read when 1024x768/ is absent)"""

SCORES = "koniq10k_scores_and_distributions.csv"
FOLDERS = ("1024x768", "512x384")  # the first one present is read
SCALES = {"MOS_zscore": Scale("MOS_zscore", HIGHER_BETTER, published=(0.0, 100.0)),
          "MOS": Scale("MOS", HIGHER_BETTER, published=(1.0, 5.0))}  # 5-point ACR
SCORE_COLUMN_DEFAULT = "MOS_zscore"


def load_koniq10k(root: str | os.PathLike, score_column: str = SCORE_COLUMN_DEFAULT) -> pd.DataFrame:
    """Read KonIQ-10k in ``root``: 10073 photographs, ``score_column`` (higher = better) as is."""
    if score_column not in SCALES:
        raise InputError(f"KonIQ-10k: score_column must be one of {sorted(SCALES)}, got {score_column!r} "
                         "(data.iqa_sets.<name>.score_column in the workflow config)")
    root = Path(root).resolve()
    labels = require_file(root, SCORES, LAYOUT)
    folders = [Folder(root, name, LAYOUT) for name in FOLDERS]
    present = [f for f in folders if f.path.is_dir()]
    if not present:
        raise InputError(f"image folder not found: {folders[0].path} (nor {folders[1].path})\n{LAYOUT}")
    table = read_csv(labels, LAYOUT, dtype={"image_name": str})
    table = pick_columns(table, {"image_name": "name", score_column: "score"}, labels, LAYOUT)
    rows = []
    for line, (name, score) in enumerate(zip(table["name"], table["score"]), 2):  # line 1 is the header
        if pd.isna(name):
            continue
        where = f"line {line}"
        rows.append(authentic_row(present[0].find(str(name).strip(), labels, where), number(score), where))
    return finish(rows, SCALES[score_column], labels, LAYOUT)
