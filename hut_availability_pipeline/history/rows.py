"""The `history import` format, parsed and checked before anything is stored.

Columns (a header line, commas, UTF-8; gzip when the file is gzip-compressed):
`observed_at` (ISO 8601 with offset), `source` (booking source slug), `source_hut_id`, `date`
(the night, ISO), `free` (free places; empty: not published), `total` (optional column, may be
empty). Rows with the same `observed_at` are one snapshot. The first bad row stops the file:
`HistoryFileError` names the file, the line and what is expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import HutAvailabilityError

__all__ = ["COLUMNS", "OPTIONAL_COLUMNS", "HistoryFileError", "HistoryRow", "read_history_file"]

COLUMNS = ("observed_at", "source", "source_hut_id", "date", "free")
OPTIONAL_COLUMNS = ("total",)
_GZIP_MAGIC = b"\x1f\x8b"


class HistoryFileError(HutAvailabilityError, ValueError):
    """A history file is malformed; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class HistoryRow:
    """One check of one hut-night, with the line it came from."""

    line: int
    observed_at: dt.datetime
    source: str
    source_hut_id: str
    date: dt.date
    free: int | None
    total: int | None


def _text(path: Path) -> io.TextIOBase:
    try:
        with path.open("rb") as probe:
            gzipped = probe.read(2) == _GZIP_MAGIC
    except OSError as exc:
        raise HistoryFileError(f"{path}: cannot open ({exc.strerror})") from None
    raw = gzip.open(path, "rb") if gzipped else path.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _count(path: Path, line: int, name: str, text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise HistoryFileError(f"{path}: line {line}: {name} {text!r} is not a whole number (or empty)") from None
    if value < 0:
        raise HistoryFileError(f"{path}: line {line}: {name} {value} is negative")
    return value


def _row(path: Path, line: int, row: dict[str, str | None]) -> HistoryRow:
    if None in row.values() or None in row:
        raise HistoryFileError(f"{path}: line {line}: expected {len([k for k in row if k])} columns")
    text = {k: (v or "").strip() for k, v in row.items() if k}
    try:
        observed_at = dt.datetime.fromisoformat(text["observed_at"])
    except ValueError:
        raise HistoryFileError(
            f"{path}: line {line}: observed_at {text['observed_at']!r} is not an ISO 8601 time"
            " (e.g. 2024-06-15T08:00:00+00:00)"
        ) from None
    if observed_at.tzinfo is None:
        raise HistoryFileError(f"{path}: line {line}: observed_at {text['observed_at']!r} has no offset (e.g. +00:00)")
    try:
        date = dt.date.fromisoformat(text["date"])
    except ValueError:
        raise HistoryFileError(f"{path}: line {line}: date {text['date']!r} is not an ISO date (YYYY-MM-DD)") from None
    for name in ("source", "source_hut_id"):
        if not text[name]:
            raise HistoryFileError(f"{path}: line {line}: {name} is empty")
    free = _count(path, line, "free", text["free"])
    total = _count(path, line, "total", text.get("total", ""))
    if free is not None and total is not None and free > total:
        raise HistoryFileError(f"{path}: line {line}: free {free} is more than total {total}")
    return HistoryRow(line, observed_at, text["source"], text["source_hut_id"], date, free, total)


def read_history_file(path: Path) -> Iterator[HistoryRow]:
    """Every row of the file, checked, in file order (a generator: the caller decides what to
    keep). Raises HistoryFileError at the first bad row, and for a repeated hut-night in one
    snapshot."""
    with _text(path) as handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
        except UnicodeDecodeError:
            raise HistoryFileError(f"{path}: line 1: not UTF-8 text") from None
        reader.fieldnames = header
        missing = [c for c in COLUMNS if c not in header]
        unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS]
        if missing or unknown:
            problem = (
                f"missing column(s) {', '.join(missing)}" if missing else f"unknown column(s) {', '.join(unknown)}"
            )
            raise HistoryFileError(
                f"{path}: line 1: {problem}; expected {','.join(COLUMNS)}[,{','.join(OPTIONAL_COLUMNS)}]"
            )
        seen: dict[tuple[dt.datetime, str, str, dt.date], int] = {}
        line = 1
        try:
            for raw in reader:
                line = reader.line_num
                row = _row(path, line, raw)
                key = (row.observed_at, row.source, row.source_hut_id, row.date)
                if key in seen:
                    raise HistoryFileError(
                        f"{path}: line {line}: {row.source} hut {row.source_hut_id} night {row.date} at"
                        f" {row.observed_at.isoformat()} is already on line {seen[key]}"
                    )
                seen[key] = line
                yield row
        except UnicodeDecodeError:
            raise HistoryFileError(f"{path}: line {line + 1}: not UTF-8 text") from None
        except (EOFError, OSError) as exc:  # a truncated or corrupt gzip stream
            raise HistoryFileError(f"{path}: line {line + 1}: cannot read on ({exc})") from None
        except csv.Error as exc:
            raise HistoryFileError(f"{path}: line {line + 1}: {exc}") from None
