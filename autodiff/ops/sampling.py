"""Random draws as ops: the in-place fills (uniform_, normal_, bernoulli_, exponential_,
cauchy_, log_normal_, geometric_, random_), bernoulli / multinomial and poisson / binomial.
The draw runs inside the op's forward, so ad.compile replays a fresh draw on every call; the
numbers are torch's (autodiff.random)."""

import numpy as np

from .. import dtypes, random
from ..errors import ArgumentError, DtypeError
from ..function import Function
from ..tensor import Tensor
from .inplace import apply_

__all__ = ["bernoulli", "binomial", "multinomial", "poisson"]


def _in_memory_order(array: np.ndarray, draw) -> np.ndarray:
    """draw(shape) laid out as torch fills a tensor one element at a time: in the order of
    its storage (a transposed tensor gets its draws down the columns)."""
    if array.flags.c_contiguous:
        return draw(array.shape)
    axes = sorted(range(array.ndim), key=lambda d: -abs(array.strides[d]))
    values = draw(tuple(array.shape[d] for d in axes))
    return values.transpose(np.argsort(axes))


def _floating(op: str, input: np.ndarray) -> None:
    """torch refuses a continuous distribution's fill on an integer or bool tensor (where ours
    would fill truncated values)."""
    if input.dtype.kind in "biu":
        raise DtypeError(
            f"{op}: a continuous distribution fills floating point tensors only, but this "
            f"tensor is {dtypes.of(input.dtype)}. Fill a float tensor and convert it (.long()), or draw "
            "integers with random_ or geometric_."
        )


class _Draw(Function):
    """A fresh draw of input's shape and dtype (the graph form of the fills): the old values
    get a zero gradient, as in torch."""

    array_backward = True
    native_bfloat16 = True  # a bfloat16 tensor gets torch's bfloat16 draws, not float32's rounded

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.0


class Uniform(_Draw):
    node_name, symbol = "UniformBackward0", "uniform_"

    @staticmethod
    def forward(ctx, input, low, high, generator):
        _floating("uniform_", input)

        def draw(shape):
            return random.uniform(shape, input.dtype, low, high, generator)

        return _in_memory_order(input, draw)


class Normal(_Draw):
    node_name, symbol = "NormalBackward0", "normal_"

    @staticmethod
    def forward(ctx, input, mean, std, generator):
        _floating("normal_", input)
        # torch's block algorithm needs a contiguous tensor; else one element at a time
        contiguous = input.flags.c_contiguous

        def draw(shape):
            return random.normal(shape, input.dtype, mean, std, generator, contiguous)

        return _in_memory_order(input, draw)


class Exponential(_Draw):
    node_name, symbol = "ExponentialBackward0", "exponential_"

    @staticmethod
    def forward(ctx, input, lambd, generator):
        _floating("exponential_", input)

        def draw(shape):
            return random.exponential(shape, input.dtype, lambd, generator)

        return _in_memory_order(input, draw)


class Cauchy(_Draw):
    node_name, symbol = "CauchyBackward0", "cauchy_"

    @staticmethod
    def forward(ctx, input, median, sigma, generator):
        _floating("cauchy_", input)

        def draw(shape):
            return random.cauchy(shape, input.dtype, median, sigma, generator)

        return _in_memory_order(input, draw)


class LogNormal(_Draw):
    node_name, symbol = "LogNormalBackward0", "log_normal_"

    @staticmethod
    def forward(ctx, input, mean, std, generator):
        _floating("log_normal_", input)

        def draw(shape):
            return random.log_normal(shape, input.dtype, mean, std, generator)

        return _in_memory_order(input, draw)


class Geometric(_Draw):
    node_name, symbol = "GeometricBackward0", "geometric_"

    @staticmethod
    def forward(ctx, input, p, generator):
        def draw(shape):
            return random.geometric(shape, input.dtype, p, generator)

        return _in_memory_order(input, draw)


class Random(_Draw):
    """random_(): the dtype's whole range (low is None), else [low, high)."""

    node_name, symbol = "RandomBackward2", "random_"

    @staticmethod
    def forward(ctx, input, low, high, generator):
        def draw(shape):
            if low is None:
                return random.random_bits(shape, input.dtype, generator)
            return random.integers(shape, low, high, input.dtype, generator)

        return _in_memory_order(input, draw)


class BernoulliFill(_Draw):
    node_name, symbol = "BernoulliBackward2", "bernoulli_"

    @staticmethod
    def forward(ctx, input, p, generator):
        def draw(shape):
            return random.bernoulli(p, shape, generator).astype(input.dtype)

        return _in_memory_order(input, draw)


def uniform_(self, a=0.0, b=1.0, *, generator=None) -> Tensor:
    return apply_(self, "uniform_", Uniform.apply, low=a, high=b, generator=generator)


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    return apply_(self, "normal_", Normal.apply, mean=mean, std=std, generator=generator)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    return apply_(self, "exponential_", Exponential.apply, lambd=lambd, generator=generator)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None) -> Tensor:
    return apply_(self, "cauchy_", Cauchy.apply, median=median, sigma=sigma, generator=generator)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None) -> Tensor:
    return apply_(self, "log_normal_", LogNormal.apply, mean=mean, std=std, generator=generator)


