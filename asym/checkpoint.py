"""Self-describing, atomically written training checkpoints, and setting stale ones aside.

A checkpoint is a dict with ``format`` (a version tag), ``spec`` (the run's full
spec), ``step`` and the states needed to continue; training checkpoints also carry
``code_digest`` (:func:`asym.codedeps.code_digest` of the package files the job runs),
so a job with edited code never continues weights that older code produced. It is
written to a temporary file and renamed, so a job killed mid-write leaves the previous
checkpoint intact, and it is read with ``weights_only=True`` (no arbitrary code from a
checkpoint file). An unreadable file, one with pickled code, or one made by another
stage raises :class:`CheckpointError`, which says which and leaves the file where it is.

A checkpoint that must not be continued is never deleted or overwritten:
:func:`set_aside` renames it to the first free ``<stem>.<reason>-<n>.pt``
(``checkpoint.stale-1.pt``, ``checkpoint.stale-2.pt``, ...), so days of GPU time stay
on disk however often the settings change.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

from asym.errors import CheckpointError
from asym.io import atomic_path


def save(obj: dict, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _unreadable(path: Path, exc: Exception) -> CheckpointError:
    if isinstance(exc, pickle.UnpicklingError) and "Weights only load failed" in str(exc):
        first = str(exc).splitlines()[-1].strip() if str(exc).strip() else ""
        return CheckpointError(
            f"checkpoint {path} holds pickled Python objects (code), not just tensors, so it is refused "
            f"(torch.load weights_only: {first[:160]}). It was not written by this package; it was left "
            "untouched: move or delete it to start afresh.")
    if isinstance(exc, EOFError) or path.stat().st_size == 0:
        what = "is empty"
    elif "zip archive" in str(exc) or "central directory" in str(exc):
        what = "is truncated (an incomplete zip archive)"
    else:
        what = f"cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})"
    return CheckpointError(
        f"checkpoint {path} {what}: it is truncated or not a checkpoint of this package. It was left "
        "untouched; move or delete it to start afresh.")


def load(path: str | os.PathLike, expected_format: str, expected_spec: dict | None = None) -> dict:
    """Load and check a checkpoint; never modifies the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}; make it first (the workflow's rule that writes "
                              "it), or correct the path")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, not a torch file, disallowed pickle content
        raise _unreadable(path, exc) from exc
    if not isinstance(obj, dict) or obj.get("format") != expected_format:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(
            f"checkpoint {path} has format {found!r}, expected {expected_format!r}: it was not written by "
            "this stage. It was left untouched; move or delete it to start afresh."
        )
    if expected_spec is not None and obj.get("spec") != expected_spec:
        raise CheckpointError(
            f"checkpoint {path} was made with a different run spec than the one requested now. "
            "It was left untouched; delete it (or the run folder) to retrain with the new settings."
        )
    return obj


def set_aside(path: str | os.PathLike, reason: str) -> Path:
    """Rename ``path`` to the first free ``<stem>.<reason>-<n><suffix>`` beside it; return the new path.

    ``os.link`` fails when the name exists, so two callers never pick the same name and
    nothing is overwritten; the original name is removed only once the new one exists.
    """
    path = Path(path)
    n = 1
    while True:
        target = path.with_name(f"{path.stem}.{reason}-{n}{path.suffix}")
        try:
            os.link(path, target)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # a file system without hard links: rename after checking the name is free
            if target.exists():
                n += 1
                continue
            os.rename(path, target)
            return target
        path.unlink()
        return target
