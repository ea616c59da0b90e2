"""The one random generator of the library, and PyTorch's CPU draws on it, bit for bit.

torch's CPU generator is the 32-bit Mersenne Twister (mt19937) seeded from the seed's low 32
bits (init_genrand). A draw takes 32-bit words from it (`random()`) or pairs of words, the
first one high (`random64()`), and turns them into numbers by the recipe of each distribution
(ATen's TransformationHelper.h, DistributionsHelper.h and cpu/DistributionTemplates.h). The
functions below follow those recipes on NumPy arrays, in torch's order and with torch's
roundings (autodiff.cpu_math), so after the same seed every draw of the library (init, dropout,
shuffling, ad.rand*) gives the numbers torch gives on the CPU. They return arrays; the tensor
forms (ad.rand, Tensor.normal_, ...) are built on them.
"""

import contextlib
import functools
import inspect
import math
import os
import threading

import numpy as np

from . import cpu_math, dtypes, tracing
from .device import CPU, check
from .errors import ArgumentError, DtypeError
from .tensor import Tensor

DEFAULT_SEED = 67280421310721  # torch.Generator()'s seed before manual_seed
_STATE_WORDS = 624  # mt19937's state
_MASK_24, _MASK_53 = np.uint32((1 << 24) - 1), np.uint64((1 << 53) - 1)
_LARGE_RANGE = 1 << 28  # from this range on, random_(from, to) takes 64-bit words (less skew)
_VECTOR_NORMAL = 16  # normal_ on at least this many contiguous elements: Box-Muller by blocks
_CACHED_BLOCKS = 16 * 1024  # values Box-Muller transforms at a time (a multiple of 16)

# torch.get_rng_state()'s 5056 bytes (CPUGeneratorImplState): the legacy TH layout with a
# 64-bit slot per 32-bit state word, then the cached float normal
_STATE_LAYOUT = np.dtype(
    {
        "names": [
            "seed",
            "left",
            "seeded",
            "next",
            "state",
            "normal_y",
            "normal_valid",
            "float_normal",
            "float_normal_valid",
        ],
        "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _STATE_WORDS), "<f8", "<i4", "<f4", "u1"],
        "offsets": [0, 8, 12, 16, 24, 5024, 5040, 5048, 5052],
        "itemsize": 5056,
    }
)


