"""Unit tests for asym.nets: the SwinIR generator, the PatchGAN discriminator and their builders.

Tiny configurations only (embed_dim 12, window 4, LR inputs of 8-12 pixels) so the
whole file runs in a few seconds on CPU. Run: ``pytest tests/nets/test_swinir.py -q``.
"""

from __future__ import annotations

import pytest
import torch

from asym.nets.discriminators import DISCRIMINATORS, PatchGAN, build_discriminator
from asym.nets.generators import GENERATORS, build_generator
from asym.nets.swinir import SwinIR, SwinTransformerBlock
from asym.nets.windows import MASK_VALUE, shifted_window_mask, window_partition, window_reverse

TINY = {
    "embed_dim": 12,
    "depths": [2, 2],
    "num_heads": [2, 2],
    "window_size": 4,
    "img_size": 8,
    "mlp_ratio": 2.0,
}


def tiny_swinir(**overrides) -> SwinIR:
    return SwinIR(**{**TINY, **overrides})


def blocks(model: SwinIR) -> list[SwinTransformerBlock]:
    return [m for m in model.modules() if isinstance(m, SwinTransformerBlock)]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# --------------------------------------------------------------------------- SwinIR shapes


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("hw", [(8, 8), (10, 11), (12, 12)])
def test_swinir_output_shape(scale, hw):
    model = tiny_swinir(upscale=scale, depths=[2], num_heads=[2]).eval()
    x = torch.rand(2, 3, *hw)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (2, 3, scale * hw[0], scale * hw[1])
    assert y.dtype == x.dtype
    assert torch.isfinite(y).all()


def test_swinir_scale8_has_three_pixelshuffle_stages():
    model = tiny_swinir(upscale=8, depths=[1], num_heads=[2])
    shuffles = [m for m in model.upsample if isinstance(m, torch.nn.PixelShuffle)]
    assert len(shuffles) == 3
    with torch.no_grad():
        assert model.eval()(torch.rand(1, 3, 8, 8)).shape == (1, 3, 64, 64)


def test_swinir_rejects_bad_config():
    with pytest.raises(ValueError, match="upscale"):
        tiny_swinir(upscale=5)
    with pytest.raises(ValueError, match="equally long"):
        tiny_swinir(depths=[2, 2], num_heads=[2])
    with pytest.raises(ValueError, match="pixelshuffle"):
        tiny_swinir(upsampler="nearest+conv")


def test_swinir_padding_does_not_leak_into_crop():
    # A non-multiple input must equal the corresponding crop of the explicitly
    # reflection-padded input: padding happens inside forward, output is cropped.
    model = tiny_swinir(upscale=2).eval()
    x = torch.rand(1, 3, 10, 11)
    padded = torch.nn.functional.pad(x, (0, 1, 0, 2), mode="reflect")
    with torch.no_grad():
        y, y_pad = model(x), model(padded)
    assert torch.allclose(y, y_pad[:, :, :20, :22], atol=1e-5)


# --------------------------------------------------------------------------- gradients


def test_swinir_gradients_reach_every_parameter():
    model = tiny_swinir(upscale=2, drop_path_rate=0.0).train()
    # 10 is not a multiple of the window: exercises padding and the runtime mask.
    x = torch.rand(2, 3, 10, 10)
    model(x).square().mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_swinir_train_mode_with_drop_path_is_finite():
    model = tiny_swinir(upscale=2, drop_path_rate=0.5).train()
    model(torch.rand(4, 3, 8, 8)).mean().backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


# --------------------------------------------------------------------------- windows and masks


