"""LIVE Image Quality Assessment Database, Release 2 (Sheikh, Wang, Cormack, Bovik).

https://live.ece.utexas.edu/research/quality/subjective.htm; 29 references, 779
distorted images (982 entries in the score files, 203 of them copies of a reference,
``orgs == 1``, dropped as in the set's own evaluation and pyiqa's meta information).

Scores: DMOS, about 0-100, LOWER = better -> ``mos = -dmos``; no discrete levels.
``realigned`` picks the score file: ``False`` (the default) reads ``dmos`` from
``dmos.mat``, as pyiqa builds its LIVE meta information (the reference loader this
package follows where the study, whose code is not public, leaves the choice open);
``True`` reads the realigned ``dmos_new`` from ``dmos_realigned.mat`` (the scores of
the set's 2006 realignment across its sessions, used by many published results).
Config: ``data.iqa_sets.<name>.realigned: true``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from asym.data.readers.common import (
    LOWER_BETTER,
    Folder,
    Scale,
    finish,
    load_mat,
    mat_strings,
    mat_variable,
    require_file,
)
from asym.io import InputError

LAYOUT = """expected layout of LIVE Release 2
(https://live.ece.utexas.edu/research/quality/subjective.htm):
  <root>/                       (the unpacked databaserelease2 folder)
    dmos.mat                    variables dmos, orgs (1x982 each)
    dmos_realigned.mat          variables dmos_new, orgs (read with realigned: true)
    refnames_all.mat            variable refnames_all (1x982 cell of reference names)
    refimgs/<name>.bmp          29 references
    jp2k/img1.bmp ... img227.bmp
    jpeg/img1.bmp ... img233.bmp
    wn/img1.bmp ... img174.bmp
    gblur/img1.bmp ... img174.bmp
    fastfading/img1.bmp ... img174.bmp
  (folder and file names are matched case-insensitively)"""

# Folder and number of entries, in the order of the .mat arrays.
FOLDERS = [("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174)]
ENTRIES = sum(count for _, count in FOLDERS)
# Published scale 0-100; the realigned values spill over it a little.
SCALE = Scale("DMOS", LOWER_BETTER, published=(0.0, 100.0), accepted=(-25.0, 125.0))
REALIGNED_DEFAULT = False  # as pyiqa's LIVE meta information (dmos.mat)


def _vector(mat: dict, key: str, path: Path) -> list:
    vector = mat_variable(mat, key, path, LAYOUT)
    if vector.size != ENTRIES:
        raise InputError(f"{path}: {key} has {vector.size} entries, LIVE Release 2 has "
                         f"{ENTRIES} ({', '.join(f'{f} {n}' for f, n in FOLDERS)})\n{LAYOUT}")
    return vector


def load_live(root: str | os.PathLike, realigned: bool = REALIGNED_DEFAULT) -> pd.DataFrame:
    """Read LIVE Release 2 in ``root``: 779 distorted images, ``mos = -dmos`` (see the module docstring)."""
    if not isinstance(realigned, bool):
        raise InputError(f"LIVE option realigned must be true or false, got {realigned!r}")
    root = Path(root).resolve()
    score_file, key = ("dmos_realigned.mat", "dmos_new") if realigned else ("dmos.mat", "dmos")
    score_path = require_file(root, score_file, LAYOUT)
    scores = load_mat(score_path, LAYOUT)
    names_path = require_file(root, "refnames_all.mat", LAYOUT)
    dmos = _vector(scores, key, score_path).astype(float)
    orgs = _vector(scores, "orgs", score_path)
    refnames = mat_strings(_vector(load_mat(names_path, LAYOUT), "refnames_all", names_path))
    refs = Folder(root, "refimgs", LAYOUT).require()
    rows, entry = [], 0
    for folder_name, count in FOLDERS:
        folder = Folder(root, folder_name, LAYOUT)
        for k in range(1, count + 1):
            where = f"entry {entry + 1} ({folder_name}/img{k}.bmp)"
            if orgs[entry] == 0:  # orgs == 1 marks a copy of the reference, not a distortion
                rows.append({"reference": refs.find(refnames[entry], names_path, where),
                             "distorted": folder.find(f"img{k}.bmp", score_path, where),
                             "distortion": folder_name, "level": pd.NA,
                             "mos_raw": dmos[entry], "where": where})
            entry += 1
    return finish(rows, SCALE, score_path, LAYOUT)
