"""`Optimizer`: the base of every optimizer — parameter groups, per-parameter state, state dicts."""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import ember
from ember import Tensor
from ember.nn.modules.module import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "ParamsT", "check_hyper", "check_lr", "check_adam_group", "group_lr", "check_fused"]


class _RequiredParameter:
    """Marks a hyperparameter (of `defaults`) that every parameter group must set."""

    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _RequiredParameter()

#: What an optimizer takes: tensors, (name, tensor) pairs, or dicts of options each with a "params" entry.
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class Optimizer:
    """Base class of all optimizers, as in PyTorch.

    `params` is an iterable of tensors, or of dicts (parameter groups) each with a
    ``"params"`` entry and options overriding `defaults`. Subclasses implement
    `step()`; per-parameter state lives in ``self.state[param]``.
    """

    _in_step: bool = False  # inside a hooked step (a subclass's step calling its parent's runs the hooks once)
    _supports_complex: bool = True  # complex parameters step as real pairs (PyTorch's view_as_real)
    _complex_params: bool = False  # whether some parameter is complex (set by add_param_group)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_runs_step_hooks", False):
            cls.step = _with_step_hooks(step)  # type: ignore[method-assign]

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._step_pre_hooks: dict[int, Callable[..., Any]] = {}
        self._step_post_hooks: dict[int, Callable[..., Any]] = {}
        self._state_dict_pre_hooks: dict[int, Callable[..., Any]] = {}
        self._state_dict_post_hooks: dict[int, Callable[..., Any]] = {}
        self._load_state_dict_pre_hooks: dict[int, Callable[..., Any]] = {}
        self._load_state_dict_post_hooks: dict[int, Callable[..., Any]] = {}
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

    _HOOK_DICTS = (
        "_step_pre_hooks", "_step_post_hooks", "_state_dict_pre_hooks", "_state_dict_post_hooks",
        "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
    )  # fmt: skip

    def __getstate__(self) -> dict[str, Any]:
        """Pickled and deep-copied without hooks and without an lr scheduler's wrapper of `step` (which points at
        this optimizer), as PyTorch does."""
        return {k: v for k, v in self.__dict__.items() if k != "step" and k not in self._HOOK_DICTS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in self._HOOK_DICTS:
            self.__dict__.setdefault(name, {})

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
        names = [p[0] for p in params if isinstance(p, tuple)]  # named parameters: (name, tensor) pairs
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            params = [p[1] for p in params]
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
            if not (p.dtype.is_floating_point or (p.dtype.is_complex and self._supports_complex)):
                kinds = "floating-point or complex" if self._supports_complex else "floating-point"
                raise TypeError(f"optimizer can only optimize {kinds} tensors, parameter {i} is {p.dtype.name}")
            if id(p) in seen:
                raise ValueError(f"parameter {i} appears more than once in the same parameter group")
            seen.add(id(p))
        group = dict(param_group)
        group["params"] = params
        if names:
            group["param_names"] = names
        for other in self.param_groups:
            if ("param_names" in group) != ("param_names" in other):
                which = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    f"all optimizer param groups should be with/without names. cannot add param group {which} to "
                    f"the optimizer"
                )
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
        if any(p.dtype.is_complex for p in params):
            self._complex_params = True

    def _has_complex(self) -> bool:
        """Whether a parameter is complex (then `step` runs on real views of it); noted by add_param_group."""
        return self._complex_params

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
        for hook in list(self._state_dict_pre_hooks.values()):
            hook(self)
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
        out = {"state": state, "param_groups": groups}
        for post in list(self._state_dict_post_hooks.values()):
            changed = post(self, out)
            if changed is not None:
                out = changed
        return out

    # -- hooks (PyTorch's) ------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before each `step()`; it may return ``(new_args, new_kwargs)``."""
        return _add_hook(self._step_pre_hooks, hook, False)

    def register_step_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after each `step()`."""
        return _add_hook(self._step_post_hooks, hook, False)

    def register_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` runs before `state_dict()` builds the dict."""
        return _add_hook(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs on the built dict; a dict it returns replaces it."""
        return _add_hook(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` runs before `load_state_dict()`; a dict it returns is loaded instead."""
        return _add_hook(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` runs after `load_state_dict()`."""
        return _add_hook(self._load_state_dict_post_hooks, hook, prepend)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the state saved by `state_dict()`; the groups must match this optimizer's in number and size.

        Floating-point state tensors take each parameter's dtype and device (``step``
        keeps its own); tensors are copied, so the optimizer never shares state with
        the dict.
        """
        for pre in list(self._load_state_dict_pre_hooks.values()):
            changed = pre(self, state_dict)
            if changed is not None:
                state_dict = changed
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
        for post in list(self._load_state_dict_post_hooks.values()):
            post(self)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


#: Hooks every optimizer runs around `step()` (`register_optimizer_step_pre_hook` and _post_hook), before its own.
_global_step_pre_hooks: dict[int, Callable[..., Any]] = {}
_global_step_post_hooks: dict[int, Callable[..., Any]] = {}


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs before the `step()` of every optimizer (PyTorch's global hook)."""
    return _add_hook(_global_step_pre_hooks, hook, False)


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs after the `step()` of every optimizer."""
    return _add_hook(_global_step_post_hooks, hook, False)


def _add_hook(hooks: dict[int, Callable[..., Any]], hook: Callable[..., Any], prepend: bool) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks.update([items[-1], *items[:-1]])
    return handle


def _real_dtype(t: Tensor) -> Any:
    return ember.float64 if t.dtype == ember.complex128 else ember.float32


def _step_complex_as_real(opt: Optimizer, step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`step` with each complex parameter replaced by its (real, imaginary) pairs, as PyTorch's optimizers
    update ``view_as_real(p)``: a real shadow (kept, so its state persists) takes the values and gradient, the
    update runs on it, and the result is written back into the complex parameter. The closure, if any, runs
    first, so the gradient it makes is the one used."""
    closure = kwargs.pop("closure", None)
    if args:
        closure, args = args[0], args[1:]
    loss = opt._eval_closure(closure)
    shadows: dict[int, Tensor] = opt.__dict__.setdefault("_real_shadows", {})
    swapped: list[tuple[list[Tensor], int, Tensor, Tensor]] = []
    with ember.no_grad():
        for group in opt.param_groups:
            params = group["params"]
            for i, p in enumerate(params):
                if not p.dtype.is_complex:
                    continue
                r = shadows.get(id(p))
                if r is None:
                    r = shadows[id(p)] = ember.view_as_real(p.detach()).requires_grad_(True)
                else:
                    r.copy_(ember.view_as_real(p.detach()))
                r.grad = None if p.grad is None else ember.view_as_real(p.grad.detach())
                if p in opt.state:  # state made for the complex tensor itself (none but Adagrad's) turns real
                    opt.state[r] = {
                        k: ember.view_as_real(v) if isinstance(v, Tensor) and v.dtype.is_complex else v
                        for k, v in opt.state.pop(p).items()
                    }
                params[i] = r
                swapped.append((params, i, p, r))
    try:
        step(opt, *args, **kwargs)
    finally:
        with ember.no_grad():
            for params, i, p, r in swapped:
                params[i] = p
                p.copy_(ember.view_as_complex(r.detach()))
                if r in opt.state:
                    opt.state[p] = opt.state.pop(r)
    return loss


def _with_step_hooks(step: Callable[..., Any]) -> Callable[..., Any]:
    """`step` running the step pre- and post-hooks around it (once: a subclass's step calling its parent's
    runs them only in the outermost call)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        own_pre = getattr(self, "_step_pre_hooks", None)
        own_post = getattr(self, "_step_post_hooks", None)
        if self._in_step or not (
            own_pre or own_post or _global_step_pre_hooks or _global_step_post_hooks or self._has_complex()
        ):
            return step(self, *args, **kwargs)
        for hook in [*_global_step_pre_hooks.values(), *(own_pre or {}).values()]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {result}."
                    )
                args, kwargs = result
        self._in_step = True
        try:
            if self._has_complex():
                out = _step_complex_as_real(self, step, *args, **kwargs)
            else:
                out = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        for hook in [*_global_step_post_hooks.values(), *(own_post or {}).values()]:
            hook(self, args, kwargs)
        return out

    wrapper._runs_step_hooks = True  # type: ignore[attr-defined]
    return wrapper


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
            dtype = _real_dtype(param) if param.dtype.is_complex else param.dtype  # complex params: real state
            return value.detach().to(param.device, dtype).clone()
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
