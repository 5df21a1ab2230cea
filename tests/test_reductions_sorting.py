"""Reductions and sorting beyond the op table: PyTorch's named-tuple fields, in-place scans, and
larger inputs than the table's samples (long lines split across work-items, many rows) against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import ember


def test_named_tuple_fields(device: str) -> None:
    x = ember.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], device=device)
    mm = ember.aminmax(x, dim=1)
    assert mm.min.tolist() == [1.0, -1.0] and mm.max.tolist() == [3.0, 4.0]
    assert type(mm).__name__ == "aminmax"
    for name in ("median", "nanmedian", "mode", "cummax", "cummin"):
        out = getattr(ember, name)(x, 1)
        assert out.values.shape == out.indices.shape and out.indices.dtype is ember.int64, name
    k = x.kthvalue(2, 1)
    assert k.values.tolist() == [2.0, 0.5] and k.indices.tolist() == [2, 0]
    h = ember.histogram(x, 2, range=(-1.0, 4.0))
    assert h.hist.tolist() == [3.0, 3.0] and h.bin_edges.tolist() == [-1.0, 1.5, 4.0]
    v, m = ember.var_mean(x, 1)
    np.testing.assert_allclose(m.numpy(), [2.0, 3.5 / 3], rtol=1e-6)


def test_median_is_the_lower_middle_value(device: str) -> None:
    x = ember.tensor([4.0, 1.0, 3.0, 2.0], device=device)
    assert x.median().item() == 2.0  # not the average 2.5
    assert ember.quantile(x, 0.5).item() == 2.5


def test_inplace_scans_and_renorm(device: str) -> None:
    x = ember.tensor([[1.0, 2.0, 3.0], [4.0, 0.5, 2.0]], device=device)
    assert x.cumprod_(1) is x
    assert x.tolist() == [[1.0, 2.0, 6.0], [4.0, 2.0, 4.0]]
    y = ember.tensor([[3.0, 4.0], [0.3, 0.4]], device=device)
    y.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(y.numpy(), [[0.6, 0.8], [0.3, 0.4]], rtol=1e-5)


@pytest.mark.parametrize("n", [5000, 70000])
def test_long_scans_match_numpy(device: str, n: int) -> None:
    rng = np.random.default_rng(n)
    a = rng.uniform(0.999, 1.001, (2, n))
    x = ember.tensor(a, dtype=ember.float64, device=device) if "float64" in _dtypes(device) else None
    if x is None:
        pytest.skip("the device has no float64")
    np.testing.assert_allclose(ember.cumprod(x, 1).numpy(), np.cumprod(a, 1), rtol=1e-10)
    np.testing.assert_allclose(ember.cumsum(x, 1).numpy(), np.cumsum(a, 1), rtol=1e-10)
    values, indices = ember.cummax(x, 1)
    np.testing.assert_array_equal(values.numpy(), np.maximum.accumulate(a, 1))
    ref = np.maximum.accumulate(a, 1)
    np.testing.assert_array_equal(a[np.arange(2)[:, None], indices.numpy()], ref)


def test_searching_many_rows_and_long_rows(device: str) -> None:
    rng = np.random.default_rng(0)
    seq = np.sort(rng.integers(0, 50, (300, 40)), axis=1)
    vals = rng.integers(-5, 55, (300, 7))
    for right in (False, True):
        got = ember.searchsorted(ember.tensor(seq, device=device), ember.tensor(vals, device=device), right=right)
        side = "right" if right else "left"
        expected = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(seq, vals)])
        np.testing.assert_array_equal(got.numpy(), expected)
    long = np.sort(rng.standard_normal(100000)).astype(np.float32)
    q = rng.standard_normal((3, 1000)).astype(np.float32)
    got = ember.bucketize(ember.tensor(q, device=device), ember.tensor(long, device=device))
    np.testing.assert_array_equal(got.numpy(), np.searchsorted(long, q))


def test_unique_and_bincount_on_many_elements(device: str) -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 300, 20000)
    x = ember.tensor(a, device=device)
    values, inverse, counts = ember.unique(x, return_inverse=True, return_counts=True)
    ev, ei, ec = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.numpy(), ev)
    np.testing.assert_array_equal(inverse.numpy(), ei.reshape(a.shape))
    np.testing.assert_array_equal(counts.numpy(), ec)
    np.testing.assert_array_equal(ember.bincount(x).numpy(), np.bincount(a))
    assert ember.isin(x, ember.tensor([5, 7], device=device)).sum().item() == int(np.isin(a, [5, 7]).sum())


def _dtypes(device: str) -> set[str]:
    return {d.name for d in ember.get_backend(ember.device(device).type).dtypes}


@pytest.mark.parametrize("shape", [(2, 5000, 3000), (50, 9, 4)])
def test_searchsorted_kernel_paths(shape: tuple[int, int, int]) -> None:
    """Core's generic searchsorted: NumPy's row-by-row path (long rows), and the all-rows binary search
    CuPy takes (run here on NumPy with CuPy's capabilities), nan included."""
    import dataclasses

    from ember.xp_kernels import caps_of, kernel_table

    rows, n, m = shape
    rng = np.random.default_rng(2)
    seq = np.sort(np.round(rng.standard_normal((rows, n)), 1), axis=1)
    vals = np.round(rng.standard_normal((rows, m)), 1)
    vals[0, 0] = np.nan
    for caps in (caps_of(np), dataclasses.replace(caps_of(np), scalar_results=False)):
        k = kernel_table(np, caps=caps)["searchsorted"]
        for side in ("left", "right"):
            expected = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(seq, vals)])
            np.testing.assert_array_equal(k(seq, vals, side == "right"), expected)


