"""nn.data as torch.utils.data: Dataset, TensorDataset, Subset, ConcatDataset, random_split,
samplers, default_collate and DataLoader(dataset, ...) against torch; the array shortcut's
torch options and its checks of what a transform returns."""

import collections
import itertools
import tracemalloc
import warnings

import numpy as np
import pytest

import autodiff as ad
from nn import data
from nn.data import loader as loader_module


def _np(value):
    """Batches of ours or torch's as nested Python/NumPy values, for comparison."""
    if hasattr(value, "detach"):  # torch
        return ("tensor", str(value.dtype).replace("torch.", ""), value.detach().numpy())
    if isinstance(value, ad.Tensor):
        return ("tensor", str(value.dtype), value.detach().numpy())
    if isinstance(value, dict):
        return {k: _np(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_np(v) for v in value])
    return value


def _assert_same(a, b):
    a, b = _np(a), _np(b)
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_same_np(a[k], b[k])
    else:
        _assert_same_np(a, b)


def _assert_same_np(a, b):
    if isinstance(a, tuple) and a and a[0] == "tensor":
        assert a[1] == b[1], (a[1], b[1])
        np.testing.assert_array_equal(a[2], b[2])
    elif isinstance(a, tuple):
        assert a[0] == b[0] and len(a[1]) == len(b[1])
        for x, y in zip(a[1], b[1]):
            _assert_same_np(x, y)
    elif isinstance(a, dict):
        _assert_same(a, b)
    else:
        assert a == b


Point = collections.namedtuple("Point", "x y")


