"""In-place ops and the version counter: torch's rules, never a silently wrong gradient."""

import inspect
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import autodiff as ad
import nn
import nn.functional as F

MODIFIED = "modified by an inplace operation"

# every in-place method of Tensor (torch's trailing underscore), read from the class
INPLACE = sorted(n for n in dir(ad.Tensor) if n.endswith("_") and not n.startswith("_"))
# in-place methods without an out-of-place Tensor method of the same name, as in torch
NO_OUT_OF_PLACE = {
    "zero_": "ad.zeros_like is its out-of-place form",
    "fill_": "ad.full_like is its out-of-place form",
    "copy_": "the source itself (clone) is its out-of-place form",
    "requires_grad_": "sets a flag, not an op (test_semantics.py)",
    "share_memory_": "moves the storage, not an op (test_multiprocessing.py)",
    "uniform_": "a random fill (ad.rand is its out-of-place form)",
    "normal_": "a random fill (ad.randn)",
    "exponential_": "a random fill",
    "cauchy_": "a random fill",
    "log_normal_": "a random fill",
    "geometric_": "a random fill",
    "random_": "a random fill (ad.randint)",
    "fill_diagonal_": "in place only, as torch",
    **{
        n: "in place only, as torch (test_names5.py)"
        for n in ("apply_", "map_", "resize_", "resize_as_")
    },
}
# in-place methods compared with torch elsewhere, and where
TESTED_ELSEWHERE = {
    "requires_grad_": "test_semantics.py",
    "share_memory_": "test_multiprocessing.py: moves the storage, values unchanged",
    "as_strided_": "test_as_strided.py: a change of geometry, not of values",
    "index_reduce_": "test_surface2_names.py: against torch, with its gradients",
    **{n: "test_aliases.py: integer and bool values, as torch" for n in (
        "bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_not_", "bitwise_left_shift_",
        "bitwise_right_shift_", "logical_and_", "logical_or_", "logical_xor_",
        "logical_not_")},
    **{n: "test_aliases.py: a change of shape, not of values" for n in (
        "squeeze_", "unsqueeze_", "t_", "transpose_", "swapaxes_", "swapdims_", "detach_")},
    "floor_divide_": "test_modulo_and_statistics.py: no derivative in torch",
    "heaviside_": "test_names5.py: no derivative in torch",
    **{n: "test_names5.py: no gradient, as torch (refused where one is asked)" for n in (
        "apply_", "map_", "resize_", "resize_as_")},
    **{n: "test_names5.py: integer values only, as torch" for n in ("gcd_", "lcm_")},
    **{n: "test_names5.py: no derivative for a, the tensor written, as torch" for n in (
        "igamma_", "igammac_")},
    **{n: "test_random.py: torch's numbers bit for bit" for n in (
        "bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_", "normal_",
        "random_", "uniform_")},
}  # fmt: skip

