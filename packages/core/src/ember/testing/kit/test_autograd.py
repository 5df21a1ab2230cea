"""The autograd engine on the backend under test: deep graphs, freeing, hooks, double backward,
custom Functions, thread-local grad mode and version counters."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import numpy as np
import pytest

import ember
from ember.autograd import Function, FunctionCtx
from ember.testing.kit import require_dtype


def _close(t: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-6) -> None:
    np.testing.assert_allclose(t.detach().numpy(), expected, rtol=rtol, atol=atol)


def test_long_chain_backward(device: str) -> None:
    """A 10,000-op chain backpropagates (no recursion limit) and frees without recursion either."""
    x = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
        y = y - 0.0001
    y.sum().backward()
    _close(x.grad, np.full(2, 1.0001**5000), rtol=2e-3)
    del y  # dropping a 10,000-node graph must not hit the recursion limit either


def test_many_branches_accumulate(device: str) -> None:
    x = ember.tensor([1.0, -2.0, 3.0], device=device, requires_grad=True)
    total = x * 0
    for i in range(200):
        total = total + x * float(i % 3)
    total.sum().backward()
    _close(x.grad, np.full(3, float(sum(i % 3 for i in range(200)))))


def _graph_with_saved_intermediate(device: str) -> tuple[Any, Any, Any, Any]:
    x = ember.tensor([0.5, 1.0, 1.5], device=device, requires_grad=True)
    a = x * 2
    b = a.exp()  # exp saves its output (b's data)
    c = b.sin()  # sin saves its input (the tensor b)
    loss = c.sum()
    return x, b, loss, a


@pytest.mark.parametrize("collect", [True, False], ids=["gc-collected", "gc-disabled"])
def test_saved_tensors_freed_after_backward(collect: bool, device: str) -> None:
    """After backward (no retain_graph) the graph holds no saved tensor: the intermediate dies with
    its last user reference, by reference counting alone (gc disabled) or after a collection."""
    was_enabled = gc.isenabled()
    gc.collect()
    if not collect:
        gc.disable()
    try:
        x, b, loss, a = _graph_with_saved_intermediate(device)
        ref_tensor = weakref.ref(b)
        try:
            ref_data: Any = weakref.ref(b._data)
        except TypeError:  # this backend's native arrays take no weak references
            ref_data = None
        del b, a
        if collect:
            gc.collect()
        assert ref_tensor() is not None, "the graph should keep the saved intermediate alive before backward"
        loss.backward()
        if collect:
            gc.collect()
        assert ref_tensor() is None, "a saved tensor is still alive after backward (the graph keeps it)"
        if ref_data is not None:
            assert ref_data() is None, "a saved tensor's native data is still alive after backward"
        assert loss.grad_fn is not None  # the graph itself is still there, only its saved values are gone
        assert x.grad is not None
    finally:
        if was_enabled:
            gc.enable()


def test_graph_freed_when_output_dropped(device: str) -> None:
    """Dropping the output of a graph (without backward) frees its saved tensors by refcounting."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        x, b, loss, a = _graph_with_saved_intermediate(device)
        ref = weakref.ref(b)
        del b, a, loss
        assert ref() is None, "a graph nobody references keeps its saved tensors alive (a reference cycle?)"
    finally:
        if was_enabled:
            gc.enable()


