"""torch.linalg and torch's LAPACK functions beyond what the op table checks: error types and
messages, the torch.* variants' own conventions (torch.svd's V, torch.qr's `some`, torch.cholesky's
`upper`), LAPACK's info, lstsq's derivative, einsum's sublist form, and the OpenCL host path.
Expected values come from NumPy (or were read off PyTorch 2.13)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck


def _t(a: np.ndarray, device: str, grad: bool = False) -> ember.Tensor:
    return ember.tensor(a, device=device, requires_grad=grad)


def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def test_linalg_error_is_a_runtime_error(device: str) -> None:
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    singular = _t(np.array([[1.0, 2.0], [2.0, 4.0]]), device)
    with pytest.raises(ember.linalg.LinAlgError, match=r"linalg.inv: The diagonal element 2 is zero"):
        ember.linalg.inv(singular)
    with pytest.raises(RuntimeError, match="linalg.solve.*singular"):
        ember.linalg.solve(singular, _t(np.ones(2), device))


def test_inv_ex_reports_lapack_info_per_matrix(device: str) -> None:
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 4.0]], [[0.0, 0.0], [0.0, 1.0]]])
    inverse, info = ember.linalg.inv_ex(_t(a, device))
    assert info.dtype is ember.int32
    assert info.tolist() == [2, 0, 1]  # as PyTorch: the first zero pivot of each LU
    np.testing.assert_allclose(inverse[1].numpy(), np.linalg.inv(a[1]))
    result, info = ember.linalg.solve_ex(_t(a, device), _t(np.ones((3, 2)), device))
    assert info.tolist() == [2, 0, 1]
    np.testing.assert_allclose(result[1].numpy(), [0.5, 0.25])


def test_cholesky_names_the_failing_minor(device: str) -> None:
    a = np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ember.linalg.LinAlgError, match=r"linalg.cholesky:.*leading minor of order 2"):
        ember.linalg.cholesky(_t(a, device))


@pytest.mark.parametrize(
    "fn",
    [ember.linalg.det, ember.linalg.inv, ember.linalg.cholesky, ember.linalg.svd, ember.linalg.qr, ember.linalg.eigh],
    ids=lambda f: f.__name__,
)
def test_decompositions_refuse_integers(fn: object, device: str) -> None:
    with pytest.raises(RuntimeError, match=r"float32 or float64.*int64"):
        fn(ember.ones(2, 2, dtype=ember.int64, device=device))  # type: ignore[operator]


def test_torch_variants_conventions(device: str) -> None:
    a = _rand(4, 3)
    x = _t(a, device)
    u, s, v = ember.svd(x)  # torch.svd: reduced, V (not Vh)
    assert (u.shape, s.shape, v.shape) == ((4, 3), (3,), (3, 3))
    np.testing.assert_allclose((u * s @ v.mT).numpy(), a, atol=1e-12)
    u, s, v = ember.svd(x, some=False)
    assert (u.shape, v.shape) == ((4, 4), (3, 3))
    u, s, v = x.svd(compute_uv=False)
    assert (u.shape, v.shape) == ((4, 4), (3, 3)) and not u.numpy().any()
    q, r = ember.qr(x, some=False)
    assert (q.shape, r.shape) == ((4, 4), (4, 3))
    np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)
    q, r = ember.linalg.qr(x, mode="r")
    assert q.shape == (0,) and r.shape == (3, 3)
    spd = a.T @ a + np.eye(3)
    upper = ember.cholesky(_t(spd, device), True)  # torch.cholesky: `upper` positional
    np.testing.assert_allclose(upper.numpy(), np.linalg.cholesky(spd).T, atol=1e-12)
    np.testing.assert_allclose(ember.linalg.cholesky(_t(spd, device), upper=True).numpy(), upper.numpy())
    res = ember.linalg.svd(x)
    assert res.U.shape == (4, 4) and res.Vh.shape == (3, 3)  # linalg.svd: full_matrices=True by default
    assert ember.linalg.eigh(_t(spd, device))._fields == ("eigenvalues", "eigenvectors")
    assert ember.linalg.slogdet(_t(spd, device))._fields == ("sign", "logabsdet")


def test_lstsq_solution_gradient_and_fields(device: str) -> None:
    a, b = _t(_rand(5, 3), device, True), _t(_rand(5, 2, seed=1), device, True)
    assert gradcheck(lambda a, b: ember.linalg.lstsq(a, b).solution, (a, b))
    assert gradgradcheck(lambda a, b: ember.linalg.lstsq(a, b).solution, (a, b))
    out = ember.linalg.lstsq(a, b, driver="gelsd")
    assert out._fields == ("solution", "residuals", "rank", "singular_values")
    x, *_ = np.linalg.lstsq(a.detach().numpy(), b.detach().numpy(), rcond=None)
    np.testing.assert_allclose(out.solution.detach().numpy(), x, atol=1e-12)
    assert out.rank.item() == 3 and out.residuals.shape == (2,)


def test_pinv_gradient_rank_deficient_wide_and_hermitian(device: str) -> None:
    wide = _t(_rand(2, 4), device, True)
    assert gradcheck(ember.linalg.pinv, (wide,))
    sym = _t(_rand(3, 3), device, True)
    assert gradcheck(lambda m: ember.linalg.pinv(m + m.mT, hermitian=True), (sym,))


def test_det_gradient_matches_adjugate(device: str) -> None:
    a = _rand(3, 3)
    x = _t(a, device, True)
    ember.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)


def test_vector_norm_gradient_is_zero_at_zero(device: str) -> None:
    x = _t(np.zeros((2, 3)), device, True)
    ember.linalg.vector_norm(x).backward()
    assert not x.grad.numpy().any() and np.isfinite(x.grad.numpy()).all()
    y = _t(np.array([[0.0, 0.0], [3.0, 4.0]]), device, True)
    ember.cdist(y, y).sum().backward()  # zero distances on the diagonal: finite gradients, as PyTorch
    assert np.isfinite(y.grad.numpy()).all()


def test_einsum_forms(device: str) -> None:
    a, b = _rand(2, 3), _rand(3, 4, seed=1)
    x, y = _t(a, device), _t(b, device)
    np.testing.assert_allclose(ember.einsum(x, [0, 1], y, [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_allclose(ember.einsum("ij,jk", [x, y]).numpy(), a @ b)
    np.testing.assert_allclose(ember.einsum(" i j , j k -> k i ", x, y).numpy(), (a @ b).T)
    c = _rand(2, 2, 3)
    np.testing.assert_allclose(ember.einsum("bii->b", _t(c[..., :2], device)).numpy(), np.einsum("bii->b", c[..., :2]))


def test_einsum_lowers_to_matmul_not_a_broadcast_product(device: str) -> None:
    """A contraction never materializes the broadcast product of its operands (i, j, k here)."""
    from ember.ops import linalg as ops_linalg

    seen: list[tuple[int, ...]] = []
    real = ops_linalg.matmul

    def spy(a: ember.Tensor, b: ember.Tensor) -> ember.Tensor:
        seen.append(tuple(a.shape) + tuple(b.shape))
        return real(a, b)

    ops_linalg.matmul = spy  # type: ignore[assignment]
    try:
        out = ember.einsum("ij,jk->ik", ember.ones(50, 60, device=device), ember.ones(60, 70, device=device))
    finally:
        ops_linalg.matmul = real  # type: ignore[assignment]
    assert seen and out.shape == (50, 70)


def test_matrix_exp_of_large_and_nilpotent_matrices(device: str) -> None:
    n = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(ember.linalg.matrix_exp(_t(n, device)).numpy(), np.eye(3) + n + n @ n / 2, atol=1e-14)
    big = np.diag([10.0, -20.0])
    np.testing.assert_allclose(ember.matrix_exp(_t(big, device)).numpy(), np.diag(np.exp([10.0, -20.0])), rtol=1e-12)


def test_decompositions_on_a_device_warn_once_when_they_run_on_the_host(backend: object, device: str) -> None:
    """The device's own kernel, or a host computation announced by one FallbackWarning per op."""
    a = _t(_rand(3, 3) + 3 * np.eye(3), device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.linalg.inv(a)
        ember.linalg.inv(a)
    fallbacks = [w for w in caught if issubclass(w.category, ember.dispatch.FallbackWarning)]
    assert len(fallbacks) <= 1
    np.testing.assert_allclose(ember.linalg.inv(a).numpy(), np.linalg.inv(a.numpy()), rtol=1e-10)


def test_det_gradient_of_singular_matrices_is_the_adjugate(device: str) -> None:
    """Through the SVD where det is 0: adj(A)^T, checked against finite differences."""
    for a in (np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])):
        x = _t(a, device, True)
        ember.linalg.det(x).backward()
        adj_t = (
            np.array([[4.0, -2.0], [-2.0, 1.0]])
            if a.shape == (2, 2)
            else np.array([[4, 4, -4], [-2, -2, 2], [0, 0, 0]])
        )
        np.testing.assert_allclose(x.grad.numpy(), adj_t, atol=1e-12)
        assert gradcheck(ember.linalg.det, (_t(a, device, True),))


