"""The op table: every op declared once, and the `(op, device type) -> kernel` lookup.

Primitives must come from every backend (a missing one falls back to the host
reference backend with a one-time warning). Composites are written in core out
of other ops; a backend may override one with a kernel, and the composite's own
derivative in core keeps gradients the same.

Lookups are cached per op and device type, so the per-op path is a dict lookup.
"""

from __future__ import annotations

import os
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .backends import Backend, registry

__all__ = [
    "Op", "OPS", "primitive", "composite", "kernel_for", "invalidate_caches", "FallbackWarning",
    "Api", "API", "public",
]  # fmt: skip

#: The device type of the host reference backend that missing kernels fall back to.
REFERENCE_DEVICE_TYPE = "cpu"


class FallbackWarning(RuntimeWarning):
    """An op ran on the host reference backend because the device's backend lacks its kernel."""


@dataclass(eq=False)
class Op:
    """An op's declaration: name, kind, kernel contract and derivative.

    `signature` and `doc` are the kernel's contract as a backend author sees it
    (native arrays in, native arrays out); `docs/primitives.md` is generated from them.
    """

    name: str
    kind: str  # "primitive" | "composite"
    signature: str
    doc: str
    family: str
    vjp: Callable[..., Any] | None = None
    impl: Callable[..., Any] | None = None  # composites: the decomposition, in ember ops
    view: bool = False  # returns a view of its input (must share memory; never falls back)
    inplace: bool = False  # writes into its first argument
    differentiable: bool = True
    save_inputs: bool = False  # the derivative reads node[i]
    save_out: bool = False  # the derivative reads node.out
    index_arg: int | None = None  # which positional argument is the device index (creation kernels)
    #: elementwise ops: how core picks the compute and result dtypes (`ember.ops.elementwise.RULES`)
    rule: str | None = None
    #: the function of this name in a NumPy-compatible array module (NumPy, CuPy, the array API)
    #: computes the kernel; core's generic kernels (`ember.xp_kernels`) take it from there
    xp: str | None = None
    #: the optional in-place kernel `<name>_` declared with `inplace_variant(self)`
    variant: Op | None = None
    #: what the op does with complex operands: None refuses them (a TypeError naming the op and the dtype),
    #: "complex" computes in the complex dtype, "real" too but returns the real dtype of its parts (abs).
    #: Ops that only move or copy data (creation, conversion, movement, indexing) take complex dtypes.
    complex: str | None = None
    _kernels: dict[str, Callable[..., Any] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.complex is None and self.family in _COMPLEX_FAMILIES:
            self.complex = "complex"

    def __hash__(self) -> int:
        return id(self)


#: the op families whose ops move or copy data and so take complex dtypes as they take any other
_COMPLEX_FAMILIES = frozenset({"creation", "conversion", "movement", "indexing"})


def complex_refused(op: str, dtype: Any) -> TypeError:
    """The error for an op that does not take complex tensors, naming it and the dtype."""
    return TypeError(
        f"{op}: not supported for complex tensors (dtype {dtype.name}); Ember's complex support covers "
        f"arithmetic, abs/angle/real/imag/conj, exp/log/sqrt/reciprocal, sin/cos/tanh/sinh/cosh, sum/mean, matmul, movement and ember.fft; take the real "
        f"part (x.real), the imaginary part (x.imag) or the magnitude (x.abs()) first, or use "
        f"ember.view_as_real(x)"
    )


OPS: dict[str, Op] = {}


def _declare(op: Op) -> Op:
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is declared twice")
    OPS[op.name] = op
    return op


def primitive(
    name: str,
    signature: str,
    doc: str,
    *,
    family: str,
    vjp: Callable[..., Any] | None = None,
    view: bool = False,
    inplace: bool = False,
    differentiable: bool = True,
    save_inputs: bool = False,
    save_out: bool = False,
    index_arg: int | None = None,
    rule: str | None = None,
    xp: str | None = None,
) -> Op:
    """Declare a primitive: every backend provides a kernel named `name`."""
    return _declare(
        Op(
            name, "primitive", signature, doc, family, vjp, None, view, inplace, differentiable,
            save_inputs, save_out, index_arg, rule, xp,
        )  # fmt: skip
    )


def composite(
    name: str,
    signature: str,
    doc: str,
    *,
    family: str,
    impl: Callable[..., Any],
    vjp: Callable[..., Any] | None,
    save_inputs: bool = False,
    save_out: bool = False,
) -> Op:
    """Declare a composite: `impl` in ember ops; a backend may override the forward."""
    return _declare(
        Op(name, "composite", signature, doc, family, vjp, impl, save_inputs=save_inputs, save_out=save_out)
    )


def inplace_variant(op: Op) -> Op:
    """Declare `op`'s optional in-place kernel `op.name + "_"`: x op= y, writing into x."""
    op.variant = _declare(
        Op(
            op.name + "_",
            "inplace",
            f"{op.name}_(x: array, y: array | scalar) -> None",
            f"x = {op.name}(x, y), written into x (through views). y has x's dtype and broadcasts to x's shape. "
            f"Without it, core computes {op.name} and copies the result in with copy_.",
            op.family,
            inplace=True,
            differentiable=False,
        )
    )
    return op.variant


@dataclass(frozen=True)
class Api:
    """A public function of the `ember` namespace, and the Tensor methods it gives.

    The `ember.<name>` namespace (`ember/ops/__init__.py`) and the Tensor methods
    (generated into `ember/tensor.py` by `python -m ember._codegen`) are read off `API`.
    A function of a sub-namespace (`ember.linalg.norm`) is keyed by its dotted name
    ("linalg.norm") and read off `API` by that namespace's module (`ember/linalg.py`).
    """

    name: str
    fn: Callable[..., Any]
    #: `x.name(*args)` calls `fn(x, *args)`
    method: bool = False
    #: `x.name_(*args)` computes `fn(x, *args)` and writes it into x
    inplace: bool = False
    #: the op this function runs, when it is one op's front end
    op: Op | None = None


API: dict[str, Api] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def public(
    fn: Any = None,
    *,
    name: str | None = None,
    method: bool = False,
    inplace: bool = False,
    aliases: tuple[str, ...] = (),
    op: Op | None = None,
    namespace: str | None = None,
) -> Any:
    """Register `fn` as `ember.<name>` (and Tensor methods); usable as a decorator with or without arguments.

    Each alias is registered the same way under its own name (PyTorch's `clip` for `clamp`).
    With `namespace` ("linalg", "fft") the function is `ember.<namespace>.<name>` instead.
    """
    if namespace is not None and (method or inplace):
        raise ValueError("a function of a sub-namespace gives no Tensor methods; declare the method separately")

    def register(f: _F) -> _F:
        for n in (name or f.__name__, *aliases):
            n = f"{namespace}.{n}" if namespace else n
            if n in API:
                raise ValueError(f"public function {n!r} is declared twice")
            API[n] = Api(n, f, method, inplace, op)
        return f

    return register(fn) if fn is not None else register


def namespace(prefix: str) -> dict[str, Callable[..., Any]]:
    """The public functions of the sub-namespace `prefix` ("linalg"), by their short names."""
    return {n.split(".", 1)[1]: a.fn for n, a in API.items() if n.startswith(prefix + ".")}


def kernel_for(op: Op, device_type: str) -> Callable[..., Any] | None:
    """The kernel for `op` on `device_type`; None means "run the composite's decomposition"."""
    try:
        return op._kernels[device_type]
    except KeyError:
        pass
    op._kernels[device_type] = _resolve(op, device_type)
    return op._kernels[device_type]  # read back: a recording table (ember.capture) wraps it


def invalidate_caches() -> None:
    for op in OPS.values():
        op._kernels.clear()


def _resolve(op: Op, device_type: str) -> Callable[..., Any] | None:
    backend = registry.get(device_type)
    k = backend.kernels.get(op.name)
    if k is not None:
        return k
    if op.kind in ("composite", "inplace"):  # optional: core has another way to compute it
        return None
    if op.view or op.inplace:
        raise NotImplementedError(
            f"backend {backend.name!r} (device type {device_type!r}, {backend.distribution}) has no kernel for "
            f"the {'view' if op.view else 'in-place'} primitive {op.name!r}, and such kernels cannot fall back "
            f"to the host: implement {op.name!r} in the backend's kernel table"
        )
    ref = registry.peek(REFERENCE_DEVICE_TYPE)
    if ref is None or ref is backend or op.name not in ref.kernels:
        raise NotImplementedError(
            f"backend {backend.name!r} (device type {device_type!r}, {backend.distribution}) has no kernel for "
            f"the primitive {op.name!r}, and no host reference backend to fall back to; implement it, or "
            f"install ember-backend-numpy for the fallback"
        )
    return _fallback(op, backend, ref)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_stacklevel() -> int:
    """The `stacklevel` that points a warning at the first caller outside ember's core package."""
    frame: types.FrameType | None = sys._getframe(2)  # the caller of the function that calls warnings.warn
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


_NOT_ARRAYS = (int, float, bool, str, slice, type(None), type(Ellipsis))


def _fallback(op: Op, backend: Backend, ref: Backend) -> Callable[..., Any]:
    ref_kernel = ref.kernels[op.name]
    warned = False
    from .dtypes import DType

    def is_native(x: Any) -> bool:
        return not isinstance(x, (*_NOT_ARRAYS, DType, tuple, list, dict))

    def down(x: Any) -> Any:
        if isinstance(x, (tuple, list)):
            return type(x)(down(v) for v in x)
        return ref.from_host(backend.to_host(x), 0) if is_native(x) else x

    def up(x: Any, index: int) -> Any:
        if isinstance(x, (tuple, list)):
            return type(x)(up(v, index) for v in x)
        return backend.from_host(ref.to_host(x), index) if is_native(x) else x

    def first_index(args: tuple[Any, ...]) -> int:
        for a in args:
            if isinstance(a, (tuple, list)):
                i = first_index(tuple(a))
                if i >= 0:
                    return i
            elif is_native(a):
                return backend.device_index_of(a)
        return -1

    def kernel(*args: Any, **kwargs: Any) -> Any:
        nonlocal warned
        if not warned:
            warned = True
            warnings.warn(
                f"{op.name}: backend {backend.name!r} has no kernel for it; running it on the host "
                f"reference backend {ref.name!r} with copies to and from {backend.device_type!r} (slow)",
                FallbackWarning,
                stacklevel=_user_stacklevel(),
            )
        index = kwargs.get("index")
        if index is None and op.index_arg is not None and len(args) > op.index_arg:
            index = args[op.index_arg]
        if index is None:
            index = max(first_index(args), 0)
        out = ref_kernel(*down(args), **{k: down(v) for k, v in kwargs.items()})
        return up(out, index)

    kernel.__name__ = f"fallback_{op.name}"
    return kernel


def _load_all_ops() -> None:
    from . import ops  # noqa: F401 - declares every op


def reference_markdown() -> str:
    """docs/primitives.md: the backend author's checklist, generated from the declarations."""
    _load_all_ops()
    lines = [
        "# Primitives and composites",
        "",
        "Generated from the op declarations in `ember-core` by `python -m ember._codegen`;",
        "a test fails when this file and the declarations disagree.",
        "",
        "A backend's kernel table maps these names to functions on its native arrays.",
        "Kernels receive operands already checked by core: same device, the dtypes",
        "stated, shapes that broadcast. They never mutate their inputs (except those",
        "marked in-place) and never return a view of an input (except those marked view).",
        "A missing primitive falls back to the host reference backend with a one-time",
        "warning, except view and in-place kernels, which every backend must provide.",
        "",
    ]
    sections = (
        ("primitive", "Primitives (every backend)"),
        ("composite", "Composites (optional overrides)"),
        ("inplace", "In-place variants (optional; used when no gradient is recorded)"),
    )
    for kind, title in sections:
        lines += [f"## {title}", ""]
        families = sorted({op.family for op in OPS.values() if op.kind == kind})
        for fam in families:
            lines += [f"### {fam}", "", "| kernel | signature | contract | flags |", "|---|---|---|---|"]
            for op in sorted((o for o in OPS.values() if o.kind == kind and o.family == fam), key=lambda o: o.name):
                flags = ", ".join(
                    f
                    for f, on in (
                        ("view", op.view),
                        ("in-place", op.inplace),
                        ("differentiable", op.differentiable and op.vjp is not None),
                    )
                    if on
                )
                sig = op.signature.replace("|", "\\|")
                doc = op.doc.replace("|", "\\|")
                lines.append(f"| `{op.name}` | `{sig}` | {doc} | {flags} |")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # run as a script this module is a copy: use the real one's table
    from ember import dispatch as _dispatch

    print(_dispatch.reference_markdown(), end="")
