# Graph networks in the style of pytorch/examples' gcn and gat: a Cora-format citation graph
# (written here, small, from a seeded generator: <id> <binary features> <label> lines and
# <cited> <citing> pairs, one edge repeated), loaded as those programs load it (np.genfromtxt,
# a sparse COO adjacency from NumPy int32 pairs, self-loops added densely, the symmetric
# degree normalisation with sparse diagonal matrices, features and adjacency made sparse),
# then a two-layer GCN (torch.mm and torch.spmm on sparse matrices, xavier_normal_, dropout)
# and a two-head GAT layer (masked attention over the dense adjacency), trained with Adam and
# weight decay on a random split.
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import Adam

out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out_dir, exist_ok=True)
rng = np.random.default_rng(7)
V, FEATURES, CLASSES = 60, 12, 3
labels_of = rng.integers(0, CLASSES, V)
ids = rng.choice(10_000, V, replace=False)
with open(os.path.join(out_dir, "graph.content"), "w") as f:
    for node, label in zip(ids, labels_of):
        bits = rng.random(FEATURES) < 0.2 + 0.2 * (np.arange(FEATURES) % CLASSES == label)
        f.write(f"{node} " + " ".join(str(int(b)) for b in bits) + f" class_{label}\n")
pairs = []
for _ in range(140):
    a = rng.integers(V)
    same = np.flatnonzero(labels_of == labels_of[a]) if rng.random() < 0.8 else np.arange(V)
    pairs.append((ids[a], ids[rng.choice(same)]))
pairs.append(pairs[0])  # a citation listed twice
with open(os.path.join(out_dir, "graph.cites"), "w") as f:
    f.writelines(f"{a} {b}\n" for a, b in pairs)


def load_graph(path):
    content = np.genfromtxt(os.path.join(path, "graph.content"), dtype=np.dtype(str))
    cites = np.genfromtxt(os.path.join(path, "graph.cites"), dtype=np.int32)
    features = torch.FloatTensor(content[:, 1:-1].astype(np.int32))
    scale = 1 / torch.sum(features, dim=1)
    scale[scale == float("inf")] = 0
    features = torch.diag(scale).to_sparse() @ features
    classes, labels = np.unique(content[:, -1], return_inverse=True)
    labels = torch.LongTensor(labels)
    idx_map = {node: pos for pos, node in enumerate(content[:, 0].astype(np.int32))}
    edges = np.array([[idx_map[a], idx_map[b]] for a, b in cites], dtype=np.int32)
    n = len(idx_map)
    adj = torch.sparse_coo_tensor(edges.T, torch.ones(len(edges)), (n, n), dtype=torch.int64)
    print("adjacency:", adj.layout, adj.shape, adj._nnz(), adj.is_coalesced())
    adj = torch.eye(n) + adj
    degree = torch.sqrt(1 / torch.sum(adj, dim=1))
    degree[degree == float("inf")] = 0
    degree = torch.diag(degree).to_sparse()
    normalized = degree @ adj @ degree
    return features.to_sparse(), labels, normalized.to_sparse(), adj


class GraphConv(nn.Module):
    def __init__(self, input_dim, output_dim, use_bias=True):
        super().__init__()
        self.kernel = nn.Parameter(torch.Tensor(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)
        self.bias = nn.Parameter(torch.zeros(output_dim)) if use_bias else None

    def forward(self, x, adj):
        support = torch.mm(x, self.kernel)
        out = torch.spmm(adj, support)
        return out + self.bias if self.bias is not None else out


class GCN(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, dropout_p=0.5):
        super().__init__()
        self.gc1 = GraphConv(input_dim, hidden_dim)
        self.gc2 = GraphConv(hidden_dim, output_dim)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, x, adj):
        x = self.dropout(F.relu(self.gc1(x, adj)))
        return F.log_softmax(self.gc2(x, adj), dim=1)


