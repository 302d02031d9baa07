"""Synthetic distortions for the demo IQA set, five severity levels each.

Every distortion is a pure function ``f(img, level, rng) -> img`` on an
(H, W, 3) uint8 RGB array: same shape and dtype out, no global state, and the
same inputs (including the state of ``rng``) always give the same output. Only
``gaussian_noise`` draws from ``rng``; the others accept it so all share one
signature. Levels run 1..5 with strictly increasing severity; the tables below
give the parameter per level (index 0 = level 1), in the units stated.

Used by ``python -m asym.data.prepare``; list them with
``python -c "from asym.data.distortions import DISTORTIONS; print(list(DISTORTIONS))"``.
"""

from __future__ import annotations

import io
import numbers

import numpy as np
from PIL import Image
from scipy import ndimage

LEVELS = (1, 2, 3, 4, 5)

# Gaussian blur: standard deviation of the kernel, in pixels.
BLUR_SIGMA_PX = (0.6, 1.2, 2.0, 3.2, 5.0)
# Additive white Gaussian noise: standard deviation, in 8-bit grey levels (0..255).
NOISE_STD_8BIT = (4.0, 8.0, 14.0, 22.0, 34.0)
# JPEG compression (PIL/libjpeg, 4:2:0 chroma subsampling): quality factor 1..95.
JPEG_QUALITY = (50, 30, 18, 10, 5)
# Contrast reduction: factor kept of the deviation from the image's mean intensity.
CONTRAST_FACTOR = (0.75, 0.58, 0.43, 0.30, 0.18)
# Desaturation: factor kept of the deviation from the pixel's luma (0 = grey image).
SATURATION_FACTOR = (0.70, 0.50, 0.32, 0.15, 0.0)
# Pixelation: side of the square block averaged into one pixel, in pixels.
PIXELATE_BLOCK_PX = (2, 3, 4, 6, 8)

# ITU-R BT.601 luma weights, the ones JPEG and PIL's "L" conversion use.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])


def _check(img: np.ndarray, level: int) -> int:
    """Validate the image and level; return the table index of ``level``."""
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 \
            or img.shape[2] != 3:
        raise ValueError(
            f"expected an (H, W, 3) uint8 RGB array, got "
            f"{getattr(img, 'shape', type(img))} {getattr(img, 'dtype', '')}"
        )
    # bool is an Integral too, but True as a level is surely a bug.
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) \
            or not LEVELS[0] <= level <= LEVELS[-1]:
        raise ValueError(f"level must be an integer in {LEVELS[0]}..{LEVELS[-1]}, got {level!r}")
    return int(level) - 1


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Round and clip float values to uint8."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def gaussian_blur(img: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    """Blur each channel with a Gaussian of sigma BLUR_SIGMA_PX[level] pixels (mirrored borders)."""
    sigma = BLUR_SIGMA_PX[_check(img, level)]
    # sigma 0 along the channel axis: channels are not mixed.
    out = ndimage.gaussian_filter(img.astype(np.float64), sigma=(sigma, sigma, 0), mode="reflect")
    return _to_uint8(out)


def gaussian_noise(img: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise of std NOISE_STD_8BIT[level] grey levels, per channel."""
    std = NOISE_STD_8BIT[_check(img, level)]
    return _to_uint8(img.astype(np.float64) + rng.normal(0.0, std, size=img.shape))


def jpeg(img: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    """Compress with JPEG at quality JPEG_QUALITY[level] (PIL) and decode again."""
    quality = JPEG_QUALITY[_check(img, level)]
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="JPEG", quality=quality, subsampling="4:2:0")
    buffer.seek(0)
    with Image.open(buffer) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def contrast(img: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    """Shrink deviations from the mean intensity by CONTRAST_FACTOR[level]; mean brightness kept."""
    factor = CONTRAST_FACTOR[_check(img, level)]
    values = img.astype(np.float64)
    mean = values.mean()
    return _to_uint8(mean + factor * (values - mean))


def saturation(img: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    """Blend each pixel towards its BT.601 luma, keeping SATURATION_FACTOR[level] of the chroma."""
    factor = SATURATION_FACTOR[_check(img, level)]
    values = img.astype(np.float64)
    luma = values @ LUMA_WEIGHTS
    return _to_uint8(luma[..., None] + factor * (values - luma[..., None]))


def pixelate(img: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    """Average PIXELATE_BLOCK_PX[level]-pixel blocks (box filter), upsample by nearest neighbour."""
    block = PIXELATE_BLOCK_PX[_check(img, level)]
    height, width = img.shape[:2]
    small_size = (max(1, round(width / block)), max(1, round(height / block)))
    small = Image.fromarray(img).resize(small_size, resample=Image.Resampling.BOX)
    return np.asarray(small.resize((width, height), resample=Image.Resampling.NEAREST),
                      dtype=np.uint8).copy()


DISTORTIONS = {
    "gaussian_blur": gaussian_blur,
    "gaussian_noise": gaussian_noise,
    "jpeg": jpeg,
    "contrast": contrast,
    "saturation": saturation,
    "pixelate": pixelate,
}
