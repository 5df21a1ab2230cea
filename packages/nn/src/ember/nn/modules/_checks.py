"""Constructor argument checks shared by the layers: each error names the layer, the argument and its value,
so a bad `stride=0` fails where it is written, not as a ZeroDivisionError deep inside the first forward."""

from __future__ import annotations

from typing import Any

from ..functional import _AssertError, _AssertTypeError  # noqa: F401  (re-exported for the layers)


class _SizeError(ValueError, RuntimeError):
    """A bad size argument: a ValueError, and the RuntimeError that PyTorch raises for it (from the
    negative dimension of the weight it would make, or from the first forward)."""


def _ints(layer: str, name: str, value: Any) -> tuple[Any, ...]:
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for v in vals:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise TypeError(f"{layer}: {name} must be an int or a tuple of ints, got {value!r}")
    return vals


def positive(layer: str, name: str, value: Any) -> None:
    """Every int in `value` (an int or a tuple) is > 0: kernel sizes, strides, dilations."""
    if any(v <= 0 for v in _ints(layer, name, value)):
        raise _SizeError(f"{layer}: {name} must be positive, got {name}={value!r}")


def non_negative(layer: str, name: str, value: Any) -> None:
    """Every int in `value` is >= 0: paddings, feature and channel counts."""
    if any(v < 0 for v in _ints(layer, name, value)):
        raise _SizeError(f"{layer}: {name} must be non-negative, got {name}={value!r}")


def probability(layer: str, name: str, p: Any) -> None:
    """0 <= p <= 1 (a dropout probability)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{layer}: {name} probability has to be between 0 and 1, but got {p!r}")
