"""Window bookkeeping of Swin Transformers (Liu et al., ICCV 2021), as SwinIR's official code does it.

    from asym.nets.windows import window_partition, window_reverse, shifted_window_mask
    windows = window_partition(x, 8)          # (B, H, W, C) -> (B * nW, 8, 8, C)
    x = window_reverse(windows, 8, H, W)      # and back
    mask = shifted_window_mask(H, W, 8, 4)    # (nW, 64, 64): 0 within a region, MASK_VALUE across

Split from :mod:`asym.nets.swinir` (the model itself); :mod:`asym.accel.attention` uses
the same helpers for its token gathers.
"""

from __future__ import annotations

import functools

import torch

# Additive attention logit for token pairs from different regions of a shifted
# window; exp(-100) underflows to 0 in the softmax. Same value as the official code.
MASK_VALUE = -100.0


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Split (B, H, W, C) into non-overlapping windows: (B * nW, ws, ws, C).

    H and W must be multiples of ``window_size``; windows are ordered row-major
    per image, images are outermost.
    """
    b, h, w, c = x.shape
    x = x.view(b, h // window_size, window_size, w // window_size, window_size, c)
    return (
        x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, c)
    )


def window_reverse(
    windows: torch.Tensor, window_size: int, h: int, w: int
) -> torch.Tensor:
    """Inverse of :func:`window_partition`: (B * nW, ws, ws, C) -> (B, H, W, C)."""
    b = windows.shape[0] // ((h // window_size) * (w // window_size))
    x = windows.view(
        b, h // window_size, w // window_size, window_size, window_size, -1
    )
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1)


@functools.lru_cache(maxsize=32)
def _region_labels(h: int, w: int, window_size: int, shift_size: int) -> torch.Tensor:
    """Region id of every token of every window after the cyclic shift: (nW, ws*ws).

    After rolling the feature map by -shift, the windows on the bottom/right
    border contain pixels that were not neighbours in the image. Labelling the
    3 x 3 bands (interior, window-sized edge strip, wrapped-around strip) lets
    attention be restricted to tokens with the same label. Cached because only
    the (small, integer) labels depend on the size; the (nW, N, N) mask built
    from them can be large, so it is not cached.
    """
    labels = torch.zeros(1, h, w, 1)
    bands = (
        slice(0, -window_size),
        slice(-window_size, -shift_size),
        slice(-shift_size, None),
    )
    region = 0
    for hs in bands:
        for ws in bands:
            labels[:, hs, ws, :] = region
            region += 1
    return window_partition(labels, window_size).view(-1, window_size * window_size)


def shifted_window_mask(
    h: int,
    w: int,
    window_size: int,
    shift_size: int,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Additive attention mask for shifted windows on an (h, w) map: (nW, N, N).

    Entry [win, i, j] is 0 when tokens i and j of window ``win`` came from the
    same image region and ``MASK_VALUE`` otherwise (as in the official code).
    """
    labels = _region_labels(h, w, window_size, shift_size).to(device=device)
    different = labels.unsqueeze(1) != labels.unsqueeze(2)
    mask = torch.zeros(different.shape, device=device, dtype=dtype)
    return mask.masked_fill(different, MASK_VALUE)


def relative_position_index(window_size: tuple[int, int]) -> torch.Tensor:
    """Index into the bias table for every (query, key) pair in a window: (N, N).

    The relative offset (dy, dx) of two tokens lies in [-(Wh-1), Wh-1] x
    [-(Ww-1), Ww-1]; shifting both to be non-negative and flattening row-major
    gives a unique index in [0, (2Wh-1)(2Ww-1)).
    """
    wh, ww = window_size
    coords = torch.stack(
        torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
    )
    coords = coords.flatten(1)  # (2, N)
    # (N, N, 2): offset of token i relative to token j.
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += wh - 1
    rel[:, :, 1] += ww - 1
    rel[:, :, 0] *= 2 * ww - 1
    return rel.sum(-1)
