"""Anomaly detection, as `torch.autograd.detect_anomaly`: while on, backward checks every gradient a node
returns and raises at the first NaN, naming the node (a debugging aid; it costs a check per node)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


class _State:
    """Process-wide, as in PyTorch (not per thread)."""

    enabled = False
    check_nan = True


state = _State()


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class _AnomalyMode:
    _mode: bool = True
    _check_nan: bool = True

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = self._mode, self._check_nan

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self._prev

    def __call__(self, fn: F) -> F:
        """Use as a decorator: `fn` runs in this mode."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = (state.enabled, state.check_nan)
            state.enabled, state.check_nan = self._mode, self._check_nan
            try:
                return fn(*args, **kwargs)
            finally:
                state.enabled, state.check_nan = prev

        return cast(F, wrapper)


class detect_anomaly(_AnomalyMode):
    """Context manager (or decorator) that turns anomaly detection on: backward raises at the first gradient
    with a NaN (with ``check_nan=True``), naming the node that produced it."""

    def __init__(self, check_nan: bool = True) -> None:
        self._mode, self._check_nan = True, check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.",
            stacklevel=2,
        )


class set_detect_anomaly(_AnomalyMode):
    """Turn anomaly detection on or off: as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (state.enabled, state.check_nan)
        self._mode, self._check_nan = bool(mode), check_nan
        state.enabled, state.check_nan = self._mode, check_nan  # takes effect when called as a plain function

    def __enter__(self) -> None:
        pass  # already switched by __init__; __exit__ restores what was there before


def check_gradients(node: Any, grads: Any) -> None:
    """Raise PyTorch's error if one of a node's returned gradients holds a NaN (anomaly mode with check_nan)."""
    from ..tensor import Tensor

    fn_cls = getattr(node, "fn_cls", None)
    if fn_cls is not None:  # a custom Function: PyTorch's "<Class>Backward"
        name = f"{fn_cls.__name__}Backward"
    else:  # a built-in op, in PyTorch's style: mul -> MulBackward0
        name = "".join(part[:1].upper() + part[1:] for part in str(node.name).split("_")) + "Backward0"
    for i, g in enumerate(grads):
        if isinstance(g, Tensor) and (g.dtype.is_floating_point or g.dtype.is_complex) and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{name}' returned nan values in its {i}th output.")
