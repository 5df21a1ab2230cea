"""A catalogue of ordinary mistakes: each one raises (or warns) as PyTorch does, never returns a wrong value
and never surfaces a NumPy/pyopencl/safetensors message unwrapped.

Each case asserts the exception type and that the message names the op and the offending values; the
tensor cases run on every backend through the `device` fixture (``--ember-backend=opencl``).
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember import serialization
from ember.data import DataLoader, Dataset, default_collate


def T(data, device, **kw):
    return ember.tensor(data, device=device, **kw)


# -- Python scalars and explicit dtypes that cannot hold the data -------------------------------------------

SCALAR_OVERFLOW = [
    ("add", lambda x: x + 2**70, "1180591620717411303424"),
    ("mul", lambda x: x * 2**64, "18446744073709551616"),
    ("sub", lambda x: 2**70 - x, "1180591620717411303424"),
    ("eq", lambda x: x == 2**64, "18446744073709551616"),
    ("add", lambda x: x.float() + 2**70, "1180591620717411303424"),  # PyTorch: int too big, float tensor too
    ("sub", lambda x: x - (-(2**63) - 1), "-9223372036854775809"),
]


@pytest.mark.parametrize(
    ("op", "fn", "value"), SCALAR_OVERFLOW, ids=[f"{c[0]}-{i}" for i, c in enumerate(SCALAR_OVERFLOW)]
)
def test_python_int_scalar_too_big(device, op, fn, value) -> None:
    with pytest.raises(OverflowError, match=rf"^{op}: the Python int {value} is too big to convert"):
        fn(T([1], device))


def test_python_int_scalar_in_range_wraps_as_in_pytorch(device) -> None:
    # within [-2**63, 2**64) a weak int wraps into the tensor's integer dtype (PyTorch: 1 + 2**63 -> -2**63 + 1)
    assert (T([1], device) + 2**63).tolist() == [-(2**63) + 1]
    assert (T([1], device, dtype=ember.uint8) + 300).tolist() == [45]


CREATION_OVERFLOW = [
    (
        lambda d: ember.tensor([300], dtype=ember.uint8, device=d),
        RuntimeError,
        r"tensor: value 300 cannot be converted to type uint8",
    ),
    (lambda d: ember.tensor([-256], dtype=ember.uint8, device=d), RuntimeError, r"tensor: value -256 cannot .* uint8"),
    (
        lambda d: ember.tensor([2**40], dtype=ember.int32, device=d),
        RuntimeError,
        r"tensor: value 1099511627776 .* int32",
    ),
    (
        lambda d: ember.tensor([1, 2**31], dtype=ember.int32, device=d),
        RuntimeError,
        r"tensor: value 2147483648 .* int32",
    ),
    (
        lambda d: ember.tensor([2**63], device=d),
        ValueError,
        r"tensor\(\): the Python int 9223372036854775808 overflows int64",
    ),
    (lambda d: ember.tensor([-(2**63) - 1], device=d), ValueError, r"tensor\(\): the Python int -9223372036854775809"),
    (lambda d: ember.tensor([2**64], device=d), ValueError, r"tensor\(\): the Python int 18446744073709551616"),
    (lambda d: ember.tensor(float("nan"), dtype=ember.int64, device=d), RuntimeError, r"tensor: value nan .* int64"),
    (
        lambda d: ember.tensor([1.0, float("inf")], dtype=ember.int32, device=d),
        RuntimeError,
        r"tensor: value inf .* int32",
    ),
    (lambda d: ember.tensor([-1.5], dtype=ember.uint8, device=d), RuntimeError, r"tensor: value -1.5 .* uint8"),
    (lambda d: ember.tensor([256.0], dtype=ember.uint8, device=d), RuntimeError, r"tensor: value 256.0 .* uint8"),
    (lambda d: ember.as_tensor([300], dtype=ember.uint8, device=d), RuntimeError, r"value 300 .* uint8"),
    (lambda d: ember.full((2,), float("nan"), dtype=ember.int64, device=d), RuntimeError, r"full: value nan .* int64"),
    (lambda d: ember.full((2,), 300, dtype=ember.uint8, device=d), RuntimeError, r"full: value 300 .* uint8"),
    (lambda d: ember.full((2,), 1e20, dtype=ember.int32, device=d), RuntimeError, r"full: value 1e\+20 .* int32"),
    (lambda d: ember.zeros(2, dtype=ember.uint8, device=d).fill_(300), RuntimeError, r"full_like: value 300 .* uint8"),
    (
        lambda d: ember.zeros(2, dtype=ember.int64, device=d).fill_(float("nan")),
        RuntimeError,
        r"full_like: value nan .* int64",
    ),
    (
        lambda d: ember.full_like(ember.zeros(2, dtype=ember.int8, device=d), 200),
        RuntimeError,
        r"full_like: value 200 .* int8",
    ),
    (
        lambda d: ember.zeros(2, dtype=ember.uint8, device=d).masked_fill(T([True, False], d), 300),
        RuntimeError,
        r"masked_fill: value 300 .* uint8",
    ),
    (
        lambda d: ember.where(T([True], d), T([1], d, dtype=ember.int32), 2**40),
        RuntimeError,
        r"where: value 1099511627776 .* int32",
    ),
    (lambda d: T([1, 2], d, dtype=ember.uint8).clamp(max=300), RuntimeError, r"clamp: value 300 .* uint8"),
    (
        lambda d: ember.arange(0, 2**70, device=d),
        OverflowError,
        r"arange: the Python int 1180591620717411303424 is too big",
    ),
]


@pytest.mark.parametrize(
    ("fn", "error", "match"), CREATION_OVERFLOW, ids=[str(i) for i in range(len(CREATION_OVERFLOW))]
)
def test_creation_value_the_dtype_cannot_hold(device, fn, error, match) -> None:
    with pytest.raises(error, match=match):
        fn(device)


def test_creation_values_that_fit_still_work(device) -> None:
    # PyTorch's rule: an unsigned dtype takes ints down to -max (C wrap-around); floats truncate; big floats
    # become inf in a floating dtype; arrays are cast as C does (no check)
    assert ember.tensor([-1, 255], dtype=ember.uint8, device=device).tolist() == [255, 255]
    assert ember.tensor([2.7, -2.7], dtype=ember.int32, device=device).tolist() == [2, -2]
    assert ember.tensor([-(2**31)], dtype=ember.int32, device=device).tolist() == [-(2**31)]
    assert ember.tensor([2**70], dtype=ember.float64, device=device).tolist() == [float(2**70)]
    assert ember.tensor([1.0, 2**70], device=device).dtype is ember.float32
    assert ember.tensor(np.array([300]), dtype=ember.uint8, device=device).tolist() == [44]
    assert ember.tensor([True, 2], dtype=ember.bool_, device=device).tolist() == [True, True]
    assert ember.full((1,), -1, dtype=ember.uint8, device=device).tolist() == [255]
    assert ember.zeros(2, dtype=ember.uint8, device=device).masked_fill(T([True, False], device), -1).tolist() == [
        255,
        0,
    ]
    assert T([1], device, dtype=ember.int32).add(5, alpha=3).tolist() == [16]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ([[1, 2], [3]], r"expected sequence of length 2 at dim 1 \(got 1\)"),
        ([[1, 2], [3, 4, 5]], r"expected sequence of length 2 at dim 1 \(got 3\)"),
        ([[[1], [2]], [[3]]], r"expected sequence of length 2 at dim 1 \(got 1\)"),
        ([[[1, 2]], [[3]]], r"expected sequence of length 2 at dim 2 \(got 1\)"),
        ([[1, 2], 3], r"mixed numbers and sequences at dim 1"),
    ],
)
def test_ragged_lists(device, data, match) -> None:
    with pytest.raises(ValueError, match=r"^tensor\(\): " + match) as info:
        ember.tensor(data, device=device)
    assert "inhomogeneous" not in str(info.value)


# -- integer division and remainder by zero ----------------------------------------------------------------

DIVISION = [
    ("floor_divide", lambda a, b: a // b),
    ("remainder", lambda a, b: a % b),
    ("fmod", lambda a, b: ember.fmod(a, b)),
    ("floor_divide", lambda a, b: ember.floor_divide(a, b)),
]


@pytest.mark.parametrize(("op", "fn"), DIVISION, ids=[f"{c[0]}-{i}" for i, c in enumerate(DIVISION)])
@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.uint8])
def test_integer_division_by_a_tensor_holding_zero(device, op, fn, dtype) -> None:
    a, b = T([5, 7], device, dtype=dtype), T([0, 1], device, dtype=dtype)
    with pytest.raises(ZeroDivisionError, match=rf"^{op}: integer division by zero: the divisor .* holds 0"):
        fn(a, b)
    with pytest.raises(ZeroDivisionError, match=rf"^{op}: integer division by zero"):
        fn(a, 0)
    with pytest.raises(ZeroDivisionError, match=rf"^{op}: integer division by zero"):
        fn(7, b)  # a Python dividend, a tensor divisor
    with pytest.raises(RuntimeError, match=rf"^{op}: integer division by zero"):  # PyTorch's exception type
        fn(a, b)


@pytest.mark.parametrize("fn", [ember.add, ember.sub], ids=["add", "sub"])
def test_alpha_must_fit_the_result_dtype(device, fn) -> None:
    name = fn.__name__
    ints = T([1, 2], device)
    with pytest.raises(RuntimeError, match=rf"^{name}: for integral input tensors .* alpha=0.5"):
        fn(ints, ints, alpha=0.5)
    with pytest.raises(RuntimeError, match=rf"^{name}: alpha=300 cannot be converted to the result dtype int8"):
        fn(T([1], device, dtype=ember.int8), T([2], device, dtype=ember.int8), alpha=300)
    # what PyTorch accepts: an int alpha for ints (no wrap at 2**40), a float alpha once the result is floating,
    # an int alpha read as a bool for bool results
    big = fn(ints, T([1, 1], device), alpha=2**40).tolist()
    assert big == ([1 + 2**40, 2 + 2**40] if name == "add" else [1 - 2**40, 2 - 2**40])
    assert fn(ints, T([2.0, 2.0], device), alpha=0.5).tolist() == ([2.0, 3.0] if name == "add" else [0.0, 1.0])
    if name == "add":
        assert ember.add(T([True], device), T([True], device), alpha=2).tolist() == [True]


def test_integer_division_without_zero_and_float_division_by_zero(device) -> None:
    assert (T([5, -7], device) // T([2, 2], device)).tolist() == [2, -4]
    assert (T([5, -7], device) % T([3, 3], device)).tolist() == [2, 2]
    assert (T([], device, dtype=ember.int64) // T([], device, dtype=ember.int64)).tolist() == []
    out = (T([1.0, -1.0], device) // T([0.0, 0.0], device)).tolist()  # floats: inf, as IEEE says
    assert out == [float("inf"), float("-inf")]


# -- indices ----------------------------------------------------------------------------------------------

INDEX_ERRORS = [
    (lambda d: ember.index_select(T([1.0, 2, 3], d), 0, T([-1], d)), "index_select", -1, 0, 3, 0),
    (lambda d: ember.index_select(T([1.0, 2, 3], d), 0, T([0, 3], d)), "index_select", 3, 0, 3, 0),
    (lambda d: ember.index_select(T([[1.0, 2, 3]], d), 1, T([5], d)), "index_select", 5, 1, 3, 0),
    (lambda d: T([1.0, 2, 3], d)[T([3], d)], "index", 3, 0, 3, -3),
    (lambda d: T([1.0, 2, 3], d)[T([-4], d)], "index", -4, 0, 3, -3),
    (lambda d: T([[1.0, 2, 3]], d)[:, T([0, 7], d)], "index", 7, 1, 3, -3),
    (lambda d: ember.gather(T([[1.0, 2], [3, 4]], d), 1, T([[0], [2]], d)), "gather", 2, 1, 2, 0),
    (lambda d: ember.gather(T([[1.0, 2], [3, 4]], d), 1, T([[0], [-1]], d)), "gather", -1, 1, 2, 0),
]


@pytest.mark.parametrize(
    ("fn", "op", "value", "dim", "size", "lo"), INDEX_ERRORS, ids=[str(i) for i in range(len(INDEX_ERRORS))]
)
def test_index_out_of_range_one_message_on_every_backend(device, fn, op, value, dim, size, lo) -> None:
    want = rf"^{op}: index {value} is out of range for dimension {dim} with size {size} \(indices must be in \[{lo}, {size}\)\)$"
    with pytest.raises(IndexError, match=want):
        fn(device)


def test_index_put_out_of_range(device) -> None:
    x = T([1.0, 2, 3], device)
    with pytest.raises(IndexError, match=r"^index_put: index 3 is out of range for dimension 0 with size 3"):
        x[T([3], device)] = 0.0


def test_embedding_refuses_negative_and_too_large_indices(device) -> None:
    emb = nn.Embedding(5, 2).to(device)
    for bad in (-1, 5):
        with pytest.raises(
            IndexError,
            match=rf"^embedding: index {bad} is out of range for dimension 0 with size 5 \(indices must be in \[0, 5\)\)",
        ):
            emb(T([0, bad], device))
    assert tuple(emb(T([[0, 4]], device)).shape) == (1, 2, 2)


def test_index_select_and_embedding_still_differentiate(device) -> None:
    w = ember.ones(4, 3, device=device, requires_grad=True)
    F.embedding(T([1, 1, 3], device), w).sum().backward()
    assert w.grad.tolist() == [[0.0] * 3, [2.0] * 3, [0.0] * 3, [1.0] * 3]
    x = ember.ones(2, 4, device=device, requires_grad=True)
    ember.index_select(x, 1, T([0, 0], device)).sum().backward()
    assert x.grad.tolist() == [[2.0, 0, 0, 0]] * 2


def test_uint8_index_is_a_mask(device) -> None:
    assert T([1.0, 2, 3], device)[T([1, 0, 1], device, dtype=ember.uint8)].tolist() == [1.0, 3.0]


def test_take_along_dim(device) -> None:
    out = ember.take_along_dim(T([[1.0, 2], [3, 4]], device), T([[0], [1]], device), 1)
    assert out.tolist() == [[1.0], [4.0]]


# -- dtype agreement between a layer's parameters and its input -------------------------------------------

LAYERS = [
    ("conv1d", lambda: nn.Conv1d(1, 1, 3), (1, 1, 5)),
    ("conv2d", lambda: nn.Conv2d(1, 1, 3), (1, 1, 5, 5)),
    ("conv3d", lambda: nn.Conv3d(1, 1, 3), (1, 1, 4, 4, 4)),
    ("conv_transpose1d", lambda: nn.ConvTranspose1d(1, 1, 3), (1, 1, 5)),
    ("conv_transpose2d", lambda: nn.ConvTranspose2d(1, 1, 3), (1, 1, 5, 5)),
    ("conv_transpose3d", lambda: nn.ConvTranspose3d(1, 1, 3), (1, 1, 4, 4, 4)),
    ("batch_norm", lambda: nn.BatchNorm1d(3), (2, 3)),
    ("batch_norm", lambda: nn.BatchNorm2d(3), (2, 3, 2, 2)),
    ("layer_norm", lambda: nn.LayerNorm(3), (2, 3)),
    ("group_norm", lambda: nn.GroupNorm(1, 3), (2, 3, 2)),
    ("instance_norm", lambda: nn.InstanceNorm1d(3, affine=True), (2, 3, 4)),
    ("rms_norm", lambda: nn.RMSNorm(3), (2, 3)),
    ("linear", lambda: nn.Linear(3, 3), (2, 3)),
]


@pytest.mark.parametrize(("op", "make", "shape"), LAYERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])
def test_layer_parameters_and_input_of_different_dtypes(device, op, make, shape) -> None:
    layer = make().to(device)
    with pytest.raises(RuntimeError, match=rf"^{op}: .*float64.*float32|^{op}: .*float32.*float64"):
        layer(ember.zeros(*shape, dtype=ember.float64, device=device))
    layer.double()
    assert layer(ember.zeros(*shape, dtype=ember.float64, device=device)).dtype is ember.float64


# -- nn constructor arguments ----------------------------------------------------------------------------

CONSTRUCTORS = [
    (lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError, r"^Conv2d: stride must be positive, got stride=0"),
    (lambda: nn.Conv2d(1, 1, 3, padding=-1), ValueError, r"^Conv2d: padding must be non-negative, got padding=-1"),
    (lambda: nn.Conv2d(1, 1, (3, 0)), ValueError, r"^Conv2d: kernel_size must be positive, got kernel_size=\(3, 0\)"),
    (lambda: nn.Conv1d(1, 1, 3, dilation=0), ValueError, r"^Conv1d: dilation must be positive, got dilation=0"),
    (lambda: nn.Conv3d(1, 1, 3, groups=0), ValueError, r"^Conv3d: groups must be a positive integer, got groups=0"),
    (lambda: nn.Conv2d(-1, 1, 3), ValueError, r"^Conv2d: in_channels must be non-negative, got in_channels=-1"),
    (
        lambda: nn.ConvTranspose2d(1, 1, 3, output_padding=-1),
        ValueError,
        r"^ConvTranspose2d: output_padding must be non-negative",
    ),
    (lambda: nn.Conv2d(1, 1, 3, stride=1.5), TypeError, r"^Conv2d: stride must be an int or a tuple of ints, got 1.5"),
    (lambda: nn.MaxPool2d(0), ValueError, r"^MaxPool2d: kernel_size must be positive, got kernel_size=0"),
    (lambda: nn.MaxPool2d(2, padding=-1), ValueError, r"^MaxPool2d: padding must be non-negative, got padding=-1"),
    (lambda: nn.AvgPool2d(2, stride=0), ValueError, r"^AvgPool2d: stride must be positive, got stride=0"),
    (lambda: nn.MaxUnpool2d(2, stride=(0, 1)), ValueError, r"^MaxUnpool2d: stride must be positive"),
    (lambda: nn.LPPool2d(2, 0), ValueError, r"^LPPool2d: kernel_size must be positive"),
    (lambda: nn.Linear(-1, 2), ValueError, r"^Linear: in_features must be non-negative, got in_features=-1"),
    (lambda: nn.Embedding(-1, 2), ValueError, r"^Embedding: num_embeddings must be non-negative"),
    (lambda: nn.Dropout(p=2), ValueError, r"^Dropout: dropout probability has to be between 0 and 1, but got 2"),
    (lambda: nn.Dropout2d(p=-0.1), ValueError, r"^Dropout2d: dropout probability has to be between 0 and 1"),
    (lambda: nn.MultiheadAttention(10, 3), ValueError, r"embed_dim \(10\) must be divisible by num_heads \(3\)"),
    (lambda: nn.MultiheadAttention(8, -2), ValueError, r"embed_dim \(8\) must be divisible by num_heads \(-2\), both positive"),
    (lambda: nn.Transformer(d_model=10, nhead=3), ValueError, r"embed_dim \(10\) must be divisible by num_heads \(3\)"),
    (lambda: nn.TransformerEncoderLayer(8, 2, activation="foo"), RuntimeError, r"activation should be relu/gelu, not foo"),
    (lambda: nn.TransformerDecoderLayer(8, 2, dropout=-1.0), ValueError, r"dropout probability has to be between 0 and 1"),
    (lambda: nn.BatchNorm2d(-1), RuntimeError, r"negative dimension -1"),
    (lambda: nn.GroupNorm(3, 4), ValueError, r"num_channels \(4\) must be divisible by num_groups \(3\)"),
    (lambda: nn.EmbeddingBag(5, 3, mode="foo"), ValueError, r"EmbeddingBag: mode has to be one of sum, mean or max"),
    (lambda: nn.GRU(3, 0), ValueError, r"hidden_size must be a positive integer, got 0"),
    (lambda: nn.LSTM(3, 4, dropout=2.0), ValueError, r"dropout should be a number in range \[0, 1\]"),
    (lambda: nn.RNN(3, 4, nonlinearity="foo"), ValueError, r"Unknown nonlinearity 'foo'"),
    (lambda: nn.Upsample()(ember.ones(1, 1, 2, 2)), ValueError, r"either size or scale_factor should be defined"),
    (lambda: nn.Upsample(size=4, scale_factor=2)(ember.ones(1, 1, 2, 2)), ValueError, r"only one of size or scale_factor"),
    (lambda: nn.Upsample(scale_factor=2, mode="foo")(ember.ones(1, 1, 2, 2)), NotImplementedError, r"unknown mode 'foo'"),
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear")(ember.ones(1, 1, 2)), NotImplementedError, r"bilinear mode needs 4D input"),
    (lambda: nn.PixelShuffle(0)(ember.ones(1, 4, 2, 2)), RuntimeError, r"pixel_shuffle expects a positive upscale_factor, but got 0"),
]


@pytest.mark.parametrize(("make", "error", "match"), CONSTRUCTORS, ids=[str(i) for i in range(len(CONSTRUCTORS))])
def test_nn_constructor_arguments(make, error, match) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "make",
    [lambda: nn.Linear(-1, 2), lambda: nn.Conv2d(-1, 1, 3), lambda: nn.Embedding(-1, 2), lambda: nn.Conv2d(1, 1, 3, stride=0),
     lambda: nn.MaxPool2d(0)],  # fmt: skip
)
def test_nn_size_arguments_raise_pytorchs_runtime_error_too(make) -> None:
    """PyTorch raises RuntimeError for these (a negative dimension, a zero stride); Ember's ValueError is one too."""
    with pytest.raises(RuntimeError, match="must be"):
        make()


