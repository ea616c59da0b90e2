"""ad.compile: replays equal eager runs, side effects as eager, guards re-trace, clear refusals."""

import gc
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.compile import CompileError, source
from autodiff.ops.arithmetic import Add, Mul


def _leaves(seed=0, shape=(5,)):
    rng = np.random.default_rng(seed)
    return [ad.tensor(rng.standard_normal(shape), requires_grad=True) for _ in range(2)]


def test_replay_equals_eager_and_accumulates_like_eager():
    a, b = _leaves()
    ea, eb = [ad.tensor(t.detach().numpy().copy(), requires_grad=True) for t in (a, b)]

    def step(x, y):
        out = (x * y + x.exp() / 2.0).sum()
        out.backward()
        return out

    compiled = ad.compile(step)
    for _ in range(3):  # gradients accumulate across calls, as eager
        got = compiled(a, b)
        want = step(ea, eb)
        assert got.item() == want.item()
        np.testing.assert_array_equal(a.grad.detach().numpy(), ea.grad.detach().numpy())
        np.testing.assert_array_equal(b.grad.detach().numpy(), eb.grad.detach().numpy())
    assert compiled.traces == 2  # the first call found no .grad, the second one did
    assert "# MulBackward0" in compiled.code and "first_gradient(" in compiled.code


def test_python_float_chain_and_captured_leaf():
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)

    def chain():
        x.grad = None if False else x.grad  # reading attributes is fine
        y = x
        for _ in range(50):
            y = y * 1.0001 + 0.0001
        y.backward()
        return y

    compiled = ad.compile(chain)
    first = compiled()
    g1 = x.grad.item()
    x.grad = None
    second = compiled()
    assert second.item() == first.item()
    assert x.grad.item() == g1 == pytest.approx(1.0001**50)


def test_new_shapes_retrace_same_shapes_replay():
    w = ad.tensor(np.ones(3), requires_grad=True)
    compiled = ad.compile(lambda x: (x @ w).sum())
    with ad.no_grad():  # a result without a graph: replayed (one with a graph runs eagerly)
        compiled(ad.tensor(np.ones((2, 3))))
        compiled(ad.tensor(np.ones((2, 3)) * 2))
        assert compiled.traces == 1
        out = compiled(ad.tensor(np.ones((4, 3))))
    assert compiled.traces == 2 and out.item() == 12.0 and compiled.eager_calls == 0


def test_inputs_are_read_each_call():
    w = ad.tensor(np.arange(3.0), requires_grad=True)

    def f(x):
        y = (x * w).sum()
        y.backward()
        return y

    compiled = ad.compile(f)
    for k in range(1, 4):
        w.grad = None
        x = ad.tensor(np.full(3, float(k)))
        assert compiled(x).item() == 3.0 * k
        np.testing.assert_array_equal(w.grad.detach().numpy(), np.full(3, float(k)))


@pytest.mark.parametrize(
    "read", [lambda t: t.item(), float, bool, lambda t: t.tolist(), lambda t: t.detach().numpy()]
)
@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")  # float(): torch's
def test_value_reads_are_refused(read):
    w = ad.tensor(np.ones(1), requires_grad=True)

    def f():
        y = (w * 2.0).sum()
        read(y)
        return y

    with pytest.raises(CompileError, match="compile: .*inside the compiled function"):
        ad.compile(f)()
    assert (w * 2.0).sum().item() == 2.0  # the patches are gone after the refusal


def test_draws_and_constants_made_inside_are_made_again_each_call():
    w = ad.tensor(np.ones(3), requires_grad=True)

    def f():
        noise = ad.randn(3)
        offset = ad.tensor([1.0, 2.0, 3.0])
        offset += 1.0  # a constant changed in place: each call starts from the constant
        return (w * noise + offset).sum()

    compiled = ad.compile(f)
    for seed in range(3):
        ad.manual_seed(seed)
        with ad.no_grad():  # a result without a graph: replayed
            got = compiled().item()
        ad.manual_seed(seed)
        assert got == f().item()
    assert compiled.traces == 1 and compiled.eager_calls == 0


