"""LIVE In the Wild Image Quality Challenge Database (Ghadiyaram & Bovik, IEEE TIP 2016).

https://live.ece.utexas.edu/research/ChallengeDB/index.html; 1169 entries, of which the
first 7 are the images the crowdsourcing study used to train its raters (stored under
``Images/trainingImages/``). By the convention of the set's own evaluation and of the
literature (e.g. pyiqa's meta information, 1162 images) they are excluded
(:data:`TRAINING_ENTRIES`), so their files are not needed. Scores: MOS 0-100, HIGHER =
better (used as is). A ``<root>`` that only contains ``ChallengeDB_release/`` is
accepted too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from asym.data.readers.common import (
    HIGHER_BETTER,
    Folder,
    Scale,
    authentic_row,
    child,
    finish,
    load_mat,
    mat_strings,
    mat_variable,
    require_file,
)
from asym.io import InputError

LAYOUT = """expected layout of the LIVE In the Wild Image Quality Challenge Database
(https://live.ece.utexas.edu/research/ChallengeDB/index.html):
  <root>/                       (the unpacked ChallengeDB_release folder)
    Data/AllImages_release.mat  variable AllImages_release (1169 image names)
    Data/AllMOS_release.mat     variable AllMOS_release (1169 MOS values, 0-100)
    Images/<name>               the images, e.g. Images/10.bmp; the 7 rater-training
                                images (entries 1-7, Images/trainingImages/) are not read"""

FOLDER = "ChallengeDB_release"
# Entries 1-7 are the images shown to raters for training, excluded by convention.
TRAINING_ENTRIES = 7
SCALE = Scale("MOS", HIGHER_BETTER, published=(0.0, 100.0))


def _vector(root: Path, name: str, key: str) -> tuple[np.ndarray, Path]:
    path = require_file(root, Path("Data") / name, LAYOUT)
    return mat_variable(load_mat(path, LAYOUT), key, path, LAYOUT), path


def load_livechallenge(root: str | os.PathLike) -> pd.DataFrame:
    """Read LIVE Challenge in ``root``: 1162 photographs (the 7 training entries dropped), MOS as is."""
    root = Path(root).resolve()
    inner = child(root, FOLDER, want_dir=True)
    if not child(root, "Data", want_dir=True).is_dir() and child(inner, "Data", want_dir=True).is_dir():
        root = inner  # <root> holds the unpacked folder itself
    names, names_path = _vector(root, "AllImages_release.mat", "AllImages_release")
    mos, mos_path = _vector(root, "AllMOS_release.mat", "AllMOS_release")
    names = mat_strings(names)
    if len(names) != len(mos):
        raise InputError(f"{names_path} lists {len(names)} images but {mos_path} has {len(mos)} "
                         f"scores; they must match entry by entry\n{LAYOUT}")
    if len(names) <= TRAINING_ENTRIES:
        raise InputError(f"{names_path} lists {len(names)} images: only the {TRAINING_ENTRIES} "
                         f"rater-training entries, no rated image\n{LAYOUT}")
    images = Folder(root, "Images", LAYOUT).require()
    rows = []
    for entry in range(TRAINING_ENTRIES, len(names)):
        where = f"entry {entry + 1} ({names[entry]})"
        rows.append(authentic_row(images.find(names[entry], names_path, where), float(mos[entry]), where))
    return finish(rows, SCALE, mos_path, LAYOUT)
