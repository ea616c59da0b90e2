# torch.distributions beyond the basic families, as RL and density-fitting code uses them: a
# SAC-style tanh-squashed Gaussian policy (TransformedDistribution with TanhTransform and
# AffineTransform, rsample and log_prob through the cache), a Gaussian mixture fitted by
# maximum likelihood (MixtureSameFamily), LogNormal / HalfNormal / StudentT, a Gumbel-softmax
# (RelaxedOneHotCategorical), and the discrete families OneHotCategorical, Binomial and
# Geometric with their kl_divergence. Seeded: the printed numbers equal torch's.
import torch
import torch.distributions.transforms as T
import torch.nn as nn
from torch.distributions import (
    Binomial,
    Categorical,
    Geometric,
    HalfNormal,
    Independent,
    LogNormal,
    MixtureSameFamily,
    Normal,
    OneHotCategorical,
    RelaxedOneHotCategorical,
    StudentT,
    TransformedDistribution,
    kl_divergence,
)

torch.manual_seed(0)


class Policy(nn.Module):
    """A Gaussian on 2 actions, squashed by tanh into [-2, 2]."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 4)

    def forward(self, state):
        mu, log_std = self.body(state).chunk(2, dim=-1)
        base = Independent(Normal(mu, log_std.clamp(-5, 2).exp()), 1)
        squash = [T.TanhTransform(cache_size=1), T.AffineTransform(0.0, 2.0)]
        return TransformedDistribution(base, squash)


policy = Policy()
opt = torch.optim.Adam(policy.parameters(), lr=0.05)
for step in range(4):
    states = torch.randn(6, 3)
    dist = policy(states)
    action = dist.rsample()
    log_prob = dist.log_prob(action)
    q_value = -(action - 0.5).pow(2).sum(-1)  # a stand-in critic
    loss = (0.2 * log_prob - q_value).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"sac step {step} loss {loss.item():.5f} log_prob {log_prob.mean().item():.5f}")

points = torch.cat([torch.randn(30) * 0.5 - 2.0, torch.randn(30) * 0.8 + 1.5])
logits = torch.zeros(2, requires_grad=True)
locs = torch.tensor([-0.5, 0.5], requires_grad=True)
log_scales = torch.zeros(2, requires_grad=True)
opt = torch.optim.Adam([logits, locs, log_scales], lr=0.1)
for step in range(5):
    gmm = MixtureSameFamily(Categorical(logits=logits), Normal(locs, log_scales.exp()))
    nll = -gmm.log_prob(points).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    print(f"gmm step {step} nll {nll.item():.5f} mean {gmm.mean.item():.5f}")
print("gmm draws", gmm.sample((4,)).tolist(), "variance", gmm.variance.item())

log_normal = LogNormal(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.25]))
x = log_normal.sample((3,))
print("lognormal", x.tolist(), log_normal.log_prob(x).sum().item(), log_normal.mean.tolist())
half = HalfNormal(torch.tensor([1.0, 2.0]))
print("halfnormal", half.rsample((2,)).tolist(), half.entropy().tolist())
print("kl halfnormal", kl_divergence(half, HalfNormal(torch.tensor([1.5, 1.0]))).tolist())

one_hot = OneHotCategorical(logits=torch.tensor([0.5, -1.0, 2.0]))
draws = one_hot.sample((5,))
print("onehot", draws.tolist(), one_hot.log_prob(draws).tolist())
print("kl onehot", kl_divergence(one_hot, OneHotCategorical(torch.ones(3))).item())
coins = Binomial(torch.tensor([10.0, 40.0]), torch.tensor([0.3, 0.6]))
print("binomial", coins.sample((3,)).tolist(), coins.log_prob(torch.tensor([3.0, 20.0])).tolist())
print("kl binomial", kl_divergence(coins, Binomial(torch.tensor([10.0, 40.0]), 0.5)).tolist())
waits = Geometric(torch.tensor([0.2, 0.7]))
print("geometric", waits.sample((3,)).tolist(), waits.entropy().tolist())
print("kl geometric", kl_divergence(waits, Geometric(torch.tensor([0.5, 0.5]))).tolist())
t = StudentT(torch.tensor([3.0, 10.0]), torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
print("studentt", t.rsample((3,)).tolist(), t.entropy().tolist(), t.variance.tolist())
scores = torch.tensor([1.0, -0.5, 0.3], requires_grad=True)
soft = RelaxedOneHotCategorical(torch.tensor(0.5), logits=scores).rsample((2,))
(soft * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print("gumbel softmax", soft.tolist(), scores.grad.tolist())
