"""GAN discriminators for super-resolution, and a builder from a config dict.

Every discriminator takes images in [0, 1], (B, C, H, W), and returns raw logits:
image-level designs (B, 1), patch/pixel-level designs (B, 1, h, w). Apply a GAN
objective from :mod:`asym.optimize.adversarial` outside. Designs (``DISCRIMINATORS``):

- ``patchgan``: pix2pix's N-layer PatchGAN (Isola et al., CVPR 2017), :class:`PatchGAN`.
- ``vgg``: ESRGAN's image-level VGG-style discriminator (Wang et al., ECCV-W 2018),
  :class:`VGGStyleDiscriminator`, generalised to any input size by adaptive pooling.
- ``unet``: Real-ESRGAN's U-Net discriminator with spectral normalisation and skip
  connections, one logit per pixel (Wang et al., ICCV-W 2021), :class:`UNetDiscriminatorSN`.
- ``vit``: a small Vision-Transformer discriminator with a CLS-token logit
  (Dosovitskiy et al., ICLR 2021 architecture), :class:`ViTDiscriminator`.
- ``projected``: trainable heads on a frozen feature backbone from
  :func:`asym.nets.backbones.build_backbone` (after Sauer et al., "Projected GANs
  Converge Faster", NeurIPS 2021), image- or patch-level, :class:`ProjectedDiscriminator`.

Spectral normalisation: T. Miyato et al., ICLR 2018 (``torch.nn.utils.spectral_norm``:
parameters become ``weight_orig`` plus ``weight_u``/``weight_v`` buffers).

**Feature trunk.** Each discriminator has ``trunk()``, which returns its
feature-extracting part as an ``nn.Module`` sharing the discriminator's parameters
(the conv trunk, the U-Net encoder, the ViT encoder, the projected backbone). It
follows the contract of :func:`asym.nets.backbones.build_backbone`: ``trunk(x)`` takes
images in [0, 1] and returns a list ``[x, stage1, stage2, ...]`` of (B, C_i, h_i, w_i)
feature maps, and ``trunk.channels`` gives each entry's channels. The later transfer
stage reuses it as an IQA backbone.

PatchGAN layout (k4 = 4x4 conv, padding 1)::

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
    feats = d.trunk()(img)   # [img, stage1, ...]

Inputs are mapped to [-1, 1] inside ``forward`` (the range pix2pix/ESRGAN-style
discriminators were designed for), except by ``projected``, whose backbone applies
its own ImageNet normalisation to [0, 1] inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from asym.nets.registry import build_from_spec

NORMS = ("batch", "instance", "none")

__all__ = [
    "DISCRIMINATORS",
    "PatchGAN",
    "ProjectedDiscriminator",
    "UNetDiscriminatorSN",
    "VGGStyleDiscriminator",
    "ViTDiscriminator",
    "build_discriminator",
]


def _to_symmetric(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1]."""
    return x * 2.0 - 1.0


def _maybe_sn(enabled: bool):
    return nn.utils.spectral_norm if enabled else (lambda m: m)


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

    def trunk(self) -> nn.Module:
        """Every layer but the last conv; features after each LeakyReLU (shares parameters)."""
        return _PatchGANTrunk(self)


class _PatchGANTrunk(nn.Module):
    """View on a PatchGAN's layers without its final conv; keys match the PatchGAN's."""

    def __init__(self, disc: PatchGAN):
        super().__init__()
        self.model = nn.Sequential(*list(disc.model)[:-1])
        convs = [m for m in self.model.modules() if isinstance(m, nn.Conv2d)]
        self.channels = [convs[0].in_channels, *(c.out_channels for c in convs)]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats, h = [x], _to_symmetric(x)
        for layer in self.model:
            h = layer(h)
            if isinstance(layer, nn.LeakyReLU):
                feats.append(h)
        return feats


# --------------------------------------------------------------------------- ESRGAN VGG-style


