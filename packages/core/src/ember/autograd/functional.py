"""Higher-level autograd on functions, as `torch.autograd.functional`: `vjp`, `jvp`, `jacobian`, `hessian`,
`vhp`, `hvp`.

Each takes a function of tensors and computes with reverse mode (`jvp` by the double-backward trick, as
PyTorch does); results are detached unless ``create_graph=True``. An input a result does not depend on gets
zeros, or an error with ``strict=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x: Any, arg: str, fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    """(was a tuple, the items as a tuple), each item checked to be a Tensor."""
    from ..tensor import Tensor

    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            what = f"{arg}[{i}]" if is_tuple else arg
            raise TypeError(f"autograd.functional.{fn_name}: {what} must be a Tensor, got {type(t).__name__}")
    return is_tuple, items


def _untuple(is_tuple: bool, items: Sequence[Any]) -> Any:
    return tuple(items) if is_tuple else items[0]


def _grad_inputs(inputs: tuple[Any, ...], create_graph: bool) -> tuple[Any, ...]:
    """Inputs to differentiate with respect to: detached (or, with create_graph, viewed) and requiring grad."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True) for t in inputs)


def _grads(
    outputs: Sequence[Any],
    inputs: Sequence[Any],
    grad_outputs: Sequence[Any],
    create_graph: bool,
    strict: bool,
    fn_name: str,
) -> list[Any]:
    """d(outputs)/d(inputs) contracted with grad_outputs; None where an input is not reached (or an output does
    not require grad)."""
    from . import grad

    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(
                    f"Output {i} of the user-provided function does not require gradients. The outputs must be "
                    f"computed in a differentiable manner from the input when running in strict mode "
                    f"(autograd.functional.{fn_name})."
                )
    if not outs:
        return [None] * len(inputs)
    return list(grad(outs, list(inputs), gos, retain_graph=True, create_graph=create_graph, allow_unused=True))


def _fill(grads: Sequence[Any], refs: Sequence[Any], strict: bool, fn_name: str, create_graph: bool) -> list[Any]:
    """Zeros (like `refs`) where a gradient is None (an error with strict); detached unless create_graph."""
    from .. import zeros_like

    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. This is not allowed "
                    f"in strict mode (autograd.functional.{fn_name})."
                )
            g = zeros_like(r)
        out.append(g if create_graph else g.detach())
    return out


def _check_v(v: Any, refs: tuple[Any, ...], fn_name: str, what: str) -> tuple[Any, ...]:
    """`v` as a tuple matching `refs` in length and shapes; None only where refs is one one-element tensor."""
    from .. import ones_like

    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(
                f"The vector v can only be None if the {what} is a single Tensor with a single element "
                f"(autograd.functional.{fn_name})."
            )
        return (ones_like(refs[0]),)
    _, vs = _as_tuple(v, "v", fn_name)
    if len(vs) != len(refs):
        raise RuntimeError(
            f"autograd.functional.{fn_name}: v has {len(vs)} tensors but the {what} has {len(refs)}; they must match"
        )
    for i, (a, b) in enumerate(zip(vs, refs)):
        if a.shape != b.shape:
            raise RuntimeError(
                f"Mismatch in shape in autograd.functional.{fn_name}: v[{i}] has shape {tuple(a.shape)} but the "
                f"{what}'s tensor {i} has shape {tuple(b.shape)}"
            )
    return vs


def _call(func: Callable[..., Any], inputs: tuple[Any, ...], fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    return _as_tuple(func(*inputs), "the output of the user-provided function", fn_name)


def _detach_all(ts: Sequence[Any], create_graph: bool) -> list[Any]:
    return [t if create_graph else t.detach() for t in ts]


def vjp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(*inputs), v^T J): the vector-Jacobian product of `func` at `inputs` with `v` (shaped as the output)."""
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        ins = _grad_inputs(ins, create_graph)
        out_tuple, outs = _call(func, ins, "vjp")
        vs = _check_v(v, outs, "vjp", "output of the user-provided function")
        grads = _grads(outs, ins, vs, create_graph, strict, "vjp")
        res = _fill(grads, ins, strict, "vjp", create_graph)
    return _untuple(out_tuple, _detach_all(outs, create_graph)), _untuple(in_tuple, res)


def jvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(*inputs), J v): the Jacobian-vector product of `func` at `inputs` with `v` (shaped as the inputs)."""
    from .. import zeros_like

    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        ins = _grad_inputs(ins, create_graph)
        vs = _check_v(v, ins, "jvp", "input to the user-provided function")
        out_tuple, outs = _call(func, ins, "jvp")
        # the double-backward trick: g(u) = u^T J is linear in u, and d(g . v)/du = J v
        us = [zeros_like(o).requires_grad_(True) for o in outs]
        grads = _grads(outs, ins, us, True, strict, "jvp")
        pairs = [(g, vi) for g, vi in zip(grads, vs) if g is not None and g.requires_grad]
        if pairs:
            from . import grad

            jv = list(
                grad([g for g, _ in pairs], us, [vi for _, vi in pairs], create_graph=create_graph, allow_unused=True)
            )
        else:
            jv = [None] * len(us)
        res = _fill(jv, outs, strict, "jvp", create_graph)
    return _untuple(out_tuple, _detach_all(outs, create_graph)), _untuple(out_tuple, res)


