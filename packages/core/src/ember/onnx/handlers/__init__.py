"""The ONNX operator handlers, one module per family; importing this package fills `ember.onnx.ops_table`."""

from __future__ import annotations

from . import (
    attention,
    control,
    detection,
    elementwise,
    indexing,
    layers,
    losses,
    movement,
    quantization,
    random,
    recurrent,
    reduction,
    resize,
    signal,
    text,
)

__all__ = ["attention", "control", "detection", "elementwise", "indexing", "layers", "losses", "movement", "quantization", "random", "recurrent", "reduction", "resize", "signal", "text"]
