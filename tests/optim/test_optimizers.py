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


def adam_ref(
    p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False, decoupled=False
):
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


def _decay(p, g, lr, weight_decay, decoupled):
    """Weight decay of the Adam family: shrink p (decoupled) or add the L2 term to g."""
    if decoupled:
        return p * (1 - lr * weight_decay), g
    return p, g + weight_decay * p


def adamax_ref(p, g, st, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["u"] = np.maximum(b2 * st.get("u", 0.0), np.abs(g) + eps)
    return p - lr / (1 - b1**t) * st["m"] / st["u"]


def nadam_ref(
    p,
    g,
    st,
    t,
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled=False,
    maximize=False,
):
    # Dozat's NAdam as PyTorch documents it: mu_t = beta1 (1 - 0.5 * 0.96^(t psi))
    b1, b2 = betas
    g = -g if maximize else g
    p, g = _decay(p, g, lr, weight_decay, decoupled)
    mu = [b1 * (1 - 0.5 * 0.96 ** (k * momentum_decay)) for k in range(1, t + 2)]
    prod_t = math.prod(mu[:t])
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    v_hat = st["v"] / (1 - b2**t)
    m_bar = mu[t] * st["m"] / (1 - prod_t * mu[t]) + (1 - mu[t - 1]) * g / (1 - prod_t)
    return p - lr * m_bar / (np.sqrt(v_hat) + eps)


def radam_ref(p, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    p, g = _decay(p, g, lr, weight_decay, decoupled)
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t <= 5:
        return p - lr * m_hat
    r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    adaptive = math.sqrt(1 - b2**t) / (np.sqrt(st["v"]) + eps)
    return p - lr * m_hat * r * adaptive


def rprop_ref(p, g, st, t, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    g = -g if maximize else g
    prev = st.get("prev", np.zeros_like(p))
    size = st.get("size", np.full_like(p, lr))
    s = g * prev
    size = np.clip(size * np.where(s > 0, etas[1], np.where(s < 0, etas[0], 1.0)), *step_sizes)
    g = np.where(s < 0, 0.0, g)
    st["prev"], st["size"] = g, size
    return p - np.sign(g) * size


def asgd_ref(p, g, st, t, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    eta = lr / (1 + lambd * lr * (t - 1)) ** alpha  # eta and mu of the previous step
    mu = 1 / max(1, t - 1 - t0)
    p = p * (1 - lambd * eta) - eta * g
    st["ax"] = p if mu == 1 else st["ax"] + mu * (p - st["ax"])
    return p


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
    ("adamax", lambda ps: optim.Adamax(ps, lr=0.05), adamax_ref, dict(lr=0.05)),
    ("adamax-wd-max", lambda ps: optim.Adamax(ps, lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, maximize=True),
     adamax_ref, dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, maximize=True)),
    ("nadam", lambda ps: optim.NAdam(ps, lr=0.05), nadam_ref, dict(lr=0.05)),
    ("nadam-wd", lambda ps: optim.NAdam(ps, lr=0.05, weight_decay=0.1, momentum_decay=0.05), nadam_ref,
     dict(lr=0.05, weight_decay=0.1, momentum_decay=0.05)),
    ("nadam-decoupled-max", lambda ps: optim.NAdam(ps, lr=0.05, weight_decay=0.3, decoupled_weight_decay=True,
                                                   maximize=True),
     nadam_ref, dict(lr=0.05, weight_decay=0.3, decoupled=True, maximize=True)),
    ("radam", lambda ps: optim.RAdam(ps, lr=0.05), radam_ref, dict(lr=0.05)),
    # beta2 = 0.8 gives rho_t > 5 from step 3: both branches run
    ("radam-rectified-wd", lambda ps: optim.RAdam(ps, lr=0.05, betas=(0.9, 0.8), weight_decay=0.1), radam_ref,
     dict(lr=0.05, betas=(0.9, 0.8), weight_decay=0.1)),
    ("radam-decoupled-max", lambda ps: optim.RAdam(ps, lr=0.05, betas=(0.7, 0.8), weight_decay=0.2,
                                                   decoupled_weight_decay=True, maximize=True),
     radam_ref, dict(lr=0.05, betas=(0.7, 0.8), weight_decay=0.2, decoupled=True, maximize=True)),
    ("rprop", lambda ps: optim.Rprop(ps, lr=0.05), rprop_ref, dict(lr=0.05)),
    ("rprop-bounds-max", lambda ps: optim.Rprop(ps, lr=0.3, etas=(0.3, 1.5), step_sizes=(0.01, 0.5), maximize=True),
     rprop_ref, dict(lr=0.3, etas=(0.3, 1.5), step_sizes=(0.01, 0.5), maximize=True)),
    ("asgd", lambda ps: optim.ASGD(ps, lr=0.05), asgd_ref, dict(lr=0.05)),
    ("asgd-averaging", lambda ps: optim.ASGD(ps, lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1), asgd_ref,
     dict(lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1)),
]  # fmt: skip


@pytest.mark.parametrize("make_opt, ref, hyper", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_update_sequence_matches_numpy_reference(device: str, make_opt, ref, hyper) -> None:
    got = _run_ember(device, make_opt)
    want = _run_reference(ref, **hyper)
    p0, _, _ = _problem(device)
    for g, w, start in zip(got, want, p0):
        assert not np.allclose(w, start), "the reference did not move: a vacuous test"
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


# PyTorch takes lr as a float or a 1-element Tensor (read at each step; schedulers fill it in place)
_PLAIN = {c[0]: c for c in CASES if set(c[3]) == {"lr"}}


@pytest.mark.parametrize("name", sorted(_PLAIN))
def test_tensor_lr_matches_numpy_reference(device: str, name: str) -> None:
    _, _, ref, hyper = _PLAIN[name]
    cls = type(_PLAIN[name][1]([ember.zeros(1, requires_grad=True)]))
    lr = ember.tensor(hyper["lr"])
    got = _run_ember(device, lambda ps: cls(ps, lr=lr))
    for g, w in zip(got, _run_reference(ref, **hyper)):
        np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def test_tensor_lr_is_read_at_each_step_and_filled_by_schedulers(device: str) -> None:
    lr = ember.tensor(0.5)
    p = _one_param(device, [1.0], [1.0])
    opt = optim.SGD([p], lr=lr)
    assert opt.param_groups[0]["lr"] is lr
    lr.fill_(0.25)
    opt.step()  # p = 1 - 0.25 * 1
    np.testing.assert_allclose(p.detach().numpy(), [0.75])
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.025)
    assert sched.get_last_lr() == [pytest.approx(0.025)]
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.SGD([p], lr=ember.tensor([0.1, 0.2]))


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


def test_adamax_moves_lr_per_step_under_a_constant_gradient(device: str) -> None:
    p = _one_param(device, [1.0], [2.0])
    opt = optim.Adamax([p], lr=0.1)
    opt.step()  # m = 0.2, u = 2 (+eps), clr = 0.1 / 0.1: p = 1 - 0.2 / 2
    np.testing.assert_allclose(p.detach().numpy(), [0.9], rtol=1e-6)
    opt.step()  # m = 0.38, u = max(0.999 * 2, 2) = 2, clr = 0.1 / 0.19: p = 0.9 - 0.1
    np.testing.assert_allclose(p.detach().numpy(), [0.8], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["exp_inf"].numpy(), [2.0], rtol=1e-6)


def test_nadam_first_step_by_hand(device: str) -> None:
    p = _one_param(device, [1.0], [2.0])
    opt = optim.NAdam([p], lr=0.1)
    opt.step()
    mu1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96**0.008)
    # m = 0.2, v = 0.004, denominator sqrt(0.004 / 0.001) = 2
    want = 1.0 - 0.1 * (1 - mu1) / (1 - mu1) * 2 / 2 - 0.1 * mu2 / (1 - mu1 * mu2) * 0.2 / 2
    np.testing.assert_allclose(p.detach().numpy(), [want], rtol=1e-6)
    assert opt.state[p]["mu_product"] == pytest.approx(mu1) and opt.state[p]["step"] == 1


def test_radam_takes_sgd_momentum_steps_until_the_variance_is_tractable(device: str) -> None:
    p = _one_param(device, [1.0, -2.0], [2.0, -4.0])
    opt = optim.RAdam([p], lr=0.1)
    for k in range(1, 5):  # rho_t <= 5 for t <= 4 with beta2 = 0.999: p -= lr * m_hat, and m_hat = g here
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.2 * k, -2.0 + 0.4 * k], rtol=1e-5)


