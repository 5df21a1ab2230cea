"""LBFGS: iterates against a NumPy L-BFGS, hand-worked steps, the strong-Wolfe line search, state dicts."""

from __future__ import annotations

import io

import numpy as np
import pytest

import ember
import ember.optim as optim

# f(x) = sum(a * x**2) / 2 + sum(x**4) / 4 - b.x + c * x0 * x1: smooth, convex near its minimum, not quadratic
RNG = np.random.default_rng(3)
A = RNG.uniform(0.5, 3.0, 7)
B = RNG.standard_normal(7)
C = 0.3


def _f_numpy(x: np.ndarray) -> tuple[float, np.ndarray]:
    f = (A * x * x).sum() / 2 + (x**4).sum() / 4 - B @ x + C * x[0] * x[1]
    g = A * x + x**3 - B
    g[0] += C * x[1]
    g[1] += C * x[0]
    return float(f), g


def _lbfgs_numpy(x: np.ndarray, iters: int, lr: float, history: int) -> np.ndarray:
    """L-BFGS with a fixed step length (Nocedal & Wright, algorithm 7.4), scaled as PyTorch scales it:
    the first step is ``min(1, 1/|g|_1) * lr`` along -g, H0 = (y.s / y.y) I from the newest pair."""
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    gamma = 1.0
    g_prev = step = None
    for k in range(iters):
        _, g = _f_numpy(x)
        if k > 0:
            y = g - g_prev
            if y @ step > 1e-10:
                pairs = (pairs + [(step, y)])[-history:]
                gamma = (y @ step) / (y @ y)
        q = g.copy()
        alphas = []
        for s, y in reversed(pairs):
            alpha = (s @ q) / (y @ s)
            alphas.append(alpha)
            q = q - alpha * y
        r = gamma * q
        for (s, y), alpha in zip(pairs, reversed(alphas)):
            r = r + s * (alpha - (y @ r) / (y @ s))
        d = -r
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if k == 0 else lr
        step = t * d
        x = x + step
        g_prev = g
    return x


def _problem(device: str, dtype=ember.float32) -> tuple[list[ember.Tensor], object]:
    x = [ember.zeros(2, 2, dtype=dtype, device=device, requires_grad=True),
         ember.zeros(3, dtype=dtype, device=device, requires_grad=True)]  # fmt: skip
    a, b = (ember.tensor(v, dtype=dtype, device=device) for v in (A, B))

    def loss_of(params: list[ember.Tensor]) -> ember.Tensor:
        flat = ember.cat([params[0].reshape(-1), params[1]])
        return (a * flat * flat).sum() / 2 + (flat**4).sum() / 4 - (b * flat).sum() + C * flat[0] * flat[1]

    return x, loss_of


def _flat(params: list[ember.Tensor]) -> np.ndarray:
    return np.concatenate([p.detach().numpy().reshape(-1) for p in params]).astype(np.float64)


def _closure(opt: optim.LBFGS, params: list[ember.Tensor], loss_of, calls: list[int] | None = None):
    def closure() -> ember.Tensor:
        if calls is not None:
            calls.append(1)
        opt.zero_grad()
        loss = loss_of(params)
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("max_iter, steps", [(1, 10), (5, 2), (10, 1)])
def test_iterates_match_a_numpy_lbfgs(device: str, max_iter: int, steps: int) -> None:
    params, loss_of = _problem(device)
    opt = optim.LBFGS(params, lr=0.5, max_iter=max_iter, history_size=3, tolerance_change=0.0)
    calls: list[int] = []
    closure = _closure(opt, params, loss_of, calls)
    for _ in range(steps):
        opt.step(closure)
    want = _lbfgs_numpy(np.zeros(7), 10, lr=0.5, history=3)
    assert not np.allclose(want, 0) and not np.allclose(want, _lbfgs_numpy(np.zeros(7), 9, 0.5, 3))
    np.testing.assert_allclose(_flat(params), want, rtol=1e-4, atol=1e-5)
    state = opt.state[params[0]]
    # one evaluation per iteration: the last iteration of a step does not re-evaluate, the next step does
    assert state["n_iter"] == 10 and state["func_evals"] == 10 == len(calls)
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 3


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_one_dimensional_quadratic_by_hand(device: str, line_search_fn: str | None) -> None:
    # f = (x - 3)^2 from 0: g = -6, the first step is 1/6 along d = 6 (which also meets the Wolfe conditions), to
    # x = 1, g = -4. Then s = 1, y = 2, ro = 1/ys = 1/2, H0 = ys/yy = 1/2; the two loops from q = -g = 4:
    # al = ro s.q = 2, q = 4 - al y = 0, r = H0 q = 0, r += s (al - ro y.r) = 2: d = 2, step 1, exactly to 3.
    x = ember.zeros(1, device=device, requires_grad=True)
    opt = optim.LBFGS([x], max_iter=1, line_search_fn=line_search_fn)
    closure = _closure(opt, [x], lambda ps: ((ps[0] - 3) ** 2).sum())
    assert opt.step(closure).item() == 9.0  # the loss before the step
    assert x.tolist() == pytest.approx([1.0])
    assert opt.step(closure).item() == pytest.approx(4.0)
    assert x.tolist() == pytest.approx([3.0])
    state = opt.state[x]
    assert state["H_diag"] == pytest.approx(0.5) and state["ro"] == [pytest.approx(0.5)]
    assert state["func_evals"] == (2 if line_search_fn is None else 4)  # the search evaluates at its trial point
    assert opt.step(closure).item() == pytest.approx(0.0, abs=1e-10)  # optimal: returns at once
    assert state["n_iter"] == 2 and x.tolist() == pytest.approx([3.0])


