"""View kernels (metadata only: view, permute, expand, slice) and the copying movers (cat, flip)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clarray import CLArray, c_strides, empty
from .elementwise import broadcast_strides, copy, copy_


def view_strides(shape: tuple[int, ...], strides: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides that show (shape, strides) as `new` without copying, or None (PyTorch's computeStride)."""
    if not shape or 0 in shape:
        return c_strides(new)
    out = [0] * len(new)
    view_d = len(new) - 1
    base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                out[view_d] = view_numel * base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base = strides[d - 1]
                tensor_numel = view_numel = 1
    return tuple(out) if view_d == -1 else None


def view(x: CLArray, shape: tuple[int, ...]) -> CLArray:
    strides = view_strides(x.shape, x.strides, tuple(shape))
    if strides is None:
        raise ValueError(f"cannot view an array of shape {x.shape} and strides {x.strides} as shape {shape}")
    return x.view_of(tuple(shape), strides, x.offset)


def permute(x: CLArray, dims: tuple[int, ...]) -> CLArray:
    return x.view_of(tuple(x.shape[d] for d in dims), tuple(x.strides[d] for d in dims), x.offset)


def expand(x: CLArray, shape: tuple[int, ...]) -> CLArray:
    return x.view_of(tuple(shape), broadcast_strides(x, tuple(shape)), x.offset)


def slice_(x: CLArray, key: tuple[Any, ...]) -> CLArray:
    shape, strides, offset, d = [], [], x.offset, 0
    for k in key:
        if k is None:
            shape.append(1)
            strides.append(0)
        elif isinstance(k, slice):
            start, stop, step = k.start, k.stop, k.step or 1
            shape.append(max(0, -(-(stop - start) // step)))
            strides.append(x.strides[d] * step)
            offset += start * x.strides[d]
            d += 1
        else:
            offset += int(k) * x.strides[d]
            d += 1
    shape += x.shape[d:]
    strides += x.strides[d:]
    return x.view_of(tuple(shape), tuple(strides), offset)


def flip(x: CLArray, axes: tuple[int, ...]) -> CLArray:
    strides, offset = list(x.strides), x.offset
    for a in axes:
        if x.shape[a]:
            offset += (x.shape[a] - 1) * strides[a]
        strides[a] = -strides[a]
    return copy(x.view_of(x.shape, tuple(strides), offset))


def cat(xs: list[CLArray], axis: int) -> CLArray:
    shape = list(xs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    out = empty(xs[0].device, tuple(shape), xs[0].dtype)
    start = 0
    for x in xs:
        n = x.shape[axis]
        key = (slice(None),) * axis + (slice(start, start + n, 1),)
        copy_(slice_(out, tuple(slice(0, m, 1) if k == slice(None) else k for k, m in zip(key, out.shape))), x)
        start += n
    return out


KERNELS: dict[str, Callable[..., Any]] = {
    "view": view, "permute": permute, "expand": expand, "slice": slice_, "flip": flip, "cat": cat,
}  # fmt: skip
