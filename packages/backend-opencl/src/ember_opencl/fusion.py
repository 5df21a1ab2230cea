"""Fused elementwise kernels for `ember.compile` (the backend side of `ember.fusion`).

A group of elementwise steps over one shape becomes one generated OpenCL kernel: each work-item
loads its element of every input once, evaluates the steps' expressions (the same C expressions
as the one-op kernels in `elementwise`, each in its own result type) in registers, and stores only
the results that the rest of the schedule reads, plus the arrays written in place. Layouts are
read at each call (strides, offsets, broadcasting), as `elementwise.launch` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ember.dispatch import OPS
from ember.fusion import ElementwiseGroup

from . import cltypes
from .clarray import CLArray, c_strides, empty
from .elementwise import BINARY, UNARY, _index_code, broadcast_strides, chunk_size, collapse, expression, run

__all__ = ["elementwise_fusible", "fuse_elementwise"]

#: in-place variants (add_, ...) -> the op whose expression they apply
_INPLACE_OF = {op.variant.name: name for name, op in OPS.items() if op.variant is not None and name in BINARY}
_X = re.compile(r"\bx(\d+)\b")
_T = re.compile(r"\bT\b")


def _expr(name: str, dtype: np.dtype) -> str | None:
    """The C expression of op `name` on operands of `dtype`, or None (none, or it calls helper functions)."""
    if name in ("where", "copy_", "astype"):
        return {"where": "x0 ? x1 : x2", "copy_": "x1", "astype": "x0"}[name]
    base = _INPLACE_OF.get(name, name)
    table = UNARY if base in UNARY else BINARY if base in BINARY else None
    if table is None:
        return None
    try:
        expr, helpers = expression(table, base, dtype)
    except TypeError:
        return None
    if helpers:  # helper functions are written for one type T: they do not mix in one kernel
        return None
    return expr  # an in-place variant's operands are (target, other), as its op's


def _operand_dtype(name: str, args: Sequence[Any]) -> np.dtype | None:
    """The dtype the one-op kernel computes in: its first array operand's (where: its values')."""
    values = args[1:] if name == "where" else args
    return next((a.dtype for a in values if isinstance(a, CLArray)), None)


def elementwise_fusible(op: Any, args: Sequence[Any], result: Any) -> bool:
    """Whether this kernel call may be a step of a fused kernel."""
    if op.name == "astype":  # (x, the dtype): a cast
        return isinstance(args[0], CLArray) and np.dtype(args[1].numpy) in cltypes.CTYPES
    if not all(isinstance(a, (CLArray, bool, int, float)) for a in args):
        return False
    if not op.inplace and not isinstance(result, CLArray):
        return False
    dtype = _operand_dtype(op.name, args)
    if dtype is None or dtype not in cltypes.CTYPES:
        return False
    if op.name == "copy_" and not isinstance(args[1], CLArray):
        return False
    return _expr(op.name, dtype) is not None


def fuse_elementwise(group: ElementwiseGroup) -> Callable[..., tuple[CLArray, ...]] | None:
    """One kernel for the group (see `ember.fusion`), or None when this backend cannot fuse it."""
    inputs = group.inputs
    # arrays, numbers (kernel parameters) and other constants (astype's dtype: in the code already)
    kinds = ["a" if isinstance(x, CLArray) else "s" if isinstance(x, (bool, int, float)) else "c" for x in inputs]
    arrays = [k for k, x in enumerate(inputs) if kinds[k] == "a"]
    if not arrays:
        return None
    written = sorted({s.target for s in group.steps if s.target is not None})
    for w in written:  # an array written in place is read only through the same view, at its own element
        x = inputs[w]
        if tuple(x.shape) != tuple(group.shape) or any(
            k != w and inputs[k].buffer is x.buffer for k in arrays
        ):
            return None
    # the C code of each step; operands: ("in", k) or ("tmp", j)
    vtype: dict[Any, np.dtype] = {}  # the C type of each value
    scalars: dict[tuple[int, np.dtype], str] = {}  # (input, dtype) -> kernel parameter
    body: list[str] = []
    for k in arrays:
        vtype[("in", k)] = inputs[k].dtype
    for j, s in enumerate(group.steps):
        values: list[Any] = [(r, vtype.get(r)) for r in s.operands]
        opdt = next((dt for r, dt in (values[1:] if s.op == "where" else values) if dt is not None), None)
        if s.op == "copy_":
            opdt = vtype.get(s.operands[1])
        if opdt is None:
            return None
        expr = _expr(s.op, opdt)
        if expr is None:
            return None
        if s.op == "astype" and s.dtype == np.bool_:
            expr = "x0 != 0"
        names = []
        for i, (r, _dt) in enumerate(values):
            if r[0] == "in" and kinds[r[1]] == "s":  # a number: passed in the type the one-op kernel gives it
                sdt = np.dtype(np.bool_) if s.op == "where" and i == 0 else opdt
                if s.op == "copy_":
                    sdt = s.dtype
                nm = scalars.setdefault((r[1], sdt), f"s{len(scalars)}")
                names.append(nm)
            else:
                names.append(f"in{r[1]}" if r[0] == "in" else f"r{r[1]}")
        ct = cltypes.ctype(s.dtype)
        code = _T.sub(ct, _X.sub(lambda m: names[int(m.group(1))], expr))
        if s.target is not None:
            body.append(f"    in{s.target} = ({ct})({code});\n")
        else:
            body.append(f"    const {ct} r{j} = ({ct})({code});\n")
            vtype[("tmp", j)] = s.dtype
    outputs = group.outputs
    out_dtypes = [group.steps[j].dtype for j in outputs]
    shape = tuple(group.shape)
    scalar_list = list(scalars.items())
    spec = (tuple(body), tuple(kinds), tuple(str(inputs[k].dtype) for k in arrays), tuple(map(str, out_dtypes)),
            tuple(written), tuple(outputs), tuple((k, str(dt)) for (k, dt), _ in scalar_list))  # fmt: skip
    unfused = _interpreter(group)

    n = int(np.prod(shape))
    layouts: dict[Any, tuple[Any, list[Any], list[tuple[int, ...]], int]] = {}

    def prepare(device: Any, arrs: list[CLArray]) -> tuple[Any, list[Any], list[tuple[int, ...]], int]:
        """The kernel for these operands' layouts, its leading arguments, the collapsed strides, its work-items."""
        dims, strides = collapse(shape, [c_strides(shape)] * len(out_dtypes) + [broadcast_strides(a, shape) for a in arrs])
        nd = len(dims)
        units = tuple(nd == 1 and st[0] == 1 for st in strides)
        chunk = chunk_size(device)
        names = [f"o{m}" for m in range(len(out_dtypes))] + [f"a{k}" for k in arrays]

        def source() -> str:
            params = ["long n"] + [f"long d{d}" for d in range(1, nd)]
            for m, dt in enumerate(out_dtypes):
                params += [f"__global {cltypes.ctype(dt)}* o{m}", f"long o{m}_off"] + [f"long o{m}_s{d}" for d in range(nd)]
            loads = []
            for k in arrays:
                ct = cltypes.ctype(inputs[k].dtype)
                const = "" if k in written else "const "
                params += [f"__global {const}{ct}* a{k}", f"long a{k}_off"] + [f"long a{k}_s{d}" for d in range(nd)]
                loads.append(f"    {const}{ct} in{k} = a{k}[i_a{k}];\n")
            for (_k, dt), nm in scalar_list:
                params.append(f"const {cltypes.ctype(dt)} {nm}")
            stores = [f"    o{m}[i_o{m}] = r{j};\n" for m, j in enumerate(outputs)]
            stores += [f"    a{w}[i_a{w}] = in{w};\n" for w in written]
            types = [*out_dtypes, *(inputs[k].dtype for k in arrays), *(dt for (_k, dt), _ in scalar_list)]
            return (
                cltypes.preamble(types)
                + "#pragma OPENCL FP_CONTRACT OFF\n"  # each step rounds as its one-op kernel does
                + f"__kernel void ember_fused({', '.join(params)}) {{\n"
                + f"  const long first = get_global_id(0) * {chunk}, last = min(first + {chunk}, n);\n"
                + (_walk_code(nd, names, loads + body + stores) if nd > 1 else (
                    "  for (long gid = first; gid < last; ++gid) {\n"
                    + _index_code(nd, names, list(units))
                    + "".join(loads) + "".join(body) + "".join(stores)
                    + "  }\n"
                ))
                + "}\n"
            )  # fmt: skip

        scalar_dtypes: list[Any] = [np.int64] * nd
        scalar_dtypes += ([None, np.int64] + [np.int64] * nd) * (len(out_dtypes) + len(arrs))
        scalar_dtypes += [cltypes.ARG_TYPES[np.dtype(dt)] for (_k, dt), _nm in scalar_list]
        kernel = device.kernel(("fused", spec, nd, units, chunk), source, "ember_fused", scalar_dtypes)
        return kernel, [n, *dims[1:]], strides, -(-n // chunk)

    def fused(*vals: Any) -> tuple[CLArray, ...]:
        arrs = [vals[k] for k in arrays]
        for w in written:  # memory shared with an array written in place at this call: run the steps one by one
            x = vals[w]
            if any(k != w and vals[k].buffer is x.buffer for k in arrays):
                return unfused(*vals)
        device = arrs[0].device
        outs = [empty(device, shape, dt) for dt in out_dtypes]
        if n == 0:
            return tuple(outs)
        key = (device, *(a.strides for a in arrs))
        prepared = layouts.get(key)
        if prepared is None:
            prepared = layouts[key] = prepare(device, arrs)
        kernel, args, strides, items = prepared
        args = list(args)
        for m, o in enumerate(outs):
            args += [o.buffer, o.offset, *strides[m]]
        for i, a in enumerate(arrs):
            args += [a.buffer, a.offset, *strides[len(outs) + i]]
        args += [vals[k] for (k, _dt), _nm in scalar_list]
        run(device, kernel, items, args)
        return tuple(outs)

    return fused


def _walk_code(nd: int, names: list[str], step: list[str]) -> str:
    """A work-item's loop over its consecutive elements of an `nd`-dim (collapsed) layout: the offsets
    of its first element from its multi-index (divisions, once), then carried from element to element
    (additions; a 64-bit division per dim per element costs more than the arithmetic it indexes)."""
    lines = ["  if (first >= last) return;\n", "  long r = first;\n"]
    lines += [f"  long i_{x} = {x}_off;\n" for x in names]
    for k in range(nd - 1, 0, -1):
        lines.append(f"  long c{k} = r % d{k}; r /= d{k};\n")
        lines += [f"  i_{x} += c{k} * {x}_s{k};\n" for x in names]
    lines += [f"  i_{x} += r * {x}_s0;\n" for x in names]

    def advance(k: int) -> str:
        step_k = " ".join(f"i_{x} += {x}_s{k};" for x in names)
        if k == 0:
            return step_k
        back = " ".join(f"i_{x} -= (d{k} - 1) * {x}_s{k};" for x in names)
        return f"if (++c{k} < d{k}) {{ {step_k} }} else {{ c{k} = 0; {back} {advance(k - 1)} }}"

    lines.append("  for (long gid = first; gid < last; ++gid) {\n")
    lines += step
    lines.append(f"    {advance(nd - 1)}\n")
    lines.append("  }\n")
    return "".join(lines)


def _interpreter(group: ElementwiseGroup) -> Callable[..., tuple[CLArray, ...]]:
    """The group's steps as the one-op kernels, in order (for inputs whose memory overlaps)."""
    from .kernels import KERNELS

    def unfused(*vals: Any) -> tuple[CLArray, ...]:
        tmp: dict[int, Any] = {}
        for j, s in enumerate(group.steps):
            args = [vals[k] if kind == "in" else tmp[k] for kind, k in s.operands]
            r = KERNELS[s.op](*args)
            if s.target is None:  # an in-place step into a result of the group: that array, updated
                tmp[j] = args[0] if OPS[s.op].inplace else r
        return tuple(tmp[j] for j in group.outputs)

    return unfused
