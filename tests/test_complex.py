"""Complex dtypes: promotion, creation, printing, the complex-capable ops and their gradients (against NumPy and
numerical gradients), and the clear errors for ops and devices without complex support."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember


@pytest.fixture
def cdevice(device: str, backend: Any) -> str:
    if ember.complex64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} holds no complex dtype (test_unsupported_device covers it)")
    return device


def _c(a: Any, device: str, dtype: Any = np.complex64) -> ember.Tensor:
    return ember.tensor(np.asarray(a, dtype=dtype), device=device)


def _rng_c(*shape: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex128)


# --------------------------------------------------------------------------- dtypes


def test_dtype_attributes_and_names() -> None:
    c64, c128 = ember.complex64, ember.complex128
    assert c64.is_complex and not c64.is_floating_point and c64.kind == "c" and c64.itemsize == 8
    assert c64.to_real() is ember.float32 and c128.to_real() is ember.float64
    assert ember.float64.to_complex() is c128 and not ember.float32.is_complex
    assert ember.cfloat is c64 and ember.cdouble is c128
    for name, dt in [("cfloat", c64), ("cdouble", c128), ("complex64", c64), (np.complex128, c128),
                     (np.dtype("complex64"), c64), (complex, c64)]:  # fmt: skip
        assert ember.dtypes.as_dtype(name) is dt
    assert c64 in ember.dtypes.all_dtypes and c64 not in ember.dtypes.real_dtypes
    assert ember.finfo(c128).eps == np.finfo(np.float64).eps and ember.finfo(c64).dtype == "float32"  # its parts'
    with pytest.raises(TypeError, match="iinfo: ember.complex64 is not an integer dtype; use ember.finfo"):
        ember.iinfo(c64)


def test_promotion_matches_pytorch() -> None:
    """The table below is torch.promote_types / result_type (torch 2.13), complex32 being complex64 here."""
    pt = ember.promote_types
    c64, c128, f16, f32, f64 = ember.complex64, ember.complex128, ember.float16, ember.float32, ember.float64
    assert pt(c64, f64) is c128 and pt(f16, c64) is c64 and pt(ember.int64, c64) is c64 and pt(c64, c128) is c128
    assert pt(ember.bool_, c128) is c128
    cpu = "cpu"
    f = ember.ones(2, device=cpu)
    assert (f + 1j).dtype is c64
    assert (f.double() + 1j).dtype is c128
    assert (ember.ones(2, dtype=ember.int64) + 1j).dtype is c64
    assert (f + ember.tensor(1j, dtype=c128)).dtype is c64  # a 0-d complex128 keeps the float32 tensor's precision
    assert (ember.ones(2, dtype=ember.int64) + ember.tensor(1j, dtype=c128)).dtype is c128
    assert (ember.ones(2, dtype=c64) + ember.tensor(1.0, dtype=f64)).dtype is c64
    assert (ember.ones(2, dtype=c64) + ember.ones(2, dtype=f64)).dtype is c128
    assert ember.result_type(f, 2j) is c64
    assert not ember.can_cast(c64, f64) and ember.can_cast(f64, c64)
    ember.set_default_dtype(f64)
    try:
        assert ember.tensor([1j]).dtype is c128 and (ember.ones(2, dtype=ember.int32) + 1j).dtype is c128
    finally:
        ember.set_default_dtype(f32)


def test_creation_numpy_repr(cdevice: str) -> None:
    t = ember.tensor([1 + 2j, 3.5 - 1j], device=cdevice)
    assert t.dtype is ember.complex64 and t.is_complex() and ember.is_complex(t)
    np.testing.assert_array_equal(t.cpu().numpy(), np.array([1 + 2j, 3.5 - 1j], np.complex64))
    assert t.cpu().__repr__() == "tensor([1.0000+2.j, 3.5000-1.j])"  # PyTorch's text
    assert repr(ember.tensor([[1 + 2j]], dtype=ember.complex128)) == "tensor([[1.+2.j]], dtype=ember.complex128)"
    assert ember.tensor(np.array([1j])).dtype is ember.complex128  # NumPy's dtype is kept
    assert t[1].item() == 3.5 - 1j and t.tolist() == [1 + 2j, 3.5 - 1j] and complex(t[0]) == 1 + 2j
    assert ember.zeros(2, dtype=ember.complex128, device=cdevice).dtype is ember.complex128
    assert not ember.ones(2, device=cdevice).is_complex()


# --------------------------------------------------------------------------- values


def test_repr_pads_the_real_parts_as_pytorch(cdevice: str) -> None:
    # printed by PyTorch 2.13 for the same values: real parts padded to the widest, imaginary parts not
    if cdevice != "cpu":
        pytest.skip("the strings name no device")
    assert repr(_c([1 + 2j, 3 + 100.5j, -1 - 0.25j], cdevice)) == "tensor([ 1.+2.0000j,  3.+100.5000j, -1.-0.2500j])"
    assert repr(_c([[1 + 2j, 3 + 100.5j], [-10 - 0.25j, 5j]], cdevice)) == (
        "tensor([[  1.+2.0000j,   3.+100.5000j],\n        [-10.-0.2500j,   0.+5.0000j]])"
    )
    assert repr(_c([12345.5 + 1j, -1 - 2j], cdevice)) == "tensor([ 1.2346e+04+1.j, -1.0000e+00-2.j])"
    assert repr(_c([complex("nan+1j"), -1 - 2j, complex(1, float("inf"))], cdevice)) == (
        "tensor([nan+1.j, -1.-2.j,  1.+infj])"
    )


def test_arithmetic_and_parts(cdevice: str) -> None:
    a, b = _rng_c(3, 4), _rng_c(3, 4, seed=1)
    ta, tb = _c(a, cdevice, np.complex128), _c(b, cdevice, np.complex128)
    r = np.random.default_rng(2).standard_normal(4)
    tr = ember.tensor(r, device=cdevice)
    checks = {
        "add": (ta + tb, a + b), "sub": (ta - tb, a - b), "mul": (ta * tb, a * b), "div": (ta / tb, a / b),
        "neg": (-ta, -a), "exp": (ta.exp(), np.exp(a)), "log": (ta.log(), np.log(a)), "sqrt": (ta.sqrt(), np.sqrt(a)),
        "reciprocal": (ta.reciprocal(), 1 / a), "real+complex": (tr * ta, r * a),
        "scalar": (ta * (2 - 1j) + 1, a * (2 - 1j) + 1), "abs": (ta.abs(), np.abs(a)), "angle": (ta.angle(), np.angle(a)),
        "real": (ta.real, a.real), "imag": (ta.imag, a.imag), "conj": (ta.conj(), np.conj(a)),
        "conj_physical": (ember.conj_physical(ta), np.conj(a)), "sum": (ta.sum(1), a.sum(1)), "mean": (ta.mean(), a.mean()),
        "matmul": (ta @ tb.mT, a @ b.T), "mH": (ta.mH, a.conj().T), "view_as_real": (ember.view_as_real(ta), np.stack([a.real, a.imag], -1)),
        "complex": (ember.complex(tr, tr * 2), r + 2j * r), "polar": (ember.polar(tr.abs(), tr), np.abs(r) * np.exp(1j * r)),
        "cat": (ember.cat([ta, tb]), np.concatenate([a, b])), "stack": (ember.stack([ta, tb], 1), np.stack([a, b], 1)),
        "index": (ta[1:, ::2].reshape(-1), a[1:, ::2].reshape(-1)), "where": (ember.where(tr > 0, ta, 0), np.where(r > 0, a, 0)),
        "eq": (ta == ta.conj(), a == a.conj()), "isnan": (ta.isnan(), np.isnan(a)),
    }  # fmt: skip
    for name, (got, want) in checks.items():
        host = got.cpu().numpy()
        assert host.shape == np.shape(want), name
        if np.asarray(want).dtype.kind in "fc":
            assert host.dtype.kind == np.asarray(want).dtype.kind, name
        np.testing.assert_allclose(host, want, rtol=1e-12, atol=1e-12, err_msg=name)
    assert ta.abs().dtype is ember.float64 and _c(a, cdevice).abs().dtype is ember.float32
    np.testing.assert_allclose(ember.view_as_complex(ember.view_as_real(ta)).cpu().numpy(), a)
    assert ember.resolve_conj(ta) is ta and not ta.is_conj()
    assert ember.real(tr) is tr and ember.conj(tr) is tr
    np.testing.assert_array_equal(ember.angle(ember.tensor([-2.0, 0.0, 3.0, float("nan")])).numpy(),
                                  np.angle(np.array([-2.0, 0.0, 3.0, np.nan], np.float32)))  # fmt: skip
    np.testing.assert_array_equal(ember.isreal(_c([1, 1j, 2 + 0j], cdevice)).cpu().numpy(), [True, False, True])


def test_cast_to_real_keeps_real_part(cdevice: str) -> None:
    t = _c([1.5 + 2j, -3 - 1j], cdevice)
    np.testing.assert_array_equal(t.to(ember.float32).cpu().numpy(), [1.5, -3.0])
    np.testing.assert_array_equal(ember.tensor([1.0, 2.0], device=cdevice).to(ember.complex64).cpu().numpy(), [1, 2])


# --------------------------------------------------------------------------- gradients


def _numerical_grad(f: Any, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """dL/da + i dL/db of the real function f at complex z (dL/da at real z), by central differences (PyTorch's
    convention)."""
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        for unit in (1, 1j) if np.iscomplexobj(z) else (1,):
            zp, zm = z.copy(), z.copy()
            zp[i] += eps * unit
            zm[i] -= eps * unit
            g[i] += unit * (f(zp) - f(zm)) / (2 * eps)
    return g


LOSSES = {
    "abs": (lambda t, w: (t.abs() * w).sum(), lambda z, w: (np.abs(z) * w).sum()),
    "mul_real": (lambda t, w: ((t * t.conj() * (1 + 2j)).real * w).sum(), lambda z, w: ((z * z.conj() * (1 + 2j)).real * w).sum()),
    "div_imag": (lambda t, w: ((1 / (t + 3)).imag * w).sum(), lambda z, w: ((1 / (z + 3)).imag * w).sum()),
    "exp_angle": (lambda t, w: (t.exp().angle() * w).sum(), lambda z, w: (np.angle(np.exp(z)) * w).sum()),
    "log_sqrt_reciprocal": (lambda t, w: ((t.log() + t.sqrt() + t.reciprocal()).abs() * w).sum(),
                            lambda z, w: (np.abs(np.log(z) + np.sqrt(z) + 1 / z) * w).sum()),
    "matmul": (lambda t, w: ember.view_as_real(t @ t.mT).sum(), lambda z, w: ((z @ z.T).real + (z @ z.T).imag).sum()),
    "mean_polar": (lambda t, w: ember.polar(t.abs(), t.angle() * 2).mean().real, lambda z, w: (np.abs(z) * np.exp(2j * np.angle(z))).mean().real),
    "trigonometric": (lambda t, w: ((t.sin() + t.cos() * 2 + (t * 0.3).tanh() + t.sinh() - t.cosh()).abs() * w).sum(),
                      lambda z, w: (np.abs(np.sin(z) + np.cos(z) * 2 + np.tanh(z * 0.3) + np.sinh(z) - np.cosh(z)) * w).sum()),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_is_conjugate_wirtinger(name: str, cdevice: str) -> None:
    f_ember, f_np = LOSSES[name]
    z = _rng_c(3, 3, seed=3) * 0.5
    w = np.random.default_rng(4).standard_normal((3, 3))
    t = ember.tensor(z, device=cdevice, requires_grad=True)
    f_ember(t, ember.tensor(w, device=cdevice)).backward()
    assert t.grad is not None and t.grad.dtype is ember.complex128
    np.testing.assert_allclose(t.grad.cpu().numpy(), _numerical_grad(lambda v: f_np(v, w), z), rtol=1e-5, atol=1e-7)


def test_gradient_into_real_leaves(cdevice: str) -> None:
    """A real input of a complex computation gets a real gradient (the real part), as in PyTorch."""
    re = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, device=cdevice, requires_grad=True)
    im = ember.tensor([1.0, 0.25, -0.5], dtype=ember.float64, device=cdevice, requires_grad=True)
    ((ember.complex(re, im) * (2 - 1j)).abs() ** 2).sum().backward()
    # |(a + ib)(2 - i)|^2 = 5 (a^2 + b^2)
    np.testing.assert_allclose(re.grad.cpu().numpy(), 10 * np.array([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(im.grad.cpu().numpy(), 10 * np.array([1.0, 0.25, -0.5]))
    assert re.grad.dtype is ember.float64


def test_backward_needs_a_real_output(cdevice: str) -> None:
    t = ember.tensor([1 + 1j], device=cdevice, requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (t * 2).sum().backward()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "name, fn",
    [("sigmoid", lambda t: t.sigmoid()), ("lt", lambda t: t < 1), ("argmax", lambda t: t.argmax()), ("prod", lambda t: t.prod()),
     ("amax", lambda t: t.max()), ("argsort", lambda t: t.argsort()), ("atan", lambda t: t.atan()),
     ("cumsum", lambda t: t.cumsum(0)), ("maximum", lambda t: ember.maximum(t, t)), ("relu", lambda t: t.relu())],
)  # fmt: skip
def test_unsupported_op_names_op_and_dtype(name: str, fn: Any, cdevice: str) -> None:
    t = _c([1 + 2j, 3 - 1j], cdevice)
    with pytest.raises(TypeError, match=rf"{name}: not supported for complex tensors \(dtype complex64\)"):
        fn(t)


def test_bad_arguments(cdevice: str) -> None:
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        ember.ones(2, device=cdevice).imag
    with pytest.raises(RuntimeError, match="complex: expected real and imag to have one dtype"):
        ember.complex(ember.ones(2, device=cdevice), ember.ones(2, dtype=ember.float64, device=cdevice))
    with pytest.raises(RuntimeError, match="last dimension must have size 2"):
        ember.view_as_complex(ember.ones(2, 3, device=cdevice))
    with pytest.raises(RuntimeError, match="only supported for complex tensors"):
        ember.view_as_real(ember.ones(2, device=cdevice))


def test_vdot_conjugates_its_first_argument(cdevice: str) -> None:
    a, b = _rng_c(5), _rng_c(5, seed=1)
    got = ember.vdot(_c(a, cdevice, np.complex128), _c(b, cdevice, np.complex128))
    np.testing.assert_allclose(got.item(), np.vdot(a, b))  # sum(conj(a) * b), as torch.vdot and NumPy
    np.testing.assert_allclose(ember.dot(_c(a, cdevice), _c(b, cdevice)).item(), np.dot(a, b), rtol=1e-5)


def test_vecdot_conjugates_its_first_argument(cdevice: str) -> None:
    x, y = _rng_c(2, 3), _rng_c(2, 3, seed=1)
    got = ember.linalg.vecdot(_c(x, cdevice, np.complex128), _c(y, cdevice, np.complex128))
    np.testing.assert_allclose(got.numpy(), np.sum(np.conj(x) * y, axis=-1))  # torch.linalg.vecdot's definition


def test_real_and_imag_assignment_writes_the_parts(cdevice: str) -> None:
    x = _c([1 + 2j, 3 - 1j], cdevice)
    x.real = ember.tensor([5.0, 6.0], device=cdevice)  # as PyTorch's x.real = ...: a copy into the view
    x.imag = 0
    np.testing.assert_array_equal(x.numpy(), np.array([5, 6], dtype=np.complex64))


def test_in_place_ops_refuse_a_complex_result_into_a_real_tensor(cdevice: str) -> None:
    x = ember.ones(3, device=cdevice)
    with pytest.raises(RuntimeError, match="mul_: result type complex64 can't be cast to the desired output type float32"):
        x.mul_(1j)
    with pytest.raises(RuntimeError, match="add_: result type complex64 can't be cast"):
        x.add_(_c([1j, 1, 2], cdevice))
    with pytest.raises(TypeError, match="pow: not supported for complex tensors"):  # documented refusal, not a crash
        _c([1j], cdevice) ** (0.5 + 1j)


def test_unsupported_device(device: str, backend: Any) -> None:
    """A backend without complex dtypes (OpenCL) refuses complex tensors, naming the op, device and dtype."""
    if ember.complex64 in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} holds complex dtypes")
    x = ember.ones(3, device=device)
    for op, fn in [("tensor", lambda: ember.tensor([1j], device=device)), ("add", lambda: x + 1j),
                   ("to", lambda: x.to(ember.complex64)), ("fft.fft", lambda: ember.fft.fft(x)),
                   ("fft.rfft", lambda: ember.fft.rfft(x)), ("complex", lambda: ember.complex(x, x))]:  # fmt: skip
        with pytest.raises(TypeError, match=rf"{op}: dtype complex64 is not supported on device {device}.*x.to\('cpu'\)"):
            fn()


def test_save_load_round_trip(tmp_path: Any) -> None:
    """safetensors has no complex128: complex tensors are stored as (real, imag) pairs and come back exact."""
    obj = {"a": ember.tensor([1 + 2j, -3j]), "b": ember.tensor([[0.5 - 1j]], dtype=ember.complex128), "c": ember.tensor(2 - 1j)}
    ember.save(obj, tmp_path / "c.safetensors")
    back = ember.load(tmp_path / "c.safetensors")
    for k, v in obj.items():
        assert back[k].dtype is v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


def test_real_and_imag_are_views(cdevice: str) -> None:
    """Writes through x.real and x.imag change x (PyTorch's views), and gradients through such writes are right:
    the written parts take the value's gradient, the parts left alone keep theirs (against central differences)."""
    z = _c([1 + 2j, 3 - 1j], cdevice)
    z.real.zero_()
    z.imag[0] = 7
    np.testing.assert_array_equal(z.cpu().numpy(), [7j, -1j])
    assert z.real.stride() == (2,) and z.imag.storage_offset() == 1

    z0, v0, w = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j]), np.array([0.5, -2.0]), np.array([1.0, 2.0, 3.0])

    def f_np(zv: np.ndarray, vv: np.ndarray) -> float:
        y = zv * (2 - 1j)
        y.real[1:] = vv
        y.imag[0:1] *= 3
        return float((np.abs(y) ** 2 * w).sum())

    zt = ember.tensor(z0, device=cdevice, requires_grad=True)
    vt = ember.tensor(v0, device=cdevice, requires_grad=True)
    y = zt * (2 - 1j)
    y.real[1:] = vt
    y.imag[0:1].mul_(3)
    (y.abs() ** 2 * ember.tensor(w, device=cdevice)).sum().backward()
    np.testing.assert_allclose(zt.grad.cpu().numpy(), _numerical_grad(lambda zz: f_np(zz, v0), z0), rtol=1e-6)
    np.testing.assert_allclose(vt.grad.cpu().numpy(), _numerical_grad(lambda vv: f_np(z0, vv), v0), rtol=1e-6)
