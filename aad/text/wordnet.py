"""Synonyms from a WordNet 3.0 database folder (Debian's ``wordnet-base``), read directly.

No NLTK data is needed: the index files give each lemma's senses (most frequent first) and their
byte offsets in the data files, which are read with a seek when a word is first looked up.
Without a POS tagger, a word's part of speech is guessed as the one with the most tagged senses.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
DEFAULT_DIRS = ("/usr/share/wordnet",)
INSTALL_HINT = ("WordNet 3.0 was not found. Install Debian's WordNet database "
                "(`apt-get install wordnet-base`, files in /usr/share/wordnet), or point the "
                "WORDNET_DIR environment variable (or the wordnet_dir argument) at a folder holding "
                "index.noun, data.noun, ... files.")


def find_wordnet(wordnet_dir: str | None = None) -> Path:
    """The WordNet database folder: ``wordnet_dir``, else $WORDNET_DIR, else /usr/share/wordnet."""
    candidates = [wordnet_dir] if wordnet_dir else [os.environ.get("WORDNET_DIR"), *DEFAULT_DIRS]
    for folder in filter(None, candidates):
        if (Path(folder) / "index.noun").is_file() and (Path(folder) / "data.noun").is_file():
            return Path(folder)
    raise FileNotFoundError(INSTALL_HINT + (f" (looked in {wordnet_dir!r})" if wordnet_dir else ""))


class WordNet:
    """Lemma -> synonyms lookup over one WordNet folder (load once with :func:`wordnet`)."""

    def __init__(self, folder: Path, senses: int = 3):
        self.folder = folder
        self.senses = senses  # how many of the most frequent senses give synonyms
        # lemma -> its index lines, one per part of speech; parsed only when looked up.
        self._lines: dict[str, list[tuple[str, str]]] = {}
        for pos, name in POS_FILES.items():
            with open(folder / f"index.{name}", encoding="utf-8") as f:
                for line in f:
                    if not line.startswith(" "):  # lines starting with a space are the license
                        self._lines.setdefault(line[:line.index(" ")], []).append((pos, line))

    def _senses(self, lemma: str) -> tuple[str, list[int]]:
        """The dominant part of speech (most tagged senses) and its most frequent synset offsets."""
        best = (-1, "", [])
        for pos, line in self._lines[lemma]:
            parts = line.split()
            n_synsets, n_ptrs = int(parts[2]), int(parts[3])
            tagged = int(parts[5 + n_ptrs])
            if tagged > best[0]:
                offsets = [int(o) for o in parts[6 + n_ptrs:6 + n_ptrs + n_synsets]]
                best = (tagged, pos, offsets[:self.senses])
        return best[1], best[2]

    def synonyms(self, word: str) -> list[str]:
        """Single- or multi-word synonyms of ``word`` (lowercase, spaces for underscores), best first."""
        key = word.lower().replace(" ", "_")
        if key not in self._lines:
            return []
        pos, offsets = self._senses(key)
        found: list[str] = []
        for offset in offsets:
            for lemma in self._synset_words(pos, offset):
                text = lemma.replace("_", " ")
                if lemma.lower() != key and text.lower() not in found:
                    found.append(text.lower())
        return found

    @lru_cache(maxsize=65536)  # noqa: B019 (readers live for the process: see _load)
    def _synset_words(self, pos: str, offset: int) -> tuple[str, ...]:
        with open(self.folder / f"data.{POS_FILES[pos]}", "rb") as f:
            f.seek(offset)
            parts = f.readline().decode("utf-8").split()
        n_words = int(parts[3], 16)
        # Adjective lemmas may carry a syntactic marker such as "(a)" or "(ip)".
        return tuple(re.sub(r"\(\w+\)$", "", parts[4 + 2 * i]) for i in range(n_words))


@lru_cache(maxsize=4)
def _load(folder: str) -> WordNet:
    return WordNet(Path(folder))


def wordnet(wordnet_dir: str | None = None) -> WordNet:
    """The shared WordNet reader for ``wordnet_dir`` (found as :func:`find_wordnet` says)."""
    return _load(str(find_wordnet(wordnet_dir)))
