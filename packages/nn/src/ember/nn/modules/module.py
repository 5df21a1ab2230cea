"""`Module`: the base class of every layer, with PyTorch's registration, traversal and state-dict rules."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import ember
from ember import Tensor
from ember.autograd import Function

from ..parameter import Buffer, Parameter

__all__ = ["Module", "RemovableHandle"]


class RemovableHandle:
    """What the `register_*_hook` methods return: `.remove()` takes the hook out."""

    _next_id = itertools.count()

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _BackwardHookState:
    """One hooked call of a module with full backward hooks: identity Functions on its positional tensor
    inputs and on its outputs, whose backwards run the module's backward pre-hooks (on grad_output) and
    backward hooks (on grad_input, grad_output), as PyTorch's BackwardHook does."""

    def __init__(self, module: Module, args: tuple[Any, ...]) -> None:
        self.module = module
        self.n_args = len(args)
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        # PyTorch wraps every tensor input once any needs a gradient (and then reports a gradient for each)
        self.positions = tensors if any(args[i].requires_grad for i in tensors) else []
        self.grad_output: tuple[Any, ...] = ()

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.positions:
            return args
        wrapped = _HookInputs.apply(self, *(args[i] for i in self.positions))
        out = list(args)
        for i, w in zip(self.positions, wrapped if isinstance(wrapped, tuple) else (wrapped,)):
            out[i] = w
        return tuple(out)

    def wrap_outputs(self, out: Any) -> Any:
        outs = out if isinstance(out, tuple) else (out,)
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return out
        wrapped = _HookOutputs.apply(self, *(outs[i] for i in idx))
        new = list(outs)
        for i, w in zip(idx, wrapped if isinstance(wrapped, tuple) else (wrapped,)):
            new[i] = w
        return tuple(new) if isinstance(out, tuple) else new[0]

    def run_backward_hooks(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook returned an invalid number of grad_input, got {len(result)}, "
                        f"but expected {len(grad_input)}"
                    )
                grad_input = result
        return grad_input


class _HookInputs(Function):
    @staticmethod
    def forward(ctx: Any, state: _BackwardHookState, *xs: Tensor) -> tuple[Tensor, ...]:
        ctx.state = state
        return tuple(x.clone() for x in xs)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple[Any, ...]:
        state: _BackwardHookState = ctx.state
        full: list[Any] = [None] * state.n_args
        for i, g in zip(state.positions, grads):
            full[i] = g
        new = state.run_backward_hooks(tuple(full))
        return (None, *(new[i] for i in state.positions))


