"""torch's deprecated argument orders, the number first (`p.data.add_(-lr, grad)`,
`v.addcmul_(1 - beta2, g, g)`, `p.addcdiv_(-step, m, denom)`), still found in older
hand-written optimizers: they compute what the keyword forms compute, with torch's warning
once a process, and give torch's numbers."""

import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.ops import arithmetic

X, G = [1.0, 2.0, -3.0], [2.0, -1.0, 0.5]

CASES = {  # call in the old order, the same call with keywords, torch's warning's signatures
    "x.add_(n, t)": (
        lambda x, g: x.add_(-0.1, g),
        lambda x, g: x.add_(g, alpha=-0.1),
        "add_(Number alpha, Tensor other)",
        "add_(Tensor other, *, Number alpha = 1)",
    ),
    "x.sub(n, t)": (
        lambda x, g: x.sub(-0.1, g),
        lambda x, g: x.sub(g, alpha=-0.1),
        "sub(Number alpha, Tensor other)",
        "sub(Tensor other, *, Number alpha = 1)",
    ),
    "torch.add(x, n, t)": (
        lambda x, g: ad.add(x, -0.1, g),
        lambda x, g: ad.add(x, g, alpha=-0.1),
        "add(Tensor input, Number alpha, Tensor other, *, Tensor out = None)",
        "add(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
    ),
    "x.addcmul_(n, t, t)": (
        lambda x, g: x.addcmul_(0.3, g, g),
        lambda x, g: x.addcmul_(g, g, value=0.3),
        "addcmul_(Number value, Tensor tensor1, Tensor tensor2)",
        "addcmul_(Tensor tensor1, Tensor tensor2, *, Number value = 1)",
    ),
    "torch.addcdiv(x, n, t, t)": (
        lambda x, g: ad.addcdiv(x, 0.3, g, g * 3),
        lambda x, g: ad.addcdiv(x, g, g * 3, value=0.3),
        "addcdiv(Tensor input, Number value, Tensor tensor1, Tensor tensor2, *, Tensor out = None)",
        "addcdiv(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value = 1, Tensor out = None)",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_old_order_computes_the_keyword_form_and_warns_once(case, monkeypatch):
    old, new, signature, instead = CASES[case]
    monkeypatch.setattr(arithmetic, "_old_order_warned", [])
    with pytest.warns(UserWarning) as caught:
        got = old(ad.tensor(X), ad.tensor(G))
    name = signature.split("(")[0]
    assert str(caught[0].message) == (
        f"This overload of {name} is deprecated:\n\t{signature}\nConsider using one of the "
        f"following signatures instead:\n\t{instead}"
    )
    np.testing.assert_array_equal(got.numpy(), new(ad.tensor(X), ad.tensor(G)).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once a process, as torch's TORCH_WARN_ONCE
        old(ad.tensor(X), ad.tensor(G))


def test_an_old_style_adam_loop_gives_torchs_bits(monkeypatch):
    """Adam as 2018's code wrote it, run here and in torch on the same gradients. torch's
    float32 sqrt is MKL's, one unit in the last place off in ~20 % of values on AMD processors:
    torch gets a correctly rounded one, as ours is, so that everything else is compared."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.Tensor, "sqrt", lambda t: torch.from_numpy(np.sqrt(t.numpy())))
    rng = np.random.default_rng(0)
    start = rng.standard_normal(67).astype(np.float32)
    grads = [rng.standard_normal(67).astype(np.float32) for _ in range(5)]
    results = []
    for lib in (ad, torch):
        p, m, v = lib.tensor(start), lib.zeros(67), lib.zeros(67)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for step, g in enumerate(grads, 1):
                g = lib.tensor(g)
                m.mul_(0.9).add_(1 - 0.9, g)
                v.mul_(0.999).addcmul_(1 - 0.999, g, g)
                denom = v.sqrt().add_(1e-8)
                step_size = 1e-2 * (1 - 0.999**step) ** 0.5 / (1 - 0.9**step)
                p.addcdiv_(-step_size, m, denom)
        results.append(p.numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_other_extra_arguments_are_refused():
    with pytest.raises(TypeError, match=r"give the number as a keyword: add\(Tensor other"):
        ad.add(ad.ones(2), ad.ones(2), ad.ones(2))
