"""Build a paired-comparison study from the SR outputs of the trained runs.

    python -m asym.judge.build --config workflow/config/demo.yaml --out results/judge/study
    asym judge build --config workflow/config/demo.yaml --out results/judge/study   # the same

Conditions per test image: every trained run of the config (its super-resolved test
image, ``<results>/optimize/runs/<run>/sr/<image>.png`` as evaluation wrote it), the
bicubic baseline (bicubic upsampling of the same bicubic-downsampled input the
generators got: the baseline's own outputs with ``--bicubic-dir``, else computed here) and
the HR reference. Which pairs are shown, the catch trials and the
left/right draw are :mod:`asym.judge.design`. The study folder holds::

    STUDY/manifest.json       conditions (with each run's traits from its run.json),
                              stimuli (sha256 -> file), trials, design parameters
    STUDY/stimuli/<sha256>.png  every image shown, named by the sha256 of its bytes

The server (:mod:`asym.judge.server`) serves images only through the manifest, and
:func:`asym.judge.manifest.load_study` re-checks every stimulus's sha256 before serving.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from asym.config import load_config, runs, train_spec, validate
from asym.io import InputError, atomic_path, write_png
from asym.judge import design
from asym.judge.manifest import MANIFEST, STIMULI
from asym.optimize.runrecord import read_run_record, run_traits

BICUBIC, REFERENCE = "bicubic", "reference"
DEGRADED = design.DEGRADED
# Degraded catch stimulus: downsampled by this factor and blown up again with nearest
# neighbours: blocky enough that any attentive observer prefers the HR reference.
DEGRADE_FACTOR = 8


def bicubic_upsample(hr: np.ndarray, scale: int) -> np.ndarray:
    """The bicubic baseline: the generators' bicubic-downsampled input, upsampled bicubically."""
    import torch.nn.functional as F  # torch only when a study is built, not for `asym judge --help`

    from asym.data.images import bicubic_downsample, to_tensor, to_uint8

    x = to_tensor(hr)[None]
    lr = bicubic_downsample(x, scale)
    up = F.interpolate(lr, size=x.shape[-2:], mode="bicubic", align_corners=False)
    return to_uint8(up[0].clamp(0, 1))


