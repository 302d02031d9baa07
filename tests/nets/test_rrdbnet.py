"""RRDBNet (ESRGAN generator) and the loader of official generator weights.

Tiny configurations (8 features, 1-2 blocks). Run: ``pytest tests/nets/test_rrdbnet.py -q``.
"""

from __future__ import annotations

import pytest
import torch

from asym.nets.generators import (
    GENERATORS,
    OfficialWeightsError,
    build_generator,
    esrgan_old_to_new,
    load_official,
)
from asym.nets.rrdbnet import RRDB, ResidualDenseBlock, RRDBNet
from asym.nets.swinir import SwinIR

TINY = {"num_feat": 8, "num_block": 2, "num_grow_ch": 4}


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("scale,hw", [(4, (8, 8)), (4, (7, 10)), (2, (8, 12)), (1, (8, 8))])
def test_output_shape(scale, hw):
    net = RRDBNet(scale=scale, **TINY).eval()
    with torch.no_grad():
        y = net(torch.rand(2, 3, *hw))
    assert y.shape == (2, 3, scale * hw[0], scale * hw[1])
    assert torch.isfinite(y).all()


def test_rejects_bad_scale_and_sizes():
    with pytest.raises(ValueError, match="scale"):
        RRDBNet(scale=3)
    with pytest.raises(ValueError, match="divisible by 2"):
        RRDBNet(scale=2, **TINY)(torch.rand(1, 3, 7, 8))
    with pytest.raises(ValueError, match="disagree"):
        RRDBNet(scale=2, upscale=4)


def test_official_parameter_names_and_shapes():
    sd = RRDBNet(**TINY).state_dict()
    expected = {
        "conv_first.weight": (8, 3, 3, 3),
        "body.0.rdb1.conv1.weight": (4, 8, 3, 3),
        "body.0.rdb1.conv2.weight": (4, 12, 3, 3),
        "body.0.rdb1.conv5.weight": (8, 24, 3, 3),
        "body.1.rdb3.conv5.bias": (8,),
        "conv_body.weight": (8, 8, 3, 3),
        "conv_up1.weight": (8, 8, 3, 3),
        "conv_up2.weight": (8, 8, 3, 3),
        "conv_hr.weight": (8, 8, 3, 3),
        "conv_last.weight": (3, 8, 3, 3),
    }
    for key, shape in expected.items():
        assert tuple(sd[key].shape) == shape, key
    # 2 blocks x 3 dense blocks x 5 convs + 6 outer convs, weight and bias each.
    assert len(sd) == 2 * (2 * 3 * 5 + 6)
    assert all(k.split(".")[0] in {"conv_first", "body", "conv_body", "conv_up1", "conv_up2", "conv_hr",
                                   "conv_last"} for k in sd)
    # Scale 2 folds 2x2 pixels into channels (Real-ESRGAN x2).
    assert RRDBNet(scale=2, **TINY).conv_first.weight.shape == (8, 12, 3, 3)


def test_residual_scaling_and_small_init():
    rdb = ResidualDenseBlock(8, 4)
    x = torch.rand(1, 8, 5, 5)
    with torch.no_grad():
        for conv in (rdb.conv1, rdb.conv2, rdb.conv3, rdb.conv4):
            conv.weight.zero_()
        rdb.conv5.weight.zero_()
        rdb.conv5.bias.fill_(1.0)
        assert torch.allclose(rdb(x), x + 0.2)  # x + 0.2 * conv5(...)
    block = RRDB(8, 4)
    # ESRGAN's 0.1-scaled MSRA init: each dense block starts near the identity, so an
    # RRDB (x + 0.2 * rdb3(rdb2(rdb1(x)))) starts near 1.2 x.
    assert all(m.conv1.bias.abs().sum() == 0 for m in (block.rdb1, block.rdb2, block.rdb3))
    with torch.no_grad():
        assert (block.rdb1(x) - x).abs().max() < 0.05
        assert (block(x) - 1.2 * x).abs().max() < 0.05


def test_gradients_reach_every_parameter():
    net = RRDBNet(**TINY)
    net(torch.rand(2, 3, 6, 6)).square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_registered_and_built_from_config_keys():
    assert GENERATORS["rrdbnet"] is RRDBNet and GENERATORS["swinir"] is SwinIR
    net = build_generator({"name": "rrdbnet", "upscale": 4, **TINY})
    assert isinstance(net, RRDBNet) and net.scale == net.upscale == 4
    assert build_generator({"name": "rrdbnet", "upscale": 2, **TINY}).scale == 2
    with pytest.raises(ValueError, match="num_blocks"):
        build_generator({"name": "rrdbnet", "num_blocks": 2})


# --------------------------------------------------------------------------- official weights