def test_cummax_indices_kernel_and_scan_agree(device: str) -> None:
    """The NumPy kernel of cumext_indices (ufunc accumulate), the device's (through cummax/cummin) and core's
    scan (what a backend without the kernel runs) agree on ties (the later index) and nan (the latest nan)."""
    from ember.ops.reduction import _cumext_indices_impl
    from ember.xp_kernels import kernel_table

    rng = np.random.default_rng(3)
    a = rng.choice([0.0, 1.0, 2.0, np.nan], (4, 33), p=[0.4, 0.3, 0.25, 0.05])
    k = kernel_table(np)["cumext_indices"]
    for axis in (0, 1):
        for largest in (True, False):
            scan = _cumext_indices_impl(ember.tensor(a), axis, largest).numpy()
            np.testing.assert_array_equal(k(a, axis, largest), scan)
            on_device = (ember.cummax if largest else ember.cummin)(ember.tensor(a, device=device), axis).indices
            np.testing.assert_array_equal(on_device.numpy(), scan)


def test_logcumsumexp_scan_composite_matches_numpy() -> None:
    """Core's scan for logcumsumexp (what a backend without an override runs) against NumPy's
    logaddexp.accumulate, with -inf, inf and large values; its gradient flows through the scan."""
    from ember.ops.reduction import _logcumsumexp_impl

    a = np.array([[-np.inf, -np.inf, 0.5, 1000.0, -3.0], [2.0, np.inf, 1.0, -np.inf, 0.0], [0.1, 0.2, -0.3, 0.4, 5.0]])
    with np.errstate(invalid="ignore"):
        expected = np.logaddexp.accumulate(a, 1)
    np.testing.assert_allclose(_logcumsumexp_impl(ember.tensor(a), 1).numpy(), expected, rtol=1e-12)
    x = ember.tensor(a[2:]).requires_grad_()
    _logcumsumexp_impl(x, 1).sum().backward()
    e = np.exp(a[2])
    np.testing.assert_allclose(x.grad.numpy()[0], [np.sum(e[i] / np.cumsum(e)[i:]) for i in range(5)], rtol=1e-10)


