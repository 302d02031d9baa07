"""Feature backbones for DISTS-style metrics: a stack of stage-wise feature maps.

    from asym.nets.backbones import build_backbone
    net = build_backbone("vgg16", init="random", init_seed=0)
    feats = net(images)            # list: [images, stage1, stage2, ...], each NCHW
    net.channels                   # channels of each entry, e.g. [3, 64, 128, 256, 512, 512]

Every backbone returns the raw input image (in [0, 1], not normalised, as DISTS does)
followed by its stage feature maps. The input is normalised with the backbone's own
mean/std (ImageNet, or CLIP's for the CLIP image tower) before the first layer.

The named backbones (:data:`BACKBONES`) and the feature maps taken from each:

==============  ===============================  ==================================================
name            network                          entries after the input image
==============  ===============================  ==================================================
vgg16           torchvision ``vgg16``            DISTS's five stages: relu1_2, relu2_2, relu3_3,
                                                 relu4_3, relu5_3, with max pooling replaced by
                                                 Hanning-window L2 pooling (DISTS chose it because
                                                 it does not alias; Ding et al., TPAMI 2020)
resnet50        timm ``resnet50``                stem (after ReLU, stride 2), layer1..layer4
convnext_tiny   timm ``convnext_tiny``           stages 0..3 (strides 4, 8, 16, 32)
clip_vit_b16    timm ``vit_base_patch16_clip_224``  token maps after blocks 3, 6, 9, 12 of 12
                                                 (0-based indices 2, 5, 8, 11), stride 16
swin_t          timm ``swin_tiny_patch4_window7_224``  stages 0..3 (strides 4, 8, 16, 32)
dinov2_vits14   timm ``vit_small_patch14_dinov2``  token maps after blocks 3, 6, 9, 12 of 12
                                                 (0-based indices 2, 5, 8, 11), stride 14
==============  ===============================  ==================================================

Transformer token maps come from timm's ``forward_intermediates(..., output_fmt="NCHW")``
without the class/register tokens and without the final norm. ViTs run with a dynamic
image size (position embeddings resampled to the input's grid) and Swin with padded
windows, so any image size works: the normalised input is resized (bilinear,
antialiased) to the nearest multiple of the patch size when it is not one already
(e.g. 64 -> 70 for patch 14); the first entry stays the original image. Any other timm
CNN name falls back to timm's ``features_only`` mode (:class:`TimmStages`).

Random weights ("-R" variants) are drawn under a fixed seed without touching the
caller's RNG, so the same metric is the same network in every job (assessment,
training loss, evaluation). Pre-trained weights are read only from a local file
(``weights``: ``.pth``/``.pt``/``.bin`` loaded with ``weights_only=True``, or
``.safetensors``); nothing is downloaded. Files in the official release format are
accepted: timm's own checkpoint converters map them (OpenAI/open_clip CLIP, DINOv2,
Swin and ConvNeXt originals; torchvision ResNet-50 keys equal timm's).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)  # OpenAI CLIP's preprocessing
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# One entry per named backbone: how to build it, what to take, how to normalise,
# and where its pre-trained weights officially come from (for the missing-file message
# and `asym weights check`).
BACKBONES = {
    "vgg16": {
        "kind": "vgg16", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
        "official": "https://download.pytorch.org/models/vgg16-397923af.pth "
                    "(torchvision VGG16_Weights.IMAGENET1K_V1)",
    },
    "resnet50": {
        "kind": "cnn", "timm": "resnet50", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
        "official": "https://download.pytorch.org/models/resnet50-0676ba61.pth "
                    "(torchvision ResNet50_Weights.IMAGENET1K_V1)",
    },
    "convnext_tiny": {
        "kind": "cnn", "timm": "convnext_tiny", "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
        "official": "https://dl.fbaipublicfiles.com/convnext/convnext_tiny_1k_224_ema.pth "
                    "(facebookresearch/ConvNeXt, ImageNet-1k)",
    },
    "clip_vit_b16": {
        "kind": "vit", "timm": "vit_base_patch16_clip_224", "blocks": (2, 5, 8, 11), "patch": 16,
        "mean": CLIP_MEAN, "std": CLIP_STD,
        "official": "OpenAI CLIP ViT-B/16 image tower (https://github.com/openai/CLIP), as timm "
                    "stores it: Hugging Face hub timm/vit_base_patch16_clip_224.openai "
                    "(open_clip_pytorch_model.bin or model.safetensors)",
    },
    "swin_t": {
        "kind": "swin", "timm": "swin_tiny_patch4_window7_224", "patch": 4,
        "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
        "official": "https://github.com/SwinTransformer/storage/releases/download/v1.0.0/"
                    "swin_tiny_patch4_window7_224.pth (microsoft/Swin-Transformer, ImageNet-1k)",
    },
    "dinov2_vits14": {
        "kind": "vit", "timm": "vit_small_patch14_dinov2", "blocks": (2, 5, 8, 11), "patch": 14,
        "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
        "official": "https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth "
                    "(facebookresearch/dinov2)",
    },
}

# Where each pre-trained file officially comes from, for the "missing weights" message.
OFFICIAL_WEIGHTS = {name: entry["official"] for name, entry in BACKBONES.items()}


from asym.errors import WeightsMissingError


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
        out = F.conv2d(x.square(), self.filter, stride=2, padding=self.padding, groups=self.channels)
        return out.add_(1e-12).sqrt_()  # in place: one large temporary less (conv backward needs no output)


class _Normalised(nn.Module):
    """Holds the per-backbone input mean/std as buffers."""

    def _set_norm(self, mean, std) -> None:
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class VGG16Stages(_Normalised):
    """VGG-16 conv layers in DISTS's five stages; returns [input, relu1_2, ..., relu5_3]."""

    def __init__(self, draw_weights: bool = True):
        super().__init__()
        self.channels = [3, 64, 128, 256, 512, 512]
        import torchvision

        if draw_weights:
            # The conv weights torchvision's vgg16(weights=None) draws under a seed: build
            # the whole model (the classifier's construction draws come before the convs'
            # final ones), then redraw the convs as VGG's init does. Its classifier redraws
            # (124M numbers) come after the convs' and are skipped (timings: docs/performance.md).
            features = torchvision.models.vgg16(weights=None, init_weights=False).features
            for layer in features:
                if isinstance(layer, nn.Conv2d):
                    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.constant_(layer.bias, 0)
        else:
            # Weights follow from a state dict: skip every random draw.
            with torch.device("meta"):
                features = torchvision.models.vgg16(weights=None, init_weights=False).features
            features = features.to_empty(device="cpu")
        # Indices into torchvision's vgg16().features; 4, 9, 16, 23 are the max pools.
        self.stage1 = nn.Sequential(*features[0:4])
        self.stage2 = nn.Sequential(L2Pool(64), *features[5:9])
        self.stage3 = nn.Sequential(L2Pool(128), *features[10:16])
        self.stage4 = nn.Sequential(L2Pool(256), *features[17:23])
        self.stage5 = nn.Sequential(L2Pool(512), *features[24:30])
        self._set_norm(IMAGENET_MEAN, IMAGENET_STD)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [x]
        h = self.normalise(x)
        for stage in self.stages():
            h = stage(h)
            feats.append(h)
        return feats

    def stages(self) -> tuple[nn.Sequential, ...]:
        return (self.stage1, self.stage2, self.stage3, self.stage4, self.stage5)

    def torchvision_state(self) -> dict:
        """The conv weights as a torchvision ``vgg16().features`` state dict (keys ``N.weight``)."""
        out = {}
        for stage_name, offset, count, shift in self._LAYOUT:
            stage = getattr(self, stage_name)
            for i in range(count):
                layer = stage[i + shift]
                if isinstance(layer, nn.Conv2d):
                    out[f"{offset + i}.weight"] = layer.weight.detach().contiguous().clone()
                    out[f"{offset + i}.bias"] = layer.bias.detach().clone()
        return out

    # (stage, first torchvision features index, layers taken, position shift for the L2 pool)
    _LAYOUT = (("stage1", 0, 4, 0), ("stage2", 5, 4, 1), ("stage3", 10, 6, 1), ("stage4", 17, 6, 1),
               ("stage5", 24, 6, 1))

    def load_torchvision_state(self, state: dict) -> None:
        """Load a torchvision ``vgg16`` state dict (keys ``features.N.weight``)."""
        convs = {}
        for key, value in state.items():
            if key.startswith("features."):
                convs[key[len("features.") :]] = value
        mapping = {}
        for stage_name, offset, count, shift in self._LAYOUT:
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
    """Any timm CNN in ``features_only`` mode; returns [input, stage1, ...] (fallback for unnamed backbones)."""

    def __init__(self, name: str):
        super().__init__()
        import timm

        self.body = timm.create_model(name, pretrained=False, features_only=True)
        self.channels = [3, *self.body.feature_info.channels()]
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x, *self.body((x - self.mean) / self.std)]

    def load_pretrained_state(self, state: dict) -> None:
        self.body.load_state_dict(state, strict=False)