# (name, in-place call, out-of-place reference, torch's in-place call, domain of x): the forms
# that take arguments; those whose out-of-place op needs none are derived below
FORMS = [
    ("add_", lambda x, y: x.add_(y), lambda x, y: x + y, lambda x, y: x.add_(y), None),
    ("add_alpha", lambda x, y: x.add_(y, alpha=0.5), lambda x, y: x + 0.5 * y,
     lambda x, y: x.add_(y, alpha=0.5), None),
    ("sub_", lambda x, y: x.sub_(y), lambda x, y: x - y, lambda x, y: x.sub_(y), None),
    ("mul_", lambda x, y: x.mul_(y), lambda x, y: x * y, lambda x, y: x.mul_(y), None),
    ("div_", lambda x, y: x.div_(y), lambda x, y: x / y, lambda x, y: x.div_(y), "pos"),
    ("iadd", lambda x, y: x.__iadd__(y), lambda x, y: x + y, lambda x, y: x.__iadd__(y), None),
    ("isub", lambda x, y: x.__isub__(y), lambda x, y: x - y, lambda x, y: x.__isub__(y), None),
    ("imul", lambda x, y: x.__imul__(y), lambda x, y: x * y, lambda x, y: x.__imul__(y), None),
    ("itruediv", lambda x, y: x.__itruediv__(y), lambda x, y: x / y,
     lambda x, y: x.__itruediv__(y), "pos"),
    ("pow_", lambda x, y: x.pow_(2), lambda x, y: x**2, lambda x, y: x.pow_(2), None),
    ("ipow", lambda x, y: x.__ipow__(3), lambda x, y: x**3, lambda x, y: x.__ipow__(3), None),
    ("clamp_", lambda x, y: x.clamp_(-0.5, 0.5), lambda x, y: x.clamp(-0.5, 0.5),
     lambda x, y: x.clamp_(-0.5, 0.5), None),
    ("clip_", lambda x, y: x.clip_(-0.5, 0.5), lambda x, y: x.clip(-0.5, 0.5),
     lambda x, y: x.clip_(-0.5, 0.5), None),
    ("clamp_min_", lambda x, y: x.clamp_min_(0.1), lambda x, y: x.clamp_min(0.1),
     lambda x, y: x.clamp_min_(0.1), None),
    ("clamp_max_", lambda x, y: x.clamp_max_(0.1), lambda x, y: x.clamp_max(0.1),
     lambda x, y: x.clamp_max_(0.1), None),
    ("masked_fill_", lambda x, y: x.masked_fill_(x > 0, 2.0),
     lambda x, y: x.masked_fill(x > 0, 2.0), lambda x, y: x.masked_fill_(x > 0, 2.0), None),
    ("zero_", lambda x, y: x.zero_(), lambda x, y: x * 0, lambda x, y: x.zero_(), None),
    ("fill_", lambda x, y: x.fill_(1.5), lambda x, y: x * 0 + 1.5, lambda x, y: x.fill_(1.5), None),
    ("copy_", lambda x, y: x.copy_(y), lambda x, y: y + 0 * x, lambda x, y: x.copy_(y), None),
    ("setitem_basic", lambda x, y: x.__setitem__(slice(0, 2), y[:2]) or x,
     None, lambda x, y: x.__setitem__(slice(0, 2), y[:2]) or x, None),
    ("setitem_advanced", lambda x, y: x.__setitem__(ad.tensor([3, 0]), y[1:3]) or x,
     None, lambda x, y: x.__setitem__(_torch().tensor([3, 0]), y[1:3]) or x, None),
    ("round_", lambda x, y: x.round_(decimals=1), lambda x, y: x.round(decimals=1),
     lambda x, y: x.round_(decimals=1), None),
    ("tril_", lambda x, y: _on_view(x, (1, 5), lambda v: v.tril_(1)),
     lambda x, y: x.view(1, 5).tril(1).view(5),
     lambda x, y: _on_view(x, (1, 5), lambda v: v.tril_(1)), None),
    ("triu_", lambda x, y: _on_view(x, (5, 1), lambda v: v.triu_(-2)),
     lambda x, y: x.view(5, 1).triu(-2).view(5),
     lambda x, y: _on_view(x, (5, 1), lambda v: v.triu_(-2)), None),
    ("scatter_", lambda x, y: x.scatter_(0, _index(ad), y[:2]),
     lambda x, y: x.scatter(0, _index(ad), y[:2]), lambda x, y: x.scatter_(0, _index(_torch()), y[:2]),
     None),
    ("scatter_add_", lambda x, y: x.scatter_add_(0, _index(ad), y[:2]),
     lambda x, y: x.scatter_add(0, _index(ad), y[:2]),
     lambda x, y: x.scatter_add_(0, _index(_torch()), y[:2]), None),
    ("index_add_", lambda x, y: x.index_add_(0, _repeated(ad), y[:3], alpha=0.5),
     lambda x, y: x.index_add(0, _repeated(ad), y[:3], alpha=0.5),
     lambda x, y: x.index_add_(0, _repeated(_torch()), y[:3], alpha=0.5), None),
    ("addmv_", lambda x, y: x.addmv_(_mat(y), y[3:], beta=0.5, alpha=2),
     lambda x, y: x.addmv(_mat(y), y[3:], beta=0.5, alpha=2),
     lambda x, y: x.addmv_(_mat(y), y[3:], beta=0.5, alpha=2), None),
    ("addr_", lambda x, y: _on_view(x, (5, 1), lambda v: v.addr_(y, y[3:4], beta=0.5, alpha=2)),
     lambda x, y: x.view(5, 1).addr(y, y[3:4], beta=0.5, alpha=2).view(5),
     lambda x, y: _on_view(x, (5, 1), lambda v: v.addr_(y, y[3:4], beta=0.5, alpha=2)), None),
    ("addmm_", lambda x, y: _on_view(x, (5, 1), lambda v: v.addmm_(_mat(y), y[3:].view(2, 1))),
     lambda x, y: x.view(5, 1).addmm(_mat(y), y[3:].view(2, 1)).view(5),
     lambda x, y: _on_view(x, (5, 1), lambda v: v.addmm_(_mat(y), y[3:].view(2, 1))), None),
    ("baddbmm_", lambda x, y: _on_view(x, (1, 5, 1), lambda v: v.baddbmm_(
         _mat(y).view(1, 5, 2), y[3:].view(1, 2, 1), alpha=-1)),
     lambda x, y: x.view(1, 5, 1).baddbmm(_mat(y).view(1, 5, 2), y[3:].view(1, 2, 1),
                                          alpha=-1).view(5),
     lambda x, y: _on_view(x, (1, 5, 1), lambda v: v.baddbmm_(
         _mat(y).view(1, 5, 2), y[3:].view(1, 2, 1), alpha=-1)), None),
    ("addbmm_", lambda x, y: _on_view(x, (5, 1), lambda v: v.addbmm_(
         _mat(y).view(1, 5, 2), y[3:].view(1, 2, 1), beta=2)),
     lambda x, y: x.view(5, 1).addbmm(_mat(y).view(1, 5, 2), y[3:].view(1, 2, 1),
                                      beta=2).view(5),
     lambda x, y: _on_view(x, (5, 1), lambda v: v.addbmm_(
         _mat(y).view(1, 5, 2), y[3:].view(1, 2, 1), beta=2)), None),
    ("renorm_", lambda x, y: _on_view(x, (1, 5), lambda v: v.renorm_(2, 0, 1.0)),
     lambda x, y: x.view(1, 5).renorm(2, 0, 1.0).view(5),
     lambda x, y: _on_view(x, (1, 5), lambda v: v.renorm_(2, 0, 1.0)), None),
    ("lerp_", lambda x, y: x.lerp_(y, 0.25), lambda x, y: x.lerp(y, 0.25),
     lambda x, y: x.lerp_(y, 0.25), None),
    ("atan2_", lambda x, y: x.atan2_(y), lambda x, y: x.atan2(y), lambda x, y: x.atan2_(y), None),
    ("remainder_", lambda x, y: x.remainder_(y), lambda x, y: x % y, lambda x, y: x.remainder_(y),
     None),
    ("imod", lambda x, y: x.__imod__(0.75), lambda x, y: x % 0.75, lambda x, y: x.__imod__(0.75),
     None),
    ("fmod_", lambda x, y: x.fmod_(y), lambda x, y: x.fmod(y), lambda x, y: x.fmod_(y), None),
    ("true_divide_", lambda x, y: x.true_divide_(y), lambda x, y: x / y,
     lambda x, y: x.true_divide_(y), None),
    ("nan_to_num_", lambda x, y: x.nan_to_num_(1.0, 2.0), lambda x, y: x.nan_to_num(1.0, 2.0),
     lambda x, y: x.nan_to_num_(1.0, 2.0), None),
    ("xlogy_", lambda x, y: x.xlogy_(y), lambda x, y: x.xlogy(y), lambda x, y: x.xlogy_(y), None),
    ("hypot_", lambda x, y: x.hypot_(y), lambda x, y: x.hypot(y), lambda x, y: x.hypot_(y), None),
    ("put_", lambda x, y: x.put_(_index(ad), y[:2], accumulate=True),
     lambda x, y: x.put(_index(ad), y[:2], accumulate=True),
     lambda x, y: x.put_(_index(_torch()), y[:2], accumulate=True), None),
    ("nextafter_", lambda x, y: x.nextafter_(y), lambda x, y: x.nextafter(y),
     lambda x, y: x.nextafter_(y), None),
    ("polygamma_", lambda x, y: x.polygamma_(2), lambda x, y: x.polygamma(2),
     lambda x, y: x.polygamma_(2), "pos"),
    ("mvlgamma_", lambda x, y: x.mvlgamma_(2), lambda x, y: x.mvlgamma(2),
     lambda x, y: x.mvlgamma_(2), "above_one"),
    ("ldexp_", lambda x, y: x.ldexp_(y), lambda x, y: x.ldexp(y), lambda x, y: x.ldexp_(y), None),
    ("logit_", lambda x, y: x.logit_(0.1), lambda x, y: x.logit(0.1), lambda x, y: x.logit_(0.1),
     None),
    ("float_power_", lambda x, y: x.float_power_(y), lambda x, y: x.float_power(y),
     lambda x, y: x.float_power_(y), "pos"),
    ("copysign_", lambda x, y: x.copysign_(-y), lambda x, y: x.copysign(-y),
     lambda x, y: x.copysign_(-y), None),
    ("addcmul_", lambda x, y: x.addcmul_(y, y, value=0.5), lambda x, y: x.addcmul(y, y, value=0.5),
     lambda x, y: x.addcmul_(y, y, value=0.5), None),
    ("addcdiv_", lambda x, y: x.addcdiv_(y, y + 1, value=2),
     lambda x, y: x.addcdiv(y, y + 1, value=2), lambda x, y: x.addcdiv_(y, y + 1, value=2), None),
    ("divide_", lambda x, y: x.divide_(y), lambda x, y: x / y, lambda x, y: x.divide_(y), None),
    ("multiply_", lambda x, y: x.multiply_(y), lambda x, y: x * y, lambda x, y: x.multiply_(y),
     None),
    ("subtract_", lambda x, y: x.subtract_(y, alpha=3), lambda x, y: x - 3 * y,
     lambda x, y: x.subtract_(y, alpha=3), None),
    ("arctan2_", lambda x, y: x.arctan2_(y), lambda x, y: x.atan2(y),
     lambda x, y: x.arctan2_(y), None),
    ("index_copy_", lambda x, y: x.index_copy_(0, _index(ad), y[:2]),
     lambda x, y: x.index_copy(0, _index(ad), y[:2]),
     lambda x, y: x.index_copy_(0, _index(_torch()), y[:2]), None),
    ("index_fill_", lambda x, y: x.index_fill_(0, _index(ad), -1.0),
     lambda x, y: x.index_fill(0, _index(ad), -1.0),
     lambda x, y: x.index_fill_(0, _index(_torch()), -1.0), None),
    ("index_put_", lambda x, y: x.index_put_((_index(ad),), y[:2], accumulate=True),
     lambda x, y: x.index_put((_index(ad),), y[:2], accumulate=True),
     lambda x, y: x.index_put_((_index(_torch()),), y[:2], accumulate=True), None),
    ("masked_scatter_", lambda x, y: x.masked_scatter_(x > 0, y),
     lambda x, y: x.masked_scatter(x > 0, y), lambda x, y: x.masked_scatter_(x > 0, y), None),
    ("scatter_reduce_", lambda x, y: x.scatter_reduce_(0, _index(ad), y[:2], "amax"),
     lambda x, y: x.scatter_reduce(0, _index(ad), y[:2], "amax"),
     lambda x, y: x.scatter_reduce_(0, _index(_torch()), y[:2], "amax"), None),
    ("fill_diagonal_", lambda x, y: _on_view(x, (5, 1), lambda v: v.fill_diagonal_(2.5)),
     lambda x, y: x.view(5, 1).fill_diagonal_(2.5).view(5),
     lambda x, y: _on_view(x, (5, 1), lambda v: v.fill_diagonal_(2.5)), None),
    ("cumsum_", lambda x, y: x.cumsum_(0), lambda x, y: x.cumsum(0), lambda x, y: x.cumsum_(0),
     None),
    ("cumprod_", lambda x, y: x.cumprod_(-1), lambda x, y: x.cumprod(-1),
     lambda x, y: x.cumprod_(-1), None),
]  # fmt: skip


