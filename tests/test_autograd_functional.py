"""`ember.autograd.functional` (vjp, jvp, jacobian, hessian, vhp, hvp) and the autograd API's PyTorch options:
backward(inputs=), grad(materialize_grads=), bare grad-mode decorators, PyTorch's error wording.

References are derivatives written out in NumPy for functions with known closed forms.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import functional as AF

X = np.array([1.0, 2.0, 3.0], dtype=np.float32)
V = np.array([1.0, 0.0, 2.0], dtype=np.float32)


def _t(a: np.ndarray, device: str, grad: bool = False) -> ember.Tensor:
    return ember.tensor(a, device=device, requires_grad=grad)


def _f(x: ember.Tensor) -> ember.Tensor:
    """f(x) = x**2 * sum(x): J[i, j] = 2 x_i s [i == j] + x_i**2."""
    return x**2 * x.sum()


def _jac_f(x: np.ndarray) -> np.ndarray:
    return np.diag(2 * x * x.sum()) + (x**2)[:, None]


def _cube(x: ember.Tensor) -> ember.Tensor:
    """sum(x**3): gradient 3 x**2, Hessian diag(6 x)."""
    return (x**3).sum()


def _np(t: ember.Tensor) -> np.ndarray:
    return t.detach().numpy()


def test_jacobian_of_one_tensor(device: str) -> None:
    jac = AF.jacobian(_f, _t(X, device))
    assert isinstance(jac, ember.Tensor) and jac.shape == (3, 3) and not jac.requires_grad
    np.testing.assert_allclose(_np(jac), _jac_f(X), rtol=1e-6)


def test_jacobian_tuple_structure_and_shapes(device: str) -> None:
    a, b = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    jac = AF.jacobian(lambda x, y: (x * y, x + y), (_t(a, device), _t(b, device)))
    # tuples of tuples: jac[i][j] = d out_i / d in_j
    assert isinstance(jac, tuple) and all(isinstance(row, tuple) and len(row) == 2 for row in jac)
    np.testing.assert_allclose(_np(jac[0][0]), np.diag(b))
    np.testing.assert_allclose(_np(jac[0][1]), np.diag(a))
    np.testing.assert_allclose(_np(jac[1][0]), np.eye(2))
    np.testing.assert_allclose(_np(jac[1][1]), np.eye(2))
    # one tuple side only: a flat tuple
    single = AF.jacobian(lambda x, y: x * y, (_t(a, device), _t(b, device)))
    assert isinstance(single, tuple) and len(single) == 2 and isinstance(single[0], ember.Tensor)
    # a matrix input and output: shape out.shape + in.shape
    m = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    jm = AF.jacobian(lambda x: x.T @ x, _t(m, device))
    assert jm.shape == (2, 2, 2, 2)
    want = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            for k in range(2):
                # (x^T x)[i, j] = sum_r x[r, i] x[r, j]; d/dx[k, l] = x[k, j] [l == i] + x[k, i] [l == j]
                want[i, j, k, i] += m[k, j]
                want[i, j, k, j] += m[k, i]
    np.testing.assert_allclose(_np(jm), want)


def test_jacobian_options_as_pytorch(device: str) -> None:
    x = _t(X, device)
    np.testing.assert_allclose(_np(AF.jacobian(_f, x, vectorize=True)), _jac_f(X), rtol=1e-6)
    np.testing.assert_allclose(_np(AF.jacobian(_f, x, vectorize=True, strategy="forward-mode")), _jac_f(X), rtol=1e-6)
    assert AF.jacobian(_f, x, create_graph=True).requires_grad
    # an output independent of the input: zeros, or an error with strict=True
    np.testing.assert_array_equal(_np(AF.jacobian(lambda v: ember.ones(2, device=device), x)), np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        AF.jacobian(lambda v: ember.ones(2, device=device), x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (x, _t(X, device)), strict=True)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        AF.jacobian(_f, x, strategy="forward-mode")
    with pytest.raises(ValueError, match="forward-mode"):
        AF.jacobian(_f, x, strategy="sideways")
    with pytest.raises(TypeError, match=r"jacobian: inputs\[0\] must be a Tensor"):
        AF.jacobian(_f, [1.0, 2.0])


def test_hessian(device: str) -> None:
    h = AF.hessian(_cube, _t(X, device))
    assert isinstance(h, ember.Tensor) and h.shape == (3, 3)
    np.testing.assert_allclose(_np(h), np.diag(6 * X), rtol=1e-6)
    a, b = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    # f = sum(a*a*b): d2/da2 = diag(2b), d2/dadb = diag(2a), d2/db2 = 0
    hh = AF.hessian(lambda p, q: (p * p * q).sum(), (_t(a, device), _t(b, device)))
    assert isinstance(hh, tuple) and all(isinstance(row, tuple) for row in hh)
    np.testing.assert_allclose(_np(hh[0][0]), np.diag(2 * b))
    np.testing.assert_allclose(_np(hh[0][1]), np.diag(2 * a))
    np.testing.assert_allclose(_np(hh[1][0]), np.diag(2 * a))
    np.testing.assert_array_equal(_np(hh[1][1]), np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match="single element"):
        AF.hessian(_f, _t(X, device))


def test_vjp_and_jvp(device: str) -> None:
    x, v = _t(X, device), _t(V, device)
    out, g = AF.vjp(_f, x, v)
    np.testing.assert_allclose(_np(out), X**2 * X.sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(g), V @ _jac_f(X), rtol=1e-6)
    out, g = AF.jvp(_f, x, v)
    np.testing.assert_allclose(_np(out), X**2 * X.sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(g), _jac_f(X) @ V, rtol=1e-6)
    assert not g.requires_grad and not out.requires_grad
    # v may be left out for a one-element output (vjp) or input (jvp) only
    value, grad = AF.vjp(_cube, x)
    assert value.item() == pytest.approx(36.0)
    np.testing.assert_allclose(_np(grad), 3 * X**2)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the"):
        AF.vjp(_f, x)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input"):
        AF.jvp(_f, x)
    with pytest.raises(RuntimeError, match="shape"):
        AF.vjp(_f, x, _t(V[:2], device))
    # tuple inputs give a tuple of gradients
    a, b = _t(np.array([2.0], np.float32), device), _t(np.array([5.0], np.float32), device)
    _, (ga, gb) = AF.vjp(lambda p, q: p * q, (a, b), _t(np.array([1.0], np.float32), device))
    assert ga.tolist() == [5.0] and gb.tolist() == [2.0]


def test_hvp_and_vhp(device: str) -> None:
    x, v = _t(X, device), _t(V, device)
    for fn in (AF.hvp, AF.vhp):
        value, hv = fn(_cube, x, v)
        assert value.item() == pytest.approx(36.0)
        np.testing.assert_allclose(_np(hv), 6 * X * V, rtol=1e-6)


# -- backward(inputs=), grad(materialize_grads=) ------------------------------------------------------------------


def test_backward_accumulates_only_into_inputs(device: str) -> None:
    x, y = _t(X, device, True), _t(V, device, True)
    z = x * y
    (z * 2).sum().backward(inputs=[x], retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * V)
    assert y.grad is None
    (z * 2).sum().backward(inputs=x)  # a single tensor too; accumulates
    np.testing.assert_allclose(x.grad.numpy(), 4 * V)
    w = _t(X, device, True)
    ember.autograd.backward([(w * w).sum()], inputs=[w])
    np.testing.assert_allclose(w.grad.numpy(), 2 * X)
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be empty"):
        (w * 2).sum().backward(inputs=[])


def test_grad_materialize_grads(device: str) -> None:
    x, y = _t(X, device, True), _t(V, device, True)
    gx, gy = ember.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(gy.numpy(), [0.0, 0.0, 0.0])
    gx, gy = ember.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None
    # PyTorch's positional order: (outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
    # allow_unused)
    gx, gy = ember.autograd.grad((x * 2).sum(), [x, y], None, None, False, True, True)
    assert gy is None and gx.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="allow_unused"):
        ember.autograd.grad((x * 2).sum(), [x, y], allow_unused=False, materialize_grads=True)


def test_grad_modes_decorate_without_parentheses(device: str) -> None:
    x = _t(X, device, True)

    @ember.no_grad
    def off(a: ember.Tensor) -> ember.Tensor:
        return a * 2

    @ember.enable_grad
    def on(a: ember.Tensor) -> ember.Tensor:
        return a * 2

    @ember.inference_mode
    def inference(a: ember.Tensor) -> ember.Tensor:
        return a * 2

    assert off.__name__ == "off" and not off(x).requires_grad and not inference(x).requires_grad
    with ember.no_grad():
        assert on(x).requires_grad
    assert isinstance(ember.no_grad(), ember.no_grad) and isinstance(ember.inference_mode(False), ember.inference_mode)


def test_errors_in_pytorchs_words(device: str) -> None:
    x, y = _t(X, device, True), _t(V, device, True)
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not have been used"):
        ember.autograd.grad((x * 2).sum(), [x, y])
    loss = (x * y).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        ember.autograd.grad((x * 2).sum(), [_t(X, device)])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        _t(X, device).retain_grad()
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        (x * 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of \(2,\) and output\[0\]"):
        (x * 2).backward(gradient=ember.ones(2, device=device))
    with pytest.raises(RuntimeError, match=r"attempting to assign a gradient of size '\[2\]' to a tensor of size '\[3\]'"):
        x.grad = ember.ones(2, device=device)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        ember.tensor([1, 2], device=device, requires_grad=True)
    z = x.exp()
    z.add_(1)  # exp saved its output for backward
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been modified by "
                                           "an inplace operation"):  # fmt: skip
        z.sum().backward()

    class TwoGrads(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):  # type: ignore[no-untyped-def]
            return a * 2

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return g, g

    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients \(expected 1, got 2\)"):
        TwoGrads.apply(x).sum().backward()


# -- custom Functions in PyTorch's newer forms; .grad assignment checks ------------------------------------------


def test_function_with_setup_context_and_once_differentiable(device: str) -> None:
    from ember.autograd.function import once_differentiable

    class Scale(ember.autograd.Function):
        @staticmethod
        def forward(x, k):  # type: ignore[no-untyped-def]  # PyTorch's split style: no ctx here
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):  # type: ignore[no-untyped-def]
            x, k = inputs
            ctx.k = k
            ctx.save_for_backward(x)

        @staticmethod
        @once_differentiable
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            assert not ember.is_grad_enabled()
            return g * ctx.k, None

    x = _t(X, device, True)
    y = Scale.apply(x, 3.0)
    np.testing.assert_allclose(_np(y), 3 * X)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0, 3.0])


def test_function_gradient_of_the_wrong_shape_is_refused(device: str) -> None:
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):  # type: ignore[no-untyped-def]
            return a.sum()

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return ember.ones(2, device=a.device)

    a = _t(X, device, True)
    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 0 - got \[2\] but expected shape "
                                           r"compatible with \[3\]"):  # fmt: skip
        Bad.apply(a).backward()

    class Broadcast(ember.autograd.Function):  # a gradient that sums down to the input's shape is fine
        @staticmethod
        def forward(ctx, a):  # type: ignore[no-untyped-def]
            return a * 1

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return g.expand(2, 3)

    b = _t(X, device, True)
    Broadcast.apply(b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 2.0, 2.0])


def test_assigned_grad_must_match_dtype(device: str) -> None:
    x = _t(X, device, True)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype float64 to a tensor of dtype"):
        x.grad = ember.ones(3, dtype=ember.float64, device=device)
    x.grad = ember.ones(3, device=device)
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_detect_anomaly_names_the_node_that_made_a_nan(device: str) -> None:
    x = _t(np.array([0.0, 1.0], np.float32), device, True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = ember.autograd.detect_anomaly()
    with mode:
        assert ember.autograd.is_anomaly_enabled()
        # d sqrt(x)/dx at 0 is inf, times the zero gradient of *0: NaN, as in PyTorch
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values in its 0th output"):
            (x.sqrt() * 0).sum().backward()
    assert not ember.autograd.is_anomaly_enabled()
    (x.sqrt() * 0).sum().backward()  # off: no check, the NaN reaches .grad
    assert np.isnan(x.grad.numpy()[0])
    ember.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError, match="returned nan values in its 1th output"):
            (x / x).sum().backward()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()
