"""Parameter, Module (registration by assignment, dotted names, state_dict), Sequential, ModuleList."""

import inspect
import warnings
from collections import OrderedDict

import numpy as np

import autodiff as ad
from autodiff import tracing
from autodiff.device import META, to_args
from autodiff.device import check as check_device
from autodiff.dtypes import is_float
from autodiff.meta import NO_DATA
from autodiff.torchfile import register_parameter_class

from . import backward_hooks
from .module_state import HOOKS, rebuild, saved_state


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
        if isinstance(data, ad.Tensor) and data.is_meta:  # no values: take its data-less array
            super().__init__(np.empty(0, data.dtype), dtype=data.dtype)
            self.data = data
            self.requires_grad_(requires_grad)
            return
        array = data.numpy(force=True) if isinstance(data, ad.Tensor) else np.asarray(data)
        if not (is_float(array.dtype) or array.dtype.kind == "c"):  # bfloat16 is kind "V"
            array = array.astype(ad.get_default_dtype())
        # Shares memory with the wrapped tensor, as torch.nn.Parameter does.
        super().__init__(array, dtype=array.dtype)
        self.data = array
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


register_parameter_class(Parameter)  # torch checkpoints' Parameters come back as Parameters


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
        array = data.numpy(force=True)  # shares memory with data, as torch's detach()
        super().__init__(array, dtype=array.dtype)
        self.data = array
        self.requires_grad_(data.requires_grad)
        self.persistent = persistent


for _cls in (Parameter, Buffer):  # sent to other processes on shared memory, as torch's
    ad.multiprocessing.register(_cls)


