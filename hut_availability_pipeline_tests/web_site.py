"""A database fed by the simulator for the web front end's tests: the first catalog huts (two of
them renamed with HTML and JavaScript in their names), fetched twice from the simulator three
simulated days apart (so nights have two states), and their trends derived."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from hut_availability_pipeline.catalog.files import catalog_records
from hut_availability_pipeline.providers import HutReservationService
from hut_availability_pipeline.refresh.engine import run_update
from hut_availability_pipeline.simulator import SimulatorConfig, SimulatorServer
from hut_availability_pipeline.storage.database import Database
from hut_availability_pipeline.storage.huts import bookable_huts, load_huts
from hut_availability_pipeline.storage.trends import compute_trends

SCRIPT_NAME = "<script>window.__xss = 1; alert(1)</script>"
IMG_NAME = '<img src=x onerror="window.__xss = 2; alert(2)">'
DAYS = 45


@dataclass(frozen=True)
class Site:
    db: Database
    slugs: list[str]  # the active huts, by id
    script_slug: str  # the hut named SCRIPT_NAME
    img_slug: str  # the hut named IMG_NAME
    now: dt.datetime  # the simulated time of the first fetch: the pages' clock

    def clock(self) -> dt.datetime:
        return self.now


def summer_start(today: dt.date | None = None) -> dt.datetime:
    """08:00 UTC on the first 1 July at least a month away: the huts are open (in December every
    simulated hut is closed or a winter room) and the nights lie ahead of the real clock."""
    today = today or dt.datetime.now(dt.UTC).date()
    year = today.year if today < dt.date(today.year, 6, 1) else today.year + 1
    return dt.datetime(year, 7, 1, 8, 0, tzinfo=dt.UTC)


def simulated_site(db: Database, huts: int = 30, seed: int = 5) -> Site:
    """`huts` catalog huts with a location in `db`, fed by a simulator of their own."""
    records = [r for r in catalog_records() if r.lat is not None and r.is_active is not False][:huts]
    records[0] = dataclasses.replace(records[0], name=SCRIPT_NAME)
    records[1] = dataclasses.replace(records[1], name=IMG_NAME)
    with db.connect() as conn:
        load_huts(conn, records)
        refs = bookable_huts(conn)
        conn.commit()
    start_at = summer_start()
    with SimulatorServer(SimulatorConfig(seed=seed, start=start_at), host="127.0.0.1", port=0) as server:
        service = HutReservationService(base_url=server.base_url, request_interval=0)
        start = server.simulator.now().date()
        for _ in range(2):
            report = run_update(db, service, refs, start=start, days=DAYS)
            assert not report.failed, [(o.hut.slug, o.error) for o in report.failed]
            server.simulator.advance(hours=72)
    with db.connect() as conn:
        compute_trends(conn, None, "Europe/Zurich")
        conn.commit()
        names = dict(conn.execute("SELECT name, slug FROM huts").fetchall())
    return Site(db, [r.slug for r in refs], names[SCRIPT_NAME], names[IMG_NAME], start_at)
