"""The ONNX operator handlers, one module per family; importing this package fills `ember.onnx.ops_table`."""

from __future__ import annotations

from . import elementwise, indexing, layers, movement, reduction

__all__ = ["elementwise", "indexing", "layers", "movement", "reduction"]
