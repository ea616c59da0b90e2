"""torch.utils.benchmark: Timer times a statement (timeit, blocked_autorange,
adaptive_autorange) and gives a Measurement that prints as torch's does. The statement runs
with the library as `torch` in its globals (the one `autodiff run` gives, else autodiff), and
the library's thread count set to num_threads while it is timed, as torch's Timer does."""

import contextlib
import enum
import sys
import textwrap
import timeit as _timeit

import numpy as np

from .. import threads
from .common import Measurement, TaskSpec, select_unit, trim_sigfig
from .compare import Colorize, Compare

__all__ = [
    "Colorize",
    "Compare",
    "Language",
    "Measurement",
    "TaskSpec",
    "Timer",
    "select_unit",
    "timer",
    "trim_sigfig",
]

timer = _timeit.default_timer


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


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
