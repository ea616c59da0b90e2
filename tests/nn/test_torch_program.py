"""A PyTorch-style training program written once against a library namespace and run on torch
and on this project: a Dataset subclass, Subset, DataLoader, a model with LayerNorm, Embedding,
Unflatten and a GRU, NAdam with OneCycleLR, then Adamax with ReduceLROnPlateau on the
validation loss. The final parameters and every loss agree with torch's."""

import numpy as np
import pytest

import autodiff as ad
import nn


def _program(torch_like, nn_lib, F, optim, data, dtype):
    """The program; each argument is torch's module or ours."""
    rng = np.random.default_rng(0)
    tokens, labels = rng.integers(0, 9, (40, 6)), rng.integers(0, 3, 40)
    extra = rng.standard_normal((40, 4))

    class Sequences(data.Dataset):
        def __len__(self):
            return len(labels)

        def __getitem__(self, i):
            return {"tokens": tokens[i], "extra": extra[i]}, int(labels[i])

    dataset = Sequences()
    train = data.Subset(dataset, list(range(30)))
    val = data.Subset(dataset, list(range(30, 40)))
    train_loader = data.DataLoader(train, batch_size=8, drop_last=False, num_workers=0)
    val_loader = data.DataLoader(val, batch_size=5)

    class Model(nn_lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn_lib.Embedding(9, 4, padding_idx=0, dtype=dtype)
            self.gru = nn_lib.GRU(4, 5, batch_first=True, dtype=dtype)
            self.extra = nn_lib.Sequential(
                nn_lib.Linear(4, 6, dtype=dtype),
                nn_lib.Unflatten(1, (2, 3)),
                nn_lib.LayerNorm(3, dtype=dtype),
                nn_lib.Flatten(),
            )
            self.head = nn_lib.Linear(11, 3, dtype=dtype)

        def forward(self, batch):
            _, h = self.gru(self.embed(batch["tokens"]))
            return self.head(torch_like.cat([h[-1], self.extra(batch["extra"])], 1))

    model = Model()
    yield model  # the caller aligns the two models' parameters here
    losses = []
    opt = optim.NAdam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, epochs=2, steps_per_epoch=4)
    for _ in range(2):
        for batch, y in train_loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(batch), y)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
    opt = optim.Adamax(model.parameters(), lr=0.02)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    for _ in range(3):
        for batch, y in train_loader:
            opt.zero_grad()
            F.cross_entropy(model(batch), y).backward()
            opt.step()
        val_loss = sum(F.cross_entropy(model(b), y, reduction="sum").item() for b, y in val_loader)
        plateau.step(val_loss)
        losses.append(val_loss)
    yield losses, plateau.get_last_lr()


def test_the_same_program_gives_torchs_numbers():
    torch = pytest.importorskip("torch")
    theirs = _program(
        torch, torch.nn, torch.nn.functional, torch.optim, torch.utils.data, torch.float64
    )
    ours = _program(ad, nn, nn.functional, nn.optim, nn.data, ad.float64)
    model_t, model = next(theirs), next(ours)
    model.load_state_dict({k: v.detach().numpy() for k, v in model_t.state_dict().items()})
    (losses_t, lr_t), (losses, lr) = next(theirs), next(ours)
    np.testing.assert_allclose(losses, losses_t, rtol=1e-9)
    assert lr == pytest.approx(lr_t, rel=1e-12)
    for (k, a), b in zip(model.state_dict().items(), model_t.state_dict().values()):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-8, atol=1e-10, err_msg=k)
