"""torch.profiler on this engine: which ops ran, how long each took, and what backward did.

Every op runs through one seam (Function.apply) and every gradient through the backward engine,
so a profile records each forward op and each backward node as torch's does: an op's event is
named "aten::" and the op's name (taken from its grad_fn: MmBackward0 -> "aten::mm", so names
follow torch's where our op is torch's; a composite of torch's, such as F.linear, shows the ops
it runs here instead), a backward node as "autograd::engine::evaluate_function: MulBackward0"
around "MulBackward0", a leaf's gradient as "torch::autograd::AccumulateGrad". Times are this
process's CPU time as measured around each op (time.perf_counter_ns); memory (profile_memory)
counts the bytes of the arrays an op returns (not a view's), not an allocator's bookkeeping.
Only the thread that entered the profile is recorded. recorder.py records, events.py holds
what was recorded (key_averages, table, export_chrome_trace).
"""

import os
import socket
import time
import warnings
from enum import Enum

from .events import EventList, FunctionEvent, FunctionEventAvg
from .recorder import Recorder, record_function

__all__ = [
    "profile",
    "schedule",
    "supported_activities",
    "tensorboard_trace_handler",
    "ProfilerAction",
    "ProfilerActivity",
    "kineto_available",
    "record_function",
]


class ProfilerActivity(Enum):
    """What a profile records: CPU here (the others are accelerators this engine lacks)."""

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(Enum):
    """What a schedule asks of a profiler step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set:
    """The activities this engine can record: CPU."""
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    """False: the profile is recorded by this engine itself, not by torch's Kineto library."""
    return False


def schedule(
    *,
    wait: int,
    warmup: int,
    active: int,
    repeat: int = 0,
    skip_first: int = 0,
    skip_first_wait: int = 0,
):
    """torch's schedule: skip skip_first steps, then cycles of wait steps (nothing recorded),
    warmup steps (nothing kept) and active steps (recorded; the last one saves: on_trace_ready),
    repeat cycles (0: until the profile ends). skip_first_wait skips the first cycle's wait."""

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        if mod_step < num_steps - 1:
            return ProfilerAction.RECORD
        return ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        warnings.warn(
            "Profiler won't be using warmup, this can skew profiler results", stacklevel=2
        )
    return schedule_fn


