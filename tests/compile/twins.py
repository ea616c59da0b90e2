"""Twin worlds: one program run eagerly and compiled from the same start, compared bitwise.

A world is what a step reads: built twice from the same seed (a model, an optimizer, data),
with the step's source executed in each world's own namespace, so its globals, closures and
modules are the world's. `Twins.call` reseeds both, runs the eager step in one world and the
compiled step in the other, and asserts that outputs and every piece of state are equal.
"""

import numpy as np

import autodiff as ad
import nn
import nn.functional as F
from autodiff.compile import CompileError


class Twins:
    """world objects from build(), fn named `step` defined by source in each world."""

    def __init__(self, build, source: str, name: str = "step"):
        self.worlds = [build(), build()]
        for world in self.worlds:
            world.setdefault("ad", ad)
            world.setdefault("nn", nn)
            world.setdefault("F", F)
            world.setdefault("np", np)
            exec(compile(source, f"<twin step {name}>", "exec"), world)  # the test's own code
        self.eager = self.worlds[0][name]
        self.compiled = ad.compile(self.worlds[1][name])
        self.outcomes = []
        self.seed = 0

    def change(self, fn) -> None:
        """Apply the same change to both worlds (fn(world))."""
        for world in self.worlds:
            fn(world)

    def call(self, *args, **kwargs) -> str:
        """One call each way with args built per world (callables of the world); returns
        'traced', 'replayed' or 'eager' (fn's own call: its result carries a graph) and asserts
        everything equal."""
        self.seed += 1
        results, errors = [], []
        before, eager_before = self.compiled.traces, self.compiled.eager_calls
        for world, fn in zip(self.worlds, (self.eager, self.compiled)):
            a = [x(world) if callable(x) else x for x in args]
            k = {key: v(world) if callable(v) else v for key, v in kwargs.items()}
            ad.manual_seed(self.seed)
            try:
                results.append(fn(*a, **k))
                errors.append(None)
            except CompileError:
                raise
            except Exception as e:  # eager's own errors must be the compiled call's too
                results.append(None)
                errors.append(e)
        if errors[0] is not None or errors[1] is not None:
            assert type(errors[0]) is type(errors[1]), errors
            assert str(errors[0]) == str(errors[1])
        assert_same(results[0], results[1], "result")
        assert_worlds_equal(*self.worlds)
        outcome = "traced" if self.compiled.traces > before else "replayed"
        if self.compiled.eager_calls > eager_before:
            outcome = "eager"
        self.outcomes.append(outcome)
        return outcome

    def refused(self, *args, match: str = "") -> str:
        """The compiled call raises CompileError (naming the reason); nothing is compared."""
        a = [x(self.worlds[1]) if callable(x) else x for x in args]
        try:
            self.compiled(*a)
        except CompileError as e:
            assert match in str(e), str(e)
            self.outcomes.append("refused")
            return str(e)
        raise AssertionError("the compiled call was not refused")


def assert_same(a, b, where: str) -> None:
    """Equal values, bitwise: tensors (values, dtype, shape, requires_grad), arrays,
    numbers, containers."""
    if isinstance(a, ad.Tensor):
        assert isinstance(b, ad.Tensor), f"{where}: {type(b)}"
        assert a.requires_grad == b.requires_grad, f"{where}: requires_grad"
        _same_array(a.detach().numpy(), b.detach().numpy(), where)
    elif isinstance(a, np.ndarray):
        _same_array(a, b, where)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and a != a:
        assert b != b, f"{where}: nan vs {b}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def _same_array(a, b, where: str) -> None:
    b = np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (
        f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    )
    assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{where}: {a} vs {b}"


def assert_worlds_equal(one: dict, two: dict) -> None:
    """Every module's parameters (values, .grad, requires_grad), buffers and training flags,
    every optimizer's and scheduler's state, every tensor in the namespace."""
    for name in one:
        a, b = one[name], two[name]
        where = f"world[{name!r}]"
        if isinstance(a, nn.Module):
            for (pa, x), (pb, y) in zip(a.named_parameters(), b.named_parameters()):
                assert pa == pb, where
                _same_tensor_state(x, y, f"{where}.{pa}")
            for (ba, x), (bb, y) in zip(a.named_buffers(), b.named_buffers()):
                assert ba == bb, where
                _same_array(x.detach().numpy(), y.detach().numpy(), f"{where}.{ba}")
            assert [m.training for m in a.modules()] == [m.training for m in b.modules()]
        elif isinstance(a, ad.Tensor):
            _same_tensor_state(a, b, where)
        elif isinstance(a, (nn.optim.Optimizer, nn.optim.lr_scheduler.LRScheduler)):
            assert_same(_plain(a.state_dict()), _plain(b.state_dict()), where)


def _same_tensor_state(x, y, where: str) -> None:
    _same_array(x.detach().numpy(), y.detach().numpy(), where)
    assert x.requires_grad == y.requires_grad, f"{where}: requires_grad"
    assert (x.grad is None) == (y.grad is None), f"{where}: .grad None vs set"
    if x.grad is not None:
        _same_array(x.grad.detach().numpy(), y.grad.detach().numpy(), f"{where}.grad")


def _plain(state):
    """A state dict with tensors as arrays (optimizer states hold either)."""
    if isinstance(state, dict):
        return {k: _plain(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_plain(v) for v in state)
    if isinstance(state, ad.Tensor):
        return state.detach().numpy()
    return state
