"""torch names added together (the legacy tensor types, torch.typename, the top-level in-place
forms, ...): what has no gradient, their edge cases and errors, against torch. Values and
gradients of the float ops are the op table's (optable.py)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def _same(ours, theirs):
    assert isinstance(ours, ad.Tensor), type(ours)
    assert str(ours.dtype) == str(theirs.dtype), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _both(call):
    _same(call(ad), call(torch))


def _refused_as_by_torch(call, error, words, theirs=(RuntimeError, TypeError, ValueError)):
    with pytest.raises(theirs):
        call(torch)
    with pytest.raises(error, match=words):
        call(ad)


TYPES = [n for n in dir(torch) if n.endswith("Tensor") and n not in ("Tensor", "BFloat16Tensor")]


# --- legacy tensor types ------------------------------------------------------------------------
def test_every_legacy_type_of_torch_is_here():
    assert TYPES and all(hasattr(ad, n) for n in TYPES + ["BFloat16Tensor"])


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize(
    "args",
    [([1, 2],), ([[1, 0], [3, 4]],), ((2, 3),), ([],), (), ([True, 2.7],), (np.arange(3.0),)],
)
def test_legacy_type_from_data_as_torch(name, args):
    _same(getattr(ad, name)(*args), getattr(torch, name)(*args))


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("sizes", [(3, 4), (0,), (2,)])
def test_legacy_type_from_sizes_has_torchs_shape_and_dtype(name, sizes):
    ours, theirs = getattr(ad, name)(*sizes), getattr(torch, name)(*sizes)
    assert (ours.shape, str(ours.dtype)) == (tuple(theirs.shape), str(theirs.dtype))
    assert not ours.numpy().any()  # zeros: torch's memory is uninitialised
    assert getattr(ad, name)(ad.Size(sizes)).shape == getattr(torch, name)(torch.Size(sizes)).shape


def test_legacy_type_of_a_tensor_of_its_dtype_is_that_tensor():
    t = ad.zeros(2)
    assert ad.FloatTensor(t) is t
    _refused_as_by_torch(lambda lib: lib.FloatTensor(lib.zeros(2, dtype=lib.float64)),
                         TypeError, r"FloatTensor: expected a tensor of dtype torch.float32, got "
                         r"torch.float64.*t.type\(torch.FloatTensor\)")  # fmt: skip


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.FloatTensor(2.5), TypeError, r"data must be a sequence.*\(got float\)"),
        (lambda lib: lib.FloatTensor("ab"), TypeError, "data must be a sequence"),
        (lambda lib: lib.LongTensor(2, -1), RuntimeError, r"negative dimension \(\(2, -1\)\)"),
        (lambda lib: lib.FloatTensor(2, requires_grad=True), TypeError, "requires_grad"),
        (lambda lib: lib.arange(3).type("torch.Foo"), ValueError, "invalid type: 'torch.Foo'"),
    ],
)
def test_legacy_types_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


@pytest.mark.parametrize("name", TYPES)
def test_isinstance_asks_for_the_dtype_as_torch(name):
    for dtype in ("float32", "float64", "float16", "int64", "int32", "uint8", "bool"):
        ours, theirs = ad.zeros(2, dtype=getattr(ad, dtype)), torch.zeros(2, dtype=getattr(
            torch, dtype))  # fmt: skip
        assert isinstance(ours, getattr(ad, name)) == isinstance(theirs, getattr(torch, name))
    assert not isinstance(3, getattr(ad, name)) and not isinstance(np.zeros(2), getattr(ad, name))
    assert str(getattr(ad, name).dtype) == str(getattr(torch, name).dtype)
    assert repr(getattr(ad, name)) == repr(getattr(torch, name))


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("source", ["float32", "int64", "bool"])
def test_type_converts_to_a_legacy_type_or_its_name_as_torch(name, source):
    def call(lib, target):
        return lib.tensor([0, 1, 2], dtype=getattr(lib, source)).type(target)

    _same(call(ad, getattr(ad, name)), call(torch, getattr(torch, name)))
    _same(call(ad, f"torch.{name}"), call(torch, f"torch.{name}"))
    assert call(ad, getattr(ad, name)).type() == call(torch, getattr(torch, name)).type()


def test_type_to_its_own_type_is_the_tensor_itself():
    t = ad.arange(3.0)
    assert t.type(ad.FloatTensor) is t and t.type("torch.FloatTensor") is t


def test_typename_as_torch():
    for dtype in ("float32", "float64", "int64", "int8", "bool", "complex64"):
        assert ad.typename(ad.zeros(1, dtype=getattr(ad, dtype))) == torch.typename(
            torch.zeros(1, dtype=getattr(torch, dtype)))  # fmt: skip
    for obj in (3, object(), "s", None, [1]):
        assert ad.typename(obj) == torch.typename(obj)
    assert ad.typename(ad.Tensor) == "autodiff.tensor.Tensor"
    assert ad.typename(np.zeros(1)) == torch.typename(np.zeros(1)) == "numpy.ndarray"
