"""The spots mutation testing found thin: the atomic writer's fsyncs and rename, every saved
tensor checked before any gradient is written (when the failing node runs late), gradient
buffers handed to .grad above the size where that happens, overlapping views whose base
changes between in-place ops, and views saved inside a user Function."""

import errno
import os

import numpy as np
import pytest

import autodiff as ad
from autodiff import engine, files
from autodiff.graph import SMALL

torch = pytest.importorskip("torch")


# --- the atomic writer ---------------------------------------------------------------------
def test_write_atomic_syncs_the_file_then_renames_then_syncs_the_folder(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    target = tmp_path / "out.bin"

    def fsync(fd):
        kind = "folder" if os.path.isdir(f"/proc/self/fd/{fd}") else "file"
        calls.append(("fsync", kind, target.exists()))
        real_fsync(fd)

    def replace(src, dst):
        calls.append(("replace", os.path.basename(src).startswith(".out.bin.tmp-"), dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    files.write_atomic(target, b"data")
    if os.name == "posix" and os.path.isdir("/proc/self/fd"):
        assert calls == [
            ("fsync", "file", False),  # the bytes are on disk before the name points at them
            ("replace", True, target),
            ("fsync", "folder", True),  # and the rename itself
        ]
    assert target.read_bytes() == b"data"


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failing_fsync_or_rename_keeps_the_old_file_and_names_the_target(
    tmp_path, monkeypatch, failing
):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def broken(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(OSError, match="Input/output error") as info:
        files.write_atomic(target, b"new")
    assert info.value.filename == str(target) and info.value.errno == errno.EIO
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.bin"]


def test_a_full_disk_names_the_file_it_could_not_write(tmp_path):
    def full(f):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:
        files.write_atomic(tmp_path / "model.npz", full)
    assert info.value.filename == str(tmp_path / "model.npz")
    assert "No space left on device" in str(info.value) and os.listdir(tmp_path) == []


# --- every saved tensor checked before any gradient is written -----------------------------
def test_a_late_node_with_a_changed_saved_tensor_stops_backward_before_any_gradient():
    first = ad.randn(3, requires_grad=True)  # its AccumulateGrad runs early
    late = ad.randn(3, requires_grad=True)
    seen = []
    first.register_hook(lambda g: seen.append(g))
    saved = late.exp()  # ExpBackward saves its output and runs after first's node
    loss = ((saved + first) * 2.0).sum()  # add saves nothing
    order = [n.name() for n in engine.order([loss.grad_fn])]
    assert order.index("ExpBackward0") > order.index(
        "torch::autograd::AccumulateGrad"
    )  # the failing node is late
    with ad.no_grad():
        saved.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    assert first.grad is None and late.grad is None and seen == []


# --- gradient buffers given to .grad above SMALL ------------------------------------------
N = 4 * SMALL  # above the size where AccumulateGrad keeps a gradient buffer for itself


def _shares(*arrays) -> bool:
    return any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1 :])


def test_big_gradients_given_to_grad_alias_nothing_else():
    a, b = ad.randn(N, requires_grad=True), ad.randn(N, requires_grad=True)
    upstream = ad.randn(N)
    hooked = []
    b.register_hook(lambda g: hooked.append(g) or None)
    mid = a + b  # AddBackward sends the same gradient to both inputs
    mid.retain_grad()
    mid.backward(upstream)
    grads = [a.grad.detach().numpy(), b.grad.detach().numpy(), mid.grad.detach().numpy()]
    assert not _shares(*grads, upstream.detach().numpy())
    assert not _shares(
        *grads, hooked[0].detach().numpy()
    )  # a hook sees the upstream array, as in torch
    np.testing.assert_array_equal(a.grad.detach().numpy(), upstream.detach().numpy())
    before = upstream.detach().numpy().copy()
    (a * 3.0).sum().backward()  # accumulates in place into a.grad
    np.testing.assert_array_equal(
        upstream.detach().numpy(), before
    )  # nothing that aliased it changed
    np.testing.assert_allclose(a.grad.detach().numpy(), before + 3.0)
    np.testing.assert_array_equal(b.grad.detach().numpy(), before)


def test_a_big_gradient_of_an_identity_op_is_not_the_users_array():
    x = ad.randn(N, requires_grad=True)
    g = ad.randn(N)
    (x + 0.0).backward(g)
    assert not np.shares_memory(x.grad.detach().numpy(), g.detach().numpy())
    g.detach().numpy()[:] = 0.0
    assert np.abs(x.grad.detach().numpy()).sum() > 0


def test_a_stolen_buffer_then_accumulates_like_a_fresh_one():
    w = ad.randn(N, 2, dtype=ad.float64, requires_grad=True)
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    for k in range(3):
        (w * float(k + 1)).tanh().sum().backward()
        (tw * float(k + 1)).tanh().sum().backward()
    np.testing.assert_allclose(w.grad.detach().numpy(), tw.grad.detach().numpy(), rtol=1e-12)


def test_the_fresh_gradient_a_hook_saw_becomes_grad_without_a_copy_as_in_torch():
    for lib in (ad, torch):  # torch's AccumulateGrad steals a buffer no one else holds
        for f in (lambda x: (x * 2.0).sum(), lambda x: x.tanh().sum()):
            x = lib.randn(N, requires_grad=True)
            seen = []  # the address only: holding the tensor would make the buffer shared
            x.register_hook(
                lambda g, seen=seen: seen.append(g.detach().numpy().ctypes.data) or None
            )
            f(x).backward()
            assert seen == [x.grad.detach().numpy().ctypes.data], lib.__name__


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # torch's
def test_accumulating_into_grad_is_in_place_and_counted_as_torch():
    for lib in (ad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x**2).sum().backward(create_graph=True)  # .grad now has a graph of its own
        made = x.grad
        (x * 3.0).sum().backward()  # no graph: added into that same tensor
        assert x.grad is made and made.tolist() == [5.0, 7.0], lib.__name__
        x.grad = None
        w = lib.tensor([1.0, 1.0], requires_grad=True)
        (x * 2.0).sum().backward()
        y = (x.grad * w).sum()  # saves .grad for w's gradient
        (x * 3.0).sum().backward()  # which changes it in place
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
        y = (x.grad * w).sum()
        x.grad.mul_(1.0)  # an in-place op, then an accumulation: two changes, not none
        (x * 3.0).sum().backward()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")  # torch's
def test_gradients_accumulated_with_create_graph_keep_both_graphs_as_torch():
    second = []
    for lib in (ad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x**2).sum().backward(create_graph=True)
        (x**3).sum().backward(create_graph=True)  # .grad = 2x + 3x², a graph through both
        (g,) = lib.autograd.grad(x.grad.sum(), x)
        second.append(g.tolist())
    assert second[0] == second[1] == [8.0, 14.0]  # 2 + 6x


def test_a_reshape_that_copies_is_no_view_when_its_source_changes_later():
    grads = []
    for lib in (ad, torch):
        a = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        b = a * 1
        c = b.t().reshape(6)  # not contiguous: reshape copies, so c is not a view of b
        b.mul_(2)
        assert c.tolist() == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        c.sum().backward()
        grads.append(a.grad.tolist())
    assert grads[0] == grads[1] == [[1.0] * 3] * 2


# --- overlapping views whose base changes between in-place ops ------------------------------
def _twin(fn, values):
    """Ours and torch's gradients agree, or both refuse with torch's in-place phrase."""
    x = ad.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    up = np.arange(1.0, len(values) + 1)
    try:
        fn(torch, tx).backward(torch.tensor(up))
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            fn(ad, x).backward(ad.tensor(up))
        return "refused"
    fn(ad, x).backward(ad.tensor(up))
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-12)
    return "equal"


def _overlap_then_base(lib, x):
    base = x * 1.0
    left, right = base[0:3], base[1:4]  # overlapping at 1 and 2
    left.mul_(x[0:3])
    base.add_(x)  # the base changes between the two view writes
    right.mul_(x[1:4])
    return base * x


def _reads_its_own_base(lib, x):
    base = x * 1.0
    right = base[1:4]
    right.mul_(base[0])  # saves a view of the storage it then writes: refused
    return base


def _view_of_view(lib, x):
    base = x * 2.0
    outer = base[1:]
    inner = outer[:2]
    base.mul_(x)
    inner.sub_(x[2:4])
    outer.mul_(x[0:3])
    return base


def _saved_output_then_written(lib, x):
    base = x.exp()  # exp saves its output
    base[1:3].mul_(2.0)
    return base


def _transposed_overlap(lib, x):
    base = (x * 1.0).reshape(2, 2)
    base.T[0].mul_(3.0)  # a column, through a transpose
    base[0].add_(base[:, 1])  # a row that overlaps it, reading the other column
    return base.reshape(4)


@pytest.mark.parametrize(
    "fn, outcome",
    [
        (_overlap_then_base, "equal"),
        (_view_of_view, "equal"),
        (_transposed_overlap, "equal"),
        (_reads_its_own_base, "refused"),
        (_saved_output_then_written, "refused"),
    ],
)
def test_overlapping_views_with_the_base_changed_between_writes_match_torch(fn, outcome):
    assert _twin(fn, np.array([0.5, -1.0, 2.0, 1.5])) == outcome


# --- views saved inside a user Function -----------------------------------------------------
class _RowScale(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x[0])  # a view of the input's storage, made in forward
        return x * x[0].sum()

    @staticmethod
    def backward(ctx, grad):
        (row,) = ctx.saved_tensors
        return grad * row.sum()


def test_a_view_saved_inside_a_function_refuses_after_its_storage_changes():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    h = x * 1.0
    y = _RowScale.apply(h)
    h.mul_(10.0)  # writes the storage the saved row views
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    assert x.grad is None


def test_a_view_saved_inside_a_function_is_right_when_nothing_changes():
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    _RowScale.apply(x * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), np.full((2, 2), 3.0))


