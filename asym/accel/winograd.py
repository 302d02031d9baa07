"""3 x 3 convolutions by Winograd's minimal filtering F(4 x 4, 3 x 3), for frozen CPU layers.

    from asym.accel.winograd import WinogradConv
    fast = WinogradConv()                      # caches each layer's transformed kernels
    y = fast(conv, x)                          # == conv(x) up to float32 rounding
    gx = fast.input_grad(conv, grad_y)         # == the input gradient of conv at any x

A 3 x 3 convolution (stride 1, padding 1) computes each m x m block of outputs from an
(m + 2) x (m + 2) tile of the input. Winograd's algorithm F(m x m, 3 x 3) (Lavin & Gray,
CVPR 2016) does it with (m + 2)^2 products per input/output channel pair instead of
9 m^2: the tile is transformed (``V = B^T d B``), multiplied elementwise by the
transformed kernel (``U = G g G^T``) and transformed back (``Y = A^T M A``). Summed over
input channels, the elementwise products are (m + 2)^2 matrix products ``[tiles, C_in] @
[C_in, C_out]``: one batched GEMM with 2.25x (m = 2) or 4x (m = 4, the default) fewer
FLOPs than direct convolution. Both transforms are small matrices applied to all tiles
at once (two more GEMMs, memory-bound).

Why: the convolutions of VGG-16 are most of a DISTS-style loss's time on the CPU, and
oneDNN's direct convolutions already run near the machine's peak FLOP rate there, so
fewer multiplications is the way left to make them faster. It pays only for wide layers
on maps of several tiles: the transforms cost more than they save for 64- and
128-channel layers and for 4 x 4 maps (one tile per image) -- hence
:meth:`WinogradConv.applies`. F(4, 3)'s float32 rounding is larger than direct
convolution's; the equivalence tests (``tests/accel/test_winograd.py``, ``tests/accel/test_accel.py``)
bound it, and ``docs/performance.md`` has the measured speed and error figures. Memory:
F(4, 3) kernels take 4x the weights' numbers, cached per layer and direction.

Used by :class:`asym.accel.dists.FastVGG16Stages` (``kernels: fast``) for layers whose
weights need no gradient; GPUs keep cuDNN, which chooses its own algorithms.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

# Winograd's matrices for 3-tap filters (Lavin & Gray 2016, with interpolation points
# 0, +-1 for F(2, 3) and 0, +-1, +-2 for F(4, 3); both end with the point at infinity):
# one tile's outputs are Y = AT (U * V) AT^T with V = BT d BT^T and U = G g G^T.
_WINOGRAD = {
    2: {"BT": [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        "G": [[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
        "AT": [[1, 1, 1, 0], [0, 1, -1, -1]]},
    4: {"BT": [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
               [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        "G": [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
              [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        "AT": [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]},
}
# Column 1 of AT is all ones in both: a constant added to the product at (a, b) = (1, 1)
# reaches every output of the tile exactly once -- where the bias goes.
_BIAS_ROW = 1


@functools.cache
def _matrices(m: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole-tile input and output transforms of F(m x m, 3 x 3) as matrices on the
    flattened tile: ``[a^2, a^2]`` (kron(BT, BT)) and ``[m^2, a^2]`` (kron(AT, AT)), a = m + 2.
    Cached (building them took ~30 us a call); made outside inference mode whatever the caller's."""
    with torch.inference_mode(False):
        bt, at = (torch.tensor(_WINOGRAD[m][k], dtype=torch.float64) for k in ("BT", "AT"))
        return torch.kron(bt, bt).to(device, dtype), torch.kron(at, at).to(device, dtype)


def winograd_kernel(weight: torch.Tensor, m: int = 4) -> torch.Tensor:
    """The transformed kernel ``U = G g G^T`` of F(m x m, 3 x 3) for a ``[C_out, C_in, 3, 3]``
    weight, laid out ``[(m + 2)^2, C_in, C_out]`` (the right-hand sides of the batched GEMM)."""
    if weight.shape[-2:] != (3, 3):
        raise ValueError(f"Winograd F({m}x{m}, 3x3) needs a 3 x 3 kernel, got {tuple(weight.shape)}")
    g = torch.tensor(_WINOGRAD[m]["G"], dtype=torch.float64, device=weight.device)
    u = torch.einsum("ak,oikl,bl->abio", g, weight.detach().double(), g)  # float64: rounded once, at the end
    return u.reshape((m + 2) ** 2, weight.shape[1], weight.shape[0]).to(weight.dtype).contiguous()


# Transformed tiles per GEMM batch, in numbers: (m + 2)^2 x tiles x C_in. Larger batches
# spill out of the caches and run at memory speed (8 x 256 x 64 x 64 in one go: no faster
# than direct convolution), so larger inputs go through in bands of tile rows.
MAX_BAND_NUMBERS = 4 * 2**20


