"""The safe expression parser behind `autodiff graph`, and the command end to end."""

import ast
import builtins
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autodiff_cli as cli
from autodiff_cli import expr

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")
ROOT = Path(__file__).resolve().parents[2]


def _run(text, **values):
    out, leaves = expr.evaluate(text, values)
    out.backward()
    return out, leaves


def test_add_mul_values_and_gradients():
    f, leaves = _run("(x+y)*z", x=-2, y=5, z=-4)
    assert f.item() == -12.0
    assert {n: t.grad.item() for n, t in leaves.items()} == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert f.name == "f"


def test_named_intermediates():
    f, leaves = _run("q = x + y; f = q * z", x=-2, y=5, z=-4)
    assert f.item() == -12.0 and f.name == "f"
    assert leaves["z"].grad.item() == 3.0


def test_sigmoid_neuron_values_and_gradients():
    v = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
    s, leaves = _run("sigmoid(w0*x0 + w1*x1 + w2)", **v)
    z = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    sig = 1 / (1 + math.exp(-z))
    local = sig * (1 - sig)  # dσ/dz
    expected = {"w0": local * v["x0"], "x0": local * v["w0"], "w1": local * v["x1"],
                "x1": local * v["w1"], "w2": local}  # fmt: skip
    assert s.item() == pytest.approx(sig, rel=1e-12)
    for name, grad in expected.items():
        assert leaves[name].grad.item() == pytest.approx(grad, rel=1e-12), name


def test_functions_and_operators():
    f, leaves = _run("exp(x) / sqrt(y) - x**2 + tanh(-x) + abs(y) + relu(x) + log(y)", x=0.5, y=4)
    x, y = 0.5, 4.0
    value = math.exp(x) / math.sqrt(y) - x**2 + math.tanh(-x) + abs(y) + x + math.log(y)
    assert f.item() == pytest.approx(value, rel=1e-12)
    dx = math.exp(x) / 2 - 2 * x - (1 - math.tanh(x) ** 2) + 1
    assert leaves["x"].grad.item() == pytest.approx(dx, rel=1e-12)


def _families():
    """Every public function of the elementwise families, whatever its arguments."""
    import autodiff as ad
    import nn.functional as F

    layers = [f for f in vars(F).values() if getattr(f, "__module__", "") == "nn.activation"]
    engine = (ad.ops.pointwise, ad.ops.elementwise, ad.ops.math, ad.ops.activation)
    names = {n: getattr(family, n) for family in engine for n in family.__all__}
    return {f.__name__: f for f in layers} | names  # the engine's op where both have the name


def test_every_function_of_one_tensor_in_the_families_is_offered():
    import autodiff as ad

    callable_with_one = set()
    for name, fn in _families().items():
        try:
            out = fn(ad.tensor(0.5, dtype=ad.float64))
        except (TypeError, ValueError, RuntimeError):  # clamp needs a bound, softmax a dim, ...
            continue
        if isinstance(out, ad.Tensor):  # where(condition) alone gives indices, not a value
            callable_with_one.add(name)
    offered = set(expr.FUNCTIONS)
    assert set(ad.ops.pointwise.__all__) <= offered  # the whole table
    assert {"gelu", "silu", "softplus", "abs", "square"} <= offered
    assert offered == {n for n in callable_with_one if not n.endswith("_")}


@pytest.mark.parametrize("name", sorted(expr.FUNCTIONS))
def test_each_offered_function_builds_a_graph_with_its_gradient(name):
    f, leaves = _run(f"{name}(x) * 2", x=0.3)
    assert f.grad_fn is not None and leaves["x"].grad is not None


def test_sin_and_cos_values_and_gradients():
    f, leaves = _run("sin(x) * cos(y)", x=0.5, y=2.0)
    assert f.item() == pytest.approx(math.sin(0.5) * math.cos(2.0), rel=1e-12)
    assert leaves["x"].grad.item() == pytest.approx(math.cos(0.5) * math.cos(2.0), rel=1e-12)
    assert leaves["y"].grad.item() == pytest.approx(-math.sin(0.5) * math.sin(2.0), rel=1e-12)


