import csv
import os
import unicodedata

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


@pytest.mark.parametrize("bad", [0, -3, 6.0, (6,), (6, 0), True, "6"])
def test_image_size_must_be_a_positive_int_or_a_pair_of_them(tmp_path, bad):
    write_image(tmp_path / "a" / "x.png", np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"image_size must be a positive int or an \(H, W\) pair"):
        from_folder(tmp_path, image_size=bad)
    assert tuple(from_folder(tmp_path, image_size=np.int64(3)).x.shape) == (1, 1, 3, 3)
    assert tuple(from_folder(tmp_path, image_size=[np.int32(2), 3]).x.shape) == (1, 1, 2, 3)


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
    with pytest.raises(ValueError, match="empty.* has no files"):
        from_folder(tmp_path)
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="unknown file types"):
        from_folder(tmp_path)
    with pytest.raises(ValueError, match="modality must be"):
        from_folder(tmp_path, modality="video")


def test_files_that_are_not_images_are_skipped_as_imagefolder_skips_them(tmp_path):
    write_image(tmp_path / "cat" / "a.webp", np.full((4, 4), 255))
    write_image(tmp_path / "dog" / "b.pgm", np.zeros((4, 4)))
    (tmp_path / "cat" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "dog" / "notes.txt").write_text("taken at noon")
    for modality in (None, "image"):
        with pytest.warns(UserWarning, match=r"skipped 2 file\(s\) that are not image files"):
            data = from_folder(tmp_path, modality=modality)
        assert data.y.tolist() == [0, 1] and data.x[:, 0, 0, 0].tolist() == [1.0, 0.0]
    (tmp_path / "cat" / "a.webp").unlink()
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="cat' has no image files"):
        from_folder(tmp_path)


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def test_csv_round_trip(tmp_path):
    write_csv(tmp_path / "reviews.csv", [["id", "review", "stars"], [1, " great, really ", "good"],
                                          [2, "awful", "bad"], [3, "", "bad"], [4, "fine", "good"]])
    with pytest.warns(UserWarning, match=r"dropped 1 row\(s\) of reviews.csv with an empty 'review' or 'stars' "
                                         r"\(lines \[4\]\)") as caught:
        data = from_csv(tmp_path / "reviews.csv", text_col="review", label_col="stars")
    assert caught[0].filename == __file__, "the warning points at the caller's line"
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


def test_csv_with_a_quote_left_open_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('text,label\nfine,a\n"open quote,b\n' + "word " * 30000 + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"t.csv', the record from line 3: field larger than field limit .* quote "
                                         r"left open there"):
        from_csv(path, text_col="text", label_col="label")


def test_csv_row_with_more_fields_than_the_header_is_an_error(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\ngreat film,pos\nslow, but fine,pos\nawful,neg\n")
    with pytest.raises(ValueError, match=r"reviews.csv' line 3 has 3 fields but the header has 2.*quote"):
        from_csv(path, "text", "label")
    path.write_text("text,label\ngreat film,pos,\nawful,neg,\n")  # empty trailing fields are harmless
    assert from_csv(path, "text", "label").x == ["great film", "awful"]


def test_images_are_read_one_open_file_at_a_time(tmp_path):
    resource = pytest.importorskip("resource")
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to count open files")
    for i in range(64):
        write_image(tmp_path / "ab"[i % 2] / f"{i:02d}.png", np.zeros((2, 2)))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 16, hard))
    try:
        data = from_folder(tmp_path)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert tuple(data.x.shape) == (64, 1, 2, 2)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_image_error_names_the_file(tmp_path, suffix):
    write_image(tmp_path / "a" / "ok.png", np.zeros((4, 4)))
    bad = tmp_path / "b" / f"bad{suffix}"
    write_image(bad, np.random.default_rng(0).integers(0, 256, (32, 32, 3)))
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    with pytest.raises(ValueError, match=f"cannot read image .*bad{suffix}"):
        from_folder(tmp_path)


def test_16_bit_int_and_float_images_scale_to_unit_range(tmp_path):
    (tmp_path / "a").mkdir()
    Image.fromarray(np.full((3, 3), 30000, np.uint16)).save(tmp_path / "a" / "i16.png")  # mode I;16
    Image.fromarray(np.full((3, 3), 40000, np.int32), "I").save(tmp_path / "a" / "i32.tif")
    (tmp_path / "b").mkdir()
    Image.fromarray(np.array([[0.7, 1.5, -0.5]] * 3, np.float32), "F").save(tmp_path / "b" / "f.tif")
    data = from_folder(tmp_path, image_size=3)
    assert data.x.shape[1] == 1
    assert float(data.x[0, 0, 1, 1]) == pytest.approx(30000 / 65535, abs=1e-4)
    assert float(data.x[1, 0, 1, 1]) == pytest.approx(40000 / 65535, abs=1e-4)
    assert data.x[2, 0, 0].tolist() == pytest.approx([0.7, 1.0, 0.0], abs=1e-4)  # F: clipped to [0, 1]
    Image.fromarray(np.full((3, 3), 70000, np.int32), "I").save(tmp_path / "b" / "big.tif")
    with pytest.raises(ValueError, match="big.tif.*0..65535"):
        from_folder(tmp_path)


