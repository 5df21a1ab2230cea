"""The op table's entries for the linalg ops (products)."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
from ember.testing.opinfo import (
    FLOATS,
    SUM_TOL,
    Arg,
    E,
    ErrorInput,
    Maker,
    OpInfo,
    S,
    SampleInput,
    quiet,
)

INFOS: list[OpInfo] = []


def _matmul_errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
    return [
        E(RuntimeError, r"matmul.*\(2, 3\).*\(4, 5\)", make(2, 3), make(4, 5)),
        E(RuntimeError, "matmul.*at least 1 dimension", make(), make(2, 2)),
        E(RuntimeError, "matmul.*broadcast", make(2, 2, 3), make(3, 3, 2)),
    ]


def _add_op(*infos: OpInfo) -> None:
    INFOS.extend(infos)


def _ref_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.matmul(a, b))


def _matmul_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4), make(4), name="1-d-1-d"),
        S(make(3, 4), make(4), name="2-d-1-d"),
        S(make(4), make(4, 2), name="1-d-2-d"),
        S(make(2, 3), make(3, 4), name="2-d"),
        S(make(2, 2, 3), make(2, 3, 2), name="batched"),
        S(make(2, 1, 2, 3), make(3, 3, 2), name="broadcast-batch"),
        S(make(3), make(2, 3, 2), name="1-d-batched"),
        S(make(2, 0), make(0, 3), name="empty-inner"),
        S(make(3, 2, layout="transposed"), make(2, 3, layout="transposed"), name="transposed"),
    ]


_add_op(
    OpInfo(
        "matmul",
        ember.matmul,
        _ref_matmul,
        _matmul_samples,
        dtypes=FLOATS + ("int64",),
        tol=SUM_TOL,
        error_inputs=_matmul_errors,
    ),
)


# --------------------------------------------------------------------------- helpers

#: float32 tolerances for products (summation order) and for LAPACK-style results (conditioning)
PROD_TOL = {"float16": (2e-2, 2e-2), "float32": (1e-4, 1e-5), "float64": (1e-9, 1e-11)}
DECOMP_TOL = {"float32": (2e-3, 2e-4), "float64": (1e-7, 1e-9)}


def _info(name: str, op: Any, ref: Any, samples: Any, **kw: Any) -> OpInfo:
    return OpInfo(name, op, ref, samples, **kw)


def _well(make: Maker, *shape: int, layout: str = "contiguous", spd: bool = False) -> Arg:
    """A well-conditioned square matrix (batch): random plus n on the diagonal; symmetric positive-definite
    (M M^T + n I) when `spd`."""
    n = shape[-1]
    a = make(*shape).array.astype(np.float64)
    a = a @ np.swapaxes(a, -1, -2) + n * np.eye(n) if spd else a + n * np.eye(n)
    return Arg(np.asarray(a).astype(make.dtype), layout)


def _square_samples(op: OpInfo, make: Maker, spd: bool = False) -> list[SampleInput]:
    return [
        S(_well(make, 3, 3, spd=spd), name="3x3"),
        S(_well(make, 2, 4, 4, spd=spd), name="batched"),
        S(_well(make, 3, 3, layout="transposed", spd=spd), name="transposed"),
        S(_well(make, 1, 1, spd=spd), name="1x1"),
        S(_well(make, 0, 0, spd=spd), name="empty"),
        S(_well(make, 2, 0, 0, spd=spd), name="empty-batched"),
    ]


def _rect_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4, 3), name="tall"),
        S(make(3, 4), name="wide"),
        S(make(3, 3), name="square"),
        S(make(2, 4, 3), name="batched"),
        S(make(4, 3, layout="transposed"), name="transposed"),
        S(make(0, 3), name="empty", grad=False),
    ]


def _float_errors(name: str, *, square: bool = True) -> Any:
    """Bad input every decomposition refuses: ints, too few dims, non-square (when `square`)."""

    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        out = [
            E(RuntimeError, rf"{name}.*float32 or float64.*int64", make(3, 3, dtype="int64")),
            E(RuntimeError, rf"{name}.*at least 2 dimensions", make(3)),
        ]
        if square:
            out.append(E(RuntimeError, rf"{name}.*square matrices.*2 by 3", make(2, 3)))
        return out

    return errors


def _t(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _sign_cols(u: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Signs making each column's largest-magnitude entry positive (a gauge for singular/eigen vectors)."""
    if like.shape[-2] == 0 or like.shape[-1] == 0:
        return np.ones(like.shape[:-2] + (1, like.shape[-1]))
    idx = np.argmax(np.abs(like), axis=-2)[..., None, :]
    s = np.sign(np.take_along_axis(like, idx, axis=-2))
    return np.where(s == 0, 1, s)


# --------------------------------------------------------------------------- products


def _ref_mv(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.asarray(a @ v)


def _ref_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.dot(a, b)).astype(a.dtype)


def _ref_inner(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.inner(a, b)).astype(a.dtype)


def _ref_outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.outer(a, b))


def _scaled(prod: Any) -> Any:
    def ref(inp: np.ndarray, x: np.ndarray, y: np.ndarray, *, beta: Any = 1, alpha: Any = 1) -> np.ndarray:
        p = prod(x, y)
        out = alpha * p if beta == 0 else beta * inp + alpha * p
        return np.asarray(np.broadcast_to(out, p.shape)).astype(x.dtype)

    return ref


