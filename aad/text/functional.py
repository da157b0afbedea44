"""Word-level text ops (EDA: swap, delete, insert, synonym replacement) on one string each.

Pure functions of ``(text, ..., g)``: all randomness comes from the ``torch.Generator`` ``g``.
Words are whitespace-separated tokens (punctuation travels with its word) and the whitespace
between them is kept as written; synonym replacement edits only letter spans. A text with
nothing to change comes back unchanged.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import torch

from aad.text.words import choose, count_for, is_stopword, match_case, replace_spans, word_spans

_SPACE = re.compile(r"(\s+)")


def _split(text: str) -> tuple[str, list[str], list[str], str]:
    """(leading space, tokens, separators between them, trailing space)."""
    # str.strip's whitespace is re's \s; a regex for the edges, ^(\s*)(.*?)(\s*)$, was quadratic in
    # an inner run of spaces
    core = text.strip()
    start = len(text) - len(text.lstrip())
    lead, trail = text[:start], text[start + len(core):]
    parts = _SPACE.split(core) if core else []
    return lead, parts[0::2], parts[1::2], trail


def _join(lead: str, tokens: list[str], seps: list[str], trail: str) -> str:
    out = [lead]
    for i, token in enumerate(tokens):
        out.append(token)
        if i < len(tokens) - 1:
            out.append(seps[i] if i < len(seps) else " ")
    return "".join(out) + trail


def random_swap(text: str, fraction: float, g: torch.Generator) -> str:
    """Move ``2 * round(fraction * words)`` random words (at least two when fraction > 0, at most
    all): each takes the place of another chosen word, so every chosen word moves (swaps drawn one
    by one could undo each other, and a two-word text came back unchanged)."""
    lead, tokens, seps, trail = _split(text)
    if len(tokens) < 2:
        return text
    chosen = choose(len(tokens), min(len(tokens), 2 * count_for(fraction, len(tokens))), g)
    moved = [tokens[chosen[k]] for k in derangement(len(chosen), g)]
    for position, token in zip(chosen, moved):
        tokens[position] = token
    return _join(lead, tokens, seps, trail)


def derangement(n: int, g: torch.Generator) -> list[int]:
    """A uniform random permutation of ``range(n)`` (n >= 2) that moves every index; e draws on average."""
    while True:
        perm = torch.randperm(n, generator=g)
        if not (perm == torch.arange(n)).any():
            return perm.tolist()


def random_delete(text: str, p: float, g: torch.Generator) -> str:
    """Delete each word with probability ``p``; one word always survives."""
    lead, tokens, seps, trail = _split(text)
    if len(tokens) < 2:
        return text
    keep = (torch.rand(len(tokens), generator=g) >= p).tolist()
    if not any(keep):
        keep[int(torch.randint(len(tokens), (), generator=g))] = True
    kept = [i for i, k in enumerate(keep) if k]
    # between two kept words, the gap's separator with the most line breaks (else the first): a
    # deleted word must not take a paragraph break with it
    gaps = [max(seps[a:b], key=lambda sep: sep.count("\n")) for a, b in itertools.pairwise(kept)]
    return _join(lead, [tokens[i] for i in kept], gaps, trail)


def random_insert(text: str, fraction: float, g: torch.Generator,
                  options: Callable[[str], list[str]]) -> str:
    """Insert ``round(fraction * words)`` words (at least one when fraction > 0) between the tokens
    of ``text``.

    ``options(word)`` gives the words that may be inserted for a word of the text (its synonyms, or the
    word itself). Each insertion picks among the words that have some, so none is wasted on a stopword
    (EDA retries a few picks instead). Picks are words only: a URL, a handle or a trailing comma is never
    copied. A text without such a word comes back unchanged.
    """
    spans = word_spans(text)
    picks = [choices for choices in (options(text[s:e]) for s, e in spans) if choices]
    if not picks:
        return text
    lead, tokens, seps, trail = _split(text)
    for _ in range(count_for(fraction, len(spans))):
        choices = picks[int(torch.randint(len(picks), (), generator=g))]
        word = choices[int(torch.randint(len(choices), (), generator=g))] if len(choices) > 1 else choices[0]
        at = int(torch.randint(len(tokens) + 1, (), generator=g))
        tokens.insert(at, word)
        seps.insert(min(at, len(seps)), " ")
    return _join(lead, tokens, seps, trail)


def synonym_replace(text: str, fraction: float, g: torch.Generator,
                    synonyms: Callable[[str], list[str]], skip_stopwords: bool = True) -> str:
    """Replace ``round(fraction * candidates)`` words that have synonyms with a random synonym.

    A lower-case synonym takes the word's casing; one with capitals keeps them ("United States")."""
    spans = [(s, e) for s, e in word_spans(text)
             if not (skip_stopwords and is_stopword(text[s:e])) and synonyms(text[s:e])]
    edits = {}
    for k in choose(len(spans), count_for(fraction, len(spans)), g):
        s, e = spans[k]
        options = synonyms(text[s:e])
        pick = options[int(torch.randint(len(options), (), generator=g))]
        edits[(s, e)] = match_case(pick, text[s:e]) if pick.islower() else pick
    return replace_spans(text, edits)
