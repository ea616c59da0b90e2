# torch.distributions as tutorials use them: a VAE (Normal rsample, kl_divergence to the
# standard Normal, Independent), a REINFORCE policy gradient (Categorical sample, log_prob,
# entropy), and a Bayesian-style fit of a MultivariateNormal and a Uniform / Exponential /
# Laplace check, and the Gamma family (a Gamma's rsample is differentiable in its
# concentration). Seeded, so the printed numbers equal torch's.
import torch
import torch.nn as nn
from torch.distributions import (
    Beta,
    Categorical,
    Chi2,
    Dirichlet,
    Exponential,
    Gamma,
    Independent,
    Laplace,
    MultivariateNormal,
    Normal,
    Poisson,
    Uniform,
    kl_divergence,
)

torch.manual_seed(0)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(6, 4)
        self.dec = nn.Linear(2, 6)

    def forward(self, x):
        mu, log_sigma = self.enc(x).chunk(2, dim=-1)
        q = Independent(Normal(mu, log_sigma.exp()), 1)
        z = q.rsample()
        prior = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
        recon = Normal(self.dec(z), 1.0).log_prob(x).sum(-1)
        return (kl_divergence(q, prior) - recon).mean()


vae = VAE()
opt = torch.optim.Adam(vae.parameters(), lr=0.05)
data = torch.randn(8, 6)
for step in range(5):
    opt.zero_grad()
    loss = vae(data)
    loss.backward()
    opt.step()
    print(f"vae step {step} loss {loss.item():.5f}")

policy = nn.Linear(3, 4)
opt = torch.optim.SGD(policy.parameters(), lr=0.1)
for episode in range(3):
    states = torch.randn(5, 3)
    dist = Categorical(logits=policy(states))
    actions = dist.sample()
    rewards = (actions == 2).float()
    loss = -(dist.log_prob(actions) * rewards).mean() - 0.01 * dist.entropy().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print("episode", episode, actions.tolist(), f"{loss.item():.5f}")

loc = torch.zeros(2, requires_grad=True)
raw = torch.tensor([[1.0, 0.0], [0.3, 0.8]], requires_grad=True)
points = torch.randn(20, 2) @ torch.tensor([[1.0, 0.5], [0.0, 0.7]]) + 1.0
opt = torch.optim.Adam([loc, raw], lr=0.1)
for step in range(4):
    mvn = MultivariateNormal(loc, scale_tril=torch.tril(raw))
    nll = -mvn.log_prob(points).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    print(f"mvn step {step} nll {nll.item():.5f} entropy {mvn.entropy().item():.5f}")
print("mvn draws", MultivariateNormal(loc, scale_tril=torch.tril(raw)).sample((2,)).tolist())

for dist in (Uniform(-1.0, 2.0), Exponential(torch.tensor([0.5, 2.0])), Laplace(0.0, 1.5)):
    x = dist.sample((3,))
    print(type(dist).__name__, x.tolist(), dist.log_prob(x).sum().item(), dist.mean)

shape = torch.tensor([0.5, 2.0, 7.0], requires_grad=True)
draws = Gamma(shape, 2.0).rsample((4,))
draws.sum().backward()
print("gamma", draws.tolist(), shape.grad.tolist())
prior, posterior = Beta(2.0, 2.0), Beta(torch.tensor(5.0), torch.tensor(3.0))
print("beta", posterior.sample((3,)).tolist(), kl_divergence(posterior, prior).item())
print("dirichlet", Dirichlet(torch.tensor([1.0, 2.0, 3.0])).sample((2,)).tolist())
print("poisson", Poisson(torch.tensor([0.5, 12.0])).sample((3,)).tolist())
print("chi2", Chi2(4.0).log_prob(torch.tensor(2.5)).item(), Chi2(4.0).entropy().item())
