"""CIFAR-10's python batches are pickles: read with a restricted unpickler, so a crafted file
cannot run code, while real batches (Python 2 and 3 pickles of dicts, lists, bytes, arrays)
load. nn.load never unpickles."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import data


def _batch(n=3, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"training batch 1 of 5",
        b"labels": rng.integers(0, 10, n).tolist(),
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [b"x.png"] * n,
    }


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_genuine_batches_load_under_every_protocol(tmp_path, protocol):
    batch = _batch()
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=protocol))
    X, y = data.load_cifar10_batch(path)
    np.testing.assert_array_equal(X.reshape(3, -1), batch[b"data"])
    assert y.tolist() == batch[b"labels"]


def _py2_array(raw: bytes, n: int) -> bytes:
    """The opcodes Python 2's cPickle wrote for a uint8 array (n, 3072): numpy.core names,
    str as BINSTRING, as in the files of cifar-10-python.tar.gz."""
    return (
        b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b"
        b"\x87Rq\x03(K\x01K" + bytes([n]) + b"M\x00\x0c\x86cnumpy\ndtype\nq\x04U\x02u1K\x00K\x01"
        b"\x87Rq\x05(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T"
        + len(raw).to_bytes(4, "little")
        + raw
        + b"tb"
    )


def test_a_python2_pickle_loads(tmp_path):
    raw = np.arange(2 * 3072, dtype=np.uint8).tobytes()
    labels = b"U\x06labelsq\x06]q\x07(K\x01K\x07e"
    pickled = b"\x80\x02}q\x00(U\x04dataq\x08" + _py2_array(raw, 2) + labels + b"u."
    path = tmp_path / "py2"
    path.write_bytes(pickled)
    X, y = data.load_cifar10_batch(path)
    assert y.tolist() == [1, 7] and X.shape == (2, 3, 32, 32)
    np.testing.assert_array_equal(X.reshape(-1), np.frombuffer(raw, np.uint8))


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _ExecExploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("exploit", [_Exploit, _ExecExploit])
def test_a_malicious_batch_runs_nothing_and_is_refused(tmp_path, exploit):
    marker = tmp_path / "pwned"
    batch = _batch()
    batch[b"labels"] = exploit(marker)
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(ValueError, match=r"data_batch_1 asks to load .*(system|exec).*refused"):
        data.load_cifar10_batch(path)
    assert not marker.exists()
    # the same file with the plain unpickler would have written the marker: the test has teeth
    subprocess.run(
        [sys.executable, "-c", f"import pickle; pickle.load(open({str(path)!r}, 'rb'))"],
        check=True,
    )
    assert marker.exists()


def test_object_arrays_are_refused(tmp_path):
    batch = _batch()
    batch[b"data"] = np.array([1, "x"], dtype=object)
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(ValueError, match=r"data_batch_1 asks to load an array of Python objects"):
        data.load_cifar10_batch(path)


def test_a_garbled_pickle_names_the_file(tmp_path):
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps(_batch(), protocol=2)[:100])
    with pytest.raises(ValueError, match=r"cannot read .*test_batch"):
        data.load_cifar10_batch(path)


def test_nn_load_never_unpickles(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "m.npz"
    np.savez(path, w=np.array([_Exploit(marker)], dtype=object))
    with pytest.raises(ValueError, match=r"entry 'w.npy', has dtype \|O \(object\)"):
        nn.load(path)
    assert not marker.exists()
    path = Path(tmp_path / "plain.pickle")
    path.write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(ValueError, match=r"not a readable"):
        nn.load(path)
    assert not marker.exists()


def test_the_allow_list_is_exactly_what_numpy_pickles_of_plain_arrays_need():
    from nn.data import datasets

    names = {(m, n) for m, n in datasets._ALLOWED}
    assert names == {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
    }
    reconstruct, frombuffer = np.zeros(1).__reduce__()[0], np.zeros(1).__reduce_ex__(5)[0]
    assert datasets._ALLOWED["numpy", "ndarray"] is np.ndarray
    for core in ("core", "_core"):  # each name maps to NumPy's own function, nothing wider
        assert datasets._ALLOWED[f"numpy.{core}.multiarray", "_reconstruct"] is reconstruct
        assert datasets._ALLOWED[f"numpy.{core}.numeric", "_frombuffer"] is frombuffer
    unpickler = datasets._CifarUnpickler(__import__("io").BytesIO(b""))
    for module, name in [("builtins", "eval"), ("numpy", "load"), ("os", "system"),
                         ("numpy.core.multiarray", "scalar"), ("_codecs", "decode")]:  # fmt: skip
        with pytest.raises(datasets._Refused):
            unpickler.find_class(module, name)


def test_the_dtype_and_codec_helpers_refuse_what_a_batch_never_holds():
    from nn.data import datasets

    assert datasets._plain_dtype("u1", False, True) == np.dtype("u1")
    assert datasets._latin1("abc", "latin1") == b"abc"
    for bad in ("O", [("a", "O")]):
        with pytest.raises(datasets._Refused):
            datasets._plain_dtype(bad, False, True)
    with pytest.raises(datasets._Refused):
        datasets._latin1("abc", "utf-16")


def test_a_pickle_that_is_not_a_dict_is_not_a_batch(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(TypeError, match=r"data_batch_1 is not a CIFAR-10 batch \(no dict inside\)"):
        data.load_cifar10_batch(path)
