"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd and hessian on the engine's reverse mode
(the package's docstring says how they nest)."""

import functools

from ..creation import zeros, zeros_like
from ..grad_mode import enable_grad, is_grad_enabled
from ..gradients import grad as _autograd_grad
from ..graph import AccumulateGrad
from ..ops.shape import stack
from ..random import refused
from ..tensor import Tensor
from .pytree import describe, pprint, tree_flatten, tree_map, tree_unflatten
from .vmap import RANDOM_IN_ERROR_MODE, check_randomness

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "linearize", "vjp"]

# --- one transform call: its own inputs, and which results leave it with a graph --------


class _Call:
    """The leaves one transform call made; its results keep their graph only where it
    reaches another leaf (torch's results require grad only through enclosing levels)."""

    def __init__(self):
        self.outer_grad = is_grad_enabled()  # under no_grad, nothing outside sees a graph
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
        return t if self.outer_grad and self._reaches(t) else t.detach()

    def pull_back(self, outputs, inputs, cotangents, graph=None, retain=True) -> tuple:
        """Σ cotangent·∂output/∂input for each input, None where an input is unused. With
        a graph (create_graph) only where an enclosing transform or autograd will see it:
        where an output reaches a leaf outside the call; elsewhere backward runs on arrays."""
        pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        if not pairs or not inputs:
            return (None,) * len(inputs)
        if graph is None:
            graph = self.outer_grad and any(self._reaches(o) for o, _ in pairs)
        return _autograd_grad(
            [o for o, _ in pairs],
            list(inputs),
            [c for _, c in pairs],
            retain_graph=retain,
            create_graph=graph,
            allow_unused=True,
        )

    def results(self, found, inputs) -> list:
        """Each gradient as the call returns it; zeros for an unused input (torch.func's
        answer, where autograd.grad gives None)."""
        return [zeros_like(x) if g is None else self.result(g) for g, x in zip(found, inputs)]

    def _reaches(self, t) -> bool:
        """Whether t's graph reaches a leaf that requires grad and is not this call's."""
        if t.grad_fn is None:
            return t.requires_grad and id(t) not in self.own
        return self._reaches_outside(t.grad_fn)

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


def _argnums(argnums, nargs: int) -> tuple:
    if isinstance(argnums, int):
        nums = (argnums,)
    elif isinstance(argnums, tuple):
        nums = argnums
        for n in nums:
            if not isinstance(n, int):
                raise RuntimeError(f"argnum must be int, got: {type(n)}")
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
        args[n] = tree_map(call.input, args[n])
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
            found = call.pull_back((output,), leaves, (None,))
        grads = _picked(tree_unflatten(call.results(found, leaves), spec), argnums)
        value = call.result(output)
        return (grads, (value, tree_map(call.result, aux))) if has_aux else (grads, value)

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

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {pprint(ct_spec)}, primal output: "
                f"{pprint(out_spec)}"
            )
        with enable_grad():
            found = call.pull_back(out_leaves, in_leaves, ct_leaves, create_graph, retain_graph)
        return tree_unflatten(call.results(found, in_leaves), in_spec)

    value = tree_map(call.result, output)
    return (value, vjp_fn, tree_map(call.result, aux)) if has_aux else (value, vjp_fn)


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
            f"with structure {describe(p_spec)} and tangents with structure {describe(t_spec)}"
        )
    if not p_leaves:
        raise RuntimeError(f"{what}: Expected primals to contain at least one Tensor.")
    for p, t in zip(p_leaves, t_leaves):
        if isinstance(p, Tensor) and isinstance(t, Tensor):
            _check_tangent_size(p, t)
    call = _Call()
    with enable_grad():
        xs = [call.input(p) for p in p_leaves]
        output, aux = _split_aux(func(*tree_unflatten(xs, p_spec)), has_aux, what)
        out_leaves = _only_tensors(output, what)
        transposed, dummies = _transposed(call, out_leaves, xs)
        found = _pushed_forward(call, transposed, dummies, t_leaves)
    if strict and any(g is None for g in found):
        raise RuntimeError(
            f"{what[:-1]}, strict=True): The output of f is independent of the inputs. This is "
            "not allowed with strict=True."
        )
    out_spec = tree_flatten(output)[1]
    value = tree_map(call.result, output)
    tangent = tree_unflatten(call.results(found, out_leaves), out_spec)
    if has_aux:
        return value, tangent, tree_map(call.result, aux)
    return value, tangent


def _check_tangent_size(p: Tensor, t: Tensor) -> None:
    """torch's error for a tangent not shaped like its primal (jvp, forward_ad.make_dual)."""
    if p.shape != t.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
            f"while the given forward gradient is of size {list(t.shape)}."
        )


