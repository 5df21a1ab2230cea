"""Pointwise functions that do not fit the op table: Python-bool results (equal, allclose), the bitwise
operators, and the methods whose tensor is not the first argument (x.polygamma(n))."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember


def test_equal_is_a_python_bool_of_shape_and_values(device: str) -> None:
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert ember.equal(a, a.clone()) is True
    assert a.equal(ember.tensor([[1, 2], [3, 4]], device=device)) is True  # values compare after promotion
    assert ember.equal(a, a + 1e-3) is False
    assert ember.equal(a, a.reshape(4)) is False  # same values, another shape
    assert ember.equal(a[:0], ember.zeros(0, 2, device=device)) is True
    nan = ember.tensor([float("nan")], device=device)
    assert ember.equal(nan, nan) is False
    with pytest.raises(TypeError, match="equal: input and other must be Tensors"):
        ember.equal(a, 1.0)


def test_allclose_is_a_python_bool(device: str) -> None:
    a = ember.tensor([1.0, 2.0, float("inf"), float("nan")], device=device)
    b = ember.tensor([1.0 + 1e-7, 2.0, float("inf"), float("nan")], device=device)
    assert ember.allclose(a, b) is False  # nan is not close to nan ...
    assert ember.allclose(a, b, equal_nan=True) is True  # ... unless asked
    assert a.allclose(b + 1e-3, rtol=0.0, atol=1e-2, equal_nan=True) is True
    assert ember.allclose(a[:2], ember.tensor([1.0, 2.1], device=device)) is False
    assert ember.allclose(ember.ones(2, 3, device=device), ember.ones(3, device=device)) is True  # broadcast
    with pytest.raises(RuntimeError, match="isclose: input and other must have the same dtype"):
        ember.allclose(a, a.double())
    with pytest.raises(RuntimeError, match="isclose: shapes"):
        ember.allclose(a, a[:3])


def test_bitwise_operators_on_integers_and_bools(device: str) -> None:
    a_np = np.array([3, -4, 5, 0], np.int64)
    b_np = np.array([6, 6, -1, 7], np.int64)
    a, b = ember.tensor(a_np, device=device), ember.tensor(b_np, device=device)
    np.testing.assert_array_equal((a & b).numpy(), a_np & b_np)
    np.testing.assert_array_equal((a | b).numpy(), a_np | b_np)
    np.testing.assert_array_equal((a ^ b).numpy(), a_np ^ b_np)
    np.testing.assert_array_equal((~a).numpy(), ~a_np)
    np.testing.assert_array_equal((a << 2).numpy(), a_np << 2)
    np.testing.assert_array_equal((a >> 1).numpy(), a_np >> 1)
    np.testing.assert_array_equal((1 << ember.tensor([0, 3], device=device)).numpy(), [1, 8])
    np.testing.assert_array_equal((64 >> ember.tensor([0, 3], device=device)).numpy(), [64, 8])
    np.testing.assert_array_equal((5 & a).numpy(), 5 & a_np)
    np.testing.assert_array_equal((a << 64).numpy(), [0, 0, 0, 0])  # past the width, as PyTorch
    np.testing.assert_array_equal((a >> 70).numpy(), [0, -1, 0, 0])
    m = ember.tensor([True, False, True], device=device)
    n = ember.tensor([True, True, False], device=device)
    assert (m & n).dtype is ember.bool and (m & n).tolist() == [True, False, False]
    assert (m | n).tolist() == [True, True, True] and (m ^ n).tolist() == [False, True, True]
    assert (~m).tolist() == [False, True, False]
    c = a.clone()
    c &= b
    c |= 1
    c ^= 2
    c <<= 1
    c >>= 1
    np.testing.assert_array_equal(c.numpy(), (((a_np & b_np) | 1) ^ 2) << 1 >> 1)
    f = ember.tensor([1.0, 2.0], device=device)
    for bad in (lambda: f & f, lambda: f | 1, lambda: ~f, lambda: f << 1, lambda: m << m):
        with pytest.raises(TypeError, match="bitwise_.*: not supported on (floating|bool) tensors"):
            bad()


def test_polygamma_and_mvlgamma_methods(device: str) -> None:
    x = ember.tensor([0.5, 1.0, 2.5], dtype=ember.float64, device=device)
    np.testing.assert_allclose(x.polygamma(1).numpy(), [np.pi**2 / 2, np.pi**2 / 6, 0.4903577561002349], rtol=1e-12)
    np.testing.assert_allclose(x.polygamma(0).numpy(), ember.digamma(x).numpy())
    y = x.clone()
    assert y.polygamma_(2) is y
    np.testing.assert_allclose(y.numpy(), ember.polygamma(2, x).numpy())
    z = ember.tensor([2.5, 3.0], dtype=ember.float64, device=device)
    expected = [0.5 * math.log(math.pi) + math.lgamma(v) + math.lgamma(v - 0.5) for v in (2.5, 3.0)]
    np.testing.assert_allclose(z.mvlgamma(2).numpy(), expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="polygamma: n must be a non-negative integer"):
        x.polygamma(-1)


def test_div_rounding_modes_match_numpy(device: str) -> None:
    # PyTorch's torch.div: rounding_mode None is true division, "trunc" rounds toward zero (C's /), "floor" rounds
    # down (Python's //); the rounded modes keep the promoted dtype
    a_np = np.array([7, -7, 7, -7, 0, 5], np.int64)
    b_np = np.array([2, 2, -2, -2, 3, 5], np.int64)
    a, b = ember.tensor(a_np, device=device), ember.tensor(b_np, device=device)
    trunc = ember.div(a, b, rounding_mode="trunc")
    assert trunc.dtype is ember.int64
    np.testing.assert_array_equal(trunc.numpy(), np.trunc(a_np / b_np).astype(np.int64))
    floor = a.div(b, rounding_mode="floor")
    assert floor.dtype is ember.int64
    np.testing.assert_array_equal(floor.numpy(), a_np // b_np)
    true = ember.divide(a, b, rounding_mode=None)
    assert true.dtype is ember.float32
    np.testing.assert_allclose(true.numpy(), (a_np / b_np).astype(np.float32))
    np.testing.assert_array_equal(ember.div(a, 2, rounding_mode="trunc").numpy(), np.trunc(a_np / 2).astype(np.int64))
    np.testing.assert_array_equal(ember.div(-9, b, rounding_mode="trunc").numpy(), np.trunc(-9 / b_np).astype(np.int64))
    x_np = np.array([5.5, -5.5, -0.5, 0.5, 1.0, -1.0], np.float32)
    y_np = np.array([2.0, 2.0, 1.0, -1.0, 0.0, 0.0], np.float32)
    x, y = ember.tensor(x_np, device=device), ember.tensor(y_np, device=device)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(x.div(y, rounding_mode="trunc").numpy(), np.trunc(x_np / y_np))  # -0.0 kept
        np.testing.assert_array_equal(x.div(y, rounding_mode="floor").numpy(), np.floor_divide(x_np, y_np))
    assert np.signbit(x.div(y, rounding_mode="trunc").numpy()[2])
    r = ember.div(a, 2.5, rounding_mode="floor")  # a float scalar promotes an integer tensor to the default float
    assert r.dtype is ember.float32
    np.testing.assert_array_equal(r.numpy(), np.floor_divide(a_np, 2.5).astype(np.float32))
    u = ember.tensor([5, 251], dtype=ember.uint8, device=device).div(2, rounding_mode="floor")
    assert u.dtype is ember.uint8 and u.tolist() == [2, 125]
    z = x.clone()
    z.div_(2.0, rounding_mode="floor")
    np.testing.assert_array_equal(z.numpy(), np.floor_divide(x_np, 2.0))
    with pytest.raises(ZeroDivisionError, match="div: integer division by zero"):
        ember.div(a, ember.zeros_like(a), rounding_mode="trunc")
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        ember.div(a, 0, rounding_mode="floor")
    with pytest.raises(RuntimeError, match="div: rounding_mode must be one of None, 'trunc', 'floor', got 'round'"):
        ember.div(x, y, rounding_mode="round")


def test_div_rounding_modes_have_zero_gradient(device: str) -> None:
    # PyTorch's derivative of div with a rounding mode is zero for both operands
    x = ember.tensor([5.5, -3.0], device=device, requires_grad=True)
    y = ember.tensor([2.0, 2.0], device=device, requires_grad=True)
    for mode in ("trunc", "floor"):
        x.grad = y.grad = None
        ember.div(x, y, rounding_mode=mode).sum().backward()
        assert x.grad is not None and x.grad.tolist() == [0.0, 0.0]
        assert y.grad is not None and y.grad.tolist() == [0.0, 0.0]


def test_round_to_decimals(device: str) -> None:
    # PyTorch's torch.round(input, decimals=d): round half to even of input * 10**d, divided back (d < 0: to tens,
    # hundreds, ...), in the input's dtype; integer tensors take decimals=0 only
    x_np = np.array([0.5, 1.5, 2.5, -0.5, 1.2345, -1.2355, 1234.5, np.inf, np.nan], np.float32)
    x = ember.tensor(x_np, device=device)
    for d in (2, 1, -2):
        s = np.float32(10.0 ** abs(d))
        want = np.round(x_np * s) / s if d > 0 else np.round(x_np / s) * s
        got = ember.round(x, decimals=d)
        assert got.dtype is ember.float32
        np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(x.round().numpy(), np.round(x_np))
    assert ember.tensor([1e30], device=device).round(decimals=10).tolist() == [math.inf]  # overflows, as PyTorch
    y = x.clone()
    y.round_(decimals=1)
    np.testing.assert_array_equal(y.numpy(), np.round(x_np * np.float32(10)) / np.float32(10))
    i = ember.tensor([15, -25], device=device)
    assert i.round().tolist() == [15, -25] and i.round().dtype is ember.int64
    with pytest.raises(TypeError, match="round: decimals=1 is not supported on integer tensors"):
        i.round(decimals=1)
    w = ember.tensor([1.25, 2.0], device=device, requires_grad=True)
    ember.round(w, decimals=1).sum().backward()  # zero gradient, as every rounding
    assert w.grad is not None and w.grad.tolist() == [0.0, 0.0]


def test_sign_is_zero_at_nan_and_keeps_bools(device: str) -> None:
    # PyTorch's torch.sign: 0 at nan (NumPy's np.sign gives nan), and a bool tensor comes back as bool
    x = ember.tensor([-2.0, -0.0, 0.0, 3.0, math.nan, -math.inf], device=device)
    s = ember.sign(x)
    np.testing.assert_array_equal(s.numpy(), [-1.0, 0.0, 0.0, 1.0, 0.0, -1.0])
    assert not np.signbit(s.numpy()[1:3]).any()  # sign(-0.0) is 0.0
    np.testing.assert_array_equal(ember.sgn(x).numpy(), s.numpy())
    b = ember.tensor([True, False], device=device)
    assert b.sign().dtype is ember.bool and b.sign().tolist() == [True, False]
    assert ember.tensor([-3, 0, 5], dtype=ember.int8, device=device).sign().tolist() == [-1, 0, 1]


def test_clamp_with_a_nan_bound_gives_nan(device: str) -> None:
    # PyTorch's clamp is min(max(input, min), max) with nan propagating from input and from either bound
    x_np = np.array([1.0, 5.0, 10.0, np.nan], np.float32)
    x = ember.tensor(x_np, device=device)
    assert np.isnan(x.clamp(min=math.nan).numpy()).all()
    assert np.isnan(ember.clamp(x, max=math.nan).numpy()).all()
    lo_np = np.array([2.0, np.nan, 2.0, 2.0], np.float32)
    hi_np = np.array([3.0, 3.0, np.nan, 3.0], np.float32)
    lo, hi = ember.tensor(lo_np, device=device), ember.tensor(hi_np, device=device)
    np.testing.assert_array_equal(x.clamp(lo, hi).numpy(), np.minimum(np.maximum(x_np, lo_np), hi_np))
    np.testing.assert_array_equal(x.clamp(min=3.0, max=7.0).numpy(), [3.0, 5.0, 7.0, np.nan])
    np.testing.assert_array_equal(x.clamp(min=7.0, max=3.0).numpy(), [3.0, 3.0, 3.0, np.nan])  # min > max: max
    i = ember.tensor([1, 5, 10], device=device)
    assert i.clamp(min=ember.tensor([2, 2, 2], device=device)).tolist() == [2, 5, 10]


def test_torch_special_names_are_in_ember_special() -> None:
    # torch.special.expit is torch.sigmoid, psi digamma, gammaln lgamma, multigammaln mvlgamma (PyTorch's docs)
    assert ember.special.expit is ember.sigmoid and ember.special.psi is ember.digamma
    assert ember.special.gammaln is ember.lgamma and ember.special.multigammaln is ember.mvlgamma
    for name in ("digamma", "erf", "erfc", "erfinv", "exp2", "expm1", "i0", "log1p", "log_softmax", "logit",
                 "logsumexp", "polygamma", "round", "sinc", "softmax", "xlogy"):  # fmt: skip
        assert getattr(ember.special, name) is getattr(ember, name), name


def test_special_normal_distribution_functions(device: str) -> None:
    from statistics import NormalDist

    nd = NormalDist()
    xs = [-40.0, -20.0, -10.5, -9.5, -3.0, -1.0, 0.0, 1.0, 3.0, 10.0]
    dts = [ember.float32, ember.float64] if device == "cpu" else [ember.float32]
    for dt in dts:
        x = ember.tensor(xs, dtype=dt, device=device)
        rtol = 1e-5 if dt is ember.float32 else 1e-12
        cdf = ember.special.ndtr(x)
        assert cdf.dtype is dt
        tiny = 1e-44 if dt is ember.float32 else 0.0  # ndtr(-20) = 2.8e-89 is below float32's range
        np.testing.assert_allclose(cdf.numpy(), [0.5 * math.erfc(-v / math.sqrt(2)) for v in xs], rtol=rtol, atol=tiny)
        # log ndtr: log(erfc(-x / sqrt 2) / 2), and log1p(-erfc(x / sqrt 2) / 2) above 0 (-7.62e-24 at 10)
        # (erfc underflows at -40 in float64: SciPy's scipy.special.log_ndtr(-40.0) is -804.6084420137539)
        want = [math.log(0.5 * math.erfc(-v / math.sqrt(2))) if v <= 0 else math.log1p(-0.5 * math.erfc(v / math.sqrt(2)))
                for v in xs[1:]]  # fmt: skip
        want = [-804.6084420137539, *want]
        np.testing.assert_allclose(ember.special.log_ndtr(x).numpy(), want, rtol=rtol, atol=0)
        ps = [1e-30, 1e-10, 0.001, 0.25, 0.5, 0.75, 0.999, 0.99999]
        p = ember.tensor(ps, dtype=dt, device=device)
        want = [nd.inv_cdf(float(v)) for v in p.double().numpy()]  # of the values p holds in its dtype
        np.testing.assert_allclose(ember.special.ndtri(p).numpy(), want, rtol=rtol, atol=0)
        edge = ember.special.ndtri(ember.tensor([0.0, 1.0, -0.1, 1.1, math.nan], dtype=dt, device=device)).numpy()
        np.testing.assert_array_equal(edge, [-math.inf, math.inf, math.nan, math.nan, math.nan])
    assert ember.special.ndtr(ember.tensor([1, 2], device=device)).dtype is ember.float32


def test_special_entr_and_xlog1py(device: str) -> None:
    # torch.special.entr: -x log x, 0 at 0, -inf below 0; xlog1py: x * log1p(y), 0 where x == 0 unless y is nan
    x = ember.tensor([-1.0, 0.0, 0.5, 2.0, math.nan, math.inf], device=device)
    np.testing.assert_allclose(
        ember.special.entr(x).numpy(), [-math.inf, 0.0, -0.5 * math.log(0.5), -2 * math.log(2.0), math.nan, -math.inf],
        rtol=1e-6,
    )  # fmt: skip
    a = ember.tensor([0.0, 0.0, 0.0, 1.0, 2.0, 3.0], device=device)
    b = ember.tensor([-1.0, -2.0, math.nan, 2.0, -1.0, 1e-8], device=device)
    np.testing.assert_allclose(
        ember.special.xlog1py(a, b).numpy(), [0.0, 0.0, math.nan, math.log1p(2.0), -math.inf, 3 * math.log1p(1e-8)],
        rtol=1e-6,
    )  # fmt: skip
    i = ember.special.xlog1py(ember.tensor([0, 1], device=device), ember.tensor([0, 1], device=device))
    assert i.dtype is ember.float32 and np.allclose(i.numpy(), [0.0, math.log(2.0)])
    np.testing.assert_allclose(ember.special.xlog1py(2, a).numpy(), 2 * np.log1p(a.numpy()), rtol=1e-6)
    np.testing.assert_allclose(ember.special.xlog1py(a, -1).numpy(), [0.0, 0.0, 0.0, -math.inf, -math.inf, -math.inf])


def test_logit_eps_clamps_as_pytorch(device: str) -> None:
    # torch.logit clamps p to eps where p < eps, else to 1 - eps where p > 1 - eps: an eps above 0.5 gives
    # logit(eps) below eps and logit(1 - eps) above 1 - eps
    p = ember.tensor([0.0, 0.25, 0.5, 1.0, -0.1, 1.1], device=device)
    lg = lambda v: math.log(v / (1 - v))  # noqa: E731
    np.testing.assert_allclose(p.logit(eps=0.3).numpy(), [lg(0.3), lg(0.3), 0.0, lg(0.7), lg(0.3), lg(0.7)], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ember.logit(p, eps=0.7).numpy(), [lg(0.7)] * 3 + [lg(0.3), lg(0.7), lg(0.3)], rtol=1e-6)


def test_lerp_weight_one_gives_end_and_a_0d_weight_of_another_dtype(device: str) -> None:
    # PyTorch's lerp computes end - (end - start) * (1 - weight) where |weight| >= 0.5 (so weight 1 is end exactly)
    # and takes a 0-d weight tensor of another floating dtype
    start = ember.tensor([0.1, 1e8, -3.3], device=device)
    end = ember.tensor([0.7, -2.9, 1e-3], device=device)
    assert ember.lerp(start, end, 1.0).tolist() == end.tolist()
    assert ember.lerp(start, end, ember.ones(3, device=device)).tolist() == end.tolist()
    assert ember.lerp(start, end, 0.0).tolist() == start.tolist()
    s, e = start.numpy().astype(np.float64), end.numpy().astype(np.float64)
    w_np = np.array([0.25, 0.5, 0.75], np.float32)
    np.testing.assert_allclose(start.lerp(end, ember.tensor(w_np, device=device)).numpy(), s + w_np * (e - s), rtol=1e-6)
    got = ember.lerp(start, end, ember.tensor(0.25, dtype=ember.float64, device=device))
    assert got.dtype is ember.float32
    np.testing.assert_allclose(got.numpy(), s + 0.25 * (e - s), rtol=1e-6)
    with pytest.raises(RuntimeError, match="lerp: expected dtype float32 for weight"):
        ember.lerp(start, end, ember.tensor([0.5, 0.5, 0.5], dtype=ember.float64, device=device))


def test_rsub_clamp_min_clamp_max_and_square_of_bool(device: str) -> None:
    x = ember.tensor([1, 2, 7], device=device)
    r = ember.rsub(x, 5)  # torch.rsub(input, other, alpha) is other - alpha * input
    assert r.dtype is ember.int64 and r.tolist() == [4, 3, -2]
    assert ember.rsub(x, ember.tensor([10, 10, 10], device=device), alpha=2).tolist() == [8, 6, -4]
    assert ember.clamp_min(x, 2).tolist() == [2, 2, 7] and ember.clamp_max(x, 2).tolist() == [1, 2, 2]
    y = x.clone()
    y.clamp_min_(3)
    assert y.tolist() == [3, 3, 7] and x.clamp_max(2.5).dtype is ember.float32
    b = ember.square(ember.tensor([True, False], device=device))  # torch.square(bool) is pow(bool, 2): int64
    assert b.dtype is ember.int64 and b.tolist() == [1, 0]


def test_in_place_comparisons_keep_the_tensor_dtype(device: str) -> None:
    # PyTorch's x.eq_(y), x.lt_(y), x.logical_and_(y), x.logical_not_(): the bool result written as 0/1 into x
    x_np = np.array([1.0, 5.0, -2.0], np.float32)
    y_np = np.array([1.0, 3.0, 0.0], np.float32)
    y = ember.tensor(y_np, device=device)
    for name, ref in (("eq_", np.equal), ("ne_", np.not_equal), ("lt_", np.less), ("le_", np.less_equal),
                      ("gt_", np.greater), ("ge_", np.greater_equal), ("logical_and_", np.logical_and),
                      ("logical_or_", np.logical_or), ("logical_xor_", np.logical_xor)):  # fmt: skip
        x = ember.tensor(x_np, device=device)
        assert getattr(x, name)(y) is x and x.dtype is ember.float32, name
        np.testing.assert_array_equal(x.numpy(), ref(x_np, y_np).astype(np.float32), err_msg=name)
    i = ember.tensor([1, 5, 0], device=device)
    i.lt_(3)
    assert i.dtype is ember.int64 and i.tolist() == [1, 0, 1]
    i.logical_not_()
    assert i.tolist() == [0, 1, 0]


def test_sub_of_a_bool_tensor_and_float_power_in_place_raise(device: str) -> None:
    m = ember.tensor([True, False], device=device)
    # PyTorch refuses subtraction with a bool tensor on either side (a RuntimeError), whatever the other operand
    for f in (lambda: m - 1, lambda: 1 - m, lambda: m - m, lambda: ember.ones(2, device=device) - m,
              lambda: ember.sub(m, 1.5), lambda: m.sub_(1), lambda: ember.tensor([2], device=device) - True,
              lambda: ember.sub(True, ember.ones(2, device=device))):  # fmt: skip
        with pytest.raises(RuntimeError, match="sub: not supported on bool tensors"):
            f()
    with pytest.raises(TypeError, match="sub: not supported on bool tensors"):  # also a TypeError, as before
        m - m
    # an op refusing a dtype kind raises what PyTorch raises ("not implemented for 'Long'") and a TypeError
    with pytest.raises(NotImplementedError, match="hypot: not supported on integer tensors"):
        ember.hypot(ember.tensor([3], device=device), ember.tensor([4], device=device))
    # float_power_ writes a float64 result: PyTorch's takes float64 tensors only
    x = ember.tensor([2.0, 3.0], device=device)
    with pytest.raises(RuntimeError, match="float_power_: the base has dtype float32"):
        x.float_power_(2)
    d = ember.tensor([2.0, 3.0], dtype=ember.float64, device=device)
    assert d.float_power_(2) is d and d.tolist() == [4.0, 9.0]


def test_out_argument_of_the_elementwise_functions(device: str) -> None:
    # PyTorch's out=: the result written into out (cast to its dtype within the kind order) and out returned;
    # resized, with a warning when it held elements; no autograd
    a_np = np.array([1.0, -2.0, 4.0], np.float32)
    a = ember.tensor(a_np, device=device)
    o = ember.empty(3, device=device)
    assert ember.add(a, 1, alpha=2, out=o) is o
    np.testing.assert_array_equal(o.numpy(), a_np + 2)
    o64 = ember.zeros(3, dtype=ember.float64, device=device)
    ember.mul(a, a, out=o64)
    assert o64.dtype is ember.float64 and o64.tolist() == (a_np * a_np).astype(np.float64).tolist()
    f = ember.zeros(3, device=device)
    ember.lt(a, 0, out=f)  # a bool result into a float tensor
    assert f.tolist() == [0.0, 1.0, 0.0]
    ember.exp(a, out=f)
    np.testing.assert_allclose(f.numpy(), np.exp(a_np), rtol=1e-6)
    ember.div(ember.tensor([7, -7, 2], device=device), 2, rounding_mode="floor", out=f)
    assert f.tolist() == [3.0, -4.0, 1.0]
    ember.clamp(a, -1, 2, out=f)
    assert f.tolist() == [1.0, -1.0, 2.0]
    ember.round(ember.tensor([1.26, 2.5], device=device), decimals=1, out=f[:2])  # a view is written through
    np.testing.assert_allclose(f.numpy(), [1.3, 2.5, 2.0], rtol=1e-6)
    empty = ember.empty(0, device=device)
    ember.sub(a, ember.ones(2, 1, device=device), out=empty)  # resized to the broadcast shape, silently
    assert empty.shape == (2, 3)
    np.testing.assert_array_equal(empty.numpy(), a_np - np.ones((2, 1), np.float32))
    small = ember.zeros(5, device=device)
    with pytest.warns(UserWarning, match="an output with one or more elements was resized"):
        ember.neg(a, out=small)
    assert small.shape == (3,) and small.tolist() == (-a_np).tolist()
    ember.add(a, 1, out=a)  # out may be an input
    np.testing.assert_array_equal(a.numpy(), a_np + 1)
    with pytest.raises(RuntimeError, match="result type float32 can't be cast to the desired output type int64"):
        ember.add(a, 1, out=ember.zeros(3, dtype=ember.int64, device=device))
    w = ember.tensor(a_np, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=... arguments don't support automatic"):
        ember.add(w, 1, out=ember.zeros(3, device=device))
    with ember.no_grad():
        ember.add(w, 1, out=o)
    assert o.tolist() == (a_np + 1).tolist()
    # the composites take out= too (torch.logaddexp, torch.lerp, torch.special.ndtr, ...)
    b = ember.tensor([0.5, 1.0, 2.0], device=device)
    for fn, args in ((ember.logaddexp, (b, b)), (ember.lerp, (b, a, 0.25)), (ember.special.ndtr, (b,)),
                     (ember.addcmul, (b, b, a)), (ember.nan_to_num, (b,)), (ember.xlogy, (b, a))):  # fmt: skip
        r = ember.empty(3, device=device)
        assert fn(*args, out=r) is r, fn.__name__
        np.testing.assert_array_equal(r.numpy(), fn(*args).numpy(), err_msg=fn.__name__)


def test_sigmoid_tails_and_weak_ints_wrapping_in_comparisons(device: str) -> None:
    x_np = np.array([-100.0, -30.0, -5.0, 0.0, 5.0, 30.0, np.nan], np.float32)
    # 1 / (1 + exp(-x)) as PyTorch computes it: 9.4e-14 at -30 (0.5 * tanh(x / 2) + 0.5 gave 0), and 0 at -100
    # (exp(100) overflows float32; the exact value 3.7e-44 is a float32 subnormal)
    want = 1.0 / (1.0 + np.exp(-x_np.astype(np.float64)))
    np.testing.assert_allclose(ember.sigmoid(ember.tensor(x_np, device=device)).numpy(), want, rtol=1e-6, atol=1e-43)
    h = ember.sigmoid(ember.tensor([-12.0, -5.0, 3.0], dtype=ember.float64, device=device))
    np.testing.assert_allclose(h.numpy(), 1.0 / (1.0 + np.exp([12.0, 5.0, -3.0])), rtol=1e-14)
    # PyTorch casts a Python int operand into the tensor's integer dtype (a C cast) for comparisons too:
    # uint8 < -1 compares with 255, int8 < 1000 with -24 -- the same on every backend
    u = ember.tensor([1, 255], dtype=ember.uint8, device=device)
    assert ember.lt(u, -1).tolist() == [True, False] and (u == -1).tolist() == [False, True]
    assert (ember.tensor([1, -24], dtype=ember.int8, device=device) < 1000).tolist() == [False, False]
    assert ember.clamp(u, min=-1).tolist() == [255, 255]


def test_erfinv_near_one_in_float64(device: str) -> None:
    # erfinv(1 - 2**-52) is 5.805018683193453 (SciPy's scipy.special.erfinv; PyTorch's agrees): checked through
    # erfc, which keeps the relative precision there; OpenCL's Newton steps on erf converged to 5.41
    y = np.array([0.3, -0.7, 0.999, 1 - 1e-10, 1 - 2**-52, -(1 - 2**-53)])
    x = ember.erfinv(ember.tensor(y, dtype=ember.float64, device=device)).numpy()
    np.testing.assert_allclose([math.erfc(abs(v)) for v in x], 1 - np.abs(y), rtol=1e-12)
    assert np.array_equal(np.sign(x), np.sign(y)) and abs(x[4] - 5.805018683193453) < 1e-12


def test_ldexp_is_exact_where_the_result_is_representable(device: str) -> None:
    # torch.ldexp(1e-30, 200) is 1e-30 * 2**200 = 1.6e30 in float32 (2**200 alone overflows float32)
    x_np = np.array([0.0, 1e-30, 1.0, 3.0, -0.0], np.float32)
    e_np = np.array([200, 200, -160, 2, 5], np.int64)
    got = ember.ldexp(ember.tensor(x_np, device=device), ember.tensor(e_np, device=device))
    assert got.dtype is ember.float32
    np.testing.assert_array_equal(got.numpy(), np.ldexp(x_np.astype(np.float64), e_np).astype(np.float32))
    d_np = np.array([0.0, 1e-300, 1.0, 3.0])
    f_np = np.array([2000, 1200, -1074, 2], np.int64)
    got = ember.ldexp(ember.tensor(d_np, dtype=ember.float64, device=device), ember.tensor(f_np, device=device))
    np.testing.assert_array_equal(got.numpy(), np.ldexp(d_np, f_np))
    assert ember.ldexp(ember.tensor([1, 2], device=device), ember.tensor([1, 2], device=device)).tolist() == [2.0, 8.0]


def test_integer_fmod_and_remainder_by_255_in_uint8(device: str) -> None:
    # 255 is a uint8 divisor like any other (OpenCL's guard against INT_MIN % -1 read it as -1 and gave 0)
    a_np = np.array([1, 7, 200, 255, 0], np.uint8)
    b_np = np.array([255, 255, 255, 255, 3], np.uint8)
    a, b = ember.tensor(a_np, device=device), ember.tensor(b_np, device=device)
    np.testing.assert_array_equal(ember.fmod(a, b).numpy(), np.fmod(a_np, b_np))
    np.testing.assert_array_equal(ember.remainder(a, b).numpy(), np.remainder(a_np, b_np))
    np.testing.assert_array_equal(ember.floor_divide(a, b).numpy(), a_np // b_np)
    i = ember.tensor([-128, 127, -7], dtype=ember.int8, device=device)
    assert ember.fmod(i, -1).tolist() == [0, 0, 0] and ember.remainder(i, -1).tolist() == [0, 0, 0]
    # lcm past int8's range: |127 / 1 * -2| = 254 computed in C's int, then wrapped to int8 (PyTorch, NumPy: -2)
    lcm = ember.lcm(ember.tensor([127, -2], dtype=ember.int8, device=device), ember.tensor([-2, 127], dtype=ember.int8, device=device))
    np.testing.assert_array_equal(lcm.numpy(), np.lcm(np.int8([127, -2]), np.int8([-2, 127])))


def test_frexp_against_numpy(device: str) -> None:
    # torch.frexp: mantissa in [0.5, 1) in input's dtype, int32 exponent; 0, inf, nan give themselves and 0
    x_np = np.array([8.0, 0.3, 0.0, -0.0, -5.0, np.inf, -np.inf, np.nan, 1e-45, 3e38, 1.0, 2.0**-126], np.float32)
    m, e = ember.frexp(ember.tensor(x_np, device=device))
    m_np, e_np = np.frexp(x_np)
    assert m.dtype is ember.float32 and e.dtype is ember.int32
    np.testing.assert_array_equal(m.numpy(), m_np)
    np.testing.assert_array_equal(np.signbit(m.numpy()), np.signbit(m_np))
    np.testing.assert_array_equal(e.numpy(), np.where(np.isfinite(x_np), e_np, 0))
    d_np = np.array([4.9e-324, 1.7e308, -0.1])
    dm, de = ember.tensor(d_np, device=device).frexp()
    np.testing.assert_array_equal(dm.numpy(), np.frexp(d_np)[0])
    np.testing.assert_array_equal(de.numpy(), np.frexp(d_np)[1])
    with pytest.raises(RuntimeError, match="frexp: not supported on integer tensors"):
        ember.frexp(ember.tensor([8], device=device))


def test_remainder_zero_has_the_sign_of_input(device: str) -> None:
    # torch.remainder: fmod(a, b), plus b where the signs differ; a zero result keeps fmod's sign, that of a
    # (NumPy's np.remainder gives b's: 2 % -1 is -0.0 there)
    a_np = np.array([2.0, -2.0, 0.0, -0.0, 7.0, -7.0, 1.5], np.float32)
    b_np = np.array([-1.0, 1.0, -1.0, 1.0, 3.0, 3.0, -0.5], np.float32)
    got = ember.remainder(ember.tensor(a_np, device=device), ember.tensor(b_np, device=device)).numpy()
    want = np.fmod(a_np, b_np)
    want = np.where((want != 0) & ((b_np < 0) != (want < 0)), want + b_np, want)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert np.signbit(want[[1, 3]]).all() and not np.signbit(want[[0, 2, 6]]).any()


def _i1e_reference(x: float) -> float:
    """exp(-|x|) I1(x) by I1's power series sum (x/2)^(2k+1) / (k! (k+1)!), each term scaled in log space."""
    ax = abs(x)
    if ax == 0:
        return 0.0
    total = sum(
        math.exp((2 * k + 1) * math.log(ax / 2) - math.lgamma(k + 1) - math.lgamma(k + 2) - ax)
        for k in range(int(ax) + 60 * int(math.sqrt(ax) + 1))
    )
    return math.copysign(total, x)


