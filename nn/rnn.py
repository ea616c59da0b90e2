"""Elman recurrent layers with torch's parameter names, shapes and initialisation: RNNCell and
RNN (tanh or relu, num_layers, bias, batch_first, dropout between layers, bidirectional).

h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh). The input projection of every step is one
matrix product; the recurrence loops over time, so backward is backpropagation through time.
"""

import math
import warnings

import numpy as np

import autodiff as ad

from . import init
from .dropout import dropout
from .linear import linear
from .module import Module, Parameter

_ACTIVATIONS = {"tanh": ad.tanh, "relu": ad.relu}


def _activation(nonlinearity: str, op: str):
    if nonlinearity not in _ACTIVATIONS:
        raise ValueError(
            f"{op}: Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'."
        )
    return _ACTIVATIONS[nonlinearity]


def _check_size(name: str, value, op: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")


def _uniform_init(module, hidden_size: int) -> None:
    """Every weight and bias from U(−1/√hidden, 1/√hidden), in registration order, as torch."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def _check_input(input, input_size: int, dims: tuple, op: str) -> None:
    if not isinstance(input, ad.Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in dims:
        raise ValueError(
            f"{op}: Expected input to be {dims[0]}D or {dims[1]}D, got {input.ndim}D tensor "
            f"of shape {tuple(input.shape)}"
        )
    if input.shape[-1] != input_size:
        raise ValueError(
            f"{op}: input.size(-1) must be equal to input_size. Expected {input_size}, "
            f"got {input.shape[-1]} (input shape {tuple(input.shape)})"
        )


def _check_hidden(hx, expected: tuple, op: str) -> None:
    if tuple(hx.shape) != expected:
        raise ValueError(
            f"{op}: Expected hidden size {expected}, got {tuple(hx.shape)}. The initial hidden "
            "state is (num_layers * num_directions, batch, hidden_size)."
        )


class RNNCell(Module):
    """One step h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) on (batch, input_size) or (input_size,)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype=None,
    ):
        super().__init__()
        _check_size("input_size", input_size, "RNNCell")
        _check_size("hidden_size", hidden_size, "RNNCell")
        self._act = _activation(nonlinearity, "RNNCell")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.bias, self.nonlinearity = bias, nonlinearity
        dtype = dtype or ad.get_default_dtype()
        self.weight_ih = Parameter(np.empty((hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(hidden_size, dtype=dtype))
            self.bias_hh = Parameter(np.empty(hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_init(self, self.hidden_size)

    def forward(self, input, hx=None):
        _check_input(input, self.input_size, (1, 2), "RNNCell")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            h = ad.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        else:
            _check_hidden(
                hx, (x.shape[0], self.hidden_size) if batched else (self.hidden_size,), "RNNCell"
            )
            h = hx if batched else hx.unsqueeze(0)
        out = self._act(
            linear(x, self.weight_ih, self.bias_ih) + linear(h, self.weight_hh, self.bias_hh)
        )
        return out if batched else out.squeeze(0)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNN(Module):
    """A stack of num_layers Elman layers over a sequence (L, N, H_in), or (N, L, H_in) when
    batch_first, or unbatched (L, H_in); returns (output, h_n) as torch does."""

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
        dtype=None,
    ):
        super().__init__()
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            _check_size(name, value, "RNN")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                f"RNN: dropout should be a number in range [0, 1] representing the probability "
                f"of an element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "RNN: dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        self._act = _activation(nonlinearity, "RNN")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        directions = 2 if bidirectional else 1
        dtype = dtype or ad.get_default_dtype()
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                names = [f"{kind}_l{layer}{suffix}" for kind in ("weight_ih", "weight_hh")]
                shapes = [(hidden_size, width), (hidden_size, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(hidden_size,), (hidden_size,)]
                for name, shape in zip(names, shapes):
                    self.register_parameter(name, Parameter(np.empty(shape, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _uniform_init(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """A no-op: torch packs the weights for cuDNN here; there is nothing to pack on NumPy."""

    def _weights(self, layer: int, suffix: str) -> tuple:
        get = self._parameters.get
        return tuple(
            get(f"{kind}_l{layer}{suffix}")
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def _run(self, x, h, weights, reverse: bool):
        """One direction of one layer over x (L, N, width) from h (N, H): outputs (L, N, H), h."""
        w_ih, w_hh, b_ih, b_hh = weights
        projected = linear(x, w_ih, b_ih)  # every step's input term in one product
        steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
        outputs = [None] * x.shape[0]
        for t in steps:
            h = self._act(projected[t] + linear(h, w_hh, b_hh))
            outputs[t] = h
        return ad.stack(outputs, 0), h

    def forward(self, input, hx=None):
        _check_input(input, self.input_size, (2, 3), "RNN")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        directions = 2 if self.bidirectional else 1
        states = self.num_layers * directions
        batch = x.shape[1]
        if hx is None:
            hx = ad.zeros(states, batch, self.hidden_size, dtype=x.dtype)
        else:
            expected = (states, batch, self.hidden_size) if batched else (states, self.hidden_size)
            _check_hidden(hx, expected, "RNN")
            hx = hx if batched else hx.unsqueeze(1)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                x = dropout(x, self.dropout, self.training)
            outs = []
            for d, suffix in enumerate(("", "_reverse")[:directions]):
                out, h = self._run(
                    x, hx[layer * directions + d], self._weights(layer, suffix), d == 1
                )
                outs.append(out)
                finals.append(h)
            x = outs[0] if directions == 1 else ad.cat(outs, 2)
        h_n = ad.stack(finals, 0)
        if not batched:
            return x.squeeze(1), h_n.squeeze(1)
        return (x.transpose(0, 1) if self.batch_first else x), h_n

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
