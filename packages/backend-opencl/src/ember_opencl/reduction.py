"""Reductions (sum, prod, amax, amin, all, any, argmax, argmin), scans (cumsum, cumprod, logcumsumexp,
cummax/cummin's indices) and the logsumexp/softmax overrides.

Every kernel here works on *segments*: the input is seen as M outputs (the kept
axes, collapsed) times R reduced elements (the reduced axes, collapsed), read
through strides, so permuted, sliced, flipped and expanded inputs are never
copied. When there are few outputs and R is long, each output's R elements are
split into P segments reduced in parallel (one launch), and a second launch
combines the P partials; otherwise one launch does everything, each work-item
taking a run of consecutive outputs (a PoCL work-item is cheap only when it has
real work). A work-item reduces its segment serially: through vector loads
(one AVX register wide, blocks of 256 elements) when the reduced elements are contiguous,
with Kahan compensation for floating sums, so float32 sums stay about as
accurate as NumPy's pairwise sum.

Kernel sources depend only on the op, dtype, ranks and layout flags; sizes and
strides are kernel arguments, so few variants are ever compiled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import cltypes
from .clarray import CLArray, empty
from .device import Device
from .elementwise import chunk_size, collapse, copy, launch, run

_BLOCK = 256  # elements combined into a block (16 vector loads) before it joins the (compensated) accumulator
_MAXRANK = 3  # kept/reduced ranks past this are compacted first (bounds the compiled variants)


# -- layout -------------------------------------------------------------------------
class _Layout:
    """x (and optional companion arrays of the same shape) as M outputs x R reduced elements."""

    def __init__(self, shape: tuple[int, ...], strides: Sequence[tuple[int, ...]], axes: Sequence[int]) -> None:
        kept = [d for d in range(len(shape)) if d not in axes]
        red = list(axes)
        self.M = math.prod(shape[d] for d in kept)
        self.R = math.prod(shape[d] for d in red)
        self.kdims, self.kstrides = _squeeze(
            tuple(shape[d] for d in kept), [tuple(s[d] for d in kept) for s in strides]
        )
        self.rdims, self.rstrides = _squeeze(tuple(shape[d] for d in red), [tuple(s[d] for d in red) for s in strides])

    @property
    def nk(self) -> int:
        return len(self.kdims)

    @property
    def nr(self) -> int:
        return len(self.rdims)

    def dim_args(self) -> list[int]:
        return [*self.kdims[1:], *self.rdims[1:]]

    def array_args(self, k: int, a: CLArray) -> list[Any]:
        return [a.buffer, a.offset, *self.kstrides[k], *self.rstrides[k]]


def _squeeze(shape: tuple[int, ...], strides: list[tuple[int, ...]]) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """collapse(), but an all-ones shape becomes rank 0 (so M = 1 or R = 1 needs no index code)."""
    if math.prod(shape) == 1 or not shape:
        return (), [() for _ in strides]
    return collapse(shape, strides)


def _layout(x: CLArray, axes: Sequence[int], others: Sequence[CLArray] = ()) -> tuple[CLArray, _Layout]:
    """The layout of x (and `others`, same shape) over `axes`; x is compacted when its ranks get too high."""
    lay = _Layout(x.shape, [x.strides] + [o.strides for o in others], axes)
    if lay.nk > _MAXRANK or lay.nr > _MAXRANK:
        kept = [d for d in range(x.ndim) if d not in axes]
        perm = kept + list(axes)
        moved = copy(x.view_of(tuple(x.shape[d] for d in perm), tuple(x.strides[d] for d in perm), x.offset))
        inv = [perm.index(d) for d in range(x.ndim)]
        x = moved.view_of(x.shape, tuple(moved.strides[i] for i in inv), 0)
        lay = _Layout(x.shape, [x.strides] + [o.strides for o in others], axes)
    return x, lay


# -- source building -------------------------------------------------------------------
def _dim_params(nk: int, nr: int) -> list[str]:
    return [f"long kd{k}" for k in range(1, nk)] + [f"long rd{k}" for k in range(1, nr)]


def _array_params(name: str, t: str, nk: int, nr: int, const: bool = True) -> list[str]:
    q = "const " if const else ""
    return ([f"__global {q}{t}* {name}", f"long {name}_off"] + [f"long {name}_k{k}" for k in range(nk)]
            + [f"long {name}_r{k}" for k in range(nr)])  # fmt: skip


def _base_code(nk: int, names: Sequence[str]) -> str:
    """`b_<name>`: the element offset of output `o`'s first reduced element."""
    lines = [f"    long b_{n} = {n}_off;\n" for n in names]
    if nk == 0:
        return "".join(lines)
    lines.append("    { long q = o, c;\n")
    for k in range(nk - 1, 0, -1):
        lines.append(f"      c = q % kd{k}; q /= kd{k};\n")
        lines += [f"      b_{n} += c * {n}_k{k};\n" for n in names]
    lines += [f"      b_{n} += q * {n}_k0;\n" for n in names]
    lines.append("    }\n")
    return "".join(lines)


