"""Train one super-resolution generator with a fidelity loss and, optionally, a GAN loss.

    python -m asym.optimize.train_sr --spec "$(python -m asym.cli spec --config workflow/config/demo.yaml \
        --run l1__nogan__s0)" --train-dir data/demo/sr/train --out results/optimize/runs/l1__nogan__s0

(The workflow builds ``--spec`` with :func:`asym.config.train_spec` and passes it through
``params:``.) Writes to ``--out``:

- ``final.pt``: the trained generator (``params``) and, for GAN runs, the trained
  discriminator (``discriminator``; None without GAN), with the spec that made them;
- ``train_log.csv``: one row every ``log_every`` steps (losses, discriminator accuracy,
  gradient norms, learning rate, seconds);
- ``checkpoint.pt``: every ``checkpoint_every`` steps, with the generator, the
  discriminator, their optimizers and schedulers, the step, every RNG state, the spec,
  a digest of the pretrained generator's weights the run started from and a digest of
  the code (:func:`asym.codedeps.code_digest` of the package files this module imports).
  A run killed at any moment and started again continues from it, and on the CPU ends
  bit-identical to an uninterrupted run. SIGTERM or SIGUSR1 (SLURM's pre-emption
  warning) make the run checkpoint at the end of the current step and exit with status
  143, so a requeue continues it. Once ``final.pt`` is written the checkpoint is removed:
  a finished run is never "resumed" by a later job. A checkpoint of another spec, another
  pretrained start or other code (a loss edited, say), or of a finished run, is refused;
  ``--restart-stale`` (what the workflow passes, since Snakemake only reruns a job whose
  inputs changed) renames it to the first free ``checkpoint.stale-<n>.pt`` (never
  overwriting an earlier one), says why on stderr and in ``restarts.log``, and starts afresh.

**Divergence.** A run whose generator or discriminator loss becomes NaN or infinite does
not raise: it writes ``train_log.csv`` up to and including that step, keeps its last good
weights as ``final.pt`` (the newest finite checkpoint, else its start; ``diverged_at`` says
the step), marks ``run.json`` ``diverged`` and exits 0, so evaluation and the stability
table count it (:mod:`asym.optimize.divergence`).

The recipe: random HR crops from the training photographs, LR = bicubic x``upscale``
downsampling (antialiased), Adam, SwinIR's step schedule (halve the learning rate at
50/80/90/95 % of the steps). With a discriminator, each step first updates the
generator on fidelity + gan_weight * adversarial loss (discriminator frozen), then the
discriminator on real HR vs detached SR crops.

**Pretrained start** (ESRGAN's recipe). With ``optimize.pretrain`` the spec's ``init``
names a ``final.pt`` that rule ``pretrain_sr`` made by this same module: either a run of
``pretrain.steps`` steps with the pixel loss ``pretrain.loss`` and no discriminator (a
spec from :func:`asym.config.pretrain_spec`), or, for a spec with ``official``, a
published SwinIR/ESRGAN checkpoint imported by :func:`asym.nets.generators.load_official`
(no training, no ``--train-dir``). Every run of a seed starts from that seed's file.

**GPU switches** (spec keys from ``optimize``): ``precision: bf16`` runs the generator,
a deep (DISTS-style) loss network and the discriminator under ``torch.autocast``
(bfloat16 needs no loss scaling); classical losses (L1, SSIM, ...) and the GAN
objectives are computed in float32 on float32 copies. ``channels_last`` puts models and
batches in NHWC layout. ``compile`` wraps generator and discriminator in
``torch.compile`` (weights are saved from the uncompiled modules, so files do not change).

**Several GPUs (data parallel).** Launched by ``torchrun`` (``WORLD_SIZE`` > 1), every
process joins a process group (NCCL on CUDA, gloo on the CPU), uses GPU ``LOCAL_RANK``,
wraps generator and discriminator in ``DistributedDataParallel`` and trains on its slice
of each global batch of ``batch_size`` crops: every process draws the whole batch from
the same seeded generator and keeps its part, so N processes compute the gradient of the
same batch as one process would, and end with the same weights up to float rounding.
Only rank 0 writes checkpoints, the log and ``final.pt``; a checkpoint resumes under any
number of processes. On one node (the workflow does this when
``optimize.gpus_per_run`` > 1)::

    torchrun --standalone --nproc_per_node 4 -m asym.optimize.train_sr --spec "$SPEC" \
        --train-dir data/paper/sr/DF2K/HR --out results/paper/optimize/runs/l1__nogan__s0

across nodes (SLURM, one task per node)::

    srun torchrun --nnodes $SLURM_NNODES --nproc_per_node 4 --rdzv_id $SLURM_JOB_ID --rdzv_backend c10d \
        --rdzv_endpoint $(scontrol show hostnames | head -n1):29500 -m asym.optimize.train_sr ...

On pre-emption all processes agree (each step) to stop at the same step; rank 0 writes
the checkpoint and they exit 143 together (torchrun itself then reports a failure).
Batch normalisation (a ``norm: batch`` PatchGAN) keeps per-process statistics.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import signal
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from asym import checkpoint
from asym.accel.attention import use_fast_attention
from asym.assess.fidelity import build_metric
from asym.codedeps import code_digest
from asym.data.images import bicubic_downsample, load_folder, random_crop, to_tensor
from asym.errors import ConfigError, InputError
from asym.io import write_csv
from asym.nets.discriminators import build_discriminator
from asym.nets.generators import build_generator, load_official
from asym.optimize.adversarial import (
    accuracy,
    discriminator_loss,
    generator_loss,
    needs_real_logits,
)
from asym.optimize.divergence import diverged, last_good_state, snapshot
from asym.optimize.final import FINAL_FORMAT
from asym.optimize.runrecord import write_run_record

CHECKPOINT_FORMAT = "asym-train-sr-v1"
LOG_COLUMNS = ["step", "loss_total", "loss_fidelity", "loss_gan", "loss_d", "d_real_acc", "d_fake_acc",
               "grad_norm_g", "grad_norm_d", "lr", "seconds"]
# SwinIR's classical-SR schedule halves the LR at 250k/400k/450k/475k of 500k steps.
LR_MILESTONE_FRACTIONS = (0.5, 0.8, 0.9, 0.95)
PREEMPT_EXIT_CODE = 143
# One fused kernel per optimizer step instead of a loop over parameter tensors (CPU and CUDA);
# (its measured share of a step: docs/performance.md).
ADAM_OPTIONS = {"fused": True}
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}
# Loss kinds that are deep networks and worth running under autocast; the classical
# formulas (means, variances of SSIM, ...) lose too much in bfloat16 and stay float32.
AUTOCAST_LOSS_KINDS = {"dists_style"}
# torch.compile's backend ("inductor" generates kernels; the tests use "eager", which
# traces the same graphs without a C++ build).
COMPILE_BACKEND = "inductor"


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


def _batch(images: list[torch.Tensor], size: int, batch_size: int, gen: torch.Generator,
           part: slice = slice(None)) -> torch.Tensor:
    """This process's ``part`` of one global batch of random crops.

    Every process draws the positions of the whole batch from the same generator (crops
    are views, so drawing costs no copies), which keeps the generators of all processes
    in step and makes the union of the parts the batch a single process would train on.
    """
    idx = torch.randint(len(images), (batch_size,), generator=gen).tolist()
    crops = [random_crop(images[i], size, gen) for i in idx]
    return torch.stack(crops[part])


def _scheduler(optimizer, steps: int):
    milestones = sorted({max(1, int(f * steps)) for f in LR_MILESTONE_FRACTIONS})
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=0.5)


def _start_distributed(spec: dict) -> tuple[int, int, torch.device, bool]:
    """(rank, world size, this process's device, whether this call created the process group)."""
    device = torch.device(spec["device"])
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1 and not dist.is_initialized():
        return 0, 1, device, False
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise RuntimeError(f"process LOCAL_RANK={local} has no GPU: {torch.cuda.device_count()} visible; "
                               "launch torchrun with --nproc_per_node at most the GPUs of the node")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), dist.get_world_size(), device, created


