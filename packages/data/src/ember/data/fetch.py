"""Fetchers: turn what the sampler yields into a collated batch, in the main process or a worker.

A failure while loading a sample or collating a batch is annotated with where it
happened (the sample index, or the dataset indices of the batch), so the error a
user sees, also from a worker, names the sample to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["MapFetcher", "IterableFetcher", "make_fetcher", "annotate", "context_of"]

_CONTEXT_ATTR = "_ember_data_context"


def annotate(exc: BaseException, context: str) -> None:
    """Record where `exc` happened: as a note on Python >= 3.11 and as an attribute for workers."""
    if getattr(exc, _CONTEXT_ATTR, None) is not None:
        return  # the innermost context (a sample inside a nested dataset) is the useful one
    try:
        setattr(exc, _CONTEXT_ATTR, context)
    except AttributeError:  # pragma: no cover - exceptions with __slots__
        return
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(f"(ember.data: {context})")


def context_of(exc: BaseException) -> str | None:
    """The context `annotate` recorded on `exc`, if any."""
    return getattr(exc, _CONTEXT_ATTR, None)


def _preview(indices: Any, limit: int = 8) -> str:
    items = list(indices)
    head = ", ".join(map(str, items[:limit]))
    return f"[{head}{', ...' if len(items) > limit else ''}] ({len(items)} samples)"


class MapFetcher:
    """``dataset[i]`` for each index of a batch (or ``dataset.__getitems__(indices)``), then collate."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any], drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self._getitems = getattr(dataset, "__getitems__", None)

    def fetch(self, index: Any) -> Any:
        dataset = self.dataset
        if not self.auto_collation:
            try:
                sample = dataset[index]
            except Exception as exc:
                annotate(exc, f"while loading sample index {index!r} of {type(dataset).__name__}")
                raise
            return self.collate_fn(sample)
        if self._getitems is not None:
            try:
                data = self._getitems(index)
            except Exception as exc:
                annotate(exc, f"while loading samples at indices {_preview(index)} of {type(dataset).__name__}")
                raise
        else:
            data = []
            append = data.append
            i = None
            try:
                for i in index:
                    append(dataset[i])
            except Exception as exc:
                annotate(exc, f"while loading sample index {i!r} of {type(dataset).__name__}")
                raise
        try:
            return self.collate_fn(data)
        except Exception as exc:
            annotate(exc, f"while collating the batch of dataset indices {_preview(index)}")
            raise


class IterableFetcher:
    """The next item (or ``len(batch)`` items) of the dataset's iterator, then collate."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any], drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.iterator: Iterator[Any] = iter(dataset)
        self.ended = False
        self.position = 0  # items drawn so far, for error messages

    def _next(self) -> Any:
        try:
            item = next(self.iterator)
        except StopIteration:
            raise
        except Exception as exc:
            annotate(exc, f"while drawing item {self.position} from the iterator of {type(self.dataset).__name__}")
            raise
        self.position += 1
        return item

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            try:
                return self.collate_fn(self._next())
            except StopIteration:
                self.ended = True
                raise
        first = self.position
        data = []
        try:
            for _ in index:
                data.append(self._next())
        except StopIteration:
            self.ended = True
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        try:
            return self.collate_fn(data)
        except Exception as exc:
            annotate(exc, f"while collating items {first}..{first + len(data) - 1} of the iterator")
            raise


def make_fetcher(dataset: Any, iterable: bool, auto_collation: bool, collate_fn: Callable[[Any], Any], drop_last: bool) -> MapFetcher | IterableFetcher:
    """The fetcher for a map-style or an iterable dataset."""
    cls = IterableFetcher if iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