def _loop_code(nr: int, names: Sequence[str], body: str, start: str = "start", end: str = "end") -> str:
    """for r in [start, end): `body`, with `i_<name>` the element offset of reduced element r."""
    if nr == 0:
        offs = "".join(f"      const long i_{n} = b_{n};\n" for n in names)
        return f"    for (long r = {start}; r < {end}; ++r) {{\n{offs}{body}    }}\n"
    if nr == 1:
        offs = "".join(f"      const long i_{n} = b_{n} + r * {n}_r0;\n" for n in names)
        return f"    for (long r = {start}; r < {end}; ++r) {{\n{offs}{body}    }}\n"
    last = nr - 1
    out = [f"    if ({start} < {end}) {{\n      long q = {start};\n"]
    for k in range(last, 0, -1):
        out.append(f"      long c{k} = q % rd{k}; q /= rd{k};\n")
    out.append("      long c0 = q;\n")
    for n in names:
        out.append(f"      long i_{n} = b_{n}" + "".join(f" + c{k} * {n}_r{k}" for k in range(nr)) + ";\n")
    out.append(f"      for (long r = {start}; r < {end}; ++r) {{\n{body}")
    out += [f"        i_{n} += {n}_r{last};\n" for n in names]
    close = ""
    for k in range(last, 0, -1):
        out.append(f"        if (++c{k} == rd{k}) {{ c{k} = 0;\n")
        out += [f"          i_{n} += {n}_r{k - 1} - rd{k} * {n}_r{k};\n" for n in names]
        close += "        }\n"
    out.append(close + "      }\n    }\n")
    return "".join(out)


_HEAD = """
  const long first = get_global_id(0) * ch, last = min(first + ch, nseg);
  for (long s = first; s < last; ++s) {
    const long o = s / P, p = s - o * P;
    long start = p * seg;
    const long end = min(start + seg, R);
"""


def _kernel_source(name: str, dtypes: Sequence[Any], params: Sequence[str], body: str, defines: str = "") -> str:
    return (
        cltypes.preamble(dtypes)
        + defines
        + f"__kernel void {name}(long nseg, long P, long seg, long R, long ch, {', '.join(params)}) {{\n"
        + _HEAD
        + body
        + "  }\n}\n"
    )


