"""The conv2d and max_pool2d composites of core: a backend's overrides agree with the decomposition,
and the derivatives declared for the overrides (conv2d's three ops are each other's adjoints) pass
gradcheck and gradgradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.ops import convolution as cv
from ember.ops import pooling as pl

CONVS = [  # stride, padding, dilation, groups, C, O
    ((1, 1), (0, 0), (1, 1), 1, 3, 4),
    ((2, 1), (1, 2), (1, 2), 2, 4, 6),
    ((3, 2), (2, 0), (2, 1), 4, 4, 4),
    ((1, 1), (1, 2), (2, 1), 2, 4, 6),  # stride 1 with padding: the backends' row-wise col2im
]
POOLS = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 2), (2, 1), (1, 1), (1, 2), True),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
]


def _t(a: np.ndarray, device: str, grad: bool = False) -> ember.Tensor:
    return ember.tensor(a, device=device, requires_grad=grad)


@pytest.mark.parametrize("stride,padding,dilation,groups,c,o", CONVS)
def test_conv2d_ops_match_decomposition_and_gradcheck(device, stride, padding, dilation, groups, c, o) -> None:
    rng = np.random.default_rng(0)
    x = _t(rng.standard_normal((2, c, 7, 6)), device, True)
    w = _t(rng.standard_normal((o, c // groups, 3, 2)), device, True)
    args = (stride, padding, dilation, groups)
    y = cv.conv2d(x, w, *args)
    np.testing.assert_allclose(y.detach().numpy(), cv._conv2d_impl(x, w, *args).detach().numpy(), rtol=1e-10)
    g = _t(rng.standard_normal(y.shape), device)
    np.testing.assert_allclose(
        cv.conv2d_input_grad(g, w.detach(), (7, 6), *args).numpy(),
        cv._input_grad_impl(g, w.detach(), (7, 6), *args).numpy(),
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        cv.conv2d_weight_grad(x.detach(), g, (3, 2), *args).numpy(),
        cv._weight_grad_impl(x.detach(), g, (3, 2), *args).numpy(),
        rtol=1e-10,
    )
    def f(a, b):
        return cv.conv2d(a, b, *args)
    assert gradcheck(f, (x, w))
    assert gradgradcheck(f, (x, w))


@pytest.mark.parametrize("stride,padding,dilation,groups,c,o", CONVS)
def test_conv2d_bias_is_conv2d_plus_bias_and_gradchecks(device, stride, padding, dilation, groups, c, o) -> None:
    import ember.nn.functional as F

    rng = np.random.default_rng(11)
    x = _t(rng.standard_normal((2, c, 7, 6)), device, True)
    w = _t(rng.standard_normal((o, c // groups, 3, 2)), device, True)
    b = _t(rng.standard_normal(o), device, True)
    args = (stride, padding, dilation, groups)
    y = F.conv2d(x, w, b, stride, padding, dilation, groups)
    from ember.ops._run import kernel

    if kernel(cv.CONV2D_BIAS, x.device) is not None:  # the backend fuses it: one node (else conv2d, then add)
        assert y.grad_fn.name == "conv2d_bias"
    # the bias added where the convolution is written: the same numbers as conv2d, then + b
    want = cv.conv2d(x, w, *args).detach().numpy() + b.detach().numpy()[:, None, None]
    np.testing.assert_array_equal(y.detach().numpy(), want)
    np.testing.assert_allclose(y.detach().numpy(), cv._conv2d_bias_impl(x, w, b, *args).detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(_t(g, device))
    np.testing.assert_allclose(b.grad.numpy(), g.sum((0, 2, 3)), rtol=1e-12)

    def f(a, c_, d):
        return cv.conv2d_bias(a, c_, d, *args)

    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))
    with pytest.raises(RuntimeError, match="conv2d: expected floating tensors of one dtype"):
        cv.conv2d_bias(x, w, b.to(ember.float32), *args)


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", POOLS)
def test_max_pool2d_op_matches_decomposition_and_gradcheck(device, kernel, stride, padding, dilation, ceil_mode) -> None:
    rng = np.random.default_rng(1)
    x = _t(rng.standard_normal((2, 3, 7, 6)), device, True)
    args = (kernel, stride, padding, dilation, ceil_mode)
    v, i = pl.max_pool2d_with_indices(x, *args)
    vi, ii = pl._max_pool2d_impl(x, *args)
    np.testing.assert_allclose(v.detach().numpy(), vi.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), ii.numpy())
    assert i.dtype is ember.int64
    assert gradcheck(lambda a: pl.max_pool2d_with_indices(a, *args)[0], (x,))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_op_matches_decomposition_and_gradcheck(device, bias) -> None:
    from ember.ops import linalg

    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal((2, 3, 4)), device, True)
    w = _t(rng.standard_normal((5, 4)), device, True)
    b = _t(rng.standard_normal(5), device, True) if bias else None
    ref = x.detach().numpy() @ w.detach().numpy().T + (b.detach().numpy() if bias else 0)
    np.testing.assert_allclose(linalg.linear(x, w, b).detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(linalg._linear_impl(x, w, b).detach().numpy(), ref, rtol=1e-12)
    inputs = (x, w, b) if bias else (x, w)
    assert gradcheck(linalg.linear, inputs)
    assert gradgradcheck(linalg.linear, inputs)
    with pytest.raises(RuntimeError, match="one dtype"):
        linalg.linear(x, w.detach().float())


def test_relu_gradient_is_a_selection_not_a_product(device) -> None:
    # the NumPy backend's where(c, a, 0) fast path (a bit mask) must keep where's semantics:
    # non-finite upstream gradients at inactive units give 0, never nan
    for dtype in (ember.float32, ember.float64):
        x = ember.tensor([-1.0, 2.0, -3.0, 4.0, 0.0], dtype=dtype, device=device, requires_grad=True)
        g = ember.tensor([float("nan"), 1.5, float("inf"), float("-inf"), 7.0], dtype=dtype, device=device)
        x.relu().backward(g)
        out = x.grad.numpy()
        np.testing.assert_array_equal(out, np.array([0.0, 1.5, 0.0, -np.inf, 0.0], dtype=out.dtype))
        assert not np.signbit(out[[0, 2, 4]]).any()


@pytest.mark.parametrize("kernel,shape,ceil_mode", [
    ((2, 2), (3, 4, 8, 8), False), ((2, 2), (2, 3, 7, 6), False), ((2, 2), (2, 3, 7, 6), True),
    ((3, 2), (2, 2, 9, 7), False), ((1, 1), (1, 2, 3, 3), False),
])  # fmt: skip
def test_max_pool2d_tiles_keep_first_maximum_and_nan(device, kernel, shape, ceil_mode) -> None:
    # window == stride (the backends' fast path for non-overlapping tiles): ties (ReLU's zeros) pick the
    # first maximum and NaN windows the first NaN, as the decomposition does; the gradient lands there
    rng = np.random.default_rng(3)
    a = np.maximum(rng.standard_normal(shape), 0).astype(np.float32)
    a[0, 0, 0, 1] = a[0, 0, 1, 0] = np.nan
    x = _t(a, device, True)
    args = (kernel, kernel, (0, 0), (1, 1), ceil_mode)
    v, i = pl.max_pool2d_with_indices(x, *args)
    vi, ii = pl._max_pool2d_impl(x.detach(), *args)
    np.testing.assert_array_equal(v.detach().numpy(), vi.numpy())
    np.testing.assert_array_equal(i.numpy(), ii.numpy())
    g = rng.standard_normal(v.shape).astype(np.float32)
    v.backward(_t(g, device))
    want = np.zeros((shape[0], shape[1], shape[2] * shape[3]), np.float32)
    np.put_along_axis(want, ii.numpy().reshape(shape[0], shape[1], -1), g.reshape(shape[0], shape[1], -1), 2)
    np.testing.assert_array_equal(x.grad.numpy(), want.reshape(shape))


def test_conv2d_input_grad_with_infinite_weights_matches_decomposition(device) -> None:
    # the stride-1 col2im adds zero columns (0 * w): with an infinite weight that would be nan, so it must not run
    rng = np.random.default_rng(4)
    w = rng.standard_normal((4, 2, 3, 3))
    w[1, 0, 1, 2] = np.inf
    g = _t(rng.standard_normal((2, 4, 5, 5)), device)
    args = ((1, 1), (1, 1), (1, 1), 1)
    got = cv.conv2d_input_grad(g, _t(w, device), (5, 5), *args).numpy()
    want = cv._input_grad_impl(g, _t(w, device), (5, 5), *args).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("hw,dilation,groups", [((4, 4), (1, 1), 1), ((14, 13), (1, 1), 1), ((14, 13), (2, 1), 2)])
def test_conv2d_input_grad_matches_decomposition_on_small_and_large_images(device, hw, dilation, groups) -> None:
    # stride 1: small images add the columns row by row, larger ones plane by plane (a longer GEMM)
    rng = np.random.default_rng(12)
    w = _t(rng.standard_normal((6, 4 // groups, 3, 3)), device)
    args = ((1, 1), (1, 1), dilation, groups)
    out_hw = cv._out_hw(hw, (3, 3), (1, 1), (1, 1), dilation)
    g = _t(rng.standard_normal((3, 6, *out_hw)), device)
    np.testing.assert_allclose(
        cv.conv2d_input_grad(g, w, hw, *args).numpy(), cv._input_grad_impl(g, w, hw, *args).numpy(), rtol=1e-10
    )


@pytest.mark.parametrize("hw", [(5, 6), (12, 11)])  # below and above the 64 output positions where the GEMM changes
def test_conv2d_weight_grad_matches_decomposition_on_small_and_large_images(device, hw) -> None:
    rng = np.random.default_rng(5)
    x = _t(rng.standard_normal((3, 4, *hw)), device)
    w = _t(rng.standard_normal((6, 4, 3, 3)), device)
    args = ((1, 1), (1, 1), (1, 1), 1)
    g = _t(rng.standard_normal(cv.conv2d(x, w, *args).shape), device)
    np.testing.assert_allclose(
        cv.conv2d_weight_grad(x, g, (3, 3), *args).numpy(), cv._weight_grad_impl(x, g, (3, 3), *args).numpy(), rtol=1e-10
    )


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_softmax_cross_entropy_matches_its_decomposition_bitwise(device, dtype) -> None:
    # the fused loss and derivative run the decomposition's arithmetic, so the numbers are the same bit for bit
    from ember.ops import activation as act

    rng = np.random.default_rng(6)
    x = _t(rng.standard_normal((33, 7)) * 3, device, True).to(dtype).detach().requires_grad_()
    t = ember.tensor(rng.integers(0, 7, 33), device=device)
    loss = act.softmax_cross_entropy(x, t)
    loss.backward(_t(np.array(1.5), device).to(dtype))
    x2 = x.detach().requires_grad_()
    ref, _ = act._sce_impl(x2, t)
    ref.backward(_t(np.array(1.5), device).to(dtype))
    np.testing.assert_array_equal(loss.detach().numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())
    xn = x.detach().numpy().astype(np.float64)
    p = np.exp(xn - xn.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    want = -np.log(p[np.arange(33), t.numpy()]).mean()
    np.testing.assert_allclose(loss.item(), want, rtol=1e-6 if dtype is ember.float32 else 1e-12)
    onehot = np.eye(7)[t.numpy()]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) * 1.5 / 33, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("rows", [0, 1, 300])
def test_softmax_cross_entropy_reads_strided_targets_and_logits(device, rows) -> None:
    # a target that is every other entry of a longer tensor, logits that are a transposed view: the fused
    # kernels read them through their strides and match the decomposition
    from ember.ops import activation as act

    rng = np.random.default_rng(8)
    x = _t(rng.standard_normal((11, rows)) * 2, device, True).to(ember.float32).detach().t().requires_grad_()
    t = ember.tensor(rng.integers(0, 11, 2 * rows), device=device)[::2]
    loss = act.softmax_cross_entropy(x, t)
    loss.backward()
    x2 = x.detach().requires_grad_()
    ref, _ = act._sce_impl(x2, t)
    ref.backward()
    np.testing.assert_allclose(loss.detach().numpy(), ref.detach().numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_cross_entropy_fused_case_gradchecks_and_keeps_its_errors(device) -> None:
    import ember.nn.functional as F

    rng = np.random.default_rng(7)
    x = _t(rng.standard_normal((5, 4)), device, True)
    t = ember.tensor([0, 3, 1, 1, 2], device=device)
    from ember.ops import activation as act
    from ember.ops._run import kernel

    if kernel(act.SOFTMAX_CROSS_ENTROPY, x.device) is not None:  # the backend fuses it: one node
        assert F.cross_entropy(x, t).grad_fn.name == "softmax_cross_entropy"
    assert gradcheck(lambda a: F.cross_entropy(a, t), (x,))
    assert gradgradcheck(lambda a: F.cross_entropy(a, t), (x,))  # create_graph: through a recomputed log_softmax
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, ember.tensor([0, 4, 1, 1, 2], device=device))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(x, ember.tensor([0, -1, 1, 1, 2], device=device))


def test_kernel_results_do_not_share_the_kernels_work_arrays(device) -> None:
    # the NumPy kernels reuse work arrays between calls: a result must never be one of them
    args = ((1, 1), (1, 1), (1, 1), 1)

    def run(seed: int) -> list[np.ndarray]:
        r = np.random.default_rng(seed)
        x = _t(r.standard_normal((1, 1, 6, 6)), device)
        w = _t(r.standard_normal((2, 1, 3, 3)), device)
        g = _t(r.standard_normal((1, 2, 6, 6)), device)
        outs = [cv.conv2d(x, w, *args), cv.conv2d_input_grad(g, w, (6, 6), *args), cv.conv2d_weight_grad(x, g, (3, 3), *args)]
        outs += list(pl.max_pool2d_with_indices(x, (2, 2), (2, 2), (0, 0), (1, 1), False))
        return outs

    first = run(1)
    kept = [t.numpy().copy() for t in first]
    run(2)
    for t, k in zip(first, kept):
        np.testing.assert_array_equal(t.numpy(), k)


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", POOLS)
def test_max_pool2d_grad_matches_its_decomposition_bitwise(device, kernel, stride, padding, dilation, ceil_mode) -> None:
    rng = np.random.default_rng(9)
    x = _t(rng.standard_normal((2, 3, 7, 6)), device)
    _, i = pl.max_pool2d_with_indices(x, kernel, stride, padding, dilation, ceil_mode)
    g = _t(rng.standard_normal(i.shape), device, True)
    got = pl.max_pool2d_grad(g, i, (7, 6))
    np.testing.assert_array_equal(got.detach().numpy(), pl._max_pool2d_grad_impl(g.detach(), i, (7, 6)).numpy())
    args = (kernel, stride, padding, dilation, ceil_mode)
    assert gradgradcheck(lambda a: pl.max_pool2d_with_indices(a, *args)[0], (x.detach().requires_grad_(),))


def test_conv2d_weight_grad_is_right_after_its_input_changes_or_another_forward(device) -> None:
    # the NumPy kernels keep conv2d's columns for the weight gradient: they must not outlive the x they came from
    rng = np.random.default_rng(10)
    args = ((1, 1), (1, 1), (1, 1), 1)
    x = _t(rng.standard_normal((3, 4, 12, 11)), device)
    other = _t(rng.standard_normal((3, 4, 12, 11)), device)
    w = _t(rng.standard_normal((6, 4, 3, 3)), device)
    g = _t(rng.standard_normal((3, 6, 12, 11)), device)

    def check() -> None:
        np.testing.assert_allclose(
            cv.conv2d_weight_grad(x, g, (3, 3), *args).numpy(), cv._weight_grad_impl(x, g, (3, 3), *args).numpy(),
            rtol=1e-10,
        )

    cv.conv2d(x, w, *args)
    x.mul_(-2.0)  # in place, after the forward
    check()
    cv.conv2d(x, w, *args)
    cv.conv2d(other, w, *args)  # the same shapes and arguments: the kept columns are other's now
    check()
    cv.conv2d(x, w, *args)
    x.copy_(other)
    check()


def test_numpy_kernels_keep_a_steps_arrays_on_the_heap() -> None:
    # glibc maps blocks above its (dynamic) mmap threshold afresh and unmaps them on free: every new
    # array of a training step would cost page faults. The NumPy kernel table primes the thresholds
    # (checked in a fresh interpreter: a process that already freed a large block has them raised).
    import os
    import subprocess
    import sys

    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):
        libc = ""
    if not libc.startswith("glibc"):
        pytest.skip("glibc's malloc thresholds only")
    code = (
        "import resource, numpy as np\n"
        "from ember.xp_kernels import kernel_table\n"
        "kernel_table(np)\n"
        "def step():\n"  # a step's arrays, all freed at its end: 12 MB of free heap top
        "    arrays = [np.ones(4 << 20, dtype=np.uint8) for _ in range(3)]\n"
        "step()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "for _ in range(4):\n"
        "    step()\n"  # 3 * 1024 pages each when the freed top went back to the system
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
    )
    faults = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert faults < 1024, f"{faults} page faults in 4 steps of three 4 MB arrays"