@tracing.live
class Generator(np.random.Generator):
    """torch.Generator on the CPU: mt19937 seeded as torch seeds it, so every draw of the
    library that takes it (generator=) gives torch's numbers. It is also a NumPy Generator over
    that same stream, for the project's NumPy-facing extras (DataLoader transforms)."""

    def __init__(self, device="cpu"):
        check(device)
        super().__init__(np.random.MT19937())
        self.device = CPU
        self.manual_seed(DEFAULT_SEED)

    @tracing.replayed
    def manual_seed(self, seed) -> "Generator":
        """Reseed in place (also forgetting a cached normal); returns the generator, as torch."""
        seed = _check_seed(seed)
        key = np.empty(_STATE_WORDS, np.uint32)
        word = seed & 0xFFFFFFFF
        for i in range(_STATE_WORDS):  # init_genrand
            key[i] = word
            word = (1812433253 * (word ^ (word >> 30)) + i + 1) & 0xFFFFFFFF
        self._set_words(key, _STATE_WORDS)
        self._seed, self._next_normal, self._next_float_normal = seed, None, None
        return self

    def seed(self) -> int:
        """Reseed from the OS's entropy, as torch's Generator.seed(); returns the seed."""
        value = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The state as torch's uint8 tensor (the same 5056 bytes torch.get_rng_state gives)."""
        mt = self.bit_generator.state["state"]
        record = np.zeros((), _STATE_LAYOUT)
        record["seed"], record["seeded"] = self._seed, 1
        record["left"] = _STATE_WORDS + 1 - mt["pos"]
        record["next"] = mt["pos"] % _STATE_WORDS
        record["state"] = mt["key"]
        if self._next_normal is not None:
            record["normal_y"], record["normal_valid"] = self._next_normal, 1
        if self._next_float_normal is not None:
            record["float_normal"], record["float_normal_valid"] = self._next_float_normal, 1
        return Tensor._make(np.frombuffer(record.tobytes(), np.uint8).copy())

    @tracing.replayed
    def set_state(self, new_state) -> "Generator":
        """Restore what get_state() returned (here or in torch: the bytes are torch's)."""
        data = (
            new_state.numpy(force=True) if isinstance(new_state, Tensor) else np.asarray(new_state)
        )
        if data.dtype != np.uint8 or data.shape != (_STATE_LAYOUT.itemsize,):
            raise ArgumentError(
                f"set_state: expected a uint8 tensor of {_STATE_LAYOUT.itemsize} bytes (what "
                f"get_state() returns), got dtype {data.dtype} and shape {tuple(data.shape)}."
            )
        record = np.frombuffer(data.tobytes(), _STATE_LAYOUT)[0]
        left = int(record["left"])
        if not record["seeded"] or not 0 < left <= _STATE_WORDS:
            raise ArgumentError("set_state: Invalid mt19937 state (not a generator's state).")
        self._set_words(record["state"].astype(np.uint32), _STATE_WORDS + 1 - left)
        self._seed = int(record["seed"])
        self._next_normal = float(record["normal_y"]) if record["normal_valid"] else None
        valid = record["float_normal_valid"]
        self._next_float_normal = float(record["float_normal"]) if valid else None
        return self

    def __reduce__(self):  # copies and pickles keep the class and the whole state
        return _restored, (self.get_state().numpy(force=True).tobytes(),)

    def _set_words(self, key: np.ndarray, pos: int) -> None:
        self.bit_generator.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}

    def __repr__(self) -> str:
        return f"<autodiff.Generator (torch.Generator, cpu) seed={self._seed}>"


def _restored(state: bytes) -> Generator:
    return Generator().set_state(np.frombuffer(state, np.uint8))


def _check_seed(seed) -> int:
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer, float)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}.")
    seed = int(seed)
    if not -(2**63) <= seed < 2**64:
        raise ValueError(
            f"manual_seed: seed {seed} is out of range; torch takes seeds in [-2**63, 2**64)."
        )
    return seed % 2**64


default_generator = Generator()
default_generator.seed()  # as torch: each process starts from fresh entropy


def generator() -> Generator:
    """The library's default generator (torch.default_generator): the one every draw uses
    when no generator= is given; ad.manual_seed reseeds it in place."""
    return default_generator


def manual_seed(seed) -> Generator:
    """Seed every random draw of the library (torch.manual_seed); returns the generator."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the library from the OS's entropy, as torch.seed; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, device_type=None):
    """Draws inside the block leave the default generator as they found it (torch's
    fork_rng; there are no other devices to fork)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# --- words -----------------------------------------------------------------------------


def _source(gen):
    return default_generator if gen is None else gen


class _Refusal(threading.local):
    message = None  # while set, every draw of this thread raises RuntimeError(message)


_refusal = _Refusal()


@contextlib.contextmanager
def refused(message):
    """Draws inside the block raise RuntimeError(message), or are allowed again for None
    (vmap's randomness='error' and its other modes)."""
    before, _refusal.message = _refusal.message, message
    try:
        yield
    finally:
        _refusal.message = before


def _words(gen, n: int) -> np.ndarray:
    """n of the generator's 32-bit words (torch's random()), as uint32."""
    if _refusal.message is not None:
        raise RuntimeError(_refusal.message)
    gen = _source(gen)
    if isinstance(gen, Generator):
        return gen.bit_generator.random_raw(n).astype(np.uint32)
    if isinstance(gen, np.random.Generator):  # a plain NumPy generator: its own stream
        return gen.integers(0, 2**32, n, dtype=np.uint32)
    raise TypeError(
        f"generator must be an ad.Generator (torch.Generator), got {type(gen).__name__}."
    )


