"""ember.compile: replays match eager execution, and each known JIT footgun does the right thing.

Device-generic (the `device` fixture): bitwise equality to eager on the NumPy backend, within 1e-6
elsewhere. Every test also checks that replays happened, so none can pass by running eagerly.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim
from ember.compiler import CompileError, RecompileWarning


def _same(a: np.ndarray, b: np.ndarray, device: str) -> None:
    if device == "cpu":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


#: the models that the training tests train, by kind: (model, input shape of a batch of 6)
_MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "mlp": (lambda: nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 3)), (6, 12)),
    "cnn": (lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Dropout(0.1), nn.Linear(4 * 3 * 3, 3),
    ), (6, 1, 6, 6)),
}  # fmt: skip


def _training_step(model: nn.Module, opt: Any, loss_fn: Callable[..., ember.Tensor]) -> Callable[..., ember.Tensor]:
    """One training step: zero the gradients, ``loss_fn(model(x), *rest)``, backward, the optimizer's step."""

    def step(x: ember.Tensor, *rest: ember.Tensor) -> ember.Tensor:
        opt.zero_grad()
        loss = loss_fn(model(x), *rest)
        loss.backward()
        opt.step()
        return loss

    return step


def _train(kind: str, optimizer: str, compiled: bool, device: str, steps: int) -> tuple[list[np.ndarray], list[float], Any]:
    ember.manual_seed(0)
    make_model, shape = _MODELS[kind]
    model = make_model().to(device)
    if optimizer == "sgd":
        opt: Any = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    else:
        opt = ember.optim.AdamW(model.parameters(), lr=0.01)
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    step = _training_step(model, opt, nn.functional.cross_entropy)
    run = ember.compile(step) if compiled else step
    rng = np.random.default_rng(1)
    losses = []
    model.train()
    for _ in range(steps):
        x = ember.tensor(rng.standard_normal(shape).astype(np.float32), device=device)
        y = ember.tensor(rng.integers(0, 3, 6), device=device)
        losses.append(run(x, y).item())
        sched.step()
    state = [t.detach().numpy().copy() for t in model.state_dict().values()]
    return state, losses, run


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_training_steps_match_eager(kind: str, optimizer: str, device: str) -> None:
    """100 steps (dropout, BatchNorm stats, a cosine schedule, SGD momentum or AdamW) equal eager ones."""
    steps = 100
    eager_state, eager_losses, _ = _train(kind, optimizer, False, device, steps)
    state, losses, run = _train(kind, optimizer, True, device, steps)
    assert run.captures == 2 and run.replays == steps - 2  # step 1 makes the optimizer's state, step 2 uses it
    for a, b in zip(eager_state, state):
        _same(a, b, device)
    _same(np.array(eager_losses), np.array(losses), device)


def test_frozen_constants_recapture(device: str) -> None:
    """A closure's Python number changes between calls: the replay must not keep the old one."""
    scale = 2.0

    def f(x: ember.Tensor) -> ember.Tensor:
        return x * scale + 1

    g = ember.compile(f)
    x = ember.tensor([1.0, 2.0], device=device)
    for s in (2.0, 2.0, 3.0, 3.0, 2.0):
        scale = s
        np.testing.assert_array_equal(g(x).numpy(), np.array([1.0, 2.0], np.float32) * s + 1)
    assert g.captures == 2 and g.replays == 3


def test_float_argument_is_traced(device: str) -> None:
    """A float argument reaches the kernels at its new value without a re-capture."""
    g = ember.compile(lambda x, a: (x * a).exp() - a)
    x = ember.tensor([0.5, -1.0], device=device)
    for a in (0.5, 1.5, -2.25):
        _same(g(x, a).numpy(), np.exp(np.float32([0.5, -1.0]) * np.float32(a)) - np.float32(a), device)
    assert g.captures == 1 and g.replays == 2


def test_branch_on_tensor_value_raises(device: str) -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        return x * 2 if x.sum() > 0 else x

    with pytest.raises(CompileError, match=r"bool\(tensor\)"):
        ember.compile(f)(ember.tensor([1.0], device=device))


