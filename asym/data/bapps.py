"""Reader of BAPPS 2AFC: human two-alternative forced-choice judgements of image patches.

BAPPS (Berkeley-Adobe Perceptual Patch Similarity; Zhang, Isola, Efros, Shechtman, Wang,
CVPR 2018, the LPIPS paper), https://github.com/richzhang/PerceptualSimilarity. In a 2AFC
triplet, observers saw a reference patch and two distorted versions, p0 and p1, and chose
the one closer to the reference. Layout after ``python -m asym.data.fetch fetch bapps``
(the archive ``twoafc_val.tar.gz`` unpacks its ``val`` folder to ``2afc/val``)::

    <root>/2afc/<split>/<category>/ref/<id>.png     reference patch (64 x 64)
    <root>/2afc/<split>/<category>/p0/<id>.png      first distorted patch
    <root>/2afc/<split>/<category>/p1/<id>.png      second distorted patch
    <root>/2afc/<split>/<category>/judge/<id>.npy   share of observers who chose p1, in [0, 1]

Categories of the validation split: ``traditional``, ``cnn`` (synthetic distortions),
``superres``, ``deblur``, ``color``, ``frameinterp`` (outputs of real algorithms).

:func:`load_bapps_2afc` returns one row per triplet with the columns ``category, id,
reference, p0, p1, human_p1`` (absolute paths; ``human_p1`` the share preferring p1). A
missing folder or file, a judgement that is not one finite number in [0, 1], or a category
without triplets raises :class:`asym.io.InputError` naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError

CATEGORIES_VAL = ("traditional", "cnn", "superres", "deblur", "color", "frameinterp")
COLUMNS = ["category", "id", "reference", "p0", "p1", "human_p1"]
FIX = "refetch it with `python -m asym.data.fetch fetch bapps`"


def _judgement(path: Path) -> float:
    try:
        value = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .npy judgement ({exc}); {FIX}") from exc
    flat = np.asarray(value, dtype=float).ravel()
    if flat.size != 1 or not np.isfinite(flat[0]) or not 0.0 <= flat[0] <= 1.0:
        raise InputError(f"{path}: expected one share of observers in [0, 1], got {flat[:3].tolist()}; {FIX}")
    return float(flat[0])


def load_bapps_2afc(root: str | Path, split: str = "val", categories=None) -> pd.DataFrame:
    """One row per 2AFC triplet of ``split`` (see the module docstring for columns and checks)."""
    base = Path(root) / "2afc" / split
    if not base.is_dir():
        raise InputError(f"BAPPS 2AFC folder not found: {base}; {FIX} (or point the reader at the folder that "
                         "holds 2afc/)")
    names = list(categories) if categories else sorted(p.name for p in base.iterdir() if p.is_dir())
    if not names:
        raise InputError(f"{base} holds no category folders; {FIX}")
    rows = []
    for category in names:
        folder = base / category
        for sub in ("ref", "p0", "p1", "judge"):
            if not (folder / sub).is_dir():
                raise InputError(f"BAPPS category {category}: folder {folder / sub} is missing; {FIX}")
        judges = sorted((folder / "judge").glob("*.npy"))
        if not judges:
            raise InputError(f"BAPPS category {category}: no judgements (*.npy) in {folder / 'judge'}; {FIX}")
        for judge in judges:
            ident = judge.stem
            paths = {sub: folder / sub / f"{ident}.png" for sub in ("ref", "p0", "p1")}
            for sub, path in paths.items():
                if not path.is_file():
                    raise InputError(f"BAPPS {category}/{ident}: {path} is missing (its judgement {judge} "
                                     f"exists); {FIX}")
            rows.append({"category": category, "id": ident, "reference": str(paths["ref"].resolve()),
                         "p0": str(paths["p0"].resolve()), "p1": str(paths["p1"].resolve()),
                         "human_p1": _judgement(judge)})
    return pd.DataFrame(rows, columns=COLUMNS)
