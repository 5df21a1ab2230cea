"""The creation and random functions, and the shape-changing methods, that do not fit the op table.

Creation functions take no tensor (`asarray`, `frombuffer`, `logspace`, `tril_indices`); random
samples are checked by their distribution and by the seed (same seed, same numbers on every
backend: the kit's test_random compares them with the host reference); in-place view methods
(`t_`, `squeeze_`, ...) change the tensor itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

# -- creation ----------------------------------------------------------------------------------


def test_asarray_shares_or_copies(device: str) -> None:
    x = ember.arange(4, device=device)
    assert ember.asarray(x) is x
    assert ember.asarray(x, dtype=ember.float32).dtype is ember.float32
    c = ember.asarray(x, copy=True)
    c.add_(1)
    np.testing.assert_array_equal(x.numpy(), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="asarray: copy=False"):
        ember.asarray(x, dtype=ember.float64, copy=False)
    a = ember.asarray([[1, 2], [3, 4]], dtype=ember.float64, device=device)
    assert a.dtype is ember.float64 and a.shape == (2, 2) and a.device == ember.device(device)
    host = np.arange(3.0)
    shared = ember.asarray(host)
    host[0] = 7.0
    assert shared.numpy()[0] == 7.0  # a host array on "cpu" is shared, as PyTorch shares it
    assert ember.asarray(2.5).shape == () and ember.asarray(True).dtype is ember.bool
    assert ember.asarray([1.0], requires_grad=True).requires_grad


def test_frombuffer() -> None:
    buf = bytearray(np.arange(6, dtype=np.int16).tobytes())
    t = ember.frombuffer(buf, dtype=ember.int16)
    np.testing.assert_array_equal(t.numpy(), np.arange(6))
    np.testing.assert_array_equal(ember.frombuffer(buf, dtype=ember.int16, count=2, offset=4).numpy(), [2, 3])
    assert ember.frombuffer(buf, dtype=ember.int32).tolist() == np.frombuffer(bytes(buf), np.int32).tolist()
    with pytest.raises(ValueError, match="frombuffer"):
        ember.frombuffer(bytearray(3), dtype=ember.int16)
    with pytest.raises(ValueError, match="frombuffer"):
        ember.frombuffer(buf, dtype=ember.int16, count=7)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0, 2, 3), {}),
        ((-1.0, 2.0, 7), {"base": 2.0}),
        ((0, 3, 4), {"dtype": "int64"}),
        ((1, 1, 1), {}),
        ((0, 1, 0), {}),
    ],
)
def test_logspace(args: tuple[Any, ...], kwargs: dict[str, Any], device: str) -> None:
    kw = dict(kwargs)
    if "dtype" in kw:
        kw["dtype"] = getattr(ember, kw["dtype"])
    out = ember.logspace(*args, **kw, device=device)
    want = np.logspace(*args, base=kwargs.get("base", 10.0))
    if "dtype" in kwargs:
        want = np.round(want).astype(np.int64)
    assert out.dtype is kw.get("dtype", ember.float32)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)
    np.testing.assert_allclose(ember.logspace(-1, 2, 4, base=-2).numpy(), [-0.5, 1.0, -2.0, 4.0])


@pytest.mark.parametrize(("row", "col", "offset"), [(3, 4, 0), (3, 4, 1), (4, 3, -2), (0, 3, 0), (3, 2, 5), (3, 3, -5)])
def test_tril_triu_indices(row: int, col: int, offset: int, device: str) -> None:
    lo = ember.tril_indices(row, col, offset, device=device)
    up = ember.triu_indices(row, col, offset, device=device)
    np.testing.assert_array_equal(lo.numpy(), np.stack(np.tril_indices(row, offset, col)).reshape(2, -1))
    np.testing.assert_array_equal(up.numpy(), np.stack(np.triu_indices(row, offset, col)).reshape(2, -1))
    assert lo.dtype is ember.int64 and ember.tril_indices(2, 2, dtype=ember.int32).dtype is ember.int32
    with pytest.raises(RuntimeError, match="tril_indices: dtype must be int64 or int32"):
        ember.tril_indices(2, 2, dtype=ember.float32)


# -- random ------------------------------------------------------------------------------------


def test_rng_state_round_trip() -> None:
    ember.manual_seed(11)
    state = ember.get_rng_state()
    assert state.dtype is ember.uint8 and state.shape == (16,)
    a = ember.rand(5)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.rand(5).numpy(), a.numpy())
    g = ember.Generator().manual_seed(3)
    s = g.get_state()
    b = ember.randn(4, generator=g)
    assert g.set_state(s) is g and g.initial_seed() == 3
    np.testing.assert_array_equal(ember.randn(4, generator=g).numpy(), b.numpy())
    with pytest.raises(RuntimeError, match="set_state: expected a uint8 tensor of 16 bytes"):
        g.set_state(ember.zeros(3))


def test_normal_forms(device: str) -> None:
    g = ember.Generator(device).manual_seed(0)
    a = ember.normal(ember.zeros(2, 1, device=device), ember.ones(3, device=device), generator=g)
    assert a.shape == (2, 3) and a.dtype is ember.float32
    assert ember.normal(ember.zeros(4, device=device), 2.0, generator=g).shape == (4,)
    assert ember.normal(1.0, ember.ones(2, 2, device=device), generator=g).shape == (2, 2)
    c = ember.normal(3.0, 2.0, (50_000,), generator=g, device=device).numpy()
    assert abs(c.mean() - 3.0) < 0.05 and abs(c.std() - 2.0) < 0.05
    m = ember.full((50_000,), -1.0, device=device)
    d = ember.normal(m, ember.full((50_000,), 0.5, device=device), generator=g).numpy()
    assert abs(d.mean() + 1.0) < 0.02 and abs(d.std() - 0.5) < 0.02
    with pytest.raises(TypeError, match="normal: .*size is required"):
        ember.normal(0.0, 1.0)
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        ember.normal(ember.zeros(2, device=device), -ember.ones(2, device=device))
    with pytest.raises(RuntimeError, match="normal: shapes"):
        ember.normal(ember.zeros(2, device=device), ember.ones(3, device=device))


def test_normal_and_poisson_give_parameters_a_zero_gradient(device: str) -> None:
    mean = ember.zeros(3, device=device, requires_grad=True)
    std = ember.ones(3, device=device, requires_grad=True)
    out = ember.normal(mean, std)
    assert out.requires_grad
    out.sum().backward()
    np.testing.assert_array_equal(mean.grad.numpy(), 0)
    np.testing.assert_array_equal(std.grad.numpy(), 0)
    rate = ember.full((3,), 4.0, device=device, requires_grad=True)
    ember.poisson(rate).sum().backward()
    np.testing.assert_array_equal(rate.grad.numpy(), 0)


def test_poisson(device: str) -> None:
    g = ember.Generator(device).manual_seed(1)
    rates = np.array([0.0, 0.3, 2.0, 9.5, 10.0, 40.0, 700.0], np.float32)
    n = 20_000
    out = ember.poisson(ember.tensor(np.tile(rates, (n, 1)), device=device), generator=g)
    assert out.dtype is ember.float32 and out.shape == (n, 7)
    s = out.numpy()
    assert np.all(s == np.round(s)) and s.min() >= 0 and np.all(s[:, 0] == 0)
    np.testing.assert_allclose(s.mean(0), rates, rtol=0.03, atol=0.02)
    np.testing.assert_allclose(s.var(0), rates, rtol=0.06, atol=0.02)
    with pytest.raises(RuntimeError, match="poisson: invalid Poisson rate"):
        ember.poisson(ember.tensor([-1.0], device=device))
    with pytest.raises(RuntimeError, match="poisson: expected a floating point tensor"):
        ember.poisson(ember.tensor([1], device=device))


def test_multinomial(device: str) -> None:
    g = ember.Generator(device).manual_seed(2)
    w = ember.tensor([0.1, 0.0, 0.6, 0.3], device=device)
    s = ember.multinomial(w, 100_000, True, generator=g)
    assert s.dtype is ember.int64 and s.shape == (100_000,)
    np.testing.assert_allclose(np.bincount(s.numpy(), minlength=4) / 1e5, [0.1, 0.0, 0.6, 0.3], atol=0.01)
    rows = ember.multinomial(ember.tensor([[1.0, 2.0, 0.0, 3.0]] * 500, device=device), 3, generator=g).numpy()
    assert rows.shape == (500, 3)
    assert all(len(set(r)) == 3 and 2 not in r for r in rows.tolist())
    first = np.bincount(rows[:, 0], minlength=4) / 500  # the first draw follows the weights
    np.testing.assert_allclose(first, [1 / 6, 2 / 6, 0, 3 / 6], atol=0.07)
    with pytest.raises(RuntimeError, match="multinomial: cannot sample n_sample > prob_dist.size"):
        ember.multinomial(w, 5)
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        ember.multinomial(w, 4)
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        ember.multinomial(ember.tensor([0.5, -0.1], device=device), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        ember.multinomial(ember.zeros(3, device=device), 1, True)
    with pytest.raises(RuntimeError, match="prob_dist must be 1 or 2 dim"):
        ember.multinomial(ember.ones(2, 2, 2, device=device), 1)
    assert w.multinomial(2, generator=g).shape == (2,)


def test_random_and_exponential_in_place(device: str) -> None:
    g = ember.Generator(device).manual_seed(4)
    x = ember.zeros(20_000, device=device)
    assert x.random_(3, 7, generator=g) is x
    v = x.numpy()
    assert set(np.unique(v)) == {3.0, 4.0, 5.0, 6.0}
    ints = ember.zeros(10_000, dtype=ember.int64, device=device).random_(100, generator=g).numpy()
    assert ints.min() >= 0 and ints.max() == 99
    big = ember.zeros(1000, dtype=ember.int64, device=device).random_(generator=g).numpy()
    assert big.min() >= 0 and big.max() > 2**62
    f = ember.zeros(1000, device=device).random_(generator=g).numpy()
    assert f.min() >= 0 and f.max() <= 2**24 and np.all(f == np.round(f))
    b = ember.zeros(100, dtype=ember.bool, device=device).random_(generator=g).numpy()
    assert b.any() and not b.all()
    e = ember.zeros(50_000, device=device).exponential_(4.0, generator=g).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    with pytest.raises(RuntimeError, match="random_: expects 'from' to be less than 'to'"):
        ember.zeros(2, device=device).random_(5, 5)
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0"):
        ember.zeros(2, device=device).exponential_(0.0)


def test_bernoulli_method(device: str) -> None:
    g = ember.Generator(device).manual_seed(5)
    p = ember.full((10_000,), 0.3, device=device)
    assert abs(p.bernoulli(generator=g).numpy().mean() - 0.3) < 0.02


# -- shape-changing methods --------------------------------------------------------------------


def test_inplace_view_methods(device: str) -> None:
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    x = ember.tensor(a, device=device)
    assert x.t_() is x and x.shape == (3, 2)
    np.testing.assert_array_equal(x.numpy(), a.T)
    x.transpose_(0, 1)
    np.testing.assert_array_equal(x.numpy(), a)
    x.swapdims_(0, 1).swapaxes_(1, 0)
    assert x.shape == (2, 3)
    x.unsqueeze_(0).unsqueeze_(-1)
    assert x.shape == (1, 2, 3, 1)
    x.squeeze_(0)
    assert x.shape == (2, 3, 1)
    x.squeeze_()
    assert x.shape == (2, 3)
    base = ember.zeros(2, 3, device=device)
    view = base[:, 1:]
    view.t_()
    view[0, 1] = 5.0  # writes through to the base, at base[1, 1]
    assert base.numpy()[1, 1] == 5.0


def test_inplace_view_methods_and_autograd(device: str) -> None:
    leaf = ember.ones(2, 3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="t_: a leaf Variable that requires grad"):
        leaf.t_()
    w = ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device, requires_grad=True)
    y = w * 2
    y.t_()
    assert y.shape == (3, 2)
    (y * ember.tensor([[1.0, 0.0]] * 3, device=device)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    ("shape", "wrap"), [((3, 3), False), ((5, 3), True), ((5, 3), False), ((3, 5), True), ((2, 2, 2), False)]
)
def test_fill_diagonal_(shape: tuple[int, ...], wrap: bool, device: str) -> None:
    x = ember.zeros(*shape, device=device)
    assert x.fill_diagonal_(2.0, wrap) is x
    want = np.zeros(shape, np.float32)
    np.fill_diagonal(want, 2.0, wrap=wrap)
    np.testing.assert_array_equal(x.numpy(), want)
    with pytest.raises(RuntimeError, match="fill_diagonal_: all dimensions of input must be of equal length"):
        ember.zeros(2, 3, 2, device=device).fill_diagonal_(1.0)


def test_views_where_pytorch_has_them(device: str) -> None:
    x = ember.zeros(3, 4, device=device)
    x.diagonal(1).fill_(1.0)
    np.testing.assert_array_equal(x.numpy(), np.eye(3, 4, 1))
    y = ember.zeros(6, device=device)
    y.unfold(0, 2, 2)[:, 0] = 7.0  # non-overlapping windows are a view
    np.testing.assert_array_equal(y.numpy(), [7, 0, 7, 0, 7, 0])
    z = ember.zeros(4, 3, device=device)
    z.narrow(0, 1, 2).fill_(1.0)
    z.select(1, 0).fill_(2.0)
    assert z.numpy().tolist() == [[2, 0, 0], [2, 1, 1], [2, 1, 1], [2, 0, 0]]
    a, b = ember.broadcast_tensors(ember.zeros(2, 1, device=device), ember.zeros(3, device=device))
    assert a.shape == b.shape == (2, 3)


def test_aliases_and_broadcast_shapes() -> None:
    assert ember.concatenate is ember.cat and ember.moveaxis is ember.movedim and ember.swapdims is ember.transpose
    assert ember.row_stack is ember.vstack
    assert ember.broadcast_shapes(2, (3, 1), ()) == (3, 2)
    assert ember.broadcast_shapes() == ()
    with pytest.raises(RuntimeError, match="broadcast_shapes: shapes"):
        ember.broadcast_shapes((2,), (3,))


def test_indexing_errors_like_pytorch(device: str) -> None:
    x = ember.zeros(4, 3, device=device)
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        x[ember.tensor([0.0], device=device)]
    with pytest.raises(IndexError, match="only integers, slices"):
        x[1.5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[[4]]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(RuntimeError, match="setitem"):
        x[0] = ember.ones(2, device=device)