def test_a_tensor_from_nowhere_is_refused():
    import types

    hidden = types.SimpleNamespace()
    hidden.__dict__["t"] = ad.ones(3)
    lookup = {id(hidden): hidden}.get  # a builtin bound method: fn cannot be seen to reach t

    def f(key):
        return lookup(key).t * 2.0

    with pytest.raises(CompileError, match="neither received"):
        ad.compile(f)(id(hidden))


def test_manual_sgd_under_no_grad_updates_in_place_and_bumps_versions():
    w0 = np.linspace(-1, 1, 4)
    w, ew = ad.tensor(w0, requires_grad=True), ad.tensor(w0, requires_grad=True)
    x = ad.tensor(np.arange(4.0))

    def step(w):
        loss = ((w * x).sum() - 1.0) ** 2
        loss.backward()
        with ad.no_grad():
            w -= 0.01 * w.grad
        w.grad = None
        return loss

    compiled = ad.compile(lambda: step(w))
    for _ in range(5):
        assert compiled().item() == step(ew).item()
    np.testing.assert_array_equal(w.detach().numpy(), ew.detach().numpy())
    saved = (w * w).sum()  # saves w; a compiled in-place update afterwards must be seen
    compiled()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.backward()


def test_inplace_on_graph_tensor_replays_as_eager():
    w = ad.tensor(np.ones(3), requires_grad=True)

    def f(x):
        y = w * x
        y += x  # AddBackward0 rebases y; the replay writes the sum into y's storage too
        y.sum().backward()
        return y.detach()

    compiled = ad.compile(f)
    for x in (ad.tensor([1.0, 2.0, 3.0]), ad.tensor([-1.0, 0.5, 4.0])):
        w.grad = None
        eager = (f(x).detach().numpy(), w.grad.detach().numpy())
        w.grad = None
        replayed = (compiled(x).detach().numpy(), w.grad.detach().numpy())
        np.testing.assert_array_equal(eager[0], replayed[0])
        np.testing.assert_array_equal(eager[1], replayed[1])
    assert compiled.traces == 1


def test_not_callable():
    with pytest.raises(TypeError, match="compile: expected a function"):
        ad.compile(3)


def test_grad_reset_inside_fn_before_backward():
    w = ad.tensor(np.arange(3.0), requires_grad=True)
    x = ad.tensor(np.ones(3))

    def f():
        w.grad = None
        y = (w * w * x).sum()
        y.backward()
        return y

    compiled = ad.compile(f)
    for _ in range(3):
        compiled()
        np.testing.assert_array_equal(
            w.grad.detach().numpy(), 2 * np.arange(3.0)
        )  # written, not added
    # the first trace cannot tell the reset from a leaf without a gradient yet: it traces
    # again once the leaf has one, and that program (which saw the reset) holds from then on
    assert compiled.traces == 2


def test_returned_structures_are_rebuilt():
    w = ad.tensor(np.arange(3.0), requires_grad=True)

    def f(x):
        y = w * x
        return y.sum(), {"y": y, "n": 3, "w": w}

    compiled = ad.compile(f)
    with ad.no_grad():  # results without a graph: replayed
        compiled(ad.tensor(np.ones(3)))
        total, extra = compiled(ad.tensor(np.full(3, 2.0)))
    assert compiled.traces == 1 and compiled.eager_calls == 0
    assert total.item() == 6.0 and extra["n"] == 3 and extra["w"] is w
    np.testing.assert_array_equal(extra["y"].detach().numpy(), [0.0, 2.0, 4.0])


def test_code_reads_as_a_program():
    w = ad.tensor(np.ones(2), requires_grad=True)

    def f(x):
        loss = (w * x).tanh().sum()
        loss.backward()
        return loss

    compiled = ad.compile(f)
    assert "not traced yet" in compiled.code
    x = ad.tensor(np.ones(2))
    loss = compiled(x)
    code = compiled.code.splitlines()
    assert "def program(x, *, w):" in code
    assert any("np.tanh(" in line for line in code)  # a forward that saves nothing: NumPy
    assert any(line.strip().startswith("# TanhBackward0") for line in code)
    assert not any("backward(" in line for line in code)  # every formula here is traced flat
    namespace = {}
    exec(compiled.code, namespace)  # the program as a learner would run it
    w_grad = w.grad.detach().numpy().copy()
    (out,) = namespace["program"](x, **compiled.captured)
    assert out == loss.item() and np.array_equal(
        w.grad.detach().numpy(), w_grad
    )  # written, not added


