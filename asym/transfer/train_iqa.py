"""Transfer stage: an IQA model on a reused backbone, fine-tuned and scored (claims C3, C5).

    python -m asym.transfer.train_iqa --spec '<json from asym.config.transfer_spec>' \
        --kind synthetic --root data/demo/iqa/synthetic \
        [--discriminator results/optimize/runs/l1__patchgan-w0.05__s0/final.pt] [--device cuda] \
        --out results/transfer/runs/patchgan__disc__synthetic__s0.csv

The model is a backbone, global mean-and-standard-deviation pooling of the feature
maps of its last ``stages`` stages, and a two-layer regression head, fine-tuned end to
end (no-reference, ``mode: nr``). The full-reference variant (``mode: fr``, per data
set through ``transfer.dataset_modes``) passes the distorted and the reference image
through the same backbone and regresses on [pool(distorted), |pool(distorted) -
pool(reference)|]; it needs a set with references (not KonIQ-10k, SPAQ, LIVE Challenge).

Every source is trained from three kinds of weights, named by what they are (the
``init`` label; :func:`asym.config.transfer_checkpoint_label`): ``random`` (drawn under
``init_seed``, which the config makes differ per split), ``disc`` (a discriminator of
the same architecture as a GAN run trained it, read from that run's ``final.pt``; the
splits take runs of different optimization seeds) and, where the architecture has a
published checkpoint, that checkpoint, named by its pre-training: ``imagenet``,
``dinov2`` (self-supervised, not an ImageNet classifier), ``clip``. Sources
(``spec["backbone"]``):

- a discriminator design (``discriminator: patchgan``; ``design`` and ``args`` are the
  constructor name and arguments from ``optimize.discriminators``): its feature trunk
  (``trunk()`` of :mod:`asym.nets.discriminators`: the PatchGAN/ESRGAN-VGG conv trunk,
  the U-Net encoder, the ViT encoder); no published checkpoint;
- a projected discriminator design (``design: projected``): see below;
- a named feature backbone (``backbone: vgg16``, see :mod:`asym.nets.backbones`): drawn,
  its checkpoint (the pinned ``weights`` file), or ``disc``: the backbone of a GAN run's
  discriminator that trained that very network (a projected design with ``finetune:
  true``, named by ``discriminator`` beside ``backbone``), so all three arms are one
  architecture.

Projected discriminators (Sauer et al. 2021) train only small heads on a FROZEN
pre-trained (or random) backbone, so their backbone learns nothing in a GAN run;
what the discriminator learns is the projection its heads make of the backbone's
features. The most faithful transfer trunk is therefore :class:`ProjectedTrunk`: the
backbone followed by the first layer of each head (the patch head's 3x3 conv, or the
image head's first linear layer on pooled features, each with its LeakyReLU), whose
outputs are the trunk's last stages. The architecture is the same for every init;
only the weights differ:

- ``random``: backbone and projection layers drawn under ``init_seed``;
- the checkpoint (``imagenet``, ``dinov2``, ...): the backbone's pinned weights
  (``weights`` of the transfer entry, else of the design), projection layers drawn
  under ``init_seed``;
- ``disc``: the GAN run's discriminator as saved in its ``final.pt``: the backbone
  exactly as the design had it (its own init, e.g. ImageNet) and the projection layers
  as the GAN run trained them.

So for a design on a pre-trained backbone, ``disc`` minus the checkpoint arm measures
exactly what adversarial training added (the learned projection), which is the
comparison claim C3 makes. As with every other backbone, the whole trunk (backbone
included) is then fine-tuned end to end.

Data: an IQA set split by content (:func:`asym.data.iqa_sets.split_by_content`, seed
``split_seed``): by reference image for full-reference sets, by image for the
no-reference sets, never by distorted image. Targets are the set's quality labels
standardised on the train split. Images are kept in memory as uint8, optionally
resized so their shorter side is ``resize`` pixels (SPAQ's photographs are about
4000x3000). Training sees random ``crop`` x ``crop`` crops; testing averages the
predictions over a fixed 3x3 grid of crops covering each image. The model runs on
``device`` (the config's). Output: one row with ``TRANSFER_COLUMNS``, SRCC's 95 % CI
from a bootstrap over test contents (references, or images of an NR set);
on a set whose labels compare images only within a distortion type (the synthetic
set, :func:`asym.data.iqa_sets.labels_within_type`) SRCC, its CI and PLCC are the mean
over types of the within-type values, as in the assessment table, and ``scope`` says
``within_distortion`` (else ``pooled``); ``backbone_family`` (``conv`` or ``transformer``) says what kind of network the source is.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch import nn
from tqdm import tqdm

from asym.analysis.stats import bootstrap_correlation, logistic_plcc, mean_within, srcc
from asym.data.iqa_sets import content_ids, labels_within_type, load_iqa_set, split_by_content
from asym.io import read_rgb, write_csv
from asym.nets.backbones import build_backbone
from asym.nets.discriminators import ProjectedDiscriminator, build_discriminator
from asym.optimize.designs import TRANSFORMER_BACKBONES, design_traits
from asym.optimize.final import load_discriminator

TRANSFER_COLUMNS = ["backbone", "backbone_family", "init", "dataset", "n", "seed", "srcc", "srcc_ci_low",
                    "srcc_ci_high", "plcc", "scope"]


def backbone_family(backbone: dict) -> str:
    """``"transformer"`` or ``"conv"``: what kind of network a transfer source is (claim C5
    contrasts them). Read from the source's configuration, the same way for a discriminator
    design (:func:`asym.optimize.designs.design_traits`) as for a named feature backbone."""
    if "discriminator" in backbone:
        return design_traits(_design_spec(backbone))[1]
    return "transformer" if backbone["backbone"] in TRANSFORMER_BACKBONES else "conv"


class ProjectedTrunk(nn.Module):
    """A projected discriminator's backbone plus the first layer of its heads (shares parameters).

    Returns ``[x, stage1, ..., stage_last]`` (backbone stages up to the deepest one the
    heads read) followed by the projections: one (B, hidden, h_s, w_s) map per selected
    stage for a patch head, or one (B, hidden, 1, 1) map for an image head.
    """

    def __init__(self, disc: ProjectedDiscriminator):
        super().__init__()
        self.backbone = disc.backbone
        self.stages = list(disc.stages)
        self.image_head = disc.head_type == "image"
        # Head layout (asym.nets.discriminators): [projection, LeakyReLU, logit layer].
        if self.image_head:
            self.project = nn.Sequential(*list(disc.head)[:2])
            widths = [self.project[0].out_features]
        else:
            self.project = nn.ModuleList(nn.Sequential(*list(head)[:2]) for head in disc.head)
            widths = [p[0].out_channels for p in self.project]
        self.last = max(self.stages)
        self.channels = [*self.backbone.channels[: self.last + 1], *widths]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = self.backbone(x)[: self.last + 1]
        picked = [feats[s] for s in self.stages]
        if self.image_head:
            pooled = torch.cat([f.mean(dim=(2, 3)) for f in picked], 1)
            return [*feats, self.project(pooled)[:, :, None, None]]
        return [*feats, *(proj(f) for proj, f in zip(self.project, picked))]


def _design_spec(backbone: dict) -> dict:
    """The discriminator constructor spec a transfer source names (name + arguments)."""
    return {"name": backbone.get("design", backbone["discriminator"]), **backbone.get("args", {})}


RANDOM_INIT, DISC_INIT = "random", "disc"  # as asym.config; any other init names a published checkpoint


def _fresh_design(backbone: dict, init: str) -> nn.Module:
    """The configured design with fresh weights: all drawn, or a projected one on its checkpoint."""
    spec = _design_spec(backbone)
    seed = backbone.get("init_seed", 0)
    if spec["name"] == "projected":
        spec["init"], spec["init_seed"] = ("random" if init == RANDOM_INIT else "imagenet"), seed
        if init != RANDOM_INIT:
            spec["weights"] = backbone.get("weights", spec.get("weights"))
    elif init != RANDOM_INIT:
        raise ValueError(f"a {spec['name']!r} discriminator trunk is initialised {RANDOM_INIT!r} or {DISC_INIT!r}, "
                         f"not {init!r} (only projected designs have a published backbone checkpoint)")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_discriminator(spec)


def _trained_design(backbone: dict, discriminator_file: Path | None) -> nn.Module:
    """The discriminator a GAN run trained (its ``final.pt``), checked to be the configured design."""
    if discriminator_file is None:
        raise ValueError(f"init {DISC_INIT!r} needs --discriminator (a GAN run's final.pt)")
    disc, spec = load_discriminator(discriminator_file)
    expected = _design_spec(backbone)
    if spec["discriminator"] != expected:
        raise ValueError(f"{discriminator_file} holds the discriminator {spec['discriminator']}, not the "
                         f"configured {backbone['discriminator']!r} design {expected}; give the final.pt of a "
                         f"run of that design")
    return disc


def build_trunk(backbone: dict, init: str, discriminator_file: Path | None = None) -> nn.Module:
    """The feature extractor: list of NCHW maps with ``.channels`` (see module docstring).

    ``init`` is ``random`` (drawn under ``init_seed``), ``disc`` (the GAN run's
    discriminator in ``discriminator_file``) or the label of the published checkpoint
    (``imagenet``, ``dinov2``, ``clip``, ...: the file ``weights``).
    """
    if "backbone" in backbone:  # a named network; its disc arm is a fine-tuned-backbone design's
        if init == DISC_INIT:
            disc = _trained_design(backbone, discriminator_file)
            if not (isinstance(disc, ProjectedDiscriminator) and disc.finetune):
                raise ValueError(f"{discriminator_file}: a {backbone['backbone']!r} backbone is reused from a "
                                 "discriminator that trained it (projected with finetune: true)")
            trunk = disc.backbone
        else:
            trunk = build_backbone(backbone["backbone"], init="random" if init == RANDOM_INIT else "imagenet",
                                   init_seed=backbone.get("init_seed", 0), weights=backbone.get("weights"))
    else:
        disc = _trained_design(backbone, discriminator_file) if init == DISC_INIT else _fresh_design(backbone, init)
        trunk = ProjectedTrunk(disc) if isinstance(disc, ProjectedDiscriminator) else disc.trunk()
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
        return torch.cat([torch.cat([f.mean((2, 3)), _spatial_std(f)], 1) for f in feats], 1)

    def forward(self, distorted: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        p = self.pooled(distorted)
        if self.mode == "fr":
            p = torch.cat([p, (p - self.pooled(reference)).abs()], 1)
        return self.head(p).squeeze(1)


def _spatial_std(f: torch.Tensor) -> torch.Tensor:
    """Per-channel standard deviation over positions; 0 for a 1x1 map (an image-level projection)."""
    if f.shape[-2] * f.shape[-1] == 1:
        return torch.zeros_like(f[:, :, 0, 0])
    return f.std((2, 3))


def _grid_crops(img: torch.Tensor, size: int, per_side: int = 3) -> torch.Tensor:
    """``per_side``**2 crops on a regular grid covering the (3, H, W) image."""
    h, w = img.shape[-2:]
    ys = np.linspace(0, h - size, per_side).round().astype(int)
    xs = np.linspace(0, w - size, per_side).round().astype(int)
    return torch.stack([img[:, y : y + size, x : x + size] for y in ys for x in xs])


def _random_crops(imgs, idx, size, gen) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One random crop per index, the same window in the distorted image and its reference (if any)."""
    dist, ref = [], []
    for i in idx:
        d, r = imgs[i]
        h, w = d.shape[-2:]
        y = int(torch.randint(h - size + 1, (1,), generator=gen))
        x = int(torch.randint(w - size + 1, (1,), generator=gen))
        dist.append(d[:, y : y + size, x : x + size])
        if r is not None:
            ref.append(r[:, y : y + size, x : x + size])
    return torch.stack(dist), (torch.stack(ref) if ref else None)


