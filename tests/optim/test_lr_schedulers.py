"""Learning-rate schedulers: closed forms over many steps, values worked out by hand, state-dict round trips."""

from __future__ import annotations

import functools
import io
import math
import warnings
from bisect import bisect_right

import pytest

import ember
import ember.optim as optim
from ember.optim import lr_scheduler as sched

STEPS = 120


@pytest.fixture
def make_opt(device: str):
    """A factory of optimizers over fresh parameters on the device under test (one or two groups)."""

    def make(lr: float = 0.1, groups: int = 1, kind=optim.SGD, **kw) -> optim.Optimizer:
        params = [{"params": [ember.zeros(2, device=device, requires_grad=True)], "lr": lr * (i + 1)}
                  for i in range(groups)]  # fmt: skip
        return kind(params, lr=lr, **kw)

    return make


def _trace(s: sched.LRScheduler, steps: int = STEPS) -> list[list[float]]:
    """The lrs at epochs 0..steps (the constructor sets epoch 0)."""
    out = [s.get_last_lr()]
    for _ in range(steps):
        s.optimizer.step()
        s.step()
        out.append(s.get_last_lr())
    return out


def _close(got: list[list[float]], want: list[list[float]]) -> None:
    assert len(got) == len(want)
    for epoch, (g, w) in enumerate(zip(got, want)):
        assert g == pytest.approx(w, rel=1e-9, abs=1e-12), f"epoch {epoch}: {g} != {w}"


# -- closed forms ------------------------------------------------------------------------------------------------


