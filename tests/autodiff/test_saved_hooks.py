"""torch.autograd.graph.saved_tensors_hooks, save_on_cpu and disable_saved_tensors_hooks: the
same programs run on torch and on autodiff, with the pack/unpack calls (order, values, grad
mode) and the gradients compared; the tutorial "Hooks for autograd saved tensors"'s examples."""

import threading

import numpy as np
import pytest

import autodiff as ad
from autodiff.autograd.graph import (
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)
from autodiff.compile import CompileError

torch = pytest.importorskip("torch")


def logged(lib, log):
    """A pack/unpack pair that records each call (its values, and the grad mode) and keeps
    the tensor itself."""

    def pack(t):
        log.append(("pack", t.detach().numpy().tolist(), lib.is_grad_enabled()))
        return t

    def unpack(t):
        log.append(("unpack", t.detach().numpy().tolist(), lib.is_grad_enabled()))
        return t

    return pack, unpack


def both(program, *arrays, hooks=logged, **kw):
    """program(lib, hooks_cls, pack, unpack, *leaves) on torch and on autodiff: the calls'
    logs and the leaves' gradients of each."""
    out = []
    for lib in (torch, ad):
        log = []
        pack, unpack = hooks(lib, log)
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        program(lib, lib.autograd.graph.saved_tensors_hooks, pack, unpack, *leaves, **kw)
        grads = [None if t.grad is None else t.grad.detach().numpy() for t in leaves]
        out.append((log, grads))
    return out