class _VGGFeatures(nn.Module):
    """ESRGAN's VGG-style conv trunk: five stages of [3x3 s1 conv, 4x4 s2 conv], BN, LeakyReLU(0.2).

    Layer names follow BasicSR's ``VGGStyleDiscriminator`` (``conv0_0``, ``conv0_1``,
    ``bn0_1``, ... ``conv4_1``, ``bn4_1``). Returns ``[x, stage0, ..., stage4]``; stage k
    has ``num_feat * (1, 2, 4, 8, 8)[k]`` channels at 1/2**(k+1) of the input size.
    """

    MULTS = (1, 2, 4, 8, 8)

    def __init__(self, in_chans: int, num_feat: int):
        super().__init__()
        chans = [num_feat * m for m in self.MULTS]
        self.channels = [in_chans, *chans]
        prev = in_chans
        for k, c in enumerate(chans):
            # The first conv has a bias and no norm (its input is the image); the others
            # are followed by batch norm, which makes a bias redundant.
            setattr(self, f"conv{k}_0", nn.Conv2d(prev, c, 3, 1, 1, bias=k == 0))
            if k > 0:
                setattr(self, f"bn{k}_0", nn.BatchNorm2d(c, affine=True))
            setattr(self, f"conv{k}_1", nn.Conv2d(c, c, 4, 2, 1, bias=False))
            setattr(self, f"bn{k}_1", nn.BatchNorm2d(c, affine=True))
            prev = c
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats, h = [x], _to_symmetric(x)
        for k in range(len(self.MULTS)):
            h = getattr(self, f"conv{k}_0")(h)
            if k > 0:
                h = getattr(self, f"bn{k}_0")(h)
            h = self.lrelu(h)
            h = self.lrelu(getattr(self, f"bn{k}_1")(getattr(self, f"conv{k}_1")(h)))
            feats.append(h)
        return feats


