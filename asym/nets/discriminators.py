"""PatchGAN discriminator and a builder from a config dict.

Source: P. Isola, J.-Y. Zhu, T. Zhou, A. A. Efros, "Image-to-Image Translation
with Conditional Adversarial Networks" (pix2pix), CVPR 2017 — the
``NLayerDiscriminator``. Optional spectral normalisation after T. Miyato et al.,
"Spectral Normalization for Generative Adversarial Networks", ICLR 2018.

Layout (k4 = 4x4 conv, padding 1)::

    k4 s2 (in -> ndf), LeakyReLU(0.2)
    (n_layers - 1) x [k4 s2 (ndf*m_prev -> ndf*m), norm, LeakyReLU(0.2)],  m = min(2**n, 8)
    k4 s1 (ndf*m_prev -> ndf*m), norm, LeakyReLU(0.2),                     m = min(2**n_layers, 8)
    k4 s1 (ndf*m -> 1)                                                      -> logits

Each output logit judges one overlapping receptive-field patch (70x70 for
n_layers=3). A 64x64 input gives a 6x6 map for n_layers=3 and 14x14 for 2.

Usage::

    from asym.nets.discriminators import build_discriminator
    d = build_discriminator({"name": "patchgan", "ndf": 64, "n_layers": 3,
                             "norm": "instance", "spectral_norm": False})
    logits = d(img)   # img: float (B, 3, H, W) in [0, 1] -> (B, 1, h, w) raw logits

Inputs are expected in [0, 1] and are mapped to [-1, 1] inside ``forward``
(the range pix2pix discriminators were designed for). The output is unbounded
logits; apply a sigmoid/BCE-with-logits or hinge loss outside.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from asym.nets.generators import build_from_spec

NORMS = ("batch", "instance", "none")

__all__ = ["DISCRIMINATORS", "PatchGAN", "build_discriminator"]


def _norm_layer(norm: str, channels: int) -> nn.Module:
    """Normalisation after each inner conv (pix2pix defaults: no affine/stats for instance norm)."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


class PatchGAN(nn.Module):
    """pix2pix N-layer PatchGAN discriminator.

    Args:
        in_chans: image channels.
        ndf: filters of the first conv.
        n_layers: number of stride-2 convs (3 gives 70x70 patches).
        norm: "batch", "instance" or "none".
        spectral_norm: wrap every conv in spectral normalisation
            (parameters become ``weight_orig`` plus ``weight_u``/``weight_v`` buffers).
    """

    def __init__(
        self,
        in_chans: int = 3,
        ndf: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
        spectral_norm: bool = False,
    ):
        super().__init__()
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        self.norm_type = norm
        # A BatchNorm's shift makes a conv bias redundant, so it is dropped there
        # (as in pix2pix). pix2pix keeps it with instance norm; with no norm the
        # bias is the only offset, so it is kept too (pix2pix would drop it).
        use_bias = norm != "batch"
        sn = nn.utils.spectral_norm if spectral_norm else (lambda m: m)

        def conv(cin: int, cout: int, stride: int, bias: bool = use_bias) -> nn.Module:
            return sn(
                nn.Conv2d(cin, cout, kernel_size=4, stride=stride, padding=1, bias=bias)
            )

        layers: list[nn.Module] = [
            conv(in_chans, ndf, 2, bias=True),
            nn.LeakyReLU(0.2, True),
        ]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            layers += [
                conv(ndf * prev, ndf * mult, 2),
                _norm_layer(norm, ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        prev, mult = mult, min(2**n_layers, 8)
        layers += [
            conv(ndf * prev, ndf * mult, 1),
            _norm_layer(norm, ndf * mult),
            nn.LeakyReLU(0.2, True),
        ]
        layers += [conv(ndf * mult, 1, 1, bias=True)]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [0, 1] -> (B, 1, h, w) logits."""
        return self.model(x * 2.0 - 1.0)


DISCRIMINATORS: dict[str, type[nn.Module]] = {"patchgan": PatchGAN}


def build_discriminator(spec: Mapping) -> nn.Module:
    """Build a discriminator from ``{"name": ..., **constructor_kwargs}``.

    Unknown names and unknown keywords raise ``ValueError``.
    """
    return build_from_spec(DISCRIMINATORS, spec, "discriminator")