def _transposed(call: _Call, out_leaves, xs) -> tuple:
    """(Jᵀu per input, u per output): u are new leaves, and Jᵀu is linear in them."""
    dummies = [call.leaf(zeros_like(o)) for o in out_leaves]
    return call.pull_back(out_leaves, xs, dummies, graph=True), dummies


def _pushed_forward(call: _Call, transposed, dummies, tangents) -> tuple:
    """J·tangents per output, as the vjp of u ↦ Σ<Jᵀu, tangent>; None for an output that does
    not depend on the inputs. The graph of Jᵀu is kept, for another call."""
    terms = [(g * t).sum() for g, t in zip(transposed, tangents) if g is not None]
    if not terms:
        return (None,) * len(dummies)
    return call.pull_back((functools.reduce(lambda a, b: a + b, terms),), dummies, (None,))


def linearize(func, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is J·tangents at these primals, from the one
    run of func (torch traces the run; here its graph is kept and each call is a backward pass
    through Jᵀu, the double-vjp trick)."""
    p_leaves, p_spec = tree_flatten(primals)
    call = _Call()
    with enable_grad():
        xs = [call.input(p) for p in p_leaves]
        output = func(*tree_unflatten(xs, p_spec))
        out_leaves = _only_tensors(output, "jvp(f, primals, tangents)")
        transposed, dummies = _transposed(call, out_leaves, xs)
    out_spec = tree_flatten(output)[1]

    def jvp_fn(*tangents):
        t_leaves, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(
                f"Expected the tangents {describe(t_spec)} to have the same argspec as the "
                f"primals {describe(p_spec)}"
            )
        for i, (t, p) in enumerate(zip(t_leaves, p_leaves)):
            for what, mine, theirs in (("shape", t.shape, p.shape), ("dtype", t.dtype, p.dtype)):
                if mine != theirs:
                    raise RuntimeError(
                        f"tangent:{i} with {what} {mine} in flattened pytree doesn't match the "
                        f"{what} {theirs} of the corresponding primal."
                    )
        with enable_grad():
            found = _pushed_forward(call, transposed, dummies, t_leaves)
        return tree_unflatten(call.results(found, out_leaves), out_spec)

    return tree_map(call.result, output), jvp_fn


# --- Jacobians ----------------------------------------------------------------------------


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """A function returning the Jacobian of func with respect to the arguments in argnums:
    per output, a tensor of shape output.shape + input.shape (nested as the output's and the
    inputs' pytrees). One backward pass per output element."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _jacobian(func, argnums, has_aux, args, kwargs, "vjp(f, *primals)")

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """jacrev's Jacobian, same values and layout. Computed in reverse mode (one backward per
    output element), where torch pushes one forward-mode tangent per input element; as in
    torch, a random op inside func is refused under randomness='error'."""
    check_randomness(randomness)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with refused(RANDOM_IN_ERROR_MODE if randomness == "error" else None):
            return _jacobian(func, argnums, has_aux, args, kwargs, "jvp(f, primals, tangents)")

    return wrapper


def _jacobian(func, argnums, has_aux, args, kwargs, what: str):
    """The Jacobian blocks; torch's messages name the transform jacrev/jacfwd builds on."""
    nums = _argnums(argnums, len(args))
    call = _Call()
    with enable_grad():
        args, mine = _with_own_inputs(call, args, nums)
        output, aux = _split_aux(func(*args, **kwargs), has_aux, what)
        out_leaves = _only_tensors(output, what)
        in_leaves, in_spec = tree_flatten(mine)
        blocks = [_jacobian_of(call, out, in_leaves) for out in out_leaves]
    per_output = [
        _picked(tree_unflatten([call.result(b) for b in block], in_spec), argnums)
        for block in blocks
    ]
    jac = tree_unflatten(per_output, tree_flatten(output)[1])
    return (jac, tree_map(call.result, aux)) if has_aux else jac


def _jacobian_of(call: _Call, out, in_leaves) -> list:
    """∂out/∂x for each input x, of shape out.shape + x.shape: one backward per element."""
    rows = [[] for _ in in_leaves]
    for k in range(out.numel()):
        onehot = zeros(out.numel(), dtype=out.dtype)
        onehot[k] = 1
        found = call.pull_back((out,), in_leaves, (onehot.reshape(out.shape),))
        for row, g, x in zip(rows, found, in_leaves):
            row.append(zeros_like(x) if g is None else g)
    return [
        stack(row).reshape(*out.shape, *x.shape)
        if row
        else zeros(*out.shape, *x.shape, dtype=x.dtype)
        for row, x in zip(rows, in_leaves)
    ]


def hessian(func, argnums=0):
    """A function returning the Hessian of func: jacfwd(jacrev(func)), as torch composes it."""
    return jacfwd(jacrev(func, argnums), argnums)
