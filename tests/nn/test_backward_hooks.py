"""Modules' full backward hooks (register_full_backward_hook / _pre_hook) and hook order
(prepend=), against torch's on the same weights: what each hook sees, when it runs, what its
replacement changes, the recorded nodes, and the refusals."""

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.compile import CompileError


def _twins(torch, make_ours, make_theirs):
    """The same layer in both libraries: torch's weights copied into ours."""
    torch.manual_seed(0)
    theirs = make_theirs()
    ours = make_ours()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _arrays(grads) -> list:
    return [None if g is None else g.detach().numpy().copy() for g in grads]


def _record(module, into: list, replace=None):
    def hook(m, grad_input, grad_output):
        into.append((_arrays(grad_input), _arrays(grad_output)))
        return replace(grad_input) if replace else None

    return module.register_full_backward_hook(hook)


LAYERS = [
    ("linear", lambda lib: lib.nn.Linear(3, 2), (4, 3)),
    ("conv", lambda lib: lib.nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
    ("mlp", lambda lib: lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2)),
     (5, 3)),
]  # fmt: skip


class _Ours:
    nn = nn


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_full_backward_hook_sees_torch_gradients(name, make, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = _twins(torch, lambda: make(_Ours), lambda: make(torch))
    x = np.random.default_rng(0).standard_normal(shape)
    ox = ad.tensor(x, dtype=ad.float32, requires_grad=True)
    tx = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    seen_ours, seen_theirs = [], []
    _record(ours, seen_ours)
    _record(theirs, seen_theirs)
    oy, ty = ours(ox), theirs(tx)
    assert oy.grad_fn.name() == type(ty.grad_fn).__name__ == "BackwardHookFunctionBackward"
    weights = np.arange(1.0, 1.0 + oy.numel()).reshape(tuple(oy.shape))
    (oy * ad.tensor(weights, dtype=ad.float32)).sum().backward()
    (ty * torch.tensor(weights, dtype=torch.float32)).sum().backward()
    assert len(seen_ours) == len(seen_theirs) == 1
    for ours_side, theirs_side in zip(seen_ours[0], seen_theirs[0]):
        assert len(ours_side) == len(theirs_side)
        for a, b in zip(ours_side, theirs_side):  # float32 sums in another order: 1e-5 of scale
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())
    scale = np.abs(tx.grad.detach().numpy()).max()
    np.testing.assert_allclose(
        ox.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-5, atol=1e-5 * scale
    )


def test_replacements_from_hooks_change_the_gradients_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _twins(torch, lambda: nn.Linear(3, 2), lambda: torch.nn.Linear(3, 2))
    x = np.random.default_rng(1).standard_normal((4, 3))
    results = []
    for lib, layer in ((ad, ours), (torch, theirs)):
        xt = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * -2,))
        layer(xt).sum().backward()
        results.append(
            (
                xt.grad.detach().numpy(),
                layer.weight.grad.detach().numpy(),
                layer.bias.grad.detach().numpy(),
            )
        )
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_first_layer_hook_runs_at_the_output_with_none_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _twins(torch, lambda: nn.Linear(3, 2), lambda: torch.nn.Linear(3, 2))
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    seen = {}
    for key, lib, layer in (("ours", ad, ours), ("theirs", torch, theirs)):
        seen[key] = []
        _record(layer, seen[key])
        with pytest.warns(UserWarning, match="Full backward hook is firing when gradients"):
            layer(lib.tensor(x)).sum().backward()
    assert seen["ours"][0][0] == seen["theirs"][0][0] == [None]
    np.testing.assert_allclose(seen["ours"][0][1][0], seen["theirs"][0][1][0])
    ours.register_full_backward_hook(lambda m, gi, go: (ad.ones(4, 3),))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="should always return None"):
        ours(ad.tensor(x)).sum().backward()


