"""SR training: it learns, resumes bit-identically, survives signals, rejects bad checkpoints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch

from asym import checkpoint
from asym.config import merge, run_by_name, train_spec
from asym.train_sr import CHECKPOINT_FORMAT, LOG_COLUMNS, PREEMPT_EXIT_CODE, load_generator, train


def _spec(cfg, run="l1__patchgan-w0.1__s0", **changes):
    return merge(train_spec(cfg, run_by_name(cfg, run)), changes)


def _train_dir(tiny_workdir, cfg):
    return tiny_workdir / cfg["data"]["sr_train"]


def test_training_writes_generator_log_and_checkpoint(tiny_cfg, tiny_workdir, tmp_path):
    out = tmp_path / "run"
    spec = _spec(tiny_cfg)
    train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    log = pd.read_csv(out / "train_log.csv")
    assert list(log.columns) == LOG_COLUMNS
    assert log["step"].tolist() == list(range(1, spec["steps"] + 1))
    assert log["loss_d"].notna().all() and log["grad_norm_d"].gt(0).all()
    net, saved = load_generator(out / "final.pt")
    assert saved == spec
    lr = torch.rand(1, 3, 8, 8)
    assert net(lr).shape == (1, 3, 32, 32)


def test_l1_training_reduces_the_loss(tiny_cfg, tiny_workdir, tmp_path):
    spec = _spec(tiny_cfg, "l1__nogan__s0", steps=40, log_every=10, checkpoint_every=40, lr_g=2e-3)
    train(spec, _train_dir(tiny_workdir, tiny_cfg), tmp_path / "run", progress=False)
    log = pd.read_csv(tmp_path / "run" / "train_log.csv")
    assert log["loss_d"].isna().all()
    assert log["loss_fidelity"].iloc[-1] < log["loss_fidelity"].iloc[0]


def _assert_same_result(a, b):
    full = torch.load(a / "final.pt", weights_only=True)["params"]
    part = torch.load(b / "final.pt", weights_only=True)["params"]
    assert full.keys() == part.keys()
    assert all(torch.equal(full[k], part[k]) for k in full)
    log_a = pd.read_csv(a / "train_log.csv").drop(columns="seconds")
    log_b = pd.read_csv(b / "train_log.csv").drop(columns="seconds")
    pd.testing.assert_frame_equal(log_a, log_b)


def test_resumed_run_equals_uninterrupted_run(tiny_cfg, tiny_workdir, tmp_path):
    spec = _spec(tiny_cfg, steps=6, checkpoint_every=100)
    data = _train_dir(tiny_workdir, tiny_cfg)
    train(spec, data, tmp_path / "full", progress=False)
    # Interrupted after step 3 (checkpoint written there), then continued.
    assert train(spec, data, tmp_path / "part", progress=False, stop_after=3) is None
    assert not (tmp_path / "part" / "final.pt").exists()
    assert checkpoint.load(tmp_path / "part" / "checkpoint.pt", CHECKPOINT_FORMAT)["step"] == 3
    train(spec, data, tmp_path / "part", progress=False)
    _assert_same_result(tmp_path / "full", tmp_path / "part")


def _command(spec, data, out):
    return [sys.executable, "-m", "asym.train_sr", "--spec", json.dumps(spec), "--train-dir", str(data),
            "--out", str(out), "--no-progress"]


def _wait_for(path, timeout=90):
    deadline = time.time() + timeout
    while not path.exists():
        assert time.time() < deadline, f"{path} did not appear"
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_at_any_point_then_rerun_equals_uninterrupted(tiny_cfg, tiny_workdir, tmp_path):
    spec = _spec(tiny_cfg, steps=60, checkpoint_every=5, log_every=5)
    data = _train_dir(tiny_workdir, tiny_cfg)
    train(spec, data, tmp_path / "full", progress=False)
    out = tmp_path / "killed"
    proc = subprocess.Popen(_command(spec, data, out), stderr=subprocess.DEVNULL)
    _wait_for(out / "checkpoint.pt")
    proc.kill()  # SIGKILL: no handler runs
    proc.wait()
    assert not (out / "final.pt").exists()
    train(spec, data, out, progress=False)
    _assert_same_result(tmp_path / "full", out)


def test_truncated_checkpoint_is_reported_and_left_untouched(tiny_cfg, tiny_workdir, tmp_path):
    spec = _spec(tiny_cfg, steps=2, checkpoint_every=2)
    out = tmp_path / "run"
    train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    path = out / "checkpoint.pt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    truncated = path.read_bytes()
    with pytest.raises(checkpoint.CheckpointError, match="truncated"):
        train(dict(spec, steps=4), _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    assert path.read_bytes() == truncated


def test_foreign_checkpoint_and_other_spec_are_rejected(tiny_cfg, tiny_workdir, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"state_dict": {}}, out / "checkpoint.pt")
    spec = _spec(tiny_cfg, steps=2)
    with pytest.raises(checkpoint.CheckpointError, match="format"):
        train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    (out / "checkpoint.pt").unlink()
    train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    with pytest.raises(checkpoint.CheckpointError, match="different run spec"):
        train(dict(spec, lr_g=0.5), _train_dir(tiny_workdir, tiny_cfg), out, progress=False)


def test_patch_size_must_be_multiple_of_scale(tiny_cfg, tiny_workdir, tmp_path):
    with pytest.raises(ValueError, match="multiple"):
        train(_spec(tiny_cfg, patch_size=30), _train_dir(tiny_workdir, tiny_cfg), tmp_path, progress=False)


def test_sigterm_checkpoints_and_exits_then_resumes(tiny_cfg, tiny_workdir, tmp_path):
    """SLURM pre-emption: SIGTERM -> checkpoint at the step boundary, exit 143; a rerun finishes."""
    spec = _spec(tiny_cfg, "l1__nogan__s0", steps=100000, checkpoint_every=100000, log_every=1000)
    out = tmp_path / "run"
    cmd = _command(spec, _train_dir(tiny_workdir, tiny_cfg), out)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    _wait_for(out)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == PREEMPT_EXIT_CODE, err
    state = checkpoint.load(out / "checkpoint.pt", CHECKPOINT_FORMAT, expected_spec=spec)
    assert state["step"] > 0
    assert not (out / "final.pt").exists()