# the comparisons in place: 1 and 0 in x's dtype, a zero gradient; with a tensor and a number
def _compared(name, other, as_double=False):
    def call(x, y):
        out = getattr(x, name)(y if other == "tensor" else 0.5)
        return out.double() if as_double else out

    return call


FORMS += [
    (name if other == "tensor" else f"{name}number", _compared(name, other),
     _compared(name[:-1], other, as_double=True), _compared(name, other), None)
    for name in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_",
                 "less_", "less_equal_", "not_equal_")
    for other in ("tensor", "number")
]  # fmt: skip
# the domain of x where the op is not defined on (-2, 2)
DOMAIN = {"log": "pos", "sqrt": "pos", "log2": "pos", "log10": "pos", "log1p": "pos",
          "reciprocal": "pos", "rsqrt": "pos", "asin": "unit", "acos": "unit",
          "arcsin": "unit", "arccos": "unit", "atanh": "unit", "arctanh": "unit",
          "acosh": "above_one", "arccosh": "above_one", "lgamma": "pos",
          "digamma": "pos", "erfinv": "unit"}  # fmt: skip
# torch 2.13 has no derivative for these in-place forms (ours: finite differences below)
NO_TORCH_DERIVATIVE = {"asinh_", "arcsinh_", "acosh_", "arccosh_", "atanh_", "arctanh_"}


