"""Optimizer: parameter groups, per-parameter state, zero_grad, state_dict, and the step loop.

Each algorithm implements `_update(p, grad, group, state)` on NumPy arrays, in place on p.numpy():
vectorised per parameter, never per element. `optimizer.state[p]` holds Tensors, as torch's
does (a step count is a 0-d float tensor); `_update` sees their arrays, shared, so an in-place
update shows in the Tensors, and a value it rebinds or adds is wrapped after the call.
"""

import functools
import inspect
import math
import numbers
from collections import OrderedDict, defaultdict

import numpy as np

import autodiff as ad
from autodiff import tracing
from autodiff.autograd.graph import increment_version

from ..module import _HookHandle, zero_grads

_LABELS = {"lr": "learning rate", "eps": "epsilon"}  # torch's words in its messages


# hooks of every optimizer's step (torch.optim.optimizer.register_optimizer_step_pre_hook)
_global_step_pre_hooks, _global_step_post_hooks = OrderedDict(), OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs) runs before every optimizer's step(), before its own pre
    hooks; it may return (args, kwargs) to replace them. Returns a handle with remove()."""
    return _HookHandle(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """hook(optimizer, args, kwargs) runs after every optimizer's step(), after its own."""
    return _HookHandle(_global_step_post_hooks, hook)


