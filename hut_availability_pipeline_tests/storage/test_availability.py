"""The seed's single-hut model methods, backed by the batched writer."""

from __future__ import annotations

import datetime as dt

from hut_availability_pipeline.storage.availability import (
    current_state,
    has_changed,
    record_change,
    update_availability,
)

from ..helpers import START, T0, add_huts, booking, history


def test_single_hut_methods(db):
    (hut,) = add_huts(db, 1)
    with db.connect() as conn:
        assert current_state(conn, hut.hut_id, START) is None
        assert has_changed(conn, hut, booking(START, 5))
        counts = update_availability(conn, hut, booking(START, 5), T0)
        assert (counts.new, counts.history_inserted) == (1, 1)
        assert not has_changed(conn, hut, booking(START, 5))
        assert not record_change(conn, hut, booking(START, 5), T0 + dt.timedelta(minutes=1))
        assert record_change(conn, hut, booking(START, 4), T0 + dt.timedelta(minutes=2))
        state = current_state(conn, hut.hut_id, START)
    assert state is not None and state.free == 4
    assert [row[0] for row in history(db, hut.hut_id, START)] == [5, 4]
