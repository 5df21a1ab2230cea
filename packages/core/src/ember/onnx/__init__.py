"""ONNX interchange (needs the extra ``ember-core[onnx]``): `export` writes a model as an ONNX file;
``load`` imports an ONNX model as an ``ember.nn.Module`` (it needs ember-nn too); `ember.onnx.backend`
runs ONNX's backend test suite against Ember."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .export import DEFAULT_OPSET, SUPPORTED_OPSETS, ExportError, export

if TYPE_CHECKING:
    from .importer import OnnxImportError, OnnxModule, load

__all__ = ["export", "ExportError", "DEFAULT_OPSET", "SUPPORTED_OPSETS", "load", "OnnxModule", "OnnxImportError"]

_IMPORTER = ("load", "OnnxModule", "OnnxImportError")


def __getattr__(name: str) -> Any:
    # imported on first use: the importer needs the onnx package and ember.nn, which `import ember.onnx` does not
    if name in _IMPORTER:
        from . import importer

        return getattr(importer, name)
    raise AttributeError(f"module 'ember.onnx' has no attribute {name!r}")