def test_special_scaled_bessel_and_erfcx(device: str) -> None:
    # torch.special.i0e / i1e: exp(-|x|) i0(x) and exp(-|x|) i1(x), finite where i0 overflows; erfcx: exp(x^2) erfc(x)
    xs = [-650.0, -31.0, -5.0, 0.0, 0.5, 3.0, 29.5, 30.5, 100.0, 400.0]
    x = ember.tensor(xs, dtype=ember.float64, device=device)
    np.testing.assert_allclose(ember.special.i0e(x).numpy(), np.exp(-np.abs(xs)) * np.i0(xs), rtol=1e-13)
    np.testing.assert_allclose(ember.special.i1e(x).numpy(), [_i1e_reference(v) for v in xs], rtol=1e-12)
    x32 = ember.tensor(xs, device=device)
    got = ember.special.i0e(x32)
    assert got.dtype is ember.float32
    np.testing.assert_allclose(got.numpy(), np.exp(-np.abs(xs)) * np.i0(xs), rtol=2e-6)
    edge = ember.special.i0e(ember.tensor([math.inf, -math.inf, math.nan], device=device)).numpy()
    np.testing.assert_array_equal(edge, [0.0, 0.0, math.nan])
    es = [-26.0, -3.0, 0.0, 0.5, 9.5, 10.5, 26.0]
    want = [math.exp(v * v) * math.erfc(v) for v in es]
    e = ember.tensor(es, dtype=ember.float64, device=device)
    np.testing.assert_allclose(ember.special.erfcx(e).numpy(), want, rtol=1e-13)
    big = ember.special.erfcx(ember.tensor([1e3, math.inf], device=device)).numpy()  # erfc(1e3) underflows
    np.testing.assert_allclose(big, [(1 - 1 / 2e6 + 3 / 4e12) / (1e3 * math.sqrt(math.pi)), 0.0], rtol=1e-6)
    want32 = np.array(want).astype(np.float32)  # erfcx(-26) = 7.7e293 is inf in float32
    np.testing.assert_allclose(ember.special.erfcx(ember.tensor(es, device=device)).numpy(), want32, rtol=2e-6)


