"""torch.nn.attention.sdpa_kernel and SDPBackend against torch: the argument check, the
backends torch's CPU build can run (MATH, FLASH_ATTENTION: here both the math one), the error
when none of them is allowed, and the choice restored after the block."""

import numpy as np
import pytest

import autodiff as ad
import nn
from nn.sdpa_backends import SDPBackend, sdpa_kernel

Q = np.sin(np.arange(2 * 3 * 5 * 4.0)).reshape(2, 3, 5, 4).astype(np.float32)


def _sdpa(lib, F, backends):
    q = lib.tensor(Q, requires_grad=True)
    try:
        with F["sdpa_kernel"](backends):
            out = F["sdpa"](q, q * 0.5, q, is_causal=True)
    except RuntimeError as e:
        return str(e)
    out.sum().backward()
    return out.detach().numpy(), q.grad.numpy()


def _spaces(torch):
    from torch.nn.attention import SDPBackend as B
    from torch.nn.attention import sdpa_kernel as k

    ours = {"sdpa": nn.functional.scaled_dot_product_attention, "sdpa_kernel": sdpa_kernel}
    theirs = {"sdpa": torch.nn.functional.scaled_dot_product_attention, "sdpa_kernel": k}
    return (ad, ours, SDPBackend), (torch, theirs, B)


@pytest.mark.parametrize(
    "names",
    [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"], ["CUDNN_ATTENTION", "MATH"],
     ["EFFICIENT_ATTENTION", "CUDNN_ATTENTION"], "MATH", "ERROR"],
    ids=str,
)  # fmt: skip
def test_backends_as_torch(names):
    torch = pytest.importorskip("torch")
    results = []
    for lib, F, B in _spaces(torch):
        backends = getattr(B, names) if isinstance(names, str) else [getattr(B, n) for n in names]
        results.append(_sdpa(lib, F, backends))
    ours, theirs = results
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-4, atol=1e-5)


def test_argument_check_and_members_as_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend as B

    assert list(SDPBackend.__members__) == list(B.__members__)
    assert [m.value for m in SDPBackend] == [m.value for m in B.__members__.values()]
    for bad in ("math", ("MATH",), 0):
        with pytest.raises(AssertionError) as ours:
            with sdpa_kernel(bad):
                pass
        with pytest.raises(AssertionError) as theirs:
            with torch.nn.attention.sdpa_kernel(bad):
                pass
        assert str(ours.value) == str(theirs.value)


def test_the_choice_is_restored_after_the_block_and_an_error():
    q = ad.tensor(Q)
    with pytest.raises(KeyError):
        with sdpa_kernel([SDPBackend.EFFICIENT_ATTENTION]):
            raise KeyError
    assert nn.functional.scaled_dot_product_attention(q, q, q).shape == (2, 3, 5, 4)

    @sdpa_kernel(SDPBackend.CUDNN_ATTENTION)  # a decorator too, as torch's
    def attend():
        return nn.functional.scaled_dot_product_attention(q, q, q)

    with pytest.raises(RuntimeError, match="No viable backend"):
        attend()
