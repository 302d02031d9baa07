"""Nothing stale, nothing lost: a job never continues weights of other code or of a finished
run, and whatever it sets aside keeps its own name.

    python -m pytest -q tests/optimize/test_stale.py
"""

from __future__ import annotations

import pathlib

import pytest
import torch

from asym import checkpoint
from asym.codedeps import code_digest
from asym.config import ConfigError, merge, run_by_name, train_spec
from asym.io import InputError, write_png
from asym.optimize import train_sr
from asym.optimize.final import load_generator
from asym.optimize.train_sr import CHECKPOINT_FORMAT, check_spec, train


def _spec(cfg, **changes):
    return merge(train_spec(cfg, run_by_name(cfg, "l1__nogan__s0")), changes)


def _same_weights(a, b):
    wa, wb = load_generator(a)[0].state_dict(), load_generator(b)[0].state_dict()
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_code_digest_follows_the_imported_files(tmp_path):
    root = tmp_path / "asym"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "job.py").write_text("from asym.sub import loss\n")
    (root / "sub" / "loss.py").write_text("WEIGHT = 1\n")
    (root / "sub" / "other.py").write_text("X = 1\n")
    before = code_digest("asym.sub.job", root=root)
    (root / "sub" / "other.py").write_text("X = 2\n")  # not imported by the job: same digest
    assert code_digest("asym.sub.job", root=root) == before
    (root / "sub" / "loss.py").write_text("WEIGHT = 2\n")  # the loss the job imports: new digest
    assert code_digest("asym.sub.job", root=root) != before
    assert len(before) == 64


def test_set_aside_never_overwrites(tmp_path):
    names = []
    for content in (b"first", b"second", b"third"):
        path = tmp_path / "checkpoint.pt"
        path.write_bytes(content)
        names.append(checkpoint.set_aside(path, "stale").name)
        assert not path.exists()
    assert names == ["checkpoint.stale-1.pt", "checkpoint.stale-2.pt", "checkpoint.stale-3.pt"]
    assert [(tmp_path / n).read_bytes() for n in names] == [b"first", b"second", b"third"]


def test_code_edit_retrains_and_keeps_the_old_checkpoint(tiny_cfg, tiny_workdir, tmp_path, monkeypatch):
    data = tiny_workdir / tiny_cfg["data"]["sr_train"]
    spec = _spec(tiny_cfg, steps=4, checkpoint_every=1)
    out = tmp_path / "run"
    assert train(spec, data, out, progress=False, stop_after=2) is None
    assert checkpoint.load(out / "checkpoint.pt", CHECKPOINT_FORMAT)["code_digest"] == code_digest(
        "asym.optimize.train_sr")
    # a loss (any file the job imports) is edited: the digest differs
    monkeypatch.setattr(train_sr, "code_digest", lambda *modules: "0" * 64)
    with pytest.raises(checkpoint.CheckpointError, match="other code"):
        train(spec, data, out, progress=False)
    train(spec, data, out, progress=False, restart_stale=True)
    assert checkpoint.load(out / "checkpoint.stale-1.pt", CHECKPOINT_FORMAT)["step"] == 2
    assert "other code" in (out / "restarts.log").read_text()
    fresh = tmp_path / "fresh"
    train(spec, data, fresh, progress=False)
    assert _same_weights(out / "final.pt", fresh / "final.pt")


def test_finished_run_is_never_resumed_into_a_new_job(tiny_cfg, tiny_workdir, tmp_path, monkeypatch, capsys):
    data = tiny_workdir / tiny_cfg["data"]["sr_train"]
    spec = _spec(tiny_cfg, steps=3, checkpoint_every=1)
    out = tmp_path / "run"
    train(spec, data, out, progress=False)
    assert (out / "final.pt").exists() and not (out / "checkpoint.pt").exists()
    # a job killed between writing final.pt and removing its checkpoint leaves a finished one
    real_unlink = pathlib.Path.unlink
    monkeypatch.setattr(pathlib.Path, "unlink",
                        lambda self, missing_ok=False: None if self.name == "checkpoint.pt"
                        else real_unlink(self, missing_ok))
    train(spec, data, out, progress=False)
    monkeypatch.undo()
    finished = checkpoint.load(out / "checkpoint.pt", CHECKPOINT_FORMAT)
    assert finished["step"] == 3
    with pytest.raises(checkpoint.CheckpointError, match="finished run"):
        train(spec, data, out, progress=False)
    train(spec, data, out, progress=False, restart_stale=True)
    assert "finished run" in capsys.readouterr().err
    assert checkpoint.load(out / "checkpoint.stale-1.pt", CHECKPOINT_FORMAT)["step"] == 3
    log = (out / "restarts.log").read_text()
    assert "restarts from step 0" in log and "checkpoint.stale-1.pt" in log
    # trained again from step 0: the same weights as a fresh run (CPU, same seed)
    fresh = tmp_path / "fresh"
    train(spec, data, fresh, progress=False)
    assert _same_weights(out / "final.pt", fresh / "final.pt")


@pytest.mark.parametrize("key, value", [("steps", -5), ("steps", 0), ("batch_size", 0), ("patch_size", -16),
                                        ("log_every", 0), ("checkpoint_every", 1.5), ("lr_g", 0.0),
                                        ("lr_d", -1e-4)])
def test_spec_with_non_positive_values_is_refused(tiny_cfg, key, value):
    with pytest.raises(ConfigError, match=rf"{key} = {value!r} must be a positive"):
        check_spec(_spec(tiny_cfg, **{key: value}))


def test_negative_steps_train_nothing_and_write_nothing(tiny_cfg, tiny_workdir, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match="steps = -5"):
        train(_spec(tiny_cfg, steps=-5), tiny_workdir / tiny_cfg["data"]["sr_train"], out, progress=False)
    assert not (out / "final.pt").exists()


def test_too_small_training_image_is_named_before_the_first_step(tiny_cfg, tiny_workdir, tmp_path):
    data = tmp_path / "train"
    data.mkdir()
    for src in sorted((tiny_workdir / tiny_cfg["data"]["sr_train"]).iterdir()):
        (data / src.name).write_bytes(src.read_bytes())
    write_png(torch.zeros(1, 1, 3, dtype=torch.uint8).numpy(), data / "zz_tiny.png")
    with pytest.raises(InputError, match=r"zz_tiny\.png is 1x1 px, smaller than the \d+ px training crop"):
        train(_spec(tiny_cfg), data, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_checkpoint_with_pickled_code_is_refused_as_such(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this would run on load",))

    path = tmp_path / "checkpoint.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "obj": Payload()}, path)
    before = path.read_bytes()
    with pytest.raises(checkpoint.CheckpointError, match="pickled Python objects") as info:
        checkpoint.load(path, CHECKPOINT_FORMAT)
    assert "truncated" not in str(info.value)
    assert path.read_bytes() == before
