"""Every notebook runs headless from top to bottom (its own asserts check the seeds' numbers) and
prints what its saved copy shows: the text outputs of a rerun equal the committed ones, timings
and object addresses masked (the rule is in notebooks/execute.py)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def _executor():
    spec = importlib.util.spec_from_file_location("execute", NOTEBOOKS / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9]*.ipynb")), ids=lambda p: p.stem)
def test_notebook_reruns_to_its_saved_outputs(path):
    diffs = _executor().check(path)
    assert not diffs, f"{path.name} printed other text than its saved copy:\n" + "\n".join(diffs)


def test_masking_rule():
    ex = _executor()
    masked = ex._mask("loop 0.81 s, vectorised 12 ms: 67x faster\n5 steps in 3.2e-05s\nw = 0.5")
    assert masked.splitlines() == ["<timing>", "<timing>", "w = 0.5"]
    assert ex._mask("<Tensor at 0x7f3a12bc40d0>") == "<Tensor at 0x?>"
    assert ex._mask("10 samples, 3 steps, lr 0.01") == "10 samples, 3 steps, lr 0.01"


def test_numbers_compare_within_what_two_cpus_move_them():
    same = _executor().same_text
    assert same("h = [[1.372, -1.6900000000000002]]", "h = [[1.372, -1.69]]")
    assert same("max |a - b| = 4.9e-17", "max |a - b| = 5.6e-17")  # both round-off
    assert same("accuracy [83.72 84.12]", "accuracy [83.73 84.12]")  # within 0.1 %
    assert not same("loss 2.81", "loss 2.82")
    assert not same("dead [0, 33, 40]", "dead [0, 33, 41]")
    assert not same("|x| 1.01e-05", "|x| 1.16e-03")  # not both round-off
    assert not same("-5", "5") and not same("a 1", "b 1") and not same("x 1", "x 1 y")


def test_a_cpu_dependent_cell_compares_its_words_only():
    import nbformat

    ex = _executor()
    cells = [nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("stream", text=t)])
             for t in ("dead units [0, 40]\n", "dead units [0, 40]\n")]  # fmt: skip
    cells[1].metadata["tags"] = [ex.CPU_DEPENDENT]
    saved = nbformat.v4.new_notebook(cells=cells)
    rerun = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in cells])
    for cell in rerun.cells:
        cell.outputs[0].text = "dead units [0, 41]\n"
    assert [d.split(":")[0] for d in ex.differences(saved, rerun)] == ["code cell 0"]
    rerun.cells[1].outputs[0].text = "dead cells [0, 41]\n"  # a word: compared
    assert len(ex.differences(saved, rerun)) == 2


ZMQ_CLOSING = "Assertion failed: pfd.revents & POLLIN (src/signaler.cpp:"


def test_execution_prints_nothing_of_its_own(tmp_path):
    """No kernel warnings (ipykernel warns about TCP without encryption; we use IPC)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    run = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "execute.py"), str(path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    # libzmq itself may abort the finished kernel while its context closes, under load (seen
    # in 1 of 9 full test runs one day here; zeromq/libzmq#1307): that line alone is not ours
    ours = [line for line in run.stderr.splitlines() if not line.startswith(ZMQ_CLOSING)]
    assert ours == []
    assert nbformat.read(path, as_version=4).cells[0].outputs[0]["text"] == "42\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.ipynb"]  # no socket files left


def _oracle():
    spec = importlib.util.spec_from_file_location("lecture_oracle", NOTEBOOKS / "lecture_oracle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("saved", sorted(NOTEBOOKS.glob("*_torch.json")), ids=lambda p: p.stem)
def test_the_numbers_shown_beside_ours_are_pytorchs(saved):
    """A notebook's cells tagged "torch" (a lecture's code), run again with PyTorch in a fresh
    process, still compute the numbers the notebook prints beside ours."""
    pytest.importorskip("torch")
    (notebook,) = NOTEBOOKS.glob(saved.stem.split("_")[0] + "_*.ipynb")
    run = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "lecture_oracle.py"), "--check", str(notebook)],
        capture_output=True, text=True, timeout=600, cwd=NOTEBOOKS,
        env={**os.environ, "OMP_NUM_THREADS": "1"},  # torch's thread pool on tiny ops: slow
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_beside_prints_both_and_refuses_a_disagreement(tmp_path, capsys):
    oracle = _oracle()
    saved = {"torch": "2.13.0", "values": {"loss": 3.2958, "names": ["emma."], "dead": [0, 25]}}
    (tmp_path / "99_torch.json").write_text(json.dumps(saved))
    record = oracle.Beside(tmp_path / "99_lecture.ipynb")
    record("loss", 3.29581)
    record("names", ["emma."])
    record("dead", [0, 26], abs=2)  # a tolerance the cell states
    assert capsys.readouterr().out.splitlines()[:3] == ["loss", "    ours    3.29581",
                                                        "    PyTorch 3.2958"]  # fmt: skip
    with pytest.raises(AssertionError, match="loss: ours 3.4"):
        record("loss", 3.4)
    with pytest.raises(AssertionError, match="names"):
        record("names", ["ava."])
    with pytest.raises(KeyError, match="run lecture_oracle.py again"):
        record("accuracy", 0.5)
