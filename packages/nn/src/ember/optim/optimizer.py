"""`Optimizer`: the base of every optimizer — parameter groups, per-parameter state, state dicts."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import ember
from ember import Tensor

__all__ = ["Optimizer", "required", "ParamsT", "check_hyper", "check_lr", "check_adam_group", "group_lr", "check_fused"]


class _RequiredParameter:
    """Marks a hyperparameter (of `defaults`) that every parameter group must set."""

    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _RequiredParameter()

#: What an optimizer takes: tensors, or dicts of options each with a "params" entry.
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of all optimizers, as in PyTorch.

    `params` is an iterable of tensors, or of dicts (parameter groups) each with a
    ``"params"`` entry and options overriding `defaults`. Subclasses implement
    `step()`; per-parameter state lives in ``self.state[param]``.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor) or hasattr(params, "parameters"):
            hint = "; pass model.parameters()" if hasattr(params, "parameters") else ""
            raise TypeError(
                f"params argument given to the optimizer should be an iterable of Tensors or dicts, but got a "
                f"{type(params).__name__}{hint}"
            )
        param_groups: list[Any] = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with "params" and optional options) to optimize."""
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        params = param_group.get("params")
        if params is None:
            raise ValueError("a parameter group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors "
                "in sets will change between runs; use a list instead"
            )
        else:
            params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                hint = f"; pass {type(p).__name__}.parameters()" if hasattr(p, "parameters") else ""
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} is a {type(p).__name__}{hint}")
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (parameter {i}, made by an op); "
                    f"pass leaf tensors, e.g. x.detach().requires_grad_()"
                )
            if not p.dtype.is_floating_point:
                raise TypeError(f"optimizer can only optimize floating-point tensors, parameter {i} is {p.dtype.name}")
            if id(p) in seen:
                raise ValueError(f"parameter {i} appears more than once in the same parameter group")
            seen.add(id(p))
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        for other_index, other in enumerate(self.param_groups):
            if any(id(p) in seen for p in other["params"]):
                raise ValueError(
                    f"some parameters appear in more than one parameter group "
                    f"(the new group {len(self.param_groups)} and group {other_index})"
                )
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's options (subclasses check their hyperparameters); raise ValueError."""

    @staticmethod
    def _grads(group: dict[str, Any]) -> list[tuple[Tensor, Tensor]]:
        """(param, grad) for the group's parameters that have a gradient, grad negated for `maximize`."""
        out = []
        maximize = group.get("maximize", False)
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if g._device is not p._device or g._shape != p._shape:
                raise RuntimeError(
                    f"a parameter's gradient (shape {g.shape}, on {g.device}) does not match the parameter "
                    f"(shape {p.shape}, on {p.device})"
                )
            out.append((p, g.neg() if maximize else g))
        return out

    # -- gradients --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (default) or to zeros in place."""
        with ember.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    # -- stepping ---------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    @staticmethod
    def _eval_closure(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with ember.enable_grad():
            return closure()

    # -- state dicts ------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state: ``{"state": {index: {...}}, "param_groups": [{..., "params": [index]}]}``.

        Parameters are replaced by their index across all groups, in order. The
        state tensors are references to the optimizer's own (not copies).
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                ids.append(index.setdefault(id(p), len(index)))
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by `state_dict()`; the groups must match this optimizer's in number and size.

        Floating-point state tensors take each parameter's dtype and device (``step``
        keeps its own); tensors are copied, so the optimizer never shares state with
        the dict.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("an optimizer state dict must be a dict with 'state' and 'param_groups' entries")
        saved_groups = state_dict["param_groups"]
        groups = self.param_groups
        if len(saved_groups) != len(groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) "
                f"than this optimizer ({len(groups)})"
            )
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                    f"group {i}: {len(sg['params'])} saved parameters, {len(g['params'])} here"
                )
        id_map = {}
        for sg, g in zip(saved_groups, groups):
            for saved_id, p in zip(sg["params"], g["params"]):
                id_map[saved_id] = p
        saved_state = state_dict["state"]
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, value in saved_state.items():
            if key not in id_map:
                if isinstance(key, str) and key.isdigit() and int(key) in id_map:  # e.g. from a JSON round trip
                    key = int(key)
                else:
                    state[key] = copy.deepcopy(value)
                    continue
            param = id_map[key]
            state[param] = {k: _cast_state(param, k, v) for k, v in value.items()}
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            ng = {k: copy.deepcopy(v) for k, v in sg.items() if k != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


#: State entries PyTorch keeps as 0-d tensors and Ember as Python numbers (a loaded tensor becomes a number).
_SCALAR_STATE = frozenset(
    {"step", "mu_product", "eta", "mu", "n_iter", "func_evals", "t", "H_diag", "prev_loss", "ro", "al"}
)


def _cast_state(param: Tensor, key: str, value: Any) -> Any:
    """A state value for `param`: tensors copied onto its device (floating ones in its dtype)."""
    if isinstance(value, Tensor):
        if key in _SCALAR_STATE and value.numel() == 1:
            return int(value.item()) if key in ("step", "n_iter", "func_evals") else float(value.item())
        if key == "step":
            return value.detach().to(param.device).clone()
        if value.dtype.is_floating_point:
            return value.detach().to(param.device, param.dtype).clone()
        return value.detach().to(param.device).clone()
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cast_state(param, key, v) for v in value)
    return copy.deepcopy(value)


def check_hyper(ok: bool, name: str, value: Any) -> None:
    """Raise ``ValueError("Invalid <name>: <value>")`` (PyTorch's wording) unless `ok`."""
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


def check_lr(lr: Any) -> None:
    """Refuse an lr that is not a number or a one-element tensor (PyTorch takes both), or is negative."""
    if isinstance(lr, Tensor):
        if lr.numel() != 1:
            raise ValueError(f"Tensor lr must be 1-element, got a tensor of shape {tuple(lr.shape)}")
    elif not isinstance(lr, int | float) or isinstance(lr, bool):
        raise TypeError(f"lr must be a Python number or a 1-element Tensor, got {type(lr).__name__}")
    check_hyper(float(lr) >= 0.0, "learning rate", lr)


def check_fused(fused: bool | None, foreach: bool | None) -> None:
    """PyTorch's refusal of fused=True with foreach=True (Ember runs neither kernel path but keeps the check)."""
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def group_lr(group: dict[str, Any]) -> float:
    """The group's learning rate as a number, read at each step (a tensor lr may change in place)."""
    lr = group["lr"]
    return float(lr.item()) if isinstance(lr, Tensor) else lr


def check_adam_group(group: dict[str, Any]) -> None:
    """The checks Adam and its relatives (Adamax, NAdam, RAdam) make: lr, eps, betas, weight_decay."""
    check_lr(group["lr"])
    check_hyper(group["eps"] >= 0.0, "epsilon value", group["eps"])
    betas = group["betas"]
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (expected a pair (beta1, beta2))")
    check_hyper(0.0 <= betas[0] < 1.0, "beta parameter at index 0", betas[0])
    check_hyper(0.0 <= betas[1] < 1.0, "beta parameter at index 1", betas[1])
    check_hyper(group["weight_decay"] >= 0.0, "weight_decay value", group["weight_decay"])