def _needs_no_argument(method) -> bool:
    params = list(inspect.signature(method).parameters.values())[1:]
    return all(p.default is not inspect.Parameter.empty for p in params)


# the rest: the out-of-place op of no argument, written into the tensor (exp_, sin_, sign_, ...)
FORMS += [
    (n, lambda x, y, n=n: getattr(x, n)(), lambda x, y, n=n: getattr(x, n[:-1])(),
     lambda x, y, n=n: getattr(x, n)(), DOMAIN.get(n[:-1]))
    for n in INPLACE
    if n not in {f[0] for f in FORMS} | set(TESTED_ELSEWHERE)
    and _needs_no_argument(getattr(ad.Tensor, n))
]  # fmt: skip


def _on_view(x, shape, inplace):
    """The in-place op on a matrix view of the vector x (tril_ and triu_ need two dims): x."""
    inplace(x.view(*shape))
    return x


def _index(lib):
    return lib.tensor([4, 1])


def _mat(y):
    """A 5 x 2 matrix from the vector y (addmv_, addmm_, ...)."""
    return y.unsqueeze(1) * y[:2]


def _repeated(lib):
    """Indices with a repeat: index_add_ adds both."""
    return lib.tensor([4, 1, 4])


def test_every_inplace_method_has_its_out_of_place_op():
    for name in INPLACE:
        assert hasattr(ad.Tensor, name[:-1]) or name in NO_OUT_OF_PLACE, (
            f"Tensor.{name} has no Tensor.{name[:-1]}: add the out-of-place op (with its "
            "optable.py row), or say why not in NO_OUT_OF_PLACE"
        )
    assert set(NO_OUT_OF_PLACE) <= set(INPLACE)


