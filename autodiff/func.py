"""torch.func's transforms: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap.

torch builds these from wrapped tensors with levels; here they are built from the engine's
reverse mode (ad.grad with create_graph=True), which is why they compose: grad of grad,
jacrev of jacrev, hessian = jacfwd(jacrev(f)), vmap(grad(f)). Each call differentiates with
respect to its own copies of the inputs (a new leaf, or a new node on an input that already
requires grad, so an enclosing transform still sees the path), and a result keeps its graph
only where it reaches a leaf outside the call (an enclosing transform's input, a tensor that
requires grad), as torch's results do. Forward mode is not separate: jvp is two reverse
passes (the double-vjp trick) and jacfwd is jacrev. vmap runs func once per index along the
mapped dims and stacks the results: a Python loop, not a batching rule per op.
"""

import functools
from collections import OrderedDict

from .creation import zeros, zeros_like
from .grad_mode import enable_grad
from .gradients import grad as _autograd_grad
from .graph import AccumulateGrad
from .ops.shape import stack
from .random import get_rng_state, refused, set_rng_state
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]

_RANDOM_IN_ERROR_MODE = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)

# --- pytrees: tuples, lists, dicts and namedtuples are nodes, anything else is a leaf ----

_LEAF = None  # the spec of a leaf


def _is_node(tree) -> bool:
    kind = type(tree)
    return kind in (tuple, list, dict, OrderedDict) or (
        isinstance(tree, tuple) and hasattr(kind, "_fields")
    )


def _spec(tree, leaves: list):
    if not _is_node(tree):
        leaves.append(tree)
        return _LEAF
    keys = tuple(tree) if isinstance(tree, dict) else None
    values = tree.values() if isinstance(tree, dict) else tree
    return (type(tree), keys, tuple(_spec(v, leaves) for v in values))


def tree_flatten(tree) -> tuple:
    """(leaves, spec) of a pytree, leaves in torch's order (dicts in insertion order)."""
    leaves = []
    return leaves, _spec(tree, leaves)


def tree_unflatten(leaves, spec):
    """The pytree of spec with these leaves."""
    return _build(spec, iter(leaves))


def _build(spec, leaves):
    if spec is _LEAF:
        return next(leaves)
    kind, keys, children = spec
    values = [_build(child, leaves) for child in children]
    if keys is not None:
        return kind(zip(keys, values))
    return kind(*values) if hasattr(kind, "_fields") else kind(values)


def _tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def _describe(spec) -> str:
    """A spec as torch prints a TreeSpec: TreeSpec(tuple, None, [*, *])."""
    if spec is _LEAF:
        return "*"
    kind, keys, children = spec
    context = "None" if keys is None else repr(list(keys))
    return f"TreeSpec({kind.__name__}, {context}, [{', '.join(map(_describe, children))}])"


def _pprint(spec) -> str:
    """A spec as torch's treespec_pprint writes it: (*, [*, *], {'a': *})."""
    if spec is _LEAF:
        return "*"
    kind, keys, children = spec
    inner = [_pprint(c) for c in children]
    if keys is not None:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(keys, inner)) + "}"
    if kind is list:
        return "[" + ", ".join(inner) + "]"
    return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"


def _broadcast(prefix, tree) -> list | None:
    """prefix's value for each leaf of tree (an int or None covers a whole subtree), or None
    where prefix is not a prefix of tree's structure."""
    if not _is_node(prefix):
        return [prefix] * len(tree_flatten(tree)[0])
    if type(prefix) is not type(tree) or len(prefix) != len(tree):
        return None
    if isinstance(prefix, dict):
        if set(prefix) != set(tree):
            return None
        pairs = [(prefix[k], tree[k]) for k in tree]
    else:
        pairs = list(zip(prefix, tree))
    per_leaf = []
    for p, t in pairs:
        part = _broadcast(p, t)
        if part is None:
            return None
        per_leaf += part
    return per_leaf


