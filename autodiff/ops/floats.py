"""A float's parts and neighbours: frexp (mantissa and exponent, x = m·2ᵉ) and nextafter (the
next representable float towards another)."""

from collections import namedtuple

import numpy as np

from ..errors import DtypeError
from ..function import Function
from .comparison import discrete
from .reduction import return_type_repr

__all__ = ["frexp", "nextafter"]


def _floating(op: str, *arrays) -> None:
    for a in arrays:
        if np.asarray(a).dtype.kind != "f":
            raise DtypeError(
                f"{op}: only supports floating-point dtypes (got {np.asarray(a).dtype}). Convert "
                "first, e.g. t.float()."
            )


class Mantissa(Function):
    """frexp's mantissa m in [0.5, 1) (signed), x = m·2ᵉ: its gradient is grad / 2ᵉ."""

    node_name, symbol = "FrexpBackward0", "frexp"

    @staticmethod
    def forward(ctx, input):
        _floating("frexp", input)
        mantissa, exponent = np.frexp(input)
        ctx.save_for_backward(np.ldexp(np.ones((), input.dtype), -exponent).astype(input.dtype))
        return mantissa

    @staticmethod
    def backward(ctx, grad):
        (scale,) = ctx.saved_tensors
        return grad * scale


class Frexp(namedtuple("Frexp", ["mantissa", "exponent"])):
    """torch.return_types.frexp: (mantissa, exponent)."""

    def __repr__(self) -> str:
        return return_type_repr(self, "frexp")


def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2 ** exponent, the exponent int32."""
    mantissa = Mantissa.apply(input)
    return Frexp(mantissa, discrete(_exponent, input))


def _exponent(x: np.ndarray) -> np.ndarray:
    return np.frexp(x)[1].astype(np.int32)


class Nextafter(Function):
    """The next float after input towards other: a gradient of 1 for input, 0 for other."""

    node_name, symbol = "NextafterBackward0", "nextafter"
    broadcasts = "nextafter"

    @staticmethod
    def forward(ctx, input, other):
        _floating("nextafter", input, other)
        return np.nextafter(input, other)

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        return grad if need[0] else None, grad * 0.0 if need[1] else None


def nextafter(input, other):
    """The next representable float after input in the direction of other, elementwise."""
    return Nextafter.apply(input, other)
