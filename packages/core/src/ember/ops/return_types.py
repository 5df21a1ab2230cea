"""Named-tuple result types, one per op and named after it as PyTorch's `torch.return_types` are
(`max`, `sort`, `linalg_qr`, ...), so `type(ember.max(x, 0)).__name__` reads as PyTorch's does."""

from __future__ import annotations

from collections import namedtuple
from functools import cache
from typing import Any


@cache
def return_type(name: str, fields: tuple[str, ...]) -> Any:
    """The named-tuple class `name` with `fields` (made once, then shared)."""
    return namedtuple(name, fields)


def values_indices(name: str, values: Any, indices: Any) -> Any:
    """The `(values, indices)` result of op `name` (max, min, sort, topk, kthvalue, median, mode, ...)."""
    return return_type(name, ("values", "indices"))(values, indices)
