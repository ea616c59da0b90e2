"""torch.testing (autodiff.testing): assert_close passes and fails where torch's does, with
torch's messages; make_tensor draws torch's values for a seed; no hypothesis needed."""

import subprocess
import sys

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def cases(lib):
    t = lib.tensor
    f64 = lib.float64
    return {
        "f32 close": (t([1.0, 2.0, 3.0]), t([1.0, 2.0, 3.0 + 1e-6]), {}),
        "f32 far": (t([1.0, 2.1, 3.0]), t([1.0, 2.0, 3.0]), {}),
        "f64 far": (t([1.0, 2.0, 3.0], dtype=f64), t([1.0, 2.0 + 1e-6, 3.5], dtype=f64), {}),
        "f64 near default": (t([1.0], dtype=f64), t([1.0 + 5e-8], dtype=f64), {}),
        "f64 just out": (t([1.0], dtype=f64), t([1.0 + 3e-7], dtype=f64), {}),
        "int": (t([1, 2, 3]), t([1, 3, 3]), {}),
        "int tol": (t([1, 2, 3]), t([1, 3, 3]), {"rtol": 0, "atol": 1}),
        "bool": (t([True, False]), t([True, True]), {}),
        "2d": (t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 2.0], [3.5, 4.0]]), {}),
        "0d": (t(1.0), t(1.5), {}),
        "zero expected": (t([0.0, 1.0]), t([0.0, 0.0]), {}),
        "nan": (t([float("nan"), 1.0]), t([float("nan"), 1.0]), {}),
        "nan equal": (t([float("nan"), 1.0]), t([float("nan"), 1.0]), {"equal_nan": True}),
        "inf": (t([float("inf"), 1.0]), t([float("inf"), 1.0]), {}),
        "-inf vs inf": (t([float("-inf")]), t([float("inf")]), {}),
        "shape": (t([1.0, 2.0]), t([1.0, 2.0, 3.0]), {}),
        "dtype": (t([1.0, 2.0]), t([1.0, 2.0], dtype=f64), {}),
        "dtype unchecked": (t([1.0, 2.0]), t([1.0, 2.0 + 1e-7], dtype=f64), {"check_dtype": False}),
        "dtype unchecked far": (t([1.0, 2.0]), t([1.0, 2.001], dtype=f64), {"check_dtype": False}),
        "custom tol": (t([1.0, 2.0]), t([1.0, 2.1]), {"rtol": 0.1, "atol": 0.0}),
        "custom tol fail": (t([1.0, 2.0]), t([1.0, 2.5]), {"rtol": 0.1, "atol": 0.01}),
        "only rtol": (t([1.0]), t([1.0]), {"rtol": 0.1}),
        "only atol": (t([1.0]), t([1.0]), {"atol": 0.1}),
        "msg str": (t([1.0]), t([2.0]), {"msg": "custom message"}),
        "float scalars": (1.0, 1.1, {}),
        "float scalars close": (1.0, 1.0 + 1e-8, {}),
        "int scalars": (1, 2, {}),
        "int vs float": (1, 1.0, {}),
        "int vs float unchecked": (1, 1.0, {"check_dtype": False}),
        "bools": (True, False, {}),
        "list": ([t([1.0]), t([2.0])], [t([1.0]), t([2.5])], {}),
        "list length": ([1.0, 2.0], [1.0], {}),
        "dict": ({"a": t([1.0]), "b": t([2.0])}, {"a": t([1.0]), "b": t([3.0])}, {}),
        "dict keys": ({"a": t([1.0])}, {"b": t([1.0])}, {}),
        "none": (None, None, {}),
        "none vs 1": (None, 1, {}),
        "tensor vs list": (t([1.0]), [1.0], {}),
        "tensor vs float": (t(1.0), 1.0, {}),
        "many mismatches": (
            t(np.arange(12.0, dtype=np.float32).reshape(3, 4)),
            t(np.arange(12.0, dtype=np.float32).reshape(3, 4) * 1.1),
            {},
        ),
        "grad": (t([1.0, 2.0], requires_grad=True), t([1.0, 2.0]), {}),
        "uint8": (t([1, 200], dtype=lib.uint8), t([1, 100], dtype=lib.uint8), {}),
        "f16": (t([1.0, 2.0], dtype=lib.float16), t([1.0, 2.002], dtype=lib.float16), {}),
        "f16 close": (t([1.0, 2.0], dtype=lib.float16), t([1.0, 2.0019], dtype=lib.float16), {}),
        "complex": (
            t(np.array([1 + 1j], dtype=np.complex64)),
            t(np.array([1 + 1.5j], dtype=np.complex64)),
            {},
        ),
    }


