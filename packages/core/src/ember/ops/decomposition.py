"""Dense linear algebra as torch and torch.linalg have it: determinants, inverses, solvers and the
decompositions (Cholesky, QR, SVD, symmetric eigendecomposition), and what is built on them
(least squares, pseudo-inverse, rank, matrix exponential).

Seven primitives compute through LAPACK-style kernels (`linalg_slogdet`, `linalg_inv`, `linalg_solve`,
`linalg_cholesky`, `linalg_qr`, `linalg_svd`, `linalg_eigh`, named as PyTorch's aten ops; core's
generic kernels use ``xp.linalg``). Each returns several arrays; those that LAPACK can refuse also
return its ``info`` per matrix, from which core raises `LinAlgError` (or reports it, in the ``*_ex``
functions). Their derivatives are written in ember ops, so double backward works. `linalg_det`,
`linalg_pinv` and `linalg_matrix_exp` are composites with their own derivatives (a backend may
override their forward); the rest (logdet, lstsq, svdvals, eigvalsh, matrix_rank, the torch.*
variants) are plain composites.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from ..autograd import grad_mode
from ..device import Device
from ..dispatch import Op, composite, primitive, public
from ..dtypes import DType
from ..tensor import Tensor
from ._run import kernel, maybe_record, needs_grad, record, refuse_complex, same_device, wrap
from .linalg import matmul
from .movement import diag_embed
from .return_types import return_type


class LinAlgError(RuntimeError):
    """A matrix that the operation cannot handle: singular, not positive-definite (torch.linalg.LinAlgError)."""


# --------------------------------------------------------------------------- named results (PyTorch's names)
slogdet_result = return_type("slogdet", ("sign", "logabsdet"))
linalg_slogdet_result = return_type("linalg_slogdet", ("sign", "logabsdet"))
svd_result = return_type("linalg_svd", ("U", "S", "Vh"))
svd_uv_result = return_type("svd", ("U", "S", "V"))  # torch.svd: V, not Vh
qr_result = return_type("qr", ("Q", "R"))
linalg_qr_result = return_type("linalg_qr", ("Q", "R"))
eigh_result = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
lstsq_result = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
inv_ex_result = return_type("linalg_inv_ex", ("inverse", "info"))
solve_ex_result = return_type("linalg_solve_ex", ("result", "info"))
cholesky_ex_result = return_type("linalg_cholesky_ex", ("L", "info"))


# --------------------------------------------------------------------------- checks


def check_float(op: str, *tensors: Tensor) -> None:
    """PyTorch's decompositions take float32/float64 only: ints, bools and half precision are refused."""
    for x in tensors:
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
        if x._dtype not in (_dt.float32, _dt.float64):
            raise RuntimeError(
                f"{op}: expected a float32 or float64 tensor, got {x._dtype.name} (shape {x._shape}); "
                f"cast it first, e.g. with .double()"
            )


def check_matrix(op: str, x: Tensor, *, square: bool = False) -> None:
    check_float(op, x)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: the input must have at least 2 dimensions, got shape {x._shape}")
    if square and x._shape[-1] != x._shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {x._shape[-2]} by {x._shape[-1]} matrices "
            f"(shape {x._shape})"
        )


def _eye_like(x: Tensor, n: int) -> Tensor:
    from .creation import eye

    return eye(n, dtype=x._dtype, device=x._device)


# --------------------------------------------------------------------------- running a multi-output primitive


def _run_many(
    op: Op,
    device: Device,
    natives: Sequence[Any],
    dtypes: Sequence[DType],
    inputs: Sequence[Any],
    args: tuple[Any, ...] = (),
) -> tuple[Tensor, ...]:
    """Run a kernel that returns several arrays. The node keeps `args` and the outputs' data
    (``node.args``); the derivative gets the outputs back, connected to the node, from `_outputs`."""
    refuse_complex(op.name, *inputs)
    if len(inputs) > 1:
        same_device(op.name, inputs)
    datas = kernel(op, device)(*natives)
    outs = tuple(wrap(d, tuple(d.shape), dt, device) for d, dt in zip(datas, dtypes))
    if op.vjp is not None and needs_grad(inputs):
        record(op, inputs, outs, (args, tuple((o._data, o._shape, o._dtype) for o in outs), device))
    return outs


def _outputs(n: Any) -> tuple[Tensor, ...]:
    """The outputs of a `_run_many` node as tensors whose grad_fn is the node (so double backward reaches it)."""
    _, saved, device = n.args
    outs = []
    for i, (data, shape, dtype) in enumerate(saved):
        t = wrap(data, shape, dtype, device)
        if dtype.is_floating_point:
            t._requires_grad = True
            t.grad_fn = n
            t._output_nr = i
        outs.append(t)
    return tuple(outs)


def _raise_info(op: str, info: Tensor, message: str) -> None:
    """Raise LinAlgError for the first matrix whose LAPACK info is nonzero (`message` formats it)."""
    if info.numel() == 0:
        return
    flat = info.reshape(-1).tolist()
    for i, v in enumerate(flat):
        if v:
            where = f"(Batch element {i}): " if info.ndim else ""
            raise LinAlgError(f"{op}: {where}{message.format(info=v)}")


# --------------------------------------------------------------------------- slogdet, det, logdet


def _slogdet_vjp(n: Any, g_sign: Any, g_logabsdet: Any) -> tuple[Any]:
    if g_logabsdet is None:
        return (None,)
    a = n[0]
    return (g_logabsdet.unsqueeze(-1).unsqueeze(-1) * _inv_unchecked(a).mT,)


SLOGDET = primitive(
    "linalg_slogdet",
    "linalg_slogdet(a: array (*, n, n)) -> (sign: array (*,), logabsdet: array (*,))",
    "The sign (-1, 0 or 1) and the log of the absolute value of the determinant of each matrix, in a's "
    "floating dtype (a singular matrix: sign 0, logabsdet -inf). Through LU; xp.linalg.slogdet.",
    family="linalg",
    vjp=_slogdet_vjp,
    save_inputs=True,
)


