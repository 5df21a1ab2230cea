"""Tables that follow the op declarations (`ember.dispatch.OPS`), checked op by op.

Adding an elementwise op takes its declaration in core (`unary(...)`/`binary_op(...)`), its
OpenCL C expression and its OpInfo; the kernels of NumPy (and CuPy and the template backend)
are derived from the declaration. These tests fail, naming the op, when something is missing:
a kernel in the NumPy tables, or an OpInfo in `ember.testing.op_db.OP_DB`.
"""

from __future__ import annotations

from typing import Any

import numpy
import pytest

from ember.dispatch import API, OPS, _load_all_ops
from ember.ops.elementwise import RULE_KINDS
from ember.testing.op_db import OP_DB
from ember.xp_kernels import kernel_table

_load_all_ops()

ELEMENTWISE = sorted(name for name, op in OPS.items() if op.kind == "primitive" and op.family == "elementwise")

#: primitives the generic table leaves to each backend, and why
NOT_GENERIC = {
    "erf": "a special function outside NumPy's API (SciPy's on NumPy, cupyx's on CuPy)",
    "erfc": "a special function outside NumPy's API (SciPy's on NumPy, else math.erfc)",
    "erfinv": "a special function outside NumPy's API (SciPy's on NumPy, else an approximation and Newton steps)",
    "lgamma": "a special function outside NumPy's API (SciPy's gammaln on NumPy, else math.lgamma)",
}

#: ops with no OpInfo under their own name, and where they are tested instead. Keep this short: a
#: user-facing op belongs in OP_DB (values, gradients and kernel contracts on every backend).
NO_OPINFO = {
    # kernels behind Python syntax, whose OpInfos are named after the syntax
    "slice": "basic indexing x[1:3, 0]: OpInfo 'getitem'",
    "index": "advanced indexing x[idx]: OpInfo 'getitem'",
    "index_put": "indexed assignment x[idx] = v: OpInfo 'setitem'",
    "copy_": "the write under x[...] = v and every in-place op: OpInfo 'setitem', kit test_copy_inplace_contract",
    # creation and conversion: OP_DB's harness compares ops on tensors with NumPy; these have kit CALLS
    "full": "ember.full/zeros/ones (and where() of two scalars): kit CALLS",
    "arange": "ember.arange: kit CALLS",
    "astype": "Tensor.to(dtype), and the cast under every mixed-dtype op: kit test_promotion, CALLS",
    "copy": "clone() and contiguous(): kit CALLS, test_properties",
    "random_bits": "the bits under rand/randn/randint: kit test_random (against ember.random.philox4x32)",
    # composites whose front ends live in ember.nn.functional: tests/nn/test_nn_composites.py
    "conv2d": "ember.nn.functional.conv2d: tests/nn/test_nn_composites.py",
    "conv2d_bias": "ember.nn.functional.conv2d with a bias: tests/nn/test_nn_composites.py",
    "conv2d_input_grad": "conv2d's input derivative: tests/nn/test_nn_composites.py (gradgradcheck)",
    "conv2d_weight_grad": "conv2d's weight derivative: tests/nn/test_nn_composites.py (gradgradcheck)",
    "max_pool2d": "ember.nn.functional.max_pool2d: tests/nn/test_nn_composites.py",
    "max_pool2d_grad": "max_pool2d's derivative: tests/nn/test_nn_composites.py (bitwise, gradgradcheck)",
    "linear": "ember.nn.functional.linear: tests/nn/test_nn_composites.py",
    "softmax_cross_entropy": "ember.nn.functional.cross_entropy's fused case: tests/nn/test_nn_composites.py",
    "softmax_cross_entropy_grad": "its derivative: tests/nn/test_nn_composites.py (bitwise, gradgradcheck)",
    # the indices under cummax/cummin (their OpInfos), with kit CALLS
    "cumext_indices": "cummax/cummin's indices: OpInfos 'cummax', 'cummin', tests/test_reductions_sorting.py",
}  # fmt: skip


def _numpy_kernels() -> dict[str, Any]:
    from ember_numpy.kernels import KERNELS

    return KERNELS


