"""ONNX interchange: ``ember.onnx.load`` imports an ONNX model as an ``ember.nn.Module`` (needs the extra
``ember-core[onnx]`` and ember-nn); `ember.onnx.backend` runs ONNX's backend test suite against Ember."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .importer import OnnxImportError, OnnxModule, load

__all__ = ["OnnxImportError", "OnnxModule", "load"]


def __getattr__(name: str) -> Any:
    # imported on first use: the importer needs the onnx package and ember.nn, which `import ember` does not
    if name in __all__:
        from . import importer

        return getattr(importer, name)
    raise AttributeError(f"module 'ember.onnx' has no attribute {name!r}")
