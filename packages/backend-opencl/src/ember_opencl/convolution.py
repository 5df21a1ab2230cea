"""2-D convolution (im2col + GEMM, col2im by gathering) and max pooling on OpenCL.

`conv2d` and `conv2d_weight_grad` unfold x's windows into a column matrix with
one kernel that reads x through its strides (padding, stride, dilation and
groups resolved in the kernel), then call `linalg.matmul`. `conv2d_input_grad`
multiplies w^T by g, then each input pixel sums the columns that read it
(a gather: no atomics). The forward and the input gradient run one GEMM per
sample (batched, the weights packed once) when each is large enough for the
blocked GEMM; otherwise (small images, few channels) they fold the batch into
the columns of one GEMM per group (the input gradient then transposes g once;
the forward returns its (O, N, OH, OW)-ordered result as an (N, O, OH, OW) view).
`max_pool2d` is one kernel giving values and indices.
Every kernel gives each work-item a chunk of consecutive outputs, decoding
its first index once and stepping the coordinates with carries after that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember.xp_kernels import conv_out

from . import cltypes
from .clarray import CLArray, empty
from .elementwise import chunk_size, copy, launch, run
from .linalg import matmul as _matmul
from .linalg import takes_blocked_path
from .movement import permute, view

Pair = tuple[int, int]


def _zeros(out: CLArray) -> CLArray:
    launch("fill", "x0", out, [(0, out.dtype)])
    return out


def _walk(dims: Sequence[str], sizes: dict[str, str]) -> tuple[str, str]:
    """C code decoding flat index `first` into coordinates `dims` (outermost first), and stepping them by one."""
    decode = ["  long r = first;\n"]
    for d in reversed(dims[1:]):
        decode.append(f"  long {d} = r % {sizes[d]}; r /= {sizes[d]};\n")
    decode.append(f"  long {dims[0]} = r;\n")
    step = f"++{dims[0]};"
    for d in dims[1:]:
        step = f"if (++{d} == {sizes[d]}) {{ {d} = 0; {step} }}"
    return "".join(decode), f"    {step}\n"


def _reshape(a: CLArray, shape: tuple[int, ...]) -> CLArray:
    """A view of `a` as `shape`, or of a compact copy when a's strides do not allow one."""
    try:
        return view(a, shape)
    except ValueError:
        return view(copy(a), shape)


_GEOMETRY = ["long H", "long W", "long KH", "long KW", "long OH", "long OW",
             "long s0", "long s1", "long p0", "long p1", "long d0", "long d1"]  # fmt: skip
_SIZES = {"n": "N", "c": "C", "g": "G", "cg": "CG", "i": "KH", "j": "KW", "oh": "OH", "ow": "OW",
          "h": "H", "w": "W"}  # fmt: skip

# The column layouts: per sample (N, G, CG*KH*KW, OH*OW), for conv2d's batched GEMM; the batch folded into the
# columns (G, CG*KH*KW, N*OH*OW), for conv2d's folded GEMM and (read transposed) the weight gradient's.
_LAYOUTS = {"conv": ("n", "c", "i", "j", "oh", "ow"), "fold": ("g", "cg", "i", "j", "n", "oh", "ow")}


