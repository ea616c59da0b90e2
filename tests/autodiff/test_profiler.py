"""torch.profiler and torch.autograd.profiler against torch: the events a small model's
forward and backward record (names, counts, nesting, shapes, memory), the table's layout, the
schedule's steps and on_trace_ready calls, the Chrome trace, and the refusals. Times differ
between engines, so tables are compared by layout, never by numbers."""

import json
import threading
import warnings
from collections import Counter

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff import profiler
from autodiff.grad_mode import _state as _mode

OURS = (ad, nn, ad.profiler)


def _libs(torch):
    return [OURS, (torch, torch.nn, torch.profiler)]


def _model(lib, nnlib):
    """Linear -> ReLU -> Linear with fixed weights (the same in both libraries)."""
    model = nnlib.Sequential(nnlib.Linear(4, 6), nnlib.ReLU(), nnlib.Linear(6, 3))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(np.sin(np.arange(p.numel()) + i).reshape(p.shape), dtype=p.dtype))
    return model


def _inputs(lib):
    return lib.tensor(np.cos(np.arange(8.0)).reshape(2, 4), dtype=lib.float32)


FORWARD = {"aten::relu", "aten::mul", "aten::exp", "aten::sum", "aten::sub", "aten::add"}
BACKWARD = "autograd::engine::evaluate_function: "


def _top_level(prof) -> Counter:
    """The forward ops and backward nodes run at the top: names and counts."""
    return Counter(
        e.name
        for e in prof.events()
        if e.cpu_parent is None and (e.name in FORWARD or e.name.startswith(BACKWARD))
    )


def _step(lib, x, w):
    y = ((x * w).exp() - x).relu().sum()
    y.backward()
    return y


def test_events_of_a_forward_and_backward_equal_torchs():
    torch = pytest.importorskip("torch")
    counts = []
    for lib, _, prof_lib in _libs(torch):
        x = lib.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
        w = lib.tensor([[1.5, 0.25, -0.5]], requires_grad=True)
        with prof_lib.profile(activities=[prof_lib.ProfilerActivity.CPU]) as prof:
            _step(lib, x, w)
            _step(lib, x, w)
        counts.append(_top_level(prof))
    assert counts[0] == counts[1]
    assert counts[0]["aten::mul"] == 2 and counts[0][BACKWARD + "MulBackward0"] == 2
    assert counts[0][BACKWARD + "torch::autograd::AccumulateGrad"] == 4  # x and w, twice


def test_a_backward_node_holds_its_own_event_and_the_ops_its_formula_runs():
    x = ad.tensor([0.5, 2.0], requires_grad=True)
    with profiler.profile() as prof:
        (g,) = ad.autograd.grad(x.exp().sum(), x, create_graph=True)
    outer = [e for e in prof.events() if e.name == BACKWARD + "ExpBackward0"]
    assert len(outer) == 1
    (inner,) = outer[0].cpu_children
    assert inner.name == "ExpBackward0" and inner.cpu_parent is outer[0]
    assert "aten::mul" in [c.name for c in inner.cpu_children]  # create_graph: recorded ops
    assert outer[0].cpu_time_total >= inner.cpu_time_total >= 0


def test_ops_inside_record_function_are_its_children_as_in_torch():
    torch = pytest.importorskip("torch")
    children = []
    for lib, nnlib, prof_lib in _libs(torch):
        model, x = _model(lib, nnlib), _inputs(lib)
        with prof_lib.profile(record_shapes=True) as prof:
            with prof_lib.record_function("model_inference"):
                model(x).relu()
            model(x)
        (block,) = [e for e in prof.events() if e.name == "model_inference"]
        names = [c.name for c in block.cpu_children]
        children.append((names.count("aten::relu"), block.cpu_parent))
        relu = [e for e in block.cpu_children if e.name == "aten::relu"]
        assert [e.input_shapes for e in relu] == [[[2, 6]], [[2, 3]]]
        assert block.cpu_time_total >= sum(c.cpu_time_total for c in block.cpu_children)
        outside = [e for e in prof.events() if e.name == "aten::relu" and e.cpu_parent is None]
        assert len(outside) == 1
    assert children[0] == children[1] == (2, None)