@pytest.mark.parametrize(
    "read, name",
    [
        (lambda t: t.sum().item(), r"Tensor\.item\(\)"),
        (lambda t: t.tolist(), r"Tensor\.tolist\(\)"),
        (lambda t: t.numpy(), r"Tensor\.numpy\(\)"),
    ],
)
def test_host_reads_raise_naming_the_call(read: Any, name: str, device: str) -> None:
    with pytest.raises(CompileError, match=name):
        ember.compile(read)(ember.tensor([1.0, 2.0], device=device))


@pytest.mark.parametrize("f", [lambda t: t[t > 0], lambda t: t.nonzero()], ids=["mask", "nonzero"])
def test_data_dependent_shapes_raise(f: Any, device: str) -> None:
    with pytest.raises(CompileError, match="shape depends on tensor values"):
        ember.compile(f)(ember.tensor([1.0, -2.0, 3.0], device=device))


def test_changed_shapes_recapture(device: str) -> None:
    w = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    g = ember.compile(lambda x: (x @ w).relu().sum(1))
    rng = np.random.default_rng(0)
    for n in (5, 5, 7, 7, 5):
        xs = rng.standard_normal((n, 3)).astype(np.float32)
        _same(g(ember.tensor(xs, device=device)).numpy(), np.maximum(xs @ w.numpy(), 0).sum(1), device)
    assert g.captures == 2 and g.replays == 3


def test_outputs_are_fresh(device: str) -> None:
    """tinygrad's reused output buffers: a later call must not overwrite what the caller kept."""
    g = ember.compile(lambda x: (x + 1, x * 2))
    outs = [g(ember.tensor([float(i)], device=device)) for i in range(4)]
    for i, (a, b) in enumerate(outs):
        assert a.numpy().tolist() == [i + 1.0] and b.numpy().tolist() == [2.0 * i]
    assert g.replays == 3


def test_aliasing_outputs(device: str) -> None:
    """A returned view of an argument, and the argument itself, come back as in eager mode."""
    g = ember.compile(lambda x: (x, x[1:], x.add_(1)))
    for _ in range(3):
        x = ember.tensor([1.0, 2.0, 3.0], device=device)
        same, view, inplace = g(x)
        assert same is x and inplace is x
        assert x.numpy().tolist() == [2.0, 3.0, 4.0] and view.numpy().tolist() == [3.0, 4.0]
    assert g.replays == 2


def test_random_numbers_advance_per_replay(device: str) -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        return x + ember.rand(4, device=device)

    g = ember.compile(f)
    x = ember.zeros(4, device=device)
    ember.manual_seed(3)
    eager = [f(x).numpy().copy() for _ in range(4)]
    ember.manual_seed(3)
    compiled = [g(x).numpy().copy() for _ in range(4)]
    assert g.replays == 3
    for a, b in zip(eager, compiled):
        _same(a, b, device)
    assert not np.array_equal(compiled[1], compiled[2])


def test_dropout_masks_change_per_step(device: str) -> None:
    drop = nn.Dropout(0.5)
    g = ember.compile(lambda x: drop(x))
    x = ember.ones(64, device=device)
    ember.manual_seed(5)
    eager = [drop(x).numpy().copy() for _ in range(3)]
    ember.manual_seed(5)
    masks = [g(x).numpy().copy() for _ in range(3)]
    assert g.replays == 2
    assert not np.array_equal(masks[1], masks[2])
    for a, b in zip(eager, masks):
        _same(a, b, device)


def test_guards_recapture_on_mode_and_flags(device: str) -> None:
    """The training flag, grad mode, dtype and requires_grad each pick another capture, never a wrong one."""
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)).to(device)
    g = ember.compile(lambda x: model(x))
    x = ember.ones(2, 4, device=device)
    with ember.no_grad():
        model.eval()
        expect = model(x).numpy().copy()
        assert np.array_equal(g(x).numpy(), expect) and np.array_equal(g(x).numpy(), expect)
        model.train()
        assert (g(x).numpy() == 0).any()  # dropout now
        model.eval()
        assert np.array_equal(g(x).numpy(), expect)
    out = g(x)  # grad mode on: another capture
    assert g.captures == 3
    _same(out.detach().numpy(), expect, device)


