"""Debug mode: every kernel result is checked against the shape and dtype its op declared.

Core decides each result's shape and dtype before calling a kernel and labels the
tensor with them; a kernel that returns something else (int32 indices in a tensor
labelled int64, a broadcasting slip) would otherwise go unnoticed until the values
are read. With the checks on, `ember.ops._run` wraps kernel results (`run`, `wrap`)
through `_checked_make`, which raises `KernelContractError` naming the op, the backend
and both shapes or dtypes. The conformance kit turns the checks on for its run;
``EMBER_CHECK_KERNELS=1`` turns them on for any program. Off, they cost nothing: the
checking function is swapped in for ``_run._make`` only while they are on.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from .backends import native_meta
from .device import Device
from .dtypes import DType
from .tensor import Tensor

__all__ = ["KernelContractError", "enable", "enabled"]

_plain_make = Tensor._make


class KernelContractError(AssertionError):
    """A kernel returned an array whose shape or dtype is not what its op declared."""


def _op_name() -> str:
    """The op being run, read from the caller's frame (debug mode only: `run`'s `op`)."""
    frame = sys._getframe(2)
    for _ in range(3):
        if frame is None:
            break
        op = frame.f_locals.get("op")
        if op is not None:
            return str(getattr(op, "name", op))
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def _checked_make(data: Any, shape: tuple[int, ...], dtype: DType, device: Device) -> Tensor:
    from .backends import registry

    backend = registry._by_device.get(device.type)
    got_shape, got = native_meta(backend, data) if backend is not None else (tuple(shape), None)
    if got_shape != tuple(shape):
        raise KernelContractError(
            f"kernel {_op_name()!r} of backend {getattr(backend, 'name', device.type)!r} returned an array of shape "
            f"{got_shape}, but the op declared {tuple(shape)}: a kernel must return exactly the declared shape "
            f"(docs/primitives.md)"
        )
    if got is not None and got != dtype.numpy:
        raise KernelContractError(
            f"kernel {_op_name()!r} of backend {getattr(backend, 'name', device.type)!r} returned {got} data for a "
            f"result declared {dtype.name}: a kernel must return exactly the declared dtype (docs/primitives.md)"
        )
    return _plain_make(data, shape, dtype, device)


def enabled() -> bool:
    """Whether kernel results are being checked."""
    from .ops import _run

    return _run._make is _checked_make


def enable(on: bool = True) -> bool:
    """Turn the checks on (or off); returns whether they were on before."""
    from .ops import _run

    was = enabled()
    _run._make = _checked_make if on else _plain_make
    return was


if os.environ.get("EMBER_CHECK_KERNELS", "") not in ("", "0"):
    enable()
