"""The NumPy backend object: host transfers (zero-copy) and the kernel table."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from .kernels import KERNELS


class NumpyBackend(ember.Backend):
    name = "numpy"
    device_type = "cpu"
    api_version = (1, 0)
    dtypes = frozenset(ember.dtypes.all_dtypes)
    kernels = KERNELS
    dlpack_device_type = 1  # kDLCPU

    def device_count(self) -> int:
        return 1

    def device_names(self) -> list[str]:
        import platform

        return [f"cpu:0 ({platform.processor() or platform.machine()}, NumPy {np.__version__})"]

    def from_host(self, array: np.ndarray, index: int) -> np.ndarray:
        return array

    def to_host(self, native: np.ndarray) -> np.ndarray:
        return native

    def from_dlpack(self, obj: Any, index: int) -> np.ndarray:
        return np.from_dlpack(obj)
