"""SequentialLR: schedulers one after another, switching at milestones."""

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


class SequentialLR(LRScheduler):
    """schedulers[i] drives the rate from milestones[i − 1] on, each restarting at epoch 0."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got no scheduler.")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"SequentialLR does not support ReduceLROnPlateau (at index {i}): its step() "
                    "needs a metric."
                )
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(
                    f"SequentialLR expects all schedulers to belong to the same optimizer, but "
                    f"scheduler {type(scheduler).__name__} at index {i} has another one."
                )
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
