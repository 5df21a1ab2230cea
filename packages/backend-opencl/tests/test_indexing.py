"""The OpenCL indexing kernels against NumPy, on odd layouts (permuted, sliced, expanded, 0-d, empty)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ember_opencl import device as _device

pytestmark = pytest.mark.skipif(_device.unavailable_reason() is not None, reason=str(_device.unavailable_reason()))

if _device.unavailable_reason() is None:
    from ember_opencl import indexing
    from ember_opencl.clarray import CLArray, from_numpy, to_numpy
    from ember_opencl.movement import expand, permute, slice_

DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "float32", "float64"]


def dev() -> Any:
    return _device.get(0)


def cl(a: Any) -> CLArray:
    return from_numpy(dev(), np.asarray(a))


def sample(shape: tuple[int, ...], dtype: str, rng: np.random.Generator) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        return rng.integers(0, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def layouts(host: np.ndarray) -> list[tuple[str, np.ndarray, CLArray]]:
    """(name, NumPy array, CLArray with the same values) in several memory layouts."""
    out = [("contiguous", host, cl(host))]
    if host.ndim >= 2:
        perm = tuple(reversed(range(host.ndim)))
        t = cl(np.ascontiguousarray(host.transpose(perm)))
        out.append(("permuted", host, permute(t, perm)))
    if host.ndim >= 1 and host.shape[0] > 0:
        big = np.repeat(host, 2, axis=0)  # big[1::2] == host
        n = host.shape[0]
        out.append(("sliced", big[1 : 2 * n : 2], slice_(cl(big), (slice(1, 2 * n, 2),))))
    return out


def need(dtype: str) -> None:
    if np.dtype(dtype) not in _device.numpy_dtypes(dev()):
        pytest.skip(f"the device has no {dtype}")


# -- gather / scatter / scatter_add --------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_gather(dtype: str, axis: int) -> None:
    need(dtype)
    rng = np.random.default_rng(axis)
    x = sample((4, 5, 6), dtype, rng)
    ishape = list(x.shape)
    ishape[axis] = 7
    idx = rng.integers(0, x.shape[axis], ishape)
    for _, xh, xc in layouts(x):
        for _, ih, ic in layouts(idx):
            got = to_numpy(indexing.gather(xc, axis, ic))
            np.testing.assert_array_equal(got, np.take_along_axis(xh, ih, axis))


def test_gather_smaller_index_and_expanded() -> None:
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    idx = np.array([[[1], [0]]])  # (1, 2, 1) expanded to (3, 2, 5)
    ic = expand(cl(idx), (3, 2, 5))
    got = to_numpy(indexing.gather(cl(x), 1, ic))
    np.testing.assert_array_equal(got, np.take_along_axis(x, np.broadcast_to(idx, (3, 2, 5)), 1))
    # index smaller than x in a non-axis dim: x is read through its own strides
    idx2 = np.array([[0, 2], [1, 1]])
    got = to_numpy(indexing.gather(slice_(cl(x[0]), (slice(0, 2, 1),)), 1, cl(idx2)))
    np.testing.assert_array_equal(got, np.take_along_axis(x[0, :2], idx2, 1))


def test_gather_empty_and_0d() -> None:
    x = np.arange(5, dtype=np.float32)
    got = indexing.gather(cl(x), 0, cl(np.zeros(0, np.int64)))
    assert got.shape == (0,)
    got = indexing.gather(cl(np.float32(3.5)), 0, cl(np.int64(0)))
    assert got.shape == () and to_numpy(got) == 3.5


@pytest.mark.parametrize("op", ["gather", "scatter", "scatter_add"])
def test_out_of_range_raises(op: str) -> None:
    x = cl(np.zeros((3, 4), np.float32))
    for bad in (4, -1):
        idx = cl(np.array([[0, bad], [1, 1], [2, 0]]))
        with pytest.raises(IndexError, match=rf"{op}.*dimension 1 with size 4"):
            if op == "gather":
                indexing.gather(x, 1, idx)
            else:
                getattr(indexing, op)(x, 1, idx, cl(np.ones((3, 2), np.float32)))


def np_scatter(x: np.ndarray, axis: int, idx: np.ndarray, src: np.ndarray, add: bool) -> np.ndarray:
    out = x.copy()
    grids = np.indices(idx.shape, sparse=True)
    key = tuple(idx if d == axis else g for d, g in enumerate(grids))
    if add:
        np.add.at(out, key, src)
    else:
        out[key] = src
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("add", [False, True])
def test_scatter(dtype: str, axis: int, add: bool) -> None:
    need(dtype)
    rng = np.random.default_rng(10 + axis)
    x = sample((4, 5, 6), dtype, rng)
    ishape = [3, 4, 5]
    ishape[axis] = 9  # more than the axis' size: repeats are certain
    idx = rng.integers(0, x.shape[axis], ishape)
    src = sample(tuple(ishape), dtype, rng)
    fn = indexing.scatter_add if add else indexing.scatter
    for _, xh, xc in layouts(x):
        for _, ih, ic in layouts(idx):
            for _, sh, sc in layouts(src):
                got = to_numpy(fn(xc, axis, ic, sc))
                want = np_scatter(xh, axis, ih, sh, add)
                np.testing.assert_array_equal(got, want)  # bit-exact: same summation order as np.add.at


def test_scatter_add_order_float32() -> None:
    """Many repeats on one element: the sum is exactly np.add.at's (sequential, in index order)."""
    rng = np.random.default_rng(0)
    src = rng.standard_normal((1, 5000)).astype(np.float32) * np.float32(1e4)
    idx = np.zeros((1, 5000), np.int64)
    x = np.ones((1, 3), np.float32)
    got = to_numpy(indexing.scatter_add(cl(x), 1, cl(idx), cl(src)))
    np.testing.assert_array_equal(got, np_scatter(x, 1, idx, src, True))


