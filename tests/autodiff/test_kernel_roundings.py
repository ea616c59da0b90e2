"""Where torch's CPU kernels round, bit for bit: a 0-d tensor meeting a tensor with dims of
the same category takes the dims' dtype; pow's specialised exponents are products (x³ rounded
twice); in bfloat16 and float16 the scalar of add and sub is cast to the tensor's dtype
first, while mul and div compute with a second-operand scalar as given. Each compared with
torch on many values (a rounding rule shows as a fraction of elements that differ)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

VALUES = np.random.default_rng(0).standard_normal(20_000).astype(np.float32) * 3


def _both(fn, dtype):
    ours = fn(ad, ad.tensor(VALUES).to(getattr(ad, dtype)))
    theirs = fn(torch, torch.tensor(VALUES).to(getattr(torch, dtype)))
    assert str(ours.dtype) == str(theirs.dtype)
    return ours.double().numpy(), theirs.double().numpy()


def _same(fn, dtype):
    ours, theirs = _both(fn, dtype)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("exponent", [2, 3, -2, -1, -0.5, 2.0001, 3.0])
def test_pow_by_torchs_products(dtype, exponent):
    """(2.0001 is 2 in bfloat16; in float32 it is pow's own kernel, which is Sleef's here.)"""
    if exponent == 2.0001 and dtype != "bfloat16":
        return
    for fn in (
        lambda lib, x: lib.pow(x.abs() + 0.25, exponent),
        lambda lib, x: x.abs() ** exponent,
    ):
        ours, theirs = _both(fn, dtype)
        if exponent == -0.5:  # 1/sqrt: torch's float32 sqrt (MKL's on this AMD CPU) is off
            assert np.mean(ours != theirs) < 1e-3  # by one ulp in ~20% of values
        else:
            np.testing.assert_array_equal(ours, theirs)


def test_pow_gradient_as_torchs_formula():
    """grad · (p · x^(p-1)), in that order."""
    for lib, results in ((ad, []), (torch, [])):
        x = lib.tensor(VALUES[:500]).abs().add(0.5).requires_grad_()
        (x**3).backward(lib.tensor(VALUES[500:1000]))
        results.append(x.grad.numpy())
        if lib is ad:
            ours = results[0]
        else:
            np.testing.assert_array_equal(ours, results[0])


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize(
    "op",
    [
        lambda lib, x: x + 0.3,
        lambda lib, x: x - 0.3,
        lambda lib, x: 0.3 - x,
        lambda lib, x: lib.add(x, 0.3, alpha=2),
        lambda lib, x: x * 0.3,
        lambda lib, x: 0.3 * x,
        lambda lib, x: x / 3.3,
        lambda lib, x: x * lib.tensor(0.7978845834732056),
        lambda lib, x: lib.tensor(0.7978845834732056) * x,
        lambda lib, x: x / lib.tensor(3.3),
        lambda lib, x: lib.tensor(3.3) / x,
        lambda lib, x: x + lib.tensor(0.3),
        lambda lib, x: lib.tensor(0.3, dtype=lib.float64) - x,
    ],
    ids=["add", "sub", "rsub", "alpha", "mul", "rmul", "div", "mul0d", "0dmul", "div0d", "0ddiv",
         "add0d", "0dsub"],
)  # fmt: skip
def test_reduced_precision_scalars_as_torch(dtype, op):
    ours, theirs = _both(op, dtype)
    differ = np.mean(ours != theirs)
    assert differ <= 1e-3, f"{differ:.1%} of the elements differ from torch's"


ZERO_D = {
    "mul": lambda lib, x, c: x * c,
    "rmul": lambda lib, x, c: c * x,
    "add": lambda lib, x, c: c + x,
    "div": lambda lib, x, c: x / c,
    "maximum": lambda lib, x, c: lib.maximum(x, c),
    "minimum": lambda lib, x, c: lib.minimum(c, x),
    "where": lambda lib, x, c: lib.where(x > 0, x, c),
    "atan2": lambda lib, x, c: lib.atan2(x, c),
    "fmod": lambda lib, x, c: lib.fmod(x, c),
    "pow": lambda lib, x, c: x.abs() ** c,
    "eq": lambda lib, x, c: x == c,
    "lt": lambda lib, x, c: c < x,
}


@pytest.mark.parametrize("op", ZERO_D)
@pytest.mark.parametrize(
    "dims, scalar",
    [("float32", "float64"), ("float16", "float32"), ("int32", "int64"), ("float32", "float16")],
)
def test_a_0d_tensor_takes_the_dims_dtype(op, dims, scalar):
    if op in ("atan2", "pow", "fmod") and dims == "int32":
        return  # float results of integers: another rule
    value = 0.1 if "float" in scalar else 3

    def run(lib):
        x = lib.tensor(VALUES[:2000] * 10).to(getattr(lib, dims))
        c = lib.tensor(value, dtype=getattr(lib, scalar))
        return ZERO_D[op](lib, x, c)

    ours, theirs = run(ad), run(torch)
    assert str(ours.dtype) == str(theirs.dtype)
    ours, theirs = ours.double().numpy(), theirs.double().numpy()
    if op in ("atan2", "pow"):  # their float kernels are Sleef's: the last bit may differ
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_comparison_in_the_dims_dtype():
    """float32 0.1 equals a float64 0-d 0.1 (compared in float32), as in torch."""
    assert (ad.tensor([0.1]) == ad.tensor(0.1, dtype=ad.float64)).item()
    assert not (ad.tensor([0.1]) < ad.tensor(0.1, dtype=ad.float64)).item()


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_reduced_precision_comparisons_with_a_number_as_torch(dtype):
    """A number meets a bfloat16 tensor as bfloat16 (0.3 is 0.30078125, so x > 0.3 is False
    at x = 0.30078125), as torch compares in the common dtype."""
    for op in (lambda x: x > 0.3, lambda x: x == 0.3, lambda x: x <= 0.3, lambda x: 0.3 < x):
        ours, theirs = _both(lambda lib, x, op=op: op(x.abs() * 0.1), dtype)
        np.testing.assert_array_equal(ours, theirs)
    h = [0.30078125, 0.2998046875, 0.3, 1.0]
    assert (ad.tensor(h).to(getattr(ad, dtype)) > 0.3).tolist() == (
        torch.tensor(h).to(getattr(torch, dtype)) > 0.3
    ).tolist()
