import pytest
import torch

from aad.balance import balance, shortfall, top_up
from tests.eval.helpers import ClassMeans


def fake_images(labels):
    return labels.float().view(-1, 1, 1, 1).expand(-1, 1, 4, 4) / 10


def test_shortfall_fills_up_to_largest_class_and_counts_absent_classes():
    y = torch.tensor([0, 0, 0, 1, 2, 2])
    assert shortfall(y).tolist() == [1, 1, 2]
    assert shortfall(y, num_classes=4).tolist() == [1, 1, 2, 3, 3, 3]
    assert shortfall(y, target=2).tolist() == [1]


@pytest.mark.parametrize("num_classes", [2.0, 0, True])
def test_num_classes_must_be_a_positive_int(num_classes):
    with pytest.raises(ValueError, match="num_classes must be an int"):
        shortfall(torch.tensor([0, 0, 1]), num_classes=num_classes)


def test_classes_absent_from_y_are_topped_up_only_when_num_classes_asks():
    """A generator fitted on y knows only its classes: a gap in the labels is not a class to fill."""
    y = torch.tensor([0, 0, 0, 0, 2, 2, 5])
    assert shortfall(y).tolist() == [2, 2, 5, 5, 5]
    assert shortfall(y, num_classes=6).tolist() == [1] * 4 + [2, 2] + [3] * 4 + [4] * 4 + [5] * 3
    _, y_all = balance(torch.zeros(7, 1, 4, 4), y, fake_images)
    assert torch.bincount(y_all).tolist() == [4, 0, 4, 0, 0, 4]


def test_top_up_returns_only_new_samples_with_their_labels():
    x, y = torch.zeros(5, 1, 4, 4), torch.tensor([0, 0, 0, 1, 2])
    x_new, y_new = top_up(x, y, fake_images)
    assert y_new.tolist() == [1, 1, 2, 2]
    assert torch.allclose(x_new[:, 0, 0, 0], y_new.float() / 10)


def test_balance_appends_and_every_class_reaches_target():
    x, y = torch.rand(5, 1, 4, 4), torch.tensor([0, 0, 0, 1, 2])
    x_all, y_all = balance(x, y, fake_images, target=4)
    assert torch.bincount(y_all).tolist() == [4, 4, 4] and len(x_all) == 12
    assert torch.equal(x_all[:5], x) and torch.equal(y_all[:5], y)        # the data first, as it was
    assert torch.allclose(x_all[5:, 0, 0, 0], y_all[5:].float() / 10)      # each new sample by its label


def test_balance_with_a_fitted_generator_draws_from_rng():
    x, y = torch.rand(7, 1, 4, 4), torch.tensor([0, 0, 0, 0, 1, 2, 2])
    generator = ClassMeans(noise=0.1).fit(x, y)
    x_all, y_all = balance(x, y, generator, rng=3)
    assert torch.bincount(y_all).tolist() == [4, 4, 4]
    assert torch.equal(x_all[7:], generator.generate(y_all[7:], rng=3))
    assert torch.equal(balance(x, y, generator, rng=3)[0], x_all)
    assert not torch.equal(balance(x, y, generator, rng=4)[0], x_all)


def test_balance_works_for_text_lists():
    texts, y = ["a", "b", "c"], torch.tensor([0, 0, 1])
    x_all, y_all = balance(texts, y, lambda labels: [f"gen {int(c)}" for c in labels])
    assert x_all == ["a", "b", "c", "gen 1"] and y_all.tolist() == [0, 0, 1, 1]


def test_already_balanced_gives_nothing_new():
    x, y = torch.zeros(4, 1, 2, 2), torch.tensor([0, 1, 0, 1])
    x_new, y_new = top_up(x, y, fake_images)
    assert len(x_new) == 0 and len(y_new) == 0


def test_bad_target_and_lying_generator_are_named():
    y = torch.tensor([0, 1, 1])
    with pytest.raises(ValueError, match="target"):
        shortfall(y, target=-1)
    with pytest.raises(ValueError, match="generator returned"):
        top_up(torch.zeros(3, 1, 2, 2), y, lambda labels: torch.zeros(7, 1, 2, 2))


