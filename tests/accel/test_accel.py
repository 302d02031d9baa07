"""The speed layer (asym.accel): each hand-written kernel against the reference it replaces.

Small cases in float64 (exact to rounding, gradcheck); realistic sizes (a 200 x 320 image)
in float32 against a float64 reference, gradients included, within 1e-3 relative to the
reference's largest entry. ``kernels: reference`` leaves every module as it is.
"""

from __future__ import annotations

import copy

import pytest
import torch

from asym.accel.attention import (
    FastSwinTransformerBlock,
    FastWindowAttention,
    GatherTokens,
    RelativePositionBias,
    WindowAttentionCore,
    use_fast_attention,
    window_token_order,
)
from asym.accel.dists import CentredMoments, FastChannelMoments, FastVGG16Stages, use_fast_dists
from asym.accel.switch import KERNELS, check_kernels
from asym.assess.fidelity import build_metric
from asym.errors import ConfigError
from asym.nets.backbones import VGG16Stages, build_backbone
from asym.nets.statistics import ChannelMoments
from asym.nets.swinir import SwinIR, SwinTransformerBlock, WindowAttention
from asym.nets.windows import shifted_window_mask

DISTS_R = {"name": "dists_r", "kind": "dists_style", "backbone": "vgg16", "init": "random", "init_seed": 0,
           "group": "vgg16"}
RELATIVE = 1e-3  # the realistic-size tolerance, relative to the float64 reference's largest entry


def _rel(got: torch.Tensor, ref: torch.Tensor) -> float:
    return ((got.double() - ref).abs().max() / ref.abs().max()).item()


# --------------------------------------------------------------------------- the switch


def test_the_switch_knows_two_settings_and_names_the_key_otherwise():
    assert KERNELS == ("reference", "fast") and check_kernels("fast") == "fast"
    with pytest.raises(ConfigError, match="kernels"):
        check_kernels("faster")
    ref = build_metric(DISTS_R)
    assert type(ref.backbone) is VGG16Stages and type(ref.moments) is ChannelMoments
    fast = build_metric(DISTS_R, kernels="fast")
    assert type(fast.backbone) is FastVGG16Stages and type(fast.moments) is FastChannelMoments
    assert fast.state_dict().keys() == ref.state_dict().keys()
    net = use_fast_attention(SwinIR(embed_dim=12, depths=(2,), num_heads=(2,), window_size=4, img_size=8))
    kinds = {type(m) for m in net.modules()}
    assert {FastWindowAttention, FastSwinTransformerBlock} <= kinds
    assert not kinds & {WindowAttention, SwinTransformerBlock}


# --------------------------------------------------------------------------- window attention


def _attention_case(dtype=torch.float32, shifted=True, device="cpu"):
    """A shifted-window attention layer with non-zero bias, its input and a mask (2 images,
    4 windows each, 3 heads of dim 4: every layout the core transposes is non-square)."""
    attn = WindowAttention(12, (4, 4), num_heads=3).to(dtype)
    with torch.no_grad():
        attn.relative_position_bias_table.normal_(0, 0.5)
    x = torch.randn(8, 16, 12, dtype=dtype)
    mask = shifted_window_mask(8, 8, 4, 2, dtype=dtype) if shifted else None
    return attn.to(device), x.to(device), None if mask is None else mask.to(device)


def _grads(module, x, forward):
    x = x.clone().requires_grad_(True)
    out = forward(x)
    out.backward(torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out))
    grads = [x.grad] + [p.grad.clone() for p in module.parameters()]
    module.zero_grad(set_to_none=True)
    return out.detach(), grads


@pytest.mark.parametrize("shifted", [True, False])
def test_fused_attention_equals_the_reference_in_value_and_gradient(shifted, device):
    attn, x, mask = _attention_case(torch.float64, shifted, device)
    out_r, grads_r = _grads(attn, x, lambda t: attn(t, mask))
    fast = use_fast_attention(copy.deepcopy(attn))
    out_f, grads_f = _grads(fast, x, lambda t: fast(t, mask))
    assert torch.allclose(out_f, out_r, atol=1e-12)
    assert len(grads_f) == 6  # x, table, qkv weight and bias, proj weight and bias
    for gf, gr in zip(grads_f, grads_r):
        assert gr.abs().max() > 0 and torch.allclose(gf, gr, atol=1e-11)


