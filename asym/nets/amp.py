"""Autocast helpers shared by the networks' hand-written backward passes.

    from asym.nets.amp import autocast_enabled
    autocast_enabled(x.device)   # False on the meta device instead of raising
"""

from __future__ import annotations

import torch


def autocast_enabled(device: torch.device) -> bool:
    """Whether autocast is on for ``device``'s type; False for types autocast does not know
    (the ``meta`` device of the FLOP counts in :mod:`asym.tools.plan`). The hand-written backward
    passes of :mod:`asym.nets.swinir` and :mod:`asym.nets.backbones` check it to fall back
    to autograd's graph under autocast."""
    try:
        return torch.is_autocast_enabled(device.type)
    except RuntimeError:  # "unknown device type for autocast"
        return False
