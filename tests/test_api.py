"""The public namespace and the Tensor methods are read off the op table, and stay in step with it."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import _codegen
from ember.dispatch import API, OPS
from ember.ops.elementwise import RULE_KINDS
from ember.tensor import Tensor


def test_generated_files_are_current() -> None:
    stale = _codegen.stale()
    if not stale:
        return
    lines = []
    for path, wanted in stale:
        have = path.read_text() if path.exists() else ""
        if path == _codegen.TENSOR_FILE:
            names = {ln.split("(")[0].strip()[4:] for ln in wanted.splitlines() if ln.startswith("    def ")}
            old = {ln.split("(")[0].strip()[4:] for ln in have.splitlines() if ln.startswith("    def ")}
            detail = f"missing methods {sorted(names - old)}, stale methods {sorted(old - names)}" if names != old else "signatures or docstrings changed"
        else:
            detail = "the op declarations changed"
        lines.append(f"{path}: {detail}")
    pytest.fail("generated files are out of date; run `python -m ember._codegen`:\n" + "\n".join(lines))


@pytest.mark.parametrize("name", sorted(API))
def test_every_public_function_is_in_the_namespace_with_a_docstring(name: str) -> None:
    api = API[name]
    found = functools.reduce(getattr, name.split("."), ember)  # "linalg.norm" is ember.linalg.norm
    assert found is api.fn, f"ember.{name} is not the function declared with @public"
    doc = inspect.getdoc(api.fn) or ""
    assert doc, f"ember.{name} has no docstring"
    assert "array" not in doc.split(".")[0] or "NumPy" in doc, f"ember.{name}'s docstring reads like a kernel contract: {doc!r}"


@pytest.mark.parametrize("name", sorted(n for n, a in API.items() if a.method))
def test_methods_are_real_methods(name: str) -> None:
    """x.name is defined in the class body (help(), IDEs and type checkers see it), with the function's docs."""
    api = API[name]
    method = Tensor.__dict__.get(name)
    assert method is not None, f"Tensor.{name} is missing from ember/tensor.py; run `python -m ember._codegen`"
    assert inspect.getdoc(api.fn).splitlines()[0] in (inspect.getdoc(method) or "")  # type: ignore[union-attr]
    if api.inplace:
        assert f"{name}_" in Tensor.__dict__, f"Tensor.{name}_ is missing; run `python -m ember._codegen`"


def test_no_other_tensor_methods_are_attached_at_import() -> None:
    """Every public method of Tensor comes from a class body, none from setattr."""
    source = Path(inspect.getsourcefile(Tensor)).read_text()  # type: ignore[arg-type]
    written = set(re.findall(r"^    def (\w+)\(", source, re.M)) | set(re.findall(r"^    (\w+) = ", source, re.M))
    bodies = written | set(Tensor.__slots__) | set(object.__dict__) | {"__slots__", "__annotations__", "__module__", "__doc__", "__dict__"}
    attached = [n for n in dir(Tensor) if n not in bodies]
    assert not attached, f"attributes attached outside a class body: {attached}"


_UNARY = sorted(
    op.name for op in OPS.values() if op.family == "elementwise" and op.kind == "primitive" and op.signature.startswith(f"{op.name}(x: array)")
)


@pytest.mark.parametrize("name", _UNARY)
def test_unary_ops_give_writable_zero_dim_tensors(name: str, device: str) -> None:
    """A 0-d result is a real array on every backend: in-place ops and x[...] = v write into it.

    (Regression: an elementwise op missing from a hand-kept list held a NumPy scalar, so
    `.add_(1.)` raised TypeError and `y[...] = 3.` silently did nothing.)
    """
    floats = "f" in RULE_KINDS[OPS[name].rule]
    x = ember.tensor(True if OPS[name].rule == "logical" else 0.5 if floats else 3, device=device)
    y = next(a.fn for a in API.values() if a.op is OPS[name])(x)  # ember.<name>, or ember.special.i1
    assert y.shape == ()
    if y.dtype is ember.bool:
        y[...] = False
        assert y.item() is False
        return
    before, one = y.item(), 1.0 if floats else 1
    y.add_(one)
    assert y.item() == pytest.approx(before + one, nan_ok=True)  # (nan where 0.5 is outside the domain)
    y[...] = 3 * one
    assert y.item() == 3.0


def test_take_along_dim_has_pytorchs_signature(device: str) -> None:
    """Regression: take_along_dim was gather under another name, (input, dim, index) not (input, indices, dim)."""
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    idx = np.array([[0], [3], [1]])
    x = ember.tensor(a, device=device)
    i = ember.tensor(idx, device=device)
    np.testing.assert_array_equal(ember.take_along_dim(x, i, dim=1).numpy(), np.take_along_axis(a, idx, 1))
    np.testing.assert_array_equal(x.take_along_dim(ember.tensor([11, 0], device=device)).numpy(), [11.0, 0.0])
    with pytest.raises(RuntimeError, match="take_along_dim: .* same number of dimensions"):
        ember.take_along_dim(x, ember.tensor([0], device=device), 1)


def test_inplace_methods_use_the_backends_inplace_kernel(device: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """x.add_(y) and x += y run the add_ kernel when no gradient is recorded, also with alpha at its default.

    (Regression: the generated add_ passes alpha=1 by keyword, which made every call compute
    out of place and copy back, so .grad accumulation in backward lost its in-place kernel.)
    """
    from ember.ops import _run

    variant = OPS["add_"]
    k = _run.kernel(variant, ember.device(device))
    if k is None:
        pytest.skip(f"the backend for {device} has no add_ kernel")
    calls = []

    def counting(x: object, y: object) -> None:
        calls.append(1)
        k(x, y)

    monkeypatch.setitem(variant._kernels, ember.device(device).type, counting)
    x, y = ember.zeros(3, device=device), ember.ones(3, device=device)
    x.add_(y)
    x += y
    x.add_(y, alpha=2)  # not the default: computed out of place, then written back
    assert len(calls) == 2
    np.testing.assert_array_equal(x.numpy(), [4.0, 4.0, 4.0])
