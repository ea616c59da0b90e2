"""torch.utils.benchmark's results: TaskSpec (what a Timer times), Measurement (its times,
statistics and printed form), and the number helpers Compare shares (select_unit,
trim_sigfig). Digits are computed in float32 where torch's are (its tensors' default dtype)."""

import dataclasses
import textwrap

import numpy as np

__all__ = ["Measurement", "TaskSpec", "select_unit", "trim_sigfig"]

_IQR_WARN_THRESHOLD, _IQR_GROSS_WARN_THRESHOLD = 0.1, 0.25
_MAX_SIGNIFICANT_FIGURES, _MIN_CONFIDENCE_INTERVAL = 4, 25e-9  # (25 ns)


def _log10_ceil(value: float) -> int:
    return int(np.ceil(np.log10(np.float32(value))))


def trim_sigfig(x: float, n: int) -> float:
    """x to n significant figures (in float32, as torch's)."""
    scale = 10 ** (_log10_ceil(abs(x)) - n)
    return float(np.round(np.float32(x / scale)) * np.float32(scale))


def select_unit(t: float) -> tuple:
    """The unit (ns, us, ms, s) that shows t (seconds) with one to three integer digits."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(np.log10(np.float32(t)) // 3), "s")
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

    @property
    def significant_figures(self) -> int:
        """torch's estimate of the digits the median can be trusted to (from the
        interquartile times' spread; float32, as torch's tensors compute it); 1 to 4."""
        times = sorted(self.times)
        n = len(times)
        middle = np.array(times[n // 4 : int(np.ceil(np.float32(3 * n / 4)))], dtype=np.float32)
        std = float(middle.std())
        sqrt_n = float(np.sqrt(np.float32(len(middle))))
        interval = max(1.645 * std / sqrt_n, _MIN_CONFIDENCE_INTERVAL)
        digits = int(np.floor(np.log10(np.float32(self.median / interval))))
        return min(max(digits, 1), _MAX_SIGNIFICANT_FIGURES)

    @staticmethod
    def merge(measurements) -> list:
        """The Measurements of the same task as one (their times per run together)."""
        grouped = {}
        for m in measurements:
            grouped.setdefault(m.task_spec, []).append(m)
        return [
            Measurement(1, [t for m in group for t in m.times], spec)
            for spec, group in grouped.items()
        ]

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        return self.iqr / self.median < threshold

    @property
    def has_warnings(self) -> bool:
        return bool(self._warnings())

    @property
    def title(self) -> str:
        return self.task_spec.title

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
