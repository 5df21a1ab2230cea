"""The kernel table: every primitive and composite override, gathered from the modules that define them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import convolution, elementwise, indexing, linalg, movement, random, reduction, sorting

KERNELS: dict[str, Callable[..., Any]] = {}
for _module in (elementwise, movement, reduction, sorting, indexing, random, linalg, convolution):
    KERNELS.update(_module.KERNELS)
