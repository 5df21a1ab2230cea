"""PyTorch's autograd semantics in the corners: views after in-place writes, hooks, aliasing, grad modes.

Each case was a bug once; the expected values are PyTorch's (worked out by hand below).
"""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import ember


def _t(values: list[float], device: str, grad: bool = False) -> ember.Tensor:
    return ember.tensor(values, device=device, requires_grad=grad)


def test_views_see_history_written_into_their_base(device: str) -> None:
    a, w = _t([1.0, 2.0, 3.0], device, True), _t([2.0, 2.0, 2.0], device, True)
    b = a * 1
    v = b[0:2]
    b.mul_(w)  # v now holds a*w for its elements
    v.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0, 0.0]
    assert w.grad.tolist() == [1.0, 2.0, 0.0]


def test_sibling_views_see_a_write_through_another_view(device: str) -> None:
    b = ember.zeros(4, device=device)
    v1, v2 = b[0:2], b[1:3]
    w = _t([5.0, 6.0], device, True)
    v1.copy_(w)
    assert v2.requires_grad
    v2.sum().backward()
    assert w.grad.tolist() == [0.0, 1.0]


def test_inplace_ops_whose_derivative_reads_the_old_value(device: str) -> None:
    a, w = _t([1.0, 2.0], device, True), _t([3.0, 4.0], device, True)
    b = a * 1
    b.mul_(w)
    b.sum().backward()
    assert a.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]
    a.grad = None
    b = a * 1
    b.log_()
    b.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 0.5])


def test_zero_dim_results_are_writable_arrays(device: str) -> None:
    c = ember.tensor(1.0, device=device) + ember.tensor(1.0, device=device)
    c[...] = 7.0
    assert c.item() == 7.0
    d = ember.tensor(1.0, device=device).exp()
    d.add_(1)
    assert d.item() == pytest.approx(np.e + 1)


def test_autograd_grad_stops_at_its_inputs(device: str) -> None:
    x = _t([1.0, 2.0], device, True)
    calls: list[int] = []
    x.register_hook(lambda g: calls.append(1))
    y = x * x
    (gy,) = ember.autograd.grad(y.sum(), y)
    assert gy.tolist() == [1.0, 1.0] and calls == []  # nothing ran below y
    (y * 3).sum().backward()  # y's saved tensors were not freed by grad()
    assert x.grad.tolist() == [6.0, 12.0] and calls == [1]  # the leaf hook saw the summed gradient once


def test_retain_grad_copies_and_runs_after_user_hooks(device: str) -> None:
    x = _t([1.0, 2.0, 3.0], device, True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 3)
    y.sum().backward()
    assert y.grad.tolist() == [3.0, 3.0, 3.0]
    y.grad.zero_()  # its own memory: not the expanded gradient of sum
    assert x.grad.tolist() == [6.0, 6.0, 6.0]
    g = _t([1.0, 1.0, 1.0], device)
    z = x * 1
    z.retain_grad()
    z.backward(g)
    z.grad.mul_(5)
    assert g.tolist() == [1.0, 1.0, 1.0]


def test_register_hook_returns_a_removable_handle(device: str) -> None:
    x = _t([1.0], device, True)
    handle = x.register_hook(lambda g: g * 10)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_ops_that_could_return_their_input_return_a_new_tensor(device: str) -> None:
    x = _t([1.0, 2.0], device)
    for out in (ember.cat([x]), ember.stack([x])[0], x.roll(0), ember.cat([ember.tensor([], device=device), x])):
        out.add_(1)
        assert x.tolist() == [1.0, 2.0]


def test_data_does_not_share_the_version_counter(device: str) -> None:
    w = _t([1.0, 2.0], device, True)
    y = (w * w).sum()
    w.data.mul_(2)
    y.backward()
    assert w.grad.tolist() == [4.0, 8.0]  # saved w is read at its new value, without an error


def test_scalar_promotion_follows_the_default_dtype(device: str) -> None:
    x = ember.tensor([1], device=device)
    assert (x + 1.5).dtype is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        if ember.float64 in ember.get_backend(x.device.type).dtypes:
            assert (x + 1.5).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


def test_grad_mode_decorators(device: str) -> None:
    x = _t([1.0], device, True)

    @ember.set_grad_enabled(False)
    def f(t: ember.Tensor) -> ember.Tensor:
        return t * 2

    assert ember.is_grad_enabled()  # decorating did not switch the mode
    assert not f(x).requires_grad

    @ember.no_grad()
    def gen():  # type: ignore[no-untyped-def]
        yield x * 2
        yield x * 3

    assert [t.requires_grad for t in gen()] == [False, False]
    assert ember.is_grad_enabled()


def test_grad_mode_is_thread_local(device: str) -> None:
    x = _t([1.0], device, True)
    seen: list[bool] = []
    with ember.no_grad():
        t = threading.Thread(target=lambda: seen.append((x * 2).requires_grad))
        t.start()
        t.join()
    assert seen == [True]


def test_graphs_are_freed_without_the_cycle_collector(device: str) -> None:
    class Exp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):  # type: ignore[no-untyped-def]
            y = t.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (y,) = ctx.saved_tensors
            return g * y

    gc.collect()
    gc.disable()
    try:
        x = _t([1.0, 2.0], device, True)
        y = Exp.apply(x)
        ref = weakref.ref(y)
        del y
        assert ref() is None
        z = x * 1
        z.mul_(2)
        ref = weakref.ref(z)
        del z
        assert ref() is None
    finally:
        gc.enable()


def test_gradients_at_zero(device: str) -> None:
    x = _t([0.0], device, True)
    (x ** ember.tensor([0.0], device=device)).sum().backward()
    assert x.grad.tolist() == [0.0]
    y = _t([3.0, 4.0], device, True)
    (y // 2).sum().backward()  # differentiable, with a zero gradient
    assert y.grad.tolist() == [0.0, 0.0]


def test_empty_dim_list_reduces_everything(device: str) -> None:
    x = ember.arange(6, device=device).reshape(2, 3)
    assert x.sum(dim=()).item() == 15
    assert x.sum(dim=[]).item() == 15


def test_gather_refuses_negative_indices(device: str) -> None:
    x = _t([1.0, 2.0], device)
    with pytest.raises(IndexError, match="out of range"):
        x.gather(0, ember.tensor([-1], device=device))


def test_gradients_accumulate_in_place(device: str) -> None:
    x = _t([1.0, 2.0], device, True)
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert g is x.grad and g.tolist() == [5.0, 5.0]


def test_backward_into_a_leaf_whose_shape_changed_raises(device: str) -> None:
    """The engine sets a leaf's first gradient directly; one recorded for another shape is refused as by .grad =."""
    x = ember.ones(3, device=device, requires_grad=True)
    y = (x * 2).sum()
    x.data = ember.ones(4, device=device)
    with pytest.raises(RuntimeError, match=r"assigned grad has data of a different size.*\(4,\).*\(3,\)"):
        y.backward()


def test_a_gradient_reaching_two_leaves_is_copied_for_the_second(device: str) -> None:
    """add's derivative hands one tensor to both inputs: each leaf's .grad owns its memory (the engine takes a
    leaf's first gradient without a copy only when no other leaf holds it)."""
    a = ember.ones(3, device=device, requires_grad=True)
    b = ember.ones(3, device=device, requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not None and b.grad is not None
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(a.grad.numpy(), np.full(3, 2.0, np.float32))
