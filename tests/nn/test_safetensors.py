"""The .safetensors format (autodiff.safetensors, nn.save/nn.load by suffix) against the
`safetensors` package and real PyTorch in both directions, crafted headers refused naming the
file, and nn.load's words for files it does not read."""

import io
import json
import struct

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff import safetensors

reference = pytest.importorskip("safetensors.numpy")

DTYPES = ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
DTYPES += ["float16", "float32", "float64", "complex64"]


def _state():
    rng = np.random.default_rng(0)
    out = {}
    for dtype in DTYPES:
        for shape in [(), (0,), (2, 3)]:
            values = np.asarray(rng.standard_normal(shape) * 50).astype(dtype)
            out[f"{dtype}{shape}"] = ad.tensor(values)
    out["transposed"] = ad.tensor(np.arange(6.0).reshape(2, 3)).T
    return out


def test_what_we_write_the_reference_reads_and_back(tmp_path):
    state = _state()
    safetensors.save_file(state, tmp_path / "ours.safetensors", metadata={"format": "pt"})
    theirs = reference.load_file(str(tmp_path / "ours.safetensors"))
    assert set(theirs) == set(state)
    for name, t in state.items():
        assert theirs[name].dtype == t.dtype and theirs[name].shape == tuple(t.shape), name
        np.testing.assert_array_equal(theirs[name], t.detach().numpy())
    assert safetensors.metadata(tmp_path / "ours.safetensors") == {"format": "pt"}
    # safetensors.numpy writes a transposed array's memory as is, so it gets C order here
    arrays = {k: v.detach().numpy().copy(order="C") for k, v in state.items()}
    reference.save_file(arrays, str(tmp_path / "r.safetensors"))
    ours = safetensors.load_file(tmp_path / "r.safetensors")
    for name, t in state.items():
        assert ours[name].dtype == t.dtype and ours[name].shape == t.shape, name
        np.testing.assert_array_equal(ours[name].detach().numpy(), t.detach().numpy())
    assert safetensors.load(safetensors.save(state))["transposed"].shape == (3, 2)


def test_weights_trained_here_load_in_pytorch_and_back(tmp_path):
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    x = ad.randn(16, 4)
    model(x).pow(2).mean().backward()
    opt.step()
    nn.save(model.state_dict(), tmp_path / "ours.safetensors")
    import safetensors.torch as st

    twin = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )
    twin.load_state_dict(st.load_file(str(tmp_path / "ours.safetensors")))
    assert int(twin[1].num_batches_tracked) == 1
    model.eval(), twin.eval()
    expected = twin(torch.from_numpy(x.detach().numpy())).detach().numpy()
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    with torch.no_grad():  # PyTorch changes the weights; they come back here
        for p in twin.parameters():
            p.mul_(-2)
    st.save_file(twin.state_dict(), str(tmp_path / "theirs.safetensors"))
    model.load_state_dict(nn.load(tmp_path / "theirs.safetensors"))
    expected = twin(torch.from_numpy(x.detach().numpy())).detach().numpy()
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_bfloat16_moves_to_and_from_pytorch_bit_for_bit(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st

    values = torch.randn(5).to(torch.bfloat16)
    st.save_file({"w": values}, str(tmp_path / "bf.safetensors"))
    loaded = safetensors.load_file(tmp_path / "bf.safetensors")["w"]
    assert loaded.dtype is ad.bfloat16
    np.testing.assert_array_equal(loaded.float().detach().numpy(), values.float().detach().numpy())
    safetensors.save_file({"w": loaded}, tmp_path / "ours.safetensors")
    back = st.load_file(str(tmp_path / "ours.safetensors"))["w"]
    assert back.dtype == torch.bfloat16 and torch.equal(back, values)


def _crafted(header: dict, data: bytes = b"", length=None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def _entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x01\x00", "shorter than its 8-byte header length"),
        (_crafted({}, length=10**12), "claims a header of 1000000000000 bytes"),
        (_crafted({"w": _entry("F32", [10**6], 0, 4 * 10**6)}, b"\0" * 8), "holds 8 data bytes"),
        (_crafted({"w": _entry("F32", [3], 0, 8)}, b"\0" * 8), "shape [3] of F32 but 8 bytes"),
        (_crafted({"w": _entry("OBJ", [1], 0, 8)}, b"\0" * 8), "the dtype 'OBJ'"),
        (_crafted({"w": _entry("F32", [0.5], 0, 4)}, b"\0" * 4), "an invalid shape"),
        (_crafted({"w": _entry("U8", [2], 0, 2), "v": _entry("U8", [2], 1, 3)}, b"\0" * 3),
         "overlapping or gapped"),
        (_crafted({"w": _entry("U8", [2], 2, 4)}, b"\0" * 4), "overlapping or gapped"),
        (_crafted({"w": {"dtype": "U8", "shape": [1]}}, b"\0"), "without exactly dtype"),
        (_crafted([1, 2]), "not a JSON object"),
        (_crafted({"__metadata__": {"a": 1}}), "__metadata__ that is not a map of strings"),
        (b"\x0e\0\0\0\0\0\0\0" + b'{"a":1, "a":2}', "duplicate names"),
    ],
    ids=range(12),
)  # fmt: skip
def test_crafted_headers_are_refused_naming_the_file(tmp_path, raw, message):
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=r"safetensors: '.*crafted.safetensors' .*"):
        try:
            safetensors.load_file(path)
        except ValueError as e:
            assert message in str(e), str(e)
            raise


