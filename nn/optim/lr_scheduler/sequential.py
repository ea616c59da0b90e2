"""Schedulers of schedulers: SequentialLR (one after another, switching at milestones) and
ChainedScheduler (all of them on every step, each scaling the rate the one before set)."""

import bisect

from autodiff import tracing

from .base import LRScheduler
from .plateau import ReduceLROnPlateau


def _undo_initial_steps(scheduler) -> None:
    """Undo the step each (nested) scheduler made when it was built, as torch does."""
    for sub in scheduler._schedulers:
        if hasattr(sub, "_schedulers"):
            _undo_initial_steps(sub)
        else:
            sub.last_epoch -= 1


class _Composite(LRScheduler):
    """A scheduler that drives others: its state_dict holds theirs, as torch's does."""

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers")
        self.__dict__.update(state)
        for scheduler, sub in zip(self._schedulers, saved):
            scheduler.load_state_dict(sub)


def _check_schedulers(op: str, schedulers, optimizer) -> None:
    """At least one scheduler, none driven by a metric, all for the same optimizer."""
    if len(schedulers) < 1:
        raise ValueError(f"{op} expects at least one scheduler, but got no scheduler.")
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(
                f"{op}: the scheduler at index {i} ({type(scheduler).__name__}) has no "
                "optimizer. Pass learning-rate schedulers of nn.optim.lr_scheduler."
            )
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{op} does not support ReduceLROnPlateau (at index {i}): its step() "
                "needs a metric."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{op} expects all schedulers to belong to the same optimizer, but "
                f"scheduler {type(scheduler).__name__} at index {i} has another one."
            )


class ChainedScheduler(_Composite):
    """Every scheduler steps on each step(), in order; their recursive forms multiply (a warmup
    times a decay). optimizer defaults to the first scheduler's."""

    def __init__(self, schedulers, optimizer=None):
        optimizer = optimizer or (schedulers[0].optimizer if len(schedulers) else None)
        _check_schedulers("ChainedScheduler", schedulers, optimizer)
        self._schedulers, self.optimizer = list(schedulers), optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    @tracing.replayed
    def step(self) -> None:
        """Step each scheduler in turn; the rates are what the last one set."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class SequentialLR(_Composite):
    """schedulers[i] drives the rate from milestones[i − 1] on, each restarting at epoch 0."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        _check_schedulers("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects number of schedulers provided to be one more than the "
                f"number of milestone points, but got {len(schedulers)} schedulers and "
                f"{len(milestones)} milestones"
            )
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        self.last_epoch, self.optimizer = last_epoch + 1, optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self)
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    @tracing.replayed
    def step(self) -> None:
        """Advance the scheduler in charge; at a milestone the next one starts from epoch 0."""
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[i]
        if i > 0 and self._milestones[i - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()
