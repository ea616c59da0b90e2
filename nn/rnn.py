"""Recurrent layers with torch's parameter names, shapes, gate order and initialisation:
RNN (tanh or relu), LSTM and GRU over sequences (num_layers, bias, batch_first, dropout between
layers, bidirectional); their one-step cells are in nn/rnn_cell.py.

The layers loop over time on per-step tensors, so backward is backpropagation through time
and costs O(L) in the sequence length L.
"""

import math
import warnings

import numpy as np

import autodiff as ad

from . import init
from .dropout import dropout
from .linear import linear
from .module import Module, Parameter, factory_dtype
from .utils.rnn import PackedSequence, pad_packed_sequence

_ACTIVATIONS = {"tanh": ad.tanh, "relu": ad.relu}


def activation(nonlinearity: str, op: str):
    """tanh or relu, by name."""
    if nonlinearity not in _ACTIVATIONS:
        raise ValueError(
            f"{op}: Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'."
        )
    return _ACTIVATIONS[nonlinearity]


def check_size(name: str, value, op: str) -> None:
    """A layer size must be a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")


def uniform_init(module, hidden_size: int) -> None:
    """Every weight and bias from U(−1/√hidden, 1/√hidden), in registration order, as torch."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def check_input(input, input_size: int, dims: tuple, op: str, dtype) -> None:
    """input is a Tensor of the layer's dtype and one of dims' ranks whose last dim is
    input_size (torch's errors)."""
    if not isinstance(input, ad.Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype != dtype:
        raise TypeError(
            f"{op}: input dtype {input.dtype} differs from the parameters' dtype {dtype}. "
            "Convert the input (e.g. x.float()) or the layer."
        )
    if input.ndim not in dims:
        raise ValueError(
            f"{op}: Expected input to be {dims[0]}D or {dims[1]}D, got {input.ndim}D tensor "
            f"of shape {tuple(input.shape)}"
        )
    if input.shape[-1] != input_size:
        raise RuntimeError(
            f"{op}: input.size(-1) must be equal to input_size. Expected {input_size}, "
            f"got {input.shape[-1]} (input shape {tuple(input.shape)})"
        )


def check_hidden(hx, expected: tuple, op: str) -> None:
    """A hidden (or cell) state of the expected shape."""
    if not isinstance(hx, ad.Tensor):
        raise TypeError(f"{op}: hidden state must be a Tensor, got {type(hx).__name__}")
    if tuple(hx.shape) != expected:
        raise RuntimeError(f"{op}: Expected hidden size {expected}, got {tuple(hx.shape)}.")


def _as_tuple(hx) -> tuple:
    return tuple(hx) if isinstance(hx, (tuple, list)) else (hx,)


def unstack(x) -> list:
    """x (L, ...) as L tensors x[t]. The layers work on such lists, not on slices of one
    tensor: each slice's gradient is a full-size array, so L slices of x would cost O(L²) in
    backward. Halving recursively costs O(|x| log L) instead (each level adds up to 2|x|)."""
    if x.shape[0] <= 1:
        return [x[0]] if x.shape[0] else []
    half = x.shape[0] // 2
    return unstack(x[:half]) + unstack(x[half:])


# --- one step of each kind: state is (h,) or (h, c); projected = x W_ihᵀ + b_ih ---------------
def rnn_step(act, projected, state, w_hh, b_hh) -> tuple:
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""
    return (act(projected + linear(state[0], w_hh, b_hh)),)


def lstm_step(act, projected, state, w_hh, b_hh) -> tuple:
    """Gates i, f, g, o (torch's order); c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c')."""
    h, c = state
    gates = projected + linear(h, w_hh, b_hh)
    n = h.shape[-1]
    i, f, g, o = (gates[..., k * n : (k + 1) * n] for k in range(4))
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_step(act, projected, state, w_hh, b_hh) -> tuple:
    """r, z, n (torch's order); n = tanh(x_n + r·(h W_hnᵀ + b_hn)), h' = (1 − z)·n + z·h."""
    (h,) = state
    hidden = linear(h, w_hh, b_hh)
    n = h.shape[-1]
    x_r, x_z, x_n = (projected[..., k * n : (k + 1) * n] for k in range(3))
    h_r, h_z, h_n = (hidden[..., k * n : (k + 1) * n] for k in range(3))
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    new = (x_n + r * h_n).tanh()
    return ((1 - z) * new + z * h,)


# torch's modes: mode -> (the step, its gate count, its state count, the activation)
_MODES = {
    "RNN_TANH": (rnn_step, 1, 1, "tanh"),
    "RNN_RELU": (rnn_step, 1, 1, "relu"),
    "LSTM": (lstm_step, 4, 2, None),
    "GRU": (gru_step, 3, 1, None),
}


class RNNBase(Module):
    """torch.nn.RNNBase, the base of RNN, LSTM and GRU (isinstance checks see it): the shared
    sequence loop, its step, gate count and state count given by mode ("RNN_TANH", "RNN_RELU",
    "LSTM", "GRU"). Unlike torch's, which has no forward, RNNBase(mode, ...) runs its mode."""

    mode = "RNN_TANH"  # the class's mode, for a module saved before modes were kept

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        op = type(self).__name__
        if mode not in _MODES:
            raise ValueError(f"Unrecognized RNN mode: {mode} (use one of {list(_MODES)})")
        self.mode = mode
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            check_size(name, value, op)
        if proj_size != 0:
            raise ValueError(f"{op}: proj_size is not supported yet; use proj_size=0")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{op}: dropout should be a number in range [0, 1] representing the probability "
                f"of an element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{op}: dropout option adds dropout after all but last recurrent layer, so "
                f"non-zero dropout expects num_layers greater than 1, but got dropout={dropout} "
                f"and num_layers={num_layers}",
                stacklevel=2 if type(self).__init__ is RNNBase.__init__ else 3,
            )
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.proj_size = bias, batch_first, proj_size
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self._register(factory_dtype(device, dtype, op))
        self.reset_parameters()

    def _register(self, dtype) -> None:
        rows, directions = self._gates * self.hidden_size, 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            width = self.input_size if layer == 0 else self.hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (rows, width), "weight_hh": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for kind, shape in shapes.items():
                    param = Parameter(np.empty(shape, dtype=dtype))
                    self.register_parameter(f"{kind}_l{layer}{suffix}", param)

    def reset_parameters(self) -> None:
        uniform_init(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """A no-op: torch packs the weights for cuDNN here; there is nothing to pack on NumPy."""

    @property
    def _step(self):
        return _MODES[self.mode][0]

    @property
    def _gates(self) -> int:
        return _MODES[self.mode][1]

    @property
    def _states(self) -> int:
        return _MODES[self.mode][2]

    def _act(self):
        name = _MODES[self.mode][3]
        return None if name is None else _ACTIVATIONS[name]

    def _weights(self, layer: int, suffix: str) -> tuple:
        get = self._parameters.get
        return tuple(
            get(f"{kind}_l{layer}{suffix}")
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def _run(self, steps: list, state, weights, reverse: bool, active=None):
        """One direction of one layer over the step inputs (each (N, width)) from state:
        the step outputs (each (N, H)) and the final state. With active (one (N, 1) mask per
        step: packed input), a row past its sequence's end keeps its state."""
        w_ih, w_hh, b_ih, b_hh = weights
        act = self._act()
        outputs = [None] * len(steps)
        for t in range(len(steps) - 1, -1, -1) if reverse else range(len(steps)):
            new = self._step(act, linear(steps[t], w_ih, b_ih), state, w_hh, b_hh)
            if active is not None:
                new = tuple(ad.where(active[t], n, old) for n, old in zip(new, state))
            state = new
            outputs[t] = state[0]
        return outputs, state

    def _initial_states(self, hx, batch: int, batched: bool, dtype) -> tuple:
        op = type(self).__name__
        states = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            zeros = ad.zeros(states, batch, self.hidden_size, dtype=dtype)
            return (zeros,) * self._states
        hx = tuple(hx) if self._states > 1 else (hx,)
        if len(hx) != self._states:
            raise TypeError(f"{op}: expected hx as a tuple (h_0, c_0), got {len(hx)} tensors")
        expected = (states, batch, self.hidden_size) if batched else (states, self.hidden_size)
        for h in hx:
            check_hidden(h, expected, op)
        return hx if batched else tuple(h.unsqueeze(1) for h in hx)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        dtype = self.weight_ih_l0.dtype
        check_input(input, self.input_size, (2, 3), type(self).__name__, dtype)
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        if x.shape[0] == 0:
            raise RuntimeError(
                f"{type(self).__name__}: Expected sequence length to be larger than 0 in RNN "
                f"(input shape {tuple(input.shape)}). Give at least one time step."
            )
        hx = self._initial_states(hx, x.shape[1], batched, x.dtype)
        steps, h_n = self._layers(unstack(x), hx)
        x = ad.stack(steps, 0)
        if not batched:
            x, h_n = x.squeeze(1), tuple(h.squeeze(1) for h in h_n)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, (h_n if self._states > 1 else h_n[0])

    def _layers(self, steps: list, hx: tuple, active=None) -> tuple:
        """Every layer and direction over the step inputs: the last layer's step outputs and
        the final states (each (layers·directions, N, H))."""
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                steps = [dropout(s, self.dropout, self.training) for s in steps]
            outs = []
            for d, suffix in enumerate(("", "_reverse")[:directions]):
                state = tuple(h[layer * directions + d] for h in hx)
                weights = self._weights(layer, suffix)
                out, state = self._run(steps, state, weights, d == 1, active)
                outs.append(out)
                finals.append(state)
            steps = outs[0] if directions == 1 else [ad.cat(pair, 1) for pair in zip(*outs)]
        return steps, tuple(ad.stack([s[i] for s in finals], 0) for i in range(self._states))

    def _forward_packed(self, packed, hx):
        """A PackedSequence in, a PackedSequence out (as torch); h_n is each sequence's state
        after its own last step, in the batch's original order."""
        op = type(self).__name__
        check_input(packed.data, self.input_size, (2, 3), op, self.weight_ih_l0.dtype)
        padded, _ = pad_packed_sequence(packed._replace(unsorted_indices=None))
        sizes = [int(n) for n in packed.batch_sizes.tolist()]
        rows = ad.arange(sizes[0]).reshape(-1, 1)
        active = [rows < n for n in sizes]  # (N, 1) per step: which sequences are still going
        if hx is not None and packed.sorted_indices is not None:
            hx = tuple(h.index_select(1, packed.sorted_indices) for h in _as_tuple(hx))
            hx = hx if self._states > 1 else hx[0]
        hx = self._initial_states(hx, sizes[0], True, padded.dtype)
        steps, h_n = self._layers(unstack(padded), hx, active)
        data = ad.cat([out[:n] for out, n in zip(steps, sizes)])
        if packed.unsorted_indices is not None:
            h_n = tuple(h.index_select(1, packed.unsorted_indices) for h in h_n)
        return packed._replace(data=data), (h_n if self._states > 1 else h_n[0])

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (
            ("num_layers", 1),
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
        ):
            value = getattr(self, name)
            if value != default:
                text += f", {name}={value}"
        return text


def over_flat_weights(
    mode, params, has_biases, num_layers, dropout, train, bidirectional, batch_first, op: str
) -> RNNBase:
    """An RNNBase whose parameters are the given tensors, in torch's flat order (its
    _flat_weights: for each layer and direction w_ih, w_hh and, with has_biases, b_ih, b_hh),
    for torch.lstm and its kin: the layers' loop, with no weights allocated or drawn."""
    directions = 2 if bidirectional else 1
    kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")[: 4 if has_biases else 2]
    names = [
        f"{kind}_l{layer}{suffix}"
        for layer in range(num_layers)
        for suffix in ("", "_reverse")[:directions]
        for kind in kinds
    ]
    params = list(params)
    if len(params) != len(names):
        raise RuntimeError(
            f"{op}: params must hold {len(kinds)} tensors per layer and direction "
            f"({', '.join(kinds)}), {len(names)} for num_layers={num_layers}, "
            f"bidirectional={bidirectional}, has_biases={has_biases}; got {len(params)}"
        )
    rnn = RNNBase.__new__(RNNBase)
    Module.__init__(rnn)
    rnn.mode, rnn.num_layers, rnn.bias, rnn.proj_size = mode, num_layers, has_biases, 0
    rnn.input_size, rnn.hidden_size = params[0].shape[1], params[1].shape[1]
    rnn.batch_first, rnn.dropout, rnn.bidirectional = batch_first, float(dropout), bidirectional
    rnn._parameters.update(zip(names, params))
    return rnn.train(train)


class RNN(RNNBase):
    """Elman layers h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh) over (L, N, H_in), or
    (N, L, H_in) when batch_first, or unbatched (L, H_in); returns (output, h_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ):
        activation(nonlinearity, "RNN")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, 0, device, dtype,
        )  # fmt: skip
        self.nonlinearity = nonlinearity

    def _act(self):
        return activation(self.nonlinearity, "RNN")


class LSTM(RNNBase):
    """Long short-term memory layers; hx = (h_0, c_0); returns (output, (h_n, c_n))."""

    mode = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device, dtype,
        )  # fmt: skip


class GRU(RNNBase):
    """Gated recurrent unit layers; returns (output, h_n)."""

    mode = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device, dtype,
        )  # fmt: skip
