"""The op table's entries for the linalg ops (products)."""

from __future__ import annotations

import numpy as np

import ember
from ember.testing.opinfo import (
    FLOATS,
    SUM_TOL,
    E,
    ErrorInput,
    Maker,
    OpInfo,
    S,
    SampleInput,
)

INFOS: list[OpInfo] = []


def _matmul_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, r"matmul.*\(2, 3\).*\(4, 5\)", make(2, 3), make(4, 5)),
        E(RuntimeError, "matmul.*at least 1 dimension", make(), make(2, 2)),
        E(RuntimeError, "matmul.*broadcast", make(2, 2, 3), make(3, 3, 2)),
    ]


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _ref_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.matmul(a, b))


def _matmul_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4), make(4), name="1-d-1-d"),
        S(make(3, 4), make(4), name="2-d-1-d"),
        S(make(4), make(4, 2), name="1-d-2-d"),
        S(make(2, 3), make(3, 4), name="2-d"),
        S(make(2, 2, 3), make(2, 3, 2), name="batched"),
        S(make(2, 1, 2, 3), make(3, 3, 2), name="broadcast-batch"),
        S(make(3), make(2, 3, 2), name="1-d-batched"),
        S(make(2, 0), make(0, 3), name="empty-inner"),
        S(make(3, 2, layout="transposed"), make(2, 3, layout="transposed"), name="transposed"),
    ]


_add_op(
    OpInfo(
        "matmul",
        ember.matmul,
        _ref_matmul,
        _matmul_samples,
        dtypes=FLOATS + ("int64",),
        tol=SUM_TOL,
        error_inputs=_matmul_errors,
    ),
)