def test_scatter_empty() -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = to_numpy(indexing.scatter_add(cl(x), 1, cl(np.zeros((2, 0), np.int64)), cl(np.zeros((2, 0), np.float32))))
    np.testing.assert_array_equal(got, x)


# -- index / index_put --------------------------------------------------------------------------


def to_cl_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(cl(k) if isinstance(k, np.ndarray) else k for k in key)


KEYS: list[Any] = [
    (np.array([2, 0, -1]),),
    (slice(0, 4, 1), np.array([1, 1])),
    (np.array([[0, 1], [3, -4]]), np.array([2, 0])),  # broadcast (2,2) with (2,)
    (np.array([0, 2]), slice(None), np.array([1, 3])),  # separated: index dims go first
    (1, slice(None), np.array([0, 4, 4])),  # int + array separated by a slice: NumPy moves them first
    (slice(None), np.array([0, 2]), 3),  # adjacent array and int
    (None, np.array([1, 2]), None, slice(1, 5, 2)),
    (slice(None, None, -1), np.array([[1], [2]]), np.array([0, 1, 2])),
    (Ellipsis, np.array([4, 0])),
    (np.array(1), slice(None)),  # 0-d index array
    (np.array([3, 1])[None, :], slice(2, 2, 1)),  # empty slice
    (np.zeros(0, np.int64),),  # empty index
    (slice(None), slice(None), np.array([-5, 4, 0])),
]


