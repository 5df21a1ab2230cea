"""MNIST and Fashion-MNIST from their original IDX files (gzip or raw), with an optional download."""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .download import check_integrity, download_from_mirrors
from .vision import ArrayImageDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

#: IDX type codes: unsigned byte, signed byte, short, int, float, double (multi-byte types are big-endian).
_IDX_DTYPES: dict[int, np.dtype[Any]] = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not; detected from the content, not the name)."""
    with open(path, "rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as f:
            raw = bytearray(f.read())
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: cannot decompress this gzip file: {exc}; delete it and fetch it again") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file: its first bytes are {bytes(raw[:4]).hex() or '(none)'}, expected 0000 then a type code and the rank")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: the IDX header is truncated ({len(raw)} bytes, the header alone needs {header})")
    dims = struct.unpack(f">{ndim}I", bytes(raw[4:header]))
    expected = math.prod(dims) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path}: the header says shape {dims} ({expected} bytes of data) but the file holds "
            f"{len(raw) - header} bytes after the header: it is truncated or corrupt"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr if dtype.isnative or dtype.itemsize == 1 else arr.astype(dtype.newbyteorder("="))


class MNIST(ArrayImageDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale, 10 classes.

    Files are looked for in ``root/MNIST/raw`` (torchvision's layout), then in
    ``root`` itself, each as ``train-images-idx3-ubyte`` or with ``.gz``.
    ``download=True`` fetches missing files into ``root/MNIST/raw`` from
    ``mirrors`` in turn, checking each file's MD5. ``dataset[i]`` is
    ``(PIL image, int label)`` before transforms; ``data`` (N, 28, 28) uint8
    and ``targets`` (N,) int64 are ember tensors over the same memory.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    root: str  # required here (VisionDataset's may be None)
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    _split_files = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        if download:
            self.download()
        images_file, labels_file = (self._find(stem) for stem in self._split_files[bool(train)])
        images, labels = read_idx(images_file), read_idx(labels_file)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{images_file}: expected (N, H, W) uint8 images, got shape {images.shape} and dtype {images.dtype}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(f"{labels_file}: expected {len(images)} labels (one per image of {images_file}), got shape {labels.shape}")
        self._images = images
        self._labels = labels.astype(np.int64)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _candidates(self, stem: str) -> list[str]:
        return [os.path.join(folder, stem + ext) for folder in (self.raw_folder, self.root) for ext in ("", ".gz")]

    def _find(self, stem: str) -> str:
        for path in self._candidates(stem):
            if os.path.isfile(path):
                return path
        raise FileNotFoundError(
            f"{type(self).__name__}: dataset file {stem} (or {stem}.gz) not found in {self.raw_folder} or {self.root}. "
            f"Pass download=True to fetch it, or put the original IDX files there."
        )

    def download(self) -> None:
        """Fetch the files that are missing into `raw_folder`, verifying each one's MD5."""
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            stem = filename[: -len(".gz")]
            gz = os.path.join(self.raw_folder, filename)
            present = [p for p in self._candidates(stem) if os.path.isfile(p)]
            if check_integrity(gz, md5) or any(not p.endswith(".gz") for p in present):
                continue
            download_from_mirrors(filename, self.mirrors, self.raw_folder, md5)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes with 10 classes of clothing."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
