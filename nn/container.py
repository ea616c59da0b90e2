"""Containers: Sequential (a pipeline of modules), ModuleList, ModuleDict, ParameterList and
ParameterDict (registered lists and dicts, named as torch names them in the state_dict)."""

from collections import OrderedDict
from collections.abc import Mapping

import autodiff as ad

from .module import Module, Parameter


def _index(i: int, n: int, what: str) -> int:
    if not -n <= i < n:
        raise IndexError(f"{what}: index {i} is out of range for {n} modules")
    return i % n


class Sequential(Module):
    """Modules applied one after another; children are named '0', '1', ... (or by an OrderedDict)."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)
        for key in (
            keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), "Sequential")]]
        ):
            del self._modules[key]

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (named '0', '1', ...)."""

    def __init__(self, modules=None):
        super().__init__()
        for module in modules or ():
            self.append(module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(values[idx])
        return values[_index(idx, len(values), "ModuleList")]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self


def _pairs(items, what: str):
    """(key, value) pairs of a mapping or of an iterable of pairs, as torch's update() takes."""
    if isinstance(items, Mapping | ModuleDict | ParameterDict):
        return list(items.items())
    pairs = []
    for i, pair in enumerate(items):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(
                f"{what}.update: element #{i} should be a (key, value) pair, got {pair!r}"
            )
        pairs.append(tuple(pair))
    return pairs


class ModuleDict(Module):
    """A dict of modules whose parameters are registered (named by their keys, in order)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}; keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        """Add (key, module) pairs from a mapping or an iterable of pairs."""
        for key, module in _pairs(modules, "ModuleDict"):
            self.add_module(key, module)


def _as_parameter(value, what: str):
    """Tensors become Parameters (as torch's ParameterList does); other values are refused."""
    if value is None or isinstance(value, Parameter):
        return value
    if isinstance(value, ad.Tensor):
        return Parameter(value)
    raise TypeError(
        f"{what}: cannot hold a {type(value).__name__}; give nn.Parameter or Tensor values"
    )


class ParameterList(Module):
    """A list of Parameters, registered as '0', '1', ... (plain tensors become Parameters)."""

    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx):
        values = list(self._parameters.values())
        if isinstance(idx, slice):
            return ParameterList(values[idx])
        return values[_index(idx, len(values), "ParameterList")]

    def __setitem__(self, idx: int, value) -> None:
        i = _index(idx, len(self), "ParameterList")
        self.register_parameter(str(i), _as_parameter(value, "ParameterList"))

    def append(self, value) -> "ParameterList":
        self.register_parameter(str(len(self)), _as_parameter(value, "ParameterList"))
        return self

    def extend(self, values) -> "ParameterList":
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(
            f"({i}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
            for i, p in enumerate(self)
        )


class ParameterDict(Module):
    """A dict of Parameters registered under their keys (plain tensors become Parameters)."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if key not in self._parameters:
            raise KeyError(
                f"ParameterDict: no parameter named {key!r}; keys are {list(self._parameters)}"
            )
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value, "ParameterDict"))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def update(self, parameters) -> None:
        """Add (key, parameter) pairs from a mapping or an iterable of pairs."""
        for key, value in _pairs(parameters, "ParameterDict"):
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(
            f"({k}): Parameter containing: [{p.type()} of size {'x'.join(map(str, p.shape))}]"
            for k, p in self.items()
        )