@pytest.mark.parametrize("ws,h,w", [(4, 8, 12), (2, 4, 4), (3, 9, 6)])
def test_window_partition_reverse_round_trip(ws, h, w):
    x = torch.randn(2, h, w, 5)
    windows = window_partition(x, ws)
    assert windows.shape == (2 * (h // ws) * (w // ws), ws, ws, 5)
    # First window of the first image is the top-left ws x ws patch.
    assert torch.equal(windows[0], x[0, :ws, :ws])
    assert torch.equal(window_reverse(windows, ws, h, w), x)


def test_relative_position_index_shape_and_range():
    model = tiny_swinir()
    attn = blocks(model)[0].attn
    n = 4 * 4
    idx = attn.relative_position_index
    assert idx.shape == (n, n)
    assert idx.dtype == torch.int64
    assert idx.min() == 0 and idx.max() == (2 * 4 - 1) ** 2 - 1
    assert attn.relative_position_bias_table.shape == ((2 * 4 - 1) ** 2, 2)
    # Every relative offset occurs, a token sees itself at the centre offset,
    # and the index is antisymmetric around the centre.
    assert idx.unique().numel() == (2 * 4 - 1) ** 2
    centre = (2 * 4 - 1) ** 2 // 2
    assert (idx.diagonal() == centre).all()
    assert torch.equal(idx + idx.T, torch.full_like(idx, 2 * centre))


def test_attn_mask_only_on_shifted_blocks():
    model = tiny_swinir()
    bs = blocks(model)
    assert [b.shift_size for b in bs] == [0, 2, 0, 2]
    for b in bs:
        if b.shift_size == 0:
            assert b.attn_mask is None
        else:
            # 8x8 map, window 4 -> 4 windows of 16 tokens.
            assert b.attn_mask.shape == (4, 16, 16)
            assert (b.attn_mask == MASK_VALUE).any()
            assert ((b.attn_mask == 0) | (b.attn_mask == MASK_VALUE)).all()
            # The top-left window holds no wrapped-around pixels: nothing masked there.
            assert (b.attn_mask[0] == 0).all()
            # The bottom-right window mixes four regions: most pairs are masked.
            assert (b.attn_mask[-1] == MASK_VALUE).sum() == 16 * 16 - 4 * 4 * 4


def test_shifted_window_mask_matches_stored_buffer():
    b = blocks(tiny_swinir())[1]
    assert torch.equal(shifted_window_mask(8, 8, 4, 2), b.attn_mask)
    # A different run-time size gives a mask with one entry per window.
    assert shifted_window_mask(12, 8, 4, 2).shape == (6, 16, 16)


def test_window_smaller_than_image_disables_shift():
    # Official rule: if the map fits in one window, no shift and a smaller window.
    b = SwinTransformerBlock(12, (4, 4), num_heads=2, window_size=8, shift_size=4)
    assert b.shift_size == 0 and b.window_size == 4 and b.attn_mask is None


def _block_output(block, x, h, w):
    with torch.no_grad():
        return block(x.flatten(1, 2), (h, w)).view(x.shape)


def test_shift_mask_blocks_attention_across_wrapped_regions():
    # In a shifted block on an 8x8 map (window 4, shift 2), image pixels (0, 0)
    # and (7, 7) are rolled into the same window but come from opposite image
    # corners, so the mask must stop (7, 7) influencing (0, 0).
    block = SwinTransformerBlock(
        12, (8, 8), num_heads=2, window_size=4, shift_size=2
    ).eval()
    x = torch.randn(1, 8, 8, 12)
    far, near = x.clone(), x.clone()
    # Random (not constant) changes: LayerNorm would cancel a constant offset.
    far[0, 7, 7] += 3.0 * torch.randn(12)
    near[0, 0, 1] += 3.0 * torch.randn(12)  # same region as (0, 0) after the shift
    base = _block_output(block, x, 8, 8)[0, 0, 0]
    assert torch.allclose(_block_output(block, far, 8, 8)[0, 0, 0], base, atol=1e-6)
    assert not torch.allclose(
        _block_output(block, near, 8, 8)[0, 0, 0], base, atol=1e-3
    )
    # Control: without the mask the wrapped pixel does leak in.
    block.attn_mask.zero_()
    assert not torch.allclose(
        _block_output(block, far, 8, 8)[0, 0, 0],
        _block_output(block, x, 8, 8)[0, 0, 0],
        atol=1e-3,
    )


def test_runtime_mask_used_for_other_sizes():
    # 12x12 differs from img_size 8: the block must build a 9-window mask,
    # not reuse the stored 4-window one.
    block = SwinTransformerBlock(
        12, (8, 8), num_heads=2, window_size=4, shift_size=2
    ).eval()
    x = torch.randn(1, 12, 12, 12)
    far = x.clone()
    far[0, 11, 11] += 3.0 * torch.randn(12)
    assert torch.allclose(
        _block_output(block, far, 12, 12)[0, 0, 0],
        _block_output(block, x, 12, 12)[0, 0, 0],
        atol=1e-6,
    )
    # ... while a same-region neighbour does change it.
    near = x.clone()
    near[0, 1, 0] += 3.0 * torch.randn(12)
    assert not torch.allclose(
        _block_output(block, near, 12, 12)[0, 0, 0],
        _block_output(block, x, 12, 12)[0, 0, 0],
        atol=1e-3,
    )


# --------------------------------------------------------------------------- attention paths


def _attention_case(dtype=torch.float32, shifted=True):
    """A shifted-window attention layer with non-zero bias, its input and a mask (2 images,
    4 windows each, 3 heads of dim 4)."""
    from asym.nets.swinir import WindowAttention

    attn = WindowAttention(12, (4, 4), num_heads=3).to(dtype)
    with torch.no_grad():
        attn.relative_position_bias_table.normal_(0, 0.5)
    x = torch.randn(8, 16, 12, dtype=dtype)
    mask = shifted_window_mask(8, 8, 4, 2, dtype=dtype) if shifted else None
    return attn, x, mask


@pytest.mark.parametrize("shifted", [True, False])
def test_fused_attention_path_equals_the_official_graph(shifted):
    # On CUDA the attention runs as scaled_dot_product_attention with bias (+ mask) as attn_mask;
    # both paths are plain PyTorch, so they are compared here on the CPU, gradients included.
    attn, x, mask = _attention_case(torch.float64, shifted)
    with torch.no_grad():
        qkv = attn.qkv(x).reshape(8, 16, 3, 3, 4).permute(2, 0, 3, 1, 4)
        bias = attn.relative_position_bias().unsqueeze(0)
        bias_mask = bias if mask is None else bias + mask.unsqueeze(1)
    outs = []
    for path in (attn._attend, attn._attend_sdpa):
        q, k, v = (t.detach().clone().requires_grad_(True) for t in qkv)
        out = path(q, k, v, bias_mask)
        out.backward(torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out))
        outs.append((out.detach(), q.grad, k.grad, v.grad))
    for a, b in zip(*outs):
        assert a.abs().max() > 0 and torch.allclose(a, b, atol=1e-12)


def test_attention_dropout_is_applied_in_training_only():
    from asym.nets.swinir import WindowAttention

    attn = WindowAttention(12, (4, 4), num_heads=3, attn_drop=0.5).train()
    x = torch.randn(8, 16, 12)
    torch.manual_seed(1)
    a = attn(x)
    torch.manual_seed(1)
    assert torch.equal(a, attn(x))
    assert not torch.allclose(attn.eval()(x), a)


# --------------------------------------------------------------------------- state dict


OFFICIAL_KEYS = [
    "conv_first.weight",
    "patch_embed.norm.weight",
    "layers.0.residual_group.blocks.0.attn.relative_position_bias_table",
    "layers.0.residual_group.blocks.0.attn.relative_position_index",
    "layers.0.residual_group.blocks.0.attn.qkv.weight",
    "layers.0.residual_group.blocks.0.attn.proj.weight",
    "layers.0.residual_group.blocks.0.norm1.weight",
    "layers.0.residual_group.blocks.0.norm2.weight",
    "layers.0.residual_group.blocks.0.mlp.fc1.weight",
    "layers.0.residual_group.blocks.0.mlp.fc2.weight",
    "layers.0.residual_group.blocks.1.attn_mask",
    "layers.0.conv.weight",
    "layers.1.residual_group.blocks.1.attn_mask",
    "norm.weight",
    "conv_after_body.weight",
    "conv_before_upsample.0.weight",
    "upsample.0.weight",
    "upsample.2.weight",
    "conv_last.weight",
]


def test_state_dict_uses_official_names():
    sd = tiny_swinir(upscale=4).state_dict()
    missing = [k for k in OFFICIAL_KEYS if k not in sd]
    assert not missing
    # Unshifted blocks store no mask; the RGB mean is not part of the checkpoint.
    assert "layers.0.residual_group.blocks.0.attn_mask" not in sd
    assert "mean" not in sd
    assert sd["layers.0.residual_group.blocks.0.attn.qkv.weight"].shape == (36, 12)
    assert sd["layers.0.residual_group.blocks.0.mlp.fc1.weight"].shape == (24, 12)
    assert sd["conv_before_upsample.0.weight"].shape == (64, 12, 3, 3)
    assert sd["upsample.0.weight"].shape == (256, 64, 3, 3)
    assert sd["conv_last.weight"].shape == (3, 64, 3, 3)


def test_strict_load_state_dict_round_trip():
    torch.manual_seed(1)
    src = tiny_swinir(upscale=2, resi_connection="3conv").eval()
    torch.manual_seed(2)
    dst = tiny_swinir(upscale=2, resi_connection="3conv").eval()
    x = torch.rand(1, 3, 9, 9)
    with torch.no_grad():
        assert not torch.allclose(src(x), dst(x))
        result = dst.load_state_dict(src.state_dict(), strict=True)
        assert not result.missing_keys and not result.unexpected_keys
        assert torch.equal(src(x), dst(x))


def test_strict_load_rejects_other_img_size():
    # attn_mask is sized by img_size, so a checkpoint only loads into the same img_size.
    with pytest.raises(RuntimeError, match="attn_mask"):
        tiny_swinir(img_size=12).load_state_dict(
            tiny_swinir().state_dict(), strict=True
        )


def test_mean_and_img_range():
    model = tiny_swinir()
    assert torch.allclose(model.mean.flatten(), torch.tensor([0.4488, 0.4371, 0.4040]))
    assert tiny_swinir(in_chans=1).mean.flatten().tolist() == [0.0]
    with torch.no_grad():
        y = tiny_swinir(in_chans=1, upscale=2).eval()(torch.rand(1, 1, 8, 8))
    assert y.shape == (1, 1, 16, 16)


def test_swinir_deterministic_under_seed():
    x = torch.rand(1, 3, 8, 8)
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        model = tiny_swinir(upscale=2).eval()
        with torch.no_grad():
            outs.append(model(x))
    assert torch.equal(outs[0], outs[1])
    torch.manual_seed(124)
    with torch.no_grad():
        assert not torch.equal(tiny_swinir(upscale=2).eval()(x), outs[0])


# --------------------------------------------------------------------------- builders


def test_build_generator_from_spec():
    spec = {
        "name": "swinir",
        "upscale": 2,
        "embed_dim": 12,
        "depths": [1],
        "num_heads": [2],
        "window_size": 4,
        "mlp_ratio": 2.0,
        "img_size": 8,
    }
    model = build_generator(spec)
    assert isinstance(model, SwinIR) and model.upscale == 2 and model.embed_dim == 12
    assert spec["name"] == "swinir"  # spec not mutated
    assert GENERATORS["swinir"] is SwinIR


def test_build_generator_errors():
    with pytest.raises(ValueError, match=r"unknown generator 'edsr'.*swinir"):
        build_generator({"name": "edsr"})
    with pytest.raises(ValueError, match="embed_dimm"):
        build_generator({"name": "swinir", "embed_dimm": 12})
    with pytest.raises(ValueError, match="name"):
        build_generator({"upscale": 4})


def test_build_discriminator_from_spec_and_errors():
    d = build_discriminator(
        {"name": "patchgan", "ndf": 8, "n_layers": 2, "norm": "batch"}
    )
    assert isinstance(d, PatchGAN)
    assert DISCRIMINATORS["patchgan"] is PatchGAN
    with pytest.raises(ValueError, match=r"unknown discriminator 'stylegan'.*patchgan"):
        build_discriminator({"name": "stylegan"})
    with pytest.raises(ValueError, match="'n_layer'"):
        build_discriminator({"name": "patchgan", "n_layer": 3})


# --------------------------------------------------------------------------- PatchGAN


@pytest.mark.parametrize("n_layers,side", [(2, 14), (3, 6)])
@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_patchgan_output_shape(n_layers, side, norm):
    d = PatchGAN(ndf=8, n_layers=n_layers, norm=norm)
    y = d(torch.rand(2, 3, 64, 64))
    assert y.shape == (2, 1, side, side)
    assert torch.isfinite(y).all()


def test_patchgan_layout():
    d = PatchGAN(ndf=8, n_layers=3, norm="batch")
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64, 1]
    assert [c.stride[0] for c in convs] == [2, 2, 2, 1, 1]
    assert all(c.kernel_size == (4, 4) and c.padding == (1, 1) for c in convs)
    # Convs followed by BatchNorm drop their redundant bias.
    assert [c.bias is not None for c in convs] == [True, False, False, False, True]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules()) == 3
    # Channel multiplier caps at 8.
    deep = PatchGAN(ndf=4, n_layers=5, norm="none")
    assert (
        max(m.out_channels for m in deep.modules() if isinstance(m, torch.nn.Conv2d))
        == 32
    )