# -- launch planning -------------------------------------------------------------------
def _plan(device: Device, M: int, R: int, split: bool = True) -> tuple[int, int, int]:
    """(P, seg, ch): segments per output, segment length, segments per work-item."""
    cu = max(device.compute_units, 1)
    target = 4 * cu if device.is_cpu else 32 * cu  # work-items worth having
    minseg = 16384 if device.is_cpu else 2048
    P = 1
    if split and M < target and R >= 2 * minseg:
        P = min(-(-R // minseg), -(-target // M), 1024)
    seg = -(-max(R, 1) // P)
    if P > 1:
        seg = -(-seg // _BLOCK) * _BLOCK
        P = -(-R // seg)
        return P, seg, 1
    if not device.is_cpu:
        return 1, seg, 1
    ch = max(1, min(64, 4096 // max(R, 1), M // target))
    return 1, seg, ch


def _run(device: Device, kernel: Any, nseg: int, P: int, seg: int, R: int, ch: int, args: Sequence[Any]) -> None:
    items = -(-nseg // ch)
    if device.is_cpu:  # enough work-groups for every core
        local = max(1, min(64, items // (8 * max(device.compute_units, 1))))
    else:
        local = min(64, device.max_work_group_size)
    kernel(device.queue, (-(-items // local) * local,), (local,), nseg, P, seg, R, ch, *args)


def _scalars(lay: _Layout, narrays: int) -> list[Any]:
    """The scalar-dtype list for the common arguments, the dims and `narrays` strided arrays."""
    return [np.int64] * (5 + len(lay.dim_args())) + ([None] + [np.int64] * (1 + lay.nk + lay.nr)) * narrays


# -- plain reductions -------------------------------------------------------------------
def _ops(op: str, dtype: np.dtype) -> tuple[str, str]:
    """(combine macro body OP(a, b), identity) for `op` on `dtype`."""
    k = dtype.kind
    if op in ("sum", "prod", "all", "any"):
        if k == "b" or op in ("all", "any"):
            return ("((a) | (b))", "0") if op in ("sum", "any") else ("((a) & (b))", "1")
        return ("((a) + (b))", "0") if op == "sum" else ("((a) * (b))", "1")
    big = op == "amax"
    cmp = ">" if big else "<"
    if k == "f":
        return f"((((a) {cmp} (b)) | isnan(a)) ? (a) : (b))", ("-INFINITY" if big else "INFINITY")
    info = np.iinfo(np.uint8 if k == "b" else dtype)
    ident = int(info.min if big else info.max)
    lit = f"({ident + 1}L - 1)" if ident == -(2**63) else f"{ident}L"  # LONG_MIN has no literal
    return f"(((a) {cmp} (b)) ? (a) : (b))", lit


def _identity(op: str, dtype: np.dtype) -> bool | int | float:
    """The value of `op` over nothing (what an empty reduction gives)."""
    if op in ("sum", "any"):
        return 0
    if op in ("prod", "all"):
        return 1
    if dtype.kind == "f":
        return -math.inf if op == "amax" else math.inf
    info = np.iinfo(np.uint8 if dtype.kind == "b" else dtype)
    return int(info.min if op == "amax" else info.max)


def _reduce(op: str, x: CLArray, axes: tuple[int, ...], out_shape: tuple[int, ...], split: bool = True) -> CLArray:
    device = x.device
    out = empty(device, out_shape, x.dtype)
    if out.size == 0:
        return out
    x, lay = _layout(x, axes)
    comb, ident = _ops(op, x.dtype)
    if lay.R == 0:
        launch("fill", "x0", out, [(_identity(op, x.dtype), x.dtype)])
        return out
    contig = lay.nr == 1 and lay.rstrides[0][0] == 1
    if not contig and lay.nk and lay.kstrides[0][-1] == 1 and lay.kdims[-1] >= _lanes(x.dtype):
        return _reduce_cols(op, x, lay, out, split)
    P, seg, ch = _plan(device, lay.M, lay.R, split)
    dst = out if P == 1 else empty(device, (lay.M, P), x.dtype)
    t = cltypes.ctype(x.dtype)
    kahan = op == "sum" and x.dtype.kind == "f"
    key = ("reduce", op, t, comb, lay.nk, lay.nr, contig)  # comb: bool and uint8 share a C type

    def source() -> str:
        lanes = _lanes(x.dtype)
        vt = f"{t}{lanes}"
        if kahan:
            acc = ("{ const T y_ = (V) - comp; const T t_ = acc + y_; comp = (t_ - acc) - y_;"
                   " comp = isfinite(comp) ? comp : (T)0; acc = t_; }")  # fmt: skip
            vacc = ("{ const VT y_ = (V) - vcomp; const VT t_ = vacc + y_; vcomp = (t_ - vacc) - y_;"
                    " vcomp = isfinite(vcomp) ? vcomp : (VT)0; vacc = t_; }")  # fmt: skip
        else:
            acc, vacc = "acc = OP(acc, (V));", "vacc = OP(vacc, (V));"
        body = "    T acc = IDENT, comp = 0;\n"
        if contig:
            loads = (
                f"        for (int j = 2; j < {_BLOCK // lanes}; j += 2) {{\n"
                f"          const VT u0 = vload{lanes}(j, px + i), u1 = vload{lanes}(j + 1, px + i);\n"
                "          b0 = OP(b0, u0); b1 = OP(b1, u1);\n        }\n"
            )
            body += (
                "    if (end - start >= LANES) {\n"
                "      const __global T* px = x + b_x;\n"
                "      VT vacc = (VT)(IDENT), vcomp = (VT)(0);\n"
                "      long i = start;\n"
                "      for (; i + BLOCK <= end; i += BLOCK) {\n"
                f"        VT b0 = vload{lanes}(0, px + i), b1 = vload{lanes}(1, px + i);\n"
                + loads
                + "        b0 = OP(b0, b1);\n"
                + "        " + vacc.replace("(V)", "b0") + "\n"
                + "      }\n"
                + f"      for (; i + LANES <= end; i += LANES) {{ const VT b0 = vload{lanes}(0, px + i); "
                + vacc.replace("(V)", "b0") + " }\n"
                + ("      vacc -= vcomp;\n" if kahan else "")
                + "".join(f"      {acc.replace('(V)', f'vacc.s{j}')}\n" for j in "0123456789abcdef"[:lanes])
                + "      start = i;\n    }\n"
            )  # fmt: skip
        if kahan:  # plain sums over blocks, compensated between blocks
            body += "    T blk = 0; int nb = 0;\n"
            each = f"      blk += x[i_x]; if (++nb == BLOCK) {{ {acc.replace('(V)', 'blk')} blk = 0; nb = 0; }}\n"
            body += _loop_code(lay.nr, ["x"], each) + f"    {acc.replace('(V)', 'blk')}\n"
            body += "    dst[s] = acc - comp;\n"
        else:
            body += _loop_code(lay.nr, ["x"], f"      {acc.replace('(V)', 'x[i_x]')}\n") + "    dst[s] = acc;\n"
        defines = f"#define T {t}\n#define VT {vt}\n#define OP(a, b) {comb}\n#define IDENT (({t}){ident})\n"
        defines += f"#define BLOCK {_BLOCK}\n#define LANES {lanes}\n"
        params = _dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr) + [f"__global {t}* dst"]
        return _kernel_source(f"ember_reduce_{op}", [x.dtype], params, _base_code(lay.nk, ["x"]) + body, defines)

    kernel = device.kernel(key, source, f"ember_reduce_{op}", _scalars(lay, 1) + [None])
    _run(device, kernel, lay.M * P, P, seg, lay.R, ch, lay.dim_args() + lay.array_args(0, x) + [dst.buffer])
    if P > 1:
        _reduce_into(op, dst, out)
    return out


_ROWS = 32  # rows summed plainly into a block before it joins the compensated column accumulators


def _lanes(dtype: np.dtype) -> int:
    return min(16, 32 // dtype.itemsize)  # one AVX register (wider vectors change the x86 ABI)


def _reduce_cols(op: str, x: CLArray, lay: _Layout, out: CLArray, split: bool) -> CLArray:
    """The reduction when the innermost kept axis is contiguous (x.sum(0) of a row-major matrix).

    A work-item owns a block of U * LANES consecutive outputs of one row of the kept axes and walks the reduced
    elements, loading each reduced element's block with U vector loads (contiguous rows, added lane-wise). Float
    sums add _ROWS rows plainly, then join a Kahan-compensated accumulator. Blocks cut by the end of the row are
    reduced column by column. Few blocks and many reduced elements: the reduced elements are split into P segments,
    giving (P, M) partials that this same path reduces over their first axis.
    """
    device = x.device
    lanes = _lanes(x.dtype)
    K = lay.kdims[-1]
    U = 2 if K >= 4 * lanes else 1
    W = U * lanes
    nb = -(-K // W)  # blocks per row
    nblk = (lay.M // K) * nb
    cu = max(device.compute_units, 1)
    target = 4 * cu if device.is_cpu else 32 * cu
    minrows = max(1, (16384 if device.is_cpu else 2048) // W)
    P = 1
    if split and nblk < target and lay.R >= 2 * minrows:
        P = min(-(-lay.R // minrows), -(-target // nblk), 1024)
    seg = -(-lay.R // P)
    P = -(-lay.R // seg)
    ch = max(1, min(64, 4096 // max(seg * W, 1), nblk // target)) if device.is_cpu else 1
    dst = out if P == 1 else empty(device, (P, lay.M), x.dtype)
    t = cltypes.ctype(x.dtype)
    comb, ident = _ops(op, x.dtype)
    kahan = op == "sum" and x.dtype.kind == "f"
    key = ("cols", op, t, comb, lay.nk, lay.nr, U)

    def source() -> str:
        vs = range(U)
        if kahan:
            fold = ("{ const VT y_ = blkJ - compJ; const VT t_ = accJ + y_; compJ = (t_ - accJ) - y_;"
                    " compJ = isfinite(compJ) ? compJ : (VT)0; accJ = t_; blkJ = (VT)0; }")  # fmt: skip
            sfold = ("{ const T y_ = blk - comp; const T t_ = acc + y_; comp = (t_ - acc) - y_;"
                     " comp = isfinite(comp) ? comp : (T)0; acc = t_; blk = 0; }")  # fmt: skip
            vbody = (
                "".join(f"        blk{j} += vload{lanes}({j}, x + i_x);\n" for j in vs)
                + "        if (++nrow == ROWS) { nrow = 0; "
                + " ".join(fold.replace("J", str(j)) for j in vs)
                + " }\n"
            )
            vinit = "".join(f"      VT acc{j} = 0, comp{j} = 0, blk{j} = 0;\n" for j in vs) + "      int nrow = 0;\n"
            vdone = "".join(f"      {fold.replace('J', str(j))}\n      vstore{lanes}(acc{j} - comp{j}, {j}, d);\n"
                            for j in vs)  # fmt: skip
            sinit = "        T acc = 0, comp = 0, blk = 0; int nrow = 0;\n"
            sbody = f"          blk += x[i_x]; if (++nrow == ROWS) {{ nrow = 0; {sfold} }}\n"
            sdone = f"        {sfold}\n        d[c] = acc - comp;\n"
        else:
            vinit = "".join(f"      VT acc{j} = (VT)(IDENT);\n" for j in vs)
            vbody = "".join(f"        acc{j} = OP(acc{j}, vload{lanes}({j}, x + i_x));\n" for j in vs)
            vdone = "".join(f"      vstore{lanes}(acc{j}, {j}, d);\n" for j in vs)
            sinit = "        T acc = IDENT;\n"
            sbody = "          acc = OP(acc, x[i_x]);\n"
            sdone = "        d[c] = acc;\n"
        body = (
            "    if (nc == W) {\n"
            + vinit
            + _loop_code(lay.nr, ["x"], vbody).replace("\n    ", "\n      ")
            + vdone
            + "    } else {\n      for (int c = 0; c < nc; ++c, ++b_x) {\n"
            + sinit
            + _loop_code(lay.nr, ["x"], sbody).replace("    ", "        ", 1)
            + sdone
            + "      }\n    }\n"
        )
        defines = (f"#define T {t}\n#define VT {t}{lanes}\n#define OP(a, b) {comb}\n#define IDENT (({t}){ident})\n"
                   f"#define ROWS {_ROWS}\n#define W {W}\n")  # fmt: skip
        params = _dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr) + [f"__global {t}* dst"]
        return (
            cltypes.preamble([x.dtype]) + defines
            + f"__kernel void ember_cols_{op}(long nblk, long nb, long K, long M, long seg, long R, long ch, "
            + ", ".join(params) + ") {\n"
            + "  const long first = get_global_id(0) * ch, last = min(first + ch, nblk), rows = M / K;\n"
            + "  for (long g = first; g < last; ++g) {\n"
            + "    const long cb = g % nb, q = g / nb, p = q / rows, c0 = cb * W, o = (q - p * rows) * K + c0;\n"
            + "    const int nc = (int)min((long)W, K - c0);\n"
            + "    const long start = p * seg, end = min(start + seg, R);\n"
            + "    __global T* d = dst + p * M + o;\n"
            + _base_code(lay.nk, ["x"]) + body + "  }\n}\n"
        )  # fmt: skip

    kernel = device.kernel(key, source, f"ember_cols_{op}", [np.int64] * (7 + len(lay.dim_args()))
                           + [None] + [np.int64] * (1 + lay.nk + lay.nr) + [None])  # fmt: skip
    items = -(-nblk * P // ch)
    local = max(1, min(64, items // (8 * cu))) if device.is_cpu else min(64, device.max_work_group_size)
    args = [nblk * P, nb, K, lay.M, seg, lay.R, ch, *lay.dim_args(), *lay.array_args(0, x), dst.buffer]
    kernel(device.queue, (-(-items // local) * local,), (local,), *args)
    if P > 1:
        return _reduce(op, dst, (0,), out.shape, split=False)
    return out


def _reduce_into(op: str, partials: CLArray, out: CLArray) -> None:
    """out (contiguous, M elements) = op over the last axis of the (M, P) partials."""
    res = _reduce(op, partials, (1,), out.shape, split=False)
    out.buffer, out.offset, out.strides = res.buffer, res.offset, res.strides


def _reduced_shape(shape: tuple[int, ...], axes: tuple[int, ...], keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return tuple(1 if d in axes else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def _reduction(op: str) -> Callable[[CLArray, tuple[int, ...], bool], CLArray]:
    def kernel(x: CLArray, axes: tuple[int, ...], keepdim: bool) -> CLArray:
        axes = tuple(axes)
        if not axes:  # identity of shape
            return copy(x)
        return _reduce(op, x, axes, _reduced_shape(x.shape, axes, keepdim))

    kernel.__name__ = op
    return kernel


# -- argmax / argmin --------------------------------------------------------------------
def _arg(op: str, x: CLArray, axis: int | None, keepdim: bool) -> CLArray:
    axes = tuple(range(x.ndim)) if axis is None else (axis,)
    shape = tuple(1 for _ in x.shape) if (axis is None and keepdim) else _reduced_shape(x.shape, axes, keepdim)
    out = empty(x.device, shape, np.int64)
    if out.size == 0:
        return out
    _arg_into(op, x, axes, out, None)
    return out


def _arg_into(op: str, x: CLArray, axes: tuple[int, ...], out: CLArray, index: CLArray | None) -> None:
    """out[o] = index (or position) of the first extreme of x's output o; index: (M, P) partial indices."""
    device = x.device
    x, lay = _layout(x, axes)
    P, seg, ch = (1, lay.R, 1) if index is not None else _plan(device, lay.M, lay.R)
    if index is not None:
        ch = _plan(device, lay.M, lay.R, split=False)[2]
    mode = "pass2" if index is not None else ("pass1" if P > 1 else "plain")
    t = cltypes.ctype(x.dtype)
    cmp = ">" if op == "argmax" else "<"
    better = f"(v {cmp} best || (isnan(v) && !isnan(best)))" if x.dtype.kind == "f" else f"(v {cmp} best)"
    contig = mode != "pass2" and lay.nr == 1 and lay.rstrides[0][0] == 1
    key = ("arg", op, t, lay.nk, lay.nr, mode, contig)
    vals = empty(device, (lay.M, P), x.dtype) if mode == "pass1" else None
    idx = empty(device, (lay.M, P), np.int64) if mode == "pass1" else out

    def source() -> str:
        names = ["x", "xi"] if mode == "pass2" else ["x"]
        which = "xi[i_xi]" if mode == "pass2" else "r"
        if contig:  # the extreme by vector loads (nan propagating), then the first position holding it
            lanes = _lanes(x.dtype)
            comb, ident = _ops("amax" if op == "argmax" else "amin", x.dtype)
            hit = "(v == best) | isnan(v)" if x.dtype.kind == "f" else "v == best"  # a nan max: the first nan
            vl = f"vload{lanes}"
            scan = (
                f"#define OP(a, b) {comb}\n#define HIT(v) ({hit})\n"
                f"    {t} best = ({t}){ident}; long bi = start;\n"
                f"    {{ const __global {t}* px = x + b_x; {t}{lanes} vm = ({t}{lanes})(best), vn = vm; long i = start;\n"
                f"      for (; i + {2 * lanes} <= end; i += {2 * lanes}) {{ vm = OP(vm, {vl}(0, px + i));"
                f" vn = OP(vn, {vl}(1, px + i)); }}\n"
                f"      vm = OP(vm, vn);\n      if (i + {lanes} <= end) {{ vm = OP(vm, {vl}(0, px + i)); i += {lanes}; }}\n"
                + "".join(f"      best = OP(best, vm.s{j});\n" for j in "0123456789abcdef"[:lanes])
                + "      for (; i < end; ++i) best = OP(best, px[i]);\n"
                + f"      for (; bi + {lanes} <= end; bi += {lanes}) {{ const {t}{lanes} v = {vl}(0, px + bi);"
                " if (any(HIT(v))) break; }\n"
                f"      for (; bi < end; ++bi) {{ const {t} v = px[bi]; if (HIT(v)) break; }}\n    }}\n"
            )
        else:
            scan = f"    {t} best = 0; long bi = -1;\n" + _loop_code(
                lay.nr, names,
                f"      const {t} v = x[i_x];\n      if (bi < 0 || {better}) {{ best = v; bi = {which}; }}\n",
            )  # fmt: skip
        body = scan + "    di[s] = bi;\n" + ("    dv[s] = best;\n" if mode == "pass1" else "")
        params = _dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr)
        if mode == "pass2":
            params += _array_params("xi", "long", lay.nk, lay.nr)
        params.append("__global long* di")
        if mode == "pass1":
            params.append(f"__global {t}* dv")
        return _kernel_source(f"ember_{op}", [x.dtype], params, _base_code(lay.nk, names) + body)

    scalars = _scalars(lay, 2 if mode == "pass2" else 1) + [None] + ([None] if mode == "pass1" else [])
    kernel = device.kernel(key, source, f"ember_{op}", scalars)
    args = lay.dim_args() + lay.array_args(0, x)
    if mode == "pass2":
        assert index is not None
        lay2 = _Layout(index.shape, [index.strides], axes)
        args += lay2.array_args(0, index)
    args.append(idx.buffer)
    if vals is not None:
        args.append(vals.buffer)
    _run(device, kernel, lay.M * P, P, seg, lay.R, ch, args)
    if mode == "pass1":
        assert vals is not None
        _arg_into(op, vals, (1,), out, idx)


def _argext(op: str) -> Callable[[CLArray, int | None, bool], CLArray]:
    def kernel(x: CLArray, axis: int | None, keepdim: bool) -> CLArray:
        return _arg(op, x, axis, keepdim)

    kernel.__name__ = op
    return kernel


# -- cumsum, cumprod, logcumsumexp -------------------------------------------------------
def _scan_ops(op: str, dtype: np.dtype) -> tuple[str, str]:
    """(combine OP(a, b), identity) of a scan: a sum, a product, or log(exp(a) + exp(b)) (logcumsumexp:
    equal arguments give a + log 2, so -inf and inf stay themselves; nan propagates)."""
    if op == "logcumsumexp":
        ln2 = "M_LN2" if dtype == np.float64 else "M_LN2_F"
        return (f"((a) == (b) ? (a) + (T){ln2} : fmax(a, b) + log1p(exp(-fabs((a) - (b)))))", "-INFINITY")
    return _ops("sum" if op == "cumsum" else "prod", dtype)


def _scan(op: str, x: CLArray, axis: int) -> CLArray:
    """Inclusive running sum/product/log-sum-exp along `axis`; long lines are split into segments, each started
    from the combined totals of the segments before it (a first pass computes every segment's total)."""
    device = x.device
    out = empty(device, x.shape, x.dtype)
    if out.size == 0:
        return out
    x, lay = _layout(x, (axis,), [out])
    P, seg, ch = _plan(device, lay.M, lay.R)
    partials = _segment_totals(op, x, lay, P, seg) if P > 1 else None
    t = cltypes.ctype(x.dtype)
    comb, ident = _scan_ops(op, x.dtype)
    key = (op, t, comb, lay.nk, lay.nr)

    def source() -> str:
        body = "    T acc = IDENT;\n    for (long q = o * P; q < s; ++q) acc = OP(acc, part[q]);\n" + _loop_code(
            lay.nr, ["x", "y"], "      acc = OP(acc, x[i_x]); y[i_y] = acc;\n"
        )
        params = (_dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr)
                  + _array_params("y", t, lay.nk, lay.nr, const=False) + [f"__global const {t}* part"])  # fmt: skip
        defines = f"#define T {t}\n#define OP(a, b) {comb}\n#define IDENT (({t}){ident})\n"
        return _kernel_source(f"ember_{op}", [x.dtype], params, _base_code(lay.nk, ["x", "y"]) + body, defines)

    kernel = device.kernel(key, source, f"ember_{op}", _scalars(lay, 2) + [None])
    args = lay.dim_args() + lay.array_args(0, x) + lay.array_args(1, out)
    args.append((partials if partials is not None else out).buffer)
    _run(device, kernel, lay.M * P, P, seg, lay.R, ch, args)
    return out


def cumsum(x: CLArray, axis: int) -> CLArray:
    """Inclusive running sum along `axis`."""
    return _scan("cumsum", x, axis)


def cumprod(x: CLArray, axis: int) -> CLArray:
    """Inclusive running product along `axis`."""
    return _scan("cumprod", x, axis)


def logcumsumexp(x: CLArray, axis: int) -> CLArray:
    """log(cumsum(exp(x))) along `axis`, one log-add-exp at a time (core's composite, overridden)."""
    return _scan("logcumsumexp", x, axis)


def cumext_indices(x: CLArray, axis: int, largest: bool) -> CLArray:
    """The index of the running max (`largest`) or min along `axis`: ties and nan take the later index.
    One work-item walks a line (lines are not split: the running index has no cheap segment total)."""
    device = x.device
    out = empty(device, x.shape, np.int64)
    if out.size == 0:
        return out
    x, lay = _layout(x, (axis,), [out])
    _, seg, ch = _plan(device, lay.M, lay.R, split=False)
    t = cltypes.ctype(x.dtype)
    cmp = ">=" if largest else "<="
    later = f"(v {cmp} best) || isnan(v)" if x.dtype.kind == "f" else f"v {cmp} best"
    key = ("cumext_indices", t, lay.nk, lay.nr, largest)

    def source() -> str:
        step = f"      const {t} v = x[i_x];\n      if (r == 0 || {later}) {{ best = v; bi = r; }}\n      y[i_y] = bi;\n"
        body = f"    {t} best = 0; long bi = 0;\n" + _loop_code(lay.nr, ["x", "y"], step)
        params = (_dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr)
                  + _array_params("y", "long", lay.nk, lay.nr, const=False))  # fmt: skip
        return _kernel_source("ember_cumext_indices", [x.dtype], params, _base_code(lay.nk, ["x", "y"]) + body)

    kernel = device.kernel(key, source, "ember_cumext_indices", _scalars(lay, 2))
    _run(device, kernel, lay.M, 1, seg, lay.R, ch, lay.dim_args() + lay.array_args(0, x) + lay.array_args(1, out))
    return out


def _segment_totals(op: str, x: CLArray, lay: _Layout, P: int, seg: int) -> CLArray:
    """The (M, P) per-segment totals of the scan `op` over x's layout (the first pass of a split scan)."""
    device = x.device
    dst = empty(device, (lay.M, P), x.dtype)
    t = cltypes.ctype(x.dtype)
    comb, ident = _scan_ops(op, x.dtype)
    key = ("segtotal", op, t, comb, lay.nk, lay.nr)

    def source() -> str:
        body = "    T acc = IDENT;\n" + _loop_code(lay.nr, ["x"], "      acc = OP(acc, x[i_x]);\n") + "    dst[s] = acc;\n"
        params = _dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr) + [f"__global {t}* dst"]
        defines = f"#define T {t}\n#define OP(a, b) {comb}\n#define IDENT (({t}){ident})\n"
        return _kernel_source("ember_segtotal", [x.dtype], params, _base_code(lay.nk, ["x"]) + body, defines)

    kernel = device.kernel(key, source, "ember_segtotal", _scalars(lay, 1) + [None])
    _run(device, kernel, lay.M * P, P, seg, lay.R, 1, lay.dim_args() + lay.array_args(0, x) + [dst.buffer])
    return dst


# -- logsumexp, softmax, log_softmax -------------------------------------------------------
# A segment's statistics: m = its max (nan propagates), sh = m if finite else 0, s = sum(exp(x - sh)).
# Partials combine as M = max(m_p), SH = M if finite else 0, S = sum(s_p * exp(sh_p - SH)) over s_p != 0.
_STATS = """
    T m = -INFINITY;
{max_loop}    const T sh = isfinite(m) ? m : (T)0;
    T acc = 0, comp = 0;
{sum_loop}    acc -= comp;
"""
_KAHAN = ("{ const T y_ = (V) - comp; const T t_ = acc + y_; comp = (t_ - acc) - y_;"
          " comp = isfinite(comp) ? comp : (T)0; acc = t_; }")  # fmt: skip
_COMBINE = """
    T m = -INFINITY;
    for (long q = o * P; q < (o + 1) * P; ++q) { const T v = pm[q]; m = (v > m || isnan(v)) && !isnan(m) ? v : m; }
    const T sh = isfinite(m) ? m : (T)0;
    T acc = 0, comp = 0;
    for (long q = o * P; q < (o + 1) * P; ++q) {
      const T v = ps[q];
      if (v != 0) { const T w = v * exp(psh[q] - sh); KAHAN }
    }
    acc -= comp;
"""


def _stats_code(nr: int, names: Sequence[str]) -> str:
    return _STATS.format(
        max_loop=_loop_code(nr, names, "      const T v = x[i_x]; m = (v > m || isnan(v)) && !isnan(m) ? v : m;\n"),
        sum_loop=_loop_code(nr, names, "      " + _KAHAN.replace("(V)", "exp(x[i_x] - sh)") + "\n"),
    )


def _finish(kind: str) -> str:
    """The statement writing output element i_y from x[i_x] given m, sh and acc (= S)."""
    if kind == "softmax":
        return "      y[i_y] = isfinite(m) ? exp(x[i_x] - m) / acc : (T)NAN;\n"
    return "      y[i_y] = (x[i_x] - sh) - lg;\n"


def _stats_pass(x: CLArray, lay: _Layout, P: int, seg: int) -> tuple[CLArray, CLArray, CLArray]:
    """Per-segment (m, sh, s) partials, each (M, P)."""
    device = x.device
    t = cltypes.ctype(x.dtype)
    pm, psh, ps = (empty(device, (lay.M, P), x.dtype) for _ in range(3))
    key = ("stats", t, lay.nk, lay.nr)

    def source() -> str:
        body = _stats_code(lay.nr, ["x"]) + "    pm[s] = m; psh[s] = sh; ps[s] = acc;\n"
        params = _dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr)
        params += [f"__global {t}* pm", f"__global {t}* psh", f"__global {t}* ps"]
        return _kernel_source("ember_stats", [x.dtype], params, _base_code(lay.nk, ["x"]) + body, f"#define T {t}\n")

    kernel = device.kernel(key, source, "ember_stats", _scalars(lay, 1) + [None] * 3)
    args = lay.dim_args() + lay.array_args(0, x) + [pm.buffer, psh.buffer, ps.buffer]
    _run(device, kernel, lay.M * P, P, seg, lay.R, 1, args)
    return pm, psh, ps


def logsumexp(x: CLArray, axes: tuple[int, ...], keepdim: bool) -> CLArray:
    """log(sum(exp(x))) over `axes`, shifted by the (finite) max; one launch, two when split."""
    device = x.device
    axes = tuple(axes)
    out = empty(device, _reduced_shape(x.shape, axes, keepdim), x.dtype)
    if out.size == 0:
        return out
    x, lay = _layout(x, axes)
    if lay.R == 0:
        launch("fill", "x0", out, [(-math.inf, x.dtype)])
        return out
    P, seg, ch = _plan(device, lay.M, lay.R)
    t = cltypes.ctype(x.dtype)
    defines = f"#define T {t}\n"
    if P == 1:
        key = ("lse", t, lay.nk, lay.nr)

        def source() -> str:
            body = _stats_code(lay.nr, ["x"]) + "    dst[s] = log(acc) + sh;\n"
            params = _dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr) + [f"__global {t}* dst"]
            return _kernel_source("ember_lse", [x.dtype], params, _base_code(lay.nk, ["x"]) + body, defines)

        kernel = device.kernel(key, source, "ember_lse", _scalars(lay, 1) + [None])
        _run(device, kernel, lay.M, 1, seg, lay.R, ch, lay.dim_args() + lay.array_args(0, x) + [out.buffer])
        return out
    pm, psh, ps = _stats_pass(x, lay, P, seg)
    key = ("lse2", t)

    def source2() -> str:
        body = _COMBINE.replace("KAHAN", _KAHAN.replace("(V)", "w")) + "    dst[o] = log(acc) + sh;\n"
        params = ", ".join([f"__global const {t}* {n}" for n in ("pm", "psh", "ps")] + [f"__global {t}* dst"])
        return (cltypes.preamble([x.dtype]) + defines + f"__kernel void ember_lse2(long M, long P, {params}) {{\n"
                + "  const long o = get_global_id(0);\n  if (o >= M) return;\n" + body + "}\n")  # fmt: skip

    kernel = device.kernel(key, source2, "ember_lse2", [np.int64] * 2 + [None] * 4)
    local = 1 if device.is_cpu else 64
    kernel(device.queue, (-(-lay.M // local) * local,), (local,), lay.M, P, pm.buffer, psh.buffer, ps.buffer,
           out.buffer)  # fmt: skip
    return out


def _softmax(kind: str, x: CLArray, axis: int) -> CLArray:
    device = x.device
    out = empty(device, x.shape, x.dtype)
    if out.size == 0:
        return out
    x, lay = _layout(x, (axis,), [out])
    P, seg, ch = _plan(device, lay.M, lay.R)
    t = cltypes.ctype(x.dtype)
    defines = f"#define T {t}\n"
    lg = "    const T lg = log(acc);\n" if kind == "log_softmax" else ""
    write = _loop_code(lay.nr, ["x", "y"], _finish(kind))
    params = (_dim_params(lay.nk, lay.nr) + _array_params("x", t, lay.nk, lay.nr)
              + _array_params("y", t, lay.nk, lay.nr, const=False))  # fmt: skip
    args = lay.dim_args() + lay.array_args(0, x) + lay.array_args(1, out)
    name = f"ember_{kind}"
    if P == 1:
        key = (kind, t, lay.nk, lay.nr)

        def source() -> str:
            body = _base_code(lay.nk, ["x", "y"]) + _stats_code(lay.nr, ["x", "y"]) + lg + write
            return _kernel_source(name, [x.dtype], params, body, defines)

        kernel = device.kernel(key, source, name, _scalars(lay, 2))
        _run(device, kernel, lay.M, 1, seg, lay.R, ch, args)
        return out
    pm, psh, ps = _stats_pass(x, lay, P, seg)
    key = (kind + "2", t, lay.nk, lay.nr)

    def source2() -> str:
        combine = _COMBINE.replace("KAHAN", _KAHAN.replace("(V)", "w"))
        body = _base_code(lay.nk, ["x", "y"]) + combine + lg + write
        extra = [f"__global const {t}* {n}" for n in ("pm", "psh", "ps")]
        return _kernel_source(name + "2", [x.dtype], params + extra, body, defines)

    kernel = device.kernel(key, source2, name + "2", _scalars(lay, 2) + [None] * 3)
    _run(device, kernel, lay.M * P, P, seg, lay.R, 1, args + [pm.buffer, psh.buffer, ps.buffer])
    return out


def softmax(x: CLArray, axis: int) -> CLArray:
    """exp(x - max) / sum(exp(x - max)) along `axis` (nan everywhere on a line whose max is not finite)."""
    return _softmax("softmax", x, axis)


def log_softmax(x: CLArray, axis: int) -> CLArray:
    """(x - sh) - log(sum(exp(x - sh))) along `axis`, sh the line's max where finite, else 0."""
    return _softmax("log_softmax", x, axis)


# -- softmax_cross_entropy of class indices ------------------------------------------------
# The classifier's loss in two launches (log_softmax, then the picked entries' compensated sum in one
# work-item: N loads) and its derivative in one, where the decomposition takes five and three. The
# derivative is the decomposition's arithmetic, element for element: (j == target[i] ? s : 0) - exp(logp) * s.


def _sce_operands(logp: CLArray, target: CLArray) -> tuple[CLArray, list[Any], str]:
    """logp made contiguous, the target's (buffer, offset, stride) arguments, and its C type."""
    if not logp.is_contiguous:
        logp = copy(logp)
    stride = target.strides[0] if target.ndim else 0
    return logp, [target.buffer, target.offset, stride], cltypes.ctype(target.dtype)


def softmax_cross_entropy(x: CLArray, target: CLArray) -> tuple[CLArray, CLArray]:
    """(-mean_i log_softmax(x)[i, target[i]], log_softmax(x)); every target in [0, C) (the caller checked)."""
    device = x.device
    logp, t_args, tt = _sce_operands(log_softmax(x, 1), target)
    loss = empty(device, (), x.dtype)
    t = cltypes.ctype(x.dtype)

    def source() -> str:
        # a target outside [0, C) (a compiled replay reads its class check after the kernels) gives nan, never
        # a read outside logp
        pick = "(T)((ulong)target[t_off + i * t_stride] < (ulong)C ? logp[i * C + target[t_off + i * t_stride]] : NAN)"
        body = _KAHAN.replace("(V)", pick)
        return (cltypes.preamble([x.dtype]) + f"#define T {t}\n"
                + f"__kernel void ember_sce_loss(long N, long C, __global const T* logp, __global const {tt}* target, "
                + "long t_off, long t_stride, __global T* loss) {\n"
                + f"  T acc = 0, comp = 0;\n  for (long i = 0; i < N; ++i) {body}\n  acc -= comp;\n"
                + "  loss[0] = -(acc / (T)N);\n}\n")  # fmt: skip

    kernel = device.kernel(("sce_loss", t, tt), source, "ember_sce_loss", [np.int64] * 2 + [None] * 2 + [np.int64] * 2 + [None])
    N, C = x.shape
    kernel(device.queue, (1,), (1,), N, C, logp.buffer, *t_args, loss.buffer)
    return loss, logp


def softmax_cross_entropy_grad(logp: CLArray, target: CLArray, g: CLArray) -> CLArray:
    """With s = -g / N: (j == target[i] ? s : 0) - exp(logp[i, j]) * s, in one launch."""
    device = logp.device
    logp, t_args, tt = _sce_operands(logp, target)
    out = empty(device, logp.shape, logp.dtype)
    N, C = logp.shape
    if out.size == 0:
        return out
    t, chunk = cltypes.ctype(logp.dtype), chunk_size(device)

    def source() -> str:
        return (cltypes.preamble([logp.dtype]) + f"#define T {t}\n"
                + f"__kernel void ember_sce_grad(long n, long N, long C, __global const T* logp, __global const {tt}* target, "
                + "long t_off, long t_stride, __global const T* g, long g_off, __global T* out) {\n"
                + f"  const long first = get_global_id(0) * {chunk}, last = min(first + {chunk}, n);\n"
                + "  const T s = -g[g_off] / (T)N;\n"
                + "  for (long k = first; k < last; ++k) {\n"
                + "    const long i = k / C, j = k - i * C;\n"
                + "    out[k] = (j == target[t_off + i * t_stride] ? s : (T)0) - exp(logp[k]) * s;\n  }\n}\n")  # fmt: skip

    scalars = [np.int64] * 3 + [None] * 2 + [np.int64] * 2 + [None, np.int64, None]
    kernel = device.kernel(("sce_grad", t, tt, chunk), source, "ember_sce_grad", scalars)
    run(device, kernel, -(-out.size // chunk), [out.size, N, C, logp.buffer, *t_args, g.buffer, g.offset, out.buffer])
    return out


KERNELS: dict[str, Callable[..., Any]] = {
    **{op: _reduction(op) for op in ("sum", "prod", "amax", "amin", "all", "any")},
    "argmax": _argext("argmax"), "argmin": _argext("argmin"), "cumsum": cumsum, "cumprod": cumprod,
    "logcumsumexp": logcumsumexp, "cumext_indices": cumext_indices,
    "logsumexp": logsumexp, "softmax": softmax, "log_softmax": log_softmax,
    "softmax_cross_entropy": softmax_cross_entropy, "softmax_cross_entropy_grad": softmax_cross_entropy_grad,
}  # fmt: skip