def _hook_order(lib, space) -> list:
    """The order in which a layer's hooks run, some registered with prepend=True; one backward
    hook removed before a second call."""
    layer, calls = space.Linear(3, 2), []

    def note(text):
        return lambda *args: calls.append(text)

    layer.register_forward_hook(note("fwd 1"))
    layer.register_forward_hook(note("fwd 0"), prepend=True)
    layer.register_forward_pre_hook(note("pre 1"))
    layer.register_forward_pre_hook(note("pre 0"), prepend=True)
    layer.register_full_backward_hook(note("bwd 1"))
    handle = layer.register_full_backward_hook(note("bwd 0"), True)
    layer.register_full_backward_pre_hook(note("bwd pre"))
    x = lib.ones(2, 3, requires_grad=True)
    layer(x).sum().backward()
    handle.remove()
    layer(x).sum().backward()
    return calls


def test_hook_order_and_prepend_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _hook_order(ad, nn), _hook_order(torch, torch.nn)
    assert ours == theirs
    assert ours[:7] == ["pre 0", "pre 1", "fwd 0", "fwd 1", "bwd pre", "bwd 0", "bwd 1"]


def test_hooks_see_only_this_call():
    layer, x = nn.Linear(3, 3), ad.ones(2, 3, requires_grad=True)
    seen = []
    _record(layer, seen)
    y = layer(x)
    (y.sum() + (x * 5).sum()).backward()  # x's other use is not the hook's business
    expected = np.ones((2, 3), np.float32) @ layer.weight.detach().numpy()
    np.testing.assert_allclose(seen[0][0][0], expected, rtol=1e-6)
    with ad.no_grad():  # no gradient: no hook and no extra node
        assert layer(x).grad_fn is None


def _pair_module(lib):
    class Pair(lib.nn.Module):
        def forward(self, a, scale, b, c):
            return (a * b).sin() * scale + c.sum()

    return Pair()


@pytest.mark.parametrize("replace", [False, True])
def test_several_inputs_requiring_grad_reach_the_hooks_together(replace):
    """A call with several input tensors that require grad (and a plain number, and one that
    does not reach the loss): grad_input has one entry per positional argument, the pre-hook
    and the hook run once each, a replacement changes what the inputs get; as torch."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        a = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        b = lib.tensor([1.5, 0.25, -0.5], requires_grad=True)
        c = lib.tensor([3.0, 4.0], requires_grad=True)
        pair, seen = _pair_module(lib if lib is torch else _AsTorch), []
        pair.register_full_backward_pre_hook(
            lambda m, go, seen=seen: seen.append(("pre", _arrays(go)))
        )
        _record(pair, seen, (lambda gi: (gi[0] * 10, None, None, gi[3])) if replace else None)
        y = pair(a, 2.0, b, c)
        assert y.grad_fn.name() == "BackwardHookFunctionBackward"
        (y**2).sum().backward()
        results.append((seen, _arrays([t.grad for t in (a, b, c)])))
    (mine, grads), (theirs, expected) = results
    assert len(mine) == len(theirs) == 2
    assert mine[0][0] == "pre"
    np.testing.assert_allclose(mine[0][1][0], theirs[0][1][0], rtol=1e-6)
    for got, want in zip(mine[1][0] + mine[1][1], theirs[1][0] + theirs[1][1]):
        assert (got is None) == (want is None)
        if got is not None:
            np.testing.assert_allclose(got, want, rtol=1e-6)
    for got, want in zip(grads, expected):  # a None from the hook: no gradient, as torch
        assert (got is None) == (want is None)
        if got is not None:
            np.testing.assert_allclose(got, want, rtol=1e-6)


class _AsTorch:
    """nn under the name lib.nn, for _pair_module."""

    nn = nn


def _tuple_outputs(lib, module, use_second: bool):
    """A module returning (a tensor, a number, a tensor not requiring grad, a tensor), its
    hooks recording what they see (the pre-hook doubles the last output's gradient), and the
    gradient its input gets."""

    class Parts(module):
        def forward(self, a):
            return a * 3, 7, a.detach(), (a * a).sum()

    seen = []
    parts = Parts()
    parts.register_full_backward_pre_hook(
        lambda m, go: (
            seen.append(("pre", _arrays(go)))
            or (go[0], None, None, None if go[3] is None else go[3] * 2)
        )
    )
    parts.register_full_backward_hook(lambda m, gi, go: seen.append((_arrays(gi), _arrays(go))))
    a = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
    first, number, detached, last = parts(a)
    assert number == 7 and not detached.requires_grad
    # torch's node makes both; ours (one output per node): slices of its one packed output
    for out in (first, last):
        node = out.grad_fn
        while node.name() in ("ViewBackward0", "SliceBackward0"):
            node = node.next_functions[0][0]
        assert node.name() == "BackwardHookFunctionBackward"
    loss = (first * lib.tensor([1.0, 2.0, 3.0])).sum() + (last if use_second else 0)
    loss.backward()
    return seen, a.grad.numpy()


@pytest.mark.parametrize("use_second", [True, False])
def test_a_module_returning_a_tuple_has_torchs_full_backward_hooks(use_second):
    """One entry of grad_output per item of the tuple (None for a number, a tensor without
    grad, and an output no gradient reached), the pre-hook's replacement used, as torch."""
    torch = pytest.importorskip("torch")
    ours = _tuple_outputs(ad, nn.Module, use_second)
    theirs = _tuple_outputs(torch, torch.nn.Module, use_second)
    assert repr(ours[0]) == repr(theirs[0])  # what the hooks saw, Nones and values
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_an_lstm_and_a_namedtuple_output_with_full_backward_hooks_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _twins(torch, lambda: nn.LSTM(3, 2), lambda: torch.nn.LSTM(3, 2))
    x = np.random.default_rng(2).standard_normal((4, 1, 3))
    seen = []
    for lib, lstm in ((ad, ours), (torch, theirs)):
        into = []
        _record(lstm, into)
        xt = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        out, (h, c) = lstm(xt)  # (output, (h, c)): only output is a tensor of the tuple
        (out.sum() + h.sum()).backward()
        seen.append((into, xt.grad.numpy()))
    (ours_seen, ours_grad), (theirs_seen, theirs_grad) = seen
    assert len(ours_seen) == len(theirs_seen) == 1
    for ours_side, theirs_side in zip(ours_seen[0], theirs_seen[0]):
        assert [g is None for g in ours_side] == [g is None for g in theirs_side]
        for a, b in zip(ours_side, theirs_side):
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-5, atol=1e-6)


