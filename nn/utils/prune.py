"""torch.nn.utils.prune: zero out parts of a parameter through a mask. Pruning `name` moves the
parameter to `name_orig`, keeps the mask as the buffer `name_mask`, and makes `module.name` a
plain attribute, mask * name_orig, recomputed by a forward pre-hook (the pruning method itself)
before every call, so gradients reach name_orig through the mask. Pruning the same parameter
again chains the methods in a PruningContainer, each new one acting only on what is left."""

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import autodiff as ad

from .convert_parameters import parameters_to_vector
from .topk_ties import topk_indices

__all__ = [
    "BasePruningMethod",
    "CustomFromMask",
    "Identity",
    "L1Unstructured",
    "LnStructured",
    "PruningContainer",
    "RandomStructured",
    "RandomUnstructured",
    "custom_from_mask",
    "global_unstructured",
    "identity",
    "is_pruned",
    "l1_unstructured",
    "ln_structured",
    "random_structured",
    "random_unstructured",
    "remove",
]


class BasePruningMethod(ABC):
    """A way of choosing a mask: subclasses define compute_mask and PRUNING_TYPE
    ("unstructured", "structured" with a `dim`, or "global"); apply(module, name, ...) prunes."""

    _tensor_name: str  # set by apply(): the name of the parameter pruned

    def __call__(self, module, inputs):
        """The forward pre-hook: module.<name> = mask * <name>_orig, before each call."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for t (or its importance scores), on top of default_mask (the mask of
        the pruning so far: ones at first), of t's shape."""

    def apply_mask(self, module):
        """The pruned tensor: the mask times the original parameter."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune module.<name> with cls(*args, **kwargs), on top of any pruning it has already
        (the methods then go in one PruningContainer); returns the method (or container)."""
        method = _chained(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif importance_scores.shape != orig.shape:
            raise AssertionError(
                f"importance_scores should have the same shape as parameter {name} of "
                f"{module}, got {importance_scores.shape} vs {orig.shape}"
            )
        first = not isinstance(method, PruningContainer)
        if first:  # the parameter moves to name_orig; module.name becomes the pruned tensor
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ad.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # undo the move, as torch does (a container's earlier state stays)
                module.register_parameter(name, getattr(module, name + "_orig"))
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """t times the mask compute_mask gives (on importance_scores in t's place if given)."""
        if importance_scores is None:
            importance_scores = t
        elif importance_scores.shape != t.shape:
            raise AssertionError(
                "importance_scores should have the same shape as tensor t, got "
                f"{importance_scores.shape} vs {t.shape}"
            )
        default_mask = default_mask if default_mask is not None else ad.ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module) -> None:
        """Make the pruning permanent: name_orig (holding the pruned values now) becomes the
        parameter `name` again and name_mask goes; the pruned entries stay zero."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data  # the same Parameter object: optimizers still hold it
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _chained(cls, module, name, *args, **kwargs):
    """The method apply() registers: a new cls(*args, **kwargs) on name, alone or added to the
    method already pruning name (its hook is taken off; apply registers the result again)."""
    keys = [
        key
        for key, hook in module._forward_pre_hooks.items()
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name
    ]
    if len(keys) > 1:
        raise AssertionError(
            f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
            "Use a PruningContainer."
        )
    old = module._forward_pre_hooks.pop(keys[0]) if keys else None
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if old is None:
        return method
    if not isinstance(old, PruningContainer):
        old = PruningContainer(old)
    old.add_pruning_method(method)
    return old


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after the other to one parameter; its mask is the last
    method's, computed on the part of the tensor the earlier ones left."""

    def __init__(self, *args) -> None:
        self._pruning_methods = ()
        if len(args) == 1:  # the tensor's name comes from the one method
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:  # as torch: several methods need _tensor_name set on the container first
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        """Append method, which must prune the same tensor."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(
                "Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer {self}. "
                f"Found '{method._tensor_name}'"
            )
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """default_mask with the last method's mask written on the part it may prune: the
        entries still unpruned (unstructured), the channels along its dim not wholly pruned
        (structured), or everything (global)."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        slc = _unpruned_part(method, t, default_mask)
        partial_mask = method.compute_mask(t[slc], default_mask=default_mask[slc])
        new_mask[slc] = partial_mask.to(dtype=new_mask.dtype)
        return new_mask