def step_hooked(step):
    """An optimizer's step() with the step hooks around it (the global ones, then its own
    register_step_pre_hook's; after it, its own post hooks, then the global ones, in torch's
    order); under tracing.replayed, so that a compiled replay runs them too."""

    @functools.wraps(step)
    def hooked(self, *args, **kwargs):
        args = (self, *args)  # as torch's hooks get them: the optimizer first
        pre = (*_global_step_pre_hooks.values(), *self._step_pre_hooks.values())
        for hook in pre:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), but "
                        f"got {result}."
                    )
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in (*self._step_post_hooks.values(), *_global_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    return hooked


@functools.cache
def _arguments(cls) -> tuple:
    """The names of an optimizer's arguments, in order: torch's order of its defaults."""
    return tuple(inspect.signature(cls.__init__).parameters)


def _position(order: tuple):
    """A sort key: a name's place in order, names not in it after them (in their own order,
    as sorted is stable)."""
    return lambda key: order.index(key) if key in order else len(order)


@tracing.live
class Optimizer:
    """Base class: holds param_groups (dicts of 'params' + hyperparameters) and state. step()
    and zero_grad() work on arrays: ad.compile replays them as calls (tracing.replayed)."""

    defaults_order = ()  # torch's order of the defaults where it differs from the arguments'

    def __init__(self, params, defaults: dict, checked: tuple = (), flags: dict | None = None):
        """defaults: the hyperparameters (a group's own values override them); checked: those
        that must be numbers >= 0 (betas: a pair in [0, 1)), in torch's order of checking, before
        the optimizer's own `_check_options`; flags: torch's implementation switches
        (`torch_flags`), kept in the defaults."""
        op = type(self).__name__
        defaults = dict(defaults)
        for key in checked:
            if key == "betas":
                defaults["betas"] = check_betas(defaults["betas"], op)
            else:
                check_hyper(_LABELS.get(key, key), defaults[key], op)
        self._check_options(defaults)
        if flags is not None:  # one of ours (a user's subclass keeps the order it gives)
            defaults.update(torch_flags(op, **flags))
            order = self.defaults_order or _arguments(type(self))  # torch's, as groups print
            defaults = {key: defaults[key] for key in sorted(defaults, key=_position(order))}
        self.defaults = {key: _scalar(value) for key, value in defaults.items()}
        self.state = defaultdict(dict)  # torch's: state[p] of a parameter not yet stepped is {}
        self.param_groups = []
        self._step_pre_hooks, self._step_post_hooks = OrderedDict(), OrderedDict()
        self._state_dict_pre_hooks, self._state_dict_post_hooks = OrderedDict(), OrderedDict()
        self._load_pre_hooks, self._load_post_hooks = OrderedDict(), OrderedDict()
        if isinstance(params, ad.Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be an "
                "iterable of Tensors or dicts, but got a Tensor. Wrap it in a list."
            )
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{type(self).__name__}: optimizer got an empty parameter list. Pass "
                "model.parameters() of a model that has parameters."
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_options(self, defaults: dict) -> None:
        """An optimizer's checks beyond `checked` (SGD's nesterov, Adadelta's rho <= 1)."""

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest)."""
        op = type(self).__name__
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{op}: optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list "
                "instead."
            )
        params, names = _split_names([params] if isinstance(params, ad.Tensor) else list(params))
        if names is not None:
            group["param_names"] = names
        if self.param_groups and ("param_names" in group) != (
            "param_names" in self.param_groups[0]
        ):
            kind = "with names" if names is not None else "without names"
            raise ValueError(
                f"{op}: all optimizer param groups should be with/without names. cannot add "
                f"param group {kind} to the optimizer (pass named_parameters() to every group, "
                "or parameters() to every group)"
            )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, ad.Tensor):
                raise TypeError(f"{op}: can only optimize Tensors, got {type(p).__name__}")
            if not (p.is_leaf or p.retains_grad):
                raise ValueError(f"{op}: can't optimize a non-leaf Tensor")
            if id(p) in seen:
                raise ValueError(
                    f"{type(self).__name__}: some parameters appear in more than "
                    "one parameter group"
                )
            seen.add(id(p))
        group["params"] = params
        self._check_group(group)
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        """A group's own hyperparameters are checked like the constructor's: finite, lr >= 0."""
        op = type(self).__name__
        for key, value in list(group.items()):
            if key == "params" or key not in self.defaults:
                continue
            value = group[key] = _scalar(value)
            if key == "lr":
                check_hyper("learning rate", value, op)
            elif key == "betas":
                check_betas(value, op)
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                check_number(key, value, op)

    @tracing.replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient (to None by default, as PyTorch 2)."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) runs before each step(); it may return (args,
        kwargs) to replace them. Returns a handle with remove()."""
        return _HookHandle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) runs after each step()."""
        return _HookHandle(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend: bool = False):
        """hook(optimizer) runs at the start of each state_dict()."""
        return _HookHandle(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False):
        """hook(optimizer, state_dict) runs on state_dict()'s result; it may return a dict to
        return instead."""
        return _HookHandle(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False):
        """hook(optimizer, state_dict) runs first in load_state_dict(), on a shallow copy of the
        dict given; it may return a dict to load instead."""
        return _HookHandle(self._load_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False):
        """hook(optimizer) runs once load_state_dict() has loaded."""
        return _HookHandle(self._load_post_hooks, hook, prepend)

    @tracing.replayed
    @step_hooked
    def step(self, closure=None):
        """Update every parameter that has a gradient; closure re-evaluates the loss if given."""
        loss = None
        if closure is not None:
            with ad.enable_grad():
                loss = closure()
        with ad.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.numpy(force=True)
                    if group.get("maximize", False):
                        grad = -grad
                    state = self.state.get(p, {})
                    arrays = {k: _as_array(v) for k, v in state.items()}
                    self._update(p.numpy(force=True), grad, group, arrays)
                    _keep_as_tensors(arrays, state)
                    if state:  # none where the step keeps none (SGD without momentum), as torch
                        self.state[p] = state
                    increment_version(p)  # a graph that saved p before the step must refuse
        return loss

    def _update(self, param: np.ndarray, grad: np.ndarray, group: dict, state: dict) -> None:
        raise NotImplementedError

    # --- state_dict ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """{'state': {index: {name: Tensor}}, 'param_groups': [...]} as torch lays it out (copies),
        through the state-dict hooks."""
        for hook in tuple(self._state_dict_pre_hooks.values()):
            hook(self)
        state_dict = self._packed()
        for hook in tuple(self._state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            state_dict = state_dict if result is None else result
        return state_dict

    def _packed(self) -> dict:
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: _copied(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and per-parameter state saved by state_dict(), through the
        load hooks."""
        state_dict = dict(state_dict)  # a hook may change the copy, never the caller's dict
        for hook in tuple(self._load_pre_hooks.values()):
            result = hook(self, state_dict)
            state_dict = state_dict if result is None else result
        self._unpack(state_dict)
        for hook in tuple(self._load_post_hooks.values()):
            hook(self)

    def _unpack(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}: loaded state dict has {len(groups)} "
                f"parameter groups, the optimizer has {len(self.param_groups)}"
            )
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{type(self).__name__}: loaded state dict contains a parameter group that "
                    f"doesn't match the size of optimizer's group ({len(saved['params'])} vs "
                    f"{len(mine['params'])})"
                )
            self._check_group(dict(saved))  # a saved nan lr is refused before anything changes
        self.state = defaultdict(dict)  # torch's: state[p] of a parameter not yet stepped is {}
        for mine, saved in zip(self.param_groups, groups):
            for key, value in saved.items():
                if key != "params":
                    mine[key] = value
            for p, i in zip(mine["params"], saved["params"]):
                if i in state_dict["state"]:
                    self.state[p] = _cast_state(state_dict["state"][i], p.dtype)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines += [""] * (i > 0) + [f"Parameter Group {i}"]  # torch: a blank line between
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _split_names(params: list) -> tuple:
    """(tensors, names) of named parameters, (name, tensor) pairs as model.named_parameters()
    gives them (names None when none is named); torch keeps the names in the group's
    "param_names"."""
    named = [isinstance(p, tuple) for p in params]
    if not any(named):
        return params, None
    if not all(named):
        raise ValueError(
            "all optimizer params should be with/without names. Some param names are missing"
        )
    return [p for _, p in params], [name for name, _ in params]


