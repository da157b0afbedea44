import math
import statistics

import pytest
import torch

from aad.eval import generative as gm
from aad.eval.metrics import accuracy, balanced_accuracy, classification_scores, macro_f1, mean_std, paired_ci


def test_scores_match_scikit_learn():
    sk = pytest.importorskip("sklearn.metrics")
    g = torch.Generator().manual_seed(0)
    y_true = torch.randint(0, 4, (200,), generator=g)
    y_pred = torch.where(torch.rand(200, generator=g) < 0.6, y_true, torch.randint(0, 4, (200,), generator=g))
    assert macro_f1(y_true, y_pred, 4) == pytest.approx(sk.f1_score(y_true, y_pred, average="macro"))
    assert balanced_accuracy(y_true, y_pred, 4) == pytest.approx(sk.balanced_accuracy_score(y_true, y_pred))
    assert classification_scores(y_true, y_pred, 4)["accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))


def test_balanced_accuracy_sees_through_a_majority_guess():
    y_true = torch.tensor([0] * 90 + [1] * 10)
    y_pred = torch.zeros(100, dtype=torch.long)
    scores = classification_scores(y_true, y_pred, 2)
    assert scores["accuracy"] == pytest.approx(0.9)
    assert scores["balanced_accuracy"] == pytest.approx(0.5)


def test_paired_ci_uses_the_pairing():
    control = [0.50, 0.70, 0.90]
    treatment = [0.52, 0.73, 0.92]  # about +2 points on each; unpaired stds would swamp it
    ci = paired_ci(treatment, control)
    assert ci["gain"] == pytest.approx(0.02 + 0.01 / 3)
    t_975_2 = 4.302652729911275   # Student's t, 97.5% quantile, 2 degrees of freedom
    half = t_975_2 * statistics.stdev([0.02, 0.03, 0.02]) / math.sqrt(3)
    assert (ci["ci_low"], ci["ci_high"]) == pytest.approx((ci["gain"] - half, ci["gain"] + half), rel=1e-6)
    assert 0 < ci["ci_low"]   # unpaired, the stds of 0.2 would put it far below 0
    noisy = paired_ci([0.6, 0.5, 0.7], [0.5, 0.6, 0.5])
    assert noisy["ci_low"] < 0 < noisy["ci_high"]
    assert math.isnan(paired_ci([0.6], [0.5])["ci_low"])
    with pytest.raises(ValueError, match="paired"):
        paired_ci([0.1, 0.2], [0.1])


def test_paired_ci_has_no_interval_when_every_seed_differs_by_the_same_amount():
    # A spread of 0 (two seeds a test sample apart each) says nothing about the noise: no interval,
    # so the report does not bold it as significant.
    ci = paired_ci([0.876, 0.501], [0.875, 0.500])
    assert ci["gain"] == pytest.approx(0.001)
    assert math.isnan(ci["ci_low"]) and math.isnan(ci["ci_high"])


def test_mean_std():
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(math.sqrt(2)))
    assert mean_std([5.0]) == (5.0, 0.0)


def test_frechet_distance_is_zero_for_equal_sets_and_grows_with_shift():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(500, 8, generator=g)
    assert gm.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    near = gm.frechet_distance(a, torch.randn(500, 8, generator=g))
    far = gm.frechet_distance(a, torch.randn(500, 8, generator=g) + 2.0)
    assert near < 0.5 and far == pytest.approx(32.0, rel=0.2)  # |mean shift|^2 = 8 * 4


def test_precision_recall_separate_fidelity_from_diversity():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(400, 2, generator=g)
    collapsed = 0.05 * torch.randn(400, 2, generator=g)  # all fakes at the centre: faithful, not diverse
    pr = gm.precision_recall(real, collapsed)
    assert pr["precision"] > 0.9 and pr["recall"] < 0.3
    off = gm.precision_recall(real, torch.randn(400, 2, generator=g) + 10)
    assert off["precision"] == 0.0


