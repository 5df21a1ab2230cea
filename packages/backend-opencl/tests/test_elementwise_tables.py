"""The elementwise expression tables against the op declarations in core (no OpenCL device needed).

A unary or binary op declared in core (`unary(...)`/`binary_op(...)` in ember.ops.elementwise)
needs exactly one thing in this backend: its OpenCL C expression in `UNARY` or `BINARY`.
These tests name the op and the table when one is missing, or left over after a rename.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pyopencl")

from ember.dispatch import OPS, _load_all_ops
from ember_opencl import elementwise

_load_all_ops()


def _arity(op: object) -> int:
    """How many operands an elementwise kernel takes, read off its declared signature."""
    params = op.signature.split("(", 1)[1].split(")", 1)[0]  # type: ignore[attr-defined]
    return params.count(":")


#: the elementwise primitives declared with a dtype rule (by unary() or binary_op()), and their table
DECLARED = {
    name: ("UNARY" if _arity(op) == 1 else "BINARY")
    for name, op in OPS.items()
    if op.kind == "primitive" and op.family == "elementwise" and op.rule is not None
}


def test_the_declarations_are_found() -> None:
    assert {"neg", "exp", "isnan", "logical_not"} <= {n for n, t in DECLARED.items() if t == "UNARY"}
    assert {"add", "pow", "eq", "logical_xor"} <= {n for n, t in DECLARED.items() if t == "BINARY"}


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_every_declared_elementwise_op_has_an_expression(name: str) -> None:
    table = DECLARED[name]
    assert name in getattr(elementwise, table), (
        f"the elementwise op {name!r} ({OPS[name].signature}) has no OpenCL C expression: add one to "
        f"{table} in ember_opencl/elementwise.py, e.g. {name!r}: {{'f': '...(x0)'}}"
    )
    assert name in elementwise.KERNELS, f"{name!r} has an expression in {table} but no kernel in KERNELS"


@pytest.mark.parametrize("table", ["UNARY", "BINARY"])
def test_no_stale_expressions(table: str) -> None:
    stale = sorted(n for n in getattr(elementwise, table) if DECLARED.get(n) != table)
    assert not stale, (
        f"ember_opencl/elementwise.py {table} has expressions for {stale}, which core does not declare as "
        f"{'unary' if table == 'UNARY' else 'binary'} elementwise ops (renamed or removed? see ember.dispatch.OPS)"
    )


def test_bool_results_and_inplace_variants_follow_the_declarations() -> None:
    assert {n for n in DECLARED if OPS[n].rule in ("bool", "logical")} == elementwise.BOOL_RESULTS
    inplace = {n for n, op in OPS.items() if op.kind == "inplace"}
    assert inplace and inplace <= set(elementwise.KERNELS), sorted(inplace - set(elementwise.KERNELS))
