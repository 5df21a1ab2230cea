"""`ember_opencl.linalg` against NumPy: layouts (transposed, permuted, sliced, broadcast), 1-D, odd sizes, dtypes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ember_opencl import device

pytestmark = pytest.mark.skipif(device.unavailable_reason() is not None, reason=str(device.unavailable_reason()))

if device.unavailable_reason() is None:
    from ember_opencl import clarray, linalg
    from ember_opencl.clarray import CLArray
    from ember_opencl.movement import expand, permute, slice_


@pytest.fixture(scope="module")
def dev() -> device.Device:
    return device.get(0)


def _data(rng: np.random.Generator, shape: tuple[int, ...], dtype: object) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.3
    if dtype.kind in "iu":
        return rng.integers(-4 if dtype.kind == "i" else 0, 5, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _tol(dtype: object, k: int) -> dict[str, float]:
    if np.dtype(dtype) == np.float32:
        return {"rtol": 1e-4, "atol": 1e-5 * max(1.0, np.sqrt(k))}
    if np.dtype(dtype) == np.float64:
        return {"rtol": 1e-10, "atol": 1e-10}
    return {"rtol": 0, "atol": 0}


def _check(dev: device.Device, an: np.ndarray, bn: np.ndarray,
           view: Callable[[CLArray, CLArray], tuple[CLArray, CLArray]] | None = None,
           expect: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None) -> None:  # fmt: skip
    a, b = clarray.from_numpy(dev, an), clarray.from_numpy(dev, bn)
    if view is not None:
        assert expect is not None
        a, b = view(a, b)
        an, bn = expect(an, bn)
    got = clarray.to_numpy(linalg.matmul(a, b))
    want = np.matmul(an, bn)
    assert got.shape == want.shape and got.dtype == want.dtype
    k = an.shape[-1]
    np.testing.assert_allclose(got, want, **_tol(want.dtype, k))


SIZES = [(1, 1, 1), (1, 7, 1), (7, 1, 33), (7, 33, 5), (33, 17, 65), (64, 64, 64), (100, 37, 129), (6, 300, 16)]


@pytest.mark.parametrize("m,k,n", SIZES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "int8", "uint8", "bool"])
def test_sizes_and_dtypes(dev: device.Device, m: int, k: int, n: int, dtype: str) -> None:
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    _check(dev, _data(rng, (m, k), dtype), _data(rng, (k, n), dtype))


@pytest.mark.parametrize("m,k,n", [(1023, 257, 129), (257, 1023, 66), (130, 4096, 70), (512, 512, 512)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large(dev: device.Device, m: int, k: int, n: int, dtype: str) -> None:
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")
    rng = np.random.default_rng(1)
    _check(dev, _data(rng, (m, k), dtype), _data(rng, (k, n), dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize("m,k,n", [(5, 7, 3), (67, 130, 45), (300, 200, 100)])
@pytest.mark.parametrize("layout", ["tn", "nt", "tt"])
def test_transposed(dev: device.Device, dtype: str, m: int, k: int, n: int, layout: str) -> None:
    """Operands given as permuted views (x.T) of stored arrays."""
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")
    rng = np.random.default_rng(2)
    ta, tb = layout[0] == "t", layout[1] == "t"
    an = _data(rng, (k, m) if ta else (m, k), dtype)
    bn = _data(rng, (n, k) if tb else (k, n), dtype)
    _check(
        dev, an, bn,
        lambda a, b: (permute(a, (1, 0)) if ta else a, permute(b, (1, 0)) if tb else b),
        lambda a, b: (a.T if ta else a, b.T if tb else b),
    )  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_sliced_and_negative_strides(dev: device.Device, dtype: str) -> None:
    rng = np.random.default_rng(3)
    an, bn = _data(rng, (90, 140), dtype), _data(rng, (150, 80), dtype)
    _check(
        dev, an, bn,
        lambda a, b: (slice_(a, (slice(3, 87, 2), slice(1, 131, 2))), slice_(b, (slice(5, 135, 2), slice(0, 80, 3)))),
        lambda a, b: (a[3:87:2, 1:131:2], b[5:135:2, 0:80:3]),
    )  # fmt: skip
    flipped = clarray.from_numpy(dev, an)
    flipped = flipped.view_of(flipped.shape, (-flipped.strides[0], flipped.strides[1]), 89 * 140)
    got = clarray.to_numpy(linalg.matmul(flipped, clarray.from_numpy(dev, bn[:140])))
    np.testing.assert_allclose(got, an[::-1] @ bn[:140], **_tol(dtype, 140))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize(
    "sa,sb",
    [
        ((4, 5, 6), (4, 6, 7)),
        ((2, 1, 33, 20), (3, 20, 40)),
        ((3, 70, 65), (65, 50)),  # b broadcast over the batch (a linear layer)
        ((65, 50), (3, 50, 70)),  # a broadcast (a conv's weights): packed once
        ((1, 65, 50), (2, 3, 50, 70)),
        ((2, 3, 1, 8), (8,)),
        ((8,), (2, 3, 8, 5)),
        ((7,), (7,)),
        ((1, 1, 9), (1, 9, 1)),
        ((0, 4, 5), (5, 6)),
        ((4, 0), (0, 3)),
        ((2, 3, 130, 70), (2, 1, 70, 90)),
    ],
)
def test_batched_and_vectors(dev: device.Device, dtype: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")
    rng = np.random.default_rng(4)
    _check(dev, _data(rng, sa, dtype), _data(rng, sb, dtype))


def test_permuted_batch_and_expanded(dev: device.Device) -> None:
    rng = np.random.default_rng(5)
    an = _data(rng, (40, 3, 50), "float32")  # viewed as (3, 40, 50)
    bn = _data(rng, (50, 60), "float32")  # expanded to (3, 50, 60)
    _check(
        dev, an, bn,
        lambda a, b: (permute(a, (1, 0, 2)), expand(b, (3, 50, 60))),
        lambda a, b: (a.transpose(1, 0, 2), np.broadcast_to(b, (3, 50, 60))),
    )  # fmt: skip


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 7), (2, 33, 100), (128, 784), (3,)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear(dev: device.Device, bias: bool, shape: tuple[int, ...], dtype: str) -> None:
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")
    rng = np.random.default_rng(6)
    out_f = 37 if shape[-1] < 100 else 256
    xn, wn, bn = _data(rng, shape, dtype), _data(rng, (out_f, shape[-1]), dtype), _data(rng, (out_f,), dtype)
    x, w = clarray.from_numpy(dev, xn), clarray.from_numpy(dev, wn)
    b = clarray.from_numpy(dev, bn) if bias else None
    got = clarray.to_numpy(linalg.linear(x, w, b))
    want = xn @ wn.T + (bn if bias else 0)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **_tol(dtype, shape[-1]))


def test_inputs_untouched_and_fresh_output(dev: device.Device) -> None:
    rng = np.random.default_rng(7)
    an, bn = _data(rng, (64, 64), "float32"), _data(rng, (64, 64), "float32")
    a, b = clarray.from_numpy(dev, an), clarray.from_numpy(dev, bn)
    c = linalg.matmul(a, b)
    assert c.is_contiguous and c.buffer is not a.buffer and c.buffer is not b.buffer
    np.testing.assert_array_equal(clarray.to_numpy(a), an)
    np.testing.assert_array_equal(clarray.to_numpy(b), bn)


def test_linear_empty_inner_dim(dev: device.Device) -> None:
    """in_features == 0: the output is the bias, broadcast."""
    bn = np.arange(5, dtype=np.float32)
    x = clarray.from_numpy(dev, np.zeros((3, 0), np.float32))
    w = clarray.from_numpy(dev, np.zeros((5, 0), np.float32))
    got = clarray.to_numpy(linalg.linear(x, w, clarray.from_numpy(dev, bn)))
    np.testing.assert_array_equal(got, np.broadcast_to(bn, (3, 5)))


@pytest.mark.parametrize("threshold", [0, 10**18])
def test_blocked_and_simple_paths_agree(dev: device.Device, threshold: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force each float path on shapes that would take the other (tiny tiles, vectors, batches)."""
    monkeypatch.setattr(linalg, "BLOCKED_MIN_WORK", threshold)
    rng = np.random.default_rng(8)
    for sa, sb in [((2, 3), (3, 4)), ((5, 9, 17), (17, 20)), ((3, 1, 7, 8), (2, 8, 1)), ((70, 40), (40, 50))]:
        _check(dev, _data(rng, sa, "float32"), _data(rng, sb, "float32"))


