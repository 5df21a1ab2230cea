"""Digits: the 8x8 digits that scikit-learn ships, checked against scikit-learn itself."""

from __future__ import annotations

import builtins
import sys

import numpy as np
import pytest

import ember
from ember.data import DataLoader
from ember.data import transforms as T
from ember.data.datasets import Digits


def test_digits_match_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets", reason="scikit-learn is not installed (pip install 'ember-data[digits]')")
    ref = datasets.load_digits()
    ds = Digits()
    assert len(ds) == 1797 and ds.classes == [str(d) for d in range(10)]
    assert ds.data.shape == (1797, 8, 8) and ds.data.dtype == ember.uint8
    np.testing.assert_array_equal(ds.data.numpy(), np.rint(ref.images * 255 / 16).astype(np.uint8))
    np.testing.assert_array_equal(ds.targets.numpy(), ref.target)
    assert np.bincount(ds.targets.numpy()).tolist() == np.bincount(ref.target).tolist()
    img, y = ds[5]
    assert img.size == (8, 8) and y == int(ref.target[5])
    loader = DataLoader(Digits(transform=T.ToTensor()), batch_size=500)
    x, y = next(iter(loader))
    assert x.shape == (500, 1, 8, 8) and float(x.max().item()) == 1.0 and float(x.min().item()) == 0.0
    np.testing.assert_allclose(x.numpy()[:, 0], np.rint(ref.images[:500] * 255 / 16) / 255, rtol=1e-6)
    assert len(loader) == 4


def test_digits_without_scikit_learn_names_the_package(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    monkeypatch.delitem(sys.modules, "sklearn.datasets", raising=False)
    with pytest.raises(ImportError, match=r"scikit-learn is not installed: pip install scikit-learn"):
        Digits()