class _HookOutputs(Function):
    @staticmethod
    def forward(ctx: Any, state: _BackwardHookState, *outs: Tensor) -> tuple[Tensor, ...]:
        ctx.state = state
        return tuple(o.clone() for o in outs)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple[Any, ...]:
        state: _BackwardHookState = ctx.state
        for hook in list(state.module._backward_pre_hooks.values()):
            result = hook(state.module, grads)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grads):
                    raise RuntimeError(
                        f"backward pre hook returned an invalid number of grad_output, got {len(result)}, "
                        f"but expected {len(grads)}"
                    )
                grads = result
        state.grad_output = grads
        if not state.positions:  # no input needs a gradient: the hooks see grad_input of Nones now
            state.run_backward_hooks((None,) * state.n_args)
        return (None, *grads)


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Module:
    """Base class for all neural-network modules: subclass it, assign layers and `Parameter`s in
    ``__init__`` (they register themselves) and define ``forward``."""

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    # empty class-level defaults (never written: _hook_dict makes the instance's own) for modules unpickled
    # from before the backward hooks existed
    _backward_pre_hooks: OrderedDict[int, Any] = OrderedDict()
    _backward_hooks: OrderedDict[int, Any] = OrderedDict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments {args} {kwargs}")
        sa = object.__setattr__
        sa(self, "training", True)
        sa(self, "_parameters", {})
        sa(self, "_buffers", {})
        sa(self, "_non_persistent_buffers_set", set())
        sa(self, "_modules", {})
        sa(self, "_forward_pre_hooks", OrderedDict())
        sa(self, "_forward_hooks", OrderedDict())
        sa(self, "_backward_pre_hooks", OrderedDict())
        sa(self, "_backward_hooks", OrderedDict())
        sa(self, "_load_state_dict_pre_hooks", OrderedDict())

    def _forward_unimplemented(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # Declared as a Callable attribute (as in PyTorch) so that subclasses may define forward with any signature.
    forward: Callable[..., Any] = _forward_unimplemented

    # -- calling ----------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._forward_pre_hooks and not self._forward_hooks and not self._backward_hooks and not self._backward_pre_hooks:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """`forward` with the forward (pre-)hooks around it and the backward hooks on its inputs and outputs."""
        flags = self._hook_flags
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in flags["pre_kwargs"]:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        state = None
        if (self._backward_hooks or self._backward_pre_hooks) and ember.is_grad_enabled():
            state = _BackwardHookState(self, args)
            args = state.wrap_inputs(args)
        try:
            out = self.forward(*args, **kwargs)
        except Exception:
            for hid, hook in list(self._forward_hooks.items()):
                if hid in flags["always"]:
                    try:
                        hook(self, args, kwargs, None) if hid in flags["kwargs"] else hook(self, args, None)
                    except Exception:  # PyTorch also keeps forward's own error
                        pass
            raise
        for hid, hook in list(self._forward_hooks.items()):
            result = hook(self, args, kwargs, out) if hid in flags["kwargs"] else hook(self, args, out)
            if result is not None:
                out = result
        return out if state is None else state.wrap_outputs(out)

    @property
    def _hook_flags(self) -> dict[str, set[int]]:
        """The ids of the forward hooks registered with_kwargs ("pre_kwargs", "kwargs") or always_call."""
        flags = self.__dict__.get("_hook_flag_sets")
        if flags is None:
            flags = {"pre_kwargs": set(), "kwargs": set(), "always": set()}
            object.__setattr__(self, "_hook_flag_sets", flags)
        return flags

    def _hook_dict(self, name: str) -> OrderedDict[int, Any]:
        hooks = self.__dict__.get(name)
        if hooks is None:  # a module built before this attribute existed (unpickled), or without __init__
            hooks = OrderedDict()
            object.__setattr__(self, name, hooks)
        return hooks

    def _add_hook(self, name: str, hook: Callable[..., Any], prepend: bool, *flags: str) -> RemovableHandle:
        hooks = self._hook_dict(name)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        for flag in flags:
            self._hook_flags[flag].add(handle.id)
        return handle

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; it may return new args (a tuple, or one value).
        With `with_kwargs`, ``hook(module, args, kwargs)`` may return ``(new_args, new_kwargs)``; `prepend`
        runs it before the hooks already registered."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, *(["pre_kwargs"] if with_kwargs else []))

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> RemovableHandle:
        """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with `with_kwargs`) runs after
        ``forward``; it may return a replacement output. `always_call` runs it (output None) when forward raises."""
        flags = (["kwargs"] if with_kwargs else []) + (["always"] if always_call else [])
        return self._add_hook("_forward_hooks", hook, prepend, *flags)

    def register_full_backward_pre_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients of the module's outputs are computed; it may
        return a replacement `grad_output` (a tuple)."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients of the module's positional tensor
        inputs are computed (None for an input that needs none); it may return a replacement `grad_input`."""
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        runs in `load_state_dict` before this module's own entries (``prefix + name``) are read; it may change
        `state_dict` (a copy) or the module, e.g. give a lazy module its shapes."""
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = hook
        return handle

    # -- registration -------------------------------------------------------------
    def _check_name(self, name: str, what: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{what} name can\'t contain ".", got {name!r}')
        if name == "":
            raise KeyError(f'{what} name can\'t be empty string ""')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute {name!r} already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} as parameter {name!r} (ember.nn.Parameter or None expected)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not a parameter (e.g. running means); in state_dict when `persistent`."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} (ember.Tensor or None expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} (ember.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Buffer):
            if d.get("_buffers") is None:
                raise AttributeError("cannot assign buffers before Module.__init__() call")
            self._forget(name)
            plain = value.detach().requires_grad_(value.requires_grad)  # a plain tensor on the same memory
            self.register_buffer(name, plain, persistent=value.persistent)
        elif isinstance(value, Module):
            if "_modules" not in d:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            d["_modules"][name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (Module or None expected)")
            d["_modules"][name] = None
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (ember.Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            self.__dict__[store].pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[store]:
                del self.__dict__[store][name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def get_submodule(self, target: str) -> Module:
        mod: Module = self
        for item in target.split(".") if target else []:
            sub = mod._modules.get(item)
            if sub is None:
                raise AttributeError(f"{mod._get_name()} has no submodule {item!r} (looking up {target!r})")
            mod = sub
        return mod

    def get_buffer(self, target: str) -> Tensor:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        buf = mod._buffers.get(name)
        if buf is None:
            raise AttributeError(f"{mod._get_name()} has no buffer {name!r}")
        return buf

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        param = mod._parameters.get(name)
        if param is None:
            raise AttributeError(f"{mod._get_name()} has no parameter {name!r}")
        return param

    # -- traversal ------------------------------------------------------------------
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in modules:
            for name, value in getattr(mod, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes and in-place transforms ------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with ember.no_grad():
                    p.grad = ember.zeros_like(p.grad)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every submodule (children first) and on self, e.g. to initialise weights."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Replace every parameter's and buffer's data by ``fn(data)``, keeping the Parameter objects."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is None:
                    continue
                with ember.no_grad():
                    p.data = fn(p.data)
                    if p.grad is not None:
                        p.grad = fn(p.grad)
            for name, b in m._buffers.items():
                if b is not None:
                    m._buffers[name] = fn(b)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move and/or cast parameters and buffers: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``.

        Only floating-point tensors change dtype (integer buffers such as counters keep theirs).
        """
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, ember.DType):
                dtype = a
            elif isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            else:
                device = a
        if dtype is not None:
            dtype = ember.dtypes.as_dtype(dtype)
            if not dtype.is_floating_point:
                raise TypeError(f"Module.to only accepts floating point dtypes, but got desired dtype={dtype.name}")

        def convert(t: Tensor) -> Tensor:
            dt = dtype if dtype is not None and t.dtype.is_floating_point else t.dtype
            return t.to(device=device if device is not None else t.device, dtype=dt)

        return self._apply(convert)

    def cpu(self) -> Module:
        return self.to("cpu")

    def share_memory(self) -> Module:
        """Move every parameter and buffer (and gradient) into shared memory, for Hogwild-style training
        in several processes (see `Tensor.share_memory_`)."""
        return self._apply(lambda t: t.share_memory_())

    def float(self) -> Module:
        return self.to(ember.float32)

    def type(self, dst_type: Any) -> Module:
        """Cast every parameter and buffer to `dst_type` (PyTorch's Module.type)."""
        return self._apply(lambda t: t.to(dst_type))

    def double(self) -> Module:
        return self.to(ember.float64)

    def half(self) -> Module:
        return self.to(ember.float16)

    # -- state dict -------------------------------------------------------------------
    def state_dict(self, *, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (detached, sharing memory, unless `keep_vars`)."""
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from `state_dict` into this module (and its descendants).

        Shape mismatches always raise; with `strict`, so do missing and unexpected keys. Returns the
        missing and unexpected keys. With `assign`, the module takes the given tensors instead of copying.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"expected state_dict to be dict-like, got {type(state_dict).__name__}")
        state_dict = OrderedDict(state_dict)  # pre-hooks may edit it; the caller's stays as it was
        missing: list[str] = []
        errors: list[str] = []
        expected: set[str] = set()
        for prefix, m in self.named_modules(remove_duplicate=False):
            pre = prefix + "." if prefix else ""
            for hook in list(getattr(m, "_load_state_dict_pre_hooks", {}).values()):
                hook(m, state_dict, pre, {}, strict, missing, [], errors)
            local: list[tuple[str, Tensor, bool]] = [(n, t, True) for n, t in m._parameters.items() if t is not None]
            local += [
                (n, t, False)
                for n, t in m._buffers.items()
                if t is not None and n not in m._non_persistent_buffers_set
            ]
            for name, current, is_param in local:
                key = pre + name
                expected.add(key)
                if key not in state_dict:
                    missing.append(key)
                    continue
                value = state_dict[key]
                if not isinstance(value, Tensor):
                    errors.append(f"While copying {key!r}: expected a Tensor, got {type(value).__name__}.")
                    continue
                if tuple(value.shape) != tuple(current.shape):
                    errors.append(
                        f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from checkpoint, "
                        f"the shape in current model is {tuple(current.shape)}."
                    )
                    continue
                with ember.no_grad():
                    if assign:
                        new = value.to(device=current.device)
                        if is_param:
                            setattr(m, name, Parameter(new.detach(), current.requires_grad))
                        else:
                            m._buffers[name] = new.detach()
                    else:
                        current.copy_(value.to(device=current.device, dtype=current.dtype))
        unexpected = [k for k in state_dict if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {self._get_name()}:\n\t" + "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)

    # -- repr -------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for key, module in self._modules.items():
            lines.append(f"({key}): " + _addindent(repr(module), 2))
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"
