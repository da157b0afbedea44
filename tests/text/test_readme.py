"""README's text snippet runs as written (the masked LM's fit and augment stubbed: they take minutes)."""
import re
from pathlib import Path

from aad.text import MaskedLMReplace


def test_readme_text_snippet_runs(monkeypatch):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    snippet = re.search(r"### Text\n\n```python\n(.*?)```", readme, re.DOTALL).group(1)
    monkeypatch.setattr(MaskedLMReplace, "fit", lambda self, x, y=None: self)
    monkeypatch.setattr(MaskedLMReplace, "augment", lambda self, x, y=None, rng=None: list(x))
    exec(snippet, {})  # noqa: S102 (our own README)
