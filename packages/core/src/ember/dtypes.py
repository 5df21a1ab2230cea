"""Ember's dtypes and PyTorch's type-promotion rules.

A dtype is a singleton `DType`; NumPy's dtype of the same name is its host
representation, which every backend uses to move data to and from the host.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

__all__ = [
    "DType",
    "bool_",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "all_dtypes",
    "promote_types",
    "result_type",
    "get_default_dtype",
    "set_default_dtype",
    "as_dtype",
    "can_cast",
    "finfo",
    "iinfo",
]


class DType:
    """A tensor element type. Compare with `is`; each dtype exists once."""

    __slots__ = ("name", "numpy", "itemsize", "is_floating_point", "is_complex", "is_signed", "kind", "_rank")

    def __init__(self, name: str, numpy_dtype: Any, kind: str, rank: int) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.itemsize = self.numpy.itemsize
        self.kind = kind  # "b" bool, "i" integer, "f" floating, "c" complex
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "fc" or (kind == "i" and name != "uint8")
        self._rank = rank

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self) -> str:
        return self.name if self.name != "bool" else "bool_"

    def to_real(self) -> DType:
        """The dtype of a complex dtype's real and imaginary parts (complex64 -> float32); others: itself."""
        return _REAL_OF.get(self, self)

    def to_complex(self) -> DType:
        """The complex dtype whose parts are this floating dtype (float64 -> complex128; float32 and the
        half-precision ones -> complex64, as Ember has no complex32); a complex dtype: itself."""
        if self.kind == "c":
            return self
        return complex128 if self is float64 else complex64


def _bfloat16_numpy() -> Any:
    try:
        import ml_dtypes  # optional: bfloat16 exists only with it

        return ml_dtypes.bfloat16
    except ImportError:  # pragma: no cover - depends on the environment
        return None


bool_ = DType("bool", np.bool_, "b", 0)
uint8 = DType("uint8", np.uint8, "i", 1)
int8 = DType("int8", np.int8, "i", 1)
int16 = DType("int16", np.int16, "i", 2)
int32 = DType("int32", np.int32, "i", 3)
int64 = DType("int64", np.int64, "i", 4)
float16 = DType("float16", np.float16, "f", 1)
float32 = DType("float32", np.float32, "f", 3)
float64 = DType("float64", np.float64, "f", 4)
_bf16 = _bfloat16_numpy()
bfloat16: DType | None = DType("bfloat16", _bf16, "f", 2) if _bf16 is not None else None
complex64 = DType("complex64", np.complex64, "c", 3)  # ranked by the rank of their parts
complex128 = DType("complex128", np.complex128, "c", 4)
_REAL_OF = {complex64: float32, complex128: float64}

all_dtypes: tuple[DType, ...] = tuple(
    d
    for d in (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
    if d is not None
)
#: the dtypes that are not complex: what a backend without complex support holds, what real-only sweeps run over
real_dtypes: tuple[DType, ...] = tuple(d for d in all_dtypes if d.kind != "c")

_BY_NAME: dict[str, DType] = {d.name: d for d in all_dtypes}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64, "int": int32, "short": int16})
_BY_NAME.update({"cfloat": complex64, "cdouble": complex128})
_BY_NUMPY: dict[np.dtype, DType] = {d.numpy: d for d in all_dtypes}

_default_float: DType = float32


def get_default_dtype() -> DType:
    """The dtype of tensors made from Python floats (float32 unless changed)."""
    return _default_float


def get_default_complex_dtype() -> DType:
    """The dtype of tensors made from Python complex numbers: complex64 under a float32 (or half) default,
    complex128 under float64 (PyTorch's rule)."""
    return _default_float.to_complex()


def set_default_dtype(dtype: DType) -> None:
    """Set the floating dtype that Python floats and int-to-float ops produce."""
    global _default_float
    d = as_dtype(dtype)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes can be the default, got {d}")
    _default_float = d


