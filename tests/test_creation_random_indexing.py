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
        ((0, 2, 5), {"dtype": "int64"}),  # 10 ** 1.5 = 31.6: PyTorch truncates the double to 31
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
        want = np.trunc(want).astype(np.int64)  # PyTorch casts base ** x (a double) to the integer dtype
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


def test_default_generator_is_the_one_manual_seed_seeds() -> None:
    # torch.default_generator: a Generator object; seeding it is seeding the global stream, and back
    g = ember.default_generator
    assert isinstance(g, ember.Generator) and repr(g.device) == "device(type='cpu')"
    assert ember.manual_seed(7) is g and g.initial_seed() == 7
    g.manual_seed(9)
    assert ember.initial_seed() == 9
    a = ember.rand(4)
    g.manual_seed(9)
    np.testing.assert_array_equal(ember.rand(4).numpy(), a.numpy())
    np.testing.assert_array_equal(ember.rand(4, generator=ember.Generator().manual_seed(9)).numpy(), a.numpy())


def test_bad_generator_and_state_types() -> None:
    # PyTorch: a generator that is not a Generator, and an RNG state that is not a ByteTensor, are TypeErrors
    with pytest.raises(TypeError, match="generator must be an ember.Generator"):
        ember.rand(2, generator=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="uint8 tensor of 16 bytes.*float32"):
        ember.set_rng_state(ember.zeros(16))
    with pytest.raises(RuntimeError, match="uint8 tensor of 16 bytes.*shape \\(3,\\)"):
        ember.Generator().set_state(ember.zeros(3, dtype=ember.uint8))


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


# -- PyTorch-parity regressions (each case: what torch 2.13's docs and results say) -------------------


def test_creation_size_keyword(device: str) -> None:
    # torch.zeros(size=(2, 3)) and the other factories take the size as a keyword too
    for f in (ember.zeros, ember.ones, ember.empty, ember.rand, ember.randn):
        assert f(size=(2, 3), device=device).shape == (2, 3)
        with pytest.raises(TypeError, match="either positionally or as size="):
            f(2, size=(2, 3), device=device)
    assert ember.randint(3, size=(4,), device=device).shape == (4,)  # randint(high, size=...): low = 0


def test_complex_linspace_and_randn(device: str, backend: Any) -> None:
    if ember.complex64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} holds no complex dtype")
    # complex ends give the default complex dtype, each part spaced as linspace spaces it
    z = ember.linspace(0, 1 + 2j, 5, device=device)
    assert z.dtype is ember.complex64
    np.testing.assert_allclose(z.numpy(), np.linspace(0, 1 + 2j, 5), rtol=1e-6)
    assert ember.linspace(0, 1j, 3, dtype=ember.complex128, device=device).dtype is ember.complex128
    c = ember.randn(20_000, dtype=ember.complex64, device=device).numpy()
    assert c.dtype == np.complex64  # torch.randn docs: real and imaginary parts each of variance 1/2
    assert abs(c.real.var() - 0.5) < 0.03 and abs(c.imag.var() - 0.5) < 0.03 and abs((abs(c) ** 2).mean() - 1) < 0.05


def test_meshgrid_and_cartesian_prod_want_one_dtype(device: str) -> None:
    a, b = ember.arange(2, device=device), ember.arange(3.0, device=device)
    with pytest.raises(RuntimeError, match="meshgrid expects all tensors to have the same dtype"):
        ember.meshgrid(a, b, indexing="ij")
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.cartesian_prod(a, b)


def test_bernoulli_checks_probabilities(device: str) -> None:
    with pytest.raises(RuntimeError, match=r"bernoulli: the probabilities must lie in \[0, 1\]"):
        ember.bernoulli(ember.full((3,), 1.5, device=device))
    with pytest.raises(RuntimeError, match=r"must lie in \[0, 1\], got p=-0.5"):
        ember.zeros(3, device=device).bernoulli_(-0.5)
    with pytest.raises(RuntimeError, match=r"must lie in \[0, 1\]"):
        ember.bernoulli(ember.tensor([0.5, float("nan")], device=device))
    ints = ember.zeros(1000, dtype=ember.int64, device=device).bernoulli_(0.5)  # an integer tensor fills too
    assert ints.dtype is ember.int64 and set(np.unique(ints.numpy())) <= {0, 1} and 350 < int(ints.sum()) < 650
    np.testing.assert_array_equal(ember.bernoulli(ember.tensor([0.0, 1.0], device=device)).numpy(), [0.0, 1.0])


