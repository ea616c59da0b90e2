"""LayerNorm, Embedding, Unflatten, ModuleDict, ParameterList, ParameterDict: torch's
state_dict names load, then forward values and the gradients of inputs and parameters match
torch; finite differences in float64; torch's initialisation and errors. (Recurrent layers:
test_torch_rnn.py.)"""

import numpy as np
import pytest

import autodiff as ad
import nn
import nn.functional as F
from autodiff.testing import assert_gradients_match, numeric_gradient


def _load_from_torch(ours, theirs):
    """ours gets theirs' parameters through a NumPy state_dict with the same names."""
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)


def _perturb(torch, module, seed=0):
    """Random values in every parameter (torch's init of norms is all ones and zeros)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))


def _grads_match(ours, theirs, rtol=1e-10):
    grads = {n: p.grad for n, p in ours.named_parameters()}
    for name, p in theirs.named_parameters():
        if p.grad is None:
            assert grads[name] is None, name
            continue
        np.testing.assert_allclose(
            grads[name].detach().numpy(),
            p.grad.detach().numpy(),
            rtol=rtol,
            atol=1e-12,
            err_msg=name,
        )


def _run_both(torch, ours, theirs, x, *extra):
    """Forward both on x (float64), backward a random upstream; return the input grads."""
    xa, xt = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_t = ours(xa, *extra[:1]), theirs(xt, *extra[1:])
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(9).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(
        xa.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-12
    )


# --- LayerNorm --------------------------------------------------------------------------------
LAYER_NORMS = [
    dict(normalized_shape=4),
    dict(normalized_shape=(3, 4)),
    dict(normalized_shape=[4], elementwise_affine=False),
    dict(normalized_shape=4, bias=False, eps=1e-3),
]


@pytest.mark.parametrize("kwargs", LAYER_NORMS)
def test_layer_norm_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LayerNorm(**kwargs).double()
    _perturb(torch, theirs)
    ours = nn.LayerNorm(**kwargs, dtype=ad.float64)
    _load_from_torch(ours, theirs)
    x = np.random.default_rng(1).standard_normal((2, 3, 4)) * 3 + 1
    _run_both(torch, ours, theirs, x)
    _grads_match(ours, theirs)
    assert repr(ours) == repr(theirs)


def test_layer_norm_init_and_errors():
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.shape == (2, 3) and (ln.weight.detach().numpy() == 1).all()
    assert (ln.bias.detach().numpy() == 0).all() and ln.weight.dtype == np.float32
    with pytest.raises(ValueError, match=r"normalized_shape=\[2, 3\].*\[\*, 2, 3\].*\(4, 3\)"):
        ln(ad.zeros(4, 3))
    with pytest.raises(ValueError, match="positive int"):
        nn.LayerNorm(0)
    with pytest.raises(ValueError, match="eps must be a finite number"):
        nn.LayerNorm(3, eps=float("nan"))
    with pytest.raises(
        TypeError, match="layer_norm: input dtype torch.float64 differs from the weight"
    ):
        nn.LayerNorm(3)(ad.zeros(2, 3, dtype=ad.float64))


def test_layer_norm_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    x = ad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = ad.tensor(rng.standard_normal(4), requires_grad=True)
    b = ad.tensor(rng.standard_normal(4), requires_grad=True)
    assert_gradients_match(lambda a, c, d: F.layer_norm(a, (4,), c, d), x, w, b)
    assert ad.gradgradcheck(lambda a: F.layer_norm(a, 4), (x,))


# --- Embedding --------------------------------------------------------------------------------
EMBEDDINGS = [
    dict(),
    dict(padding_idx=2),
    dict(padding_idx=-1, scale_grad_by_freq=True),
    dict(scale_grad_by_freq=True),
    dict(max_norm=1.5),
    dict(max_norm=0.5, norm_type=1.0, padding_idx=0),
]


@pytest.mark.parametrize("kwargs", EMBEDDINGS)
def test_embedding_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(7, 3, **kwargs).double()
    ours = nn.Embedding(7, 3, **kwargs, dtype=ad.float64)
    _load_from_torch(ours, theirs)
    idx = np.array([[1, 2, 2, 6], [0, 2, 5, 1]])
    out, out_t = ours(ad.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.tensor(g))
    _grads_match(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12
    )
    assert repr(ours) == repr(theirs)


def test_embedding_init_from_pretrained_and_errors():
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    emb = nn.Embedding(500, 40, padding_idx=3)
    w = emb.weight.detach().numpy()
    assert (w[3] == 0).all() and abs(w.std() - 1) < 0.02 and abs(w.mean()) < 0.02
    table = np.arange(12.0).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(ad.tensor(table))
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table))
    assert frozen.weight.requires_grad == theirs.weight.requires_grad is False
    out = frozen(ad.tensor([3, 0]))
    np.testing.assert_array_equal(
        out.detach().numpy(), theirs(torch.tensor([3, 0])).detach().numpy()
    )
    assert nn.Embedding.from_pretrained(ad.tensor(table), freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="index 7 out of range for a table of 7 rows"):
        nn.Embedding(7, 2)(ad.tensor([1, 7]))
    with pytest.raises(TypeError, match="indices must be integers"):
        nn.Embedding(7, 2)(ad.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx 7 must be within num_embeddings"):
        nn.Embedding(7, 2, padding_idx=7)
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        nn.Embedding(7, 2, sparse=True)(ad.tensor([1]))
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        nn.Embedding(7, 2, max_norm=float("nan"))(ad.tensor([1]))
    with pytest.raises(ValueError, match="2-dimensional"):
        nn.Embedding.from_pretrained(ad.zeros(3))


def test_embedding_and_unflatten_gradients_match_finite_differences():
    rng = np.random.default_rng(11)
    w = ad.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    idx = ad.tensor([[0, 1, 1], [4, 1, 2]])
    assert_gradients_match(lambda t: F.embedding(idx, t), w)
    # torch's two departures from the derivative, by definition: the padding row gets no
    # gradient; with scale_grad_by_freq each row's gradient is divided by its count in idx
    g = rng.standard_normal((2, 3, 3))
    numeric = numeric_gradient(lambda t: F.embedding(idx, t), [w], g, 0)
    counts = np.bincount(idx.detach().numpy().ravel(), minlength=5)[:, None]
    for kwargs, expected in (
        (dict(padding_idx=1), numeric * (np.arange(5) != 1)[:, None]),
        (dict(scale_grad_by_freq=True), numeric / np.maximum(counts, 1)),
    ):
        w.grad = None
        F.embedding(idx, w, **kwargs).backward(ad.tensor(g))
        np.testing.assert_allclose(w.grad.detach().numpy(), expected, rtol=1e-6, atol=1e-8)
    x = ad.tensor(rng.standard_normal((2, 6)), requires_grad=True)
    assert_gradients_match(nn.Unflatten(1, (3, -1)), x)


def test_embedding_trains_in_a_model_like_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(
        torch.nn.Embedding(10, 4, padding_idx=0), torch.nn.Flatten(), torch.nn.Linear(12, 2)
    ).double()
    ours = nn.Sequential(
        nn.Embedding(10, 4, padding_idx=0, dtype=ad.float64),
        nn.Flatten(),
        nn.Linear(12, 2, dtype=ad.float64),
    )
    _load_from_torch(ours, theirs)
    opt, opt_t = nn.optim.Adam(ours.parameters(), 0.05), torch.optim.Adam(theirs.parameters(), 0.05)
    idx, y = np.array([[1, 0, 3], [4, 4, 0], [9, 2, 1]]), np.array([0, 1, 1])
    for _ in range(10):
        opt.zero_grad(), opt_t.zero_grad()
        F.cross_entropy(ours(ad.tensor(idx)), ad.tensor(y)).backward()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(idx)), torch.tensor(y)).backward()
        opt.step(), opt_t.step()
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=k)


# --- Unflatten and containers -----------------------------------------------------------------
@pytest.mark.parametrize("dim,sizes", [(1, (2, 6)), (-1, (2, -1)), (0, (1, 2)), (2, (4,))])
def test_unflatten_matches_torch(dim, sizes):
    torch = pytest.importorskip("torch")
    x = np.arange(2 * 12 * 4.0).reshape(2, 12, 4)
    _run_both(torch, nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), x)
    assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


def test_unflatten_errors():
    with pytest.raises(ValueError, match=r"\(5, 2\) does not fit dim 1 of size 12"):
        nn.Unflatten(1, (5, 2))(ad.zeros(2, 12))
    with pytest.raises(TypeError, match="tuple of ints"):
        nn.Unflatten(1, (-1, -1))
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        nn.Unflatten(3, (1,))(ad.zeros(2, 12))


def _containers(lib, ones):
    """The same model written with each container, in lib (torch.nn or nn)."""

    class Model(lib.Module):
        def __init__(self):
            super().__init__()
            self.heads = lib.ModuleDict({"a": lib.Linear(3, 2), "b": lib.Linear(3, 1)})
            self.heads["c"] = lib.Linear(3, 2)
            self.scales = lib.ParameterList([lib.Parameter(ones(2)) for _ in range(2)])
            self.scales.append(lib.Parameter(ones(2) * 3))
            self.extra = lib.ParameterDict({"shift": lib.Parameter(ones(1))})

        def forward(self, x):
            a = self.heads["a"](x) * self.scales[0] + self.heads["c"](x) * self.scales[-1]
            return a * self.scales[1] + self.heads["b"](x) + self.extra["shift"]

    return Model()


def test_containers_name_parameters_as_torch_and_give_its_outputs():
    torch = pytest.importorskip("torch")
    ad.set_default_dtype(ad.float64)
    try:
        ours = _containers(nn, ad.ones)
    finally:
        ad.set_default_dtype(ad.float32)
    theirs = _containers(torch.nn, torch.ones).double()
    _perturb(torch, theirs)
    _load_from_torch(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x = np.random.default_rng(4).standard_normal((5, 3))
    _run_both(torch, ours, theirs, x)
    _grads_match(ours, theirs)
    assert list(ours.heads.keys()) == ["a", "b", "c"] and "b" in ours.heads
    assert len(ours.scales) == 3 and len(ours.extra) == 1
    ours.heads.pop("b")
    assert [k for k, _ in ours.heads.items()] == ["a", "c"]
    merged = nn.ModuleDict({"z": nn.ReLU()})
    merged.update(ours.heads)  # another ModuleDict, as torch's update takes
    assert list(merged) == ["z", "a", "c"] and merged["a"] is ours.heads["a"]
    extra = nn.ParameterDict()
    extra.update(ours.extra)
    assert list(extra) == ["shift"]


def test_container_errors():
    with pytest.raises(KeyError, match="no module named 'x'"):
        nn.ModuleDict({"a": nn.ReLU()})["x"]
    with pytest.raises(TypeError, match="ParameterList: cannot hold a int"):
        nn.ParameterList([1])
    with pytest.raises(ValueError, match="should be a \\(key, value\\) pair"):
        nn.ParameterDict([("a",)])
    plist = nn.ParameterList([ad.ones(2)])  # a plain tensor becomes a Parameter, as torch
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad
