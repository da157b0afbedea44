"""The command line: version, parameter parsing, clear errors."""
import pytest

import aad
from aad.cli import main, parse_params, resolve_augmenter_class


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and aad.__version__ in capsys.readouterr().out


def test_parse_params_reads_json_values():
    assert parse_params(["steps=200", "mix=0.5", "name=abc", "sizes=[1,2]"]) == \
        {"steps": 200, "mix": 0.5, "name": "abc", "sizes": [1, 2]}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_params(["steps"])


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
    assert "unknown augmenter 'Nothing' for modality image" in capsys.readouterr().err


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
    (["generate", "m", "--labels", "a,b"], "expected comma-separated class indices"),
    (["generate", "m", "--per-class", "0"], "argument --per-class: expected an int >= 1"),
    (["fit", "image", "--shots", "0"], "argument --shots: expected an int >= 1"),
    (["fit", "image", "--seed", "-1"], "argument --seed: expected an int >= 0"),
])
def test_counts_labels_and_seeds_are_checked_when_parsed(argv, match, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--out", str(tmp_path / "o")])
    assert exit.value.code == 2 and match in capsys.readouterr().err


def test_fit_checks_parameters_before_saving(tmp_path, capsys):
    out = tmp_path / "affine"
    assert main(["fit", "image", "--dataset", "digits", "--augmenter", "RandomAffine", "--shots", "1",
                 "--param", "degrees=[5,-5]", "--out", str(out)]) == 2
    assert "min <= max" in capsys.readouterr().err and not (out / "config.json").exists()


def test_augment_refuses_an_augmenter_of_another_modality(tmp_path, capsys):
    from aad.audio import TimeStretch

    TimeStretch().save(tmp_path / "stretch")
    assert main(["augment", str(tmp_path / "stretch"), "--dataset", "digits", "--out", str(tmp_path / "o")]) == 2
    assert "augments audio data, but --dataset digits is image data" in capsys.readouterr().err
