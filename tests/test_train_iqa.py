"""Transfer stage: IQA models on reused backbones (random vs discriminator initialization)."""

from __future__ import annotations

import math

import pytest
import torch

from asym.config import run_by_name, train_spec, transfer_jobs, transfer_spec
from asym.train_iqa import TRANSFER_COLUMNS, IQAModel, build_trunk, run
from asym.train_sr import load_discriminator, train


@pytest.fixture(scope="module")
def gan_final(tiny_cfg, tiny_workdir, tmp_path_factory):
    spec = dict(train_spec(tiny_cfg, run_by_name(tiny_cfg, "l1__patchgan-w0.1__s0")), steps=2)
    out = tmp_path_factory.mktemp("gan")
    train(spec, tiny_workdir / tiny_cfg["data"]["sr_train"], out, progress=False)
    return out / "final.pt"


def _spec(cfg, init):
    job = next(j for j in transfer_jobs(cfg) if j.split("__")[1] == init)
    return transfer_spec(cfg, job)


def test_discriminator_init_carries_the_trained_weights(tiny_cfg, gan_final):
    disc, _ = load_discriminator(gan_final)
    trunk = build_trunk(_spec(tiny_cfg, "discriminator")["backbone"], "discriminator", gan_final)
    first = next(trunk.parameters())
    assert torch.equal(first, next(disc.trunk().parameters()))
    random_trunk = build_trunk(_spec(tiny_cfg, "random")["backbone"], "random")
    assert not torch.equal(next(random_trunk.parameters()), first)
    assert all(p.requires_grad for p in trunk.parameters())


def test_discriminator_init_needs_the_file_and_the_same_design(tiny_cfg, gan_final):
    backbone = _spec(tiny_cfg, "discriminator")["backbone"]
    with pytest.raises(ValueError, match="--discriminator"):
        build_trunk(backbone, "discriminator", None)
    with pytest.raises(ValueError, match="not 'vit'"):
        build_trunk({**backbone, "discriminator": "vit"}, "discriminator", gan_final)


@pytest.mark.parametrize("mode", ["nr", "fr"])
def test_iqa_model_gives_one_score_per_image_with_gradients(tiny_cfg, mode):
    model = IQAModel(build_trunk(_spec(tiny_cfg, "random")["backbone"], "random"), stages=2, hidden=8, mode=mode)
    x, r = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    y = model(x, r)
    assert y.shape == (3,)
    y.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.head.parameters())


def test_transfer_run_returns_the_contract_row(tiny_cfg, tiny_workdir, gan_final):
    spec = _spec(tiny_cfg, "discriminator")
    root = tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    row = run(spec, "synthetic", root, gan_final)
    assert list(row) == TRANSFER_COLUMNS
    assert row["init"] == "discriminator" and row["n"] > 0
    assert -1 <= row["srcc"] <= 1 and not math.isnan(row["srcc"])
    assert row["srcc_ci_low"] <= row["srcc"] + 1e-9 <= row["srcc_ci_high"] + 2e-9
