import argparse
import json

import pytest

from aad.eval import main as cli
from aad.eval.harness import arm_config
from aad.eval.presets import PRESETS, build_presets
from tests.eval.helpers import (
    AudioGain,
    Broken,
    ClassMeans,
    Jitter,
    audio_dataset,
    image_dataset,
    text_dataset,
)


@pytest.fixture
def toy(monkeypatch):
    datasets = {"toy-images": image_dataset(name="toy-images")}

    def load(name, args):
        if name not in datasets:
            raise ValueError(f"unknown dataset {name!r}; available: {sorted(datasets)}")
        return datasets[name]

    monkeypatch.setattr(cli, "load_dataset", load)
    monkeypatch.setitem(PRESETS, "image", {"none": lambda q: None, "jitter": lambda q: Jitter(),
                                           "means": lambda q: ClassMeans(), "broken": lambda q: Broken()})


def parse(*argv):
    return cli.add_arguments(argparse.ArgumentParser()).parse_args(list(argv))


def test_cli_runs_and_writes_the_report(toy, tmp_path):
    out = tmp_path / "run"
    args = parse("--dataset", "toy-images", "--shots", "3", "--seeds", "0", "1", "--quick", "--out", str(out),
                 "--no-progress")
    assert cli.run(args) == 1   # "broken" crashed: reported, and the exit status says so
    report = json.loads((out / "report.json").read_text())
    arms = {r["augmenter"] for r in report["rows"]}
    assert arms == {"none", "jitter", "means", "broken"}
    assert any("boom" in r.get("error", "") for r in report["rows"])
    assert (out / "report.md").is_file() and (out / "gains.png").is_file()
    with pytest.raises(FileExistsError, match="--overwrite"):
        cli.run(args)
    resumed = parse("--dataset", "toy-images", "--shots", "3", "--seeds", "0", "1", "--quick", "--out", str(out),
                    "--no-progress", "--resume")
    assert cli.run(resumed) == 1
    rows = json.loads((out / "report.json").read_text())["rows"]
    assert len(rows) == len(report["rows"])  # nothing redone, nothing duplicated


def test_steps_sets_every_downstream_models_budget(toy, tmp_path):
    args = parse("--dataset", "toy-images", "--augmenters", "jitter", "--shots", "3", "--seeds", "0",
                 "--steps", "7", "--quick", "--out", str(tmp_path / "run"), "--no-progress")
    assert cli.run(args) == 0
    rows = json.loads((tmp_path / "run" / "report.json").read_text())["rows"]
    assert {r["steps"] for r in rows} == {7} and {r["augmenter"] for r in rows} == {"none", "jitter"}


def test_a_named_dataset_is_read_once(toy, monkeypatch, tmp_path):
    reads = []
    load = cli.load_dataset
    monkeypatch.setattr(cli, "load_dataset", lambda name, args: reads.append(name) or load(name, args))
    args = parse("--dataset", "toy-images", "--augmenters", "jitter", "--shots", "3", "--seeds", "0",
                 "--steps", "3", "--quick", "--out", str(tmp_path / "run"), "--no-progress")
    assert cli.run(args) == 0
    assert reads == ["toy-images"]   # a user's folder of images is decoded once, not to learn its modality


def test_shots_all_runs_on_the_whole_training_split_and_resumes(toy, tmp_path):
    argv = ["--dataset", "toy-images", "--augmenters", "jitter", "--shots", "all", "3", "--seeds", "0",
            "--steps", "3", "--quick", "--out", str(tmp_path / "run"), "--no-progress"]
    assert cli.run(parse(*argv)) == 0
    rows = json.loads((tmp_path / "run" / "report.json").read_text())["rows"]
    assert sorted((r["shots"] == "all", r["n_real"]) for r in rows) == [(False, 9), (False, 9), (True, 72), (True, 72)]
    assert cli.run(parse(*argv, "--resume")) == 0   # the rows of "all" are found again, not redone
    assert len(json.loads((tmp_path / "run" / "report.json").read_text())["rows"]) == 4
    with pytest.raises(SystemExit):
        parse("--shots", "every", "--out", "x")


