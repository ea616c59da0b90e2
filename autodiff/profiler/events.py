"""What a profile recorded, as torch.autograd.profiler_util has it: FunctionEvent (one op or
block), FunctionEventAvg (events grouped by name), EventList (a list of either, with
key_averages, table and export_chrome_trace). Times are in microseconds."""

import json
import os
from collections import defaultdict

US_IN_MS, US_IN_SECOND = 1000.0, 1000.0 * 1000.0
DEFAULT_COLUMN_WIDTH, SPACING_SIZE = 12, 2


class Interval:
    """An event's start and end, in microseconds from the profile's start."""

    def __init__(self, start: float, end: float):
        self.start, self.end = start, end

    def elapsed_us(self) -> float:
        return self.end - self.start


def _format_time(time_us: float, unit=None) -> str:
    """torch's time cell: seconds, milliseconds or microseconds, three decimals."""
    if unit == "s" or unit is None and time_us >= US_IN_SECOND:
        return f"{time_us / US_IN_SECOND:.3f}s"
    if unit == "ms" or unit is None and time_us >= US_IN_MS:
        return f"{time_us / US_IN_MS:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us: float, total_us: float) -> str:
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes: int) -> str:
    """torch's memory cell: B, KB, MB or GB."""
    for size, unit in ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB")):
        if abs(nbytes) >= size:
            return f"{nbytes * 1.0 / size:.2f} {unit}"
    return f"{nbytes} B"


class _Times:
    """The formatted times torch's events and averages share (cpu_time_str, ...)."""

    @property
    def cpu_time(self) -> float:
        """The average CPU time of one call."""
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    cpu_time_str = property(lambda self: _format_time(self.cpu_time))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))


class FunctionEvent(_Times):
    """One op, backward node or record_function block: its name, thread, time range, the
    events it opened (cpu_children) and the one it ran in (cpu_parent)."""

    count = 1
    node_id = -1
    is_async = False
    is_remote = False
    device_type = "CPU"
    use_device = None
    is_legacy = False
    flops = 0
    overload_name = ""

    def __init__(self, id, name, thread, start, parent=None, kind="cpu_op"):
        self.id, self.thread = id, thread
        # as torch: the steps' blocks share one name in the table, the trace keeps theirs
        self.trace_name = name
        self.name = "ProfilerStep*" if name.startswith("ProfilerStep#") else name
        self.time_range = Interval(start, start)
        self.cpu_parent, self.cpu_children = parent, []
        self.input_shapes = []
        self.stack = []
        self.kind = kind  # the chrome trace's category: cpu_op or user_annotation
        self.own_memory = 0  # the bytes of the arrays this event itself made (profile_memory)

    @property
    def key(self) -> str:
        return self.name

    @property
    def is_user_annotation(self) -> bool:
        return self.kind == "user_annotation"

    @property
    def cpu_time_total(self) -> float:
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_memory_usage(self) -> int:
        return self.own_memory + sum(c.cpu_memory_usage for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self) -> int:
        return self.own_memory

    def __repr__(self):
        return (
            f"<FunctionEvent id={self.id} name={self.name} overload_name={self.overload_name} "
            f"device_type=DeviceType.CPU node_id={self.node_id} cpu_time={self.cpu_time_str} "
            f"start_us={self.time_range.start} end_us={self.time_range.end} "
            f"cpu_children={[c.id for c in self.cpu_children]} None_time=0.000us "
            f"name={self.name} thread={self.thread} input_shapes={self.input_shapes} "
            f"cpu_memory_usage={self.cpu_memory_usage} None_memory_usage=0 "
            f"is_async=False is_remote=False seq_nr=-1 is_legacy=False>"
        )


class FunctionEventAvg(_Times):
    """The events that share a key (a name, and the input shapes or stack when grouped by
    them): summed times, memory and calls."""

    node_id = -1
    is_async = False
    use_device = None
    overload_name = ""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes = None
        self.stack = None
        self.cpu_parent = self.cpu_children = None
        self.is_user_annotation = False

    def add(self, other):
        if self.key is None:
            self.key, self.input_shapes, self.stack = other.key, other.input_shapes, other.stack
            self.cpu_parent, self.cpu_children = other.cpu_parent, other.cpu_children
            self.is_user_annotation = other.is_user_annotation
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        return self

    __iadd__ = add

    def __repr__(self):
        return (
            f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
            f"cpu_time={self.cpu_time_str}  self_cuda_time=0.000us cuda_time=0.000us "
            f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage} "
            "cuda_memory_usage=0>"
        )


