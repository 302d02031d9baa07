"""Train one super-resolution generator with a fidelity loss and, optionally, a GAN loss.

    python -m asym.train_sr --spec "$(python -m asym.cli spec train --config workflow/config/demo.yaml \
        --run l1__nogan__s0)" --train-dir data/demo/sr/train --out results/optimize/runs/l1__nogan__s0

(The workflow builds ``--spec`` with :func:`asym.config.train_spec` and passes it through
``params:``.) Writes to ``--out``:

- ``final.pt``: the trained generator (``params``) and, for GAN runs, the trained
  discriminator (``discriminator``; None without GAN), with the spec that made them;
- ``train_log.csv``: one row every ``log_every`` steps (losses, discriminator accuracy,
  gradient norms, learning rate, seconds);
- ``checkpoint.pt``: every ``checkpoint_every`` steps, with the generator, the
  discriminator, their optimizers and schedulers, the step, every RNG state and the
  spec. A run killed at any moment and started again continues from it, and on the
  CPU ends bit-identical to an uninterrupted run. SIGTERM or SIGUSR1 (SLURM's
  pre-emption warning) make the run checkpoint at the end of the current step and exit
  with status 143, so a requeue continues it.

The recipe: random HR crops from the training photographs, LR = bicubic x``upscale``
downsampling (antialiased), Adam, SwinIR's step schedule (halve the learning rate at
50/80/90/95 % of the steps). With a discriminator, each step first updates the
generator on fidelity + gan_weight * adversarial loss (discriminator frozen), then the
discriminator on real HR vs detached SR crops.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from asym import checkpoint
from asym.adversarial import (
    accuracy,
    discriminator_loss,
    generator_loss,
    needs_real_logits,
)
from asym.data.images import bicubic_downsample, load_folder, random_crop, to_tensor
from asym.fidelity import build_metric
from asym.io import write_csv
from asym.nets.discriminators import build_discriminator
from asym.nets.generators import build_generator

CHECKPOINT_FORMAT = "asym-train-sr-v1"
FINAL_FORMAT = "asym-sr-final-v1"
LOG_COLUMNS = ["step", "loss_total", "loss_fidelity", "loss_gan", "loss_d", "d_real_acc", "d_fake_acc",
               "grad_norm_g", "grad_norm_d", "lr", "seconds"]
# SwinIR's classical-SR schedule halves the LR at 250k/400k/450k/475k of 500k steps.
LR_MILESTONE_FRACTIONS = (0.5, 0.8, 0.9, 0.95)
PREEMPT_EXIT_CODE = 143


class Preemption:
    """Turns SIGTERM/SIGUSR1 into a flag checked at step boundaries."""

    def __init__(self):
        self.requested = False
        for sig in (signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        self.requested = True


def _grad_norm(params) -> float:
    norms = [p.grad.detach().norm() for p in params if p.grad is not None]
    return torch.stack(norms).norm().item() if norms else 0.0


def _batch(images: list[torch.Tensor], size: int, batch_size: int, gen: torch.Generator) -> torch.Tensor:
    idx = torch.randint(len(images), (batch_size,), generator=gen).tolist()
    return torch.stack([random_crop(images[i], size, gen) for i in idx])


def _scheduler(optimizer, steps: int):
    milestones = sorted({max(1, int(f * steps)) for f in LR_MILESTONE_FRACTIONS})
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.5)


def train(spec: dict, train_dir: Path, out_dir: Path, progress: bool = True,
          stop_after: int | None = None) -> Path | None:
    """Run (or continue) the training the spec describes; return the generator file.

    ``stop_after`` ends this invocation after that many steps with a checkpoint and
    returns None (a time-limited job's slice; also how the tests simulate a kill).
    """
    preempt = Preemption()  # first, so a signal during set-up is not lost
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, final_path = out_dir / "checkpoint.pt", out_dir / "final.pt"
    run, device = spec["run"], torch.device(spec["device"])
    scale = spec["generator"]["upscale"]
    if spec["patch_size"] % scale:
        raise ValueError(f"patch_size {spec['patch_size']} must be a multiple of the upscale factor {scale}")

    images = [to_tensor(img) for _, img in load_folder(train_dir)]
    torch.manual_seed(run["seed"])
    crops = torch.Generator().manual_seed(run["seed"])
    gen_net = build_generator(spec["generator"]).to(device)
    loss_metric = build_metric(spec["loss"], device=spec["device"])
    opt_g = torch.optim.Adam(gen_net.parameters(), lr=spec["lr_g"], betas=tuple(spec["betas"]))
    sched_g = _scheduler(opt_g, spec["steps"])
    disc = opt_d = sched_d = None
    if spec["discriminator"] is not None:
        disc = build_discriminator(spec["discriminator"]).to(device)
        opt_d = torch.optim.Adam(disc.parameters(), lr=spec["lr_d"], betas=tuple(spec["betas"]))
        sched_d = _scheduler(opt_d, spec["steps"])

    step, log_rows, elapsed = 0, [], 0.0
    if ckpt_path.exists():
        state = checkpoint.load(ckpt_path, CHECKPOINT_FORMAT, expected_spec=spec)
        gen_net.load_state_dict(state["generator"])
        opt_g.load_state_dict(state["opt_g"])
        sched_g.load_state_dict(state["sched_g"])
        if disc is not None:
            disc.load_state_dict(state["discriminator"])
            opt_d.load_state_dict(state["opt_d"])
            sched_d.load_state_dict(state["sched_d"])
        torch.set_rng_state(state["rng_torch"])
        crops.set_state(state["rng_crops"])
        step, log_rows, elapsed = state["step"], state["log"], state["seconds"]

    def save_checkpoint():
        checkpoint.save(
            {
                "format": CHECKPOINT_FORMAT, "spec": spec, "step": step, "log": log_rows, "seconds": elapsed,
                "generator": gen_net.state_dict(), "opt_g": opt_g.state_dict(), "sched_g": sched_g.state_dict(),
                "discriminator": disc.state_dict() if disc is not None else None,
                "opt_d": opt_d.state_dict() if disc is not None else None,
                "sched_d": sched_d.state_dict() if disc is not None else None,
                "rng_torch": torch.get_rng_state(), "rng_crops": crops.get_state(),
            },
            ckpt_path,
        )

    gen_net.train()
    start_step = step
    bar = tqdm(total=spec["steps"], initial=step, desc=run["name"], disable=not progress, leave=False)
    while step < spec["steps"]:
        t0 = time.perf_counter()
        hr = _batch(images, spec["patch_size"], spec["batch_size"], crops).to(device)
        lr_img = bicubic_downsample(hr, scale)
        sr = gen_net(lr_img)

        # Generator update: the discriminator only provides gradients here.
        loss_fid = loss_metric.loss(sr, hr)
        loss_gan = torch.zeros((), device=device)
        if disc is not None:
            disc.requires_grad_(False)
            # Relativistic objectives compare fakes with reals in the generator loss too.
            real_g = disc(hr).detach() if needs_real_logits(run["objective"]) else None
            loss_gan = generator_loss(disc(sr), run["objective"], real_logits=real_g)
        loss_total = loss_fid + run["gan_weight"] * loss_gan
        opt_g.zero_grad(set_to_none=True)
        loss_total.backward()
        grad_g = _grad_norm(gen_net.parameters())
        opt_g.step()
        sched_g.step()

        loss_d, acc, grad_d = math.nan, (math.nan, math.nan), math.nan
        if disc is not None:
            disc.requires_grad_(True)
            real_logits, fake_logits = disc(hr), disc(sr.detach())
            d_loss = discriminator_loss(real_logits, fake_logits, run["objective"])
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            grad_d = _grad_norm(disc.parameters())
            opt_d.step()
            sched_d.step()
            loss_d, acc = d_loss.item(), accuracy(real_logits, fake_logits)

        step += 1
        elapsed += time.perf_counter() - t0
        if not math.isfinite(loss_total.item()):
            raise FloatingPointError(f"run {run['name']}: loss became {loss_total.item()} at step {step}")
        if step % spec["log_every"] == 0 or step == spec["steps"]:
            log_rows.append({
                "step": step, "loss_total": loss_total.item(), "loss_fidelity": loss_fid.item(),
                "loss_gan": loss_gan.item() if disc is not None else math.nan, "loss_d": loss_d,
                "d_real_acc": acc[0], "d_fake_acc": acc[1], "grad_norm_g": grad_g, "grad_norm_d": grad_d,
                "lr": opt_g.param_groups[0]["lr"], "seconds": elapsed,
            })
        bar.update(1)
        sliced = stop_after is not None and step - start_step >= stop_after
        if step % spec["checkpoint_every"] == 0 or step == spec["steps"] or preempt.requested or sliced:
            save_checkpoint()
        if sliced and step < spec["steps"]:
            bar.close()
            return None
        if preempt.requested and step < spec["steps"]:
            bar.close()
            print(f"{run['name']}: pre-empted at step {step}; checkpoint saved to {ckpt_path}", file=sys.stderr)
            sys.exit(PREEMPT_EXIT_CODE)
    bar.close()

    write_csv(pd.DataFrame(log_rows, columns=LOG_COLUMNS), out_dir / "train_log.csv")
    checkpoint.save({"format": FINAL_FORMAT, "spec": spec, "step": step, "params": gen_net.state_dict(),
                     "discriminator": disc.state_dict() if disc is not None else None}, final_path)
    return final_path


def load_generator(path: str | Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild a trained generator from a run's ``final.pt``; returns (model in eval mode, spec)."""
    state = checkpoint.load(path, FINAL_FORMAT)
    net = build_generator(state["spec"]["generator"])
    net.load_state_dict(state["params"])
    return net.to(device).eval(), state["spec"]


def load_discriminator(path: str | Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild the trained discriminator of a GAN run from its ``final.pt``; returns (model, spec)."""
    state = checkpoint.load(path, FINAL_FORMAT)
    if state.get("discriminator") is None:
        raise checkpoint.CheckpointError(f"{path} is a run without a discriminator (no adversarial loss)")
    net = build_discriminator(state["spec"]["discriminator"])
    net.load_state_dict(state["discriminator"])
    return net.to(device).eval(), state["spec"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="run spec as JSON (asym.config.train_spec)")
    parser.add_argument("--train-dir", required=True, type=Path, help="folder of HR training images")
    parser.add_argument("--out", required=True, type=Path, help="run folder")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    train(json.loads(args.spec), args.train_dir, args.out, progress=not args.no_progress)


if __name__ == "__main__":
    main()