def test_what_the_format_cannot_hold_is_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match="'s' is <U1"):
        safetensors.save_file({"s": np.array(["x"])}, tmp_path / "a.safetensors")
    with pytest.raises(TypeError, match="name '__metadata__' is not allowed"):
        safetensors.save_file({"__metadata__": ad.zeros(1)}, tmp_path / "a.safetensors")
    with pytest.raises(TypeError, match="expected a dict"):
        safetensors.save_file([ad.zeros(1)], tmp_path / "a.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_nn_load_says_what_a_file_is_and_which_function_reads_it(tmp_path):
    np.save(tmp_path / "bare.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"bare.npy' is a single NumPy array .*np.load\(path\)"):
        nn.load(tmp_path / "bare.npy")
    ad.save({"w": ad.zeros(2)}, tmp_path / "ad.pt")
    with pytest.raises(ValueError, match=r"ad.pt' was written by ad.save .*ad.load\(path\)"):
        nn.load(tmp_path / "ad.pt")
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.zeros(2)}, tmp_path / "torch.pt")
    with pytest.raises(ValueError, match=r"torch.pt' is a PyTorch file .*safetensors"):
        nn.load(tmp_path / "torch.pt")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        nn.load(tmp_path)


def test_nn_load_reads_safetensors_whatever_the_name(tmp_path):
    state = {"w": ad.ones(2, 2)}
    data = safetensors.save(state)
    (tmp_path / "weights.bin").write_bytes(data)
    assert nn.load(tmp_path / "weights.bin")["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert io.BytesIO(data).read(8) == struct.pack("<Q", len(data) - 8 - 4 * 4)


def test_metadata_must_map_strings_to_strings(tmp_path):
    with pytest.raises(TypeError, match="metadata must map strings to strings"):
        safetensors.save_file({"w": ad.zeros(1)}, tmp_path / "a.safetensors", {"epoch": 3})
    assert list(tmp_path.iterdir()) == []


def test_the_header_limit_is_the_reference_implementations_and_holds_at_its_edge(
    tmp_path, monkeypatch
):
    assert safetensors.MAX_HEADER == 100_000_000  # safetensors' own limit on a header
    data = safetensors.save({"w": ad.zeros(2)})
    size = int.from_bytes(data[:8], "little")
    monkeypatch.setattr(safetensors, "MAX_HEADER", size)
    assert safetensors.load(data)["w"].tolist() == [0.0, 0.0]
    monkeypatch.setattr(safetensors, "MAX_HEADER", size - 1)
    with pytest.raises(ValueError, match=f"claims a header of {size} bytes"):
        safetensors.load(data)
