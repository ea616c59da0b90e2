"""Complex numbers: the parts of a complex tensor (real, imag, angle), its conjugate, and the
ways to build one (torch.complex, torch.polar, view_as_complex) or to see it as real pairs
(view_as_real), with torch's gradients.

Gradients follow torch's convention, the conjugate Wirtinger derivative: for a real loss L,
z.grad = dL/dRe(z) + i dL/dIm(z). A holomorphic f then passes grad * conj(f'(z)) back, and a
real input of a complex op takes the real part of what reaches it (the engine does that).
"""

import builtins

import numpy as np

from .. import storage
from ..errors import DtypeError, ShapeError
from ..function import Function
from ..tensor import Tensor

__all__ = ["angle", "complex", "conj_physical", "polar", "view_as_complex", "view_as_real"]

_make = Tensor._make


def is_complex_value(x) -> bool:
    """Whether x (an array, a Tensor or a Python number) holds complex numbers."""
    if isinstance(x, (Tensor, np.ndarray)):
        return x.dtype.kind == "c"
    return isinstance(x, (builtins.complex, np.complexfloating))


def conj_of(x):
    """x's conjugate where x is complex, x itself otherwise: a formula written for real
    tensors, grad * f'(x), becomes torch's grad * conj(f'(x)) at no cost for real ones. Works
    on arrays (first-order backward), Tensors (recorded) and Python numbers."""
    if type(x) is np.ndarray:  # the common case first: it runs in every Mul's backward
        return np.conj(x) if x.dtype.kind == "c" else x
    if not is_complex_value(x):
        return x
    return Conj.apply(x) if isinstance(x, Tensor) else x.conjugate()  # numbers keep their type


def refuse_complex(op: str, input, error=NotImplementedError) -> None:
    """torch refuses op on complex values (an order, a rounding, a clamp): so do we, rather
    than give NumPy's answer (complex numbers compared by real part first)."""
    if isinstance(input, Tensor) and input.is_complex():
        raise error(
            f"{op}: not supported for complex tensors (got {input.dtype}), as in torch. Apply "
            "it to z.abs(), z.real or z.imag instead."
        )


def real_part(x):
    """The real part of an array or Tensor (the gradient that reaches a real input)."""
    return Real.apply(x) if isinstance(x, Tensor) else x.real


class Conj(Function):
    """conj(z): a copy here (torch's is a lazy view with is_conj() True); its gradient is
    conj(grad)."""

    node_name = "ConjBackward0"
    symbol = "z̄"
    array_backward = True
    complex_grad = True

    @staticmethod
    def numpy_forward(input):
        return np.conj

    @staticmethod
    def forward(ctx, input):
        return np.conj(input)

    @staticmethod
    def backward(ctx, grad):
        return conj_of(grad)


def conj_physical(input):
    """The complex conjugate (torch.conj_physical): conj() here already makes a copy."""
    return input.conj()


class Real(Function):
    """The real part, a view of the complex storage, as torch's (writes reach the tensor)."""

    node_name = "RealBackward0"
    symbol = "Re"
    view = True
    complex_grad = True
    splits_complex = True  # an in-place write through it with grad is refused (CopySlices)

    @staticmethod
    def forward(ctx, input):
        return input.real

    @staticmethod
    def backward(ctx, grad):  # d Re(z): the gradient lands on the real part
        return grad.to(ctx.input_meta[0][1])


class Imag(Function):
    """The imaginary part, a view of the complex storage, as torch's."""

    node_name = "ImagBackward0"
    symbol = "Im"
    view = True
    complex_grad = True
    splits_complex = True

    @staticmethod
    def forward(ctx, input):
        return input.imag

    @staticmethod
    def backward(ctx, grad):  # d Im(z): the gradient lands on the imaginary part, i·grad
        return Complex.apply(grad * 0.0, grad)


class Angle(Function):
    """The argument of z in (-pi, pi]; of a real tensor, 0 or pi (gradient 0, as torch)."""

    node_name = "AngleBackward0"
    symbol = "arg"
    complex_grad = True

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        out = np.angle(input)
        return out if input.dtype.kind in "fc" else out.astype(np.float32)

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        if not z.is_complex():
            return grad * 0.0
        # torch: grad · i z / |z|², and 0 where z = 0
        r2 = z.abs() ** 2
        nonzero = (r2 != 0).to(r2.dtype)
        g = Complex.apply(grad * 0.0, grad) * z / (r2 + (1 - nonzero))
        return g * nonzero


def angle(input):
    """The element-wise argument (torch.angle): atan2(imag, real) for complex input; 0 or pi
    for real input (integers give float32)."""
    return Angle.apply(input)


