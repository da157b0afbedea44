"""The learned augmenters and downstream models on a CUDA device: fit, generate, augment, save, load.

Skipped where no GPU is present (CI); run on one with ``python3 -m pytest -q tests/test_cuda.py``.
"""
import pytest
import torch

from aad.audio import SpectrogramGAN
from aad.base import Augmenter
from aad.eval.models import AudioCNN, ImageCNN
from aad.image import ConditionalGAN, RandomAffine
from tests.audio.test_gan import TINY as TINY_AUDIO_GAN
from tests.cases import audio_batch, image_batch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def tiny_image_gan(**kw):
    return ConditionalGAN(**{"z_dim": 8, "g_width": 4, "d_width": 4, "steps": 3, "batch_size": 6,
                             "progress": False, "seed": 0, "device": "cuda", **kw})


def test_image_gan_fits_generates_and_augments_on_cuda(tmp_path):
    x, y = image_batch()
    gan = tiny_image_gan(quality_threshold=0.5, checkpoint_dir=str(tmp_path / "ckpt")).fit(x, y)
    assert next(gan.generator_.parameters()).device.type == "cuda"
    out = gan.generate(y, rng=0)
    assert out.shape == x.shape and torch.isfinite(out).all()
    mixed = gan.augment(x.cuda(), y.cuda(), rng=0)
    assert mixed.device.type == "cuda" and mixed.shape == x.shape
    assert x.device.type == "cpu"  # the caller's tensor is not moved


def test_image_gan_resumes_on_cuda_and_loads_onto_the_cpu(tmp_path):
    x, y = image_batch()
    tiny_image_gan(steps=2, checkpoint_dir=str(tmp_path / "ckpt")).fit(x, y)
    gan = tiny_image_gan(steps=4, checkpoint_dir=str(tmp_path / "ckpt")).fit(x, y)
    assert gan.steps_done_ == 4
    gan.save(tmp_path / "gan")
    on_cpu = Augmenter.load(tmp_path / "gan", device="cpu")
    on_gpu = Augmenter.load(tmp_path / "gan")
    assert torch.allclose(on_cpu.generate(y, rng=3), on_gpu.generate(y, rng=3).cpu(), atol=1e-4)


def test_spectrogram_gan_on_cuda(tmp_path):
    x, y = audio_batch()
    gan = SpectrogramGAN(**{**TINY_AUDIO_GAN, "device": "cuda"}).fit(x, y)
    out = gan.generate(torch.tensor([0, 1, 2]), rng=0)
    assert out.shape == (3, x.shape[1]) and torch.isfinite(out).all()
    gan.save(tmp_path / "sgan")
    loaded = Augmenter.load(tmp_path / "sgan", device="cpu")
    assert loaded.generate(torch.tensor([0]), rng=0).device.type == "cpu"


def test_transforms_keep_cuda_tensors_on_cuda():
    x, _ = image_batch()
    out = RandomAffine(degrees=(-20, 20), seed=0)(x.cuda())
    assert out.device.type == "cuda" and out.shape == x.shape


@pytest.mark.parametrize("make, batch", [(lambda: ImageCNN(steps=5, device="cuda"), image_batch),
                                         (lambda: AudioCNN(sample_rate=16000, steps=5, device="cuda"), audio_batch)])
def test_downstream_models_train_and_predict_on_cuda(make, batch):
    x, y = batch()
    model = make().fit(x, y, num_classes=3, seed=0)
    assert next(model.net_.parameters()).device.type == "cuda"
    assert model.predict(x).shape == (len(x),)


def test_one_of_takes_weights_on_cuda():
    from aad import OneOf
    x, _ = image_batch()
    one_of = OneOf([RandomAffine(degrees=10), RandomAffine(degrees=20)], weights=torch.tensor([1.0, 0.0]).cuda())
    out = one_of.augment(x.cuda(), rng=0)
    assert out.device.type == "cuda" and out.shape == x.shape


