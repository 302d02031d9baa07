"""FLOP counts of the study's networks and metrics at the sizes its jobs use, on the meta device.

    from asym.tools.flops import generator_flops, metric_flops, sr_step_flops
    generator_flops({"name": "swinir", ...}, lr_height=64, lr_width=64, train=True)

The cost model of :mod:`asym.tools.plan` (and the FLOP figure of :mod:`asym.tools.gpucheck`)
rests on these counts. ``torch.utils.flop_counter.FlopCounterMode``
counts the FLOPs of every matrix multiply, convolution and attention kernel one call
dispatches (2 FLOPs per multiply-add; a backward pass counts its own kernels, about
twice the forward's). Each network is built as the job builds it, by the project's own
constructors, then moved to PyTorch's ``meta`` device: tensors there carry shapes but
no data, so a paper-size SwinIR or a ViT-B on a 2040 x 1356 image costs nothing to run,
and it is counted at the exact size the job uses. Weights do not change FLOPs, so
pinned files need not exist: backbones are built as skeletons (:func:`skeleton_backbone`)
and pyiqa metrics without their weights files (random weights, through the dry run of
:mod:`asym.weights`). pyiqa metrics are counted at two sizes (192 and 256 pixels square,
on the meta device; a metric whose code needs pixel values, such as VIF, on random CPU
images of 64 and 128 pixels) and extrapolated in pixel count (below).

**Scaling.** Counts at batch 1 are multiplied by the batch size: every counted kernel is
linear in it. For pyiqa metrics counted at two sizes, cost = fixed + per_pixel x
H x W, fitted through the two counts (:class:`PixelCost`): convolutions and SwinIR's
windowed attention (a fixed window, so a fixed cost per pixel) are linear in pixel count,
and a metric that resizes its input to a fixed size appears as the fixed part (MUSIQ).
Extrapolated upward the fit is close (SSIM at 512 px within 5 %); below its sizes,
where border effects dominate, it is a rough floor. The same rule, fitted from SwinIR
counts at two sizes, predicts its count at a third exactly (``tests/tools/test_plan.py``).
"""

from __future__ import annotations

import contextlib
import functools
import json
from dataclasses import dataclass

# pyiqa metrics are counted at two square sides (the points of a PixelCost fit): on the meta
# device at the larger pair; on real CPU images (when meta fails) the small pair first, then
# the larger one (MS-SSIM's five scales need more than 160 px).
PYIQA_SIDES = ((64, 128), (192, 256))


class PlanError(ValueError):
    """Something the plan cannot cost (unknown GPU, bad option)."""


# ------------------------------------------------------------------ counting


def count_flops(fn) -> int:
    """FLOPs of everything ``fn()`` dispatches (matmul, convolution, attention), forward and backward."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def on_meta(build):
    """``build()``'s module on the meta device (shapes only, no data).

    Built under the meta device when its constructor allows (no weight draws: instant even
    for a ViT-B). A constructor that reads values (SwinIR's ``linspace(...).tolist()``) runs
    on the CPU instead, with torch's weight initialisers turned off (values do not change
    FLOPs, and drawing them takes seconds), and its module moved to meta.
    """
    import torch

    try:
        with torch.device("meta"):
            module = build()
    except (NotImplementedError, RuntimeError):
        with _no_weight_init():
            module = build()
    return module.to("meta")


@contextlib.contextmanager
def _no_weight_init():
    """Within the block, every in-place initialiser of ``torch.nn.init`` leaves its tensor as is."""
    import torch

    from asym.patching import replaced

    names = [n for n in dir(torch.nn.init) if n.endswith("_") and not n.startswith("_")]
    with contextlib.ExitStack() as stack:
        for name in names:
            stack.enter_context(replaced(torch.nn.init, name, lambda tensor, *a, **k: tensor))
        yield


def skeleton_backbone(name: str, init: str = "random", init_seed: int = 0, weights=None):
    """The feature backbone ``build_backbone`` makes, on the meta device and without its weights
    (a pinned file need not exist to count FLOPs); frozen and in eval mode like the real one."""
    import torch

    from asym.nets.backbones import (
        BACKBONES,
        TimmIntermediates,
        TimmStages,
        VGG16Stages,
    )

    with torch.device("meta"):
        if name == "vgg16":
            net = VGG16Stages(draw_weights=False)
        elif name in BACKBONES:
            net = TimmIntermediates(name)
            net.prune()
        else:
            net = TimmStages(name)
    return net.to("meta").eval().requires_grad_(False)


@contextlib.contextmanager
def _skeleton_backbones():
    """Within the block, the project's modules build backbones with :func:`skeleton_backbone`."""
    import asym.assess.fidelity
    from asym.nets import backbones, discriminators
    from asym.patching import replaced

    with contextlib.ExitStack() as stack:
        # backbones itself too: a function importing build_backbone at call time finds the patch there
        for module in (backbones, asym.assess.fidelity, discriminators):
            if hasattr(module, "build_backbone"):
                stack.enter_context(replaced(module, "build_backbone", skeleton_backbone))
        yield