def test_length_mismatch_is_named_not_misaligned():
    x, y = torch.zeros(4, 1, 2, 2), torch.tensor([0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="x and y must have the same length: x has 4 samples, y has 5"):
        balance(x, y, fake_images)
    with pytest.raises(ValueError, match="x and y"):
        top_up(["a", "b"], torch.tensor([0]), fake_images)


def test_negative_labels_are_named():
    with pytest.raises(ValueError, match=r"y must hold class indices >= 0.*got label -1"):
        balance(torch.zeros(3, 1, 2, 2), torch.tensor([-1, 0, 0]), fake_images)


def test_numpy_images_are_named_not_mixed_into_a_list():
    import numpy as np

    with pytest.raises(TypeError, match="x must be a tensor or a list.*from_numpy"):
        balance(np.zeros((3, 1, 4, 4), dtype=np.float32), torch.tensor([0, 0, 1]), fake_images)


def test_an_already_balanced_tuple_of_texts_gives_a_list():
    x_new, _ = top_up(("a", "b"), torch.tensor([0, 1]), lambda labels: [])
    assert x_new == []


@pytest.mark.parametrize("x, generator, error, match", [
    (torch.rand(3, 1, 5, 5), fake_images, ValueError, r"samples of shape \[1, 4, 4\], but x holds \[1, 5, 5\]"),
    (torch.rand(3, 1, 4, 4), lambda labels: [str(c) for c in labels], TypeError, "list for a tensor x"),
    (torch.rand(3, 1, 4, 4), lambda labels: None, TypeError, "NoneType for a tensor x"),
    (["a", "b", "c"], fake_images, TypeError, r"kind \['Tensor'\] for x, a list of str"),
    (["a", "b", "c"], lambda labels: list(fake_images(labels)), TypeError, r"\['Tensor'\] for x, a list of str"),
    (["a", "b", "c"], lambda labels: None, TypeError, "NoneType for x, a list"),
])
def test_generated_samples_must_match_x(x, generator, error, match):
    with pytest.raises(error, match=match):   # concatenating failed deep in torch, or mixed texts with images
        balance(x, torch.tensor([0, 0, 1]), generator)


def test_rng_for_a_plain_callable_is_refused_not_ignored():
    with pytest.raises(ValueError, match="rng is passed to an Augmenter's generate; generator is a function"):
        balance(torch.rand(3, 1, 4, 4), torch.tensor([0, 0, 1]), fake_images, rng=3)


def test_a_batch_of_clips_tops_up_a_list_of_clips():
    clips = [torch.zeros(5), torch.zeros(7), torch.zeros(6)]   # clips of their own lengths
    x_all, y_all = balance(clips, torch.tensor([0, 0, 1]), lambda labels: torch.ones(len(labels), 4))
    assert len(x_all) == 4 and torch.equal(x_all[3], torch.ones(4)) and y_all.tolist() == [0, 0, 1, 1]


def test_a_class_the_generator_never_saw_is_named_as_balancing_needs_it():
    from aad.image import ConditionalGAN

    x, y = torch.rand(6, 1, 8, 8), torch.tensor([0, 0, 1, 1, 2, 2])
    gan = ConditionalGAN(steps=1, g_width=4, d_width=4, progress=False, seed=0).fit(x, y)
    with pytest.raises(ValueError, match=r"cannot draw the classes \[1, 2, 3\] that topping up needs "
                                         r"\(num_classes=4\): y labels must be in \[0, 2\]"):
        balance(x, torch.tensor([0, 0, 0, 1, 2, 2]), gan, num_classes=4)


def test_labels_beyond_the_generators_classes_are_refused_even_where_no_top_up_is_needed():
    # a folder that gained a class ("eight" sorts first) renumbers the others: "eight" got "one"s
    x, y = torch.rand(6, 1, 4, 4), torch.tensor([0, 0, 1, 1, 2, 2])
    generator = ClassMeans().fit(x, y)
    with pytest.raises(ValueError, match=r"y has label 3, but generator was fitted on 3 classes .* numbered"):
        balance(torch.rand(7, 1, 4, 4), torch.tensor([0, 1, 2, 3, 3, 3, 3]), generator)


def test_a_transform_tops_up_with_copies_of_the_classs_own_samples_each_used_in_turn():
    from aad import Augmenter

    class Tag(Augmenter):   # marks each copy, so its source can be read back
        modality = "image"

        def __init__(self, seed=None):
            self.seed = seed

        def _augment(self, x, y, g):
            return x + 0.5

    x, y = torch.arange(7.0).view(7, 1, 1, 1) / 10, torch.tensor([0, 0, 0, 0, 0, 1, 1])
    x_all, y_all = balance(x, y, Tag(), rng=0)
    assert y_all.tolist() == [0] * 5 + [1] * 5
    sources = ((x_all[7:].flatten() - 0.5) * 10).round().tolist()
    assert sorted(sources) in ([5, 5, 6], [5, 6, 6])
    assert sorted(sources[:2]) == [5, 6]                   # both are used before either twice
    assert torch.equal(balance(x, y, Tag(), rng=0)[0], x_all)  # seeded


def test_a_text_transform_balances_a_list_of_texts():
    from aad.text import RandomSwap

    texts, y = ["a b c d"] * 4 + ["e f g"], [0, 0, 0, 0, 1]
    x_all, y_all = balance(texts, y, RandomSwap(seed=0))
    assert y_all.tolist() == [0] * 4 + [1] * 4 and texts == ["a b c d"] * 4 + ["e f g"]
    assert all(sorted(t.split()) == ["e", "f", "g"] for t in x_all[5:])


def test_a_transform_cannot_fill_an_absent_class():
    from aad.image import RandomAffine

    with pytest.raises(ValueError, match="class 2 has no sample in y for RandomAffine"):
        balance(torch.rand(3, 1, 8, 8), torch.tensor([0, 0, 1]), RandomAffine(), num_classes=3)


def test_the_numbering_check_reaches_a_generator_inside_a_composition():
    from aad import OneOf
    from aad.image import RandomAffine

    x, y = torch.rand(6, 1, 4, 4), torch.tensor([0, 0, 1, 1, 2, 2])
    generator = ClassMeans().fit(x, y)
    with pytest.raises(ValueError, match="y has label 3, but generator was fitted on 3 classes"):
        balance(torch.rand(7, 1, 4, 4), torch.tensor([0, 1, 2, 3, 3, 3, 3]), OneOf([generator, RandomAffine()]))