_add_op(
    OpInfo(
        "mv",
        ember.mv,
        _ref_mv,
        lambda op, make: [
            S(make(3, 4), make(4), name="3x4"),
            S(make(4, 3, layout="transposed"), make(3, layout="strided"), name="non-contiguous"),
            S(make(0, 2), make(2), name="empty-rows"),
            S(make(2, 0), make(0), name="empty-inner"),
        ],
        dtypes=FLOATS + ("int64",),
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"mv.*vec to be 1-D.*\(3, 1\)", make(2, 3), make(3, 1)),
            E(RuntimeError, r"mv: shapes \(2, 3\) and \(4,\) cannot be multiplied", make(2, 3), make(4)),
        ],
    ),
    *[
        OpInfo(
            name,
            fn,
            _ref_dot,
            lambda op, make: [
                S(make(4), make(4), name="1-d"),
                S(make(3, layout="strided"), make(3), name="strided"),
                S(make(0), make(0), name="empty"),
            ],
            dtypes=FLOATS + ("int64",),
            tol=PROD_TOL,
            error_inputs=lambda op, make: [
                E(RuntimeError, r"vdot.*1-D.*\(2, 2\)", make(2, 2), make(2)),
                E(RuntimeError, r"vdot: shapes \(3,\) and \(4,\) cannot be multiplied", make(3), make(4)),
            ],
        )
        for name, fn in (("vdot", ember.vdot),)
    ],
    OpInfo(
        "inner",
        ember.inner,
        _ref_inner,
        lambda op, make: [
            S(make(4), make(4), name="1-d"),
            S(make(2, 3), make(4, 3), name="2-d"),
            S(make(2, 3, 2), make(2), name="3-d-1-d"),
            S(make(), make(2, 3), name="0-d"),
            S(make(3, 2, layout="transposed"), make(2, 2, layout="strided"), name="non-contiguous"),
            S(make(0, 3), make(3), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        tol=PROD_TOL,
        error_inputs=lambda op, make: [E(RuntimeError, r"inner.*last dims.*\(2, 3\).*\(2,\)", make(2, 3), make(2))],
    ),
    OpInfo(
        "ger",
        ember.ger,
        _ref_outer,
        lambda op, make: [
            S(make(3), make(4), name="1-d"),
            S(make(3, layout="strided"), make(2), name="strided"),
            S(make(0), make(2), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        error_inputs=lambda op, make: [E(RuntimeError, r"ger.*1-D.*\(2, 2\)", make(2, 2), make(2))],
    ),
    OpInfo(
        "addmm",
        ember.addmm,
        _scaled(np.matmul),
        lambda op, make: [
            S(make(2, 4), make(2, 3), make(3, 4), name="plain"),
            S(make(4), make(2, 3), make(3, 4), beta=2, alpha=3, name="broadcast-scaled"),
            S(make(2, 4), make(2, 3), make(3, 4), beta=0, name="beta-0"),
            S(make(), make(3, 2, layout="transposed"), make(2, 2, layout="transposed"), name="0-d-transposed"),
            S(make(2, 0), make(2, 3), make(3, 0), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"addmm.*mat1 to be 2-D", make(2, 2), make(2), make(2, 2)),
            E(RuntimeError, r"addmm.*\(3, 3\).*\(2, 2\).*not broadcastable", make(3, 3), make(2, 2), make(2, 2)),
        ],
    ),
    OpInfo(
        "addmv",
        ember.addmv,
        _scaled(np.matmul),
        lambda op, make: [
            S(make(2), make(2, 3), make(3), name="plain"),
            S(make(), make(2, 3, layout="transposed"), make(3), beta=2, alpha=-1, name="0-d-scaled"),
            S(make(0), make(0, 3), make(3), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"mv.*mat to be 2-D|mv.*input to be 2-D", make(2), make(2), make(2))
        ],
    ),
    OpInfo(
        "addr",
        ember.addr,
        _scaled(np.outer),
        lambda op, make: [
            S(make(2, 3), make(2), make(3), name="plain"),
            S(make(3), make(2), make(3, layout="strided"), beta=2, alpha=3, name="broadcast-strided"),
            S(make(), make(0), make(3), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        error_inputs=lambda op, make: [E(RuntimeError, r"ger.*1-D.*\(2, 2\)", make(2, 3), make(2, 2), make(3))],
    ),
    OpInfo(
        "addbmm",
        ember.addbmm,
        _scaled(lambda x, y: np.matmul(x, y).sum(0)),
        lambda op, make: [
            S(make(2, 4), make(3, 2, 3), make(3, 3, 4), name="plain"),
            S(make(4), make(3, 2, 3, layout="transposed"), make(3, 3, 4), beta=0.5, alpha=2.0, name="scaled"),
            S(make(2, 4), make(0, 2, 3), make(0, 3, 4), name="empty-batch"),
        ],
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"addbmm.*batch1 to be 3-D", make(2, 2), make(2, 2), make(1, 2, 2)),
        ],
    ),
    OpInfo(
        "baddbmm",
        ember.baddbmm,
        _scaled(np.matmul),
        lambda op, make: [
            S(make(3, 2, 4), make(3, 2, 3), make(3, 3, 4), name="plain"),
            S(make(2, 4), make(3, 2, 3, layout="transposed"), make(3, 3, 4), beta=0.5, alpha=2.0, name="scaled"),
            S(make(), make(0, 2, 3), make(0, 3, 4), name="empty-batch"),
        ],
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"bmm.*\(2, 2, 3\).*\(3, 3, 2\)", make(2, 2, 2), make(2, 2, 3), make(3, 3, 2)),
        ],
    ),
    OpInfo(
        "chain_matmul",
        ember.chain_matmul,
        lambda *ms: np.asarray(np.linalg.multi_dot(ms) if len(ms) > 1 else ms[0].copy()),
        lambda op, make: [
            S(make(2, 3), make(3, 4), make(4, 2), name="three"),
            S(make(5, 2), make(2, 6), make(6, 1), make(1, 3), name="four"),
            S(make(3, 2, layout="transposed"), name="one"),
            S(make(2, 0), make(0, 3), name="empty"),
        ],
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"chain_matmul.*tensor 1 must be 2-D", make(2, 2), make(2)),
            E(RuntimeError, r"chain_matmul.*tensors 0 and 1.*\(2, 3\).*\(2, 2\)", make(2, 3), make(2, 2)),
        ],
    ),
    OpInfo(
        "linalg.multi_dot",
        lambda *ts: ember.linalg.multi_dot(list(ts)),
        lambda *ms: np.asarray(np.linalg.multi_dot(ms)),
        lambda op, make: [
            S(make(3), make(3, 4), make(4, 2), name="vector-first"),
            S(make(2, 3), make(3, 4), make(4), name="vector-last"),
            S(make(3), make(3), name="two-vectors"),
            S(make(3, 2, layout="transposed"), make(2, 5), make(5, 2), make(2, 2), name="four"),
            S(make(0, 3), make(3, 2), name="empty"),
        ],
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"multi_dot.*at least 2 tensors", make(2, 2)),
            E(RuntimeError, r"multi_dot.*tensor 1 must be 2-D", make(2, 2), make(2, 2, 2), make(2, 2)),
        ],
    ),
)


