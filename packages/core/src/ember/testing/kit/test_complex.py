"""Complex tensors on a backend that holds complex dtypes: every op that takes them (`Op.complex`) on complex
operands against NumPy, in complex64 and complex128 (the op table's samples are real; this is their complex side).

A backend without complex dtypes skips these, and must refuse complex tensors clearly (`test_errors`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.dispatch import API, OPS
from ember.testing.kit import require_dtype

COMPLEX = ("complex64", "complex128")
TOL = {"complex64": (2e-5, 2e-5), "complex128": (1e-12, 1e-12)}

#: the elementwise ops that take complex operands, by arity (read off the op table)
UNARY = sorted(n for n, op in OPS.items() if op.family == "elementwise" and op.complex and op.signature.startswith(f"{n}(x:"))
BINARY = sorted(n for n, op in OPS.items() if op.family == "elementwise" and op.complex and "(a: array | scalar, b" in op.signature)


def _values(dtype: str, *shape: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.uniform(-2, 2, shape) + 1j * rng.uniform(-2, 2, shape)).astype(dtype)


def _check(got: Any, want: Any, dtype: str, what: str, scale: float = 1.0) -> None:
    """`got` (a tensor) against NumPy's `want`: shape; dtype (complex results in `dtype`, real ones in the dtype of
    its parts, bool as bool); values within the dtype's tolerance times `scale`."""
    host, want = got.cpu().numpy(), np.asarray(want)
    assert host.shape == want.shape, f"{what}: shape {host.shape}, expected {want.shape}"
    kinds = {"c": np.dtype(dtype), "f": _part(dtype), "b": np.dtype(bool)}
    assert host.dtype == kinds[want.dtype.kind], f"{what}: dtype {host.dtype}, expected {kinds[want.dtype.kind]}"
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(host, want, rtol=rtol * scale, atol=atol * scale, err_msg=what)


def _part(dtype: str) -> np.dtype:
    return np.dtype(np.float32 if dtype == "complex64" else np.float64)


def _numpy_fn(name: str) -> Any:
    op = OPS[name]
    return np.abs if name == "abs" else getattr(np, op.xp) if op.xp else None


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", UNARY)
def test_unary(name: str, dtype: str, backend: Any, device: str) -> None:
    require_dtype(backend, dtype)
    ref = _numpy_fn(name)
    assert ref is not None, f"{name}: no NumPy reference (declare its xp= name)"
    x = _values(dtype, 3, 4)
    t = ember.tensor(x, device=device)
    _check(API[name].fn(t), ref(x), dtype, f"{name}({dtype})")
    _check(API[name].fn(t.mT), ref(x.T), dtype, f"{name}({dtype}, transposed)")


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name", BINARY)
def test_binary(name: str, dtype: str, backend: Any, device: str) -> None:
    require_dtype(backend, dtype)
    ref = _numpy_fn(name)
    assert ref is not None, f"{name}: no NumPy reference (declare its xp= name)"
    a, b = _values(dtype, 3, 4), _values(dtype, 4, seed=1)
    ta, tb = ember.tensor(a, device=device), ember.tensor(b, device=device)
    _check(API[name].fn(ta, tb), ref(a, b), dtype, f"{name}({dtype}, broadcast)")
    _check(API[name].fn(ta, 1.5 - 0.5j), ref(a, np.asarray(1.5 - 0.5j, dtype)), dtype, f"{name}({dtype}, scalar)")
    r = np.random.default_rng(2).uniform(-2, 2, 4).astype(_part(dtype))
    _check(API[name].fn(ta, ember.tensor(r, device=device)), ref(a, r.astype(dtype)), dtype, f"{name}({dtype}, real operand)")


@pytest.mark.parametrize("dtype", COMPLEX, ids=lambda d: f"parts-{d}")
def test_parts_reductions_matmul_movement(dtype: str, backend: Any, device: str) -> None:
    require_dtype(backend, dtype)
    x, y = _values(dtype, 3, 4), _values(dtype, 4, 2, seed=1)
    t, u = ember.tensor(x, device=device), ember.tensor(y, device=device)
    for what, got, want in [
        ("real", t.real, x.real), ("imag", t.imag, x.imag), ("conj", t.conj(), np.conj(x)), ("angle", t.angle(), np.angle(x)),
        ("sum", t.sum(1), x.sum(1)), ("mean", t.mean(), x.mean()), ("matmul", t @ u, x @ y),
        ("where", ember.where(t.real > 0, t, 0), np.where(x.real > 0, x, 0)),
        ("cat", ember.cat([t, t.conj()], 0), np.concatenate([x, np.conj(x)], 0)), ("index", t[1:, ::2], x[1:, ::2]),
        ("permute", t.mT.contiguous(), x.T), ("complex", ember.complex(t.real, t.imag), x),
    ]:  # fmt: skip
        _check(got, want, dtype, f"{what}({dtype})")
    view = t.clone()
    view.imag.zero_()  # real and imag are views
    _check(view, x.real.astype(dtype), dtype, f"imag view ({dtype})")


FFT_CASES: list[tuple[str, dict[str, Any]]] = [("fft", {"n": 6}), ("ifft", {"dim": 0}), ("fft2", {"norm": "ortho"}), ("ifftn", {"s": (2, 5)}),
             ("irfft", {"n": 7}), ("hfft", {"norm": "forward"}), ("irfft2", {})]  # fmt: skip


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("case", range(len(FFT_CASES)), ids=[f"fft.{n}{i}" for i, (n, _) in enumerate(FFT_CASES)])
def test_fft_of_complex_input(case: int, dtype: str, backend: Any, device: str) -> None:
    require_dtype(backend, dtype)
    name, kw = FFT_CASES[case]
    x = _values(dtype, 3, 4)
    got = getattr(ember.fft, name)(ember.tensor(x, device=device), **kw)
    np_kw = {"n": kw["n"]} if "n" in kw else {"axis": kw["dim"]} if "dim" in kw else {}
    if "s" in kw:
        np_kw = {"s": kw["s"], "axes": (0, 1)}
    want = getattr(np.fft, name)(x.astype(np.complex128), **np_kw, norm=kw.get("norm"))
    _check(got, want, dtype, f"fft.{name}({dtype}, {kw})", scale=10)  # sums of n terms
