"""Sample export: grids with one row per class, WAVs that read back, escaped text tables."""
import soundfile
import torch
from matplotlib.image import imread

from aad.data.dataset import Dataset
from aad.export import image_grid, save_before_after, save_samples


def test_image_grid_places_images_row_by_row():
    images = torch.stack([torch.full((1, 2, 2), v) for v in (0.0, 0.25, 0.5, 0.75)])
    grid = image_grid(images, nrow=2, pad=1)
    assert grid.shape == (1, 7, 7)
    assert grid[0, 1, 1] == 0.0 and grid[0, 1, 4] == 0.25 and grid[0, 4, 1] == 0.5 and grid[0, 4, 4] == 0.75


def test_save_samples_image_grid_has_one_row_per_class(tmp_path):
    y = torch.tensor([1, 0, 1, 0, 1, 0])
    x = torch.rand(6, 1, 8, 8)
    [path] = save_samples(x, y, "image", tmp_path, classes=["a", "b"])
    png = imread(path)
    assert png.shape[0] == (2 * 9 + 1) * 3 and png.shape[1] == (3 * 9 + 1) * 3


def test_save_samples_audio_writes_readable_wavs(tmp_path):
    x = 0.5 * torch.sin(torch.arange(16000) / 16000 * 2 * torch.pi * 440).repeat(2, 1)
    paths = save_samples(x, torch.tensor([0, 1]), "audio", tmp_path, classes=["zero", "one"], sample_rate=16000)
    wave, rate = soundfile.read(paths[1])
    assert rate == 16000 and len(wave) == 16000 and paths[1].name == "000_zero.wav"
    assert abs(wave - x[0].numpy()).max() < 1e-3


def test_before_after_text_escapes_table_cells(tmp_path):
    before = Dataset(x=["a | b"], y=torch.tensor([0]), classes=("pos",), modality="text")
    [path] = save_before_after(before, ["a ! b"], tmp_path)
    assert "| pos | a \\| b | a ! b |" in path.read_text()
