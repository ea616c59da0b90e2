# PyTorch's "Extending PyTorch" note and "Double Backward with Custom Functions" tutorial: a
# Function in setup_context style, save_for_backward, mark_non_differentiable,
# set_materialize_grads, needs_input_grad, once_differentiable, double backward through a
# custom Function, gradcheck and gradgradcheck in float64.
import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable

VERBOSE = True  # gradcheck calls backward as often as it likes: print outside it only


class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias=None):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if VERBOSE:
            print("needs_input_grad", ctx.needs_input_grad)
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 2 * x  # built of differentiable ops: double backward works


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)  # saving the output
        return result

    @staticmethod
    def backward(ctx, grad_out):
        (result,) = ctx.saved_tensors
        return grad_out * result


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g1, g2):
        (idx,) = ctx.saved_tensors
        grad_input = torch.zeros_like(g1)
        grad_input.index_add_(0, idx, g1)
        return grad_input


class SplitHalves(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x[:2].clone(), x[2:].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, ga, gb):
        if VERBOSE:
            print("grads given", ga is None, gb is None)
        ga = torch.zeros(2, dtype=torch.double) if ga is None else ga
        gb = torch.zeros(2, dtype=torch.double) if gb is None else gb
        return torch.cat([ga, gb])


torch.manual_seed(0)
inp = torch.randn(4, 3, dtype=torch.double, requires_grad=True)
w = torch.randn(2, 3, dtype=torch.double, requires_grad=True)
b = torch.randn(2, dtype=torch.double, requires_grad=True)
out = LinearFunction.apply(inp, w, b)
out.sum().backward()
print(out.grad_fn.name(), w.grad, b.grad)
w.grad = None
LinearFunction.apply(inp.detach(), w, None).pow(2).sum().backward()
print(w.grad)
VERBOSE = False
print("gradcheck", torch.autograd.gradcheck(LinearFunction.apply, (inp, w, b), eps=1e-6, atol=1e-4))

VERBOSE = True
x = torch.tensor([0.5, -1.5, 2.0], dtype=torch.double, requires_grad=True)
y = Square.apply(x)
(g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
(gg,) = torch.autograd.grad(g.sum(), x)
print("square", g, gg)
print("gradgradcheck", torch.autograd.gradgradcheck(Square.apply, (x,)))
print("exp gradgradcheck", torch.autograd.gradgradcheck(Exp.apply, (x,)))
(g,) = torch.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
print("exp", g.grad_fn is not None, torch.autograd.grad(g.sum(), x)[0])

v, idx = SortWithIndices.apply(x)
print(v, idx, idx.requires_grad, v.requires_grad)
(v * torch.tensor([1.0, 2.0, 3.0], dtype=torch.double)).sum().backward()
print("sort grad", x.grad)

z = torch.arange(4.0, dtype=torch.double, requires_grad=True)
a, c = SplitHalves.apply(z)
(a * 3).sum().backward()
print("split grad", z.grad)
a, c = SplitHalves.apply(z)
(g,) = torch.autograd.grad((c**2).sum(), z, create_graph=True)
try:
    g.sum().backward()
except RuntimeError as e:
    print("RuntimeError", "once_differentiable" in str(e) or "does not require grad" in str(e))
VERBOSE = False
print(torch.autograd.gradcheck(lambda t: SplitHalves.apply(t)[1], (z,)))


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        return g


try:
    WrongCount.apply(z, z).sum().backward()
except RuntimeError as e:
    print("RuntimeError", e)
print(WrongCount.apply(z, 2.0).requires_grad, WrongCount.apply(z.detach(), 2.0).requires_grad)
with torch.no_grad():
    print(WrongCount.apply(z, 2.0).requires_grad)
