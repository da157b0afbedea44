"""Contract cases for the audio augmenters (tiny clips: 4 x 4000 samples at 16 kHz)."""
from aad.audio import AddNoise, Gain, PitchShift, SpecAugment, Speed, TimeShift, TimeStretch
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