def test_coverage_stays_when_each_source_gives_more_copies_than_k():
    # an augmenter's ``factor`` copies of each source shrink every fake's k-NN ball to the copies'
    # spread once factor > k: recall collapses, coverage measures the same spread of fakes
    g = torch.Generator().manual_seed(3)
    real, sources = torch.randn(400, 2, generator=g), torch.randn(60, 2, generator=g)
    copies = lambda n: sources.repeat_interleave(n, 0) + 0.01 * torch.randn(60 * n, 2, generator=g)
    three, five = gm.precision_recall(real, copies(3), k=3), gm.precision_recall(real, copies(5), k=3)
    assert five["recall"] < 0.5 * three["recall"]
    assert five["coverage"] == pytest.approx(three["coverage"], abs=0.1) and three["coverage"] > 0.2
    r_real = torch.cdist(real, real).kthvalue(4, dim=1).values
    fakes = copies(1)
    direct = (torch.cdist(real, fakes) <= r_real[:, None]).any(1).float().mean()
    assert gm.precision_recall(real, fakes, k=3)["coverage"] == pytest.approx(float(direct))


def test_precision_recall_in_chunks_matches_the_full_distance_matrix(monkeypatch):
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(300, 4, generator=g), torch.randn(500, 4, generator=g) * 1.5
    whole = gm.precision_recall(real, fake)
    monkeypatch.setattr(gm, "CHUNK", 7)  # many uneven chunks: memory stays O(chunk * N)
    assert gm.precision_recall(real, fake) == pytest.approx(whole)
    r_real = torch.cdist(real, real).kthvalue(4, dim=1).values
    assert whole["precision"] == pytest.approx(float((torch.cdist(fake, real) <= r_real).any(1).float().mean()))


def test_precision_recall_caps_the_sample_count():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(200, 3, generator=g), torch.randn(5000, 3, generator=g)
    capped = gm.precision_recall(real, fake, max_samples=200)
    assert capped == gm.precision_recall(real, gm._at_most(fake, 200))
    assert capped != gm.precision_recall(real, fake)  # more fakes: smaller radii, other values


def test_inception_score_bounds():
    assert gm.inception_score(torch.eye(4)) == pytest.approx(4.0)          # confident and diverse
    assert gm.inception_score(torch.full((10, 4), 0.25)) == pytest.approx(1.0)  # uninformative


def test_label_flip_rate_and_distinct_n():
    assert gm.label_flip_rate(torch.tensor([0, 1, 1, 0]), torch.tensor([0, 1, 0, 0])) == 0.25
    assert gm.distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert gm.distinct_n(["a b c", "d e f"], 2) == 1.0
    assert gm.distinct_n(["one"], 2) == 0.0


def test_accuracy_refuses_mismatched_shapes_instead_of_broadcasting():
    y = torch.tensor([0, 1, 1])
    assert accuracy(y, y) == 1.0
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(3, 1\)"):
        accuracy(y, y[:, None])


def test_labels_out_of_range_are_refused_not_wrapped_around():
    y = torch.tensor([0, 1])
    with pytest.raises(ValueError, match=r"y_pred must hold class indices in \[0, 2\], got range \[0, 5\]"):
        macro_f1(y, torch.tensor([0, 5]), 3)   # 5 would land in the (1, 1) cell and score 1.0
    with pytest.raises(ValueError, match="same shape"):
        balanced_accuracy(y, torch.tensor([0, 1, 1]), 3)


def test_generative_metrics_name_degenerate_inputs():
    with pytest.raises(ValueError, match="N >= 2"):
        gm.frechet_distance(torch.randn(1, 8), torch.randn(5, 8))
    with pytest.raises(ValueError, match=r"features \[N, D\]"):
        gm.frechet_distance(torch.randn(5), torch.randn(5))
    with pytest.raises(ValueError, match="rows sum to 1"):
        gm.inception_score(torch.randn(4, 2) * 10)   # logits, not probabilities
    with pytest.raises(ValueError, match="same shape"):
        gm.label_flip_rate(torch.tensor([[0], [1]]), torch.tensor([0, 1]))