def test_step_lr(make_opt) -> None:
    opt = make_opt(0.1, groups=2)
    s = sched.StepLR(opt, step_size=7, gamma=0.5)
    _close(_trace(s), [[b * 0.5 ** (t // 7) for b in (0.1, 0.2)] for t in range(STEPS + 1)])


def test_multistep_lr_counts_repeated_milestones(make_opt) -> None:
    milestones = [10, 25, 25, 60]
    s = sched.MultiStepLR(make_opt(0.1), milestones=milestones, gamma=0.3)
    _close(_trace(s), [[0.1 * 0.3 ** bisect_right(milestones, t)] for t in range(STEPS + 1)])


def test_exponential_lr(make_opt) -> None:
    s = sched.ExponentialLR(make_opt(0.1, groups=2), gamma=0.97)
    _close(_trace(s), [[b * 0.97**t for b in (0.1, 0.2)] for t in range(STEPS + 1)])


def test_cosine_annealing_lr_follows_the_cosine_past_t_max(make_opt) -> None:
    s = sched.CosineAnnealingLR(make_opt(0.1), T_max=20, eta_min=0.001)
    want = [[0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 20)) / 2] for t in range(STEPS + 1)]
    _close(_trace(s), want)


def test_lambda_lr_one_function_per_group(make_opt) -> None:
    s = sched.LambdaLR(make_opt(0.1, groups=2), lr_lambda=[lambda t: 0.95**t, lambda t: 1 / (1 + t)])
    _close(_trace(s), [[0.1 * 0.95**t, 0.2 / (1 + t)] for t in range(STEPS + 1)])


def test_linear_lr(make_opt) -> None:
    s = sched.LinearLR(make_opt(0.1), start_factor=0.25, end_factor=0.9, total_iters=40)
    _close(_trace(s), [[0.1 * (0.25 + 0.65 * min(t, 40) / 40)] for t in range(STEPS + 1)])


def test_chained_schedulers_multiply(make_opt) -> None:
    opt = make_opt(1.0)
    a = sched.StepLR(opt, step_size=10, gamma=0.5)
    b = sched.ExponentialLR(opt, gamma=0.99)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(50):
        opt.step()
        a.step()
        b.step()
        lrs.append(opt.param_groups[0]["lr"])
    _close([[x] for x in lrs], [[0.5 ** (t // 10) * 0.99**t] for t in range(51)])


def test_sequential_lr_warmup_then_cosine(make_opt) -> None:
    opt = make_opt(0.1)
    warm = sched.LinearLR(opt, start_factor=0.1, total_iters=5)
    cos = sched.CosineAnnealingLR(opt, T_max=30)
    s = sched.SequentialLR(opt, [warm, cos], milestones=[5])
    want = [[0.1 * (0.1 + 0.9 * t / 5)] if t < 5 else [0.1 * (1 + math.cos(math.pi * (t - 5) / 30)) / 2]
            for t in range(61)]  # fmt: skip
    _close(_trace(s, 60), want)


def test_step_with_epoch_uses_closed_form_and_warns(make_opt) -> None:
    s = sched.StepLR(make_opt(1.0), step_size=3, gamma=0.1)
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(7)
    assert s.last_epoch == 7 and s.get_last_lr() == pytest.approx([0.01])


def test_multiplicative_lr_multiplies_the_current_lr(make_opt) -> None:
    def factor(t: int) -> float:
        return 0.9 if t % 3 else 0.5

    s = sched.MultiplicativeLR(make_opt(0.1, groups=2), lr_lambda=factor)
    want = [[b * math.prod(factor(k) for k in range(1, t + 1)) for b in (0.1, 0.2)] for t in range(STEPS + 1)]
    _close(_trace(s), want)


def test_constant_lr(make_opt) -> None:
    s = sched.ConstantLR(make_opt(0.1, groups=2), factor=0.2, total_iters=9)
    _close(_trace(s), [[b * (0.2 if t < 9 else 1.0) for b in (0.1, 0.2)] for t in range(STEPS + 1)])


@pytest.mark.parametrize("total_iters, power", [(5, 1.0), (40, 2.0), (17, 0.5)])
def test_polynomial_lr(make_opt, total_iters: int, power: float) -> None:
    s = sched.PolynomialLR(make_opt(0.1), total_iters=total_iters, power=power)
    _close(_trace(s), [[0.1 * (1 - min(t, total_iters) / total_iters) ** power] for t in range(STEPS + 1)])


def test_chained_scheduler_multiplies_its_schedulers(make_opt) -> None:
    opt = make_opt(0.1, groups=2)
    s = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.5, total_iters=4), sched.ExponentialLR(opt, gamma=0.9)])
    assert s.optimizer is opt
    _close(_trace(s), [[b * (0.5 if t < 4 else 1.0) * 0.9**t for b in (0.1, 0.2)] for t in range(STEPS + 1)])


def _cyclic_factor(t: int, up: int, down: int) -> float:
    """How far up the triangle iteration `t` is: 0 at the base, 1 at the peak."""
    u = t % (up + down)
    return u / up if u <= up else (up + down - u) / down


def _cyclic_trace(s: sched.CyclicLR, steps: int) -> tuple[list[list[float]], list[list[float]]]:
    def momenta() -> list[float]:
        return [g["betas"][0] if "betas" in g else g["momentum"] for g in s.optimizer.param_groups]

    lrs, moms = [s.get_last_lr()], [momenta()]
    for _ in range(steps):
        s.optimizer.step()
        s.step()
        lrs.append(s.get_last_lr())
        moms.append(momenta())
    return lrs, moms


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_lr_modes_with_momentum(make_opt, mode: str) -> None:
    up, down, gamma = 7, 4, 0.98
    opt = make_opt(0.5, groups=2, momentum=0.9)
    s = sched.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=up, step_size_down=down, mode=mode,
                       gamma=gamma, base_momentum=0.7, max_momentum=0.95)  # fmt: skip

    def scale(t: int) -> float:
        if mode == "triangular2":
            return 0.5 ** (t // (up + down))
        return gamma**t if mode == "exp_range" else 1.0

    lrs, moms = _cyclic_trace(s, STEPS)
    _close(lrs, [[b + (m - b) * _cyclic_factor(t, up, down) * scale(t) for b, m in ((0.01, 0.1), (0.02, 0.3))]
                 for t in range(STEPS + 1)])  # fmt: skip
    _close(moms, [[0.95 - 0.25 * _cyclic_factor(t, up, down) * scale(t)] * 2 for t in range(STEPS + 1)])
    assert opt.param_groups[1]["base_momentum"] == 0.7 and opt.param_groups[1]["max_momentum"] == 0.95


def test_cyclic_lr_cycles_adams_beta1_and_custom_scale(make_opt) -> None:
    opt = make_opt(0.5, kind=optim.Adam, betas=(0.9, 0.99))
    s = sched.CyclicLR(opt, 0.001, 0.01, step_size_up=4)  # defaults: triangular, momentum 0.8..0.9
    lrs, beta1 = _cyclic_trace(s, 30)
    _close(lrs, [[0.001 + 0.009 * _cyclic_factor(t, 4, 4)] for t in range(31)])
    _close(beta1, [[0.9 - 0.1 * _cyclic_factor(t, 4, 4)] for t in range(31)])
    assert opt.param_groups[0]["betas"][1] == 0.99
    s = sched.CyclicLR(make_opt(0.5), 0.001, 0.01, step_size_up=3, cycle_momentum=False,
                       scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations")  # fmt: skip
    lrs, _ = _cyclic_trace(s, 20)
    _close(lrs, [[0.001 + 0.009 * _cyclic_factor(t, 3, 3) / (1 + t)] for t in range(21)])
    assert s.state_dict()["_scale_fn_custom"] is None  # a plain function is not saved


def test_cyclic_lr_hand_values(make_opt) -> None:
    s = sched.CyclicLR(make_opt(1.0, momentum=0.9), 0.1, 1.0, step_size_up=2, mode="triangular2")
    lrs, moms = _cyclic_trace(s, 8)
    assert [x[0] for x in lrs] == pytest.approx([0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1])
    assert [x[0] for x in moms] == pytest.approx([0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9])


def _sgdr(t: float, T_0: int, T_mult: int, base: float, eta_min: float) -> float:
    """SGDR's closed form: find the period that holds epoch `t`, then the cosine within it."""
    start, T_i = 0, T_0
    while t >= start + T_i:
        start, T_i = start + T_i, T_i * T_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * (t - start) / T_i)) / 2


@pytest.mark.parametrize("T_0, T_mult, eta_min", [(10, 1, 0.0), (3, 2, 0.001), (2, 3, 0.01)])
def test_cosine_annealing_warm_restarts(make_opt, T_0: int, T_mult: int, eta_min: float) -> None:
    s = sched.CosineAnnealingWarmRestarts(make_opt(0.1, groups=2), T_0=T_0, T_mult=T_mult, eta_min=eta_min)
    _close(_trace(s), [[_sgdr(t, T_0, T_mult, b, eta_min) for b in (0.1, 0.2)] for t in range(STEPS + 1)])


@pytest.mark.parametrize("T_mult", [1, 2])
def test_cosine_annealing_warm_restarts_fractional_epochs(make_opt, T_mult: int) -> None:
    s = sched.CosineAnnealingWarmRestarts(make_opt(0.1), T_0=3, T_mult=T_mult, eta_min=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # step(epoch) is this scheduler's documented use: no deprecation warning
        for epoch in range(25):
            for i in range(4):
                s.step(epoch + i / 4)
                assert s.get_last_lr() == pytest.approx([_sgdr(epoch + i / 4, 3, T_mult, 0.1, 0.01)], rel=1e-9)
                assert s.last_epoch == epoch
    s.step(1.5)  # back in time: into the first period again
    assert s.T_i == 3 and s.get_last_lr() == pytest.approx([_sgdr(1.5, 3, T_mult, 0.1, 0.01)])
    s.step()
    assert s.last_epoch == 2 and s.get_last_lr() == pytest.approx([_sgdr(2.5, 3, T_mult, 0.1, 0.01)])
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        s.step(-1)


def test_cosine_annealing_warm_restarts_hand_values(make_opt) -> None:
    s = sched.CosineAnnealingWarmRestarts(make_opt(1.0), T_0=2, T_mult=2)
    # periods [0, 2), [2, 6): cos^2 steps of pi/2 then of pi/4
    half = (1 + math.cos(math.pi / 4)) / 2
    assert [x[0] for x in _trace(s, 6)] == pytest.approx([1.0, 0.5, 1.0, half, 0.5, 1 - half, 1.0])


# -- values worked out by hand (what PyTorch prints) ---------------------------------------------------------------


def test_hand_values(make_opt) -> None:
    s = sched.StepLR(make_opt(0.1), step_size=3, gamma=0.1)
    assert [x[0] for x in _trace(s, 8)] == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001])
    s = sched.LinearLR(make_opt(0.05), start_factor=0.5, total_iters=4)  # PyTorch's documented example
    assert [x[0] for x in _trace(s, 5)] == pytest.approx([0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05])
    s = sched.LinearLR(make_opt(0.3))  # defaults: start_factor 1/3 over 5 iterations
    assert [x[0] for x in _trace(s, 6)] == pytest.approx([0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3])
    s = sched.CosineAnnealingLR(make_opt(1.0), T_max=10)
    trace = [x[0] for x in _trace(s, 20)]
    assert trace[5] == pytest.approx(0.5) and trace[10] == pytest.approx(0.0, abs=1e-15)
    assert trace[15] == pytest.approx(0.5) and trace[20] == pytest.approx(1.0)
    opt = make_opt(1.0)
    s = sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.5, total_iters=2),
                                 sched.ExponentialLR(opt, gamma=0.9)], milestones=[2])  # fmt: skip
    assert [x[0] for x in _trace(s, 4)] == pytest.approx([0.5, 0.75, 1.0, 0.9, 0.81])