def test_patchgan_maps_unit_range_to_symmetric():
    d = PatchGAN(ndf=4, n_layers=2, norm="none")
    seen = {}
    d.model[0].register_forward_pre_hook(lambda _m, args: seen.setdefault("x", args[0]))
    d(torch.zeros(1, 3, 32, 32) + torch.tensor([0.0, 0.5, 1.0]).view(1, 3, 1, 1))
    assert seen["x"][0, :, 0, 0].tolist() == [-1.0, 0.0, 1.0]


def test_patchgan_spectral_norm():
    d = PatchGAN(ndf=8, n_layers=2, spectral_norm=True)
    names = [n for n, _ in d.named_parameters()]
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert sum(n.endswith("weight_orig") for n in names) == len(convs) == 4
    assert not any(n.endswith(".weight") for n in names)
    assert (
        PatchGAN(ndf=8, n_layers=2)(torch.rand(1, 3, 64, 64)).shape
        == d(torch.rand(1, 3, 64, 64)).shape
    )
    assert not any("weight_orig" in n for n, _ in PatchGAN(ndf=8).named_parameters())


def test_patchgan_rejects_bad_norm():
    with pytest.raises(ValueError, match="norm"):
        PatchGAN(norm="layer")


def test_patchgan_gradients_and_determinism():
    torch.manual_seed(5)
    d1 = PatchGAN(ndf=8, n_layers=2, norm="instance")
    torch.manual_seed(5)
    d2 = PatchGAN(ndf=8, n_layers=2, norm="instance")
    x = torch.rand(2, 3, 32, 32)
    y1 = d1(x)
    assert torch.equal(y1, d2(x))
    y1.mean().backward()
    assert all(
        p.grad is not None and torch.isfinite(p.grad).all() for p in d1.parameters()
    )