# --- one transform call: its own inputs, and which results leave it with a graph --------


class _Call:
    """The leaves one transform call made; its results keep their graph only where it
    reaches another leaf (torch's results require grad only through enclosing levels)."""

    def __init__(self):
        self.own = set()
        self.reaches = {}  # node -> whether it reaches a leaf not in self.own

    def input(self, x):
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if not x.is_floating_point():
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if x.requires_grad:
            return x.view_as(x)  # a new node: d/d(this) only, the path to x kept
        return self.leaf(x.detach())

    def leaf(self, x):
        x.requires_grad_(True)
        self.own.add(id(x))
        return x

    def result(self, t):
        if not isinstance(t, Tensor) or not t.requires_grad:
            return t
        if t.grad_fn is None:
            return t.detach() if id(t) in self.own else t
        return t if self._reaches_outside(t.grad_fn) else t.detach()

    def _reaches_outside(self, root) -> bool:
        stack_ = [root]
        while stack_:
            node = stack_[-1]
            if node in self.reaches:
                stack_.pop()
                continue
            children = [c for c, _ in node.next_functions if c is not None]
            pending = [c for c in children if c not in self.reaches]
            if pending:
                stack_ += pending
                continue
            stack_.pop()
            if isinstance(node, AccumulateGrad):
                self.reaches[node] = id(node.variable) not in self.own
            else:
                self.reaches[node] = any(self.reaches[c] for c in children)
        return self.reaches[root]


def _pull_back(outputs, inputs, cotangents) -> tuple:
    """Σ cotangent·∂output/∂input for each input, zeros where an input is unused, with a
    graph (create_graph) so that an enclosing transform can differentiate it again."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if not pairs or not inputs:
        return tuple(zeros_like(x) for x in inputs)
    found = _autograd_grad(
        [o for o, _ in pairs],
        list(inputs),
        [c for _, c in pairs],
        retain_graph=True,
        create_graph=True,
        allow_unused=True,
    )
    return tuple(zeros_like(x) if g is None else g for x, g in zip(inputs, found))


def _argnums(argnums, nargs: int) -> tuple:
    if isinstance(argnums, int):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(n, int) for n in argnums):
        nums = argnums
        if not nums:
            raise RuntimeError("argnums must be non-empty")
        if len(set(nums)) != len(nums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for n in nums:
        if not -nargs <= n < nargs:
            raise RuntimeError(f"Got argnum={n}, but only {nargs} positional inputs")
    return tuple(n % nargs for n in nums)


def _with_own_inputs(call: _Call, args: tuple, nums: tuple) -> tuple:
    """args with this call's copies at the positions in nums, and those copies as a tuple."""
    args = list(args)
    for n in nums:
        args[n] = _tree_map(call.input, args[n])
    return tuple(args), tuple(args[n] for n in nums)


