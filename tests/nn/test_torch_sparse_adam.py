"""SparseAdam against torch.optim.SparseAdam: our dense gradient against torch's sparse one of
the same rows (nn.Embedding(sparse=True), or a dense gradient's .to_sparse(1)): weights,
moments and state_dict after several steps, with maximize and two groups; a torch state dict
loaded and continued; the hyperparameter checks; and what differs (dense gradients accepted)."""

import numpy as np
import pytest

import autodiff as ad
import nn

LOOKUPS = ([0, 2, 2, 7], [1, 2], [7], [3, 3, 0], [2])


def _embeddings(torch, **kwargs):
    ad.manual_seed(0)
    ours = nn.Embedding(8, 3, **kwargs)
    theirs = torch.nn.Embedding(8, 3, sparse=True, **kwargs)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
    return ours, theirs


def _step(torch, ours, theirs, opt, opt_t, idx) -> None:
    for emb, optimizer, lib in ((ours, opt, ad), (theirs, opt_t, torch)):
        optimizer.zero_grad()
        out = emb(lib.tensor(idx))
        (out * lib.arange(out.shape[-1] * 1.0) - out.tanh()).pow(2).sum().backward()
        optimizer.step()


def _assert_same_state(opt, opt_t) -> None:
    state, state_t = opt.state_dict(), opt_t.state_dict()
    assert state["param_groups"] == state_t["param_groups"]
    assert state["state"].keys() == state_t["state"].keys()
    for i, entry in state_t["state"].items():
        assert sorted(state["state"][i]) == sorted(entry) == ["exp_avg", "exp_avg_sq", "step"]
        assert state["state"][i]["step"] == entry["step"] and type(entry["step"]) is int
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(
                state["state"][i][key].detach().numpy(),
                entry[key].detach().numpy(),
                rtol=1e-6,
                atol=1e-9,
            )


@pytest.mark.parametrize(
    "kwargs",
    [dict(lr=0.1), dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, maximize=True), dict()],
    ids=str,
)
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_rows_follow_torch(kwargs, padding_idx):
    torch = pytest.importorskip("torch")
    ours, theirs = _embeddings(torch, padding_idx=padding_idx)
    opt = nn.optim.SparseAdam(ours.parameters(), **kwargs)
    opt_t = torch.optim.SparseAdam(theirs.parameters(), **kwargs)
    before = ours.weight.detach().numpy().copy()
    for idx in LOOKUPS:
        _step(torch, ours, theirs, opt, opt_t, idx)
        np.testing.assert_allclose(
            ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6, atol=1e-7
        )
        _assert_same_state(opt, opt_t)
    untouched = [4, 5, 6] + ([2] if padding_idx == 2 else [])
    np.testing.assert_array_equal(ours.weight.detach().numpy()[untouched], before[untouched])


def test_groups_and_any_shape_of_parameter_follow_torch():
    """Rows are slices along dim 0 (torch's .to_sparse(1)); a 1-d parameter's rows are entries;
    each group keeps its own lr."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    shapes = [(5, 2, 3), (6,), (4, 4)]
    starts = [rng.standard_normal(s) for s in shapes]
    ours = [nn.Parameter(ad.tensor(a)) for a in starts]
    theirs = [torch.tensor(a, requires_grad=True) for a in starts]
    groups = lambda ps: [{"params": ps[:2]}, {"params": ps[2:], "lr": 0.3}]  # noqa: E731
    opt = nn.optim.SparseAdam(groups(ours), lr=0.02, betas=(0.8, 0.99))
    opt_t = torch.optim.SparseAdam(groups(theirs), lr=0.02, betas=(0.8, 0.99))
    for step in range(5):
        for p, q, shape in zip(ours, theirs, shapes):
            grad = rng.standard_normal(shape)
            grad[rng.random(shape[0]) < 0.5] = 0.0  # about half the rows untouched
            grad.reshape(shape[0], -1)[::2, 0] = 0.0  # a row is touched by any of its entries
            if step == 2:
                grad[...] = 0.0  # no row at all: torch skips the update, the count goes on
            p.grad, q.grad = ad.tensor(grad), torch.tensor(grad).to_sparse(1)
        opt.step()
        opt_t.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(
                p.detach().numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-14
            )
        _assert_same_state(opt, opt_t)


def test_a_torch_state_dict_loads_and_continues():
    torch = pytest.importorskip("torch")
    ours, theirs = _embeddings(torch)
    opt_t = torch.optim.SparseAdam(theirs.parameters(), lr=0.1)
    scratch = nn.optim.SparseAdam(ours.parameters(), lr=0.1)
    for idx in LOOKUPS[:3]:
        _step(torch, ours, theirs, scratch, opt_t, idx)
    ours.weight.detach().numpy()[...] = theirs.weight.detach().numpy()
    opt = nn.optim.SparseAdam(ours.parameters(), lr=0.1)
    saved = opt_t.state_dict()
    opt.load_state_dict(
        {
            "param_groups": saved["param_groups"],
            "state": {
                i: {k: v if isinstance(v, int) else v.detach().numpy() for k, v in s.items()}
                for i, s in saved["state"].items()
            },
        }
    )
    for idx in LOOKUPS[3:]:
        _step(torch, ours, theirs, opt, opt_t, idx)
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6, atol=1e-7
    )
    assert int(opt.state[ours.weight]["step"]) == 5


def test_a_row_looked_up_with_a_zero_gradient_is_skipped_where_torch_updates_it():
    """The documented difference: a dense gradient cannot say that a zero row was looked up."""
    torch = pytest.importorskip("torch")
    ours, theirs = _embeddings(torch)
    opt = nn.optim.SparseAdam(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SparseAdam(theirs.parameters(), lr=0.1)
    _step(torch, ours, theirs, opt, opt_t, [1])  # row 1 gets moments
    before = ours.weight.detach().numpy().copy()
    for emb, optimizer, lib in ((ours, opt, ad), (theirs, opt_t, torch)):
        optimizer.zero_grad()
        (emb(lib.tensor([1])) * 0.0).sum().backward()
        optimizer.step()
    np.testing.assert_array_equal(ours.weight.detach().numpy()[1], before[1])
    assert not np.allclose(theirs.weight.detach().numpy()[1], before[1])


def test_checks_as_torch():
    torch = pytest.importorskip("torch")
    for kwargs, match in (
        (dict(lr=0.0), "Invalid learning rate: 0.0"),
        (dict(eps=0.0), "Invalid epsilon value: 0.0"),
        (dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
        (dict(betas=(0.9, -0.5)), "Invalid beta parameter at index 1"),
    ):
        with pytest.raises(ValueError, match=match):
            torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)], **kwargs)
        with pytest.raises(ValueError, match=f"SparseAdam.*{match}"):
            nn.optim.SparseAdam([nn.Parameter(ad.zeros(2))], **kwargs)
    assert "weight_decay" not in nn.optim.SparseAdam([nn.Parameter(ad.zeros(2))]).defaults
