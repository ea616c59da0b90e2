"""state_dict / load_state_dict (strict errors naming keys and shapes), torch round trips in both
directions, and nn.save / nn.load (.npz, atomic, clear errors)."""

import os

import numpy as np
import pytest

import autodiff as ad
import nn


def _mlp(dtype=None):
    return nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.BatchNorm1d(8, dtype=dtype), nn.ReLU(),
                         nn.Linear(8, 3, dtype=dtype))  # fmt: skip


def _torch_mlp(torch):
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                               torch.nn.Linear(8, 3)).double()  # fmt: skip


def _train_a_bit(model, x):
    model(x)  # one batch in train mode moves the running statistics off their start values
    model.eval()


def test_ours_loads_into_torch_with_identical_outputs():
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    ours = _mlp(ad.float64)
    x = np.random.default_rng(0).standard_normal((6, 4))
    _train_a_bit(ours, ad.tensor(x))
    theirs = _torch_mlp(torch).eval()
    theirs.load_state_dict(
        {k: torch.from_numpy(v.detach().numpy()) for k, v in ours.state_dict().items()}
    )
    np.testing.assert_allclose(ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)  # fmt: skip


def test_torch_loads_into_ours_with_identical_outputs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = _torch_mlp(torch)
    x = np.random.default_rng(1).standard_normal((6, 4))
    theirs(torch.tensor(x))
    theirs.eval()
    ours = _mlp(ad.float64)
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    ours.eval()
    np.testing.assert_allclose(ours(ad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)  # fmt: skip
    assert int(ours[1].num_batches_tracked.detach().numpy()) == 1


def test_state_dict_is_detached_tensors_and_a_snapshot_loads_back():
    m = _mlp()
    sd = m.state_dict()
    assert all(isinstance(v, ad.Tensor) and not v.requires_grad for v in sd.values())
    assert sd["1.num_batches_tracked"].dtype == np.int64
    first = next(iter(m.parameters()))
    assert np.shares_memory(
        sd["0.weight"].detach().numpy(), first.detach().numpy()
    )  # as torch: no copy
    saved = {k: v.clone() for k, v in sd.items()}
    for p in m.parameters():
        p.data[...] = 0
    m.load_state_dict(saved)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, saved[k])


def test_strict_loading_names_missing_unexpected_and_shapes():
    m = _mlp()
    sd = dict(m.state_dict())
    del sd["0.bias"]
    sd["extra.weight"] = np.zeros(2)
    sd["3.weight"] = np.zeros((5, 8))
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "0.bias". ' in msg  # torch's words and quotes
    assert 'Unexpected key(s) in state_dict: "extra.weight". ' in msg
    assert "size mismatch for 3.weight" in msg and "(5, 8)" in msg and "(3, 8)" in msg
    sd["3.weight"] = np.zeros((3, 8))
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["extra.weight"]
    # printed as torch prints them
    assert (
        repr(result)
        == str(result)
        == ("_IncompatibleKeys(missing_keys=['0.bias'], unexpected_keys=['extra.weight'])")
    )
    assert repr(m.load_state_dict(m.state_dict())) == "<All keys matched successfully>"
    only_unexpected = {**m.state_dict(), "extra": np.zeros(1)}
    assert repr(m.load_state_dict(only_unexpected, strict=False)) == (
        "_IncompatibleKeys(missing_keys=[], unexpected_keys=['extra'])"
    )


def test_save_load_round_trip_is_atomic(tmp_path):
    m = _mlp()
    path = tmp_path / "model.npz"
    nn.save(m.state_dict(), path)
    loaded = nn.load(path)
    assert list(loaded) == list(m.state_dict())
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(loaded[k], v)
        assert loaded[k].dtype == v.dtype
    assert os.listdir(tmp_path) == ["model.npz"]  # no temp file left behind
    nn.save({"a": ad.ones(2)}, str(path))  # overwrite in place; tensors are accepted too
    assert list(nn.load(path)) == ["a"]


def test_failed_save_leaves_the_old_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    nn.save({"w": np.ones(3)}, path)

    class Boom:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        nn.save({"w": np.zeros(3), "bad": Boom()}, path)
    np.testing.assert_array_equal(nn.load(path)["w"], np.ones(3))
    assert os.listdir(tmp_path) == ["model.npz"]


def test_load_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        nn.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="bad.npz.*not a readable"):
        nn.load(bad)
    full = tmp_path / "full.npz"
    nn.save({"w": np.ones(1000)}, full)
    data = full.read_bytes()
    full.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="full.npz"):
        nn.load(full)
    with pytest.raises(TypeError, match="state dict"):
        nn.save([1, 2], tmp_path / "x.npz")
