"""The CuPy backend object: availability in words, CUDA devices, transfers, DLPack and the kernel table.

Arrays live on the device that made them (`cuda:N` -> `cupy.cuda.Device(N)`); transfers
and kernels run on that device's current CuPy stream (the default stream unless the
caller enters `with cupy.cuda.Stream():`), and memory comes from CuPy's memory pool
(`cupy.get_default_memory_pool()`), which keeps freed blocks for reuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import ember

from . import device as _device

Kernel = Callable[..., Any]


def _guarded(fn: Kernel) -> Kernel:
    """Run `fn` on the device of its first CuPy array argument (CuPy launches on the current device)."""
    import cupy

    ndarray = cupy.ndarray

    def kernel(*args: Any) -> Any:
        for a in args:
            if type(a) is ndarray:
                break
            if type(a) is list and a and type(a[0]) is ndarray:  # cat
                a = a[0]
                break
        else:
            return fn(*args)
        with a.device:
            return fn(*args)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    return kernel


class CupyBackend(ember.Backend):
    name = "cupy"
    device_type = "cuda"
    api_version = (1, 0)
    # every Ember dtype CuPy has: bfloat16 is not a CuPy dtype, so Ember refuses it on "cuda"
    dtypes = frozenset(d for d in ember.dtypes.all_dtypes if d.name != "bfloat16")
    dlpack_device_type = 2  # kDLCUDA

    def __init__(self, **fields: Any) -> None:
        super().__init__(**fields)
        self._kernels: dict[str, Kernel] | None = None

    @property  # type: ignore[override]  # a class attribute in ember.Backend, computed lazily here
    def kernels(self) -> Mapping[str, Kernel]:
        """The kernel table, built on first use (it imports CuPy); empty when CuPy is not installed.

        With more than one GPU, each kernel first makes its arrays' device current.
        """
        if self._kernels is None:
            try:
                from .kernels import KERNELS
            except ImportError:
                return {}
            table = dict(KERNELS)
            if _device.device_count() > 1:
                table = {name: _guarded(k) for name, k in table.items()}
            self._kernels = table
        return self._kernels

    def unavailable_reason(self) -> str | None:
        return _device.unavailable_reason()

    def device_count(self) -> int:
        return _device.device_count()

    def device_names(self) -> list[str]:
        if self.unavailable_reason() is not None:
            return []
        lines = [_device.describe(i) for i in range(self.device_count())]
        return [f"{lines[0]}; {_device.versions()}", *lines[1:]]

    def from_host(self, array: np.ndarray, index: int) -> Any:
        import cupy

        with cupy.cuda.Device(index):
            return cupy.asarray(array)

    def to_host(self, native: Any) -> np.ndarray:
        with native.device:
            return native.get()

    def device_index_of(self, native: Any) -> int:
        return int(native.device.id)

    def from_dlpack(self, obj: Any, index: int) -> Any:
        import cupy

        arr = cupy.from_dlpack(obj)
        if arr.device.id != index:  # another GPU's memory: copy it onto device `index`
            with cupy.cuda.Device(index):
                arr = arr.copy()
        return arr

    def synchronize(self, index: int) -> None:
        import cupy

        cupy.cuda.Device(index).synchronize()

    def layout(self, native: Any) -> tuple[tuple[int, ...], int]:
        itemsize = native.itemsize
        return tuple(s // itemsize for s in native.strides), (native.data.ptr - native.data.mem.ptr) // itemsize

    def data_ptr(self, native: Any) -> int:
        return int(native.data.ptr)

    def storage_bytes(self, native: Any) -> Any:
        """The whole allocation under `native`, copied to the host as bytes (Tensor.untyped_storage())."""
        import cupy

        mem = native.data.mem
        return cupy.asnumpy(cupy.ndarray((mem.size,), cupy.uint8, cupy.cuda.MemoryPointer(mem, 0)))