# -- sizes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "match"),
    [
        (
            lambda d: ember.empty(2**62, device=d),
            r"^empty: storage size calculation overflowed with sizes=\[4611686018427387904\]",
        ),
        (lambda d: ember.zeros(2**63, device=d), r"^zeros: storage size calculation overflowed"),
        (lambda d: ember.ones(2**40, 2**40, device=d), r"^ones: storage size calculation overflowed"),
        (
            # 256 TiB: past any x86-64/arm64 address space, so it fails even where memory is overcommitted
            lambda d: ember.zeros(2**46, device=d),
            r"^zeros: cannot allocate 281474976710656 bytes .* size \[70368744177664\] and dtype float32 on ",
        ),
        (lambda d: ember.eye(-2, device=d), r"^eye: n must be greater or equal to 0, got -2"),
        (lambda d: ember.eye(2, -1, device=d), r"^eye: m must be greater or equal to 0, got -1"),
        (lambda d: ember.empty(-1, device=d), r"^empty: negative dimension -1"),
    ],
)
def test_sizes(device, fn, match) -> None:
    with pytest.raises(RuntimeError, match=match):
        fn(device)


# -- autograd ---------------------------------------------------------------------------------------------


def test_hook_may_not_change_the_gradient_size(device) -> None:
    x = ember.zeros(3, requires_grad=True, device=device)

    def widen(g):
        return ember.zeros(5, device=device)

    x.register_hook(widen)
    with pytest.raises(
        RuntimeError, match=r"^hook 'widen' has changed the size of value: expected shape \(3,\), got \(5,\)"
    ):
        (x * 2).sum().backward()