def _unpruned_part(method, t, mask):
    """The index of the part of t that method may still prune, after mask."""
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        return mask == 1
    if kind == "global":
        return (slice(None),) * t.ndim
    if kind != "structured":
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
    if not hasattr(method, "dim"):
        raise AttributeError(
            'Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` defined.'
        )
    dim = method.dim + t.ndim if method.dim < 0 else method.dim
    if dim < 0:
        raise IndexError(f"Index is out of bounds for tensor with dimensions {t.ndim}")
    # a channel is kept unless the mask has zeroed all of it
    keep_channel = mask.sum(dim=[d for d in range(t.ndim) if d != dim]) != 0
    slc = [slice(None)] * t.ndim
    slc[dim] = keep_channel
    return tuple(slc)


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrization with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` of the entries (a fraction if float, a count if int) at random: those
    with the largest of torch.rand_like(t)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        nparams_toprune = _counted(self.amount, t.nelement())
        mask = default_mask.clone()
        if nparams_toprune != 0:
            prob = ad.rand_like(t)
            mask.view(-1)[_topk_indices(prob.view(-1), nparams_toprune, largest=True)] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes `amount` of the entries (a fraction if float, a count if int): those of the
    smallest magnitude."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        nparams_toprune = _counted(self.amount, t.nelement())
        mask = default_mask.clone()
        if nparams_toprune != 0:
            smallest = _topk_indices(ad.abs(t).view(-1), nparams_toprune, largest=False)
            mask.view(-1)[smallest] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` of the channels along dim at random: those given the smallest of
    torch.rand(channels)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        channels = _channels(t, self.dim)
        nparams_toprune = _counted(self.amount, channels)
        if nparams_toprune == 0:
            return default_mask
        prob = ad.rand(channels)
        threshold = ad.kthvalue(prob, k=nparams_toprune).values
        mask = _channel_mask(t, self.dim, prob > threshold)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes `amount` of the channels along dim: those of the smallest L`n`-norm (n as
    torch.norm's p: a number, inf, -inf or "fro")."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        channels = _channels(t, self.dim)
        nparams_toprune = _counted(self.amount, channels)
        if nparams_toprune == 0:
            return default_mask
        norm = _compute_norm(t, self.n, self.dim)
        kept = _topk_indices(norm, channels - nparams_toprune, largest=True)
        mask = _channel_mask(t, self.dim, kept)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(
            module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores
        )


class CustomFromMask(BasePruningMethod):
    """Prunes where the given mask is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(
                f"default_mask shape {default_mask.shape} must match self.mask shape "
                f"{self.mask.shape}"
            )
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """module with `name` reparametrized as pruned (name_orig, name_mask) but nothing pruned."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """module with `amount` of the entries of `name` pruned at random."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """module with `amount` of the entries of `name` of the smallest magnitude (of
    importance_scores if given) pruned."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """module with `amount` of the channels of `name` along dim pruned at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """module with `amount` of the channels of `name` along dim of the smallest Ln-norm pruned."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune the (module, name) pairs in `parameters` as one flattened tensor with the
    unstructured pruning_method(**kwargs): e.g. L1Unstructured with amount=0.2 prunes the
    smallest 20% of all their entries together; each gets its share as a CustomFromMask."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = parameters_to_vector(
        [
            importance_scores.get((module, name), getattr(module, name))
            for module, name in parameters
        ]
    )
    default_mask = parameters_to_vector(
        [
            getattr(module, name + "_mask", ad.ones_like(getattr(module, name)))
            for module, name in parameters
        ]
    )
    # a container so that the masks the parameters have already are respected
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
            f"{pruning_method} of type {method.PRUNING_TYPE}"
        )
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        num_param = param.numel()
        custom_from_mask(
            module, name, mask=final_mask[pointer : pointer + num_param].view_as(param)
        )
        pointer += num_param


def custom_from_mask(module, name, mask):
    """module with the entries of `name` where mask is 0 pruned."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """module with the pruning of `name` made permanent (see BasePruningMethod.remove)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(
        f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
    )


def is_pruned(module) -> bool:
    """Whether module or any of its submodules has a pruning hook."""
    return any(
        isinstance(hook, BasePruningMethod)
        for _, submodule in module.named_modules()
        for hook in submodule._forward_pre_hooks.values()
    )


def _validate_pruning_amount_init(amount) -> None:
    """amount must be a float in [0, 1] (a fraction) or an int >= 0 (a count)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if isinstance(amount, numbers.Integral):
        bad = amount < 0
    else:
        bad = float(amount) > 1.0 or float(amount) < 0.0
    if bad:
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative "
            "integer"
        )


def _counted(amount, tensor_size: int) -> int:
    """How many units of tensor_size to prune: amount if an int (at most tensor_size), else the
    fraction amount of tensor_size rounded (Python's round, as torch)."""
    if not isinstance(amount, numbers.Integral):
        return round(amount * tensor_size)
    if amount > tensor_size:
        raise ValueError(
            f"amount={amount} should be smaller than the number of parameters to "
            f"prune={tensor_size}"
        )
    return amount


def _topk_indices(values, k: int, largest: bool):
    """The indices of the k largest (or smallest) of the 1-d values: torch.topk's, also where
    values tie at the k-th place (topk_ties.py)."""
    return ad.from_numpy(topk_indices(values.detach().numpy(force=True), k, largest))


def _channels(t, dim) -> int:
    """The number of channels of t along dim, t being at least 2-d (structured pruning)."""
    if t.ndim <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor "
            f"of shape {t.shape} with {t.ndim} dims"
        )
    if dim >= t.ndim:
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")
    return t.shape[dim]


def _channel_mask(t, dim, channels):
    """A mask of t's shape and dtype: ones in the channels along dim picked by `channels` (a
    boolean mask or indices), zeros elsewhere."""
    mask = ad.zeros_like(t)
    slc = [slice(None)] * t.ndim
    slc[dim] = channels
    mask[tuple(slc)] = 1
    return mask


def _compute_norm(t, n, dim):
    """The n-norm of each channel of t along dim (over all the other dims), as torch.norm(t,
    p=n, dim=others); ad.norm takes p > 0, inf and "fro", so p = 0 (a count of nonzeros),
    -inf (the smallest magnitude) and negative p are worked out here."""
    dims = list(range(t.ndim))
    dims.remove(dims[dim])
    if not isinstance(n, numbers.Real) or n > 0:
        return ad.norm(t, p=n, dim=dims)
    size = t.abs()
    if n == 0:
        return (size != 0).sum(dims).to(dtype=t.dtype)
    if n == -math.inf:
        return size.amin(dims)
    return size.pow(n).sum(dims).pow(1.0 / n)
