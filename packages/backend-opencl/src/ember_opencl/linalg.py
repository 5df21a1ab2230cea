"""Matrix products: `matmul` (NumPy semantics) and the composite `linear`.

Every operand is read through its own strides (transposed, sliced, broadcast
views cost no copy). This first version is one simple kernel for every dtype.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import cltypes
from .clarray import CLArray, c_strides, empty
from .elementwise import broadcast_strides, collapse, launch


def _batch_code(nb: int, names: list[str], index: str) -> str:
    """C statements adding batch entry `index`'s offset to `<name>_off` for each operand (nb collapsed dims)."""
    if nb == 0:
        return ""
    lines = [f"  long r = {index}, c;\n"]
    for k in range(nb - 1, 0, -1):
        lines.append(f"  c = r % bd{k}; r /= bd{k};\n")
        lines += [f"  {n}_off += c * {n}_sb{k};\n" for n in names]
    lines += [f"  {n}_off += r * {n}_sb0;\n" for n in names]
    return "".join(lines)


def _acc_type(dtype: np.dtype) -> str:
    if dtype == np.bool_:
        return "uchar"
    if dtype.kind in "iu":
        return "long" if dtype.kind == "i" else "ulong"
    return cltypes.ctype(dtype)


def _naive(c: CLArray, a: CLArray, b: CLArray, batch: tuple[int, ...], sa: tuple[int, ...],
           sb: tuple[int, ...]) -> None:  # fmt: skip
    """c (contiguous (prod(batch), M, N)) = a @ b; sa/sb: a's/b's strides over the collapsed batch dims."""
    device = c.device
    M, K = a.shape[-2:]
    N = b.shape[-1]
    nb = len(batch)
    t = cltypes.ctype(c.dtype)
    acc = _acc_type(c.dtype)
    key = ("mm_naive", t, nb)

    def source() -> str:
        params = ["long M", "long N", "long K"] + [f"long bd{k}" for k in range(1, nb)]
        params += [f"__global {t}* cc"]
        params += [f"__global const {t}* a", "long a_off", "long a_sm", "long a_sk"] + [
            f"long a_sb{k}" for k in range(nb)
        ]
        params += [f"__global const {t}* b", "long b_off", "long b_sk", "long b_sn"] + [
            f"long b_sb{k}" for k in range(nb)
        ]
        step = "s = s | (a[ia] & b[ib])" if c.dtype == np.bool_ else f"s += ({acc})a[ia] * ({acc})b[ib]"
        return (
            cltypes.preamble([c.dtype])
            + f"__kernel void ember_mm_naive({', '.join(params)}) {{\n"
            + "  const long j = get_global_id(0), i = get_global_id(1), bi = get_global_id(2);\n"
            + "  if (i >= M || j >= N) return;\n"
            + _batch_code(nb, ["a", "b"], "bi")
            + "  long ia = a_off + i * a_sm, ib = b_off + j * b_sn;\n"
            + f"  {acc} s = 0;\n"
            + f"  for (long k = 0; k < K; ++k, ia += a_sk, ib += b_sk) {step};\n"
            + f"  cc[(bi * M + i) * N + j] = ({t})s;\n}}\n"
        )

    scalar_dtypes: list[Any] = [np.int64] * (3 + max(nb - 1, 0)) + [None]
    scalar_dtypes += [None, np.int64, np.int64, np.int64] + [np.int64] * nb
    scalar_dtypes += [None, np.int64, np.int64, np.int64] + [np.int64] * nb
    kernel = device.kernel(key, source, "ember_mm_naive", scalar_dtypes)
    nbatch = int(np.prod(batch)) if batch else 1
    lx = 16 if N >= 16 else N
    ly = max(1, min(M, 64 // lx))
    gx, gy = -(-N // lx) * lx, -(-M // ly) * ly
    args = [M, N, K, *batch[1:], c.buffer]
    args += [a.buffer, a.offset, a.strides[-2], a.strides[-1], *sa]
    args += [b.buffer, b.offset, b.strides[-2], b.strides[-1], *sb]
    kernel(device.queue, (gx, gy, nbatch), (lx, ly, 1), *args)


def matmul(a: CLArray, b: CLArray) -> CLArray:
    """NumPy's matmul: batched over broadcast leading dims; 1-D operands promoted, the added dim removed."""
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = a.view_of((1, a.shape[0]), (0, a.strides[0]), a.offset)
    if b_vec:
        b = b.view_of((b.shape[0], 1), (b.strides[0], 0), b.offset)
    M, K = a.shape[-2:]
    K2, N = b.shape[-2:]
    if K != K2:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match in the contracted dim ({K} != {K2})")
    batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
    out_shape = batch + (M, N)
    c = empty(a.device, out_shape, a.dtype)
    if c.size:
        if K == 0:
            launch("fill", "x0", c, [(0, c.dtype)])
        else:
            _gemm(c, a, b, batch)
    final = out_shape
    if a_vec:
        final = final[:-2] + final[-1:]
    if b_vec:
        final = final[:-1]
    return c if final == out_shape else c.view_of(final, c_strides(final), 0)


def _gemm(c: CLArray, a: CLArray, b: CLArray, batch: tuple[int, ...]) -> None:
    """c (contiguous batch + (M, N), non-empty) = a @ b with K > 0."""
    sa = broadcast_strides(a.view_of(a.shape[:-2], a.strides[:-2], 0), batch)
    sb = broadcast_strides(b.view_of(b.shape[:-2], b.strides[:-2], 0), batch)
    cb = c_strides(batch)
    dims, (_, sa, sb) = collapse(batch, [cb, sa, sb]) if batch else ((), [(), (), ()])
    if dims == (1,):
        dims, sa, sb = (), (), ()
    _naive(c, a, b, dims, sa, sb)


def linear(x: CLArray, w: CLArray, b: CLArray | None) -> CLArray:
    """x @ w.T + b (w is (out, in))."""
    wt = w.view_of((w.shape[1], w.shape[0]), (w.strides[1], w.strides[0]), w.offset)
    out = matmul(x, wt)
    if b is not None:
        launch("add", "x0 + x1", out, [out, b])
    return out


KERNELS: dict[str, Callable[..., Any]] = {"matmul": matmul, "linear": linear}
