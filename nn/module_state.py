"""A whole Module as data for ad.save (torch.save(model)) and back, with no pickle and no code
run: the state is the module's registries and plain attributes; loading makes the object
with cls.__new__ (its __init__ is not called, as unpickling does not call it) and fills them
in. ad.load decides which classes may be rebuilt (safe_globals)."""

from collections import OrderedDict

import autodiff as ad

_REGISTRIES = ("_parameters", "_buffers", "_modules")
# the hook registries every module has (functions: never saved), by torch's names
HOOKS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_pre_hooks",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)
_KEYS = {"training", "parameters", "buffers", "modules", "non_persistent", "attributes"}


def saved_state(module) -> dict:
    """What ad.save stores for module: data only (tensors, numbers, strings, submodules)."""
    d = module.__dict__
    hooked = [name.strip("_") for name in HOOKS if d.get(name)]
    if hooked:
        raise TypeError(
            f"save: {type(module).__name__} has {' and '.join(hooked)}, which are functions "
            "and are not stored. Remove them (handle.remove()) first, or save state_dict()."
        )
    skip = (*_REGISTRIES, *HOOKS, "_non_persistent", "training")
    return {
        "training": d["training"],
        "parameters": dict(d["_parameters"]),
        "buffers": dict(d["_buffers"]),
        "modules": dict(d["_modules"]),
        "non_persistent": sorted(d["_non_persistent"]),
        "attributes": {k: v for k, v in d.items() if k not in skip},
    }


def rebuild(cls, state, module_class, parameter_class):
    """An instance of cls (a subclass of module_class) with the saved state; a ValueError
    says what is missing or of the wrong kind."""
    if not isinstance(state, dict) or set(state) != _KEYS:
        raise ValueError(f"the state of a {cls.__name__} needs exactly {sorted(_KEYS)}")
    parameters = _registry(state, "parameters", ad.Tensor)
    for tensor in parameters.values():
        if type(tensor) is ad.Tensor:
            # the same saved tensor becomes the same Parameter in every module that holds it,
            # so tied weights stay tied (a Parameter is a Tensor with no extra fields)
            tensor.__class__ = parameter_class
    module = cls.__new__(cls)
    module.__dict__.update(
        training=bool(state["training"]),
        _parameters=parameters,
        _buffers=_registry(state, "buffers", ad.Tensor),
        _modules=_registry(state, "modules", module_class),
        _non_persistent=set(state["non_persistent"]),
        **{registry: OrderedDict() for registry in HOOKS},
    )
    attributes = state["attributes"]
    if not isinstance(attributes, dict) or not all(isinstance(k, str) for k in attributes):
        raise ValueError(f"the attributes of a {cls.__name__} must be a dict of names")
    clash = set(attributes) & set(module.__dict__)
    if clash:
        raise ValueError(f"the attributes of a {cls.__name__} overwrite {sorted(clash)}")
    module.__dict__.update(attributes)  # data only: no setter or descriptor runs
    return module


def _registry(state, key: str, kind) -> OrderedDict:
    values = state[key]
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, kind)) for k, v in values.items()
    ):
        raise ValueError(f"{key} must map names to {kind.__name__} or None")
    return OrderedDict(values)