def test_every_inplace_method_is_compared_here_or_names_where():
    compared = {f[0] for f in FORMS}
    missing = sorted(set(INPLACE) - compared - set(TESTED_ELSEWHERE))
    assert not missing, f"no in-place form for {missing}: add it to FORMS (test_inplace.py)"
    for name, where in TESTED_ELSEWHERE.items():
        assert name in (Path(__file__).parent / where.split(":")[0]).read_text(), (name, where)


def _torch():
    return pytest.importorskip("torch")


def _values(domain, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, 5)
    x[np.abs(x) < 0.1] = 0.3  # away from the kinks of abs, relu, clamp
    x[np.abs(np.abs(x) - 0.5) < 0.05] = 0.7
    if domain == "pos":
        x = np.abs(x) + 0.5
    if domain == "unit":
        x = x * 0.45
    if domain == "above_one":
        x = np.abs(x) + 1.2
    return x, rng.uniform(0.5, 2.0, 5)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f[0])
def test_values_and_identity_outside_the_graph(form):
    name, inplace, reference, _, domain = form
    x, y = _values(domain, 0)
    t = ad.tensor(x, dtype=ad.float64)
    before = t._counter()[0]
    result = inplace(t, ad.tensor(y, dtype=ad.float64))
    assert result is t
    assert t._version[0] > before  # every in-place op bumps the version
    if reference is not None:
        expected = reference(ad.tensor(x, dtype=ad.float64), ad.tensor(y, dtype=ad.float64))
        np.testing.assert_allclose(t.detach().numpy(), expected.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f[0])
