"""SwinIR super-resolution generator, written from scratch in plain PyTorch.

Source: J. Liang, J. Cao, G. Sun, K. Zhang, L. Van Gool, R. Timofte,
"SwinIR: Image Restoration Using Swin Transformer", ICCV Workshops 2021
(arXiv 2108.10257). The window attention follows Z. Liu et al., "Swin
Transformer: Hierarchical Vision Transformer using Shifted Windows", ICCV 2021.

Architecture (classical SR, "pixelshuffle" upsampler)::

    x -> (x - mean) * img_range -> conv_first -> [RSTB x len(depths)] -> norm
      -> conv_after_body (+ long skip from conv_first)
      -> conv_before_upsample (conv + LeakyReLU) -> upsample (conv + PixelShuffle)
      -> conv_last -> / img_range + mean

Each RSTB (Residual Swin Transformer Block) is a stack of Swin Transformer
layers (window multi-head self-attention with a relative position bias;
every second layer uses windows shifted by half a window) followed by a 3x3
conv, wrapped in a residual connection.

Module and parameter names, shapes and registered buffers match the official
``network_swinir.py`` so that an official checkpoint's ``params`` state dict
loads with ``strict=True``. Note that the shifted blocks' ``attn_mask`` buffer
is sized for ``img_size`` (the training patch size), so ``img_size`` must equal
the one the checkpoint was trained with (e.g. 64 for the "s64w8" classical-SR
models) for strict loading; any other input size works at run time, its mask is
computed on the fly.

Usage::

    from asym.nets.swinir import SwinIR
    net = SwinIR(upscale=4, in_chans=3, img_size=64, window_size=8, img_range=1.0,
                 depths=(6, 6, 6, 6, 6, 6), embed_dim=180, num_heads=(6, 6, 6, 6, 6, 6),
                 mlp_ratio=2.0, upsampler="pixelshuffle", resi_connection="1conv")
    net.load_state_dict(torch.load(path)["params"], strict=True)   # optional
    sr = net(lr)   # lr: float (B, 3, H, W) in [0, 1] -> (B, 3, 4H, 4W), roughly [0, 1]

Inputs of any H, W are reflection-padded to a multiple of ``window_size`` and
the output is cropped back to ``upscale * (H, W)``. The output is not clamped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from asym.nets.windows import relative_position_index, shifted_window_mask, window_partition, window_reverse

# DIV2K RGB mean used by the official model (and EDSR/RCAN before it).
RGB_MEAN = (0.4488, 0.4371, 0.4040)

__all__ = ["SwinIR", "SwinTransformerBlock", "WindowAttention"]


def _pair(value) -> tuple[int, int]:
    """Return ``value`` as an (h, w) pair; ints are repeated."""
    if isinstance(value, Sequence):
        h, w = value
        return int(h), int(w)
    return int(value), int(value)


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch per sample while training."""

    def __init__(self, drop_prob: float = 0.0):
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep = 1.0 - self.drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        # Rescale kept samples so the expected output equals the input.
        return x * x.new_empty(shape).bernoulli_(keep).div_(keep)

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


