"""A training run whose loss stops being finite: detected, kept, counted (claim C4's stability).

    from asym.optimize.divergence import diverged, snapshot, last_good_state
    start = snapshot(gen_net, disc, step)            # once, before the first step of a job
    if diverged(total, loss_d):                      # after each step's all-reduce
        good = last_good_state(ckpt_path, start)     # what final.pt then holds

Why: the least stable designs are the ones whose runs diverge. A run that raised at
that moment left no log, no ``final.pt`` and no evaluation, so exactly those runs
vanished from every table and test, and the comparison looked more stable than it was.
Instead :mod:`asym.optimize.train_sr` writes the log (with the diverging step), keeps
the last good weights as ``final.pt``, marks the run record ``diverged`` and exits 0;
evaluation scores those weights and :mod:`asym.optimize.stability` flags the run.

"Last good" is the newest state whose generator weights are all finite: the run's
``checkpoint.pt`` (saved every ``checkpoint_every`` steps), else the state the job
started from (the pretrained or drawn start, or the checkpoint it resumed).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from asym import checkpoint


def diverged(*values: float) -> bool:
    """True when any of the step's losses is NaN or infinite (a term the run lacks is passed as None)."""
    return any(v is not None and not math.isfinite(v) for v in values)


def _cpu_state(module) -> dict | None:
    if module is None:
        return None
    return {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}


def snapshot(gen_net, disc, step: int) -> dict:
    """The job's starting weights (CPU copies): the fallback when no checkpoint is newer."""
    return {"step": int(step), "generator": _cpu_state(gen_net), "discriminator": _cpu_state(disc)}


def all_finite(state: dict | None) -> bool:
    """Every floating-point tensor of a state dict is finite (None, i.e. no network, counts as finite)."""
    if state is None:
        return True
    return all(torch.isfinite(v).all() for v in state.values() if torch.is_tensor(v) and v.is_floating_point())


def last_good_state(ckpt_path: Path, start: dict, ckpt_format: str) -> dict:
    """``{"step", "generator", "discriminator"}`` of the newest state with finite generator weights.

    Raises :class:`FloatingPointError` naming the files when neither the checkpoint nor the
    starting weights are finite (a pretrained start that is itself broken).
    """
    candidates = []
    if Path(ckpt_path).is_file():
        saved = checkpoint.load(ckpt_path, ckpt_format)
        candidates.append({"step": saved["step"], "generator": saved["generator"],
                           "discriminator": saved.get("discriminator")})
    candidates.append(start)
    for state in sorted(candidates, key=lambda s: -s["step"]):
        if all_finite(state["generator"]):
            return state
    raise FloatingPointError(f"the run diverged and neither {ckpt_path} nor its starting weights are finite; "
                             "check the pretrained generator it starts from (spec 'init')")