class Module:
    """Base class of all layers: assign Parameters and Modules as attributes to register them."""

    _is_full_backward_hook = None  # which kind of backward hooks it has (torch's flag)
    _version = 1  # the layout of its state dict, in the dict's _metadata (torch's)

    def __new__(cls, *args, **kwargs):
        """A layer made with device='meta' (torch's factory argument) keeps its parameters and
        buffers on the meta device: noted here, as the layer's __init__ only checks it."""
        module = super().__new__(cls)
        if _asks_meta(cls, args, kwargs):
            object.__setattr__(module, "_factory_meta", True)
        return module

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        for registry in HOOKS:
            object.__setattr__(self, registry, OrderedDict())

    # --- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign attributes before Module.__init__() call. "
                "Call super().__init__() first in your __init__."
            )
        if isinstance(value, Parameter):
            self._forget(name, keep=self._parameters)
            self._parameters[name] = self._placed(value)
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

    def _placed(self, t):
        """t, moved to the meta device (the same object) in a layer made with device='meta'."""
        if t is not None and "_factory_meta" in self.__dict__ and not t.is_meta:
            t.data = ad.empty(t.shape, dtype=t.dtype, device=META)
        return t

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
        self._parameters[name] = self._placed(param)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a non-learnable tensor (e.g. running statistics) saved in the state_dict."""
        self.__dict__.pop(name, None)
        self._buffers[name] = None if tensor is None else self._placed(_as_tensor(tensor))
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
            args, kwargs = _pre_hooked(hook, self, args, kwargs)
        full = self._backward_pre_hooks or (self._backward_hooks and self._is_full_backward_hook)
        if full:
            args, call = backward_hooks.hooked_inputs(self, args)
        out, started = None, 0  # started: how many forward hooks have been called
        try:
            out = self.forward(*args, **kwargs)
            for hook in self._forward_hooks.values():
                started += 1
                out = _hooked(hook, self, args, kwargs, out)
        except Exception:
            _always_called(self, started, args, kwargs, out)
            raise
        if full:
            return backward_hooks.hooked_output(self, out, call)
        if self._backward_hooks:  # register_backward_hook's: on the output's node
            backward_hooks.hook_output_node(self, args, out)
        return out

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call=False
    ):
        """hook(module, inputs, output), or hook(module, inputs, kwargs, output) with_kwargs,
        runs after forward (always_call: also when forward raised); may return a replacement
        output."""
        if with_kwargs or always_call:
            hook = _FlaggedHook(hook, with_kwargs, always_call)
        return _HookHandle(self._forward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs=False):
        """hook(module, inputs) runs before forward; may return replacement inputs (with_kwargs:
        hook(module, inputs, kwargs) may return (inputs, kwargs))."""
        if with_kwargs:
            hook = _FlaggedHook(hook, with_kwargs, False)
        return _HookHandle(self._forward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """hook(module, grad_input, grad_output) runs once the gradients with respect to this
        call's positional inputs are known; may return replacements (nn/backward_hooks.py)."""
        self._backward_hooks_kind(full=True)
        return _HookHandle(self._backward_hooks, hook, prepend)

    def register_backward_hook(self, hook):
        """torch's deprecated backward hook: hook(module, grad_input, grad_output) on the node
        that made the output, whose grad_input are the gradients of that node's inputs (not
        always the module's: torch warns when they differ, as here)."""
        self._backward_hooks_kind(full=False)
        return _HookHandle(self._backward_hooks, hook)

    def _backward_hooks_kind(self, full: bool) -> None:
        if self._is_full_backward_hook is (not full) and self._backward_hooks:
            raise RuntimeError(
                "Cannot use both regular backward hooks and full backward hooks on a single "
                "Module. Please use only one of them."
            )
        object.__setattr__(self, "_is_full_backward_hook", full)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """hook(module, grad_output) runs when the gradient with respect to the output
        arrives; may return a replacement."""
        return _HookHandle(self._backward_pre_hooks, hook, prepend)

    # --- traversal --------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) for this module and every descendant, each once (or under
        every name it has, remove_duplicate=False)."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in memo and remove_duplicate:
                continue
            memo.add(id(module))
            yield name, module
            children = [
                (f"{name}.{k}" if name else k, m)
                for k, m in module._modules.items()
                if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate: bool = True):
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def get_submodule(self, target: str) -> "Module":
        """The submodule at a dotted path ('' is this module), as torch's."""
        module = self
        for item in target.split(".") if target else ():
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put module at a dotted path (its parent must exist; strict: the name too)."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> "Parameter":
        """The parameter at a dotted path ('0.weight'), as torch's."""
        module, name = self._owner(target)
        if not isinstance(getattr(module, name), Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return getattr(module, name)

    def get_buffer(self, target: str):
        """The buffer at a dotted path ('bn.running_mean'), as torch's."""
        module, name = self._owner(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return getattr(module, name)

    def _owner(self, target: str) -> tuple:
        """(the module, the attribute name) a dotted path to a member names."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate=True):
        seen = set()
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        for mod_name, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or (id(value) in seen and remove_duplicate):
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """(dotted name, Parameter) pairs as PyTorch names them, e.g. '0.weight'; a shared
        parameter under each of its names with remove_duplicate=False."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

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

    def _torch_compiled(self, compiled) -> "OptimizedModule":
        """What ad.compile(module) returns (autodiff cannot import nn, so it asks the module):
        torch's OptimizedModule around this module, compiled its call."""
        return OptimizedModule(self, compiled)

    def compile(self, *args, **kwargs) -> None:
        """torch's Module.compile: from now on this module's forward runs through ad.compile
        (torch.compile's arguments), in place: its parameters, state_dict keys and hooks
        stay as they are."""
        object.__setattr__(self, "forward", ad.compile(self.forward, *args, **kwargs))

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
        change dtype in place (the same Parameter objects), as torch's Module.to; to('meta')
        drops their data (shape and dtype stay), and leaving meta takes to_empty()."""
        dtype, target, memory_format = to_args(args, kwargs, ad.Tensor)
        if dtype is not None:
            self._cast(ad.zeros(0, dtype=dtype).dtype)
        if target is not None:
            self._move(target)
        if memory_format is not None:
            self._lay_out(memory_format)
        return self

    def _move(self, target) -> None:
        """Parameters and buffers to or from the meta device (only meta differs from the CPU)."""

        def moved(t):
            if target != META:
                raise NotImplementedError(
                    f"{NO_DATA} Please use torch.nn.Module.to_empty() instead of "
                    "torch.nn.Module.to() when moving module from meta to a different device."
                )
            return t.detach().to(target)

        self._replace(moved, lambda t: (target == META) != t.is_meta, recurse=True)

    def to_empty(self, *, device, recurse: bool = True) -> "Module":
        """torch's: every parameter and buffer gets new storage on device, its values unset
        (zeros here; torch's are uninitialised): how a meta model becomes a real one."""
        self._replace(lambda t: ad.empty(t.shape, dtype=t.dtype, device=device), None, recurse)
        return self

    def _replace(self, fn, which, recurse: bool) -> None:
        """Each parameter and buffer t (where which(t)) replaced by fn(t): new objects, a
        Parameter by a Parameter (its grad by fn(grad)), as torch's _apply does for a change
        of device."""
        for module in self.modules() if recurse else [self]:
            for store in (module._parameters, module._buffers):
                for name, t in store.items():
                    if t is None or (which is not None and not which(t)):
                        continue
                    new = fn(t)
                    if isinstance(t, Parameter):
                        new = Parameter(new, t.requires_grad)
                        new.grad = None if t.grad is None else fn(t.grad)
                    store[name] = new

    def _lay_out(self, memory_format) -> None:
        """to(memory_format=...): the 4-d and 5-d parameters and buffers (a convolution's
        weights) copied into that order in memory, in place (the same objects), as torch."""
        for t in [*self.parameters(), *self.buffers()]:
            if t.dim() in (4, 5):
                t.data = t.detach().to(memory_format=memory_format)

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

    def share_memory(self) -> "Module":
        """Move every parameter, buffer and existing gradient into shared memory, so that the
        processes this module is sent to train the same values (Hogwild; torch.multiprocessing)."""
        for t in [*self.parameters(), *self.buffers()]:
            t.share_memory_()
            if t.grad is not None:
                t.grad.share_memory_()
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
        """Parameters and persistent buffers by dotted name (detached tensors), through the
        state-dict hooks; the dict's _metadata holds each module's _version, as torch's."""
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        for hook in tuple(self._state_dict_pre_hooks.values()):
            hook(self, prefix, keep_vars)
        metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = metadata
        destination.update(self._local_state(prefix, keep_vars))
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        for hook, public in tuple(self._state_dict_hooks.values()):
            result = hook(self, destination, prefix, metadata)
            if result is not None:
                if public:
                    raise RuntimeError("state_dict post-hook must return None")
                destination = result  # torch's private hooks: the root's result is returned
        return destination

    def _local_state(self, prefix: str, keep_vars: bool):
        """(key, tensor) for this module's own parameters, then its persistent buffers."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                yield prefix + name, b if keep_vars else b.detach()

    def register_state_dict_pre_hook(self, hook):
        """hook(module, prefix, keep_vars) runs when state_dict() reaches this module."""
        return _HookHandle(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) runs once this module's entries and
        its children's are in state_dict; it may change the dict in place (and returns None)."""
        return _HookHandle(self._state_dict_hooks, (hook, True))

    def _register_state_dict_hook(self, hook):
        """torch's private form: the hook may return a new dict (used where it is the root's)."""
        return _HookHandle(self._state_dict_hooks, (hook, False))

    def register_load_state_dict_pre_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) runs before loading: it may rename or convert entries of
        the state dict (a copy of the caller's) and add to the three lists."""
        return _HookHandle(self._load_state_dict_pre_hooks, (hook, True))

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """torch's private form: the hook takes the module first only with_module."""
        return _HookHandle(self._load_state_dict_pre_hooks, (hook, with_module))

    def register_load_state_dict_post_hook(self, hook):
        """hook(module, incompatible_keys) runs once the state dict is loaded (children's hooks
        first); it may empty incompatible_keys' lists in place, which strict then accepts."""
        return _HookHandle(self._load_state_dict_post_hooks, hook)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy arrays into parameters and buffers, all or nothing: every entry is checked
        (keys, shapes, dtypes) before the first is copied, so a failed load changes nothing
        (with load post-hooks, which run on the loaded module, strict's check of the missing
        and unexpected keys comes after them, as torch's). assign=True takes the checkpoint's
        arrays themselves (their dtype; a parameter keeps its requires_grad), as torch's."""
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # the hooks change this copy, not the caller's
        missing, unexpected, errors = [], [], []
        for prefix, module in self._prefixed_modules():
            local = {} if metadata is None else metadata.get(prefix[:-1], {})
            for hook, with_module in tuple(module._load_state_dict_pre_hooks.values()):
                args = (state_dict, prefix, local, strict, missing, unexpected, errors)
                hook(module, *args) if with_module else hook(*args)
        own = OrderedDict(
            entry for prefix, module in self._prefixed_modules()
            for entry in module._local_state(prefix, keep_vars=True)
        )  # fmt: skip
        missing += [k for k in own if k not in state_dict]
        unexpected += [k for k in state_dict if k not in own]
        ready = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]  # a Parameter too (keep_vars=True): read as torch's copy_
            value = value.numpy(force=True) if isinstance(value, ad.Tensor) else np.asarray(value)
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
                ready.append((key, target, value if assign else value.astype(target.dtype)))
        post = [m for m in self._children_first() if m._load_state_dict_post_hooks]
        # with post hooks, strict's missing and unexpected keys wait for them
        self._refuse_load(errors, [] if post else missing, [] if post else unexpected, strict)
        with ad.no_grad():
            for key, target, value in ready:
                if assign:
                    module, name = self._owner(key)
                    if isinstance(target, Parameter):
                        setattr(module, name, Parameter(value, target.requires_grad))
                    else:
                        module._buffers[name] = ad.from_numpy(value)
                else:
                    target.copy_(value)
        keys = _IncompatibleKeys(missing, unexpected)
        for module in post:
            for hook in tuple(module._load_state_dict_post_hooks.values()):
                if hook(module, keys) is not None:
                    raise RuntimeError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                        "expected to return new values; change incompatible_keys in place."
                    )
        if post:
            self._refuse_load([], keys.missing_keys, keys.unexpected_keys, strict)
        return keys

    def _prefixed_modules(self):
        """(prefix of its state-dict keys, module) for self and every descendant, parents
        first, under every name a shared module has (torch's recursive order)."""
        for name, module in self.named_modules(remove_duplicate=False):
            yield (name + "." if name else ""), module

    def _children_first(self):
        """Every descendant and then self, each module after its children (torch's recursive
        load runs the post hooks in this order)."""
        for child in self._modules.values():
            if child is not None:
                yield from child._children_first()
        yield self

    def _refuse_load(self, errors, missing, unexpected, strict) -> None:
        """torch's RuntimeError: strict's missing and unexpected keys first, then the errors."""
        errors = list(errors)
        if strict and unexpected:
            errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
        if strict and missing:
            errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )

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


class OptimizedModule(Module):
    """What torch.compile(module) returns (torch._dynamo's OptimizedModule): the module as its
    one child `_orig_mod` (so state_dict and named_parameters keys start with `_orig_mod.`, as
    torch's: nanoGPT strips that prefix when it resumes), `forward` the compiled call of the
    module; every other attribute is read from and written to the module itself."""

    _own = ("_orig_mod", "forward")  # set on the wrapper, as torch's _opt_mod_attributes

    def __init__(self, mod: Module, compiled):
        super().__init__()
        self._modules["_orig_mod"] = mod
        object.__setattr__(self, "forward", compiled)  # an ad.compile Compiled of mod

    @property
    def training(self) -> bool:  # the module's own mode, as torch's wrapper reads it
        return self._orig_mod.training

    @training.setter
    def training(self, mode: bool) -> None:
        if "_orig_mod" in self.__dict__.get("_modules", ()):  # not yet in Module.__init__
            self._orig_mod.training = mode

    def __reduce__(self):
        """Copied or pickled as torch's: the module, compiled again (a program is not kept)."""
        return ad.compile, (self._orig_mod,)

    def __len__(self) -> int:
        if not hasattr(type(self._orig_mod), "__len__"):
            raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")
        return len(self._orig_mod)

    def __getattr__(self, name: str):
        modules = self.__dict__.get("_modules")
        if modules is None or "_orig_mod" not in modules:  # while copying or unpickling
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        if name == "_orig_mod":
            return modules["_orig_mod"]
        return getattr(modules["_orig_mod"], name)

    def __setattr__(self, name: str, value) -> None:
        if name in self._own or hasattr(type(self), name):
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._own or hasattr(type(self), name):
            super().__delattr__(name)
        else:
            delattr(self._orig_mod, name)


def _quoted(keys) -> str:
    return ", ".join(f'"{k}"' for k in keys)


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

    def __repr__(self) -> str:  # torch's: print(model.load_state_dict(...)) in its tutorials
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, "
            f"unexpected_keys={self.unexpected_keys!r})"
        )

    __str__ = __repr__


