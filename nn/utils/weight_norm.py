"""torch.nn.utils.weight_norm (deprecated in torch for parametrizations.weight_norm, which
reads the same state dicts): a parameter w becomes g·v/‖v‖, its magnitude g and direction v
learned apart (Salimans and Kingma, 2016), recomputed by a forward pre-hook before each call."""

import warnings

from ..module import Parameter


def norm_except_dim(v, pow: float = 2, dim: int = 0):
    """The pow-norm of v over every dim but dim (all of v for dim=-1), kept broadcastable
    against v, as torch.norm_except_dim."""
    if dim == -1:
        return v.norm(pow)
    if dim != 0 and dim != v.ndim - 1:
        return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)
    shape = [1] * v.ndim
    shape[dim] = v.shape[dim]
    rows = v.reshape(v.shape[0], -1) if dim == 0 else v.reshape(-1, v.shape[-1])
    return rows.norm(pow, 1 - (dim != 0)).reshape(shape)


class WeightNorm:
    """The forward pre-hook that recomputes module.<name> from <name>_g and <name>_v."""

    def __init__(self, name: str, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, 2, self.dim))

    def remove(self, module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"], module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim=0):
    """module with its parameter `name` as name_g (magnitude) and name_v (direction)."""
    warnings.warn(
        "`torch.nn.utils.weight_norm` is deprecated in favor of "
        "`torch.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
    hook = WeightNorm(name, dim)
    weight = getattr(module, name)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """module with name_g and name_v folded back into one parameter `name`."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