class Mlp(nn.Module):
    """Transformer feed-forward block: fc1 -> GELU -> fc2 (official names)."""

    def __init__(self, in_features: int, hidden_features: int, drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class WindowAttention(nn.Module):
    """Window multi-head self-attention with a learned relative position bias."""

    def __init__(
        self,
        dim: int,
        window_size: tuple[int, int],
        num_heads: int,
        qkv_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ):
        super().__init__()
        if dim % num_heads:
            raise ValueError(
                f"embed_dim {dim} is not divisible by num_heads {num_heads}"
            )
        self.dim = dim
        self.window_size = window_size
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        wh, ww = window_size
        # One learned bias per head for every possible relative offset.
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads)
        )
        # Persistent buffer: the official checkpoints store it, strict loading needs it.
        self.register_buffer(
            "relative_position_index", relative_position_index(window_size)
        )
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def relative_position_bias(self) -> torch.Tensor:
        """Bias for every (query, key) pair in a window, per head: (nH, N, N)."""
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        return bias.view(n, n, -1).permute(2, 0, 1).contiguous()

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x: (B*nW, N, C) tokens of B*nW windows; mask: (nW, N, N) additive or None -> (B*nW, N, C).

        softmax(q k^T * scale + bias [+ mask]) v per head, as the official code computes it.
        On CUDA the same attention runs as :func:`torch.nn.functional.scaled_dot_product_attention`
        with bias (+ mask) as its additive ``attn_mask`` (fused kernels, no (N, N) weights
        kept for the backward where the kernel allows it).
        """
        b_, n, c = x.shape
        qkv = self.qkv(x).reshape(b_, n, 3, self.num_heads, c // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B*nW, nH, N, hd)
        bias = self.relative_position_bias().unsqueeze(0)  # (1, nH, N, N)
        bias_mask = bias if mask is None else bias + mask.unsqueeze(1)  # (nW, nH, N, N)
        attend = self._attend_sdpa if x.device.type == "cuda" else self._attend
        out = attend(q, k, v, bias_mask)  # (B*nW, nH, N, hd)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b_, n, c)))

    def _attend(self, q, k, v, bias_mask: torch.Tensor) -> torch.Tensor:
        """The official graph: logits, + bias (and mask, repeated over the images), softmax, dropout."""
        b_, nh, n, _ = q.shape
        nw = bias_mask.shape[0]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = (attn.view(b_ // nw, nw, nh, n, n) + bias_mask).view(b_, nh, n, n)
        return self.attn_drop(attn.softmax(dim=-1)) @ v

    def _attend_sdpa(self, q, k, v, bias_mask: torch.Tensor) -> torch.Tensor:
        """:meth:`_attend` by PyTorch's fused attention. Windows are image-major, so (window,
        head) pairs are folded into the head axis: the (nW, nH, N, N) bias-and-mask then
        broadcasts over the images without being copied per image."""
        b_, nh, n, hd = q.shape
        nw = bias_mask.shape[0]

        def fold(t):  # (B*nW, nH, N, hd) -> (B, nW*nH, N, hd)
            return t.reshape(b_ // nw, nw * nh, n, hd)

        out = F.scaled_dot_product_attention(
            fold(q), fold(k), fold(v), attn_mask=bias_mask.reshape(1, nw * nh, n, n).to(q.dtype),
            dropout_p=self.attn_drop.p if self.training else 0.0, scale=self.scale)
        return out.view(b_, nh, n, hd)


class SwinTransformerBlock(nn.Module):
    """Pre-norm Swin layer: (shifted) window attention + MLP, both residual."""

    def __init__(
        self,
        dim: int,
        input_resolution: tuple[int, int],
        num_heads: int,
        window_size: int = 7,
        shift_size: int = 0,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
    ):
        super().__init__()
        self.dim = dim
        self.input_resolution = tuple(input_resolution)
        self.num_heads = num_heads
        self.window_size = window_size
        self.shift_size = shift_size
        self.mlp_ratio = mlp_ratio
        if min(self.input_resolution) <= self.window_size:
            # A single window covers the map: shifting would be pointless.
            # (Official behaviour; it changes the bias-table shape, so keep it.)
            self.shift_size = 0
            self.window_size = min(self.input_resolution)
        if not 0 <= self.shift_size < self.window_size:
            raise ValueError("shift_size must be in [0, window_size)")
        if self.shift_size and any(r % self.window_size for r in self.input_resolution):
            raise ValueError(
                f"img_size {self.input_resolution} must be a multiple of window_size {self.window_size}"
            )

        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(
            dim,
            (self.window_size, self.window_size),
            num_heads,
            qkv_bias,
            attn_drop,
            drop,
        )
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)

        # Mask for the training resolution; the official checkpoints store it
        # (and store nothing for unshifted blocks, where it is None).
        attn_mask = (
            self.mask_for(self.input_resolution) if self.shift_size > 0 else None
        )
        self.register_buffer("attn_mask", attn_mask)

    def mask_for(
        self, x_size: tuple[int, int], like: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Shifted-window mask for an (H, W) token map, on ``like``'s device/dtype."""
        device = like.device if like is not None else None
        dtype = like.dtype if like is not None else torch.float32
        return shifted_window_mask(
            *x_size, self.window_size, self.shift_size, device, dtype
        )

    def _mask(self, x_size: tuple[int, int], x: torch.Tensor) -> torch.Tensor | None:
        if self.shift_size == 0:
            return None
        if tuple(x_size) == self.input_resolution and self.attn_mask is not None:
            return self.attn_mask.to(dtype=x.dtype)
        return self.mask_for(x_size, x)

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        """x: (B, H*W, C) tokens of an (H, W) map, H and W multiples of window_size."""
        h, w = x_size
        b, _, c = x.shape
        ws, shift = self.window_size, self.shift_size

        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        if shift:  # cyclic shift: the shifted windows become regular windows of the rolled map
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        windows = window_partition(x, ws).view(-1, ws * ws, c)
        windows = self.attn(windows, mask=self._mask(x_size, x))
        x = window_reverse(windows.view(-1, ws, ws, c), ws, h, w)
        if shift:
            x = torch.roll(x, shifts=(shift, shift), dims=(1, 2))
        x = shortcut + self.drop_path(x.reshape(b, h * w, c))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def extra_repr(self) -> str:
        return (
            f"dim={self.dim}, input_resolution={self.input_resolution}, "
            f"num_heads={self.num_heads}, window_size={self.window_size}, "
            f"shift_size={self.shift_size}, mlp_ratio={self.mlp_ratio}"
        )