def _check_strategy(strategy: str, vectorize: bool, create_graph: bool) -> None:
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            f'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            f'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
            f'"reverse-mode". (got {strategy!r})'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and `strategy=\"forward-mode\"` are not "
                "supported together (yet). Please either set `create_graph=False` or `strategy=\"reverse-mode\"`."
            )
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only implemented for "
                "`vectorize=True`."
            )


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of `func` at `inputs`: for output i and input j a tensor of shape ``out_i.shape + in_j.shape``;
    a tensor, a tuple (over whichever of inputs/outputs is a tuple) or a tuple of tuples (both), as in PyTorch.

    `vectorize` and `strategy` are accepted for PyTorch compatibility and checked as PyTorch does; the Jacobian is
    computed row by row in reverse mode either way (the same values)."""
    from .. import stack, zeros

    _check_strategy(strategy, vectorize, create_graph)
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        ins = _grad_inputs(ins, create_graph)
        out_tuple, outs = _call(func, ins, "jacobian")
        if strict and vectorize:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or `vectorize=False`."
            )
        table: list[list[Any]] = []
        for out in outs:
            flat = out.reshape(-1)
            rows: list[list[Any]] = [[] for _ in ins]
            for k in range(flat.numel()):
                if out.requires_grad:
                    unit = zeros(flat.numel(), dtype=out.dtype, device=out.device)
                    unit[k] = 1.0
                    g = _grads([out], ins, [unit.reshape(out.shape)], create_graph, strict, "jacobian")
                else:
                    g = _grads([out], ins, [None], create_graph, strict, "jacobian")
                g = _fill(g, ins, strict, "jacobian", create_graph)
                for j, gj in enumerate(g):
                    rows[j].append(gj)
            entry = []
            for j, inp in enumerate(ins):
                if rows[j]:
                    jac = stack(rows[j]).reshape(tuple(out.shape) + tuple(inp.shape))
                else:
                    jac = zeros(tuple(out.shape) + tuple(inp.shape), dtype=inp.dtype, device=inp.device)
                entry.append(jac)
            table.append(entry)
    if out_tuple and in_tuple:
        return tuple(tuple(row) for row in table)
    if out_tuple:
        return tuple(row[0] for row in table)
    if in_tuple:
        return tuple(table[0])
    return table[0][0]


def _scalar_output(func: Callable[..., Any], fn_name: str) -> Callable[..., Any]:
    """`func`, checked to return a single one-element tensor (what hessian/vhp/hvp need)."""
    from ..tensor import Tensor

    def checked(*args: Any) -> Any:
        out = func(*args)
        if isinstance(out, tuple | list):
            if len(out) != 1:
                raise RuntimeError(
                    f"The function given to {fn_name} should return a single Tensor, got a tuple of {len(out)}"
                )
            out = out[0]
        if not isinstance(out, Tensor) or out.numel() != 1:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise RuntimeError(
                f"The Tensor returned by the function given to {fn_name} should contain a single element "
                f"(got {shape})"
            )
        return out

    return checked


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of scalar `func` at `inputs`: for inputs i, j a tensor of shape ``in_i.shape + in_j.shape``
    (a tensor for one input, a tuple of tuples for a tuple of inputs)."""
    scalar = _scalar_output(func, "hessian")
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def jac_func(*xs: Any) -> Any:
        return jacobian(scalar, xs, create_graph=True, strict=strict)

    res = jacobian(jac_func, ins, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)  # fmt: skip
    if not in_tuple:
        return res[0][0]
    return res


def _second_order(
    func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool, fn_name: str
) -> tuple[Any, Any]:
    """(func(*inputs), H v) for scalar `func`: the gradient's vector-Jacobian product (H is symmetric, so
    vhp and hvp agree up to rounding)."""
    scalar = _scalar_output(func, fn_name)
    with enable_grad():
        in_tuple, ins = _as_tuple(inputs, "inputs", fn_name)
        ins = _grad_inputs(ins, create_graph)
        vs = _check_v(v, ins, fn_name, "input to the user-provided function")
        out = scalar(*ins)
        from .. import ones_like

        first = _grads([out], ins, [ones_like(out)], True, strict, fn_name)
        first = _fill(first, ins, strict, fn_name, True)
        need = [(g, vi) for g, vi in zip(first, vs) if g.requires_grad]
        if need:
            second = _grads([g for g, _ in need], ins, [vi for _, vi in need], create_graph, False, fn_name)
        else:
            second = [None] * len(ins)
        res = _fill(second, ins, strict, fn_name, create_graph)
    return (out if create_graph else out.detach()), _untuple(in_tuple, res)


def vhp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(*inputs), v^T H): the vector-Hessian product of scalar `func` at `inputs` with `v`."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(*inputs), H v): the Hessian-vector product of scalar `func` at `inputs` with `v`."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")