class _FlaggedHook:
    """A forward hook registered with with_kwargs or always_call: the registry keeps it wrapped
    so that its options travel with it (and go with handle.remove())."""

    __slots__ = ("fn", "with_kwargs", "always_call")

    def __init__(self, fn, with_kwargs: bool, always_call: bool):
        self.fn, self.with_kwargs, self.always_call = fn, with_kwargs, always_call


def _pre_hooked(hook, module, args: tuple, kwargs: dict) -> tuple:
    """(args, kwargs) after one forward pre-hook, as torch reads what it returns."""
    if type(hook) is _FlaggedHook:
        result = hook.fn(module, args, kwargs)
        if result is None:
            return args, kwargs
        if not (isinstance(result, tuple) and len(result) == 2):
            raise RuntimeError(
                "forward pre-hook must return None or a tuple of (new_args, new_kwargs), but "
                f"got {result}."
            )
        return result
    result = hook(module, args)
    if result is None:
        return args, kwargs
    return (result if isinstance(result, tuple) else (result,)), kwargs


def _always_called(module, started: int, args: tuple, kwargs: dict, out) -> None:
    """After forward (or a hook) raised: the hooks registered with always_call=True that were
    not called yet, as torch runs them; an error of theirs is a warning, the first goes on."""
    for hook in list(module._forward_hooks.values())[started:]:
        if not getattr(hook, "always_call", False):
            continue
        try:
            out = _hooked(hook, module, args, kwargs, out)
        except Exception as error:
            warnings.warn(
                "module forward hook with ``always_call=True`` raised an exception that was "
                f"silenced as another error was raised in forward: {error}",
                stacklevel=3,
            )