def _default_schedule_fn(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(
    dir_name: str, worker_name=None, use_gzip: bool = False, use_python_export: bool = False
):
    """An on_trace_ready that writes each saved trace as Chrome trace JSON into dir_name
    ("{worker_name}.{time_ns}.pt.trace.json", worker_name "hostname_pid" by default)."""
    if use_gzip:
        raise NotImplementedError(
            "tensorboard_trace_handler: use_gzip=True is not supported "
            "here; leave it False (the trace is plain JSON)."
        )

    def handler_fn(prof) -> None:
        nonlocal worker_name
        try:
            os.makedirs(dir_name, exist_ok=True)
        except Exception as e:
            raise RuntimeError("Can't create directory: " + dir_name) from e
        worker_name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(
            os.path.join(dir_name, f"{worker_name}.{time.time_ns()}.pt.trace.json")
        )

    return handler_fn


_WARNED = []  # the message about cleared events, said once in a process (as torch)


def _refuse(function: str, **options) -> None:
    """torch's profiler options this one does not build: NotImplementedError naming them."""
    for name, value in options.items():
        if value:
            raise NotImplementedError(
                f"{function}: {name}={value!r} is not supported by this profiler (CPU times, "
                "shapes, memory and stacks of this engine's ops are); leave it out."
            )


def _check_activities(activities) -> None:
    if activities is None:
        return
    for item in activities:
        keys = item.keys() if isinstance(item, dict) else [item]
        for key in keys:
            if not isinstance(key, ProfilerActivity):
                raise TypeError(f"profile: activities holds {key!r}, not a ProfilerActivity")
            if key is not ProfilerActivity.CPU:
                raise NotImplementedError(
                    f"profile: {key} is not supported: this engine runs on the CPU only. Use "
                    "activities=[ProfilerActivity.CPU]."
                )


class _Profile:
    """What torch.profiler.profile and torch.autograd.profiler.profile share: a recording and
    the queries on its events."""

    def __init__(self, record_shapes, profile_memory, with_stack):
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack = with_stack
        self.recorder = None
        self.function_events = None  # the last finished recording's events

    def start_trace(self) -> None:
        self.recorder = Recorder(self.record_shapes, self.profile_memory, self.with_stack)
        self.recorder.start()

    def stop_trace(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()
            self.function_events = EventList(
                self.recorder.events, profile_memory=self.profile_memory
            )
            self.recorder = None

    def _events(self) -> EventList:
        if self.function_events is None:
            raise AssertionError(
                "the profile has not finished recording: leave its `with` "
                "block (or call stop()) first"
            )
        return self.function_events

    def key_averages(
        self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False
    ):
        """The events grouped by name (and input shapes, or stack frames, if asked)."""
        return self._events().key_averages(
            group_by_input_shape, group_by_stack_n, group_by_overload_name
        )

    def export_chrome_trace(self, path: str, use_python_export: bool = False) -> None:
        """The events as Chrome trace JSON (chrome://tracing, ui.perfetto.dev)."""
        self._events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total"):
        raise NotImplementedError(
            "export_stacks (flame graph stacks) is not supported here; "
            "use key_averages(group_by_stack_n=...) with with_stack=True."
        )


class profile(_Profile):
    """torch.profiler.profile: records the ops and backward nodes run inside its block (or
    between start() and stop()) in this thread. With a schedule, each step() moves through
    its wait/warmup/active steps as torch's does, each step a "ProfilerStep#N" block, and
    on_trace_ready(prof) runs when an active span ends."""

    def __init__(
        self,
        *,
        activities=None,
        schedule=None,
        on_trace_ready=None,
        record_shapes=False,
        profile_memory=False,
        with_stack=False,
        with_flops=False,
        with_modules=False,
        experimental_config=None,
        execution_trace_observer=None,
        acc_events=False,
        use_cuda=None,
        custom_trace_id_callback=None,
        post_processing_timeout_s=None,
    ):
        _check_activities(activities)
        if use_cuda is not None:
            warnings.warn(
                "`use_cuda` is deprecated, use `activities` argument instead",
                FutureWarning,
                stacklevel=2,
            )
        # (post_processing_timeout_s bounds torch's event processing; ours is immediate)
        _refuse(
            "profile",
            with_flops=with_flops,
            with_modules=with_modules,
            experimental_config=experimental_config,
            execution_trace_observer=execution_trace_observer,
            acc_events=acc_events,
            use_cuda=use_cuda,
            custom_trace_id_callback=custom_trace_id_callback,
        )
        super().__init__(record_shapes, profile_memory, with_stack)
        self.schedule = schedule or _default_schedule_fn
        self.record_steps = schedule is not None  # ProfilerStep#N blocks
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.step_rec_fn = None
        self.current_action = self.schedule(self.step_num)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self) -> None:
        self._transit(ProfilerAction.NONE, self.current_action)
        self._enter_step()

    def stop(self) -> None:
        self._exit_step()
        self._transit(self.current_action, None)

    def step(self) -> None:
        """The next training step begins: the schedule's action for it takes effect."""
        self._exit_step()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(previous, self.current_action)
        self._enter_step()

    def events(self) -> EventList:
        """The events of the last saved recording."""
        return self._events()

    def prepare_trace(self) -> None:
        """A cycle begins (warmup keeps nothing until start_trace); the previous cycle's
        events are dropped, as torch says once."""
        if self.function_events is not None and not _WARNED:
            _WARNED.append(True)
            warnings.warn(
                "Warning: Profiler clears events at the end of each cycle. Only events from the "
                "current cycle will be reported. To keep events across cycles, set "
                "acc_events=True.",
                stacklevel=4,
            )

    def _enter_step(self) -> None:
        if self.record_steps:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def _exit_step(self) -> None:
        if self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None

    def _trace_ready(self) -> None:
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit(self, previous, current) -> None:
        """torch's table of what happens between two steps' actions (None: the end)."""
        A = ProfilerAction
        recording, saving = (A.RECORD, A.RECORD_AND_SAVE), (A.RECORD_AND_SAVE,)
        if previous is A.WARMUP and current is A.NONE:
            warnings.warn("Incorrect schedule: WARMUP followed by NONE", stacklevel=3)
        if previous is A.RECORD and current in (A.NONE, A.WARMUP):
            warnings.warn(f"Incorrect schedule: RECORD followed by {current.name}", stacklevel=3)
        was = previous in recording
        if previous in saving or (was and current is None):  # an active span ends: saved
            self.stop_trace()
            self._trace_ready()
        elif was and current not in recording:
            self.stop_trace()
        elif previous is A.WARMUP and current in (A.NONE, None):
            self.start_trace()  # torch starts and stops at once: an empty recording
            self.stop_trace()
        if current in (A.WARMUP, *recording) and previous in (A.NONE, A.RECORD_AND_SAVE):
            self.prepare_trace()
        if current in recording and (previous in saving or previous not in recording):
            self.start_trace()
