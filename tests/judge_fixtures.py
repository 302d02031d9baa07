"""A small study for the judge tests: real photographs as HR test images, SR outputs made
by blurring them by a different amount per run (so "better" is known: less blur).

Nothing here is a human judgement; tests that need answers produce them with a
scripted observer and say so.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from asym.config import load_config, runs
from asym.data.sources import REFERENCES, locate

TINY = Path(__file__).parent / "configs" / "tiny.yaml"


def write_inputs(root: Path, size: int = 64, n_images: int = 2) -> tuple[dict, Path, Path]:
    """HR test images and per-run SR outputs under ``root``; return (config, runs_dir, test_dir)."""
    cfg = copy.deepcopy(load_config(TINY))
    cfg["results"] = str(root / "results")
    test_dir, runs_dir = root / "sr" / "test", root / "results" / "optimize" / "runs"
    test_dir.mkdir(parents=True)
    names = []
    for ref in REFERENCES[:n_images]:
        with Image.open(locate(ref)) as im:
            im = im.convert("RGB")
            side = min(im.size)
            im = im.crop((0, 0, side, side)).resize((size, size), Image.Resampling.BICUBIC)
        im.save(test_dir / f"{ref['name']}.png")
        names.append(ref["name"])
    for k, run in enumerate(runs(cfg)):
        sr = runs_dir / run.name / "sr"
        sr.mkdir(parents=True)
        for name in names:
            with Image.open(test_dir / f"{name}.png") as im:
                im.filter(ImageFilter.GaussianBlur(radius=0.5 + 0.7 * k)).save(sr / f"{name}.png")
    return cfg, runs_dir, test_dir


def blur_rank(cfg: dict) -> list[str]:
    """The runs of ``cfg`` from least to most blurred SR output (the order write_inputs makes)."""
    return [run.name for run in runs(cfg)]


def build(root: Path, **kwargs):
    """Build a study under ``root/study`` from :func:`write_inputs`; return (cfg, study folder)."""
    from asym.judge.build import build_study

    cfg, runs_dir, test_dir = write_inputs(root, size=kwargs.pop("size", 64))
    study = root / "study"
    build_study(cfg, study, runs_dir=runs_dir, test_dir=test_dir, **kwargs)
    return cfg, study


def np_seed(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)
