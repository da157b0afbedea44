import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import aad
from aad import Compose, Identity
from aad.eval import Arm, Report, evaluate, harness
from aad.eval.expand import FitCache, class_needs, expand
from aad.eval.harness import arm_config, judge_reference
from aad.eval.runs import prepare_out
from tests.eval.helpers import (
    AudioGain,
    Broken,
    ClassMeans,
    Jitter,
    TextDup,
    audio_dataset,
    image_dataset,
    text_dataset,
)

FAST = {"steps": 30, "progress": False}


def test_class_needs():
    y = torch.tensor([0, 0, 0, 0, 1, 2, 2])
    assert class_needs(y, 3, 2, balance=False).tolist() == [8, 2, 4]
    assert class_needs(y, 3, 2, balance=True).tolist() == [8, 11, 10]  # every class to (1 + 2) * 4


def test_expand_transform_copies_and_generator_samples():
    data = image_dataset(n_per_class=4)
    gen = ClassMeans(seed=0).fit(data.x, data.y)
    x, y, source = expand([Jitter(), gen], data.x, data.y, 3, factor=2, balance=False, seed=0)
    assert len(y) == 2 * (2 * 12) and x.shape == (48, 1, 8, 8)
    copies = source >= 0
    assert copies.sum() == 24 and (data.y[source[copies]] == y[copies]).all()  # labels follow sources
    assert (source[~copies] == -1).all()
    again = expand([Jitter(), gen], data.x, data.y, 3, factor=2, balance=False, seed=0)[0]
    assert torch.equal(x, again)  # the same seed gives the same new samples


def test_expand_shares_a_parts_samples_across_arms():
    data = image_dataset(n_per_class=4)
    gen = ClassMeans(seed=0).fit(data.x, data.y)
    memo = {}
    alone = expand([gen], data.x, data.y, 3, factor=2, balance=False, seed=0, memo=memo)
    with_jitter = expand([Jitter(), gen], data.x, data.y, 3, factor=2, balance=False, seed=0, memo=memo)
    assert torch.equal(with_jitter[0][-24:], alone[0])  # the same generator's samples in both arms
    assert len(memo) == 2  # one entry per distinct part: the generator was run once
    other = expand([gen], data.x, data.y, 3, factor=2, balance=False, seed=1)[0]
    assert not torch.equal(other, alone[0])  # another subset seed, other samples


def test_two_parts_configured_alike_draw_anew():
    data = image_dataset(n_per_class=4)
    memo = {}
    once = expand([Jitter()], data.x, data.y, 3, factor=1, balance=False, seed=0, memo=memo)[0]
    twice = expand([Jitter(), Jitter()], data.x, data.y, 3, factor=1, balance=False, seed=0, memo=memo)[0]
    assert torch.equal(twice[:12], once)              # the first draw is the one-part arm's
    assert not torch.equal(twice[12:], twice[:12])    # the second is a new one, not a duplicate
    assert len(memo) == 2


OPAQUE = object()  # like the nlpaug object aad.text.Nlpaug holds: config.json cannot hold it


