"""RRDBNet super-resolution generator (ESRGAN), written from scratch in plain PyTorch.

Source: X. Wang, K. Yu, S. Wu, J. Gu, Y. Liu, C. Dong, C. C. Loy, Y. Qiao, X. Tang,
"ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks", ECCV-W 2018
(arXiv 1809.00219), section 3.1: the SRResNet body with batch norm removed and its
residual blocks replaced by Residual-in-Residual Dense Blocks (RRDB), residual
scaling 0.2 and a smaller (0.1 x MSRA) initialisation.

Architecture (scale 4)::

    x -> conv_first -> [RRDB x num_block] -> conv_body (+ long skip from conv_first)
      -> nearest x2 -> conv_up1 -> LReLU -> nearest x2 -> conv_up2 -> LReLU
      -> conv_hr -> LReLU -> conv_last

    RRDB(x) = x + 0.2 * rdb3(rdb2(rdb1(x)))
    RDB(x)  = x + 0.2 * conv5([x, f1, f2, f3, f4]),  f_k = LReLU(conv_k([x, f1, ..., f_{k-1}]))

Every conv is 3x3 with padding 1 and a bias; every LeakyReLU has slope 0.2. Scale 2
and 1 (as in Real-ESRGAN's x2 model) first fold the input with a pixel-unshuffle
(factor 2 or 4), so the body always runs at 1/4 of the output resolution.

Module and parameter names follow BasicSR's ``RRDBNet`` (``conv_first``,
``body.N.rdb1.conv1`` ... ``conv5``, ``conv_body``, ``conv_up1``, ``conv_up2``,
``conv_hr``, ``conv_last``), so an official ``params_ema``/``params`` state dict
loads with ``strict=True``; the older ESRGAN repository layout (``RRDB_trunk``,
``trunk_conv``, ``upconv1``, ``HRconv``) is mapped by
:func:`asym.nets.generators.load_official`.

Usage::

    from asym.nets.rrdbnet import RRDBNet
    net = RRDBNet(num_in_ch=3, num_out_ch=3, scale=4, num_feat=64, num_block=23, num_grow_ch=32)
    sr = net(lr)   # lr: float (B, 3, H, W) in [0, 1] -> (B, 3, 4H, 4W); not clamped

Inputs are used as they are (ESRGAN works on [0, 1] images, no mean shift).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ESRGAN's residual scaling: each dense block and each RRDB adds 0.2 x its residual.
RESIDUAL_SCALE = 0.2
# ESRGAN initialises the RRDB convs with MSRA (Kaiming) weights scaled by 0.1.
INIT_SCALE = 0.1

__all__ = ["RRDB", "RRDBNet", "ResidualDenseBlock"]


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=1, padding=1, bias=True)


def _scaled_kaiming_(modules, scale: float) -> None:
    """Kaiming-normal weights times ``scale``, zero biases (ESRGAN's "smaller initialisation")."""
    for m in modules:
        nn.init.kaiming_normal_(m.weight)
        m.weight.data.mul_(scale)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convs; each sees the input and all earlier outputs."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32):
        super().__init__()
        self.conv1 = _conv(num_feat, num_grow_ch)
        self.conv2 = _conv(num_feat + num_grow_ch, num_grow_ch)
        self.conv3 = _conv(num_feat + 2 * num_grow_ch, num_grow_ch)
        self.conv4 = _conv(num_feat + 3 * num_grow_ch, num_grow_ch)
        self.conv5 = _conv(num_feat + 4 * num_grow_ch, num_feat)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)
        _scaled_kaiming_([self.conv1, self.conv2, self.conv3, self.conv4, self.conv5], INIT_SCALE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            feats.append(self.lrelu(conv(torch.cat(feats, 1))))
        return x + RESIDUAL_SCALE * self.conv5(torch.cat(feats, 1))


class RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks inside a scaled residual."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + RESIDUAL_SCALE * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
    """ESRGAN generator.

    Args:
        num_in_ch, num_out_ch: image channels in and out.
        scale: upscaling factor, 4 (ESRGAN), 2 or 1 (Real-ESRGAN's pixel-unshuffle variants).
        num_feat: channels of the trunk (64 in ESRGAN).
        num_block: number of RRDBs (23 in ESRGAN).
        num_grow_ch: growth channels of each dense conv (32 in ESRGAN).
        upscale: alias of ``scale`` so that a config's generator section, which names
            the factor ``upscale`` for every generator, builds this one too. When
            given it wins over a default ``scale``; a different explicit ``scale``
            is an error.
    """

    def __init__(
        self,
        num_in_ch: int = 3,
        num_out_ch: int = 3,
        scale: int = 4,
        num_feat: int = 64,
        num_block: int = 23,
        num_grow_ch: int = 32,
        upscale: int | None = None,
    ):
        super().__init__()
        if upscale is not None:
            if scale != 4 and scale != upscale:
                raise ValueError(f"scale={scale} and upscale={upscale} disagree; give one of them")
            scale = upscale
        if scale not in (1, 2, 4):
            raise ValueError(f"RRDBNet supports scale 1, 2 or 4, got {scale}")
        self.scale = self.upscale = scale
        # Scale 2 / 1 fold 2x2 / 4x4 pixel blocks into channels, so the x4 body fits.
        self.unshuffle = {4: 1, 2: 2, 1: 4}[scale]
        self.conv_first = _conv(num_in_ch * self.unshuffle**2, num_feat)
        self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = _conv(num_feat, num_feat)
        self.conv_up1 = _conv(num_feat, num_feat)
        self.conv_up2 = _conv(num_feat, num_feat)
        self.conv_hr = _conv(num_feat, num_feat)
        self.conv_last = _conv(num_feat, num_out_ch)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C_out, scale * H, scale * W); H, W divisible by 4 / scale."""
        if self.unshuffle > 1:
            h, w = x.shape[-2:]
            if h % self.unshuffle or w % self.unshuffle:
                raise ValueError(
                    f"RRDBNet scale {self.scale} needs H, W divisible by {self.unshuffle}, got {h}x{w}"
                )
            x = F.pixel_unshuffle(x, self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))
