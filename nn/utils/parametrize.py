"""torch.nn.utils.parametrize: a parameter or buffer of a module computed, on each access, by
small modules (parametrizations) from the tensor(s) actually stored and learned.

register_parametrization(m, "weight", P) moves m.weight to m.parametrizations.weight.original
(state dict key "parametrizations.weight.original", as torch's) and swaps m's class for a
generated subclass "Parametrized" + class name whose property `weight` returns P(original):
gradients reach `original` through P on every access, and `m.weight = X` stores
P.right_inverse(X). Several parametrizations on one tensor are applied in registration order.
"""

from collections.abc import Sequence
from contextlib import contextmanager
from copy import deepcopy

import autodiff as ad

from ..container import ModuleDict, ModuleList
from ..module import Module, Parameter

__all__ = [
    "cached",
    "ParametrizationList",
    "register_parametrization",
    "is_parametrized",
    "remove_parametrizations",
    "type_before_parametrizations",
    "transfer_parametrizations_and_params",
]

_cache_enabled = 0  # how many cached() blocks are open
_cache = {}  # (id(module), tensor name) -> the parametrized tensor, while one is open


@contextmanager
def cached():
    """Within this block each parametrized tensor is computed once, on its first access, and
    the same tensor is returned afterwards (useful when a forward reads it several times, e.g.
    an RNN's recurrent kernel); the values are forgotten when the outermost block ends."""
    global _cache, _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module, name: str, tensor) -> None:
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


def _set(dest, src) -> None:
    """torch's dest.set_(src): dest takes src's storage (and shape) but stays the same object,
    so an optimizer that holds it sees the new values."""
    dest.data = src.detach()


