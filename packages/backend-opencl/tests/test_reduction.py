"""The OpenCL reductions, cumsum, softmax family and argsort against the NumPy backend, on odd layouts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ember_opencl import device as _device

pytestmark = pytest.mark.skipif(_device.unavailable_reason() is not None,
                                reason=f"no OpenCL device: {_device.unavailable_reason()}")  # fmt: skip


def _ref() -> dict[str, Any]:
    from ember_numpy.kernels import KERNELS

    return KERNELS


def _cl() -> dict[str, Any]:
    from ember_opencl.reduction import KERNELS
    from ember_opencl.sorting import KERNELS as SORT

    return {**KERNELS, **SORT}


def _dev() -> Any:
    return _device.devices()[0]


def _views(a: np.ndarray) -> Iterator[tuple[str, np.ndarray, Any]]:
    """(name, NumPy view, CLArray view): contiguous, permuted, flipped, stepped, expanded."""
    from ember_opencl.clarray import from_numpy

    c = from_numpy(_dev(), a)
    yield "contig", a, c
    if a.ndim >= 2:
        p = tuple(reversed(range(a.ndim)))
        yield "permuted", a.transpose(p), c.view_of(tuple(a.shape[d] for d in p), tuple(c.strides[d] for d in p), 0)
    if a.ndim >= 1 and a.shape[0] > 1:
        n = a.shape[0]
        flipped = c.view_of(a.shape, (-c.strides[0],) + c.strides[1:], (n - 1) * c.strides[0])
        yield "flipped", a[::-1], flipped
        stepped = c.view_of((n // 2,) + a.shape[1:], (2 * c.strides[0],) + c.strides[1:], c.strides[0])
        yield "stepped", a[1::2], stepped
    if a.ndim >= 1:
        yield "expanded", np.broadcast_to(a, (3,) + a.shape), c.view_of((3,) + a.shape, (0,) + c.strides, 0)


def _check(got: Any, expected: np.ndarray, tol: float = 1e-5) -> None:
    from ember_opencl.clarray import CLArray, to_numpy

    assert isinstance(got, CLArray)
    g = to_numpy(got)
    assert g.shape == expected.shape and g.dtype == expected.dtype
    np.testing.assert_allclose(g, expected, rtol=tol, atol=tol, equal_nan=True)


SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (0, 3), (3, 0), (1, 1, 1), (2, 3, 2, 5), (2, 1000), (70001,)]


def _data(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) > 0.4
    a = (rng.standard_normal(shape) * 10).astype(dtype)
    if a.dtype.kind == "f" and 3 < a.size < 1000:
        a.ravel()[a.size // 2] = np.nan
    return a


def _axes_sets(ndim: int) -> list[tuple[int, ...]]:
    return [tuple(range(ndim))] + [(i,) for i in range(ndim)] + ([(0, ndim - 1)] if ndim > 2 else [])


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int8", "uint8", "bool"])
def test_reductions(shape: tuple[int, ...], dtype: str) -> None:
    rng = np.random.default_rng(0)
    a = _data(shape, dtype, rng)
    ops = ["amax", "amin"] + (["sum", "prod"] if dtype in ("float32", "float64", "int64") else [])
    ops += ["all", "any"] if dtype == "bool" else []
    for _, an, c in _views(a):
        for axes in _axes_sets(an.ndim):
            for keepdim in (False, True):
                for op in ops:
                    if op in ("amax", "amin") and (0 in [an.shape[i] for i in axes] or an.size == 0):
                        continue
                    if op == "prod" and an.size > 100:
                        continue
                    _check(_cl()[op](c, axes, keepdim), _ref()[op](an, axes, keepdim), 1e-4)


@pytest.mark.parametrize("shape", [(33, 40), (3, 37, 21), (2, 5, 70), (5000, 24), (9, 16)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_reductions_over_outer_axes(shape: tuple[int, ...], dtype: str) -> None:
    """Contiguous kept axes (x.sum(0)): whole vector blocks of outputs, blocks cut by the row's end, split rows."""
    rng = np.random.default_rng(6)
    a = _data(shape, dtype, rng)
    if a.dtype.kind == "f":
        a[1, ..., 3] = np.nan  # one nan column: amax/amin propagate it, the other columns stay finite
    ops = ["amax", "amin"] + (["sum"] if dtype in ("float32", "float64", "int64") else [])
    ops += ["all", "any"] if dtype == "bool" else []
    for name, an, c in _views(a):
        if name == "permuted":
            continue
        for axes in [(0,), tuple(range(an.ndim - 1))]:
            for op in ops:
                _check(_cl()[op](c, axes, False), _ref()[op](an, axes, False), 1e-4)