def _mean_across(values: list[float], world: int, device: torch.device) -> list[float]:
    """Average per-process numbers over all processes (identity for one process)."""
    if world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return (t / world).tolist()


def _weights_digest(state: dict) -> str:
    """SHA-256 of a state dict's names and values (not of the file: torch.save's archives
    differ between saves of the same weights)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode())
        digest.update(state[name].detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _load_init(spec: dict, net: torch.nn.Module) -> str | None:
    """Load the pretrained generator the spec's ``init`` names into ``net``; return its weights' digest."""
    init = spec.get("init")
    if not init:
        return None
    path = Path(init["path"])
    if not path.is_file():
        raise InputError(
            f"run {spec['run']['name']}: the pretrained generator {path} (spec 'init') does not exist; make it "
            f"first (rule pretrain_sr: snakemake {path})")
    state = checkpoint.load(path, FINAL_FORMAT)
    if state["spec"]["generator"] != spec["generator"]:
        raise checkpoint.CheckpointError(
            f"{path} holds a generator with other settings ({state['spec']['generator']}) than this run's "
            f"({spec['generator']}); pretrain again with the run's optimize.generator")
    net.load_state_dict(state["params"])
    return _weights_digest(state["params"])


def _stale_reason(state: dict, spec: dict, init_digest: str | None, code: str, path: Path) -> str | None:
    """Why the checkpoint at ``path`` must not be continued by this job, or None.

    Its spec, its pretrained start and the code it ran must all be this job's; and a
    checkpoint of a finished run (all steps done; left when a job was killed between
    writing ``final.pt`` and removing it) is never continued into a new job either.
    """
    if state.get("spec") != spec:
        return f"checkpoint {path} was made with a different run spec than the one requested now."
    if state.get("init_digest") != init_digest:
        return (f"checkpoint {path} continued a different pretrained generator than "
                f"{spec['init']['path'] if spec.get('init') else 'none (random start)'} holds now.")
    if state.get("code_digest") != code:
        return (f"checkpoint {path} was made by other code (digest {str(state.get('code_digest'))[:12]}, now "
                f"{code[:12]}: a package file this job runs was edited since).")
    if state.get("step", 0) >= spec["steps"]:
        return f"checkpoint {path} is of a finished run (all {spec['steps']} steps done); a new job trains anew."
    return None


# Spec keys that must be positive integers (a negative step count would train nothing and
# still write final.pt) and positive numbers; train_spec copies them from optimize.
POSITIVE_INTS = ("steps", "batch_size", "patch_size", "log_every", "checkpoint_every")
POSITIVE_FLOATS = ("lr_g", "lr_d")


def check_spec(spec: dict) -> None:
    """Refuse a spec that cannot train as meant, naming the key, its value and the fix (:class:`ConfigError`)."""
    for key in POSITIVE_INTS:
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"train spec of run {spec.get('run', {}).get('name', '?')}: {key} = {value!r} must "
                              f"be a positive integer; fix optimize.{key} in the config")
    for key in POSITIVE_FLOATS:
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"train spec of run {spec.get('run', {}).get('name', '?')}: {key} = {value!r} must "
                              f"be a positive number; fix optimize.{key} in the config")
    scale = spec["generator"]["upscale"]
    if spec["patch_size"] % scale:
        raise ConfigError(f"patch_size {spec['patch_size']} must be a multiple of the upscale factor {scale}; "
                          "fix optimize.patch_size in the config")
    if spec["precision"] not in PRECISIONS:
        raise ConfigError(f"precision must be one of {sorted(PRECISIONS)}, got {spec['precision']!r}; "
                          "fix optimize.precision in the config")


def has_spectral_norm(module: torch.nn.Module) -> bool:
    """True if any layer of ``module`` uses ``torch.nn.utils.spectral_norm`` (a pre-forward hook)."""
    from torch.nn.utils.spectral_norm import SpectralNorm

    return any(isinstance(hook, SpectralNorm) for m in module.modules() for hook in m._forward_pre_hooks.values())


def maybe_compile(module, spec: dict):
    """``module`` wrapped in torch.compile when the spec asks for it and it is safe.

    Not a spectral-normalised discriminator: its power iteration updates the ``weight_u``
    buffers in place on every forward, and the discriminator step runs two forwards (real,
    fake) before one backward. Inductor's graphs save the buffer itself, so that backward
    fails ("modified by an inplace operation"; measured with torch 2.14 on the CPU, tiny
    PatchGAN). Such a discriminator runs eagerly; the generator, the larger network, is
    still compiled.
    """
    if not spec["compile"]:
        return module
    bare = module.module if isinstance(module, DistributedDataParallel) else module
    if has_spectral_norm(bare):
        return module
    return torch.compile(module, backend=COMPILE_BACKEND)


def train(spec: dict, train_dir: Path, out_dir: Path, progress: bool = True,
          stop_after: int | None = None, restart_stale: bool = False) -> Path | None:
    """Run (or continue) the training the spec describes; return the generator file.

    ``stop_after`` ends this invocation after that many steps with a checkpoint and
    returns None (a time-limited job's slice; also how the tests simulate a kill).
    ``restart_stale`` sets a checkpoint of another spec, pretrained start or code, or of
    a finished run, aside under a new name (``checkpoint.stale-<n>.pt``, never
    overwriting an earlier one) and trains afresh instead of refusing it.
    Under torchrun (``WORLD_SIZE`` > 1) every process calls this; see the module docstring.
    """
    preempt = Preemption()  # first, so a signal during set-up is not lost
    out_dir = Path(out_dir)
    ckpt_path, final_path = out_dir / "checkpoint.pt", out_dir / "final.pt"
    check_spec(spec)
    rank, world, device, owns_group = _start_distributed(spec)
    try:
        if spec["batch_size"] % world:
            raise ConfigError(f"batch_size {spec['batch_size']} is not divisible by the {world} processes; "
                              "each takes an equal share of every batch (optimize.batch_size, gpus_per_run)")
        if rank == 0:
            out_dir.mkdir(parents=True, exist_ok=True)
        final, status = _train(spec, Path(train_dir), out_dir, ckpt_path, final_path, progress, stop_after,
                               restart_stale, preempt, rank, world, device)
        if final is not None and rank == 0:
            write_run_record(out_dir, spec, status)  # "finished" or "diverged"
        return final
    finally:
        if owns_group:
            dist.destroy_process_group()


def _train(spec, train_dir, out_dir, ckpt_path, final_path, progress, stop_after, restart_stale, preempt,
           rank, world, device):
    run, scale = spec["run"], spec["generator"]["upscale"]
    local_batch = spec["batch_size"] // world
    part = slice(rank * local_batch, (rank + 1) * local_batch)
    amp_dtype = PRECISIONS[spec["precision"]]
    fmt = torch.channels_last if spec["channels_last"] else torch.contiguous_format

    def autocast(enabled: bool = True):
        if amp_dtype is None or not enabled:
            return nullcontext()
        return torch.autocast(device.type, dtype=amp_dtype)

    if world > 1 and rank == 0:
        print(f"{run['name']}: data parallel over {world} processes ({dist.get_backend()}), {local_batch} of "
              f"{spec['batch_size']} crops each", file=sys.stderr)
    # Every image is checked before the first step (decodable, big enough for a crop), naming the file.
    images = [to_tensor(img) for _, img in load_folder(train_dir, min_size=spec["patch_size"])]
    code = code_digest("asym.optimize.train_sr")  # the package files this job runs
    torch.manual_seed(run["seed"])
    crops = torch.Generator().manual_seed(run["seed"])  # same on every process (see _batch)
    gen_net = build_generator(spec["generator"])
    if spec["kernels"] == "fast":  # the config's kernels switch (asym.accel)
        if amp_dtype is not None:
            raise ConfigError(f"run {run['name']}: kernels: fast (hand-written float32 kernels) cannot run under "
                              f"precision {spec['precision']}; set kernels: reference in the config")
        use_fast_attention(gen_net)
    init_digest = _load_init(spec, gen_net)
    gen_net = gen_net.to(device, memory_format=fmt)
    loss_metric = build_metric(spec["loss"], device=str(device), kernels=spec["kernels"])
    loss_in_autocast = spec["loss"]["kind"] in AUTOCAST_LOSS_KINDS
    opt_g = torch.optim.Adam(gen_net.parameters(), lr=spec["lr_g"], betas=tuple(spec["betas"]), **ADAM_OPTIONS)
    sched_g = _scheduler(opt_g, spec["steps"])
    disc = opt_d = sched_d = None
    if spec["discriminator"] is not None:
        disc = build_discriminator(spec["discriminator"]).to(device, memory_format=fmt)
        opt_d = torch.optim.Adam(disc.parameters(), lr=spec["lr_d"], betas=tuple(spec["betas"]), **ADAM_OPTIONS)
        sched_d = _scheduler(opt_d, spec["steps"])

    step, log_rows, elapsed = 0, [], 0.0
    state = checkpoint.load(ckpt_path, CHECKPOINT_FORMAT) if ckpt_path.exists() else None
    if state is not None:
        stale = _stale_reason(state, spec, init_digest, code, ckpt_path)
        if stale and not restart_stale:
            raise checkpoint.CheckpointError(
                f"{stale} It was left untouched; delete it (or the run folder) to retrain with the new settings, "
                "or pass --restart-stale")
        if stale:
            if world > 1:
                dist.barrier()  # every process has read it before it moves
            if rank == 0:
                kept = checkpoint.set_aside(ckpt_path, "stale")
                why = (f"{run['name']}: training restarts from step 0: {stale} Its step-{state.get('step')} "
                       f"state was kept as {kept.name}.")
                print(why, file=sys.stderr)
                with open(out_dir / "restarts.log", "a") as log:  # survives the job log, which a rerun replaces
                    log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {why}\n")
            state = None
    if rank == 0:
        # What this run is, before any step; written only now, so a job refused above (a bad
        # image, a stale checkpoint) leaves the folder's record of the earlier job as it was.
        write_run_record(out_dir, spec, "running")
    if state is not None:
        gen_net.load_state_dict(state["generator"])
        opt_g.load_state_dict(state["opt_g"])
        sched_g.load_state_dict(state["sched_g"])
        if disc is not None:
            disc.load_state_dict(state["discriminator"])
            opt_d.load_state_dict(state["opt_d"])
            sched_d.load_state_dict(state["sched_d"])
        torch.set_rng_state(state["rng_torch"])
        if device.type == "cuda" and state.get("rng_cuda") is not None:
            torch.cuda.set_rng_state(state["rng_cuda"], device)
        crops.set_state(state["rng_crops"])
        step, log_rows, elapsed = state["step"], state["log"], state["seconds"]
        if rank == 0:   # in the job log: this job continued an interrupted one
            print(f"{run['name']}: resuming at step {step} of {spec['steps']} from {ckpt_path}", file=sys.stderr)

    # What the forward passes call: DDP wrappers synchronise gradients, compile wraps those.
    # The generator step calls the bare discriminator: its parameters are frozen there, and a
    # DDP wrapper would wait for gradients that never come.
    def ddp(module):
        # No buffer broadcast before each forward: spectral-norm vectors evolve identically on
        # every process, since they follow the (synchronised) weights.
        return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None,
                                       forward_sync_buffers=False)

    gen_fwd = maybe_compile(ddp(gen_net) if world > 1 else gen_net, spec)
    disc_g = disc_d = None
    if disc is not None:
        disc_g = maybe_compile(disc, spec)
        disc_d = maybe_compile(ddp(disc), spec) if world > 1 else disc_g

    def save_checkpoint():
        if rank != 0:
            return
        checkpoint.save(
            {
                "format": CHECKPOINT_FORMAT, "spec": spec, "step": step, "log": log_rows, "seconds": elapsed,
                "init_digest": init_digest, "code_digest": code,
                "generator": gen_net.state_dict(), "opt_g": opt_g.state_dict(), "sched_g": sched_g.state_dict(),
                "discriminator": disc.state_dict() if disc is not None else None,
                "opt_d": opt_d.state_dict() if disc is not None else None,
                "sched_d": sched_d.state_dict() if disc is not None else None,
                "rng_torch": torch.get_rng_state(), "rng_crops": crops.get_state(),
                "rng_cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            },
            ckpt_path,
        )

    gen_net.train()
    start_step = step
    start = snapshot(gen_net, disc, step)  # the weights to keep if the loss diverges before a checkpoint
    bar = tqdm(total=spec["steps"], initial=step, desc=run["name"], disable=not progress or rank != 0, leave=False)
    while step < spec["steps"]:
        t0 = time.perf_counter()
        hr = _batch(images, spec["patch_size"], spec["batch_size"], crops, part).to(device, memory_format=fmt)
        lr_img = bicubic_downsample(hr, scale).contiguous(memory_format=fmt)
        with autocast():
            sr = gen_fwd(lr_img)

        # Generator update: the discriminator only provides gradients here.
        with autocast(loss_in_autocast):
            loss_fid = loss_metric.loss(sr if loss_in_autocast else sr.float(), hr).float()
        loss_gan = torch.zeros((), device=device)
        if disc is not None:
            disc.requires_grad_(False)
            with autocast():
                # Relativistic objectives compare fakes with reals in the generator loss too.
                real_g = disc_g(hr).detach() if needs_real_logits(run["objective"]) else None
                fake_g = disc_g(sr)
            loss_gan = generator_loss(fake_g.float(), run["objective"],
                                      real_logits=real_g.float() if real_g is not None else None)
        loss_total = loss_fid + run["gan_weight"] * loss_gan
        opt_g.zero_grad(set_to_none=True)
        loss_total.backward()
        grad_g = _grad_norm(gen_net.parameters())
        opt_g.step()
        sched_g.step()

        loss_d, acc, grad_d = math.nan, (math.nan, math.nan), math.nan
        if disc is not None:
            disc.requires_grad_(True)
            with autocast():
                real_logits, fake_logits = disc_d(hr), disc_d(sr.detach())
            real_logits, fake_logits = real_logits.float(), fake_logits.float()
            d_loss = discriminator_loss(real_logits, fake_logits, run["objective"])
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            grad_d = _grad_norm(disc.parameters())
            opt_d.step()
            sched_d.step()
            loss_d, acc = d_loss.item(), accuracy(real_logits, fake_logits)

        step += 1
        elapsed += time.perf_counter() - t0
        # One all-reduce per step: the logged numbers become the global batch's, and every
        # process sees the same loss and pre-emption flag, so all stop at the same step.
        total, fid, gan, loss_d, acc_real, acc_fake, stop = _mean_across(
            [loss_total.item(), loss_fid.item(), loss_gan.item(), loss_d, acc[0], acc[1], float(preempt.requested)],
            world, device)
        preempted = stop > 0
        lost = diverged(total, loss_d if disc is not None else None)
        if step % spec["log_every"] == 0 or step == spec["steps"] or lost:  # the diverging step is logged
            log_rows.append({
                "step": step, "loss_total": total, "loss_fidelity": fid,
                "loss_gan": gan if disc is not None else math.nan, "loss_d": loss_d,
                "d_real_acc": acc_real, "d_fake_acc": acc_fake, "grad_norm_g": grad_g, "grad_norm_d": grad_d,
                "lr": opt_g.param_groups[0]["lr"], "seconds": elapsed,
            })
        bar.update(1)
        if lost:
            bar.close()
            return _keep_last_good(spec, out_dir, ckpt_path, final_path, log_rows, start, step, rank, world)
        sliced = stop_after is not None and step - start_step >= stop_after
        if step % spec["checkpoint_every"] == 0 or step == spec["steps"] or preempted or sliced:
            save_checkpoint()
        if (sliced or preempted) and step < spec["steps"]:
            bar.close()
            if world > 1:
                dist.barrier()  # nobody exits (and makes torchrun stop the rest) before rank 0 has saved
            if sliced:
                return None, "running"
            if rank == 0:
                print(f"{run['name']}: pre-empted at step {step}; checkpoint saved to {ckpt_path}", file=sys.stderr)
            sys.exit(PREEMPT_EXIT_CODE)
    bar.close()

    if rank == 0:
        write_csv(pd.DataFrame(log_rows, columns=LOG_COLUMNS), out_dir / "train_log.csv")
        checkpoint.save({"format": FINAL_FORMAT, "spec": spec, "step": step, "params": gen_net.state_dict(),
                         "discriminator": disc.state_dict() if disc is not None else None}, final_path)
        # final.pt now holds the finished weights; a checkpoint left behind would let a later
        # job "resume" a finished run instead of training (see _stale_reason).
        ckpt_path.unlink(missing_ok=True)
    if world > 1:
        dist.barrier()
    return final_path, "finished"


def _keep_last_good(spec, out_dir, ckpt_path, final_path, log_rows, start, step, rank, world):
    """A diverged run: its log (with the diverging step), the last good weights as final.pt
    (:func:`asym.optimize.divergence.last_good_state`, ``diverged_at`` the step), no checkpoint."""
    if rank == 0:
        good = last_good_state(ckpt_path, start, CHECKPOINT_FORMAT)
        print(f"{spec['run']['name']}: loss not finite at step {step}; keeping the weights of step "
              f"{good['step']} as {final_path} and marking the run diverged", file=sys.stderr)
        write_csv(pd.DataFrame(log_rows, columns=LOG_COLUMNS), out_dir / "train_log.csv")
        checkpoint.save({"format": FINAL_FORMAT, "spec": spec, "step": good["step"], "params": good["generator"],
                         "discriminator": good["discriminator"], "diverged_at": step}, final_path)
        ckpt_path.unlink(missing_ok=True)
    if world > 1:
        dist.barrier()
    return final_path, "diverged"


def import_official(spec: dict, out_dir: Path) -> Path:
    """Write a published generator checkpoint (spec ``official``, ``key``) as this module's ``final.pt``."""
    net = build_generator(spec["generator"])
    load_official(net, spec["official"], key=spec.get("key"))
    final_path = Path(out_dir) / "final.pt"
    final_path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.save({"format": FINAL_FORMAT, "spec": spec, "step": 0, "params": net.state_dict(),
                     "discriminator": None}, final_path)
    write_run_record(final_path.parent, spec, "finished")
    return final_path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True,
                        help="run spec as JSON (asym.config.train_spec, or pretrain_spec for rule pretrain_sr)")
    parser.add_argument("--train-dir", type=Path, help="folder of HR training images (not for an 'official' spec)")
    parser.add_argument("--out", required=True, type=Path, help="run folder")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (per process under torchrun)")
    parser.add_argument("--restart-stale", action="store_true",
                        help="set a checkpoint of another spec, pretrained start or code, or of a finished run, "
                             "aside (checkpoint.stale-<n>.pt) and train afresh")
    parser.add_argument("--stop-after", type=int, help="stop (with a checkpoint) after this many steps")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        spec = json.loads(args.spec)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--spec is not valid JSON ({exc}); print a run's spec with "
                          "`asym spec --config CONFIG --run RUN`") from None
    if "official" in spec:
        import_official(spec, args.out)
        return
    if args.train_dir is None:
        parser.error("--train-dir is required to train")
    train(spec, args.train_dir, args.out, progress=not args.no_progress, stop_after=args.stop_after,
          restart_stale=args.restart_stale)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
