"""The op table's entries for the sorting ops (sort, argsort, topk)."""

from __future__ import annotations

import numpy as np

import ember
from ember.testing.opinfo import (
    NUMERIC,
    Arg,
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
