"""torch.utils.benchmark.Compare: many Measurements as one table per label (a row per
sub_label or statement and thread count, a column per description), printed as torch prints
it. Digits are computed in float32 where torch's are (its tensors' default dtype)."""

import collections
import enum
import itertools
import operator

from .common import Measurement, _log10_ceil, select_unit, trim_sigfig

__all__ = ["Colorize", "Compare"]

BEST, GOOD = "\033[92m", "\033[34m"
BAD, VERY_BAD = "\033[2m\033[91m", "\033[31m"
BOLD, TERMINATE = "\033[1m", "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


class _Column:
    """One description's cells: the number format its values share."""

    def __init__(self, grouped, time_scale, trim, highlight):
        self._grouped = grouped
        flat = [*itertools.chain.from_iterable(grouped)]
        self._trim = trim
        self._highlight = highlight and any(r.has_warnings for r in flat if r)
        leading = [_log10_ceil(r.median / time_scale) if r else None for r in flat]
        unit_digits = max(d for d in leading if d is not None)
        decimal_digits = (
            min(
                max(m.significant_figures - d, 0)
                for d, m in zip(leading, flat)
                if m is not None and d is not None
            )
            if trim
            else 1
        )
        length = unit_digits + decimal_digits + (1 if decimal_digits else 0)
        self._template = f"{{:>{length}.{decimal_digits}f}}{{:>{7 if self._highlight else 0}}}"

    def get_results_for(self, group):
        return self._grouped[group]

    def num_to_str(self, value, estimated_sigfigs, spread):
        if value is None:
            return " " * len(self.num_to_str(1, estimated_sigfigs, None))
        if self._trim:
            value = trim_sigfig(value, estimated_sigfigs)
        note = f" (! {spread * 100:.0f}%)" if self._highlight and spread is not None else ""
        return self._template.format(value, note)


class _Row:
    """One row: its name (and env) and its cells, colored against the best if asked."""

    def __init__(self, results, group, render_env, env_len, time_scale, colorize, threads):
        self._results, self._group = results, group
        self._render_env, self._env_len = render_env, env_len
        self._time_scale, self._colorize, self._threads = time_scale, colorize, threads
        self._columns = ()

    def as_column_strings(self):
        first = [r for r in self._results if r is not None][0]
        env = (f"({first.env})" if self._render_env else "").ljust(self._env_len + 4)
        output = ["  " + env + first.as_row_name]
        for m, column in zip(self._results, self._columns):
            if m is None:
                output.append(column.num_to_str(None, 1, None))
            else:
                spread = m.iqr / m.median if m.has_warnings else None
                output.append(
                    column.num_to_str(m.median / self._time_scale, m.significant_figures, spread)
                )
        return output

    @staticmethod
    def color_segment(segment, value, best):
        if value <= best * 1.01 or value <= best + 100e-9:
            return BEST + BOLD + segment + TERMINATE * 2
        if value <= best * 1.1:
            return GOOD + BOLD + segment + TERMINATE * 2
        if value >= best * 5:
            return VERY_BAD + BOLD + segment + TERMINATE * 2
        if value >= best * 2:
            return BAD + segment + TERMINATE * 2
        return segment

    def row_separator(self, width):
        return [] if self._threads is None else [f"{self._threads} threads: ".ljust(width, "-")]

    def finalize_column_strings(self, strings, widths):
        best = [-1] * len(strings)
        if self._colorize == Colorize.ROWWISE:
            best = [min(r.median for r in self._results if r is not None)] * len(strings)
        elif self._colorize == Colorize.COLUMNWISE:
            best = [
                min(
                    (r.median for r in c.get_results_for(self._group) if r is not None),
                    default=None,
                )
                for c in self._columns
            ]
        cells = [strings[0].ljust(widths[0])]
        for text, width, result, low in zip(strings[1:], widths[1:], self._results, best):
            text = text.center(width)
            if self._colorize != Colorize.NONE and result is not None and low is not None:
                text = self.color_segment(text, result.median, low)
            cells.append(text)
        return cells


class _Table:
    """The Measurements of one label, laid out."""

    def __init__(self, results, colorize, trim, highlight):
        self.results, self._highlight = results, highlight
        self.label = results[0].label
        self.time_unit, self.time_scale = select_unit(min(r.median for r in results))
        self.row_keys = list(dict.fromkeys(self.row_fn(r) for r in results))
        self.row_keys.sort(key=operator.itemgetter(slice(2)))  # keeps the statements' order
        self.column_keys = list(dict.fromkeys(r.description for r in results))
        self.rows = self._rows(colorize, trim, highlight)

    @staticmethod
    def row_fn(m):
        return m.num_threads, m.env, m.as_row_name

    def _rows(self, colorize, trim, highlight):
        ordered = [[None] * len(self.column_keys) for _ in self.row_keys]
        row_at = {k: i for i, k in enumerate(self.row_keys)}
        col_at = {k: i for i, k in enumerate(self.column_keys)}
        for r in self.results:
            ordered[row_at[self.row_fn(r)]][col_at[r.description]] = r
        envs = {r.env for r in self.results}
        render_env = len(envs) > 1
        env_len = max(len(e) for e in envs) if render_env else 0
        rows, groups, prior_threads, prior_env = [], [], -1, ""
        for (threads, env, _), row in zip(self.row_keys, ordered):
            new_group = threads != prior_threads
            if new_group:
                prior_threads, prior_env = threads, ""
                groups.append([])
            rows.append(
                _Row(row, len(groups) - 1, render_env and env != prior_env, env_len,
                     self.time_scale, colorize, threads if new_group else None)
            )  # fmt: skip
            groups[-1].append(row)
            prior_env = env
        columns = tuple(
            _Column([tuple(row[i] for row in g) for g in groups], self.time_scale, trim, highlight)
            for i in range(len(self.column_keys))
        )
        for row in rows:
            row._columns = columns
        return rows

    def render(self) -> str:
        strings = [[""] + self.column_keys]
        strings += [r.as_column_strings() for r in self.rows]
        width = max(len(s) for s in strings)
        for s in strings:
            s.extend([""] * (width - len(s)))
        widths = [max(len(c) for c in column) for column in zip(*strings)]
        lines = ["  |  ".join(c.center(w) for c, w in zip(strings[0], widths))]
        overall = len(lines[0])
        for texts, row in zip(strings[1:], self.rows):
            lines += row.row_separator(overall)
            lines.append("  |  ".join(row.finalize_column_strings(texts, widths)))
        units = {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}
        warned = self._highlight and any(r.has_warnings for r in self.results)
        note = (
            "(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
            if warned
            else ""
        )
        title = f" {self.label or ''} ".center(overall - 2, "-")
        body = "\n".join(lines)
        return f"[{title}]\n{body}\n\nTimes are in {units[self.time_unit]}s ({self.time_unit}).\n{note}"


class Compare:
    """Measurements as tables, one per label: Compare(results).print()."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results) -> None:
        """Add more Measurements."""
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim_significant_figures = True

    def colorize(self, rowwise=False) -> None:
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self):
        grouped = collections.defaultdict(list)
        for r in Measurement.merge(self._results):
            grouped[r.label].append(r)
        return [
            _Table(group, self._colorize, self._trim_significant_figures,
                   self._highlight_warnings).render()
            for group in grouped.values()
        ]  # fmt: skip
