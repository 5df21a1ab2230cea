"""The text: every `.py` file of a folder tree (by default the running Python's standard library), as bytes.

Files, not characters, are split into training and validation (a stable hash of each file's relative
path puts about one in ten aside), so validation text comes from modules the model never saw.
"""

from __future__ import annotations

import sysconfig
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class UserError(Exception):
    """A problem the user can fix (a missing folder, too little text); the CLI prints it without a traceback."""


@dataclass
class Corpus:
    train: np.ndarray  # uint8 byte values
    val: np.ndarray
    train_files: int
    val_files: int
    root: Path


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _sources(root: Path) -> list[Path]:
    skip = {"site-packages", "dist-packages", "__pycache__"}
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))


def load(root: Path | None = None, max_bytes: int | None = None, val_every: int = 10) -> Corpus:
    """Read the sources under `root` (the stdlib by default), at most `max_bytes` of training text."""
    root = stdlib_root() if root is None else Path(root)
    if not root.is_dir():
        raise UserError(f"text folder not found: {root}")
    train: list[bytes] = []
    val: list[bytes] = []
    size = 0
    for path in _sources(root):
        rel = path.relative_to(root).as_posix().encode()
        try:
            text = path.read_bytes()
        except OSError:
            continue
        if zlib.crc32(rel) % val_every == 0:
            val.append(text)
        elif max_bytes is None or size < max_bytes:
            train.append(text)
            size += len(text)
    if not train or not val:
        raise UserError(f"{root} holds too few .py files to split into training and validation ({len(train) + len(val)})")
    cap = max_bytes if max_bytes is not None else None
    val_cap = None if cap is None else max(cap // 10, 1)
    return Corpus(
        np.frombuffer(b"\n".join(train)[:cap], dtype=np.uint8),
        np.frombuffer(b"\n".join(val)[:val_cap], dtype=np.uint8),
        len(train),
        len(val),
        root,
    )


def windows(data: np.ndarray, starts: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs data[s:s+context] and next-byte targets data[s+1:s+context+1] for each start s, as int64."""
    idx = starts[:, None] + np.arange(context + 1)[None, :]
    chunk = data[idx].astype(np.int64)
    return chunk[:, :-1], chunk[:, 1:]
