"""torch.func's names that need modules: functional_call and stack_module_state (the
transforms themselves are the engine's, autodiff.func)."""

from autodiff import stack

from .utils.stateless import functional_call

__all__ = ["functional_call", "stack_module_state"]


def stack_module_state(models) -> tuple:
    """(params, buffers): each name's tensors of all the models stacked along a new dim 0,
    for vmap over an ensemble; stacked parameters are new leaves that require grad."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return (
        {name: _stacked_leaf([p[name] for p in params], name) for name in params[0]},
        {name: _stacked_leaf([b[name] for b in buffers], name) for name in buffers[0]},
    )


def _stacked_leaf(tensors: list, name: str):
    flags = {t.requires_grad for t in tensors}
    if len(flags) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    return result.detach().requires_grad_() if flags == {True} else result
