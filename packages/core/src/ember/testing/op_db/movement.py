"""The op table's entries for the movement ops (shape and movement)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    MOVE_DTYPES,
    Arg,
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
    if n == 0:  # PyTorch: `chunks` empty pieces of an empty dim (torch.chunk(torch.arange(0), 2) has 2)
        return tuple(np.split(x, [0] * (chunks - 1), axis=dim))
    return _ref_split(x, -(-n // chunks), dim)


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


# -- splitting, joining, selecting, repeating, grids and diagonals ---------------------------------


def _ref_tensor_split(x: np.ndarray, spec: Any, dim: int = 0) -> tuple[np.ndarray, ...]:
    if isinstance(spec, np.ndarray):
        spec = int(spec) if spec.ndim == 0 else spec.tolist()
    n = x.shape[dim]
    if isinstance(spec, int):
        q, r = divmod(n, spec)
        cuts = [i * q + min(i, r) for i in range(spec + 1)]
        bounds = list(zip(cuts[:-1], cuts[1:]))
    else:
        bounds = list(zip([0, *spec], [*spec, None]))
    return tuple(x[(slice(None),) * (dim % x.ndim) + (slice(a, b),)] for a, b in bounds)


def _tensor_split_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(7, 2), 3, name="sections"),
        S(make(2, 7), [2, 5], 1, name="indices"),
        S(make(10), [-3, 20], name="negative-and-past-end"),
        S(make(10), [7, 3], name="decreasing"),
        S(make(2, 6), Arg(np.array(4)), -1, name="0-d-tensor-sections"),
        S(make(2, 6), Arg(np.array([1, 3])), 1, name="tensor-indices"),
        S(make(0, 3), 2, name="empty"),
        S(make(3, 4, layout="transposed"), 2, 1, name="transposed"),
    ]


def _numpy_split(fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(x: np.ndarray, spec: Any) -> tuple[np.ndarray, ...]:
        return tuple(fn(x, spec))

    return ref


def _hsplit_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    dims = {"hsplit": 1, "vsplit": 2, "dsplit": 3}[op.name]
    shape = [(4,), (2, 4), (2, 2, 4)][dims - 1] if op.name == "hsplit" else [(4, 2), (2, 3, 4)][dims - 2]
    if op.name == "hsplit":
        return [
            S(make(6), 3, name="1-d"),
            S(make(2, 4), 2, name="2-d"),
            S(make(2, 4, 3), [1, 3], name="indices"),
            S(make(2, 0), [0], name="empty"),
            S(make(4, 4, layout="transposed"), 2, name="transposed"),
        ]
    return [
        S(make(*shape), 2, name="sections"),
        S(make(*shape), [1, 3], name="indices"),
        S(make(*((0,) + shape[1:])), [1], name="empty"),
        S(make(*(shape[:-1] + (4,)), layout="strided"), 2, name="strided"),
        S(make(4, 4, 4, layout="transposed"), 4, name="transposed"),
    ]


def _split_errors(op: OpInfo, make: Maker) -> list[Any]:
    need = {"hsplit": 1, "vsplit": 2, "dsplit": 3}[op.name]
    return [
        E(RuntimeError, f"{op.name} requires a tensor with at least {need} dimension", make(*([2] * (need - 1))), 2),
        E(RuntimeError, f"{op.name} attempted to split along dimension .* not divisible", make(*([5] * need)), 3),
    ]


def _ref_atleast(n: int) -> Callable[..., Any]:
    fn = {1: np.atleast_1d, 2: np.atleast_2d, 3: np.atleast_3d}[n]

    def ref(*xs: Any) -> Any:
        if len(xs) == 1 and isinstance(xs[0], (list, tuple)):
            return tuple(fn(x) for x in xs[0])
        out = tuple(fn(x) for x in xs)
        return out[0] if len(xs) == 1 else out

    return ref


def _atleast_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(), name="0-d"),
        S(make(3), name="1-d"),
        S(make(2, 3), name="2-d"),
        S(make(2, 3, 2), name="3-d"),
        S(make(), make(4), make(0, 2), name="several"),
        S([make(2), make(3, 2, layout="transposed")], name="list"),
    ]


def _stack_like_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S([make(3), make(3)], name="1-d"),
        S([make(2, 3), make(2, 3)], name="2-d"),
        S([make(), make()], name="0-d"),
        S([make(2, 2, 3), make(2, 2, 3, layout="strided")], name="3-d-strided"),
        S([make(0, 2), make(0, 2)], name="empty"),
        S([make(3, 2, layout="transposed"), make(3, 2)], name="transposed"),
    ]


def _ref_hstack(xs: list[np.ndarray]) -> np.ndarray:
    return np.hstack(xs)


def _ref_column_stack(xs: list[np.ndarray]) -> np.ndarray:
    return np.column_stack(xs)


def _column_stack_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S([make(3), make(3)], name="1-d"),
        S([make(3), make(3, 2)], name="mixed"),
        S([make(), make()], name="0-d"),
        S([make(0), make(0, 2)], name="empty"),
        S([make(3, 2, layout="transposed"), make(3)], name="transposed"),
    ]


def _narrow_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(5, 3), 0, 1, 3, name="dim-0"),
        S(make(5, 3), -1, 1, 2, name="negative-dim"),
        S(make(5, 3), 0, -2, 2, name="negative-start"),
        S(make(5, 3), 0, Arg(np.array(2)), 2, name="tensor-start"),
        S(make(5, 3), 1, 3, 0, name="empty"),
        S(make(3, 4, layout="transposed"), 1, 1, 2, name="transposed"),
    ]


def _ref_narrow(x: np.ndarray, dim: int, start: Any, length: int) -> np.ndarray:
    start = int(start) % x.shape[dim] if int(start) < 0 else int(start)
    return x[(slice(None),) * (dim % x.ndim) + (slice(start, start + length),)]


def _narrow_errors(op: OpInfo, make: Maker) -> list[Any]:
    return [
        E(RuntimeError, r"narrow: start \(3\) \+ length \(3\) exceeds dimension size \(5\)", make(5), 0, 3, 3),
        E(RuntimeError, "narrow.* 0-dim", make(), 0, 0, 1),
        E(IndexError, "narrow: dim 2 is out of range", make(2, 2), 2, 0, 1),
    ]


def _select_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4, 3), 0, 2, name="dim-0"),
        S(make(4, 3), 1, -1, name="negative-index"),
        S(make(2, 3, 2), -2, 1, name="negative-dim"),
        S(make(3, 0), 0, 1, name="empty"),
        S(make(3, 4, layout="transposed"), 1, 0, name="transposed"),
    ]


def _select_errors(op: OpInfo, make: Maker) -> list[Any]:
    return [
        E(IndexError, r"select\(\): index 4 out of range", make(4, 3), 0, 4),
        E(IndexError, r"select\(\) cannot be applied to a 0-dim tensor", make(), 0, 0),
    ]


def _flip_lr_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3), name="2-d"),
        S(make(2, 3, 2), name="3-d"),
        S(make(0, 3), name="empty"),
        S(make(3, 2, layout="transposed"), name="transposed"),
    ]
    if op.name == "flipud":
        out.append(S(make(4), name="1-d"))
    return out


def _rot90_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), name="default"),
        S(make(2, 3), 2, name="k-2"),
        S(make(2, 3), 3, name="k-3"),
        S(make(2, 3), -1, name="k-negative"),
        S(make(2, 3), 4, name="k-4"),
        S(make(2, 3, 4), 1, (2, 0), name="dims"),
        S(make(0, 3), 1, name="empty"),
        S(make(3, 2, layout="transposed"), 1, (-1, -2), name="transposed"),
    ]


def _rot90_errors(op: OpInfo, make: Maker) -> list[Any]:
    return [
        E(RuntimeError, "rot90: expected total rotation dims == 2", make(2, 2), 1, (0,)),
        E(RuntimeError, "rot90: expected total dims >= 2", make(2), 1),
        E(RuntimeError, "rot90: expected rotation dims to be different", make(2, 2), 1, (0, -2)),
    ]


def _tile_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), (2, 1), name="2-d"),
        S(make(3), (2, 2), name="more-reps"),
        S(make(2, 3), (2,), name="fewer-reps"),
        S(make(), (3,), name="0-d"),
        S(make(0, 2), (2, 3), name="empty"),
        S(make(2, 3), (0, 1), name="zero-reps"),
        S(make(3, 2, layout="transposed"), (1, 2), name="transposed"),
    ]


def _repeat_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 2, 1, name="2-d"),
        S(make(3), (2, 2), name="new-dim"),
        S(make(), 3, name="0-d"),
        S(make(0, 2), 2, 3, name="empty"),
        S(make(3, 2, layout="transposed"), 1, 2, name="transposed"),
    ]


def _ref_repeat(x: np.ndarray, *sizes: Any) -> np.ndarray:
    reps = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    return np.tile(x, reps)


def _repeat_errors(op: OpInfo, make: Maker) -> list[Any]:
    return [E(RuntimeError, "repeat: number of repeat dims", make(2, 3), 2)]


def _ref_repeat_interleave(x: np.ndarray, repeats: Any = None, dim: int | None = None, **kw: Any) -> np.ndarray:
    if repeats is None:
        return np.repeat(np.arange(len(x)), x).astype(np.int64)
    if isinstance(repeats, np.ndarray) and repeats.size == 1:
        repeats = int(repeats.reshape(()))
    return np.repeat(x, repeats, axis=dim)


def _repeat_interleave_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3), 2, name="flat"),
        S(make(2, 3), 2, 1, name="dim"),
        S(make(3, 2), Arg(np.array([1, 0, 3])), 0, name="tensor-repeats"),
        S(make(3, 2), Arg(np.array([2])), -1, name="one-repeat-tensor"),
        S(make(), 3, name="0-d"),
        S(make(0, 2), 2, 0, name="empty"),
        S(make(3, 2, layout="transposed"), Arg(np.array([2, 1])), 1, output_size=3, name="transposed"),
        S(Arg(np.array([2, 0, 3]), grad=False), name="counts-only"),
    ]


def _broadcast_tensors_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 1), make(3), name="two"),
        S(make(), make(2, 2), make(1, 2), name="three"),
        S(make(0, 1), make(3), name="empty"),
        S(make(3, 2, layout="transposed"), make(2), name="transposed"),
    ]


def _meshgrid_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2), make(3), name="ij-default"),
        S(make(2), make(3), indexing="xy", name="xy"),
        S(make(2), make(3), make(4), indexing="xy", name="xy-3"),
        S([make(2), make()], indexing="ij", name="list-0-d"),
        S(make(0), make(3), name="empty"),
        S(make(4, layout="strided"), make(2), name="strided"),
    ]


def _ref_meshgrid(*xs: Any, indexing: str = "ij") -> tuple[np.ndarray, ...]:
    if len(xs) == 1 and isinstance(xs[0], list):
        xs = tuple(xs[0])
    return tuple(np.meshgrid(*[np.reshape(x, -1) for x in xs], indexing=indexing))  # type: ignore[call-overload]


def _cartesian_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2), make(3), name="two"),
        S(make(2), make(1), make(2), name="three"),
        S(make(3), name="one"),
        S(make(0), make(2), name="empty"),
        S(make(4, layout="strided"), make(2), name="strided"),
    ]


def _ref_cartesian(*xs: np.ndarray) -> np.ndarray:
    if len(xs) == 1:
        return xs[0]
    grids = np.meshgrid(*xs, indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], 1)


def _combinations_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4), name="default"),
        S(make(4), 3, name="r-3"),
        S(make(3), 2, True, name="with-replacement"),
        S(make(4), 1, name="r-1"),
        S(make(2), 3, name="r-too-large"),
        S(make(0), name="empty"),
        S(make(4, layout="strided"), 2, name="strided"),
    ]


def _ref_combinations(x: np.ndarray, r: int = 2, with_replacement: bool = False) -> np.ndarray:
    import itertools

    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = [list(c) for c in gen(x.tolist(), r)]
    return np.asarray(rows, dtype=x.dtype).reshape(len(rows), r)


def _diagonal_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), name="default"),
        S(make(3, 4), 1, name="above"),
        S(make(3, 4), -2, name="below"),
        S(make(3, 4), 5, name="past-the-end"),
        S(make(2, 3, 4), 0, -1, 0, name="dims"),
        S(make(2, 3, 4), -1, 1, 2, name="batched"),
        S(make(0, 3), name="empty"),
        S(make(3, 4, layout="transposed"), 1, name="transposed"),
        S(make(3, 4, layout="strided"), -1, name="strided"),
        S(make(2, 3, 4, layout="transposed"), 1, 0, 2, name="transposed-copy"),
    ]


def _ref_diagonal(x: np.ndarray, offset: int = 0, dim1: int = 0, dim2: int = 1) -> np.ndarray:
    return np.diagonal(x, offset, dim1, dim2).copy()


def _diagonal_errors(op: OpInfo, make: Maker) -> list[Any]:
    return [
        E(RuntimeError, "diagonal: input must have at least 2 dimensions", make(3)),
        E(RuntimeError, "diagonal: dimensions cannot be identical", make(3, 3), 0, 0, -2),
    ]


def _diag_embed_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3), name="1-d"),
        S(make(2, 3), 1, name="above"),
        S(make(2, 3), -2, name="below"),
        S(make(2, 3), 0, 0, 2, name="dims"),
        S(make(2, 3), 1, -1, 0, name="dims-reversed"),
        S(make(0), name="empty"),
        S(make(3, 2, layout="transposed"), name="transposed"),
    ]


def _ref_diag_embed(x: np.ndarray, offset: int = 0, dim1: int = -2, dim2: int = -1) -> np.ndarray:
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    for i in range(x.shape[-1]):
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., r, c] = x[..., i]
    nd = x.ndim + 1
    a, b = dim1 % nd, dim2 % nd
    rest = [d for d in range(nd) if d not in (a, b)]
    order = [0] * nd
    for j, d in enumerate(rest):
        order[d] = j
    order[a], order[b] = nd - 2, nd - 1
    return np.transpose(out, order)


def _diag_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3), name="vector"),
        S(make(3), 2, name="vector-above"),
        S(make(3), -1, name="vector-below"),
        S(make(3, 4), name="matrix"),
        S(make(3, 4), 1, name="matrix-above"),
        S(make(3, 4), -5, name="matrix-none"),
        S(make(0), name="empty"),
        S(make(4, 3, layout="transposed"), -1, name="transposed"),
    ]


def _ref_diag(x: np.ndarray, diagonal: int = 0) -> np.ndarray:
    return np.diag(x, diagonal).copy()


def _diagflat_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3), name="1-d"),
        S(make(2, 2), 1, name="2-d-above"),
        S(make(2, 2), -1, name="below"),
        S(make(), name="0-d"),
        S(make(0), name="empty"),
        S(make(3, 2, layout="transposed"), name="transposed"),
    ]


def _block_diag_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 2), make(1, 3), name="matrices"),
        S(make(), make(3), make(2, 1), name="0-d-1-d-2-d"),
        S(make(0, 2), make(2, 0), name="empty"),
        S(make(2, 3, layout="transposed"), make(2, 4, layout="strided"), name="non-contiguous"),
    ]


def _ref_block_diag(*xs: np.ndarray) -> np.ndarray:
    mats = [x.reshape(1, -1) if x.ndim < 2 else x for x in xs]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)), mats[0].dtype)
    r = c = 0
    for m in mats:
        out[r : r + m.shape[0], c : c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _unfold_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(7), 0, 2, 1, name="overlapping"),
        S(make(2, 7), 1, 3, 2, name="step"),
        S(make(6, 2), 0, 2, 2, name="non-overlapping-view"),
        S(make(5, 2), -2, 5, 1, name="whole"),
        S(make(3, 2), 0, 0, 1, name="empty-windows"),
        S(make(), 0, 1, 1, name="0-d"),
        S(make(4, 3, layout="transposed"), 1, 2, 1, name="transposed"),
    ]


def _ref_unfold(x: np.ndarray, dim: int, size: int, step: int) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    dim %= x.ndim
    n = (x.shape[dim] - size) // step + 1
    wins = [np.take(x, np.arange(i * step, i * step + size), axis=dim) for i in range(n)]
    out = np.stack(wins, axis=dim)  # (..., n, ..., size at dim + 1)
    return np.moveaxis(out, dim + 1, -1)


def _swap_ref(x: np.ndarray, a: int, b: int) -> np.ndarray:
    return np.swapaxes(x, a, b) if x.ndim else x.copy()


def _movedim_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(2, 3, 4), 0, 2, name="one"),
        S(make(2, 3, 4), (0, 1), (2, 0), name="several"),
        S(make(2, 3, 4), -1, 0, name="negative"),
        S(make(), 0, 0, name="0-d"),
        S(make(0, 3), 1, 0, name="empty"),
        S(make(3, 2, layout="transposed"), 0, 1, name="transposed"),
    ]


def _movedim_errors(op: OpInfo, make: Maker) -> list[Any]:
    return [
        E(RuntimeError, "movedim: Invalid source or destination dims", make(2, 3), (0, 1), (1,)),
        E(RuntimeError, "movedim: repeated dim", make(2, 3), (0, 0), (1, 0)),
    ]


def _stack_errors(name: str) -> Callable[..., Any]:
    def errors(op: OpInfo, make: Maker) -> list[Any]:
        return [E(RuntimeError, f"{name}: expected a non-empty list", [])]

    return errors


_add_op(
    OpInfo("tensor_split", ember.tensor_split, _ref_tensor_split, _tensor_split_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, "tensor_split: number of sections must be larger than 0", make(4), 0),
               E(RuntimeError, "tensor_split: expected at least a 1-dimensional", make(), 1),
               E(RuntimeError, "tensor_split: indices_or_sections must be a 0-d or 1-D integer", make(4), Arg(np.ones((2, 2), np.int64))),
           ]),
    OpInfo("hsplit", ember.hsplit, _numpy_split(np.hsplit), _hsplit_samples, dtypes=MOVE_DTYPES, error_inputs=_split_errors),
    OpInfo("vsplit", ember.vsplit, _numpy_split(np.vsplit), _hsplit_samples, dtypes=MOVE_DTYPES, error_inputs=_split_errors),
    OpInfo("dsplit", ember.dsplit, _numpy_split(np.dsplit), _hsplit_samples, dtypes=MOVE_DTYPES, error_inputs=_split_errors),
    OpInfo("atleast_1d", ember.atleast_1d, _ref_atleast(1), _atleast_samples, dtypes=MOVE_DTYPES),
    OpInfo("atleast_2d", ember.atleast_2d, _ref_atleast(2), _atleast_samples, dtypes=MOVE_DTYPES),
    OpInfo("atleast_3d", ember.atleast_3d, _ref_atleast(3), _atleast_samples, dtypes=MOVE_DTYPES),
    OpInfo("hstack", ember.hstack, _ref_hstack, _stack_like_samples, dtypes=MOVE_DTYPES, error_inputs=_stack_errors("hstack")),
    OpInfo("vstack", ember.vstack, np.vstack, _stack_like_samples, dtypes=MOVE_DTYPES, error_inputs=_stack_errors("vstack")),
    OpInfo("dstack", ember.dstack, np.dstack, _stack_like_samples, dtypes=MOVE_DTYPES, error_inputs=_stack_errors("dstack")),
    OpInfo("column_stack", ember.column_stack, _ref_column_stack, _column_stack_samples, dtypes=MOVE_DTYPES,
           error_inputs=_stack_errors("column_stack")),
    OpInfo("narrow", ember.narrow, _ref_narrow, _narrow_samples, dtypes=MOVE_DTYPES, error_inputs=_narrow_errors),
    OpInfo("narrow_copy", ember.narrow_copy, _ref_narrow, _narrow_samples, dtypes=MOVE_DTYPES),
    OpInfo("select", ember.select, lambda x, d, i: np.take(x, i, axis=d).copy(), _select_samples, dtypes=MOVE_DTYPES,
           error_inputs=_select_errors),
    OpInfo("fliplr", ember.fliplr, np.fliplr, _flip_lr_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, "fliplr: input must be >= 2-d", make(3))]),
    OpInfo("flipud", ember.flipud, np.flipud, _flip_lr_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, "flipud: input must be >= 1-d", make())]),
    OpInfo("rot90", ember.rot90, lambda x, k=1, dims=(0, 1): np.rot90(x, k, dims).copy(), _rot90_samples,
           dtypes=MOVE_DTYPES, error_inputs=_rot90_errors),
    OpInfo("tile", ember.tile, np.tile, _tile_samples, dtypes=MOVE_DTYPES),
    OpInfo("repeat", lambda x, *s: x.repeat(*s), _ref_repeat, _repeat_samples, dtypes=MOVE_DTYPES,
           error_inputs=_repeat_errors),
    OpInfo("repeat_interleave", ember.repeat_interleave, _ref_repeat_interleave, _repeat_interleave_samples,
           dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, "repeat_interleave: repeats must have the same size as input", make(3), Arg(np.array([1, 2])), 0),
               E(RuntimeError, "repeat_interleave: repeats can not be negative", make(3), -1),
           ]),
    OpInfo("broadcast_tensors", ember.broadcast_tensors, lambda *xs: tuple(np.broadcast_arrays(*xs)),
           _broadcast_tensors_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, r"broadcast_shapes: shapes .*\(2,\).*\(3,\)", make(2), make(3))]),
    OpInfo("meshgrid", ember.meshgrid, _ref_meshgrid, _meshgrid_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, "meshgrid: expects 0D or 1D tensors", make(2, 2)),
               E(RuntimeError, "meshgrid: indexing must be one of", make(2), indexing="yx"),
           ]),
    OpInfo("cartesian_prod", ember.cartesian_prod, _ref_cartesian, _cartesian_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, "cartesian_prod: expect a 1D vector", make(2, 2), make(2))]),
    OpInfo("combinations", ember.combinations, _ref_combinations, _combinations_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, "combinations: expect a 1D vector", make(2, 2)),
               E(RuntimeError, "combinations: expect a non-negative number", make(3), -1),
           ]),
    OpInfo("diagonal", ember.diagonal, _ref_diagonal, _diagonal_samples, dtypes=MOVE_DTYPES, error_inputs=_diagonal_errors),
    OpInfo("diag_embed", ember.diag_embed, _ref_diag_embed, _diag_embed_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, "diag_embed: diagonal dimensions cannot be identical", make(3), 0, 0, -2)]),
    OpInfo("diag", ember.diag, _ref_diag, _diag_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, r"diag\(\): Supports 1D or 2D tensors. Got 3D", make(2, 2, 2))]),
    OpInfo("diagflat", ember.diagflat, lambda x, offset=0: np.diagflat(x, offset), _diagflat_samples, dtypes=MOVE_DTYPES),
    OpInfo("block_diag", ember.block_diag, _ref_block_diag, _block_diag_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [E(RuntimeError, "block_diag: Input tensors must have 2 or fewer dimensions. Input 1", make(2), make(1, 1, 1))]),
    OpInfo("unfold", lambda x, d, s, st: x.unfold(d, s, st), _ref_unfold, _unfold_samples, dtypes=MOVE_DTYPES,
           error_inputs=lambda op, make: [
               E(RuntimeError, "unfold: maximum size for tensor at dimension 0 is 3 but size is 4", make(3), 0, 4, 1),
               E(RuntimeError, "unfold: step is 0 but must be > 0", make(3), 0, 2, 0),
           ]),
    OpInfo("swapdims", lambda x, a, b: x.swapdims(a, b), _swap_ref, _transpose_samples, dtypes=MOVE_DTYPES),
    OpInfo("movedim", ember.movedim, lambda x, s, d: np.moveaxis(x, s, d) if x.ndim else x.copy(), _movedim_samples,
           dtypes=MOVE_DTYPES, error_inputs=_movedim_errors),
)  # fmt: skip