def test_where_with_the_condition_alone(device: str) -> None:
    x = ember.tensor([[0.0, 1.5], [2.0, 0.0]], device=device)
    rows, cols = ember.where(x)  # torch.where(condition) is torch.nonzero(condition, as_tuple=True)
    want = np.nonzero(x.numpy())
    np.testing.assert_array_equal(rows.numpy(), want[0])
    np.testing.assert_array_equal(cols.numpy(), want[1])
    assert rows.dtype is ember.int64
    # a 0-d input reads as 1-D of one element (torch.nonzero's docs)
    (one,) = ember.nonzero(ember.tensor(3.0, device=device), as_tuple=True)
    np.testing.assert_array_equal(one.numpy(), [0])
    (none,) = ember.where(ember.tensor(0.0, device=device))
    assert none.shape == (0,) and none.dtype is ember.int64
    with pytest.raises(TypeError, match="where: give both input and other"):
        ember.where(x > 0, x)
    # torch.where's condition is a BoolTensor: "where expected condition to be a boolean tensor"
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor, but got .* int64"):
        ember.where(ember.tensor([1, 0], device=device), 1.0, 0.0)


def test_index_put(device: str) -> None:
    x = ember.arange(12.0, device=device).reshape(3, 4)
    i, j = ember.tensor([0, 0, 2], device=device), ember.tensor([1, 1, 3], device=device)
    v = ember.tensor([1.0, 2.0, 3.0], device=device)
    ref = x.numpy().copy()
    np.add.at(ref, (i.numpy(), j.numpy()), v.numpy())
    np.testing.assert_array_equal(x.index_put((i, j), v, accumulate=True).numpy(), ref)
    ref = x.numpy().copy()
    ref[[1, 2]] = 5.0
    np.testing.assert_array_equal(ember.index_put(x, [ember.tensor([1, 2], device=device)], ember.tensor(5.0, device=device)).numpy(), ref)
    mask = ember.tensor([True, False, True], device=device)
    ref = x.numpy().copy()
    ref[[True, False, True]] += 1.0
    np.testing.assert_array_equal(x.index_put((mask,), ember.ones(4, device=device), accumulate=True).numpy(), ref)
    y = x.clone()
    assert y.index_put_((i, j), v, accumulate=True) is y and y[0, 1].item() == 4.0
    np.testing.assert_array_equal(x.numpy(), np.arange(12.0).reshape(3, 4))  # the out-of-place form copies
    with pytest.raises(RuntimeError, match=r"index_put: values \(float64\) must have the dtype of input \(float32\)"):
        x.index_put((i,), ember.zeros(3, dtype=ember.float64, device=device))
    with pytest.raises(TypeError, match="index_put: indices must be a tuple or list"):
        x.index_put(i, v)


def test_scatter_reduce_keyword_and_int32_index(device: str) -> None:
    idx = ember.tensor([[0, 0], [2, 3], [4, 0]], device=device)
    src = ember.arange(1.0, 7.0, device=device).reshape(3, 2)
    ref = np.ones((3, 5), np.float32)
    np.add.at(ref, (np.arange(3)[:, None].repeat(2, 1), idx.numpy()), src.numpy())
    np.testing.assert_array_equal(ember.ones(3, 5, device=device).scatter(1, idx, src, reduce="add").numpy(), ref)
    ref = np.ones((3, 5), np.float32)
    np.multiply.at(ref, (np.arange(3)[:, None].repeat(2, 1), idx.numpy()), 2.0)
    np.testing.assert_array_equal(ember.ones(3, 5, device=device).scatter(1, idx, 2.0, reduce="multiply").numpy(), ref)
    with pytest.raises(RuntimeError, match="scatter: reduce argument must be either add or multiply"):
        ember.ones(3, 5, device=device).scatter(1, idx, src, reduce="mean")
    # gather and the scatters take an int32 index as well (torch: "Expected dtype int32/int64 for index")
    x = ember.arange(12.0, device=device).reshape(3, 4)
    i32 = ember.tensor([[3], [0], [1]], dtype=ember.int32, device=device)
    np.testing.assert_array_equal(x.gather(1, i32).numpy(), np.take_along_axis(x.numpy(), i32.numpy().astype(np.int64), 1))
    np.testing.assert_array_equal(
        x.scatter_add(1, i32, ember.ones(3, 1, device=device)).numpy(), x.numpy() + np.eye(4, dtype=np.float32)[[3, 0, 1]]
    )


