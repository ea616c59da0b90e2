"""Printing as torch prints: tensors (layout, precision, scientific notation, summarisation,
suffixes), dtypes, torch.Size, format specs and set_printoptions, line by line against
real torch."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
ARRAYS = {
    "0-d float": np.float32(3.25),
    "0-d int": np.int64(-7),
    "0-d bool": np.bool_(True),
    "0-d float64": np.float64(1 / 3),
    "1-d floats": np.array([0.1234, -1.0, 2.5], np.float32),
    "1-d ints": np.array([0, 5, -12, 300], np.int64),
    "1-d int32": np.array([1, 2], np.int32),
    "1-d bools": np.array([True, False]),
    "2-d": RNG.standard_normal((3, 4)).astype(np.float32),
    "3-d": RNG.standard_normal((2, 3, 4)).astype(np.float32),
    "4-d": np.arange(24.0, dtype=np.float32).reshape(1, 2, 3, 4),
    "whole floats": np.array([[1.0, -2.0], [300.0, 4.0]], np.float32),
    "large": np.array([1e10, 1.0, -3.0], np.float32),
    "small": np.array([1e-5, 0.5], np.float32),
    "wide range": np.array([0.001, 5.0, 12.0], np.float32),
    "1e8": np.array([123456789.0], np.float32),
    "nan inf": np.array([np.nan, np.inf, -np.inf, 1.5], np.float32),
    "nan inf whole": np.array([np.nan, np.inf, 2.0], np.float32),
    "all zero": np.zeros((2, 2), np.float32),
    "negative zero": np.array([-0.0, 1.0], np.float32),
    "float64": np.array([1.5, 2.0], np.float64),
    "float16": np.array([0.1, 65000.0], np.float16),
    "uint8": np.array([0, 255], np.uint8),
    "int8 2-d": np.array([[-1, 2], [3, 4]], np.int8),
    "complex": np.array([1 + 2j, -3.5 - 1j], np.complex64),
    "long line": np.linspace(-1, 1, 40, dtype=np.float32),
    "long ints": np.arange(100),
    "summarised 1-d": np.arange(2000),
    "summarised 2-d": np.arange(3000.0, dtype=np.float32).reshape(30, 100),
    "summarised 3-d": RNG.standard_normal((12, 10, 10)).astype(np.float32),
    "summarised tall": np.arange(2002.0, dtype=np.float32).reshape(1001, 2),
    "empty 1-d": np.zeros(0, np.float32),
    "empty 2-d": np.zeros((0, 3), np.float32),
    "empty int": np.zeros((2, 0), np.int64),
    "empty float64": np.zeros(0, np.float64),
}


def _pair(array):
    return ad.tensor(array), torch.from_numpy(np.array(array))


@pytest.mark.parametrize("name", ARRAYS)
def test_tensor_prints_as_torch(name):
    ours, theirs = _pair(ARRAYS[name])
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"precision": 8},
        {"threshold": 5},
        {"threshold": 5, "edgeitems": 1},
        {"threshold": 5, "edgeitems": 0},
        {"linewidth": 30},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short"},
        {"profile": "full"},
    ],
    ids=str,
)
def test_set_printoptions_prints_as_torch(options):
    arrays = [ARRAYS[k] for k in ("2-d", "long line", "summarised 2-d", "wide range", "1-d ints")]
    try:
        ad.set_printoptions(**options)
        torch.set_printoptions(**options)
        for array in arrays:
            ours, theirs = _pair(array)
            assert repr(ours) == repr(theirs)
        assert ad.get_printoptions() == torch._tensor_str.get_printoptions()
    finally:
        ad.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
    assert ad.get_printoptions() == torch._tensor_str.get_printoptions()


def test_summarising_starts_past_twice_the_edge_items():
    try:
        for options in ({"threshold": 5}, {"threshold": 5, "edgeitems": 2}):
            ad.set_printoptions(**options)
            torch.set_printoptions(**options)
            for shape in ((6,), (7,), (4,), (5,), (6, 6), (7, 2), (2, 7)):
                ours, theirs = _pair(np.arange(np.prod(shape)).reshape(shape))
                assert repr(ours) == repr(theirs)
    finally:
        ad.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_suffixes_wrap_where_torch_wraps_them():
    for n in range(1, 40):
        for dtype in (np.float32, np.float64):
            values = np.linspace(-1, 1, n).astype(dtype)
            ours = ad.tensor(values, requires_grad=True)
            theirs = torch.tensor(values, requires_grad=True)
            assert repr(ours) == repr(theirs)
            assert repr(ours * 2) == repr(theirs * 2)


def test_printoptions_context_restores():
    before = ad.get_printoptions()
    with ad.printoptions(precision=1):
        assert repr(ad.tensor([1.25])) == "tensor([1.2])"
    assert ad.get_printoptions() == before
    with pytest.raises(ValueError, match="profile"):
        ad.set_printoptions(profile="huge")


def test_graph_suffixes_print_as_torch():
    a = ad.tensor([[0.1234, -1.0]], requires_grad=True)
    t = torch.tensor([[0.1234, -1.0]], requires_grad=True)
    assert repr(a) == repr(t) == "tensor([[ 0.1234, -1.0000]], requires_grad=True)"
    assert repr(a + 1) == repr(t + 1)
    assert repr((a * 2).sum()) == repr((t * 2).sum())
    assert repr(a[0]) == repr(t[0])
    wide_a = ad.tensor(np.linspace(0, 1, 12), requires_grad=True) * 3  # suffix on a new line
    wide_t = torch.tensor(np.linspace(0, 1, 12), requires_grad=True) * 3
    assert repr(wide_a) == repr(wide_t)


def test_dtypes_print_as_torch_and_stay_numpy_dtypes():
    for ours, theirs in [(ad.float32, torch.float32), (ad.int64, torch.int64),
                         (ad.bool, torch.bool), (ad.float16, torch.float16),
                         (ad.uint8, torch.uint8), (ad.complex64, torch.complex64),
                         (ad.bfloat16, torch.bfloat16)]:  # fmt: skip
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    t = ad.ones(2)
    assert str(t.dtype) == "torch.float32" and t.dtype is ad.float32
    assert t.dtype == np.float32 and np.float32 == t.dtype and t.dtype == np.dtype("float32")
    assert np.zeros(2, dtype=t.dtype).dtype == np.float32 and np.dtype(t.dtype) == np.float32
    assert {np.dtype(np.float32): "f"}[t.dtype] == "f" and t.dtype.kind == "f"
    assert t.dtype.itemsize == 4 and t.dtype != np.float64 and t.dtype != None  # noqa: E711
    assert t.dtype.is_floating_point and not ad.int64.is_floating_point and ad.int8.is_signed
    assert isinstance(t.dtype, ad.dtype) and ad.get_default_dtype() is ad.float32
    assert ad.tensor([1, 2]).dtype is ad.int64 and (t > 0).dtype is ad.bool
    assert str(ad.ones(2, dtype=np.uint16).dtype) == "torch.uint16"
    import copy
    import pickle

    assert copy.deepcopy(t.dtype) is ad.float32 and pickle.loads(pickle.dumps(t.dtype)) is t.dtype
    assert ad.zeros(2, dtype=ad.bfloat16).dtype is t.to(ad.bfloat16).dtype is ad.bfloat16
    assert copy.deepcopy(ad.bfloat16) is ad.bfloat16 and ad.bfloat16.is_floating_point


def test_size_is_torch_size():
    t = ad.zeros(2, 3)
    assert repr(t.shape) == repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert str(t.size()) == "torch.Size([2, 3])" and repr(ad.tensor(1.0).shape) == "torch.Size([])"
    assert t.shape == (2, 3) and isinstance(t.shape, tuple) and isinstance(t.shape, ad.Size)
    assert hash(t.shape) == hash((2, 3)) and t.shape[1] == 3 and t.size(-1) == 3
    assert t.shape.numel() == 6 and ad.Size([]).numel() == 1
    for result in (t.shape[1:], t.shape + (4,), (4,) + t.shape, t.shape * 2):
        assert isinstance(result, ad.Size)
    assert f"{t.shape}" == "torch.Size([2, 3])"


def test_format_of_tensors_as_torch():
    for value in (3.14159, -2.0, 7):
        ours, theirs = ad.tensor(value), torch.tensor(value)
        for spec in ("", ".4f", "+.2f", "10.3e", ">8"):
            assert format(ours, spec) == format(theirs, spec)
            assert "{:{}}".format(ours, spec) == "{:{}}".format(theirs, spec)
    assert f"{ad.tensor(0.3)}" == f"{torch.tensor(0.3)}"  # the float32 number, as torch
    assert f"{ad.ones(2)}" == f"{torch.ones(2)}"
    for ours, theirs in ((ad.ones(1), torch.ones(1)), (ad.ones(2), torch.ones(2))):
        with pytest.raises(TypeError, match="unsupported format string"):
            format(theirs, ".2f")
        with pytest.raises(TypeError, match="unsupported format string"):
            format(ours, ".2f")


def test_named_results_print_as_torch():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], np.float32)
    a, t = ad.tensor(x), torch.from_numpy(x)
    assert repr(a.max(1)) == repr(t.max(1))
    assert repr(ad.min(a, 0)) == repr(torch.min(t, 0))
    assert repr(a.sort(1)) == repr(t.sort(1))
    assert repr(a.topk(2)) == repr(t.topk(2))
    m = np.array([[2.0, 1.0], [1.0, 3.0]])
    assert repr(ad.linalg.slogdet(ad.tensor(m))) == repr(torch.linalg.slogdet(torch.tensor(m)))
    result = a.max(1)
    values, indices = result
    assert result.values is values and result.indices is indices and indices.dtype is ad.int64


def test_finfo_iinfo_as_torch():
    for dtype in ("float32", "float64", "float16"):
        ours, theirs = ad.finfo(getattr(ad, dtype)), torch.finfo(getattr(torch, dtype))
        assert repr(ours) == repr(theirs)
        for field in ("eps", "max", "min", "tiny", "resolution", "bits"):
            assert getattr(ours, field) == getattr(theirs, field)
    assert ad.finfo().eps == torch.finfo().eps
    ours, theirs = ad.iinfo(ad.int32), torch.iinfo(torch.int32)
    assert (ours.min, ours.max, repr(ours)) == (theirs.min, theirs.max, repr(theirs))
