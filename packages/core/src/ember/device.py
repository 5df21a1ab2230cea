"""Devices: a device type (an open string a backend registers) and an index."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["Device", "device"]

_DEVICE_RE = re.compile(r"^([a-zA-Z_][a-zA-Z0-9_]*)(?::(\d+))?$")


class Device:
    """Where a tensor lives: `Device("cpu")`, `Device("cuda", 1)`, `device("opencl:0")`.

    Instances are interned, so devices compare with `is` on the hot path.
    """

    __slots__ = ("type", "index")
    _interned: dict[tuple[str, int], Device] = {}
    type: str
    index: int

    def __new__(cls, type: str | Device, index: int | None = None) -> Device:  # noqa: A002
        if isinstance(type, Device):
            return type
        if index is None:
            m = _DEVICE_RE.match(type) if isinstance(type, str) else None
            if m is None:
                raise ValueError(
                    f"invalid device string {type!r}: expected 'TYPE' or 'TYPE:INDEX', e.g. 'cpu', 'cuda:1', 'opencl'"
                )
            type, idx = m.group(1), m.group(2)  # noqa: A001
            index = int(idx) if idx is not None else 0
        if index < 0:
            raise ValueError(f"invalid device index {index} for device type {type!r}: it must be >= 0")
        key = (type, index)
        dev = cls._interned.get(key)
        if dev is None:
            dev = object.__new__(cls)
            object.__setattr__(dev, "type", type)
            object.__setattr__(dev, "index", index)
            cls._interned[key] = dev
        return dev

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Device is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Device, (self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.type == "cpu" else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.type == "cpu":
            return "device(type='cpu')"  # PyTorch's text: the one host device has no index
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except ValueError:
                return False
        return self is other

    def __hash__(self) -> int:
        return hash((self.type, self.index))


def device(spec: str | Device, index: int | None = None) -> Device:
    """Parse a device spec ("cpu", "cuda:1", Device) into an interned Device."""
    return Device(spec, index)