def test_one_cycle_hand_values_and_momentum(make_opt) -> None:
    opt = make_opt(0.1, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lrs, moms = [s.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    # warm-up over steps 0..2 (pct_start 0.3 of 10 steps) from 1/25 to 1, cosine; then down to 0.04/1e4 at step 9
    assert lrs[:3] == pytest.approx([0.04, 0.52, 1.0])
    assert moms[:3] == pytest.approx([0.95, 0.90, 0.85])
    down = [4e-6 + (1 - 4e-6) / 2 * (1 + math.cos(math.pi * (t - 2) / 7)) for t in range(2, 10)]
    assert lrs[2:] == pytest.approx(down)
    assert lrs[9] == pytest.approx(4e-6) and moms[9] == pytest.approx(0.95)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.04) and opt.param_groups[0]["max_lr"] == 1.0
    s.step()  # total_steps + 1 lrs can be asked for, as in PyTorch
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        s.step()


def test_one_cycle_linear_three_phase_with_adam_betas(make_opt) -> None:
    opt = make_opt(0.1, kind=optim.Adam, betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=[2.0], epochs=2, steps_per_epoch=5, anneal_strategy="linear", three_phase=True,
                         div_factor=10.0, final_div_factor=100.0)  # fmt: skip
    lrs, beta1 = [s.get_last_lr()[0]], [opt.param_groups[0]["betas"][0]]
    for _ in range(9):
        s.step()
        lrs.append(s.get_last_lr()[0])
        beta1.append(opt.param_groups[0]["betas"][0])
        assert opt.param_groups[0]["betas"][1] == 0.99
    # phases end at steps 2, 4, 9: 0.2 -> 2 -> 0.2 -> 0.002, linearly
    assert lrs == pytest.approx([0.2, 1.1, 2.0, 1.1, 0.2] + [0.2 + (0.002 - 0.2) * k / 5 for k in range(1, 6)])
    assert beta1[:5] == pytest.approx([0.95, 0.90, 0.85, 0.90, 0.95]) and beta1[9] == pytest.approx(0.95)


# -- ReduceLROnPlateau ---------------------------------------------------------------------------------------------


def _plateau(s: sched.ReduceLROnPlateau, metrics: list[float]) -> list[float]:
    out = []
    for m in metrics:
        s.step(m)
        out.append(s.get_last_lr()[0])
    return out


def test_reduce_on_plateau_patience_and_min_lr(make_opt) -> None:
    s = sched.ReduceLROnPlateau(make_opt(1.0), factor=0.5, patience=2, threshold=0.0, threshold_mode="abs", min_lr=0.2)
    got = _plateau(s, [5, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3])
    assert got == pytest.approx([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2])


def test_reduce_on_plateau_cooldown(make_opt) -> None:
    s = sched.ReduceLROnPlateau(make_opt(1.0), factor=0.5, patience=2, threshold=0.0, threshold_mode="abs", cooldown=2)
    got = _plateau(s, [5, 4, 4, 4, 4, 3, 3, 3, 3, 3])
    # the reduction at epoch 5 starts a 2-epoch cooldown in which bad epochs do not count
    assert got == pytest.approx([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25])


def test_reduce_on_plateau_max_mode_relative_threshold(make_opt) -> None:
    s = sched.ReduceLROnPlateau(make_opt(1.0), mode="max", factor=0.1, patience=0, threshold=0.1)
    assert _plateau(s, [1.0, 1.05, 1.2, 1.3]) == pytest.approx([1.0, 0.1, 0.1, 0.01])
    assert s.best == 1.2


def test_reduce_on_plateau_skips_tiny_reductions_and_reads_tensors(make_opt, device: str) -> None:
    s = sched.ReduceLROnPlateau(make_opt(1e-9), factor=0.5, patience=0)
    assert _plateau(s, [1.0, 1.0, 1.0]) == [1e-9] * 3  # 1e-9 - 5e-10 < eps = 1e-8
    s = sched.ReduceLROnPlateau(make_opt(1.0), patience=0)
    s.step(ember.tensor(2.0, device=device))
    s.step(ember.tensor(3.0, device=device))
    assert s.get_last_lr() == pytest.approx([0.1]) and s.best == 2.0


def test_reduce_on_plateau_per_group_min_lrs(make_opt) -> None:
    s = sched.ReduceLROnPlateau(make_opt(1.0, groups=2), factor=0.1, patience=0, min_lr=[0.5, 0.01])
    s.step(1.0)
    s.step(1.0)
    assert s.get_last_lr() == pytest.approx([0.5, 0.2])


# -- state dicts ---------------------------------------------------------------------------------------------------


class _Scale:
    """A callable object: LambdaLR saves its __dict__."""

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def __call__(self, epoch: int) -> float:
        return self.factor / (1 + epoch)


def _schedulers(make_opt):
    def one_cycle():
        opt = make_opt(0.1, momentum=0.9)
        return sched.OneCycleLR(opt, max_lr=1.0, total_steps=40)

    def sequential():
        opt = make_opt(0.1)
        return sched.SequentialLR(opt, [sched.LinearLR(opt, total_iters=4), sched.MultiStepLR(opt, [3, 9])], [4])

    def chained():
        opt = make_opt(0.1)
        return sched.ChainedScheduler([sched.ConstantLR(opt, total_iters=3), sched.PolynomialLR(opt, 12, 2.0)])

    def cyclic():
        return sched.CyclicLR(make_opt(0.1, kind=optim.Adam), 0.01, 0.1, step_size_up=3, mode="exp_range",
                              gamma=0.9, scale_fn=_Scale(1.0), scale_mode="iterations")  # fmt: skip

    return {
        "multiplicative": lambda: sched.MultiplicativeLR(make_opt(0.1), _Scale(0.9)),
        "constant": lambda: sched.ConstantLR(make_opt(0.1), factor=0.5, total_iters=8),
        "polynomial": lambda: sched.PolynomialLR(make_opt(0.1), total_iters=15, power=1.5),
        "chained": chained,
        "cyclic": cyclic,
        "warm-restarts": lambda: sched.CosineAnnealingWarmRestarts(make_opt(0.1), T_0=3, T_mult=2, eta_min=0.01),
        "step": lambda: sched.StepLR(make_opt(0.1, groups=2), 4, gamma=0.5),
        "multistep": lambda: sched.MultiStepLR(make_opt(0.1), [5, 9, 9], gamma=0.5),
        "exponential": lambda: sched.ExponentialLR(make_opt(0.1), 0.9),
        "cosine": lambda: sched.CosineAnnealingLR(make_opt(0.1), T_max=7, eta_min=0.01),
        "lambda": lambda: sched.LambdaLR(make_opt(0.1), _Scale(2.0)),
        "linear": lambda: sched.LinearLR(make_opt(0.1), start_factor=0.2, total_iters=8),
        "onecycle": one_cycle,
        "sequential": sequential,
    }


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine", "lambda", "linear", "onecycle",
                                  "sequential", "multiplicative", "constant", "polynomial", "chained", "cyclic",
                                  "warm-restarts"])  # fmt: skip
