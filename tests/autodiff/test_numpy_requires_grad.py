"""numpy() / np.asarray / __array__ read a tensor that requires grad (the project's API, unlike
torch's refusal); numpy(force=True) as torch's. AccumulateGrad's name."""

import numpy as np
import pytest

import autodiff as ad

READS = {
    "numpy": lambda t: t.numpy(),
    "asarray": lambda t: np.asarray(t),
    "array_dtype": lambda t: np.asarray(t, dtype=np.float64),
    "__array__": lambda t: t.__array__(),
    "np.array of a list": lambda t: np.array([t[0]]),
}


@pytest.mark.parametrize("name", READS)
@pytest.mark.parametrize("grad", [True, False])
def test_reads_of_a_tensor_that_requires_grad_give_its_values(name, grad):
    """The project's API (shared/API.md): unlike torch's, .numpy() and np.asarray read any
    tensor, also one that requires grad, with or without grad mode."""
    for no_grad in (False, True):
        t = ad.tensor([1.0, 2.0], requires_grad=grad) * 1.0
        with ad.no_grad() if no_grad else ad.enable_grad():
            values = np.asarray(READS[name](t)).tolist()
        assert values == ([1.0] if name == "np.array of a list" else [1.0, 2.0])


def test_numpy_shares_the_tensors_memory_as_force_and_detach_do():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    assert t.numpy() is t.numpy(force=True)
    assert np.shares_memory(t.numpy(), t.detach().numpy())


def test_accumulate_grad_name_and_repr_match_torch():
    torch = pytest.importorskip("torch")
    names = []
    for lib in (ad, torch):
        x = lib.ones(2, requires_grad=True)
        node = (x * 2).grad_fn
        leaf = node.next_functions[0][0]
        names.append((node.name(), leaf.name(), repr(leaf).split(" object")[0], repr(node)[:14]))
    assert names[0] == names[1]
    assert names[0][1] == "torch::autograd::AccumulateGrad"