def test_special_zeta_known_values(device: str) -> None:
    # torch.special.zeta(x, q), the Hurwitz zeta function: zeta(2, 1) = pi^2/6, zeta(2, 1/2) = pi^2/2,
    # zeta(4, 1) = pi^4/90, zeta(3, 2) = Apery's constant - 1; zeta(2, q) = zeta(2, q + 1) + q^-2 (q = -1.5 too)
    x = ember.tensor([2.0, 2.0, 4.0, 3.0, 2.0, 1.0, 0.5, 2.0, 2.5], dtype=ember.float64, device=device)
    q = ember.tensor([1.0, 0.5, 1.0, 2.0, -1.5, 1.0, 1.0, -2.0, -1.5], dtype=ember.float64, device=device)
    got = ember.special.zeta(x, q).numpy()
    z2_half = math.pi**2 / 2  # zeta(2, -1.5) = zeta(2, 0.5) + (-0.5)^-2 + (-1.5)^-2
    want = [math.pi**2 / 6, z2_half, math.pi**4 / 90, 1.2020569031595942 - 1, z2_half + 4 + 1 / 2.25]
    np.testing.assert_allclose(got[:5], want, rtol=1e-13)
    # poles and the domain, as Cephes (and PyTorch): inf at x == 1 and at q a non-positive integer, nan for x < 1
    # and for a negative non-integer q with a non-integer x
    np.testing.assert_array_equal(got[5:], [math.inf, math.nan, math.inf, math.nan])
    np.testing.assert_allclose(ember.special.zeta(2, ember.tensor([1.0, 2.0], device=device)).numpy(),
                               [math.pi**2 / 6, math.pi**2 / 6 - 1], rtol=1e-6)  # fmt: skip


