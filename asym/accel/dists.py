"""Hand-written CPU kernels for DISTS-style metrics on VGG-16 (``kernels: fast`` only).

    from asym.accel.dists import use_fast_dists
    use_fast_dists(metric)     # its VGG-16 stages and feature statistics, in place

The reference, :class:`asym.nets.backbones.VGG16Stages` and
:class:`asym.nets.statistics.ChannelMoments`, computes DISTS as its authors' code does.
This module gives the same values and input gradients a faster CPU implementation, and
:func:`use_fast_dists` switches a metric's modules to it by changing their class (same
parameters, buffers and state-dict keys):

- :class:`PairedVGG16`: the stage maps of a predicted and a reference batch in one
  forward pass (one batch of 2B convolves faster than two of B), with a hand-written
  backward through the predicted half only (the reference needs no gradient in a loss):
  layer by layer in reverse, the ReLU masks, the convolutions' input gradients and L2
  pooling's ``d sqrt(blur(x^2)) / dx = x * blur^T(g / out)``. The VGG weights are frozen.
  Memory: the saved predicted-half maps share storage with the reference half, so the
  reference's activations stay alive until the backward (up to twice the VGG activation
  memory of two separate passes).
- Stage 3-5 convolutions with 256 or more outputs on maps of 8 or more a side by
  Winograd's F(4 x 4, 3 x 3) algorithm (:mod:`asym.accel.winograd`), forward and in the
  paired pass's input gradient: 4x fewer multiplications where oneDNN's direct
  convolutions already run at the CPU's peak.
- Memory layouts: stages 1-3 channels-last, stages 4-5 NCHW on small maps (oneDNN's
  faster layouts for those shapes).
- :class:`CentredMoments`: means, variances and covariance of two feature maps with a
  backward of two fused passes, ``dL/dx = (dL/dmx + 2 dL/dvx (x - mx) + dL/dcov (y - my)) / (HW)``,
  where autograd's backward of the formulas makes about ten passes over each map.

Only public PyTorch operations are used. Equivalence with the reference (values and
gradients, at 200 x 320 against float64) is tested in ``tests/accel/test_accel.py``; the
speed-up is measured by ``python -m asym.tools.bench`` (``docs/performance.md``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.grad import conv2d_input

from asym.accel.switch import swap_classes
from asym.accel.winograd import WinogradConv
from asym.nets.backbones import L2Pool, VGG16Stages
from asym.nets.statistics import ChannelMoments


def _frozen_conv_input_grad(grad: torch.Tensor, inp: torch.Tensor, weight: torch.Tensor, stride, padding,
                            groups: int) -> torch.Tensor:
    """Input gradient of a frozen 2-D convolution (dilation 1) whose input had ``inp``'s shape."""
    return conv2d_input(inp.shape, weight, grad, stride=stride, padding=padding, groups=groups)


class PairedVGG16(torch.autograd.Function):
    """VGG-16 stage maps of ``pred`` and ``ref`` in one pass; a gradient for ``pred`` only.

    Returns the five predicted stage maps, then the five reference ones (the latter
    non-differentiable). ``net`` is a :class:`FastVGG16Stages`.
    """

    @staticmethod
    def forward(ctx, pred: torch.Tensor, ref: torch.Tensor, net: FastVGG16Stages):
        b = pred.shape[0]
        h = net.normalise(torch.cat([pred, ref])).contiguous(memory_format=torch.channels_last)
        records, tensors, outputs = [], [], []
        for stage in net.stages():
            h = net.stage_input_layout(stage, h)
            for layer in stage:
                if isinstance(layer, nn.Conv2d) and net.winograd.applies(layer, h):
                    records.append(("winograd", layer, None))  # its input gradient needs no saved input
                    h = net.winograd(layer, h)
                elif isinstance(layer, nn.Conv2d):
                    records.append(("conv", layer, len(tensors)))
                    tensors.append(h[:b])  # input: its shape for the input gradient
                    h = layer(h)
                elif isinstance(layer, nn.ReLU):
                    h = torch.relu_(h)
                    records.append(("relu", layer, len(tensors)))
                    tensors.append(h[:b])  # output: the mask
                elif isinstance(layer, L2Pool):
                    records.append(("l2pool", layer, len(tensors)))
                    tensors.append(h[:b])
                    h = layer(h)
                    tensors.append(h[:b])
                else:
                    raise TypeError(f"unexpected VGG-16 layer {layer!r}")
            records.append(("stage_end", None, None))
            outputs.append(h)
        ctx.save_for_backward(*tensors)
        ctx.records, ctx.std, ctx.winograd = records, net.std, net.winograd
        ref_maps = [o[b:] for o in outputs]
        ctx.mark_non_differentiable(*ref_maps)
        return (*[o[:b] for o in outputs], *ref_maps)

    @staticmethod
    def backward(ctx, *grads):
        tensors = ctx.saved_tensors
        stage_grads = list(grads[:5])
        g = None
        for kind, layer, at in reversed(ctx.records):
            if kind == "stage_end":
                upstream = stage_grads.pop()
                g = upstream.clone() if g is None else g.add_(upstream)  # a copy: autograd's tensor stays intact
            elif kind == "relu":
                g = g.masked_fill_(tensors[at] <= 0, 0)
            elif kind == "winograd":
                g = ctx.winograd.input_grad(layer, g)
            elif kind == "conv":
                g = _frozen_conv_input_grad(g, tensors[at], layer.weight, layer.stride, layer.padding, layer.groups)
            else:  # l2pool: out = sqrt(blur(x^2) + eps) -> dx = x * blur^T(g / out)
                inp, out = tensors[at], tensors[at + 1]
                blurred = _frozen_conv_input_grad(g / out, inp, layer.filter, 2, layer.padding, layer.channels)
                g = blurred.mul_(inp)
        return g / ctx.std, None, None


