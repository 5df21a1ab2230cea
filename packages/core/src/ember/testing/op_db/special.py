"""The op table's entries for the special functions (`ember.ops.special`): references from SciPy."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
from ember.ops.special import i1
from ember.testing.opinfo import (
    NUMERIC,
    E,
    ErrorInput,
    Maker,
    OpInfo,
    S,
    SampleInput,
    as_float,
    quiet,
    unary_float,
    unary_samples,
)

INFOS: list[OpInfo] = []


def _scipy(name: str) -> Callable[..., Any]:
    """scipy.special.<name>, looked up when a reference runs (the kit skips those tests without SciPy)."""

    def fn(*args: Any) -> Any:
        try:
            import scipy.special
        except ImportError:
            pytest.skip("the reference for this op needs SciPy")
        return getattr(scipy.special, name)(*args)

    return fn


def _special_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    """Samples plus the op's own special values (`op.name` picks them)."""
    out = unary_samples(op, make)
    if make.dtype.kind == "f":
        vals = _SPECIAL_VALUES[op.name]
        out.append(S(make.array(vals), name="special", grad=False))
    return out


_SPECIAL_VALUES = {
    "erfc": [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5.0, 9.0, -5.0],
    "erfinv": [0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.nan, 0.999, -0.9999, 1e-6],
    "lgamma": [0.0, 1.0, 2.0, -1.0, -2.5, np.inf, -np.inf, np.nan, 30.0, 1e-6],
    "digamma": [0.0, -0.0, 1.0, -1.0, -2.5, np.inf, np.nan, 30.0, 1.4616321449683622, 1e-3],
    "i0": [0.0, -0.0, 1.0, -1.0, 10.0, -30.0, 60.0, np.nan, np.inf, -np.inf],
    "i1": [0.0, -0.0, 1.0, -1.0, 10.0, -30.0, 60.0, np.nan, np.inf, -np.inf],
}


@quiet
def _ref_digamma(x: np.ndarray) -> np.ndarray:
    x = as_float(x)
    out = np.asarray(_scipy("digamma")(x.astype(np.float64)))
    out = np.where(x == 0, np.copysign(np.inf, -x), out)  # PyTorch: -inf at +0, +inf at -0
    return out.astype(x.dtype)


def _bessel(name: str) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray) -> np.ndarray:
        x = as_float(x)
        out = np.asarray(_scipy(name)(x))
        return np.where(np.isinf(x), np.nan, out).astype(x.dtype)  # PyTorch: nan at +-inf

    return ref


@quiet
def _ref_lgamma(x: np.ndarray) -> np.ndarray:
    x = as_float(x)
    out = np.asarray(_scipy("gammaln")(x))
    return np.where(x == -np.inf, np.inf, out).astype(x.dtype)  # PyTorch: inf at -inf (SciPy: -inf)


@quiet
def _ref_polygamma(n: int, x: np.ndarray) -> np.ndarray:
    x = as_float(x)
    out = np.asarray(_scipy("polygamma")(n, x.astype(np.float64)))
    pole = (x <= 0) & (x == np.floor(x))  # PyTorch: (-1)**(n+1) inf at 0, -0 and the negative integers
    return np.where(pole, (-1.0) ** (n + 1) * np.inf, out).astype(x.dtype)


@quiet
def _ref_mvlgamma(x: np.ndarray, p: int) -> np.ndarray:
    x = as_float(x)
    gammaln = _scipy("gammaln")
    out = sum(gammaln(x.astype(np.float64) - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
    return np.asarray(out).astype(x.dtype)


def _polygamma_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(1, make(2, 3), name="trigamma"),
        S(2, make(5), name="n=2"),
        S(3, make(), name="0-d"),
        S(0, make(2, 2), name="n=0"),
        S(1, make(0, 3), name="empty"),
        S(2, make(3, 2, layout="transposed"), name="transposed"),
        S(1, make.array([-0.5, -1.5, -2.3, -3.7]), name="negative"),
        S(3, make.array([-20.3, -7.6, -11.2]), name="far-negative"),
    ]
    if make.dtype.kind == "f":
        out.append(S(1, make.array([30.0, 1e-3, np.nan, 0.0, -2.0]), name="special", grad=False))
        out.append(S(2, make.array([-0.0, -3.0, 0.5, -np.inf]), name="poles", grad=False))
    return out


def _mvlgamma_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 1, name="p=1"),
        S(make(2, 3), p=2, name="p=2"),
        S(make(), 3, name="0-d"),
        S(make(0, 2), 2, name="empty"),
        S(make(3, 2, layout="transposed"), 4, name="transposed"),
    ]


def _polygamma_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [E(RuntimeError, "polygamma: n must be a non-negative integer", -1, make(2))]


def _mvlgamma_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [E(RuntimeError, "mvlgamma: p has to be greater than or equal to 1", make(2), 0)]


_ANY = NUMERIC + ("bool",)
# float32 kernels are series and rational approximations: a little looser than one rounding
_TOL32 = {"float32": (2e-5, 1e-6)}

INFOS += [
    OpInfo("erfc", ember.erfc, unary_float(_scipy("erfc")), _special_samples, dtypes=_ANY, domain=(-2.0, 3.0)),
    OpInfo(
        "erfinv",
        ember.erfinv,
        unary_float(_scipy("erfinv")),
        _special_samples,
        dtypes=_ANY,
        domain=(-0.95, 0.95),
        int_domain=(-1, 2),
        tol=_TOL32,
    ),  # fmt: skip
    OpInfo(
        "lgamma", ember.lgamma, _ref_lgamma, _special_samples, dtypes=_ANY, domain=(0.2, 5.0), tol=_TOL32
    ),  # fmt: skip
    OpInfo("digamma", ember.digamma, _ref_digamma, _special_samples, dtypes=_ANY, domain=(0.2, 5.0), tol=_TOL32),
    OpInfo("i0", ember.i0, _bessel("i0"), _special_samples, dtypes=_ANY, domain=(-4.0, 4.0), tol=_TOL32),
    OpInfo("i1", i1, _bessel("i1"), _special_samples, dtypes=_ANY, domain=(-4.0, 4.0), tol=_TOL32),
    OpInfo(
        "polygamma",
        ember.polygamma,
        _ref_polygamma,
        _polygamma_samples,
        dtypes=NUMERIC,
        domain=(0.3, 4.0),
        int_domain=(1, 6),
        tol={"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)},
        error_inputs=_polygamma_errors,
    ),  # fmt: skip
    OpInfo(
        "mvlgamma",
        ember.mvlgamma,
        _ref_mvlgamma,
        _mvlgamma_samples,
        dtypes=NUMERIC,
        domain=(2.0, 5.0),
        int_domain=(2, 7),
        tol=_TOL32,
        error_inputs=_mvlgamma_errors,
    ),  # fmt: skip
]
