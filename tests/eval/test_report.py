import pytest
import torch

from aad.eval import Report
from aad.eval.plots import gain_bars, save_figures

BASE = {"modality": "image", "dataset": "d", "model": "cnn", "protocol": "kshot", "shots": 10, "steps": 1000,
        "n_test": 500, "macro_f1": 0.8, "balanced_accuracy": 0.8}


def run_rows(factor: int, gains: list[float], **settings) -> list[dict]:
    rows = []
    for seed, gain in enumerate(gains):
        for arm, accuracy in (("none", 0.8), ("affine", 0.8 + gain)):
            rows.append({**BASE, "augmenter": arm, "seed": seed, "factor": factor, "accuracy": accuracy, **settings})
    return rows


def test_runs_of_other_settings_are_not_pooled_as_seeds():
    report = Report(rows=run_rows(4, [0.01, 0.03, 0.02])).extend(Report(rows=run_rows(20, [0.05, 0.04, 0.06])))
    affine = [e for e in report.summary() if e["augmenter"] == "affine"]
    assert [(e["factor"], e["n_seeds"], e["gain_accuracy"]["n"]) for e in affine] == [(4, 3, 3), (20, 3, 3)]
    assert {(e["steps"], e["n_test"], e["repeats"]) for e in affine} == {(1000, 500, 1)}  # repeats: 1 unrecorded
    titles = [line for line in report.to_markdown().splitlines() if line.startswith("## image")]
    assert titles == ["## image / d — model `cnn`, kshot, 10 shots, factor 4, 1000 steps, 500 test samples",
                      "## image / d — model `cnn`, kshot, 10 shots, factor 20, 1000 steps, 500 test samples"]


def test_runs_of_another_minority_or_judge_are_not_pooled_either():
    cut = lambda minority: run_rows(4, [0.01, 0.03], protocol="imbalance", minority=minority)
    report = Report(rows=cut(1) + cut(3) + run_rows(4, [0.02, 0.02], quick=True))
    affine = [e for e in report.summary() if e["augmenter"] == "affine"]
    assert sorted((e["protocol"], e["minority"], e["quick"], e["n_seeds"]) for e in affine) == [
        ("imbalance", 1, None, 2), ("imbalance", 3, None, 2), ("kshot", None, True, 2)]
    assert "1000 steps, 500 test samples, 1 sample per cut class" in report.to_markdown()
    assert "1000 steps, 500 test samples, quick" in report.to_markdown()


def test_an_arm_of_one_name_with_other_parameters_is_kept_apart():
    rows = run_rows(4, [0.01, 0.03], arm_config="aaa") + run_rows(4, [0.05, 0.07], arm_config="bbb")
    for row in rows:   # the control is the same arm in both runs
        row["arm_config"] = "none" if row["augmenter"] == "none" else row["arm_config"]
    entries = {e["augmenter"]: e for e in Report(rows=rows).summary()}
    assert sorted(entries) == ["affine (aaa)", "affine (bbb)", "none"]
    assert round(100 * entries["affine (bbb)"]["gain_accuracy"]["gain"], 6) == 6.0
    assert entries["none"]["n_seeds"] == 2, "a seed run twice is one seed, the later row"


def test_a_title_says_the_trainings_per_seed_when_more_than_one():
    report = Report(rows=run_rows(4, [0.01, 0.03], repeats=3))
    assert "factor 4, 1000 steps, 500 test samples, 3 trainings per seed" in report.to_markdown()
    assert [e["repeats"] for e in report.summary()] == [3, 3]


def test_gain_bars_name_the_settings_only_when_runs_differ():
    one = Report(rows=run_rows(4, [0.01, 0.03]))
    assert [label for label, *_ in gain_bars(one.summary())] == ["d cnn k=10: affine"]
    two = Report(rows=run_rows(4, [0.01, 0.03])).extend(Report(rows=run_rows(20, [0.05, 0.04])))
    labels = [label for label, *_ in gain_bars(two.summary())]
    assert labels == ["d cnn k=10, factor 4, 1000 steps, 500 test samples: affine",
                      "d cnn k=10, factor 20, 1000 steps, 500 test samples: affine"]


def test_arms_whose_names_share_a_slug_get_a_figure_each(tmp_path):
    report = Report()
    for arm in ("gan+affine", "gan-affine"):
        report.samples[("d", arm)] = {"modality": "image", "before": [None], "after": [torch.rand(1, 4, 4)],
                                      "labels": [0], "names": ["zero"], "sample_rate": None}
    names = save_figures(report, tmp_path)
    assert names == ["samples_d_gan-affine.png", "samples_d_gan-affine-2.png"]
    assert all((tmp_path / name).is_file() for name in names)


def test_rows_that_evaluate_did_not_write_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"rows\[0\] is not a row evaluate writes .* got \{\}"):
        Report(rows=[{}])   # its summary failed on KeyError 'seed'
    other = tmp_path / "log.jsonl"
    other.write_text('{"epoch": 1, "loss": 0.5}\n')
    with pytest.raises(ValueError, match="log.jsonl is not a rows.jsonl of aad evaluate: rows\\[0\\]"):
        Report.from_rows_file(other)


def test_examples_name_their_class_not_its_index():
    """A 3-star review read "[1]" (its index) when the classes are themselves numbers."""
    from aad.data.dataset import Dataset
    from aad.eval.report import _text_examples

    report = Report()
    stars = Dataset(x=["so so film", "great film"], y=[0, 1], classes=("3", "5"), modality="text")
    report.add_samples("reviews", "swap", "text", stars, ["film so so", "film great"], torch.tensor([0, 1]),
                       torch.tensor([0, 1]))
    lines = _text_examples(report.samples)
    assert "- [3] “so so film” → “film so so”" in lines and "- [5] “great film” → “film great”" in lines
