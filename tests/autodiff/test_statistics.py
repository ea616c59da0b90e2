"""Statistics (ops/statistics.py) and register_post_accumulate_grad_hook: NaN rules, weights,
interpolation modes and torch's errors, compared with torch."""

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile import CompileError

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 5))
WITH_NAN = X.copy()
WITH_NAN[1, 2] = np.nan
WITH_NAN[2, :] = np.nan
AW = [0.5, 2, 1, 1, 3.0]
TIES = np.array([[1.0, 2.0, 2.0, 3.0, np.nan], [0.5, 0.5, 0.5, -1.0, 4.0], [2.0] * 5])


def _f64(lib, values):
    return lib.tensor(values, dtype=lib.float64)


def _aw(lib):
    return _f64(lib, AW)


def _run(lib, call, data):
    x = lib.tensor(data, requires_grad=True)
    out = call(lib, x * 1)
    values = out[0] if isinstance(out, tuple) else out
    g = np.arange(values.numel(), dtype=np.float64).reshape(tuple(values.shape)) + 1
    values.backward(lib.tensor(g))
    extra = out[1].detach().numpy() if isinstance(out, tuple) else None
    return values.detach().numpy(), np.nan_to_num(x.grad.detach().numpy(), nan=-7.0), extra


CALLS = [
    ("cov_aweights", X, lambda lib, x: lib.cov(x, aweights=_aw(lib))),
    ("cov_both_weights", X, lambda lib, x: x.cov(correction=2, fweights=lib.tensor([1, 2, 1, 1, 3]),
                                                  aweights=_aw(lib))),
    ("cov_one_variable", X, lambda lib, x: lib.cov(x[0])),
    ("corrcoef", X, lambda lib, x: x.corrcoef()),
    ("corrcoef_one_variable", X, lambda lib, x: lib.corrcoef(x[1])),
    ("quantile_nan_in_slice", WITH_NAN, lambda lib, x: lib.quantile(x, 0.6, dim=1)),
    ("quantile_nan_anywhere", WITH_NAN, lambda lib, x: x.quantile(0.2)),
    ("nanquantile_rows", WITH_NAN, lambda lib, x: lib.nanquantile(x, _f64(lib, [0.1, 0.6, 0.625]), dim=1)),
    ("nanquantile_all", WITH_NAN, lambda lib, x: x.nanquantile(0.5, keepdim=True)),
    ("nanquantile_nearest", WITH_NAN, lambda lib, x: x.nanquantile(0.5, dim=1, interpolation="nearest")),
    ("quantile_midpoint_negative_dim", X, lambda lib, x: x.quantile(
        0.3, dim=-2, keepdim=True, interpolation="midpoint")),
    ("nanmedian_all", WITH_NAN, lambda lib, x: lib.nanmedian(x)),
    ("nanmedian_ties", TIES, lambda lib, x: x.nanmedian()),
    ("nanmedian_rows", WITH_NAN, lambda lib, x: x.nanmedian(1)),
    ("nanmedian_ties_rows", TIES, lambda lib, x: lib.nanmedian(x, -1, keepdim=True)),
    ("nanmedian_all_nan", np.full((2, 3), np.nan), lambda lib, x: x.nanmedian()),
    ("msort", X, lambda lib, x: lib.msort(x)),
]  # fmt: skip


@pytest.mark.parametrize("name, data, call", CALLS, ids=[c[0] for c in CALLS])
def test_values_gradients_and_indices_match_torch(name, data, call):
    (ours, grad, idx), (theirs, t_grad, t_idx) = _run(ad, call, data), _run(torch, call, data)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-12, atol=1e-15)
    if t_idx is not None:
        np.testing.assert_array_equal(idx, t_idx)


