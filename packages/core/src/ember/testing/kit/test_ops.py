"""Every op of `OP_DB` against its NumPy reference, and its gradients (float64) against finite differences."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.dispatch import API
from ember.testing.kit import op_params, require_dtype, sample_supported
from ember.testing.kit.test_kernels import _check_aliasing, _tensors
from ember.testing.op_db import OP_DB, Arg, OpInfo, SampleInput, assert_same, to_ember, to_numpy

DIFFERENTIABLE = [info for info in OP_DB if info.differentiable]


def _run(info: OpInfo, sample: SampleInput, device: str) -> Any:
    args = to_ember(sample.args, device)
    kwargs = to_ember(sample.kwargs, device)
    return info.op(*args, **kwargs)


@pytest.mark.parametrize(("info", "dtype"), op_params("values", OP_DB))
def test_values(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """Values, shape and dtype of every sample against the NumPy reference."""
    require_dtype(backend, dtype)
    for sample in info.samples(dtype):
        if not sample_supported(sample, backend):
            continue
        expected = info.ref(*to_numpy(sample.args), **to_numpy(sample.kwargs))
        args, kwargs = to_ember(sample.args, device), to_ember(sample.kwargs, device)
        actual = info.op(*args, **kwargs)
        what = f"{info.name} {sample!r} ({dtype})"
        assert_same(actual, expected, info.tolerance, what)
        # in every dtype: the inputs keep their values, and the results alias them only where core made views
        inputs = _tensors((args, kwargs))
        if info.name != "setitem":  # setitem writes its input: that is its point
            for i, (t, arr) in enumerate(zip(inputs, [a.array for a in sample.arrays()])):
                if tuple(t.shape) == arr.shape and t.dtype.numpy == arr.dtype:
                    np.testing.assert_array_equal(t.detach().numpy(), arr, err_msg=f"{what} modified input tensor {i}")
            with ember.no_grad():
                _check_aliasing(info, sample, inputs, actual)


class _Leaf:
    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


def _leaves(sample: SampleInput, device: str) -> tuple[list[Any], Any]:
    """Leaf tensors (requires_grad) for the differentiable Args, and a function rebuilding the call."""
    leaves: list[Any] = []

    def build(obj: Any) -> Any:
        if isinstance(obj, Arg):
            t = to_ember(obj, device, requires_grad=True)
            if t.requires_grad:
                leaves.append(t)
                return _Leaf(len(leaves) - 1)
            return t
        if isinstance(obj, tuple):
            return tuple(build(x) for x in obj)
        if isinstance(obj, list):
            return [build(x) for x in obj]
        if isinstance(obj, dict):
            return {k: build(v) for k, v in obj.items()}
        return obj

    args, kwargs = build(sample.args), build(sample.kwargs)

    def fill(obj: Any, xs: tuple[Any, ...]) -> Any:
        if isinstance(obj, _Leaf):
            return xs[obj.i]
        if isinstance(obj, tuple):
            return tuple(fill(x, xs) for x in obj)
        if isinstance(obj, list):
            return [fill(x, xs) for x in obj]
        if isinstance(obj, dict):
            return {k: fill(v, xs) for k, v in obj.items()}
        return obj

    def call(info: OpInfo) -> Any:
        def fn(*xs: Any) -> Any:
            out = info.op(*fill(args, xs), **fill(kwargs, xs))
            return tuple(out) if isinstance(out, (tuple, list)) else out

        return fn

    return leaves, call


def _grad_samples(info: OpInfo, device: str, backend: Any) -> list[tuple[SampleInput, list[Any], Any]]:
    out, unsupported = [], 0
    for sample in info.samples("float64", grad_only=True):
        if not sample_supported(sample, backend):  # e.g. a sample that computes in a complex dtype
            unsupported += 1
            continue
        leaves, call = _leaves(sample, device)
        if leaves:
            out.append((sample, leaves, call(info)))
    if not out and unsupported:
        pytest.skip(f"backend {backend.name!r} supports none of the dtypes of {info.name}'s gradient samples")
    assert out, f"{info.name}: no sample has a differentiable input; give it one or mark it non-differentiable"
    return out


@pytest.mark.parametrize(("info", "dtype"), op_params("gradcheck", DIFFERENTIABLE, dtypes="float64"))
def test_gradcheck(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """Analytical first derivatives against central differences, in float64."""
    require_dtype(backend, dtype)
    known = []
    for sample, leaves, fn in _grad_samples(info, device, backend):
        try:
            assert ember.autograd.gradcheck(fn, tuple(leaves), eps=1e-6, atol=1e-5, rtol=1e-3)
        except Exception as exc:
            if "gradcheck" in sample.xfail:
                known.append(sample.xfail["gradcheck"])
                continue
            raise AssertionError(f"{info.name} {sample!r}: {exc}") from exc
    if known:
        pytest.xfail("; ".join(known))


@pytest.mark.parametrize(
    ("info", "dtype"), op_params("gradgradcheck", [i for i in DIFFERENTIABLE if i.gradgrad], dtypes="float64")
)
def test_gradgradcheck(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """Second derivatives (double backward through the derivative, which is written in ember ops)."""
    require_dtype(backend, dtype)
    known = []
    for sample, leaves, fn in _grad_samples(info, device, backend):
        gen = ember.Generator(device).manual_seed(0)
        with_grad = [o for o in _outputs(fn(*leaves)) if o.dtype.is_floating_point and o.requires_grad]
        grad_outputs = [
            ember.randn(o.shape, dtype=o.dtype, device=device, generator=gen).requires_grad_() for o in with_grad
        ]
        if not grad_outputs:
            continue
        try:
            assert ember.autograd.gradgradcheck(fn, tuple(leaves), grad_outputs, eps=1e-6, atol=1e-5, rtol=1e-3)
        except Exception as exc:
            if "gradgradcheck" in sample.xfail:
                known.append(sample.xfail["gradgradcheck"])
                continue
            raise AssertionError(f"{info.name} {sample!r}: {exc}") from exc
    if known:
        pytest.xfail("; ".join(known))


def _outputs(out: Any) -> tuple[Any, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


@pytest.mark.parametrize(("info", "dtype"), op_params("backward_empty", DIFFERENTIABLE, dtypes="float32"))
def test_backward_through_empty(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """Backward through samples with an empty input or output runs and gives gradients of the inputs'
    shapes and dtypes (gradcheck has no output element to differentiate there, so it never runs backward)."""
    require_dtype(backend, dtype)
    ran = 0
    for sample in info.samples(dtype):
        if not sample_supported(sample, backend):
            continue
        leaves, call = _leaves(sample, device)
        if not leaves:
            continue
        outs = [o for o in _outputs(call(info)(*leaves)) if o.dtype.is_floating_point and o.requires_grad]
        empty_in = any(a.array.size == 0 for a in sample.arrays())
        if not outs or not (empty_in or any(o.numel() == 0 for o in outs)):
            continue
        total = outs[0].sum()
        for o in outs[1:]:
            total = total + o.sum()
        total.backward()
        for i, leaf in enumerate(leaves):
            g = leaf.grad
            assert g is None or (g.shape == leaf.shape and g.dtype is leaf.dtype), (
                f"{info.name} {sample!r}: gradient of input {i} has shape {g.shape} and dtype {g.dtype.name}, "
                f"expected {leaf.shape} and {leaf.dtype.name}"
            )
        ran += 1
    if not ran:
        pytest.skip(f"{info.name}: no sample with an empty input or output")


@pytest.mark.parametrize("info", [pytest.param(i, id=i.name) for i in OP_DB])
def test_samples_cover_layouts(info: OpInfo) -> None:
    """The op table itself: every op's samples include 0-d or empty inputs and a non-contiguous one."""
    args = [a for s in info.samples(info.dtypes[0]) for a in s.arrays()]
    assert any(a.layout != "contiguous" for a in args), f"{info.name}: no non-contiguous sample"
    assert any(a.array.ndim == 0 or a.array.size == 0 for a in args), f"{info.name}: no 0-d or empty sample"


