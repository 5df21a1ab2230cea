"""Type promotion against a hand-written table of PyTorch's documented rules.

PyTorch (docs: "Type Promotion", torch.result_type): operands are ranked dimensioned tensors >
zero-dim tensors > Python scalars; within a rank the dtypes promote; a lower rank matters only
if it brings a higher category (bool < integer < floating), and a Python float then means the
default dtype (float32). True division of integers gives the default float; integer and bool
sums give int64. The expected dtypes below are written out by hand, not computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

# operand spec: ("dtype", ndim) is a tensor of that dtype with ndim dims (0 = a 0-d tensor); else a Python scalar
PROMOTION_TABLE: list[tuple[Any, Any, str]] = [
    # tensor + tensor, same rank
    (("int32", 1), ("int64", 1), "int64"),
    (("uint8", 1), ("int8", 1), "int16"),
    (("uint8", 1), ("int16", 1), "int16"),
    (("int8", 1), ("int64", 1), "int64"),
    (("float32", 1), ("float64", 1), "float64"),
    (("float16", 1), ("float32", 1), "float32"),
    (("int64", 1), ("float32", 1), "float32"),  # long + float -> float (only needs to hold the float)
    (("int64", 1), ("float16", 1), "float16"),
    (("bool", 1), ("int32", 1), "int32"),
    (("bool", 1), ("uint8", 1), "uint8"),
    (("bool", 1), ("bool", 1), "bool"),
    (("bool", 1), ("float16", 1), "float16"),
    # weak Python scalars
    (("int32", 1), 5, "int32"),
    (("int32", 1), 2.5, "float32"),
    (("int64", 1), 2.5, "float32"),
    (("uint8", 1), 5, "uint8"),
    (("int16", 1), True, "int16"),
    (("float16", 1), 2.5, "float16"),
    (("float64", 1), 2, "float64"),
    (("bool", 1), 1, "int64"),
    (("bool", 1), 1.5, "float32"),
    (("bool", 1), True, "bool"),
    (5, ("int8", 1), "int8"),
    (2.5, ("int32", 2), "float32"),
    # 0-d tensors against dimensioned ones
    (("int32", 1), ("int64", 0), "int32"),  # int_tensor + long_zerodim -> int32
    (("float32", 1), ("float64", 0), "float32"),
    (("int32", 1), ("float64", 0), "float64"),  # a higher-category 0-d tensor decides
    (("uint8", 1), ("int8", 0), "uint8"),
    (("bool", 1), ("int64", 0), "int64"),
    (("float16", 2), ("float64", 0), "float16"),
    (("int64", 0), ("int32", 0), "int64"),  # only 0-d tensors: they promote among themselves
    (("int64", 0), ("float32", 1), "float32"),
    # 0-d tensors against Python scalars
    (("int32", 0), 2.5, "float32"),
    (("float64", 0), 2.5, "float64"),
    (("int32", 0), 5, "int32"),
    (("bool", 0), 5, "int64"),
]


def _operand(spec: Any, device: str) -> Any:
    if isinstance(spec, tuple):
        dtype, ndim = spec
        shape = (2,) * ndim
        return ember.ones(shape, dtype=getattr(ember, dtype if dtype != "bool" else "bool_"), device=device)
    return spec


def _require(backend: Any, *specs: Any) -> None:
    for s in specs:
        if isinstance(s, tuple):
            d = ember.dtypes.as_dtype(s[0])
            if d not in backend.dtypes:
                pytest.skip(f"backend {backend.name!r} does not support dtype {d.name}")


def _id(spec: Any) -> str:
    if isinstance(spec, tuple):
        return f"{spec[0]}{'-0d' if spec[1] == 0 else ''}"
    return f"py{type(spec).__name__}"


@pytest.mark.parametrize(
    ("a", "b", "expected"), [pytest.param(a, b, e, id=f"{_id(a)}+{_id(b)}") for a, b, e in PROMOTION_TABLE]
)
def test_binary_promotion(a: Any, b: Any, expected: str, backend: Any, device: str) -> None:
    """add, mul, maximum and where promote like PyTorch; result_type agrees; so do the values."""
    _require(backend, a, b)
    x, y = _operand(a, device), _operand(b, device)
    assert ember.result_type(x, y).name == expected
    out = x + y
    assert out.dtype.name == expected, f"{_id(a)} + {_id(b)}: {out.dtype.name}, expected {expected}"
    assert (x * y).dtype.name == expected
    assert (y + x).dtype.name == expected
    cond = ember.tensor([True, False], device=device)
    assert ember.where(cond, x, y).dtype.name == expected
    value = sum(1.0 if isinstance(s, tuple) else float(s) for s in (a, b))
    np.testing.assert_array_equal(out.numpy().astype(np.float64), min(value, 1.0) if expected == "bool" else value)


DIVISION_TABLE = [
    (("int64", 1), ("int64", 1), "float32"),
    (("int32", 1), 2, "float32"),
    (("int64", 1), 2.0, "float32"),
    (("bool", 1), ("bool", 1), "float32"),
    (("int32", 1), ("float64", 1), "float64"),
    (("float16", 1), 2, "float16"),
    (("int64", 1), ("float64", 0), "float64"),
]


@pytest.mark.parametrize(
    ("a", "b", "expected"), [pytest.param(a, b, e, id=f"{_id(a)}/{_id(b)}") for a, b, e in DIVISION_TABLE]
)
def test_true_division_promotion(a: Any, b: Any, expected: str, backend: Any, device: str) -> None:
    _require(backend, a, b)
    out = _operand(a, device) / _operand(b, device)
    assert out.dtype.name == expected
    np.testing.assert_allclose(out.numpy().astype(np.float64), 1.0 if not isinstance(b, (int, float)) else 1 / b)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [("int32", "int32"), ("int8", "int8"), ("uint8", "uint8"), ("float32", "float32"), ("float64", "float64")],
)
def test_floor_divide_and_remainder_keep_dtype(dtype: str, expected: str, backend: Any, device: str) -> None:
    _require(backend, (dtype, 1))
    x = ember.tensor([7, 8, 9], dtype=dtype, device=device)
    assert (x // 2).dtype.name == expected
    assert (x % 2).dtype.name == expected
    np.testing.assert_array_equal((x // 2).numpy(), np.array([3, 4, 4], dtype))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"])
def test_comparisons_give_bool(op: str, device: str) -> None:
    x = ember.tensor([1, 2, 3], dtype=ember.int32, device=device)
    y = ember.tensor([1.5, 2.0, 0.0], dtype=ember.float32, device=device)
    fn = getattr(ember, op)
    for a, b in ((x, y), (x, 2), (y, 2.5), (x, True)):
        assert fn(a, b).dtype is ember.bool_


REDUCTION_TABLE = [
    ("sum", "int32", "int64"),
    ("sum", "uint8", "int64"),
    ("sum", "bool", "int64"),
    ("sum", "float32", "float32"),
    ("sum", "float16", "float16"),
    ("prod", "int8", "int64"),
    ("prod", "bool", "int64"),
    ("cumsum", "int32", "int64"),
    ("cumsum", "bool", "int64"),
    ("cumsum", "float64", "float64"),
    ("mean", "float64", "float64"),
    ("amax", "int32", "int32"),
    ("amax", "uint8", "uint8"),
    ("all", "int64", "bool"),
    ("any", "float32", "bool"),
    ("argmax", "float32", "int64"),
]


@pytest.mark.parametrize(("op", "dtype", "expected"), REDUCTION_TABLE, ids=[f"{o}-{d}" for o, d, _ in REDUCTION_TABLE])
def test_reduction_dtype(op: str, dtype: str, expected: str, backend: Any, device: str) -> None:
    _require(backend, (dtype, 1))
    x = ember.tensor([[1, 0, 1], [1, 1, 0]], dtype=dtype, device=device)
    out = ember.cumsum(x, 1) if op == "cumsum" else getattr(ember, op)(x)
    assert out.dtype.name == expected


def test_reduction_dtype_argument(device: str) -> None:
    x = ember.tensor([1, 2, 3], dtype=ember.int32, device=device)
    assert ember.sum(x, dtype=ember.float64).dtype is ember.float64
    assert ember.sum(x, dtype=ember.int32).dtype is ember.int32
    assert ember.mean(x, dtype=ember.float32).item() == pytest.approx(2.0)


def test_mean_of_integers_is_an_error(device: str) -> None:
    with pytest.raises(RuntimeError, match="mean.*dtype"):
        ember.mean(ember.tensor([1, 2, 3], device=device))


@pytest.mark.parametrize(
    ("op", "dtype", "expected"),
    [("exp", "int64", "float32"), ("sqrt", "bool", "float32"), ("sin", "uint8", "float32"), ("abs", "int8", "int8"),
     ("neg", "int16", "int16"), ("floor", "int32", "int32"), ("logical_not", "float32", "bool"),
     ("sigmoid", "float64", "float64"), ("exp", "float16", "float16")],
)  # fmt: skip
def test_unary_dtype(op: str, dtype: str, expected: str, backend: Any, device: str) -> None:
    _require(backend, (dtype, 1))
    x = ember.tensor([1, 2], dtype=dtype, device=device)
    assert getattr(ember, op)(x).dtype.name == expected


def test_cat_promotes(device: str) -> None:
    a = ember.tensor([1, 2], dtype=ember.int64, device=device)
    b = ember.tensor([0.5], dtype=ember.float32, device=device)
    c = ember.tensor([True], device=device)
    out = ember.cat([a, b, c])
    assert out.dtype is ember.float32
    np.testing.assert_array_equal(out.numpy(), np.array([1, 2, 0.5, 1], np.float32))
    assert ember.cat([c, a]).dtype is ember.int64
    assert ember.stack([a.to(ember.int32), a]).dtype is ember.int64


def test_inplace_keeps_dtype_and_refuses_higher_category(device: str) -> None:
    """In-place ops keep the destination dtype; a result of a higher category can't be written (PyTorch)."""
    x = ember.tensor([1, 2], dtype=ember.int32, device=device)
    x += 5
    assert x.dtype is ember.int32
    x.mul_(ember.tensor([2, 2], dtype=ember.int64, device=device))
    assert x.dtype is ember.int32
    np.testing.assert_array_equal(x.numpy(), [12, 14])
    f = ember.tensor([1.0, 2.0], device=device)
    f.add_(ember.tensor([1, 1], device=device))
    assert f.dtype is ember.float32
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(1.5)


