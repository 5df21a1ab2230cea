"""`ember.nn.init` formulas and PyTorch's default initialisation of each layer; `ember.nn.utils`."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init
from ember.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters


def within(t, bound):
    a = t.detach().numpy()
    return np.abs(a).max() <= bound + 1e-7 and np.abs(a).max() > 0.5 * bound


def test_initialisers(device) -> None:
    ember.manual_seed(0)
    w = ember.empty(300, 200, device=device)
    assert init.calculate_gain("relu") == math.sqrt(2) and init.calculate_gain("tanh") == 5 / 3
    assert math.isclose(init.calculate_gain("leaky_relu", 0.2), math.sqrt(2 / 1.04))
    init.xavier_uniform_(w)
    assert within(w, math.sqrt(6 / 500))
    init.xavier_normal_(w, gain=2.0)
    assert abs(w.numpy().std() - 2 * math.sqrt(2 / 500)) < 0.01
    init.kaiming_uniform_(w, nonlinearity="relu")
    assert within(w, math.sqrt(2) * math.sqrt(3 / 200))
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 300)) < 0.005
    init.uniform_(w, -2, 3)
    assert w.numpy().min() >= -2 and w.numpy().max() < 3
    init.normal_(w, 1.0, 0.5)
    assert abs(w.numpy().mean() - 1) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    init.trunc_normal_(w, std=1.0, a=-1.0, b=1.0)
    assert np.abs(w.numpy()).max() <= 1
    init.constant_(w, 0.3)
    assert (w.numpy() == np.float32(0.3)).all()
    init.zeros_(w), init.ones_(w[0])
    assert w.numpy().sum() == 200
    q = ember.empty(4, 6, device=device)
    init.orthogonal_(q, gain=2.0)
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, 4 * np.eye(4), atol=1e-5)
    p = nn.Parameter(ember.empty(3, 3, device=device))
    init.eye_(p)
    assert p.requires_grad and p.grad_fn is None and (p.detach().numpy() == np.eye(3)).all()
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(3))


def test_dirac_passes_channels_through_a_convolution(device) -> None:
    ember.manual_seed(0)
    x = ember.randn(2, 3, 5, 6, device=device)
    w = nn.Parameter(ember.randn(4, 3, 3, 3, device=device))  # more out channels than in: the 4th stays zero
    assert init.dirac_(w) is w and w.requires_grad and w.grad_fn is None
    y = nn.functional.conv2d(x, w, padding=1).detach().numpy()
    np.testing.assert_allclose(y[:, :3], x.numpy(), rtol=1e-6)
    assert (y[:, 3] == 0).all() and w.detach().numpy().sum() == 3
    w1 = ember.empty(6, 2, 4, device=device)  # 1-D, even kernel (centre 4 // 2), two groups of 3 out channels
    init.dirac_(w1, groups=2)
    want = np.zeros((6, 2, 4))
    for out, inp in ((0, 0), (1, 1), (3, 0), (4, 1)):
        want[out, inp, 2] = 1
    np.testing.assert_array_equal(w1.numpy(), want)
    w3 = ember.full((2, 2, 3, 1, 2), 7.0, device=device)
    init.dirac_(w3)
    assert w3.numpy()[0, 0, 1, 0, 1] == 1 and w3.numpy()[1, 1, 1, 0, 1] == 1 and w3.numpy().sum() == 2
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions.*\\(3, 3\\)"):
        init.dirac_(ember.empty(3, 3, device=device))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(ember.empty(5, 2, 3, device=device), groups=2)


def test_sparse_zeroes_a_fraction_of_each_column(device) -> None:
    ember.manual_seed(0)
    w = nn.Parameter(ember.empty(200, 50, device=device))
    assert init.sparse_(w, sparsity=0.3, std=0.5) is w and w.grad_fn is None
    a = w.detach().numpy()
    assert ((a == 0).sum(axis=0) == 60).all()  # ceil(0.3 * 200) zeros in every column
    assert abs(a[a != 0].std() - 0.5) < 0.02 and abs(a[a != 0].mean()) < 0.02
    rows_zeroed = (a == 0).sum(axis=1)
    assert rows_zeroed.min() < rows_zeroed.max()  # a different random subset per column
    small = ember.empty(3, 4, device=device)
    init.sparse_(small, sparsity=0.5)  # ceil(1.5) = 2 zeros a column; std defaults to 0.01
    s = small.numpy()
    assert ((s == 0).sum(axis=0) == 2).all() and np.abs(s).max() < 0.1
    with pytest.raises(ValueError, match="2 dimensions.*\\(3,\\)"):
        init.sparse_(ember.empty(3, device=device), 0.5)


def test_default_initialisation_like_pytorch(device) -> None:
    ember.manual_seed(1)
    lin = nn.Linear(400, 30)
    assert within(lin.weight, 1 / math.sqrt(400)) and within(lin.bias, 1 / math.sqrt(400))
    conv = nn.Conv2d(6, 8, 3, groups=2)
    fan_in = 3 * 9
    assert within(conv.weight, 1 / math.sqrt(fan_in)) and np.abs(conv.bias.detach().numpy()).max() <= 1 / math.sqrt(
        fan_in
    )
    rnn = nn.LSTM(5, 50)
    assert all(np.abs(p.detach().numpy()).max() <= 1 / math.sqrt(50) for p in rnn.parameters())
    emb = nn.Embedding(500, 40)
    assert abs(emb.weight.detach().numpy().std() - 1) < 0.05
    bn = nn.BatchNorm2d(3)
    assert (bn.weight.detach().numpy() == 1).all() and (bn.bias.detach().numpy() == 0).all()
    mha = nn.MultiheadAttention(8, 2)
    assert (mha.in_proj_bias.detach().numpy() == 0).all() and (mha.out_proj.bias.detach().numpy() == 0).all()
    assert within(mha.in_proj_weight, math.sqrt(6 / (8 + 24)))


def test_clip_grad_norm_and_value(device) -> None:
    a = nn.Parameter(ember.zeros(3, device=device))
    b = nn.Parameter(ember.zeros(2, device=device))
    a.grad = ember.tensor([3.0, 0.0, 0.0], device=device)
    b.grad = ember.tensor([0.0, 4.0], device=device)
    total = clip_grad_norm_([a, b], 1.0)
    assert math.isclose(total.item(), 5.0, rel_tol=1e-6)
    np.testing.assert_allclose(np.concatenate([a.grad.numpy(), b.grad.numpy()]), [0.6, 0, 0, 0, 0.8], rtol=1e-5)
    total = clip_grad_norm_([a, b], 10.0)  # already within: unchanged
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0, 0], rtol=1e-5)
    a.grad = ember.tensor([-3.0, 1.0, 0.0], device=device)
    assert clip_grad_norm_(a, 1.0, norm_type=math.inf).item() == 3.0
    np.testing.assert_allclose(a.grad.numpy(), [-1.0, 1 / 3, 0], rtol=1e-5)
    a.grad = ember.tensor([float("nan"), 1.0, 0.0], device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(a, 1.0, error_if_nonfinite=True)
    b.grad = ember.tensor([-5.0, 0.25], device=device)
    clip_grad_value_(b, 0.5)
    np.testing.assert_array_equal(b.grad.numpy(), [-0.5, 0.25])


def test_parameters_to_vector_and_back(device) -> None:
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)).to(device)
    v = parameters_to_vector(m.parameters())
    assert v.shape == (11,)
    vector_to_parameters(ember.arange(11.0, device=device), m.parameters())
    np.testing.assert_array_equal(m[0].weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m[1].bias.detach().numpy(), [10.0])
    with pytest.raises(ValueError, match="11"):
        vector_to_parameters(ember.zeros(3, device=device), m.parameters())


def test_initialiser_argument_errors() -> None:
    """PyTorch 2.13 raises RuntimeError for an empty range and a negative std (trunc_normal_ through the
    uniform_ of its inverse-CDF sampler)."""
    w = ember.empty(3, 4)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=3 > to=2"):
        init.uniform_(w, 3, 2)
    with pytest.raises(RuntimeError, match="normal_ expects std >= 0.0, but found std -1"):
        init.normal_(w, 0.0, -1)
    with pytest.raises(RuntimeError, match="found from=2 > to=-2"):
        init.trunc_normal_(w, a=2, b=-2)
    init.uniform_(w, 2, 2)  # an empty range [2, 2) is allowed: every value is 2
    assert (w.numpy() == 2).all()


def _truncnorm_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and standard deviation of N(mean, std**2) truncated to [a, b] (closed form)."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    al, be = (a - mean) / std, (b - mean) / std
    z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / z
    var = std**2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    return m, math.sqrt(var)


def test_initialiser_distributions_and_generators(device) -> None:
    """Sample moments against the formulas (200k samples: the tolerances are > 5 standard errors), conv
    fans (fan_in = in * kernel, fan_out = out * kernel), and generator= giving repeatable draws."""
    ember.manual_seed(1)
    t = init.trunc_normal_(ember.empty(200_000, device=device), mean=1.0, std=0.5, a=0.0, b=1.5).numpy()
    m, s = _truncnorm_moments(1.0, 0.5, 0.0, 1.5)
    assert t.min() >= 0.0 and t.max() <= 1.5
    assert abs(t.mean() - m) < 0.005 and abs(t.std() - s) < 0.005
    t = init.trunc_normal_(ember.empty(200_000, device=device)).numpy()  # defaults: N(0, 1) cut at +-2
    assert abs(t.std() - _truncnorm_moments(0.0, 1.0, -2.0, 2.0)[1]) < 0.005  # 0.8796
    w = init.kaiming_uniform_(ember.empty(64, 32, 5, 5, device=device), a=math.sqrt(5)).numpy()
    bound = math.sqrt(6 / (1 + 5)) / math.sqrt(32 * 25)  # gain(leaky_relu, sqrt 5) * sqrt(3 / fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    w = init.kaiming_normal_(ember.empty(64, 32, 5, 5, device=device), mode="fan_out", nonlinearity="selu").numpy()
    assert abs(w.std() / (0.75 / math.sqrt(64 * 25)) - 1) < 0.02
    w = init.xavier_normal_(ember.empty(64, 32, 5, 5, device=device), gain=init.calculate_gain("tanh")).numpy()
    assert abs(w.std() / (5 / 3 * math.sqrt(2 / (96 * 25))) - 1) < 0.02
    gen = ember.Generator(device=device) if device != "cpu" else ember.Generator()
    fns = [init.uniform_, init.normal_, init.trunc_normal_, init.xavier_uniform_, init.xavier_normal_,
           init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_]  # fmt: skip
    for fn in fns:
        a = fn(ember.empty(6, 4, device=device), generator=gen.manual_seed(5)).numpy().copy()
        b = fn(ember.empty(6, 4, device=device), generator=gen.manual_seed(5)).numpy()
        c = fn(ember.empty(6, 4, device=device), generator=gen.manual_seed(6)).numpy()
        assert (a == b).all() and not (a == c).all(), fn.__name__
    a = init.sparse_(ember.empty(6, 4, device=device), 0.5, generator=gen.manual_seed(5)).numpy().copy()
    assert (a == init.sparse_(ember.empty(6, 4, device=device), 0.5, generator=gen.manual_seed(5)).numpy()).all()
