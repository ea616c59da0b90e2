# torch.utils.data's pieces (dict batches, random_split, Subset, ConcatDataset, weighted and
# batch samplers, collate functions) and seeded nn.functional calls, as tutorials use them.
import torch
import torch.nn.functional as F
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

torch.manual_seed(0)


class Words(Dataset):
    def __init__(self, n):
        self.items = [(f"w{i}", i, torch.full((2,), float(i))) for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        name, label, feats = self.items[idx]
        return {"name": name, "label": label, "feats": feats, "meta": {"len": len(name)}}


ds = Words(10)
for batch in DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(1)):
    print(batch["name"], batch["label"], batch["feats"].shape, batch["meta"]["len"])
train, val = random_split(ds, [0.7, 0.3], generator=torch.Generator().manual_seed(42))
print(len(train), len(val), train.indices, val.indices)
print([ds[i]["label"] for i in Subset(ds, [1, 3]).indices])
cat = ConcatDataset([TensorDataset(torch.arange(3)), TensorDataset(torch.arange(10, 12))])
print(len(cat), [cat[i] for i in range(5)])
sampler = WeightedRandomSampler(
    [0.1, 0.9, 0.5, 0.5],
    num_samples=8,
    replacement=True,
    generator=torch.Generator().manual_seed(3),
)
print(list(sampler))
print(list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))


def collate(batch):
    xs, ys = zip(*batch)
    return torch.stack(xs), torch.tensor(ys)


dl = DataLoader(
    [(torch.randn(2), i) for i in range(5)], batch_size=2, collate_fn=collate, drop_last=True
)
for x, y in dl:
    print(x.shape, y)
print(default_collate([(1, 2.0, "a"), (3, 4.0, "b")]))
x = torch.randn(1, 1, 4, 4)
print(
    F.pad(x, (1, 1, 2, 0), mode="reflect").shape,
    F.pad(x[0], (1, 1), mode="replicate")[0, 0],
    F.pad(x, (1, 2), value=3.0)[0, 0, 0],
)
print(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)[0, 0, 0])
print(F.unfold(x, kernel_size=2).shape, F.normalize(torch.tensor([[3.0, 4.0]]), dim=1))
print(F.one_hot(torch.tensor([0, 2]), num_classes=4), F.embedding(torch.tensor([1]), torch.eye(3)))
print(F.gumbel_softmax(torch.tensor([[1.0, 2.0, 3.0]]), tau=0.5, hard=True))
print(F.dropout(torch.ones(4), p=0.5, training=True), F.dropout(torch.ones(2), training=False))
print(torch.utils.data.get_worker_info())