def test_lapack_info_where_the_module_returns_non_finite_values_instead_of_raising() -> None:
    """CuPy's solvers return nan/inf for a singular matrix rather than raising as NumPy does: the
    generic kernels then find the refused matrices and compute their info on the host."""
    import dataclasses
    import types

    from ember import xp_kernels

    def quiet_inv(a: np.ndarray) -> np.ndarray:
        out = np.empty_like(a)
        for idx in np.ndindex(*a.shape[:-2]):
            try:
                out[idx] = np.linalg.inv(a[idx])
            except np.linalg.LinAlgError:
                out[idx] = np.inf
        return out

    fake = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("_")})
    fake.linalg = types.SimpleNamespace(inv=quiet_inv)
    caps = dataclasses.replace(xp_kernels.caps_of(np), scalar_results=False)
    a = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 2.0], [2.0, 4.0]]])
    inverse, info = xp_kernels.inv(fake, caps, a)
    assert info.tolist() == [0, 2]
    np.testing.assert_allclose(inverse[0], np.diag([0.5, 0.25]))
    assert np.isnan(inverse[1]).all()


def test_det_of_small_integer_matrices_is_exact_on_the_host() -> None:
    # LAPACK's LU determinant; sign * exp(logabsdet) gave 5.0000005 in float32
    a = ember.tensor([[2.0, 1.0], [1.0, 3.0]])
    assert ember.det(a).item() == 5.0
    assert ember.linalg.det(ember.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])).item() == pytest.approx(-3.0, abs=1e-5)
    np.testing.assert_array_equal(ember.det(ember.ones(3, 0, 0)).numpy(), np.ones(3, np.float32))


