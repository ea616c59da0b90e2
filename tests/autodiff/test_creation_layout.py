"""torch's layout= (and pin_memory= where torch has it) on the creation functions and the
Tensor.new_* methods (not new_tensor, as torch): torch.strided makes the same tensor as
without it, as in torch; a sparse layout and pinned memory are refused with a message, never
ignored."""

import numpy as np
import pytest

import autodiff as ad

X = ad.arange(6.0).reshape(2, 3)
CALLS = {  # name: (positional args, whether torch's signature has pin_memory)
    "zeros": ((2, 3), False),
    "ones": ((2, 3), False),
    "empty": ((2, 3), True),
    "full": (((2, 3), 1.5), False),
    "rand": ((2, 3), True),
    "randn": ((2, 3), True),
    "arange": ((5,), False),
    "range": ((0, 4), False),
    "eye": ((3,), False),
    "linspace": ((0, 1, 5), False),
    "logspace": ((0, 1, 5), False),
    "randint": ((0, 5, (2, 3)), False),
    "randperm": ((5,), True),
    "empty_strided": (((2, 3), (3, 1)), True),
    "scalar_tensor": ((2.5,), True),
    "tril_indices": ((3, 3), False),
    "triu_indices": ((3, 3), False),
    "zeros_like": ((X,), False),
    "ones_like": ((X,), False),
    "empty_like": ((X,), False),
    "full_like": ((X, 2.0), False),
    "rand_like": ((X,), False),
    "randn_like": ((X,), False),
    "randint_like": ((X, 5), False),
    "hann_window": ((6,), True),
    "hamming_window": ((6,), True),
    "blackman_window": ((6,), True),
    "bartlett_window": ((6,), True),
    "kaiser_window": ((6,), True),
}
METHODS = {"new_zeros": (2, 3), "new_ones": (2, 3), "new_empty": (2, 3), "new_full": ((2,), 4.0)}


def _torch_args(torch, args):
    return tuple(torch.arange(6.0).reshape(2, 3) if a is X else a for a in args)


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")  # ours and torch's, as torch
@pytest.mark.parametrize("name", sorted(CALLS))
def test_strided_layout_is_accepted_as_torch_and_sparse_refused(name):
    args, pinned = CALLS[name]
    fn = getattr(ad, name)
    ad.manual_seed(3)
    plain = fn(*args)
    ad.manual_seed(3)
    given = fn(*args, layout=ad.strided)
    np.testing.assert_array_equal(given.numpy(), plain.numpy())
    assert given.dtype == plain.dtype and given.layout == ad.strided
    with pytest.raises(NotImplementedError, match=f"{name}: layout=torch.sparse_coo is not"):
        fn(*args, layout=ad.sparse_coo)
    if pinned:
        assert fn(*args, pin_memory=False).shape == plain.shape
        with pytest.raises(NotImplementedError, match=f"{name}: pin_memory=True"):
            fn(*args, pin_memory=True)
    torch = pytest.importorskip("torch")  # torch takes the same keywords
    theirs = getattr(torch, name)(*_torch_args(torch, args), layout=torch.strided)
    assert tuple(theirs.shape) == tuple(plain.shape) and str(theirs.dtype) == str(plain.dtype)
    if pinned:
        getattr(torch, name)(*_torch_args(torch, args), pin_memory=False)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_new_methods_take_layout_and_pin_memory(name):
    args = METHODS[name]
    made = getattr(X, name)(*args, layout=ad.strided, pin_memory=False)
    np.testing.assert_array_equal(made.numpy(), getattr(X, name)(*args).numpy())
    with pytest.raises(NotImplementedError, match=f"{name}: layout=torch.sparse_csr"):
        getattr(X, name)(*args, layout=ad.sparse_csr)
    with pytest.raises(NotImplementedError, match=f"{name}: pin_memory=True"):
        getattr(X, name)(*args, pin_memory=True)
    torch = pytest.importorskip("torch")
    getattr(torch.arange(6.0).reshape(2, 3), name)(*args, layout=torch.strided, pin_memory=False)


def test_tensor_takes_pin_memory_as_torch():
    assert ad.tensor([1.0, 2.0], pin_memory=False).tolist() == [1.0, 2.0]
    with pytest.raises(NotImplementedError, match="tensor: pin_memory=True"):
        ad.tensor([1.0], pin_memory=True)
    torch = pytest.importorskip("torch")
    torch.tensor([1.0], pin_memory=False)


def test_the_size_keyword_as_torch():
    """torch.empty(size=(...)) (pytorch/examples' gat), zeros, ones, rand, randn: the shape as
    a keyword, refused beside positional sizes with torch's TypeError."""
    for make in (ad.zeros, ad.ones, ad.empty, ad.rand, ad.randn):
        assert make(size=(2, 3)).shape == (2, 3)
        assert make(size=[4]).shape == (4,)
        with pytest.raises(TypeError, match="multiple values for argument 'size'"):
            make(2, size=(3,))
    ad.manual_seed(0)
    keyword = ad.randn(size=(3,))
    ad.manual_seed(0)
    assert ad.equal(keyword, ad.randn(3))
