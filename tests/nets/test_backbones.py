"""Named backbones (stage maps, normalisation, weights files) and equivalence with pyiqa's DISTS."""

from __future__ import annotations

import pytest
import torch

from asym.assess.fidelity import DistsStyle, build_metric
from asym.nets.backbones import (
    BACKBONES,
    CLIP_MEAN,
    IMAGENET_MEAN,
    OFFICIAL_WEIGHTS,
    WeightsMissingError,
    build_backbone,
)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_backbone_returns_input_then_stage_maps_with_declared_channels(name):
    net = build_backbone(name, init_seed=0)
    x = torch.rand(1, 3, 64, 64)  # 64 is not a multiple of 14: DINOv2's input is resized to 70
    with torch.no_grad():
        feats = net(x)
    assert feats[0] is x
    assert len(feats) == len(net.channels) >= 4
    assert [f.shape[1] for f in feats] == net.channels
    assert all(f.ndim == 4 and f.shape[0] == 1 and torch.isfinite(f).all() for f in feats)
    assert not any(p.requires_grad for p in net.parameters())


def test_every_named_backbone_has_an_official_source():
    assert set(OFFICIAL_WEIGHTS) == set(BACKBONES)
    assert all(OFFICIAL_WEIGHTS[n] for n in BACKBONES)


@pytest.mark.parametrize("name,tag", [
    ("resnet50", "resnet50.tv_in1k"),
    ("convnext_tiny", "convnext_tiny.fb_in1k"),
    ("clip_vit_b16", "vit_base_patch16_clip_224.openai"),
    ("swin_t", "swin_tiny_patch4_window7_224.ms_in1k"),
    ("dinov2_vits14", "vit_small_patch14_dinov2.lvd142m"),
])
def test_input_normalisation_matches_the_official_weights(name, tag):
    import timm

    cfg = timm.models.get_pretrained_cfg(tag)
    assert BACKBONES[name]["mean"] == pytest.approx(cfg.mean)
    assert BACKBONES[name]["std"] == pytest.approx(cfg.std)
    assert BACKBONES["clip_vit_b16"]["mean"] == CLIP_MEAN and BACKBONES["vgg16"]["mean"] == IMAGENET_MEAN


def test_random_transformer_backbone_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(7)
    before = torch.get_rng_state()
    a, b = build_backbone("dinov2_vits14", init_seed=3), build_backbone("dinov2_vits14", init_seed=3)
    c = build_backbone("dinov2_vits14", init_seed=4)
    assert torch.equal(torch.get_rng_state(), before)
    pa, pb, pc = (next(n.body.parameters()) for n in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_missing_transformer_weights_name_path_and_official_source(tmp_path):
    missing = tmp_path / "dinov2_vits14_pretrain.pth"
    with pytest.raises(WeightsMissingError) as err:
        build_backbone("dinov2_vits14", init="imagenet", weights=str(missing))
    assert str(missing) in str(err.value) and "dl.fbaipublicfiles.com/dinov2" in str(err.value)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_pretrained_timm_weights_load_from_a_local_file(tmp_path, suffix):
    import timm

    with torch.random.fork_rng():
        torch.manual_seed(11)
        source = timm.create_model("swin_tiny_patch4_window7_224", pretrained=False)
    path = tmp_path / f"swin_t{suffix}"
    if suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(path))
    else:
        torch.save(source.state_dict(), path)
    net = build_backbone("swin_t", init="imagenet", weights=str(path))
    key = "layers.2.blocks.1.mlp.fc1.weight"
    assert torch.equal(net.body.state_dict()[key], source.state_dict()[key])


def test_torchvision_resnet50_file_loads_and_gives_torchvision_features(tmp_path):
    import torchvision

    with torch.random.fork_rng():
        torch.manual_seed(3)
        tv = torchvision.models.resnet50(weights=None).eval()
    path = tmp_path / "resnet50-0676ba61.pth"  # the official file's layout
    torch.save(tv.state_dict(), path)
    net = build_backbone("resnet50", init="imagenet", weights=str(path))
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        h = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(BACKBONES["resnet50"]["std"]).view(1, 3, 1, 1)
        expected = tv.layer1(tv.maxpool(tv.relu(tv.bn1(tv.conv1(h)))))
        assert torch.allclose(net(x)[2], expected, atol=1e-5)


def test_weights_of_another_architecture_are_rejected(tmp_path):
    import timm

    path = tmp_path / "resnet.pth"
    torch.save(timm.create_model("resnet18", pretrained=False).state_dict(), path)
    with pytest.raises(ValueError, match="do not fit backbone 'swin_t'"):
        build_backbone("swin_t", init="imagenet", weights=str(path))


