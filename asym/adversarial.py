"""GAN objectives in one place: the discriminator's and the generator's loss.

    from asym.adversarial import discriminator_loss, generator_loss
    d_loss = discriminator_loss(d(real), d(fake.detach()), "nonsaturating")
    g_loss = generator_loss(d(fake), "nonsaturating")

Objectives (a plain dict, ``OBJECTIVES``):
- ``nonsaturating``: the original GAN with the generator maximising log D(fake)
  (Goodfellow et al. 2014), as binary cross-entropy on logits.
- ``hinge``: the hinge loss of SAGAN / BigGAN.
Logits may be image-level (B, 1) or patch-level (B, 1, h, w); every element counts
as one decision, so patch discriminators average over their patches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def _nonsaturating_d(real_logits, fake_logits):
    return _bce(real_logits, True) + _bce(fake_logits, False)


def _nonsaturating_g(fake_logits):
    return _bce(fake_logits, True)


def _hinge_d(real_logits, fake_logits):
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def _hinge_g(fake_logits):
    return -fake_logits.mean()


OBJECTIVES = {
    "nonsaturating": (_nonsaturating_d, _nonsaturating_g),
    "hinge": (_hinge_d, _hinge_g),
}


def _objective(name: str):
    if name not in OBJECTIVES:
        raise ValueError(f"unknown GAN objective {name!r}; known: {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, objective: str) -> torch.Tensor:
    """Loss the discriminator minimises (fake logits must come from detached images)."""
    return _objective(objective)[0](real_logits, fake_logits)


def generator_loss(fake_logits: torch.Tensor, objective: str) -> torch.Tensor:
    """Adversarial loss the generator minimises."""
    return _objective(objective)[1](fake_logits)


def accuracy(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[float, float]:
    """Fraction of real and of fake decisions the discriminator gets right (logit sign)."""
    return (real_logits > 0).float().mean().item(), (fake_logits < 0).float().mean().item()
