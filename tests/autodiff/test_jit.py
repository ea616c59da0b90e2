"""torch.jit's names that programs use: script and trace return what they are given, after
the runs torch makes (counted, with grad mode and is_tracing() as torch has them); the
decorators and helpers; save/load refused clearly."""

import inspect
import typing
import warnings

import pytest

import autodiff as ad
import nn

# torch.jit's deprecation notes (torch's and ours, which repeat them) and torch's own note on a
# random trace: tests that check them use pytest.warns, which sees them regardless
pytestmark = [
    pytest.mark.filterwarnings(r"ignore:`torch\.jit\.\w+` is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Trace had nondeterministic nodes"),
]


def _recorder(lib):
    """A function that records (grad enabled, is_tracing(), first argument's sum) per call."""
    calls = []

    def f(x, y=None):
        calls.append((lib.is_grad_enabled(), lib.jit.is_tracing(), float(x.sum())))
        x.mul_(1) if not x.requires_grad else None  # an in-place use of the input: no harm
        return x * 2 if y is None else x + y

    return f, calls


def _module(lib, torch_nn):
    """A module whose forward records as _recorder's function does."""
    f, calls = _recorder(lib)

    class M(torch_nn.Module):
        def forward(self, x, y=None):
            return f(x, y)

    return M(), calls


TRACES = [
    lambda lib, f: lib.jit.trace(f, lib.ones(2)),
    lambda lib, f: lib.jit.trace(f, (lib.ones(2), lib.ones(2))),
    lambda lib, f: lib.jit.trace(f, [lib.ones(2), lib.ones(2)]),
    lambda lib, f: lib.jit.trace(f, lib.ones(2), check_trace=False),
    lambda lib, f: lib.jit.trace(f, lib.ones(2), check_inputs=[(lib.ones(3),), (lib.ones(4),)]),
    lambda lib, f: lib.jit.trace(f, example_kwarg_inputs={"x": lib.ones(2), "y": lib.ones(2)}),
    lambda lib, f: lib.jit.trace(f, lib.ones(2, requires_grad=True)),
]
TWO_ARGUMENTS = (1, 2, 5)  # the traces above given x and y: torch's result then takes both


@pytest.mark.parametrize("case", range(len(TRACES)))
@pytest.mark.parametrize("kind", ["function", "module"])
def test_trace_runs_as_often_as_torchs_and_returns_what_it_was_given(case, kind):
    torch = pytest.importorskip("torch")
    seen = []
    for lib, lib_nn in ((torch, torch.nn), (ad, nn)):
        f, calls = _recorder(lib) if kind == "function" else _module(lib, lib_nn)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = TRACES[case](lib, f)
        assert lib.jit.is_tracing() is False
        runs = list(calls)  # torch's traced function then runs its graph, not the Python
        args = (lib.arange(3.0), lib.ones(3))[: 2 if case in TWO_ARGUMENTS else 1]
        seen.append((runs, traced(*args).tolist()))
    assert traced is f
    assert seen[1] == seen[0]


def test_a_random_function_gets_torchs_tracer_warning():
    torch = pytest.importorskip("torch")
    for lib, lib_nn in ((torch, torch.nn), (ad, nn)):
        drop = lib_nn.Dropout(0.5)
        with pytest.warns(lib.jit.TracerWarning, match="Output nr 1. of the traced function"):
            lib.jit.trace(drop, lib.ones(50))
        with warnings.catch_warnings():
            warnings.simplefilter("error", lib.jit.TracerWarning)
            lib.jit.trace(drop.eval(), lib.ones(50))
            lib.jit.trace(drop.train(), lib.ones(50), check_trace=False)


def _double(x):
    return x * 2


def test_script_and_trace_warn_torchs_deprecation():
    torch = pytest.importorskip("torch")
    for lib in (torch, ad):
        with pytest.warns(DeprecationWarning, match=r"`torch.jit.script` is deprecated"):
            lib.jit.script(_double)
        with pytest.warns(DeprecationWarning, match=r"`torch.jit.trace` is deprecated"):
            lib.jit.trace(_double, lib.ones(1))
        with pytest.warns(FutureWarning, match="`optimize` is deprecated and has no effect"):
            lib.jit.trace(_double, lib.ones(1), optimize=True)