def test_expand_takes_an_augmenter_whose_config_cannot_be_saved():
    class Wrapped(Jitter):
        def __init__(self, scale=OPAQUE, seed=None):
            self.scale = scale
            self.seed = seed

        def _augment(self, x, y, g):
            return (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(0, 1)

    data = image_dataset(n_per_class=4)
    memo = {}
    first = expand([Wrapped()], data.x, data.y, 3, factor=1, balance=False, seed=0, memo=memo)[0]
    again = expand([Wrapped()], data.x, data.y, 3, factor=1, balance=False, seed=0)[0]
    assert first.shape == (12, 1, 8, 8) and torch.equal(first, again)  # still seeded reproducibly
    # never shared across arms: nothing tells two such augmenters apart (an id is reused once freed)
    assert memo == {}


class OpaqueMeans(ClassMeans):
    """A learned augmenter holding an object config.json cannot (like Nlpaug inside a Compose)."""

    def __init__(self, noise=0.05, wrapped=OPAQUE, seed=None):
        super().__init__(noise, seed)
        self.wrapped = wrapped


@pytest.mark.parametrize("folder", [None, "fits"])
def test_a_learned_augmenter_whose_config_cannot_be_saved_is_fitted_without_the_cache(tmp_path, folder):
    data = image_dataset(n_per_class=4)
    cache = FitCache(None if folder is None else tmp_path / folder)
    OpaqueMeans.fits = 0
    first = cache.fitted(OpaqueMeans(), data.x, data.y, ("toy", "kshot", 4, 0))
    again = cache.fitted(OpaqueMeans(), data.x, data.y, ("toy", "kshot", 4, 0))
    assert OpaqueMeans.fits == 2 and first is not again   # nothing tells two such augmenters apart
    assert torch.equal(first.means_, again.means_)
    report = evaluate(data, {"opaque": Compose([OpaqueMeans(), Jitter()])}, shots=[3], seeds=[0],
                      generative_metrics=False, **FAST)
    assert all("error" not in row for row in report.rows)


class Setting:
    def __init__(self, action):
        self.action = action
        self._cache = object()   # private: not part of the description


def test_arm_config_tells_apart_parameters_config_json_cannot_hold():
    def config(action):
        return arm_config(Arm([OpaqueMeans(wrapped=Setting(action))]))

    assert config("swap") == config("swap") != config("delete")


NLPAUG_ARM_CONFIGS = """
from nlpaug.augmenter.word import RandomWordAug
from aad.eval import Arm
from aad.eval.harness import arm_config
from aad.text import Nlpaug
print([arm_config(Arm([Nlpaug(augmenter=RandomWordAug(action=action))])) for action in ("swap", "delete")])
"""


def test_arm_config_of_an_nlpaug_arm_is_equal_across_processes():
    naw = pytest.importorskip("nlpaug.augmenter.word")
    from aad.text import Nlpaug

    swap, delete = (arm_config(Arm([Nlpaug(augmenter=naw.RandomWordAug(action=action))]))
                    for action in ("swap", "delete"))
    root = Path(aad.__file__).parents[1]   # the aad under test, imported in the new process too
    there = subprocess.run([sys.executable, "-c", NLPAUG_ARM_CONFIGS], capture_output=True, text=True,
                           check=True, cwd=root).stdout
    assert there.strip() == repr([swap, delete]) and swap != delete


def test_the_judge_compares_with_every_class_of_a_class_sorted_test_split():
    test = image_dataset(n_per_class=600, classes=3)   # sorted by class, as from_folder's are
    counts = torch.bincount(judge_reference(test).y, minlength=3)
    assert counts.sum() == 1000 and counts.min() > 280   # about a third each, not 600 + 400 + 0
    assert len(judge_reference(image_dataset())) == 90   # a small test split is used whole


def test_compose_with_a_generative_first_child_generates():
    data = image_dataset(n_per_class=4)
    pipeline = Compose([ClassMeans(), Jitter()]).fit(data.x, data.y)
    _, y, source = expand([pipeline], data.x, data.y, 3, factor=1, balance=False, seed=0)
    assert len(y) == 12 and (source == -1).all()


def test_evaluate_rows_metrics_and_gain(tmp_path):
    data = image_dataset()
    report = evaluate(data, {"jitter": Jitter(), "means": ClassMeans(), "both": Arm([Jitter(), ClassMeans()])},
                      shots=[5], seeds=[0, 1], factor=2, out=tmp_path / "run", **FAST)
    assert {r["augmenter"] for r in report.rows} == {"none", "jitter", "means", "both"}
    assert len(report.rows) == 8 and not any("error" in r for r in report.rows)
    for r in report.rows:
        assert 0 <= r["accuracy"] <= 1 and 0 <= r["macro_f1"] <= 1 and 0 <= r["balanced_accuracy"] <= 1
    means = [r for r in report.rows if r["augmenter"] == "means"]
    assert all("cas_accuracy" in r and "frechet_distance" in r and "precision" in r for r in means)
    assert all("cas_accuracy" not in r for r in report.rows if r["augmenter"] == "jitter")
    assert [r["n_new"] for r in report.rows if r["augmenter"] == "both"] == [60, 60]
    summary = {e["augmenter"]: e for e in report.summary()}
    assert "gain_accuracy" in summary["jitter"] and "gain_accuracy" not in summary["none"]
    assert summary["jitter"]["n_seeds"] == 2
    lines = (tmp_path / "run" / "rows.jsonl").read_text().splitlines()
    assert len(lines) == 8


def test_the_downstream_model_trains_on_the_real_subset_plus_the_new_samples(monkeypatch):
    trained = []   # (x, y) of every downstream fit, in order: "none", then "jitter"
    make_model = harness.make_model

    def recording(*args, **kwargs):
        model = make_model(*args, **kwargs)
        fit = model.fit
        model.fit = lambda x, y, *a, **kw: (trained.append((x.clone(), y.clone())), fit(x, y, *a, **kw))[1]
        return model

    monkeypatch.setattr(harness, "make_model", recording)
    report = evaluate(image_dataset(), {"jitter": Jitter()}, shots=[3], seeds=[0], factor=2,
                      generative_metrics=False, **FAST)
    (real_x, real_y), (x, y) = trained
    assert [r["n_real"] for r in report.rows] == [len(real_x)] * 2
    assert len(x) == len(real_x) * 3 == len(real_x) + report.rows[1]["n_new"]
    assert torch.equal(x[:len(real_x)], real_x) and torch.equal(y[:len(real_y)], real_y)
    assert torch.equal(y.bincount(), 3 * real_y.bincount())   # new samples keep their source's label
    assert not torch.equal(x[len(real_x):2 * len(real_x)], real_x)   # and are jittered copies


def test_evaluate_is_deterministic():
    data = image_dataset()
    runs = [evaluate(data, {"jitter": Jitter(seed=None)}, shots=[3], seeds=[4], **FAST) for _ in range(2)]
    assert [r["accuracy"] for r in runs[0].rows] == [r["accuracy"] for r in runs[1].rows]


def test_repeats_average_trainings_from_other_inits_and_the_first_is_the_single_run(tmp_path):
    data = image_dataset()
    run = {"shots": [3], "seeds": [4], "generative_metrics": False, "steps": 2, "progress": False}  # half-trained
    single = evaluate(data, {"jitter": Jitter()}, **run)
    repeated = evaluate(data, {"jitter": Jitter()}, repeats=3, out=tmp_path, **run)
    for one, three in zip(single.rows, repeated.rows):
        runs = three["accuracy_runs"]
        assert three["repeats"] == 3 and len(runs) == 3 and "accuracy_runs" not in one
        assert runs[0] == one["accuracy"]             # repeat 0 trains from the seed a single run uses
        assert len(set(runs)) > 1                       # the others start elsewhere
        assert three["accuracy"] == pytest.approx(sum(runs) / 3)
    assert "3 trainings per seed" in repeated.to_markdown()


def test_test_split_is_never_seen_by_augmenters():
    train, test = image_dataset(seed=0).split(0.3)
    seen = []

    class Spy(Jitter):
        def _augment(self, x, y, g):
            seen.append(x.clone())
            return super()._augment(x, y, g)

    evaluate((train, test), {"spy": Spy()}, shots=[2], seeds=[0], generative_metrics=False, **FAST)
    flat = torch.cat(seen).flatten(1)
    for sample in test.x.flatten(1):
        assert not (flat == sample).all(1).any()


def test_a_crashing_augmenter_is_recorded_and_others_run(tmp_path):
    report = evaluate(image_dataset(), {"broken": Broken(), "jitter": Jitter()}, shots=[3], seeds=[0], **FAST)
    broken = [r for r in report.rows if r["augmenter"] == "broken"]
    assert len(broken) == 1 and "boom" in broken[0]["error"]
    assert "accuracy" in next(r for r in report.rows if r["augmenter"] == "jitter")
    report.save(tmp_path)
    assert "boom" in (tmp_path / "report.md").read_text()


def test_a_failing_sample_metric_keeps_the_arms_accuracy(tmp_path, monkeypatch):
    def fails(*args):
        raise ValueError("real must be features [N, D] with N >= 2")   # e.g. a one-sample test split

    monkeypatch.setattr(harness._Judge, "metrics", fails)
    report = evaluate(image_dataset(), {"jitter": Jitter()}, shots=[3], seeds=[0], **FAST)
    jitter = next(r for r in report.rows if r["augmenter"] == "jitter")
    assert "error" not in jitter and 0 <= jitter["accuracy"] <= 1
    assert "N >= 2" in jitter["metrics_error"]
    report.save(tmp_path)
    assert "sample metrics: ValueError" in (tmp_path / "report.md").read_text()


class TwoPerInput(Jitter):
    def _augment(self, x, y, g):
        return torch.cat([x, x.flip(-1)])


def test_an_augmenter_that_returns_more_samples_than_inputs_is_an_error_row():
    """Recorded as a result, it trained on labels shifted onto other samples."""
    report = evaluate(image_dataset(), {"two": TwoPerInput()}, shots=[3], seeds=[0], factor=2, **FAST)
    [row] = [r for r in report.rows if r["augmenter"] == "two"]
    assert row["error"] == "ValueError: TwoPerInput returned 36 samples for 18 inputs: the harness needs one per sample"


def test_clips_of_their_own_lengths_are_fitted_to_the_real_length():
    from aad.audio import TimeStretch

    data = audio_dataset(t=1600)
    x, y, _ = expand([TimeStretch(keep_length=False, seed=0)], data.x, data.y, 2, factor=1, balance=False, seed=0)
    assert x.shape == data.x.shape and len(y) == len(data.y)


class Flaky(Jitter):
    """Fails while ``failing`` is set (a transient error: out of memory, a download)."""

    failing = True

    def _augment(self, x, y, g):
        if type(self).failing:
            raise RuntimeError("transient")
        return super()._augment(x, y, g)


def test_resume_drops_the_error_rows_it_redoes_from_the_rows_file(tmp_path):
    data = image_dataset()
    run = {"shots": [3], "out": tmp_path, **FAST}
    Flaky.failing = True
    evaluate(data, {"flaky": Flaky()}, seeds=[0, 1], **run)
    Flaky.failing = False
    evaluate(data, {"flaky": Flaky()}, seeds=[0], resume=True, **run)   # seed 1 is not part of this run
    rows = Report.from_rows_file(tmp_path / "rows.jsonl").rows
    assert sorted((r["augmenter"], r["seed"], "error" in r) for r in rows) == [
        ("flaky", 0, False), ("flaky", 1, True), ("none", 0, False), ("none", 1, False)]


def test_resume_shows_the_samples_of_arms_finished_before_it(tmp_path):
    data = image_dataset()
    run = {"shots": [3], "out": tmp_path, **FAST}
    first = evaluate(data, {"jitter": Jitter(), "means": ClassMeans()}, seeds=[0], **run)
    ClassMeans.fits = 0
    resumed = evaluate(data, {"jitter": Jitter(), "means": ClassMeans()}, seeds=[0, 1], resume=True, **run)
    assert ClassMeans.fits == 1   # seed 1's fit; seed 0's came from the cache, and nothing was retrained
    assert resumed.samples.keys() == first.samples.keys() == {("toy-images", "jitter"), ("toy-images", "means")}
    for key, shown in first.samples.items():
        assert all(torch.equal(a, b) for a, b in zip(shown["after"], resumed.samples[key]["after"]))


def test_a_failure_to_rebuild_a_finished_arms_samples_does_not_fail_the_resume(tmp_path, monkeypatch):
    data = image_dataset()
    run = {"shots": [3], "out": tmp_path, **FAST}
    first = evaluate(data, {"jitter": Jitter()}, seeds=[0], **run)
    monkeypatch.setattr(Jitter, "_augment", Broken._augment)
    with pytest.warns(UserWarning, match="could not rebuild the samples of arm 'jitter': RuntimeError: boom"):
        resumed = evaluate(data, {"jitter": Jitter()}, seeds=[0], resume=True, **run)
    assert resumed.rows == first.rows and not resumed.samples


def test_resume_skips_finished_rows_and_reuses_fits(tmp_path):
    out = tmp_path / "run"
    data = image_dataset()
    ClassMeans.fits = 0
    first = evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0], out=out, **FAST)
    assert ClassMeans.fits == 1
    with pytest.raises(FileExistsError, match="--resume"):
        evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0], out=out, **FAST)
    again = evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0, 1], out=out, resume=True, **FAST)
    assert ClassMeans.fits == 2  # only seed 1 was new
    assert len(again.rows) == 4
    assert again.rows[:2] == first.rows
    # a cached fit on disk is reused by a fresh run with the same settings
    third = evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0], out=out, overwrite=True, **FAST)
    assert ClassMeans.fits == 2
    assert [r["accuracy"] for r in third.rows] == [r["accuracy"] for r in first.rows]