def _words64(gen, n: int) -> np.ndarray:
    """n of torch's random64(): two words, the first one high."""
    pairs = _words(gen, 2 * n).astype(np.uint64)
    return (pairs[0::2] << np.uint64(32)) | pairs[1::2]


def _unit(gen, n: int, dtype) -> np.ndarray:
    """n draws from [0, 1) as uniform_real_distribution makes them: 24 bits of one word for
    float32 (and smaller floats), 53 bits of random64() for float64."""
    if np.dtype(dtype) == np.float64:
        return (_words64(gen, n) & _MASK_53).astype(np.float64) * 2.0**-53
    return (_words(gen, n) & _MASK_24).astype(np.float32) * np.float32(2.0**-24)


def _compute_dtype(dtype) -> np.dtype:
    """The precision torch computes a floating draw in: float64 for double, else float32."""
    dtype = np.dtype(dtype)
    if not dtypes.is_float(dtype):
        raise DtypeError(f"expected a floating point dtype, got {dtype}.")
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _from_double(values: np.ndarray, dtype) -> np.ndarray:
    """A double result in the tensor's type as C++ casts it: a half (or bfloat16) goes through
    float."""
    dtype = np.dtype(dtype)
    if dtypes.is_float(dtype) and dtype.itemsize < 4:
        values = values.astype(np.float32)
    return values.astype(dtype)


# --- distributions ---------------------------------------------------------------------


def _announced(draw):
    """A draw made outside the ops (ad.rand, a sampler's randperm, ...): announced to
    ad.compile, whose replays draw again from the same generator (or the default one then).
    Inside an op's forward (the fills, dropout) the op itself is the replayed step."""
    signature = inspect.signature(draw)

    @functools.wraps(draw)
    def announced(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        array = draw(*bound.args)
        tracing.computed(array, announced, bound.args)  # a replay calls it again
        return array

    return announced


@_announced
def uniform(shape, dtype=np.float32, low=0.0, high=1.0, generator=None) -> np.ndarray:
    """torch's uniform_(low, high): x·(high − low) + low with one rounding (GCC fuses it),
    where x is the unit draw; a result that rounds up to high becomes low, as torch."""
    if not low <= high:
        raise ArgumentError(
            f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}"
        )
    work = _compute_dtype(dtype)
    low_w, high_w = work.type(low), work.type(high)
    x = _unit(generator, math.prod(shape), work)
    fused = cpu_math.fma32 if work == np.float32 else cpu_math.fma64
    values = fused(x, high_w - low_w, low_w).astype(dtype)
    values[values == np.asarray(high, dtype)] = np.asarray(low, dtype)
    return values.reshape(shape)


@_announced
def normal(shape, dtype=np.float32, mean=0.0, std=1.0, generator=None, contiguous=True):
    """torch's normal_(mean, std). From 16 contiguous elements on: all the unit draws first,
    then Box-Muller on blocks of 16 (the first 8 of a block as u1, the next 8 as u2), the last
    partial block redone on 16 fresh draws over the tail; float32 runs the vectorised Cephes
    log/sincos of torch's AVX2/AVX-512 kernels. Below 16 (or on a non-contiguous tensor) one
    double Box-Muller pair at a time, its second value cached in the generator for the next."""
    if std < 0:
        raise ArgumentError(f"normal expects std >= 0.0, but found std {std}")
    n = math.prod(shape)
    if n >= _VECTOR_NORMAL and contiguous:
        work = _compute_dtype(dtype)
        values = _normal_blocks(generator, n, work, mean, std, np.dtype(dtype) == work)
    else:
        values = _from_double(_normal_pairs(generator, n, mean, std), dtype)
    return dtypes.cast(values, dtype).reshape(shape)


