"""MNIST / FashionMNIST from IDX files the tests write (gzip and raw), and download=True offline."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ember
from ember.data import DataLoader
from ember.data import transforms as T
from ember.data.datasets import MNIST, FashionMNIST, download, read_idx

RNG = np.random.default_rng(0)


def idx_bytes(arr: np.ndarray) -> bytes:
    """The IDX encoding, written out from the format's description (not from the code under test)."""
    code = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}[arr.dtype.type]
    head = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_split(folder: Path, prefix: str, n: int, compress: bool) -> tuple[np.ndarray, np.ndarray]:
    images = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, n).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(arr)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("compress", [True, False])
def test_mnist_reads_idx_files_in_torchvision_layout(tmp_path, compress):
    train = write_split(tmp_path / "MNIST" / "raw", "train", 12, compress)
    test = write_split(tmp_path / "MNIST" / "raw", "t10k", 5, compress)
    for is_train, (images, labels) in ((True, train), (False, test)):
        ds = MNIST(tmp_path, train=is_train)
        assert len(ds) == len(images)
        img, y = ds[3]
        assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
        np.testing.assert_array_equal(np.asarray(img), images[3])
        assert y == int(labels[3]) and isinstance(y, int)
        np.testing.assert_array_equal(ds.data.numpy(), images)
        assert ds.targets.dtype == ember.int64 and ds.targets.tolist() == labels.tolist()
    assert ds.class_to_idx["7 - seven"] == 7 and "Split: Test" in repr(ds)


def test_files_directly_in_root_and_transforms_through_a_loader(tmp_path):
    images, labels = write_split(tmp_path, "train", 10, compress=False)
    tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    ds = MNIST(tmp_path, train=True, transform=tf, target_transform=lambda y: y + 100)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == (4, 1, 28, 28) and x.dtype == ember.float32
    np.testing.assert_allclose(x.numpy(), (images[:4, None] / np.float32(255) - 0.5) / 0.5, rtol=1e-6)
    assert y.tolist() == (labels[:4].astype(int) + 100).tolist()


def test_fashion_mnist_uses_its_own_folder_and_classes(tmp_path):
    write_split(tmp_path / "FashionMNIST" / "raw", "t10k", 3, compress=True)
    ds = FashionMNIST(tmp_path, train=False)
    assert len(ds) == 3 and ds.classes[9] == "Ankle boot"
    with pytest.raises(FileNotFoundError, match=r"^MNIST: dataset file t10k-images-idx3-ubyte .* not found in .*/MNIST/raw"):
        MNIST(tmp_path, train=False)  # FashionMNIST's files are not MNIST's


def test_missing_truncated_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte \(or t10k-images-idx3-ubyte.gz\) not found.*download=True"):
        MNIST(tmp_path, train=False)
    images, _ = write_split(tmp_path, "t10k", 4, compress=False)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"header says shape \(4, 28, 28\) \(3136 bytes of data\) but the file holds 3126 bytes"):
        MNIST(tmp_path, train=False)
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="is not an IDX file"):
        read_idx(str(path))
    path.write_bytes(b"\x1f\x8b\x08 broken gzip")
    with pytest.raises(ValueError, match="cannot decompress"):
        read_idx(str(path))
    write_split(tmp_path, "t10k", 4, compress=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="expected 4 labels"):
        MNIST(tmp_path, train=False)


def test_read_idx_multibyte_types_are_big_endian(tmp_path):
    for dtype in (np.int16, np.int32, np.float32, np.float64, np.int8):
        arr = RNG.integers(-100, 100, (3, 2)).astype(dtype)
        path = tmp_path / f"x-{np.dtype(dtype).name}.idx"
        path.write_bytes(idx_bytes(arr))
        np.testing.assert_array_equal(read_idx(str(path)), arr)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local mirror (a file:// URL) holding MNIST-format files, and resources whose MD5s are theirs."""
    served = tmp_path / "mirror"
    data = {}
    for prefix, n in (("train", 6), ("t10k", 4)):
        images, labels = write_split(served, prefix, n, compress=True)
        data[prefix] = (images, labels)
    resources = [(p.name, hashlib.md5(p.read_bytes()).hexdigest()) for p in sorted(served.iterdir())]
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/unreachable/", served.as_uri() + "/"])
    monkeypatch.setattr(MNIST, "resources", resources)
    calls = []
    real = download.urlopen

    def offline_urlopen(url, timeout):
        calls.append(url)
        if not url.startswith("file:"):
            raise urllib.error.URLError(OSError(101, "Network is unreachable"))
        return real(url, timeout)

    monkeypatch.setattr(download, "urlopen", offline_urlopen)
    return served, data, calls


def test_download_fetches_verifies_and_then_reuses(tmp_path, mirror):
    served, data, calls = mirror
    root = tmp_path / "root"
    ds = MNIST(root, train=True, download=True)
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(p.name for p in served.iterdir())
    np.testing.assert_array_equal(ds.data.numpy(), data["train"][0])
    assert len(calls) == 8  # four files, each tried on the dead mirror first, then fetched from the local one
    calls.clear()
    MNIST(root, train=False, download=True)
    assert calls == []  # already there with the right checksums: nothing fetched


def test_download_rejects_a_checksum_mismatch(tmp_path, mirror, monkeypatch):
    served, _, _ = mirror
    bad = [(name, "0" * 32) for name, _ in MNIST.resources]
    monkeypatch.setattr(MNIST, "resources", bad)
    with pytest.raises(RuntimeError, match=r"(?s)could not download t10k-images-idx3-ubyte.gz.*checksum mismatch.*expected md5 0{32}"):
        MNIST(tmp_path / "root", train=True, download=True)
    assert not any(p.suffix in (".gz", ".part") for p in (tmp_path / "root" / "MNIST" / "raw").iterdir())


def test_no_network_and_no_files_says_what_to_do(tmp_path, monkeypatch):
    def no_network(url, timeout):
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(download, "urlopen", no_network)
    with pytest.raises(RuntimeError) as info:
        FashionMNIST(tmp_path, download=True)
    msg = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz: every mirror failed (no network?)" in msg
    assert "Network is unreachable" in msg and str(tmp_path / "FashionMNIST" / "raw") in msg
    assert FashionMNIST.mirrors[0] + "train-images-idx3-ubyte.gz" in msg
