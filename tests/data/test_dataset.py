import pytest
import torch

from aad.data import Dataset


def make(n_per_class=(10, 6, 4), groups=False, text=False):
    y = torch.cat([torch.full((n,), c, dtype=torch.long) for c, n in enumerate(n_per_class)])
    x = [f"t{i}" for i in range(len(y))] if text else torch.arange(len(y), dtype=torch.float32)[:, None]
    g = torch.arange(len(y)) % 5 if groups else None
    return Dataset(x=x, y=y, classes=("a", "b", "c"), modality="text" if text else "audio", groups=g)


def test_rejects_mismatched_lengths_and_bad_labels():
    with pytest.raises(ValueError, match="x has 2 samples but y has 3"):
        Dataset(x=torch.zeros(2, 4), y=torch.zeros(3, dtype=torch.long), classes=("a",), modality="audio")
    with pytest.raises(ValueError, match="class indices"):
        Dataset(x=torch.zeros(2, 4), y=torch.tensor([0, 2]), classes=("a", "b"), modality="audio")
    with pytest.raises(TypeError, match="int64"):
        Dataset(x=torch.zeros(2, 4), y=torch.tensor([0.0, 1.0]), classes=("a", "b"), modality="audio")


def test_stratified_split_is_deterministic_disjoint_and_complete():
    data = make()
    train, test = data.split(0.5, seed=3)
    again_train, _ = data.split(0.5, seed=3)
    other_train, _ = data.split(0.5, seed=4)
    train_ids, test_ids = set(train.x[:, 0].tolist()), set(test.x[:, 0].tolist())
    assert not train_ids & test_ids and len(train_ids | test_ids) == len(data)
    assert torch.equal(train.x, again_train.x)
    assert not torch.equal(train.x, other_train.x)
    assert test.class_counts().tolist() == [5, 3, 2]


def test_group_split_keeps_groups_disjoint():
    train, test = make(groups=True).split(0.4, seed=0)
    assert set(train.groups.tolist()).isdisjoint(test.groups.tolist())
    assert len(set(test.groups.tolist())) == 2


def test_official_split_is_used_when_no_fraction():
    data = make()
    is_test = torch.arange(len(data)) % 4 == 0
    data = Dataset(**{**vars(data), "is_test": is_test})
    train, test = data.split()
    assert len(test) == int(is_test.sum()) and bool(test.is_test.all()) and not bool(train.is_test.any())


@pytest.mark.parametrize("text", [False, True])
def test_kshot_takes_k_per_class_without_repeats(text):
    data = make(text=text)
    few = data.kshot(3, seed=1)
    assert few.class_counts().tolist() == [3, 3, 3]
    assert len(set(few.x if text else few.x[:, 0].tolist())) == 9
    assert (few.x == data.kshot(3, seed=1).x) if text else torch.equal(few.x, data.kshot(3, seed=1).x)
    with pytest.raises(ValueError, match="smallest class size"):
        data.kshot(5)


def test_subsample_classes_by_name_and_index():
    data = make()
    small = data.subsample_classes({"a": 2, 1: 1})
    assert small.class_counts().tolist() == [2, 1, 4]
    with pytest.raises(ValueError, match="unknown class"):
        data.subsample_classes({"zzz": 1})
