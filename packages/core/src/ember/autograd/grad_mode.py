"""Thread-local grad mode: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    """Whether ops record the graph in this thread."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base of the grad-mode context managers; also usable as decorators."""

    _enabled: bool
    _inference: bool | None = None

    def __enter__(self) -> None:
        # set_grad_enabled(...) already switched the mode when it was made; it left the old one here
        self._prev = self.__dict__.pop("_prev_at_init", None) or (state.enabled, state.inference)
        state.enabled = self._enabled
        if self._inference is not None:
            state.inference = self._inference

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self._prev

    def __call__(self, fn: F) -> F:
        mode = self

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(mode).__new__(type(mode)).__init_copy__(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __init_copy__(self, other: _Mode) -> _Mode:
        self._enabled = other._enabled
        self._inference = other._inference
        return self


class no_grad(_Mode):
    """Ops inside record no graph: for evaluation and parameter updates."""

    def __init__(self) -> None:
        self._enabled = False


class enable_grad(_Mode):
    """Turn graph recording back on inside a `no_grad` block."""

    def __init__(self) -> None:
        self._enabled = True


class set_grad_enabled(_Mode):
    """Turn graph recording on or off; works as a function, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._prev_at_init = (state.enabled, state.inference)
        self._enabled = bool(mode)
        state.enabled = self._enabled  # takes effect when called as a plain function too


class inference_mode(_Mode):
    """Like `no_grad`, and tensors made inside are marked inference tensors."""

    def __init__(self, mode: bool = True) -> None:
        self._enabled = not mode
        self._inference = bool(mode)