def test_result_types_are_named_after_their_op(device: str) -> None:
    """Each (values, indices) result is a named tuple whose type is named after its op, as PyTorch's
    `torch.return_types.max`, `.sort`, ... (and `linalg_qr`, `linalg_svd`, ... for torch.linalg)."""
    x = ember.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]], device=device)
    calls = {
        "max": lambda: ember.max(x, 1), "min": lambda: x.min(0), "sort": lambda: ember.sort(x),
        "topk": lambda: ember.topk(x, 2), "kthvalue": lambda: ember.kthvalue(x, 1), "median": lambda: x.median(1),
        "nanmedian": lambda: ember.nanmedian(x, 0), "mode": lambda: ember.mode(x), "cummax": lambda: x.cummax(1),
        "cummin": lambda: ember.cummin(x, 0),
    }
    for name, call in calls.items():
        out = call()
        assert type(out).__name__ == name and out._fields == ("values", "indices"), name
        values, indices = out
        assert values is out.values and indices.dtype is ember.int64
    assert type(ember.max(ember.tensor(3.0, device=device), 0)).__name__ == "max"
    m = ember.tensor([[2.0, 1.0], [1.0, 3.0]], device=device)
    assert type(ember.linalg.qr(m)).__name__ == "linalg_qr" and type(ember.qr(m)).__name__ == "qr"
    assert type(ember.linalg.svd(m)).__name__ == "linalg_svd" and type(ember.svd(m)).__name__ == "svd"
    assert type(ember.linalg.eigh(m)).__name__ == "linalg_eigh"
    assert type(ember.linalg.slogdet(m)).__name__ == "linalg_slogdet" and type(ember.slogdet(m)).__name__ == "slogdet"


def test_empty_reductions_follow_pytorch(device: str) -> None:
    """An empty sum is 0, so logsumexp over an empty dim is log(0) = -inf (PyTorch's torch.logsumexp);
    max/min/amax/argmax have no identity: with no dim (the whole tensor empty) RuntimeError (IndexError for
    argmax/argmin), IndexError for an empty dim, as PyTorch."""
    out = ember.logsumexp(ember.zeros((2, 0, 3), device=device), 1)
    assert out.shape == (2, 3) and np.all(out.numpy() == -np.inf)
    assert ember.logsumexp(ember.zeros((2, 0), device=device), (0, 1), keepdim=True).shape == (1, 1)
    empty = ember.zeros(0, device=device)
    for fn, error in ((ember.max, RuntimeError), (ember.amin, RuntimeError), (ember.argmax, IndexError)):
        with pytest.raises(error, match=f"^{fn.__name__}\\(\\): Expected reduction dim to be specified"):
            fn(empty)
    with pytest.raises(IndexError, match="^max: cannot reduce a tensor of shape \\(1, 0\\)"):
        ember.max(ember.zeros((1, 0), device=device), 1)


def test_all_any_keep_uint8_and_arg_extremes_refuse_bool(device: str) -> None:
    """PyTorch's all/any return uint8 for uint8 input (bool for every other dtype); argmax/argmin refuse
    bool input while max/min along a dim accept it."""
    a = np.array([[1, 0], [2, 3]], dtype=np.uint8)
    x = ember.tensor(a, device=device)
    for fn, ref in ((ember.all, np.all), (ember.any, np.any)):
        out = fn(x, 1)
        assert out.dtype is ember.uint8
        np.testing.assert_array_equal(out.numpy(), ref(a, 1).astype(np.uint8))
        assert fn(x).dtype is ember.uint8 and fn(x.to(ember.int8)).dtype is ember.bool
        # an explicit empty dim reduces nothing: each element's truth (PyTorch's all(x, ()) / any(x, []))
        none = fn(x.to(ember.float32), ())
        assert none.dtype is ember.bool and none.tolist() == (a != 0).tolist()
        assert fn(x, []).dtype is ember.uint8 and fn(x, []).tolist() == (a != 0).astype(np.uint8).tolist()
    b = ember.tensor([False, True, True], device=device)
    for fn in (ember.argmax, ember.argmin):
        with pytest.raises(RuntimeError, match="does not support bool input"):
            fn(b)
    assert ember.max(b, 0).indices.item() == 1 and ember.min(b, 0).values.item() is False


