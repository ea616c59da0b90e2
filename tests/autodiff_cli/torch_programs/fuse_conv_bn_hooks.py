# PyTorch's "Fusing Convolution and Batch Norm using Custom Function" tutorial and the module
# and tensor hooks pages: a fused conv+BN Function with its own backward (checked by gradcheck),
# forward pre-hooks, forward hooks with kwargs, full backward (pre-)hooks, Tensor.register_hook,
# saved_tensors_hooks and register_post_accumulate_grad_hook.
import torch
import torch.nn as nn
import torch.nn.functional as F


def convolution_backward(grad_out, X, weight):
    grad_input = F.conv2d(X.transpose(0, 1), grad_out.transpose(0, 1)).transpose(0, 1)
    grad_X = F.conv_transpose2d(grad_out, weight)
    return grad_X, grad_input


def unsqueeze_all(t):
    return t[None, :, None, None]


def batch_norm_backward(grad_out, X, sum, sqrt_var, N, eps):
    tmp = ((X - unsqueeze_all(sum) / N) * grad_out).sum(dim=(0, 2, 3))
    tmp *= -1
    d_denom = tmp / (sqrt_var + eps) ** 2
    d_var = d_denom / (2 * sqrt_var)
    d_mean_dx = grad_out / unsqueeze_all(sqrt_var + eps)
    d_mean_dx = unsqueeze_all(-d_mean_dx.sum(dim=(0, 2, 3)) / N)
    grad_input = X * unsqueeze_all(d_var * N)
    grad_input += unsqueeze_all(-d_var * sum)
    grad_input *= 2 / ((N - 1) * N)
    grad_input += d_mean_dx
    grad_input *= unsqueeze_all(sqrt_var + eps)
    grad_input += grad_out
    grad_input /= unsqueeze_all(sqrt_var + eps)
    return grad_input


def batch_norm(input, eps=1e-3):
    sum = input.sum(dim=(0, 2, 3))
    var = input.var(dim=(0, 2, 3))
    N = input.numel() / input.size(1)
    sqrt_var = torch.sqrt(var)
    mean = sum / N
    denom = sqrt_var + eps
    out = input - unsqueeze_all(mean)
    out /= unsqueeze_all(denom)
    return out, sum, sqrt_var, N


class FusedConvBN2DFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, conv_weight, eps=1e-3):
        assert X.ndim == 4
        ctx.save_for_backward(X, conv_weight)
        X = F.conv2d(X, conv_weight)
        out, sum, sqrt_var, N = batch_norm(X, eps)
        ctx.eps, ctx.N = eps, N
        ctx.save_for_backward(X, conv_weight, sum, sqrt_var)  # the last call wins
        ctx.X_in = None
        return out

    @staticmethod
    def backward(ctx, grad_out):
        X_conv, conv_weight, sum, sqrt_var = ctx.saved_tensors
        grad_out = batch_norm_backward(grad_out, X_conv, sum, sqrt_var, ctx.N, ctx.eps)
        grad_X, grad_input = convolution_backward(grad_out, ctx.X_in, conv_weight)
        return grad_X, grad_input, None


class FusedConvBN(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, eps=1e-3):
        super().__init__()
        self.conv_weight = nn.Parameter(
            torch.empty(out_channels, in_channels, kernel_size, kernel_size)
        )
        self.eps = eps
        with torch.no_grad():
            self.conv_weight.copy_(
                torch.linspace(-1, 1, self.conv_weight.numel())
                .reshape(self.conv_weight.shape)
                .sin()
            )

    def forward(self, X):
        return FusedApply.apply(X, self.conv_weight, self.eps)


class FusedApply(FusedConvBN2DFunction):
    @staticmethod
    def forward(ctx, X, conv_weight, eps=1e-3):
        out = FusedConvBN2DFunction.forward(ctx, X, conv_weight, eps)
        ctx.X_in = X
        return out


torch.manual_seed(0)
X = torch.rand(2, 3, 5, 5, requires_grad=True, dtype=torch.double)
W = torch.rand(4, 3, 3, 3, requires_grad=True, dtype=torch.double)
print("gradcheck", torch.autograd.gradcheck(FusedApply.apply, (X, W)))
ref = nn.BatchNorm2d(4, affine=False, eps=1e-3).double()
unfused = ref(F.conv2d(X, W))
print("vs unfused (unbiased var)", round((FusedApply.apply(X, W) - unfused).abs().max().item(), 6))

log = []
model = nn.Sequential(FusedConvBN(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
model.double()
model[0].register_forward_pre_hook(lambda m, args: log.append(("pre", tuple(args[0].shape))))
model[3].register_forward_pre_hook(lambda m, args: (args[0] * 2,))


def fwd_kwargs(module, args, kwargs, output):
    log.append(("fwd", sorted(kwargs), tuple(output.shape)))
    return output + 1


model[3].register_forward_hook(fwd_kwargs, with_kwargs=True)
model[1].register_full_backward_pre_hook(
    lambda m, gout: log.append(("bpre", round(gout[0].abs().sum().item(), 4)))
)
model[3].register_full_backward_hook(
    lambda m, gin, gout: log.append(("bwd", tuple(gin[0].shape), round(gout[0].sum().item(), 4)))
)
model[3].weight.register_post_accumulate_grad_hook(
    lambda p: log.append(("acc", round(p.grad.abs().sum().item(), 4)))
)

x = torch.rand(2, 1, 6, 6, dtype=torch.double).requires_grad_()
h = x.register_hook(lambda g: g * 3)
out = model(x)
loss = out.pow(2).mean()
loss.backward()
for entry in log:
    print(entry)
print("x.grad", x.grad.abs().sum().item())
print("conv grad", model[0].conv_weight.grad.flatten()[:4])
h.remove()

packed = []
with torch.autograd.graph.saved_tensors_hooks(
    lambda t: (packed.append(tuple(t.shape)), t * 1)[1], lambda t: t
):
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (a * a).sin().sum()
y.backward()
print("packed", packed, a.grad)

opt = torch.optim.SGD(model.parameters(), lr=0.1)
target = torch.tensor([1, 0])
log.clear()
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(x.detach()), target)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))
print(len(log), [e[0] for e in log[:4]])


class Bilinear(nn.Module):
    """Two inputs that require grad: the full backward hook sees both gradients at once."""

    def forward(self, a, b):
        return (a * b).sum(1).tanh()


bil = Bilinear()
bil.register_full_backward_hook(
    lambda m, gin, gout: print("bilinear", [round(g.abs().sum().item(), 4) for g in gin])
)
bil.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 2, gin[1]))
a = torch.linspace(-1, 1, 6).reshape(2, 3).requires_grad_()
b = torch.linspace(0.5, 2, 6).reshape(2, 3).requires_grad_()
y = bil(a, b)
y.grad_fn.register_prehook(lambda gout: print("node prehook", gout[0].tolist()))
(y * torch.tensor([1.0, -2.0])).sum().backward()
print(y.grad_fn.name(), a.grad, b.grad)