def _slogdet(op: str, A: Tensor) -> tuple[Tensor, Tensor]:
    check_matrix(op, A, square=True)
    sign, logabsdet = _run_many(SLOGDET, A._device, (A._data,), (A._dtype, A._dtype), (A,))
    return sign, logabsdet


@public(method=True)
def slogdet(input: Tensor) -> Any:  # noqa: A002
    """(sign, logabsdet) of the determinant of each square matrix: stable where det under/overflows."""
    return slogdet_result(*_slogdet("slogdet", input))


@public(name="slogdet", namespace="linalg")
def linalg_slogdet(A: Tensor) -> Any:
    """(sign, logabsdet) of the determinant of each square matrix: stable where det under/overflows."""
    return linalg_slogdet_result(*_slogdet("linalg.slogdet", A))


def _det_impl(A: Tensor) -> Tensor:
    sign, logabsdet = _run_many(SLOGDET, A._device, (A._data,), (A._dtype, A._dtype), ())
    return sign * logabsdet.exp()


def _det_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    """g * adj(A)^T: det(A) A^-T, or through the SVD where some matrix is singular (as PyTorch), with
    adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh."""
    a, d = n[0], n.out
    g2 = g.unsqueeze(-1).unsqueeze(-1)
    if not bool((d == 0).any().item()):
        return (g2 * d.unsqueeze(-1).unsqueeze(-1) * _inv_unchecked(a).mT,)
    u, s, vh = _svd("linalg.det", a, False)
    k = s._shape[-1]
    eye = _eye_like(s, k)
    others = (s.unsqueeze(-2) * (1 - eye) + eye).prod(-1)  # prod over j != i of s_j, no division
    signs = _det_impl(u) * _det_impl(vh)
    return (g2 * signs.unsqueeze(-1).unsqueeze(-1) * matmul(u * others.unsqueeze(-2), vh),)


DET = composite(
    "linalg_det",
    "linalg_det(a: array (*, n, n)) -> array (*,)",
    "The determinant of each matrix (from linalg_slogdet: sign * exp(logabsdet)).",
    family="linalg",
    impl=_det_impl,
    vjp=_det_vjp,
    save_inputs=True,
    save_out=True,
)


def _det(op: str, A: Tensor) -> Tensor:
    check_matrix(op, A, square=True)
    return _custom(DET, (A,), ())


@public(method=True)
def det(input: Tensor) -> Tensor:  # noqa: A002
    """The determinant of each square matrix (batched over leading dims)."""
    return _det("det", input)


@public(name="det", namespace="linalg")
def linalg_det(A: Tensor) -> Tensor:
    """The determinant of each square matrix (batched over leading dims)."""
    return _det("linalg.det", A)


@public(method=True)
def logdet(input: Tensor) -> Tensor:  # noqa: A002
    """log(det(A)): nan where the determinant is negative, -inf where it is zero."""
    sign, logabsdet = _slogdet("logdet", input)
    return logabsdet + sign.log()


# --------------------------------------------------------------------------- inv


def _inv_vjp(n: Any, g: Any, g_info: Any = None) -> tuple[Any]:
    x = _outputs(n)[0]
    xt = x.mT
    return (-matmul(matmul(xt, g), xt),)


INV = primitive(
    "linalg_inv",
    "linalg_inv(a: array (*, n, n)) -> (inverse: array (*, n, n), info: array (*,) of int32)",
    "The inverse of each matrix, and LAPACK's info per matrix: 0, or the 1-based index of the first zero "
    "pivot of its LU factorization (then the inverse may hold anything, e.g. nan). xp.linalg.inv.",
    family="linalg",
    vjp=_inv_vjp,
)


def _inv(A: Tensor) -> tuple[Tensor, Tensor]:
    inverse, info = _run_many(INV, A._device, (A._data,), (A._dtype, _dt.int32), (A,))
    return inverse, info


def _inv_unchecked(A: Tensor) -> Tensor:
    return _inv(A)[0]


_SINGULAR = (
    "The diagonal element {info} is zero, the inversion could not be completed because the input matrix is singular."
)


def _inverse(op: str, A: Tensor) -> Tensor:
    check_matrix(op, A, square=True)
    inverse, info = _inv(A)
    _raise_info(op, info, _SINGULAR)
    return inverse


@public(name="inv", namespace="linalg")
def linalg_inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix; LinAlgError for a singular one."""
    return _inverse("linalg.inv", A)


@public(method=True)
def inverse(input: Tensor) -> Tensor:  # noqa: A002
    """The inverse of each square matrix (torch.inverse, as linalg.inv)."""
    return _inverse("inverse", input)


@public(namespace="linalg")
def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """(inverse, info): LAPACK's info per matrix (0: inverted) instead of an error, unless check_errors."""
    check_matrix("linalg.inv_ex", A, square=True)
    inverse, info = _inv(A)
    if check_errors:
        _raise_info("linalg.inv_ex", info, _SINGULAR)
    return inv_ex_result(inverse, info)


# --------------------------------------------------------------------------- solve


def _solve_vjp(n: Any, g: Any, g_info: Any = None) -> tuple[Any, Any]:
    a = n[0]
    x = _outputs(n)[0]
    gb = _solve_unchecked(a.mT, g)
    ga = -matmul(gb, x.mT) if n.needs(0) else None
    return ga, gb


SOLVE = primitive(
    "linalg_solve",
    "linalg_solve(a: array (*, n, n), b: array (*, n, k)) -> (x: array (*, n, k), info: array (*,) of int32)",
    "x with a @ x = b for each matrix (a and b have the same batch shape and dtype), and LAPACK's info as "
    "for inv. xp.linalg.solve.",
    family="linalg",
    vjp=_solve_vjp,
    save_inputs=True,
)


def _solve_unchecked(A: Tensor, B: Tensor) -> Tensor:
    x, _ = _run_many(SOLVE, A._device, (A._data, B._data), (A._dtype, _dt.int32), (A, B))
    return x