def assert_same(theirs, ours):
    (tlog, tgrads), (olog, ograds) = theirs, ours
    assert len(olog) == len(tlog), (olog, tlog)
    for o, t in zip(olog, tlog):
        assert o[0] == t[0] and o[2] == t[2], (olog, tlog)
        np.testing.assert_allclose(o[1], t[1], rtol=1e-6)
    for o, t in zip(ograds, tgrads):
        assert (o is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(o, t, rtol=1e-6)


A, B = np.array([1.0, 2.0]), np.array([3.0, 4.0])
C = np.array([5.0, 6.0])

GRAPHS = {
    "a*b": lambda lib, a, b: a * b,
    "a*const": lambda lib, a, b: a * lib.tensor(C),
    "const*a": lambda lib, a, b: lib.tensor(C) * a,
    "a/b": lambda lib, a, b: a / b,
    "const/a": lambda lib, a, b: lib.tensor(C) / a,
    "a@b": lambda lib, a, b: a @ b,
    "exp": lambda lib, a, b: a.exp(),
    "sin": lambda lib, a, b: a.sin(),
    "pow": lambda lib, a, b: a**3,
    "sigmoid": lambda lib, a, b: lib.sigmoid(a),
    "tanh(a*b)": lambda lib, a, b: (a * b).tanh(),
    "relu(a-b)*a": lambda lib, a, b: lib.relu(a - b) * a,
    "matmul chain": lambda lib, a, b: (a.reshape(2, 1) @ b.reshape(1, 2)).exp().sum(0),
}


def forward_in_hooks(lib, hooks, pack, unpack, a, b, f):
    with hooks(pack, unpack):
        y = f(lib, a, b)
    y.sum().backward()


@pytest.mark.parametrize("name", GRAPHS)
def test_pack_and_unpack_calls_as_torch(name):
    """Each saved tensor packed once when saved (in torch's order, under no_grad), unpacked
    when backward reads it; the gradients those unpacked values give equal torch's."""
    assert_same(*both(forward_in_hooks, A, B, f=GRAPHS[name]))


def test_tutorial_first_example():
    """The tutorial's a * b with printing hooks: b then a packed, the same unpacked."""

    def program(lib, hooks, pack, unpack, a):
        b = lib.ones(5, requires_grad=True) * 2
        with hooks(pack, unpack):
            y = a * b
        y.sum().backward()

    theirs, ours = both(program, np.ones(5))
    assert [e[0] for e in ours[0]] == ["pack", "pack", "unpack", "unpack"]
    assert_same(theirs, ours)


def tagged(lib, log):
    """A pack/unpack pair per tag ("outer", "inner"), each logging under its tag."""

    def pair(tag):
        def pack(t):
            log.append((f"{tag} pack", t.detach().numpy().tolist(), lib.is_grad_enabled()))
            return t

        def unpack(t):
            log.append((f"{tag} unpack", t.detach().numpy().tolist(), lib.is_grad_enabled()))
            return t

        return pack, unpack

    return pair("outer"), pair("inner")


def test_tensors_saved_outside_are_not_packed_and_nesting_innermost_wins():
    def program(lib, hooks, outer, inner, a, b):
        y = a * b  # outside: kept as is
        with hooks(*outer):
            y = y.sin()  # the outer pair
            with hooks(*inner):
                y = y.exp()  # the inner pair only
            y = y * a  # the outer pair again
        y.sum().backward()

    theirs, ours = both(program, A, B, hooks=tagged)
    packs = [e[0] for e in ours[0] if e[0].endswith(" pack")]
    assert packs == ["outer pack", "inner pack", "outer pack", "outer pack"]
    assert_same(theirs, ours)


def test_hooks_stay_with_what_they_packed():
    """Backward runs after the block: each value is unpacked by the pair that packed it."""
    calls = []
    a = ad.tensor(A, requires_grad=True)
    with saved_tensors_hooks(lambda t: ("first", t), lambda p: calls.append(p[0]) or p[1]):
        y = a.sin()
    with saved_tensors_hooks(lambda t: ("second", t), lambda p: calls.append(p[0]) or p[1]):
        y = y.cos()
    y.sum().backward()
    assert calls == ["second", "first"]
    np.testing.assert_allclose(a.grad.detach().numpy(), -np.sin(np.sin(A)) * np.cos(A))


def test_save_to_disk_example(tmp_path):
    """The tutorial's hooks that save each tensor to a file and load it back in backward:
    gradients bitwise those without hooks, and the node keeps only the file's name."""
    names = []

    def pack(t):
        name = str(tmp_path / f"{len(names)}.pt")
        ad.save(t, name)
        names.append(name)
        return name

    def unpack(name):
        return ad.load(name)

    x = ad.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    w = ad.tensor(np.linspace(0.5, 2, 6), requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = (x * w).tanh().exp()
    assert all(type(v).__name__ != "Tensor" for v in y.grad_fn.saved_values)
    y.sum().backward()
    plain_x = ad.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    plain_w = ad.tensor(np.linspace(0.5, 2, 6), requires_grad=True)
    (plain_x * plain_w).tanh().exp().sum().backward()
    assert len(names) == 4  # w, x, tanh's output, exp's output
    assert np.array_equal(x.grad.detach().numpy(), plain_x.grad.detach().numpy())
    assert np.array_equal(w.grad.detach().numpy(), plain_w.grad.detach().numpy())


def test_save_on_cpu_keeps_the_tensor_and_gives_the_same_gradients():
    x = ad.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    with save_on_cpu():
        y = (x.sin() * x).exp()
    with save_on_cpu(pin_memory=True):
        z = y.tanh()
    ((device, kept),) = [p.value for p in y.grad_fn.saved_values]  # exp's output, as it is
    assert str(device) == "cpu" and np.shares_memory(kept.detach().numpy(), y.detach().numpy())
    z.sum().backward()
    ref = ad.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    (ref.sin() * ref).exp().tanh().sum().backward()
    assert np.array_equal(x.grad.detach().numpy(), ref.grad.detach().numpy())


def test_pack_hook_changing_its_input_in_place_is_refused_as_torch():
    errors = []
    for lib in (torch, ad):
        x = lib.ones(3, requires_grad=True).clone()
        with pytest.raises(RuntimeError) as e:
            with lib.autograd.graph.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
                x.sin()
        errors.append(str(e.value))
    assert errors[0] == errors[1]


def test_in_place_change_after_packing_is_not_checked_as_torch():
    """torch checks no version of a value hooks keep (they may keep a copy); without hooks the
    same program is refused."""

    def program(lib, hooks, pack, unpack, a):
        x = a * 1
        with hooks(pack, unpack):
            y = x.sin()
        with lib.no_grad():
            x.mul_(2)
        y.sum().backward()

    assert_same(*both(program, A))
    x = ad.tensor(A, requires_grad=True) * 1
    y = x.sin()
    with ad.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_unpack_returning_a_non_tensor_is_torch_s_type_error():
    messages = []
    for lib in (torch, ad):
        a = lib.tensor(A, requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            y = a.sin()
        with pytest.raises(TypeError) as e:
            y.sum().backward()
        messages.append(str(e.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("op", ["pow", "exp", "mul", "tanh of a product"])
def test_second_order_through_unpacked_values(op):
    """create_graph differentiates through what unpack returns (a copy here) as through the
    saved tensor itself: leaves, inputs made by other ops and the op's own output."""
    fs = {
        "pow": lambda a, b: a**3,
        "exp": lambda a, b: (a * b).exp(),
        "mul": lambda a, b: a * b * a,
        "tanh of a product": lambda a, b: (a * b).tanh() * b,
    }

    def copies(lib, log):
        def pack(t):
            log.append(("pack", t.detach().numpy().tolist(), lib.is_grad_enabled()))
            return t.clone()

        def unpack(t):
            log.append(("unpack", t.detach().numpy().tolist(), lib.is_grad_enabled()))
            return t * 1

        return pack, unpack

    def program(lib, hooks, pack, unpack, a, b):
        with hooks(pack, unpack):
            y = fs[op](a, b).sum()
        ga, gb = lib.autograd.grad(y, (a, b), create_graph=True, allow_unused=True)
        total = ga.square().sum() + (gb.square().sum() if gb is not None else 0)
        total.backward()

    assert_same(*both(program, A, B, hooks=copies))


def test_retain_graph_unpacks_on_every_backward():
    def program(lib, hooks, pack, unpack, a, b):
        with hooks(pack, unpack):
            y = (a * b).exp().sum()
        y.backward(retain_graph=True)
        y.backward()

    theirs, ours = both(program, A, B)
    assert [e[0] for e in ours[0]].count("unpack") == 6
    assert_same(theirs, ours)


def test_second_backward_without_retain_graph_refuses():
    a = ad.tensor(A, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        y = a.sin().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


@pytest.mark.parametrize("op", ["sin_", "exp_", "mul_"])
def test_in_place_ops_pack_what_torch_packs(op):
    """sin_ packs a copy of the old values, exp_ the tensor after the change, mul_ both
    operands: as torch."""

    def program(lib, hooks, pack, unpack, a, b):
        x = a * 1
        with hooks(pack, unpack):
            getattr(x, op)(*([b] if op == "mul_" else []))
        x.sum().backward()

    assert_same(*both(program, A, B))


def test_disable_saved_tensors_hooks():
    message = "saved tensors default hooks are disabled"
    for lib in (torch, ad):
        graph = lib.autograd.graph
        with graph.disable_saved_tensors_hooks(message):
            with pytest.raises(RuntimeError, match=message):
                with graph.save_on_cpu():
                    pass
    packed = []
    a = ad.tensor(A, requires_grad=True)
    with saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
        with disable_saved_tensors_hooks(message):
            a.sin()  # no hooks in here
        a.cos()  # the pair again
    assert len(packed) == 1
    with saved_tensors_hooks(lambda t: t, lambda t: t):  # enabled again after the block
        pass


def test_hooks_belong_to_their_thread():
    packed = []
    a = ad.tensor(A, requires_grad=True)
    with saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
        worker = threading.Thread(target=lambda: a.sin())
        worker.start()
        worker.join()
    assert packed == []


def test_compile_refuses_hooks():
    x = ad.tensor(A, requires_grad=True)

    @ad.compile
    def inside(x):
        with saved_tensors_hooks(lambda t: t, lambda t: t):
            y = x.sin().sum()
        y.backward()
        return y

    with pytest.raises(CompileError, match="saved_tensors_hooks"):
        inside(x)

    @ad.compile
    def step(x):
        y = x.sin().sum()
        y.backward()
        return y

    step(x)  # traced outside the hooks
    with pytest.raises(CompileError, match="saved_tensors_hooks"):
        with save_on_cpu():
            step(x)  # a replay would not call them
