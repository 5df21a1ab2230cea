"""ONNX text featurization on integer tokens: TfIdfVectorizer.

Counting n-grams is lookup work on small integer inputs with nothing to differentiate: the tokens
are read on the host, counted against the node's n-gram pool, and the counts land on the device.
"""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from ..ops_table import Node, handler


def _pool(node: Node) -> tuple[dict[tuple[int, ...], int], set[tuple[int, ...]]]:
    """The node's n-grams -> their output column, and every prefix of them (where a walk may go on)."""
    cached = node.cache.get("pool")
    if cached is not None:
        return cached
    pool = list(node.attr("pool_int64s") or [])
    if not pool:
        raise node.error("only integer n-gram pools (pool_int64s) are supported: Ember has no string tensors")
    counts = list(node.attr("ngram_counts"))
    indexes = list(node.attr("ngram_indexes"))
    grams: dict[tuple[int, ...], int] = {}
    prefixes: set[tuple[int, ...]] = set()
    ngram_id = 0
    for size, start in enumerate(counts, start=1):
        end = counts[size] if size < len(counts) else len(pool)
        for i in range(start, end, size):
            gram = tuple(pool[i : i + size])
            grams[gram] = indexes[ngram_id]
            prefixes.update(gram[:k] for k in range(1, size + 1))
            ngram_id += 1
    node.cache["pool"] = (grams, prefixes)
    return grams, prefixes


@handler("TfIdfVectorizer", since=9)
def _tfidf(node: Node, x: Tensor) -> Tensor:
    grams, prefixes = _pool(node)
    lo, hi = node.attr("min_gram_length"), node.attr("max_gram_length")
    skips = node.attr("max_skip_count", 0)
    width = max(node.attr("ngram_indexes")) + 1
    rows: list[Any] = x.tolist() if x.ndim == 2 else [x.reshape(-1).tolist()]
    freq = [[0] * width for _ in rows]
    for r, row in enumerate(rows):
        first = lo
        for distance in range(1, skips + 2):
            for start in range(len(row)):
                for k in range(1, hi + 1):
                    last = start + (k - 1) * distance
                    if last >= len(row):
                        break
                    gram = tuple(row[start : last + 1 : distance])
                    if gram not in prefixes:
                        break
                    if k >= first and gram in grams:
                        freq[r][grams[gram]] += 1
            if first == 1:  # unigrams are counted once, not once per skip distance
                first = 2
                if first > hi:
                    break
    counts = ember.tensor(freq, dtype=ember.float32, device=node.device)
    mode, weights = node.attr("mode"), node.attr("weights")
    w = ember.tensor(list(weights), dtype=ember.float32, device=node.device) if weights else None
    if mode == "IDF":
        counts = (counts > 0).to(ember.float32) * (w if w is not None else 1.0)
    elif mode == "TFIDF" and w is not None:
        counts = counts * w
    return counts if x.ndim == 2 else counts.reshape(width)
