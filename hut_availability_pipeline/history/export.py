"""`history export`: the stored history as checks (the `history import` format, one row per
state at its first and its last check) to CSV (gzip when the name ends in .gz) or Parquet, and
the same checks as the forecast's observations frame."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from ..errors import HutAvailabilityError
from ..storage.sqlfiles import query

__all__ = ["EXPORT_COLUMNS", "ExportError", "export_history", "observations", "read_checks"]

EXPORT_COLUMNS = ("observed_at", "source", "source_hut_id", "date", "free", "total")


class ExportError(HutAvailabilityError, ValueError):
    """The export cannot be written (unknown format, no Parquet engine)."""


def read_checks(
    conn: psycopg.Connection[Any],
    *,
    hut: str | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    as_of: dt.datetime | None = None,
) -> pd.DataFrame:
    """The stored checks (columns observed_at, source, source_hut_id, slug, date, free, total)."""
    params = {"hut": hut, "from_date": from_date, "to_date": to_date, "as_of": as_of}
    with conn.cursor() as cur:
        cur.execute(query("history_observations"), params)
        names = [d.name for d in cur.description or []]
        frame = pd.DataFrame(cur.fetchall(), columns=names)
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    frame["free"] = frame["free"].astype("Int64")
    frame["total"] = frame["total"].astype("Int64")
    return frame


def observations(checks: pd.DataFrame) -> pd.DataFrame:
    """Stored checks as the forecast's observations frame (hut = slug)."""
    return pd.DataFrame(
        {
            "hut": checks["slug"],
            "night": checks["date"],
            "observed_at": checks["observed_at"],
            "free": checks["free"].astype("float64"),
        }
    )


def export_history(checks: pd.DataFrame, path: Path, file_format: str | None = None) -> int:
    """Write the checks to `path` as CSV or Parquet (by `file_format` or the file's suffix);
    return the rows written. Parquet needs pyarrow (the `parquet` extra)."""
    fmt = file_format or ("parquet" if path.suffix == ".parquet" else "csv")
    out = checks[list(EXPORT_COLUMNS)]
    if fmt == "csv":
        out = out.assign(observed_at=out["observed_at"].map(lambda t: t.isoformat()))
        out.to_csv(path, index=False, compression="infer")
    elif fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ExportError(
                "Parquet needs pyarrow: pip install 'hut-availability-pipeline[parquet]' (or write a .csv)"
            ) from None
        out.to_parquet(path, index=False)
    else:
        raise ExportError(f"unknown export format {fmt!r}: csv or parquet")
    return len(out)
