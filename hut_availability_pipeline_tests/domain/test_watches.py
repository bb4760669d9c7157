"""The watch rules: which nights satisfy a hut watch and a tour watch, and the re-notify rule."""

from __future__ import annotations

import datetime as dt

import pytest

from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.domain.watches import (
    Night,
    WatchKind,
    WatchMemory,
    WatchSpec,
    decide,
    options,
    window_passed,
)

D = dt.date(2027, 8, 10)
CREATED = dt.datetime(2027, 8, 1, 12, tzinfo=dt.UTC)
NEW = CREATED + dt.timedelta(hours=1)
OLD = CREATED - dt.timedelta(hours=1)


def day(i: int) -> dt.date:
    return D + dt.timedelta(days=i)


def free(n: int, at: dt.datetime = NEW, state: DayState = DayState.bookable) -> Night:
    return Night(state, n, at, "https://book/1")


def test_a_hut_watch_needs_a_bookable_night_with_k_free_places():
    spec = WatchSpec(WatchKind.hut, (1,), day(0), day(2), beds=2, created_at=CREATED)
    nights = {
        (1, day(0)): free(1),  # too few
        (1, day(1)): Night(DayState.not_bookable_online, 30, NEW),  # places, but not online
        (1, day(2)): free(2),
    }
    assert [o.start for o in options(spec, nights, today=day(0))] == [day(2)]


def test_n_consecutive_nights_must_all_be_free_inside_the_window():
    spec = WatchSpec(WatchKind.hut, (1,), day(0), day(3), nights=2, created_at=CREATED)
    nights = {(1, day(i)): free(5) for i in (0, 2, 3)}
    assert [o.start for o in options(spec, nights, today=day(0))] == [day(2)]
    nights[(1, day(4))] = free(5)  # after the window: no start on day 3
    assert [o.start for o in options(spec, nights, today=day(0))] == [day(2)]


def test_a_tour_fires_when_its_last_gap_fills():
    spec = WatchSpec(WatchKind.tour, (1, 2, 3), day(0), day(0), beds=2, created_at=CREATED)
    nights = {(1, day(0)): free(4, OLD), (2, day(1)): free(0, state=DayState.full), (3, day(2)): free(3, OLD)}
    assert options(spec, nights, today=day(0)) == []
    nights[(2, day(1))] = free(2)
    [found] = options(spec, nights, today=day(0))
    assert [(n.hut_id, n.date, n.free) for n in found.nights] == [(1, day(0), 4), (2, day(1), 2), (3, day(2), 3)]
    assert found.free == 2


def test_states_older_than_the_watch_and_past_nights_do_not_count():
    spec = WatchSpec(WatchKind.hut, (1,), day(0), day(1), created_at=CREATED)
    nights = {(1, day(0)): free(5), (1, day(1)): free(5, OLD)}
    assert options(spec, nights, today=day(1)) == []  # day 0 is past, day 1 older than the watch
    assert [o.start for o in options(spec, nights, today=day(0))] == [day(0)]
    assert not window_passed(spec, day(1))
    assert window_passed(spec, day(2))


def test_re_notify_rule():
    spec = WatchSpec(WatchKind.hut, (1,), day(0), day(3), created_at=CREATED)

    def found(*frees: int):
        return options(spec, {(1, day(i)): free(n) for i, n in enumerate(frees) if n}, today=day(0))

    first = decide(WatchMemory(), found(2), 0)
    assert first.notify == (1, 0)
    same = decide(first.memory, found(2), 1)
    assert same.notify is None  # still satisfied, nothing more
    fewer_elsewhere = decide(first.memory, found(1), 1)
    assert fewer_elsewhere.notify is None
    more_places = decide(first.memory, found(5), 1)
    assert more_places.notify == (1, 1)
    more_nights = decide(more_places.memory, found(5, 1), 2)
    assert more_nights.notify == (1, 2)
    gone = decide(more_nights.memory, found(), 3)
    assert gone.notify is None and not gone.memory.satisfied
    again = decide(gone.memory, found(1), 0)
    assert again.notify == (2, 0)  # a new episode


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"kind": WatchKind.hut, "hut_ids": (1,), "date_from": day(2), "date_to": day(1)}, "is before"),
        ({"kind": WatchKind.hut, "hut_ids": (1,), "date_from": day(0), "date_to": day(1), "nights": 3}, "do not fit"),
        ({"kind": WatchKind.hut, "hut_ids": (1,), "date_from": day(0), "date_to": day(1), "beds": 0}, "--beds"),
        ({"kind": WatchKind.tour, "hut_ids": (1,), "date_from": day(0), "date_to": day(1)}, "between 2"),
        ({"kind": WatchKind.tour, "hut_ids": (1, 2), "date_from": day(0), "date_to": day(1), "nights": 2}, "tour"),
    ],
)
def test_bad_watches_are_refused_naming_the_problem(kwargs, words):
    with pytest.raises(ValueError, match=words):
        WatchSpec(**kwargs)


def test_a_tour_across_booking_systems_fires_when_a_no_place_online_night_gets_a_cancellation():
    """Huts 1 (hut-reservation.org), 2 (a TMB refuge: free known, total unknown), 3 (FFCAM): the
    TMB night at 0 ("no place online", not bookable online, free 0) never counts as free; the
    cancellation that shows 1 free place is a change like any other and fills the tour."""
    spec = WatchSpec(WatchKind.tour, (1, 2, 3), day(0), day(0), beds=1, created_at=CREATED)
    nights = {(1, day(0)): free(4, OLD), (2, day(1)): free(0, state=DayState.not_bookable_online),
              (3, day(2)): free(7, OLD)}  # fmt: skip
    assert options(spec, nights, today=day(0)) == []
    nights[(2, day(1))] = free(1)
    [found] = options(spec, nights, today=day(0))
    assert [(n.hut_id, n.free) for n in found.nights] == [(1, 4), (2, 1), (3, 7)]
