import json
from pathlib import Path

import numpy as np
import pytest
import torch

from aad.data import espeak, load, speech


def test_tiny_spoken_digits_shapes_and_ranges(tiny_digits):
    data = tiny_digits
    assert data.modality == "audio" and data.sample_rate == 16_000
    assert tuple(data.x.shape) == (60, 16_000) and data.x.dtype == torch.float32
    assert data.classes == speech.WORDS and data.class_counts().tolist() == [6] * 10
    peaks = data.x.abs().amax(dim=1)
    assert torch.allclose(peaks, torch.full_like(peaks, speech.PEAK), atol=1e-6)
    voiced = (data.x.abs() > 0.02).float().mean(dim=1)
    assert bool((voiced > 0.05).all()) and bool((voiced < 0.9).all())  # speech, then silence padding
    assert torch.equal(data.x[:, :50], torch.zeros(60, 50))  # centered: starts silent


def test_words_and_takes_differ(tiny_digits):
    x = tiny_digits.x
    assert not torch.equal(x[0], x[1])  # two takes of "zero" by speaker 0
    assert not torch.equal(x[0], x[2])  # "zero" vs "one"


def test_speaker_disjoint_split(tiny_digits):
    train, test = tiny_digits.split(0.34, seed=0)
    assert set(train.groups.tolist()).isdisjoint(test.groups.tolist())
    assert len(test) == 20 and len(train) == 40


def test_generation_is_bit_reproducible(tmp_path, tiny_digits_dir):
    first = speech.generate_spoken_digits(tmp_path / "a", speakers=2, takes=2)
    second = speech.generate_spoken_digits(tmp_path / "b", speakers=2, takes=2)
    assert first["sha256"] == second["sha256"]
    with np.load(tmp_path / "a" / "data.npz") as a, np.load(tmp_path / "b" / "data.npz") as b:
        assert np.array_equal(a["x"], b["x"])
    # the first speakers of a bigger corpus sound the same: each speaker is made in a fresh process
    bigger = load("spoken-digits", cache_dir=tiny_digits_dir, speakers=3, takes=2)
    assert torch.equal(bigger.x[bigger.groups < 2], speech.read_cache(tmp_path / "a").x)


def test_cache_manifest_and_reuse(tiny_digits_dir, monkeypatch):
    folder = speech.cache_folder(tiny_digits_dir, 3, 2, espeak.available_engine())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["clips"] == 60 and len(manifest["speakers"]) == 3 and "espeak-ng" in manifest["engine"]
    assert not list(tiny_digits_dir.glob(".spoken-digits*"))  # no temp folders left behind
    monkeypatch.setattr(speech, "generate_spoken_digits", lambda *a, **k: pytest.fail("regenerated"))
    assert len(load("spoken-digits", cache_dir=tiny_digits_dir, speakers=3, takes=2)) == 60


def test_corrupt_cache_is_detected(tmp_path):
    speech.generate_spoken_digits(tmp_path / "c", speakers=1, takes=1)
    with np.load(tmp_path / "c" / "data.npz") as arrays:
        x, y, groups = arrays["x"].copy(), arrays["y"], arrays["groups"]
    x[0, 8000] += 0.1
    np.savez(tmp_path / "c" / "data.npz", x=x, y=y, groups=groups)
    with pytest.raises(RuntimeError, match="corrupt"):
        speech.read_cache(tmp_path / "c")


def test_the_cache_folder_is_shared_and_losing_a_race_to_build_it_is_no_error(tmp_path, monkeypatch):
    import os
    import stat

    from aad.serialization import new_mode
    arrays = (np.zeros((1, 4), np.float32), np.zeros(1, np.int64), np.zeros(1, np.int64))
    speech._write_atomically(tmp_path / "mine", *arrays, {"clips": 1})
    assert stat.S_IMODE((tmp_path / "mine").stat().st_mode) == new_mode(directory=True)   # was 0o700
    real_replace = os.replace

    def another_process_first(src, dst):
        Path(dst).mkdir()
        (Path(dst) / "manifest.json").write_text("{}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", another_process_first)
    speech._write_atomically(tmp_path / "raced", *arrays, {"clips": 1})   # was OSError: Directory not empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "raced"]   # no temp folder left


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AAD_CACHE", str(tmp_path))
    assert speech.default_cache_dir() == tmp_path
    assert speech.cache_folder(None, 5, 1, "library").parent == tmp_path


def test_speaker_table_is_fixed_and_diverse():
    table = speech.speaker_table()
    assert len(table) == speech.MAX_SPEAKERS >= 60
    assert len({s["voice"] for s in table}) == len(table)
    assert table[:5] == speech.speaker_table(5)
    assert len({s["voice"].split("+")[0] for s in table[:20]}) >= 4  # small corpora mix accents
    with pytest.raises(ValueError, match="speakers"):
        speech.speaker_table(0)


def test_clip_helpers():
    assert speech.fit_length(np.ones(4), 8).tolist() == [0, 0, 1, 1, 1, 1, 0, 0]
    assert speech.fit_length(np.arange(10.0), 3).tolist() == [0, 1, 2]
    assert speech.trim_silence(np.array([0, 0.001, 0.5, -1, 0.3, 0.0])).tolist() == [0.5, -1, 0.3]
    tone = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    out = speech.resample(tone, 22050, 16000)
    assert len(out) == 16000 and abs(np.abs(out[100:-100]).max() - 1) < 0.01


@pytest.mark.skipif(espeak.library_paths("system") is None, reason="apt-get install libespeak-ng1")
def test_debian_library_route_is_reproducible(tmp_path):
    first = speech.generate_spoken_digits(tmp_path / "a", speakers=1, takes=1, engine="system")
    second = speech.generate_spoken_digits(tmp_path / "b", speakers=1, takes=1, engine="system")
    assert "system" in first["engine"] and first["sha256"] == second["sha256"]


def test_unknown_engine_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="engine must be"):
        speech.generate_spoken_digits(tmp_path / "x", speakers=1, takes=1, engine="festival")


@pytest.mark.skipif(espeak.binary_path() is None, reason="apt-get install espeak-ng")
def test_binary_fallback_makes_audio(tmp_path):
    manifest = speech.generate_spoken_digits(tmp_path / "bin", speakers=1, takes=1, engine="binary")
    assert "binary" in manifest["engine"] and manifest["clips"] == 10
