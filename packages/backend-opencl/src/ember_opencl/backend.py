"""The OpenCL backend object: availability, devices, dtypes, host transfers and the kernel table."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import ember

from . import device as _device
from .kernels import KERNELS


class OpenCLBackend(ember.Backend):
    name = "opencl"
    device_type = "opencl"
    api_version = (1, 0)
    kernels = KERNELS
    dlpack_device_type = 4  # kDLOpenCL

    @functools.cached_property  # type: ignore[override]  # a class attribute in ember.Backend, derived from the device here
    def dtypes(self) -> frozenset[ember.DType]:
        """What the first device computes in (float64 only with cl_khr_fp64; never float16/bfloat16); derived once,
        since core reads it on every tensor creation."""
        found = _device.devices()
        if not found:
            return frozenset()
        names = {str(d) for d in _device.numpy_dtypes(found[0])}
        return frozenset(d for d in ember.dtypes.all_dtypes if d.name in names)

    def unavailable_reason(self) -> str | None:
        return _device.unavailable_reason()

    def device_count(self) -> int:
        return len(_device.devices())

    def device_names(self) -> list[str]:
        return [d.name for d in _device.devices()]

    def from_host(self, array: np.ndarray, index: int) -> Any:
        from .clarray import from_numpy

        dev = _device.get(index)
        if array.dtype not in _device.numpy_dtypes(dev):
            raise TypeError(f"device opencl:{index} cannot hold {array.dtype} (it computes in "
                            f"{', '.join(str(d) for d in _device.numpy_dtypes(dev))})")  # fmt: skip
        return from_numpy(dev, array)

    def to_host(self, native: Any) -> np.ndarray:
        from .clarray import to_numpy

        return to_numpy(native)

    def read_async(self, native: Any) -> Any:
        """A host copy queued without waiting (compiled replays read their data checks this way)."""
        from .clarray import read_async

        return read_async(native)

    def device_index_of(self, native: Any) -> int:
        return native.device.index

    def synchronize(self, index: int) -> None:
        _device.get(index).synchronize()

    def layout(self, native: Any) -> tuple[tuple[int, ...], int]:
        return tuple(native.strides), native.offset  # a CLArray keeps both in elements

    def elementwise_fusible(self, op: Any, args: Any, result: Any) -> bool:
        """Whether `ember.compile` may fuse this kernel call with its neighbours (see `ember.fusion`)."""
        from .fusion import elementwise_fusible

        return elementwise_fusible(op, args, result)

    def fuse_elementwise(self, group: Any) -> Any:
        """One generated kernel for a group of elementwise steps (see `ember.fusion`), or None."""
        from .fusion import fuse_elementwise

        return fuse_elementwise(group)

    def record_launches(self, body: Any, arrays: Any, scalars: Any, probe: Any) -> tuple[Any, Any]:
        """An `ember.compile` replay's launches as a launch graph (see `ember_opencl.launch_graph`)."""
        from .launch_graph import record_launches

        return record_launches(body, arrays, scalars, probe)

    def storage_bytes(self, native: Any) -> np.ndarray:
        """The whole buffer under `native`, copied to the host as bytes (Tensor.untyped_storage())."""
        from .clarray import CLArray, to_numpy

        return to_numpy(CLArray(native.device, native.buffer, (int(native.buffer.size),), np.dtype(np.uint8)))

    def data_ptr(self, native: Any) -> int:
        """The buffer's cl_mem handle plus the view's byte offset (OpenCL memory has no host address)."""
        return int(native.buffer.int_ptr) + native.offset * native.dtype.itemsize
