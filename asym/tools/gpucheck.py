"""Time the paper-scale SR training step on this machine's GPU: the project's reference figure.

    scripts/gpu_check.sh                                  # paper config, CUDA, bf16, channels_last
    scripts/gpu_check.sh --steps 50 --batch-size 16 --record docs/gpu-reference.md
    python -m asym.tools.gpucheck --device cpu --tiny           # the same code at toy size on the CPU (tests)

What runs is the generator half of a step of :mod:`asym.optimize.train_sr`: the SwinIR of
``optimize.generator`` in ``--config`` (default ``workflow/config/paper.yaml``), the
DISTS-style VGG-16 loss (ImageNet VGG weights when the config's pinned file exists,
random weights otherwise: speed and FLOPs are the same), Adam, autocast to bfloat16
(``--precision``), models and batches in channels-last layout, ``optimize.batch_size``
HR crops of ``optimize.patch_size`` pixels (``--batch-size``/``--patch-size`` override).
The batch is synthetic and already on the device, so the figure is compute alone (no
data loading, no discriminator). ``--warmup`` steps first (allocator, cuDNN autotuning,
``--compile``), then one step under ``FlopCounterMode`` to count its FLOPs (matmul,
convolution and attention kernels, forward and backward), then ``--steps`` timed steps
between ``torch.cuda.synchronize()`` calls.

Printed as ``key: value`` lines: date, device, steps per second, images per second,
peak memory (``torch.cuda.max_memory_allocated`` over the timed steps; on the CPU the
process's peak resident memory), FLOPs per step, achieved TFLOP/s and its fraction of
the device's bf16 dense peak (:data:`asym.tools.plan.GPU_PEAKS`, matched on the device name;
give ``--peak-tflops`` for a device the table lacks). That fraction is what
``asym plan --utilization`` needs. ``--record FILE`` appends the result as a table row
to FILE (``docs/gpu-reference.md`` holds the project's figures, with date and device).

Without CUDA the check stops with exit status 2 and says so; ``--device cpu`` runs the
same code on the CPU (with ``--tiny``: a small SwinIR, batch 2, 32-pixel crops, in seconds).
CI never depends on a GPU: the tests run ``--device cpu --tiny``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from contextlib import nullcontext
from pathlib import Path

NO_CUDA_EXIT = 2
PRECISIONS = ("bf16", "fp32")  # as asym.optimize.train_sr: bfloat16 autocast needs no loss scaling
# --tiny: a SwinIR with every part of the paper one (window attention, shifted windows,
# RSTB, pixel-shuffle upsampler) at toy width, for a CPU test in seconds.
TINY_GENERATOR = {"name": "swinir", "img_size": 8, "window_size": 4, "embed_dim": 12, "depths": [1],
                  "num_heads": [2], "mlp_ratio": 2.0}
TINY = {"batch_size": 2, "patch_size": 32, "steps": 3, "warmup": 1}
DEFAULT_STEPS, DEFAULT_WARMUP = 20, 5
PLACEHOLDER = "No figure has been measured yet."
RECORD_HEADER = ("| date | device | torch | precision | batch x patch | steps/s | images/s | peak memory GiB "
                 "| TFLOP/s | fraction of peak |\n|---|---|---|---|---|---|---|---|---|---|\n")


class CheckError(RuntimeError):
    """The check cannot run as asked (no CUDA, unsupported precision)."""


def loss_spec(cfg: dict) -> tuple[dict, str]:
    """The DISTS-style VGG-16 loss: the config's ImageNet one if its pinned file exists, else random weights."""
    for name, spec in cfg["metrics"].items():
        if spec["kind"] == "dists_style" and spec["backbone"] == "vgg16" and spec.get("init") == "imagenet":
            if Path(spec["weights"]).is_file():
                return ({"name": name, "kind": "dists_style", "backbone": "vgg16", "init": "imagenet",
                         "weights": spec["weights"]}, f"{name} (ImageNet VGG-16 from {spec['weights']})")
            missing = spec["weights"]
            break
    else:
        missing = None
    why = f"{missing} not found" if missing else "no ImageNet one in the config"
    return ({"name": "dists_vgg16-R", "kind": "dists_style", "backbone": "vgg16", "init": "random", "init_seed": 0},
            f"dists_vgg16-R (random VGG-16 weights: {why}; same speed and FLOPs)")


