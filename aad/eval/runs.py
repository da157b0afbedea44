"""The run folder of ``evaluate``: ``rows.jsonl``, appended to as rows finish, and the rules for
starting again (``overwrite``) or continuing (``resume``) in it."""
from __future__ import annotations

import json
from pathlib import Path

from aad.eval.report import RECORDED_LATER, read_rows
from aad.serialization import atomic_write

KEY = ("dataset", "model", "protocol", "augmenter", "shots", "seed")   # one row per key and model


def load_rows(path: Path) -> list[dict]:
    """The rows of an earlier run. A row cut short by an interrupted run is dropped from the file (it
    is redone), so that the next row appended starts on a line of its own."""
    if not path.is_file():
        return []
    text = path.read_text()
    rows = read_rows(text)
    if text and (not text.endswith("\n") or len(rows) != sum(1 for line in text.splitlines() if line.strip())):
        write_rows(path, rows)
    return rows


def write_rows(path: Path, rows: list[dict]) -> None:
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    atomic_write(path, lambda tmp: Path(tmp).write_text(lines))


def drop_redone_errors(path: Path, previous: list[dict], planned: dict) -> None:
    """Rewrite rows.jsonl without the error rows of this run's keys (it redoes them), so that
    ``Report.from_rows_file`` does not show errors that are gone."""
    kept = [r for r in previous if not (r.get("error") and tuple(r.get(k) for k in KEY) in planned)]
    if len(kept) < len(previous):
        write_rows(path, kept)


def prepare_out(out: str | Path, resume: bool = False, overwrite: bool = False) -> Path:
    """The output folder: refuses a non-empty one unless ``resume`` (continue) or ``overwrite``."""
    out = Path(out)
    if resume and overwrite:
        raise ValueError("pass overwrite=True (--overwrite) to start again or resume=True (--resume) to "
                         "continue, not both")
    if out.exists() and not out.is_dir():
        raise ValueError(f"out {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (resume or overwrite):
        raise FileExistsError(f"out folder {str(out)!r} exists and is not empty: pass overwrite=True "
                              f"(--overwrite) to start again, or resume=True (--resume) to continue")
    if overwrite:   # the figures too: an arm no longer run must not leave its picture behind
        for name in ("rows.jsonl", "report.json", "report.md", "gains.png"):
            (out / name).unlink(missing_ok=True)
        for picture in out.glob("samples_*.png"):
            picture.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def kept_rows(rows: list[dict], planned: dict) -> list[dict]:
    """The rows of an earlier run that this run keeps: its planned keys, without errors (redone)."""
    return [r for r in rows if not r.get("error") and tuple(r.get(k) for k in KEY) in planned]


def check_resumable(rows_path: Path, planned: dict) -> None:
    """Before any work: the rows an earlier run left in ``rows_path`` that this run would keep must
    have been made with its settings (read only: the folder is not touched)."""
    if rows_path.is_file():
        check_same_settings(kept_rows(read_rows(rows_path.read_text()), planned), planned, rows_path)


def check_same_settings(rows: list[dict], planned: dict, rows_path) -> None:
    """Refuse to resume rows made with other settings: mixed in, they would pass for this run's.
    A field an older version did not record is compared as its known value (``RECORDED_LATER``),
    or else not compared."""
    for row in rows:
        key = tuple(row.get(k) for k in KEY)
        for field, now in planned[key].items():
            then = row.get(field, RECORDED_LATER.get(field, now))
            if then != now:
                raise ValueError(f"{rows_path} holds rows made with other settings ({field} {then!r}, "
                                 f"now {now!r}; e.g. augmenter {key[3]!r}, shots {key[4]}, seed {key[5]}): "
                                 f"resume with the same settings, or start again with overwrite=True "
                                 f"(--overwrite) or another out folder")