_GENERIC = kernel_table(numpy)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_elementwise_primitive_has_numpy_kernels(name: str) -> None:
    op = OPS[name]
    how = (
        f"its declaration names the NumPy/array-API function {op.xp!r}, which NumPy lacks"
        if op.xp
        else "declare it with xp=<array-API function name>, or write its kernel in ember/xp_kernels.py"
    )
    assert name in _numpy_kernels(), f"the NumPy backend has no kernel for the elementwise primitive {name!r}: {how}"
    if name not in NOT_GENERIC:
        assert name in _GENERIC, f"ember.xp_kernels.kernel_table(numpy) has no kernel for {name!r}: {how}"


@pytest.mark.parametrize("name", sorted(n for n in ELEMENTWISE if OPS[n].rule is not None and n not in NOT_GENERIC))
def test_generic_elementwise_kernels_return_arrays_for_0d(name: str) -> None:
    """NumPy's ufuncs give scalars for 0-d operands; the kernels (all ops with a dtype rule) give arrays."""
    op = OPS[name]
    kinds = RULE_KINDS[op.rule]
    x = (
        numpy.array(True)
        if op.rule == "logical"
        else numpy.array(0.75 if "f" in kinds else 3, numpy.float32 if "f" in kinds else numpy.int64)
    )
    arity = 1 if op.signature.startswith(f"{name}(x: array)") else 2
    out = _GENERIC[name](*([x] * arity))
    assert type(out) is numpy.ndarray and out.shape == (), f"{name}: {type(out).__name__} for 0-d operands"


def test_generic_inplace_variants_are_derived() -> None:
    """Every in-place variant whose op names an array-API function has a kernel that writes into x."""
    for base in OPS.values():
        if base.variant is None:
            continue
        name = base.variant.name
        assert base.xp is None or name in _GENERIC, f"kernel_table(numpy) has no in-place kernel {name!r}"
        if name in _GENERIC:
            x = numpy.array([1.5, -2.0, 4.0], numpy.float32)
            expected = _GENERIC[base.name](x, numpy.float32(2.0))
            assert _GENERIC[name](x, numpy.float32(2.0)) is None
            numpy.testing.assert_array_equal(x, expected, err_msg=name)


def test_array_api_names_fall_back_to_numpy1_spellings_by_rule() -> None:
    from types import SimpleNamespace

    from ember.xp_kernels import xp_function

    def f() -> None: ...

    old = SimpleNamespace(power=f, arccos=f, arctan2=f, arcsinh=f)
    assert [xp_function(old, n) for n in ("pow", "acos", "atan2", "asinh")] == [f] * 4
    assert xp_function(old, "log2") is None and xp_function(SimpleNamespace(pow=len), "pow") is len
    assert xp_function(numpy, "pow") is numpy.power and xp_function(numpy, "acos") is numpy.arccos


def _opinfo_names() -> set[str]:
    return {info.name for info in OP_DB}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_an_opinfo(name: str) -> None:
    op = OPS[name]
    if op.kind == "inplace":  # x.add_(y) and friends: OpInfo 'add' and the kit's test_optional_inplace_kernel
        return
    if name in NO_OPINFO:
        assert name not in _opinfo_names(), f"{name!r} has an OpInfo now: remove it from NO_OPINFO"
        return
    fronts = sorted(a.name for a in API.values() if a.op is op)
    front = f"; its public function is ember.{fronts[0]}" if fronts else ""
    assert name in _opinfo_names(), (
        f"the op {name!r} ({op.signature}) has no OpInfo: add an OpInfo entry named {name!r} to OP_DB in "
        f"ember/testing/op_db/<family>.py (sample inputs and a NumPy reference{front}). A kernel that users never call "
        f"directly goes in NO_OPINFO in tests/test_op_tables.py instead, with the reason"
    )


def test_exemptions_are_ops() -> None:
    stale = sorted((set(NO_OPINFO) | set(NOT_GENERIC)) - set(OPS))
    assert not stale, f"NO_OPINFO/NOT_GENERIC name ops that are not declared any more: {stale}"
