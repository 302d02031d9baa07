"""Super-resolve the test images with one trained generator and score them.

    python -m asym.optimize.evaluate --generator results/optimize/runs/RUN/final.pt \
        --panel '<json: {evaluator: spec}>' --test-dir data/demo/sr/test --dataset demo-test \
        --sr-dir results/optimize/runs/RUN/sr --out results/optimize/evaluation/RUN.csv

Each test image (HR) is downsampled with the training degradation, super-resolved,
quantised to 8 bits and saved as PNG (what a reader of the figures sees is what was
scored), then scored by every evaluator of the panel. The workflow builds the panel
with :func:`asym.config.evaluator_panel`, which never includes the run's own training
metric nor one of its group, so no run is judged by what it was trained on.

Output: one row per test image x evaluator, columns ``EVALUATION_COLUMNS``. The run's
columns (run ... seed, with the discriminator's level and family) come from the run record
``run.json`` beside the generator file (:mod:`asym.optimize.runrecord`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import torch

from asym.accel.attention import use_fast_attention
from asym.accel.switch import check_kernels
from asym.assess.fidelity import build_metric, score_pairs
from asym.data.images import bicubic_downsample, load_folder, to_tensor, to_uint8
from asym.io import InputError, write_csv, write_png
from asym.optimize.final import load_generator
from asym.optimize.runrecord import RECORD_NAME, read_run_record, run_traits

EVALUATION_COLUMNS = ["run", "generator", "fidelity", "adversarial", "setting", "discriminator", "objective",
                      "disc_level", "disc_family", "gan_weight", "seed", "dataset", "image", "evaluator", "score",
                      "lower_better", "baseline"]


def super_resolve(generator: torch.nn.Module, hr: torch.Tensor, scale: int) -> torch.Tensor:
    """SR of the bicubic-downsampled ``hr`` (1, 3, H, W), cropped to ``hr``'s size, in [0, 1]."""
    with torch.no_grad():
        sr = generator(bicubic_downsample(hr, scale)).clamp(0, 1)
    return sr[..., : hr.shape[-2], : hr.shape[-1]]


def run_record_for(generator_path: Path, spec: dict) -> dict:
    """The run record beside ``generator_path`` (``run.json``, written by train_sr), where one is;
    for a generator file without one (a pretrained or imported generator evaluated by hand) the
    same traits derived from the spec the file carries. Run names are never parsed."""
    path = Path(generator_path).parent / RECORD_NAME
    if path.is_file():
        return read_run_record(path)
    return {"run": spec["run"]["name"], "traits": run_traits(spec)}


def evaluate(generator_path: Path, panel: dict[str, dict], test_dir: Path, dataset: str, sr_dir: Path,
             batch_size: int = 8, device: str = "cpu", kernels: str = "reference") -> pd.DataFrame:
    generator, spec = load_generator(generator_path, device=device)
    if check_kernels(kernels) == "fast":  # the config's kernels switch (asym.accel)
        use_fast_attention(generator)
    scale = spec["generator"]["upscale"]
    names, hrs, srs = [], [], []
    images = load_folder(test_dir)
    for name, img in images:  # every test image checked before the first one is super-resolved
        if img.shape[0] % scale or img.shape[1] % scale:
            raise InputError(f"test image {name} in {test_dir} is {img.shape[1]}x{img.shape[0]} px, not a multiple "
                             f"of the scale {scale}; crop it to a multiple (asym.data.prepare does)")
    for name, img in images:
        hr = to_tensor(img)[None]
        sr_uint8 = to_uint8(super_resolve(generator, hr.to(device), scale)[0].cpu())
        write_png(sr_uint8, Path(sr_dir) / f"{name}.png")
        names.append(name)
        hrs.append(hr[0])
        srs.append(to_tensor(sr_uint8))

    record = run_record_for(generator_path, spec)
    traits = record["traits"]
    rows = []
    for evaluator, metric_spec in panel.items():
        metric = build_metric(metric_spec, device=device, kernels=kernels)
        scores = score_pairs(metric, srs, hrs, batch_size, device)
        for name, score in zip(names, scores):
            rows.append({
                "run": record["run"], "generator": traits["generator"], "fidelity": traits["fidelity"],
                "adversarial": traits["adversarial"], "setting": traits["setting"],
                "discriminator": traits["discriminator"], "objective": traits["objective"],
                "disc_level": traits["level"], "disc_family": traits["family"],
                "gan_weight": traits["gan_weight"], "seed": traits["seed"], "dataset": dataset,
                "image": name, "evaluator": evaluator, "score": score,
                "lower_better": bool(metric.lower_better),
                "baseline": False,  # a trained run; asym.optimize.baseline writes the bicubic rows
            })
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generator", required=True, type=Path)
    parser.add_argument("--panel", required=True, type=json.loads, help="JSON {evaluator name: metric spec}")
    parser.add_argument("--test-dir", required=True, type=Path)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--sr-dir", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--kernels", default="reference", help="the config's kernels setting: reference or fast")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    table = evaluate(args.generator, args.panel, args.test_dir, args.dataset, args.sr_dir,
                     args.batch_size, args.device, args.kernels)
    write_csv(table, args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