def geometric_(self, p, *, generator=None) -> Tensor:
    return apply_(self, "geometric_", Geometric.apply, p=p, generator=generator)


def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
    """random_() (the dtype's whole range), random_(to) or random_(from, to)."""
    low, high = (
        (None, None) if to is None and from_ == 0 else (0, from_) if to is None else (from_, to)
    )
    return apply_(self, "random_", Random.apply, low=low, high=high, generator=generator)


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Each element 1 with probability p (a number, or a tensor broadcast to self)."""
    if isinstance(p, Tensor):
        probs = Tensor._make(np.ascontiguousarray(np.broadcast_to(p.numpy(force=True), self.shape)))
        return self.copy_(Bernoulli.apply(probs, generator=generator))
    return apply_(self, "bernoulli_", BernoulliFill.apply, p=p, generator=generator)


class Bernoulli(Function):
    """0/1 draws with the input's probabilities; the gradient is zero, as torch's."""

    node_name, symbol = "BernoulliBackward0", "bernoulli"
    array_backward = True

    @staticmethod
    def forward(ctx, input, generator):
        return random.bernoulli(input, generator=generator).astype(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.0


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """torch.bernoulli(input): 1 with probability input[i]; bernoulli(input, p): with p
    (torch.bernoulli's out= comes from autodiff/out.py)."""
    if p is not None:
        return bernoulli_(
            Tensor._constant(np.empty(input.shape, input.dtype)), p, generator=generator
        )
    return Bernoulli.apply(input, generator=generator)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Category indices drawn from each row of (unnormalised) probabilities, as torch."""
    probs = input.numpy(force=True) if isinstance(input, Tensor) else np.asarray(input)
    op = "multinomial"
    if probs.ndim not in (1, 2):
        raise ArgumentError(f"{op}: prob_dist must be 1 or 2 dim, got shape {probs.shape}.")
    if not dtypes.is_float(probs.dtype):
        raise DtypeError(f"{op}: probabilities must be floating point, got {probs.dtype}.")
    if (
        isinstance(num_samples, bool)
        or not isinstance(num_samples, (int, np.integer))
        or num_samples <= 0
    ):
        raise ArgumentError(f"{op}: cannot sample n_sample <= 0 samples (got {num_samples}).")
    categories = probs.shape[-1]
    if not replacement and num_samples > categories:
        raise ArgumentError(
            f"{op}: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {categories}); pass replacement=True."
        )
    if not np.isfinite(probs).all() or (probs < 0).any():
        raise ArgumentError(f"{op}: probability tensor contains either `inf`, `nan` or element < 0")
    if (probs.reshape(-1, categories).sum(-1) <= 0).any():
        raise ArgumentError(f"{op}: invalid multinomial distribution (sum of probabilities <= 0)")
    drawn = random.multinomial(probs, int(num_samples), bool(replacement), generator)
    return Tensor._make(drawn)


class Poisson(Function):
    """One Poisson draw per rate; the gradient is zero, as torch's PoissonBackward0."""

    node_name, symbol = "PoissonBackward0", "poisson"
    array_backward = True

    @staticmethod
    def forward(ctx, input, generator):
        if input.dtype.kind not in "f":
            raise NotImplementedError(
                f'poisson: "poisson_cpu" not implemented for {dtypes.of(input.dtype)} (as in '
                "torch): give the rates as a floating point tensor (rate.float())."
            )
        return random.poisson(np.ascontiguousarray(input), generator=generator)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.0


def poisson(input, generator=None) -> Tensor:
    """Counts drawn from Poisson(input[i]), in input's dtype: torch's CPU numbers."""
    return Poisson.apply(input, generator=generator)


def binomial(count, prob, generator=None) -> Tensor:
    """Successes in count[i] trials of probability prob[i] (broadcast), in their dtype: torch's
    CPU numbers. No derivative, as torch (its backward raises)."""
    kinds = (count.dtype, prob.dtype)
    if not count.dtype.is_floating_point:  # torch says ValueError here
        raise ArgumentError(
            f"binomial only supports floating-point dtypes for count, got: {count.dtype}. "
            "Pass count as a float tensor (count.float())."
        )
    if kinds[0] != kinds[1]:
        raise DtypeError(
            f"binomial: count is {kinds[0]} but prob is {kinds[1]}; give both one floating "
            "point dtype."
        )
    return Binomial.apply(count, prob, generator=generator)


class Binomial(Function):
    """Binomial draws; no derivative, as torch (its node, NotImplemented, raises)."""

    node_name, symbol = "NotImplemented", "binomial"

    @staticmethod
    def forward(ctx, count, prob, generator):
        count, prob = np.broadcast_arrays(count, prob)
        return random.binomial(count, np.ascontiguousarray(prob), generator=generator)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "binomial: derivative for aten::binomial is not implemented (as in torch). Detach "
            "count and prob (x.detach()) where no gradient should flow through the draw."
        )