def test_a_fit_on_other_data_is_not_reused_from_the_cache(tmp_path):
    # The same dataset name, shots and seed but another split: the cached GAN saw other samples (some
    # of them in this split's test set), so it is fitted again.
    data = image_dataset()
    ClassMeans.fits = 0
    evaluate(data.split(0.5, seed=0), {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path, **FAST)
    evaluate(data.split(0.5, seed=1), {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path,
             overwrite=True, **FAST)
    assert ClassMeans.fits == 2


def test_resume_refuses_another_minority(tmp_path):
    data = image_dataset(n_per_class=20, classes=4)
    run = {"shots": [4], "seeds": [0], "protocol": "imbalance", "out": tmp_path, **FAST}
    evaluate(data, {"means": ClassMeans()}, minority=3, **run)
    with pytest.raises(ValueError, match="other settings \\(minority 3, now 1"):
        evaluate(data, {"means": ClassMeans()}, minority=1, resume=True, **run)


def test_resume_after_a_row_cut_short_keeps_the_file_readable(tmp_path):
    data = image_dataset()
    first = evaluate(data, {"jitter": Jitter()}, shots=[3], seeds=[0], out=tmp_path, **FAST)
    rows = tmp_path / "rows.jsonl"
    lines = rows.read_text().splitlines()
    rows.write_text(lines[0] + "\n" + lines[1][:25])   # the run was killed while writing its last row
    again = evaluate(data, {"jitter": Jitter()}, shots=[3], seeds=[0], out=tmp_path, resume=True, **FAST)
    assert [r["accuracy"] for r in again.rows] == [r["accuracy"] for r in first.rows]
    assert [r["augmenter"] for r in Report.from_rows_file(rows).rows] == ["none", "jitter"]


@pytest.mark.parametrize("changed, field", [({"factor": 2}, "factor"), ({"test_size": 9}, "n_test"),
                                            ({"steps": 9}, "steps"), ({"repeats": 2}, "repeats"),
                                            ({"quick": True}, "quick")])
def test_resume_refuses_rows_made_with_other_settings(tmp_path, changed, field):
    data = image_dataset()
    evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path, **FAST)
    with pytest.raises(ValueError, match=f"other settings \\({field} "):
        evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path, resume=True,
                 **{**FAST, **changed})
    with pytest.raises(ValueError, match="arm_config"):   # the same arm name, other parameters
        evaluate(data, {"means": Jitter()}, shots=[3], seeds=[0], out=tmp_path, resume=True, **FAST)


