# Complex numbers in a model's code: LLaMA's rotary position embeddings (view_as_complex,
# polar, view_as_real) and a circular convolution by FFT, trained a few steps by hand.
import torch
import torch.fft


def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    return torch.polar(torch.ones_like(freqs), freqs)


def reshape_for_broadcast(freqs_cis, x):
    ndim = x.ndim
    shape = [d if i == 1 or i == ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


def apply_rotary_emb(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


torch.manual_seed(0)
batch, seq, heads, dim = 2, 5, 2, 8
freqs_cis = precompute_freqs_cis(dim, seq)
print("freqs_cis", freqs_cis[1, :2])
xq = torch.randn(batch, seq, heads, dim, requires_grad=True)
xk = torch.randn(batch, seq, heads, dim, requires_grad=True)
q, k = apply_rotary_emb(xq, xk, freqs_cis)
scores = torch.einsum("bshd,bthd->bhst", q, k) / dim**0.5
loss = scores.softmax(-1).pow(2).sum()
loss.backward()
print("rope loss", f"{loss.item():.5f}", "grad", f"{xq.grad.abs().sum().item():.5f}")
print("rope grad", f"{xk.grad[0, 1, 0, :4].tolist()}")

# learn a kernel so that a circular convolution by FFT maps x to target
n = 16
x = torch.randn(n)
target = torch.roll(x, 3) * 0.5 - x
kernel = torch.zeros(n, requires_grad=True)
for step in range(30):
    y = torch.fft.irfft(torch.fft.rfft(x) * torch.fft.rfft(kernel), n=n)
    loss = (y - target).pow(2).mean()
    loss.backward()
    with torch.no_grad():
        kernel -= 0.02 * kernel.grad
        kernel.grad = None
    if step % 10 == 9:
        print(step, f"{loss.item():.6f}")
print("kernel", [round(v, 4) for v in kernel[:5].tolist()])

# a complex parameter: fit z so that the spectrum of z matches a target spectrum
z = torch.zeros(6, dtype=torch.complex64, requires_grad=True)
spectrum = torch.fft.fft(torch.arange(6.0)) * (1 + 0.5j)
for _ in range(20):
    loss = (torch.fft.fft(z, norm="ortho") - spectrum).abs().pow(2).sum()
    loss.backward()
    with torch.no_grad():
        z -= 0.3 * z.grad
        z.grad = None
print("z", f"{loss.item():.5f}", z.detach()[1:3])
print("freq", torch.fft.fftshift(torch.fft.fftfreq(6, d=0.1)))
