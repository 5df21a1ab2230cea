"""The backend object: what Ember needs to know about this device and its arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from .kernels import KERNELS


class StrictBackend(ember.Backend):
    name = "strict"
    device_type = "strict"
    api_version = (1, 0)  # the Ember plugin API this backend was written for
    # array-api-strict has no float16 or bfloat16, and this template's kernels leave complex dtypes out:
    # Ember refuses those dtypes on this device, clearly
    dtypes = frozenset(
        d for d in ember.dtypes.real_dtypes if d.name not in ("float16", "bfloat16")
    )
    kernels = KERNELS

    def unavailable_reason(self) -> str | None:
        try:
            import array_api_strict  # noqa: F401
        except ImportError as exc:  # pragma: no cover - it is a dependency
            return f"array-api-strict cannot be imported: {exc}"
        return None

    def device_count(self) -> int:
        return 1

    def device_names(self) -> list[str]:
        import array_api_strict

        return [f"strict:0 (array-api-strict {array_api_strict.__version__})"]

    def from_host(self, array: np.ndarray, index: int) -> Any:
        import array_api_strict as xp

        return xp.asarray(array)

    def to_host(self, native: Any) -> np.ndarray:
        return np.from_dlpack(native)