def winograd_conv3x3(x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """``conv2d(x, weight, bias, stride=1, padding=1)`` for ``x`` ``[N, C_in, H, W]`` (any
    layout, any H and W) given ``kernel = winograd_kernel(weight, m)`` (m read from its
    shape); returns ``[N, C_out, H, W]`` in channels-last memory. No autograd graph is
    meant through it (callers use it without gradients or in a hand-written backward)."""
    n, c, height, width = x.shape
    a2, c_in, c_out = kernel.shape
    m = {16: 2, 36: 4}.get(a2)
    if m is None or c_in != c:
        raise ValueError(f"kernel {tuple(kernel.shape)} is not a F(2, 3) or F(4, 3) kernel for {c} input channels")
    a = m + 2
    h, w = -(-height // m), -(-width // m)  # output tiles of m x m (a partial last one: padded, then cropped)
    # NHWC with the zero border: tile (i, j) reads padded rows m*i .. m*i + a - 1, same for columns.
    padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 1 + m * w - width, 1, 1 + m * h - height))
    s_n, s_h, s_w, s_c = padded.stride()
    transform_in, transform_out = _matrices(m, x.device, x.dtype)
    out = torch.empty((n, h, m, w, m, c_out), dtype=x.dtype, device=x.device)
    band = max(1, MAX_BAND_NUMBERS // (a2 * n * w * c))  # tile rows per GEMM batch
    for row in range(0, h, band):
        rows = min(band, h - row)
        tiles = n * rows * w
        # Every tile of the band, gathered [a, a, N, rows, w, C] (overlapping reads), then
        # transformed as one [a^2, a^2] @ [a^2, tiles * C] product.
        d = padded.as_strided((a, a, n, rows, w, c), (s_h, s_w, s_n, m * s_h, m * s_w, s_c),
                              padded.storage_offset() + m * row * s_h)
        v = torch.mm(transform_in, d.reshape(a2, tiles * c)).view(a2, tiles, c)
        prod = torch.bmm(v, kernel)  # [a^2, tiles, C_out]: the elementwise products, summed over C_in
        if bias is not None:
            prod[_BIAS_ROW * a + _BIAS_ROW].add_(bias)
        y = torch.mm(transform_out, prod.view(a2, tiles * c_out)).view(m, m, n, rows, w, c_out)
        out[:, row : row + rows].copy_(y.permute(2, 3, 0, 4, 1, 5))  # interleave the m x m blocks
    out = out.view(n, m * h, m * w, c_out)
    if (m * h, m * w) != (height, width):
        out = out[:, :height, :width].contiguous()
    return out.permute(0, 3, 1, 2)


class WinogradConv:
    """Runs frozen 3 x 3 convolution layers by :func:`winograd_conv3x3`, with each layer's
    transformed kernels cached (recomputed when the weight changes: another tensor, or an
    in-place update such as ``load_state_dict``). The input gradient is the same algorithm
    with the kernel of the transposed convolution (channels swapped, taps flipped)."""

    TILE = 4  # F(4 x 4, 3 x 3)
    MIN_OUT_CHANNELS = 256  # below this the transforms cost more than the saved products (module docstring)
    MIN_SIDE = 8  # a 4 x 4 map is one F(4, 3) tile per image: too few rows for the GEMMs (slower)

    def __init__(self):
        self._cache: dict[tuple, tuple] = {}  # (id(conv), transposed) -> (weight stamp, kernel)

    # Copies and pickles start with an empty cache: it is derived data, keyed by the ids of
    # the original's layers (and F(4, 3) kernels take 4x the weights' memory).
    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self._cache = {}

    @classmethod
    def applies(cls, conv: nn.Conv2d, x: torch.Tensor) -> bool:
        """Whether ``conv`` on ``x`` takes the Winograd path: CPU float32 outside autocast and
        outside ``torch.compile`` (its kernel cache keys on weight versions, which a compiled
        graph would bake in; the compiler picks its own convolutions), a 3 x 3 kernel with
        stride 1, padding 1, no dilation or groups, at least :attr:`MIN_OUT_CHANNELS`
        outputs, and maps of at least :attr:`MIN_SIDE` a side."""
        return (x.device.type == "cpu" and x.dtype == torch.float32 and conv.weight.dtype == torch.float32
                and not torch.is_autocast_enabled("cpu") and not torch.compiler.is_compiling()
                and conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (1, 1)
                and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros"
                and conv.out_channels >= cls.MIN_OUT_CHANNELS and min(x.shape[-2:]) >= cls.MIN_SIDE)

    def _kernel(self, conv: nn.Conv2d, transposed: bool) -> torch.Tensor:
        weight = conv.weight
        key = (id(conv), transposed)
        stamp = (weight.data_ptr(), weight._version, weight.device, weight.dtype, self.TILE)
        cached = self._cache.get(key)
        if cached is None or cached[0] != stamp:
            w = weight.detach()
            cached = (stamp, winograd_kernel(w.transpose(0, 1).flip(2, 3) if transposed else w, self.TILE))
            self._cache[key] = cached
        return cached[1]

    def __call__(self, conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
        """``conv(x)`` (no gradient through it)."""
        bias = None if conv.bias is None else conv.bias.detach()
        return winograd_conv3x3(x, self._kernel(conv, transposed=False), bias)

    def input_grad(self, conv: nn.Conv2d, grad_out: torch.Tensor) -> torch.Tensor:
        """The gradient of ``conv``'s input given the gradient of its output."""
        return winograd_conv3x3(grad_out, self._kernel(conv, transposed=True))
