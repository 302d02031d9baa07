"""Small I/O helpers every stage shares: atomic writes and image files.

Outputs are written to a temporary name in the destination folder, then renamed,
so a job killed mid-write never leaves a half-written result that looks finished.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from asym.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600 files; give results the permissions a plain open() would.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_csv(df, path: str | os.PathLike) -> None:
    """Write a pandas DataFrame as CSV (header, no index), atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


def read_table(path: str | os.PathLike, columns: list[str], finite: tuple[str, ...] = (), fix: str = ""):
    """Read a result CSV, refusing what would silently change statistics downstream.

    A missing file, a missing column, or a value in a ``finite`` column that is empty,
    not a number or infinite raises :class:`InputError` naming the file, the column and
    the row (as a line number of the file, the header being line 1) and ``fix``. (Dropping
    such rows later while ``n`` still counted them is how wrong results went unnoticed.)
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(f"table not found: {path}. {fix}".strip())
    df = pd.read_csv(path)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{path} lacks columns {missing} (has {list(df.columns)}). {fix}".strip())
    for column in finite:
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise InputError(f"{path}: column {column!r} has {len(bad)} missing or non-finite value(s), first at "
                             f"line {bad[0] + 2} (value {str(df[column].iloc[bad[0]])!r}). {fix}".strip())
    return df


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


# The channels policy: 8-bit grey (repeated to three channels), palette, RGB, and RGB or grey
# with alpha (alpha dropped). 16-bit, 32-bit and float modes ("I;16", "I", "F") and CMYK would
# be clipped or recoloured by the conversion, silently changing scores, so they are refused.
RGB_CONVERTIBLE_MODES = ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX")


#: File suffixes read as images (lower case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an RGB uint8 array of shape (H, W, 3).

    Grey images are repeated to three channels and alpha is dropped; other pixel modes
    (16-bit, float, CMYK) are refused (``RGB_CONVERTIBLE_MODES``). A missing,
    unreadable or refused file raises :class:`InputError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image file not found: {path}")
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in RGB_CONVERTIBLE_MODES:
                raise InputError(
                    f"image {path} has pixel mode {im.mode!r} ({'+'.join(im.getbands())}), which cannot be "
                    "converted to 8-bit RGB without losing values; save it as 8-bit grey, RGB or RGBA "
                    "(e.g. PNG) instead")
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"cannot read image {path}: {exc}. The file is corrupt or not an image; "
            "delete it and rebuild the data with `dvc repro`."
        ) from exc


def write_png(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write an (H, W, 3) uint8 array as PNG, atomically."""
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8, got {array.shape} {array.dtype}")
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