def _solve(op: str, A: Tensor, B: Tensor, left: bool) -> tuple[Tensor, Tensor]:
    check_matrix(op, A, square=True)
    check_float(op, B)
    same_device(op, (A, B))
    if B._dtype is not A._dtype:
        raise RuntimeError(f"{op}: expected A and B of one dtype, got {A._dtype.name} and {B._dtype.name}")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        if B.ndim < 2:
            raise RuntimeError(
                f"{op}: Incompatible shapes of A and B for the equation XA = B: B must be a matrix (or batch of "
                f"them) when left=False, got A of shape {A._shape} and B of shape {B._shape}"
            )
        x, info = _solve(op, A.mT, B.mT, True)
        return x.mT, info
    n = A._shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B._shape == A._shape[:-1])
    B2 = B.unsqueeze(-1) if vector else B
    if B2.ndim < 2 or B2._shape[-2] != n:
        rows, cols = (B._shape[-1], 1) if vector else (B2._shape[-2] if B2.ndim >= 2 else 0, B2._shape[-1])
        raise RuntimeError(
            f"{op}: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {rows}x{cols}); "
            f"A has shape {A._shape}, B has shape {B._shape}"
        )
    from ._run import broadcast_shapes_for

    batch = broadcast_shapes_for(op, A._shape[:-2], B2._shape[:-2])
    A2 = A.expand(*batch, n, n) if A._shape[:-2] != batch else A
    B2 = B2.expand(*batch, *B2._shape[-2:]) if B2._shape[:-2] != batch else B2
    x, info = _run_many(SOLVE, A._device, (A2._data, B2._data), (A._dtype, _dt.int32), (A2, B2))
    return (x.squeeze(-1) if vector else x), info


@public(namespace="linalg")
def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (or X A = B with left=False), batched and broadcast; B may be a (batch of) vector(s)."""
    x, info = _solve("linalg.solve", A, B, left)
    _raise_info("linalg.solve", info, "The solver failed because the input matrix is singular.")
    return x


@public(namespace="linalg")
def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """(result, info) of linalg.solve: LAPACK's info per matrix instead of an error, unless check_errors."""
    x, info = _solve("linalg.solve_ex", A, B, left)
    if check_errors:
        _raise_info("linalg.solve_ex", info, "The solver failed because the input matrix is singular.")
    return solve_ex_result(x, info)


@public(namespace="linalg")
def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False) -> Tensor:
    """X with A X = B (X A = B with left=False) for triangular A: only A's upper (or lower) triangle is read,
    its diagonal taken as ones with `unitriangular`; B is a (batch of) matrix, never a vector. A zero on the
    diagonal gives inf/nan, not an error (as PyTorch)."""
    from .movement import diagonal, tril, triu

    op = "linalg.solve_triangular"
    check_matrix(op, A, square=True)
    check_matrix(op, B)
    check_float(op, A, B)
    if A._dtype is not B._dtype:  # PyTorch promotes here (linalg.solve does not)
        common = _dt.promote_types(A._dtype, B._dtype)
        A, B = A.to(common), B.to(common)
    T = triu(A) if upper else tril(A)
    if unitriangular:
        T = T - diag_embed(diagonal(T, 0, -2, -1)) + _eye_like(T, T._shape[-1])
    return _solve(op, T, B, left)[0]


# --------------------------------------------------------------------------- cholesky


def _cholesky_vjp(n: Any, g: Any, g_info: Any = None) -> tuple[Any]:
    L = _outputs(n)[0]
    t = matmul(L.mT, g).tril()
    m = 0.5 * (t + t.tril(-1).mT)  # symmetric, with the lower triangle's diagonal halved
    linv = _inv_unchecked(L)
    return (matmul(matmul(linv.mT, m), linv),)


CHOLESKY = primitive(
    "linalg_cholesky",
    "linalg_cholesky(a: array (*, n, n)) -> (L: array (*, n, n), info: array (*,) of int32)",
    "The lower Cholesky factor L (a = L @ L.T) of each symmetric positive-definite matrix, read from a's lower "
    "triangle, and LAPACK's info per matrix: 0, or the order of the first leading minor that is not "
    "positive-definite (then L may hold anything). xp.linalg.cholesky.",
    family="linalg",
    vjp=_cholesky_vjp,
)


def _cholesky_info(op: str, A: Tensor, upper: bool, check_errors: bool) -> tuple[Tensor, Tensor]:
    check_matrix(op, A, square=True)
    L, info = _run_many(CHOLESKY, A._device, (A._data,), (A._dtype, _dt.int32), (A,))
    if check_errors:
        _raise_info(
            op,
            info,
            "The factorization could not be completed because the input is not positive-definite "
            "(the leading minor of order {info} is not positive-definite).",
        )
    return (L.mT if upper else L), info


def _cholesky(op: str, A: Tensor, upper: bool) -> Tensor:
    return _cholesky_info(op, A, upper, True)[0]


@public(namespace="linalg")
def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """(L, info): the Cholesky factor and LAPACK's info per matrix (0: done, k: the leading minor of order k
    is not positive-definite) instead of an error, unless check_errors."""
    return cholesky_ex_result(*_cholesky_info("linalg.cholesky_ex", A, upper, check_errors))


