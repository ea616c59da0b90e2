# pytorch/examples mnist_hogwild and torch.multiprocessing's own idioms: a model whose
# parameters are in shared memory is trained by spawned processes (here one after the other,
# so the printed numbers do not depend on how the processes interleave), torch.multiprocessing
# .spawn fills a shared tensor, a Queue sends a tensor that the receiver updates in place, and
# errors in children reach the parent. Small generated data.
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 3)
        self.register_buffer("seen", torch.zeros(()))

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def data(seed, n=64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()


def train(rank, model, steps):
    torch.manual_seed(100 + rank)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    x, y = data(rank)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        model.seen += steps
    print(f"rank {rank}: loss {loss.item():.6f}", type(model.fc1.weight).__name__, flush=True)


def fill(i, shared, offset):
    shared[i] = offset + i * i


def double_it(queue, answers, done):
    t = queue.get()
    answers.put((t.is_shared(), t.requires_grad, t.grad is None, type(t).__name__))
    with torch.no_grad():
        t.mul_(2)
    answers.put(torch.arange(3.0) + 0.5)
    done.wait()  # a sender must outlive the receiver's get (torch's descriptors, and ours)


def fail(i, message):
    if i == 1:
        raise ValueError(f"{message} from {i}")


if __name__ == "__main__":
    mp.set_start_method("spawn", force=True)
    torch.manual_seed(0)
    model = Net()
    print("shared before:", model.fc1.weight.is_shared())
    model.share_memory()
    print("shared after:", model.fc1.weight.is_shared(), model.seen.is_shared())
    for rank in range(2):  # Hogwild's loop; joined at once, so the order is fixed
        p = mp.Process(target=train, args=(rank, model, 5))
        p.start()
        p.join()
        print("exit code", p.exitcode)
    x, y = data(7)
    with torch.no_grad():
        print(f"loss after both: {F.nll_loss(model(x), y).item():.6f}", model.seen.item())

    shared = torch.zeros(4).share_memory_()
    mp.spawn(fill, args=(shared, 10.0), nprocs=2)
    print("filled:", shared.tolist())

    ctx = mp.get_context("spawn")
    queue, answers, done = ctx.Queue(), ctx.Queue(), ctx.Event()
    sent = torch.ones(3, requires_grad=True)
    sent.grad = torch.full((3,), 5.0)
    p = ctx.Process(target=double_it, args=(queue, answers, done))
    p.start()
    queue.put(sent)
    print("received as:", answers.get())
    back = answers.get()
    done.set()
    p.join()
    print("sent after the child's mul_:", sent.tolist(), "back:", back.tolist(), back.is_shared())

    try:
        mp.spawn(fail, args=("boom",), nprocs=2)
    except mp.ProcessRaisedException as e:
        print("child failed:", str(e).strip().splitlines()[-1], e.error_index)
    here, there = ctx.Pipe()
    try:
        here.send(sent * 2)
    except RuntimeError as e:
        print("refused:", str(e)[:60])
