"""NumPy kernels: core's generic table (`ember.xp_kernels.kernel_table(numpy)`) plus NumPy's own fast paths.

Kernels take and return NumPy arrays; core has already checked shapes, dtypes
and devices. Names are the op names of `ember.dispatch.OPS`. What is generic
over a NumPy-compatible array module lives in core (`ember.xp_kernels`), shared
with the CuPy backend; only what is NumPy's own is here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ember.xp_kernels import Kernel, array_out, kernel_table


def _erf() -> Kernel:
    """SciPy's erf when SciPy is installed (looked up once, on first use), else math.erf elementwise."""
    impl: list[Any] = []

    def erf(x: np.ndarray) -> np.ndarray:
        if not impl:
            try:
                from scipy.special import erf as sp_erf

                impl.append(sp_erf)
            except ImportError:
                impl.append(np.vectorize(math.erf, otypes=[np.float64]))
        return np.asarray(impl[0](x)).astype(x.dtype, copy=False)

    return erf


_BITS = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def _where() -> Kernel:
    generic = KERNELS["where"]

    def where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
        if type(b) is float and b == 0.0 and type(a) is np.ndarray and a.shape == cond.shape and a.flags.c_contiguous:
            bits = _BITS.get(a.dtype)
            # where(c, a, 0), e.g. relu's gradient: a branch-free bit mask (np.where is slow on random masks)
            if bits is not None:
                mask = cond.astype(bits)
                np.negative(mask, out=mask)
                return (a.view(bits) & mask).view(a.dtype)
        return generic(cond, a, b)

    return where


KERNELS: dict[str, Kernel] = kernel_table(np)
KERNELS["erf"] = array_out(_erf(), np.ndarray, np.asarray)
KERNELS["where"] = _where()
