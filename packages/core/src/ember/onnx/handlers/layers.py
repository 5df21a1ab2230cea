"""ONNX neural-network layers: convolutions, pooling, normalizations, grid sampling."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

import ember
import ember.nn.functional as F
from ember import Tensor

from ..ops_table import Node, handler
from .movement import pad


def _spatial_pads(
    node: Node, sizes: list[int], kernel: list[int], strides: list[int], dilations: list[int]
) -> tuple[list[int], list[int]]:
    """The (begin, end) padding of each spatial axis: the ``pads`` attribute, or what ``auto_pad`` asks for."""
    n = len(sizes)
    auto = node.attr("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        pads = node.attr("pads") or [0] * (2 * n)
        return list(pads[:n]), list(pads[n:])
    if auto == "VALID":
        return [0] * n, [0] * n
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise node.error(f"unknown auto_pad {auto!r} (NOTSET, SAME_UPPER, SAME_LOWER, VALID)")
    begin, end = [], []
    for size, k, s, d in zip(sizes, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small = total // 2
        begin.append(small if auto == "SAME_UPPER" else total - small)
        end.append(total - begin[-1])
    return begin, end


def _geometry(node: Node, x: Tensor, kernel: list[int]) -> tuple[list[int], list[int], list[int], list[int]]:
    n = x.ndim - 2
    strides = node.attr("strides") or [1] * n
    dilations = node.attr("dilations") or [1] * n
    begin, end = _spatial_pads(node, list(x.shape[2:]), kernel, strides, dilations)
    return strides, dilations, begin, end


def _by_rank(node: Node, fns: tuple[Any, Any, Any], x: Tensor) -> Any:
    n = x.ndim - 2
    if not 1 <= n <= 3:
        raise node.error(f"{node.op_type} on {n} spatial dimensions is not supported (1 to 3; input shape {x.shape})")
    return fns[n - 1]


@handler("Conv", since=1)
def _conv(node: Node, x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    return conv(node, x, w, b)


def conv(node: Node, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """ONNX's convolution (auto_pad, asymmetric pads, groups, dilations) of `node` on `x`."""
    kernel = list(w.shape[2:])
    strides, dilations, begin, end = _geometry(node, x, kernel)
    fn = _by_rank(node, (F.conv1d, F.conv2d, F.conv3d), x)
    if begin != end:
        x = pad(node, x, [0, 0] + begin, [0, 0] + end, "constant")
        begin = [0] * len(begin)
    return fn(x, w, b, stride=strides, padding=begin, dilation=dilations, groups=node.attr("group", 1))