@public(name="cholesky", namespace="linalg")
def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix: lower L (A = L L^T), or upper U = L^T."""
    return _cholesky("linalg.cholesky", A, upper)


@public(method=True)
def cholesky(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """The Cholesky factor of each symmetric positive-definite matrix (torch.cholesky: `upper` positional)."""
    return _cholesky("cholesky", input, upper)


@public(method=True)
def cholesky_solve(input: Tensor, input2: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """X with A X = B (`input`) for A = L L^T (U^T U with `upper`) given its Cholesky factor `input2`: two
    triangular solves."""
    lower = input2.mT if upper else input2
    return solve_triangular(lower.mT, solve_triangular(lower, input, upper=False), upper=True)


@public(method=True)
def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:  # noqa: A002
    """The inverse of A = L L^T (U^T U with `upper`) from its Cholesky factor `input`."""
    check_matrix("cholesky_inverse", input, square=True)
    return cholesky_solve(_eye_like(input, input._shape[-1]).expand(*input._shape), input, upper)


@public(namespace="linalg")
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A for tensordot(A, X, ind): A read as a (prod(shape[:ind]), prod(shape[ind:])) square
    matrix, its inverse shaped shape[ind:] + shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"linalg.tensorinv: Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A._shape[:ind]), math.prod(A._shape[ind:])
    if rows != cols:
        raise RuntimeError(
            f"linalg.tensorinv: Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows} (shape {A._shape}, ind={ind})"
        )
    return _inverse("linalg.tensorinv", A.reshape(rows, cols)).reshape(*A._shape[ind:], *A._shape[:ind])


@public(namespace="linalg")
def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B: A read as a (B.numel(), prod(A.shape[B.ndim:])) matrix; `dims`
    are A's dims moved to the end first."""
    from .movement import movedim

    if dims is not None:
        A = movedim(A, tuple(dims), tuple(range(A.ndim - len(dims), A.ndim)))
    xshape = A._shape[B.ndim :]
    n = math.prod(xshape)
    if A._shape[: B.ndim] != B._shape or B.numel() != n:
        raise RuntimeError(
            f"linalg.tensorsolve: Expected self to satisfy the requirement prod(result_shape) == prod(B.shape), "
            f"got A of shape {A._shape} and B of shape {B._shape}"
        )
    return solve(A.reshape(n, n), B.reshape(n)).reshape(*xshape)


# --------------------------------------------------------------------------- qr


def _qr_vjp(n: Any, gq: Any, gr: Any) -> tuple[Any]:
    (complete,) = n.args[0]
    q, r = _outputs(n)
    m, ncols = q._shape[-2], r._shape[-1]
    if complete and m > ncols:
        raise NotImplementedError(
            f"linalg.qr: the derivative of the complete QR of a matrix with more rows than columns ({m}x{ncols}) is "
            f"not defined (Q's extra columns are arbitrary); use mode='reduced'"
        )
    if m < ncols:  # A = [X Y] with X square: X = Q R1 and Y = Q R2
        from .movement import cat

        r1, r2 = r[..., :, :m], r[..., :, m:]
        gy = matmul(q, gr[..., :, m:]) if gr is not None else None
        gq2 = gq
        if gr is not None:
            gq2 = (
                matmul(_wide_rest(n), gr[..., :, m:].mT)
                if gq is None
                else gq + matmul(_wide_rest(n), gr[..., :, m:].mT)
            )
        (gx,) = _qr_square_vjp(q, r1, gq2, gr[..., :, :m] if gr is not None else None)
        if gx is None and gy is None:
            return (None,)
        from .creation import zeros_like

        gx = gx if gx is not None else zeros_like(r1)
        gy = gy if gy is not None else zeros_like(r2)
        return (cat([gx, gy], -1),)
    return _qr_square_vjp(q, r, gq, gr)


def _wide_rest(n: Any) -> Tensor:
    """The columns of a wide QR's input past the square part (Y = Q R2), rebuilt from the saved outputs."""
    q, r = _outputs(n)
    return matmul(q, r[..., :, q._shape[-2] :])


def _qr_square_vjp(q: Tensor, r: Tensor, gq: Any, gr: Any) -> tuple[Any]:
    # A = QR, m >= n: gA = (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q
    mm = 0
    if gr is not None:
        mm = matmul(r, gr.mT)
    if gq is not None:
        mm = mm - matmul(gq.mT, q)
    if isinstance(mm, int):
        return (None,)
    sym = mm.tril() + mm.tril(-1).mT
    b = matmul(q, sym)
    if gq is not None:
        b = b + gq
    return (_solve_unchecked(r, b.mT).mT,)  # b R^{-T} = (R^{-1} b^T)^T


QR = primitive(
    "linalg_qr",
    "linalg_qr(a: array (*, m, n), complete: bool) -> (Q: array (*, m, k), R: array (*, k, n))",
    "The QR decomposition of each matrix (Householder, LAPACK's signs): k = min(m, n), or k = m when "
    "complete. xp.linalg.qr(mode='reduced' | 'complete').",
    family="linalg",
    vjp=_qr_vjp,
)


def _qr(op: str, A: Tensor, mode: str) -> Any:
    check_matrix(op, A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"{op}: qr received unrecognized mode {mode!r} but expected one of 'reduced', 'complete', 'r'"
        )
    complete = mode == "complete"
    q, r = _run_many(QR, A._device, (A._data, complete), (A._dtype, A._dtype), (A,), (complete,))
    if mode == "r":
        from .creation import empty

        q = empty(0, dtype=A._dtype, device=A._device)
    return (linalg_qr_result if op == "linalg.qr" else qr_result)(q, r)


@public(name="qr", namespace="linalg")
def linalg_qr(A: Tensor, mode: str = "reduced") -> Any:
    """(Q, R) with A = Q R, Q with orthonormal columns, R upper triangular; mode 'reduced', 'complete' or 'r'."""
    return _qr("linalg.qr", A, mode)


@public(method=True)
def qr(input: Tensor, some: bool = True) -> Any:  # noqa: A002
    """(Q, R) with A = Q R (torch.qr: the reduced decomposition when `some`, else the complete one)."""
    return _qr("qr", input, "reduced" if some else "complete")


# --------------------------------------------------------------------------- svd


