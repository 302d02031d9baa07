"""Bicubic upscaling, the baseline every super-resolution run is measured against.

    python -m asym.optimize.baseline --panel '<json: {evaluator: spec}>' --scale 4 \
        --test-dir data/demo/sr/test --dataset demo-test \
        --sr-dir results/optimize/bicubic/sr --out results/optimize/evaluation/bicubic.csv

Each HR test image is degraded exactly as :mod:`asym.optimize.evaluate` degrades it for
a generator (antialiased bicubic downsampling by ``--scale``), upsampled back by plain
bicubic interpolation, quantised to 8 bits, saved as PNG, and scored by the same
evaluators, so a trained run and the baseline differ only in what produced the image.
The workflow passes the full evaluator panel: bicubic was trained on nothing, so no
evaluator is circular with it.

Output: rows in the evaluation.csv contract (``EVALUATION_COLUMNS`` of
:mod:`asym.optimize.evaluate` plus ``baseline``), with ``run == "bicubic"``,
``baseline`` True and traits that say "no training" (fidelity, discriminator,
setting, objective, level and family ``none``, not adversarial, GAN weight 0, no seed).
The analysis leaves baseline rows out of rankings and tests; tables and the SR grid
show them beside the runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F

from asym.assess.fidelity import build_metric, score_pairs
from asym.data.images import bicubic_downsample, load_folder, to_tensor, to_uint8
from asym.io import InputError, write_csv, write_png

BASELINE_RUN = "bicubic"
COLUMNS = ["run", "generator", "fidelity", "adversarial", "setting", "discriminator", "objective",
           "disc_level", "disc_family", "gan_weight", "seed", "dataset", "image", "evaluator", "score",
           "lower_better", "baseline"]
# What the baseline "was trained with": nothing.
TRAITS = {"generator": "bicubic", "fidelity": "none", "adversarial": False, "setting": "none",
          "discriminator": "none", "objective": "none", "disc_level": "none", "disc_family": "none",
          "gan_weight": 0.0, "seed": pd.NA}


def bicubic_upscale(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """Plain bicubic upsampling of ``lr`` (N, 3, h, w) by ``scale``, clamped to [0, 1]."""
    up = F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)
    return up.clamp(0, 1)


def bicubic_sr(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """The baseline's output for HR image(s) ``hr`` (N, 3, H, W): downsample, upsample back."""
    if hr.shape[-1] % scale or hr.shape[-2] % scale:
        raise InputError(f"test image of size {tuple(hr.shape[-2:])} is not a multiple of the scale {scale}; "
                         "crop the test images to a multiple of optimize.generator.upscale")
    return bicubic_upscale(bicubic_downsample(hr, scale), scale)


def evaluate_bicubic(panel: dict[str, dict], test_dir: Path, dataset: str, sr_dir: Path, scale: int,
                     batch_size: int = 8, device: str = "cpu") -> pd.DataFrame:
    """Rows of the baseline: every test image x every evaluator of ``panel``."""
    names, hrs, srs = [], [], []
    for name, img in load_folder(test_dir):
        hr = to_tensor(img)[None]
        try:
            sr_uint8 = to_uint8(bicubic_sr(hr, scale)[0])
        except InputError as exc:
            raise InputError(f"{Path(test_dir) / name}: {exc}") from None
        write_png(sr_uint8, Path(sr_dir) / f"{name}.png")
        names.append(name)
        hrs.append(hr[0])
        srs.append(to_tensor(sr_uint8))
    rows = []
    for evaluator, metric_spec in panel.items():
        metric = build_metric(metric_spec, device=device)
        for name, score in zip(names, score_pairs(metric, srs, hrs, batch_size, device)):
            rows.append({"run": BASELINE_RUN, **TRAITS, "dataset": dataset, "image": name,
                         "evaluator": evaluator, "score": score,
                         "lower_better": bool(metric.lower_better), "baseline": True})
    return pd.DataFrame(rows, columns=COLUMNS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--panel", required=True, help="JSON {evaluator name: metric spec}")
    parser.add_argument("--test-dir", required=True, type=Path)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--scale", required=True, type=int, help="SR factor (optimize.generator.upscale)")
    parser.add_argument("--sr-dir", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = evaluate_bicubic(json.loads(args.panel), args.test_dir, args.dataset, args.sr_dir, args.scale,
                             args.batch_size, args.device)
    write_csv(table, args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
