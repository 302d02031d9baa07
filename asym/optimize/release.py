"""Pretrain a generator with a pixel loss and release its weights as a small versioned file.

    python -m asym.optimize.release --config workflow/config/demo.yaml \
        --recipe data/pretrained/swinir-demo-x4.yaml --train-dir data/demo/sr/train \
        --test-dir data/demo/sr/test --out data/pretrained/swinir-demo-x4.pth

(DVC stage ``pretrain_demo`` of ``dvc.yaml``; ``dvc repro pretrain_demo`` reruns it.)

Why: every run of the study starts from an L1-pretrained generator (ESRGAN's recipe).
At paper scale that is the published SwinIR-M; a demo-size SwinIR has no published
weights, and a few dozen pretraining steps leave it far below plain bicubic upscaling,
so the demo's comparisons would be about untrained networks. This module trains the
config's ``optimize.generator`` with the project's own training code
(:func:`asym.optimize.train_sr.train`, the spec built by
:func:`asym.config.pretrain_spec`) for the recipe's ``steps`` with its ``loss``, ``lr``,
``batch_size``, ``patch_size`` and ``seed``, then **checks** it: the generator must beat
bicubic upscaling (:func:`asym.optimize.baseline.bicubic_sr`) in mean PSNR over the
SR test crops by at least the recipe's ``min_gain_db``, or the stage fails and writes
nothing. Written, atomically:

- ``--out`` (``.pth``): ``{"params": state_dict}``, the layout of SwinIR's releases, so
  the config imports it like the published file: ``optimize.pretrain: {official: <out>}``;
- ``<out stem>.json``: provenance and the check (recipe, generator, spec, steps,
  training seconds, SHA-256 of the weights' values, per-crop PSNR of the generator and
  of bicubic, their means);
- ``<out stem>.train_log.csv``: the training log.

The training itself runs in a temporary folder beside ``--out``, removed afterwards
(kept, and named in the error, when the check fails).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from asym.assess.fidelity import build_metric, score_pairs
from asym.config import ConfigError, metric_spec, pretrain_spec, validate
from asym.data.images import load_folder, to_tensor, to_uint8
from asym.io import InputError, atomic_path, write_text
from asym.optimize.baseline import bicubic_sr
from asym.optimize.evaluate import super_resolve
from asym.optimize.final import load_generator
from asym.optimize.train_sr import train

RECIPE_KEYS = {"steps", "loss", "lr", "batch_size", "patch_size", "seed", "threads", "min_gain_db"}
CHECK_METRIC = "psnr"


def read_recipe(path: Path) -> dict:
    """The recipe YAML: every key of RECIPE_KEYS, nothing else."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"pretraining recipe not found: {path}")
    recipe = yaml.safe_load(path.read_text())
    if not isinstance(recipe, dict):
        raise InputError(f"{path} must be a YAML mapping with keys {sorted(RECIPE_KEYS)}")
    missing, unknown = RECIPE_KEYS - set(recipe), set(recipe) - RECIPE_KEYS
    if missing or unknown:
        raise InputError(f"{path}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)} "
                         f"(a recipe has exactly {sorted(RECIPE_KEYS)})")
    return recipe


def training_config(config: Path, recipe: dict) -> dict:
    """The study config with ``optimize.pretrain`` replaced by the recipe's training settings."""
    config = Path(config)
    if not config.is_file():
        raise ConfigError(f"config file not found: {config}")
    cfg = yaml.safe_load(config.read_text())
    cfg = copy.deepcopy(cfg)
    cfg["optimize"]["pretrain"] = {k: recipe[k] for k in ("steps", "loss", "lr", "batch_size", "patch_size")}
    return validate(cfg, source=f"{config} with the recipe's pretraining")


