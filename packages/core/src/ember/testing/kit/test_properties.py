"""Property tests (hypothesis) where random shapes pay: broadcasting, reductions over random dims,
reshapes and slicing, all against NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

pytest.importorskip("hypothesis", reason="the property tests need hypothesis (pip install ember-core[test])")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
_floats = st.floats(-100, 100, allow_nan=False, width=32)


def _arrays(shape: Any) -> Any:
    return hnp.arrays(np.float32, shape, elements=_floats)


@st.composite
def broadcast_pairs(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3))
    a, b = shapes.input_shapes
    return draw(_arrays(a)), draw(_arrays(b))


@pytest.mark.parametrize(
    ("name", "fn"),
    [("add", np.add), ("mul", np.multiply), ("sub", np.subtract), ("maximum", np.maximum), ("lt", np.less)],
)
@SETTINGS
@given(pair=broadcast_pairs(), transpose=st.booleans())
def test_broadcasting_binary(name: str, fn: Any, pair: tuple[np.ndarray, np.ndarray], transpose: bool, device: str) -> None:
    a, b = pair
    x = ember.tensor(a, device=device)
    if transpose and a.ndim >= 2:  # a non-contiguous operand with the same values
        x = ember.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2)), device=device).mT
    y = ember.tensor(b, device=device)
    out = getattr(ember, name)(x, y)
    expected = fn(a, b)
    assert out.shape == expected.shape
    assert out.dtype.numpy == expected.dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


@st.composite
def array_and_dims(draw: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    a = draw(_arrays(shape))
    dims = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1, max_size=len(shape)))
    neg = draw(st.booleans())
    return a, tuple(d - len(shape) if neg else d for d in dims)


@pytest.mark.parametrize(
    ("name", "fn", "rtol"),
    [("sum", np.sum, 1e-4), ("amax", np.max, 0), ("amin", np.min, 0), ("mean", np.mean, 1e-4), ("prod", None, 1e-3)],
)
@SETTINGS
@given(data=array_and_dims(), keepdim=st.booleans())
def test_reductions_over_random_dims(
    name: str, fn: Any, rtol: float, data: tuple[np.ndarray, tuple[int, ...]], keepdim: bool, device: str
) -> None:
    a, dims = data
    if name == "prod":
        a = np.clip(a, -1.5, 1.5)  # keep products of up to 256 elements finite
        fn = np.prod
    out = getattr(ember, name)(ember.tensor(a, device=device), dims, keepdim=keepdim)
    expected = np.asarray(fn(a.astype(np.float64), axis=dims, keepdims=keepdim)).astype(np.float32)
    assert out.shape == expected.shape
    assert out.dtype is ember.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=1e-4)


@SETTINGS
@given(data=array_and_dims())
def test_argmax_and_max_along_a_dim(data: tuple[np.ndarray, tuple[int, ...]], device: str) -> None:
    a, dims = data
    dim = dims[0]
    x = ember.tensor(a, device=device)
    values, indices = ember.max(x, dim)
    np.testing.assert_array_equal(indices.numpy(), np.argmax(a, axis=dim))
    np.testing.assert_array_equal(values.numpy(), np.max(a, axis=dim))
    np.testing.assert_array_equal(ember.argmin(x, dim).numpy(), np.argmin(a, axis=dim))


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
    data=st.data(),
)
def test_reshape_permute_round_trip(shape: tuple[int, ...], data: Any, device: str) -> None:
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = ember.tensor(a, device=device)
    perm = data.draw(st.permutations(range(len(shape))))
    p = x.permute(*perm) if shape else x
    np.testing.assert_array_equal(p.numpy(), np.transpose(a, perm))
    flat = p.reshape(-1)
    np.testing.assert_array_equal(flat.numpy(), np.transpose(a, perm).reshape(-1))
    np.testing.assert_array_equal((p * 1).contiguous().numpy(), np.transpose(a, perm))


@st.composite
def basic_index(draw: Any) -> tuple[np.ndarray, tuple[Any, ...]]:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    key = draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    return a, key


def _has_negative_step(key: Any) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, slice) and k.step is not None and k.step < 0 for k in items)


@SETTINGS
@given(data=basic_index())
def test_basic_indexing_matches_numpy(data: tuple[np.ndarray, Any], device: str) -> None:
    a, key = data
    if _has_negative_step(key):
        return  # PyTorch (and Ember) refuse negative steps; use flip()
    x = ember.tensor(a, device=device)
    np.testing.assert_array_equal(np.asarray(x[key].numpy()), np.asarray(a[key]))
    y = x.clone()
    y[key] = -1.0
    b = a.copy()
    b[key] = -1.0
    np.testing.assert_array_equal(y.numpy(), b)


@SETTINGS
@given(pair=broadcast_pairs())
def test_broadcast_gradient_sums_back(pair: tuple[np.ndarray, np.ndarray], device: str) -> None:
    """d(sum(a * b))/da is b summed over the broadcast dims, to a's shape."""
    a, b = pair
    x = ember.tensor(a, device=device, requires_grad=True)
    y = ember.tensor(b, device=device, requires_grad=True)
    (x * y).sum().backward()
    shape = np.broadcast_shapes(a.shape, b.shape)
    expected = np.sum(np.broadcast_to(b, shape).astype(np.float64), axis=tuple(range(len(shape) - a.ndim)))
    for i, s in enumerate(a.shape):
        if s == 1 and expected.shape[i] != 1:
            expected = expected.sum(axis=i, keepdims=True)
    assert x.grad is not None
    assert x.grad.shape == a.shape
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-4, atol=1e-3)
