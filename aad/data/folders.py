"""Your own data: a folder with one subfolder per class (images or audio files), or a CSV of texts."""
from __future__ import annotations

import csv
import numbers
import os
import re
import sys
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import torch

from aad.checks import check_in_range, check_int, check_path
from aad.data.dataset import Dataset
from aad.data.speech import fit_length, resample

# torchvision's ImageFolder's suffixes (and GIF); files of other suffixes (Thumbs.db, notes) are skipped.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".aif", ".aiff"}
SKIPPED_FOLDERS = {"__MACOSX"}  # resource forks that macOS's zip leaves next to the data
GRAY_BANDS = {("1",), ("L",), ("I",), ("F",), ("L", "A"), ("L", "a")}  # PIL band names of gray images
CSV_DELIMITERS = ",;\t"
SNIFF_BYTES = 8192


def from_folder(path: str | Path, modality: str | None = None, image_size: int | tuple[int, int] | None = None,
                sample_rate: int = 16_000, clip_seconds: float = 1.0, name: str | None = None) -> Dataset:
    """Load ``path/<class>/**/<file>``; class names are the subfolder names.

    Each class folder is read recursively, files in sorted path order; hidden files and folders
    (``.name``) and ``__MACOSX`` are skipped, linked folders are followed (each folder read once, so
    a link loop ends), and a class folder without files is an error. Class names are
    Unicode-normalised to NFC and sorted numerically when all are integers ("2" < "10"), else
    alphabetically.
    Images become float32 ``[N, C, H, W]`` in [0, 1] (C = 3 if any image has colour, else 1; gray
    with alpha and gray palettes count as gray), upright per their EXIF orientation, resized to
    ``image_size`` (int or (H, W), pixels) when given; otherwise all images must share one size.
    8-bit images are divided by 255, 16-bit ones (and 32-bit integer "I" images, which Pillow also
    uses for 16-bit data) by 65535; "I" values outside [0, 65535] are an error. Float ("F") images
    are taken to be in [0, 1] already and clipped to it.
    Audio becomes mono float32 ``[N, round(clip_seconds * sample_rate)]`` at ``sample_rate`` Hz,
    center-padded with silence or cut after ``clip_seconds``; an empty audio file is an error.
    ``modality`` ("image" or "audio") is inferred from the file suffixes when None; files of other
    suffixes (``Thumbs.db``, notes) are skipped with a warning, as ImageFolder skips them.
    """
    size = _check_image_size(image_size)
    root = check_path(path, "path")
    if not root.is_dir():
        raise FileNotFoundError(f"path {str(root)!r} is not a folder")
    folders = _class_folders(root)
    if not folders:
        raise ValueError(f"path {str(root)!r} has no class subfolders (expected path/<class>/<file>)")
    classes = _sort_labels(folders)
    files, labels = _class_files([folders[cls] for cls in classes])
    modality = modality or _infer_modality(files, root)
    if modality in ("image", "audio"):
        files, labels = _of_modality(files, labels, modality, [folders[cls] for cls in classes])
    name = name or root.name
    if modality == "image":
        x = _read_images(files, size)
        return Dataset(x=x, y=labels, classes=classes, modality="image", name=name)
    if modality == "audio":
        x = _read_audio(files, sample_rate, clip_seconds)
        return Dataset(x=x, y=labels, classes=classes, modality="audio", name=name, sample_rate=sample_rate)
    raise ValueError(f"modality must be 'image', 'audio' or None, got {modality!r}")


def from_path(path: str | Path, *, text_col: str = "text", label_col: str = "label",
              modality: str | None = None, image_size: int | tuple[int, int] | None = None,
              sample_rate: int = 16_000, clip_seconds: float = 1.0) -> Dataset:
    """Your own data at ``path``: a ``.csv`` file goes to ``from_csv`` with ``text_col`` and
    ``label_col``; a folder of class subfolders to ``from_folder`` with the other options."""
    path = check_path(path, "path")
    if path.is_dir():
        return from_folder(path, modality, image_size=image_size, sample_rate=sample_rate,
                           clip_seconds=clip_seconds)
    if path.is_file() and path.suffix.lower() in (".csv", ".tsv"):
        return from_csv(path, text_col=text_col, label_col=label_col)
    if path.is_file():
        raise ValueError(f"path {str(path)!r} is neither a folder of class subfolders nor a .csv or .tsv file")
    raise FileNotFoundError(f"path {str(path)!r} does not exist")