@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "ember.save"])
def test_state_dict_round_trip_continues_identically(make_opt, name: str, via_file: bool) -> None:
    make = _schedulers(make_opt)[name]
    s = make()
    for _ in range(6):
        s.optimizer.step()
        s.step()
    state = {"optimizer": s.optimizer.state_dict(), "scheduler": s.state_dict()}
    if via_file:
        buf = io.BytesIO()
        ember.save(state, buf)
        buf.seek(0)
        state = ember.load(buf)
    twin = make()
    if name in ("lambda", "multiplicative"):
        twin.lr_lambdas[0].factor = 123.0  # restored from the state dict
    if name == "cyclic":
        twin._scale_fn_custom.factor = 123.0
    twin.optimizer.load_state_dict(state["optimizer"])
    twin.load_state_dict(state["scheduler"])
    assert twin.get_last_lr() == s.get_last_lr()
    for _ in range(20):
        s.step()
        twin.step()
        assert twin.get_last_lr() == s.get_last_lr()
        assert twin.optimizer.param_groups[0]["lr"] == s.optimizer.param_groups[0]["lr"]
    if name in ("lambda", "multiplicative"):
        assert twin.lr_lambdas[0].factor == s.lr_lambdas[0].factor != 123.0
    if name == "cyclic":
        assert twin._scale_fn_custom.factor == 1.0
        assert twin.optimizer.param_groups[0]["betas"] == s.optimizer.param_groups[0]["betas"]


