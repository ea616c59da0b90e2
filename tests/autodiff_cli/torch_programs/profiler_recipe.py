# PyTorch's profiler recipe (pytorch.org/tutorials/recipes/recipes/profiler_recipe.html) on a
# small model: record_function blocks, the key_averages table, input shapes, memory, a Chrome
# trace, a schedule with on_trace_ready; then torch.utils.benchmark's Timer, a custom Function
# with @once_differentiable, torch.compiler.disable and sdpa_kernel. Times differ from run to
# run (and between engines), so only the table's layout and the recorded names and counts are
# printed, never a time.
import json
import re
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.benchmark as benchmark
from torch.autograd.function import once_differentiable
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.profiler import ProfilerActivity, profile, record_function, schedule

model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
with torch.no_grad():  # fixed weights, so the numbers do not depend on the random stream
    for i, p in enumerate(model.parameters()):
        p.copy_(0.3 * torch.sin(torch.arange(p.numel()) * 0.7 + i).reshape(p.shape))
inputs = torch.cos(torch.arange(40.0) / 5).reshape(5, 8)


def layout(table):
    """The table's header words and its footer's label: what does not depend on times."""
    lines = table.splitlines()
    return re.split(r"\s{2,}", lines[1].strip()), lines[-1].split(":")[0]


with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        model(inputs)
print("table:", *layout(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)))
averages = {e.key: e for e in prof.key_averages()}
print("model_inference calls:", averages["model_inference"].count)
shapes = prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10)
print("by shape:", *layout(shapes))
print("relu shapes:", [e.input_shapes for e in prof.events() if e.name == "aten::relu"])

with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True) as prof:
    loss = model(inputs).relu().sum()
    loss.backward()
print("memory:", *layout(prof.key_averages().table(sort_by="self_cpu_memory_usage")))
relu = [e for e in prof.events() if e.name == "aten::relu"]
print("relu memory:", [e.cpu_memory_usage for e in relu])  # two float32 (5, 16) and (5, 4)
backward = sorted(
    (e.key, e.count)
    for e in prof.key_averages()
    if e.key.endswith(("ReluBackward0", "AddmmBackward0", "SumBackward0"))
)
print("backward:", backward)

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
folder.mkdir(parents=True, exist_ok=True)
with profile(activities=[ProfilerActivity.CPU]) as prof:
    with record_function("model_inference"):
        model(inputs)
prof.export_chrome_trace(str(folder / "trace.json"))
trace = json.loads((folder / "trace.json").read_text())["traceEvents"]
block = [e for e in trace if e.get("name") == "model_inference"]
print("trace:", len(block), block[0]["ph"], block[0]["cat"], block[0]["dur"] > 0)

ready = []


def trace_handler(p):
    steps = sorted(e.key for e in p.key_averages() if e.key.startswith("ProfilerStep"))
    ready.append((p.step_num, steps))


my_schedule = schedule(skip_first=1, wait=1, warmup=1, active=2, repeat=2)
with profile(
    activities=[ProfilerActivity.CPU], schedule=my_schedule, on_trace_ready=trace_handler
) as p:
    for _ in range(12):
        model(inputs).sum().backward()
        p.step()
print("schedule:", ready)

timer = benchmark.Timer(
    stmt="model(x)",
    setup="x = torch.ones(5, 8)",
    globals={"model": model},
    label="mlp",
    sub_label="5 by 8",
    description="forward",
)
m = timer.timeit(100)
print("timeit:", re.sub(r"\d+\.\d+ \w+$", "<time>", repr(m).split("\n", 1)[1], flags=re.M))
m = benchmark.Timer(stmt="model(inputs)", globals=globals()).blocked_autorange(min_run_time=0.05)
print("blocked:", m.number_per_run >= 1, len(m.times) >= 1, m.median > 0, m.mean > 0)


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


x = torch.tensor([1.0, 2.0], requires_grad=True)
(g,) = torch.autograd.grad((Cube.apply(x) * x).sum(), x, create_graph=True)
print("once_differentiable:", g.tolist())
try:
    g.sum().backward()
except RuntimeError as e:
    print("twice:", e)


@torch.compiler.disable
def scale(t):
    return t * 2 + 1


print("disabled:", torch.compile(scale)(torch.ones(3)).tolist(), torch.compiler.is_compiling())
q = torch.sin(torch.arange(24.0)).reshape(1, 2, 3, 4)
with sdpa_kernel(SDPBackend.MATH):
    print("sdpa math:", round(F.scaled_dot_product_attention(q, q, q).sum().item(), 4))
with sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION]):
    try:
        F.scaled_dot_product_attention(q, q, q)
    except RuntimeError as e:
        print("sdpa efficient:", e)
