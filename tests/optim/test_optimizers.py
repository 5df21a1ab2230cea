"""Optimizers against update sequences written out in NumPy, on the backend under test.

Each reference below is the optimizer's algorithm as PyTorch documents it,
written once more in plain float64 NumPy; the gradients come from Ember's
autograd on the loss ``sum(a * p**2) + sum(b * p)`` (gradient ``2 a p + b``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.optim as optim

RTOL, ATOL = 2e-5, 1e-6
STEPS = 6
SHAPES = [(3, 4), (5,)]


def _problem(device: str, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    p0 = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    a = [rng.uniform(0.2, 1.5, s).astype(np.float32) for s in SHAPES]
    b = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    return p0, a, b


def _loss(params: list[ember.Tensor], a: list[ember.Tensor], b: list[ember.Tensor]) -> ember.Tensor:
    total = None
    for p, ai, bi in zip(params, a, b):
        term = (ai * p * p).sum() + (bi * p).sum()
        total = term if total is None else total + term
    return total


def _run_ember(device: str, make_opt, steps: int = STEPS, seed: int = 0) -> list[np.ndarray]:
    p0, a, b = _problem(device, seed)
    params = [ember.tensor(x, device=device, requires_grad=True) for x in p0]
    at = [ember.tensor(x, device=device) for x in a]
    bt = [ember.tensor(x, device=device) for x in b]
    opt = make_opt(params)
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, at, bt).backward()
        opt.step()
    for p in params:
        assert p.is_leaf and p.requires_grad and str(p.device) == str(ember.device(device))
    return [p.detach().numpy().astype(np.float64) for p in params]


def _run_reference(update, steps: int = STEPS, seed: int = 0, **hyper) -> list[np.ndarray]:
    p0, a, b = _problem("cpu", seed)
    out = []
    for p, ai, bi in zip(p0, a, b):
        p = p.astype(np.float64)
        state: dict = {}
        for t in range(1, steps + 1):
            g = 2 * ai.astype(np.float64) * p + bi.astype(np.float64)
            p = update(p, g, state, t, **hyper)
        out.append(p)
    return out


# -- the references ---------------------------------------------------------------------------------------------


def sgd_ref(p, g, st, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        st["buf"] = g.copy() if t == 1 else momentum * st["buf"] + (1 - dampening) * g
        g = g + momentum * st["buf"] if nesterov else st["buf"]
    return p - lr * g


def adam_ref(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1**t)
    v = st["v"]
    if amsgrad:
        st["vmax"] = np.maximum(st.get("vmax", 0.0), v)
        v = st["vmax"]
    v_hat = v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def rmsprop_ref(p, g, st, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    g = g + weight_decay * p
    st["v"] = alpha * st.get("v", 0.0) + (1 - alpha) * g * g
    v = st["v"]
    if centered:
        st["ga"] = alpha * st.get("ga", 0.0) + (1 - alpha) * g
        v = v - st["ga"] ** 2
    avg = np.sqrt(v) + eps
    if momentum > 0:
        st["buf"] = momentum * st.get("buf", 0.0) + g / avg
        return p - lr * st["buf"]
    return p - lr * g / avg


def adagrad_ref(p, g, st, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    st["sum"] = st.get("sum", initial_accumulator_value) + g * g
    return p - clr * g / (np.sqrt(st["sum"]) + eps)


def adadelta_ref(p, g, st, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = g + weight_decay * p
    st["v"] = rho * st.get("v", 0.0) + (1 - rho) * g * g
    delta = np.sqrt(st.get("u", 0.0) + eps) / np.sqrt(st["v"] + eps) * g
    st["u"] = rho * st.get("u", 0.0) + (1 - rho) * delta * delta
    return p - lr * delta


CASES = [
    # (id, ember constructor, reference, reference hyperparameters)
    ("sgd", lambda ps: optim.SGD(ps, lr=0.1), sgd_ref, dict(lr=0.1)),
    ("sgd-momentum", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9), sgd_ref, dict(lr=0.05, momentum=0.9)),
    ("sgd-dampening", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3), sgd_ref,
     dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("sgd-nesterov", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True), sgd_ref,
     dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd-wd-momentum", lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, weight_decay=0.1), sgd_ref,
     dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("sgd-maximize", lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9, maximize=True), sgd_ref,
     dict(lr=0.01, momentum=0.9, maximize=True)),
    ("adam", lambda ps: optim.Adam(ps, lr=0.05), adam_ref, dict(lr=0.05)),
    ("adam-wd", lambda ps: optim.Adam(ps, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1), adam_ref,
     dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    ("adam-amsgrad", lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True), adam_ref, dict(lr=0.05, amsgrad=True)),
    ("adam-amsgrad-wd-max", lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.2, maximize=True),
     adam_ref, dict(lr=0.05, amsgrad=True, weight_decay=0.2, maximize=True)),
    ("adamw", lambda ps: optim.AdamW(ps, lr=0.05), adam_ref, dict(lr=0.05, weight_decay=1e-2, decoupled=True)),
    ("adamw-wd", lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.5), adam_ref,
     dict(lr=0.05, weight_decay=0.5, decoupled=True)),
    ("adamw-amsgrad", lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.3, amsgrad=True), adam_ref,
     dict(lr=0.05, weight_decay=0.3, amsgrad=True, decoupled=True)),
    ("rmsprop", lambda ps: optim.RMSprop(ps), rmsprop_ref, dict()),
    ("rmsprop-centered", lambda ps: optim.RMSprop(ps, lr=0.01, centered=True), rmsprop_ref, dict(centered=True)),
    ("rmsprop-momentum", lambda ps: optim.RMSprop(ps, lr=0.005, momentum=0.9), rmsprop_ref,
     dict(lr=0.005, momentum=0.9)),
    ("rmsprop-all", lambda ps: optim.RMSprop(ps, lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1),
     rmsprop_ref, dict(lr=0.005, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("adagrad", lambda ps: optim.Adagrad(ps, lr=0.1), adagrad_ref, dict(lr=0.1)),
    ("adagrad-decay", lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.2, weight_decay=0.1, initial_accumulator_value=0.5),
     adagrad_ref, dict(lr=0.1, lr_decay=0.2, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("adadelta", lambda ps: optim.Adadelta(ps), adadelta_ref, dict()),
    ("adadelta-rho-wd", lambda ps: optim.Adadelta(ps, lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1), adadelta_ref,
     dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
]  # fmt: skip


@pytest.mark.parametrize("make_opt, ref, hyper", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_update_sequence_matches_numpy_reference(device: str, make_opt, ref, hyper) -> None:
    got = _run_ember(device, make_opt)
    want = _run_reference(ref, **hyper)
    p0, _, _ = _problem(device)
    for g, w, start in zip(got, want, p0):
        assert not np.allclose(w, start), "the reference did not move: a vacuous test"
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


# -- values worked out by hand (the numbers PyTorch gives) -------------------------------------------------------


def _one_param(device: str, value: list[float], grad: list[float]) -> ember.Tensor:
    p = ember.tensor(value, device=device, requires_grad=True)
    p.grad = ember.tensor(grad, device=device)
    return p


def test_sgd_momentum_by_hand(device: str) -> None:
    p = _one_param(device, [1.0, -2.0], [2.0, -4.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # buf = g = [2, -4]; p = [0.8, -1.6]
    np.testing.assert_allclose(p.detach().numpy(), [0.8, -1.6], rtol=1e-6)
    opt.step()  # same grad: buf = 0.9*[2,-4] + [2,-4] = [3.8, -7.6]; p = [0.42, -0.84]
    np.testing.assert_allclose(p.detach().numpy(), [0.42, -0.84], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [3.8, -7.6], rtol=1e-6)


def test_adam_first_step_moves_each_coordinate_by_lr(device: str) -> None:
    # after one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps)
    p = _one_param(device, [1.0, -2.0, 3.0], [2.0, -0.5, 1e-3])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.99, -1.99, 3.0 - 0.01 * 1e-3 / (1e-3 + 1e-8)], rtol=1e-6)


def test_adamw_decays_even_without_gradient_signal(device: str) -> None:
    # g = 0: Adam's step is 0, AdamW still shrinks p by (1 - lr * wd); Adam's L2 decay instead moves by ~lr
    p = _one_param(device, [2.0], [0.0])
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.detach().numpy(), [2.0 * (1 - 0.05)], rtol=1e-6)
    q = _one_param(device, [2.0], [0.0])
    optim.Adam([q], lr=0.1, weight_decay=0.5).step()  # g = 0.5 * 2 = 1 -> moves by lr * 1/(1+eps)
    np.testing.assert_allclose(q.detach().numpy(), [1.9], rtol=1e-6)


def test_adagrad_by_hand(device: str) -> None:
    p = _one_param(device, [1.0], [3.0])
    opt = optim.Adagrad([p], lr=0.5, initial_accumulator_value=16.0)
    opt.step()  # sum = 16 + 9 = 25; p = 1 - 0.5 * 3 / 5
    np.testing.assert_allclose(p.detach().numpy(), [0.7], rtol=1e-6)


def test_rmsprop_by_hand(device: str) -> None:
    p = _one_param(device, [1.0], [2.0])
    optim.RMSprop([p], lr=0.01, alpha=0.75, eps=0.0).step()  # v = 0.25 * 4 = 1; p = 1 - 0.01 * 2 / 1
    np.testing.assert_allclose(p.detach().numpy(), [0.98], rtol=1e-6)


def test_adadelta_by_hand(device: str) -> None:
    p = _one_param(device, [1.0], [2.0])
    optim.Adadelta([p], lr=1.0, rho=0.5, eps=1e-2).step()
    # v = 0.5 * 4 = 2; delta = sqrt(0 + 0.01) / sqrt(2.01) * 2
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 / math.sqrt(2.01) * 2], rtol=1e-6)


# -- groups, gradients, closures --------------------------------------------------------------------------------


def test_param_groups_use_their_own_options(device: str) -> None:
    a = _one_param(device, [1.0], [1.0])
    b = _one_param(device, [1.0], [1.0])
    c = _one_param(device, [1.0], [1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b, c], "lr": 0.01, "momentum": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.5]
    opt.step()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.8], rtol=1e-6)
    # b: buf = 1, p = 0.99; buf = 1.5, p = 0.975
    np.testing.assert_allclose(b.detach().numpy(), [0.975], rtol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), [0.975], rtol=1e-6)
    assert "momentum_buffer" not in opt.state[a]


def test_add_param_group_fills_defaults_and_steps(device: str) -> None:
    a = _one_param(device, [1.0], [1.0])
    b = _one_param(device, [1.0], [1.0])
    opt = optim.Adagrad([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert opt.param_groups[1]["eps"] == 1e-10 and opt.param_groups[1]["lr"] == 0.2
    assert opt.state[b]["step"] == 0  # Adagrad makes its state up front, for added groups too
    opt.step()
    np.testing.assert_allclose(b.detach().numpy(), [0.8], rtol=1e-6)


def test_params_without_grad_are_skipped(device: str) -> None:
    a = _one_param(device, [1.0], [1.0])
    b = ember.tensor([5.0], device=device, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    opt.step()
    assert b.tolist() == [5.0] and b not in opt.state and opt.state[a]["step"] == 1


def test_zero_grad(device: str) -> None:
    a = _one_param(device, [1.0, 2.0], [3.0, 4.0])
    opt = optim.SGD([a], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert a.grad is not None and a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None
    opt.zero_grad()  # no grads at all: nothing to do


def test_step_with_closure_returns_loss_and_enables_grad(device: str) -> None:
    p = ember.tensor([3.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=0.25)
    calls = []

    def closure() -> ember.Tensor:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(ember.is_grad_enabled())
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() == 9.0
    np.testing.assert_allclose(p.detach().numpy(), [1.5])  # 3 - 0.25 * 6


def test_steps_stay_on_device_without_host_transfers(device: str, backend, monkeypatch: pytest.MonkeyPatch) -> None:
    params = [ember.tensor(np.ones((2, 3), np.float32), device=device, requires_grad=True) for _ in range(2)]
    opts = [
        optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
        optim.Adam(params, amsgrad=True, weight_decay=0.1),
        optim.AdamW(params, amsgrad=True),
        optim.RMSprop(params, momentum=0.9, centered=True, weight_decay=0.1),
        optim.Adagrad(params, lr_decay=0.1, weight_decay=0.1),
        optim.Adadelta(params, weight_decay=0.1),
    ]
    for p in params:
        p.grad = ember.full((2, 3), 0.5, device=device)

    def no_host(*args, **kwargs):
        raise AssertionError("an optimizer step copied data to the host")

    monkeypatch.setattr(backend, "to_host", no_host)
    ids = [id(p._data) for p in params]
    for opt in opts:
        opt.step()
        opt.step()
    assert [id(p._data) for p in params] == ids  # updated in place, in the same device memory
    monkeypatch.undo()
    assert all(np.isfinite(p.detach().numpy()).all() for p in params)


def test_optimizer_repr_lists_groups(device: str) -> None:
    opt = optim.Adam([_one_param(device, [1.0], [1.0])], lr=0.5)
    text = repr(opt)
    assert text.startswith("Adam (") and "Parameter Group 0" in text and "lr: 0.5" in text


def test_defaults_match_pytorch(device: str) -> None:
    p = [_one_param(device, [1.0], [1.0])]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    assert optim.Adam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                                          maximize=False, decoupled_weight_decay=False)  # fmt: skip
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    assert optim.RMSprop(p).defaults["lr"] == 1e-2 and optim.RMSprop(p).defaults["alpha"] == 0.99
    assert optim.Adagrad(p).defaults["eps"] == 1e-10
    assert optim.Adadelta(p).defaults["lr"] == 1.0 and optim.Adadelta(p).defaults["eps"] == 1e-6


# -- bad input --------------------------------------------------------------------------------------------------


def test_bad_params_are_refused_clearly(device: str) -> None:
    p = ember.tensor([1.0], device=device, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors.*list"):
        optim.SGD([[1.0, 2.0]], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got a Tensor"):
        optim.SGD(p, lr=0.1)

    class Model:
        def parameters(self):
            return iter([p])

        def __iter__(self):
            return iter([Model()])

    with pytest.raises(TypeError, match=r"got a Model; pass model\.parameters\(\)"):
        optim.SGD(Model(), lr=0.1)
    with pytest.raises(TypeError, match=r"parameter 0 is a Model; pass Model\.parameters\(\)"):
        optim.SGD([Model()], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([ember.tensor([1, 2], device=device)], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(ValueError, match="'params' entry"):
        opt.add_param_group({"lr": 0.1})


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), "Invalid learning rate: -0.1"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-1), "Invalid momentum value"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1), "Invalid weight_decay value"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
        (lambda ps: optim.Adam(ps, lr=-1), "Invalid learning rate"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
        (lambda ps: optim.AdamW(ps, betas=(0.9,)), "Invalid betas"),
        (lambda ps: optim.AdamW(ps, eps=-1e-8), "Invalid epsilon value"),
        (lambda ps: optim.AdamW(ps, weight_decay=-0.1), "Invalid weight_decay value"),
        (lambda ps: optim.RMSprop(ps, alpha=-0.5), "Invalid alpha value"),
        (lambda ps: optim.RMSprop(ps, momentum=-0.5), "Invalid momentum value"),
        (lambda ps: optim.Adagrad(ps, lr_decay=-1), "Invalid lr_decay value"),
        (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
        (lambda ps: optim.Adadelta(ps, rho=1.5), "Invalid rho value"),
        (lambda ps: optim.SGD([{"params": ps, "lr": -1.0}], lr=0.1), "Invalid learning rate"),
    ],
)
def test_bad_hyperparameters_are_refused(device: str, make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make([ember.tensor([1.0], device=device, requires_grad=True)])


def test_non_number_lr_is_refused(device: str) -> None:
    with pytest.raises(TypeError, match="lr must be a Python number"):
        optim.SGD([ember.tensor([1.0], device=device, requires_grad=True)], lr="0.1")