def test_hook_on_a_non_leaf_may_not_change_the_dtype(device) -> None:
    x = ember.zeros(3, requires_grad=True, device=device)
    y = x * 2
    y.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match=r"has changed the type of value: expected float32, got float64"):
        y.sum().backward()


def test_grad_of_a_non_leaf_warns(device) -> None:
    x = ember.zeros(3, requires_grad=True, device=device)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.sum().backward()
        assert y.grad.tolist() == [1.0] * 3 and x.grad.tolist() == [2.0] * 3


def test_assigning_a_grad_of_another_shape(device) -> None:
    x = ember.zeros(3, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"assigned grad has data of a different size: .*\(3,\).*\(4,\)"):
        x.grad = ember.zeros(4, device=device)
    with pytest.raises(TypeError, match="assigned grad must be a Tensor or None"):
        x.grad = [0.0, 0.0, 0.0]


# -- losses -----------------------------------------------------------------------------------------------


def test_bce_target_outside_0_1(device) -> None:
    with pytest.raises(
        ValueError,
        match=r"^binary_cross_entropy: all elements of target should be between 0 and 1, got values in \[0.0, 2.0\]",
    ):
        F.binary_cross_entropy(T([0.5, 0.5], device), T([2.0, 0.0], device))
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(T([1.5, 0.5], device), T([1.0, 0.0], device))


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_elementwise_loss_broadcast_warns(device, fn) -> None:
    with pytest.warns(
        UserWarning, match=rf"^{fn}: using a target size \(3,\) that is different to the input size \(3, 1\)"
    ):
        out = getattr(F, fn)(ember.zeros(3, 1, device=device), ember.zeros(3, device=device))
    assert float(out.item()) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(F, fn)(ember.zeros(3, device=device), ember.zeros(3, device=device))