def _ref_matrix_power(a: np.ndarray, n: int) -> np.ndarray:
    return np.asarray(np.linalg.matrix_power(a.astype(np.float64), n)).astype(a.dtype)


def _matrix_power_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(3, 3), 3, name="cube"),
        S(make(2, 3, 3), 2, name="batched"),
        S(make(3, 3, layout="transposed"), 1, name="transposed"),
        S(make(3, 3), 0, name="identity", grad=False),
        S(make(0, 0), 2, name="empty"),
    ]
    if make.dtype.kind == "f":
        out.append(S(_well(make, 3, 3), -2, name="negative"))
    return out


def _power_errors(name: str) -> Any:
    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        return [E(RuntimeError, rf"{name}.*square.*\(2, 3\)", make(2, 3), 2)]

    return errors


for _name, _fn in (("matrix_power", ember.matrix_power), ("linalg.matrix_power", ember.linalg.matrix_power)):
    _add_op(
        OpInfo(
            _name,
            _fn,
            _ref_matrix_power,
            _matrix_power_samples,
            dtypes=FLOATS + ("int64",),
            half=False,
            tol=PROD_TOL,
            error_inputs=_power_errors(_name),
        )
    )


def _ref_kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.kron(a, b))


def _ref_tensordot(a: np.ndarray, b: np.ndarray, dims: Any = 2) -> np.ndarray:
    return np.asarray(np.tensordot(a, b, dims)).astype(a.dtype)


def _ref_einsum(eq: str, *ops: np.ndarray) -> np.ndarray:
    return np.asarray(np.einsum(eq, *[o.astype(np.float64) for o in ops])).astype(ops[0].dtype)


_add_op(
    OpInfo(
        "kron",
        ember.kron,
        _ref_kron,
        lambda op, make: [
            S(make(2, 3), make(3, 2), name="2-d"),
            S(make(2), make(2, 3), name="rank-mismatch"),
            S(make(), make(3), name="0-d"),
            S(make(3, 2, layout="transposed"), make(2, layout="strided"), name="non-contiguous"),
            S(make(0, 2), make(2, 2), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
    ),
    OpInfo(
        "tensordot",
        ember.tensordot,
        _ref_tensordot,
        lambda op, make: [
            S(make(2, 3, 4), make(3, 4, 2), name="dims-2"),
            S(make(2, 3, 4), make(4, 2), dims=1, name="dims-1"),
            S(make(2, 3), make(3, 2), dims=0, name="dims-0"),
            S(make(3, 4, 2), make(2, 3), dims=([0, 2], [1, 0]), name="pairs"),
            S(make(4, 3, layout="transposed"), make(4, 2), dims=([0], [-2]), name="negative-transposed"),
            S(make(0, 3), make(3, 2), dims=1, name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"tensordot.*size 3 in dim 1.*size 2 in dim 0", make(2, 3), make(2, 3), dims=1),
            E(RuntimeError, r"tensordot.*dims >= 0", make(2, 3), make(2, 3), dims=-1),
        ],
    ),
    OpInfo(
        "einsum",
        ember.einsum,
        _ref_einsum,
        lambda op, make: [
            S("ij,jk->ik", make(2, 3), make(3, 4), name="matmul"),
            S("bij,bjk->bik", make(2, 2, 3), make(2, 3, 2), name="bmm"),
            S("ij,jk", make(2, 3), make(3, 4), name="implicit"),
            S("ii->i", make(3, 3), name="diagonal"),
            S("ii", make(3, 3), name="trace"),
            S("ij->", make(2, 3), name="sum"),
            S("ij->ji", make(2, 3, layout="transposed"), name="transpose"),
            S("i,j->ij", make(3), make(2, layout="strided"), name="outer"),
            S("...ij,...jk->...ik", make(2, 1, 2, 3), make(3, 3, 2), name="ellipsis-broadcast"),
            S("i...->...", make(3, 2, 2), name="ellipsis-sum"),
            S("bn,anm,bm->ba", make(2, 3), make(4, 3, 2), make(2, 2), name="three-operands"),
            S(",->", make(), make(), name="0-d"),
            S("ij,jk->ik", make(0, 3), make(3, 2), name="empty"),
            S("ijk,jil->kl", make(2, 3, 2), make(3, 2, 4), name="two-contracted"),
        ],
        dtypes=FLOATS,
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"einsum.*2 operands.*1 were given", "ij,jk", make(2, 2)),
            E(RuntimeError, r"einsum.*'ij'.*2 labels.*3 dims", "ij", make(2, 2, 2)),
            E(RuntimeError, r"einsum.*subscript 'j' has size 4.*size 3", "ij,jk", make(2, 3), make(4, 2)),
            E(RuntimeError, r"einsum.*output subscript 'k'", "ij->k", make(2, 2)),
        ],
    ),
)


def _ref_cdist(a: np.ndarray, b: np.ndarray, p: float = 2.0) -> np.ndarray:
    d = np.abs(a[..., :, None, :].astype(np.float64) - b[..., None, :, :])
    if p == 0:
        out = (d != 0).sum(-1).astype(np.float64)
    elif np.isinf(p):
        out = d.max(-1) if d.shape[-1] else np.zeros(d.shape[:-1])
    else:
        out = (d**p).sum(-1) ** (1 / p)
    return np.asarray(out).astype(a.dtype)


def _ref_cross(a: np.ndarray, b: np.ndarray, dim: int = -1) -> np.ndarray:
    return np.asarray(np.cross(a, b, axis=dim)).astype(np.result_type(a, b))


def _ref_torch_cross(a: np.ndarray, b: np.ndarray, dim: Any = None) -> np.ndarray:
    if dim is None:
        shape = np.broadcast_shapes(a.shape, b.shape)
        dim = next(i for i, s in enumerate(shape) if s == 3)
    return _ref_cross(a, b, dim)


