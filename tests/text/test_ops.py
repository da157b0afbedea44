"""Word ops: what they change, what they keep (spacing, punctuation, casing), and bad input."""
import re
import time
import unicodedata
from pathlib import Path

import pytest
import torch

from aad.data import load
from aad.text import RandomDelete, RandomInsert, RandomSwap, SynonymReplace
from aad.text import functional as F
from aad.text.wordnet import find_wordnet, wordnet
from aad.text.words import STOPWORDS, WORD, is_stopword, word_spans

TEXT = "The Movie was  really good,\tand the actors were GREAT !"
ODD = ["", "   ", "word", "🙂 🙂", "naïve café über"]


def g(seed=0):
    return torch.Generator().manual_seed(seed)


def whitespace(text):
    return re.findall(r"\s+", text)


def test_swap_keeps_words_and_spacing():
    out = F.random_swap(TEXT, 0.3, g())
    assert out != TEXT
    assert sorted(out.split()) == sorted(TEXT.split())
    assert whitespace(out) == whitespace(TEXT)


def test_swap_moves_every_chosen_word():
    assert all(F.random_swap("great movie", 1.0, g(seed)) == "movie great" for seed in range(20))
    outs = [F.random_swap("the movie was great", 0.5, g(seed)) for seed in range(50)]
    assert "the movie was great" not in outs   # later swaps used to undo earlier ones
    assert F.random_swap(TEXT, 0.5, g(3)) == F.random_swap(TEXT, 0.5, g(3))


def test_delete_removes_words_but_never_all():
    out = F.random_delete(TEXT, 0.5, g())
    assert 0 < len(out.split()) < len(TEXT.split())
    assert all(word in TEXT.split() for word in out.split())
    assert len(F.random_delete("a b c", 1.0, g()).split()) == 1


def test_delete_keeps_line_and_paragraph_breaks():
    # a deleted word took the separator after it: "Title line\n\nFirst" lost its paragraph break
    text = "Title line\n\nFirst para here.\nSecond line"
    checked = 0
    for seed in range(40):
        out = F.random_delete(text, 0.4, torch.Generator().manual_seed(seed))
        words = out.split()
        if words[:2] == ["Title", "First"]:
            assert out.startswith("Title\n\nFirst"), out
            checked += 1
    assert checked >= 2
    assert F.random_delete("one two  three", 0.0, g()) == "one two  three"


def test_insert_adds_words_from_the_sentence():
    out = F.random_insert(TEXT, 0.3, g(), lambda word: [word])
    added = len(out.split()) - len(TEXT.split())
    assert added == round(0.3 * len(WORD.findall(TEXT)))
    assert set(out.split()) <= set(TEXT.split()) | {"good"}  # "good," is copied as the word "good"


def test_insert_copies_words_never_urls_handles_or_punctuation():
    text = "@united lost my bag, see http://t.co/x1 #fail !"
    picked = []
    for seed in range(20):
        F.random_insert(text, 1.0, g(seed), lambda word: picked.append(word) or [word])
    assert set(picked) == {"lost", "my", "bag", "see"}
    assert F.random_insert("@united http://t.co/x1 42 !", 1.0, g(), lambda word: [word]) == "@united http://t.co/x1 42 !"


@pytest.mark.parametrize("op", [RandomSwap(0.5), RandomDelete(0.5), RandomInsert(0.5, source="sentence"),
                                SynonymReplace(0.5)], ids=lambda op: type(op).__name__)
def test_odd_texts_do_not_crash_and_blank_ones_come_back(op):
    out = op.augment(ODD, rng=0)
    assert out[0] == "" and out[1] == "   "
    assert all(isinstance(t, str) for t in out)


def test_fraction_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match="fraction"):
        RandomSwap(1.5).augment(["a b"])
    with pytest.raises(ValueError, match="source"):
        RandomInsert(source="thesaurus").augment(["a b"])
    with pytest.raises(TypeError, match="skip_stopwords"):   # `--param skip_stopwords=False` is a string
        SynonymReplace(skip_stopwords="False").augment(["a b"])


def test_non_string_item_is_a_type_error():
    with pytest.raises(TypeError, match=r"x\[1\]"):
        RandomSwap().augment(["ok", None])


needs_wordnet = pytest.mark.skipif(not Path("/usr/share/wordnet/index.noun").is_file(),
                                   reason="Debian wordnet-base not installed")


@needs_wordnet
def test_synonym_replace_uses_wordnet_and_keeps_case_and_punctuation():
    out = SynonymReplace(1.0, seed=0).augment(["The Movie was GREAT !"])[0]
    words = out.split()
    assert words[0] == "The" and words[-1] == "!"
    assert out != "The Movie was GREAT !"
    assert words[1][0].isupper()


