"""The 8x8 handwritten digits that scikit-learn ships inside its package (UCI optdigits test set)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .vision import ArrayImageDataset

__all__ = ["Digits"]


class Digits(ArrayImageDataset):
    """1,797 images of handwritten digits, 8x8 grayscale, 10 classes; needs no network.

    The data comes from scikit-learn (``pip install scikit-learn``, or
    ``pip install "ember-data[digits]"``). Pixel values 0..16 are scaled to
    0..255 so `ToTensor` gives [0, 1]. ``dataset[i]`` is ``(PIL image, int
    label)`` before transforms; ``data`` (1797, 8, 8) uint8 and ``targets``
    int64 are ember tensors. There is no official split: use `random_split`.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, root: Any = None, transform: Callable[[Any], Any] | None = None, target_transform: Callable[[Any], Any] | None = None) -> None:
        super().__init__(root, transform, target_transform)
        try:
            from sklearn.datasets import load_digits
        except ImportError as exc:
            raise ImportError(
                "ember.data.datasets.Digits reads the digits that the scikit-learn package ships, and scikit-learn "
                "is not installed: pip install scikit-learn (or pip install \"ember-data[digits]\")"
            ) from exc
        bunch = load_digits()
        self._images = np.rint(np.asarray(bunch.images, dtype=np.float64) * (255.0 / 16.0)).astype(np.uint8)
        self._labels = np.asarray(bunch.target, dtype=np.int64)
