"""A third-party-style backend for tests: NumPy arrays boxed in `FakeArray`.

The box makes a mix-up visible: a kernel or transfer that gets a bare NumPy array
where a FakeArray is due (or the reverse) fails loudly instead of silently working.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import ember


class FakeArray:
    """The fake backend's native array."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        assert isinstance(array, np.ndarray), type(array)
        self.array = array

    def __repr__(self) -> str:
        return f"FakeArray({self.array!r})"


def unbox(x: Any) -> Any:
    if isinstance(x, FakeArray):
        return x.array
    if isinstance(x, (tuple, list)):
        return type(x)(unbox(v) for v in x)
    assert not isinstance(x, np.ndarray), "a fake kernel got a bare NumPy array (a host array leaked in)"
    return x


def box(x: Any) -> Any:
    if isinstance(x, (np.ndarray, np.generic)):
        return FakeArray(np.asarray(x))
    if isinstance(x, (tuple, list)):
        return type(x)(box(v) for v in x)
    return x


def delegate(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A fake kernel that runs `fn` (a NumPy-array kernel) on the unboxed arrays."""

    def kernel(*args: Any, **kwargs: Any) -> Any:
        return box(fn(*unbox(args), **{k: unbox(v) for k, v in kwargs.items()}))

    kernel.__name__ = f"fake_{getattr(fn, '__name__', 'kernel')}"
    return kernel


def delegate_all(kernels: Mapping[str, Callable[..., Any]], *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    return {name: delegate(k) for name, k in kernels.items() if name not in without}


class FakeBackend(ember.Backend):
    name = "fake"
    device_type = "fake"
    api_version = ember.PLUGIN_API_VERSION
    dtypes = frozenset(ember.dtypes.all_dtypes)

    def device_names(self) -> list[str]:
        return [f"{self.device_type}:{i} (boxed NumPy)" for i in range(self.device_count())]

    def from_host(self, array: np.ndarray, index: int) -> FakeArray:
        assert isinstance(array, np.ndarray), f"from_host got {type(array)}"
        return FakeArray(np.array(array, copy=True))

    def to_host(self, native: Any) -> np.ndarray:
        assert isinstance(native, FakeArray), f"to_host got {type(native)}, not a FakeArray"
        return native.array.copy()