class BasicLayer(nn.Module):
    """``depth`` Swin blocks alternating regular and shifted windows."""

    def __init__(
        self,
        dim: int,
        input_resolution: tuple[int, int],
        depth: int,
        num_heads: int,
        window_size: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: Sequence[float] | float = 0.0,
    ):
        super().__init__()
        if not isinstance(drop_path, Sequence):
            drop_path = [drop_path] * depth
        self.blocks = nn.ModuleList(
            SwinTransformerBlock(
                dim,
                input_resolution,
                num_heads,
                window_size,
                shift_size=0 if i % 2 == 0 else window_size // 2,
                mlp_ratio=mlp_ratio,
                qkv_bias=qkv_bias,
                drop=drop,
                attn_drop=attn_drop,
                drop_path=drop_path[i],
            )
            for i in range(depth)
        )

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        for block in self.blocks:
            x = block(x, x_size)
        return x


def _tokens(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) feature map -> (B, H*W, C) tokens."""
    return x.flatten(2).transpose(1, 2)


def _feature_map(x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
    """(B, H*W, C) tokens -> (B, C, H, W) feature map."""
    b, _, c = x.shape
    return x.transpose(1, 2).reshape(b, c, *x_size)


class PatchEmbed(nn.Module):
    """Feature map to tokens (patch size 1, so no projection), optional LayerNorm.

    Only the model-level instance has a norm (``patch_embed.norm``); the RSTB
    instances are parameter-free, as in the official code.
    """

    def __init__(self, embed_dim: int, norm: bool = False):
        super().__init__()
        self.norm = nn.LayerNorm(embed_dim) if norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _tokens(x)
        return self.norm(x) if self.norm is not None else x


class PatchUnEmbed(nn.Module):
    """Tokens back to a feature map (inverse of :class:`PatchEmbed` without norm)."""

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        return _feature_map(x, x_size)


def _residual_conv(dim: int, resi_connection: str) -> nn.Module:
    """The conv closing each RSTB and the body: one 3x3 conv, or the cheaper 3-conv bottleneck."""
    if resi_connection == "1conv":
        return nn.Conv2d(dim, dim, 3, 1, 1)
    if resi_connection == "3conv":
        # Used by the official large real-world model to save parameters.
        return nn.Sequential(
            nn.Conv2d(dim, dim // 4, 3, 1, 1),
            nn.LeakyReLU(negative_slope=0.2, inplace=True),
            nn.Conv2d(dim // 4, dim // 4, 1, 1, 0),
            nn.LeakyReLU(negative_slope=0.2, inplace=True),
            nn.Conv2d(dim // 4, dim, 3, 1, 1),
        )
    raise ValueError(
        f"resi_connection must be '1conv' or '3conv', got {resi_connection!r}"
    )


class RSTB(nn.Module):
    """Residual Swin Transformer Block: Swin layers + conv, with a skip connection."""

    def __init__(
        self,
        dim: int,
        input_resolution: tuple[int, int],
        depth: int,
        num_heads: int,
        window_size: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: Sequence[float] | float = 0.0,
        resi_connection: str = "1conv",
    ):
        super().__init__()
        self.dim = dim
        self.input_resolution = tuple(input_resolution)
        self.residual_group = BasicLayer(
            dim,
            input_resolution,
            depth,
            num_heads,
            window_size,
            mlp_ratio,
            qkv_bias,
            drop,
            attn_drop,
            drop_path,
        )
        # The conv re-introduces a convolutional inductive bias (translation
        # equivariance) between transformer stages, as argued in the paper.
        self.conv = _residual_conv(dim, resi_connection)
        self.patch_embed = PatchEmbed(dim, norm=False)
        self.patch_unembed = PatchUnEmbed()

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        y = self.residual_group(x, x_size)
        y = self.patch_embed(self.conv(self.patch_unembed(y, x_size)))
        return x + y


class Upsample(nn.Sequential):
    """Conv + PixelShuffle stages: log2(scale) x2 stages, or one x3 stage."""

    def __init__(self, scale: int, num_feat: int):
        layers: list[nn.Module] = []
        if scale >= 2 and scale & (scale - 1) == 0:
            for _ in range(int(math.log2(scale))):
                layers += [
                    nn.Conv2d(num_feat, 4 * num_feat, 3, 1, 1),
                    nn.PixelShuffle(2),
                ]
        elif scale == 3:
            layers += [nn.Conv2d(num_feat, 9 * num_feat, 3, 1, 1), nn.PixelShuffle(3)]
        else:
            raise ValueError(f"upscale {scale} is not supported; use 2, 3, 4 or 8")
        super().__init__(*layers)


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


class SwinIR(nn.Module):
    """SwinIR for classical image super-resolution (pixelshuffle upsampler).

    Args:
        upscale: scale factor (2, 3, 4 or 8).
        in_chans: image channels (input and output).
        img_size: training LR patch size; sizes the stored shifted-window masks
            (must match a checkpoint's for strict loading), not a limit on inputs.
        window_size: attention window side, in LR pixels.
        img_range: intensity range the network works in (1.0 or 255.0 officially).
        depths: Swin layers per RSTB (one entry per RSTB).
        embed_dim: token channels; must be divisible by every ``num_heads``.
        num_heads: attention heads per RSTB.
        mlp_ratio: MLP hidden width / embed_dim.
        upsampler: only "pixelshuffle" (classical SR) is implemented.
        resi_connection: "1conv" or "3conv".
        drop_path_rate: stochastic-depth rate, linearly increasing over all blocks.
    """

    num_feat = 64  # channels of the reconstruction head (fixed in the official code)

    def __init__(
        self,
        upscale: int = 4,
        in_chans: int = 3,
        img_size: int | Sequence[int] = 64,
        window_size: int = 8,
        img_range: float = 1.0,
        depths: Sequence[int] = (6, 6, 6, 6, 6, 6),
        embed_dim: int = 180,
        num_heads: Sequence[int] = (6, 6, 6, 6, 6, 6),
        mlp_ratio: float = 2.0,
        upsampler: str = "pixelshuffle",
        resi_connection: str = "1conv",
        drop_path_rate: float = 0.1,
    ):
        super().__init__()
        depths, num_heads = (
            tuple(int(d) for d in depths),
            tuple(int(h) for h in num_heads),
        )
        if len(depths) != len(num_heads) or not depths:
            raise ValueError(
                f"depths {depths} and num_heads {num_heads} must be non-empty and equally long"
            )
        if upsampler != "pixelshuffle":
            raise ValueError(
                f"only upsampler='pixelshuffle' is implemented, got {upsampler!r}"
            )
        self.upscale = int(upscale)
        self.in_chans = int(in_chans)
        self.window_size = int(window_size)
        self.img_range = float(img_range)
        self.upsampler = upsampler
        self.embed_dim = int(embed_dim)
        self.depths, self.num_heads = depths, num_heads
        self.mlp_ratio = float(mlp_ratio)
        self.patches_resolution = _pair(img_size)  # patch size is 1
        mean = RGB_MEAN if in_chans == 3 else (0.0,)
        # Not persistent: the official model keeps it out of the state dict.
        self.register_buffer(
            "mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False
        )

        # 1. shallow features
        self.conv_first = nn.Conv2d(in_chans, embed_dim, 3, 1, 1)
        # 2. deep features
        self.patch_embed = PatchEmbed(embed_dim, norm=True)
        self.patch_unembed = PatchUnEmbed()
        self.pos_drop = nn.Dropout(0.0)
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        starts = [sum(depths[:i]) for i in range(len(depths) + 1)]
        self.layers = nn.ModuleList(
            RSTB(
                embed_dim,
                self.patches_resolution,
                depths[i],
                num_heads[i],
                self.window_size,
                self.mlp_ratio,
                drop_path=dpr[starts[i] : starts[i + 1]],
                resi_connection=resi_connection,
            )
            for i in range(len(depths))
        )
        self.norm = nn.LayerNorm(embed_dim)
        self.conv_after_body = _residual_conv(embed_dim, resi_connection)
        # 3. reconstruction
        self.conv_before_upsample = nn.Sequential(
            nn.Conv2d(embed_dim, self.num_feat, 3, 1, 1), nn.LeakyReLU(inplace=True)
        )
        self.upsample = Upsample(self.upscale, self.num_feat)
        self.conv_last = nn.Conv2d(self.num_feat, in_chans, 3, 1, 1)

        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m: nn.Module) -> None:
        # Official init: truncated-normal Linear weights, identity LayerNorms;
        # convs keep PyTorch's default (Kaiming-uniform).
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def no_weight_decay_keywords(self) -> set[str]:
        """Parameter-name fragments conventionally excluded from weight decay."""
        return {"relative_position_bias_table"}

    def check_image_size(self, x: torch.Tensor) -> torch.Tensor:
        """Reflection-pad H and W up to the next multiple of ``window_size``."""
        h, w = x.shape[-2:]
        pad_h = (self.window_size - h % self.window_size) % self.window_size
        pad_w = (self.window_size - w % self.window_size) % self.window_size
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
        return x

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Deep feature extraction: (B, C, H, W) -> (B, C, H, W)."""
        x_size = (x.shape[2], x.shape[3])
        x = self.pos_drop(self.patch_embed(x))
        for layer in self.layers:
            x = layer(x, x_size)
        return self.patch_unembed(self.norm(x), x_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) in [0, 1] -> (B, C, upscale*H, upscale*W)."""
        h, w = x.shape[-2:]
        x = self.check_image_size(x)
        mean = self.mean.to(dtype=x.dtype)
        x = (x - mean) * self.img_range

        x = self.conv_first(x)
        x = self.conv_after_body(self.forward_features(x)) + x
        x = self.conv_last(self.upsample(self.conv_before_upsample(x)))

        x = x / self.img_range + mean
        return x[:, :, : h * self.upscale, : w * self.upscale]