def test_reduce_on_plateau_state_round_trip(make_opt) -> None:
    s = sched.ReduceLROnPlateau(make_opt(1.0), factor=0.5, patience=1, cooldown=1)
    metrics = [3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]
    for m in metrics[:4]:
        s.step(m)
    buf = io.BytesIO()
    ember.save({"optimizer": s.optimizer.state_dict(), "scheduler": s.state_dict()}, buf)
    buf.seek(0)
    state = ember.load(buf)
    twin = sched.ReduceLROnPlateau(make_opt(1.0))
    twin.optimizer.load_state_dict(state["optimizer"])
    twin.load_state_dict(state["scheduler"])
    for m in metrics[4:]:
        s.step(m)
        twin.step(m)
        assert twin.get_last_lr() == s.get_last_lr()
    fresh = sched.ReduceLROnPlateau(make_opt(1.0))
    assert fresh.state_dict()["best"] == math.inf
    buf = io.BytesIO()
    ember.save(fresh.state_dict(), buf)
    buf.seek(0)
    assert ember.load(buf)["best"] == math.inf


def test_state_dict_leaves_out_the_optimizer_and_plain_lambdas(make_opt) -> None:
    s = sched.LambdaLR(make_opt(0.1), lambda t: 1.0)
    state = s.state_dict()
    assert "optimizer" not in state and state["lr_lambdas"] == [None]
    assert state["last_epoch"] == 0 and state["base_lrs"] == [0.1] and state["_last_lr"] == [0.1]