def device_name(device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model} ({torch.get_num_threads()} threads)"


def _peak_memory_gib(device) -> tuple[float, str]:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30, "torch.cuda.max_memory_allocated"
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, "process peak RSS"  # ru_maxrss: KiB


def check(config: str, device: str = "cuda", steps: int | None = None, warmup: int | None = None,
          batch_size: int | None = None, patch_size: int | None = None, precision: str = "bf16",
          channels_last: bool = True, use_compile: bool = False, tiny: bool = False,
          peak_tflops: float | None = None, seed: int = 0) -> dict:
    """Run the timed steps; return the figures :func:`main` prints."""
    import torch

    from asym.assess.fidelity import build_metric
    from asym.config import load_config
    from asym.data.images import bicubic_downsample
    from asym.nets.generators import build_generator
    from asym.tools.flops import PlanError, count_flops
    from asym.tools.plan import peak_tflops as table_peak

    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise CheckError("no CUDA device is available here (torch.cuda.is_available() is False), so there is no "
                         "GPU figure to measure. On a GPU machine run scripts/gpu_check.sh; to try the script on "
                         "this CPU, add --device cpu --tiny.")
    if precision not in PRECISIONS:
        raise CheckError(f"--precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "bf16" and dev.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise CheckError(f"{torch.cuda.get_device_name(dev)} has no bfloat16 support; run with --precision fp32")

    cfg = load_config(config)
    opt = cfg["optimize"]
    gen_spec = dict(opt["generator"])
    if tiny:
        gen_spec = {**TINY_GENERATOR, "upscale": gen_spec["upscale"]}
    batch_size = batch_size or (TINY["batch_size"] if tiny else opt["batch_size"])
    patch_size = patch_size or (TINY["patch_size"] if tiny else opt["patch_size"])
    steps = steps or (TINY["steps"] if tiny else DEFAULT_STEPS)
    warmup = warmup if warmup is not None else (TINY["warmup"] if tiny else DEFAULT_WARMUP)
    scale = gen_spec["upscale"]
    if patch_size % scale:
        raise CheckError(f"patch size {patch_size} is not a multiple of the upscale factor {scale}")

    torch.manual_seed(seed)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    gen = build_generator(gen_spec).to(dev, memory_format=fmt).train()
    spec, loss_text = loss_spec(cfg)
    loss = build_metric(spec, device=str(dev))
    optimizer = torch.optim.Adam(gen.parameters(), lr=opt["lr_g"], betas=tuple(opt["betas"]))
    hr = torch.rand(batch_size, 3, patch_size, patch_size, device=dev).contiguous(memory_format=fmt)
    lr = bicubic_downsample(hr, scale).contiguous(memory_format=fmt)
    amp = (lambda: torch.autocast(dev.type, dtype=torch.bfloat16)) if precision == "bf16" else nullcontext
    forward = torch.compile(gen) if use_compile else gen
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)

    def step(net=forward):
        # As asym.optimize.train_sr: generator and the deep loss under autocast, the loss value in float32.
        with amp():
            value = loss.loss(net(lr), hr).float()
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    sync()
    flops = count_flops(lambda: step(gen))  # the eager module: the same kernels, counted once
    sync()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    seconds = time.perf_counter() - start
    memory, memory_source = _peak_memory_gib(dev)

    name = device_name(dev)
    peak_label = None
    if peak_tflops is not None:
        peak_label = f"{peak_tflops:g} (--peak-tflops)"
    elif dev.type == "cuda":
        try:
            label, peak_tflops = table_peak(name)
            peak_label = f"{peak_tflops:g} ({label}, bf16 dense)"
        except PlanError:
            peak_tflops = None
    achieved = flops * steps / seconds / 1e12
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "device": name,
        "torch": torch.__version__ + (f" (CUDA {torch.version.cuda})" if dev.type == "cuda" else ""),
        "config": config + (" (--tiny)" if tiny else ""),
        "generator": f"{gen_spec['name']} x{scale}, embed_dim {gen_spec.get('embed_dim')}, depths "
                     f"{gen_spec.get('depths')}, {sum(p.numel() for p in gen.parameters()) / 1e6:.2f} M parameters",
        "loss": loss_text,
        "precision": precision, "channels_last": channels_last, "compile": use_compile,
        "batch_size": batch_size, "patch_size": patch_size, "lr_patch": patch_size // scale,
        "warmup_steps": warmup, "timed_steps": steps, "seconds": seconds,
        "steps_per_s": steps / seconds, "images_per_s": steps * batch_size / seconds,
        "peak_memory_gib": memory, "peak_memory_source": memory_source,
        "tflop_per_step": flops / 1e12, "achieved_tflops": achieved,
        "peak_tflops": peak_label or "unknown (device not in asym.tools.plan.GPU_PEAKS; give --peak-tflops)",
        "fraction_of_peak": achieved / peak_tflops if peak_tflops else
        "unknown (rerun with --peak-tflops <bf16 dense TFLOP/s of this device>)",
    }