def test_gradients_through_a_recorded_inplace_op_match_torch(form):
    torch = _torch()
    name, inplace, _, torch_inplace, domain = form
    if name in NO_TORCH_DERIVATIVE:
        pytest.skip(f"torch 2.13 has no derivative for {name} (ours: finite differences below)")
    x, y = _values(domain, 1)
    weights = np.linspace(-1, 1, 5)

    a = ad.tensor(x, dtype=ad.float64, requires_grad=True)
    b = ad.tensor(y, dtype=ad.float64, requires_grad=True)
    h = a * 1.0  # a non-leaf: in-place is recorded
    out = inplace(h, b)
    assert out is h and h.grad_fn is not None
    (h * ad.tensor(weights)).sum().backward()

    ta = torch.tensor(x, requires_grad=True)
    tb = torch.tensor(y, requires_grad=True)
    th = ta * 1.0
    torch_inplace(th, tb)
    (th * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-12)
    rtol = 1e-9 if name == "digamma_" else 1e-10  # torch's polygamma(1, x): ~1e-10
    np.testing.assert_allclose(a.grad.detach().numpy(), _array(ta.grad), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(_array(b.grad), _array(tb.grad), rtol=rtol, atol=1e-12)


def _array(grad):
    """A gradient as an array: zeros for None and for torch's ZeroTensor (sgn_, eq_, ...)."""
    if grad is None or getattr(grad, "_is_zerotensor", lambda: False)():
        return np.zeros(5)
    return grad.detach().numpy()


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f[0])
def test_gradients_match_finite_differences(form):
    name, inplace, _, _, domain = form
    x, y = _values(domain, 2)

    def fn(a, b):
        h = a * 1.0
        return inplace(h, b) * ad.tensor(np.linspace(0.5, 1.5, 5))

    leaves = (ad.tensor(x, requires_grad=True), ad.tensor(y, requires_grad=True))
    assert ad.gradcheck(fn, leaves)


def test_leaf_requiring_grad_is_refused_with_torchs_message_and_allowed_under_no_grad():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_(), lambda: w.exp_()):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
            op()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w[0] = 5.0
    same = w
    with ad.no_grad():
        w -= 0.5 * ad.ones(2)
        w[1] = 7.0
    assert w is same and w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 7.0])


