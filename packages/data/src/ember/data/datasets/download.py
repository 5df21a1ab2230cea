"""Downloading dataset files: mirrors in turn, a progress bar, and checksum verification."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

__all__ = ["calculate_md5", "check_integrity", "download_url", "download_from_mirrors"]

USER_AGENT = "ember-data/0.1"
_CHUNK = 1 << 20


def calculate_md5(path: str) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(path: str, md5: str | None = None) -> bool:
    """The file exists and, when `md5` is given, has that checksum."""
    if not os.path.isfile(path):
        return False
    return md5 is None or calculate_md5(path) == md5


def urlopen(url: str, timeout: float) -> Any:
    """Open `url` (http, https or file); the one network call, so tests can replace it."""
    return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": USER_AGENT}), timeout=timeout)


def download_url(url: str, path: str, md5: str | None = None, timeout: float = 30.0, progress: bool = True) -> None:
    """Fetch `url` into `path` (via a temporary file) with a progress bar; a checksum mismatch raises and keeps nothing."""
    from tqdm.auto import tqdm

    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    part = f"{path}.part"
    try:
        with urlopen(url, timeout) as response, open(part, "wb") as out:
            total = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
            with tqdm(total=int(total) if total else None, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=os.path.basename(path), disable=not progress, leave=False) as bar:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
        if md5 is not None:
            got = calculate_md5(part)
            if got != md5:
                raise OSError(f"checksum mismatch for {url}: expected md5 {md5}, got {got}; the file is corrupt or not the expected one")
        os.replace(part, path)
    finally:
        if os.path.exists(part):
            os.remove(part)


def download_from_mirrors(filename: str, mirrors: Sequence[str], folder: str, md5: str | None, progress: bool = True) -> str:
    """Try each mirror for `filename` until one gives a file with the right checksum; say what each one did otherwise."""
    path = os.path.join(folder, filename)
    if check_integrity(path, md5):
        return path
    failures = []
    for mirror in mirrors:
        url = f"{mirror.rstrip('/')}/{filename}"
        try:
            download_url(url, path, md5, progress=progress)
            return path
        except (urllib.error.URLError, OSError, ValueError) as exc:
            failures.append(f"  {url}: {getattr(exc, 'reason', None) or exc}")
    raise RuntimeError(
        f"could not download {filename}: every mirror failed (no network?)\n" + "\n".join(failures) + "\n"
        f"Fetch the file on a machine with network access and put it in {folder} (gzip or uncompressed), "
        f"then load without download=True."
    )