class GraphAttention(nn.Module):
    def __init__(self, in_features, out_features, n_heads, alpha=0.2):
        super().__init__()
        self.n_heads, self.n_hidden = n_heads, out_features
        self.W = nn.Parameter(torch.empty(size=(in_features, out_features * n_heads)))
        self.a = nn.Parameter(torch.empty(size=(n_heads, 2 * out_features, 1)))
        nn.init.xavier_normal_(self.W)
        nn.init.xavier_normal_(self.a)
        self.leakyrelu = nn.LeakyReLU(alpha)

    def forward(self, h, adj):
        n = h.shape[0]
        h = torch.mm(h, self.W).view(n, self.n_heads, self.n_hidden).permute(1, 0, 2)
        source = torch.matmul(h, self.a[:, : self.n_hidden, :])
        target = torch.matmul(h, self.a[:, self.n_hidden :, :])
        e = self.leakyrelu(source + target.mT)
        e = torch.where(adj > 0, e, -9e16 * torch.ones_like(e))
        attention = F.dropout(F.softmax(e, dim=-1), 0.3, training=self.training)
        return torch.matmul(attention, h).permute(1, 0, 2).reshape(n, -1)


def train(name, model, forward, epochs=12):
    optimizer = Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
    criterion = nn.NLLLoss()
    for epoch in range(1, epochs + 1):
        model.train()
        optimizer.zero_grad()
        loss = criterion(forward()[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        if epoch % 4 == 0:
            model.eval()
            with torch.no_grad():
                out = forward()
                val = criterion(out[idx_val], labels[idx_val]).item()
                acc = (out[idx_val].argmax(dim=1) == labels[idx_val]).float().sum() / len(idx_val)
            print(
                f"{name} epoch {epoch:02d} loss {loss.item():.4f} val {val:.4f} acc {acc.item():.4f}"
            )


torch.manual_seed(42)
features, labels, adj, dense_adj = load_graph(out_dir)
print("features:", features.layout, features.shape, features._nnz())
print(adj.coalesce().values()[:4])
idx = torch.randperm(len(labels))
idx_val, idx_train = idx[:20], idx[20:]
gcn = GCN(features.shape[1], 8, int(labels.max().item()) + 1)
train("gcn", gcn, lambda: gcn(features, adj))
head = GraphAttention(FEATURES, 4, n_heads=2)
dense_features = features.to_dense()
classifier = nn.Linear(8, CLASSES)
gat = nn.ModuleList([head, classifier])
train("gat", gat, lambda: F.log_softmax(classifier(F.elu(head(dense_features, dense_adj))), dim=1))

# pygcn's way (the reference GCN code many tutorials copy): the adjacency from COO row and
# column arrays through the legacy torch.sparse.FloatTensor; its transpose, torch.mv with a
# vector that takes a gradient, dense.add_(sparse) and sums over a sparse dim, every value
# printed in full
coo = adj.coalesce()
row, col = coo.indices().numpy()
legacy = torch.sparse.FloatTensor(
    torch.from_numpy(np.vstack((col, row)).astype(np.int64)),
    torch.from_numpy(coo.values().numpy()),
    torch.Size(coo.shape),
)
print("legacy:", isinstance(legacy, torch.sparse.FloatTensor), legacy.type(), legacy.is_coalesced())
flipped = legacy.t()
print("transpose:", flipped.is_coalesced(), torch.equal(flipped.to_dense(), coo.to_dense()))
weights = torch.linspace(-1, 1, coo.shape[1], requires_grad=True)
scores = torch.mv(legacy, weights)
(scores * torch.arange(len(scores))).sum().backward()
print("mv:", scores.grad_fn.name(), scores[:3].tolist(), weights.grad[:3].tolist())
mixed = torch.eye(coo.shape[0]) * 0.5
mixed.add_(legacy, alpha=0.25)
print("add_:", mixed.sum(dim=1)[:3].tolist())
degree = torch.sparse.sum(legacy, dim=1)
print("degree:", degree.is_sparse, degree._nnz(), degree.to_dense()[:3].tolist())