def test_outer_sum_accuracy() -> None:
    """A float32 column sum over 100k rows stays close to the exact one (compensated between row blocks)."""
    from ember_opencl.clarray import from_numpy, to_numpy

    a = np.random.default_rng(7).random((100_000, 20)).astype(np.float32)
    exact = a.astype(np.float64).sum(0)
    got = to_numpy(_cl()["sum"](from_numpy(_dev(), a), (0,), False))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, exact, rtol=1e-6)


@pytest.mark.parametrize("shape", [s for s in SHAPES if 0 not in s], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "uint8", "bool"])
def test_argmax_argmin(shape: tuple[int, ...], dtype: str) -> None:
    a = _data(shape, dtype, np.random.default_rng(1))
    for _, an, c in _views(a):
        for axis in [None, *range(an.ndim)]:
            for keepdim in (False, True):
                for op in ("argmax", "argmin"):
                    _check(_cl()[op](c, axis, keepdim), _ref()[op](an, axis, keepdim))


@pytest.mark.parametrize("shape", [s for s in SHAPES if s], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_cumsum(shape: tuple[int, ...], dtype: str) -> None:
    a = _data(shape, dtype, np.random.default_rng(2))
    for _, an, c in _views(a):
        for axis in range(an.ndim):
            # long float32 running sums: compare with the float64 one (NumPy's serial float32 sum drifts too)
            exact = _ref()["cumsum"](an.astype(np.float64), axis) if an.dtype.kind == "f" else None
            if exact is None:
                _check(_cl()["cumsum"](c, axis), _ref()["cumsum"](an, axis))
            else:
                scale = max(1.0, float(np.nanmax(np.abs(exact), initial=0)))
                _check(_cl()["cumsum"](c, axis), exact.astype(an.dtype), 1e-5 * scale)


@pytest.mark.parametrize("shape", [s for s in SHAPES if s and 0 not in s], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_family(shape: tuple[int, ...], dtype: str) -> None:
    a = _data(shape, dtype, np.random.default_rng(3))
    for _, an, c in _views(a):
        for axis in range(an.ndim):
            for op in ("softmax", "log_softmax"):
                _check(_cl()[op](c, axis), _ref()[op](an, axis))
        for axes in _axes_sets(an.ndim):
            for keepdim in (False, True):
                _check(_cl()["logsumexp"](c, axes, keepdim), _ref()["logsumexp"](an, axes, keepdim))


def test_softmax_extremes() -> None:
    from ember_opencl.clarray import from_numpy

    a = np.array([[1e30, 1.0, -1e30], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0], [-np.inf, 0.0, 1.0]], np.float32)
    c = from_numpy(_dev(), a)
    for op in ("softmax", "log_softmax"):
        _check(_cl()[op](c, 1), _ref()[op](a, 1))
    _check(_cl()["logsumexp"](c, (1,), False), _ref()["logsumexp"](a, (1,), False))


def test_sum_accuracy() -> None:
    """A float32 sum of 1M values is about as accurate as NumPy's pairwise sum."""
    from ember_opencl.clarray import from_numpy, to_numpy

    a = np.random.default_rng(4).random(1_000_000).astype(np.float32)
    exact = a.astype(np.float64).sum()
    got = to_numpy(_cl()["sum"](from_numpy(_dev(), a), (0,), False))
    assert got.shape == () and got.dtype == np.float32
    assert abs(float(got) - exact) <= max(4 * abs(float(a.sum()) - exact), 1e-6 * exact)


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 40), (2, 3, 33), (2049,), (3, 4100), (100_000,), (0, 4)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int8", "bool"])
def test_argsort(shape: tuple[int, ...], dtype: str) -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(-5, 5, shape).astype(dtype)  # many ties: stability matters
    if a.dtype.kind == "f" and a.size > 3:
        a.ravel()[rng.integers(0, a.size, 3)] = np.nan
    for _, an, c in _views(a):
        if an.size > 200_000:
            continue
        for axis in range(an.ndim):
            for descending in (False, True):
                expected = _ref()["argsort"](an, axis, descending)
                _check(_cl()["argsort"](c, axis, descending), expected)
