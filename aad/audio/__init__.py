"""Speech augmentation: batched waveform kernels (``functional``), transforms, a spectrogram GAN."""
from aad.audio import functional
from aad.audio.gan import SpectrogramGAN
from aad.audio.transforms import AddNoise, Gain, PitchShift, SpecAugment, Speed, TimeShift, TimeStretch

__all__ = ["AddNoise", "Gain", "PitchShift", "SpecAugment", "SpectrogramGAN", "Speed", "TimeShift", "TimeStretch", "functional"]