def test_a_namedtuple_output_stays_one_and_other_outputs_are_refused():
    from collections import namedtuple

    Pair = namedtuple("Pair", "left right")

    class Named(nn.Module):
        def forward(self, a):
            return Pair(a * 2, a * 3)

    class Listed(nn.Module):
        def forward(self, a):
            return [a, a * 2]

    a = ad.ones(2, requires_grad=True)
    seen = []
    named = Named()
    named.register_full_backward_hook(lambda m, gi, go: seen.append(_arrays(go)))
    out = named(a)
    assert type(out) is Pair
    (out.left.sum() + 2 * out.right.sum()).backward()
    assert [g.tolist() for g in seen[0]] == [[1.0, 1.0], [2.0, 2.0]]
    assert a.grad.tolist() == [8.0, 8.0]
    listed = Listed()
    listed.register_full_backward_hook(lambda *args: None)
    with pytest.raises(NotImplementedError, match="Listed: .* returns list is not supported"):
        listed(a)


def test_compile_refuses_a_step_through_hooked_modules():
    layer = nn.Linear(3, 1)
    layer.register_full_backward_hook(lambda *args: None)
    x = ad.ones(2, 3, requires_grad=True)

    @ad.compile
    def step():
        layer(x).sum().backward()

    with pytest.raises(CompileError, match="hook"):
        step()


def test_a_module_with_backward_hooks_is_not_saved_whole(tmp_path):
    layer = nn.Linear(2, 2)
    handle = layer.register_full_backward_hook(lambda *args: None)
    with pytest.raises(TypeError, match="backward_hooks"):
        ad.save(layer, tmp_path / "layer.pt")
    handle.remove()
    ad.save(layer, tmp_path / "layer.pt")


# --- forward hooks' options and the rest of Module's API, against torch --------------------


def _both(torch):
    return (("ours", ad, nn), ("theirs", torch, torch.nn))