def _change_error(what: str, old, new) -> ValueError:
    return ValueError(
        f"Registering a parametrization may not change the {what} of the tensor, unless "
        f"`unsafe` flag is enabled.\nunparametrized {what}: {old}\nparametrized {what}: {new}"
    )


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, and the tensor(s) they start from:
    `original`, or `original0`, `original1`, ... when the first parametrization's right_inverse
    returns several tensors. Made by register_parametrization, not by users."""

    def __init__(self, modules, original, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = tuple(original.shape), original.dtype
        with ad.no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:  # no inverse: start from the tensor itself
                        pass
        if not isinstance(new, ad.Tensor | Sequence):
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, ad.Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\n"
                    f"right_inverse(original).dtype: {new.dtype}"
                )
            with ad.no_grad():
                _set(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, tensor in enumerate(new):
                if not isinstance(tensor, ad.Tensor):
                    raise ValueError(
                        "'right_inverse' must return a Tensor or a Sequence of tensors "
                        f"(list, tuple...). Got element {i} of the sequence with type "
                        f"{type(tensor).__name__}."
                    )
                if isinstance(original, Parameter):
                    tensor = Parameter(tensor, original.requires_grad)
                tensor.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", tensor)
        if not self.unsafe:  # the parametrized tensor must look like the one it replaces
            Z = self()
            if not isinstance(Z, ad.Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(Z).__name__}.")
            if Z.dtype != original_dtype:
                raise _change_error("dtype", original_dtype, Z.dtype)
            if tuple(Z.shape) != original_shape:
                raise _change_error("shape", ad.Size(original_shape), Z.shape)

    def right_inverse(self, value) -> None:
        """Store value as the original tensor(s): the right_inverse of every parametrization,
        last registered first (what `module.weight = value` does)."""
        with ad.no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement right_inverse."
                    )
                value = module.right_inverse(value)
            if self.is_tensor:
                self._store(value, "original")
                return
            if not isinstance(value, Sequence):
                raise ValueError(
                    f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}."
                )
            if len(value) != self.ntensors:
                raise ValueError(
                    "'right_inverse' must return a sequence of tensors of length "
                    f"{self.ntensors}. Got a sequence of length {len(value)}."
                )
            for i, tensor in enumerate(value):
                self._store(tensor, f"original{i}")

    def _store(self, value, name: str) -> None:
        """Put one tensor that right_inverse returned into self.<name> (in place)."""
        original = getattr(self, name)
        if not isinstance(value, ad.Tensor):
            raise ValueError(
                f"`right_inverse` should return a tensor for `{name}`. Got {type(value).__name__}"
            )
        if value.dtype != original.dtype:
            raise ValueError(
                f"The tensor returned by `right_inverse` for `{name}` has dtype {value.dtype} "
                f"while `{name}` has dtype {original.dtype}"
            )
        _set(original, value)

    def forward(self):
        """The parametrized tensor: the first parametrization on the original(s), then the
        others in registration order."""
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _no_pickle(self):
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict(). See:\n"
        "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
        "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training"
    )


def _deepcopy(self, memo):
    """copy.deepcopy of a parametrized module (pickling, deepcopy's default, is refused)."""
    if id(self) in memo:
        return memo[id(self)]
    replica = self.__new__(self.__class__)
    memo[id(self)] = replica
    replica.__dict__.update(deepcopy(self.__dict__, memo))
    return replica


def _parametrized_setattr(self, name: str, value) -> None:
    """A Parameter assigned to a parametrized name is refused, as torch's register_parameter
    refuses it (the property would hide it); a tensor goes through right_inverse."""
    if isinstance(value, Parameter) and isinstance(getattr(type(self), name, None), property):
        raise KeyError(f"attribute '{name}' already exists")
    type(self).__mro__[1].__setattr__(self, name, value)


def _inject_new_class(module) -> None:
    """Give module a class of its own, "Parametrized" + its class name, to hold properties."""
    cls = module.__class__
    namespace = {
        "__getstate__": _no_pickle,
        "__saved_state__": _no_pickle,  # ad.save(model), torch.save of a whole module
        "__setattr__": _parametrized_setattr,
    }
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = _deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module, tensor_name: str) -> None:
    """module.<tensor_name> computed by module.parametrizations[tensor_name] on each access
    (once per cached() block), and assigned through its right_inverse."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        if _cache.get(key) is None:
            _cache[key] = parametrization()
        return _cache[key]

    def set_original(self, value) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def _check_like(Y, X, tensor_name: str, what: str, value: str) -> None:
    """X (what the new parametrization gives for module.<tensor_name> = Y) must keep Y's dtype
    and shape."""
    for attr in ("dtype", "shape"):
        if getattr(X, attr) != getattr(Y, attr):
            raise ValueError(
                f"{what} may not change the {attr} of the tensor, unless the `unsafe` flag is "
                f"enabled.\nmodule.{tensor_name}.{attr}: {getattr(Y, attr)}\n"
                f"{value}.{attr}: {getattr(X, attr)}"
            )


def _check_appended(module, tensor_name: str, parametrization) -> None:
    """A parametrization stacked on an already parametrized tensor keeps its dtype and shape,
    and so does its right_inverse where it has one (torch's checks, skipped when unsafe)."""
    Y = getattr(module, tensor_name)
    X = parametrization(Y)
    if not isinstance(X, ad.Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(X).__name__}.")
    value = f"parametrization(module.{tensor_name})"
    _check_like(Y, X, tensor_name, "Registering a parametrization", value)
    if not hasattr(parametrization, "right_inverse"):
        return
    try:
        Z = parametrization.right_inverse(X)
    except NotImplementedError:
        return
    if not isinstance(Z, ad.Tensor):
        raise ValueError(
            f"parametrization.right_inverse must return a tensor. Got: {type(Z).__name__}"
        )
    _check_like(Y, Z, tensor_name, "parametrization.right_inverse", "returned")


def register_parametrization(module, tensor_name: str, parametrization, *, unsafe: bool = False):
    """Parametrize module.<tensor_name> (a parameter, a buffer, or an already parametrized
    tensor) by the module parametrization; returns module. unsafe=True allows a change of
    shape or dtype (the checks are skipped)."""
    if not isinstance(parametrization, Module):
        raise TypeError(
            "register_parametrization: the parametrization must be an nn.Module, got "
            f"{type(parametrization).__name__}. Wrap the function in a Module's forward."
        )
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            _check_appended(module, tensor_name, parametrization)
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
            f"with name '{tensor_name}'"
        )
    return module


def is_parametrized(module, tensor_name: str | None = None) -> bool:
    """Whether module has a parametrization on tensor_name (on any tensor when None)."""
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(module, tensor_name: str, leave_parametrized: bool = True):
    """Make module.<tensor_name> a plain parameter (or buffer) again: its current parametrized
    value (leave_parametrized=True) or the stored original (False, only when it is one tensor).
    The last parametrization removed gives the module its class back."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with ad.no_grad():
                _set(original, getattr(module, tensor_name))
    elif leave_parametrized:
        t = getattr(module, tensor_name)
        original = Parameter(t.detach()) if t.requires_grad else t
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors."
        )
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module) -> type:
    """The module's class before parametrizations were registered (its class if none)."""
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register on to_module the parametrizations of from_module (all, or those of tensor_name),
    sharing the same parametrization modules and original tensors; returns to_module."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        source = from_module.parametrizations[name]
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        if hasattr(source, "original"):
            target.original = source.original
        else:
            for i in range(source.ntensors):
                setattr(target, f"original{i}", getattr(source, f"original{i}"))
    return to_module
