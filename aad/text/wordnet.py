"""Synonyms from a WordNet 3.0 database folder (Debian's ``wordnet-base``), read directly.

No NLTK data is needed: the index files give each lemma's senses (most frequent first) and their
byte offsets in the data files, which are read with a seek when a word is first looked up.
Without a POS tagger, a word's part of speech is guessed as the one with the most tagged senses.
An inflected word ("cars", "went") is looked up by its lemma, found as WordNet's morphy does (the
``*.exc`` exception lists, then suffix rules), and its synonyms are inflected back ("autos",
"traveled"; comparatives as "more X"); a synonym whose inflection is unclear is left out.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from aad.checks import check_path

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# Morphy's suffix rules (WordNet's morph.c, as NLTK applies them): (inflected ending, lemma ending).
SUFFIX_RULES = {
    "n": (("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
          ("shes", "sh"), ("men", "man"), ("ies", "y")),
    "v": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"),
          ("ing", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}
_CONSONANT_Y = re.compile(r"[^aeiou]y$")
_SHORT_CVC = re.compile(r"(?:^|-)[^aeiou-]*[aeiou][^aeiouwxy-]$", re.IGNORECASE)   # "hop", "hop-skip"
_CONSONANT_O = re.compile(r"[^aeiou]o$")
# Verbs whose past is the verb itself: verb.exc leaves out forms equal to their lemma ("cutted").
UNCHANGED_PAST = frozenset(["bet", "bid", "broadcast", "burst", "cast", "cost", "cut", "forecast", "hit", "hurt",
                            "let", "put", "quit", "rid", "set", "shed", "shut", "slit", "split", "spread",
                            "thrust", "upset", "wet"])
# Plurals no rule gets right ("women" but "humans"; noun.exc lists "men" and the "-oes" ones) and
# abbreviations ("ft"): a synonym that would need one is left out.
_UNCLEAR_PLURAL = re.compile(r"man$", re.IGNORECASE)
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
DEFAULT_DIRS = ("/usr/share/wordnet",)
INSTALL_HINT = ("WordNet 3.0 was not found. Install Debian's WordNet database "
                "(`apt-get install wordnet-base`, files in /usr/share/wordnet), or point the "
                "WORDNET_DIR environment variable (or the wordnet_dir argument) at a folder holding "
                "index.noun, data.noun, ... files.")


def find_wordnet(wordnet_dir: str | None = None) -> Path:
    """The WordNet database folder: ``wordnet_dir``, else $WORDNET_DIR, else /usr/share/wordnet."""
    if wordnet_dir is not None and wordnet_dir != "":   # "" means the default, as None does
        check_path(wordnet_dir, "wordnet_dir")
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
        # Irregular forms both ways: (pos, "went") -> ["go"] and (pos, "go") -> ["went", "gone"].
        self._lemmas_of: dict[tuple[str, str], list[str]] = {}
        self._forms_of: dict[tuple[str, str], list[str]] = {}
        for pos, name in POS_FILES.items():
            exceptions = folder / f"{name}.exc"
            for line in exceptions.read_text(encoding="utf-8").splitlines() if exceptions.is_file() else []:
                form, *lemmas = line.split()
                self._lemmas_of.setdefault((pos, form), []).extend(lemmas)
                for lemma in lemmas:
                    self._forms_of.setdefault((pos, lemma), []).append(form)

    def _entries(self, lemma: str) -> list[tuple[int, str, list[int]]]:
        """(tagged senses, part of speech, most frequent synset offsets) for each POS of ``lemma``."""
        entries = []
        for pos, line in self._lines.get(lemma, ()):
            parts = line.split()
            n_synsets, n_ptrs = int(parts[2]), int(parts[3])
            offsets = [int(o) for o in parts[6 + n_ptrs:6 + n_ptrs + n_synsets]]
            entries.append((int(parts[5 + n_ptrs]), pos, offsets[:self.senses]))
        return entries

    def _senses(self, lemma: str, only_pos: str | None = None) -> tuple[str, list[int]]:
        """The dominant part of speech (most tagged senses, or ``only_pos``) and its synset offsets."""
        _, pos, offsets = max(e for e in self._entries(lemma) if only_pos in (None, e[1]))
        return pos, offsets

    def synonyms(self, word: str) -> list[str]:
        """Single- or multi-word synonyms of ``word`` (WordNet's own case, spaces for underscores),
        best first. An inflected word gets its lemma's synonyms inflected the same way, also when
        the form is a lemma of its own without synonyms ("loved", an adjective)."""
        key = word.lower().replace(" ", "_")
        found = self._synonyms_of(*self._senses(key), key) if key in self._lines else []
        found = found or self._inflected_synonyms(key)
        # a word's own other form is no synonym ("eggs" -> "egg", "running" -> "run")
        own = {key, self._base(key)}
        return [s for s in found if s.lower() not in own and self._base(s.lower()) not in own]

    def _base(self, word: str) -> str:
        """The lemma of an inflected ``word``, else ``word``."""
        found = self._lemma(word)
        return word if found is None else found[1]

    def _inflected_synonyms(self, form: str) -> list[str]:
        lemma = self._lemma(form)
        if lemma is None:
            return []
        pos, base = lemma
        inflected = (self._inflect(synonym, pos, form)
                     for synonym in self._synonyms_of(*self._senses(base, pos), base))
        return [synonym for synonym in dict.fromkeys(inflected) if synonym and synonym.lower() != form]

    def _synonyms_of(self, pos: str, offsets: list[int], lemma: str) -> list[str]:
        seen, found = {lemma}, []
        for offset in offsets:
            for synonym in self._synset_words(pos, offset):
                if synonym.lower() not in seen:
                    seen.add(synonym.lower())
                    found.append(synonym.replace("_", " "))
        return found

    def _lemma(self, form: str) -> tuple[str, str] | None:
        """(pos, lemma) of an inflected ``form`` as morphy finds it (exception lists, then suffix
        rules); of several, the one with most tagged senses."""
        candidates = []
        for pos, rules in SUFFIX_RULES.items():
            lemmas = self._lemmas_of.get((pos, form), []) + [
                form[:-len(end)] + base for end, base in rules if form.endswith(end) and len(form) > len(end)]
            candidates += [(pos, lemma) for lemma in lemmas if self._has(lemma, pos)]
        if not candidates:
            return None
        tagged = {(pos, lemma): n for lemma in {c[1] for c in candidates} for n, pos, _ in self._entries(lemma)}
        return max(candidates, key=tagged.get)

    def _has(self, lemma: str, pos: str) -> bool:
        return any(p == pos for p, _ in self._lines.get(lemma, ()))

    def _inflect(self, synonym: str, pos: str, form: str) -> str | None:
        """``synonym`` inflected as ``form`` is: plural nouns (last word), verbs (first word),
        "more"/"most" for comparatives; None when the right form is unclear (went: ran or run?)."""
        words = synonym.split(" ")
        if pos in "ar":
            return ("most " if form.endswith("st") else "more ") + synonym
        if pos == "n" and any(w[:1].isupper() for w in words):   # a name: "Canis familiaris" has no plural
            return None
        at = -1 if pos == "n" else 0
        ending = "s" if pos == "n" or not form.endswith(("ing", "ed")) and form.endswith("s") else \
            "ing" if form.endswith("ing") else "ed"
        new = self._inflect_word(words[at], pos, ending)
        if new is None:
            return None
        words[at] = new
        return " ".join(words)

    def _inflect_word(self, word: str, pos: str, ending: str) -> str | None:
        irregular = [f for f in self._forms_of.get((pos, word.lower()), []) if ending_of(f, pos) == ending]
        if len(set(irregular)) > 1:
            return None
        if irregular:
            return irregular[0]
        if pos == "v" and ending == "ed" and word.lower() in UNCHANGED_PAST:
            return word
        if not _VOWEL.search(word) or pos == "n" and _UNCLEAR_PLURAL.search(word):
            return None
        return add_ending(word, ending, noun=pos == "n")

    @lru_cache(maxsize=65536)  # noqa: B019 (readers live for the process: see _load)
    def _synset_words(self, pos: str, offset: int) -> tuple[str, ...]:
        with open(self.folder / f"data.{POS_FILES[pos]}", "rb") as f:
            f.seek(offset)
            parts = f.readline().decode("utf-8").split()
        n_words = int(parts[3], 16)
        # Adjective lemmas may carry a syntactic marker such as "(a)" or "(ip)".
        return tuple(re.sub(r"\(\w+\)$", "", parts[4 + 2 * i]) for i in range(n_words))


def ending_of(form: str, pos: str = "v") -> str:
    """The inflection an irregular form shows: "ing", "s" (plural, 3rd person) or "ed" (past). Every
    irregular noun form is a plural ("children", "feet")."""
    if pos == "n":
        return "s"
    if form.endswith("ing"):
        return "ing"
    return "s" if form.endswith("s") and not form.endswith("ss") else "ed"


def add_ending(word: str, ending: str, noun: bool = False) -> str:
    """``word`` with a regular English "s", "ed" or "ing" ending ("church" -> "churches"); a verb in
    consonant + o takes "es" ("goes"), a noun "s" ("autos": noun.exc lists "heroes" and the like)."""
    if ending == "s":
        if word.endswith(("s", "x", "z", "ch", "sh")) or not noun and _CONSONANT_O.search(word):
            return word + "es"
        return word[:-1] + "ies" if _CONSONANT_Y.search(word) else word + "s"
    if _SHORT_CVC.search(word):   # one syllable ending consonant-vowel-consonant: "hap" -> "happed"
        word += word[-1]           # (longer ones that double, "occurred", are in WordNet's verb.exc)
    elif word.endswith("ic"):      # "panic" -> "panicked"
        word += "k"
    if ending == "ed":
        if word.endswith("e"):
            return word + "d"
        return word[:-1] + "ied" if _CONSONANT_Y.search(word) else word + "ed"
    if word.endswith("ie"):
        return word[:-2] + "ying"
    return word[:-1] + "ing" if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) else word + "ing"


@lru_cache(maxsize=4)
def _load(folder: str) -> WordNet:
    return WordNet(Path(folder))


def wordnet(wordnet_dir: str | None = None) -> WordNet:
    """The shared WordNet reader for ``wordnet_dir`` (found as :func:`find_wordnet` says)."""
    return _load(str(find_wordnet(wordnet_dir)))
