"""Speed benchmarks: our implementation against the reference one, same inputs, one run.

    python -m asym.tools.bench assess --batch-size 8 --size 256 --n-batches 5 --threads 2

``assess`` times DISTS scoring (no gradient): our :class:`asym.assess.fidelity.DistsStyle`
over ``vgg16`` and pyiqa's ``DISTS`` network class, both with the SAME random VGG-16
weights and the same random alpha/beta (pyiqa's network is built without its download:
:func:`pyiqa_dists_network`), on the same random image pairs and batch size. The two
are timed batch by batch in alternating order after one warm-up batch each, so drift
of the machine (turbo, caches) hits both alike. It prints images per second for each
(an image is one distorted/reference pair), their ratio ours / pyiqa (> 1: ours is
faster) and the largest score difference, as ``key: value`` lines. Rates use the
median batch time, so a burst of load from other processes distorts them little;
the ``*_per_cpu_s`` figures divide by the process's CPU time instead of wall time
(with ``--threads 1`` the least disturbed comparison on a shared machine).

    pip install --no-deps basicsr==1.4.2     # once, into the project's .venv (bench only)
    python -m asym.tools.bench train-step --batch-size 4 --patch 64 --repeats 15 --threads 2 [--breakdown]

``train-step`` times one whole GAN training step: SwinIR x4 forward and backward, the
DISTS-style VGG-16 fidelity loss, a PatchGAN discriminator, the generator's and the
discriminator's Adam updates. Ours is :class:`OursStep` (:mod:`asym.nets.swinir`, our
DISTS-style ``vgg16`` metric, :mod:`asym.optimize.adversarial`, the step of :mod:`asym.optimize.train_sr`);
the reference is :class:`ReferenceStep`, the field's implementations: BasicSR's
``basicsr.archs.swinir_arch.SwinIR``, pyiqa's ``DISTS`` network as perceptual loss,
BasicSR's ``GANLoss('vanilla')`` and the update order of BasicSR's
``SRGANModel.optimize_parameters``. BasicSR has no PatchGAN (only VGG-style and U-Net
discriminators), so both sides use our :class:`asym.nets.discriminators.PatchGAN`, the
demo config's (ndf 32, 2 layers, spectral norm), as separate copies with equal weights.

Sizes (defaults): batch 4 of 64 px HR patches (16 px LR, two windows of 8 a side, so
shifted windows and their masks are exercised), SwinIR at the width and depth of
SwinIR-light (embed 60, four RSTBs of six layers, six heads, MLP ratio 2; with the
classical pixelshuffle head, which both implementations share), no stochastic depth
(it would draw different random masks on the two sides). One step takes about 0.33-0.4 s
(ours) and 0.43-0.5 s (reference) on two CPU threads of a 2-core VM. BasicSR's SwinIR gets our state dict (strict load: the
parameter names are the official ones), our DISTS-style metric gets the VGG weights and
alpha/beta of pyiqa's network. Before timing, one step of each from the same state must agree
(SR output, the three losses, the generator's and the discriminator's gradients:
:data:`AGREEMENT_TOLERANCE`), else the run stops. Then ``--warmup`` untimed and
``--repeats`` timed steps each, alternating which goes first, on the same batches; the
rates use the median step time (``best_ratio_*``: the fastest step of each).
``cpu_ratio_*`` uses process CPU time instead (reliable with ``--threads 1`` only: with
more threads, time spent by waiting threads may count).
BasicSR 1.4.2 imports ``torchvision.transforms.functional_tensor``, gone from current
torchvision; :func:`import_basicsr` aliases it for that import only.

``--breakdown`` adds the median milliseconds of the step's parts, each timed alone with both
sides interleaved: ``ms_<side>_generator`` (SwinIR forward and backward),
``ms_<side>_fidelity`` (DISTS loss forward and backward to the SR image),
``ms_<side>_discriminator`` (the discriminator's real and fake terms) and ``ms_<side>_rest``
(the step's median less those: the generator step's pass through the discriminator,
the two optimizers, glue).

Where the time goes (default sizes, 2 threads, torch profiler): convolutions are over half
of a step on both sides -- the VGG-16 ones of the DISTS loss run near the CPU's peak FLOP
rate; SwinIR forward and backward is about 40 %. Ours is faster through:

- the DISTS loss: predicted and reference images in one VGG-16 forward pass with a
  hand-written backward over the predicted half only
  (:class:`asym.nets.backbones._PairedVGG16`); VGG's 256- and 512-channel convolutions of
  stages 3-4 (16 x 16 and 8 x 8 maps) forward and in the input gradient by Winograd's
  F(4 x 4, 3 x 3) algorithm (:mod:`asym.accel.winograd`: 4x fewer multiplications as one
  batched GEMM, 11-13 % off the loss's forward and backward; oneDNN's direct
  convolutions were already at the CPU's peak FLOP rate, so fewer FLOPs was the one way
  left); the per-channel statistics as one autograd function with a two-pass backward
  (:class:`asym.assess.fidelity._CentredMoments`); VGG stages 1-3 channels-last, stages 4-5 NCHW
  (oneDNN's faster layouts at those map sizes);
- SwinIR's window attention as one autograd function
  (:class:`asym.nets.swinir._WindowAttentionCore`) whose matrix products all have long
  rows -- autograd's own backward of ``attn @ v`` and ``q @ k^T`` produces
  ``(N, N) @ (N, head_dim)`` products that run 3-4x slower per FLOP on the CPU -- with the
  output projection folded in (no head-layout copies), q scaled during its layout copy,
  the softmax in place, and masked pairs at -inf (the official -100 gives float32
  denormals after the softmax, ~1.4x slower softmax); relative position bias by
  ``index_select`` with an ``index_add_`` backward; roll + window partition as one token
  gather; bias and shift mask summed once per layer;
- fused Adam.

Tried and dropped: PyTorch's fused SDPA (the learned bias needs a gradient, which sends it
to the slow math path), channels-last SwinIR (its convolutions already get channels-last
maps from the token layout), NCHW VGG stage 3, NNPACK Winograd, mkldnn weight pre-packing
(a few ms, internal ops), compiling the metric, a custom softmax, a GELU autograd function
saving the normal CDF (2x slower than ``F.gelu`` + ``gelu_backward``), a pixel shuffle as
a 256-byte-chunk copy after permuting the conv's output channels (as slow: both are bound
by first-touch page faults of the 4 MB output), im2col + one GEMM for VGG's 8 x 8 stage-4
convolutions (25-30 % slower), the qkv projection as one product per window straight into
the heads' layout to skip the layout copies (its strided batches send ``torch.bmm`` to a
per-matrix loop: the attention layer 1.5x slower); Winograd F(2 x 2, 3 x 3) instead of
F(4 x 4, 3 x 3) (the loss 164 against 149 ms) or F(2 x 2) on 8 x 8 maps only (152 ms);
Winograd for VGG's 64- and 128-channel layers (up to 2x slower: the transforms outweigh
the products saved) and on 4 x 4 maps (one tile per image: GEMMs of a few rows, bound by
reading the 4x larger transformed kernel).

Where eager mode stops: the direct convolutions (oneDNN, 200-230 GFLOP/s on two Zen 4
cores, as fast as the CPU goes) are still about a third of our step -- VGG's stages 1-2 and
stage 5's 4 x 4 maps, where Winograd was slower, and SwinIR's own convolutions, whose
weights train; SwinIR forward and backward (~1.15x faster than BasicSR's) is bound by its
linear layers and attention products, which run through MKL -- large GEMMs ~170 GFLOP/s
here (oneDNN: ~210), the batched 64 x 10 x 64 attention products 30-70 -- and by GELU,
LayerNorm, softmax and memory copies, one pass each. Inside the step these ops take up to
twice their time in isolation (the qkv projection's GEMM: ~155 us alone, ~300 us in the
step; the 32 x 32 upsampling convolution 20 ms against 35 ms): cold caches, page faults of
fresh buffers, waking the OpenMP worker for each op. ``torch.compile`` fuses the
one-pass ops, which is what ``--compile`` measures.

Process-wide settings move both sides alike (both run in this one process), so they are
not part of the ratio; seen on a 2-core VM: ``OMP_WAIT_POLICY=ACTIVE`` made both steps
roughly 15 % faster, and glibc's ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_``
removed most page faults (the reference's step took about 12,000-15,000, ours 3,000-10,000).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import contextmanager
from types import SimpleNamespace

import torch

from asym.optimize.train_sr import ADAM_OPTIONS, maybe_compile

DISTS_VGG16_SPEC = {"name": "dists_vgg16-R", "kind": "dists_style", "backbone": "vgg16", "init": "random",
                    "init_seed": 0, "group": "vgg16"}


@contextmanager
def _random_vgg16_for_pyiqa(seed: int):
    """Within the block, pyiqa's DISTS module gets torchvision's vgg16 with the random weights
    torchvision draws under ``seed`` (those of our ``vgg16`` backbone with ``init_seed=seed``,
    taken from its per-process cache) instead of downloading ``IMAGENET1K_V1``."""
    import pyiqa.archs.dists_arch as arch
    import torchvision

    from asym.nets.backbones import build_backbone

    def vgg16(weights=None, **kwargs):
        with torch.device("meta"):  # skeleton only: every conv weight is set from the state below
            model = torchvision.models.vgg16(weights=None, init_weights=False)
        model.features = model.features.to_empty(device="cpu")
        model.features.load_state_dict(build_backbone("vgg16", init_seed=seed).torchvision_state())
        return model

    original = arch.models
    arch.models = SimpleNamespace(vgg16=vgg16)  # only this module's view of torchvision.models
    try:
        yield arch
    finally:
        arch.models = original


def pyiqa_dists_network(seed: int = 0, weights_seed: int = 1) -> torch.nn.Module:
    """pyiqa's ``DISTS`` network (its own class and forward), offline: random VGG-16 under
    ``seed``, random non-negative alpha/beta under ``weights_seed``; eval mode, no grad."""
    with _random_vgg16_for_pyiqa(seed) as arch, torch.random.fork_rng(devices=[]):
        torch.manual_seed(weights_seed)  # DISTS draws its initial alpha/beta from the global RNG
        net = arch.DISTS(pretrained=False, pretrained_model_path=None)
    g = torch.Generator().manual_seed(weights_seed)
    with torch.no_grad():
        net.alpha.copy_(torch.rand(net.alpha.shape, generator=g))
        net.beta.copy_(torch.rand(net.beta.shape, generator=g))
    return net.eval().requires_grad_(False)


def matching_dists_style(reference: torch.nn.Module):
    """Our DistsStyle(vgg16) carrying ``reference``'s VGG weights and alpha/beta (via ``load_dists``)."""
    from asym.assess.fidelity import build_metric

    ours = build_metric(DISTS_VGG16_SPEC)
    ours.load_dists({k: v.detach() for k, v in reference.state_dict().items()})
    return ours


