"""DataLoader adapters: distinct, reproducible streams per worker."""
import io
import pickle

import pytest
import torch
from torch.utils.data import DataLoader

from aad import Identity
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


def test_plain_dataset_refuses_what_is_not_an_aad_dataset():
    ds = tiny_dataset()
    with pytest.raises(TypeError, match="data must be an aad.data.Dataset, got TensorDataset"):
        PlainDataset(torch.utils.data.TensorDataset(ds.x, ds.y))   # failed when iterated, in a worker


def test_unseeded_loader_falls_back_to_the_augmenters_seed():
    plain = lambda aug: epoch(DataLoader(PlainDataset(tiny_dataset()), batch_size=8,
                                         collate_fn=AugmentCollate(aug)))
    assert torch.equal(plain(AddNoise(0.5, seed=0)), plain(AddNoise(0.5, seed=0)))
    on_the_fly = lambda aug: epoch(DataLoader(AugmentedDataset(tiny_dataset(), aug), batch_size=8))
    assert torch.equal(on_the_fly(AddNoise(0.5, seed=0)), on_the_fly(AddNoise(0.5, seed=0)))
    assert not torch.equal(on_the_fly(AddNoise(0.5)), on_the_fly(AddNoise(0.5))), "neither seeded: fresh"


def test_augmenter_seed_gives_distinct_streams_per_worker():
    workers = lambda aug: epoch(DataLoader(AugmentedDataset(tiny_dataset(), aug), batch_size=4, num_workers=2,
                                           generator=torch.Generator().manual_seed(0)))
    first = workers(AddNoise(0.5, seed=1))
    assert not torch.equal(first, workers(AddNoise(0.5, seed=2))), "another augmenter seed, other samples"
    assert not torch.equal(first[:4], first[4:8]), "workers 0 and 1 must differ"


def test_augment_collate_accepts_int_and_0d_tensor_labels():
    x = torch.full((4, 1, 4, 4), 0.5)
    for labels in ([0, 1, 1, 0], [torch.tensor(c) for c in (0, 1, 1, 0)]):
        out, y = AugmentCollate(AddNoise(0.5), seed=0)(list(zip(x, labels)))
        assert out.shape == (4, 1, 4, 4) and y.dtype == torch.int64 and y.tolist() == [0, 1, 1, 0]


def test_items_are_their_own_samples_images_and_texts():
    x = torch.linspace(0, 1, 6).view(6, 1, 1, 1).expand(6, 1, 2, 2).clone()   # every sample distinct
    images = Dataset(x=x, y=torch.arange(6) % 3, classes=("a", "b", "c"), modality="image", name="ramp")
    texts = Dataset(x=["one", "two", "three", "four"], y=torch.tensor([0, 1, 0, 1]), classes=("a", "b"),
                    modality="text", name="words")
    for data in (images, texts):
        on_the_fly = AugmentedDataset(data, Identity(), seed=0)
        for i in range(len(data)):
            x_i, y_i = on_the_fly[i]
            assert (torch.equal(x_i, data.x[i]) if data.modality == "image" else x_i == data.x[i])
            assert int(y_i) == int(data.y[i])
        batch_x, batch_y = next(iter(DataLoader(PlainDataset(data), batch_size=4,
                                                collate_fn=AugmentCollate(Identity(), seed=0))))
        assert torch.equal(batch_y, data.y[:4])
        assert torch.equal(batch_x, data.x[:4]) if data.modality == "image" else batch_x == data.x[:4]


def test_augmented_dataset_negative_index_and_end():
    data = AugmentedDataset(tiny_dataset(5), AddNoise(0.5), seed=0)
    assert int(data[-1][1]) == int(data.data.y[4]) and int(data[-5][1]) == int(data.data.y[0])
    for i in (5, -6):
        with pytest.raises(IndexError, match="out of range"):
            data[i]
    assert len(list(data)) == 5, "a plain for loop stops at IndexError"


