"""Word-level helpers shared by the text ops: word spans, stopwords, casing, random choices.

Ops edit only the spans of the words they change, so spacing and punctuation stay as written.
"""
from __future__ import annotations

import bisect
import re
import unicodedata

import regex
import torch

# A word: letters with their combining marks (a decomposed "café" is one word, and so are Hindi ones),
# optionally joined by an apostrophe or hyphen ("don't", "well-known"). The stdlib's \w has no marks.
# Letters glued to digits ("5pm", "4th", "mp3", "UA123") are one opaque token, not a word.
# Chinese and Japanese put no spaces between words: each ideograph or kana is a word, as BERT's
# tokenizers split them (a run of them was one "word", and a masked LM replaced a whole clause).
_IDEOGRAPHIC = r"\p{Han}\p{Hiragana}\p{Katakana}"
_LETTER = rf"[\p{{L}}--[{_IDEOGRAPHIC}]]"
WORD = regex.compile(rf"[{_IDEOGRAPHIC}]\p{{M}}*"
                     rf"|(?<!{_LETTER}|\p{{N}}){_LETTER}[{_LETTER}\p{{M}}]*(?:['’-]{_LETTER}[{_LETTER}\p{{M}}]*)*"
                     rf"(?!{_LETTER}|\p{{M}}|\p{{N}})", regex.V1)

STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more", "most", "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "same", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "s", "t", "just", "will", "don", "now", "rt", "us",
                       # the modals WordNet knows only as nouns (may: hawthorn, must: mustiness, might: power)
                       "may", "might", "must", "shall"])
# A letter alone is a stopword too: a name or a mark more than a word ("Plan B", "vitamin C", "u"),
# which WordNet reads as an element or a unit (B -> boron). An ideograph alone is a word.
_ONE_LETTER = regex.compile(rf"{_LETTER}\p{{M}}*", regex.V1)


# Tokens whose letters are not words to edit: a synonym or a masked LM would garble a URL ("t.co" ->
# "t.carbon monoxide") or an abbreviation ("U.S.A." -> "Uracil.S.A."), and a handle or hashtag names
# something (who a tweet addresses is often its label).
# Links come with or without a scheme ("bit.ly/2xYz", "news.net"); a domain's last part is lower or
# upper case ("end.The" is a sentence missing its space); an HTML entity ("&amp;") is no word.
# Each pattern may start only where its leading run starts (the lookbehinds): tried from every
# letter of a long token, each would rescan the rest of it (quadratic: 13 s for 20k letters). A
# link's span starts at its run's start ("...http://x" whole), which holds no letters. The parts that
# come before a "://", "@" or "." are bounded (a scheme, an e-mail's local part, a DNS label: 63
# characters at most): tried without the lookbehinds (below), each would otherwise rescan a long
# "ab-12-ab-12-..." run to its end after every match in it.
_OPAQUE = [(r"(?<![a-z0-9+.-])", r"[0-9+.-]{0,63}[a-z][a-z0-9+.-]{0,63}://\S+"),  # a link with a scheme
           (r"(?<![\w.+-])", r"[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"),             # an e-mail address
           (r"", r"[@\#]\w+"),                                                   # a handle or hashtag
           (r"(?<![\w-])(?<![\w-]\.)", r"(?:[\w-]{1,63}\.)+(?-i:[a-z]{2,}|[A-Z]{2,})\b(?:/\S*)?"),  # a domain
           (r"(?<![\w.])", r"(?:[^\W\d_]\.){2,}"),                           # an abbreviation: "U.S.", "e.g."
           (r"(?<![\w-])", r"[^\W\d_]+-\d\w*"),                               # a model name: "F-16", "COVID-19"
           (r"", r"&\#?\w+;")]                                                  # an HTML entity
_OPAQUE_GUARDED = re.compile("|".join(guard + pattern for guard, pattern in _OPAQUE), re.IGNORECASE)
# Right after a match a token may go on (a handle's "@gulf_news.http://t.co/x"), where the lookbehinds
# would wrongly see a run already begun: the two positions after a match are tried without them.
_OPAQUE_UNGUARDED = re.compile("|".join(pattern for _, pattern in _OPAQUE), re.IGNORECASE)


def opaque_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the links, e-mail addresses, handles, hashtags and entities in ``text``."""
    spans, pos = [], 0
    while pos < len(text):
        m = (_OPAQUE_UNGUARDED.match(text, pos) or _OPAQUE_UNGUARDED.match(text, pos + 1)
             or _OPAQUE_GUARDED.search(text, pos + 2))
        if m is None:
            break
        spans.append(m.span())
        pos = m.end()
    return spans


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the words in ``text``; numbers, punctuation and the letters of
    links, e-mail addresses, @handles, #hashtags and letter-digit tokens ("5pm") are not words."""
    opaque = opaque_spans(text)   # sorted, disjoint: a binary search keeps tweets full of handles linear
    starts = [start for start, _ in opaque]

    def is_opaque(pos: int) -> bool:
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and pos < opaque[i][1]

    return [m.span() for m in WORD.finditer(text) if not is_opaque(m.start())]


def is_stopword(word: str) -> bool:
    return (word.lower().replace("’", "'") in STOPWORDS or _ONE_LETTER.fullmatch(word) is not None
            or _is_acronym(word))


def _is_acronym(word: str) -> bool:
    """Two or three capitals name something ("LAX", "JFK", "DM"), and WordNet would read the word
    ("LAX" -> "SLACK"). Longer ones are more often a word written loud ("GREAT", "NEVER")."""
    return 2 <= len(word) <= 3 and word.isupper()


def script_of(word: str) -> str:
    """The writing system of ``word``'s first letter, as Unicode names it ("LATIN", "CYRILLIC", "ARABIC",
    "CJK" for ideographs, "HIRAGANA", "KATAKANA"); "" without a letter. Ideographs and kana are apart:
    a kana in a Chinese sentence is no Chinese, and a particle of Japanese's no ideograph."""
    letter = next((ch for ch in word if ch.isalpha()), None)
    if letter is None:
        return ""
    return unicodedata.name(letter, "").split(" ")[0]


def match_case(new: str, old: str) -> str:
    """``new`` cased like ``old``: UPPER, Capitalized or as predicted (lower)."""
    if len(old) > 1 and old.isupper():
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def replace_spans(text: str, edits: dict[tuple[int, int], str]) -> str:
    """``text`` with each span replaced by its new string; everything else is kept byte for byte."""
    out, last = [], 0
    for (start, end), new in sorted(edits.items()):
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def count_for(fraction: float, n: int) -> int:
    """How many of ``n`` candidates a ``fraction`` in [0, 1] selects: at least one when any exist."""
    if n == 0 or fraction <= 0:
        return 0
    return min(n, max(1, round(fraction * n)))


def choose(n: int, k: int, g: torch.Generator) -> list[int]:
    """``k`` distinct indices out of ``n``, in increasing order, drawn from ``g``."""
    if k <= 0 or n == 0:
        return []
    return sorted(torch.randperm(n, generator=g)[:k].tolist())
