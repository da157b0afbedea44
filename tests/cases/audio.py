"""Contract cases for the audio augmenters (tiny clips: 4 x 4000 samples at 16 kHz)."""
from aad.audio import AddNoise, Gain, PitchShift, SpecAugment, SpectrogramGAN, Speed, TimeShift, TimeStretch
from tests.cases import Case, audio_batch

CASES = [
    Case("TimeStretch", lambda seed: TimeStretch(0.8, 1.25, seed=seed), audio_batch),
    Case("Speed", lambda seed: Speed(0.9, 1.1, seed=seed), audio_batch),
    Case("PitchShift", lambda seed: PitchShift(-2, 2, seed=seed), audio_batch),
    Case("SpecAugment", lambda seed: SpecAugment(time_warp=0.05, seed=seed), audio_batch),
    Case("Gain", lambda seed: Gain(-6, 6, seed=seed), audio_batch),
    Case("AddNoise", lambda seed: AddNoise(10, 30, seed=seed), audio_batch),
    Case("TimeShift", lambda seed: TimeShift(0.2, seed=seed), audio_batch),
]


def tiny_gan(seed):
    return SpectrogramGAN(clip_seconds=0.25, n_mels=16, n_fft=256, hop=128, griffin_lim_iters=4, z_dim=8,
                          g_width=8, d_width=8, steps=3, batch_size=4, progress=False, seed=seed)


CASES.append(Case("SpectrogramGAN", tiny_gan, audio_batch, tolerance=1e-4))
