"""Graph nodes (grad_fn): data only, no math. The engine walks them; viz draws them."""

import functools
import threading
import weakref
from math import prod

SMALL = 16  # a tensor this small keeps its value and gradient on its node for pictures


class _Recording(threading.local):
    depth = 0  # >0 inside viz.record() in this thread: every node keeps value and gradient


_recording = _Recording()


_NO_OPTIONS = {}


class recording:
    """Keep values and gradients of every intermediate, however large (for pictures)."""

    def __enter__(self):
        _recording.depth += 1
        return self

    def __exit__(self, *exc):
        _recording.depth -= 1
        return False


class NoContext:
    """The ctx of an op that records no node (grad disabled, no input requiring grad, a view
    remade on arrays): forward may read needs_input_grad and name itself; it saves nothing."""

    __slots__ = ("needs_input_grad", "__dict__")
    node_name = None

    def __init__(self, needs_input_grad: tuple = ()):
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *values) -> None:
        pass

    def __repr__(self):
        return f"NoContext({self.needs_input_grad!r})"


def remember_forward(node, out, args) -> None:
    """The picture data of a new node: its value when small (or inside viz.record()), and the
    names of its constant inputs that have one."""
    if out.size <= SMALL or _recording.depth:
        node.value = out
    if node.constants:
        for a in args:
            if getattr(a, "_name", None) is not None and not a._requires_grad:
                node.constant_names = tuple(
                    getattr(t, "_name", None) if not getattr(t, "_requires_grad", True) else None
                    for t in args
                )
                break


def remember_backward(node, data, grads, recording: int) -> None:
    """The picture data of a node backward ran (small, or inside viz.record()): the gradient
    that reached it and what it sent along each edge, these only if every input is small too
    (sum sends a small gradient out large: keeping it would hold the whole array after
    backward). A sent gradient has its input's shape or the small output's."""
    node.grad_value = data
    if not recording:
        for meta in node.input_meta:
            if meta is not None and meta[0] and prod(meta[0]) > SMALL:
                return
    node._sent = grads


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
    Rarely set attributes are class-level defaults (a __dict__ only where one is set).
    """

    __slots__ = (
        "function",
        "children",
        "needs_input_grad",
        "input_meta",
        "constants",
        "options",
        "out_shape",
        "out_dtype",
        "value",
        "grad_value",
        "_saved",
        "_versions",
        "node_name",
        "_sent",
        "__dict__",
        "__weakref__",
    )
    out_name = None  # the output tensor's .name
    constant_names = ()  # per slot: the .name of a constant tensor input, if it has one
    _pre_hooks = None
    _post_hooks = None
    _retain = None

    def __init__(self, function, children=(), input_meta=(), needs_input_grad=(), constants=()):
        self.function = function
        self.children = children  # per input slot: the node its gradient goes to, or None
        self.input_meta = input_meta  # per input slot: (shape, dtype), None for a number
        self.needs_input_grad = needs_input_grad
        self.options = _NO_OPTIONS
        self.constants = constants  # per slot: the value of an input without an edge
        self.value = None
        self.grad_value = None  # the gradient that reached this node (small or recording)
        self._saved = ()
        self._versions = ()  # (owner, version, array) of each saved tensor, flat, for the check
        # slots rather than class defaults, as they are often set: a per-node __dict__ costs more
        self.node_name = None  # set by forward when the name depends on the arguments
        self._sent = None  # per slot: what backward returned for that edge (small or recording)

    @property
    def next_functions(self) -> tuple:
        """((node_or_None, 0), ...) per input slot, as in PyTorch."""
        return tuple([(child, 0) for child in self.children])

    def name(self) -> str:
        """PyTorch's name for this node, e.g. 'MulBackward0'."""
        return self.node_name or self.function.node_name or self.function.__name__ + "Backward"

    # --- read-only fields for pictures and tools --------------------------------------
    @property
    def saved_values(self) -> tuple:
        """What forward saved, as stored: input Tensors, SavedOutput markers, arrays, numbers."""
        return self._saved

    @property
    def released(self) -> bool:
        """True once backward has run through this node and freed its saved values."""
        return self._saved is None

    @property
    def input_grads(self):
        """Per input slot, the gradient backward sent along that edge as an array (or None);
        kept for small tensors and inside viz.record(), else None."""
        if self._sent is None:
            return None
        return tuple([getattr(g, "_data", g) for g in self._sent])

    def register_prehook(self, hook) -> "RemovableHandle":
        """hook(grad_outputs) runs before this node's backward, as torch's
        Node.register_prehook: the gradient that reached the node, in a tuple; a returned
        tuple replaces it."""
        return self.add_grad_hook(functools.partial(_outputs_hook, hook))

    def add_grad_hook(self, hook) -> "RemovableHandle":
        """hook(grad) runs on the gradient arriving at this node (Tensor.register_hook's form,
        for the node's output tensor); may return a replacement."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)
        return RemovableHandle(self, "_pre_hooks", hook)

    def register_hook(self, hook) -> "RemovableHandle":
        """hook(grad_inputs, grad_outputs) runs after this node's backward, as torch's
        Node.register_hook: one gradient (or None) per input slot, and the gradient that
        reached the node; a returned tuple replaces grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return RemovableHandle(self, "_post_hooks", hook)

    def __repr__(self):  # torch's: print(loss.grad_fn) shows <MseLossBackward0 object at 0x...>
        return f"<{self.name()} object at {id(self):#x}>"


def _outputs_hook(hook, grad):
    """A torch-style node pre-hook on the one gradient of an engine node."""
    result = hook((grad,))
    if result is None:
        return None
    if not isinstance(result, tuple | list) or len(result) != 1:
        got = len(result) if isinstance(result, tuple | list) else type(result).__name__
        raise RuntimeError(
            f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number of "
            f"values (got {got}, but expected 1)"
        )
    return result[0]


class RemovableHandle:
    """What the register_*hook methods return (torch.utils.hooks.RemovableHandle): remove()
    unregisters the hook; `with handle:` removes it at the end of the block."""

    __slots__ = ("_owner", "_attribute", "_hook")

    def __init__(self, owner, attribute: str, hook):
        self._owner, self._attribute, self._hook = weakref.ref(owner), attribute, hook

    def remove(self) -> None:
        owner = self._owner()
        hooks = None if owner is None else getattr(owner, self._attribute)
        if hooks:
            setattr(owner, self._attribute, [h for h in hooks if h is not self._hook] or None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


class AccumulateGrad:
    """The node that adds a leaf's gradient into its .grad; one per leaf, cached weakly."""

    __slots__ = ("variable", "grad_value", "__weakref__")
    function = None
    children = ()
    _versions = ()
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self.grad_value = None

    def name(self) -> str:
        """torch's name: its C++ class, namespaced (the repr keeps the short name, as torch's)."""
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulator(leaf) -> AccumulateGrad:
    """The leaf's AccumulateGrad, made once and reused while any graph holds it."""
    ref = leaf._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(leaf)
        leaf._accumulator = weakref.ref(node)
    return node
