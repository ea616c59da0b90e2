"""Gradient clipping as torch.nn.utils has it: get_total_norm, clip_grads_with_norm_,
clip_grad_norm_ (the two together) and clip_grad_value_, all in ops, so ad.compile replays them.
foreach= picks torch's multi-tensor kernels; here every choice computes the same numbers."""

import warnings

import autodiff as ad


def _listed(tensors) -> list:
    return [tensors] if isinstance(tensors, ad.Tensor) else list(tensors)


def _grads(parameters) -> list:
    return [p.grad for p in _listed(parameters) if p.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None):
    """The norm of the tensors' norms (the joint norm of all their values), as torch computes it."""
    tensors = _listed(tensors)
    if not tensors:
        return ad.tensor(0.0)
    norm_type = float(norm_type)
    with ad.no_grad():
        if norm_type == float("inf"):
            norms = [t.abs().max() if t.numel() else ad.zeros((), dtype=t.dtype) for t in tensors]
            total = norms[0] if len(norms) == 1 else ad.stack(norms).max()
        else:
            total = ad.stack([t.norm(norm_type) for t in tensors]).norm(norm_type)
        if error_if_nonfinite and not ad.isfinite(total).item():
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Every gradient times min(1, max_norm / (total_norm + 1e-6)), in place."""
    grads = _grads(parameters)
    if not grads:
        return
    with ad.no_grad():
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite=False, foreach=None
):
    """Scale all gradients together so their joint norm is at most max_norm; return that norm
    (before clipping), as torch."""
    parameters = _listed(parameters)  # an iterator is read twice below
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite=False, foreach=None
):
    """torch's deprecated name of clip_grad_norm_."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with ad.no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
