"""The run record: ``<run folder>/run.json``, what a training run is, written by the run itself.

    from asym.optimize.runrecord import read_run_record, write_run_record
    write_run_record(out_dir, spec, "running")        # train_sr, at start
    write_run_record(out_dir, spec, "finished")       # train_sr, at the end
    record = read_run_record("results/optimize/runs/l1__nogan__s0")   # a folder or its run.json
    record["traits"]["family"]                        # "conv" | "transformer" | "none"

Why: evaluation, stability, claims and figures need to know what a run was (its loss,
its discriminator's level and family, GAN weight, seed). Reading that from the run
folder's name, or from the config handed over again, breaks as soon as a name or a
config changes; the record travels with the run's outputs instead. Content::

    {"run": <name>, "spec": <the full train spec>,
     "traits": {"generator", "fidelity", "adversarial", "setting", "discriminator", "objective",
                "level" ("patch"|"image"|"none"), "family" ("conv"|"transformer"|"none"),
                "gan_weight", "seed"},
     "status": "running" | "finished" | "diverged", "code_digest": <sha256 or null>}

``level`` and ``family`` come from the discriminator's config entry
(:func:`asym.optimize.designs.design_traits`), ``"none"`` without a discriminator.
``code_digest`` is :func:`asym.codedeps.code_digest` of the training module (a SHA-256
over the package files it runs, as its checkpoints record), so a record says which code made it.
No torch: the analysis side may read records too.
"""

from __future__ import annotations

import json
from pathlib import Path

from asym.io import InputError, write_text
from asym.optimize.designs import design_traits

RECORD_NAME = "run.json"
STATUSES = ("running", "finished", "diverged")
TRAIT_KEYS = ("generator", "fidelity", "adversarial", "setting", "discriminator", "objective", "level",
              "family", "gan_weight", "seed")
RECORD_KEYS = ("run", "spec", "traits", "status", "code_digest")
# The module whose code a training run executes (its imports are part of the digest).
TRAINING_MODULE = "asym.optimize.train_sr"


def run_traits(spec: dict) -> dict:
    """The design traits of a train spec (:func:`asym.config.train_spec` or a pretrain spec).

    A spec that imports a published checkpoint (``official``) has no loss or discriminator:
    its fidelity and setting read ``"none"`` and ``"official"``.
    """
    run = spec.get("run", {})
    disc = spec.get("discriminator")
    level, family = design_traits(disc) if disc else ("none", "none")
    return {
        "generator": str(spec.get("generator", {}).get("name", "none")),
        "fidelity": str(run.get("fidelity", "none")),
        "adversarial": bool(run.get("adversarial", False)),
        "setting": str(run.get("setting", "official" if "official" in spec else "none")),
        "discriminator": str(run.get("discriminator", "none")),
        "objective": str(run.get("objective", "none")),
        "level": level,
        "family": family,
        "gan_weight": float(run.get("gan_weight", 0.0)),
        "seed": int(run.get("seed", 0)),
    }


def code_digest(module: str = TRAINING_MODULE) -> str | None:
    """:func:`asym.codedeps.code_digest` of ``module`` (what training checkpoints record too);
    None where the sources cannot be read (e.g. an installed wheel without them)."""
    from asym import codedeps

    try:
        return codedeps.code_digest(module)
    except (OSError, ValueError):
        return None


def write_run_record(out_dir: str | Path, spec: dict, status: str, digest: str | None = None) -> Path:
    """Write ``<out_dir>/run.json`` atomically with ``status``; returns its path.

    ``digest`` defaults to :func:`code_digest` of the training module.
    """
    if status not in STATUSES:
        raise ValueError(f"run record status must be one of {STATUSES}, got {status!r}")
    record = {
        "run": spec.get("run", {}).get("name"),
        "spec": spec,
        "traits": run_traits(spec),
        "status": status,
        "code_digest": code_digest() if digest is None else digest,
    }
    path = Path(out_dir) / RECORD_NAME
    write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", path)
    return path


def set_status(path_or_dir: str | Path, status: str) -> Path:
    """Rewrite an existing record with a new ``status`` (everything else kept); returns its path."""
    record = read_run_record(path_or_dir)
    if status not in STATUSES:
        raise ValueError(f"run record status must be one of {STATUSES}, got {status!r}")
    path = _record_path(path_or_dir)
    record["status"] = status
    write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", path)
    return path


def _record_path(path_or_dir: str | Path) -> Path:
    path = Path(path_or_dir)
    return path / RECORD_NAME if path.is_dir() or path.name != RECORD_NAME else path


def read_run_record(path_or_dir: str | Path) -> dict:
    """The record of a run folder (or a ``run.json`` path), checked for the keys above.

    Raises :class:`asym.io.InputError` naming the file and the fix when it is missing,
    not JSON, or lacks keys.
    """
    path = _record_path(path_or_dir)
    if not path.is_file():
        raise InputError(f"run record not found: {path}; it is written by python -m asym.optimize.train_sr "
                         "at the start of a run (rerun the workflow's train_sr rule for this run)")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); delete it and rerun the run's train_sr rule") from exc
    if not isinstance(record, dict):
        raise InputError(f"{path} must hold a JSON object (a run record), got {type(record).__name__}")
    missing = [k for k in RECORD_KEYS if k not in record]
    traits = record.get("traits")
    if not missing and not isinstance(traits, dict):
        missing = ["traits (an object)"]
    elif not missing:
        missing = [f"traits.{k}" for k in TRAIT_KEYS if k not in traits]
    if missing:
        raise InputError(f"{path} lacks {missing}; it was not written by this version of "
                         "python -m asym.optimize.train_sr (rerun the run's train_sr rule)")
    if record["status"] not in STATUSES:
        raise InputError(f"{path}: status {record['status']!r} is not one of {STATUSES}")
    return record
