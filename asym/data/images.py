"""Image helpers shared by SR training and evaluation: tensors, degradation, crops, folders.

Conventions: numpy images are (H, W, 3) uint8 RGB; tensors are float32 in [0, 1],
(3, H, W) for one image and (B, 3, H, W) for a batch.

Example::

    from asym.data.images import load_folder, to_tensor, bicubic_downsample
    hr = to_tensor(load_folder("data/demo/sr/test")[0][1])[None]
    lr = bicubic_downsample(hr, 4)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from asym.io import IMAGE_SUFFIXES, InputError, read_rgb


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 array -> (3, H, W) float32 tensor in [0, 1]."""
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 \
            or img.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 array, got "
                         f"{getattr(img, 'shape', type(img))} {getattr(img, 'dtype', '')}")
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float().div(255.0)


def to_uint8(tensor: torch.Tensor) -> np.ndarray:
    """(3, H, W) or (H, W, 3) float tensor in [0, 1] -> (H, W, 3) uint8 array.

    Values are clamped to [0, 1] and rounded (not truncated) to the nearest level.
    A leading channel axis of 3 wins when both axes could be channels.
    """
    if tensor.ndim != 3 or 3 not in (tensor.shape[0], tensor.shape[-1]):
        raise ValueError(f"expected a (3, H, W) or (H, W, 3) tensor, got {tuple(tensor.shape)}")
    t = tensor.detach().to("cpu", torch.float32)
    if t.shape[0] == 3:
        t = t.permute(1, 2, 0)
    return t.clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8).contiguous().numpy()


def bicubic_downsample(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic degradation, as in the SR literature; antialiased like MATLAB imresize.

    ``hr`` is (B, 3, H, W) in [0, 1] with H and W divisible by ``scale`` (crop HR
    images to a multiple of the scale first); returns (B, 3, H/scale, W/scale)
    clamped to [0, 1], since bicubic overshoots at edges.
    """
    if hr.ndim != 4:
        raise ValueError(f"expected a (B, C, H, W) batch, got shape {tuple(hr.shape)}")
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    height, width = hr.shape[-2:]
    if height % scale or width % scale:
        raise ValueError(f"HR size {height}x{width} is not divisible by scale {scale}")
    # An explicit output size avoids scale_factor rounding surprises.
    lr = F.interpolate(hr, size=(height // scale, width // scale), mode="bicubic",
                       antialias=True, align_corners=False)
    return lr.clamp(0.0, 1.0)


def random_crop(img: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Random ``size`` x ``size`` crop of a (3, H, W) tensor, positioned by ``generator``."""
    if img.ndim != 3:
        raise ValueError(f"expected a (C, H, W) tensor, got shape {tuple(img.shape)}")
    height, width = img.shape[-2:]
    if height < size or width < size:
        raise ValueError(f"image {height}x{width} is smaller than the crop size {size}")
    top = int(torch.randint(0, height - size + 1, (1,), generator=generator))
    left = int(torch.randint(0, width - size + 1, (1,), generator=generator))
    return img[:, top:top + size, left:left + size]


def load_folder(folder: str | os.PathLike, min_size: int = 1) -> list[tuple[str, np.ndarray]]:
    """All images in ``folder`` as (name, (H, W, 3) uint8) pairs, sorted by name.

    ``name`` is the file name without its suffix: it names the image's outputs (SR
    results, score rows), so two files with one stem (``flower.png``, ``flower.jpg``)
    would overwrite each other's and are refused. Every image is checked when the
    folder is opened, before any work: decodable, of a supported channel layout
    (:func:`asym.io.read_rgb`), and at least ``min_size`` pixels on each side (a
    training crop), each failure an :class:`InputError` naming the file. A missing
    folder, or one with no image files, raises :class:`InputError` too.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"image folder not found: {folder}")
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                   and not p.name.startswith("."))
    if not files:
        raise InputError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in folder {folder}")
    by_stem: dict[str, Path] = {}
    for p in files:
        if p.stem in by_stem:
            raise InputError(f"image id {p.stem!r} is used twice in {folder}: {by_stem[p.stem].name} and {p.name} "
                             "would write the same outputs; rename or remove one of them")
        by_stem[p.stem] = p
    images = []
    for p in files:
        img = read_rgb(p)
        if min(img.shape[:2]) < min_size:
            raise InputError(f"image {p} is {img.shape[1]}x{img.shape[0]} px, smaller than the {min_size} px "
                             "training crop (optimize.patch_size); remove it or lower patch_size")
        images.append((p.stem, img))
    return images