def test_one_element_of_a_tensor_is_a_view_as_in_torch():
    for lib in (ad, torch):
        vector, matrix = lib.zeros(3), lib.zeros(2, 2)
        with lib.no_grad():
            vector[0].add_(1.0)  # NumPy's a[0] would copy the number out
            matrix[0, 1].add_(2.0)
        assert vector.tolist() == [1.0, 0.0, 0.0] and matrix.tolist() == [[0.0, 2.0], [0.0, 0.0]]
    x = ad.zeros(3)
    element = x[1]
    assert element._base is x and element._version is x._version


def test_the_bytes_are_flushed_to_the_file_before_fsync(tmp_path, monkeypatch):
    sizes, real_fsync = [], os.fsync

    def fsync(fd):
        sizes.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    files.write_atomic(tmp_path / "out.txt", "twelve bytes")
    assert sizes[0] == 12  # in the file, not in Python's buffer, when it is synced


def test_the_error_message_is_the_systems_and_no_descriptor_leaks(tmp_path, monkeypatch):
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc/self/fd to count open files")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        files.write_atomic(tmp_path / "out.bin", b"x")
    assert len(os.listdir("/proc/self/fd")) == before

    def broken(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError) as info:
        files.write_atomic(tmp_path / "out.bin", b"y")
    assert str(info.value) == f"[Errno 5] Input/output error: '{tmp_path / 'out.bin'}'"