def test_repeated_recaptures_warn_naming_the_guard(device: str) -> None:
    g = ember.compile(lambda x: x + 1, warn_after=2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for n in range(1, 5):
            g(ember.ones(n, device=device))
    msgs = [str(m.message) for m in w if issubclass(m.category, RecompileWarning)]
    assert msgs and "arguments" in msgs[-1]
    assert len(g.programs) <= g.max_captures


def test_unsupported_argument_is_refused(device: str) -> None:
    with pytest.raises(TypeError, match="ndarray"):
        ember.compile(lambda a: ember.tensor(a))(np.ones(3))


def test_reused_buffers_never_clobber_what_the_caller_holds(device: str) -> None:
    """Intermediates write into buffers that the program owns (NumPy: ``out=``); returned tensors, views
    of intermediates and in-place updated arguments are never such buffers."""

    def f(x: ember.Tensor, acc: ember.Tensor) -> tuple[ember.Tensor, ...]:
        h = (x * 2.0 + 1.0).exp()  # intermediates: reusable buffers
        y = h.sqrt() - x
        acc.mul_(0.5)  # mul then copy_: written straight into acc
        acc.add_(y)
        return y, (h + 0.0)[1:], h.neg().reshape(2, 2)

    g = ember.compile(f)
    acc, acc_ref = ember.zeros(4, device=device), np.zeros(4, np.float32)
    held = []
    for i in range(5):
        xn = np.arange(4, dtype=np.float32) / (i + 1)
        held.append((xn, g(ember.tensor(xn, device=device), acc)))
        h = np.exp(xn * np.float32(2.0) + np.float32(1.0))
        acc_ref = acc_ref * np.float32(0.5) + (np.sqrt(h) - xn)
        _same(acc.numpy(), acc_ref, device)
    assert g.replays == 4
    for xn, (y, tail, neg) in held:  # every earlier call's outputs still hold their own values
        h = np.exp(xn * np.float32(2.0) + np.float32(1.0))
        np.testing.assert_allclose(y.numpy(), np.sqrt(h) - xn, rtol=1e-6)
        np.testing.assert_allclose(tail.numpy(), h[1:], rtol=1e-6)
        np.testing.assert_allclose(neg.numpy(), -h.reshape(2, 2), rtol=1e-6)
    if device == "cpu":  # the NumPy replay did use out= (else this test would not test it)
        assert re.search(r"= _o\d+\([^()]*, _o\d+\)$", g.programs[0].source, re.M)  # a ufunc, out= a buffer


def test_replays_bump_version_counters(device: str) -> None:
    """In-place updates in a replay advance the tensors' version counters as the eager call does."""
    ember.manual_seed(0)
    model = nn.Linear(3, 2).to(device)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    step = _training_step(model, opt, lambda out: out.sum())
    g = ember.compile(step)
    x = ember.ones(4, 3, device=device)
    counts = []
    for _ in range(4):
        g(x)
        counts.append([p._version_value for p in model.parameters()])
    step(x)  # an eager step advances them by the same amount as a replay
    eager = [p._version_value for p in model.parameters()]
    assert g.replays == 2
    assert all(b - a > 0 for a, b in zip(counts[2], counts[3]))
    assert [b - a for a, b in zip(counts[2], counts[3])] == [e - b for b, e in zip(counts[3], eager)]


def test_places_changed_between_calls(device: str) -> None:
    """A parameter whose data or .grad the caller replaces between calls is read from where it is now."""
    lin = nn.Linear(2, 1, bias=False).to(device)
    g = ember.compile(lambda x: lin(x))
    x = ember.ones(1, 2, device=device)
    for _ in range(3):
        g(x)
    with ember.no_grad():
        lin.weight.copy_(ember.tensor([[1.0, 2.0]], device=device))
    assert g(x).detach().numpy().tolist() == [[3.0]]
    lin.weight.data = ember.tensor([[5.0, 1.0]], device=device)  # a new array, same signature
    assert g(x).detach().numpy().tolist() == [[6.0]]
    lin.weight = nn.Parameter(ember.tensor([[0.5, 0.5]], device=device))  # a new parameter: recaptured
    assert g(x).detach().numpy().tolist() == [[1.0]]
    assert g.captures == 2 and g.replays == 4


def test_fresh_leaf_arguments_get_their_own_grad_in_a_replay(device: str) -> None:
    """A step that differentiates its fresh inputs (a new leaf per call) replays, and each call's
    argument gets its own .grad, as eagerly; a leaf passed again accumulates into its .grad."""
    w = ember.tensor([1.0, -2.0, 3.0], device=device)

    def step(x: Any) -> Any:
        (x * x * w).sum().backward()
        return x.grad

    g = ember.compile(step)
    for k in range(4):
        x = ember.tensor([float(k), 1.0, -1.0], device=device, requires_grad=True)
        got = g(x)
        assert got is x.grad
        np.testing.assert_allclose(got.numpy(), 2 * x.detach().numpy() * w.numpy(), rtol=1e-6)
    assert g.captures == 1 and g.replays == 3
    x = ember.ones(3, device=device, requires_grad=True)
    g(x)
    np.testing.assert_allclose(g(x).numpy(), 4 * w.numpy(), rtol=1e-6)  # accumulated, as eager


def _fuses(device: str) -> bool:
    """Whether the device's backend fuses elementwise kernels in a replay (ember.fusion's hooks)."""
    from ember.compiler import _fuser

    return _fuser(ember.device(device).type) is not None


def test_fused_elementwise_chains_match_eager(device: str) -> None:
    """Chains of elementwise kernels (broadcasting, numbers, traced floats, bool intermediates,
    where, in-place updates) give the eager numbers; where the backend fuses them, fewer kernels run."""

    def f(x: ember.Tensor, b: ember.Tensor, acc: ember.Tensor, lr: float) -> tuple[ember.Tensor, ember.Tensor]:
        h = (x * 1.5 + b).exp() - 1.0  # b broadcasts along rows
        mask = h > 0.5
        g = ember.where(mask, h, 0.0) / (h.abs() + 2.0) + mask.to(ember.float32) * 0.25  # a cast too
        acc.mul_(0.9)
        acc.add_(g)
        acc.sub_(acc * lr)
        return g.neg(), ember.maximum(h, g)

    rng = np.random.default_rng(0)
    g_ = ember.compile(f)
    outs = {}
    for compiled in (False, True):
        run = g_ if compiled else f
        acc = ember.zeros(3, 4, device=device)
        res = []
        for i in range(4):
            x = ember.tensor(rng.standard_normal((3, 4)).astype(np.float32), device=device)
            b = ember.tensor(rng.standard_normal(4).astype(np.float32), device=device)
            res.append([t.numpy().copy() for t in run(x, b, acc, 0.1 / (i + 1))] + [acc.numpy().copy()])
        outs[compiled] = res
        rng = np.random.default_rng(0)
    assert g_.replays == 3
    for a, b in zip(outs[False], outs[True]):
        for u, v in zip(a, b):
            _same(u, v, device)
    if _fuses(device):  # one kernel for all fourteen: nothing else is left to call
        prog = g_.programs[0]
        assert prog.fused == 1 and not re.search(r"\bk\d+\(", prog.source)


def test_fused_chains_over_strided_and_broadcast_layouts(device: str) -> None:
    """A fused chain over a 3-d shape whose work-items start mid-row (210 elements), with a
    transposed input, a broadcast (6, 1) input and a sliced one, gives NumPy's numbers."""

    def f(x: ember.Tensor, t: ember.Tensor, b: ember.Tensor, s: ember.Tensor) -> ember.Tensor:
        return ((x + b) * 2.0 - t.transpose(0, 2)).relu() + s[:, :, ::2]

    rng = np.random.default_rng(0)
    xn, tn = rng.standard_normal((5, 6, 7)).astype(np.float32), rng.standard_normal((7, 6, 5)).astype(np.float32)
    bn, sn = rng.standard_normal((6, 1)).astype(np.float32), rng.standard_normal((5, 6, 14)).astype(np.float32)
    args = [ember.tensor(a, device=device) for a in (xn, tn, bn, sn)]
    g = ember.compile(f)
    outs = [g(*args).numpy() for _ in range(3)]
    want = np.maximum((xn + bn) * np.float32(2.0) - tn.transpose(2, 1, 0), 0) + sn[:, :, ::2]
    assert g.replays == 2
    for out in outs:
        _same(out, want, device)
    if _fuses(device):
        assert g.programs[0].fused == 1


def test_kernels_called_directly_match_eager(device: str) -> None:
    """matmul (2-d, and 1-d giving 0-d), linear, relu, transposes and reductions (partial, keepdim,
    full) give eager's bits in a replay; on NumPy the replay calls NumPy for them (no kernel wrapper)."""
    lin = nn.Linear(5, 3).to(device)

    def f(x: ember.Tensor, w: ember.Tensor, v: ember.Tensor) -> tuple[ember.Tensor, ...]:
        a = (x @ w).relu()
        h = lin(a.t() @ x)
        return h.sum(0), a.amax(1, keepdim=True), a.sum(), (v @ v) * 2.0, h.t() + 1.0, a.permute(1, 0).sum(1)

    rng = np.random.default_rng(0)
    g = ember.compile(f)
    for _ in range(3):
        args = [ember.tensor(rng.standard_normal(s).astype(np.float32), device=device) for s in ((4, 5), (5, 5), (7,))]
        with ember.no_grad():
            want = f(*args)
            got = g(*args)
        for u, v in zip(want, got):
            assert u.shape == v.shape and type(v.numpy()) is np.ndarray
            _same(u.numpy(), v.numpy(), device)
    assert g.replays == 2
    if device == "cpu":
        src = g.programs[0].source
        # only the 0-d results (v @ v, then * 2.0) still go through kernels: NumPy gives those as scalars
        assert ".T" in src and ".reduce(" in src and len(re.findall(r"\bk\d+\(", src)) == 2


def test_fused_in_place_updates_with_overlapping_inputs(device: str) -> None:
    """A fused kernel that writes in place falls back to the one-op kernels when another input
    shares that memory at this call (a view of the same array), so the numbers are eager's."""

    def f(a: ember.Tensor, b: ember.Tensor) -> ember.Tensor:
        a.mul_(2.0)
        a.add_(b)
        return a * 1.0

    g = ember.compile(f)
    for _ in range(2):
        g(ember.ones(4, device=device), ember.ones(4, device=device))
    a = ember.tensor([1.0, 2.0, 3.0, 4.0], device=device)
    out = g(a, a.view(4))  # b is a's memory: a.mul_ doubles b too, as in eager mode
    assert g.replays == 2
    assert out.numpy().tolist() == [4.0, 8.0, 12.0, 16.0] and a.numpy().tolist() == [4.0, 8.0, 12.0, 16.0]


def test_cross_entropy_with_ignored_targets(device: str) -> None:
    """Targets holding ignore_index take cross_entropy's second path, whose range check a replay repeats."""
    lin = nn.Linear(4, 3).to(device)
    f = lambda x, y: nn.functional.cross_entropy(lin(x), y)  # noqa: E731
    g = ember.compile(f)
    x = ember.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32), device=device)
    for labels in ([0, -100, 2, 1, -100], [2, 2, -100, 0, 1], [-100, 1, 1, 0, 2]):
        y = ember.tensor(labels, device=device)
        _same(g(x, y).detach().numpy(), f(x, y).detach().numpy(), device)
    assert g.replays == 2
    with pytest.raises(CompileError, match="every target is a class index"):
        g(x, ember.tensor([0, 3, -100, 1, 1], device=device))  # 3 is out of range
        ember.synchronize(device)  # (a device's replay reads its checks after it: they raise by a sync)
    with pytest.raises(IndexError, match="target 3 is out of bounds"):
        f(x, ember.tensor([0, 3, -100, 1, 1], device=device))