def test_cond_every_order_against_numpy(device: str) -> None:
    """linalg.cond against numpy.linalg.cond for each order; a singular matrix's inverse-based orders are inf
    (PyTorch: through inv_ex, inf where info > 0); None/2 take any shape (the singular values' ratio)."""
    a = _rand(3, 4, 4, seed=5)
    x = _t(a, device)
    for p in (None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(ember.linalg.cond(x, p).numpy(), np.linalg.cond(a, p), rtol=1e-8, err_msg=str(p))
    wide = _rand(2, 3, seed=6)
    np.testing.assert_allclose(ember.linalg.cond(_t(wide, device)).numpy(), np.linalg.cond(wide), rtol=1e-10)
    singular = _t(np.array([[1.0, 2.0], [2.0, 4.0]]), device)
    for p in ("fro", 1, np.inf):
        assert ember.linalg.cond(singular, p).item() == np.inf
    with pytest.raises(RuntimeError, match="^linalg.cond: A must be batches of square matrices"):
        ember.linalg.cond(_t(wide, device), "fro")
    with pytest.raises(RuntimeError, match="^linalg.cond: got an invalid norm type 3"):
        ember.linalg.cond(x, 3)


def test_cholesky_ex_solve_triangular_and_rank_tol(device: str) -> None:
    """cholesky_ex reports LAPACK's info (the order of the failing minor) instead of raising; solve_triangular
    reads one triangle of A (its diagonal as ones with unitriangular), left or right, against NumPy's solve of
    that triangle; matrix_rank's older `tol` is atol with rtol=0."""
    spd = np.array([[4.0, 2.0], [2.0, 3.0]])
    L, info = ember.linalg.cholesky_ex(_t(np.stack([spd, [[1.0, 2.0], [2.0, 1.0]]]), device))
    assert type(ember.linalg.cholesky_ex(_t(spd, device))).__name__ == "linalg_cholesky_ex"
    assert info.dtype is ember.int32 and info.tolist() == [0, 2]
    np.testing.assert_allclose(L.numpy()[0], np.linalg.cholesky(spd), rtol=1e-12)
    with pytest.raises(ember.linalg.LinAlgError, match=r"^linalg.cholesky_ex: \(Batch element 1\)"):
        ember.linalg.cholesky_ex(_t(np.stack([spd, [[1.0, 2.0], [2.0, 1.0]]]), device), check_errors=True)
    a, b = _rand(2, 3, 3, seed=7) + 3 * np.eye(3), _rand(2, 3, 2, seed=8)
    for upper in (True, False):
        tri = np.triu(a) if upper else np.tril(a)
        got = ember.linalg.solve_triangular(_t(a, device), _t(b, device), upper=upper)
        np.testing.assert_allclose(got.numpy(), np.linalg.solve(tri, b), rtol=1e-10)
        unit = tri.copy()
        unit[:, range(3), range(3)] = 1.0
        got = ember.linalg.solve_triangular(_t(a, device), _t(b.swapaxes(-1, -2), device), upper=upper, left=False, unitriangular=True)
        np.testing.assert_allclose(got.numpy() @ unit, b.swapaxes(-1, -2), rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="^linalg.solve_triangular: the input must have at least 2 dimensions"):
        ember.linalg.solve_triangular(_t(a, device), _t(b[0, :, 0], device), upper=True)
    ga, gb = _t(a[0], device, grad=True), _t(b[0], device, grad=True)
    assert gradcheck(lambda x, y: ember.linalg.solve_triangular(x, y, upper=True, unitriangular=True), (ga, gb))
    m = _t(np.diag([1.0, 1e-3]), device)
    assert ember.linalg.matrix_rank(m, tol=1e-2).item() == 1 and ember.linalg.matrix_rank(m, 1e-4).item() == 2


def test_vander_cholesky_solve_and_tensor_inverses_against_numpy(device: str) -> None:
    """vander / linalg.vander against numpy.vander (decreasing / increasing powers; ints stay int64) with a
    finite gradient at 0 (sum_k k x^(k-1)); cholesky_solve / cholesky_inverse against numpy's solve / inv
    of L L^T (and U^T U); tensorinv / tensorsolve against numpy.linalg's."""
    v = np.array([0.0, 2.0, -1.5])
    np.testing.assert_allclose(ember.vander(_t(v, device)).numpy(), np.vander(v))
    np.testing.assert_allclose(ember.linalg.vander(_t(v, device), N=4).numpy(), np.vander(v, 4, increasing=True))
    iv = ember.vander(ember.tensor([1, 2, 3], device=device), 2, increasing=True)
    assert iv.dtype is ember.int64 and iv.tolist() == np.vander([1, 2, 3], 2, increasing=True).tolist()
    x = _t(v, device, grad=True)
    ember.linalg.vander(x, N=4).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1 + 2 * v + 3 * v**2)
    with pytest.raises(RuntimeError, match="^linalg.vander: N must be greater than 1"):
        ember.linalg.vander(_t(v, device), N=1)
    m = _rand(2, 3, 3, seed=9)
    a = m @ m.swapaxes(-1, -2) + 3 * np.eye(3)
    L = np.linalg.cholesky(a)
    b = _rand(2, 3, 2, seed=10)
    np.testing.assert_allclose(ember.cholesky_solve(_t(b, device), _t(L, device)).numpy(), np.linalg.solve(a, b), rtol=1e-10)
    U = _t(L.swapaxes(-1, -2), device)
    np.testing.assert_allclose(ember.cholesky_solve(_t(b, device), U, upper=True).numpy(), np.linalg.solve(a, b), rtol=1e-10)
    np.testing.assert_allclose(_t(L, device).cholesky_inverse().numpy(), np.linalg.inv(a), rtol=1e-10)
    np.testing.assert_allclose(ember.cholesky_inverse(U, upper=True).numpy(), np.linalg.inv(a), rtol=1e-10)
    t4 = _rand(6, 2, 3, seed=11)
    np.testing.assert_allclose(ember.linalg.tensorinv(_t(t4, device), ind=1).numpy(), np.linalg.tensorinv(t4, ind=1), rtol=1e-8)
    rhs = _rand(6, seed=12)
    np.testing.assert_allclose(ember.linalg.tensorsolve(_t(t4, device), _t(rhs, device)).numpy(), np.linalg.tensorsolve(t4, rhs), rtol=1e-8)
    t5 = t4.reshape(3, 6, 2)
    np.testing.assert_allclose(
        ember.linalg.tensorsolve(_t(t5, device), _t(rhs, device), dims=(0,)).numpy(),
        np.linalg.tensorsolve(t5, rhs, axes=(0,)), rtol=1e-8,
    )
    with pytest.raises(RuntimeError, match="^linalg.tensorinv: Expected self to satisfy the requirement"):
        ember.linalg.tensorinv(_t(t4, device), ind=2)