def _normal_blocks(gen, n: int, work, mean, std, in_place: bool) -> np.ndarray:
    """float32/float64 (in_place): torch draws n units into the tensor, transforms the whole
    blocks, then redraws the last 16; a half tensor goes through a 16-value buffer, so only
    the whole blocks' units are drawn before the last 16."""
    whole = n - n % 16
    values = _unit(gen, n if in_place else whole, work)
    for start in range(0, whole, _CACHED_BLOCKS):  # each chunk's many passes stay in cache
        chunk = values[start : min(start + _CACHED_BLOCKS, whole)]
        chunk[...] = _box_muller16(chunk, work, mean, std)
    values = np.resize(values, n)
    if n % 16:  # torch redraws the last 16 elements
        values[n - 16 :] = _box_muller16(_unit(gen, 16, work), work, mean, std)
    return values


def _box_muller16(u: np.ndarray, work, mean, std) -> np.ndarray:
    blocks = u.reshape(-1, 2, 8)
    u1, u2 = 1 - blocks[:, 0], blocks[:, 1]  # 1 - u: (0, 1] for the log
    if work == np.float32:
        radius = np.sqrt(np.float32(-2) * cpu_math.cephes_log(u1))
        sin, cos = cpu_math.cephes_sincos(np.float32(cpu_math.TWO_PI) * u2)
        pair = np.stack([radius * cos, radius * sin], axis=1)
        return cpu_math.fma32(pair, np.float32(std), np.float32(mean)).reshape(-1)
    radius = np.sqrt(-2 * cpu_math.libm(math.log, u1))
    theta = cpu_math.TWO_PI * u2
    pair = np.stack(
        [radius * cpu_math.libm(math.cos, theta), radius * cpu_math.libm(math.sin, theta)], 1
    )
    return cpu_math.fma64(pair, std, mean).reshape(-1)


def _normal_pairs(gen, n: int, mean, std) -> np.ndarray:
    """normal_distribution<double>: u1, u2 from random64(); r = sqrt(-2 log1p(-u2)),
    θ = 2π u1; r·cos θ now and r·sin θ cached in the generator for the next draw."""
    gen = _source(gen)
    cached = getattr(gen, "_next_normal", None)
    values = []
    if cached is not None and n:
        values.append(cached)
        gen._next_normal = cached = None
    pairs = (n - len(values) + 1) // 2
    u = _unit(gen, 2 * pairs, np.float64).reshape(pairs, 2)
    radius = np.sqrt(-2.0 * cpu_math.libm(math.log1p, -u[:, 1]))
    theta = cpu_math.TWO_PI * u[:, 0]
    drawn = np.stack(
        [radius * cpu_math.libm(math.cos, theta), radius * cpu_math.libm(math.sin, theta)], 1
    )
    values = np.concatenate([values, drawn.reshape(-1)])
    if len(values) > n:
        if isinstance(gen, Generator):
            gen._next_normal = float(values[n])
        values = values[:n]
    return cpu_math.fma64(values, std, mean)


@_announced
def integers(shape, low: int, high: int, dtype=np.int64, generator=None) -> np.ndarray:
    """torch's random_(low, high) (randint): word % (high − low) + low, with 64-bit words
    from a range of 2**28 on."""
    span = high - low
    if span <= 0:
        raise ArgumentError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    n = math.prod(shape)
    if span >= _LARGE_RANGE:
        draws = (_words64(generator, n) % np.uint64(span)).astype(np.int64)
    else:
        draws = (_words(generator, n) % np.uint32(span)).astype(np.int64)
    return (draws + low).astype(dtype).reshape(shape)


@_announced
def random_bits(shape, dtype=np.int64, generator=None) -> np.ndarray:
    """torch's random_() without bounds: [0, 2**63) for int64, [0, 2**mantissa] for floats,
    [0, max] for other integers."""
    dtype, n = np.dtype(dtype), math.prod(shape)
    if dtype == np.bool_:
        return (_words(generator, n) & 1).astype(bool).reshape(shape)
    if dtype in (np.int64, np.float64):
        span = 2**63 if dtype == np.int64 else 2**53 + 1
        return (_words64(generator, n) % np.uint64(span)).astype(dtype).reshape(shape)
    if dtype.kind == "f":
        span = 2 ** (np.finfo(dtype).nmant + 1) + 1
    else:
        span = int(np.iinfo(dtype).max) + 1
    return (_words(generator, n).astype(np.uint64) % np.uint64(span)).astype(dtype).reshape(shape)