def from_csv(path: str | Path, text_col: str, label_col: str, name: str | None = None, *,
             encoding: str = "utf-8-sig", delimiter: str | None = None) -> Dataset:
    """Texts and labels from two columns of a CSV file with a header.

    Classes are sorted numerically when every label is a number ("2" < "10"), else alphabetically.
    Rows with an empty text or label are dropped, with a warning; texts are kept as written
    (whitespace stripped).
    ``encoding`` defaults to UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8").
    ``delimiter`` None sniffs ",", ";" or tab from the first 8 KB (preferring one whose header holds
    both columns), falling back to ",".
    """
    path = check_path(path, "path")
    if not path.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file")
    try:
        with open(path, newline="", encoding=encoding) as f:
            if delimiter is None:
                delimiter = _sniff_delimiter(f.read(SNIFF_BYTES), (text_col, label_col))
                f.seek(0)
            reader = csv.DictReader(f, delimiter=delimiter)
            try:
                columns = reader.fieldnames or []
                for arg, col in (("text_col", text_col), ("label_col", label_col)):
                    if col not in columns:
                        raise ValueError(f"{arg}={col!r} is not a column of {path.name} (read with "
                                         f"delimiter={delimiter!r}); columns: {columns}")
                rows = _text_rows(reader, text_col, label_col, path)
            except csv.Error as err:   # most often a quote left open: the rest of the file is one field
                # line_num is the last whole row's end: the faulty record starts on the next line
                raise ValueError(f"{str(path)!r}, the record from line {reader.line_num + 1}: {err} (is a "
                                 f"quote left open there?)") from err
    except UnicodeDecodeError as err:
        # Still a UnicodeDecodeError (a ValueError) for callers that catch it, now naming the file.
        reason = (f"{err.reason} (file {str(path)!r} is not {encoding!r}; "
                  f"pass encoding='latin-1' or the file's real encoding)")
        raise UnicodeDecodeError(err.encoding, err.object, err.start, err.end, reason) from err
    if not rows:
        raise ValueError(f"path {str(path)!r} has no rows with both {text_col!r} and {label_col!r}")
    classes = _sort_labels({label for _, label in rows})
    index = {label: i for i, label in enumerate(classes)}
    y = torch.tensor([index[label] for _, label in rows], dtype=torch.long)
    return Dataset(x=[text for text, _ in rows], y=y, classes=classes, modality="text",
                   name=name or path.stem)


def _text_rows(reader: csv.DictReader, text_col: str, label_col: str, path: Path) -> list[tuple[str, str]]:
    """(text, label) of each row that has both. A row with more fields than the header is refused: an
    unquoted delimiter in a text shifts the label, which would silently make up a class. Rows without
    one are dropped, with a warning that counts them."""
    rows, dropped = [], []
    for r in reader:
        extra = [v for v in r.get(None) or [] if v.strip()]  # DictReader keeps fields past the header under None
        if extra:
            raise ValueError(f"{str(path)!r} line {reader.line_num} has {len(reader.fieldnames) + len(r[None])} "
                             f"fields but the header has {len(reader.fieldnames)}: quote a text that holds the "
                             f"delimiter {reader.reader.dialect.delimiter!r}")
        if (r[text_col] or "").strip() and (r[label_col] or "").strip():
            rows.append((r[text_col].strip(), r[label_col].strip()))
        else:
            dropped.append(reader.line_num)
    if dropped:
        _warn_caller(f"dropped {len(dropped)} row(s) of {path.name} with an empty {text_col!r} or {label_col!r} "
                     f"(lines {dropped[:5]}{' ...' if len(dropped) > 5 else ''})")
    return rows


