"""ONNX interchange: `export` writes a model as an ONNX file (needs the extra `ember-core[onnx]`)."""

from __future__ import annotations

from .export import DEFAULT_OPSET, SUPPORTED_OPSETS, ExportError, export

__all__ = ["export", "ExportError", "DEFAULT_OPSET", "SUPPORTED_OPSETS"]
