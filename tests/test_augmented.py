"""DataLoader adapters: distinct, reproducible streams per worker."""
import torch
from torch.utils.data import DataLoader

from aad.data.augmented import AugmentCollate, AugmentedDataset, PlainDataset
from aad.data.dataset import Dataset
from tests.cases.core import AddNoise


def tiny_dataset(n=16):
    x = torch.full((n, 1, 4, 4), 0.5)
    return Dataset(x=x, y=torch.arange(n) % 2, classes=("a", "b"), modality="image", name="tiny")


def epoch(loader):
    return torch.cat([x for x, _ in loader])


def test_workers_get_distinct_reproducible_streams():
    data = AugmentedDataset(tiny_dataset(), AddNoise(0.5), seed=3)
    loader = lambda: DataLoader(data, batch_size=4, num_workers=2,
                                generator=torch.Generator().manual_seed(0))
    first, again = epoch(loader()), epoch(loader())
    assert torch.equal(first, again), "same DataLoader seed must give the same augmentations"
    # worker 0 makes batches 0 and 2, worker 1 batches 1 and 3: their samples must differ
    assert not torch.equal(first[:4], first[4:8])
    other = epoch(DataLoader(data, batch_size=4, num_workers=2, generator=torch.Generator().manual_seed(1)))
    assert not torch.equal(first, other)


def test_single_process_stream_advances_across_epochs():
    data = AugmentedDataset(tiny_dataset(), AddNoise(0.5), seed=3)
    e1, e2 = epoch(DataLoader(data, batch_size=8)), epoch(DataLoader(data, batch_size=8))
    assert not torch.equal(e1, e2)
    fresh = AugmentedDataset(tiny_dataset(), AddNoise(0.5), seed=3)
    assert torch.equal(e1, epoch(DataLoader(fresh, batch_size=8)))


def test_augment_collate_batches_and_keeps_labels():
    ds = tiny_dataset()
    loader = DataLoader(PlainDataset(ds), batch_size=8, collate_fn=AugmentCollate(AddNoise(0.5), seed=0))
    x, y = next(iter(loader))
    assert x.shape == (8, 1, 4, 4) and torch.equal(y, ds.y[:8])
    assert not torch.equal(x, ds.x[:8])
    assert torch.equal(ds.x, torch.full((16, 1, 4, 4), 0.5)), "the dataset is not modified"
