"""torch.autograd.graph's names: Node and increment_version."""

from ..graph import AccumulateGrad, Node, increment_version

__all__ = ["AccumulateGrad", "Node", "increment_version"]
