"""SR training: it learns, resumes bit-identically, survives signals, rejects bad checkpoints,
starts from the pretrained generator of its seed, and honours the GPU switches.

    python -m pytest -q tests/optimize/test_train_sr.py     # data-parallel training: tests/optimize/test_train_ddp.py
"""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch
from torch._dynamo.utils import counters

from asym import checkpoint
from asym.config import (
    ConfigError,
    generator_tag,
    merge,
    pretrain_file,
    pretrain_spec,
    run_by_name,
    runs,
    train_spec,
    validate,
)
from asym.nets.generators import build_generator
from asym.optimize import train_sr
from asym.optimize.final import load_generator
from asym.optimize.train_sr import (
    CHECKPOINT_FORMAT,
    LOG_COLUMNS,
    PREEMPT_EXIT_CODE,
    import_official,
    train,
)


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
    # the run record: its spec, the design's traits, finished
    record = json.loads((out / "run.json").read_text())
    assert record["run"] == "l1__patchgan-w0.1__s0" and record["spec"] == spec and record["status"] == "finished"
    assert record["traits"]["level"] == "patch" and record["traits"]["family"] == "conv"
    assert record["traits"]["gan_weight"] == 0.1 and record["traits"]["adversarial"] is True
    assert len(record["code_digest"]) == 64


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


def test_resumed_run_equals_uninterrupted_run(tiny_cfg, tiny_workdir, tmp_path, capsys):
    spec = _spec(tiny_cfg, steps=6, checkpoint_every=100)
    data = _train_dir(tiny_workdir, tiny_cfg)
    train(spec, data, tmp_path / "full", progress=False)
    # Interrupted after step 3 (checkpoint written there), then continued.
    assert train(spec, data, tmp_path / "part", progress=False, stop_after=3) is None
    assert not (tmp_path / "part" / "final.pt").exists()
    assert json.loads((tmp_path / "part" / "run.json").read_text())["status"] == "running"
    assert checkpoint.load(tmp_path / "part" / "checkpoint.pt", CHECKPOINT_FORMAT)["step"] == 3
    train(spec, data, tmp_path / "part", progress=False)
    assert "resuming at step 3 of 6" in capsys.readouterr().err   # the job log says it continued
    _assert_same_result(tmp_path / "full", tmp_path / "part")


def _command(spec, data, out):
    return [sys.executable, "-m", "asym.optimize.train_sr", "--spec", json.dumps(spec), "--train-dir", str(data),
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
    spec = _spec(tiny_cfg, steps=4, checkpoint_every=2)
    out = tmp_path / "run"
    assert train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False, stop_after=2) is None
    path = out / "checkpoint.pt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    truncated = path.read_bytes()
    with pytest.raises(checkpoint.CheckpointError, match="truncated"):
        train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    assert path.read_bytes() == truncated