def test_lu_factor_lu_and_lu_solve(device: str) -> None:
    """linalg.lu: A = P L U with L unit lower triangular and |L| <= 1 (partial pivoting), U upper, for
    square, wide, tall and batched A; lu_factor's packing and 1-based pivots as getrf's (values read off
    PyTorch 2.13); lu_solve against numpy.linalg.solve (left/right, adjoint); gradients through autograd."""
    for shape, seed in (((4, 4), 20), ((3, 5), 21), ((5, 3), 22), ((2, 3, 3), 23)):
        a = _rand(*shape, seed=seed)
        P, L, U = (t.numpy() for t in ember.linalg.lu(_t(a, device)))
        np.testing.assert_allclose(P @ L @ U, a, rtol=1e-12, atol=1e-12)
        k = min(shape[-2:])
        assert L.shape[-2:] == (shape[-2], k) and U.shape[-2:] == (k, shape[-1])
        np.testing.assert_array_equal(np.triu(L, 1), 0)
        np.testing.assert_array_equal(np.diagonal(L, 0, -2, -1), 1)
        assert np.abs(L).max() <= 1 and np.array_equal(np.tril(U, -1), np.zeros_like(U))
    LU, piv = ember.linalg.lu_factor(_t(np.array([[1.0, 2.0], [4.0, 5.0], [3.0, 3.0]]), device))
    assert piv.dtype is ember.int32 and piv.tolist() == [2, 2]
    np.testing.assert_allclose(LU.numpy(), [[4.0, 5.0], [0.25, 0.75], [0.75, -1.0]])
    singular = _t(np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 1.0]]]), device)
    assert ember.linalg.lu_factor_ex(singular).info.tolist() == [2, 0]
    with pytest.raises(RuntimeError, match=r"^linalg.lu_factor: U\[2,2\] is zero"):
        ember.linalg.lu_factor(singular)
    a, b = _rand(2, 3, 3, seed=24), _rand(2, 3, 2, seed=25)
    LU, piv = ember.linalg.lu_factor(_t(a, device))
    np.testing.assert_allclose(ember.linalg.lu_solve(LU, piv, _t(b, device)).numpy(), np.linalg.solve(a, b), rtol=1e-10)
    got = ember.linalg.lu_solve(LU, piv, _t(b, device), adjoint=True).numpy()
    np.testing.assert_allclose(got, np.linalg.solve(a.swapaxes(-1, -2), b), rtol=1e-10)
    got = ember.linalg.lu_solve(LU, piv, _t(b.swapaxes(-1, -2), device), left=False).numpy()
    np.testing.assert_allclose(got @ a, b.swapaxes(-1, -2), rtol=1e-10, atol=1e-12)
    x = _t(a[0], device, grad=True)
    assert gradcheck(lambda m: ember.linalg.lu_solve(*ember.linalg.lu_factor(m), _t(b[0], device)), (x,))