@_announced
def permutation(n: int, generator=None, dtype=np.int64) -> np.ndarray:
    """torch's randperm(n): a Fisher-Yates pass that swaps position i with i + word % (n − i)
    (the swaps depend on each other, so only the words are drawn in one go)."""
    if n < 0:
        raise ArgumentError(f"randperm: n must be non-negative, got {n}")
    order = list(range(n))
    if n > 1:
        offsets = _words(generator, n - 1).astype(np.int64) % np.arange(n, 1, -1)
        for i, j in enumerate((offsets + np.arange(n - 1)).tolist()):
            order[i], order[j] = order[j], order[i]
    return np.array(order, dtype)


@_announced
def bernoulli(p, shape=None, generator=None) -> np.ndarray:
    """torch's bernoulli: True where a unit draw is below p. A number p (bernoulli_(p),
    dropout) compares with float64 draws; an array of probabilities with draws of its own
    precision (float32 probabilities: 24-bit draws)."""
    if np.ndim(p) == 0 and shape is not None:
        if not 0 <= p <= 1:
            raise ArgumentError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        return (_unit(generator, math.prod(shape), np.float64) < p).reshape(shape)
    p = np.asarray(p)
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise ArgumentError(
            f"bernoulli: probabilities must be in [0, 1], got values from {p.min()} to {p.max()}"
        )
    work = np.float64 if p.dtype == np.float64 else np.float32
    return _unit(generator, p.size, work).reshape(p.shape) < p.astype(work)


@_announced
def exponential(shape, dtype=np.float32, lambd=1.0, generator=None) -> np.ndarray:
    """torch's exponential_(λ): -1/λ · log1p(-u) in double from a 53-bit u, then the type."""
    if not lambd > 0:
        raise ArgumentError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _unit(generator, math.prod(shape), np.float64)
    return _from_double((-1.0 / lambd) * cpu_math.libm(math.log1p, -u), dtype).reshape(shape)


@_announced
def standard_gamma(alpha: np.ndarray, generator=None) -> np.ndarray:
    """torch's _standard_gamma on the CPU: one Gamma(α, 1) draw per element, in order, by
    Marsaglia and Tsang's rejection on normal_distribution<double> and
    uniform_real_distribution<double> draws, in double; then the type, at least its smallest
    normal number (as torch, so that a log of the draw stays finite)."""
    return _standard_gamma(alpha, generator)


def _standard_gamma(alpha: np.ndarray, generator=None) -> np.ndarray:
    """standard_gamma without its announcement to ad.compile (dirichlet draws through it)."""
    alpha = np.asarray(alpha)
    gen = _source(generator)
    work = np.float32 if alpha.dtype == np.float32 else np.float64
    drawn = [_gamma_one(gen, a) for a in alpha.astype(work).reshape(-1)]
    values = np.array(drawn, np.float64).astype(alpha.dtype).reshape(alpha.shape)
    return np.maximum(values, np.finfo(alpha.dtype).tiny)


_THIRD32 = float(np.float32(1.0) / np.float32(3.0))  # C's 1.0f / 3.0f
_C0331 = float(np.float32(0.0331))  # C's 0.0331f


def _gamma_one(gen, alpha) -> float:
    """sample_gamma of ATen for one shape α (a float32 α boosted by 1 in float32, as the C++
    does with its scalar type; everything else in double)."""
    scale = 1.0
    if alpha < 1:
        if alpha == 0:
            return 0.0
        u = float(_unit(gen, 1, np.float64)[0])
        scale *= math.pow(1 - u, float(alpha.dtype.type(1) / alpha))
        alpha = alpha + alpha.dtype.type(1)
    d = float(alpha - alpha.dtype.type(_THIRD32))
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = float(_normal_pairs(gen, 1, 0.0, 1.0)[0])
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1 - float(_unit(gen, 1, np.float64)[0])
        xx = x * x
        if u < 1.0 - _C0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