def test_lambda_lr_state_dict_with_partials_and_builtins(make_opt) -> None:
    s = sched.LambdaLR(make_opt(0.1, groups=2), [functools.partial(pow, 0.5), abs])
    assert s.get_last_lr() == pytest.approx([0.1, 0.0])
    assert s.state_dict()["lr_lambdas"] == [{}, None]


def test_custom_scheduler_subclass(make_opt) -> None:
    class Halving(sched._LRScheduler):  # the PyTorch idiom for a custom schedule
        def get_lr(self) -> list[float]:
            return [base / 2**self.last_epoch for base in self.base_lrs]

    s = Halving(make_opt(1.0))
    assert isinstance(s, sched.LRScheduler)
    _close(_trace(s, 5), [[1.0 / 2**t] for t in range(6)])


# -- bad input -----------------------------------------------------------------------------------------------------


def test_bad_scheduler_arguments(make_opt) -> None:
    opt = make_opt(0.1, groups=2)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(object(), 3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(opt, [lambda t: 1.0])
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(make_opt(0.1), 3, last_epoch=5)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        sched.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        sched.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ValueError, match="step_size"):
        sched.StepLR(opt, 0)
    with pytest.raises(ValueError, match="T_max"):
        sched.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="either total_steps OR"):
        sched.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="positive integer total_steps"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match="expected 2 values for max_lr, got 3"):
        sched.OneCycleLR(opt, max_lr=[1.0, 2.0, 3.0], total_steps=10)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.OneCycleLR(make_opt(0.1, kind=optim.Adagrad), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=1.0)
    # PyTorch's wording, "mode up is unknown!", so that a match on it works here too
    with pytest.raises(ValueError, match="mode up is unknown!"):
        sched.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="threshold mode pct is unknown!"):
        sched.ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        sched.ReduceLROnPlateau(opt, min_lr=[0.1])


