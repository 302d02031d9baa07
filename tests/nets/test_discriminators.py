"""Discriminator designs: output shapes, gradients, spectral norm, frozen projected
backbones, feature trunks and the builder. Tiny widths so the file runs in seconds.
Run: ``pytest tests/nets/test_discriminators.py -q``.
"""

from __future__ import annotations

import pytest
import torch

from asym.nets.discriminators import (
    DISCRIMINATORS,
    PatchGAN,
    ProjectedDiscriminator,
    UNetDiscriminatorSN,
    VGGStyleDiscriminator,
    ViTDiscriminator,
    build_discriminator,
)

# One tiny configuration per design; "level" says what the logits judge.
TINY = {
    "patchgan": ({"name": "patchgan", "ndf": 4, "n_layers": 2, "norm": "none", "spectral_norm": True}, "patch"),
    "vgg": ({"name": "vgg", "num_feat": 4, "hidden": 8}, "image"),
    "unet": ({"name": "unet", "num_feat": 4}, "pixel"),
    "vit": ({"name": "vit", "img_size": 32, "patch_size": 8, "embed_dim": 16, "depth": 2, "num_heads": 2}, "image"),
    "projected-patch": (
        {"name": "projected", "backbone": "vgg16", "stages": [1, 2], "head": "patch", "hidden": 8},
        "patch",
    ),
    "projected-image": (
        {"name": "projected", "backbone": "vgg16", "stages": [2, 3], "head": "image", "hidden": 8},
        "image",
    ),
}
# Expected (h, w) of patch-level outputs per input side.
PATCH_SIDES = {"patchgan": {32: 6, 48: 10, 64: 14}, "projected-patch": {32: 32, 48: 48, 64: 64}}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="module")
def nets():
    """Built once per module: the VGG-16 backbone is the slow part."""
    torch.manual_seed(0)
    return {key: build_discriminator(spec) for key, (spec, _) in TINY.items()}


def test_registry_has_every_design():
    assert set(DISCRIMINATORS) == {"patchgan", "vgg", "unet", "vit", "projected"}
    assert DISCRIMINATORS["unet"] is UNetDiscriminatorSN
    assert DISCRIMINATORS["vgg"] is VGGStyleDiscriminator
    assert DISCRIMINATORS["vit"] is ViTDiscriminator
    assert DISCRIMINATORS["projected"] is ProjectedDiscriminator


@pytest.mark.parametrize("key", sorted(TINY))
@pytest.mark.parametrize("side", [32, 48, 64])
def test_output_shape(nets, key, side):
    d, level = nets[key], TINY[key][1]
    with torch.no_grad():
        y = d(torch.rand(2, 3, side, side))
    if level == "image":
        assert y.shape == (2, 1)
    elif level == "pixel":
        assert y.shape == (2, 1, side, side)
    else:
        s = PATCH_SIDES[key][side]
        assert y.shape == (2, 1, s, s)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("key", sorted(TINY))
def test_gradients_are_finite_and_reach_the_input(nets, key):
    d = nets[key].train()
    d.zero_grad(set_to_none=True)
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    d(x).mean().backward()
    trainable = [(n, p) for n, p in d.named_parameters() if p.requires_grad]
    assert trainable
    for name, p in trainable:
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    # The generator learns through these gradients.
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("key", sorted(TINY))
def test_trunk_returns_backbone_style_features(nets, key):
    d = nets[key]
    trunk = d.trunk()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        feats = trunk(x)
    assert isinstance(feats, list) and len(feats) == len(trunk.channels) >= 2
    assert torch.equal(feats[0], x)
    for f, c in zip(feats, trunk.channels):
        assert f.ndim == 4 and f.shape[:2] == (2, c)
    # The trunk shares the discriminator's parameters (no copies).
    own = {id(p) for p in d.parameters()}
    assert all(id(p) in own for p in trunk.parameters())


def test_trunk_is_the_feature_part():
    vgg = VGGStyleDiscriminator(num_feat=4, hidden=8)
    assert vgg.trunk() is vgg.features
    unet = UNetDiscriminatorSN(num_feat=4)
    assert unet.trunk() is unet.encoder and unet.trunk().channels == [3, 4, 8, 16, 32]
    vit = ViTDiscriminator(img_size=16, patch_size=8, embed_dim=16, depth=3, num_heads=2)
    assert vit.trunk() is vit.encoder and vit.trunk().channels == [3, 16, 16, 16]
    # PatchGAN's trunk is a view without the final conv; its keys match the discriminator's.
    pg = PatchGAN(ndf=4, n_layers=2, spectral_norm=True)
    trunk_keys = set(pg.trunk().state_dict())
    assert trunk_keys < set(pg.state_dict())
    assert not any(k.startswith(f"model.{len(pg.model) - 1}.") for k in trunk_keys)


# --------------------------------------------------------------------------- per design


