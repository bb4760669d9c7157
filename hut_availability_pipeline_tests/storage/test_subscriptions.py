"""Watches of e-mail addresses in PostgreSQL: a pending watch is not evaluated until confirmed,
the confirmation is queued in the outbox with the watch, unconfirmed ones are deleted after a day,
an address goes with its last watch, and the limits count what they say."""

from __future__ import annotations

import datetime as dt

import pytest

from hut_availability_pipeline.domain.watches import WatchKind, WatchSpec
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.subscriptions import (
    ADDRESS_LIMIT,
    InvalidAddressError,
    Refusal,
    confirm,
    normalize_address,
    pending_watch,
    purge,
    subscribe,
    unsubscribe,
)
from hut_availability_pipeline.storage.writer import write_batch
from hut_availability_pipeline.watches.evaluation import evaluate

from ..helpers import add_huts, count, result

TODAY = dt.date.today()
DAY0 = TODAY + dt.timedelta(days=30)


def ask(conn, spec: WatchSpec, address: str = "anna@example.org", client: str = "c1", n: int = 0):
    return subscribe(
        conn, spec, address, client, confirm_token=f"confirm-{address}-{n}-{'x' * 20}",
        unsubscribe_token=f"unsub-{address}-{n}-{'x' * 20}", title="Confirm", body="Open the link",
    )  # fmt: skip


def test_a_pending_watch_is_not_evaluated_until_confirmed_and_its_confirmation_is_in_the_outbox(db: Database):
    [hut, _] = add_huts(db)
    spec = WatchSpec(WatchKind.hut, (hut.hut_id,), DAY0, DAY0, beds=2)
    with db.connect() as conn:
        submission = ask(conn, spec)
        assert submission.refused is None and submission.watch_id is not None
        outbox = conn.execute("SELECT watch_id, kind, idempotency_key FROM notifications").fetchall()
        assert outbox == [(submission.watch_id, "confirm", f"watch-{submission.watch_id}-confirm")]
        write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), [5], start=DAY0)])
        assert evaluate(conn, TODAY).evaluated == 0  # pending: not a watch yet
        assert confirm(conn, "confirm-anna@example.org-0-" + "x" * 20) == submission.watch_id
        assert confirm(conn, "confirm-anna@example.org-0-" + "x" * 20) is None  # used up
        write_batch(conn, [result(hut, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2), [6], start=DAY0)])
        assert evaluate(conn, TODAY).fired == 1


def test_unconfirmed_watches_go_after_a_day_and_an_address_with_its_last_watch(db: Database):
    [hut, other] = add_huts(db)
    with db.connect() as conn:
        first = ask(conn, WatchSpec(WatchKind.hut, (hut.hut_id,), DAY0, DAY0), n=1)
        second = ask(conn, WatchSpec(WatchKind.tour, (hut.hut_id, other.hut_id), DAY0, DAY0), n=2)
        assert pending_watch(conn, "confirm-anna@example.org-2-" + "x" * 20) is not None
        confirm(conn, "confirm-anna@example.org-2-" + "x" * 20)
        conn.execute("UPDATE watches SET pending_until = now() - interval '1 second' WHERE id = %s", (first.watch_id,))
        assert pending_watch(conn, "confirm-anna@example.org-1-" + "x" * 20) is None  # past its day
        purge(conn)
        assert [r[0] for r in conn.execute("SELECT id FROM watches").fetchall()] == [second.watch_id]
        assert count(db, "subscribers") == 1  # the confirmed watch keeps the address
        assert unsubscribe(conn, "unsub-anna@example.org-2-" + "x" * 20)
        assert not unsubscribe(conn, "unsub-anna@example.org-2-" + "x" * 20)
    assert (count(db, "subscribers"), count(db, "watches"), count(db, "notifications")) == (0, 0, 0)


def test_the_address_limit_counts_unconfirmed_requests_of_the_last_hour(db: Database):
    [hut, _] = add_huts(db)
    spec = WatchSpec(WatchKind.hut, (hut.hut_id,), DAY0, DAY0)
    with db.connect() as conn:
        for i in range(ADDRESS_LIMIT):
            assert ask(conn, spec, client=f"c{i}", n=i).refused is None
        assert ask(conn, spec, client="other", n=99).refused is Refusal.address
        assert ask(conn, spec, address="ben@example.org", client="other", n=99).refused is None
        confirm(conn, "confirm-anna@example.org-0-" + "x" * 20)  # a confirmed one no longer counts
        assert ask(conn, spec, client="other", n=100).refused is None
        conn.execute("UPDATE watches SET created_at = created_at - interval '61 minutes'")
        assert ask(conn, spec, client="other", n=101).refused is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "missing"), ("anna", "is not an e-mail address"), ("a b@c.org", "is not"), ("a@b.org" + "x" * 250, "longer")],
)
def test_a_bad_address_is_refused_saying_why(text: str, problem: str):
    with pytest.raises(InvalidAddressError, match=problem):
        normalize_address(text)
    assert normalize_address("  Anna@Example.ORG ") == "anna@example.org"
