"""The distortion type of each image of an IQA set with level labels (the synthetic set).

Its own module (pandas only) because both the assessment job and the claim analysis read
it, and neither should depend on the other's code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from asym.io import InputError


def read_distortion_labels(path: Path) -> pd.DataFrame:
    """``distorted, distortion`` of an IQA set's label file (paths relative to the set's root)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"label file not found: {path} (--within-type needs the set's scores.csv)")
    labels = pd.read_csv(path)
    missing = {"distorted", "distortion"} - set(labels.columns)
    if missing:
        raise InputError(f"{path} lacks columns {sorted(missing)}; --within-type needs each image's distortion type")
    if labels["distorted"].duplicated().any():
        dup = labels.loc[labels["distorted"].duplicated(), "distorted"].iloc[0]
        raise InputError(f"{path} lists {dup!r} twice")
    return labels[["distorted", "distortion"]]
