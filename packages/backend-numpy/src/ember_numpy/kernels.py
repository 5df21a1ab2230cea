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

from ember.xp_kernels import FLOAT_BITS, Kernel, array_out, kernel_table, where_zero_bits


def _lgamma(x: float) -> float:
    """math.lgamma, with PyTorch's values where math raises: inf at the poles and at -inf."""
    try:
        return math.lgamma(x)
    except ValueError:
        return math.inf


def _erfinv(x: np.ndarray) -> np.ndarray:
    """Giles' single-precision approximation ("Approximating the erfinv function", 2010), then two
    Newton steps on erf (math.erf) for full double precision; +-inf at +-1, nan outside [-1, 1]."""
    y = x.astype(np.float64)
    w = -np.log1p(-y * y)
    small = w < 5
    ws = np.where(small, w - 2.5, np.sqrt(np.where(small, 5.0, w)) - 3)
    p = np.where(small, 2.81022636e-08, -0.000200214257)
    for cs, cl in (
        (3.43273939e-07, 0.000100950558), (-3.5233877e-06, 0.00134934322), (-4.39150654e-06, -0.00367342844),
        (0.00021858087, 0.00573950773), (-0.00125372503, -0.0076224613), (-0.00417768164, 0.00943887047),
        (0.246640727, 1.00167406), (1.50140941, 2.83297682),
    ):  # fmt: skip
        p = p * ws + np.where(small, cs, cl)
    out = p * y
    erf = np.vectorize(math.erf, otypes=[np.float64])
    for _ in range(2):
        inner = np.isfinite(out) & (np.abs(y) < 1)
        step = (erf(np.where(inner, out, 0.0)) - y) / (2 / math.sqrt(math.pi) * np.exp(-out * out))
        out = np.where(inner, out - step, out)
    out = np.where(np.abs(y) == 1, np.copysign(np.inf, y), out)
    return np.where(np.abs(y) > 1, np.nan, out)


#: SciPy's name and a pure-NumPy fallback for each special function NumPy lacks
_SPECIAL: dict[str, tuple[str, Kernel]] = {
    "erf": ("erf", np.vectorize(math.erf, otypes=[np.float64])),
    "erfc": ("erfc", np.vectorize(math.erfc, otypes=[np.float64])),
    "lgamma": ("gammaln", np.vectorize(_lgamma, otypes=[np.float64])),
    "erfinv": ("erfinv", _erfinv),
}


def _special(name: str) -> Kernel:
    """SciPy's function when SciPy is installed (looked up once, on first use), else the pure-NumPy one."""
    scipy_name, fallback = _SPECIAL[name]
    impl: list[Any] = []

    def kernel(x: np.ndarray) -> np.ndarray:
        if not impl:
            try:
                import scipy.special

                impl.append(getattr(scipy.special, scipy_name))
            except ImportError:
                impl.append(fallback)
        out = np.asarray(impl[0](x) if x.size else np.empty_like(x))  # never the input itself
        if name == "lgamma":  # PyTorch (and math.lgamma): inf at -inf; SciPy's gammaln says -inf
            out = np.where(x == -np.inf, np.inf, out)
        return out.astype(x.dtype, copy=False)

    kernel.__name__ = name
    return kernel


def _where() -> Kernel:
    generic = KERNELS["where"]

    def where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
        if type(b) is float and b == 0.0 and type(a) is np.ndarray and a.shape == cond.shape and a.flags.c_contiguous:
            # where(c, a, 0), e.g. relu's gradient, on the bits
            if a.dtype in FLOAT_BITS and cond.dtype == np.bool_:
                return where_zero_bits(np, cond, a).view(a.dtype)
        return generic(cond, a, b)

    return where


KERNELS: dict[str, Kernel] = kernel_table(np)
for _name in _SPECIAL:
    KERNELS[_name] = array_out(_special(_name), np.ndarray, np.asarray)
KERNELS["where"] = _where()