def test_bad_arguments_of_the_newer_schedulers(make_opt) -> None:
    opt = make_opt(0.1, groups=2)
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        sched.MultiplicativeLR(opt, 0.9)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        sched.MultiplicativeLR(opt, [abs] * 3)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1"):
        sched.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        sched.CyclicLR(opt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="scale_mode"):
        sched.CyclicLR(opt, 0.01, 0.1, scale_fn=abs, scale_mode="epochs")
    with pytest.raises(ValueError, match="step_size_up and step_size_down must be positive"):
        sched.CyclicLR(opt, 0.01, 0.1, step_size_up=0)
    with pytest.raises(ValueError, match="expected 2 values for max_lr, got 3"):
        sched.CyclicLR(opt, 0.01, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.CyclicLR(make_opt(0.1, kind=optim.Rprop), 0.01, 0.1)
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=2.5)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=0)
    with pytest.raises(ValueError, match="Expected float or int eta_min"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=3, eta_min="0")
    a = sched.StepLR(opt, 3)
    with pytest.raises(ValueError, match="ChainedScheduler expects at least one scheduler to be chained"):
        sched.ChainedScheduler([])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.ChainedScheduler([a, sched.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="ChainedScheduler expects all schedulers to belong to the same optimizer"):
        sched.ChainedScheduler([a, sched.StepLR(make_opt(0.1, groups=2), 3)])


def test_bad_sequential_lr(make_opt) -> None:
    opt = make_opt(0.1)
    a, b = sched.StepLR(opt, 3), sched.ExponentialLR(opt, 0.9)
    with pytest.raises(ValueError, match="at least one scheduler"):
        sched.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        sched.SequentialLR(opt, [a, b], milestones=[1, 2])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.SequentialLR(opt, [a, sched.ReduceLROnPlateau(opt)], milestones=[2])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.SequentialLR(opt, [a, sched.StepLR(make_opt(0.1), 3)], milestones=[2])
    with pytest.raises(TypeError, match="should have `optimizer`"):
        sched.SequentialLR(opt, [a, object()], milestones=[2])


def test_scheduler_lr_drives_the_optimizer(device: str) -> None:
    p = ember.tensor([1.0], device=device, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning in the ordinary optimizer.step(); scheduler.step() order
        for _ in range(3):
            p.grad = ember.tensor([1.0], device=device)
            opt.step()
            s.step()
    assert p.tolist() == pytest.approx([1.0 - 1.0 - 0.5 - 0.25])


def test_scheduler_step_before_optimizer_step_warns_as_pytorch(make_opt) -> None:
    # PyTorch wraps optimizer.step when a scheduler is made; the scheduler's first step() warns if the
    # optimizer has not stepped since (the schedule's first value would be skipped)
    opt = make_opt(0.1)
    s = sched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    opt = make_opt(0.1)
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            s.step()
    assert getattr(opt.step, "_wrapped_by_lr_sched", False)
    sched.ExponentialLR(opt, 0.9)  # a second scheduler does not wrap the step again
    assert opt.step.__wrapped__ is type(opt).step
    opt = make_opt(0.1)
    s = sched.StepLR(opt, step_size=2)
    opt.step = lambda closure=None: None  # replaced after the scheduler was made
    with pytest.warns(UserWarning, match=r"Seems like `optimizer.step\(\)` has been overridden"):
        s.step()


def test_optimizer_copies_drop_the_schedulers_step_wrapper(make_opt) -> None:
    # the wrapper points at the original optimizer: a deep copy (or pickle) must step its own parameters
    import copy
    import pickle

    opt = make_opt(0.5)
    sched.StepLR(opt, step_size=2)
    opt.register_step_post_hook(lambda o, args, kwargs: None)
    for twin in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        original = opt.param_groups[0]["params"][0]
        mine = twin.param_groups[0]["params"][0]
        mine.grad = ember.ones(2, device=mine.device)
        twin.step()
        assert original.tolist() == [0.0, 0.0] and mine.tolist() == [-0.5, -0.5]
        assert twin._step_post_hooks == {}


def test_get_lr_outside_step_warns_as_pytorch(make_opt) -> None:
    opt = make_opt(0.1)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        s.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # step() itself calls get_lr without the warning
        opt.step()
        s.step()
    assert s.get_last_lr() == [pytest.approx(0.1)]
    assert s.state_dict()["_get_lr_called_within_step"] is False
