"""Tensors in shared memory (share_memory_, Module.share_memory) and torch.multiprocessing:
what a child process writes in place, its parent sees; layouts and values as torch's."""

import multiprocessing
import os
from multiprocessing.reduction import ForkingPickler

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import autodiff as ad
import autodiff.multiprocessing as mp
import nn

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is the oracle")
FORK = multiprocessing.get_context("fork")

# (shape, how a view is taken of a fresh array of that shape)
VIEWS = {
    "whole": lambda x: x,
    "transposed": lambda x: x.t(),
    "strided": lambda x: x[:, ::2],
    "offset": lambda x: x[1:, 1:],
    "expanded": lambda x: x[:1].expand(3, 4),
    "row": lambda x: x[2],
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_share_memory_keeps_values_dtype_and_strides(view, dtype):
    base = ad.arange(12).reshape(3, 4).to(getattr(ad, dtype))
    t = VIEWS[view](base)
    values, strides = t.tolist(), t.stride()
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and t.tolist() == values and t.stride() == strides
    assert t.dtype == getattr(ad, dtype)
    array = t._data
    t.share_memory_()  # already shared: nothing moves
    assert t._data is array


@needs_torch
@pytest.mark.parametrize("view", VIEWS)
def test_share_memory_strides_match_torch(view):
    ours = VIEWS[view](ad.arange(12.0).reshape(3, 4)).share_memory_()
    theirs = VIEWS[view](torch.arange(12.0).reshape(3, 4)).share_memory_()
    assert ours.stride() == theirs.stride() and ours.is_shared() == theirs.is_shared()
    assert ours.tolist() == theirs.tolist()


@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
    order=st.randoms(use_true_random=False),
)
@settings(max_examples=40, deadline=None)
def test_shared_layout_is_the_layout_given(shape, order):
    """Any permutation of dimensions (channels_last, transposes) keeps its strides."""
    axes = list(range(len(shape)))
    order.shuffle(axes)
    t = ad.arange(int(np.prod(shape))).float().reshape(*shape).permute(*axes)
    expected = (t.tolist(), t.stride())
    t.share_memory_()
    assert (t.tolist(), t.stride()) == expected


def test_meta_tensor_is_not_moved():
    t = ad.empty(3, device="meta")
    assert t.share_memory_() is t and not t.is_shared()


def _add_one(model):
    with ad.no_grad():
        for p in model.parameters():
            p.add_(1.0)


def test_forked_child_updates_a_shared_module():
    model = nn.Linear(3, 2).share_memory()
    before = [p.detach().clone() for p in model.parameters()]
    child = FORK.Process(target=_add_one, args=(model,))
    child.start()
    child.join()
    assert child.exitcode == 0
    for p, b in zip(model.parameters(), before):
        assert ad.equal(p.detach(), b + 1)


def test_unshared_module_is_a_copy_in_a_forked_child():
    model = nn.Linear(3, 2)  # not shared: the child's updates stay in the child
    before = model.weight.detach().clone()
    child = FORK.Process(target=_add_one, args=(model,))
    child.start()
    child.join()
    assert ad.equal(model.weight.detach(), before)


def _receive(queue, answers):
    t = queue.get()
    state = (type(t).__name__, t.requires_grad, t.grad is None, getattr(t, "persistent", None))
    answers.put(state)
    with ad.no_grad():
        t.mul_(3)
    answers.put("done")


@pytest.mark.parametrize(
    "make",
    [
        lambda: ad.ones(2, 3),
        lambda: nn.Parameter(ad.ones(2, 3)),
        lambda: nn.Buffer(ad.ones(2, 3), persistent=False),
        lambda: ad.arange(20.0).reshape(4, 5)[1:3, ::2].t(),
    ],
    ids=["tensor", "parameter", "buffer", "view"],
)
def test_queue_sends_tensors_on_shared_memory(make):
    """Sending moves the values into shared memory, as torch's; the receiver's in-place
    update is the sender's too. Class, requires_grad and Buffer.persistent arrive; .grad not."""
    sent = make()
    sent.grad = ad.zeros_like(sent) if sent.requires_grad else None
    tripled = (sent.detach() * 3).tolist()
    queue, answers = FORK.Queue(), FORK.Queue()
    child = FORK.Process(target=_receive, args=(queue, answers))
    child.start()
    queue.put(sent)
    kind, requires_grad, no_grad, persistent = answers.get(timeout=60)
    assert answers.get(timeout=60) == "done"
    child.join()
    assert kind == type(sent).__name__ and requires_grad == sent.requires_grad and no_grad
    assert persistent == getattr(sent, "persistent", None)
    assert sent.is_shared() and sent.tolist() == tripled


def test_a_tensor_inside_a_graph_is_refused():
    x = ad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(x * 2)
    ForkingPickler.dumps((x * 2).detach())  # its values alone may go
    ForkingPickler.dumps(x)  # a leaf goes, with its requires_grad


@needs_torch
def test_refusal_message_is_torchs():
    def message(lib):
        try:
            ForkingPickler.dumps(lib.ones(2, requires_grad=True) * 2)
        except RuntimeError as e:
            return str(e)

    assert message(ad) == message(torch)


def _square_into(i, shared, offset):
    shared[i] = offset + i * i


def _fail(i):
    if i == 1:
        raise ValueError("child one failed")


def _exit_with(i, code):
    os._exit(code)


def test_spawn_runs_fn_with_each_index():
    shared = ad.zeros(3).share_memory_()
    assert mp.spawn(_square_into, args=(shared, 10.0), nprocs=3, start_method="fork") is None
    assert shared.tolist() == [10.0, 11.0, 14.0]


def test_spawn_without_join_gives_the_processes():
    shared = ad.zeros(2).share_memory_()
    context = mp.spawn(_square_into, args=(shared, 1.0), nprocs=2, join=False, start_method="fork")
    assert len(context.pids()) == 2
    while not context.join():
        pass
    assert shared.tolist() == [1.0, 2.0]


def test_spawn_raises_a_childs_error_in_the_parent():
    with pytest.raises(mp.ProcessRaisedException, match="child one failed") as error:
        mp.spawn(_fail, nprocs=2, start_method="fork")
    assert error.value.error_index == 1
    assert "Process 1 terminated with the following error" in str(error.value)


def test_spawn_reports_an_exit_code():
    with pytest.raises(mp.ProcessExitedException, match="terminated with exit code 3") as error:
        mp.spawn(_exit_with, args=(3,), nprocs=1, start_method="fork")
    assert error.value.exit_code == 3


def test_sharing_strategies():
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="set_sharing_strategy: unknown strategy 'shm'"):
        mp.set_sharing_strategy("shm")


def test_python_multiprocessing_names_are_there():
    for name in ("Process", "Queue", "Pool", "get_context", "set_start_method", "cpu_count"):
        assert getattr(mp, name) is getattr(multiprocessing, name)
