"""ad.compile meets the engine at one seam plus announcements (autodiff/tracing.py). These
tests keep it so: a new place that touches a tensor's array outside an op, a new place in the
engine that asks about the tracer, or an optimizer step that is not announced fails here."""

import ast
import inspect
from pathlib import Path

import pytest

import autodiff as ad
import nn

ROOT = Path(__file__).resolve().parents[2]

# the engine's core and the compiler itself: they implement the ops and the seam
CORE = {"autodiff/tensor.py", "autodiff/function.py", "autodiff/engine.py", "autodiff/graph.py"}
CORE |= {"autodiff/tracing.py", "autodiff/saved.py", "autodiff/views.py", "autodiff/gradients.py"}
CORE |= {"autodiff/hooks.py"}

# every other function that reads `t._data` outside an op's forward/backward, and why a
# compiled replay stays right (the rest of the library uses ops, or .numpy(), which is
# announced: inside a trace it is refused)
ARRAY_READS = {
    ("autodiff/creation.py", "tensor"): "identity checks (is the copy the same array?)",
    ("autodiff/autograd/function.py", "FunctionCtx.save_for_backward"): "the version entry "
    "of a saved tensor (its array: what the refusal names); a torch-style Function refuses "
    "ad.compile",
    ("autodiff/multiprocessing.py", "_reduce_tensor"): "pickling a tensor for another "
    "process sends its memory, not a value an op computes",
    ("autodiff/gradcheck.py", "_analytic"): "a finite-difference checker, never compiled",
    ("autodiff/gradcheck.py", "_numeric"): "a finite-difference checker, never compiled",
    ("autodiff/testing/properties.py", "_pairing"): "a test helper, never compiled",
    ("autodiff/testing/properties.py", "numeric_gradient"): "a test helper, never compiled",
    ("autodiff/testing/properties.py", "assert_gradients_match"): "a test helper, never compiled",
    ("autodiff/ops/comparison.py", "_array"): "the shapes in a broadcasting error message",
    ("autodiff/ops/indexing.py", "normalize_index"): "index tensors become the op's arrays; "
    "the tracer maps each array back to its tensor",
    ("autodiff/ops/inplace.py", "_write"): "the one in-place write, announced (tracing.wrote)",
    ("autodiff/ops/inplace.py", "_keep_old_self"): "graph bookkeeping of an in-place op on a "
    "graph tensor, which a trace refuses",
    ("autodiff/ops/inplace.py", "_saved_output_is_storage"): "the same",
    ("autodiff/ops/inplace.py", "reshape_"): "an in-place change of shape (squeeze_, t_): the "
    "tensor takes its view's array; a trace refuses it (tracing.read)",
    ("autodiff/ops/strided.py", "as_strided"): "the storage's geometry (offset, layout) for the "
    "view's options; a trace refuses it (tracing.read)",
    ("autodiff/ops/inplace.py", "resize_"): "resize_ replaces the tensor's array; a trace refuses "
    "it (tracing.read)",
    ("autodiff/meta.py", "moved"): "a meta tensor's shape and dtype (no values); inside a trace "
    "an op meets its MetaArray first, which NumPy refuses",
    ("autodiff/meta.py", "run"): "whether an input is meta (its array's class), the same",
    ("autodiff/meta.py", "_zeros"): "a meta input's shape and dtype, the same",
    ("autodiff/meta.py", "_as_meta"): "a result's shape and dtype, made meta, the same",
    ("autodiff/sparse.py", "_array"): "a sparse tensor's arrays (or a dense one made sparse), "
    "announced (tracing.read): a trace refuses it, as it refuses any op on a sparse tensor",
}

# the engine's places that ask whether a trace runs (the rest only announce)
ASKS = {
    ("autodiff/function.py", "Function.apply"): "the seam: an op becomes a step",
    ("autodiff/function.py", "Context.saved_tensors"): "saved values as Tensors when traced",
    ("autodiff/engine.py", "run_backward"): "gradients as Tensors while tracing",
    ("autodiff/engine.py", "_drain"): "passes the tracer on (and flows Tensors for it)",
    ("autodiff/engine.py", "evaluate"): "the tracer runs (and records) a node's formula",
    ("autodiff/engine.py", "_accumulate"): "AccumulateGrad: the tracer writes .grad (a step)",
}


