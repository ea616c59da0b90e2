"""F.unfold/F.fold and nn.Unfold/nn.Fold against torch: values, gradients, recorded graphs,
finite differences, second order, reprs and errors."""

import numpy as np
import pytest
from torch_twin import compare

import autodiff as ad
import nn
import nn.functional as F

BLOCKS = [
    ((2, 3, 4, 5), dict(kernel_size=2)),
    ((1, 2, 5, 5), dict(kernel_size=(2, 3), stride=2, padding=1)),
    ((2, 1, 6, 5), dict(kernel_size=2, dilation=(2, 1), padding=(0, 1), stride=(1, 2))),
    ((3, 4, 4), dict(kernel_size=3, padding=1)),
    ((0, 2, 3, 3), dict(kernel_size=2)),
]


@pytest.mark.parametrize("shape,kwargs", BLOCKS)
def test_unfold_and_fold_match_torch(shape, kwargs):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = np.random.default_rng(11).standard_normal(shape)
    compare(torch, lambda a: F.unfold(a, **kwargs), lambda a: tf.unfold(a, **kwargs), x)
    cols = tf.unfold(torch.tensor(x), **kwargs).detach().numpy()
    size = shape[-2:]
    compare(torch, lambda a: F.fold(a, size, **kwargs), lambda a: tf.fold(a, size, **kwargs), cols)
    ours, theirs = nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs)
    assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(
        ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy()
    )
    ours, theirs = nn.Fold(size, **kwargs), torch.nn.Fold(size, **kwargs)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(
        ours(ad.tensor(cols)).detach().numpy(),
        theirs(torch.tensor(cols)).detach().numpy(),
        rtol=1e-12,
    )


def test_unfold_is_a_convolution_as_a_matrix_product():
    rng = np.random.default_rng(12)
    x, w = (
        ad.tensor(rng.standard_normal((2, 3, 5, 5))),
        ad.tensor(rng.standard_normal((4, 3, 3, 3))),
    )
    cols = F.unfold(x, 3, padding=1)  # (2, 27, 25)
    out = (w.reshape(4, -1) @ cols).reshape(2, 4, 5, 5)
    np.testing.assert_allclose(
        out.detach().numpy(), F.conv2d(x, w, padding=1).detach().numpy(), rtol=1e-10
    )


def test_fold_and_unfold_errors_as_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    cases = [
        (
            lambda f, t: f.fold(t.ones(1, 5, 4), (3, 3), 2),
            "divisible by the product of kernel_size",
        ),
        (
            lambda f, t: f.fold(t.ones(1, 8, 5), (3, 3), 2),
            r"sliding blocks 2 \* 2 = 4, but got input.size\(2\)=5",
        ),
        (
            lambda f, t: f.unfold(t.ones(1, 2, 3, 3), 4),
            r"calculated shape of the array of sliding blocks as \(0, 0\)",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call(F, ad)
        with pytest.raises(RuntimeError, match=message):
            call(tf, torch)
    with pytest.raises(ValueError, match="expected a 3-D"):
        F.unfold(ad.ones(2, 3), 1)
