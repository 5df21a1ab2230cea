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
from collections import deque
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from .dispatch import OPS, Op

__all__ = [
    "KernelRecorder", "record_kernels", "is_recording", "in_kernel", "watch_host", "HostWatcher", "host_predicate",
    "defer_check", "deferring_checks", "run_checks", "settle_checks",
]  # fmt: skip

#: ``recorder(op, device_type, kernel, args, result)``, called after each kernel call.
KernelRecorder = Callable[[Op, str, Callable[..., Any], tuple[Any, ...], Any], None]

_lock = threading.Lock()
_active: list[KernelRecorder] = []
_depth = [0]  # > 0 while a recorded kernel runs (its own host copies are the kernel's business)


class HostWatcher:
    """What a capture wants to hear about beside kernel calls (`watch_host`); the defaults do nothing."""

    def read(self, native: Any) -> None:
        """A tensor's data is copied to the host outside a kernel (`.item()`, `.numpy()`, `bool(t)`, ...)."""

    def made(self, native: Any) -> None:
        """A native array was made from host data outside a kernel (`ember.tensor(...)`, `from_numpy`)."""

    def data_shape(self, op: Op, natives: tuple[Any, ...]) -> None:
        """`op`'s output shape is decided by its input data (nonzero, boolean-mask indexing)."""

    def predicate(self, name: str, check: Callable[..., Any], natives: tuple[Any, ...], to_host: Any, result: bool) -> None:
        """`host_predicate` read `natives` and `check` gave `result` (a replay checks it again)."""


_watchers: list[HostWatcher] = []


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
            _depth[0] += 1
            try:
                result = k(*args)
            finally:
                _depth[0] -= 1
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


def in_kernel() -> bool:
    """Whether a recorded kernel is running now (host copies it makes are not the program's reads)."""
    return _depth[0] > 0


def shape_from_data(op: Op, natives: tuple[Any, ...]) -> None:
    """Called by the run path for ops whose output shape their data decides, while a watcher listens."""
    for w in _watchers:
        w.data_shape(op, natives)


@contextmanager
def watch_host(watcher: HostWatcher) -> Iterator[None]:
    """Tell `watcher` about host reads and host-made arrays outside kernels in this block.

    Wraps every loaded backend's `to_host` and `from_host` (instance attributes, removed after).
    """
    from .backends import Backend, registry

    patched: list[tuple[Backend, dict[str, Any]]] = []
    for backend in registry._by_device.values():
        own: dict[str, Any] = {k: backend.__dict__[k] for k in ("to_host", "from_host") if k in backend.__dict__}
        to_host, from_host = backend.to_host, backend.from_host

        def read(native: Any, _f: Callable[..., Any] = to_host) -> Any:
            if not _depth[0]:
                watcher.read(native)
            return _f(native)

        def made(arr: Any, index: int, _f: Callable[..., Any] = from_host) -> Any:
            out = _f(arr, index)
            if not _depth[0]:
                watcher.made(out)
            return out

        read.__wrapped__ = to_host  # type: ignore[attr-defined]
        backend.to_host, backend.from_host = read, made  # type: ignore[method-assign,assignment]
        patched.append((backend, own))
    _watchers.append(watcher)
    try:
        yield
    finally:
        _watchers.remove(watcher)
        for backend, own in patched:
            del backend.to_host, backend.from_host
            backend.__dict__.update(own)


def host_predicate(name: str, check: Callable[..., Any], *tensors: Any) -> bool:
    """`check(*values)` on the tensors' values read to the host: a data check that picks a code path.

    Ops use it instead of `.item()` for such checks (cross_entropy's "every target is a class index"),
    so that a capture records the check and its outcome; a replay checks again and raises if the
    outcome changed, instead of silently following the captured path.
    """
    from .backends import registry

    to_host = registry.get(tensors[0]._device.type).to_host
    to_host = getattr(to_host, "__wrapped__", to_host)  # not the watcher's: this read is the check's own
    _depth[0] += 1
    try:
        result = bool(check(*(to_host(t._data) for t in tensors)))
    finally:
        _depth[0] -= 1
    for w in _watchers:
        w.predicate(name, check, tuple(t._data for t in tensors), to_host, result)
    return result


#: the checks that the running replay has deferred (`deferring_checks`); empty outside one
_deferred: list[list[Callable[[], None]]] = []


def defer_check(check: Callable[[], None]) -> bool:
    """Run `check` (a read-back of a device-side check that raises when it failed, such as an
    index-bounds flag) when the running `ember.compile` replay ends, instead of now: the read would
    wait for every queued kernel. Returns False outside a replay: the caller checks now.

    A check with a ``start()`` method is read without waiting: `run_checks` calls ``start()``, which
    queues its reads and returns the function that waits for them and raises; `settle_checks` calls
    that at the next compiled call, `ember.synchronize` or read of tensor values."""
    if not _deferred:
        return False
    _deferred[-1].append(check)
    return True


@contextmanager
def deferring_checks() -> Iterator[list[Callable[[], None]]]:
    """While the block runs, `defer_check` collects checks into the list it yields (a replay runs
    them after its last kernel: one wait for the device per replay, not one per check)."""
    checks: list[Callable[[], None]] = []
    _deferred.append(checks)
    try:
        yield checks
    finally:  # by identity: an enclosing list may be equal to this one (both empty)
        del _deferred[max(i for i, c in enumerate(_deferred) if c is checks)]


#: (replay number, finish) of checks whose reads are queued and not yet looked at (`run_checks`)
_pending: deque[tuple[int, Callable[[], None]]] = deque()
_replays = [0]


def run_checks(checks: list[Callable[[], None]]) -> None:
    """A replay's deferred checks, at its end: two-phase ones (``start()``) are started and left
    pending, so that the replay returns without waiting for the device; the others run now."""
    _replays[0] += 1
    for check in checks:
        start = getattr(check, "start", None)
        if start is None:
            check()
        else:
            _pending.append((_replays[0], start()))


def settle_checks(keep: int = 0) -> None:
    """Finish the pending checks, oldest first, except those of the `keep` latest replays; the first
    that failed raises (its own exception, with a note that an earlier replay made it). A compiled call
    keeps one replay in flight; reads of tensor values and `ember.synchronize` keep none."""
    while _pending and _pending[0][0] <= _replays[0] - keep:
        replay, finish = _pending.popleft()
        try:
            finish()
        except Exception as e:
            while _pending and _pending[0][0] == replay:  # that replay's other checks: one error is its report
                _pending.popleft()
            note = getattr(e, "add_note", None)  # (Python 3.11+)
            if note is not None:
                note(
                    "(raised by a check of an earlier ember.compile replay: on this device a replay queues its "
                    "checks' reads and returns; they are read at the next compiled call, ember.synchronize() "
                    "or read of tensor values. The arrays that replay wrote hold undefined values.)"
                )
            raise
