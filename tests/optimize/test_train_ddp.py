"""Data-parallel SR training: 2 processes on slices of each batch = 1 process on the whole batch.

    python -m pytest -q tests/optimize/test_train_ddp.py          # the torchrun test is marked slow

The torchrun test runs on the CPU (gloo): a GAN run is started by one process and
stopped after 3 steps (a checkpoint), then continued by ``torchrun --nproc_per_node 2 -m
asym.optimize.train_sr`` (both ranks resume from the checkpoint, each takes half of every batch, rank
0 alone writes), and must end with the weights and log of an uninterrupted single-process
run, to float tolerance (the gradients are averaged in another order).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from asym.config import (
    ConfigError,
    load_config,
    merge,
    run_by_name,
    train_spec,
    validate,
)
from asym.nets.discriminators import build_discriminator
from asym.nets.generators import build_generator
from asym.optimize.train_sr import _batch, train
from tests.conftest import REPO


def _train_dir(tiny_workdir, cfg):
    return tiny_workdir / cfg["data"]["sr_train"]


def test_process_parts_of_a_batch_make_up_the_whole_batch():
    images = [torch.rand(3, 40, 50) for _ in range(3)]
    whole = _batch(images, 16, 4, torch.Generator().manual_seed(5))
    parts = [_batch(images, 16, 4, torch.Generator().manual_seed(5), slice(r * 2, r * 2 + 2)) for r in range(2)]
    assert torch.equal(torch.cat(parts), whole)
    # the crop generator ends in the same state whatever the part: every process stays in step
    gens = [torch.Generator().manual_seed(5) for _ in range(2)]
    _batch(images, 16, 4, gens[0])
    _batch(images, 16, 4, gens[1], slice(2, 4))
    assert torch.equal(gens[0].get_state(), gens[1].get_state())


def _every_trainable_parameter_gets_a_gradient(net, x):
    net.train()
    out = net(x)
    out.float().mean().backward()
    return sorted(n for n, p in net.named_parameters() if p.requires_grad and p.grad is None)


@pytest.mark.parametrize("config", ["demo", "paper"])
def test_every_trainable_parameter_is_used(config):
    """DistributedDataParallel runs with find_unused_parameters=False: a parameter without a
    gradient would hang or fail a multi-GPU run, so every design must use all of its own."""
    cfg = load_config(REPO / "workflow" / "config" / f"{config}.yaml")
    opt = cfg["optimize"]
    if config == "demo":
        gen = build_generator(opt["generator"])
        assert _every_trainable_parameter_gets_a_gradient(gen, torch.rand(1, 3, 16, 16)) == []
    for name, spec in opt["discriminators"].items():
        # pinned ImageNet weights are not on this machine; the structure is the same at random init
        spec = {**spec, "init": "random"} if spec.get("init") == "imagenet" else spec
        spec = {k: v for k, v in spec.items() if k != "weights"}
        disc = build_discriminator(spec)
        size = spec.get("img_size", 64)
        assert _every_trainable_parameter_gets_a_gradient(disc, torch.rand(2, 3, size, size)) == [], name


def test_batch_must_split_evenly_between_processes(tiny_cfg):
    bad = merge(tiny_cfg, {"optimize": {"gpus_per_run": 3}})
    with pytest.raises(ConfigError, match=r"optimize\.batch_size: 2 is not divisible by optimize\.gpus_per_run"):
        validate(bad)


@pytest.mark.slow
@pytest.mark.integration
def test_two_processes_on_batch_halves_equal_one_process(tiny_cfg, tiny_workdir, tmp_path):
    spec = merge(train_spec(tiny_cfg, run_by_name(tiny_cfg, "l1__patchgan-w0.1__s0")),
                 {"steps": 6, "batch_size": 4, "checkpoint_every": 100, "log_every": 1})
    data = _train_dir(tiny_workdir, tiny_cfg)
    train(spec, data, tmp_path / "one", progress=False)
    out = tmp_path / "two"
    assert train(spec, data, out, progress=False, stop_after=3) is None
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "asym.optimize.train_sr", "--spec", json.dumps(spec), "--train-dir", str(data), "--out", str(out),
           "--no-progress"]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=240, env=env, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    one = torch.load(tmp_path / "one" / "final.pt", weights_only=True)
    two = torch.load(out / "final.pt", weights_only=True)
    assert two["spec"] == spec and two["step"] == 6
    for part in ("params", "discriminator"):
        assert one[part].keys() == two[part].keys()  # saved from the bare modules: no "module." prefix
        for key in one[part]:
            torch.testing.assert_close(two[part][key], one[part][key], rtol=1e-4, atol=1e-5, msg=f"{part}.{key}")
    # it really was split: two processes of a gloo group, two crops each
    assert "data parallel over 2 processes (gloo), 2 of 4 crops each" in done.stderr, done.stderr[-2000:]
    log_one = pd.read_csv(tmp_path / "one" / "train_log.csv").drop(columns="seconds")
    log_two = pd.read_csv(out / "train_log.csv").drop(columns="seconds")
    # steps 4-6 were logged from both ranks' losses averaged: the whole batch's
    pd.testing.assert_frame_equal(log_two, log_one, rtol=1e-4, atol=1e-5)
