"""2-D convolution: `conv2d` and its two adjoints, composites a backend may override.

The decomposition is im2col: the input is padded, its sliding windows are
gathered into columns (one `gather` with an index built on the host), and one
batched `matmul` per group does the rest. The adjoints, `conv2d_input_grad`
(scatter-add of the columns back, "col2im"; also the forward of a transposed
convolution) and `conv2d_weight_grad`, are composites too, so a backend that
overrides all three keeps every gradient -- and every second derivative, since
the three ops are each other's derivatives -- on its fast kernels.

These are the kernels behind `ember.nn.functional.conv1d/conv2d/conv_transpose2d`,
which check arguments and add the bias; shapes reaching the ops are already valid.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..dispatch import composite
from ..tensor import Tensor
from ._run import call, same_device

__all__ = [
    "conv2d", "conv2d_bias", "conv2d_input_grad", "conv2d_weight_grad", "conv_out_size", "pad2d", "unfold_index",
]

Pair = tuple[int, int]


def conv_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int:
    """Output length of a sliding window (PyTorch's formula, ceil_mode as in pooling)."""
    span = size + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= size + p:  # the last window must start inside the input or left padding
            out -= 1
        return out
    return span // s + 1


@lru_cache(maxsize=256)
def unfold_index(hp: int, wp: int, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """idx[k, l]: flat position in the padded (hp, wp) plane of kernel tap k for output position l."""
    kh, kw = kernel
    oh, ow = out_hw
    rows = (np.arange(kh) * dilation[0])[:, None] + (np.arange(oh) * stride[0])[None, :]  # (kh, oh)
    cols = (np.arange(kw) * dilation[1])[:, None] + (np.arange(ow) * stride[1])[None, :]  # (kw, ow)
    idx = rows[:, None, :, None] * wp + cols[None, :, None, :]  # (kh, kw, oh, ow)
    idx = idx.reshape(kh * kw, oh * ow).astype(np.int64)
    idx.setflags(write=False)
    return idx


def pad2d(x: Tensor, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> Tensor:
    """`x` (..., H, W) with constant borders, built from `full` and `cat` (differentiable)."""
    from .creation import full
    from .movement import cat

    if top or bottom:
        parts = []
        lead = x.shape[:-2]
        if top:
            parts.append(full((*lead, top, x.shape[-1]), value, dtype=x.dtype, device=x.device))
        parts.append(x)
        if bottom:
            parts.append(full((*lead, bottom, x.shape[-1]), value, dtype=x.dtype, device=x.device))
        x = cat(parts, -2)
    if left or right:
        parts = []
        lead = x.shape[:-1]
        if left:
            parts.append(full((*lead, left), value, dtype=x.dtype, device=x.device))
        parts.append(x)
        if right:
            parts.append(full((*lead, right), value, dtype=x.dtype, device=x.device))
        x = cat(parts, -1)
    return x


def _index_tensor(idx: np.ndarray, like: Tensor) -> Tensor:
    from ..tensor import tensor

    return tensor(idx, device=like.device)


def im2col(
    x: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, out_hw: Pair, value: float = 0.0,
    extra: Pair = (0, 0),
) -> Tensor:  # fmt: skip
    """Columns (N, C, kh*kw, OH*OW) of `x` (N, C, H, W) padded with `value` (plus `extra` at the bottom/right)."""
    n, c, h, w = x.shape
    xp = pad2d(x, padding[0], padding[0] + extra[0], padding[1], padding[1] + extra[1], value)
    hp, wp = h + 2 * padding[0] + extra[0], w + 2 * padding[1] + extra[1]
    idx = unfold_index(hp, wp, kernel, stride, dilation, out_hw)
    k, nl = idx.shape
    flat = xp.reshape(n, c, hp * wp)
    index = _index_tensor(idx.reshape(1, 1, k * nl), x).expand(n, c, k * nl)
    return flat.gather(2, index).reshape(n, c, k, nl)


def col2im(cols: Tensor, input_hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Tensor:
    """The adjoint of `im2col`: columns (N, C, kh*kw, OH*OW) summed back into (N, C, H, W)."""
    from .creation import zeros

    n, c, k, nl = cols.shape
    h, w = input_hw
    hp, wp = h + 2 * padding[0], w + 2 * padding[1]
    oh = conv_out_size(h, kernel[0], stride[0], padding[0], dilation[0])
    ow = conv_out_size(w, kernel[1], stride[1], padding[1], dilation[1])
    idx = unfold_index(hp, wp, kernel, stride, dilation, (oh, ow))
    index = _index_tensor(idx.reshape(1, 1, k * nl), cols).expand(n, c, k * nl)
    out = zeros(n, c, hp * wp, dtype=cols.dtype, device=cols.device)
    out = out.scatter_add(2, index, cols.reshape(n, c, k * nl)).reshape(n, c, hp, wp)
    return out[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w]


# -- decompositions ----------------------------------------------------------------
def _out_hw(hw: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    return (
        conv_out_size(hw[0], kernel[0], stride[0], padding[0], dilation[0]),
        conv_out_size(hw[1], kernel[1], stride[1], padding[1], dilation[1]),
    )


def _conv2d_impl(x: Tensor, w: Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Tensor:
    n, c = x.shape[:2]
    o, cg, kh, kw = w.shape
    oh, ow = _out_hw(x.shape[2:], (kh, kw), stride, padding, dilation)
    cols = im2col(x, (kh, kw), stride, padding, dilation, (oh, ow)).reshape(n, groups, cg * kh * kw, oh * ow)
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    return (wm @ cols).reshape(n, o, oh, ow)


def _conv2d_bias_impl(
    x: Tensor, w: Tensor, b: Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Tensor:
    return conv2d(x, w, stride, padding, dilation, groups) + b.reshape(-1, 1, 1)


def _input_grad_impl(
    g: Tensor, w: Tensor, input_hw: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Tensor:
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    gm = g.reshape(n, groups, o // groups, oh * ow)
    wm = w.reshape(groups, o // groups, cg * kh * kw)
    cols = (wm.mT @ gm).reshape(n, groups * cg, kh * kw, oh * ow)
    return col2im(cols, input_hw, (kh, kw), stride, padding, dilation)


def _weight_grad_impl(
    x: Tensor, g: Tensor, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Tensor:
    n, c = x.shape[:2]
    o, oh, ow = g.shape[1:]
    kh, kw = kernel
    cg = c // groups
    cols = im2col(x, kernel, stride, padding, dilation, (oh, ow)).reshape(n, groups, cg * kh * kw, oh * ow)
    gm = g.reshape(n, groups, o // groups, oh * ow)
    return (gm @ cols.mT).sum(0).reshape(o, cg, kh, kw)


# -- derivatives: the three ops are each other's adjoints -----------------------------
def _conv2d_vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
    x, w = n[0], n[1]
    stride, padding, dilation, groups = n.args
    gx = conv2d_input_grad(g, w, x.shape[2:], stride, padding, dilation, groups) if n.needs(0) else None
    gw = conv2d_weight_grad(x, g, w.shape[2:], stride, padding, dilation, groups) if n.needs(1) else None
    return gx, gw


def _conv2d_bias_vjp(n: Any, g: Tensor) -> tuple[Any, Any, Any]:
    gx, gw = _conv2d_vjp(n, g)
    return gx, gw, (g.sum((0, 2, 3)) if n.needs(2) else None)


def _input_grad_vjp(n: Any, h: Tensor) -> tuple[Any, Any]:
    g, w = n[0], n[1]
    _, stride, padding, dilation, groups = n.args
    dg = conv2d(h, w, stride, padding, dilation, groups) if n.needs(0) else None
    dw = conv2d_weight_grad(h, g, w.shape[2:], stride, padding, dilation, groups) if n.needs(1) else None
    return dg, dw


def _weight_grad_vjp(n: Any, h: Tensor) -> tuple[Any, Any]:
    x, g = n[0], n[1]
    _, stride, padding, dilation, groups = n.args
    dx = conv2d_input_grad(g, h, x.shape[2:], stride, padding, dilation, groups) if n.needs(0) else None
    dg = conv2d(x, h, stride, padding, dilation, groups) if n.needs(1) else None
    return dx, dg


_PARAMS = "stride: (int, int), padding: (int, int), dilation: (int, int), groups: int"
CONV2D = composite(
    "conv2d",
    f"conv2d(x: array (N, C, H, W), w: array (O, C/groups, kh, kw), {_PARAMS}) -> array (N, O, OH, OW)",
    "Cross-correlation with symmetric zero padding (no bias); OH = (H + 2p - d(kh-1) - 1) // s + 1. "
    "x and w share a floating dtype.",
    family="convolution",
    impl=_conv2d_impl,
    vjp=_conv2d_vjp,
    save_inputs=True,
)
CONV2D_BIAS = composite(
    "conv2d_bias",
    f"conv2d_bias(x: array (N, C, H, W), w: array (O, C/groups, kh, kw), b: array (O,), {_PARAMS}) "
    "-> array (N, O, OH, OW)",
    "conv2d plus a bias per output channel, in one op so that a backend adds the bias where it writes the "
    "convolution's result (no second pass over a new array). x, w and b share a floating dtype.",
    family="convolution",
    impl=_conv2d_bias_impl,
    vjp=_conv2d_bias_vjp,
    save_inputs=True,
)
CONV2D_INPUT_GRAD = composite(
    "conv2d_input_grad",
    f"conv2d_input_grad(g: array (N, O, OH, OW), w: array (O, C/groups, kh, kw), input_hw: (int, int), {_PARAMS}) "
    "-> array (N, C, H, W)",
    "The adjoint of conv2d in x (col2im of w^T g; also the transposed convolution); positions of x that no "
    "window reads get 0.",
    family="convolution",
    impl=_input_grad_impl,
    vjp=_input_grad_vjp,
    save_inputs=True,
)
CONV2D_WEIGHT_GRAD = composite(
    "conv2d_weight_grad",
    f"conv2d_weight_grad(x: array (N, C, H, W), g: array (N, O, OH, OW), kernel_hw: (int, int), {_PARAMS}) "
    "-> array (O, C/groups, kh, kw)",
    "The adjoint of conv2d in w: sum over the batch and output positions of g times x's windows.",
    family="convolution",
    impl=_weight_grad_impl,
    vjp=_weight_grad_vjp,
    save_inputs=True,
)


def _check_float(op: str, *ts: Tensor) -> None:
    dt = ts[0].dtype
    for t in ts:
        if not t.dtype.is_floating_point or t.dtype is not dt:
            raise RuntimeError(
                f"{op}: expected floating tensors of one dtype, got "
                + ", ".join(f"{tuple(t.shape)} {t.dtype.name}" for t in ts)
            )


def conv2d(x: Tensor, w: Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Tensor:
    """conv2d without bias on already-checked 4-D operands (see `ember.nn.functional.conv2d`)."""
    _check_float("conv2d", x, w)
    same_device("conv2d", (x, w))
    args = (tuple(stride), tuple(padding), tuple(dilation), int(groups))
    oh, ow = _out_hw(x.shape[2:], (w.shape[2], w.shape[3]), stride, padding, dilation)
    return call(CONV2D, (x, w), args, (x.shape[0], w.shape[0], oh, ow), x.dtype)


def conv2d_bias(x: Tensor, w: Tensor, b: Tensor, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Tensor:
    """conv2d(x, w, ...) + b (O,) per output channel, on already-checked operands (`ember.nn.functional.conv2d`)."""
    _check_float("conv2d", x, w, b)
    same_device("conv2d", (x, w, b))
    args = (tuple(stride), tuple(padding), tuple(dilation), int(groups))
    oh, ow = _out_hw(x.shape[2:], (w.shape[2], w.shape[3]), stride, padding, dilation)
    return call(CONV2D_BIAS, (x, w, b), args, (x.shape[0], w.shape[0], oh, ow), x.dtype)


def conv2d_input_grad(
    g: Tensor, w: Tensor, input_hw: Any, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Tensor:
    """The adjoint of conv2d in its input: shape (N, C, *input_hw)."""
    _check_float("conv2d_input_grad", g, w)
    hw = (int(input_hw[0]), int(input_hw[1]))
    args = (hw, tuple(stride), tuple(padding), tuple(dilation), int(groups))
    return call(CONV2D_INPUT_GRAD, (g, w), args, (g.shape[0], w.shape[1] * groups, *hw), g.dtype)


def conv2d_weight_grad(
    x: Tensor, g: Tensor, kernel_hw: Any, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Tensor:
    """The adjoint of conv2d in its weight: shape (O, C/groups, *kernel_hw)."""
    _check_float("conv2d_weight_grad", x, g)
    k = (int(kernel_hw[0]), int(kernel_hw[1]))
    args = (k, tuple(stride), tuple(padding), tuple(dilation), int(groups))
    return call(CONV2D_WEIGHT_GRAD, (x, g), args, (g.shape[1], x.shape[1] // groups, *k), x.dtype)