def test_unet_has_spectral_norm_on_inner_convs():
    d = UNetDiscriminatorSN(num_feat=4)
    names = [n for n, _ in d.named_parameters()]
    sn = sorted(n for n in names if n.endswith("weight_orig"))
    # conv1..conv8 normalised; conv0 (sees the image) and conv9 (logits) are not.
    assert len(sn) == 8
    assert "encoder.conv0.weight" in names and "conv9.weight" in names
    assert any(n.endswith("weight_u") for n in d.state_dict())
    plain = UNetDiscriminatorSN(num_feat=4, spectral_norm=False)
    assert not any("weight_orig" in n for n, _ in plain.named_parameters())


def test_unet_skip_connections_matter():
    torch.manual_seed(3)
    with_skip = UNetDiscriminatorSN(num_feat=4).eval()
    without = UNetDiscriminatorSN(num_feat=4, skip_connection=False).eval()
    without.load_state_dict(with_skip.state_dict())
    x = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        assert not torch.allclose(with_skip(x), without(x))
    # Odd sizes work: decoder features are resized to their skip's size.
    with torch.no_grad():
        assert with_skip(torch.rand(1, 3, 30, 27)).shape == (1, 1, 30, 27)


def test_vgg_is_esrgan_at_128_px():
    d = VGGStyleDiscriminator(num_feat=4, hidden=8)
    feats = d.trunk()(torch.rand(2, 3, 128, 128))
    # Five stride-2 stages: 128 -> 4, so the adaptive pooling is the identity there.
    assert feats[-1].shape == (2, 32, 4, 4)
    assert d.linear1.in_features == 32 * 16
    assert "features.conv0_0.bias" in d.state_dict() and "features.conv1_0.bias" not in d.state_dict()
    with pytest.raises(ValueError, match="32x32"):
        d(torch.rand(2, 3, 16, 16))


def test_vit_position_embedding_resampled_for_other_sizes():
    d = ViTDiscriminator(img_size=16, patch_size=8, embed_dim=16, depth=1, num_heads=2)
    assert d.encoder.pos_embed.shape == (1, 1 + 4, 16)
    assert d(torch.rand(2, 3, 40, 24)).shape == (2, 1)
    with pytest.raises(ValueError, match="patch_size"):
        d(torch.rand(1, 3, 20, 16))
    with pytest.raises(ValueError, match="divisible"):
        ViTDiscriminator(embed_dim=10, num_heads=4)


def test_projected_backbone_frozen_heads_train(nets):
    d = nets["projected-patch"]
    # train() and requires_grad_(True) (what the training loop calls) keep the backbone frozen.
    d.train()
    d.requires_grad_(True)
    assert not d.backbone.training
    assert all(not p.requires_grad for p in d.backbone.parameters())
    d.zero_grad(set_to_none=True)
    x = torch.rand(2, 3, 32, 32, requires_grad=True)
    d(x).mean().backward()
    assert all(p.grad is None for p in d.backbone.parameters())
    head = list(d.head.parameters())
    assert head and all(p.requires_grad and p.grad is not None and p.grad.abs().sum() > 0 for p in head)
    # An optimizer step leaves the backbone unchanged.
    before = {k: v.clone() for k, v in d.backbone.state_dict().items()}
    torch.optim.Adam(d.parameters(), lr=1e-2).step()
    assert all(torch.equal(before[k], v) for k, v in d.backbone.state_dict().items())
    assert d.trunk() is d.backbone


def test_projected_random_backbone_is_seeded_and_does_not_move_global_rng():
    spec = {"name": "projected", "backbone": "vgg16", "stages": [1], "head": "image", "hidden": 4}
    torch.manual_seed(7)
    a = build_discriminator(spec)
    after_a = torch.rand(1)
    torch.manual_seed(7)
    b = build_discriminator(spec)
    assert torch.equal(torch.rand(1), after_a)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    c = build_discriminator({**spec, "init_seed": 1})
    assert not torch.equal(a.backbone.stage1[0].weight, c.backbone.stage1[0].weight)


def test_projected_rejects_bad_settings():
    with pytest.raises(ValueError, match="head"):
        ProjectedDiscriminator(stages=[1], head="token")
    with pytest.raises(ValueError, match="stages"):
        ProjectedDiscriminator(stages=[0])
    with pytest.raises(ValueError, match="stages"):
        ProjectedDiscriminator(stages=[9])


# --------------------------------------------------------------------------- builder


@pytest.mark.parametrize("name", ["vgg", "unet", "vit", "projected"])
def test_builder_rejects_unknown_keywords(name):
    with pytest.raises(ValueError, match=rf"'bogus'.*discriminator '{name}'"):
        build_discriminator({"name": name, "bogus": 1})


def test_builder_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"unknown discriminator 'stylegan'.*projected"):
        build_discriminator({"name": "stylegan"})


def test_builder_is_deterministic_under_seed():
    spec = TINY["vit"][0]
    x = torch.rand(2, 3, 32, 32)
    torch.manual_seed(11)
    a = build_discriminator(spec)
    torch.manual_seed(11)
    b = build_discriminator(spec)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))
