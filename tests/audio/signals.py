"""Test signals and measurements shared by the audio tests."""
import numpy as np
import torch

SR = 16000


def tone(freq=440.0, seconds=1.0, n=1, sr=SR, amplitude=0.5):
    t = torch.arange(int(seconds * sr)) / sr
    return (amplitude * torch.sin(2 * torch.pi * freq * t)).repeat(n, 1).float()


def dominant_frequency(clip, sr=SR) -> float:
    """Peak of a zero-padded, Hann-windowed spectrum (resolution sr / (8 len))."""
    clip = np.asarray(clip, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(len(clip)), 8 * len(clip)))
    return float(spectrum.argmax() * sr / (8 * len(clip)))


def active_length(clip, threshold=1e-3) -> int:
    """Samples up to the last one above ``threshold``."""
    above = np.nonzero(np.abs(np.asarray(clip)) > threshold)[0]
    return int(above[-1]) + 1 if len(above) else 0