def _images(n_batches: int, batch_size: int, size: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    pairs = []
    for _ in range(n_batches):
        ref = torch.rand(batch_size, 3, size, size, generator=g)
        pred = (ref + 0.1 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
        pairs.append((pred, ref))
    return pairs


def bench_assess(batch_size: int = 8, size: int = 256, n_batches: int = 5, threads: int = 2, seed: int = 0,
                 device: str = "cpu") -> dict:
    """Time scoring with ours and pyiqa's DISTS; returns the figures :func:`main` prints."""
    torch.set_num_threads(threads)
    theirs = pyiqa_dists_network(seed).to(device)
    ours = matching_dists_style(theirs).to(device)
    batches = [(p.to(device), r.to(device)) for p, r in _images(n_batches + 1, batch_size, size, seed)]
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def run_ours(pred, ref):
        return ours.score(pred, ref)

    def run_theirs(pred, ref):
        with torch.no_grad():
            return theirs(pred, ref).reshape(-1).float()

    seconds = {"ours": [], "pyiqa": []}
    cpu_seconds = {"ours": 0.0, "pyiqa": 0.0}  # process CPU time, all threads
    max_diff = 0.0
    for i, (pred, ref) in enumerate(batches):
        order = (("ours", run_ours), ("pyiqa", run_theirs))
        out = {}
        for name, fn in order if i % 2 == 0 else order[::-1]:
            sync()
            start, cpu_start = time.perf_counter(), time.process_time()
            out[name] = fn(pred, ref)
            sync()
            if i > 0:  # batch 0 warms up both (allocator, kernels, lazy init)
                seconds[name].append(time.perf_counter() - start)
                cpu_seconds[name] += time.process_time() - cpu_start
        max_diff = max(max_diff, float((out["ours"] - out["pyiqa"]).abs().max()))
    # The median batch time: robust to other processes stealing the CPU for a while.
    ours_rate = batch_size / statistics.median(seconds["ours"])
    theirs_rate = batch_size / statistics.median(seconds["pyiqa"])
    return {
        "batch_size": batch_size, "size": size, "n_batches": n_batches, "threads": threads, "device": device,
        "torch": torch.__version__,
        "ours_images_per_s": ours_rate, "pyiqa_images_per_s": theirs_rate,
        "ratio_ours_over_pyiqa": ours_rate / theirs_rate,
        "ours_images_per_cpu_s": n_batches * batch_size / cpu_seconds["ours"],
        "pyiqa_images_per_cpu_s": n_batches * batch_size / cpu_seconds["pyiqa"],
        "cpu_ratio_ours_over_pyiqa": cpu_seconds["pyiqa"] / cpu_seconds["ours"],
        "max_abs_score_diff": max_diff,
    }


# --------------------------------------------------------------------------- train-step

# The generator of the train-step benchmark: SwinIR's lightweight x4 width and depth
# (embed 60, four RSTBs of six layers, six heads, window 8; Liang et al. 2021, Table 1's
# "SwinIR-light"), with the classical pixelshuffle head both implementations share.
TRAIN_STEP_GENERATOR = {"upscale": 4, "img_size": 16, "window_size": 8, "embed_dim": 60,
                        "depths": (6, 6, 6, 6), "num_heads": (6, 6, 6, 6), "mlp_ratio": 2.0}
# The demo config's PatchGAN (workflow/config/demo.yaml, optimize.discriminators.patchgan).
TRAIN_STEP_DISCRIMINATOR = {"name": "patchgan", "ndf": 32, "n_layers": 2, "norm": "none", "spectral_norm": True}


@contextmanager
def _basicsr_importable():
    """BasicSR 1.4.2 imports ``torchvision.transforms.functional_tensor``, removed from
    torchvision 0.17+; alias it to ``functional`` (which has what BasicSR uses) for the
    import only, so nothing outside the benchmark sees the alias."""
    import sys

    import torchvision.transforms.functional as tv_functional

    name = "torchvision.transforms.functional_tensor"
    had = name in sys.modules
    sys.modules.setdefault(name, tv_functional)
    try:
        yield
    finally:
        if not had:
            sys.modules.pop(name, None)


def import_basicsr():
    """BasicSR's SwinIR class and GAN loss (``pip install --no-deps basicsr``), or ImportError."""
    with _basicsr_importable():
        from basicsr.archs.swinir_arch import SwinIR as BasicSRSwinIR
        from basicsr.losses.gan_loss import GANLoss
    return BasicSRSwinIR, GANLoss


def basicsr_available() -> bool:
    try:
        import_basicsr()
    except ImportError:
        return False
    return True


def parse_ints(text: str) -> tuple[int, ...]:
    """'6,6,6,6' -> (6, 6, 6, 6) (a CLI list); empty or non-integer entries are an error."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers such as 6,6,6,6, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def interleaved_medians(runners: dict, n_repeats: int, n_warmup: int, sync=lambda: None) -> dict:
    """Call each runner ``n_warmup`` then ``n_repeats`` times, alternating which goes first
    from round to round (so drift of the machine hits all alike); returns the median
    seconds of the timed calls and the process CPU seconds they used, per runner."""
    names = list(runners)
    seconds = {name: [] for name in names}
    cpu = {name: 0.0 for name in names}
    for i in range(n_warmup + n_repeats):
        for name in names if i % 2 == 0 else names[::-1]:
            sync()
            start, cpu_start = time.perf_counter(), time.process_time()
            runners[name]()
            sync()
            if i >= n_warmup:
                seconds[name].append(time.perf_counter() - start)
                cpu[name] += time.process_time() - cpu_start
    return {name: {"median_s": statistics.median(seconds[name]), "cpu_s": cpu[name], "all_s": seconds[name]}
            for name in names}


@contextmanager
def patched_compile_backend(backend: str | None):
    """asym.optimize.train_sr's compile rule with another backend (the tests use "eager")."""
    from asym.optimize import train_sr

    original = train_sr.COMPILE_BACKEND
    train_sr.COMPILE_BACKEND = backend or original
    try:
        yield
    finally:
        train_sr.COMPILE_BACKEND = original


# Adam exactly as asym.optimize.train_sr builds it (the fused kernel).
OURS_ADAM = ADAM_OPTIONS


class OursStep:
    """One GAN training step as :mod:`asym.optimize.train_sr` takes it: generator update on
    fidelity + gan_weight * adversarial loss (discriminator frozen), then discriminator
    update on real HR vs detached SR (logging -- gradient norms, accuracies -- left out),
    with Adam options ``adam`` (:data:`OURS_ADAM` by default)."""

    def __init__(self, generator, discriminator, metric, objective: str, gan_weight: float, lr_g: float,
                 lr_d: float, adam: dict | None = None, compile_backend: str | None = None):
        self.g, self.d, self.metric = generator, discriminator, metric
        # With ``compile_backend`` the forward passes go through torch.compile exactly as
        # asym.optimize.train_sr runs them with ``optimize.compile: true`` (weights shared).
        spec = {"compile": bool(compile_backend)}
        with patched_compile_backend(compile_backend):
            self.g_fwd, self.d_fwd = maybe_compile(generator, spec), maybe_compile(discriminator, spec)
        self.objective, self.gan_weight = objective, gan_weight
        adam = OURS_ADAM if adam is None else adam
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=(0.9, 0.99), **adam)
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=(0.9, 0.99), **adam)

    def __call__(self, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
        from asym.optimize.adversarial import (
            discriminator_loss,
            generator_loss,
            needs_real_logits,
        )

        sr = self.g_fwd(lr_img)
        loss_fid = self.metric.loss(sr, hr)
        self.d.requires_grad_(False)
        real_g = self.d_fwd(hr).detach() if needs_real_logits(self.objective) else None
        loss_gan = generator_loss(self.d_fwd(sr), self.objective, real_logits=real_g)
        self.opt_g.zero_grad(set_to_none=True)
        (loss_fid + self.gan_weight * loss_gan).backward()
        self.opt_g.step()

        self.d.requires_grad_(True)
        d_loss = discriminator_loss(self.d_fwd(hr), self.d_fwd(sr.detach()), self.objective)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        return {"sr": sr.detach(), "loss_fidelity": loss_fid.detach(), "loss_gan": loss_gan.detach(),
                "loss_d": d_loss.detach()}


class ReferenceStep:
    """The same step as BasicSR takes it (``SRGANModel.optimize_parameters``, BasicSR 1.4.2):
    ``net_d`` frozen by ``requires_grad``, perceptual loss (here pyiqa's DISTS network) +
    ``GANLoss('vanilla', loss_weight=gan_weight)``; then the discriminator's real and fake
    terms, each with its own backward."""

    def __init__(self, generator, discriminator, dists, gan_weight: float, lr_g: float, lr_d: float):
        _, GANLoss = import_basicsr()
        self.g, self.d, self.dists = generator, discriminator, dists
        self.cri_gan = GANLoss("vanilla", loss_weight=gan_weight)
        self.opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=(0.9, 0.99))
        self.opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=(0.9, 0.99))

    def __call__(self, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
        for p in self.d.parameters():
            p.requires_grad = False
        self.opt_g.zero_grad()
        output = self.g(lr_img)
        l_g_percep = self.dists(output, hr).mean()
        l_g_gan = self.cri_gan(self.d(output), True, is_disc=False)
        (l_g_percep + l_g_gan).backward()
        self.opt_g.step()

        for p in self.d.parameters():
            p.requires_grad = True
        self.opt_d.zero_grad()
        l_d_real = self.cri_gan(self.d(hr), True, is_disc=True)
        l_d_real.backward()
        l_d_fake = self.cri_gan(self.d(output.detach()), False, is_disc=True)
        l_d_fake.backward()
        self.opt_d.step()
        return {"sr": output.detach(), "loss_fidelity": l_g_percep.detach(),
                "loss_gan": l_g_gan.detach() / self.cri_gan.loss_weight, "loss_d": (l_d_real + l_d_fake).detach()}


def build_train_step_pair(generator: dict, discriminator: dict, gan_weight: float = 0.05, lr_g: float = 2e-4,
                          lr_d: float = 1e-4, seed: int = 0,
                          compile_backend: str | None = None) -> tuple[OursStep, ReferenceStep]:
    """Ours and the reference step over identical weights: BasicSR's SwinIR gets our
    SwinIR's state dict (strict: the names are the official ones), the reference
    discriminator is a copy of ours (BasicSR has no PatchGAN), our DISTS-style vgg16
    metric carries the pyiqa DISTS network's VGG weights and alpha/beta."""
    import copy

    from asym.nets.discriminators import build_discriminator
    from asym.nets.swinir import SwinIR

    BasicSRSwinIR, _ = import_basicsr()
    torch.manual_seed(seed)
    # No stochastic depth: with it the two would draw different random masks.
    ours_g = SwinIR(in_chans=3, img_range=1.0, upsampler="pixelshuffle", resi_connection="1conv",
                    drop_path_rate=0.0, **generator)
    import warnings

    with warnings.catch_warnings():  # BasicSR calls torch.meshgrid without indexing= (a FutureWarning of torch's)
        warnings.filterwarnings("ignore", message="torch.meshgrid")
        theirs_g = BasicSRSwinIR(in_chans=3, img_range=1.0, upsampler="pixelshuffle", resi_connection="1conv",
                                 drop_path_rate=0.0, **generator)
    theirs_g.load_state_dict(ours_g.state_dict(), strict=True)
    ours_d = build_discriminator(discriminator)
    theirs_d = copy.deepcopy(ours_d)
    dists = pyiqa_dists_network(seed)
    metric = matching_dists_style(dists)
    return (OursStep(ours_g.train(), ours_d.train(), metric, "nonsaturating", gan_weight, lr_g, lr_d,
                     compile_backend=compile_backend),
            ReferenceStep(theirs_g.train(), theirs_d.train(), dists, gan_weight, lr_g, lr_d))


def _hr_batches(n: int, batch_size: int, patch: int, scale: int, seed: int):
    """Smooth random HR patches (bilinear-upsampled noise, like textured photographs more
    than white noise) and their bicubic LR, prepared outside the timed step."""
    import torch.nn.functional as F

    from asym.data.images import bicubic_downsample

    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        coarse = torch.rand(batch_size, 3, patch // 4, patch // 4, generator=g)
        hr = F.interpolate(coarse, size=(patch, patch), mode="bilinear", align_corners=False)
        hr = (hr + 0.05 * torch.randn(hr.shape, generator=g)).clamp(0, 1)
        out.append((bicubic_downsample(hr, scale), hr))
    return out


def _rel_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-12))


