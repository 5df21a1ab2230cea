"""Indexing kernels: gather, scatter, scatter_add, index (advanced indexing), index_put, nonzero.

Two generated kernels do the work of the first five:

* `_gather`: out[r] = src[base(r) + sum_k idx_k[r] * step_k] for every index r of
  out's shape, fully parallel (gather, index);
* `_put`: dst[base(p, j) + sum_k idx_k[p, j] * step_k] (+)= values[p, j], one
  work-item per "outer" position p, looping over the "inner" positions j in C order.
  Two positions can only hit the same element when they share p, so writes never
  race, repeated indices sum in NumPy's ``np.add.at`` order and plain assignment keeps
  the last value, as NumPy does (scatter, scatter_add, index_put).

Every operand is a strided view (shape/strides/offset in elements), so permuted,
sliced and broadcast inputs are read in place. Indices are checked in the kernel:
a bad one sets a flag (and records its value) in a small buffer that is read back
afterwards, and the host raises IndexError naming the op, the dim and its size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyopencl as cl

from ember import capture as _capture
from ember.xp_kernels import index_error

from . import cltypes
from .clarray import CLArray, empty, from_numpy, read_async, to_numpy
from .device import Device
from .elementwise import broadcast_strides, chunk_size, collapse, copy, run


class _Index:
    """One index array as a kernel reads it: its strides over the loop dims, the size and step it indexes."""

    __slots__ = ("array", "size", "step", "dim")

    def __init__(self, array: CLArray, size: int, step: int, dim: int) -> None:
        self.array, self.size, self.step, self.dim = array, size, step, dim


def _decompose(flat: str, dims: str, nd: int, ops: Sequence[tuple[str, str]], acc: str = "i") -> str:
    """C statements adding to each ``<acc>_<name>`` the offset of the flat C-order index `flat` over dims
    ``<dims>1 .. <dims>{nd-1}`` (dim 0 needs no size), with strides ``<name>_<sfx><k>`` for (name, sfx) in ops."""
    if nd == 1:
        return "".join(f"    {acc}_{n} += {flat} * {n}_{s}0;\n" for n, s in ops)
    lines = [f"    {{ long r = {flat}, c;\n"]
    for k in range(nd - 1, 0, -1):
        lines.append(f"      c = r % {dims}{k}; r /= {dims}{k};\n")
        lines += [f"      {acc}_{n} += c * {n}_{s}{k};\n" for n, s in ops]
    lines += [f"      {acc}_{n} += r * {n}_{s}0;\n" for n, s in ops]
    lines.append("    }\n")
    return "".join(lines)


def _start(flat: str, dims: str, nd: int, ops: Sequence[tuple[str, str]], acc: str, coord: str) -> str:
    """Declare coordinates ``<coord>1 .. <coord>{nd-1}`` of the flat index `flat` and add its offsets to
    ``<acc>_<name>`` (strides ``<name>_<sfx><k>``): the start of an odometer walk (`_advance`)."""
    lines = [f"  long {coord}{k};\n" for k in range(1, nd)] + [f"  {{ long r = {flat};\n"]
    for k in range(nd - 1, 0, -1):
        lines.append(f"    {coord}{k} = r % {dims}{k}; r /= {dims}{k};\n")
        lines += [f"    {acc}_{n} += {coord}{k} * {n}_{s}{k};\n" for n, s in ops]
    lines += [f"    {acc}_{n} += r * {n}_{s}0;\n" for n, s in ops]
    return "".join(lines) + "  }\n"


def _advance(dims: str, nd: int, ops: Sequence[tuple[str, str]], acc: str, coord: str, indent: str) -> str:
    """C statements stepping the odometer (coordinates and offsets) to the next flat index, without divisions."""

    def add(k: int, sign: str) -> str:
        return " ".join(f"{acc}_{n} {sign}= {'' if sign == '+' else f'({dims}{k} - 1) * '}{n}_{s}{k};" for n, s in ops)

    if nd == 1:
        return f"{indent}{add(0, '+')}\n"
    lines = []
    for k in range(nd - 1, 0, -1):
        lines.append(
            f"{indent}if (++{coord}{k} < {dims}{k}) {{ {add(k, '+')} }} else {{ {coord}{k} = 0; {add(k, '-')}\n"
        )
    lines.append(f"{indent}{add(0, '+')}\n")
    return "".join(lines) + indent + "}" * (nd - 1) + "\n"


def _check_code(k: int, wrap: bool, skip: str) -> str:
    """Load index k into ``v<k>``, wrap negatives (when `wrap`), and flag (then `skip`) one out of range."""
    return (
        f"    long v{k} = (long)q{k}[i_q{k}];\n"
        + (f"    if (v{k} < 0) v{k} += q{k}_size;\n" if wrap else "")
        + f"    if (v{k} < 0 || v{k} >= q{k}_size) {{ err[{2 * k}] = 1; err[{2 * k + 1}] = (long)q{k}[i_q{k}]; {skip} }}\n"
    )


def _error_buffer(device: Device, n_index: int) -> CLArray:
    """Zeroed flags for a kernel's bounds checks (filled on the queue: no wait for the device)."""
    err = empty(device, (max(2 * n_index, 1),), np.int64)
    device.host_transfer("a buffer fill")
    cl.enqueue_fill_buffer(device.queue, err.buffer, np.zeros(1, np.int64), 0, err.size * 8)
    return err