def test_igamma_and_igammac(device: str) -> None:
    # torch.igamma / igammac (torch.special.gammainc / gammaincc), the regularized incomplete gamma functions:
    # P(1, x) = 1 - e^-x, P(2, x) = 1 - (1 + x) e^-x, Q(0.5, x) = erfc(sqrt x), Q(n, x) = e^-x sum_k<n x^k / k!
    xs = [0.001, 0.5, 2.0, 7.5, 40.0]
    x = ember.tensor(xs, dtype=ember.float64, device=device)
    np.testing.assert_allclose(ember.igamma(ember.ones_like(x), x).numpy(), [-math.expm1(-v) for v in xs], rtol=1e-12)
    p2 = [1 - (1 + v) * math.exp(-v) for v in xs]  # (cancels digits at 0.001: hence atol)
    np.testing.assert_allclose(ember.igamma(2.0, x).numpy(), p2, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(ember.igammac(0.5, x).numpy(), [math.erfc(math.sqrt(v)) for v in xs], rtol=1e-12)
    q30 = [math.exp(-v) * sum(v**k / math.factorial(k) for k in range(30)) for v in (29.0, 31.0, 45.0)]
    got = ember.special.gammaincc(ember.tensor([30.0] * 3, dtype=ember.float64, device=device),
                                  ember.tensor([29.0, 31.0, 45.0], dtype=ember.float64, device=device))  # fmt: skip
    np.testing.assert_allclose(got.numpy(), q30, rtol=1e-11)
    f = ember.igamma(ember.tensor([1.0, 2.0], device=device), 1.0)
    assert f.dtype is ember.float32
    np.testing.assert_allclose(f.numpy(), [1 - math.exp(-1), 1 - 2 * math.exp(-1)], rtol=1e-6)
    # the ends and the domain, as PyTorch: nan below 0 and at (0, 0); P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1,
    # P(inf, x) = 0
    a = ember.tensor([0.0, 0.0, 1.0, -1.0, 1.0, 2.0, math.inf, math.nan], device=device)
    b = ember.tensor([0.0, 1.0, 0.0, 1.0, -1.0, math.inf, 1.0, 1.0], device=device)
    np.testing.assert_array_equal(ember.igamma(a, b).numpy(), [math.nan, 1, 0, math.nan, math.nan, 1, 0, math.nan])
    np.testing.assert_array_equal(a.igammac(b).numpy(), [math.nan, 0, 1, math.nan, math.nan, 0, 1, math.nan])
    with pytest.raises(TypeError, match="igamma: not supported on integer tensors"):
        ember.igamma(ember.tensor([1], device=device), ember.tensor([1], device=device))


def test_special_orthogonal_polynomials_against_numpy(device: str) -> None:
    # torch.special's polynomials against numpy.polynomial (the degree-n basis polynomial: coefficients e_n);
    # the shifted Chebyshev polynomials are those of 2x - 1; degree < 0 gives 0, a non-integer one is truncated
    from numpy.polynomial import chebyshev, hermite, hermite_e, laguerre, legendre

    xs = np.array([0.3, -0.7, 1.0, -1.0, 2.5])
    x = ember.tensor(xs, dtype=ember.float64, device=device)
    degs = np.array([0, 1, 2, 5, 7])
    basis = {"chebyshev_polynomial_t": chebyshev.chebval, "hermite_polynomial_h": hermite.hermval,
             "hermite_polynomial_he": hermite_e.hermeval, "laguerre_polynomial_l": laguerre.lagval,
             "legendre_polynomial_p": legendre.legval}  # fmt: skip
    for name, val in basis.items():
        fn = getattr(ember.special, name)
        got = fn(x, ember.tensor(degs, device=device)).numpy()
        np.testing.assert_allclose(got, [val(v, np.eye(8)[n]) for v, n in zip(xs, degs)], rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(fn(x, 4).numpy(), val(xs, np.eye(8)[4]), rtol=1e-12, err_msg=name)
    # U, V, W from T: U_n = (T_n - T_(n+2)) / (2 (1 - x^2)) ... checked through their recurrences' first terms
    u = ember.special.chebyshev_polynomial_u(x, 2).numpy()
    np.testing.assert_allclose(u, 4 * xs**2 - 1, rtol=1e-12)
    np.testing.assert_allclose(ember.special.chebyshev_polynomial_v(x, 2).numpy(), 4 * xs**2 - 2 * xs - 1, rtol=1e-12)
    np.testing.assert_allclose(ember.special.chebyshev_polynomial_w(x, 2).numpy(), 4 * xs**2 + 2 * xs - 1, rtol=1e-12)
    np.testing.assert_allclose(ember.special.shifted_chebyshev_polynomial_t(x, 3).numpy(),
                               chebyshev.chebval(2 * xs - 1, np.eye(4)[3]), rtol=1e-12)  # fmt: skip
    edge = ember.special.legendre_polynomial_p(x, ember.tensor([-1, 2.5, 2.9, 0, 1], device=device)).numpy()
    np.testing.assert_allclose(edge, [0.0, legendre.legval(-0.7, [0, 0, 1]), legendre.legval(1.0, [0, 0, 1]), 1.0, 2.5])
    i = ember.special.chebyshev_polynomial_t(ember.tensor([1, 2], device=device), 2)
    assert i.dtype is ember.float32 and i.tolist() == [1.0, 7.0]
    np.testing.assert_allclose(ember.special.spherical_bessel_j0(x).numpy(), np.sin(xs) / xs, rtol=1e-12)
    ends = ember.tensor([0.0, math.inf, -math.inf, math.nan], device=device)  # as PyTorch: 1, 0, 0, nan
    np.testing.assert_array_equal(ember.special.spherical_bessel_j0(ends).numpy(), [1.0, 0.0, 0.0, math.nan])


def test_special_bessel_j_and_y(device: str) -> None:
    # torch.special.bessel_j0/j1/y0/y1: values at 1 and 20 (Abramowitz and Stegun, table 9.1; SciPy agrees), the
    # Wronskian J1 Y0 - J0 Y1 = 2 / (pi x) across both methods' ranges, parity, and PyTorch's ends
    sp = ember.special
    x = ember.tensor([1.0, 20.0], dtype=ember.float64, device=device)
    np.testing.assert_allclose(sp.bessel_j0(x).numpy(), [0.7651976865579665, 0.16702466434058322], rtol=1e-11)
    np.testing.assert_allclose(sp.bessel_j1(x).numpy(), [0.44005058574493355, 0.0668331241758502], rtol=1e-11)
    np.testing.assert_allclose(sp.bessel_y0(x).numpy(), [0.08825696421567697, 0.06264059680938369], rtol=1e-11)
    np.testing.assert_allclose(sp.bessel_y1(x).numpy(), [-0.7812128213002888, -0.1655116143625212], rtol=1e-11)
    g_np = np.concatenate([np.linspace(0.05, 40.0, 400), [1e3, 1e5]])
    g = ember.tensor(g_np, dtype=ember.float64, device=device)
    w = sp.bessel_j1(g) * sp.bessel_y0(g) - sp.bessel_j0(g) * sp.bessel_y1(g)
    np.testing.assert_allclose(w.numpy(), 2 / (np.pi * g_np), rtol=1e-10)
    np.testing.assert_array_equal(sp.bessel_j0(-g).numpy(), sp.bessel_j0(g).numpy())
    np.testing.assert_array_equal(sp.bessel_j1(-g).numpy(), -sp.bessel_j1(g).numpy())
    ends = ember.tensor([0.0, -1.0, math.inf, math.nan], device=device)
    np.testing.assert_array_equal(sp.bessel_j0(ends).numpy(), [1.0, sp.bessel_j0(ends[1:2]).item(), math.nan, math.nan])
    np.testing.assert_array_equal(sp.bessel_y0(ends).numpy(), [-math.inf, math.nan, math.nan, math.nan])
    np.testing.assert_array_equal(sp.bessel_y1(ends).numpy(), [-math.inf, math.nan, math.nan, math.nan])
    f = sp.bessel_j0(ember.tensor([1.0, 20.0], device=device))
    assert f.dtype is ember.float32
    np.testing.assert_allclose(f.numpy(), [0.7651976865579665, 0.16702466434058322], rtol=1e-6)


def test_special_modified_bessel_k(device: str) -> None:
    # torch.special.modified_bessel_k0/k1 and their e^x-scaled forms: K0(1), K1(1), K0(2), K1(2) from Abramowitz
    # and Stegun's table 9.8 (SciPy agrees), the Wronskian I0 K1 + I1 K0 = 1/x (scaled: i0e k1e + i1e k0e) across
    # both methods' ranges, and PyTorch's ends
    sp = ember.special
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, device=device)
    np.testing.assert_allclose(sp.modified_bessel_k0(x).numpy(), [0.42102443824070834, 0.11389387274953344], rtol=1e-13)
    np.testing.assert_allclose(sp.modified_bessel_k1(x).numpy(), [0.6019072301972346, 0.13986588181652243], rtol=1e-13)
    g_np = np.concatenate([[1e-6, 1e-3], np.linspace(0.05, 60.0, 300), [1e3, 1e5]])
    g = ember.tensor(g_np, dtype=ember.float64, device=device)
    w = sp.i0e(g) * sp.scaled_modified_bessel_k1(g) + sp.i1e(g) * sp.scaled_modified_bessel_k0(g)
    np.testing.assert_allclose(w.numpy(), 1 / g_np, rtol=1e-12)
    np.testing.assert_allclose(sp.modified_bessel_k0(g).numpy(), sp.scaled_modified_bessel_k0(g).numpy() * np.exp(-g_np),
                               rtol=1e-14)  # fmt: skip
    ends = ember.tensor([0.0, -1.0, math.inf, math.nan], device=device)
    for fn in (sp.modified_bessel_k0, sp.modified_bessel_k1, sp.scaled_modified_bessel_k0, sp.scaled_modified_bessel_k1):
        np.testing.assert_array_equal(fn(ends).numpy(), [math.inf, math.nan, 0.0, math.nan])
    f = sp.modified_bessel_k0(ember.tensor([1.0, 100.0], device=device))  # K0(100) = 4.66e-45: a float32 subnormal
    assert f.dtype is ember.float32
    np.testing.assert_allclose(f.numpy(), np.float32([0.42102443824070834, 4.656628229175902e-45]), rtol=1e-6)


def test_special_airy_ai(device: str) -> None:
    # torch.special.airy_ai: values from Abramowitz and Stegun's table 10.11 and beyond it (SciPy's
    # scipy.special.airy agrees), one per method (series, K_1/3 above 2, the oscillating expansion below -7);
    # Ai'' = x Ai by central differences; nan at +-inf and 0 past Cephes' 103.892, as PyTorch
    xs = [0.0, 1.0, -1.0, 3.0, 5.0, 10.0, -7.5, -20.0]
    want = [0.3550280538878172, 0.13529241631288147, 0.5355608832923522, 0.006591139357460717,
            0.00010834442813607433, 1.1047532552898654e-10, 0.3217757163806479, -0.17640612707798434]  # fmt: skip
    got = ember.special.airy_ai(ember.tensor(xs, dtype=ember.float64, device=device)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    g_np = np.linspace(-12.0, 6.0, 181)
    h = 1e-3
    ai = [ember.special.airy_ai(ember.tensor(g_np + d, dtype=ember.float64, device=device)).numpy() for d in (-h, 0, h)]
    np.testing.assert_allclose((ai[0] - 2 * ai[1] + ai[2]) / h**2, g_np * ai[1], atol=2e-5)
    ends = ember.special.airy_ai(ember.tensor([math.inf, -math.inf, math.nan, 105.0], device=device)).numpy()
    np.testing.assert_array_equal(ends, [math.nan, math.nan, math.nan, 0.0])
    f = ember.special.airy_ai(ember.tensor(xs, device=device))
    assert f.dtype is ember.float32
    np.testing.assert_allclose(f.numpy(), np.float32(want), rtol=1e-6)