@pytest.mark.parametrize("native", [4, 8, 16])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_register_tile(dev: device.Device, native: int, dtype: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tile family `_tiles` can pick (float4 6x8, AVX2 6x16, AVX-512 8x32): the device here runs only one."""
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")

    class Native:  # the device as seen by `_tiles`, with another native vector width
        native_vector_width_float = native_vector_width_double = native

    fake = type("Fake", (), {"cl_device": Native(), "is_cpu": True})()
    tile = linalg._tiles(fake, np.dtype(dtype))  # type: ignore[arg-type]
    assert tile[2] == native and tile[1] == 2 * native and tile[0] == (8 if native * np.dtype(dtype).itemsize >= 64 else 6)
    gpu = type("Fake", (), {"cl_device": Native(), "is_cpu": False})()
    assert linalg._tiles(gpu, np.dtype(dtype)) == (6, 32 // np.dtype(dtype).itemsize * 2, 32 // np.dtype(dtype).itemsize)
    monkeypatch.setattr(linalg, "_tiles", lambda _device, _dtype: tile)
    monkeypatch.setattr(linalg, "_PLANS", {})  # plans made with the device's own tile must not be reused
    rng = np.random.default_rng(9)
    for m, k, n in [(37, 301, 53), (128, 96, 10), (9, 260, 70)]:  # partial tiles in M and N, K past KC_MAX
        xn, wn, bn = _data(rng, (m, k), dtype), _data(rng, (n, k), dtype), _data(rng, (n,), dtype)
        x, w, b = (clarray.from_numpy(dev, v) for v in (xn, wn, bn))
        got = clarray.to_numpy(linalg.linear(x, w, b))  # x read row-major, w.T K-contiguous: both pack paths
        np.testing.assert_allclose(got, xn @ wn.T + bn, **_tol(dtype, k))
        _check(dev, xn.T.copy(), wn.T.copy(), lambda a, c: (permute(a, (1, 0)), c), lambda a, c: (a.T, c))


@pytest.mark.parametrize("dot", [False, True])
@pytest.mark.parametrize("direct", [0, 1 << 30])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot_in_place_and_packed_paths(dev: device.Device, dot: bool, direct: int, dtype: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Each 2-D path on every layout: the dot-product kernel (both operands of unit stride along K: a linear
    layer's x @ w.T), operands read in place (`DIRECT_MAX_BYTES`), and packed panels; K tails, edge tiles,
    offsets and a bias included."""
    if dtype == "float64" and not dev.fp64:
        pytest.skip("no fp64 on this device")
    monkeypatch.setattr(linalg, "DOT_PRODUCTS", dot)
    monkeypatch.setattr(linalg, "DIRECT_MAX_BYTES", direct)
    monkeypatch.setattr(linalg, "_PLANS", {})
    used: list[bool] = []
    real = linalg._dot_kernel
    monkeypatch.setattr(linalg, "_dot_kernel", lambda *a: used.append(True) or real(*a))
    rng = np.random.default_rng(10)
    for m, k, n in [(37, 301, 53), (9, 17, 70), (64, 33, 5), (130, 128, 260)]:
        xn, wn, bn = _data(rng, (m, k), dtype), _data(rng, (n, k), dtype), _data(rng, (n,), dtype)
        big = clarray.from_numpy(dev, np.concatenate([np.zeros(3, xn.dtype), xn.ravel()]))
        x = CLArray(dev, big.buffer, (m, k), xn.dtype, (k, 1), 3)  # at an offset into its buffer
        w, b = clarray.from_numpy(dev, wn), clarray.from_numpy(dev, bn)
        used.clear()
        got = clarray.to_numpy(linalg.linear(x, w, b))
        np.testing.assert_allclose(got, xn @ wn.T + bn, **_tol(dtype, k))
        applies = dot and direct > 0 and linalg.takes_blocked_path(np.dtype(dtype), m, n, k)
        assert bool(used) == applies, "the dot-product kernel runs exactly where it applies"
        _check(dev, xn, wn.T.copy())  # NN
        _check(dev, xn.T.copy(), wn.T.copy(), lambda a, c: (permute(a, (1, 0)), c), lambda a, c: (a.T, c))  # TN
        _check(dev, xn, wn, lambda a, c: (a, permute(c, (1, 0))), lambda a, c: (a, c.T))  # NT through matmul
