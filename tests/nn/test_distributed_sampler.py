"""DistributedSampler: each replica's indices equal torch's for the same arguments and epoch."""

import itertools

import pytest

import autodiff as ad
from nn import data

CASES = list(itertools.product((0, 1, 5, 7, 10, 13), (1, 2, 3, 4), (True, False), (True, False)))


@pytest.mark.parametrize("size,replicas,shuffle,drop_last", CASES)
def test_every_rank_gets_torchs_indices(size, replicas, shuffle, drop_last):
    torch = pytest.importorskip("torch")
    dataset = list(range(size))
    for rank, seed, epoch in itertools.product(range(replicas), (0, 3), (0, 1, 5)):
        kwargs = dict(num_replicas=replicas, rank=rank, shuffle=shuffle, drop_last=drop_last)
        ours = data.DistributedSampler(dataset, seed=seed, **kwargs)
        theirs = torch.utils.data.DistributedSampler(dataset, seed=seed, **kwargs)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs), (rank, seed, epoch)
        assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


def test_replicas_split_the_padded_data_and_epochs_reshuffle():
    sampler = [data.DistributedSampler(range(10), 4, r, seed=1) for r in range(4)]
    shares = [list(s) for s in sampler]
    assert set(sum(shares, [])) == set(range(10)) and sum(map(len, shares)) == 12
    first = shares[0]
    sampler[0].set_epoch(1)
    assert list(sampler[0]) != first
    assert list(data.DistributedSampler(range(10), 4, 0, seed=1)) == first  # seed repeats


def test_a_dataloader_takes_it_as_its_sampler():
    torch = pytest.importorskip("torch")
    x = list(range(11))
    ours = data.DataLoader(x, batch_size=2, sampler=data.DistributedSampler(x, 3, 1, seed=4))
    theirs = torch.utils.data.DataLoader(
        x, batch_size=2, sampler=torch.utils.data.DistributedSampler(x, 3, 1, seed=4)
    )
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


def test_without_a_process_group_it_raises_torchs_error():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, {"num_replicas": 2}, {"rank": 0}):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DistributedSampler(range(4), **kwargs)
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            data.DistributedSampler(range(4), **kwargs)
        assert str(theirs.value) in str(ad.distributed._NO_GROUP)


@pytest.mark.parametrize("rank", [-1, 2, 5])
def test_a_rank_outside_the_replicas_is_torchs_error(rank):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.DistributedSampler(range(4), 2, rank)
    with pytest.raises(ValueError) as ours:
        data.DistributedSampler(range(4), 2, rank)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("replicas", [0, -2, 1.5, True])
def test_num_replicas_must_be_a_positive_integer(replicas):
    with pytest.raises(ValueError, match="DistributedSampler: num_replicas should be a positive"):
        data.DistributedSampler(range(4), replicas, 0)
