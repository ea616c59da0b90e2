"""DataLoader as torch.utils.data has it, over a map-style Dataset (samplers, collate_fn,
generator), and the array shortcut DataLoader(X, y, batch_size=32) with vectorised batches.

Batches are loaded in this one process. torch's worker processes overlap loading with GPU
work; they change neither which batches come nor their order for a dataset that draws no random
numbers, and here the NumPy compute, not loading, is the cost, while forking a process that
holds BLAS threads and the engine's state adds failure modes. So num_workers > 0 is accepted
with a one-time note that says so, and pin_memory, pin_memory_device, persistent_workers,
prefetch_factor, timeout, multiprocessing_context and in_order are accepted (with torch's own
consistency checks) and otherwise ignored. worker_init_fn with num_workers > 0 would run code
per worker, which cannot happen here: it is refused. get_worker_info() is None, as in torch's
main process.
"""

import functools
import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import user_stacklevel

from .dataset import IterableDataset, Subset, TensorDataset, default_collate, default_convert
from .sampler import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    check_generator,
    generator_state,
    restore_generator,
)


def _check_workers(
    num_workers, timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent
):
    """torch's checks of the multi-process options, which are no-ops here."""
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            f"DataLoader: num_workers option should be non-negative, got {num_workers!r}; "
            "use num_workers=0 to disable multiprocessing."
        )
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "DataLoader: prefetch_factor option could only be specified in multiprocessing. "
            "Let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if num_workers == 0 and persistent:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    if num_workers == 0 and multiprocessing_context is not None:
        raise ValueError(
            "DataLoader: multiprocessing_context can only be used with multi-process loading "
            "(num_workers > 0), but got num_workers=0"
        )
    if num_workers > 0 and worker_init_fn is not None:
        raise ValueError(
            "DataLoader: worker_init_fn is not supported: batches are loaded in this process, "
            "so it would never run. Do its work in the Dataset, or pass num_workers=0."
        )
    if num_workers > 0:
        _note_main_process(num_workers)


_noted = False


def _note_main_process(num_workers: int) -> None:
    """Say once per process that worker processes are not started."""
    global _noted
    if not _noted:
        _noted = True
        warnings.warn(
            f"DataLoader: num_workers={num_workers}: batches are loaded in the main process "
            "(the same batches in the same order as torch's workers give, for a dataset that "
            "draws no random numbers); autodiff starts no worker processes.",
            stacklevel=4,
        )


def get_worker_info():
    """None: code runs in the main process, where torch's get_worker_info() is None too."""
    return None


def _check_iterable(shuffle, sampler, batch_sampler, num_workers) -> None:
    """torch's rules for an IterableDataset, and no worker replicas (they would repeat it)."""
    for name, value in (
        ("shuffle", shuffle),
        ("sampler", sampler),
        ("batch_sampler", batch_sampler),
    ):
        if value not in (None, False):
            raise ValueError(
                f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                f"{name}={value!r}. The dataset's own iteration gives the order."
            )
    if num_workers > 0:
        raise ValueError(
            "DataLoader with IterableDataset: num_workers > 0 is not supported: torch would give "
            "each worker a copy of the stream (repeating its samples unless the dataset splits "
            "itself with get_worker_info()). Pass num_workers=0."
        )


def _samplers(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator):
    """(batch_size, drop_last, sampler, batch_sampler) from DataLoader's options, as torch."""
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last"
            )
        batch_size, drop_last = None, False
    elif batch_size is None and drop_last:
        raise ValueError(
            "DataLoader: batch_size=None option disables auto-batching and is mutually "
            "exclusive with drop_last"
        )
    if sampler is None:
        sampler = (
            RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        )
    if batch_size is not None and batch_sampler is None:
        batch_sampler = BatchSampler(sampler, batch_size, drop_last)
    return batch_size, drop_last, sampler, batch_sampler


def _tensor_source(dataset):
    """(tensors, index maps outermost first) of a TensorDataset or of Subsets of one, else None."""
    maps = []
    while type(dataset) is Subset:
        maps.append(np.asarray(dataset.indices, dtype=np.int64))  # once per epoch
        dataset = dataset.dataset
    return (dataset.tensors, maps) if type(dataset) is TensorDataset else None


def _is_arrays(data) -> bool:
    return isinstance(data, np.ndarray | ad.Tensor)