@dataclass(frozen=True)
class PixelCost:
    """FLOPs of one image as ``fixed + per_pixel * height * width``."""

    fixed: float
    per_pixel: float

    def at(self, height: int, width: int) -> float:
        # max: a fit through two sizes can have a negative intercept (border effects); no cost is negative
        return max(0.0, self.fixed + self.per_pixel * height * width)

    @classmethod
    def fit(cls, count_at_side, sides: tuple[int, int]) -> PixelCost:
        """Through the counts at two square sides (``count_at_side(side) -> FLOPs``)."""
        (a, b) = sides
        fa, fb = count_at_side(a), count_at_side(b)
        per_pixel = (fb - fa) / (b * b - a * a)
        return cls(fixed=fa - per_pixel * a * a, per_pixel=per_pixel)


def spec_key(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True)


@functools.cache
def _generator(spec_json: str):
    from asym.nets.generators import build_generator

    return on_meta(lambda: build_generator(json.loads(spec_json)))


def generator_flops(spec: dict, lr_height: int, lr_width: int, train: bool) -> int:
    """One LR image through the generator (``train``: forward + backward to its weights)."""
    return _generator_flops(spec_key(spec), lr_height, lr_width, train)


@functools.cache
def _generator_flops(spec_json: str, lr_height: int, lr_width: int, train: bool) -> int:
    import torch

    net = _generator(spec_json)
    net.train(train)
    x = torch.empty(1, 3, lr_height, lr_width, device="meta")

    def step():
        if train:
            net(x).sum().backward()
        else:
            with torch.no_grad():
                net(x)

    return count_flops(step)


class Uncountable(RuntimeError):
    """A metric whose FLOPs cannot be counted offline (e.g. pyiqa needs a file to build it)."""


@functools.cache
def _meta_metric(spec_json: str):
    from asym.assess.fidelity import build_metric

    spec = json.loads(spec_json)
    with _skeleton_backbones():
        return build_metric(spec, device="meta")


@functools.cache
def _pyiqa_network(pyiqa_name: str, device: str):
    """pyiqa's metric network built offline on ``device`` (random weights), or why it cannot be."""
    import pyiqa
    import torch

    from asym.weights import (
        _pyiqa_dry_run,  # builds pyiqa networks offline; weights files are never read
    )

    try:
        # pyiqa imports its network modules lazily; one imported inside the dry run would keep its patches.
        from pyiqa.archs import _lazy_import_arch
        from pyiqa.default_model_configs import DEFAULT_CONFIGS

        _lazy_import_arch(DEFAULT_CONFIGS[pyiqa_name]["metric_opts"]["type"])
        with _pyiqa_dry_run([]), torch.random.fork_rng(devices=[]), torch.device(device):
            # As asym.assess.fidelity.PyiqaMetric builds it, without its check that the weights files exist.
            return pyiqa.create_metric(pyiqa_name, as_loss=True, loss_reduction="none", device=torch.device(device))
    except Exception as exc:  # noqa: BLE001 - any build failure means "not countable", reported in the notes
        return f"pyiqa could not build {pyiqa_name!r} offline ({type(exc).__name__}: {str(exc).splitlines()[0][:100]})"


def _pyiqa_fit(net, device: str, sides: tuple[int, int], grad: bool) -> PixelCost:
    import torch

    def count_at(side: int) -> int:
        pred = torch.rand(1, 3, side, side, device=device).requires_grad_(grad)
        ref = torch.rand(1, 3, side, side, device=device)

        def step():
            with torch.set_grad_enabled(grad):
                out = net(pred, ref) if net.metric_mode == "FR" else net(pred)
                if grad:
                    out.sum().backward()

        return count_flops(step)

    return PixelCost.fit(count_at, sides)


@functools.cache
def _pyiqa_cost(pyiqa_name: str, grad: bool) -> PixelCost | str:
    """The pixel cost of a pyiqa metric, or why it cannot be counted (cached either way).

    On the meta device first (fast); a metric whose constructor needs values (e.g. MANIQA's
    ``.item()``) is built on the CPU and then counted on the meta device; one whose forward
    needs values (e.g. VIF's ``nonzero``) is counted on random CPU images, small ones first.
    """
    import torch

    errors = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for build_on, device, all_sides in (("meta", "meta", PYIQA_SIDES[-1:]), ("cpu", "meta", PYIQA_SIDES[-1:]),
                                            ("cpu", "cpu", PYIQA_SIDES)):
            net = _pyiqa_network(pyiqa_name, build_on)
            if isinstance(net, str):
                errors.append(net)
                continue
            try:
                net = net.to(device)
            except (NotImplementedError, RuntimeError) as exc:  # e.g. a buffer left on meta by its constructor
                errors.append(f"{build_on} -> {device}: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}")
                continue
            for sides in all_sides:
                try:
                    return _pyiqa_fit(net, device, sides, grad)
                except Exception as exc:  # noqa: BLE001 - e.g. MS-SSIM rejects small images: try larger ones
                    errors.append(f"{device} {sides}: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}")
    return f"pyiqa metric {pyiqa_name!r} could not be counted ({'; '.join(dict.fromkeys(errors))})"


