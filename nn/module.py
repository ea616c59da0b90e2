"""Parameter, Module (registration by assignment, dotted names, state_dict), Sequential, ModuleList."""

from collections import OrderedDict

import numpy as np

import autodiff as ad
from autodiff import tracing
from autodiff.device import check as check_device
from autodiff.device import to_dtype_arg

from .module_state import rebuild, saved_state


def factory_dtype(device, dtype, op: str):
    """The dtype a layer makes its parameters and buffers in, from torch's factory arguments
    (device=, dtype=): the device must be one autodiff has (the CPU: 'cuda' is refused, never
    ignored), and dtype None is the default dtype."""
    try:
        check_device(device)
    except RuntimeError as error:
        raise RuntimeError(f"{op}: {error}") from None
    return dtype or ad.get_default_dtype()


class Parameter(ad.Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=ad.get_default_dtype())
        array = data.numpy() if isinstance(data, ad.Tensor) else np.asarray(data)
        if array.dtype.kind not in "fc":
            array = array.astype(ad.get_default_dtype())
        # Shares memory with the wrapped tensor, as torch.nn.Parameter does.
        super().__init__(array, dtype=array.dtype)
        self.data = array
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(ad.Tensor):
    """A Tensor that a Module registers as a buffer when assigned as an attribute (torch 2.5's
    nn.Buffer): `self.mask = nn.Buffer(t)` is `self.register_buffer("mask", t)`. It shares
    memory with the wrapped tensor and keeps its requires_grad, as torch's does."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            data = ad.empty(0)
        if not isinstance(data, ad.Tensor):
            raise TypeError(
                f"Buffer: expected a Tensor, got {type(data).__name__}. Wrap the values first: "
                "nn.Buffer(torch.tensor(values))."
            )
        array = data.numpy()  # shares memory with data, as torch's detach()
        super().__init__(array, dtype=array.dtype)
        self.data = array
        self.requires_grad_(data.requires_grad)
        self.persistent = persistent


class Module:
    """Base class of all layers: assign Parameters and Modules as attributes to register them."""

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # --- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign attributes before Module.__init__() call. "
                "Call super().__init__() first in your __init__."
            )
        if isinstance(value, Parameter):
            self._forget(name, keep=self._parameters)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif name in self._parameters:
            _expect(value, Parameter, "parameter", name)
            self._parameters[name] = value
        elif name in self._modules:
            _expect(value, Module, "child module", name)
            self._modules[name] = value
        elif isinstance(value, Buffer):
            if name in self.__dict__:
                raise KeyError(f"attribute '{name}' already exists")
            self.register_buffer(name, value, value.persistent)
        elif name in self._buffers:
            _expect(value, ad.Tensor, "buffer", name)
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep) -> None:
        """Remove name from every registry but keep, and from the plain attributes."""
        self.__dict__.pop(name, None)
        for store in (self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)

    def __getattr__(self, name: str):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param) -> None:
        """Register a Parameter (or None) under name."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: cannot assign {type(param).__name__} as parameter "
                f"'{name}'. Wrap it in nn.Parameter(...)."
            )
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a non-learnable tensor (e.g. running statistics) saved in the state_dict."""
        self.__dict__.pop(name, None)
        self._buffers[name] = None if tensor is None else _as_tensor(tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module) -> None:
        """Register a submodule under name."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    register_module = add_module

    # --- forward ----------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__}: forward is not implemented. Define forward(self, ...)."
        )

    def __call__(self, *args, **kwargs):
        for hook in self._forward_pre_hooks.values():
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in self._forward_hooks.values():
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook):
        """hook(module, inputs, output) runs after forward; may return a replacement output."""
        return _HookHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook):
        """hook(module, inputs) runs before forward; may return replacement inputs."""
        return _HookHandle(self._forward_pre_hooks, hook)

    # --- traversal --------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = ""):
        """(dotted name, module) for this module and every descendant, each once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            yield name, module
            children = [
                (f"{name}.{k}" if name else k, m)
                for k, m in module._modules.items()
                if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """(dotted name, Parameter) pairs as PyTorch names them, e.g. '0.weight'."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def compile_key(self) -> tuple:
        """What a compiled step that captured this model depends on (ad.compile's guard, run
        on every call): every parameter's identity and every module's train/eval mode."""
        ids, modes, seen, stack = [], [], set(), [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            modes.append(module.training)
            ids += [id(p) for p in module._parameters.values() if p is not None]
            stack += [m for m in module._modules.values() if m is not None]
        return tuple(ids), tuple(modes)

    # --- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (dropout active, batch statistics) on this module and descendants."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be boolean, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Set evaluation mode (dropout off, running statistics)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @tracing.replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None, as PyTorch 2 does)."""
        zero_grads(self.parameters(), set_to_none)

    def to(self, *args, **kwargs) -> "Module":
        """to(dtype), to(device), to(device, dtype), to(tensor): floating parameters and buffers
        change dtype in place (the same Parameter objects), as torch's Module.to."""
        dtype = to_dtype_arg(args, kwargs, ad.Tensor)
        if dtype is not None:
            self._cast(ad.zeros(0, dtype=dtype).dtype)
        return self

    def _cast(self, dtype) -> None:
        if dtype.kind != "f":
            raise TypeError(f"to: nn.Module.to only accepts floating point dtypes, got {dtype}")
        for t in [*self.parameters(), *self.buffers()]:
            if t.dtype.kind == "f" and t.dtype != dtype:
                t.data = t.detach().to(dtype)
                if t.grad is not None:
                    t.grad = t.grad.to(dtype)

    def float(self) -> "Module":
        return self.to(ad.float32)

    def double(self) -> "Module":
        return self.to(ad.float64)

    def half(self) -> "Module":
        return self.to(ad.float16)

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        ad.device("cuda")

    def apply(self, fn) -> "Module":
        """Call fn(module) on every submodule (children first) and on self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- state --------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, as NumPy arrays."""
        out = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays into parameters and buffers, all or nothing: every entry is checked
        (keys, shapes, dtypes) before the first is copied, so a failed load changes nothing."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, ready = [], []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = np.asarray(state_dict[key])
            if value.shape != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.shape)}."
                )
            elif value.dtype.kind not in "biuf":
                errors.append(
                    f"dtype mismatch for {key}: the checkpoint holds {value.dtype}, the model "
                    f"{target.dtype}; only numbers can be loaded."
                )
            else:
                ready.append((target, value.astype(target.dtype, copy=False)))
        if strict and unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)))
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with ad.no_grad():
            for target, value in ready:
                target.copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    def __saved_state__(self) -> dict:
        """What torch.save(model) (ad.save) stores: data only, no pickle (nn/module_state.py)."""
        return saved_state(self)

    @classmethod
    def __from_saved_state__(cls, state) -> "Module":
        """The module ad.load rebuilds from __saved_state__'s data (when the class is allowed)."""
        return rebuild(cls, state, Module, Parameter)

    # --- repr ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = [line for line in self.extra_repr().split("\n") if line]
        children = []
        for name, module in self._modules.items():
            children.append(f"({name}): " + repr(module).replace("\n", "\n  "))
        if len(extra) == 1 and not children:
            return f"{type(self).__name__}({extra[0]})"
        if not extra and not children:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"

    def __dir__(self):
        keys = list(super().__dir__())
        return keys + list(self._parameters) + list(self._buffers) + list(self._modules)


class _IncompatibleKeys(tuple):
    """(missing_keys, unexpected_keys) as torch returns from load_state_dict."""

    def __new__(cls, missing, unexpected):
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self):
        return self[0]

    @property
    def unexpected_keys(self):
        return self[1]


class _HookHandle:
    """Returned by register_*_hook; .remove() unregisters the hook."""

    _next_id = 0

    def __init__(self, store, hook):
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self._store = store
        store[self.id] = hook

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def zero_grads(params, set_to_none: bool = True) -> None:
    """Set each parameter's gradient to None, or fill it with zeros in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.zero_()


def _expect(value, cls, what: str, name: str) -> None:
    if value is not None and not isinstance(value, cls):
        raise TypeError(
            f"cannot assign '{type(value).__name__}' as {what} '{name}' "
            f"({cls.__name__} or None expected). Delete the attribute first to rebind it."
        )


def _as_tensor(value) -> ad.Tensor:
    return value if isinstance(value, ad.Tensor) else ad.from_numpy(np.asarray(value))