def test_lu_unpack_torch_lu_solve_and_triangular_solve(device: str) -> None:
    """torch.lu_unpack gives linalg.lu's (P, L, U) from lu_factor's output (empty parts when not unpacked);
    torch.lu_solve(b, LU, pivots) and torch.triangular_solve(b, A) (upper by default, `transpose` solves
    with A^T; cloned_coefficient is a copy of A) against numpy.linalg.solve."""
    a = _rand(2, 4, 3, seed=30)
    x = _t(a, device)
    P, L, U = ember.lu_unpack(*ember.linalg.lu_factor(x))
    for got, want in zip((P, L, U), ember.linalg.lu(x)):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    P2, L2, U2 = ember.lu_unpack(*ember.linalg.lu_factor(x), unpack_data=False)
    assert L2.shape == U2.shape == (0,) and P2.shape == (2, 4, 4)
    sq, b = _rand(3, 3, seed=31), _rand(3, 2, seed=32)
    sol = _t(b, device).lu_solve(*ember.linalg.lu_factor(_t(sq, device)))
    np.testing.assert_allclose(sol.numpy(), np.linalg.solve(sq, b), rtol=1e-10)
    for upper, transpose in ((True, False), (False, True)):
        tri = np.triu(sq) if upper else np.tril(sq)
        out = ember.triangular_solve(_t(b, device), _t(sq, device), upper=upper, transpose=transpose)
        np.testing.assert_allclose(out.solution.numpy(), np.linalg.solve(tri.T if transpose else tri, b), rtol=1e-10)
        np.testing.assert_array_equal(out.cloned_coefficient.numpy(), sq)
    assert type(out).__name__ == "triangular_solve" and type(P2).__name__ == "Tensor"