def test_reference_independent_of_ember() -> None:
    """References return NumPy arrays (they never compute through ember)."""
    for info in OP_DB:
        s = info.samples(info.dtypes[0])[0]
        out = info.ref(*to_numpy(s.args), **to_numpy(s.kwargs))
        for o in _outputs(out):
            assert isinstance(o, (np.ndarray, np.generic)), f"{info.name}: reference returned {type(o).__name__}"


def _method_ops() -> list[OpInfo]:
    """The ops whose Tensor method is the function with the tensor first (declared `@public(method=True)`)."""
    return [i for i in OP_DB if i.name in API and API[i.name].method]


def _first_is_tensor(sample: SampleInput) -> bool:
    return bool(sample.args) and isinstance(sample.args[0], Arg)


@pytest.mark.parametrize("info", [pytest.param(i, id=i.name) for i in _method_ops()])
def test_method_variant(info: OpInfo, backend: Any, device: str) -> None:
    """``x.op(*rest)`` gives what ``ember.op(x, *rest)`` gives."""
    dtype = info.dtypes[0]
    require_dtype(backend, dtype)
    for sample in info.samples(dtype):
        if not _first_is_tensor(sample) or not sample_supported(sample, backend):
            continue
        args, kwargs = to_ember(sample.args, device), to_ember(sample.kwargs, device)
        expected = info.op(*args, **kwargs)
        actual = getattr(args[0], info.name)(*args[1:], **kwargs)
        expected_np = [np.asarray(t.detach().numpy()) for t in _outputs(expected)]
        assert_same(actual, expected_np if isinstance(expected, (tuple, list)) else expected_np[0], lambda d: (0, 0),
                    f"{info.name} method {sample!r}")  # fmt: skip