def _keyword_hooks(lib, space) -> list:
    """What with_kwargs and always_call hooks see on a call that works and one that raises."""

    class Scale(space.Module):
        def forward(self, x, factor=1.0):
            if factor < 0:
                raise ValueError("negative")
            return x * factor

    calls, layer = [], Scale()
    layer.register_forward_pre_hook(
        lambda m, args, kwargs: (args, {**kwargs, "factor": kwargs.get("factor", 1.0) * 2}),
        with_kwargs=True,
    )
    layer.register_forward_hook(
        lambda m, args, kwargs, out: calls.append(("kw", sorted(kwargs))), with_kwargs=True
    )
    layer.register_forward_hook(lambda m, a, out: calls.append(("always", out)), always_call=True)
    calls.append(("out", layer(lib.ones(2), factor=1.5).tolist()))
    with pytest.raises(ValueError, match="negative"):
        layer(lib.ones(2), factor=-1.0)
    bad = Scale()
    bad.register_forward_pre_hook(lambda m, a, k: a, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args"):
        bad(lib.ones(2))
    return calls


def test_forward_hooks_with_kwargs_and_always_call_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _keyword_hooks(ad, nn), _keyword_hooks(torch, torch.nn)
    assert [c[0] for c in ours] == [c[0] for c in theirs]
    assert ours[-1] == ("always", None) and ours[2] == ("out", [3.0, 3.0])


def _dotted_paths(space) -> tuple:
    """get_/set_submodule, get_parameter and get_buffer on a model with a shared layer: what
    they give and the messages of their errors."""
    model = space.Sequential(space.Linear(2, 3), space.BatchNorm1d(3))
    model.add_module("tied", model[0])
    messages = []
    for call in (
        lambda: model.get_submodule("0.weight"),
        lambda: model.get_submodule("5"),
        lambda: model.get_parameter("1.running_mean"),
        lambda: model.get_buffer("0.weight"),
        lambda: model.set_submodule("", space.ReLU()),
        lambda: model.set_submodule("0.weight", space.ReLU()),
    ):
        with pytest.raises((AttributeError, ValueError)) as error:
            call()
        messages.append(str(error.value))
    buffer = model.get_buffer("1.running_mean").tolist()
    model.set_submodule("1", space.Identity())
    return (
        messages,
        model.get_parameter("tied.bias") is model[0].bias,
        buffer,
        [n for n, _ in model.named_parameters(remove_duplicate=False)],
        [n for n, _ in model.named_modules(remove_duplicate=False)],
        len(list(model.modules(remove_duplicate=False))),
        type(model.get_submodule("1")).__name__,
    )


def test_dotted_paths_as_torch():
    torch = pytest.importorskip("torch")
    assert _dotted_paths(nn) == _dotted_paths(torch.nn)


def test_load_state_dict_assign_takes_the_checkpoint_dtype_as_torch():
    torch = pytest.importorskip("torch")
    for key, lib, space in _both(torch):
        layer = space.Linear(2, 2)
        layer.weight.requires_grad_(False)
        state = {
            "weight": lib.zeros(2, 2, dtype=lib.float64),
            "bias": lib.ones(2, dtype=lib.float64),
        }
        layer.load_state_dict(state, assign=True)
        assert str(layer.weight.dtype) == "torch.float64", key
        assert isinstance(layer.weight, space.Parameter), key
        assert (layer.weight.requires_grad, layer.bias.requires_grad) == (False, True), key
        kept = space.Linear(2, 2)
        kept.load_state_dict(state)
        assert str(kept.weight.dtype) == "torch.float32", key


# --- tensor and node hooks' handles, node post-hooks, the legacy module hook -----------------


def test_hook_handles_remove_as_torch():
    torch = pytest.importorskip("torch")
    grads = {}
    for lib in (ad, torch):
        x = lib.ones(2, requires_grad=True)
        leaf_handle = x.register_hook(lambda g: g * 2)
        y = x * 3
        with y.register_hook(lambda g: g * 10):  # removed at the end of the block
            y.sum().backward(retain_graph=True)
        first = x.grad.tolist()
        leaf_handle.remove()
        x.grad = None
        y.sum().backward()
        grads[lib.__name__] = (first, x.grad.tolist())
    assert grads["autodiff"] == grads["torch"] == ([60.0, 60.0], [3.0, 3.0])


def test_node_post_hooks_see_and_replace_grad_inputs_as_torch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (ad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, -1.0], requires_grad=True)
        y = x * w
        calls = seen[lib.__name__] = []

        def hook(grad_inputs, grad_outputs, calls=calls):
            calls.append([None if g is None else g.tolist() for g in grad_inputs + grad_outputs])
            return (grad_inputs[0] * 5, grad_inputs[1])

        y.grad_fn.register_hook(hook)
        y.sum().backward()
        calls.append((x.grad.tolist(), w.grad.tolist()))
        z = x * 2
        z.grad_fn.register_hook(lambda gi, go: (gi[0],))  # one value for two slots
        with pytest.raises(
            RuntimeError,
            match=r"has returned an incorrect number of values \(got 1, but expected 2\)",
        ):
            z.sum().backward()
    assert seen["autodiff"] == seen["torch"]


