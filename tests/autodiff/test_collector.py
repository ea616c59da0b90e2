"""What a recorded graph leaves for the cyclic collector: every tracked object it keeps is
rescanned at each full collection, which made the collector a third of a scalar graph's
forward. Counts, not times."""

import gc

import autodiff as ad


def _tracked_per_step(step, steps=200) -> float:
    """Objects the collector tracks that a graph of `steps` steps keeps, per step."""
    x = ad.tensor(0.5, dtype=ad.float64, requires_grad=True)
    w = ad.tensor(0.9, dtype=ad.float64, requires_grad=True)
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    y = x
    for _ in range(steps):
        y = step(y, w)
    gc.collect()  # untracks the tuples that hold only arrays and numbers
    kept = [o for o in gc.get_objects() if id(o) not in before]
    assert y.grad_fn is not None
    return len(kept) / steps


def test_a_float_operand_op_keeps_its_node_and_its_edges_only():
    # y * 1.0001 + 0.0001: per op a Context and its children tuple; saved numbers, constants
    # and shapes are in untracked tuples
    assert _tracked_per_step(lambda y, w: y * 1.0001 + 0.0001) < 4.1  # (+ the leaves, y)


def test_version_entries_are_not_tracked():
    # tanh(y * w + 0.1): Mul keeps (y, w) and y itself; Add its node; Tanh its node, saved
    # tuple and SavedOutput marker (10). Version entries hold counters (NumPy arrays), not
    # tensors: untracked, where they were 3 more objects per step
    assert _tracked_per_step(lambda y, w: ad.tanh(y * w + 0.1)) < 10.1
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).tanh()
    gc.collect()
    for node in (y.grad_fn, y.grad_fn.next_functions[0][0]):
        assert node._versions and not gc.is_tracked(node._versions)