@pytest.mark.parametrize("fraction, count", [(0.3, 3), (0.5, 5), (0.04, 1), (1.0, 10)])
def test_synonym_replace_edits_the_fraction_of_candidate_words(fraction, count):
    text = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"
    out = F.synonym_replace(text, fraction, g(), lambda word: ["X"])
    assert out.split().count("X") == count   # round(fraction * 10), at least one


def test_urls_handles_and_hashtags_are_not_edited():
    text = "@united lost my bag again, see http://t.co/co2Movie #DeflateGate"
    kept = ["@united", "http://t.co/co2Movie", "#DeflateGate"]
    out = F.synonym_replace(text, 1.0, g(), lambda word: ["X"])  # every candidate word would change
    assert out.split()[0] == "@united" and all(token in out for token in kept)
    assert out.count("X") == 3  # lost, bag, see ("my" and "again" are stopwords)


def test_letters_glued_to_digits_are_not_words():
    text = "Meet at 5pm on the 4th, gate 2nd UA123 mp3 10km"
    assert [text[s:e] for s, e in word_spans(text)] == ["Meet", "at", "on", "the", "gate"]


@pytest.mark.parametrize("text, words", [
    ("Made in the U.S.A. today", ["Made", "in", "the", "today"]),          # was "Uracil.S.A." by WordNet
    ("see e.g. page 4 at 5 p.m.", ["see", "page", "at"]),
    ("an F-16 jet and COVID-19 cases", ["an", "jet", "and", "cases"]),
    ("the end.The start at news.net", ["the", "end", "The", "start", "at"]),  # a missing space, not a domain
])
def test_abbreviations_and_model_names_are_not_words(text, words):
    assert [text[s:e] for s, e in word_spans(text)] == words


def test_a_letter_alone_and_us_are_stopwords_an_ideograph_is_not():
    assert all(is_stopword(w) for w in ["B", "u", "C", "us", "Us"])
    assert not any(is_stopword(w) for w in ["我", "Bo", "bus"])
    assert F.synonym_replace("Plan B for us", 1.0, g(), lambda word: ["X"]) == "X B for us"


def test_modals_are_stopwords_wordnet_knows_them_only_as_nouns():
    assert all(is_stopword(w) for w in ["may", "Might", "must", "shall"])   # hawthorn, power, mustiness
    assert F.synonym_replace("You may go", 1.0, g(), lambda word: ["X"]) == "You may X"


def test_an_acronym_is_a_stopword_a_loud_word_is_not():
    assert all(is_stopword(w) for w in ["LAX", "JFK", "DM", "TV"])   # "LAX" was "SLACK" by WordNet
    assert not any(is_stopword(w) for w in ["Lax", "lax", "GREAT", "NEVER"])
    assert F.synonym_replace("Landed at LAX, GREAT crew", 1.0, g(), lambda word: ["X"]) == "X at LAX, X X"


@pytest.mark.parametrize("token", ["pic.twitter.com/AbC12", "bit.ly/2xYz", "news.net", "HTTP://T.CO/abc",
                                   "Https://Example.org/a?b=c", "john@company.net", "&amp;"])
def test_links_emails_and_entities_are_not_edited(token):
    text = f"see {token} today"
    assert F.synonym_replace(text, 1.0, g(), lambda word: ["X"]) == f"X {token} X"


def test_synonym_with_capitals_keeps_them():
    out = F.synonym_replace("I moved to america", 1.0, g(), lambda w: ["United States"] if w == "america" else [])
    assert out == "I moved to United States"
    assert F.synonym_replace("Big car", 1.0, g(), lambda word: ["large"]) == "Large large"


def test_stopwords_are_words():
    assert all(WORD.fullmatch(w) for w in STOPWORDS), "a stopword that is not a word can never match"
    assert not {"best", "word", "list"} & STOPWORDS


@needs_wordnet
def test_synonym_insert_adds_a_synonym():
    synonyms = wordnet().synonyms("movie") + wordnet().synonyms("car")
    for seed in range(5):
        words = RandomInsert(0.1, seed=seed).augment(["movie car"])[0].split()
        words.remove("movie")
        words.remove("car")
        assert " ".join(words) in synonyms   # one insert (of two words): a synonym of one of them


@needs_wordnet
def test_synonym_replace_picks_a_wordnet_synonym():
    for word in ("movie", "car", "happy"):
        for seed in range(3):
            assert SynonymReplace(1.0, seed=seed).augment([word])[0] in wordnet().synonyms(word)


