"""Watches in PostgreSQL: evaluation against states written by the real writer, the outbox, the
re-notify rule across evaluations, expiry, tours, and which watches changes touch."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
import time

import psycopg
import pytest

from hut_availability_pipeline.domain.day_state import DayState
from hut_availability_pipeline.domain.watches import Night, WatchKind, WatchMemory, WatchSpec, decide, options
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.watches import add_watch, changed_watch_ids, read_watches, remove_watch
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.watches.evaluation import Evaluation, evaluate, evaluate_changes

from ..helpers import add_huts, result

TODAY = dt.date.today()
DAY0 = TODAY + dt.timedelta(days=30)
URL = "json://127.0.0.1:9/hook"


def day(i: int) -> dt.date:
    return DAY0 + dt.timedelta(days=i)


def later(minutes: int) -> dt.datetime:
    """A check time after the watches were created (states older than a watch never count)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


def outbox(db: Database) -> list[tuple[int, int, int, str]]:
    with db.connect() as conn:
        return conn.execute(
            "SELECT watch_id, episode, sequence, idempotency_key FROM notifications ORDER BY id"
        ).fetchall()


def test_a_hut_watch_notifies_once_then_again_only_for_more_or_after_a_gap(db: Database):
    [hut, _] = add_huts(db)
    with db.connect() as conn:
        watch = add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), day(0), day(2), beds=2), URL, "Konkordia")
        write_batch(conn, [result(hut, later(1), [0, 1, 0], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 0  # one free place: not enough
        write_batch(conn, [result(hut, later(2), [0, 2, 0], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 1
        assert evaluate(conn, TODAY).fired == 0  # evaluated again: nothing new
        write_batch(conn, [result(hut, later(3), [0, 3, 0], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 1  # strictly more places
        write_batch(conn, [result(hut, later(4), [0, 2, 0], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 0  # fewer: nothing
        write_batch(conn, [result(hut, later(5), [0, 0, 0], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 0  # gone: the episode ends
        write_batch(conn, [result(hut, later(6), [2, 0, 0], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 1  # back: a new episode
        [stored] = read_watches(conn, [watch])
    assert outbox(db) == [
        (watch, 1, 0, f"watch-{watch}-episode-1-0"),
        (watch, 1, 1, f"watch-{watch}-episode-1-1"),
        (watch, 2, 0, f"watch-{watch}-episode-2-0"),
    ]
    assert (stored.satisfied, stored.episode) == (True, 2)
    with db.connect() as conn:
        body = conn.execute("SELECT title, body FROM notifications ORDER BY id LIMIT 1").fetchone()
    assert body == (
        "Free: Konkordia",
        f"From {day(1)}, 2 free for the whole stay:\n"
        f"  {day(1)} Hut 0: 2 free https://www.hut-reservation.org/reservation/book-hut/1/wizard",
    )


def test_a_state_older_than_the_watch_does_not_notify(db: Database):
    [hut, _] = add_huts(db)
    with db.connect() as conn:
        write_batch(conn, [result(hut, later(-10), [5], start=DAY0)])
        add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), day(0), day(0)), URL)
        assert evaluate(conn, TODAY).fired == 0
        write_batch(conn, [result(hut, later(1), [6], start=DAY0)])  # a new state after the watch
        assert evaluate(conn, TODAY).fired == 1


def test_a_tour_fires_when_its_last_gap_fills(db: Database):
    a, b, c = add_huts(db, 3)
    with db.connect() as conn:
        spec = WatchSpec(WatchKind.tour, (a.hut_id, b.hut_id, c.hut_id), day(0), day(1), beds=2)
        watch = add_watch(conn, spec, URL)
        write_batch(
            conn,
            [
                result(a, later(1), [2, 0], start=day(0)),
                result(b, later(1), [0, 0], start=day(1)),  # the gap
                result(c, later(1), [4, 4], start=day(2)),
            ],
        )
        assert evaluate(conn, TODAY).fired == 0
        write_batch(conn, [result(b, later(2), [3, 0], start=day(1))])
        assert evaluate(conn, TODAY).fired == 1
        body = conn.execute("SELECT body FROM notifications WHERE watch_id = %s", (watch,)).fetchone()
    assert body is not None and body[0].splitlines()[:4] == [
        f"From {day(0)}, 2 free for the whole stay:",
        f"  {day(0)} Hut 0: 2 free https://www.hut-reservation.org/reservation/book-hut/1/wizard",
        f"  {day(1)} Hut 1: 3 free https://www.hut-reservation.org/reservation/book-hut/1/wizard",
        f"  {day(2)} Hut 2: 4 free https://www.hut-reservation.org/reservation/book-hut/1/wizard",
    ]


def test_a_watch_whose_window_passed_expires_and_is_not_evaluated_again(db: Database):
    [hut, _] = add_huts(db)
    with db.connect() as conn:
        watch = add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), day(0), day(1), nights=2), URL)
        assert evaluate(conn, day(0)).expired == 0
        assert evaluate(conn, day(1)).expired == 1  # two nights no longer fit
        assert evaluate(conn, day(1)).evaluated == 0
        [stored] = read_watches(conn, [watch])
    assert stored.expired_at is not None


def test_changes_find_only_the_watches_whose_nights_they_touch(db: Database):
    a, b, c = add_huts(db, 3)
    with db.connect() as conn:
        on_a = add_watch(conn, WatchSpec(WatchKind.hut, (a.hut_id,), day(0), day(1)), URL)
        add_watch(conn, WatchSpec(WatchKind.hut, (a.hut_id,), day(5), day(6)), URL)  # other nights
        tour = add_watch(conn, WatchSpec(WatchKind.tour, (c.hut_id, b.hut_id), day(0), day(0)), URL)
        add_watch(conn, WatchSpec(WatchKind.hut, (c.hut_id,), day(0), day(0)), URL)
        since = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        write_batch(conn, [result(a, later(1), [1, 1], start=day(0)), result(b, later(1), [1], start=day(1))])
        assert changed_watch_ids(conn, since, TODAY) == [on_a, tour]
        assert evaluate_changes(conn, TODAY).evaluated == 4  # the first call: every watch
        assert evaluate_changes(conn, TODAY).evaluated == 2  # then: those the changes touched


def test_bad_rows_are_refused_by_the_database_and_removing_deletes_the_outbox(db: Database):
    [hut, _] = add_huts(db)
    with db.connect() as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO watches (kind, date_from, date_to, notify_url) VALUES ('hut', %s, %s, %s)",
                (day(1), day(0), URL),
            )
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id + 999,), day(0), day(0)), URL)
        assert conn.execute("SELECT count(*) FROM watches").fetchone() == (0,)  # nothing half-stored
        watch = add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), day(0), day(0)), URL)
        write_batch(conn, [result(hut, later(1), [3], start=DAY0)])
        evaluate(conn, TODAY)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # a watched hut stays
            conn.execute("DELETE FROM huts WHERE id = %s", (hut.hut_id,))
        assert remove_watch(conn, watch)
        assert not remove_watch(conn, watch)
    assert outbox(db) == []


def test_one_evaluation_of_many_watches_sharing_nights_decides_what_the_rules_decide_for_each(db: Database):
    """The set-based evaluation (the nights of all watches read once, filtered in SQL to bookable
    nights with a free place) decides for every watch what the domain rules decide on all of its
    nights read one by one, including nights with free places that are not bookable online
    (a winter room, an unknown state)."""
    rng = random.Random(7)
    huts = add_huts(db, 4)
    ids = [h.hut_id for h in huts]
    specs = []
    for n in range(40):
        first = day(rng.randrange(8))
        if n % 2:
            last = first + dt.timedelta(days=rng.randrange(4))
            specs.append(WatchSpec(WatchKind.hut, (rng.choice(ids),), first, last, 1, rng.randint(1, 4)))
        else:
            tour = tuple(rng.sample(ids, rng.randint(2, 3)))
            specs.append(WatchSpec(WatchKind.tour, tour, first, first, 1, rng.randint(1, 4)))
    with db.connect() as conn:
        watches = [add_watch(conn, spec, URL) for spec in specs]
        states = [None, None, DayState.winter_room, DayState.unknown]  # None: bookable or full, by the places
        write_batch(
            conn,
            [
                result(h, later(1), [rng.randint(0, 5) for _ in range(14)], start=DAY0, state=state)
                for h, state in zip(huts, states, strict=True)
            ],
        )
        nights = {
            (hut_id, date): Night(DayState(state), free, first_checked, link)
            for hut_id, date, state, free, first_checked, link in conn.execute(
                "SELECT hut_id, availability_date, day_state, free, first_checked, link FROM hut_availability"
            )
        }
        created = dict(conn.execute("SELECT id, created_at FROM watches").fetchall())
        assert evaluate(conn, TODAY).evaluated == len(watches)
        stored = {w.id: w for w in read_watches(conn, watches)}
    expected = {}
    for watch, spec in zip(watches, specs, strict=True):
        found = options(dataclasses.replace(spec, created_at=created[watch]), nights, TODAY)
        expected[watch] = decide(WatchMemory(), found, 0).memory
    assert {w: stored[w].memory for w in watches} == expected
    assert any(m.satisfied for m in expected.values()) and not all(m.satisfied for m in expected.values())
    assert {w for w, m in expected.items() if m.satisfied} == {w for w, _, _, _ in outbox(db)}


def test_an_evaluation_that_waited_for_another_one_continues_its_episode_and_loses_no_message(db: Database):
    """Two evaluators at once: the second waits for the first one's lock on the watch and then
    reads what it committed (the watch's memory and the episode's notifications), so its own
    message gets the next sequence instead of colliding with the first one's key and vanishing."""
    [hut, _] = add_huts(db)
    with db.connect() as conn:
        watch = add_watch(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), day(0), day(0)), URL)
        write_batch(conn, [result(hut, later(1), [3], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 1  # episode 1, sequence 0
    with db.connect() as first, db.connect() as conn:
        with first.transaction():  # the first evaluator, deciding "more places: 5" and not yet committed
            first.execute("SELECT id FROM watches WHERE id = %s FOR UPDATE", (watch,))
            first.execute("UPDATE watches SET notified_free = 5 WHERE id = %s", (watch,))
            first.execute(
                "INSERT INTO notifications (watch_id, episode, sequence, idempotency_key, title, body)"
                " VALUES (%s, 1, 1, %s, 't', 'b')",
                (watch, f"watch-{watch}-episode-1-1"),
            )
            write_batch(conn, [result(hut, later(2), [7], start=DAY0)])  # and then even more
            second: dict[str, Evaluation | BaseException] = {}

            def evaluate_too() -> None:
                try:
                    with db.connect() as other:
                        second["result"] = evaluate(other, TODAY)
                except BaseException as error:
                    second["result"] = error

            waiter = threading.Thread(target=evaluate_too)
            waiter.start()
            deadline = time.monotonic() + 30
            blocked = False
            while time.monotonic() < deadline and not blocked and waiter.is_alive():
                row = conn.execute("SELECT EXISTS (SELECT FROM pg_locks WHERE NOT granted)").fetchone()
                blocked = bool(row and row[0])
                time.sleep(0.02)
            assert blocked, second
        waiter.join(30)
    assert isinstance(second["result"], Evaluation), second
    assert second["result"].fired == 1
    assert [key for _, _, _, key in outbox(db)] == [f"watch-{watch}-episode-1-{s}" for s in (0, 1, 2)]
