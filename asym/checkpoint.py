"""Self-describing, atomically written training checkpoints.

A checkpoint is a dict with ``format`` (a version tag), ``spec`` (the run's full
spec), ``step`` and the states needed to continue. It is written to a temporary file
and renamed, so a job killed mid-write leaves the previous checkpoint intact, and it
is read with ``weights_only=True`` (no arbitrary code from a checkpoint file).
A truncated file or one made by another run raises :class:`CheckpointError`, which
says so and leaves the file where it is.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from asym.io import atomic_path


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: unreadable, foreign or of another run."""


def save(obj: dict, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load(path: str | os.PathLike, expected_format: str, expected_spec: dict | None = None) -> dict:
    """Load and check a checkpoint; never modifies the file."""
    path = Path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, not a torch file, disallowed pickle content
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}). It is probably truncated or "
            "not a checkpoint of this package. It was left untouched; move or delete it to start afresh."
        ) from exc
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
