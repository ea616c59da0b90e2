"""All parameters as one flat vector and back, as torch.nn.utils."""

import autodiff as ad
from autodiff.errors import ShapeError


def _tensors(parameters, op: str) -> list:
    if isinstance(parameters, ad.Tensor):
        raise TypeError(
            f"{op}: expected an iterable of Tensors (e.g. model.parameters()), got a Tensor"
        )
    return list(parameters)


def parameters_to_vector(parameters):
    """One 1-D tensor of every parameter's values in order (differentiable: a cat of views)."""
    return ad.cat([p.reshape(-1) for p in _tensors(parameters, "parameters_to_vector")])


def vector_to_parameters(vec, parameters) -> None:
    """Write consecutive slices of the 1-D vec into the parameters' values (outside the graph)."""
    if not isinstance(vec, ad.Tensor):
        raise TypeError(
            f"vector_to_parameters: expected vec to be a Tensor, but got {type(vec).__name__}"
        )
    params = _tensors(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ShapeError(
            f"vector_to_parameters: vec has shape {tuple(vec.shape)} but the parameters hold "
            f"{total} values. Give a 1-D vector of that length (see parameters_to_vector)."
        )
    start = 0
    for p in params:
        n = p.numel()
        p.data = vec[start : start + n].detach().reshape(p.shape)  # shares vec's storage, as torch
        start += n