@_announced
def dirichlet(concentration: np.ndarray, generator=None) -> np.ndarray:
    """torch's _sample_dirichlet on the CPU: Gamma(α, 1) draws in double (at least double's
    smallest normal), normalised over the last dim, then the type, kept inside
    [smallest normal, the float below 1]."""
    alpha = np.asarray(concentration)
    gamma = _standard_gamma(alpha.astype(np.float64), generator)
    values = (gamma / gamma.sum(-1, keepdims=True)).astype(alpha.dtype)
    top = np.nextafter(alpha.dtype.type(1), alpha.dtype.type(0))
    return np.clip(values, np.finfo(alpha.dtype).tiny, top)


@_announced
def poisson(rate: np.ndarray, generator=None) -> np.ndarray:
    """torch.poisson on the CPU: one draw per element, in order, from uniform doubles
    (Hörmann's transformed rejection for a rate of 10 or more, else multiplying uniforms
    until their product falls below e^-rate), in the rate's type."""
    rate = np.asarray(rate)
    if rate.size and not (rate >= 0).all():
        raise ArgumentError("poisson: invalid Poisson rate, expected rate to be non-negative")
    gen = _source(generator)
    drawn = [_poisson_one(gen, float(lam)) for lam in rate.reshape(-1)]
    return np.array(drawn, np.float64).astype(rate.dtype).reshape(rate.shape)


def _poisson_one(gen, lam: float) -> int:
    def uniform() -> float:
        return float(_unit(gen, 1, np.float64)[0])

    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = uniform() - 0.5
            V = uniform()
            us = 0.5 - abs(U)
            k = math.floor((2 * a / us + b) * U + lam + 0.43)
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            log_ratio = math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
            if log_ratio <= -lam + k * loglam - math.lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    count, product, limit = 0, 1.0, math.exp(-lam)
    while True:
        product *= uniform()
        if product <= limit:
            return count
        count += 1


@_announced
def binomial(count: np.ndarray, prob: np.ndarray, generator=None) -> np.ndarray:
    """torch.binomial on the CPU: one draw per element, in order, from uniform doubles
    (Kachitvichyanukul and Schmeiser's BTRS rejection where count·p ≥ 10, else summing
    geometric waiting times; p above 1/2 draws the failures), in the type of the inputs."""
    count, prob = np.asarray(count), np.asarray(prob)
    gen = _source(generator)
    pairs = zip(count.reshape(-1).tolist(), prob.reshape(-1).tolist())
    drawn = [_binomial_one(gen, n, p, prob.dtype.type) for n, p in pairs]
    return np.array(drawn, np.float64).astype(prob.dtype).reshape(prob.shape)


def _binomial_one(gen, count: float, prob: float, scalar) -> float:
    """ATen's sample_binomial: its tests in the inputs' type (scalar), its sampling in double."""

    def uniform() -> float:
        return float(_unit(gen, 1, np.float64)[0])

    if count <= 0 or prob <= 0:
        return 0.0
    if prob >= 1:
        return count
    flip = prob > 0.5
    p = float(scalar(1.0 - prob)) if flip else prob
    if float(scalar(count) * scalar(p)) >= 10.0:
        k = _btrs(uniform, count, p, scalar)
    else:
        k = _binomial_inversion(uniform, count, p)
    return count - k if flip else k


def _binomial_inversion(uniform, count: float, prob: float) -> float:
    """Successes counted as the geometric waiting times that fit in count trials."""
    geom_sum, num_geom = 0.0, 0.0
    logprob = math.log1p(-prob)
    while True:
        geom_sum += math.ceil(math.log(uniform()) / logprob)
        if geom_sum > count:
            return num_geom
        num_geom += 1


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)  # fmt: skip


