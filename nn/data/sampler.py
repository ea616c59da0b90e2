"""Samplers (orders of dataset indices) as torch.utils.data has them; shuffles draw from the
given NumPy generator, else from the library's (ad.manual_seed) at the start of each epoch."""

import numpy as np

import autodiff as ad


def check_generator(generator, what: str):
    """None or a NumPy Generator; anything else is refused naming what took it."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{what}: generator must be a NumPy Generator (np.random.default_rng(seed)) or None, "
            f"got {type(generator).__name__}"
        )
    return generator


def permutation(n: int, generator=None) -> np.ndarray:
    """A random order of range(n) from generator, or from the library's generator."""
    check_generator(generator, "permutation")
    return (generator if generator is not None else ad.random.generator()).permutation(n)


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
        n = len(self.data_source)
        rng = self.generator if self.generator is not None else ad.random.generator()
        # drawn lazily, in torch's chunks (32 indices, or one permutation, at a time), so that
        # num_samples=10**10 (an endless loader) costs nothing up front
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from ad.randint(0, n, (32,), generator=rng).tolist()
            yield from ad.randint(0, n, (self.num_samples % 32,), generator=rng).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from ad.randperm(n, generator=rng).tolist()
        yield from ad.randperm(n, generator=rng).tolist()[: self.num_samples % n]

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
                f"numbers with a positive sum, got shape {w.shape}"
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
        rng = self.generator if self.generator is not None else ad.random.generator()
        p = self.weights / self.weights.sum()
        drawn = rng.choice(len(p), self.num_samples, replace=self.replacement, p=p)
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
