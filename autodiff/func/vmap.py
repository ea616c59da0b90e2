"""vmap: func run once per index along the mapped dims, the results stacked (a Python loop,
not a batching rule per op), with torch's checks of in_dims, out_dims and randomness."""

import functools

from ..creation import zeros
from ..ops.shape import stack
from ..random import get_rng_state, refused, set_rng_state
from ..tensor import Tensor
from .pytree import broadcast, describe, tree_flatten, tree_unflatten

__all__ = ["vmap"]

RANDOM_IN_ERROR_MODE = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


def check_randomness(randomness) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """A function that maps func over a dim of its inputs: in_dims says which dim of each
    argument (an int, None for an argument not mapped, or a pytree like the arguments),
    out_dims where the mapped dim goes in each output.

    It runs func once per index (a Python loop, not a batched kernel per op) and stacks the
    results: the numbers torch gives for a deterministic func, at a loop's speed. randomness
    'error' refuses random ops inside func, 'different' draws afresh for each index and
    'same' draws the same numbers for every index (the generator is rewound between them).
    """
    check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _Mapping(func, in_dims, out_dims).run(args, kwargs, randomness)

    return wrapper


class _Mapping:
    """One vmap call: the checks torch makes, then the loop."""

    def __init__(self, func, in_dims, out_dims):
        self.func, self.in_dims, self.out_dims = func, in_dims, out_dims
        self.name = getattr(func, "__name__", repr(func))

    def run(self, args, kwargs, randomness):
        leaves, spec = tree_flatten(args)
        dims = self._in_dims(args, leaves)
        size = self._mapped_size(leaves, dims)
        state = get_rng_state() if randomness == "same" else None
        results = []
        with refused(RANDOM_IN_ERROR_MODE if randomness == "error" else None):
            for i in range(max(size, 1)):
                if state is not None:
                    set_rng_state(state)
                picked = [_slice(x, d, i, size) for x, d in zip(leaves, dims)]
                results.append(self.func(*tree_unflatten(picked, spec), **kwargs))
        return self._stacked(results, size)

    def _fail(self, message: str, show: str = "in_dims", inputs: str = "(<inputs>)"):
        shown = (
            f"in_dims={self.in_dims}, ..."
            if show == "in_dims"
            else f"..., out_dims={self.out_dims}"
        )
        raise ValueError(f"vmap({self.name}, {shown}){inputs}: {message}")

    def _in_dims(self, args, leaves) -> list:
        if not args:
            raise ValueError(
                f"vmap({self.name})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                "or you are trying to vmap over a function with no inputs. The latter is "
                "unsupported."
            )
        if not isinstance(self.in_dims, (int, tuple)):
            self._fail(
                "expected `in_dims` to be int or a (potentially nested) tuple matching the "
                f"structure of inputs, got: {type(self.in_dims)}."
            )
        prefix = self.in_dims if isinstance(self.in_dims, tuple) else (self.in_dims,) * len(args)
        dims = broadcast(prefix, args)
        if dims is None:
            self._fail(
                "in_dims is not compatible with the structure of `inputs`. in_dims has "
                f"structure {describe(tree_flatten(prefix)[1])} but inputs has structure "
                f"{describe(tree_flatten(args)[1])}."
            )
        for x, d in zip(leaves, dims):
            self._check_in_dim(x, d)
        return [None if d is None else d % x.ndim for x, d in zip(leaves, dims)]

    def _check_in_dim(self, x, d) -> None:
        if d is None:
            return
        if not isinstance(d, int):
            self._fail(
                f"Got in_dim={d} for an input but in_dim must be either an integer dimension "
                "or None."
            )
        if not isinstance(x, Tensor):
            self._fail(
                f"Got in_dim={d} for an input but the input is of type {type(x)}. We cannot "
                "vmap over non-Tensor arguments, please use None as the respective in_dim"
            )
        if not -x.ndim <= d < x.ndim:
            self._fail(
                f"Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                f"{x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}."
            )

    @staticmethod
    def _mapped_size(leaves, dims) -> int:
        sizes = [x.shape[d] for x, d in zip(leaves, dims) if d is not None]
        if not sizes:
            raise ValueError("vmap: Expected at least one Tensor to vmap over")
        if len(set(sizes)) > 1:
            raise ValueError(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sizes} for the mapped dimension"
            )
        return sizes[0]

    def _stacked(self, results, size):
        leaves, spec = tree_flatten(results[0])
        if any(d is not None and type(d) is not int for d in tree_flatten(self.out_dims)[0]):
            self._fail(
                "`out_dims` must be an int, None or a python collection of ints representing "
                "where in the outputs the vmapped dimension should appear.",
                show="out_dims",
                inputs="",
            )
        prefix = self.out_dims
        if isinstance(prefix, tuple) and len(prefix) == 1 and isinstance(results[0], Tensor):
            prefix = prefix[0]  # torch's edge case: out_dims=(d,) for a single tensor
        dims = broadcast(prefix, results[0])
        if dims is None:
            self._fail(
                "out_dims is not compatible with the structure of `outputs`. out_dims has "
                f"structure {describe(tree_flatten(self.out_dims)[1])} but outputs has "
                f"structure {describe(spec)}.",
                show="out_dims",
            )
        flat = [tree_flatten(r) for r in results]
        if any(other != spec for _, other in flat):
            raise ValueError(
                f"vmap({self.name}, ...): `{self.name}` returned outputs of different structures "
                f"for different indices ({describe(spec)} and "
                f"{describe(next(o for _, o in flat if o != spec))}). vmap runs func once per "
                "index here; return the same structure for every index."
            )
        columns = zip(*(leaves for leaves, _ in flat))
        stacked = [self._column(list(c), d, size) for c, d in zip(columns, dims)]
        return tree_unflatten(stacked, spec)

    def _column(self, outputs, out_dim, size):
        """One output's results for every index, stacked along out_dim."""
        first = outputs[0]
        if out_dim is None:
            if any(not _same(first, o) for o in outputs[1:]):
                raise ValueError(
                    f"vmap({self.name}, ...): `{self.name}` can not return a BatchedTensor "
                    "when out_dim is None"
                )
            return first
        if not isinstance(first, Tensor):
            raise ValueError(
                f"vmap({self.name}, ...): `{self.name}` must only return Tensors, got type "
                f"{type(first)}. Did you mean to set out_dims= to None for output?"
            )
        if not -first.ndim - 1 <= out_dim <= first.ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-first.ndim - 1}, "
                f"{first.ndim}], but got {out_dim})"
            )
        if size == 0:
            shape = list(first.shape)
            shape.insert(out_dim % (first.ndim + 1), 0)
            return zeros(*shape, dtype=first.dtype)
        return stack(outputs, dim=out_dim)


def _slice(x, dim, i: int, size: int):
    """Index i of x along dim; for a mapped size of 0, zeros of one index's shape (func runs
    once on them so that the outputs' shapes are known)."""
    if dim is None:
        return x
    if size == 0:
        return zeros(*x.shape[:dim], *x.shape[dim + 1 :], dtype=x.dtype)
    return x.select(dim, i)


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and bool((a == b).all())
    return type(a) is type(b) and a == b
