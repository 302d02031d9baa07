"""Speed benchmarks: both kernel settings of ours against the field's implementations, same inputs.

    python -m asym.tools.bench assess --batch-size 8 --size 256 --n-batches 5 --threads 2
    python -m asym.tools.bench train-step --batch-size 4 --patch 64 --repeats 15 --threads 2 [--breakdown]

Each benchmark times three sides on the same inputs with the same weights: ours with
``kernels: reference`` (the models of :mod:`asym.nets` and the metrics of
:mod:`asym.assess.fidelity` as written), ours with ``kernels: fast`` (the hand-written
kernels of :mod:`asym.accel` switched on), and the reference implementation
(:mod:`asym.tools.bench_reference`). It prints ``key: value`` lines: rates per side, the
ratios ``ratio_ours_<kernels>_over_<reference>`` (> 1: ours is faster) and
``ratio_fast_over_reference_kernels`` (what the speed layer buys), and how far the sides
agree. Measured figures, dated, are in ``docs/performance.md``.

``assess`` times DISTS scoring (no gradient): our :class:`asym.assess.fidelity.DistsStyle`
over ``vgg16`` and pyiqa's ``DISTS`` network class with the SAME random VGG-16 weights and
alpha/beta, on the same random image pairs, batch by batch in rotating order after one
warm-up batch each (drift of the machine hits all sides alike). Rates use the median
batch time; the ``*_per_cpu_s`` figures divide by process CPU time instead (with
``--threads 1`` the least disturbed comparison on a shared machine).

``train-step`` times one GAN training step: SwinIR x4 forward and backward, the
DISTS-style VGG-16 fidelity loss, a PatchGAN discriminator, both Adam updates. Ours is
:class:`OursStep` (the step of :mod:`asym.optimize.train_sr`); the reference is BasicSR's
SwinIR, pyiqa's DISTS as perceptual loss and BasicSR's ``GANLoss('vanilla')`` in the
update order of BasicSR's ``SRGANModel.optimize_parameters``
(:class:`asym.tools.bench_reference.ReferenceStep`, ``pip install --no-deps basicsr==1.4.2``).
BasicSR has no PatchGAN, so all sides use copies of our
:class:`asym.nets.discriminators.PatchGAN` (the demo config's: ndf 32, 2 layers, spectral
norm). Defaults: batch 4 of 64 px HR patches (16 px LR: two windows of 8, so shifted
windows and masks are exercised), SwinIR at SwinIR-light's width and depth (embed 60, four
RSTBs of six layers, six heads, MLP ratio 2), no stochastic depth (it would draw different
masks per side). Before timing, one step of each side from the same state must agree with
the reference (SR output, the three losses, both networks' gradients:
:data:`AGREEMENT_TOLERANCE`), else the run stops. Then ``--warmup`` untimed and
``--repeats`` timed steps per side in rotating order on the same batches; rates use the
median step (``best_ratio_*``: the fastest step of each; ``cpu_ratio_*``: process CPU time).
``--breakdown`` adds the median milliseconds of the step's parts per side:
``ms_<side>_generator``, ``ms_<side>_fidelity``, ``ms_<side>_discriminator`` and
``ms_<side>_rest`` (the step less those: the generator step's pass through the
discriminator, the optimizers, glue).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from contextlib import contextmanager

import torch

from asym.accel.attention import use_fast_attention
from asym.accel.switch import KERNELS
from asym.optimize.train_sr import ADAM_OPTIONS, maybe_compile
from asym.tools.bench_reference import ReferenceStep, import_basicsr, matching_dists_style, pyiqa_dists_network

# The sides of every benchmark: ours under each kernel setting, then the field's implementation.
OURS = tuple(f"ours_{kernels}" for kernels in KERNELS)


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
    """Time scoring with ours (both kernel settings) and pyiqa's DISTS; returns the figures :func:`main` prints."""
    torch.set_num_threads(threads)
    theirs = pyiqa_dists_network(seed).to(device)
    metrics = {f"ours_{k}": matching_dists_style(theirs, kernels=k).to(device) for k in KERNELS}
    batches = [(p.to(device), r.to(device)) for p, r in _images(n_batches + 1, batch_size, size, seed)]
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def run_theirs(pred, ref):
        with torch.no_grad():
            return theirs(pred, ref).reshape(-1).float()

    runners = {name: metric.score for name, metric in metrics.items()} | {"pyiqa": run_theirs}
    names = list(runners)
    seconds = {name: [] for name in names}
    cpu_seconds = {name: 0.0 for name in names}  # process CPU time, all threads
    max_diff = {name: 0.0 for name in OURS}
    for i, (pred, ref) in enumerate(batches):
        out = {}
        for name in names[i % 3:] + names[:i % 3]:  # rotating order
            sync()
            start, cpu_start = time.perf_counter(), time.process_time()
            out[name] = runners[name](pred, ref)
            sync()
            if i > 0:  # batch 0 warms up all (allocator, kernels, lazy init)
                seconds[name].append(time.perf_counter() - start)
                cpu_seconds[name] += time.process_time() - cpu_start
        for name in OURS:
            max_diff[name] = max(max_diff[name], float((out[name] - out["pyiqa"]).abs().max()))
    # The median batch time: robust to other processes stealing the CPU for a while.
    rate = {name: batch_size / statistics.median(seconds[name]) for name in names}
    result = {"batch_size": batch_size, "size": size, "n_batches": n_batches, "threads": threads, "device": device,
              "torch": torch.__version__}
    for name in names:
        result[f"{name}_images_per_s"] = rate[name]
        result[f"{name}_images_per_cpu_s"] = n_batches * batch_size / cpu_seconds[name]
    for name in OURS:
        result[f"ratio_{name}_over_pyiqa"] = rate[name] / rate["pyiqa"]
        result[f"cpu_ratio_{name}_over_pyiqa"] = cpu_seconds["pyiqa"] / cpu_seconds[name]
    result["ratio_fast_over_reference_kernels"] = rate["ours_fast"] / rate["ours_reference"]
    for name in OURS:
        result[f"max_abs_score_diff_{name}"] = max_diff[name]
    return result