def test_tutorial_manual_sgd_loop_learns_a_linear_fit():
    rng = np.random.default_rng(0)
    X = ad.tensor(rng.normal(size=(64, 1)))
    y = 3.0 * X - 2.0
    w = ad.zeros(1, requires_grad=True)
    b = ad.zeros(1, requires_grad=True)
    losses = []
    for _ in range(300):
        loss = ((X * w + b - y) ** 2).mean()
        loss.backward()
        with ad.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    assert losses[-1] < 1e-6 < losses[0]
    np.testing.assert_allclose([w.item(), b.item()], [3.0, -2.0], atol=1e-3)


# --- the five silent cases of the issue now raise --------------------------------------


def test_changing_a_saved_input_raises():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    x = ad.tensor([3.0, 4.0])
    y = (w * x).sum()
    x.add_(10.0)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.backward()
    assert "MulBackward0" in str(e.value) and "version 1; expected version 0" in str(e.value)
    assert w.grad is None  # nothing written before the error


def test_setitem_on_a_saved_tensor_raises():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    x = ad.tensor([3.0, 4.0])
    y = (w * x).sum()
    x[0] = 0.0
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_mul_on_a_parameter_under_no_grad_after_forward_raises():
    lin = nn.Linear(2, 1)
    loss = (lin(ad.ones(3, 2)) ** 2).sum()
    with ad.no_grad():
        lin.weight.mul_(2.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_optimizer_step_between_forward_and_backward_raises():
    lin = nn.Linear(2, 1)
    opt = nn.optim.SGD(lin.parameters(), lr=0.1)
    lin.weight.grad = ad.ones(1, 2)
    lin.bias.grad = ad.ones(1)
    loss = (lin(ad.ones(3, 2)) ** 2).sum()
    weight = lin.weight
    opt.step()
    assert lin.weight is weight  # parameter identity kept
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_add_on_an_exp_output_raises():
    a = ad.tensor([0.5, 1.0], requires_grad=True)
    y = a.exp()
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.sum().backward()
    assert "ExpBackward0" in str(e.value)


def test_write_through_detach_raises_and_through_data_does_not():
    a = ad.tensor([0.5, 1.0], requires_grad=True)
    y = a.exp()
    y.detach().zero_()
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()
    b = ad.tensor([0.5, 1.0], requires_grad=True)
    z = b.exp()
    z.data.zero_()  # as in torch: .data is invisible to the check (documented hazard)
    z.sum().backward()
    np.testing.assert_array_equal(b.grad.detach().numpy(), [0.0, 0.0])


def test_data_shares_storage_requires_no_grad_and_is_a_tensor():
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert isinstance(d, ad.Tensor) and not d.requires_grad and d.grad_fn is None
    d[0] = 9.0
    assert w.detach().numpy()[0] == 9.0
    w.data = ad.tensor([4.0, 5.0])
    np.testing.assert_array_equal(w.detach().numpy(), [4.0, 5.0])
    assert w.requires_grad and w.is_leaf


# --- views share the counter; in-place on a view rebases its base ----------------------


VIEWS = [
    ("slice", lambda t: t[1:3]),
    ("select", lambda t: t[0]),
    ("reshape", lambda t: t.reshape(-1)),
    ("transpose", lambda t: t.transpose(0, 1)),
    ("T", lambda t: t.T),
    ("unsqueeze", lambda t: t.unsqueeze(0)),
    ("view_of_view", lambda t: t[1:].reshape(-1)[1:]),
]


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v[0])
def test_inplace_on_a_view_rebases_the_base_like_torch(view):
    torch = _torch()
    _, make = view
    x = np.arange(12.0).reshape(4, 3) / 7 - 0.5
    weights = np.linspace(-1, 2, 12).reshape(4, 3)

    a = ad.tensor(x, dtype=ad.float64, requires_grad=True)
    base = a * 2.0
    v = make(base)
    v.mul_(3.0).add_(1.0)
    loss = (base * ad.tensor(weights)).sum() + (v * v).sum()
    loss.backward()

    ta = torch.tensor(x, requires_grad=True)
    tbase = ta * 2.0
    tv = make(tbase)
    tv.mul_(3.0).add_(1.0)
    tloss = (tbase * torch.tensor(weights)).sum() + (tv * tv).sum()
    tloss.backward()
    np.testing.assert_allclose(base.detach().numpy(), tbase.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.detach().numpy(), ta.grad.detach().numpy(), rtol=1e-10)