def test_record_function_as_a_decorator_and_outside_a_profile():
    @profiler.record_function("double")
    def double(t):
        return t * 2

    assert double(ad.ones(2)).tolist() == [2.0, 2.0]  # no profile: nothing happens
    with profiler.profile() as prof:
        double(ad.ones(2))
        double(ad.ones(2))
    blocks = [e for e in prof.events() if e.name == "double"]
    assert len(blocks) == 2 and all(b.cpu_children[0].name == "aten::mul" for b in blocks)
    assert {e.key: e.count for e in prof.key_averages()}["double"] == 2
    with pytest.raises(TypeError, match="record_function: name must be a str"):
        profiler.record_function(3)


def test_profile_memory_counts_the_bytes_each_op_makes_as_torch():
    torch = pytest.importorskip("torch")
    memory = []
    for lib, nnlib, prof_lib in _libs(torch):
        model, x = _model(lib, nnlib), _inputs(lib)
        with prof_lib.profile(profile_memory=True) as prof:
            with prof_lib.record_function("block"):
                model(x).relu()
        relu = [e.cpu_memory_usage for e in prof.events() if e.name == "aten::relu"]
        (block,) = [e for e in prof.events() if e.name == "block"]
        memory.append(relu)
        if lib is ad:  # (torch's also counts what the block freed)
            assert block.self_cpu_memory_usage == 0 and block.cpu_memory_usage >= sum(relu)
    assert memory[0] == memory[1] == [2 * 6 * 4, 2 * 3 * 4]


def _header(table: str) -> list:
    return table.splitlines()[:3] + [table.splitlines()[-1].split(":")[0]]


@pytest.mark.parametrize(
    "options, query",
    [
        ({}, {}),
        ({"record_shapes": True}, {"group_by_input_shape": True}),
        ({"profile_memory": True}, {}),
    ],
    ids=["plain", "shapes", "memory"],
)
def test_table_layout_equals_torchs(options, query):
    torch = pytest.importorskip("torch")
    tables = []
    for lib, nnlib, prof_lib in _libs(torch):
        model, x = _model(lib, nnlib), _inputs(lib)
        with prof_lib.profile(activities=[prof_lib.ProfilerActivity.CPU], **options) as prof:
            with prof_lib.record_function("model_inference"):
                model(x).sum().backward()
        table = prof.key_averages(**query).table(sort_by="cpu_time_total", row_limit=4)
        lines = table.splitlines()
        assert len(lines) == 3 + 4 + 2 and table.endswith("\n")
        assert lines[3].split()[0] == "model_inference"  # the longest, sorted first
        tables.append(table)
    ours, theirs = tables
    if "group_by_input_shape" in query:  # the shapes column's width follows the shapes
        ours, theirs = [[line[:150] for line in _header(t)] for t in (ours, theirs)]
        assert ours == theirs
    else:
        assert _header(ours) == _header(theirs)


def test_table_cells_as_torch_formats_them():
    from autodiff.profiler.events import _format_memory, _format_time

    pytest.importorskip("torch")
    from torch.autograd import profiler_util as theirs

    for us in (0.0, 0.5, 999.9994, 1000.0, 12345.678, 2.5e6):
        assert _format_time(us) == theirs._format_time(us)
    for nbytes in (0, 24, -24, 1024, 5000, 3 * 1024**2, -(5 * 1024**3)):
        assert _format_memory(nbytes) == theirs._format_memory(nbytes)


def test_table_rows_total_and_percentages():
    with profiler.profile() as prof:
        x = ad.ones(3, requires_grad=True)
        (x * 2).sum().backward()
    events = prof.key_averages()
    table = events.table(sort_by="self_cpu_time_total", row_limit=2)
    rows = table.splitlines()[3:-2]
    assert len(rows) == 2
    first = max(events, key=lambda e: e.self_cpu_time_total)
    assert rows[0].split()[0] == first.key[:52]
    total = sum(e.self_cpu_time_total for e in events)
    assert f"{first.self_cpu_time_total * 100 / total:.2f}%" in rows[0]
    assert prof.events().self_cpu_time_total == pytest.approx(total)
    assert events.total_average().count == sum(e.count for e in events)
    assert str(events) == events.table()


def test_self_times_split_the_total_between_the_events():
    with profiler.profile() as prof:
        with profiler.record_function("outer"):
            x = ad.ones(3, requires_grad=True)
            ((x * 2.0).exp() + x).sum().backward()
    events = prof.events()
    (outer,) = [e for e in events if e.name == "outer"]
    assert len(outer.cpu_children) >= 3
    children = sum(c.cpu_time_total for c in outer.cpu_children)
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - children)
    top = sum(e.cpu_time_total for e in events if e.cpu_parent is None)
    assert events.self_cpu_time_total == pytest.approx(top)