def _inplace_ops() -> list[OpInfo]:
    return [i for i in OP_DB if i.name in API and API[i.name].inplace]


@pytest.mark.parametrize(("info", "dtype"), op_params("inplace", _inplace_ops(), dtypes="float32"))
def test_inplace_variant(info: OpInfo, dtype: str, backend: Any, device: str) -> None:
    """``x.op_(*rest)`` writes ``op(x, *rest)`` into x (also through a non-contiguous view), returns x
    and bumps its version, wherever the result has x's shape and dtype (or is bool: comparisons and logical
    ops write it as 0/1 in x's dtype, as PyTorch's ``x.eq_(y)``)."""
    require_dtype(backend, dtype)
    checked = 0
    for sample in info.samples(dtype):
        if not _first_is_tensor(sample) or not sample_supported(sample, backend):
            continue
        args, kwargs = to_ember(sample.args, device), to_ember(sample.kwargs, device)
        expected = info.op(*args, **kwargs)
        x = args[0]
        if not isinstance(expected, ember.Tensor) or expected.shape != x.shape:
            continue
        if expected.dtype is ember.bool and x.dtype is not ember.bool:
            expected = expected.to(x.dtype)
        if expected.dtype is not x.dtype:
            continue
        version = x._version_value
        out = getattr(x, f"{info.name}_")(*args[1:], **kwargs)
        assert out is x, f"{info.name}_ must return the tensor it modified"
        assert x._version_value > version, f"{info.name}_ did not bump the version counter"
        assert_same(x, expected.numpy(), info.tolerance, f"{info.name}_ {sample!r}")
        checked += 1
    assert checked, f"{info.name}_: no sample has a result of the input's shape and dtype"


@pytest.mark.parametrize("info", [pytest.param(i, id=i.name) for i in OP_DB if i.error_inputs is not None])
def test_error_inputs(info: OpInfo, backend: Any, device: str) -> None:
    """Every bad call of the entry raises its error, with a message naming the op and the problem."""
    require_dtype(backend, "float32")
    errors = info.errors()
    assert errors, f"{info.name}: error_inputs gave no bad calls"
    for bad in errors:
        with pytest.raises(bad.error, match=bad.match):
            _run(info, bad.sample, device)