def _im2col_source(t: str, layout: str) -> str:
    """Each work-item fills `per` consecutive rows: the layout's last two dims (the output image) are
    plain loops, the others are decoded once and stepped per row."""
    *outer, a, b = _LAYOUTS[layout]
    decode, step = _walk(outer, _SIZES)
    channel = "" if "c" in outer else "    const long c = g * CG + cg;\n"
    params = ", ".join(["long rows", "long per", "long N", "long C", "long G", "long CG", *_GEOMETRY,
                        f"__global const {t}* x", "long x_off", "long sn", "long sc", "long sh", "long sw",
                        f"__global {t}* out"])  # fmt: skip
    return (
        cltypes.preamble([np.float64] if t == "double" else [np.float32])
        + f"__kernel void ember_im2col_{layout}({params}) {{\n"
        + "  const long first = get_global_id(0) * per, last = min(first + per, rows);\n"
        + "  if (first >= rows) return;\n"
        + decode
        + "  for (long e = first; e < last; ++e) {\n"
        + channel
        + f"    __global {t}* o = out + e * {_SIZES[a]} * {_SIZES[b]};\n"
        + "    const long base = x_off + n * sn + c * sc;\n"
        + f"    for (long {a} = 0; {a} < {_SIZES[a]}; ++{a}) {{\n"
        + "      const long hh = oh * s0 - p0 + i * d0;\n"
        + "      const bool inside = hh >= 0 && hh < H;\n"
        + f"      for (long {b} = 0; {b} < {_SIZES[b]}; ++{b}) {{\n"
        + "        const long ww = ow * s1 - p1 + j * d1;\n"
        + f"        o[{a} * {_SIZES[b]} + {b}] = (inside && ww >= 0 && ww < W) ? x[base + hh * sh + ww * sw] : ({t})0;\n"
        + "      }\n    }\n"
        + step
        + "  }\n}\n"
    )


def _geometry(x_hw: Pair, k: Pair, out_hw: Pair, stride: Pair, padding: Pair, dilation: Pair) -> list[int]:
    return [*x_hw, *k, *out_hw, *stride, *padding, *dilation]