def test_an_error_naming_the_temp_file_names_the_target_and_others_keep_theirs(
    tmp_path, monkeypatch
):
    real_open = os.open

    def refused(path, *args, **kwargs):
        if ".tmp-" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(PermissionError) as info:  # not FileNotFoundError from the cleanup
        files.write_atomic(tmp_path / "out.bin", b"x")
    assert info.value.filename == str(tmp_path / "out.bin")
    monkeypatch.undo()

    def elsewhere(f):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/train.csv")

    with pytest.raises(FileNotFoundError) as info:
        files.write_atomic(tmp_path / "out.bin", elsewhere)
    assert info.value.filename == "/data/train.csv"
    assert os.listdir(tmp_path) == []


def test_stale_temps_are_found_for_a_target_whose_name_has_tmp_in_it(tmp_path, monkeypatch):
    target = tmp_path / "run.tmp-7"
    dead, other_user = (
        tmp_path / ".run.tmp-7.tmp-999999999-ab12",
        tmp_path / ".run.tmp-7.tmp-1-cd34",
    )
    dead.write_bytes(b""), other_user.write_bytes(b"")

    def kill(pid, signal):
        if pid == 999999999:
            raise ProcessLookupError
        raise PermissionError(errno.EPERM, "Operation not permitted")  # alive, not ours

    monkeypatch.setattr(os, "kill", kill)
    assert files.remove_stale_temps(target) == [dead]
    assert other_user.exists() and not dead.exists()


