"""Graph nodes (grad_fn): data only, no math. The engine walks them; viz draws them."""

import weakref

import numpy as np

SMALL = 16  # a tensor this small keeps its value and gradient on its node for pictures
_recording = [0]  # >0 inside viz.record(): every node keeps its value and gradient


def keeps(array) -> bool:
    """Whether a value or gradient of this size is kept on the graph for pictures."""
    return _recording[0] > 0 or np.size(array) <= SMALL


class recording:
    """Keep values and gradients of every intermediate, however large (for pictures)."""

    def __enter__(self):
        _recording[0] += 1
        return self

    def __exit__(self, *exc):
        _recording[0] -= 1
        return False


class SavedOutput:
    """Marks the op's own output among saved values; unpacked as a tensor of this node."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


class Node:
    """One recorded op, PyTorch's grad_fn. It is also the `ctx` its Function sees.

    Holds the op class, the saved values, one (node, 0) edge per input slot, each
    input's shape/dtype (for the engine's sum_to), constants and, for small tensors,
    the forward value and gradient (for pictures). It never holds its output tensor.
    """

    __slots__ = (
        "function", "next_functions", "needs_input_grad", "input_meta", "constants",
        "options", "out_shape", "out_dtype", "out_name", "value", "grad_value",
        "input_grads", "node_name", "_saved", "_inputs", "_released", "_pre_hooks",
        "_retain", "__dict__", "__weakref__",
    )  # fmt: skip

    def __init__(self, function):
        self.function = function
        self.next_functions = ()
        self.needs_input_grad = ()
        self.input_meta = ()
        self.constants = ()
        self.options = {}
        self.out_shape = ()
        self.out_dtype = None
        self.out_name = None
        self.value = None
        self.grad_value = None
        self.input_grads = None
        self.node_name = None
        self._saved = ()
        self._inputs = ()
        self._released = False
        self._pre_hooks = None
        self._retain = None

    def name(self) -> str:
        """PyTorch's name for this node, e.g. 'MulBackward0'."""
        return self.node_name or self.function.node_name or self.function.__name__ + "Backward"

    # --- ctx API for Function.forward / backward -------------------------------------
    def save_for_backward(self, *values) -> None:
        """Keep arrays (inputs, output or others) for backward."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as tensors; inputs and output stay connected to the graph."""
        if self._released:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have already been freed). Saved values are "
                "freed when you call .backward() or ad.grad(). Specify retain_graph=True if "
                "you need to backward through the graph a second time."
            )
        from .function import unpack_saved

        return unpack_saved(self)

    def release(self) -> None:
        """Drop saved values (after backward, unless retain_graph)."""
        self._saved = ()
        self._inputs = ()
        self._released = True

    def register_prehook(self, hook) -> None:
        """hook(grad) runs on the gradient arriving at this node; may return a replacement."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)

    def __repr__(self):
        return f"<{self.name()}>"


class AccumulateGrad:
    """The node that adds a leaf's gradient into its .grad; one per leaf, cached weakly."""

    __slots__ = ("variable", "next_functions", "grad_value", "__weakref__")
    function = None

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self.grad_value = None

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


def accumulator(leaf) -> AccumulateGrad:
    """The leaf's AccumulateGrad, made once and reused while any graph holds it."""
    ref = leaf._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf._accumulator = weakref.ref(node)
    return node
