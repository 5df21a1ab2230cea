"""The two model families, sized to the data: an MLP and a small CNN."""

from __future__ import annotations

import ember.nn as nn


def mlp(image_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """Two hidden layers; wider for bigger images."""
    c, h, w = image_shape
    n = c * h * w
    hidden = (256, 128) if n > 256 else (128, 64)
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(n, hidden[0]),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(hidden[0], hidden[1]),
        nn.ReLU(),
        nn.Linear(hidden[1], classes),
    )


def cnn(image_shape: tuple[int, int, int], classes: int) -> nn.Module:
    """Two conv-ReLU-pool blocks (3x3 kernels, 'same' padding), then a small classifier head."""
    c, h, w = image_shape
    widths = (32, 64) if h * w <= 256 else (16, 32)
    layers: list[nn.Module] = []
    channels = c
    for width in widths:
        layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
        if h >= 4 and w >= 4:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        channels = width
    return nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(channels * h * w, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, classes),
    )


BUILDERS = {"mlp": mlp, "cnn": cnn}


def build(kind: str, image_shape: tuple[int, int, int], classes: int) -> nn.Module:
    return BUILDERS[kind](image_shape, classes)
