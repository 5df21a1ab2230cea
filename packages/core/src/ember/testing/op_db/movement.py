"""The op table's entries for the movement ops (shape and movement)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    MOVE_DTYPES,
    E,
    Maker,
    OpInfo,
    S,
    SampleInput,
)

INFOS: list[OpInfo] = []


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _ref_split(x: np.ndarray, split_size_or_sections: Any, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
    cuts = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, cuts, axis=dim))


def _ref_chunk(x: np.ndarray, chunks: int, dim: int = 0) -> tuple[np.ndarray, ...]:
    n = x.shape[dim]
    size = max(-(-n // chunks), 1)
    return _ref_split(x, size, dim)


def _ref_roll(x: np.ndarray, shifts: Any, dims: Any = None) -> np.ndarray:
    return np.roll(x, shifts, axis=dims)


def _ref_tri(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, diagonal: int = 0) -> np.ndarray:
        return np.asarray(fn(x, k=diagonal)).astype(x.dtype)

    return ref


def _reshape_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3, 2), (3, 4), name="2-d"),
        S(make(2, 3, 2), (-1,), name="flat"),
        S(make(2, 3, 2), (2, -1), name="infer"),
        S(make(), (1,), name="0-d-to-1"),
        S(make(1, 1), (), name="to-0-d"),
        S(make(0, 3), (3, 0), name="empty"),
        S(make(6), (2, 3), name="1-d"),
        S(make(3, 2, layout="transposed"), (3, 2, 1), name="transposed-new-dim"),
    ]
    if op.name == "reshape":
        out.append(S(make(3, 4, layout="transposed"), (12,), name="transposed-copy"))
    return out


def _permute_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), (2, 0, 1), name="3-d"),
        S(make(2, 3, 2), (-1, 0, 1), name="negative"),
        S(make(2, 3), (0, 1), name="identity"),
        S(make(), (), name="0-d"),
        S(make(0, 3), (1, 0), name="empty"),
        S(make(3, 2, layout="transposed"), (1, 0), name="transposed"),
    ]


def _transpose_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), 0, 2, name="3-d"),
        S(make(2, 3), -1, -2, name="negative"),
        S(make(4), 0, 0, name="1-d"),
        S(make(), 0, -1, name="0-d"),
        S(make(0, 3), 0, 1, name="empty"),
        S(make(3, 2, layout="transposed"), 0, 1, name="transposed"),
    ]


def _T_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3), name="2-d"),
        S(make(3, 2, layout="transposed"), name="transposed"),
        S(make(0, 2), name="empty"),
    ]
    if op.name == "T":
        out += [S(make(), name="0-d"), S(make(4), name="1-d")]
    else:
        out += [S(make(2, 3, 2), name="batched")]
    return out


def _squeeze_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(1, 3, 1, 2), name="all"),
        S(make(1, 3, 1, 2), 0, name="dim"),
        S(make(1, 3, 1, 2), 1, name="dim-not-1"),
        S(make(1, 3, 1, 2), (0, 2), name="dims"),
        S(make(), name="0-d"),
        S(make(1, 0), name="empty"),
        S(make(3, 1, layout="transposed"), name="transposed"),
    ]


def _unsqueeze_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 0, name="front"),
        S(make(2, 3), -1, name="back"),
        S(make(2, 3), 1, name="middle"),
        S(make(), 0, name="0-d"),
        S(make(0, 2), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
    ]


def _expand_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 1), (3, 4), name="2-d"),
        S(make(3, 1), (2, 3, 4), name="new-dim"),
        S(make(3, 1), (-1, 2), name="keep"),
        S(make(), (2, 2), name="0-d"),
        S(make(1, 3), (0, 3), name="to-empty"),
        S(make(1, 4, layout="strided"), (2, 4), name="strided"),
    ]


def _flatten_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 2), name="all"),
        S(make(2, 3, 2), 1, name="start"),
        S(make(2, 3, 2), 0, 1, name="start-end"),
        S(make(), name="0-d"),
        S(make(0, 3), name="empty"),
        S(make(3, 2, layout="transposed"), name="transposed"),
    ]


def _unflatten_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 6), 1, (2, 3), name="2-d"),
        S(make(6), 0, (-1, 2), name="infer"),
        S(make(2, 0), 1, (0, 5), name="empty"),
        S(make(4, 2, layout="transposed"), 0, (2, 2), name="transposed"),
    ]


def _cat_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S([make(2, 3), make(1, 3)], 0, name="dim-0"),
        S([make(2, 1), make(2, 3), make(2, 2)], 1, name="three"),
        S([make(2, 3), make(2, 3)], -1, name="negative-dim"),
        S([make(2, 3)], 0, name="single"),
        S([make(0, 3), make(2, 3)], 0, name="empty-part"),
        S([make(3, 2, layout="transposed"), make(1, 2)], 0, name="non-contiguous"),
    ]


def _stack_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S([make(2, 3), make(2, 3)], 0, name="dim-0"),
        S([make(2, 3), make(2, 3), make(2, 3)], -1, name="last"),
        S([make(2, 3), make(2, 3)], 1, name="middle"),
        S([make(), make()], 0, name="0-d"),
        S([make(0, 2), make(0, 2)], 1, name="empty"),
        S([make(3, 2, layout="transposed"), make(3, 2)], 0, name="non-contiguous"),
    ]


def _split_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    if op.name == "chunk":
        return [
            S(make(5, 2), 2, name="uneven"),
            S(make(5, 2), 3, name="three"),
            S(make(6), 4, name="fewer-than-asked"),
            S(make(2, 5), 2, 1, name="dim-1"),
            S(make(3, 2, layout="transposed"), 3, name="transposed"),
            S(make(0, 2), 2, name="empty"),
        ]
    return [
        S(make(5, 2), 2, name="size"),
        S(make(5, 2), [1, 4], name="sections"),
        S(make(2, 5), 2, 1, name="dim-1"),
        S(make(2, 5), [0, 2, 3], -1, name="empty-section"),
        S(make(0, 2), 2, name="empty"),
        S(make(3, 2, layout="transposed"), 1, name="transposed"),
    ]


def _flip_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), (0,), name="dim-0"),
        S(make(2, 3, 2), (0, 2), name="dims"),
        S(make(2, 3), (-1,), name="negative"),
        S(make(0, 3), (1,), name="empty"),
        S(make(3, 2, layout="transposed"), (0, 1), name="transposed"),
    ]


def _roll_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(5), 2, name="1-d"),
        S(make(2, 3), 1, 0, name="dim"),
        S(make(2, 3), (1, -1), (0, 1), name="dims"),
        S(make(2, 3), 4, name="flattened"),
        S(make(2, 3), -7, 1, name="large-negative"),
        S(make(0, 3), 1, 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, 1, name="transposed"),
    ]


def _tri_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), name="2-d"),
        S(make(3, 4), 1, name="above"),
        S(make(3, 4), -1, name="below"),
        S(make(2, 3, 3), name="batched"),
        S(make(0, 3), name="empty"),
        S(make(3, 3, layout="transposed"), name="transposed"),
    ]


# shape and movement
_add_op(
    OpInfo("reshape", ember.reshape, lambda x, s: x.reshape(s), _reshape_samples, dtypes=MOVE_DTYPES),
    OpInfo("view", lambda x, s: x.view(s), lambda x, s: x.reshape(s), _reshape_samples, dtypes=MOVE_DTYPES),
    OpInfo("permute", ember.permute, lambda x, d: np.transpose(x, d), _permute_samples, dtypes=MOVE_DTYPES),
    OpInfo(
        "transpose",
        ember.transpose,
        lambda x, a, b: np.swapaxes(x, a, b) if x.ndim else x.copy(),
        _transpose_samples,
        dtypes=MOVE_DTYPES,
    ),
    OpInfo("T", lambda x: x.T, lambda x: x.T, _T_samples, dtypes=MOVE_DTYPES),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2), _T_samples, dtypes=MOVE_DTYPES),
    OpInfo(
        "squeeze",
        ember.squeeze,
        lambda x, dim=None: (
            np.squeeze(x, tuple(d for d in ((dim,) if isinstance(dim, int) else dim) if x.shape[d] == 1))
            if dim is not None
            else np.squeeze(x)
        ),
        _squeeze_samples,
        dtypes=MOVE_DTYPES,
    ),
    OpInfo("unsqueeze", ember.unsqueeze, lambda x, d: np.expand_dims(x, d), _unsqueeze_samples, dtypes=MOVE_DTYPES),
    OpInfo(
        "expand",
        ember.expand,
        lambda x, shape: np.broadcast_to(
            x, tuple(x.shape[i - (len(shape) - x.ndim)] if s == -1 else s for i, s in enumerate(shape))
        ),
        _expand_samples,
        dtypes=MOVE_DTYPES,
    ),
    OpInfo(
        "flatten",
        ember.flatten,
        lambda x, start=0, end=-1: (
            x.reshape(1) if x.ndim == 0 else x.reshape(x.shape[: start % x.ndim] + (-1,) + x.shape[end % x.ndim + 1 :])
        ),
        _flatten_samples,
        dtypes=MOVE_DTYPES,
    ),
    OpInfo(
        "unflatten",
        ember.unflatten,
        lambda x, dim, sizes: x.reshape(x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :]),
        _unflatten_samples,
        dtypes=MOVE_DTYPES,
    ),
    OpInfo(
        "cat",
        ember.cat,
        lambda xs, dim=0: np.concatenate(xs, axis=dim),
        _cat_samples,
        dtypes=MOVE_DTYPES,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"cat: sizes of tensors must match.*\(2, 4\)", [make(2, 3), make(2, 4)], 0),
            E(RuntimeError, "cat.*non-empty", []),
            E(IndexError, "cat.*dim 2 is out of range", [make(2, 3)], 2),
        ],
    ),
    OpInfo("stack", ember.stack, lambda xs, dim=0: np.stack(xs, axis=dim), _stack_samples, dtypes=MOVE_DTYPES),
    OpInfo("split", ember.split, _ref_split, _split_samples, dtypes=MOVE_DTYPES),
    OpInfo("chunk", ember.chunk, _ref_chunk, _split_samples, dtypes=MOVE_DTYPES),
    OpInfo("flip", ember.flip, lambda x, dims: np.flip(x, dims), _flip_samples, dtypes=MOVE_DTYPES),
    OpInfo("roll", ember.roll, _ref_roll, _roll_samples, dtypes=MOVE_DTYPES),
    OpInfo("tril", ember.tril, _ref_tri(np.tril), _tri_samples, dtypes=MOVE_DTYPES),
    OpInfo("triu", ember.triu, _ref_tri(np.triu), _tri_samples, dtypes=MOVE_DTYPES),
)
