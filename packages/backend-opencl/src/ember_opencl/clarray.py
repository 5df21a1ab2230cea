"""`CLArray`: the OpenCL backend's native array, a strided view of a device buffer.

Shape, strides and offset are in elements, so views (permute, expand, slice,
flip) are metadata only and kernels address any layout without copies.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .device import Device


def c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class CLArray:
    """A view of `buffer` on `device`: element (i, j, ...) lives at offset + i*strides[0] + j*strides[1] + ..."""

    __slots__ = ("device", "buffer", "shape", "strides", "offset", "dtype")

    def __init__(self, device: Device, buffer: Any, shape: tuple[int, ...], dtype: np.dtype,
                 strides: tuple[int, ...] | None = None, offset: int = 0) -> None:  # fmt: skip
        self.device = device
        self.buffer = buffer
        self.shape = shape
        self.dtype = dtype
        self.strides = c_strides(shape) if strides is None else strides
        self.offset = offset

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def is_contiguous(self) -> bool:
        """C-contiguous (dims of size 1 may have any stride)."""
        step = 1
        for n, s in zip(reversed(self.shape), reversed(self.strides)):
            if n != 1 and s != step:
                return False
            step *= n
        return True

    def view_of(self, shape: tuple[int, ...], strides: tuple[int, ...], offset: int) -> CLArray:
        """Another view of the same memory."""
        return CLArray(self.device, self.buffer, shape, self.dtype, strides, offset)

    def __repr__(self) -> str:
        return (
            f"CLArray(shape={self.shape}, dtype={self.dtype}, strides={self.strides}, offset={self.offset}, "
            f"device=opencl:{self.device.index})"
        )


def empty(device: Device, shape: tuple[int, ...], dtype: Any) -> CLArray:
    dtype = np.dtype(dtype)
    return CLArray(device, device.alloc(math.prod(shape) * dtype.itemsize), tuple(shape), dtype)


def from_numpy(device: Device, host: np.ndarray) -> CLArray:
    import pyopencl as cl

    device.host_transfer("a copy from the host")
    out = empty(device, host.shape, host.dtype)
    host = np.ascontiguousarray(host)  # (0-d comes back 1-d: the shape is taken above)
    if host.size:
        cl.enqueue_copy(device.queue, out.buffer, host)
    return out


def to_numpy(x: CLArray) -> np.ndarray:
    """A fresh host copy (non-contiguous views are compacted on the device first)."""
    return read_async(x)()


def read_async(x: CLArray) -> Callable[[], np.ndarray]:
    """Queue a host copy of `x` without waiting (non-contiguous views are compacted on the device
    first); the returned function waits for it and gives it."""
    import pyopencl as cl

    x.device.host_transfer("a read to the host")
    if not x.is_contiguous:
        from .elementwise import copy

        x = copy(x)
    out = np.empty(x.shape, x.dtype)
    if not out.size:
        return lambda: out
    event = cl.enqueue_copy(x.device.queue, out, x.buffer, src_offset=x.offset * x.dtype.itemsize, is_blocking=False)

    def wait() -> np.ndarray:
        event.wait()
        return out

    return wait
