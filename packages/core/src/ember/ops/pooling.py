"""2-D max pooling: `max_pool2d`, a composite with its own derivative, so a backend may override it.

The kernel returns the maxima and, like PyTorch's ``return_indices=True``, the
flat position (in H*W of the unpadded input) of each maximum; the derivative
scatters the gradient to those positions. The decomposition gathers each
window (padding with -inf) and picks the first maximum with `argmax`.
"""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ..dispatch import composite
from ..tensor import Tensor
from ._run import kernel, maybe_record, wrap
from .convolution import _index_tensor, conv_out_size, im2col, unfold_index

__all__ = ["max_pool2d_grad", "max_pool2d_with_indices"]

Pair = tuple[int, int]


def _extra(size: int, out: int, k: int, s: int, p: int, d: int) -> int:
    """Padding needed past the bottom/right so that `out` windows (ceil_mode) fit."""
    need = (out - 1) * s + d * (k - 1) + 1
    return max(0, need - (size + 2 * p))


def _max_pool2d_impl(
    x: Tensor, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
) -> tuple[Tensor, Tensor]:
    n, c, h, w = x.shape
    oh = conv_out_size(h, kernel_size[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = conv_out_size(w, kernel_size[1], stride[1], padding[1], dilation[1], ceil_mode)
    eh = _extra(h, oh, kernel_size[0], stride[0], padding[0], dilation[0])
    ew = _extra(w, ow, kernel_size[1], stride[1], padding[1], dilation[1])
    cols = im2col(x, kernel_size, stride, padding, dilation, (oh, ow), float("-inf"), (eh, ew))  # (N, C, K, L)
    arg = cols.argmax(2, keepdim=True)
    values = cols.gather(2, arg).reshape(n, c, oh, ow)
    wp = w + 2 * padding[1] + ew
    idx = unfold_index(h + 2 * padding[0] + eh, wp, kernel_size, stride, dilation, (oh, ow))
    k, nl = idx.shape
    pos = _index_tensor(idx.reshape(1, 1, k, nl), x).expand(n, c, k, nl).gather(2, arg)
    row = pos // wp - padding[0]
    col = pos % wp - padding[1]
    return values, (row * w + col).reshape(n, c, oh, ow)


def _max_pool2d_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    shape, _ = n.meta[0]
    return (max_pool2d_grad(g, n.args[-1], shape[2:]),)


def _max_pool2d_grad_impl(g: Tensor, indices: Tensor, input_hw: Pair) -> Tensor:
    from .creation import zeros

    b, c = g.shape[:2]
    out = zeros(b, c, input_hw[0] * input_hw[1], dtype=g.dtype, device=g.device)
    return out.scatter_add(2, indices.reshape(b, c, -1), g.reshape(b, c, -1)).reshape(b, c, *input_hw)


def _max_pool2d_grad_vjp(n: Any, h: Tensor) -> tuple[Tensor]:
    indices = n.args[0]
    b, c = indices.shape[:2]
    return (h.reshape(b, c, -1).gather(2, indices.reshape(b, c, -1)).reshape(indices.shape),)


MAX_POOL2D = composite(
    "max_pool2d",
    "max_pool2d(x: array (N, C, H, W), kernel_size: (int, int), stride: (int, int), padding: (int, int), "
    "dilation: (int, int), ceil_mode: bool) -> (array (N, C, OH, OW), array of int64 (N, C, OH, OW))",
    "Window maxima (padding counts as -inf) and the flat index h*W + w in the unpadded input of each "
    "(the first maximum of a window on ties). A window holding nan gives nan and the index of its first nan "
    "(PyTorch's CPU kernel points at the last).",
    family="pooling",
    impl=_max_pool2d_impl,
    vjp=_max_pool2d_vjp,
)


MAX_POOL2D_GRAD = composite(
    "max_pool2d_grad",
    "max_pool2d_grad(g: array (N, C, OH, OW), indices: array of int64 (N, C, OH, OW), input_hw: (int, int)) "
    "-> array (N, C, H, W)",
    "max_pool2d's derivative: zeros of the input's shape with each g added at its flat index h*W + w "
    "(scatter_add along H*W, in order).",
    family="pooling",
    impl=_max_pool2d_grad_impl,
    vjp=_max_pool2d_grad_vjp,
)


def max_pool2d_grad(g: Tensor, indices: Tensor, input_hw: Pair) -> Tensor:
    """The gradient of max pooling's input from the output's gradient `g` and the pooling's `indices`."""
    hw = (int(input_hw[0]), int(input_hw[1]))
    k = kernel(MAX_POOL2D_GRAD, g.device)
    if k is None:
        return _max_pool2d_grad_impl(g, indices, hw)
    out = wrap(k(g._data, indices._data, hw), (*g.shape[:2], *hw), g.dtype, g.device)
    maybe_record(MAX_POOL2D_GRAD, (g,), out, (indices, hw))
    return out


def max_pool2d_with_indices(
    x: Tensor, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool = False
) -> tuple[Tensor, Tensor]:
    """Max pooling of an already-checked 4-D floating `x`: (values, flat indices)."""
    k = kernel(MAX_POOL2D, x.device)
    if k is None:
        return _max_pool2d_impl(x, kernel_size, stride, padding, dilation, bool(ceil_mode))
    args = (tuple(kernel_size), tuple(stride), tuple(padding), tuple(dilation), bool(ceil_mode))
    vals, idx = k(x._data, *args)
    shape = tuple(vals.shape)
    out = wrap(vals, shape, x.dtype, x.device)
    indices = wrap(idx, shape, _dt.int64, x.device)
    maybe_record(MAX_POOL2D, (x,), out, (*args, indices))
    return out, indices