def _sniff_delimiter(sample: str, columns: tuple[str, str]) -> str:
    lines = sample.splitlines()
    if len(sample) >= SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    try:
        guess = csv.Sniffer().sniff("\n".join(lines), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        guess = ","
    header = lines[0] if lines else ""

    def holds_columns(delimiter: str) -> bool:
        return set(columns) <= set(next(csv.reader([header], delimiter=delimiter), []))

    if holds_columns(guess):
        return guess
    return next((d for d in CSV_DELIMITERS if holds_columns(d)), guess)


def _sort_labels(labels) -> tuple[str, ...]:
    """Numerically when every label is a number ("2" < "10"; "2.0" < "10.0", as pandas writes integer
    labels of a column with a gap), else alphabetically."""
    if labels and all(re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)", label) for label in labels):
        return tuple(sorted(labels, key=lambda label: (float(label), label)))
    return tuple(sorted(labels))


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def _class_folders(root: Path) -> dict[str, Path]:
    """NFC class name -> folder, so names and order match on macOS (NFD) and Linux file systems."""
    folders: dict[str, Path] = {}
    for d in sorted(root.iterdir()):
        if not d.is_dir() or _hidden(d.name):
            continue
        cls = unicodedata.normalize("NFC", d.name)
        if cls in folders:
            raise ValueError(f"class folders {folders[cls].name!r} and {d.name!r} in {str(root)!r} "
                             "differ only in Unicode normalisation; merge them")
        folders[cls] = d
    return folders


def _class_files(folders: list[Path]) -> tuple[list[Path], torch.Tensor]:
    files, labels = [], []
    for index, folder in enumerate(folders):
        found, seen = [], set()
        for parent, dirs, names in os.walk(folder, followlinks=True):  # recursive, like ImageFolder
            real = os.path.realpath(parent)
            if real in seen:   # a link back up the tree (or a second link to one folder): read it once
                dirs[:] = []
                continue
            seen.add(real)
            dirs[:] = [d for d in dirs if not _hidden(d)]
            found += [Path(parent, n) for n in names if not n.startswith(".")]
        if not found:
            raise ValueError(f"class folder {str(folder)!r} has no files; add some or remove the folder")
        files += sorted(found)
        labels += [index] * len(found)
    return files, torch.tensor(labels, dtype=torch.long)


def _infer_modality(files: list[Path], root: Path) -> str:
    """"image" or "audio", whichever the files of known suffixes are (other files are skipped later)."""
    suffixes = {f.suffix.lower() for f in files}
    known = suffixes & (IMAGE_SUFFIXES | AUDIO_SUFFIXES)
    if known and known <= IMAGE_SUFFIXES:
        return "image"
    if known and known <= AUDIO_SUFFIXES:
        return "audio"
    what = f"mixes images and audio ({sorted(known)})" if known else f"holds only unknown file types {sorted(suffixes)}"
    raise ValueError(f"path {str(root)!r} {what}; expected images {sorted(IMAGE_SUFFIXES)} or audio "
                     f"{sorted(AUDIO_SUFFIXES)}, or pass modality=")


def _of_modality(files: list[Path], labels: torch.Tensor, modality: str, folders: list[Path]):
    """The files of ``modality``'s suffixes, as ImageFolder keeps them; a warning names those skipped."""
    suffixes = IMAGE_SUFFIXES if modality == "image" else AUDIO_SUFFIXES
    keep = [f.suffix.lower() in suffixes for f in files]
    skipped = [f.name for f, k in zip(files, keep) if not k]
    if skipped:
        _warn_caller(f"skipped {len(skipped)} file(s) that are not {modality} files (e.g. {skipped[:3]})")
    labels = labels[torch.tensor(keep, dtype=torch.bool)]
    empty = sorted(set(range(len(folders))) - set(labels.tolist()))
    if empty:
        raise ValueError(f"class folder {str(folders[empty[0]])!r} has no {modality} files ({sorted(suffixes)})")
    return [f for f, k in zip(files, keep) if k], labels


def _check_image_size(image_size) -> tuple[int, int] | None:
    """``image_size`` as (H, W) ints: a positive int (NumPy's too) or a pair of them; None stays None."""
    if image_size is None:
        return None
    pair = image_size if isinstance(image_size, (tuple, list)) else (image_size, image_size)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
                                 for v in pair):
        raise ValueError(f"image_size must be a positive int or an (H, W) pair of positive ints, "
                         f"got {image_size!r}")
    return int(pair[0]), int(pair[1])


