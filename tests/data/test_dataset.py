import numpy as np
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


def test_a_label_column_of_shape_n_by_1_is_refused():
    with pytest.raises(ValueError, match=r"y must be 1-D \[N\], got shape \[4, 1\]"):
        Dataset(x=torch.zeros(4, 2), y=torch.tensor([[0], [1], [0], [1]]), classes=("a", "b"), modality="audio")
    with pytest.raises(ValueError, match=r"groups must be 1-D"):
        Dataset(x=torch.zeros(4, 2), y=torch.tensor([0, 1, 0, 1]), classes=("a", "b"), modality="audio",
                groups=torch.zeros(4, 1, dtype=torch.long))


@pytest.mark.parametrize("convert", [np.array, list, lambda v: np.array(v, dtype=np.int32)])
def test_numpy_and_list_labels_and_groups_become_int64_tensors(convert):
    data = Dataset(x=torch.arange(8.0)[:, None], y=convert([0, 1] * 4), classes=("a", "b"), modality="audio",
                   groups=convert([0, 0, 1, 1, 2, 2, 3, 3]))
    assert data.y.dtype == data.groups.dtype == torch.long
    train, test = data.split(0.5, seed=0)
    assert set(train.groups.tolist()).isdisjoint(test.groups.tolist())
    with pytest.raises(TypeError, match="y must be int64, got torch.float64"):
        Dataset(x=torch.zeros(2, 3), y=np.array([0.0, 1.0]), classes=("a", "b"), modality="audio")


def test_samples_must_have_their_modality_s_layout():
    y = torch.tensor([0, 1])
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor for image data, got ndarray \(use torch.from_numpy\)"):
        Dataset(x=np.zeros((2, 1, 4, 4), np.float32), y=y, classes=("a", "b"), modality="image")
    with pytest.raises(ValueError, match=r"x must be image samples \[N, C, H, W\] \(4-D\), got shape \[2, 4, 4\]"):
        Dataset(x=torch.zeros(2, 4, 4), y=y, classes=("a", "b"), modality="image")
    with pytest.raises(ValueError, match=r"x must be audio samples \[N, T\] \(2-D\), got shape \[2, 1, 4\]"):
        Dataset(x=torch.zeros(2, 1, 4), y=y, classes=("a", "b"), modality="audio")
    with pytest.raises(TypeError, match=r"x\[1\] must be a str"):
        Dataset(x=["a", 1], y=y, classes=("a", "b"), modality="text")


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
    with pytest.raises(ValueError, match=r"k must be an int in \[1, 4\] \(the size of the smallest class"):
        data.kshot(5)
    with pytest.raises(ValueError, match=r"classes \['a'\] have none"):
        data.subsample_classes({0: 0}).kshot(1)


@pytest.mark.parametrize("fields, error, match", [
    ({"modality": "images"}, ValueError, "modality must be one of"),          # skipped every layout check
    ({"classes": "abc"}, TypeError, "classes must be a list of strings"),
    ({"classes": ("a", "b", "a")}, ValueError, r"classes must not repeat values, got \['a'\]"),
])
def test_modality_and_class_names_are_checked(fields, error, match):
    with pytest.raises(error, match=match):
        Dataset(**{"x": torch.zeros(3, 4), "y": [0, 1, 2], "classes": ("a", "b", "c"), "modality": "audio", **fields})
    assert Dataset(x=torch.zeros(1, 4), y=[0], classes=["a"], modality="audio").classes == ("a",)


@pytest.mark.parametrize("x, error, match", [
    ((torch.rand(3, 1, 4, 4) * 255).byte(), TypeError, r"x must be a float tensor .* x.float\(\) / 255"),
    (torch.rand(3, 1, 4, 4) * 255, ValueError, r"x values must be in \[0, 1\]"),
    (torch.full((3, 1, 4, 4), float("nan")), ValueError, "x contains NaN"),
])
def test_images_must_be_what_augmenters_take(x, error, match):
    with pytest.raises(error, match=match):   # a model trained on them scored as if they were fine
        Dataset(x=x, y=[0, 1, 0], classes=("a", "b"), modality="image")


@pytest.mark.parametrize("sample_rate", ["16k", -1, 0, 16000.5])
def test_sample_rate_must_be_a_positive_int(sample_rate):
    with pytest.raises(ValueError, match="sample_rate must be an int >= 1"):
        Dataset(x=torch.zeros(2, 8), y=[0, 1], classes=("a", "b"), modality="audio", sample_rate=sample_rate)


def test_an_empty_subset_is_an_empty_dataset():
    empty = make().subset([])
    assert len(empty) == 0 and tuple(empty.x.shape[1:]) == tuple(make().x.shape[1:])


