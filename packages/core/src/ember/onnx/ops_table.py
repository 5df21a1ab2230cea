"""The table of ONNX operator handlers, keyed by operator type and operator version range.

A handler runs one ONNX node with Ember's public ops, so it works on every backend and under
autograd. It is registered for the operator versions (ONNX's ``since_version`` of the schema that a
model's opset selects) whose semantics it implements: ``@handler("Softmax", since=13)`` does not
claim Softmax-11, whose axis semantics differ. A node whose version no handler claims is refused at
load time, naming the node, its type and its opset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ember
from ember import Tensor


class OnnxImportError(ValueError):
    """An ONNX model that Ember cannot import: malformed, or using an operator, opset or dtype it lacks."""


@dataclass
class Node:
    """What a handler knows of its node: where it is (for errors), its attributes and its device."""

    name: str
    op_type: str
    domain: str
    version: int  #: the operator version (schema since_version) the model's opset selects
    opset: int  #: the model's opset for this node's domain
    attrs: dict[str, Any]
    device: str
    n_outputs: int
    #: compiled subgraphs of graph attributes (If/Loop/Scan bodies), by attribute name
    graphs: dict[str, Any] = field(default_factory=dict)
    #: values a handler keeps between runs on one device (a Constant's tensor); cleared on a device change
    cache: dict[str, Any] = field(default_factory=dict)
    #: the values visible to this node's subgraphs (the enclosing scope), set before each run of a node with graphs
    scope: Any = None

    def where(self) -> str:
        """``node 'conv1' (Conv, opset 17)``: how every error names this node."""
        domain = f"{self.domain}." if self.domain not in ("", "ai.onnx") else ""
        return f"node {self.name!r} ({domain}{self.op_type}-{self.version}, opset {self.opset})"

    def error(self, message: str) -> OnnxImportError:
        """An `OnnxImportError` for this node."""
        return OnnxImportError(f"{self.where()}: {message}")

    def attr(self, name: str, default: Any = None) -> Any:
        """An attribute's value, or `default` when the node does not set it."""
        return self.attrs.get(name, default)

    def ints(self, t: Tensor | None) -> list[int]:
        """The values of a small integer tensor (a shape, axes, pads) on the host."""
        return [] if t is None else [int(v) for v in t.reshape(-1).tolist()]

    def scalar(self, t: Tensor) -> Any:
        """The value of a one-element tensor on the host."""
        return t.reshape(-1).tolist()[0]

    def wide_float(self) -> Any:
        """float64 when this node's device has it (exact integer sums, accurate transforms), else float32."""
        from ember.backends import registry

        return ember.float64 if ember.float64 in registry.get(ember.device(self.device).type).dtypes else ember.float32

    def const(self, values: Any, dtype: Any) -> Tensor:
        """A new tensor on this node's device."""
        return ember.tensor(values, dtype=dtype, device=self.device)


Handler = Callable[..., "Tensor | Sequence[Any] | Any"]
_F = TypeVar("_F", bound=Handler)

#: op type -> [(first version, last version or None, handler)]
HANDLERS: dict[str, list[tuple[int, int | None, Handler]]] = {}


def handler(*op_types: str, since: int = 1, until: int | None = None) -> Callable[[_F], _F]:
    """Register `fn(node, *inputs)` for operator versions since..until (inclusive) of each op type.

    Inputs the node leaves out arrive as None; trailing ones the node omits are not passed at all.
    The handler returns a tensor, or a sequence of them (one per node output).
    """

    def register(fn: _F) -> _F:
        for op_type in op_types:
            HANDLERS.setdefault(op_type, []).append((since, until, fn))
        return fn

    return register


def find(op_type: str, version: int) -> Handler | None:
    """The handler of `op_type` that claims operator `version`, if any."""
    for since, until, fn in HANDLERS.get(op_type, ()):
        if since <= version and (until is None or version <= until):
            return fn
    return None


def versions(op_type: str) -> str:
    """The operator versions the table covers for `op_type`, for error messages (``"6-12, 13+"``)."""
    spans = sorted(HANDLERS.get(op_type, ()), key=lambda h: h[0])
    return ", ".join(f"{a}+" if b is None else (f"{a}" if a == b else f"{a}-{b}") for a, b, _ in spans) or "none"