def format_result(result: dict) -> str:
    return "\n".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in result.items())


def record(result: dict, path: Path) -> None:
    """Append ``result`` as a row of the reference table in ``path`` (header and placeholder handled)."""
    from asym.io import write_text

    path = Path(path)
    text = path.read_text() if path.is_file() else "# GPU reference figures\n\n"
    text = "\n".join(line for line in text.splitlines() if line.strip() != PLACEHOLDER) + "\n"
    if RECORD_HEADER.splitlines()[0] not in text:
        text += "\n" + RECORD_HEADER
    fraction = result["fraction_of_peak"]
    cells = [result["date"], result["device"], result["torch"], result["precision"],
             f"{result['batch_size']} x {result['patch_size']}", f"{result['steps_per_s']:.3g}",
             f"{result['images_per_s']:.3g}", f"{result['peak_memory_gib']:.3g}",
             f"{result['achieved_tflops']:.3g}", f"{fraction:.3f}" if isinstance(fraction, float) else "unknown"]
    write_text(text + "| " + " | ".join(cells) + " |\n", path)


def main(argv=None) -> None:
    from asym.config import ConfigError

    parser = argparse.ArgumentParser(prog="gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="workflow/config/paper.yaml")
    parser.add_argument("--device", default="cuda", help="cuda (default), cuda:N, or cpu (for testing)")
    parser.add_argument("--steps", type=int, help=f"timed steps (default {DEFAULT_STEPS}; --tiny {TINY['steps']})")
    parser.add_argument("--warmup", type=int, help=f"untimed steps first (default {DEFAULT_WARMUP})")
    parser.add_argument("--batch-size", type=int, help="default: optimize.batch_size of the config")
    parser.add_argument("--patch-size", type=int, help="HR crop side in pixels; default: optimize.patch_size")
    parser.add_argument("--precision", default="bf16", choices=PRECISIONS)
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    parser.add_argument("--compile", action="store_true", help="torch.compile the generator (longer warm-up)")
    parser.add_argument("--tiny", action="store_true", help="toy SwinIR, batch 2, 32 px crops (CPU tests)")
    parser.add_argument("--peak-tflops", type=float, help="the device's bf16 dense peak, when the table lacks it")
    parser.add_argument("--threads", type=int, help="CPU threads (--device cpu)")
    parser.add_argument("--record", type=Path, help="append the result as a row of this Markdown file")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    try:
        result = check(args.config, args.device, args.steps, args.warmup, args.batch_size, args.patch_size,
                       args.precision, args.channels_last, args.compile, args.tiny, args.peak_tflops)
    except CheckError as exc:
        print(f"gpu_check: {exc}", file=sys.stderr)
        sys.exit(NO_CUDA_EXIT)
    except ConfigError as exc:
        sys.exit(f"gpu_check: {exc}")
    print(format_result(result))
    if args.record:
        record(result, args.record)
        print(f"recorded in {args.record}")


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