def test_fused_attention_core_gradcheck(device):
    def leaf(*shape):
        return torch.randn(*shape, dtype=torch.float64).to(device).requires_grad_(True)

    qkv, bias_mask, weight, bias = leaf(4, 9, 3 * 2 * 3), leaf(2, 2, 9, 9), leaf(6, 6), leaf(6)
    assert torch.autograd.gradcheck(lambda a, b, w, c: WindowAttentionCore.apply(a, b, 2, 0.7, w, c),
                                    (qkv, bias_mask, weight, bias))


def test_attention_dropout_keeps_the_reference_forward():
    attn = use_fast_attention(WindowAttention(12, (4, 4), num_heads=3, attn_drop=0.5).train())
    x = torch.randn(8, 16, 12)
    torch.manual_seed(1)
    a = attn(x)
    torch.manual_seed(1)
    assert torch.equal(a, WindowAttention.forward(attn, x))


@pytest.mark.parametrize("shift", [0, 4])
def test_swin_layer_token_gathers_equal_roll_and_partition(shift, device):
    torch.manual_seed(0)
    block = SwinTransformerBlock(12, (16, 24), 3, window_size=8, shift_size=shift, mlp_ratio=2.0).double()
    block = block.to(device)
    fast = use_fast_attention(copy.deepcopy(block))
    x0 = torch.randn(2, 16 * 24, 12, dtype=torch.float64).to(device)
    (y, gs), (ref_y, ref_gs) = (_grads(m, x0, lambda t, m=m: m(t, (16, 24))) for m in (fast, block))
    assert torch.allclose(y, ref_y, atol=1e-12)
    assert all(torch.allclose(a, r, atol=1e-12) for a, r in zip(gs, ref_gs))
    order, inverse = window_token_order(16, 24, 8, shift, str(x0.device))
    assert torch.equal(order[inverse], torch.arange(16 * 24, device=x0.device))
    t = torch.randn(1, 16 * 24, 2, dtype=torch.float64, device=x0.device, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a: GatherTokens.apply(a, order, inverse), (t,))


def test_relative_position_bias_function_equals_indexing_in_value_and_table_gradient(device):
    attn = WindowAttention(12, (4, 6), 3).double().to(device)
    g = torch.randn(3, 24, 24, dtype=torch.float64).to(device)
    grads = []
    for fast in (True, False):
        attn.zero_grad()
        if fast:
            bias = RelativePositionBias.apply(attn.relative_position_bias_table,
                                              attn.relative_position_index.view(-1), 24)
        else:
            bias = attn.relative_position_bias()
        (bias * g).sum().backward()
        grads.append((bias.detach(), attn.relative_position_bias_table.grad.clone()))
    (b, gt), (ref_b, ref_gt) = grads
    assert b.shape == (3, 24, 24) and torch.equal(b, ref_b)
    assert gt.abs().max() > 0 and torch.allclose(gt, ref_gt, atol=1e-12)


def test_masked_attention_weights_are_exact_zeros_not_denormals(device):
    attn, x, mask = _attention_case(torch.float32, shifted=True, device=device)
    fast = use_fast_attention(copy.deepcopy(attn)).eval()
    out = fast(x, mask)
    weights = out.grad_fn.saved_tensors[3]  # q, k, v, attention weights, ...
    assert weights.shape == (8, 3, 16, 16)
    masked = (mask < 0).repeat(2, 1, 1).unsqueeze(1).expand_as(weights)
    assert masked.any() and (weights[masked] == 0).all()
    assert not ((weights > 0) & (weights < torch.finfo(torch.float32).tiny)).any()
    assert torch.allclose(out, attn.eval()(x, mask), atol=1e-6)


