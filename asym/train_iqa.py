"""Transfer stage: an IQA model on a reused backbone, fine-tuned and scored (claims C3, C5).

    python -m asym.train_iqa --spec '<json from asym.config.transfer_spec>' \
        --kind synthetic --root data/demo/iqa/synthetic \
        [--discriminator results/optimize/runs/l1__patchgan-w0.05__s0/final.pt] \
        --out results/transfer/runs/patchgan__discriminator__synthetic__s0.csv

The model is a backbone, global mean-and-standard-deviation pooling of the feature
maps of its last ``stages`` stages, and a two-layer regression head, fine-tuned end to
end (no-reference, ``mode: nr``). The full-reference variant (``mode: fr``) passes
the distorted and the reference image through the same backbone and regresses on
[pool(distorted), |pool(distorted) - pool(reference)|].

Backbone sources (``spec["backbone"]``):
- a discriminator design (``discriminator: patchgan`` with its constructor
  arguments): the discriminator's feature trunk (``trunk()`` of
  :mod:`asym.nets.discriminators`), initialised ``random`` (seeded) or
  ``discriminator`` (the weights that design learned in an optimization run, read
  from that run's ``final.pt``);
- a named feature backbone (``backbone: vgg16``, see :mod:`asym.nets.backbones`),
  initialised ``random`` or ``imagenet`` (pinned local weights file).

Data: an IQA set split by reference image (``split_seed``; never by distorted image)
into train and test; targets are the set's quality labels standardised on the train
split. Training sees random ``crop`` x ``crop`` crops; testing averages the
predictions over a fixed grid of crops covering each image. Output: one row with
``TRANSFER_COLUMNS``, SRCC's 95 % CI from a bootstrap over test references.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from asym.data.images import to_tensor
from asym.data.iqa_sets import load_iqa_set, split_by_reference
from asym.io import read_rgb, write_csv
from asym.nets.backbones import build_backbone
from asym.nets.discriminators import build_discriminator
from asym.stats import bootstrap_correlation, logistic_plcc, srcc
from asym.train_sr import load_discriminator

TRANSFER_COLUMNS = ["backbone", "init", "dataset", "n", "seed", "srcc", "srcc_ci_low", "srcc_ci_high", "plcc"]


def build_trunk(backbone: dict, init: str, discriminator_file: Path | None = None) -> nn.Module:
    """The feature extractor: list of NCHW maps with ``.channels`` (see module docstring)."""
    if "discriminator" in backbone:
        if init == "discriminator":
            if discriminator_file is None:
                raise ValueError("init 'discriminator' needs --discriminator (a GAN run's final.pt)")
            disc, spec = load_discriminator(discriminator_file)
            if spec["discriminator"]["name"] != backbone["discriminator"]:
                raise ValueError(f"{discriminator_file} holds a {spec['discriminator']['name']!r} discriminator, "
                                 f"not {backbone['discriminator']!r}")
        elif init == "random":
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(backbone.get("init_seed", 0))
                disc = build_discriminator({"name": backbone["discriminator"], **backbone.get("args", {})})
        else:
            raise ValueError(f"a discriminator trunk is initialised 'random' or 'discriminator', not {init!r}")
        trunk = disc.trunk()
    else:
        trunk = build_backbone(backbone["backbone"], init=init, init_seed=backbone.get("init_seed", 0),
                               weights=backbone.get("weights"))
    trunk.train()
    for p in trunk.parameters():
        p.requires_grad_(True)  # fine-tuned end to end
    return trunk


class IQAModel(nn.Module):
    """Backbone + mean/std pooling of the last ``stages`` stages + MLP head -> one score."""

    def __init__(self, trunk: nn.Module, stages: int = 2, hidden: int = 128, mode: str = "nr"):
        super().__init__()
        if mode not in ("nr", "fr"):
            raise ValueError(f"mode must be 'nr' or 'fr', got {mode!r}")
        self.trunk, self.stages, self.mode = trunk, stages, mode
        width = 2 * sum(trunk.channels[-stages:])  # mean and std per channel
        self.head = nn.Sequential(nn.Linear(width * (2 if mode == "fr" else 1), hidden), nn.ReLU(inplace=True),
                                  nn.Linear(hidden, 1))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.trunk(x)[-self.stages:]
        return torch.cat([torch.cat([f.mean((2, 3)), f.std((2, 3))], 1) for f in feats], 1)

    def forward(self, distorted: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        p = self.pooled(distorted)
        if self.mode == "fr":
            p = torch.cat([p, (p - self.pooled(reference)).abs()], 1)
        return self.head(p).squeeze(1)


def _grid_crops(img: torch.Tensor, size: int, per_side: int = 3) -> torch.Tensor:
    """``per_side``**2 crops on a regular grid covering the (3, H, W) image."""
    h, w = img.shape[-2:]
    ys = np.linspace(0, h - size, per_side).round().astype(int)
    xs = np.linspace(0, w - size, per_side).round().astype(int)
    return torch.stack([img[:, y : y + size, x : x + size] for y in ys for x in xs])


def _random_crop_pair(imgs, idx, size, gen):
    out = []
    for i in idx:
        d, r = imgs[i]
        h, w = d.shape[-2:]
        y = int(torch.randint(h - size + 1, (1,), generator=gen))
        x = int(torch.randint(w - size + 1, (1,), generator=gen))
        out.append((d[:, y : y + size, x : x + size], r[:, y : y + size, x : x + size]))
    return torch.stack([o[0] for o in out]), torch.stack([o[1] for o in out])


def run(spec: dict, kind: str, root: Path, discriminator_file: Path | None = None, progress: bool = False) -> dict:
    """Fine-tune and test one IQA model; returns the result row."""
    table = load_iqa_set(kind, root)
    train_df, test_df = split_by_reference(table, spec["test_fraction"], spec["split_seed"])
    cache = {}

    def image(path):
        if path not in cache:
            cache[path] = to_tensor(read_rgb(path))
        return cache[path]

    train_imgs = [(image(d), image(r)) for d, r in zip(train_df["distorted"], train_df["reference"])]
    mos = train_df["mos"].to_numpy(dtype=float)
    mean, std = mos.mean(), mos.std() or 1.0
    targets = torch.tensor((mos - mean) / std, dtype=torch.float32)
    size = spec["crop"]
    if min(min(d.shape[-2:]) for d, _ in train_imgs) < size:
        raise ValueError(f"crop {size} is larger than some images of {root}")

    torch.manual_seed(spec["split_seed"])
    gen = torch.Generator().manual_seed(spec["split_seed"])
    model = IQAModel(build_trunk(spec["backbone"], spec["init"], discriminator_file), spec["stages"],
                     spec["hidden"], spec["mode"])
    opt = torch.optim.Adam([
        {"params": model.trunk.parameters(), "lr": spec["lr"] * spec["backbone_lr_scale"]},
        {"params": model.head.parameters(), "lr": spec["lr"]},
    ])
    model.train()
    for _ in tqdm(range(spec["steps"]), disable=not progress, leave=False):
        idx = torch.randint(len(train_imgs), (spec["batch_size"],), generator=gen).tolist()
        dist, ref = _random_crop_pair(train_imgs, idx, size, gen)
        loss = nn.functional.mse_loss(model(dist, ref), targets[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.eval()
    preds = []
    with torch.no_grad():
        for d, r in zip(test_df["distorted"], test_df["reference"]):
            dc, rc = _grid_crops(image(d), size), _grid_crops(image(r), size)
            preds.append(float(model(dc, rc).mean()))
    scored = test_df.assign(score=preds)
    low, high = bootstrap_correlation(scored, "srcc", groups="reference", n_boot=spec["n_boot"],
                                      seed=spec["split_seed"])
    return {
        "backbone": spec["name"], "init": spec["init"], "dataset": spec["dataset"], "n": len(scored),
        "seed": spec["split_seed"], "srcc": srcc(scored["score"], scored["mos"]),
        "srcc_ci_low": low, "srcc_ci_high": high, "plcc": logistic_plcc(scored["score"], scored["mos"]),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="JSON (asym.config.transfer_spec)")
    parser.add_argument("--kind", required=True)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--discriminator", type=Path, help="final.pt of the GAN run (init discriminator)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    row = run(json.loads(args.spec), args.kind, args.root, args.discriminator)
    write_csv(pd.DataFrame([row], columns=TRANSFER_COLUMNS), args.out)


if __name__ == "__main__":
    main()