def test_a_sibling_view_sees_the_bases_new_history():
    torch = _torch()
    a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = a * 1.0
    sibling = base[0:2]
    base[1:].mul_(10.0)
    sibling.sum().backward()
    ta = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tbase = ta * 1.0
    tsib = tbase[0:2]
    tbase[1:].mul_(10.0)
    tsib.sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), ta.grad.detach().numpy())


def test_setitem_with_a_value_that_requires_grad_into_a_plain_tensor():
    torch = _torch()
    w = ad.tensor([2.0, 3.0], requires_grad=True)
    y = ad.zeros(4)
    y[1:3] = w * w
    assert y.grad_fn is not None and y.grad_fn.name() == "CopySlices"
    (y * ad.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    tw = torch.tensor([2.0, 3.0], requires_grad=True)
    ty = torch.zeros(4)
    ty[1:3] = tw * tw
    (ty * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_allclose(w.grad.detach().numpy(), tw.grad.detach().numpy())


def test_inplace_on_an_expanded_tensor_is_refused_clearly():
    t = ad.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="clone"):
        t.add_(1.0)


def test_inplace_dtype_and_shape_errors_are_clear():
    i = ad.tensor([1, 2])
    with pytest.raises(TypeError, match="add_: the result can't be cast"):
        i.add_(0.5)
    with pytest.raises(ValueError, match="add_"):
        ad.ones(3).add_(ad.ones(2, 3))


@settings(deadline=None)
@given(
    shape=array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4),
    how=st.sampled_from(["base", "slice", "reshape", "transpose", "detach", "unrelated"]),
    saved=st.booleans(),
)
def test_a_modified_saved_tensor_always_raises_an_unsaved_one_never(shape, how, saved):
    w = ad.tensor(np.ones(shape), requires_grad=True)
    x = ad.tensor(np.full(shape, 2.0))
    other = ad.tensor(np.full(shape, 3.0))
    y = (w * x).sum() if saved else (w + x).sum()  # Mul saves x, Add saves nothing
    target = {
        "base": x,
        "slice": x[:1],
        "reshape": x.reshape(-1),
        "transpose": x.transpose(0, -1),
        "detach": x.detach(),
        "unrelated": other,
    }[how]
    target.add_(1.0)
    if saved and how != "unrelated":
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.backward()
    else:
        y.backward()
        expected = 2.0 if saved else 1.0
        np.testing.assert_allclose(w.grad.detach().numpy(), np.full(shape, expected))


def test_relu_inplace_module_and_functional():
    torch = _torch()
    x = np.array([[-1.0, 2.0], [0.5, -3.0]])
    a = ad.tensor(x, requires_grad=True)
    h = a * 2.0
    out = nn.ReLU(inplace=True)(h)
    assert out is h
    (out * 3.0).sum().backward()
    ta = torch.tensor(x, requires_grad=True)
    th = ta * 2.0
    torch.nn.ReLU(inplace=True)(th)
    (th * 3.0).sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), ta.grad.detach().numpy())
    b = a.detach().clone()
    assert F.relu_(b) is b and (b.detach().numpy() >= 0).all()
    assert F.relu(b, inplace=True) is b
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
