"""+ - * / ** and negation, % and //. Python numbers and arrays are constants: a (None, 0)
edge."""

import numbers
import warnings

import numpy as np

from .. import cpu_math
from ..cpu_math import scaled_add
from ..dtypes import BF16, check_broadcast, promote
from ..errors import ArgumentError, DtypeError
from ..function import Function
from ..tensor import Tensor
from .complexes import conj_of
from .elementwise import where

__all__ = ["add", "sub", "rsub", "mul", "div", "neg", "pow"]
__all__ += ["divide", "multiply", "subtract", "negative", "positive"]
__all__ += [
    "remainder",
    "fmod",
    "floor_divide",
    "true_divide",
    "addcmul",
    "addcdiv",
    "lerp",
]  # the public ops: autodiff exports these


def _as_is(input, other) -> bool:
    """promote leaves both operands as they are (floats, or a float and a Python number)."""
    x, y = promote(input, other)
    return x is input and y is other


class Add(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "AddBackward0"
    symbol = "+"
    array_backward = True
    bfloat16_scalars = "all"  # torch's add kernel casts a scalar to the dtype first
    broadcasts = "add"

    @staticmethod
    def numpy_forward(input, other):
        return np.add if _as_is(input, other) else None

    @staticmethod
    def forward(ctx, input, other, alpha=1):
        input, other = promote(input, other)
        return input + other if alpha == 1 else scaled_add(input, other, alpha)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:
            return grad, None
        alpha = ctx.options.get("alpha", 1)  # torch.add's alpha: input + alpha·other
        return grad, grad if alpha == 1 else alpha * grad


def add(input, other, *old, alpha=1):
    """input + alpha·other, broadcasting (torch's old order add(input, alpha, other) too)."""
    if old:
        alpha, other = old_order("add", input, other, *old)
    if alpha == 1:
        return Add.apply(input, other)
    _check_alpha(other, alpha, "add")
    return Add.apply(input, other, alpha=alpha)


class Sub(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "SubBackward0"
    symbol = "−"
    array_backward = True
    bfloat16_scalars = "all"  # torch's add kernel casts a scalar to the dtype first
    broadcasts = "sub"

    @staticmethod
    def numpy_forward(input, other):
        return np.subtract if _as_is(input, other) else None

    @staticmethod
    def forward(ctx, input, other, alpha=1):
        input, other = promote(input, other)
        return input - other if alpha == 1 else scaled_add(input, other, -alpha)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:
            return grad, None
        alpha = ctx.options.get("alpha", 1)  # torch.sub's alpha: input − alpha·other
        return grad, -grad if alpha == 1 else -alpha * grad


def sub(input, other, *old, alpha=1):
    """input − alpha·other, broadcasting (torch's old order sub(input, alpha, other) too)."""
    if old:
        alpha, other = old_order("sub", input, other, *old)
    if alpha == 1:
        return Sub.apply(input, other)
    _check_alpha(other, alpha, "sub")
    return Sub.apply(input, other, alpha=alpha)


class Rsub(Function):
    """other - alpha * input: `number - tensor` and torch.rsub. A number other is a constant
    (RsubBackward1, as torch); a tensor other has its edge (RsubBackward0)."""

    node_name = "RsubBackward1"
    symbol = "−"
    array_backward = True
    bfloat16_scalars = "all"  # torch's add kernel casts a scalar to the dtype first
    broadcasts = "rsub"

    @staticmethod
    def forward(ctx, input, other, alpha=1):
        if isinstance(other, np.ndarray):
            ctx.node_name = "RsubBackward0"
        _no_bool_subtraction("rsub", input, other)
        input, other = promote(input, other)
        return other - input if alpha == 1 else scaled_add(other, input, -alpha)

    @staticmethod
    def backward(ctx, grad):
        need, alpha = ctx.needs_input_grad, ctx.options.get("alpha", 1)
        grad_input = (-grad if alpha == 1 else -alpha * grad) if need[0] else None
        return grad_input, grad if need[1] else None


def rsub(input, other, alpha=1):
    """other - alpha * input (torch.rsub; `number - tensor`)."""
    return Rsub.apply(input, other, alpha=alpha) if alpha != 1 else Rsub.apply(input, other)


def _no_bool_subtraction(op: str, input, other) -> None:
    if np.asarray(input).dtype == np.bool_ and np.asarray(other).dtype == np.bool_:
        raise DtypeError(
            f"{op}: Subtraction, the `-` operator, with two bool tensors is not supported "
            "(bool, bool). Use the `^` or `logical_xor()` operator instead."
        )


def _float16_by_number(x, y) -> bool:
    """A float16 tensor with dims times or over a scalar (a Python number either side, or a
    0-d float tensor second): torch's mul and div kernels compute in float32 with the scalar
    as given, where NumPy would round it to float16 first. (x's dtype first: the rare case
    costs the common one a single test.)"""
    if type(x) is np.ndarray:
        if x.dtype.char != "e" or x.ndim == 0:
            return False
        return type(y) in (float, int) or (
            type(y) is np.ndarray and y.ndim == 0 and y.dtype.kind == "f"
        )
    return type(x) in (float, int) and type(y) is np.ndarray and y.dtype.char == "e"


class Mul(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "MulBackward0"
    symbol = "×"
    array_backward = True
    bfloat16_scalars = "first"  # a scalar second operand is used as given
    broadcasts = "mul"

    @staticmethod
    def numpy_forward(input, other):
        as_is = _as_is(input, other) and not _float16_by_number(input, other)
        return np.multiply if as_is else None

    @staticmethod
    def forward(ctx, input, other):
        need = ctx.needs_input_grad  # keep only what the needed gradients use, in torch's
        if _float16_by_number(input, other):
            ctx.save_for_backward(other if need[0] else None, input if need[1] else None)
            return np.multiply(input, other, dtype=np.float32).astype(np.float16)
        input, other = promote(input, other)
        ctx.save_for_backward(other if need[0] else None, input if need[1] else None)  # order
        return input * other

    @staticmethod
    def backward(ctx, grad):
        other, input = ctx.saved_tensors
        need = ctx.needs_input_grad
        # conj_of: torch's complex gradient, grad * conj(other); real operands as they are
        grad_input = grad * conj_of(other) if need[0] else None
        return grad_input, grad * conj_of(input) if need[1] else None


def mul(input, other):
    """input * other, broadcasting."""
    return Mul.apply(input, other)


class Div(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "DivBackward0"
    symbol = "÷"
    array_backward = True
    bfloat16_scalars = "first"  # a scalar second operand is used as given
    broadcasts = "div"

    @staticmethod
    def forward(ctx, input, other):
        half = _float16_by_number(input, other)
        if not half:
            input, other = promote(input, other, divide=True)
        ctx.save_for_backward(other, input if ctx.needs_input_grad[1] else None)  # torch's order
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 is ±inf or nan, silently,
            if half:  # as in torch
                return np.divide(input, other, dtype=np.float32).astype(np.float16)
            return input / other

    @staticmethod
    def backward(ctx, grad):
        other, input = ctx.saved_tensors
        need = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            other = conj_of(other)  # complex: grad / conj(b), -grad * conj(a / b²)
            grad_input = grad / other if need[0] else None
            grad_other = -grad * conj_of(input) / (other * other) if need[1] else None
        return grad_input, grad_other


def div(input, other, *, rounding_mode=None):
    """input / other, broadcasting; rounding_mode 'trunc' or 'floor' rounds the quotient (and
    integers then stay integers), as torch."""
    if rounding_mode is None:
        return Div.apply(input, other)
    if rounding_mode not in _ROUNDED:
        raise ArgumentError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
            f"{rounding_mode!r}"
        )
    return RoundedDiv.apply(input, other, rounding_mode=rounding_mode)


class RoundedDiv(Function):
    """input / other rounded ('trunc' or 'floor'): piecewise constant, so its gradient is zero
    (DivBackward2, as torch records div with a rounding mode)."""

    node_name = "DivBackward2"
    symbol = "÷"
    array_backward = True
    broadcasts = "div"

    @staticmethod
    def forward(ctx, input, other, rounding_mode):
        return _ROUNDED[rounding_mode](input, other)

    @staticmethod
    def backward(ctx, grad):
        zeros = np.zeros_like(grad) if isinstance(grad, np.ndarray) else grad.new_zeros(grad.shape)
        return zeros, zeros


def _trunc_divide(input, other):
    """The quotient rounded toward zero: integers exactly (C's division), floats as trunc(a / b)."""
    input, other = _integer_checked("div", input, other)
    if np.result_type(input, other).kind in "iub":
        quotient = np.floor_divide(input, other)
        inexact = (np.remainder(input, other) != 0) & ((input < 0) != (other < 0))
        return quotient + inexact.astype(quotient.dtype)
    input, other = promote(input, other, divide=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.trunc(input / other)


def _floor_quotient(input, other):
    return _floor_divide(input, other, "div")


_ROUNDED = {"trunc": _trunc_divide, "floor": _floor_quotient}


class Neg(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "NegBackward0"
    symbol = "−"
    array_backward = True

    @staticmethod
    def numpy_forward(input):
        return np.negative

    @staticmethod
    def forward(ctx, input):
        return -input

    @staticmethod
    def backward(ctx, grad):
        return -grad


def neg(input):
    """-input."""
    return Neg.apply(input)


class Pow(Function):
    """tensor ** number."""

    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "PowBackward0"
    symbol = "^"
    array_backward = True
    scalar_operator_differs = True
    native_bfloat16 = True  # _power rounds where torch's bfloat16 kernel rounds

    @staticmethod
    def forward(ctx, input, exponent):
        ctx.save_for_backward(input)
        return _power(input, exponent)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        exponent = ctx.options["exponent"]
        if exponent == 0:
            return grad * 0.0
        # torch's pow_backward: grad * (p·x^(p-1)), conjugated for complex z
        power = (
            _power(input, exponent - 1)
            if isinstance(input, np.ndarray)
            else input ** (exponent - 1)
        )
        return grad * conj_of(exponent * power)


def _power(x: np.ndarray, exponent) -> np.ndarray:
    """x ** exponent (a number) as torch's CPU kernel computes it (PowKernel.cpp): 0.5, -0.5
    and -1 by sqrt and division; 2, 3 and -2 by products, 3 and -2 rounded twice as the
    kernel's `base * base * base` and `1 / (base * base)`; any other exponent by pow. In
    bfloat16 each of those steps is a float32 operation rounded to bfloat16, and the exponent
    is rounded to bfloat16 first (float16: to float16, and pow alone). Integers, complex: NumPy."""
    if x.dtype.kind != "f" and x.dtype != BF16:
        return np.power(x, exponent)
    if x.dtype == np.float16:
        return np.power(x, float(np.float16(exponent)))
    narrow = x.dtype == BF16
    wide = x.astype(np.float32) if narrow else x
    step = (lambda a: a.astype(BF16)) if narrow else (lambda a: a)
    widen = (lambda a: a.astype(np.float32)) if narrow else (lambda a: a)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if exponent == 0.5:
            return step(np.sqrt(wide))
        if exponent == -0.5:
            return step(np.reciprocal(np.sqrt(wide)))
        if exponent == -1:
            return step(np.reciprocal(wide))
        if narrow:
            exponent = float(BF16.type(exponent))
        if exponent == 2:
            return step(wide * wide)
        if exponent == 3:
            return step(widen(step(wide * wide)) * wide)
        if exponent == -2:
            return step(np.reciprocal(widen(step(wide * wide))))
        return step(np.power(wide, exponent))


def pow(input, exponent):
    """input ** exponent; a number exponent gives PowBackward0, a tensor one PowBackward1."""
    if isinstance(input, Tensor) and _number(exponent):
        return Pow.apply(input, exponent=exponent)
    return PowTensor.apply(input, exponent)


class PowTensor(Function):
    """tensor ** tensor (or number ** tensor)."""

    node_name = "PowBackward1"
    symbol = "^"
    broadcasts = "pow"
    scalar_operator_differs = True

    @staticmethod
    def forward(ctx, input, exponent):
        if not isinstance(input, np.ndarray):
            ctx.node_name = "PowBackward2"  # number ** tensor
        input, exponent = promote(input, exponent)  # float32 ** int64 stays float32, as torch
        out = np.power(input, exponent)
        ctx.save_for_backward(input, exponent, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, exponent, out = ctx.saved_tensors
        need = ctx.needs_input_grad
        grad_input = None
        if need[0]:
            # torch's convention: no gradient to the base where the exponent is 0 (x**0 is flat)
            grad_input = where(
                _as_tensor(exponent)._data == 0, 0.0, grad * exponent * input ** (exponent - 1)
            )
        # d(a^b)/db = a^b·log a; where a == 0 the limit is 0 (torch's convention)
        grad_exp = None
        if need[1]:
            base = _as_tensor(input)
            safe_log = where(base._data == 0, 1.0, base).log()  # log(1) = 0 where a == 0
            grad_exp = grad * out * safe_log
        return grad_input, grad_exp


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x))


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# --- torch's other names for the ops above (each records the op torch records) -------------
def divide(input, other, *, rounding_mode=None):
    """torch.divide: div."""
    return div(input, other, rounding_mode=rounding_mode)


def multiply(input, other):
    """torch.multiply: mul (MulBackward0, as torch)."""
    return mul(input, other)


def subtract(input, other, *, alpha=1):
    """torch.subtract: input - alpha * other (SubBackward0, as torch)."""
    return sub(input, other, alpha=alpha)


def negative(input):
    """torch.negative: neg (NegBackward0, as torch)."""
    return neg(input)


def positive(input):
    """torch.positive: the input itself (torch returns it, no node); refused for bool."""
    if isinstance(input, Tensor) and input.dtype == np.bool_:
        raise DtypeError(
            "positive: the `+` operator, on a bool tensor is not supported. Convert first, "
            "e.g. t.int()."
        )
    return input


def _check_alpha(other, alpha, op: str) -> None:
    """A float alpha is refused for integer tensors, as torch refuses it."""
    is_int = isinstance(other, Tensor) and other.dtype.kind in "iub"
    if is_int and not float(alpha).is_integer():
        raise DtypeError(
            f"{op}: for integral input tensors, argument alpha must not be a floating point "
            f"number (got alpha={alpha}). Give an integer alpha or convert first (t.float())."
        )


def true_divide(input, other):
    """input / other: torch's other name of div (the same DivBackward0 node)."""
    return div(input, other)


class Remainder(Function):
    """input − other·q with q the quotient rounded down, the sign of other as Python's %
    (Fmod: rounded toward zero, the sign of input as C's fmod). The gradient is grad for
    input and −grad·q for other (torch's formula); q is piecewise constant, so it is saved
    as a constant."""

    node_name = "RemainderBackward1"
    symbol = "%"
    array_backward = True
    broadcasts = "remainder"

    @classmethod
    def forward(cls, ctx, input, other):
        if not isinstance(other, np.ndarray):  # a Python number: torch's Backward0
            ctx.node_name = cls.node_name[:-1] + "0"
        input, other = _integer_checked(cls.broadcasts, input, other)
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0 is nan, as torch
            out = _remainder(input, other) if cls is Remainder else np.fmod(input, other)
            if ctx.needs_input_grad[1]:
                quotient = (input - out) / other  # input − out is a multiple of other
                ctx.save_for_backward(np.round(quotient).astype(out.dtype, copy=False))
        return out

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:
            return grad, None
        (quotient,) = ctx.saved_tensors
        return grad if ctx.needs_input_grad[0] else None, -grad * quotient


class Fmod(Remainder):
    node_name = "FmodBackward1"
    symbol = "fmod"
    broadcasts = "fmod"


def _remainder(input, other):
    """torch's kernel: fmod, then other added where the remainder and other differ in sign
    (NumPy's np.remainder gives 0 the sign of other where torch keeps fmod's)."""
    with np.errstate(divide="ignore", invalid="ignore"):  # x % 0 is nan, as torch
        mod = np.fmod(input, other)
    wrong_side = (mod != 0) & ((mod < 0) != (np.asarray(other) < 0))
    return np.where(wrong_side, mod + other, mod)


def _integer_checked(op: str, input, other):
    """Operands promoted as torch's; bool refused and integer division by zero raised, as
    torch (NumPy would give 0 with a warning)."""
    input, other = promote(input, other)
    kinds = (np.asarray(input).dtype.kind, np.asarray(other).dtype.kind)
    if "b" in kinds and kinds[0] in "bi" and kinds[1] in "bi":
        raise DtypeError(
            f"{op}: not implemented for bool tensors ({np.asarray(input).dtype}, "
            f"{np.asarray(other).dtype}). Convert first, e.g. t.long() or t.float()."
        )
    if "f" not in kinds and np.any(np.asarray(other) == 0):
        raise ArgumentError(
            f"{op}: integer division by zero ({np.asarray(input).dtype} by "
            f"{np.asarray(other).dtype}). Divide by nonzero values, or convert to float first "
            "(t.float()), where x / 0 gives inf or nan."
        )
    return input, other


def remainder(input, other):
    """input modulo other with the sign of other, as Python's % (input − other·⌊input/other⌋);
    a number divided by a tensor has no derivative, as in torch."""
    if not isinstance(input, Tensor):
        return NoDerivative.apply(input, other, fn=_remainder_of, op="remainder")
    return Remainder.apply(input, other)


def _remainder_of(input, other):
    return _remainder(*_integer_checked("remainder", input, other))


def fmod(input, other):
    """input modulo other with the sign of input, as C's fmod (input − other·trunc(input/other))."""
    return Fmod.apply(input, other)


class NoDerivative(Function):
    """An op torch records without a derivative (floor_divide, a number % a tensor,
    heaviside): its node is named NotImplemented, as torch's, and backward through it
    raises."""

    node_name = "NotImplemented"
    symbol = "?"

    @staticmethod
    def forward(ctx, *inputs, fn, op):
        try:
            return fn(*inputs)
        except ValueError:
            check_broadcast(op, *inputs)
            raise

    @staticmethod
    def backward(ctx, grad):
        op = ctx.options["op"]
        raise RuntimeError(
            f"{op}: derivative for aten::{op} is not implemented (as in torch). Detach its "
            f"inputs (x.detach()) where no gradient should flow through {op}."
        )


def floor_divide(input, other):
    """input / other rounded down (Python's //); torch gives it no derivative."""
    return NoDerivative.apply(input, other, fn=_floor_divide, op="floor_divide")


def _floor_divide(input, other, op: str = "floor_divide"):
    input, other = _integer_checked(op, input, other)
    with np.errstate(divide="ignore", invalid="ignore"):  # x // 0 is ±inf or nan, as torch
        return np.floor_divide(input, other)


class Lerp(Function):
    """input + weight·(end − input) by torch's kernel (cpu_math.lerp: one fused multiply-add
    from the nearer end); a number weight is LerpBackward0, a tensor weight LerpBackward1."""

    node_name = "LerpBackward0"
    symbol = "lerp"
    broadcasts = "lerp"

    @staticmethod
    def forward(ctx, input, end, weight):
        if isinstance(weight, np.ndarray):
            ctx.node_name = "LerpBackward1"
            ctx.save_for_backward(weight, input, end)
        else:  # a number: an option
            ctx.save_for_backward()
        input, end = promote(input, end)
        return cpu_math.lerp(input, end, weight)

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        if "weight" in ctx.options:  # torch: grad · (1 − w), w in float64
            weight = ctx.options["weight"]
            return grad * (1 - float(weight)) if need[0] else None, grad * weight
        weight, input, end = ctx.saved_tensors
        return (
            grad * (1 - weight) if need[0] else None,
            grad * weight if need[1] else None,
            grad * (end - input) if need[2] else None,
        )


def lerp(input, end, weight):
    """input + weight·(end − input), weight a number (an option, as torch's Scalar) or a
    tensor of input's dtype (torch.lerp)."""
    if not isinstance(end, Tensor):
        raise TypeError(
            f"lerp(): argument 'end' must be a Tensor, not {type(end).__name__}. Wrap it: "
            "torch.full_like(input, end)."
        )
    if not isinstance(weight, Tensor | np.ndarray):
        return Lerp.apply(input, end, weight=weight)
    if weight.dtype != input.dtype:
        raise DtypeError(
            f"lerp: expected dtype {input.dtype} for `weight` but got dtype {weight.dtype}. "
            "Convert it: weight.to(input.dtype)."
        )
    return Lerp.apply(input, end, weight)


class Addcmul(Function):
    """input + value·tensor1·tensor2 by torch's kernel: (value·tensor1)·tensor2 + input, the
    last two fused (cpu_math.addcmul)."""

    node_name = "AddcmulBackward0"
    symbol = "addcmul"
    broadcasts = "addcmul"

    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value=1):
        need = ctx.needs_input_grad
        ctx.save_for_backward(tensor2 if need[1] else None, tensor1 if need[2] else None)
        return cpu_math.addcmul(input, tensor1, tensor2, value)

    @staticmethod
    def backward(ctx, grad):
        tensor2, tensor1 = ctx.saved_tensors
        need, value = ctx.needs_input_grad, ctx.options.get("value", 1)
        return (
            grad if need[0] else None,
            grad * (tensor2 * value) if need[1] else None,
            grad * (tensor1 * value) if need[2] else None,
        )


def addcmul(input, tensor1, tensor2, *old, value=1):
    """input + value · tensor1 · tensor2 (hand-written optimizers' update; torch's old order
    addcmul(input, value, tensor1, tensor2) too)."""
    if old:
        value, tensor1, tensor2 = old_order("addcmul", input, tensor1, tensor2, *old)
    return Addcmul.apply(input, tensor1, tensor2, value=value)


class Addcdiv(Function):
    """input + value·tensor1 / tensor2 by torch's kernel: (value·tensor1) / tensor2 + input."""

    node_name = "AddcdivBackward0"
    symbol = "addcdiv"
    broadcasts = "addcdiv"

    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value=1):
        if all(np.asarray(t).dtype.kind in "iub" for t in (tensor1, tensor2)):
            raise DtypeError(
                "addcdiv: integer division with addcdiv is no longer supported, and in a "
                "future release addcdiv will perform a true division of tensor1 and tensor2. "
                "Use (input + value * tensor1 / tensor2) for a true division, or floor_divide "
                "for a floor division."
            )
        need = ctx.needs_input_grad
        ctx.save_for_backward(tensor2 if any(need[1:]) else None, tensor1 if need[2] else None)
        return cpu_math.addcdiv(input, tensor1, tensor2, value)

    @staticmethod
    def backward(ctx, grad):
        tensor2, tensor1 = ctx.saved_tensors
        need, value = ctx.needs_input_grad, ctx.options.get("value", 1)
        return (
            grad if need[0] else None,
            grad * (value / tensor2) if need[1] else None,
            -grad * (value * tensor1 / (tensor2 * tensor2)) if need[2] else None,
        )


def addcdiv(input, tensor1, tensor2, *old, value=1):
    """input + value · tensor1 / tensor2 (torch's old order addcdiv(input, value, tensor1,
    tensor2) too)."""
    if old:
        value, tensor1, tensor2 = old_order("addcdiv", input, tensor1, tensor2, *old)
    return Addcdiv.apply(input, tensor1, tensor2, value=value)


_SCALED = ("alpha, Tensor other", "Tensor other, *, Number alpha = 1")
_PRODUCT = (
    "value, Tensor tensor1, Tensor tensor2",
    "Tensor tensor1, Tensor tensor2, *, Number value = 1",
)
# torch's deprecated argument orders (the number first) and the order it suggests instead
_OLD_ORDER = {"add": _SCALED, "sub": _SCALED, "addcmul": _PRODUCT, "addcdiv": _PRODUCT}
_old_order_warned = []  # torch warns about them once a process


def old_order(op: str, input, number, *tensors, method: bool = False, in_place: bool = False):
    """(number, *tensors) of a call in torch's old order (`x.add_(-lr, grad)`,
    `v.addcmul_(1 - beta2, g, g)`, `torch.add(x, -lr, grad)`), after torch's deprecation
    warning (once a process, as torch gives it); a TypeError for anything else."""
    moved, instead = _OLD_ORDER[op]
    if not isinstance(number, numbers.Number) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(
            f"{op}(): got {1 + len(tensors)} positional arguments after the tensor; give the "
            f"number as a keyword: {op}({instead})."
        )
    name = op + "_" * in_place
    self_ = "" if method else "Tensor input, "
    out = "" if method else ", *, Tensor out = None"
    if not _old_order_warned:
        _old_order_warned.append(True)
        warnings.warn(
            f"This overload of {name} is deprecated:\n\t{name}({self_}Number {moved}{out})\n"
            f"Consider using one of the following signatures instead:\n\t{name}({self_}"
            f"{instead}{out.replace(', *', '')})",
            UserWarning,
            stacklevel=4 if method else 3,
        )
    return (number, *tensors)