def _copied(value):
    """A state entry copied for state_dict: tensors (and arrays) as new tensors, lists of them
    element by element (LBFGS's history), numbers and None as they are."""
    if isinstance(value, ad.Tensor):
        return value.clone()
    if isinstance(value, np.ndarray):
        return ad.tensor(value)
    if isinstance(value, list | tuple):
        return type(value)(_copied(v) for v in value)
    return value


def _cast_state(state: dict, dtype) -> dict:
    """A loaded state as Tensors of our own: arrays in the parameter's dtype; scalars (a step
    count saved as an int, a float or a tensor of either) as 0-d tensors of the scalar dtype;
    lists element by element; other plain numbers (LBFGS's counters) as they are."""
    out = {}
    for key, value in state.items():
        if value is None:  # torch's SGD once kept momentum_buffer=None
            out[key] = None
            continue
        if isinstance(value, list | tuple):
            out[key] = [_cast_state({key: v}, dtype)[key] for v in value]
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) and key != "step":
            out[key] = value
            continue
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            raise TypeError(
                f"load_state_dict: state entry {key!r} is not numeric (dtype {arr.dtype})."
            )
        if key == "step" and arr.size == 1:
            arr = arr.reshape(())  # files saved before the count was 0-d held shape (1,)
        kind = dtype if arr.ndim else scalar_dtype()
        out[key] = ad.from_numpy(np.array(arr, dtype=kind))
    return out


def torch_flags(op: str, **flags) -> dict:
    """torch's implementation switches (foreach, capturable, fused): one NumPy path computes the
    same update, so they are kept in the defaults (as torch's state_dict has them) and change
    nothing. differentiable=True would put the update in the graph: refused."""
    if flags.get("differentiable"):
        raise ValueError(
            f"{op}: differentiable=True is not supported: the update runs outside the graph. "
            "Use differentiable=False."
        )
    return flags


def _scalar(value):
    """A one-element Tensor hyperparameter (torch accepts lr=torch.tensor(0.1)) as a float."""
    if isinstance(value, ad.Tensor) and value.numel() == 1:
        return float(value.item())
    return value


def check_number(name: str, value, op: str) -> float:
    """A hyperparameter as a finite float; a str, None or nan/inf is refused naming op and value."""
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{op}: {name} must be a real number, got {type(value).__name__} {value!r}. "
            "Pass a float, e.g. lr=0.1."
        )
    if not math.isfinite(value):
        raise ValueError(f"{op}: Invalid {name} value: {value}. It must be a finite number.")
    return value


def check_hyper(name: str, value, op: str) -> None:
    """Raise a TypeError for a non-number, a ValueError for a non-finite or negative value."""
    if check_number(name, value, op) < 0:
        raise ValueError(f"{op}: Invalid {name} value: {value}. It must be >= 0.")


def check_betas(betas, op: str) -> tuple:
    """Each beta in [0, 1), as torch requires; the pair as a tuple."""
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise ValueError(f"{op}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        check_number(f"beta parameter at index {i}", beta, op)
        if not 0.0 <= beta < 1.0:
            raise ValueError(
                f"{op}: Invalid beta parameter at index {i}: {beta}. Use 0 <= beta < 1."
            )
    return tuple(betas)


def _as_array(value):
    """A state entry as _update sees it: a Tensor's array (shared); a plain number (SparseAdam's
    step count, an int as torch keeps it) or None as it is."""
    return value.numpy(force=True) if isinstance(value, ad.Tensor) else value


def _keep_as_tensors(arrays: dict, state: dict) -> None:
    """Wrap each array _update added or rebound (an in-place update is already seen); a plain
    int (SparseAdam's step count) is kept as it is."""
    for key, array in arrays.items():
        if type(array) is int:  # not a NumPy scalar, which is wrapped below
            state[key] = array
        elif array is not None and (
            not isinstance(state.get(key), ad.Tensor) or state[key].numpy(force=True) is not array
        ):
            state[key] = ad.from_numpy(np.asarray(array))


def scalar_dtype():
    """torch keeps scalar state (the step count, NAdam's mu_product) in float32, float64 when
    that is the default dtype."""
    return np.float64 if ad.get_default_dtype() == np.float64 else np.float32


def start_step(state: dict) -> None:
    """A step count of 0 as torch stores it: a 0-d float array (a float tensor in state)."""
    state["step"] = np.zeros((), scalar_dtype())


def count_step(state: dict) -> float:
    """Add one to the step count, in place; the count as a float (torch's step.item())."""
    state["step"] += 1
    return float(state["step"])