@needs_wordnet
def test_synonym_insert_skips_stopwords():
    op = RandomInsert(seed=0)
    op._validate()
    assert op._options("Can") == [] and op._options("will") == []  # WordNet has synonyms for both
    assert op._options("movie")


@needs_wordnet
def test_synonym_insert_always_inserts_when_one_word_has_synonyms():
    text = "The quick brown fox jumps over the lazy dog."   # mostly stopwords or words without synonyms
    out = RandomInsert(0.1, seed=0).augment([text] * 50)
    assert all(len(o.split()) > len(text.split()) for o in out)   # a synonym may be two words
    assert RandomInsert(0.5, seed=0).augment(["the of and"]) == ["the of and"]   # nothing to insert


def test_missing_wordnet_says_what_to_install(tmp_path):
    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        find_wordnet(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="wordnet-base"):
        SynonymReplace(wordnet_dir=str(tmp_path)).augment(["a movie"])


def test_words_keep_their_combining_marks():
    decomposed = unicodedata.normalize("NFD", "the café is naïve")   # e + U+0301, i + U+0308
    assert WORD.findall(decomposed) == decomposed.split()
    assert WORD.findall("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]   # Devanagari vowel signs are marks
    assert RandomSwap(1.0, seed=0).augment([decomposed])[0].split() != decomposed.split()
    assert sorted(RandomSwap(1.0, seed=0).augment([decomposed])[0].split()) == sorted(decomposed.split())


# word_spans' and _split's former patterns, quadratic on long tokens and space runs: the reference for
# the spans on ordinary text
FORMER_OPAQUE = re.compile(r"""[a-z][a-z0-9+.-]*://\S+ | [\w.+-]+@[\w-]+(?:\.[\w-]+)+ | [@\#]\w+
                               | [\w-]+(?:\.[\w-]+)*\.(?-i:[a-z]{2,}|[A-Z]{2,})\b(?:/\S*)?
                               | (?<![\w.])(?:[^\W\d_]\.){2,} | (?<![\w-])[^\W\d_]+-\d\w* | &\#?\w+;""",
                           re.IGNORECASE | re.VERBOSE)
FORMER_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)


def former_word_spans(text):
    opaque = [m.span() for m in FORMER_OPAQUE.finditer(text)]
    return [m.span() for m in WORD.finditer(text) if not any(s <= m.start() < e for s, e in opaque)]


def test_word_spans_and_edges_are_as_before_on_tweets():
    tricky = ["@gulf_news.http://t.co/x ok", "wow ...http://bit.ly/a b", "@foo.bar@x.com hi", "a@b.cc+d@e.ff x",
              "@1x.org.x.org", "see x.com-y now", "  lead\t and trail \n", " ", ""]
    for text in load("tweets").x[::3] + tricky:
        assert word_spans(text) == former_word_spans(text), text
        lead, _, _, trail = F._split(text)
        assert (lead, trail) == FORMER_EDGES.match(text).group(1, 3), text


@pytest.mark.parametrize("text", ["a" * 80_000, "ab." * 28_000 + "1", "a1" * 40_000,
                                  "start" + " " * 160_000 + "end of text", "@bob hi " * 20_000,
                                  "ab-12-" * 40_000, "part-1-part-2-" * 16_000],
                         ids=["letters", "dotted", "letter-digit", "space-run", "handles", "model-names",
                              "hyphen-digit-runs"])
def test_a_long_token_or_space_run_takes_linear_time(text):
    # a complexity guard, not a speed target: linear takes ~0.05 s here, the former quadratic
    # patterns 5 to 13 s at a quarter of these sizes (so minutes at these)
    start = time.perf_counter()
    word_spans(text)
    F.random_swap(text, 0.3, g())
    assert time.perf_counter() - start < 10.0


def test_chinese_and_japanese_ideographs_and_kana_are_words_each():
    assert [m.group() for m in WORD.finditer("我非常喜欢，真的")] == ["我", "非", "常", "喜", "欢", "真", "的"]
    assert [m.group() for m in WORD.finditer("この映画")] == ["こ", "の", "映", "画"]
    assert [m.group() for m in WORD.finditer("Bowl䋢: don't café 5pm")] == ["Bowl", "䋢", "don't", "café"]


def test_a_tuple_of_texts_comes_back_a_tuple():
    from aad import Compose
    texts = ("the movie was good", "a long cold night")
    for augmenter in (RandomSwap(0.5), Compose([RandomSwap(0.5), RandomDelete(0.3)])):
        out = augmenter.augment(texts, rng=0)
        assert isinstance(out, tuple) and len(out) == 2
    assert isinstance(RandomSwap(0.5).augment(list(texts), rng=0), list)