def _svd_vjp(n: Any, gu: Any, gs: Any, gvh: Any) -> tuple[Any]:
    (full,) = n.args[0]
    u, s, vh = _outputs(n)
    m, ncols = u._shape[-2], vh._shape[-1]
    k = s._shape[-1]
    if full:  # the columns beyond k are arbitrary (any orthonormal completion): only the first k count, as PyTorch
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu = gu[..., :, :k] if gu is not None else None
        gvh = gvh[..., :k, :] if gvh is not None else None
    v = vh.mT
    if gu is None and gvh is None:  # singular values only: well defined even when some are equal
        if gs is None:
            return (None,)
        return (matmul(u * gs.unsqueeze(-2), vh),)
    # Townsend's formula (real case), F_ij = 1 / (s_j^2 - s_i^2) off the diagonal
    s2 = s * s
    diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)
    eye = _eye_like(s, k)
    f = (1 - eye) / (diff + eye)
    inner = diag_embed(gs) if gs is not None else 0
    s_row = s.unsqueeze(-2)  # scales columns
    s_col = s.unsqueeze(-1)  # scales rows
    if gu is not None:
        ut_gu = matmul(u.mT, gu)
        inner = inner + f * (ut_gu - ut_gu.mT) * s_row
    if gvh is not None:
        gv = gvh.mT
        vt_gv = matmul(v.mT, gv)
        inner = inner + s_col * (f * (vt_gv - vt_gv.mT))
    ga = matmul(matmul(u, inner), vh)
    if gu is not None and m > k:
        proj = gu - matmul(u, matmul(u.mT, gu))
        ga = ga + matmul(proj / s_row, vh)
    if gvh is not None and ncols > k:
        gv = gvh.mT
        proj = gv - matmul(v, matmul(v.mT, gv))
        ga = ga + matmul(u / s_row, proj.mT)
    return (ga,)


SVD = primitive(
    "linalg_svd",
    "linalg_svd(a: array (*, m, n), full_matrices: bool) -> (U: array (*, m, k), S: array (*, k), Vh: array (*, k, n))",
    "a = U @ diag(S) @ Vh with S descending and non-negative (LAPACK's gesdd signs); k = min(m, n), and U "
    "(m, m), Vh (n, n) when full_matrices. xp.linalg.svd.",
    family="linalg",
    vjp=_svd_vjp,
)


def _svd(op: str, A: Tensor, full_matrices: bool) -> tuple[Tensor, Tensor, Tensor]:
    check_matrix(op, A)
    u, s, vh = _run_many(SVD, A._device, (A._data, full_matrices), (A._dtype,) * 3, (A,), (full_matrices,))
    return u, s, vh


@public(name="svd", namespace="linalg")
def linalg_svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> Any:
    """(U, S, Vh) with A = U diag(S) Vh, S descending; U and Vh square when full_matrices (the default)."""
    return svd_result(*_svd("linalg.svd", A, full_matrices))


@public(method=True)
def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:  # noqa: A002
    """(U, S, V) with A = U diag(S) V^T (torch.svd: V, not Vh; reduced when `some`; zeros for U, V without compute_uv)."""
    if not compute_uv:  # PyTorch: zero-filled (m, m) and (n, n) U and V, `some` ignored
        from .creation import zeros

        u, s, vh = _svd("svd", input, False)
        batch, (m, n) = input._shape[:-2], input._shape[-2:]
        z = [zeros(*batch, k, k, dtype=input._dtype, device=input._device) for k in (m, n)]
        return svd_uv_result(z[0], s, z[1])
    u, s, vh = _svd("svd", input, not some)
    return svd_uv_result(u, s, vh.mT)


@public(namespace="linalg")
def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values of each matrix, descending (differentiable even when some are equal)."""
    return _svd("linalg.svdvals", A, False)[1]


# --------------------------------------------------------------------------- eigh


def _eigh_vjp(n: Any, gl: Any, gq: Any) -> tuple[Any]:
    w, q = _outputs(n)
    inner = diag_embed(gl) if gl is not None else 0
    if gq is not None:
        k = w._shape[-1]
        eye = _eye_like(w, k)
        diff = w.unsqueeze(-2) - w.unsqueeze(-1)  # E_ij = w_j - w_i
        inner = inner + matmul(q.mT, gq) * ((1 - eye) / (diff + eye))
    if isinstance(inner, int):
        return (None,)
    return (matmul(matmul(q, inner), q.mT),)


EIGH = primitive(
    "linalg_eigh",
    "linalg_eigh(a: array (*, n, n), upper: bool) -> (eigenvalues: array (*, n), eigenvectors: array (*, n, n))",
    "The eigenvalues (ascending) and orthonormal eigenvectors (columns) of each symmetric matrix, read from a's "
    "lower triangle (upper when `upper`). xp.linalg.eigh(UPLO='L' | 'U').",
    family="linalg",
    vjp=_eigh_vjp,
)


def _eigh(op: str, A: Tensor, UPLO: str) -> tuple[Tensor, Tensor]:
    check_matrix(op, A, square=True)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{op}: UPLO must be 'L' or 'U', got {UPLO!r}")
    upper = UPLO == "U"
    w, q = _run_many(EIGH, A._device, (A._data, upper), (A._dtype, A._dtype), (A,), (upper,))
    return w, q


@public(namespace="linalg")
def eigh(A: Tensor, UPLO: str = "L") -> Any:
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix (reads the UPLO triangle)."""
    return eigh_result(*_eigh("linalg.eigh", A, UPLO))