class FastVGG16Stages(VGG16Stages):
    """:class:`asym.nets.backbones.VGG16Stages` with faster layouts, Winograd convolutions where
    no gradient flows through a layer, and :meth:`paired_features` for losses."""

    # Stage 3's output size (positions) up to which stages 4-5 run NCHW (16 x 16: inputs up to 64 px).
    NCHW_MAX_POSITIONS = 256

    @property
    def winograd(self) -> WinogradConv:
        """This network's Winograd kernel cache (made on first use: swapped-in modules have no __init__)."""
        cache = self.__dict__.get("_winograd")
        if cache is None:
            cache = self.__dict__["_winograd"] = WinogradConv()
        return cache

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [x]
        h = self.normalise(x).contiguous(memory_format=torch.channels_last)
        for stage in self.stages():
            h = self.stage_input_layout(stage, h)
            for layer in stage:
                h = self.winograd(layer, h) if self._winograd_inference(layer, h) else layer(h)
            feats.append(h)
        return feats

    def _winograd_inference(self, layer: nn.Module, h: torch.Tensor) -> bool:
        """A layer Winograd applies to, with no gradient wanted through it (scoring, a frozen reference)."""
        if not isinstance(layer, nn.Conv2d) or not self.winograd.applies(layer, h):
            return False
        return not torch.is_grad_enabled() or not (h.requires_grad or layer.weight.requires_grad
                                                   or (layer.bias is not None and layer.bias.requires_grad))

    def stage_input_layout(self, stage: nn.Module, h: torch.Tensor) -> torch.Tensor:
        """NCHW for stages 4 and 5 on maps of at most :attr:`NCHW_MAX_POSITIONS` (a quarter of it for
        stage 5), else ``h`` as it comes (channels-last from stage 1 on)."""
        if stage is self.stage4:
            limit = self.NCHW_MAX_POSITIONS
        elif stage is self.stage5:
            limit = self.NCHW_MAX_POSITIONS // 4
        else:
            return h
        return h.contiguous() if h.shape[-2] * h.shape[-1] <= limit else h

    def paired_features(self, pred: torch.Tensor, ref: torch.Tensor) -> tuple[list, list]:
        """``(self(pred), self(ref))`` by :class:`PairedVGG16`: one forward pass, gradient for ``pred`` only."""
        maps = PairedVGG16.apply(pred, ref, self)
        return [pred, *maps[:5]], [ref, *maps[5:]]


class CentredMoments(torch.autograd.Function):
    """(mx, my, vx, vy, cov), each (B, C), of (B, C, H, W) maps, with a two-pass backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, y: torch.Tensor):
        mx, my = x.mean((2, 3), keepdim=True), y.mean((2, 3), keepdim=True)
        xc, yc = x - mx, y - my
        vx, vy = xc.square().mean((2, 3)), yc.square().mean((2, 3))
        cov = (xc * yc).mean((2, 3))
        ctx.save_for_backward(xc, yc)
        return mx.flatten(1), my.flatten(1), vx, vy, cov

    @staticmethod
    def backward(ctx, g_mx, g_my, g_vx, g_vy, g_cov):
        xc, yc = ctx.saved_tensors
        n = xc.shape[2] * xc.shape[3]

        def coef(g, factor):  # (B, C) upstream gradient -> (B, C, 1, 1) coefficient
            return (g * factor)[..., None, None]

        def grad(g_mean, g_var, own, other):  # the terms through the mean vanish: centred maps sum to 0
            out = torch.addcmul(coef(g_mean, 1 / n), coef(g_var, 2 / n), own)
            return out.addcmul_(coef(g_cov, 1 / n), other)

        grad_x = grad(g_mx, g_vx, xc, yc) if ctx.needs_input_grad[0] else None
        grad_y = grad(g_my, g_vy, yc, xc) if ctx.needs_input_grad[1] else None
        return grad_x, grad_y


class FastChannelMoments(ChannelMoments):
    """:class:`asym.nets.statistics.ChannelMoments` by :class:`CentredMoments`."""

    def forward(self, x: torch.Tensor, y: torch.Tensor):
        return CentredMoments.apply(x, y)


FAST_CLASSES = {VGG16Stages: FastVGG16Stages, ChannelMoments: FastChannelMoments}


def use_fast_dists(module: nn.Module) -> nn.Module:
    """Switch the VGG-16 stages and channel statistics inside ``module`` to these kernels (in place)."""
    module = swap_classes(module, FAST_CLASSES)
    for m in module.modules():
        if isinstance(m, FastVGG16Stages):  # stored in the layouts forward feeds them (tidiness: oneDNN reorders)
            m.to(memory_format=torch.channels_last)
            m.stage4.to(memory_format=torch.contiguous_format)
            m.stage5.to(memory_format=torch.contiguous_format)
    return module