def more(lib):
    t = lib.tensor
    return {
        "nested": ([[t([1.0]), t([2.0])], 3], [[t([1.0]), t([2.5])], 3], {}),
        "nested keys": ([{"a": 1}], [{"b": 1}], {}),
        "numpy arrays": (np.array([1.0, 2.0]), np.array([1.0, 2.5]), {}),
        "numpy vs tensor": (np.array([1.0]), t([1.0]), {}),
        "msg callable": (t([1.0]), t([2.0]), {"msg": lambda m: "PREFIX " + m}),
        "0d int": (t(1), t(2), {}),
        "uint8 0": (t([0, 5], dtype=lib.uint8), t([3, 5], dtype=lib.uint8), {}),
        "mismatch ties": (t([1.0, 2.0, 3.0]), t([2.0, 3.0, 4.0]), {}),
        "f64 scalar nan": (float("nan"), float("nan"), {"equal_nan": True}),
        "float inf": (float("inf"), float("inf"), {}),
        "np float": (np.float32(1.0), np.float32(1.5), {}),
        "tuple": ((1.0, 2.0), (1.0, 2.0), {}),
        # the close element differs more than the mismatched one: only mismatches are reported
        "stride": (
            t(np.arange(6.0).reshape(2, 3)).t(),
            t(np.arange(6.0).reshape(2, 3).T.copy()),
            {"check_stride": True},
        ),
        "stride unchecked": (
            t(np.arange(6.0).reshape(2, 3)).t(),
            t(np.arange(6.0).reshape(2, 3).T.copy()),
            {},
        ),
        "close element differs more": (t([1000.0, 1.0]), t([1000.0012, 1.0005]), {}),
        "int vs float tensor unchecked": (
            t([1, 2]),
            t([1.0, 2.0000001], dtype=lib.float64),
            {"check_dtype": False},
        ),
    }


def outcome(lib, actual, expected, kw):
    try:
        lib.testing.assert_close(actual, expected, **kw)
        return "ok"
    except Exception as e:  # the type and the message, compared below
        return f"{type(e).__name__}: {e}"


CASES = sorted({**cases(ad), **more(ad)})


@pytest.mark.parametrize("name", CASES)
def test_assert_close_as_torch(name):
    theirs = outcome(torch, *{**cases(torch), **more(torch)}[name])
    ours = outcome(ad, *{**cases(ad), **more(ad)}[name])
    assert ours == theirs.replace("torch.Tensor", "autodiff.tensor.Tensor")


def test_cases_pass_and_fail():
    """Both kinds are among the cases: a comparison that always passed would be caught."""
    results = [outcome(ad, *case) for case in {**cases(ad), **more(ad)}.values()]
    assert results.count("ok") >= 10
    assert sum(r.startswith("AssertionError: Tensor-likes are not close!") for r in results) >= 8


TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def test_a_parameter_compares_with_a_tensor_as_torch():
    import nn

    for lib, parameter in ((torch, torch.nn.Parameter), (ad, nn.Parameter)):
        p, t = parameter(lib.ones(2)), lib.ones(2)
        lib.testing.assert_close(p, t)
        lib.testing.assert_close(t, p)
        with pytest.raises(TypeError, match="No comparison pair was able to handle"):
            lib.testing.assert_close(p, t, allow_subclasses=False)


@pytest.mark.parametrize("dtype", sorted(TOLERANCES))
def test_default_tolerances_at_their_edge(dtype):
    """Half and twice rtol·|expected| + atol away, for each float dtype: inside passes,
    outside fails, on both."""
    rtol, atol = TOLERANCES[dtype]
    for expected in (100.0, 0.0, -3.0):
        for scale, passes in ((0.5, True), (2.0, False)):
            e = np.array([expected], dtype)
            a = (e + scale * (rtol * abs(expected) + atol)).astype(dtype)
            for lib in (torch, ad):
                result = outcome(lib, lib.tensor(a), lib.tensor(e), {})
                assert (result == "ok") == passes, (lib.__name__, expected, scale, result)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
def test_make_tensor_draws_torch_s_values(dtype):
    for options in ({}, {"low": -2, "high": 3, "noncontiguous": True, "exclude_zero": True}):
        if dtype == "bool" and options:
            options = {"noncontiguous": True}
        torch.manual_seed(5)
        ad.manual_seed(5)
        theirs = torch.testing.make_tensor(
            3, 4, dtype=getattr(torch, dtype), device="cpu", **options
        )
        ours = ad.testing.make_tensor((3, 4), dtype=getattr(ad, dtype), **options)
        assert ours.shape == theirs.shape and ours.is_contiguous() == theirs.is_contiguous()
        assert np.array_equal(ours.detach().numpy(), theirs.detach().numpy())
    assert ad.testing.make_tensor(2, dtype=ad.float64, requires_grad=True).requires_grad


def test_make_tensor_refuses_as_torch():
    for lib in (torch, ad):
        with pytest.raises(ValueError, match="`low` must be less than `high`"):
            lib.testing.make_tensor(2, dtype=lib.float32, device="cpu", low=3, high=1)
        with pytest.raises(ValueError, match="not supported for boolean and integral"):
            lib.testing.make_tensor(2, dtype=lib.int64, device="cpu", requires_grad=True)


def test_torch_testing_needs_no_hypothesis():
    """autodiff.testing imports without hypothesis; its property checks load it on first use."""
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import autodiff as ad\n"
        "ad.testing.assert_close(ad.ones(2), ad.ones(2))\n"
        "try:\n    ad.testing.arrays\nexcept ImportError:\n    print('lazy')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "lazy"
    from autodiff.testing import arrays, assert_gradients_match  # with hypothesis: loaded

    assert callable(arrays) and callable(assert_gradients_match)
