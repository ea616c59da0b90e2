"""Comparing a call made on autodiff and on torch: the same tensor, or the same refusal."""

import numpy as np
import pytest

import autodiff as ad


def same(ours, theirs) -> None:
    """The same values bit for bit, dtype and shape (ours a Tensor)."""
    assert isinstance(ours, ad.Tensor), type(ours)
    assert str(ours.dtype) == str(theirs.dtype), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def both(call, torch) -> None:
    """call(module) on autodiff and on torch gives the same tensor."""
    same(call(ad), call(torch))


def refused_as_by_torch(call, torch, error, words, theirs) -> None:
    """call(torch) raises (one of theirs), and call(ad) raises error with words in its message."""
    with pytest.raises(theirs):
        call(torch)
    with pytest.raises(error, match=words):
        call(ad)