def test_repeats_reach_every_row_and_a_bad_count_is_named(toy, tmp_path):
    args = parse("--dataset", "toy-images", "--augmenters", "jitter", "--shots", "3", "--seeds", "0",
                 "--steps", "3", "--repeats", "2", "--quick", "--out", str(tmp_path / "run"), "--no-progress")
    assert cli.run(args) == 0
    rows = json.loads((tmp_path / "run" / "report.json").read_text())["rows"]
    assert [(r["repeats"], len(r["accuracy_runs"])) for r in rows] == [(2, 2), (2, 2)]
    with pytest.raises(ValueError, match="--repeats must be an int >= 1, got 0"):
        cli.run(parse("--dataset", "toy-images", "--repeats", "0", "--out", str(tmp_path / "b")))


def test_unknown_dataset_and_mismatched_modality(toy, tmp_path):
    with pytest.raises(ValueError, match="unknown dataset"):
        cli.run(parse("--dataset", "cifar", "--out", str(tmp_path / "a")))
    with pytest.raises(ValueError, match="image data, not text"):
        cli.run(parse("--dataset", "toy-images", "--modality", "text", "--out", str(tmp_path / "b")))


def test_bad_modality_and_shots(toy, tmp_path):
    with pytest.raises(SystemExit):
        parse("--modality", "video", "--out", str(tmp_path))
    with pytest.raises(ValueError, match="smallest class"):
        cli.run(parse("--dataset", "toy-images", "--shots", "500", "--out", str(tmp_path / "c"), "--no-progress"))


def test_aad_evaluate_reports_errors_cleanly(toy, tmp_path, capsys):
    from aad.cli import main

    assert main(["evaluate", "--dataset", "nope", "--out", str(tmp_path / "d")]) == 2
    assert "aad evaluate: error: unknown dataset" in capsys.readouterr().err


def test_presets_skip_what_is_missing_and_refuse_unknown_names(monkeypatch):
    def missing(quick):
        raise ImportError("needs somepackage")

    monkeypatch.setitem(PRESETS, "audio", {"none": lambda q: None, "gone": missing})
    built, skipped = build_presets("audio", quick=True)
    assert set(built) == {"none"} and "somepackage" in skipped["gone"]
    with pytest.raises(ValueError, match="unknown audio augmenter"):
        build_presets("audio", quick=True, names=["warp"])


def test_a_quick_run_leaves_out_the_full_only_arms_unless_named():
    arm = "warped-gan+affine+shear+aspect+elastic"
    assert arm not in build_presets("image", quick=True)[0]
    assert arm in build_presets("image", quick=False)[0]
    assert arm in build_presets("image", quick=True, names=[arm])[0]


def test_presets_put_the_learned_augmenters_on_the_device_asked_for():
    built, _ = build_presets("image", quick=True, names=["gan", "gan+affine", "affine"], device="cuda")
    gan, (affine, arm_gan) = built["gan"], built["gan+affine"].parts
    assert gan.device == "cuda" and arm_gan.device == "cuda", "the GANs train where --device says"
    assert "device" not in affine.get_params() and "device" not in built["affine"].get_params()
    assert build_presets("text", True, ["mlm-replace"], device="cuda")[0]["mlm-replace"].device == "cuda"
    on_cpu = build_presets("image", quick=True, names=["gan+affine"])[0]["gan+affine"]
    assert arm_config(on_cpu) == arm_config(PRESETS["image"]["gan+affine"](True)), "cached fits still match"