@public(namespace="linalg")
def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of each symmetric matrix, ascending."""
    return _eigh("linalg.eigvalsh", A, UPLO)[0]


# --------------------------------------------------------------------------- composites with their own derivative


def _custom(op: Op, inputs: tuple[Tensor, ...], args: tuple[Any, ...]) -> Tensor:
    """A composite with its own derivative: a backend's kernel, else its decomposition run without recording
    (so its derivative, not the decomposition's, is used)."""
    x = inputs[0]
    k = kernel(op, x._device)
    if k is not None:
        out = k(*[t._data for t in inputs], *args)
        res = wrap(out, tuple(out.shape), x._dtype, x._device)
    else:
        assert op.impl is not None
        with grad_mode.no_grad():
            res = op.impl(*inputs, *args)
    maybe_record(op, inputs, res, args)
    return res


def _tolerance(S: Tensor, atol: Any, rtol: Any, n: int) -> Tensor:
    """max(atol, rtol * the largest singular value) per matrix, shaped (*, 1) to compare with S (*, k).

    PyTorch's defaults: rtol = eps * max(m, n), or 0 where atol is given and positive; tensor
    tolerances broadcast over the batch dims."""
    from .elementwise import maximum, where

    smax = S.amax(-1, keepdim=True) if S._shape[-1] else S.sum(-1, keepdim=True)
    atol = atol.unsqueeze(-1) if isinstance(atol, Tensor) else atol
    if rtol is None:
        default = _dt_eps(S._dtype) * n
        rtol = (
            where(atol > 0, 0.0, default) if isinstance(atol, Tensor) else (default if not atol or atol <= 0 else 0.0)
        )
    elif isinstance(rtol, Tensor):
        rtol = rtol.unsqueeze(-1)
    tol = smax * rtol
    return maximum(tol, atol if isinstance(atol, Tensor) else tol * 0 + atol) if atol is not None else tol


def _pinv_impl(A: Tensor, atol: Any, rtol: Any, hermitian: bool) -> Tensor:
    from .elementwise import where

    m, n = A._shape[-2], A._shape[-1]
    if hermitian:
        w, q = _eigh("linalg.pinv", A, "L")
        aw = w.abs()
        tol = _tolerance(aw, atol, rtol, n)
        winv = where(aw > tol, 1 / w, 0.0)
        return matmul(q * winv.unsqueeze(-2), q.mT)
    u, s, vh = _svd("linalg.pinv", A, False)
    tol = _tolerance(s, atol, rtol, max(m, n))
    sinv = where(s > tol, 1 / s, 0.0)
    return matmul(vh.mT * sinv.unsqueeze(-2), u.mT)


def _pinv_vjp(n: Any, g: Tensor) -> tuple[Any]:
    a, p = n[0], n.out
    m, ncols = a._shape[-2], a._shape[-1]
    ph, gh = p.mT, g.mT
    if m <= ncols:
        k = matmul(gh, p)
        kph = matmul(k, ph)
        ga = -matmul(p, k).mT + kph - matmul(matmul(a, p), kph) + matmul(matmul(ph, p), gh - matmul(k, a))
    else:
        k = matmul(p, gh)
        phk = matmul(ph, k)
        ga = -matmul(k, p).mT + matmul(matmul(gh - matmul(a, k), p), ph) + phk - matmul(matmul(phk, p), a)
    return (ga,)


PINV = composite(
    "linalg_pinv",
    "linalg_pinv(a: array (*, m, n), atol: float | None, rtol: float | None, hermitian: bool) -> array (*, n, m)",
    "The Moore-Penrose pseudo-inverse from the SVD (the eigendecomposition when hermitian), singular values "
    "at or below max(atol, rtol * largest) treated as zero.",
    family="linalg",
    impl=_pinv_impl,
    vjp=_pinv_vjp,
    save_inputs=True,
    save_out=True,
)


def _pinv(op: str, A: Tensor, atol: Any, rtol: Any, hermitian: bool) -> Tensor:
    check_matrix(op, A, square=hermitian)
    if isinstance(atol, Tensor) or isinstance(rtol, Tensor):  # tensor tolerances: no kernel, plain composite
        return _pinv_impl(A, atol, rtol, hermitian)
    return _custom(PINV, (A,), (atol, rtol, hermitian))


@public(namespace="linalg")
def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix (singular values below max(atol, rtol * max) dropped)."""
    return _pinv("linalg.pinv", A, atol, rtol, hermitian)


@public(method=True)
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """The pseudo-inverse (torch.pinverse: singular values below rcond * the largest are dropped)."""
    return _pinv("pinverse", input, None, rcond, False)


@public(namespace="linalg")
def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None, rtol: Any = None) -> Tensor:
    """The number of singular values above max(atol, rtol * the largest) per matrix, as int64. `tol` is
    PyTorch's older form: atol=tol, rtol=0."""
    if tol is not None:
        if atol is not None or rtol is not None:
            raise RuntimeError("linalg.matrix_rank: pass either tol or atol/rtol, not both")
        atol, rtol = tol, 0.0
    check_matrix("linalg.matrix_rank", A, square=hermitian)
    with grad_mode.no_grad():
        s = _eigh("linalg.matrix_rank", A, "L")[0].abs() if hermitian else _svd("linalg.matrix_rank", A, False)[1]
        t = _tolerance(s, atol, rtol, max(A._shape[-2], A._shape[-1]))
        return (s > t).sum(-1)


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@public(namespace="linalg")
def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> Any:
    """(solution, residuals, rank, singular_values) of min ||A X - B|| (the minimum-norm solution, via the
    pseudo-inverse), with PyTorch's CPU conventions per driver: residuals (squared) when m > n and every
    matrix has full rank (not with 'gelsy', the default), rank except with 'gels', singular values with
    'gelsd' and 'gelss'."""
    op = "linalg.lstsq"
    check_matrix(op, A)
    check_float(op, B)
    same_device(op, (A, B))
    driver = driver or "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of {_DRIVERS}, got {driver!r}")
    if B._dtype is not A._dtype:
        raise RuntimeError(f"{op}: expected A and B of one dtype, got {A._dtype.name} and {B._dtype.name}")
    vector = B.ndim == A.ndim - 1
    B2 = B.unsqueeze(-1) if vector else B
    m, n = A._shape[-2], A._shape[-1]
    if B2.ndim < 2 or B2._shape[-2] != m:
        raise RuntimeError(f"{op}: input.size(-2) should match other.size(-2), got A {A._shape} and B {B._shape}")
    from .creation import empty

    rtol = rcond if rcond is not None and rcond > 0 else _dt_eps(A._dtype) * max(m, n)
    x = matmul(_pinv(op, A, None, rtol, False), B2)
    with grad_mode.no_grad():
        s = _svd(op, A, False)[1] if driver != "gels" else None
        rank = (s > _tolerance(s, None, rtol, max(m, n))).sum(-1) if s is not None else None
    residuals = empty(0, dtype=A._dtype, device=A._device)
    if driver != "gelsy" and m > n and (rank is None or bool((rank == n).all().item())):
        residuals = ((matmul(A, x) - B2) ** 2).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    sv = s if driver in ("gelsd", "gelss") and s is not None else empty(0, dtype=A._dtype, device=A._device)
    rk = rank if rank is not None else empty(0, dtype=_dt.int64, device=A._device)
    return lstsq_result(x.squeeze(-1) if vector else x, residuals, rk, sv)