def _stirling_tail(k: float) -> float:
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(uniform, count: float, prob: float, scalar) -> float:
    """Transformed rejection with squeeze (BTRS), as ATen's btrs."""
    stddev = math.sqrt(float(scalar(count) * scalar(prob) * (scalar(1) - scalar(prob))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((count + 1) * prob)
    while True:
        U = uniform() - 0.5
        V = uniform()
        us = 0.5 - abs(U)
        k = float(scalar(math.floor((2 * a / us + b) * U + c)))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and V <= v_r:
            return k
        V = math.log(V * alpha / (a / (us * us) + b))
        upperbound = (
            (m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
            + (count + 1) * math.log((count - m + 1) / (count - k + 1))
            + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
            + _stirling_tail(m)
            + _stirling_tail(count - m)
            - _stirling_tail(k)
            - _stirling_tail(count - k)
        )
        if V <= upperbound:
            return k


@_announced
def cauchy(shape, dtype=np.float32, median=0.0, sigma=1.0, generator=None) -> np.ndarray:
    """torch's cauchy_(median, σ): median + σ·tan(π(u − ½)) in double (one rounding for the
    multiply-add, as GCC fuses it) from a 53-bit u, then the type."""
    if not sigma > 0:
        raise ArgumentError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _unit(generator, math.prod(shape), np.float64)
    tangent = cpu_math.libm(math.tan, math.pi * (u - 0.5))
    return _from_double(cpu_math.fma64(tangent, sigma, median), dtype).reshape(shape)


@_announced
def log_normal(shape, dtype=np.float32, mean=1.0, std=2.0, generator=None) -> np.ndarray:
    """torch's log_normal_(mean, std): exp of normal_distribution<double>'s draws (one
    Box-Muller pair at a time, its second value cached in the generator), then the type."""
    if not std > 0:
        raise ArgumentError(f"log_normal_ expects std > 0.0, but found std={std}")
    values = _normal_pairs(generator, math.prod(shape), mean, std)
    return _from_double(cpu_math.libm(math.exp, values), dtype).reshape(shape)


@_announced
def geometric(shape, dtype=np.int64, p=0.5, generator=None) -> np.ndarray:
    """torch's geometric_(p): the trial of the first success, ceil(log u / log1p(−p)) in double
    from a 53-bit u; integer and floating tensors alike."""
    if not 0 < p < 1:
        raise ArgumentError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _unit(generator, math.prod(shape), np.float64)
    # u = 0 (one draw in 2**53): an infinite wait; a count past a half's range: inf, as C++'s
    # cast gives it
    with np.errstate(divide="ignore", over="ignore"):
        trials = np.ceil(cpu_math.libm(math.log, u) / math.log1p(-p))
        return trials.astype(dtype).reshape(shape)


@_announced
def multinomial(probs: np.ndarray, num_samples: int, replacement=False, generator=None):
    """torch.multinomial on rows of (unnormalised) probabilities. Without replacement, or for
    one sample: argmax / top-k of p / q with q ~ Exp(1) (the exponential race). With
    replacement: per row the running sum divided by the total, then for each sample a float64
    unit draw and the first category whose cumulative value reaches it."""
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement or num_samples == 1:
        race = rows / exponential.__wrapped__(rows.shape, rows.dtype, 1.0, generator)
        if num_samples == 1:
            chosen = np.argmax(race, axis=-1)[:, None]
        else:
            chosen = np.argsort(-race, axis=-1, kind="stable")[:, :num_samples]
    else:
        cumulative = np.cumsum(rows, axis=-1, dtype=rows.dtype)
        cumulative /= cumulative[:, -1:]
        cumulative[:, -1] = 1
        u = _unit(generator, rows.shape[0] * num_samples, np.float64)
        u = u.reshape(rows.shape[0], num_samples)
        chosen = np.stack(
            [
                np.searchsorted(c.astype(np.float64), draw, side="left")
                for c, draw in zip(cumulative, u)
            ]
        )
    return chosen.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))
