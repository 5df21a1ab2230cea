"""The backend under test against the host reference: same program, same numbers; round trips; mismatches.

These compare two devices, so on the "cpu" session itself they skip (there is nothing to compare).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember


@pytest.fixture
def other(device: str) -> str:
    if device == "cpu":
        pytest.skip("compares a device with the host backend 'cpu'; this session tests 'cpu' itself")
    return device


def _host_dtypes(backend: Any) -> list[ember.DType]:
    return [d for d in ember.dtypes.all_dtypes if d in backend.dtypes and d.name != "bfloat16"]


def test_round_trip_every_dtype(other: str, backend: Any) -> None:
    rng = np.random.default_rng(0)
    for dt in _host_dtypes(backend):
        host = (rng.standard_normal((3, 5)) * 50).astype(dt.numpy)
        t = ember.tensor(host, device=other)
        assert t.device.type == other and t.dtype == dt
        back = t.to("cpu").numpy()
        assert back.dtype == host.dtype
        np.testing.assert_array_equal(back, host)
        # a strided view travels as its values, not its memory
        np.testing.assert_array_equal(t.T[1:, ::2].cpu().numpy(), host.T[1:, ::2])


def _seeded(make: Any, device: str) -> np.ndarray:
    ember.manual_seed(1234)
    return make(device).cpu().numpy()


def test_same_seed_same_random_numbers(other: str) -> None:
    """The same Philox bits everywhere: uniform and integer samples are identical."""
    for make in (lambda d: ember.rand(1000, device=d), lambda d: ember.randint(0, 10, (50,), device=d),
                 lambda d: ember.rand(4, 5, dtype=ember.float64, device=d)):  # fmt: skip
        np.testing.assert_array_equal(_seeded(make, other), _seeded(make, "cpu"))
    # normal samples go through log/sqrt/cos, whose last bit may differ between two devices' libm
    np.testing.assert_allclose(_seeded(lambda d: ember.randn(7, 9, device=d), other),
                               _seeded(lambda d: ember.randn(7, 9, device=d), "cpu"), rtol=1e-6, atol=1e-7)  # fmt: skip


def _mlp_step(device: str, state: dict[str, Any] | None) -> tuple[float, dict[str, np.ndarray], dict[str, Any]]:
    nn = pytest.importorskip("ember.nn", reason="ember-nn is not installed in this environment")
    model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
    if state is not None:
        model.load_state_dict(state)
    model.to(device)
    x = ember.tensor(np.linspace(-1, 1, 8 * 12, dtype=np.float32).reshape(8, 12), device=device)
    y = ember.tensor([0, 1, 2, 3, 0, 1, 2, 3], device=device)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    grads = {n: p.grad.cpu().numpy() for n, p in model.named_parameters()}
    return loss.item(), grads, {k: v.cpu() for k, v in model.state_dict().items()}


def test_same_program_same_results(other: str) -> None:
    ref_loss, ref_grads, state = _mlp_step("cpu", None)
    loss, grads, _ = _mlp_step(other, state)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    for name, g in ref_grads.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-4, atol=1e-6, err_msg=name)


def test_same_math_on_both_devices(other: str) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((33, 17)).astype(np.float32), rng.standard_normal((17, 5)).astype(np.float32)

    def program(dev: str) -> list[np.ndarray]:
        x, w = ember.tensor(a, device=dev, requires_grad=True), ember.tensor(b, device=dev, requires_grad=True)
        h = (x @ w).tanh()
        out = [h, h.softmax(1), h.amax(0), h.argmax(1), (h > 0).sum(), h.cumsum(0), x[::3, [1, 4]]]
        (h.exp().mean() + out[1][:, 0].sum()).backward()
        return [t.detach().cpu().numpy() for t in out] + [x.grad.cpu().numpy(), w.grad.cpu().numpy()]

    for got, want in zip(program(other), program("cpu")):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_device_mismatch_is_a_clear_error(other: str) -> None:
    a = ember.ones(3, device="cpu")
    b = ember.ones(3, device=other)
    with pytest.raises(RuntimeError, match=r"cpu.*" + other + "|" + other + r".*cpu"):
        a + b
    with pytest.raises(RuntimeError, match=r"cpu.*" + other + "|" + other + r".*cpu"):
        a @ b
    # scatter's src on another device than input and index: the same error, not a kernel's failure
    idx = ember.tensor([2, 0, 1], device=other)
    for op in ("scatter", "scatter_add"):
        with pytest.raises(RuntimeError, match=op + r": expected all tensors on the same device"):
            getattr(b, op)(0, idx, a)


def test_unsupported_dtype_is_refused_clearly(other: str, backend: Any) -> None:
    missing = [d for d in ember.dtypes.all_dtypes if d not in backend.dtypes]
    if not missing:
        pytest.skip(f"backend {backend.name!r} supports every dtype")
    for dt in missing:
        with pytest.raises((TypeError, RuntimeError), match=dt.name):
            ember.zeros(2, dtype=dt, device=other)
        with pytest.raises((TypeError, RuntimeError), match=dt.name):
            ember.zeros(2, dtype=dt).to(other)


def test_synchronize(device: str) -> None:
    x = ember.ones(1000, device=device) * 3
    ember.synchronize(device)
    ember.synchronize(ember.device(device))
    assert x.sum().item() == 3000
    with pytest.raises(ember.BackendNotFoundError, match="nosuch"):
        ember.synchronize("nosuch")


def test_decompositions_refuse_operands_on_two_devices(other: str) -> None:
    """linalg.solve, solve_triangular, lstsq and lu_solve with A on the host and B on the device (and bincount's
    weights): the same-device error naming the op (it was NumPy's 'Cannot cast ufunc solve input from dtype(O)'
    for solve)."""
    A = ember.eye(2, device="cpu")
    B = ember.ones(2, 1, device=other)
    calls = {
        "linalg.solve": lambda: ember.linalg.solve(A, B),
        "linalg.solve_triangular": lambda: ember.linalg.solve_triangular(A, B, upper=True),
        "linalg.lstsq": lambda: ember.linalg.lstsq(A, B),
        "linalg.lu_solve": lambda: ember.linalg.lu_solve(*ember.linalg.lu_factor(A), B),
        # bincount's weights on another device were read silently (a copy Ember never makes implicitly)
        "bincount": lambda: ember.bincount(ember.tensor([0, 1], device=other), weights=ember.ones(2, device="cpu")),
    }
    for name, call in calls.items():
        with pytest.raises(RuntimeError, match=f"^{name}: expected all tensors on the same device"):
            call()
