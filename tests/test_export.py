"""Sample export: grids with one row per class, WAVs that read back, escaped text tables."""
import os
import subprocess
import sys

import pytest
import soundfile
import torch
from matplotlib.image import imread

from aad.data.dataset import Dataset
from aad.export import image_grid, paired_rows, save_before_after, save_image_grid, save_samples, save_wavs


def test_image_grid_places_images_row_by_row():
    images = torch.stack([torch.full((1, 2, 2), v) for v in (0.0, 0.25, 0.5, 0.75)])
    grid = image_grid(images, nrow=2, padding=1)
    assert grid.shape == (1, 7, 7)
    assert grid[0, 1, 1] == 0.0 and grid[0, 1, 4] == 0.25 and grid[0, 4, 1] == 0.5 and grid[0, 4, 4] == 0.75


def test_save_samples_image_grid_has_one_row_per_class(tmp_path):
    y = torch.tensor([1, 0, 1, 0, 1, 0])
    x = torch.rand(6, 1, 8, 8)
    [path] = save_samples(x, y, "image", tmp_path, classes=["a", "b"])
    png = imread(path)
    assert png.shape[:2] == ((2 * 10 + 2) * 3, (3 * 10 + 2) * 3)


def test_unequal_class_counts_still_give_one_row_per_class(tmp_path):
    x, y = torch.zeros(4, 1, 2, 2), torch.tensor([1, 0, 1, 1])
    x[y == 0] = 0.5                                        # class 0 grey, class 1 black, padding white
    png = imread(save_samples(x, y, "image", tmp_path, classes="ab")[0])
    cell = lambda row, col: round(float(png[(2 + 4 * row) * 3 + 2, (2 + 4 * col) * 3 + 2]) * 255)
    assert [cell(0, c) for c in range(3)] == [128, 255, 255] and [cell(1, c) for c in range(3)] == [0, 0, 0]


def test_wav_names_must_match_the_clips_and_be_file_names(tmp_path):
    with pytest.raises(ValueError, match=r"one name per clip \(3\), got 1"):
        save_wavs(torch.zeros(3, 800), ["a"], tmp_path, 16000)
    with pytest.raises(ValueError, match="without a folder"):
        save_wavs(torch.zeros(1, 800), ["a/b"], tmp_path, 16000)