def test_key_averages_sums_calls_and_times():
    with profiler.profile(record_shapes=True) as prof:
        a, b = ad.ones(2), ad.ones(3)
        for t in (a, a, b):
            t + 1.0
    adds = [e for e in prof.events() if e.name == "aten::add"]
    (avg,) = [e for e in prof.key_averages() if e.key == "aten::add"]
    assert avg.count == 3 and avg.input_shapes == ""
    assert avg.cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in adds))
    assert avg.cpu_time == pytest.approx(avg.cpu_time_total / 3)
    by_shape = {
        str(e.input_shapes): e.count
        for e in prof.key_averages(group_by_input_shape=True)
        if e.key == "aten::add"
    }
    assert by_shape == {"[[2], []]": 2, "[[3], []]": 1}


def test_with_stack_names_the_calling_line():
    def forward(t):
        return t.exp()

    with profiler.profile(with_stack=True) as prof:
        forward(ad.ones(2))
    (event,) = [e for e in prof.events() if e.name == "aten::exp"]
    assert event.stack[0].endswith(": forward") and "test_profiler.py(" in event.stack[0]
    table = prof.key_averages(group_by_stack_n=1).table()
    assert "Source Location" in table.splitlines()[1]


SCHEDULES = [
    dict(wait=1, warmup=1, active=2),
    dict(wait=1, warmup=1, active=2, repeat=2),
    dict(wait=0, warmup=0, active=1, repeat=3),
    dict(wait=2, warmup=1, active=3, repeat=1, skip_first=2),
    dict(wait=3, warmup=1, active=1, skip_first=1, skip_first_wait=1),
]


@pytest.mark.parametrize("kwargs", SCHEDULES, ids=str)
def test_schedule_actions_equal_torchs(kwargs):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = profiler.schedule(**kwargs), torch.profiler.schedule(**kwargs)
    assert [ours(i).name for i in range(30)] == [theirs(i).name for i in range(30)]


@pytest.mark.parametrize("kwargs", SCHEDULES, ids=str)
def test_scheduled_profile_records_the_steps_torch_records(kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for lib, _, prof_lib in _libs(torch):
        saved = []

        def ready(p, saved=saved):
            steps = [e.trace_name for e in p.events() if e.name == "ProfilerStep*"]
            adds = sum(e.count for e in p.key_averages() if e.key == "aten::add")
            saved.append((p.step_num, steps, adds))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = prof_lib.schedule(**kwargs)
            with prof_lib.profile(schedule=plan, on_trace_ready=ready) as p:
                for step in range(11):
                    for _ in range(step + 1):  # step i runs i + 1 adds
                        lib.ones(2) + 1.0
                    p.step()
        results.append(saved)
    assert results[0] == results[1]
    assert results[0]  # some span was saved


def test_a_profile_without_schedule_records_until_it_ends_and_calls_on_trace_ready():
    calls = []
    with profiler.profile(on_trace_ready=calls.append) as p:
        ad.ones(2) + 1.0
        p.step()  # no schedule: still recording, no ProfilerStep blocks
        ad.ones(2) + 1.0
    assert calls == [p]
    assert [e.name for e in p.events()] == ["aten::add", "aten::add"]


def test_chrome_trace_is_json_with_every_event(tmp_path):
    with profiler.profile(record_shapes=True) as prof:
        with profiler.record_function("block"):
            x = ad.ones(2, 3, requires_grad=True)
            (x * 2.0).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())["traceEvents"]
    assert [e["name"] for e in trace] == [e.name for e in prof.events()]
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in trace)
    by_name = {e["name"]: e for e in trace}
    block, mul = by_name["block"], by_name["aten::mul"]
    assert block["cat"] == "user_annotation" and mul["cat"] == "cpu_op"
    assert {e["cat"] for e in trace if e["name"] != "block"} == {"cpu_op"}  # backward's too
    assert [e.name for e in prof.events() if e.is_user_annotation] == ["block"]
    assert block["ts"] <= mul["ts"] and mul["ts"] + mul["dur"] <= block["ts"] + block["dur"]
    assert mul["args"]["Input Dims"] == [[2, 3], []]


