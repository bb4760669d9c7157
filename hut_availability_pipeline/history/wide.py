"""The wide form public datasets use, one CSV per snapshot with a row per hut and a column per
night, converted to the `history import` format.

A wide file (e.g. leonlan/tour-du-mont-blanc's `data/2024/2024-06-08.csv`): its first column holds
the hut's name (the header cell may be empty), every other header is a night (ISO date), every
cell the free places (empty: not published). The snapshot's time is the date in the file's name
(`YYYY-MM-DD...`) at `--time` (default 08:00:00+00:00), or given per run. Huts are matched by
name against a hut CSV in the `huts load` format (source, source_hut_id, slug, name). Nights
before the snapshot's day are left out (a site's answer for nights already past is no
forecast of them). A name not in the hut CSV, or a bad cell, stops the conversion naming the file
and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .rows import COLUMNS, OPTIONAL_COLUMNS, HistoryFileError

__all__ = ["convert_wide", "hut_ids_by_name", "snapshot_time"]

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def hut_ids_by_name(huts_csv: Path) -> dict[str, tuple[str, str]]:
    """Name → (source, source_hut_id) from a hut CSV in the `huts load` format."""
    with huts_csv.open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["name"].strip(): (row["source"].strip(), row["source_hut_id"].strip()) for row in csv.DictReader(handle)
        }


def snapshot_time(path: Path, time_of_day: dt.time) -> dt.datetime:
    """The snapshot's time: the first YYYY-MM-DD in the file's name at `time_of_day` (with offset)."""
    match = _DATE_IN_NAME.search(path.name)
    if not match:
        raise HistoryFileError(f"{path}: no date (YYYY-MM-DD) in the file's name to time the snapshot")
    return dt.datetime.combine(dt.date.fromisoformat(match.group(1)), time_of_day)


def _wide_rows(path: Path, observed_at: dt.datetime, huts: dict[str, tuple[str, str]]) -> Iterator[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        try:
            nights = [dt.date.fromisoformat(h.strip()) for h in header[1:]]
        except ValueError as exc:
            raise HistoryFileError(f"{path}: line 1: a night column is not an ISO date ({exc})") from None
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            name = row[0].strip()
            if name not in huts:
                raise HistoryFileError(f"{path}: line {line}: hut {name!r} is not in the hut CSV (by name)")
            if len(row) != len(header):
                raise HistoryFileError(f"{path}: line {line}: {len(row)} cells, the header has {len(header)}")
            source, hut_id = huts[name]
            for night, cell in zip(nights, row[1:], strict=True):
                if night < observed_at.date():
                    continue
                cell = cell.strip()
                if cell and not cell.isdigit():
                    raise HistoryFileError(f"{path}: line {line}: {name} {night}: {cell!r} is not a whole number")
                yield [observed_at.isoformat(), source, hut_id, night.isoformat(), cell, ""]


def convert_wide(
    paths: Iterable[Path], huts: dict[str, tuple[str, str]], out: Path, time_of_day: dt.time
) -> tuple[int, int]:
    """Write the wide files' checks, snapshots in time order, to `out` in the import format;
    return (snapshots, rows)."""
    timed = sorted((snapshot_time(p, time_of_day), p) for p in paths)
    rows = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, *OPTIONAL_COLUMNS])
        for observed_at, path in timed:
            for row in _wide_rows(path, observed_at, huts):
                writer.writerow(row)
                rows += 1
    return len(timed), rows
