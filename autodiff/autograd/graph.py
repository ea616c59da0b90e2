"""torch.autograd.graph's names: Node, AccumulateGrad and increment_version."""

from .. import tracing
from ..graph import AccumulateGrad, Node

__all__ = ["AccumulateGrad", "Node", "increment_version"]


def increment_version(tensor) -> None:
    """Tell the version check that tensor's storage was written outside its in-place ops
    (torch.autograd.graph.increment_version): optimizers that update arrays call it."""
    tensor._counter()[0] += 1
    tracing.bumped(tensor)  # ad.compile replays the bump too