def _im2col(x: CLArray, k: Pair, out_hw: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: int,
            layout: str) -> CLArray:  # fmt: skip
    """x's windows as a contiguous column array, its dims in `_LAYOUTS[layout]`'s order: "conv"
    (N, C, KH, KW, OH, OW) or "fold" (G, C/G, KH, KW, N, OH, OW)."""
    n, c, h, w = x.shape
    sizes = {"n": n, "c": c, "g": groups, "cg": c // groups, "i": k[0], "j": k[1], "oh": out_hw[0], "ow": out_hw[1]}
    out = empty(x.device, tuple(sizes[d] for d in _LAYOUTS[layout]), x.dtype)
    if out.size == 0:
        return out
    device = x.device
    t = cltypes.ctype(x.dtype)
    row = out.shape[-2] * out.shape[-1]
    rows = out.size // row
    per = max(1, chunk_size(device) // row)  # about a chunk of elements per work-item
    kernel = device.kernel(("im2col", layout, t), lambda: _im2col_source(t, layout),
                           f"ember_im2col_{layout}", [np.int64] * 18 + [None] + [np.int64] * 5 + [None])  # fmt: skip
    args = [rows, per, n, c, groups, sizes["cg"], *_geometry((h, w), k, out_hw, stride, padding, dilation),
            x.buffer, x.offset, *x.strides, out.buffer]  # fmt: skip
    run(device, kernel, -(-rows // per), args)
    return out


def _col2im_source(t: str, chunk: int) -> str:
    decode, step = _walk(("n", "c", "h", "w"), _SIZES)
    params = ", ".join(["long total", "long N", "long C", *_GEOMETRY, f"__global const {t}* col", "long col_off",
                        "long cn", "long cc", "long ci", "long cj", "long coh", "long cow",
                        f"__global {t}* out"])  # fmt: skip
    return (
        cltypes.preamble([np.float64] if t == "double" else [np.float32])
        + f"__kernel void ember_col2im({params}) {{\n"
        + f"  const long first = get_global_id(0) * {chunk}, last = min(first + {chunk}, total);\n"
        + "  if (first >= total) return;\n"
        + decode
        + "  for (long e = first; e < last; ++e) {\n"
        + f"    {t} acc = 0;\n"
        + "    const long base = col_off + n * cn + c * cc;\n"
        + "    for (long i = 0; i < KH; ++i) {\n"
        + "      const long hh = h + p0 - i * d0;\n"
        + "      if (hh < 0) break;\n"
        + "      const long oh = s0 == 1 ? hh : hh / s0;  // no 64-bit division at stride 1\n"
        + "      if (oh * s0 != hh || oh >= OH) continue;\n"
        + "      for (long j = 0; j < KW; ++j) {\n"
        + "        const long ww = w + p1 - j * d1;\n"
        + "        if (ww < 0) break;\n"
        + "        const long ow = s1 == 1 ? ww : ww / s1;\n"
        + "        if (ow * s1 != ww || ow >= OW) continue;\n"
        + "        acc += col[base + i * ci + j * cj + oh * coh + ow * cow];\n"
        + "      }\n    }\n"
        + "    out[e] = acc;\n"
        + step
        + "  }\n}\n"
    )


def _col2im(cols: CLArray, n: int, c: int, hw: Pair, k: Pair, out_hw: Pair, stride: Pair, padding: Pair,
            dilation: Pair) -> CLArray:  # fmt: skip
    """(N, C, H, W): each pixel the sum of the entries of cols (N, C, KH, KW, OH, OW) whose window reads it."""
    device = cols.device
    out = empty(device, (n, c, *hw), cols.dtype)
    total = out.size
    if total == 0:
        return out
    t = cltypes.ctype(cols.dtype)
    chunk = chunk_size(device)
    kernel = device.kernel(("col2im", t, chunk), lambda: _col2im_source(t, chunk), "ember_col2im",
                           [np.int64] * 15 + [None] + [np.int64] * 7 + [None])  # fmt: skip
    args = [total, n, c, *_geometry(hw, k, out_hw, stride, padding, dilation),
            cols.buffer, cols.offset, *cols.strides, out.buffer]  # fmt: skip
    run(device, kernel, -(-total // chunk), args)
    return out


def fold_batch(dtype: np.dtype, n: int, m: int, pixels: int, k: int) -> bool:
    """Whether a conv's GEMM over n samples of (m, k) @ (k, pixels) folds the batch into one GEMM (of
    n * pixels columns): where one per sample would be too small for the blocked GEMM."""
    return n > 1 and not takes_blocked_path(dtype, m, pixels, k)


def _batch_last_source(t: str) -> str:
    """Each work-item copies `per` consecutive (H, W) planes: decoded once, stepped per plane."""
    decode, step = _walk(("g", "cg", "n"), _SIZES)
    params = ", ".join(["long planes", "long per", "long N", "long CG", "long H", "long W", f"__global const {t}* a",
                        "long a_off", "long sn", "long sc", "long sh", "long sw", f"__global {t}* out"])  # fmt: skip
    return (
        cltypes.preamble([np.float64] if t == "double" else [np.float32])
        + f"__kernel void ember_batch_last({params}) {{\n"
        + "  const long first = get_global_id(0) * per, last = min(first + per, planes);\n"
        + "  if (first >= planes) return;\n"
        + decode
        + "  for (long e = first; e < last; ++e) {\n"
        + f"    __global const {t}* src = a + a_off + n * sn + (g * CG + cg) * sc;\n"
        + f"    __global {t}* dst = out + e * H * W;\n"
        + "    for (long h = 0; h < H; ++h)\n"
        + "      for (long w = 0; w < W; ++w) dst[h * W + w] = src[h * sh + w * sw];\n"
        + step
        + "  }\n}\n"
    )


def _batch_last(a: CLArray, groups: int) -> CLArray:
    """(N, G*R, H, W), read through its strides, as a contiguous (G, R, N*H*W): the batch folded into each
    group's columns (one kernel stepping its indices; a generic permuted copy divides for every element)."""
    n, gr, h, w = a.shape
    out = empty(a.device, (groups, gr // groups, n * h * w), a.dtype)
    device = a.device
    t = cltypes.ctype(a.dtype)
    per = max(1, chunk_size(device) // max(h * w, 1))  # about a chunk of elements per work-item
    kernel = device.kernel(("batch_last", t), lambda: _batch_last_source(t), "ember_batch_last",
                           [np.int64] * 6 + [None] + [np.int64] * 5 + [None])  # fmt: skip
    args = [n * gr, per, n, gr // groups, h, w, a.buffer, a.offset, *a.strides, out.buffer]
    if out.size:
        run(device, kernel, -(-(n * gr) // per), args)
    return out


def conv2d(x: CLArray, w: CLArray, stride: Pair, padding: Pair, dilation: Pair, groups: int) -> CLArray:
    """im2col of x, then (G, O/G, C/G*K) @ the columns: batched over (N, G), or over G with the batch
    folded into the columns (see `fold_batch`)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = conv_out((h, wd), (kh, kw), stride, padding, dilation)
    if n * o * oh * ow == 0 or cg * kh * kw == 0:
        return _zeros(empty(x.device, (n, o, oh, ow), x.dtype))
    og, ck = o // groups, cg * kh * kw
    wm = _reshape(w, (groups, og, ck))
    if fold_batch(x.dtype, n, og, oh * ow, ck):
        cols = _im2col(x, (kh, kw), (oh, ow), stride, padding, dilation, groups, "fold")
        out = _matmul(wm, view(cols, (groups, ck, n * oh * ow)))  # (G, O/G, N*OH*OW)
        out = permute(view(out, (groups, og, n, oh * ow)), (2, 0, 1, 3))  # (N, G, O/G, OH*OW), a view
    else:
        cols = _im2col(x, (kh, kw), (oh, ow), stride, padding, dilation, groups, "conv")
        out = _matmul(wm, view(cols, (n, groups, ck, oh * ow)))  # (N, G, O/G, OH*OW)
    return _reshape(out, (n, o, oh, ow))


def conv2d_input_grad(g: CLArray, w: CLArray, input_hw: Pair, stride: Pair, padding: Pair, dilation: Pair,
                      groups: int) -> CLArray:  # fmt: skip
    """cols = w^T g, batched over (N, G) or over G with the batch folded into the columns (see
    `fold_batch`); then each input pixel gathers the columns that read it."""
    n, o, oh, ow = g.shape
    _, cg, kh, kw = w.shape
    c = cg * groups
    og = o // groups
    if n * c * input_hw[0] * input_hw[1] == 0:
        return empty(g.device, (n, c, *input_hw), g.dtype)
    if og * oh * ow == 0:
        return _zeros(empty(g.device, (n, c, *input_hw), g.dtype))
    wt = permute(_reshape(w, (groups, og, cg * kh * kw)), (0, 2, 1))  # (G, C/G*K, O/G), a transposed view
    if fold_batch(g.dtype, n, cg * kh * kw, oh * ow, og):
        cols = _matmul(wt, _batch_last(g, groups))  # (G, C/G*K, N*OH*OW)
        cols = permute(view(cols, (c, kh, kw, n, oh, ow)), (3, 0, 1, 2, 4, 5))  # col2im reads it through its strides
    else:
        cols = _matmul(wt, _reshape(g, (n, groups, og, oh * ow)))  # (N, G, C/G*K, OH*OW)
        cols = _reshape(cols, (n, c, kh, kw, oh, ow))
    return _col2im(cols, n, c, input_hw, (kh, kw), (oh, ow), stride, padding, dilation)


def conv2d_weight_grad(x: CLArray, g: CLArray, kernel_hw: Pair, stride: Pair, padding: Pair, dilation: Pair,
                       groups: int) -> CLArray:  # fmt: skip
    """One GEMM batched over G: g as (G, O/G, N*OH*OW) @ x's columns as (G, N*OH*OW, C/G*K)."""
    n, c = x.shape[:2]
    o, oh, ow = g.shape[1:]
    kh, kw = kernel_hw
    cg = c // groups
    if o * cg * kh * kw == 0:
        return empty(x.device, (o, cg, kh, kw), x.dtype)
    if n * oh * ow == 0:
        return _zeros(empty(x.device, (o, cg, kh, kw), x.dtype))
    cols = _im2col(x, (kh, kw), (oh, ow), stride, padding, dilation, groups, "fold")
    cols = permute(view(cols, (groups, cg * kh * kw, n * oh * ow)), (0, 2, 1))  # (G, N*OH*OW, C/G*K), a view
    out = _matmul(_batch_last(g, groups), cols)  # (G, O/G, N*OH*OW) @ (G, N*OH*OW, C/G*K)
    return _reshape(out, (o, cg, kh, kw))


def _pool_source(t: str) -> str:
    """Each work-item pools `per` consecutive (n, c) planes: decoded once, then plain loops."""
    decode, step = _walk(("n", "c"), _SIZES)
    params = ", ".join(["long planes", "long per", "long C", *_GEOMETRY, f"__global const {t}* x", "long x_off",
                        "long sn", "long sc", "long sh", "long sw", f"__global {t}* out",
                        "__global long* idx"])  # fmt: skip
    load = "(hh >= 0 && hh < H && ww >= 0 && ww < W) ? x[base + hh * sh + ww * sw] : -INFINITY"
    return (
        cltypes.preamble([np.float64] if t == "double" else [np.float32])
        + f"__kernel void ember_max_pool2d({params}) {{\n"
        + "  const long first = get_global_id(0) * per, last = min(first + per, planes);\n"
        + "  if (first >= planes) return;\n"
        + decode
        + "  for (long e = first; e < last; ++e) {\n"
        + "    const long base = x_off + n * sn + c * sc;\n"
        + "    for (long oh = 0; oh < OH; ++oh) {\n"
        + "      const long h0 = oh * s0 - p0;\n"
        + "      for (long ow = 0; ow < OW; ++ow) {\n"
        + "        const long w0 = ow * s1 - p1, at_out = (e * OH + oh) * OW + ow;\n"
        # the first strict maximum (the first tap when all are -inf), and apart the first nan, which wins:
        # plain selects that PoCL vectorizes (an isnan in the running comparison stops it)
        + f"        {t} best = -INFINITY, nan = 0;\n"
        + "        long at = h0 * W + w0, nan_at = -1;\n"
        + "        for (long i = 0; i < KH; ++i) {\n"
        + "          const long hh = h0 + i * d0;\n"
        + "          for (long j = 0; j < KW; ++j) {\n"
        + "            const long ww = w0 + j * d1;\n"
        + f"            const {t} v = {load};\n"
        + "            const bool gt = v > best;\n"
        + "            best = gt ? v : best;\n"
        + "            at = gt ? hh * W + ww : at;\n"
        + "            const bool first_nan = nan_at < 0 && v != v;\n"
        + "            nan = first_nan ? v : nan;\n"
        + "            nan_at = first_nan ? hh * W + ww : nan_at;\n"
        + "          }\n        }\n"
        + "        out[at_out] = nan_at < 0 ? best : nan;\n"
        + "        idx[at_out] = nan_at < 0 ? at : nan_at;\n"
        + "      }\n    }\n"
        + step
        + "  }\n}\n"
    )


def max_pool2d(x: CLArray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair,
               ceil_mode: bool) -> tuple[CLArray, CLArray]:  # fmt: skip
    """Window maxima (padding is -inf; the first maximum, or the first nan, wins) and their flat h*W + w."""
    n, c, h, w = x.shape
    kh, kw = kernel_size
    oh, ow = conv_out((h, w), (kh, kw), stride, padding, dilation, ceil_mode)
    device = x.device
    vals = empty(device, (n, c, oh, ow), x.dtype)
    idx = empty(device, (n, c, oh, ow), np.int64)
    if vals.size == 0:
        return vals, idx
    t = cltypes.ctype(x.dtype)
    per = max(1, chunk_size(device) // (oh * ow))  # about a chunk of outputs per work-item
    kernel = device.kernel(("max_pool2d", t), lambda: _pool_source(t), "ember_max_pool2d",
                           [np.int64] * 15 + [None] + [np.int64] * 5 + [None, None])  # fmt: skip
    args = [n * c, per, c, *_geometry((h, w), (kh, kw), (oh, ow), stride, padding, dilation),
            x.buffer, x.offset, *x.strides, vals.buffer, idx.buffer]  # fmt: skip
    run(device, kernel, -(-(n * c) // per), args)
    return vals, idx


KERNELS: dict[str, Callable[..., Any]] = {
    "conv2d": conv2d,
    "conv2d_input_grad": conv2d_input_grad,
    "conv2d_weight_grad": conv2d_weight_grad,
    "max_pool2d": max_pool2d,
}
