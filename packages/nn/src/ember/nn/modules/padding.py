"""Padding layers: `ZeroPad1d/2d/3d`, `ConstantPad1d/2d/3d`, `ReflectionPad1d/2d/3d`, `ReplicationPad1d/2d/3d`,
`CircularPad1d/2d/3d`, each a fixed `F.pad` of the last 1, 2 or 3 dims."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from .. import functional as F
from .module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]  # fmt: skip


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        n = 2 * self._nd
        if isinstance(padding, (tuple, list)):
            if len(padding) != n:
                raise ValueError(
                    f"{type(self).__name__}: padding must be an int or a tuple of {n} ints, got {padding!r}"
                )
            self.padding: tuple[int, ...] = tuple(int(p) for p in padding)
        else:
            self.padding = (int(padding),) * n

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with a constant: padding an int or (left, right)."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with a constant: padding an int or (left, right, top, bottom)."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with a constant: padding an int or (left, right, top, bottom, front, back)."""

    _nd = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros: padding an int or (left, right)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros: padding an int or (left, right, top, bottom)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros: padding an int or (left, right, top, bottom, front, back)."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pads (C, W) or (N, C, W) with the reflection of the input (edge not repeated)."""

    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pads (C, H, W) or (N, C, H, W) with the reflection of the input (edge not repeated)."""

    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pads (C, D, H, W) or (N, C, D, H, W) with the reflection of the input (edge not repeated)."""

    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pads (C, W) or (N, C, W) by repeating the edge values."""

    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pads (C, H, W) or (N, C, H, W) by repeating the edge values."""

    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pads (C, D, H, W) or (N, C, D, H, W) by repeating the edge values."""

    _nd, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {nd + 1}D or {nd + 2}D input (got {input.ndim}D input of shape "
                f"{tuple(input.shape)})"
            )
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pads (C, W) or (N, C, W) by wrapping around (periodic boundary)."""

    _nd = 1


class CircularPad2d(_CircularPadNd):
    """Pads (C, H, W) or (N, C, H, W) by wrapping around (periodic boundary)."""

    _nd = 2


class CircularPad3d(_CircularPadNd):
    """Pads (C, D, H, W) or (N, C, D, H, W) by wrapping around (periodic boundary)."""

    _nd = 3