class TimmIntermediates(_Normalised):
    """A named timm backbone (:data:`BACKBONES`) read through ``forward_intermediates``.

    The full timm model is built (so checkpoints load with their own key names and
    timm's converters), then its classifier head is pruned away.
    """

    def __init__(self, name: str):
        super().__init__()
        import timm

        entry = BACKBONES[name]
        kwargs = {}
        if entry["kind"] == "vit":
            kwargs["dynamic_img_size"] = True  # resample position embeddings to the input grid
        elif entry["kind"] == "swin":
            kwargs["strict_img_size"] = False  # any size: windows padded, masks computed per input
        self.name = name
        self.body = timm.create_model(entry["timm"], pretrained=False, **kwargs)
        info = self.body.feature_info
        self.indices = list(entry.get("blocks", range(len(info))))
        self.channels = [3, *(int(info[i]["num_chs"]) for i in self.indices)]
        self.patch = int(entry.get("patch", 1))
        self._set_norm(entry["mean"], entry["std"])
        self._pruned = False

    def prune(self) -> None:
        """Drop the classifier head (and layers after the last taken index): less memory and time."""
        if not self._pruned:
            self.body.prune_intermediate_layers(self.indices, prune_norm=True, prune_head=True)
            self._pruned = True

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = self.normalise(x)
        if self.patch > 1:
            size = [max(self.patch, round(s / self.patch) * self.patch) for s in h.shape[-2:]]
            if size != list(h.shape[-2:]):
                h = F.interpolate(h, size=size, mode="bilinear", align_corners=False, antialias=True)
        return [x, *self.body.forward_intermediates(h, indices=self.indices, output_fmt="NCHW",
                                                    intermediates_only=True)]

    def load_pretrained_state(self, state: dict) -> None:
        """Load a checkpoint (timm or official layout; classifier keys optional)."""
        state = state.get("model", state) if isinstance(state.get("model"), dict) else state
        state = state.get("state_dict", state) if isinstance(state.get("state_dict"), dict) else state
        module = importlib.import_module(type(self.body).__module__)
        convert = getattr(module, "checkpoint_filter_fn", None)
        if convert is not None:
            state = convert(state, self.body)
        result = self.body.load_state_dict(state, strict=False)
        head = ("head.", "fc.", "norm.", "fc_norm.", "head_drop.")
        missing = [k for k in result.missing_keys if not k.startswith(head)]
        if missing:
            raise ValueError(
                f"weights do not fit backbone {self.name!r} (timm {BACKBONES[self.name]['timm']}): "
                f"{len(missing)} parameters missing, e.g. {missing[:3]}"
            )


