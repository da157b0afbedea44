"""SpectrogramGAN mechanics on tiny configs: shapes, inversion, checkpoints, resume, bad input, export."""
import pytest
import torch

import aad.gan
from aad import Augmenter, NotFittedError
from aad.audio import SpectrogramGAN
from aad.audio.spectrogram import MelImage
from aad.export import save_samples
from tests.audio.signals import SR, dominant_frequency, tone
from tests.cases import audio_batch


def tiny(**kw):
    return SpectrogramGAN(**{**TINY, **kw})


TINY = {"clip_seconds": 0.25, "n_mels": 16, "n_fft": 256, "hop": 128, "griffin_lim_iters": 4, "z_dim": 8,
        "g_width": 8, "d_width": 8, "steps": 4, "batch_size": 4, "progress": False, "seed": 0}


def test_generate_returns_waveforms_at_the_clip_length():
    x, y = audio_batch()
    gan = tiny().fit(x, y)
    out = gan.generate(torch.tensor([0, 1, 2, 2, 1]))
    assert out.shape == (5, 4000) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert out.abs().max() > 0
    images = gan.generate_images(torch.tensor([0, 1]), torch.Generator().manual_seed(0))
    assert images.shape == (2, 1, 16, 4000 // 128 + 1) and 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize("override, match", [
    ({"hop": 64}, "hop is 64, but .* fitted with 128"), ({"n_mels": 32}, "n_mels is 32"),
    ({"n_fft": 512}, "n_fft is 512"), ({"sample_rate": 8000, "clip_seconds": 0.5}, "sample_rate is 8000"),
])
def test_spectrogram_settings_other_than_the_fits_are_refused(tmp_path, override, match):
    # another hop or n_mels crashed inside torch; another rate or n_fft inverted to the wrong pitch
    x, y = audio_batch()
    tiny().fit(x, y).save(tmp_path)
    loaded = Augmenter.load(tmp_path, **override)
    with pytest.raises(ValueError, match=match):
        loaded.generate([0])
    fitted = Augmenter.load(tmp_path)
    with pytest.raises(ValueError, match=match):
        fitted.set_params(**override).augment(torch.zeros(1, fitted.clip_length), [0])
    assert Augmenter.load(tmp_path).generate([0]).shape == (1, 4000)


def test_generate_images_and_to_images_check_their_input():
    with pytest.raises(NotFittedError):
        tiny().generate_images([0])
    x, y = audio_batch()
    gan = tiny().fit(x, y)
    assert torch.equal(gan.generate_images([0, 1], rng=3), gan.generate_images(torch.tensor([0, 1]), 3))
    with pytest.raises(TypeError, match="y must"):
        gan.generate_images(torch.tensor([0.0]))
    with pytest.raises(ValueError, match="x clips are 1000 samples long"):
        gan.to_images(torch.zeros(2, 1000))


def test_mel_inversion_keeps_a_tone_pitch():
    mel = MelImage(n_mels=64, griffin_lim_iters=32)
    x = tone(440.0, n=2)
    log_mel = mel.log_mel(x)
    mean, std = mel.statistics(log_mel)
    back = mel.to_wave(mel.to_image(log_mel, mean, std), mean, std, SR)
    assert back.shape == x.shape
    assert dominant_frequency(back[0]) == pytest.approx(440.0, rel=0.03)


def test_checkpoint_and_resume(tmp_path, monkeypatch):
    x, y = audio_batch()
    tiny(steps=3, checkpoint_dir=str(tmp_path)).fit(x, y)
    assert (tmp_path / "checkpoint.safetensors").is_file()
    steps = []   # a training step ends with the EMA update
    update_ema = aad.gan.update_ema
    monkeypatch.setattr(aad.gan, "update_ema", lambda *a: steps.append(1) or update_ema(*a))
    resumed = tiny(steps=3, checkpoint_dir=str(tmp_path))
    resumed.fit(x, y)   # nothing left to do: resumes at step 3 and stops
    assert resumed.steps_done_ == 3 and steps == []
    monkeypatch.undo()
    fresh = tiny(steps=3).fit(x, y)
    assert torch.allclose(resumed.generate(y, rng=1), fresh.generate(y, rng=1), atol=1e-5)


def test_same_seed_same_model():
    x, y = audio_batch()
    a, b = tiny().fit(x, y), tiny().fit(x, y)
    assert torch.equal(a.generate(y, rng=2), b.generate(y, rng=2))


