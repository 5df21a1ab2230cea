"""ember.fft against numpy.fft (values, dtypes, norm modes, padding and trimming, dims) and numerical gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing.op_db.fft import numpy_fft

NORMS = (None, "backward", "ortho", "forward")


@pytest.fixture
def cdevice(device: str, backend: Any) -> str:
    if ember.complex64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} holds no complex dtype (test_complex.py's test_unsupported_device covers ember.fft)")
    return device


def _x(*shape: int, complex_: bool = False, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_ else x


# name, complex input, kwargs (numpy's names where they differ: n/s, axis/axes)
CASES = [
    ("fft", True, {}), ("fft", False, {"n": 7}), ("fft", True, {"n": 3, "dim": 0}),
    ("ifft", True, {}), ("ifft", True, {"n": 9, "dim": -2}),
    ("rfft", False, {}), ("rfft", False, {"n": 4}), ("rfft", False, {"n": 11, "dim": 0}),
    ("irfft", True, {}), ("irfft", True, {"n": 7}), ("irfft", True, {"n": 4, "dim": 0}),
    ("hfft", True, {}), ("hfft", True, {"n": 5}), ("ihfft", False, {}), ("ihfft", False, {"n": 6}),
    ("fft2", True, {}), ("fft2", False, {"s": (3, 8)}), ("ifft2", True, {"dim": (0, 2)}),
    ("rfft2", False, {}), ("rfft2", False, {"s": (4, 5)}), ("irfft2", True, {}), ("irfft2", True, {"s": (6, 7)}),
    ("fftn", True, {}), ("fftn", True, {"s": (2, 5)}), ("fftn", False, {"dim": (2, 0)}), ("ifftn", True, {"s": (3, 3, 3)}),
    ("rfftn", False, {}), ("rfftn", False, {"s": (6, 5), "dim": (0, 1)}), ("irfftn", True, {}), ("irfftn", True, {"s": (4, 9)}),
    ("hfft2", True, {}), ("hfft2", True, {"s": (3, 7)}), ("ihfft2", False, {}), ("ihfft2", False, {"s": (5, 6), "dim": (0, 2)}),
    ("hfftn", True, {}), ("hfftn", True, {"s": (4, 5), "dim": (0, 1)}), ("ihfftn", False, {}), ("ihfftn", False, {"s": (2, 7)}),
]  # fmt: skip


def _numpy(name: str, x: np.ndarray, kw: dict[str, Any], norm: str | None) -> np.ndarray:
    return numpy_fft(name, x, **kw, norm=norm)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_values_match_numpy(case: int, norm: str | None, cdevice: str) -> None:
    name, is_complex, kw = CASES[case]
    x = _x(4, 6, 5, complex_=is_complex)
    want = _numpy(name, x, kw, norm)
    for dt, tol in ((np.float64, 1e-10), (np.float32, 2e-5)):
        xt = ember.tensor(x.astype(np.result_type(dt, np.complex64) if is_complex else dt), device=cdevice)
        got = getattr(ember.fft, name)(xt, **kw, norm=norm)
        host = got.cpu().numpy()
        assert host.shape == want.shape
        assert host.dtype == (np.result_type(dt, np.complex64) if want.dtype.kind == "c" else dt), f"{name} {dt}"
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(host, want, rtol=tol, atol=tol * scale, err_msg=f"{name} {kw} {norm} {dt}")


def test_dtypes(cdevice: str) -> None:
    assert ember.fft.fft(ember.arange(4, device=cdevice)).dtype is ember.complex64  # integers: the default float
    assert ember.fft.rfft(ember.arange(4, device=cdevice)).dtype is ember.complex64
    assert ember.fft.irfft(ember.ones(3, dtype=ember.complex128, device=cdevice)).dtype is ember.float64
    assert ember.fft.irfft(ember.ones(3, device=cdevice)).shape == (4,)  # default length 2 * (m - 1), real input taken as complex
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.fft.fft(ember.arange(4, device=cdevice)).dtype is ember.complex128
    finally:
        ember.set_default_dtype(ember.float32)


def _numerical_grad(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """dL/da (+ i dL/db for a complex x) of the real function f, by central differences."""
    g = np.zeros_like(x)
    units = (1, 1j) if np.iscomplexobj(x) else (1,)
    for i in np.ndindex(x.shape):
        for u in units:
            xp, xm = x.copy(), x.copy()
            xp[i] += eps * u
            xm[i] -= eps * u
            g[i] += u * (f(xp) - f(xm)) / (2 * eps)
    return g


GRAD_CASES = [
    ("fft", True, {"n": 7}, "ortho"), ("fft", False, {}, None), ("ifft", True, {"n": 4}, None),
    ("rfft", False, {}, None), ("rfft", False, {"n": 8}, "forward"), ("irfft", True, {}, None),
    ("irfft", True, {"n": 7}, "ortho"), ("hfft", True, {"n": 6}, None), ("ihfft", False, {}, "ortho"),
    ("fft2", True, {"s": (2, 6)}, None), ("rfftn", False, {}, "ortho"), ("irfftn", True, {"s": (3, 5)}, None),
    ("irfft2", True, {}, "forward"), ("hfft2", True, {"s": (3, 5)}, None), ("ihfftn", False, {}, "ortho"),
    ("hfftn", True, {}, "forward"), ("ihfft2", False, {"s": (2, 5)}, None),
]  # fmt: skip


@pytest.mark.parametrize("case", range(len(GRAD_CASES)))
def test_gradients_match_numerical(case: int, cdevice: str) -> None:
    """A real loss (weighted |.|^2 of a complex result, or weighted sum of a real one): its gradient as PyTorch defines it."""
    name, is_complex, kw, norm = GRAD_CASES[case]
    x = _x(3, 4, complex_=is_complex, seed=case)
    shape = _numpy(name, x, kw, norm).shape
    w = np.random.default_rng(100 + case).standard_normal(shape)

    def loss_np(v: np.ndarray) -> float:
        y = _numpy(name, v, kw, norm)
        return float((np.abs(y) ** 2 * w).sum() if np.iscomplexobj(y) else (y * w).sum())

    t = ember.tensor(x, device=cdevice, requires_grad=True)
    y = getattr(ember.fft, name)(t, **kw, norm=norm)
    wt = ember.tensor(w, device=cdevice)
    (y.abs() ** 2 * wt if y.is_complex() else y * wt).sum().backward()
    assert t.grad.dtype is t.dtype
    np.testing.assert_allclose(t.grad.cpu().numpy(), _numerical_grad(loss_np, x), rtol=1e-5, atol=1e-6)


def test_rfft_abs_gradient_matches_pytorch(cdevice: str) -> None:
    """`rfft(x).abs().sum().backward()` on x = [1, 2, 3, 4, 5]: the values torch 2.13 gives."""
    x = ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0], device=cdevice, requires_grad=True)
    ember.fft.rfft(x).abs().sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [-0.5388, 0.6367, 1.0, 1.3633, 2.5388], atol=1e-4)


def test_round_trips(cdevice: str) -> None:
    x = ember.tensor(_x(3, 8), device=cdevice)
    np.testing.assert_allclose(ember.fft.irfft(ember.fft.rfft(x)).cpu().numpy(), x.cpu().numpy(), atol=1e-6)
    np.testing.assert_allclose(ember.fft.irfft(ember.fft.rfft(x, n=7), n=7).cpu().numpy(), x[:, :7].cpu().numpy(), atol=1e-6)
    np.testing.assert_allclose(ember.fft.ifftn(ember.fft.fftn(x)).real.cpu().numpy(), x.cpu().numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "fn, exc, match",
    [
        (lambda x: ember.fft.fft(x, norm="bad"), RuntimeError, 'fft.fft: invalid normalization mode: "bad"'),
        (lambda x: ember.fft.fft(x, n=0), RuntimeError, r"fft.fft: invalid number of data points \(0\)"),
        (lambda x: ember.fft.rfft(x.to(ember.complex64)), RuntimeError, "fft.rfft expects a real input tensor"),
        (lambda x: ember.fft.fft(x.half()), RuntimeError, "fft.fft: unsupported dtype float16"),
        (lambda x: ember.fft.irfft(x[:1]), RuntimeError, r"fft.irfft: invalid number of data points \(0\)"),
        (lambda x: ember.fft.fftn(x.reshape(2, 2), s=(2,), dim=(0, 1)), RuntimeError, "same length"),
        (lambda x: ember.fft.fftn(x.reshape(2, 2), dim=(0, 0)), RuntimeError, "must be unique"),
        (lambda x: ember.fft.fft(x, dim=3), IndexError, "dim 3 is out of range"),
        (lambda x: ember.fft.fft(x[0]), IndexError, "at least one dimension"),
    ],
)  # fmt: skip
def test_errors(fn: Any, exc: type, match: str, cdevice: str) -> None:
    with pytest.raises(exc, match=match):
        fn(ember.ones(4, device=cdevice))


def test_no_dims_to_transform(cdevice: str) -> None:
    x = _x(2, 3)
    for fn in (ember.fft.fftn, ember.fft.ifftn, ember.fft.fft2, ember.fft.ifft2):
        out = fn(ember.tensor(x, device=cdevice), dim=())  # PyTorch: the complex input, copied, untransformed
        assert out.dtype is ember.complex128
        np.testing.assert_array_equal(out.numpy(), x.astype(np.complex128))
    scalar = ember.fft.fftn(ember.tensor(np.float32(2.0), device=cdevice))  # a 0-d input has no dims to transform
    assert scalar.dtype is ember.complex64 and scalar.shape == () and scalar.item() == 2
    for fn in (ember.fft.rfftn, ember.fft.irfftn):  # the one-sided transforms need a last dim
        with pytest.raises(RuntimeError, match="at least one dim must be transformed"):
            fn(ember.tensor(x, device=cdevice), dim=())


def test_transforms_write_into_out(cdevice: str) -> None:
    x = _x(3, 8)
    out = ember.empty(0, dtype=ember.complex128, device=cdevice)
    assert ember.fft.rfft(ember.tensor(x, device=cdevice), out=out) is out  # PyTorch's out= on each transform
    np.testing.assert_allclose(out.numpy(), np.fft.rfft(x))
    real_out = ember.empty(0, dtype=ember.float64, device=cdevice)
    ember.fft.irfftn(ember.tensor(np.fft.rfftn(x), device=cdevice), s=x.shape, out=real_out)
    np.testing.assert_allclose(real_out.numpy(), x, atol=1e-12)
