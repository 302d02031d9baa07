"""Fidelity metrics: scores, losses zero at identity, finite gradients, DISTS-style maths."""

from __future__ import annotations

import pytest
import torch

from asym.assess.fidelity import DistsStyle, build_metric, score_pairs
from asym.nets.backbones import L2Pool, WeightsMissingError, build_backbone

DISTS_R = {"name": "dists_vgg16-R", "kind": "dists_style", "backbone": "vgg16", "init": "random",
           "init_seed": 0, "group": "vgg16"}


def _pair(size=32, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    ref = torch.rand(batch, 3, size, size, generator=g)
    pred = (ref + 0.1 * torch.randn(batch, 3, size, size, generator=g)).clamp(0, 1)
    return pred, ref


@pytest.mark.parametrize("spec", [
    {"name": "l1", "kind": "l1", "group": "pixel"},
    {"name": "mse", "kind": "mse", "group": "pixel"},
    {"name": "ssim", "kind": "pyiqa", "group": "ssim", "best": 1.0},
    DISTS_R,
])
def test_loss_zero_at_identity_and_positive_otherwise(spec):
    metric = build_metric(spec)
    pred, ref = _pair()
    assert metric.loss(ref, ref).abs().item() < 1e-4
    assert metric.loss(pred, ref).item() > 1e-3


@pytest.mark.parametrize("spec", [
    {"name": "l1", "kind": "l1", "group": "pixel"},
    {"name": "ssim", "kind": "pyiqa", "group": "ssim", "best": 1.0},
    {"name": "gmsd", "kind": "pyiqa", "group": "gradient"},
    DISTS_R,
])
def test_loss_gradients_are_finite_and_nonzero(spec):
    metric = build_metric(spec)
    pred, ref = _pair()
    pred.requires_grad_(True)
    metric.loss(pred, ref).backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad.abs().sum() > 0


def test_score_is_per_image_float32_without_grad():
    metric = build_metric({"name": "ssim", "kind": "pyiqa", "group": "ssim", "best": 1.0})
    pred, ref = _pair(batch=3)
    s = metric.score(pred.requires_grad_(True), ref)
    assert s.shape == (3,) and s.dtype == torch.float32 and not s.requires_grad


def test_pyiqa_direction_metadata_comes_from_pyiqa():
    assert build_metric({"name": "gmsd", "kind": "pyiqa", "group": "g"}).lower_better is True
    assert build_metric({"name": "ssim", "kind": "pyiqa", "group": "s"}).lower_better is False


def test_unknown_kind_and_unknown_pyiqa_name_fail_clearly():
    with pytest.raises(ValueError, match="unknown kind"):
        build_metric({"name": "x", "kind": "magic", "group": "x"})
    with pytest.raises(RuntimeError, match="no_such_metric"):
        build_metric({"name": "no_such_metric", "kind": "pyiqa", "group": "x"})


def test_dists_style_weights_sum_to_one_and_score_is_one_minus_weighted_terms():
    metric = build_metric(DISTS_R)
    pred, ref = _pair()
    texture, structure = metric.stage_terms(pred, ref)
    assert texture.shape == structure.shape == (2, sum(metric.backbone.channels))
    n = texture.shape[1]
    expected = 1 - (texture.sum(1) + structure.sum(1)) / (2 * n)  # uniform weights
    assert torch.allclose(metric.score(pred, ref), expected, atol=1e-5)


def test_dists_style_rejects_negative_weights():
    metric = build_metric(DISTS_R)
    with pytest.raises(ValueError, match="non-negative"):
        metric.load_weights(-metric.alpha, metric.beta)


def test_dists_style_orders_distortion_strength():
    metric = build_metric(DISTS_R)
    g = torch.Generator().manual_seed(1)
    ref = torch.rand(1, 3, 32, 32, generator=g)
    noise = torch.randn(1, 3, 32, 32, generator=g)
    mild, strong = (ref + 0.05 * noise).clamp(0, 1), (ref + 0.4 * noise).clamp(0, 1)
    assert metric.score(mild, ref) < metric.score(strong, ref)


def test_random_backbone_is_reproducible_and_does_not_touch_global_rng():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b = build_backbone("vgg16", init_seed=0), build_backbone("vgg16", init_seed=0)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(a.stage1[0].weight, b.stage1[0].weight)
    c = build_backbone("vgg16", init_seed=1)
    assert not torch.equal(a.stage1[0].weight, c.stage1[0].weight)
    assert not any(p.requires_grad for p in a.parameters())


def test_vgg16_stage_shapes():
    feats = build_backbone("vgg16")(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == [3, 64, 128, 256, 512, 512]
    assert [f.shape[-1] for f in feats] == [64, 64, 32, 16, 8, 4]


def test_l2pool_of_constant_is_constant_inside():
    out = L2Pool(2)(torch.full((1, 2, 8, 8), 3.0))
    assert out.shape == (1, 2, 4, 4)
    assert torch.allclose(out[..., 1:, 1:], torch.tensor(3.0), atol=1e-5)


def test_missing_pretrained_weights_name_the_file_and_source(tmp_path):
    missing = tmp_path / "vgg16.pth"
    with pytest.raises(WeightsMissingError) as err:
        build_backbone("vgg16", init="imagenet", weights=str(missing))
    assert str(missing) in str(err.value) and "download.pytorch.org" in str(err.value)


def test_pretrained_weights_load_from_a_local_torchvision_file(tmp_path):
    import torchvision

    torch.manual_seed(5)
    state = torchvision.models.vgg16(weights=None).state_dict()
    path = tmp_path / "vgg16.pth"
    torch.save(state, path)
    net = build_backbone("vgg16", init="imagenet", weights=str(path))
    assert torch.equal(net.stage3[1].weight, state["features.10.weight"])
    assert torch.equal(net.stage5[-2].weight, state["features.28.weight"])


def test_score_pairs_batches_by_size_and_keeps_order():
    metric = build_metric({"name": "l1", "kind": "l1", "group": "pixel"})
    refs = [torch.zeros(3, 8, 8), torch.zeros(3, 16, 16), torch.zeros(3, 8, 8)]
    preds = [torch.full((3, 8, 8), 0.1), torch.full((3, 16, 16), 0.2), torch.full((3, 8, 8), 0.3)]
    scores = score_pairs(metric, preds, refs, batch_size=1)
    assert scores == pytest.approx([0.1, 0.2, 0.3], abs=1e-6)


def test_dists_style_is_a_metric_subclass():
    assert isinstance(build_metric(DISTS_R), DistsStyle)
