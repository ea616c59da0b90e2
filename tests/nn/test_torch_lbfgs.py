"""LBFGS against torch.optim.LBFGS: the closure's loss sequence, the parameters and the
evaluation counts over several steps, with and without the strong-Wolfe line search, in float64
(float32 runs follow the same path but round differently); errors."""

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff.compile import CompileError

CONFIGS = [
    dict(lr=0.8),
    dict(lr=1, line_search_fn="strong_wolfe"),
    dict(lr=0.5, history_size=3, max_iter=7),
    dict(line_search_fn="strong_wolfe", history_size=2, max_iter=6, tolerance_change=1e-6),
]


def _run(lib, make, kwargs, steps=3):
    """A small tanh regression fitted by LBFGS: (losses seen by the closure, parameters, state)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3))
    y = np.sin(x).sum(1, keepdims=True)
    params = [lib.tensor(a, requires_grad=True) for a in (rng.standard_normal((3, 8)) * 0.5,
                                                          rng.standard_normal((8, 1)) * 0.5)]  # fmt: skip
    X, Y = lib.tensor(x), lib.tensor(y)
    optimizer = make(params, **kwargs)
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = (((X @ params[0]).tanh() @ params[1] - Y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        return loss

    for _ in range(steps):
        returned = optimizer.step(closure)
    state = optimizer.state[params[0]]
    return losses, [p.detach().numpy() for p in params], state, returned


@pytest.mark.parametrize(
    "kwargs", CONFIGS, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items())
)
def test_trajectory_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    losses, params, state, returned = _run(ad, nn.optim.LBFGS, kwargs)
    losses_t, params_t, state_t, returned_t = _run(torch, torch.optim.LBFGS, kwargs)
    assert len(losses) == len(losses_t)
    np.testing.assert_allclose(losses, losses_t, rtol=1e-9)
    for p, q in zip(params, params_t):
        np.testing.assert_allclose(p, q, rtol=1e-8, atol=1e-10)
    assert (state["func_evals"], state["n_iter"]) == (state_t["func_evals"], state_t["n_iter"])
    assert returned.item() == pytest.approx(returned_t.item(), rel=1e-9)


def test_stops_at_once_when_the_gradient_is_zero_and_refuses_bad_use():
    w = ad.tensor([0.0], requires_grad=True)
    optimizer = nn.optim.LBFGS([w])
    calls = []

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(1)
        return loss

    optimizer.step(closure)
    assert len(calls) == 1 and w.item() == 0.0
    with pytest.raises(ValueError, match="needs a closure"):
        optimizer.step(None)
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        nn.optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        nn.optim.LBFGS([{"params": [w]}, {"params": [ad.zeros(1, requires_grad=True)]}])


def test_state_dict_round_trip_continues_the_same_and_has_torchs_keys():
    torch = pytest.importorskip("torch")
    kwargs = dict(line_search_fn="strong_wolfe", history_size=3, max_iter=4)
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.standard_normal((20, 3)))
    y = ad.tensor(np.sin(x.detach().numpy()).sum(1, keepdims=True))

    def fitted(steps, restart_after=None):
        w = ad.tensor(np.linspace(-1, 1, 3).reshape(3, 1), requires_grad=True)
        optimizer = nn.optim.LBFGS([w], **kwargs)

        def closure():
            optimizer.zero_grad()
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            return loss

        for k in range(steps):
            if k == restart_after:
                saved = optimizer.state_dict()
                optimizer = nn.optim.LBFGS([w], **kwargs)
                optimizer.load_state_dict(saved)
            optimizer.step(closure)
        return w.detach().numpy(), optimizer.state_dict()

    straight, state = fitted(3)
    resumed, _ = fitted(3, restart_after=2)
    np.testing.assert_array_equal(straight, resumed)
    w_t = torch.zeros(3, 1, dtype=torch.float64, requires_grad=True)
    opt_t = torch.optim.LBFGS([w_t], **kwargs)
    xt, yt = torch.tensor(x.detach().numpy()), torch.tensor(y.detach().numpy())

    def closure_t():
        opt_t.zero_grad()
        loss = ((xt @ w_t - yt) ** 2).mean()
        loss.backward()
        return loss

    opt_t.step(closure_t)
    assert set(state["state"][0]) == set(opt_t.state_dict()["state"][0])
    assert state["state"][0]["func_evals"] == int(state["state"][0]["func_evals"])


def test_ad_compile_refuses_a_step_with_a_closure_naming_it():
    w = ad.tensor(np.linspace(-1, 1, 3), requires_grad=True)
    optimizer = nn.optim.LBFGS([w])

    def step():
        def closure():
            optimizer.zero_grad()
            loss = (w**4).sum()
            loss.backward()
            return loss

        return optimizer.step(closure)

    with pytest.raises(CompileError, match=r"LBFGS.step\(closure\) is not supported"):
        ad.compile(step)()
