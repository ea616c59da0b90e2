"""torch.optim.swa_utils: stochastic weight averaging (SWA) and exponential moving averages (EMA)
of a model's weights (AveragedModel), the SWA learning-rate schedule (SWALR), and update_bn, which
recomputes BatchNorm's statistics for averaged weights. torch's formulas, in torch's order."""

import copy
import itertools
import math

import autodiff as ad

from ..module import Module
from ..normalization import _BatchNorm
from .lr_scheduler.base import LRScheduler, per_group, warns_outside_step

__all__ = [
    "AveragedModel",
    "SWALR",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay=0.999):
    """fn(ema_params, model_params, num_averaged) updating every EMA tensor in place:
    ema ← lerp(ema, model, 1 − decay) (integer tensors: ema·decay + model·(1 − decay))."""
    _check_decay(decay)

    @ad.no_grad()
    def ema_update(ema_param_list, current_param_list, _):
        if ema_param_list[0].is_floating_point():
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """fn(averaged_params, model_params, num_averaged) updating every average in place, an
    equal-weight mean: avg ← lerp(avg, model, 1 / (num_averaged + 1)); floating tensors only."""

    @ad.no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if not averaged_param_list[0].is_floating_point():
            raise RuntimeError(
                "get_swa_multi_avg_fn: cannot average integer tensors "
                f"({averaged_param_list[0].dtype}, e.g. BatchNorm's num_batches_tracked with "
                "use_buffers=True) in place: torch's addcdiv refuses integer division. Use "
                "AveragedModel's default average (no multi_avg_fn) or use_buffers=False."
            )
        weight = float(1 / (num_averaged + 1))  # in the count's float dtype, as torch's
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            p_avg.lerp_(p_model, weight)

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """fn(ema_param, model_param, num_averaged) -> decay·ema + (1 − decay)·model."""
    _check_decay(decay)

    @ad.no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """fn(averaged_param, model_param, num_averaged) -> the running mean with one more model."""

    @ad.no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of `model` (self.module) whose parameters (and buffers, with use_buffers=True)
    update_parameters(model) averages: the equal-weight SWA mean by default, or avg_fn (one
    tensor at a time, returning the new average) or multi_avg_fn (lists of tensors, in place).
    The first update copies the model; n_averaged counts the models averaged."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", ad.tensor(0, dtype=ad.long))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model) -> list:
        """(averaged, model) tensor pairs, detached; zip stops at the shorter, as torch's."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        return [(a.detach(), b.detach()) for a, b in zip(mine, theirs)]

    @ad.no_grad()
    def update_parameters(self, model) -> None:
        """Average `model`'s current weights into this one's (copy them on the first call)."""
        pairs = self._pairs(model)
        if int(self.n_averaged) == 0:
            for averaged, current in pairs:
                averaged.copy_(current)
        else:
            self._average(pairs)
        if not self.use_buffers:  # buffers are not averaged: they follow the model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach())
        self.n_averaged += 1

    def _average(self, pairs: list) -> None:
        if self.avg_fn is not None:
            for averaged, current in pairs:
                averaged.copy_(self.avg_fn(averaged, current, self.n_averaged))
            return
        if self.multi_avg_fn is None:  # torch's CPU default: get_swa_avg_fn, tensor by tensor
            swa = get_swa_avg_fn()
            for averaged, current in pairs:
                averaged.copy_(swa(averaged, current, self.n_averaged))
            return
        for group in _by_dtype(pairs):  # torch calls multi_avg_fn once per dtype
            mine, theirs = zip(*group)
            self.multi_avg_fn(list(mine), list(theirs), self.n_averaged)


def _by_dtype(pairs: list) -> list:
    """The pairs grouped by the averaged tensor's dtype, groups in order of first appearance
    (torch's _group_tensors_by_device_and_dtype on one device)."""
    groups = {}
    for pair in pairs:
        groups.setdefault(pair[0].dtype, []).append(pair)
    return list(groups.values())


@ad.no_grad()
def update_bn(loader, model, device=None) -> None:
    """One pass over `loader` in training mode recomputing every BatchNorm's running mean and
    variance as plain averages over the batches (momentum None); a batch that is a list or
    tuple gives its first element to the model. Momenta and the training flag are restored."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:
        if isinstance(input, list | tuple):
            input = input[0]
        if device is not None:
            input = input.to(device)
        model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr to its swa_lr over anneal_epochs steps ("cos" or "linear"), then
    keeps it there. torch's recursive form: each step recovers the lr the schedule started from
    out of the current one, so a change made to group['lr'] between steps carries through."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = per_group("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        """The lr before annealing, from lr = alpha·swa_lr + (1 − alpha)·initial."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _fraction(self, step) -> float:
        """How far annealing is after `step` steps, as anneal_func gives it."""
        return self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))

    @warns_outside_step
    def get_lr(self) -> list:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self._fraction(step - 1)
        alpha = self._fraction(step)
        groups = self.optimizer.param_groups
        return [
            g["swa_lr"] * alpha
            + self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) * (1 - alpha)
            for g in groups
        ]

    def _set_anneal_func(self, anneal_strategy) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        """Everything but the optimizer and the anneal function (restored from its name)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