class _NoTorchObjects(pickle.Pickler):
    # under spawn, a pickled torch.Generator fails to load, and so does a tensor freed once pickled
    def reducer_override(self, obj):
        assert not isinstance(obj, (torch.Generator, torch.Tensor)), f"{type(obj).__name__} in the pickle"
        return NotImplemented


def test_streams_pickle_their_state_not_a_live_generator():
    data = AugmentedDataset(tiny_dataset(), AddNoise(0.5), seed=0)
    data[0]                                                  # the stream now exists
    data.augmenter.augment(torch.rand(1, 1, 4, 4))           # and so does the augmenter's own
    _NoTorchObjects(io.BytesIO()).dump(data._streams)
    _NoTorchObjects(io.BytesIO()).dump(data.augmenter)
    copy = pickle.loads(pickle.dumps(data))
    assert torch.equal(copy[1][0], data[1][0]), "the copy continues the same stream"


@pytest.mark.slow  # starts a Python process (several seconds)
def test_spawned_worker_after_indexing_in_the_main_process():
    data = AugmentedDataset(tiny_dataset(), AddNoise(0.5, seed=1), seed=0)
    data[0], data.augmenter.augment(torch.rand(1, 1, 4, 4))
    loader = DataLoader(data, batch_size=8, num_workers=1, multiprocessing_context="spawn")
    assert epoch(loader).shape == (16, 1, 4, 4)


def test_an_augmenter_of_another_modality_is_refused_up_front():
    texts = Dataset(x=["a", "b"], y=torch.tensor([0, 1]), classes=("a", "b"), modality="text", name="words")
    with pytest.raises(ValueError, match=r"augmenter AddNoise is for image data, but the data \(words\) is text"):
        AugmentedDataset(texts, AddNoise(0.5))


def test_collate_takes_samples_without_labels():
    """Unlabeled images failed with "not enough values to unpack"; a 2-channel image unpacked as (x, y)."""
    from aad.image import RandomHorizontalFlip

    images = [torch.rand(2, 8, 8) for _ in range(4)]
    flip = RandomHorizontalFlip(p=1.0)
    [batch] = DataLoader(images, batch_size=4, collate_fn=AugmentCollate(flip))
    assert torch.equal(batch, torch.stack(images).flip(-1))
    [texts] = DataLoader(["a b c", "d e f"], batch_size=2, collate_fn=AugmentCollate(Identity()))
    assert texts == ["a b c", "d e f"]
    with pytest.raises(TypeError, match=r"\(x, y\) pairs or samples alone"):
        AugmentCollate(flip)([(torch.rand(1, 8, 8), 0, "extra")])


def test_dataloader_streams_of_different_transforms_seeded_alike_draw_apart():
    """Their streams came from the seed itself: a flip and an erasing both seeded 0 picked the same items."""
    from aad.image import RandomHorizontalFlip, RandomVerticalFlip

    images = [torch.rand(1, 4, 4) for _ in range(400)]

    def flipped(cls):
        [batch] = DataLoader(images, batch_size=400, collate_fn=AugmentCollate(cls(p=0.5, seed=0)))
        return (batch != torch.stack(images)).flatten(1).any(1)

    assert 0.3 < (flipped(RandomHorizontalFlip) != flipped(RandomVerticalFlip)).float().mean() < 0.7


def test_a_bad_seed_is_refused_whatever_the_workers():
    """With num_workers=2, seed="abc" was hashed into worker seeds and ran."""
    data = Dataset(x=torch.rand(2, 1, 4, 4), y=[0, 1], classes=("a", "b"), modality="image")
    for make in (lambda: AugmentedDataset(data, AddNoise(0.5), seed="abc"), lambda: AugmentCollate(AddNoise(0.5), seed=-1)):
        with pytest.raises(TypeError, match="seed must be a non-negative int"):
            make()