# --------------------------------------------------------------------------- train-step

# The generator of the train-step benchmark: SwinIR's lightweight x4 width and depth
# (embed 60, four RSTBs of six layers, six heads, window 8; Liang et al. 2021, Table 1's
# "SwinIR-light"), with the classical pixelshuffle head both implementations share.
TRAIN_STEP_GENERATOR = {"upscale": 4, "img_size": 16, "window_size": 8, "embed_dim": 60,
                        "depths": (6, 6, 6, 6), "num_heads": (6, 6, 6, 6), "mlp_ratio": 2.0}
# The demo config's PatchGAN (workflow/config/demo.yaml, optimize.discriminators.patchgan).
TRAIN_STEP_DISCRIMINATOR = {"name": "patchgan", "ndf": 32, "n_layers": 2, "norm": "none", "spectral_norm": True}


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


def build_train_steps(generator: dict, discriminator: dict, gan_weight: float = 0.05, lr_g: float = 2e-4,
                      lr_d: float = 1e-4, seed: int = 0, compile_backend: str | None = None) -> dict:
    """``{"ours_reference": OursStep, "ours_fast": OursStep, "reference": ReferenceStep}`` over
    identical weights: BasicSR's SwinIR gets our SwinIR's state dict (strict: the names are
    the official ones), every side gets its own copy of one discriminator (BasicSR has no
    PatchGAN), our DISTS-style vgg16 metrics carry the pyiqa DISTS network's VGG weights and
    alpha/beta. ``ours_fast`` has the generator's attention and the metric switched to
    :mod:`asym.accel`, as ``kernels: fast`` does in training."""
    import warnings

    from asym.nets.discriminators import build_discriminator
    from asym.nets.swinir import SwinIR

    BasicSRSwinIR, _ = import_basicsr()
    torch.manual_seed(seed)
    # No stochastic depth: with it the sides would draw different random masks.
    ours_g = SwinIR(in_chans=3, img_range=1.0, upsampler="pixelshuffle", resi_connection="1conv",
                    drop_path_rate=0.0, **generator)
    with warnings.catch_warnings():  # BasicSR calls torch.meshgrid without indexing= (a FutureWarning of torch's)
        warnings.filterwarnings("ignore", message="torch.meshgrid")
        theirs_g = BasicSRSwinIR(in_chans=3, img_range=1.0, upsampler="pixelshuffle", resi_connection="1conv",
                                 drop_path_rate=0.0, **generator)
    theirs_g.load_state_dict(ours_g.state_dict(), strict=True)
    ours_d = build_discriminator(discriminator)
    dists = pyiqa_dists_network(seed)
    steps = {}
    for kernels in KERNELS:
        g = copy.deepcopy(ours_g)
        if kernels == "fast":
            use_fast_attention(g)
        steps[f"ours_{kernels}"] = OursStep(g.train(), copy.deepcopy(ours_d).train(),
                                            matching_dists_style(dists, kernels), "nonsaturating", gan_weight,
                                            lr_g, lr_d, compile_backend=compile_backend)
    steps["reference"] = ReferenceStep(theirs_g.train(), copy.deepcopy(ours_d).train(), dists, gan_weight, lr_g,
                                       lr_d)
    return steps


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