def test_grid_takes_gray_rgb_and_their_alpha(tmp_path):
    from PIL import Image

    for channels, mode in ((1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")):
        path = save_image_grid(torch.rand(2, channels, 4, 4), tmp_path / f"{channels}.png", nrow=2)
        assert Image.open(path).mode == mode
    with pytest.raises(ValueError, match="1 to 4 channels"):
        save_image_grid(torch.rand(2, 5, 4, 4), tmp_path / "bad.png", nrow=2)


def test_save_samples_audio_writes_readable_wavs(tmp_path):
    x = 0.5 * torch.sin(torch.arange(16000) / 16000 * 2 * torch.pi * 440).repeat(2, 1)
    paths = save_samples(x, torch.tensor([0, 1]), "audio", tmp_path, classes=["zero", "one"], sample_rate=16000)
    wave, rate = soundfile.read(paths[1])
    assert rate == 16000 and len(wave) == 16000 and paths[1].name == "000_zero.wav"
    assert abs(wave - x[0].numpy() * 0.9 / 0.5).max() < 1e-3, "normalised to a 0.9 peak"
    assert paths[0].name == "spectrograms.png"


def test_clips_shorter_than_half_a_window_get_a_spectrogram(tmp_path):
    """A 200-sample clip (legal: check_audio takes one sample) crashed inside torch.stft, after the WAVs."""
    paths = save_samples(torch.rand(2, 200) - 0.5, torch.tensor([0, 1]), "audio", tmp_path, ("a", "b"), 16000)
    assert paths[0].name == "spectrograms.png" and paths[0].is_file()


@pytest.mark.parametrize("call, match", [
    (lambda out: image_grid(torch.rand(2, 1, 4, 4), nrow=2.0), "nrow must be an int >= 1"),
    (lambda out: image_grid(torch.rand(2, 1, 4, 4), nrow=2, padding=-1), "padding must be an int >= 0"),
    (lambda out: save_image_grid(torch.rand(2, 1, 4, 4), out / "g.png", 2, upscale=1.5), "upscale must be an int"),
    (lambda out: save_samples(torch.rand(3, 1, 4, 4), torch.tensor([0, 1]), "image", out, ("a", "b")),
     "y has 2 labels for a batch of 3"),
    (lambda out: save_samples(torch.rand(2, 1, 4, 4), torch.tensor([0, 2]), "image", out, ("a", "b")),
     r"labels must be in \[0, 1\]"),
    (lambda out: save_samples(torch.rand(2, 1, 4, 4), torch.tensor([0, 1]), "images", out, ("a", "b")),
     "modality must be 'image', 'audio' or 'text', got 'images'"),   # wrote tensor reprs to samples.txt
    (lambda out: save_wavs(torch.zeros(2, 800), ["a", "a"], out, 16000), r"names must not repeat values, got \['a'\]"),
    (lambda out: save_wavs(torch.zeros(1, 800), ["a"], out, 0), "sample_rate must be an int >= 1"),
    (lambda out: save_wavs(torch.zeros(1, 800), ["a"], out, 16000.5), "sample_rate must be an int >= 1"),
    (lambda out: save_before_after(Dataset(x=torch.rand(2, 1, 4, 4), y=[0, 1], classes=("a", "b"), modality="image"),
                                   torch.rand(2, 1, 5, 5), out), r"after must hold samples of the originals' shape"),
    (lambda out: save_before_after(Dataset(x=["x", "y"], y=[0, 1], classes=("a", "b"), modality="text"),
                                   ["only one"], out), r"after must hold one sample per original \(2\), got 1"),
])
def test_export_names_a_bad_argument(tmp_path, call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(tmp_path)
    assert not any(tmp_path.iterdir()), "nothing is written before the check"


def test_silence_stays_silent(tmp_path):
    [path] = save_wavs(torch.zeros(1, 800), ["quiet"], tmp_path, 16000)
    assert not soundfile.read(path)[0].any()


def test_before_after_text_escapes_table_cells(tmp_path):
    before = Dataset(x=["a | b"], y=torch.tensor([0]), classes=("pos",), modality="text")
    [path] = save_before_after(before, ["a ! b"], tmp_path)
    assert "| pos | a \\| b | a ! b |" in path.read_text()
    odd = Dataset(x=["a"], y=torch.tensor([0]), classes=("p|q\nr",), modality="text")
    assert "| p\\|q r | a | b |" in save_before_after(odd, ["b"], tmp_path)[0].read_text()
    crlf = Dataset(x=["one\r\ntwo\rthree"], y=torch.tensor([0]), classes=("p",), modality="text")
    assert save_before_after(crlf, ["x"], tmp_path)[0].read_text().splitlines()[2] == "| p | one two three | x |"


def test_text_files_are_utf8_whatever_the_locale(tmp_path):
    # written in the locale's encoding, "naïve 🙂" failed under the C locale (and cp1252 on Windows)
    # the script is ASCII (escapes): a C-locale command line cannot carry the characters themselves
    script = (r"import torch, sys; from aad.data.dataset import Dataset; from aad.export import save_before_after, "
              r"save_samples; d = Dataset(x=['na\u00efve \U0001f642'], y=torch.tensor([0]), classes=('\u00e9',), "
              r"modality='text'); save_before_after(d, ['caf\u00e9 \U0001f642'], sys.argv[1]); "
              r"save_samples(['x \U0001f642'], torch.tensor([0]), 'text', sys.argv[1], classes=['\u00e9'])")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "café 🙂" in (tmp_path / "before_after.md").read_text(encoding="utf-8")
    assert "x 🙂" in (tmp_path / "samples.txt").read_text(encoding="utf-8")


def test_before_after_lays_out_rows_of_originals_above_their_augmented_versions(tmp_path):
    before, after = torch.arange(5.0).view(5, 1, 1, 1), -torch.arange(5.0).view(5, 1, 1, 1)
    grid = paired_rows(before, after, width=2).flatten().tolist()
    assert grid == [0, 1, -0, -1, 2, 3, -2, -3, 4, 0, -4, 0]   # the last pair of rows padded with blanks
    many = Dataset(x=torch.rand(40, 1, 4, 4), y=[0, 1] * 20, classes=("a", "b"), modality="image")
    [path] = save_before_after(many, torch.rand(40, 1, 4, 4), tmp_path)
    height, width = imread(path).shape[:2]
    assert height > width / 3, "6 rows of 16, not 2 rows of 40"


def test_before_after_audio_keeps_the_levels_it_compares(tmp_path):
    """Each WAV was normalised to a 0.9 peak and each spectrogram to its own scale: -30 dB looked unchanged."""
    tone = 0.5 * torch.sin(torch.arange(4000) / 16000 * 2 * torch.pi * 440).repeat(2, 1)
    before = Dataset(x=tone, y=[0, 1], classes=("a", "b"), modality="audio", sample_rate=16000)
    paths = save_before_after(before, tone * 0.03, tmp_path)
    names = sorted(p.name for p in paths[1:])
    assert names == ["000_a_after.wav", "000_a_before.wav", "001_b_after.wav", "001_b_before.wav"]
    loud, quiet = (soundfile.read(tmp_path / "wav" / f"000_a_{when}.wav")[0] for when in ("before", "after"))
    assert abs(loud.max() - 0.5) < 1e-3 and abs(quiet.max() - 0.015) < 1e-3
    picture = imread(paths[0])
    height, width = (picture.shape[0] - 6) // 2, (picture.shape[1] - 6) // 2   # 2 x 2 tiles, 2-pixel padding
    top, bottom = picture[2:2 + height, 2:2 + width], picture[4 + height:4 + 2 * height, 2:2 + width]
    assert top.max() > 0.99 and 0.5 < bottom.max() < 0.75, "30 of the 80 dB shown: the quieter clips draw darker"
    [clipping] = save_wavs(torch.full((1, 10), 4.0), ["hot"], tmp_path / "hot", 16000, peak=None)
    assert abs(soundfile.read(clipping)[0].max() - 1.0) < 1e-3, "turned down, not clipped, when too loud"


def test_class_folders_of_clips_read_back_at_their_levels(tmp_path):
    from aad.data import from_folder
    from aad.export import save_class_folders

    t = torch.arange(800) / 8000
    x = torch.stack([0.2 * torch.sin(2 * torch.pi * 440 * t), 0.5 * torch.sin(2 * torch.pi * 880 * t)])
    save_class_folders(x, torch.tensor([1, 0]), "audio", tmp_path, classes=["low", "high"], sample_rate=8000)
    back = from_folder(tmp_path, sample_rate=8000, clip_seconds=0.1)
    assert back.classes == ("high", "low") and back.y.tolist() == [0, 1]
    assert torch.allclose(back.x, x, atol=1e-3)   # x[0] is "high" (label 1), first in sorted order; levels kept


def test_class_folders_refuse_a_class_name_that_is_a_path(tmp_path):
    from aad.export import save_class_folders

    with pytest.raises(ValueError, match=r"classes must be usable as folder names, got '\.\.'"):
        save_class_folders(torch.rand(1, 1, 4, 4), torch.tensor([0]), "image", tmp_path, classes=[".."])