def test_dists_style_over_a_transformer_gives_finite_gradients():
    metric = build_metric({"name": "dists_swin_t-R", "kind": "dists_style", "backbone": "swin_t", "group": "swin"})
    g = torch.Generator().manual_seed(0)
    ref = torch.rand(2, 3, 32, 32, generator=g)
    pred = (ref + 0.1 * torch.randn(ref.shape, generator=g)).clamp(0, 1).requires_grad_(True)
    assert metric.loss(ref, ref).abs().item() < 1e-4
    metric.loss(pred, ref).backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


# --------------------------------------------------------------------------- #
# Equivalence with pyiqa's DISTS network (built offline with random weights)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def dists_pair():
    from asym.tools.bench_reference import matching_dists_style, pyiqa_dists_network

    theirs = pyiqa_dists_network(seed=0, weights_seed=3)
    with torch.no_grad():  # make pyiqa's VGG differ from our seed-0 network, so copying is tested
        g = torch.Generator().manual_seed(5)
        for p in theirs.parameters():
            if p.ndim == 4:
                p.mul_(1 + 0.2 * torch.randn(p.shape, generator=g))
    return theirs, matching_dists_style(theirs)


@pytest.mark.parametrize("shape", [(32, 32), (64, 64), (48, 80), (97, 61)])
def test_dists_style_vgg16_equals_pyiqa_dists(dists_pair, shape):
    theirs, ours = dists_pair
    assert (theirs.alpha >= 0).all() and (theirs.beta >= 0).all()
    g = torch.Generator().manual_seed(sum(shape))
    ref = torch.rand(2, 3, *shape, generator=g)
    pred = (ref + 0.2 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
    with torch.no_grad():
        expected = theirs(pred, ref).reshape(-1)
    got = ours.score(pred, ref)
    assert got.shape == (2,)
    assert (got - expected).abs().max().item() <= 1e-4
    assert not torch.allclose(expected, torch.zeros(2))


def test_load_dists_accepts_an_official_alpha_beta_file(dists_pair, tmp_path):
    theirs, _ = dists_pair
    path = tmp_path / "weights.pt"
    torch.save({"alpha": theirs.alpha.detach().clone(), "beta": theirs.beta.detach().clone()}, path)
    spec = {"name": "dists-R", "kind": "dists_style", "backbone": "vgg16", "group": "vgg16", "fitted": str(path)}
    metric = build_metric(spec)
    assert isinstance(metric, DistsStyle)
    assert torch.allclose(metric.alpha, theirs.alpha.reshape(-1))
    assert metric.alpha.shape == (1475,)


def test_load_dists_rejects_negative_weights(dists_pair):
    theirs, ours = dists_pair
    bad = {"alpha": -theirs.alpha.detach(), "beta": theirs.beta.detach()}
    with pytest.raises(ValueError, match="non-negative"):
        ours.load_dists(bad)


def test_equivalence_check_is_sensitive_to_the_weight_layout(dists_pair):
    """Guard the 1e-4 tolerance: swapping alpha and beta must move the score far beyond it."""
    theirs, ours = dists_pair
    g = torch.Generator().manual_seed(1)
    ref, pred = torch.rand(2, 3, 64, 64, generator=g), torch.rand(2, 3, 64, 64, generator=g)
    with torch.no_grad():
        expected = theirs(pred, ref).reshape(-1)
    swapped = build_metric({"name": "swapped", "kind": "dists_style", "backbone": "vgg16", "group": "vgg16"})
    swapped.backbone.load_state_dict(ours.backbone.state_dict())
    swapped.load_weights(ours.beta.clone(), ours.alpha.clone())
    assert (swapped.score(pred, ref) - expected).abs().max().item() > 1e-3


def test_random_vgg16_has_the_conv_weights_torchvision_draws_under_the_seed():
    # The "-R" VGG-16 is torchvision's vgg16(weights=None) under torch.manual_seed(seed),
    # drawn without the classifier's redraws: the conv weights must still be identical.
    import torchvision

    from asym.nets.backbones import VGG16Stages

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        ours = VGG16Stages().torchvision_state()
        torch.manual_seed(3)
        theirs = torchvision.models.vgg16(weights=None).features.state_dict()
    assert ours.keys() == theirs.keys() and len(ours) == 26  # 13 convs, weight and bias
    for key, value in ours.items():
        assert torch.equal(value, theirs[key]), key