def test_retain_graph_allows_second_backward(device: str) -> None:
    x = ember.tensor([0.5, 1.0], device=device, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    assert x.grad is not None
    first = x.grad.numpy().copy()
    y.backward()
    _close(x.grad, 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_hooks(device: str) -> None:
    x = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 3
    y.register_hook(lambda g: g * 2)  # replaces the gradient flowing into y's producer
    y.sum().backward()
    _close(x.grad, [6.0, 6.0])
    np.testing.assert_allclose(seen[0], [6.0, 6.0])
    handle()  # removed: not called again
    x.grad = None
    (x * 3).sum().backward()
    assert len(seen) == 1
    _close(x.grad, [3.0, 3.0])


def test_retain_grad(device: str) -> None:
    x = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y * 2
    z.sum().backward()
    _close(y.grad, [2.0, 2.0])
    _close(x.grad, [4.0, 8.0])
    assert z.grad is None  # non-leaf without retain_grad


def test_grad_create_graph_double_backward(device: str) -> None:
    x = ember.tensor([1.0, 2.0, -1.5], device=device, requires_grad=True)
    y = (x**3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    assert g is not None
    _close(g, 3 * x.detach().numpy() ** 2)
    assert g.requires_grad
    (gg,) = ember.autograd.grad(g.sum(), x)
    _close(gg, 6 * x.detach().numpy())
    assert x.grad is None  # autograd.grad accumulates nothing


def test_backward_create_graph_then_backward_of_grad(device: str) -> None:
    x = ember.tensor([0.3, 0.7], device=device, requires_grad=True)
    y = x.sin().sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g is not None
    x.grad = None
    g.sum().backward()
    _close(x.grad, -np.sin(x.detach().numpy()))


def test_grad_allow_unused(device: str) -> None:
    x = ember.tensor([1.0], device=device, requires_grad=True)
    z = ember.tensor([1.0], device=device, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not used"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = ember.autograd.grad(y, [x, z], allow_unused=True)
    _close(gx, [2.0])
    assert gz is None


class _Cube(Function):
    @staticmethod
    def forward(ctx: FunctionCtx, x: Any, scale: float) -> Any:
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx: FunctionCtx, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * 3 * x * x * ctx.scale, None


def test_custom_function(backend: Any, device: str) -> None:
    require_dtype(backend, "float64")  # for gradcheck
    x = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, device=device, requires_grad=True)
    y = _Cube.apply(x, 2.0)
    _close(y, 2.0 * x.detach().numpy() ** 3)
    assert y.grad_fn is not None
    y.sum().backward()
    _close(x.grad, 6.0 * x.detach().numpy() ** 2)
    assert ember.autograd.gradcheck(lambda t: _Cube.apply(t, 2.0), (x.detach().requires_grad_(),))
    with ember.no_grad():
        assert not _Cube.apply(x, 1.0).requires_grad


def test_custom_function_saved_tensor_modified(device: str) -> None:
    x = ember.tensor([0.5, 1.0], device=device, requires_grad=True)
    a = x * 1
    y = _Cube.apply(a, 1.0)
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


class _ScaleAndCount(Function):
    """Returns a tensor and a plain int, as a Function may."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Any) -> Any:
        return x * 2, 3

    @staticmethod
    def backward(ctx: FunctionCtx, g: Any, g_count: Any) -> Any:
        assert g_count is None  # no gradient for a non-tensor output, even with materialize_grads
        return g * 2


def test_custom_function_with_a_non_tensor_output(device: str) -> None:
    """Regression: materialize_grads once tried to build zeros for the int output and raised a TypeError."""
    x = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    y, count = _ScaleAndCount.apply(x)
    assert count == 3
    y.sum().backward()
    _close(x.grad, [2.0, 2.0])


def test_retain_grad_sees_hooks_registered_after_it(device: str) -> None:
    """retain_grad's hook runs after every other hook on the tensor, also those registered later."""
    x = ember.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    y.sum().backward()
    _close(y.grad, [2.0, 2.0])
    _close(x.grad, [6.0, 6.0])


def test_no_grad_and_enable_grad(device: str) -> None:
    x = ember.ones(2, device=device, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
        with ember.enable_grad():
            z = x * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @ember.no_grad()
    def f(t: Any) -> Any:
        return t * 2

    assert not f(x).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()


def test_grad_mode_is_thread_local(device: str) -> None:
    """no_grad in one thread leaves another thread recording the graph, and the other way round."""
    x = ember.ones(2, device=device, requires_grad=True)
    results: dict[str, Any] = {}
    entered, release = threading.Event(), threading.Event()

    def worker() -> None:
        entered.wait(5)
        results["enabled"] = ember.is_grad_enabled()
        results["requires_grad"] = (x * 2).requires_grad
        with ember.no_grad():
            release.set()
            results["inner"] = (x * 2).requires_grad
        results["after"] = ember.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    with ember.no_grad():
        entered.set()
        release.wait(5)  # the worker is now inside its own no_grad
        main_inside = ember.is_grad_enabled()
    t.join(10)
    assert results == {"enabled": True, "requires_grad": True, "inner": False, "after": True}
    assert main_inside is False
    assert ember.is_grad_enabled()
    assert (x * 2).requires_grad


def test_version_counter(device: str) -> None:
    x = ember.zeros(4, device=device)
    v0 = x._version_value
    x.add_(1)
    assert x._version_value == v0 + 1
    view = x[1:3]
    assert view._version_value == x._version_value  # views share the counter
    view.mul_(2)
    assert x._version_value == v0 + 2
    x[0] = 5.0
    assert x._version_value > v0 + 2
    np.testing.assert_array_equal(x.numpy(), [5.0, 2.0, 2.0, 1.0])
    y = x * 2  # out-of-place: no bump
    assert x._version_value == view._version_value and y._version_value == 0


def test_inplace_through_view_updates_base_and_grad(device: str) -> None:
    x = ember.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = x * 1
    y[1] = 10.0
    (y * y).sum().backward()
    _close(x.grad, [2.0, 0.0, 6.0])


def test_gradient_of_broadcast_and_dtype_cast(backend: Any, device: str) -> None:
    require_dtype(backend, "float64")
    a = ember.ones(2, 3, device=device, requires_grad=True)
    b = ember.ones(3, dtype=ember.float64, device=device, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 3) and a.grad.dtype is ember.float32
    assert b.grad.shape == (3,) and b.grad.dtype is ember.float64
    _close(b.grad, [2.0, 2.0, 2.0])


def test_detach_and_requires_grad_propagation(device: str) -> None:
    x = ember.ones(2, device=device, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert (d * x).requires_grad
    i = (x > 0).sum()
    assert not i.requires_grad  # integer results carry no gradient