def degrade(hr: np.ndarray, factor: int = DEGRADE_FACTOR) -> np.ndarray:
    """A heavily degraded copy of ``hr`` for catch trials (area-downsampled, nearest-upsampled)."""
    import torch.nn.functional as F

    from asym.data.images import to_tensor, to_uint8

    x = to_tensor(hr)[None]
    small = F.interpolate(x, size=(max(1, x.shape[-2] // factor), max(1, x.shape[-1] // factor)), mode="area")
    return to_uint8(F.interpolate(small, size=x.shape[-2:], mode="nearest")[0])


def _add_stimulus(stimuli: dict, folder: Path, image: str, condition: str, png: Path | None = None,
                  array: np.ndarray | None = None) -> str:
    """Put one stimulus into ``folder/stimuli`` under its sha256; return the sha256."""
    tmp = folder / STIMULI / f".{image}.{condition}.png"
    if png is not None:
        shutil.copyfile(png, tmp)
    else:
        write_png(array, tmp)
    data = tmp.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    tmp.replace(folder / STIMULI / f"{sha}.png")
    entry = stimuli.setdefault(sha, {"file": f"{STIMULI}/{sha}.png", "bytes": len(data), "uses": []})
    entry["uses"].append({"image": image, "condition": condition})
    return sha


def _run_traits(cfg: dict, run, runs_dir: Path) -> dict:
    """Traits of a run from its run.json (the contract), or from its train spec where no record exists."""
    record = runs_dir / run.name / "run.json"
    if record.is_file():
        return dict(read_run_record(record)["traits"])
    return run_traits(train_spec(cfg, run))


def build_study(cfg: dict, out: Path, *, runs_dir: Path | None = None, test_dir: Path | None = None,
                bicubic_dir: Path | None = None,
                max_all: int = 8, per_condition: int = 6, catch_degraded: int = 1, catch_identical: int = 1,
                break_every: int = 20, show_reference: bool = False, seed: int = 0,
                title: str = "Which image looks better?") -> dict:
    """Write the study folder ``out`` (see the module docstring) and return its manifest."""
    runs_dir = Path(runs_dir or Path(cfg["results"]) / "optimize" / "runs")
    test_dir = Path(test_dir or cfg["data"]["sr_test"])
    scale = int(cfg["optimize"]["generator"]["upscale"])
    if break_every < 1:
        raise InputError(f"break_every must be at least 1 trial, got {break_every}")
    trained = runs(cfg)
    missing = [str(runs_dir / r.name / "sr") for r in trained if not (runs_dir / r.name / "sr").is_dir()]
    if missing:
        raise InputError(f"no SR outputs for {len(missing)} run(s), first {missing[0]}: run the workflow's "
                         "evaluate_run jobs first (snakemake --cores 2), or pass --runs-dir")
    from asym.data.images import load_folder

    hrs = dict(load_folder(test_dir))
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / STIMULI).mkdir(parents=True)
    conditions = {r.name: {"kind": "run", "traits": _run_traits(cfg, r, runs_dir)} for r in trained}
    conditions[BICUBIC] = {"kind": "baseline", "traits": None}
    conditions[REFERENCE] = {"kind": "reference", "traits": None}
    stimuli: dict[str, dict] = {}
    sha_of: dict[str, dict[str, str]] = {}
    for image, hr in hrs.items():
        shas = sha_of[image] = {}
        for r in trained:
            png = runs_dir / r.name / "sr" / f"{image}.png"
            if not png.is_file():
                raise InputError(f"{png} is missing: run {r.name} has no SR output for test image {image}; "
                                 "rerun its evaluate_run job")
            shas[r.name] = _add_stimulus(stimuli, out, image, r.name, png=png)
        if bicubic_dir is not None:  # the baseline's own outputs (what its evaluation scored)
            png = Path(bicubic_dir) / f"{image}.png"
            if not png.is_file():
                raise InputError(f"{png} is missing: the bicubic baseline has no output for test image {image}; "
                                 "rerun its evaluate_bicubic job or leave out --bicubic-dir")
            shas[BICUBIC] = _add_stimulus(stimuli, out, image, BICUBIC, png=png)
        else:
            shas[BICUBIC] = _add_stimulus(stimuli, out, image, BICUBIC, array=bicubic_upsample(hr, scale))
        shas[REFERENCE] = _add_stimulus(stimuli, out, image, REFERENCE, array=hr)
        shas[DEGRADED] = _add_stimulus(stimuli, out, image, DEGRADED, array=degrade(hr))
    trials = design.design_trials(sorted(hrs), list(conditions), max_all=max_all, per_condition=per_condition,
                                  catch_degraded=catch_degraded, catch_identical=catch_identical,
                                  reference=REFERENCE, seed=seed)
    for trial in trials:
        trial["left_sha"] = sha_of[trial["image"]][trial["left"]]
        trial["right_sha"] = sha_of[trial["image"]][trial["right"]]
        trial["reference_sha"] = sha_of[trial["image"]][REFERENCE] if show_reference else None
    manifest = {
        "version": 1,
        "title": title,
        "dataset": test_dir.parent.parent.name + "-test",  # the dataset name evaluation.csv uses
        "design": {"max_all": max_all, "per_condition": per_condition, "catch_degraded": catch_degraded,
                   "catch_identical": catch_identical, "seed": seed, "degrade_factor": DEGRADE_FACTOR,
                   "scale": scale},
        "break_every": break_every,
        "show_reference": show_reference,
        "images": sorted(hrs),
        "conditions": conditions,
        "stimuli": stimuli,
        "trials": trials,
    }
    with atomic_path(out / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="workflow/config/demo.yaml")
    p.add_argument("--config-json", default=None, help="the validated config as JSON (the workflow passes it)")
    p.add_argument("--out", required=True, type=Path, help="the study folder to (re)create")
    p.add_argument("--runs-dir", type=Path, default=None, help="default: <results>/optimize/runs")
    p.add_argument("--test-dir", type=Path, default=None, help="HR test images; default: data.sr_test")
    p.add_argument("--bicubic-dir", type=Path, default=None, help="the bicubic baseline's SR outputs (the "
                   "workflow's <results>/optimize/bicubic/sr); default: computed here the same way")
    p.add_argument("--max-all", type=int, default=8, help="all pairs per image up to this many conditions")
    p.add_argument("--per-condition", type=int, default=6, help="pairs per condition in the incomplete design")
    p.add_argument("--catch-degraded", type=int, default=1, help="HR-vs-degraded catch trials per image")
    p.add_argument("--catch-identical", type=int, default=1, help="identical-pair catch trials per image")
    p.add_argument("--break-every", type=int, default=20, help="a break page every N trials")
    p.add_argument("--show-reference", action="store_true", help="show the HR reference above the pair")
    p.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> None:
    cfg = validate(json.loads(args.config_json), source="--config-json") if args.config_json \
        else load_config(args.config)
    manifest = build_study(cfg, args.out, runs_dir=args.runs_dir, test_dir=args.test_dir,
                           bicubic_dir=args.bicubic_dir, max_all=args.max_all,
                           per_condition=args.per_condition, catch_degraded=args.catch_degraded,
                           catch_identical=args.catch_identical, break_every=args.break_every,
                           show_reference=args.show_reference, seed=args.seed)
    print(f"{args.out}: {len(manifest['trials'])} trials over {len(manifest['images'])} images and "
          f"{len(manifest['conditions'])} conditions, {len(manifest['stimuli'])} stimuli")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m asym.judge.build", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
