"""ONNX operators that create tensors or move their elements: shapes, reshapes, slices, concatenation, padding."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
import ember.nn.functional as F
from ember import Tensor

from ..elem_types import to_ember
from ..ops_table import Node, handler
from .random import node_generator


def axis_of(node: Node, axis: int, ndim: int) -> int:
    """`axis` in 0..ndim-1, or an error naming the node."""
    if not -ndim <= axis < max(ndim, 1):
        raise node.error(f"axis {axis} is out of range for a tensor of rank {ndim}")
    return axis % max(ndim, 1)


@handler("Constant", since=1)
def _constant(node: Node) -> Tensor:
    t = node.cache.get("value")
    if t is None:
        for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
            if key in node.attrs:
                v = node.attrs[key]
                break
        else:
            raise node.error(f"Constant has none of the supported value attributes (has {sorted(node.attrs)})")
        if key in ("value_float", "value_floats"):
            v = np.asarray(v, np.float32)
        elif key in ("value_int", "value_ints"):
            v = np.asarray(v, np.int64)
        t = node.cache["value"] = ember.tensor(np.asarray(v), device=node.device)
    return t


@handler("ConstantOfShape", since=9)
def _constant_of_shape(node: Node, shape: Tensor) -> Tensor:
    value = node.attr("value")
    arr = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    dtype = ember.tensor(arr[:1]).dtype
    return ember.full(node.ints(shape), arr[0].item(), dtype=dtype, device=node.device)


@handler("Shape", since=15)
def _shape(node: Node, x: Tensor) -> Tensor:
    dims = list(x.shape)
    start, end = node.attr("start", 0), node.attr("end", None)
    return node.const(dims[start:end], ember.int64)


@handler("Shape", since=1, until=14)
def _shape1(node: Node, x: Tensor) -> Tensor:
    return node.const(list(x.shape), ember.int64)


@handler("Size", since=1)
def _size(node: Node, x: Tensor) -> Tensor:
    return node.const(x.numel(), ember.int64)


@handler("Reshape", since=5)
def _reshape(node: Node, x: Tensor, shape: Tensor) -> Tensor:
    dims = node.ints(shape)
    if not node.attr("allowzero", 0):
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(dims)]
    return x.reshape(dims)


@handler("Flatten", since=1)
def _flatten(node: Node, x: Tensor) -> Tensor:
    axis = node.attr("axis", 1)
    axis = axis % x.ndim if axis < 0 else axis
    lead = int(np.prod(x.shape[:axis], dtype=np.int64))
    return x.reshape(lead, -1) if x.numel() else x.reshape(lead, int(np.prod(x.shape[axis:], dtype=np.int64)))


@handler("Squeeze", since=13)
def _squeeze(node: Node, x: Tensor, axes: Tensor | None = None) -> Tensor:
    return _squeeze_axes(node, x, node.ints(axes) if axes is not None else None)


@handler("Squeeze", since=1, until=12)
def _squeeze1(node: Node, x: Tensor) -> Tensor:
    return _squeeze_axes(node, x, node.attr("axes"))


def _squeeze_axes(node: Node, x: Tensor, axes: list[int] | None) -> Tensor:
    if axes is None:
        return x.reshape([d for d in x.shape if d != 1])
    axes = [axis_of(node, a, x.ndim) for a in axes]
    return x.reshape([d for i, d in enumerate(x.shape) if i not in axes])


@handler("Unsqueeze", since=13)
def _unsqueeze(node: Node, x: Tensor, axes: Tensor) -> Tensor:
    return _unsqueeze_axes(node, x, node.ints(axes))


@handler("Unsqueeze", since=1, until=12)
def _unsqueeze1(node: Node, x: Tensor) -> Tensor:
    return _unsqueeze_axes(node, x, node.attr("axes"))


def _unsqueeze_axes(node: Node, x: Tensor, axes: list[int]) -> Tensor:
    rank = x.ndim + len(axes)
    axes = sorted(axis_of(node, a, rank) for a in axes)
    dims = list(x.shape)
    for a in axes:
        dims.insert(a, 1)
    return x.reshape(dims)


@handler("Transpose", since=1)
def _transpose(node: Node, x: Tensor) -> Tensor:
    perm = node.attr("perm") or list(range(x.ndim))[::-1]
    return x.permute(*perm)


@handler("Concat", since=4)
def _concat(node: Node, *xs: Tensor) -> Tensor:
    axis = axis_of(node, node.attr("axis", 0), xs[0].ndim)
    return ember.cat(list(xs), dim=axis)


@handler("Split", since=13)
def _split(node: Node, x: Tensor, split: Tensor | None = None) -> tuple[Tensor, ...]:
    return _split_sizes(node, x, node.ints(split) if split is not None else node.attr("split"))


@handler("Split", since=2, until=12)
def _split2(node: Node, x: Tensor) -> tuple[Tensor, ...]:
    return _split_sizes(node, x, node.attr("split"))


def _split_sizes(node: Node, x: Tensor, sizes: list[int] | None) -> tuple[Tensor, ...]:
    axis = axis_of(node, node.attr("axis", 0), x.ndim)
    n = x.shape[axis]
    if not sizes:
        parts = node.attr("num_outputs", node.n_outputs)
        chunk = -(-n // parts)
        sizes = [min(chunk, max(n - i * chunk, 0)) for i in range(parts)]
    return tuple(ember.split(x, list(sizes), dim=axis))


def slice_axis(x: Tensor, axis: int, start: int, end: int, step: int) -> Tensor:
    """``x[..., start:end:step, ...]`` on `axis`, with ONNX's clamping and negative steps."""
    n = x.shape[axis]
    start, stop, step = slice(start, end, step).indices(n)
    if step > 0:
        length = max(0, -(-(stop - start) // step))
    else:
        length = max(0, -(-(start - stop) // -step))
    if length == 0:
        shape = list(x.shape)
        shape[axis] = 0
        return x.narrow(axis, 0, 0) if n == 0 else ember.empty(shape, dtype=x.dtype, device=x.device)
    if step < 0:
        x = ember.flip(x, [axis])
        start = n - 1 - start
        step = -step
    index: list[Any] = [slice(None)] * x.ndim
    index[axis] = slice(start, start + (length - 1) * step + 1, step)
    return x[tuple(index)]


@handler("Slice", since=10)
def _slice(
    node: Node, x: Tensor, starts: Tensor, ends: Tensor, axes: Tensor | None = None, steps: Tensor | None = None
) -> Tensor:
    s, e = node.ints(starts), node.ints(ends)
    ax = node.ints(axes) if axes is not None else list(range(len(s)))
    st = node.ints(steps) if steps is not None else [1] * len(s)
    for a, b, c, d in zip(ax, s, e, st):
        if d == 0:
            raise node.error("slice step cannot be 0")
        x = slice_axis(x, axis_of(node, a, x.ndim), b, c, d)
    return x


@handler("Slice", since=1, until=9)
def _slice1(node: Node, x: Tensor) -> Tensor:
    starts, ends = node.attr("starts"), node.attr("ends")
    for a, b, c in zip(node.attr("axes") or range(len(starts)), starts, ends):
        x = slice_axis(x, axis_of(node, a, x.ndim), b, c, 1)
    return x


@handler("Expand", since=8)
def _expand(node: Node, x: Tensor, shape: Tensor) -> Tensor:
    target = node.ints(shape)
    out = np.broadcast_shapes(tuple(x.shape), tuple(target))
    return ember.broadcast_to(x, out)


@handler("Tile", since=6)
def _tile(node: Node, x: Tensor, repeats: Tensor) -> Tensor:
    return ember.tile(x, node.ints(repeats))


@handler("Range", since=11)
def _range(node: Node, start: Tensor, limit: Tensor, delta: Tensor) -> Tensor:
    a, b, d = node.scalar(start), node.scalar(limit), node.scalar(delta)
    n = max(int(np.ceil((b - a) / d)), 0)
    return (ember.arange(n, dtype=ember.int64, device=node.device).to(start.dtype) * d + a).to(start.dtype)


@handler("Pad", since=11)
def _pad(
    node: Node, x: Tensor, pads: Tensor, value: Tensor | None = None, axes: Tensor | None = None
) -> Tensor:
    p = node.ints(pads)
    ax = [axis_of(node, a, x.ndim) for a in node.ints(axes)] if axes is not None else list(range(x.ndim))
    k = len(ax)
    begin, end = [0] * x.ndim, [0] * x.ndim
    for i, a in enumerate(ax):
        begin[a], end[a] = p[i], p[i + k]
    fill = node.scalar(value) if value is not None and value.numel() else 0
    return pad(node, x, begin, end, node.attr("mode", "constant"), fill)


@handler("Pad", since=2, until=10)
def _pad2(node: Node, x: Tensor) -> Tensor:
    p = node.attr("pads")
    n = x.ndim
    return pad(node, x, list(p[:n]), list(p[n:]), node.attr("mode", "constant"), node.attr("value", 0.0))


def pad(node: Node, x: Tensor, begin: list[int], end: list[int], mode: str, fill: Any = 0) -> Tensor:
    """Pad (or, for negative amounts, crop) each axis of `x` by begin/end, ONNX's modes."""
    for a in range(x.ndim):  # negative pads crop
        if begin[a] < 0 or end[a] < 0:
            n = x.shape[a]
            lo, hi = max(-begin[a], 0), max(-end[a], 0)
            x = x.narrow(a, lo, n - lo - hi)
            begin[a], end[a] = max(begin[a], 0), max(end[a], 0)
    if not any(begin) and not any(end):
        return x
    if mode == "constant":
        widths = []
        for a in reversed(range(x.ndim)):
            widths += [begin[a], end[a]]
        if x.dtype == ember.bool_:
            return F.pad(x.to(ember.uint8), widths, value=float(fill)).to(ember.bool_)
        return F.pad(x, widths, value=fill)
    for a in range(x.ndim):
        if begin[a] or end[a]:
            x = _pad_axis(node, x, a, begin[a], end[a], mode)
    return x


def _pad_axis(node: Node, x: Tensor, axis: int, lo: int, hi: int, mode: str) -> Tensor:
    n = x.shape[axis]
    idx = np.arange(-lo, n + hi)
    if mode == "edge":
        idx = np.clip(idx, 0, n - 1)
    elif mode == "reflect":
        if n == 1:
            idx = np.zeros_like(idx)
        else:
            period = 2 * (n - 1)
            idx = np.abs(idx) % period
            idx = np.where(idx >= n, period - idx, idx)
    elif mode == "wrap":
        idx = idx % n
    else:
        raise node.error(f"unknown pad mode {mode!r} (constant, reflect, edge, wrap)")
    return ember.index_select(x, axis, node.const(idx.tolist(), ember.int64))


@handler("Dropout", since=12)
def _dropout(node: Node, x: Tensor, ratio: Tensor | None = None, training: Tensor | None = None) -> Any:
    if training is not None and bool(node.scalar(training)):
        p = node.scalar(ratio) if ratio is not None else 0.5
        keep = ember.rand(*x.shape, generator=node_generator(node), device=x.device) >= p
        y = ember.where(keep, x / (1 - p), ember.zeros_like(x)) if p < 1 else ember.zeros_like(x)
        return (y, keep) if node.n_outputs > 1 else y
    if node.n_outputs > 1:
        return x, ember.ones(x.shape, dtype=ember.bool_, device=x.device)
    return x


@handler("Dropout", since=7, until=11)
def _dropout7(node: Node, x: Tensor) -> Any:
    if node.n_outputs > 1:
        return x, ember.ones(x.shape, dtype=ember.bool_, device=x.device)
    return x


@handler("DepthToSpace", since=13)
def _depth_to_space(node: Node, x: Tensor) -> Tensor:
    b = node.attr("blocksize")
    n, c, h, w = x.shape
    if node.attr("mode", "DCR") == "DCR":
        y = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        y = x.reshape(n, c // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (b * b), h * b, w * b)


@handler("SpaceToDepth", since=13)
def _space_to_depth(node: Node, x: Tensor) -> Tensor:
    b = node.attr("blocksize")
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b)
    if node.attr("mode", "DCR") == "CRD":  # channel-major: the block offsets vary fastest
        y = y.permute(0, 1, 3, 5, 2, 4)
    else:
        y = y.permute(0, 3, 5, 1, 2, 4)
    return y.reshape(n, c * b * b, h // b, w // b)


@handler("Trilu", since=14)
def _trilu(node: Node, x: Tensor, k: Tensor | None = None) -> Tensor:
    diag = node.scalar(k) if k is not None else 0
    return ember.triu(x, diag) if node.attr("upper", 1) else ember.tril(x, diag)


@handler("EyeLike", since=9)
def _eye_like(node: Node, x: Tensor) -> Tensor:
    dt = node.attr("dtype")
    dtype = to_ember(dt, node.where()) if dt is not None else x.dtype
    n, m = x.shape
    k = node.attr("k", 0)
    eye = np.eye(n, m, k)
    return node.const(eye.tolist(), ember.float64).to(dtype)


@handler("Einsum", since=12)
def _einsum(node: Node, *xs: Tensor) -> Tensor:
    return ember.einsum(node.attr("equation").replace(" ", ""), *xs)


@handler("MatMul", since=13)
def _matmul(node: Node, a: Tensor, b: Tensor) -> Tensor:
    return ember.matmul(a, b)


@handler("MatMul", since=1, until=12)
def _matmul1(node: Node, a: Tensor, b: Tensor) -> Tensor:
    return ember.matmul(a, b)


@handler("Gemm", since=6)
def _gemm(node: Node, a: Tensor, b: Tensor, c: Tensor | None = None) -> Tensor:
    if node.attr("transA", 0):
        a = a.t()
    if node.attr("transB", 0):
        b = b.t()
    y = ember.matmul(a, b)
    alpha, beta = node.attr("alpha", 1.0), node.attr("beta", 1.0)
    if alpha != 1.0:
        y = y * alpha
    if c is not None:
        y = y + (c * beta if beta != 1.0 else c)
    return y


@handler("Det", since=11)
def _det(node: Node, x: Tensor) -> Tensor:
    return ember.linalg.det(x)


@handler("CenterCropPad", since=18)
def _center_crop_pad(node: Node, x: Tensor, shape: Tensor) -> Tensor:
    target = node.ints(shape)
    axes = [axis_of(node, a, x.ndim) for a in (node.attr("axes") or range(x.ndim))]
    begin, end = [0] * x.ndim, [0] * x.ndim
    for a, t in zip(axes, target):
        diff = t - x.shape[a]
        if diff >= 0:  # pad: the extra element goes to the end
            begin[a], end[a] = diff // 2, diff - diff // 2
        else:  # crop: the extra element is cut from the end too
            cut = -diff
            begin[a], end[a] = -(cut // 2), -(cut - cut // 2)
    return pad(node, x, begin, end, "constant")