class VGGStyleDiscriminator(nn.Module):
    """ESRGAN's image-level ("vanilla") VGG-style discriminator, for any input size.

    ESRGAN (and BasicSR's ``VGGStyleDiscriminator``) judge 128x128 crops: five
    stride-2 stages reduce them to a 4x4 map of ``8 * num_feat`` channels, flattened
    into ``linear1`` (-> 100) -> LeakyReLU(0.2) -> ``linear2`` (-> 1). Here an
    adaptive average pooling to ``pool_size`` x ``pool_size`` sits before the linear
    head, so any input of at least 32 px works; at 128 px with ``pool_size=4`` the
    pooling is the identity and the network is ESRGAN's. (Smaller inputs are
    up-sampled by the pooling: a 64 px crop's 2x2 map is repeated to 4x4.)

    Args:
        in_chans: image channels.
        num_feat: channels of the first stage (64 in ESRGAN).
        pool_size: side of the pooled map fed to the linear head (4 in ESRGAN).
        hidden: width of the hidden linear layer (100 in ESRGAN).

    Output: (B, 1) logits. Inputs in [0, 1].
    """

    def __init__(self, in_chans: int = 3, num_feat: int = 64, pool_size: int = 4, hidden: int = 100):
        super().__init__()
        if pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {pool_size}")
        self.features = _VGGFeatures(in_chans, num_feat)
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.linear1 = nn.Linear(self.features.channels[-1] * pool_size**2, hidden)
        self.linear2 = nn.Linear(hidden, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [0, 1], H, W >= 32 -> (B, 1) logits."""
        if min(x.shape[-2:]) < 32:
            raise ValueError(f"VGGStyleDiscriminator needs inputs of at least 32x32, got {tuple(x.shape[-2:])}")
        h = self.pool(self.features(x)[-1]).flatten(1)
        return self.linear2(self.lrelu(self.linear1(h)))

    def trunk(self) -> nn.Module:
        """The conv trunk (``self.features``): [x, stage0, ..., stage4]."""
        return self.features


# --------------------------------------------------------------------------- Real-ESRGAN U-Net


class _UNetEncoder(nn.Module):
    """Down-sampling half of the U-Net discriminator: [x, x0, x1, x2, x3]."""

    def __init__(self, in_chans: int, num_feat: int, spectral_norm: bool):
        super().__init__()
        sn = _maybe_sn(spectral_norm)
        self.channels = [in_chans, num_feat, num_feat * 2, num_feat * 4, num_feat * 8]
        # The first conv sees the image and stays unnormalised (as in Real-ESRGAN).
        self.conv0 = nn.Conv2d(in_chans, num_feat, 3, 1, 1)
        self.conv1 = sn(nn.Conv2d(num_feat, num_feat * 2, 4, 2, 1, bias=False))
        self.conv2 = sn(nn.Conv2d(num_feat * 2, num_feat * 4, 4, 2, 1, bias=False))
        self.conv3 = sn(nn.Conv2d(num_feat * 4, num_feat * 8, 4, 2, 1, bias=False))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x0 = F.leaky_relu(self.conv0(_to_symmetric(x)), 0.2)
        x1 = F.leaky_relu(self.conv1(x0), 0.2)
        x2 = F.leaky_relu(self.conv2(x1), 0.2)
        x3 = F.leaky_relu(self.conv3(x2), 0.2)
        return [x, x0, x1, x2, x3]


class UNetDiscriminatorSN(nn.Module):
    """Real-ESRGAN's U-Net discriminator with spectral normalisation; one logit per pixel.

    Source: X. Wang, L. Xie, C. Dong, Y. Shan, "Real-ESRGAN: Training Real-World Blind
    Super-Resolution with Pure Synthetic Data", ICCV-W 2021, section 3.3. Layout::

        encoder: conv0 3x3 (in -> F) | conv1, conv2, conv3: 4x4 s2 (F -> 2F -> 4F -> 8F)
        decoder: [bilinear x2, 3x3 conv, + skip] x 3 (8F -> 4F -> 2F -> F; skips x2, x1, x0)
        refine:  conv7, conv8 3x3 (F -> F) -> conv9 3x3 (F -> 1)

    LeakyReLU(0.2) after every conv but the last; spectral norm on every conv but the
    first and the last. Decoder features are resized to their skip's size (instead of
    a fixed x2), so inputs need not be multiples of 8.

    Args:
        in_chans: image channels.
        num_feat: channels of the first conv (64 in Real-ESRGAN).
        skip_connection: add the encoder features to the decoder's (True in Real-ESRGAN).
        spectral_norm: wrap conv1..conv8 in spectral normalisation (True in Real-ESRGAN).

    Output: (B, 1, H, W) logits, inputs in [0, 1]. ``trunk()`` is the encoder.
    """

    def __init__(self, in_chans: int = 3, num_feat: int = 64, skip_connection: bool = True,
                 spectral_norm: bool = True):
        super().__init__()
        sn = _maybe_sn(spectral_norm)
        self.skip_connection = skip_connection
        self.encoder = _UNetEncoder(in_chans, num_feat, spectral_norm)
        self.conv4 = sn(nn.Conv2d(num_feat * 8, num_feat * 4, 3, 1, 1, bias=False))
        self.conv5 = sn(nn.Conv2d(num_feat * 4, num_feat * 2, 3, 1, 1, bias=False))
        self.conv6 = sn(nn.Conv2d(num_feat * 2, num_feat, 3, 1, 1, bias=False))
        self.conv7 = sn(nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=False))
        self.conv8 = sn(nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=False))
        self.conv9 = nn.Conv2d(num_feat, 1, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [0, 1], H, W >= 8 -> (B, 1, H, W) logits."""
        if min(x.shape[-2:]) < 8:
            raise ValueError(f"UNetDiscriminatorSN needs inputs of at least 8x8, got {tuple(x.shape[-2:])}")
        _, x0, x1, x2, h = self.encoder(x)
        for conv, skip in ((self.conv4, x2), (self.conv5, x1), (self.conv6, x0)):
            h = F.interpolate(h, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            h = F.leaky_relu(conv(h), 0.2)
            if self.skip_connection:
                h = h + skip
        h = F.leaky_relu(self.conv7(h), 0.2)
        h = F.leaky_relu(self.conv8(h), 0.2)
        return self.conv9(h)

    def trunk(self) -> nn.Module:
        """The encoder (``self.encoder``): [x, x0, x1, x2, x3]."""
        return self.encoder


# --------------------------------------------------------------------------- ViT


class _ViTBlock(nn.Module):
    """Pre-norm transformer encoder block: x + MSA(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float):
        super().__init__()
        self.num_heads = num_heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v)  # (B, heads, N, d_head)
        x = x + self.proj(attn.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class _ViTEncoder(nn.Module):
    """Patch embedding + CLS token + learned position embedding + transformer blocks.

    ``forward`` gives the backbone contract (``[x, block1 map, ..., blockD map]``, each
    the patch tokens as (B, embed_dim, H/p, W/p), CLS dropped); ``tokens`` gives the last
    block's full token sequence (B, 1 + N, embed_dim) with the CLS token first.
    """

    def __init__(self, in_chans: int, img_size: int, patch_size: int, embed_dim: int, depth: int,
                 num_heads: int, mlp_ratio: float):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} must be a multiple of patch_size {patch_size}")
        self.patch_size = patch_size
        self.grid = img_size // patch_size
        self.channels = [in_chans, *([embed_dim] * depth)]
        self.patch_embed = nn.Conv2d(in_chans, embed_dim, patch_size, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid**2, embed_dim))
        self.blocks = nn.ModuleList(_ViTBlock(embed_dim, num_heads, mlp_ratio) for _ in range(depth))
        # ViT initialisation: truncated normal (std 0.02) for embeddings and linear layers.
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def _pos_embed(self, gh: int, gw: int) -> torch.Tensor:
        """Position embedding for a gh x gw patch grid (bicubic resampling of the learned one)."""
        if (gh, gw) == (self.grid, self.grid):
            return self.pos_embed
        cls_pos, grid_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        d = grid_pos.shape[-1]
        grid_pos = grid_pos.reshape(1, self.grid, self.grid, d).permute(0, 3, 1, 2)
        grid_pos = F.interpolate(grid_pos, size=(gh, gw), mode="bicubic", align_corners=False)
        return torch.cat([cls_pos, grid_pos.flatten(2).transpose(1, 2)], 1)

    def _run(self, x: torch.Tensor) -> tuple[list[torch.Tensor], int, int]:
        h, w = x.shape[-2:]
        if h % self.patch_size or w % self.patch_size:
            raise ValueError(f"ViT discriminator needs H, W divisible by patch_size {self.patch_size}, got {h}x{w}")
        tok = self.patch_embed(_to_symmetric(x))  # (B, D, gh, gw)
        gh, gw = tok.shape[-2:]
        tok = tok.flatten(2).transpose(1, 2)
        tok = torch.cat([self.cls_token.expand(tok.shape[0], -1, -1), tok], 1) + self._pos_embed(gh, gw)
        outs = []
        for block in self.blocks:
            tok = block(tok)
            outs.append(tok)
        return outs, gh, gw

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)[0][-1]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outs, gh, gw = self._run(x)
        return [x, *(t[:, 1:].transpose(1, 2).reshape(t.shape[0], -1, gh, gw) for t in outs)]


class ViTDiscriminator(nn.Module):
    """A small Vision-Transformer discriminator with one image-level logit.

    Architecture of ViT (A. Dosovitskiy et al., "An Image is Worth 16x16 Words",
    ICLR 2021) at discriminator size: non-overlapping ``patch_size`` patches embedded by
    a strided conv, a learned CLS token and position embedding, ``depth`` pre-norm
    transformer blocks (multi-head self-attention, GELU MLP), LayerNorm, and a linear
    head on the CLS token. The position embedding is learned for ``img_size`` and
    resampled bicubically for other sizes (any multiple of ``patch_size`` works).

    Args:
        in_chans: image channels.
        img_size: side the position embedding is learned for (the training crop).
        patch_size, embed_dim, depth, num_heads, mlp_ratio: the usual ViT sizes.

    Output: (B, 1) logits, inputs in [0, 1]. ``trunk()`` is the encoder (all but the
    final norm and head).
    """

    def __init__(self, in_chans: int = 3, img_size: int = 64, patch_size: int = 8, embed_dim: int = 64,
                 depth: int = 4, num_heads: int = 4, mlp_ratio: float = 4.0):
        super().__init__()
        self.encoder = _ViTEncoder(in_chans, img_size, patch_size, embed_dim, depth, num_heads, mlp_ratio)
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, 1)
        nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [0, 1], H, W multiples of patch_size -> (B, 1) logits."""
        return self.head(self.norm(self.encoder.tokens(x)[:, 0]))

    def trunk(self) -> nn.Module:
        """The ViT encoder (``self.encoder``): [x, block1, ..., blockD] as token maps."""
        return self.encoder


# --------------------------------------------------------------------------- projected


PROJECTED_HEADS = ("image", "patch")


class ProjectedDiscriminator(nn.Module):
    """Trainable heads on a frozen feature backbone (a projected discriminator).

    After A. Sauer, K. Chitta, J. Mueller, A. Geiger, "Projected GANs Converge Faster",
    NeurIPS 2021: real and generated images are projected into the feature space of a
    fixed network and only small discriminator heads are trained. The backbone comes
    from :func:`asym.nets.backbones.build_backbone` (``vgg16``, a timm CNN such as
    ``resnet50``, or whatever that module provides), random (``init: random`` under
    ``init_seed``) or pre-trained (``init: imagenet`` with a local ``weights`` file).
    It stays frozen and in eval mode whatever ``train()`` / ``requires_grad_()`` are
    called with, but gradients flow through it to the input image (the generator
    needs them). Projected GANs' fixed random channel/scale mixing layers and
    differentiable augmentation are not included.

    Heads (``head``):

    - ``image``: each selected stage is global-average-pooled; the concatenation goes
      through an MLP (Linear -> LeakyReLU(0.2) -> Linear) to one logit: (B, 1).
    - ``patch``: per selected stage, a 3x3 conv (-> ``hidden``) -> LeakyReLU(0.2) -> 1x1
      conv (-> 1) gives a logit map; maps are resized (bilinear) to the finest selected
      stage's grid and averaged: (B, 1, h, w), h, w of that stage.

    Args:
        backbone, init, init_seed, weights: passed to ``build_backbone``.
        stages: indices into the backbone's feature list (0 is the input image, so
            1 is the first stage); e.g. (2, 3) for VGG-16's relu2_2 and relu3_3.
        head: "image" or "patch".
        hidden: width of the MLP / of the 3x3 convs.
        spectral_norm: spectral normalisation on the head layers (as projected GANs do).
        finetune: the backbone's weights train with the heads. Then this is
            not a projected discriminator but an ordinary one on a pre-trained network; the
            transfer stage reuses such a backbone as its ``disc`` init of that network.

    ``trunk()`` is the backbone. Its state is part of ``state_dict()`` (so a saved
    discriminator is self-contained); it never changes in training unless ``finetune``.
    """

    def __init__(self, backbone: str = "vgg16", init: str = "random", init_seed: int = 0,
                 weights: str | None = None, stages: Sequence[int] = (2, 3), head: str = "patch",
                 hidden: int = 64, spectral_norm: bool = True, finetune: bool = False):
        super().__init__()
        self.finetune = bool(finetune)
        # Imported here: only this design needs the backbones (timm/torchvision).
        from asym.nets.backbones import build_backbone

        if head not in PROJECTED_HEADS:
            raise ValueError(f"head must be one of {PROJECTED_HEADS}, got {head!r}")
        self.backbone = build_backbone(backbone, init=init, init_seed=init_seed, weights=weights)
        channels = list(self.backbone.channels)
        self.stages = [int(s) for s in stages]
        if not self.stages or any(not 1 <= s < len(channels) for s in self.stages):
            raise ValueError(
                f"stages must be non-empty indices in 1..{len(channels) - 1} of backbone {backbone!r} "
                f"(channels {channels}), got {list(stages)}"
            )
        self.head_type = head
        sn = _maybe_sn(spectral_norm)
        if head == "image":
            width = sum(channels[s] for s in self.stages)
            self.head = nn.Sequential(sn(nn.Linear(width, hidden)), nn.LeakyReLU(0.2, True),
                                      sn(nn.Linear(hidden, 1)))
        else:
            self.head = nn.ModuleList(
                nn.Sequential(sn(nn.Conv2d(channels[s], hidden, 3, 1, 1)), nn.LeakyReLU(0.2, True),
                              sn(nn.Conv2d(hidden, 1, 1)))
                for s in self.stages
            )
        self._freeze_backbone()

    def _freeze_backbone(self) -> None:
        if self.finetune:
            self.backbone.requires_grad_(True)  # build_backbone returns it frozen
            return
        self.backbone.eval()
        self.backbone.requires_grad_(False)

    def train(self, mode: bool = True):
        super().train(mode)
        # Batch-norm statistics never move, finetune or not: real and generated batches pass
        # separately, and batch statistics would tell them apart.
        self.backbone.eval()
        return self

    def requires_grad_(self, requires_grad: bool = True):
        super().requires_grad_(requires_grad)
        if not self.finetune:
            self.backbone.requires_grad_(False)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, 1) (image head) or (B, 1, h, w) (patch head) logits."""
        feats = self.backbone(x)
        picked = [feats[s] for s in self.stages]
        if self.head_type == "image":
            return self.head(torch.cat([f.mean(dim=(2, 3)) for f in picked], 1))
        size = max((f.shape[-2:] for f in picked), key=lambda hw: hw[0] * hw[1])
        maps = [
            F.interpolate(m, size=size, mode="bilinear", align_corners=False) if m.shape[-2:] != size else m
            for m in (head(f) for head, f in zip(self.head, picked))
        ]
        return torch.stack(maps, 0).mean(0)

    def trunk(self) -> nn.Module:
        """The frozen backbone (``self.backbone``), the build_backbone contract itself."""
        return self.backbone


DISCRIMINATORS: dict[str, type[nn.Module]] = {
    "patchgan": PatchGAN,
    "vgg": VGGStyleDiscriminator,
    "unet": UNetDiscriminatorSN,
    "vit": ViTDiscriminator,
    "projected": ProjectedDiscriminator,
}


def build_discriminator(spec: Mapping) -> nn.Module:
    """Build a discriminator from ``{"name": ..., **constructor_kwargs}``.

    Unknown names and unknown keywords raise ``ValueError``.
    """
    return build_from_spec(DISCRIMINATORS, spec, "discriminator")