def test_foreign_checkpoint_and_other_spec_are_rejected(tiny_cfg, tiny_workdir, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    torch.save({"state_dict": {}}, out / "checkpoint.pt")
    spec = _spec(tiny_cfg, steps=2)
    with pytest.raises(checkpoint.CheckpointError, match="format"):
        train(spec, _train_dir(tiny_workdir, tiny_cfg), out, progress=False)
    (out / "checkpoint.pt").unlink()
    train(dict(spec, steps=3), _train_dir(tiny_workdir, tiny_cfg), out, progress=False, stop_after=1)
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


# ---------------------------------------------------------------- pretrained start (optimize.pretrain)

PRETRAIN = {"steps": 3, "loss": "l1", "lr": 1.0e-3}


def _with_pretrain(cfg, tmp_path, pretrain=PRETRAIN, **optimize):
    return merge(cfg, {"results": str(tmp_path / "results"), "optimize": {"pretrain": pretrain, **optimize}})


def test_pretrain_file_per_generator_setting_and_seed(tiny_cfg, tmp_path):
    cfg = validate(_with_pretrain(tiny_cfg, tmp_path))
    spec = train_spec(cfg, run_by_name(cfg, "ssim__patchgan-w0.1__s0"))
    assert spec["init"] == {"path": pretrain_file(cfg, 0), "pretrain": PRETRAIN}
    assert pretrain_file(cfg, 0).endswith(f"/optimize/pretrain/{generator_tag(cfg)}__s0/final.pt")
    assert pretrain_file(cfg, 0) != pretrain_file(cfg, 1)
    # same generator settings, same file; other settings, another one
    assert generator_tag(merge(cfg, {"optimize": {"steps": 9}})) == generator_tag(cfg)
    assert generator_tag(merge(cfg, {"optimize": {"generator": {"embed_dim": 24}}})) != generator_tag(cfg)
    pre = pretrain_spec(cfg, 0)
    assert pre["loss"]["kind"] == "l1" and pre["steps"] == 3 and pre["lr_g"] == 1.0e-3
    assert pre["discriminator"] is None and pre["init"] is None and pre["run"]["seed"] == 0
    # changing the pretraining changes every run's spec (Snakemake reruns them all) ...
    other = validate(merge(cfg, {"optimize": {"pretrain": {"steps": 4}}}))
    assert all(train_spec(other, r) != train_spec(cfg, r) for r in runs(cfg))
    # ... changing one loss only its own runs'
    changed = validate(merge(cfg, {"metrics": {"ssim": {"best": 2.0}}}))
    differ = {r.fidelity for r in runs(cfg) if train_spec(changed, r) != train_spec(cfg, r)}
    assert differ == {"ssim"} and pretrain_spec(changed, 0) == pre


@pytest.mark.parametrize("pretrain, message", [
    ({"steps": 3, "loss": "l1"}, r"optimize\.pretrain: give either 'official'.*missing \['lr'\]"),
    ({"official": "w.pth", "steps": 3}, r"optimize\.pretrain: 'official' imports a published checkpoint; drop \['steps'\]"),
    ({"steps": 3, "loss": "no_such", "lr": 0.1}, r"optimize\.pretrain\.loss: metric 'no_such' is not defined"),
    ({"steps": 3, "loss": "l1", "lr": 0.1, "optimizer": "sgd"}, r"optimize\.pretrain: Additional properties"),
])
def test_bad_pretrain_block_is_reported_with_its_key(tiny_cfg, tmp_path, pretrain, message):
    cfg = _with_pretrain(tiny_cfg, tmp_path)
    cfg["optimize"]["pretrain"] = pretrain
    with pytest.raises(ConfigError, match=message):
        validate(cfg)


def _params(path, part="params"):
    return torch.load(path, weights_only=True)[part]


def test_runs_start_from_the_pretrained_generator_of_their_seed(tiny_cfg, tiny_workdir, tmp_path):
    cfg = _with_pretrain(tiny_cfg, tmp_path)
    data = _train_dir(tiny_workdir, cfg)
    pre = pretrain_spec(cfg, 0)
    init = train(pre, data, tmp_path / "results" / "optimize" / "pretrain" / pretrain_file(cfg, 0).split("/")[-2],
                 progress=False)
    assert str(init) == pretrain_file(cfg, 0)
    assert pd.read_csv(init.parent / "train_log.csv")["loss_d"].isna().all()  # no discriminator in pretraining
    # a learning rate of ~0 keeps the run where it started: at the pretrained weights
    spec = merge(train_spec(cfg, run_by_name(cfg, "ssim__nogan__s0")), {"steps": 1, "lr_g": 1e-12})
    train(spec, data, tmp_path / "run", progress=False)
    start, end = _params(init), _params(tmp_path / "run" / "final.pt")
    assert all(torch.allclose(end[k], start[k], atol=1e-6) for k in start)
    scratch = merge(spec, {"init": None})
    train(scratch, data, tmp_path / "scratch", progress=False)
    assert not all(torch.allclose(_params(tmp_path / "scratch" / "final.pt")[k], start[k]) for k in start)


def test_missing_or_mismatched_pretrained_generator_is_reported(tiny_cfg, tiny_workdir, tmp_path):
    cfg = _with_pretrain(tiny_cfg, tmp_path)
    data = _train_dir(tiny_workdir, cfg)
    spec = merge(train_spec(cfg, run_by_name(cfg, "l1__nogan__s0")), {"steps": 1})
    with pytest.raises(train_sr.InputError, match="pretrain_sr"):  # names the file and the rule that makes it
        train(spec, data, tmp_path / "run", progress=False)
    other = merge(pretrain_spec(cfg, 0), {"generator": {"embed_dim": 8}, "steps": 1})
    path = train(other, data, tmp_path / "other", progress=False)
    with pytest.raises(checkpoint.CheckpointError, match="generator with other settings"):
        train(merge(spec, {"init": {"path": str(path)}}), data, tmp_path / "run", progress=False)


def test_official_checkpoint_becomes_the_pretrained_generator(tiny_cfg, tmp_path):
    published = build_generator(tiny_cfg["optimize"]["generator"])
    torch.save({"params": published.state_dict()}, tmp_path / "SwinIR_x4.pth")  # a SwinIR release's layout
    cfg = _with_pretrain(tiny_cfg, tmp_path, pretrain={"official": str(tmp_path / "SwinIR_x4.pth")})
    spec = pretrain_spec(cfg, 1)
    assert spec["official"] == str(tmp_path / "SwinIR_x4.pth") and spec["run"]["seed"] == 1
    done = subprocess.run([sys.executable, "-m", "asym.optimize.train_sr", "--spec", json.dumps(spec), "--out",
                           str(tmp_path / "pre")], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    net, saved = load_generator(tmp_path / "pre" / "final.pt")
    assert saved == spec
    assert all(torch.equal(v, published.state_dict()[k]) for k, v in net.state_dict().items())
    spec["official"] = str(tmp_path / "absent.pth")
    with pytest.raises(FileNotFoundError, match="absent.pth"):
        import_official(spec, tmp_path / "pre2")


def test_checkpoint_of_other_settings_or_other_start_is_refused_or_restarted(tiny_cfg, tiny_workdir, tmp_path):
    cfg = _with_pretrain(tiny_cfg, tmp_path)
    data = _train_dir(tiny_workdir, cfg)
    init = tmp_path / "init"
    spec = merge(train_spec(cfg, run_by_name(cfg, "l1__nogan__s0")), {"steps": 4, "init": {"path": str(init / "final.pt")}})
    train(merge(pretrain_spec(cfg, 0), {"steps": 1}), data, init, progress=False)
    out = tmp_path / "run"
    assert train(spec, data, out, progress=False, stop_after=2) is None
    # the pretraining was redone (other weights, same path): the checkpoint continued another start
    train(merge(pretrain_spec(cfg, 0), {"steps": 2}), data, tmp_path / "init2", progress=False)
    (tmp_path / "init2" / "final.pt").replace(init / "final.pt")
    with pytest.raises(checkpoint.CheckpointError, match="different pretrained generator"):
        train(spec, data, out, progress=False)
    # what the workflow does (--restart-stale): move it aside and train afresh
    train(spec, data, out, progress=False, restart_stale=True)
    assert checkpoint.load(out / "checkpoint.stale-1.pt", CHECKPOINT_FORMAT)["step"] == 2
    assert "different pretrained generator" in (out / "restarts.log").read_text()
    assert not (out / "checkpoint.pt").exists()  # removed once final.pt holds the finished run
    assert pd.read_csv(out / "train_log.csv")["step"].tolist() == [1, 2, 3, 4]
    fresh = tmp_path / "fresh"
    train(spec, data, fresh, progress=False)
    _assert_same_result(fresh, out)
    # another spec is stale too; a second checkpoint set aside gets a new name
    assert train(spec, data, out, progress=False, stop_after=1) is None
    with pytest.raises(checkpoint.CheckpointError, match="different run spec"):
        train(dict(spec, lr_g=0.5), data, out, progress=False)
    train(dict(spec, lr_g=0.5), data, out, progress=False, restart_stale=True)
    assert checkpoint.load(out / "checkpoint.stale-1.pt", CHECKPOINT_FORMAT)["step"] == 2
    assert checkpoint.load(out / "checkpoint.stale-2.pt", CHECKPOINT_FORMAT)["step"] == 1
    assert load_generator(out / "final.pt")[1]["lr_g"] == 0.5


# ---------------------------------------------------------------- GPU switches

def test_bf16_channels_last_run_is_finite_and_reaches_the_models(tiny_cfg, tiny_workdir, tmp_path):
    data = _train_dir(tiny_workdir, tiny_cfg)
    spec = _spec(tiny_cfg, steps=4)
    assert (spec["precision"], spec["channels_last"], spec["compile"]) == ("fp32", False, False)  # defaults
    train(spec, data, tmp_path / "fp32", progress=False)
    fast = dict(spec, precision="bf16", channels_last=True, kernels="reference")
    with pytest.raises(ConfigError, match="kernels: reference"):  # the hand-written kernels are float32 only
        train(dict(fast, kernels="fast"), data, tmp_path / "refused", progress=False)
    train(fast, data, tmp_path / "bf16", progress=False)
    log = pd.read_csv(tmp_path / "bf16" / "train_log.csv")
    losses = log[["loss_total", "loss_fidelity", "loss_gan", "loss_d", "grad_norm_g", "grad_norm_d"]]
    assert losses.notna().all().all() and losses.abs().lt(float("inf")).all().all()
    params = _params(tmp_path / "bf16" / "final.pt")
    disc = _params(tmp_path / "bf16" / "final.pt", "discriminator")
    # conv weights were trained in NHWC layout (torch.save keeps the strides) ...
    assert params["conv_first.weight"].is_contiguous(memory_format=torch.channels_last)
    assert not params["conv_first.weight"].is_contiguous()
    assert disc["model.0.weight_orig"].is_contiguous(memory_format=torch.channels_last)
    assert _params(tmp_path / "fp32" / "final.pt")["conv_first.weight"].is_contiguous()
    # ... saved as float32, and bfloat16 arithmetic made them differ from the float32 run
    assert all(v.dtype == torch.float32 for v in params.values() if v.is_floating_point())
    ref = _params(tmp_path / "fp32" / "final.pt")
    assert any(not torch.allclose(params[k], ref[k], atol=1e-6) for k in ref)
    net, _ = load_generator(tmp_path / "bf16" / "final.pt")
    assert torch.isfinite(net(torch.rand(1, 3, 8, 8))).all()


def test_spectral_norm_discriminators_stay_eager_under_compile():
    """Inductor cannot run a spectral-normalised discriminator's two forwards before one backward
    (its in-place power iteration; see asym.optimize.train_sr.maybe_compile), so those are not compiled."""
    from asym.nets.discriminators import build_discriminator

    spec = {"compile": True}
    with_sn = build_discriminator({"name": "patchgan", "ndf": 8, "n_layers": 2, "norm": "none", "spectral_norm": True})
    without = build_discriminator({"name": "patchgan", "ndf": 8, "n_layers": 2, "norm": "none", "spectral_norm": False})
    assert train_sr.has_spectral_norm(with_sn) and not train_sr.has_spectral_norm(without)
    assert train_sr.maybe_compile(with_sn, spec) is with_sn
    assert train_sr.maybe_compile(without, spec) is not without
    assert train_sr.maybe_compile(without, {"compile": False}) is without


# Dynamo itself probes ``.grad`` of the non-leaf SR image it traces the discriminator on
# (torch._dynamo.variables.builder.safe_has_grad); under ``-W error`` that internal warning
# would abort tracing.
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf Tensor:UserWarning")
def test_compile_switch_compiles_generator_and_discriminator(tiny_cfg, tiny_workdir, tmp_path, monkeypatch):
    """torch.compile with the "eager" backend: Dynamo traces the real models, no C++ build
    (inductor on the CPU here takes about a minute to compile even the tiny models)."""
    monkeypatch.setattr(train_sr, "COMPILE_BACKEND", "eager")
    data = _train_dir(tiny_workdir, tiny_cfg)
    spec = _spec(tiny_cfg, steps=3)
    # Without spectral norm, so that the discriminator is compiled too (see the test above).
    spec["discriminator"] = {**spec["discriminator"], "spectral_norm": False}
    train(spec, data, tmp_path / "plain", progress=False)
    torch._dynamo.reset()
    counters.clear()
    train(dict(spec, compile=True), data, tmp_path / "compiled", progress=False)
    assert counters["stats"]["unique_graphs"] >= 2  # generator and discriminator (and their backward)
    assert counters["frames"]["ok"] >= 2
    for part in ("params", "discriminator"):
        plain, compiled = _params(tmp_path / "plain" / "final.pt", part), _params(tmp_path / "compiled" / "final.pt", part)
        assert compiled.keys() == plain.keys()  # saved from the bare modules: no "_orig_mod." prefix
        assert all(torch.allclose(compiled[k], plain[k], atol=1e-5) for k in plain)


class _LossTurnsNaN:
    """The run's real loss metric, whose loss becomes NaN from the ``at``-th call on (one call per step)."""

    def __init__(self, metric, at):
        self.metric, self.at, self.calls = metric, at, 0

    def __getattr__(self, name):
        return getattr(self.metric, name)

    def loss(self, sr, hr):
        self.calls += 1
        value = self.metric.loss(sr, hr)
        return value * float("nan") if self.calls >= self.at else value


def _diverging(monkeypatch, at):
    real = train_sr.build_metric
    monkeypatch.setattr(train_sr, "build_metric", lambda *a, **k: _LossTurnsNaN(real(*a, **k), at))


@pytest.mark.parametrize("at, kept", [(5, 4), (2, 0)])  # after the step-4 checkpoint; before any checkpoint
def test_diverging_run_keeps_its_log_and_last_good_weights_and_is_flagged(
        tiny_cfg, tiny_workdir, tmp_path, monkeypatch, at, kept):
    spec = _spec(tiny_cfg, steps=6, checkpoint_every=2, log_every=2)
    data = _train_dir(tiny_workdir, tiny_cfg)
    # the same run cut after `kept` steps: its weights are what the diverged run must keep
    reference = tmp_path / "reference"
    if kept:
        assert train(spec, data, reference, progress=False, stop_after=kept) is None
        expected = checkpoint.load(reference / "checkpoint.pt", CHECKPOINT_FORMAT)["generator"]
    else:
        expected = None
    _diverging(monkeypatch, at)
    out = tmp_path / "run"
    assert train(spec, data, out, progress=False) == out / "final.pt"  # no exception: the run is counted
    log = pd.read_csv(out / "train_log.csv")
    assert log["step"].iloc[-1] == at and not math.isfinite(log["loss_total"].iloc[-1])
    assert log["loss_total"].iloc[:-1].map(math.isfinite).all()
    assert json.loads((out / "run.json").read_text())["status"] == "diverged"
    assert not (out / "checkpoint.pt").exists()
    saved = checkpoint.load(out / "final.pt", train_sr.FINAL_FORMAT)
    assert saved["step"] == kept and saved["diverged_at"] == at and saved["discriminator"] is not None
    assert all(torch.isfinite(v).all() for v in saved["params"].values() if v.is_floating_point())
    if expected is not None:
        assert all(torch.equal(saved["params"][k], expected[k]) for k in expected)
    else:  # no checkpoint yet: the weights it started from
        torch.manual_seed(spec["run"]["seed"])
        start = build_generator(spec["generator"]).state_dict()
        assert all(torch.equal(saved["params"][k], start[k]) for k in start)
    net, _ = load_generator(out / "final.pt")  # evaluation can score it
    assert torch.isfinite(net(torch.rand(1, 3, 8, 8))).all()
