"""Speed benchmarks: our implementation against the reference one, same inputs, one run.

    python -m asym.bench assess --batch-size 8 --size 256 --n-batches 5 --threads 2

``assess`` times DISTS scoring (no gradient): our :class:`asym.fidelity.DistsStyle`
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
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import contextmanager
from types import SimpleNamespace

import torch

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
    from asym.fidelity import build_metric

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
    args = parser.parse_args(argv)
    result = bench_assess(args.batch_size, args.size, args.n_batches, args.threads, args.seed, args.device)
    print(format_result(result))


if __name__ == "__main__":
    main()
