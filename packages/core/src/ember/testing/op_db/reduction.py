"""The op table's entries for the reduction ops (sums, extremes, scans)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    NUMERIC,
    SUM_TOL,
    Maker,
    OpInfo,
    S,
    SampleInput,
    as_float,
    int64_for_ints,
    np_axis,
    quiet,
    reduction_samples,
)

INFOS: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


@quiet
def _ref_sum(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.asarray(np.sum(x, axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0, dtype=int64_for_ints(x)))


@quiet
def _ref_prod(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.asarray(np.prod(x, axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0, dtype=int64_for_ints(x)))


@quiet
def _ref_mean(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    out = np.mean(x.astype(np.float64), axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0)
    return np.asarray(out).astype(x.dtype)


def _ref_var_like(root: bool) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray, dim: Any = None, *, correction: int = 1, keepdim: bool = False) -> np.ndarray:
        out = np.var(x.astype(np.float64), axis=np_axis(x, dim), ddof=correction, keepdims=keepdim and x.ndim > 0)
        return np.asarray(np.sqrt(out) if root else out).astype(x.dtype)

    return ref


def _ref_extreme(fn: Callable[..., Any]) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(fn(x, axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0)).astype(x.dtype)

    return ref


def _ref_max_min(largest: bool) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return np.asarray(np.max(x) if largest else np.min(x))
        idx = _ref_arg(largest)(x, dim, keepdim=True)
        if x.ndim == 0:
            return (x.copy(), np.asarray(0, dtype=np.int64))
        vals = np.take_along_axis(x, idx, axis=dim)
        if not keepdim:
            vals, idx = np.squeeze(vals, dim), np.squeeze(idx, dim)
        return (np.asarray(vals), np.asarray(idx))

    return ref


def _ref_arg(largest: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        fn = np.argmax if largest else np.argmin
        if dim is None or x.ndim == 0:
            out = np.asarray(fn(x), dtype=np.int64)
            return out.reshape((1,) * x.ndim) if keepdim else out
        return np.asarray(fn(x, axis=dim, keepdims=keepdim), dtype=np.int64)

    return ref


def _ref_all_any(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
        return np.asarray(fn(x, axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0), dtype=bool)

    return ref


@quiet
def _ref_logsumexp(x: np.ndarray, dim: Any, keepdim: bool = False) -> np.ndarray:
    xf = as_float(x)
    x64 = xf.astype(np.float64)
    axis = np_axis(x, dim)
    if x64.size == 0:
        m = np.zeros(np.sum(x64, axis=axis, keepdims=True).shape)
    else:
        m = np.max(x64, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x64 - m), axis=axis, keepdims=True)) + m
    if not keepdim or x.ndim == 0:
        out = out.reshape(np.sum(x64, axis=axis).shape)
    return np.asarray(out).astype(xf.dtype)


def _ref_cumsum(x: np.ndarray, dim: int) -> np.ndarray:
    dt = int64_for_ints(x)
    if x.ndim == 0:
        return x.astype(dt)
    return np.asarray(np.cumsum(x, axis=dim, dtype=dt))


def _sum_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return reduction_samples(op, make)


_PROD_TWO_ZEROS = (
    "prod's derivative (core's _prod_vjp) is not differentiable where two or more elements are 0: "
    "the second derivative there comes out 0 instead of the product of the other elements"
)


def _prod_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = reduction_samples(op, make)
    if make.dtype.kind == "f":
        out += [
            S(make.array([[1.5, 0.0, 2.0], [0.5, -1.0, 0.7]]), dim=1, name="one-zero"),
            S(
                make.array([[1.5, 0.0, 2.0], [0.5, 0.0, 0.7]]),
                name="two-zeros",
                xfail={"gradgradcheck": _PROD_TWO_ZEROS},
            ),
        ]
    return out


def _var_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), dim=1, name="dim"),
        S(make(2, 3, 2), dim=(0, 2), keepdim=True, name="dims-keepdim"),
        S(make(2, 3, 2), dim=-1, correction=0, name="correction-0"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(3, 1), dim=1, name="single-element", grad=False),
        S(make(0, 3), dim=1, name="empty-kept", grad=False),
    ]


def _extreme_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = reduction_samples(op, make, empty=False)
    out.append(S(make(0, 3), dim=1, name="empty-kept"))
    if make.dtype.kind == "f":
        out.append(S(make.array([[1.0, np.nan, 2.0], [3.0, 0.5, -1.0]]), dim=1, name="nan", grad=False))
    return out


def _max_dim_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), 1, name="dim"),
        S(make(2, 3, 2), -1, True, name="dim-keepdim"),
        S(make(3, 2, layout="transposed"), 0, name="transposed"),
        S(make(), name="0-d"),
        S(make(), 0, name="0-d-dim"),
        S(make(0, 3), 1, name="empty-kept"),
    ]
    if make.dtype.kind != "f":
        out.append(S(make.discrete(3, 4, values=(0, 1)), 1, name="ties-first-index"))
    return out


def _arg_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), name="flat"),
        S(make(2, 3, 2), dim=1, name="dim"),
        S(make(2, 3, 2), dim=-1, keepdim=True, name="dim-keepdim"),
        S(make(2, 3), keepdim=True, name="flat-keepdim"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(), name="0-d"),
        S(make.discrete(3, 4, values=(0, 1)), dim=1, name="ties-first-index"),
    ]


def _all_any_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(2, 3, 2, values=(0, 1)), name="all-dims"),
        S(d(2, 3, 2, values=(0, 1)), dim=1, name="dim"),
        S(d(2, 3, 2, values=(0, 1)), dim=(0, 2), keepdim=True, name="dims-keepdim"),
        S(make.array(np.ones((2, 3))), dim=1, name="all-true"),
        S(make.array(np.zeros((2, 3))), name="all-false"),
        S(d(values=(0, 1)), name="0-d"),
        S(make.array(np.zeros((0, 3))), name="empty"),
        S(make.array(np.zeros((0, 3))), dim=0, name="empty-reduced"),
        S(d(3, 2, values=(0, 1), layout="transposed"), dim=0, name="transposed"),
    ]


def _logsumexp_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), 1, name="dim"),
        S(make(2, 3, 2), (0, 2), name="dims"),
        S(make(2, 3, 2), -1, True, name="keepdim"),
        S(make(), 0, name="0-d"),
        S(make(0, 3), 1, name="empty-kept"),
        S(make(3, 2, layout="transposed"), 0, name="transposed"),
    ]
    if make.dtype.kind == "f":
        out += [
            S(make.array([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]]), 1, name="large"),
            S(make.array([[-np.inf, -np.inf], [0.0, -np.inf]]), 1, name="minus-inf", grad=False),
        ]
    return out


def _cumsum_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 0, name="dim-0"),
        S(make(2, 3), -1, name="dim-last"),
        S(make(2, 3, 2), 1, name="3-d"),
        S(make(), 0, name="0-d"),
        S(make(0, 3), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
    ]


# reductions
_add_op(
    OpInfo("sum", ember.sum, _ref_sum, _sum_samples, dtypes=NUMERIC + ("bool",), tol=SUM_TOL),
    OpInfo("mean", ember.mean, _ref_mean, _sum_samples, tol=SUM_TOL),
    OpInfo("var", ember.var, _ref_var_like(False), _var_samples, tol=SUM_TOL),
    OpInfo("std", ember.std, _ref_var_like(True), _var_samples, tol=SUM_TOL),
    OpInfo(
        "prod",
        ember.prod,
        _ref_prod,
        _prod_samples,
        dtypes=NUMERIC + ("bool",),
        tol=SUM_TOL,
    ),
    OpInfo("amax", ember.amax, _ref_extreme(np.max), _extreme_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("amin", ember.amin, _ref_extreme(np.min), _extreme_samples, dtypes=NUMERIC + ("bool",)),
    OpInfo("max", ember.max, _ref_max_min(True), _max_dim_samples, dtypes=NUMERIC),
    OpInfo("min", ember.min, _ref_max_min(False), _max_dim_samples, dtypes=NUMERIC),
    OpInfo("argmax", ember.argmax, _ref_arg(True), _arg_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo("argmin", ember.argmin, _ref_arg(False), _arg_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo(
        "all",
        ember.all,
        _ref_all_any(np.all),
        _all_any_samples,
        dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
    OpInfo(
        "any",
        ember.any,
        _ref_all_any(np.any),
        _all_any_samples,
        dtypes=("bool", "float32", "int64"),
        differentiable=False,
    ),
    OpInfo("logsumexp", ember.logsumexp, _ref_logsumexp, _logsumexp_samples, dtypes=NUMERIC, tol=SUM_TOL),
    OpInfo("cumsum", ember.cumsum, _ref_cumsum, _cumsum_samples, dtypes=NUMERIC + ("bool",), tol=SUM_TOL),
)
