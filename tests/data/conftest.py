import pytest

from aad.data import speech


@pytest.fixture(scope="session")
def tiny_digits_dir(tmp_path_factory):
    """A 3-speaker x 10-word x 2-take spoken-digits cache, generated once per test session."""
    root = tmp_path_factory.mktemp("aad-cache")
    speech.load_spoken_digits(cache_dir=root, speakers=3, takes=2)
    return root


@pytest.fixture(scope="session")
def tiny_digits(tiny_digits_dir):
    return speech.load_spoken_digits(cache_dir=tiny_digits_dir, speakers=3, takes=2)
