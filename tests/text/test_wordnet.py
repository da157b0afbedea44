from pathlib import Path

import pytest

from aad.text.wordnet import wordnet

pytestmark = pytest.mark.skipif(not Path("/usr/share/wordnet/index.noun").is_file(),
                                reason="Debian wordnet-base not installed")


def test_synonyms_of_common_words():
    wn = wordnet()
    assert "film" in wn.synonyms("movie")
    assert "automobile" in wn.synonyms("Car")
    assert "car" not in wn.synonyms("car")
    assert wn.synonyms("the") == [] and wn.synonyms("qwzx") == []
