"""The run record (run.json): traits from a train spec, atomic writes, checked reads."""

from __future__ import annotations

import json
import shutil

import pytest

from asym.config import run_by_name, runs, train_spec
from asym.io import InputError
from asym.optimize.runrecord import (
    RECORD_KEYS,
    TRAIT_KEYS,
    code_digest,
    read_run_record,
    run_traits,
    set_status,
    write_run_record,
)


def test_traits_come_from_the_spec_not_the_name(tiny_cfg):
    for run in runs(tiny_cfg):
        traits = run_traits(train_spec(tiny_cfg, run))
        assert set(traits) == set(TRAIT_KEYS)
        assert (traits["fidelity"], traits["seed"], traits["adversarial"]) == (run.fidelity, run.seed, run.adversarial)
        assert (traits["level"] == "none") == (not run.adversarial)
    spec = train_spec(tiny_cfg, run_by_name(tiny_cfg, "l1__patchgan-w0.1__s0"))
    spec["run"]["name"] = "a-name-that-says-nothing"
    spec["discriminator"] = {"name": "projected", "backbone": "dinov2_vits14", "head": "image"}
    traits = run_traits(spec)
    assert (traits["level"], traits["family"], traits["gan_weight"]) == ("image", "transformer", 0.1)


def test_official_import_spec_has_traits():
    traits = run_traits({"run": {"name": "pretrain/x", "seed": 2}, "generator": {"name": "rrdbnet"},
                         "official": "weights/RRDB.pth"})
    assert traits["setting"] == "official" and traits["seed"] == 2 and traits["adversarial"] is False


def test_write_read_and_status(tiny_cfg, tmp_path):
    spec = train_spec(tiny_cfg, run_by_name(tiny_cfg, "l1__nogan__s0"))
    path = write_run_record(tmp_path, spec, "running")
    record = read_run_record(tmp_path)
    assert set(record) == set(RECORD_KEYS) and record == read_run_record(path)
    assert record["status"] == "running" and record["spec"] == spec and record["run"] == "l1__nogan__s0"
    assert record["code_digest"] == code_digest() and len(record["code_digest"]) == 64
    set_status(tmp_path, "diverged")
    assert read_run_record(path)["status"] == "diverged"
    assert read_run_record(path)["spec"] == spec
    with pytest.raises(ValueError, match="status"):
        write_run_record(tmp_path, spec, "done")
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temporary left behind


def test_bad_records_name_the_file(tmp_path):
    with pytest.raises(InputError, match="run.json.*train_sr"):
        read_run_record(tmp_path)
    path = tmp_path / "run.json"
    path.write_text("[1, 2")
    with pytest.raises(InputError, match="not valid JSON"):
        read_run_record(path)
    path.write_text(json.dumps({"run": "x", "spec": {}, "traits": {"seed": 0}, "status": "finished",
                                "code_digest": None}))
    with pytest.raises(InputError, match="traits.generator"):
        read_run_record(path)
    path.write_text(json.dumps({"run": "x", "spec": {}, "status": "finished"}))
    with pytest.raises(InputError, match="traits"):
        read_run_record(path)


def test_code_digest_follows_the_code(tmp_path, monkeypatch):
    from asym import codedeps

    copy = tmp_path / "asym"
    shutil.copytree(codedeps.ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(codedeps, "ROOT", copy)  # module_files reads the copy (its cache is keyed by root)
    same = code_digest()
    assert same == code_digest()
    (copy / "optimize" / "train_sr.py").write_text((copy / "optimize" / "train_sr.py").read_text() + "\n# edit\n")
    assert same != code_digest()