@pytest.mark.slow
def test_fast_swinir_at_a_realistic_size_matches_float64_in_output_and_gradients():
    # A 50 x 80 LR input (the x4 output is 200 x 320) through two RSTBs at window 8, shifted layers included.
    torch.manual_seed(0)
    ref = SwinIR(upscale=4, img_size=48, window_size=8, embed_dim=60, depths=(2, 2), num_heads=(6, 6),
                 drop_path_rate=0.0)
    ref64 = copy.deepcopy(ref).double()
    fast = use_fast_attention(copy.deepcopy(ref))
    lr = torch.rand(1, 3, 50, 80)
    weights = torch.randn(1, 3, 200, 320)
    results = []
    for net, x in ((ref64, lr.double()), (fast, lr)):
        x = x.clone().requires_grad_(True)
        out = net(x)
        (out * weights.to(out.dtype)).sum().backward()
        results.append((out.detach(), x.grad, [p.grad for p in net.parameters()]))
    (out64, gx64, gp64), (out, gx, gp) = results
    assert _rel(out, out64) < RELATIVE and _rel(gx, gx64) < RELATIVE
    assert max(_rel(a, r) for a, r in zip(gp, gp64) if r.abs().max() > 0) < RELATIVE


# --------------------------------------------------------------------------- DISTS statistics


def _official_moments(x, y):
    """The official DISTS formulas, written out: what ChannelMoments computes."""
    mx, my = x.mean((2, 3), keepdim=True), y.mean((2, 3), keepdim=True)
    vx, vy = ((x - mx) ** 2).mean((2, 3)), ((y - my) ** 2).mean((2, 3))
    return mx.flatten(1), my.flatten(1), vx, vy, ((x * y).mean((2, 3)) - (mx * my).flatten(1))


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("y_grad", [False, True])
def test_centred_moments_match_the_reference_in_value_and_gradient(layout, y_grad, device):
    g = torch.Generator().manual_seed(3)
    x0 = torch.randn(2, 5, 6, 7, generator=g, dtype=torch.float64) + 2
    y0 = 0.5 * x0 + torch.randn(x0.shape, generator=g, dtype=torch.float64)
    x0, y0 = (t.to(device).contiguous(memory_format=layout) for t in (x0, y0))
    weights = [torch.randn(2, 5, generator=g, dtype=torch.float64).to(device) for _ in range(5)]
    results = []
    for fn in (CentredMoments.apply, ChannelMoments(), _official_moments):
        x, y = x0.clone().requires_grad_(True), y0.clone().requires_grad_(y_grad)
        outs = fn(x, y)
        sum((o * w).sum() for o, w in zip(outs, weights)).backward()
        results.append((outs, x.grad, y.grad))
    for outs, gx, gy in results[1:]:
        for o, r in zip(outs, results[0][0]):
            assert torch.allclose(o, r, rtol=1e-10, atol=1e-12)
        assert torch.allclose(gx, results[0][1], rtol=1e-9, atol=1e-12)
        assert (gy is None) == (not y_grad)
        if y_grad:
            assert torch.allclose(gy, results[0][2], rtol=1e-9, atol=1e-12)
    x, y = x0.clone().requires_grad_(True), y0.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(CentredMoments.apply, (x, y))


# --------------------------------------------------------------------------- paired VGG-16 pass


def test_fast_vgg16_stage_layouts_follow_the_map_size():
    # Stages 1-3 run channels-last, stages 4-5 NCHW on small maps (faster oneDNN kernels there).
    net = use_fast_dists(build_backbone("vgg16", init_seed=0))
    convs = {name: m for name, m in net.named_modules() if isinstance(m, torch.nn.Conv2d)}
    assert len(convs) == 13
    for name, conv in convs.items():
        layout = torch.contiguous_format if name.startswith(("stage4", "stage5")) else torch.channels_last
        assert conv.weight.is_contiguous(memory_format=layout), name
    with torch.no_grad():
        feats = net(torch.rand(2, 3, 32, 32))
        large = net(torch.rand(1, 3, 160, 160))  # stage 3 at 40 x 40: channels-last throughout
    assert feats[3].is_contiguous(memory_format=torch.channels_last)
    assert feats[4].is_contiguous() and feats[5].is_contiguous()
    assert all(f.is_contiguous(memory_format=torch.channels_last) for f in large[1:])