def as_dtype(obj: Any) -> DType:
    """Turn a DType, a NumPy dtype, a Python type or a name into an Ember dtype."""
    if isinstance(obj, DType):
        return obj
    if obj is bool:
        return bool_
    if obj is int:
        return int64
    if obj is float:
        return _default_float
    if obj is complex:
        return get_default_complex_dtype()
    if isinstance(obj, str) and obj in _BY_NAME:
        return _BY_NAME[obj]
    try:
        nd = np.dtype(obj)
    except TypeError:
        nd = None
    if nd is not None and nd in _BY_NUMPY:
        return _BY_NUMPY[nd]
    names = ", ".join(d.name for d in all_dtypes)
    raise TypeError(f"unsupported dtype {obj!r}: Ember supports {names}")


def from_numpy_dtype(nd: np.dtype) -> DType:
    d = _BY_NUMPY.get(nd)
    if d is None:
        if nd.kind == "u" and nd.itemsize > 1:
            raise TypeError(
                f"NumPy dtype {nd} has no Ember equivalent; cast it first (e.g. .astype(np.int64))"
            )
        return as_dtype(nd)
    return d


@cache
def promote_types(a: DType, b: DType) -> DType:
    """PyTorch's promotion lattice: bool < integers < floating < complex; ints widen like NumPy; a complex
    dtype with a floating one keeps the wider parts (complex64 with float64 gives complex128)."""
    if a is b:
        return a
    if "c" in (a.kind, b.kind):
        parts = [d.to_real() for d in (a, b) if d.kind in "fc"]
        return (parts[0] if len(parts) == 1 else promote_types(parts[0], parts[1])).to_complex()
    if a.kind != b.kind:
        order = {"b": 0, "i": 1, "f": 2}
        hi, lo = (a, b) if order[a.kind] > order[b.kind] else (b, a)
        return hi
    if a.kind == "f":
        if {a.name, b.name} == {"float16", "bfloat16"}:
            return float32
        return a if a._rank >= b._rank else b
    # two integer types: NumPy's rule (uint8 + int8 -> int16) is PyTorch's too
    return _BY_NUMPY[np.promote_types(a.numpy, b.numpy)]


_CATEGORY = {"b": 0, "i": 1, "f": 2, "c": 3}


def _category(d: DType) -> int:
    return _CATEGORY[d.kind]


def _combine(higher: DType | None, lower: DType | None) -> DType | None:
    # c10's combine_categories: a lower-priority operand only matters if it is
    # of a higher category (e.g. a float scalar with an int tensor).
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":  # a complex operand of lower priority keeps a floating one's precision
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point or _category(lower) > _category(higher):
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value: Any) -> DType:
    """The dtype a Python scalar takes when it has to become a tensor."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _default_float
    if isinstance(value, complex):
        return get_default_complex_dtype()
    raise TypeError(f"expected a tensor or a Python bool/int/float/complex, got {type(value).__name__}")


def result_type(*operands: Any) -> DType:
    """PyTorch's result_type: dimensioned tensors outrank 0-d tensors outrank Python scalars.

    Within a priority the dtypes promote; a lower priority matters only if it brings
    a higher category (bool < int < float < complex).
    """
    dim: DType | None = None
    zero: DType | None = None
    wrapped: DType | None = None
    for op in operands:
        dtype = getattr(op, "dtype", None)
        if isinstance(dtype, DType):
            if op.ndim == 0:
                zero = dtype if zero is None else promote_types(zero, dtype)
            else:
                dim = dtype if dim is None else promote_types(dim, dtype)
        else:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    out = _combine(dim, _combine(zero, wrapped))
    assert out is not None
    return out


def can_cast(from_: DType, to: DType) -> bool:
    """Whether PyTorch's casting rules allow `from_` -> `to` in an in-place op: never to a lower category
    (complex -> floating, floating -> integer, integer -> bool); any size within a category."""
    a, b = as_dtype(from_), as_dtype(to)
    return _category(a) <= _category(b)


class finfo:
    """Machine limits of a floating dtype, as `torch.finfo`: bits, eps, max, min, tiny (= smallest_normal),
    resolution, dtype. `finfo()` describes the default dtype; a complex dtype, the dtype of its parts."""

    bits: int
    eps: float
    max: float
    min: float
    tiny: float
    smallest_normal: float
    resolution: float
    dtype: str

    def __init__(self, type: DType | None = None) -> None:  # noqa: A002 - PyTorch's argument name
        d = get_default_dtype() if type is None else as_dtype(type).to_real()  # a complex dtype: its parts'
        if not d.is_floating_point:
            raise TypeError(f"finfo: {d} is not a floating dtype; use ember.iinfo for integer dtypes")
        info = np.finfo(d.numpy)
        self.bits = d.itemsize * 8
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))  # PyTorch's: 10**-(decimal digits)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )

    def __eq__(self, other: object) -> bool:
        """Two finfo of one dtype are equal (PyTorch's compare their fields)."""
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))