def test_cov_with_too_few_observations_warns_and_gives_inf_as_torch():
    with pytest.warns(RuntimeWarning, match="degrees of freedom is <= 0"):
        ours = ad.cov(ad.tensor([[1.0], [2.0]]))
    with pytest.warns(UserWarning):
        theirs = torch.cov(torch.tensor([[1.0], [2.0]]))
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_cov_of_integers_is_float_as_torch():
    ours, theirs = (
        ad.cov(ad.tensor([[1, 2, 4], [0, 1, 1]])),
        torch.cov(torch.tensor([[1, 2, 4], [0, 1, 1]])),
    )
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


ERRORS = [
    ("cov: expected input to have two or fewer dimensions", lambda lib: lib.cov(lib.zeros(2, 2, 2))),
    ("cov: expected weights to be a 1-d tensor with 3 elements",
     lambda lib: lib.cov(lib.zeros(2, 3), fweights=lib.tensor([1, 1]))),
    ("cov: expected fweights to have an integral dtype",
     lambda lib: lib.cov(lib.zeros(2, 3), fweights=lib.tensor([1.0, 1.0, 1.0]))),
    ("quantile: q values must be in the range \\[0, 1\\]", lambda lib: lib.quantile(lib.zeros(3), 1.5)),
    ("quantile: q must be a scalar or 1D tensor",
     lambda lib: lib.quantile(lib.zeros(3), lib.zeros(2, 2))),
    ("quantile: q tensor must be same dtype as the input tensor",
     lambda lib: lib.quantile(lib.zeros(3), lib.tensor([0.5], dtype=lib.float64))),
    ("quantile: input tensor must be either float or double dtype",
     lambda lib: lib.quantile(lib.tensor([1, 2]), 0.5)),
    ("nanquantile: interpolation must be one of linear, lower, higher, midpoint or nearest",
     lambda lib: lib.nanquantile(lib.zeros(3), 0.5, interpolation="cubic")),
    ("quantile: dim 2 is out of range", lambda lib: lib.quantile(lib.zeros(3, 2), 0.5, dim=2)),
    ("nanmedian: Expected reduction dim 1 to have non-zero size",
     lambda lib: lib.nanmedian(lib.zeros(2, 0), 1)),
]  # fmt: skip


@pytest.mark.parametrize("message, call", ERRORS, ids=[e[0][:40] for e in ERRORS])
def test_errors_name_the_op_and_torch_refuses_too(message, call):
    caught = (RuntimeError, IndexError, ValueError, TypeError)
    with pytest.raises(caught, match=message):
        call(ad)
    with pytest.raises(caught):
        call(torch)


# --- register_post_accumulate_grad_hook --------------------------------------------------------
def test_post_accumulate_grad_hook_sees_the_accumulated_grad_as_torch():
    seen = {}
    for lib in (ad, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        calls = seen[lib.__name__] = []
        handle = w.register_post_accumulate_grad_hook(lambda t, c=calls: c.append(t.grad.tolist()))
        (w * 3).sum().backward()
        (w * w).sum().backward()
        handle.remove()
        (w * 1).sum().backward()
        lib.autograd.grad((w * 5).sum(), w)  # no accumulation: no call
    assert seen["autodiff"] == seen["torch"] == [[3.0, 3.0], [5.0, 7.0]]


def test_post_accumulate_grad_hook_can_step_the_parameter_in_the_backward_pass():
    w = ad.tensor([1.0, -2.0], requires_grad=True)

    def sgd(t):
        with ad.no_grad():
            t -= 0.5 * t.grad
        t.grad = None

    w.register_post_accumulate_grad_hook(sgd)
    (w * w).sum().backward()
    assert w.tolist() == [0.0, 0.0] and w.grad is None


def test_post_accumulate_grad_hook_is_refused_where_torch_refuses():
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (ad.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ad.ones(2).register_post_accumulate_grad_hook(print)


def test_compile_refuses_a_post_accumulate_grad_hook():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: None)

    @ad.compile
    def step(x):
        (w * x).sum().backward()

    with pytest.raises(CompileError, match="register_post_accumulate_grad_hook"):
        step(ad.tensor([1.0, 1.0]))
