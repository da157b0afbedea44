"""Synthesize single words with eSpeak NG through its C library (ctypes): the copy shipped by the pip
package ``espeakng-loader`` ("library"), or Debian's ``libespeak-ng1`` ("system"); the Debian
``espeak-ng`` binary ("binary") is the last resort.

Why each batch runs in a fresh interpreter: eSpeak NG seeds its noise generator (breathy voices) from
the clock at start-up and keeps hidden state between utterances (a pitch-flutter phase), so the same
call gives different audio depending on the time and on what ran before. Each batch of words is
therefore said by a fresh ``python -I espeak.py`` (only NumPy imported), in a fixed order, with the
noise generator re-seeded before every word. The binary offers no seed, so breathy voices differ
from run to run there.
"""
from __future__ import annotations

import ctypes
import importlib.util
import io
import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_RATE, ESPEAK_PITCH = 1, 3
RAND_SEED = 12345


@dataclass(frozen=True)
class Utterance:
    """One word to say: ``voice`` like ``"en-us+f3"``, ``rate`` in words/minute, ``pitch`` in 0..99."""

    word: str
    voice: str
    rate: int
    pitch: int


SYSTEM_LIBRARY_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")


def library_paths(engine: str = "library") -> tuple[Path, Path] | None:
    """(libespeak-ng.so, espeak-ng-data) of the pip package (found without importing it) or of Debian."""
    if engine == "library":
        spec = importlib.util.find_spec("espeakng_loader")
        if spec is None or not spec.submodule_search_locations:
            return None
        root = Path(next(iter(spec.submodule_search_locations)))
        candidates = [(root / "libespeak-ng.so", root / "espeak-ng-data")]
    else:
        candidates = [(Path(d) / "libespeak-ng.so.1", Path(d) / "espeak-ng-data") for d in SYSTEM_LIBRARY_DIRS]
    for lib, data in candidates:
        if lib.is_file() and data.is_dir():
            return lib, data
    return None


def binary_path() -> str | None:
    return shutil.which("espeak-ng")


def available_engine() -> str | None:
    """The first installed of ``"library"``, ``"system"``, ``"binary"``; None when none is."""
    for engine in ("library", "system"):
        if library_paths(engine) is not None:
            return engine
    return "binary" if binary_path() is not None else None


def synthesize_batches(batches: list[list[Utterance]], engine: str, workers: int = 2
                       ) -> tuple[list[list[np.ndarray]], int, str]:
    """Say every batch of utterances; returns (int16 clips per batch, sample rate in Hz, engine version).

    With a library, each batch runs in its own fresh process, so a batch's audio does not depend on
    which other batches were asked for.
    """
    if engine in ("library", "system"):
        paths = library_paths(engine)
        if paths is None:
            raise RuntimeError(f"eSpeak NG engine {engine!r} is not installed")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda b: _library_batch_in_fresh_process(b, *paths), batches))
        sample_rate, version = results[0][1], results[0][2]
        return [clips for clips, _, _ in results], sample_rate, f"espeak-ng {engine} {version}"
    if engine == "binary":
        clips = [[_binary_say(u)[0] for u in batch] for batch in batches]
        sample_rate = _binary_say(batches[0][0])[1]
        return clips, sample_rate, f"espeak-ng binary {_binary_version()}"
    raise ValueError(f"engine must be 'library', 'system' or 'binary', got {engine!r}")


# ---- library route (runs inside a fresh interpreter) -------------------------------------------------
def _library_batch_in_fresh_process(batch: list[Utterance], lib_path: Path, data_path: Path
                                    ) -> tuple[list[np.ndarray], int, str]:
    """Run ``_library_batch`` in ``python -I espeak.py``: JSON request in; a JSON line, then int16 out."""
    request = json.dumps({"lib": str(lib_path), "data": str(data_path),
                          "utterances": [asdict(u) for u in batch]}).encode()
    done = subprocess.run([sys.executable, "-I", __file__], input=request, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"eSpeak NG worker failed: {done.stderr.decode(errors='replace')[-2000:]}")
    header, _, payload = done.stdout.partition(b"\n")
    meta = json.loads(header)
    audio = np.frombuffer(payload, dtype=np.int16)
    clips = np.split(audio, np.cumsum(meta["lengths"])[:-1])
    return [c.copy() for c in clips], meta["sample_rate"], meta["version"]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


def _library_batch(batch: list[Utterance], lib_path: str, data_path: str) -> tuple[list[np.ndarray], int, str]:
    lib = ctypes.CDLL(lib_path)
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                 ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data_path).encode(), 0)
    if sample_rate <= 0:
        raise RuntimeError(f"espeak_Initialize failed with data path {data_path}")
    chunks: list[np.ndarray] = []

    def collect(wav, n, _events):
        if n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    libc = ctypes.CDLL(None)  # older libespeak-ng (1.51) draws its noise from libc's rand()
    set_seed = getattr(lib, "espeak_ng_SetRandSeed", None)  # 1.52+: its own generator
    callback = _CALLBACK(collect)  # kept alive in this frame while synthesizing
    lib.espeak_SetSynthCallback(callback)
    clips = []
    for u in batch:
        if lib.espeak_SetVoiceByName(u.voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {u.voice!r}")
        lib.espeak_SetParameter(ESPEAK_RATE, u.rate, 0)
        lib.espeak_SetParameter(ESPEAK_PITCH, u.pitch, 0)
        chunks.clear()
        libc.srand(RAND_SEED)
        if set_seed is not None:
            set_seed(ctypes.c_long(RAND_SEED))
        text = u.word.encode() + b"\0"
        if lib.espeak_Synth(text, len(text), 0, POS_CHARACTER, 0, 0, None, None) != 0:
            raise RuntimeError(f"espeak_Synth failed for {u}")
        lib.espeak_Synchronize()
        clips.append(np.concatenate(chunks) if chunks else np.zeros(0, np.int16))
    version = lib.espeak_Info(None).decode()
    lib.espeak_Terminate()
    return clips, sample_rate, version


# ---- binary route ------------------------------------------------------------------------------------
def _binary_say(u: Utterance) -> tuple[np.ndarray, int]:
    import soundfile

    cmd = [binary_path(), "-v", u.voice, "-s", str(u.rate), "-p", str(u.pitch), "--stdout", u.word]
    wav = subprocess.run(cmd, check=True, capture_output=True).stdout
    audio, sample_rate = soundfile.read(io.BytesIO(wav), dtype="int16")
    return audio, sample_rate


def _binary_version() -> str:
    out = subprocess.run([binary_path(), "--version"], check=True, capture_output=True, text=True).stdout
    return out.split("\n")[0].strip()


def _serve_one_batch() -> None:
    request = json.loads(sys.stdin.buffer.read())
    batch = [Utterance(**u) for u in request["utterances"]]
    clips, sample_rate, version = _library_batch(batch, request["lib"], request["data"])
    meta = {"sample_rate": sample_rate, "version": version, "lengths": [len(c) for c in clips]}
    sys.stdout.buffer.write(json.dumps(meta).encode() + b"\n")
    for clip in clips:
        sys.stdout.buffer.write(clip.astype("<i2").tobytes())


if __name__ == "__main__":
    _serve_one_batch()