def expand_ellipsis(key: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    found = [i for i, k in enumerate(key) if k is Ellipsis]
    if not found:
        return key
    i = found[0]
    n = ndim - sum(1 for k in key if k is not None and k is not Ellipsis)
    return key[:i] + (slice(None),) * n + key[i + 1 :]


@pytest.mark.parametrize("dtype", DTYPES)
def test_index(dtype: str) -> None:
    need(dtype)
    rng = np.random.default_rng(1)
    x = sample((4, 3, 5), dtype, rng)
    for key in KEYS:
        key = expand_ellipsis(key, x.ndim)
        want = x[key]
        for name, xh, xc in layouts(x):
            got = to_numpy(indexing.index(xc, to_cl_key(key)))
            assert got.shape == want.shape, (key, name)
            np.testing.assert_array_equal(got, xh[key], err_msg=f"{key} {name}")


def test_index_strided_index_arrays() -> None:
    x = np.arange(60, dtype=np.float32).reshape(4, 3, 5)
    idx = np.array([[0, 3, 1], [2, 2, 0]])
    for _, ih, ic in layouts(idx):
        got = to_numpy(indexing.index(cl(x), (ic,)))
        np.testing.assert_array_equal(got, x[ih])
    ic = expand(cl(np.array([2])), (3,))
    np.testing.assert_array_equal(to_numpy(indexing.index(cl(x), (slice(None), ic))), x[:, [2, 2, 2]])


def test_index_0d_result_and_source() -> None:
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    got = indexing.index(cl(x), (cl(np.array(1)), cl(np.array(-1))))
    assert got.shape == () and to_numpy(got) == 5


@pytest.mark.parametrize("bad", [4, -5])
def test_index_out_of_range(bad: int) -> None:
    x = cl(np.zeros((4, 3), np.float32))
    with pytest.raises(IndexError, match="index.*dimension 0 with size 4"):
        indexing.index(x, (cl(np.array([0, bad])),))
    with pytest.raises(IndexError, match="index_put.*dimension 1 with size 3"):
        indexing.index_put(x, (slice(None), cl(np.array([3]))), 1.0, True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(dtype: str, accumulate: bool) -> None:
    need(dtype)
    rng = np.random.default_rng(2)
    x = sample((4, 3, 5), dtype, rng)
    for key in KEYS:
        key = expand_ellipsis(key, x.ndim)
        shape = x[key].shape
        for vshape in (shape, shape[1:], ()):
            v = sample(vshape, dtype, rng)
            want = x.copy()
            if accumulate:
                np.add.at(want, key, v)
            else:
                want[key] = v
            for name, _, xc in layouts(x):
                for vname, _, vc in layouts(v) if vshape else [("scalar", v, v.item())]:
                    got = to_numpy(indexing.index_put(xc, to_cl_key(key), vc, accumulate))
                    np.testing.assert_array_equal(got, want, err_msg=f"{key} {name} {vname} {vshape}")


def test_index_put_repeats_sum_in_order() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    rows = rng.integers(-6, 6, 3000)
    v = (rng.standard_normal((3000, 8)) * 1e3).astype(np.float32)
    want = x.copy()
    np.add.at(want, (rows,), v)
    got = to_numpy(indexing.index_put(cl(x), (cl(rows),), cl(v), True))
    np.testing.assert_array_equal(got, want)
    # every dim indexed (one serial loop), values expanded from a column
    r, c = rng.integers(0, 6, 500), rng.integers(0, 8, 500)
    want = x.copy()
    np.add.at(want, (r, c), np.float32(0.25))
    got = to_numpy(indexing.index_put(cl(x), (cl(r), cl(c)), 0.25, True))
    np.testing.assert_array_equal(got, want)


def test_index_put_repeats_last_wins() -> None:
    x = np.zeros(4, np.float32)
    idx = np.array([1, 1, 1, 2, 1])
    v = np.arange(5, dtype=np.float32)
    want = x.copy()
    want[idx] = v
    np.testing.assert_array_equal(to_numpy(indexing.index_put(cl(x), (cl(idx),), cl(v), False)), want)


def test_index_put_values_leading_ones() -> None:
    x = np.zeros((3, 4), np.float32)
    v = np.arange(4, dtype=np.float32)[None, None]
    want = x.copy()
    want[np.array([0, 2])] = v
    np.testing.assert_array_equal(to_numpy(indexing.index_put(cl(x), (cl(np.array([0, 2])),), cl(v), False)), want)


# -- nonzero -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_nonzero(dtype: str) -> None:
    need(dtype)
    rng = np.random.default_rng(4)
    for shape in [(7,), (5, 6), (3, 4, 5), (2, 1, 3, 2), (300, 70)]:
        x = sample(shape, dtype, rng)
        x = np.where(rng.random(shape) < 0.3, x, np.zeros((), dtype))
        for name, xh, xc in layouts(x):
            got = to_numpy(indexing.nonzero(xc))
            assert got.dtype == np.int64
            np.testing.assert_array_equal(got, np.argwhere(xh), err_msg=name)


def test_nonzero_special() -> None:
    for x in [np.zeros((0, 3), np.float32), np.float32(0), np.float32(2), np.zeros((4, 5), np.int32)]:
        got = to_numpy(indexing.nonzero(cl(x)))
        assert got.shape == np.argwhere(x).shape
        np.testing.assert_array_equal(got, np.argwhere(x))
    x = np.array([0.0, -0.0, np.nan, np.inf, 1e-45], np.float32)
    np.testing.assert_array_equal(to_numpy(indexing.nonzero(cl(x))), np.argwhere(x))
    e = expand(cl(np.array([[0], [3]], np.int16)), (2, 1000))
    np.testing.assert_array_equal(to_numpy(indexing.nonzero(e)), np.argwhere(np.broadcast_to([[0], [3]], (2, 1000))))