class iinfo:
    """Machine limits of an integer dtype, as `torch.iinfo`: bits, min, max, dtype."""

    bits: int
    min: int
    max: int
    dtype: str

    def __init__(self, type: DType) -> None:  # noqa: A002 - PyTorch's argument name
        d = as_dtype(type)
        if d.kind != "i":
            hint = "use ember.finfo for floating and complex dtypes" if d.kind in "fc" else "bool has no integer limits"
            raise TypeError(f"iinfo: {d} is not an integer dtype; {hint}")
        self.bits = d.itemsize * 8
        info = np.iinfo(d.numpy)
        self.min, self.max = int(info.min), int(info.max)
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"  # PyTorch's text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))


# --------------------------------------------------------------------------- values that a dtype cannot hold

#: The Python ints a tensor op takes as a scalar operand (PyTorch reads them as int64 or uint64; any other
#: raises OverflowError, "int too big to convert"). Within it an int wraps into an integer dtype, as in PyTorch.
SCALAR_INT_MIN, SCALAR_INT_MAX = -(1 << 63), (1 << 64) - 1


def check_scalar_int(value: int, op: str) -> None:
    """OverflowError naming `op` when the Python int `value` is outside int64/uint64 (PyTorch's rule)."""
    if not SCALAR_INT_MIN <= value <= SCALAR_INT_MAX:
        raise OverflowError(
            f"{op}: the Python int {value} is too big to convert: a scalar operand must lie in "
            f"[{SCALAR_INT_MIN}, {SCALAR_INT_MAX}]; use a floating value (float({value})) instead"
        )


@cache
def _int_bounds(d: DType) -> tuple[int, int]:
    info = np.iinfo(d.numpy)
    return int(info.min), int(info.max)


def value_fits(value: Any, d: DType) -> bool:
    """Whether the Python number `value` converts to `d` without overflow, by c10's `overflows` rule: any value
    to bool; finite or not to a floating dtype (too large becomes inf); to an integer dtype an int in
    [min, max] (unsigned: also down to -max, which wraps, as in C) and a float that is finite and in [min, max];
    a complex number to a dtype that is not complex only with a zero imaginary part."""
    if isinstance(value, complex) and d.kind != "c":
        if value.imag != 0:
            return False
        value = value.real
    if d.kind != "i":
        return True
    lo, hi = _int_bounds(d)
    if isinstance(value, float) and value != value:
        return False
    if lo == 0 and not isinstance(value, float):
        lo = -hi
    return lo <= value <= hi


def overflow_error(value: Any, d: DType, op: str) -> RuntimeError:
    """The error for a value that `d` cannot hold (PyTorch's RuntimeError and wording, with the op)."""
    return RuntimeError(f"{op}: value {value!r} cannot be converted to type {d.name} without overflow")


def check_array_fits(arr: np.ndarray, d: DType, op: str) -> None:
    """`value_fits` for every element of a host array of Python-given data (ints, floats or bools) before it
    is cast to `d`; the error names the first offending value. A vectorised min/max (or isfinite) per call."""
    if d.kind != "i" or arr.size == 0 or arr.dtype.kind == "b":
        return
    lo, hi = _int_bounds(d)
    if arr.dtype.kind == "f":
        bad = ~((arr >= lo) & (arr <= hi))  # nan compares False: bad
    elif arr.dtype.kind in "iu":
        if lo == 0:
            lo = -hi
        amin, amax = int(arr.min()), int(arr.max())
        if lo <= amin and amax <= hi:
            return
        bad = (arr < lo) | (arr > hi) if arr.dtype.kind == "i" else arr > hi
    else:
        return
    if bad.any():
        raise overflow_error(arr.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]].item(), d, op)