_add_op(
    OpInfo(
        "cdist",
        ember.cdist,
        _ref_cdist,
        lambda op, make: [
            S(make(3, 2), make(4, 2), name="p2"),
            S(make(2, 3, 2), make(2, 4, 2), p=1.0, name="batched-p1"),
            S(make(3, 2), make(2, 2), p=3.0, name="p3"),
            S(make(3, 2), make(2, 2), p=float("inf"), name="pinf"),
            S(make(3, 2, layout="transposed"), make(4, 2, layout="strided"), name="non-contiguous"),
            S(make(0, 2), make(3, 2), name="empty"),
        ],
        tol=PROD_TOL,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"cdist.*same number of columns.*3 and 2", make(2, 3), make(2, 2)),
            E(RuntimeError, r"cdist.*at least 2D", make(3), make(2, 3)),
            E(RuntimeError, r"cdist.*non-negative p", make(2, 3), make(2, 3), p=-1.0),
        ],
    ),
    OpInfo(
        "linalg.cross",
        ember.linalg.cross,
        _ref_cross,
        lambda op, make: [
            S(make(3), make(3), name="1-d"),
            S(make(4, 3), make(3), name="broadcast"),
            S(make(3, 2), make(3, 2), dim=0, name="dim-0"),
            S(make(3, 2, layout="transposed"), make(3, 2), dim=-2, name="transposed"),
            S(make(0, 3), make(3), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        error_inputs=lambda op, make: [
            E(RuntimeError, r"linalg.cross.*dimension -1 must have length 3", make(2, 4), make(2, 4)),
            E(RuntimeError, r"linalg.cross.*not broadcastable", make(2, 3), make(4, 3)),
        ],
    ),
    OpInfo(
        "cross",
        ember.cross,
        _ref_torch_cross,
        lambda op, make: [
            S(make(4, 3), make(4, 3), name="default-dim"),
            S(make(3, 4), make(3, 4), name="first-dim-of-3"),
            S(make(2, 3), make(2, 3), dim=1, name="dim"),
            S(make(2, 3, layout="transposed"), make(2, 3), dim=-1, name="transposed"),
            S(make(0, 3), make(0, 3), name="empty"),
        ],
        dtypes=FLOATS + ("int64",),
        error_inputs=lambda op, make: [
            E(RuntimeError, r"cross.*dimension 0 must have length 3", make(2, 4), make(2, 4), 0)
        ],
    ),
    OpInfo(
        "linalg.vecdot",
        ember.linalg.vecdot,
        lambda x, y, dim=-1: np.asarray(np.sum(x * y, axis=dim)),
        lambda op, make: [
            S(make(3), make(3), name="1-d"),
            S(make(2, 3), make(3), name="broadcast"),
            S(make(3, 2), make(3, 2), dim=0, name="dim"),
            S(make(3, 2, layout="transposed"), make(3, 2, layout="strided"), dim=-2, name="non-contiguous"),
            S(make(2, 0), make(2, 0), name="empty"),
        ],
        dtypes=FLOATS,  # PyTorch refuses integers (test_linear_algebra.py checks the error)
        tol=PROD_TOL,
        error_inputs=lambda op, make: [E(IndexError, r"linalg.vecdot.*dim 2", make(2, 3), make(2, 3), dim=2)],
    ),
    OpInfo(
        "linalg.diagonal",
        ember.linalg.diagonal,
        lambda a, offset=0, dim1=-2, dim2=-1: np.asarray(np.diagonal(a, offset, dim1, dim2)).copy(),
        lambda op, make: [
            S(make(3, 3), name="square"),
            S(make(2, 3, 4), offset=1, name="batched-offset"),
            S(make(3, 4), offset=-2, name="negative-offset"),
            S(make(3, 2, 4), dim1=0, dim2=2, name="dims"),
            S(make(4, 3, layout="transposed"), offset=5, name="offset-out-of-range"),
            S(make(0, 3), name="empty"),
        ],
        dtypes=FLOATS + ("int64", "bool"),
        error_inputs=lambda op, make: [E(RuntimeError, r"diagonal.*dimensions cannot be identical 0, -2", make(2, 2), dim1=0, dim2=-2)],
    ),
)


# --------------------------------------------------------------------------- norms


@quiet
def _ref_vector_norm(
    x: np.ndarray,
    ord: float = 2,  # noqa: A002
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> np.ndarray:
    out_dt = np.dtype(str(dtype).replace("ember.", "")) if dtype is not None else x.dtype
    a = np.abs(x.astype(np.float64))
    axis = None if dim is None else (dim if isinstance(dim, int) else tuple(dim))
    if ord == 0:
        r = np.sum(a != 0, axis=axis, keepdims=keepdim)
    elif ord == np.inf:
        r = np.max(a, axis=axis, keepdims=keepdim)
    elif ord == -np.inf:
        r = np.min(a, axis=axis, keepdims=keepdim)
    else:
        r = np.sum(a**ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
    return np.asarray(r).astype(out_dt)


def _vector_norm_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = [
        S(make(2, 3), name="all"),
        S(make(2, 3), 1, dim=1, name="l1"),
        S(make(2, 3, 2), 3.0, dim=(0, 2), keepdim=True, name="p3-dims"),
        S(make(2, 3), float("inf"), dim=-1, name="inf"),
        S(make(2, 3), float("-inf"), dim=0, name="-inf"),
        S(make(2, 3), 0.5, name="p-half"),
        S(make(3, 2, layout="transposed"), dim=0, name="transposed"),
        S(make(), name="0-d"),
        S(make(0, 3), dim=1, name="empty"),
        S(make.array([[0.0, 0.0], [1.0, -2.0]]), dim=1, name="zero-row", grad=False),
    ]
    if make.dtype == np.float32:
        out.append(S(make(2, 3), dtype=ember.float64, name="dtype"))
    out.append(S(make(2, 3), 0, dim=1, name="l0", grad=False))
    return out


def _ref_matrix_norm(a: np.ndarray, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False) -> np.ndarray:  # noqa: A002
    o: Any = ord
    return np.asarray(np.linalg.norm(a.astype(np.float64), o, axis=tuple(dim), keepdims=keepdim)).astype(a.dtype)


def _matrix_norm_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 4), name="fro"),
        S(make(2, 3, 3), "nuc", name="nuc"),
        S(make(3, 4), 2, name="2"),
        S(make(4, 3), -2, name="-2"),
        S(make(3, 4), 1, keepdim=True, name="1-keepdim"),
        S(make(3, 4), -1, name="-1"),
        S(make(3, 4), float("inf"), name="inf"),
        S(make(3, 4), float("-inf"), name="-inf"),
        S(make(3, 2, 4), "fro", (0, 2), name="dims"),
        S(make(4, 3, layout="transposed"), 1, name="transposed"),
        S(make(0, 3), name="empty"),
    ]


