"""Gradient clipping: clip_grad_norm_ and clip_grad_value_."""

import autodiff as ad


def _with_grads(parameters) -> list:
    if isinstance(parameters, ad.Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
):
    """Scale all gradients together so their joint norm is at most max_norm; return that norm
    (torch's computation: the norm of the per-tensor norms, then every gradient times
    min(1, max_norm / (norm + 1e-6)), in ops, so ad.compile replays it)."""
    grads = [p.grad for p in _with_grads(parameters)]
    if not grads:
        return ad.tensor(0.0)
    norm_type = float(norm_type)
    with ad.no_grad():
        if norm_type == float("inf"):
            norms = [g.abs().max() if g.numel() else ad.zeros((), dtype=g.dtype) for g in grads]
            total = norms[0] if len(norms) == 1 else ad.stack(norms).max()
        else:
            norms = [g.norm(norm_type) for g in grads]
            total = ad.stack(norms).norm(norm_type)
        if error_if_nonfinite and not ad.isfinite(total).item():
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                f"non-finite ({total.item()}). Set error_if_nonfinite=False to clip anyway."
            )
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with ad.no_grad():
        for p in _with_grads(parameters):
            p.grad.clamp_(-clip_value, clip_value)