def test_script_returns_functions_modules_and_classes_as_decorator_too():
    torch = pytest.importorskip("torch")

    @ad.jit.script
    def gelu_ish(x):
        return x * ad.sigmoid(1.702 * x)

    @torch.jit.script
    def torch_gelu_ish(x):
        return x * torch.sigmoid(1.702 * x)

    x = [-2.0, -0.5, 0.0, 1.5]
    assert gelu_ish(ad.tensor(x)).tolist() == pytest.approx(torch_gelu_ish(torch.tensor(x)))
    model = nn.Linear(3, 2)
    assert ad.jit.script(model) is model and ad.jit.script(nn.Linear) is nn.Linear
    for bad in (3, "abc"):
        with pytest.raises(TypeError):
            torch.jit.script(bad)
        with pytest.raises(TypeError, match="torch.jit.script: expected a function"):
            ad.jit.script(bad)


def test_trace_without_inputs_is_torchs_error_type():
    torch = pytest.importorskip("torch")
    for lib, lib_nn in ((torch, torch.nn), (ad, nn)):
        with pytest.raises(TypeError):
            lib.jit.trace(_double)
        with pytest.raises(RuntimeError):
            lib.jit.trace(lib_nn.Linear(2, 2))


def test_decorators_and_helpers_as_torch():
    torch = pytest.importorskip("torch")

    def f(x):
        return x

    class Interface:
        pass

    for lib in (torch, ad):
        assert lib.jit.ignore(f) is f and lib.jit.ignore(drop=False)(f) is f
        for kwargs in ({"drop": True}, {"drop_on_export": True}):
            with pytest.warns(FutureWarning, match=r"ignore\(\w+=?\w*\) has been deprecated"):
                assert lib.jit.ignore(**kwargs)(f) is f
        assert lib.jit.unused(f) is f and lib.jit.export(f) is f
        with pytest.warns(DeprecationWarning, match="`torch.jit.interface` is deprecated"):
            assert lib.jit.interface(Interface) is Interface
        with pytest.raises(RuntimeError, match="interface must be applied to a class"):
            lib.jit.interface(f)
        assert lib.jit.annotate(list[int], [1]) == [1]
        assert lib.jit.is_scripting() is False and lib.jit.is_tracing() is False
        assert lib.jit.Final is typing.Final
        with pytest.raises(RuntimeError) as e:
            lib.jit.ignore("x")
        assert (
            str(e.value) == "Argument to @torch.jit.ignore must be a bool or a function but got x"
        )
    with pytest.raises(NotImplementedError, match=r"torch.jit.ignore: the keyword arguments"):
        ad.jit.ignore(drop=False, unknown=1)


def test_save_and_load_say_what_to_use_instead(tmp_path):
    for name, call in (
        ("save", lambda: ad.jit.save(nn.Linear(2, 2), tmp_path / "m.pt")),
        ("load", lambda: ad.jit.load(tmp_path / "m.pt")),
    ):
        with (
            pytest.raises(
                NotImplementedError, match=f"torch.jit.{name}: .*TorchScript archives"
            ) as e,
            pytest.warns(DeprecationWarning, match=f"`torch.jit.{name}` is deprecated"),
        ):
            call()
        assert "torch.save(model.state_dict(), path)" in str(e.value)


@pytest.mark.parametrize("name", ad.jit.__all__)
def test_torchs_public_arguments_in_torchs_order(name):
    torch = pytest.importorskip("torch")
    theirs, ours = getattr(torch.jit, name), getattr(ad.jit, name)
    if not inspect.isfunction(ours):
        return
    public = [n for n in inspect.signature(theirs).parameters if not n.startswith("_")]
    mine = [n for n in inspect.signature(ours).parameters if not n.startswith("_")]
    assert mine == public


def test_a_dict_of_example_inputs_is_one_argument():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (torch, ad):
        calls = []

        def f(d, calls=calls):
            calls.append(sorted(d))
            return d["a"] * 2

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.jit.trace(f, {"a": lib.ones(2), "b": lib.ones(1)})
        seen.append(calls)
    assert seen[1] == seen[0] == [["a", "b"]] * 3