def _ref_norm(a: np.ndarray, ord: Any = None, dim: Any = None, keepdim: bool = False) -> np.ndarray:  # noqa: A002
    if dim is None and ord is None:
        return _ref_vector_norm(a, 2, None, keepdim)
    if isinstance(dim, int) or (dim is None and a.ndim == 1):
        return _ref_vector_norm(a, 2 if ord is None else ord, dim, keepdim)
    return _ref_matrix_norm(a, "fro" if ord is None else ord, dim if dim is not None else (-2, -1), keepdim)


_add_op(
    OpInfo(
        "linalg_vector_norm",
        ember.linalg.vector_norm,
        _ref_vector_norm,
        _vector_norm_samples,
        tol=PROD_TOL,
        half=False,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"linalg.vector_norm.*floating point.*int64", make(3, dtype="int64")),
            E(IndexError, r"linalg.vector_norm.*dim 2", make(2, 3), dim=2),
            E(RuntimeError, r"linalg.vector_norm.*empty", make(0, 3), float("inf"), dim=0),
        ],
    ),
    OpInfo(
        "linalg.matrix_norm",
        ember.linalg.matrix_norm,
        _ref_matrix_norm,
        _matrix_norm_samples,
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"linalg.matrix_norm.*at least 2 dimensions", make(3)),
            E(RuntimeError, r"linalg.matrix_norm.*order 3 not supported", make(3, 3), 3),
            E(RuntimeError, r"linalg.matrix_norm.*floating point.*int64", make(3, 3, dtype="int64")),
        ],
    ),
    OpInfo(
        "linalg.norm",
        ember.linalg.norm,
        _ref_norm,
        lambda op, make: [
            S(make(2, 3), name="flat"),
            S(make(4), 1, name="vector-ord"),
            S(make(3, 3), "nuc", name="matrix-ord"),
            S(make(2, 3), 3, dim=1, name="dim-int"),
            S(make(2, 3, 2), "fro", dim=(0, 2), keepdim=True, name="dim-pair"),
            S(make(3, 2, layout="transposed"), float("inf"), name="transposed"),
            S(make(), name="0-d"),
        ],
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"linalg.norm.*1-D or 2-D.*\(2, 2, 2\)", make(2, 2, 2), 2),
        ],
    ),
)


# --------------------------------------------------------------------------- determinants, inverses, solvers


def _in64(fn: Any) -> Any:
    """A reference computed in float64 and returned in the input's dtype (each result)."""

    def ref(a: np.ndarray, *rest: Any, **kw: Any) -> Any:
        out = fn(a.astype(np.float64), *[r.astype(np.float64) if isinstance(r, np.ndarray) else r for r in rest], **kw)
        if isinstance(out, tuple):
            return tuple(np.asarray(o).astype(a.dtype) for o in out)
        return np.asarray(out).astype(a.dtype)

    return ref


def _det_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return _square_samples(op, make) + [
        S(make(3, 3), name="random"),
        S(make.array([[1.0, 2.0], [2.0, 4.0]]), name="singular", grad=False),
    ]


def _logdet_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return _square_samples(op, make, spd=True) + [
        S(make.array([[0.0, 1.0], [1.0, 0.0]]), name="negative-det", grad=False),
        S(make.array([[1.0, 2.0], [2.0, 4.0]]), name="singular", grad=False),
    ]


def _slogdet_ref(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sign, logabs = np.linalg.slogdet(a)
    return np.asarray(sign), np.asarray(logabs)


def _ref_logdet(a: np.ndarray) -> np.ndarray:
    sign, logabs = np.linalg.slogdet(a)
    return np.asarray(np.where(sign < 0, np.nan, logabs))  # a zero determinant: logabs is -inf already


for _name, _fn, _ref, _samples in (
    ("det", ember.det, _in64(np.linalg.det), _det_samples),
    ("linalg_det", ember.linalg.det, _in64(np.linalg.det), _det_samples),
    ("logdet", ember.logdet, _in64(_ref_logdet), _logdet_samples),
    ("slogdet", ember.slogdet, _in64(_slogdet_ref), _det_samples),
    ("linalg_slogdet", ember.linalg.slogdet, _in64(_slogdet_ref), _det_samples),
):
    _add_op(
        OpInfo(
            _name,
            _fn,
            _ref,
            _samples,
            tol=DECOMP_TOL,
            half=False,
            error_inputs=_float_errors(_name.replace("linalg_", "linalg.")),
        )
    )


def _inv_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return _square_samples(op, make)


def _inv_errors(name: str) -> Any:
    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        singular = E(ember.linalg.LinAlgError, r"singular", make.array([[1.0, 2.0], [2.0, 4.0]]))
        return [*_float_errors(name)(op, make), singular]

    return errors


def _ref_inv_ex(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    info = np.zeros(a.shape[:-2], np.int32)
    out = np.empty_like(a)
    for idx in np.ndindex(*a.shape[:-2]):
        try:
            out[idx] = np.linalg.inv(a[idx].astype(np.float64))
        except np.linalg.LinAlgError:
            out[idx] = np.nan
            info[idx] = 2  # the samples' singular matrices have their zero pivot at 2
    return out, info


for _name, _fn in (("linalg_inv", ember.linalg.inv), ("inverse", ember.inverse)):
    _add_op(
        OpInfo(
            _name,
            _fn,
            _in64(np.linalg.inv),
            _inv_samples,
            tol=DECOMP_TOL,
            half=False,
            error_inputs=_inv_errors(_name.replace("linalg_", "linalg.")),
        )
    )

_add_op(
    OpInfo(
        "linalg.inv_ex",
        ember.linalg.inv_ex,
        _ref_inv_ex,
        lambda op, make: (
            _inv_samples(op, make)
            + [S(make.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 1.0]]]), name="one-singular", grad=False)]
        ),
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: (
            _float_errors("linalg.inv_ex")(op, make)
            + [
                E(
                    ember.linalg.LinAlgError,
                    r"Batch element 0.*singular",
                    make.array([[[1.0, 2.0], [2.0, 4.0]]]),
                    check_errors=True,
                )
            ]
        ),
    ),
)


