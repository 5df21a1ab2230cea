"""Bad input raises the same exception types on every backend, with messages that name the problem."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember


def test_add_shape_mismatch(device: str) -> None:
    a, b = ember.ones(2, 3, device=device), ember.ones(4, device=device)
    with pytest.raises(RuntimeError, match=r"add.*\(2, 3\).*\(4,\).*broadcast"):
        a + b


def test_matmul_shape_mismatch(device: str) -> None:
    a, b = ember.ones(2, 3, device=device), ember.ones(4, 5, device=device)
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        a @ b
    with pytest.raises(RuntimeError, match="matmul.*at least 1 dimension"):
        ember.matmul(ember.ones((), device=device), a)
    with pytest.raises(RuntimeError, match="matmul.*broadcast"):
        ember.matmul(ember.ones(2, 2, 3, device=device), ember.ones(3, 3, 2, device=device))


def test_cat_shape_mismatch(device: str) -> None:
    a, b = ember.ones(2, 3, device=device), ember.ones(2, 4, device=device)
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match.*\(2, 4\)"):
        ember.cat([a, b], 0)
    with pytest.raises(RuntimeError, match="cat.*non-empty"):
        ember.cat([])
    with pytest.raises(RuntimeError, match="stack.*equal size"):
        ember.stack([a, b])


def test_different_devices(backend: Any, device: str) -> None:
    """Ops never move data between devices implicitly; needs a second usable backend."""
    others = []
    for b in ember.backends():
        if b.device_type == device:
            continue
        try:
            ember.get_backend(b.device_type)
        except ember.BackendError:
            continue
        others.append(b.device_type)
    if not others:
        pytest.skip(f"needs two usable backends; only {device!r} is installed and usable here")
    x = ember.ones(3, device=device)
    y = ember.ones(3, device=others[0])
    for fn in (lambda: x + y, lambda: ember.cat([x, y]), lambda: ember.matmul(x, y), lambda: ember.where(x > 0, x, y)):
        with pytest.raises(RuntimeError, match="same device"):
            fn()


def test_item_of_many_elements(device: str) -> None:
    with pytest.raises(RuntimeError, match=r"item.*2 elements"):
        ember.ones(2, device=device).item()
    assert ember.ones(1, 1, device=device).item() == 1.0
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2, device=device))


def test_backward_of_non_scalar_needs_gradient(device: str) -> None:
    x = ember.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="gradient has shape"):
        (x * 2).backward(ember.ones(2, device=device))


def test_backward_without_requires_grad(device: str) -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(3, device=device).sum().backward()


def test_second_backward_without_retain_graph(device: str) -> None:
    x = ember.tensor([0.5, 1.5], device=device, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph"):
        y.backward()


def test_inplace_on_saved_output(device: str) -> None:
    """y = x.exp() saves y; modifying y in place makes backward fail, naming exp."""
    x = ember.tensor([0.5, 1.5], device=device, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*\bexp\b"):
        y.sum().backward()


def test_inplace_on_saved_input(device: str) -> None:
    x = ember.tensor([0.5, 1.5], device=device, requires_grad=True)
    a = x * 1
    b = a.sin()
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*\bsin\b.*version"):
        b.sum().backward()


def test_inplace_on_leaf_requiring_grad(device: str) -> None:
    x = ember.ones(2, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf.*in-place"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0])


def test_requires_grad_on_integer_tensor(device: str) -> None:
    # PyTorch's words: "Only Tensors of floating point and complex dtype can require gradients"
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        ember.tensor([1, 2], device=device).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point and complex dtype.*got dtype int64"):
        ember.tensor([1, 2], device=device, requires_grad=True)


def test_unknown_device_strings() -> None:
    with pytest.raises(ValueError, match="invalid device string 'cpu:x'"):
        ember.zeros(2, device="cpu:x")
    with pytest.raises(ember.BackendNotFoundError, match="nosuchdevice.*install"):
        ember.zeros(2, device="nosuchdevice")


@pytest.mark.parametrize(("device_type", "package"), [("cuda", "ember-backend-cupy"), ("opencl", "ember-backend-opencl")])
def test_missing_known_backend_names_its_package(device_type: str, package: str) -> None:
    if any(b.device_type == device_type for b in ember.backends()):
        pytest.skip(f"a backend for {device_type!r} is installed here")
    with pytest.raises(ember.BackendError, match=f"install {package}"):
        ember.zeros(2, device=device_type)


def test_device_index_out_of_range(backend: Any, device: str) -> None:
    n = backend.device_count()
    with pytest.raises(RuntimeError, match="out of range"):
        ember.zeros(2, device=f"{device}:{n}")


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda x: x[5], id="int"),
        pytest.param(lambda x: x[:, 7], id="int-second-dim"),
        pytest.param(lambda x: x[ember.tensor([0, 4], device=x.device)], id="int-tensor"),
        pytest.param(lambda x: x[ember.tensor([-5], device=x.device)], id="negative-int-tensor"),
        pytest.param(
            lambda x: ember.gather(x, 1, ember.tensor([[0], [3], [0], [0]], device=x.device)), id="gather"
        ),
        pytest.param(
            lambda x: ember.scatter(x, 0, ember.tensor([[9, 0, 0]], device=x.device), ember.ones(1, 3, device=x.device)),
            id="scatter",
        ),
        pytest.param(lambda x: ember.index_select(x, 0, ember.tensor([4], device=x.device)), id="index_select"),
        pytest.param(lambda x: x.sum(2), id="dim"),
        pytest.param(lambda x: x.transpose(0, 3), id="transpose-dim"),
    ],
)
def test_index_out_of_range_raises_index_error(fn: Any, device: str) -> None:
    """An index out of range is an IndexError (core's checks, or the kernel's: same type on every backend)."""
    x = ember.ones(4, 3, device=device)
    with pytest.raises(IndexError):
        fn(x)


def test_too_many_indices(device: str) -> None:
    with pytest.raises(IndexError, match="too many indices"):
        ember.ones(2, device=device)[0, 0]


def test_float_index_tensor(device: str) -> None:
    with pytest.raises(IndexError, match="index.*must be long, int, byte or bool tensors.*float32"):
        ember.ones(3, device=device)[ember.tensor([0.0], device=device)]


def test_view_of_incompatible_layout(device: str) -> None:
    x = ember.ones(3, 4, device=device).mT
    with pytest.raises(RuntimeError, match=r"view.*reshape"):
        x.view(12)
    assert x.reshape(12).shape == (12,)


def test_bad_shapes(device: str) -> None:
    x = ember.ones(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"shape \(4, 2\) is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match="expand"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match="permutation"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(2, -1, device=device)


def test_bool_arithmetic_that_pytorch_refuses(device: str) -> None:
    b = ember.tensor([True, False], device=device)
    with pytest.raises(TypeError, match="sub.*bool"):
        b - b
    with pytest.raises(TypeError, match="neg.*bool"):
        -b


def test_topk_k_out_of_range(device: str) -> None:
    with pytest.raises(RuntimeError, match="topk.*out of range"):
        ember.topk(ember.ones(3, device=device), 4)


def test_reduce_empty_without_identity(device: str) -> None:
    with pytest.raises(IndexError, match="amax.*empty"):
        ember.amax(ember.ones(0, 3, device=device), 0)
    with pytest.raises(IndexError, match="argmax.*empty"):
        ember.argmax(ember.ones(0, device=device))


def test_unsupported_dtype_is_a_clear_error(backend: Any, device: str) -> None:
    """A backend that lacks a dtype raises TypeError naming it (never computes in another dtype)."""
    missing = [d for d in ember.dtypes.all_dtypes if d not in backend.dtypes]
    if not missing:
        pytest.skip(f"backend {backend.name!r} supports every Ember dtype")
    with pytest.raises(TypeError, match=missing[0].name):
        ember.zeros(2, dtype=missing[0], device=device)


def test_inplace_into_expanded_tensor(device: str) -> None:
    """PyTorch refuses in-place writes where several elements share one memory location."""
    x = ember.ones(3, 1, device=device).expand(3, 4)
    with pytest.raises(RuntimeError, match="memory location|expanded"):
        x.add_(1)


def test_integer_negative_power(device: str) -> None:
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ember.tensor([2, 3], device=device) ** -1


def test_integer_division_by_zero_scalar(device: str) -> None:
    x = ember.tensor([1, 2], device=device)
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        x // 0
    with pytest.raises(ZeroDivisionError, match="remainder"):
        x % 0
    assert (ember.tensor([1.0], device=device) // 0).item() == float("inf")  # floats follow IEEE
