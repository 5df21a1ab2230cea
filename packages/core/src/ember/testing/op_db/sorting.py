"""The op table's entries for the sorting ops (sort, argsort, topk, order statistics, searching, unique)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    NUMERIC,
    SUM_TOL,
    Arg,
    E,
    ErrorInput,
    Maker,
    OpInfo,
    S,
    SampleInput,
)

INFOS: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _ref_sort(x: np.ndarray, dim: int = -1, descending: bool = False) -> tuple[np.ndarray, np.ndarray]:
    idx = _ref_argsort(x, dim, descending)
    if x.ndim == 0:
        return x.copy(), idx
    return np.take_along_axis(x, idx, axis=dim), idx


def _ref_argsort(x: np.ndarray, dim: int = -1, descending: bool = False) -> np.ndarray:
    if x.ndim == 0:
        return np.asarray(0, dtype=np.int64)
    key = x
    if descending:  # stable descending: sort the negated keys ascending (exact for ints and floats)
        if x.dtype.kind == "f":  # nan counts as the largest
            key = np.where(np.isnan(x), -np.inf, -x.astype(np.float64))
        else:
            key = -x.astype(np.int64)
    return np.argsort(key, axis=dim, kind="stable").astype(np.int64)


def _ref_topk(x: np.ndarray, k: int, dim: int = -1, largest: bool = True) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim == 0:
        return x.copy(), np.asarray(0, dtype=np.int64)
    idx = _ref_argsort(x, dim, descending=largest)
    idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


def _sort_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(3, 4), name="last"),
        S(make(3, 4), 0, name="dim-0"),
        S(make(3, 4), -1, True, name="descending"),
        S(make(2, 3, 2), 1, name="3-d"),
        S(make(), name="0-d"),
        S(make(0, 3), name="empty"),
        S(make(4, 3, layout="transposed"), 0, True, name="transposed"),
        S(make.discrete(2, 6, values=(0, 1, 2)), 1, name="ties-stable"),
        S(make.discrete(2, 6, values=(0, 1, 2)), 1, True, name="ties-stable-descending"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([3.0, np.nan, -1.0, np.inf, 0.0]), name="nan-largest", grad=False))
        out.append(S(make.array([3.0, np.nan, -1.0, np.inf, 0.0]), 0, True, name="nan-first-descending", grad=False))
    return out


def _topk_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    rng = make.rng

    def distinct(*shape: int, layout: str = "contiguous") -> Arg:
        vals: np.ndarray = rng.permutation(int(np.prod(shape))).reshape(shape) - 3
        if make.dtype.kind == "f":
            vals = vals * 0.37 + rng.uniform(-0.1, 0.1, shape)
        return Arg(vals.astype(make.dtype), layout, make.dtype.kind == "f")

    return [
        S(distinct(3, 5), 2, name="last"),
        S(distinct(3, 5), 3, 0, name="dim-0"),
        S(distinct(3, 5), 2, -1, False, name="smallest"),
        S(distinct(3, 5), 0, name="k-0"),
        S(distinct(3, 5), 5, name="k-all"),
        S(distinct(4, 3, layout="transposed"), 2, 0, name="transposed"),
        S(distinct(), 1, name="0-d"),
        S(distinct(0, 3), 2, name="empty"),
    ]


_add_op(
    OpInfo("sort", ember.sort, _ref_sort, _sort_samples, dtypes=NUMERIC),
    OpInfo("argsort", ember.argsort, _ref_argsort, _sort_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo("topk", ember.topk, _ref_topk, _topk_samples, dtypes=NUMERIC),
)


def _ref_msort(x: np.ndarray) -> np.ndarray:
    return x.copy() if x.ndim == 0 else np.sort(x, axis=0, kind="stable")


def _msort_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(4, 3), name="2-d"),
        S(make(5), name="1-d"),
        S(make(), name="0-d"),
        S(make(0, 3), name="empty"),
        S(make(3, 4, layout="transposed"), name="transposed"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([[3.0, np.nan], [np.nan, -1.0], [0.5, 2.0]]), name="nan-last", grad=False))
    return out


# --------------------------------------------------------------------------- order statistics


def _ref_pick(x: np.ndarray, dim: int, keepdim: bool, position: Callable[[np.ndarray], int]) -> tuple[np.ndarray, np.ndarray]:
    """(values, indices) of the element at `position(line)` of each stably sorted line (nan last)."""
    a = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, dim, -1)
    vals = np.zeros(a.shape[:-1], x.dtype)
    idx = np.zeros(a.shape[:-1], np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        line = a[pos]
        order = np.argsort(line, kind="stable")
        i = order[position(line)]
        vals[pos], idx[pos] = line[i], i
    if keepdim and x.ndim:
        vals, idx = np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


def _isnan(line: np.ndarray) -> np.ndarray:
    return np.isnan(line) if line.dtype.kind == "f" else np.zeros(line.shape, bool)


def _median_position(ignore_nan: bool) -> Callable[[np.ndarray], int]:
    def position(line: np.ndarray) -> int:
        nans = int(_isnan(line).sum())
        if not ignore_nan:
            return len(line) - nans if nans else (len(line) - 1) // 2
        return max((len(line) - nans - 1) // 2, 0)

    return position


def _ref_median(ignore_nan: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            if x.size == 0:
                return np.asarray(np.nan if x.dtype.kind == "f" else np.iinfo(x.dtype).min, x.dtype)
            return _ref_pick(x.ravel(), 0, False, _median_position(ignore_nan))[0]
        return _ref_pick(x, dim, keepdim, _median_position(ignore_nan))

    return ref


def _median_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(3, 5), name="all-odd"),
        S(make(4, 2), name="all-even"),
        S(make(3, 5), 1, name="dim"),
        S(make(3, 4), 1, True, name="dim-even-keepdim"),
        S(make(2, 3, 4), -2, name="3-d"),
        S(make(4, 3, layout="transposed"), 0, name="transposed"),
        S(make(), name="0-d"),
        S(make(), 0, name="0-d-dim"),
        S(make(0, 3), 1, name="empty-kept"),
        S(make(0), name="empty-all", grad=False),
    ]
    if make.dtype.kind == "f":
        rows = [[4.0, 1.0, 3.0, 2.0], [1.0, np.nan, 2.0, np.nan], [0.5, -1.0, np.nan, 7.0]]
        out += [S(make.array(rows), 1, name="nan", grad=False), S(make.array(rows), name="nan-all", grad=False)]
    return out


def _median_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(IndexError, f"{op.name}\\(\\): Expected reduction dim 1 to have non-zero size", make(3, 0), 1),
        E(IndexError, f"{op.name}: dim 2 is out of range", make(3, 2), 2),
    ]


def _ref_kthvalue(x: np.ndarray, k: int, dim: int = -1, keepdim: bool = False) -> tuple[np.ndarray, np.ndarray]:
    return _ref_pick(x, dim, keepdim, lambda line: k - 1)


def _kthvalue_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(3, 5), 2, name="last"),
        S(make(3, 5), 1, 0, name="dim-0-min"),
        S(make(3, 5), 5, -1, True, name="max-keepdim"),
        S(make(4, 3, layout="transposed"), 3, 0, name="transposed"),
        S(make(), 1, name="0-d"),
        S(make(0, 3), 2, name="empty"),
        S(make.discrete(3, 6, values=(0, 1, 2)), 3, name="ties", grad=False),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([3.0, np.nan, 1.0]), 3, name="nan-largest", grad=False))
    return out


def _kthvalue_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "kthvalue\\(\\): selected number k=3 out of range for dimension 0", make(2), 3),
        E(RuntimeError, "kthvalue\\(\\): selected number k=0 out of range", make(2), 0),
        E(IndexError, "kthvalue: dim 1 is out of range", make(2), 1, 1),
    ]


def _ref_mode(x: np.ndarray, dim: int = -1, keepdim: bool = False) -> tuple[np.ndarray, np.ndarray]:
    a = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, dim, -1)
    vals = np.zeros(a.shape[:-1], x.dtype)
    idx = np.zeros(a.shape[:-1], np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        line = a[pos]
        uniq, counts = np.unique(line, return_counts=True)
        v = uniq[np.argmax(counts)]  # the first (smallest) of the most frequent
        vals[pos], idx[pos] = v, np.nonzero(line == v)[0][-1]
    if keepdim and x.ndim:
        vals, idx = np.expand_dims(vals, dim), np.expand_dims(idx, dim)
    return vals, idx


def _mode_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    return [
        S(d(3, 7, values=(0, 1, 2)), name="ties"),
        S(d(4, 5, values=(-1, 0, 1, 2)), 0, name="dim-0"),
        S(d(2, 3, 6, values=(0, 1)), 1, True, name="3-d-keepdim"),
        S(d(6, 4, values=(0, 1, 2), layout="transposed"), 0, name="transposed"),
        S(make(3, 4), name="distinct"),
        S(make(), name="0-d"),
        S(make(0, 3), name="empty"),
    ]


def _mode_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(IndexError, "mode\\(\\): Expected reduction dim 1 to have non-zero size", make(3, 0), 1),
        E(IndexError, "mode: dim 2 is out of range", make(3, 2), 2),
    ]


def _ref_quantile(ignore_nan: bool) -> Callable[..., Any]:
    fn = np.nanquantile if ignore_nan else np.quantile

    def ref(x: np.ndarray, q: Any, dim: Any = None, keepdim: bool = False, *, interpolation: str = "linear") -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            qq = np.asarray(q, np.float64)
            out = fn(x.astype(np.float64), qq, axis=None if x.ndim == 0 else dim, keepdims=keepdim, method=interpolation)  # type: ignore[call-overload]
        out = np.asarray(out)
        if keepdim and dim is None and x.ndim == 0:
            out = out.reshape(qq.shape)
        return out.astype(x.dtype)

    return ref


def _quantile_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    q2 = make.array([0.25, 0.5, 1.0], grad=False)
    out = [
        S(make(3, 5), 0.3, name="all"),
        S(make(3, 5), 0.3, 1, name="dim"),
        S(make(3, 4), q2, 1, True, name="q-tensor-keepdim"),
        S(make(2, 3, 4), q2, -2, name="3-d"),
        S(make(3, 4), q2, keepdim=True, name="all-keepdim"),
        S(make(4, 3, layout="transposed"), 0.75, 0, name="transposed"),
        S(make(3, 5), make.array(0.6, grad=False), 1, name="q-0-d"),
        S(make(), 0.5, name="0-d"),
        *[S(make(3, 6), 0.4, 1, interpolation=m, name=m) for m in ("lower", "higher", "midpoint", "nearest")],
        S(make(3, 5), 0.5, 1, interpolation="nearest", name="nearest-half-even"),
    ]
    if make.dtype.kind == "f":
        rows = [[4.0, 1.0, 3.0, 2.0], [1.0, np.nan, 2.0, np.nan], [np.nan, np.nan, np.nan, np.nan]]
        out += [S(make.array(rows), q2, 1, name="nan", grad=False), S(make.array(rows), 0.5, name="nan-all", grad=False)]
    return out


def _quantile_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    n = op.name
    return [
        E(RuntimeError, f"{n}\\(\\) input tensor must be either float or double dtype", Arg(np.arange(3)), 0.5),
        E(RuntimeError, f"{n}\\(\\) q must be in the range \\[0, 1\\] but got 1.5", make(3), 1.5),
        E(RuntimeError, f"{n}\\(\\) q tensor must be same dtype", make(3), Arg(np.array([0.5]), grad=False)),
        E(RuntimeError, f"{n}\\(\\) input tensor must be non-empty", make(0), 0.5),
        E(RuntimeError, f"{n}\\(\\) q must be a scalar or 1D tensor", make(3), make(2, 2, grad=False)),
        E(RuntimeError, f"{n}\\(\\) interpolation must be one of", make(3), 0.5, interpolation="cubic"),
    ]


# --------------------------------------------------------------------------- searching


def _np_searchsorted(seq: np.ndarray, v: np.ndarray, side: Any) -> np.ndarray:
    if seq.ndim == 1:
        return np.asarray(np.searchsorted(seq, v, side=side), np.int64)
    out = np.zeros(v.shape, np.int64)
    for pos in np.ndindex(v.shape[:-1]):
        out[pos] = np.searchsorted(seq[pos], v[pos], side=side)
    return out


def _ref_searchsorted(seq: np.ndarray, values: Any, *, out_int32: bool = False, right: bool = False,
                      side: Any = None, sorter: Any = None) -> np.ndarray:  # fmt: skip
    dt = np.result_type(seq, values) if isinstance(values, np.ndarray) else seq.dtype
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter, axis=-1)
    side = side or ("right" if right else "left")
    out = _np_searchsorted(seq.astype(dt), np.asarray(values).astype(dt), side)
    return out.astype(np.int32 if out_int32 else np.int64)


def _sorted(make: Maker, *shape: int) -> Arg:
    a = make(*shape)
    return Arg(np.sort(a.array, axis=-1), grad=False)


def _searchsorted_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    ties = Arg(np.sort(d(8, values=(0, 1, 2)).array), grad=False)
    out = [
        S(_sorted(make, 6), make(2, 3), name="1-d"),
        S(ties, d(5, values=(0, 1, 2, 3)), name="ties-left"),
        S(ties, d(5, values=(0, 1, 2, 3)), right=True, name="ties-right"),
        S(ties, d(5, values=(0, 1, 2, 3)), side="right", out_int32=True, name="side-int32"),
        S(_sorted(make, 3, 5), make(3, 4), name="batched"),
        S(_sorted(make, 4, 3), make(4, 2, layout="transposed"), right=True, name="batched-transposed"),
        S(_sorted(make, 2, 3, 4), make(2, 3, 1), name="batched-3-d"),
        S(_sorted(make, 5), make(), name="0-d"),
        S(_sorted(make, 5), make.scalar(1), name="python-scalar"),
        S(_sorted(make, 5), make(0), name="empty-values"),
        S(make.array([1, 3, 2, 0], grad=False), d(4, values=(0, 1, 2, 3)), sorter=make.index([3, 0, 2, 1]), name="sorter"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([-1.0, 0.0, 2.0], grad=False), make.array([np.nan, 0.0, 3.0]), name="nan-value"))
    return out


def _searchsorted_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, "searchsorted.*boundaries tensor \\[2, 3\\] and input value tensor \\[3, 1\\]",
          make(2, 3), make(3, 1)),  # fmt: skip
        E(RuntimeError, "searchsorted.*side can only be 'left' or 'right'", make(3), make(2), side="middle"),
        E(RuntimeError, "searchsorted.*side and right can't be set to opposites", make(3), make(2), side="left", right=True),
        E(RuntimeError, "searchsorted.*scalar only when boundaries tensor dimension is 1", make(2, 3), 1.0),
    ]


def _ref_bucketize(x: Any, boundaries: np.ndarray, *, out_int32: bool = False, right: bool = False) -> np.ndarray:
    dt = np.result_type(x, boundaries) if isinstance(x, np.ndarray) else boundaries.dtype
    out = _np_searchsorted(boundaries.astype(dt), np.asarray(x).astype(dt), "right" if right else "left")
    return np.asarray(out).astype(np.int32 if out_int32 else np.int64)


def _bucketize_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    ties = Arg(np.sort(d(6, values=(0, 1, 2)).array), grad=False)
    return [
        S(make(3, 4), _sorted(make, 5), name="2-d"),
        S(d(3, 4, values=(0, 1, 2, 3)), ties, name="ties"),
        S(d(3, 4, values=(0, 1, 2, 3)), ties, right=True, name="ties-right"),
        S(make(4, 3, layout="transposed"), _sorted(make, 5), out_int32=True, name="transposed-int32"),
        S(make(), _sorted(make, 5), name="0-d"),
        S(make(0, 2), _sorted(make, 5), name="empty"),
    ]


def _bucketize_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [E(RuntimeError, "bucketize: boundaries tensor must be 1 dimension, but got dim\\(2\\)", make(3), make(1, 3))]


def _ref_isin(elements: Any, test: Any, *, assume_unique: bool = False, invert: bool = False) -> np.ndarray:
    e, t = np.asarray(elements), np.asarray(test)
    return np.asarray(np.isin(e, t, invert=invert), bool).reshape(e.shape)


def _isin_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    out = [
        S(d(3, 4, values=(0, 1, 2, 3, 4)), d(3, values=(0, 2, 4)), name="2-d"),
        S(d(3, 4, values=(0, 1, 2, 3, 4)), d(2, 2, values=(1, 3)), invert=True, name="invert"),
        S(d(4, 3, values=(0, 1, 2), layout="transposed"), d(2, values=(1, 2)), assume_unique=True, name="transposed"),
        S(d(values=(0, 1)), d(3, values=(0, 1)), name="0-d"),
        S(d(3, values=(0, 1)), make.scalar(1), name="scalar-test"),
        S(d(0, 3, values=(0, 1)), d(3, values=(0, 1)), name="empty-elements"),
        S(d(3, values=(0, 1)), d(0, values=(0, 1)), name="empty-test"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([1.0, np.nan, 2.5]), make.array([np.nan, 2.5]), name="nan"))
    return out


# --------------------------------------------------------------------------- unique


def _ref_unique(consecutive: bool) -> Callable[..., Any]:
    def ref(x: np.ndarray, *args: Any, return_inverse: bool = False, return_counts: bool = False, dim: Any = None) -> Any:
        a = np.moveaxis(x, dim, 0) if dim is not None else x.ravel()
        rows = a.reshape(a.shape[0], -1) if dim is not None else a.reshape(-1, 1)
        keys = [tuple(r.tolist()) for r in rows]
        n = len(keys)
        nan_last = [tuple((v != v, 0 if v != v else v) for v in k) for k in keys]  # nan sorts last
        order = list(range(n)) if consecutive else sorted(range(n), key=lambda i: nan_last[i])
        groups: list[list[int]] = []
        for i in order:
            same = groups and all(k == k2 for k, k2 in zip(keys[i], keys[groups[-1][0]]))  # nan != nan
            if same:
                groups[-1].append(i)
            else:
                groups.append([i])
        firsts = [g[0] for g in groups]
        vals = rows[firsts] if n else rows[:0]
        if dim is not None:
            vals = np.moveaxis(vals.reshape((len(groups), *a.shape[1:])), 0, dim)
        else:
            vals = vals.reshape(-1)
        out: list[np.ndarray] = [np.asarray(vals)]
        if return_inverse:
            inv = np.zeros(n, np.int64)
            for gi, g in enumerate(groups):
                inv[g] = gi
            out.append(inv.reshape(x.shape) if dim is None else inv)
        if return_counts:
            out.append(np.asarray([len(g) for g in groups], np.int64))
        return out[0] if len(out) == 1 else tuple(out)

    return ref


def _unique_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    d = make.discrete
    out = [
        S(d(12, values=(0, 1, 2, 3)), name="1-d"),
        S(d(3, 4, values=(0, 1, 2)), return_inverse=True, return_counts=True, name="2-d-all"),
        S(d(5, 2, values=(0, 1)), dim=0, return_inverse=True, return_counts=True, name="dim-0"),
        S(d(2, 6, values=(0, 1)), dim=-1, return_counts=True, name="dim-last"),
        S(d(3, 2, 2, values=(0, 1)), dim=1, return_inverse=True, name="dim-3-d"),
        S(d(4, 3, values=(0, 1, 2), layout="transposed"), return_inverse=True, name="transposed"),
        S(d(values=(0, 1)), return_inverse=True, return_counts=True, name="0-d"),
        S(d(0, values=(0, 1)), return_inverse=True, return_counts=True, name="empty"),
    ]
    if make.dtype.kind == "f":
        out.append(S(make.array([1.0, np.nan, 1.0, np.nan]), return_counts=True, name="nan-distinct"))
    return out


def _unique_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [E(IndexError, f"{op.name}: dim 2 is out of range", make(2, 3), dim=2)]


_add_op(
    OpInfo("msort", ember.msort, _ref_msort, _msort_samples, dtypes=NUMERIC),
    OpInfo("median", ember.median, _ref_median(False), _median_samples, dtypes=NUMERIC, error_inputs=_median_errors),
    OpInfo("nanmedian", ember.nanmedian, _ref_median(True), _median_samples, dtypes=NUMERIC, error_inputs=_median_errors),
    OpInfo("kthvalue", ember.kthvalue, _ref_kthvalue, _kthvalue_samples, dtypes=NUMERIC, error_inputs=_kthvalue_errors),
    OpInfo("mode", ember.mode, _ref_mode, _mode_samples, dtypes=NUMERIC, error_inputs=_mode_errors),
    OpInfo("quantile", ember.quantile, _ref_quantile(False), _quantile_samples, half=False, tol=SUM_TOL,
           error_inputs=_quantile_errors),
    OpInfo("nanquantile", ember.nanquantile, _ref_quantile(True), _quantile_samples, half=False, tol=SUM_TOL,
           error_inputs=_quantile_errors),
    OpInfo("searchsorted", ember.searchsorted, _ref_searchsorted, _searchsorted_samples, dtypes=NUMERIC,
           differentiable=False, error_inputs=_searchsorted_errors),
    OpInfo("bucketize", ember.bucketize, _ref_bucketize, _bucketize_samples, dtypes=NUMERIC, differentiable=False,
           error_inputs=_bucketize_errors),
    OpInfo("isin", ember.isin, _ref_isin, _isin_samples, dtypes=NUMERIC, differentiable=False),
    OpInfo("unique", ember.unique, _ref_unique(False), _unique_samples, dtypes=NUMERIC + ("bool",),
           differentiable=False, error_inputs=_unique_errors),
    OpInfo("unique_consecutive", ember.unique_consecutive, _ref_unique(True), _unique_samples,
           dtypes=NUMERIC + ("bool",), differentiable=False, error_inputs=_unique_errors),
)  # fmt: skip
