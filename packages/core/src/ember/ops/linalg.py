"""Matrix products: `matmul` (batched, with NumPy's 1-D rules), the products built on it (mv, addmm,
baddbmm, multi_dot, kron, tensordot, einsum, ...), `linear`, cross products, `cdist` and the vector and
matrix norms. The decompositions and solvers are in `ember.ops.decomposition`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..autograd.grad_mode import state as _grad_state
from ..dispatch import composite, primitive, public
from ..tensor import Tensor
from ._run import broadcast_shapes_for, call, conj, describe, kernel, run, same_device
from .elementwise import with_out
from .movement import PERMUTE, diagonal


def _matmul_vjp(n: Any, g: Tensor) -> tuple[Any, Any]:
    a, b = n[0], n[1]
    if a.ndim == 1 and b.ndim == 1:
        return (g * conj(b) if n.needs(0) else None, g * conj(a) if n.needs(1) else None)
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    g2 = g.unsqueeze(-2) if a.ndim == 1 else g
    g2 = g2.unsqueeze(-1) if b.ndim == 1 else g2
    da = db = None
    if n.needs(0):
        da = matmul(g2, b2.mH if b2._dtype.is_complex else b2.mT)  # the conjugate transpose
        da = da.squeeze(-2) if a.ndim == 1 else da
    if n.needs(1):
        db = matmul(a2.mH if a2._dtype.is_complex else a2.mT, g2)
        db = db.squeeze(-1) if b.ndim == 1 else db
    return da, db  # the engine sums broadcast batch dims back


MATMUL = primitive(
    "matmul",
    "matmul(a: array, b: array) -> array",
    "NumPy's matmul: batched over leading dims (broadcast), 1-D operands promoted and the added dim removed. "
    "a and b have the same dtype.",
    family="linalg",
    vjp=_matmul_vjp,
    save_inputs=True,
)
MATMUL.complex = "complex"


def _matmul_shape(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if not a or not b:
        raise RuntimeError(f"{op}: both arguments need at least 1 dimension, got shapes {a} and {b}")
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise RuntimeError(
            f"{op}: shapes {a} and {b} cannot be multiplied ({a2[-2]}x{a2[-1]} and {b2[-2]}x{b2[-1]}: "
            f"{a2[-1]} != {b2[-2]})"
        )
    try:
        batch = broadcast_shapes_for(op, a2[:-2], b2[:-2])
    except RuntimeError as e:
        raise RuntimeError(
            f"{op}: shapes {a} and {b} cannot be multiplied: their batch dims {a2[:-2]} and {b2[:-2]} do not "
            f"broadcast: {str(e).split('broadcastable: ', 1)[-1]}"
        ) from None
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


@public(method=True)
@with_out
def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Matrix product with broadcasting batch dims (``a @ b``)."""
    return _matmul("matmul", input, other)