class EventList(list):
    """A profile's events (or their averages): torch's EventList."""

    def __init__(self, *args, profile_memory=False, **kwargs):
        for name in ("use_device", "with_flops"):
            kwargs.pop(name, None)
        super().__init__(*args)
        self._profile_memory = profile_memory

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(
        self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False
    ):
        """The events grouped by name (and input shapes, and the first group_by_stack_n
        frames of their stack, if asked), in the order each key first occurs."""
        stats = defaultdict(FunctionEventAvg)
        for event in self:
            key = [event.key, str(event.is_user_annotation)]
            if group_by_input_shapes:
                key.append(str(event.input_shapes))
            if group_by_stack_n > 0:
                key += event.stack[:group_by_stack_n]
            stats[tuple(key)].add(event)
        averages = EventList(stats.values(), profile_memory=self._profile_memory)
        for average in averages:
            average.stack = average.stack[:group_by_stack_n]
            if not group_by_input_shapes:
                average.input_shapes = ""
        return averages

    def total_average(self) -> FunctionEventAvg:
        """Every event summed into one, keyed "Total"."""
        total = FunctionEventAvg()
        for event in self:
            total.add(event)
            total.key = None
        total.key = "Total"
        return total

    def table(
        self,
        sort_by=None,
        row_limit=100,
        max_src_column_width=75,
        max_name_column_width=55,
        max_shapes_column_width=80,
        header=None,
        top_level_events_only=False,
        time_unit=None,
    ):
        """The events as torch prints them: one row each (sorted by the attribute sort_by,
        most first), the columns torch shows for CPU events, and the total self CPU time."""
        return build_table(
            self,
            sort_by,
            header,
            row_limit,
            max_src_column_width,
            max_name_column_width,
            max_shapes_column_width,
            self._profile_memory,
            top_level_events_only,
            time_unit,
        )

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (chrome://tracing, Perfetto): JSON with one
        complete ("X") event per op or block."""
        events = [_trace_event(e) for e in self if isinstance(e, FunctionEvent)]
        with open(path, "w") as f:
            json.dump({"schemaVersion": 1, "displayTimeUnit": "ms", "traceEvents": events}, f)


def _trace_event(event: FunctionEvent) -> dict:
    args = {"External id": event.id}
    if event.input_shapes:
        args["Input Dims"] = event.input_shapes
    return {
        "ph": "X",
        "cat": event.kind,
        "name": event.trace_name,
        "pid": os.getpid(),
        "tid": event.thread,
        "ts": event.time_range.start,
        "dur": event.cpu_time_total,
        "args": args,
    }


def build_table(
    events,
    sort_by=None,
    header=None,
    row_limit=100,
    max_src_column_width=75,
    max_name_column_width=55,
    max_shapes_column_width=80,
    profile_memory=False,
    top_level_events_only=False,
    time_unit=None,
) -> str:
    """torch's _build_table for CPU events: the same columns, widths and footer."""
    if len(events) == 0:
        return ""
    if sort_by is not None:
        events = sorted(events, key=lambda e: getattr(e, sort_by), reverse=True)
    has_shapes = any(e.input_shapes for e in events)
    stacks = [e.stack for e in events if e.stack]
    name_width = min(max(len(e.key) for e in events) + 4, max_name_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [DEFAULT_COLUMN_WIDTH] * (len(headers) - 1)
    aligns = [">"] * len(headers)
    if has_shapes:
        shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
        headers.append("Input Shapes")
        widths.append(min(shapes_width, max_shapes_column_width))
        aligns.append(">")
    if stacks:
        src_width = max(len(line) for stack in stacks for line in stack) + 4
        headers.append("Source Location")
        widths.append(min(src_width, max_src_column_width))
        aligns.append("<")
    row = "".join(f"{{: {a}{w}}}" + " " * SPACING_SIZE for a, w in zip(aligns, widths))
    sep = "".join("-" * w + " " * SPACING_SIZE for w in widths)
    line_length = sum(widths) + SPACING_SIZE * (len(widths) - 1)
    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_events_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [sep, row.format(*headers), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if len(name) >= max_name_column_width - 3:
            name = name[: max_name_column_width - 3] + "..."
        values = [
            name,
            _format_time_share(e.self_cpu_time_total, total),
            _format_time(e.self_cpu_time_total, time_unit),
            _format_time_share(e.cpu_time_total, total),
            _format_time(e.cpu_time_total, time_unit),
            _format_time(e.cpu_time, time_unit),
        ]
        if profile_memory:
            values += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        values.append(e.count)
        if has_shapes:
            values.append(str(e.input_shapes)[: widths[len(values)]])
        if stacks:
            values.append(_trim(e.stack[0], widths[-1]) if e.stack else "")
        lines.append(row.format(*values))
        if stacks:
            blank = [""] * (len(headers) - 1)
            lines += [row.format(*blank, _trim(entry, widths[-1])) for entry in e.stack[1:]]
            lines.append(row.format(*blank, ""))
    lines += [sep, f"Self CPU time total: {_format_time(total, time_unit)}"]
    return "\n".join(lines) + "\n"


def _trim(path: str, width: int) -> str:
    """A source location cut to the column from the left, as torch does."""
    if len(path) > width:
        path = path[len(path) - width :]
        if len(path) > 3:
            path = "..." + path[3:]
    return path