def _ref_solve(a: np.ndarray, b: np.ndarray, *, left: bool = True) -> np.ndarray:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not left:
        return _t(_ref_solve(_t(a), _t(b))).astype(a.dtype)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if vector:
        return np.linalg.solve(a64, b64[..., None])[..., 0].astype(a.dtype)
    return np.asarray(np.linalg.solve(a64, b64)).astype(a.dtype)


def _solve_info(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    b_batch = b.shape[:-1] if vector else b.shape[:-2]
    return np.zeros(np.broadcast_shapes(a.shape[:-2], b_batch), np.int32)


def _solve_errors(raises: bool) -> Any:
    def errors(op: OpInfo, make: Maker) -> list[ErrorInput]:
        out = [
            E(RuntimeError, r"linalg.solve.*float32 or float64.*int64", make(2, 2, dtype="int64"), make(2)),
            E(RuntimeError, r"linalg.solve.*square.*2 by 3", make(2, 3), make(2)),
            E(RuntimeError, r"linalg.solve.*Incompatible shapes.*2x2 and 3x1", make(2, 2), make(3)),
            E(RuntimeError, r"linalg.solve.*not broadcastable", make(2, 2, 2), make(3, 2, 1)),
            E(RuntimeError, r"linalg.solve.*XA = B.*\(2,\)", make(2, 2), make(2), left=False),
        ]
        if raises:  # (solve_ex reports it in info instead)
            out.append(
                E(ember.linalg.LinAlgError, r"linalg.solve.*singular", make.array([[1.0, 2.0], [2.0, 4.0]]), make(2))
            )
        return out

    return errors


def _solve_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(_well(make, 3, 3), make(3, 2), name="matrix"),
        S(_well(make, 3, 3), make(3), name="vector"),
        S(_well(make, 2, 3, 3), make(2, 3), name="batched-vectors"),
        S(_well(make, 2, 3, 3), make(3, 4), name="broadcast-b"),
        S(_well(make, 3, 3), make(2, 3, 1), name="broadcast-a"),
        S(_well(make, 3, 3, layout="transposed"), make(2, 3, layout="transposed"), left=False, name="right"),
        S(_well(make, 0, 0), make(0, 2), name="empty"),
    ]


for _name, _fn, _ref in (
    ("linalg_solve", ember.linalg.solve, _ref_solve),
    ("linalg.solve_ex", ember.linalg.solve_ex, lambda a, b, **kw: (_ref_solve(a, b, **kw), _solve_info(a, b))),
):
    _add_op(
        OpInfo(
            _name,
            _fn,
            _ref,
            _solve_samples,
            tol=DECOMP_TOL,
            half=False,
            error_inputs=_solve_errors(_name == "linalg_solve"),
        )
    )


# --------------------------------------------------------------------------- decompositions
# Singular vectors, eigenvectors and Q are unique up to signs: the entries normalize them (in Ember ops,
# so gradients flow) and the references the same way; inputs that the decomposition reads only in part
# (cholesky, eigh: one triangle) are symmetrized first so that gradcheck perturbs what is read.


def _sym(a: Any) -> Any:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:  # (bad input, for the error checks: the op reports it)
        return a
    return a + a.mT if isinstance(a, ember.Tensor) else a + _t(a)


def _spd(a: Any) -> Any:
    n = a.shape[-1]
    if isinstance(a, ember.Tensor):
        return a @ a.mT + n * ember.eye(n, dtype=a.dtype, device=a.device)
    return a @ _t(a) + n * np.eye(n)


def _gauge(u: Any, like: Any) -> Any:
    """Column signs making each column of `like` have a positive largest-magnitude entry."""
    if isinstance(like, ember.Tensor):
        if like.shape[-2] == 0 or like.shape[-1] == 0:
            return ember.ones(*like.shape[:-2], 1, like.shape[-1], dtype=like.dtype, device=like.device)
        idx = like.abs().argmax(-2, keepdim=True)
        s = like.gather(-2, idx).sign()
        return ember.where(s == 0, 1.0, s)
    return _sign_cols(u, like)


def _cholesky_op(a: Any, upper: bool = False) -> Any:
    return ember.linalg.cholesky(_spd(a), upper=upper)


def _ref_cholesky(a: np.ndarray, upper: bool = False) -> np.ndarray:
    L = np.linalg.cholesky(_spd(a.astype(np.float64)))
    return np.asarray(_t(L) if upper else L).astype(a.dtype)


def _qr_op(a: Any, mode: str = "reduced") -> Any:
    q, r = ember.linalg.qr(a, mode)
    d = ember.linalg.diagonal(r).sign()
    d = ember.where(d == 0, 1.0, d)
    k = d.shape[-1]
    if mode == "r":
        return r * d.unsqueeze(-1)
    return q[..., :k] * d.unsqueeze(-2), r[..., :k, :] * d.unsqueeze(-1)


def _ref_qr(a: np.ndarray, mode: str = "reduced") -> Any:
    q, r = np.linalg.qr(a.astype(np.float64), mode="complete" if mode == "complete" else "reduced")
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    d = np.where(d == 0, 1, d)
    k = d.shape[-1]
    rr = (r[..., :k, :] * d[..., :, None]).astype(a.dtype)
    if mode == "r":
        return rr
    return (q[..., :k] * d[..., None, :]).astype(a.dtype), rr


def _qr_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(4, 3), name="tall"),
        S(make(3, 3), name="square"),
        S(make(2, 4, 3), name="batched"),
        S(make(4, 3, layout="transposed"), name="transposed"),
        S(make(3, 3), "complete", name="complete-square"),
        S(make(4, 3), "r", name="r"),
        S(make(3, 4), name="wide"),
        S(make(0, 3), name="empty", grad=False),
    ]


def _svd_op(a: Any, full_matrices: bool = True) -> Any:
    u, s, vh = ember.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    g = _gauge(None, u[..., :k])
    return u[..., :k] * g, s, vh[..., :k, :] * g.mT


def _ref_svd(a: np.ndarray, full_matrices: bool = True) -> Any:
    u, s, vh = np.linalg.svd(a.astype(np.float64), full_matrices=False)
    g = _sign_cols(u, u)
    return (u * g).astype(a.dtype), s.astype(a.dtype), (vh * _t(g)).astype(a.dtype)