def load_image(path: str, resize: int | None = None) -> torch.Tensor:
    """(3, H, W) uint8 tensor (a quarter of float32's memory); shorter side ``resize`` px if given."""
    img = read_rgb(path)
    if resize is not None and min(img.shape[:2]) != resize:
        h, w = img.shape[:2]
        scale = resize / min(h, w)
        size = (max(resize, round(w * scale)), max(resize, round(h * scale)))  # PIL wants (W, H)
        img = np.array(Image.fromarray(img).resize(size, Image.Resampling.BICUBIC))  # antialiased
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)


def _device(name: str) -> torch.device:
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"the config asks for device {name!r}, but torch sees no CUDA GPU here; "
                           "set device: cpu in the config (or run on a GPU node)")
    return device


def run(spec: dict, kind: str, root: Path, discriminator_file: Path | None = None, progress: bool = False,
        reader_options: dict | None = None) -> dict:
    """Fine-tune and test one IQA model; returns the result row. ``reader_options``: the set's reader options."""
    table = load_iqa_set(kind, root, reader_options)
    fr = spec["mode"] == "fr"
    if fr and table["reference"].isna().any():
        raise ValueError(f"mode 'fr' needs reference images, but the {kind!r} set in {root} has none "
                         "(a no-reference set); train it with mode 'nr'")
    train_df, test_df = split_by_content(table, spec["test_fraction"], spec["split_seed"])
    device = _device(spec.get("device", "cpu"))
    resize = spec.get("resize")
    cache: dict[str, torch.Tensor] = {}

    def image(path):
        if path not in cache:
            cache[path] = load_image(path, resize)
        return cache[path]

    def pair(d, r):  # references only for a full-reference model (NR sets have none)
        return image(d), (image(r) if fr else None)

    def to_float(x):
        return None if x is None else x.to(device, non_blocking=True).float().div_(255.0)

    train_imgs = [pair(d, r) for d, r in zip(train_df["distorted"], train_df["reference"])]
    mos = train_df["mos"].to_numpy(dtype=float)
    mean, std = mos.mean(), mos.std() or 1.0
    targets = torch.tensor((mos - mean) / std, dtype=torch.float32)
    size = spec["crop"]
    if min(min(d.shape[-2:]) for d, _ in train_imgs) < size:
        raise ValueError(f"crop {size} is larger than some images of {root}"
                         + (f" after resizing to a shorter side of {resize}" if resize else ""))

    torch.manual_seed(spec["split_seed"])
    gen = torch.Generator().manual_seed(spec["split_seed"])
    model = IQAModel(build_trunk(spec["backbone"], spec["init"], discriminator_file), spec["stages"],
                     spec["hidden"], spec["mode"]).to(device)
    opt = torch.optim.Adam([
        {"params": model.trunk.parameters(), "lr": spec["lr"] * spec["backbone_lr_scale"]},
        {"params": model.head.parameters(), "lr": spec["lr"]},
    ])
    model.train()
    for _ in tqdm(range(spec["steps"]), disable=not progress, leave=False):
        idx = torch.randint(len(train_imgs), (spec["batch_size"],), generator=gen).tolist()
        dist, ref = _random_crops(train_imgs, idx, size, gen)
        loss = nn.functional.mse_loss(model(to_float(dist), to_float(ref)), targets[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    model.eval()
    preds = []
    with torch.no_grad():
        for d, r in zip(test_df["distorted"], test_df["reference"]):
            dist, ref = pair(d, r)
            crops = _grid_crops(dist, size)
            ref_crops = _grid_crops(ref, size) if ref is not None else None
            preds.append(float(model(to_float(crops), to_float(ref_crops)).mean()))
    scored = test_df.assign(score=preds, content=content_ids(test_df))
    within = labels_within_type(kind)
    srcc_of = (lambda d: mean_within(srcc, d)) if within else "srcc"
    low, high = bootstrap_correlation(scored, srcc_of, groups="content", n_boot=spec["n_boot"],
                                      seed=spec["split_seed"])
    return {
        "backbone": spec["name"], "backbone_family": backbone_family(spec["backbone"]), "init": spec["init"],
        "dataset": spec["dataset"], "n": len(scored), "seed": spec["split_seed"],
        "srcc": mean_within(srcc, scored) if within else srcc(scored["score"], scored["mos"]),
        "srcc_ci_low": low, "srcc_ci_high": high,
        "plcc": mean_within(logistic_plcc, scored) if within else logistic_plcc(scored["score"], scored["mos"]),
        "scope": "within_distortion" if within else "pooled",
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, type=json.loads, help="JSON (asym.config.transfer_spec)")
    parser.add_argument("--kind", required=True)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--reader-options", default="{}", type=json.loads,
                        help="the IQA set's reader options as JSON (data.iqa_sets.<name> beside kind and root, "
                             "e.g. TQD's direction)")
    parser.add_argument("--discriminator", type=Path, help="final.pt of the GAN run (init discriminator)")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--device", help="torch device (default: the spec's, i.e. the config's)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    spec = args.spec  # parsed by argparse: bad JSON is a one-line usage error naming --spec
    if args.device:
        spec["device"] = args.device
    row = run(spec, args.kind, args.root, args.discriminator, reader_options=args.reader_options)
    write_csv(pd.DataFrame([row], columns=TRANSFER_COLUMNS), args.out)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