def test_cross_entropy_float_class_indices(device) -> None:
    with pytest.raises(
        RuntimeError,
        match=r"^cross_entropy: expected target dtype to be an integer dtype for class indices, got float32 of shape \(3,\).*target.long\(\)",
    ):
        F.cross_entropy(ember.zeros(3, 4, device=device), T([1.0, 2.0, 0.0], device))


# -- data -------------------------------------------------------------------------------------------------


def test_collate_none_sample() -> None:
    with pytest.raises(TypeError, match=r"^default_collate: batch must contain .*; found <class 'NoneType'>"):
        default_collate([None, None])


class _Slow(Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int) -> int:
        time.sleep(30)
        return i


def test_dataloader_timeout_is_prompt() -> None:
    loader = DataLoader(_Slow(), num_workers=1, timeout=1)
    it = iter(loader)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 1 seconds"):
        next(it)
    assert time.monotonic() - start < 2.5  # the timeout, worker start-up, a short grace: not seconds more


# -- save / load ------------------------------------------------------------------------------------------


def test_save_into_a_missing_directory_names_the_path(tmp_path) -> None:
    path = tmp_path / "missing" / "model.ckpt"
    with pytest.raises(FileNotFoundError, match=r"ember.save: cannot save to '.*missing/model.ckpt'") as info:
        ember.save({"w": ember.ones(2)}, path)
    assert ".tmp" not in str(info.value)