def weights_digest(state: dict) -> str:
    """SHA-256 of a state dict's names and values (stable across saves, unlike the file's bytes)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def psnr_check(generator: torch.nn.Module, cfg: dict, test_dir: Path, scale: int) -> dict:
    """Per test crop PSNR (dB) of the generator's output and of bicubic upscaling, both 8-bit."""
    names, hrs, srs, bics = [], [], [], []
    for name, img in load_folder(test_dir):
        hr = to_tensor(img)[None]
        names.append(name)
        hrs.append(hr[0])
        srs.append(to_tensor(to_uint8(super_resolve(generator, hr, scale)[0])))
        bics.append(to_tensor(to_uint8(bicubic_sr(hr, scale)[0])))
    metric = build_metric(metric_spec(cfg, CHECK_METRIC))
    gen_psnr = score_pairs(metric, srs, hrs, 8, "cpu")
    bic_psnr = score_pairs(metric, bics, hrs, 8, "cpu")
    return {"images": names, "generator_psnr": [float(v) for v in gen_psnr],
            "bicubic_psnr": [float(v) for v in bic_psnr],
            "generator_mean": float(np.mean(gen_psnr)), "bicubic_mean": float(np.mean(bic_psnr))}


def release(config: Path, recipe_path: Path, train_dir: Path, test_dir: Path, out: Path) -> dict:
    """Train, check against bicubic, and write the weights, provenance and log; returns the provenance."""
    recipe = read_recipe(recipe_path)
    cfg = training_config(config, recipe)
    spec = pretrain_spec(cfg, int(recipe["seed"]))
    torch.set_num_threads(int(recipe["threads"]))
    out = Path(out)
    work = Path(tempfile.mkdtemp(prefix=".pretrain-", dir=out.parent if out.parent.is_dir() else None))
    keep = False
    try:
        start = time.perf_counter()
        final = train(spec, train_dir, work, progress=False)
        seconds = time.perf_counter() - start
        generator, _ = load_generator(final)
        check = psnr_check(generator, cfg, test_dir, spec["generator"]["upscale"])
        gain = check["generator_mean"] - check["bicubic_mean"]
        if not gain > recipe["min_gain_db"]:
            keep = True  # the trained generator stays for inspection
            raise RuntimeError(
                f"the pretrained generator reaches {check['generator_mean']:.2f} dB mean PSNR on {test_dir}, "
                f"bicubic {check['bicubic_mean']:.2f} dB: {gain:+.2f} dB, not more than the recipe's "
                f"min_gain_db {recipe['min_gain_db']}; raise steps (or lr) in {recipe_path}. Nothing was "
                f"written; the training run is kept in {work}")
        state = {k: v.detach().cpu().clone() for k, v in generator.state_dict().items()}
        provenance = {
            "weights": out.name, "format": "SwinIR release layout {'params': state_dict}",
            "config": str(config), "recipe": recipe, "generator": spec["generator"], "spec": spec,
            "steps": spec["steps"], "train_seconds": round(seconds, 1), "weights_sha256": weights_digest(state),
            "torch": torch.__version__, "python": platform.python_version(),
            "check": {"metric": CHECK_METRIC, "test_dir": str(test_dir), **check, "gain_db": gain},
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(out) as tmp:
            torch.save({"params": state}, tmp)
        write_text(json.dumps(provenance, indent=2) + "\n", out.with_suffix(".json"))
        with atomic_path(out.with_suffix(".train_log.csv")) as tmp:
            shutil.copyfile(work / "train_log.csv", tmp)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return provenance


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, type=Path, help="study config (its optimize.generator)")
    parser.add_argument("--recipe", required=True, type=Path, help="pretraining recipe YAML")
    parser.add_argument("--train-dir", required=True, type=Path)
    parser.add_argument("--test-dir", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path, help="weights file to write (.pth)")
    args = parser.parse_args(argv)
    prov = release(args.config, args.recipe, args.train_dir, args.test_dir, args.out)
    check = prov["check"]
    print(f"{args.out}: {prov['steps']} steps in {prov['train_seconds']:.0f} s; mean PSNR "
          f"{check['generator_mean']:.2f} dB vs bicubic {check['bicubic_mean']:.2f} dB ({check['gain_db']:+.2f} dB)")


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
