"""Per-channel feature statistics of DISTS (Ding et al., TPAMI 2020), as its official code computes them.

    from asym.nets.statistics import ChannelMoments
    mx, my, vx, vy, cov = ChannelMoments()(x, y)    # x, y: (B, C, H, W) -> five (B, C)

Over the spatial positions of each image and channel: the means ``mx``, ``my``, the
variances ``vx = E[(x - mx)^2]``, ``vy``, and the covariance ``cov = E[xy] - mx my``
(the official ``DISTS_pt`` formulas, as pyiqa's ``DISTS`` has them). DISTS's texture
term compares the means, its structure term the (co)variances; see
:class:`asym.assess.fidelity.DistsStyle`. A module (not a function) so that the speed
layer can swap in a kernel for it (:mod:`asym.accel.dists`).
"""

from __future__ import annotations

import torch
from torch import nn


class ChannelMoments(nn.Module):
    """(mx, my, vx, vy, cov) of two feature maps, each (B, C)."""

    def forward(self, x: torch.Tensor, y: torch.Tensor):
        mx, my = x.mean((2, 3), keepdim=True), y.mean((2, 3), keepdim=True)
        vx = ((x - mx) ** 2).mean((2, 3))
        vy = ((y - my) ** 2).mean((2, 3))
        cov = (x * y).mean((2, 3)) - (mx * my).flatten(1)
        return mx.flatten(1), my.flatten(1), vx, vy, cov
