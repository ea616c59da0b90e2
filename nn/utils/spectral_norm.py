"""torch.nn.utils.spectral_norm / remove_spectral_norm, the older API (torch now recommends
nn.utils.parametrizations.spectral_norm): the parameter <name>_orig and the buffers <name>_u,
<name>_v of the power iteration, and a forward pre-hook that sets module.<name> to
<name>_orig / σ before each call (Miyato et al., 2018). torch's state-dict hooks (a version
number in the metadata, the loading of version-0 dicts that hold <name> but no <name>_v) are
not here: our state dicts carry no metadata."""

import autodiff as ad

from .. import functional as F
from ..module import Parameter
from .parametrizations import _spectral_dim

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook that recomputes module.<name> from <name>_orig, advancing the power
    iteration by n_power_iterations steps in training mode."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.name, self.dim = name, dim
        self.n_power_iterations, self.eps = n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        """The weight as a matrix whose rows run along dim."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.size(0), -1)

    def compute_weight(self, module, do_power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with ad.no_grad():  # the buffers move in place: v first, then u
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(ad.mv(weight_mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(ad.mv(weight_mat, v), dim=0, eps=self.eps))
                # copies: the graph keeps this call's u, v while the buffers move on
                u, v = u.clone(), v.clone()
        sigma = ad.dot(u, ad.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module) -> None:
        with ad.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        for suffix in ("_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module, name: str, n_power_iterations: int, dim: int, eps: float):
        """Register the hook, its parameter and buffers on module (torch's seeded draws of
        u, then v); refuses a second spectral_norm on the same name."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        if name not in module._parameters:
            raise KeyError(f"spectral_norm: {type(module).__name__} has no parameter '{name}'")
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with ad.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.detach())  # a plain attribute, as torch's weight.data
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """module with its parameter `name` divided by its spectral norm before each call
    (dim None: 1 for transposed convolutions, else 0)."""
    SpectralNorm.apply(module, name, n_power_iterations, _spectral_dim(module, dim), eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """module with the spectral normalization of `name` folded back into one parameter."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