def test_rprop_by_hand(device: str) -> None:
    p = _one_param(device, [1.0, 1.0, 1.0], [1.0, -1.0, 0.0])
    opt = optim.Rprop([p], lr=0.1)
    opt.step()  # no previous gradient: every step size stays lr
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.1, 1.0], rtol=1e-6)
    p.grad = ember.tensor([2.0, 1.0, 3.0], device=device)
    opt.step()  # same sign: x1.2; sign change: x0.5 and the coordinate rests; zero product: x1
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [0.12, 0.05, 0.1], rtol=1e-6)
    np.testing.assert_allclose(p.detach().numpy(), [0.78, 1.1, 0.9], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["prev"].numpy(), [2.0, 0.0, 3.0])
    p.grad = ember.tensor([-1.0, 1.0, 1.0], device=device)
    opt.step()
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [0.06, 0.05, 0.12], rtol=1e-6)
    np.testing.assert_allclose(p.detach().numpy(), [0.78, 1.05, 0.78], rtol=1e-6)
    q = _one_param(device, [0.0], [1.0])
    opt = optim.Rprop([q], lr=1.0, etas=(0.5, 3.0), step_sizes=(0.2, 2.0))
    for want_size in (1.0, 2.0, 2.0):  # growth is clamped at the largest step size
        opt.step()
        assert opt.state[q]["step_size"].tolist() == pytest.approx([want_size])