def _split_aux(output, has_aux: bool, what: str):
    if not has_aux:
        return output, None
    if not isinstance(output, tuple) or len(output) != 2:
        raise RuntimeError(
            f"{what}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    for leaf in tree_flatten(output[1])[0]:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return output


def _only_tensors(output, what: str) -> list:
    leaves = tree_flatten(output)[0]
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(
                f"{what}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(leaf)}"
            )
    return leaves


def _picked(results, argnums):
    """One argument's result for an int argnums, a tuple of them for a tuple."""
    return results[0] if isinstance(argnums, int) else results


# --- grad and vjp -------------------------------------------------------------------------


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning (gradient of func's scalar output, that output); with has_aux,
    (gradient, (output, aux)). The gradient of an input the output does not use is zeros."""
    what = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args))
        call = _Call()
        with enable_grad():
            args, mine = _with_own_inputs(call, args, nums)
            output, aux = _split_aux(func(*args, **kwargs), has_aux, what)
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    f"{what}: Expected f(*args) to return a Tensor, got {type(output)}"
                )
            if output.ndim != 0:
                raise RuntimeError(
                    f"{what}: Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            leaves, spec = tree_flatten(mine)
            found = _pull_back((output,), leaves, (None,))
        grads = _picked(tree_unflatten([call.result(g) for g in found], spec), argnums)
        value = call.result(output)
        return (grads, (value, _tree_map(call.result, aux))) if has_aux else (grads, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of func's scalar output with respect to the
    arguments in argnums (an int or a tuple; each argument a tensor or a pytree of them)."""
    with_value = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = with_value(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def vjp(func, *primals, has_aux=False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) gives the vector-Jacobian product
    with respect to each primal, as a tuple; cotangents are shaped like func's output."""
    what = "vjp(f, *primals)"
    call = _Call()
    with enable_grad():
        _, mine = _with_own_inputs(call, primals, tuple(range(len(primals))))
        output, aux = _split_aux(func(*mine), has_aux, what)
        out_leaves = _only_tensors(output, what)
    out_spec = tree_flatten(output)[1]
    in_leaves, in_spec = tree_flatten(mine)

    def vjp_fn(cotangents):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {_pprint(ct_spec)}, primal output: "
                f"{_pprint(out_spec)}"
            )
        with enable_grad():
            found = _pull_back(out_leaves, in_leaves, ct_leaves)
        return tree_unflatten([call.result(g) for g in found], in_spec)

    value = _tree_map(call.result, output)
    return (value, vjp_fn, _tree_map(call.result, aux)) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """(func(*primals), J·tangents[, aux]): the Jacobian-vector product. Computed in reverse
    mode by the double-vjp trick: u ↦ Jᵀu is linear in u, and its vjp with the tangents is
    J·tangents (two backward passes instead of torch's one forward-mode pass)."""
    what = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{what}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{what}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {_describe(p_spec)} and tangents with structure {_describe(t_spec)}"
        )
    if not p_leaves:
        raise RuntimeError(f"{what}: Expected primals to contain at least one Tensor.")
    for p, t in zip(p_leaves, t_leaves):
        if isinstance(p, Tensor) and isinstance(t, Tensor) and p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}."
            )
    call = _Call()
    with enable_grad():
        xs = [call.input(p) for p in p_leaves]
        output, aux = _split_aux(func(*tree_unflatten(xs, p_spec)), has_aux, what)
        out_leaves = _only_tensors(output, what)
        dummies = [call.leaf(zeros_like(o)) for o in out_leaves]
        transposed = _pull_back(out_leaves, xs, dummies)  # Jᵀu, linear in u
        terms = [(g * t).sum() for g, t in zip(transposed, t_leaves) if g.requires_grad]
        total = functools.reduce(lambda a, b: a + b, terms) if terms else None
        found = _pull_back((total,), dummies, (None,)) if total is not None else None
    if found is None:
        found = [zeros_like(o) for o in out_leaves]
    out_spec = tree_flatten(output)[1]
    value = _tree_map(call.result, output)
    tangent = tree_unflatten([call.result(g) for g in found], out_spec)
    if has_aux:
        return value, tangent, _tree_map(call.result, aux)
    return value, tangent