def test_kron_promotes_dtypes_as_mul(device: str) -> None:
    a, b = np.arange(4).reshape(2, 2), _rand(2, 3)
    out = ember.kron(_t(a, device), _t(b, device))  # PyTorch: int64 with float64 gives float64
    assert out.dtype is ember.float64
    np.testing.assert_allclose(out.numpy(), np.kron(a, b))


def test_dist_takes_a_tensor_p(device: str) -> None:
    a, b = _rand(3, 4), _rand(4, seed=1)
    got = ember.dist(_t(a, device), _t(b, device), ember.tensor(3.0))  # torch.dist's p is a Scalar: a 0-d tensor too
    np.testing.assert_allclose(got.item(), np.sum(np.abs(a - b) ** 3) ** (1 / 3))


def test_cdist_refuses_an_unknown_compute_mode(device: str) -> None:
    x = _t(_rand(4, 3), device)
    with pytest.raises(ValueError, match="cdist: 'foo' is not a valid value for compute_mode"):
        ember.cdist(x, x, compute_mode="foo")
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        np.testing.assert_allclose(ember.cdist(x, x, compute_mode=mode).numpy()[0, 1],
                                   np.linalg.norm(x.numpy()[0] - x.numpy()[1]), rtol=1e-6)  # fmt: skip


