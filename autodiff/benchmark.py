"""torch.utils.benchmark: Timer times a statement (timeit, blocked_autorange,
adaptive_autorange) and gives a Measurement that prints as torch's does. The statement runs
with the library as `torch` in its globals (the one `autodiff run` gives, else autodiff), and
the library's thread count set to num_threads while it is timed, as torch's Timer does."""

import contextlib
import dataclasses
import enum
import math
import sys
import textwrap
import timeit as _timeit

import numpy as np

from . import threads

__all__ = ["Language", "Measurement", "TaskSpec", "Timer", "select_unit", "timer"]

timer = _timeit.default_timer
_IQR_WARN_THRESHOLD, _IQR_GROSS_WARN_THRESHOLD = 0.1, 0.25


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def select_unit(t: float) -> tuple:
    """The unit (ns, us, ms, s) that shows t (seconds) with one to three integer digits."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(math.log10(t) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer times (its statement and labels), as a Measurement shows it."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str = None
    sub_label: str = None
    description: str = None
    env: str = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        return (
            f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n"
            f"{textwrap.indent(self.stmt, '  ')}"
        )

    def setup_str(self) -> str:
        if self.setup == "pass" or not self.setup:
            return ""
        if "\n" in self.setup:
            return f"setup:\n{textwrap.indent(self.setup, '  ')}"
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join(f"{s}\n" if "\n" in s else s for s in sections if s)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """Timings of one statement: raw_times (seconds per block of number_per_run runs), times
    (per run), mean, median, iqr; printed as torch prints it."""

    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict = None

    def __getattr__(self, name: str):
        if name in _TASKSPEC_FIELDS:  # stmt, label, num_threads, ... from the task
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute {name!r}")

    @property
    def times(self) -> list:
        return [t / self.number_per_run for t in self.raw_times]

    def _quantile(self, q: float) -> float:
        return float(np.quantile(np.array(self.times, dtype=np.float64), q))

    @property
    def median(self) -> float:
        return self._quantile(0.5)

    @property
    def mean(self) -> float:
        return float(np.mean(np.array(self.times, dtype=np.float64)))

    @property
    def iqr(self) -> float:
        return self._quantile(0.75) - self._quantile(0.25)

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def has_warnings(self) -> bool:
        return bool(self._warnings())

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self) -> str:
        return "Unspecified env" if self.task_spec.env is None else self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def _warnings(self) -> list:
        """torch's note when the spread (IQR) is large against the median."""
        if not self.raw_times:
            return []
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            text = "This suggests significant environmental influence."
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            text = "This could indicate system fluctuation."
        else:
            return []
        share = self.iqr / self.median * 100
        return [
            f"  WARNING: Interquartile range is {share:.1f}% of the median measurement.\n"
            f"           {text}"
        ]

    def __repr__(self) -> str:
        n = len(self.raw_times)
        unit, scale = select_unit(self.median)
        lines = [
            f"<{type(self).__module__}.Measurement object at {hex(id(self))}>",
            self.task_spec.summarize(),
            f"  {'Median: ' if n > 1 else ''}{self.median / scale:.2f} {unit}",
        ]
        if n >= 4:
            p25, p75 = self._quantile(0.25) / scale, self._quantile(0.75) / scale
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} ({p25:.2f} to {p75:.2f})")
        threads_ = self.num_threads
        lines.append(
            f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
            f"{'per measurement,' if n > 1 else ','} {threads_} "
            f"thread{'s' if threads_ > 1 else ''}"
        )
        lines += self._warnings()
        text = "\n".join(lines).strip()
        return "\n".join(line for line in text.splitlines())


@contextlib.contextmanager
def _num_threads(n: int):
    before = threads.get_num_threads()
    try:
        threads.set_num_threads(n)
        yield
    finally:
        threads.set_num_threads(before)


def _torch_module():
    """What `torch` names in the statement: the program's torch under `autodiff run`, else
    this library."""
    torch = sys.modules.get("torch")
    if str(getattr(torch, "__version__", "")).endswith("+autodiff"):
        return torch
    return sys.modules[__name__.rsplit(".", 1)[0]]


class Timer:
    """torch.utils.benchmark.Timer: timeit.Timer with torch's warmup, thread count and
    Measurement. The statement and setup are Python code (language="python")."""

    def __init__(
        self,
        stmt: str = "pass",
        setup: str = "pass",
        global_setup: str = "",
        timer=timer,
        globals=None,
        label=None,
        sub_label=None,
        description=None,
        env=None,
        num_threads: int = 1,
        language=Language.PYTHON,
    ):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in (Language.PYTHON, "py", "python"):
            if language in (Language.CPP, "cpp", "c++"):
                raise NotImplementedError(
                    "Timer: C++ statements (language='cpp') are not "
                    "supported here; time Python code."
                )
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(
                f"global_setup is C++ only, got `{global_setup}`. Most likely "
                "this code can simply be moved to `setup`."
            )
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", _torch_module())
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(
            stmt, setup, global_setup, label, sub_label, description, env, num_threads
        )

    def _timeit(self, number: int) -> float:
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> Measurement:
        """stmt run number times (after a warmup of number // 100): one measurement."""
        with _num_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return Measurement(number, [self._timeit(number=number)], self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _measure(self, number, stop, min_run_time, max_run_time=None, callback=None) -> list:
        """Blocks of number runs until min_run_time has passed and stop(times) agrees (or
        max_run_time has passed)."""
        total, times, can_stop = 0.0, [], False
        with _num_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """The runs per block: ten times more until the timer's own cost is under 0.01%."""
        with _num_threads(self._task_spec.num_threads):
            overhead = float(np.median([self._timeit(0) for _ in range(5)]))
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of stmt (the block size chosen as torch does) until min_run_time."""
        number = self._estimate_block_size(min_run_time)
        times = self._measure(number, lambda times: True, min_run_time, callback=callback)
        return Measurement(number, times, self._task_spec)

    def adaptive_autorange(
        self,
        threshold: float = 0.1,
        *,
        min_run_time: float = 0.01,
        max_run_time: float = 10.0,
        callback=None,
    ) -> Measurement:
        """Blocks of stmt until more than 3 and their IQR / median is under threshold (or
        max_run_time has passed)."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times):
            return len(times) > 3 and Measurement(number, times, self._task_spec).meets_confidence(
                threshold
            )

        times = self._measure(number, stop, min_run_time, max_run_time, callback)
        return Measurement(number, times, self._task_spec)

    def collect_callgrind(self, *args, **kwargs):
        raise NotImplementedError(
            "Timer.collect_callgrind (instruction counts under "
            "valgrind) is not supported here; use blocked_autorange."
        )


def _clean(code: str) -> str:
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()
