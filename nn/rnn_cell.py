"""One-step recurrent cells with torch's parameter names and initialisation: RNNCell, LSTMCell,
GRUCell, on (batch, input_size) or unbatched (input_size,)."""

import numpy as np

import autodiff as ad

from .linear import linear
from .module import Module, Parameter, factory_dtype
from .rnn import (
    activation,
    check_hidden,
    check_input,
    check_size,
    gru_step,
    lstm_step,
    rnn_step,
    uniform_init,
)


class RNNCellBase(Module):
    """torch.nn.RNNCellBase, the base of RNNCell, LSTMCell and GRUCell (isinstance checks see
    it): num_chunks · hidden_size rows of weights; a subclass names its step (_step) and state
    count. As torch's, the base itself has no forward."""

    _step = None
    _states = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
        dtype=None,
    ):  # fmt: skip
        super().__init__()
        op = type(self).__name__
        check_size("input_size", input_size, op)
        check_size("hidden_size", hidden_size, op)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = factory_dtype(device, dtype, op)
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(np.empty((rows, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        uniform_init(self, self.hidden_size)

    def _act(self):
        return None

    def forward(self, input, hx=None):
        op = type(self).__name__
        if self._step is None:
            raise NotImplementedError(
                f"{op}: forward is not implemented; RNNCellBase is the base of RNNCell, "
                "LSTMCell and GRUCell: use one of those, or define forward(self, ...)."
            )
        check_input(input, self.input_size, (1, 2), op, self.weight_ih.dtype)
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            zeros = ad.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
            state = (zeros,) * self._states
        else:
            state = tuple(hx) if self._states > 1 else (hx,)
            expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
            for h in state:
                check_hidden(h, expected, op)
            state = state if batched else tuple(h.unsqueeze(0) for h in state)
        projected = linear(x, self.weight_ih, self.bias_ih)
        state = self._step(self._act(), projected, state, self.weight_hh, self.bias_hh)
        state = state if batched else tuple(h.squeeze(0) for h in state)
        return state if self._states > 1 else state[0]

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)."""

    _step = staticmethod(rnn_step)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ):
        activation(nonlinearity, "RNNCell")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def _act(self):
        return activation(self.nonlinearity, "RNNCell")

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else f"{text}, nonlinearity={self.nonlinearity}"


class LSTMCell(RNNCellBase):
    """One LSTM step; hx = (h, c); returns (h', c')."""

    _step = staticmethod(lstm_step)
    _states = 2

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)


class GRUCell(RNNCellBase):
    """One GRU step; returns h'."""

    _step = staticmethod(gru_step)

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)