class DataLoader:
    """Batches of a map-style dataset, as torch.utils.data.DataLoader.

    Given an array or Tensor X (and labels y) instead of a dataset, it is the array shortcut
    DataLoader(X, y=None, batch_size=32, shuffle=False, drop_last=False, seed=None,
    dtype=float32, transform=None): see ArrayLoader.
    """

    def __new__(cls, dataset=None, *args, **kwargs):
        if cls is DataLoader and _is_arrays(dataset):
            return super().__new__(ArrayLoader)
        return super().__new__(cls)

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        transform=None,
    ):
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            _check_iterable(shuffle, sampler, batch_sampler, num_workers)
        elif not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                f"DataLoader: dataset must be map-style (define __getitem__ and __len__), got "
                f"{type(dataset).__name__}; for a stream, subclass nn.data.IterableDataset."
            )
        if transform is not None:
            raise TypeError(
                "DataLoader: transform= belongs to DataLoader(X, y, ...) over arrays; "
                "with a Dataset, apply the transform in its __getitem__, as in torch."
            )
        _check_workers(
            num_workers,
            timeout,
            worker_init_fn,
            multiprocessing_context,
            prefetch_factor,
            persistent_workers,
        )
        self.dataset, self.num_workers, self.pin_memory = dataset, num_workers, pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.prefetch_factor, self.persistent_workers = prefetch_factor, persistent_workers
        self.in_order = in_order
        self.generator = check_generator(generator, "DataLoader")
        if iterable:  # the dataset gives the order itself: no samplers
            self.batch_size, self.drop_last = batch_size, drop_last
            self.sampler = self.batch_sampler = None
        else:
            self.batch_size, self.drop_last, self.sampler, self.batch_sampler = _samplers(
                dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, self.generator
            )
        if collate_fn is None:
            batched = self.batch_sampler is not None or (iterable and batch_size is not None)
            collate_fn = default_collate if batched else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # a TypeError when the stream has no length, as in torch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self):
        _draw_base_seed(self.generator)
        self._note_pin_memory()
        return self._batches()

    def _note_pin_memory(self) -> None:
        """torch's notes when an iterator starts: pinned memory needs an accelerator."""
        if not self.pin_memory:
            return
        if self.pin_memory_device:
            warnings.warn(
                "pin_memory_device is deprecated, the current accelerator will be used as the "
                f"device,ignore pin_memory_device='{self.pin_memory_device}'.",
                stacklevel=user_stacklevel(),
            )
        warnings.warn(
            "'pin_memory' argument is set as true but no accelerator is found, then device "
            "pinned memory won't be used.",
            stacklevel=user_stacklevel(),
        )

    def _batches(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream()
            return
        if self.batch_sampler is None:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        source = _tensor_source(self.dataset) if self.collate_fn is default_collate else None
        for indices in self.batch_sampler:
            if source is None:
                yield self.collate_fn([self.dataset[i] for i in indices])
                continue
            tensors, maps = source  # one fancy index per tensor gives what stacking would
            idx = np.asarray(indices, dtype=np.int64)
            for indices_of_subset in maps:
                idx = indices_of_subset[idx]
            yield [t[idx] for t in tensors]

    def _stream(self):
        """Batches of an IterableDataset in its own order."""
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def state_dict(self) -> dict:
        """The state of the loader's generator (if it has one), so a resumed run repeats."""
        return {"rng": generator_state(self.generator)}

    def load_state_dict(self, state: dict) -> None:
        """Restore what state_dict returned."""
        if state.get("rng") is not None and self.generator is not None:
            restore_generator(self.generator, state["rng"])

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, drop_last={self.drop_last})"
        )


def _draw_base_seed(generator) -> None:
    """torch draws a seed for worker processes each time a loader is iterated (from its
    generator, else the default one), shuffled or not: drawn here too, unused, so the
    generator's later numbers stay torch's."""
    ad.random.random_bits((), np.int64, generator)


def _as_array(a, name: str, dtype):
    a = a.numpy(force=True) if isinstance(a, ad.Tensor) else np.asarray(a)
    if a.dtype.kind in "iub":
        return a.astype(np.int64, copy=False) if name == "y" else a.astype(dtype, copy=False)
    if a.dtype.kind != "f":
        raise TypeError(f"DataLoader: {name} must hold numbers, got dtype {a.dtype}.")
    return a.astype(dtype, copy=False)