def _samples(torch, ours: bool):
    """Samples of many kinds, each built for our collate or for torch's."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)) for _ in range(4)]
    tensor = ad.tensor if ours else torch.tensor
    return {
        "floats": [1.5, 2.0, -3.25],
        "ints": [1, 2, 3],
        "bools": [True, False],
        "arrays": arrays,
        "float32 arrays": [a.astype(np.float32) for a in arrays],
        "numpy scalars": [np.float32(1.5), np.float32(2)],
        "tensors": [tensor(a) for a in arrays],
        "strings": ["a", "bc"],
        "tuples": [(tensor(a), i) for i, a in enumerate(arrays)],
        "lists": [[a, 1.0, "s"] for a in arrays],
        "dicts": [{"x": tensor(a), "label": i, "name": f"n{i}"} for i, a in enumerate(arrays)],
        "nested": [{"pair": (i, [float(i), 2.0])} for i in range(3)],
        "namedtuples": [Point(a, i) for i, a in enumerate(arrays)],
    }


@pytest.mark.parametrize("kind", list(_samples(None, True)))
def test_default_collate_matches_torch(kind):
    torch = pytest.importorskip("torch")
    ours = data.default_collate(_samples(torch, True)[kind])
    theirs = torch.utils.data.default_collate(_samples(torch, False)[kind])
    if kind == "namedtuples":
        assert type(ours) is Point
        ours, theirs = list(ours), list(theirs)
    _assert_same(ours, theirs)


def test_default_convert_and_collate_errors():
    torch = pytest.importorskip("torch")
    sample = (np.arange(3), {"a": np.float64(2.0)}, "s")
    _assert_same(data.default_convert(sample), torch.utils.data.default_convert(sample))
    with pytest.raises(RuntimeError, match=r"equal size.*\(2,\), \(3,\)"):
        data.default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        data.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: .* found object"):
        data.default_collate([object(), object()])


class Squares(data.Dataset):
    """A map-style dataset of (features, label, extra) tuples."""

    def __init__(self, n, torch=None):
        self.n, self.torch = n, torch

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = np.array([i, i * i], dtype=np.float32)
        if self.torch is not None:
            return {"x": self.torch.tensor(x), "y": i % 3}
        return {"x": ad.tensor(x), "y": i % 3}


LOADER_ARGS = [
    dict(),
    dict(batch_size=4),
    dict(batch_size=4, drop_last=True),
    dict(batch_size=None),
    dict(batch_size=3, num_workers=2, persistent_workers=True),
    dict(batch_size=2, prefetch_factor=2, num_workers=1, timeout=5),
]


@pytest.mark.filterwarnings("ignore:DataLoader. num_workers")  # the one-time note
@pytest.mark.parametrize("kwargs", LOADER_ARGS)
def test_dataloader_over_a_dataset_gives_torchs_batches(kwargs):
    torch = pytest.importorskip("torch")
    ours = data.DataLoader(Squares(10), **kwargs)
    theirs = torch.utils.data.DataLoader(Squares(10, torch), **kwargs)
    assert len(ours) == len(theirs)
    batches, batches_t = list(ours), list(theirs)
    assert len(batches) == len(batches_t) == len(ours)
    for a, b in zip(batches, batches_t):
        _assert_same(a, b)


def test_tensor_dataset_loader_matches_torch_and_has_dataset():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((11, 3)).astype(np.float32), rng.integers(0, 4, 11)
    ds = data.TensorDataset(ad.tensor(X), ad.tensor(y))
    ds_t = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y))
    assert len(ds) == 11
    _assert_same(ds[3], ds_t[3])
    loader = data.DataLoader(ds, batch_size=4)
    assert loader.dataset is ds and len(loader) == 3
    for a, b in zip(loader, torch.utils.data.DataLoader(ds_t, batch_size=4)):
        _assert_same(a, b)
    xb, yb = next(iter(loader))  # unpacks as in torch
    assert xb.shape == (4, 3) and yb.dtype == np.int64
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        data.TensorDataset(ad.zeros(3, 2), ad.zeros(4))


def test_loader_over_subsets_of_a_tensor_dataset_gives_the_collated_samples():
    torch = pytest.importorskip("torch")
    X, y = np.arange(30.0).reshape(15, 2), np.arange(15) % 4
    ds = data.Subset(
        data.Subset(data.TensorDataset(ad.tensor(X), ad.tensor(y)), range(2, 14)),
        [9, 0, 4, 4, 11, 3, 7],
    )
    ds_t = torch.utils.data.Subset(
        torch.utils.data.Subset(
            torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)), range(2, 14)
        ),
        [9, 0, 4, 4, 11, 3, 7],
    )
    fast = list(data.DataLoader(ds, batch_size=3))
    slow = list(data.DataLoader(ds, batch_size=3, collate_fn=lambda b: data.default_collate(b)))
    for a, b, c in zip(fast, slow, torch.utils.data.DataLoader(ds_t, batch_size=3)):
        _assert_same(a, c)
        _assert_same(b, c)


def test_shuffle_is_a_permutation_repeated_by_the_seed_or_generator():
    ds = data.TensorDataset(ad.arange(20))

    def epoch(loader):
        return np.concatenate([b[0].detach().numpy() for b in loader]).tolist()

    ad.manual_seed(3)
    loader = data.DataLoader(ds, batch_size=6, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first) == list(range(20)) and first != second
    ad.manual_seed(3)
    assert epoch(data.DataLoader(ds, batch_size=6, shuffle=True)) == first
    gen = data.DataLoader(ds, batch_size=6, shuffle=True, generator=np.random.default_rng(7))
    again = data.DataLoader(ds, batch_size=6, shuffle=True, generator=np.random.default_rng(7))
    state = gen.state_dict()
    assert epoch(gen) == epoch(again)
    resumed = data.DataLoader(ds, batch_size=6, shuffle=True, generator=np.random.default_rng(0))
    resumed.load_state_dict(state)
    fresh = data.DataLoader(ds, batch_size=6, shuffle=True, generator=np.random.default_rng(7))
    assert epoch(resumed) == epoch(fresh)


def test_samplers_and_batch_sampler_as_torch():
    torch = pytest.importorskip("torch")
    ds, ds_t = Squares(9), Squares(9, torch)
    order = [8, 1, 4, 0, 2]
    for a, b in zip(
        data.DataLoader(ds, batch_size=2, sampler=order),
        torch.utils.data.DataLoader(ds_t, batch_size=2, sampler=order),
    ):
        _assert_same(a, b)
    batches = [[0, 5], [3], [7, 7, 1]]
    ours = data.DataLoader(ds, batch_sampler=batches)
    theirs = torch.utils.data.DataLoader(ds_t, batch_sampler=batches)
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        _assert_same(a, b)
    seq = data.BatchSampler(data.SequentialSampler(range(7)), 3, drop_last=False)
    seq_t = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(7)), 3, False)
    assert list(seq) == list(seq_t) and len(seq) == len(seq_t)
    rs = data.RandomSampler(range(5), num_samples=12, generator=np.random.default_rng(0))
    drawn = list(rs)
    assert len(drawn) == 12 == len(rs) and sorted(drawn[:10]) == sorted(list(range(5)) * 2)
    sub = list(data.SubsetRandomSampler([10, 20, 30], generator=np.random.default_rng(0)))
    assert sorted(sub) == [10, 20, 30]


def test_random_split_lengths_match_torch():
    torch = pytest.importorskip("torch")
    ds = data.TensorDataset(ad.arange(10))
    for lengths in ([3, 7], [0.5, 0.5], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [0.25] * 4):
        parts = data.random_split(ds, lengths, generator=np.random.default_rng(0))
        parts_t = torch.utils.data.random_split(range(10), lengths)
        assert [len(p) for p in parts] == [len(p) for p in parts_t]
        seen = sorted(int(p[i][0].item()) for p in parts for i in range(len(p)))
        assert seen == list(range(10))  # disjoint and complete
    a = data.random_split(ds, [4, 6], generator=np.random.default_rng(5))
    b = data.random_split(ds, [4, 6], generator=np.random.default_rng(5))
    assert a[0].indices == b[0].indices
    with pytest.raises(ValueError, match=r"Sum of input lengths \(9\).*\(10\)"):
        data.random_split(ds, [4, 5])
    with pytest.warns(UserWarning, match="Length of split at index") as caught:
        data.random_split(data.TensorDataset(ad.arange(2)), [0.9, 0.05, 0.05])
    assert ["index 1" in str(w.message) for w in caught] == [True, False]


def test_subset_and_concat_dataset():
    torch = pytest.importorskip("torch")
    ds = Squares(6)
    sub = data.Subset(ds, [5, 0, 3])
    assert len(sub) == 3 and sub[0]["y"] == 5 % 3
    both = ds + sub
    both_t = torch.utils.data.ConcatDataset([Squares(6, torch), list(range(3))])
    assert isinstance(both, data.ConcatDataset) and len(both) == len(both_t) == 9
    assert both[7]["y"] == ds[0]["y"] and both[-1]["y"] == ds[3]["y"]
    assert both.cumulative_sizes == both_t.cumulative_sizes


def _stream(lib, n, sized=True):
    class Stream(lib.IterableDataset):
        def __iter__(self):
            for i in range(n):
                yield np.array([i, -i]), i % 2

    class Sized(Stream):
        def __len__(self):
            return n

    return Sized() if sized else Stream()


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(batch_size=4), dict(batch_size=4, drop_last=True), dict(batch_size=None)],
)
def test_iterable_datasets_batch_like_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours = data.DataLoader(_stream(data, 10), **kwargs)
    theirs = torch.utils.data.DataLoader(_stream(torch.utils.data, 10), **kwargs)
    assert len(ours) == len(theirs)
    batches, batches_t = list(ours), list(theirs)
    assert len(batches) == len(batches_t)
    for a, b in zip(batches, batches_t):
        _assert_same(a, b)
    chained = list(data.DataLoader(_stream(data, 3) + _stream(data, 2), batch_size=2))
    chained_t = list(
        torch.utils.data.DataLoader(
            _stream(torch.utils.data, 3) + _stream(torch.utils.data, 2), batch_size=2
        )
    )
    for a, b in zip(chained, chained_t):
        _assert_same(a, b)


def test_iterable_dataset_errors():
    with pytest.raises(TypeError, match="has no len"):
        len(data.DataLoader(_stream(data, 3, sized=False), batch_size=2))
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        data.DataLoader(_stream(data, 3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        data.DataLoader(_stream(data, 3), sampler=[0, 1])
    with pytest.raises(ValueError, match="num_workers > 0 is not supported"):
        data.DataLoader(_stream(data, 3), num_workers=2)


def test_weighted_random_sampler_draws_by_weight():
    weights = [0.0, 1.0, 3.0]
    sampler = data.WeightedRandomSampler(weights, 4000, generator=np.random.default_rng(0))
    counts = np.bincount(list(sampler), minlength=3)
    assert len(sampler) == 4000 and counts[0] == 0
    assert abs(counts[2] / counts[1] - 3) < 0.3
    unique = list(data.WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False))
    assert sorted(unique) == [0, 1, 2, 3]
    loader = data.DataLoader(Squares(3), batch_size=2, sampler=sampler)
    assert len(loader) == 2000
    with pytest.raises(ValueError, match="positive sum"):
        data.WeightedRandomSampler([0, 0], 2)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        data.WeightedRandomSampler([1, 2], 0)
    with pytest.raises(ValueError, match="without replacement"):
        data.WeightedRandomSampler([1, 0], 2, replacement=False)


def test_dataloader_refuses_what_it_cannot_do():
    ds = Squares(4)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        data.DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        data.DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="batch_size=None .* drop_last"):
        data.DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        data.DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        data.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="worker_init_fn is not supported"):
        data.DataLoader(ds, num_workers=2, worker_init_fn=print)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        data.DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor"):
        data.DataLoader(ds, prefetch_factor=2)
    with pytest.raises(TypeError, match="generator must be an ad.Generator"):
        data.DataLoader(ds, shuffle=True, generator=42)
    with pytest.raises(TypeError, match="map-style"):
        data.DataLoader(iter(range(3)))
    with pytest.raises(TypeError, match="transform= belongs to DataLoader"):
        data.DataLoader(ds, transform=lambda b, r: b)


def test_array_shortcut_keeps_working_with_torch_options():
    X, y = np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10)
    loader = data.DataLoader(X, y, batch_size=4, num_workers=3, pin_memory=True)
    assert isinstance(loader, data.DataLoader) and len(loader) == 3
    assert len(loader.dataset) == 10 and loader.dataset is loader.dataset
    np.testing.assert_array_equal(loader.dataset[2][0].detach().numpy(), X[2])
    a = data.DataLoader(X, y, 4, shuffle=True, generator=np.random.default_rng(2))
    b = data.DataLoader(X, y, 4, shuffle=True, generator=np.random.default_rng(2))
    assert [yb.tolist() for _, yb in a] == [yb.tolist() for _, yb in b]
    with pytest.raises(ValueError, match="seed= or generator="):
        data.DataLoader(X, y, seed=1, generator=np.random.default_rng(1))


BAD_TRANSFORMS = [
    (lambda X, rng: None, TypeError, "returned NoneType"),
    (lambda X, rng: "images", TypeError, "returned str"),
    (lambda X, rng: X[:-1], ValueError, r"shape \(3, 2\) .* length 4"),
    (lambda X, rng: X.astype(np.float64), TypeError, "float32 to float64"),
    (lambda X, rng: X.sum(), TypeError, "returned float32"),
    (lambda X, rng: X.ravel(), ValueError, "keep the batch's length"),
]


@pytest.mark.parametrize("transform,error,match", BAD_TRANSFORMS)
def test_a_transform_that_returns_a_wrong_batch_is_refused_by_name(transform, error, match):
    X = np.ones((8, 2), np.float32)
    loader = data.DataLoader(X, batch_size=4, transform=transform)
    with pytest.raises(error, match=match) as info:
        next(iter(loader))
    assert "transform" in str(info.value) and "lambda" in str(info.value)


def test_a_good_transform_may_change_other_dims():
    X = np.ones((8, 1, 4, 4), np.float32)
    loader = data.DataLoader(X, batch_size=4, transform=lambda b, rng: b[:, :, 1:, 1:] * 2)
    batch = next(iter(loader))
    assert batch.shape == (4, 1, 3, 3) and float(batch.detach().numpy().max()) == 2.0


def test_the_librarys_generator_object_drives_shuffles_and_splits():
    if not hasattr(ad, "Generator"):
        pytest.skip("ad.Generator (torch.Generator's twin) is not in this engine yet")
    ds = data.TensorDataset(ad.arange(12))

    def order(seed):
        loader = data.DataLoader(
            ds, batch_size=5, shuffle=True, generator=ad.Generator().manual_seed(seed)
        )
        return np.concatenate([b[0].detach().numpy() for b in loader]).tolist()

    assert order(3) == order(3) and sorted(order(3)) == list(range(12))
    a = data.random_split(ds, [0.5, 0.5], generator=ad.Generator().manual_seed(1))
    b = data.random_split(ds, [0.5, 0.5], generator=ad.Generator().manual_seed(1))
    assert a[0].indices == b[0].indices


def test_random_sampler_with_replacement_draws_lazily():
    """makemore's endless loader: RandomSampler(replacement=True, num_samples=10**10) starts at
    once and draws in torch's chunks of 32 (it used to allocate all 10**10 indices)."""
    ds = data.TensorDataset(ad.arange(7))
    sampler = data.RandomSampler(ds, replacement=True, num_samples=10**10)
    loader = data.DataLoader(ds, batch_size=5, sampler=sampler)
    assert len(sampler) == 10**10 and len(loader) == 2 * 10**9
    tracemalloc.start()
    ad.manual_seed(0)
    batches = list(itertools.islice(iter(loader), 20))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20
    drawn = np.concatenate([b[0].detach().numpy() for b in batches])
    assert drawn.shape == (100,) and set(drawn.tolist()) == set(range(7))
    ad.manual_seed(0)
    again = np.concatenate([b[0].detach().numpy() for b in itertools.islice(iter(loader), 20)])
    np.testing.assert_array_equal(drawn, again)
    for n in (31, 32, 33, 70):  # whole chunks and the remainder
        counted = list(data.RandomSampler(ds, replacement=True, num_samples=n))
        assert len(counted) == n and max(counted) < 7
    without = list(data.RandomSampler(ds, num_samples=17))
    assert len(without) == 17 and sorted(without[:7]) == list(range(7))


