"""`ember.nn.utils.rnn`: batches of sequences of different lengths for the recurrent layers.

A `PackedSequence` holds the time steps of a batch sorted by decreasing length, step by step:
``data`` is (sum(lengths), *) with the rows of step t being the ``batch_sizes[t]`` sequences still
running at t. `RNN`, `LSTM` and `GRU` take one and skip the padding, so each sequence ends at its
own last step. Everything is written with gathers (``index_select``), so gradients flow through
packing and padding on every backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, overload

import ember
from ember import Tensor

from ..functional import _ShapeError, _ValueError

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
    "pad_sequence", "unpad_sequence", "unpack_sequence",
]  # fmt: skip


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """A packed batch of variable-length sequences (a named tuple, as in PyTorch).

    ``data`` (sum(lengths), *); ``batch_sizes`` (max length,) int64 on the CPU: how many sequences
    take part in each step; ``sorted_indices`` the permutation that sorted the batch by decreasing
    length (None when it was given sorted) and ``unsorted_indices`` its inverse. Build one with
    `pack_padded_sequence` or `pack_sequence`, not by hand.
    """

    __slots__ = ()

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if batch_sizes is None:
            raise TypeError(
                "PackedSequence: batch_sizes is required; build one with pack_padded_sequence or pack_sequence"
            )
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with(self, data: Tensor) -> PackedSequence:
        idx = [None if i is None else i.to(data.device) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, idx[0], idx[1])

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data.to(...)``; the indices follow data's device, ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with(data)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=ember.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=ember.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=ember.float16)

    @property
    def is_cuda(self) -> bool:
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        return False


@overload
def invert_permutation(permutation: Tensor) -> Tensor: ...
@overload
def invert_permutation(permutation: None) -> None: ...
def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (``inv[perm[i]] = i``); None stays None."""
    if permutation is None:
        return None
    inv = [0] * permutation.shape[0]
    for pos, i in enumerate(permutation.tolist()):
        inv[i] = pos
    return ember.tensor(inv, dtype=ember.int64, device=permutation.device)


def _lengths_list(lengths: Any) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise _ShapeError(f"pack_padded_sequence: lengths must be a 1-D tensor, got shape {tuple(lengths.shape)}")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(
    input: Tensor,  # noqa: A002
    lengths: Tensor | Sequence[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with `batch_first`) whose sequence b has
    ``lengths[b]`` real steps. With `enforce_sorted` the lengths must decrease; otherwise the batch
    is sorted here and the permutation kept in the result, so outputs come back in input order."""
    lens = _lengths_list(lengths)
    if input.ndim < 2:
        raise ValueError(
            f"pack_padded_sequence: expected an input of at least 2 dimensions (T, B, *), got shape {tuple(input.shape)}"
        )
    x = input.transpose(0, 1) if batch_first else input
    steps, batch = x.shape[0], x.shape[1]
    if len(lens) != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} (batch_size={batch})"
        )
    if any(n <= 0 for n in lens):
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if max(lens) > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length ({max(lens)}) exceeds the input's sequence length {steps} "
            f"(input shape {tuple(input.shape)}, batch_first={batch_first})"
        )
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
        order = list(range(batch))
    else:
        order = sorted(range(batch), key=lambda b: -lens[b])  # stable, as PyTorch's sort of distinct keys
        sorted_indices = ember.tensor(order, dtype=ember.int64, device=input.device)
    slens = [lens[b] for b in order]
    batch_sizes = [sum(1 for n in slens if n > t) for t in range(slens[0])]
    # row (t, j) of the packed data is row t*B + order[j] of the flattened (T*B, *) input
    rows = [t * batch + order[j] for t, bs in enumerate(batch_sizes) for j in range(bs)]
    flat = x.reshape(steps * batch, *x.shape[2:])
    data = flat.index_select(0, ember.tensor(rows, dtype=ember.int64, device=input.device))
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: the padded batch (T, B, *) (or (B, T, *)) in the original
    batch order, padded with `padding_value` to `total_length` steps if given, and the lengths
    (an int64 CPU tensor)."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    data, sizes = sequence.data, [int(v) for v in sequence.batch_sizes.tolist()]
    steps, batch = len(sizes), sizes[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    # every (t, b) slot of the padded (T, B, *) result reads a packed row, or the padding row at the end
    pad_row = data.shape[0]
    rows = [pad_row] * (steps * batch)
    offset = 0
    for t, bs in enumerate(sizes):
        for j in range(bs):
            rows[t * batch + j] = offset + j
        offset += bs
    filler = ember.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    src = ember.cat([data, filler], 0)
    padded = src.index_select(0, ember.tensor(rows, dtype=ember.int64, device=data.device))
    padded = padded.reshape(steps, batch, *data.shape[1:])
    slens = [sum(1 for bs in sizes if bs > j) for j in range(batch)]
    lengths = slens
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(1, unsorted.to(data.device))
        lengths = [slens[i] for i in unsorted.tolist()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, ember.tensor(lengths, dtype=ember.int64)


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences (L_i, *) into (T, B, *) (or (B, T, *) with `batch_first`), T = max L_i,
    filling the missing steps with `padding_value` after (``padding_side='right'``) or before
    (``'left'``) each sequence."""
    if padding_side not in ("left", "right"):
        raise _ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    seqs = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence: expected Tensor as element {i} in argument 0, but got {type(s).__name__}")
    trailing = tuple(seqs[0].shape[1:])
    dtype = seqs[0].dtype  # PyTorch's result takes the first sequence's dtype, the others are cast to it
    seqs = [s if s.dtype == dtype else s.to(dtype) for s in seqs]
    for i, s in enumerate(seqs):
        if s.ndim == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence must have shape (L, *{trailing}); sequence {i} has shape {tuple(s.shape)}"
            )
    steps = max(s.shape[0] for s in seqs)
    cols = []
    for s in seqs:
        missing = steps - s.shape[0]
        if missing:
            fill = ember.full((missing, *trailing), padding_value, dtype=s.dtype, device=s.device)
            s = ember.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        cols.append(s)
    return ember.stack(cols, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *): `pad_sequence` then `pack_padded_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor | Sequence[int], batch_first: bool = False
) -> list[Tensor]:
    """Undo `pad_sequence`: the list of sequences ``padded[:lengths[b], b]`` (or ``padded[b, :lengths[b]]``)."""
    lens = _lengths_list(lengths)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    if len(lens) != x.shape[0]:
        raise RuntimeError(
            f"unpad_sequence: got {len(lens)} lengths for a batch of {x.shape[0]} (shape {tuple(padded_sequences.shape)})"
        )
    return [x[b, :n] for b, n in enumerate(lens)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo `pack_sequence`: the list of sequences, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