@pytest.mark.parametrize("long", [False, True])
def test_forwards_that_save_nothing_replay_as_numpy_functions(long, monkeypatch):
    """A forward whose ctx no replayed formula reads runs as its NumPy function (Mul: np.multiply)
    where promote leaves its operands as they are; an integer operand keeps the op's forward
    (promote casts it). Both runners, each equal to eager bitwise."""
    monkeypatch.setattr(source, "LONG", 0 if long else source.LONG)
    w = ad.tensor(np.array([0.5, -1.5, 2.0], np.float32), requires_grad=True)
    counts = ad.tensor(np.array([1, 2, 3]))  # int64: promote makes it float32, NumPy float64

    def f(x):
        w.grad = None
        loss = ((w * x + 0.25).exp() - x * counts).sum()
        loss.backward()
        return loss, w.grad

    compiled = ad.compile(f)
    for value in (1.0, 2.0, -0.5):
        x = ad.tensor(np.full(3, value, np.float32))
        loss, grad = compiled(x)
        eager_loss, eager_grad = f(x)
        assert loss.dtype == eager_loss.dtype == ad.float32
        assert loss.detach().numpy().tobytes() == eager_loss.detach().numpy().tobytes()
        assert grad.detach().numpy().tobytes() == eager_grad.detach().numpy().tobytes()
    steps = compiled.programs[0].steps
    plain = [s.fn for s in steps if s.owner is None and isinstance(s.fn, np.ufunc)]
    assert {np.multiply, np.add, np.exp, np.subtract} <= set(plain)
    assert any(s.owner is Mul for s in steps)  # x * counts: the int64 operand is cast first