class Complex(Function):
    """real + i·imag from two real tensors of one floating dtype (torch.complex)."""

    node_name = "ComplexBackward0"
    symbol = "ℂ"
    complex_grad = True

    @staticmethod
    def forward(ctx, real, imag):
        out = np.empty(np.broadcast_shapes(real.shape, imag.shape), _complex_of(real.dtype))
        out.real, out.imag = real, imag
        return out

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        return (Real.apply(grad) if need[0] else None, Imag.apply(grad) if need[1] else None)


def _complex_of(dtype) -> np.dtype:
    return np.dtype(np.complex128 if dtype == np.float64 else np.complex64)


def complex(real, imag):
    """real + i·imag (torch.complex): both float32 (complex64) or both float64 (complex128),
    broadcast together."""
    _same_floating("complex", real, imag, "real", "imag")
    return Complex.apply(real, imag)


def _same_floating(op: str, a, b, name_a: str, name_b: str) -> None:
    for name, t in ((name_a, a), (name_b, b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if a.dtype != b.dtype:
        raise DtypeError(
            f"{op}: Expected object of scalar type {a.dtype} but got scalar type {b.dtype} for "
            f"second argument. Give {name_a} and {name_b} one dtype."
        )
    if a.dtype not in (np.float32, np.float64):
        raise DtypeError(
            f"{op}: Expected both inputs to be Half, Float or Double tensors but got {a.dtype} "
            f"and {b.dtype}. Convert first, e.g. t.float()."
        )


class Polar(Function):
    """abs · e^(i·angle) (torch.polar)."""

    node_name = "PolarBackward0"
    symbol = "polar"
    complex_grad = True

    @staticmethod
    def forward(ctx, abs, angle):
        out = np.empty(np.broadcast_shapes(abs.shape, angle.shape), _complex_of(abs.dtype))
        out.real, out.imag = abs * np.cos(angle), abs * np.sin(angle)
        ctx.save_for_backward(abs, angle)
        return out

    @staticmethod
    def backward(ctx, grad):
        # z = r e^(iθ): dL/dr = Re(grad · conj(e^(iθ))), dL/dθ = Re(grad · conj(i z))
        r, theta = ctx.saved_tensors
        unit = Complex.apply(theta.cos(), theta.sin())
        g_unit = grad * Conj.apply(unit)
        need = ctx.needs_input_grad
        grad_r = Real.apply(g_unit) if need[0] else None
        grad_theta = Imag.apply(g_unit) * r if need[1] else None  # Re(g·(-i)·conj(u))·r
        return grad_r, grad_theta


def polar(abs, angle):
    """abs · (cos(angle) + i·sin(angle)) (torch.polar): both float32 or both float64."""
    _same_floating("polar", abs, angle, "abs", "angle")
    return Polar.apply(abs, angle)


class ViewAsReal(Function):
    """A complex tensor seen as real pairs: shape (..., 2), a view of its storage."""

    node_name = "ViewAsRealBackward0"
    symbol = "ℝ²"
    view = True
    complex_grad = True
    splits_complex = True

    @staticmethod
    def forward(ctx, input):
        part = input.real  # a view with the complex strides; the imaginary part is next to it
        root = storage.root(input)
        if not (root.flags.c_contiguous or root.flags.f_contiguous):  # no buffer to view
            return np.stack([part, input.imag], -1)
        offset = storage.data_ptr(part) - storage.data_ptr(root) if part.size else 0
        steps = part.strides + (part.itemsize,)
        return np.ndarray(input.shape + (2,), part.dtype, root, offset, steps)

    @staticmethod
    def backward(ctx, grad):
        return ViewAsComplex.apply(grad.contiguous())


class ViewAsComplex(Function):
    """Real pairs (last dim 2) seen as complex numbers, a view of the storage."""

    node_name = "ViewAsComplexBackward0"
    symbol = "ℂ←ℝ²"
    view = True
    complex_grad = True

    @staticmethod
    def forward(ctx, input):
        return input.view(_complex_of(input.dtype))[..., 0]

    @staticmethod
    def backward(ctx, grad):
        return ViewAsReal.apply(grad)


def view_as_real(input):
    """A complex tensor's storage as real pairs (torch.view_as_real): shape (..., 2)."""
    if not input.is_complex():
        raise DtypeError(
            f"view_as_real is only supported for complex tensors, got {input.dtype}. "
            "Make a complex tensor first (torch.complex, torch.polar)."
        )
    return ViewAsReal.apply(input)


def view_as_complex(input):
    """Real pairs as complex numbers (torch.view_as_complex): float32 or float64, last dim of
    size 2 and stride 1, other strides even, as torch requires."""
    if input.dtype not in (np.float32, np.float64):
        raise DtypeError(
            "view_as_complex is only supported for float and double tensors, but got a tensor "
            f"of scalar type: {input.dtype}"
        )
    if input.ndim == 0 or input.shape[-1] != 2:
        raise ShapeError(f"Tensor must have a last dimension of size 2, got shape {input.shape}")
    steps = input.stride()
    if steps[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in steps[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return ViewAsComplex.apply(input)