def test_num_workers_loads_in_the_main_process_with_one_note(monkeypatch):
    monkeypatch.setattr(loader_module, "_noted", False)
    ds = data.TensorDataset(ad.arange(10))
    with pytest.warns(UserWarning, match="num_workers=3: batches are loaded in the main process"):
        first = data.DataLoader(ds, batch_size=4, num_workers=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process
        second = data.DataLoader(ds, batch_size=4, num_workers=2)
    assert [b[0].tolist() for b in first] == [b[0].tolist() for b in second]
    assert data.get_worker_info() is None


def _messages(loader) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        next(iter(loader))
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("options", [dict(), dict(pin_memory=True), dict(pin_memory_device="x")])
def test_pinned_memory_notes_are_torchs(options):
    torch = pytest.importorskip("torch")
    pinned = {**options, "pin_memory": bool(options)}
    X = np.arange(8, dtype=np.float32).reshape(4, 2)
    ours = _messages(data.DataLoader(data.TensorDataset(ad.tensor(X)), batch_size=2, **pinned))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = torch.utils.data.TensorDataset(torch.tensor(X))
        theirs = _messages(torch.utils.data.DataLoader(dataset, batch_size=2, **pinned))
    assert ours == theirs and len(ours) == sum(map(bool, pinned.values()))
    assert _messages(data.DataLoader(X, batch_size=2, **pinned)) == theirs  # the array shortcut
