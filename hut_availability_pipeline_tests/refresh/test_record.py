"""The record of an update kept for Dagster: a JSON document that gives back exactly the report."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hut_availability_pipeline.domain.huts import HutRef
from hut_availability_pipeline.refresh.engine import HutOutcome, UpdateReport
from hut_availability_pipeline.refresh.notes import FullDate, HutNotes
from hut_availability_pipeline.refresh.record import UpdateRecord, UpdateRecordError
from hut_availability_pipeline.storage.writer import HutWriteCounts

AT = dt.datetime(2026, 7, 1, 6, 30, 5, 123456, tzinfo=dt.UTC)


def a_record() -> UpdateRecord:
    stored = HutOutcome(
        hut=HutRef(hut_id=7, slug="konkordiahutte-sac", source="hrs", source_hut_id="31", source_organization_id=1),
        counts=HutWriteCounts(
            fetched=3, new=1, changed=1, unchanged=1, missing=2, history_inserted=2, history_closed=1
        ),
        received_at=AT,
        fetch_seconds=0.25,
        requests=2,
        rejected_days=["2026-07-04: free places -1"],
    )
    failed = HutOutcome(hut=HutRef(hut_id=8, slug="refuge-x", source="tmb", source_hut_id="x"), error="HTTP 500")
    not_asked = HutOutcome(
        hut=HutRef(hut_id=9, slug="refuge-y", source="tmb", source_hut_id="y"),
        error="not asked",
        not_asked="the site is cooling down until 07:00",
    )
    report = UpdateReport(
        outcomes={7: stored, 8: failed, 9: not_asked},
        fetch_seconds=1.5,
        db_seconds=0.5,
        wall_seconds=1.75,
        batches=1,
        provider_unreachable="tmb: 127.0.0.1:9 refuses connections",
        provider_blocked_until=AT + dt.timedelta(minutes=30),
    )
    notes = {7: HutNotes(fullest=[FullDate(dt.date(2026, 7, 4), 0, 120, 100.0, "full")], write_seconds=0.125)}
    return UpdateRecord(report, notes)


def test_the_document_gives_back_the_report_and_notes_exactly() -> None:
    record = a_record()
    document = json.loads(json.dumps(record.to_document()))  # as PostgreSQL's jsonb gives it back
    again = UpdateRecord.from_document(document)
    assert again == record
    assert again.report.failure_lines() == record.report.failure_lines()
    assert again.report.totals() == record.report.totals()


def test_a_document_of_another_version_or_damaged_says_so() -> None:
    document = a_record().to_document()
    with pytest.raises(UpdateRecordError, match="version 99 is not 1: written by another version"):
        UpdateRecord.from_document({**document, "version": 99})
    del document["outcomes"][0]["counts"]
    with pytest.raises(UpdateRecordError, match="update record is damaged: KeyError: 'counts'"):
        UpdateRecord.from_document(document)