def metric_flops(spec: dict, height: int, width: int, grad: bool) -> float:
    """One image pair through a metric (``grad``: as a loss, backward to the prediction).

    Raises :class:`Uncountable` when the metric cannot be built offline.
    """
    if spec["kind"] == "pyiqa":
        cost = _pyiqa_cost(spec.get("pyiqa_name", spec["name"]), grad)
        if isinstance(cost, str):
            raise Uncountable(cost)
        return cost.at(height, width)
    # Only the architecture matters: weights (init, files, fitted alpha/beta) do not change FLOPs,
    # so e.g. a random and an ImageNet VGG-16 metric share one count.
    arch = {"name": spec["kind"], "kind": spec["kind"], **({"backbone": spec["backbone"]} if "backbone" in spec else {})}
    return _meta_metric_flops(spec_key(arch), height, width, grad)


@functools.cache
def _meta_metric_flops(spec_json: str, height: int, width: int, grad: bool) -> int:
    import torch

    metric = _meta_metric(spec_json)
    pred = torch.empty(1, 3, height, width, device="meta", requires_grad=grad)
    ref = torch.empty(1, 3, height, width, device="meta")

    def step():
        if grad:
            metric.loss(pred, ref).backward()
        else:
            metric.score(pred, ref)

    return count_flops(step)


@functools.cache
def _discriminator(spec_json: str):
    from asym.nets.discriminators import build_discriminator

    with _skeleton_backbones():
        return on_meta(lambda: build_discriminator(json.loads(spec_json)))


def discriminator_flops(spec: dict, height: int, width: int, objective: str) -> int:
    """A GAN step's discriminator work per sample, as :mod:`asym.optimize.train_sr` does it."""
    return _discriminator_flops(spec_key(spec), height, width, objective)


@functools.cache
def _discriminator_flops(spec_json: str, height: int, width: int, objective: str) -> int:
    import torch

    from asym.optimize.adversarial import needs_real_logits

    disc = _discriminator(spec_json)
    disc.train()
    real = torch.empty(1, 3, height, width, device="meta")
    fake = torch.empty(1, 3, height, width, device="meta", requires_grad=True)

    def generator_side():  # gradient to the generator's output through a frozen discriminator
        disc.requires_grad_(False)
        out = disc(fake).sum()
        if needs_real_logits(objective):
            out = out + disc(real).detach().sum()
        out.backward()

    def discriminator_side():  # the discriminator's own update on real and (detached) fake
        disc.requires_grad_(True)
        (disc(real).sum() + disc(fake.detach()).sum()).backward()

    return count_flops(generator_side) + count_flops(discriminator_side)


def sr_step_flops(spec: dict) -> dict[str, float]:
    """FLOPs of one training sample of an :mod:`asym.optimize.train_sr` spec, by part (generator, loss, discriminator)."""
    generator, patch, loss = spec["generator"], spec["patch_size"], spec["loss"]
    discriminator, objective = spec["discriminator"], spec["run"]["objective"]
    scale = generator["upscale"]
    parts = {"generator": generator_flops(generator, patch // scale, patch // scale, train=True),
             "loss": metric_flops(loss, patch, patch, grad=True), "discriminator": 0}
    if discriminator is not None:
        parts["discriminator"] = discriminator_flops(discriminator, patch, patch, objective)
    return parts


@functools.cache
def iqa_model_flops(backbone_json: str, crop: int, stages: int, hidden: int, mode: str) -> tuple[int, int]:
    """(train step, test forward) FLOPs of one crop through an IQA model (asym.transfer.train_iqa)."""
    import torch

    from asym.nets.discriminators import build_discriminator
    from asym.transfer.train_iqa import IQAModel

    backbone = json.loads(backbone_json)
    if "discriminator" in backbone:
        # As asym.transfer.train_iqa builds the design: its constructor name ("design") and arguments.
        design = {"name": backbone.get("design", backbone["discriminator"]), **backbone.get("args", {})}
        with _skeleton_backbones():
            disc = on_meta(lambda: build_discriminator(design))
        trunk = disc.trunk()
    else:
        trunk = skeleton_backbone(backbone["backbone"])
    trunk.train().requires_grad_(True)  # fine-tuned end to end
    model = on_meta(lambda: IQAModel(trunk, stages, hidden, mode))
    x = torch.empty(1, 3, crop, crop, device="meta")
    ref = torch.empty(1, 3, crop, crop, device="meta") if mode == "fr" else None
    train = count_flops(lambda: model(x, ref).sum().backward())
    model.eval()

    def test():
        with torch.no_grad():
            model(x, ref)

    return train, count_flops(test)
