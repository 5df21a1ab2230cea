"""Recording every kernel call: the one mechanism under `ember.compile` and `ember.onnx.export`.

Every kernel Ember runs is looked up in its op's table (`Op._kernels`, keyed by device
type). `record_kernels` swaps each table for a recording view while the block runs, so
each call reaches the recorder as ``(op, device_type, kernel, args, result)``: the op's
declaration, the kernel that ran, its native arguments and what it returned. Outside
the block the tables are the plain dicts again, so the eager path pays nothing.

What the recorder sees is the dispatch level: primitives, and composites that the
backend overrides (`conv2d` on NumPy); a composite without a kernel shows as the
primitives of its decomposition. Derivatives run through the same tables, so a
recorded `loss.backward()` shows the backward kernels too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from .dispatch import OPS, Op

__all__ = ["KernelRecorder", "record_kernels", "is_recording"]

#: ``recorder(op, device_type, kernel, args, result)``, called after each kernel call.
KernelRecorder = Callable[[Op, str, Callable[..., Any], tuple[Any, ...], Any], None]

_lock = threading.Lock()
_active: list[KernelRecorder] = []


class _RecordingTable(dict[str, Callable[..., Any] | None]):
    """An op's kernel table whose lookups return kernels that report each call."""

    def __init__(
        self, op: Op, table: dict[str, Callable[..., Any] | None], recorder: KernelRecorder, decompose: bool = False
    ) -> None:
        super().__init__(table)
        self.op = op
        self.plain = table
        self.recorder = recorder
        self.decompose = decompose

    def __getitem__(self, device_type: str) -> Callable[..., Any] | None:
        k = self.plain[device_type]
        if k is None or self.decompose:  # a composite without (or with a hidden) override: its decomposition runs
            return None
        op, recorder = self.op, self.recorder

        def recorded(*args: Any) -> Any:
            result = k(*args)
            recorder(op, device_type, k, args, result)
            return result

        return recorded

    def __setitem__(self, device_type: str, k: Callable[..., Any] | None) -> None:  # dispatch.kernel_for caching
        self.plain[device_type] = k
        super().__setitem__(device_type, k)

    def __contains__(self, device_type: object) -> bool:
        return device_type in self.plain

    def get(self, device_type: str, default: Any = None) -> Any:
        return self[device_type] if device_type in self.plain else default

    def clear(self) -> None:  # dispatch.invalidate_caches
        self.plain.clear()
        super().clear()


def is_recording() -> bool:
    """Whether a `record_kernels` block is running (ops that read device data raise or split there)."""
    return bool(_active)


@contextmanager
def record_kernels(recorder: KernelRecorder, *, decompose: Collection[str] = ()) -> Iterator[None]:
    """Report every kernel call made in this block to `recorder`, in the order they run.

    The composites named in `decompose` run their decomposition (recorded op by op) even
    where a backend overrides them: ONNX export uses it for composites ONNX has no operator
    for. Blocks do not nest and the tables are process-wide: kernels run by other threads
    during the block are reported too.
    """
    with _lock:
        if _active:
            raise RuntimeError(
                "record_kernels: a recording is already running (ember.compile capture or ONNX export); "
                "they cannot nest — call the compiled function or export outside the other one"
            )
        _active.append(recorder)
    ops = list(OPS.values())
    try:
        for op in ops:
            op._kernels = _RecordingTable(op, op._kernels, recorder, op.kind == "composite" and op.name in decompose)
        yield
    finally:
        for op in ops:
            table = op._kernels
            op._kernels = table.plain if isinstance(table, _RecordingTable) else table
        with _lock:
            _active.clear()
