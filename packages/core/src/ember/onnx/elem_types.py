"""ONNX tensor element types and the Ember dtypes they map to (and the names of those Ember lacks)."""

from __future__ import annotations

from onnx import TensorProto

import ember
from ember import dtypes
from ember.dtypes import DType

#: ONNX element type -> Ember dtype, for every element type Ember has.
_PAIRS: dict[int, DType | None] = {
    TensorProto.FLOAT: ember.float32,
    TensorProto.DOUBLE: ember.float64,
    TensorProto.FLOAT16: ember.float16,
    TensorProto.BFLOAT16: dtypes.bfloat16,
    TensorProto.INT8: ember.int8,
    TensorProto.INT16: ember.int16,
    TensorProto.INT32: ember.int32,
    TensorProto.INT64: ember.int64,
    TensorProto.UINT8: ember.uint8,
    TensorProto.BOOL: ember.bool_,
}
TO_EMBER: dict[int, DType] = {k: v for k, v in _PAIRS.items() if v is not None}  # bfloat16 needs ml_dtypes
#: Ember dtype -> ONNX element type.
FROM_EMBER: dict[DType, int] = {v: k for k, v in TO_EMBER.items()}


def type_name(elem_type: int) -> str:
    """The ONNX name of an element type (``FLOAT8E4M3FN``), or its number when ONNX does not know it."""
    try:
        return str(TensorProto.DataType.Name(elem_type))
    except ValueError:
        return f"element type {elem_type}"


def to_ember(elem_type: int, where: str) -> DType:
    """The Ember dtype of an ONNX element type; a `TypeError` naming `where` for types Ember lacks."""
    try:
        return TO_EMBER[elem_type]
    except KeyError:
        have = ", ".join(type_name(t) for t in TO_EMBER)
        raise TypeError(
            f"{where}: ONNX element type {type_name(elem_type)} has no Ember dtype (Ember has {have})"
        ) from None