def test_presets_that_condition_on_labels_get_the_class_names(monkeypatch):
    from aad.text import MaskedLMReplace

    monkeypatch.setitem(PRESETS["text"], "named", lambda q: MaskedLMReplace(label_names=["-", "+"]))
    built, _ = build_presets("text", True, ["mlm-replace", "named", "random-swap"], data=text_dataset())
    assert built["mlm-replace"].label_names == ["neg", "pos"], "the dataset's names, not 'label 0'"
    assert built["named"].label_names == ["-", "+"], "names a preset sets are its own"


def test_audio_presets_take_the_datasets_rate_and_clip_length_at_every_depth(monkeypatch):
    # a user's 8 kHz clips of 0.2 s: the spectrogram GAN's arm failed on "16000 samples expected"
    from aad.audio import SpecAugment

    monkeypatch.setitem(PRESETS["audio"], "own-rate", lambda q: SpecAugment(sample_rate=22050))
    built, _ = build_presets("audio", True, ["spec-gan+stretch+specaugment", "own-rate"], data=audio_dataset())
    stretch_specaugment, gan = built["spec-gan+stretch+specaugment"].parts
    assert (gan.sample_rate, gan.clip_seconds) == (8000, 0.2)
    assert stretch_specaugment.augmenters[1].sample_rate == 8000, "a child of the Compose too"
    assert built["own-rate"].sample_rate == 22050, "a rate the preset sets is its own"
    at_the_defaults = audio_dataset(n_per_class=2, t=16000, sample_rate=16000)   # spoken-digits' rate and length
    arm = build_presets("audio", True, ["spec-gan+stretch+specaugment"], data=at_the_defaults)[0]
    preset = PRESETS["audio"]["spec-gan+stretch+specaugment"](True)
    assert arm_config(arm["spec-gan+stretch+specaugment"]) == arm_config(preset), "recorded rows and fits still match"


def test_balance_makes_every_arm_fill_the_classes_the_imbalance_protocol_cut(toy, tmp_path):
    out = tmp_path / "run"
    args = parse("--dataset", "toy-images", "--augmenters", "jitter", "--protocol", "imbalance", "--shots", "4",
                 "--minority", "1", "--seeds", "0", "--factor", "2", "--balance", "--steps", "5", "--quick",
                 "--out", str(out), "--no-progress")
    assert cli.run(args) == 0
    rows = {r["augmenter"]: r for r in json.loads((out / "report.json").read_text())["rows"]}
    jitter = rows["jitter"]
    assert jitter["balance"] is True and rows["none"]["balance"] is False
    # one class of three cut to 1 sample: every class topped up to (1 + 2) * 4, not 2 new per real one
    assert jitter["n_real"] == 4 + 4 + 1 and jitter["n_new"] == 3 * (1 + 2) * 4 - 9


def test_threads_must_be_positive(toy, tmp_path):
    with pytest.raises(ValueError, match="--threads must be an int >= 1"):
        cli.run(parse("--dataset", "toy-images", "--threads", "0", "--out", str(tmp_path / "e")))
    assert not (tmp_path / "e").exists()


def test_a_bad_argument_leaves_an_earlier_report_alone(toy, tmp_path):
    out = tmp_path / "run"
    run = ("--dataset", "toy-images", "--augmenters", "jitter", "--shots", "3", "--seeds", "0", "--quick",
           "--steps", "5", "--out", str(out), "--no-progress")
    assert cli.run(parse(*run)) == 0
    for bad in (("--factor", "-1"), ("--shots", "500"), ("--minority", "9", "--protocol", "imbalance")):
        with pytest.raises(ValueError, match=f"{bad[0]} must"):   # the option is named, the files kept
            cli.run(parse(*run, "--overwrite", *bad))
        assert {"rows.jsonl", "report.json", "report.md"} <= {p.name for p in out.iterdir()}