def _hooked(hook, module, args: tuple, kwargs: dict, out):
    """The output after one forward hook."""
    if type(hook) is _FlaggedHook:
        result = (
            hook.fn(module, args, kwargs, out) if hook.with_kwargs else hook.fn(module, args, out)
        )
    else:
        result = hook(module, args, out)
    return out if result is None else result


class _HookHandle:
    """Returned by register_*_hook; .remove() unregisters the hook."""

    _next_id = 0

    def __init__(self, store, hook, prepend: bool = False):
        _HookHandle._next_id += 1
        self.id = _HookHandle._next_id
        self._store = store
        store[self.id] = hook
        if prepend:  # runs before the hooks already registered
            store.move_to_end(self.id, last=False)

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _asks_meta(cls, args, kwargs) -> bool:
    """Whether a module's constructor arguments name the meta device (device=, or its
    positional place in cls.__init__'s signature)."""
    named = [kwargs.get("device")]
    if any(_is_meta_device(a) for a in args):
        try:
            named.append(
                inspect.signature(cls.__init__).bind(None, *args, **kwargs).arguments.get("device")
            )
        except TypeError:  # __init__ itself will say what is wrong
            pass
    return any(_is_meta_device(d) for d in named)


def _is_meta_device(value) -> bool:
    return (isinstance(value, str) and value == "meta") or (
        isinstance(value, ad.device) and value.type == "meta"
    )


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