def test_take_along_dim_negative_indices(device: str) -> None:
    x = ember.arange(12.0, device=device).reshape(3, 4)
    idx = ember.tensor([[-1, -4]], device=device)
    want = np.take_along_axis(x.numpy(), np.broadcast_to(idx.numpy(), (3, 2)) % 4, 1)
    np.testing.assert_array_equal(ember.take_along_dim(x, idx, dim=1).numpy(), want)
    np.testing.assert_array_equal(ember.take_along_dim(x, ember.tensor([-1, 0], device=device)).numpy(), [11.0, 0.0])
    with pytest.raises(RuntimeError, match="take_along_dim: indices must be an int64 tensor"):
        ember.take_along_dim(x, idx.to(ember.int32), dim=1)


def test_movement_corner_cases(device: str) -> None:
    x = ember.arange(24, device=device).reshape(2, 3, 4)
    f = x.flip(())  # no dims: nothing reversed, but a new tensor
    np.testing.assert_array_equal(f.numpy(), x.numpy())
    f.add_(1)
    assert x[0, 0, 0].item() == 0
    # empty tensors take part in cat's dtype promotion even where they are skipped (torch.cat docs)
    out = ember.cat([ember.ones(2, 3, dtype=ember.int64, device=device), ember.tensor([], device=device)])
    assert out.dtype is ember.float32 and out.shape == (2, 3)
    assert ember.hstack([ember.tensor([], device=device), ember.tensor([1, 2], device=device)]).dtype is ember.float32
    assert ember.cat([x, x], axis=2).shape == (2, 3, 8)  # PyTorch's NumPy-style alias of dim
    # chunk of an empty dim gives `chunks` empty pieces
    pieces = ember.chunk(ember.zeros(0, 3, device=device), 3)
    assert [p.shape for p in pieces] == [(0, 3)] * 3
    assert [p.shape[0] for p in ember.chunk(ember.arange(6, device=device), 4)] == [2, 2, 2]  # torch.chunk docs: may be fewer
    assert [p.shape[0] for p in ember.tensor_split(ember.arange(7, device=device), sections=3)] == [3, 2, 2]
    assert [p.shape[0] for p in ember.tensor_split(ember.arange(7, device=device), indices=[1, 6])] == [1, 5, 1]
    with pytest.raises(TypeError, match="give exactly one of"):
        ember.tensor_split(ember.arange(7, device=device), 3, sections=3)
    with pytest.raises(RuntimeError, match="squeeze: dim 0 appears more than once"):
        ember.ones(1, 2, 1, device=device).squeeze((0, 0))
    assert ember.ones(1, 2, 1, device=device).squeeze((0, -1)).shape == (2,)


def test_full_casts_the_fill_value_to_the_dtype(device: str) -> None:
    # torch.full((2,), 3.7, dtype=torch.int32) is [3, 3]: the value is cast as a C cast does (toward zero)
    assert ember.full((2,), 3.7, dtype=ember.int32, device=device).tolist() == [3, 3]
    assert ember.full((2,), -3.7, dtype=ember.int64, device=device).tolist() == [-3, -3]
    assert ember.full_like(ember.zeros(2, dtype=ember.int64, device=device), 7.9).tolist() == [7, 7]
    assert ember.full((2,), 0.5, dtype=ember.bool, device=device).tolist() == [True, True]
    assert ember.full_like(ember.zeros(2, dtype=ember.bool, device=device), 0).tolist() == [False, False]
    f = ember.full((2,), True, dtype=ember.float32, device=device)
    assert f.dtype is ember.float32 and f.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="full: value -1.5 cannot be converted to type uint8"):
        ember.full((2,), -1.5, dtype=ember.uint8, device=device)


