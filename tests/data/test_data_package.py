"""ember-data's packaging: it extends the `ember` namespace without owning it, and ships its typing marker."""

from __future__ import annotations

import re
from pathlib import Path

import ember
import ember.data

PKG = Path(__file__).resolve().parents[2] / "packages" / "data"


def test_layout_and_metadata():
    assert not (PKG / "src" / "ember" / "__init__.py").exists()  # core owns `ember`; data only extends it
    assert (PKG / "src" / "ember" / "data" / "py.typed").exists()
    meta = (PKG / "pyproject.toml").read_text()  # (tomllib is Python >= 3.11 only)
    assert 'name = "ember-data"' in meta and 'version = "0.1.0"' in meta and 'build-backend = "hatchling.build"' in meta
    deps = re.search(r"^dependencies = \[(.*?)\]", meta, re.M | re.S).group(1)
    assert "ember-core" in deps and "ember-nn" not in deps and "backend" not in deps
    assert re.search(r'^test = \[.*"scikit-learn', meta, re.M)


def test_namespace_and_public_names():
    assert ember.data.__name__ == "ember.data" and hasattr(ember, "tensor")
    for name in ember.data.__all__:
        assert getattr(ember.data, name) is not None
    import ember.data.datasets as ds
    import ember.data.transforms as tf

    assert {"MNIST", "FashionMNIST", "Digits", "ImageFolder", "ImageCSVDataset"} <= set(ds.__all__)
    assert {"Compose", "ToTensor", "Normalize", "Lambda", "RandomHorizontalFlip", "RandomCrop"} <= set(tf.__all__)


def test_torch_utils_data_path():
    # PyTorch's `torch.utils.data` path: the same objects as ember.data, submodules included
    import ember.utils.data as utils_data
    import ember.utils.data.sampler as sampler
    from ember.utils.data.dataloader import DataLoader

    assert set(utils_data.__all__) == set(ember.data.__all__)
    for name in ember.data.__all__:
        assert getattr(utils_data, name) is getattr(ember.data, name)
    assert DataLoader is ember.data.DataLoader and sampler.RandomSampler is ember.data.RandomSampler
    assert utils_data.dataset.Subset is ember.data.Subset
