"""numpy() / np.asarray / __array__ on a tensor that requires grad raise as torch's (while
grad mode is on); numpy(force=True) and detach().numpy() read it. AccumulateGrad's name."""

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


def _outcome(fn):
    try:
        return ("ok", np.asarray(fn()).tolist())
    except Exception as e:  # noqa: BLE001 (the exception is the outcome compared)
        return type(e).__name__, str(e)


@pytest.mark.parametrize("name", READS)
@pytest.mark.parametrize("grad", [True, False])
def test_reads_of_a_tensor_that_requires_grad_match_torch(name, grad):
    torch = pytest.importorskip("torch")
    read = READS[name]
    for no_grad in (False, True):
        ours_t = ad.tensor([1.0, 2.0], requires_grad=grad)
        theirs_t = torch.tensor([1.0, 2.0], requires_grad=grad)
        if no_grad:
            with ad.no_grad():
                ours = _outcome(lambda t=ours_t: read(t))
            with torch.no_grad():
                theirs = _outcome(lambda t=theirs_t: read(t))
        else:
            ours = _outcome(lambda t=ours_t: read(t))
            theirs = _outcome(lambda t=theirs_t: read(t))
        assert ours == theirs, (name, grad, no_grad)
    assert (ours[0] == "ok") == (not grad or no_grad)  # the case that raises does raise


def test_force_and_detach_read_the_same_array():
    t = ad.tensor([1.0, 2.0], requires_grad=True)
    assert t.numpy(force=True) is t.detach().numpy() or np.shares_memory(
        t.numpy(force=True), t.detach().numpy()
    )
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\) instead"):
        (t * 2).numpy()  # a non-leaf too


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