def test_uint8_matmul_after_a_bool_matmul_wraps_not_ors(device: str) -> None:
    m = np.array([[True, False], [True, True]])
    np.testing.assert_array_equal(ember.matmul(_t(m, device), _t(m, device)).numpy(), (m.astype(int) @ m) > 0)
    a, b = np.array([[200, 100]], dtype=np.uint8), np.array([[2], [3]], dtype=np.uint8)
    got = ember.matmul(_t(a, device), _t(b, device))  # bool and uint8 share a C type: each keeps its own kernel
    assert got.dtype is ember.uint8
    np.testing.assert_array_equal(got.numpy(), a @ b)  # 700 wraps to 188, as PyTorch and NumPy


def test_add_products_of_integers_keep_the_integer_dtype(device: str) -> None:
    i, a = np.array([[10, 20], [30, 40]]), np.array([[1, 2], [3, 4]])
    # PyTorch truncates a float beta/alpha for integer tensors (int(0.5) == 0 drops input) and keeps int64
    got = ember.addmm(_t(i, device), _t(a, device), _t(a, device), beta=0.5, alpha=1.7)
    assert got.dtype is ember.int64
    np.testing.assert_array_equal(got.numpy(), a @ a)
    got = ember.baddbmm(_t(i[None], device), _t(a[None], device), _t(a[None], device), beta=2, alpha=3)
    np.testing.assert_array_equal(got.numpy(), 2 * i[None] + 3 * (a @ a)[None])
    with pytest.raises(RuntimeError, match="addr: for integral input tensors, argument beta must not be a floating"):
        ember.addr(_t(i, device), _t(a[0], device), _t(a[1], device), beta=0.5)
    # PyTorch: addmm and kin refuse an input of another dtype than the product; addr promotes
    with pytest.raises(RuntimeError, match=r"addmm: expected input of the product's dtype float32, got int64 \(shape \(2, 2\)\)"):
        ember.addmm(_t(i, device), ember.ones(2, 2, device=device), ember.ones(2, 2, device=device))
    got = ember.addr(_t(i, device), ember.ones(2, device=device), ember.ones(2, device=device))
    assert got.dtype is ember.float32
    np.testing.assert_array_equal(got.numpy(), i + 1)


def test_product_shape_errors_name_the_op_and_both_shapes(device: str) -> None:
    o = lambda *s: ember.ones(*s, device=device)  # noqa: E731
    cases = [
        (lambda: ember.mm(o(2, 3), o(4, 4)), r"mm: shapes \(2, 3\) and \(4, 4\) cannot be multiplied"),
        (lambda: ember.bmm(o(2, 2, 3), o(2, 4, 4)), r"bmm: shapes \(2, 2, 3\) and \(2, 4, 4\) cannot be multiplied"),
        (lambda: ember.mv(o(2, 3), o(4)), r"mv: shapes \(2, 3\) and \(4,\) cannot be multiplied"),
        (lambda: ember.dot(o(3), o(4)), r"dot: shapes \(3,\) and \(4,\) cannot be multiplied"),
        (lambda: ember.outer(o(2, 2), o(3)), r"outer: expected input to be 1-D, got shape \(2, 2\)"),
        (lambda: ember.matmul(o(2, 2, 3), o(3, 3, 4)),
         r"matmul: shapes \(2, 2, 3\) and \(3, 3, 4\) cannot be multiplied: their batch dims \(2,\) and \(3,\)"),
    ]  # fmt: skip
    for fn, match in cases:
        with pytest.raises(RuntimeError, match=match):
            fn()


