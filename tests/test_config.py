"""Config validation: schema errors name the key; cross references; run table; panels."""

from __future__ import annotations

import copy

import pytest
import yaml

from asym.config import ConfigError, evaluator_panel, load_config, merge, run_by_name, runs, train_spec, validate
from tests.conftest import REPO

DEMO = REPO / "workflow" / "config" / "demo.yaml"


@pytest.fixture()
def demo() -> dict:
    return load_config(DEMO)


def test_demo_config_is_valid_and_has_runs(demo):
    names = [r.name for r in runs(demo)]
    assert len(names) == len(set(names))
    opt = demo["optimize"]
    expected = sum(len(a.get("losses", opt["losses"])) for a in opt["adversarial"]) * len(opt["seeds"])
    assert len(names) == expected


def test_unknown_key_is_named(demo):
    bad = copy.deepcopy(demo)
    bad["optimize"]["stepz"] = 10
    with pytest.raises(ConfigError, match="stepz"):
        validate(bad)


def test_wrong_type_names_the_key(demo):
    bad = copy.deepcopy(demo)
    bad["optimize"]["steps"] = "many"
    with pytest.raises(ConfigError, match=r"optimize\.steps"):
        validate(bad)


def test_undefined_loss_is_reported(demo):
    bad = copy.deepcopy(demo)
    bad["optimize"]["losses"].append("no_such_metric")
    with pytest.raises(ConfigError, match="no_such_metric"):
        validate(bad)


def test_undefined_discriminator_is_reported(demo):
    bad = copy.deepcopy(demo)
    bad["optimize"]["adversarial"].append({"name": "x", "discriminator": "stylegan", "gan_weight": 0.1,
                                           "objective": "hinge"})
    with pytest.raises(ConfigError, match="stylegan"):
        validate(bad)


def test_malformed_yaml_is_reported(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("scale: demo\n  metrics: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_panel_never_contains_own_metric_or_group(demo):
    for run in runs(demo):
        panel = evaluator_panel(demo, run)
        own_group = demo["metrics"][run.fidelity]["group"]
        assert run.fidelity not in panel
        assert all(spec["group"] != own_group for spec in panel.values())
        assert panel, f"{run.name} has an empty evaluator panel"


def test_l1_run_is_not_evaluated_by_psnr(demo):
    run = run_by_name(demo, "l1__nogan__s0")
    assert "psnr" not in evaluator_panel(demo, run)


def test_train_spec_is_json_and_carries_loss_and_discriminator(demo):
    import json

    gan_run = next(r for r in runs(demo) if r.adversarial)
    spec = train_spec(demo, gan_run)
    assert json.loads(json.dumps(spec)) == spec
    assert spec["loss"]["name"] == gan_run.fidelity
    assert spec["discriminator"]["name"] == "patchgan"
    plain = train_spec(demo, next(r for r in runs(demo) if not r.adversarial))
    assert plain["discriminator"] is None


def test_merge_is_recursive_and_does_not_mutate():
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    out = merge(base, {"a": {"b": 5}, "d": [2]})
    assert out == {"a": {"b": 5, "c": 2}, "d": [2]}
    assert base["a"]["b"] == 1


def test_paper_style_override_validates(tmp_path, demo):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(demo))
    cfg = load_config(path, overrides={"optimize": {"steps": 7}})
    assert cfg["optimize"]["steps"] == 7


def test_adversarial_setting_can_be_restricted_to_some_losses(demo):
    cfg = copy.deepcopy(demo)
    cfg["optimize"]["adversarial"].append({"name": "sweep-w1", "discriminator": "patchgan", "gan_weight": 1.0,
                                           "objective": "hinge", "losses": ["l1"]})
    validate(cfg)
    sweep = [r for r in runs(cfg) if r.setting == "sweep-w1"]
    assert {r.fidelity for r in sweep} == {"l1"} and len(sweep) == len(cfg["optimize"]["seeds"])
    cfg["optimize"]["adversarial"][-1]["losses"] = ["psnr"]  # defined metric, but not a loss
    with pytest.raises(ConfigError, match="psnr"):
        validate(cfg)


def test_transfer_jobs_and_specs(demo):
    from asym.config import transfer_jobs, transfer_spec

    jobs = transfer_jobs(demo)
    t = demo["transfer"]
    assert len(jobs) == sum(len(b["inits"]) for b in t["backbones"].values()) * len(t["split_seeds"]) * len(
        t["datasets"])
    spec = transfer_spec(demo, jobs[0])
    assert spec["backbone"]["args"] and "name" not in spec["backbone"]["args"]


def test_transfer_discriminator_init_needs_a_matching_gan_run(demo):
    bad = copy.deepcopy(demo)
    bad["transfer"]["backbones"]["patchgan"]["disc_runs"] = {"loss": "l1", "setting": "nogan"}
    with pytest.raises(ConfigError, match="'nogan' is not an adversarial setting that trains the 'patchgan'"):
        validate(bad)
    bad["transfer"]["backbones"]["patchgan"]["disc_runs"] = {"loss": "l1", "setting": "vit-w0.05"}
    with pytest.raises(ConfigError, match="'vit-w0.05' is not an adversarial setting that trains the 'patchgan'"):
        validate(bad)
    del bad["transfer"]["backbones"]["patchgan"]["disc_runs"]
    with pytest.raises(ConfigError, match="needs disc_runs"):
        validate(bad)


def test_main_gan_setting_must_cover_every_loss(demo):
    bad = copy.deepcopy(demo)
    bad["analysis"]["main_gan_setting"] = "vgg-w0.05"
    with pytest.raises(ConfigError, match="every loss"):
        validate(bad)


def test_pyiqa_metric_rows_carry_the_config_key_not_the_pyiqa_name(tiny_cfg):
    """Config key ``afine`` with pyiqa name ``afine_fr``: jobs label results ``afine``."""
    from asym.config import metric_spec

    cfg = copy.deepcopy(tiny_cfg)
    cfg["metrics"]["afine"] = {"kind": "pyiqa", "name": "afine_fr", "group": "clip"}
    spec = metric_spec(cfg, "afine")
    assert spec["name"] == "afine" and spec["pyiqa_name"] == "afine_fr"
    assert metric_spec(cfg, "l1")["name"] == "l1" and "pyiqa_name" not in metric_spec(cfg, "l1")


def test_weight_caches_of_the_config_are_what_jobs_and_the_weights_check_use(tiny_cfg, tmp_path, monkeypatch):
    import os

    from asym.config import apply_weight_caches

    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    assert apply_weight_caches(tiny_cfg) == {} and "TORCH_HOME" not in os.environ and "HF_HUB_CACHE" not in os.environ
    monkeypatch.chdir(tmp_path)
    paths = apply_weight_caches({**tiny_cfg, "torch_home": "data/weights/torch", "hf_hub_cache": "data/weights/hf"})
    assert paths == {"TORCH_HOME": str(tmp_path / "data" / "weights" / "torch"),
                     "HF_HUB_CACHE": str(tmp_path / "data" / "weights" / "hf")}
    assert os.environ["TORCH_HOME"] == paths["TORCH_HOME"] and os.environ["HF_HUB_CACHE"] == paths["HF_HUB_CACHE"]
    paper = load_config(REPO / "workflow" / "config" / "paper.yaml")
    # Where data/paper/weights.yaml puts pyiqa's files and the hub backbones.
    assert (paper["torch_home"], paper["hf_hub_cache"]) == ("data/weights/torch", "data/weights/hf")