@pytest.mark.parametrize("batch", [6, 20])
def test_loss_and_relu_gradient_forms_match_eager(batch: int, device: str) -> None:
    """Cross-entropy, its gradient and ReLU's where(h > 0, g, 0) replay on NumPy as their NumPy calls
    into the program's buffers (`ember.replay_forms`); eager's bits, with finite logits and with rows
    whose maximum is +inf, -inf or nan (the kernel's own path), and batches on both sides of its
    transposed row maximum (16 rows)."""
    ember.manual_seed(0)
    lin1, lin2 = nn.Linear(6, 7).to(device), nn.Linear(7, 5).to(device)

    def f(x: ember.Tensor, y: ember.Tensor, b: ember.Tensor) -> tuple[ember.Tensor, ...]:
        lin1.zero_grad()
        lin2.zero_grad()
        loss = nn.functional.cross_entropy(lin2(lin1(x).relu()) + b, y)
        loss.backward()
        return loss, lin1.weight.grad, lin2.bias.grad

    g = ember.compile(f)
    rng = np.random.default_rng(0)
    for k in range(6):
        x = ember.tensor(rng.standard_normal((batch, 6)).astype(np.float32), device=device)
        yn = rng.integers(0, 5, batch)
        bn = np.zeros((batch, 5), np.float32)
        if k == 3:  # a +inf logit that is not the target: eager's loss is +inf, not nan
            bn[0, 1], yn[0] = np.inf, 0
        elif k == 4:
            bn[1] = -np.inf
        elif k == 5:
            bn[2, 3] = np.nan
        y, b = ember.tensor(yn, device=device), ember.tensor(bn, device=device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # (inf - inf in the gradients, eager's too)
            want, got = f(x, y, b), g(x, y, b)
        for u, v in zip(want, got):
            _same(u.detach().numpy(), v.detach().numpy(), device)
    assert g.replays == 5
    if device == "cpu":
        ns = g.programs[0]._ns
        used = {v.__name__ for k, v in ns.items() if getattr(v, "__module__", "") == "ember.replay_forms" and k in g.programs[0].source}
        assert used == {"softmax_cross_entropy", "softmax_cross_entropy_grad", "where"}


def test_relu_gradient_that_the_caller_keeps_is_its_own(device: str) -> None:
    """ReLU's gradient returned to the caller (a leaf's .grad) is never a buffer that the next replay overwrites."""
    lin = nn.Linear(4, 3).to(device)
    h = ember.zeros(5, 4, device=device, requires_grad=True)

    def f(y: ember.Tensor) -> ember.Tensor:
        lin.zero_grad()
        h.grad = None
        nn.functional.cross_entropy(lin(h.relu()), y).backward()
        return h.grad

    g = ember.compile(f)
    rng = np.random.default_rng(0)
    held = []
    for _ in range(4):
        with ember.no_grad():
            h.copy_(ember.tensor(rng.standard_normal((5, 4)).astype(np.float32), device=device))
        y = ember.tensor(rng.integers(0, 3, 5), device=device)
        held.append((f(y).numpy().copy(), g(y)))
    assert g.replays == 3
    for want, got in held:
        _same(want, got.numpy(), device)


def test_index_out_of_range_in_a_replay_raises(device: str) -> None:
    """An index out of range in a replayed gather raises IndexError naming it, as eager does (on a
    device whose kernels flag it, the flags are read after the replay: by the next sync at the latest)."""
    f = lambda x, i: x.gather(1, i) * 2.0  # noqa: E731
    g = ember.compile(f)
    x = ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    for _ in range(3):
        out = g(x, ember.tensor([[0], [3], [1]], device=device))
    np.testing.assert_array_equal(out.numpy(), [[0.0], [14.0], [18.0]])
    assert g.replays == 2
    with pytest.raises(IndexError, match="gather: index 4 is out of range"):
        f(x, ember.tensor([[0], [4], [1]], device=device))
    with pytest.raises(IndexError, match="gather: index 4 is out of range"):
        g(x, ember.tensor([[0], [4], [1]], device=device))
        ember.synchronize(device)  # (a device's replay reads its checks after it: they raise by a sync)


def test_constant_kernels_are_folded_but_never_shared(device: str) -> None:
    """Kernels that read no array (``full``, then arithmetic on it) run once, at the capture; a
    tensor made inside that is written in place or returned is still made at every call."""

    def f(x: ember.Tensor) -> tuple[ember.Tensor, ember.Tensor, ember.Tensor]:
        c = ember.full((3,), 2.0, device=device) * 3.0  # the same at every call
        z = ember.zeros(3, device=device)
        z.add_(x)  # written in place: made at every call
        return x * c, z * 1.0, ember.ones(3, device=device)  # returned: fresh at every call

    g = ember.compile(f)
    outs = [g(ember.tensor([float(i), 1.0, 2.0], device=device)) for i in range(4)]
    for i, (a, z, o) in enumerate(outs):
        assert a.numpy().tolist() == [6.0 * i, 6.0, 12.0] and z.numpy().tolist() == [float(i), 1.0, 2.0]
        assert o.numpy().tolist() == [1.0, 1.0, 1.0]
    assert g.replays == 3 and g.programs[0].folded == 2
    outs[2][2].add_(5.0)  # what one call returned is its own
    assert outs[3][2].numpy().tolist() == [1.0, 1.0, 1.0]


def test_module_number_attributes_are_guarded(device: str) -> None:
    """A module's numbers (NumPy scalars and nan too) are read at each call: the same ones replay,
    a changed one captures again (and is used), never a silently frozen constant."""
    lin = nn.Linear(2, 1, bias=False).to(device)
    with ember.no_grad():
        lin.weight.copy_(ember.tensor([[1.0, 1.0]], device=device))
    lin.scale = np.float32(2.0)
    lin.unused = float("nan")
    g = ember.compile(lambda x: lin(x) * float(lin.scale))
    x = ember.ones(1, 2, device=device)
    assert [g(x).detach().numpy().tolist() for _ in range(3)] == [[[4.0]]] * 3
    assert g.captures == 1 and g.replays == 2
    lin.scale = np.float32(3.0)
    assert g(x).detach().numpy().tolist() == [[6.0]] and g.captures == 2


def test_host_reads_replayed_with_the_opt_in(device: str) -> None:
    """host_reads="replay": a step may return ``loss.item()`` (read again by each replay, at that point),
    compute with it, and branch on it; a branch that would go the other way raises CompileError."""
    ember.manual_seed(0)
    model = nn.Linear(3, 1).to(device)
    opt = ember.optim.SGD(model.parameters(), lr=0.05)

    def step(x: ember.Tensor, y: ember.Tensor) -> tuple[float, ember.Tensor]:
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        value = loss.item()
        scaled = x.sum() * value  # the read number reaches a kernel
        if value > 1e6:  # a branch on the value: guarded
            scaled = scaled * 0.0
        return value * 2.0, scaled

    with pytest.raises(CompileError, match="item"):
        ember.compile(step)(ember.ones(4, 3, device=device), ember.ones(4, 1, device=device))
    g = ember.compile(step, host_reads="replay")
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = ember.tensor(rng.standard_normal((4, 3)).astype(np.float32), device=device)
        y = ember.tensor(rng.standard_normal((4, 1)).astype(np.float32), device=device)
        before = [p.detach().numpy().copy() for p in model.parameters()]
        twice, scaled = g(x, y)
        loss = float(((x.numpy() @ before[0].T + before[1] - y.numpy()) ** 2).mean())
        assert type(twice) is float
        np.testing.assert_allclose(twice, 2 * loss, rtol=1e-5)
        np.testing.assert_allclose(scaled.numpy(), x.numpy().sum() * twice / 2, rtol=1e-5)
    assert g.replays >= 2
    with pytest.raises(CompileError, match="changed what the function does"):
        g(ember.ones(4, 3, device=device) * 1e4, ember.zeros(4, 1, device=device))


def _reads_checks_later(device: str) -> bool:
    from ember.backends import registry

    return registry.get(ember.device(device).type).defines("read_async")


@pytest.mark.parametrize("bad", [3, -1, 10**12])
def test_device_replays_read_their_checks_after_returning(bad: int, device: str) -> None:
    """On a device that reads without waiting, a replay with a target out of range returns (no wait for
    the device, no read outside the logits) and its check raises at the next sync, naming it; the
    compiled call after the next one raises too. On the host the replay raises at once."""
    lin = nn.Linear(4, 3).to(device)
    f = lambda x, y: nn.functional.cross_entropy(lin(x), y)  # noqa: E731
    g = ember.compile(f)
    x = ember.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32), device=device)
    good = ember.tensor([0, 1, 2, 1, 0], device=device)
    for _ in range(3):
        g(x, good)
    bad_y = ember.tensor([0, bad, 2, 1, 0], device=device)
    if not _reads_checks_later(device):
        with pytest.raises(CompileError, match="every target is a class index"):
            g(x, bad_y)
        return
    g(x, bad_y)  # returns: the check is read later
    with pytest.raises(CompileError, match=r"every target is a class index in \[0, 2\]"):
        ember.synchronize(device)
    ember.synchronize(device)  # reported once
    g(x, bad_y)
    g(x, good)  # one replay stays in flight: the bad one is read at the call after
    with pytest.raises(CompileError, match="every target is a class index"):
        g(x, good)
    g(x, bad_y)
    with pytest.raises(CompileError, match="every target is a class index"):
        g(x, good).item()  # a read of tensor values reads the checks first
    _same(g(x, good).detach().numpy(), f(x, good).detach().numpy(), device)