def test_view_as_another_dtype_reads_the_same_bytes(device: str) -> None:
    # Tensor.view(dtype): the bits reinterpreted (torch docs), never a value cast; the last dim scales
    x = ember.tensor([[1.0, -2.5], [3.0, 0.5]], device=device)
    host = x.numpy()
    np.testing.assert_array_equal(x.view(ember.int32).numpy(), host.view(np.int32))
    np.testing.assert_array_equal(x.view(ember.int16).numpy(), host.view(np.int16))
    assert x.view(ember.int16).shape == (2, 4) and x.view(ember.float64).shape == (2, 1)
    np.testing.assert_array_equal(x.view(ember.float64).numpy(), host.view(np.float64))
    np.testing.assert_array_equal(x[:, ::2].view(ember.int32).numpy(), host[:, ::2].copy().view(np.int32))
    np.testing.assert_array_equal(
        ember.tensor([1, 0, 2], dtype=ember.uint8, device=device).view(ember.bool).numpy(), [True, False, True]
    )
    assert x.view(ember.float32).dtype is ember.float32
    with pytest.raises(RuntimeError, match="view: the size of the last dim must be divisible by 2"):
        ember.ones(3, device=device).view(ember.float64)
    with pytest.raises(RuntimeError, match="view: the last dim must have stride 1"):
        ember.ones(2, 4, device=device).t().view(ember.float64)
    with pytest.raises(RuntimeError, match="view: a 0-d tensor has no last dim"):
        ember.tensor(1.0, device=device).view(ember.float64)


def test_tensor_infers_dtype_from_numpy_scalars_and_tensors_in_lists(device: str) -> None:
    # torch.tensor promotes the leaves' dtypes: a NumPy scalar, array or tensor keeps its own, a Python
    # float is the default dtype, an int int64, a bool bool (so float32 with an int stays float32)
    cases = [
        ([np.float32(1.5), 2], ember.float32),
        ([np.int32(1), np.int32(2)], ember.int32),
        ([np.array([1, 2], dtype=np.int16)], ember.int16),
        ([np.int32(1), 2.5], ember.float32),
        ([np.float64(1.0), 2], ember.float64),
        ([[np.int8(1)], [True]], ember.int8),
        ([np.uint8(3), 2], ember.int64),
        ([ember.tensor(1.0, dtype=ember.float64), 2], ember.float64),
        ([ember.tensor(1), ember.tensor(2.5)], ember.float32),
        ([True, 2], ember.int64),
        ([1, 2.5], ember.float32),
    ]
    for data, want in cases:
        t = ember.tensor(data, device=device)
        assert t.dtype is want, (data, t.dtype)
        np.testing.assert_array_equal(t.numpy(), np.array([np.asarray(x).tolist() if not isinstance(x, ember.Tensor) else x.item() for x in data], dtype=want.numpy))
    # arange reads a NumPy float as a float (torch.arange(np.float32(2.5)) is float32 [0., 1., 2.])
    r = ember.arange(np.float32(2.5), device=device)
    assert r.dtype is ember.float32 and r.tolist() == [0.0, 1.0, 2.0]
    assert ember.arange(np.int64(3), device=device).dtype is ember.int64


def test_gather_scatter_index_select_read_0d_as_1d(device: str) -> None:
    # PyTorch reads a 0-d input or index as 1-D of one element: gather(tensor(5.), 0, tensor(0)) is tensor(5.)
    five = ember.tensor(5.0, device=device)
    g = ember.gather(five, 0, ember.tensor(0, device=device))
    assert g.shape == () and g.item() == 5.0
    assert ember.gather(five, 0, ember.tensor([0, 0], device=device)).tolist() == [5.0, 5.0]
    g = ember.gather(ember.tensor([5.0, 6.0], device=device), 0, ember.tensor(1, device=device))
    assert g.shape == () and g.item() == 6.0
    s = five.scatter(0, ember.tensor(0, device=device), 7.0)
    assert s.shape == () and s.item() == 7.0
    assert five.scatter_add(0, ember.tensor(0, device=device), ember.tensor(2.0, device=device)).item() == 7.0
    r = ember.index_select(five, 0, ember.tensor([0], device=device))
    assert r.shape == () and r.item() == 5.0
    with pytest.raises(IndexError, match="index_select: index to a 0-d tensor can have only 1 value, got 2"):
        ember.index_select(five, 0, ember.tensor([0, 0], device=device))
    with pytest.raises(RuntimeError, match="gather: index .* must have the same number of dimensions"):
        ember.gather(ember.ones(2, 2, device=device), 0, ember.tensor(0, device=device))