# Random VGG-16 weights per seed, drawn once per process: drawing them means building
# torchvision's whole VGG-16 (most of a second on one core), and a job or test session builds
# the same "-R" network several times.
_RANDOM_VGG16: dict[int, dict[str, torch.Tensor]] = {}


def _construct(name: str, init_seed: int | None = None) -> nn.Module:
    """The network; ``init_seed`` None means its weights are loaded next (no random draws needed for VGG)."""
    if name == "vgg16":
        if init_seed is None:
            return VGG16Stages(draw_weights=False)
        if init_seed not in _RANDOM_VGG16:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(init_seed)
                net = VGG16Stages()
            _RANDOM_VGG16[init_seed] = {k: v.clone() for k, v in net.state_dict().items()}
            return net
        net = VGG16Stages(draw_weights=False)
        net.load_state_dict(_RANDOM_VGG16[init_seed])
        return net
    with torch.random.fork_rng(devices=[]):
        if init_seed is not None:
            torch.manual_seed(init_seed)
        return TimmIntermediates(name) if name in BACKBONES else TimmStages(name)


def read_state_dict(path: str | Path) -> dict:
    """A weights file as a state dict: ``.safetensors`` or a torch file loaded with ``weights_only=True``."""
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    return torch.load(path, map_location="cpu", weights_only=True)


def build_backbone(name: str, init: str = "random", init_seed: int = 0, weights: str | None = None) -> nn.Module:
    """Build a frozen, eval-mode feature backbone.

    ``init="random"`` draws the weights under ``init_seed`` without touching the
    caller's RNG state; ``init="imagenet"`` loads ``weights`` (a local file) and fails
    with the expected path and the official source when it is missing.
    """
    if init == "random":
        net = _construct(name, int(init_seed))
    elif init == "imagenet":
        if not weights or not Path(weights).is_file():
            source = OFFICIAL_WEIGHTS.get(name, "the backbone's official release")
            raise WeightsMissingError(
                f"pre-trained weights for backbone {name!r} not found at {weights!r}. "
                f"Put the file there (official source: {source}), e.g. with `dvc pull`, "
                "or use init: random."
            )
        net = _construct(name, None)
        state = read_state_dict(weights)
        if isinstance(net, VGG16Stages):
            net.load_torchvision_state(state)
        else:
            net.load_pretrained_state(state)
    else:
        raise ValueError(f"unknown init {init!r}; use 'random' or 'imagenet'")
    if isinstance(net, TimmIntermediates):
        net.prune()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
