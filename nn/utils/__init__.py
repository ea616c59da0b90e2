"""torch.nn.utils: gradient clipping, parameters as one vector, the rnn helpers (nn.utils.rnn:
padding and packing of variable-length sequences), functional_call (nn.utils.stateless),
pruning (nn.utils.prune), the parametrizations of a module's tensors (nn.utils.parametrize,
nn.utils.parametrizations) and the hook-based spectral_norm and weight_norm."""

from .clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from .fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .weight_norm import remove_weight_norm, weight_norm
from .spectral_norm import remove_spectral_norm, spectral_norm
from . import (
    parametrizations,
    parametrize,
    prune,
    rnn,
    stateless,
)  # prune: not in __all__, as torch's

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "fuse_conv_bn_eval",
    "fuse_conv_bn_weights",
    "fuse_linear_bn_eval",
    "fuse_linear_bn_weights",
    "get_total_norm",
    "parameters_to_vector",
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "rnn",
    "spectral_norm",
    "stateless",
    "vector_to_parameters",
    "weight_norm",
]