def test_quiet_ops_replay_without_numpy_warnings():
    """log(0) = -inf and sqrt(-1) = nan silently, as eager and torch: a replay must not call
    the bare NumPy function, which warns."""

    def f(x):
        return x.log() + x.sqrt()

    compiled = ad.compile(f)
    x = ad.tensor(np.array([0.0, -1.0, 4.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [compiled(x) for _ in range(3)]
    assert all(out.detach().numpy().tobytes() == f(x).detach().numpy().tobytes() for out in outs)


def test_a_subclass_that_overrides_forward_keeps_its_forward():
    """Add.numpy_forward is np.add; a subclass with a forward of its own must replay that forward."""

    class AddTwice(Add):
        @staticmethod
        def forward(ctx, input, other):
            return input + 2 * other

    w = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def f(x):
        w.grad = None
        loss = AddTwice.apply(w, x).sum()
        loss.backward()
        return loss

    compiled = ad.compile(f)
    for value in (1.0, 3.0):
        assert compiled(ad.tensor(np.full(2, value))).item() == 3.0 + 4 * value
    assert "AddTwice.forward(" in compiled.code and "np.add(" not in compiled.code


def test_tracing_a_long_chain_is_linear_work(lines_run):
    """Planning the program of a long chain once scanned every step per step (a 100,000-op
    chain never finished tracing): ten times the ops must cost about ten times the work."""
    x = ad.tensor(1.0, requires_grad=True)

    def work(n):
        def chain():
            x.grad = None
            y = x
            for _ in range(n):
                y = y * 1.0001 + 0.0001
            y.backward()
            return x.grad

        return lines_run(ad.compile(chain))[0]

    assert work(2000) < 13 * work(200)


def test_a_long_program_leaves_few_objects_for_the_cyclic_collector():
    # every object a kept program holds is rescanned at each full collection: a 200,000-step
    # program held a million (a NoContext and a list per step, a closure and its cells)
    from autodiff.compile.source import LONG

    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)

    def chain():
        y = x
        for _ in range(1500):
            y = y * 1.0001 + 0.0001
        y.backward()

    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    compiled = ad.compile(chain)
    for _ in range(3):  # two traces (.grad None, then set), then the interpreter's replay
        compiled()
    gc.collect()
    held = sum(id(o) not in before for o in gc.get_objects())
    steps = sum(len(p.steps) for p in compiled.programs)
    assert min(len(p.steps) for p in compiled.programs) > LONG
    assert held / steps < 3  # was 8.5


def test_a_long_program_returns_arrays_where_numpy_gives_scalars():
    # an op on 0-d arrays returns a NumPy scalar: replayed by the long-program interpreter it
    # must still come back as an array, as eager (a Tensor holds an ndarray)
    from autodiff.compile.source import LONG

    w = ad.tensor(0.999, dtype=ad.float64)

    def chain(x):
        y = x
        for _ in range(LONG + 10):
            y = y * w
        return y

    x = ad.tensor(1.0, dtype=ad.float64)
    compiled = ad.compile(chain)
    for _ in range(2):
        out = compiled(x)
        assert type(out._data) is np.ndarray
        assert out.item() == chain(x).item()


# --- what the mutation run of autodiff/compile (tools/mutate.py) found untested ---------------
def test_code_shows_returned_numbers_and_gradients():
    w = ad.tensor(np.arange(3.0), requires_grad=True)

    def f(x):
        w.grad = None
        (w * x).sum().backward()
        return w.grad, 3

    compiled = ad.compile(f)
    compiled(ad.tensor(np.ones(3)))
    last = compiled.code.rstrip().splitlines()[-1]
    assert last.strip() == "# result: (<a captured tensor>.grad, 3, )"


def test_a_returned_grad_is_the_new_grad_on_every_replay():
    w = ad.tensor(np.arange(3.0), requires_grad=True)

    def f(x):
        w.grad = None
        (w * x).sum().backward()
        return w.grad

    compiled = ad.compile(f)
    for value in (1.0, 2.0, -3.0, 4.0):
        grad = compiled(ad.tensor(np.full(3, value)))
        assert grad is w.grad
        np.testing.assert_array_equal(grad.detach().numpy(), np.full(3, value))


def test_tensor_indices_given_as_arguments_are_read_each_call():
    """An op's tensor option (an index) that is an argument: the replay reads the new one."""
    w = ad.tensor(np.arange(5.0), requires_grad=True)

    def f(idx):
        w.grad = None
        w[idx].sum().backward()
        return w.grad

    compiled = ad.compile(f)
    for picked in ([0, 1], [3, 4], [2, 2]):
        grad = compiled(ad.tensor(np.array(picked)))
        expected = np.zeros(5)
        np.add.at(expected, picked, 1.0)
        np.testing.assert_array_equal(grad.detach().numpy(), expected)
    assert compiled.traces == 2  # w.grad None, then set


def test_a_write_into_a_buffer_under_no_grad_replays():
    buf = ad.zeros(4)

    def f(x):
        with ad.no_grad():
            buf[1:3] = x * 2.0
        return buf.sum()

    compiled = ad.compile(f)
    for value in (1.0, 5.0, -2.0):
        total = compiled(ad.tensor(np.full(2, value)))
        assert total.item() == 4 * value
        np.testing.assert_array_equal(buf.detach().numpy(), [0.0, 2 * value, 2 * value, 0.0])


def test_a_grad_changed_by_hand_next_to_a_replayed_step_is_refused():
    w = ad.tensor(np.ones(2), requires_grad=True)
    v = ad.tensor(np.ones(2), requires_grad=True)
    v.grad = ad.ones(2)
    opt = ad_optim_sgd([w])

    def f():
        opt.step()  # a replayed call: it may change .grad, and here changes none
        v.grad = None  # a change by hand, which no replay would make
        return 1.0

    with pytest.raises(CompileError, match="changed a leaf's .grad"):
        ad.compile(f)()


def ad_optim_sgd(params):
    import nn  # the engine's tests import nn only where a test needs an optimizer

    return nn.optim.SGD(params, lr=0.1)


def test_a_tuple_of_index_tensors_stays_a_tuple_in_the_replay():
    """w[i, j] with index tensors: a tuple (one index per dim); as a list NumPy would read it
    as one stacked index."""
    w = ad.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)

    def f(i, j):
        return w[i, j].detach()

    compiled = ad.compile(f)
    for i, j in (([0, 2], [1, 3]), ([1, 1], [0, 2]), ([2, 0], [3, 3])):
        i, j = ad.tensor(np.array(i)), ad.tensor(np.array(j))
        np.testing.assert_array_equal(compiled(i, j).detach().numpy(), f(i, j).detach().numpy())
    assert compiled.traces == 1


def test_a_captured_non_leaf_causes_no_grad_warning():
    """Guards and tracer check .grad's None-ness of every tensor fn reaches, a non-leaf too:
    never through the property that warns (torch's warning is for the user's own reads)."""
    w = ad.tensor(np.ones(3), requires_grad=True)
    y = w * 2.0  # a non-leaf that fn reaches through its closure

    def f(x):
        with ad.no_grad():
            return (y * x).sum()

    compiled = ad.compile(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in (1.0, 2.0):
            assert compiled(ad.tensor(np.full(3, value))).item() == 6.0 * value


def test_returning_an_object_a_replay_cannot_rebuild_is_refused():
    import types

    def f(x):
        return types.SimpleNamespace(total=x.sum())

    with pytest.raises(CompileError, match="returned a SimpleNamespace"):
        ad.compile(f)(ad.ones(2))


def test_an_argument_written_in_place_moves_its_own_version_on_replay():
    def f(a):
        with ad.no_grad():
            a.add_(1.0)
        return a.sum()

    compiled = ad.compile(f)
    for _ in range(3):
        a = ad.ones(3)
        compiled(a)
        assert a._counter()[0] == 1  # this call's tensor, as eager bumps it


def test_a_post_accumulate_grad_hook_inside_is_refused():
    w = ad.tensor(np.ones(2), requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda p: None)

    def f():
        (w * 2.0).sum().backward()
        return 1.0

    with pytest.raises(CompileError, match="register_post_accumulate_grad_hook"):
        ad.compile(f)()


def test_backward_into_a_graph_made_before_the_call_is_refused():
    w = ad.tensor(np.ones(2), requires_grad=True)
    y = w * 2.0  # recorded outside the compiled function

    def f(x):
        (y * x).sum().backward()
        return 1.0

    with pytest.raises(CompileError, match="made before the compiled function was called"):
        ad.compile(f)(ad.ones(2))


def test_a_grad_assigned_after_backward_is_refused():
    w = ad.tensor(np.ones(2), requires_grad=True)

    def f():
        (w * 2.0).sum().backward()
        w.grad = w.grad * 0.5  # a replay would not do this
        return 1.0

    with pytest.raises(CompileError, match="assigned a leaf's .grad"):
        ad.compile(f)()


# --- torch.compile's signature: its options, the decorator form, Module.compile -------------
@pytest.mark.parametrize(
    "options, error, words",
    [
        (dict(mode="fast"), RuntimeError, "Unrecognized mode=fast"),
        (dict(mode="default", options={"x": 1}), RuntimeError, "Either mode or options"),
        (dict(backend="nope"), RuntimeError, "Invalid backend: 'nope'"),
    ],
)
def test_compile_checks_torchs_options_as_torch(options, error, words):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.compile(lambda a: a, **options)
    with pytest.raises(error, match=words):
        ad.compile(lambda a: a, **options)


def test_compile_takes_torchs_options_as_a_decorator_and_disable_gives_fn():
    @ad.compile(mode="reduce-overhead", fullgraph=True, dynamic=False, backend="inductor")
    def f(a):
        return ad.sin(a) * 2

    assert isinstance(f, ad.compile(lambda a: a).__class__)
    for values in ([1.0, 2.0], [0.5, -1.0]):
        assert f(ad.tensor(values)).tolist() == (ad.sin(ad.tensor(values)) * 2).tolist()
    assert f.traces == 1  # the second call replayed
    g = lambda a: a + 1  # noqa: E731
    assert ad.compile(g, disable=True) is g
    with pytest.raises(NotImplementedError, match="custom backend"):
        ad.compile(g, backend=lambda graph, inputs: graph)


def test_module_compile_is_in_place_and_keeps_its_state_dict():
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin.load_state_dict(model.state_dict())
    keys = list(model.state_dict())
    assert model.compile() is None
    assert list(model.state_dict()) == keys
    x = ad.randn(5, 3)
    with ad.no_grad():
        for _ in range(3):  # traced, then replayed
            assert model(x).tolist() == twin(x).tolist()
    assert model.forward.traces == 1