def test_asgd_averages_the_iterates_after_t0(device: str) -> None:
    p = _one_param(device, [1.0], [1.0])
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=0)
    iterates, averages = [], []
    for _ in range(5):
        opt.step()
        iterates.append(p.item())
        averages.append(opt.state[p]["ax"].item())
    np.testing.assert_allclose(iterates, [0.9, 0.8, 0.7, 0.6, 0.5], rtol=1e-6)
    # mu = 1 / max(1, t - t0): ax follows p for two steps, then averages the iterates from step 2 on
    np.testing.assert_allclose(averages, [0.9, 0.8, 0.75, 0.7, 0.65], rtol=1e-6)
    assert opt.state[p]["mu"] == pytest.approx(1 / 5) and opt.state[p]["eta"] == 0.1


def test_asgd_eta_decays(device: str) -> None:
    p = _one_param(device, [1.0], [0.0])
    opt = optim.ASGD([p], lr=0.5, lambd=0.2, alpha=0.5)
    opt.step()  # eta_1 = lr; p *= 1 - lambd * eta
    np.testing.assert_allclose(p.detach().numpy(), [0.9], rtol=1e-6)
    assert opt.state[p]["eta"] == pytest.approx(0.5 / (1 + 0.2 * 0.5 * 1) ** 0.5)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9 * (1 - 0.2 * 0.5 / 1.1**0.5)], rtol=1e-6)


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
        optim.Adamax(params, weight_decay=0.1),
        optim.NAdam(params, weight_decay=0.1),
        optim.NAdam(params, weight_decay=0.1, decoupled_weight_decay=True),
        optim.RAdam(params, betas=(0.9, 0.5), weight_decay=0.1),
        optim.Rprop(params),
        optim.ASGD(params, t0=1, weight_decay=0.1),
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
    # PyTorch's print of SGD(lr=0.1): the options sorted, its integer zero defaults as written in its signature
    sgd = optim.SGD([_one_param(device, [1.0], [1.0])], lr=0.1)
    assert repr(sgd) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n"
        "    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )


def test_defaults_match_pytorch(device: str) -> None:
    p = [_one_param(device, [1.0], [1.0])]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    # PyTorch 2.13's defaults, the compatibility flags (foreach/capturable/differentiable/fused) included
    flags = dict(foreach=None, capturable=False, differentiable=False)
    assert optim.Adam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                                          maximize=False, decoupled_weight_decay=False, fused=None, **flags)  # fmt: skip
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    assert optim.RMSprop(p).defaults["lr"] == 1e-2 and optim.RMSprop(p).defaults["alpha"] == 0.99
    assert optim.Adagrad(p).defaults["eps"] == 1e-10
    assert optim.Adadelta(p).defaults["lr"] == 1.0 and optim.Adadelta(p).defaults["eps"] == 1e-6
    assert optim.Adamax(p).defaults == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False,
                                            **flags)  # fmt: skip
    assert optim.NAdam(p).defaults == dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                                           decoupled_weight_decay=False, maximize=False, **flags)  # fmt: skip
    assert optim.RAdam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                                           decoupled_weight_decay=False, maximize=False, **flags)  # fmt: skip
    assert optim.Rprop(p).defaults == dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False, **flags)
    assert optim.ASGD(p).defaults == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False,
                                          **flags)  # fmt: skip
    assert optim.LBFGS(p).defaults == dict(lr=1, max_iter=20, max_eval=25, tolerance_grad=1e-7, tolerance_change=1e-9,
                                           history_size=100, line_search_fn=None)  # fmt: skip
    assert optim.LBFGS(p, max_iter=9).defaults["max_eval"] == 11  # max_iter * 5 // 4, as in PyTorch


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
        (lambda ps: optim.Adamax(ps, lr=-1), "Invalid learning rate: -1"),
        (lambda ps: optim.Adamax(ps, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda ps: optim.Adamax(ps, eps=-1.0), "Invalid epsilon value"),
        (lambda ps: optim.NAdam(ps, momentum_decay=-1e-3), "Invalid momentum_decay value: -0.001"),
        (lambda ps: optim.NAdam(ps, weight_decay=-1), "Invalid weight_decay value"),
        (lambda ps: optim.RAdam(ps, betas=(-0.1, 0.9)), "Invalid beta parameter at index 0"),
        (lambda ps: optim.RAdam(ps, betas=0.9), "Invalid betas"),
        (lambda ps: optim.Rprop(ps, etas=(1.2, 0.5)), "Invalid eta values: 1.2, 0.5"),
        (lambda ps: optim.Rprop(ps, etas=(0.5, 1.0)), "Invalid eta values"),
        (lambda ps: optim.Rprop(ps, step_sizes=(1e-6,)), "Invalid step_sizes"),
        (lambda ps: optim.ASGD(ps, lr=-0.1), "Invalid learning rate"),
        (lambda ps: optim.ASGD(ps, weight_decay=-0.1), "Invalid weight_decay value"),
        (lambda ps: optim.LBFGS(ps, lr=-1.0), "Invalid learning rate"),
        (lambda ps: optim.LBFGS(ps, line_search_fn="armijo"), "only 'strong_wolfe' is supported"),
        (
            lambda ps: optim.LBFGS([{"params": ps[:1]}, {"params": [ember.zeros(1, requires_grad=True)]}]),
            "LBFGS doesn't support per-parameter options",
        ),
    ],
)
def test_bad_hyperparameters_are_refused(device: str, make, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make([ember.tensor([1.0], device=device, requires_grad=True)])


def test_fused_and_foreach_together_are_refused(device: str) -> None:
    # PyTorch's check (Adam, AdamW, SGD, Adagrad), kept although Ember runs neither path
    ps = [ember.tensor([1.0], device=device, requires_grad=True)]
    for make in (optim.Adam, optim.AdamW, optim.SGD, optim.Adagrad):
        with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
            make(ps, lr=0.1, fused=True, foreach=True)
        make(ps, lr=0.1, fused=True, foreach=False)


def test_non_number_lr_is_refused(device: str) -> None:
    with pytest.raises(TypeError, match="lr must be a Python number"):
        optim.SGD([ember.tensor([1.0], device=device, requires_grad=True)], lr="0.1")


# -- the update itself records no graph ---------------------------------------------------------------------------

ALL_OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    "adam": lambda ps: optim.Adam(ps, amsgrad=True, weight_decay=0.1),
    "adamw": lambda ps: optim.AdamW(ps, amsgrad=True),
    "rmsprop": lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True, weight_decay=0.1),
    "adagrad": lambda ps: optim.Adagrad(ps, lr_decay=0.1, weight_decay=0.1),
    "adadelta": lambda ps: optim.Adadelta(ps, weight_decay=0.1),
    "adamax": lambda ps: optim.Adamax(ps, weight_decay=0.1),
    "nadam": lambda ps: optim.NAdam(ps, weight_decay=0.1, decoupled_weight_decay=True),
    "radam": lambda ps: optim.RAdam(ps, betas=(0.9, 0.5), weight_decay=0.1),
    "rprop": lambda ps: optim.Rprop(ps),
    "asgd": lambda ps: optim.ASGD(ps, t0=1, weight_decay=0.1),
    "lbfgs": lambda ps: optim.LBFGS(ps, max_iter=3, line_search_fn="strong_wolfe"),
}