def _transformed(transform, batch: np.ndarray, rng) -> np.ndarray:
    """transform(batch, rng), refused unless it is an array of the batch's length and dtype."""
    out = transform(batch, rng)
    name = getattr(transform, "__qualname__", None) or repr(transform)
    if isinstance(out, ad.Tensor):
        out = out.numpy(force=True)
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"DataLoader: transform {name} returned {type(out).__name__}, expected a NumPy "
            f"array of the batch's length {len(batch)} and dtype {batch.dtype}."
        )
    if out.ndim == 0 or len(out) != len(batch):
        raise ValueError(
            f"DataLoader: transform {name} returned a batch of shape {tuple(out.shape)} for an input "
            f"of shape {tuple(batch.shape)}; it must keep the batch's length {len(batch)}."
        )
    if out.dtype != batch.dtype:
        raise TypeError(
            f"DataLoader: transform {name} changed the batch dtype from {batch.dtype} to "
            f"{out.dtype}. Return .astype({str(batch.dtype)!r}), or pass dtype= to DataLoader."
        )
    return np.ascontiguousarray(out)


class ArrayLoader(DataLoader):
    """Batches of (X, y) as tensors: float X (float32 by default) and int64 class labels.

    Its batches are torch's DataLoader(TensorDataset(X, y), batch_size, shuffle, drop_last,
    generator=...) batches, in torch's order: seed=s means generator=ad.Generator().manual_seed(s);
    without either, shuffling draws from the library's generator (ad.manual_seed) as torch's
    does. transform (e.g. nn.data.augment.random_flip()) maps each batch's X with that same
    generator. torch's multi-process options are accepted as in DataLoader.
    """

    def __init__(
        self,
        X,
        y=None,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed=None,
        dtype=np.float32,
        transform=None,
        *,
        generator=None,
        num_workers: int = 0,
        pin_memory: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        prefetch_factor=None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}.")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}.")
        _check_workers(
            num_workers,
            timeout,
            worker_init_fn,
            multiprocessing_context,
            prefetch_factor,
            persistent_workers,
        )
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed= or generator=, not both.")
        self.X = _as_array(X, "X", dtype)
        self.y = None if y is None else _as_array(y, "y", dtype)
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(
                f"DataLoader: X and y differ in length ({len(self.X)} vs "
                f"{len(self.y)}). Give one label per sample."
            )
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.seed, self.transform, self.num_workers = seed, transform, num_workers
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.generator = check_generator(generator, "DataLoader")
        if seed is not None:
            self.generator = ad.Generator().manual_seed(seed)
        self.collate_fn = default_collate

    @functools.cached_property
    def dataset(self) -> TensorDataset:
        """The arrays as a TensorDataset (X, y), as torch's loader.dataset (sharing memory)."""
        arrays = (self.X,) if self.y is None else (self.X, self.y)
        return TensorDataset(*(ad.from_numpy(a) for a in arrays))

    def __len__(self) -> int:
        n = len(self.X) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self):
        _draw_base_seed(self.generator)
        self._note_pin_memory()
        return self._batches()

    def _batches(self):
        n = len(self.X)
        indices = RandomSampler(range(n), generator=self.generator) if self.shuffle else range(n)
        for batch_indices in BatchSampler(indices, self.batch_size, self.drop_last):
            idx = np.asarray(batch_indices, dtype=np.int64)
            batch = self.X[idx]
            if self.transform is not None:
                rng = self.generator if self.generator is not None else ad.random.generator()
                batch = _transformed(self.transform, batch, rng)
            xb = ad.from_numpy(batch)
            yield xb if self.y is None else (xb, ad.from_numpy(self.y[idx]))

    def state_dict(self) -> dict:
        """The shuffling generator's state, so a resumed run draws the same batches."""
        return {"rng": generator_state(self.generator)}

    def load_state_dict(self, state: dict) -> None:
        """Restore what state_dict returned."""
        if state.get("rng") is not None:
            if self.generator is None:
                self.generator = ad.Generator()
            restore_generator(self.generator, state["rng"])

    def __repr__(self) -> str:
        return (
            f"DataLoader(n={len(self.X)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})"
        )
