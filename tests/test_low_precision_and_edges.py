"""Regression tests for kernels the conformance kit's edge-value and bfloat16 checks caught (issue 21).

Each expected value comes from PyTorch (2.13, CPU) or from float64 arithmetic, never from Ember.
"""

from __future__ import annotations

import numpy as np
import pytest
from plugin_fixtures.marks import needs_cpu

import ember
from ember.ops.activation import _log_softmax_impl

pytestmark = needs_cpu


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_core_log_softmax_keeps_precision_in_half_types(dtype: str) -> None:
    # core's composite itself (the NumPy backend overrides log_softmax, which hid the loss)
    x = np.array([[1000.0, 1001.0, 999.0]])
    dt = getattr(ember, dtype)
    got = _log_softmax_impl(ember.tensor(x, dtype=dt), 1)
    exact = x - np.log(np.exp(x - x.max()).sum()) - x.max()  # [-1.4076, -0.4076, -2.4076]
    rounded_in = x.astype(dt.numpy).astype(np.float64)  # bfloat16 rounds 1001 and 999 to 1000
    exact = rounded_in - (np.log(np.exp(rounded_in - rounded_in.max()).sum()) + rounded_in.max())
    assert got.dtype is dt
    np.testing.assert_allclose(got.float().numpy(), exact, atol=8e-3 if dtype == "bfloat16" else 2e-3)
    if dtype == "float16":  # PyTorch: [-1.4072, -0.4075, -2.4082]; the old composite gave [-1.5, -0.5, -2.5]
        np.testing.assert_allclose(got.float().numpy(), [[-1.4072, -0.4075, -2.4082]], atol=1e-3)


def test_bool_pow_bool_is_bool() -> None:
    a = ember.tensor([True, False, True, False])
    b = ember.tensor([True, True, False, False])
    out = a**b
    assert out.dtype is ember.bool_
    assert out.numpy().dtype == np.bool_  # the data, not only the label
    assert out.tolist() == [True, False, True, True]
    assert (out + True).tolist() == [True, True, True, True]  # was [2, 1, 2, 2]: int8 data labelled bool


def test_integer_pow_with_negative_tensor_exponents_matches_pytorch() -> None:
    # torch.tensor([0, 1, -1, 2, -2, 0, 5, -1]) ** torch.tensor([-1, -1, -1, -1, -3, -2, -2, -4])
    a = ember.tensor([0, 1, -1, 2, -2, 0, 5, -1])
    b = ember.tensor([-1, -1, -1, -1, -3, -2, -2, -4])
    assert (a**b).tolist() == [0, 1, -1, 0, 0, 0, 0, 1]
    with pytest.raises(RuntimeError, match="pow: integers to negative integer powers"):
        a**-1  # a Python exponent: PyTorch raises too


def test_i1_of_huge_values_is_inf_and_of_negative_zero_is_zero() -> None:
    # it summed ~1e38 series terms (hung); torch.special.i1 gives inf, -inf, 1.5285e+302, 0.
    x = ember.tensor([3e38, -1000.0, 700.0, -0.0], dtype=ember.float64)
    out = ember.special.i1(x).numpy()
    assert out[0] == np.inf and out[1] == -np.inf
    np.testing.assert_allclose(out[2], 1.5285e302, rtol=1e-4)
    assert out[3] == 0 and not np.signbit(out[3])


def test_integer_sum_with_a_small_dtype_keeps_it() -> None:
    x = ember.tensor([[1, 2], [3, 4]], dtype=ember.int32)
    for out in (x.sum(dtype=ember.int32), x.prod(1, dtype=ember.int32)):
        assert out.dtype is ember.int32 and out.numpy().dtype == np.int32


def test_bfloat16_matmul_and_cummax_keep_dtype_and_nan() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    x = ember.tensor(a, dtype=ember.bfloat16)
    out = x @ x
    assert out.dtype is ember.bfloat16 and out.numpy().dtype == ember.bfloat16.numpy  # was float32 data
    np.testing.assert_array_equal(out.float().numpy(), a @ a)
    v = ember.tensor([1.0, float("nan"), 2.0], dtype=ember.bfloat16)
    values, indices = ember.cummax(v, 0)  # torch: values [1, nan, nan], indices [0, 1, 1]
    assert np.isnan(values.float().numpy()[1:]).all() and indices.tolist() == [0, 1, 1]


def test_special_functions_of_an_empty_input_return_new_arrays() -> None:
    x = ember.zeros(0)
    assert ember.erf(x)._data is not x._data


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_sign_of_negative_zero_is_zero_and_of_nan_is_zero(dtype: str) -> None:
    # torch.sign(-0.0) is 0.0 and torch.sign(nan) is 0 (NumPy's np.sign gives nan; see docs/primitives.md)
    out = ember.sign(ember.tensor([-0.0, float("nan"), -2.0], dtype=getattr(ember, dtype))).float().numpy()
    assert out[0] == 0 and not np.signbit(out[0]) and out[1] == 0 and not np.signbit(out[1]) and out[2] == -1


def test_core_logcumsumexp_propagates_nan_past_an_inf() -> None:
    # core's scan composite (the NumPy backend overrides it); torch.logcumsumexp gives [nan, nan, nan] and [1, inf, nan]
    from ember.ops.reduction import _logcumsumexp_impl

    inf, nan = float("inf"), float("nan")
    out = _logcumsumexp_impl(ember.tensor([nan, inf, 1.0]), 0).numpy()
    assert np.isnan(out).all()
    out = _logcumsumexp_impl(ember.tensor([1.0, inf, nan]), 0).numpy()
    assert out[0] == 1.0 and out[1] == inf and np.isnan(out[2])
