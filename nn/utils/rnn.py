"""Variable-length sequences, as torch.nn.utils.rnn: pad_sequence, PackedSequence,
pack_padded_sequence, pad_packed_sequence, pack_sequence, unpad_sequence, unpack_sequence.

A PackedSequence stores the valid steps of a batch time-major, longest sequence first: data
holds step 0 of every sequence, then step 1 of those at least 2 long, ...; batch_sizes[t] is
how many sequences have a step t. Every function is composed of differentiable tensor ops, so
gradients flow through packing and padding; lengths and batch sizes are int64 tensors on the CPU.
"""

from typing import NamedTuple

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class PackedSequence(NamedTuple):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's."""

    data: ad.Tensor
    batch_sizes: ad.Tensor
    sorted_indices: ad.Tensor | None = None
    unsorted_indices: ad.Tensor | None = None

    def to(self, *args, **kwargs) -> "PackedSequence":
        """The same sequence with data converted (dtype or the CPU device), as torch."""
        return self._replace(data=self.data.to(*args, **kwargs))

    def cpu(self) -> "PackedSequence":
        return self

    def float(self) -> "PackedSequence":
        return self._replace(data=self.data.float())

    def double(self) -> "PackedSequence":
        return self._replace(data=self.data.double())

    @property
    def is_cuda(self) -> bool:
        return False


def _lengths(lengths, op: str) -> list:
    values = lengths.tolist() if isinstance(lengths, ad.Tensor) else list(lengths)
    values = [int(n) for n in values]
    if any(n <= 0 for n in values):
        raise ArgumentError(
            f"{op}: Length of all samples has to be greater than 0, but found {values}"
        )
    return values


def _time_first(x, batch_first: bool):
    return x.transpose(0, 1) if batch_first else x


def pad_sequence(sequences, batch_first: bool = False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into (max L, B, *) (or (B, max L, *)), padding the ends."""
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}"
        )
    tail = tuple(sequences[0].shape[1:])
    if any(tuple(s.shape[1:]) != tail for s in sequences):
        shapes = [tuple(s.shape) for s in sequences]
        raise ValueError(f"pad_sequence: all sequences need the same trailing dims, got {shapes}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        before, after = (0, extra) if padding_side == "right" else (extra, 0)
        padded.append(_pad_first(s, before, after, padding_value))
    return ad.stack(padded, 0 if batch_first else 1)


def _pad_first(x, before: int, after: int, value):
    """x with `before` and `after` rows of value added along dim 0."""
    if before == after == 0:
        return x
    parts = [ad.full((n,) + tuple(x.shape[1:]), value, dtype=x.dtype) for n in (before, after)]
    return ad.cat([parts[0], x, parts[1]])


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True):
    """Pack a padded batch (T, B, *) (or (B, T, *)) whose sequence b has lengths[b] valid steps."""
    op = "pack_padded_sequence"
    values = _lengths(lengths, op)
    x = _time_first(input, batch_first)
    if len(values) != x.shape[1]:
        raise ShapeError(
            f"{op}: Expected `len(lengths)` to be equal to batch_size, but got {len(values)} "
            f"(batch_size={x.shape[1]})"
        )
    if max(values) > x.shape[0]:
        raise ShapeError(
            f"{op}: a length {max(values)} is longer than the padded input's {x.shape[0]} steps"
        )
    sorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(values, values[1:])):
            raise RuntimeError(
                f"{op}: `lengths` array must be sorted in decreasing order when `enforce_sorted` "
                "is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX exportability."
            )
    else:
        sorted_indices = ad.tensor(values).argsort(descending=True, stable=True)
        x = x.index_select(1, sorted_indices)
        values = sorted(values, reverse=True)
    batch_sizes = [sum(n > t for n in values) for t in range(values[0])]
    data = ad.cat([x[t, :size] for t, size in enumerate(batch_sizes)])
    unsorted = None if sorted_indices is None else sorted_indices.argsort()
    return PackedSequence(data, ad.tensor(batch_sizes), sorted_indices, unsorted)


def pad_packed_sequence(
    sequence, batch_first: bool = False, padding_value=0.0, total_length=None
) -> tuple:
    """(padded (T, B, *) or (B, T, *), lengths): the inverse of pack_padded_sequence, in the
    batch's original order."""
    batch_sizes = [int(n) for n in sequence.batch_sizes.tolist()]
    steps = len(batch_sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "pad_packed_sequence: Expected total_length to be at least the length of the "
                f"longest sequence in input, but got total_length={total_length} and max "
                f"sequence length being {steps}"
            )
        steps = total_length
    batch, data, rows, start = batch_sizes[0], sequence.data, [], 0
    for size in batch_sizes:
        rows.append(_pad_first(data[start : start + size], 0, batch - size, padding_value))
        start += size
    blank = ad.full((batch,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    padded = ad.stack(rows + [blank] * (steps - len(batch_sizes)))
    lengths = ad.tensor([sum(size > b for size in batch_sizes) for b in range(batch)])
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices]
    return _time_first(padded, batch_first), lengths


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (L_i, *) of decreasing lengths (or any order with
    enforce_sorted=False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The list of unpadded sequences of a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :n] for b, n in enumerate(_lengths(lengths, "unpad_sequence"))]


def unpack_sequence(packed_sequences) -> list:
    """The list of sequences of a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
