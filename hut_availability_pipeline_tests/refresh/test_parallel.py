"""Every provider at once (refresh/parallel.py): hut-reservation.org and Hütten-Holiday from the simulator
into PostgreSQL, each source in its own thread with its own service; one provider down never
fails the other; `update --all` and `--source` on the command line."""

from __future__ import annotations

import threading

import pytest

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.cli import main
from hut_availability_pipeline.domain.bookings import HutFetchResult
from hut_availability_pipeline.providers.registry import UnknownSourceError
from hut_availability_pipeline.refresh.parallel import by_source, refresh_huts, services_at
from hut_availability_pipeline.storage.huts import HutRecord, bookable_huts, load_huts

from ..conftest import libpq_url


def both(db, hrs: int = 3, hh: int = 3):
    records = catalog_records()[:hrs] + [
        HutRecord("huetten-holiday", str(n), f"cabin-{n}", f"Cabin {n}") for n in range(1, hh + 1)
    ]
    with db.connect() as conn:
        load_huts(conn, records)
        return bookable_huts(conn)


def urls(server) -> dict[str, str]:
    return {"hrs": server.base_url, "huetten-holiday": server.base_url}


class MeetFirst:
    """A real service that starts fetching only when the other source's service starts too: with
    sources run one after the other, the barrier breaks (the test fails instead of hanging)."""

    def __init__(self, service, barrier: threading.Barrier) -> None:
        self.service, self.barrier = service, barrier
        self.breaker, self.request_interval = service.breaker, service.request_interval

    def iter_bookings(self, huts, start, days=None, request_interval=None):
        self.barrier.wait()
        return self.service.iter_bookings(huts, start, days, request_interval)

    def close(self) -> None:
        self.service.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def test_both_sources_are_fetched_at_once_and_stored(db, own_simulator) -> None:
    huts = both(db)
    seen: list[tuple[str, str]] = []
    start = own_simulator.simulator.now().date()
    barrier = threading.Barrier(2, timeout=20)
    real = services_at(urls(own_simulator))

    def fetched(result: HutFetchResult) -> None:
        seen.append((result.hut.source, threading.current_thread().name))

    report = refresh_huts(
        db,
        huts,
        lambda source: MeetFirst(real(source), barrier),  # type: ignore[arg-type,return-value]
        start=start,
        days=10,
        request_intervals={"hrs": 0.1, "huetten-holiday": 0.1},
        on_fetched=fetched,
    )
    assert [o.error for o in report.merged.failed] == []
    assert len(report.merged.stored) == 6
    assert {s: r.huts for s, r in report.sources.items()} == {"hrs": 3, "huetten-holiday": 3}
    assert {thread for _, thread in seen} == {"hut-availability-hrs", "hut-availability-huetten-holiday"}
    assert not barrier.broken  # both sources were fetching at the same time
    with db.connect() as conn:
        stored = dict(
            conn.execute(
                "SELECT o.slug, count(*) FROM hut_availability a JOIN organizations o"
                " ON o.id = a.source_organization_id GROUP BY o.slug"
            ).fetchall()
        )
    assert set(stored) == {"hrs", "huetten-holiday"} and all(n > 0 for n in stored.values())


def test_one_provider_down_fails_only_its_huts_and_persists_only_its_block(db, own_simulator) -> None:
    huts = both(db, 2, 6)
    down = {"hrs": own_simulator.base_url, "huetten-holiday": "http://127.0.0.1:9"}  # nothing listens there
    report = refresh_huts(
        db, huts, services_at(down), start=own_simulator.simulator.now().date(), days=5,
        request_intervals={"hrs": 0, "huetten-holiday": 0},
    )  # fmt: skip
    failed = {o.hut.source for o in report.merged.failed}
    assert failed == {"huetten-holiday"}
    assert {o.hut.source for o in report.merged.stored} == {"hrs"}
    hh = report.sources["huetten-holiday"].report
    assert hh is not None and hh.provider_blocked_until is not None
    assert [o.requests for o in hh.outcomes.values()] == [1, 0, 0, 0, 0, 0]  # its breaker tripped at once
    with db.connect() as conn:
        blocked = conn.execute(
            "SELECT o.slug FROM provider_status p JOIN organizations o ON o.id = p.source_organization_id"
            " WHERE p.blocked_until > now()"
        ).fetchall()
    assert blocked == [("huetten-holiday",)]


def test_a_source_without_a_provider_is_refused_before_fetching(db) -> None:
    huts = both(db, 1, 0)
    odd = [huts[0].__class__(**{**huts[0].__dict__, "source": "other-site"})]
    with pytest.raises(UnknownSourceError, match="no booking provider for source 'other-site'"):
        by_source(odd)


def test_update_all_and_source_on_the_command_line(db, own_simulator, monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", libpq_url(db))
    monkeypatch.setenv("HUT_AVAILABILITY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HRS_BASE_URL", own_simulator.base_url)
    monkeypatch.setenv("HUETTEN_HOLIDAY_BASE_URL", own_simulator.base_url)
    both(db, 2, 2)
    common = ["--days", "5", "--request-interval", "0", "--no-progress", "--no-dagster-report"]
    assert main(["update", "--all", "--source", "huetten-holiday", *common]) == 0
    out = capsys.readouterr().out
    assert "updated 2 of 2 hut(s)" in out and "cabin-1: ok" in out
    assert main(["update", "--all", *common]) == 0
    out = capsys.readouterr().out
    assert "updated 4 of 4 hut(s)" in out
    assert "  hrs: 2 of 2 hut(s)" in out and "  huetten-holiday: 2 of 2 hut(s)" in out
    assert main(["update", "--all", "--source", "nope", *common]) == 2
    assert "no booking provider for source 'nope'" in capsys.readouterr().err
