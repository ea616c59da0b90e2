"""torch's out= argument (autodiff/out.py), against torch: the list of functions that take it,
the values written, resizing, casting, refusals and tuples of outs."""

import re
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.out import OUT_NAMES

torch = pytest.importorskip("torch")


def _torch_documents_out(name: str) -> bool:
    signature = (getattr(torch, name).__doc__ or "").strip().split("\n\n")[0]
    return re.search(r"\bout\s*[:=]", signature) is not None


def test_every_function_torch_documents_with_out_takes_it_here():
    documented = [
        n
        for n in dir(torch)
        if not n.startswith("_") and hasattr(ad, n) and callable(getattr(torch, n))
        if not isinstance(getattr(torch, n), type) and _torch_documents_out(n)
    ]
    assert len(documented) > 150
    missing = [n for n in documented if "out" not in _parameters(getattr(ad, n))]
    assert not missing, missing


def _parameters(fn) -> set:
    import inspect

    return set(inspect.signature(fn).parameters)


# argument patterns that most functions take: the sweep below tries them in order. Names:
# x a 3x3 float matrix, v a sorted float vector, b a batch of matrices, p probabilities, i an
# int matrix, j int indices, m a bool mask
RNG = np.random.default_rng(0)
VALUES = {
    "x": RNG.random((3, 3)).astype(np.float32) + 0.5,
    "v": np.array([0.25, 0.75, 1.25], np.float32),
    "b": RNG.random((2, 3, 3)).astype(np.float32),
    "p": RNG.random((3, 3)).astype(np.float32),
    "i": RNG.integers(1, 20, (3, 3)),
    "j": np.array([2, 0, 1]),
    "m": RNG.random((3, 3)) > 0.5,
}
PATTERNS = [
    ("x",), ("x", "x"), ("x", 0), ("x", "x", "x"), (["x", "x"],), ("x", 1, 0), ((3,),),
    ("v", "v"), ("x", "v"), ("x", "v", "v"), ("v", "x", "v"), ("b", "b"), ("x", "b", "b"),
    ("b", "b", "b"), ("i",), ("i", "i"), ("x", 0, "i2"), ("x", 0, "j"), ("x", 0, "j", "x"),
    ("x", 0, "j", "x", "prod"), ("x", "i2"), ("x", "m"), ("m", "x", "x"), ("x", "v"), (5,),
    (0, 5, (3,)), (0, 3), (0, 1, 5), ((2,), 1.5), ("p",), ("p", 2), ("x", 1), (1, "x"),
    ("x", 2, 0, 1.0), ("x", 0, 0, 2),
]  # fmt: skip


def _args(lib, pattern):
    def one(a):
        if isinstance(a, list):
            return [one(b) for b in a]
        if a == "i2":  # indices into a dim of 3, as gather and take_along_dim take them
            return lib.tensor(VALUES["i"] % 3)
        return lib.tensor(VALUES[a]) if isinstance(a, str) and a in VALUES else a

    return [one(a) for a in pattern]


def _empty_like(lib, result):
    if isinstance(result, tuple):
        return tuple(lib.empty(0, dtype=r.dtype) for r in result)
    return lib.empty(0, dtype=result.dtype)


def _first_pattern(name):
    """The first pattern torch takes for name, with an empty out= too; None if none."""
    for pattern in PATTERNS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's deprecation notes (chain_matmul, qr)
                result = getattr(torch, name)(*_args(torch, pattern))
                if not isinstance(result, (torch.Tensor, tuple)):
                    return None
                getattr(torch, name)(*_args(torch, pattern), out=_empty_like(torch, result))
        except Exception:
            continue
        return pattern
    return None