def _fsize_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_save_failing_part_way_names_the_path_and_leaves_nothing(tmp_path) -> None:
    path = tmp_path / "model.ckpt"
    ember.save({"w": ember.ones(2)}, path)  # a previous checkpoint, which must survive
    code = (
        "import ember, sys\n"
        "try:\n    ember.save({'w': ember.ones(100000)}, sys.argv[1])\n"
        "except OSError as e:\n    print(type(e).__name__, e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, preexec_fn=_fsize_limit, timeout=60
    )
    assert f"ember.save: cannot save to {str(path)!r}: writing it failed" in out.stdout, out.stdout + out.stderr
    assert "File too large" in out.stdout
    assert os.listdir(tmp_path) == ["model.ckpt"]
    assert ember.load(path)["w"].tolist() == [1.0, 1.0]


def test_stale_temporary_of_a_killed_save_is_cleaned(tmp_path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / "model.ckpt"
    stale = tmp_path / f".model.ckpt.{serialization._HOST}-{dead.pid}.0123456789ab.tmp"
    live = tmp_path / f".model.ckpt.{serialization._HOST}-{os.getppid()}.0123456789ab.tmp"  # a writer still running
    other = tmp_path / f".other.ckpt.{serialization._HOST}-{dead.pid}.0123456789ab.tmp"  # another path's
    for p in (stale, live, other):
        p.write_bytes(b"x" * 100)
    ember.save({"w": ember.ones(2)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.ckpt", live.name, other.name])


def test_save_killed_mid_write_keeps_the_previous_checkpoint_and_the_next_save_cleans_up(tmp_path) -> None:
    path = tmp_path / "model.ckpt"
    ember.save({"w": ember.ones(2)}, path)
    code = (
        "import ember, os, signal, sys\n"
        "from safetensors import numpy as st\n"
        "real = st.save_file\n"
        "def die(arrays, tmp, metadata=None):\n"
        "    open(tmp, 'wb').write(b'partial')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "st.save_file = die\n"
        "ember.save({'w': ember.zeros(3)}, sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], timeout=60)
    assert len(os.listdir(tmp_path)) == 2  # the checkpoint and the killed save's temporary
    assert ember.load(path)["w"].tolist() == [1.0, 1.0]
    ember.save({"w": ember.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["model.ckpt"]


def test_load_a_pickle_is_explained(tmp_path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": [1.0]}))
    with pytest.raises(
        serialization.SerializationError, match=r"model.pt' is a pickle, not an Ember checkpoint.*weights_only=True"
    ):
        ember.load(path)
    with pytest.raises(FileNotFoundError, match="nothere.ckpt"):
        ember.load(tmp_path / "nothere.ckpt")


# -- PyTorch's exception types: where PyTorch raises RuntimeError, Ember's clearer ValueError/TypeError is one too

PYTORCH_RUNTIME_ERRORS = [
    ("linear", lambda d: nn.functional.linear(T([[1.0, 2.0, 3.0]], d), ember.ones(4, 5, device=d)), "linear: expected input with last dimension 5"),
    ("Linear", lambda d: nn.Linear(5, 4).to(d)(ember.ones(2, 3, device=d)), "Linear: expected input with last dimension 5"),
    ("layer_norm", lambda d: nn.LayerNorm(5).to(d)(ember.ones(2, 3, device=d)), r"layer_norm: expected input with shape \(\*, 5\)"),
    ("BatchNorm1d", lambda d: nn.BatchNorm1d(3).to(d)(ember.ones(2, 4, device=d)), "BatchNorm1d: expected input of shape .* to have 3 channels"),
    ("GroupNorm", lambda d: nn.GroupNorm(2, 4).to(d)(ember.ones(2, 6, 3, device=d)), r"GroupNorm: expected input \(N, 4, \*\)"),
    ("cross_entropy weight", lambda d: nn.functional.cross_entropy(ember.zeros(2, 3, device=d), T([0, 1], d), weight=ember.ones(2, device=d)), "cross_entropy: weight should be a 1-D tensor of 3 elements"),
    ("label_smoothing", lambda d: nn.functional.cross_entropy(ember.zeros(2, 3, device=d), T([0, 1], d), label_smoothing=2.0), "cross_entropy: label_smoothing must be between 0.0 and 1.0"),
    ("pad", lambda d: nn.functional.pad(ember.ones(1, 2, 4, device=d), (1,)), "pad: padding length must be even"),
    ("one_hot", lambda d: nn.functional.one_hot(T([1.0], d), 2), "one_hot is only applicable to index tensors, got dtype float32"),
    ("embedding", lambda d: nn.Embedding(3, 2).to(d)(T([1.0], d)), "embedding: expected an integer index tensor, got dtype float32"),
    ("unfold", lambda d: nn.Unfold(0)(ember.ones(1, 2, 4, 4, device=d)), r"unfold: kernel_size should be greater than zero, got kernel_size=\(0, 0\)"),
    ("fold", lambda d: nn.functional.fold(ember.ones(1, 4, 4, device=d), (3, 3), 2, stride=0), r"fold: stride should be greater than zero"),
    ("unfold padding", lambda d: nn.functional.unfold(ember.ones(1, 2, 4, 4, device=d), 2, padding=-1), r"unfold: padding should be non-negative"),
]


@pytest.mark.parametrize(("name", "fn", "match"), PYTORCH_RUNTIME_ERRORS, ids=[c[0] for c in PYTORCH_RUNTIME_ERRORS])
def test_pytorch_runtime_error_types(device, name, fn, match) -> None:
    with pytest.raises(RuntimeError, match=match):
        fn(device)


def test_recurrent_input_size_must_be_positive() -> None:
    for bad in (0, -1):
        with pytest.raises(ValueError, match=rf"input_size must be a positive integer, got {bad}"):
            nn.LSTM(bad, 3)


def test_clip_grad_norm_bad_norm_type_fails_without_gradients() -> None:
    with pytest.raises(ValueError, match="could not convert string to float"):
        nn.utils.clip_grad_norm_([nn.Parameter(ember.ones(2))], 1.0, norm_type="foo")


def test_index_tensor_dtypes_follow_pytorch(device) -> None:
    x = ember.arange(6, device=device)
    for dt in (ember.int8, ember.int16):
        with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool tensors"):
            x[T([1, 2], device, dtype=dt)]
        with pytest.raises(RuntimeError, match="index_select: index must be a 0-d or 1-D int64 or int32 tensor"):
            ember.index_select(x, 0, T([1], device, dtype=dt))
    assert x[T([1, 2], device, dtype=ember.int32)].tolist() == [1, 2]
    assert x[T([1, 0, 1, 0, 1, 0], device, dtype=ember.uint8)].tolist() == [0, 2, 4]  # a byte tensor is a mask
    assert ember.index_select(x, 0, T([4], device, dtype=ember.int32)).tolist() == [4]
    with pytest.raises(RuntimeError, match=r"take\(\): Expected a long tensor for index"):
        ember.take(x, T([1], device, dtype=ember.int32))


def test_is_causal_is_a_hint_about_the_mask(device) -> None:
    mha = nn.MultiheadAttention(8, 2).to(device)
    x = ember.randn(3, 2, 8, device=device)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    causal = nn.Transformer.generate_square_subsequent_mask(3, device=device)
    np.testing.assert_allclose(
        mha(x, x, x, attn_mask=causal, is_causal=True)[0].detach().numpy(),
        mha(x, x, x, attn_mask=causal)[0].detach().numpy(),
    )
