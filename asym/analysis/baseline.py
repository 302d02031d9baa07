"""The bicubic baseline's rows of evaluation.csv: told apart from trained runs, put on their scale.

``python -m asym.optimize.baseline`` adds rows with ``run == "bicubic"`` and ``baseline``
True to the evaluation table. They are shown beside the runs (optimization table,
evaluator table, SR grid) so a reader sees whether training beat plain upscaling, and
left out of every ranking and test, which compare trained runs only. No torch here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from asym.analysis.stats import as_bool, normalize_evaluations

#: How the baseline is named in tables.
BASELINE_LABEL = "bicubic (baseline)"


def baseline_mask(evaluation: pd.DataFrame) -> np.ndarray:
    """True for the baseline's rows (column ``baseline``; a table without it has none)."""
    if "baseline" not in evaluation.columns:
        return np.zeros(len(evaluation), dtype=bool)
    return as_bool(evaluation["baseline"].fillna(False).to_numpy())


def trained_runs(evaluation: pd.DataFrame) -> pd.DataFrame:
    """The rows of trained runs only."""
    return evaluation[~baseline_mask(evaluation)].reset_index(drop=True)


def baseline_image_quality(evaluation: pd.DataFrame, evaluators=None) -> pd.Series:
    """The baseline's normalized quality per test image ("<dataset>/<image>"), on the runs' scale.

    Each evaluator's scores are z-scored with the mean and population s.d. of the
    trained runs' scores of that evaluator (:func:`asym.analysis.stats.normalize_evaluations`
    with the runs as reference, so adding the baseline moves no run's number) and negated
    where lower is better, then averaged per image over the
    ``evaluators`` (default: all; pass the panel the runs' quality uses). An evaluator
    whose run scores are constant gives 0. Empty Series when the table has no baseline
    rows or no runs.
    """
    runs, base = trained_runs(evaluation), evaluation[baseline_mask(evaluation)]
    if evaluators is not None:
        keep = set(map(str, evaluators))
        runs = runs[runs["evaluator"].astype(str).isin(keep)]
        base = base[base["evaluator"].astype(str).isin(keep)]
    base = base[base["evaluator"].isin(set(runs["evaluator"]))]
    if base.empty or runs.empty:
        return pd.Series(dtype=float)
    quality = normalize_evaluations(base, reference=runs)["quality"]
    image = base["dataset"].astype(str) + "/" + base["image"].astype(str)
    per_eval = quality.groupby([image, base["evaluator"]]).mean()
    return per_eval.groupby(level=0).mean()
