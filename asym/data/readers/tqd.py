"""TQD, the texture quality database the study evaluates on.

Origin: the texture quality database of the DISTS authors (Ding, Ma, Wang, Simoncelli,
"Image Quality Assessment: Unifying Structure and Texture Similarity", IEEE TPAMI 2022),
who evaluate DISTS on it. No public release could be found: no download page, archive or
layout description, and the question where to download it is open on the DISTS
repository (https://github.com/dingkeyan93/DISTS/issues/10). A copy has to be requested
from the DISTS authors; its licence is whatever they grant with it.

So nothing about a copy's scores can be known from this package: whether a higher score
means better quality (a MOS) or worse (a distance, a DMOS) must be DECLARED in the
workflow config (``data.iqa_sets.<name>.direction: higher_better | lower_better``), and
the reader refuses to read without it rather than guess; a wrong guess would flip every
TQD correlation silently. Its scale, ``score_range: [low, high]``, is declared the same way
(required: nothing else tells a MOS file from a distance file, or a wrong column), and every
score is checked against it. ``score_column`` (optional) names the score column when the
table has several of ``mos``/``dmos``/``score``.

Layout read (the common pyiqa-style meta-information table; pack your copy so)::

    <root>/
      mos.csv                  header ref_name,dist_name,<score column> (paths relative to
                               <root>); optional columns distortion, level
      <the folders those paths point into, e.g. reference/ and distorted/>

The aliases reference/ref_img and distorted/dist_img are accepted for the path columns.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from asym.data.readers.common import DIRECTIONS, Scale, finish, number, read_csv, require_file, resolve
from asym.io import InputError

LAYOUT = """expected layout of TQD (no official layout published; see asym/data/readers/tqd.py):
  <root>/
    mos.csv                     header ref_name,dist_name,<score> (mos, dmos or score), paths
                                relative to <root>; optional columns distortion, level
    reference/<texture>.png     (any folders the paths point into)
    distorted/<name>.png
  config: data.iqa_sets.<name>.direction: higher_better | lower_better (required),
          score_range: [low, high] (required), score_column: <name> (optional)"""

LABELS = "mos.csv"
ALIASES = {"reference": ("ref_name", "reference", "ref_img"),
           "distorted": ("dist_name", "distorted", "dist_img")}
SCORE_COLUMNS = ("mos", "dmos", "score")
ORIGIN = ("the DISTS authors (Ding, Ma, Wang, Simoncelli, IEEE TPAMI 2022); no public release, "
          "see https://github.com/dingkeyan93/DISTS/issues/10")


def _column(table: pd.DataFrame, names: tuple[str, ...], labels: Path) -> str:
    for name in names:
        if name in table.columns:
            return name
    raise InputError(f"{labels} lacks a column {' / '.join(names)} (has {list(table.columns)})\n{LAYOUT}")


def _score_column(table: pd.DataFrame, score_column: str | None, labels: Path) -> str:
    if score_column is not None:
        if score_column not in table.columns:
            raise InputError(f"{labels} has no column {score_column!r} (score_column in the config; "
                             f"has {list(table.columns)})\n{LAYOUT}")
        return score_column
    present = [c for c in SCORE_COLUMNS if c in table.columns]
    if not present:
        raise InputError(f"{labels} lacks a score column {' / '.join(SCORE_COLUMNS)} (has "
                         f"{list(table.columns)}); name yours with score_column in the config\n{LAYOUT}")
    if len(present) > 1:
        raise InputError(f"{labels} has several score columns {present}; say which one to read with "
                         f"score_column in the config\n{LAYOUT}")
    return present[0]


def scale(direction: str | None, score_range=None, column: str = "score") -> Scale:
    """The declared scale of a TQD copy; refuses a missing or unknown direction or range."""
    if direction is None:
        raise InputError(
            "TQD: the direction of its scores is not declared, and a copy's files cannot tell whether a "
            "higher score means better quality (MOS) or worse (a distance, DMOS). Declare it in the "
            "workflow config: data.iqa_sets.<name>.direction: higher_better | lower_better "
            f"(as the copy's provider states; origin: {ORIGIN})")
    if direction not in DIRECTIONS:
        raise InputError(f"TQD: direction must be one of {', '.join(DIRECTIONS)}, got {direction!r} "
                         "(data.iqa_sets.<name>.direction in the workflow config)")
    if score_range is None:
        raise InputError(
            "TQD: the range of its scores is not declared; every score is checked against it, as for the "
            "published sets. Declare it in the workflow config: data.iqa_sets.<name>.score_range: [low, high] "
            f"(the scale as the copy's provider states it; origin: {ORIGIN})")
    try:
        low, high = (float(v) for v in score_range)
    except (TypeError, ValueError):
        low, high = math.nan, math.nan
    if not low < high:
        raise InputError(f"TQD: score_range must be [low, high] with low < high, got {score_range!r} "
                         "(data.iqa_sets.<name>.score_range in the workflow config)")
    return Scale(column, direction, published=(low, high))


def load_tqd(root: str | os.PathLike, direction: str | None = None, score_range=None,
             score_column: str | None = None) -> pd.DataFrame:
    """Read TQD in ``root`` with its DECLARED score ``direction`` (see the module docstring)."""
    declared = scale(direction, score_range)
    root = Path(root).resolve()
    labels = require_file(root, LABELS, LAYOUT)
    table = read_csv(labels, LAYOUT)
    ref_col = _column(table, ALIASES["reference"], labels)
    dist_col = _column(table, ALIASES["distorted"], labels)
    column = _score_column(table, score_column, labels)
    declared = Scale(column, declared.direction, declared.published)
    rows = []
    for i, record in enumerate(table.to_dict("records")):
        where = f"line {i + 2}"  # line 1 is the header
        paths = {}
        for key, col in (("reference", ref_col), ("distorted", dist_col)):
            # resolve() matches case-insensitively without following symlinks, so a symlinked
            # image folder stays under <root>, where asym.assess.score makes result paths relative.
            path = resolve(root, os.path.normpath(str(record[col]).strip()), want_dir=False)
            if not path.is_file():
                raise InputError(f"image listed in {labels} ({where}) not found: {path}\n{LAYOUT}")
            paths[key] = str(path)
        level = record.get("level", pd.NA)
        rows.append({**paths, "distortion": str(record.get("distortion", "unspecified")),
                     "level": pd.NA if pd.isna(level) else level,
                     "mos_raw": number(record[column]), "where": where})
    return finish(rows, declared, labels, LAYOUT)