def test_strong_wolfe_solves_rosenbrock(device: str) -> None:
    # the plain fixed step diverges on Rosenbrock's valley; the line search finds the minimum (1, 1)
    xy = ember.tensor([-1.5, 2.0], device=device, requires_grad=True)

    def rosenbrock(ps: list[ember.Tensor]) -> ember.Tensor:
        x, y = ps[0][0], ps[0][1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    opt = optim.LBFGS([xy], lr=1, max_iter=200, line_search_fn="strong_wolfe", tolerance_grad=1e-5,
                      tolerance_change=1e-12)  # fmt: skip
    opt.step(_closure(opt, [xy], rosenbrock))
    np.testing.assert_allclose(xy.detach().numpy(), [1.0, 1.0], atol=2e-3)
    assert opt.state[xy]["func_evals"] <= 250  # max_eval = max_iter * 5 // 4


def test_strong_wolfe_steps_decrease_the_loss_and_meet_the_conditions(device: str) -> None:
    params, loss_of = _problem(device)
    opt = optim.LBFGS(params, lr=1, max_iter=1, history_size=4, line_search_fn="strong_wolfe")
    closure = _closure(opt, params, loss_of)
    losses = []
    for _ in range(8):
        x0 = _flat(params)
        f0, g0 = _f_numpy(x0)
        losses.append(float(opt.step(closure)))
        x1 = _flat(params)
        f1, g1 = _f_numpy(x1)
        step = x1 - x0
        # strong Wolfe (c1 = 1e-4, c2 = 0.9): sufficient decrease and a flattened slope along the step
        assert f1 <= f0 + 1e-4 * (g0 @ step) + 1e-5
        assert abs(g1 @ step) <= 0.9 * abs(g0 @ step) + 1e-5
    assert losses == sorted(losses, reverse=True)
    # near the minimum after 8 iterations (as near as float32 losses let the line search tell)
    assert np.abs(_f_numpy(_flat(params))[1]).max() < 5e-3 < 0.1 < np.abs(B).max()


def test_stops_at_max_eval_and_on_tolerances(device: str) -> None:
    params, loss_of = _problem(device)
    calls: list[int] = []
    opt = optim.LBFGS(params, max_iter=50, max_eval=6)
    opt.step(_closure(opt, params, loss_of, calls))
    assert len(calls) == 6 and opt.state[params[0]]["n_iter"] == 5
    params, loss_of = _problem(device)
    calls = []
    opt = optim.LBFGS(params, max_iter=100, tolerance_change=1e-3)  # stops once the loss changes by < 1e-3
    opt.step(_closure(opt, params, loss_of, calls))
    assert 2 < len(calls) < 100


def test_parameters_without_gradient_count_as_zero(device: str) -> None:
    used = ember.zeros(2, device=device, requires_grad=True)
    unused = ember.ones(3, device=device, requires_grad=True)
    opt = optim.LBFGS([used, unused], max_iter=3)
    opt.step(_closure(opt, [used, unused], lambda ps: ((ps[0] - 1) ** 2).sum()))
    assert unused.tolist() == [1.0, 1.0, 1.0] and used.grad is not None and unused.grad is None
    assert opt.state[used]["d"].shape == (5,)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "ember.save"])
def test_state_dict_round_trip_continues_identically(device: str, line_search_fn, via_file: bool) -> None:
    params, loss_of = _problem(device)
    opt = optim.LBFGS(params, lr=0.5, max_iter=2, history_size=2, line_search_fn=line_search_fn)
    for _ in range(2):
        opt.step(_closure(opt, params, loss_of))
    state = opt.state_dict()
    assert set(state["state"][0]) == {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
                                      "prev_flat_grad", "prev_loss", "al"}  # fmt: skip
    assert state["param_groups"][0]["params"] == [0, 1] and state["param_groups"][0]["max_eval"] == 2
    if via_file:
        buf = io.BytesIO()
        ember.save(state, buf)
        buf.seek(0)
        state = ember.load(buf, map_location=device)
    twin_params = [p.detach().clone().requires_grad_() for p in params]
    twin = optim.LBFGS(twin_params, lr=0.5, max_iter=2, history_size=2, line_search_fn=line_search_fn)
    twin.load_state_dict(state)
    for _ in range(2):
        opt.step(_closure(opt, params, loss_of))
        twin.step(_closure(twin, twin_params, loss_of))
    for p, q in zip(params, twin_params):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_closure_is_required(device: str) -> None:
    opt = optim.LBFGS([ember.zeros(1, device=device, requires_grad=True)])
    with pytest.raises(RuntimeError, match="needs a closure"):
        opt.step(None)
    with pytest.raises(ValueError, match="per-parameter options"):
        opt.add_param_group({"params": [ember.zeros(1, device=device, requires_grad=True)]})