def test_weak_int_scalar_wraps_into_integer_dtype(backend: Any, device: str) -> None:
    """PyTorch converts a weak Python int to the tensor's dtype, wrapping like a C cast (uint8(-1) == 255)."""
    _require(backend, ("uint8", 1), ("int8", 1))
    u = ember.tensor([5, 200], dtype=ember.uint8, device=device)
    out = u + (-1)
    assert out.dtype is ember.uint8
    np.testing.assert_array_equal(out.numpy(), np.array([4, 199], np.uint8))
    np.testing.assert_array_equal((u + 300).numpy(), np.array([49, 244], np.uint8))
    np.testing.assert_array_equal((ember.tensor([5], dtype=ember.int8, device=device) * 200).numpy(), [-24])


def test_python_scalar_operations_keep_float32(device: str) -> None:
    """float32 tensor op Python float stays float32 (a Python float is weak, not float64)."""
    x = ember.tensor([1.0, 2.0], device=device)
    for out in (x + 0.1, 0.1 + x, x * 3, x / 3, x**2, 2**x, x - 1e-3, ember.where(x > 1, x, 0.5), x.clamp(0.5, 1.5)):
        assert out.dtype is ember.float32


_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _operand_strategy() -> Any:
    st = pytest.importorskip("hypothesis.strategies", reason="needs hypothesis (pip install ember-core[test])")

    tensors = st.tuples(st.sampled_from(_DTYPES), st.sampled_from([0, 1, 2]))
    scalars = st.sampled_from([True, 3, -2, 2.5])
    return st.one_of(tensors, tensors, scalars)


def test_result_type_property(backend: Any, device: str) -> None:
    """Over random operands (any dtype, 0-d or not, Python scalars), add's dtype follows PyTorch's rules
    as written independently in ember.testing.op_db.ref_result_type."""
    from ember.testing.op_db import ref_result_type

    strategies = _operand_strategy()
    from hypothesis import given, settings

    @settings(max_examples=150, deadline=None, database=None)
    @given(a=strategies, b=strategies)
    def check(a: Any, b: Any) -> None:
        if not isinstance(a, tuple) and not isinstance(b, tuple):
            return
        for s in (a, b):
            if isinstance(s, tuple) and ember.dtypes.as_dtype(s[0]) not in backend.dtypes:
                return
        x, y = _operand(a, device), _operand(b, device)
        host = [np.ones((2,) * s[1], dtype=ember.dtypes.as_dtype(s[0]).numpy) if isinstance(s, tuple) else s
                for s in (a, b)]  # fmt: skip
        expected = ref_result_type(*host)
        out = ember.add(x, y)
        assert out.dtype.numpy == expected, f"{_id(a)} + {_id(b)}: {out.dtype.name}, expected {expected}"
        assert ember.result_type(x, y).numpy == expected

    check()
