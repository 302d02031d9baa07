"""PIPAL training set (Jinjin Gu et al., ECCV 2020; NTIRE 2021/2022 perceptual IQA challenges).

https://www.jasongt.com/projectpages/pipal.html; 200 references, 23200 distorted images.
The distorted training images are distributed in four parts, ``Distortion_1`` ...
``Distortion_4`` (one archive each), beside ``Train_Ref`` and ``Train_Label``; a copy
that merged them into one ``Train_Dis`` folder is read as well. Scores: Elo ratings
from paired comparisons (about 1000-1900 in the released labels), HIGHER = better
(used as is). ``distortion`` is ``type_<TT>`` (the distortion sub-type code of the file
name) and ``level`` is ``<KK>``, the index of the image within that sub-type (not an
ordered severity).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from asym.data.readers.common import HIGHER_BETTER, Folder, Folders, Scale, child, finish, label_lines, malformed
from asym.io import InputError

LAYOUT = """expected layout of the PIPAL training set (https://www.jasongt.com/projectpages/pipal.html):
  <root>/
    Train_Label/<ref>.txt       lines "<name>,<elo>", e.g. "A0001_00_00.bmp,1456.23"
    Train_Ref/<ref>.bmp         references, e.g. Train_Ref/A0001.bmp
    Distortion_1/ ... Distortion_4/   distorted images <ref>_<TT>_<KK>.bmp, as distributed
    (or Train_Dis/<ref>_<TT>_<KK>.bmp, the four parts merged)
  (folder and file names are matched case-insensitively)"""

NAME = re.compile(r"^([^_]+)_(\d+)_(\d+)\.\w+$")
DISTORTION_PARTS = [f"Distortion_{k}" for k in range(1, 5)]
MERGED = "Train_Dis"
# Elo ratings, about 1000-1900 in the released labels; no published bound.
SCALE = Scale("Elo", HIGHER_BETTER, published=(0.0, 3000.0))


def _distorted(root: Path) -> Folders:
    """The distorted-image folders present: Distortion_1..4 and/or a merged Train_Dis."""
    folders = [Folder(root, name, LAYOUT) for name in [MERGED, *DISTORTION_PARTS]]
    present = [f for f in folders if f.path.is_dir()]
    if not present:
        raise InputError(f"no distorted-image folder in {root}: expected {', '.join(DISTORTION_PARTS)} "
                         f"(or {MERGED})\n{LAYOUT}")
    return Folders(present, LAYOUT)


def load_pipal(root: str | os.PathLike) -> pd.DataFrame:
    """Read the PIPAL training set in ``root`` (23200 distorted images); Elo, higher = better."""
    root = Path(root).resolve()
    label_dir = child(root, "Train_Label", want_dir=True)
    if not label_dir.is_dir():
        raise InputError(f"folder not found: {label_dir}\n{LAYOUT}")
    label_files = sorted(p for p in label_dir.iterdir() if p.suffix.lower() == ".txt")
    if not label_files:
        raise InputError(f"no label files (*.txt) in {label_dir}\n{LAYOUT}")
    refs = Folder(root, "Train_Ref", LAYOUT).require()
    dists = _distorted(root)
    rows = []
    for labels in label_files:
        for number, line in label_lines(labels):
            parts = [p for p in re.split(r"[,\s]+", line) if p]
            match = NAME.match(parts[0]) if len(parts) == 2 else None
            try:
                elo = float(parts[-1])
            except ValueError:
                match = None
            if match is None:
                raise malformed(labels, number, line, '"A0001_00_00.bmp,<elo>"', LAYOUT)
            where = f"{labels.name} line {number}"
            rows.append({"reference": refs.find(f"{match.group(1)}.bmp", labels, where),
                         "distorted": dists.find(parts[0], labels, where),
                         "distortion": f"type_{match.group(2)}", "level": int(match.group(3)),
                         "mos_raw": elo, "where": where})
    return finish(rows, SCALE, label_dir, LAYOUT)