@pytest.mark.parametrize("name", list(ALL_OPTIMIZERS))
def test_updates_record_no_graph_even_from_differentiable_gradients(device: str, name: str) -> None:
    # backward(create_graph=True) leaves gradients that carry a graph; the step must still update the leaves in
    # place under no_grad: no grad_fn on the parameters, none on any state tensor, even with grad mode on.
    params = [ember.tensor([[0.5, -1.0], [2.0, 0.3]], device=device, requires_grad=True),
              ember.tensor([0.7, -0.2], device=device, requires_grad=True)]  # fmt: skip
    opt = ALL_OPTIMIZERS[name](params)

    def closure() -> ember.Tensor:
        opt.zero_grad()
        loss = (params[0] ** 4).sum() + (params[1] ** 2 * params[0][0]).sum()
        loss.backward(create_graph=True)
        return loss

    assert ember.is_grad_enabled()
    for _ in range(3):
        if name == "lbfgs":
            opt.step(closure)
        else:
            closure()
            assert params[0].grad.grad_fn is not None  # the gradient does carry a graph
            opt.step()
    for p in params:
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
    tensors = [v for s in opt.state.values() for v in s.values() if isinstance(v, ember.Tensor)]
    tensors += [t for s in opt.state.values() for v in s.values() if isinstance(v, list) for t in v
                if isinstance(t, ember.Tensor)]  # fmt: skip
    assert tensors, "no state tensors: a vacuous test"
    for t in tensors:
        assert t.grad_fn is None and not t.requires_grad


# -- complex parameters -------------------------------------------------------------------------------------------

@pytest.fixture
def cdevice(device: str, backend) -> str:
    if ember.complex64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} holds no complex dtype")
    return device


COMPLEX_CASES = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.1),
    "adam": lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.05),
    "rmsprop": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True, momentum=0.5),
    "adagrad": lambda ps: optim.Adagrad(ps, lr=0.1, initial_accumulator_value=0.5),
    "adadelta": lambda ps: optim.Adadelta(ps),
    "adamax": lambda ps: optim.Adamax(ps, lr=0.05),
    "nadam": lambda ps: optim.NAdam(ps, lr=0.05),
    "radam": lambda ps: optim.RAdam(ps, lr=0.05),
    "asgd": lambda ps: optim.ASGD(ps, lr=0.05, t0=2),
    "rprop": lambda ps: optim.Rprop(ps, lr=0.05),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_parameters_step_as_their_real_pairs(cdevice: str, name: str) -> None:
    device = cdevice
    # PyTorch updates a complex parameter as view_as_real(p) with view_as_real(grad): the same optimizer on the
    # real (re, im) pairs (whose updates the NumPy references above check) must give the same values
    z0 = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j], np.complex64)
    p = ember.tensor(z0, device=device, requires_grad=True)
    r = ember.tensor(np.stack([z0.real, z0.imag], -1), device=device, requires_grad=True)
    opt_c, opt_r = COMPLEX_CASES[name]([p]), COMPLEX_CASES[name]([r])
    for _ in range(5):
        opt_c.zero_grad()
        opt_r.zero_grad()
        ((p * p.conj()).real.sum() + (p.real**3).sum() + p.imag.sum()).backward()
        # the same loss of the pairs: |z|^2 + re^3 + im, so d/d(re, im) = (2 re + 3 re^2, 2 im + 1)
        ((r * r).sum() + (r[:, 0] ** 3).sum() + r[:, 1].sum()).backward()
        opt_c.step()
        opt_r.step()
    got = p.detach().numpy()
    want = r.detach().numpy()
    assert p.dtype == ember.complex64 and not np.allclose(got, z0)
    np.testing.assert_allclose(np.stack([got.real, got.imag], -1), want, rtol=1e-5, atol=1e-6)


def test_complex_parameter_with_closure_and_state_dict(cdevice: str) -> None:
    device = cdevice
    p = ember.tensor(np.array([1 + 1j], np.complex64), device=device, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)

    def closure() -> ember.Tensor:
        opt.zero_grad()
        loss = (p * p.conj()).real.sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == pytest.approx(2.0)  # the closure's gradient is the one used
    np.testing.assert_allclose(p.detach().numpy(), [0.9 + 0.9j], rtol=1e-5)
    state = opt.state_dict()["state"][0]
    assert state["step"] == 1 and state["exp_avg"].shape == (1, 2)  # real pairs (PyTorch keeps complex)
    twin = optim.Adam([ember.tensor(np.array([0.9 + 0.9j], np.complex64), device=device, requires_grad=True)])
    twin.load_state_dict(opt.state_dict())
    with pytest.raises(TypeError, match="can only optimize floating-point tensors"):
        optim.LBFGS([p])
