"""torch.func's names that need modules: functional_call (a module called with other tensors
in place of its parameters and buffers, which are put back afterwards), stack_module_state and
replace_all_batch_norm_modules_.
The transforms themselves are the engine's (autodiff.func)."""

from collections.abc import Sequence

from autodiff import Tensor, stack

from .module import Module
from .normalization import _BatchNorm

__all__ = ["functional_call", "replace_all_batch_norm_modules_", "stack_module_state"]

_MISSING = object()  # a name the module did not have before the call


def functional_call(
    module,
    parameter_and_buffer_dicts,
    args=None,
    kwargs=None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
):
    """module(*args, **kwargs) with the tensors of the dict (or tuple of dicts), by dotted
    name, in place of its parameters and buffers; the module's own are put back afterwards,
    also when the call raises. With tie_weights, a tensor given for one of several tied names
    (one Parameter under two names) is used for all of them; with strict, every parameter and
    buffer must be given and no other name."""
    tensors = _merged(parameter_and_buffer_dicts)
    given = _untied(module, tensors) if tie_weights else tensors
    if strict:
        _check_keys(module, given)
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    originals = _swap(module, given)
    try:
        return module(*args, **({} if kwargs is None else kwargs))
    finally:
        after = _swap(module, originals)
        # as torch: a tensor the module replaced during the call (a buffer it reassigned)
        # comes back in the caller's dict
        tensors.update({name: after[name] for name in tensors if name in after})


def _merged(dicts) -> dict:
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, Sequence) or isinstance(dicts, str):
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but "
            f"got {type(dicts)}"
        )
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    counts = {}
    for d in dicts:
        for name in d:
            counts[name] = counts.get(name, 0) + 1
    repeated = [name for name, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(
            f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
            "ambiguous"
        )
    return {name: t for d in dicts for name, t in d.items()}


def _all_named_tensors(module):
    """(dotted name, tensor) for every parameter and buffer under every name it has."""
    yield from module.named_parameters(remove_duplicate=False)
    yield from module.named_buffers(remove_duplicate=False)


def _untied(module, tensors: dict) -> dict:
    """tensors with each given tensor also under the other names of the tensor it replaces."""
    names_of = {}
    for name, t in _all_named_tensors(module):
        names_of.setdefault(id(t), set()).add(name)
    tied = {name: names for names in names_of.values() if len(names) > 1 for name in names}
    untied = dict(tensors)
    for name in [n for n in tensors if n in tied]:
        values = {id(tensors[other]) for other in tied[name] if other in tensors}
        if len(values) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(tied[name])}, which are "
                "tied. Consider using tie_weights=False"
            )
        for other in tied[name]:
            untied[other] = tensors[name]
    return untied


def _check_keys(module, tensors: dict) -> None:
    valid = {name for name, _ in _all_named_tensors(module)}
    problems = []
    unexpected, missing = sorted(set(tensors) - valid), sorted(valid - set(tensors))
    if unexpected:
        problems.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        problems.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if problems:
        raise RuntimeError(
            f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(problems)
        )


def _swap(module, tensors: dict) -> dict:
    """Put each tensor at its dotted name; returns what was there (_MISSING where nothing
    was). On an error, what was already swapped is put back before it propagates."""
    before = {}
    try:
        for name, t in tensors.items():
            before[name] = _swap_one(module, name, t)
    except Exception:
        for name, t in before.items():
            _swap_one(module, name, t)
        raise
    return before


def _swap_one(module, name: str, value):
    path, _, attr = name.rpartition(".")
    owner = module
    parts = path.split(".") if path else []
    for i, part in enumerate(parts):
        if not hasattr(owner, part):
            raise AttributeError(f"{type(owner).__name__} has no attribute `{part}`")
        owner = getattr(owner, part)
        if not isinstance(owner, Module):
            raise TypeError(
                f"submodule `{'.'.join(parts[: i + 1])}`: {owner} is not an instance of "
                "torch.nn.Module"
            )
    if value is not _MISSING and value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{value} is not an instance of torch.Tensor")
    for store in (owner._parameters, owner._buffers):
        if attr in store:
            old = store[attr]
            if value is _MISSING:
                del store[attr]
            else:
                store[attr] = value  # as torch: a plain tensor may stand in for a Parameter
            return old
    old = getattr(owner, attr, _MISSING)
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{attr}`: {old} is not an instance of torch.Tensor")
    if value is not _MISSING:
        setattr(owner, attr, value)
    elif old is not _MISSING:
        delattr(owner, attr)
    return old


def stack_module_state(models) -> tuple:
    """(params, buffers): each name's tensors of all the models stacked along a new dim 0,
    for vmap over an ensemble; stacked parameters are new leaves that require grad."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return (
        {name: _stacked_leaf([p[name] for p in params], name) for name in params[0]},
        {name: _stacked_leaf([b[name] for b in buffers], name) for name in buffers[0]},
    )


def _stacked_leaf(tensors: list, name: str):
    flags = {t.requires_grad for t in tensors}
    if len(flags) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    return result.detach().requires_grad_() if flags == {True} else result


def replace_all_batch_norm_modules_(root):
    """Every BatchNorm in root stops tracking running statistics (its running_mean,
    running_var and num_batches_tracked become None), so that vmap over it normalises each
    sample's batch by its own statistics, as torch's; returns root."""
    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