@pytest.mark.parametrize("call, error, match", [
    (lambda d: d.subset([0.7, 1.9]), TypeError, "indices must be integers"),   # was samples 0 and 1
    (lambda d: d.subsample_classes({True: 1}), ValueError, "counts has unknown class True"),   # was class 1
    (lambda d: d.subset([0, 20]), IndexError, r"indices must be in \[-20, 19\] \(20 samples\), got 0 .. 20"),
    (lambda d: d.subset(None), TypeError, "indices must be integers or a bool mask, got None"),
    (lambda d: d.subset(3), ValueError, "indices must be 1-D"),
    (lambda d: d.kshot(2.5), ValueError, "k must be an int"),
    (lambda d: d.subsample_classes(1.5), TypeError, "counts must be an int or a mapping"),
    (lambda d: d.split("0.5"), ValueError, "test_fraction must be a number"),
    (lambda d: d.kshot(1, seed=None), TypeError, "seed must be a non-negative int, got None"),
    (lambda d: d.split(0.5, seed=1.5), TypeError, "seed must be a non-negative int, got 1.5"),
    (lambda d: d.split(0.5, seed=2**64), ValueError, "seed must be at most 2\\*\\*64 - 1"),
])
def test_dataset_methods_name_a_bad_argument(call, error, match):
    with pytest.raises(error, match=match):
        call(make())


def test_a_split_of_one_sample_per_class_says_why_it_has_no_test_half():
    with pytest.raises(ValueError, match="every class has 1 sample"):
        make(n_per_class=(1, 1)).split(0.9)


def test_subsample_classes_by_name_and_index():
    data = make()
    small = data.subsample_classes({"a": 2, 1: 1})
    assert small.class_counts().tolist() == [2, 1, 4]
    with pytest.raises(ValueError, match="unknown class"):
        data.subsample_classes({"zzz": 1})


def test_subset_takes_a_bool_mask_and_rejects_a_wrong_length():
    data = make(text=True)
    picked = data.subset(data.y == 2)
    assert picked.y.tolist() == [2, 2, 2, 2] and picked.x == [f"t{i}" for i in range(16, 20)]
    with pytest.raises(ValueError, match=r"bool mask must have shape \[20\]"):
        data.subset(torch.tensor([True, False]))


def test_integer_is_test_becomes_bool_and_bad_values_are_refused():
    def with_is_test(is_test):
        return Dataset(x=torch.zeros(4, 1), y=torch.tensor([0, 1, 0, 1]), classes=("a", "b"), modality="audio",
                       is_test=is_test)

    train, test = with_is_test(torch.tensor([0, 0, 1, 1])).split()
    assert len(train) == 2 and len(test) == 2
    for bad in (torch.tensor([0, 2, 1, 1]), torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.ones(2, 2, dtype=torch.long)):
        with pytest.raises(ValueError, match="is_test"):
            with_is_test(bad)


def test_split_refuses_an_empty_half():
    grouped = make(groups=True)   # 5 groups
    with pytest.raises(ValueError, match="only 5 groups: test_fraction 0.95 leaves no group for train"):
        grouped.split(0.95)
    one_group = Dataset(**{**vars(grouped), "groups": torch.zeros(len(grouped), dtype=torch.long)})
    with pytest.raises(ValueError, match="only 1 group"):
        one_group.split(0.2)
    two_per_class = make(n_per_class=(2, 2, 2))
    with pytest.raises(ValueError, match="leaves the test half empty"):
        two_per_class.split(0.2)
    official = Dataset(**{**vars(two_per_class), "is_test": torch.zeros(6, dtype=torch.bool)})
    with pytest.raises(ValueError, match="is_test marks none"):
        official.split()


def test_stratified_split_keeps_every_class_in_train():
    train, test = make(n_per_class=(10, 2, 1)).split(0.6, seed=0)
    assert train.class_counts().tolist() == [4, 1, 1] and test.class_counts().tolist() == [6, 1, 0]


def test_subsample_classes_refuses_negative_counts_and_takes_numpy_keys():
    data = make()
    with pytest.raises(ValueError, match="counts must be >= 0"):
        data.subsample_classes(-1)
    with pytest.raises(ValueError, match=r"counts\['b'\] must be an integer >= 0"):
        data.subsample_classes({"b": -1})
    assert data.subsample_classes({np.int64(1): 2}).class_counts().tolist() == [10, 2, 4]


def test_a_numpy_integer_seed_splits_as_its_value():
    d = make()
    train, _ = d.split(0.5, seed=np.int64(1))
    assert torch.equal(train.y, d.split(0.5, seed=1)[0].y)