def test_exif_orientation_makes_photos_upright(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    (tmp_path / "a").mkdir()
    Image.fromarray(np.zeros((4, 8, 3), np.uint8)).save(tmp_path / "a" / "sideways.jpg", exif=exif.tobytes())
    write_image(tmp_path / "b" / "upright.jpg", np.zeros((8, 4, 3)))
    assert tuple(from_folder(tmp_path).x.shape) == (2, 3, 8, 4)


def test_gray_with_alpha_and_gray_palettes_stay_one_channel(tmp_path):
    g = np.full((4, 4), 128, np.uint8)
    (tmp_path / "a").mkdir()
    Image.fromarray(np.dstack([g, g]), "LA").save(tmp_path / "a" / "la.png")
    Image.fromarray(np.dstack([g, g, g])).convert("P").save(tmp_path / "a" / "pal.png")
    data = from_folder(tmp_path)
    assert data.x.shape[1] == 1 and float(data.x[0, 0, 0, 0]) == pytest.approx(128 / 255)
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255
    Image.fromarray(red).convert("P").save(tmp_path / "a" / "red.png")
    assert from_folder(tmp_path).x.shape[1] == 3  # a coloured palette still makes colour


def test_class_folders_are_read_recursively_in_sorted_order(tmp_path):
    for p, value in (("cat/b.png", 10), ("cat/2019/a.png", 20), ("cat/.cache/x.png", 30),
                     ("cat/2019/.hidden.png", 40), ("dog/d.png", 50)):
        write_image(tmp_path / p, np.full((2, 2), value))
    data = from_folder(tmp_path)
    assert data.classes == ("cat", "dog") and data.y.tolist() == [0, 0, 1]
    assert (data.x[:, 0, 0, 0] * 255).round().tolist() == [20, 10, 50]  # cat/2019/a, cat/b, dog/d


def test_linked_folders_are_followed_and_a_link_loop_read_once(tmp_path):
    write_image(tmp_path / "cat" / "a.png", np.full((2, 2), 10))
    write_image(tmp_path / "elsewhere" / "b.png", np.full((2, 2), 20))
    os.symlink(tmp_path / "elsewhere", tmp_path / "cat" / "more")
    os.symlink(tmp_path / "cat", tmp_path / "cat" / "loop")   # walked, it read a.png ~40 times
    os.symlink(tmp_path / "elsewhere", tmp_path / "cat" / "again")
    write_image(tmp_path / "dog" / "d.png", np.full((2, 2), 50))
    data = from_folder(tmp_path, modality="image")
    cat = (data.x[data.y == data.classes.index("cat"), 0, 0, 0] * 255).round().tolist()
    assert sorted(cat) == [10, 20]


def test_empty_class_folder_is_an_error_and_macosx_is_skipped(tmp_path):
    write_image(tmp_path / "cat" / "a.png", np.zeros((2, 2)))
    write_image(tmp_path / "dog" / "b.png", np.zeros((2, 2)))
    (tmp_path / "__MACOSX" / "cat").mkdir(parents=True)
    (tmp_path / "__MACOSX" / "cat" / "._a.png").write_bytes(b"\0")
    (tmp_path / ".git").mkdir()
    assert from_folder(tmp_path).classes == ("cat", "dog")
    (tmp_path / "zebra").mkdir()
    with pytest.raises(ValueError, match="zebra.* has no files"):
        from_folder(tmp_path)


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_class_names_are_nfc_whatever_the_file_system_stores(tmp_path, form):
    for cls in ("\u00e9clair", "fraise"):
        write_image(tmp_path / unicodedata.normalize(form, cls) / "a.png", np.zeros((2, 2)))
    assert from_folder(tmp_path).classes == ("fraise", "\u00e9clair")


def test_integer_class_names_sort_numerically(tmp_path):
    for cls in ("10", "2", "1"):
        write_image(tmp_path / cls / "a.png", np.zeros((2, 2)))
    assert from_folder(tmp_path).classes == ("1", "2", "10")
    write_image(tmp_path / "b" / "a.png", np.zeros((2, 2)))
    assert from_folder(tmp_path).classes == ("1", "10", "2", "b")  # not all integers: alphabetical
    write_csv(tmp_path / "d.csv", [["text", "label"]] + [[f"t{i}", i] for i in range(12)])
    data = from_csv(tmp_path / "d.csv", text_col="text", label_col="label")
    assert data.y.tolist() == list(range(12)) and data.classes[-1] == "11"


def test_csv_with_byte_order_mark(tmp_path):
    (tmp_path / "bom.csv").write_bytes("\ufefftext,label\nhello,pos\n".encode("utf-8"))
    data = from_csv(tmp_path / "bom.csv", text_col="text", label_col="label")
    assert data.x == ["hello"] and data.classes == ("pos",)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_is_sniffed_or_given(tmp_path, delimiter):
    with open(tmp_path / "d.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=delimiter).writerows([["text", "label"], ["a, b", "x"], ["c", "y"]])
    for kwargs in ({}, {"delimiter": delimiter}):
        data = from_csv(tmp_path / "d.csv", text_col="text", label_col="label", **kwargs)
        assert data.x == ["a, b", "c"] and data.classes == ("x", "y")


def test_csv_in_another_encoding_names_the_file_and_the_argument(tmp_path):
    (tmp_path / "latin.csv").write_bytes("text,label\ncaf\u00e9 cr\u00e8me,pos\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.csv.*encoding='latin-1'"):
        from_csv(tmp_path / "latin.csv", text_col="text", label_col="label")
    data = from_csv(tmp_path / "latin.csv", text_col="text", label_col="label", encoding="latin-1")
    assert data.x == ["caf\u00e9 cr\u00e8me"]


def test_empty_audio_file_is_an_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    soundfile.write(tmp_path / "a" / "ok.wav", np.full(800, 0.1), 8000)
    soundfile.write(tmp_path / "b" / "empty.wav", np.zeros(0), 8000)
    with pytest.raises(ValueError, match="empty.wav.* is empty"):
        from_folder(tmp_path, sample_rate=8000)


def test_audio_rate_and_length_are_named(tmp_path):
    (tmp_path / "a").mkdir()
    soundfile.write(tmp_path / "a" / "ok.wav", np.full(800, 0.1), 8000)
    with pytest.raises(ValueError, match="sample_rate must be an int >= 1, got 16000.5"):
        from_folder(tmp_path, sample_rate=16000.5)
    with pytest.raises(ValueError, match="clip_seconds must be > 0, got 0"):
        from_folder(tmp_path, clip_seconds=0)
    with pytest.raises(ValueError, match="clip_seconds must hold at least one sample at 8000 Hz"):
        from_folder(tmp_path, sample_rate=8000, clip_seconds=1e-5)   # gave clips of 0 samples


def test_load_reads_a_path_that_is_no_packaged_name(tmp_path, monkeypatch):
    from aad.data import load

    write_image(tmp_path / "imgs" / "cat" / "a.png", np.zeros((6, 5)))
    write_image(tmp_path / "imgs" / "dog" / "b.png", np.zeros((4, 4)))
    assert tuple(load(str(tmp_path / "imgs"), image_size=3).x.shape) == (2, 1, 3, 3)
    (tmp_path / "t.csv").write_text("text,label\nfine day,pos\nbad day,neg\n")
    texts = load(tmp_path / "t.csv")
    assert texts.modality == "text" and texts.classes == ("neg", "pos") and texts.x == ["fine day", "bad day"]
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder of class subfolders nor a .csv"):
        load(str(tmp_path / "notes.txt"))
    with pytest.raises(ValueError, match="unknown dataset 'nowhere': not a packaged one"):
        load("nowhere")
    monkeypatch.chdir(tmp_path)
    write_image(tmp_path / "digits" / "x" / "a.png", np.zeros((2, 2)))
    assert load("digits").name == "digits" and len(load("digits")) > 1000, "a packaged name wins"
    assert len(load("./digits")) == 1, "a path reads the folder"


def test_number_labels_sort_as_numbers_as_pandas_writes_them(tmp_path):
    write_csv(tmp_path / "t.csv", [["text", "label"], ["a", "10.0"], ["b", "2.0"], ["c", "1.0"], ["d", ".5"]])
    assert from_csv(tmp_path / "t.csv", "text", "label").classes == (".5", "1.0", "2.0", "10.0")


def test_a_corrupt_audio_file_is_named(tmp_path):
    (tmp_path / "a").mkdir()
    soundfile.write(tmp_path / "a" / "ok.wav", np.full(800, 0.1), 8000)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "bad.wav").write_bytes(b"RIFF" + bytes(40))
    with pytest.raises(ValueError, match=r"cannot read audio file .*bad.wav"):
        from_folder(tmp_path, sample_rate=8000, clip_seconds=0.1)


def test_a_mixed_folder_is_read_with_the_modality_its_error_suggests(tmp_path):
    from aad.data import load

    write_image(tmp_path / "a" / "x.png", np.zeros((4, 4)))
    write_image(tmp_path / "b" / "y.png", np.zeros((4, 4)))
    soundfile.write(tmp_path / "b" / "z.wav", np.full(800, 0.1), 8000)
    with pytest.raises(ValueError, match="pass modality="):
        load(tmp_path)
    with pytest.warns(UserWarning, match="skipped 1 file"):
        assert load(tmp_path, modality="image").modality == "image"