def test_index_errors_are_the_classes_pytorch_raises(device: str) -> None:
    x = ember.arange(12.0, device=device).reshape(3, 4)
    # gather/scatter/index_select past the end: PyTorch raises RuntimeError; x[i] past the end: IndexError
    for bad in (
        lambda: x.gather(1, ember.tensor([[4]], device=device)),
        lambda: x.scatter(1, ember.tensor([[5]], device=device), 1.0),
        lambda: ember.index_select(x, 0, ember.tensor([3], device=device)),
    ):
        with pytest.raises(RuntimeError, match="is out of range for dimension"):
            bad()
    with pytest.raises(IndexError, match="is out of range for dimension 0 with size 3"):
        x[ember.tensor([3], device=device)]
    # a value that does not broadcast to x[mask]: RuntimeError (the kernels' ValueError does not leak)
    with pytest.raises(RuntimeError, match="index_put: .*shape"):
        x[x > 8] = ember.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="arange: unsupported range"):
        ember.arange(0, float("inf"), device=device)


def test_shape_methods_take_pytorch_keywords(device: str) -> None:
    x = ember.arange(24, device=device).reshape(2, 3, 4)
    host = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(x.view(size=(6, 4)).numpy(), host.reshape(6, 4))
    np.testing.assert_array_equal(x.reshape(shape=(4, 6)).numpy(), host.reshape(4, 6))
    np.testing.assert_array_equal(ember.reshape(x, shape=(-1,)).numpy(), host.reshape(-1))
    np.testing.assert_array_equal(x.permute(dims=(2, 0, 1)).numpy(), host.transpose(2, 0, 1))
    np.testing.assert_array_equal(ember.swapaxes(x, axis0=0, axis1=2).numpy(), host.swapaxes(0, 2))
    np.testing.assert_array_equal(x.swapaxes(0, 1).numpy(), host.swapaxes(0, 1))
    np.testing.assert_array_equal(ember.ones(1, device=device).expand(size=(3,)).numpy(), np.ones(3))
    np.testing.assert_array_equal(ember.tensor([1, 2], device=device).repeat(repeats=(2, 2)).numpy(), np.tile([1, 2], (2, 2)))
    np.testing.assert_array_equal(ember.arange(end=3, device=device).numpy(), np.arange(3))
    with pytest.raises(TypeError, match="either positionally or by keyword"):
        x.reshape(4, 6, shape=(4, 6))
    with pytest.raises(RuntimeError, match="split: split sizes must be non-negative"):
        ember.split(ember.arange(3, device=device), [-1, 4])


def test_randint_past_2_to_the_32(device: str) -> None:
    # torch.randint(0, 2**40, ...) draws 64-bit words; Ember builds a 63-bit word from two draws
    g = ember.Generator(device).manual_seed(5)
    r = ember.randint(0, 2**40, (20_000,), generator=g, device=device).numpy()
    assert r.dtype == np.int64 and r.min() >= 0 and r.max() < 2**40
    assert abs(r.mean() / 2**40 - 0.5) < 0.02 and abs((r >= 2**39).mean() - 0.5) < 0.02  # uniform over the range
    s = ember.randint(-(2**61), 2**61, (1000,), generator=g, device=device).numpy()
    assert s.min() >= -(2**61) and s.max() < 2**61 and (s < 0).any() and (s > 0).any()
    a = ember.randint(0, 2**40, (4,), generator=ember.Generator(device).manual_seed(1), device=device)
    b = ember.randint(0, 2**40, (4,), generator=ember.Generator(device).manual_seed(1), device=device)
    assert a.tolist() == b.tolist()
    with pytest.raises(RuntimeError, match="randint: the range high - low must be below 2\\*\\*63"):
        ember.randint(-(2**62), 2**62, (1,), device=device)


def test_arange_with_an_integer_dtype_casts_bounds_and_step_first(device: str) -> None:
    # PyTorch casts start, end and step to the integer dtype before counting: arange(-2.5, 2.5) is -2..1
    assert ember.arange(-2.5, 2.5, dtype=ember.int64, device=device).tolist() == [-2, -1, 0, 1]
    assert ember.arange(0.5, 3.7, dtype=ember.int64, device=device).tolist() == [0, 1, 2]
    assert ember.arange(1.5, dtype=ember.int32, device=device).tolist() == [0]
    with pytest.raises(RuntimeError, match="arange: step must be nonzero"):
        ember.arange(0, 2.5, 0.5, dtype=ember.int64, device=device)  # the step casts to 0
    with pytest.raises(RuntimeError, match="arange: not implemented for bool"):
        ember.arange(3, dtype=ember.bool, device=device)
    np.testing.assert_allclose(ember.arange(-2.5, 2.5, device=device).numpy(), np.arange(-2.5, 2.5))
    x = ember.tensor([1, 2], dtype=ember.int32, device=device)
    z = x.new_zeros(size=(2, 3))  # Tensor.new_zeros/new_ones/new_empty take size= as well
    assert z.shape == (2, 3) and z.dtype is ember.int32 and x.new_ones(size=(2,)).tolist() == [1, 1]


