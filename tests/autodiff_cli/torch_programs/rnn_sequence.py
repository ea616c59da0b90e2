# An RNN reading a sequence (the lecture's linear RNN, then a trained tanh RNN).
import torch
import torch.nn as nn

torch.manual_seed(0)
rnn = nn.RNN(input_size=1, hidden_size=4, batch_first=True)
head = nn.Linear(4, 1)
with torch.no_grad():
    for i, p in enumerate(list(rnn.parameters()) + list(head.parameters())):
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (1 + 0.1 * i))

t = torch.linspace(0, 6.0, 30)
x = torch.sin(t).reshape(1, -1, 1)
y = torch.cos(t).reshape(1, -1, 1)
params = list(rnn.parameters()) + list(head.parameters())
optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.5)
for step in range(40):
    optimizer.zero_grad()
    out, h = rnn(x)
    loss = ((head(out) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    if step % 10 == 9:
        print(step, f"{loss.item():.5f}", tuple(h.shape))
