"""GAN objectives in one place: the discriminator's and the generator's loss.

    from asym.optimize.adversarial import discriminator_loss, generator_loss, needs_real_logits
    d_loss = discriminator_loss(d(real), d(fake.detach()), "nonsaturating")
    g_loss = generator_loss(d(fake), "nonsaturating")
    g_loss = generator_loss(d(fake), "relativistic", real_logits=d(real).detach())

Objectives (a plain dict, ``OBJECTIVES``):
- ``nonsaturating``: the original GAN with the generator maximising log D(fake)
  (Goodfellow et al. 2014), as binary cross-entropy on logits.
- ``hinge``: the hinge loss of SAGAN / BigGAN.
- ``relativistic``: the relativistic average GAN (RaGAN; Jolicoeur-Martineau, ICLR
  2019) that ESRGAN uses. With C the raw logits and D_Ra(a, b) = sigmoid(C(a) - E[C(b)]),
  the discriminator minimises -E[log D_Ra(real, fake)] - E[log(1 - D_Ra(fake, real))],
  the generator the mirror image -E[log(1 - D_Ra(real, fake))] - E[log D_Ra(fake, real)].
  The generator's loss therefore needs the real logits too (pass them detached), and
  ``needs_real_logits`` says which objectives do. The generator's two terms are
  averaged (as BasicSR's ESRGAN does; the paper writes their sum), so a GAN weight has
  the scale of a single cross-entropy term as with ``nonsaturating``; the
  discriminator's two terms are summed like those of ``nonsaturating``.
Logits may be image-level (B, 1) or patch-level (B, 1, h, w); every element counts
as one decision, so patch discriminators average over their patches, and the
relativistic average E[C(.)] is taken over every element of the other batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def _nonsaturating_d(real_logits, fake_logits):
    return _bce(real_logits, True) + _bce(fake_logits, False)


def _nonsaturating_g(fake_logits, real_logits=None):
    return _bce(fake_logits, True)


def _hinge_d(real_logits, fake_logits):
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def _hinge_g(fake_logits, real_logits=None):
    return -fake_logits.mean()


def _relativistic_d(real_logits, fake_logits):
    return _bce(real_logits - fake_logits.mean(), True) + _bce(fake_logits - real_logits.mean(), False)


def _relativistic_g(fake_logits, real_logits):
    return 0.5 * (_bce(real_logits - fake_logits.mean(), False) + _bce(fake_logits - real_logits.mean(), True))


OBJECTIVES = {
    "nonsaturating": (_nonsaturating_d, _nonsaturating_g),
    "hinge": (_hinge_d, _hinge_g),
    "relativistic": (_relativistic_d, _relativistic_g),
}
# Objectives whose generator loss compares fakes with reals.
RELATIVISTIC = frozenset({"relativistic"})


def _objective(name: str):
    if name not in OBJECTIVES:
        raise ValueError(f"unknown GAN objective {name!r}; known: {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]


def needs_real_logits(objective: str) -> bool:
    """Whether ``generator_loss`` needs ``real_logits`` for this objective."""
    _objective(objective)
    return objective in RELATIVISTIC


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, objective: str) -> torch.Tensor:
    """Loss the discriminator minimises (fake logits must come from detached images)."""
    return _objective(objective)[0](real_logits, fake_logits)


def generator_loss(fake_logits: torch.Tensor, objective: str, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """Adversarial loss the generator minimises.

    ``real_logits`` (the discriminator on real images, detached) is required by the
    relativistic objective and ignored by the others.
    """
    g_loss = _objective(objective)[1]
    if real_logits is None and objective in RELATIVISTIC:
        raise ValueError(
            f"GAN objective {objective!r} compares fakes with reals: pass real_logits=disc(real).detach()"
        )
    return g_loss(fake_logits, real_logits)


def accuracy(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[float, float]:
    """Fraction of real and of fake decisions the discriminator gets right (logit sign)."""
    return (real_logits > 0).float().mean().item(), (fake_logits < 0).float().mean().item()
