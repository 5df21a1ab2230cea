"""The op table's entries for the activation ops (softmax and log_softmax)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    SUM_TOL,
    Maker,
    OpInfo,
    S,
    SampleInput,
    as_float,
    np_axis,
    quiet,
)

INFOS: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _ref_softmax(log: bool) -> Callable[..., Any]:
    @quiet
    def ref(x: np.ndarray, dim: int, dtype: Any = None) -> np.ndarray:
        out_dt = np.dtype(dtype.numpy) if dtype is not None else as_float(x).dtype
        x64 = x.astype(np.float64)
        axis = np_axis(x, dim)
        m = np.max(x64, axis=axis, keepdims=True) if x64.size else np.zeros_like(x64)
        e = np.exp(x64 - m)
        s = np.sum(e, axis=axis, keepdims=True)
        out = (x64 - m - np.log(s)) if log else e / s
        return np.asarray(out).astype(out_dt)

    return ref


def _softmax_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3), 1, name="dim-1"),
        S(make(2, 3), 0, name="dim-0"),
        S(make(2, 3, 2), -1, name="3-d"),
        S(make(), 0, name="0-d"),
        S(make(0, 3), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
        S(make.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]]), 1, name="large"),
    ]
    if make.dtype == np.float32:
        out.append(S(make(2, 3), 1, dtype=ember.float64, name="dtype"))
    return out


_add_op(
    OpInfo("softmax", ember.softmax, _ref_softmax(False), _softmax_samples, tol=SUM_TOL),
    OpInfo("log_softmax", ember.log_softmax, _ref_softmax(True), _softmax_samples, tol=SUM_TOL),
)
