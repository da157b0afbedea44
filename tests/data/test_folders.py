import csv

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from aad.data import from_csv, from_folder


def write_image(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path)


def test_grayscale_images_round_trip(tmp_path):
    write_image(tmp_path / "cat" / "a.png", np.full((6, 5), 255))
    write_image(tmp_path / "cat" / "b.png", np.zeros((6, 5)))
    write_image(tmp_path / "dog" / "c.png", np.full((6, 5), 51))
    data = from_folder(tmp_path)
    assert data.modality == "image" and data.classes == ("cat", "dog") and data.name == tmp_path.name
    assert tuple(data.x.shape) == (3, 1, 6, 5) and data.x.dtype == torch.float32
    assert data.y.tolist() == [0, 0, 1]
    assert data.x[:, 0, 0, 0].tolist() == pytest.approx([1.0, 0.0, 0.2])


def test_colour_makes_every_image_rgb_and_image_size_resizes(tmp_path):
    write_image(tmp_path / "a" / "grey.png", np.full((4, 4), 128))
    rgb = np.zeros((8, 6, 3))
    rgb[..., 0] = 255
    write_image(tmp_path / "b" / "red.jpg", rgb)
    with pytest.raises(ValueError, match="image_size"):
        from_folder(tmp_path)
    data = from_folder(tmp_path, image_size=(5, 7))
    assert tuple(data.x.shape) == (2, 3, 5, 7)
    red = data.x[1]
    assert float(red[0].mean()) > 0.9 and float(red[1:].mean()) < 0.1
    assert torch.allclose(data.x[0, 0], data.x[0, 2])  # grey stays grey in RGB


def test_audio_is_resampled_mixed_to_mono_and_fit_to_length(tmp_path):
    (tmp_path / "yes").mkdir()
    (tmp_path / "no").mkdir()
    t = np.arange(8000) / 8000
    tone = 0.5 * np.sin(2 * np.pi * 200 * t)
    soundfile.write(tmp_path / "yes" / "long.wav", np.stack([tone, tone], axis=1), 8000)  # 1 s stereo
    soundfile.write(tmp_path / "no" / "short.flac", tone[:2000], 8000)                   # 0.25 s
    data = from_folder(tmp_path, sample_rate=16_000, clip_seconds=0.5)
    assert data.modality == "audio" and data.sample_rate == 16_000 and data.classes == ("no", "yes")
    assert tuple(data.x.shape) == (2, 8000) and data.x.dtype == torch.float32
    short, long = data.x
    assert float(short[:1500].abs().max()) == 0.0 and float(short[-1500:].abs().max()) == 0.0  # centered
    assert float(long.abs().max()) == pytest.approx(0.5, abs=0.02)


def test_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="path .* is not a folder"):
        from_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="no class subfolders"):
        from_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no files"):
        from_folder(tmp_path)
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="unknown file types"):
        from_folder(tmp_path)
    with pytest.raises(ValueError, match="modality must be"):
        from_folder(tmp_path, modality="video")


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def test_csv_round_trip(tmp_path):
    write_csv(tmp_path / "reviews.csv", [["id", "review", "stars"], [1, " great, really ", "good"],
                                          [2, "awful", "bad"], [3, "", "bad"], [4, "fine", "good"]])
    data = from_csv(tmp_path / "reviews.csv", text_col="review", label_col="stars")
    assert data.modality == "text" and data.name == "reviews"
    assert data.x == ["great, really", "awful", "fine"]
    assert data.classes == ("bad", "good") and data.y.tolist() == [1, 0, 1]


def test_csv_errors_name_the_argument(tmp_path):
    write_csv(tmp_path / "d.csv", [["text", "label"], ["a", "x"]])
    with pytest.raises(ValueError, match=r"text_col='review' is not a column.*\['text', 'label'\]"):
        from_csv(tmp_path / "d.csv", text_col="review", label_col="label")
    with pytest.raises(ValueError, match="label_col='y'"):
        from_csv(tmp_path / "d.csv", text_col="text", label_col="y")
    with pytest.raises(FileNotFoundError, match="is not a file"):
        from_csv(tmp_path / "nope.csv", text_col="text", label_col="label")
