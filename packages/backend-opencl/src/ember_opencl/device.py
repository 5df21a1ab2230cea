"""OpenCL devices: discovery, one context, queue, memory pool and kernel cache per device.

Which devices Ember uses, in order (``"opencl:N"`` is the N-th):
``EMBER_OPENCL_DEVICE`` or else pyopencl's own ``PYOPENCL_CTX``, both as
``PLATFORM[:DEVICE]`` indices (``"0:1"``, or ``"0"`` for all of platform 0);
otherwise every device of every platform.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ember"


# PoCL keeps compiled kernels on disk here across processes (read when the platform first loads).
os.environ.setdefault("POCL_CACHE_DIR", str(_cache_home() / "pocl"))

import pyopencl as cl  # noqa: E402
import pyopencl.tools  # noqa: E402


class Device:
    """One OpenCL device as Ember uses it: context, in-order queue, memory pool, built kernels."""

    def __init__(self, index: int, cl_device: Any) -> None:
        self.index = index
        self.cl_device = cl_device
        self.context = cl.Context([cl_device])
        self.queue = cl.CommandQueue(self.context)
        self.pool = cl.tools.MemoryPool(cl.tools.ImmediateAllocator(self.queue))
        extensions = cl_device.extensions.split()
        self.fp64 = "cl_khr_fp64" in extensions or cl_device.double_fp_config != 0
        self.fp16 = "cl_khr_fp16" in extensions
        self.max_work_group_size: int = cl_device.max_work_group_size
        self.compute_units: int = cl_device.max_compute_units
        self.is_cpu = bool(cl_device.type & cl.device_type.CPU)
        self._kernels: dict[Any, Launcher] = {}
        self._lock = threading.Lock()
        #: The launch recorder (`ember_opencl.launch_graph`) while `ember.compile` records a replay's launches
        #: (in its own thread: other threads' launches, allocations and copies go on as usual).
        self.recorder: Any = None

    @property
    def name(self) -> str:
        d = self.cl_device
        kind = next((k for k in ("GPU", "CPU", "ACCELERATOR") if d.type & getattr(cl.device_type, k)), "device")
        caps = ", ".join(
            [f"{self.compute_units} compute units", f"{d.global_mem_size >> 20} MiB"]
            + (["fp64"] if self.fp64 else ["no fp64"])
            + (["fp16"] if self.fp16 else [])
            + [f"max work-group {self.max_work_group_size}"]
        )
        return f"opencl:{self.index} ({d.name.strip()}, {kind}, {d.platform.name.strip()}, {d.version.strip()}; {caps})"

    def alloc(self, nbytes: int) -> Any:
        """A pooled buffer of at least `nbytes` (never empty: OpenCL refuses zero-size buffers)."""
        buf = self.pool.allocate(max(int(nbytes), 8))
        if self.recorder is not None and self.recorder.thread == threading.get_ident():
            self.recorder.allocated(buf, max(int(nbytes), 8))
        return buf

    def host_transfer(self, what: str) -> None:
        """Called before a copy between host and device: a launch recording cannot replay one."""
        if self.recorder is not None and self.recorder.thread == threading.get_ident():
            self.recorder.refuse(what)

    def kernel(self, key: Any, source: Callable[[], str], name: str, scalar_dtypes: Sequence[Any]) -> Launcher:
        """The kernel `name` of `source()`, built once per key and device (PoCL caches the binary on disk)."""
        k = self._kernels.get(key)
        if k is None:
            with self._lock:
                k = self._kernels.get(key)
                if k is None:
                    src = source()
                    try:
                        with warnings.catch_warnings():  # the compiler's remarks on generated code are not the user's
                            warnings.simplefilter("ignore", cl.CompilerWarning)
                            program = cl.Program(self.context, src).build()
                    except cl.RuntimeError as exc:  # a bug in Ember's generated source: show it
                        raise RuntimeError(f"OpenCL could not build Ember's kernel {name!r}: {exc}\n{src}") from exc
                    k = Launcher(self, getattr(program, name), list(scalar_dtypes), src)
                    self._kernels[key] = k
        return k

    def synchronize(self) -> None:
        self.queue.finish()


class Launcher:
    """A built kernel, called as pyopencl's are (``k(queue, global_size, local_size, *args)``); while a
    launch recorder is on its device, the call goes to the recorder instead."""

    __slots__ = ("device", "kernel", "scalar_dtypes", "source")

    def __init__(self, device: Device, kernel: Any, scalar_dtypes: list[Any], source: str) -> None:
        kernel.set_scalar_arg_dtypes(scalar_dtypes)
        self.device, self.kernel, self.scalar_dtypes = device, kernel, scalar_dtypes
        self.source = source  # (a launch graph merges independent launches from their sources: `merge`)

    def __call__(self, queue: Any, global_size: Any, local_size: Any, *args: Any) -> Any:
        recorder = self.device.recorder
        if recorder is None or recorder.thread != threading.get_ident():
            return self.kernel(queue, global_size, local_size, *args)
        return recorder.launch(self, queue, global_size, local_size, args)


def _parse_selector(text: str, variable: str) -> tuple[int, int | None]:
    parts = text.strip().split(":")
    try:
        platform = int(parts[0])
        device = int(parts[1]) if len(parts) > 1 and parts[1] != "" else None
    except ValueError:
        raise ValueError(f"{variable}={text!r}: expected PLATFORM[:DEVICE] as indices, e.g. '0' or '0:1'") from None
    return platform, device


def _select() -> list[Any]:
    """The cl.Device objects Ember uses, in order."""
    platforms = cl.get_platforms()
    for variable in ("EMBER_OPENCL_DEVICE", "PYOPENCL_CTX"):
        text = os.environ.get(variable)
        if text:
            p, d = _parse_selector(text, variable)
            if not 0 <= p < len(platforms):
                raise ValueError(f"{variable}={text!r}: there are {len(platforms)} OpenCL platform(s)")
            devices = platforms[p].get_devices()
            if d is None:
                return list(devices)
            if not 0 <= d < len(devices):
                raise ValueError(f"{variable}={text!r}: platform {p} has {len(devices)} device(s)")
            return [devices[d]]
    return [d for p in platforms for d in p.get_devices()]


@cache
def _discover() -> tuple[list[Device], str | None]:
    try:
        found = _select()
    except cl.Error as exc:
        return (
            [],
            f"no usable OpenCL platform: pyopencl says {exc} (install an OpenCL driver, e.g. Debian's pocl-opencl-icd)",
        )
    except ValueError as exc:
        return [], str(exc)
    if not found:
        return [], "pyopencl found OpenCL platforms but no devices on them"
    return [Device(i, d) for i, d in enumerate(found)], None


def devices() -> list[Device]:
    """The devices Ember uses (empty when OpenCL is unusable; `unavailable_reason` says why)."""
    return _discover()[0]


def unavailable_reason() -> str | None:
    return _discover()[1]


def get(index: int) -> Device:
    found = devices()
    if not 0 <= index < len(found):
        raise RuntimeError(f"device opencl:{index} does not exist: there are {len(found)} OpenCL device(s)")
    return found[index]


def numpy_dtypes(device: Device) -> list[np.dtype]:
    """The NumPy dtypes `device` computes in (float64 only with fp64 support; never float16/bfloat16)."""
    names = ["bool", "int8", "uint8", "int16", "int32", "int64", "float32"] + (["float64"] if device.fp64 else [])
    return [np.dtype(n) for n in names]
