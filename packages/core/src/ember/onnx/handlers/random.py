"""ONNX random operators: RandomUniform/RandomNormal (and their -Like forms), Bernoulli.

They draw from Ember's counter-based generator: a node with a ``seed`` attribute gets its own
generator, seeded once at load, so a freshly loaded model repeats its sequence (on every backend);
without one, the device's default generator (``ember.manual_seed``). The bits differ from other
runtimes', whose generators differ from each other's too.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor
from ember.random import Generator

from ..elem_types import to_ember
from ..ops_table import Node, handler


def node_generator(node: Node) -> Generator | None:
    seed = node.attr("seed")
    if seed is None:
        return None
    gen = node.cache.get("generator")
    if gen is None:
        # ONNX's seed is a float: its bits, not its rounding, tell seeds apart
        gen = node.cache["generator"] = Generator(node.device).manual_seed(int(float(seed) * 2**20) % 2**63)
    return gen


def _dtype(node: Node, like: Tensor | None) -> Any:
    dt = node.attr("dtype")
    if dt is not None:
        return to_ember(dt, node.where())
    return like.dtype if like is not None else ember.float32


def _uniform(node: Node, shape: list[int], dtype: Any) -> Tensor:
    low, high = node.attr("low", 0.0), node.attr("high", 1.0)
    u = ember.rand(*shape, generator=node_generator(node), dtype=ember.float32, device=node.device)
    return (u * (high - low) + low).to(dtype)


def _normal(node: Node, shape: list[int], dtype: Any) -> Tensor:
    mean, scale = node.attr("mean", 0.0), node.attr("scale", 1.0)
    z = ember.randn(*shape, generator=node_generator(node), dtype=ember.float32, device=node.device)
    return (z * scale + mean).to(dtype)


@handler("RandomUniform", since=1)
def _random_uniform(node: Node) -> Tensor:
    return _uniform(node, list(node.attr("shape")), _dtype(node, None))


@handler("RandomNormal", since=1)
def _random_normal(node: Node) -> Tensor:
    return _normal(node, list(node.attr("shape")), _dtype(node, None))


@handler("RandomUniformLike", since=1)
def _random_uniform_like(node: Node, x: Tensor) -> Tensor:
    return _uniform(node, list(x.shape), _dtype(node, x))


@handler("RandomNormalLike", since=1)
def _random_normal_like(node: Node, x: Tensor) -> Tensor:
    return _normal(node, list(x.shape), _dtype(node, x))


@handler("Bernoulli", since=15)
def _bernoulli(node: Node, p: Tensor) -> Tensor:
    u = ember.rand(*p.shape, generator=node_generator(node), dtype=ember.float32, device=node.device)
    return (u < p.to(ember.float32)).to(_dtype(node, p))
