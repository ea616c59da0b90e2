# Fitting constrained parameters as unconstrained tensors, as Pyro-style code does: a Gaussian's
# positive scale through transform_to(positive), a mixture's weights on the simplex through
# biject_to(simplex) (stick breaking), a correlation through the Cholesky factor of a
# correlation matrix, and a covariance through transform_to(positive_definite). Seeded: the
# printed numbers equal torch's.
import torch
import torch.distributions.constraint_registry as registry
from torch.distributions import (
    Categorical,
    MixtureSameFamily,
    MultivariateNormal,
    Normal,
    biject_to,
    constraints,
    transform_to,
)

torch.manual_seed(0)
data = torch.cat([torch.randn(40) * 0.5 - 1.0, torch.randn(60) * 0.7 + 2.0])
raw_scale = torch.zeros(2, requires_grad=True)
raw_weights = torch.zeros(1, requires_grad=True)
locs = torch.tensor([-0.5, 0.5], requires_grad=True)
to_scale = transform_to(Normal.arg_constraints["scale"])
to_weights = registry.biject_to(constraints.simplex)
opt = torch.optim.Adam([raw_scale, raw_weights, locs], lr=0.1)
for step in range(6):
    scale, weights = to_scale(raw_scale), to_weights(raw_weights)
    mix = MixtureSameFamily(Categorical(probs=weights), Normal(locs, scale))
    nll = -mix.log_prob(data).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    print(f"step {step} nll {nll.item():.5f} scale {scale.tolist()} weights {weights.tolist()}")
print("back to unconstrained", to_scale.inv(to_scale(raw_scale)).tolist())

points = torch.randn(50, 3) @ torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.1, -0.3, 0.9]])
raw_corr = torch.zeros(3, requires_grad=True)
raw_sd = torch.zeros(3, requires_grad=True)
raw_cov = torch.zeros(3, 3, requires_grad=True)
opt = torch.optim.Adam([raw_corr, raw_sd, raw_cov], lr=0.1)
to_corr = biject_to(constraints.corr_cholesky)
to_sd = biject_to(constraints.independent(constraints.positive, 1))
to_cov = transform_to(constraints.positive_definite)
for step in range(6):
    L = to_sd(raw_sd).unsqueeze(-1) * to_corr(raw_corr)
    nll = -MultivariateNormal(torch.zeros(3), scale_tril=L).log_prob(points).mean()
    nll_cov = -MultivariateNormal(torch.zeros(3), to_cov(raw_cov)).log_prob(points).mean()
    log_det = to_corr.log_abs_det_jacobian(raw_corr, to_corr(raw_corr))
    opt.zero_grad()
    (nll + nll_cov).backward()
    opt.step()
    print(f"step {step} nll {nll.item():.5f} {nll_cov.item():.5f} log_det {log_det.item():.5f}")
corr = to_corr(raw_corr)
print("correlation", (corr @ corr.T).tolist())
print("covariance", to_cov(raw_cov).tolist())
