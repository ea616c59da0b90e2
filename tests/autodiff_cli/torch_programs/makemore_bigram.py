# Karpathy's makemore lecture 1, shortened: bigram counts, sampling with a seeded generator,
# then the one-layer network with W = randn((27, 27), generator=g). The seed decides every
# sampled index, so they equal torch's exactly.
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
n = len(stoi)

N = torch.zeros((n, n), dtype=torch.int32)
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1

g = torch.Generator().manual_seed(2147483647)
p = torch.rand(3, generator=g)
p = p / p.sum()
print([f"{v:.4f}" for v in p.tolist()])
print(torch.multinomial(p, num_samples=20, replacement=True, generator=g).tolist())

P = (N + 1).float()
P /= P.sum(1, keepdim=True)
g = torch.Generator().manual_seed(2147483647)
for _ in range(3):
    ix, out = 0, []
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
        out.append(ix)
        if ix == 0:
            break
    print(out)

xs, ys = [], []
for w in words:
    chs = ["."] + list(w) + ["."]
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs, ys = torch.tensor(xs), torch.tensor(ys)
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((n, n), generator=g, requires_grad=True)
print([f"{v:.4f}" for v in W[0, :5].tolist()])
for _ in range(10):
    logits = F.one_hot(xs, num_classes=n).float() @ W
    probs = logits.exp() / logits.exp().sum(1, keepdim=True)
    loss = -probs[torch.arange(len(xs)), ys].log().mean()
    W.grad = None
    loss.backward()
    W.data += -10 * W.grad
print(f"{loss.item():.4f}")
torch.manual_seed(42)
print(torch.randint(0, len(xs), (8,)).tolist(), torch.randperm(6).tolist())
print(torch.nn.Linear(3, 2).weight.flatten().tolist()[:3])
