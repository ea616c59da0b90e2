"""Every row of the op table under ad.compile: a traced step, its replay, and a replay on new
values each equal the eager step bitwise (output and every input's gradient). Only the rows
listed in REFUSED may be refused instead, with a CompileError naming the reason."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optable import ROWS, case, leaves, upstream

import autodiff as ad
from autodiff.compile import CompileError

# row -> what the refusal names: ops built from steps a replay cannot repeat
REFUSED = {
    "lstsq": ".numpy() reads",  # the rank and the driver's choice come from the values
    "diff": "copy_ on a tensor in the graph",  # n=0: a copy into a new tensor, as torch's
}


def run(step, arrays, grad):
    """The step on fresh leaves: its output and each leaf's gradient, as arrays."""
    ts = leaves(arrays)
    ad.manual_seed(0)  # random ops (dropout, rrelu) draw the same numbers both ways
    out = step(*ts, grad=grad)
    return [out.detach().numpy()] + [t.grad.detach().numpy() for t in ts]


@pytest.mark.parametrize("op", ROWS, ids=str)
@settings(max_examples=max(3, settings.default.max_examples // 8))
@given(data=st.data())
def test_compiled_step_equals_eager(op, data):
    shapes_kwargs = data.draw(op.cases, label="shapes")
    first, second = (data.draw(case(op, shapes_kwargs), label="inputs") for _ in range(2))
    fn, kwargs = op.fn, first[1]

    def step(*ts, grad):
        out = fn(*ts, **kwargs)
        out.backward(grad)
        return out.detach()

    compiled = ad.compile(step)
    for arrays in (first[0], first[0], second[0]):  # trace, replay, replay on new values
        with ad.no_grad():
            shape = fn(*leaves(arrays), **kwargs).shape
        grad = ad.tensor(upstream(shape, 7))
        eager = run(step, arrays, grad)
        try:
            replayed = run(compiled, arrays, grad)
        except CompileError as e:
            assert op.name in REFUSED, f"{op.name} refused: {e}"
            assert REFUSED[op.name] in str(e)
            return
        for i, (a, b) in enumerate(zip(eager, replayed)):
            assert a.dtype == b.dtype and a.shape == b.shape, (i, a.dtype, b.dtype)
            assert np.array_equal(a, b, equal_nan=True), "output" if i == 0 else f"grad {i}"
    assert compiled.eager_calls == 0
    assert compiled.traces == 1, "the same shapes and options traced again"