def test_wrong_clip_length_names_the_sample_rate():
    x, y = audio_batch(t=5512)    # 0.25 s at 22.05 kHz
    with pytest.raises(ValueError, match="sample_rate"):
        tiny().fit(x, y)


def test_labels_are_required_and_range_checked():
    x, y = audio_batch()
    with pytest.raises(ValueError, match="y is required"):
        tiny().fit(x)
    gan = tiny().fit(x, y)
    with pytest.raises(ValueError, match="labels must be in"):
        gan.generate(torch.tensor([7]))


def test_export_writes_wavs_and_a_png(tmp_path):
    import soundfile

    x, y = audio_batch()
    gan = tiny().fit(x, y)
    labels = torch.tensor([0, 1, 1])
    png, *wavs = save_samples(gan.generate(labels), labels, "audio", tmp_path, classes="abc", sample_rate=SR)
    data, rate = soundfile.read(wavs[0])
    assert rate == SR and len(data) == 4000 and [p.name for p in wavs] == ["000_a.wav", "001_b.wav", "002_b.wav"]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_checkpoint_of_another_fit_is_refused(tmp_path):
    x, y = audio_batch()
    tiny(checkpoint_dir=str(tmp_path)).fit(x, y)
    with pytest.raises(ValueError, match="another fit .*seed: 0 in the checkpoint, 1 now"):
        tiny(seed=1, checkpoint_dir=str(tmp_path)).fit(0.5 * x, y)
    with pytest.raises(ValueError, match="another fit .*shape: "):   # other mel images
        tiny(n_mels=8, checkpoint_dir=str(tmp_path)).fit(x, y)


def test_a_single_clip_or_batch_size_1_fits():
    x, y = audio_batch()
    for gan, data, labels in [(tiny(), x[:1], y[:1]), (tiny(batch_size=1), x, y)]:
        assert torch.isfinite(gan.fit(data, labels).generate(labels)).all()


def test_float64_clips_fit():
    x, y = audio_batch()
    assert torch.equal(tiny().fit(x.double(), y).generate(y, rng=0), tiny().fit(x, y).generate(y, rng=0))


def test_to_images_takes_float64_clips_as_fit_does():
    x, y = audio_batch()
    gan = tiny(steps=1).fit(x.double(), y)
    assert torch.equal(gan.to_images(x.double()), gan.to_images(x))


def test_labels_unseen_in_fit_are_refused(tmp_path):
    x, _ = audio_batch()
    gan = tiny().fit(x, torch.tensor([0, 2, 0, 2]))
    with pytest.raises(ValueError, match=r"\[1\] that fit never saw"):
        gan.generate(torch.tensor([1]))
    gan.save(tmp_path / "gan")
    with pytest.raises(ValueError, match="never saw"):
        SpectrogramGAN.load(tmp_path / "gan").augment(x, torch.tensor([0, 1, 2, 0]))


@pytest.mark.parametrize("param, value", [("steps", 0), ("batch_size", 0), ("diffaugment", ["warp"]),
                                          ("ema_decay", 1.0), ("mix", 2.0),
                                          # hop = n_fft fitted, then every generate failed in istft
                                          ("hop", 256), ("n_fft", 256.0), ("hop", 128.0), ("n_mels", 16.0),
                                          ("griffin_lim_iters", 4.5), ("n_fft", None)])
def test_bad_settings_are_named(param, value):
    x, y = audio_batch()
    with pytest.raises(ValueError, match=param):
        tiny(**{param: value}).fit(x, y)


@pytest.mark.parametrize("name", ["resume", "progress"])
def test_resume_and_progress_must_be_bools(tmp_path, name):
    x, y = audio_batch()
    with pytest.raises(TypeError, match=f"{name} must be True or False, got 'False'"):
        tiny(checkpoint_dir=str(tmp_path), **{name: "False"}).fit(x, y)


def test_data_that_requires_grad_fits_and_is_left_as_it_was():
    # the discriminator's loss was backpropagated into x's graph: the second step failed
    x, y = audio_batch()
    x = x.clone().requires_grad_()
    gan = tiny().fit(x, y)
    assert x.grad is None and not gan.mel_mean_.requires_grad


def test_log_mel_takes_float64_clips():
    x, _ = audio_batch()
    mel = MelImage(sample_rate=SR, n_fft=256, hop=128, n_mels=16)
    assert torch.allclose(mel.log_mel(x.double()).float(), mel.log_mel(x), atol=1e-4)
