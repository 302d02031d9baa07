"""Hand-written CPU kernels for SwinIR's window attention (``kernels: fast`` only).

    from asym.accel.attention import use_fast_attention
    use_fast_attention(generator)     # SwinIR's attention layers and Swin blocks, in place

The reference model, :mod:`asym.nets.swinir`, computes window attention as the official
code does (roll, partition, plain autograd graph; PyTorch's fused attention on CUDA).
This module gives the same mathematics a faster CPU implementation, and
:func:`use_fast_attention` switches a model's layers over to it by changing their class
(parameters, buffers and state-dict keys stay the same):

- :class:`WindowAttentionCore`: ``softmax(q k^T * scale + bias_mask) v`` and the output
  projection with a hand-written backward in which every matrix product whose result is
  head-dim wide is computed transposed. On the CPU a batched ``(N, N) @ (N, hd)`` product
  with SwinIR's small head dimension (10 or 30) runs several times slower per FLOP than
  its transpose ``(hd, N) @ (N, N)``; autograd's backward makes three such products per
  layer. The q, k and v gradients are written into one buffer laid out like the qkv
  projection's output.
- :class:`RelativePositionBias`: the (nH, N, N) bias as one ``index_select`` on the
  transposed table, with an ``index_add_`` backward (autograd's advanced-indexing
  backward accumulates through a slower path).
- :class:`GatherTokens`: roll + window partition (and window reverse + roll back) as one
  token gather whose backward is the gather by the inverse permutation.
- masked pairs get ``-inf`` instead of the official -100: ``exp(-100)`` is a float32
  denormal, slow on the CPU; ``-inf`` gives exact zeros (a token always sees itself, so
  no row is fully masked), an attention-weight change below 1e-40.

Only public PyTorch operations are used. Attention dropout (``attn_drop > 0`` while
training) is not implemented by the core: such layers keep the reference forward.
Equivalence with the reference, values and gradients, is tested in ``tests/accel/test_accel.py``;
the speed-up is measured by ``python -m asym.tools.bench`` (see ``docs/performance.md``).
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from asym.accel.switch import swap_classes
from asym.nets.swinir import SwinTransformerBlock, WindowAttention
from asym.nets.windows import MASK_VALUE, window_partition


class WindowAttentionCore(torch.autograd.Function):
    """Attention of all windows and heads plus the output projection, with a transposed-layout backward.

    Inputs: ``qkv`` (B*nW, N, 3*C), the qkv projection's output; ``bias_mask`` (nW', nH, N, N),
    the relative position bias (+ shift mask), repeated over the images (windows are
    image-major; nW' is 1 or the windows per image); ``proj_weight`` (C, C) and
    ``proj_bias`` (C,). Returns (B*nW, N, C). All tensors share one floating dtype.
    """

    @staticmethod
    def forward(ctx, qkv, bias_mask, num_heads: int, scale: float, proj_weight, proj_bias):
        b_, n, c3 = qkv.shape
        hd = c3 // (3 * num_heads)
        # One pass into contiguous (3, B*nW, nH, N, hd) q, k, v (q scaled on the way), so no
        # matrix product below, nor in the backward, copies its operands again.
        src = qkv.view(b_, n, 3, num_heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = buf = torch.empty(src.shape, dtype=qkv.dtype, device=qkv.device)
        torch.mul(src[0], scale, out=q)
        buf[1:].copy_(src[1:])
        logits = q @ k.transpose(-2, -1)
        nw = bias_mask.shape[0]
        logits.view(b_ // nw, nw, num_heads, n, n).add_(bias_mask)
        attn = torch.softmax(logits, dim=-1)
        out_t = v.transpose(-2, -1) @ attn.transpose(-2, -1)  # (B*nW, nH, hd, N)
        ctx.scale, ctx.nw = scale, nw
        ctx.save_for_backward(q, k, v, attn, out_t, proj_weight)
        # The projection on the transposed heads' output: no (B*nW, N, C) copy of it.
        weight_t = proj_weight.t().expand(b_, -1, -1)
        return torch.baddbmm(proj_bias, out_t.view(b_, -1, n).transpose(1, 2), weight_t)

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, attn, out_t, weight = ctx.saved_tensors
        b_, nh, n, hd = q.shape
        grad_y_t = grad_out.transpose(1, 2)  # (B*nW, C, N)
        grad_t = torch.bmm(weight.t().expand(b_, -1, -1), grad_y_t).view(b_, nh, hd, n)
        grad_weight = torch.bmm(grad_y_t, out_t.view(b_, nh * hd, n).transpose(1, 2)).sum(0)
        grad_proj_bias = grad_out.sum((0, 1))
        # q, k and v gradients, transposed, in one buffer: one copy makes the qkv layout.
        grad_qkv_t = torch.empty(3, b_, nh, hd, n, dtype=v.dtype, device=v.device)
        torch.matmul(grad_t, attn, out=grad_qkv_t[2])
        grad_attn = grad_t.transpose(-2, -1) @ v.transpose(-2, -1)
        # softmax backward: attn * (g - sum(g * attn)) along the keys
        grad_logits = grad_attn.sub_((grad_attn * attn).sum(-1, keepdim=True)).mul_(attn)
        grad_bias = None
        if ctx.needs_input_grad[1]:
            grad_bias = grad_logits.view(b_ // ctx.nw, ctx.nw, nh, n, n).sum(0)
        torch.matmul(k.transpose(-2, -1), grad_logits.transpose(-2, -1), out=grad_qkv_t[0])
        grad_qkv_t[0].mul_(ctx.scale)
        torch.matmul(q.transpose(-2, -1), grad_logits, out=grad_qkv_t[1])
        grad_qkv = grad_qkv_t.permute(1, 4, 0, 2, 3).reshape(b_, n, 3 * nh * hd)
        return grad_qkv, grad_bias, None, None, grad_weight, grad_proj_bias


class RelativePositionBias(torch.autograd.Function):
    """``table[index]`` laid out (nH, N, N): one ``index_select`` forward, ``index_add_`` backward."""

    @staticmethod
    def forward(ctx, table: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
        ctx.save_for_backward(index)
        ctx.table_size = table.shape[0]
        return table.t().index_select(1, index).view(table.shape[1], n, n)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (index,) = ctx.saved_tensors
        heads = grad.shape[0]
        grad_t = grad.new_zeros(heads, ctx.table_size).index_add_(1, index, grad.reshape(heads, -1))
        return grad_t.t().contiguous(), None, None


class GatherTokens(torch.autograd.Function):
    """``x[:, order]`` for (B, L, C) tokens and a permutation ``order``; backward gathers by ``inverse``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, order: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(inverse)
        return x.index_select(1, order)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (inverse,) = ctx.saved_tensors
        return grad.index_select(1, inverse), None, None


@functools.lru_cache(maxsize=64)
def window_token_order(h: int, w: int, window_size: int, shift_size: int,
                       device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(order, inverse): the row-major token index each window position takes after rolling an
    (h, w) map by ``-shift_size`` and partitioning it (``torch.roll`` + ``window_partition``),
    and the permutation that undoes it. Cached per size and device."""
    index = torch.arange(h * w).view(1, h, w, 1)
    if shift_size:
        index = torch.roll(index, shifts=(-shift_size, -shift_size), dims=(1, 2))
    order = window_partition(index, window_size).reshape(-1)
    return order.to(device), torch.argsort(order).to(device)


class FastWindowAttention(WindowAttention):
    """:class:`asym.nets.swinir.WindowAttention` computed by :class:`WindowAttentionCore`."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.attn_drop.p > 0 and self.training:  # the core has no attention dropout
            return super().forward(x, mask)
        n = self.window_size[0] * self.window_size[1]
        bias = RelativePositionBias.apply(self.relative_position_bias_table,
                                          self.relative_position_index.view(-1), n).unsqueeze(0)
        if mask is not None:  # -inf: exact zeros instead of float32 denormals (module docstring)
            bias = bias + mask.masked_fill(mask <= MASK_VALUE, float("-inf")).unsqueeze(1)
        out = WindowAttentionCore.apply(self.qkv(x), bias.to(x.dtype), self.num_heads, self.scale,
                                        self.proj.weight, self.proj.bias)
        return self.proj_drop(out)


class FastSwinTransformerBlock(SwinTransformerBlock):
    """:class:`asym.nets.swinir.SwinTransformerBlock` with the shift and window partition as token gathers."""

    def forward(self, x: torch.Tensor, x_size: tuple[int, int]) -> torch.Tensor:
        h, w = x_size
        b, _, c = x.shape
        ws, shift = self.window_size, self.shift_size
        shortcut = x
        x = self.norm1(x)
        # dynamo does not trace through lru_cache: under torch.compile the orders are built in the graph
        order_of = window_token_order.__wrapped__ if torch.compiler.is_compiling() else window_token_order
        order, inverse = order_of(h, w, ws, shift, str(x.device))
        windows = GatherTokens.apply(x, order, inverse).view(-1, ws * ws, c)
        windows = self.attn(windows, mask=self._mask(x_size, x))
        x = GatherTokens.apply(windows.view(b, h * w, c), inverse, order)
        x = shortcut + self.drop_path(x)
        return x + self.drop_path(self.mlp(self.norm2(x)))


FAST_CLASSES = {WindowAttention: FastWindowAttention, SwinTransformerBlock: FastSwinTransformerBlock}


def use_fast_attention(model: nn.Module) -> nn.Module:
    """Switch every SwinIR attention layer and Swin block of ``model`` to these kernels (in place)."""
    return swap_classes(model, FAST_CLASSES)
