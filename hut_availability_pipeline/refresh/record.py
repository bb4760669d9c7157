"""The record of a command-line update for Dagster, as a JSON document.

`hut-availability update` does not load Dagster: it stores what it did (its `UpdateReport` and the
per-hut notes) as one row of `update_records` (`storage.update_records`), in the transaction-safe
database it already writes to. The daemon's `update_record_sensor` turns each new row into a run of
`hut_update_report_job`, which logs the same per-hut materializations as a refresh run
(`defs/refresh/reporting.py`). So the command costs one INSERT instead of importing Dagster and
logging three events per hut itself (measured: 150 unchanged huts, 2.3 s without the record, 6.1 s
of CPU with the in-process record), and a Dagster storage that is down never slows an update.

`to_document` and `from_document` are exact inverses (tested): every field of the report that the
record shows (counts, times, failures, the provider's block) survives the round trip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from ..domain.huts import HutRef
from ..errors import HutAvailabilityError
from ..storage.database import Database
from ..storage.update_records import save_update_record
from ..storage.writer import HutWriteCounts
from .engine import HutOutcome, UpdateReport
from .notes import FullDate, HutNotes, RefreshNotes

DOCUMENT_VERSION = 1


class UpdateRecordError(HutAvailabilityError, ValueError):
    """A stored update record cannot be read (written by another version, or damaged)."""


@dataclass
class UpdateRecord:
    """An update's report and the notes collected while it ran, ready to be recorded in Dagster."""

    report: UpdateReport
    notes: dict[int, HutNotes]

    def to_document(self) -> dict[str, Any]:
        """The record as plain JSON values (datetimes and dates in ISO 8601)."""
        r = self.report
        return {
            "version": DOCUMENT_VERSION,
            "fetch_seconds": r.fetch_seconds,
            "db_seconds": r.db_seconds,
            "wall_seconds": r.wall_seconds,
            "batches": r.batches,
            "provider_unreachable": r.provider_unreachable,
            "provider_blocked_until": _iso(r.provider_blocked_until),
            "outcomes": [_outcome_document(o, self.notes.get(hut_id)) for hut_id, o in r.outcomes.items()],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> UpdateRecord:
        """The record a `to_document` call wrote; `UpdateRecordError` naming what is wrong otherwise."""
        if document.get("version") != DOCUMENT_VERSION:
            raise UpdateRecordError(
                f"update record version {document.get('version')!r} is not {DOCUMENT_VERSION}: written by another"
                " version of hut-availability"
            )
        try:
            report = UpdateReport(
                fetch_seconds=float(document["fetch_seconds"]),
                db_seconds=float(document["db_seconds"]),
                wall_seconds=float(document["wall_seconds"]),
                batches=int(document["batches"]),
                provider_unreachable=document["provider_unreachable"],
                provider_blocked_until=_datetime(document["provider_blocked_until"]),
            )
            notes: dict[int, HutNotes] = {}
            for item in document["outcomes"]:
                outcome = _outcome(item)
                report.outcomes[outcome.hut.hut_id] = outcome
                if item["notes"] is not None:
                    notes[outcome.hut.hut_id] = _notes(item["notes"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UpdateRecordError(f"update record is damaged: {type(exc).__name__}: {exc}") from None
        return cls(report, notes)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def _outcome_document(outcome: HutOutcome, notes: HutNotes | None) -> dict[str, Any]:
    return {
        "hut": asdict(outcome.hut),
        "error": outcome.error,
        "counts": asdict(outcome.counts) if outcome.counts is not None else None,
        "received_at": _iso(outcome.received_at),
        "fetch_seconds": outcome.fetch_seconds,
        "requests": outcome.requests,
        "rejected_days": list(outcome.rejected_days),
        "not_asked": outcome.not_asked,
        "notes": None
        if notes is None
        else {
            "write_seconds": notes.write_seconds,
            "fullest": [{**asdict(d), "date": d.date.isoformat()} for d in notes.fullest],
        },
    }


def _outcome(item: dict[str, Any]) -> HutOutcome:
    return HutOutcome(
        hut=HutRef(**item["hut"]),
        error=item["error"],
        counts=HutWriteCounts(**item["counts"]) if item["counts"] is not None else None,
        received_at=_datetime(item["received_at"]),
        fetch_seconds=float(item["fetch_seconds"]),
        requests=int(item["requests"]),
        rejected_days=[str(day) for day in item["rejected_days"]],
        not_asked=item["not_asked"],
    )


def _notes(item: dict[str, Any]) -> HutNotes:
    fullest = [FullDate(**{**d, "date": dt.date.fromisoformat(d["date"])}) for d in item["fullest"]]
    return HutNotes(fullest=fullest, write_seconds=float(item["write_seconds"]))


def save_record(db: Database, report: UpdateReport, notes: RefreshNotes, trigger: str) -> int | None:
    """Keep the record of this update for Dagster (`update_records`); return its id, or None when
    there is nothing to record (no hut was tried)."""
    if not report.outcomes:
        return None
    document = UpdateRecord(report, notes.notes).to_document()
    with db.connect() as conn:
        return save_update_record(conn, trigger, len(report.outcomes), document)
