"""Gradient clipping: clip_grad_norm_ and clip_grad_value_."""

import numpy as np

import autodiff as ad


def _with_grads(parameters) -> list:
    if isinstance(parameters, ad.Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
):
    """Scale all gradients together so their joint norm is at most max_norm; return that norm."""
    grads = [p.grad.numpy() for p in _with_grads(parameters)]
    if not grads:
        return ad.tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [np.linalg.norm(g.ravel(), norm_type) for g in grads]
        total = float(np.linalg.norm(np.asarray(norms, dtype=np.float64), norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({total}). Set error_if_nonfinite=False to clip anyway."
        )
    coef = max_norm / (total + 1e-6)  # torch's epsilon keeps the division finite
    if coef < 1:
        for g in grads:
            g *= g.dtype.type(coef)
    return ad.tensor(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with ad.no_grad():
        for p in _with_grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)