def check_agreement(ours: OursStep, theirs: ReferenceStep, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
    """One step of each from identical states: the largest differences of SR output and
    losses, and the relative L2 differences of the generator's and discriminator's gradients."""
    a, b = ours(lr_img, hr), theirs(lr_img, hr)
    grads = {}
    for key, na, nb in (("g", ours.g, theirs.g), ("d", ours.d, theirs.d)):
        ga = torch.cat([p.grad.reshape(-1) for p in na.parameters()])
        gb = torch.cat([p.grad.reshape(-1) for p in nb.parameters()])
        grads[key] = _rel_diff(ga, gb)
    return {
        "max_abs_sr_diff": float((a["sr"] - b["sr"]).abs().max()),
        "abs_loss_fidelity_diff": float((a["loss_fidelity"] - b["loss_fidelity"]).abs()),
        "abs_loss_gan_diff": float((a["loss_gan"] - b["loss_gan"]).abs()),
        "abs_loss_d_diff": float((a["loss_d"] - b["loss_d"]).abs()),
        "rel_grad_g_diff": grads["g"], "rel_grad_d_diff": grads["d"],
    }


BREAKDOWN_PARTS = ("generator", "fidelity", "discriminator")


def component_runners(step, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
    """The parts of one training step of ``step`` (ours or the reference) as separate calls,
    each forward and backward on fixed inputs: the generator (SR of ``lr_img``, backward
    of a fixed gradient), the fidelity loss (fixed SR as a leaf that needs a gradient) and
    the discriminator's update terms (real HR and fixed SR). What a step spends beyond
    their sum -- the generator step's pass through the discriminator, the optimizers,
    glue -- is reported as ``rest``."""
    ours = isinstance(step, OursStep)
    gen = step.g_fwd if ours else step.g
    disc = step.d_fwd if ours else step.d
    with torch.no_grad():
        sr_fixed = gen(lr_img)
    grad = torch.linspace(-1, 1, sr_fixed.numel()).view_as(sr_fixed) / sr_fixed.numel()

    def generator():
        step.g.zero_grad(set_to_none=True)
        gen(lr_img).backward(grad)

    def fidelity():
        sr = sr_fixed.clone().requires_grad_(True)
        (step.metric.loss(sr, hr) if ours else step.dists(sr, hr).mean()).backward()

    def discriminator():
        from asym.optimize.adversarial import discriminator_loss

        step.d.requires_grad_(True)
        step.d.zero_grad(set_to_none=True)
        if ours:
            discriminator_loss(disc(hr), disc(sr_fixed), step.objective).backward()
        else:  # BasicSR: real and fake terms, a backward each
            step.cri_gan(disc(hr), True, is_disc=True).backward()
            step.cri_gan(disc(sr_fixed), False, is_disc=True).backward()

    return {"generator": generator, "fidelity": fidelity, "discriminator": discriminator}


def step_breakdown(ours: OursStep, theirs: ReferenceStep, lr_img: torch.Tensor, hr: torch.Tensor,
                   step_s: dict, n_repeats: int, n_warmup: int) -> dict:
    """Median milliseconds of each part of the step (:func:`component_runners`), part after
    part, the two sides interleaved for each, and the rest of the median step time
    ``step_s`` {side: s}."""
    runners = {"ours": component_runners(ours, lr_img, hr), "reference": component_runners(theirs, lr_img, hr)}
    timing = {part: interleaved_medians({side: runners[side][part] for side in runners}, n_repeats, n_warmup)
              for part in BREAKDOWN_PARTS}
    out = {}
    for side in ("ours", "reference"):
        parts = {part: timing[part][side]["median_s"] for part in BREAKDOWN_PARTS}
        parts["rest"] = step_s[side] - sum(parts.values())
        out |= {f"ms_{side}_{part}": 1000 * value for part, value in parts.items()}
    return out


# Agreement the benchmark demands before it times anything (float32 rounding only).
AGREEMENT_TOLERANCE = {"max_abs_sr_diff": 1e-4, "abs_loss_fidelity_diff": 1e-5, "abs_loss_gan_diff": 1e-5,
                       "abs_loss_d_diff": 1e-5, "rel_grad_g_diff": 1e-3, "rel_grad_d_diff": 1e-3}


def bench_train_step(batch_size: int = 4, patch: int = 64, generator: dict | None = None,
                     discriminator: dict | None = None, n_repeats: int = 15, n_warmup: int = 2, threads: int = 2,
                     seed: int = 0, gan_weight: float = 0.05, compile_backend: str | None = None,
                     breakdown: bool = False) -> dict:
    """Time one GAN training step, ours vs BasicSR + pyiqa; returns the figures :func:`main` prints."""
    generator = dict(TRAIN_STEP_GENERATOR if generator is None else generator)
    discriminator = dict(TRAIN_STEP_DISCRIMINATOR if discriminator is None else discriminator)
    scale = generator["upscale"]
    if patch % scale or (patch // scale) % generator["window_size"]:
        raise ValueError(f"--patch {patch} must be upscale ({scale}) x a multiple of window_size "
                         f"({generator['window_size']}), e.g. {scale * generator['window_size'] * 2}")
    generator["img_size"] = patch // scale  # the stored shift masks match the training patch, as in training
    torch.set_num_threads(threads)
    ours, theirs = build_train_step_pair(generator, discriminator, gan_weight=gan_weight, seed=seed,
                                         compile_backend=compile_backend)
    batches = _hr_batches(n_warmup + n_repeats + 1, batch_size, patch, scale, seed)
    agreement = check_agreement(ours, theirs, *batches[0])
    failed = {k: v for k, v in agreement.items() if not v <= AGREEMENT_TOLERANCE[k]}
    if failed:
        raise AssertionError(f"ours and the reference disagree before timing: {failed} "
                             f"(tolerances {AGREEMENT_TOLERANCE})")
    it = {"ours": iter(batches[1:]), "reference": iter(batches[1:])}
    timing = interleaved_medians({"ours": lambda: ours(*next(it["ours"])),
                                  "reference": lambda: theirs(*next(it["reference"]))}, n_repeats, n_warmup)
    parts = {}
    if breakdown:  # after the step timing, which it cannot disturb
        parts = step_breakdown(ours, theirs, *batches[1], {side: timing[side]["median_s"] for side in timing},
                               n_repeats, n_warmup)
    ours_rate = batch_size / timing["ours"]["median_s"]
    theirs_rate = batch_size / timing["reference"]["median_s"]
    return {
        "batch_size": batch_size, "patch": patch, "lr_patch": patch // scale, "threads": threads,
        "ours_compiled": compile_backend or "no",
        "n_repeats": n_repeats, "n_warmup": n_warmup, "torch": torch.__version__,
        "generator": json.dumps(generator), "discriminator": json.dumps(discriminator) + " (same class both sides)",
        "ours_images_per_s": ours_rate, "reference_images_per_s": theirs_rate,
        "ours_steps_per_s": 1 / timing["ours"]["median_s"], "reference_steps_per_s": 1 / timing["reference"]["median_s"],
        "ratio_ours_over_reference": ours_rate / theirs_rate,
        # Fastest step of each: what a step costs when no other process interferes (bursts of
        # load on a shared machine can move even a median of a few steps).
        "best_ratio_ours_over_reference": min(timing["reference"]["all_s"]) / min(timing["ours"]["all_s"]),
        "cpu_ratio_ours_over_reference": timing["reference"]["cpu_s"] / timing["ours"]["cpu_s"],
        **agreement,
        **parts,
    }


def format_result(result: dict) -> str:
    lines = []
    for key, value in result.items():
        lines.append(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Speed benchmarks (see the module docstring).")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("assess", help="DISTS scoring: ours (DistsStyle vgg16) vs pyiqa's DISTS")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--size", type=int, default=256, help="image side, pixels")
    p.add_argument("--n-batches", type=int, default=5, help="timed batches (after one warm-up batch)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    t = sub.add_parser("train-step", help="one GAN training step: ours vs BasicSR SwinIR + pyiqa DISTS")
    t.add_argument("--batch-size", type=int, default=4)
    t.add_argument("--patch", type=int, default=64, help="HR patch side, pixels (LR = patch / upscale)")
    t.add_argument("--embed-dim", type=int, default=TRAIN_STEP_GENERATOR["embed_dim"])
    t.add_argument("--depths", type=parse_ints, default=TRAIN_STEP_GENERATOR["depths"], help="e.g. 6,6,6,6")
    t.add_argument("--num-heads", type=parse_ints, default=TRAIN_STEP_GENERATOR["num_heads"], help="e.g. 6,6,6,6")
    t.add_argument("--window-size", type=int, default=TRAIN_STEP_GENERATOR["window_size"])
    t.add_argument("--ndf", type=int, default=TRAIN_STEP_DISCRIMINATOR["ndf"], help="PatchGAN width")
    # 15: with 7, runs of the same code on this shared 2-core VM scattered 1.20-1.53x
    t.add_argument("--repeats", type=int, default=15, help="timed steps per implementation")
    t.add_argument("--warmup", type=int, default=2, help="untimed steps per implementation first")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--compile", nargs="?", const="inductor", default=None, metavar="BACKEND",
                   help="run our step as optimize.compile: true does (torch.compile, default backend inductor; "
                        "compiling takes minutes on a CPU and happens in the warm-up, which is not timed)")
    t.add_argument("--breakdown", action="store_true",
                   help="also time the generator, the fidelity loss and the discriminator terms separately "
                        "(ms_<side>_<part> lines; the rest of the step is ms_<side>_rest)")
    args = parser.parse_args(argv)
    if args.what == "assess":
        result = bench_assess(args.batch_size, args.size, args.n_batches, args.threads, args.seed, args.device)
    else:
        generator = {**TRAIN_STEP_GENERATOR, "embed_dim": args.embed_dim, "depths": args.depths,
                     "num_heads": args.num_heads, "window_size": args.window_size}
        result = bench_train_step(args.batch_size, args.patch, generator,
                                  {**TRAIN_STEP_DISCRIMINATOR, "ndf": args.ndf}, args.repeats, args.warmup,
                                  args.threads, args.seed, compile_backend=args.compile, breakdown=args.breakdown)
    print(format_result(result))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
