"""LRScheduler, the base of every learning-rate schedule: torch's initial_lr, step and state."""

import functools
import math
import warnings

from autodiff import tracing


@tracing.live
class LRScheduler:
    """Base: remembers each group's initial lr and rewrites group['lr'] on every step()
    (ad.compile replays step() as a call)."""

    def __init_subclass__(cls, **kwargs):
        """Each schedule's get_lr warns when called outside step(), as torch's."""
        super().__init_subclass__(**kwargs)
        if "get_lr" in cls.__dict__:
            cls.get_lr = _warns_outside_step(cls.__dict__["get_lr"])

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param 'initial_lr' is not specified in "
                        f"param_groups[{i}] when resuming an optimizer"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step of construction (epoch −1 → 0); get_lr sees _is_initial during it."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        raise NotImplementedError

    def _closed_form(self) -> list:
        return self.get_lr()

    @tracing.replayed
    def step(self, epoch=None) -> None:
        """Advance one epoch (or jump to `epoch`, using the closed form) and set the rates."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        if epoch is None:
            self.last_epoch += 1
            lrs = self._within_step(self.get_lr)
        else:
            self.last_epoch = epoch
            lrs = self._within_step(self._closed_form)
        self._set_lrs(lrs)

    def _within_step(self, compute) -> list:
        """compute() as step() runs it: get_lr does not warn (torch's flag, in state_dict)."""
        self._get_lr_called_within_step = True
        try:
            return compute()
        finally:
            self._get_lr_called_within_step = False

    def _set_lrs(self, lrs) -> None:
        """Write the new rates; a non-finite or negative one is an error, never a silent nan."""
        for i, lr in enumerate(lrs):
            if not (isinstance(lr, int | float) and math.isfinite(lr) and lr >= 0):
                raise ValueError(
                    f"{type(self).__name__}: the schedule gave param_groups[{i}] the learning "
                    f"rate {lr!r} at epoch {self.last_epoch}. Check its factors (gamma, "
                    "lr_lambda, ...): rates must be finite and >= 0."
                )
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        """The learning rates set by the last step()."""
        return self._last_lr

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)

    def _lrs(self) -> list:
        return [group["lr"] for group in self.optimizer.param_groups]


def per_group(name: str, optimizer, value) -> list:
    """One value per parameter group: a list of that length, or one value for all."""
    groups = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != groups:
            raise ValueError(f"expected {groups} values for {name}, got {len(value)}")
        return list(value)
    return [value] * groups


def _warns_outside_step(get_lr):
    @functools.wraps(get_lr)
    def checked(self) -> list:
        if not getattr(self, "_get_lr_called_within_step", False):
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                stacklevel=2,
            )
        return get_lr(self)

    return checked