@pytest.mark.filterwarnings("ignore:Warning. Profiler clears events")  # torch's, for repeat > 1
def test_tensorboard_trace_handler_writes_a_trace_per_cycle(tmp_path):
    plan = profiler.schedule(wait=0, warmup=1, active=1, repeat=2)
    handler = profiler.tensorboard_trace_handler(str(tmp_path / "log"), worker_name="w")
    with profiler.profile(schedule=plan, on_trace_ready=handler) as p:
        for _ in range(5):
            ad.ones(2) * 3.0
            p.step()
    files = sorted((tmp_path / "log").glob("w.*.pt.trace.json"))
    assert len(files) == 2
    assert all(json.loads(f.read_text())["traceEvents"] for f in files)


def test_the_older_autograd_profiler_shares_the_recording():
    torch = pytest.importorskip("torch")
    layouts = []
    for lib, nnlib, _ in _libs(torch):
        model, x = _model(lib, nnlib), _inputs(lib)
        with lib.autograd.profiler.profile(use_cuda=False, record_shapes=True) as prof:
            with lib.autograd.profiler.record_function("model_inference"):
                model(x).sum().backward()
        names = [e.name for e in prof.function_events]
        assert "model_inference" in names and BACKWARD + "ReluBackward0" in names
        assert prof.self_cpu_time_total == pytest.approx(prof.function_events.self_cpu_time_total)
        assert prof.total_average().key == "Total"
        table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
        layouts.append(_header(table))
    assert layouts[0] == layouts[1]
    with ad.autograd.profiler.profile(enabled=False) as off:
        ad.ones(2) + 1.0
    assert str(off) == "<unfinished torch.autograd.profile>"


def test_unsupported_options_are_refused():
    with pytest.raises(NotImplementedError, match="ProfilerActivity.CUDA is not supported"):
        profiler.profile(activities=[profiler.ProfilerActivity.CPU, profiler.ProfilerActivity.CUDA])
    with pytest.raises(NotImplementedError, match="with_flops=True is not supported"):
        profiler.profile(with_flops=True)
    with pytest.raises(NotImplementedError, match="use_cuda=True"):
        ad.autograd.profiler.profile(use_cuda=True)
    with pytest.warns(FutureWarning, match="`use_cuda` is deprecated"):
        profiler.profile(use_cuda=False)
    with pytest.raises(NotImplementedError, match="use_gzip"):
        profiler.tensorboard_trace_handler("x", use_gzip=True)
    with pytest.raises(AssertionError, match="active=0 \\(need > 0\\)"):
        profiler.schedule(wait=0, warmup=0, active=0)
    with pytest.raises(AssertionError, match="has not finished recording"):
        with profiler.profile() as p:
            p.events()


def test_profiling_is_off_outside_the_block_and_in_other_threads():
    seen = []
    with profiler.profile() as prof:
        thread = threading.Thread(target=lambda: seen.append((ad.ones(2) * 2.0, _mode.profiler)))
        thread.start()
        thread.join()
        ad.ones(2) - 1.0
    assert seen[0][1] is None and _mode.profiler is None
    assert [e.name for e in prof.events()] == ["aten::sub"]
    with pytest.raises(ZeroDivisionError):
        with profiler.profile():
            raise ZeroDivisionError
    assert _mode.profiler is None


def test_op_names_follow_torchs_aten_names():
    from autodiff.profiler.recorder import aten, op_name

    class MyCube(ad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x**3

    with profiler.profile() as prof:
        x = ad.ones(2, 3)
        x.requires_grad_()
        x @ x.t()  # its node says MmBackward0: torch's aten::mm
        x.log_softmax(1)
        MyCube.apply(x)
    names = [e.name for e in prof.events()]
    assert "aten::mm" in names and "aten::log_softmax" in names and "MyCube" in names
    assert op_name(type(None)) == "NoneType"  # a class from elsewhere keeps its name
    assert aten("AddmmBackward0") == "aten::addmm" and aten("SpecialZetaBackward1") == (
        "aten::special_zeta"
    )


def test_a_compiled_replay_is_one_event():
    w = ad.tensor([1.0, 2.0], requires_grad=True)

    def step(x):
        loss = (w * x).exp().sum()
        loss.backward()
        return loss

    compiled = ad.compile(step)
    compiled(ad.ones(2))  # traced with w.grad None
    compiled(ad.ones(2))  # traced with a w.grad to add to
    with profiler.profile() as prof:
        compiled(ad.ones(2))
        compiled(ad.ones(2))
    assert [e.name for e in prof.events()] == ["Torch-Compiled Region"] * 2
    assert compiled.traces == 2
