"""Winograd F(2x2, 3x3) / F(4x4, 3x3) convolutions (asym.accel.winograd) and their use in VGG-16."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from asym.accel import winograd
from asym.accel.dists import use_fast_dists
from asym.accel.winograd import WinogradConv, winograd_conv3x3, winograd_kernel
from asym.nets.backbones import build_backbone


def _direct64(x, weight, bias=None):
    """The exact convolution (float64), to measure float32 rounding against."""
    return F.conv2d(x.double(), weight.double(), None if bias is None else bias.double(), padding=1)


def _rel_err(got, expected):
    return ((got.double() - expected).abs().max() / expected.abs().max()).item()


# Float32 rounding relative to the largest output. Direct float32 convolution: ~1e-6.
# F(4, 3)'s transforms (entries up to 8, and 1/24 in G) amplify it about tenfold.
TOL = {2: 2e-6, 4: 2e-5}


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("shape", [(2, 5, 8, 8), (1, 3, 9, 7), (3, 4, 4, 12), (2, 6, 1, 2)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_winograd_conv_equals_direct_convolution(m, shape, channels_last):
    g = torch.Generator().manual_seed(sum(shape) + m)
    n, c, h, w = shape
    x = torch.randn(shape, generator=g)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    weight, bias = torch.randn(7, c, 3, 3, generator=g), torch.randn(7, generator=g)
    for b in (None, bias):
        out = winograd_conv3x3(x, winograd_kernel(weight, m), b)
        assert out.shape == (n, 7, h, w)
        assert out.is_contiguous(memory_format=torch.channels_last)
        assert _rel_err(out, _direct64(x, weight, b)) < TOL[m]  # float32 rounding, not an approximation
    # Sensitivity: a kernel that is off in one tap is far off.
    wrong = weight.clone()
    wrong[0, 0, 1, 2] += 1
    assert _rel_err(winograd_conv3x3(x, winograd_kernel(wrong, m), bias), _direct64(x, weight, bias)) > 1e-2


def test_large_inputs_go_through_in_bands_with_the_same_result(monkeypatch):
    g = torch.Generator().manual_seed(0)
    x, weight, bias = torch.randn(2, 8, 22, 18, generator=g), torch.randn(5, 8, 3, 3, generator=g), torch.randn(5)
    kernel = winograd_kernel(weight)
    whole = winograd_conv3x3(x, kernel, bias)
    calls = []
    real_bmm = torch.bmm
    monkeypatch.setattr(winograd.torch, "bmm", lambda *a: calls.append(1) or real_bmm(*a))
    monkeypatch.setattr(winograd, "MAX_BAND_NUMBERS", 36 * 2 * 5 * 8 * 2)  # two tile rows of 5 per band
    banded = winograd_conv3x3(x, kernel, bias)
    assert len(calls) == 3  # 6 tile rows (22 rows / 4, rounded up) in bands of 2
    assert (banded - whole).abs().max() <= TOL[4] * whole.abs().max()
    assert _rel_err(banded, _direct64(x, weight, bias)) < TOL[4]


def test_kernel_of_the_wrong_size_is_rejected():
    kernel = winograd_kernel(torch.randn(4, 3, 3, 3))
    with pytest.raises(ValueError, match="for 5 input channels"):
        winograd_conv3x3(torch.randn(1, 5, 8, 8), kernel)
    with pytest.raises(ValueError, match="3 x 3 kernel"):
        winograd_kernel(torch.randn(4, 3, 5, 5))


def _layer(c_in=8, c_out=256, seed=0):
    torch.manual_seed(seed)
    return nn.Conv2d(c_in, c_out, 3, padding=1).requires_grad_(False)


def test_input_gradient_equals_autograd():
    conv = _layer()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 8, 10, 12, generator=g, requires_grad=True)
    grad_out = torch.randn(2, 256, 10, 12, generator=g)
    (expected,) = torch.autograd.grad(F.conv2d(x.double(), conv.weight.double(), padding=1),
                                      x, grad_out.double())
    got = WinogradConv().input_grad(conv, grad_out)
    assert got.shape == x.shape
    assert _rel_err(got, expected) < TOL[4]


def test_cached_kernels_follow_the_weights():
    conv, fast = _layer(), WinogradConv()
    x = torch.randn(1, 8, 8, 8)
    first = fast(conv, x)
    assert torch.equal(fast(conv, x), first)  # cached: the same numbers
    with torch.no_grad():
        conv.weight.mul_(2)  # in place, as an optimizer or a no-grad edit would
    assert _rel_err(fast(conv, x) - conv.bias.view(1, -1, 1, 1), _direct64(x, conv.weight)) < TOL[4]
    conv.load_state_dict(_layer(seed=3).state_dict())
    assert _rel_err(fast(conv, x), _direct64(x, conv.weight, conv.bias)) < TOL[4]
    copied = copy.deepcopy(fast)
    assert copied._cache == {} and fast._cache  # copies do not carry another layer set's kernels


def test_winograd_applies_only_to_the_layers_and_inputs_it_is_faster_and_right_for():
    conv = _layer(128, 256)
    x = torch.randn(1, 128, 16, 16)
    assert WinogradConv.applies(conv, x)
    assert not WinogradConv.applies(conv, x.double())
    assert not WinogradConv.applies(conv, x[..., :4, :4])  # one F(4, 3) tile per image: slower
    assert not WinogradConv.applies(_layer(128, 128), x)  # few output channels: transforms dominate
    assert not WinogradConv.applies(nn.Conv2d(128, 256, 3, stride=2, padding=1), x)
    assert not WinogradConv.applies(nn.Conv2d(128, 256, 3, padding=1, groups=2), x)
    assert not WinogradConv.applies(nn.Conv2d(128, 256, 5, padding=2), x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not WinogradConv.applies(conv, x)


def _count_winograd(monkeypatch) -> list:
    calls = []
    real = winograd.winograd_conv3x3
    monkeypatch.setattr(winograd, "winograd_conv3x3", lambda *a: calls.append(a[0].shape) or real(*a))
    return calls


def test_vgg16_scoring_runs_stages_3_and_4_by_winograd_with_the_direct_values(monkeypatch):
    net = use_fast_dists(build_backbone("vgg16", init_seed=0))
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        monkeypatch.setattr(WinogradConv, "MIN_OUT_CHANNELS", 10**9)
        direct = net(x)
        monkeypatch.undo()
        calls = _count_winograd(monkeypatch)
        fast = net(x)
    # Stage 3 on 16 x 16 and stage 4 on 8 x 8 maps, three layers each; stage 5's 4 x 4 maps stay direct.
    assert [s[-1] for s in calls] == [16, 16, 16, 8, 8, 8]
    for got, expected in zip(fast[1:], direct[1:]):
        assert (got - expected).abs().max() <= 1e-5 * expected.abs().max()
    calls.clear()
    net(x.requires_grad_(True))  # a gradient wanted through the input: autograd's convolutions
    assert calls == []


def test_paired_vgg16_pass_by_winograd_equals_direct_convolutions_in_value_and_gradient(monkeypatch):
    net = use_fast_dists(build_backbone("vgg16", init_seed=0))
    g = torch.Generator().manual_seed(1)
    pred0, ref = torch.rand(2, 3, 64, 64, generator=g), torch.rand(2, 3, 64, 64, generator=g)
    results = []
    for use_winograd in (True, False):
        monkeypatch.setattr(WinogradConv, "MIN_OUT_CHANNELS", 256 if use_winograd else 10**9)
        calls = _count_winograd(monkeypatch)
        pred = pred0.clone().requires_grad_(True)
        pred_feats, ref_feats = net.paired_features(pred, ref)
        sum(((p - r.mean()) * (1 + r)).square().mean() for p, r in zip(pred_feats, ref_feats)).backward()
        # Forward (both halves at once) and input gradients: six layers each way.
        assert len(calls) == (12 if use_winograd else 0)
        results.append(([f.detach() for f in pred_feats + ref_feats], pred.grad))
        monkeypatch.undo()
    (feats, grad), (feats0, grad0) = results
    for got, expected in zip(feats, feats0):
        assert (got - expected).abs().max() <= 1e-5 * expected.abs().max()
    assert grad0.abs().max() > 0
    assert (grad - grad0).abs().max() <= 1e-4 * grad0.abs().max()


def test_kernels_cached_under_inference_mode_serve_a_later_training_pass():
    # Scoring under inference_mode fills the cache with inference tensors; a loss with a
    # gradient afterwards must still run (they are only read, never saved for backward).
    net = use_fast_dists(build_backbone("vgg16", init_seed=0))
    g = torch.Generator().manual_seed(3)
    pred, ref = torch.rand(1, 3, 64, 64, generator=g), torch.rand(1, 3, 64, 64, generator=g)
    with torch.inference_mode():
        scored = net(pred)
    assert net.winograd._cache
    pred.requires_grad_(True)
    pred_feats, _ = net.paired_features(pred, ref)
    sum(f.square().mean() for f in pred_feats).backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().max() > 0
    for got, expected in zip(pred_feats[1:], scored[1:]):
        assert torch.allclose(got.detach(), expected, rtol=0, atol=1e-5 * expected.abs().max().item())


def test_compiled_graphs_keep_the_direct_convolution(monkeypatch):
    # Under torch.compile the Winograd path stays out of the graph: its kernel cache keys
    # on weight versions, which a traced graph would bake in.
    net = use_fast_dists(build_backbone("vgg16", init_seed=0))
    calls = _count_winograd(monkeypatch)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        eager = net(x)
        assert calls  # eager scoring takes the Winograd path
        calls.clear()
        compiled = torch.compile(net, backend="eager")(x)
    assert calls == []
    for got, expected in zip(compiled[1:], eager[1:]):
        assert (got - expected).abs().max() <= 1e-5 * expected.abs().max()
