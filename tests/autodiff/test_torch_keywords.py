"""Keyword arguments of torch's functions and Tensor methods that learners' code passes:
dtype= of the reductions and running sums, alpha= of add/sub, rounding_mode= of div, and the
small ones (copy_'s non_blocking, numpy's force, gather's sparse_grad), each against torch.
A scan of torch's docstrings finds any other argument torch documents that ours lacks."""

import inspect
import re
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.errors import ArgumentError, DtypeError

X = np.array([[0.5, -1.25, 2.0], [3.5, -0.75, 1.5]], dtype=np.float32)


def _names(t) -> list:
    """The node and the names of its next nodes (torch's or ours)."""

    def named(fn):  # torch's C++ nodes by their short names (torch::autograd::AccumulateGrad)
        return fn.name().rsplit("::", 1)[-1]

    return [named(t.grad_fn)] + [named(f) for f, _ in t.grad_fn.next_functions if f is not None]


REDUCTIONS = [
    ("sum", lambda x, dt: x.sum(dtype=dt)),
    ("sum dim", lambda x, dt: x.sum(1, keepdim=True, dtype=dt)),
    ("mean", lambda x, dt: x.mean(dtype=dt)),
    ("mean dim", lambda x, dt: x.mean(0, dtype=dt)),
    ("prod", lambda x, dt: x.prod(dtype=dt)),
    ("prod dim", lambda x, dt: x.prod(1, dtype=dt)),
    ("cumsum", lambda x, dt: x.cumsum(1, dtype=dt)),
    ("cumprod", lambda x, dt: x.cumprod(0, dtype=dt)),
]