def test_ravel_and_adjoint(device: str) -> None:
    x = ember.arange(6.0, device=device).reshape(2, 3)
    np.testing.assert_array_equal(x.t().ravel().numpy(), np.ravel(x.numpy().T))  # C order of the transposed view
    np.testing.assert_array_equal(ember.ravel(x).numpy(), np.arange(6.0))
    np.testing.assert_array_equal(x.adjoint().numpy(), x.numpy().T)
    b = ember.arange(24.0, device=device).reshape(2, 3, 4)
    np.testing.assert_array_equal(ember.adjoint(b).numpy(), np.swapaxes(b.numpy(), -1, -2))
    with pytest.raises(RuntimeError, match="adjoint: expects a tensor of at least 2 dimensions"):
        ember.arange(3.0, device=device).adjoint()


def test_adjoint_conjugates(device: str, backend: Any) -> None:
    if ember.complex64 not in backend.dtypes:
        pytest.skip(f"backend {backend.name!r} holds no complex dtype")
    z = ember.tensor([[1 + 2j, 3j]], device=device)
    np.testing.assert_array_equal(z.adjoint().numpy(), z.numpy().conj().T)


def test_index_add_and_index_copy_refuse_negative_indices(device: str) -> None:
    # torch: "index -1 is out of bounds for dimension 0 with size 3" (index_fill, by contrast, wraps)
    x = ember.arange(12.0, device=device).reshape(3, 4)
    neg = ember.tensor([-1], device=device)
    with pytest.raises(RuntimeError, match=r"index_add\(\): index -1 is out of range for dimension 0 with size 3"):
        x.index_add(0, neg, ember.ones(1, 4, device=device))
    with pytest.raises(IndexError, match=r"index_copy\(\): index -1 is out of range"):
        x.index_copy(0, neg, ember.ones(1, 4, device=device))
    ref = x.numpy().copy()
    ref[-1] = 0.0
    np.testing.assert_array_equal(x.index_fill(0, neg, 0.0).numpy(), ref)


def test_scatter_wants_src_of_the_input_dtype(device: str) -> None:
    # torch: "scatter(): Expected self.dtype to be equal to src.dtype" (a Python number is cast instead)
    x = ember.zeros(3, 5, device=device)
    idx = ember.tensor([[1]], device=device)
    with pytest.raises(RuntimeError, match=r"scatter\(\): Expected self.dtype to be equal to src.dtype"):
        x.scatter(1, idx, ember.ones(1, 1, dtype=ember.int64, device=device))
    with pytest.raises(RuntimeError, match=r"scatter_add\(\): Expected self.dtype"):
        x.scatter_add(1, idx, ember.ones(1, 1, dtype=ember.int64, device=device))
    assert x.scatter(1, idx, 2).numpy()[0, 1] == 2.0


def test_a_complex_number_into_a_real_tensor_raises(device: str) -> None:
    # c10's rule: a complex scalar converts to a real dtype only with a zero imaginary part
    x = ember.zeros(2, device=device)
    mask = ember.tensor([True, False], device=device)
    for bad in (
        lambda: ember.full((2,), 1j, dtype=ember.float32, device=device),
        lambda: x.masked_fill(mask, 1j),
        lambda: x.clone().fill_(1j),
        lambda: x.__setitem__(0, 2 + 1j),
    ):
        with pytest.raises(RuntimeError, match="cannot be converted to type float32 without overflow"):
            bad()
    with pytest.raises(RuntimeError, match="index_fill\\(\\): converting the complex value"):
        x.index_fill(0, ember.tensor([0], device=device), 1j)
    assert ember.full((2,), 1 + 0j, dtype=ember.float32, device=device).tolist() == [1.0, 1.0]
