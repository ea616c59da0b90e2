"""torch.func's transforms: grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian,
vmap.

torch builds these from wrapped tensors with levels; here they are built from the engine's
reverse mode (ad.grad), and compose through create_graph: grad of grad, jacrev of jacrev,
hessian = jacfwd(jacrev(f)), vmap(grad(f)). Each call differentiates with respect to its own
copies of the inputs (a new leaf, or a new node on an input that already requires grad, so an
enclosing transform still sees the path). Where the output reaches a leaf outside the call
(an enclosing transform's input, a tensor that requires grad), the gradients are made with a
graph and keep it, as torch's results do; elsewhere they are made without one (backward on
arrays) and nothing returned requires grad. Forward mode is not separate: jvp is two reverse
passes (the double-vjp trick) and jacfwd is jacrev. vmap runs func once per index along the
mapped dims and stacks the results: a Python loop, not a batching rule per op.
"""

from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from .vmap import vmap

__all__ = [
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "vjp",
    "vmap",
]
