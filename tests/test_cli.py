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