def test_augmenters_of_one_modality_run_that_modality_only(monkeypatch, tmp_path):
    loaded = []

    def load(name, args):
        loaded.append(name)
        return image_dataset(name=name)

    monkeypatch.setattr(cli, "load_dataset", load)
    monkeypatch.setitem(PRESETS, "image", {"none": lambda q: None, "jitter": lambda q: Jitter()})
    # no --modality: every modality is planned, but only images have "jitter"
    assert cli.run(parse("--augmenters", "jitter", "--shots", "3", "--seeds", "0", "--steps", "5", "--quick",
                         "--out", str(tmp_path / "a"), "--no-progress")) == 0
    assert loaded == ["mnist"]
    with pytest.raises(ValueError, match=r"--augmenters \['warp'\] are not preset augmenters"):
        cli.run(parse("--augmenters", "jitter", "warp", "--out", str(tmp_path / "b")))
    with pytest.raises(ValueError, match=r"--models \['resnet'\] are models of no modality that runs"):
        cli.run(parse("--augmenters", "jitter", "--models", "resnet", "--out", str(tmp_path / "b")))
    assert not (tmp_path / "b").exists()


def test_resume_compares_the_settings_of_every_dataset_before_running_any(monkeypatch, tmp_path):
    """The audio rows of another factor used to stop the run only at audio, after images had run."""
    monkeypatch.setattr(cli, "load_dataset", lambda name, args: audio_dataset() if name == "spoken-digits" else image_dataset())
    monkeypatch.setitem(PRESETS, "image", {"none": lambda q: None, "jitter": lambda q: Jitter()})
    monkeypatch.setitem(PRESETS, "audio", {"none": lambda q: None, "gain": lambda q: AudioGain()})
    out = tmp_path / "run"
    run = ("--shots", "3", "--seeds", "0", "--steps", "5", "--quick", "--out", str(out), "--no-progress")
    assert cli.run(parse("--augmenters", "gain", "--factor", "2", *run)) == 0
    before = (out / "rows.jsonl").read_text()
    with pytest.raises(ValueError, match="holds rows made with other settings \\(factor 2, now 4"):
        cli.run(parse("--augmenters", "jitter", "gain", "--factor", "4", "--resume", *run))
    assert (out / "rows.jsonl").read_text() == before, "no image row was run first"


def test_the_report_names_the_command_as_typed():
    assert cli.command_line(["/usr/bin/aad", "evaluate", "--out", "my runs"]) == "aad evaluate --out 'my runs'"
    assert cli.command_line(["/x/aad/__main__.py", "evaluate", "--quick"]) == "python3 -m aad evaluate --quick"
    assert cli.command_line(["benchmarks/bench_efficacy.py", "--quick"]) == "python3 benchmarks/bench_efficacy.py --quick"


@pytest.mark.parametrize("argv", [["--quick", "--modality", "image"], []])
def test_bench_efficacy_will_not_replace_the_recording_with_another_run(argv):
    """`--quick --modality image --steps 20` wrote its two rows over results/efficacy.* and deleted its figures."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[2] / "benchmarks" / "bench_efficacy.py"
    done = subprocess.run([sys.executable, str(script), *argv], check=False, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "--name is needed" in done.stderr


def test_the_full_run_warning_comes_only_when_a_learned_augmenter_trains(toy, tmp_path, capsys):
    argv = ["--dataset", "toy-images", "--shots", "3", "--seeds", "0", "--steps", "5", "--no-progress"]
    assert cli.run(parse(*argv, "--augmenters", "jitter", "--out", str(tmp_path / "a"))) == 0
    assert "full run" not in capsys.readouterr().err, "transforms only: minutes, not hours"
    assert cli.run(parse(*argv, "--augmenters", "means", "--out", str(tmp_path / "b"))) == 0
    assert "learned augmenters train at full budget" in capsys.readouterr().err


@pytest.mark.parametrize("modality", ["image", "text", "audio"])
def test_every_modality_has_the_copies_control_outside_the_quick_run(modality):
    from aad import Identity

    assert "copies" not in build_presets(modality, quick=True)[0]
    assert isinstance(build_presets(modality, quick=True, names=["copies"])[0]["copies"], Identity)
