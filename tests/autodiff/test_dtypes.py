"""Dtype rules: PyTorch's defaults, NumPy arrays keep theirs, gradients keep the input's."""

import numpy as np
import pytest

import autodiff as ad


@pytest.fixture
def default_dtype():
    before = ad.get_default_dtype()
    yield
    ad.set_default_dtype(before)


def test_python_numbers_follow_torch():
    assert ad.tensor(1.5).dtype == np.float32
    assert ad.tensor([1.0, 2]).dtype == np.float32
    assert ad.tensor(3).dtype == np.int64 and ad.tensor([1, 2]).dtype == np.int64
    assert ad.tensor([True]).dtype == np.bool_
    assert ad.zeros(2).dtype == np.float32 and ad.randn(2).dtype == np.float32
    assert ad.arange(3).dtype == np.int64 and ad.arange(0.0, 1.0, 0.5).dtype == np.float32


def test_numpy_arrays_keep_their_dtype():
    assert ad.tensor(np.ones(2)).dtype == np.float64
    assert ad.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert ad.tensor(np.ones(2, np.int32)).dtype == np.int32
    assert ad.tensor([1.0], dtype=ad.float64).dtype == np.float64
    arr = np.ones(3)
    assert np.shares_memory(ad.from_numpy(arr).detach().numpy(), arr)
    assert not np.shares_memory(ad.tensor(arr).detach().numpy(), arr)


def test_set_default_dtype(default_dtype):
    ad.set_default_dtype(ad.float64)
    assert ad.get_default_dtype() == np.float64
    assert ad.tensor(1.5).dtype == np.float64 and ad.ones(2).dtype == np.float64
    assert ad.tensor(2).dtype == np.int64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_keep_the_input_dtype(dtype):
    x = ad.tensor(np.array([0.5, 1.5], dtype=dtype), requires_grad=True)
    y = (x.exp() * 2.0 + x.sigmoid() - 1).log_softmax(0)
    assert y.dtype == dtype
    (y * ad.tensor(np.array([1.0, -1.0], dtype=dtype))).sum().backward()
    assert x.grad.dtype == dtype


def test_mixed_float_dtypes_promote_and_gradients_cast_back():
    a = ad.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    b = ad.tensor(np.array([3.0, 4.0], np.float64), requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.detach().numpy(), [3.0, 4.0])


def test_python_scalars_do_not_promote_float32():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * 2.5, x + 1, 2 - x, x / 3.0, x**2, 2.0**x):
        assert y.dtype == np.float32


def test_conversions():
    x = ad.tensor(np.array([1.5, 2.5]), requires_grad=True)
    f = x.float()
    assert f.dtype == np.float32 and f.grad_fn.name() == "ToCopyBackward0"
    assert x.double() is x and x.to(np.float64) is x
    back = f.double()
    back.sum().backward()
    assert x.grad.dtype == np.float64
    assert x.long().dtype == np.int64 and not x.long().requires_grad


def test_integer_tensors_never_require_grad():
    with pytest.raises(TypeError):
        ad.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError):
        ad.zeros(2, dtype=ad.int64, requires_grad=True)
    i = ad.tensor([1, 2])
    x = ad.tensor([0.5, 0.5], requires_grad=True)
    (i * x).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [1.0, 2.0])
    assert x.grad.dtype == np.float32


def test_integer_tensor_times_float32_stays_float32_as_torch():
    i, f = ad.tensor([1, 2]), ad.tensor([0.5, 0.5])
    assert (i * f).dtype == (f - i).dtype == (i / f).dtype == np.float32
    assert (i * 0.5).dtype == (2.5 - i).dtype == (i / i).dtype == np.float32
    assert (i + i).dtype == (i * 2).dtype == np.int64
    assert (i * ad.tensor([0.5], dtype=np.float64)).dtype == np.float64
