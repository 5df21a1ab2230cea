"""Interchange with NumPy and DLPack: zero-copy where the data can be shared."""

from __future__ import annotations

import numpy as np
import pytest
from plugin_fixtures.marks import needs_cpu

import ember


@needs_cpu
def test_from_numpy_shares_memory_both_ways() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.from_numpy(a)
    a[0, 0] = 42
    assert t[0, 0].item() == 42
    t[1, 2] = -1
    assert a[1, 2] == -1
    assert t.dtype is ember.float32 and t.shape == (2, 3)


@needs_cpu
def test_from_numpy_rejects_non_arrays_and_unsupported_dtypes() -> None:
    with pytest.raises(TypeError, match="numpy.ndarray"):
        ember.from_numpy([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="uint16"):
        ember.from_numpy(np.zeros(2, dtype=np.uint16))


def test_array_protocol_and_numpy(device: str) -> None:
    t = ember.arange(6, device=device).reshape(2, 3)
    np.testing.assert_array_equal(np.asarray(t), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(2, 3))
    r = ember.ones(2, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        r.numpy()


@needs_cpu
def test_dlpack_round_trip_with_numpy() -> None:
    a = np.arange(5, dtype=np.float64)
    t = ember.from_dlpack(a)
    assert t.dtype is ember.float64 and t.device == ember.device("cpu")
    a[1] = 10
    assert t[1].item() == 10  # shared, not copied
    back = np.from_dlpack(t)
    back[2] = 20
    assert t[2].item() == 20
    assert t.__dlpack_device__() == (1, 0)


@needs_cpu
def test_dlpack_refuses_a_tensor_that_requires_grad() -> None:
    with pytest.raises(RuntimeError, match="requires grad"):
        np.from_dlpack(ember.ones(2, requires_grad=True))


def test_tolist_item_and_python_conversions(device: str) -> None:
    t = ember.tensor([[1.5, 2.0], [3.0, 4.5]], device=device)
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.5]]
    assert isinstance(t[0, 1].item(), float)
    assert int(ember.tensor(7, device=device)) == 7
    assert float(ember.tensor(2.5, device=device)) == 2.5
    assert [3, 4][ember.tensor(1, device=device)] == 4  # __index__
    with pytest.raises(ValueError, match=r"4 elements.*only one-element"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)


@needs_cpu
def test_tensor_infers_pytorch_dtypes() -> None:
    assert ember.tensor([1, 2]).dtype is ember.int64
    assert ember.tensor([1.0, 2]).dtype is ember.float32
    assert ember.tensor([True]).dtype is ember.bool_
    assert ember.tensor(np.zeros(2, np.float64)).dtype is ember.float64  # arrays keep their dtype
    assert ember.tensor(np.zeros(2, np.int32)).dtype is ember.int32
    assert ember.tensor([ember.tensor(1.0), ember.tensor(2.0)]).tolist() == [1.0, 2.0]


@needs_cpu
def test_tensor_copies_its_data() -> None:
    a = np.zeros(3, np.float32)
    t = ember.tensor(a)
    a[0] = 1
    assert t[0].item() == 0


@needs_cpu
def test_repr_follows_pytorch() -> None:
    assert repr(ember.tensor([7.0, 9.0])) == "tensor([7., 9.])"
    assert repr(ember.tensor([0.1, 0.25])) == "tensor([0.1000, 0.2500])"
    assert repr(ember.tensor(3.5)) == "tensor(3.5000)"
    assert repr(ember.tensor([1, 2, 3])) == "tensor([1, 2, 3])"
    assert repr(ember.tensor([True, False])) == "tensor([ True, False])"  # padded to one width
    assert repr(ember.tensor([1.0, 2.0], dtype=ember.float64)) == "tensor([1., 2.], dtype=ember.float64)"
    assert repr(ember.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    x = ember.tensor([1.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2.], grad_fn=<MulBackward0>)"


class _ForeignProducer:
    """A DLPack producer of another library (as a torch tensor is): its `dtype` is no NumPy dtype."""

    def __init__(self, array: np.ndarray, device: tuple[int, int] = (1, 0)) -> None:
        self._array, self._device = array, device
        self.dtype = "foreignlib.float32"  # what made `np.dtype(native.dtype)` raise before
        self.shape = "not a shape either"

    def __dlpack__(self, **kwargs: object) -> object:
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._device


def _fake_backend(device_type: str, dlpack: int) -> ember.Backend:
    """A backend whose natives (FakeArray boxes) have neither `shape` nor `dtype`, importing DLPack code `dlpack`."""
    from plugin_fixtures.fakebackend import FakeArray, FakeBackend

    class Fake(FakeBackend):
        name = device_type
        dlpack_device_type = dlpack

        def from_dlpack(self, obj: object, index: int) -> FakeArray:
            return FakeArray(np.from_dlpack(obj))

    Fake.device_type = device_type
    return Fake()


@needs_cpu
def test_from_dlpack_takes_a_non_numpy_producer() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ember.from_dlpack(_ForeignProducer(a))
    assert t.dtype is ember.float32 and t.shape == (2, 3) and t.device == ember.device("cpu")
    a[0, 0] = 7
    assert t[0, 0].item() == 7  # shared, not copied


def test_from_dlpack_reads_shape_and_dtype_through_the_backend() -> None:
    from ember.backends import registry

    registry.register(_fake_backend("dlfake", 9))
    try:
        t = ember.from_dlpack(_ForeignProducer(np.arange(4, dtype=np.int32), device=(9, 0)))
        assert t.device == ember.device("dlfake") and t.dtype is ember.int32 and t.shape == (4,)
        np.testing.assert_array_equal(t.cpu().numpy(), np.arange(4))
    finally:
        registry.unregister("dlfake")


def test_from_dlpack_device_picks_between_backends_of_one_dlpack_code() -> None:
    from ember.backends import registry

    registry.register(_fake_backend("dla", 11))
    registry.register(_fake_backend("dlb", 11))
    try:
        producer = _ForeignProducer(np.ones(3, np.float64), device=(11, 0))
        with pytest.raises(RuntimeError, match=r"from_dlpack: backends for device types .*'dla'.*'dlb'.* device="):
            ember.from_dlpack(producer)
        assert ember.from_dlpack(producer, device="dlb").device == ember.device("dlb")
        assert ember.from_dlpack(producer, device="dla").device == ember.device("dla")
    finally:
        registry.unregister("dla")
        registry.unregister("dlb")


@needs_cpu
def test_from_dlpack_refuses_a_mismatched_device_and_non_producers() -> None:
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        ember.from_dlpack([1, 2, 3])
    from ember.backends import registry

    registry.register(_fake_backend("dlc", 12))
    try:
        with pytest.raises(RuntimeError, match="DLPack device type 1, but device 'dlc'.*imports DLPack device type 12"):
            ember.from_dlpack(np.ones(2), device="dlc")
    finally:
        registry.unregister("dlc")