def test_node_pre_hooks_get_and_replace_grad_outputs_as_torch():
    """Node.register_prehook: hook(grad_outputs) with a tuple, a returned tuple replaces it
    (Tensor.register_hook's hook gets the gradient itself)."""
    torch = pytest.importorskip("torch")
    seen, messages = {}, []
    for lib in (ad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * 3).exp()
        calls = seen[lib.__name__] = []

        def pre(grad_outputs, calls=calls):
            calls.append((type(grad_outputs).__name__, [g.tolist() for g in grad_outputs]))
            return (grad_outputs[0] * 2,)

        handle = y.grad_fn.register_prehook(pre)
        y.grad_fn.register_prehook(lambda go, calls=calls: calls.append(go[0].tolist()))
        y.sum().backward()
        calls.append([round(v, 3) for v in x.grad.tolist()])
        handle.remove()
        z = x.exp()
        z.grad_fn.register_prehook(lambda go: (go[0], go[0]))
        with pytest.raises(RuntimeError) as info:
            z.sum().backward()
        messages.append(str(info.value))
    assert seen["autodiff"] == seen["torch"]
    assert messages[0] == messages[1]


def test_compile_refuses_a_node_post_hook():
    x = ad.ones(2, requires_grad=True)

    @ad.compile
    def step():
        y = x * 3
        y.grad_fn.register_hook(lambda gi, go: None)
        y.sum().backward()

    with pytest.raises(CompileError, match="has a hook"):
        step()


def test_legacy_backward_hook_on_the_output_node_as_torch():
    torch = pytest.importorskip("torch")
    seen, said = {}, {}
    for lib, space in ((ad, nn), (torch, torch.nn)):
        layer = space.Sequential(space.Linear(3, 2), space.Tanh())
        calls = seen[lib.__name__] = []
        layer.register_backward_hook(
            lambda m, gi, go, calls=calls: calls.append([tuple(g.shape) for g in gi + go])
        )
        with pytest.warns(FutureWarning) as warned:
            layer(lib.ones(4, 3, requires_grad=True)).sum().backward()
        said[lib.__name__] = [str(w.message) for w in warned]
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
            layer.register_full_backward_hook(lambda *a: None)
    assert seen["autodiff"] == seen["torch"] == [[(4, 2), (4, 2)]]
    assert said["autodiff"] == said["torch"]


def _always_call_once(lib, space) -> list:
    """An always_call hook that ran before a later hook raised is not run again."""
    calls, layer = [], space.Linear(2, 2)
    layer.register_forward_hook(lambda *a: calls.append("always"), always_call=True)

    def fail(*args):
        raise ValueError("hook failed")

    layer.register_forward_hook(fail)
    with pytest.raises(ValueError, match="hook failed"):
        layer(lib.ones(1, 2))
    return calls


def test_an_always_call_hook_runs_once_when_a_later_hook_raises_as_torch():
    torch = pytest.importorskip("torch")
    assert _always_call_once(ad, nn) == _always_call_once(torch, torch.nn) == ["always"]
