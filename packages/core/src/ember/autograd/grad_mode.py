"""Thread-local grad mode: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

Each works as a context manager and as a decorator (generator functions included:
the mode holds for every step of the generator, and not in between).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]

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
    """A grad mode to enter: `enabled` and, for inference_mode, `inference`."""

    _enabled: bool = True
    _inference: bool | None = None

    def _clone(self) -> _Mode:
        other = object.__new__(type(self))
        other._enabled, other._inference = self._enabled, self._inference
        return other

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.inference)
        state.enabled = self._enabled
        if self._inference is not None:
            state.inference = self._inference

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self._prev

    def __call__(self, fn: F) -> F:
        """Use as a decorator: `fn` runs in this mode (each step, for a generator function)."""
        mode = self
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
                with mode._clone():
                    gen = fn(*args, **kwargs)
                    to_send: Any = None
                    first = True
                while True:
                    try:
                        with mode._clone():
                            item = next(gen) if first else gen.send(to_send)
                        first = False
                    except StopIteration as stop:
                        return stop.value
                    to_send = yield item

            return cast(F, gen_wrapper)  # functools.wraps keeps fn's signature

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode._clone():
                return fn(*args, **kwargs)

        return cast(F, wrapper)


class _BareDecorator(_Mode):
    """A mode that also decorates without parentheses, as PyTorch's do: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        mode = super().__new__(cls)
        if orig_func is None:
            return mode
        mode.__init__()  # type: ignore[misc]
        return mode(orig_func)


class no_grad(_BareDecorator):
    """Ops inside record no graph: for evaluation and parameter updates."""

    def __init__(self, orig_func: Callable[..., Any] | None = None) -> None:
        self._enabled = False


class enable_grad(_BareDecorator):
    """Turn graph recording back on inside a `no_grad` block."""

    def __init__(self, orig_func: Callable[..., Any] | None = None) -> None:
        self._enabled = True


class set_grad_enabled(_Mode):
    """Turn graph recording on or off: as a function call, a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self._enabled = bool(mode)
        self._prev = (state.enabled, state.inference)
        state.enabled = self._enabled  # takes effect when called as a plain function too

    def __enter__(self) -> None:
        pass  # already switched by __init__; __exit__ restores what was there before

    def __call__(self, fn: F) -> F:
        state.enabled, state.inference = self._prev  # as a decorator it must not leave the mode switched
        return super().__call__(fn)

    def _clone(self) -> _Mode:
        mode = object.__new__(_Mode)
        mode._enabled, mode._inference = self._enabled, None
        return mode


class inference_mode(_Mode):
    """Like `no_grad`, and tensors made inside are marked inference tensors."""

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        self = super().__new__(cls)
        if isinstance(mode, bool):
            return self
        self.__init__()  # type: ignore[misc]
        return self(mode)  # used bare as a decorator, @inference_mode

    def __init__(self, mode: bool | Callable[..., Any] = True) -> None:
        if not isinstance(mode, bool):
            return  # __new__ decorated the function already
        self._enabled = not mode
        self._inference = bool(mode)