@pytest.mark.parametrize("shape", [(32, 32), (37, 45), (40, 56), (72, 80)])  # odd sides; the last: stages 4-5 channels-last
def test_vgg16_paired_features_equal_two_reference_passes_in_value_and_gradient(shape, device):
    ref_net = build_backbone("vgg16", init_seed=0).double().to(device)
    net = use_fast_dists(copy.deepcopy(ref_net))
    g = torch.Generator().manual_seed(1)
    pred0 = torch.rand(2, 3, *shape, generator=g, dtype=torch.float64).to(device)
    ref = torch.rand(2, 3, *shape, generator=g, dtype=torch.float64).to(device)
    results = []
    for paired in (True, False):
        pred = pred0.clone().requires_grad_(True)
        if paired:
            pred_feats, ref_feats = net.paired_features(pred, ref)
        else:
            pred_feats = ref_net(pred)
            with torch.no_grad():
                ref_feats = ref_net(ref)
        # A loss that mixes every stage map with its reference counterpart, like DISTS does.
        loss = sum(((p - r.mean()) * (1 + r)).square().mean() * (k + 1)
                   for k, (p, r) in enumerate(zip(pred_feats, ref_feats)))
        loss.backward()
        results.append(([f.detach() for f in pred_feats], [f.detach() for f in ref_feats], pred.grad))
    (pf, rf, grad), (pf0, rf0, grad0) = results
    assert all(torch.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(pf + rf, pf0 + rf0))
    assert grad.abs().max() > 0
    assert torch.allclose(grad, grad0, rtol=1e-9, atol=1e-13)
    assert not any(f.requires_grad for f in rf)


def _loss_grad(metric, pred, ref):
    pred = pred.clone().requires_grad_(True)
    loss = metric.loss(pred, ref)
    loss.backward()
    return loss.detach(), pred.grad


def test_fast_dists_loss_equals_the_reference_loss_and_gradient():
    g = torch.Generator().manual_seed(4)
    ref = torch.rand(2, 3, 48, 48, generator=g)
    pred = (ref + 0.2 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
    reference = build_metric(DISTS_R)
    loss_r, grad_r = _loss_grad(reference, pred, ref)
    loss_f, grad_f = _loss_grad(build_metric(DISTS_R, kernels="fast"), pred, ref)
    assert abs(loss_f - loss_r) <= 1e-5 * abs(loss_r)
    assert (grad_f - grad_r).abs().max() <= 1e-3 * grad_r.abs().max()
    with torch.no_grad():
        assert torch.allclose(build_metric(DISTS_R, kernels="fast").score(pred, ref), reference.score(pred, ref),
                              rtol=0, atol=1e-5)


@pytest.mark.slow
def test_fast_dists_at_a_realistic_size_matches_float64_in_score_and_gradient():
    # 200 x 320: stages 3-4 by Winograd (forward and input gradient), the paired pass, the moments kernel.
    g = torch.Generator().manual_seed(0)
    ref = torch.rand(1, 3, 200, 320, generator=g)
    pred = (ref + 0.1 * torch.randn(ref.shape, generator=g)).clamp(0, 1)
    reference64 = build_metric(DISTS_R).double()
    loss64, grad64 = _loss_grad(reference64, pred.double(), ref.double())
    loss, grad = _loss_grad(build_metric(DISTS_R, kernels="fast"), pred, ref)
    assert abs(loss.double() - loss64) <= RELATIVE * abs(loss64)
    assert _rel(grad, grad64) < RELATIVE
    with torch.no_grad():
        score = build_metric(DISTS_R, kernels="fast").score(pred, ref)
        assert abs(score.double() - reference64.score(pred.double(), ref.double())).max() <= RELATIVE * loss64


def test_config_refuses_fast_kernels_under_bf16_and_names_the_keys(tiny_cfg):
    from asym.config import kernels, runs, train_spec, validate

    assert kernels(tiny_cfg) == "fast" and train_spec(tiny_cfg, runs(tiny_cfg)[0])["kernels"] == "fast"
    cfg = copy.deepcopy(tiny_cfg)
    cfg["optimize"]["precision"] = "bf16"
    with pytest.raises(ConfigError, match="kernels: fast.*precision bf16"):
        validate(cfg)
    cfg["kernels"] = "reference"
    validate(cfg)
    cfg["kernels"] = "quick"
    with pytest.raises(ConfigError, match="kernels"):
        validate(cfg)
