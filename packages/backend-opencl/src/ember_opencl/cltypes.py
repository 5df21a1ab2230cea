"""NumPy dtype <-> OpenCL C type names, and the source preamble every kernel starts with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

CTYPES = {
    np.dtype(np.bool_): "uchar",
    np.dtype(np.int8): "char",
    np.dtype(np.uint8): "uchar",
    np.dtype(np.int16): "short",
    np.dtype(np.int32): "int",
    np.dtype(np.int64): "long",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}

#: The NumPy scalar type pyopencl passes for a kernel argument of each dtype (bool travels as uchar).
ARG_TYPES = {dt: (np.uint8 if dt == np.bool_ else dt.type) for dt in CTYPES}


def ctype(dtype: Any) -> str:
    try:
        return CTYPES[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"the OpenCL backend has no kernels for dtype {np.dtype(dtype)}") from None


def preamble(dtypes: Iterable[Any]) -> str:
    """Enable fp64 when a double appears."""
    if any(np.dtype(d) == np.float64 for d in dtypes):
        return "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    return ""