def _old_esrgan_layout(state: dict) -> dict:
    """The key layout of the original ESRGAN repository's RRDBNet_arch.py."""
    out = {}
    for k, v in state.items():
        k = (k.replace("body.", "RRDB_trunk.", 1) if k.startswith("body.") else k)
        for new, old in (("rdb1", "RDB1"), ("rdb2", "RDB2"), ("rdb3", "RDB3")):
            k = k.replace(f".{new}.", f".{old}.")
        for new, old in (("conv_body", "trunk_conv"), ("conv_up1", "upconv1"), ("conv_up2", "upconv2"),
                         ("conv_hr", "HRconv")):
            if k.startswith(new + "."):
                k = old + k[len(new):]
        out[k] = v
    return out


def test_load_old_esrgan_layout(tmp_path):
    src = RRDBNet(**TINY)
    old = _old_esrgan_layout(src.state_dict())
    assert "RRDB_trunk.1.RDB3.conv5.weight" in old and "HRconv.bias" in old and "trunk_conv.weight" in old
    path = tmp_path / "RRDB_ESRGAN_x4.pth"
    torch.save(old, path)
    dst = load_official(RRDBNet(**TINY), path)
    assert all(torch.equal(dst.state_dict()[k], v) for k, v in src.state_dict().items())
    assert esrgan_old_to_new(old).keys() == src.state_dict().keys()


def test_load_basicsr_params_ema_preferred_and_key_override(tmp_path):
    ema, plain = RRDBNet(**TINY), RRDBNet(**TINY)
    path = tmp_path / "ESRGAN_basicsr.pth"
    # Weights saved from DataParallel carry "module."; the loader strips it.
    torch.save({"params": plain.state_dict(),
                "params_ema": {f"module.{k}": v for k, v in ema.state_dict().items()}}, path)
    net = load_official(RRDBNet(**TINY), path)
    assert torch.equal(net.conv_last.weight, ema.conv_last.weight)
    net = load_official(RRDBNet(**TINY), path, key="params")
    assert torch.equal(net.conv_last.weight, plain.conv_last.weight)
    with pytest.raises(OfficialWeightsError, match="no key 'params_g'"):
        load_official(RRDBNet(**TINY), path, key="params_g")


def _tiny_swinir(**kw) -> SwinIR:
    return SwinIR(**{"upscale": 2, "img_size": 8, "window_size": 4, "embed_dim": 12, "depths": [2],
                     "num_heads": [2], "mlp_ratio": 2.0, **kw})


@pytest.mark.parametrize("key", ["params", "params_ema"])
def test_load_swinir(tmp_path, key):
    src = _tiny_swinir().eval()
    path = tmp_path / "swinir.pth"
    torch.save({key: src.state_dict()}, path)
    dst = load_official(_tiny_swinir(), path).eval()
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(dst(x), src(x))


def test_swinir_img_size_mismatch_names_the_buffer(tmp_path):
    path = tmp_path / "swinir.pth"
    torch.save({"params_ema": _tiny_swinir().state_dict()}, path)
    with pytest.raises(OfficialWeightsError, match=r"attn_mask.*img_size"):
        load_official(_tiny_swinir(img_size=12), path)


def test_shape_mismatch_names_the_parameter(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({"params": RRDBNet(num_feat=8, num_block=1, num_grow_ch=4).state_dict()}, path)
    with pytest.raises(OfficialWeightsError, match=r"'body\.0\.rdb1\.conv1\.weight' has shape \(4, 8, 3, 3\)"):
        load_official(RRDBNet(num_feat=8, num_block=1, num_grow_ch=6), path)
    with pytest.raises(OfficialWeightsError, match=r"missing key.*body\.1\."):
        load_official(RRDBNet(num_feat=8, num_block=2, num_grow_ch=4), path)


def test_missing_file_names_path_and_source(tmp_path):
    path = tmp_path / "nowhere" / "RRDB_ESRGAN_x4.pth"
    with pytest.raises(FileNotFoundError, match=r"nowhere.*ESRGAN"):
        load_official(RRDBNet(**TINY), path)


def test_truncated_file_is_reported(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({"params": RRDBNet(**TINY).state_dict()}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OfficialWeightsError, match="truncated"):
        load_official(RRDBNet(**TINY), path)


def test_not_a_state_dict_is_reported(tmp_path):
    path = tmp_path / "w.pth"
    torch.save({"params": {"conv_first.weight": torch.zeros(1)}, "iter": 5}, path)
    with pytest.raises(OfficialWeightsError, match="missing key"):
        load_official(RRDBNet(**TINY), path)
    torch.save({"net_g": 3}, path)
    with pytest.raises(OfficialWeightsError, match="not a plain state dict"):
        load_official(RRDBNet(**TINY), path)
