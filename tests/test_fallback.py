"""A backend that lacks primitive kernels: the op runs on the host reference backend, warned once.

The backend is registered in this process with `registry.register` and removed after
each test with `registry.unregister` (both drop the per-op dispatch caches).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from plugin_fixtures.fakebackend import FakeArray, FakeBackend, delegate_all
from plugin_fixtures.marks import needs_cpu

import ember
from ember.backends import registry
from ember.dispatch import FallbackWarning

pytestmark = needs_cpu

DEVICE = "partial"
MISSING = ("exp", "sum", "permute")


def make_backend(without: tuple[str, ...] = MISSING) -> FakeBackend:
    cpu = registry.peek("cpu")
    assert cpu is not None
    return FakeBackend(name="partial", device_type=DEVICE, kernels=delegate_all(cpu.kernels, without=without))


@pytest.fixture
def partial():
    backend = make_backend()
    registry.register(backend)
    try:
        yield backend
    finally:
        registry.unregister(DEVICE)


def fallback_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, FallbackWarning)]


def host(t: ember.Tensor) -> np.ndarray:
    assert t.device.type == DEVICE
    assert isinstance(t._data, FakeArray), "the result must live on the backend's device"
    return t.to("cpu").numpy()


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_missing_unary_kernel_falls_back(partial, dtype):
    data = np.linspace(-2, 2, 12).reshape(3, 4).astype(dtype.numpy)
    x = ember.tensor(data, device=DEVICE)
    with pytest.warns(FallbackWarning, match="exp"):
        y = ember.exp(x)
    assert y.dtype is dtype and y.shape == (3, 4)
    np.testing.assert_allclose(host(y), np.exp(data), rtol=1e-6)


def test_fallback_warns_once_per_op(partial):
    x = ember.tensor(np.arange(6.0).reshape(2, 3), device=DEVICE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            x.exp()
        for _ in range(3):
            x.sum()
        for _ in range(3):
            x + x  # the backend has "add": no fallback, no warning
    messages = fallback_warnings(caught)
    assert len(messages) == 2, messages
    exp_msg, sum_msg = messages
    assert exp_msg.startswith("exp:") and "'partial'" in exp_msg
    assert sum_msg.startswith("sum:") and "'partial'" in sum_msg


def test_fallback_warning_points_at_the_caller(partial):
    x = ember.tensor([1.0, 2.0], device=DEVICE)
    with pytest.warns(FallbackWarning) as record:
        x.exp()
    assert record[0].filename == __file__


def test_missing_reduction_falls_back(partial):
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = ember.tensor(data, device=DEVICE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        np.testing.assert_allclose(host(x.sum()), data.sum())
        np.testing.assert_allclose(host(x.sum(dim=1)), data.sum(axis=1))
        np.testing.assert_allclose(host(x.sum(dim=(0, 2), keepdim=True)), data.sum(axis=(0, 2), keepdims=True))
        ints = ember.tensor(np.arange(10), device=DEVICE)
        total = ints.sum()
        assert total.dtype is ember.int64
        assert host(total) == 45


def test_gradients_flow_through_fallback_kernels(partial):
    data = np.array([[0.5, -1.0], [2.0, 0.0]])
    x = ember.tensor(data, device=DEVICE, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackWarning)
        (x.exp() * 2).sum().backward()
    assert x.grad is not None and x.grad.device.type == DEVICE
    np.testing.assert_allclose(host(x.grad), 2 * np.exp(data), rtol=1e-6)


def test_present_kernels_are_the_backends_own(partial):
    a = ember.tensor([1.0, 2.0], device=DEVICE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        c = a * a + 1
    np.testing.assert_allclose(host(c), [2.0, 5.0])


def test_missing_view_kernel_raises(partial):
    x = ember.tensor(np.zeros((2, 3)), device=DEVICE)
    for _ in range(2):  # a failed lookup is not cached as a kernel
        with pytest.raises(NotImplementedError) as info:
            x.permute(1, 0)
        message = str(info.value)
        assert "'permute'" in message and "'partial'" in message


def test_register_and_unregister_reset_the_dispatch_cache(partial):
    x = ember.tensor([0.0, 1.0], device=DEVICE)
    with pytest.warns(FallbackWarning):
        x.exp()

    registry.unregister(DEVICE)
    with pytest.raises(ember.BackendNotFoundError, match="'partial'"):
        ember.zeros(1, device=DEVICE)

    # Now with an "exp" kernel: the cached fallback must not be reused.
    registry.register(make_backend(without=("sum",)))
    y = ember.tensor([0.0, 1.0], device=DEVICE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackWarning)
        np.testing.assert_allclose(host(y.exp()), np.exp([0.0, 1.0]), rtol=1e-6)
    # The cpu device is untouched by all this.
    np.testing.assert_allclose(ember.exp(ember.zeros(2)).numpy(), [1.0, 1.0])


def test_registered_directly_is_listed_as_such(partial):
    assert partial in ember.backends()
    assert partial.distribution == "<direct>"
    assert ember.get_backend(DEVICE) is partial
