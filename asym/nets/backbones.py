"""Feature backbones for DISTS-style metrics: a stack of stage-wise feature maps.

    from asym.nets.backbones import build_backbone
    net = build_backbone("vgg16", init="random", init_seed=0)
    feats = net(images)            # list: [images, stage1, stage2, ...]
    net.channels                   # channels of each entry, e.g. [3, 64, 128, 256, 512, 512]

VGG-16 is cut into the five stages DISTS uses (Ding et al., TPAMI 2020), with max
pooling replaced by Hanning-window L2 pooling, which DISTS chose because it does not
alias. Other convolutional backbones come from timm's ``features_only`` mode.
Random weights ("-R" variants) are drawn under a fixed seed, so the same metric is
the same network in every job (assessment, training loss, evaluation).
Pre-trained weights are read only from a local file (``weights``); nothing is
downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Where each pre-trained file officially comes from, for the "missing weights" message.
OFFICIAL_WEIGHTS = {
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
}


class WeightsMissingError(FileNotFoundError):
    """A pinned weight file is absent; the message names the path and its source."""


class L2Pool(nn.Module):
    """Hanning-window L2 pooling, stride 2 (DISTS's replacement for max pooling)."""

    def __init__(self, channels: int, filter_size: int = 5):
        super().__init__()
        taps = np.hanning(filter_size)[1:-1]  # drop the zero end points: 3 taps for size 5
        kernel = torch.tensor(np.outer(taps, taps), dtype=torch.float32)
        kernel = kernel / kernel.sum()
        self.register_buffer("filter", kernel[None, None].repeat(channels, 1, 1, 1))
        self.padding = (filter_size - 2) // 2
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.conv2d(x**2, self.filter, stride=2, padding=self.padding, groups=self.channels)
        return (out + 1e-12).sqrt()


class VGG16Stages(nn.Module):
    """VGG-16 conv layers in DISTS's five stages; returns [input, relu1_2, ..., relu5_3]."""

    channels = [3, 64, 128, 256, 512, 512]

    def __init__(self):
        super().__init__()
        import torchvision

        features = torchvision.models.vgg16(weights=None).features
        # Indices into torchvision's vgg16().features; 4, 9, 16, 23 are the max pools.
        self.stage1 = nn.Sequential(*features[0:4])
        self.stage2 = nn.Sequential(L2Pool(64), *features[5:9])
        self.stage3 = nn.Sequential(L2Pool(128), *features[10:16])
        self.stage4 = nn.Sequential(L2Pool(256), *features[17:23])
        self.stage5 = nn.Sequential(L2Pool(512), *features[24:30])
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [x]
        h = (x - self.mean) / self.std
        for stage in (self.stage1, self.stage2, self.stage3, self.stage4, self.stage5):
            h = stage(h)
            feats.append(h)
        return feats

    def load_torchvision_state(self, state: dict) -> None:
        """Load a torchvision ``vgg16`` state dict (keys ``features.N.weight``)."""
        convs = {}
        for key, value in state.items():
            if key.startswith("features."):
                convs[key[len("features.") :]] = value
        mapping = {}
        for stage_name, offset, count, shift in (
            ("stage1", 0, 4, 0),
            ("stage2", 5, 4, 1),
            ("stage3", 10, 6, 1),
            ("stage4", 17, 6, 1),
            ("stage5", 24, 6, 1),
        ):
            for i in range(count):
                for p in ("weight", "bias"):
                    src = f"{offset + i}.{p}"
                    if src in convs:
                        mapping[f"{stage_name}.{i + shift}.{p}"] = convs[src]
        missing = [k for k, _ in self.named_parameters() if k not in mapping]
        if missing:
            raise ValueError(f"VGG-16 weights lack parameters for {missing[:3]}...; is this a torchvision vgg16 file?")
        self.load_state_dict(mapping, strict=False)


class TimmStages(nn.Module):
    """Any timm CNN in ``features_only`` mode; returns [input, stage1, ...]."""

    def __init__(self, name: str):
        super().__init__()
        import timm

        self.body = timm.create_model(name, pretrained=False, features_only=True)
        self.channels = [3, *self.body.feature_info.channels()]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x, *self.body((x - self.mean) / self.std)]


def _construct(name: str) -> nn.Module:
    if name == "vgg16":
        return VGG16Stages()
    return TimmStages(name)


def build_backbone(name: str, init: str = "random", init_seed: int = 0, weights: str | None = None) -> nn.Module:
    """Build a frozen, eval-mode feature backbone.

    ``init="random"`` draws the weights under ``init_seed`` without touching the
    caller's RNG state; ``init="imagenet"`` loads ``weights`` (a local file, loaded
    with ``weights_only=True``) and fails with the expected path and the official
    source when it is missing.
    """
    if init == "random":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            net = _construct(name)
    elif init == "imagenet":
        if not weights or not Path(weights).is_file():
            source = OFFICIAL_WEIGHTS.get(name, "the backbone's official release")
            raise WeightsMissingError(
                f"pre-trained weights for backbone {name!r} not found at {weights!r}. "
                f"Put the file there (official source: {source}), e.g. with `dvc pull`, "
                "or use init: random."
            )
        net = _construct(name)
        state = torch.load(weights, map_location="cpu", weights_only=True)
        if isinstance(net, VGG16Stages):
            net.load_torchvision_state(state)
        else:
            net.body.load_state_dict(state, strict=False)
    else:
        raise ValueError(f"unknown init {init!r}; use 'random' or 'imagenet'")
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