def _raise_if_bad(err: CLArray, indices: Sequence[_Index], op: str) -> None:
    """Read the flags back and raise IndexError for the first index array that had a bad entry
    (inside an `ember.compile` replay: when the replay ends, `ember.capture.defer_check`)."""
    if not indices or _capture.defer_check(_FlagCheck(err, indices, op)):
        return
    _read_flags(err, indices, op)


class _FlagCheck:
    """The flags' read-back as a deferred check: `start` queues the read (`ember.capture.run_checks`)."""

    def __init__(self, err: CLArray, indices: Sequence[_Index], op: str) -> None:
        self.err, self.indices, self.op = err, indices, op

    def __call__(self) -> None:
        _read_flags(self.err, self.indices, self.op)

    def start(self) -> Callable[[], None]:
        read = read_async(self.err)
        return lambda: _check_flags(read(), self.indices, self.op)


def _read_flags(err: CLArray, indices: Sequence[_Index], op: str) -> None:
    _check_flags(to_numpy(err), indices, op)


def _check_flags(host: np.ndarray, indices: Sequence[_Index], op: str) -> None:
    for k, ix in enumerate(indices):
        if host[2 * k]:
            raise index_error(op, int(host[2 * k + 1]), ix.dim, ix.size, negative=op.startswith("index"))


