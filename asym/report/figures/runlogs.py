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


def parse_run_name(name: str) -> tuple[str, str]:
    """(fidelity, setting) from "<fidelity>__<setting>__s<seed>"; else (name, "")."""
    parts = name.split("__")
    if len(parts) >= 3 and parts[-1].startswith("s"):
        return "__".join(parts[:-2]), parts[-2]
    return name, ""


def load_logs(paths) -> pd.DataFrame:
    """Concatenate train logs, adding ``run``, ``fidelity``, ``setting``, ``adversarial``."""
    frames = []
    for p in map(Path, paths):
        if not p.is_file():
            raise InputError(f"training log not found: {p}")
        log = pd.read_csv(p)
        if "step" not in log or "loss_fidelity" not in log:
            raise InputError(f"{p} lacks the columns step / loss_fidelity")
        run = p.parent.name
        fidelity, setting = parse_run_name(run)
        gan = pd.to_numeric(log.get("loss_gan", pd.Series(dtype=float)), errors="coerce")
        log["run"] = run
        log["fidelity"] = fidelity
        log["setting"] = setting
        # GAN columns are empty for runs without an adversarial term
        log["adversarial"] = bool(np.isfinite(gan).any())
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