@pytest.mark.parametrize("name, shapes", [
    ("addmm", [(2, 4), (2, 3), (3, 4)]), ("addmv", [(2,), (2, 3), (3,)]), ("addr", [(2, 3), (2,), (3,)]),
    ("addbmm", [(2, 4), (5, 2, 3), (5, 3, 4)]), ("baddbmm", [(5, 2, 4), (5, 2, 3), (5, 3, 4)]),
])  # fmt: skip
def test_add_products_in_place(name: str, shapes: list[tuple[int, ...]], device: str) -> None:
    i, a, b = (_rand(*s, seed=k) for k, s in enumerate(shapes))
    product = {"addmv": lambda: a @ b, "addr": lambda: np.outer(a, b), "addbmm": lambda: (a @ b).sum(0)}.get(name, lambda: a @ b)()
    x = _t(i, device)
    out = getattr(x, name + "_")(_t(a, device), _t(b, device), beta=0.5, alpha=2)  # Tensor.addmm_ etc., as PyTorch
    assert out is x
    np.testing.assert_allclose(x.numpy(), 0.5 * i + 2 * product, rtol=1e-12)


def test_vecdot_refuses_integers(device: str) -> None:
    x = ember.arange(3, device=device)  # PyTorch: "Expected a floating point or complex tensor as input"
    with pytest.raises(RuntimeError, match="linalg.vecdot: expected a floating point or complex tensor as input, got int64"):
        ember.linalg.vecdot(x, x)


def test_products_write_into_out(device: str) -> None:
    a, b = _rand(2, 3), _rand(3, 4, seed=1)
    ta, tb = _t(a, device), _t(b, device)
    cases = [  # (call with out=, NumPy's value): PyTorch's out= on each product
        (lambda out: ember.matmul(ta, tb, out=out), a @ b),
        (lambda out: ember.mm(ta, tb, out=out), a @ b),
        (lambda out: ember.addmm(_t(np.ones(4), device), ta, tb, beta=2, out=out), 2 + a @ b),
        (lambda out: ember.tensordot(ta, tb, 1, out=out), a @ b),
        (lambda out: ember.kron(ta, tb, out=out), np.kron(a, b)),
        (lambda out: ember.outer(ta[0], tb[0], out=out), np.outer(a[0], b[0])),
        (lambda out: ember.linalg.multi_dot([ta, tb], out=out), a @ b),
        (lambda out: ember.linalg.cross(ta, ta.flip(1), out=out), np.cross(a, a[:, ::-1])),
    ]
    for fn, want in cases:
        out = ember.empty(0, dtype=ember.float64, device=device)
        assert fn(out) is out
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)


def test_cdist_inf_gradient_goes_whole_to_each_tied_maximum(device: str) -> None:
    # PyTorch's cdist backward for p=inf: grad * sign(diff) where |diff| equals the distance, ties not split
    x = _t(np.array([[1.0, 2.0, 1.0]]), device, grad=True)
    y = _t(np.array([[0.0, 1.0, 1.0]]), device, grad=True)
    d = ember.cdist(x, y, p=float("inf"))
    assert d.item() == 1.0
    d.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(y.grad.numpy(), [[-1.0, -1.0, 0.0]])
    empty = ember.cdist(ember.ones(2, 0, device=device), ember.ones(3, 0, device=device), p=float("inf"))
    np.testing.assert_array_equal(empty.numpy(), np.zeros((2, 3)))  # no coordinates: distance 0, as PyTorch


def test_norm_below_one_has_a_zero_gradient_at_zero(device: str) -> None:
    x = _t(np.array([1.0, 2.0, 3.0]), device, grad=True)
    y = _t(np.array([1.0, 0.0, 3.0]), device)
    ember.dist(x, y, 0.5).backward()  # PyTorch: 0 where x == y (not inf * 0 = nan); d/dx2 of |x2 - 0| is 1
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])
    x.grad = None
    ember.norm(x - y, 0.5).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])
