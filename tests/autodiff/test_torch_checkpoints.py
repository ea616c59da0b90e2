"""ad.load of files written by PyTorch's torch.save (autodiff/torchfile.py): state dicts,
optimizer states, every dtype, shared storages and strided views come back bit-equal to
torch.load's, load into our modules with torch's outputs; crafted files are refused without
running code or allocating beyond their size."""

import io
import os
import pickle
import subprocess
import sys
import tracemalloc
import warnings
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn

ROOT = Path(__file__).resolve().parents[2]


def _same(ours, theirs):
    """ours (from ad.load) equals theirs (from torch.load) exactly: types, dtypes, values,
    shapes, strides and storage offsets, recursively."""
    torch = sys.modules["torch"]
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ad.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype)
        assert ours.shape == tuple(theirs.shape)
        if theirs.numel():  # NumPy gives an array without elements strides of 0
            assert ours.stride() == theirs.stride()
            assert ours.storage_offset() == theirs.storage_offset()
        assert ours.requires_grad == theirs.requires_grad
        assert isinstance(ours, nn.Parameter) == isinstance(theirs, torch.nn.Parameter)
        mine, want = ours.detach().numpy(), theirs.detach().numpy()
        assert mine.dtype == want.dtype
        assert mine.tobytes() == want.tobytes()  # bit-equal, nan and -0.0 included
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs)
        assert list(ours) == list(theirs)
        for key in theirs:
            _same(ours[key], theirs[key])
        assert getattr(ours, "_metadata", None) == getattr(theirs, "_metadata", None)
    elif isinstance(theirs, list | tuple):
        assert type(ours) is type(theirs) or isinstance(theirs, torch.Size)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    elif isinstance(theirs, torch.dtype | torch.device):
        assert repr(ours) == repr(theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs, (ours, theirs)


def _both(torch, obj, path):
    """obj saved by torch, loaded by ad.load and torch.load(weights_only=True)."""
    torch.save(obj, path)
    ours = ad.load(path)
    theirs = torch.load(path, weights_only=True)
    _same(ours, theirs)
    return ours, theirs


MODULES = [
    ("linear", lambda s: s.Linear(4, 3), (5, 4)),
    ("batchnorm", lambda s: s.BatchNorm1d(4), (6, 4)),
    ("sequential", lambda s: s.Sequential(s.Linear(4, 8), s.ReLU(), s.Linear(8, 2)), (5, 4)),
    ("conv", lambda s: s.Sequential(s.Conv2d(2, 3, 3), s.BatchNorm2d(3)), (2, 2, 6, 6)),
]  # fmt: skip


@pytest.mark.parametrize("make, shape", [m[1:] for m in MODULES], ids=[m[0] for m in MODULES])
def test_a_torch_state_dict_loads_bit_equal_and_gives_torch_outputs(make, shape, tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    twin = make(torch.nn)
    x = torch.randn(*shape)
    twin(x)  # a training step moves batch norm's running statistics off their start
    twin.eval()
    state, theirs = _both(torch, twin.state_dict(), tmp_path / "model.pt")
    assert isinstance(state, OrderedDict) and list(state) == list(theirs)
    model = make(nn)
    model.load_state_dict(state)
    model.eval()
    out = model(ad.tensor(x.detach().numpy())).detach().numpy()
    np.testing.assert_allclose(out, twin(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_checkpoint_with_an_adam_state_resumes_as_torch(tmp_path):
    """{'model', 'optimizer', 'step'}: the step tensors and hyperparameters load, and one more
    Adam step from the loaded state gives torch's parameters."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    opt = torch.optim.Adam(twin.parameters(), lr=0.01)
    x = torch.randn(8, 3)
    for _ in range(3):
        opt.zero_grad()
        twin(x).pow(2).mean().backward()
        opt.step()
    checkpoint = {"model": twin.state_dict(), "optimizer": opt.state_dict(), "step": 3}
    ours, _ = _both(torch, checkpoint, tmp_path / "ckpt.pt")
    assert ours["step"] == 3
    assert ours["optimizer"]["state"][0]["step"].dtype == ad.float32
    assert ours["optimizer"]["state"][0]["step"].item() == 3.0

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    model.load_state_dict(ours["model"])
    mine = nn.optim.Adam(model.parameters(), lr=0.01)
    mine.load_state_dict(ours["optimizer"])
    for net, o, inp in ((model, mine, ad.tensor(x.detach().numpy())), (twin, opt, x)):
        o.zero_grad()
        net(inp).pow(2).mean().backward()
        o.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7)


DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
DTYPES += ["complex64", "complex128"]


def test_every_dtype_0_d_tensors_scalars_and_nested_containers(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tensors = {name: (torch.randn(2, 3) * 50).to(getattr(torch, name)) for name in DTYPES}
    obj = {
        **tensors,
        "special": torch.tensor([float("nan"), -0.0, float("inf"), 1e-45]),
        "zero_d": torch.tensor(2.5, dtype=torch.float64),
        "zero_d_int": torch.tensor(7),
        "empty": torch.zeros(0, 3),
        "scalars": [1, 2.5, "text", None, True, b"raw", 1 + 2j, {3, 4}],
        "nested": ([torch.ones(2), (torch.arange(3), {"deep": [torch.zeros(1)]})], ()),
        "unsigned": [
            torch.arange(6).reshape(2, 3).to(getattr(torch, f"uint{n}"))[:, 1:]
            for n in (16, 32, 64)
        ],  # fmt: skip
        "uint64_top": torch.tensor([2**63 + 5], dtype=torch.uint64),
        "size": torch.Size([2, 3]),
        "dtype": torch.float16,
        7: "an int key",
    }
    ours, _ = _both(torch, obj, tmp_path / "values.pt")
    assert ours["size"] == (2, 3) and repr(ours["size"]) == "torch.Size([2, 3])"
    assert ours["dtype"] is ad.float16


def test_shared_storages_and_strided_views_come_back_as_torch_s(tmp_path):
    torch = pytest.importorskip("torch")
    x = torch.arange(24.0).reshape(4, 6)
    views = [x, x.t(), x[1:, ::2], x.view(-1)[5:9], x[2], x[:, 1:2].expand(4, 3), x[0, 0]]
    ours, _ = _both(torch, views, tmp_path / "views.pt")
    storages = {v.untyped_storage().data_ptr() for v in ours}
    assert len(storages) == 1  # one storage read once, shared as torch's
    ours[0][2, 2] = -1.0  # writing through one view shows in the others, as in torch
    assert ours[1][2, 2].item() == -1.0 and ours[2][1, 1].item() == -1.0
    with pytest.raises((RuntimeError, ValueError)):
        ours[5].add_(1.0)  # an expanded tensor is not written through


def test_parameters_keep_their_class_and_requires_grad(tmp_path):
    torch = pytest.importorskip("torch")
    obj = {
        "p": torch.nn.Parameter(torch.ones(2)),
        "frozen": torch.nn.Parameter(torch.zeros(3), requires_grad=False),
        "leaf": torch.ones(2).requires_grad_(),
    }
    ours, _ = _both(torch, obj, tmp_path / "params.pt")
    assert isinstance(ours["p"], nn.Parameter) and ours["p"].requires_grad
    assert isinstance(ours["frozen"], nn.Parameter) and not ours["frozen"].requires_grad
    assert not isinstance(ours["leaf"], nn.Parameter) and ours["leaf"].requires_grad
    counts = torch.nn.Parameter(torch.tensor([1, 2]), requires_grad=False)
    torch.save(counts, tmp_path / "counts.pt")
    loaded = ad.load(tmp_path / "counts.pt")  # nn.Parameter holds floats: a plain int64 Tensor
    assert type(loaded) is ad.Tensor and loaded.dtype == ad.int64 and loaded.tolist() == [1, 2]


def test_options_file_objects_and_the_top_folder_name(tmp_path):
    torch = pytest.importorskip("torch")
    obj = {"w": torch.arange(6.0).reshape(2, 3)}
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    for kwargs in ({"weights_only": True}, {"weights_only": False}, {"map_location": "cpu"}):
        buffer.seek(0)
        _same(ad.load(buffer, **kwargs), obj)
    _same(ad.load(io.BytesIO(buffer.getvalue()), map_location=ad.device("cpu")), obj)
    path = tmp_path / "renamed.pt"
    _rewrite(buffer.getvalue(), path, lambda name, data: (name.replace("archive/", "x/"), data))
    _same(ad.load(path), obj)


def test_big_endian_files_are_swapped(tmp_path):
    pytest.importorskip("torch")
    values = np.array([1.5, -2.0, 3.25], np.float32)
    path = _craft(tmp_path, _tensor_pickle(3, (0, (3,), (1,))), {"0": values.astype(">f4")}, "big")
    np.testing.assert_array_equal(ad.load(path).detach().numpy(), values)
    path = _craft(tmp_path, _tensor_pickle(3, (0, (3,), (1,))), {"0": values}, "middle")
    with pytest.raises(ValueError, match="byteorder 'middle'"):
        ad.load(path)


def test_tensors_saved_on_a_gpu_need_map_location(tmp_path):
    pytest.importorskip("torch")
    values = np.arange(2, dtype=np.float32)
    path = _craft(tmp_path, _tensor_pickle(2, (0, (2,), (1,)), location="cuda:0"), {"0": values})
    with pytest.raises(RuntimeError, match="saved on 'cuda:0'.*map_location='cpu'"):
        ad.load(path)
    np.testing.assert_array_equal(ad.load(path, map_location="cpu").detach().numpy(), values)


# --- hostile and broken files ----------------------------------------------------------------


class _Storage:
    """Stands for a storage while pickling: _Pickler gives it torch's persistent id."""

    def __init__(self, numel, key="0", kind=None, location="cpu"):
        self.numel, self.key, self.kind, self.location = numel, key, kind, location


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            kind = obj.kind or sys.modules["torch"].FloatStorage
            return ("storage", kind, obj.key, obj.location, obj.numel)
        return None


class _Call:
    """Pickles as a call of func(*args) (what a crafted file does), then optionally a state
    set on the result (BUILD) or items set into it (SETITEMS)."""

    def __init__(self, func, *args, state=None, items=None, values=None):
        self.func, self.args, self.state = func, args, state
        self.items, self.values = items, values

    def __reduce__(self):
        values, items = self.values and iter(self.values), self.items and iter(self.items)
        return self.func, self.args, self.state, values, items


def _dumps(obj) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=2).dump(obj)
    return out.getvalue()


def _tensor_pickle(numel, geometry, key="0", kind=None, location="cpu") -> bytes:
    """A pickle of one torch tensor: its storage's numel and (offset, size, stride)."""
    rebuild = sys.modules["torch"]._utils._rebuild_tensor_v2
    storage = _Storage(numel, key, kind, location)
    return _dumps(_Call(rebuild, storage, *geometry, False, OrderedDict()))


def _craft(tmp_path, pkl: bytes, storages: dict, byteorder="little") -> Path:
    """A zip in torch's layout: archive/data.pkl, archive/data/<key>, archive/byteorder."""
    path = tmp_path / "crafted.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pkl)
        archive.writestr("archive/byteorder", byteorder)
        for key, array in storages.items():
            archive.writestr(f"archive/data/{key}", np.asarray(array).tobytes())
    return path


def _rewrite(data: bytes, path: Path, change) -> None:
    """A copy of a zip with change(name, bytes) -> (name, bytes) or None (left out)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = change(info.filename, source.read(info))
            if entry is not None:
                target.writestr(*entry)


def test_a_pickle_that_calls_os_system_is_refused_without_running(tmp_path):
    pytest.importorskip("torch")
    marker = tmp_path / "ran"
    for evil in (
        _Call(os.system, f"touch {marker}"),
        _Call(eval, f"open({str(marker)!r}, 'w')"),
        {"model": OrderedDict(w=_Call(subprocess.call, ["touch", str(marker)]))},
    ):
        path = _craft(tmp_path, _dumps(evil), {})
        with pytest.raises(ValueError, match=r"crafted.pt' is a torch.save checkpoint that asks "
                           r"for GLOBAL (posix.system|builtins.eval|commands.call)"):  # fmt: skip
            ad.load(path, weights_only=False)
        assert not marker.exists()


def test_allowed_globals_cannot_be_misused(tmp_path):
    """A bytearray of a huge count, attributes set on a tensor, items set into a tensor,
    and a call of something that is not an allowed global are all refused."""
    torch = pytest.importorskip("torch")
    tensor = (torch._utils._rebuild_tensor_v2, _Storage(2), 0, (2,), (1,), False, {})
    cases = {
        "bytearray of a int": _Call(bytearray, 10**12),
        "setting the state of a Tensor": _Call(*tensor, state={"_data": 1}),
        "adding items to a Tensor": _Call(*tensor, items=[(0, 1.0)]),  # SETITEM
        "adding items to a Tensor ": _Call(*tensor, items=[(0, 1.0), (1, 2.0)]),  # SETITEMS
        "adding items to a Tensor  ": _Call(*tensor, values=[1.0]),  # APPEND
        "adding items to a Tensor   ": _Call(*tensor, values=[1.0, 2.0]),  # APPENDS
        "backward hooks": _Call(
            torch._utils._rebuild_tensor_v2, _Storage(2), 0, (2,), (1,), False, OrderedDict(h=1)
        ),  # fmt: skip
    }
    for what, obj in cases.items():
        path = _craft(tmp_path, _dumps(obj), {"0": np.zeros(2, np.float32)})
        with pytest.raises(ValueError, match=f"asks for .*{what.strip()}"):
            ad.load(path)
    calls_a_string = b"\x80\x02X\x01\x00\x00\x00x)R."  # "x"(): REDUCE of no global
    with pytest.raises(ValueError, match="asks for a call of str 'x'"):
        ad.load(_craft(tmp_path, calls_a_string, {}))
    inst = b"(icollections\nOrderedDict\n."  # INST: an object by its class's name
    with pytest.raises(ValueError, match="asks for a pickle opcode that a checkpoint never"):
        ad.load(_craft(tmp_path, inst, {}))


@pytest.mark.parametrize(
    "numel, geometry, storage, problem",
    [
        (4, (0, (2, 3), (3, 1)), np.zeros(4, np.float32), "reaches element 6 of a storage of 4"),
        (4, (3, (2,), (1,)), np.zeros(4, np.float32), "reaches element 5 of a storage of 4"),
        (4, (0, (2,), (-1,)), np.zeros(4, np.float32), r"stride \(-1,\)"),
        (4, (0, (2, 2), (1,)), np.zeros(4, np.float32), r"size \(2, 2\), stride \(1,\)"),
        (10**12, (0, (2,), (1,)), np.zeros(2, np.float32), "storage '0' of 1000000000000 x"),
        (3, (0, (2,), (1,)), np.zeros(4, np.float32), "storage '0' of 3 x float32 .12 bytes."),
        (2, (0, [2], (1,)), np.zeros(2, np.float32), "not tuples"),
    ],
)
def test_geometry_and_sizes_are_checked_before_allocating(numel, geometry, storage, problem,
                                                          tmp_path):  # fmt: skip
    pytest.importorskip("torch")
    path = _craft(tmp_path, _tensor_pickle(numel, geometry), {"0": storage})
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=problem):
            ad.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # nothing near the claimed numel was allocated


def test_a_missing_storage_entry_and_an_unknown_storage_type(tmp_path):
    torch = pytest.importorskip("torch")
    path = _craft(tmp_path, _tensor_pickle(2, (0, (2,), (1,)), key="7"), {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="storage '7', which has no entry data/7"):
        ad.load(path)
    pkl = _tensor_pickle(2, (0, (2,), (1,)), kind=torch.BFloat16Storage)
    with pytest.raises(ValueError, match="bfloat16"):
        ad.load(_craft(tmp_path, pkl, {"0": np.zeros(1, np.float32)}))
    path = tmp_path / "float8.pt"
    torch.save(torch.zeros(2, dtype=torch.float8_e4m3fn), path)
    with pytest.raises(ValueError, match="asks for GLOBAL torch.float8_e4m3fn"):
        ad.load(path)


def test_truncated_damaged_legacy_and_torchscript_files(tmp_path):
    torch = pytest.importorskip("torch")
    whole = io.BytesIO()
    torch.save({"w": torch.ones(100)}, whole)
    path = tmp_path / "cut.pt"
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    with pytest.raises(ValueError, match="cut.pt' is not a file written by ad.save or torch"):
        ad.load(path)
    path = tmp_path / "garbled.pt"
    _rewrite(whole.getvalue(), path, lambda n, d: (n, d[:-9] if n.endswith("data.pkl") else d))
    with pytest.raises(ValueError, match="garbled.pt' has a data.pkl that is not a readable"):
        ad.load(path)
    path = tmp_path / "old.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="old.pt' was written by torch.save before torch 1.6"):
        ad.load(path)
    path = tmp_path / "script.pt"
    with warnings.catch_warnings():  # torch 2.13 deprecates torch.jit.script
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path)
    with pytest.raises(ValueError, match="script.pt' is a TorchScript archive"):
        ad.load(path)


# --- under `autodiff run` --------------------------------------------------------------------

PROGRAM = """
import sys
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
checkpoint = torch.load(sys.argv[1], weights_only=True, map_location="cpu")
model.load_state_dict(checkpoint["model"])
model.eval()
with torch.no_grad():
    out = model(checkpoint["inputs"])
print("epoch", checkpoint["epoch"])
for row in out.tolist():
    print(" ".join(f"{v:.6f}" for v in row))
print("lr", checkpoint["optimizer"]["param_groups"][0]["lr"])
"""


def test_a_torch_program_loads_a_torch_checkpoint_under_autodiff_run(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    checkpoint = tmp_path / "ckpt.pt"
    state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 4}
    torch.save({**state, "inputs": torch.randn(5, 4)}, checkpoint)
    program = tmp_path / "resume.py"
    program.write_text(PROGRAM)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    outputs = [
        subprocess.run(
            [sys.executable, *argv, str(program), str(checkpoint)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )  # fmt: skip
        for argv in (["-m", "autodiff_cli", "run"], [])
    ]
    ours, theirs = outputs
    assert ours.returncode == 0, ours.stderr
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout.splitlines()[0] == "epoch 4"
    a, b = (np.array(o.stdout.split()[2:-2], float) for o in outputs)
    np.testing.assert_allclose(a, b, atol=2e-6)
    assert ours.stdout.split()[-2:] == theirs.stdout.split()[-2:]


# --- writing torch's format (ad.save(..., format="torch")) ---------------------------------


def _same_written(theirs, ours):
    """What torch.load read from our file equals the ad object saved."""
    torch = sys.modules["torch"]
    if isinstance(ours, ad.Tensor):
        assert isinstance(theirs, torch.Tensor)
        assert isinstance(theirs, torch.nn.Parameter) == isinstance(ours, nn.Parameter)
        assert str(theirs.dtype) == str(ours.dtype) and tuple(theirs.shape) == ours.shape
        assert theirs.requires_grad == ours.requires_grad
        assert theirs.detach().numpy().tobytes() == ours.detach().numpy().tobytes()
    elif isinstance(ours, dict):
        assert list(theirs) == list(ours)
        for key in ours:
            _same_written(theirs[key], ours[key])
    elif isinstance(ours, list | tuple):
        assert len(theirs) == len(ours)
        for a, b in zip(theirs, ours):
            _same_written(a, b)
    else:
        assert repr(theirs) == repr(ours)


def test_save_in_torch_format_is_read_by_torch_load_weights_only(tmp_path):
    torch = pytest.importorskip("torch")
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    x = ad.randn(6, 4)
    model(x).pow(2).mean().backward()
    opt.step()
    grid = ad.arange(24.0).reshape(4, 6)
    obj = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "views": [
            grid,
            grid.t(),
            grid[1:, ::2],
            grid[0, 0],
            grid.flip(0),
            ad.from_numpy(np.arange(6.0).reshape(2, 3)[::-1]),
        ],  # fmt: skip
        "dtypes": [ad.tensor([1, 0], dtype=getattr(ad, name)) for name in DTYPES],
        "param": nn.Parameter(ad.ones(2)),
        "frozen": nn.Parameter(ad.zeros(2), requires_grad=False),
        "misc": [1, 2.5, "s", None, True, (1, 2), {3}, 1j, b"raw", ad.Size([2, 3])],
        "kinds": [ad.float16, ad.int64, ad.device("cpu")],
    }
    path = tmp_path / "ours.pt"
    ad.save(obj, path, format="torch")
    theirs = torch.load(path, weights_only=True)
    _same_written(theirs, obj)
    views = theirs["views"]
    assert len({v.untyped_storage().data_ptr() for v in views[:4]}) == 1  # shared, as saved
    assert [v.stride() for v in views[:4]] == [(6, 1), (1, 6), (6, 2), ()]
    assert views[2].storage_offset() == 6
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8),
                               torch.nn.Linear(8, 2))  # fmt: skip
    twin.load_state_dict(theirs["model"])
    twin_opt = torch.optim.Adam(twin.parameters(), lr=0.01)
    twin_opt.load_state_dict(theirs["optimizer"])
    model.eval(), twin.eval()
    want = model(x).detach().numpy()
    np.testing.assert_allclose(
        twin(torch.tensor(x.detach().numpy())).detach().numpy(), want, rtol=1e-5
    )
    _same(ad.load(path), theirs)  # and ad.load reads it back as torch.load does


def test_save_in_torch_format_refuses_what_it_cannot_write(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "x.pt"
    with pytest.raises(TypeError, match="a Linear is not written in torch's format.*state_dict"):
        ad.save(nn.Linear(2, 2), path, format="torch")
    with pytest.raises(TypeError, match="uint16 tensor is not written in torch's format"):
        ad.save(ad.tensor(np.zeros(2, np.uint16)), path, format="torch")
    with pytest.raises(ValueError, match="format must be 'autodiff' or 'torch', got 'pickle'"):
        ad.save({}, path, format="pickle")
    assert not path.exists()