def _ref_torch_svd(a: np.ndarray, some: bool = True, compute_uv: bool = True) -> Any:
    """torch.svd: (U, S, V) with V = Vh^T, from the same LAPACK routine as NumPy's (so with its signs)."""
    a64 = a.astype(np.float64)
    m, n = a.shape[-2:]
    if not compute_uv:
        s = np.linalg.svd(a64, compute_uv=False)
        z = np.zeros
        return z(a.shape[:-2] + (m, m), a.dtype), s.astype(a.dtype), z(a.shape[:-2] + (n, n), a.dtype)
    u, s, vh = np.linalg.svd(a64, full_matrices=not some)
    return u.astype(a.dtype), s.astype(a.dtype), _t(vh).astype(a.dtype)


def _eigh_op(a: Any, UPLO: str = "L") -> Any:
    w, q = ember.linalg.eigh(_sym(a), UPLO)
    return w, q * _gauge(None, q)


def _ref_eigh(a: np.ndarray, UPLO: str = "L") -> Any:
    w, q = np.linalg.eigh(_sym(a.astype(np.float64)))
    return w.astype(a.dtype), (q * _sign_cols(q, q)).astype(a.dtype)


_add_op(
    OpInfo(
        "linalg_cholesky",
        _cholesky_op,
        _ref_cholesky,
        lambda op, make: _square_samples(op, make) + [S(make(3, 3), upper=True, name="upper")],
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"linalg.cholesky.*float32 or float64.*int64", make(3, 3, dtype="int64")),
        ],
    ),
    OpInfo(
        "cholesky",
        ember.cholesky,
        lambda a, upper=False: np.asarray(
            _t(np.linalg.cholesky(a.astype(np.float64))) if upper else np.linalg.cholesky(a.astype(np.float64))
        ).astype(a.dtype),
        lambda op, make: [
            S(_well(make, 3, 3, spd=True), name="3x3"),
            S(_well(make, 2, 3, 3, spd=True), True, name="upper-batched"),
            S(_well(make, 3, 3, spd=True, layout="transposed"), name="transposed"),
            S(_well(make, 0, 0, spd=True), name="empty"),
        ],
        differentiable=False,  # (its derivative is linalg_cholesky's, checked there on symmetrized input)
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"cholesky.*square.*2 by 3", make(2, 3)),
            E(
                ember.linalg.LinAlgError,
                r"cholesky.*Batch element 1.*order 1",
                make.array([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]]]),
            ),
        ],
    ),
    OpInfo(
        "linalg_qr",
        _qr_op,
        _ref_qr,
        _qr_samples,
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: (
            _float_errors("linalg.qr", square=False)(op, make)
            + [E(RuntimeError, r"linalg.qr.*unrecognized mode 'full'", make(3, 3), "full")]
        ),
    ),
    OpInfo(
        "qr",
        ember.qr,
        lambda a, some=True: tuple(
            x.astype(a.dtype) for x in np.linalg.qr(a.astype(np.float64), "reduced" if some else "complete")
        ),
        lambda op, make: [
            S(make(4, 3), name="reduced"),
            S(make(3, 3), False, name="complete-square"),
            S(make(4, 3), False, name="complete", grad=False),
            S(make(3, 3, layout="transposed"), name="transposed"),
            S(make(0, 2), name="empty"),
        ],
        tol=DECOMP_TOL,
        half=False,
    ),
    OpInfo(
        "linalg_svd",
        _svd_op,
        _ref_svd,
        lambda op, make: [
            S(make(4, 3), False, name="tall"),
            S(make(3, 4), False, name="wide"),
            S(make(3, 3), name="square-full"),
            S(make(2, 3, 2), False, name="batched"),
            S(make(4, 3, layout="transposed"), False, name="transposed"),
            S(make(0, 3), False, name="empty", grad=False),
        ],
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: _float_errors("linalg.svd", square=False)(op, make),
    ),
    OpInfo(
        "svd",
        ember.svd,
        _ref_torch_svd,
        lambda op, make: [
            S(make(4, 3), name="tall"),
            S(make(2, 3, 4), False, name="batched-full", grad=False),
            S(make(3, 3, layout="transposed"), name="transposed"),
            S(make(3, 2), compute_uv=False, name="no-uv", grad=False),
            S(make(0, 3), name="empty", grad=False),
        ],
        tol=DECOMP_TOL,
        half=False,
    ),
    OpInfo(
        "linalg.svdvals",
        ember.linalg.svdvals,
        lambda a: np.linalg.svd(a.astype(np.float64), compute_uv=False).astype(a.dtype),
        lambda op, make: (
            _rect_samples(op, make) + [S(make.array([[1.0, 0.0], [0.0, 1.0]]), name="repeated", grad=False)]
        ),
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: _float_errors("linalg.svdvals", square=False)(op, make),
    ),
    OpInfo(
        "linalg_eigh",
        _eigh_op,
        _ref_eigh,
        lambda op, make: [
            S(make(3, 3), name="3x3"),
            S(make(2, 4, 4), name="batched"),
            S(make(3, 3, layout="transposed"), "U", name="upper-transposed"),
            S(make(1, 1), name="1x1"),
            S(make(0, 0), name="empty"),
        ],
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: (
            _float_errors("linalg.eigh")(op, make) + [E(RuntimeError, r"linalg.eigh.*UPLO.*'X'", make(2, 2), "X")]
        ),
    ),
    OpInfo(
        "linalg.eigvalsh",
        lambda a, UPLO="L": ember.linalg.eigvalsh(_sym(a), UPLO),
        lambda a, UPLO="L": np.linalg.eigvalsh(_sym(a.astype(np.float64))).astype(a.dtype),
        lambda op, make: [
            S(make(3, 3), name="3x3"),
            S(make(2, 3, 3), "U", name="batched"),
            S(make(3, 3, layout="transposed"), name="transposed"),
            S(make.array([[1.0, 0.0], [0.0, 1.0]]), name="repeated", grad=False),
            S(make(0, 0), name="empty"),
        ],
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: _float_errors("linalg.eigvalsh")(op, make),
    ),
)


# --------------------------------------------------------------------------- pinv, rank, lstsq, matrix_exp