def test_var_std_of_complex_are_real_and_integers_are_refused(device: str) -> None:
    """PyTorch: var/std of complex input are real, the mean of |x - mean|^2 (NumPy's var); integer and
    bool input is refused ("std and var only support floating point and complex dtypes")."""
    if "complex64" not in _dtypes(device):
        pytest.skip(f"{device} has no complex64")
    z = np.array([[1 + 1j, 2 + 0j, 4 - 1j], [3j, -1 + 0j, 0.5 + 2j]], dtype=np.complex64)
    x = ember.tensor(z, device=device)
    v = ember.var(x, 1)
    assert v.dtype is ember.float32
    np.testing.assert_allclose(v.numpy(), np.var(z, 1, ddof=1), rtol=1e-5)
    s, m = ember.std_mean(x, 0, correction=0)
    assert s.dtype is ember.float32 and m.dtype is ember.complex64
    np.testing.assert_allclose(s.numpy(), np.std(z, 0), rtol=1e-5)
    np.testing.assert_allclose(ember.linalg.vector_norm(x).numpy(), np.linalg.norm(z.ravel()), rtol=1e-5)
    np.testing.assert_allclose(ember.norm(x, 1, 1).numpy(), np.abs(z).sum(1), rtol=1e-5)
    for bad in (ember.tensor([1, 2], device=device), ember.tensor([True, False], device=device)):
        with pytest.raises(RuntimeError, match="^std and var only support floating point and complex dtypes"):
            ember.std(bad)


def test_histogram_range_rule_is_numpys(device: str) -> None:
    """torch.histogram takes `range` as given (histc alone reads (0, 0) as "the data's range") and widens
    equal ends by 0.5 each side; with no range, the data's (0 to 1 for no data): NumPy's histogram rule."""
    cases = [([5.0, 5.0], None), ([1.0, 3.0], (0.0, 0.0)), ([1.0, 3.0], (1.0, 3.0)), ([], None), ([0.5, 2.0, 9.0], (1.0, 4.0))]
    for data, rng in cases:
        a = np.array(data, dtype=np.float32)
        hist, edges = ember.histogram(ember.tensor(a, device=device), 2, range=rng)
        eh, ee = np.histogram(a, 2, range=rng)
        np.testing.assert_allclose(edges.numpy(), ee, rtol=1e-6)
        np.testing.assert_array_equal(hist.numpy(), eh)
    with pytest.raises(RuntimeError, match="^histogram: min should not exceed max"):
        ember.histogram(ember.tensor([1.0], device=device), 2, range=(3.0, 1.0))
    with pytest.raises(RuntimeError, match="^histogram: range of \\[1.0, inf\\] is not finite"):
        ember.histogram(ember.tensor([1.0, np.inf], device=device), 2)


def test_quantile_and_norm_errors_are_pytorchs(device: str) -> None:
    """A bad interpolation is a RuntimeError (PyTorch's quantile); linalg.norm with a named (matrix) order
    of a 1-D tensor is linalg.matrix_norm's RuntimeError, not a TypeError."""
    x = ember.tensor([1.0, 2.0], device=device)
    with pytest.raises(RuntimeError, match="^quantile\\(\\) interpolation must be one of"):
        ember.quantile(x, 0.5, interpolation="cubic")
    for order in ("fro", "nuc"):
        with pytest.raises(RuntimeError, match="^linalg.matrix_norm: the input must have at least 2 dimensions"):
            ember.linalg.norm(x, order)
    # integer input is refused even with a floating dtype= (PyTorch: "Expected a floating point or complex
    # tensor as input"); renorm too
    i = ember.tensor([[1, 2]], device=device)
    with pytest.raises(RuntimeError, match="^linalg.vector_norm: Expected a floating point tensor as input, got int64"):
        ember.linalg.vector_norm(i, dtype=ember.float32)
    with pytest.raises(RuntimeError, match="^norm: expected a floating point tensor as input, got int64"):
        ember.norm(i, dtype=ember.float32)
    with pytest.raises(RuntimeError, match="^renorm: expected a floating point tensor as input, got int64"):
        ember.renorm(i, 2, 0, 1.0)