def test_division_by_zero_is_marked_in_the_table_and_warns_nothing(tmp_path):
    result = subprocess.run([sys.executable, "-W", "default", "-m", "autodiff_cli", "graph", "x/y",
                             "x=1", "y=0", "--text"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "value ∞" in result.stdout and "NaN/Inf" in result.stdout


# each refused input and a word the error must contain to name the problem
REFUSED = [
    ("__import__('os').system('touch /tmp/viz_pwned')", "attribute access"),
    ("__import__('os')", "function '__import__'"),
    ("x.data", "attribute access ('x.data')"),
    ("().__class__", "attribute access"),
    ("x.__class__.__bases__", "attribute access"),
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "lambda"),
    ("[x for x in (1, 2)]", "ListComp"),
    ("sum(x for x in (1, 2))", "function 'sum'"),
    ("{x: 1 for x in (1,)}", "DictComp"),
    ("q + 1", "unknown name 'q'"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("foo(x)", "function 'foo'"),
    ("getattr(x, 'data')", "function 'getattr'"),
    ("eval('1')", "function 'eval'"),
    ("x[0]", "indexing"),
    ("exp(x=1)", "exactly one argument"),
    ("exp(**{'x': 1})", "exactly one argument"),
    ("exp(x, x)", "exactly one argument"),
    ("exp(*[x])", "Starred"),
    ("'text'", "constant 'text'"),
    ("x if x else x", "if/else"),
    ("x < 1", "comparison"),
    ("x and x", "and/or"),
    ("(y := 2)", ":= operator"),
    ("import os", "import statement"),
    ("x.data = 1", "assignment"),
    ("exp = x; exp(x)", "function name 'exp'"),
    ("x @ x", "operator MatMult"),
    ("x // 2", "operator FloorDiv"),
    ("", "empty"),
    ("(x +", "cannot parse"),
]


@pytest.mark.parametrize("text, problem", REFUSED)
def test_refused_with_a_clear_error(text, problem):
    with pytest.raises(ValueError) as info:
        expr.evaluate(text, {"x": 1.0})
    message = str(info.value)
    assert message.startswith("expression: ") and problem in message, message
    assert not Path("/tmp/viz_pwned").exists()


def test_bad_variable_names_and_types():
    with pytest.raises(ValueError, match="'exp' cannot be a variable name"):
        expr.evaluate("exp", {"exp": 1.0})
    with pytest.raises(ValueError, match="cannot be a variable name"):
        expr.evaluate("x", {"x.y": 1.0})
    with pytest.raises(TypeError, match="expected a string"):
        expr.evaluate(b"x", {"x": 1.0})


def _refused(call, size, error=ValueError, match=None):
    with pytest.raises(error, match=match):
        call(size)


HOSTILE = [
    (lambda n: expr.parse("x+" * n + "x"), 10_000, "too long"),
    (lambda n: expr.evaluate("-" * n + "x", {"x": 1.0}), 500, "nested more than"),
    (lambda n: expr.evaluate("(" * n + "x" + ")" * n, {"x": 1.0}), 1000, None),
]


@pytest.mark.parametrize("call,size,match", HOSTILE, ids=["long", "deep_minus", "deep_parens"])
def test_hostile_sizes_are_refused_with_work_that_does_not_grow(lines_run, call, size, match):
    _refused(call, size, match=match)  # first: caches (regexes, the parser's) warm up
    work, _ = lines_run(_refused, call, size, ValueError, match)
    work_10x, _ = lines_run(_refused, call, 10 * size, ValueError, match)
    assert work_10x < 1.5 * work, (work, work_10x)  # 10x the input, not 10x the work


def test_a_huge_power_overflows_at_once(lines_run):
    work, _ = lines_run(_refused, lambda n: expr.evaluate("9**9**9", {}), 0, ValueError, "9")
    assert work < 1_000, work  # floats overflow at once; Python ints would run for hours


def test_never_evals(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    f, _ = _run("sigmoid(w0*x0 + w2)", w0=2, x0=-1, w2=3)
    assert f.item() == pytest.approx(1 / (1 + math.exp(-1)))
    tree = ast.parse(Path(expr.__file__).read_text())
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}  # fmt: skip
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


# --- the `autodiff graph` command ------------------------------------------------------------
@needs_dot
def test_graph_command_writes_svg(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    code = cli.main(["graph", "(x+y)*z", "x=-2", "y=5", "z=-4", "-o", str(out)])
    assert code == 0
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:400]
    assert "MulBackward0" in svg and "−12" in svg
    assert "graph written to" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


def test_graph_command_speaks_vietnamese(tmp_path, capsys):
    out = tmp_path / "g.dot"
    argv = ["graph", "(x+y)*z", "x=-2", "y=5", "z=-4", "-o", str(out), "--lang", "vi", "--text"]
    assert cli.main(argv) == 0
    assert "giá trị −12" in out.read_text(encoding="utf-8")
    assert "giá trị" in capsys.readouterr().out


def test_graph_command_prints_text_without_output(capsys):
    assert cli.main(["graph", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4"]) == 0
    out = capsys.readouterr().out
    assert "q = x + y" in out and "f = q × z" in out and "grad −4" in out


@pytest.mark.parametrize("argv, problem", [
    (["graph", "__import__('os')", "x=1"], "function '__import__'"),
    (["graph", "x.data", "x=1"], "attribute access"),
    (["graph", "x + y", "x=1"], "unknown name 'y'"),
    (["graph", "x * 2", "x=abc"], "not a number"),
    (["graph", "x * 2", "x"], "NAME=VALUE"),
    (["graph", "2 * 3"], "does not depend"),
])  # fmt: skip
def test_graph_command_bad_input_is_an_error_exit(argv, problem, tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert cli.main(argv + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autodiff graph: error: ") and problem in err and "Traceback" not in err
    assert not out.exists()


def test_graph_command_without_dot_says_how_to_install(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert cli.main(["graph", "(x+y)*z", "x=-2", "y=5", "z=-4", "-o", str(tmp_path / "g.svg")]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()


def test_graph_command_in_a_subprocess(tmp_path):
    code = "import sys; from autodiff_cli import main; sys.exit(main(sys.argv[1:]))"
    bad = subprocess.run([sys.executable, "-c", code, "graph", "().__class__", "-o",
                          str(tmp_path / "g.dot")], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "attribute access" in bad.stderr
    good = subprocess.run([sys.executable, "-c", code, "graph", "(x+y)*z", "x=-2", "y=5", "z=-4",
                           "-o", str(tmp_path / "g.dot")], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert "MulBackward0" in (tmp_path / "g.dot").read_text()