def _ref_pinv(a: np.ndarray, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> np.ndarray:
    a64 = a.astype(np.float64)
    u, s, vh = np.linalg.svd(a64, full_matrices=False)
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(m, n) if not atol else 0.0
    smax = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    tol = np.maximum(smax * rtol, atol or 0.0)
    with np.errstate(divide="ignore"):
        sinv = np.where(s > tol, 1 / s, 0.0)
    return np.asarray(_t(vh) * sinv[..., None, :] @ _t(u)).astype(a.dtype)


def _pinv_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    out = _rect_samples(op, make)
    return out + [
        S(make.array([[1.0, 2.0], [2.0, 4.0]]), name="rank-deficient", grad=False),
        S(make(4, 3), atol=0.5, name="atol", grad=False),
    ]


_add_op(
    OpInfo(
        "linalg_pinv",
        ember.linalg.pinv,
        _ref_pinv,
        lambda op, make: (
            _pinv_samples(op, make)
            + [S(Arg(_spd(make(3, 3).array).astype(make.dtype)), hermitian=True, name="hermitian", grad=False)]
        ),
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: _float_errors("linalg.pinv", square=False)(op, make),
    ),
    OpInfo(
        "pinverse",
        ember.pinverse,
        lambda a, rcond=1e-15: _ref_pinv(a, rtol=rcond),
        lambda op, make: _rect_samples(op, make) + [S(make(3, 3), 0.5, name="rcond", grad=False)],
        tol=DECOMP_TOL,
        half=False,
    ),
    OpInfo(
        "linalg.matrix_rank",
        ember.linalg.matrix_rank,
        lambda a, *, atol=None, rtol=None, hermitian=False: np.asarray(
            (
                np.linalg.svd(a.astype(np.float64), compute_uv=False)
                > np.maximum(
                    (
                        np.linalg.svd(a.astype(np.float64), compute_uv=False).max(-1, keepdims=True)
                        if min(a.shape[-2:])
                        else 0
                    )
                    * (rtol if rtol is not None else (np.finfo(a.dtype).eps * max(a.shape[-2:]) if not atol else 0.0)),
                    atol or 0.0,
                )
            ).sum(-1)
        ).astype(np.int64),
        lambda op, make: [
            S(make(4, 3), name="full"),
            S(make.array([[1.0, 2.0], [2.0, 4.0]]), name="rank-1"),
            S(make(2, 3, 3), atol=1.0, name="atol"),
            S(make(3, 3), rtol=0.5, name="rtol"),
            S(make(3, 4, layout="transposed"), name="transposed"),
            S(make(0, 3), name="empty"),
        ],
        differentiable=False,
        half=False,
        error_inputs=lambda op, make: _float_errors("linalg.matrix_rank", square=False)(op, make),
    ),
)


def _ref_lstsq(a: np.ndarray, b: np.ndarray, rcond: Any = None, *, driver: Any = None) -> Any:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    vector = b.ndim == a.ndim - 1
    b2 = b64[..., None] if vector else b64
    x = np.linalg.pinv(a64) @ b2
    m, n = a.shape[-2:]
    s = np.linalg.svd(a64, compute_uv=False)
    rank = (s > np.max(s, -1, keepdims=True, initial=0) * np.finfo(a.dtype).eps * max(m, n)).sum(-1)
    driver = driver or "gelsy"
    res = np.zeros(0)
    if driver != "gelsy" and m > n and (rank == n).all():
        res = ((a64 @ x - b2) ** 2).sum(-2)
        res = res[..., 0] if vector else res
    sv = s if driver in ("gelsd", "gelss") else np.zeros(0)
    rk = rank.astype(np.int64) if driver != "gels" else np.zeros(0, np.int64)
    return (x[..., 0] if vector else x).astype(a.dtype), res.astype(a.dtype), rk, sv.astype(a.dtype)


_add_op(
    OpInfo(
        "linalg.lstsq",
        lambda *args, **kw: ember.linalg.lstsq(*args, **kw),
        _ref_lstsq,
        lambda op, make: [
            S(make(4, 3), make(4, 2), name="tall"),
            S(make(3, 4), make(3, 2), name="wide"),
            S(make(2, 4, 3), make(2, 4), name="batched-vector"),
            S(make(4, 3), make(4, 2), driver="gelsd", name="gelsd"),
            S(make(4, 3), make(4, 2), driver="gels", name="gels"),
            S(make(4, 3, layout="transposed"), make(4, 1), driver="gelss", name="transposed-gelss"),
            S(make(0, 3), make(0, 2), name="empty", grad=False),
        ],
        differentiable=False,  # (the solution's derivative: tests/test_linalg.py; empty outputs stop gradcheck here)
        tol=DECOMP_TOL,
        half=False,
        error_inputs=lambda op, make: [
            E(RuntimeError, r"linalg.lstsq.*float32 or float64.*int64", make(3, 3, dtype="int64"), make(3, 1)),
            E(RuntimeError, r"linalg.lstsq.*should match.*\(3, 3\).*\(2, 1\)", make(3, 3), make(2, 1)),
            E(RuntimeError, r"linalg.lstsq.*driver.*'foo'", make(3, 3), make(3, 1), driver="foo"),
        ],
    ),
)


def _ref_expm(a: np.ndarray) -> np.ndarray:
    """exp(A) by its Taylor series on A / 2^s, squared back (float64)."""
    a64 = a.astype(np.float64)
    if a64.size == 0:
        return a.copy()
    norm = np.abs(a64).sum(-2).max()
    s = max(0, int(np.ceil(np.log2(max(norm, 1e-300)))) + 1)
    x = a64 / 2**s
    term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    out = term.copy()
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out.astype(a.dtype)


def _matrix_exp_samples(op: OpInfo, make: Maker) -> list[SampleInput]:
    return [
        S(make(3, 3), name="3x3"),
        S(make(2, 3, 3), name="batched"),
        S(make(3, 3, layout="transposed"), name="transposed"),
        S(make(3, 3, low=-6, high=6), name="large-norm"),
        S(make(1, 1), name="1x1"),
        S(make(0, 0), name="empty"),
    ]


for _name, _fn in (("matrix_exp", ember.matrix_exp), ("linalg_matrix_exp", ember.linalg.matrix_exp)):
    _add_op(
        OpInfo(
            _name,
            _fn,
            _ref_expm,
            _matrix_exp_samples,
            tol=DECOMP_TOL,
            half=False,
            error_inputs=_float_errors(_name.replace("linalg_", "linalg.")),
        )
    )
