"""Training logs of the SR runs, shared by the figures that plot them.

Kept apart from the figure modules so that editing one figure reruns only that
figure: :mod:`asym.report.figures.training`, :mod:`asym.report.figures.stability` and
:mod:`asym.report.figures.sr_grid` import these helpers, not each other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError
from asym.optimize.instability import read_log
from asym.optimize.runrecord import read_run_record


def load_logs(paths) -> pd.DataFrame:
    """Concatenate train logs, adding ``run``, ``fidelity``, ``setting``, ``adversarial``.

    Each log is read by the one train-log reader (:func:`asym.optimize.instability.read_log`),
    and what the run was comes from the ``run.json`` beside it
    (:func:`asym.optimize.runrecord.read_run_record`); run names are never parsed.
    """
    frames = []
    for p in map(Path, paths):
        log = read_log(p)
        record = read_run_record(p.parent)
        traits = record["traits"]
        log["run"] = record["run"]
        log["fidelity"] = str(traits["fidelity"])
        log["setting"] = str(traits["setting"])
        log["adversarial"] = bool(traits["adversarial"])
        frames.append(log)
    if not frames:
        raise InputError("no training logs given")
    return pd.concat(frames, ignore_index=True)


def smooth(y: pd.Series) -> pd.Series:
    window = max(1, len(y) // 20)
    return y.rolling(window, center=True, min_periods=1).mean()


def minor_label(v: float, _pos=None) -> str:
    mantissa = round(v / 10 ** np.floor(np.log10(v)), 6) if v > 0 else 0
    return f"{v:g}" if mantissa in (2, 3, 5) else ""