def _matmul(op: str, input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """matmul, its errors naming `op` (mm, bmm, mv, dot, vdot run it after their own checks)."""
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        sa, sb = input._shape, other._shape
        if len(sa) == 2 and len(sb) == 2 and sa[1] == sb[0] and input._device is other._device and input._dtype is other._dtype:
            # two matrices of one dtype and device, inner sizes matching: nothing to check or broadcast
            return run(MATMUL, input._device, (input._data, other._data), (sa[0], sb[1]), input._dtype, (input, other))
    else:
        raise TypeError(f"{op}: expected two tensors, got {describe(input)} and {describe(other)}")
    dev = same_device(op, (input, other))
    if input._dtype is not other._dtype:
        raise RuntimeError(
            f"{op}: expected both operands to have the same dtype, got {input._dtype.name} and "
            f"{other._dtype.name}; cast one with .to(dtype)"
        )
    shape = _matmul_shape(op, input._shape, other._shape)
    out = run(MATMUL, dev, (input._data, other._data), shape, input._dtype, (input, other))
    return out


@public(method=True)
@with_out
def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """The matrix product of two 2-D tensors (no broadcasting)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {input._shape} and {mat2._shape}")
    return _matmul("mm", input, mat2)


@public(method=True)
@with_out
def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """The batched matrix product of two 3-D tensors (b, n, m) @ (b, m, p) (no broadcasting)."""
    if input.ndim != 3 or mat2.ndim != 3 or input._shape[0] != mat2._shape[0]:
        raise RuntimeError(f"bmm: expected 3-D tensors with equal batch size, got {input._shape} and {mat2._shape}")
    return _matmul("bmm", input, mat2)


@public(method=True)
@with_out
def dot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two 1-D tensors of the same length."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got shapes {input._shape} and {other._shape}")
    return _matmul("dot", input, other)


@public(method=True)
@with_out
def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """The outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    _check_dims("outer", input=(input, 1), vec2=(vec2, 1))
    return input.unsqueeze(1) * vec2.unsqueeze(0)


# --------------------------------------------------------------------------- linear
# `linear`: ``x @ w.T + b``, a composite with its own derivative, so a backend may fuse it.
#
# The derivative gives the weight's gradient directly in w's (out, in) layout (``g^T x``), with
# no transposed view in between; the decomposition is matmul with ``w.mT`` and an add.


def _linear_impl(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    out = x @ w.mT
    return out + b if b is not None else out


def _t_matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a.mT @ b`` for two matrices of one device and dtype (the weight's gradient). In a plain backward
    (no graph recorded) the transpose is the permute kernel's view of a's data, with no tensor around it."""
    if _grad_state.enabled:  # create_graph: the differentiable ops
        return a.mT @ b
    dev = a._device
    at = kernel(PERMUTE, dev)(a._data, (1, 0))
    return run(MATMUL, dev, (at, b._data), (a._shape[1], b._shape[1]), a._dtype)


def _linear_vjp(n: Any, g: Tensor) -> tuple[Any, ...]:
    x, w = n[0], n[1]
    nxt = n.next
    gx = g @ w if nxt[0] is not None else None
    gw = gb = None
    need_w, need_b = nxt[1] is not None, len(nxt) > 2 and nxt[2] is not None
    if need_w or need_b:
        g2 = g if len(g._shape) == 2 else g.reshape(-1, g._shape[-1])  # reshape of a matrix is itself
        if need_w:
            gw = _t_matmul(g2, x if len(x._shape) == 2 else x.reshape(-1, x._shape[-1]))
        if need_b:
            gb = g2.sum(0)
    return (gx, gw) if len(nxt) == 2 else (gx, gw, gb)


LINEAR = composite(
    "linear",
    "linear(x: array (*, in), w: array (out, in), b: array (out,) = None) -> array (*, out)",
    "x @ w.T + b; without a bias core calls linear(x, w), so give b a default of None. x, w and b share a floating dtype.",
    family="linalg",
    impl=_linear_impl,
    vjp=_linear_vjp,
    save_inputs=True,
)


def linear(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    """``x @ w.T + b`` on checked operands (x (*, in), w (out, in), b (out,) or None)."""
    inputs = (x, w) if b is None else (x, w, b)
    dt = x._dtype
    if w._dtype is not dt or b is not None and b._dtype is not dt:
        raise RuntimeError(
            "linear: expected input, weight and bias of one dtype, got "
            + ", ".join(f"{tuple(t._shape)} {t._dtype.name}" for t in inputs)
            + "; cast with .to(dtype)"
        )
    return call(LINEAR, inputs, (), (*x._shape[:-1], w._shape[0]), dt)


# --------------------------------------------------------------------------- products built on matmul
# Composites over matmul, mul, sum and views: their derivatives come from those ops.


def _check_dims(op: str, **tensors: tuple[Tensor, int]) -> None:
    for name, (t, nd) in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(t).__name__}")
        if t.ndim != nd:
            raise RuntimeError(f"{op}: expected {name} to be {nd}-D, got shape {t._shape}")


def _same_dtype(op: str, *tensors: Tensor) -> None:
    for t in tensors[1:]:
        if t._dtype is not tensors[0]._dtype:
            raise RuntimeError(
                f"{op}: expected tensors of one dtype, got "
                + ", ".join(f"{x._dtype.name} {x._shape}" for x in tensors)
                + "; cast with .to(dtype)"
            )


@public(method=True)
@with_out
def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002
    """The product of a matrix (n, m) and a vector (m,)."""
    _check_dims("mv", input=(input, 2), vec=(vec, 1))
    return _matmul("mv", input, vec)


@public(method=True)
@with_out
def vdot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The dot product of two 1-D tensors (the first conjugated: the same as dot for real tensors)."""
    _check_dims("vdot", input=(input, 1), other=(other, 1))
    return _matmul("vdot", input.conj() if input._dtype.is_complex else input, other)


@public(method=True)
@with_out
def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The inner product over the last dims: out[i..., j...] = sum_k input[i..., k] * other[j..., k]."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input._shape[-1] != other._shape[-1]:
        raise RuntimeError(
            f"inner: the last dims must match, got shapes {input._shape} and {other._shape} "
            f"({input._shape[-1]} != {other._shape[-1]})"
        )
    return tensordot(input, other, ([-1], [-1]))


@public(method=True)
@with_out
def ger(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002
    """The outer product of two vectors (an alias of outer)."""
    _check_dims("ger", input=(input, 1), vec2=(vec2, 1))
    return outer(input, vec2)


def _scaled_add(op: str, input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    """beta * input + alpha * product (input broadcasts to product's shape; beta == 0 ignores it, nan included)."""
    from ._run import broadcast_shapes_for

    if broadcast_shapes_for(op, input._shape, product._shape) != product._shape:
        raise RuntimeError(
            f"{op}: input of shape {input._shape} does not broadcast to the product's shape {product._shape}"
        )
    if op != "addr" and input._dtype is not product._dtype:  # PyTorch: addr promotes, the others refuse
        raise RuntimeError(
            f"{op}: expected input of the product's dtype {product._dtype.name}, got {input._dtype.name} "
            f"(shape {input._shape}); cast it with .to({product._dtype.name})"
        )
    if product._dtype.kind in "biu":  # PyTorch keeps the integer dtype: addr refuses a float beta/alpha, the rest truncate
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float) and op == "addr":
                raise RuntimeError(f"addr: for integral input tensors, argument {name} must not be a floating point "
                                   f"number, got {name}={v} with {product._dtype.name} tensors")  # fmt: skip
        beta, alpha = (int(v) if isinstance(v, float) else v for v in (beta, alpha))
    out = product if alpha == 1 else product * alpha
    if beta == 0:  # PyTorch ignores input then (nan and inf in it do not propagate)
        return out
    return out + (input if beta == 1 else input * beta)


@public(method=True, inplace=True)
@with_out
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2) for 2-D mat1 (n, m) and mat2 (m, p); input broadcasts to (n, p)."""
    _check_dims("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    return _scaled_add("addmm", input, mm(mat1, mat2), beta, alpha)


@public(method=True, inplace=True)
@with_out
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec) for a matrix (n, m) and a vector (m,)."""
    return _scaled_add("addmv", input, mv(mat, vec), beta, alpha)


@public(method=True, inplace=True)
@with_out
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2)."""
    return _scaled_add("addr", input, ger(vec1, vec2), beta, alpha)


@public(method=True, inplace=True)
@with_out
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] (a reduced batched product)."""
    _check_dims("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_add("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


@public(method=True, inplace=True)
@with_out
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * bmm(batch1, batch2), batch by batch."""
    _check_dims("baddbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_add("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def _chain_order(dims: list[int]) -> list[list[int]]:
    """The matrix-chain split table (dynamic programming over the cost in multiply-adds)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(op: str, ms: list[Tensor]) -> Tensor:
    for i in range(len(ms) - 1):
        if ms[i]._shape[-1] != ms[i + 1]._shape[0]:
            raise RuntimeError(
                f"{op}: tensors {i} and {i + 1} cannot be multiplied: shapes {ms[i]._shape} and {ms[i + 1]._shape}"
            )
    _same_dtype(op, *ms)
    split = _chain_order([ms[0]._shape[0]] + [m._shape[1] for m in ms])

    def prod(i: int, j: int) -> Tensor:
        if i == j:
            return ms[i]
        k = split[i][j]
        return matmul(prod(i, k), prod(k + 1, j))

    return prod(0, len(ms) - 1)


@public(name="multi_dot", namespace="linalg")
@with_out
def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product of a chain of matrices in the cheapest order; the first and last may be 1-D (vectors)."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"linalg.multi_dot: expected at least 2 tensors, got {len(ts)}")
    first, last = ts[0].ndim == 1, ts[-1].ndim == 1
    ms = [ts[0].unsqueeze(0) if first else ts[0], *ts[1:-1], ts[-1].unsqueeze(-1) if last else ts[-1]]
    for i, m in enumerate(ms):
        if m.ndim != 2:
            raise RuntimeError(
                f"linalg.multi_dot: tensor {i} must be 2-D (the first and last may be 1-D), got shape {ts[i]._shape}"
            )
    out = _chain("linalg.multi_dot", ms)
    if first:
        out = out.squeeze(0)
    if last:
        out = out.squeeze(-1)
    return out


@public
@with_out
def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of 2-D matrices in the cheapest order (deprecated in PyTorch for linalg.multi_dot)."""
    if not matrices:
        raise RuntimeError("chain_matmul: expected one or more tensors")
    for i, m in enumerate(matrices):
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul: tensor {i} must be 2-D, got shape {m._shape}")
    if len(matrices) == 1:
        return matrices[0].clone()
    return _chain("chain_matmul", list(matrices))


def _matrix_power(op: str, A: Tensor, n: int) -> Tensor:
    if not isinstance(n, int):
        raise TypeError(f"{op}: n must be an int, got {type(n).__name__}")
    if A.ndim < 2 or A._shape[-1] != A._shape[-2]:
        raise RuntimeError(f"{op}: expected a (batch of) square matrices, got shape {A._shape}")
    if n == 0:
        from .creation import eye

        return eye(A._shape[-1], dtype=A._dtype, device=A._device).expand(A._shape).clone()
    if n < 0:
        from .decomposition import linalg_inv

        A, n = linalg_inv(A), -n
    result: Tensor | None = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    assert result is not None
    return result if result is not A else A.clone()


@public(method=True)
@with_out
def matrix_power(input: Tensor, n: int) -> Tensor:  # noqa: A002
    """The n-th power of each square matrix (n < 0: of its inverse; n == 0: the identity)."""
    return _matrix_power("matrix_power", input, n)


@public(name="matrix_power", namespace="linalg")
@with_out
def linalg_matrix_power(A: Tensor, n: int) -> Tensor:
    """The n-th power of each square matrix (n < 0: of its inverse; n == 0: the identity)."""
    return _matrix_power("linalg.matrix_power", A, n)


@public(method=True)
@with_out
def kron(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The Kronecker product: blocks input[i...] * other, dims paired from the right (dtypes promote, as mul)."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + input._shape)
    b = other.reshape((1,) * (n - other.ndim) + other._shape)
    a2 = a.reshape(tuple(x for s in a._shape for x in (s, 1)))
    b2 = b.reshape(tuple(x for s in b._shape for x in (1, s)))
    return (a2 * b2).reshape(tuple(x * y for x, y in zip(a._shape, b._shape)))


def _contract(op: str, a: Tensor, b: Tensor, dims_a: Sequence[int], dims_b: Sequence[int]) -> Tensor:
    """sum over a's dims_a paired with b's dims_b; the rest of a's dims then the rest of b's (permute + matmul)."""
    from ._run import wrap_dim

    da = [wrap_dim(d, a.ndim, op) for d in dims_a]
    db = [wrap_dim(d, b.ndim, op) for d in dims_b]
    if len(da) != len(db):
        raise RuntimeError(f"{op}: both sides must contract as many dims, got {list(dims_a)} and {list(dims_b)}")
    if len(set(da)) != len(da) or len(set(db)) != len(db):
        raise RuntimeError(f"{op}: a dim is contracted twice ({list(dims_a)}, {list(dims_b)})")
    for x, y in zip(da, db):
        if a._shape[x] != b._shape[y]:
            raise RuntimeError(
                f"{op}: contracted dimensions need to match, but first has size {a._shape[x]} in dim {x} and "
                f"second has size {b._shape[y]} in dim {y} (shapes {a._shape} and {b._shape})"
            )
    _same_dtype(op, a, b)
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a._shape[d] for d in da)
    sa = tuple(a._shape[d] for d in free_a)
    sb = tuple(b._shape[d] for d in free_b)
    a2 = a.permute(free_a + da).reshape(math.prod(sa), k)
    b2 = b.permute(db + free_b).reshape(k, math.prod(sb))
    return matmul(a2, b2).reshape(sa + sb)


@public
@with_out
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract a's last `dims` dims with b's first (an int), or the dims listed in a pair of sequences."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, got {dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot: dims ({dims}) exceeds the dims of a {a._shape} or b {b._shape}")
        return _contract("tensordot", a, b, list(range(a.ndim - dims, a.ndim)), list(range(dims)))
    da, db = dims
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    return _contract("tensordot", a, b, da, db)


# --------------------------------------------------------------------------- einsum


def _parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[list[str]], list[str]]:
    """Each operand's labels and the output's; '...' becomes one label per broadcast dim ('0', '1', ...)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum: the equation {equation!r} has {len(terms)} operands, but {len(shapes)} were given")
    labels: list[list[str]] = []
    ell = 0
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        letters = term.replace("...", "")
        if not all(c.isalpha() for c in letters) or term.count("...") > 1 or "." in term.replace("...", ""):
            raise RuntimeError(f"einsum: invalid subscript {term!r} in {equation!r} (letters and at most one '...')")
        if "..." in term:
            k = len(shape) - len(letters)
            if k < 0:
                raise RuntimeError(
                    f"einsum: operand {i} has {len(shape)} dims (shape {shape}) but {term!r} needs at least {len(letters)}"
                )
            ell = max(ell, k)
            pre, post = term.split("...")
            labels.append(list(pre) + [str(ell - k + j) for j in range(k)] + list(post))
        else:
            if len(term) != len(shape):
                raise RuntimeError(
                    f"einsum: the subscript {term!r} has {len(term)} labels but operand {i} has {len(shape)} dims "
                    f"(shape {shape})"
                )
            labels.append(list(term))
    ell_labels = [str(j) for j in range(ell)]
    if arrow:
        if not all(c.isalpha() for c in rhs.replace("...", "")) or rhs.count("...") > 1:
            raise RuntimeError(f"einsum: invalid output subscript {rhs!r} in {equation!r}")
        pre, _, post = rhs.partition("...")
        out = list(pre) + (ell_labels if "..." in rhs else []) + list(post)
        seen = {c for ls in labels for c in ls}
        for c in out:
            if c not in seen:
                raise RuntimeError(f"einsum: output subscript {c!r} does not appear in the inputs of {equation!r}")
        if len(set(out)) != len(out):
            raise RuntimeError(f"einsum: output subscript in {equation!r} appears more than once")
    else:
        counts: dict[str, int] = {}
        for ls in labels:
            for c in ls:
                counts[c] = counts.get(c, 0) + 1
        out = ell_labels + sorted(c for c, k in counts.items() if k == 1 and c.isalpha())
    return labels, out


def _einsum_prepare(t: Tensor, ls: list[str], keep: set[str], sizes: dict[str, int]) -> tuple[Tensor, list[str]]:
    """Take diagonals of repeated labels, sum out labels needed nowhere else, expand size-1 dims."""
    while len(set(ls)) != len(ls):
        c = next(c for c in ls if ls.count(c) > 1)
        i = ls.index(c)
        j = ls.index(c, i + 1)
        t = diagonal(t, 0, i, j)
        ls = [x for k, x in enumerate(ls) if k not in (i, j)] + [c]
    drop = [i for i, c in enumerate(ls) if c not in keep]
    if drop:
        t = t.sum(drop)
        ls = [c for i, c in enumerate(ls) if i not in drop]
    want = tuple(sizes[c] for c in ls)
    if want != t._shape:
        t = t.expand(want)
    return t, ls


def _einsum_pair(a: Tensor, la: list[str], b: Tensor, lb: list[str], keep: set[str]) -> tuple[Tensor, list[str]]:
    """One contraction as a batched matmul: (batch, left, contracted) @ (batch, contracted, right)."""
    batch = [c for c in la if c in lb and c in keep]
    contracted = [c for c in la if c in lb and c not in keep]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = dict(zip(la, a._shape)) | dict(zip(lb, b._shape))
    a2 = a.permute([la.index(c) for c in batch + left + contracted])
    b2 = b.permute([lb.index(c) for c in batch + contracted + right])
    nb, nl, nk, nr = (math.prod(size[c] for c in g) for g in (batch, left, contracted, right))
    out = matmul(a2.reshape(nb, nl, nk), b2.reshape(nb, nk, nr))
    return out.reshape(tuple(size[c] for c in batch + left + right)), batch + left + right


@public
def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation: 'ij,jk->ik', with '...' and the implicit output (labels seen once, sorted).
    Lowered to diagonals, sums and batched matmuls (pairwise, left to right), never a broadcast product."""
    if not isinstance(equation, str):  # the sublist form: einsum(a, [0, 1], b, [1, 2], [0, 2])
        args = (equation, *operands)

        def sub(ids: Sequence[Any]) -> str:
            return "".join(
                "..." if x is Ellipsis else "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[x] for x in ids
            )

        ts = list(args[0:-1:2]) if len(args) % 2 else list(args[0::2])
        subs = [sub(s) for s in (args[1::2] if len(args) % 2 == 0 else args[1:-1:2])]
        equation = ",".join(subs) + ("->" + sub(args[-1]) if len(args) % 2 else "")
        operands = tuple(ts)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum: must provide at least one operand")
    ts = list(operands)
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum: operand {i} is a {type(t).__name__}, not a Tensor")
    _same_dtype("einsum", *ts)
    labels, out = _parse_einsum(equation, [t._shape for t in ts])
    sizes: dict[str, int] = {}
    for i, (t, ls) in enumerate(zip(ts, labels)):
        for c, s in zip(ls, t._shape):
            old = sizes.get(c)
            if old is None or old == 1:
                sizes[c] = s
            elif s not in (1, old):
                name = "'...'" if c.isdigit() else repr(c)
                raise RuntimeError(
                    f"einsum: subscript {name} has size {s} for operand {i} (shape {t._shape}), which does not "
                    f"match (or broadcast with) the size {old} seen before in {equation!r}"
                )

    def needed(rest: list[list[str]]) -> set[str]:
        return set(out).union(*[set(r) for r in rest]) if rest else set(out)

    acc, acc_l = _einsum_prepare(ts[0], labels[0], needed(labels[1:]), sizes)
    for i in range(1, len(ts)):
        keep = needed(labels[i + 1 :])
        t, lt = _einsum_prepare(ts[i], labels[i], keep | set(acc_l), sizes)
        acc, acc_l = _einsum_pair(acc, acc_l, t, lt, keep)
        extra = [j for j, c in enumerate(acc_l) if c not in keep]
        if extra:
            acc = acc.sum(extra)
            acc_l = [c for c in acc_l if c in keep]
    return acc.permute([acc_l.index(c) for c in out]) if acc_l != out else acc


# --------------------------------------------------------------------------- diagonals, cross, vecdot, cdist


@public(name="diagonal", namespace="linalg")
def linalg_diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The diagonals of the matrices in A's (dim1, dim2) planes (default: the last two dims), as the last dim."""
    return diagonal(A, offset, dim1, dim2)


def _cross(op: str, input: Tensor, other: Tensor, dim: int) -> Tensor:  # noqa: A002
    from ._run import broadcast_shapes_for, wrap_dim
    from .movement import stack

    _same_dtype(op, input, other)
    shape = broadcast_shapes_for(op, input._shape, other._shape)
    d = wrap_dim(dim, len(shape), op)
    if shape[d] != 3:
        raise RuntimeError(
            f"{op}: inputs dimension {dim} must have length 3, got shapes {input._shape} and {other._shape}"
        )
    a = input.expand(shape).movedim(d, -1)
    b = other.expand(shape).movedim(d, -1)
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


@public(name="cross", namespace="linalg")
@with_out
def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (inputs broadcast)."""
    return _cross("linalg.cross", input, other, dim)


@public(method=True)
@with_out
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim` (None: the first dim of size 3, as torch.cross)."""
    if dim is None:
        from ._run import broadcast_shapes_for

        shape = broadcast_shapes_for("cross", input._shape, other._shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return _cross("cross", input, other, dim)


@public(namespace="linalg")
@with_out
def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product of vectors along `dim` (inputs broadcast): sum(conj(x) * y, dim), of floating or complex
    tensors (as PyTorch: integers are refused)."""
    _same_dtype("linalg.vecdot", x, y)
    from ._run import broadcast_shapes_for, wrap_dim

    if x._dtype.kind not in "fc":
        raise RuntimeError(
            f"linalg.vecdot: expected a floating point or complex tensor as input, got {x._dtype.name}; "
            f"cast it first (e.g. .float())"
        )
    shape = broadcast_shapes_for("linalg.vecdot", x._shape, y._shape)
    wrap_dim(dim, len(shape), "linalg.vecdot")
    return ((x.conj() if x._dtype.is_complex else x) * y).sum(dim)


def _powers(op: str, x: Tensor, n: int) -> Tensor:
    """x[..., None] ** [0, 1, ..., n-1] as a running product (its gradient stays finite where x is 0)."""
    from .. import dtypes as _dt
    from .movement import cat
    from .reduction import cumprod

    if n < 0:
        raise RuntimeError(f"{op}: N must be non-negative, got {n}")
    d = x._dtype if x._dtype.kind in "fc" else _dt.int64
    col = x.to(d).unsqueeze(-1)
    if n == 0:
        return col[..., :0]
    ones = col.new_ones((*x._shape, 1))
    return cumprod(cat([ones, col.expand(*x._shape, n - 1)], -1), -1)


@public
def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a 1-D `x`: columns x^(N-1), ..., x, 1 (x^0 first with `increasing`);
    N defaults to len(x); integer and bool input give int64."""
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape {x._shape}")
    out = _powers("vander", x, x._shape[0] if N is None else N)
    return out if increasing else out.flip(-1)


@public(name="vander", namespace="linalg")
def linalg_vander(x: Tensor, *, N: int | None = None) -> Tensor:
    """The Vandermonde matrices of (a batch of) vectors, powers increasing: x^0, x, ..., x^(N-1) (N defaults
    to x.shape[-1])."""
    if x.ndim < 1:
        raise RuntimeError(f"linalg.vander: x must have at least one dimension, got shape {x._shape}")
    if N is not None and N <= 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {N}")
    return _powers("linalg.vander", x, x._shape[-1] if N is None else N)


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


@public
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distances between each row of x1 (*, P, M) and each row of x2 (*, R, M): (*, P, R)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist: only supports at least 2D tensors, got shapes {x1._shape} and {x2._shape}")
    if x1._shape[-1] != x2._shape[-1]:
        raise RuntimeError(
            f"cdist: X1 and X2 must have the same number of columns, got {x1._shape[-1]} and {x2._shape[-1]} "
            f"(shapes {x1._shape} and {x2._shape})"
        )
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: {compute_mode!r} is not a valid value for compute_mode; expected one of {_CDIST_MODES}")
    if p < 0:
        raise RuntimeError(f"cdist: only supports non-negative p values, got {p}")
    if not x1._dtype.is_floating_point or not x2._dtype.is_floating_point:
        raise RuntimeError(f"cdist: only supports floating-point dtypes, got {x1._dtype.name} and {x2._dtype.name}")
    _same_dtype("cdist", x1, x2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == math.inf:  # PyTorch: the gradient goes whole to every tied maximum (not split); 0 for empty rows
        a = diff.abs()
        if not diff._shape[-1]:
            return a.sum(-1)
        d = a.amax(-1)
        tied = (a == d.detach().unsqueeze(-1)).to(a._dtype)
        return d.detach() + ((a - a.detach()) * tied).sum(-1)
    return vector_norm(diff, p, -1)


# --------------------------------------------------------------------------- norms


def _norm_float(op: str, x: Tensor, dtype: Any) -> Tensor:
    from .. import dtypes as _dt

    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x._dtype.kind not in "fc":  # PyTorch refuses integer input even with a floating dtype=
        raise RuntimeError(
            f"{op}: Expected a floating point tensor as input, got {x._dtype.name} (shape {x._shape}); "
            f"cast it first (e.g. .float())"
        )
    if dtype is not None:
        dt = _dt.as_dtype(dtype)
        if not dt.is_floating_point:
            raise RuntimeError(f"{op}: dtype should be floating point, got {dt.name}")
        x = x.to(dt)
    if not x._dtype.is_floating_point:
        raise RuntimeError(
            f"{op}: Expected a floating point tensor as input, got {x._dtype.name} (shape {x._shape}); "
            f"cast it first (e.g. .float()) or pass dtype="
        )
    return x


def _vector_norm_impl(x: Tensor, ord: float, axes: tuple[int, ...], keepdim: bool) -> Tensor:  # noqa: A002
    a = x.abs()
    if ord == 2:
        return (x * x).sum(axes, keepdim=keepdim).sqrt()
    if ord == 1:
        return a.sum(axes, keepdim=keepdim)
    if ord == math.inf:
        return a.amax(axes, keepdim=keepdim)
    if ord == -math.inf:
        return a.amin(axes, keepdim=keepdim)
    if ord == 0:
        return (a != 0).to(x._dtype).sum(axes, keepdim=keepdim)
    return (a**ord).sum(axes, keepdim=keepdim) ** (1.0 / ord)


def _vector_norm_vjp(n: Any, g: Tensor) -> tuple[Any]:
    from .elementwise import where
    from .reduction import _expand_back

    x, out = n[0], n.out
    ord, axes, keepdim = n.args  # noqa: A001
    shape = x._shape
    ge = _expand_back(g, shape, axes, keepdim)
    norm = _expand_back(out, shape, axes, keepdim)
    if ord == 0:
        return (x * 0,)
    if ord == 1:
        return (ge * x.sign(),)
    if ord in (math.inf, -math.inf):
        mask = (x.abs() == norm).to(x._dtype)
        count = _expand_back(mask.sum(axes, keepdim=True), shape, axes, True)
        return (ge * x.sign() * mask / count,)
    if ord == 2:
        return (where(norm == 0, 0.0, ge * x / norm),)
    # general p: g * x |x|^(p-2) / norm^(p-1), 0 where the norm is 0
    a = x.abs()
    scale = a ** (ord - 2) if ord >= 2 else where(a == 0, 0.0, a ** (ord - 2))
    return (where(norm == 0, 0.0, ge * x * scale / norm ** (ord - 1)),)


VECTOR_NORM = composite(
    "linalg_vector_norm",
    "linalg_vector_norm(x: array, ord: float, axes: tuple[int, ...], keepdim: bool) -> array",
    "The ord-norm of x over `axes` (sorted; empty: every element on its own): (sum |x|^ord)^(1/ord), max|x| for "
    "inf, min|x| for -inf, the count of nonzeros for 0. x is floating.",
    family="linalg",
    impl=_vector_norm_impl,
    vjp=_vector_norm_vjp,
    save_inputs=True,
    save_out=True,
)


@public(namespace="linalg")
def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The vector ord-norm over `dim` (all elements when None); the gradient is 0 where the norm is 0."""
    from ._run import normalize_dims

    if isinstance(x, Tensor) and x._dtype.kind == "c" and dtype is None:  # the norm of the moduli, real
        from .elementwise import abs as _abs

        x = _abs(x)
    x = _norm_float("linalg.vector_norm", x, dtype)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    ord = float(ord)  # noqa: A001
    axes = normalize_dims(dim, x.ndim, "linalg.vector_norm")
    if ord < 0 and x.numel() == 0 or ord == math.inf and any(x._shape[a] == 0 for a in axes):
        raise RuntimeError(
            f"linalg.vector_norm: cannot compute the {ord} norm over an empty dimension of a tensor of shape {x._shape}"
        )
    if not axes and x.ndim:  # dim=() reduces nothing in NumPy; PyTorch: over every dim
        axes = tuple(range(x.ndim))
    from .decomposition import _custom

    return _custom(VECTOR_NORM, (x,), (ord, axes, keepdim))


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


@public(namespace="linalg")
def matrix_norm(
    A: Tensor,
    ord: Any = "fro",  # noqa: A002
    dim: Any = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', 'nuc', inf/-inf (max/min row sum), 1/-1 (column sum),
    2/-2 (largest/smallest singular value)."""
    from ._run import wrap_dim

    op = "linalg.matrix_norm"
    A = _norm_float(op, A, dtype)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: the input must have at least 2 dimensions, got shape {A._shape}")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"{op}: order {ord!r} not supported (one of {_MATRIX_ORDS})")
    d = tuple(dim)
    if len(d) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple, got {dim}")
    d0, d1 = wrap_dim(d[0], A.ndim, op), wrap_dim(d[1], A.ndim, op)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different, got {dim}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    rest = [i for i in range(A.ndim) if i not in (d0, d1)]
    m = A.permute(rest + [d0, d1])
    if ord in ("nuc", 2, -2):
        from .decomposition import svdvals

        s = svdvals(m)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
    else:
        if any(m._shape[i] == 0 for i in (-1, -2)) and ord in (-1, -math.inf, 1, math.inf):
            raise RuntimeError(f"{op}: cannot compute the {ord} norm of an empty matrix (shape {A._shape})")
        sums = m.abs().sum(-2 if ord in (1, -1) else -1)
        out = sums.amax(-1) if ord in (1, math.inf) else sums.amin(-1)
    if keepdim:
        for i in sorted((d0, d1)):
            out = out.unsqueeze(i)
    return out


@public(name="norm", namespace="linalg")
def linalg_norm(input: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """A vector norm (dim an int, or 1-D input) or a matrix norm (dim a 2-tuple, or 2-D input with ord given);
    without ord and dim, the 2-norm of the flattened input."""
    op = "linalg.norm"
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(input, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(input, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(f"{op}: dim must be an int or a 2-tuple, got {dim}")
    if ord is None:
        return vector_norm(input, 2, None, keepdim, dtype=dtype)
    if input.ndim == 2 or input.ndim == 1 and isinstance(ord, str):  # 'fro', 'nuc': matrix norms
        return matrix_norm(input, ord, (-2, -1), keepdim, dtype=dtype)
    if input.ndim == 1:
        return vector_norm(input, ord, None, keepdim, dtype=dtype)
    raise RuntimeError(
        f"{op}: input must be 1-D or 2-D when ord is given and dim is None, got shape {input._shape}; pass dim"
    )