# --- what mutation testing found untested in the engine and the modes -----------------------
def test_anomaly_mode_lets_finite_work_run():
    x = ad.randn(3, requires_grad=True)
    with ad.detect_anomaly():
        (x * 2.0).exp().sum().backward()
        ad.tensor([1.0, 2.0]).log()
    assert np.isfinite(x.grad.detach().numpy()).all()


def test_an_error_inside_detect_anomaly_propagates_and_the_mode_is_restored():
    for outer in (False, True):
        ad.autograd.set_detect_anomaly(outer)
        try:
            with pytest.raises(ValueError, match="inside"), ad.detect_anomaly(not outer):
                assert ad.autograd.is_anomaly_enabled() is not outer
                raise ValueError("inside")
            assert ad.autograd.is_anomaly_enabled() is outer
        finally:
            ad.autograd.set_detect_anomaly(False)


def test_pictures_keep_small_gradients_and_large_ones_only_while_recording():
    from autodiff.graph import recording

    def leaf_node(size, record=False):
        x = ad.randn(size, requires_grad=True)
        y = (x * 2.0).sum()
        if record:
            with recording():
                y.backward()
        else:
            y.backward()
        return y.grad_fn.next_functions[0][0].next_functions[0][0]  # x's AccumulateGrad

    assert leaf_node(SMALL).grad_value is not None
    assert leaf_node(SMALL + 1).grad_value is None
    assert leaf_node(SMALL + 1, record=True).grad_value is not None


def test_backward_leaves_the_collector_as_it_found_it():
    import gc

    x = ad.randn(3, requires_grad=True)
    (x * 2.0).sum().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2.0).sum().backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_one_root_given_twice_adds_its_gradients():
    x = ad.randn(3, requires_grad=True)
    y = x * 2.0
    ad.autograd.backward([y, y], [ad.ones(3), ad.full((3,), 2.0)])
    np.testing.assert_allclose(x.grad.detach().numpy(), np.full(3, 6.0))


def test_inference_mode_switches_grad_off_unless_told_not_to():
    with ad.inference_mode():
        assert not ad.is_grad_enabled()
    with ad.inference_mode(False):
        assert ad.is_grad_enabled()
    assert ad.is_grad_enabled()
    for lib in (ad, torch):  # set_grad_enabled's mode has no default
        with pytest.raises(TypeError, match="mode"):
            lib.set_grad_enabled()


def test_a_complex_tensor_may_require_grad_but_an_integer_one_says_why():
    assert ad.tensor(np.ones(2, np.complex64), requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="only Tensors of floating point and complex dtype"):
        ad.tensor(np.arange(2), requires_grad=True)


def test_an_index_with_an_ellipsis_still_selects_as_torch():
    values = np.arange(24.0).reshape(2, 3, 4)
    for index in ((..., 0), (0, ...), (1, ..., 2), (..., slice(1, 3))):
        np.testing.assert_array_equal(
            ad.tensor(values)[index].detach().numpy(), torch.tensor(values)[index].detach().numpy()
        )