@pytest.mark.parametrize("name, fn", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_dtype_computes_in_that_dtype_as_torch(name, fn):
    torch = pytest.importorskip("torch")
    ours_x, theirs_x = ad.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ours, theirs = fn(ours_x, ad.float64), fn(theirs_x, torch.float64)
    assert ours.dtype == ad.float64
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    weights = np.arange(1.0, 1.0 + theirs.numel()).reshape(tuple(theirs.shape))
    (ours * ad.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    assert ours_x.grad.dtype == ad.float32  # the gradient comes back in the input's dtype
    np.testing.assert_allclose(
        ours_x.grad.detach().numpy(), theirs_x.grad.detach().numpy(), rtol=1e-6
    )
    if not name.startswith("cumprod"):  # ours is a chain of products (a documented difference)
        assert _names(ours) == _names(theirs)


def test_top_level_forms_take_dtype_too():
    x = ad.tensor(X)
    for fn in (ad.sum, ad.mean, ad.prod):
        assert fn(x, dtype=ad.float64).dtype == ad.float64
    for fn in (ad.cumsum, ad.cumprod):
        assert fn(x, 0, dtype=ad.float64).dtype == ad.float64


def test_mean_of_integers_needs_a_floating_dtype_as_torch():
    torch = pytest.importorskip("torch")
    ints = np.array([1, 2, 4])
    ours = ad.tensor(ints).mean(dtype=ad.float32)
    assert ours.item() == torch.tensor(ints).mean(dtype=torch.float32).item()
    with pytest.raises(DtypeError, match="mean: input dtype should be floating point"):
        ad.tensor(ints).mean()
    with pytest.raises(DtypeError, match="mean: dtype should be floating point"):
        ad.tensor(X).mean(dtype=ad.int64)


def test_sum_of_integers_in_a_float_dtype_as_torch():
    torch = pytest.importorskip("torch")
    ints = np.array([[1, 2], [3, 4]], dtype=np.int32)
    ours, theirs = (
        ad.tensor(ints).sum(0, dtype=ad.float32),
        torch.tensor(ints).sum(0, dtype=torch.float32),
    )
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


@pytest.mark.parametrize("op", ["add", "sub"])
def test_alpha_scales_other_in_one_node_as_torch(op):
    torch = pytest.importorskip("torch")
    a, b = np.array([1.0, -2.0, 3.0]), np.array([0.5, 4.0, -1.0])
    oa, ob = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    for ours, theirs in ((getattr(ad, op)(oa, ob, alpha=-1.5), getattr(torch, op)(ta, tb, alpha=-1.5)),
                         (getattr(oa, op)(ob, alpha=3), getattr(ta, op)(tb, alpha=3))):  # fmt: skip
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        assert _names(ours) == _names(theirs)
        g = np.array([1.0, 2.0, 3.0])
        ours.backward(ad.tensor(g))
        theirs.backward(torch.tensor(g))
    np.testing.assert_array_equal(ob.grad.detach().numpy(), tb.grad.detach().numpy())
    np.testing.assert_array_equal(oa.grad.detach().numpy(), ta.grad.detach().numpy())
    with pytest.raises(DtypeError, match=f"{op}: for integral input tensors, argument alpha"):
        getattr(ad, op)(ad.tensor([1, 2]), ad.tensor([3, 4]), alpha=0.5)


DIVIDENDS = np.array([7.0, -7.0, 7.5, -7.5, 0.0, 6.0])
DIVISORS = np.array([2.0, 2.0, -2.0, -2.0, 3.0, -3.0])


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize("kind", ["float32", "int64"])
def test_div_rounding_mode_as_torch(mode, kind):
    torch = pytest.importorskip("torch")
    a, b = DIVIDENDS.astype(kind), DIVISORS.astype(kind)
    ours = ad.div(ad.tensor(a), ad.tensor(b), rounding_mode=mode)
    theirs = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    by_number = ad.tensor(a).div(3, rounding_mode=mode)
    np.testing.assert_array_equal(
        by_number.detach().numpy(), torch.tensor(a).div(3, rounding_mode=mode)
    )
    inplace = ad.tensor(a)
    inplace.div_(ad.tensor(b), rounding_mode=mode)
    np.testing.assert_array_equal(inplace.detach().numpy(), theirs.detach().numpy())


def test_rounded_div_has_a_zero_gradient_in_torch_node():
    torch = pytest.importorskip("torch")
    a, b = DIVIDENDS, DIVISORS
    oa, ob = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours = ad.divide(oa, ob, rounding_mode="floor")
    theirs = torch.divide(ta, tb, rounding_mode="floor")
    assert _names(ours) == _names(theirs) == ["DivBackward2", "AccumulateGrad", "AccumulateGrad"]
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(oa.grad.detach().numpy(), ta.grad.detach().numpy())
    np.testing.assert_array_equal(ob.grad.detach().numpy(), tb.grad.detach().numpy())


def test_div_rounding_mode_errors():
    with pytest.raises(ArgumentError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        ad.div(ad.tensor([1.0]), 2, rounding_mode="round")
    with pytest.raises(ArgumentError, match="div: integer division by zero"):
        ad.div(ad.tensor([1, 2]), ad.tensor([1, 0]), rounding_mode="trunc")


def test_small_keywords():
    x = ad.tensor([1.0, 2.0])
    x.copy_(ad.tensor([3.0, 4.0]), non_blocking=True)
    assert x.tolist() == [3.0, 4.0]
    assert x.numpy(force=True) is x.detach().numpy()
    index = ad.tensor([[1, 0]])
    assert ad.tensor([[1.0, 2.0]]).gather(1, index, sparse_grad=False).tolist() == [[2.0, 1.0]]
    with pytest.raises(ArgumentError, match="sparse_grad=True is not supported"):
        ad.gather(ad.tensor([[1.0, 2.0]]), 1, index, sparse_grad=True)
    with pytest.raises(RuntimeError, match="cuda"):
        x.cuda(non_blocking=True)


# --- the scan: every argument torch's docstrings give, by name ------------------------------

# Names torch's docstrings give arguments that are passed by position (torch's own keyword is
# another, or the docstring shows an old overload); the Python keyword `from` of random_ and
# uniform_; scatter_'s deprecated reduce=.
DOC_ONLY = {
    "torch.broadcast_to": {"shape"}, "torch.concatenate": {"axis"}, "torch.dot": {"tensor"},
    "torch.from_numpy": {"ndarray"}, "torch.searchsorted": {"values"},
    "torch.true_divide": {"dividend", "divisor"},
    "torch.unsafe_split": {"split_size_or_sections", "tensor"},
    "Tensor.bmm": {"batch2"}, "Tensor.broadcast_to": {"shape"}, "Tensor.div": {"value"},
    "Tensor.div_": {"value"}, "Tensor.divide": {"value"}, "Tensor.divide_": {"value"},
    "Tensor.dsplit": {"split_size_or_sections"}, "Tensor.expand": {"size"},
    "Tensor.floor_divide": {"value"}, "Tensor.floor_divide_": {"value"},
    "Tensor.fmod": {"divisor"}, "Tensor.fmod_": {"divisor"},
    "Tensor.hsplit": {"split_size_or_sections"}, "Tensor.index_copy": {"tensor2"},
    "Tensor.index_copy_": {"tensor"}, "Tensor.masked_scatter": {"tensor"},
    "Tensor.matmul": {"tensor2"}, "Tensor.mul": {"value"}, "Tensor.mul_": {"value"},
    "Tensor.multiply": {"value"}, "Tensor.multiply_": {"value"},
    "Tensor.narrow": {"dimension"}, "Tensor.narrow_copy": {"dimension"},
    "Tensor.random_": {"from"}, "Tensor.remainder": {"divisor"},
    "Tensor.remainder_": {"divisor"}, "Tensor.scatter_": {"reduce"},
    "Tensor.swapdims": {"dim0", "dim1"}, "Tensor.take": {"indices"},
    "Tensor.true_divide": {"value"}, "Tensor.true_divide_": {"value"},
    "Tensor.type_as": {"tensor"}, "Tensor.uniform_": {"from", "to"},
    "Tensor.new_tensor": {"layout", "pin_memory"},  # documented, but torch 2.13 refuses both
    "Tensor.vsplit": {"split_size_or_sections"}, "Tensor.where": {"y"},
    "Tensor.to_sparse": {"sparseDims"},  # documented, but torch 2.13 takes sparse_dim only
}  # fmt: skip
# arguments that have no meaning here, or are checked elsewhere (out=: autodiff/out.py;
# layout=, pin_memory= and memory_format= are taken: test_creation_layout, test_memory_format)
NOT_HERE = {"out", "requires_grad", "generator",
            "names", "self", "input", "other"}  # fmt: skip


def _documented(name: str, fn) -> set:
    """The argument names in torch's docstring signatures `name(...) -> ...`."""
    found = set()
    for m in re.finditer(rf"(?m)^\s*{re.escape(name)}\((.*?)\)\s*->", fn.__doc__ or ""):
        for part in m.group(1).split(","):
            arg = part.split("=")[0].strip().lstrip("*")
            if re.fullmatch(r"[A-Za-z_]\w*", arg):
                found.add(arg)
    return found


def test_every_documented_torch_argument_is_taken():
    torch = pytest.importorskip("torch")
    lacking, scanned = {}, 0
    for space, theirs, ours in (("torch", torch, ad), ("Tensor", torch.Tensor, ad.Tensor)):
        for name in dir(theirs):
            mine = getattr(ours, name, None)
            if name.startswith("_") or mine is None or inspect.isclass(mine) or not callable(mine):
                continue
            try:
                params = inspect.signature(mine).parameters
            except (TypeError, ValueError):
                continue
            if any(p.kind == p.VAR_KEYWORD for p in params.values()):
                continue
            documented = _documented(name, getattr(theirs, name))
            scanned += bool(documented)
            missing = documented - set(params) - NOT_HERE
            if missing:
                lacking[f"{space}.{name}"] = missing
    assert scanned > 400
    assert lacking == DOC_ONLY


def test_prod_dtype_backward_computes_in_that_dtype():
    """2000 float32 factors near 1: products taken in float32 drift by ~1e-4, in float64 not."""
    torch = pytest.importorskip("torch")
    x = (1 + np.random.default_rng(5).uniform(-0.01, 0.01, 2000)).astype(np.float32)
    ours, theirs = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.prod(dtype=ad.float64).backward()
    theirs.prod(dtype=torch.float64).backward()
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=1e-6)


# --- backward(inputs=...) ------------------------------------------------------------------


def _backward_into(lib, which):
    """A small graph with two leaves and one intermediate, backward into some of them: the
    .grad of each (None where nothing accumulated)."""
    w = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([3.0], dtype=lib.float64, requires_grad=True)
    h = (w * b).tanh()
    loss = (h * h).sum() + b.sum()
    loss.backward(inputs={"w": [w], "h": [h], "w and h": [w, h], "b": b}[which])
    with warnings.catch_warnings():  # reading a non-leaf's .grad warns in both
        warnings.simplefilter("ignore")
        return [None if t.grad is None else t.grad.detach().numpy() for t in (w, b, h)]


@pytest.mark.parametrize("which", ["w", "h", "w and h", "b"])
def test_backward_inputs_accumulates_only_into_them_as_torch(which):
    torch = pytest.importorskip("torch")
    for ours, theirs in zip(_backward_into(ad, which), _backward_into(torch, which)):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_backward_inputs_errors_and_old_names():
    w = ad.tensor([1.0], requires_grad=True)
    loss = (w * 2).sum()
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be empty"):
        loss.backward(inputs=[], retain_graph=True)
    with pytest.raises(RuntimeError, match="input 0 of inputs= does not require grad"):
        loss.backward(inputs=[ad.tensor([1.0])], retain_graph=True)
    with pytest.warns(FutureWarning, match="`grad_variables` is deprecated"):
        ad.autograd.backward([loss], grad_variables=[ad.tensor(3.0)])
    assert w.grad.tolist() == [6.0]


def test_backward_inputs_accumulates_into_a_non_leaf_as_torch():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (ad, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        h = w * 3
        loss = (h * h).sum()
        loss.backward(inputs=[h], retain_graph=True)
        loss.backward(inputs=[h])
        grads.append((h.grad.tolist(), w.grad))
    assert grads[0] == grads[1] == ([12.0, 24.0], None)


def test_backward_inputs_compiled_equals_eager():
    w, b = ad.tensor([1.0, 2.0], requires_grad=True), ad.tensor([0.5], requires_grad=True)

    def step():
        (w * b).sum().backward(inputs=[w])

    compiled = ad.compile(step)
    for _ in range(3):
        w.grad = b.grad = None
        compiled()
        assert w.grad.tolist() == [0.5, 0.5] and b.grad is None