def _functions(path: Path):
    """(qualified function name, node) for every node inside a def, with its class prefix."""
    tree = ast.parse(path.read_text())

    def visit(node, names):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                yield from visit(child, names + [child])
            else:
                yield ".".join(n.name for n in names), names, child
                yield from visit(child, names)

    yield from visit(tree, [])


def _in_op(names) -> bool:
    """Inside forward/backward of a class: an op's own code."""
    return (
        len(names) >= 2
        and isinstance(names[-2], ast.ClassDef)
        and names[-1].name in ("forward", "backward")
    )


def _library():
    for package in ("autodiff", "nn"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in CORE and not rel.startswith("autodiff/compile/"):
                yield rel, path


def test_every_array_read_outside_an_op_is_listed_with_its_reason():
    found = set()
    for rel, path in _library():
        for qualname, names, node in _functions(path):
            if isinstance(node, ast.Attribute) and node.attr == "_data" and not _in_op(names):
                found.add((rel, qualname))
    assert found == set(ARRAY_READS), (
        "new (or gone) reads of a tensor's array outside an op: make it an op, use .numpy() "
        f"(announced), or list it with its reason: {sorted(found ^ set(ARRAY_READS))}"
    )


def test_only_the_listed_engine_places_ask_about_the_tracer():
    found = set()
    engine = CORE - {"autodiff/tracing.py"} | {"autodiff/ops/inplace.py", "autodiff/creation.py"}
    for rel in sorted(engine):
        for qualname, _, node in _functions(ROOT / rel):
            text = ast.unparse(node) if isinstance(node, ast.expr) else ""
            if isinstance(node, ast.Name) and node.id == "tracer" or "_state.tracer" in text:
                found.add((rel, qualname))
            if "tracing.tracer()" in text:
                found.add((rel, qualname))
    assert found == set(ASKS), sorted(found ^ set(ASKS))


# the engine's places that ask whether torch.profiler records (one check each: a profile costs
# nothing while none runs)
PROFILER_ASKS = {
    ("autodiff/function.py", "Function.apply"): "the seam: an op becomes an event",
    ("autodiff/engine.py", "_drain"): "once per backward pass: each node becomes an event",
}


def test_only_the_listed_engine_places_ask_about_the_profiler():
    found = {}
    for rel in sorted(CORE):
        for qualname, _, node in _functions(ROOT / rel):
            if isinstance(node, ast.Attribute) and node.attr == "profiler":
                found.setdefault((rel, qualname), []).append(node)
    assert set(found) == set(PROFILER_ASKS), sorted(set(found) ^ set(PROFILER_ASKS))
    # Function.apply reads it once before recording (and once more to hand the op over)
    text = inspect.getsource(ad.Function.apply)
    assert text.count("_mode.profiler is not None") == 1


OPTIMIZERS = [
    name
    for name in sorted(nn.optim.__all__)
    if inspect.isclass(getattr(nn.optim, name))
    and issubclass(getattr(nn.optim, name), nn.optim.Optimizer)
]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers_announce_their_steps(name):
    cls = getattr(nn.optim, name)
    for method in ("step", "zero_grad"):
        assert getattr(getattr(cls, method), "replayed", False), f"{name}.{method}"
    assert cls._compile_live


def test_schedulers_announce_their_steps():
    module = nn.optim.lr_scheduler
    schedulers = [
        getattr(module, n)
        for n in dir(module)
        if inspect.isclass(getattr(module, n))
        and issubclass(getattr(module, n), module.LRScheduler)
    ]
    assert len(schedulers) > 5
    for cls in schedulers:
        assert getattr(cls.step, "replayed", False), cls.__name__


def test_tracing_state_belongs_to_the_thread():
    import threading

    from autodiff import tracing

    seen = []
    compiled = ad.compile(lambda t: seen.append(tracing.tracer() is not None) or t * 2.0)
    thread = threading.Thread(target=lambda: seen.append(tracing.tracer() is None))
    compiled(ad.ones(2))
    thread.start()
    thread.join()
    assert seen == [True, True] and tracing.tracer() is None