@pytest.mark.parametrize("name", OUT_NAMES)
def test_out_gets_torchs_values_and_is_returned(name):
    """Each listed function called with out= on the first argument pattern torch takes: the
    same values as torch's, written into our out, which the call returns (a random draw after
    the same seed: torch's numbers too)."""
    pattern = _first_pattern(name)
    if pattern is None:
        pytest.skip(f"no simple argument pattern for torch.{name}")
    results = {}
    for lib in (torch, ad):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = getattr(lib, name)(*_args(lib, pattern))
        out = _empty_like(lib, plain)
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation notes (chain_matmul, qr)
            warnings.filterwarnings("error", "An output")  # an empty out is resized silently
            returned = getattr(lib, name)(*_args(lib, pattern), out=out)
        outs = out if isinstance(out, tuple) else (out,)
        got = returned if isinstance(returned, tuple) else (returned,)
        assert all(a is b for a, b in zip(got, outs)), name
        results[lib] = [o.detach().numpy() for o in outs]
    for ours, theirs in zip(results[ad], results[torch]):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, name
        if name != "empty":  # uninitialised memory in torch
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6, err_msg=name)


def test_a_non_empty_out_of_another_shape_is_resized_with_torchs_warning():
    for lib in (ad, torch):
        out = lib.zeros(2)
        with pytest.warns(UserWarning, match=r"resized since it had shape \[2\].*\[2, 2\]"):
            lib.matmul(lib.ones(2, 3), lib.ones(3, 2), out=out)
        assert out.shape == (2, 2) and out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_out_casts_as_torch_allows_and_refuses_the_rest():
    for lib in (ad, torch):
        out = lib.zeros(2, dtype=lib.float64)
        lib.add(lib.tensor([1.5, 2.5]), 1, out=out)
        assert out.dtype == lib.float64 and out.tolist() == [2.5, 3.5]
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired"):
            lib.add(lib.tensor([1.5]), 1, out=lib.zeros(1, dtype=lib.int64))


def test_out_refuses_autograd_as_torch():
    for lib in (ad, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"out=\.\.\. arguments don't support automatic"):
            lib.mul(x, 2, out=lib.zeros(2))
        with pytest.raises(RuntimeError, match=r"out=\.\.\. arguments don't support automatic"):
            lib.mul(lib.ones(2), 2, out=lib.zeros(2, requires_grad=True))  # out itself
        with lib.no_grad():
            assert lib.mul(x, 2, out=lib.zeros(2)).tolist() == [2.0, 2.0]


def test_a_tuple_of_outs_comes_back_as_torchs_kind_of_tuple():
    x = np.array([[3.0, 1.0], [2.0, 5.0]], np.float32)
    for lib in (ad, torch):
        values, indices = lib.empty(0), lib.empty(0, dtype=lib.int64)
        result = lib.max(lib.tensor(x), 1, out=(values, indices))
        assert result.values is values and result.indices is indices
        assert values.tolist() == [3.0, 5.0] and indices.tolist() == [0, 1]
        with pytest.raises(TypeError, match="out"):
            lib.max(lib.tensor(x), 1, out=values)


def test_creation_functions_make_outs_dtype_as_torch():
    for lib in (ad, torch):
        out = lib.empty(0, dtype=lib.int64)
        assert lib.zeros(3, out=out).dtype == lib.int64 and out.tolist() == [0, 0, 0]
        assert lib.arange(4, out=lib.empty(0, dtype=lib.float64)).tolist() == [0.0, 1.0, 2.0, 3.0]


def test_out_may_be_an_input_and_its_version_moves():
    a = ad.tensor([1.0, 2.0])
    w = ad.ones(2, requires_grad=True)
    y = w * a  # saves a
    ad.add(a, 1, out=a)
    assert a.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_out_under_compile_equals_eager():
    def step(x, buffer):
        with ad.no_grad():
            ad.mul(x, 3, out=buffer)
        return buffer + 1

    compiled = ad.compile(step)
    for values in ([1.0, 2.0], [4.0, -1.0], [0.5, 0.25]):
        eager_buffer, compiled_buffer = ad.zeros(2), ad.zeros(2)
        want = step(ad.tensor(values), eager_buffer)
        got = compiled(ad.tensor(values), compiled_buffer)
        assert got.tolist() == want.tolist() and compiled_buffer.tolist() == eager_buffer.tolist()