# --- Jacobians ----------------------------------------------------------------------------


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of func with respect to the arguments in argnums:
    per output, a tensor of shape output.shape + input.shape (nested as the output's and the
    inputs' pytrees). One backward pass per output element."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, args, kwargs)

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """jacrev's Jacobian, same values and layout. Computed in reverse mode (one backward per
    output element), where torch pushes one forward-mode tangent per input element; as in
    torch, a random op inside func is refused under randomness='error'."""
    _check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with refused(_RANDOM_IN_ERROR_MODE if randomness == "error" else None):
            return _jacobian(func, argnums, has_aux, args, kwargs)

    return wrapper


def _jacobian(func, argnums, has_aux, args, kwargs):
    what = "vjp(f, *primals)"
    nums = _argnums(argnums, len(args))
    call = _Call()
    with enable_grad():
        args, mine = _with_own_inputs(call, args, nums)
        output, aux = _split_aux(func(*args, **kwargs), has_aux, what)
        out_leaves = _only_tensors(output, what)
        in_leaves, in_spec = tree_flatten(mine)
        blocks = [_jacobian_of(out, out_leaves, in_leaves) for out in out_leaves]
    per_output = [
        _picked(tree_unflatten([call.result(b) for b in block], in_spec), argnums)
        for block in blocks
    ]
    jac = tree_unflatten(per_output, tree_flatten(output)[1])
    return (jac, _tree_map(call.result, aux)) if has_aux else jac


def _jacobian_of(out, out_leaves, in_leaves) -> list:
    """∂out/∂x for each input x, of shape out.shape + x.shape: one backward per element."""
    rows = [[] for _ in in_leaves]
    for k in range(out.numel()):
        onehot = zeros(out.numel(), dtype=out.dtype)
        onehot[k] = 1
        cotangents = [onehot.reshape(out.shape) if o is out else zeros_like(o) for o in out_leaves]
        for row, g in zip(rows, _pull_back(out_leaves, in_leaves, cotangents)):
            row.append(g)
    return [
        stack(row).reshape(*out.shape, *x.shape)
        if row
        else zeros(*out.shape, *x.shape, dtype=x.dtype)
        for row, x in zip(rows, in_leaves)
    ]


def hessian(func, argnums=0):
    """A function returning the Hessian of func: jacfwd(jacrev(func)), as torch composes it."""
    return jacfwd(jacrev(func, argnums), argnums)


# --- vmap ---------------------------------------------------------------------------------


def _check_randomness(randomness) -> None:
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
    _check_randomness(randomness)
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
        with refused(_RANDOM_IN_ERROR_MODE if randomness == "error" else None):
            for i in range(max(size, 1)):
                if state is not None:
                    set_rng_state(state)
                picked = [_slice(x, d, i, size) for x, d in zip(leaves, dims)]
                results.append(self.func(*tree_unflatten(picked, spec), **kwargs))
        return self._stacked(results, size)

    def _fail(self, message: str, show: str = "in_dims"):
        shown = (
            f"in_dims={self.in_dims}, ..."
            if show == "in_dims"
            else f"..., out_dims={self.out_dims}"
        )
        raise ValueError(f"vmap({self.name}, {shown})(<inputs>): {message}")

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
        dims = _broadcast(prefix, args)
        if dims is None:
            self._fail(
                "in_dims is not compatible with the structure of `inputs`. in_dims has "
                f"structure {_describe(tree_flatten(prefix)[1])} but inputs has structure "
                f"{_describe(tree_flatten(args)[1])}."
            )
        for x, d in zip(leaves, dims):
            self._check_in_dim(x, d)
        return [None if d is None else d % x.ndim for x, d in zip(leaves, dims)]

    def _check_in_dim(self, x, d) -> None:
        if d is None:
            return
        if not isinstance(d, int):
            self._fail(f"in_dim must be an int or None, got in_dim={d!r} ({type(d)}).")
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
        if not (self.out_dims is None or isinstance(self.out_dims, (int, tuple))):
            self._fail(
                "expected `out_dims` to be int or a (potentially nested) tuple matching the "
                f"structure of outputs, got: {type(self.out_dims)}.",
                show="out_dims",
            )
        prefix = self.out_dims
        if isinstance(prefix, tuple) and len(prefix) == 1 and isinstance(results[0], Tensor):
            prefix = prefix[0]  # torch's edge case: out_dims=(d,) for a single tensor
        dims = _broadcast(prefix, results[0])
        if dims is None:
            self._fail(
                "out_dims is not compatible with the structure of `outputs`. out_dims has "
                f"structure {_describe(tree_flatten(self.out_dims)[1])} but outputs has "
                f"structure {_describe(spec)}.",
                show="out_dims",
            )
        columns = zip(*(tree_flatten(r)[0] for r in results))
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
