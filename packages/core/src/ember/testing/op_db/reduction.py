"""The op table's entries for the reduction ops (sums, extremes, scans)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    INTS,
    NUMERIC,
    SUM_TOL,
    Arg,
    E,
    ErrorInput,
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


def _wide(x: np.ndarray) -> Any:
    """PyTorch accumulates float16/bfloat16 scans in float32 (then rounds each result once)."""
    return np.float32 if x.dtype.itemsize == 2 and x.dtype.kind in "fV" else None


def _ref_cumsum(x: np.ndarray, dim: int) -> np.ndarray:
    dt = int64_for_ints(x)
    if x.ndim == 0:
        return x.astype(dt)
    return np.asarray(np.cumsum(x, axis=dim, dtype=_wide(x) or dt)).astype(x.dtype if _wide(x) else dt)


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


# --------------------------------------------------------------------------- nan-aware reductions, moments
NAN_ROWS = [[1.0, np.nan, 2.0, -0.5], [np.nan, np.nan, np.nan, np.nan], [0.25, 1.5, -1.0, 0.75]]


def _nan_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = reduction_samples(op, make)
    grad = op.name == "nansum"  # nanmean of an all-nan line is nan: no finite differences there
    if make.dtype.kind == "f":
        out += [
            S(make.array(NAN_ROWS), dim=1, name="nan-rows", grad=grad),
            S(make.array(NAN_ROWS), name="nan-all", grad=grad),
            S(make.array(NAN_ROWS, layout="transposed"), dim=0, keepdim=True, name="nan-transposed", grad=grad),
        ]
    return out


@quiet
def _ref_nansum(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return np.asarray(np.nansum(x, axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0, dtype=int64_for_ints(x)))


@quiet
def _ref_nanmean(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> np.ndarray:
    out = np.nanmean(x.astype(np.float64), axis=np_axis(x, dim), keepdims=keepdim and x.ndim > 0)
    return np.asarray(out).astype(x.dtype)


def _ref_moment_mean(root: bool) -> Callable[..., Any]:
    var = _ref_var_like(root)

    @quiet
    def ref(x: np.ndarray, dim: Any = None, *, correction: int = 1, keepdim: bool = False) -> tuple[np.ndarray, np.ndarray]:
        return var(x, dim, correction=correction, keepdim=keepdim), _ref_mean(x, dim, keepdim)

    return ref


def _ref_aminmax(x: np.ndarray, *, dim: Any = None, keepdim: bool = False) -> tuple[np.ndarray, np.ndarray]:
    kw = {"axis": np_axis(x, dim), "keepdims": keepdim and x.ndim > 0}
    return np.asarray(np.min(x, **kw)).astype(x.dtype), np.asarray(np.max(x, **kw)).astype(x.dtype)


def _aminmax_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), dim=1, name="dim"),
        S(make(2, 3, 2), dim=-1, keepdim=True, name="dim-keepdim"),
        S(make(2, 3), keepdim=True, name="all-keepdim"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(), name="0-d"),
        S(make(0, 3), dim=1, name="empty-kept"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([[1.0, np.nan, 2.0], [3.0, 0.5, -1.0]]), dim=1, name="nan", grad=False))
    return out


def _aminmax_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "aminmax.*empty", make(0, 3)),
        E(RuntimeError, "aminmax.*empty", make(0, 3), dim=0),
        E(IndexError, "aminmax.*dim 2 is out of range", make(2, 3), dim=2),
    ]


def _nanmean_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [E(RuntimeError, "nanmean.*floating point.*int64", Arg(np.arange(3)))]


# --------------------------------------------------------------------------- scans


def _ref_cumprod(x: np.ndarray, dim: int) -> np.ndarray:
    dt = int64_for_ints(x)
    if x.ndim == 0:
        return x.astype(dt)
    return np.asarray(np.cumprod(x, axis=dim, dtype=_wide(x) or dt)).astype(x.dtype if _wide(x) else dt)


def _ref_cumext(largest: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
        a = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, dim, -1)
        vals, idx = a.copy(), np.zeros(a.shape, np.int64)
        for pos in np.ndindex(a.shape[:-1]):
            best, bi = None, 0
            for j, v in enumerate(a[pos]):
                if best is None or (v >= best if largest else v <= best) or (a.dtype.kind == "f" and np.isnan(v)):
                    if best is None or not (a.dtype.kind == "f" and np.isnan(best) and not np.isnan(v)):
                        best, bi = v, j
                vals[pos + (j,)], idx[pos + (j,)] = best, bi
        vals, idx = np.moveaxis(vals, -1, dim), np.moveaxis(idx, -1, dim)
        return vals.reshape(x.shape), idx.reshape(x.shape)

    return ref


@quiet
def _ref_logcumsumexp(x: np.ndarray, dim: int) -> np.ndarray:
    a = x.astype(np.float64)
    out = np.logaddexp.accumulate(a.reshape(1) if a.ndim == 0 else a, axis=dim)
    return out.reshape(x.shape).astype(x.dtype)


def _scan_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = _cumsum_samples(op, make)
    if op.name == "cumprod" and make.dtype.kind == "f":
        out += [
            S(make.array([[1.5, 0.0, 2.0, -0.5], [0.5, -1.0, 0.7, 1.2]]), 1, name="one-zero"),
            S(make.array([[1.5, 0.0, 2.0, 0.0], [0.0, 0.0, 0.7, 1.2]]), 1, name="two-zeros"),
        ]
    if op.name in ("cummax", "cummin"):
        out.append(S(make.discrete(3, 6, values=(0, 1, 2)), 1, name="ties-last-index"))
        if make.dtype.kind == "f":
            out.append(S(make.array([1.0, np.nan, 3.0, np.nan, 0.0]), 0, name="nan", grad=False))
    if op.name == "logcumsumexp":
        out += [
            S(make.array([[1000.0, 1000.5, 999.0], [-1000.0, -999.0, -1001.0]]), 1, name="large"),
            S(make.array([-np.inf, 0.0, -np.inf, 3.0]), 0, name="minus-inf", grad=False),
        ]
    return out


def _scan_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    out = [E(IndexError, f"{op.name}.*dim 2 is out of range", make(2, 3), 2)]
    if op.name == "logcumsumexp":
        out.append(E(NotImplementedError, "logcumsumexp.*int64", Arg(np.arange(3)), 0))
    return out


# --------------------------------------------------------------------------- norms


@quiet
def _ref_vector_norm(x: np.ndarray, p: Any, dim: Any, keepdim: bool) -> np.ndarray:
    a = np.abs(x.astype(np.float64))
    axis = np_axis(x, dim) if not isinstance(dim, list) else tuple(dim)
    kd = keepdim and x.ndim > 0
    if p == np.inf:
        out = np.max(a, axis=axis, keepdims=kd) if a.size else np.sum(a, axis=axis, keepdims=kd)
    elif p == -np.inf:
        out = np.min(a, axis=axis, keepdims=kd)
    elif p == 0:
        out = np.sum(a != 0, axis=axis, keepdims=kd).astype(np.float64)
    else:
        out = np.sum(a**p, axis=axis, keepdims=kd) ** (1.0 / p)
    return np.asarray(out).astype(x.dtype)


def _ref_norm(x: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> np.ndarray:
    return _ref_vector_norm(x, 2 if p == "fro" else p, dim, keepdim)


def _norm_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), name="fro"),
        S(make(2, 3), 2, 1, name="p2-dim"),
        S(make(2, 3, 2), 1, (0, 2), True, name="p1-dims-keepdim"),
        S(make(2, 3), 3, -1, name="p3"),
        S(make(2, 3), 0.5, 1, name="p-half"),
        S(make(2, 3), float("inf"), 1, name="inf"),
        S(make(2, 3), float("-inf"), name="minus-inf"),
        S(make(2, 3), 0, 1, name="p0", grad=False),
        S(make(3, 2, layout="transposed"), "fro", 0, name="transposed"),
        S(make(), name="0-d"),
        S(make(0, 3), 2, 1, name="empty-kept"),
        S(make(0, 3), name="empty-all"),
        S(
            make.array([[0.0, 0.0], [3.0, -4.0]]), 2, 1, name="zero-row",
            xfail={"gradgradcheck": "the 2-norm has no second derivative at 0 (the first is 0 there, as PyTorch's)"},
        ),
    ]


def _norm_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "norm: expected a floating point tensor.*int64", Arg(np.arange(3))),
        E(IndexError, "dim 2 is out of range", make(2, 3), 2, 2),
        E(RuntimeError, "norm: p must be a number, 'fro' or 'nuc'", make(2, 3), "bad"),
    ]


def _ref_dist(a: np.ndarray, b: np.ndarray, p: float = 2) -> np.ndarray:
    d = a.astype(np.float64) - b.astype(np.float64)
    return _ref_vector_norm(d, p, None, False).astype(np.result_type(a, b))


def _dist_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), make(2, 3), name="p2"),
        S(make(3), make(2, 3), 3, name="broadcast-p3"),
        S(make(2, 3), make(3), 1, name="p1"),
        S(make(2, 3), make(2, 3), float("inf"), name="inf"),
        S(make(3, 2, layout="transposed"), make(3, 2), name="transposed"),
        S(make(), make(), name="0-d"),
        S(make(0, 3), make(3), name="empty"),
    ]


def _ref_renorm(x: np.ndarray, p: float, dim: int, maxnorm: float) -> np.ndarray:
    axes = tuple(d for d in range(x.ndim) if d != dim % x.ndim)
    n = np.sum(np.abs(x.astype(np.float64)) ** p, axis=axes, keepdims=True) ** (1.0 / p)
    factor = np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)
    return (x * factor).astype(x.dtype)


def _renorm_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), 2, 0, 1.0, name="rows"),
        S(make(3, 4), 1, 1, 1.5, name="cols-p1"),
        S(make(2, 3, 2), 3, -1, 0.8, name="3-d"),
        S(make(4, 3, layout="transposed"), 2, 0, 1.0, name="transposed"),
        S(make(0, 3), 2, 1, 1.0, name="empty"),
        S(make(3, 4), 2, 0, 100.0, name="no-change"),
    ]


def _renorm_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "renorm: input needs at least 2 dimensions", make(3), 2, 0, 1.0),
        E(RuntimeError, "renorm: non-positive norm", make(2, 3), 0, 0, 1.0),
        E(IndexError, "renorm: dim 2 is out of range", make(2, 3), 2, 2, 1.0),
    ]


# --------------------------------------------------------------------------- diff, trace


def _ref_diff(x: np.ndarray, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> np.ndarray:
    kw = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not None}
    out = np.diff(x, n=n, axis=dim, **kw)
    if x.dtype != np.bool_:
        out = out.astype(np.result_type(x, *kw.values()))
    return np.asarray(out)


def _diff_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(5), name="1-d"),
        S(make(3, 4), 1, 0, name="dim-0"),
        S(make(3, 4), 2, -1, name="n-2"),
        S(make(3, 4), 1, 1, make(3, 1), make(3, 2), name="prepend-append"),
        S(make(3, 4), n=0, name="n-0"),
        S(make(3, 4), n=6, name="n-past-length"),
        S(make(4, 3, layout="transposed"), 1, 0, name="transposed"),
        S(make(0, 3), 1, 0, name="empty"),
    ]


def _diff_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "diff expects input to be at least one-dimensional", make()),
        E(RuntimeError, "diff expects prepend or append to be the same dimension", make(2, 3), 1, -1, make(3)),
        E(IndexError, "diff: dim 2 is out of range", make(2, 3), 1, 2),
    ]


def _ref_trace(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.trace(x, dtype=int64_for_ints(x)))


def _trace_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 3), name="square"),
        S(make(2, 4), name="wide"),
        S(make(4, 2), name="tall"),
        S(make(3, 3, layout="transposed"), name="transposed"),
        S(make(0, 3), name="empty"),
    ]


def _trace_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "trace: expected a matrix, but got tensor with dim 1", make(3)),
        E(RuntimeError, "trace: expected a matrix, but got tensor with dim 3", make(2, 2, 2)),
    ]


# --------------------------------------------------------------------------- counting


def _ref_bincount(x: np.ndarray, weights: Any = None, minlength: int = 0) -> np.ndarray:
    if weights is None:
        return np.bincount(x, minlength=minlength).astype(np.int64)
    dt = weights.dtype if weights.dtype in (np.float32, np.float64) else np.float64
    return np.bincount(x, weights=weights.astype(np.float64), minlength=minlength).astype(dt)


def _bincount_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    def ints(*values: int, layout: str = "contiguous") -> Arg:
        return Arg(np.asarray(values, dtype=make.dtype), layout, False)

    w = Arg(np.asarray([0.5, 1.0, 1.0, 2.0, -1.5], np.float32), grad=False)
    return [
        S(ints(0, 1, 1, 3, 7), name="counts"),
        S(ints(0, 1, 1, 3, 7), minlength=10, name="minlength"),
        S(ints(0, 1, 1, 3, 7), w, name="float32-weights"),
        S(ints(0, 1, 1, 3, 7), Arg(np.arange(5, dtype=np.int64), grad=False), name="int-weights"),
        S(ints(2, 0, 2, 5, 1, 1, 0, 3, layout="strided"), name="strided"),
        S(Arg(np.zeros(0, make.dtype), grad=False), name="empty"),
        S(Arg(np.zeros(0, make.dtype), grad=False), minlength=3, name="empty-minlength"),
    ]


def _bincount_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "bincount only supports 1-d non-negative integral inputs", Arg(np.array([-1, 2]))),
        E(RuntimeError, "bincount only supports 1-d non-negative integral inputs", Arg(np.array([[1, 2]]))),
        E(NotImplementedError, "bincount: not implemented for float32", make(3)),
        E(NotImplementedError, "bincount: not implemented for bool", Arg(np.array([True, False]), grad=False)),
        E(RuntimeError, "bincount: weights should have the same shape", Arg(np.array([1, 2])), make(3)),
    ]


def _ref_histc(x: np.ndarray, bins: int = 100, min: float = 0, max: float = 0) -> np.ndarray:  # noqa: A002
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    out = np.zeros(bins, np.float64)
    for v in x.ravel().astype(np.float64):
        if lo <= v <= hi:
            out[int(min_(np.floor((v - lo) * (bins / (hi - lo))), bins - 1))] += 1
    return out.astype(x.dtype)


def min_(a: float, b: float) -> float:
    return a if a < b else b


def _histc_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(20), name="default"),
        S(make(4, 5), 7, -1.0, 1.5, name="range"),
        S(make.array([1.0, 2.0, 1.0, 4.0]), 4, 0, 3, name="outside"),
        S(make.array([2.0, 2.0]), 4, name="constant"),
        S(make.array([0.5, np.nan, 1.5, 0.25, np.inf]), 3, 0.0, 2.0, name="nan-inf-ignored"),
        S(make(5, 4, layout="transposed"), 5, name="transposed"),
        S(make(), 3, name="0-d"),
        S(make(0), 3, name="empty"),
    ]


def _histc_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "histc: max must be larger than min", make(3), 4, 2.0, 1.0),
        E(RuntimeError, "histc: bins must be > 0", make(3), 0),
        E(RuntimeError, "histc: range of \\[nan, nan\\] is not finite", make.array([1.0, np.nan]), 4),
        E(RuntimeError, "histc: range of \\[1.0, inf\\] is not finite", make.array([1.0, np.inf]), 4),
        E(NotImplementedError, "histc: not implemented for int64", Arg(np.arange(3)), 4),
    ]


def _ref_histogram(x: np.ndarray, bins: Any, *, range: Any = None, weight: Any = None, density: bool = False) -> Any:  # noqa: A002
    if isinstance(bins, np.ndarray):
        edges = bins.astype(np.float64)
    else:
        # torch.histogram (as NumPy): `range` as given, else the data's (0 to 1 when empty); equal ends
        # widened by 0.5 (histc's rule, (0, 0) meaning the data's range and a widening by 1, is not this one)
        lo, hi = range if range is not None else ((x.min(), x.max()) if x.size else (0.0, 1.0))
        lo, hi = float(lo), float(hi)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1).astype(x.dtype).astype(np.float64)
    w = None if weight is None else weight.ravel().astype(np.float64)
    hist, _ = np.histogram(x.ravel().astype(np.float64), edges, weights=w, density=density)
    return hist.astype(x.dtype), edges.astype(x.dtype)


def _histogram_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(20), 6, name="bins"),
        S(make(4, 5), 4, range=(-1.0, 1.5), name="range"),
        S(make(4, 5), make.array([-2.0, -0.5, 0.0, 0.75, 2.0]), name="edges"),
        S(make(4, 5), 5, weight=make(4, 5, grad=False), name="weight"),
        S(make(4, 5), make.array([-2.0, -0.5, 0.0, 0.75, 2.0]), density=True, name="density-edges"),
        S(make(5, 4, layout="transposed"), 3, density=True, name="transposed-density"),
        S(make(), 3, name="0-d"),
        S(make(0), 3, range=(0.0, 1.0), name="empty"),
    ]


def _histogram_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(NotImplementedError, "histogram: not implemented for int64", Arg(np.arange(3)), 4),
        E(RuntimeError, "histogram: min should not exceed max", make(3), 4, range=(2.0, 1.0)),
        E(RuntimeError, "histogram: weight should have the same shape", make(3), 4, weight=make(2)),
        E(RuntimeError, "histogram: bins tensor should have one dimension", make(3), make(2, 2)),
        E(RuntimeError, "histogram: input tensor and bins tensors should have the same dtype, got float32 and float64",
          make(3), Arg(np.array([0.0, 1.0]), grad=False)),  # fmt: skip
    ]


_add_op(
    OpInfo("nansum", ember.nansum, _ref_nansum, _nan_samples, dtypes=NUMERIC + ("bool",), tol=SUM_TOL),
    OpInfo("nanmean", ember.nanmean, _ref_nanmean, _nan_samples, tol=SUM_TOL, error_inputs=_nanmean_errors),
    OpInfo("var_mean", ember.var_mean, _ref_moment_mean(False), _var_samples, tol=SUM_TOL),
    OpInfo("std_mean", ember.std_mean, _ref_moment_mean(True), _var_samples, tol=SUM_TOL),
    OpInfo("aminmax", ember.aminmax, _ref_aminmax, _aminmax_samples, dtypes=NUMERIC, error_inputs=_aminmax_errors),
    OpInfo("cumprod", ember.cumprod, _ref_cumprod, _scan_samples, dtypes=NUMERIC + ("bool",), tol=SUM_TOL,
           error_inputs=_scan_errors),
    OpInfo("cummax", ember.cummax, _ref_cumext(True), _scan_samples, dtypes=NUMERIC, error_inputs=_scan_errors),
    OpInfo("cummin", ember.cummin, _ref_cumext(False), _scan_samples, dtypes=NUMERIC, error_inputs=_scan_errors),
    OpInfo("logcumsumexp", ember.logcumsumexp, _ref_logcumsumexp, _scan_samples, tol=SUM_TOL, error_inputs=_scan_errors),
    OpInfo("norm", ember.norm, _ref_norm, _norm_samples, tol=SUM_TOL, error_inputs=_norm_errors),
    OpInfo("dist", ember.dist, _ref_dist, _dist_samples, tol=SUM_TOL),
    OpInfo("renorm", ember.renorm, _ref_renorm, _renorm_samples, tol=SUM_TOL, error_inputs=_renorm_errors),
    OpInfo("diff", ember.diff, _ref_diff, _diff_samples, dtypes=NUMERIC + ("bool",), error_inputs=_diff_errors),
    OpInfo("trace", ember.trace, _ref_trace, _trace_samples, dtypes=NUMERIC, tol=SUM_TOL, error_inputs=_trace_errors),
    OpInfo("bincount", ember.bincount, _ref_bincount, _bincount_samples, dtypes=INTS, differentiable=False,
           error_inputs=_bincount_errors),
    OpInfo("histc", ember.histc, _ref_histc, _histc_samples, differentiable=False, half=False,
           error_inputs=_histc_errors),
    OpInfo("histogram", ember.histogram, _ref_histogram, _histogram_samples, differentiable=False, half=False,
           tol=SUM_TOL, error_inputs=_histogram_errors),
)  # fmt: skip