def _dt_eps(dtype: DType) -> float:
    return 1.1920928955078125e-07 if dtype is _dt.float32 else 2.220446049250313e-16


# --------------------------------------------------------------------------- matrix_exp

# Pade [13/13] coefficients and the 1-norm bound below which it is accurate (Higham 2005).
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
    10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip
_THETA13 = 5.371920351148152


def _matrix_exp_impl(A: Tensor) -> Tensor:
    n = A._shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm1 = float(A.abs().sum(-2).amax().item())  # the largest 1-norm over the batch
    s = max(0, math.ceil(math.log2(norm1 / _THETA13))) if norm1 > _THETA13 else 0
    a = A / (2.0**s) if s else A
    b = _PADE13
    eye = _eye_like(A, n)
    a2 = matmul(a, a)
    a4 = matmul(a2, a2)
    a6 = matmul(a4, a2)
    u = matmul(a, matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = _solve_unchecked(v - u, v + u)
    for _ in range(s):
        r = matmul(r, r)
    return r


def _matrix_exp_vjp(n: Any, g: Tensor) -> tuple[Tensor]:
    # d<g, exp(A)> = the upper-right block of exp([[A^T, g], [0, A^T]])
    from .creation import zeros_like
    from .movement import cat

    at = n[0].mT
    k = at._shape[-1]
    top = cat([at, g], -1)
    bottom = cat([zeros_like(at), at], -1)
    big = matrix_exp(cat([top, bottom], -2))
    return (big[..., :k, k:],)


MATRIX_EXP = composite(
    "linalg_matrix_exp",
    "linalg_matrix_exp(a: array (*, n, n)) -> array (*, n, n)",
    "The matrix exponential of each square matrix (scaling and squaring with a Pade [13/13] approximant).",
    family="linalg",
    impl=_matrix_exp_impl,
    vjp=_matrix_exp_vjp,
    save_inputs=True,
)


def _matrix_exp(op: str, A: Tensor) -> Tensor:
    check_matrix(op, A, square=True)
    return _custom(MATRIX_EXP, (A,), ())


@public(method=True)
def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential exp(A) = sum_k A^k / k! of each square matrix."""
    return _matrix_exp("matrix_exp", A)


@public(name="matrix_exp", namespace="linalg")
def linalg_matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential exp(A) = sum_k A^k / k! of each square matrix."""
    return _matrix_exp("linalg.matrix_exp", A)


# --------------------------------------------------------------------------- cond


@public(namespace="linalg")
def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ||A||_p ||A^-1||_p of each matrix: from the singular values for p None, 2, -2
    (any shape) and 'nuc'; through the inverse for 'fro', 1, -1, inf, -inf (square; inf where singular)."""
    from .creation import zeros
    from .linalg import matrix_norm
    from .reduction import amax, amin, where
    from .reduction import sum as _sum

    op = "linalg.cond"
    check_matrix(op, A, square=p not in (None, 2, -2))
    check_float(op, A)
    if A.numel() == 0:
        return zeros(A._shape[:-2], dtype=A._dtype, device=A._device)
    if p in (None, 2, -2, "nuc"):
        s = svdvals(A)
        if p == "nuc":
            return _sum(s, -1) * _sum(1 / s, -1)
        ratio = amax(s, -1) / amin(s, -1)
        return 1 / ratio if p == -2 else ratio
    if p not in ("fro", 1, -1, math.inf, -math.inf):
        raise RuntimeError(f"{op}: got an invalid norm type {p!r}; use None, 2, -2, 'fro', 'nuc', 1, -1, inf or -inf")
    inverse, info = _inv(A)
    out = matrix_norm(A, p) * matrix_norm(inverse, p)
    return where(info > 0, math.inf, out)


# --------------------------------------------------------------------------- LU
# Gaussian elimination with partial pivoting (LAPACK's getrf: the first largest |pivot|, whole rows swapped)
# written with tensor ops, one column a step: batched, on every backend, and differentiable through autograd.

lu_factor_result = return_type("linalg_lu_factor", ("LU", "pivots"))
lu_factor_ex_result = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
lu_result = return_type("linalg_lu", ("P", "L", "U"))


def _lu_steps(op: str, A: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(LU packed as getrf's, pivots (1-based, int32), info (int32), perm: row i of L U is A's row perm[i])."""
    from .creation import arange, zeros
    from .indexing import gather
    from .movement import cat, stack
    from .reduction import argmax, where

    check_matrix(op, A)
    check_float(op, A)
    m, n = A._shape[-2], A._shape[-1]
    batch = A._shape[:-2]
    rows = arange(m, device=A._device)
    perm = rows.expand(*batch, m)
    info = zeros(batch, dtype=_dt.int32, device=A._device)
    U, pivots = A, []
    for k in range(min(m, n)):
        p = argmax(U[..., k:, k].abs(), -1) + k
        pivots.append(p)
        swap = where(rows == k, p.unsqueeze(-1), where(rows == p.unsqueeze(-1), k, rows))  # (*, m)
        U = gather(U, -2, swap.unsqueeze(-1).expand(*batch, m, n))
        perm = gather(perm, -1, swap)
        piv = U[..., k : k + 1, k : k + 1]
        zero = piv == 0
        info = where((info == 0) & zero.reshape(batch), k + 1, info).to(_dt.int32)
        below = U[..., k + 1 :, :]
        lcol = where(zero, 0.0, below[..., :, k : k + 1] / where(zero, 1.0, piv))
        right = below[..., :, k + 1 :] - lcol * U[..., k : k + 1, k + 1 :]
        U = cat([U[..., : k + 1, :], cat([below[..., :, :k], lcol, right], -1)], -2)
    piv_t = stack(pivots, -1) if pivots else zeros((*batch, 0), dtype=_dt.int64, device=A._device)
    return U, (piv_t + 1).to(_dt.int32), info, perm


@public(namespace="linalg")
def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> Any:
    """(LU, pivots, info) of A = P L U as LAPACK's getrf packs them (L's unit diagonal implicit, pivots
    1-based, info the first zero pivot's 1-based index, 0 when none)."""
    op = "linalg.lu_factor_ex"
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU (as PyTorch); pass pivot=True")
    LU, pivots, info, _ = _lu_steps(op, A)
    if check_errors:
        _raise_info(op, info, "The factorization could not be completed because the input is singular.")
    return lu_factor_ex_result(LU, pivots, info)


@public(namespace="linalg")
def lu_factor(A: Tensor, *, pivot: bool = True) -> Any:
    """(LU, pivots) of A = P L U (see lu_factor_ex); an exactly singular square factor is an error."""
    op = "linalg.lu_factor"
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU (as PyTorch); pass pivot=True")
    LU, pivots, info, _ = _lu_steps(op, A)
    for v in info.reshape(-1).tolist():
        if v:
            raise RuntimeError(
                f"linalg.lu_factor: U[{v},{v}] is zero and using it on lu_solve would result in a division "
                f"by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) "
                f"or linalg.lu_factor_ex(A, pivot)"
            )
    return lu_factor_result(LU, pivots)


def _unpack(LU: Tensor, perm: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(P, L, U) with A = P L U from getrf's packed LU and the row permutation."""
    from .creation import arange
    from .movement import tril, triu

    m, n = LU._shape[-2], LU._shape[-1]
    k = min(m, n)
    L = tril(LU[..., :, :k], -1) + _eye_like(LU, m)[:, :k]
    U = triu(LU[..., :k, :])
    P = (perm.unsqueeze(-1) == arange(m, device=LU._device)).to(LU._dtype).mT  # P^T picks row perm[i]
    return P, L, U


@public(namespace="linalg")
def lu(A: Tensor, *, pivot: bool = True) -> Any:
    """(P, L, U) with A = P L U: P a permutation matrix, L (m, k) unit lower triangular, U (k, n) upper
    triangular, k = min(m, n); singular input is fine (U has a zero on its diagonal)."""
    op = "linalg.lu"
    if not pivot:
        raise RuntimeError(f"{op}: LU without pivoting is not implemented on the CPU (as PyTorch); pass pivot=True")
    LU, _, _, perm = _lu_steps(op, A)
    return lu_result(*_unpack(LU, perm))


def _perm_from_pivots(pivots: Tensor, m: int) -> Tensor:
    """The row permutation that getrf's 1-based `pivots` (row k swapped with pivots[k]) make of range(m)."""
    from .creation import arange
    from .indexing import gather
    from .reduction import where

    rows = arange(m, device=pivots._device)
    perm = rows.expand(*pivots._shape[:-1], m)
    for k in range(pivots._shape[-1]):
        p = pivots[..., k : k + 1].to(_dt.int64) - 1
        perm = gather(perm, -1, where(rows == k, p, where(rows == p, k, rows)))
    return perm


@public(name="lu_solve", namespace="linalg")
def linalg_lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False) -> Tensor:
    """X with A X = B (X A = B with left=False; A^H in A's place with `adjoint`) from lu_factor's (LU, pivots)."""
    op = "linalg.lu_solve"
    check_matrix(op, LU, square=True)
    check_matrix(op, B)
    same_device(op, (LU, pivots, B))
    n = LU._shape[-1]
    P, L, U = _unpack(LU, _perm_from_pivots(pivots, n))
    if not left:  # X A = B  <=>  A^H X^H = B^H (real: transposes)
        return linalg_lu_solve(LU, pivots, B.mT, left=True, adjoint=not adjoint).mT
    if adjoint:  # U^T L^T P^T X = B
        y = solve_triangular(L.mT, solve_triangular(U.mT, B, upper=False), upper=True, unitriangular=True)
        return matmul(P, y)
    y = solve_triangular(L, matmul(P.mT, B), upper=False, unitriangular=True)
    return solve_triangular(U, y, upper=True)


lu_unpack_result = return_type("lu_unpack", ("P", "L", "U"))
triangular_solve_result = return_type("triangular_solve", ("solution", "cloned_coefficient"))


@public
def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True) -> Any:
    """(P, L, U) with A = P L U from lu_factor's (LU, pivots); a part not unpacked is an empty tensor."""
    from .creation import empty

    check_matrix("lu_unpack", LU_data)
    P, L, U = _unpack(LU_data, _perm_from_pivots(LU_pivots, LU_data._shape[-2]))
    none = empty(0, dtype=LU_data._dtype, device=LU_data._device)
    return lu_unpack_result(P if unpack_pivots else none, L if unpack_data else none, U if unpack_data else none)


@public(method=True)
def lu_solve(input: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:  # noqa: A002
    """X with A X = input from lu_factor's (LU, pivots) (torch.lu_solve: b first; linalg.lu_solve's left form)."""
    return linalg_lu_solve(LU_data, LU_pivots, input)


@public(method=True)
def triangular_solve(input: Tensor, A: Tensor, upper: bool = True, transpose: bool = False, unitriangular: bool = False) -> Any:  # noqa: A002
    """(solution, cloned_coefficient) of A X = input (A^T X = input with `transpose`) for triangular A
    (torch.triangular_solve: upper by default; linalg.solve_triangular is the newer form)."""
    T = A.mT if transpose else A
    x = solve_triangular(T, input, upper=upper != transpose, unitriangular=unitriangular)
    return triangular_solve_result(x, A.clone())