def test_evaluate_fits_a_gan_arm_and_scores_it_on_cuda():
    from aad.eval import evaluate
    from aad.eval.presets import Arm, on_device
    from tests.eval.helpers import image_dataset

    arm = on_device(Arm([RandomAffine(degrees=10), tiny_image_gan(device="cpu")]), "cuda")
    assert arm.parts[1].device == "cuda"
    report = evaluate(image_dataset(size=12), {"gan+affine": arm}, shots=[3], seeds=[0], factor=2, steps=5,
                      device="cuda", progress=False)
    rows = {r["augmenter"]: r for r in report.rows}
    assert not any("error" in r for r in rows.values()), [r.get("error") for r in rows.values()]
    # factor 2 for each of the subset's 9 images, from each of the two parts
    assert rows["gan+affine"]["n_new"] == 2 * 9 * 2 and 0 <= rows["gan+affine"]["accuracy"] <= 1


def test_a_seeded_gan_fit_repeats_on_cuda():
    x, y = image_batch()
    first, second = (tiny_image_gan(steps=6).fit(x, y).generate(y, rng=1) for _ in range(2))
    assert torch.equal(first, second)


def test_masked_lm_fits_augments_and_reloads_on_cuda(tmp_path):
    from tests.text.test_masked_lm import TEXTS, make

    augmenter = make(tmp_path, fit_steps=2, seed=0, device="cuda").fit(TEXTS, torch.tensor([0, 1, 0, 1]))
    assert next(augmenter.model_.parameters()).device.type == "cuda"
    out = augmenter.augment(TEXTS, torch.tensor([0, 1, 0, 1]), rng=0)
    assert len(out) == len(TEXTS) and out != TEXTS
    augmenter.save(tmp_path / "mlm")
    on_cpu = Augmenter.load(tmp_path / "mlm", device="cpu")
    assert len(on_cpu.augment(TEXTS, torch.tensor([0, 1, 0, 1]), rng=0)) == len(TEXTS)


def test_evaluate_runs_a_spectrogram_gan_arm_on_cuda():
    from aad.audio import SpecAugment
    from aad.eval import evaluate
    from aad.eval.presets import Arm
    from tests.eval.helpers import audio_dataset

    gan = SpectrogramGAN(**{**TINY_AUDIO_GAN, "device": "cuda"})
    clips = audio_dataset(t=4000, sample_rate=16000)   # the tiny GAN's 0.25 s at 16 kHz
    report = evaluate(clips, {"gan+specaugment": Arm([SpecAugment(), gan])}, shots=[3], seeds=[0], factor=1,
                      steps=3, device="cuda", progress=False)
    assert not any("error" in r for r in report.rows), [r.get("error") for r in report.rows]


def test_functional_helpers_take_cpu_parameters_for_cuda_clips():
    from aad.audio import functional as AF
    from aad.eval.generative import inception_score
    x, _ = audio_batch()
    frames = AF.spec_augment_frames(x.shape[1])
    no_spans = torch.zeros(len(x), 1, 2, dtype=torch.long)
    warp = torch.tensor([[frames / 2, 1.0]] * len(x))
    out = AF.spec_augment(x.cuda(), no_spans, no_spans, warp=warp)
    assert out.device.type == "cuda" and torch.allclose(out.cpu(), AF.spec_augment(x, no_spans, no_spans, warp=warp),
                                                        atol=1e-4)
    assert AF.add_noise(x.cuda(), 10.0, torch.randn_like(x)).device.type == "cuda"
    assert inception_score(torch.full((4, 2), 0.5).cuda()) == pytest.approx(1.0)


def test_set_params_device_moves_a_fitted_gan_to_cuda():
    x, y = image_batch()
    gan = tiny_image_gan(device="cpu").fit(x, y)
    assert gan.set_params(device="cuda").generate(y, rng=0).device.type == "cuda"