def test_resume_refuses_rows_of_data_that_changed_under_its_name(tmp_path):
    """Rows are keyed by the dataset's name: a CSV whose labels were fixed resumed the old rows."""
    data = image_dataset()
    evaluate(data, {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path, **FAST)
    evaluate(image_dataset(), {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path, resume=True, **FAST)
    changed = image_dataset(seed=1)   # the same name, other pixels
    with pytest.raises(ValueError, match="other settings \\(data '"):
        evaluate(changed, {"means": ClassMeans()}, shots=[3], seeds=[0], out=tmp_path, resume=True, **FAST)


def test_rows_written_before_repeats_existed_count_as_one_training(tmp_path):
    data = image_dataset()
    run = {"shots": [3], "out": tmp_path, **FAST}
    evaluate(data, {"jitter": Jitter()}, seeds=[0], **run)
    rows_file = tmp_path / "rows.jsonl"
    old_rows = [{k: v for k, v in row.items() if k != "repeats"} for row in Report.from_rows_file(rows_file).rows]
    rows_file.write_text("".join(json.dumps(row) + "\n" for row in old_rows))
    with pytest.raises(ValueError, match="other settings \\(repeats 1, now 3"):
        evaluate(data, {"jitter": Jitter()}, seeds=[0, 1], resume=True, repeats=3, **run)
    again = evaluate(data, {"jitter": Jitter()}, seeds=[0, 1], resume=True, **run)
    assert again.rows[:2] == old_rows


def test_a_balancing_arm_of_two_augmenters_tops_each_class_up_once():
    data = image_dataset(n_per_class=4)
    x, y = data.x[:10], data.y[:10]   # classes 0 and 1: 4 samples, class 2: 2
    gan = ClassMeans(seed=0).fit(data.x, data.y)
    _, new_y, _ = expand([Jitter(), gan], x, y, 3, factor=1, balance=True, seed=0)
    # every class to (1 + 1) * 4 = 8 in all, the top-up shared by the two parts
    assert torch.bincount(torch.cat([y, new_y]), minlength=3).tolist() == [8, 8, 8]


def test_imbalance_protocol_and_balancing():
    report = evaluate(image_dataset(n_per_class=20, classes=4), {"means": ClassMeans(),
                      "means-balanced": Arm([ClassMeans()], balance=True)},
                      shots=[6], seeds=[0], protocol="imbalance", minority=2, factor=1, **FAST)
    rows = {r["augmenter"]: r for r in report.rows}
    assert rows["none"]["n_real"] == 2 * 6 + 2 * 2
    assert rows["means"]["n_new"] == 16 and rows["means-balanced"]["n_new"] == 4 * 12 - 16
    assert "balanced accuracy" in report.to_markdown()


def test_shots_all_trains_on_the_whole_training_split_as_imbalanced_as_it_is():
    data = image_dataset(n_per_class=20, classes=3)
    lopsided = data.subset(torch.cat([torch.arange(20), torch.arange(20, 26), torch.arange(40, 44)]))
    report = evaluate(lopsided, {"means": Arm([ClassMeans()], balance=True)}, shots=["all", 2], seeds=[0, 1],
                      factor=1, **FAST)
    train, _ = lopsided.split()
    rows = [r for r in report.rows if r["shots"] == "all"]
    assert {r["n_real"] for r in rows} == {len(train)} and len(rows) == 4
    balanced = next(r for r in rows if r["augmenter"] == "means")
    assert balanced["n_new"] == 3 * 2 * int(train.class_counts().max()) - len(train)   # topped up to (1 + factor) x
    markdown = report.to_markdown()
    assert "cnn`, the whole training split," in markdown and "kshot, 2 shots" in markdown
    assert "`means` (balancing)" in markdown, "a balancing arm is marked: it is measured against an unbalanced none"
    assert "balanced accuracy" in markdown, "imbalanced classes: the headline is balanced accuracy"
    assert {r["shots"] for r in report.rows} == {"all", 2}


@pytest.mark.parametrize("kwargs, error, match", [
    ({"shots": [31]}, ValueError, "smallest class"),
    ({"protocol": "weird"}, ValueError, "protocol"),
    ({"factor": -1}, ValueError, "factor"),
    ({"steps": 0}, ValueError, "steps must be an int >= 1"),
    ({"repeats": 0}, ValueError, "repeats must be an int >= 1"),
    ({"models": ["transformer"]}, ValueError, "model"),
    ({"seeds": [0, 0]}, ValueError, r"seeds must not repeat values, got \[0\]"),   # not two independent results
    ({"shots": [3, 3]}, ValueError, "shots must not repeat"),
    ({"test_size": 0}, ValueError, "test_size must be an int >= 1"),
    ({"device": "gpu0"}, ValueError, "device must be a torch device"),
    ({"seeds": 0}, TypeError, "seeds must be a list of ints"),
    ({"seeds": []}, ValueError, "seeds must not be empty"),
    ({"seeds": [0.5]}, ValueError, "seeds must hold ints >= 0"),
    ({"shots": [True]}, ValueError, "shots must hold ints >= 1"),
    ({"protocol": "imbalance", "shots": [1]}, ValueError, "shots must be >= 2 under protocol 'imbalance'"),
    ({"models": "cnn"}, TypeError, "models must be a list of model names, got 'cnn'"),   # was read as 'c', 'n'
    ({"shots": ["all", "all"]}, ValueError, "shots must not repeat"),
    ({"shots": ["all", "some"]}, ValueError, "shots must hold ints >= 1.*or 'all'"),
    ({"shots": "all"}, TypeError, r"shots must be a list of ints, got 'all' \(or 'all'"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        evaluate(image_dataset(), {}, **{**FAST, **kwargs})


@pytest.mark.parametrize("flag", ["quick", "resume", "overwrite", "generative_metrics", "progress"])
def test_flags_must_be_bools(tmp_path, flag):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "rows.jsonl").write_text("")
    with pytest.raises(TypeError, match=f"{flag} must be True or False, got 'no'"):   # "no" is truthy
        evaluate(image_dataset(), {}, out=tmp_path / "run", **{**FAST, flag: "no"})
    assert (tmp_path / "run" / "rows.jsonl").is_file(), "an earlier run is left alone"


def test_augmenter_names_and_a_train_test_pair_are_checked():
    with pytest.raises(TypeError, match="augmenters must be named by non-empty strings.*got 1"):
        evaluate(image_dataset(), {1: Jitter()}, **FAST)
    train, test = image_dataset().split(0.3, seed=0)
    wider = type(test)(x=torch.nn.functional.pad(test.x, (0, 1)), y=test.y, classes=test.classes, modality="image")
    with pytest.raises(ValueError, match=r"train and test images must have one shape, got \[1, 8, 8\] and "
                                         r"\[1, 8, 9\]"):
        evaluate((train, wider), {}, **FAST)


def test_numpy_seeds_and_shots_are_their_values():
    import numpy as np

    report = evaluate(image_dataset(), {}, **{**FAST, "shots": np.array([3]), "seeds": np.arange(1)})
    assert [(r["shots"], r["seed"]) for r in report.rows] == [(3, 0)]
    assert all(type(r["seed"]) is int for r in report.rows)   # rows stay JSON


def test_a_class_without_training_samples_is_named():
    train, test = image_dataset().split(0.3, seed=0)
    with pytest.raises(ValueError, match=r"classes \['c2'\] have none"):   # was "[1, 0]"
        evaluate((train.subset(train.y != 2), test), {}, **FAST)


def test_a_class_without_test_samples_is_warned_about():
    # a class of 1-2 samples keeps them all for training: scores silently left it out
    train, test = image_dataset().split(0.3, seed=0)
    with pytest.warns(UserWarning, match=r"classes \['c1'\] have no sample in the test split .* leaves them out"):
        evaluate((train, test.subset(test.y != 1)), {}, **FAST)


def test_an_arm_takes_a_list_of_parts_and_a_bool():
    with pytest.raises(TypeError, match="Arm parts must be a list of augmenters, got Jitter"):
        Arm(Jitter())
    with pytest.raises(TypeError, match="Arm balance must be True or False, got 'no'"):
        Arm([Jitter()], balance="no")


def test_factor_0_is_refused_unless_every_arm_balances():
    with pytest.raises(ValueError, match=r"factor must be >= 1 .*\['jitter'\] would add nothing"):
        evaluate(image_dataset(), {"jitter": Jitter()}, factor=0, **FAST)
    report = evaluate(image_dataset(n_per_class=20, classes=4), {"top-up": Arm([ClassMeans()], balance=True)},
                      shots=[6], seeds=[0], protocol="imbalance", minority=2, factor=0, **FAST)
    assert next(r for r in report.rows if r["augmenter"] == "top-up")["n_new"] == 2 * (6 - 2)


def test_the_control_cannot_be_replaced():
    # every gain is measured against "none": an augmenter under that name would hide in the control
    with pytest.raises(ValueError, match=r"augmenters\['none'\] is the control"):
        evaluate(image_dataset(), {"none": Jitter()}, **FAST)
    assert {r["augmenter"] for r in evaluate(image_dataset(), {"none": None}, shots=[3], seeds=[0], **FAST).rows} \
        == {"none"}


def test_a_train_test_pair_must_share_classes():
    train, test = image_dataset().split(0.3, seed=0)
    shifted = type(test)(x=test.x, y=test.y, classes=list(test.classes)[::-1], modality="image", name=test.name)
    with pytest.raises(ValueError, match="data: the train and test sets must share modality and classes"):
        evaluate((train, shifted), {}, **FAST)


def test_wrong_modality_is_refused():
    with pytest.raises(ValueError, match="text"):
        evaluate(image_dataset(), {"dup": TextDup()}, **FAST)
    with pytest.raises(TypeError, match="Augmenter"):
        evaluate(image_dataset(), {"x": "affine"}, **FAST)


def test_text_and_audio_arms(tmp_path):
    text = evaluate(text_dataset(), {"dup": TextDup(), "identity": Identity()}, shots=[4], seeds=[0, 1], **FAST)
    dup = [r for r in text.rows if r["augmenter"] == "dup"]
    assert all(0 <= r["label_flip_rate"] <= 1 and 0 < r["distinct_2"] <= 1 for r in dup)
    audio = evaluate(audio_dataset(), {"gain": AudioGain()}, shots=[4], seeds=[0], **FAST)
    gain = next(r for r in audio.rows if r["augmenter"] == "gain")
    assert 1 <= gain["inception_score"] <= 2 and "error" not in gain
    report = Report().extend(text).extend(audio)
    report.save(tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "Text examples" in md and "toy-audio" in md
    assert (tmp_path / "gains.png").is_file() and (tmp_path / "samples_toy-audio_gain.png").is_file()
    saved = json.loads((tmp_path / "report.json").read_text())
    assert {"meta", "skipped", "summary", "rows"} <= set(saved)


def test_image_sample_grid(tmp_path):
    report = evaluate(image_dataset(), {"means": ClassMeans()}, shots=[3], seeds=[0], **FAST)
    report.save(tmp_path)
    assert (tmp_path / "samples_toy-images_means.png").is_file()


def test_sample_grids_show_a_real_sample_of_the_class_above_each_generated_one():
    data = image_dataset(n_per_class=4)
    gen = ClassMeans(seed=0).fit(data.x, data.y)
    x, y, source = expand([gen], data.x, data.y, 3, factor=1, balance=False, seed=0)
    report = Report()
    report.add_samples("toy", "means", "image", data, x, y, source)
    samples = report.samples[("toy", "means")]
    for before, label in zip(samples["before"], samples["labels"]):
        assert any(torch.equal(before, real) for real in data.x[data.y == label])


def test_a_bold_interval_never_prints_a_bound_of_zero():
    from aad.eval.report import _gain

    cell = _gain({"gain": -0.041, "ci_low": -0.082, "ci_high": -0.000106})
    assert cell == "**-4.1 [-8.2, -0.01]**"       # bold: it excludes 0, and the numbers show it
    assert _gain({"gain": 0.02, "ci_low": 0.0, "ci_high": 0.04}) == "+2.0 [+0.0, +4.0]"
    # equal counts on every seed differ by float rounding alone: that is no gain
    assert _gain({"gain": -3e-17, "ci_low": -0.064, "ci_high": 0.064}) == "+0.0 [-6.4, +6.4]"


def test_accuracy_is_the_exact_fraction():
    """In float32, 473 of 520 was 0.9096153974533081, and gains of equal counts printed as -2e-06."""
    from aad.eval.metrics import accuracy

    y = torch.zeros(520, dtype=torch.long)
    assert accuracy(y, torch.cat([y[:473], y[473:] + 1])) == 473 / 520


def test_overwrite_removes_the_earlier_runs_pictures_and_refuses_resume_too(tmp_path):
    (tmp_path / "samples_digits_gone.png").write_bytes(b"an arm this run does not have")
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not both"):
        prepare_out(tmp_path, resume=True, overwrite=True)
    prepare_out(tmp_path, overwrite=True)
    assert not (tmp_path / "samples_digits_gone.png").exists() and (tmp_path / "notes.txt").is_file()


def test_an_augmenter_subclass_without_a_modality_is_named():
    """It read "augmenter 'nomod' (NoMod) is for  data, but the dataset is image"."""
    from aad.base import Augmenter

    class NoModality(Augmenter):
        def _augment(self, x, y, g):
            return x.clone()

    with pytest.raises(TypeError, match="NoModality sets no modality: an Augmenter subclass must set modality ="):
        evaluate(image_dataset(), {"nomod": NoModality()}, shots=[3], seeds=[0], **FAST)
