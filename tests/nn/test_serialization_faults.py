"""nn.save under faults: keys round-trip, bad values refused before writing, the umask obeyed,
and a writer killed mid-save (SIGKILL) leaves the old file loadable and no stray temp files
after the next save."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import nn
import viz
from autodiff.files import remove_stale_temps, write_atomic
from nn.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and umask are POSIX")


def _temps(path: Path) -> list:
    return sorted(path.parent.glob(f".{path.name}.tmp-*"))


def test_every_string_key_round_trips(tmp_path):
    state = {
        "allow_pickle": np.arange(3),
        "file": np.ones(2),
        "fix_imports": np.zeros((2, 2)),
        "w": ad.ones(2, 3),
        "": np.array(1.5),
        "a.npy": np.array([1, 2]),
        "layer/0.weight": np.eye(2, dtype=np.float32),
        "ünïcode": np.array(["text"]),
    }
    nn.save(state, tmp_path / "m.npz")
    loaded = nn.load(tmp_path / "m.npz")
    assert list(loaded) == list(state)
    for key, value in state.items():
        np.testing.assert_array_equal(loaded[key], np.asarray(value))
        assert loaded[key].dtype == np.asarray(value).dtype


def test_what_cannot_be_saved_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "m.npz"
    nn.save({"w": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"save: 'o' is an array of Python objects"):
        nn.save({"w": np.zeros(2), "o": np.array([None, 1], dtype=object)}, path)
    with pytest.raises(ValueError, match=r"keys 1 and '1' both save as '1'"):
        nn.save({1: np.zeros(2), "1": np.zeros(2)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


@posix_only
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        nn.save({"w": np.ones(2)}, tmp_path / "m.npz")
        write_atomic(tmp_path / "picture.svg", "<svg/>")
        model = nn.Linear(2, 1)
        save_checkpoint(tmp_path / "run", model, nn.optim.SGD(model.parameters(), lr=0.1))
        ad.save({"w": ad.ones(2)}, tmp_path / "state.pt")
        viz.save(model(ad.ones(1, 2)).sum(), tmp_path / "graphs" / "graph.dot")
    finally:
        os.umask(old)
    written = [tmp_path / "m.npz", tmp_path / "picture.svg", *(tmp_path / "run").iterdir()]
    written += [tmp_path / "state.pt", tmp_path / "graphs" / "graph.dot"]
    assert len(written) == 7
    for path in written:
        assert path.stat().st_mode & 0o777 == mode, path


def test_write_atomic_writes_bytes_text_and_streams(tmp_path):
    assert write_atomic(tmp_path / "a", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert write_atomic(tmp_path / "b", "ü\n").read_text(encoding="utf-8") == "ü\n"
    assert write_atomic(tmp_path / "c", lambda f: f.write(b"xyz")).read_bytes() == b"xyz"


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = write_atomic(tmp_path / "f.json", "old")

    def fail(f):
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(path, fail)
    assert path.read_text() == "old"
    assert _temps(path) == []


@posix_only
def test_temps_of_a_live_writer_are_kept(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        path = tmp_path / "m.npz"
        live = path.with_name(f".m.npz.tmp-{sleeper.pid}-abcd")
        own = path.with_name(f".m.npz.tmp-{os.getpid()}-abcd")
        live.write_bytes(b"")
        own.write_bytes(b"")
        assert remove_stale_temps(path) == []
        nn.save({"w": np.ones(1)}, path)
        assert _temps(path) == [own, live] or _temps(path) == [live, own]
    finally:
        sleeper.kill()
        sleeper.wait()
    assert remove_stale_temps(path) == [live]


_CHILD = """
import sys, numpy as np, nn
from nn.serialization import write_atomic
path, mode = sys.argv[1], sys.argv[2]
big = {f"w{i}": np.full((1000, 1000), float(i)) for i in range(4)}  # 32 MB per save
if mode == "stall":  # deterministic: stop half way through the write and wait to be killed
    def half(f):
        f.write(b"x" * 1_000_000)
        f.flush()
        print("writing", flush=True)
        sys.stdin.read()
    write_atomic(path, half)
while True:
    nn.save(big, path)
"""


def _spawn(path: Path, mode: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), mode],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@posix_only
def test_a_save_killed_mid_write_keeps_the_old_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "model.npz"
    original = {"w0": np.full((2, 2), -1.0)}
    nn.save(original, path)
    rng = random.Random(0)
    for _ in range(4):  # real nn.save loops killed at random moments
        child = _spawn(path, "loop")
        time.sleep(rng.uniform(0.8, 2.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        loaded = nn.load(path)  # the old file or a complete new one, never half of one
        first = float(loaded["w0"].flat[0])
        assert first in (-1.0, 0.0)
        if first == 0.0:
            assert [float(loaded[f"w{i}"][999, 999]) for i in range(4)] == [0.0, 1.0, 2.0, 3.0]
        assert len(_temps(path)) <= 1  # each save removes what the killed one before left
    before = nn.load(path)["w0"]
    child = _spawn(path, "stall")  # killed for certain half way through its write
    assert child.stdout.readline() == "writing\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    (temp,) = _temps(path)
    assert temp.name.startswith(".model.npz.tmp-") and temp.stat().st_size >= 1_000_000
    np.testing.assert_array_equal(nn.load(path)["w0"], before)
    nn.save({"w0": np.zeros(1)}, path)
    assert _temps(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_a_compressed_archive_is_refused_naming_the_file(tmp_path):
    # a deflated entry's size is not bounded by the file's (a bomb), so none is read
    path = tmp_path / "squeezed.npz"
    np.savez_compressed(path, w=np.zeros(10_000))
    with pytest.raises(ValueError, match=r"load: '.*squeezed.npz' has compressed entries"):
        nn.load(path)


def test_nn_save_refuses_what_is_not_a_state_dict(tmp_path):
    with pytest.raises(TypeError, match="save: expected a state dict .*got list"):
        nn.save([np.zeros(2)], tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_nn_load_refuses_crafted_archives_naming_the_file(tmp_path):
    import warnings
    import zipfile

    def archive(name, entries):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of a duplicate name
            for entry, data in entries:
                z.writestr(entry, data)
        return path

    npy = _npy(np.zeros(2))
    with pytest.raises(ValueError, match=r"twice.npz' has duplicate entries"):
        nn.load(archive("twice.npz", [("w.npy", npy), ("w.npy", npy)]))
    with pytest.raises(ValueError, match=r"has an entry 'notes.txt' that is not a .npy array"):
        nn.load(archive("odd.npz", [("w.npy", npy), ("notes.txt", b"hi")]))


def test_a_file_that_only_looks_like_safetensors_is_read_as_npz(tmp_path):
    # the first 8 bytes as a header length just past the file, then "{": not safetensors
    body = b"{" + b"x" * 40
    near = (len(body) + 4).to_bytes(8, "little") + body
    huge = b"12345678" + body  # a length far past the file
    for raw in (near, huge):
        (tmp_path / "w.bin").write_bytes(raw)
        with pytest.raises(ValueError, match=r"w.bin' is not a readable .npz checkpoint"):
            nn.load(tmp_path / "w.bin")


def _npy(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()
