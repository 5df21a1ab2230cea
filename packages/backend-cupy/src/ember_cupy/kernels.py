"""CuPy kernels: core's generic table (`ember.xp_kernels.kernel_table(cupy)`) plus CUDA's own.

What is generic over a NumPy-compatible array module lives in core and is shared
with the NumPy backend. Here are only CuPy's own kernels:

- `random_bits`: a RawKernel for Philox4x32-10 (`random.py`), one thread per block of 4 words;
- `softmax`, `log_softmax`, `logsumexp`: the max, then one ReductionKernel for sum(exp(x - max))
  and one fused ElementwiseKernel for the output (3 launches, no exp(x) temporary);
- `sigmoid`, `rsqrt`: one fused ElementwiseKernel each instead of a chain of ufuncs;
- `erf`, `erfc`, `erfinv`, `lgamma`: cupyx.scipy.special's;
- `index_put`/`scatter_add` accumulate with atomics (`cupy.add.at`), which CUDA has for
  float16/32/64, int32, uint32 and uint64: int64 adds through uint64 (same bits, two's complement),
  narrower ints and bool through int32.

cuDNN does not come with CuPy's wheels, so conv2d and pooling stay core's im2col + cuBLAS GEMM.
Kernels launch on the current device (the array's, see `backend.py`) and its current CuPy stream.
"""

from __future__ import annotations

from typing import Any

import cupy
import numpy as np

from ember.dtypes import DType
from ember.xp_kernels import Kernel, kernel_table

from .random import random_bits

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ATOMIC = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int32, np.uint32, np.uint64)}


def _add_at(out: Any, key: Any, values: Any) -> None:
    """Unbuffered out[key] += values (repeated indices sum) for every dtype, with CUDA atomics."""
    dt = out.dtype
    if dt in _ATOMIC:
        cupy.add.at(out, key, values)
    elif dt == np.int64:
        vals = cupy.asarray(values, dtype=np.int64)
        cupy.add.at(out.view(np.uint64), key, vals.view(np.uint64))
    else:  # bool (add is "or"), int8, uint8, int16: accumulate in int32, cast back (wrapping like the narrow add)
        wide = out.astype(np.int32)
        cupy.add.at(wide, key, cupy.asarray(values).astype(np.int32))
        out[...] = wide.astype(dt)


# -- fused kernels (float32/float64; other dtypes take core's generic composition) ----------------
_finite = cupy.ElementwiseKernel("T m", "T y", "y = isfinite(m) ? m : (T)0", "ember_finite_or_zero")
_sumexp = cupy.ReductionKernel("T x, T m", "T s", "exp(x - m)", "a + b", "s = a", "0", "ember_sumexp")
_softmax_out = cupy.ElementwiseKernel("T x, T m, T s", "T y", "y = exp(x - m) / s", "ember_softmax")
_log_softmax_out = cupy.ElementwiseKernel("T x, T m, T s", "T y", "y = x - m - log(s)", "ember_log_softmax")
_logsumexp_out = cupy.ElementwiseKernel("T m, T s", "T y", "y = log(s) + m", "ember_logsumexp")
_sigmoid = cupy.ElementwiseKernel("T x", "T y", "y = tanh(x * (T)0.5) * (T)0.5 + (T)0.5", "ember_sigmoid")
_rsqrt = cupy.ElementwiseKernel("T x", "T y", "y = (T)1 / sqrt(x)", "ember_rsqrt")


def _fused(generic: Kernel, fused: Kernel) -> Kernel:
    def kernel(x: Any, *args: Any) -> Any:
        return fused(x, *args) if x.dtype in _FLOATS else generic(x, *args)

    kernel.__name__ = getattr(fused, "__name__", "kernel")
    return kernel


def _softmax(x: Any, axis: int) -> Any:
    m = x.max(axis=axis, keepdims=True)  # a non-finite max stays as it is (inf - inf is nan), as in core
    s = _sumexp(x, cupy.broadcast_to(m, x.shape), axis=axis, keepdims=True)
    return _softmax_out(x, m, s)


def _log_softmax(x: Any, axis: int) -> Any:
    m = _finite(x.max(axis=axis, keepdims=True))  # shift by 0 where the max is not finite, as in core
    s = _sumexp(x, cupy.broadcast_to(m, x.shape), axis=axis, keepdims=True)
    return _log_softmax_out(x, m, s)


def _logsumexp(x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
    m = _finite(x.max(axis=axes, keepdims=True))
    s = _sumexp(x, cupy.broadcast_to(m, x.shape), axis=axes, keepdims=True)
    out = _logsumexp_out(m, s)
    return out if keepdim else cupy.squeeze(out, axis=axes)


#: Ember's special functions outside CuPy's NumPy API, by their names in cupyx.scipy.special
_SPECIAL = {"erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "lgamma": "gammaln"}


def _special(name: str) -> Kernel:
    def kernel(x: Any) -> Any:
        import cupyx.scipy.special

        out = getattr(cupyx.scipy.special, _SPECIAL[name])(x)
        if name == "lgamma":  # PyTorch: inf at -inf (SciPy's gammaln says -inf)
            out = cupy.where(x == -cupy.inf, cupy.inf, out)
        return out.astype(x.dtype, copy=False)

    kernel.__name__ = name
    return kernel


def _on_index(fn: Kernel) -> Kernel:
    """A creation kernel (its last argument is the device index) run on that device."""

    def kernel(*args: Any) -> Any:
        with cupy.cuda.Device(args[-1]):
            return fn(*args)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


def _full(shape: tuple[int, ...], value: Any, dtype: DType, index: int) -> Any:
    with cupy.cuda.Device(index):
        return cupy.full(shape, value, dtype=dtype.numpy)


def build() -> dict[str, Kernel]:
    """The kernel table: core's generic kernels on CuPy, then CuPy's own."""
    table = kernel_table(cupy, add_at=_add_at)
    table["full"] = _full
    table["arange"] = _on_index(table["arange"])
    table["random_bits"] = random_bits
    table.update({name: _special(name) for name in _SPECIAL})
    table["softmax"] = _fused(table["softmax"], _softmax)
    table["log_softmax"] = _fused(table["log_softmax"], _log_softmax)
    generic_lse = table["logsumexp"]
    table["logsumexp"] = _fused(
        generic_lse, lambda x, axes, keepdim: _logsumexp(x, axes, keepdim) if axes else generic_lse(x, axes, keepdim)
    )
    table["sigmoid"] = _fused(table["sigmoid"], _sigmoid)
    table["rsqrt"] = _fused(table["rsqrt"], _rsqrt)
    return table


KERNELS: dict[str, Kernel] = build()