@handler("ConvTranspose", since=1)
def _conv_transpose(node: Node, x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    n = x.ndim - 2
    kernel = list(w.shape[2:])
    strides = node.attr("strides") or [1] * n
    dilations = node.attr("dilations") or [1] * n
    out_pad = node.attr("output_padding") or [0] * n
    sizes = list(x.shape[2:])
    full = [s * (i - 1) + op + (k - 1) * d + 1 for i, s, op, k, d in zip(sizes, strides, out_pad, kernel, dilations)]
    output_shape = node.attr("output_shape")
    auto = node.attr("auto_pad", "NOTSET")
    if output_shape or auto in ("SAME_UPPER", "SAME_LOWER"):
        target = list(output_shape[-n:]) if output_shape else [i * s for i, s in zip(sizes, strides)]
        totals = [f - t for f, t in zip(full, target)]
        half = [t // 2 for t in totals]  # floor division, as ONNX's reference (an output larger than the full one pads)
        if auto == "SAME_UPPER":
            begin, end = half, [t - h for t, h in zip(totals, half)]
        else:  # SAME_LOWER, or output_shape with explicit padding mode
            begin, end = [t - h for t, h in zip(totals, half)], half
    elif auto == "VALID":
        begin, end = [0] * n, [0] * n
    else:
        pads = node.attr("pads") or [0] * (2 * n)
        begin, end = list(pads[:n]), list(pads[n:])
    fn = _by_rank(node, (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d), x)
    y = fn(x, w, None, stride=strides, padding=0, groups=node.attr("group", 1), dilation=dilations)
    # the full output, then output_padding's extra rows at the end, then the (possibly asymmetric) crop
    y = pad(node, y, [0, 0] + [0] * n, [0, 0] + out_pad, "constant")
    y = pad(node, y, [0, 0] + [-v for v in begin], [0, 0] + [-v for v in end], "constant")
    if b is not None:
        y = y + b.reshape([1, -1] + [1] * n)
    return y


def _pool_layout(node: Node, x: Tensor) -> tuple[list[int], list[int], list[int], list[int], list[int], list[int]]:
    """Kernel, strides, dilations, and begin/end padding (end includes what ceil_mode adds) of a pooling node."""
    kernel = list(node.attr("kernel_shape"))
    strides, dilations, begin, end = _geometry(node, x, kernel)
    extra = []
    for size, k, s, d, pb, pe in zip(x.shape[2:], kernel, strides, dilations, begin, end):
        span = (k - 1) * d + 1
        if node.attr("ceil_mode", 0):
            out = -(-(size + pb + pe - span) // s) + 1
            if (out - 1) * s >= size + pb:  # the last window would start in the end padding
                out -= 1
        else:
            out = (size + pb + pe - span) // s + 1
        extra.append(max((out - 1) * s + span - (size + pb + pe), 0))
    return kernel, strides, dilations, begin, end, extra


def _lowest(x: Tensor) -> float:
    return -math.inf if x.dtype.is_floating_point else ember.iinfo(x.dtype).min


@handler("MaxPool", since=1)
def _max_pool(node: Node, x: Tensor) -> Any:
    kernel, strides, dilations, begin, end, extra = _pool_layout(node, x)
    n = x.ndim - 2
    ends = [e + x_ for e, x_ in zip(end, extra)]
    integer = not x.dtype.is_floating_point
    source = x.to(ember.float64 if x.dtype in (ember.int32, ember.int64) else ember.float32) if integer else x
    padded = pad(node, source, [0, 0] + begin, [0, 0] + ends, "constant", _lowest(source))
    fn = _by_rank(node, (F.max_pool1d, F.max_pool2d, F.max_pool3d), x)
    want_indices = node.n_outputs > 1
    out = fn(padded, kernel, strides, 0, dilations, False, want_indices)
    if not want_indices:
        return out.to(x.dtype) if integer else out
    y, idx = out
    y = y.to(x.dtype) if integer else y
    # indices into the padded plane -> flat indices into the unpadded input (row- or column-major)
    psizes, sizes = list(padded.shape[2:]), list(x.shape[2:])
    order = range(n) if node.attr("storage_order", 0) else reversed(range(n))
    stride, flat = 1, None
    coords = []
    rem = idx
    for i in reversed(range(n)):
        coords.append(rem % psizes[i])
        rem = ember.floor_divide(rem, psizes[i])
    coords = coords[::-1]
    for i in order:
        term = (coords[i] - begin[i]) * stride
        flat = term if flat is None else flat + term
        stride *= sizes[i]
    plane = ember.arange(x.shape[0] * x.shape[1], dtype=ember.int64, device=x.device)
    plane = plane.reshape([x.shape[0], x.shape[1]] + [1] * n) * math.prod(sizes)
    return y, flat + plane


def _window_sum(node: Node, x: Tensor, kernel: list[int], strides: list[int], dilations: list[int] | None = None) -> Tensor:
    """Sums over the pooling windows of an already padded `x` (dilated windows: one strided slice per offset)."""
    if dilations is None or all(d == 1 for d in dilations):
        fn = _by_rank(node, (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d), x)
        return fn(x, kernel, strides, 0) * math.prod(kernel)
    sizes = list(x.shape[2:])
    outs = [(n - (k - 1) * d - 1) // s + 1 for n, k, s, d in zip(sizes, kernel, strides, dilations)]
    total = None
    for offset in itertools.product(*[range(k) for k in kernel]):
        index: list[Any] = [slice(None), slice(None)]
        for o, d, s, m in zip(offset, dilations, strides, outs):
            index.append(slice(o * d, o * d + (m - 1) * s + 1, s))
        part = x[tuple(index)]
        total = part if total is None else total + part
    assert total is not None
    return total


@handler("AveragePool", since=1)
def _avg_pool(node: Node, x: Tensor) -> Tensor:
    kernel, strides, dilations, begin, end, extra = _pool_layout(node, x)
    n = x.ndim - 2
    zeros, ends = [0, 0], [0, 0] + [e + x_ for e, x_ in zip(end, extra)]
    sums = _window_sum(node, pad(node, x, zeros + begin, ends, "constant"), kernel, strides, dilations)
    ones = ember.ones([1, 1] + list(x.shape[2:]), dtype=x.dtype, device=x.device)
    if node.attr("count_include_pad", 0):
        inside = pad(node, ones, zeros + begin, zeros + end, "constant", 1.0)
        counts = pad(node, inside, [0] * (n + 2), zeros + extra, "constant")
    else:
        counts = pad(node, ones, zeros + begin, ends, "constant")
    return sums / _window_sum(node, counts, kernel, strides, dilations)


@handler("LpPool", since=18)
def _lp_pool(node: Node, x: Tensor) -> Tensor:
    kernel, strides, dilations, begin, end, extra = _pool_layout(node, x)
    p = node.attr("p", 2)
    ends = [0, 0] + [e + x_ for e, x_ in zip(end, extra)]
    sums = _window_sum(node, pad(node, ember.abs(x) ** p, [0, 0] + begin, ends, "constant"), kernel, strides, dilations)
    return sums ** (1.0 / p)


def _spatial(x: Tensor) -> list[int]:
    return list(range(2, x.ndim))


@handler("GlobalAveragePool", since=1)
def _global_avg(node: Node, x: Tensor) -> Tensor:
    return ember.mean(x, dim=_spatial(x), keepdim=True)


@handler("GlobalMaxPool", since=1)
def _global_max(node: Node, x: Tensor) -> Tensor:
    return ember.amax(x, dim=_spatial(x), keepdim=True)


@handler("GlobalLpPool", since=2)
def _global_lp(node: Node, x: Tensor) -> Tensor:
    p = node.attr("p", 2)
    return ember.sum(ember.abs(x) ** p, dim=_spatial(x), keepdim=True) ** (1.0 / p)


def _channel(t: Tensor, ndim: int) -> Tensor:
    return t.reshape([1, -1] + [1] * (ndim - 2))


@handler("BatchNormalization", since=6)
def _batch_norm(
    node: Node, x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, var: Tensor
) -> Any:
    eps = node.attr("epsilon", 1e-5)
    if not node.attr("training_mode", 0):
        y = (x - _channel(mean, x.ndim)) * ember.rsqrt(_channel(var, x.ndim) + eps)
        return y * _channel(scale, x.ndim) + _channel(bias, x.ndim)
    dims = [0] + _spatial(x)
    batch_mean = ember.mean(x, dim=dims)
    batch_var = ember.mean((x - _channel(batch_mean, x.ndim)) ** 2, dim=dims)
    y = (x - _channel(batch_mean, x.ndim)) * ember.rsqrt(_channel(batch_var, x.ndim) + eps)
    y = y * _channel(scale, x.ndim) + _channel(bias, x.ndim)
    momentum = node.attr("momentum", 0.9)
    running_mean = mean * momentum + batch_mean * (1 - momentum)
    running_var = var * momentum + batch_var * (1 - momentum)
    return (y, running_mean.to(mean.dtype), running_var.to(var.dtype))[: node.n_outputs]


@handler("InstanceNormalization", since=6)
def _instance_norm(node: Node, x: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
    dims = _spatial(x)
    mean = ember.mean(x, dim=dims, keepdim=True)
    var = ember.mean((x - mean) ** 2, dim=dims, keepdim=True)
    y = (x - mean) * ember.rsqrt(var + node.attr("epsilon", 1e-5))
    return y * _channel(scale, x.ndim) + _channel(bias, x.ndim)


def _stash(node: Node, x: Tensor) -> Tensor:
    """``stash_type``: compute the statistics in float32 (1, the default) or in the input's type."""
    return x.to(ember.float32) if node.attr("stash_type", 1) == 1 and x.dtype != ember.float64 else x


@handler("LayerNormalization", since=17)
def _layer_norm(node: Node, x: Tensor, scale: Tensor, bias: Tensor | None = None) -> Any:
    axis = node.attr("axis", -1) % x.ndim
    dims = list(range(axis, x.ndim))
    xs = _stash(node, x)
    mean = ember.mean(xs, dim=dims, keepdim=True)
    var = ember.mean((xs - mean) ** 2, dim=dims, keepdim=True)
    inv = ember.rsqrt(var + node.attr("epsilon", 1e-5))
    y = ((xs - mean) * inv).to(x.dtype) * scale
    if bias is not None:
        y = y + bias
    return (y, mean, inv)[: node.n_outputs] if node.n_outputs > 1 else y


@handler("RMSNormalization", since=23)
def _rms_norm(node: Node, x: Tensor, scale: Tensor) -> Tensor:
    axis = node.attr("axis", -1) % x.ndim
    xs = _stash(node, x)
    ms = ember.mean(xs * xs, dim=list(range(axis, x.ndim)), keepdim=True)
    return (xs * ember.rsqrt(ms + node.attr("epsilon", 1e-5))).to(x.dtype) * scale


def _group_norm(node: Node, x: Tensor, scale: Tensor, bias: Tensor, per_channel: bool) -> Tensor:
    groups = node.attr("num_groups")
    n, c = x.shape[0], x.shape[1]
    xs = _stash(node, x).reshape(n, groups, -1)
    mean = ember.mean(xs, dim=2, keepdim=True)
    var = ember.mean((xs - mean) ** 2, dim=2, keepdim=True)
    y = ((xs - mean) * ember.rsqrt(var + node.attr("epsilon", 1e-5))).to(x.dtype).reshape(x.shape)
    if not per_channel:  # GroupNormalization-18: one scale and bias per group
        scale = ember.repeat_interleave(scale, c // groups)
        bias = ember.repeat_interleave(bias, c // groups)
    return y * _channel(scale, x.ndim) + _channel(bias, x.ndim)


@handler("GroupNormalization", since=21)
def _group_norm21(node: Node, x: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
    return _group_norm(node, x, scale, bias, True)


@handler("GroupNormalization", since=18, until=20)
def _group_norm18(node: Node, x: Tensor, scale: Tensor, bias: Tensor) -> Tensor:
    return _group_norm(node, x, scale, bias, False)


@handler("LRN", since=1)
def _lrn(node: Node, x: Tensor) -> Tensor:
    size = node.attr("size")
    alpha, beta, bias = node.attr("alpha", 1e-4), node.attr("beta", 0.75), node.attr("bias", 1.0)
    sq = (x * x).unsqueeze(1)  # (N, 1, C, ...): a window over channels
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = pad(node, sq, [0, 0, lo] + [0] * (x.ndim - 2), [0, 0, hi] + [0] * (x.ndim - 2), "constant")
    sums = ember.cumsum(sq, dim=2)
    zero = ember.zeros_like(sums.narrow(2, 0, 1))
    sums = ember.cat([zero, sums], dim=2)
    c = x.shape[1]
    window = (sums.narrow(2, size, c) - sums.narrow(2, 0, c)).squeeze(1)
    return x / (bias + alpha / size * window) ** beta


@handler("LpNormalization", since=1)
def _lp_norm(node: Node, x: Tensor) -> Tensor:
    p = node.attr("p", 2)
    axis = node.attr("axis", -1)
    if p == 1:
        norm = ember.sum(ember.abs(x), dim=axis, keepdim=True)
    else:
        norm = ember.sqrt(ember.sum(x * x, dim=axis, keepdim=True))
    zero = norm == 0
    return ember.where(zero, ember.zeros_like(x), x / ember.where(zero, ember.ones_like(norm), norm))


_GRID_MODES = {"bilinear": "bilinear", "linear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "cubic": "bicubic"}


@handler("GridSample", since=16)
def _grid_sample(node: Node, x: Tensor, grid: Tensor) -> Tensor:
    mode = node.attr("mode", "linear" if node.version >= 20 else "bilinear")
    if x.ndim not in (4, 5):
        raise node.error(f"GridSample on {x.ndim - 2} spatial dimensions is not supported (2-D and 3-D)")
    return F.grid_sample(
        x,
        grid,
        mode=_GRID_MODES.get(mode, mode),
        padding_mode=node.attr("padding_mode", "zeros"),
        align_corners=bool(node.attr("align_corners", 0)),
    )


@handler("AffineGrid", since=20)
def _affine_grid(node: Node, theta: Tensor, size: Tensor) -> Tensor:
    return F.affine_grid(theta, node.ints(size), align_corners=bool(node.attr("align_corners", 0)))


@handler("MeanVarianceNormalization", since=9)
def _mvn(node: Node, x: Tensor) -> Tensor:
    axes = [a % x.ndim for a in (node.attr("axes") or [0, 2, 3])]
    mean = ember.mean(x, dim=axes, keepdim=True)
    var = ember.mean(x * x, dim=axes, keepdim=True) - mean * mean
    return (x - mean) / (ember.sqrt(var) + 1e-9)


@handler("Col2Im", since=18)
def _col2im(node: Node, x: Tensor, image_shape: Tensor, block_shape: Tensor) -> Tensor:
    image, kernel = node.ints(image_shape), node.ints(block_shape)
    n = len(image)
    dilations = node.attr("dilations") or [1] * n
    strides = node.attr("strides") or [1] * n
    pads = node.attr("pads") or [0] * (2 * n)
    blocks = [
        (size + pads[d] + pads[d + n] - (dil * (k - 1) + 1)) // s + 1
        for d, (size, k, s, dil) in enumerate(zip(image, kernel, strides, dilations))
    ]
    # where each (kernel offset, block) column element lands in the image; outside ones go to a spare slot
    spare = math.prod(image)
    target = np.full((math.prod(kernel), math.prod(blocks)), spare, np.int64)
    for ki, offset in enumerate(itertools.product(*[range(k) for k in kernel])):
        for bi, block in enumerate(itertools.product(*[range(b) for b in blocks])):
            coords = [b * s - pads[d] + o * dil for d, (b, s, o, dil) in enumerate(zip(block, strides, offset, dilations))]
            if all(0 <= c < size for c, size in zip(coords, image)):
                target[ki, bi] = int(np.ravel_multi_index(coords, image))
    batch, channels = x.shape[0], x.shape[1] // math.prod(kernel)
    cols = x.reshape(batch, channels, -1)
    index = node.const(target.reshape(-1).tolist(), ember.int64).reshape(1, 1, -1).expand(batch, channels, target.size)
    out = ember.zeros((batch, channels, spare + 1), dtype=x.dtype, device=x.device)
    out = ember.scatter_add(out, 2, index, cols)
    return out.narrow(2, 0, spare).reshape([batch, channels] + image)


@handler("DeformConv", since=19)
def _deform_conv(
    node: Node, x: Tensor, w: Tensor, offset: Tensor, b: Tensor | None = None, mask: Tensor | None = None
) -> Tensor:
    if x.ndim != 4:
        raise node.error(f"DeformConv on {x.ndim - 2} spatial dimensions is not supported (2-D only)")
    n, c, ih, iw = x.shape
    oc, _, kh, kw = w.shape
    sh, sw = node.attr("strides") or [1, 1]
    dh, dw = node.attr("dilations") or [1, 1]
    pads = node.attr("pads") or [0, 0, 0, 0]
    groups, offset_groups = node.attr("group", 1), node.attr("offset_group", 1)
    oh, ow = offset.shape[2], offset.shape[3]
    off = offset.reshape(n, offset_groups, kh * kw, 2, oh, ow)
    taps = kh * kw
    # each tap's sampling position on the input grid, before its learned offset: (taps, oh, ow)
    base_y = (np.arange(kh) * dh).repeat(kw).reshape(-1, 1, 1) + (np.arange(oh) * sh - pads[0]).reshape(1, -1, 1)
    base_x = np.tile(np.arange(kw) * dw, kh).reshape(-1, 1, 1) + (np.arange(ow) * sw - pads[1]).reshape(1, 1, -1)
    by = node.const(np.broadcast_to(base_y, (taps, oh, ow)).tolist(), ember.float64).to(x.dtype)
    bx = node.const(np.broadcast_to(base_x, (taps, oh, ow)).tolist(), ember.float64).to(x.dtype)
    per_group = c // offset_groups
    columns = []
    for g in range(offset_groups):
        gy = (by + off[:, g, :, 0]) / max(ih - 1, 1) * 2 - 1
        gx = (bx + off[:, g, :, 1]) / max(iw - 1, 1) * 2 - 1
        grid = ember.stack([gx, gy], dim=-1).reshape(n, taps * oh, ow, 2)
        sampled = F.grid_sample(x.narrow(1, g * per_group, per_group), grid, align_corners=True)
        sampled = sampled.reshape(n, per_group, taps, oh, ow)
        if mask is not None:
            sampled = sampled * mask.reshape(n, offset_groups, taps, oh, ow)[:, g].unsqueeze(1)
        columns.append(sampled)
    cols = ember.cat(columns, dim=1)  # (n, c, taps, oh, ow)
    cin, cout = c // groups, oc // groups
    outs = []
    for g in range(groups):
        cg = cols.narrow(1, g * cin, cin).reshape(n, cin * taps, oh * ow)
        wg = w.narrow(0, g * cout, cout).reshape(cout, cin * taps)
        outs.append(ember.matmul(wg, cg))
    y = ember.cat(outs, dim=1).reshape(n, oc, oh, ow)
    return y + b.reshape(1, -1, 1, 1) if b is not None else y
