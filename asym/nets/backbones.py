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

from asym.nets.amp import autocast_enabled
from asym.accel.winograd import WinogradConv

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


from asym.errors import WeightsMissingError  # noqa: E402,F401  (a pinned weight file is absent; exit code in asym.errors)


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


def _conv_input_grad(grad: torch.Tensor, inp: torch.Tensor, weight: torch.Tensor, stride, padding,
                     groups: int) -> torch.Tensor:
    """Input gradient of a 2-D convolution with dilation 1 (what autograd's convolution
    backward computes for a frozen layer); ``inp`` gives the input's shape and layout."""
    return torch.ops.aten.convolution_backward(
        grad, inp, weight, None, _pair2(stride), _pair2(padding), [1, 1], False, [0, 0], groups,
        [True, False, False])[0]


def _pair2(value) -> list[int]:
    return [value, value] if isinstance(value, int) else list(value)


class _PairedVGG16(torch.autograd.Function):
    """VGG-16 stage maps of a predicted and a reference batch in ONE forward pass (one
    batch of 2B: faster convolutions than two passes of B), with a hand-written backward
    that runs through the predicted half only. Used by :meth:`VGG16Stages.paired_features`
    for DISTS-style losses, where the reference needs no gradient.

    Same values and input gradient as autograd over two separate passes (float rounding
    only differs): the backward applies, layer by layer in reverse, the ReLU masks, the
    convolutions' input gradients (``aten.convolution_backward``, as autograd does) and
    L2 pooling's ``d sqrt(blur(x^2)) / dx = x * blur^T(g / out)``. The VGG weights are
    frozen (no weight gradients). On the CPU, the 256- and 512-channel layers on maps of 8
    or more a side convolve by Winograd's algorithm, forward and backward
    (:mod:`asym.accel.winograd`, :attr:`VGG16Stages.winograd`). Returns the five predicted
    stage maps, then the five reference ones (the latter non-differentiable). Memory: the saved predicted-half maps
    share storage with the reference half, so the reference's activations stay alive until
    the backward (two-pass autograd frees them after the loss), up to twice the VGG
    activation memory of a step; under autocast (the GPU runs) the two-pass path is used.
    """

    @staticmethod
    def forward(ctx, pred: torch.Tensor, ref: torch.Tensor, net: VGG16Stages):
        b = pred.shape[0]
        h = net.normalise(torch.cat([pred, ref])).contiguous(memory_format=torch.channels_last)
        records, tensors, outputs = [], [], []
        for stage in net.stages():
            h = net.stage_input_layout(stage, h)  # the layouts of VGG16Stages.forward
            for layer in stage:
                if isinstance(layer, nn.Conv2d) and net.winograd.applies(layer, h):
                    records.append(("winograd", layer, None))  # its input gradient needs no saved input
                    h = net.winograd(layer, h)
                elif isinstance(layer, nn.Conv2d):
                    records.append(("conv", layer, len(tensors)))
                    tensors.append(h[:b])  # input: shape and layout for the input gradient
                    h = layer(h)
                elif isinstance(layer, nn.ReLU):
                    h = torch.relu_(h)
                    records.append(("relu", layer, len(tensors)))
                    tensors.append(h[:b])  # output: the mask
                elif isinstance(layer, L2Pool):
                    records.append(("l2pool", layer, len(tensors)))
                    tensors.append(h[:b])
                    h = layer(h)
                    tensors.append(h[:b])
                else:
                    raise TypeError(f"unexpected VGG-16 layer {layer!r}")
            records.append(("stage_end", None, None))
            outputs.append(h)
        ctx.save_for_backward(*tensors)
        ctx.records, ctx.std, ctx.winograd = records, net.std, net.winograd
        ref_maps = [o[b:] for o in outputs]
        ctx.mark_non_differentiable(*ref_maps)
        return (*[o[:b] for o in outputs], *ref_maps)

    @staticmethod
    def backward(ctx, *grads):
        tensors = ctx.saved_tensors
        stage_grads = list(grads[:5])
        g = None
        for kind, layer, at in reversed(ctx.records):
            if kind == "stage_end":
                upstream = stage_grads.pop()
                g = upstream if g is None else g.add_(upstream)
            elif kind == "relu" and g is grads[4]:  # autograd's own tensor: not written to
                g = torch.ops.aten.threshold_backward(g, tensors[at], 0)
            elif kind == "relu":  # in place: one large allocation less per layer
                g = torch.ops.aten.threshold_backward.grad_input(g, tensors[at], 0, grad_input=g)
            elif kind == "winograd":
                g = ctx.winograd.input_grad(layer, g)
            elif kind == "conv":
                inp = tensors[at]
                g = _conv_input_grad(g, inp, layer.weight, layer.stride, layer.padding, layer.groups)
            else:  # l2pool: out = sqrt(blur(x^2) + eps) -> dx = x * blur^T(g / out)
                inp, out = tensors[at], tensors[at + 1]
                blurred = _conv_input_grad(g / out, inp, layer.filter, 2, layer.padding, layer.channels)
                g = blurred.mul_(inp)
        return g / ctx.std, None, None


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
            # (124M numbers, ~0.5 s) come after the convs' and are skipped.
            features = torchvision.models.vgg16(weights=None, init_weights=False).features
            for layer in features:
                if isinstance(layer, nn.Conv2d):
                    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.constant_(layer.bias, 0)
        else:
            # Weights follow from a state dict: skip every random draw (~0.7 s).
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
        # Frozen 3 x 3 layers with >= 256 outputs (stages 3-5) on maps of 8 or more a side run
        # by Winograd's algorithm on the CPU when no gradient flows through their weights or
        # input: fewer FLOPs where oneDNN's direct convolutions are already at the CPU's
        # peak (asym.accel.winograd).
        self.winograd = WinogradConv()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [x]
        # channels-last (NHWC) is oneDNN's and cuDNN's native layout: much faster for the
        # 3-channel first convolution on CPU and never slower in stages 1-3. Stages 4 and 5
        # (512 channels) on small maps -- 8 x 8 and 4 x 4 for a 64 px training patch -- run
        # their oneDNN convolutions faster in NCHW (the VGG pass ~10 % faster at 64 px; the
        # same at 128 px; 4 % slower at 256 px, so large inputs stay channels-last): see
        # :meth:`stage_input_layout` (before stage 5 too: stage 4's Winograd convolutions return
        # channels-last maps). Weights are reordered per call either way, so their stored
        # layout (:meth:`use_fast_layouts`) does not matter for speed.
        h = self.normalise(x).contiguous(memory_format=torch.channels_last)
        for stage in self.stages():
            h = self.stage_input_layout(stage, h)
            for layer in stage:
                h = self.winograd(layer, h) if self._winograd_inference(layer, h) else layer(h)
            feats.append(h)
        return feats

    def _winograd_inference(self, layer: nn.Module, h: torch.Tensor) -> bool:
        """Whether ``layer`` runs by Winograd in :meth:`forward`: a layer it applies to, with no
        gradient wanted through it (scoring, a frozen reference); trained or differentiated
        layers keep the convolution autograd knows."""
        if not isinstance(layer, nn.Conv2d) or not self.winograd.applies(layer, h):
            return False
        return not torch.is_grad_enabled() or not (h.requires_grad or layer.weight.requires_grad
                                                   or (layer.bias is not None and layer.bias.requires_grad))

    # Stage 3's output map size (positions) up to which stages 4-5 run NCHW (16 x 16: inputs up to 64 px).
    NCHW_MAX_POSITIONS = 256

    def stage_input_layout(self, stage: nn.Module, h: torch.Tensor) -> torch.Tensor:
        """``h`` in the layout ``stage`` runs fastest in: NCHW for stages 4 and 5 when stage 3's
        output has at most :attr:`NCHW_MAX_POSITIONS` positions (stage 5's input, after stage
        4's pooling, a quarter of that), as it comes otherwise."""
        if stage is self.stage4:
            limit = self.NCHW_MAX_POSITIONS
        elif stage is self.stage5:
            limit = self.NCHW_MAX_POSITIONS // 4
        else:
            return h
        return h.contiguous() if h.shape[-2] * h.shape[-1] <= limit else h

    def stages(self) -> tuple[nn.Sequential, ...]:
        return (self.stage1, self.stage2, self.stage3, self.stage4, self.stage5)

    def paired_features(self, pred: torch.Tensor, ref: torch.Tensor) -> tuple[list, list]:
        """``(self(pred), self(ref))`` with one forward pass over both and a gradient for
        ``pred`` only (:class:`_PairedVGG16`): a DISTS-style loss's feature maps. Falls
        back to two passes (``ref`` without a graph) under autocast, whose casts the
        hand-written backward does not replay."""
        if autocast_enabled(pred.device):
            with torch.no_grad():
                ref_feats = self(ref)
            return self(pred), ref_feats
        maps = _PairedVGG16.apply(pred, ref, self)
        return [pred, *maps[:5]], [ref, *maps[5:]]

    def use_fast_layouts(self) -> VGG16Stages:
        """Store stages 1-3 channels-last and stages 4-5 NCHW, the layouts :meth:`forward` feeds
        them at training-patch sizes (oneDNN reorders weights per call, so this is tidiness)."""
        self.to(memory_format=torch.channels_last)
        self.stage4.to(memory_format=torch.contiguous_format)
        self.stage5.to(memory_format=torch.contiguous_format)
        return self

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
# torchvision's whole VGG-16 (about 0.7 s on one core), and a job or test session builds
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
    if isinstance(net, VGG16Stages):
        net.use_fast_layouts()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
