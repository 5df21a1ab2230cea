"""Optimizer updates over all of a group's parameters at once (PyTorch's ``foreach`` idea).

An optimizer step is a few elementwise ops per parameter; through Tensor methods each
one pays for argument checks, dtype promotion, a result wrapper and the in-place
bookkeeping, which for small layers costs more than the arithmetic. `Foreach` calls the
backend's kernels on the native arrays directly: the same kernels, with the same
arguments, in the same order as the per-parameter ops (so the same numbers, bit for
bit), and no graph. The kernels are looked up on each step, so `ember.capture` (which
swaps the kernel tables while it records) sees every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ember.dispatch import OPS
from ember.ops._run import kernel
from ember.tensor import Tensor

__all__ = ["Foreach"]

_OPS = ("mul", "add", "div", "sqrt", "mul_", "add_", "sub_", "div_")
_KERNEL_OPS = tuple((name, OPS[name]) for name in _OPS)


class Foreach:
    """The kernels of a step on one device: ``k.mul(a, b)`` returns a new array, ``k.mul_(a, b)``
    writes into `a`. Arguments are native arrays or Python floats."""

    mul: Any
    add: Any
    div: Any
    sqrt: Any
    mul_: Any
    add_: Any
    sub_: Any
    div_: Any

    @classmethod
    def of(cls, tensors: Sequence[Tensor | None]) -> Foreach | None:
        """The kernels for updating `tensors` in place together, or None when the per-parameter
        path must run: not all plain (non-view) floating tensors of one dtype and device, or a
        kernel missing on the device."""
        present = [t for t in tensors if t is not None]
        if not present or not present[0]._dtype.is_floating_point:
            return None
        dev, dt = present[0]._device, present[0]._dtype
        for t in present:
            if t._base is not None or t._device is not dev or t._dtype is not dt:
                return None
        k = cls()
        table = k.__dict__
        for name, op in _KERNEL_OPS:
            fn = kernel(op, dev)
            if fn is None:
                return None
            table[name] = fn
        return k

    @staticmethod
    def written(tensors: Sequence[Tensor]) -> None:
        """Record an in-place write of each of `tensors` (autograd's version check sees it)."""
        for t in tensors:  # Tensor._bump_version, inlined (a step writes every parameter and buffer)
            v = t._version
            if v is None:
                v = t._version_counter()
            v.value += 1
