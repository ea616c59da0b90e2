"""The one random generator of the library: init, dropout, shuffling and ad.rand* draw from it."""

import numpy as np

from . import tracing


@tracing.live
class Generator(np.random.Generator):
    """torch.Generator's twin, and a NumPy Generator: `ad.Generator().manual_seed(0)` can be
    given to random_split, DataLoader and the ad.rand* functions as generator=."""

    def __init__(self, device="cpu"):
        super().__init__(np.random.PCG64())
        self._seed = None

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed in place; returns the generator, as torch does."""
        self.bit_generator.state = np.random.PCG64(seed).state
        self._seed = seed
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self) -> dict:
        return self.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.bit_generator.state = state


_generator = Generator()


@tracing.replayed
def manual_seed(seed: int) -> Generator:
    """Seed every random draw of the library."""
    global _generator
    _generator = Generator().manual_seed(seed)
    return _generator


def generator() -> Generator:
    """The library's current generator (call it each time: manual_seed replaces it)."""
    return _generator


def seed() -> int:
    """Seed the library from the OS's entropy, as torch.seed; returns the seed."""
    value = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(value)
    return value


def sample(method: str, dtype, generator, *args) -> np.ndarray:
    """generator.method(*args) as an array of dtype, from the library's generator when
    generator is None: every draw of the library goes through here, so ad.compile repeats it
    on each replay (the same generator object, or the library's one at that moment)."""
    source = _generator if generator is None else generator
    array = np.asarray(getattr(source, method)(*args)).astype(dtype, copy=False)
    tracing.computed(array, sample, (method, np.dtype(dtype), generator, *args))
    return array
