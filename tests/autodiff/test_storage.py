"""Tensor.data_ptr() and untyped_storage(): the same relations between views as torch's
(addresses differ between the libraries; their differences and equalities do not)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def views(lib):
    x = lib.arange(24, dtype=lib.float32).reshape(4, 6)
    return x, {
        "slice": x[1:],
        "column": x[:, 2],
        "inner": x[2:, 3:],
        "transpose": x.t(),
        "flat": x.reshape(-1)[5:],
        "element": x[3, 4],
        "clone": x[1:].clone(),
        "contiguous of a transpose": x.t().contiguous(),
        "float64 copy": x.to(lib.float64),
    }


def relations(lib):
    x, named = views(lib)
    base = x.data_ptr()
    storage = x.untyped_storage()
    out = {}
    for name, v in named.items():
        s = v.untyped_storage()
        shares = s.data_ptr() == storage.data_ptr()
        out[name] = (
            v.data_ptr() - base if shares else None,  # offset in bytes, on x's storage
            shares,
            s.nbytes(),
            s.size(),
            v.storage_offset(),
        )
    return out


def test_views_relate_as_in_torch():
    assert relations(ad) == relations(torch)


def test_itemsize_steps_and_empty_tensors():
    for lib in (torch, ad):
        for dtype in (lib.float32, lib.float64, lib.int16, lib.uint8):
            x = lib.zeros(5, dtype=dtype)
            assert x[1:].data_ptr() == x.data_ptr() + x.itemsize
        assert lib.empty(0).data_ptr() == 0
        assert lib.empty(0).untyped_storage().size() == 0


def test_storage_contents_and_equality():
    for lib in (torch, ad):
        x = lib.tensor([1.0, -2.0])
        s = x[1:].untyped_storage()
        assert s.tolist() == list(np.array([1.0, -2.0], np.float32).view(np.uint8))
        assert len(s) == 8 and s.element_size() == 1 and str(s.device) == "cpu"
        assert x.untyped_storage() == x[1:].untyped_storage()
    y = ad.tensor([1.0, -2.0])
    assert y.untyped_storage() != y.clone().untyped_storage()
    assert isinstance(y.untyped_storage(), ad.UntypedStorage)
