"""A short training demo on Ember's core alone: a 2-layer MLP learns three interleaved spirals.

    python examples/train_demo.py [--epochs 200] [--device cpu]

Parameters, the cross-entropy loss and the SGD-with-momentum update are
written by hand in ember ops, so this runs with just ember-core and a backend.
(`ember.nn` and `ember.optim` package all of this up.)
"""

from __future__ import annotations

import argparse
import math
import time

import ember


def spirals(n_per_class: int, classes: int, generator: ember.Generator) -> tuple[ember.Tensor, ember.Tensor]:
    """`classes` noisy spiral arms in 2-D, with their labels."""
    r = ember.linspace(0.05, 1.0, n_per_class)
    xs, ys = [], []
    for k in range(classes):
        theta = r * 7.0 + k * (2 * math.pi / classes) + ember.randn(n_per_class, generator=generator) * 0.25
        xs.append(ember.stack([r * theta.sin(), r * theta.cos()], dim=1))
        ys.append(ember.full((n_per_class,), k))
    return ember.cat(xs), ember.cat(ys)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    g = ember.Generator().manual_seed(args.seed)
    x, y = spirals(200, 3, g)
    x, y = x.to(args.device), y.to(args.device)
    perm = ember.randperm(len(y), generator=g).to(args.device)
    x, y = x[perm], y[perm]
    n_train = int(0.8 * len(y))
    (xt, yt), (xv, yv) = (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])

    def param(*shape: int, fan_in: int = 1) -> ember.Tensor:
        w = ember.randn(*shape, generator=g) * (2.0 / fan_in) ** 0.5 if len(shape) > 1 else ember.zeros(*shape)
        return w.to(args.device).requires_grad_()

    params = [param(2, args.hidden, fan_in=2), param(args.hidden), param(args.hidden, 3, fan_in=args.hidden), param(3)]
    velocity = [ember.zeros_like(p_) for p_ in params]

    def forward(inp: ember.Tensor) -> ember.Tensor:
        w1, b1, w2, b2 = params
        return (inp @ w1 + b1).relu() @ w2 + b2

    def cross_entropy(logits: ember.Tensor, target: ember.Tensor) -> ember.Tensor:
        return -logits.log_softmax(1).gather(1, target.unsqueeze(1)).mean()

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss = cross_entropy(forward(xt), yt)
        for p_ in params:
            p_.grad = None
        loss.backward()
        with ember.no_grad():
            for p_, v in zip(params, velocity):
                v.mul_(0.9).add_(p_.grad)
                p_.sub_(v * args.lr)
        if epoch == 1 or epoch % 50 == 0:
            with ember.no_grad():
                logits = forward(xv)
                val_loss = cross_entropy(logits, yv).item()
                acc = (logits.argmax(1) == yv).float().mean().item()
            print(f"epoch {epoch:4d}  train loss {loss.item():.4f}  val loss {val_loss:.4f}  val acc {acc:6.1%}")
    print(f"done in {time.perf_counter() - start:.1f}s on {args.device}")


if __name__ == "__main__":
    main()