def test_std_gradient_is_zero_on_constant_lines(device: str) -> None:
    """d std / dx = (x - mean) / ((n - correction) * std); on a constant line (std 0) PyTorch's std
    backward gives 0, not 0/0 = nan."""
    a = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], dtype=np.float32)
    x = ember.tensor(a, device=device).requires_grad_()
    s = ember.std(x, 1)
    np.testing.assert_allclose(s.detach().numpy(), np.std(a, 1, ddof=1), rtol=1e-6)
    s.sum().backward()
    d = a[0] - a[0].mean()
    np.testing.assert_allclose(x.grad.numpy()[0], d / (2 * np.std(a[0], ddof=1)), rtol=1e-5)
    assert x.grad.numpy()[1].tolist() == [0.0, 0.0, 0.0]


def test_bool_and_uint8_reductions_do_not_share_kernels(device: str) -> None:
    """bool and uint8 share a C type on OpenCL (uchar) but not their arithmetic: a bool sum is an OR, a uint8
    sum wraps modulo 256. A bool reduction first must not leave its kernel for the uint8 one (it did: 200 + 100
    gave 200 | 100 = 236). NumPy's uint8 arithmetic is the reference; rows, columns, scans and products."""
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (2, 40)).astype(np.uint8)
    x, b = ember.tensor(a, device=device), ember.tensor(a > 100, device=device)
    u8 = ember.uint8
    for dim in (None, 0, 1):
        ember.sum(b, dim, dtype=ember.bool), ember.prod(b, dim, dtype=ember.bool)  # compile the bool kernels first
        want = a.sum(dtype=np.uint8) if dim is None else a.sum(dim, dtype=np.uint8)
        np.testing.assert_array_equal(ember.sum(x, dim, dtype=u8).numpy(), want)
        want = a.prod(dtype=np.uint8) if dim is None else a.prod(dim, dtype=np.uint8)
        np.testing.assert_array_equal(ember.prod(x, dim, dtype=u8).numpy(), want)
    ember.cumsum(b, 1, dtype=ember.bool), ember.cumprod(b, 1, dtype=ember.bool)
    np.testing.assert_array_equal(ember.cumsum(x, 1, dtype=u8).numpy(), np.cumsum(a, 1, dtype=np.uint8))
    np.testing.assert_array_equal(ember.cumprod(x, 1, dtype=u8).numpy(), np.cumprod(a, 1, dtype=np.uint8))


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_half_precision_sums_accumulate_in_float32(device: str, name: str) -> None:
    """PyTorch sums, means and scans float16/bfloat16 in float32 and rounds once: 5000 ones sum to 5000
    rounded (bfloat16: 4992), not to where a half-precision accumulator stalls (256 once 1 is below its
    spacing). Reference: NumPy's float32 sum/cumsum rounded to the dtype."""
    if name not in _dtypes(device):
        pytest.skip(f"{device} has no {name}")
    dt = getattr(ember, name)
    a = np.full((3000, 2), 0.1, dtype=np.float32).astype(dt.numpy)
    x = ember.tensor(a, device=device)
    wide = a.astype(np.float32)
    assert ember.sum(ember.ones(5000, dtype=dt, device=device)).item() == float(np.float32(5000).astype(dt.numpy))
    for dim in (None, 0):
        want = wide.sum() if dim is None else wide.sum(dim)
        np.testing.assert_array_equal(ember.sum(x, dim).numpy().astype(np.float32), np.asarray(want).astype(dt.numpy).astype(np.float32))
        want = wide.mean() if dim is None else wide.mean(dim)
        np.testing.assert_array_equal(ember.mean(x, dim).numpy().astype(np.float32), np.asarray(want).astype(dt.numpy).astype(np.float32))
    got = ember.cumsum(x, 0).numpy().astype(np.float32)
    np.testing.assert_array_equal(got, np.cumsum(wide, 0).astype(dt.numpy).astype(np.float32))
    assert ember.cumsum(x, 0).dtype is dt and ember.sum(x, 0).dtype is dt and ember.mean(x).dtype is dt