def _read_images(files: list[Path], image_size: tuple[int, int] | None) -> torch.Tensor:
    size = None if image_size is None else (image_size[1], image_size[0])   # PIL takes (W, H)
    # One file open at a time; uint8 [H, W] / [H, W, 3] or float32 [H, W] in [0, 1] (16-bit, float)
    arrays = [_read_image(f, size) for f in files]
    sizes = {(a.shape[1], a.shape[0]) for a in arrays}
    if len(sizes) > 1:
        raise ValueError(f"images have {len(sizes)} different sizes (e.g. {sorted(sizes)[:3]} as W x H); "
                         "pass image_size=(H, W) (--image-size H,W on the command line) to resize them "
                         "to one size")
    channels = 3 if any(a.ndim == 3 for a in arrays) else 1
    height, width = arrays[0].shape[:2]
    pixels = np.empty((len(arrays), height, width, channels), dtype=np.float32)
    for i, a in enumerate(arrays):
        a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a
        pixels[i] = a if a.ndim == 3 else a[..., None]  # gray fills every channel
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # [N, C, H, W]


def _read_image(file: Path, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, ImageOps

    try:
        with Image.open(file) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            colour = im.getbands() not in GRAY_BANDS
            if im.mode in ("P", "PA"):
                rgb = np.asarray(im.convert("RGB"))
                colour = bool((rgb != rgb[..., :1]).any())
            if im.mode in ("I", "F") or im.mode.startswith("I;16"):
                return _read_deep_gray(im, file, size)
            im = im.convert("RGB" if colour else "L")
            if size is not None:
                im = im.resize(size, Image.BILINEAR)
            return np.asarray(im)
    except (OSError, SyntaxError, EOFError) as err:  # PIL's errors for unreadable or truncated files
        raise ValueError(f"cannot read image {str(file)!r}: {err}") from err


def _read_deep_gray(im, file: Path, size: tuple[int, int] | None) -> np.ndarray:
    """16-bit, 32-bit integer or float gray image -> float32 [H, W] in [0, 1]."""
    from PIL import Image

    values = np.asarray(im).astype(np.float32)
    if im.mode == "F":
        values = np.clip(values, 0.0, 1.0)
    else:
        if im.mode == "I" and values.size and (values.min() < 0 or values.max() > 65535):
            raise ValueError(f"32-bit integer image {str(file)!r} has values in [{values.min():.0f}, "
                             f"{values.max():.0f}]; only 0..65535 (16-bit data) is supported")
        values = values / 65535.0
    if size is not None:
        values = np.asarray(Image.fromarray(values, "F").resize(size, Image.BILINEAR))
    return values


def _read_audio(files: list[Path], sample_rate: int, clip_seconds: float) -> torch.Tensor:
    import soundfile

    check_int(sample_rate, "sample_rate", 1)   # Hz, whole samples per second
    check_in_range(clip_seconds, "clip_seconds", 0, None, low_inclusive=False)
    length = round(clip_seconds * sample_rate)
    if length < 1:
        raise ValueError(f"clip_seconds must hold at least one sample at {sample_rate} Hz, got {clip_seconds}")
    clips = []
    for f in files:
        try:
            audio, rate = soundfile.read(f, dtype="float64", always_2d=True)  # [T, channels]
        except (soundfile.LibsndfileError, RuntimeError) as err:   # as a corrupt image is named
            raise ValueError(f"cannot read audio file {str(f)!r}: {err}") from err
        if audio.shape[0] == 0:
            raise ValueError(f"audio file {str(f)!r} is empty (0 samples)")
        mono = resample(audio.mean(axis=1), rate, sample_rate)
        clips.append(fit_length(mono, length))
    return torch.from_numpy(np.stack(clips).astype(np.float32))


def _warn_caller(message: str) -> None:
    """Warn at the line that asked for the data: the first frame outside ``aad.data``, however deep the
    loaders (``load``, ``from_path``, ``from_folder``) were called."""
    here, frame, level = str(Path(__file__).parent), sys._getframe(1), 2   # 2: the frame below this one
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, stacklevel=level)
