# PyTorch's "Forward-mode Automatic Differentiation" tutorial, small: dual tensors in a
# dual_level, a function's tangent, the Linear module with dual parameters (delattr, setattr),
# functional_call, and what is printed of duals and their unpacked parts.
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn as nn
from torch.func import functional_call

torch.manual_seed(0)
primal = torch.randn(4, 4)
tangent = torch.randn(4, 4)


def fn(x, y):
    return x**2 + y**2


with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent
    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
    plain_tensor = torch.randn(4, 4)
    dual_output = fn(dual_input, plain_tensor)
    print("dual output:", dual_output)
    unpacked = fwAD.unpack_dual(dual_output)
    print("primal:", unpacked.primal)
    jvp = unpacked.tangent
    print("jvp:", jvp)
    print("jvp is 2 x tangent:", torch.allclose(jvp, 2 * primal * tangent))

assert fwAD.unpack_dual(dual_output).tangent is None
print("after the level:", fwAD.unpack_dual(dual_output))

model = nn.Linear(5, 3)
input = torch.randn(6, 5)
params = {name: p for name, p in model.named_parameters()}
tangents = {name: torch.rand_like(p) for name, p in params.items()}

with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))
    out = model(input)
    jvp = fwAD.unpack_dual(out).tangent
    print("module jvp:", jvp.detach())  # torch: with a grad_fn of its forward formulas
    expected = input @ tangents["weight"].T + tangents["bias"]
    print("equals x Wt^T + bt:", torch.allclose(jvp, expected, atol=1e-6))

model = nn.Linear(5, 3)
dual_params = {}
with fwAD.dual_level():
    for name, p in params.items():
        dual_params[name] = fwAD.make_dual(p, tangents[name])
    out = functional_call(model, dual_params, input)
    jvp2 = fwAD.unpack_dual(out).tangent
    print("functional_call jvp:", jvp2.detach())
    print("same as before:", torch.allclose(jvp, jvp2))

# a nonlinear chain, and reverse mode through a tangent
x = torch.randn(3, requires_grad=True)
v = torch.randn(3)
with fwAD.dual_level():
    y = torch.tanh(fwAD.make_dual(x, v)).exp().sum()
    primal_out, tangent_out = fwAD.unpack_dual(y)
    print("nested primal:", primal_out.detach(), "tangent:", tangent_out.detach())
    tangent_out.backward()
    print("d(tangent)/dx:", x.grad)
