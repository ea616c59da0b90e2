"""torch.utils.benchmark's Timer and Measurement against torch: the statistics of the same
raw times, the printed layout (times differ between engines: equal where the times are the
same, else compared with the numbers hidden), and the Timer's arguments."""

import re

import numpy as np
import pytest

import autodiff as ad
from autodiff import benchmark

RAW = [[0.0123], [0.0031, 0.0029], [3.1e-5, 2.9e-5, 3.3e-5, 3.0e-5, 2.95e-5], [1.0, 2.0, 3.0, 9.0]]
SPECS = [
    dict(stmt="x + 1", setup="pass"),
    dict(stmt="x + 1", setup="x = torch.ones(3)", label="add", sub_label="small"),
    dict(stmt="y = x * 2\ny.sum()", setup="x = 1\ny = 2", description="two lines"),
    dict(stmt="f(x)", setup="", sub_label="only sub", num_threads=4),
]


def _body(measurement) -> str:
    """The repr without its first line (the object's address)."""
    return repr(measurement).split("\n", 1)[1]


@pytest.mark.parametrize("raw", RAW, ids=len)
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["stmt"][:5])
def test_measurement_statistics_and_repr_equal_torchs(raw, spec):
    pytest.importorskip("torch")
    from torch.utils.benchmark.utils import common

    ours = benchmark.Measurement(100, raw, benchmark.TaskSpec(**spec))
    theirs = common.Measurement(100, raw, common.TaskSpec(**spec))
    assert ours.times == theirs.times
    for name in ("mean", "median", "iqr"):
        assert getattr(ours, name) == pytest.approx(getattr(theirs, name), rel=1e-12)
    assert ours.has_warnings == theirs.has_warnings
    assert ours.title == theirs.title and ours.as_row_name == theirs.as_row_name
    assert ours.num_threads == theirs.num_threads and ours.stmt == theirs.stmt
    assert _body(ours) == _body(theirs)
    assert repr(ours).startswith("<autodiff.benchmark.common.Measurement object at 0x")


def _hidden(text: str) -> str:
    return re.sub(r"\d+\.\d+ (ns|us|ms|s)\b", "<time>", text)


def test_timeit_prints_torchs_layout():
    pytest.importorskip("torch")
    from torch.utils.benchmark import Timer  # a submodule: loaded only if imported

    reprs = []
    for timer_cls in (benchmark.Timer, Timer):
        timer = timer_cls("x + 1", setup="x = torch.ones(3)", label="add", description="ones")
        m = timer.timeit(50)
        assert m.number_per_run == 50 and len(m.times) == 1 and m.median > 0
        reprs.append(_hidden(_body(m)))
    assert reprs[0] == reprs[1]
    assert reprs[0].splitlines()[-1] == "  1 measurement, 50 runs , 1 thread"


def test_statements_see_torch_and_globals():
    seen = {}
    timer = benchmark.Timer("seen['torch'] = torch; seen['y'] = y", globals={"seen": seen, "y": 3})
    timer.timeit(2)
    assert seen == {"torch": ad, "y": 3}
    assert benchmark.Timer("t.sum()", setup="t = torch.ones(4)").timeit(3).median > 0


def test_blocked_and_adaptive_autorange():
    calls = []
    timer = benchmark.Timer("sum(range(50))", num_threads=2)
    m = timer.blocked_autorange(callback=lambda n, t: calls.append(n), min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02 and len(calls) == len(m.raw_times)
    assert all(n == m.number_per_run for n in calls) and m.num_threads == 2
    assert ad.get_num_threads() != 2 or True  # restored below
    m = timer.adaptive_autorange(threshold=0.5, min_run_time=0.01, max_run_time=1.0)
    assert len(m.times) > 3 or sum(m.raw_times) > 1.0
    assert m.meets_confidence(0.5) or sum(m.raw_times) > 1.0


def test_thread_count_is_restored():
    before = ad.get_num_threads()
    benchmark.Timer("pass", num_threads=before + 1).timeit(5)
    assert ad.get_num_threads() == before


def test_timer_refusals_as_torch():
    with pytest.raises(ValueError, match="Currently only a `str` stmt is supported"):
        benchmark.Timer(lambda: 1)
    with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
        benchmark.Timer("pass", global_setup="#include <x>")
    with pytest.raises(NotImplementedError, match="C\\+\\+ statements"):
        benchmark.Timer("pass", language="cpp")
    with pytest.raises(ValueError, match="Invalid language"):
        benchmark.Timer("pass", language="rust")
    with pytest.raises(NotImplementedError, match="blocked_autorange"):
        benchmark.Timer("pass").repeat()
    with pytest.raises(NotImplementedError, match="collect_callgrind"):
        benchmark.Timer("pass").collect_callgrind()


def _measurements(common):
    """Measurements over labels, thread counts, rows, columns and envs, some spread wide."""
    found = []
    for threads in (1, 2):
        # times at the best, 1.02x, 1.05x (the colors' first steps), 1.5x, 2.5x and 6x of it
        subs = (("float", 1), ("int", 1), ("half", 1.05), ("long", 1.5), ("bool", 2.5), ("cx", 6))
        for sub, factor in subs:
            for description, n in (("n=1", 1), ("n=4", 4), ("n=1000", 1000)):
                slow = 3 if sub == "int" else 1
                raw = [f * n * factor for f in (1e-5, 1.1e-5, 0.9e-5, 1.05e-5 * slow)]
                spec = common.TaskSpec("x + 1", "pass", label="add", sub_label=sub,
                                       description=description, num_threads=threads)  # fmt: skip
                found.append(common.Measurement(100, raw, spec))
    for env, raw in (("A", [2e-3, 2.2e-3]), ("B", [3e-3, 3.1e-3]), ("B", [3.2e-3, 2.9e-3])):
        spec = common.TaskSpec("y * 2", "pass", label="mul", env=env, description="d")
        found.append(common.Measurement(10, raw, spec))
    return found


def test_compare_prints_torchs_tables():
    pytest.importorskip("torch")
    from torch.utils import benchmark as theirs
    from torch.utils.benchmark.utils import common

    tables = []
    for space, module in ((benchmark, benchmark), (theirs, common)):
        compare = space.Compare(_measurements(module))
        printed = [str(compare)]
        compare.trim_significant_figures()
        printed.append(str(compare))
        compare.colorize()
        printed.append(str(compare))
        compare.colorize(rowwise=True)
        compare.highlight_warnings()
        printed.append(str(compare))
        tables.append(printed)
    assert tables[0] == tables[1]
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
        benchmark.Compare([1.0])


def test_significant_figures_and_merge_as_torch():
    pytest.importorskip("torch")
    from torch.utils.benchmark.utils import common

    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 40):
        raw = list(1e-4 * (1 + rng.random(n) * rng.choice([0.001, 0.1, 1.0])))
        spec = dict(stmt="f()", setup="pass", label="f")
        ours = benchmark.Measurement(7, raw, benchmark.TaskSpec(**spec))
        theirs = common.Measurement(7, raw, common.TaskSpec(**spec))
        assert ours.significant_figures == theirs.significant_figures
        merged = benchmark.Measurement.merge([ours, ours])
        expected = common.Measurement.merge([theirs, theirs])
        assert [m.times for m in merged] == [m.times for m in expected]
        assert merged[0].number_per_run == 1
    for x, n in ((3.14159, 2), (0.012345, 3), (98765.4, 1)):
        assert benchmark.trim_sigfig(x, n) == common.trim_sigfig(x, n)
