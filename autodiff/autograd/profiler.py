"""torch.autograd.profiler: the older profiler API (profile, record_function), sharing
torch.profiler's recording, events and table (autodiff/profiler)."""

from ..profiler import _Profile, _refuse
from ..profiler.events import EventList, FunctionEvent, FunctionEventAvg
from ..profiler.recorder import record_function

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class profile(_Profile):
    """with torch.autograd.profiler.profile() as prof: the ops and backward nodes run inside
    the block in this thread; then prof.table(), prof.key_averages(), prof.function_events.
    enabled=False records nothing."""

    def __init__(
        self,
        enabled=True,
        *,
        use_cuda=False,
        use_device=None,
        record_shapes=False,
        with_flops=False,
        profile_memory=False,
        with_stack=False,
        with_modules=False,
        use_kineto=False,
        use_cpu=True,
        experimental_config=None,
        acc_events=False,
        custom_trace_id_callback=None,
        post_processing_timeout_s=None,
        activity_filters=None,
    ):
        _refuse(
            "autograd.profiler.profile",
            use_cuda=use_cuda,
            use_device=use_device,
            with_flops=with_flops,
            with_modules=with_modules,
            experimental_config=experimental_config,
            acc_events=acc_events,
            custom_trace_id_callback=custom_trace_id_callback,
            activity_filters=activity_filters,
        )
        if not use_cpu:
            raise NotImplementedError(
                "autograd.profiler.profile: use_cpu=False leaves nothing "
                "to record on this CPU-only engine."
            )
        super().__init__(record_shapes, profile_memory, with_stack)
        self.enabled = enabled
        self.entered = False

    def __enter__(self):
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        if self.enabled:
            self.start_trace()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.stop_trace()
        return False

    def table(
        self,
        sort_by=None,
        row_limit=100,
        max_src_column_width=75,
        max_name_column_width=55,
        max_shapes_column_width=80,
        header=None,
        top_level_events_only=False,
    ):
        """The recorded events as torch's table, one row per event (key_averages().table()
        groups them)."""
        return self._events().table(
            sort_by,
            row_limit,
            max_src_column_width,
            max_name_column_width,
            max_shapes_column_width,
            header,
            top_level_events_only,
        )

    def total_average(self) -> FunctionEventAvg:
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of every event's self CPU time (us)."""
        return self._events().self_cpu_time_total

    def __str__(self):
        if self.function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self.function_events)

    def __repr__(self):
        if self.function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self.function_events)