def _gather(op: str, src: CLArray, out: CLArray, indices: Sequence[_Index], wrap: bool) -> None:
    """out[r] = src[r-view offset + sum_k idx_k * step_k]: src and the index arrays are viewed with out's shape."""
    n = out.size
    if n == 0:
        return
    device = out.device
    dims, strides = collapse(out.shape, [src.strides] + [ix.array.strides for ix in indices])
    nd = len(dims)
    t = cltypes.ctype(out.dtype)
    qt = tuple(cltypes.ctype(ix.array.dtype) for ix in indices)
    key = ("index_gather", t, qt, nd, wrap)
    name = "index_gather"
    names = ["x"] + [f"q{k}" for k in range(len(indices))]

    def source() -> str:
        params = ["long n", "long chunk"] + [f"long d{k}" for k in range(1, nd)]
        params += [f"__global {t}* o", f"__global const {t}* x", "long x_off"] + [f"long x_s{k}" for k in range(nd)]
        for k, q in enumerate(qt):
            params += [f"__global const {q}* q{k}", f"long q{k}_off"] + [f"long q{k}_s{j}" for j in range(nd)]
            params += [f"long q{k}_size", f"long q{k}_step"]
        params.append("__global long* err")
        ops = [(nm, "s") for nm in names]
        body = "    long src = i_x;\n"
        for k in range(len(qt)):
            body += _check_code(k, wrap, f"v{k} = 0;")
            body += f"    src += v{k} * q{k}_step;\n"
        return (
            cltypes.preamble([out.dtype])
            + f"__kernel void ember_{name}({', '.join(params)}) {{\n"
            + "  const long first = get_global_id(0) * chunk, last = min(first + chunk, n);\n"
            + "  if (first >= last) return;\n"
            + "".join(f"  long i_{nm} = {nm}_off;\n" for nm in names)
            + _start("first", "d", nd, ops, "i", "c")
            + "  for (long gid = first; gid < last; ++gid) {\n"
            + body
            + "    o[gid] = x[src];\n"
            + _advance("d", nd, ops, "i", "c", "    ")
            + "  }\n}\n"
        )

    chunk = chunk_size(device)
    scalar: list[Any] = [np.int64] * (nd + 1) + [None, None, np.int64] + [np.int64] * nd
    args: list[Any] = [n, chunk, *dims[1:], out.buffer, src.buffer, src.offset, *strides[0]]
    for k, ix in enumerate(indices):
        scalar += [None, np.int64] + [np.int64] * nd + [np.int64, np.int64]
        args += [ix.array.buffer, ix.array.offset, *strides[k + 1], ix.size, ix.step]
    scalar.append(None)
    err = _error_buffer(device, len(indices))
    args.append(err.buffer)
    kernel = device.kernel(key, source, f"ember_{name}", scalar)
    run(device, kernel, -(-n // chunk), args)
    _raise_if_bad(err, indices, op)


def _put(op: str, dst: CLArray, outer: tuple[int, ...], inner: tuple[int, ...], dst_strides: tuple[int, ...],
         values: CLArray | tuple[Any, np.dtype], values_strides: tuple[int, ...] | None,
         indices: Sequence[tuple[_Index, tuple[int, ...]]], wrap: bool, accumulate: bool) -> None:  # fmt: skip
    """dst[base + sum_k idx_k * step_k] (+)= values over the dims outer + inner (strides given over both,
    outer first); work-items split the outer positions, each loops over the inner ones in C order, so
    writes never race and repeats are applied in NumPy's order."""
    n_outer, n_inner = math.prod(outer), math.prod(inner)
    if n_outer == 0 or n_inner == 0:
        return
    device = dst.device
    no = len(outer)
    is_array = isinstance(values, CLArray)
    all_strides = [dst_strides] + ([values_strides] if is_array else []) + [s for _, s in indices]  # type: ignore[list-item]  # indices hold (array, strides) pairs
    odims, ostr = collapse(outer, [s[:no] for s in all_strides])
    idims, istr = collapse(inner, [s[no:] for s in all_strides])
    ndo, ndi = len(odims), len(idims)
    t = cltypes.ctype(dst.dtype)
    qt = tuple(cltypes.ctype(ix.array.dtype) for ix, _ in indices)
    update = ("|=" if dst.dtype == np.bool_ else "+=") if accumulate else "="
    hoist = all(not any(st[k] for k in range(ndo)) for st in ostr[len(ostr) - len(indices) :])
    # loop order: over the inner positions innermost when they are the contiguous ones (scatter along
    # the last axis), otherwise over the outer ones (neighbouring stores, indices loaded once per j)
    lead = 1 if is_array else len(ostr) - 1  # the values' strides, else the (first) index array's
    inner_first = not hoist and abs(istr[lead][-1]) <= 1 < abs(ostr[lead][-1]) if lead < len(ostr) else False
    key = ("index_put", t, qt, ndo, ndi, wrap, update, is_array, hoist, inner_first)
    names = ["o"] + (["v"] if is_array else []) + [f"q{k}" for k in range(len(indices))]

    def source() -> str:
        params = ["long n", "long chunk", "long m"] + [f"long od{k}" for k in range(1, ndo)]
        params += [f"long id{k}" for k in range(1, ndi)]

        def strided(nm: str, decl: str) -> list[str]:
            return (
                [decl, f"long {nm}_off"]
                + [f"long {nm}_os{k}" for k in range(ndo)]
                + [f"long {nm}_is{k}" for k in range(ndi)]
            )

        params += strided("o", f"__global {t}* o")
        params += strided("v", f"__global const {t}* v") if is_array else [f"const {t} v"]
        for k, q in enumerate(qt):
            params += strided(f"q{k}", f"__global const {q}* q{k}") + [f"long q{k}_size", f"long q{k}_step"]
        params.append("__global long* err")
        # Each work-item owns outer positions [first, last); for each inner position j (in C order) it
        # walks them all, so consecutive stores are neighbours and a target never sees two writers.
        ops_o, ops_i = [(nm, "os") for nm in names], [(nm, "is") for nm in names]
        body = "".join(f"    long i_{nm} = s_{nm};\n" for nm in names)
        body += _decompose("j", "id", ndi, ops_i)
        body += "".join(f"    long c{k} = sc{k};\n" for k in range(1, ndo))
        if hoist:  # the indices do not vary with the outer position: load and check them once per j
            for k in range(len(qt)):
                body += _check_code(k, wrap, "continue;") + f"    i_o += v{k} * q{k}_step;\n"
            walk = ["o", "v"] if is_array else ["o"]
            check, store = "", f"o[i_o] {update} {'v[i_v]' if is_array else 'v'};"
        else:
            walk = names
            check = "    int ok = 1; long t = i_o;\n" + "".join(
                _check_code(k, wrap, "ok = 0;") + f"    t += v{k} * q{k}_step;\n" for k in range(len(qt))
            )
            store = f"if (ok) o[t] {update} {'v[i_v]' if is_array else 'v'};"
        inner = check + "    " + store + "\n" + _advance("od", ndo, [(nm, "os") for nm in walk], "i", "c", "    ")
        inner = "".join("  " + line for line in inner.splitlines(True))
        j_outer = (
            "  for (long j = 0; j < m; ++j) {\n"
            + body
            + "    for (long p = first; p < last; ++p) {\n"
            + inner
            + "    }\n  }\n"
        )
        # p outer (the inner dims are the contiguous ones): walk j with an odometer inside each p
        check = "      int ok = 1; long t = i_o;\n" + "".join(
            "  " + _check_code(k, wrap, "ok = 0;") + f"      t += v{k} * q{k}_step;\n" for k in range(len(qt))
        )
        store = f"if (ok) o[t] {update} {'v[i_v]' if is_array else 'v'};"
        p_outer = (
            "".join(f"  long c{k} = sc{k};\n" for k in range(1, ndo))
            + "  for (long p = first; p < last; ++p) {\n"
            + "".join(f"    long i_{nm} = s_{nm};\n" for nm in names)
            + "".join(f"    long e{k} = 0;\n" for k in range(1, ndi))
            + "    for (long j = 0; j < m; ++j) {\n"
            + check
            + "      "
            + store
            + "\n"
            + _advance("id", ndi, ops_i, "i", "e", "      ")
            + "    }\n"
            + _advance("od", ndo, ops_o, "s", "c", "    ")
            + "  }\n"
        )
        return (
            cltypes.preamble([dst.dtype])
            + f"__kernel void ember_index_put({', '.join(params)}) {{\n"
            + "  const long first = get_global_id(0) * chunk, last = min(first + chunk, n);\n"
            + "  if (first >= last) return;\n"
            + "".join(f"  long s_{nm} = {nm}_off;\n" for nm in names)
            + _start("first", "od", ndo, ops_o, "s", "sc")
            + (p_outer if inner_first else j_outer)
            + "}\n"
        )

    if device.is_cpu:  # about 4096 updates per work-item, runs of >= 16 outer positions, >= 4 items per core
        spread = -(-n_outer // (4 * device.compute_units))
        per = max(1, min(-(-4096 // n_inner), spread), 1 if inner_first else min(16, spread))
    else:
        per = 1
    scalar: list[Any] = [np.int64] * (3 + ndo - 1 + ndi - 1)
    args: list[Any] = [n_outer, per, n_inner, *odims[1:], *idims[1:]]
    longs = [np.int64] * (1 + ndo + ndi)
    scalar += [None, *longs]
    args += [dst.buffer, dst.offset, *ostr[0], *istr[0]]
    s = 1
    if is_array:
        assert isinstance(values, CLArray)
        scalar += [None, *longs]
        args += [values.buffer, values.offset, *ostr[1], *istr[1]]
        s = 2
    else:
        value, dt = values  # type: ignore[misc]  # a scalar operand is a (value, dtype) pair
        scalar.append(cltypes.ARG_TYPES[np.dtype(dt)])
        args.append(value)
    for k, (ix, _) in enumerate(indices):
        scalar += [None, *longs, np.int64, np.int64]
        args += [ix.array.buffer, ix.array.offset, *ostr[s + k], *istr[s + k], ix.size, ix.step]
    scalar.append(None)
    err = _error_buffer(device, len(indices))
    args.append(err.buffer)
    kernel = device.kernel(key, source, "ember_index_put", scalar)
    run(device, kernel, -(-n_outer // per), args)
    _raise_if_bad(err, [ix for ix, _ in indices], op)


# -- gather / scatter ---------------------------------------------------------------


def gather(x: CLArray, axis: int, index: CLArray) -> CLArray:
    """out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis` (NumPy take_along_axis)."""
    out = empty(x.device, index.shape, x.dtype)
    x, index = _as_1d(x), _as_1d(index)
    strides = tuple(0 if d == axis else s for d, s in enumerate(x.strides))
    src = x.view_of(index.shape, strides, x.offset)
    _gather("gather", src, out.view_of(index.shape, (1,) * index.ndim, 0) if out.ndim == 0 else out,
            [_Index(index, x.shape[axis], x.strides[axis], axis)], wrap=False)  # fmt: skip
    return out


def _as_1d(a: CLArray) -> CLArray:
    """0-d arrays as one element along a dim 0 (gather and scatter treat them so, as PyTorch)."""
    return a.view_of((1,), (1,), a.offset) if a.ndim == 0 else a


def _scatter(op: str, x: CLArray, axis: int, index: CLArray, src: CLArray, accumulate: bool) -> CLArray:
    result = copy(x)
    out, x, index, src = _as_1d(result), _as_1d(x), _as_1d(index), _as_1d(src)
    other = [d for d in range(index.ndim) if d != axis]
    outer = tuple(index.shape[d] for d in other)

    def split(strides: tuple[int, ...], axis_stride: int) -> tuple[int, ...]:
        return tuple(strides[d] for d in other) + (axis_stride,)

    ix = _Index(index, x.shape[axis], out.strides[axis], axis)
    _put(op, out, outer, (index.shape[axis],), split(out.strides, 0), src, split(src.strides, src.strides[axis]),
         [(ix, split(index.strides, index.strides[axis]))], wrap=False, accumulate=accumulate)  # fmt: skip
    return result


def scatter(x: CLArray, axis: int, index: CLArray, src: CLArray) -> CLArray:
    """A copy of x with out[..., index[..., i, ...], ...] = src[..., i, ...] (the last repeat wins)."""
    return _scatter("scatter", x, axis, index, src, accumulate=False)


def scatter_add(x: CLArray, axis: int, index: CLArray, src: CLArray) -> CLArray:
    """A copy of x with src added at index along `axis`, repeats summed in order (as np.add.at)."""
    return _scatter("scatter_add", x, axis, index, src, accumulate=True)


# -- advanced indexing -----------------------------------------------------------------


class _Plan:
    """x[key] laid out for the kernels: the result shape, where the broadcast index dims sit in it,
    the basic view's offset and strides over the result's dims, and the index arrays."""

    def __init__(self, x: CLArray, key: tuple[Any, ...], op: str) -> None:
        consumed = sum(1 for k in key if k is not None)
        if consumed > x.ndim:
            raise IndexError(f"{op}: too many indices for an array of {x.ndim} dimensions: {len(key)} given")
        key = tuple(key) + (slice(None),) * (x.ndim - consumed)
        has_arrays = any(isinstance(k, CLArray) for k in key)
        offset, d = x.offset, 0
        basic: list[tuple[int, int, int]] = []  # (size, stride, key position)
        advanced: list[int] = []  # key positions of arrays (and of ints, when arrays are present: NumPy)
        arrays: list[tuple[CLArray, int, int, int]] = []  # (array, size, stride, dim)
        for pos, k in enumerate(key):
            if k is None:
                basic.append((1, 0, pos))
                continue
            size, stride = x.shape[d], x.strides[d]
            if isinstance(k, CLArray):
                arrays.append((k, size, stride, d))
                advanced.append(pos)
            elif isinstance(k, slice):
                start, stop, step = k.indices(size)
                basic.append((len(range(start, stop, step)), stride * step, pos))
                offset += start * stride
            else:
                i = int(k)
                if not -size <= i < size:
                    raise index_error(op, i, d, size)
                offset += (i + size if i < 0 else i) * stride
                if has_arrays:
                    advanced.append(pos)
            d += 1
        try:
            self.bshape = tuple(np.broadcast_shapes(*(a.shape for a, *_ in arrays)))
        except ValueError:
            shapes = " ".join(str(a.shape) for a, *_ in arrays)
            raise IndexError(
                f"{op}: shape mismatch: index arrays could not be broadcast together with shapes {shapes}"
            ) from None
        adjacent = not advanced or advanced[-1] - advanced[0] == len(advanced) - 1
        at = sum(1 for *_, pos in basic if pos < advanced[0]) if adjacent and advanced else 0
        nb = len(self.bshape)
        self.at = at
        self.basic_shape = tuple(n for n, _, _ in basic)
        self.shape = self.basic_shape[:at] + self.bshape + self.basic_shape[at:]
        self.basic_strides = tuple(s for _, s, _ in basic)
        self.offset = offset
        self.indices = [_Index(a, size, stride, dim) for a, size, stride, dim in arrays]
        # each index array's strides over the result dims (0 along the basic ones)
        self.index_strides = [
            (0,) * at + broadcast_strides(a, self.bshape) + (0,) * (len(basic) - at) for a, *_ in arrays
        ]
        self.nb = nb

    def src_strides(self) -> tuple[int, ...]:
        """The basic view's strides over the result dims (0 along the index dims)."""
        return self.basic_strides[: self.at] + (0,) * self.nb + self.basic_strides[self.at :]

    def split(self, strides: tuple[int, ...]) -> tuple[int, ...]:
        """Strides over the result dims reordered as (basic dims..., index dims...)."""
        a, b = self.at, self.at + self.nb
        return strides[:a] + strides[b:] + strides[a:b]


def index(x: CLArray, key: tuple[Any, ...]) -> CLArray:
    """x[key] with NumPy's advanced indexing (ints, slices, None, int64 arrays; negatives wrap)."""
    plan = _Plan(x, key, "index")
    out = empty(x.device, plan.shape, x.dtype)
    src = x.view_of(plan.shape, plan.src_strides(), plan.offset)
    indices = [
        _Index(ix.array.view_of(plan.shape, s, ix.array.offset), ix.size, ix.step, ix.dim)
        for ix, s in zip(plan.indices, plan.index_strides)
    ]
    _gather("index", src, out, indices, wrap=True)
    return out


def index_put(x: CLArray, key: tuple[Any, ...], values: Any, accumulate: bool) -> CLArray:
    """A copy of x with x[key] = values, or += values with repeated indices summed in order (np.add.at)."""
    out = copy(x)
    plan = _Plan(out, key, "index_put")
    if isinstance(values, CLArray):
        v = values
        while v.ndim > len(plan.shape) and v.shape[0] == 1:  # NumPy drops leading 1s of the values
            v = v.view_of(v.shape[1:], v.strides[1:], v.offset)
        if v.ndim > len(plan.shape) or any(a not in (1, b) for a, b in zip(v.shape[::-1], plan.shape[::-1])):
            raise ValueError(
                f"index_put: values of shape {values.shape} do not broadcast to x[key]'s shape {plan.shape}"
            )
        vals: CLArray | tuple[Any, np.dtype] = v
        vstrides: tuple[int, ...] | None = plan.split(broadcast_strides(v, plan.shape))
    else:
        vals, vstrides = (values, out.dtype), None
    dst = out.view_of(out.shape, out.strides, plan.offset)
    _put("index_put", dst, plan.basic_shape, plan.bshape, plan.split(plan.src_strides()), vals, vstrides,
         [(ix, plan.split(s)) for ix, s in zip(plan.indices, plan.index_strides)],
         wrap=True, accumulate=bool(accumulate))  # fmt: skip
    return out


# -- nonzero --------------------------------------------------------------------------------


def _odometer(nd: int) -> str:
    """C statements stepping the coordinates c0..c{nd-1} (and the offset i) to the next element in C order."""
    lines = []
    for k in range(nd - 1, -1, -1):
        lines.append(
            f"{'  ' * (nd - 1 - k)}    if (++c{k} < d{k}) {{ i += s{k}; }} else {{ c{k} = 0; i -= (d{k} - 1) * s{k};\n"
        )
    return "".join(lines) + "    " + "}" * nd + "\n"


def _nonzero_source(t: str, nd: int, write: bool, preamble: str) -> str:
    params = ["long n", "long per", "long w"] + [f"long d{k}" for k in range(nd)]
    params += [f"__global const {t}* x", "long x_off"] + [f"long s{k}" for k in range(nd)]
    params += ["__global const long* starts", "__global long* out"] if write else ["__global long* counts"]
    start = "  long r = first, i = x_off;\n" + "".join(
        f"  long c{k} = r % d{k}; r /= d{k}; i += c{k} * s{k};\n" for k in range(nd - 1, -1, -1)
    )
    if write:
        found = f"      __global long* row = out + pos * {nd}; ++pos;\n" + "".join(
            f"      row[{k}] = c{k};\n" for k in range(nd)
        )
        head, tail = "  long pos = starts[g];\n", ""
    else:
        found, head, tail = "      ++count;\n", "  long count = 0;\n", "  counts[g] = count;\n"
    return (
        preamble
        + f"__kernel void ember_nonzero_{'write' if write else 'count'}({', '.join(params)}) {{\n"
        + "  const long g = get_global_id(0);\n  if (g >= w) return;\n"
        + "  const long first = g * per, last = min(first + per, n);\n"
        + head
        + start
        + "  for (long e = first; e < last; ++e) {\n"
        + f"    if (x[i] != ({t})0) {{\n{found}    }}\n"
        + _odometer(nd)
        + "  }\n"
        + tail
        + "}\n"
    )


def nonzero(x: CLArray) -> CLArray:
    """The (n, ndim) int64 coordinates of x's nonzero elements in C order: a count pass per chunk,
    the (small) counts read back and prefix-summed on the host, then a write pass."""
    device = x.device
    nd_out = x.ndim
    n = x.size
    if n == 0:
        return empty(device, (0, nd_out), np.int64)
    shape, strides = (x.shape, x.strides) if x.ndim else ((1,), (1,))
    nd = len(shape)
    # a few hundred chunks: enough parallelism, a cheap host prefix sum
    per = max(chunk_size(device) * 4, -(-n // 256))
    w = -(-n // per)
    t = cltypes.ctype(x.dtype)
    pre = cltypes.preamble([x.dtype])
    base: list[Any] = [n, per, w, *shape, x.buffer, x.offset, *strides]
    scalar: list[Any] = [np.int64] * (3 + nd) + [None] + [np.int64] * (1 + nd)
    counts = empty(device, (w,), np.int64)
    k_count = device.kernel(("nonzero_count", t, nd), lambda: _nonzero_source(t, nd, False, pre),
                            "ember_nonzero_count", scalar + [None])  # fmt: skip
    run(device, k_count, w, base + [counts.buffer])
    host = to_numpy(counts)
    total = int(host.sum())
    out = empty(device, (total, nd_out), np.int64)
    if total == 0 or nd_out == 0:
        return out
    starts = from_numpy(device, np.concatenate(([0], np.cumsum(host)[:-1])).astype(np.int64))
    k_write = device.kernel(("nonzero_write", t, nd), lambda: _nonzero_source(t, nd, True, pre),
                            "ember_nonzero_write", scalar + [None, None])  # fmt: skip
    run(device, k_write, w, base + [starts.buffer, out.buffer])
    return out


KERNELS: dict[str, Callable[..., Any]] = {
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add,
    "index": index, "index_put": index_put, "nonzero": nonzero,
}  # fmt: skip
