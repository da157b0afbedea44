"""The command line: version, parameter parsing, clear errors."""
import json

import pytest
import torch

import aad
import aad.export
from aad.base import Augmenter
from aad.cli import main, parse_params, resolve_augmenter_class


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and aad.__version__ in capsys.readouterr().out


def test_parse_params_reads_json_values():
    assert parse_params(["steps=200", "mix=0.5", "name=abc", "sizes=[1,2]"]) == \
        {"steps": 200, "mix": 0.5, "name": "abc", "sizes": [1, 2]}
    # Python's spellings too: progress=False was the truthy string 'False'
    assert parse_params(["progress=False", "resume=True", "quality_threshold=None", "a=false"]) == \
        {"progress": False, "resume": True, "quality_threshold": None, "a": False}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_params(["steps"])
    with pytest.raises(ValueError, match="--param seed: pass --seed instead"):   # one of them won silently
        parse_params(["seed=-1"])


def test_resolve_augmenter_class_only_finds_package_classes():
    assert resolve_augmenter_class("Identity") is aad.Identity
    with pytest.raises(ValueError, match="unknown augmenter 'os.system'"):
        resolve_augmenter_class("os.system")


def test_errors_are_reported_without_traceback(tmp_path, capsys):
    missing = tmp_path / "nothing"
    assert main(["generate", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert "no config.json" in capsys.readouterr().err
    assert main(["augment", "RandomAffine", "--dataset", "digits", "--param", "degree=5",
                 "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "RandomAffine has no parameter 'degree'" in err and "'degrees'" in err


def test_fit_generate_augment_round_trip(tmp_path, capsys):
    model = tmp_path / "gan"
    assert main(["fit", "image", "--dataset", "digits", "--shots", "3", "--param", "steps=2",
                 "--param", "progress=false", "--param", "g_width=4", "--param", "d_width=4",
                 "--out", str(model)]) == 0
    assert (model / "model.safetensors").is_file() and (model / "samples" / "grid.png").is_file()
    assert main(["generate", str(model), "--per-class", "2", "--labels", "1,3", "--out", str(tmp_path / "g")]) == 0
    assert (tmp_path / "g" / "grid.png").is_file()
    assert main(["augment", "RandomAffine", "--dataset", "digits", "-n", "4", "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "before_after.png").is_file()
    assert main(["augment", "Nothing", "--dataset", "digits", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "unknown augmenter 'Nothing' for modality image" in err and "'RandomAffine'" in err, "names the choices"



def test_a_param_may_be_an_augmenter_given_as_its_config(tmp_path):
    warp = {"class": "Compose", "params": {"augmenters": [
        {"class": "RandomAffine", "params": {"shear": [-15, 15]}},
        {"class": "aad.image.transforms:ElasticDistortion", "params": {}}]}}   # as config.json names it
    model = tmp_path / "gan"
    assert main(["fit", "image", "--dataset", "digits", "--shots", "2", "--param", "steps=1",
                 "--param", "progress=false", "--param", "g_width=4", "--param", "d_width=4",
                 "--param", f"fit_augmenter={json.dumps(warp)}", "--param", "fit_copies=2", "--out", str(model)]) == 0
    loaded = Augmenter.load(model)
    assert [type(a).__name__ for a in loaded.fit_augmenter.augmenters] == ["RandomAffine", "ElasticDistortion"]
    assert loaded.fit_augmenter.augmenters[0].shear == [-15, 15] and loaded.fit_copies == 2


@pytest.mark.parametrize("value, match", [
    ('{"class": "Nothing", "params": {}}', "--param fit_augmenter: unknown augmenter 'Nothing'"),
    ('{"class": "RandomAffine", "params": {"degree": 3}}', "--param fit_augmenter: RandomAffine has no parameter 'degree'"),
    ('{"class": ["RandomAffine"], "params": {}}', '--param fit_augmenter: an augmenter is {"class": NAME'),
])
def test_a_wrong_augmenter_config_in_a_param_is_named(value, match, tmp_path, capsys):
    assert main(["fit", "image", "--dataset", "digits", "--shots", "1", "--param", f"fit_augmenter={value}",
                 "--out", str(tmp_path / "o")]) == 2
    assert match in capsys.readouterr().err and not (tmp_path / "o").exists()

def test_out_folder_is_refused_then_replaced_without_touching_other_files(tmp_path, capsys):
    out = tmp_path / "a"
    argv = ["augment", "RandomAffine", "--dataset", "digits", "-n", "4", "--out", str(out)]
    assert main(argv) == 0
    (out / "notes.txt").write_text("mine")
    assert main(argv) == 2 and "--overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0
    assert (out / "before_after.png").is_file() and (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("argv, match", [
    (["augment", "RandomAffine", "--dataset", "digits", "-n", "-3"], "argument -n: expected an int >= 1"),
    (["generate", "m", "--labels", "a,,b"], "expected comma-separated class names or indices"),
    (["generate", "m", "--per-class", "0"], "argument --per-class: expected an int >= 1"),
    (["fit", "image", "--shots", "0"], "argument --shots: expected an int >= 1"),
    (["fit", "image", "--seed", "-1"], "argument --seed: expected an int in [0, 2**64 - 1]"),
    (["generate", "m", "--seed", str(2**64)], "argument --seed: expected an int in [0, 2**64 - 1]"),
])
def test_counts_labels_and_seeds_are_checked_when_parsed(argv, match, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--out", str(tmp_path / "o")])
    assert exit.value.code == 2 and match in capsys.readouterr().err


def test_fit_names_shots_beyond_the_smallest_class(tmp_path, capsys):
    assert main(["fit", "image", "--dataset", "digits", "--shots", "100000", "--out", str(tmp_path / "o")]) == 2
    assert "--shots must be an int in [1, " in (err := capsys.readouterr().err)   # it said "k must be"
    assert "smallest class of the training split of digits" in err   # not of the whole folder


def test_fit_checks_parameters_before_saving(tmp_path, capsys):
    out = tmp_path / "affine"
    assert main(["fit", "image", "--dataset", "digits", "--augmenter", "RandomAffine", "--shots", "1",
                 "--param", "degrees=[5,-5]", "--out", str(out)]) == 2
    assert "min <= max" in capsys.readouterr().err and not out.exists(), "--out untouched"


def test_a_failed_fit_with_overwrite_keeps_the_earlier_save(tmp_path, capsys):
    out = tmp_path / "affine"
    argv = ["fit", "image", "--dataset", "digits", "--augmenter", "RandomAffine", "--shots", "1", "--out", str(out)]
    assert main([*argv, "--param", "degrees=[-5,5]"]) == 0
    assert main([*argv, "--param", "degrees=[5,-5]", "--overwrite"]) == 2
    assert "min <= max" in capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["params"]["degrees"] == [-5, 5]


def test_generate_checks_labels_before_touching_out_and_loads_on_another_device(tmp_path, capsys):
    model = tmp_path / "gan"
    assert main(["fit", "image", "--dataset", "digits", "--shots", "2", "--param", "steps=1",
                 "--param", "progress=false", "--param", "g_width=4", "--param", "d_width=4",
                 "--out", str(model)]) == 0
    assert main(["generate", str(model), "--labels", "0,12", "--out", str(tmp_path / "g")]) == 2
    assert "--labels: '12' is neither a class name nor an index in [0, 9]" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()
    config = json.loads((model / "config.json").read_text())
    config["params"]["device"] = "cuda"                   # as if fitted on a GPU this machine lacks
    (model / "config.json").write_text(json.dumps(config))
    argv = ["generate", str(model), "--per-class", "1", "--labels", "2"]
    if not torch.cuda.is_available():
        assert main([*argv, "--out", str(tmp_path / "g")]) == 2
        assert "pass --device cpu" in capsys.readouterr().err and not (tmp_path / "g").exists()
    assert main([*argv, "--device", "cpu", "--out", str(tmp_path / "g")]) == 0
    assert (tmp_path / "g" / "grid.png").is_file()
    argv = ["augment", str(model), "--dataset", "digits", "-n", "2"]
    if not torch.cuda.is_available():
        assert main([*argv, "--out", str(tmp_path / "a")]) == 2
        assert "pass --param device=cpu" in capsys.readouterr().err
    assert main([*argv, "--param", "device=\"cpu\"", "--out", str(tmp_path / "a")]) == 0


def test_augment_refuses_an_augmenter_of_another_modality(tmp_path, capsys):
    from aad.audio import TimeStretch

    TimeStretch().save(tmp_path / "stretch")
    assert main(["augment", str(tmp_path / "stretch"), "--dataset", "digits", "--out", str(tmp_path / "o")]) == 2
    assert "augments audio data, but --dataset digits is image data" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["fit", "text", "--augmenter", "MaskedLMReplace"], ["augment", "MaskedLMReplace"]])
def test_a_masked_lm_fitted_from_the_command_line_conditions_on_the_class_names(monkeypatch, tmp_path, command):
    import aad.cli
    from aad.text import MaskedLMReplace

    seen = {}

    def capture(self, x, y=None):
        seen["label_names"] = self.label_names
        raise ValueError("stopped before fitting")

    monkeypatch.setattr(MaskedLMReplace, "fit", capture)
    monkeypatch.setattr(aad.cli, "_usable_unfitted", lambda augmenter: False)   # as a model without its head
    assert main([*command, "--dataset", "tweets", "--out", str(tmp_path / "m")]) == 2
    assert seen["label_names"] == ["negative", "neutral", "positive"], "not 'label 0', 'label 1', ..."


def tiny_gan_argv(out, shots="2"):
    return ["fit", "image", "--dataset", "digits", "--shots", shots, "--param", "steps=1", "--param", "progress=false",
            "--param", "g_width=4", "--param", "d_width=4", "--out", str(out)]


def test_out_may_not_be_the_model_folder_it_reads(tmp_path, capsys):
    model = tmp_path / "gan"
    assert main(tiny_gan_argv(model)) == 0
    for argv in (["generate", str(model)], ["augment", str(model), "--dataset", "digits", "-n", "2"]):
        assert main([*argv, "--out", str(model), "--overwrite"]) == 2
        assert "would delete the saved model" in capsys.readouterr().err
        assert (model / "model.safetensors").is_file() and (model / "config.json").is_file()


def test_augment_refuses_data_of_other_classes_than_the_model_was_fitted_on(tmp_path, capsys):
    model = tmp_path / "gan"
    assert main(tiny_gan_argv(model)) == 0
    info = json.loads((model / "dataset.json").read_text())
    (model / "dataset.json").write_text(json.dumps({**info, "name": "clothes", "classes": list("abcdefghij")}))
    assert main(["augment", str(model), "--dataset", "digits", "-n", "2", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "fitted on 'clothes'" in err and "pass --dataset clothes" in err and not (tmp_path / "a").exists()


def test_a_fit_may_checkpoint_into_its_own_out_folder(tmp_path):
    out = tmp_path / "gan"
    assert main([*tiny_gan_argv(out), "--param", f"checkpoint_dir={json.dumps(str(out / 'ckpt'))}"]) == 0
    assert (out / "model.safetensors").is_file() and (out / "ckpt" / "checkpoint.safetensors").is_file()


def test_generate_draws_per_class_samples_of_the_labels_asked(tmp_path, monkeypatch):
    from aad.image import ConditionalGAN

    x = torch.rand(8, 1, 8, 8)
    ConditionalGAN(steps=1, progress=False, g_width=4, d_width=4, seed=0).fit(x, torch.arange(8) % 4) \
        .save(tmp_path / "gan")
    drawn = []
    save_samples = aad.export.save_samples
    monkeypatch.setattr(aad.export, "save_samples", lambda x, y, *a, **kw: drawn.append((x, y)) or
                        save_samples(x, y, *a, **kw))
    assert main(["generate", str(tmp_path / "gan"), "--per-class", "3", "--labels", "1,3",
                 "--out", str(tmp_path / "g")]) == 0
    [(images, labels)] = drawn
    assert labels.tolist() == [1, 1, 1, 3, 3, 3] and images.shape == (6, 1, 8, 8)


def test_generate_draws_the_seen_classes_of_a_gan_inside_a_compose(tmp_path):
    from aad import Compose
    from aad.image import ConditionalGAN, RandomAffine

    gan = ConditionalGAN(steps=1, progress=False, g_width=4, d_width=4, seed=0)
    Compose([gan, RandomAffine()]).fit(torch.rand(6, 1, 8, 8), torch.tensor([0, 2, 5] * 2)).save(tmp_path / "c")
    assert main(["generate", str(tmp_path / "c"), "--per-class", "1", "--out", str(tmp_path / "g")]) == 0


def test_datasets_lists_the_packaged_datasets(capsys):
    assert main(["datasets"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in ("mnist", "tweets", "spoken-digits", "fashion-mnist"))


def test_generate_draws_the_classes_a_model_saved_from_python_has_seen(tmp_path):
    from aad.image import ConditionalGAN

    x = torch.rand(4, 1, 8, 8)
    ConditionalGAN(steps=1, progress=False, g_width=4, d_width=4, seed=0).fit(x, torch.tensor([0, 0, 2, 2])) \
        .save(tmp_path / "gan")
    # no dataset.json: the default, every class, means the classes it saw (class 1 it cannot draw)
    assert main(["generate", str(tmp_path / "gan"), "--per-class", "1", "--out", str(tmp_path / "g")]) == 0
    assert (tmp_path / "g" / "grid.png").is_file()


def test_augment_uses_a_masked_lm_that_has_its_head_as_it_is(tmp_path, monkeypatch):
    # it fitted the model on the few texts it showed, into the user's cache, with "label 0" prefixes
    from tests.text.tiny_mlm import tiny_mlm_dir
    monkeypatch.setenv("AAD_CACHE", str(tmp_path / "cache"))
    argv = ["augment", "MaskedLMReplace", "--param", f"model={tiny_mlm_dir()}", "--param", "progress=false",
            "--dataset", "tweets", "-n", "3", "--out", str(tmp_path / "a")]
    assert main(argv) == 0
    assert (tmp_path / "a" / "before_after.md").is_file() and not (tmp_path / "cache").exists()


def test_own_data_by_path_in_fit_augment_and_evaluate(tmp_path, capsys):
    """--dataset took only packaged names: a user's folder or CSV could not reach the command line."""
    import numpy as np
    from PIL import Image

    for c, cls in enumerate(("cat", "dog")):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((6 + i, 5, 3), 40 * c + i, np.uint8)).save(tmp_path / "imgs" / cls / f"{i}.png")
    imgs = str(tmp_path / "imgs")
    assert main(["augment", "RandomAffine", "--dataset", imgs, "-n", "2", "--out", str(tmp_path / "a")]) == 2
    assert "--image-size H,W" in capsys.readouterr().err
    assert main(["augment", "RandomAffine", "--dataset", imgs, "--image-size", "8,6", "-n", "2",
                 "--out", str(tmp_path / "a")]) == 0
    assert main(["fit", "image", "--dataset", imgs, "--image-size", "8", "--param", "steps=1", "--param",
                 "progress=false", "--param", "g_width=4", "--param", "d_width=4", "--out", str(tmp_path / "g")]) == 0
    assert json.loads((tmp_path / "g" / "dataset.json").read_text())["classes"] == ["cat", "dog"]

    rows = "".join(f'"{w} one {i}",{c}\n' for i in range(6) for w, c in (("good", "pos"), ("bad", "neg")))
    (tmp_path / "r.csv").write_text("review,stars\n" + rows)
    csv = ["--dataset", str(tmp_path / "r.csv"), "--text-col", "review", "--label-col", "stars"]
    assert main(["augment", "RandomSwap", *csv, "--out", str(tmp_path / "s")]) == 0   # -n: all 12, not 16
    assert main(["augment", "RandomSwap", *csv, "-n", "13", "--out", str(tmp_path / "t")]) == 2
    assert f"-n 13 is more than the 12 samples of --dataset {tmp_path / 'r.csv'}" in capsys.readouterr().err
    assert "| pos |" in (tmp_path / "s" / "before_after.md").read_text()
    assert main(["evaluate", *csv, "--augmenters", "random-swap", "--models", "bag", "--shots", "2", "--seeds", "0",
                 "--steps", "5", "--quick", "--no-progress", "--out", str(tmp_path / "e")]) == 0
    report = json.loads((tmp_path / "e" / "report.json").read_text())
    assert {(r["dataset"], r["augmenter"]) for r in report["rows"]} == {("r", "none"), ("r", "random-swap")}
    assert main(["evaluate", "--dataset", str(tmp_path / "r.csv"), "--quick", "--out", str(tmp_path / "f")]) == 2
    assert "text_col='text' is not a column" in capsys.readouterr().err


def test_augment_names_the_modality_before_the_classes(tmp_path, capsys):
    model = tmp_path / "gan"
    assert main(tiny_gan_argv(model)) == 0
    assert main(["augment", str(model), "--dataset", "tweets", "-n", "2", "--out", str(tmp_path / "a")]) == 2
    assert "augments image data, but --dataset tweets is text data" in capsys.readouterr().err


def test_overwrite_replaces_only_the_outputs_of_its_own_command(tmp_path):
    """One list of outputs for every command: `generate --overwrite` deleted a model saved in --out."""
    model, other = tmp_path / "gan", tmp_path / "other"
    assert main(tiny_gan_argv(model)) == 0 and main(tiny_gan_argv(other)) == 0
    assert main(["generate", str(model), "--per-class", "1", "--out", str(other), "--overwrite"]) == 0
    assert main(["augment", "RandomAffine", "--dataset", "digits", "-n", "2", "--out", str(other), "--overwrite"]) == 0
    assert {p.name for p in other.iterdir()} == {"config.json", "model.safetensors", "dataset.json", "samples",
                                                "grid.png", "before_after.png"}


def test_a_failed_write_with_overwrite_keeps_the_earlier_outputs(tmp_path, capsys, monkeypatch):
    import aad.export

    out = tmp_path / "a"
    argv = ["augment", "RandomAffine", "--dataset", "digits", "-n", "2", "--out", str(out)]
    assert main(argv) == 0
    earlier = (out / "before_after.png").read_bytes()

    def half_written(before, after, folder):
        (folder / "before_after.png").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(aad.export, "save_before_after", half_written)
    assert main([*argv, "--overwrite", "--seed", "1"]) == 2 and "disk full" in capsys.readouterr().err
    assert (out / "before_after.png").read_bytes() == earlier and [p.name for p in out.iterdir()] == ["before_after.png"]
    assert main(["augment", "RandomAffine", "--dataset", "digits", "--out", str(tmp_path / "new")]) == 2
    assert not (tmp_path / "new").exists(), "a folder the failed run made is removed"


def test_an_out_folder_that_cannot_be_made_is_named_before_the_work(tmp_path, capsys, monkeypatch):
    from aad.image import ConditionalGAN

    (tmp_path / "file").write_text("x")
    monkeypatch.setattr(ConditionalGAN, "fit", lambda *a: pytest.fail("fitted before --out was checked"))
    assert main(tiny_gan_argv(tmp_path / "file" / "gan")) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "cannot be a folder" in err


def test_fit_a_spectrogram_gan_on_a_folder_of_8khz_clips_of_their_own_length(tmp_path, capsys):
    # --sample-rate and --clip-seconds reached the data but not the GAN: "16000 samples expected"
    import numpy as np
    import soundfile

    time = np.arange(2400) / 8000
    for label, hz in (("low", 300), ("high", 1200)):
        (tmp_path / "clips" / label).mkdir(parents=True)
        for i in range(3):
            soundfile.write(tmp_path / "clips" / label / f"{i}.wav", 0.3 * np.sin(2 * np.pi * hz * (1 + i / 20) * time), 8000)
    argv = ["fit", "audio", "--dataset", str(tmp_path / "clips"), "--sample-rate", "8000", "--clip-seconds", "0.3",
            "--param", "steps=1", "--param", "n_fft=256", "--param", "hop=64", "--param", "n_mels=16",
            "--param", "griffin_lim_iters=2", "--param", "progress=False", "--out", str(tmp_path / "gan")]
    assert main(argv) == 0, capsys.readouterr().err
    config = json.loads((tmp_path / "gan" / "config.json").read_text())["params"]
    assert (config["sample_rate"], config["clip_seconds"]) == (8000, 0.3)


def test_fit_holds_out_the_test_split_unless_all_is_given(tmp_path, capsys):
    argv = ["fit", "image", "--dataset", "digits", "--augmenter", "RandomAffine"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, "--all", "--out", str(tmp_path / "b")]) == 0
    held_out, every = (int(line.split(" on ")[1].split()[0]) for line in capsys.readouterr().err.splitlines()
                       if line.startswith("fitting"))
    assert every == len(aad.data.load("digits")) > held_out


def test_generate_writes_class_folders_that_read_back_as_a_dataset(tmp_path):
    model = tmp_path / "gan"
    assert main(["fit", "image", "--dataset", "digits", "--shots", "2", "--param", "steps=1",
                 "--param", "progress=False", "--param", "g_width=4", "--param", "d_width=4",
                 "--out", str(model)]) == 0
    classes = json.loads((model / "dataset.json").read_text())["classes"]
    out = tmp_path / "g"
    assert main(["generate", str(model), "--per-class", "3", "--labels", f"{classes[7]},2", "--folders",
                 "--out", str(out)]) == 0
    generated = aad.data.load(out / "data")
    assert generated.classes == tuple(sorted([classes[7], classes[2]])) and generated.class_counts().tolist() == [3, 3]
    assert generated.x.shape[1:] == aad.data.load("digits").x.shape[1:]
    assert main(["generate", str(model), "--out", str(out), "--overwrite"]) == 0
    assert not (out / "data").exists(), "--overwrite replaces generate's outputs, the folders among them"


def test_param_names_malformed_json_and_missing_required_parameters(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"--param warps: .* is not valid JSON"):
        parse_params(["warps=[{'class': 'RandomAffine'}]"])
    with pytest.raises(ValueError, match="--param degrees"):
        parse_params(["degrees=[-5,5"])
    assert main(["augment", "Warp", "--dataset", "digits", "--out", str(tmp_path / "a")]) == 2
    assert "Warp needs --param warps=... (no default)" in capsys.readouterr().err
    warps = 'warps=[{"class": "RandomAffine"}, {"class": "ElasticDistortion", "params": {"sigma": 3}}]'
    assert main(["augment", "Warp", "--dataset", "digits", "-n", "2", "--param", warps,
                 "--out", str(tmp_path / "b")]) == 0
