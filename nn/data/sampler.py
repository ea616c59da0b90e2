"""Samplers (orders of dataset indices) as torch.utils.data has them, drawing as torch does
(randperm, randint, multinomial on the given generator or the library's), so a seeded run
visits the data in torch's order."""

import math

import numpy as np

import autodiff as ad


def check_generator(generator, what: str):
    """None, an ad.Generator (torch.Generator) or a NumPy Generator (its own stream, with
    torch's algorithms); anything else is refused naming what took it."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{what}: generator must be an ad.Generator (torch.Generator().manual_seed(seed)), "
            f"a NumPy Generator or None, got {type(generator).__name__}"
        )
    return generator


def generator_state(generator):
    """A JSON-ready state: torch's state bytes in hex for an ad.Generator, NumPy's state dict
    for another NumPy generator, None for None."""
    if generator is None:
        return None
    if isinstance(generator, ad.Generator):
        return generator.get_state().numpy(force=True).tobytes().hex()
    return generator.bit_generator.state


def restore_generator(generator, state) -> None:
    """Put back what generator_state returned."""
    if isinstance(generator, ad.Generator):
        if not isinstance(state, str):
            raise ValueError(
                "generator state: expected the hex string of an ad.Generator's state (saved by "
                "this version); this one came from another kind of generator or an older "
                "version. Start the run again."
            )
        generator.set_state(np.frombuffer(bytes.fromhex(state), np.uint8))
    else:
        generator.bit_generator.state = state


def permutation(n: int, generator=None) -> np.ndarray:
    """torch.randperm(n, generator=generator) (None: the library's generator)."""
    check_generator(generator, "permutation")
    return ad.random.permutation(n, generator)


class Sampler:
    """Base class: an iterable of dataset indices (define __iter__ and, if known, __len__)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random permutation each epoch (or num_samples draws with replacement)."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = check_generator(generator, "RandomSampler")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer value, "
                f"but got num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        """torch's order, drawn lazily: without a generator, a fresh one per epoch seeded from
        the library's; with replacement, randint in chunks of 32; else a randperm per pass
        over the data, and one more cut to the remainder (drawn even when it is empty)."""
        n = len(self.data_source)
        generator = self.generator
        if generator is None:
            seed = int(ad.random.random_bits((), np.int64))
            generator = ad.Generator().manual_seed(seed)
        if self.replacement:
            for start in range(0, self.num_samples, 32):
                count = min(32, self.num_samples - start)
                yield from ad.random.integers((count,), 0, n, generator=generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from permutation(n, generator).tolist()
        yield from permutation(n, generator)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = check_generator(generator, "SubsetRandomSampler")

    def __iter__(self):
        order = permutation(len(self.indices), self.generator)
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices drawn with probabilities proportional to weights, a new draw each epoch."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError(
                f"WeightedRandomSampler: weights must be a 1-D sequence of finite non-negative "
                f"numbers with a positive sum, got shape {tuple(w.shape)}"
            )
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(
                f"WeightedRandomSampler: num_samples should be a positive integer value, "
                f"but got num_samples={num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"WeightedRandomSampler: replacement should be a boolean value, "
                f"but got replacement={replacement!r}"
            )
        if not replacement and num_samples > np.count_nonzero(w):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                f"from {np.count_nonzero(w)} with non-zero weight"
            )
        self.weights, self.num_samples, self.replacement = w, num_samples, replacement
        self.generator = check_generator(generator, "WeightedRandomSampler")

    def __iter__(self):
        """torch.multinomial(weights as float64, num_samples, replacement, generator)."""
        drawn = ad.random.multinomial(
            self.weights, self.num_samples, self.replacement, self.generator
        )
        return iter(drawn.tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of sampler into lists of batch_size (the last may be short)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer value, "
                f"but got batch_size={batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
    """This replica's share of the dataset (torch.utils.data.DistributedSampler): the indices,
    shuffled by seed + epoch, padded by repeating from the start (or cut, with drop_last) to a
    multiple of num_replicas, then every num_replicas-th one from rank. autodiff runs one
    process, so num_replicas and rank must be given (without them, torch asks the process
    group, which is absent: torch's ValueError); a script can still build each rank's sampler
    to check its split."""

    def __init__(
        self,
        dataset,
        num_replicas=None,
        rank=None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ):
        if num_replicas is None:
            num_replicas = ad.distributed.get_world_size()  # raises: no process group
        if rank is None:
            rank = ad.distributed.get_rank()
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas should be a positive integer, "
                f"got {num_replicas!r}"
            )
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:  # the same order on every replica: a generator seeded by seed + epoch
            generator = ad.Generator().manual_seed(self.seed + self.epoch)
            indices = permutation(n, generator).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        elif indices:  # pad by repeating the indices from the start (more than once if short)
            padding = self.total_size - n
            indices += (indices * math.ceil(padding / n))[:padding]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Shuffle by seed + epoch from now on: call it at each epoch's start, before iterating,
        or every epoch repeats the same order."""
        self.epoch = epoch
