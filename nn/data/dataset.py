"""torch.utils.data's datasets and collation: Dataset, IterableDataset, TensorDataset, Subset,
ConcatDataset, ChainDataset, default_collate and default_convert."""

import bisect
import collections.abc
import numbers

import numpy as np

import autodiff as ad


class Dataset:
    """A map-style dataset: subclass it and define __getitem__(index) and __len__()."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: define __getitem__(self, index)")

    def __add__(self, other) -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclass it and define __iter__() (and __len__ if it is known)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: define __iter__(self)")

    def __add__(self, other) -> "ChainDataset":
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Iterable datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _as_tensor(value, what: str) -> ad.Tensor:
    if isinstance(value, ad.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected tensors or numeric arrays, got dtype {array.dtype}")
    return ad.from_numpy(array)


class TensorDataset(Dataset):
    """Samples are tuples (t[i] for t in tensors); all tensors share their first dimension."""

    def __init__(self, *tensors):
        self.tensors = tuple(_as_tensor(t, "TensorDataset") for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if not self.tensors or None in sizes or len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: Size mismatch between tensors: first dimensions {sizes}. "
                "Give tensors with the same number of samples in dim 0."
            )

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of dataset at the given indices, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


# --- collation ---------------------------------------------------------------------------------
def _is_text(value) -> bool:
    return isinstance(value, str | bytes)


def default_convert(data):
    """NumPy arrays and numbers inside data become Tensors; containers keep their structure."""
    if isinstance(data, ad.Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return ad.from_numpy(data)
    if isinstance(data, np.generic) and data.dtype.kind in "biuf":
        return ad.from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not _is_text(data):
        return type(data)([default_convert(d) for d in data])
    return data


def default_collate(batch):
    """Samples -> a batch, as torch's default_collate: tensors and arrays are stacked along a
    new dim 0, floats become float64, ints int64, dicts and sequences are collated per field
    (a tuple sample gives a list), strings are kept as they come."""
    elem = batch[0]
    if isinstance(elem, ad.Tensor):
        _same_shapes([tuple(b.shape) for b in batch])
        return ad.stack(list(batch), 0)
    if isinstance(elem, np.ndarray | np.generic) and elem.dtype.kind in "biuf":
        _same_shapes([np.shape(b) for b in batch])
        return ad.from_numpy(np.stack([np.asarray(b) for b in batch]))
    if isinstance(elem, bool):
        return ad.from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return ad.from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return ad.from_numpy(np.array(batch, dtype=np.float64))
    if _is_text(elem):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, collections.abc.Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size, got "
                f"lengths {[len(b) for b in batch]}"
            )
        columns = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
            return type(elem)(*columns)
        return columns if isinstance(elem, tuple) else type(elem)(columns)
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}. Pass collate_fn= to batch other types."
    )


def _same_shapes(shapes: list) -> None:
    if len(set(shapes)) != 1:
        raise RuntimeError(
            f"default_collate: stack expects each tensor to be equal size, but got shapes "
            f"{sorted(set(shapes))} in one batch. Pad or resize the samples, or pass collate_fn=."
        )