def step_outcome(step, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
    """One step of ``step``: its SR output and losses, and the generator's and discriminator's gradients."""
    out = step(lr_img, hr)
    for key, net in (("grad_g", step.g), ("grad_d", step.d)):
        out[key] = torch.cat([p.grad.reshape(-1) for p in net.parameters()])
    return out


def compare_outcomes(a: dict, b: dict) -> dict:
    """The largest differences of SR output and losses, the relative L2 differences of the gradients."""
    return {
        "max_abs_sr_diff": float((a["sr"] - b["sr"]).abs().max()),
        "abs_loss_fidelity_diff": float((a["loss_fidelity"] - b["loss_fidelity"]).abs()),
        "abs_loss_gan_diff": float((a["loss_gan"] - b["loss_gan"]).abs()),
        "abs_loss_d_diff": float((a["loss_d"] - b["loss_d"]).abs()),
        "rel_grad_g_diff": _rel_diff(a["grad_g"], b["grad_g"]), "rel_grad_d_diff": _rel_diff(a["grad_d"], b["grad_d"]),
    }


def check_agreement(ours: OursStep, theirs: ReferenceStep, lr_img: torch.Tensor, hr: torch.Tensor) -> dict:
    """One step of each from identical states, compared (:func:`compare_outcomes`)."""
    return compare_outcomes(step_outcome(ours, lr_img, hr), step_outcome(theirs, lr_img, hr))


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


def step_breakdown(steps: dict, lr_img: torch.Tensor, hr: torch.Tensor, step_s: dict, n_repeats: int,
                   n_warmup: int) -> dict:
    """Median milliseconds of each part of the step (:func:`component_runners`), part after
    part, the sides interleaved for each, and the rest of the median step time ``step_s`` {side: s}."""
    runners = {side: component_runners(step, lr_img, hr) for side, step in steps.items()}
    timing = {part: interleaved_medians({side: runners[side][part] for side in runners}, n_repeats, n_warmup)
              for part in BREAKDOWN_PARTS}
    out = {}
    for side in steps:
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
    """Time one GAN training step, ours (both kernel settings) vs BasicSR + pyiqa; returns the figures :func:`main` prints."""
    generator = dict(TRAIN_STEP_GENERATOR if generator is None else generator)
    discriminator = dict(TRAIN_STEP_DISCRIMINATOR if discriminator is None else discriminator)
    scale = generator["upscale"]
    if patch % scale or (patch // scale) % generator["window_size"]:
        raise ValueError(f"--patch {patch} must be upscale ({scale}) x a multiple of window_size "
                         f"({generator['window_size']}), e.g. {scale * generator['window_size'] * 2}")
    generator["img_size"] = patch // scale  # the stored shift masks match the training patch, as in training
    torch.set_num_threads(threads)
    steps = build_train_steps(generator, discriminator, gan_weight=gan_weight, seed=seed,
                              compile_backend=compile_backend)
    batches = _hr_batches(n_warmup + n_repeats + 1, batch_size, patch, scale, seed)
    agreement = {}
    expected = step_outcome(steps["reference"], *batches[0])
    for side in OURS:  # one step of each from the same weights as the reference's
        found = compare_outcomes(step_outcome(steps[side], *batches[0]), expected)
        failed = {k: v for k, v in found.items() if not v <= AGREEMENT_TOLERANCE[k]}
        if failed:
            raise AssertionError(f"{side} and the reference disagree before timing: {failed} "
                                 f"(tolerances {AGREEMENT_TOLERANCE})")
        agreement |= {f"{key}_{side}": value for key, value in found.items()}
    it = {side: iter(batches[1:]) for side in steps}
    timing = interleaved_medians({side: (lambda side=side: steps[side](*next(it[side]))) for side in steps},
                                 n_repeats, n_warmup)
    parts = {}
    if breakdown:  # after the step timing, which it cannot disturb
        parts = step_breakdown(steps, *batches[1], {side: timing[side]["median_s"] for side in timing},
                               n_repeats, n_warmup)
    rate = {side: batch_size / timing[side]["median_s"] for side in steps}
    result = {
        "batch_size": batch_size, "patch": patch, "lr_patch": patch // scale, "threads": threads,
        "ours_compiled": compile_backend or "no",
        "n_repeats": n_repeats, "n_warmup": n_warmup, "torch": torch.__version__,
        "generator": json.dumps(generator), "discriminator": json.dumps(discriminator) + " (same class all sides)",
    }
    for side in steps:
        result[f"{side}_images_per_s"] = rate[side]
        result[f"{side}_steps_per_s"] = 1 / timing[side]["median_s"]
    for side in OURS:
        result[f"ratio_{side}_over_reference"] = rate[side] / rate["reference"]
        # Fastest step of each: what a step costs when no other process interferes.
        result[f"best_ratio_{side}_over_reference"] = min(timing["reference"]["all_s"]) / min(timing[side]["all_s"])
        result[f"cpu_ratio_{side}_over_reference"] = timing["reference"]["cpu_s"] / timing[side]["cpu_s"]
    result["ratio_fast_over_reference_kernels"] = rate["ours_fast"] / rate["ours_reference"]
    return result | agreement | parts


def format_result(result: dict) -> str:
    lines = []
    for key, value in result.items():
        lines.append(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Speed benchmarks (see the module docstring).")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("assess", help="DISTS scoring: ours (DistsStyle vgg16, both kernel settings) vs pyiqa's DISTS")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--size", type=int, default=256, help="image side, pixels")
    p.add_argument("--n-batches", type=int, default=5, help="timed batches (after one warm-up batch)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    t = sub.add_parser("train-step", help="one GAN training step: ours (both kernel settings) vs BasicSR SwinIR + "
                                          "pyiqa DISTS")
    t.add_argument("--batch-size", type=int, default=4)
    t.add_argument("--patch", type=int, default=64, help="HR patch side, pixels (LR = patch / upscale)")
    t.add_argument("--embed-dim", type=int, default=TRAIN_STEP_GENERATOR["embed_dim"])
    t.add_argument("--depths", type=parse_ints, default=TRAIN_STEP_GENERATOR["depths"], help="e.g. 6,6,6,6")
    t.add_argument("--num-heads", type=parse_ints, default=TRAIN_STEP_GENERATOR["num_heads"], help="e.g. 6,6,6,6")
    t.add_argument("--window-size", type=int, default=TRAIN_STEP_GENERATOR["window_size"])
    t.add_argument("--ndf", type=int, default=TRAIN_STEP_DISCRIMINATOR["ndf"], help="PatchGAN width")
    # 15: with 7, runs of the same code on a shared 2-core VM scattered widely (docs/performance.md)
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
